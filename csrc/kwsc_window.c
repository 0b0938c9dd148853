/* kwsc_window.c - see kwsc_window.h. */
#include "kwsc_window.h"

int kwsc_window_apply(const int16_t *samples, int16_t prev_sample, int16_t preemph_q15,
                      const int16_t *window_q14, uint16_t window_len, int32_t *out,
                      uint16_t fft_size)
{
    uint32_t magnitude_bits = 0;
    int32_t prev = prev_sample;
    uint16_t n;
    int bits = 0;
    int shift;

    /* Pass 1: exact pre-emphasis in Q15. |y| <= 2^31 - 2^16, so int32 holds it without rounding. */
    for (n = 0; n < window_len; n++) {
        int32_t x = samples[n];
        int32_t y = x * 32768 - preemph_q15 * prev;
        prev = x;
        out[n] = y;
        magnitude_bits |= (uint32_t)(y < 0 ? -y : y);
    }
    while (bits < 32 && (magnitude_bits >> bits) != 0u) {
        bits++;
    }

    /* Pass 2: scale to 16 significant bits (|y'| <= 2^16), then multiply by the Q14 window. */
    shift = bits - 16;
    if (shift > 0) {
        int32_t half = (int32_t)1 << (shift - 1);
        for (n = 0; n < window_len; n++) {
            int32_t y = (out[n] + half) >> shift;
            uint16_t idx = (n <= window_len / 2u) ? n : (uint16_t)(window_len - n);
            out[n] = y * window_q14[idx];
        }
    } else {
        int32_t gain = (int32_t)1 << (-shift);
        for (n = 0; n < window_len; n++) {
            int32_t y = out[n] * gain;
            uint16_t idx = (n <= window_len / 2u) ? n : (uint16_t)(window_len - n);
            out[n] = y * window_q14[idx];
        }
    }
    for (n = window_len; n < fft_size; n++) {
        out[n] = 0;
    }
    return shift;
}
