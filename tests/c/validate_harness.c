/*
 * validate_harness.c - command-line driver of the kwsc recording validator and DTW for the
 * sanitizer tests.
 *
 * tests/test_sanitizers.py compiles this file with all the C sources of csrc/ under
 * -fsanitize=address,undefined and compares its output with the cffi binding (kwsc.validate).
 *
 * usage:
 *   validate_harness validate IN.pcm CHUNK OUT.bin [SEED [HOP_SAMPLES MAX_FRAMES]]
 *   validate_harness extremes IN.pcm VARIANT [SEED]
 *   validate_harness dtw OUT.bin SEQ.i16 SEQ.i16 [SEQ.i16 ...]
 *   validate_harness dtw-stress CASE
 *
 * validate: IN.pcm is raw little-endian int16 mono PCM (may be empty). The validator (default
 *   config; HOP_SAMPLES / MAX_FRAMES override those two fields, and the frontend's hop) drives
 *   the default frontend; both live in static memory, the frontend's exactly
 *   KWSC_FRONTEND_MEMORY_BYTES long, the validator's exactly KWSC_VALIDATE_MEMORY_BYTES(250)
 *   long (checked against kwsc_validate_memory_bytes() at run time; for another MAX_FRAMES, that
 *   many bytes at the end of a static block whose unused head is poisoned for ASan). The
 *   recording is pushed CHUNK samples at a time (0 = pseudo-random sizes, empty chunks
 *   included, from an LCG seeded with SEED), each chunk from a heap copy of exactly its
 *   samples. OUT.bin receives every kwsc_validate_metrics field, in struct order, as a
 *   little-endian 32-bit word (signed fields two's complement, uint16 fields widened). Also
 *   checked: the init / push / finish error statuses (NULL pointers, out-of-range configs,
 *   misaligned or short memory, a frontend with another hop, high_band_first past the
 *   frontend's bands, more bands or cepstra than KWSC_VALIDATE_MAX_MEL / _CEPS), metric
 *   invariants (sample, block and clip counts recomputed here), and that the metrics do not
 *   change after reset (junk pushed first, then the whole clip in one push) or after re-init
 *   over a frontend left mid-stream (with another random chunking).
 *
 * extremes: the same run (no output file) with one of NUM_VARIANTS extreme configs that
 *   kwsc_validate_config_check accepts: every metric computation must stay free of undefined
 *   behaviour and independent of the chunking (fixed 1-sample and random pushes).
 *
 * dtw: each SEQ.i16 holds frames x 13 little-endian int16 cepstra (2..KWSC_ENROLL_MAX_TAKES
 *   files, 0 frames allowed). Each is copied into a heap block of exactly its size. OUT.bin
 *   receives int32 words:
 *     for (first, dims) in (1, 12), (0, 13); for band in 0, 1, 5, 50; for i; for j != i:
 *         kwsc_dtw_distance(seq i, seq j)
 *     then, with 3 or more sequences, for band in 5, 50:
 *         nearest_q8[0..n) and the outlier mask of kwsc_enroll_consistency (ratio 2.0)
 *   Scratch is a heap block of exactly KWSC_DTW_SCRATCH_WORDS(band) int32, filled with a
 *   different junk pattern before every call (the result must not depend on it). Also checked:
 *   the distance is symmetric, finite for non-empty sequences (a path always fits), 0 from a
 *   sequence to itself; nearest_q8[i] is the minimum of take i's pairwise distances; and the
 *   error paths (NULL pointers, empty sequences, dims 0 or > KWSC_DTW_MAX_DIMS, first + dims
 *   past the stride, num_takes out of range).
 *
 * dtw-stress: synthetic sequences at the limits (full-scale values, 32 dims, 65535 frames,
 *   single-frame sequences, steep length ratios, the widest band, path costs past 2^30), one
 *   CASE per run.
 *
 * Exit status: 0 all checks passed, 1 a check failed (details on stderr), 2 usage or I/O error.
 * Nothing is printed on success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kwsc_dtw.h"
#include "kwsc_frontend.h"
#include "kwsc_log.h"
#include "kwsc_validate.h"

/* The program name in messages (harness_util.h). */
#define HARNESS_NAME "validate_harness"
#include "harness_util.h"

#if defined(__SANITIZE_ADDRESS__)
#define HARNESS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HARNESS_ASAN 1
#endif
#endif
#ifdef HARNESS_ASAN
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

#define NUM_CEPS 13u
#define NUM_MEL 40u
#define FE_MEMORY_BYTES KWSC_FRONTEND_MEMORY_BYTES(480u, 512u, NUM_MEL)
#define FE_MEMORY_WORDS ((FE_MEMORY_BYTES + 7u) / 8u)
#define DEFAULT_MAX_FRAMES 250u
#define VALIDATOR_BYTES KWSC_VALIDATE_MEMORY_BYTES(DEFAULT_MAX_FRAMES)
/* The largest max_frames kwsc_validate_config_check allows. */
#define VALIDATOR_MAX_FRAMES 30000u
#define BIG_VALIDATOR_BYTES KWSC_VALIDATE_MEMORY_BYTES(VALIDATOR_MAX_FRAMES)
#define NUM_METRICS 20u

/* The frontend's memory: static, 8-byte aligned, exactly the macro's size for the defaults. */
static uint64_t frontend_memory[FE_MEMORY_WORDS];
/* The validator's for the default max_frames: static, exactly the macro's size. */
static uint64_t validator_memory[(VALIDATOR_BYTES + 7u) / 8u];
/* For other max_frames: kwsc_validate_memory_bytes() at the end of this block (head poisoned). */
static uint64_t big_validator_memory[(BIG_VALIDATOR_BYTES + 7u) / 8u];

