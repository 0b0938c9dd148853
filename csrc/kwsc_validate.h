/*
 * kwsc_validate.h - recording validator: level, clipping, DC, speech span, SNR, bandwidth, hum.
 *
 * One implementation for the device (enrollment: "say the wake word") and the host (the gate
 * every recording passes to enter a dataset), so both accept the same recordings. Streaming:
 * push int16 PCM in chunks of any size, then finish to get metrics and every failed reason.
 *
 * Analysis frames are blocks of hop_samples samples (20 ms at the defaults), aligned with the
 * frontend's frames, whose log-mel energies the validator reads for the spectral checks. Per
 * block it keeps four numbers (9 bytes); the voice-activity decision runs once at the end:
 *   floor     = the vad_floor_percentile-th percentile of block energies (the noise floor),
 *   threshold = floor + max(vad_min_rise, vad_rise_fraction * (loudest block - floor)),
 *   speech runs above threshold separated by less than vad_merge_ms are merged, and runs
 *   shorter than vad_min_run_ms dropped (clicks).
 * Energies are sums of squares about the block mean (so DC cannot pass for speech), >> 8.
 *
 * Units: levels in dBFS (0 dBFS = RMS of a full-scale square wave, 32768), ratios in dB, all as
 * Q8 integers (value * 256); times in ms. 10 log10(2) is KWSC_DB_PER_LOG2_Q16 / 2^16.
 */
#ifndef KWSC_VALIDATE_H
#define KWSC_VALIDATE_H

#include "kwsc_common.h"
#include "kwsc_frontend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* round(10 log10(2) * 2^16): dB per log2 unit, Q16. */
#define KWSC_DB_PER_LOG2_Q16 197283

/* Failed checks, as bits of kwsc_validate_metrics.reasons. */
enum {
    KWSC_REASON_TOO_QUIET = 1u << 0,          /* speech level < min_speech_dbfs (speech found) */
    KWSC_REASON_TOO_LOUD = 1u << 1,           /* speech level > max_speech_dbfs (speech found) */
    KWSC_REASON_CLIPPED = 1u << 2,            /* too many samples at full scale, or a long run */
    KWSC_REASON_DC_OFFSET = 1u << 3,          /* |mean| > max_dc_offset */
    KWSC_REASON_NO_SPEECH = 1u << 4,          /* no speech run found */
    KWSC_REASON_MULTIPLE_UTTERANCES = 1u << 5, /* more than one speech run */
    KWSC_REASON_TOO_SHORT = 1u << 6,          /* one utterance, shorter than min_speech_ms */
    KWSC_REASON_TOO_LONG = 1u << 7,           /* one utterance longer than max_speech_ms, or the
                                                 recording longer than max_frames blocks */
    KWSC_REASON_TRUNCATED_START = 1u << 8,    /* less than min_lead_ms before the speech */
    KWSC_REASON_TRUNCATED_END = 1u << 9,      /* less than min_trail_ms after the speech */
    KWSC_REASON_LOW_SNR = 1u << 10,           /* speech vs background < min_snr_db */
    KWSC_REASON_BAND_LIMITED = 1u << 11,      /* no energy above high_band_first's band */
    KWSC_REASON_HUM = 1u << 12,               /* background dominated by a band below 300 Hz */
    KWSC_REASON_TONAL_NOISE = 1u << 13,       /* background dominated by one higher band (a tone) */
    KWSC_REASON_INCONSISTENT = 1u << 14       /* enrollment: not the same phrase as the others */
};
#define KWSC_REASON_ALL_RECORDING 0x3FFFu    /* every check of a single recording */

/* Largest frontend the validator accepts (its per-frame scratch lives on the stack). */
#define KWSC_VALIDATE_MAX_MEL 64u
#define KWSC_VALIDATE_MAX_CEPS 32u

typedef struct {
    uint32_t checks;               /* reasons to evaluate; others never fire (KWSC_REASON_ALL_RECORDING) */
    uint16_t max_frames;           /* 250: blocks analysed (5 s at 20 ms); longer is TOO_LONG */
    uint16_t hop_samples;          /* 320: block length (16..512), must equal the frontend's hop */
    int32_t min_speech_dbfs_q8;    /* -40 dBFS */
    int32_t max_speech_dbfs_q8;    /* -6 dBFS */
    int16_t clip_level;            /* 32000: |x| >= this counts as clipped */
    uint16_t max_clip_run;         /* 3: this many consecutive clipped samples fail */
    uint32_t max_clipped_ppm;      /* 1000 (0.1 %) of all samples */
    uint16_t max_dc_offset;        /* 328 (1 % of full scale), int16 units */
    uint16_t min_speech_ms;        /* 300 */
    uint16_t max_speech_ms;        /* 1200 */
    uint16_t min_lead_ms;          /* 100: background needed before the speech */
    uint16_t min_trail_ms;         /* 100: and after it */
    uint16_t vad_merge_ms;         /* 200: gaps shorter than this are inside one utterance */
    uint16_t vad_min_run_ms;       /* 60: shorter speech runs are clicks */
    uint16_t vad_floor_percentile; /* 10 */
    int32_t vad_min_rise_db_q8;    /* 6 dB; 0..200 dB */
    uint16_t vad_rise_q15;         /* 0.3 (9830) of the range from floor to loudest block */
    int32_t min_snr_db_q8;         /* 20 dB */
    uint16_t high_band_first;      /* 31: first mel band centred >= 4 kHz (default frontend) */
    int32_t min_high_band_db_q8;   /* -55 dB: speech's top band above it, vs its loudest band */
    uint16_t hum_band_last;        /* 3: last mel band centred below 300 Hz (default frontend) */
    int32_t max_tonality_db_q8;    /* 15 dB: background's loudest band over its median band */
    int32_t min_background_dbfs_q8; /* -70 dBFS: hum and tone checks need this much background */
} kwsc_validate_config;

