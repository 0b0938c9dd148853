/* kwsc_mel.c - see kwsc_mel.h. */
#include "kwsc_mel.h"

void kwsc_mel_energies(const int32_t *spectrum, uint16_t first_bin, uint16_t num_bins,
                       const uint8_t *segment, const int16_t *weight_q15, uint16_t num_mel,
                       uint64_t *energy)
{
    const int32_t *bin = &spectrum[2u * first_bin];
    uint64_t total = 0;  /* sum of powers in the current segment */
    uint64_t rising = 0; /* their rising-weighted sum */
    uint32_t current = num_bins > 0u ? segment[0] : 0u;
    uint16_t i;

    /* energy[0] and energy[num_mel + 1] are sinks for the half-triangles outside the range. */
    for (i = 0; i < num_mel + 2u; i++) {
        energy[i] = 0;
    }
    /* Segments are runs of consecutive bins: sum each run in registers, then split it once. */
    for (i = 0; i < num_bins; i++, bin += 2) {
        int64_t re = bin[0];
        int64_t im = bin[1];
        uint64_t power = (uint64_t)(re * re) + (uint64_t)(im * im);
        uint32_t w = (uint32_t)weight_q15[i];
        if (segment[i] != current) {
            energy[current + 1u] += rising;
            energy[current] += total - rising;
            current = segment[i];
            total = 0;
            rising = 0;
        }
        total += power;
        /* floor(power * w / 2^15) exactly, without a 64x64-bit product. */
        rising += (power >> 15) * w + (((power & 0x7FFFu) * w) >> 15);
    }
    energy[current + 1u] += rising;
    energy[current] += total - rising;
}
