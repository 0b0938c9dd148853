/*
 * frontend_harness.c - command-line driver of the kwsc C frontend for the sanitizer tests.
 *
 * tests/test_sanitizers.py compiles this file with all the C sources of csrc/ under
 * -fsanitize=address,undefined and compares its output with the cffi binding.
 *
 * usage: frontend_harness IN.pcm CHUNK OUT.bin [SEED [PREEMPH_Q15 [HOP_SAMPLES]]]
 *
 *   IN.pcm       raw little-endian int16 mono PCM (may be empty).
 *   CHUNK        feed the frontend CHUNK samples per push; 0 = pseudo-random chunk sizes
 *                (including empty chunks) drawn from an LCG seeded with SEED.
 *   OUT.bin      written as frames * num_ceps little-endian int16 Q6 cepstra, then
 *                frames * num_ceps int8 features (kwsc_quantize_int8 with offset 0,
 *                scale_q16 256, zero_point 0 for every coefficient). No header.
 *   SEED         uint32 seed of the chunk / max_frames pattern (default 1).
 *   PREEMPH_Q15  overrides config.preemph_q15 (default 0).
 *   HOP_SAMPLES  overrides config.hop_samples (default 320). Neither field is part of the
 *                tables, so kwsc_frontend_tables_default serves every override.
 *
 * Every push gets a max_frames from a small cycle that includes 0 (and a NULL ceps pointer),
 * so the "input that would complete a frame with no room left is not consumed" path runs
 * constantly; the harness re-feeds whatever was not consumed and checks the documented
 * contract of kwsc_frontend_push after every call. Each push reads from a heap copy of exactly
 * the samples passed and writes to a heap buffer of exactly max_frames frames, so ASan catches
 * any read or write past either end.
 *
 * Also checked: kwsc_frontend_init error statuses (NULL pointers, misaligned and too-small
 * memory, out-of-range configs, mismatching tables), NULL handling of the other entry points,
 * kwsc_quantize_int8 error statuses and extreme parameters, frame counts, and that reset +
 * re-run (whole clip in one push, and another random chunking) reproduces the output exactly.
 *
 * The frontend itself lives in a static buffer sized with KWSC_FRONTEND_MEMORY_BYTES; only
 * I/O and per-push buffers are malloc'd.
 *
 * Exit status: 0 all checks passed, 1 a check failed (details on stderr), 2 usage or I/O error.
 * Nothing is printed on success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kwsc_frontend.h"
#include "kwsc_quant.h"

/* The program name in messages (harness_util.h). */
#define HARNESS_NAME "frontend_harness"
#include "harness_util.h"

#define DEFAULT_WINDOW 480u
#define DEFAULT_FFT 512u
#define DEFAULT_MEL 40u
#define NUM_CEPS 13u
#define MEMORY_BYTES KWSC_FRONTEND_MEMORY_BYTES(DEFAULT_WINDOW, DEFAULT_FFT, DEFAULT_MEL)
#define MEMORY_WORDS ((MEMORY_BYTES + 7u) / 8u)

/* The frontend's memory: static, 8-byte aligned, exactly the macro's size for the defaults. */
static uint64_t frontend_memory[MEMORY_WORDS];

/* ---------------------------------------------------------------------------------------- */
/* Streaming                                                                                 */

/* max_frames per push call; MF_NULL means "max_frames 3 but ceps_q6 == NULL". */
#define MF_NULL ((size_t)-1)
static const size_t max_frames_cycle[] = {1u, 0u, 2u, MF_NULL, 1u, 3u, 0u, 1u, 5u};
#define MAX_FRAMES_CYCLE_LEN (sizeof(max_frames_cycle) / sizeof(max_frames_cycle[0]))

/* Frames a fresh frontend has emitted after `taken` samples. */
static size_t frames_after(const kwsc_frontend_config *c, size_t taken)
{
    return taken < c->window_samples ? 0u : (taken - c->window_samples) / c->hop_samples + 1u;
}

/*
 * Feed pcm[0..n) to fe (fresh or just reset) in chunks; store the frames in ceps (capacity
 * frames). Returns the number of frames, or (size_t)-1 after a failed check.
 */
