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
 * ceps_q6[i] = round(sum_m D[i][m] log_q16[m]) in Q6 log2 units (Q15 x Q16 = Q31, then >> 25),
 * rounding half up, saturated to int16 (+-512 log2 units). The sum is exact in int64.
 *
 * dct_half_q15  num_ceps rows of H = ceil(num_mel / 2) values D[i][0..H-1] in Q15: the left half
 *               of each row. The DCT-II's symmetry D[i][M-1-m] = (-1)^i D[i][m] gives the
 *               rest, so an even row weights L[m] + L[M-1-m] and an odd row L[m] - L[M-1-m]:
 *               half the table and half the multiplies for the same exact integer sum as the
 *               full matrix with mirrored entries.
 * scratch       2 H int32 values the function overwrites (the frontend lends its spent mel
 *               energy buffer).
 */
void kwsc_dct_q6(const int32_t *log_q16, uint16_t num_mel, const int16_t *dct_half_q15,
                 uint16_t num_ceps, int32_t *scratch, int16_t *ceps_q6);

#ifdef __cplusplus
}
#endif

#endif /* KWSC_DCT_H */
