/* kwsc_window.c - see kwsc_window.h. */
#include "kwsc_window.h"

int kwsc_window_apply(const int16_t *samples, int16_t prev_sample, int16_t preemph_q15,
                      const int32_t *window_q31, uint16_t window_len, int32_t *out,
                      uint16_t fft_size)
{
    uint32_t magnitude_bits = 0;
    int32_t prev = prev_sample;
    uint16_t n;
    uint16_t half;
    int bits = 0;
    int32_t gain;

    /* Pass 1: exact pre-emphasis in Q15. |y| <= 2^31 - 2^16, so int32 holds it without rounding. */
    for (n = 0; n < window_len; n++) {
        int32_t x = samples[n];
        int32_t y = x * 32768 - preemph_q15 * prev;
        prev = x;
        out[n] = y;
        magnitude_bits |= (uint32_t)(y < 0 ? -y : y);
    }
    while (bits < 31 && (magnitude_bits >> bits) != 0u) {
        bits++;
    }
    if (bits == 0) {
        bits = 1; /* digital silence: every sample is 0 and stays 0 */
    }

    /*
     * Pass 2: normalise to 31 significant bits, then one Q31 multiply by the window; the
     * multiply halves, so |out| < 2^30. Exponent: out = x_pe * w * 2^(15 + 31 - bits - 1).
     */
    gain = (int32_t)1 << (31 - bits);
    half = window_len / 2u;
    for (n = 0; n <= half; n++) {
        out[n] = kwsc_mul_hi32(out[n] * gain, window_q31[n]);
    }
    for (; n < window_len; n++) {
        out[n] = kwsc_mul_hi32(out[n] * gain, window_q31[window_len - n]);
    }
    for (n = window_len; n < fft_size; n++) {
        out[n] = 0;
    }
    return bits - 16;
}
