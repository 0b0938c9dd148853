/*
 * detect_harness.c - the streaming detector (csrc/kwsc_detect.c with the frontend, the
 * quantiser and an exported model, kwsc_model.c from `kwsc export`) under AddressSanitizer +
 * UndefinedBehaviorSanitizer.
 *
 * usage: detect_harness PCM.i16 QUANT.i32 OUT.bin CHUNK SEED STRIDE SMOOTH THRESHOLD_Q8
 *                       REFRACTORY_FRAMES NUM_KEYWORDS
 * PCM.i16: little-endian int16 samples. QUANT.i32: little-endian int32 values, num_ceps offsets
 * (Q6), num_ceps scales (Q16), the zero point. The PCM is pushed in chunks of CHUNK samples
 * (0: a pseudo-random mix seeded by SEED) with a pseudo-random record capacity of 1..4 per call,
 * so the "out is full" path runs constantly. Every kwsc_detect_record is written to OUT.bin as
 * its 16 raw bytes. The memory block is exactly kwsc_detect_memory_bytes() on the heap, so any
 * access outside it is an ASan report. Also checks the error paths and that
 * KWSC_DETECT_MEMORY_BYTES is a constant expression equal to the function. Exit 0 when every
 * check held.
 */
#define HARNESS_NAME "detect_harness"
#include "harness_util.h"

#include <string.h>

#include "kwsc_detect.h"
#include "kwsc_model.h"

/* The default config with the defaults of kwsc_detect_config_default, sized at compile time. */
static uint64_t static_block[KWSC_DETECT_MEMORY_BYTES(480, 512, 40, 13, KWSC_MODEL_INPUT_FRAMES, 3, 1,
                                                      KWSC_MODEL_ARENA_BYTES) / 8u];

static void check_errors(const kwsc_frontend_config *fc, const kwsc_quant_params *quant)
{
    kwsc_detect_config c;
    kwsc_detect_config bad;
    kwsc_detect *det = NULL;
    size_t need;
    unsigned char *block;
    kwsc_quant_params short_quant = *quant;

    kwsc_detect_config_default(&c);
    CHECK_STATUS(kwsc_detect_config_check(&c), KWSC_OK);
    CHECK_STATUS(kwsc_detect_config_check(NULL), KWSC_ERR_NULL);
    bad = c;
    bad.stride_frames = 0u;
    CHECK_STATUS(kwsc_detect_config_check(&bad), KWSC_ERR_CONFIG);
    bad = c;
    bad.num_keywords = KWSC_DETECT_MAX_KEYWORDS + 1u;
    CHECK_STATUS(kwsc_detect_config_check(&bad), KWSC_ERR_CONFIG);
    CHECK(kwsc_detect_memory_bytes(&bad, fc, &kwsc_model) == 0u);

    need = kwsc_detect_memory_bytes(&c, fc, &kwsc_model);
    CHECK(need == sizeof(static_block));
    CHECK_STATUS(kwsc_detect_init(&det, static_block, sizeof(static_block), &c, fc,
                                  &kwsc_frontend_tables_default, quant, &kwsc_model), KWSC_OK);
    block = (unsigned char *)xmalloc(need + 8u);
    CHECK_STATUS(kwsc_detect_init(&det, block, need - 1u, &c, fc, &kwsc_frontend_tables_default,
                                  quant, &kwsc_model), KWSC_ERR_MEMORY);
    CHECK_STATUS(kwsc_detect_init(&det, block + 4, need + 4u, &c, fc, &kwsc_frontend_tables_default,
                                  quant, &kwsc_model), KWSC_ERR_MEMORY);
    CHECK_STATUS(kwsc_detect_init(NULL, block, need, &c, fc, &kwsc_frontend_tables_default, quant,
                                  &kwsc_model), KWSC_ERR_NULL);
    CHECK_STATUS(kwsc_detect_init(&det, block, need, &c, fc, &kwsc_frontend_tables_default, quant,
                                  NULL), KWSC_ERR_NULL);
    short_quant.num_ceps = (uint16_t)(fc->num_ceps - 1u);
    CHECK_STATUS(kwsc_detect_init(&det, block, need, &c, fc, &kwsc_frontend_tables_default,
                                  &short_quant, &kwsc_model), KWSC_ERR_ARGUMENT);
    CHECK(kwsc_detect_push(NULL, NULL, 0u, NULL, NULL, 0u) == 0u);
    free(block);
}