static size_t run_stream(kwsc_frontend *fe, const kwsc_frontend_config *c, const int16_t *pcm,
                         size_t n, size_t fixed_chunk, uint32_t seed, int16_t *ceps,
                         size_t capacity)
{
    uint32_t state = seed;
    size_t cycle = seed % MAX_FRAMES_CYCLE_LEN;
    size_t total = 0u;  /* samples consumed */
    size_t frames = 0u; /* frames emitted */
    size_t stalls = 0u; /* consecutive calls that made no progress */

    while (total < n) {
        size_t len = next_chunk(fixed_chunk, &state);
        size_t off = 0u;
        int16_t *chunk;
        if (len > n - total) {
            len = n - total;
        }
        /* A heap copy of exactly this chunk: over-reads hit ASan's redzone. */
        chunk = (int16_t *)xmalloc(len * sizeof(int16_t));
        if (len > 0u) {
            memcpy(chunk, &pcm[total], len * sizeof(int16_t));
        }
        do {
            size_t mf = max_frames_cycle[cycle];
            int use_null = (mf == MF_NULL);
            size_t limit = use_null ? 3u : mf;
            size_t room = use_null ? 0u : mf;
            size_t remaining = len - off;
            size_t consumed = (size_t)12345;
            size_t got;
            size_t buffered;
            int16_t *out;
            cycle = (cycle + 1u) % MAX_FRAMES_CYCLE_LEN;
            if (room > capacity - frames) {
                room = capacity - frames;
                limit = room;
            }
            /* Exactly `room` frames of output (a 1-byte block for none): overruns hit ASan. */
            out = use_null ? NULL : (int16_t *)xmalloc(room * NUM_CEPS * sizeof(int16_t));
            got = kwsc_frontend_push(fe, remaining > 0u ? &chunk[off] : NULL, remaining,
                                     &consumed, out, limit);
            CHECK(got <= room);
            CHECK(consumed <= remaining);
            if (got > room || consumed > remaining) {
                free(out);
                free(chunk);
                return (size_t)-1;
            }
            if (got > 0u) {
                memcpy(&ceps[frames * NUM_CEPS], out, got * NUM_CEPS * sizeof(int16_t));
            }
            free(out);
            off += consumed;
            total += consumed;
            frames += got;
            /* A frame is emitted exactly when window_samples samples are buffered. */
            CHECK(frames == frames_after(c, total));
            buffered = total - frames * c->hop_samples; /* samples in the frame buffer */
            CHECK(buffered < c->window_samples);
            if (consumed < remaining) {
                /* Input is held back only when it would complete a frame with no room. */
                CHECK(got == room);
                CHECK(buffered + (remaining - consumed) >= c->window_samples);
            }
            if (frames != frames_after(c, total) || buffered >= c->window_samples) {
                free(chunk);
                return (size_t)-1;
            }
            stalls = (consumed == 0u && got == 0u && remaining > 0u) ? stalls + 1u : 0u;
            if (stalls > MAX_FRAMES_CYCLE_LEN) {
                fprintf(stderr, "frontend_harness: push makes no progress\n");
                failures++;
                free(chunk);
                return (size_t)-1;
            }
        } while (off < len);
        free(chunk);
    }
    return frames;
}

/* ---------------------------------------------------------------------------------------- */
/* Error paths                                                                               */

/* The i-th single-field corruption of a valid config; 0 when there are no more. */
static int corrupt_config(int i, kwsc_frontend_config *c)
{
    kwsc_frontend_config_default(c);
    switch (i) {
    case 0: c->sample_rate_hz = 7999u; break;
    case 1: c->sample_rate_hz = 48001u; break;
    case 2: c->fft_size = 500u; break;           /* not a power of two */
    case 3: c->fft_size = 16u; break;
    case 4: c->fft_size = 8192u; break;
    case 5: c->fft_size = 0u; break;
    case 6: c->window_samples = 513u; break;     /* > fft_size */
    case 7: c->window_samples = 15u; c->hop_samples = 10u; break;
    case 8: c->hop_samples = 0u; break;
    case 9: c->hop_samples = 481u; break;        /* > window_samples */
    case 10: c->num_mel = 0u; break;
    case 11: c->num_mel = 129u; break;
    case 12: c->num_ceps = 0u; break;
    case 13: c->num_ceps = 41u; break;           /* > num_mel */
    case 14: c->mel_low_hz = 7600u; break;       /* == mel_high_hz */
    case 15: c->mel_high_hz = 8001u; break;      /* > sample_rate / 2 */
    case 16: c->preemph_q15 = -1; break;
    case 17: c->preemph_q15 = INT16_MIN; break;
    case 18: c->window_samples = 0u; break;
    case 19: c->mel_low_hz = 65535u; c->mel_high_hz = 65535u; break;
    default: return 0;
    }
    return 1;
}

