/*
 * kwsc_log.h - fixed-point log2 of mel energies.
 *
 * log2(v) = msb(v) + log2(1 + f), with f the bits below the leading one; log2(1 + f) is read
 * from a (2^KWSC_LOG2_LUT_BITS + 1)-entry Q16 table with linear interpolation (maximum error
 * 1.8e-4 in log2 units, 0.0005 dB).
 */
#ifndef KWSC_LOG_H
#define KWSC_LOG_H

#include "kwsc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KWSC_LOG2_LUT_BITS 5
#define KWSC_LOG2_LUT_SIZE ((1 << KWSC_LOG2_LUT_BITS) + 1)

/* log2(v) in Q16 for v >= 1; lut_q16[i] = round(65536 log2(1 + i / 2^KWSC_LOG2_LUT_BITS)). */
int32_t kwsc_log2_q16(uint64_t v, const int32_t *lut_q16);

/*
 * Log energies: out[i] = max(log2(energy[i]) + offset_log2, floor_log2) in Q16 (log2 units),
 * where offset_log2 is the frame's exponent (energy[i] * 2^offset_log2 is the absolute energy).
 * A zero energy gives floor_log2.
 */
void kwsc_log_energies(const uint64_t *energy, uint16_t num_mel, int32_t offset_log2,
                       int32_t floor_log2, const int32_t *lut_q16, int32_t *out_q16);

#ifdef __cplusplus
}
#endif

#endif /* KWSC_LOG_H */
