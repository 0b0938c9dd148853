/*
 * kwsc_common.h - status codes and fixed-point helpers shared by every kwsc C stage.
 *
 * Rules for all of csrc/: C99, integer arithmetic only in numeric paths, no malloc, no global
 * mutable state, no target-specific #ifdefs. The same source gives bit-identical results on
 * x86-64 and Cortex-M4.
 *
 * Q notation: Qn means a signed integer holding value * 2^n (Q15 int16: [-1, 1)).
 */
#ifndef KWSC_COMMON_H
#define KWSC_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes of every kwsc C function that can fail. */
typedef enum {
    KWSC_OK = 0,
    KWSC_ERR_NULL = -1,        /* a required pointer was NULL */
    KWSC_ERR_CONFIG = -2,      /* a config field is out of range */
    KWSC_ERR_MEMORY = -3,      /* caller memory too small or not 8-byte aligned */
    KWSC_ERR_TABLES = -4,      /* tables were generated for a different config */
    KWSC_ERR_ARGUMENT = -5     /* another argument is out of range */
} kwsc_status;

/*
 * C99 leaves >> of a negative value implementation-defined. gcc and clang, on every target we
 * build for, shift arithmetically; this typedef fails to compile on a compiler that does not.
 */
typedef char kwsc_check_arithmetic_shift[((-1 >> 1) == -1) ? 1 : -1];

/*
 * Likewise, converting an out-of-range unsigned value to a signed type is implementation-defined;
 * every compiler we build with wraps modulo 2^32 (two's complement), which this checks.
 */
typedef char kwsc_check_wrapping_conversion[((int32_t)(uint32_t)0xFFFFFFFFu == -1) ? 1 : -1];

/* (a * b) >> 32 with a 64-bit product: a Q31 multiply that also halves. One SMMUL on Cortex-M4. */
static inline int32_t kwsc_mul_hi32(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * (int64_t)b) >> 32);
}

/* Saturate an int64 to the int16 range. */
static inline int16_t kwsc_sat16(int64_t v)
{
    if (v > INT16_MAX) {
        return INT16_MAX;
    }
    if (v < INT16_MIN) {
        return INT16_MIN;
    }
    return (int16_t)v;
}

/*
 * Index of the highest set bit of v (0..31); v must be nonzero. With gcc or clang one
 * count-leading-zeros instruction (CLZ on Cortex-M4); elsewhere, or with KWSC_PORTABLE_BUILTINS
 * defined (the sanitizer tests build both ways), a portable binary search. Both give the same
 * integer, so no output depends on which one is compiled.
 */
#if defined(__GNUC__) && !defined(KWSC_PORTABLE_BUILTINS)
static inline int kwsc_msb32(uint32_t v)
{
    return 31 - __builtin_clz(v);
}
#else
static inline int kwsc_msb32(uint32_t v)
{
    int n = 0;
    if (v >> 16) { v >>= 16; n += 16; }
    if (v >> 8) { v >>= 8; n += 8; }
    if (v >> 4) { v >>= 4; n += 4; }
    if (v >> 2) { v >>= 2; n += 2; }
    if (v >> 1) { n += 1; }
    return n;
}
#endif

/*
 * KWSC_OPAQUE(x): tell gcc / clang to treat the integer variable x as a value it cannot see
 * through (an empty asm statement: no instruction, no change of value). Used where gcc 12 keeps
 * x as one half of a 64-bit value and then misses a multiply-accumulate (UMLAL on Cortex-M4).
 * Other compilers, and KWSC_PORTABLE_BUILTINS builds, get a no-op.
 */
#if defined(__GNUC__) && !defined(KWSC_PORTABLE_BUILTINS)
#define KWSC_OPAQUE(x) __asm__("" : "+r"(x))
#else
#define KWSC_OPAQUE(x) ((void)0)
#endif

/* Index of the highest set bit of v (0..63); v must be nonzero. Binary search on 32-bit halves. */
static inline int kwsc_msb64(uint64_t v)
{
    uint32_t hi = (uint32_t)(v >> 32);
    return hi != 0u ? 32 + kwsc_msb32(hi) : kwsc_msb32((uint32_t)v);
}

#ifdef __cplusplus
}
#endif

#endif /* KWSC_COMMON_H */
