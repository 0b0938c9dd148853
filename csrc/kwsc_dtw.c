/* kwsc_dtw.c - see kwsc_dtw.h. */
#include "kwsc_dtw.h"

#define DTW_INF (INT32_MAX / 2)

/* Per-coefficient mean of a sequence, in the features' units (rounded toward zero). */
static void sequence_mean(const int16_t *x, uint16_t n, uint16_t stride, uint16_t first,
                          uint16_t dims, int32_t *mean)
{
    uint16_t k;
    uint16_t t;
    for (k = 0; k < dims; k++) {
        int32_t sum = 0;
        for (t = 0; t < n; t++) {
            sum += x[(uint32_t)t * stride + first + k];
        }
        mean[k] = sum / (int32_t)n;
    }
}

/* Centre column of row i: the diagonal from (0, 0) to (na - 1, nb - 1). */
static int32_t centre(uint32_t i, uint16_t na, uint16_t nb)
{
    return na > 1u ? (int32_t)(i * (uint32_t)(nb - 1u) / (uint32_t)(na - 1u)) : 0;
}

int32_t kwsc_dtw_distance(const int16_t *a, uint16_t na, const int16_t *b, uint16_t nb,
                          uint16_t stride, uint16_t first, uint16_t dims, uint16_t band,
                          int32_t *scratch)
{
    int32_t mean_a[KWSC_DTW_MAX_DIMS];
    int32_t mean_b[KWSC_DTW_MAX_DIMS];
    int32_t width = 2 * (int32_t)band + 1;
    int32_t *prev = scratch;
    int32_t *row = scratch + width;
    int32_t prev_lo = 0;
    uint32_t i;
    int32_t total;

    if (a == NULL || b == NULL || scratch == NULL || na == 0u || nb == 0u || dims == 0u ||
        dims > KWSC_DTW_MAX_DIMS || (uint32_t)first + dims > stride) {
        return KWSC_DTW_INFINITE;
    }
    if (nb > na) { /* rows walk the longer sequence: the result does not depend on the order */
        const int16_t *swap_seq = a;
        uint16_t swap_len = na;
        a = b;
        b = swap_seq;
        na = nb;
        nb = swap_len;
    }
    sequence_mean(a, na, stride, first, dims, mean_a);
    sequence_mean(b, nb, stride, first, dims, mean_b);
    for (i = 0; i < na; i++) {
        int32_t lo = centre(i, na, nb) - (int32_t)band;
        int32_t w;
        const int16_t *ai = &a[i * stride + first];
        for (w = 0; w < width; w++) {
            int32_t j = lo + w;
            int32_t best;
            int32_t cost = 0;
            uint16_t k;
            if (j < 0 || j >= (int32_t)nb) {
                row[w] = DTW_INF;
                continue;
            }
            for (k = 0; k < dims; k++) {
                int32_t d = (ai[k] - mean_a[k]) - (b[(uint32_t)j * stride + first + k] - mean_b[k]);
                cost += d < 0 ? -d : d;
            }
            if (i == 0u && j == 0) {
                best = 0;
            } else {
                int32_t up = DTW_INF;   /* (i - 1, j) */
                int32_t diag = DTW_INF; /* (i - 1, j - 1) */
                int32_t left = w > 0 ? row[w - 1] : DTW_INF; /* (i, j - 1) */
                if (i > 0u) {
                    int32_t pu = j - prev_lo;
                    int32_t pd = j - 1 - prev_lo;
                    if (pu >= 0 && pu < width) {
                        up = prev[pu];
                    }
                    if (pd >= 0 && pd < width) {
                        diag = prev[pd];
                    }
                }
                best = up < diag ? up : diag;
                best = left < best ? left : best;
            }
            row[w] = best >= DTW_INF ? DTW_INF : best + cost;
        }
        prev_lo = lo;
        {
            int32_t *swap = prev;
            prev = row;
            row = swap;
        }
    }
    {
        int32_t last = (int32_t)(nb - 1u) - prev_lo; /* in the last row's band: its centre is nb - 1 */
        total = (last >= 0 && last < width) ? prev[last] : DTW_INF;
    }
    if (total >= DTW_INF) {
        return KWSC_DTW_INFINITE;
    }
    return (int32_t)(((int64_t)total * 256) / ((int32_t)na + (int32_t)nb));
}

int kwsc_enroll_consistency(const int16_t *const *takes, const uint16_t *frames,
                            uint16_t num_takes, uint16_t stride, uint16_t first, uint16_t dims,
                            uint16_t band, uint16_t ratio_q8, int32_t min_distance_q8,
                            int32_t *scratch, int32_t *nearest_q8, uint32_t *outliers)
{
    int32_t sorted[KWSC_ENROLL_MAX_TAKES];
    int32_t median;
    uint16_t i;
    uint16_t j;
    if (takes == NULL || frames == NULL || scratch == NULL || nearest_q8 == NULL || outliers == NULL) {
        return KWSC_ERR_NULL;
    }
    if (num_takes < 3u || num_takes > KWSC_ENROLL_MAX_TAKES) {
        return KWSC_ERR_ARGUMENT;
    }
    for (i = 0; i < num_takes; i++) {
        nearest_q8[i] = KWSC_DTW_INFINITE;
    }
    for (i = 0; i < num_takes; i++) {
        for (j = (uint16_t)(i + 1u); j < num_takes; j++) {
            int32_t d = kwsc_dtw_distance(takes[i], frames[i], takes[j], frames[j], stride, first,
                                          dims, band, scratch);
            if (d < nearest_q8[i]) {
                nearest_q8[i] = d;
            }
            if (d < nearest_q8[j]) {
                nearest_q8[j] = d;
            }
        }
    }
    /* Median nearest distance (insertion sort of at most 16 values). */
    for (i = 0; i < num_takes; i++) {
        int32_t value = nearest_q8[i];
        for (j = i; j > 0u && sorted[j - 1u] > value; j--) {
            sorted[j] = sorted[j - 1u];
        }
        sorted[j] = value;
    }
    median = sorted[(num_takes - 1u) / 2u];
    *outliers = 0;
    for (i = 0; i < num_takes; i++) {
        if ((int64_t)nearest_q8[i] * 256 > (int64_t)median * ratio_q8 && nearest_q8[i] > min_distance_q8) {
            *outliers |= 1u << i;
        }
    }
    return KWSC_OK;
}
