/* SPDX-License-Identifier: Apache-2.0 */
/* Socket life cycle: socket(), connect(), accept(), the handshake, close(),
 * and turning a failed handshake into a precise errno plus a readable reason
 * that is kept on the descriptor and logged with the peer address. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "lib/log.h"
#include "tlssock/internal.h"
#include <enarx/tlssock.h>

/* ---- the stream BIO: non-blocking sends/recvs on the kernel socket ---- */

static BIO_METHOD *bio_meth;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static int bio_write(BIO *b, const char *buf, int len)
{
	int fd = (int)(intptr_t)BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	n = ts__sys()->send(fd, buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_write(b);
	return (int)n;
}

static int bio_read(BIO *b, char *buf, int len)
{
	int fd = (int)(intptr_t)BIO_get_data(b);
	ssize_t n;

	BIO_clear_retry_flags(b);
	n = ts__sys()->recv(fd, buf, (size_t)len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		BIO_set_retry_read(b);
	return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH || cmd == BIO_CTRL_DUP;
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void bio_init(void)
{
	bio_meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
	                        "tlssock");
	if (!bio_meth)
		return;
	BIO_meth_set_write(bio_meth, bio_write);
	BIO_meth_set_read(bio_meth, bio_read);
	BIO_meth_set_ctrl(bio_meth, bio_ctrl);
	BIO_meth_set_create(bio_meth, bio_create);
}

/* kTLS needs OpenSSL's own socket BIO; use it only where the kernel has the
 * tls ULP (never true on the development machine). */
static bool kernel_has_ktls(void)
{
	static int cached = -1;
	char buf[256];
	FILE *f;

	if (cached >= 0)
		return cached;
	cached = 0;
	f = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f) && strstr(buf, "tls"))
			cached = 1;
		fclose(f);
	}
	return cached;
}

static BIO *make_bio(struct ts_sock *s)
{
	const struct ts_policy *p = ts__policy();
	BIO *b;

	if (s->type == SOCK_DGRAM)
		return BIO_new_dgram(s->fd, BIO_NOCLOSE);
	if (p && p->ktls && kernel_has_ktls())
		return BIO_new_socket(s->fd, BIO_NOCLOSE);
	pthread_once(&bio_once, bio_init);
	if (!bio_meth)
		return NULL;
	b = BIO_new(bio_meth);
	if (b)
		BIO_set_data(b, (void *)(intptr_t)s->fd);
	return b;
}

/* ---- errors ---- */

int ts__fail(struct ts_sock *s, int e, const char *fmt, ...)
{
	char msg[160], ssl[120] = "";
	unsigned long code = ERR_peek_last_error();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (code)
		ERR_error_string_n(code, ssl, sizeof(ssl));
	snprintf(s->err, sizeof(s->err), "%s%s%s", msg, *ssl ? " (" : "", *ssl ? ssl : "");
	if (*ssl) {
		size_t n = strlen(s->err);

		if (n + 1 < sizeof(s->err))
			s->err[n] = ')', s->err[n + 1] = '\0';
	}
	s->err_errno = e;
	ERR_clear_error();
	errno = e;
	return -1;
}

static const char *alert_text(int reason)
{
	if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256)
		return SSL_alert_desc_string_long(reason - SSL_AD_REASON_OFFSET);
	return NULL;
}

static int verify_errno(long vr)
{
	switch (vr) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
	case X509_V_ERR_CRL_HAS_EXPIRED: return EKEYEXPIRED;
	case X509_V_ERR_CERT_REVOKED: return EKEYREVOKED;
	default: return EKEYREJECTED;
	}
}

