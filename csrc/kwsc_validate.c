/* kwsc_validate.c - see kwsc_validate.h. */
#include "kwsc_validate.h"

#include <string.h>

#include "kwsc_log.h"

#define NO_LEVEL_DB_Q8 (-200 * 256) /* "no energy": reported level of digital silence */
#define SNR_LIMIT_DB_Q8 (99 * 256)


void kwsc_validate_config_default(kwsc_validate_config *c)
{
    if (c == NULL) {
        return;
    }
    c->checks = KWSC_REASON_ALL_RECORDING;
    c->max_frames = 250u;
    c->hop_samples = 320u;
    c->min_speech_dbfs_q8 = -40 * 256;
    c->max_speech_dbfs_q8 = -6 * 256;
    c->clip_level = 32000;
    c->max_clip_run = 3u;
    c->max_clipped_ppm = 1000u;
    c->max_dc_offset = 328u;
    c->min_speech_ms = 300u;
    c->max_speech_ms = 1200u;
    c->min_lead_ms = 100u;
    c->min_trail_ms = 100u;
    c->vad_merge_ms = 200u;
    c->vad_min_run_ms = 60u;
    c->vad_floor_percentile = 10u;
    c->vad_min_rise_db_q8 = 6 * 256;
    c->vad_rise_q15 = 9830u;
    c->min_snr_db_q8 = 20 * 256;
    c->high_band_first = 31u;
    c->min_high_band_db_q8 = -55 * 256;
    c->hum_band_last = 3u;
    c->max_tonality_db_q8 = 15 * 256;
    c->min_background_dbfs_q8 = -70 * 256;
}

int kwsc_validate_config_check(const kwsc_validate_config *c)
{
    if (c == NULL) {
        return KWSC_ERR_NULL;
    }
    if (c->max_frames < 8u || c->max_frames > 30000u || c->hop_samples < 16u || c->hop_samples > 512u ||
        c->clip_level < 1 || c->max_clip_run < 1u || c->vad_floor_percentile > 100u ||
        c->vad_rise_q15 > 32768u || c->vad_min_rise_db_q8 < 0 || c->vad_min_rise_db_q8 > 200 * 256 ||
        c->min_speech_ms > c->max_speech_ms ||
        c->hum_band_last >= c->high_band_first || c->high_band_first > 255u) {
        return KWSC_ERR_CONFIG;
    }
    return KWSC_OK;
}

size_t kwsc_validate_memory_bytes(const kwsc_validate_config *c)
{
    size_t n;
    if (kwsc_validate_config_check(c) != KWSC_OK) {
        return 0u;
    }
    n = c->max_frames;
    return KWSC_VALIDATE_MEMORY_BYTES(n);
}

int32_t kwsc_db_q8_from_log2_q16(int32_t log2_q16)
{
    return (int32_t)(((int64_t)log2_q16 * KWSC_DB_PER_LOG2_Q16) >> 24);
}

int32_t kwsc_log2_q16_from_db_q8(int32_t db_q8)
{
    /* log2 = dB / (10 log10 2): Q8 -> Q16 is * 2^8 / 3.0103 = * 85.04 = * 87083 / 2^10. */
    return (int32_t)(((int64_t)db_q8 * 87083) >> 10);
}

int kwsc_validate_init(kwsc_validator **out, void *memory, size_t memory_bytes,
                       const kwsc_validate_config *config, kwsc_frontend *frontend,
                       const int32_t *log2_lut_q16)
{
    kwsc_validator *v;
    unsigned char *p = (unsigned char *)memory;
    size_t n;
    int status;
    if (out == NULL || memory == NULL || config == NULL || frontend == NULL || log2_lut_q16 == NULL) {
        return KWSC_ERR_NULL;
    }
    status = kwsc_validate_config_check(config);
    if (status != KWSC_OK) {
        return status;
    }
    if (config->hop_samples != frontend->config.hop_samples ||
        config->high_band_first >= frontend->config.num_mel ||
        frontend->config.num_mel > KWSC_VALIDATE_MAX_MEL || frontend->config.num_ceps > KWSC_VALIDATE_MAX_CEPS) {
        return KWSC_ERR_CONFIG;
    }
    if (((uintptr_t)memory & 7u) != 0u || memory_bytes < kwsc_validate_memory_bytes(config)) {
        return KWSC_ERR_MEMORY;
    }
    n = config->max_frames;
    v = (kwsc_validator *)(void *)p;
    p += KWSC_ALIGN8(sizeof(kwsc_validator));
    v->energy = (uint32_t *)(void *)p;
    p += KWSC_ALIGN8(4u * n);
    v->high_band_q8 = (int16_t *)(void *)p;
    p += KWSC_ALIGN8(2u * n);
    v->tonality_q8 = (int16_t *)(void *)p;
    p += KWSC_ALIGN8(2u * n);
    v->peak_band = p;
    v->config = *config;
    v->frontend = frontend;
    v->log2_lut_q16 = log2_lut_q16;
    kwsc_validate_reset(v);
    *out = v;
    return KWSC_OK;
}

