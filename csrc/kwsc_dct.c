/* kwsc_dct.c - see kwsc_dct.h. */
#include "kwsc_dct.h"

/* A Q31 sum to Q6, rounded to nearest (ties up) and saturated. */
static inline int16_t q31_to_q6(int64_t acc)
{
    return kwsc_sat16((acc + ((int64_t)1 << 24)) >> 25);
}

void kwsc_dct_q6(const int32_t *log_q16, uint16_t num_mel, const int16_t *dct_half_q15,
                 uint16_t num_ceps, int32_t *scratch, int16_t *ceps_q6)
{
    uint32_t half = ((uint32_t)num_mel + 1u) / 2u;
    int32_t *sum = scratch;          /* L[m] + L[M-1-m]: what even rows weight */
    int32_t *diff = scratch + half;  /* L[m] - L[M-1-m]: what odd rows weight */
    const int32_t *mirror = log_q16 + num_mel;
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
    /*
     * Rows of one parity weight the same vector, so rows i and i + 2 share one pass over it
     * (i = 0, 1, 4, 5, 8, 9, ...): each value is loaded once for two multiply-accumulates. The
     * integer sums are exact in any grouping (|sum| < 2^52).
     */
    for (i = 0; i < num_ceps; i = (i & 1u) != 0u ? i + 3u : i + 1u) {
        const int32_t *x = (i & 1u) != 0u ? diff : sum;
        const int16_t *row = dct_half_q15 + (size_t)i * half;
        const int16_t *row2 = i + 2u < num_ceps ? row + 2u * half : row; /* a last lone row: itself again */
        int64_t acc = 0;
        int64_t acc2 = 0;
        for (m = 0; m < half; m++) {
            int32_t v = x[m];
            acc += (int64_t)row[m] * v; /* Q15 * Q16 = Q31 */
            acc2 += (int64_t)row2[m] * v;
        }
        if (i + 2u < num_ceps) {
            ceps_q6[i + 2u] = q31_to_q6(acc2);
        }
        ceps_q6[i] = q31_to_q6(acc);
    }
}
