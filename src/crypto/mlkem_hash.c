/* SPDX-License-Identifier: Apache-2.0 */
/* The FIPS 203 section 4.1 functions H, G, J, PRF and XOF over OpenSSL 3.0's
 * SHA3-256, SHA3-512, SHAKE128 and SHAKE256. The EVP_MD objects are fetched
 * once from the default library context and kept for the process. */
#include <pthread.h>

#include <openssl/evp.h>

#include "crypto/mlkem_internal.h"
#include "lib/err.h"

enum { MD_SHA3_256, MD_SHA3_512, MD_SHAKE128, MD_SHAKE256, MD_COUNT };

static const char *const md_names[MD_COUNT] = {"SHA3-256", "SHA3-512", "SHAKE128", "SHAKE256"};
static EVP_MD *mds[MD_COUNT];
static pthread_once_t mds_once = PTHREAD_ONCE_INIT;

static void mds_fetch(void)
{
	for (int i = 0; i < MD_COUNT; i++)
		mds[i] = EVP_MD_fetch(NULL, md_names[i], NULL);
}

/* One hash of (a || b); outlen != 0 squeezes an XOF, else a fixed digest. */
static int digest2(int which, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                   uint8_t *out, size_t outlen)
{
	EVP_MD_CTX *ctx;
	int ok;

	pthread_once(&mds_once, mds_fetch);
	if (!mds[which])
		return ENARX_E_NOTSUP;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return ENARX_E_NOMEM;
	ok = EVP_DigestInit_ex2(ctx, mds[which], NULL) && EVP_DigestUpdate(ctx, a, alen) &&
	     (blen == 0 || EVP_DigestUpdate(ctx, b, blen)) &&
	     (outlen ? EVP_DigestFinalXOF(ctx, out, outlen) : EVP_DigestFinal_ex(ctx, out, NULL));
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : ENARX_E_INTERNAL;
}

int mlkem__h(const uint8_t *a, size_t alen, uint8_t out[32])
{
	return digest2(MD_SHA3_256, a, alen, NULL, 0, out, 0);
}

int mlkem__g(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[64])
{
	return digest2(MD_SHA3_512, a, alen, b, blen, out, 0);
}

int mlkem__j(const uint8_t z[32], const uint8_t *c, size_t clen, uint8_t out[32])
{
	return digest2(MD_SHAKE256, z, 32, c, clen, out, 32);
}

int mlkem__prf(const uint8_t s[32], uint8_t b, uint8_t *out, size_t outlen)
{
	return digest2(MD_SHAKE256, s, 32, &b, 1, out, outlen);
}

int mlkem__xof(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen)
{
	return digest2(MD_SHAKE128, in, inlen, NULL, 0, out, outlen);
}
