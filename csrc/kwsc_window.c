/* kwsc_window.c - see kwsc_window.h. */
#include "kwsc_window.h"

#include "kwsc_fft.h"

/* |x| as (x XOR s) - s with s the sign mask: two ALU instructions on Cortex-M4, no branch or IT block. */
static inline uint32_t magnitude(int32_t x)
{
    uint32_t sign = (uint32_t)(x >> 31);
    return ((uint32_t)x ^ sign) - sign;
}

/* Pre-emphasised sample in Q15, exact: |32768 x - a before| < 2^31. */
static inline int32_t preemphasise(int32_t x, int32_t before, int16_t preemph_q15)
{
    return x * 32768 - preemph_q15 * before;
}

/*
 * The pre-emphasised sample times the block gain 2^(31 - bits), computed as
 * x * (32768 gain) - before * (a gain) modulo 2^32. Both factors may wrap, but the true result
 * |y gain| < 2^31 fits, so the wrapped unsigned arithmetic gives it exactly (converted back with
 * the two's complement wrap every compiler we build with uses, checked in kwsc_common.h).
 */
static inline int32_t scaled(int32_t x, int32_t before, uint32_t x_gain, uint32_t before_gain)
{
    return (int32_t)((uint32_t)x * x_gain - (uint32_t)before * before_gain);
}

/* Where pass 2 stands: the next sample pair i, its pair slot j = bitreverse(i), x[2i - 1]. */
typedef struct {
    uint32_t i;
    uint32_t j;
    int32_t before;
} cursor;

/*
 * Pass 2 over the sample pairs cursor->i .. end - 1, whose window values run from w (the value
 * for sample 2i) in direction d (+1 rising, -1 falling: w[L - n] = w[n]). Pair i goes to pair
 * slot bitreverse(i).
 */
static inline void window_pair(const int16_t *xi, int32_t *o, const int32_t *w, int d,
                               int32_t before, uint32_t x_gain, uint32_t before_gain)
{
    o[0] = kwsc_mul_hi32(scaled(xi[0], before, x_gain, before_gain), w[0]);
    o[1] = kwsc_mul_hi32(scaled(xi[1], xi[0], x_gain, before_gain), w[d]);
}

/* With pre-emphasis: one pair a step. */
static void window_run_preemph(cursor *c, uint32_t end, const int16_t *x, const int32_t *w, int d,
                               int32_t *out, uint32_t pairs, uint32_t x_gain, uint32_t before_gain)
{
    uint32_t i = c->i;
    uint32_t j = c->j;
    int32_t before = c->before;
    const int16_t *xi = x + 2u * i;
    for (; i < end; i++) {
        window_pair(xi, out + 2u * j, w, d, before, x_gain, before_gain);
        before = xi[1];
        xi += 2;
        w += 2 * d;
        j = kwsc_fft_next_reversed(j, pairs);
    }
    c->i = i;
    c->j = j;
    c->before = before;
}

/* One pair without pre-emphasis: the sample times the block gain, times the window. */
static inline void window_pair_plain(const int16_t *xi, int32_t *o, const int32_t *w, int d, uint32_t x_gain)
{
    o[0] = kwsc_mul_hi32((int32_t)((uint32_t)xi[0] * x_gain), w[0]);
    o[1] = kwsc_mul_hi32((int32_t)((uint32_t)xi[1] * x_gain), w[d]);
}

/*
 * Without pre-emphasis (the default, and the case the instruction budget is for): two pairs a
 * step, and no pre-emphasis multiply. For an even i, pair i + 1 goes to bitreverse(i) +
 * pairs / 2, and bitreverse(i) = bitreverse(i / 2) over one bit fewer, so an aligned two pairs
 * take one step of kwsc_fft_next_reversed.
 */
static void window_run(cursor *c, uint32_t end, const int16_t *x, const int32_t *w, int d,
                       int32_t *out, uint32_t pairs, uint32_t x_gain)
{
    uint32_t i = c->i;
    uint32_t j = c->j;
    const int16_t *xi = x + 2u * i;
    if (i < end && (i & 1u) != 0u) { /* one pair to an even start */
        window_pair_plain(xi, out + 2u * j, w, d, x_gain);
        xi += 2;
        w += 2 * d;
        i++;
        j = kwsc_fft_next_reversed(j, pairs);
    }
    for (; i + 1u < end; i += 2u) { /* two pairs: slots j and j + pairs / 2 */
        int32_t *o = out + 2u * j;
        window_pair_plain(xi, o, w, d, x_gain);
        window_pair_plain(xi + 2, o + pairs, w + 2 * d, d, x_gain);
        xi += 4;
        w += 4 * d;
        j = kwsc_fft_next_reversed(j, pairs / 2u);
    }
    if (i < end) { /* one pair left */
        window_pair_plain(xi, out + 2u * j, w, d, x_gain);
        i++;
        j = kwsc_fft_next_reversed(j, pairs);
    }
    c->i = i;
    c->j = j; /* c->before is not needed: without pre-emphasis its gain is 0 */
}

