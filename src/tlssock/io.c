/* SPDX-License-Identifier: Apache-2.0 */
/* Data transfer.  The stream BIO never blocks, so the per-socket lock is
 * held only while OpenSSL runs and a reader waiting for data does not stop
 * a writer in another thread.  Whether the caller wanted to block is asked
 * of the kernel (O_NONBLOCK, MSG_DONTWAIT) only when there is nothing to do,
 * so the fast path costs no extra system call. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/err.h>

#include "lib/alloc.h"
#include "tlssock/internal.h"
#include <enarx/tlssock.h>

/* SO_RCVTIMEO / SO_SNDTIMEO in milliseconds, -1 for none. */
static int sock_timeout(int fd, int opt)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);

	if (ts__sys()->getsockopt(fd, SOL_SOCKET, opt, &tv, &len) != 0 ||
	    (tv.tv_sec == 0 && tv.tv_usec == 0))
		return -1;
	return (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

static bool wants_nonblock(int fd, int flags)
{
	return (flags & MSG_DONTWAIT) || ts__fd_nonblock(fd);
}

/* Brings s to TS_OPEN.  0, or -1 with errno (EAGAIN for non-blocking). */
static int ready(struct ts_sock *s, unsigned long gen, int flags)
{
	switch (s->state) {
	case TS_OPEN: return 0;
	case TS_HANDSHAKE: return ts__handshake(s, gen, wants_nonblock(s->fd, flags));
	case TS_FAILED: errno = s->err_errno; return -1;
	default: errno = ENOTCONN; return -1;
	}
}

/* After a failed SSL_read/SSL_write: 1 = wait for *ev and retry, 0 = clean
 * end of stream, -1 = error (errno set, s marked failed where fatal). */
static int io_error(struct ts_sock *s, int r, short *ev, int sys_errno)
{
	int e = SSL_get_error(s->ssl, r);
	unsigned long code;

	switch (e) {
	case SSL_ERROR_WANT_READ: *ev = POLLIN; return 1;
	case SSL_ERROR_WANT_WRITE: *ev = POLLOUT; return 1;
	case SSL_ERROR_ZERO_RETURN: return 0;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_last_error() == 0) {
			ts__fail(s, sys_errno ? sys_errno : ECONNRESET, "connection error");
			s->state = TS_FAILED;
			return -1;
		}
		break;
	default: break;
	}
	code = ERR_peek_last_error();
	if (ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		ts__fail(s, ECONNRESET, "peer closed without close_notify (possible truncation)");
	else if (ERR_GET_REASON(code) == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC)
		ts__fail(s, EBADMSG, "record authentication failed");
	else
		ts__map_error(s, e, sys_errno);
	s->state = TS_FAILED;
	ts__log_failure(s, "TLS I/O");
	return -1;
}

/* Waits for ev or fails with EAGAIN (non-blocking caller or timeout). */
static int wait_or_again(struct ts_sock *s, int flags, short ev)
{
	int t, r;

	if (wants_nonblock(s->fd, flags)) {
		errno = EAGAIN;
		return -1;
	}
	t = sock_timeout(s->fd, ev == POLLIN ? SO_RCVTIMEO : SO_SNDTIMEO);
	r = ts__wait(s->fd, ev, t);
	if (r == 0)
		errno = EAGAIN;
	return r > 0 ? 0 : -1;
}

static ssize_t ts_recv(struct ts_sock *s, unsigned long gen, void *buf, size_t len, int flags)
{
	size_t got = 0, total = 0;

	if (ready(s, gen, flags) != 0)
		return -1;
	for (;;) {
		short ev = 0;
		int r, sys_errno, st;

		if (ts__lock(s, gen) != 0) /* closed by another thread */
			return total ? (ssize_t)total : -1;
		ERR_clear_error();
		errno = 0;
		if (flags & MSG_PEEK)
			r = SSL_peek_ex(s->ssl, (char *)buf + total, len - total, &got);
		else
			r = SSL_read_ex(s->ssl, (char *)buf + total, len - total, &got);
		sys_errno = errno;
		st = r == 1 ? 2 : io_error(s, r, &ev, sys_errno);
		pthread_mutex_unlock(&s->lock);
		if (st == 2) {
			total += got;
			if (!(flags & MSG_WAITALL) || total == len || (flags & MSG_PEEK))
				return (ssize_t)total;
			continue;
		}
		if (st == 0)
			return (ssize_t)total;
		if (st < 0)
			return total ? (ssize_t)total : -1;
		if (wait_or_again(s, flags, ev) != 0)
			return total ? (ssize_t)total : -1;
	}
}

static ssize_t ts_send(struct ts_sock *s, unsigned long gen, const void *buf, size_t len, int flags)
{
	size_t done = 0;

	if (ready(s, gen, flags) != 0)
		return -1;
	if (s->wr_shut) {
		errno = EPIPE;
		return -1;
	}
	if (len == 0)
		return 0;
	while (done < len) {
		size_t w = 0;
		short ev = 0;
		int r, st, sys_errno;

		if (ts__lock(s, gen) != 0)
			return done ? (ssize_t)done : -1;
		ERR_clear_error();
		errno = 0;
		r = SSL_write_ex(s->ssl, (const char *)buf + done, len - done, &w);
		sys_errno = errno;
		st = r == 1 ? 2 : io_error(s, r, &ev, sys_errno);
		pthread_mutex_unlock(&s->lock);
		if (st == 2) {
			done += w;
			continue;
		}
		if (st <= 0) {
			if (st == 0)
				errno = EPIPE;
			return done ? (ssize_t)done : -1;
		}
		if (done && wants_nonblock(s->fd, flags))
			return (ssize_t)done;
		if (wait_or_again(s, flags, ev) != 0)
			return done ? (ssize_t)done : -1;
	}
	return (ssize_t)done;
}

ssize_t tlssock_recv(int fd, void *buf, size_t len, int flags)
{
	unsigned long gen;
	struct ts_sock *s = ts__get_gen(fd, &gen);

	if (!s)
		return ts__sys()->recv(fd, buf, len, flags);
	return ts_recv(s, gen, buf, len, flags);
}

ssize_t tlssock_send(int fd, const void *buf, size_t len, int flags)
{
	unsigned long gen;
	struct ts_sock *s = ts__get_gen(fd, &gen);

	if (!s)
		return ts__sys()->send(fd, buf, len, flags);
	return ts_send(s, gen, buf, len, flags);
}

ssize_t tlssock_read(int fd, void *buf, size_t len)
{
	unsigned long gen;
	struct ts_sock *s = ts__get_gen(fd, &gen);

	if (!s)
		return ts__sys()->read(fd, buf, len);
	return ts_recv(s, gen, buf, len, 0);
}

ssize_t tlssock_write(int fd, const void *buf, size_t len)
{
	unsigned long gen;
	struct ts_sock *s = ts__get_gen(fd, &gen);

	if (!s)
		return ts__sys()->write(fd, buf, len);
	return ts_send(s, gen, buf, len, 0);
}

ssize_t tlssock_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
                         socklen_t *alen)
{
	unsigned long gen;
	struct ts_sock *s = ts__get_gen(fd, &gen);
	ssize_t n;

	if (!s)
		return ts__sys()->recvfrom(fd, buf, len, flags, addr, alen);
	n = ts_recv(s, gen, buf, len, flags);
	if (n >= 0 && addr && alen && getpeername(fd, addr, alen) != 0)
		*alen = 0;
	return n;
}

