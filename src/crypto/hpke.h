/* SPDX-License-Identifier: Apache-2.0 */
/* HPKE (RFC 9180) on OpenSSL 3.0's EVP primitives: DHKEM over X25519, X448,
 * P-256, P-384 and P-521; HKDF-SHA256/384/512; AES-GCM, ChaCha20-Poly1305 and
 * export-only. Used to seal a workload to one Keep's key (deploy) and to
 * release secrets to a Keep (Steward). See docs/hpke.md. */
#ifndef ENARX_CRYPTO_HPKE_H
#define ENARX_CRYPTO_HPKE_H

#include <stddef.h>
#include <stdint.h>

/* Identifiers are the RFC 9180 registry values (section 7). */
enum hpke_mode {
	HPKE_MODE_BASE = 0x00,
	HPKE_MODE_PSK = 0x01,
	HPKE_MODE_AUTH = 0x02,
	HPKE_MODE_AUTH_PSK = 0x03,
};

enum hpke_kem_id {
	HPKE_KEM_P256_SHA256 = 0x0010,
	HPKE_KEM_P384_SHA384 = 0x0011,
	HPKE_KEM_P521_SHA512 = 0x0012,
	HPKE_KEM_X25519_SHA256 = 0x0020,
	HPKE_KEM_X448_SHA512 = 0x0021,
};

enum hpke_kdf_id {
	HPKE_KDF_HKDF_SHA256 = 0x0001,
	HPKE_KDF_HKDF_SHA384 = 0x0002,
	HPKE_KDF_HKDF_SHA512 = 0x0003,
};

enum hpke_aead_id {
	HPKE_AEAD_AES_128_GCM = 0x0001,
	HPKE_AEAD_AES_256_GCM = 0x0002,
	HPKE_AEAD_CHACHA20_POLY1305 = 0x0003,
	HPKE_AEAD_EXPORT_ONLY = 0xffff,
};

/* Largest sizes over every supported KEM (P-521: 1 + 2*66). */
#define HPKE_MAX_ENC_LEN 133
#define HPKE_MAX_PK_LEN 133
#define HPKE_MAX_SK_LEN 66
/* Every supported AEAD appends a 16-byte tag. */
#define HPKE_TAG_LEN 16

typedef struct hpke_suite {
	uint16_t kem;  /* enum hpke_kem_id */
	uint16_t kdf;  /* enum hpke_kdf_id */
	uint16_t aead; /* enum hpke_aead_id */
} hpke_suite;

/* Returns 0 if every id of s is supported, else ENARX_E_HPKE_SUITE. */
int hpke_suite_check(hpke_suite s);

/* Sizes (0 for an unknown KEM): Nenc = Npk (serialised public key, also the
 * encapsulated key) and Nsk (serialised private key). */
size_t hpke_kem_enc_len(uint16_t kem);
size_t hpke_kem_sk_len(uint16_t kem);

/* Bytes hpke_seal_single() writes for pt_len bytes of plaintext: Nenc +
 * pt_len + HPKE_TAG_LEN. 0 for an unsupported or export-only suite, or on
 * overflow. */
size_t hpke_sealed_len(hpke_suite s, size_t pt_len);

/* --- Keys ---------------------------------------------------------------
 * A key pair (private and public) or a public key alone, for one KEM.
 * Constructors return 0 and set *out (owned by the caller, hpke_key_free),
 * or a negative error and leave *out NULL:
 *   ENARX_E_HPKE_SUITE unknown KEM; ENARX_E_HPKE_KEY bytes are not a valid
 *   key of that KEM (wrong length, not on the curve, point encoding other
 *   than uncompressed, zero or out-of-range scalar); ENARX_E_NOMEM;
 *   ENARX_E_HPKE_CRYPTO an OpenSSL call failed. */
typedef struct hpke_key hpke_key;

/* A fresh random key pair (GenerateKeyPair). */
int hpke_key_generate(uint16_t kem, hpke_key **out);
/* DeriveKeyPair(ikm): deterministic; ikm should hold at least Nsk bytes of
 * entropy. Errors as above, plus ENARX_E_HPKE_KEY when no candidate of the
 * P-curve rejection loop is valid (probability ~2^-8000). */
int hpke_key_derive(uint16_t kem, const uint8_t *ikm, size_t ikm_len, hpke_key **out);
/* DeserializePrivateKey: sk is Nsk bytes (raw X25519/X448 scalar or a
 * big-endian EC scalar in [1, order-1]). */
int hpke_key_from_private(uint16_t kem, const uint8_t *sk, size_t sk_len, hpke_key **out);
/* DeserializePublicKey: pk is Npk bytes (raw X25519/X448 or an uncompressed
 * SEC1 point, checked to be on the curve). */
int hpke_key_from_public(uint16_t kem, const uint8_t *pk, size_t pk_len, hpke_key **out);
void hpke_key_free(hpke_key *k);

uint16_t hpke_key_kem(const hpke_key *k);
/* Returns 1 if k holds a private key. */
int hpke_key_has_private(const hpke_key *k);
/* Borrowed serialised public key (Npk bytes), valid while k lives. */
const uint8_t *hpke_key_public(const hpke_key *k, size_t *len);
/* SerializePrivateKey into out (cap >= Nsk); *len = Nsk. The caller wipes
 * out. Errors: ENARX_E_INVAL (no private key or cap too small),
 * ENARX_E_HPKE_CRYPTO. */
int hpke_key_private(const hpke_key *k, uint8_t *out, size_t cap, size_t *len);

