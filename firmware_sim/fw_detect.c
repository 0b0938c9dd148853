/*
 * fw_detect.c - the streaming detector component: PCM through the frontend, the compiled-in
 * model (kwsc_model.c from `kwsc export`, built with MODEL_DIR=...) and the detector's
 * smoothing, threshold and refractory rules, exactly as a device runs them.
 *
 * "detect" job (little-endian, 4-byte fields): u32 magic "KWT2", u32 chunk_samples,
 *   kwsc_detect_config as six u32 (stride_frames, smooth_inferences, threshold_q8,
 *   refractory_frames, num_keywords, relative_c0), u32 num_ceps, i32 zero_point,
 *   i32 offset_q6[num_ceps], i32 scale_q16[num_ceps], u32 num_samples, i16 pcm[num_samples]
 *   (padded to 4 bytes).
 * "detect" output: u32 num_records, kwsc_detect_record[num_records] (16 bytes each), u32 frames
 *   seen, u32 SysTick ticks summed over the kwsc_detect_push calls (40 instructions each),
 *   u32 stack bytes used below this component's frame, u32 kwsc_detect_memory_bytes.
 *
 * The frontend is the default config with the compiled-in tables. The detector's memory is the
 * static `kwsc_detector_state`, sized for the largest smoothing and keyword count, which holds
 * the detector, the frontend's memory and the model's arena: on a device it is the whole RAM of
 * the keyword path (`kwsc footprint` reports it apart).
 */
#include "fw.h"

#include "kwsc_detect.h"
#include "kwsc_model.h"
#include "semihost.h"

#define FW_MAGIC_DETECT 0x3254574Bu /* "KWT2" */
#define FW_DETECT_NUM_CEPS 13u
#define FW_DETECT_MAX_RECORDS 4096u

static uint64_t kwsc_detector_state[KWSC_DETECT_MEMORY_BYTES(480, 512, 40, FW_DETECT_NUM_CEPS,
                                                             KWSC_MODEL_INPUT_FRAMES, KWSC_DETECT_MAX_SMOOTH,
                                                             KWSC_DETECT_MAX_KEYWORDS, KWSC_MODEL_ARENA_BYTES) /
                                    8u];
static kwsc_detect_record records[FW_DETECT_MAX_RECORDS];

int fw_detect_run(fw_reader *r, fw_writer *out)
{
    const uint32_t depth = fw_stack_depth();
    kwsc_frontend_config fe_config;
    kwsc_detect_config config;
    kwsc_quant_params quant;
    kwsc_detect *det;
    const int16_t *pcm;
    uint32_t chunk;
    uint32_t num_samples;
    uint32_t pos = 0;
    uint32_t count = 0;
    uint32_t ticks = 0;
    size_t memory_bytes;
    if (kwsc_model.num_ops == 0u) {
        semihost_puts("detect: no model compiled in (build the firmware with MODEL_DIR=<kwsc export output>)\n");
        return FW_ERR_USAGE;
    }
    if (fw_read_u32(r) != FW_MAGIC_DETECT) {
        return FW_ERR_JOB;
    }
    chunk = fw_read_u32(r);
    config.stride_frames = (uint16_t)fw_read_u32(r);
    config.smooth_inferences = (uint16_t)fw_read_u32(r);
    config.threshold_q8 = (uint16_t)fw_read_u32(r);
    config.refractory_frames = (uint16_t)fw_read_u32(r);
    config.num_keywords = (uint16_t)fw_read_u32(r);
    config.relative_c0 = (uint16_t)fw_read_u32(r);
    quant.num_ceps = (uint16_t)fw_read_u32(r);
    quant.zero_point = fw_read_i32(r);
    quant.offset_q6 = fw_read_bytes(r, 4u * quant.num_ceps);
    quant.scale_q16 = fw_read_bytes(r, 4u * quant.num_ceps);
    num_samples = fw_read_u32(r);
    pcm = fw_read_bytes(r, 2u * (size_t)num_samples);
    if (r->failed || chunk == 0u || quant.num_ceps != FW_DETECT_NUM_CEPS) {
        return FW_ERR_JOB;
    }
    kwsc_frontend_config_default(&fe_config);
    memory_bytes = kwsc_detect_memory_bytes(&config, &fe_config, &kwsc_model);
    if (memory_bytes == 0u || memory_bytes > sizeof kwsc_detector_state ||
        kwsc_detect_init(&det, kwsc_detector_state, sizeof kwsc_detector_state, &config, &fe_config,
                         &kwsc_frontend_tables_default, &quant, &kwsc_model) != KWSC_OK) {
        return FW_ERR_KWSC;
    }
    while (pos < num_samples) {
        uint32_t take = num_samples - pos < chunk ? num_samples - pos : chunk;
        size_t consumed = 0;
        fw_counter_start();
        count += (uint32_t)kwsc_detect_push(det, &pcm[pos], take, &consumed, &records[count],
                                            FW_DETECT_MAX_RECORDS - count);
        ticks += fw_counter_ticks();
        if (consumed != take) {
            return FW_ERR_JOB; /* more inferences than the record buffer holds */
        }
        pos += take;
    }
    fw_write_u32(out, count);
    fw_write(out, records, (size_t)count * sizeof records[0]);
    fw_write_u32(out, kwsc_detect_frames(det));
    fw_write_u32(out, ticks);
    fw_write_u32(out, fw_stack_high_water() - depth);
    fw_write_u32(out, (uint32_t)memory_bytes);
    return FW_OK;
}