/* The i-th corruption of the default tables; 0 when there are no more. */
static int corrupt_tables(int i, kwsc_frontend_tables *t)
{
    *t = kwsc_frontend_tables_default;
    switch (i) {
    case 0: t->sample_rate_hz = 8000u; break;
    case 1: t->window_samples = 400u; break;
    case 2: t->fft_size = 1024u; break;
    case 3: t->num_mel = 32u; break;
    case 4: t->mel_low_hz = 0u; break;
    case 5: t->mel_high_hz = 8000u; break;
    case 6: t->num_ceps = 12u; break;
    case 7: t->window_q31 = NULL; break;
    case 8: t->twiddle_q31 = NULL; break;
    case 9: t->mel_segment_bins = NULL; break;
    case 10: t->mel_weight_q15 = NULL; break;
    case 11: t->dct_half_q15 = NULL; break;
    case 12: t->log2_lut_q16 = NULL; break;
    case 13: t->mel_first_bin = 16u; t->mel_num_bins = 242u; break; /* past bin 256 */
    case 14: t->mel_num_bins = 65535u; break;
    default: return 0;
    }
    return 1;
}

static void check_init_errors(void)
{
    kwsc_frontend_config good;
    kwsc_frontend_config bad;
    kwsc_frontend_tables tables;
    const kwsc_frontend_tables *def = &kwsc_frontend_tables_default;
    /* One spare word, so the misaligned pointers below still have `bytes` bytes behind them. */
    uint64_t memory[MEMORY_WORDS + 1u];
    unsigned char *base = (unsigned char *)memory;
    kwsc_frontend *fe = NULL;
    size_t bytes;
    size_t k;
    int i;

    kwsc_frontend_config_default(&good);
    bytes = kwsc_frontend_memory_bytes(&good);
    CHECK(bytes == MEMORY_BYTES);
    CHECK(bytes <= sizeof(frontend_memory));
    CHECK(kwsc_frontend_tables_bytes(&good) > 0u);
    CHECK_STATUS(kwsc_frontend_config_check(&good), KWSC_OK);

    /* NULL pointers. */
    CHECK_STATUS(kwsc_frontend_init(NULL, memory, bytes, &good, def), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_frontend_init(&fe, NULL, bytes, &good, def), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_frontend_init(&fe, memory, bytes, NULL, def), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_frontend_init(&fe, memory, bytes, &good, NULL), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_frontend_init(NULL, NULL, 0u, NULL, NULL), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_frontend_config_check(NULL), KWSC_ERR_NULL);
    CHECK(kwsc_frontend_memory_bytes(NULL) == 0u);
    CHECK(kwsc_frontend_tables_bytes(NULL) == 0u);
    CHECK(kwsc_frontend_frame_count(NULL, 100000u) == 0u);

    /* Misaligned memory (with enough bytes behind it). */
    for (k = 1u; k < 8u; k++) {
        CHECK_STATUS(kwsc_frontend_init(&fe, base + k, bytes, &good, def), KWSC_ERR_MEMORY);
    }
    /* Too little memory. */
    CHECK_STATUS(kwsc_frontend_init(&fe, memory, bytes - 1u, &good, def), KWSC_ERR_MEMORY);
    CHECK_STATUS(kwsc_frontend_init(&fe, memory, bytes - 8u, &good, def), KWSC_ERR_MEMORY);
    CHECK_STATUS(kwsc_frontend_init(&fe, memory, sizeof(kwsc_frontend), &good, def),
                 KWSC_ERR_MEMORY);
    CHECK_STATUS(kwsc_frontend_init(&fe, memory, 0u, &good, def), KWSC_ERR_MEMORY);

    /* Out-of-range configs. */
    for (i = 0; corrupt_config(i, &bad); i++) {
        CHECK_STATUS(kwsc_frontend_config_check(&bad), KWSC_ERR_CONFIG);
        CHECK(kwsc_frontend_memory_bytes(&bad) == 0u);
        CHECK(kwsc_frontend_tables_bytes(&bad) == 0u);
        CHECK(kwsc_frontend_frame_count(&bad, 100000u) == 0u);
        CHECK_STATUS(kwsc_frontend_init(&fe, memory, sizeof(memory), &bad, def), KWSC_ERR_CONFIG);
    }

    /* Tables for another config, incomplete tables, and a valid other config. */
    for (i = 0; corrupt_tables(i, &tables); i++) {
        CHECK_STATUS(kwsc_frontend_init(&fe, memory, bytes, &good, &tables), KWSC_ERR_TABLES);
    }
    bad = good;
    bad.num_ceps = 12u;
    CHECK_STATUS(kwsc_frontend_config_check(&bad), KWSC_OK);
    CHECK_STATUS(kwsc_frontend_init(&fe, memory, sizeof(memory), &bad, def), KWSC_ERR_TABLES);
    bad = good;
    bad.window_samples = 400u;
    bad.hop_samples = 160u;
    CHECK_STATUS(kwsc_frontend_init(&fe, memory, sizeof(memory), &bad, def), KWSC_ERR_TABLES);
    bad = good;
    bad.sample_rate_hz = 22050u;
    CHECK_STATUS(kwsc_frontend_init(&fe, memory, sizeof(memory), &bad, def), KWSC_ERR_TABLES);

    /* After all that, the same arguments with nothing wrong succeed. */
    fe = NULL;
    CHECK_STATUS(kwsc_frontend_init(&fe, memory, bytes, &good, def), KWSC_OK);
    CHECK(fe == (kwsc_frontend *)(void *)memory);
    /* hop_samples and preemph_q15 are not part of the tables. */
    bad = good;
    bad.hop_samples = 1u;
    bad.preemph_q15 = 32767;
    CHECK_STATUS(kwsc_frontend_init(&fe, memory, bytes, &bad, def), KWSC_OK);
}

