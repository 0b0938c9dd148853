/* kwsc_mel.c - see kwsc_mel.h. */
#include "kwsc_mel.h"

/* |X[bin]|^2 from the packed spectrum: bins 0 and N/2 are real and share slot 0. */
static inline uint64_t bin_power(const int32_t *spectrum, uint16_t bin, uint16_t half)
{
    int64_t re;
    int64_t im;
    if (bin == 0u) {
        re = spectrum[0];
        im = 0;
    } else if (bin == half) {
        re = spectrum[1];
        im = 0;
    } else {
        re = spectrum[2u * bin];
        im = spectrum[2u * bin + 1u];
    }
    return (uint64_t)(re * re) + (uint64_t)(im * im);
}

void kwsc_mel_energies(const int32_t *spectrum, uint16_t fft_size, uint16_t first_bin,
                       uint16_t num_bins, const uint8_t *segment, const int16_t *weight_q15,
                       uint16_t num_mel, uint64_t *energy)
{
    uint16_t i;
    uint16_t half = fft_size / 2u;

    for (i = 0; i < num_mel; i++) {
        energy[i] = 0;
    }
    for (i = 0; i < num_bins; i++) {
        uint64_t power = bin_power(spectrum, (uint16_t)(first_bin + i), half);
        uint32_t w = (uint32_t)weight_q15[i];
        uint8_t j = segment[i];
        /* floor(power * w / 2^15) exactly, without a 64x64-bit product. */
        uint64_t rising = (power >> 15) * w + (((power & 0x7FFFu) * w) >> 15);
        if (j < num_mel) {
            energy[j] += rising;
        }
        if (j > 0u) {
            energy[j - 1u] += power - rising;
        }
    }
}
