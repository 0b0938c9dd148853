/* kwsc_detect.c - see kwsc_detect.h. */
#include "kwsc_detect.h"

#include <string.h>

/* The record layout is an interface (host and device compare records byte for byte). */
typedef char kwsc_check_record_size[(sizeof(kwsc_detect_record) == 16u) ? 1 : -1];
typedef char kwsc_check_record_keyword[(offsetof(kwsc_detect_record, keyword) == 12u) ? 1 : -1];

void kwsc_detect_config_default(kwsc_detect_config *config)
{
    if (config == NULL) {
        return;
    }
    config->stride_frames = 4u;
    config->smooth_inferences = 3u;
    config->threshold_q8 = 128u;
    config->refractory_frames = 50u;
    config->num_keywords = 1u;
    config->relative_c0 = 0u;
}

int kwsc_detect_config_check(const kwsc_detect_config *c)
{
    if (c == NULL) {
        return KWSC_ERR_NULL;
    }
    if (c->stride_frames < 1u || c->stride_frames > 1024u ||
        c->smooth_inferences < 1u || c->smooth_inferences > KWSC_DETECT_MAX_SMOOTH ||
        c->threshold_q8 > KWSC_DETECT_THRESHOLD_NEVER ||
        c->num_keywords < 1u || c->num_keywords > KWSC_DETECT_MAX_KEYWORDS || c->relative_c0 > 1u) {
        return KWSC_ERR_CONFIG;
    }
    return KWSC_OK;
}

/* W for a model and frontend, or 0 if the model does not fit them and the detector config. */
static uint16_t model_window_frames(const kwsc_detect_config *c, const kwsc_frontend_config *fc,
                                    const kwsc_nn_model *model)
{
    const kwsc_nn_op *last;
    uint32_t frames;
    if (kwsc_nn_check(model) != KWSC_OK || model->num_ops == 0u || model->ops == NULL) {
        return 0u;
    }
    last = &model->ops[model->num_ops - 1u];
    if (last->type != (uint8_t)KWSC_NN_SOFTMAX || last->output_offset != -128 ||
        last->output_at != model->output_at || model->output_bytes < c->num_keywords) {
        return 0u;
    }
    if (model->input_bytes == 0u || model->input_bytes % fc->num_ceps != 0u) {
        return 0u;
    }
    frames = model->input_bytes / fc->num_ceps;
    return frames > 65535u ? 0u : (uint16_t)frames;
}

size_t kwsc_detect_memory_bytes(const kwsc_detect_config *config,
                                const kwsc_frontend_config *frontend_config,
                                const kwsc_nn_model *model)
{
    uint16_t w;
    if (kwsc_detect_config_check(config) != KWSC_OK ||
        kwsc_frontend_config_check(frontend_config) != KWSC_OK || model == NULL) {
        return 0u;
    }
    w = model_window_frames(config, frontend_config, model);
    if (w == 0u) {
        return 0u;
    }
    return KWSC_DETECT_MEMORY_BYTES(frontend_config->window_samples, frontend_config->fft_size,
                                    frontend_config->num_mel, frontend_config->num_ceps, w,
                                    config->smooth_inferences, config->num_keywords,
                                    model->arena_bytes);
}

