/* kwsc_fft.c - see kwsc_fft.h. */
#include "kwsc_fft.h"

/* Twiddle W_N^k = exp(-2 pi i k / N) for 0 <= k < N/2, from the quarter-wave table. */
static void twiddle(const int32_t *table, uint16_t n, uint32_t k, int32_t *wr, int32_t *wi)
{
    uint32_t quarter = n / 4u;
    if (k < quarter) {
        *wr = table[2u * k];
        *wi = table[2u * k + 1u];
    } else {
        /* W^(k) = W^(k - N/4) * W^(N/4) = W^(k - N/4) * (-i): (c, s) -> (s, -c). */
        int32_t c = table[2u * (k - quarter)];
        int32_t s = table[2u * (k - quarter) + 1u];
        *wr = s;
        *wi = -c;
    }
}

/* Reorder the m complex values (interleaved re, im) into bit-reversed index order. */
static void bit_reverse(int32_t *z, uint32_t m)
{
    uint32_t i;
    uint32_t j = 0;
    for (i = 0; i < m - 1u; i++) {
        uint32_t bit;
        if (i < j) {
            int32_t tr = z[2u * i];
            int32_t ti = z[2u * i + 1u];
            z[2u * i] = z[2u * j];
            z[2u * i + 1u] = z[2u * j + 1u];
            z[2u * j] = tr;
            z[2u * j + 1u] = ti;
        }
        bit = m >> 1;
        while (j & bit) {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
    }
}

/* m-point complex radix-2 DIT FFT, each stage scaled by 1/2; twiddles W_m^j = W_n^(j n/m). */
static void complex_fft_halving(int32_t *z, uint32_t m, uint16_t n, const int32_t *table)
{
    uint32_t span;
    bit_reverse(z, m);
    for (span = 1; span < m; span <<= 1) {
        uint32_t stride = (uint32_t)n / (2u * span); /* W_m^(j m / (2 span)) = W_n^(j n / (2 span)) */
        uint32_t j;
        for (j = 0; j < span; j++) {
            int32_t wr;
            int32_t wi;
            uint32_t g;
            twiddle(table, n, j * stride, &wr, &wi);
            for (g = j; g < m; g += 2u * span) {
                int32_t *a = &z[2u * g];
                int32_t *b = &z[2u * (g + span)];
                /* t = b * w / 2; a' = a/2 + t; b' = a/2 - t */
                int32_t tr = kwsc_mul_hi32(b[0], wr) - kwsc_mul_hi32(b[1], wi);
                int32_t ti = kwsc_mul_hi32(b[0], wi) + kwsc_mul_hi32(b[1], wr);
                int32_t ar = a[0] >> 1;
                int32_t ai = a[1] >> 1;
                a[0] = ar + tr;
                a[1] = ai + ti;
                b[0] = ar - tr;
                b[1] = ai - ti;
            }
        }
    }
}

void kwsc_fft_real_forward(int32_t *data, uint16_t fft_size, const int32_t *twiddle_q31)
{
    uint32_t m = fft_size / 2u;
    uint32_t k;
    int32_t z0r;
    int32_t z0i;

    complex_fft_halving(data, m, fft_size, twiddle_q31); /* Z[k] / m */

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
        twiddle(twiddle_q31, fft_size, k, &wr, &wi);
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
