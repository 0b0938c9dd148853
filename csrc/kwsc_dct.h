/*
 * kwsc_dct.h - DCT-II of the log mel energies to cepstral coefficients.
 *
 * With the orthonormal DCT-II matrix D (D[0][m] = sqrt(1/M), D[i][m] = sqrt(2/M)
 * cos(pi i (m + 1/2) / M)), c = D L, the same convention as scipy.fft.dct(type=2, norm="ortho").
 */
#ifndef KWSC_DCT_H
#define KWSC_DCT_H

#include "kwsc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * ceps_q6[i] = round(sum_m dct_q15[i * num_mel + m] * log_q16[m]) in Q6 log2 units, rounding
 * half up, saturated to int16 (+-512 log2 units).
 */
void kwsc_dct_q6(const int32_t *log_q16, uint16_t num_mel, const int16_t *dct_q15,
                 uint16_t num_ceps, int16_t *ceps_q6);

#ifdef __cplusplus
}
#endif

#endif /* KWSC_DCT_H */
