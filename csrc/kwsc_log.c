/* kwsc_log.c - see kwsc_log.h. */
#include "kwsc_log.h"

int32_t kwsc_log2_q16(uint64_t v, const int32_t *lut_q16)
{
    int msb = kwsc_msb64(v);
    uint32_t mantissa; /* leading one at bit 31 */
    uint32_t fraction;
    uint32_t index;
    int32_t t16;
    int32_t lo;
    int32_t hi;

    if (msb > 31) {
        mantissa = (uint32_t)(v >> (msb - 31));
    } else {
        mantissa = (uint32_t)v << (31 - msb);
    }
    fraction = mantissa & 0x7FFFFFFFu;
    index = fraction >> (31 - KWSC_LOG2_LUT_BITS);
    t16 = (int32_t)((fraction >> (15 - KWSC_LOG2_LUT_BITS)) & 0xFFFFu);
    lo = lut_q16[index];
    hi = lut_q16[index + 1u];
    return msb * 65536 + lo + (((hi - lo) * t16) >> 16);
}

void kwsc_log_energies(const uint64_t *energy, uint16_t num_mel, int32_t offset_log2,
                       int32_t floor_log2, const int32_t *lut_q16, int32_t *out_q16)
{
    uint16_t i;
    int32_t floor_q16 = floor_log2 * 65536;
    int32_t offset_q16 = offset_log2 * 65536;
    for (i = 0; i < num_mel; i++) {
        int32_t value = floor_q16;
        if (energy[i] != 0u) {
            value = kwsc_log2_q16(energy[i], lut_q16) + offset_q16;
            if (value < floor_q16) {
                value = floor_q16;
            }
        }
        out_q16[i] = value;
    }
}
