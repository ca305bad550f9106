/* SPDX-License-Identifier: Apache-2.0 */
/* HPKE algorithm tables and the labeled HKDF of RFC 9180 section 4, on
 * OpenSSL's HMAC (EVP_MAC). Labels are fed to HMAC in pieces, so no input
 * is ever concatenated into a buffer sized from the caller. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include "crypto/hpke_int.h"
#include "lib/err.h"

static const struct hpke__kem kems[] = {
    {HPKE_KEM_P256_SHA256, "P-256", 1, NID_X9_62_prime256v1, "SHA256", 32, 65, 32, 0xff},
    {HPKE_KEM_P384_SHA384, "P-384", 1, NID_secp384r1, "SHA384", 48, 97, 48, 0xff},
    {HPKE_KEM_P521_SHA512, "P-521", 1, NID_secp521r1, "SHA512", 64, 133, 66, 0x01},
    {HPKE_KEM_X25519_SHA256, "X25519", 0, 0, "SHA256", 32, 32, 32, 0},
    {HPKE_KEM_X448_SHA512, "X448", 0, 0, "SHA512", 64, 56, 56, 0},
};

static const struct hpke__kdf kdfs[] = {
    {HPKE_KDF_HKDF_SHA256, "SHA256", 32},
    {HPKE_KDF_HKDF_SHA384, "SHA384", 48},
    {HPKE_KDF_HKDF_SHA512, "SHA512", 64},
};

static const struct hpke__aead aeads[] = {
    {HPKE_AEAD_AES_128_GCM, "AES-128-GCM", 16},
    {HPKE_AEAD_AES_256_GCM, "AES-256-GCM", 32},
    {HPKE_AEAD_CHACHA20_POLY1305, "ChaCha20-Poly1305", 32},
    {HPKE_AEAD_EXPORT_ONLY, NULL, 0},
};

#define FIND(table, want)                                             \
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) \
		if (table[i].id == (want))                            \
			return &table[i];                             \
	return NULL

const struct hpke__kem *hpke__kem_find(uint16_t id)
{
	FIND(kems, id);
}

const struct hpke__kdf *hpke__kdf_find(uint16_t id)
{
	FIND(kdfs, id);
}

const struct hpke__aead *hpke__aead_find(uint16_t id)
{
	FIND(aeads, id);
}

void hpke__kem_sid(const struct hpke__kem *kem, struct hpke__sid *sid)
{
	memcpy(sid->b, "KEM", 3);
	sid->b[3] = (uint8_t)(kem->id >> 8);
	sid->b[4] = (uint8_t)kem->id;
	sid->n = 5;
}

size_t hpke__md_len(const char *md)
{
	return md[3] == '5' ? 64 : md[3] == '3' ? 48 : 32; /* SHA512, SHA384, SHA256 */
}

struct piece {
	const void *p;
	size_t n;
};

/* HMAC-md(key, concatenation of parts) into out (Nh bytes). */
static int hmac(const char *md, const uint8_t *key, size_t key_len, const struct piece *parts,
                size_t nparts, uint8_t *out)
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md, 0),
	    OSSL_PARAM_construct_end(),
	};
	size_t nh = hpke__md_len(md), got = 0;
	int rc = ENARX_E_HPKE_CRYPTO;

	if (!ctx || !EVP_MAC_init(ctx, key, key_len, params))
		goto out;
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].n && !EVP_MAC_update(ctx, parts[i].p, parts[i].n))
			goto out;
	if (!EVP_MAC_final(ctx, out, &got, nh) || got != nh)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

int hpke__labeled_extract(const char *md, const struct hpke__sid *sid, const uint8_t *salt,
                          size_t salt_len, const char *label, const uint8_t *ikm, size_t ikm_len,
                          uint8_t *out)
{
	static const uint8_t zeros[HPKE__MAX_NH];
	const struct piece parts[] = {
	    {"HPKE-v1", 7},
	    {sid->b, sid->n},
	    {label, strlen(label)},
	    {ikm, ikm_len},
	};

	/* RFC 5869: a missing salt is Nh zeros (HMAC pads keys with zeros
	 * anyway, but OpenSSL refuses an empty key). */
	if (!salt_len) {
		salt = zeros;
		salt_len = hpke__md_len(md);
	}
	return hmac(md, salt, salt_len, parts, 4, out);
}

int hpke__labeled_expand(const char *md, const struct hpke__sid *sid, const uint8_t *prk,
                         const char *label, const uint8_t *info, size_t info_len, uint8_t *out,
                         size_t L)
{
	size_t nh = hpke__md_len(md);
	uint8_t t[HPKE__MAX_NH], len2[2] = {(uint8_t)(L >> 8), (uint8_t)L}, i = 0;
	size_t done = 0;
	int rc = 0;

	if (L > 255 * nh)
		return ENARX_E_INVAL;
	while (done < L && !rc) {
		i++;
		const struct piece parts[] = {
		    {t, i > 1 ? nh : 0},    {len2, 2},        {"HPKE-v1", 7}, {sid->b, sid->n},
		    {label, strlen(label)}, {info, info_len}, {&i, 1},
		};
		rc = hmac(md, prk, nh, parts, 7, t);
		size_t take = L - done < nh ? L - done : nh;
		if (!rc)
			memcpy(out + done, t, take);
		done += take;
	}
	OPENSSL_cleanse(t, sizeof(t));
	return rc;
}
