/* kwsc_fft.c - see kwsc_fft.h. */
#include "kwsc_fft.h"

/*
 * Twiddle W_n^k = exp(-2 pi i k / n) from the quarter-wave cosine table c[r] = cos(2 pi r / n),
 * 0 <= r <= n/4 (sin(2 pi r / n) = c[n/4 - r]): in the first quadrant W = c[k] - i c[n/4 - k],
 * and W_n^(n/4 + r) = -i W_n^r, W_n^(n/2 + r) = -W_n^r. A radix-4 butterfly's w1 is always in
 * the first quadrant, w2 in the first half and w3 below 3n/4, so each gets the lookup with only
 * the comparisons it needs.
 */
static inline void twiddle_q1(const int32_t *cos_q31, uint32_t k, uint32_t quarter, int32_t *wr, int32_t *wi)
{
    *wr = cos_q31[k];
    *wi = -cos_q31[quarter - k];
}

/* 0 <= k < n/2 */
static inline void twiddle_half(const int32_t *cos_q31, uint32_t k, uint32_t quarter, int32_t *wr, int32_t *wi)
{
    if (k < quarter) {
        twiddle_q1(cos_q31, k, quarter, wr, wi);
    } else {
        *wr = -cos_q31[2u * quarter - k];
        *wi = -cos_q31[k - quarter];
    }
}

/* 0 <= k < 3n/4 */
static inline void twiddle(const int32_t *cos_q31, uint32_t k, uint32_t quarter, int32_t *wr, int32_t *wi)
{
    if (k < 2u * quarter) {
        twiddle_half(cos_q31, k, quarter, wr, wi);
    } else {
        *wr = -cos_q31[k - 2u * quarter];
        *wi = cos_q31[3u * quarter - k];
    }
}

void kwsc_fft_bit_reverse_pairs(int32_t *data, uint16_t fft_size)
{
    uint32_t m = fft_size / 2u;
    uint32_t i;
    uint32_t j = 0;
    for (i = 0; i < m; i++) {
        if (i < j) {
            int32_t tr = data[2u * i];
            int32_t ti = data[2u * i + 1u];
            data[2u * i] = data[2u * j];
            data[2u * i + 1u] = data[2u * j + 1u];
            data[2u * j] = tr;
            data[2u * j + 1u] = ti;
        }
        j = kwsc_fft_next_reversed(j, m);
    }
}

/* (x * w) / 4 for a complex x and Q31 twiddle w: the Q31 multiply halves, one shift more. */
#define KWSC_CMUL_QUARTER(xr, xi, wr, wi, outr, outi)                              \
    do {                                                                           \
        (outr) = (kwsc_mul_hi32((xr), (wr)) - kwsc_mul_hi32((xi), (wi))) >> 1;     \
        (outi) = (kwsc_mul_hi32((xr), (wi)) + kwsc_mul_hi32((xi), (wr))) >> 1;     \
    } while (0)

/*
 * The radix-4 butterfly's additions, given x0 / 4 and the quarter-scaled products t1..t3:
 * s0 = x0 + t1, s1 = x0 - t1, s2 = t2 + t3, s3 = t2 - t3;
 * y0 = s0 + s2, y2 = s0 - s2, y1 = s1 - i s3, y3 = s1 + i s3.
 */
static inline void radix4_combine(int32_t *p0, int32_t *p1, int32_t *p2, int32_t *p3,
                                  int32_t x0r, int32_t x0i, int32_t t1r, int32_t t1i,
                                  int32_t t2r, int32_t t2i, int32_t t3r, int32_t t3i)
{
    int32_t s0r = x0r + t1r;
    int32_t s0i = x0i + t1i;
    int32_t s1r = x0r - t1r;
    int32_t s1i = x0i - t1i;
    int32_t s2r = t2r + t3r;
    int32_t s2i = t2i + t3i;
    int32_t s3r = t2r - t3r;
    int32_t s3i = t2i - t3i;
    p0[0] = s0r + s2r;
    p0[1] = s0i + s2i;
    p2[0] = s0r - s2r;
    p2[1] = s0i - s2i;
    p1[0] = s1r + s3i;
    p1[1] = s1i - s3r;
    p3[0] = s1r - s3i;
    p3[1] = s1i + s3r;
}

