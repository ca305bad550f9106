/* SPDX-License-Identifier: Apache-2.0 */
/* ML-KEM internals shared by mlkem.c (K-PKE and the KEM), mlkem_poly.c
 * (arithmetic in Z_q[X]/(X^256+1), NTT, sampling, encodings), keccak.c
 * (SHA3/SHAKE, four at once with AVX2) and mlkem_hash.c (the FIPS 203
 * section 4.1 functions). */
#ifndef ENARX_CRYPTO_MLKEM_INTERNAL_H
#define ENARX_CRYPTO_MLKEM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/crypto.h>

#include "crypto/ct.h"

#define mlkem__wipe OPENSSL_cleanse

#define MLKEM_N 256
#define MLKEM_Q 3329
#define MLKEM_MAX_K 4

/* Coefficients are kept as int16 in (-q, q) or, where said, in [0, q). */
struct mlkem__poly {
	int16_t c[MLKEM_N];
};

/* --- mlkem_poly.c -------------------------------------------------- */

/* NTT (algorithm 9) and inverse (algorithm 10). ntt takes |c| < q and gives
 * |c| < q; invntt multiplies by the Montgomery factor R as well, so that
 * invntt(basemul(a, b)) is the plain product. */
void mlkem__ntt(struct mlkem__poly *f);
void mlkem__invntt(struct mlkem__poly *f);
/* r = sum over j < k of a[j] * b[j] in the NTT domain (algorithms 11-12),
 * times R^-1; inputs below q in magnitude. */
void mlkem__inner(struct mlkem__poly *r, const struct mlkem__poly *a, const struct mlkem__poly *b,
                  unsigned k);
/* r = a + b; r = a - b; every coefficient to (-q, q); times R (Montgomery). */
void mlkem__poly_add(struct mlkem__poly *r, const struct mlkem__poly *a);
void mlkem__poly_sub(struct mlkem__poly *r, const struct mlkem__poly *a,
                     const struct mlkem__poly *b);
void mlkem__poly_reduce(struct mlkem__poly *r);
void mlkem__poly_tomont(struct mlkem__poly *r);

/* SampleNTT (algorithm 7): continues f from coefficient j with the next n
 * bytes (a multiple of 3) of SHAKE128(rho || j || i); returns the number of
 * coefficients now in f (256 when complete). */
unsigned mlkem__sample_ntt(struct mlkem__poly *f, unsigned j, const uint8_t *buf, size_t n);
/* SamplePolyCBD_eta (algorithm 8) from 64*eta bytes. */
void mlkem__sample_cbd(struct mlkem__poly *f, const uint8_t *buf, unsigned eta);

/* ByteEncode_d of Compress_d (d < 12) or of the canonical value (d = 12). */
void mlkem__poly_encode(uint8_t *out, const struct mlkem__poly *f, unsigned d);
/* Decompress_d of ByteDecode_d (d < 12), or ByteDecode_12 reduced mod q. */
void mlkem__poly_decode(struct mlkem__poly *f, const uint8_t *in, unsigned d);
/* 1 if every 12-bit value in the 384-byte in is below q (public data). */
int mlkem__poly_check12(const uint8_t *in);

/* --- keccak.c ------------------------------------------------------- */

/* The AVX2 paths (4-way Keccak) exist on x86-64 with GCC or clang; whether
 * they run is decided at run time by the CPU. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MLKEM_HAVE_AVX2 1
#else
#define MLKEM_HAVE_AVX2 0
#endif

/* 1 when the AVX2 paths run on this CPU. */
int mlkem__have_avx2(void);
/* Tests: 1 forces the portable paths, 0 goes back to the CPU check. */
void mlkem__force_portable(int portable);

void mlkem__keccakf(uint64_t s[25]);

/* A sponge of rate `rate` bytes (168 SHAKE128, 136 SHAKE256 and SHA3-256,
 * 72 SHA3-512): absorb, finalize with the domain byte (0x06 SHA3, 0x1F
 * SHAKE), then squeeze as often as wanted. */
struct mlkem__keccak {
	uint64_t s[25];
	unsigned pos, rate;
};
void mlkem__keccak_init(struct mlkem__keccak *k, unsigned rate);
void mlkem__keccak_absorb(struct mlkem__keccak *k, const uint8_t *in, size_t n);
void mlkem__keccak_finalize(struct mlkem__keccak *k, uint8_t pad);
void mlkem__keccak_squeeze(struct mlkem__keccak *k, uint8_t *out, size_t n);

/* Four sponges of one rate, lane-interleaved (s[i][l] is lane i of state
 * l). init absorbs and pads one short input each (len < rate) and sets
 * lanes to 4; a caller using fewer streams may lower lanes (1..4) so the
 * portable path permutes only those. Each squeeze_block gives the next
 * `rate` bytes of the first `lanes` streams. */
struct mlkem__keccak_x4 {
	uint64_t s[25][4] __attribute__((aligned(32)));
	unsigned rate, lanes;
};
void mlkem__keccak_x4_init(struct mlkem__keccak_x4 *k, unsigned rate, const uint8_t *const in[4],
                           size_t len, uint8_t pad);
void mlkem__keccak_x4_squeeze_block(struct mlkem__keccak_x4 *k, uint8_t *const out[4]);

/* --- mlkem_avx2.c and the portable parts it uses ------------------- */

/* zeta^BitRev7(i) * R mod q, centred. */
extern const int16_t mlkem__zetas[128];
/* NTT layers len = hi down to lo; inverse NTT layers len = lo up to hi
 * (with its Barrett reductions after len 8 and 64, no final scaling). */
void mlkem__ntt_layers(struct mlkem__poly *f, unsigned hi, unsigned lo);
void mlkem__invntt_layers(struct mlkem__poly *f, unsigned lo, unsigned hi);
#if MLKEM_HAVE_AVX2
/* The same functions with AVX2, giving the same results bit for bit; called
 * by the portable ones when mlkem__have_avx2(). */
void mlkem__ntt_avx2(struct mlkem__poly *f);
void mlkem__invntt_avx2(struct mlkem__poly *f);
void mlkem__inner_avx2(struct mlkem__poly *r, const struct mlkem__poly *a,
                       const struct mlkem__poly *b, unsigned k);
void mlkem__poly_reduce_avx2(struct mlkem__poly *r);
#endif

/* --- mlkem_hash.c -------------------------------------------------- */

/* H = SHA3-256, G = SHA3-512, J = SHAKE256(.., 32), PRF_eta = SHAKE256(s||b),
 * XOF = SHAKE128. Each takes up to two input pieces. Return 0 or a negative
 * ENARX_E_* code. */
int mlkem__h(const uint8_t *a, size_t alen, uint8_t out[32]);
int mlkem__g(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[64]);
int mlkem__j(const uint8_t z[32], const uint8_t *c, size_t clen, uint8_t out[32]);
int mlkem__prf(const uint8_t s[32], uint8_t b, uint8_t *out, size_t outlen);
/* PRF_eta for up to four nonces at once: out[i] = SHAKE256(s || nonce[i],
 * outlen) for i < lanes (1..4). */
void mlkem__prf_x4(const uint8_t s[32], const uint8_t nonce[4], uint8_t *const out[4],
                   size_t outlen, unsigned lanes);

#endif
