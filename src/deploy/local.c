/* SPDX-License-Identifier: Apache-2.0 */
/* The private host of `enarx deploy` without --host (deploy.h): a child
 * process, forked here, that holds one Keep session (keep/session.h) on a
 * local backend and relays keep-protocol frames verbatim between the Keep
 * and the client over a private socketpair, as a host agent would. It
 * plays the host's part and no more: it never holds a key, and everything
 * it reads or writes is a frame (ciphertext after the evidence), which
 * the strace test checks. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/backend.h"
#include "deploy/deploy.h"
#include "keep/relay.h"
#include "keep/session.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/log.h"

#define CHUNK 65536

struct deploy_local {
	int sock; /* the client's end */
	pid_t pid;
	struct buf in; /* bytes from the host not yet a whole frame */
	int eof;
};

/* ---- the host (child) --------------------------------------------------- */

struct relay {
	int sock; /* non-blocking */
	struct keep_session *s;
	struct buf out; /* frames for the client */
	size_t out_off;
	struct buf in; /* bytes from the client */
	int in_eof, broken;
};

/* The session's observer: frame the Keep's message for the client. */
static void relay_on_message(void *ctx, uint32_t type, const uint8_t *p, size_t len)
{
	struct relay *r = ctx;
	uint8_t hdr[KP_HEADER_SIZE];

	kp_frame_header(hdr, type, len);
	if (buf_append(&r->out, hdr, sizeof(hdr)) || buf_append(&r->out, p, len))
		r->broken = 1;
}

static void relay_flush(struct relay *r)
{
	while (r->out_off < r->out.len) {
		ssize_t w = send(r->sock, r->out.data + r->out_off, r->out.len - r->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w <= 0) {
			r->broken = 1; /* the client is gone */
			return;
		}
		r->out_off += (size_t)w;
	}
	r->out.len = r->out_off = 0;
}

/* Frames from the client to the Keep, as they arrive. */
static void relay_read(struct relay *r)
{
	const uint8_t *p;
	size_t off = 0, len, used;
	uint32_t type;
	ssize_t n;

	if (buf_reserve(&r->in, CHUNK)) {
		r->broken = 1;
		return;
	}
	n = recv(r->sock, r->in.data + r->in.len, CHUNK, MSG_DONTWAIT);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		r->in_eof = 1; /* the client closed its sending side */
		keep_session_close_input(r->s);
		return;
	}
	r->in.len += (size_t)n;
	while (kp_frame_split(r->in.data + off, r->in.len - off, KP_MAX_PAYLOAD, &type, &p, &len,
	                      &used) == 0) {
		keep_session_send(r->s, type, p,
		                  len); /* a Keep that stopped reading: its end tells */
		off += used;
	}
	memmove(r->in.data, r->in.data + off, r->in.len - off);
	r->in.len -= off;
}

static int relay_main(const struct backend *be, int sock)
{
	struct keep_session_opts so = {.backend = be, .on_message = relay_on_message};
	struct keep_relay_curl relay;
	struct relay r = {.sock = sock};
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC), stdio[3], rc;

	/* the workload's stdio travels sealed in the protocol; the Keep's
	 * own fds 0 and 1 lead nowhere, 2 carries the executor's log */
	stdio[0] = stdio[1] = devnull;
	stdio[2] = STDERR_FILENO;
	so.stdio = stdio;
	so.ctx = &r;
	so.exec = backend_exec_image(&so.exec_len);
	keep_relay_curl_init(&relay);
	so.relay = &relay.base;
	rc = devnull < 0 ? ENARX_E_IO : keep_session_new(&so, &r.s);
	if (!rc)
		rc = keep_session_start(r.s);
	while (!rc && !r.broken) {
		struct pollfd pf[2] = {
		    {sock, (short)((r.in_eof ? 0 : POLLIN) | (r.out.len ? POLLOUT : 0)), 0},
		    {keep_session_fd(r.s), POLLIN, 0}};

		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[0].revents & POLLHUP)
			break; /* the client is gone: so is its Keep */
		if (pf[0].revents & POLLIN)
			relay_read(&r);
		rc = keep_session_pump(r.s);
		relay_flush(&r);
	}
	if (rc == 1 && !r.broken) {
		/* the Keep has ended: its last frames, then our end */
		fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) & ~O_NONBLOCK);
		relay_flush(&r);
	}
	keep_session_free(r.s); /* kills a Keep still running */
	buf_free(&r.out, 0);
	buf_free(&r.in, 0);
	if (devnull >= 0)
		close(devnull);
	close(sock);
	return rc < 0 ? 1 : 0;
}