/*
 * One radix-4 decimation-in-time pass: two radix-2 passes of spans `span` and 2 `span` fused.
 * For x0..x3 = z[g + j + {0, 1, 2, 3} span] and w1 = W_(4 span)^j, w2 = w1^2, w3 = w1^3:
 * t1 = w2 x1, t2 = w1 x2, t3 = w3 x3 (all / 4), then radix4_combine. The output is the two
 * radix-2 passes' result divided by 4, so magnitudes never grow.
 */
static void radix4_pass(int32_t *z, uint32_t m, uint32_t span, uint32_t n, const int32_t *table)
{
    uint32_t stride = n / (4u * span); /* W_(4 span)^j = W_n^(j n / (4 span)) */
    uint32_t leg = 2u * span;          /* int32 values between the butterfly's legs */
    uint32_t group = 4u * leg;         /* int32 values between butterflies of one j */
    int32_t *end = z + 2u * m;
    int32_t *p;
    uint32_t j;

    for (p = z; p < end; p += group) { /* j = 0: all twiddles are 1 */
        int32_t *p1 = p + leg;
        int32_t *p2 = p1 + leg;
        int32_t *p3 = p2 + leg;
        radix4_combine(p, p1, p2, p3, p[0] >> 2, p[1] >> 2, p1[0] >> 2, p1[1] >> 2,
                       p2[0] >> 2, p2[1] >> 2, p3[0] >> 2, p3[1] >> 2);
    }
    /* W_n^(j stride) is in the first quadrant; 2 j stride < n/2 and 3 j stride < 3n/4. */
    {
        uint32_t quarter = n / 4u;
        uint32_t k1 = 0;
        for (j = 1; j < span; j++) {
            int32_t w1r, w1i, w2r, w2i, w3r, w3i;
            k1 += stride;
            twiddle_q1(table, k1, quarter, &w1r, &w1i);
            twiddle_half(table, 2u * k1, quarter, &w2r, &w2i);
            twiddle(table, 3u * k1, quarter, &w3r, &w3i);
            for (p = z + 2u * j; p < end; p += group) {
                int32_t *p1 = p + leg;
                int32_t *p2 = p1 + leg;
                int32_t *p3 = p2 + leg;
                int32_t t1r, t1i, t2r, t2i, t3r, t3i;
                KWSC_CMUL_QUARTER(p1[0], p1[1], w2r, w2i, t1r, t1i);
                KWSC_CMUL_QUARTER(p2[0], p2[1], w1r, w1i, t2r, t2i);
                KWSC_CMUL_QUARTER(p3[0], p3[1], w3r, w3i, t3r, t3i);
                radix4_combine(p, p1, p2, p3, p[0] >> 2, p[1] >> 2, t1r, t1i, t2r, t2i, t3r, t3i);
            }
        }
    }
}

/*
 * The last radix-4 pass (4 span = m): one butterfly per j, so no inner loop to keep the
 * twiddles in registers across; they go straight from the table into the products.
 */
static void radix4_last_pass(int32_t *z, uint32_t span, uint32_t n, const int32_t *table)
{
    uint32_t quarter = n / 4u;
    uint32_t stride = n / (4u * span);
    uint32_t leg = 2u * span;
    uint32_t k1 = stride;
    int32_t *p = z;
    int32_t *end = z + leg;

    radix4_combine(p, p + leg, p + 2u * leg, p + 3u * leg, p[0] >> 2, p[1] >> 2, p[leg] >> 2,
                   p[leg + 1u] >> 2, p[2u * leg] >> 2, p[2u * leg + 1u] >> 2, p[3u * leg] >> 2,
                   p[3u * leg + 1u] >> 2);
    for (p += 2; p < end; p += 2, k1 += stride) {
        int32_t *p1 = p + leg;
        int32_t *p2 = p1 + leg;
        int32_t *p3 = p2 + leg;
        int32_t wr, wi, t1r, t1i, t2r, t2i, t3r, t3i;
        twiddle_half(table, 2u * k1, quarter, &wr, &wi);
        KWSC_CMUL_QUARTER(p1[0], p1[1], wr, wi, t1r, t1i);
        twiddle_q1(table, k1, quarter, &wr, &wi);
        KWSC_CMUL_QUARTER(p2[0], p2[1], wr, wi, t2r, t2i);
        twiddle(table, 3u * k1, quarter, &wr, &wi);
        KWSC_CMUL_QUARTER(p3[0], p3[1], wr, wi, t3r, t3i);
        radix4_combine(p, p1, p2, p3, p[0] >> 2, p[1] >> 2, t1r, t1i, t2r, t2i, t3r, t3i);
    }
}

