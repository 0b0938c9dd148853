/* kwsc_mel.c - see kwsc_mel.h. */
#include "kwsc_mel.h"

void kwsc_mel_energies(const int32_t *spectrum, uint16_t first_bin, uint16_t num_bins,
                       const uint8_t *segment, const int16_t *weight_q15, uint16_t num_mel,
                       uint64_t *energy)
{
    uint16_t i;
    const int32_t *bin = &spectrum[2u * first_bin];

    /* energy[0] and energy[num_mel + 1] are sinks for the half-triangles outside the range. */
    for (i = 0; i < num_mel + 2u; i++) {
        energy[i] = 0;
    }
    for (i = 0; i < num_bins; i++, bin += 2) {
        int64_t re = bin[0];
        int64_t im = bin[1];
        uint64_t power = (uint64_t)(re * re) + (uint64_t)(im * im);
        uint32_t w = (uint32_t)weight_q15[i];
        uint32_t j = segment[i];
        /* floor(power * w / 2^15) exactly, without a 64x64-bit product. */
        uint64_t rising = (power >> 15) * w + (((power & 0x7FFFu) * w) >> 15);
        energy[j + 1u] += rising;
        energy[j] += power - rising;
    }
}
