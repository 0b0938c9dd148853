/* kwsc_frontend.c - composes the stages; see kwsc_frontend.h. */
#include "kwsc_frontend.h"

#include <string.h>

#include "kwsc_dct.h"
#include "kwsc_fft.h"
#include "kwsc_log.h"
#include "kwsc_mel.h"
#include "kwsc_window.h"

void kwsc_frontend_config_default(kwsc_frontend_config *config)
{
    if (config == NULL) {
        return;
    }
    config->sample_rate_hz = 16000u;
    config->window_samples = 480u;
    config->hop_samples = 320u;
    config->fft_size = 512u;
    config->num_mel = 40u;
    config->mel_low_hz = 60u;
    config->mel_high_hz = 7600u;
    config->num_ceps = 13u;
    config->preemph_q15 = 0;
}

static int is_power_of_two(uint32_t v)
{
    return v != 0u && (v & (v - 1u)) == 0u;
}

int kwsc_frontend_config_check(const kwsc_frontend_config *c)
{
    if (c == NULL) {
        return KWSC_ERR_NULL;
    }
    if (c->sample_rate_hz < 8000u || c->sample_rate_hz > 48000u ||
        !is_power_of_two(c->fft_size) || c->fft_size < 32u || c->fft_size > 4096u ||
        c->window_samples < 16u || c->window_samples > c->fft_size ||
        c->hop_samples < 1u || c->hop_samples > c->window_samples ||
        c->num_mel < 1u || c->num_mel > 128u ||
        c->num_ceps < 1u || c->num_ceps > c->num_mel ||
        c->mel_low_hz >= c->mel_high_hz || 2u * (uint32_t)c->mel_high_hz > c->sample_rate_hz ||
        c->preemph_q15 < 0) {
        return KWSC_ERR_CONFIG;
    }
    return KWSC_OK;
}

size_t kwsc_frontend_memory_bytes(const kwsc_frontend_config *c)
{
    if (kwsc_frontend_config_check(c) != KWSC_OK) {
        return 0u;
    }
    return KWSC_FRONTEND_MEMORY_BYTES(c->window_samples, c->fft_size, c->num_mel);
}

size_t kwsc_frontend_tables_bytes(const kwsc_frontend_config *c)
{
    size_t bins;
    if (kwsc_frontend_config_check(c) != KWSC_OK) {
        return 0u;
    }
    /* Upper bound on weighted bins: every bin of the half spectrum. */
    bins = (size_t)c->fft_size / 2u + 1u;
    return 4u * ((size_t)c->window_samples / 2u + 2u) /* window */
           + 4u * ((size_t)c->fft_size / 4u + 1u)     /* twiddles: a quarter-wave cosine */
           + 2u * bins + 2u * ((size_t)c->num_mel + 1u) /* mel weights, segment counts */
           + 2u * (size_t)c->num_ceps * ((c->num_mel + 1u) / 2u) /* dct, half rows */
           + 4u * (size_t)KWSC_LOG2_LUT_SIZE;            /* log2 */
}

size_t kwsc_frontend_frame_count(const kwsc_frontend_config *c, size_t num_samples)
{
    if (kwsc_frontend_config_check(c) != KWSC_OK || num_samples < c->window_samples) {
        return 0u;
    }
    return (num_samples - c->window_samples) / c->hop_samples + 1u;
}

static int tables_match(const kwsc_frontend_config *c, const kwsc_frontend_tables *t)
{
    uint32_t bins = 0;
    uint16_t j;
    if (t->mel_segment_bins == NULL || t->num_mel != c->num_mel) {
        return 0;
    }
    for (j = 0; j <= c->num_mel; j++) {
        bins += t->mel_segment_bins[j];
    }
    return bins == t->mel_num_bins && t->sample_rate_hz == c->sample_rate_hz && t->window_samples == c->window_samples &&
           t->fft_size == c->fft_size && t->num_mel == c->num_mel &&
           t->mel_low_hz == c->mel_low_hz && t->mel_high_hz == c->mel_high_hz &&
           t->num_ceps == c->num_ceps && t->window_q31 != NULL && t->twiddle_q31 != NULL &&
           t->mel_segment_bins != NULL && t->mel_weight_q15 != NULL && t->dct_half_q15 != NULL &&
           t->log2_lut_q16 != NULL &&
           t->mel_first_bin >= 1u &&
           (uint32_t)t->mel_first_bin + t->mel_num_bins <= (uint32_t)c->fft_size / 2u;
}

