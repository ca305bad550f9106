/* SPDX-License-Identifier: Apache-2.0 */
/* The entry point of the loadable module enarx_pq.so: OpenSSL looks up
 * OSSL_provider_init when an application loads the provider by name (e.g.
 * from openssl.cnf, see docs/post-quantum.md). */
#include <openssl/core.h>

#include "crypto/pq_provider.h"

OSSL_provider_init_fn OSSL_provider_init;

int OSSL_provider_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
                       const OSSL_DISPATCH **out, void **provctx)
{
	return pq_provider_init(handle, in, out, provctx);
}
