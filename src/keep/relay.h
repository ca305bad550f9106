/* SPDX-License-Identifier: Apache-2.0 */
/* The host half of the HTTP relay (docs/keep-protocol.md "HTTP relay"): a
 * Keep asks its untrusted host, with HTTP_REQ, to make one HTTPS request
 * for it (to Steward); the host answers with HTTP_RESP. The host checks
 * only what protects itself (scheme, size, time); the Keep verifies what
 * comes back (a chain to a Steward CA it was given, HPKE-sealed secrets).
 * keep_session (session.h) runs each request on a thread of its own
 * through the table below; relay.c fills it with a libcurl client. */
#ifndef ENARX_KEEP_RELAY_H
#define ENARX_KEEP_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "keep/proto.h"
#include "lib/buf.h"

#define KEEP_RELAY_TIMEOUT_MS 30000 /* whole exchange, by default */
#define KEEP_RELAY_MAX_INFLIGHT 4   /* requests of one Keep at a time */

/* What the host answers: status 0 means no exchange took place and body
 * holds the reason (text). ctype is NUL-terminated. */
struct keep_http_answer {
	uint32_t status;
	char ctype[KP_HTTP_FIELD_MAX + 1];
	struct buf body;
};

/* How a session relays. fetch runs on a worker thread, blocking, and must
 * give up soon once *cancel is non-zero (the session is being freed). */
struct keep_http_relay {
	void (*fetch)(const struct keep_http_relay *r, const struct kp_http_req *req,
	              const volatile int *cancel, struct keep_http_answer *ans);
};

/* The libcurl relay (relay.c). Set it up with keep_relay_curl_init(), then
 * change the fields; the session borrows it (it must outlive the session). */
struct keep_relay_curl {
	struct keep_http_relay base;
	const char *cacert;      /* PEM file of the CAs the host trusts for the
	                       server, or NULL: the system's roots */
	int allow_loopback_http; /* plain http:// to 127.0.0.1, ::1 or
	                            localhost (tests; never elsewhere) */
	long timeout_ms;         /* KEEP_RELAY_TIMEOUT_MS */
	size_t max_body;         /* KP_HTTP_BODY_MAX: larger answers fail */
};

/* Defaults: https only, KEEP_RELAY_TIMEOUT_MS, KP_HTTP_BODY_MAX, and the
 * CA file $ENARX_RELAY_CACERT names (else the system's roots). */
void keep_relay_curl_init(struct keep_relay_curl *c);

/* The check fetch makes before any connection: 0, or ENARX_E_PERM with the
 * reason in err (not http(s), http to a non-loopback host, no host). */
int keep_relay_url_check(const struct keep_relay_curl *c, const char *url, char *err,
                         size_t errlen);

#endif