/* ---- the client's transport ---------------------------------------------- */

static int l_send(void *ctx, uint32_t type, const uint8_t *p, size_t len)
{
	struct deploy_local *l = ctx;
	uint8_t hdr[KP_HEADER_SIZE];
	struct iovec v[2] = {{hdr, sizeof(hdr)}, {(void *)p, len}};
	struct msghdr m = {.msg_iov = v, .msg_iovlen = 2};

	kp_frame_header(hdr, type, len);
	while (v[0].iov_len + v[1].iov_len) {
		ssize_t w = sendmsg(l->sock, &m, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return ENARX_E_IO;
		for (int i = 0; i < 2; i++) {
			size_t k = (size_t)w < v[i].iov_len ? (size_t)w : v[i].iov_len;

			v[i].iov_base = (uint8_t *)v[i].iov_base + k;
			v[i].iov_len -= k;
			w -= (ssize_t)k;
		}
	}
	return 0;
}

static int l_recv(void *ctx, int timeout_ms, uint32_t *type, uint8_t **p, size_t *len)
{
	struct deploy_local *l = ctx;
	const uint8_t *q;
	size_t used;
	ssize_t n;
	int rc;

	for (;;) {
		rc = kp_frame_split(l->in.data, l->in.len, KEEP_SESSION_MSG_MAX, type, &q, len,
		                    &used);
		if (rc == 0) {
			*p = xmalloc(*len ? *len : 1);
			if (!*p)
				return ENARX_E_NOMEM;
			memcpy(*p, q, *len);
			memmove(l->in.data, l->in.data + used, l->in.len - used);
			l->in.len -= used;
			return 0;
		}
		if (rc != ENARX_E_TRUNCATED)
			return rc;
		if (l->eof)
			return ENARX_E_NOTFOUND;
		struct pollfd pf = {l->sock, POLLIN, 0};
		rc = poll(&pf, 1, timeout_ms);
		if (rc == 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return ENARX_E_IO;
		if (rc < 0 || buf_reserve(&l->in, CHUNK))
			continue;
		n = recv(l->sock, l->in.data + l->in.len, CHUNK, MSG_DONTWAIT);
		if (n == 0)
			l->eof = 1;
		else if (n > 0)
			l->in.len += (size_t)n;
	}
}

static void l_close_input(void *ctx)
{
	struct deploy_local *l = ctx;

	shutdown(l->sock, SHUT_WR);
}

int deploy_local_new(const struct backend *be, struct deploy_local **out,
                     struct deploy_transport *t)
{
	struct deploy_local *l = xcalloc(1, sizeof(*l));
	int sv[2];

	*out = NULL;
	if (!l)
		return ENARX_E_NOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		xfree(l);
		return ENARX_E_IO;
	}
	l->pid = fork();
	if (l->pid < 0) {
		close(sv[0]);
		close(sv[1]);
		xfree(l);
		return ENARX_E_IO;
	}
	if (l->pid == 0) {
		/* the host: never outlives the client */
		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
		_exit(relay_main(be, sv[1]));
	}
	close(sv[1]);
	l->sock = sv[0];
	*t = (struct deploy_transport){l_send, l_recv, l_close_input, l};
	*out = l;
	return 0;
}

int deploy_local_pid(const struct deploy_local *l)
{
	return (int)l->pid;
}

void deploy_local_free(struct deploy_local *l)
{
	int st;

	if (!l)
		return;
	close(l->sock); /* the host sees it hang up, stops its Keep and ends */
	while (waitpid(l->pid, &st, 0) < 0 && errno == EINTR)
		;
	buf_free(&l->in, 0);
	xfree(l);
}