/* --- Context -------------------------------------------------------------
 * One HPKE context: a sender (after hpke_setup_sender) or a recipient (after
 * hpke_setup_recipient), used by one thread at a time. Each error sets a
 * message that names what failed, read with hpke_ctx_error(). */
typedef struct hpke_ctx hpke_ctx;

/* Returns a context for suite s, or NULL if out of memory, if s is not
 * supported (check hpke_suite_check() for that first) or if OpenSSL lacks
 * one of its algorithms. */
hpke_ctx *hpke_ctx_new(hpke_suite s);
/* Wipes the keys and frees c; NULL is fine. */
void hpke_ctx_free(hpke_ctx *c);
/* The last error's message, "" if none; valid until the next call on c. */
const char *hpke_ctx_error(const hpke_ctx *c);
hpke_suite hpke_ctx_suite(const hpke_ctx *c);
/* The sequence number of the next seal or open. */
uint64_t hpke_ctx_seq(const hpke_ctx *c);

/* Setup inputs beyond the keys. Fields not used by the mode stay 0/NULL.
 * psk/psk_id are required in the PSK modes and forbidden otherwise.
 * auth_key: for the sender, its own key pair (skS); for the recipient, the
 * sender's public key (pkS); required in the auth modes only. All borrowed
 * for the call only. */
typedef struct hpke_params {
	enum hpke_mode mode;
	const uint8_t *info;
	size_t info_len;
	const uint8_t *psk;
	size_t psk_len;
	const uint8_t *psk_id;
	size_t psk_id_len;
	const hpke_key *auth_key;
} hpke_params;

/* SetupBaseS/SetupPSKS/SetupAuthS/SetupAuthPSKS (p->mode picks): encapsulates
 * to pkR with a fresh ephemeral key and writes enc (Nenc bytes) to enc (cap >=
 * Nenc); p NULL means base mode with empty info. c must be fresh.
 * Errors: ENARX_E_INVAL (bad arguments, enc too small), ENARX_E_HPKE_STATE
 * (c already set up), ENARX_E_HPKE_PSK (PSK inputs do not match the mode),
 * ENARX_E_HPKE_KEY (wrong KEM, missing private key, DH output all zero),
 * ENARX_E_HPKE_CRYPTO, ENARX_E_NOMEM. */
int hpke_setup_sender(hpke_ctx *c, const hpke_key *pkR, const hpke_params *p, uint8_t *enc,
                      size_t enc_cap, size_t *enc_len);
/* SetupBaseR/SetupPSKR/SetupAuthR/SetupAuthPSKR: decapsulates enc (from the
 * sender) with skR. Errors as hpke_setup_sender, plus ENARX_E_HPKE_KEY for
 * an enc that is not a valid public key. */
int hpke_setup_recipient(hpke_ctx *c, const hpke_key *skR, const hpke_params *p, const uint8_t *enc,
                         size_t enc_len);

/* Seal (sender only): encrypts pt with aad under the next sequence number
 * into ct (cap >= pt_len + HPKE_TAG_LEN; ct may equal pt for in-place);
 * *ct_len = pt_len + HPKE_TAG_LEN. Errors: ENARX_E_HPKE_STATE (not a sender,
 * or export-only suite), ENARX_E_INVAL (ct too small), ENARX_E_HPKE_LIMIT
 * (sequence number exhausted: the context is finished),
 * ENARX_E_HPKE_CRYPTO. */
int hpke_seal(hpke_ctx *c, const uint8_t *aad, size_t aad_len, const uint8_t *pt, size_t pt_len,
              uint8_t *ct, size_t ct_cap, size_t *ct_len);
/* Open (recipient only): checks and decrypts ct (with its tag) into pt (cap
 * >= ct_len - HPKE_TAG_LEN; pt may equal ct). The sequence number advances
 * only on success. Errors: as hpke_seal, plus ENARX_E_HPKE_OPEN (not
 * authentic: wrong key, AAD, order or a modified byte; pt is zeroed) and
 * ENARX_E_TRUNCATED (ct shorter than a tag). */
int hpke_open(hpke_ctx *c, const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t ct_len,
              uint8_t *pt, size_t pt_cap, size_t *pt_len);
/* Export (either role, any AEAD): writes L bytes of exported secret for
 * exporter context ctx. Errors: ENARX_E_HPKE_STATE (not set up),
 * ENARX_E_INVAL (L > 255 * Nh), ENARX_E_HPKE_CRYPTO. */
int hpke_export(hpke_ctx *c, const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t L);

/* Single-shot (RFC 9180 section 6.1): setup and one seal. Writes enc || ct
 * (hpke_sealed_len() bytes) to out. c must be fresh; afterwards it is a
 * sender context (usable for hpke_export, or further seals). Errors as
 * hpke_setup_sender and hpke_seal. */
int hpke_seal_single(hpke_ctx *c, const hpke_key *pkR, const hpke_params *p, const uint8_t *aad,
                     size_t aad_len, const uint8_t *pt, size_t pt_len, uint8_t *out, size_t out_cap,
                     size_t *out_len);
/* Opens what hpke_seal_single wrote (in = enc || ct) into pt (cap >=
 * in_len - Nenc - HPKE_TAG_LEN). Errors as hpke_setup_recipient and
 * hpke_open; ENARX_E_TRUNCATED if in is shorter than Nenc + tag. */
int hpke_open_single(hpke_ctx *c, const hpke_key *skR, const hpke_params *p, const uint8_t *aad,
                     size_t aad_len, const uint8_t *in, size_t in_len, uint8_t *pt, size_t pt_cap,
                     size_t *pt_len);

#endif
