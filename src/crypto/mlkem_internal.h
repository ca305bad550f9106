/* SPDX-License-Identifier: Apache-2.0 */
/* ML-KEM internals shared by mlkem.c (K-PKE and the KEM), mlkem_poly.c
 * (arithmetic in Z_q[X]/(X^256+1), NTT, sampling, encodings) and
 * mlkem_hash.c (the FIPS 203 section 4.1 functions over OpenSSL's SHA3). */
#ifndef ENARX_CRYPTO_MLKEM_INTERNAL_H
#define ENARX_CRYPTO_MLKEM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/ct.h"

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

/* SampleNTT (algorithm 7) from 'n' bytes of SHAKE128(rho || j || i); returns
 * the number of coefficients written (256 when the bytes were enough). */
unsigned mlkem__sample_ntt(struct mlkem__poly *f, const uint8_t *buf, size_t n);
/* SamplePolyCBD_eta (algorithm 8) from 64*eta bytes. */
void mlkem__sample_cbd(struct mlkem__poly *f, const uint8_t *buf, unsigned eta);

/* ByteEncode_d of Compress_d (d < 12) or of the canonical value (d = 12). */
void mlkem__poly_encode(uint8_t *out, const struct mlkem__poly *f, unsigned d);
/* Decompress_d of ByteDecode_d (d < 12), or ByteDecode_12 reduced mod q. */
void mlkem__poly_decode(struct mlkem__poly *f, const uint8_t *in, unsigned d);
/* 1 if every 12-bit value in the 384-byte in is below q (public data). */
int mlkem__poly_check12(const uint8_t *in);

/* --- mlkem_hash.c -------------------------------------------------- */

/* H = SHA3-256, G = SHA3-512, J = SHAKE256(.., 32), PRF_eta = SHAKE256(s||b),
 * XOF = SHAKE128. Each takes up to two input pieces. Return 0 or a negative
 * ENARX_E_* code. */
int mlkem__h(const uint8_t *a, size_t alen, uint8_t out[32]);
int mlkem__g(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[64]);
int mlkem__j(const uint8_t z[32], const uint8_t *c, size_t clen, uint8_t out[32]);
int mlkem__prf(const uint8_t s[32], uint8_t b, uint8_t *out, size_t outlen);
int mlkem__xof(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen);

#endif