/* Alerts that mean "the peer did not accept our credentials". */
static bool alert_is_rejection(int alert)
{
	switch (alert) {
	case SSL_AD_BAD_CERTIFICATE:
	case SSL_AD_UNSUPPORTED_CERTIFICATE:
	case SSL_AD_CERTIFICATE_REVOKED:
	case SSL_AD_CERTIFICATE_EXPIRED:
	case SSL_AD_CERTIFICATE_UNKNOWN:
	case SSL_AD_UNKNOWN_CA:
	case SSL_AD_ACCESS_DENIED:
	case SSL_AD_CERTIFICATE_REQUIRED:
	case SSL_AD_UNKNOWN_PSK_IDENTITY: return true;
	default: return false;
	}
}

void ts__log_failure(struct ts_sock *s, const char *what)
{
	log_warn("tlssock: %s with %s failed: %s (%s)", what, s->peer[0] ? s->peer : "unknown peer",
	         s->err, strerror(s->err_errno));
}

/* Maps the state after a failed SSL call to errno + reason. */
int ts__map_error(struct ts_sock *s, int sslerr, int sys_errno)
{
	unsigned long code = ERR_peek_last_error();
	int reason = ERR_GET_REASON(code);
	long vr = SSL_get_verify_result(s->ssl);
	const char *alert = alert_text(reason);

	if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED && vr != X509_V_OK)
		return ts__fail(s, verify_errno(vr), "peer certificate rejected: %s",
		                X509_verify_cert_error_string(vr));
	if (alert && alert_is_rejection(reason - SSL_AD_REASON_OFFSET))
		return ts__fail(s, EACCES, "peer rejected our credentials: alert %s", alert);
	if (alert)
		return ts__fail(s, EPROTO, "peer aborted the handshake: alert %s", alert);
	if (sslerr == SSL_ERROR_SYSCALL && code == 0)
		return ts__fail(s, sys_errno ? sys_errno : ECONNRESET,
		                "connection closed during the handshake");
	if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		return ts__fail(s, ECONNRESET, "connection closed during the handshake");
	if (sslerr == SSL_ERROR_SYSCALL)
		return ts__fail(s, sys_errno ? sys_errno : EIO, "handshake I/O error");
	return ts__fail(s, EPROTO, "handshake failed");
}

/* ---- waiting ---- */

bool ts__fd_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && (fl & O_NONBLOCK);
}

int ts__wait(int fd, short ev, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = ev};

	for (;;) {
		int r = ts__sys()->poll(&p, 1, timeout_ms);

		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -1 : r;
	}
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- SSL object ---- */

static bool is_ip_literal(const char *name)
{
	unsigned char tmp[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, tmp) == 1 || inet_pton(AF_INET6, name, tmp) == 1;
}

static int client_names(struct ts_sock *s)
{
	const char *name = s->conf->peer_name;
	X509_VERIFY_PARAM *vp = SSL_get0_param(s->ssl);

	/* Without a name, the address connected to is what must match. */
	if (!name)
		name = s->peer_host[0] ? s->peer_host : NULL;
	if (!name || s->conf->insecure_no_verify)
		return 0;
	if (is_ip_literal(name))
		return X509_VERIFY_PARAM_set1_ip_asc(vp, name) == 1 ? 0 : -1;
	if (SSL_set_tlsext_host_name(s->ssl, name) != 1 || SSL_set1_host(s->ssl, name) != 1)
		return -1;
	X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return 0;
}

static int client_session(struct ts_sock *s)
{
	const unsigned char *p = s->conf->session;
	SSL_SESSION *sess;

	if (!p) {
		sess = ts__session_take(s, SSL_get_SSL_CTX(s->ssl));
		if (sess && SSL_set_session(s->ssl, sess) != 1)
			ERR_clear_error(); /* a stale cache entry: full handshake */
		SSL_SESSION_free(sess);
		return 0;
	}
	sess = d2i_SSL_SESSION(NULL, &p, (long)s->conf->session_len);
	if (!sess)
		return ts__fail(s, EINVAL, "TLS_SESSION does not decode");
	if (SSL_set_session(s->ssl, sess) != 1) {
		SSL_SESSION_free(sess);
		return ts__fail(s, EINVAL, "TLS_SESSION cannot be used");
	}
	SSL_SESSION_free(sess);
	return 0;
}

