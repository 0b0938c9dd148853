/* kwsc_window.c - see kwsc_window.h. */
#include "kwsc_window.h"

#include "kwsc_fft.h"

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

/* Index of the highest set bit of v (0..31); v must be nonzero. */
static inline int msb32(uint32_t v)
{
    int n = 0;
    if (v >> 16) { v >>= 16; n += 16; }
    if (v >> 8) { v >>= 8; n += 8; }
    if (v >> 4) { v >>= 4; n += 4; }
    if (v >> 2) { v >>= 2; n += 2; }
    if (v >> 1) { n += 1; }
    return n;
}

int kwsc_window_apply(const int16_t *samples, int16_t prev_sample, int16_t preemph_q15,
                      const int32_t *window_q31, uint16_t window_len, int32_t *out,
                      uint16_t fft_size)
{
    uint32_t magnitude_bits = 0;
    uint32_t half = window_len / 2u;
    uint32_t pairs = fft_size / 2u;
    uint32_t n;
    uint32_t i = 0;
    uint32_t j = 0; /* bitreverse(i) */
    int32_t before = prev_sample;
    uint32_t gain;
    uint32_t x_gain;
    uint32_t before_gain;
    int bits = 0;

    /* Pass 1: the frame's peak pre-emphasised magnitude (the OR has the max's leading bit). */
    if (preemph_q15 == 0) {
        /* y = 32768 x: OR |x|, then shift (|y| = |x| << 15 exactly, and OR commutes with it). */
        for (n = 0; n < window_len; n++) {
            int32_t x = samples[n];
            magnitude_bits |= (uint32_t)(x < 0 ? -x : x);
        }
        magnitude_bits <<= 15;
    } else {
        for (n = 0; n < window_len; n++) {
            int32_t y = preemphasise(samples[n], before, preemph_q15);
            before = samples[n];
            magnitude_bits |= (uint32_t)(y < 0 ? -y : y);
        }
    }
    /* bits = msb + 1 (|y| < 2^31, so bits <= 31), or 0 for digital silence. */
    if (magnitude_bits != 0u) {
        bits = msb32(magnitude_bits) + 1;
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
    before = prev_sample;
    for (; 2u * i <= half; i++) { /* rising half: w[n] (the table holds w[0..half + 1]) */
        int32_t x0 = samples[2u * i];
        int32_t x1 = samples[2u * i + 1u];
        out[2u * j] = kwsc_mul_hi32(scaled(x0, before, x_gain, before_gain), window_q31[2u * i]);
        out[2u * j + 1u] =
            kwsc_mul_hi32(scaled(x1, x0, x_gain, before_gain), window_q31[2u * i + 1u]);
        before = x1;
        j = kwsc_fft_next_reversed(j, pairs);
    }
    for (; 2u * i + 1u < window_len; i++) { /* falling half: w[n] = w[L - n] */
        int32_t x0 = samples[2u * i];
        int32_t x1 = samples[2u * i + 1u];
        out[2u * j] = kwsc_mul_hi32(scaled(x0, before, x_gain, before_gain),
                                    window_q31[window_len - 2u * i]);
        out[2u * j + 1u] = kwsc_mul_hi32(scaled(x1, x0, x_gain, before_gain),
                                         window_q31[window_len - 2u * i - 1u]);
        before = x1;
        j = kwsc_fft_next_reversed(j, pairs);
    }
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
