/* SPDX-License-Identifier: Apache-2.0 */
/* ML-KEM polynomial arithmetic (FIPS 203 sections 4.2-4.3): Montgomery and
 * Barrett reduction without branches, the NTT and its inverse, the NTT-domain
 * product, CBD and NTT sampling, compression and byte encodings. Nothing here
 * branches on or indexes memory by a coefficient value, except SampleNTT and
 * the ek modulus check, whose inputs are public. */
#include "crypto/mlkem_internal.h"

#define QINV (-3327)          /* q^-1 mod 2^16, as int16 */
#define BARRETT_V 20159       /* round(2^26 / q) */
#define DIV_Q_MUL 20642679ULL /* ceil(2^36 / q): a / q == (a * DIV_Q_MUL) >> 36, a < 2^24 */
#define F_INV128_MONT2 1441   /* 128^-1 * R^2 mod q, R = 2^16 */
#define R2_MOD_Q 1353         /* R^2 mod q */

/* zeta^BitRev7(i) * R mod q, centred (zeta = 17). */
const int16_t mlkem__zetas[128] = {
    -1044, -758,  -359,  -1517, 1493,  1422,  287,   202,   -171,  622,   1577,  182,   962,
    -1202, -1474, 1468,  573,   -1325, 264,   383,   -829,  1458,  -1602, -130,  -681,  1017,
    732,   608,   -1542, 411,   -205,  -1571, 1223,  652,   -552,  1015,  -1293, 1491,  -282,
    -1544, 516,   -8,    -320,  -666,  -1618, -1162, 126,   1469,  -853,  -90,   -271,  830,
    107,   -1421, -247,  -951,  -398,  961,   -1508, -725,  448,   -1065, 677,   -1275, -1103,
    430,   555,   843,   -1251, 871,   1550,  105,   422,   587,   177,   -235,  -291,  -460,
    1574,  1653,  -246,  778,   1159,  -147,  -777,  1483,  -602,  1119,  -1590, 644,   -872,
    349,   418,   329,   -156,  -75,   817,   1097,  603,   610,   1322,  -1285, -1465, 384,
    -1215, -136,  1218,  -1335, -874,  220,   -1187, -1659, -1185, -1530, -1278, 794,   -1510,
    -854,  -870,  478,   -108,  -308,  996,   991,   958,   -1460, 1522,  1628,
};

/* a * R^-1 mod q in (-q, q) for |a| < q * 2^15. */
static int16_t mont_reduce(int32_t a)
{
	int16_t t = (int16_t)((int16_t)a * QINV);

	return (int16_t)((a - (int32_t)t * MLKEM_Q) >> 16);
}

static int16_t fqmul(int16_t a, int16_t b)
{
	return mont_reduce((int32_t)a * b);
}

/* The centred representative of a mod q, in [-(q-1)/2, (q-1)/2]. */
static int16_t barrett_reduce(int16_t a)
{
	int16_t t = (int16_t)(((int32_t)BARRETT_V * a + (1 << 25)) >> 26);

	return (int16_t)(a - t * MLKEM_Q);
}

/* a in (-q, q) to [0, q) by adding q under a sign mask. */
static uint16_t to_canonical(int16_t a)
{
	return (uint16_t)(a + ((a >> 15) & MLKEM_Q));
}

void mlkem__ntt_layers(struct mlkem__poly *f, unsigned hi, unsigned lo)
{
	unsigned i = MLKEM_N / 2 / hi; /* the first zeta of layer len = hi */

	for (unsigned len = hi; len >= lo; len >>= 1) {
		for (unsigned start = 0; start < MLKEM_N; start += 2 * len) {
			int16_t zeta = mlkem__zetas[i++];

			for (unsigned j = start; j < start + len; j++) {
				int16_t t = fqmul(zeta, f->c[j + len]);

				f->c[j + len] = (int16_t)(f->c[j] - t);
				f->c[j] = (int16_t)(f->c[j] + t);
			}
		}
	}
}

