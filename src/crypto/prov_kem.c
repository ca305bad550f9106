/* SPDX-License-Identifier: Apache-2.0 */
/* enarx_pq KEM operations: encapsulate to a key's public share, decapsulate
 * with its private part (pqgroup.c does the work). A size query (NULL
 * output) returns the ciphertext and secret lengths, as libssl expects.
 * "ikme" (32 bytes, the ML-KEM m) makes encapsulation deterministic for
 * tests, as in OpenSSL 3.5. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include "crypto/prov_internal.h"

struct pqprov_kem {
	struct pqprov_key *key; /* borrowed from the EVP_PKEY */
	int has_ikme;
	uint8_t ikme[32];
};

static void *kem_newctx(void *provctx)
{
	return OPENSSL_zalloc(sizeof(struct pqprov_kem));
}

static void kem_freectx(void *vc)
{
	OPENSSL_clear_free(vc, sizeof(struct pqprov_kem));
}

static void *kem_dupctx(void *vc)
{
	return OPENSSL_memdup(vc, sizeof(struct pqprov_kem));
}

static int kem_set_ctx_params(void *vc, const OSSL_PARAM params[])
{
	struct pqprov_kem *c = vc;
	const OSSL_PARAM *p = OSSL_PARAM_locate_const(params, "ikme");
	const void *v = NULL;
	size_t n = 0;

	if (!p)
		return 1;
	if (!OSSL_PARAM_get_octet_string_ptr(p, &v, &n) || n != sizeof(c->ikme))
		return 0;
	memcpy(c->ikme, v, n);
	c->has_ikme = 1;
	return 1;
}

static const OSSL_PARAM *kem_settable_ctx_params(void *vc, void *provctx)
{
	static const OSSL_PARAM list[] = {
	    OSSL_PARAM_octet_string("ikme", NULL, 0),
	    OSSL_PARAM_END,
	};

	return list;
}

static int kem_init(void *vc, void *vk, const OSSL_PARAM params[], int need_priv)
{
	struct pqprov_kem *c = vc;
	struct pqprov_key *k = vk;

	if (!c || !k || !(need_priv ? k->has_priv : k->has_pub))
		return 0;
	c->key = k;
	c->has_ikme = 0;
	return kem_set_ctx_params(c, params);
}

static int kem_encaps_init(void *vc, void *vk, const OSSL_PARAM params[])
{
	return kem_init(vc, vk, params, 0);
}

static int kem_decaps_init(void *vc, void *vk, const OSSL_PARAM params[])
{
	return kem_init(vc, vk, params, 1);
}

static int kem_encapsulate(void *vc, unsigned char *out, size_t *outlen, unsigned char *secret,
                           size_t *secretlen)
{
	struct pqprov_kem *c = vc;
	const struct pqgroup *g = c->key->g;

	if (!out) {
		*outlen = g->server_share;
		if (secretlen)
			*secretlen = g->secret;
		return 1;
	}
	if (!secret || *outlen < g->server_share || (secretlen && *secretlen < g->secret))
		return 0;
	if (pqgroup_encaps(c->key->libctx, g, c->key->pub, g->client_share,
	                   c->has_ikme ? c->ikme : NULL, NULL, out, secret) < 0)
		return 0;
	*outlen = g->server_share;
	if (secretlen)
		*secretlen = g->secret;
	return 1;
}

static int kem_decapsulate(void *vc, unsigned char *out, size_t *outlen, const unsigned char *in,
                           size_t inlen)
{
	struct pqprov_kem *c = vc;
	const struct pqgroup *g = c->key->g;

	if (!out) {
		*outlen = g->secret;
		return 1;
	}
	if (*outlen < g->secret ||
	    pqgroup_decaps(c->key->libctx, g, &c->key->priv, in, inlen, out) < 0)
		return 0;
	*outlen = g->secret;
	return 1;
}

const OSSL_DISPATCH pqprov__kem[] = {
    {OSSL_FUNC_KEM_NEWCTX, (void (*)(void))kem_newctx},
    {OSSL_FUNC_KEM_FREECTX, (void (*)(void))kem_freectx},
    {OSSL_FUNC_KEM_DUPCTX, (void (*)(void))kem_dupctx},
    {OSSL_FUNC_KEM_ENCAPSULATE_INIT, (void (*)(void))kem_encaps_init},
    {OSSL_FUNC_KEM_ENCAPSULATE, (void (*)(void))kem_encapsulate},
    {OSSL_FUNC_KEM_DECAPSULATE_INIT, (void (*)(void))kem_decaps_init},
    {OSSL_FUNC_KEM_DECAPSULATE, (void (*)(void))kem_decapsulate},
    {OSSL_FUNC_KEM_SET_CTX_PARAMS, (void (*)(void))kem_set_ctx_params},
    {OSSL_FUNC_KEM_SETTABLE_CTX_PARAMS, (void (*)(void))kem_settable_ctx_params},
    {0, NULL},
};
