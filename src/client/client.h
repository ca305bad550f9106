/* SPDX-License-Identifier: Apache-2.0 */
/* A small client of the project's HTTPS daemons (the host agent, Steward)
 * over libcurl: base URL, bearer token or client certificate, the daemon's
 * CA; JSON requests that return the status, the parsed body and an RFC 9457
 * problem's detail; a streaming GET with a callback per chunk; a POST of
 * raw bytes. One client is one connection reused across requests
 * (keep-alive); it is not thread-safe: make one per thread. */
#ifndef ENARX_CLIENT_CLIENT_H
#define ENARX_CLIENT_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct client;

/* Strings are copied by client_new. */
struct client_conf {
	const char *base;          /* "https://127.0.0.1:8443" (paths are appended) */
	const char *token;         /* bearer token; NULL: $ENARX_HOST_TOKEN, then token_file */
	const char *token_file;    /* file holding the token (first line), or NULL */
	const char *cacert;        /* PEM CA (or the daemon's self-signed certificate) */
	const char *cert;          /* client certificate (mTLS) or NULL */
	const char *key;           /* its key or NULL */
	const char *unix_socket;   /* talk over this Unix socket instead, or NULL */
	long connect_ms;           /* [10000] */
	bool insecure_skip_verify; /* do not check the daemon's certificate */
};

/* A response. body is a new reference (or NULL when the body was not JSON);
 * detail holds the problem's "detail" (or title) for a problem+json answer,
 * or what failed when status is 0 (no answer: connection, TLS, timeout). */
struct client_resp {
	long status;
	json_t *body;
	char detail[512];
	char location[256]; /* the Location header, if any */
};

/* Returns 0 and *out, ENARX_E_INVAL (no base URL, unreadable token file;
 * err says which) or ENARX_E_NOMEM. */
int client_new(const struct client_conf *conf, struct client **out, char *err, size_t errlen);

void client_free(struct client *c);

/* Sends method path with body (borrowed; NULL = no body) as
 * application/json and reads a JSON (or problem+json) answer. Returns 0
 * when an HTTP answer came (any status: look at r->status), ENARX_E_IO when
 * none did (r->detail says why). Clear r with client_resp_clear. */
int client_json(struct client *c, const char *method, const char *path, const json_t *body,
                struct client_resp *r);

/* POSTs data[0..len) as ctype (NULL = application/octet-stream); the
 * answer as client_json. */
int client_post_bytes(struct client *c, const char *path, const char *ctype, const void *data,
                      size_t len, struct client_resp *r);

/* Called for each chunk of a 2xx streaming answer; non-zero stops it. */
typedef int client_chunk_fn(const void *data, size_t len, void *arg);

/* GETs path and hands each chunk of a 2xx body to fn as it arrives (no
 * overall timeout). A non-2xx answer is read as client_json reads it.
 * Returns 0 when the answer ended (r->status), ENARX_E_IO otherwise. */
int client_stream(struct client *c, const char *path, client_chunk_fn *fn, void *arg,
                  struct client_resp *r);

void client_resp_clear(struct client_resp *r);

/* The text to show for a failed response: "401 Unauthorized: detail". */
const char *client_resp_error(const struct client_resp *r, char *buf, size_t len);

#endif