#define CHECK_EQ32(expr, want)                                                             \
    do {                                                                                   \
        long long got_ = (long long)(expr);                                                \
        long long want_ = (long long)(want);                                               \
        if (got_ != want_) {                                                               \
            fprintf(stderr, HARNESS_NAME ":%d: %s == %lld, expected %lld\n", __LINE__,     \
                    #expr, got_, want_);                                                   \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

/* ---------------------------------------------------------------------------------------- */
/* I/O                                                                                       */

/* `count` little-endian 32-bit words. */
static void write_words(const char *path, const uint32_t *words, size_t count)
{
    unsigned char *bytes = (unsigned char *)xmalloc(4u * count);
    size_t i;

    for (i = 0u; i < count; i++) {
        bytes[4u * i] = (unsigned char)(words[i] & 0xFFu);
        bytes[4u * i + 1u] = (unsigned char)((words[i] >> 8) & 0xFFu);
        bytes[4u * i + 2u] = (unsigned char)((words[i] >> 16) & 0xFFu);
        bytes[4u * i + 3u] = (unsigned char)(words[i] >> 24);
    }
    write_bytes(path, bytes, 4u * count);
    free(bytes);
}

/* ---------------------------------------------------------------------------------------- */
/* Validator                                                                                 */

/* Every field of the metrics, in struct order, as 32-bit words. */
static void metrics_words(const kwsc_validate_metrics *m, uint32_t *w)
{
    size_t k = 0u;
    w[k++] = m->reasons;
    w[k++] = m->num_samples;
    w[k++] = m->num_blocks;
    w[k++] = m->speech_runs;
    w[k++] = (uint32_t)m->rms_dbfs_q8;
    w[k++] = (uint32_t)m->peak_dbfs_q8;
    w[k++] = (uint32_t)m->speech_dbfs_q8;
    w[k++] = (uint32_t)m->background_dbfs_q8;
    w[k++] = (uint32_t)m->snr_db_q8;
    w[k++] = (uint32_t)m->dc_offset_q8;
    w[k++] = m->clipped_samples;
    w[k++] = m->clipped_ppm;
    w[k++] = m->max_clip_run;
    w[k++] = m->speech_start_ms;
    w[k++] = m->speech_end_ms;
    w[k++] = m->lead_ms;
    w[k++] = m->trail_ms;
    w[k++] = (uint32_t)m->high_band_db_q8;
    w[k++] = (uint32_t)m->tonality_db_q8;
    w[k++] = m->tonal_band;
}

static int same_metrics(const kwsc_validate_metrics *a, const kwsc_validate_metrics *b)
{
    uint32_t wa[NUM_METRICS];
    uint32_t wb[NUM_METRICS];
    size_t k;
    metrics_words(a, wa);
    metrics_words(b, wb);
    for (k = 0u; k < NUM_METRICS; k++) {
        if (wa[k] != wb[k]) {
            fprintf(stderr, "validate_harness: metric word %u differs: %ld vs %ld\n", (unsigned)k,
                    (long)(int32_t)wa[k], (long)(int32_t)wb[k]);
            return 0;
        }
    }
    return 1;
}

/*
 * Reset v, push pcm[0..n) in chunks (each from a heap copy of exactly its samples; an empty
 * chunk is pushed as NULL), finish into *m.
 */
static void run_validator(kwsc_validator *v, const int16_t *pcm, size_t n, size_t fixed_chunk,
                          uint32_t seed, kwsc_validate_metrics *m)
{
    uint32_t state = seed;
    size_t total = 0u;

    kwsc_validate_reset(v);
    CHECK_STATUS(kwsc_validate_push(v, NULL, 0u), KWSC_OK);
    while (total < n) {
        size_t len = next_chunk(fixed_chunk, &state);
        int16_t *chunk;
        if (len > n - total) {
            len = n - total;
        }
        chunk = len > 0u ? (int16_t *)xmalloc(len * sizeof(int16_t)) : NULL;
        if (len > 0u) {
            memcpy(chunk, &pcm[total], len * sizeof(int16_t));
        }
        CHECK_STATUS(kwsc_validate_push(v, chunk, len), KWSC_OK);
        free(chunk);
        total += len;
    }
    memset(m, 0xA5, sizeof *m); /* finish must fill every field */
    CHECK_STATUS(kwsc_validate_finish(v, m), KWSC_OK);
}

/* Metric invariants that follow from the header, with sample-level counts recomputed here. */
static void check_metrics(const kwsc_validate_config *c, const int16_t *pcm, size_t n,
                          const kwsc_validate_metrics *m)
{
    size_t blocks = (n + c->hop_samples - 1u) / c->hop_samples;
    uint32_t clipped = 0u;
    uint32_t run = 0u;
    uint32_t max_run = 0u;
    int64_t sum = 0;
    size_t i;

    for (i = 0u; i < n; i++) {
        int32_t x = pcm[i];
        sum += x;
        if ((x < 0 ? -x : x) >= c->clip_level) {
            clipped++;
            run++;
            max_run = run > max_run ? run : max_run;
        } else {
            run = 0u;
        }
    }
    CHECK_EQ32(m->num_samples, (uint32_t)n);
    CHECK_EQ32(m->num_blocks, blocks < c->max_frames ? blocks : c->max_frames);
    CHECK((m->reasons & ~c->checks) == 0u);
    CHECK((m->reasons & ~(uint32_t)KWSC_REASON_ALL_RECORDING) == 0u);
    CHECK_EQ32(m->clipped_samples, clipped);
    CHECK_EQ32(m->max_clip_run, max_run);
    if (n == 0u) {
        CHECK_EQ32(m->reasons, KWSC_REASON_NO_SPEECH & c->checks);
        CHECK_EQ32(m->speech_runs, 0);
        CHECK_EQ32(m->rms_dbfs_q8, -200 * 256);
        CHECK_EQ32(m->peak_dbfs_q8, -200 * 256);
        return;
    }
    CHECK_EQ32(m->dc_offset_q8, (int32_t)(sum * 256 / (int64_t)n));
    CHECK_EQ32(m->clipped_ppm, (uint32_t)((uint64_t)clipped * 1000000u / n));
    if (blocks > c->max_frames && (c->checks & KWSC_REASON_TOO_LONG) != 0u) {
        CHECK((m->reasons & KWSC_REASON_TOO_LONG) != 0u);
    }
    if ((c->checks & KWSC_REASON_NO_SPEECH) != 0u) {
        CHECK(((m->reasons & KWSC_REASON_NO_SPEECH) != 0u) == (m->speech_runs == 0u));
    }
    CHECK(m->speech_runs <= m->num_blocks);
    CHECK(m->speech_start_ms <= m->speech_end_ms);
    CHECK_EQ32(m->lead_ms, m->speech_start_ms);
    CHECK(m->snr_db_q8 >= -99 * 256 && m->snr_db_q8 <= 99 * 256);
    CHECK(m->peak_dbfs_q8 <= 0 && m->rms_dbfs_q8 <= m->peak_dbfs_q8 + 4);
    CHECK(m->tonal_band < NUM_MEL);
}

/* Frontend with the default tables and the given hop, in the static block. */
static kwsc_frontend *init_frontend(uint16_t hop)
{
    kwsc_frontend_config fc;
    kwsc_frontend *fe = NULL;
    kwsc_frontend_config_default(&fc);
    fc.hop_samples = hop;
    CHECK(kwsc_frontend_memory_bytes(&fc) == FE_MEMORY_BYTES);
    CHECK(FE_MEMORY_BYTES <= sizeof(frontend_memory));
    CHECK_STATUS(kwsc_frontend_init(&fe, frontend_memory, FE_MEMORY_BYTES, &fc,
                                    &kwsc_frontend_tables_default),
                 KWSC_OK);
    return fe;
}

/* Validator in static memory of exactly kwsc_validate_memory_bytes() bytes: the block sized
 * with KWSC_VALIDATE_MEMORY_BYTES for the default max_frames, else the tail of the big block
 * with its unused head poisoned, so ASan catches any access outside them. NULL on failure. */
static kwsc_validator *init_validator(const kwsc_validate_config *c, kwsc_frontend *fe)
{
    kwsc_validator *v = NULL;
    size_t bytes = kwsc_validate_memory_bytes(c);
    unsigned char *memory;
    CHECK_EQ32(bytes, KWSC_VALIDATE_MEMORY_BYTES(c->max_frames));
    if (c->max_frames == DEFAULT_MAX_FRAMES && bytes == VALIDATOR_BYTES) {
        CHECK(sizeof(validator_memory) == bytes);
        memory = (unsigned char *)validator_memory;
    } else if (bytes > 0u && bytes <= sizeof(big_validator_memory)) {
        size_t offset = (sizeof(big_validator_memory) - bytes) & ~(size_t)7u;
        ASAN_UNPOISON_MEMORY_REGION(big_validator_memory, sizeof(big_validator_memory));
        ASAN_POISON_MEMORY_REGION(big_validator_memory, offset);
        memory = (unsigned char *)big_validator_memory + offset;
    } else {
        fprintf(stderr, "validate_harness: kwsc_validate_memory_bytes = %lu, static block %lu\n",
                (unsigned long)bytes, (unsigned long)sizeof(big_validator_memory));
        failures++;
        return NULL;
    }
    CHECK_STATUS(kwsc_validate_init(&v, memory, bytes, c, fe,
                                    kwsc_frontend_tables_default.log2_lut_q16),
                 KWSC_OK);
    CHECK(v == (kwsc_validator *)(void *)memory);
    return v;
}

/* The i-th single-field corruption of the default config; 0 when there are no more. */
static int corrupt_config(int i, kwsc_validate_config *c)
{
    kwsc_validate_config_default(c);
    switch (i) {
    case 0: c->max_frames = 7u; break;
    case 1: c->max_frames = 30001u; break;
    case 2: c->max_frames = 0u; break;
    case 3: c->hop_samples = 15u; break;
    case 4: c->hop_samples = 513u; break;
    case 5: c->hop_samples = 0u; break;
    case 6: c->clip_level = 0; break;
    case 7: c->clip_level = INT16_MIN; break;
    case 8: c->max_clip_run = 0u; break;
    case 9: c->vad_floor_percentile = 101u; break;
    case 10: c->vad_rise_q15 = 32769u; break;
    case 11: c->vad_min_rise_db_q8 = -1; break;
    case 12: c->vad_min_rise_db_q8 = INT32_MIN; break;
    case 13: c->min_speech_ms = 1201u; break; /* > max_speech_ms */
    case 14: c->hum_band_last = c->high_band_first; break;
    case 15: c->high_band_first = 256u; break;
    case 16: c->high_band_first = 0u; c->hum_band_last = 0u; break;
    default: return 0;
    }
    return 1;
}

/* The i-th valid config at a limit of the check; 0 when there are no more. */
static int boundary_config(int i, kwsc_validate_config *c)
{
    kwsc_validate_config_default(c);
    switch (i) {
    case 0: c->max_frames = 8u; break;
    case 1: c->max_frames = 30000u; break;
    case 2: c->hop_samples = 16u; break;
    case 3: c->hop_samples = 512u; break;
    case 4: c->clip_level = 1; c->max_clip_run = 1u; break;
    case 5: c->vad_floor_percentile = 100u; c->vad_rise_q15 = 32768u; break;
    case 6: c->vad_min_rise_db_q8 = 0; c->min_speech_ms = c->max_speech_ms; break;
    case 7: c->high_band_first = 255u; c->hum_band_last = 254u; break;
    default: return 0;
    }
    return 1;
}

static void check_validator_errors(kwsc_frontend *fe)
{
    kwsc_validate_config good;
    kwsc_validate_config bad;
    kwsc_validate_metrics m;
    const int32_t *lut = kwsc_frontend_tables_default.log2_lut_q16;
    kwsc_validator *v = NULL;
    kwsc_frontend *fe160 = NULL;
    kwsc_frontend fake;
    kwsc_frontend_config fc;
    uint64_t fe160_memory[FE_MEMORY_WORDS];
    unsigned char *heap;
    size_t bytes;
    size_t k;
    int16_t pcm[4] = {1, -2, 3, -4};
    int i;

    kwsc_validate_config_default(NULL);
    kwsc_validate_config_default(&good);
    CHECK_STATUS(kwsc_validate_config_check(&good), KWSC_OK);
    CHECK_STATUS(kwsc_validate_config_check(NULL), KWSC_ERR_NULL);
    CHECK(kwsc_validate_memory_bytes(NULL) == 0u);
    bytes = kwsc_validate_memory_bytes(&good);
    CHECK_EQ32(bytes, VALIDATOR_BYTES);
    CHECK(bytes > sizeof(kwsc_validator));
    /* A heap block with one spare word, so misaligned pointers still have `bytes` behind them. */
    heap = (unsigned char *)xmalloc(bytes + 8u);

    /* NULL pointers. */
    CHECK_STATUS(kwsc_validate_init(NULL, heap, bytes, &good, fe, lut), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_validate_init(&v, NULL, bytes, &good, fe, lut), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_validate_init(&v, heap, bytes, NULL, fe, lut), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_validate_init(&v, heap, bytes, &good, NULL, lut), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_validate_init(&v, heap, bytes, &good, fe, NULL), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_validate_init(NULL, NULL, 0u, NULL, NULL, NULL), KWSC_ERR_NULL);

    /* Misaligned and short memory. */
    for (k = 1u; k < 8u; k++) {
        CHECK_STATUS(kwsc_validate_init(&v, heap + k, bytes, &good, fe, lut), KWSC_ERR_MEMORY);
    }
    CHECK_STATUS(kwsc_validate_init(&v, heap, bytes - 1u, &good, fe, lut), KWSC_ERR_MEMORY);
    CHECK_STATUS(kwsc_validate_init(&v, heap, bytes - 8u, &good, fe, lut), KWSC_ERR_MEMORY);
    CHECK_STATUS(kwsc_validate_init(&v, heap, 0u, &good, fe, lut), KWSC_ERR_MEMORY);

    /* Out-of-range configs. */
    for (i = 0; corrupt_config(i, &bad); i++) {
        CHECK_STATUS(kwsc_validate_config_check(&bad), KWSC_ERR_CONFIG);
        CHECK(kwsc_validate_memory_bytes(&bad) == 0u);
        CHECK_STATUS(kwsc_validate_init(&v, heap, bytes, &bad, fe, lut), KWSC_ERR_CONFIG);
    }
    for (i = 0; boundary_config(i, &bad); i++) {
        CHECK_STATUS(kwsc_validate_config_check(&bad), KWSC_OK);
        CHECK_EQ32(kwsc_validate_memory_bytes(&bad), KWSC_VALIDATE_MEMORY_BYTES(bad.max_frames));
        CHECK(kwsc_validate_memory_bytes(&bad) <= sizeof(big_validator_memory));
    }
    /* Valid configs the default frontend cannot serve. */
    bad = good;
    bad.hop_samples = 160u; /* the frontend's hop is 320 */
    CHECK_STATUS(kwsc_validate_config_check(&bad), KWSC_OK);
    CHECK_STATUS(kwsc_validate_init(&v, heap, bytes, &bad, fe, lut), KWSC_ERR_CONFIG);
    bad = good;
    bad.high_band_first = NUM_MEL; /* the frontend has bands 0..39 */
    CHECK_STATUS(kwsc_validate_config_check(&bad), KWSC_OK);
    CHECK_STATUS(kwsc_validate_init(&v, heap, bytes, &bad, fe, lut), KWSC_ERR_CONFIG);
    bad.high_band_first = 255u;
    CHECK_STATUS(kwsc_validate_init(&v, heap, bytes, &bad, fe, lut), KWSC_ERR_CONFIG);

    /* A frontend with more bands or cepstra than the validator's stack scratch holds (a copy of
     * the real one with the config edited: init must refuse it before touching it). */
    fake = *fe;
    fake.config.num_mel = KWSC_VALIDATE_MAX_MEL + 1u;
    CHECK_STATUS(kwsc_validate_init(&v, heap, bytes, &good, &fake, lut), KWSC_ERR_CONFIG);
    fake = *fe;
    fake.config.num_ceps = KWSC_VALIDATE_MAX_CEPS + 1u;
    CHECK_STATUS(kwsc_validate_init(&v, heap, bytes, &good, &fake, lut), KWSC_ERR_CONFIG);

    /* A frontend with another hop: refused for the default config, accepted when they agree. */
    kwsc_frontend_config_default(&fc);
    fc.hop_samples = 160u;
    CHECK_STATUS(kwsc_frontend_init(&fe160, fe160_memory, sizeof(fe160_memory), &fc,
                                    &kwsc_frontend_tables_default),
                 KWSC_OK);
    if (fe160 != NULL) {
        CHECK_STATUS(kwsc_validate_init(&v, heap, bytes, &good, fe160, lut), KWSC_ERR_CONFIG);
        bad = good;
        bad.hop_samples = 160u;
        v = NULL;
        CHECK_STATUS(kwsc_validate_init(&v, heap, bytes, &bad, fe160, lut), KWSC_OK);
        CHECK(v == (kwsc_validator *)(void *)heap);
    }

    /* The same arguments with nothing wrong succeed; NULL handling of the other entry points. */
    v = NULL;
    CHECK_STATUS(kwsc_validate_init(&v, heap, bytes, &good, fe, lut), KWSC_OK);
    CHECK(v == (kwsc_validator *)(void *)heap);
    kwsc_validate_reset(NULL);
    CHECK_STATUS(kwsc_validate_push(NULL, pcm, 4u), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_validate_push(NULL, NULL, 0u), KWSC_ERR_NULL);
    if (v != NULL) {
        CHECK_STATUS(kwsc_validate_push(v, NULL, 4u), KWSC_ERR_NULL);
        CHECK_STATUS(kwsc_validate_push(v, NULL, 0u), KWSC_OK);
        CHECK_STATUS(kwsc_validate_push(v, pcm, 4u), KWSC_OK);
        CHECK_STATUS(kwsc_validate_finish(v, NULL), KWSC_ERR_NULL);
        CHECK_STATUS(kwsc_validate_finish(v, &m), KWSC_OK);
        CHECK_EQ32(m.num_samples, 4);
        CHECK_EQ32(m.num_blocks, 1);
    }
    CHECK_STATUS(kwsc_validate_finish(NULL, &m), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_validate_finish(NULL, NULL), KWSC_ERR_NULL);
    free(heap);
}

static void check_db_conversions(void)
{
    static const int32_t log2_values[] = {INT32_MIN, INT32_MIN / 2, -40 * 65536, -65536, -1, 0,
                                          1, 65536, 15 * 65536, 40 * 65536, INT32_MAX};
    static const int32_t db_values[] = {INT32_MIN, -200 * 256, -1, 0, 1, 256, 99 * 256,
                                        INT32_MAX};
    size_t k;
    volatile int32_t sink = 0;
    CHECK_EQ32(kwsc_db_q8_from_log2_q16(0), 0);
    CHECK_EQ32(kwsc_log2_q16_from_db_q8(0), 0);
    for (k = 0u; k < sizeof(log2_values) / sizeof(log2_values[0]); k++) {
        int32_t db = kwsc_db_q8_from_log2_q16(log2_values[k]);
        sink += db / 2;
        if (log2_values[k] > -100 * 65536 && log2_values[k] < 100 * 65536) {
            int32_t back = kwsc_log2_q16_from_db_q8(db);
            int32_t diff = back - log2_values[k];
            CHECK(diff >= -256 && diff <= 256);
        }
    }
    for (k = 0u; k < sizeof(db_values) / sizeof(db_values[0]); k++) {
        sink += kwsc_log2_q16_from_db_q8(db_values[k]) / 2;
    }
    (void)sink;
}

/* Extreme configs kwsc_validate_config_check accepts, for the extremes mode; 0 when there is no
 * such variant. */
#define NUM_VARIANTS 15
static int variant_config(int i, kwsc_validate_config *c)
{
    kwsc_validate_config_default(c);
    switch (i) {
    case 0: break;
    case 1: c->max_frames = 8u; break; /* nearly everything overflows */
    case 2: c->max_frames = 30000u; c->hop_samples = 16u; break;
    case 3: c->hop_samples = 480u; c->max_frames = 8u; break; /* the frontend's longest hop */
    case 4: c->clip_level = 1; c->max_clip_run = 1u; c->max_clipped_ppm = 0u; break;
    case 5:
        c->clip_level = INT16_MAX;
        c->max_clip_run = 65535u;
        c->max_clipped_ppm = UINT32_MAX;
        break;
    case 6: c->vad_floor_percentile = 0u; c->vad_rise_q15 = 0u; c->vad_min_rise_db_q8 = 0; break;
    case 7: c->vad_floor_percentile = 100u; c->vad_rise_q15 = 32768u; break;
    case 8:
        c->vad_merge_ms = 65535u;
        c->vad_min_run_ms = 65535u;
        c->min_speech_ms = 0u;
        c->max_speech_ms = 65535u;
        c->min_lead_ms = 65535u;
        c->min_trail_ms = 65535u;
        break;
    case 9: c->vad_merge_ms = 0u; c->vad_min_run_ms = 0u; c->vad_min_rise_db_q8 = 0; break;
    case 10:
        c->checks = 0u;
        c->min_speech_dbfs_q8 = INT32_MAX;
        c->max_speech_dbfs_q8 = INT32_MIN;
        c->min_snr_db_q8 = INT32_MAX;
        c->min_high_band_db_q8 = INT32_MAX;
        c->max_tonality_db_q8 = INT32_MIN;
        c->min_background_dbfs_q8 = INT32_MIN;
        c->max_dc_offset = 0u;
        break;
    case 11:
        c->checks = 0xFFFFFFFFu; /* bits past KWSC_REASON_ALL_RECORDING must never fire */
        c->high_band_first = NUM_MEL - 1u;
        c->hum_band_last = NUM_MEL - 2u;
        break;
    case 12: c->high_band_first = 1u; c->hum_band_last = 0u; break;
    case 13: c->vad_min_rise_db_q8 = INT32_MAX; break; /* a rise of 8.4 million dB */
    case 14: c->vad_min_rise_db_q8 = 25250862; break;  /* 98636 dB: 2^31 - 100040 in log2 Q16 */
    default: return 0;
    }
    return 1;
}

/* The validator on pcm with config c: chunked, then junk + reset + whole, then re-init over a
 * frontend left mid-stream + another random chunking. Returns the metrics of the first run. */
static void validate_stream(const kwsc_validate_config *c, const int16_t *pcm, size_t n,
                            size_t chunk, uint32_t seed, kwsc_validate_metrics *out)
{
    kwsc_validate_metrics again;
    kwsc_frontend *fe = init_frontend(c->hop_samples);
    kwsc_validator *v;
    int16_t junk[1000];
    int16_t junk_ceps[64u * NUM_CEPS]; /* 777 samples at hop 16: 19 frames */
    size_t consumed = 0u;
    size_t k;

    memset(out, 0, sizeof *out);
    if (fe == NULL) {
        return;
    }
    v = init_validator(c, fe);
    if (v == NULL) {
        return;
    }
    run_validator(v, pcm, n, chunk, seed, out);
    check_metrics(c, pcm, n, out);

    for (k = 0u; k < sizeof(junk) / sizeof(junk[0]); k++) {
        junk[k] = (k / 3u) % 2u == 0u ? INT16_MIN : INT16_MAX; /* full-scale square */
    }
    CHECK_STATUS(kwsc_validate_push(v, junk, sizeof(junk) / sizeof(junk[0])), KWSC_OK);
    run_validator(v, pcm, n, n, 0u, &again); /* resets, then the whole clip in one push */
    CHECK(same_metrics(out, &again));

    /* The frontend left mid-stream with junk; init must reset it. */
    kwsc_frontend_reset(fe);
    (void)kwsc_frontend_push(fe, junk, 777u, &consumed, junk_ceps, 64u);
    CHECK(consumed == 777u);
    v = init_validator(c, fe);
    if (v == NULL) {
        return;
    }
    run_validator(v, pcm, n, 0u, seed ^ 0x9E3779B9u, &again);
    CHECK(same_metrics(out, &again));
}

static int main_validate(int argc, char **argv)
{
    kwsc_validate_config config;
    kwsc_validate_metrics m;
    uint32_t words[NUM_METRICS];
    kwsc_frontend *fe;
    int16_t *pcm;
    size_t n;
    size_t chunk;
    uint32_t seed = 1u;

    if (argc != 5 && argc != 6 && argc != 8) {
        fprintf(stderr, "usage: %s validate IN.pcm CHUNK OUT.bin [SEED [HOP_SAMPLES MAX_FRAMES]]\n",
                argv[0]);
        return 2;
    }
    chunk = (size_t)parse_ulong(argv[3], 0xFFFFFFFFul, "chunk size");
    kwsc_validate_config_default(&config);
    if (argc > 5) {
        seed = (uint32_t)parse_ulong(argv[5], 0xFFFFFFFFul, "seed");
    }
    if (argc > 6) {
        config.hop_samples = (uint16_t)parse_ulong(argv[6], 480ul, "hop_samples");
        config.max_frames = (uint16_t)parse_ulong(argv[7], 65535ul, "max_frames");
    }
    if (kwsc_validate_config_check(&config) != KWSC_OK) {
        fprintf(stderr, "validate_harness: invalid config override\n");
        return 2;
    }
    pcm = read_int16(argv[2], &n);

    fe = init_frontend(320u);
    if (fe != NULL) {
        check_validator_errors(fe);
    }
    check_db_conversions();
    validate_stream(&config, pcm, n, chunk, seed, &m);

    if (failures == 0) {
        metrics_words(&m, words);
        write_words(argv[4], words, NUM_METRICS);
    }
    free(pcm);
    if (failures != 0) {
        fprintf(stderr, "validate_harness: %d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}

static int main_extremes(int argc, char **argv)
{
    kwsc_validate_config config;
    kwsc_validate_metrics chunked;
    kwsc_validate_metrics one_by_one;
    int16_t *pcm;
    size_t n;
    int variant;
    uint32_t seed = 1u;

    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: %s extremes IN.pcm VARIANT [SEED]\n", argv[0]);
        return 2;
    }
    variant = (int)parse_ulong(argv[3], 1000ul, "variant");
    if (argc > 4) {
        seed = (uint32_t)parse_ulong(argv[4], 0xFFFFFFFFul, "seed");
    }
    if (!variant_config(variant, &config)) {
        fprintf(stderr, "validate_harness: no such variant: %d (there are %d)\n", variant,
                NUM_VARIANTS);
        return 2;
    }
    if (kwsc_validate_config_check(&config) != KWSC_OK) {
        /* Variants 13 and 14 (a rise of ~10^5 dB and more) may be refused once the check bounds
         * vad_min_rise_db_q8: then there is nothing to run. Every other variant must pass. */
        CHECK(variant == 13 || variant == 14);
        return failures != 0;
    }
    pcm = read_int16(argv[2], &n);
    validate_stream(&config, pcm, n, 0u, seed, &chunked);
    validate_stream(&config, pcm, n, 1u, seed, &one_by_one); /* one sample per push */
    CHECK(same_metrics(&chunked, &one_by_one));
    free(pcm);
    if (failures != 0) {
        fprintf(stderr, "validate_harness: variant %d: %d check(s) failed\n", variant, failures);
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* DTW                                                                                       */

static const uint16_t dtw_bands[] = {0u, 1u, 5u, 50u};
static const uint16_t enroll_bands[] = {5u, 50u};
#define NUM_DTW_BANDS (sizeof(dtw_bands) / sizeof(dtw_bands[0]))
#define NUM_ENROLL_BANDS (sizeof(enroll_bands) / sizeof(enroll_bands[0]))
#define ENROLL_RATIO_Q8 512u
#define ENROLL_MIN_DISTANCE_Q8 0 /* no floor: the ratio rule alone decides, as in the binding call */

static uint32_t junk_state = 12345u;

/* Exactly KWSC_DTW_SCRATCH_WORDS(band) int32 on the heap, filled with junk. */
static int32_t *new_scratch(uint16_t band)
{
    size_t words = KWSC_DTW_SCRATCH_WORDS(band);
    int32_t *s = (int32_t *)xmalloc(words * sizeof(int32_t));
    size_t k;
    for (k = 0u; k < words; k++) {
        s[k] = (int32_t)(lcg_next(&junk_state) << 8) ^ (int32_t)lcg_next(&junk_state);
    }
    return s;
}

/* kwsc_dtw_distance with fresh junk scratch, and again with the arguments swapped: the result
 * depends neither on the junk nor on the order. */
static int32_t dtw(const int16_t *a, uint16_t na, const int16_t *b, uint16_t nb, uint16_t stride,
                   uint16_t first, uint16_t dims, uint16_t band)
{
    int32_t *s1 = new_scratch(band);
    int32_t *s2 = new_scratch(band);
    int32_t d1 = kwsc_dtw_distance(a, na, b, nb, stride, first, dims, band, s1);
    int32_t d2 = kwsc_dtw_distance(b, nb, a, na, stride, first, dims, band, s2);
    CHECK_EQ32(d1, d2);
    CHECK(d1 >= 0);
    free(s1);
    free(s2);
    return d1;
}

/* A valid call on two non-empty sequences: a path always fits (kwsc_dtw.h). */
#define CHECK_FINITE(d) CHECK_EQ32((d) == KWSC_DTW_INFINITE, 0)

static void check_dtw_errors(const int16_t *a, uint16_t na, const int16_t *b, uint16_t nb)
{
    int32_t *s = new_scratch(5u);
    const int16_t *takes[KWSC_ENROLL_MAX_TAKES + 1u];
    uint16_t frames[KWSC_ENROLL_MAX_TAKES + 1u];
    int32_t nearest[KWSC_ENROLL_MAX_TAKES + 1u];
    uint32_t outliers = 0u;
    int status;
    size_t k;

    CHECK_EQ32(kwsc_dtw_distance(NULL, na, b, nb, NUM_CEPS, 1u, 12u, 5u, s), KWSC_DTW_INFINITE);
    CHECK_EQ32(kwsc_dtw_distance(a, na, NULL, nb, NUM_CEPS, 1u, 12u, 5u, s), KWSC_DTW_INFINITE);
    CHECK_EQ32(kwsc_dtw_distance(a, na, b, nb, NUM_CEPS, 1u, 12u, 5u, NULL), KWSC_DTW_INFINITE);
    CHECK_EQ32(kwsc_dtw_distance(NULL, 0u, NULL, 0u, 0u, 0u, 0u, 0u, NULL), KWSC_DTW_INFINITE);
    CHECK_EQ32(kwsc_dtw_distance(a, 0u, b, nb, NUM_CEPS, 1u, 12u, 5u, s), KWSC_DTW_INFINITE);
    CHECK_EQ32(kwsc_dtw_distance(a, na, b, 0u, NUM_CEPS, 1u, 12u, 5u, s), KWSC_DTW_INFINITE);
    CHECK_EQ32(kwsc_dtw_distance(a, na, b, nb, NUM_CEPS, 1u, 0u, 5u, s), KWSC_DTW_INFINITE);
    CHECK_EQ32(kwsc_dtw_distance(a, na, b, nb, NUM_CEPS, 0u, KWSC_DTW_MAX_DIMS + 1u, 5u, s),
               KWSC_DTW_INFINITE);
    CHECK_EQ32(kwsc_dtw_distance(a, na, b, nb, NUM_CEPS, 0u, 65535u, 5u, s), KWSC_DTW_INFINITE);
    CHECK_EQ32(kwsc_dtw_distance(a, na, b, nb, NUM_CEPS, 1u, 13u, 5u, s), KWSC_DTW_INFINITE);
    CHECK_EQ32(kwsc_dtw_distance(a, na, b, nb, NUM_CEPS, 13u, 1u, 5u, s), KWSC_DTW_INFINITE);
    CHECK_EQ32(kwsc_dtw_distance(a, na, b, nb, NUM_CEPS, 65535u, 2u, 5u, s), KWSC_DTW_INFINITE);
    CHECK_EQ32(kwsc_dtw_distance(a, na, b, nb, 0u, 0u, 1u, 5u, s), KWSC_DTW_INFINITE);

    for (k = 0u; k <= KWSC_ENROLL_MAX_TAKES; k++) {
        takes[k] = (k % 2u == 0u) ? a : b;
        frames[k] = (k % 2u == 0u) ? na : nb;
    }
    CHECK_STATUS(kwsc_enroll_consistency(NULL, frames, 3u, NUM_CEPS, 1u, 12u, 5u, 512u, ENROLL_MIN_DISTANCE_Q8, s,
                                         nearest, &outliers),
                 KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_enroll_consistency(takes, NULL, 3u, NUM_CEPS, 1u, 12u, 5u, 512u, ENROLL_MIN_DISTANCE_Q8, s, nearest,
                                         &outliers),
                 KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_enroll_consistency(takes, frames, 3u, NUM_CEPS, 1u, 12u, 5u, 512u, ENROLL_MIN_DISTANCE_Q8, NULL,
                                         nearest, &outliers),
                 KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_enroll_consistency(takes, frames, 3u, NUM_CEPS, 1u, 12u, 5u, 512u, ENROLL_MIN_DISTANCE_Q8, s, NULL,
                                         &outliers),
                 KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_enroll_consistency(takes, frames, 3u, NUM_CEPS, 1u, 12u, 5u, 512u, ENROLL_MIN_DISTANCE_Q8, s,
                                         nearest, NULL),
                 KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_enroll_consistency(NULL, NULL, 0u, 0u, 0u, 0u, 0u, 0u, 0, NULL, NULL, NULL),
                 KWSC_ERR_NULL);
    {
        static const uint16_t bad_counts[] = {0u, 1u, 2u, KWSC_ENROLL_MAX_TAKES + 1u, 65535u};
        for (k = 0u; k < sizeof(bad_counts) / sizeof(bad_counts[0]); k++) {
            /* Only KWSC_ENROLL_MAX_TAKES + 1 entries exist: a count past them must be refused
             * before anything is read. */
            CHECK_STATUS(kwsc_enroll_consistency(takes, frames, bad_counts[k], NUM_CEPS, 1u, 12u,
                                                 5u, 512u, ENROLL_MIN_DISTANCE_Q8, s, nearest, &outliers),
                         KWSC_ERR_ARGUMENT);
        }
    }
    /* All KWSC_ENROLL_MAX_TAKES takes, nearest_q8 exactly that long on the heap. */
    {
        int32_t *near_heap = (int32_t *)xmalloc(KWSC_ENROLL_MAX_TAKES * sizeof(int32_t));
        CHECK_STATUS(kwsc_enroll_consistency(takes, frames, KWSC_ENROLL_MAX_TAKES, NUM_CEPS, 1u,
                                             12u, 5u, 512u, ENROLL_MIN_DISTANCE_Q8, s, near_heap, &outliers),
                     KWSC_OK);
        free(near_heap);
    }
    /* dims out of range: every distance is KWSC_DTW_INFINITE (or the call is refused). */
    {
        static const uint16_t bad_dims[][2] = {{1u, 0u}, {0u, KWSC_DTW_MAX_DIMS + 1u}, {1u, 13u}};
        for (k = 0u; k < sizeof(bad_dims) / sizeof(bad_dims[0]); k++) {
            size_t t;
            status = kwsc_enroll_consistency(takes, frames, 3u, NUM_CEPS, bad_dims[k][0],
                                             bad_dims[k][1], 5u, 512u, ENROLL_MIN_DISTANCE_Q8, s, nearest, &outliers);
            CHECK(status == KWSC_OK || status == KWSC_ERR_ARGUMENT);
            for (t = 0u; status == KWSC_OK && t < 3u; t++) {
                CHECK_EQ32(nearest[t], KWSC_DTW_INFINITE);
            }
        }
    }
    free(s);
}

static int main_dtw(int argc, char **argv)
{
    size_t num = (size_t)argc - 3u;
    int16_t *seqs[KWSC_ENROLL_MAX_TAKES];
    uint16_t frames[KWSC_ENROLL_MAX_TAKES];
    static const uint16_t spans[2][2] = {{1u, 12u}, {0u, 13u}};
    uint32_t *words;
    size_t capacity;
    size_t count = 0u;
    size_t i;
    size_t j;
    size_t s;
    size_t b;

    if (argc < 5 || num > KWSC_ENROLL_MAX_TAKES) {
        fprintf(stderr, "usage: %s dtw OUT.bin SEQ.i16 SEQ.i16 [SEQ.i16 ...] (2..%u sequences)\n",
                argv[0], (unsigned)KWSC_ENROLL_MAX_TAKES);
        return 2;
    }
    for (i = 0u; i < num; i++) {
        size_t values;
        seqs[i] = read_int16(argv[3 + i], &values);
        if (values % NUM_CEPS != 0u || values / NUM_CEPS > 65535u) {
            fprintf(stderr, "validate_harness: %s: not frames x 13 int16\n", argv[3 + i]);
            return 2;
        }
        frames[i] = (uint16_t)(values / NUM_CEPS);
    }
    capacity = 2u * NUM_DTW_BANDS * num * num + NUM_ENROLL_BANDS * (num + 1u);
    words = (uint32_t *)xmalloc(capacity * sizeof(uint32_t));

    check_dtw_errors(seqs[0], frames[0], seqs[1], frames[1]);

    for (s = 0u; s < 2u; s++) {
        for (b = 0u; b < NUM_DTW_BANDS; b++) {
            for (i = 0u; i < num; i++) {
                if (frames[i] > 0u) {
                    CHECK_EQ32(dtw(seqs[i], frames[i], seqs[i], frames[i], NUM_CEPS, spans[s][0],
                                   spans[s][1], dtw_bands[b]),
                               0);
                }
                for (j = 0u; j < num; j++) {
                    if (j != i) {
                        int32_t d = dtw(seqs[i], frames[i], seqs[j], frames[j], NUM_CEPS,
                                        spans[s][0], spans[s][1], dtw_bands[b]);
                        if (frames[i] > 0u && frames[j] > 0u) {
                            CHECK_FINITE(d);
                        } else {
                            CHECK_EQ32(d, KWSC_DTW_INFINITE);
                        }
                        words[count++] = (uint32_t)d;
                    }
                }
            }
        }
    }
    if (num >= 3u) {
        for (b = 0u; b < NUM_ENROLL_BANDS; b++) {
            int32_t *scratch = new_scratch(enroll_bands[b]);
            int32_t *nearest = (int32_t *)xmalloc(num * sizeof(int32_t)); /* exactly num */
            uint32_t outliers = 0xFFFFFFFFu;
            const int16_t *const *takes = (const int16_t *const *)seqs;
            CHECK_STATUS(kwsc_enroll_consistency(takes, frames, (uint16_t)num, NUM_CEPS, 1u, 12u,
                                                 enroll_bands[b], ENROLL_RATIO_Q8, ENROLL_MIN_DISTANCE_Q8, scratch,
                                                 nearest, &outliers),
                         KWSC_OK);
            CHECK((outliers >> num) == 0u);
            for (i = 0u; i < num; i++) {
                /* nearest_q8[i]: the smallest distance between take i and another take. */
                int32_t want = KWSC_DTW_INFINITE;
                for (j = 0u; j < num; j++) {
                    if (j != i) {
                        int32_t d = dtw(seqs[i], frames[i], seqs[j], frames[j], NUM_CEPS, 1u, 12u,
                                        enroll_bands[b]);
                        want = d < want ? d : want;
                    }
                }
                CHECK_EQ32(nearest[i], want);
                words[count++] = (uint32_t)nearest[i];
            }
            words[count++] = outliers;
            free(scratch);
            free(nearest);
        }
    }
    CHECK(count <= capacity);

    if (failures == 0) {
        write_words(argv[2], words, count);
    }
    for (i = 0u; i < num; i++) {
        free(seqs[i]);
    }
    free(words);
    if (failures != 0) {
        fprintf(stderr, "validate_harness: %d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}

/* A heap sequence of n frames x stride int16 from a pattern. */
static int16_t *make_seq(size_t n, size_t stride, int pattern)
{
    int16_t *x = (int16_t *)xmalloc(n * stride * sizeof(int16_t));
    size_t t;
    size_t k;
    for (t = 0u; t < n; t++) {
        for (k = 0u; k < stride; k++) {
            int16_t v;
            switch (pattern) {
            case 0: v = ((t + k) % 2u == 0u) ? INT16_MIN : INT16_MAX; break; /* full scale */
            case 1: v = ((t + k) % 2u == 0u) ? INT16_MAX : INT16_MIN; break; /* its opposite */
            case 2: v = (int16_t)((int32_t)((t * 7919u + k * 104729u) % 65536u) - 32768); break;
            case 3: v = (int16_t)((int32_t)((t * 31u + k * 17u) % 2000u) - 1000); break;
            default: v = (int16_t)((int32_t)((t * 13u + k * 29u) % 2000u) - 1000); break;
            }
            x[t * stride + k] = v;
        }
    }
    return x;
}

#define NUM_STRESS_CASES 7
static int main_dtw_stress(int argc, char **argv)
{
    int which;
    int16_t *a;
    int16_t *b;
    int32_t d;

    if (argc != 3) {
        fprintf(stderr, "usage: %s dtw-stress CASE\n", argv[0]);
        return 2;
    }
    which = (int)parse_ulong(argv[2], 1000ul, "case");
    switch (which) {
    case 0: /* Full-scale opposite sequences, 32 dims: the largest local costs. */
        a = make_seq(120u, KWSC_DTW_MAX_DIMS, 0);
        b = make_seq(90u, KWSC_DTW_MAX_DIMS, 1);
        d = dtw(a, 120u, b, 90u, KWSC_DTW_MAX_DIMS, 0u, KWSC_DTW_MAX_DIMS, 50u);
        CHECK(d > 0);
        CHECK_FINITE(d);
        CHECK_EQ32(dtw(a, 120u, a, 120u, KWSC_DTW_MAX_DIMS, 0u, KWSC_DTW_MAX_DIMS, 0u), 0);
        break;
    case 1: /* The longest sequences: 65535 frames (moderate values: path costs below 2^30). */
        a = make_seq(65535u, 2u, 3);
        b = make_seq(65535u, 2u, 4);
        CHECK_EQ32(dtw(a, 65535u, a, 65535u, 2u, 0u, 1u, 0u), 0);
        d = dtw(a, 65535u, b, 65535u, 2u, 0u, 2u, 1u);
        CHECK(d > 0);
        CHECK_FINITE(d);
        d = dtw(a, 65535u, b, 1000u, 2u, 1u, 1u, 2u);
        CHECK_FINITE(d);
        break;
    case 2: /* One frame against many, and against one. */
        a = make_seq(500u, NUM_CEPS, 2);
        b = make_seq(1u, NUM_CEPS, 3);
        CHECK_FINITE(dtw(a, 500u, b, 1u, NUM_CEPS, 1u, 12u, 0u));
        CHECK_FINITE(dtw(a, 2u, b, 1u, NUM_CEPS, 1u, 12u, 0u));
        CHECK_FINITE(dtw(a, 65u, b, 1u, NUM_CEPS, 1u, 12u, 50u));
        CHECK_EQ32(dtw(b, 1u, b, 1u, NUM_CEPS, 1u, 12u, 0u), 0);
        CHECK_FINITE(dtw(a, 1u, b, 1u, NUM_CEPS, 1u, 12u, 0u));
        break;
    case 3: /* The old out-of-bounds read: one frame first, nb >= band + 2. */
        a = make_seq(1u, NUM_CEPS, 2);
        b = make_seq(500u, NUM_CEPS, 3);
        CHECK_FINITE(dtw(a, 1u, b, 500u, NUM_CEPS, 1u, 12u, 5u));
        CHECK_FINITE(dtw(a, 1u, b, 7u, NUM_CEPS, 1u, 12u, 5u));
        CHECK_FINITE(dtw(a, 1u, b, 2u, NUM_CEPS, 1u, 12u, 0u));
        break;
    case 4: /* Steep length ratios with narrow bands: a path still fits. */
        a = make_seq(10u, NUM_CEPS, 2);
        b = make_seq(300u, NUM_CEPS, 3);
        CHECK_FINITE(dtw(a, 10u, b, 300u, NUM_CEPS, 1u, 12u, 0u));
        CHECK_FINITE(dtw(a, 10u, b, 300u, NUM_CEPS, 1u, 12u, 1u));
        CHECK_FINITE(dtw(a, 2u, b, 300u, NUM_CEPS, 1u, 12u, 5u));
        CHECK_FINITE(dtw(b, 300u, b, 299u, NUM_CEPS, 1u, 12u, 0u));
        break;
    case 5: /* The widest band: 65535 frames either side (1 MB of scratch). */
        a = make_seq(200u, NUM_CEPS, 2);
        b = make_seq(150u, NUM_CEPS, 3);
        d = dtw(a, 200u, b, 150u, NUM_CEPS, 1u, 12u, 65535u);
        CHECK(d > 0);
        CHECK_FINITE(d);
        CHECK_EQ32(d, dtw(a, 200u, b, 150u, NUM_CEPS, 1u, 12u, 300u));
        break;
    case 6: /* A path cost past 2^30 (full-range values, 32 dims, 3000 frames): the documented
             * limit, reported as KWSC_DTW_INFINITE without overflowing on the way. */
        a = make_seq(3000u, KWSC_DTW_MAX_DIMS, 2);
        b = make_seq(2000u, KWSC_DTW_MAX_DIMS, 4);
        d = dtw(a, 3000u, b, 2000u, KWSC_DTW_MAX_DIMS, 0u, KWSC_DTW_MAX_DIMS, 50u);
        CHECK_EQ32(d, KWSC_DTW_INFINITE);
        break;
    default:
        fprintf(stderr, "validate_harness: no such dtw-stress case: %d (there are %d)\n", which,
                NUM_STRESS_CASES);
        return 2;
    }
    free(a);
    free(b);
    if (failures != 0) {
        fprintf(stderr, "validate_harness: dtw-stress %d: %d check(s) failed\n", which, failures);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "validate") == 0) {
        return main_validate(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "extremes") == 0) {
        return main_extremes(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "dtw") == 0) {
        return main_dtw(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "dtw-stress") == 0) {
        return main_dtw_stress(argc, argv);
    }
    fprintf(stderr,
            "usage: %s validate IN.pcm CHUNK OUT.bin [SEED [HOP_SAMPLES MAX_FRAMES]]\n"
            "       %s extremes IN.pcm VARIANT [SEED]\n"
            "       %s dtw OUT.bin SEQ.i16 SEQ.i16 [SEQ.i16 ...]\n"
            "       %s dtw-stress CASE\n",
            argv[0], argv[0], argv[0], argv[0]);
    return 2;
}
