/* SPDX-License-Identifier: Apache-2.0 */
/* The HTTPS server shared by the host agent and Steward: TLS through
 * OpenSSL (one setup, self-signed at first start), bearer-token or
 * client-certificate authentication, a /v1/ route table, RFC 9457
 * problem+json errors, limits and timeouts, graceful SIGTERM. Built on
 * libevent's evhttp (docs/http.md says why). The privilege-separation
 * channel is in http/chan.h, JSON body checks in http/json.h.
 *
 * Threading: one server runs on one thread, its event loop. Every handler
 * and callback runs on that thread, and every http_* call on a server or a
 * request must be made from it (a daemon adds its own descriptors, e.g.
 * Keep output pipes or a privsep channel, to http_server_base()). */
#ifndef ENARX_HTTP_HTTP_H
#define ENARX_HTTP_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct http_server;
struct http_req;

/* Problem types (problems.def): HTTP_P_NOT_FOUND, ... */
enum http_problem {
#define X(name, status, slug, title) name,
#include "http/problems.def"
#undef X
	HTTP_P__COUNT
};

/* A route handler. It owns req from this call until it gives a final answer
 * (http_reply*, http_stream_end), which it may do later from another event
 * on the loop thread; until then the request counts as in flight. */
typedef void http_handler_fn(struct http_req *req, void *arg);

/* One entry of the route table: method ("GET"), a pattern under "/v1/"
 * whose "{name}" segments capture one path segment ("/v1/keeps/{id}"),
 * or exactly "/" (Enarx's Steward API), and the handler. The first
 * matching entry wins. A public route is served without authentication
 * (http_req_peer() then says "none" unless credentials came anyway); every
 * other path still answers 401 to an unauthenticated client. */
struct http_route {
	const char *method;
	const char *pattern;
	http_handler_fn *fn;
	bool public;
};

#define HTTP_MAX_PARAMS 4
#define HTTP_PARAM_MAX 128u /* bytes of one captured segment */

/* Captured "{name}" segments of a matched path. */
struct http_params {
	size_t n;
	char name[HTTP_MAX_PARAMS][32];
	char value[HTTP_MAX_PARAMS][HTTP_PARAM_MAX + 1];
};

/* Matches method and path (no query) against the table. Returns 0 and sets
 * *out and *params; 404 when no pattern matches the path; 405 when one does
 * but not for this method (allow then lists the methods, "GET, DELETE");
 * 400 when a captured segment is empty, longer than HTTP_PARAM_MAX or holds
 * a byte outside [A-Za-z0-9._~-] (why says which). Pure; no allocation. */
int http_route_match(const struct http_route *routes, size_t n, const char *method,
                     const char *path, const struct http_route **out, struct http_params *params,
                     char *allow, size_t allowlen, char *why, size_t whylen);

/* Checks a table at start-up: every pattern "/" or under "/v1/", braces well formed,
 * at most HTTP_MAX_PARAMS captures. Returns 0 or ENARX_E_INVAL (why set). */
int http_route_check(const struct http_route *routes, size_t n, char *why, size_t whylen);

/* Builds the RFC 9457 body for p with the given detail (may be NULL):
 * {"type","title","status","detail"}. Returns a new reference or NULL. */
json_t *http_problem_json(enum http_problem p, const char *detail);

/* Status code of p. */
int http_problem_status(enum http_problem p);

/* Server configuration. Strings are borrowed during http_server_new only.
 * Zero numeric fields take the defaults in brackets. */
