/* SPDX-License-Identifier: Apache-2.0 */
/* HPKE KEM keys (RFC 9180 section 4.1 and 7.1): generation, DeriveKeyPair,
 * (de)serialisation with validation, and the DH that refuses an all-zero
 * result. EC keys go through OSSL_PARAM import so OpenSSL checks the point. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "crypto/hpke_int.h"
#include "lib/alloc.h"
#include "lib/err.h"

size_t hpke_kem_enc_len(uint16_t kem)
{
	const struct hpke__kem *k = hpke__kem_find(kem);

	return k ? k->npk : 0;
}

size_t hpke_kem_sk_len(uint16_t kem)
{
	const struct hpke__kem *k = hpke__kem_find(kem);

	return k ? k->nsk : 0;
}

static hpke_key *key_alloc(const struct hpke__kem *kem)
{
	hpke_key *k = xcalloc(1, sizeof(*k));

	if (k)
		k->kem = kem;
	return k;
}

void hpke_key_free(hpke_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	xfree(k);
}

uint16_t hpke_key_kem(const hpke_key *k)
{
	return k->kem->id;
}

int hpke_key_has_private(const hpke_key *k)
{
	return k->has_private;
}

const uint8_t *hpke_key_public(const hpke_key *k, size_t *len)
{
	*len = k->pub_len;
	return k->pub;
}

/* Caches the serialised public key of k->pkey; EC points must come out
 * uncompressed (SerializePublicKey). */
static int cache_public(hpke_key *k)
{
	size_t n = 0;

	if (k->kem->ec) {
		if (!EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, k->pub,
		                                     sizeof(k->pub), &n))
			return ENARX_E_HPKE_CRYPTO;
		if (n != k->kem->npk || k->pub[0] != 0x04)
			return ENARX_E_HPKE_KEY;
	} else {
		n = sizeof(k->pub);
		if (!EVP_PKEY_get_raw_public_key(k->pkey, k->pub, &n) || n != k->kem->npk)
			return ENARX_E_HPKE_CRYPTO;
	}
	k->pub_len = n;
	return 0;
}

int hpke_key_generate(uint16_t kem, hpke_key **out)
{
	const struct hpke__kem *kd = hpke__kem_find(kem);
	hpke_key *k;
	int rc;

	*out = NULL;
	if (!kd)
		return ENARX_E_HPKE_SUITE;
	if (!(k = key_alloc(kd)))
		return ENARX_E_NOMEM;
	k->pkey = kd->ec ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", kd->name)
	                 : EVP_PKEY_Q_keygen(NULL, NULL, kd->name);
	k->has_private = 1;
	rc = k->pkey ? cache_public(k) : ENARX_E_HPKE_CRYPTO;
	if (rc)
		hpke_key_free(k);
	else
		*out = k;
	return rc;
}

/* Builds an EC EVP_PKEY from params (group, and pub and/or priv). */
static int ec_fromdata(const struct hpke__kem *kem, const uint8_t *pub, size_t pub_len,
                       const BIGNUM *priv, EVP_PKEY **pkey)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	int rc = ENARX_E_HPKE_CRYPTO;

	if (!bld || !pc ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, kem->name, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len) ||
	    (priv && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)) || EVP_PKEY_fromdata_init(pc) <= 0)
		goto out;
	/* A point not on the curve fails here (EC_POINT_oct2point checks). */
	rc = EVP_PKEY_fromdata(pc, pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) > 0
	         ? 0
	         : ENARX_E_HPKE_KEY;
out:
	/* The scalar came from a secure BIGNUM, so the builder put it in the
	 * secure block, which OSSL_PARAM_free clears before freeing. */
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(pc);
	return rc;
}

/* Full public-key validation (on the curve, not infinity, right order). */
static int ec_public_check(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok = pc && EVP_PKEY_public_check(pc) > 0;

	EVP_PKEY_CTX_free(pc);
	return ok ? 0 : ENARX_E_HPKE_KEY;
}