/* The twiddle-free first radix-2 pass (span 1), used when log2(m) is odd; halves. */
static void radix2_first_pass(int32_t *z, uint32_t m)
{
    uint32_t g;
    for (g = 0; g < m; g += 2u) {
        int32_t ar = z[2u * g] >> 1;
        int32_t ai = z[2u * g + 1u] >> 1;
        int32_t br = z[2u * g + 2u] >> 1;
        int32_t bi = z[2u * g + 3u] >> 1;
        z[2u * g] = ar + br;
        z[2u * g + 1u] = ai + bi;
        z[2u * g + 2u] = ar - br;
        z[2u * g + 3u] = ai - bi;
    }
}

/* m-point complex DIT FFT on bit-reversed input (radix 4, one radix-2 pass if log2 m is odd): Z / m. */
static void complex_fft_scaled(int32_t *z, uint32_t m, uint32_t n, const int32_t *table)
{
    uint32_t span = 1;
    uint32_t log2m = 0;
    while ((1u << log2m) < m) {
        log2m++;
    }
    if (log2m & 1u) {
        radix2_first_pass(z, m);
        span = 2;
    }
    for (; 4u * span < m; span *= 4u) {
        radix4_pass(z, m, span, n, table);
    }
    if (span < m) {
        radix4_last_pass(z, span, n, table);
    }
}

void kwsc_fft_real_forward(int32_t *data, uint16_t fft_size, const int32_t *twiddle_q31)
{
    uint32_t m = fft_size / 2u;
    uint32_t k;
    int32_t z0r;
    int32_t z0i;

    complex_fft_scaled(data, m, fft_size, twiddle_q31); /* Z[k] / m */

    /*
     * Split: with A = Z[k], B = conj(Z[m-k]),
     *   X[k]   = (A + B)/2 + W^k (A - B)/(2i)
     *   X[m-k] = conj((A + B)/2 - W^k (A - B)/(2i))
     * and one more halving gives X / (2m) = X / fft_size.
     */
    for (k = 1; k < m / 2u; k++) {
        int32_t *pa = &data[2u * k];
        int32_t *pb = &data[2u * (m - k)];
        int32_t ar = pa[0] >> 1;
        int32_t ai = pa[1] >> 1;
        int32_t br = pb[0] >> 1;
        int32_t bi = -(pb[1] >> 1); /* conj */
        int32_t er = (ar + br) >> 1; /* (A + B) / 4 */
        int32_t ei = (ai + bi) >> 1;
        int32_t hr = ar - br;        /* h = (A - B) / 2, p = -i h */
        int32_t hi = ai - bi;
        int32_t pr = hi;
        int32_t pi = -hr;
        int32_t wr;
        int32_t wi;
        int32_t tr;
        int32_t ti;
        wr = twiddle_q31[k]; /* k < fft_size / 4: first quadrant */
        wi = -twiddle_q31[m / 2u - k];
        tr = kwsc_mul_hi32(pr, wr) - kwsc_mul_hi32(pi, wi); /* W p / 2 = W (A - B) / (4i) */
        ti = kwsc_mul_hi32(pr, wi) + kwsc_mul_hi32(pi, wr);
        pa[0] = er + tr;
        pa[1] = ei + ti;
        pb[0] = er - tr;
        pb[1] = -(ei - ti);
    }
    /* k = m/2: W = -i and the formula reduces to X[m/2] = conj(Z[m/2]) / 2. */
    data[m] = data[m] >> 1;
    data[m + 1u] = -(data[m + 1u] >> 1);
    /* k = 0 and k = m are real: X[0] = Re Z0 + Im Z0, X[m] = Re Z0 - Im Z0 (then halved). */
    z0r = data[0] >> 1;
    z0i = data[1] >> 1;
    data[0] = z0r + z0i;
    data[1] = z0r - z0i;
}
