/*
 * kwsc_nn.h - the INT8 model runtime: TFLite's quantized kernels, no interpreter.
 *
 * A model is data: a static sequence of ops (kwsc_nn_op), each naming its input and output by
 * byte offset into one caller-owned arena, with const weights, biases and per-channel requant
 * parameters. `kwsc export` writes that data as C from a .tflite flatbuffer and computes the
 * memory plan (the offsets and the arena size) at export time, so nothing is allocated or
 * looked up at run time.
 *
 * Arithmetic is TFLite's int8 scheme, exactly as its reference kernels (and TFLite Micro's)
 * compute it, so outputs are bit-identical to the TFLite Micro interpreter:
 *   real = scale * (q - zero_point); activations int8, weights int8 (zero point 0), bias int32.
 *   acc  = bias[c] + sum(w * (x + input_offset))               int32, input_offset = -zp_in
 *   out  = clamp(requant(acc, multiplier[c], shift[c]) + output_offset, act_min, act_max)
 * requant(x, m, s) = x * m * 2^(s - 31) with m a Q31 multiplier in [2^30, 2^31), rounded as
 * TFLite does it, twice: a saturating rounding doubling high multiply (ties upward), then a
 * rounding right shift (ties away from zero).
 *
 * Layout: NHWC with batch 1 (height = feature frames, width = coefficients in kwsc models).
 * Weights: conv [out_c][kh][kw][in_c]; depthwise [kh][kw][out_c]; fully connected [out][in].
 */
#ifndef KWSC_NN_H
#define KWSC_NN_H

#include "kwsc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The op kinds; values are part of the exported-model format. */
typedef enum {
    KWSC_NN_RESHAPE = 0,          /* a copy: NHWC data is already flat */
    KWSC_NN_CONV2D = 1,
    KWSC_NN_DEPTHWISE_CONV2D = 2,
    KWSC_NN_FULLY_CONNECTED = 3,
    KWSC_NN_AVERAGE_POOL2D = 4,   /* int8 in and out share scale and zero point */
    KWSC_NN_SOFTMAX = 5           /* int8 out: scale 1/256, zero point -128 */
} kwsc_nn_op_type;

/* An activation shape, batch 1. A fully connected input is its flat size h * w * c. */
typedef struct {
    uint16_t height;
    uint16_t width;
    uint16_t channels;
} kwsc_nn_shape;

/* One op. Fields an op kind does not use are zero (see kwsc_nn_op_type). */
typedef struct {
    uint8_t type;                 /* kwsc_nn_op_type */
    uint8_t stride_height;
    uint8_t stride_width;
    uint8_t dilation_height;
    uint8_t dilation_width;
    uint8_t pad_top;              /* rows of implicit zero-point padding above the input */
    uint8_t pad_left;
    uint8_t depth_multiplier;     /* depthwise: output channels per input channel */
    uint16_t filter_height;       /* conv, depthwise, pool: kernel size (frames) */
    uint16_t filter_width;        /* (coefficients) */
    kwsc_nn_shape in;
    kwsc_nn_shape out;            /* fully connected, softmax: height = width = 1 */
    uint32_t input_at;            /* byte offset of the input in the arena */
    uint32_t output_at;           /* byte offset of the output in the arena */
    int32_t input_offset;         /* -input zero point */
    int32_t output_offset;        /* output zero point */
    int32_t act_min;              /* fused activation, in output quanta */
    int32_t act_max;
    const int8_t *weights;        /* int8, zero point 0; layout above */
    const int32_t *bias;          /* [out channels], NULL for none */
    const int32_t *multiplier;    /* [out channels], Q31 in [2^30, 2^31) or 0 */
    const int8_t *shift;          /* [out channels], -31..30: power of two applied with it */
    int32_t softmax_multiplier;   /* softmax: Q31 multiplier and left shift (0..30) that map an */
    int32_t softmax_shift;        /* int8 difference from the row maximum to Q5.26 (beta * scale) */
    int32_t softmax_diff_min;     /* differences below this (in input quanta) give probability 0 */
} kwsc_nn_op;

/* A whole model: ops run in order over one arena of arena_bytes. */
typedef struct {
    uint16_t num_ops;
    const kwsc_nn_op *ops;
    uint32_t arena_bytes;         /* computed at export: the peak of the memory plan */
    uint32_t input_at;            /* the int8 input: frames x coefficients, row-major */
    uint32_t input_bytes;
    uint32_t output_at;           /* the int8 output: one value per class */
    uint32_t output_bytes;
} kwsc_nn_model;

/* Check a model's ops against each other and against the arena size: every tensor in bounds,
 * shapes consistent, parameters in range. KWSC_OK or KWSC_ERR_CONFIG. */
int kwsc_nn_check(const kwsc_nn_model *model);

/* The model's input inside the caller's arena (the caller writes input_bytes int8 here). */
int8_t *kwsc_nn_input(const kwsc_nn_model *model, void *arena);

/* The model's output inside the caller's arena, valid after kwsc_nn_invoke. */
const int8_t *kwsc_nn_output(const kwsc_nn_model *model, const void *arena);

/* Run every op once. arena: arena_bytes of caller memory, 4-byte aligned, holding the input.
 * Returns KWSC_OK, KWSC_ERR_NULL, KWSC_ERR_MEMORY (arena too small) or KWSC_ERR_CONFIG. */
int kwsc_nn_invoke(const kwsc_nn_model *model, void *arena, size_t arena_bytes);

/* TFLite's requantisation, exposed for tests: x * multiplier * 2^(shift - 31), rounded as the
 * reference kernels round (double rounding). multiplier Q31 >= 0, shift -31..30. */
int32_t kwsc_nn_requantize(int32_t x, int32_t multiplier, int shift);

#ifdef __cplusplus
}
#endif

#endif /* KWSC_NN_H */
