/* SPDX-License-Identifier: Apache-2.0 */
/* Shared TLS setup (see tls_setup.h): provider loading, default groups and
 * the negotiated-group name. */
#include <strings.h>

#include <openssl/objects.h>
#include <openssl/ssl.h>

#include "crypto/pq_provider.h"
#include "crypto/tls_setup.h"
#include "lib/err.h"

int enarx_tls_init(void)
{
	return pq_provider_load(NULL, NULL);
}

int enarx_tls_ctx_defaults(SSL_CTX *ctx)
{
	int rc = enarx_tls_init();

	if (rc < 0)
		return rc;
	return SSL_CTX_set1_groups_list(ctx, ENARX_TLS_DEFAULT_GROUPS) == 1 ? 0 : ENARX_E_INVAL;
}

const char *enarx_tls_group_name(SSL *ssl)
{
	int nid = ssl ? SSL_get_negotiated_group(ssl) : NID_undef;
	const char *name;

	if (nid == NID_undef)
		return "";
	/* provider groups have no NID: SSL_group_to_name maps them by codepoint */
	name = SSL_group_to_name(ssl, nid);
	if (!name)
		name = OBJ_nid2sn(nid);
	return name ? name : "";
}

int enarx_tls_group_is_pq(const char *name)
{
	static const char *const pq[] = {
#define X(NAME, ...) #NAME,
#include "crypto/pq_groups.def"
#undef X
	};

	for (size_t i = 0; name && i < sizeof(pq) / sizeof(pq[0]); i++)
		if (strcasecmp(name, pq[i]) == 0)
			return 1;
	return 0;
}