/* NULL and empty arguments of the other entry points; fe must be usable, state unchanged. */
static void check_null_handling(kwsc_frontend *fe)
{
    int16_t pcm[4] = {1, 2, 3, 4};
    int16_t out[NUM_CEPS];
    size_t consumed = (size_t)777;

    kwsc_frontend_config_default(NULL);
    kwsc_frontend_reset(NULL);
    CHECK(kwsc_frontend_log_mel_q16(NULL) == NULL);
    CHECK(kwsc_frontend_log_mel_q16(fe) != NULL);

    CHECK(kwsc_frontend_push(NULL, pcm, 4u, &consumed, out, 1u) == 0u);
    CHECK(consumed == 0u);
    consumed = (size_t)777;
    CHECK(kwsc_frontend_push(fe, NULL, 4u, &consumed, out, 1u) == 0u);
    CHECK(consumed == 0u);
    consumed = (size_t)777;
    CHECK(kwsc_frontend_push(fe, NULL, 0u, &consumed, NULL, 0u) == 0u);
    CHECK(consumed == 0u);
    CHECK(kwsc_frontend_push(fe, pcm, 0u, NULL, out, 1u) == 0u);
    CHECK(kwsc_frontend_push(NULL, NULL, 0u, NULL, NULL, 0u) == 0u);
}