typedef struct {
    uint32_t reasons;            /* KWSC_REASON_* bits that failed */
    uint32_t num_samples;
    uint16_t num_blocks;         /* blocks analysed */
    uint16_t speech_runs;        /* utterances found */
    int32_t rms_dbfs_q8;         /* whole recording */
    int32_t peak_dbfs_q8;
    int32_t speech_dbfs_q8;      /* speech blocks (or the whole recording if none) */
    int32_t background_dbfs_q8;  /* non-speech blocks (-200 dB if none or silent) */
    int32_t snr_db_q8;           /* speech over background, -99..99 dB */
    int32_t dc_offset_q8;        /* mean sample value, int16 units, Q8 */
    uint32_t clipped_samples;
    uint32_t clipped_ppm;
    uint32_t max_clip_run;
    uint32_t speech_start_ms;    /* first speech run's start */
    uint32_t speech_end_ms;      /* last speech run's end */
    uint32_t lead_ms;            /* background before the speech */
    uint32_t trail_ms;           /* background after it */
    int32_t high_band_db_q8;     /* speech blocks: top band above high_band_first vs loudest band */
    int32_t tonality_db_q8;      /* background: loudest band (but band 0) over the median band */
    uint32_t tonal_band;         /* background: the band most often loudest */
} kwsc_validate_metrics;

/* Validator state; lives at the start of the caller's memory block. Treat as opaque. */
typedef struct kwsc_validator kwsc_validator;
struct kwsc_validator {
    /* (fields are private to kwsc_validate.c) */
    kwsc_validate_config config;
    kwsc_frontend *frontend;
    const int32_t *log2_lut_q16;
    uint32_t *energy;        /* per block: sum of squares about the block mean, >> 8 */
    int16_t *high_band_q8;   /* per block: (top band >= high_band_first) - (top band), log2 Q8 */
    int16_t *tonality_q8;    /* per block: (top band but band 0) - (median band), log2 Q8 */
    uint8_t *peak_band;      /* per block: index of the top band */
    uint16_t blocks;         /* completed blocks stored */
    uint16_t spectra;        /* blocks with spectral values from the frontend */
    uint32_t samples;
    int32_t block_sum;       /* the open block: sum of samples and of squares, and its length */
    uint64_t block_sum_sq;
    uint16_t block_fill;
    uint32_t overflow;       /* blocks beyond max_frames (not stored) */
    int32_t peak;
    int64_t total_sum;
    uint64_t total_sum_sq;
    uint32_t clipped;
    uint32_t clip_run;
    uint32_t max_clip_run;
};

/* Bytes of caller memory for a validator of max_frames blocks, usable in a static declaration. */
#define KWSC_VALIDATE_MEMORY_BYTES(max_frames)                                              \
    (KWSC_ALIGN8(sizeof(kwsc_validator)) + KWSC_ALIGN8(4u * (size_t)(max_frames)) +         \
     2u * KWSC_ALIGN8(2u * (size_t)(max_frames)) + KWSC_ALIGN8((size_t)(max_frames)))

void kwsc_validate_config_default(kwsc_validate_config *config);
int kwsc_validate_config_check(const kwsc_validate_config *config);

/* Bytes of caller memory (8-byte aligned) for the config; 0 if invalid. */
size_t kwsc_validate_memory_bytes(const kwsc_validate_config *config);

/*
 * Set up a validator in caller memory. `frontend` (caller-owned, same hop) supplies log-mel
 * energies; the validator resets it and is its only user until finish. `log2_lut_q16` is the
 * frontend tables' log2 table.
 */
int kwsc_validate_init(kwsc_validator **out, void *memory, size_t memory_bytes,
                       const kwsc_validate_config *config, kwsc_frontend *frontend,
                       const int32_t *log2_lut_q16);

/* Start a new recording (also resets the frontend). */
void kwsc_validate_reset(kwsc_validator *v);

/* Feed num_samples int16 samples of the recording. */
int kwsc_validate_push(kwsc_validator *v, const int16_t *pcm, size_t num_samples);

/* Analyse what was pushed; fills *metrics (reasons included). Reset before the next one. */
int kwsc_validate_finish(kwsc_validator *v, kwsc_validate_metrics *metrics);

/* dB (Q8) from log2 (Q16), and back. */
int32_t kwsc_db_q8_from_log2_q16(int32_t log2_q16);
int32_t kwsc_log2_q16_from_db_q8(int32_t db_q8);

#ifdef __cplusplus
}
#endif

#endif /* KWSC_VALIDATE_H */
