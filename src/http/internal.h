/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to src/http: the TLS context setup (tls.c) and the
 * authentication pieces (auth.c) that server.c puts together. */
#ifndef ENARX_HTTP_INTERNAL_H
#define ENARX_HTTP_INTERNAL_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>

#define HTTP__FP_LEN (32 * 3) /* "AA:" x 32, last ':' becomes NUL */

struct http__tls_conf {
	const char *name;      /* "host" -> <state>/host-cert.pem */
	const char *state_dir; /* for generated files */
	const char *cert_file, *key_file;
	const char *client_ca_file;
	const char *groups;
	bool require_client_cert; /* no other way to authenticate */
};

/* Builds the server SSL_CTX: TLS 1.2 or newer under the system policy,
 * the certificate (generated self-signed into state_dir on first start),
 * client verification against client_ca_file when given. Writes the
 * certificate path used into cert_path and its fingerprint into fp.
 * Returns 0 or ENARX_E_HTTP_TLS/ENARX_E_IO with err set. */
int http__tls_ctx_new(const struct http__tls_conf *conf, SSL_CTX **out, char *cert_path,
                      size_t cert_path_len, char fp[HTTP__FP_LEN], char *err, size_t errlen);

/* Reads a bearer token file (first line, trailing whitespace dropped, at
 * least 16 bytes, printable ASCII). Returns 0 with *tok (xmalloc'd, caller
 * wipes and frees) or ENARX_E_IO/ENARX_E_INVAL with err set. */
int http__token_load(const char *path, char **tok, size_t *toklen, char *err, size_t errlen);

/* Constant-time check of an Authorization header value against the
 * token: "Bearer <token>". Lengths are hidden by comparing SHA-256 digests. */
bool http__token_ok(const char *token, size_t toklen, const char *authz);

/* "cert:<CN>" for a verified client certificate on ssl into out, or false. */
bool http__client_cert_ok(SSL *ssl, char *out, size_t outlen);

#endif