int main(int argc, char **argv)
{
    kwsc_frontend_config fc;
    kwsc_detect_config c;
    kwsc_quant_params quant;
    kwsc_detect *det = NULL;
    int16_t *pcm;
    int16_t *quant_words;
    int32_t *quant_values;
    size_t num_samples;
    size_t num_words;
    size_t num_ceps;
    size_t chunk;
    size_t need;
    size_t offset = 0u;
    size_t total = 0u;
    size_t i;
    uint32_t rng;
    void *memory;
    kwsc_detect_record *records;
    kwsc_detect_record *all;
    size_t max_records;

    if (argc != 11) {
        fprintf(stderr, "usage: detect_harness PCM.i16 QUANT.i32 OUT.bin CHUNK SEED STRIDE SMOOTH "
                        "THRESHOLD_Q8 REFRACTORY_FRAMES NUM_KEYWORDS\n");
        return 2;
    }
    kwsc_frontend_config_default(&fc);
    pcm = read_int16(argv[1], &num_samples);
    quant_words = read_int16(argv[2], &num_words);
    num_ceps = (num_words / 2u - 1u) / 2u;
    if (num_words % 2u != 0u || num_ceps != fc.num_ceps) {
        fprintf(stderr, "detect_harness: %s: need %u offsets, scales and a zero point\n", argv[2],
                (unsigned)fc.num_ceps);
        return 2;
    }
    quant_values = (int32_t *)xmalloc(num_words / 2u * sizeof(int32_t));
    for (i = 0u; i < num_words / 2u; i++) {
        uint32_t lo = (uint16_t)quant_words[2u * i];
        uint32_t hi = (uint16_t)quant_words[2u * i + 1u];
        quant_values[i] = (int32_t)(lo | (hi << 16));
    }
    quant.num_ceps = (uint16_t)num_ceps;
    quant.offset_q6 = quant_values;
    quant.scale_q16 = quant_values + num_ceps;
    quant.zero_point = quant_values[2u * num_ceps];

    chunk = (size_t)parse_ulong(argv[4], 1000000000ul, "CHUNK");
    rng = (uint32_t)parse_ulong(argv[5], 0xFFFFFFFFul, "SEED");
    c.stride_frames = (uint16_t)parse_ulong(argv[6], 65535ul, "STRIDE");
    c.smooth_inferences = (uint16_t)parse_ulong(argv[7], 65535ul, "SMOOTH");
    c.threshold_q8 = (uint16_t)parse_ulong(argv[8], 65535ul, "THRESHOLD_Q8");
    c.refractory_frames = (uint16_t)parse_ulong(argv[9], 65535ul, "REFRACTORY_FRAMES");
    c.num_keywords = (uint16_t)parse_ulong(argv[10], 65535ul, "NUM_KEYWORDS");

    check_errors(&fc, &quant);

    need = kwsc_detect_memory_bytes(&c, &fc, &kwsc_model);
    CHECK(need == KWSC_DETECT_MEMORY_BYTES(fc.window_samples, fc.fft_size, fc.num_mel, fc.num_ceps,
                                           KWSC_MODEL_INPUT_FRAMES, c.smooth_inferences,
                                           c.num_keywords, KWSC_MODEL_ARENA_BYTES));
    memory = xmalloc(need); /* malloc is 8-byte aligned; exactly `need` bytes for ASan */
    CHECK_STATUS(kwsc_detect_init(&det, memory, need, &c, &fc, &kwsc_frontend_tables_default, &quant,
                                  &kwsc_model), KWSC_OK);
    if (det == NULL) {
        return 1;
    }
    records = (kwsc_detect_record *)xmalloc(4u * sizeof(kwsc_detect_record));
    /* At most one record per frame. */
    max_records = kwsc_frontend_frame_count(&fc, num_samples) + 1u;
    all = (kwsc_detect_record *)xmalloc(max_records * sizeof(kwsc_detect_record));
    while (offset < num_samples) {
        size_t want = next_chunk(chunk, &rng);
        size_t end = want > num_samples - offset ? num_samples : offset + want;
        while (offset < end) {
            size_t capacity = 1u + (size_t)(lcg_next(&rng) % 4u);
            size_t consumed = 0u;
            /* Exactly `capacity` records: ASan sees a write past the last one. */
            kwsc_detect_record *room = records + (4u - capacity);
            size_t n = kwsc_detect_push(det, &pcm[offset], end - offset, &consumed, room, capacity);
            CHECK(n <= capacity);
            CHECK(n <= max_records - total);
            if (n > max_records - total) {
                break;
            }
            memcpy(&all[total], room, n * sizeof(kwsc_detect_record));
            total += n;
            offset += consumed;
            if (n == 0u && offset < end) {
                CHECK(0); /* no progress although there was room for a record */
                break;
            }
        }
    }
    CHECK(kwsc_detect_frames(det) == (uint32_t)kwsc_frontend_frame_count(&fc, num_samples));
    kwsc_detect_reset(det);
    CHECK(kwsc_detect_frames(det) == 0u);
    write_bytes(argv[3], (const unsigned char *)all, total * sizeof(kwsc_detect_record));
    free(all);
    free(records);
    free(memory);
    free(quant_values);
    free(quant_words);
    free(pcm);
    fprintf(stderr, "detect_harness: %u samples, %u records\n", (unsigned)num_samples, (unsigned)total);
    return failures == 0 ? 0 : 1;
}
