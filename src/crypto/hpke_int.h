/* SPDX-License-Identifier: Apache-2.0 */
/* HPKE internals shared by hpke.c (key schedule, contexts, AEAD) and
 * hpke_key.c (KEM keys, DH, DeriveKeyPair), and the hooks the unit tests use
 * to check every intermediate value of the RFC 9180 vectors. */
#ifndef ENARX_CRYPTO_HPKE_INT_H
#define ENARX_CRYPTO_HPKE_INT_H

#include <openssl/evp.h>

#include "crypto/hpke.h"

#define HPKE__MAX_NH 64 /* SHA-512 */
#define HPKE__MAX_NK 32
#define HPKE__NN 12      /* every supported AEAD */
#define HPKE__MAX_NDH 66 /* P-521 */

struct hpke__kem {
	uint16_t id;
	const char *name; /* OpenSSL key type ("X25519") or EC group ("P-256") */
	int ec;           /* 1 for the NIST curves */
	int nid;          /* EC group NID (0 for X25519/X448) */
	const char *md;   /* the KEM's own HKDF hash */
	size_t nsecret;   /* Nsecret = Nh of that hash */
	size_t npk, nsk;  /* Npk (= Nenc) and Nsk */
	uint8_t bitmask;  /* DeriveKeyPair candidate mask (EC only) */
};

struct hpke__kdf {
	uint16_t id;
	const char *md;
	size_t nh;
};

struct hpke__aead {
	uint16_t id;
	const char *cipher; /* NULL for export-only */
	size_t nk;
};

/* A suite identifier for labeled HKDF: "KEM"||kem (5 bytes) or
 * "HPKE"||kem||kdf||aead (10 bytes). */
struct hpke__sid {
	uint8_t b[10];
	size_t n;
};

struct hpke_key {
	const struct hpke__kem *kem;
	EVP_PKEY *pkey;
	int has_private;
	uint8_t pub[HPKE_MAX_PK_LEN];
	size_t pub_len;
};

const struct hpke__kem *hpke__kem_find(uint16_t id);
const struct hpke__kdf *hpke__kdf_find(uint16_t id);
const struct hpke__aead *hpke__aead_find(uint16_t id);
void hpke__kem_sid(const struct hpke__kem *kem, struct hpke__sid *sid);

/* LabeledExtract (out: Nh bytes of md) and LabeledExpand (L <= 255*Nh).
 * An empty salt means Nh zero bytes (RFC 5869). Errors: ENARX_E_INVAL (L
 * too large), ENARX_E_HPKE_CRYPTO, ENARX_E_NOMEM. */
int hpke__labeled_extract(const char *md, const struct hpke__sid *sid, const uint8_t *salt,
                          size_t salt_len, const char *label, const uint8_t *ikm, size_t ikm_len,
                          uint8_t *out);
int hpke__labeled_expand(const char *md, const struct hpke__sid *sid, const uint8_t *prk,
                         const char *label, const uint8_t *info, size_t info_len, uint8_t *out,
                         size_t L);
size_t hpke__md_len(const char *md);

/* DH(sk, pk) into out (room for HPKE__MAX_NDH bytes);
 * *len = Ndh. Refuses an all-zero result (X25519/X448 small-order peers).
 * Errors: ENARX_E_HPKE_KEY, ENARX_E_HPKE_CRYPTO. */
int hpke__dh(const hpke_key *sk, const hpke_key *pk, uint8_t *out, size_t *len);

/* DeriveKeyPair's P-curve candidate for counter (Nsk bytes, masked), so the
 * tests can check that a vector's rejected candidate is rejected. */
int hpke__dkp_candidate(uint16_t kem, const uint8_t *ikm, size_t ikm_len, uint8_t counter,
                        uint8_t *out);
/* Returns 1 if the Nsk-byte big-endian value is a valid EC private key
 * (1 <= d < order), 0 if not, negative on error. */
int hpke__ec_scalar_ok(const struct hpke__kem *kem, const uint8_t *sk);

/* --- Test hooks (tests/unit/crypto) --- */

/* When set on a context, setup copies its intermediate values here. */
struct hpke__trace {
	uint8_t shared_secret[HPKE__MAX_NH];
	size_t shared_secret_len;
	uint8_t ksc[1 + 2 * HPKE__MAX_NH];
	size_t ksc_len;
	uint8_t secret[HPKE__MAX_NH];
	uint8_t key[HPKE__MAX_NK];
	size_t key_len;
	uint8_t base_nonce[HPKE__NN];
	uint8_t exporter_secret[HPKE__MAX_NH];
	size_t nh;
};
void hpke__ctx_set_trace(hpke_ctx *c, struct hpke__trace *t);
/* Sender setup with a given ephemeral key pair (the vectors' ikmE). */
int hpke__setup_sender_eph(hpke_ctx *c, const hpke_key *pkR, const hpke_params *p,
                           const hpke_key *skE, uint8_t *enc, size_t enc_cap, size_t *enc_len);
/* The nonce of the next seal/open (Nn bytes). */
void hpke__ctx_nonce(const hpke_ctx *c, uint8_t *out);
void hpke__ctx_set_seq(hpke_ctx *c, uint64_t seq);

#endif
