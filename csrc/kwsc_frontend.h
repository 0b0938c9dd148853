/*
 * kwsc_frontend.h - streaming fixed-point MFCC frontend, composed from the stage modules.
 *
 *   int16 PCM --window--> int32 frame (block exponent r) --fft--> packed spectrum / N
 *     --mel--> uint64 band energies --log--> Q16 log2 energies --dct--> int16 Q6 cepstra
 *     (--quant--> int8 model input, kwsc_quant.h)
 *
 * Q formats at each stage, for the default config (N = fft_size = 512):
 *   input        int16 Q0 PCM at 16 kHz (full scale +-32768).
 *   pre-emphasis int32 Q15: y = 32768 x[n] - a x[n-1], a in Q15; exact.
 *   window out   int32: x_pe * w * 2^(29 - r), |.| < 2^30; r chosen per frame so the peak
 *                pre-emphasised sample keeps 31 significant bits (block floating point).
 *   FFT out      int32: X[k] * 2^(29 - r) / N, X the DFT of x_pe * w.
 *   mel energy   uint64: E[m] * 2^(58 - 2 r) / N^2 with E = sum_k W[m, k] |X[k]|^2.
 *   log energy   int32 Q16: max(log2 E[m], KWSC_LOG_FLOOR_LOG2), E in squared int16 units.
 *   cepstra      int16 Q6: orthonormal DCT-II of the log2 energies (log2 units * 64).
 *
 * Memory: the caller provides one 8-byte aligned block of kwsc_frontend_memory_bytes() bytes
 * (state + scratch, 3.5 KB for the defaults) and a kwsc_frontend_tables generated for the same
 * config. Nothing is allocated; nothing global is written.
 *
 * Streaming: samples arrive in chunks of any size; a frame is emitted whenever window_samples
 * samples are buffered, then the buffer advances by hop_samples. Any chunking of the same
 * stream gives identical frames.
 */
#ifndef KWSC_FRONTEND_H
#define KWSC_FRONTEND_H

#include "kwsc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Energies below 2^KWSC_LOG_FLOOR_LOG2 (squared int16 units) are clamped: digital silence -> 0. */
#define KWSC_LOG_FLOOR_LOG2 0

/* All parameters of the frontend. kwsc_frontend_config_default() gives the defaults listed. */
typedef struct {
    uint32_t sample_rate_hz;  /* 16000; 8000..48000 */
    uint16_t window_samples;  /* 480 (30 ms); 16..fft_size */
    uint16_t hop_samples;     /* 320 (20 ms); 1..window_samples */
    uint16_t fft_size;        /* 512; power of two, 32..4096 */
    uint16_t num_mel;         /* 40; 1..128 */
    uint16_t mel_low_hz;      /* 60; lower edge of the first mel triangle */
    uint16_t mel_high_hz;     /* 7600; upper edge of the last triangle, <= sample_rate_hz / 2 */
    uint16_t num_ceps;        /* 13; 1..num_mel */
    int16_t preemph_q15;      /* 0 (off); 0..32767, e.g. 31785 = 0.97 */
} kwsc_frontend_config;

/*
 * Integer tables for one config, made by one generator (kwsc.tables), never typed by hand: it
 * emits them as C source for the device (scripts/gen_tables.py) and as arrays for the host.
 * The leading fields record the config they were made for; init refuses tables for another.
 */
typedef struct {
    uint32_t sample_rate_hz;
    uint16_t window_samples;
    uint16_t fft_size;
    uint16_t num_mel;
    uint16_t mel_low_hz;
    uint16_t mel_high_hz;
    uint16_t num_ceps;
    const int32_t *window_q31;     /* window_samples/2 + 2 periodic-Hann values, Q31 */
    const int32_t *twiddle_q31;    /* fft_size/4 + 1 values cos(2 pi k / fft_size), Q31 */
    uint16_t mel_first_bin;        /* first FFT bin with a nonzero mel weight */
    uint16_t mel_num_bins;         /* bins from mel_first_bin on that carry weights */
    const uint16_t *mel_segment_bins; /* num_mel + 1 bin counts, summing to mel_num_bins */
    const int16_t *mel_weight_q15; /* mel_num_bins rising weights, Q15, see kwsc_mel.h */
    const int16_t *dct_half_q15;   /* num_ceps x ceil(num_mel/2): DCT-II rows' left halves, Q15 */
    const int32_t *log2_lut_q16;   /* KWSC_LOG2_LUT_SIZE entries, see kwsc_log.h */
} kwsc_frontend_tables;