int hpke_key_from_public(uint16_t kem, const uint8_t *pk, size_t pk_len, hpke_key **out)
{
	const struct hpke__kem *kd = hpke__kem_find(kem);
	hpke_key *k;
	int rc;

	*out = NULL;
	if (!kd)
		return ENARX_E_HPKE_SUITE;
	if (!pk || pk_len != kd->npk || (kd->ec && pk[0] != 0x04))
		return ENARX_E_HPKE_KEY;
	if (!(k = key_alloc(kd)))
		return ENARX_E_NOMEM;
	if (kd->ec) {
		rc = ec_fromdata(kd, pk, pk_len, NULL, &k->pkey);
		if (!rc)
			rc = ec_public_check(k->pkey);
	} else {
		k->pkey = EVP_PKEY_new_raw_public_key_ex(NULL, kd->name, NULL, pk, pk_len);
		rc = k->pkey ? 0 : ENARX_E_HPKE_CRYPTO;
	}
	if (!rc)
		rc = cache_public(k);
	if (!rc && memcmp(k->pub, pk, pk_len) != 0)
		rc = ENARX_E_HPKE_KEY;
	if (rc)
		hpke_key_free(k);
	else
		*out = k;
	return rc;
}

/* Range check and public point of an EC scalar: *pub gets d*G. Returns 1
 * if 1 <= d < order, 0 if not, negative on error. */
static int ec_scalar(const struct hpke__kem *kem, const BIGNUM *d, uint8_t *pub)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(kem->nid);
	EC_POINT *P = g ? EC_POINT_new(g) : NULL;
	BN_CTX *bc = BN_CTX_new();
	int rc = ENARX_E_HPKE_CRYPTO;

	if (!P || !bc)
		goto out;
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0) {
		rc = 0;
		goto out;
	}
	if (!pub) {
		rc = 1;
		goto out;
	}
	if (!EC_POINT_mul(g, P, d, NULL, NULL, bc) ||
	    EC_POINT_point2oct(g, P, POINT_CONVERSION_UNCOMPRESSED, pub, kem->npk, bc) != kem->npk)
		goto out;
	rc = 1;
out:
	BN_CTX_free(bc);
	EC_POINT_free(P);
	EC_GROUP_free(g);
	return rc;
}

int hpke__ec_scalar_ok(const struct hpke__kem *kem, const uint8_t *sk)
{
	BIGNUM *d = BN_bin2bn(sk, (int)kem->nsk, NULL);
	int rc = d ? ec_scalar(kem, d, NULL) : ENARX_E_NOMEM;

	BN_clear_free(d);
	return rc;
}

static int ec_from_private(hpke_key *k, const uint8_t *sk)
{
	const struct hpke__kem *kem = k->kem;
	BIGNUM *d = BN_secure_new();
	uint8_t pub[HPKE_MAX_PK_LEN];
	int rc;

	if (!d)
		return ENARX_E_NOMEM;
	BN_set_flags(d, BN_FLG_CONSTTIME);
	if (!BN_bin2bn(sk, (int)kem->nsk, d)) {
		rc = ENARX_E_HPKE_CRYPTO;
		goto out;
	}
	rc = ec_scalar(kem, d, pub);
	if (rc == 0)
		rc = ENARX_E_HPKE_KEY;
	if (rc < 0)
		goto out;
	rc = ec_fromdata(kem, pub, kem->npk, d, &k->pkey);
out:
	BN_clear_free(d);
	return rc;
}

int hpke_key_from_private(uint16_t kem, const uint8_t *sk, size_t sk_len, hpke_key **out)
{
	const struct hpke__kem *kd = hpke__kem_find(kem);
	hpke_key *k;
	int rc;

	*out = NULL;
	if (!kd)
		return ENARX_E_HPKE_SUITE;
	if (!sk || sk_len != kd->nsk)
		return ENARX_E_HPKE_KEY;
	if (!(k = key_alloc(kd)))
		return ENARX_E_NOMEM;
	k->has_private = 1;
	if (kd->ec) {
		rc = ec_from_private(k, sk);
	} else {
		k->pkey = EVP_PKEY_new_raw_private_key_ex(NULL, kd->name, NULL, sk, sk_len);
		rc = k->pkey ? 0 : ENARX_E_HPKE_CRYPTO;
	}
	if (!rc)
		rc = cache_public(k);
	if (rc)
		hpke_key_free(k);
	else
		*out = k;
	return rc;
}