void mlkem__invntt_layers(struct mlkem__poly *f, unsigned lo, unsigned hi)
{
	unsigned i = MLKEM_N / lo - 1; /* the first zeta of layer len = lo */

	/* Sums double each layer; from inputs below q they stay within int16
	 * (and their differences too) for three layers, so they are Barrett-
	 * reduced only after layers 3 and 6 (len 8 and 64). */
	for (unsigned len = lo; len <= hi; len <<= 1) {
		int reduce = len == 8 || len == 64;

		for (unsigned start = 0; start < MLKEM_N; start += 2 * len) {
			int16_t zeta = mlkem__zetas[i--];

			for (unsigned j = start; j < start + len; j++) {
				int16_t t = f->c[j];
				int16_t sum = (int16_t)(t + f->c[j + len]);

				f->c[j] = reduce ? barrett_reduce(sum) : sum;
				f->c[j + len] = fqmul(zeta, (int16_t)(f->c[j + len] - t));
			}
		}
	}
}

void mlkem__ntt(struct mlkem__poly *f)
{
#if MLKEM_HAVE_AVX2
	if (mlkem__have_avx2()) {
		mlkem__ntt_avx2(f);
		return;
	}
#endif
	mlkem__ntt_layers(f, 128, 2);
	mlkem__poly_reduce(f);
}

void mlkem__invntt(struct mlkem__poly *f)
{
#if MLKEM_HAVE_AVX2
	if (mlkem__have_avx2()) {
		mlkem__invntt_avx2(f);
		return;
	}
#endif
	mlkem__invntt_layers(f, 2, 128);
	for (unsigned j = 0; j < MLKEM_N; j++)
		f->c[j] = fqmul(f->c[j], F_INV128_MONT2);
}

void mlkem__inner(struct mlkem__poly *r, const struct mlkem__poly *a, const struct mlkem__poly *b,
                  unsigned k)
{
#if MLKEM_HAVE_AVX2
	if (mlkem__have_avx2()) {
		mlkem__inner_avx2(r, a, b, k);
		return;
	}
#endif
	/* Products are summed in 32 bits and reduced once per coefficient:
	 * inputs are below q in magnitude, so each term is below q^2/2 + q^2/2
	 * and k <= 4 terms stay below the q * 2^15 Montgomery bound. */
	for (unsigned i = 0; i < MLKEM_N / 2; i++) {
		/* gamma_i = zeta^(2 BitRev7(i) + 1) = +-mlkem__zetas[64 + i/2], times R */
		int32_t g = (i & 1) ? -mlkem__zetas[64 + i / 2] : mlkem__zetas[64 + i / 2];
		int32_t c0 = 0, c1 = 0;

		for (unsigned j = 0; j < k; j++) {
			const int16_t *x = &a[j].c[2 * i], *y = &b[j].c[2 * i];

			c0 += (int32_t)x[0] * y[0] + fqmul(x[1], y[1]) * g;
			c1 += (int32_t)x[0] * y[1] + (int32_t)x[1] * y[0];
		}
		r->c[2 * i] = mont_reduce(c0);
		r->c[2 * i + 1] = mont_reduce(c1);
	}
}

void mlkem__poly_add(struct mlkem__poly *r, const struct mlkem__poly *a)
{
	for (unsigned i = 0; i < MLKEM_N; i++)
		r->c[i] = (int16_t)(r->c[i] + a->c[i]);
}

void mlkem__poly_sub(struct mlkem__poly *r, const struct mlkem__poly *a,
                     const struct mlkem__poly *b)
{
	for (unsigned i = 0; i < MLKEM_N; i++)
		r->c[i] = (int16_t)(a->c[i] - b->c[i]);
}

void mlkem__poly_reduce(struct mlkem__poly *r)
{
#if MLKEM_HAVE_AVX2
	if (mlkem__have_avx2()) {
		mlkem__poly_reduce_avx2(r);
		return;
	}
#endif
	for (unsigned i = 0; i < MLKEM_N; i++)
		r->c[i] = barrett_reduce(r->c[i]);
}

void mlkem__poly_tomont(struct mlkem__poly *r)
{
	for (unsigned i = 0; i < MLKEM_N; i++)
		r->c[i] = fqmul(r->c[i], R2_MOD_Q);
}

