/* kwsc_log.c - see kwsc_log.h. */
#include "kwsc_log.h"

int32_t kwsc_log2_q16(uint64_t v, const int32_t *lut_q16)
{
    uint32_t hi = (uint32_t)(v >> 32);
    uint32_t lo = (uint32_t)v;
    int msb;
    uint32_t mantissa; /* v's top 32 bits from its leading one, which lands at bit 31 */
    uint32_t fraction;
    uint32_t index;
    int32_t t16;
    int32_t lo_q16;
    int32_t hi_q16;

    if (hi != 0u) { /* v >> (msb - 31), msb - 31 = m + 1 in 1..32, from the halves */
        int m = kwsc_msb32(hi);
        msb = 32 + m;
        mantissa = (hi << (31 - m)) | ((lo >> m) >> 1);
    } else {
        msb = kwsc_msb32(lo);
        mantissa = lo << (31 - msb);
    }
    fraction = mantissa & 0x7FFFFFFFu;
    index = fraction >> (31 - KWSC_LOG2_LUT_BITS);
    t16 = (int32_t)((fraction >> (15 - KWSC_LOG2_LUT_BITS)) & 0xFFFFu);
    lo_q16 = lut_q16[index];
    hi_q16 = lut_q16[index + 1u];
    return msb * 65536 + lo_q16 + (((hi_q16 - lo_q16) * t16) >> 16);
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
