/* kwsc_dct.c - see kwsc_dct.h. */
#include "kwsc_dct.h"

void kwsc_dct_q6(const int32_t *log_q16, uint16_t num_mel, const int16_t *dct_q15,
                 uint16_t num_ceps, int16_t *ceps_q6)
{
    uint16_t i;
    const int16_t *row = dct_q15;
    const int32_t *last_quad = log_q16 + (num_mel & ~3u); /* end of the four-a-step part */
    const int32_t *last = log_q16 + num_mel;
    for (i = 0; i < num_ceps; i++) {
        const int32_t *x = log_q16;
        int64_t acc = 0;
        /* Four terms a step; the integer sum is exact in any grouping (|sum| < 2^52). */
        for (; x < last_quad; x += 4, row += 4) {
            acc += (int64_t)row[0] * x[0]; /* Q15 * Q16 = Q31 */
            acc += (int64_t)row[1] * x[1];
            acc += (int64_t)row[2] * x[2];
            acc += (int64_t)row[3] * x[3];
        }
        for (; x < last; x++, row++) {
            acc += (int64_t)*row * *x;
        }
        ceps_q6[i] = kwsc_sat16((acc + ((int64_t)1 << 24)) >> 25);
    }
}
