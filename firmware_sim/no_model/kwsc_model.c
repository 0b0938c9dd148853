/* kwsc_model.c - the empty model of a firmware built without MODEL_DIR (see kwsc_model.h). */
#include "kwsc_model.h"

const kwsc_nn_model kwsc_model = {0, NULL, 0u, 0u, 0u, 0u, 0u};
