/* SPDX-License-Identifier: Apache-2.0 */
/* Steward's certificate chains (certchain.h). */
#include "crypto/certchain.h"

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>

#include "lib/err.h"

int certchain_parse(const uint8_t *der, size_t len, X509 **leaf, STACK_OF(X509) * *rest, char *err,
                    size_t n)
{
	const unsigned char *p = der, *end;
	long body;
	int tag, cls, nc = 0;

	*leaf = NULL;
	*rest = NULL;
	if (len == 0 || len > CERTCHAIN_DER_MAX ||
	    (ASN1_get_object(&p, &body, &tag, &cls, (long)len) & 0x80) || tag != V_ASN1_SEQUENCE ||
	    cls != V_ASN1_UNIVERSAL || p + body != der + len) {
		ERR_clear_error();
		snprintf(err, n, "not a DER SEQUENCE OF Certificate");
		return ENARX_E_MALFORMED;
	}
	end = p + body;
	*rest = sk_X509_new_null();
	while (*rest && p < end) {
		X509 *x = d2i_X509(NULL, &p, end - p);

		if (!x || ++nc > CERTCHAIN_MAX) {
			X509_free(x);
			break;
		}
		if (!*leaf)
			*leaf = x;
		else if (!sk_X509_push(*rest, x))
			X509_free(x);
	}
	if (!*rest || p != end || !*leaf) {
		X509_free(*leaf);
		sk_X509_pop_free(*rest, X509_free);
		*leaf = NULL;
		*rest = NULL;
		ERR_clear_error();
		snprintf(err, n, "certificate %d does not parse (or more than %d)", nc + 1,
		         CERTCHAIN_MAX);
		return ENARX_E_MALFORMED;
	}
	return 0;
}

int certchain_verify(X509 *leaf, STACK_OF(X509) * rest, const uint8_t *ca_pem, size_t ca_len,
                     char *err, size_t n)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	BIO *b = ca_pem ? BIO_new_mem_buf(ca_pem, (int)ca_len) : NULL;
	int ncas = 0, rc = ENARX_E_ATTEST_CHAIN, code;
	X509 *x;

	if (st && !ca_pem)
		ncas = X509_STORE_set_default_paths(st);
	while (st && b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		ncas += X509_STORE_add_cert(st, x) == 1;
		X509_free(x);
	}
	if (!ncas) {
		snprintf(err, n, "no PEM CA certificate to verify against");
		rc = ENARX_E_MALFORMED;
	} else if (ctx && X509_STORE_CTX_init(ctx, st, leaf, rest) == 1 &&
	           X509_verify_cert(ctx) == 1) {
		rc = 0;
	} else {
		code = ctx ? X509_STORE_CTX_get_error(ctx) : 0;
		snprintf(err, n, "%s", X509_verify_cert_error_string(code));
	}
	ERR_clear_error();
	BIO_free(b);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return rc;
}