int kwsc_detect_init(kwsc_detect **out, void *memory, size_t memory_bytes,
                     const kwsc_detect_config *config,
                     const kwsc_frontend_config *frontend_config,
                     const kwsc_frontend_tables *frontend_tables,
                     const kwsc_quant_params *quant_params, const kwsc_nn_model *model)
{
    kwsc_detect *det;
    unsigned char *p;
    size_t frontend_bytes;
    uint16_t w;
    int status;

    if (out == NULL || memory == NULL || config == NULL || frontend_config == NULL ||
        frontend_tables == NULL || quant_params == NULL || model == NULL) {
        return KWSC_ERR_NULL;
    }
    status = kwsc_detect_config_check(config);
    if (status != KWSC_OK) {
        return status;
    }
    status = kwsc_frontend_config_check(frontend_config);
    if (status != KWSC_OK) {
        return status;
    }
    status = kwsc_quant_check(quant_params);
    if (status != KWSC_OK) {
        return status;
    }
    if (quant_params->num_ceps != frontend_config->num_ceps) {
        return KWSC_ERR_ARGUMENT;
    }
    w = model_window_frames(config, frontend_config, model);
    if (w == 0u) {
        return KWSC_ERR_CONFIG;
    }
    if (((uintptr_t)memory & 7u) != 0u ||
        memory_bytes < kwsc_detect_memory_bytes(config, frontend_config, model)) {
        return KWSC_ERR_MEMORY;
    }
    p = (unsigned char *)memory;
    det = (kwsc_detect *)(void *)p;
    p += KWSC_ALIGN8(sizeof(kwsc_detect));
    det->ring = (int8_t *)(void *)p;
    p += KWSC_ALIGN8((size_t)w * frontend_config->num_ceps);
    det->c0_ring = (int16_t *)(void *)p;
    p += KWSC_ALIGN8(2u * (size_t)w);
    det->history = (uint8_t *)(void *)p;
    p += KWSC_ALIGN8((size_t)config->smooth_inferences * config->num_keywords);
    det->ceps = (int16_t *)(void *)p;
    p += KWSC_ALIGN8(2u * (size_t)frontend_config->num_ceps);
    frontend_bytes = kwsc_frontend_memory_bytes(frontend_config);
    status = kwsc_frontend_init(&det->frontend, p, frontend_bytes, frontend_config, frontend_tables);
    if (status != KWSC_OK) {
        return status;
    }
    p += frontend_bytes;
    det->arena = p;
    det->config = *config;
    det->quant = *quant_params;
    det->model = model;
    det->window_frames = w;
    det->num_ceps = frontend_config->num_ceps;
    kwsc_detect_reset(det);
    *out = det;
    return KWSC_OK;
}

void kwsc_detect_reset(kwsc_detect *det)
{
    if (det == NULL) {
        return;
    }
    kwsc_frontend_reset(det->frontend);
    memset(det->ring, 0, (size_t)det->window_frames * det->num_ceps);
    memset(det->c0_ring, 0, 2u * (size_t)det->window_frames);
    memset(det->history, 0, (size_t)det->config.smooth_inferences * det->config.num_keywords);
    det->frames = 0u;
    det->inferences = 0u;
    det->last_detection_frame = 0u;
    det->ring_next = 0u;
    det->history_next = 0u;
    det->until_inference = det->window_frames;
    det->detected = 0u;
}

uint32_t kwsc_detect_frames(const kwsc_detect *det)
{
    return det == NULL ? 0u : det->frames;
}

void kwsc_detect_relative_c0(const int16_t *c0, uint16_t frames, uint16_t oldest,
                             const kwsc_quant_params *quant, int8_t *window, uint16_t num_ceps)
{
    kwsc_quant_params c0_quant; /* coefficient 0's parameters: the frontend's one quantiser */
    int64_t sum = 0;
    int32_t mean;
    uint16_t t;
    uint16_t r = oldest;
    c0_quant.num_ceps = 1u;
    c0_quant.offset_q6 = quant->offset_q6;
    c0_quant.scale_q16 = quant->scale_q16;
    c0_quant.zero_point = quant->zero_point;
    for (t = 0; t < frames; t++) {
        sum += c0[t];
    }
    mean = (int32_t)(sum >= 0 ? (2 * sum + frames) / (2 * (int64_t)frames)
                              : -((-2 * sum + frames) / (2 * (int64_t)frames)));
    for (t = 0; t < frames; t++) {
        int32_t d = (int32_t)c0[r] - mean;
        int16_t v = (int16_t)(d > 32767 ? 32767 : (d < -32768 ? -32768 : d));
        (void)kwsc_quantize_int8(&v, 1u, &c0_quant, &window[(size_t)t * num_ceps]);
        r = (uint16_t)(r + 1u == frames ? 0u : r + 1u);
    }
}

