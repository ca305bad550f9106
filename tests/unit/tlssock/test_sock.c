/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the TLSSock library API in one process: a TLSSock server
 * thread and a TLSSock client over loopback, with certificates made by
 * tests/e2e/tlssock/mkcerts.sh at test time.  Covers option validation,
 * the fd table, readiness of buffered data, full-duplex use from two
 * threads, timeouts, and allocation failures. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/alloc.h"
#include <enarx/tlssock.h>

static char dir[64];
static char ca[128], cert[128], key[128];

static int group_setup(void **state)
{
	char cmd[512], pol[128];
	const char *src = getenv("ENARX_SRC");
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/tlssock-unit.XXXXXX");
	if (!src || !mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/tests/e2e/tlssock/mkcerts.sh %s/pki", src, dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(ca, sizeof(ca), "%s/pki/ca.pem", dir);
	snprintf(cert, sizeof(cert), "%s/pki/server.pem", dir);
	snprintf(key, sizeof(key), "%s/pki/server.key", dir);
	snprintf(pol, sizeof(pol), "%s/policy.conf", dir);
	f = fopen(pol, "w");
	if (!f)
		return -1;
	fputs("groups = X25519:P-256\n", f);
	fclose(f);
	setenv("ENARX_TLSSOCK_POLICY", pol, 1);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int set_str(int fd, int opt, const char *s)
{
	return tlssock_setsockopt(fd, IPPROTO_TLS, opt, s, (socklen_t)strlen(s));
}

static int set_int(int fd, int opt, int v)
{
	return tlssock_setsockopt(fd, IPPROTO_TLS, opt, &v, sizeof(v));
}

/* ---- a loopback server in a thread ---- */

enum srv_mode { SRV_ECHO, SRV_BURST, SRV_SILENT_ACCEPT };

struct srv {
	int lfd;
	int port;
	enum srv_mode mode;
	int accept_errno;
	pthread_t th;
};

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	char buf[16384];
	ssize_t n;
	int c = tlssock_accept(s->lfd, NULL, NULL);

	if (c < 0) {
		s->accept_errno = errno;
		return NULL;
	}
	if (s->mode == SRV_BURST) {
		memset(buf, 'b', 1000);
		tlssock_write(c, buf, 1000); /* one record */
		tlssock_read(c, buf, 1);     /* wait for the client to finish */
	} else {
		while ((n = tlssock_read(c, buf, sizeof(buf))) > 0) {
			size_t off = 0;

			while (off < (size_t)n) {
				ssize_t w = tlssock_write(c, buf + off, (size_t)n - off);

				if (w <= 0)
					break;
				off += (size_t)w;
			}
		}
	}
	tlssock_close(c);
	return NULL;
}

static void srv_start(struct srv *s, enum srv_mode mode, int timeout_ms)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->lfd = tlssock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS);
	assert_true(s->lfd >= 0);
	if (mode != SRV_SILENT_ACCEPT || timeout_ms) {
		assert_int_equal(set_str(s->lfd, TLS_CERT_CHAIN_FILE, cert), 0);
		assert_int_equal(set_str(s->lfd, TLS_PRIVATE_KEY_FILE, key), 0);
	}
	if (timeout_ms)
		assert_int_equal(set_int(s->lfd, TLS_HANDSHAKE_TIMEOUT, timeout_ms), 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &len), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

static void srv_stop(struct srv *s)
{
	pthread_join(s->th, NULL);
	tlssock_close(s->lfd);
}

static int client_connect(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                        .sin_port = htons((uint16_t)port)};
	int fd = tlssock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS);

	assert_true(fd >= 0);
	assert_int_equal(set_str(fd, TLS_TRUST_FILE, ca), 0);
	assert_int_equal(set_str(fd, TLS_PEER_NAME, "localhost"), 0);
	if (tlssock_connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		int e = errno;

		tlssock_close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* ---- tests ---- */

static void test_socket_args(void **state)
{
	int fd;

	(void)state;
	errno = 0;
	assert_int_equal(tlssock_socket(AF_UNIX, SOCK_STREAM, IPPROTO_TLS), -1);
	assert_int_equal(errno, EPROTONOSUPPORT);
	assert_int_equal(tlssock_socket(AF_INET, SOCK_RAW, IPPROTO_TLS), -1);
	assert_int_equal(errno, EPROTONOSUPPORT);
	fd = tlssock_socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_false(tlssock_is_tls(fd));
	assert_int_equal(tlssock_close(fd), 0);
}

static void test_fd_table(void **state)
{
	int fd = tlssock_socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TLS);
	int proto = 0;
	socklen_t len = sizeof(proto);
	char err[8];

	(void)state;
	assert_true(fd >= 0);
	assert_true(tlssock_is_tls(fd));
	assert_int_equal(tlssock_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len), 0);
	assert_int_equal(proto, IPPROTO_TLS);
	assert_int_equal(tlssock_close(fd), 0);
	assert_false(tlssock_is_tls(fd));
	assert_int_equal(tlssock_strerror(fd, err, sizeof(err)), -1);
	assert_int_equal(errno, EBADF);
}