void kwsc_validate_reset(kwsc_validator *v)
{
    if (v == NULL) {
        return;
    }
    kwsc_frontend_reset(v->frontend);
    v->blocks = 0;
    v->spectra = 0;
    v->samples = 0;
    v->block_sum = 0;
    v->block_sum_sq = 0;
    v->block_fill = 0;
    v->overflow = 0;
    v->peak = 0;
    v->total_sum = 0;
    v->total_sum_sq = 0;
    v->clipped = 0;
    v->clip_run = 0;
    v->max_clip_run = 0;
}

static int16_t saturate_q8(int32_t log2_q16)
{
    return kwsc_sat16(log2_q16 >> 8);
}

/* Spectral summary of the frontend frame just computed, stored for block `index`. */
static void store_spectrum(kwsc_validator *v, uint16_t index)
{
    const int32_t *log_mel = kwsc_frontend_log_mel_q16(v->frontend);
    uint16_t num_mel = v->frontend->config.num_mel;
    int32_t top = log_mel[0];
    int32_t top_high = log_mel[v->config.high_band_first];
    int32_t top_tonal = log_mel[1];
    int32_t sorted[KWSC_VALIDATE_MAX_MEL];
    uint16_t peak = 1;
    uint16_t m;
    for (m = 0; m < num_mel; m++) {
        uint16_t k;
        for (k = m; k > 0u && sorted[k - 1u] > log_mel[m]; k--) { /* insertion sort, for the median */
            sorted[k] = sorted[k - 1u];
        }
        sorted[k] = log_mel[m];
        if (log_mel[m] > top) {
            top = log_mel[m];
        }
        if (m >= v->config.high_band_first && log_mel[m] > top_high) {
            top_high = log_mel[m];
        }
        /* Band 0 is left out of the tone search: a DC offset leaks into it through the window. */
        if (m >= 1u && log_mel[m] > top_tonal) {
            top_tonal = log_mel[m];
            peak = m;
        }
    }
    v->high_band_q8[index] = saturate_q8(top_high - top);
    /* The median band, not the mean: bands left empty by band-limiting must not look like a tone. */
    v->tonality_q8[index] = saturate_q8(top_tonal - sorted[num_mel / 2u]);
    v->peak_band[index] = (uint8_t)peak;
}

static void close_block(kwsc_validator *v)
{
    uint64_t n = v->block_fill;
    /* n * sum of squares - sum^2 = n * (sum of squares about the mean): exact, < 2^47. */
    uint64_t spread = n * v->block_sum_sq - (uint64_t)((int64_t)v->block_sum * v->block_sum);
    if (v->blocks < v->config.max_frames) {
        /* sum of squares about the mean, scaled to a full block if this one is partial */
        v->energy[v->blocks] = (uint32_t)(((spread / n) * v->config.hop_samples / n) >> 8);
        v->blocks++;
    } else {
        v->overflow++;
    }
    v->block_sum = 0;
    v->block_sum_sq = 0;
    v->block_fill = 0;
}

