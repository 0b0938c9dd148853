/*
 * fw_validate.c - the recording validator and the enrollment consistency check on the device.
 *
 * "validate" job (little-endian, fields 4-byte aligned):
 *   u32 magic "KWV1", u32 chunk_samples,
 *   kwsc_validate_config, every field in struct order, each as one u32 (unsigned fields) or
 *     i32 (signed fields): checks, max_frames, hop_samples, min_speech_dbfs_q8,
 *     max_speech_dbfs_q8, clip_level, max_clip_run, max_clipped_ppm, max_dc_offset,
 *     min_speech_ms, max_speech_ms, min_lead_ms, min_trail_ms, vad_merge_ms, vad_min_run_ms,
 *     vad_floor_percentile, vad_min_rise_db_q8, vad_rise_q15, min_snr_db_q8, high_band_first,
 *     min_high_band_db_q8, hum_band_last, max_tonality_db_q8, min_background_dbfs_q8,
 *   u32 num_samples, i16 pcm[num_samples].
 * "validate" output: kwsc_validate_metrics, every field in struct order as u32 / i32, then
 *   u32 stack bytes used below this component's frame (validator + frontend calls),
 *   u32 kwsc_validate_memory_bytes of the config.
 *
 * "dtw" job: u32 magic "KWD1", u32 stride, first, dims, band, ratio_q8, i32 min_distance_q8,
 *   u32 num_takes (1..16),
 *   then per take: u32 frames, i16 rows[frames * stride].
 * "dtw" output: u32 num_takes, i32 distance[num_takes][num_takes] (kwsc_dtw_distance of take i
 *   against take j, row-major), u32 consistency run (1 when num_takes >= 3), i32
 *   nearest_q8[num_takes] and u32 outlier mask (kwsc_enroll_consistency; zeros if not run),
 *   u32 stack bytes used below this component's frame.
 *
 * The validator reads log-mel energies from a frontend with the compiled-in default tables, as
 * a device build would; its memory is the static `kwsc_validator_state`, sized for the default
 * config (FW_VALIDATE_MAX_FRAMES blocks, 5 s): `kwsc footprint` attributes it to the validator.
 */
#include "fw.h"

#include "kwsc_dtw.h"
#include "kwsc_frontend.h"
#include "kwsc_validate.h"

#define FW_MAGIC_VALIDATE 0x3156574Bu /* "KWV1" */
#define FW_MAGIC_DTW 0x3144574Bu      /* "KWD1" */

/* Blocks the device validator holds: the default max_frames (5 s at a 20 ms hop). */
#define FW_VALIDATE_MAX_FRAMES 250u
/* The validator's state: the declared buffer `kwsc footprint` attributes to it. */
static uint64_t kwsc_validator_state[KWSC_VALIDATE_MEMORY_BYTES(FW_VALIDATE_MAX_FRAMES) / 8u];
/* The frontend the validator reads (on a device: the one frontend instance, shared). */
static uint64_t validate_frontend_state[KWSC_FRONTEND_MEMORY_BYTES(480, 512, 40) / 8u];

/* DTW: two rows of the band, for bands up to FW_DTW_MAX_BAND frames. */
#define FW_DTW_MAX_BAND 200u
#define FW_DTW_MAX_STRIDE 256u
static int32_t dtw_scratch[KWSC_DTW_SCRATCH_WORDS(FW_DTW_MAX_BAND)];

/* Read a u32 that must lie in [0, max]; out of range marks the job malformed. */
static uint32_t read_u(fw_reader *r, uint32_t max)
{
    uint32_t v = fw_read_u32(r);
    if (v > max) {
        r->failed = 1;
    }
    return v;
}

/* Read an i32 that must lie in [min, max]. */
static int32_t read_i(fw_reader *r, int32_t min, int32_t max)
{
    int32_t v = fw_read_i32(r);
    if (v < min || v > max) {
        r->failed = 1;
    }
    return v;
}