int hpke_key_private(const hpke_key *k, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = cap;
	BIGNUM *d = NULL;
	int rc = ENARX_E_HPKE_CRYPTO;

	if (!k->has_private || cap < k->kem->nsk)
		return ENARX_E_INVAL;
	if (!k->kem->ec) {
		if (!EVP_PKEY_get_raw_private_key(k->pkey, out, &n) || n != k->kem->nsk)
			return ENARX_E_HPKE_CRYPTO;
		*len = n;
		return 0;
	}
	if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) &&
	    BN_bn2binpad(d, out, (int)k->kem->nsk) == (int)k->kem->nsk) {
		*len = k->kem->nsk;
		rc = 0;
	}
	BN_clear_free(d);
	return rc;
}

int hpke__dkp_candidate(uint16_t kem, const uint8_t *ikm, size_t ikm_len, uint8_t counter,
                        uint8_t *out)
{
	const struct hpke__kem *kd = hpke__kem_find(kem);
	struct hpke__sid sid;
	uint8_t prk[HPKE__MAX_NH];
	int rc;

	if (!kd || !kd->ec)
		return ENARX_E_HPKE_SUITE;
	hpke__kem_sid(kd, &sid);
	rc = hpke__labeled_extract(kd->md, &sid, NULL, 0, "dkp_prk", ikm, ikm_len, prk);
	if (!rc)
		rc =
		    hpke__labeled_expand(kd->md, &sid, prk, "candidate", &counter, 1, out, kd->nsk);
	if (!rc)
		out[0] &= kd->bitmask;
	OPENSSL_cleanse(prk, sizeof(prk));
	return rc;
}

int hpke_key_derive(uint16_t kem, const uint8_t *ikm, size_t ikm_len, hpke_key **out)
{
	const struct hpke__kem *kd = hpke__kem_find(kem);
	struct hpke__sid sid;
	uint8_t prk[HPKE__MAX_NH], sk[HPKE_MAX_SK_LEN];
	int rc = ENARX_E_HPKE_KEY;

	*out = NULL;
	if (!kd)
		return ENARX_E_HPKE_SUITE;
	if (!ikm && ikm_len)
		return ENARX_E_INVAL;
	if (!kd->ec) {
		hpke__kem_sid(kd, &sid);
		rc = hpke__labeled_extract(kd->md, &sid, NULL, 0, "dkp_prk", ikm, ikm_len, prk);
		if (!rc)
			rc = hpke__labeled_expand(kd->md, &sid, prk, "sk", NULL, 0, sk, kd->nsk);
		if (!rc)
			rc = hpke_key_from_private(kem, sk, kd->nsk, out);
		goto out;
	}
	/* Rejection sampling: the first candidate in [1, order-1]. */
	for (unsigned counter = 0; counter <= 255; counter++) {
		rc = hpke__dkp_candidate(kem, ikm, ikm_len, (uint8_t)counter, sk);
		if (!rc)
			rc = hpke__ec_scalar_ok(kd, sk);
		if (rc < 0)
			goto out;
		if (rc == 1) {
			rc = hpke_key_from_private(kem, sk, kd->nsk, out);
			goto out;
		}
	}
	rc = ENARX_E_HPKE_KEY;
out:
	OPENSSL_cleanse(prk, sizeof(prk));
	OPENSSL_cleanse(sk, sizeof(sk));
	return rc;
}

int hpke__dh(const hpke_key *sk, const hpke_key *pk, uint8_t *out, size_t *len)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, sk->pkey, NULL);
	size_t n = HPKE__MAX_NDH;
	uint8_t acc = 0;
	int rc = ENARX_E_HPKE_CRYPTO;

	if (!sk->has_private || sk->kem != pk->kem) {
		rc = ENARX_E_HPKE_KEY;
		goto out;
	}
	if (!pc || EVP_PKEY_derive_init(pc) <= 0)
		goto out;
	/* validate_peer = 1: OpenSSL checks the peer key once more. */
	if (EVP_PKEY_derive_set_peer_ex(pc, pk->pkey, 1) <= 0) {
		rc = ENARX_E_HPKE_KEY;
		goto out;
	}
	/* OpenSSL refuses an all-zero X25519/X448 output itself; the loop
	 * below makes the RFC 9180 section 7.1.4 check explicit either way. */
	if (EVP_PKEY_derive(pc, out, &n) <= 0) {
		rc = ENARX_E_HPKE_KEY;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		acc |= out[i];
	rc = acc ? 0 : ENARX_E_HPKE_KEY;
	*len = n;
out:
	EVP_PKEY_CTX_free(pc);
	return rc;
}