unsigned mlkem__sample_ntt(struct mlkem__poly *f, unsigned j, const uint8_t *buf, size_t n)
{
	size_t pos = 0;

	/* Rejection sampling on public bytes (rho). Each candidate is written,
	 * and j advances only past accepted ones, so there is no hard-to-predict
	 * branch; while two more fit, no bound check is needed either. */
	for (; pos + 3 <= n && j + 2 <= MLKEM_N; pos += 3) {
		uint16_t d1 = (uint16_t)(buf[pos] | ((buf[pos + 1] & 0x0f) << 8));
		uint16_t d2 = (uint16_t)((buf[pos + 1] >> 4) | (buf[pos + 2] << 4));

		f->c[j] = (int16_t)d1;
		j += d1 < MLKEM_Q;
		f->c[j] = (int16_t)d2;
		j += d2 < MLKEM_Q;
	}
	for (; pos + 3 <= n && j < MLKEM_N; pos += 3) {
		uint16_t d1 = (uint16_t)(buf[pos] | ((buf[pos + 1] & 0x0f) << 8));
		uint16_t d2 = (uint16_t)((buf[pos + 1] >> 4) | (buf[pos + 2] << 4));

		if (d1 < MLKEM_Q)
			f->c[j++] = (int16_t)d1;
		if (d2 < MLKEM_Q && j < MLKEM_N)
			f->c[j++] = (int16_t)d2;
	}
	return j;
}

void mlkem__sample_cbd(struct mlkem__poly *f, const uint8_t *buf, unsigned eta)
{
	/* Sum the bits of each eta-bit half in parallel, then subtract. */
	if (eta == 2) {
		for (unsigned i = 0; i < MLKEM_N / 8; i++) {
			uint32_t t = (uint32_t)buf[4 * i] | (uint32_t)buf[4 * i + 1] << 8 |
			             (uint32_t)buf[4 * i + 2] << 16 |
			             (uint32_t)buf[4 * i + 3] << 24;
			uint32_t s = (t & 0x55555555) + ((t >> 1) & 0x55555555);

			for (unsigned k = 0; k < 8; k++) {
				int16_t x = (int16_t)((s >> (4 * k)) & 3);
				int16_t y = (int16_t)((s >> (4 * k + 2)) & 3);

				f->c[8 * i + k] = (int16_t)(x - y);
			}
		}
		return;
	}
	for (unsigned i = 0; i < MLKEM_N / 4; i++) { /* eta == 3 */
		uint32_t t = (uint32_t)buf[3 * i] | (uint32_t)buf[3 * i + 1] << 8 |
		             (uint32_t)buf[3 * i + 2] << 16;
		uint32_t s = (t & 0x249249) + ((t >> 1) & 0x249249) + ((t >> 2) & 0x249249);

		for (unsigned k = 0; k < 4; k++) {
			int16_t x = (int16_t)((s >> (6 * k)) & 7);
			int16_t y = (int16_t)((s >> (6 * k + 3)) & 7);

			f->c[4 * i + k] = (int16_t)(x - y);
		}
	}
}

/* Compress_d(x) = round(2^d x / q) mod 2^d for x in [0, q), division by
 * multiplication so no variable-time divide is emitted. */
static uint32_t compress(uint16_t x, unsigned d)
{
	uint64_t a = ((uint64_t)x << d) + MLKEM_Q / 2;

	return (uint32_t)((a * DIV_Q_MUL) >> 36) & ((1u << d) - 1);
}

static int16_t decompress(uint32_t y, unsigned d)
{
	return (int16_t)((y * MLKEM_Q + (1u << (d - 1))) >> d);
}

/* ByteEncode_12 of the canonical values: two coefficients in three bytes. */
static void encode12(uint8_t *out, const struct mlkem__poly *f)
{
	for (unsigned i = 0; i < MLKEM_N / 2; i++) {
		uint16_t t0 = to_canonical(barrett_reduce(f->c[2 * i]));
		uint16_t t1 = to_canonical(barrett_reduce(f->c[2 * i + 1]));

		out[3 * i] = (uint8_t)t0;
		out[3 * i + 1] = (uint8_t)((t0 >> 8) | (t1 << 4));
		out[3 * i + 2] = (uint8_t)(t1 >> 4);
	}
}