struct http_conf {
	const char *listen;         /* "ADDR:PORT", "[v6]:PORT" (port 0 = any) or "unix:/path" */
	const char *name;           /* daemon name: "host" gives <state>/host-cert.pem */
	const char *state_dir;      /* where a generated certificate and key are kept */
	const char *cert_file;      /* PEM chain; NULL = <state>/<name>-cert.pem, made if absent */
	const char *key_file;       /* PEM key (mode 0600); NULL = <state>/<name>-key.pem */
	const char *client_ca_file; /* PEM CAs for client certificates (mTLS) or NULL */
	const char *token_file;     /* file holding the bearer token, or NULL */
	const char *tls_groups;     /* key exchange groups or NULL for http_tls_default_groups() */
	bool plain;                 /* serve plain HTTP: only on unix: or with insecure_plain */
	bool insecure_plain;        /* allow plain HTTP on TCP (logs a warning) */
	size_t max_body;            /* request body bytes [1 MiB] -> 413 */
	size_t max_header;          /* request line + header bytes [16 KiB] -> 431 */
	unsigned max_conns;         /* open connections [256]; more wait in the backlog */
	unsigned handshake_ms;      /* accept to TLS handshake done [5000] */
	unsigned request_ms;        /* handshake done or last response to a whole request [30000] */
	unsigned io_ms;             /* longest stall of one read or write [30000] */
	unsigned grace_ms;          /* SIGTERM: time for in-flight requests [10000] */
	unsigned json_depth;        /* JSON body nesting limit [32] */
	const struct http_route *routes; /* borrowed for the server's life */
	/* NULL-terminated name, value, name, value... added to every response,
	 * the server's own errors included (borrowed for the server's life). */
	const char *const *headers;
	size_t nroutes;
	void *arg; /* passed to handlers and on_stop */
	/* Called once on the loop thread when shutdown starts (SIGTERM, SIGINT or
	 * http_server_stop): the daemon stops its work and ends its streams. */
	void (*on_stop)(struct http_server *srv, void *arg);
};

/* Creates the TLS context (generating <state>/<name>-cert.pem and its key
 * on first start), loads the token and client CA, binds the listener.
 * Returns 0 and *out, or ENARX_E_INVAL (bad conf), ENARX_E_HTTP_TLS
 * (certificate, key, CA or policy), ENARX_E_HTTP_LISTEN, ENARX_E_IO,
 * ENARX_E_NOMEM; err (errlen bytes) names the file, address or field. */
int http_server_new(const struct http_conf *conf, struct http_server **out, char *err,
                    size_t errlen);

/* Runs the event loop until shutdown completes: SIGTERM/SIGINT or
 * http_server_stop() stop accepting, call on_stop, close idle connections,
 * let in-flight requests finish for grace_ms, then close the rest.
 * Returns 0 or ENARX_E_IO. */
int http_server_run(struct http_server *srv);

/* Starts the shutdown described above (idempotent; loop thread only). */
void http_server_stop(struct http_server *srv);

/* True once shutdown has started (handlers may refuse new work). */
bool http_server_stopping(const struct http_server *srv);

/* Closes every connection and frees everything. NULL is fine. Requests not
 * yet answered become dead: their handlers must still end them. */
void http_server_free(struct http_server *srv);

/* Bound TCP port (useful with port 0), or 0 on a Unix socket. */
uint16_t http_server_port(const struct http_server *srv);

/* "AA:BB:..." SHA-256 fingerprint of the server certificate (DER), as
 * `openssl x509 -fingerprint -sha256` prints it; "" in plain mode. Borrowed. */
const char *http_server_fingerprint(const struct http_server *srv);

/* Certificate file in use, for printing. Borrowed; "" in plain mode. */
const char *http_server_cert_file(const struct http_server *srv);

/* The loop, for the daemon's own events. Borrowed. */
struct event_base *http_server_base(struct http_server *srv);

/* Requests currently in flight (handed to a handler, not yet answered). */
unsigned http_server_in_flight(const struct http_server *srv);

/* ---- Requests: all borrowed strings live until the final answer. ---- */

/* The server the request came to (NULL after http_server_free). */
struct http_server *http_req_server(const struct http_req *req);

const char *http_req_method(const struct http_req *req);
const char *http_req_path(const struct http_req *req);

