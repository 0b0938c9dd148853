/*
 * kwsc_fft.h - in-place fixed-point real FFT (int32 data, Q31 twiddles).
 *
 * An N-point real FFT computed as an N/2-point complex radix-2 decimation-in-time FFT on the
 * even/odd sample pairs, followed by the usual split into the real spectrum. Every stage halves
 * its output, so the result is X[k] / N: no stage can overflow when |x[n]| <= 2^30, and no block
 * exponent has to be tracked inside the FFT. With 30-bit inputs the truncation noise sits more
 * than 120 dB below a full-scale bin.
 */
#ifndef KWSC_FFT_H
#define KWSC_FFT_H

#include "kwsc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Forward real FFT, in place.
 *
 * data         fft_size int32 samples, |data[n]| <= 2^30 (kwsc_window_apply guarantees it).
 *              On return, the spectrum divided by fft_size in "packed" order:
 *              data[2k], data[2k+1] = Re, Im of X[k] / fft_size for 1 <= k < fft_size/2,
 *              data[0] = X[0] / fft_size (real), data[1] = X[fft_size/2] / fft_size (real).
 * fft_size     a power of two, 8..4096.
 * twiddle_q31  fft_size/4 pairs (cos, -sin)(2 pi k / fft_size) in Q31, k = 0..fft_size/4-1,
 *              i.e. exp(-2 pi i k / fft_size); cos(0) is stored as INT32_MAX.
 */
void kwsc_fft_real_forward(int32_t *data, uint16_t fft_size, const int32_t *twiddle_q31);

#ifdef __cplusplus
}
#endif

#endif /* KWSC_FFT_H */
