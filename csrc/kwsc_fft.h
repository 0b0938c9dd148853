/*
 * kwsc_fft.h - in-place fixed-point real FFT (int32 data, Q31 twiddles).
 *
 * An N-point real FFT computed as an N/2-point complex decimation-in-time FFT on the even/odd
 * sample pairs (radix-4 passes, plus one radix-2 pass when log2(N/2) is odd), followed by the
 * usual split into the real spectrum. Every pass scales its output so that the result is
 * X[k] / N: no pass can overflow when |x[n]| <= 2^30, and no block exponent has to be tracked
 * inside the FFT. With 30-bit inputs the truncation noise sits more than 120 dB below a
 * full-scale bin.
 *
 * The input is expected in bit-reversed pair order (see kwsc_fft_bit_reverse_pairs): the
 * framing stage writes it that way directly, which saves a permutation pass per frame.
 */
#ifndef KWSC_FFT_H
#define KWSC_FFT_H

#include "kwsc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Given j = bitreverse(i) over log2(m) bits, return bitreverse(i + 1). m is a power of two.
 * Amortised two loop steps; used to walk indexes in bit-reversed order without a table.
 */
static inline uint32_t kwsc_fft_next_reversed(uint32_t j, uint32_t m)
{
    uint32_t bit = m >> 1;
    while (j & bit) {
        j ^= bit;
        bit >>= 1;
    }
    return j | bit;
}

/*
 * Permute fft_size int32 values, seen as fft_size/2 (re, im) pairs, into bit-reversed pair
 * order: the input order kwsc_fft_real_forward expects. (Its own inverse.)
 */
void kwsc_fft_bit_reverse_pairs(int32_t *data, uint16_t fft_size);

/*
 * Forward real FFT, in place.
 *
 * data         fft_size int32 samples in bit-reversed pair order, |data[n]| <= 2^30
 *              (kwsc_window_apply writes exactly that). On return, the spectrum divided by
 *              fft_size in "packed" order:
 *              data[2k], data[2k+1] = Re, Im of X[k] / fft_size for 1 <= k < fft_size/2,
 *              data[0] = X[0] / fft_size (real), data[1] = X[fft_size/2] / fft_size (real).
 * fft_size     a power of two, 8..4096.
 * twiddle_q31  fft_size/4 + 1 values cos(2 pi k / fft_size) in Q31, k = 0..fft_size/4: a
 *              quarter-wave cosine from which every twiddle exp(-2 pi i k / fft_size) is read
 *              (the sines backwards); cos(0) is stored as INT32_MAX.
 */
void kwsc_fft_real_forward(int32_t *data, uint16_t fft_size, const int32_t *twiddle_q31);

#ifdef __cplusplus
}
#endif

#endif /* KWSC_FFT_H */