ssize_t tlssock_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr,
                       socklen_t alen)
{
	unsigned long gen;
	struct ts_sock *s = ts__get_gen(fd, &gen);

	if (!s)
		return ts__sys()->sendto(fd, buf, len, flags, addr, alen);
	if (addr && alen) {
		/* A TLS socket talks to the peer it handshook with only. */
		errno = EISCONN;
		return -1;
	}
	return ts_send(s, gen, buf, len, flags);
}

int tlssock_pending(int fd)
{
	struct ts_sock *s = ts__get(fd);
	int n = 0;

	if (!s)
		return 0;
	if (pthread_mutex_trylock(&s->lock) != 0)
		return 0;
	if (!s->closed && s->ssl && s->state == TS_OPEN)
		n = SSL_pending(s->ssl) > 0 ? SSL_pending(s->ssl) : SSL_has_pending(s->ssl);
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* One descriptor's poll translation: events to ask the kernel for, and
 * whether library-buffered data already makes it readable. */
/* A DTLS handshake must be resumed when its retransmission timer expires,
 * so a wait on such a socket is cut short to the timer. */
static int dtls_timer_ms(struct ts_sock *s, int timeout_ms)
{
	struct timeval tv;
	int t;

	if (s->type != SOCK_DGRAM || s->state != TS_HANDSHAKE ||
	    pthread_mutex_trylock(&s->lock) != 0)
		return timeout_ms;
	if (!s->closed && s->ssl && DTLSv1_get_timeout(s->ssl, &tv) == 1) {
		t = (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000) + 1;
		if (timeout_ms < 0 || t < timeout_ms)
			timeout_ms = t;
	}
	pthread_mutex_unlock(&s->lock);
	return timeout_ms;
}

static short poll_in(const struct pollfd *p, bool *buffered, int *timeout_ms)
{
	struct ts_sock *s = ts__get(p->fd);

	*buffered = false;
	if (!s)
		return p->events;
	*timeout_ms = dtls_timer_ms(s, *timeout_ms);
	if (s->state == TS_HANDSHAKE && s->want && (p->events & (POLLIN | POLLOUT)))
		return (short)((p->events & ~(POLLIN | POLLOUT)) | s->want);
	if ((p->events & POLLIN) && tlssock_pending(p->fd) > 0)
		*buffered = true;
	return p->events;
}

static short poll_out(const struct pollfd *orig, short asked, short got, bool buffered)
{
	short r = got;

	if (asked != orig->events && (got & (POLLIN | POLLOUT))) {
		/* Handshake progress possible: report what the caller asked for
		 * so it calls read/write, which drive the handshake. */
		r = (short)((got & ~(POLLIN | POLLOUT)) | (orig->events & (POLLIN | POLLOUT)));
	}
	if (buffered)
		r |= POLLIN;
	return r;
}

int tlssock_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	struct pollfd small[16], *k = small;
	bool bsmall[16], *buf = bsmall;
	int ready_now = 0, r;

	if (n > 16) {
		k = xcalloc(n, sizeof(*k));
		buf = xcalloc(n, sizeof(*buf));
		if (!k || !buf) {
			xfree(k == small ? NULL : k);
			xfree(buf == bsmall ? NULL : buf);
			errno = ENOMEM;
			return -1;
		}
	}
	for (nfds_t i = 0; i < n; i++) {
		k[i] = fds[i];
		k[i].events = poll_in(&fds[i], &buf[i], &timeout_ms);
		ready_now |= buf[i];
	}
	r = ts__sys()->poll(k, n, ready_now ? 0 : timeout_ms);
	if (r >= 0) {
		r = 0;
		for (nfds_t i = 0; i < n; i++) {
			fds[i].revents = poll_out(&fds[i], k[i].events, k[i].revents, buf[i]);
			r += fds[i].revents != 0;
		}
	}
	if (k != small) {
		xfree(k);
		xfree(buf);
	}
	return r;
}
