/* SPDX-License-Identifier: Apache-2.0 */
/* Post-quantum TLS groups as KEMs (see pqgroup.h): ML-KEM from mlkem.c,
 * ECDH from OpenSSL's EVP, combined by concatenation in the order the group
 * defines (../shared/testdata/crypto/SOURCES.md section 3.2). */
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto/pqgroup.h"
#include "lib/err.h"

#define X(NAME, ALG, ID, BITS, KEM, EC, ECPUB, ECFIRST) \
	{.name = #NAME,                                 \
	 .alg = ALG,                                    \
	 .id = ID,                                      \
	 .secbits = BITS,                               \
	 .kem = &KEM,                                   \
	 .ec = EC,                                      \
	 .ec_pub = ECPUB,                               \
	 .ec_first = ECFIRST,                           \
	 .secret = (EC) ? 64 : 32},
static struct pqgroup groups[] = {
#include "crypto/pq_groups.def"
};
#undef X

#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

/* Sizes that depend on the ML-KEM set are filled in once (the parameter
 * structs are not constant expressions). */
static pthread_once_t groups_once = PTHREAD_ONCE_INIT;

static void groups_fill(void)
{
	for (size_t i = 0; i < NGROUPS; i++) {
		struct pqgroup *g = &groups[i];

		g->client_share = g->kem->ek_bytes + g->ec_pub;
		g->server_share = g->kem->ct_bytes + g->ec_pub;
	}
}

static void groups_init(void)
{
	pthread_once(&groups_once, groups_fill);
}

const struct pqgroup *pqgroup_all(size_t *n)
{
	groups_init();
	*n = NGROUPS;
	return groups;
}

const struct pqgroup *pqgroup_by_name(const char *name)
{
	groups_init();
	for (size_t i = 0; name && i < NGROUPS; i++)
		if (strcasecmp(name, groups[i].name) == 0 || strcasecmp(name, groups[i].alg) == 0)
			return &groups[i];
	return NULL;
}

void pqgroup_key_clear(struct pqgroup_key *k)
{
	if (!k)
		return;
	mlkem_key_free(k->kem);
	EVP_PKEY_free(k->ec);
	k->kem = NULL;
	k->ec = NULL;
}

/* --- ECDH over EVP ---------------------------------------------------- */

static EVP_PKEY *ec_new(OSSL_LIB_CTX *libctx, const struct pqgroup *g, const uint8_t *priv)
{
	if (priv) /* deterministic tests: X25519 only */
		return strcmp(g->ec, "X25519") == 0
		           ? EVP_PKEY_new_raw_private_key_ex(libctx, "X25519", NULL, priv, 32)
		           : NULL;
	if (strcmp(g->ec, "X25519") == 0)
		return EVP_PKEY_Q_keygen(libctx, NULL, "X25519");
	return EVP_PKEY_Q_keygen(libctx, NULL, "EC", g->ec);
}

int pqgroup_ec_public(const struct pqgroup *g, EVP_PKEY *k, uint8_t *out)
{
	size_t got = 0;

	if (!EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out, g->ec_pub,
	                                     &got) ||
	    got != g->ec_pub)
		return ENARX_E_INTERNAL;
	return 0;
}

