/*
 * kwsc_detect.h - the streaming keyword detector: the same code on host and device.
 *
 *   int16 PCM --frontend--> int16 Q6 cepstra frame --quant--> int8 features
 *     --> ring of the last W frames --> model every N frames (kwsc_nn) --> int8 softmax outputs
 *     --> moving average over the last S inferences --> threshold + refractory --> records
 *
 * Units: W = window_frames = model input bytes / num_ceps (49 for 1 s windows at the 20 ms
 * hop); N = stride_frames; S = smooth_inferences. Frames are counted from 0 since init/reset.
 * Probabilities are Q8: an int8 softmax output q (scale 1/256, zero point -128) is the
 * probability (q + 128) / 256, held as the integer q + 128 in 0..255.
 *
 * The exact rules (kwsc.detect documents the same ones):
 *   Inference: after frame f when f + 1 >= W and (f + 1 - W) % N == 0; the model input is
 *     frames f - W + 1 .. f, oldest first (W x num_ceps int8, row-major). With relative_c0 its
 *     column 0 is then rewritten by kwsc_detect_relative_c0 from those frames' int16 c0.
 *   Smoothing: for keyword k (class k of the model output, 0 <= k < num_keywords), with
 *     m = min(S, inferences so far including this one) and sum = the sum of (q_k + 128) over
 *     the last m inferences, prob_q8[k] = floor((2 sum + m) / (2 m)): the mean rounded half up.
 *   Detection: keyword k qualifies when prob_q8[k] >= threshold_q8. If any qualifies and this is
 *     the first detection since init/reset, or f - (frame of the previous detection) >=
 *     refractory_frames, the record's keyword is the qualifying k with the largest prob_q8
 *     (ties to the lowest k) and this frame becomes the previous detection's frame; otherwise
 *     keyword = -1. Frame differences are taken modulo 2^32 (uint32 frame counter).
 *
 * Memory: the caller provides one 8-byte aligned block of kwsc_detect_memory_bytes() bytes
 * holding, in this order, each part rounded up to 8 bytes: the kwsc_detect state, the feature
 * ring (W x num_ceps int8), the c0 ring (W int16), the smoothing history (S x num_keywords
 * uint8), one frame of cepstra (num_ceps int16), the frontend's memory
 * (kwsc_frontend_memory_bytes) and the model's arena (model->arena_bytes). Nothing is
 * allocated; nothing global is written. The frontend tables, the quantisation arrays and the
 * model must outlive the detector.
 *
 * Streaming: any chunking of the same PCM gives identical records (the frontend is chunking
 * invariant and everything after it runs per frame).
 */
#ifndef KWSC_DETECT_H
#define KWSC_DETECT_H

#include "kwsc_common.h"
#include "kwsc_frontend.h"
#include "kwsc_nn.h"
#include "kwsc_quant.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Most keywords a detector tracks: the size of kwsc_detect_record.prob_q8. */
#define KWSC_DETECT_MAX_KEYWORDS 8
/* Longest moving average, in inferences. */
#define KWSC_DETECT_MAX_SMOOTH 64
/* threshold_q8 that no probability reaches (the largest prob_q8 is 255): never detect. */
#define KWSC_DETECT_THRESHOLD_NEVER 256

/* Detector parameters. kwsc_detect_config_default() gives the defaults listed. */
typedef struct {
    uint16_t stride_frames;     /* N: 4 (80 ms at a 20 ms hop); frames between inferences, 1..1024 */
    uint16_t smooth_inferences; /* S: 3; moving-average length, 1..KWSC_DETECT_MAX_SMOOTH */
    uint16_t threshold_q8;      /* 128 (0.5); probability x 256, 0..256 (256: never detect) */
    uint16_t refractory_frames; /* 50 (1 s at a 20 ms hop); min frames between detections */
    uint16_t num_keywords;      /* K: 1; model classes 0..K-1, 1..KWSC_DETECT_MAX_KEYWORDS */
    uint16_t relative_c0;       /* 0 (default) or 1: the model sees c0 minus its window mean
                                   (kwsc_detect_relative_c0), so not the input level */
} kwsc_detect_config;

/*
 * One record per inference; 16 bytes with the same layout on x86-64 and Cortex-M4 (offsets:
 * frame 0, prob_q8 4, keyword 12, reserved 13). Entries of prob_q8 at k >= num_keywords and
 * reserved are 0.
 */
typedef struct {
    uint32_t frame;                                 /* index of the window's last frame (f) */
    uint8_t prob_q8[KWSC_DETECT_MAX_KEYWORDS];      /* smoothed probability x 256, 0..255 */
    int8_t keyword;                                 /* detected keyword index, or -1 */
    uint8_t reserved[3];
} kwsc_detect_record;

