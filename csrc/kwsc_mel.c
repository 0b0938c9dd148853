/* kwsc_mel.c - see kwsc_mel.h. */
#include "kwsc_mel.h"

void kwsc_mel_energies(const int32_t *spectrum, uint16_t first_bin, const uint16_t *segment_bins,
                       const int16_t *weight_q15, uint16_t num_mel, uint64_t *energy)
{
    const int32_t *bin = &spectrum[2u * first_bin];
    const int16_t *weight = weight_q15;
    uint16_t j;

    energy[0] = 0;
    for (j = 0; j <= num_mel; j++) {
        uint64_t total = 0; /* sum of the segment's powers P */
        uint64_t w_hi = 0;  /* sum of w * (P >> 32) */
        uint64_t w_lo = 0;  /* sum of w * (P & 0xFFFFFFFF) */
        uint64_t rising;
        uint16_t k;
        for (k = 0; k < segment_bins[j]; k++, bin += 2, weight++) {
            int64_t re = bin[0];
            int64_t im = bin[1];
            uint64_t power = (uint64_t)(re * re) + (uint64_t)(im * im);
            uint32_t w = (uint32_t)*weight;
            total += power;
            w_hi += (uint64_t)(uint32_t)(power >> 32) * w;
            w_lo += (uint64_t)(uint32_t)power * w;
        }
        /*
         * The segment's rising band gets floor(sum(w P) / 2^15), exactly: sum(w P) =
         * 2^32 sum(w P_hi) + sum(w P_lo). Its falling band gets the rest, so no energy is lost.
         */
        rising = (w_hi << 17) + (w_lo >> 15);
        energy[j] += total - rising;
        energy[j + 1u] = rising;
    }
}