/* Creates s->ssl from the context ctx (borrowed). */
int ts__ssl_make(struct ts_sock *s, SSL_CTX *ctx, bool server)
{
	BIO *b;

	s->ssl = SSL_new(ctx);
	if (!s->ssl)
		return ts__fail(s, ENOMEM, "cannot create TLS session");
	SSL_set_ex_data(s->ssl, ts__ex_index(), s);
	b = make_bio(s);
	if (!b)
		return ts__fail(s, ENOMEM, "cannot create BIO");
	SSL_set_bio(s->ssl, b, b);
	s->server = server;
	if (server) {
		SSL_set_accept_state(s->ssl);
		return 0;
	}
	SSL_set_connect_state(s->ssl);
	if (client_names(s) != 0)
		return ts__fail(s, EINVAL, "cannot use peer name '%s'", s->conf->peer_name);
	if (!s->conf->peer_name && !s->peer_host[0] && !s->conf->insecure_no_verify &&
	    s->conf->psk_key_len == 0)
		return ts__fail(s, EDESTADDRREQ, "no TLS_PEER_NAME to verify the server against");
	return client_session(s);
}

void ts__fill_peer(struct ts_sock *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (getpeername(s->fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
		port = ntohs(a->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
		port = ntohs(a->sin6_port);
	}
	snprintf(s->peer, sizeof(s->peer), "%s:%u", host, port);
	snprintf(s->peer_host, sizeof(s->peer_host), "%s", host);
}

/* ---- handshake ---- */

static int handshake_step(struct ts_sock *s, bool nonblock, long long deadline)
{
	int r, e, sys_errno;

	ERR_clear_error();
	if (s->type == SOCK_DGRAM)
		DTLSv1_handle_timeout(s->ssl); /* retransmit if the timer ran out */
	errno = 0;
	r = SSL_do_handshake(s->ssl);
	if (r == 1) {
		s->state = TS_OPEN;
		s->want = 0;
		return 0;
	}
	sys_errno = errno;
	e = SSL_get_error(s->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		int left = (int)(deadline - now_ms());
		struct timeval tv;

		s->want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		if (nonblock) {
			errno = EAGAIN;
			return -1;
		}
		if (left <= 0)
			return ts__fail(s, ETIMEDOUT, "handshake timed out");
		if (s->type == SOCK_DGRAM && DTLSv1_get_timeout(s->ssl, &tv) == 1 &&
		    tv.tv_sec * 1000 + tv.tv_usec / 1000 < left)
			left = (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000) + 1;
		r = ts__wait(s->fd, (short)s->want, left);
		if (r < 0)
			return ts__fail(s, errno, "waiting for the peer");
		if (r == 0 && s->type == SOCK_DGRAM)
			DTLSv1_handle_timeout(s->ssl);
		return 1; /* again */
	}
	return ts__map_error(s, e, sys_errno);
}

int ts__handshake(struct ts_sock *s, unsigned long gen, bool nonblock)
{
	long long deadline;
	int r;

	if (ts__lock(s, gen) != 0)
		return -1;
	deadline = now_ms() + s->conf->timeout_ms;
	if (s->state == TS_OPEN) {
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	if (s->state != TS_HANDSHAKE || !s->ssl) {
		int e = s->state == TS_FAILED ? s->err_errno : ENOTCONN;

		pthread_mutex_unlock(&s->lock);
		errno = e;
		return -1;
	}
	while ((r = handshake_step(s, nonblock, deadline)) == 1)
		;
	if (r < 0 && errno != EAGAIN) {
		int e = errno;

		s->state = TS_FAILED;
		ts__log_failure(s, s->server ? "TLS handshake (server)" : "TLS handshake");
		errno = e;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* ---- public entry points ---- */

int tlssock_socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct ts_conf *c;
	struct ts_sock *s;
	int fd;

	if (protocol != IPPROTO_TLS) {
		fd = ts__sys()->socket(domain, type, protocol);
		ts__forget(fd);
		return fd;
	}
	if ((domain != AF_INET && domain != AF_INET6) ||
	    (base != SOCK_STREAM && base != SOCK_DGRAM)) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	if (!ts__policy()) {
		log_error("tlssock: refusing IPPROTO_TLS socket: %s", ts__policy_error());
		errno = ENOTRECOVERABLE;
		return -1;
	}
	fd = ts__sys()->socket(domain, type, base == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP);
	if (fd < 0)
		return -1;
	ts__forget(fd);
	if (base == SOCK_DGRAM) {
		int one = 1; /* lets accept() bind per-client sockets (dtls.c) */

		ts__sys()->setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	}
	c = ts__conf_new();
	s = c ? ts__sock_new(fd, domain, base, c) : NULL;
	if (!s || ts__put(s) != 0) {
		int e = s ? errno : ENOMEM;

		if (s)
			ts__sock_free(s);
		else
			ts__conf_unref(c);
		ts__sys()->close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int tlssock_is_tls(int fd)
{
	return ts__get(fd) != NULL;
}

/* Creates the TLS session for a connected socket in the given role. */
int ts__setup(struct ts_sock *s, unsigned long gen, bool server)
{
	SSL_CTX *ctx;
	int r;

	if (ts__lock(s, gen) != 0)
		return -1;
	ts__fill_peer(s);
	ctx = ts__conf_ctx(s, server, s->type == SOCK_DGRAM);
	r = ctx ? ts__ssl_make(s, ctx, server) : -1;
	if (r == 0 && s->type == SOCK_DGRAM) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);

		if (getpeername(s->fd, (struct sockaddr *)&ss, &len) == 0)
			BIO_ctrl(SSL_get_rbio(s->ssl), BIO_CTRL_DGRAM_SET_CONNECTED, 0, &ss);
	}
	s->state = r == 0 ? TS_HANDSHAKE : TS_FAILED;
	if (r != 0) {
		int e = errno;

		ts__log_failure(s, "TLS setup");
		errno = e;
	}
	s->want = server ? POLLIN : POLLOUT;
	pthread_mutex_unlock(&s->lock);
	return r;
}

int ts__upgrade(int fd)
{
	struct ts_conf *c;
	struct ts_sock *s;
	int domain = 0, type = 0;
	socklen_t l1 = sizeof(domain), l2 = sizeof(type);

	if (ts__get(fd))
		return 0;
	if (ts__sys()->getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l1) != 0 ||
	    ts__sys()->getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l2) != 0)
		return -1;
	if ((domain != AF_INET && domain != AF_INET6) ||
	    (type != SOCK_STREAM && type != SOCK_DGRAM)) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	if (!ts__policy()) {
		errno = ENOTRECOVERABLE;
		return -1;
	}
	c = ts__conf_new();
	s = c ? ts__sock_new(fd, domain, type, c) : NULL;
	if (!s || ts__put(s) != 0) {
		int e = s ? errno : ENOMEM;

		if (s)
			ts__sock_free(s);
		else
			ts__conf_unref(c);
		errno = e;
		return -1;
	}
	return 0;
}

int tlssock_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	unsigned long gen;
	struct ts_sock *s = ts__get_gen(fd, &gen);
	bool nonblock;
	int r;

	if (!s)
		return ts__sys()->connect(fd, addr, len);
	if (s->state != TS_NEW) {
		errno = s->state == TS_LISTEN ? EINVAL : EISCONN;
		return -1;
	}
	r = ts__sys()->connect(fd, addr, len);
	if (r < 0 && errno != EINPROGRESS)
		return -1;
	if (ts__setup(s, gen, false) != 0)
		return -1;
	nonblock = ts__fd_nonblock(fd);
	if (r < 0 || nonblock) {
		/* Non-blocking: the handshake runs on the first I/O or on
		 * setsockopt(TLS_HANDSHAKE); the caller sees EINPROGRESS. */
		s->want = POLLOUT;
		errno = EINPROGRESS;
		return -1;
	}
	return ts__handshake(s, gen, false);
}

static int accept_stream(struct ts_sock *l, unsigned long lgen, int nfd, int flags)
{
	struct ts_sock *s;
	SSL_CTX *ctx;
	unsigned long gen;
	int r;

	if (ts__lock(l, lgen) != 0) {
		ts__sys()->close(nfd);
		return -1;
	}
	l->state = TS_LISTEN;
	ctx = ts__conf_ctx(l, true, false);
	if (ctx)
		SSL_CTX_up_ref(ctx);
	s = ctx ? ts__sock_new(nfd, l->domain, l->type, ts__conf_ref(l->conf)) : NULL;
	if (ctx && !s)
		ts__conf_unref(l->conf);
	pthread_mutex_unlock(&l->lock);
	if (!s) {
		int e = errno;

		SSL_CTX_free(ctx);
		ts__sys()->close(nfd);
		errno = e;
		return -1;
	}
	ts__fill_peer(s);
	r = ts__ssl_make(s, ctx, true);
	SSL_CTX_free(ctx); /* the SSL holds its own reference */
	if (r == 0)
		r = ts__put(s);
	if (r != 0) {
		int e = errno;

		ts__sock_free(s);
		ts__sys()->close(nfd);
		errno = e;
		return -1;
	}
	s->state = TS_HANDSHAKE;
	s->want = POLLIN;
	gen = atomic_load(&s->gen);
	if (flags & SOCK_NONBLOCK)
		return nfd;
	if (ts__handshake(s, gen, false) == 0)
		return nfd;
	r = errno;
	if (ts__lock(l, lgen) == 0) {
		snprintf(l->err, sizeof(l->err), "accepted connection from %.60s: %.160s", s->peer,
		         s->err);
		l->err_errno = r;
		pthread_mutex_unlock(&l->lock);
	}
	tlssock_close(nfd);
	errno = r;
	return -1;
}

int tlssock_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	unsigned long lgen;
	struct ts_sock *l = ts__get_gen(fd, &lgen);
	int nfd;

	if (l && l->type == SOCK_DGRAM)
		return ts__dtls_accept(l, lgen, addr, len, flags);
	nfd = ts__sys()->accept4(fd, addr, len, flags);
	ts__forget(nfd);
	if (nfd < 0 || !l)
		return nfd;
	return accept_stream(l, lgen, nfd, flags);
}

