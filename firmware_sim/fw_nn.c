/*
 * fw_nn.c - the model runtime component: the exported model compiled into this firmware
 * (kwsc_model.c from `kwsc export`, built with MODEL_DIR=...) run on int8 feature windows.
 *
 * "nn" job (little-endian): u32 magic "KWN1", u32 num_windows, then num_windows windows of
 *   kwsc_model.input_bytes int8 each (frames x coefficients, row-major), each padded to 4 bytes.
 * "nn" output: u32 num_windows, u32 num_classes, then per window its num_classes int8 outputs
 *   padded to 4 bytes, then u32 SysTick ticks summed over every kwsc_nn_invoke (40
 *   instructions each), u32 stack bytes used below this component's frame, u32 arena bytes.
 *
 * The arena is the static `kwsc_model_arena` of exactly the size the export computed:
 * `kwsc footprint` attributes it to the model.
 */
#include <string.h>

#include "fw.h"
#include "kwsc_model.h"
#include "semihost.h"

#define FW_MAGIC_NN 0x314E574Bu /* "KWN1" */
#define FW_NN_MAX_CLASSES 256u

static uint32_t kwsc_model_arena[(KWSC_MODEL_ARENA_BYTES + 3u) / 4u];

int fw_nn_run(fw_reader *r, fw_writer *out)
{
    static int8_t scores[FW_NN_MAX_CLASSES];
    const uint32_t depth = fw_stack_depth();
    uint32_t ticks = 0;
    uint32_t count;
    uint32_t i;
    if (kwsc_model.num_ops == 0u) {
        semihost_puts("nn: no model compiled in (build the firmware with MODEL_DIR=<kwsc export output>)\n");
        return FW_ERR_USAGE;
    }
    if (kwsc_nn_check(&kwsc_model) != KWSC_OK || kwsc_model.arena_bytes > sizeof kwsc_model_arena ||
        kwsc_model.output_bytes > FW_NN_MAX_CLASSES) {
        return FW_ERR_KWSC;
    }
    if (fw_read_u32(r) != FW_MAGIC_NN) {
        return FW_ERR_JOB;
    }
    count = fw_read_u32(r);
    fw_write_u32(out, count);
    fw_write_u32(out, kwsc_model.output_bytes);
    for (i = 0; i < count; i++) {
        const void *window = fw_read_bytes(r, kwsc_model.input_bytes);
        int status;
        if (window == NULL) {
            return FW_ERR_JOB;
        }
        memcpy(kwsc_nn_input(&kwsc_model, kwsc_model_arena), window, kwsc_model.input_bytes);
        fw_counter_start();
        status = kwsc_nn_invoke(&kwsc_model, kwsc_model_arena, sizeof kwsc_model_arena);
        ticks += fw_counter_ticks();
        if (status != KWSC_OK) {
            return FW_ERR_KWSC;
        }
        memset(scores, 0, sizeof scores);
        memcpy(scores, kwsc_nn_output(&kwsc_model, kwsc_model_arena), kwsc_model.output_bytes);
        fw_write(out, scores, (kwsc_model.output_bytes + 3u) & ~3u);
    }
    fw_write_u32(out, ticks);
    fw_write_u32(out, fw_stack_high_water() - depth);
    fw_write_u32(out, kwsc_model.arena_bytes);
    return FW_OK;
}
