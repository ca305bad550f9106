/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: Steward's answer as the Keep (and `enarx deploy --steward`)
 * reads it, from an untrusted host: certchain_parse() on any bytes, and
 * certchain_verify() of whatever parses against a CA that cannot match. */
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "crypto/certchain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char no_ca[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *rest = NULL;
	X509 *leaf = NULL;
	char err[256];

	if (certchain_parse(data, size, &leaf, &rest, err, sizeof(err)) != 0) {
		if (leaf || rest)
			abort(); /* nothing is returned on failure */
		return 0;
	}
	if (!leaf || !rest || sk_X509_num(rest) >= CERTCHAIN_MAX)
		abort();
	/* a CA file without a usable certificate: refused, never accepted */
	if (certchain_verify(leaf, rest, (const uint8_t *)no_ca, sizeof(no_ca) - 1, err,
	                     sizeof(err)) == 0)
		abort();
	X509_free(leaf);
	sk_X509_pop_free(rest, X509_free);
	return 0;
}
