/*
 * kwsc_window.h - framing: pre-emphasis, symmetric window, block-floating-point normalisation.
 *
 * Turns one frame of int16 PCM into the int32 input of the real FFT, normalised so the frame's
 * largest pre-emphasised sample has 31 significant bits whatever the input level (-90 dBFS to
 * full scale keep the same relative precision). The block exponent it returns lets later stages
 * recover absolute energies.
 */
#ifndef KWSC_WINDOW_H
#define KWSC_WINDOW_H

#include "kwsc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Pre-emphasise, window and normalise one frame.
 *
 * samples      window_len int16 PCM samples (Q0, the stream's integer sample values).
 * prev_sample  the stream sample just before samples[0] (0 at stream start); used by pre-emphasis.
 * preemph_q15  pre-emphasis coefficient a in Q15 (0 = off, 31785 = 0.97): y[n] = x[n] - a x[n-1].
 * window_q31   floor(window_len / 2) + 2 window values w[0..half + 1] in Q31 (1.0 stored as
 *              INT32_MAX); the window is symmetric, w[window_len - n] = w[n] (a periodic Hann
 *              window is), so these cover every n.
 * out          fft_size int32 values: the windowed frame, zero-padded from window_len to fft_size,
 *              its (even, odd) sample pairs in bit-reversed pair order, as kwsc_fft_real_forward
 *              takes them (kwsc_fft_bit_reverse_pairs undoes the permutation).
 *
 * Returns the block shift r = bits - 16, where 2^(bits-1) <= max |32768 x_pe| < 2^bits:
 * out[n] = x_pe[n] * w[n] * 2^(29 - r) up to rounding, x_pe the pre-emphasised signal in Q0.
 * |out[n]| < 2^30, as the FFT's headroom requires. Only the window product is rounded.
 */
int kwsc_window_apply(const int16_t *samples, int16_t prev_sample, int16_t preemph_q15,
                      const int32_t *window_q31, uint16_t window_len, int32_t *out,
                      uint16_t fft_size);

#ifdef __cplusplus
}
#endif

#endif /* KWSC_WINDOW_H */
