/* kwsc_window.c - see kwsc_window.h. */
#include "kwsc_window.h"

#include "kwsc_fft.h"

/* Magnitude of v as an unsigned value (v > INT32_MIN here). */
static inline uint32_t magnitude(int32_t v)
{
    return (uint32_t)(v < 0 ? -v : v);
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
    uint32_t j = 0;
    int32_t before = prev_sample;
    int32_t gain;
    int bits = 0;

    /*
     * Pass 1, in natural order: exact pre-emphasis in Q15 (|32768 x[n] - a x[n-1]| < 2^31) times
     * the window with one Q31 multiply, which halves. The loop is split where the symmetric
     * window's index turns (w[L - n] = w[n]). The OR of all magnitudes has the max's leading bit.
     */
    for (n = 0; n <= half && n < window_len; n++) {
        int32_t x = samples[n];
        int32_t v = kwsc_mul_hi32(x * 32768 - preemph_q15 * before, window_q31[n]);
        before = x;
        out[n] = v;
        magnitude_bits |= magnitude(v);
    }
    for (; n < window_len; n++) {
        int32_t x = samples[n];
        int32_t v = kwsc_mul_hi32(x * 32768 - preemph_q15 * before, window_q31[window_len - n]);
        before = x;
        out[n] = v;
        magnitude_bits |= magnitude(v);
    }
    for (; n < fft_size; n++) {
        out[n] = 0;
    }

    while (bits < 31 && (magnitude_bits >> bits) != 0u) {
        bits++;
    }
    if (bits == 0) {
        return 0; /* digital silence: all zeros, any exponent will do */
    }

    /*
     * Pass 2: block normalisation (shift the peak up to 30 significant bits) fused with the
     * permutation of the (even, odd) sample pairs into bit-reversed order, the FFT's input order.
     * Every pair is scaled exactly once: when it is swapped, or when it stays in place.
     */
    gain = (int32_t)1 << (30 - bits);
    for (i = 0; i < pairs; i++) {
        if (i < j) {
            int32_t ar = out[2u * i] * gain;
            int32_t ai = out[2u * i + 1u] * gain;
            out[2u * i] = out[2u * j] * gain;
            out[2u * i + 1u] = out[2u * j + 1u] * gain;
            out[2u * j] = ar;
            out[2u * j + 1u] = ai;
        } else if (i == j) {
            out[2u * i] *= gain;
            out[2u * i + 1u] *= gain;
        }
        j = kwsc_fft_next_reversed(j, pairs);
    }
    /* out = 32768 x_pe * w / 2 * 2^(30 - bits) = x_pe * w * 2^(44 - bits) = x_pe * w * 2^(29 - r) */
    return bits - 15;
}
