/* kwsc_window.c - see kwsc_window.h. */
#include "kwsc_window.h"

#include "kwsc_fft.h"

/* Windowed sample: (32768 x[n] - a x[n-1]) * w / 2, with w in Q31; |result| < 2^30. */
static inline int32_t windowed(int32_t x, int32_t before, int16_t preemph_q15, int32_t w_q31)
{
    return kwsc_mul_hi32(x * 32768 - preemph_q15 * before, w_q31);
}

/* Window sample pair i (samples 2i, 2i + 1; zero past the window) into slot; returns OR of |.|. */
static inline uint32_t window_pair(const int16_t *samples, int16_t prev_sample, int16_t preemph_q15,
                                   const int32_t *window_q31, uint32_t window_len, uint32_t i,
                                   int32_t *slot)
{
    uint32_t half = window_len / 2u;
    uint32_t n = 2u * i;
    int32_t a = 0;
    int32_t b = 0;
    if (n < window_len) {
        int32_t before = (n == 0u) ? prev_sample : samples[n - 1u];
        a = windowed(samples[n], before, preemph_q15, window_q31[n <= half ? n : window_len - n]);
        n++;
        if (n < window_len) { /* an odd window length pairs its last sample with padding */
            b = windowed(samples[n], samples[n - 1u], preemph_q15,
                         window_q31[n <= half ? n : window_len - n]);
        }
    }
    slot[0] = a;
    slot[1] = b;
    return (uint32_t)(a < 0 ? -a : a) | (uint32_t)(b < 0 ? -b : b);
}

int kwsc_window_apply(const int16_t *samples, int16_t prev_sample, int16_t preemph_q15,
                      const int32_t *window_q31, uint16_t window_len, int32_t *out,
                      uint16_t fft_size)
{
    uint32_t magnitude_bits = 0;
    uint32_t quarter = fft_size / 8u; /* a quarter of the fft_size / 2 sample pairs */
    uint32_t q;
    uint32_t r = 0;
    int bits = 0;
    int shift;

    /*
     * Pass 1: pre-emphasis (exact, Q15) times the window (one Q31 multiply, which halves), in
     * bit-reversed pair order, the FFT's input order: pair i goes to slot bitreverse(i), and so
     * does the zero padding. Pairs q, q + P/4, q + P/2, q + 3P/4 (P pairs in all) land in slots
     * 4 r, 4 r + 2, 4 r + 1, 4 r + 3 with r = bitreverse(q) over log2(P/4) bits, so one reversed
     * counter step serves four pairs. The OR of all magnitudes has the maximum's leading bit.
     */
    for (q = 0; q < quarter; q++) {
        int32_t *slots = &out[8u * r];
        magnitude_bits |= window_pair(samples, prev_sample, preemph_q15, window_q31, window_len,
                                      q, &slots[0]);
        magnitude_bits |= window_pair(samples, prev_sample, preemph_q15, window_q31, window_len,
                                      q + quarter, &slots[4]);
        magnitude_bits |= window_pair(samples, prev_sample, preemph_q15, window_q31, window_len,
                                      q + 2u * quarter, &slots[2]);
        magnitude_bits |= window_pair(samples, prev_sample, preemph_q15, window_q31, window_len,
                                      q + 3u * quarter, &slots[6]);
        r = kwsc_fft_next_reversed(r, quarter);
    }

    /* Pass 2: block normalisation, shifting the peak up to 30 significant bits. */
    while (bits < 31 && (magnitude_bits >> bits) != 0u) {
        bits++;
    }
    if (bits == 0) {
        return 0; /* digital silence: all zeros, any exponent will do */
    }
    shift = 30 - bits;
    if (shift > 0) {
        int32_t gain = (int32_t)1 << shift;
        uint32_t i;
        for (i = 0; i < fft_size; i++) {
            out[i] *= gain;
        }
    }
    /* out = 32768 x_pe * w / 2 * 2^shift = x_pe * w * 2^(44 - bits) = x_pe * w * 2^(29 - r) */
    return bits - 15;
}
