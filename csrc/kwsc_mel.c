/* kwsc_mel.c - see kwsc_mel.h. */
#include "kwsc_mel.h"

void kwsc_mel_energies(const int32_t *spectrum, uint16_t first_bin, const uint16_t *segment_bins,
                       const int16_t *weight_q15, uint16_t num_mel, uint64_t *energy)
{
    const int32_t *bin = &spectrum[2u * first_bin];
    const int16_t *weight = weight_q15;
    const uint16_t *segment = segment_bins;
    const uint16_t *segments_end = segment_bins + num_mel + 1u;
    uint64_t previous = 0; /* the previous segment's rising part: its band's first share */

    for (; segment < segments_end; segment++, energy++) {
        const int16_t *weights_end = weight + *segment;
        uint64_t total = 0; /* sum of the segment's powers P */
        uint64_t w_hi = 0;  /* sum of w * (P >> 32) */
        uint64_t w_lo = 0;  /* sum of w * (P & 0xFFFFFFFF) */
        uint64_t rising;
        for (; weight < weights_end; bin += 2, weight++) {
            int64_t re = bin[0];
            int64_t im = bin[1];
            uint64_t power = (uint64_t)(re * re) + (uint64_t)(im * im);
            uint32_t power_hi = (uint32_t)(power >> 32);
            uint32_t power_lo = (uint32_t)power;
            uint32_t w = (uint32_t)*weight;
            KWSC_OPAQUE(power_hi); /* two UMLALs instead of UMULL, ADDS, ADC each */
            KWSC_OPAQUE(power_lo);
            total += ((uint64_t)power_hi << 32) | power_lo; /* = power; from the halves, or gcc keeps a copy */
            w_hi += (uint64_t)power_hi * w;
            w_lo += (uint64_t)power_lo * w;
        }
        /*
         * The segment's rising band gets floor(sum(w P) / 2^15), exactly: sum(w P) =
         * 2^32 sum(w P_hi) + sum(w P_lo). Its falling band gets the rest, so no energy is lost.
         */
        rising = (w_hi << 17) + (w_lo >> 15);
        energy[0] = previous + (total - rising);
        previous = rising;
    }
    energy[0] = previous;
}
