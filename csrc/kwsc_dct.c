/* kwsc_dct.c - see kwsc_dct.h. */
#include "kwsc_dct.h"

void kwsc_dct_q6(const int32_t *log_q16, uint16_t num_mel, const int16_t *dct_half_q15,
                 uint16_t num_ceps, int32_t *scratch, int16_t *ceps_q6)
{
    uint32_t half = ((uint32_t)num_mel + 1u) / 2u;
    int32_t *sum = scratch;          /* L[m] + L[M-1-m]: what even rows weight */
    int32_t *diff = scratch + half;  /* L[m] - L[M-1-m]: what odd rows weight */
    const int32_t *mirror = log_q16 + num_mel;
    const int16_t *row = dct_half_q15;
    uint32_t m;
    uint16_t i;

    for (m = 0; m < num_mel / 2u; m++) {
        int32_t a = log_q16[m];
        int32_t b = *--mirror;
        sum[m] = a + b;
        diff[m] = a - b;
    }
    if ((num_mel & 1u) != 0u) { /* the middle column pairs with itself (odd rows weight it 0) */
        sum[m] = log_q16[m];
        diff[m] = log_q16[m];
    }
    for (i = 0; i < num_ceps; i++) {
        const int32_t *x = (i & 1u) != 0u ? diff : sum;
        const int32_t *last = x + half;
        const int32_t *last_quad = x + (half & ~3u); /* end of the four-a-step part */
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
