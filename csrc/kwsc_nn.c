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

/* Standard and depthwise convolution share the sliding-window loop; padding is skipped, which
 * equals padding with the input zero point because the input offset cancels it. */
static void conv2d(const kwsc_nn_op *op, const int8_t *in, int8_t *out, int depthwise)
{
    const int in_h = op->in.height, in_w = op->in.width, in_c = op->in.channels;
    const int out_h = op->out.height, out_w = op->out.width, out_c = op->out.channels;
    const int k_h = op->filter_height, k_w = op->filter_width;
    int oy, ox, oc;
    for (oy = 0; oy < out_h; oy++) {
        const int y0 = oy * op->stride_height - op->pad_top;
        for (ox = 0; ox < out_w; ox++) {
            const int x0 = ox * op->stride_width - op->pad_left;
            for (oc = 0; oc < out_c; oc++) {
                int32_t acc = 0;
                int ky, kx, ic;
                for (ky = 0; ky < k_h; ky++) {
                    const int y = y0 + op->dilation_height * ky;
                    if (y < 0 || y >= in_h) {
                        continue;
                    }
                    for (kx = 0; kx < k_w; kx++) {
                        const int x = x0 + op->dilation_width * kx;
                        const int8_t *pixel;
                        if (x < 0 || x >= in_w) {
                            continue;
                        }
                        pixel = in + ((size_t)y * in_w + x) * in_c;
                        if (depthwise) {
                            const int32_t w = op->weights[((size_t)ky * k_w + kx) * out_c + oc];
                            acc += w * ((int32_t)pixel[oc / op->depth_multiplier] + op->input_offset);
                        } else {
                            const int8_t *w = op->weights + (((size_t)oc * k_h + ky) * k_w + kx) * in_c;
                            for (ic = 0; ic < in_c; ic++) {
                                acc += (int32_t)w[ic] * ((int32_t)pixel[ic] + op->input_offset);
                            }
                        }
                    }
                }
                if (op->bias != NULL) {
                    acc += op->bias[oc];
                }
                acc = kwsc_nn_requantize(acc, op->multiplier[oc], op->shift[oc]) + op->output_offset;
                out[((size_t)oy * out_w + ox) * out_c + oc] = (int8_t)clamp32(acc, op->act_min, op->act_max);
            }
        }
    }
}

static void fully_connected(const kwsc_nn_op *op, const int8_t *in, int8_t *out)
{
    const size_t depth = (size_t)op->in.height * op->in.width * op->in.channels;
    const int outputs = op->out.channels;
    int o;
    for (o = 0; o < outputs; o++) {
        const int8_t *w = op->weights + (size_t)o * depth;
        int32_t acc = 0;
        size_t d;
        for (d = 0; d < depth; d++) {
            acc += (int32_t)w[d] * ((int32_t)in[d] + op->input_offset);
        }
        if (op->bias != NULL) {
            acc += op->bias[o];
        }
        acc = kwsc_nn_requantize(acc, op->multiplier[o], op->shift[o]) + op->output_offset;
        out[o] = (int8_t)clamp32(acc, op->act_min, op->act_max);
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
        if (op->weights == NULL || op->multiplier == NULL || op->shift == NULL) {
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
            conv2d(op, in, out, 0);
            break;
        case KWSC_NN_DEPTHWISE_CONV2D:
            conv2d(op, in, out, 1);
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