static void parse_config(fw_reader *r, kwsc_validate_config *c)
{
    c->checks = fw_read_u32(r);
    c->max_frames = (uint16_t)read_u(r, UINT16_MAX);
    c->hop_samples = (uint16_t)read_u(r, UINT16_MAX);
    c->min_speech_dbfs_q8 = fw_read_i32(r);
    c->max_speech_dbfs_q8 = fw_read_i32(r);
    c->clip_level = (int16_t)read_i(r, INT16_MIN, INT16_MAX);
    c->max_clip_run = (uint16_t)read_u(r, UINT16_MAX);
    c->max_clipped_ppm = fw_read_u32(r);
    c->max_dc_offset = (uint16_t)read_u(r, UINT16_MAX);
    c->min_speech_ms = (uint16_t)read_u(r, UINT16_MAX);
    c->max_speech_ms = (uint16_t)read_u(r, UINT16_MAX);
    c->min_lead_ms = (uint16_t)read_u(r, UINT16_MAX);
    c->min_trail_ms = (uint16_t)read_u(r, UINT16_MAX);
    c->vad_merge_ms = (uint16_t)read_u(r, UINT16_MAX);
    c->vad_min_run_ms = (uint16_t)read_u(r, UINT16_MAX);
    c->vad_floor_percentile = (uint16_t)read_u(r, UINT16_MAX);
    c->vad_min_rise_db_q8 = fw_read_i32(r);
    c->vad_rise_q15 = (uint16_t)read_u(r, UINT16_MAX);
    c->min_snr_db_q8 = fw_read_i32(r);
    c->high_band_first = (uint16_t)read_u(r, UINT16_MAX);
    c->min_high_band_db_q8 = fw_read_i32(r);
    c->hum_band_last = (uint16_t)read_u(r, UINT16_MAX);
    c->max_tonality_db_q8 = fw_read_i32(r);
    c->min_background_dbfs_q8 = fw_read_i32(r);
}

static void write_metrics(fw_writer *out, const kwsc_validate_metrics *m)
{
    fw_write_u32(out, m->reasons);
    fw_write_u32(out, m->num_samples);
    fw_write_u32(out, m->num_blocks);
    fw_write_u32(out, m->speech_runs);
    fw_write_u32(out, (uint32_t)m->rms_dbfs_q8);
    fw_write_u32(out, (uint32_t)m->peak_dbfs_q8);
    fw_write_u32(out, (uint32_t)m->speech_dbfs_q8);
    fw_write_u32(out, (uint32_t)m->background_dbfs_q8);
    fw_write_u32(out, (uint32_t)m->snr_db_q8);
    fw_write_u32(out, (uint32_t)m->dc_offset_q8);
    fw_write_u32(out, m->clipped_samples);
    fw_write_u32(out, m->clipped_ppm);
    fw_write_u32(out, m->max_clip_run);
    fw_write_u32(out, m->speech_start_ms);
    fw_write_u32(out, m->speech_end_ms);
    fw_write_u32(out, m->lead_ms);
    fw_write_u32(out, m->trail_ms);
    fw_write_u32(out, (uint32_t)m->high_band_db_q8);
    fw_write_u32(out, (uint32_t)m->tonality_db_q8);
    fw_write_u32(out, m->tonal_band);
}

