/* SPDX-License-Identifier: Apache-2.0 */
/* Authentication of HTTPS requests: a bearer token read from a file and
 * compared in constant time, or a client certificate that verified against
 * the operator's CA during the handshake. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/internal.h"
#include "lib/alloc.h"
#include "lib/err.h"

#define AUTH__TOKEN_MAX 4096
#define AUTH__TOKEN_MIN 16

int http__token_load(const char *path, char **tok, size_t *toklen, char *err, size_t errlen)
{
	char buf[AUTH__TOKEN_MAX + 2];
	FILE *f = fopen(path, "re");
	size_t n;
	int rc = 0;

	*tok = NULL;
	if (f == NULL) {
		snprintf(err, errlen, "cannot read token file %s: %s", path, strerror(errno));
		return ENARX_E_IO;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	n = strcspn(buf, "\r\n");
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	for (size_t i = 0; i < n && rc == 0; i++)
		if (buf[i] <= ' ' || buf[i] > '~')
			rc = ENARX_E_INVAL;
	if (rc != 0 || n < AUTH__TOKEN_MIN || n > AUTH__TOKEN_MAX) {
		snprintf(err, errlen,
		         "token file %s: the first line must be %d to %d printable "
		         "characters without spaces",
		         path, AUTH__TOKEN_MIN, AUTH__TOKEN_MAX);
		rc = ENARX_E_INVAL;
	} else if ((*tok = xmalloc(n + 1)) == NULL) {
		rc = ENARX_E_NOMEM;
	} else {
		memcpy(*tok, buf, n);
		(*tok)[n] = '\0';
		*toklen = n;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

bool http__token_ok(const char *token, size_t toklen, const char *authz)
{
	unsigned char want[32], got[32];
	size_t n;
	bool ok;

	if (token == NULL || authz == NULL || strncasecmp(authz, "Bearer ", 7) != 0)
		return false;
	authz += 7;
	while (*authz == ' ')
		authz++;
	n = strlen(authz);
	while (n > 0 && authz[n - 1] == ' ')
		n--;
	if (!EVP_Digest(token, toklen, want, NULL, EVP_sha256(), NULL) ||
	    !EVP_Digest(authz, n, got, NULL, EVP_sha256(), NULL))
		return false;
	ok = CRYPTO_memcmp(want, got, sizeof(want)) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}

bool http__client_cert_ok(SSL *ssl, char *out, size_t outlen)
{
	X509 *peer;
	char cn[128] = "";

	if (ssl == NULL || (peer = SSL_get0_peer_certificate(ssl)) == NULL ||
	    SSL_get_verify_result(ssl) != X509_V_OK)
		return false;
	X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
	snprintf(out, outlen, "cert:%s", cn);
	return true;
}