static void check_quant(void)
{
    int32_t offset[NUM_CEPS];
    int32_t scale[NUM_CEPS];
    int16_t ceps[4u * NUM_CEPS];
    int8_t out[4u * NUM_CEPS];
    kwsc_quant_params p;
    size_t k;

    for (k = 0u; k < NUM_CEPS; k++) {
        offset[k] = 0;
        scale[k] = 256;
    }
    p.num_ceps = NUM_CEPS;
    p.offset_q6 = offset;
    p.scale_q16 = scale;
    p.zero_point = 0;
    for (k = 0u; k < 4u * NUM_CEPS; k++) {
        ceps[k] = (int16_t)(k % 4u == 0u ? INT16_MIN : k % 4u == 1u ? INT16_MAX : (int)k - 20);
    }

    CHECK_STATUS(kwsc_quant_check(&p), KWSC_OK);
    CHECK_STATUS(kwsc_quant_check(NULL), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_quantize_int8(ceps, 4u, NULL, out), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_quantize_int8(NULL, 4u, &p, out), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_quantize_int8(ceps, 4u, &p, NULL), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_quantize_int8(NULL, 0u, &p, NULL), KWSC_OK);
    p.offset_q6 = NULL;
    CHECK_STATUS(kwsc_quant_check(&p), KWSC_ERR_NULL);
    p.offset_q6 = offset;
    p.scale_q16 = NULL;
    CHECK_STATUS(kwsc_quant_check(&p), KWSC_ERR_NULL);
    p.scale_q16 = scale;
    p.zero_point = 128;
    CHECK_STATUS(kwsc_quantize_int8(ceps, 4u, &p, out), KWSC_ERR_ARGUMENT);
    p.zero_point = -129;
    CHECK_STATUS(kwsc_quant_check(&p), KWSC_ERR_ARGUMENT);
    p.zero_point = 0;
    p.num_ceps = 0u;
    CHECK_STATUS(kwsc_quant_check(&p), KWSC_ERR_ARGUMENT);
    p.num_ceps = NUM_CEPS;
    scale[3] = 1 << 24;
    CHECK_STATUS(kwsc_quant_check(&p), KWSC_ERR_ARGUMENT);
    scale[3] = -(1 << 24);
    CHECK_STATUS(kwsc_quant_check(&p), KWSC_ERR_ARGUMENT);
    scale[3] = 256;
    offset[5] = (1 << 20) + 1;
    CHECK_STATUS(kwsc_quant_check(&p), KWSC_ERR_ARGUMENT);

    /* Extreme but valid parameters on extreme cepstra: arithmetic must not overflow. */
    for (k = 0u; k < NUM_CEPS; k++) {
        offset[k] = (k % 2u == 0u) ? (1 << 20) : -(1 << 20);
        scale[k] = (k % 3u == 0u) ? (1 << 24) - 1 : (k % 3u == 1u) ? -((1 << 24) - 1) : 0;
    }
    p.zero_point = -128;
    CHECK_STATUS(kwsc_quantize_int8(ceps, 4u, &p, out), KWSC_OK);
    p.zero_point = 127;
    CHECK_STATUS(kwsc_quantize_int8(ceps, 4u, &p, out), KWSC_OK);
    for (k = 0u; k < 4u * NUM_CEPS; k++) {
        size_t col = k % NUM_CEPS;
        if (scale[col] == 0) {
            CHECK(out[k] == 127);
        }
    }
}

/* ---------------------------------------------------------------------------------------- */
/* I/O                                                                                       */

/* OUT.bin: `values` little-endian int16 cepstra, then `values` int8 features. */
static void write_output(const char *path, const int16_t *ceps, const int8_t *q, size_t values)
{
    unsigned char *bytes = (unsigned char *)xmalloc(3u * values);
    size_t i;

    for (i = 0u; i < values; i++) {
        uint16_t u = (uint16_t)ceps[i];
        bytes[2u * i] = (unsigned char)(u & 0xFFu);
        bytes[2u * i + 1u] = (unsigned char)(u >> 8);
        bytes[2u * values + i] = (unsigned char)(uint8_t)q[i];
    }
    write_bytes(path, bytes, 3u * values);
    free(bytes);
}

