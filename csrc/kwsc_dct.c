/* kwsc_dct.c - see kwsc_dct.h. */
#include "kwsc_dct.h"

void kwsc_dct_q6(const int32_t *log_q16, uint16_t num_mel, const int16_t *dct_q15,
                 uint16_t num_ceps, int16_t *ceps_q6)
{
    uint16_t i;
    uint16_t m;
    for (i = 0; i < num_ceps; i++) {
        const int16_t *row = &dct_q15[(uint32_t)i * num_mel];
        int64_t acc = 0;
        for (m = 0; m < num_mel; m++) {
            acc += (int64_t)row[m] * log_q16[m]; /* Q15 * Q16 = Q31 */
        }
        ceps_q6[i] = kwsc_sat16((acc + ((int64_t)1 << 24)) >> 25);
    }
}
