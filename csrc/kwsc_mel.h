/*
 * kwsc_mel.h - power spectrum and triangular mel filterbank.
 *
 * Triangles are laid between num_mel + 2 points equally spaced on the HTK mel scale
 * (mel = 2595 log10(1 + f / 700)) from mel_low_hz to mel_high_hz, with unit height. Adjacent
 * triangles overlap so that at every FFT bin the rising weight of band j and the falling weight
 * of band j-1 sum to exactly one: each bin stores one Q15 weight, each segment its bin count,
 * and the power is split between the two bands without loss.
 */
#ifndef KWSC_MEL_H
#define KWSC_MEL_H

#include "kwsc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Mel band energies of one packed FFT frame (kwsc_fft_real_forward's output).
 *
 * spectrum      fft_size packed int32 values, |value| <= 2^30.5.
 * first_bin     first FFT bin inside (mel_low_hz, mel_high_hz); >= 1, since bin 0 (and bin
 *               fft_size/2) can never lie strictly inside the range, both are packed apart.
 * segment_bins  num_mel + 1 counts: segment j (j = 0..num_mel) is the run of consecutive bins
 *               between mel points j and j+1, rising edge of band j and falling edge of band
 *               j-1. The bins from first_bin on are covered in order, all below fft_size / 2.
 * weight_q15    one rising weight of band j in Q15 per bin (band j-1 gets 32768 - weight).
 * energy        num_mel + 2 uint64 outputs: energy[1 + m] is band m, the sum over bins of
 *               weight * (Re^2 + Im^2) in the square of the spectrum's units (a frame's total
 *               is <= 2^62, so nothing overflows), the rising part of each segment rounded
 *               down once; energy[0] and energy[num_mel + 1] receive the outer halves of the
 *               first and last segments and are ignored.
 */
void kwsc_mel_energies(const int32_t *spectrum, uint16_t first_bin, const uint16_t *segment_bins,
                       const int16_t *weight_q15, uint16_t num_mel, uint64_t *energy);

#ifdef __cplusplus
}
#endif

#endif /* KWSC_MEL_H */
