/* SPDX-License-Identifier: Apache-2.0 */
/* AVX2 forms of the hot ML-KEM polynomial functions (NTT, inverse NTT, the
 * NTT-domain inner product, Barrett reduction), used by mlkem_poly.c when
 * the CPU has AVX2 (keccak.c checks once). They compute exactly what the
 * portable code computes (the same Montgomery and Barrett steps lane by
 * lane, so results are bit for bit equal; unit-crypto-mlkem runs every
 * vector on both paths), and like it they have no branch or memory index
 * that depends on a coefficient. The NTT layers with len >= 16 pair whole
 * vectors; len 8, 4 and 2 are done 32 coefficients at a time, the pairs
 * gathered into two vectors by shuffles and put back after. */
#include <pthread.h>

#include "crypto/mlkem_internal.h"

#if MLKEM_HAVE_AVX2
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))
#define QINV (-3327)
#define BARRETT_V 20159
#define F_INV128_MONT2 1441

/* mont_reduce(a * b) in each of 16 int16 lanes: the high half of a * b
 * minus the high half of t * q, t = low(a * b) * q^-1, is exactly
 * (a * b - t * q) >> 16. */
AVX2 static inline __m256i fqmul16(__m256i a, __m256i b)
{
	__m256i lo = _mm256_mullo_epi16(a, b), hi = _mm256_mulhi_epi16(a, b);
	__m256i t = _mm256_mullo_epi16(lo, _mm256_set1_epi16(QINV));

	return _mm256_sub_epi16(hi, _mm256_mulhi_epi16(t, _mm256_set1_epi16(MLKEM_Q)));
}

/* a - q * ((a * V + 2^25) >> 26), computed as ((a * V >> 16) + 2^9) >> 10. */
AVX2 static inline __m256i barrett16(__m256i a)
{
	__m256i t = _mm256_mulhi_epi16(a, _mm256_set1_epi16(BARRETT_V));

	t = _mm256_srai_epi16(_mm256_add_epi16(t, _mm256_set1_epi16(1 << 9)), 10);
	return _mm256_sub_epi16(a, _mm256_mullo_epi16(t, _mm256_set1_epi16(MLKEM_Q)));
}

/* mont_reduce on int32 lanes: t = (int16)(a * q^-1), (a - t q) >> 16. */
AVX2 static inline __m256i mont32(__m256i a)
{
	__m256i t = _mm256_mullo_epi32(a, _mm256_set1_epi32(QINV));

	t = _mm256_srai_epi32(_mm256_slli_epi32(t, 16), 16);
	return _mm256_srai_epi32(
	    _mm256_sub_epi32(a, _mm256_mullo_epi32(t, _mm256_set1_epi32(MLKEM_Q))), 16);
}

AVX2 static inline __m256i load16(const int16_t *p)
{
	return _mm256_loadu_si256((const __m256i *)p);
}

AVX2 static inline void store16(int16_t *p, __m256i v)
{
	_mm256_storeu_si256((__m256i *)p, v);
}

AVX2 void mlkem__poly_reduce_avx2(struct mlkem__poly *r)
{
	for (unsigned j = 0; j < MLKEM_N; j += 16)
		store16(r->c + j, barrett16(load16(r->c + j)));
}

/* --- the short layers on 32-coefficient chunks A (c0-15), B (c16-31) ---
 * len 8: X = (A.lo, B.lo), Y = (A.hi, B.hi);
 * len 4: X = 64-bit units (A0, B0 | A2, B2), Y = (A1, B1 | A3, B3);
 * len 2: 32-bit units of A and B reordered (0 2 1 3) per 128-bit half, then
 *        as len 4. Pair n of the butterfly is X lane n with Y lane n. */
AVX2 static inline void split8(__m256i a, __m256i b, __m256i *x, __m256i *y)
{
	*x = _mm256_permute2x128_si256(a, b, 0x20);
	*y = _mm256_permute2x128_si256(a, b, 0x31);
}

