/*
 * kwsc_quant.h - int8 quantisation of cepstra, the features a model consumes on device.
 *
 * q = clamp(zero_point + round((c - offset) * scale_q16 / 2^16), -128, 127), per coefficient,
 * rounding half away from zero. offset is in the cepstra's Q6 units; scale_q16 is a Q16
 * multiplier. The parameters are data: learned on training data, stored with the model, and
 * applied by this one function on host and device.
 */
#ifndef KWSC_QUANT_H
#define KWSC_QUANT_H

#include "kwsc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint16_t num_ceps;         /* length of both arrays */
    const int32_t *offset_q6;  /* subtracted from each coefficient, Q6 log2 units */
    const int32_t *scale_q16;  /* per-coefficient multiplier, Q16; 256 maps 4 log2 units to 1 */
    int32_t zero_point;        /* added after scaling, -128..127 */
} kwsc_quant_params;

/* Check ranges: num_ceps >= 1, non-NULL arrays, zero_point in int8, |scale_q16| < 2^24. */
int kwsc_quant_check(const kwsc_quant_params *params);

/* Quantise num_frames frames of params->num_ceps int16 Q6 coefficients to int8. */
int kwsc_quantize_int8(const int16_t *ceps_q6, size_t num_frames,
                       const kwsc_quant_params *params, int8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* KWSC_QUANT_H */