int fw_validate_run(fw_reader *r, fw_writer *out)
{
    kwsc_validate_config config;
    kwsc_frontend_config fe_config;
    kwsc_validate_metrics metrics;
    kwsc_frontend *fe;
    kwsc_validator *v;
    const int16_t *pcm;
    uint32_t chunk_samples;
    uint32_t num_samples;
    uint32_t pos = 0;
    size_t memory_bytes;
    uint32_t depth = fw_stack_depth();

    if (fw_read_u32(r) != FW_MAGIC_VALIDATE) {
        return FW_ERR_JOB;
    }
    chunk_samples = fw_read_u32(r);
    parse_config(r, &config);
    num_samples = fw_read_u32(r);
    pcm = fw_read_bytes(r, 2u * (size_t)num_samples);
    if (r->failed || chunk_samples == 0u || r->pos != r->size) {
        return FW_ERR_JOB;
    }
    memory_bytes = kwsc_validate_memory_bytes(&config);
    if (memory_bytes == 0u) {
        return FW_ERR_KWSC; /* kwsc_validate_config_check refused the config */
    }
    if (memory_bytes > sizeof kwsc_validator_state) {
        return FW_ERR_JOB; /* more blocks than this firmware's validator holds */
    }
    kwsc_frontend_config_default(&fe_config);
    if (kwsc_frontend_init(&fe, validate_frontend_state, sizeof validate_frontend_state, &fe_config,
                           &kwsc_frontend_tables_default) != KWSC_OK) {
        return FW_ERR_KWSC;
    }
    if (config.hop_samples != fe_config.hop_samples) {
        return FW_ERR_JOB; /* the device has the default frontend only */
    }
    if (kwsc_validate_init(&v, kwsc_validator_state, sizeof kwsc_validator_state, &config, fe,
                           kwsc_frontend_tables_default.log2_lut_q16) != KWSC_OK) {
        return FW_ERR_KWSC;
    }
    while (pos < num_samples) {
        uint32_t chunk = num_samples - pos;
        if (chunk > chunk_samples) {
            chunk = chunk_samples;
        }
        if (kwsc_validate_push(v, &pcm[pos], chunk) != KWSC_OK) {
            return FW_ERR_KWSC;
        }
        pos += chunk;
    }
    if (kwsc_validate_finish(v, &metrics) != KWSC_OK) {
        return FW_ERR_KWSC;
    }
    write_metrics(out, &metrics);
    fw_write_u32(out, fw_stack_high_water() - depth);
    fw_write_u32(out, (uint32_t)memory_bytes);
    return FW_OK;
}

int fw_dtw_run(fw_reader *r, fw_writer *out)
{
    static const int16_t *takes[KWSC_ENROLL_MAX_TAKES];
    static uint16_t frames[KWSC_ENROLL_MAX_TAKES];
    static int32_t nearest_q8[KWSC_ENROLL_MAX_TAKES];
    uint32_t stride;
    uint32_t first;
    uint32_t dims;
    uint32_t band;
    uint32_t ratio_q8;
    int32_t min_distance_q8;
    uint32_t num_takes;
    uint32_t outliers = 0;
    uint32_t consistency = 0;
    uint32_t i;
    uint32_t j;
    uint32_t depth = fw_stack_depth();

    if (fw_read_u32(r) != FW_MAGIC_DTW) {
        return FW_ERR_JOB;
    }
    stride = read_u(r, FW_DTW_MAX_STRIDE);
    first = read_u(r, UINT16_MAX);
    dims = read_u(r, UINT16_MAX);
    band = read_u(r, FW_DTW_MAX_BAND);
    ratio_q8 = read_u(r, UINT16_MAX);
    min_distance_q8 = fw_read_i32(r);
    num_takes = read_u(r, KWSC_ENROLL_MAX_TAKES);
    for (i = 0; i < num_takes && !r->failed; i++) {
        frames[i] = (uint16_t)read_u(r, UINT16_MAX);
        takes[i] = fw_read_bytes(r, 2u * (size_t)frames[i] * stride);
    }
    if (r->failed || num_takes == 0u || r->pos != r->size) {
        return FW_ERR_JOB;
    }
    fw_write_u32(out, num_takes);
    for (i = 0; i < num_takes; i++) {
        for (j = 0; j < num_takes; j++) {
            int32_t d = kwsc_dtw_distance(takes[i], frames[i], takes[j], frames[j], (uint16_t)stride,
                                          (uint16_t)first, (uint16_t)dims, (uint16_t)band, dtw_scratch);
            fw_write_u32(out, (uint32_t)d);
        }
    }
    for (i = 0; i < num_takes; i++) {
        nearest_q8[i] = 0;
    }
    if (num_takes >= 3u) {
        if (kwsc_enroll_consistency(takes, frames, (uint16_t)num_takes, (uint16_t)stride, (uint16_t)first,
                                    (uint16_t)dims, (uint16_t)band, (uint16_t)ratio_q8, min_distance_q8, dtw_scratch,
                                    nearest_q8, &outliers) != KWSC_OK) {
            return FW_ERR_KWSC;
        }
        consistency = 1u;
    }
    fw_write_u32(out, consistency);
    for (i = 0; i < num_takes; i++) {
        fw_write_u32(out, (uint32_t)nearest_q8[i]);
    }
    fw_write_u32(out, outliers);
    fw_write_u32(out, fw_stack_high_water() - depth);
    return FW_OK;
}