AVX2 static inline void split4(__m256i a, __m256i b, __m256i *x, __m256i *y)
{
	*x = _mm256_unpacklo_epi64(a, b);
	*y = _mm256_unpackhi_epi64(a, b);
}

AVX2 static inline void split2(__m256i a, __m256i b, __m256i *x, __m256i *y)
{
	split4(_mm256_shuffle_epi32(a, 0xd8), _mm256_shuffle_epi32(b, 0xd8), x, y);
}

/* join = split's inverse; split8 and split4 are their own. */
AVX2 static inline void join2(__m256i x, __m256i y, __m256i *a, __m256i *b)
{
	*a = _mm256_shuffle_epi32(_mm256_unpacklo_epi64(x, y), 0xd8);
	*b = _mm256_shuffle_epi32(_mm256_unpackhi_epi64(x, y), 0xd8);
}

/* The zetas of the short layers in split order: [layer][chunk][lane], for
 * the NTT (len 8, 4, 2) and the inverse (len 2, 4, 8). The lane-to-block
 * map follows from split: block b of the chunk (len 8: 2 blocks, len 4: 4,
 * len 2: 8) sits in lanes */
static const uint8_t block_of_lane[3][16] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, /* len 8 */
    {0, 0, 0, 0, 2, 2, 2, 2, 1, 1, 1, 1, 3, 3, 3, 3}, /* len 4 */
    {0, 0, 1, 1, 4, 4, 5, 5, 2, 2, 3, 3, 6, 6, 7, 7}, /* len 2 */
};
static int16_t zfwd[3][8][16] __attribute__((aligned(32)));
static int16_t zinv[3][8][16] __attribute__((aligned(32)));
static pthread_once_t ztab_once = PTHREAD_ONCE_INIT;

static void ztab_build(void)
{
	for (int l = 0; l < 3; l++) {
		unsigned per = 2u << l; /* blocks per chunk: 2, 4, 8 */

		for (unsigned c = 0; c < 8; c++)
			for (int n = 0; n < 16; n++) {
				unsigned b = per * c + block_of_lane[l][n]; /* block in the layer */

				/* forward: len 8, 4, 2 start at zetas[16], [32], [64];
				 * inverse: len 8, 4, 2 count down from 31, 63, 127 */
				zfwd[l][c][n] = mlkem__zetas[8 * per + b];
				zinv[l][c][n] = mlkem__zetas[16 * per - 1 - b];
			}
	}
}

AVX2 static inline void ct_bf(__m256i *x, __m256i *y, const int16_t *z)
{
	__m256i t = fqmul16(_mm256_load_si256((const __m256i *)z), *y);

	*y = _mm256_sub_epi16(*x, t);
	*x = _mm256_add_epi16(*x, t);
}

AVX2 static inline void gs_bf(__m256i *x, __m256i *y, const int16_t *z, int reduce)
{
	__m256i sum = _mm256_add_epi16(*x, *y);

	*y = fqmul16(_mm256_load_si256((const __m256i *)z), _mm256_sub_epi16(*y, *x));
	*x = reduce ? barrett16(sum) : sum;
}

AVX2 void mlkem__ntt_avx2(struct mlkem__poly *f)
{
	unsigned i = 1;

	for (unsigned len = 128; len >= 16; len >>= 1)
		for (unsigned start = 0; start < MLKEM_N; start += 2 * len) {
			__m256i z = _mm256_set1_epi16(mlkem__zetas[i++]);

			for (unsigned j = start; j < start + len; j += 16) {
				__m256i a = load16(f->c + j);
				__m256i t = fqmul16(z, load16(f->c + j + len));

				store16(f->c + j + len, _mm256_sub_epi16(a, t));
				store16(f->c + j, _mm256_add_epi16(a, t));
			}
		}
	pthread_once(&ztab_once, ztab_build);
	for (unsigned c = 0; c < 8; c++) {
		__m256i a = load16(f->c + 32 * c), b = load16(f->c + 32 * c + 16), x, y;

		split8(a, b, &x, &y);
		ct_bf(&x, &y, zfwd[0][c]);
		split8(x, y, &a, &b);
		split4(a, b, &x, &y);
		ct_bf(&x, &y, zfwd[1][c]);
		split4(x, y, &a, &b);
		split2(a, b, &x, &y);
		ct_bf(&x, &y, zfwd[2][c]);
		join2(x, y, &a, &b);
		store16(f->c + 32 * c, barrett16(a));
		store16(f->c + 32 * c + 16, barrett16(b));
	}
}

