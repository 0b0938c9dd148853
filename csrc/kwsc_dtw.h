/*
 * kwsc_dtw.h - fixed-point dynamic time warping between feature sequences, and the enrollment
 * consistency check built on it ("is every take the same phrase?").
 *
 * Sequences are rows of `stride` int16 features (the frontend's Q6 cepstra); coefficients
 * first..first+dims-1 are compared (skip c0, the level) after subtracting each sequence's own
 * mean (cepstral mean normalisation: a different microphone or distance shifts the mean, not
 * the shape). The local cost is the L1 distance; the path is confined to a band of `band`
 * frames around the straight line from the first frame pair to the last (a Sakoe-Chiba band
 * slanted to the length ratio), so memory is two rows of 2 band + 1 int32: bounded by the
 * band, not by the sequence lengths (KWSC_DTW_SCRATCH_WORDS).
 */
#ifndef KWSC_DTW_H
#define KWSC_DTW_H

#include "kwsc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* int32 words of scratch kwsc_dtw_distance needs for a band of `band` frames. */
#define KWSC_DTW_SCRATCH_WORDS(band) (2u * (2u * (uint32_t)(band) + 1u))
/* Most coefficients compared, most takes in a consistency check. */
#define KWSC_DTW_MAX_DIMS 32u
#define KWSC_ENROLL_MAX_TAKES 16u
/* Distance for an empty sequence, invalid arguments, or a path cost beyond int32's range. */
#define KWSC_DTW_INFINITE INT32_MAX

/*
 * Path-normalised DTW distance: (sum of L1 costs along the best path) * 256 / (na + nb), i.e.
 * symmetric (the longer sequence is walked row by row whatever the argument order),
 * Q8 in the features' units (Q6 log2 for cepstra). KWSC_DTW_INFINITE if na or nb is 0, dims
 * is out of range, or the path's total cost reaches 2^30 (costs are int32; with 12 full-range
 * coefficients that takes over 1,300 path steps, far beyond an enrollment take). Walking the
 * longer sequence, the line's slope is at most one frame per row, so a path always fits, even
 * in a band of 0 (the line itself).
 */
int32_t kwsc_dtw_distance(const int16_t *a, uint16_t na, const int16_t *b, uint16_t nb,
                          uint16_t stride, uint16_t first, uint16_t dims, uint16_t band,
                          int32_t *scratch);

/*
 * Enrollment consistency over num_takes (3..KWSC_ENROLL_MAX_TAKES) sequences: for each take,
 * the DTW distance to its nearest other take (nearest_q8[i]). Take i is an outlier (bit i of
 * *outliers) when nearest_q8[i] > ratio_q8 / 256 times the median of all nearest distances and
 * also > min_distance_q8: the other takes agree with each other, this one agrees with none of
 * them, and by more than takes of one phrase can differ (the floor keeps a set of very similar
 * takes, whose median is tiny, from flagging the one that is merely ordinary).
 */
int kwsc_enroll_consistency(const int16_t *const *takes, const uint16_t *frames,
                            uint16_t num_takes, uint16_t stride, uint16_t first, uint16_t dims,
                            uint16_t band, uint16_t ratio_q8, int32_t min_distance_q8,
                            int32_t *scratch, int32_t *nearest_q8, uint32_t *outliers);

#ifdef __cplusplus
}
#endif

#endif /* KWSC_DTW_H */