int kwsc_validate_push(kwsc_validator *v, const int16_t *pcm, size_t num_samples)
{
    size_t i = 0;
    if (v == NULL || (pcm == NULL && num_samples > 0u)) {
        return KWSC_ERR_NULL;
    }
    while (i < num_samples) {
        /* Feed the frontend up to one frame at a time so every frame's log-mel is seen. */
        int16_t ceps[KWSC_VALIDATE_MAX_CEPS];
        size_t consumed = 0;
        size_t frames = kwsc_frontend_push(v->frontend, &pcm[i], num_samples - i, &consumed, ceps, 1u);
        size_t k;
        for (k = i; k < i + consumed; k++) {
            int32_t x = pcm[k];
            int32_t magnitude = x < 0 ? -x : x;
            if (magnitude > v->peak) {
                v->peak = magnitude;
            }
            if (magnitude >= v->config.clip_level) {
                v->clipped++;
                v->clip_run++;
                if (v->clip_run > v->max_clip_run) {
                    v->max_clip_run = v->clip_run;
                }
            } else {
                v->clip_run = 0;
            }
            v->total_sum += x;
            v->total_sum_sq += (uint64_t)(x * x);
            v->block_sum += x;
            v->block_sum_sq += (uint64_t)(x * x);
            if (++v->block_fill == v->config.hop_samples) {
                close_block(v);
            }
        }
        v->samples += (uint32_t)consumed;
        i += consumed;
        if (frames == 1u) {
            /* Frontend frame t covers blocks t and t + 1/2: it describes block t. */
            if (v->spectra < v->config.max_frames) {
                store_spectrum(v, v->spectra);
                v->spectra++;
            }
        }
    }
    return KWSC_OK;
}

/* Smallest stored energy e with at least percentile % of the blocks <= e (binary search). */
static uint32_t energy_percentile(const kwsc_validator *v, uint32_t percentile)
{
    uint32_t lo = 0;
    uint32_t hi = 0xFFFFFFFFu;
    uint32_t need = (uint32_t)(((uint64_t)v->blocks * percentile + 99u) / 100u);
    if (need == 0u) {
        need = 1u;
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2u;
        uint32_t count = 0;
        uint16_t t;
        for (t = 0; t < v->blocks; t++) {
            count += v->energy[t] <= mid;
        }
        if (count >= need) {
            hi = mid;
        } else {
            lo = mid + 1u;
        }
    }
    return lo;
}

static int32_t log2_of(const kwsc_validator *v, uint64_t value)
{
    return value == 0u ? INT32_MIN / 2 : kwsc_log2_q16(value, v->log2_lut_q16);
}

/* Level in dBFS (Q8) of a mean square over `count` blocks summing to `energy_sum` (>> 8). */
static int32_t level_dbfs(const kwsc_validator *v, uint64_t energy_sum, uint32_t count)
{
    uint64_t per_block;
    if (count == 0u || energy_sum == 0u) {
        return NO_LEVEL_DB_Q8;
    }
    per_block = energy_sum / count; /* sum of squares over one block, / 256 */
    if (per_block == 0u) {
        return NO_LEVEL_DB_Q8; /* below the resolution of the stored energies */
    }
    /* mean square = per_block * 256 / hop; full scale = 2^30. */
    return kwsc_db_q8_from_log2_q16(log2_of(v, per_block) + 8 * 65536 -
                                    kwsc_log2_q16(v->config.hop_samples, v->log2_lut_q16) -
                                    30 * 65536);
}

static uint32_t ms_of_blocks(const kwsc_validator *v, uint32_t blocks)
{
    return (uint32_t)((uint64_t)blocks * v->config.hop_samples * 1000u /
                      v->frontend->config.sample_rate_hz);
}

static uint16_t blocks_of_ms(const kwsc_validator *v, uint32_t ms)
{
    uint32_t per_block_ms_x1000 = (uint32_t)((uint64_t)v->config.hop_samples * 1000000u /
                                             v->frontend->config.sample_rate_hz);
    return (uint16_t)(((uint64_t)ms * 1000u + per_block_ms_x1000 - 1u) / per_block_ms_x1000);
}