int tlssock_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return tlssock_accept4(fd, addr, len, 0);
}

int tlssock_shutdown(int fd, int how)
{
	unsigned long gen;
	struct ts_sock *s = ts__get_gen(fd, &gen);

	if (s && (how == SHUT_WR || how == SHUT_RDWR) && ts__lock(s, gen) == 0) {
		if (s->state == TS_OPEN && !s->wr_shut) {
			ERR_clear_error();
			SSL_shutdown(s->ssl); /* sends close_notify */
			s->wr_shut = true;
		}
		pthread_mutex_unlock(&s->lock);
	}
	return ts__sys()->shutdown(fd, how);
}

int tlssock_close(int fd)
{
	struct ts_sock *s = ts__take(fd);

	if (s) {
		pthread_mutex_lock(&s->lock);
		if (s->state == TS_OPEN && !s->wr_shut) {
			ERR_clear_error();
			SSL_shutdown(s->ssl); /* best effort close_notify, never blocks */
		}
		ERR_clear_error();
		pthread_mutex_unlock(&s->lock);
		ts__sock_free(s);
	}
	return ts__sys()->close(fd);
}

int tlssock_strerror(int fd, char *buf, size_t len)
{
	unsigned long gen;
	struct ts_sock *s = ts__get_gen(fd, &gen);
	int n;

	if (!s || ts__lock(s, gen) != 0) {
		errno = EBADF;
		return -1;
	}
	n = snprintf(buf, len, "%s", s->err);
	pthread_mutex_unlock(&s->lock);
	return n;
}
