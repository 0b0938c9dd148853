/*
 * fw_frontend.c - the frontend component: features of a job's PCM, and their cost.
 *
 * Job (little-endian, fields 4-byte aligned):
 *   u32 magic "KWF1", u32 chunk_samples,
 *   i32 config[9] = sample_rate_hz, window_samples, hop_samples, fft_size, num_mel,
 *                   mel_low_hz, mel_high_hz, num_ceps, preemph_q15,
 *   u32 n, i32 zero_point, i32 offset_q6[n], i32 scale_q16[n],
 *   u32 num_samples, i16 pcm[num_samples].
 * "frontend" output: u32 frames, u32 num_ceps, i16 ceps[frames * num_ceps], i8 q[same],
 *   u32 stack bytes used by the frontend calls (high-water mark below the caller's frame),
 *   u32 frontend memory bytes (kwsc_frontend_memory_bytes).
 * "frontend-cost" output: u32 frames, then SysTick tick sums over all frames for: the whole
 *   frame (push), window, fft, mel, log, dct, int8 quantisation, and an empty region.
 *
 * The frontend runs with the compiled-in default tables, exactly as a device build would.
 */
#include "fw.h"

#include "kwsc_dct.h"
#include "kwsc_fft.h"
#include "kwsc_frontend.h"
#include "kwsc_log.h"
#include "kwsc_mel.h"
#include "kwsc_quant.h"
#include "kwsc_window.h"

#define FW_MAGIC_FRONTEND 0x3146574Bu /* "KWF1" */
#define FW_MAX_FRAMES 6000u           /* two minutes at a 20 ms hop */
#define FW_MAX_CEPS 64u

/* The frontend's state + scratch: the declared buffer `kwsc footprint` attributes to it. */
static uint64_t kwsc_frontend_state[KWSC_FRONTEND_MEMORY_BYTES(480, 512, 40) / 8u];

static int16_t ceps_out[FW_MAX_FRAMES * 13u];
static int8_t int8_out[FW_MAX_FRAMES * 13u];

typedef struct {
    kwsc_frontend_config config;
    uint32_t chunk_samples;
    kwsc_quant_params quant;
    const int16_t *pcm;
    uint32_t num_samples;
} frontend_job;

static int parse_job(fw_reader *r, frontend_job *job)
{
    int32_t c[9];
    uint32_t i;
    uint32_t n;
    if (fw_read_u32(r) != FW_MAGIC_FRONTEND) {
        return FW_ERR_JOB;
    }
    job->chunk_samples = fw_read_u32(r);
    for (i = 0; i < 9u; i++) {
        c[i] = fw_read_i32(r);
    }
    job->config.sample_rate_hz = (uint32_t)c[0];
    job->config.window_samples = (uint16_t)c[1];
    job->config.hop_samples = (uint16_t)c[2];
    job->config.fft_size = (uint16_t)c[3];
    job->config.num_mel = (uint16_t)c[4];
    job->config.mel_low_hz = (uint16_t)c[5];
    job->config.mel_high_hz = (uint16_t)c[6];
    job->config.num_ceps = (uint16_t)c[7];
    job->config.preemph_q15 = (int16_t)c[8];
    n = fw_read_u32(r);
    job->quant.num_ceps = (uint16_t)n;
    job->quant.zero_point = fw_read_i32(r);
    job->quant.offset_q6 = fw_read_bytes(r, 4u * n);
    job->quant.scale_q16 = fw_read_bytes(r, 4u * n);
    job->num_samples = fw_read_u32(r);
    job->pcm = fw_read_bytes(r, 2u * job->num_samples);
    if (r->failed || job->chunk_samples == 0u || n != job->config.num_ceps || n > FW_MAX_CEPS) {
        return FW_ERR_JOB;
    }
    return FW_OK;
}

static int start_frontend(const frontend_job *job, kwsc_frontend **fe)
{
    int status = kwsc_frontend_init(fe, kwsc_frontend_state, sizeof kwsc_frontend_state,
                                    &job->config, &kwsc_frontend_tables_default);
    return status == KWSC_OK ? FW_OK : FW_ERR_KWSC;
}