int kwsc_window_apply(const int16_t *samples, int16_t prev_sample, int16_t preemph_q15,
                      const int32_t *window_q31, uint16_t window_len, int32_t *out,
                      uint16_t fft_size)
{
    uint32_t magnitude_bits = 0;
    uint32_t half = window_len / 2u;
    uint32_t pairs = fft_size / 2u;
    uint32_t n;
    uint32_t i;
    uint32_t j; /* bitreverse(i) */
    cursor c;
    int32_t before = prev_sample;
    uint32_t gain;
    uint32_t x_gain;
    uint32_t before_gain;
    int bits = 0;

    /* Pass 1: the frame's peak pre-emphasised magnitude (the OR has the max's leading bit). */
    if (preemph_q15 == 0) {
        /* y = 32768 x: OR |x|, then shift (|y| = |x| << 15 exactly, and OR commutes with it). */
        for (n = 0; n + 3u < window_len; n += 4u) {
            magnitude_bits |= magnitude(samples[n]) | magnitude(samples[n + 1u]) |
                              magnitude(samples[n + 2u]) | magnitude(samples[n + 3u]);
        }
        for (; n < window_len; n++) {
            magnitude_bits |= magnitude(samples[n]);
        }
        magnitude_bits <<= 15;
    } else {
        for (n = 0; n < window_len; n++) {
            int32_t y = preemphasise(samples[n], before, preemph_q15);
            before = samples[n];
            magnitude_bits |= magnitude(y);
        }
    }
    /* bits = msb + 1 (|y| < 2^31, so bits <= 31), or 0 for digital silence. */
    if (magnitude_bits != 0u) {
        bits = kwsc_msb32(magnitude_bits) + 1;
    }
    if (bits == 0) {
        bits = 1; /* digital silence: every sample is 0 and stays 0 */
    }
    gain = (uint32_t)1 << (31 - bits);
    x_gain = gain << 15; /* 32768 gain, modulo 2^32 */
    before_gain = (uint32_t)preemph_q15 * gain; /* a gain, modulo 2^32 */

    /*
     * Pass 2: normalise to 31 significant bits, then one Q31 multiply by the window, which
     * halves, so |out| < 2^30. Sample pair i (2i, 2i + 1) goes to pair slot bitreverse(i): the
     * FFT's input order. The loops split where the symmetric window's index turns (w[L - n] =
     * w[n]); the pair at the turn reads w[half + 1], which the table holds for that reason.
     */
    c.i = 0;
    c.j = 0;
    c.before = prev_sample;
    /*
     * Two runs each: the rising half (pairs with 2i <= half read w[n]; the table holds
     * w[0..half + 1]), then the falling half (pairs with 2i + 1 < window_len read w[L - n]).
     */
    if (preemph_q15 == 0) {
        window_run(&c, half / 2u + 1u, samples, window_q31, 1, out, pairs, x_gain);
        window_run(&c, half, samples, window_q31 + window_len - 2u * c.i, -1, out, pairs, x_gain);
    } else {
        window_run_preemph(&c, half / 2u + 1u, samples, window_q31, 1, out, pairs, x_gain, before_gain);
        window_run_preemph(&c, half, samples, window_q31 + window_len - 2u * c.i, -1, out, pairs, x_gain,
                           before_gain);
    }
    i = c.i;
    j = c.j;
    before = c.before;
    if (2u * i < window_len) { /* odd window length: the last sample pairs with padding */
        out[2u * j] = kwsc_mul_hi32(scaled(samples[2u * i], before, x_gain, before_gain),
                                    window_q31[window_len - 2u * i]);
        out[2u * j + 1u] = 0;
        j = kwsc_fft_next_reversed(j, pairs);
        i++;
    }
    for (; i < pairs; i++) { /* zero padding */
        out[2u * j] = 0;
        out[2u * j + 1u] = 0;
        j = kwsc_fft_next_reversed(j, pairs);
    }
    /* out = 32768 x_pe * 2^(31 - bits) * w / 2 = x_pe * w * 2^(45 - bits) = x_pe * w * 2^(29 - r) */
    return bits - 16;
}
