/* SPDX-License-Identifier: Apache-2.0 */
/* The FIPS 203 section 4.1 functions H, G, J and PRF over the Keccak sponge
 * of keccak.c (SHA3-256, SHA3-512, SHAKE256); XOF (SHAKE128) is used by
 * mlkem.c directly, four streams at once. */
#include <string.h>

#include "crypto/mlkem_internal.h"

#define RATE_256 136 /* SHA3-256 and SHAKE256 */
#define RATE_512 72  /* SHA3-512 */
#define PAD_SHA3 0x06
#define PAD_SHAKE 0x1f

/* One hash of (a || b) squeezed to outlen bytes; the state is wiped. */
static void hash2(unsigned rate, uint8_t pad, const uint8_t *a, size_t alen, const uint8_t *b,
                  size_t blen, uint8_t *out, size_t outlen)
{
	struct mlkem__keccak k;

	mlkem__keccak_init(&k, rate);
	mlkem__keccak_absorb(&k, a, alen);
	if (blen > 0)
		mlkem__keccak_absorb(&k, b, blen);
	mlkem__keccak_finalize(&k, pad);
	mlkem__keccak_squeeze(&k, out, outlen);
	mlkem__wipe(&k, sizeof(k));
}

int mlkem__h(const uint8_t *a, size_t alen, uint8_t out[32])
{
	hash2(RATE_256, PAD_SHA3, a, alen, NULL, 0, out, 32);
	return 0;
}

int mlkem__g(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[64])
{
	hash2(RATE_512, PAD_SHA3, a, alen, b, blen, out, 64);
	return 0;
}

int mlkem__j(const uint8_t z[32], const uint8_t *c, size_t clen, uint8_t out[32])
{
	hash2(RATE_256, PAD_SHAKE, z, 32, c, clen, out, 32);
	return 0;
}

int mlkem__prf(const uint8_t s[32], uint8_t b, uint8_t *out, size_t outlen)
{
	hash2(RATE_256, PAD_SHAKE, s, 32, &b, 1, out, outlen);
	return 0;
}

void mlkem__prf_x4(const uint8_t s[32], const uint8_t nonce[4], uint8_t *const out[4],
                   size_t outlen, unsigned lanes)
{
	struct mlkem__keccak_x4 k;
	uint8_t in[4][33], blk[4][RATE_256];
	const uint8_t *const ins[4] = {in[0], in[1], in[2], in[3]};
	uint8_t *const blks[4] = {blk[0], blk[1], blk[2], blk[3]};

	for (int l = 0; l < 4; l++) {
		memcpy(in[l], s, 32);
		in[l][32] = nonce[l];
	}
	mlkem__keccak_x4_init(&k, RATE_256, ins, 33, PAD_SHAKE);
	k.lanes = lanes;
	for (size_t done = 0; done < outlen; done += RATE_256) {
		size_t n = outlen - done < RATE_256 ? outlen - done : RATE_256;

		mlkem__keccak_x4_squeeze_block(&k, blks);
		for (unsigned l = 0; l < lanes; l++)
			memcpy(out[l] + done, blk[l], n);
	}
	mlkem__wipe(&k, sizeof(k));
	mlkem__wipe(in, sizeof(in));
	mlkem__wipe(blk, sizeof(blk));
}