int main(int argc, char **argv)
{
    kwsc_frontend_config config;
    kwsc_frontend *fe = NULL;
    int32_t offset[NUM_CEPS];
    int32_t scale[NUM_CEPS];
    kwsc_quant_params quant;
    int16_t *pcm;
    int16_t *ceps;
    int16_t *ceps2;
    int8_t *q;
    int8_t *q_one;
    size_t n;
    size_t chunk;
    size_t capacity;
    size_t frames;
    size_t frames2;
    size_t consumed = 0u;
    size_t f;
    size_t k;
    uint32_t seed = 1u;

    if (argc < 4 || argc > 7) {
        fprintf(stderr,
                "usage: %s IN.pcm CHUNK OUT.bin [SEED [PREEMPH_Q15 [HOP_SAMPLES]]]\n",
                argv[0]);
        return 2;
    }
    chunk = (size_t)parse_ulong(argv[2], 0xFFFFFFFFul, "chunk size");
    kwsc_frontend_config_default(&config);
    if (argc > 4) {
        seed = (uint32_t)parse_ulong(argv[4], 0xFFFFFFFFul, "seed");
    }
    if (argc > 5) {
        config.preemph_q15 = (int16_t)parse_ulong(argv[5], 32767ul, "preemph_q15");
    }
    if (argc > 6) {
        config.hop_samples = (uint16_t)parse_ulong(argv[6], 65535ul, "hop_samples");
    }
    if (kwsc_frontend_config_check(&config) != KWSC_OK) {
        fprintf(stderr, "frontend_harness: invalid config override\n");
        return 2;
    }
    pcm = read_int16(argv[1], &n);

    check_init_errors();
    check_quant();

    /* The frontend under test, in the static block, exactly MEMORY_BYTES long. */
    CHECK(kwsc_frontend_memory_bytes(&config) == MEMORY_BYTES);
    CHECK_STATUS(kwsc_frontend_init(&fe, frontend_memory, MEMORY_BYTES, &config,
                                    &kwsc_frontend_tables_default),
                 KWSC_OK);
    if (fe == NULL) {
        return 1;
    }
    check_null_handling(fe);

    capacity = kwsc_frontend_frame_count(&config, n);
    CHECK(capacity == frames_after(&config, n));
    ceps = (int16_t *)xmalloc(capacity * NUM_CEPS * sizeof(int16_t));
    ceps2 = (int16_t *)xmalloc(capacity * NUM_CEPS * sizeof(int16_t));
    frames = run_stream(fe, &config, pcm, n, chunk, seed, ceps, capacity);
    if (frames == (size_t)-1) {
        return 1;
    }
    CHECK(frames == capacity);
    if (frames > 0u) {
        const int32_t *log_mel = kwsc_frontend_log_mel_q16(fe);
        for (k = 0u; k < config.num_mel; k++) {
            CHECK(log_mel[k] >= KWSC_LOG_FLOOR_LOG2 * 65536);
        }
    }

    /* Reset after unrelated input (full scale, on top of what the stream left buffered), then
     * the whole clip in one push with exactly enough room: identical frames. */
    {
        size_t junk_len = 700u;
        int16_t *junk = (int16_t *)xmalloc(junk_len * sizeof(int16_t));
        /* The stream left n - frames * hop samples buffered (< window_samples). */
        size_t junk_frames = frames_after(&config, n - frames * config.hop_samples + junk_len);
        int16_t *junk_out = (int16_t *)xmalloc(junk_frames * NUM_CEPS * sizeof(int16_t));
        for (k = 0u; k < junk_len; k++) { /* full-scale square: a stale prev_sample shows */
            junk[k] = (k / 3u) % 2u == 0u ? INT16_MIN : INT16_MAX;
        }
        CHECK(kwsc_frontend_push(fe, junk, junk_len, &consumed, junk_out, junk_frames) ==
              junk_frames);
        CHECK(consumed == junk_len);
        free(junk);
        free(junk_out);
    }
    kwsc_frontend_reset(fe);
    frames2 = kwsc_frontend_push(fe, n > 0u ? pcm : NULL, n, &consumed, ceps2, capacity);
    CHECK(consumed == n);
    CHECK(frames2 == frames);
    CHECK(frames2 != frames || memcmp(ceps, ceps2, frames * NUM_CEPS * sizeof(int16_t)) == 0);

    /* Reset mid-stream and re-run with a different random chunking: identical frames. */
    kwsc_frontend_reset(fe);
    memset(ceps2, 0, capacity * NUM_CEPS * sizeof(int16_t));
    frames2 = run_stream(fe, &config, pcm, n, 0u, seed ^ 0x9E3779B9u, ceps2, capacity);
    CHECK(frames2 == frames);
    CHECK(frames2 != frames || memcmp(ceps, ceps2, frames * NUM_CEPS * sizeof(int16_t)) == 0);

    /* int8 features with the default quantisation, all frames at once and frame by frame. */
    for (k = 0u; k < NUM_CEPS; k++) {
        offset[k] = 0;
        scale[k] = 256;
    }
    quant.num_ceps = NUM_CEPS;
    quant.offset_q6 = offset;
    quant.scale_q16 = scale;
    quant.zero_point = 0;
    q = (int8_t *)xmalloc(frames * NUM_CEPS);
    q_one = (int8_t *)xmalloc(NUM_CEPS);
    CHECK_STATUS(kwsc_quantize_int8(ceps, frames, &quant, q), KWSC_OK);
    for (f = 0u; f < frames; f++) {
        CHECK_STATUS(kwsc_quantize_int8(&ceps[f * NUM_CEPS], 1u, &quant, q_one), KWSC_OK);
        CHECK(memcmp(q_one, &q[f * NUM_CEPS], NUM_CEPS) == 0);
    }

    if (failures == 0) {
        write_output(argv[3], ceps, q, frames * NUM_CEPS);
    }
    free(pcm);
    free(ceps);
    free(ceps2);
    free(q);
    free(q_one);
    if (failures != 0) {
        fprintf(stderr, "frontend_harness: %d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