/* Detector state; lives at the start of the caller's memory block. Treat as opaque. */
typedef struct {
    kwsc_detect_config config;
    kwsc_quant_params quant;        /* copy of the caller's struct (its arrays are borrowed) */
    const kwsc_nn_model *model;
    kwsc_frontend *frontend;        /* inside the memory block */
    int8_t *ring;                   /* window_frames x num_ceps; row ring_next is the oldest */
    int16_t *c0_ring;               /* window_frames: c0 (Q6) of the ring's rows, same order */
    uint8_t *history;               /* smooth_inferences x num_keywords values q + 128 */
    int16_t *ceps;                  /* num_ceps: the frame just computed */
    void *arena;                    /* model->arena_bytes */
    uint32_t frames;                /* frames seen since init/reset */
    uint32_t inferences;            /* inferences since init/reset */
    uint32_t last_detection_frame;  /* valid when detected != 0 */
    uint16_t window_frames;         /* W */
    uint16_t num_ceps;
    uint16_t ring_next;             /* ring row the next frame goes to */
    uint16_t history_next;          /* history row the next inference goes to */
    uint16_t until_inference;       /* frames still to come before the next inference */
    uint8_t detected;               /* any detection since init/reset */
} kwsc_detect;

/*
 * Bytes of caller memory for a detector, usable in a static array declaration: the frontend's
 * (window_samples, fft_size, num_mel), its num_ceps, the model's input frames W and arena
 * bytes, and the detector's smooth_inferences S and num_keywords K.
 */
#define KWSC_DETECT_MEMORY_BYTES(window_samples, fft_size, num_mel, num_ceps, window_frames,      \
                                 smooth_inferences, num_keywords, arena_bytes)                   \
    (KWSC_ALIGN8(sizeof(kwsc_detect)) +                                                          \
     KWSC_ALIGN8((size_t)(window_frames) * (size_t)(num_ceps)) +                                 \
     KWSC_ALIGN8(2u * (size_t)(window_frames)) +                                                 \
     KWSC_ALIGN8((size_t)(smooth_inferences) * (size_t)(num_keywords)) +                         \
     KWSC_ALIGN8(2u * (size_t)(num_ceps)) +                                                      \
     KWSC_FRONTEND_MEMORY_BYTES(window_samples, fft_size, num_mel) + KWSC_ALIGN8(arena_bytes))

/* Fill *config with the defaults. */
void kwsc_detect_config_default(kwsc_detect_config *config);

/* KWSC_OK if every field is in range, else KWSC_ERR_CONFIG (or KWSC_ERR_NULL). */
int kwsc_detect_config_check(const kwsc_detect_config *config);

/*
 * Bytes of caller memory for a detector with these configs and model; 0 if a config is invalid,
 * the model fails kwsc_nn_check, or the model does not fit them (see kwsc_detect_init).
 */
size_t kwsc_detect_memory_bytes(const kwsc_detect_config *config,
                                const kwsc_frontend_config *frontend_config,
                                const kwsc_nn_model *model);

/*
 * Set up a detector in caller memory (8-byte aligned, >= kwsc_detect_memory_bytes bytes).
 * The model must pass kwsc_nn_check, end in a softmax (int8 out, zero point -128), take
 * W x num_ceps int8 inputs (input_bytes a multiple of frontend_config->num_ceps, W <= 65535)
 * and have at least num_keywords outputs; quant_params->num_ceps must equal num_ceps.
 * Returns KWSC_OK, KWSC_ERR_NULL, KWSC_ERR_CONFIG (detector or frontend config, or a model that
 * does not fit), KWSC_ERR_ARGUMENT (quantisation params), KWSC_ERR_MEMORY or KWSC_ERR_TABLES.
 * On success *out points into memory and the detector is reset.
 */
int kwsc_detect_init(kwsc_detect **out, void *memory, size_t memory_bytes,
                     const kwsc_detect_config *config,
                     const kwsc_frontend_config *frontend_config,
                     const kwsc_frontend_tables *frontend_tables,
                     const kwsc_quant_params *quant_params, const kwsc_nn_model *model);

/* Start a new stream: forget buffered samples, frames, the smoothing history and detections. */
void kwsc_detect_reset(kwsc_detect *det);

/*
 * Feed num_samples int16 samples. One record per inference is written to out (up to max_out).
 * Input that would complete an inference with no room left in out is not consumed: *consumed
 * (if not NULL) tells how many samples were taken, so nothing is ever dropped; call again with
 * the rest. Returns the number of records written (0 if det is NULL, or pcm is NULL with
 * num_samples > 0).
 */
size_t kwsc_detect_push(kwsc_detect *det, const int16_t *pcm, size_t num_samples,
                        size_t *consumed, kwsc_detect_record *out, size_t max_out);

/*
 * c0 relative to its window (Q6 in, int8 out): with mean = the mean of c0[0..frames-1] rounded
 * half away from zero, window[t * num_ceps] = kwsc_quantize_int8 of c0[(oldest + t) % frames] -
 * mean (saturated to int16) with coefficient 0's parameters, for t = 0..frames-1; the other
 * columns are left as they are.
 * A gain on the input adds the same constant to every c0 of a window (and moves no other
 * coefficient), so the window's features then do not depend on the input level. The training
 * windows (kwsc.features, ``relative_c0``) call this same function. frames >= 1.
 */
void kwsc_detect_relative_c0(const int16_t *c0, uint16_t frames, uint16_t oldest,
                             const kwsc_quant_params *quant, int8_t *window, uint16_t num_ceps);

/* Frames seen since init/reset (the next frame's index), modulo 2^32. */
uint32_t kwsc_detect_frames(const kwsc_detect *det);

#ifdef __cplusplus
}
#endif

#endif /* KWSC_DETECT_H */
