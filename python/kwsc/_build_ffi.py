"""cffi definitions of the C core, compiled in API mode by CMake (never at import time).

CMakeLists.txt runs ``python _build_ffi.py OUT.c`` to emit the extension's C source, then
compiles it together with csrc/ into ``kwsc._kwsc_c``. The declarations below must match
the csrc/ headers; a mismatch is a compile error, because API mode checks them.
"""

from __future__ import annotations

import sys

import cffi

CDEF = """
typedef struct {
    uint32_t sample_rate_hz;
    uint16_t window_samples;
    uint16_t hop_samples;
    uint16_t fft_size;
    uint16_t num_mel;
    uint16_t mel_low_hz;
    uint16_t mel_high_hz;
    uint16_t num_ceps;
    int16_t preemph_q15;
} kwsc_frontend_config;

typedef struct {
    uint32_t sample_rate_hz;
    uint16_t window_samples;
    uint16_t fft_size;
    uint16_t num_mel;
    uint16_t mel_low_hz;
    uint16_t mel_high_hz;
    uint16_t num_ceps;
    const int32_t *window_q31;
    const int32_t *twiddle_q31;
    uint16_t mel_first_bin;
    uint16_t mel_num_bins;
    const uint16_t *mel_segment_bins;
    const int16_t *mel_weight_q15;
    const int16_t *dct_half_q15;
    const int32_t *log2_lut_q16;
} kwsc_frontend_tables;

typedef struct { ...; } kwsc_frontend;

typedef struct {
    uint16_t num_ceps;
    const int32_t *offset_q6;
    const int32_t *scale_q16;
    int32_t zero_point;
} kwsc_quant_params;

#define KWSC_LOG2_LUT_BITS ...
#define KWSC_LOG_FLOOR_LOG2 ...

void kwsc_frontend_config_default(kwsc_frontend_config *config);
int kwsc_frontend_config_check(const kwsc_frontend_config *config);
size_t kwsc_frontend_memory_bytes(const kwsc_frontend_config *config);
size_t kwsc_frontend_tables_bytes(const kwsc_frontend_config *config);
size_t kwsc_frontend_frame_count(const kwsc_frontend_config *config, size_t num_samples);
int kwsc_frontend_init(kwsc_frontend **out, void *memory, size_t memory_bytes,
                       const kwsc_frontend_config *config, const kwsc_frontend_tables *tables);
void kwsc_frontend_reset(kwsc_frontend *fe);
size_t kwsc_frontend_push(kwsc_frontend *fe, const int16_t *pcm, size_t num_samples,
                          size_t *consumed, int16_t *ceps_q6, size_t max_frames);
const int32_t *kwsc_frontend_log_mel_q16(const kwsc_frontend *fe);
extern const kwsc_frontend_tables kwsc_frontend_tables_default;

typedef struct {
    uint32_t checks;
    uint16_t max_frames;
    uint16_t hop_samples;
    int32_t min_speech_dbfs_q8;
    int32_t max_speech_dbfs_q8;
    int16_t clip_level;
    uint16_t max_clip_run;
    uint32_t max_clipped_ppm;
    uint16_t max_dc_offset;
    uint16_t min_speech_ms;
    uint16_t max_speech_ms;
    uint16_t min_lead_ms;
    uint16_t min_trail_ms;
    uint16_t vad_merge_ms;
    uint16_t vad_min_run_ms;
    uint16_t vad_floor_percentile;
    int32_t vad_min_rise_db_q8;
    uint16_t vad_rise_q15;
    int32_t min_snr_db_q8;
    uint16_t high_band_first;
    int32_t min_high_band_db_q8;
    uint16_t hum_band_last;
    int32_t max_tonality_db_q8;
    int32_t min_background_dbfs_q8;
} kwsc_validate_config;

typedef struct {
    uint32_t reasons;
    uint32_t num_samples;
    uint16_t num_blocks;
    uint16_t speech_runs;
    int32_t rms_dbfs_q8;
    int32_t peak_dbfs_q8;
    int32_t speech_dbfs_q8;
    int32_t background_dbfs_q8;
    int32_t snr_db_q8;
    int32_t dc_offset_q8;
    uint32_t clipped_samples;
    uint32_t clipped_ppm;
    uint32_t max_clip_run;
    uint32_t speech_start_ms;
    uint32_t speech_end_ms;
    uint32_t lead_ms;
    uint32_t trail_ms;
    int32_t high_band_db_q8;
    int32_t tonality_db_q8;
    uint32_t tonal_band;
} kwsc_validate_metrics;

typedef struct kwsc_validator kwsc_validator;

#define KWSC_REASON_ALL_RECORDING ...

void kwsc_validate_config_default(kwsc_validate_config *config);
int kwsc_validate_config_check(const kwsc_validate_config *config);
size_t kwsc_validate_memory_bytes(const kwsc_validate_config *config);
int kwsc_validate_init(kwsc_validator **out, void *memory, size_t memory_bytes,
                       const kwsc_validate_config *config, kwsc_frontend *frontend,
                       const int32_t *log2_lut_q16);
void kwsc_validate_reset(kwsc_validator *v);
int kwsc_validate_push(kwsc_validator *v, const int16_t *pcm, size_t num_samples);
int kwsc_validate_finish(kwsc_validator *v, kwsc_validate_metrics *metrics);
int32_t kwsc_db_q8_from_log2_q16(int32_t log2_q16);
int32_t kwsc_log2_q16_from_db_q8(int32_t db_q8);

#define KWSC_DTW_INFINITE ...
#define KWSC_DTW_MAX_DIMS ...
#define KWSC_ENROLL_MAX_TAKES ...
int32_t kwsc_dtw_distance(const int16_t *a, uint16_t na, const int16_t *b, uint16_t nb,
                          uint16_t stride, uint16_t first, uint16_t dims, uint16_t band,
                          int32_t *scratch);
int kwsc_enroll_consistency(const int16_t *const *takes, const uint16_t *frames,
                            uint16_t num_takes, uint16_t stride, uint16_t first, uint16_t dims,
                            uint16_t band, uint16_t ratio_q8, int32_t min_distance_q8,
                            int32_t *scratch, int32_t *nearest_q8, uint32_t *outliers);

int kwsc_quant_check(const kwsc_quant_params *params);
int kwsc_quantize_int8(const int16_t *ceps_q6, size_t num_frames,
                       const kwsc_quant_params *params, int8_t *out);

typedef struct {
    uint16_t height;
    uint16_t width;
    uint16_t channels;
} kwsc_nn_shape;

typedef struct {
    uint8_t type;
    uint8_t stride_height;
    uint8_t stride_width;
    uint8_t dilation_height;
    uint8_t dilation_width;
    uint8_t pad_top;
    uint8_t pad_left;
    uint8_t depth_multiplier;
    uint16_t filter_height;
    uint16_t filter_width;
    kwsc_nn_shape in;
    kwsc_nn_shape out;
    uint32_t input_at;
    uint32_t output_at;
    int32_t input_offset;
    int32_t output_offset;
    int32_t act_min;
    int32_t act_max;
    const int8_t *weights;
    const int32_t *bias;
    const int32_t *multiplier;
    const int8_t *shift;
    int32_t softmax_multiplier;
    int32_t softmax_shift;
    int32_t softmax_diff_min;
} kwsc_nn_op;

typedef struct {
    uint16_t num_ops;
    const kwsc_nn_op *ops;
    uint32_t arena_bytes;
    uint32_t input_at;
    uint32_t input_bytes;
    uint32_t output_at;
    uint32_t output_bytes;
} kwsc_nn_model;

int kwsc_nn_check(const kwsc_nn_model *model);
int8_t *kwsc_nn_input(const kwsc_nn_model *model, void *arena);
const int8_t *kwsc_nn_output(const kwsc_nn_model *model, const void *arena);
int kwsc_nn_invoke(const kwsc_nn_model *model, void *arena, size_t arena_bytes);
int32_t kwsc_nn_requantize(int32_t x, int32_t multiplier, int shift);

#define KWSC_DETECT_MAX_KEYWORDS 8
#define KWSC_DETECT_MAX_SMOOTH ...
#define KWSC_DETECT_THRESHOLD_NEVER ...

typedef struct {
    uint16_t stride_frames;
    uint16_t smooth_inferences;
    uint16_t threshold_q8;
    uint16_t refractory_frames;
    uint16_t num_keywords;
    uint16_t relative_c0;
} kwsc_detect_config;

typedef struct {
    uint32_t frame;
    uint8_t prob_q8[KWSC_DETECT_MAX_KEYWORDS];
    int8_t keyword;
    uint8_t reserved[3];
} kwsc_detect_record;

typedef struct { ...; } kwsc_detect;

void kwsc_detect_config_default(kwsc_detect_config *config);
int kwsc_detect_config_check(const kwsc_detect_config *config);
size_t kwsc_detect_memory_bytes(const kwsc_detect_config *config,
                                const kwsc_frontend_config *frontend_config,
                                const kwsc_nn_model *model);
int kwsc_detect_init(kwsc_detect **out, void *memory, size_t memory_bytes,
                     const kwsc_detect_config *config,
                     const kwsc_frontend_config *frontend_config,
                     const kwsc_frontend_tables *frontend_tables,
                     const kwsc_quant_params *quant_params, const kwsc_nn_model *model);
void kwsc_detect_reset(kwsc_detect *det);
size_t kwsc_detect_push(kwsc_detect *det, const int16_t *pcm, size_t num_samples,
                        size_t *consumed, kwsc_detect_record *out, size_t max_out);
uint32_t kwsc_detect_frames(const kwsc_detect *det);
void kwsc_detect_relative_c0(const int16_t *c0, uint16_t frames, uint16_t oldest,
                             const kwsc_quant_params *quant, int8_t *window, uint16_t num_ceps);
"""

SOURCE = """
#include "kwsc_frontend.h"
#include "kwsc_log.h"
#include "kwsc_quant.h"
#include "kwsc_validate.h"
#include "kwsc_dtw.h"
#include "kwsc_nn.h"
#include "kwsc_detect.h"
"""


def make_builder() -> cffi.FFI:
    """The FFI builder for module ``kwsc._kwsc_c``."""
    builder = cffi.FFI()
    builder.cdef(CDEF)
    builder.set_source("kwsc._kwsc_c", SOURCE)
    return builder


if __name__ == "__main__":
    make_builder().emit_c_code(sys.argv[1])
