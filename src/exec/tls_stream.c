/* SPDX-License-Identifier: Apache-2.0 */
/* Keep TLS sessions as WASI streams (wasi_stream_ops): the guest reads and
 * writes plain text; records go to a non-blocking host socket through a
 * small BIO of our own that collects them and sends them together after
 * each SSL call, keeping what the socket would not take (bounded: the
 * writer waits, or gets EAGAIN, above OUT_LIMIT). A blocking guest fd is emulated by waiting in poll(), so one
 * code path serves both modes, and the handshake never blocks the guest's
 * sock_accept: it runs on the first read, write or poll. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "exec/tls.h"
#include "exec/tls_int.h"
#include "lib/alloc.h"
#include "lib/log.h"
#include "wasi/wasi.h"

#define OUT_LIMIT (256u << 10) /* ciphertext kept for a slow peer */
#define WRITE_MAX (256u << 10) /* plain text taken by one write call */
#define CLOSE_WAIT_MS 5000     /* flushing the last bytes at close */
#define LINGER_MS 200          /* waiting for the peer's end at close */

struct tls_stream {
	enum tls_obj_kind kind;
	SSL *ssl;
	int fd;
	int failed;   /* errno every later call returns, 0 while usable */
	int eof;      /* the peer closed the TCP stream */
	int wr_shut;  /* close_notify sent */
	uint8_t *out; /* ciphertext the socket has not taken: out[head..len) */
	size_t head, len, cap;
	char label[64];
};

/* ---- the BIO: recv() directly, send() directly or buffer ---------------- */

static BIO_METHOD *bio_meth;