AVX2 void mlkem__invntt_avx2(struct mlkem__poly *f)
{
	unsigned i = MLKEM_N / 16 - 1;
	__m256i scale = _mm256_set1_epi16(F_INV128_MONT2);

	pthread_once(&ztab_once, ztab_build);
	for (unsigned c = 0; c < 8; c++) {
		__m256i a = load16(f->c + 32 * c), b = load16(f->c + 32 * c + 16), x, y;

		split2(a, b, &x, &y);
		gs_bf(&x, &y, zinv[2][c], 0);
		join2(x, y, &a, &b);
		split4(a, b, &x, &y);
		gs_bf(&x, &y, zinv[1][c], 0);
		split4(x, y, &a, &b);
		split8(a, b, &x, &y);
		gs_bf(&x, &y, zinv[0][c], 1); /* Barrett after len 8, as the portable code */
		split8(x, y, &a, &b);
		store16(f->c + 32 * c, a);
		store16(f->c + 32 * c + 16, b);
	}
	for (unsigned len = 16; len <= 128; len <<= 1)
		for (unsigned start = 0; start < MLKEM_N; start += 2 * len) {
			__m256i z = _mm256_set1_epi16(mlkem__zetas[i--]);

			for (unsigned j = start; j < start + len; j += 16) {
				__m256i a = load16(f->c + j), b = load16(f->c + j + len);
				__m256i sum = _mm256_add_epi16(a, b);

				store16(f->c + j, len == 64 ? barrett16(sum) : sum);
				store16(f->c + j + len, fqmul16(z, _mm256_sub_epi16(b, a)));
			}
		}
	for (unsigned j = 0; j < MLKEM_N; j += 16)
		store16(f->c + j, fqmul16(load16(f->c + j), scale));
}

/* Eight coefficient pairs at a time, even and odd coefficients widened to
 * int32 lanes, summed over k and reduced once, as the portable code does. */
AVX2 void mlkem__inner_avx2(struct mlkem__poly *r, const struct mlkem__poly *a,
                            const struct mlkem__poly *b, unsigned k)
{
	for (unsigned i = 0; i < MLKEM_N; i += 16) {
		/* gamma of pair p = i/2 + l: +-zetas[64 + p/2], minus for odd p */
		const int16_t *z = &mlkem__zetas[64 + i / 4];
		__m256i g = _mm256_setr_epi32(z[0], -z[0], z[1], -z[1], z[2], -z[2], z[3], -z[3]);
		__m256i c0 = _mm256_setzero_si256(), c1 = _mm256_setzero_si256();

		for (unsigned j = 0; j < k; j++) {
			__m256i x = load16(a[j].c + i), y = load16(b[j].c + i);
			__m256i x0 = _mm256_srai_epi32(_mm256_slli_epi32(x, 16), 16);
			__m256i y0 = _mm256_srai_epi32(_mm256_slli_epi32(y, 16), 16);
			__m256i x1 = _mm256_srai_epi32(x, 16), y1 = _mm256_srai_epi32(y, 16);
			__m256i m = mont32(_mm256_mullo_epi32(x1, y1));

			c0 = _mm256_add_epi32(c0, _mm256_add_epi32(_mm256_mullo_epi32(x0, y0),
			                                           _mm256_mullo_epi32(m, g)));
			c1 = _mm256_add_epi32(c1, _mm256_add_epi32(_mm256_mullo_epi32(x0, y1),
			                                           _mm256_mullo_epi32(x1, y0)));
		}
		store16(r->c + i,
		        _mm256_blend_epi16(mont32(c0), _mm256_slli_epi32(mont32(c1), 16), 0xaa));
	}
}
#endif