/* The peer's public key from its share bytes; NULL if malformed. */
static EVP_PKEY *ec_peer(OSSL_LIB_CTX *libctx, const struct pqgroup *g, const uint8_t *pub)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *k = NULL;

	if (strcmp(g->ec, "X25519") == 0)
		return EVP_PKEY_new_raw_public_key_ex(libctx, "X25519", NULL, pub, g->ec_pub);
	if (pub[0] != 0x04) /* TLS 1.3 allows only uncompressed points */
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->ec, 0);
	params[1] =
	    OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub, g->ec_pub);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(libctx, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		k = NULL;
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* out (32 bytes) = ECDH(priv, peer bytes). ENARX_E_INVAL for a bad point or
 * an all-zero secret (RFC 8446 7.4.2; OpenSSL's X25519 refuses it too). */
static int ecdh(OSSL_LIB_CTX *libctx, const struct pqgroup *g, EVP_PKEY *priv, const uint8_t *pub,
                uint8_t *out)
{
	EVP_PKEY *peer = ec_peer(libctx, g, pub);
	EVP_PKEY_CTX *ctx = peer ? EVP_PKEY_CTX_new_from_pkey(libctx, priv, NULL) : NULL;
	size_t len = 32;
	int rc = ENARX_E_INVAL;

	if (ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer_ex(ctx, peer, 1) > 0 &&
	    EVP_PKEY_derive(ctx, out, &len) > 0 && len == 32) {
		uint8_t zero[32] = {0};

		rc = CRYPTO_memcmp(out, zero, 32) == 0 ? ENARX_E_INVAL : 0;
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return rc;
}

/* --- the group KEM ---------------------------------------------------- */

/* Where the ML-KEM and ECDH parts sit in a buffer of total length len. */
static size_t kem_off(const struct pqgroup *g)
{
	return g->ec_first ? g->ec_pub : 0;
}

static size_t ec_off(const struct pqgroup *g, size_t len)
{
	return g->ec_first ? 0 : len - g->ec_pub;
}

int pqgroup_keygen(OSSL_LIB_CTX *libctx, const struct pqgroup *g, const uint8_t *seed,
                   const uint8_t *ec_priv, struct pqgroup_key *k, uint8_t *share)
{
	uint8_t fresh[64];
	int rc;

	k->ec = NULL;
	k->kem = mlkem_key_new(g->kem);
	if (!k->kem)
		return ENARX_E_NOMEM;
	if (!seed && RAND_priv_bytes_ex(libctx, fresh, sizeof(fresh), 0) != 1)
		return ENARX_E_INTERNAL;
	rc = mlkem_key_generate(k->kem, seed ? seed : fresh, seed ? seed + 32 : fresh + 32);
	OPENSSL_cleanse(fresh, sizeof(fresh));
	if (rc < 0)
		return rc;
	memcpy(share + kem_off(g), mlkem_key_ek(k->kem), g->kem->ek_bytes);
	if (!g->ec)
		return 0;
	k->ec = ec_new(libctx, g, ec_priv);
	if (!k->ec)
		return ENARX_E_INTERNAL;
	return pqgroup_ec_public(g, k->ec, share + ec_off(g, g->client_share));
}

int pqgroup_check_client_share(const struct pqgroup *g, const uint8_t *share, size_t len)
{
	if (!share || len != g->client_share)
		return ENARX_E_INVAL;
	return mlkem_check_ek(g->kem, share + kem_off(g), g->kem->ek_bytes);
}

int pqgroup_encaps(OSSL_LIB_CTX *libctx, const struct pqgroup *g, const uint8_t *client_share,
                   size_t len, const uint8_t *m, const uint8_t *ec_priv, uint8_t *server_share,
                   uint8_t *secret)
{
	uint8_t *ct = server_share + kem_off(g), *k = secret + (g->ec_first ? 32 : 0), fresh[32];
	struct mlkem_key *kem = NULL;
	EVP_PKEY *eph = NULL;
	int rc = pqgroup_check_client_share(g, client_share, len);

	if (rc == 0)
		rc = (kem = mlkem_key_new(g->kem)) ? 0 : ENARX_E_NOMEM;
	if (rc == 0)
		rc = mlkem_key_set_ek(kem, client_share + kem_off(g), g->kem->ek_bytes);
	if (rc == 0 && !m)
		rc =
		    RAND_priv_bytes_ex(libctx, fresh, sizeof(fresh), 0) == 1 ? 0 : ENARX_E_INTERNAL;
	if (rc == 0)
		rc = mlkem_key_encaps(kem, m ? m : fresh, ct, k);
	OPENSSL_cleanse(fresh, sizeof(fresh));
	if (rc < 0 || !g->ec)
		goto out;
	eph = ec_new(libctx, g, ec_priv);
	rc = eph ? pqgroup_ec_public(g, eph, server_share + ec_off(g, g->server_share))
	         : ENARX_E_INTERNAL;
	if (rc == 0)
		rc = ecdh(libctx, g, eph, client_share + ec_off(g, len),
		          secret + (g->ec_first ? 0 : 32));
out:
	mlkem_key_free(kem);
	EVP_PKEY_free(eph);
	if (rc < 0)
		OPENSSL_cleanse(secret, g->secret);
	return rc;
}

int pqgroup_decaps(OSSL_LIB_CTX *libctx, const struct pqgroup *g, const struct pqgroup_key *k,
                   const uint8_t *share, size_t len, uint8_t *secret)
{
	int rc;

	if (!share || len != g->server_share || !k->kem)
		return ENARX_E_INVAL;
	rc = mlkem_key_decaps(k->kem, share + kem_off(g), g->kem->ct_bytes,
	                      secret + (g->ec_first ? 32 : 0));
	if (rc == 0 && g->ec)
		rc = k->ec ? ecdh(libctx, g, k->ec, share + ec_off(g, len),
		                  secret + (g->ec_first ? 0 : 32))
		           : ENARX_E_INVAL;
	if (rc < 0)
		OPENSSL_cleanse(secret, g->secret);
	return rc;
}