/* ByteDecode_12 reduced mod q (values < 2^12 < 2q: one masked subtraction). */
static int16_t reduce12(uint16_t y)
{
	int16_t v = (int16_t)(y - MLKEM_Q);

	return (int16_t)(v + ((v >> 15) & MLKEM_Q));
}

static void decode12(struct mlkem__poly *f, const uint8_t *in)
{
	for (unsigned i = 0; i < MLKEM_N / 2; i++) {
		const uint8_t *b = in + 3 * i;

		f->c[2 * i] = reduce12((uint16_t)(b[0] | ((b[1] & 0x0f) << 8)));
		f->c[2 * i + 1] = reduce12((uint16_t)((b[1] >> 4) | (b[2] << 4)));
	}
}

/* g coefficients of d bits at a time into g * d / 8 bytes (g * d <= 64,
 * a multiple of 8); inlined with constants so the loops unroll. */
static inline __attribute__((always_inline)) void pack(uint8_t *out, const struct mlkem__poly *f,
                                                       unsigned d, unsigned g)
{
	for (unsigned i = 0; i < MLKEM_N; i += g) {
		uint64_t acc = 0;

		for (unsigned t = 0; t < g; t++)
			acc |= (uint64_t)compress(to_canonical(barrett_reduce(f->c[i + t])), d)
			       << (d * t);
		for (unsigned b = 0; b < g * d / 8; b++)
			*out++ = (uint8_t)(acc >> (8 * b));
	}
}

static inline __attribute__((always_inline)) void unpack(struct mlkem__poly *f, const uint8_t *in,
                                                         unsigned d, unsigned g)
{
	for (unsigned i = 0; i < MLKEM_N; i += g) {
		uint64_t acc = 0;

		for (unsigned b = 0; b < g * d / 8; b++)
			acc |= (uint64_t)*in++ << (8 * b);
		for (unsigned t = 0; t < g; t++)
			f->c[i + t] = decompress((uint32_t)(acc >> (d * t)) & ((1u << d) - 1), d);
	}
}

void mlkem__poly_encode(uint8_t *out, const struct mlkem__poly *f, unsigned d)
{
	uint32_t acc = 0;
	unsigned bits = 0;

	switch (d) {
	case 1: pack(out, f, 1, 8); return;
	case 4: pack(out, f, 4, 8); return;
	case 5: pack(out, f, 5, 8); return;
	case 10: pack(out, f, 10, 4); return;
	case 12: encode12(out, f); return;
	default: break;
	}
	for (unsigned i = 0; i < MLKEM_N; i++) { /* d = 11 */
		uint16_t x = to_canonical(barrett_reduce(f->c[i]));

		acc |= compress(x, d) << bits;
		for (bits += d; bits >= 8; bits -= 8) {
			*out++ = (uint8_t)acc;
			acc >>= 8;
		}
	}
}

void mlkem__poly_decode(struct mlkem__poly *f, const uint8_t *in, unsigned d)
{
	uint32_t acc = 0, mask = (1u << d) - 1;
	unsigned bits = 0;

	switch (d) {
	case 1: unpack(f, in, 1, 8); return;
	case 4: unpack(f, in, 4, 8); return;
	case 5: unpack(f, in, 5, 8); return;
	case 10: unpack(f, in, 10, 4); return;
	case 12: decode12(f, in); return;
	default: break;
	}
	for (unsigned i = 0; i < MLKEM_N; i++) { /* d = 11 */
		for (; bits < d; bits += 8)
			acc |= (uint32_t)*in++ << bits;
		uint32_t y = acc & mask;

		acc >>= d;
		bits -= d;
		f->c[i] = decompress(y, d);
	}
}

int mlkem__poly_check12(const uint8_t *in)
{
	for (unsigned i = 0; i < MLKEM_N / 2; i++) {
		const uint8_t *b = in + 3 * i;

		if ((b[0] | (b[1] & 0x0f) << 8) >= MLKEM_Q || (b[1] >> 4 | b[2] << 4) >= MLKEM_Q)
			return 0;
	}
	return 1;
}