/* Run the model on the ring (oldest row first) and fill one record for frame `frame`. */
static void infer(kwsc_detect *det, uint32_t frame, kwsc_detect_record *rec)
{
    const kwsc_detect_config *c = &det->config;
    size_t row = (size_t)det->num_ceps;
    size_t older = (size_t)(det->window_frames - det->ring_next); /* rows ring_next..W-1 */
    int8_t *input = kwsc_nn_input(det->model, det->arena);
    const int8_t *output;
    uint8_t *slot;
    uint32_t m;
    uint16_t k;
    int best = -1;

    memcpy(input, &det->ring[(size_t)det->ring_next * row], older * row);
    memcpy(&input[older * row], det->ring, (size_t)det->ring_next * row);
    if (c->relative_c0) {
        kwsc_detect_relative_c0(det->c0_ring, det->window_frames, det->ring_next, &det->quant, input,
                                det->num_ceps);
    }
    /* The model passed kwsc_nn_check and the arena is its size: invoke cannot fail. */
    (void)kwsc_nn_invoke(det->model, det->arena, det->model->arena_bytes);
    output = kwsc_nn_output(det->model, det->arena);

    slot = &det->history[(size_t)det->history_next * c->num_keywords];
    for (k = 0; k < c->num_keywords; k++) {
        slot[k] = (uint8_t)((int32_t)output[k] + 128);
    }
    det->history_next = (uint16_t)((det->history_next + 1u) % c->smooth_inferences);
    if (det->inferences < 0xFFFFFFFFu) {
        det->inferences++;
    }
    m = det->inferences < c->smooth_inferences ? det->inferences : c->smooth_inferences;

    memset(rec, 0, sizeof(*rec));
    rec->frame = frame;
    for (k = 0; k < c->num_keywords; k++) {
        /* The last m rows end just before history_next. */
        uint32_t sum = 0u;
        uint32_t i;
        for (i = 1u; i <= m; i++) {
            uint32_t r = (det->history_next + c->smooth_inferences - i) % c->smooth_inferences;
            sum += det->history[r * c->num_keywords + k];
        }
        rec->prob_q8[k] = (uint8_t)((2u * sum + m) / (2u * m));
        if (rec->prob_q8[k] >= c->threshold_q8 && (best < 0 || rec->prob_q8[k] > rec->prob_q8[best])) {
            best = (int)k;
        }
    }
    if (best >= 0 && det->detected && (uint32_t)(frame - det->last_detection_frame) < c->refractory_frames) {
        best = -1;
    }
    if (best >= 0) {
        det->detected = 1u;
        det->last_detection_frame = frame;
    }
    rec->keyword = (int8_t)best;
}

size_t kwsc_detect_push(kwsc_detect *det, const int16_t *pcm, size_t num_samples,
                        size_t *consumed, kwsc_detect_record *out, size_t max_out)
{
    size_t taken = 0;
    size_t records = 0;

    if (det == NULL || (pcm == NULL && num_samples > 0u)) {
        if (consumed != NULL) {
            *consumed = 0;
        }
        return 0;
    }
    while (taken < num_samples) {
        size_t step = 0;
        /* A frame that completes an inference needs room for its record: else stop before it. */
        int room = det->until_inference != 1u || (out != NULL && records < max_out);
        size_t frames = kwsc_frontend_push(det->frontend, &pcm[taken], num_samples - taken, &step,
                                           det->ceps, room ? 1u : 0u);
        taken += step;
        if (frames == 0u) {
            break; /* all input buffered, or no room for the next frame's record */
        }
        (void)kwsc_quantize_int8(det->ceps, 1u, &det->quant,
                                 &det->ring[(size_t)det->ring_next * det->num_ceps]);
        det->c0_ring[det->ring_next] = det->ceps[0];
        det->ring_next = (uint16_t)((det->ring_next + 1u) % det->window_frames);
        det->until_inference--;
        if (det->until_inference == 0u) {
            infer(det, det->frames, &out[records]);
            records++;
            det->until_inference = det->config.stride_frames;
        }
        det->frames++;
    }
    if (consumed != NULL) {
        *consumed = taken;
    }
    return records;
}
