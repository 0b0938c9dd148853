/* kwsc_quant.c - see kwsc_quant.h. */
#include "kwsc_quant.h"

int kwsc_quant_check(const kwsc_quant_params *params)
{
    uint16_t i;
    if (params == NULL || params->offset_q6 == NULL || params->scale_q16 == NULL) {
        return KWSC_ERR_NULL;
    }
    if (params->num_ceps == 0u || params->zero_point < -128 || params->zero_point > 127) {
        return KWSC_ERR_ARGUMENT;
    }
    for (i = 0; i < params->num_ceps; i++) {
        int32_t s = params->scale_q16[i];
        int32_t o = params->offset_q6[i];
        if (s >= (1 << 24) || s <= -(1 << 24) || o > (1 << 20) || o < -(1 << 20)) {
            return KWSC_ERR_ARGUMENT;
        }
    }
    return KWSC_OK;
}

int kwsc_quantize_int8(const int16_t *ceps_q6, size_t num_frames,
                       const kwsc_quant_params *params, int8_t *out)
{
    size_t f;
    uint16_t i;
    int status = kwsc_quant_check(params);
    if (status != KWSC_OK) {
        return status;
    }
    if ((ceps_q6 == NULL || out == NULL) && num_frames > 0u) {
        return KWSC_ERR_NULL;
    }
    for (f = 0; f < num_frames; f++) {
        for (i = 0; i < params->num_ceps; i++) {
            int64_t v = ((int64_t)ceps_q6[i] - params->offset_q6[i]) * params->scale_q16[i];
            int64_t r = (v >= 0) ? ((v + 32768) >> 16) : -((-v + 32768) >> 16);
            int64_t q = r + params->zero_point;
            out[i] = (int8_t)(q > 127 ? 127 : (q < -128 ? -128 : q));
        }
        ceps_q6 += params->num_ceps;
        out += params->num_ceps;
    }
    return KWSC_OK;
}