int kwsc_frontend_init(kwsc_frontend **out, void *memory, size_t memory_bytes,
                       const kwsc_frontend_config *config, const kwsc_frontend_tables *tables)
{
    kwsc_frontend *fe;
    unsigned char *p;
    int status;
    int16_t log2n = 0;

    if (out == NULL || memory == NULL || config == NULL || tables == NULL) {
        return KWSC_ERR_NULL;
    }
    status = kwsc_frontend_config_check(config);
    if (status != KWSC_OK) {
        return status;
    }
    if (((uintptr_t)memory & 7u) != 0u || memory_bytes < kwsc_frontend_memory_bytes(config)) {
        return KWSC_ERR_MEMORY;
    }
    if (!tables_match(config, tables)) {
        return KWSC_ERR_TABLES;
    }
    p = (unsigned char *)memory;
    fe = (kwsc_frontend *)(void *)p;
    p += KWSC_ALIGN8(sizeof(kwsc_frontend));
    fe->config = *config;
    fe->tables = tables;
    fe->mel_energy = (uint64_t *)(void *)p;
    p += KWSC_ALIGN8(8u * ((size_t)config->num_mel + 2u));
    fe->fft = (int32_t *)(void *)p;
    p += KWSC_ALIGN8(4u * (size_t)config->fft_size);
    fe->log_mel_q16 = (int32_t *)(void *)p;
    p += KWSC_ALIGN8(4u * (size_t)config->num_mel);
    fe->samples = (int16_t *)(void *)p;
    while ((1u << log2n) < config->fft_size) {
        log2n++;
    }
    fe->log2_fft_size = log2n;
    memset(fe->log_mel_q16, 0, 4u * (size_t)config->num_mel);
    kwsc_frontend_reset(fe);
    *out = fe;
    return KWSC_OK;
}

void kwsc_frontend_reset(kwsc_frontend *fe)
{
    if (fe == NULL) {
        return;
    }
    fe->fill = 0;
    fe->prev_sample = 0;
}

/* One full buffer -> num_ceps Q6 cepstra. */
static void compute_frame(kwsc_frontend *fe, int16_t *ceps_q6)
{
    const kwsc_frontend_config *c = &fe->config;
    const kwsc_frontend_tables *t = fe->tables;
    int r = kwsc_window_apply(fe->samples, fe->prev_sample, c->preemph_q15, t->window_q31,
                              c->window_samples, fe->fft, c->fft_size);
    /* energy units: E_true = E_fixed * 2^(2 r - 58 + 2 log2 N), see the header. */
    int32_t offset_log2 = 2 * r - 58 + 2 * fe->log2_fft_size;

    kwsc_fft_real_forward(fe->fft, c->fft_size, t->twiddle_q31);
    kwsc_mel_energies(fe->fft, t->mel_first_bin, t->mel_segment_bins, t->mel_weight_q15,
                      c->num_mel, fe->mel_energy);
    kwsc_log_energies(&fe->mel_energy[1], c->num_mel, offset_log2, KWSC_LOG_FLOOR_LOG2,
                      t->log2_lut_q16, fe->log_mel_q16);
    /* the energies are spent: their buffer (>= num_mel + 2 int32) is the DCT's scratch */
    kwsc_dct_q6(fe->log_mel_q16, c->num_mel, t->dct_half_q15, c->num_ceps, (int32_t *)(void *)fe->mel_energy,
                ceps_q6);
}

size_t kwsc_frontend_push(kwsc_frontend *fe, const int16_t *pcm, size_t num_samples,
                          size_t *consumed, int16_t *ceps_q6, size_t max_frames)
{
    size_t taken = 0;
    size_t frames = 0;

    if (fe == NULL || (pcm == NULL && num_samples > 0u)) {
        if (consumed != NULL) {
            *consumed = 0;
        }
        return 0;
    }
    while (taken < num_samples) {
        const kwsc_frontend_config *c = &fe->config;
        size_t need = (size_t)(c->window_samples - fe->fill);
        size_t take = num_samples - taken;
        if (take >= need) {
            if (frames == max_frames || ceps_q6 == NULL) {
                break; /* this chunk would complete a frame we have no room for */
            }
            take = need;
        }
        memcpy(&fe->samples[fe->fill], &pcm[taken], take * sizeof(int16_t));
        fe->fill = (uint16_t)(fe->fill + take);
        taken += take;
        if (fe->fill == c->window_samples) {
            uint16_t keep = (uint16_t)(c->window_samples - c->hop_samples);
            compute_frame(fe, &ceps_q6[frames * c->num_ceps]);
            frames++;
            fe->prev_sample = fe->samples[c->hop_samples - 1u];
            memmove(fe->samples, &fe->samples[c->hop_samples], keep * sizeof(int16_t));
            fe->fill = keep;
        }
    }
    if (consumed != NULL) {
        *consumed = taken;
    }
    return frames;
}

const int32_t *kwsc_frontend_log_mel_q16(const kwsc_frontend *fe)
{
    return fe == NULL ? NULL : fe->log_mel_q16;
}