/* Frontend state; lives at the start of the caller's memory block. Treat as opaque. */
typedef struct {
    kwsc_frontend_config config;
    const kwsc_frontend_tables *tables;
    uint64_t *mel_energy;  /* num_mel + 2 (two sinks), scratch */
    int32_t *fft;          /* fft_size, scratch */
    int32_t *log_mel_q16;  /* num_mel, log energies of the last frame */
    int16_t *samples;      /* window_samples, the frame being filled */
    uint16_t fill;         /* samples buffered */
    int16_t prev_sample;   /* sample before samples[0], for pre-emphasis */
    int16_t log2_fft_size;
} kwsc_frontend;

#define KWSC_ALIGN8(n) ((((size_t)(n)) + 7u) & ~(size_t)7u)

/* Bytes of state + scratch for a config, usable in a static array declaration. */
#define KWSC_FRONTEND_MEMORY_BYTES(window_samples, fft_size, num_mel)                    \
    (KWSC_ALIGN8(sizeof(kwsc_frontend)) + KWSC_ALIGN8(8u * ((size_t)(num_mel) + 2u)) +  \
     KWSC_ALIGN8(4u * (size_t)(fft_size)) + KWSC_ALIGN8(4u * (size_t)(num_mel)) +       \
     KWSC_ALIGN8(2u * (size_t)(window_samples)))

/* Fill *config with the defaults. */
void kwsc_frontend_config_default(kwsc_frontend_config *config);

/* KWSC_OK if every field is in range, else KWSC_ERR_CONFIG (or KWSC_ERR_NULL). */
int kwsc_frontend_config_check(const kwsc_frontend_config *config);

/* Bytes of caller memory (state + scratch) the config needs; 0 for an invalid config. */
size_t kwsc_frontend_memory_bytes(const kwsc_frontend_config *config);

/* Upper bound on read-only table bytes (flash) for the config; 0 if invalid. */
size_t kwsc_frontend_tables_bytes(const kwsc_frontend_config *config);

/* Frames a fresh frontend emits for a whole clip of num_samples samples. */
size_t kwsc_frontend_frame_count(const kwsc_frontend_config *config, size_t num_samples);

/*
 * Set up a frontend in caller memory (8-byte aligned, >= kwsc_frontend_memory_bytes bytes).
 * The tables must outlive the frontend. On success *out points into memory.
 */
int kwsc_frontend_init(kwsc_frontend **out, void *memory, size_t memory_bytes,
                       const kwsc_frontend_config *config, const kwsc_frontend_tables *tables);

/* Forget buffered samples: the next push starts a new stream. */
void kwsc_frontend_reset(kwsc_frontend *fe);

/*
 * Feed num_samples int16 samples. Completed frames are written to ceps_q6 (num_ceps int16 Q6
 * values each, up to max_frames frames). Input that would complete a frame with no room left
 * is not consumed: *consumed tells how many samples were taken, so nothing is ever dropped.
 * Returns the number of frames written.
 */
size_t kwsc_frontend_push(kwsc_frontend *fe, const int16_t *pcm, size_t num_samples,
                          size_t *consumed, int16_t *ceps_q6, size_t max_frames);

/* Log2 mel energies (Q16) of the most recent frame: num_mel values. */
const int32_t *kwsc_frontend_log_mel_q16(const kwsc_frontend *fe);

/* Tables for the default config, compiled from the generated kwsc_frontend_tables_default.c. */
extern const kwsc_frontend_tables kwsc_frontend_tables_default;

#ifdef __cplusplus
}
#endif

#endif /* KWSC_FRONTEND_H */
