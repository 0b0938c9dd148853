/*
 * nn_harness.c - an exported model (kwsc_model.c from `kwsc export`) run by csrc/kwsc_nn.c
 * under AddressSanitizer + UndefinedBehaviorSanitizer.
 *
 * usage: nn_harness WINDOWS.i8 OUT.i8
 * Reads int8 windows of KWSC_MODEL_INPUT_FRAMES x KWSC_MODEL_INPUT_COEFFS, writes the model's
 * int8 outputs per window. The arena is exactly KWSC_MODEL_ARENA_BYTES on the heap, so any
 * access outside the memory plan is an ASan report. Also checks the error paths: NULLs, an
 * arena one byte short, a misaligned arena. Exit 0 when every check held.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kwsc_model.h"

static int failures = 0;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "nn_harness:%d: check failed: %s\n", __LINE__, #cond);   \
            failures++;                                                              \
        }                                                                            \
    } while (0)

int main(int argc, char **argv)
{
    const size_t window_bytes = (size_t)KWSC_MODEL_INPUT_FRAMES * KWSC_MODEL_INPUT_COEFFS;
    FILE *in;
    FILE *out;
    int8_t *window;
    uint32_t *arena;
    uint32_t *spare;
    size_t windows = 0;
    if (argc != 3) {
        fprintf(stderr, "usage: nn_harness WINDOWS.i8 OUT.i8\n");
        return 2;
    }
    in = fopen(argv[1], "rb");
    out = fopen(argv[2], "wb");
    window = malloc(window_bytes);
    arena = malloc(KWSC_MODEL_ARENA_BYTES);
    spare = malloc(KWSC_MODEL_ARENA_BYTES + 4u);
    if (in == NULL || out == NULL || window == NULL || arena == NULL || spare == NULL) {
        fprintf(stderr, "nn_harness: cannot open files or allocate\n");
        return 2;
    }
    CHECK(kwsc_nn_check(&kwsc_model) == KWSC_OK);
    CHECK(kwsc_model.arena_bytes == KWSC_MODEL_ARENA_BYTES);
    CHECK(kwsc_model.output_bytes == KWSC_MODEL_NUM_CLASSES);
    CHECK(kwsc_nn_check(NULL) == KWSC_ERR_NULL);
    CHECK(kwsc_nn_invoke(NULL, arena, KWSC_MODEL_ARENA_BYTES) == KWSC_ERR_NULL);
    CHECK(kwsc_nn_invoke(&kwsc_model, NULL, KWSC_MODEL_ARENA_BYTES) == KWSC_ERR_NULL);
    CHECK(kwsc_nn_invoke(&kwsc_model, arena, KWSC_MODEL_ARENA_BYTES - 1u) == KWSC_ERR_MEMORY);
    CHECK(kwsc_nn_invoke(&kwsc_model, (uint8_t *)spare + 1, KWSC_MODEL_ARENA_BYTES + 3u) == KWSC_ERR_MEMORY);
    while (fread(window, 1, window_bytes, in) == window_bytes) {
        size_t i;
        int8_t *input = kwsc_nn_input(&kwsc_model, arena);
        for (i = 0; i < window_bytes; i++) {
            input[i] = window[i];
        }
        CHECK(kwsc_nn_invoke(&kwsc_model, arena, KWSC_MODEL_ARENA_BYTES) == KWSC_OK);
        fwrite(kwsc_nn_output(&kwsc_model, arena), 1, KWSC_MODEL_NUM_CLASSES, out);
        windows++;
    }
    CHECK(windows > 0u);
    fclose(in);
    fclose(out);
    free(window);
    free(arena);
    free(spare);
    return failures == 0 ? 0 : 1;
}
