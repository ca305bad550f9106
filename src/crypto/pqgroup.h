/* SPDX-License-Identifier: Apache-2.0 */
/* Post-quantum TLS 1.3 key exchange as a KEM: ML-KEM alone, or ML-KEM
 * combined with an ECDH share (X25519MLKEM768, SecP256r1MLKEM768) by plain
 * concatenation. The groups are listed once in pq_groups.def. The client
 * makes a key pair and sends its share; the server encapsulates to it and
 * returns its share; both get the same secret. ECDH runs through OpenSSL's
 * EVP (default library context). */
#ifndef ENARX_CRYPTO_PQGROUP_H
#define ENARX_CRYPTO_PQGROUP_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto/mlkem.h"

#define PQGROUP_MAX_CLIENT_SHARE (MLKEM_MAX_EK_BYTES + 65)
#define PQGROUP_MAX_SERVER_SHARE (MLKEM_MAX_CT_BYTES + 65)
#define PQGROUP_MAX_SECRET 64

struct pqgroup {
	const char *name; /* TLS group name, "X25519MLKEM768" */
	const char *alg;  /* key type / KEM name, "X25519MLKEM768" or "ML-KEM-768" */
	uint16_t id;      /* TLS NamedGroup codepoint */
	unsigned secbits;
	const struct mlkem_params *kem;
	const char *ec;      /* "X25519", "P-256", or NULL for ML-KEM alone */
	size_t ec_pub;       /* ECDH public key bytes (32, 65 or 0) */
	int ec_first;        /* ECDH part first in shares and secret */
	size_t client_share; /* ek || ec_pub (or reversed) */
	size_t server_share; /* ct || ec_pub (or reversed) */
	size_t secret;       /* 32 + 32, or 32 */
};

/* The groups of pq_groups.def, in that order; count in *n. */
const struct pqgroup *pqgroup_all(size_t *n);

/* Finds a group by TLS group name or by algorithm name (case-insensitive);
 * NULL if none. */
const struct pqgroup *pqgroup_by_name(const char *name);

/* A client key: the expanded ML-KEM key (kept from generation to
 * decapsulation, so the matrix is sampled once) and the ECDH private key.
 * Owned by the caller; pqgroup_key_clear() wipes and frees its parts. */
struct pqgroup_key {
	struct mlkem_key *kem;
	EVP_PKEY *ec;
};

void pqgroup_key_clear(struct pqgroup_key *k);

/* libctx (NULL: the default one) is the OpenSSL library context the ECDH
 * half and the randomness come from: the provider passes the one it was
 * loaded into. */

/* Client: new key pair and its share (g->client_share bytes). seed (d || z,
 * 64 bytes) and ec_priv (raw X25519 private key) make it deterministic for
 * tests; NULL for fresh randomness. Errors: ENARX_E_INTERNAL (OpenSSL
 * failed), ENARX_E_NOMEM. */
int pqgroup_keygen(OSSL_LIB_CTX *libctx, const struct pqgroup *g, const uint8_t *seed,
                   const uint8_t *ec_priv, struct pqgroup_key *k, uint8_t *share);

/* Server side check of a client share: exact length, and the FIPS 203 7.2
 * check of its ek. 0 or ENARX_E_INVAL. (The ECDH point is checked when
 * used.) */
int pqgroup_check_client_share(const struct pqgroup *g, const uint8_t *share, size_t len);

/* Server: encapsulates to a client share; writes the server share and the
 * secret. m (32 bytes) and ec_priv (the raw ECDH private key, X25519 only)
 * make it deterministic for tests; NULL for fresh randomness. Errors:
 * ENARX_E_INVAL (bad share, bad ECDH point, all-zero X25519 secret),
 * ENARX_E_INTERNAL. */
int pqgroup_encaps(OSSL_LIB_CTX *libctx, const struct pqgroup *g, const uint8_t *client_share,
                   size_t len, const uint8_t *m, const uint8_t *ec_priv, uint8_t *server_share,
                   uint8_t *secret);

/* Client: the secret from the server share. Errors: ENARX_E_INVAL (wrong
 * length, bad ECDH point, all-zero X25519 secret), ENARX_E_INTERNAL. */
int pqgroup_decaps(OSSL_LIB_CTX *libctx, const struct pqgroup *g, const struct pqgroup_key *k,
                   const uint8_t *share, size_t len, uint8_t *secret);

/* The ECDH public key of k in the group's encoding (g->ec_pub bytes). */
int pqgroup_ec_public(const struct pqgroup *g, EVP_PKEY *k, uint8_t *out);

#endif
