/* SPDX-License-Identifier: Apache-2.0 */
/* Keccak for ML-KEM (FIPS 202): the permutation, a sponge for SHA3-256/512
 * and SHAKE128/256 that squeezes any number of times, and a 4-way form that
 * runs four independent states at once, as AVX2 vectors when the CPU has
 * AVX2 (checked at run time) and one after the other otherwise. Our own
 * rather than OpenSSL 3.0's EVP digests because a TLS handshake makes about
 * forty short hashes, where EVP's per-call context, fetch and locking cost
 * as much as the permutation, and EVP cannot squeeze four streams at once.
 * unit-crypto-mlkem checks it against OpenSSL's SHA3 and SHAKE. */
#include <pthread.h>
#include <string.h>

#include "crypto/mlkem_internal.h"

static const uint64_t keccak_rc[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808AULL, 0x8000000080008000ULL,
    0x000000000000808BULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008AULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000AULL,
    0x000000008000808BULL, 0x800000000000008BULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800AULL, 0x800000008000000AULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* n = 0 gives x | x = x */
#define KF_ROL(x, n) (((x) << ((n)&63)) | ((x) >> ((64 - (n)) & 63)))

#define KF_NAME keccakf
#define KF_ROUND keccakf_round
#define KF_LANE uint64_t
#define KF_ATTR
#include "crypto/keccak_f.h"
#undef KF_NAME
#undef KF_ROUND
#undef KF_LANE
#undef KF_ATTR

#if MLKEM_HAVE_AVX2
/* The scalar permutation again with BMI1/BMI2 (andn, rorx): fewer moves. */
#define KF_NAME keccakf_bmi2
#define KF_ROUND keccakf_bmi2_round
#define KF_LANE uint64_t
#define KF_ATTR __attribute__((target("bmi,bmi2")))
#include "crypto/keccak_f.h"
#undef KF_NAME
#undef KF_ROUND
#undef KF_LANE
#undef KF_ATTR

typedef uint64_t v4u64 __attribute__((vector_size(32), may_alias));
#define KF_NAME keccakf_x4_avx2
#define KF_ROUND keccakf_x4_avx2_round
#define KF_LANE v4u64
#define KF_ATTR __attribute__((target("avx2")))
#include "crypto/keccak_f.h"
#undef KF_NAME
#undef KF_ROUND
#undef KF_LANE
#undef KF_ATTR
#endif

static void permute(uint64_t s[25]);

void mlkem__keccakf(uint64_t s[25])
{
	permute(s);
}

/* Lanes are little-endian (FIPS 202 section B.1). */
static uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static void store64(uint8_t *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(p, &v, 8);
}

void mlkem__keccak_init(struct mlkem__keccak *k, unsigned rate)
{
	memset(k->s, 0, sizeof(k->s));
	k->pos = 0;
	k->rate = rate;
}

static void xor_byte(uint64_t *s, unsigned pos, uint8_t b)
{
	s[pos / 8] ^= (uint64_t)b << (8 * (pos % 8));
}

void mlkem__keccak_absorb(struct mlkem__keccak *k, const uint8_t *in, size_t n)
{
	while (n > 0) {
		if (k->pos % 8 == 0 && n >= 8) {
			k->s[k->pos / 8] ^= load64(in);
			k->pos += 8;
			in += 8;
			n -= 8;
		} else {
			xor_byte(k->s, k->pos++, *in++);
			n--;
		}
		if (k->pos == k->rate) {
			permute(k->s);
			k->pos = 0;
		}
	}
}

void mlkem__keccak_finalize(struct mlkem__keccak *k, uint8_t pad)
{
	xor_byte(k->s, k->pos, pad);
	xor_byte(k->s, k->rate - 1, 0x80);
	k->pos = k->rate; /* the next squeeze permutes first */
}

void mlkem__keccak_squeeze(struct mlkem__keccak *k, uint8_t *out, size_t n)
{
	while (n > 0) {
		if (k->pos == k->rate) {
			permute(k->s);
			k->pos = 0;
		}
		if (k->pos % 8 == 0 && n >= 8 && k->pos + 8 <= k->rate) {
			store64(out, k->s[k->pos / 8]);
			k->pos += 8;
			out += 8;
			n -= 8;
			continue;
		}
		*out++ = (uint8_t)(k->s[k->pos / 8] >> (8 * (k->pos % 8)));
		k->pos++;
		n--;
	}
}

/* --- four states at once --------------------------------------------- */

/* What the CPU has, checked once; tests may force the portable paths. */
static int cpu_avx2, cpu_bmi2, forced_portable;
static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;

static void cpu_check(void)
{
#if MLKEM_HAVE_AVX2
	__builtin_cpu_init();
	cpu_bmi2 = __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
	cpu_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
#endif
}

int mlkem__have_avx2(void)
{
	pthread_once(&cpu_once, cpu_check);
	return cpu_avx2 && !forced_portable;
}

void mlkem__force_portable(int portable)
{
	forced_portable = portable;
}

/* The scalar permutation, with BMI1/BMI2 where the CPU has them (and the
 * portable paths are not forced). */
static void permute(uint64_t s[25])
{
#if MLKEM_HAVE_AVX2
	pthread_once(&cpu_once, cpu_check);
	if (cpu_bmi2 && !forced_portable) {
		keccakf_bmi2(s);
		return;
	}
#endif
	keccakf(s);
}

static void permute_x4(struct mlkem__keccak_x4 *k)
{
#if MLKEM_HAVE_AVX2
	if (mlkem__have_avx2()) {
		keccakf_x4_avx2((v4u64 *)k->s);
		return;
	}
#endif
	for (unsigned l = 0; l < k->lanes; l++) { /* unused lanes cost nothing here */
		uint64_t s[25];

		for (int i = 0; i < 25; i++)
			s[i] = k->s[i][l];
		permute(s);
		for (int i = 0; i < 25; i++)
			k->s[i][l] = s[i];
	}
}

void mlkem__keccak_x4_init(struct mlkem__keccak_x4 *k, unsigned rate, const uint8_t *const in[4],
                           size_t len, uint8_t pad)
{
	memset(k->s, 0, sizeof(k->s));
	k->rate = rate;
	k->lanes = 4;
	for (int l = 0; l < 4; l++) {
		size_t i = 0;

		for (; i + 8 <= len; i += 8)
			k->s[i / 8][l] = load64(in[l] + i);
		for (; i < len; i++)
			k->s[i / 8][l] ^= (uint64_t)in[l][i] << (8 * (i % 8));
		k->s[len / 8][l] ^= (uint64_t)pad << (8 * (len % 8));
		k->s[(rate - 1) / 8][l] ^= 0x80ULL << (8 * ((rate - 1) % 8));
	}
}

void mlkem__keccak_x4_squeeze_block(struct mlkem__keccak_x4 *k, uint8_t *const out[4])
{
	permute_x4(k);
	for (unsigned l = 0; l < k->lanes; l++)
		for (unsigned i = 0; i < k->rate / 8; i++)
			store64(out[l] + 8 * i, k->s[i][l]);
}