/* Value of a "{name}" capture, or NULL. */
const char *http_req_param(const struct http_req *req, const char *name);

/* First value of a request header (case-insensitive name), or NULL. */
const char *http_req_header(const struct http_req *req, const char *name);

/* Copies the first value of query parameter name ("?follow=true"),
 * percent-decoded, to out[0..outlen). Returns 1 if present, 0 if not
 * (out is then ""). */
int http_req_query(const struct http_req *req, const char *name, char *out, size_t outlen);

/* Who authenticated: "token", "cert:<subject CN>", "unix" or "none". */
const char *http_req_peer(const struct http_req *req);

/* The whole request body (already bounded by max_body); *len may be 0. */
const uint8_t *http_req_body(struct http_req *req, size_t *len);

/* Parses the body as a JSON object within the size and depth limits and
 * checks it against fields (http/json.h). Returns 0 with *out (a new
 * reference), or ENARX_E_MALFORMED after answering 400 problem+json that
 * names the problem: req is then finished and must not be used again. */
struct http_json_field;
int http_req_json(struct http_req *req, const struct http_json_field *fields, size_t nfields,
                  json_t **out);

/* Called if the client goes away before the final answer (on the loop
 * thread). The server ends req once cb returns: cb drops every pointer to
 * it, and neither cb nor anyone later may answer or use it. Without an
 * on_close callback the handler still owns a gone request and must end it
 * (its answers then go nowhere; see http_req_gone). */
void http_req_on_close(struct http_req *req, void (*cb)(struct http_req *req, void *arg),
                       void *arg);

/* The answer may take long (a long poll, a follow of a quiet stream): the
 * connection's read timeout (io_ms) no longer cuts it while req is open;
 * writes still time out, and a client that closes is still seen. Restored
 * for the next request on the connection. http_stream_begin does it. */
void http_req_hold(struct http_req *req);

/* True if the client went away; answers then go nowhere. */
bool http_req_gone(const struct http_req *req);

/* Adds a response header (before the answer starts). */
void http_reply_header(struct http_req *req, const char *name, const char *value);

/* ---- Final answers: each one ends req (the pointer is invalid after). ---- */

/* Answers with body (a reference is stolen; NULL = no body) as JSON. */
void http_reply_json(struct http_req *req, int status, json_t *body);

/* Answers with raw bytes of the given media type. */
void http_reply_bytes(struct http_req *req, int status, const char *ctype, const void *data,
                      size_t len);

/* Answers with problem+json; detail is printf-formatted (may be NULL). */
void http_reply_problem(struct http_req *req, enum http_problem p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Answers with problem+json like http_reply_problem, plus the members of
 * extra (an object, reference stolen, NULL is fine; it cannot replace
 * type, title, status or detail). */
void http_reply_problem_json(struct http_req *req, enum http_problem p, const char *detail,
                             json_t *extra);

/* ---- Streaming (chunked transfer encoding): begin, write*, end. ---- */

/* Sends the status line and headers; the body follows in chunks. */
void http_stream_begin(struct http_req *req, int status, const char *ctype);

/* Queues one chunk. Returns 0, or ENARX_E_IO once the client is gone
 * (the handler then stops producing and calls http_stream_end). */
int http_stream_write(struct http_req *req, const void *data, size_t len);

/* Bytes queued but not yet written to the socket (for back-pressure). */
size_t http_stream_pending(const struct http_req *req);

/* Ends the body and the request (final answer). */
void http_stream_end(struct http_req *req);

/* ---- TLS pieces, shared with clients of the same daemon. ---- */

/* The key exchange groups the daemons offer when the configuration names
 * none: src/crypto's default preference (ENARX_TLS_DEFAULT_GROUPS,
 * X25519MLKEM768 then X25519, ...), loading its enarx_pq provider into
 * OpenSSL on first call; NULL (the system policy's default groups) if the
 * provider cannot be loaded. One home for that decision. */
const char *http_tls_default_groups(void);

#endif
