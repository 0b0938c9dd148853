/*
 * harness_util.h - helpers shared by the sanitizer test harnesses (frontend_harness.c,
 * validate_harness.c): the failure counter and CHECK macros, allocation, the LCG behind the
 * pseudo-random chunk sizes, int16 file input, file output and argument parsing.
 *
 * Each harness is a single translation unit: it defines HARNESS_NAME (its program name, a
 * string literal that prefixes every message) and then includes this header, which holds only
 * static definitions. Every function here is used by both harnesses (they build with -Wall
 * -Werror, so an unused one would not compile).
 *
 * Errors: a failed check prints HARNESS_NAME:LINE: ... on stderr and counts in `failures`; an
 * I/O, usage or allocation error prints a message and exits with status 2.
 */
#ifndef HARNESS_UTIL_H
#define HARNESS_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef HARNESS_NAME
#error "define HARNESS_NAME (the program name in messages) before including harness_util.h"
#endif

static int failures = 0;

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, HARNESS_NAME ":%d: check failed: %s\n", __LINE__, #cond);      \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

#define CHECK_STATUS(expr, want)                                                           \
    do {                                                                                   \
        int got_ = (expr);                                                                 \
        if (got_ != (want)) {                                                              \
            fprintf(stderr, HARNESS_NAME ":%d: %s returned %d, expected %d (%s)\n",        \
                    __LINE__, #expr, got_, (int)(want), #want);                            \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes == 0u ? 1u : bytes);
    if (p == NULL) {
        fprintf(stderr, HARNESS_NAME ": out of memory\n");
        exit(2);
    }
    return p;
}

/* ---------------------------------------------------------------------------------------- */
/* Pseudo-random chunking                                                                    */

static uint32_t lcg_next(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8; /* the low bits of an LCG are poor */
}

/* Next chunk length: `fixed` if nonzero, else a random mix of empty, tiny, medium and large. */
static size_t next_chunk(size_t fixed, uint32_t *state)
{
    uint32_t kind;
    if (fixed != 0u) {
        return fixed;
    }
    kind = lcg_next(state) % 16u;
    if (kind == 0u) {
        return 0u;
    }
    if (kind < 7u) {
        return 1u + lcg_next(state) % 16u;
    }
    if (kind < 14u) {
        return 1u + lcg_next(state) % 700u;
    }
    return 1u + lcg_next(state) % 5000u;
}

/* ---------------------------------------------------------------------------------------- */
/* I/O                                                                                       */

/* The whole file as little-endian int16 values (an odd byte count is an error). */
static int16_t *read_int16(const char *path, size_t *count)
{
    FILE *f = fopen(path, "rb");
    unsigned char *bytes = NULL;
    size_t size = 0u;
    size_t cap = 0u;
    int16_t *out;
    size_t i;

    if (f == NULL) {
        perror(path);
        exit(2);
    }
    for (;;) {
        size_t got;
        if (size == cap) {
            unsigned char *grown;
            cap = cap == 0u ? 65536u : 2u * cap;
            grown = (unsigned char *)realloc(bytes, cap);
            if (grown == NULL) {
                fprintf(stderr, HARNESS_NAME ": out of memory\n");
                exit(2);
            }
            bytes = grown;
        }
        got = fread(bytes + size, 1u, cap - size, f);
        size += got;
        if (got == 0u) {
            break;
        }
    }
    if (ferror(f) || size % 2u != 0u) {
        fprintf(stderr, HARNESS_NAME ": %s: read error or odd byte count\n", path);
        exit(2);
    }
    fclose(f);
    *count = size / 2u;
    /* Exactly `count` values on the heap: reads past the end hit ASan's redzone. */
    out = (int16_t *)xmalloc(*count * sizeof(int16_t));
    for (i = 0u; i < *count; i++) {
        int32_t v = (int32_t)bytes[2u * i] | ((int32_t)bytes[2u * i + 1u] << 8);
        out[i] = (int16_t)(v >= 32768 ? v - 65536 : v);
    }
    free(bytes);
    return out;
}

/* Write bytes[0..size) to path (created or truncated). */
static void write_bytes(const char *path, const unsigned char *bytes, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    if (fwrite(bytes, 1u, size, f) != size || fclose(f) != 0) {
        fprintf(stderr, HARNESS_NAME ": %s: write error\n", path);
        exit(2);
    }
}

static unsigned long parse_ulong(const char *text, unsigned long max, const char *what)
{
    char *end = NULL;
    unsigned long v = strtoul(text, &end, 10);
    if (end == text || *end != '\0' || v > max || text[0] == '-') {
        fprintf(stderr, HARNESS_NAME ": bad %s: %s\n", what, text);
        exit(2);
    }
    return v;
}

#endif /* HARNESS_UTIL_H */
