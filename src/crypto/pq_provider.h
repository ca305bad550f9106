/* SPDX-License-Identifier: Apache-2.0 */
/* The enarx_pq OpenSSL 3.0 provider: ML-KEM-512/768/1024 as KEMs and the
 * TLS 1.3 groups of pq_groups.def through the TLS-GROUP capability. Built
 * into the project's programs (pq_provider_load) and as the loadable module
 * enarx_pq.so for any OpenSSL 3.0 application (docs/post-quantum.md). */
#ifndef ENARX_CRYPTO_PQ_PROVIDER_H
#define ENARX_CRYPTO_PQ_PROVIDER_H

#include <openssl/core.h>
#include <openssl/types.h>

#define PQ_PROVIDER_NAME "enarx_pq"

/* The provider's entry point (OSSL_provider_init_fn). */
int pq_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                     const OSSL_DISPATCH **out, void **provctx);

/* Makes enarx_pq available in libctx (NULL: the default context) as a
 * built-in provider, keeping OpenSSL's default provider as it was (the
 * fallback stays on). Idempotent and thread-safe; a provider of that name
 * already loaded (e.g. from openssl.cnf) is kept. Must run before an
 * SSL_CTX is made in libctx, since libssl lists groups at SSL_CTX_new.
 * *out (if out is not NULL) gets the reference this call took, for
 * OSSL_PROVIDER_unload before the caller frees libctx; NULL when nothing
 * was loaded. With out NULL the reference is kept for the process.
 * Returns 0 or ENARX_E_INTERNAL. */
int pq_provider_load(OSSL_LIB_CTX *libctx, OSSL_PROVIDER **out);

#endif
