/* SPDX-License-Identifier: Apache-2.0 */
/* The executor half of the HTTP relay (relay.h): one HTTP_REQ out, wait
 * for its HTTP_RESP. */
#include "exec/relay.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "keep/proto.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

static uint32_t relay__next_id = 1; /* the executor is one thread */

static int fmt_err(char *err, size_t n, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fmt_err(char *err, size_t n, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return rc;
}

static long relay__ms_left(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(end->tv_sec - now.tv_sec) * 1000 + (end->tv_nsec - now.tv_nsec) / 1000000;
}

/* Reads frames until the HTTP_RESP with id arrives (its payload in *p). */
static int relay__wait(int fd, uint32_t id, struct kp_http_resp *r, uint8_t **p, char *err,
                       size_t n)
{
	struct timespec end;
	uint32_t type;
	size_t len;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += EXEC_HTTP_WAIT_MS / 1000;
	for (;;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		long left = relay__ms_left(&end);
		int rc;

		if (left <= 0 || poll(&pf, 1, (int)left) == 0)
			return fmt_err(err, n, ENARX_E_IO,
			               "the host gave no HTTP answer within %d s",
			               EXEC_HTTP_WAIT_MS / 1000);
		rc = kp_read(fd, &type, p, &len, KP_MAX_PAYLOAD);
		if (rc == ENARX_E_NOTFOUND || rc == ENARX_E_TRUNCATED)
			return fmt_err(err, n, ENARX_E_IO, "the host closed the keep protocol");
		if (rc)
			return fmt_err(err, n, ENARX_E_IO, "reading the keep protocol: %s",
			               enarx_strerror(rc));
		if (type != KP_HTTP_RESP) {
			xfree(*p);
			*p = NULL;
			return fmt_err(err, n, ENARX_E_IO,
			               "unexpected %s message while waiting for HTTP_RESP",
			               kp_type_name(type));
		}
		rc = kp_dec_http_resp(*p, len, r);
		if (rc) {
			xfree(*p);
			*p = NULL;
			return fmt_err(err, n, ENARX_E_IO, "malformed HTTP_RESP: %s",
			               enarx_strerror(rc));
		}
		if (r->id == id)
			return 0;
		kp_http_resp_clear(r); /* an answer to an earlier, abandoned request */
		xfree(*p);
		*p = NULL;
	}
}

int exec_http(int fd, const char *method, const char *url, const char *ctype, const char *accept,
              const void *body, size_t len, struct exec_http_resp *out, char *err, size_t errlen)
{
	struct kp_http_req q = {.id = relay__next_id++,
	                        .method = (char *)method,
	                        .url = (char *)url,
	                        .ctype = (char *)ctype,
	                        .accept = (char *)accept,
	                        .body = body,
	                        .body_len = len};
	struct kp_http_resp r;
	struct buf b = {0};
	uint8_t *p = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = kp_enc_http_req(&b, &q);
	if (rc) {
		buf_free(&b, 0);
		return fmt_err(err, errlen, ENARX_E_IO, "HTTP request to %s not sendable: %s", url,
		               enarx_strerror(rc));
	}
	rc = kp_write(fd, KP_HTTP_REQ, b.data, b.len);
	buf_free(&b, 0);
	if (rc)
		return fmt_err(err, errlen, ENARX_E_IO, "cannot send HTTP_REQ to the host");
	rc = relay__wait(fd, q.id, &r, &p, err, errlen);
	if (rc)
		return rc;
	if (r.status == 0) {
		fmt_err(err, errlen, ENARX_E_IO, "the host could not reach %s: %.*s", url,
		        (int)(r.body_len > 300 ? 300 : r.body_len), (const char *)r.body);
		kp_http_resp_clear(&r);
		xfree(p);
		return ENARX_E_IO;
	}
	out->status = r.status;
	out->ctype = r.ctype; /* taken */
	out->body = xmalloc(r.body_len + 1);
	if (out->body) {
		memcpy(out->body, r.body, r.body_len);
		out->body[r.body_len] = 0;
		out->len = r.body_len;
	}
	xfree(p);
	if (!out->body) {
		exec_http_resp_clear(out);
		return fmt_err(err, errlen, ENARX_E_IO, "out of memory");
	}
	return 0;
}

void exec_http_resp_clear(struct exec_http_resp *r)
{
	xfree(r->ctype);
	xfree(r->body);
	memset(r, 0, sizeof(*r));
}
