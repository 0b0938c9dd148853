/* kwsc_model.h - the firmware's model when none is given (make MODEL_DIR=<`kwsc export` output>
 * compiles an exported model instead): no ops, so the "nn" component reports that no model is
 * compiled in. Same names as an exported model's header. */
#ifndef KWSC_MODEL_H
#define KWSC_MODEL_H

#include "kwsc_nn.h"

#define KWSC_MODEL_ARENA_BYTES 4u
#define KWSC_MODEL_INPUT_FRAMES 1u
#define KWSC_MODEL_INPUT_COEFFS 1u
#define KWSC_MODEL_NUM_CLASSES 1u

extern const kwsc_nn_model kwsc_model;

#endif /* KWSC_MODEL_H */