int kwsc_validate_finish(kwsc_validator *v, kwsc_validate_metrics *out)
{
    const kwsc_validate_config *c;
    uint32_t reasons = 0;
    uint32_t floor_energy;
    uint32_t loudest = 0;
    int32_t threshold_log2;
    uint16_t merge = 0;
    uint16_t min_run = 0;
    uint16_t t;
    uint16_t runs = 0;
    int32_t first_start = -1;
    int32_t last_end = -1;
    int32_t open_start = -1;
    int32_t open_end = -1;
    uint64_t speech_sum = 0;
    uint64_t background_sum = 0;
    uint32_t speech_blocks = 0;
    uint32_t background_blocks = 0;
    int64_t high_band_sum = 0;
    uint32_t high_band_count = 0;
    int64_t tonality_sum = 0;
    uint32_t tonality_count = 0;
    uint16_t band_votes[KWSC_VALIDATE_MAX_MEL];

    if (v == NULL || out == NULL) {
        return KWSC_ERR_NULL;
    }
    c = &v->config;
    if (v->block_fill > 0u) {
        close_block(v); /* a partial last block counts, with its own length */
    }
    memset(out, 0, sizeof *out);
    memset(band_votes, 0, sizeof band_votes);
    out->num_samples = v->samples;
    out->num_blocks = v->blocks;
    if (v->samples == 0u) {
        out->reasons = KWSC_REASON_NO_SPEECH & c->checks;
        out->rms_dbfs_q8 = out->peak_dbfs_q8 = out->speech_dbfs_q8 = NO_LEVEL_DB_Q8;
        out->background_dbfs_q8 = NO_LEVEL_DB_Q8;
        return KWSC_OK;
    }

    /* Sample-level checks. */
    out->peak_dbfs_q8 = v->peak == 0 ? NO_LEVEL_DB_Q8
                                     : kwsc_db_q8_from_log2_q16(2 * (log2_of(v, (uint64_t)v->peak) - 15 * 65536));
    out->rms_dbfs_q8 = v->total_sum_sq == 0u
                           ? NO_LEVEL_DB_Q8
                           : kwsc_db_q8_from_log2_q16(log2_of(v, v->total_sum_sq) -
                                                      log2_of(v, v->samples) - 30 * 65536);
    out->dc_offset_q8 = (int32_t)(v->total_sum * 256 / (int64_t)v->samples);
    out->clipped_samples = v->clipped;
    out->clipped_ppm = (uint32_t)((uint64_t)v->clipped * 1000000u / v->samples);
    out->max_clip_run = v->max_clip_run;
    if (out->clipped_ppm > c->max_clipped_ppm || v->max_clip_run >= c->max_clip_run) {
        reasons |= KWSC_REASON_CLIPPED;
    }
    if ((out->dc_offset_q8 < 0 ? -out->dc_offset_q8 : out->dc_offset_q8) > (int32_t)c->max_dc_offset * 256) {
        reasons |= KWSC_REASON_DC_OFFSET;
    }
    if (v->overflow > 0u) {
        reasons |= KWSC_REASON_TOO_LONG;
    }

    /* Voice activity: threshold between the noise floor and the loudest block. */
    floor_energy = energy_percentile(v, c->vad_floor_percentile);
    for (t = 0; t < v->blocks; t++) {
        if (v->energy[t] > loudest) {
            loudest = v->energy[t];
        }
    }
    {
        int32_t floor_log2 = log2_of(v, floor_energy > 0u ? floor_energy : 1u);
        int32_t loud_log2 = log2_of(v, loudest > 0u ? loudest : 1u);
        int32_t rise = (int32_t)(((int64_t)(loud_log2 - floor_log2) * c->vad_rise_q15) >> 15);
        int32_t min_rise = kwsc_log2_q16_from_db_q8(c->vad_min_rise_db_q8);
        threshold_log2 = floor_log2 + (rise > min_rise ? rise : min_rise);
    }
    merge = blocks_of_ms(v, c->vad_merge_ms);
    min_run = blocks_of_ms(v, c->vad_min_run_ms);
    /* Runs of blocks above threshold; gaps < merge join runs; runs < min_run are dropped. */
    for (t = 0; t <= v->blocks; t++) {
        int loud = t < v->blocks && v->energy[t] > 0u && log2_of(v, v->energy[t]) > threshold_log2;
        if (loud) {
            if (open_start >= 0 && (int32_t)t - open_end <= (int32_t)merge) {
                open_end = t + 1;
            } else {
                if (open_start >= 0 && open_end - open_start >= (int32_t)min_run) {
                    runs++;
                    if (first_start < 0) {
                        first_start = open_start;
                    }
                    last_end = open_end;
                }
                open_start = t;
                open_end = t + 1;
            }
        }
    }
    if (open_start >= 0 && open_end - open_start >= (int32_t)min_run) {
        runs++;
        if (first_start < 0) {
            first_start = open_start;
        }
        last_end = open_end;
    }
    out->speech_runs = runs;

    /* Classify blocks: inside [first_start, last_end) is speech, the rest background. */
    for (t = 0; t < v->blocks; t++) {
        int speech = runs > 0u && (int32_t)t >= first_start && (int32_t)t < last_end;
        if (speech) {
            speech_sum += v->energy[t];
            speech_blocks++;
            if (t < v->spectra) {
                high_band_sum += v->high_band_q8[t];
                high_band_count++;
            }
        } else {
            background_sum += v->energy[t];
            background_blocks++;
            if (t < v->spectra) {
                tonality_sum += v->tonality_q8[t];
                tonality_count++;
                band_votes[v->peak_band[t]]++;
            }
        }
    }
    out->speech_dbfs_q8 = runs > 0u ? level_dbfs(v, speech_sum, speech_blocks) : out->rms_dbfs_q8;
    out->background_dbfs_q8 = level_dbfs(v, background_sum, background_blocks);

    if (runs == 0u) {
        reasons |= KWSC_REASON_NO_SPEECH;
    } else {
        uint32_t speech_ms;
        out->speech_start_ms = ms_of_blocks(v, (uint32_t)first_start);
        out->speech_end_ms = ms_of_blocks(v, (uint32_t)last_end);
        out->lead_ms = out->speech_start_ms;
        out->trail_ms = ms_of_blocks(v, v->blocks) - out->speech_end_ms;
        speech_ms = out->speech_end_ms - out->speech_start_ms;
        if (runs > 1u) {
            reasons |= KWSC_REASON_MULTIPLE_UTTERANCES;
        } else if (speech_ms < c->min_speech_ms) { /* durations are an utterance's: one run */
            reasons |= KWSC_REASON_TOO_SHORT;
        } else if (speech_ms > c->max_speech_ms) {
            reasons |= KWSC_REASON_TOO_LONG;
        }
        if (out->lead_ms < c->min_lead_ms) {
            reasons |= KWSC_REASON_TRUNCATED_START;
        }
        if (out->trail_ms < c->min_trail_ms) {
            reasons |= KWSC_REASON_TRUNCATED_END;
        }
    }
    if (runs > 0u && out->speech_dbfs_q8 < c->min_speech_dbfs_q8) { /* levels are the speech's */
        reasons |= KWSC_REASON_TOO_QUIET;
    }
    if (runs > 0u && out->speech_dbfs_q8 > c->max_speech_dbfs_q8) {
        reasons |= KWSC_REASON_TOO_LOUD;
    }

    /* SNR: speech power (minus the background under it) over background power. */
    if (runs > 0u && background_blocks > 0u) {
        uint64_t speech_mean = speech_sum / speech_blocks;
        uint64_t background_mean = background_sum / background_blocks;
        if (background_mean == 0u) {
            out->snr_db_q8 = SNR_LIMIT_DB_Q8;
        } else if (speech_mean <= background_mean) {
            out->snr_db_q8 = -SNR_LIMIT_DB_Q8;
        } else {
            int32_t snr = kwsc_db_q8_from_log2_q16(log2_of(v, speech_mean - background_mean) -
                                                   log2_of(v, background_mean));
            out->snr_db_q8 = snr > SNR_LIMIT_DB_Q8 ? SNR_LIMIT_DB_Q8
                                                    : (snr < -SNR_LIMIT_DB_Q8 ? -SNR_LIMIT_DB_Q8 : snr);
        }
        if (out->snr_db_q8 < c->min_snr_db_q8) {
            reasons |= KWSC_REASON_LOW_SNR;
        }
    }

    /* Bandwidth: how far the speech's top band above high_band_first sits below its top band. */
    if (high_band_count > 0u) {
        out->high_band_db_q8 = kwsc_db_q8_from_log2_q16((int32_t)(high_band_sum / high_band_count) * 256);
        if (out->high_band_db_q8 < c->min_high_band_db_q8) {
            reasons |= KWSC_REASON_BAND_LIMITED;
        }
    }

    /* Hum and tones: a background dominated by one band. */
    if (tonality_count > 0u) {
        uint16_t m;
        uint16_t best = 0;
        for (m = 1; m < KWSC_VALIDATE_MAX_MEL; m++) {
            if (band_votes[m] > band_votes[best]) {
                best = m;
            }
        }
        out->tonal_band = best;
        out->tonality_db_q8 = kwsc_db_q8_from_log2_q16((int32_t)(tonality_sum / tonality_count) * 256);
        if (out->tonality_db_q8 > c->max_tonality_db_q8 &&
            out->background_dbfs_q8 >= c->min_background_dbfs_q8) {
            reasons |= best <= c->hum_band_last ? KWSC_REASON_HUM : KWSC_REASON_TONAL_NOISE;
        }
    }
    out->reasons = reasons & c->checks;
    return KWSC_OK;
}
