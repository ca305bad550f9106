/* SPDX-License-Identifier: Apache-2.0 */
/* Internals of the enarx_pq OpenSSL provider shared by provider.c (entry,
 * algorithm tables, TLS-GROUP capability), prov_keymgmt.c (key objects) and
 * prov_kem.c (encapsulate/decapsulate). One key type and one KEM per group
 * of pq_groups.def, named by the group's algorithm name. */
#ifndef ENARX_CRYPTO_PROV_INTERNAL_H
#define ENARX_CRYPTO_PROV_INTERNAL_H

#include <openssl/core_dispatch.h>

#include "crypto/pqgroup.h"

/* The provider context: the library context the provider was loaded into
 * (its ECDH half and randomness come from there, so the provider works in
 * any OSSL_LIB_CTX, not only the default one). */
struct pqprov_ctx {
	const OSSL_CORE_HANDLE *handle;
	OSSL_LIB_CTX *libctx;
};

/* The library context of a provider context (NULL: the default one). */
OSSL_LIB_CTX *pqprov__libctx(void *provctx);

/* A key of one group: the public share (ek, with the ECDH point for a
 * hybrid) and, for our own key pairs, the private part. */
struct pqprov_key {
	OSSL_LIB_CTX *libctx;
	const struct pqgroup *g;
	int has_pub, has_priv;
	uint8_t pub[PQGROUP_MAX_CLIENT_SHARE];
	struct pqgroup_key priv;
};

/* Key management dispatch tables, one per group (prov_keymgmt.c). */
#define X(NAME, ALG, ...) extern const OSSL_DISPATCH pqprov__keymgmt_##NAME[];
#include "crypto/pq_groups.def"
#undef X

/* The KEM dispatch table, shared by every group (prov_kem.c). */
extern const OSSL_DISPATCH pqprov__kem[];

#endif