int fw_frontend_run(fw_reader *r, fw_writer *out)
{
    frontend_job job;
    kwsc_frontend *fe;
    uint32_t pos = 0;
    uint32_t frames = 0;
    uint32_t num_ceps;
    uint32_t depth = fw_stack_depth();
    int status = parse_job(r, &job);
    if (status != FW_OK || (status = start_frontend(&job, &fe)) != FW_OK) {
        return status;
    }
    num_ceps = job.config.num_ceps;
    if (kwsc_frontend_frame_count(&job.config, job.num_samples) * num_ceps > FW_MAX_FRAMES * 13u) {
        return FW_ERR_JOB;
    }
    while (pos < job.num_samples) {
        uint32_t chunk = job.num_samples - pos;
        size_t consumed = 0;
        if (chunk > job.chunk_samples) {
            chunk = job.chunk_samples;
        }
        frames += (uint32_t)kwsc_frontend_push(fe, &job.pcm[pos], chunk, &consumed,
                                               &ceps_out[frames * num_ceps],
                                               FW_MAX_FRAMES * 13u / num_ceps - frames);
        if (consumed != chunk) {
            return FW_ERR_KWSC; /* room was sized for every frame, so nothing may be held back */
        }
        pos += chunk;
    }
    if (kwsc_quantize_int8(ceps_out, frames, &job.quant, int8_out) != KWSC_OK) {
        return FW_ERR_KWSC;
    }
    fw_write_u32(out, frames);
    fw_write_u32(out, num_ceps);
    fw_write(out, ceps_out, ((size_t)frames * num_ceps * 2u + 3u) & ~(size_t)3u);
    fw_write(out, int8_out, ((size_t)frames * num_ceps + 3u) & ~(size_t)3u);
    fw_write_u32(out, fw_stack_high_water() - depth);
    fw_write_u32(out, (uint32_t)kwsc_frontend_memory_bytes(&job.config));
    return FW_OK;
}

enum { COST_TOTAL, COST_WINDOW, COST_FFT, COST_MEL, COST_LOG, COST_DCT, COST_QUANT, COST_EMPTY, COST_N };

int fw_frontend_cost(fw_reader *r, fw_writer *out)
{
    static int32_t fft[512];
    static uint64_t mel[40 + 2];
    static int32_t log_mel[40];
    frontend_job job;
    kwsc_frontend *fe;
    const kwsc_frontend_tables *t = &kwsc_frontend_tables_default;
    const kwsc_frontend_config *c = &job.config;
    uint32_t ticks[COST_N] = {0};
    uint32_t frames = 0;
    uint32_t start;
    int16_t ceps[FW_MAX_CEPS];
    int8_t q[FW_MAX_CEPS];
    int32_t log2_fft = 0;
    int status = parse_job(r, &job);
    if (status != FW_OK || (status = start_frontend(&job, &fe)) != FW_OK) {
        return status;
    }
    if (c->fft_size > 512u || c->num_mel > 40u) {
        return FW_ERR_JOB; /* the per-stage scratch below is sized for the default config */
    }
    while ((1u << log2_fft) < c->fft_size) {
        log2_fft++;
    }
    for (start = 0; start + c->window_samples <= job.num_samples; start += c->hop_samples) {
        const int16_t *frame = &job.pcm[start];
        int16_t prev = start == 0u ? 0 : job.pcm[start - 1u];
        size_t consumed;
        int shift;
        /* The whole frame as the device runs it: the samples that complete it, pushed at once. */
        uint32_t feed = frames == 0u ? c->window_samples : c->hop_samples;
        fw_counter_start();
        kwsc_frontend_push(fe, &frame[c->window_samples - feed], feed, &consumed, ceps, 1u);
        ticks[COST_TOTAL] += fw_counter_ticks();
        /* The same frame stage by stage, to say where the instructions go. */
        fw_counter_start();
        shift = kwsc_window_apply(frame, prev, c->preemph_q15, t->window_q31, c->window_samples,
                                  fft, c->fft_size);
        ticks[COST_WINDOW] += fw_counter_ticks();
        fw_counter_start();
        kwsc_fft_real_forward(fft, c->fft_size, t->twiddle_q31);
        ticks[COST_FFT] += fw_counter_ticks();
        fw_counter_start();
        kwsc_mel_energies(fft, t->mel_first_bin, t->mel_segment_bins, t->mel_weight_q15,
                          c->num_mel, mel);
        ticks[COST_MEL] += fw_counter_ticks();
        fw_counter_start();
        kwsc_log_energies(&mel[1], c->num_mel, 2 * shift - 58 + 2 * log2_fft, KWSC_LOG_FLOOR_LOG2,
                          t->log2_lut_q16, log_mel);
        ticks[COST_LOG] += fw_counter_ticks();
        fw_counter_start();
        kwsc_dct_q6(log_mel, c->num_mel, t->dct_half_q15, c->num_ceps, (int32_t *)(void *)mel, ceps);
        ticks[COST_DCT] += fw_counter_ticks();
        fw_counter_start();
        kwsc_quantize_int8(ceps, 1u, &job.quant, q);
        ticks[COST_QUANT] += fw_counter_ticks();
        fw_counter_start();
        ticks[COST_EMPTY] += fw_counter_ticks();
        frames++;
    }
    fw_write_u32(out, frames);
    fw_write(out, ticks, sizeof ticks);
    return FW_OK;
}