static int bio_read(BIO *b, char *buf, int len)
{
	struct tls_stream *s = BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	do
		n = recv(s->fd, buf, (size_t)len, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return (int)n;
	if (n == 0) {
		s->eof = 1;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		BIO_set_retry_read(b);
	return -1;
}

static int out_append(struct tls_stream *s, const void *p, size_t n)
{
	if (s->head && s->head == s->len)
		s->head = s->len = 0;
	if (s->len + n > s->cap) {
		size_t want = s->len - s->head + n, cap = s->cap ? s->cap : 16384;
		uint8_t *nb;

		while (cap < want)
			cap *= 2;
		nb = xmalloc(cap);
		if (!nb)
			return -1;
		memcpy(nb, s->out + s->head, s->len - s->head);
		xfree(s->out);
		s->out = nb;
		s->len -= s->head;
		s->head = 0;
		s->cap = cap;
	}
	memcpy(s->out + s->len, p, n);
	s->len += n;
	return 0;
}

/* Records are collected and sent together by flush_out(), which follows
 * every SSL call: one send() per guest write instead of one per record. */
static int bio_write(BIO *b, const char *buf, int len)
{
	struct tls_stream *s = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (len > 0 && out_append(s, buf, (size_t)len))
		return -1;
	return len;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b, (void)num, (void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static BIO *bio_new(struct tls_stream *s)
{
	BIO *b;

	if (!bio_meth) {
		bio_meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "enarx-keep");
		if (!bio_meth || !BIO_meth_set_read(bio_meth, bio_read) ||
		    !BIO_meth_set_write(bio_meth, bio_write) ||
		    !BIO_meth_set_ctrl(bio_meth, bio_ctrl))
			return NULL;
	}
	b = BIO_new(bio_meth);
	if (b) {
		BIO_set_data(b, s);
		BIO_set_init(b, 1);
	}
	return b;
}

/* ---- waiting and flushing ------------------------------------------------ */

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits for ev on the socket (timeout_ms < 0: forever). 1 ready, 0 timeout. */
static int wait_fd(struct tls_stream *s, short ev, int timeout_ms)
{
	struct pollfd p = {.fd = s->fd, .events = ev};
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r > 0;
}

/* Sends buffered ciphertext. block: until all is sent (or the peer fails).
 * 0 when empty, -EAGAIN when some is left, or -errno. */
static int flush_out(struct tls_stream *s, int block)
{
	while (s->head < s->len) {
		ssize_t n = send(s->fd, s->out + s->head, s->len - s->head, MSG_NOSIGNAL);

		if (n > 0) {
			s->head += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			s->failed = errno;
			return -errno;
		}
		if (!block)
			return -EAGAIN;
		wait_fd(s, POLLOUT, -1);
	}
	s->head = s->len = 0;
	return 0;
}

/* Records why the session failed (OpenSSL's reason and, for a certificate,
 * the verification result) and makes every later call fail with e. */
static int fail(struct tls_stream *s, int e, char *why, size_t n)
{
	char buf[256] = "";
	unsigned long code = ERR_peek_last_error();
	long vr = SSL_get_verify_result(s->ssl);

	if (code)
		ERR_error_string_n(code, buf, sizeof(buf));
	if (vr != X509_V_OK)
		snprintf(why, n, "%s (certificate: %s)", buf[0] ? buf : "handshake failed",
		         X509_verify_cert_error_string(vr));
	else
		snprintf(why, n, "%s", buf[0] ? buf : strerror(e));
	ERR_clear_error();
	s->failed = e;
	return -e;
}

/* After an SSL call returned r <= 0: what to do. 1 retry after waiting
 * for *ev, 0 end of stream, or -errno (the session failed). */
static int ssl_outcome(struct tls_stream *s, int r, short *ev)
{
	char why[400];
	int e = SSL_get_error(s->ssl, r);

	*ev = POLLIN;
	switch (e) {
	case SSL_ERROR_WANT_READ: return 1;
	case SSL_ERROR_WANT_WRITE: *ev = POLLOUT; return 1;
	case SSL_ERROR_ZERO_RETURN: ERR_clear_error(); return 0;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (s->eof && SSL_is_init_finished(s->ssl))
			return 0;
		s->failed = s->failed ? s->failed : ECONNRESET;
		log_info("exec: TLS '%s': connection lost%s", s->label,
		         SSL_is_init_finished(s->ssl) ? "" : " during the handshake");
		return -s->failed;
	default:
		fail(s, ECONNABORTED, why, sizeof(why));
		log_info("exec: TLS '%s': %s refused: %s", s->label,
		         SSL_is_server(s->ssl) ? "client" : "server", why);
		return -ECONNABORTED;
	}
}

/* ---- the operations ------------------------------------------------------ */

/* One SSL_read_ex/SSL_peek_ex, waiting if block. Bytes, 0 at the end, or
 * -errno. */
static long read_one(struct tls_stream *s, void *buf, size_t len, int block, int peek)
{
	size_t got = 0;
	short ev;
	int r;

	for (;;) {
		r = peek ? SSL_peek_ex(s->ssl, buf, len, &got)
		         : SSL_read_ex(s->ssl, buf, len, &got);
		flush_out(s, 0);
		if (r == 1)
			return (long)got;
		r = ssl_outcome(s, r, &ev);
		if (r <= 0)
			return r;
		if (!block)
			return -EAGAIN;
		wait_fd(s, (short)(ev | (s->head < s->len ? POLLOUT : 0)), -1);
	}
}

static long tls_readv(void *obj, const struct iovec *v, int cnt, int nonblock, int peek)
{
	struct tls_stream *s = obj;
	size_t total = 0;
	long r;

	if (s->failed)
		return -s->failed;
	for (int i = 0; i < cnt; i++) {
		if (!v[i].iov_len)
			continue;
		/* only the first buffer may wait; later ones take what is decrypted */
		if (total && (peek || SSL_pending(s->ssl) == 0))
			break;
		r = read_one(s, v[i].iov_base, v[i].iov_len, !nonblock && !total, peek);
		if (r <= 0)
			return total ? (long)total : r;
		total += (size_t)r;
		if ((size_t)r < v[i].iov_len)
			break;
	}
	return (long)total;
}

/* Finishes the handshake if it is not done. 0 done, -EAGAIN (not block),
 * or -errno. */
static int handshake_step(struct tls_stream *s, int block)
{
	short ev;
	int r;

	while (!SSL_is_init_finished(s->ssl)) {
		r = SSL_do_handshake(s->ssl);
		flush_out(s, 0);
		if (r == 1)
			break;
		r = ssl_outcome(s, r, &ev);
		if (r <= 0)
			return r ? r : -ECONNRESET;
		if (!block)
			return -EAGAIN;
		wait_fd(s, (short)(ev | (s->head < s->len ? POLLOUT : 0)), -1);
	}
	return 0;
}

static long tls_writev(void *obj, const struct iovec *v, int cnt, int nonblock)
{
	struct tls_stream *s = obj;
	size_t total = 0, n;
	int r;

	if (s->failed)
		return -s->failed;
	if (s->wr_shut)
		return -EPIPE;
	while (s->len - s->head >= OUT_LIMIT) {
		r = flush_out(s, !nonblock);
		if (r < 0 && (r != -EAGAIN || nonblock))
			return r;
	}
	r = handshake_step(s, !nonblock);
	if (r < 0)
		return r;
	for (int i = 0; i < cnt && total < WRITE_MAX && s->len - s->head < OUT_LIMIT; i++) {
		size_t len = v[i].iov_len < WRITE_MAX - total ? v[i].iov_len : WRITE_MAX - total;
		short ev;

		if (!len)
			continue;
		r = SSL_write_ex(s->ssl, v[i].iov_base, len, &n);
		if (r != 1) {
			r = ssl_outcome(s, r, &ev);
			if (total)
				break;
			return r < 0 ? r : r == 0 ? -EPIPE : -EAGAIN;
		}
		total += n;
	}
	r = flush_out(s, !nonblock);
	if (r < 0 && r != -EAGAIN && !total)
		return r;
	return (long)total;
}

static int tls_ready(void *obj, short ev, short *wait, uint64_t *avail)
{
	struct tls_stream *s = obj;
	unsigned char c;
	size_t got;
	short want;
	int r;

	*avail = 0;
	if (s->failed || flush_out(s, 0) == -EPIPE)
		return 1; /* the call reports the error */
	if (ev == POLLOUT) {
		r = handshake_step(s, 0);
		if (r == -EAGAIN) {
			*wait = (short)(SSL_want_write(s->ssl) ? POLLOUT : POLLIN);
			*wait = (short)(*wait | (s->head < s->len ? POLLOUT : 0));
			return 0;
		}
		if (r < 0 || s->len - s->head < OUT_LIMIT)
			return 1;
		*wait = POLLOUT;
		return 0;
	}
	if (SSL_pending(s->ssl) > 0) {
		*avail = (uint64_t)SSL_pending(s->ssl);
		return 1;
	}
	/* make progress (handshake, whole records) without consuming */
	r = SSL_peek_ex(s->ssl, &c, 1, &got);
	flush_out(s, 0);
	if (r == 1) {
		*avail = (uint64_t)SSL_pending(s->ssl);
		return 1;
	}
	r = ssl_outcome(s, r, &want);
	if (r <= 0)
		return 1; /* end of stream or failure: the read says which */
	*wait = (short)(want | (s->head < s->len ? POLLOUT : 0));
	return 0;
}

static int tls_shutdown(void *obj, int how)
{
	struct tls_stream *s = obj;

	if (s->failed)
		return -s->failed;
	if ((how == SHUT_WR || how == SHUT_RDWR) && !s->wr_shut) {
		if (SSL_is_init_finished(s->ssl))
			SSL_shutdown(s->ssl); /* close_notify */
		ERR_clear_error();
		s->wr_shut = 1;
		flush_out(s, 1);
	}
	return shutdown(s->fd, how) ? -errno : 0;
}

static void *tls_accept(void *obj, int fd)
{
	struct tls_listener *l = obj;

	if (l->kind != TLS_OBJ_LISTENER)
		return NULL;
	return tls__stream_new(l->ctx, fd, 1, l->label);
}

/* The last bytes and close_notify go out, within CLOSE_WAIT_MS; then a
 * short lingering close: what the peer still sends (its own close_notify)
 * is read and dropped, since closing with unread data makes the kernel
 * reset the connection, and a reset can destroy the response the peer has
 * not read yet. */
static void stream_close(struct tls_stream *s)
{
	long end = now_ms() + CLOSE_WAIT_MS;
	char sink[4096];
	ssize_t n;

	if (!s->failed && !s->wr_shut && SSL_is_init_finished(s->ssl)) {
		SSL_shutdown(s->ssl);
		s->wr_shut = 1;
	}
	ERR_clear_error();
	while (!s->failed && flush_out(s, 0) == -EAGAIN && now_ms() < end)
		wait_fd(s, POLLOUT, (int)(end - now_ms()));
	if (s->failed || s->eof || shutdown(s->fd, SHUT_WR))
		return;
	end = now_ms() + LINGER_MS;
	for (;;) {
		n = recv(s->fd, sink, sizeof(sink), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return;
		if (n < 0 && (now_ms() >= end || !wait_fd(s, POLLIN, (int)(end - now_ms()))))
			return;
	}
}

void tls__obj_free(void *obj)
{
	struct tls_listener *l = obj;
	struct tls_stream *s = obj;

	if (!obj)
		return;
	if (l->kind == TLS_OBJ_LISTENER) {
		SSL_CTX_free(l->ctx);
		xfree(l);
		return;
	}
	stream_close(s);
	SSL_free(s->ssl);
	xfree(s->out);
	xfree(s);
}

struct tls_stream *tls__stream_new(SSL_CTX *ctx, int fd, int server, const char *label)
{
	struct tls_stream *s = xcalloc(1, sizeof(*s));
	BIO *b;

	if (!s)
		return NULL;
	s->kind = TLS_OBJ_STREAM;
	s->fd = fd;
	/* every TLS record is one send(): without this, Nagle holds a small
	 * record back until the peer's delayed ACK (40 ms) */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	snprintf(s->label, sizeof(s->label), "%s", label);
	s->ssl = SSL_new(ctx);
	b = s->ssl ? bio_new(s) : NULL;
	if (!b) {
		SSL_free(s->ssl);
		xfree(s);
		return NULL;
	}
	SSL_set_bio(s->ssl, b, b);
	if (server)
		SSL_set_accept_state(s->ssl);
	else
		SSL_set_connect_state(s->ssl);
	return s;
}

SSL *tls__stream_ssl(struct tls_stream *s)
{
	return s->ssl;
}

int tls__stream_handshake(struct tls_stream *s, int timeout_ms, char *err, size_t errlen)
{
	long end = now_ms() + timeout_ms;
	short ev;
	int r;

	while (!SSL_is_init_finished(s->ssl)) {
		r = SSL_do_handshake(s->ssl);
		flush_out(s, 0);
		if (r == 1)
			break;
		if (SSL_get_error(s->ssl, r) == SSL_ERROR_SSL) {
			fail(s, ECONNABORTED, err, errlen);
			return -1;
		}
		r = ssl_outcome(s, r, &ev);
		if (r <= 0) {
			snprintf(err, errlen,
			         "the server closed the connection during the handshake");
			return -1;
		}
		if (now_ms() >= end || !wait_fd(s, (short)(ev | (s->head < s->len ? POLLOUT : 0)),
		                                (int)(end - now_ms()))) {
			snprintf(err, errlen, "no TLS handshake within %d ms", timeout_ms);
			return -1;
		}
	}
	return 0;
}

const struct wasi_stream_ops exec_tls_ops = {
    .readv = tls_readv,
    .writev = tls_writev,
    .ready = tls_ready,
    .shutdown = tls_shutdown,
    .accept = tls_accept,
    .free = tls__obj_free,
};
