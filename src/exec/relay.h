/* SPDX-License-Identifier: Apache-2.0 */
/* The executor half of the HTTP relay (docs/keep-protocol.md "HTTP
 * relay"): the Keep has no network of its own to reach Steward, so it asks
 * its host, which is untrusted, to make one request for it. Whatever comes
 * back must be verified by the caller (a chain to a Steward CA it was
 * given, an HPKE-sealed secret): the host can drop, delay or forge it. */
#ifndef ENARX_EXEC_RELAY_H
#define ENARX_EXEC_RELAY_H

#include <stddef.h>
#include <stdint.h>

#define EXEC_HTTP_WAIT_MS 60000 /* the longest the executor waits for an answer */

/* An answer: the HTTP status, its Content-Type (NUL-terminated, maybe "")
 * and body (len bytes, NUL-terminated past the end for text). */
struct exec_http_resp {
	uint32_t status;
	char *ctype;
	uint8_t *body;
	size_t len;
};

/*
 * Sends HTTP_REQ on the keep-protocol socket fd and blocks until the
 * matching HTTP_RESP (at most EXEC_HTTP_WAIT_MS). Only between RUN and the
 * workload's end outside a deploy session (where the host sends nothing
 * else meanwhile): any other message is a protocol error. method is
 * upper-case ("GET", "POST"), url http(s)://..., ctype and accept may be
 * NULL, body len bytes (at most KP_HTTP_BODY_MAX).
 * Returns 0 when the host made the exchange (look at out->status; free
 * with exec_http_resp_clear), or ENARX_E_IO (no answer, a transport failure
 * the host reported, a wrong message) with the reason in err.
 */
int exec_http(int fd, const char *method, const char *url, const char *ctype, const char *accept,
              const void *body, size_t len, struct exec_http_resp *out, char *err, size_t errlen);

void exec_http_resp_clear(struct exec_http_resp *r);

#endif