/* A TLS fd closed behind TLSSock's back (here: libc close, as fclose would
 * do) must not make the next socket with the same number look like TLS. */
static void test_stale_entry_dropped(void **state)
{
	int fd = tlssock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS), fd2;

	(void)state;
	assert_true(tlssock_is_tls(fd));
	close(fd); /* not tlssock_close */
	fd2 = tlssock_socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(fd2, fd); /* the kernel reuses the lowest number */
	assert_false(tlssock_is_tls(fd2));
	tlssock_close(fd2);
}

static void test_option_validation(void **state)
{
	int fd = tlssock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS);
	unsigned char key16[16] = {1}, small[8] = {1};
	char buf[64];
	socklen_t len;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(tlssock_setsockopt(fd, IPPROTO_TLS, TLS_PEER_NAME, "", 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(tlssock_setsockopt(fd, IPPROTO_TLS, TLS_PEER_NAME, "a\0b", 3), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(tlssock_setsockopt(fd, IPPROTO_TLS, TLS_PEER_NAME, "host\0", 5), 0);
	len = sizeof(buf);
	assert_int_equal(tlssock_getsockopt(fd, IPPROTO_TLS, TLS_PEER_NAME, buf, &len), 0);
	assert_string_equal(buf, "host");
	assert_int_equal(len, 5);
	len = 2;
	assert_int_equal(tlssock_getsockopt(fd, IPPROTO_TLS, TLS_PEER_NAME, buf, &len), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(len, 5); /* size needed */
	assert_int_equal(tlssock_setsockopt(fd, IPPROTO_TLS, TLS_PSK_KEY, small, sizeof(small)),
	                 -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(tlssock_setsockopt(fd, IPPROTO_TLS, TLS_PSK_KEY, key16, sizeof(key16)), 0);
	len = sizeof(buf);
	assert_int_equal(tlssock_getsockopt(fd, IPPROTO_TLS, TLS_PSK_KEY, buf, &len), -1);
	assert_int_equal(errno, EPERM); /* secrets are write-only */
	assert_int_equal(set_int(fd, TLS_MIN_PROTOCOL_VERSION, 0x0301), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(set_int(fd, TLS_MIN_PROTOCOL_VERSION, 0x0304), 0);
	assert_int_equal(set_str(fd, TLS_ALPN, "h2,,x"), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(set_str(fd, TLS_GROUPS, "P-384"), -1);
	assert_int_equal(errno, EPERM); /* the test policy allows X25519:P-256 only */
	len = sizeof(buf);
	assert_int_equal(tlssock_getsockopt(fd, IPPROTO_TLS, TLS_ERROR, buf, &len), 0);
	assert_non_null(strstr(buf, "not allowed by the system policy"));
	assert_int_equal(set_str(fd, TLS_GROUPS, "prime256v1"), 0); /* alias of P-256 */
	/* TLS_SNI_CERT: exactly three non-empty NUL-separated parts, 8 names */
	assert_int_equal(tlssock_setsockopt(fd, IPPROTO_TLS, TLS_SNI_CERT, "a\0b", 3), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(tlssock_setsockopt(fd, IPPROTO_TLS, TLS_SNI_CERT, "a\0\0c", 4), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(tlssock_setsockopt(fd, IPPROTO_TLS, TLS_SNI_CERT, "a\0b\0c\0d", 7), -1);
	assert_int_equal(errno, EINVAL);
	for (int i = 0; i < 9; i++) {
		char e[32];
		int n = snprintf(e, sizeof(e), "h%d.example%cc.pem%ck.pem", i, 0, 0);

		assert_int_equal(tlssock_setsockopt(fd, IPPROTO_TLS, TLS_SNI_CERT, e, (socklen_t)n),
		                 i < 8 ? 0 : -1);
	}
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(
	    tlssock_setsockopt(fd, IPPROTO_TLS, TLS_SNI_CERT, "H0.EXAMPLE\0c2.pem\0k2.pem", 24),
	    0); /* same name: replaces */
	assert_int_equal(set_int(fd, 9999, 1), -1);
	assert_int_equal(errno, ENOPROTOOPT);
	len = sizeof(buf);
	assert_int_equal(tlssock_getsockopt(fd, IPPROTO_TLS, TLS_SESSION, buf, &len), -1);
	assert_int_equal(errno, ENOTCONN);
	tlssock_close(fd);
}

static void test_echo_and_info(void **state)
{
	struct srv s;
	char buf[256], name[64];
	int fd, v = 0;
	socklen_t len;

	(void)state;
	srv_start(&s, SRV_ECHO, 0);
	fd = client_connect(s.port);
	assert_true(fd >= 0);
	assert_int_equal(tlssock_write(fd, "ping", 4), 4);
	assert_int_equal(tlssock_read(fd, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "ping", 4);
	len = sizeof(v);
	assert_int_equal(tlssock_getsockopt(fd, IPPROTO_TLS, TLS_PROTOCOL_VERSION, &v, &len), 0);
	assert_int_equal(v, 0x0304);
	len = sizeof(name);
	assert_int_equal(tlssock_getsockopt(fd, IPPROTO_TLS, TLS_GROUP, name, &len), 0);
	assert_string_equal(name, "x25519");
	len = 10;
	assert_int_equal(tlssock_getsockopt(fd, IPPROTO_TLS, TLS_PEER_CERT, buf, &len), -1);
	assert_int_equal(errno, ERANGE);
	assert_true(len > 100);
	/* configuration is frozen once the handshake is done */
	assert_int_equal(set_str(fd, TLS_PEER_NAME, "other"), -1);
	assert_int_equal(errno, EISCONN);
	tlssock_shutdown(fd, SHUT_WR);
	assert_int_equal(tlssock_read(fd, buf, sizeof(buf)), 0); /* clean close_notify */
	tlssock_close(fd);
	srv_stop(&s);
}

/* Decrypted bytes left inside the library must make the fd readable in
 * tlssock_poll even though the kernel socket has nothing. */
static void test_pending_and_poll(void **state)
{
	struct srv s;
	char buf[1000];
	struct pollfd p;
	int fd;

	(void)state;
	srv_start(&s, SRV_BURST, 0);
	fd = client_connect(s.port);
	assert_true(fd >= 0);
	assert_int_equal(tlssock_read(fd, buf, 10), 10);
	assert_int_equal(tlssock_pending(fd), 990);
	p = (struct pollfd){.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 0), 0); /* the raw fd alone would miss it */
	p.revents = 0;
	assert_int_equal(tlssock_poll(&p, 1, 1000), 1);
	assert_true(p.revents & POLLIN);
	assert_int_equal(tlssock_read(fd, buf, sizeof(buf)), 990);
	assert_int_equal(tlssock_pending(fd), 0);
	tlssock_write(fd, "x", 1);
	tlssock_close(fd);
	srv_stop(&s);
}

/* epoll is not interposed; the documented rule is to read until EAGAIN
 * after each wake-up (what edge-triggered epoll requires anyway).  The
 * server sends one 1000-byte record; reading it in 10-byte pieces leaves
 * bytes buffered in the library, and draining to EAGAIN gets them all. */
static void test_epoll_edge_triggered(void **state)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET}, out;
	struct srv s;
	char buf[10];
	size_t total = 0;
	int fd, ep;

	(void)state;
	srv_start(&s, SRV_BURST, 0);
	fd = client_connect(s.port);
	assert_true(fd >= 0);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = fd;
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	while (total < 1000) {
		ssize_t n;

		assert_int_equal(epoll_wait(ep, &out, 1, 5000), 1);
		while ((n = tlssock_read(fd, buf, sizeof(buf))) > 0)
			total += (size_t)n;
		assert_int_equal(n, -1);
		assert_int_equal(errno, EAGAIN);
	}
	assert_int_equal(total, 1000);
	assert_int_equal(tlssock_pending(fd), 0);
	close(ep);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	tlssock_write(fd, "x", 1);
	tlssock_close(fd);
	srv_stop(&s);
}

struct duplex {
	int fd;
	size_t total;
	size_t got;
};

static void *duplex_reader(void *arg)
{
	struct duplex *d = arg;
	char buf[32768];

	while (d->got < d->total) {
		ssize_t n = tlssock_read(d->fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		d->got += (size_t)n;
	}
	return NULL;
}

/* One thread writes 8 MiB while another reads the echo: a lock held across
 * a blocking read would deadlock here. */
static void test_full_duplex(void **state)
{
	static char chunk[65536];
	struct duplex d = {.total = 8u << 20};
	struct srv s;
	pthread_t rd;
	size_t sent = 0;

	(void)state;
	srv_start(&s, SRV_ECHO, 0);
	d.fd = client_connect(s.port);
	assert_true(d.fd >= 0);
	memset(chunk, 'd', sizeof(chunk));
	assert_int_equal(pthread_create(&rd, NULL, duplex_reader, &d), 0);
	while (sent < d.total) {
		ssize_t w = tlssock_write(d.fd, chunk, sizeof(chunk));

		assert_true(w > 0);
		sent += (size_t)w;
	}
	pthread_join(rd, NULL);
	assert_int_equal(d.got, d.total);
	tlssock_shutdown(d.fd, SHUT_WR);
	tlssock_close(d.fd);
	srv_stop(&s);
}

static void test_server_without_cert(void **state)
{
	struct srv s;
	int fd;

	(void)state;
	srv_start(&s, SRV_SILENT_ACCEPT, 0);
	fd = client_connect(s.port); /* server fails before any handshake */
	assert_int_equal(fd, -1);
	srv_stop(&s);
	assert_int_equal(s.accept_errno, ENOKEY);
}

static void test_handshake_timeout(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct timespec t0, t1;
	struct srv s;
	long ms;
	int fd;

	(void)state;
	srv_start(&s, SRV_SILENT_ACCEPT, 300);
	a.sin_port = htons((uint16_t)s.port);
	fd = socket(AF_INET, SOCK_STREAM, 0); /* plain TCP peer that never speaks */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	srv_stop(&s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_int_equal(s.accept_errno, ETIMEDOUT);
	assert_true(ms >= 250 && ms < 5000);
	close(fd);
}

static void test_nonblocking_read_again(void **state)
{
	struct srv s;
	char buf[16];
	int fd;

	(void)state;
	srv_start(&s, SRV_ECHO, 0);
	fd = client_connect(s.port);
	assert_true(fd >= 0);
	assert_int_equal(tlssock_recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	assert_int_equal(tlssock_read(fd, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	tlssock_close(fd);
	srv_stop(&s);
}

struct starttls {
	int lfd;
	char sni[64];
	char got[16];
};

static void *starttls_server(void *arg)
{
	struct starttls *t = arg;
	int c = accept(t->lfd, NULL, NULL), p = IPPROTO_TLS, role = TLS_ROLE_SERVER;
	char buf[16];
	socklen_t len = sizeof(t->sni);

	/* plain-text phase, then the upgrade */
	if (c < 0 || read(c, buf, 9) != 9 || write(c, "GO\n", 3) != 3)
		return NULL;
	if (tlssock_setsockopt(c, SOL_SOCKET, SO_PROTOCOL, &p, sizeof(p)) != 0 ||
	    set_str(c, TLS_CERT_CHAIN_FILE, cert) != 0 ||
	    set_str(c, TLS_PRIVATE_KEY_FILE, key) != 0 ||
	    tlssock_setsockopt(c, IPPROTO_TLS, TLS_HANDSHAKE, &role, sizeof(role)) != 0)
		return NULL;
	tlssock_getsockopt(c, IPPROTO_TLS, TLS_PEER_NAME, t->sni, &len);
	if (tlssock_read(c, t->got, 6) == 6)
		tlssock_write(c, "secret", 6);
	tlssock_close(c);
	return NULL;
}

/* STARTTLS: a TCP connection that starts in plain text becomes TLS with
 * SO_PROTOCOL and TLS_HANDSHAKE with a role; the server reads the SNI. */
static void test_starttls(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	struct starttls t = {0};
	int fd, p = IPPROTO_TLS, role = TLS_ROLE_CLIENT, bad = 7, v = 0;
	pthread_t th;
	char buf[16] = "";

	(void)state;
	t.lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(t.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(t.lfd, 1), 0);
	assert_int_equal(getsockname(t.lfd, (struct sockaddr *)&a, &len), 0);
	assert_int_equal(pthread_create(&th, NULL, starttls_server, &t), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(fd, "STARTTLS\n", 9), 9);
	assert_int_equal(read(fd, buf, 3), 3);
	assert_false(tlssock_is_tls(fd));
	assert_int_equal(tlssock_setsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &p, sizeof(p)), 0);
	assert_true(tlssock_is_tls(fd));
	assert_int_equal(set_str(fd, TLS_TRUST_FILE, ca), 0);
	assert_int_equal(set_str(fd, TLS_PEER_NAME, "localhost"), 0);
	assert_int_equal(tlssock_setsockopt(fd, IPPROTO_TLS, TLS_HANDSHAKE, &bad, sizeof(bad)), -1);
	assert_int_equal(errno, EINVAL); /* the role must be given */
	assert_int_equal(tlssock_setsockopt(fd, IPPROTO_TLS, TLS_HANDSHAKE, &role, sizeof(role)),
	                 0);
	len = sizeof(v);
	assert_int_equal(tlssock_getsockopt(fd, IPPROTO_TLS, TLS_PROTOCOL_VERSION, &v, &len), 0);
	assert_int_equal(v, 0x0304);
	assert_int_equal(tlssock_write(fd, "hidden", 6), 6);
	assert_int_equal(tlssock_read(fd, buf, 6), 6);
	assert_memory_equal(buf, "secret", 6);
	pthread_join(th, NULL);
	assert_memory_equal(t.got, "hidden", 6);
	assert_string_equal(t.sni, "localhost");
	tlssock_close(fd);
	close(t.lfd);
}

static void test_cipher_suite_option(void **state)
{
	int fd = tlssock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS);

	(void)state;
	assert_int_equal(
	    set_str(fd, TLS_CIPHER_SUITES, "TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256"),
	    0);
	assert_int_equal(set_str(fd, TLS_CIPHER_SUITES, "TLS_AES_128_CCM_8_SHA256"), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(set_str(fd, TLS_CIPHER_SUITES, "AES128-SHA"), -1);
	assert_int_equal(errno, EPERM); /* no forward secrecy: not in the policy */
	tlssock_close(fd);
}

struct blocked_reader {
	int fd;
	ssize_t r;
	int e;
};

static void *blocked_read(void *arg)
{
	struct blocked_reader *b = arg;
	char buf[64];

	b->r = tlssock_read(b->fd, buf, sizeof(buf));
	b->e = errno;
	return NULL;
}

/* One thread is blocked in read while another shuts the socket down,
 * closes it and opens new TLS sockets (which reuse the freed state).  The
 * reader must come back with an error or end of file, never touch freed or
 * reused state (ASan checks), never read another socket's data. */
static void test_close_while_reading(void **state)
{
	(void)state;
	for (int i = 0; i < 20; i++) {
		struct blocked_reader b = {.r = 99};
		struct srv s;
		pthread_t th;
		int other;

		srv_start(&s, SRV_ECHO, 0);
		b.fd = client_connect(s.port);
		assert_true(b.fd >= 0);
		assert_int_equal(pthread_create(&th, NULL, blocked_read, &b), 0);
		usleep(2000 * (unsigned)(i % 5));
		tlssock_shutdown(b.fd, SHUT_RDWR); /* wakes the reader */
		tlssock_close(b.fd);
		other = tlssock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS);
		pthread_join(th, NULL);
		assert_true(b.r <= 0);
		/* EBADF: woke after the close; ENOTCONN: started after it, when
		 * the number already named the new, unconnected socket. */
		if (b.r < 0 && b.e != EBADF && b.e != ECONNRESET && b.e != EPIPE && b.e != EPROTO &&
		    b.e != ENOTCONN)
			fail_msg("reader failed with %s", strerror(b.e));
		tlssock_close(other);
		srv_stop(&s);
	}
}

static void test_alloc_failure(void **state)
{
	int fd, before = -1;

	(void)state;
	/* Warm up lazily created state, then fail every allocation. */
	fd = tlssock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS);
	tlssock_close(fd);
	before = dup(0);
	close(before);
	alloc_fail_after(1);
	fd = tlssock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS);
	alloc_fail_after(0);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ENOMEM);
	fd = dup(0); /* no descriptor leaked by the failed call */
	assert_int_equal(fd, before);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_socket_args),
	    cmocka_unit_test(test_fd_table),
	    cmocka_unit_test(test_stale_entry_dropped),
	    cmocka_unit_test(test_option_validation),
	    cmocka_unit_test(test_echo_and_info),
	    cmocka_unit_test(test_pending_and_poll),
	    cmocka_unit_test(test_epoll_edge_triggered),
	    cmocka_unit_test(test_full_duplex),
	    cmocka_unit_test(test_server_without_cert),
	    cmocka_unit_test(test_handshake_timeout),
	    cmocka_unit_test(test_nonblocking_read_again),
	    cmocka_unit_test(test_starttls),
	    cmocka_unit_test(test_cipher_suite_option),
	    cmocka_unit_test(test_close_while_reading),
	    cmocka_unit_test(test_alloc_failure),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
