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
    const int16_t *dct_q15;
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

int kwsc_quant_check(const kwsc_quant_params *params);
int kwsc_quantize_int8(const int16_t *ceps_q6, size_t num_frames,
                       const kwsc_quant_params *params, int8_t *out);
"""

SOURCE = """
#include "kwsc_frontend.h"
#include "kwsc_log.h"
#include "kwsc_quant.h"
"""


def make_builder() -> cffi.FFI:
    """The FFI builder for module ``kwsc._kwsc_c``."""
    builder = cffi.FFI()
    builder.cdef(CDEF)
    builder.set_source("kwsc._kwsc_c", SOURCE)
    return builder


if __name__ == "__main__":
    make_builder().emit_c_code(sys.argv[1])
