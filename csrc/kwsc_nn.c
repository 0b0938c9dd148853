/*
 * kwsc_nn.c - TFLite's int8 reference arithmetic for the ops kwsc models use; see kwsc_nn.h.
 *
 * The fixed-point helpers follow the gemmlowp conventions TFLite's kernels are written in
 * (saturating rounding doubling high multiply, rounding divide by a power of two, a Q5.26
 * exp on negative values, a Newton-Raphson reciprocal); each is restated here in C99 from
 * its arithmetic definition so that results match to the bit.
 */
#include "kwsc_nn.h"

#include <string.h>

/* round(a * b / 2^31), ties away from zero, saturating the single overflow case. */
static int32_t sat_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    int64_t ab;
    int64_t nudge;
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    ab = (int64_t)a * (int64_t)b;
    nudge = ab >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30));
    /* C99 division truncates toward zero, as the reference does. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* round(x / 2^exponent), ties away from zero. */
static int32_t rounding_divide_by_pot(int32_t x, int exponent)
{
    const int32_t mask = (int32_t)(((uint32_t)1 << exponent) - 1u);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x * 2^exponent for exponent > 0, saturating to int32. */
static int32_t saturating_shift_left(int32_t x, int exponent)
{
    const int32_t threshold = (int32_t)(((uint32_t)1 << (31 - exponent)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

int32_t kwsc_nn_requantize(int32_t x, int32_t multiplier, int shift)
{
    const int left = shift > 0 ? shift : 0;
    const int right = shift > 0 ? 0 : -shift;
    /* The reference multiplies in int32 (wrapping); left > 0 only for multipliers above one. */
    const int32_t scaled = (int32_t)((uint32_t)x << left);
    return rounding_divide_by_pot(sat_rounding_doubling_high_mul(scaled, multiplier), right);
}

static int32_t clamp32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/*
 * Requantisation of one output channel, set up once and applied to many sums: kwsc_nn_requantize
 * plus bias, output offset and clamp, with the per-channel shift work done in requant_init.
 * The high multiply is written for a multiplier >= 0 (kwsc_nn_check guarantees it), so its one
 * saturating case (INT32_MIN * INT32_MIN) cannot occur, and TFLite's "add 2^30, or 1 - 2^30
 * when negative, then divide truncating toward zero" equals "add 2^30, then shift right
 * arithmetically" for every product: no branch, no 64-bit division.
 */
typedef struct {
    int32_t bias;
    int32_t multiplier;
    int left;              /* shift > 0: left shift before the multiply */
    int right;             /* shift < 0: rounding right shift after it */
    int32_t mask;          /* 2^right - 1: the bits the right shift drops */
    int32_t half;          /* mask >> 1: remainders above it (or equal, when negative) round up */
    int32_t output_offset;
    int32_t act_min;
    int32_t act_max;
} requant;

static inline void requant_init(const kwsc_nn_op *op, int channel, requant *rq)
{
    const int shift = op->shift[channel];
    rq->bias = op->bias != NULL ? op->bias[channel] : 0;
    rq->multiplier = op->multiplier[channel];
    rq->left = shift > 0 ? shift : 0;
    rq->right = shift > 0 ? 0 : -shift;
    rq->mask = (int32_t)(((uint32_t)1 << rq->right) - 1u);
    rq->half = rq->mask >> 1;
    rq->output_offset = op->output_offset;
    rq->act_min = op->act_min;
    rq->act_max = op->act_max;
}

/* The int8 output for an accumulator (bias not yet added); rounding as rounding_divide_by_pot. */
static inline int8_t requant_apply(const requant *rq, int32_t acc)
{
    const int32_t scaled = (int32_t)((uint32_t)(acc + rq->bias) << rq->left);
    const int32_t high = (int32_t)(((int64_t)scaled * rq->multiplier + ((int64_t)1 << 30)) >> 31);
    const int32_t threshold = rq->half + (int32_t)((uint32_t)high >> 31);
    const int32_t v = (high >> rq->right) + ((high & rq->mask) > threshold ? 1 : 0) + rq->output_offset;
    return (int8_t)clamp32(v, rq->act_min, rq->act_max);
}

/* One output of a channel whose parameters are used only once. */
static int8_t requantize_output(const kwsc_nn_op *op, int channel, int32_t acc)
{
    requant rq;
    requant_init(op, channel, &rq);
    return requant_apply(&rq, acc);
}

/* The kernel taps [*first, *last) whose sample origin + dilation * tap lies inside [0, size). */
static void valid_taps(int origin, int dilation, int taps, int size, int *first, int *last)
{
    int lo = origin < 0 ? (dilation - 1 - origin) / dilation : 0;
    int hi = size - origin > 0 ? (size - origin + dilation - 1) / dilation : 0;
    hi = hi < taps ? hi : taps;
    *first = lo < hi ? lo : hi;
    *last = hi;
}

/*
 * Standard convolution as a matrix product over "columns": the receptive field of an output
 * position gathered into one contiguous vector (kernel rows x kernel columns x input channels,
 * the weights' own layout), with the input offset already added and padding as 0 (the padding
 * value is the zero point, so x + input_offset = 0 there). Each column then meets every filter
 * as a plain dot product: no bounds checks or index arithmetic per tap, and the gather costs
 * one pass per output position, shared by all output channels.
 *
 * Two output positions share one column: their values are packed into one int32 as
 * a + b * 2^23 (a, b in [-255, 255]), so one 32x32->64 multiply-accumulate by a weight w adds
 * w * a + w * b * 2^23 and computes two MACs at once. Over at most PACK_TAPS taps the low sum
 * stays below 2^22 in magnitude (128 * 255 * 128 < 2^22), so both sums come back exactly from
 * the 64-bit accumulator (split_lanes). This is plain integer arithmetic, identical on every
 * target, and gcc turns it into one SMLAL per two MACs on the Cortex-M4.
 */
#define PACK_SHIFT 23
#define PACK_TAPS 128
/* Longest column gathered on the stack (4 bytes per tap: 1 KB); longer receptive fields (wider
 * than 256 input channels for a 1x1 kernel) take conv2d_direct. */
#define COLUMN_MAX 256

/* Split an accumulator of packed products into its low and high lane sums. */
static void split_lanes(int64_t acc, int32_t *low, int32_t *high)
{
    /* Sign-extend the low PACK_SHIFT bits (arithmetic shifts, as rounding_divide_by_pot uses). */
    const int32_t lo = (int32_t)((uint32_t)acc << (32 - PACK_SHIFT)) >> (32 - PACK_SHIFT);
    *low += lo;
    *high += (int32_t)((acc - lo) >> PACK_SHIFT);
}

/* Taps in the padding stay 0: the gather below only adds the in-bounds ones. */
static void zero_column(int32_t *column, int taps)
{
    int k;
    for (k = 0; k < taps; k++) {
        column[k] = 0;
    }
}

/* Add lane * (x + input_offset) for the in-bounds taps of the window at (oy, ox) to column. */
static void gather_column(const kwsc_nn_op *op, const int8_t *in, int oy, int ox, int32_t lane, int32_t *column)
{
    const int in_w = op->in.width, in_c = op->in.channels;
    const int k_w = op->filter_width;
    const int y0 = oy * op->stride_height - op->pad_top;
    const int x0 = ox * op->stride_width - op->pad_left;
    const int32_t offset = op->input_offset;
    int ky0, ky1, kx0, kx1, ky, kx, ic;
    valid_taps(y0, op->dilation_height, op->filter_height, op->in.height, &ky0, &ky1);
    valid_taps(x0, op->dilation_width, k_w, in_w, &kx0, &kx1);
    for (ky = ky0; ky < ky1; ky++) {
        const int8_t *row = in + (y0 + op->dilation_height * ky) * in_w * in_c;
        for (kx = kx0; kx < kx1; kx++) {
            const int8_t *src = row + (x0 + op->dilation_width * kx) * in_c;
            int32_t *dst = column + (ky * k_w + kx) * in_c;
            for (ic = 0; ic < in_c; ic++) {
                dst[ic] += lane * ((int32_t)src[ic] + offset);
            }
        }
    }
}

/* The input of the first tap of the window at output position p (may lie in the padding). */
static int window_origin(const kwsc_nn_op *op, int p, int *y0, int *x0)
{
    const int oy = p / op->out.width, ox = p % op->out.width;
    *y0 = oy * op->stride_height - op->pad_top;
    *x0 = ox * op->stride_width - op->pad_left;
    return *y0 >= 0 && *x0 >= 0 && *y0 + (op->filter_height - 1) * op->dilation_height < op->in.height &&
           *x0 + (op->filter_width - 1) * op->dilation_width < op->in.width; /* wholly inside */
}

/* The packed column of positions p and p + 1 when both windows lie inside the input (always, for
 * a 1x1 kernel): one pass, every tap written, nothing to zero first. */
static void gather_pair_inside(const kwsc_nn_op *op, const int8_t *in, int y0, int x0, int y1, int x1,
                               int32_t *column)
{
    const int in_w = op->in.width, in_c = op->in.channels;
    const int delta = ((y1 - y0) * in_w + (x1 - x0)) * in_c; /* from the first window to the second */
    /* (a + offset) + (b + offset) * 2^PACK_SHIFT, without overflow: at most 255 * (2^23 + 1) */
    const int32_t offset = op->input_offset * (((int32_t)1 << PACK_SHIFT) + 1);
    int ky, kx, ic;
    for (ky = 0; ky < op->filter_height; ky++) {
        for (kx = 0; kx < op->filter_width; kx++) {
            const int8_t *a = in + ((y0 + op->dilation_height * ky) * in_w + x0 + op->dilation_width * kx) * in_c;
            for (ic = 0; ic < in_c; ic++) {
                *column++ = (int32_t)a[ic] + (int32_t)a[ic + delta] * ((int32_t)1 << PACK_SHIFT) + offset;
            }
        }
    }
}

/* Two filters against a packed column pair, n <= PACK_TAPS taps: two 64-bit packed sums. */
static void dot_packed(const int32_t *column, const int8_t *w0, const int8_t *w1, int n, int64_t *acc0, int64_t *acc1)
{
    int64_t s0 = 0, s1 = 0;
    const int32_t *end = column + (n & ~7);
    /* Unrolled by eight: fixed offsets from three pointers, no index register. */
    while (column < end) {
        s0 += (int64_t)w0[0] * column[0];
        s1 += (int64_t)w1[0] * column[0];
        s0 += (int64_t)w0[1] * column[1];
        s1 += (int64_t)w1[1] * column[1];
        s0 += (int64_t)w0[2] * column[2];
        s1 += (int64_t)w1[2] * column[2];
        s0 += (int64_t)w0[3] * column[3];
        s1 += (int64_t)w1[3] * column[3];
        s0 += (int64_t)w0[4] * column[4];
        s1 += (int64_t)w1[4] * column[4];
        s0 += (int64_t)w0[5] * column[5];
        s1 += (int64_t)w1[5] * column[5];
        s0 += (int64_t)w0[6] * column[6];
        s1 += (int64_t)w1[6] * column[6];
        s0 += (int64_t)w0[7] * column[7];
        s1 += (int64_t)w1[7] * column[7];
        column += 8;
        w0 += 8;
        w1 += 8;
    }
    end += n & 7;
    while (column < end) {
        s0 += (int64_t)*w0++ * *column;
        s1 += (int64_t)*w1++ * *column++;
    }
    *acc0 = s0;
    *acc1 = s1;
}

/* Standard convolution, receptive field of at most COLUMN_MAX taps; see the comment above. */
static void conv2d_columns(const kwsc_nn_op *op, const int8_t *in, int8_t *out)
{
    const int out_w = op->out.width, out_c = op->out.channels;
    const int positions = op->out.height * out_w;
    const int taps = op->filter_height * op->filter_width * op->in.channels;
    int32_t column[COLUMN_MAX];
    int p, oc, k;
    for (p = 0; p < positions; p += 2) {
        const int pair = p + 1 < positions;
        int8_t *dst = out + p * out_c;
        int y0, x0, y1, x1;
        const int inside = window_origin(op, p, &y0, &x0);
        if (pair && window_origin(op, p + 1, &y1, &x1) && inside) {
            gather_pair_inside(op, in, y0, x0, y1, x1, column);
        } else {
            zero_column(column, taps);
            if (pair) {
                gather_column(op, in, (p + 1) / out_w, (p + 1) % out_w, (int32_t)1 << PACK_SHIFT, column);
            }
            gather_column(op, in, p / out_w, p % out_w, 1, column);
        }
        for (oc = 0; oc < out_c; oc += 2) {
            const int8_t *w0 = op->weights + oc * taps;
            const int8_t *w1 = oc + 1 < out_c ? w0 + taps : w0; /* odd count: repeat, discard */
            int32_t a0 = 0, b0 = 0, a1 = 0, b1 = 0; /* a: position p, b: p + 1; 0, 1: filters */
            requant rq0, rq1;
            for (k = 0; k < taps; k += PACK_TAPS) {
                const int n = taps - k < PACK_TAPS ? taps - k : PACK_TAPS;
                int64_t s0, s1;
                dot_packed(column + k, w0 + k, w1 + k, n, &s0, &s1);
                split_lanes(s0, &a0, &b0);
                split_lanes(s1, &a1, &b1);
            }
            requant_init(op, oc, &rq0);
            requant_init(op, oc + 1 < out_c ? oc + 1 : oc, &rq1);
            dst[oc] = requant_apply(&rq0, a0);
            if (oc + 1 < out_c) {
                dst[oc + 1] = requant_apply(&rq1, a1);
            }
            if (pair) {
                dst[out_c + oc] = requant_apply(&rq0, b0);
                if (oc + 1 < out_c) {
                    dst[out_c + oc + 1] = requant_apply(&rq1, b1);
                }
            }
        }
    }
}

/* Standard convolution tap by tap, for receptive fields longer than COLUMN_MAX (none in kwsc's
 * own architectures): the reference loop with the in-bounds tap ranges computed once per position. */
static void conv2d_direct(const kwsc_nn_op *op, const int8_t *in, int8_t *out)
{
    const int in_w = op->in.width, in_c = op->in.channels;
    const int out_w = op->out.width, out_c = op->out.channels;
    const int k_h = op->filter_height, k_w = op->filter_width;
    const int32_t offset = op->input_offset;
    int oy, ox, oc;
    for (oy = 0; oy < op->out.height; oy++) {
        const int y0 = oy * op->stride_height - op->pad_top;
        int ky0, ky1;
        valid_taps(y0, op->dilation_height, k_h, op->in.height, &ky0, &ky1);
        for (ox = 0; ox < out_w; ox++) {
            const int x0 = ox * op->stride_width - op->pad_left;
            int kx0, kx1;
            valid_taps(x0, op->dilation_width, k_w, in_w, &kx0, &kx1);
            for (oc = 0; oc < out_c; oc++) {
                int32_t acc = 0;
                int ky, kx, ic;
                for (ky = ky0; ky < ky1; ky++) {
                    const int8_t *row = in + (y0 + op->dilation_height * ky) * in_w * in_c;
                    for (kx = kx0; kx < kx1; kx++) {
                        const int8_t *x = row + (x0 + op->dilation_width * kx) * in_c;
                        const int8_t *w = op->weights + ((oc * k_h + ky) * k_w + kx) * in_c;
                        for (ic = 0; ic < in_c; ic++) {
                            acc += (int32_t)w[ic] * ((int32_t)x[ic] + offset);
                        }
                    }
                }
                out[(oy * out_w + ox) * out_c + oc] = requantize_output(op, oc, acc);
            }
        }
    }
}

/* Depthwise channels per pass (multiplier 1): eight accumulators still fit the M4's registers. */
#define DW_BLOCK 8

/*
 * Depthwise sums sum(w * (x + offset)) of DW_BLOCK adjacent channels over a rows x cols block of
 * taps (x: the first tap's input of the first channel, w: its weight). depthwise_block passes
 * offset 0 for windows wholly inside the input and adds offset * sum(w) afterwards, computed once;
 * once inlined with that constant 0, the offset additions disappear from the loop. The channels
 * share the pointer arithmetic and loop control.
 */
static void depthwise_sums(const int8_t *x, const int8_t *w, int rows, int cols, int x_row_step, int x_col_step,
                           int w_row_step, int w_col_step, int32_t offset, int32_t acc[DW_BLOCK])
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    const int8_t *w_end = w + rows * w_row_step;
    /* Loops run to end pointers: no counters, fewer live registers. */
    for (; w != w_end; w += w_row_step, x += x_row_step) {
        const int8_t *xp = x;
        const int8_t *wp = w;
        const int8_t *wp_end = w + cols * w_col_step;
        for (; wp != wp_end; wp += w_col_step, xp += x_col_step) {
            a0 += (int32_t)wp[0] * (xp[0] + offset);
            a1 += (int32_t)wp[1] * (xp[1] + offset);
            a2 += (int32_t)wp[2] * (xp[2] + offset);
            a3 += (int32_t)wp[3] * (xp[3] + offset);
            a4 += (int32_t)wp[4] * (xp[4] + offset);
            a5 += (int32_t)wp[5] * (xp[5] + offset);
            a6 += (int32_t)wp[6] * (xp[6] + offset);
            a7 += (int32_t)wp[7] * (xp[7] + offset);
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    acc[4] = a4;
    acc[5] = a5;
    acc[6] = a6;
    acc[7] = a7;
}

/* The DW_BLOCK channels' weights summed over a rows x cols block of taps, times the input offset. */
static void weight_sums(const int8_t *w, int rows, int cols, int w_row_step, int w_col_step, int32_t offset,
                        int32_t sums[DW_BLOCK])
{
    int r, c, i;
    for (i = 0; i < DW_BLOCK; i++) {
        sums[i] = 0;
    }
    for (r = 0; r < rows; r++) {
        const int8_t *wp = w + r * w_row_step;
        for (c = 0; c < cols; c++) {
            for (i = 0; i < DW_BLOCK; i++) {
                sums[i] += wp[i];
            }
            wp += w_col_step;
        }
    }
    for (i = 0; i < DW_BLOCK; i++) {
        sums[i] *= offset;
    }
}

/*
 * Depthwise convolution with depth multiplier 1, channels c .. c + DW_BLOCK - 1, over every output
 * position:
 * sum(w * (x + offset)) = sum(w * x) + offset * sum(w) over the in-bounds taps. The second term
 * is the same for every window that lies wholly inside the input, so it is computed once; only
 * windows overlapping the padding sum their own weights. Channel-outer order also sets up the
 * channels' requantisation once.
 */
static void depthwise_block(const kwsc_nn_op *op, const int8_t *in, int8_t *out, int c)
{
    const int in_w = op->in.width, in_c = op->in.channels;
    const int out_w = op->out.width, out_c = op->out.channels;
    const int k_h = op->filter_height, k_w = op->filter_width;
    const int x_row_step = op->dilation_height * in_w * in_c, x_col_step = op->dilation_width * in_c;
    const int w_row_step = k_w * out_c;
    requant rq[DW_BLOCK];
    static const int32_t none[DW_BLOCK] = {0, 0, 0, 0, 0, 0, 0, 0};
    int32_t full[DW_BLOCK], acc[DW_BLOCK];
    int oy, ox, i;
    for (i = 0; i < DW_BLOCK; i++) {
        requant_init(op, c + i, &rq[i]);
    }
    weight_sums(op->weights + c, k_h, k_w, w_row_step, out_c, op->input_offset, full);
    for (oy = 0; oy < op->out.height; oy++) {
        const int y0 = oy * op->stride_height - op->pad_top;
        int ky0, ky1;
        valid_taps(y0, op->dilation_height, k_h, op->in.height, &ky0, &ky1);
        for (ox = 0; ox < out_w; ox++) {
            const int x0 = ox * op->stride_width - op->pad_left;
            const int8_t *w;
            const int8_t *x;
            const int32_t *offsets;
            int8_t *dst = out + (oy * out_w + ox) * out_c + c;
            int kx0, kx1;
            valid_taps(x0, op->dilation_width, k_w, in_w, &kx0, &kx1);
            w = op->weights + (ky0 * k_w + kx0) * out_c + c;
            x = in + ((y0 + op->dilation_height * ky0) * in_w + x0 + op->dilation_width * kx0) * in_c + c;
            if (ky1 - ky0 == k_h && kx1 - kx0 == k_w) {
                depthwise_sums(x, w, k_h, k_w, x_row_step, x_col_step, w_row_step, out_c, 0, acc);
                offsets = full;
            } else {
                depthwise_sums(x, w, ky1 - ky0, kx1 - kx0, x_row_step, x_col_step, w_row_step, out_c,
                               op->input_offset, acc);
                offsets = none;
            }
            for (i = 0; i < DW_BLOCK; i++) {
                dst[i] = requant_apply(&rq[i], acc[i] + offsets[i]);
            }
        }
    }
}

/* One depthwise sum sum(w * (x + offset)) over a rows x cols block of taps (any multiplier). */
static int32_t depthwise_sum(const int8_t *x, const int8_t *w, int rows, int cols, int x_row_step, int x_col_step,
                             int w_row_step, int w_col_step, int32_t offset)
{
    int32_t acc = 0;
    int r, c;
    for (r = 0; r < rows; r++) {
        const int8_t *xp = x + r * x_row_step;
        const int8_t *wp = w + r * w_row_step;
        for (c = 0; c < cols; c++) {
            acc += (int32_t)*wp * ((int32_t)*xp + offset);
            xp += x_col_step;
            wp += w_col_step;
        }
    }
    return acc;
}

/* Depthwise convolution: output channel oc = ic * depth_multiplier + m reads input channel ic
 * only. With multiplier 1, depthwise_block takes DW_BLOCK channels at a time; the rest (and every
 * channel of a larger multiplier) go one by one, with the in-bounds tap ranges computed once
 * per output position and no division by the multiplier. */
static void depthwise_conv2d(const kwsc_nn_op *op, const int8_t *in, int8_t *out)
{
    const int in_w = op->in.width, in_c = op->in.channels;
    const int out_w = op->out.width, out_c = op->out.channels;
    const int k_w = op->filter_width, multiplier = op->depth_multiplier;
    const int x_row_step = op->dilation_height * in_w * in_c, x_col_step = op->dilation_width * in_c;
    const int w_row_step = k_w * out_c;
    const int first = multiplier == 1 ? out_c - out_c % DW_BLOCK : 0; /* channels done by depthwise_block */
    int oy, ox, ic, m, c;
    for (c = 0; c < first; c += DW_BLOCK) {
        depthwise_block(op, in, out, c);
    }
    if (first == out_c) {
        return;
    }
    for (oy = 0; oy < op->out.height; oy++) {
        const int y0 = oy * op->stride_height - op->pad_top;
        int ky0, ky1;
        valid_taps(y0, op->dilation_height, op->filter_height, op->in.height, &ky0, &ky1);
        for (ox = 0; ox < out_w; ox++) {
            const int x0 = ox * op->stride_width - op->pad_left;
            int8_t *dst = out + (oy * out_w + ox) * out_c;
            int kx0, kx1, oc = first;
            /* the first in-bounds tap, channel 0 */
            const int8_t *x = in + ((y0 + op->dilation_height * ky0) * in_w + x0) * in_c;
            const int8_t *w = op->weights + ky0 * k_w * out_c;
            valid_taps(x0, op->dilation_width, k_w, in_w, &kx0, &kx1);
            x += op->dilation_width * kx0 * in_c;
            w += kx0 * out_c;
            for (ic = first / multiplier; ic < in_c; ic++) {
                for (m = 0; m < multiplier; m++, oc++) {
                    const int32_t acc = depthwise_sum(x + ic, w + oc, ky1 - ky0, kx1 - kx0, x_row_step, x_col_step,
                                                      w_row_step, out_c, op->input_offset);
                    dst[oc] = requantize_output(op, oc, acc);
                }
            }
        }
    }
}

/* Fully connected: four outputs per pass over the input, so each input value is loaded and
 * offset once for four weights. */
static void fully_connected(const kwsc_nn_op *op, const int8_t *in, int8_t *out)
{
    const int depth = op->in.height * op->in.width * op->in.channels;
    const int outputs = op->out.channels;
    const int32_t offset = op->input_offset;
    int o, d;
    for (o = 0; o < outputs; o += 4) {
        /* Past the last output, repeat its row and discard the sums. */
        const int8_t *w0 = op->weights + o * depth;
        const int8_t *w1 = o + 1 < outputs ? w0 + depth : w0;
        const int8_t *w2 = o + 2 < outputs ? w1 + depth : w1;
        const int8_t *w3 = o + 3 < outputs ? w2 + depth : w2;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (d = 0; d < depth; d++) {
            const int32_t x = (int32_t)in[d] + offset;
            a0 += (int32_t)w0[d] * x;
            a1 += (int32_t)w1[d] * x;
            a2 += (int32_t)w2[d] * x;
            a3 += (int32_t)w3[d] * x;
        }
        out[o] = requantize_output(op, o, a0);
        if (o + 1 < outputs) {
            out[o + 1] = requantize_output(op, o + 1, a1);
        }
        if (o + 2 < outputs) {
            out[o + 2] = requantize_output(op, o + 2, a2);
        }
        if (o + 3 < outputs) {
            out[o + 3] = requantize_output(op, o + 3, a3);
        }
    }
}

/* Mean of the in-bounds window, rounded half away from zero, on the raw int8 values. */
static void average_pool2d(const kwsc_nn_op *op, const int8_t *in, int8_t *out)
{
    const int in_h = op->in.height, in_w = op->in.width, c = op->in.channels;
    int oy, ox, ch;
    for (oy = 0; oy < op->out.height; oy++) {
        const int y0 = oy * op->stride_height - op->pad_top;
        const int ky0 = y0 < 0 ? -y0 : 0;
        const int ky1 = op->filter_height < in_h - y0 ? op->filter_height : in_h - y0;
        for (ox = 0; ox < op->out.width; ox++) {
            const int x0 = ox * op->stride_width - op->pad_left;
            const int kx0 = x0 < 0 ? -x0 : 0;
            const int kx1 = op->filter_width < in_w - x0 ? op->filter_width : in_w - x0;
            const int32_t count = (int32_t)(ky1 - ky0) * (kx1 - kx0);
            for (ch = 0; ch < c; ch++) {
                int32_t acc = 0;
                int ky, kx;
                for (ky = ky0; ky < ky1; ky++) {
                    for (kx = kx0; kx < kx1; kx++) {
                        acc += in[((size_t)(y0 + ky) * in_w + (x0 + kx)) * c + ch];
                    }
                }
                acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                out[((size_t)oy * op->out.width + ox) * c + ch] = (int8_t)clamp32(acc, op->act_min, op->act_max);
            }
        }
    }
}

/*
 * exp(a) for a in [-1/4, 0): a and the result in Q0.31. A fourth-order Taylor expansion
 * around -1/8, as gemmlowp evaluates it.
 */
static int32_t exp_quarter_interval(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668; /* exp(-1/8), Q0.31 */
    const int32_t one_third = 715827883;             /* 1/3, Q0.31 */
    const int32_t x = a + (1 << 28);                  /* a + 1/8 */
    const int32_t x2 = sat_rounding_doubling_high_mul(x, x);
    const int32_t x3 = sat_rounding_doubling_high_mul(x2, x);
    const int32_t x4 = sat_rounding_doubling_high_mul(x2, x2);
    const int32_t x4_over_4 = rounding_divide_by_pot(x4, 2);
    const int32_t poly = rounding_divide_by_pot(
        sat_rounding_doubling_high_mul(x4_over_4 + x3, one_third) + x2, 1);
    return exp_minus_one_eighth + sat_rounding_doubling_high_mul(exp_minus_one_eighth, x + poly);
}

/*
 * exp(a) for a <= 0 given in Q5.26; result Q0.31. exp of a's remainder modulo 1/4 from the
 * polynomial, times exp(-2^k) for each set bit k of the whole quarters (a barrel shifter).
 */
static int32_t exp_on_negative_values_q5_26(int32_t a)
{
    static const int32_t exp_of_minus_pot[7] = {
        /* exp(-1/4), exp(-1/2), exp(-1), exp(-2), exp(-4), exp(-8), exp(-16) in Q0.31 */
        1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t quarter = 1 << 24;
    const int32_t mod_minus_quarter = (a & (quarter - 1)) - quarter;
    const int32_t remainder = mod_minus_quarter - a;
    int32_t result = exp_quarter_interval(saturating_shift_left(mod_minus_quarter, 5));
    int k;
    for (k = 0; k < 7; k++) {
        if (remainder & (1 << (24 + k))) {
            result = sat_rounding_doubling_high_mul(result, exp_of_minus_pot[k]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + x) for x in [0, 1) in Q0.31, by three Newton-Raphson steps in Q2.29. */
static int32_t one_over_one_plus_x(int32_t x)
{
    const int64_t sum = (int64_t)x + INT32_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t one_q2_29 = 1 << 29;
    int32_t estimate = 1515870810 + sat_rounding_doubling_high_mul(half_denominator, -1010580540);
    int i;
    for (i = 0; i < 3; i++) { /* 48/17 - 32/17 d, then e += e (1 - d e) */
        const int32_t error = one_q2_29 - sat_rounding_doubling_high_mul(half_denominator, estimate);
        estimate = estimate + saturating_shift_left(sat_rounding_doubling_high_mul(estimate, error), 2);
    }
    return saturating_shift_left(estimate, 1);
}

static int count_leading_zeros(uint32_t x)
{
    int n = 0;
    if (x == 0u) {
        return 32;
    }
    while (!(x & 0x80000000u)) {
        x <<= 1;
        n++;
    }
    return n;
}

/* Softmax over the channels, int8 in, int8 out with scale 1/256 and zero point -128. */
static void softmax(const kwsc_nn_op *op, const int8_t *in, int8_t *out)
{
    const int n = op->in.channels;
    int8_t max_in = in[0];
    int32_t sum_of_exps = 0; /* Q12.19 */
    int32_t reciprocal;
    int headroom;
    int bits_over_unit;
    int i;
    for (i = 1; i < n; i++) {
        max_in = in[i] > max_in ? in[i] : max_in;
    }
    for (i = 0; i < n; i++) {
        const int32_t diff = (int32_t)in[i] - max_in;
        if (diff >= op->softmax_diff_min) {
            const int32_t scaled = sat_rounding_doubling_high_mul(diff * (1 << op->softmax_shift),
                                                                  op->softmax_multiplier);
            sum_of_exps += rounding_divide_by_pot(exp_on_negative_values_q5_26(scaled), 12);
        }
    }
    headroom = count_leading_zeros((uint32_t)sum_of_exps);
    bits_over_unit = 12 - headroom;
    reciprocal = one_over_one_plus_x((int32_t)(((uint32_t)sum_of_exps << headroom) - 0x80000000u));
    for (i = 0; i < n; i++) {
        const int32_t diff = (int32_t)in[i] - max_in;
        int32_t value = -128;
        if (diff >= op->softmax_diff_min) {
            const int32_t scaled = sat_rounding_doubling_high_mul(diff * (1 << op->softmax_shift),
                                                                  op->softmax_multiplier);
            const int32_t e = exp_on_negative_values_q5_26(scaled);
            value = rounding_divide_by_pot(sat_rounding_doubling_high_mul(reciprocal, e), bits_over_unit + 23) - 128;
            value = clamp32(value, -128, 127);
        }
        out[i] = (int8_t)value;
    }
}

static size_t shape_bytes(const kwsc_nn_shape *s)
{
    return (size_t)s->height * s->width * s->channels;
}

static int op_check(const kwsc_nn_op *op, uint32_t arena_bytes)
{
    const size_t in_bytes = shape_bytes(&op->in);
    const size_t out_bytes = shape_bytes(&op->out);
    const int needs_requant = op->type == KWSC_NN_CONV2D || op->type == KWSC_NN_DEPTHWISE_CONV2D ||
                              op->type == KWSC_NN_FULLY_CONNECTED;
    int c;
    if (in_bytes == 0u || out_bytes == 0u || op->input_at > arena_bytes || op->output_at > arena_bytes ||
        in_bytes > arena_bytes - op->input_at || out_bytes > arena_bytes - op->output_at ||
        op->act_min > op->act_max || op->act_min < -128 || op->act_max > 127) {
        return KWSC_ERR_CONFIG;
    }
    if (op->type > KWSC_NN_SOFTMAX) {
        return KWSC_ERR_CONFIG;
    }
    if (op->type != KWSC_NN_RESHAPE && op->input_at < op->output_at + out_bytes &&
        op->output_at < op->input_at + in_bytes) {
        return KWSC_ERR_CONFIG; /* only a reshape may work in place */
    }
    if (needs_requant) {
        /* An int8 zero point is -128..127; the packed columns of conv2d_columns rely on it. */
        if (op->weights == NULL || op->multiplier == NULL || op->shift == NULL || op->input_offset < -127 ||
            op->input_offset > 128) {
            return KWSC_ERR_CONFIG;
        }
        for (c = 0; c < op->out.channels; c++) {
            if (op->multiplier[c] < 0 || op->shift[c] < -31 || op->shift[c] > 30) {
                return KWSC_ERR_CONFIG;
            }
        }
    }
    if ((op->type == KWSC_NN_CONV2D || op->type == KWSC_NN_DEPTHWISE_CONV2D ||
         op->type == KWSC_NN_AVERAGE_POOL2D) &&
        (op->stride_height == 0u || op->stride_width == 0u || op->filter_height == 0u || op->filter_width == 0u)) {
        return KWSC_ERR_CONFIG;
    }
    switch (op->type) {
    case KWSC_NN_RESHAPE:
        return in_bytes == out_bytes ? KWSC_OK : KWSC_ERR_CONFIG;
    case KWSC_NN_CONV2D:
    case KWSC_NN_DEPTHWISE_CONV2D:
        if (op->dilation_height == 0u || op->dilation_width == 0u) {
            return KWSC_ERR_CONFIG;
        }
        if (op->type == KWSC_NN_DEPTHWISE_CONV2D &&
            (op->depth_multiplier == 0u || op->out.channels != op->in.channels * op->depth_multiplier)) {
            return KWSC_ERR_CONFIG;
        }
        return KWSC_OK;
    case KWSC_NN_FULLY_CONNECTED:
        return op->out.height == 1u && op->out.width == 1u ? KWSC_OK : KWSC_ERR_CONFIG;
    case KWSC_NN_AVERAGE_POOL2D:
        return op->in.channels == op->out.channels ? KWSC_OK : KWSC_ERR_CONFIG;
    default: /* softmax: one row; every difference that is used, shifted, stays inside int32 */
        return in_bytes == out_bytes && op->in.height == 1u && op->in.width == 1u &&
                       op->softmax_multiplier >= 0 && op->softmax_shift >= 0 && op->softmax_shift <= 30 &&
                       op->softmax_diff_min <= 0 &&
                       ((int64_t)-op->softmax_diff_min << op->softmax_shift) <= INT32_MAX
                   ? KWSC_OK
                   : KWSC_ERR_CONFIG;
    }
}

int kwsc_nn_check(const kwsc_nn_model *model)
{
    uint16_t i;
    if (model == NULL || (model->num_ops > 0u && model->ops == NULL)) {
        return KWSC_ERR_NULL;
    }
    if (model->num_ops == 0u || model->input_at > model->arena_bytes ||
        model->input_bytes > model->arena_bytes - model->input_at || model->output_at > model->arena_bytes ||
        model->output_bytes > model->arena_bytes - model->output_at) {
        return KWSC_ERR_CONFIG;
    }
    for (i = 0; i < model->num_ops; i++) {
        if (op_check(&model->ops[i], model->arena_bytes) != KWSC_OK) {
            return KWSC_ERR_CONFIG;
        }
    }
    return KWSC_OK;
}

int8_t *kwsc_nn_input(const kwsc_nn_model *model, void *arena)
{
    return (int8_t *)arena + model->input_at;
}

const int8_t *kwsc_nn_output(const kwsc_nn_model *model, const void *arena)
{
    return (const int8_t *)arena + model->output_at;
}

int kwsc_nn_invoke(const kwsc_nn_model *model, void *arena, size_t arena_bytes)
{
    int8_t *base = (int8_t *)arena;
    uint16_t i;
    if (model == NULL || arena == NULL || model->ops == NULL) {
        return KWSC_ERR_NULL;
    }
    if (arena_bytes < model->arena_bytes || ((uintptr_t)arena & 3u) != 0u) {
        return KWSC_ERR_MEMORY;
    }
    for (i = 0; i < model->num_ops; i++) {
        const kwsc_nn_op *op = &model->ops[i];
        const int8_t *in = base + op->input_at;
        int8_t *out = base + op->output_at;
        switch (op->type) {
        case KWSC_NN_RESHAPE:
            if (in != out) {
                memmove(out, in, shape_bytes(&op->in));
            }
            break;
        case KWSC_NN_CONV2D:
            if (op->filter_height * op->filter_width * op->in.channels <= COLUMN_MAX) {
                conv2d_columns(op, in, out);
            } else {
                conv2d_direct(op, in, out);
            }
            break;
        case KWSC_NN_DEPTHWISE_CONV2D:
            depthwise_conv2d(op, in, out);
            break;
        case KWSC_NN_FULLY_CONNECTED:
            fully_connected(op, in, out);
            break;
        case KWSC_NN_AVERAGE_POOL2D:
            average_pool2d(op, in, out);
            break;
        case KWSC_NN_SOFTMAX:
            softmax(op, in, out);
            break;
        default:
            return KWSC_ERR_CONFIG;
        }
    }
    return KWSC_OK;
}
