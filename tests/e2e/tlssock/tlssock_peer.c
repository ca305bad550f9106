/* SPDX-License-Identifier: Apache-2.0 */
/* Test peer for the TLSSock end-to-end tests: a TLS client or server whose
 * every option maps to one IPPROTO_TLS socket option.  Built twice: linked
 * against the library (calls tlssock_*), and with -DPLAIN as an ordinary
 * POSIX program that only works under LD_PRELOAD=libtlssock-preload.so.
 *
 *   tlssock_peer client HOST PORT [options]   send --send text (or a GET for
 *                                              --http), print what comes back
 *   tlssock_peer server PORT [options]         serve --count connections:
 *                                              echo, or HTTP with --http
 * Info lines ("info key=value") go to stderr; a failure prints
 * "error errno=NAME reason=..." and exits 2. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include <enarx/tlssock.h>

#ifdef PLAIN
#define T(name) name
#else
#define T(name) tlssock_##name
#endif

struct opts {
	const char *name, *ca, *cert, *key, *alpn, *psk_id, *psk_hex, *groups;
	const char *suites, *send, *http, *session_in, *session_out, *sni_cert;
	int min, count, require_cert, insecure, dtls, nonblock, info, no_tickets;
	int use_select, no_session_cache, repeat;
};

static const char *errname(int e)
{
	switch (e) {
	case EKEYREJECTED: return "EKEYREJECTED";
	case EKEYEXPIRED: return "EKEYEXPIRED";
	case EKEYREVOKED: return "EKEYREVOKED";
	case EPROTO: return "EPROTO";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ECONNRESET: return "ECONNRESET";
	case ECONNREFUSED: return "ECONNREFUSED";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ENOKEY: return "ENOKEY";
	case EINVAL: return "EINVAL";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case EDESTADDRREQ: return "EDESTADDRREQ";
	case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
	case EAGAIN: return "EAGAIN";
	case EPIPE: return "EPIPE";
	default: return "OTHER";
	}
}

static int fail(int fd, const char *what)
{
	int e = errno;
	char reason[256] = "";
	socklen_t len = sizeof(reason);

	if (fd >= 0)
		T(getsockopt)(fd, IPPROTO_TLS, TLS_ERROR, reason, &len);
	printf("error errno=%s what=%s reason=%s (%s)\n", errname(e), what, reason, strerror(e));
	fflush(stdout);
	exit(2);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void set_str(int fd, int opt, const char *v, const char *what)
{
	if (v && T(setsockopt)(fd, IPPROTO_TLS, opt, v, (socklen_t)strlen(v)) != 0)
		fail(fd, what);
}

static void set_int(int fd, int opt, int v, const char *what)
{
	if (T(setsockopt)(fd, IPPROTO_TLS, opt, &v, sizeof(v)) != 0)
		fail(fd, what);
}

static void configure(int fd, const struct opts *o)
{
	set_str(fd, TLS_PEER_NAME, o->name, "peer-name");
	set_str(fd, TLS_TRUST_FILE, o->ca, "ca");
	set_str(fd, TLS_CERT_CHAIN_FILE, o->cert, "cert");
	set_str(fd, TLS_PRIVATE_KEY_FILE, o->key, "key");
	set_str(fd, TLS_ALPN, o->alpn, "alpn");
	set_str(fd, TLS_GROUPS, o->groups, "groups");
	set_str(fd, TLS_CIPHER_SUITES, o->suites, "suites");
	set_str(fd, TLS_PSK_IDENTITY, o->psk_id, "psk-id");
	if (o->psk_hex) {
		unsigned char k[64];
		size_t n = strlen(o->psk_hex) / 2;

		for (size_t i = 0; i < n && i < sizeof(k); i++)
			k[i] = (unsigned char)(hexval(o->psk_hex[2 * i]) * 16 +
			                       hexval(o->psk_hex[2 * i + 1]));
		if (T(setsockopt)(fd, IPPROTO_TLS, TLS_PSK_KEY, k,
		                  (socklen_t)(n > sizeof(k) ? sizeof(k) : n)) != 0)
			fail(fd, "psk-key");
	}
	if (o->sni_cert) { /* NAME:CHAIN:KEY -> "NAME\0CHAIN\0KEY" */
		char buf[1024];
		size_t n = strlen(o->sni_cert);

		if (n >= sizeof(buf))
			fail(fd, "sni-cert");
		memcpy(buf, o->sni_cert, n + 1);
		for (size_t i = 0; i < n; i++)
			if (buf[i] == ':')
				buf[i] = '\0';
		if (T(setsockopt)(fd, IPPROTO_TLS, TLS_SNI_CERT, buf, (socklen_t)n) != 0)
			fail(fd, "sni-cert");
	}
	if (o->min)
		set_int(fd, TLS_MIN_PROTOCOL_VERSION, o->min, "min-version");
	if (o->require_cert)
		set_int(fd, TLS_REQUIRE_PEER_CERT, 1, "require-cert");
	if (o->insecure)
		set_int(fd, TLS_INSECURE_NO_VERIFY, 1, "insecure");
	if (o->no_tickets)
		set_int(fd, TLS_SESSION_TICKETS, 0, "tickets");
	if (o->no_session_cache)
		set_int(fd, TLS_SESSION_CACHE, 0, "session-cache");
	if (o->session_in) {
		unsigned char buf[8192];
		FILE *f = fopen(o->session_in, "rb");
		size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;

		if (f)
			fclose(f);
		if (n && T(setsockopt)(fd, IPPROTO_TLS, TLS_SESSION, buf, (socklen_t)n) != 0)
			fail(fd, "session-in");
	}
}

static void print_info(int fd, const struct opts *o)
{
	char cipher[128] = "", group[64] = "", alpn[64] = "", name[256] = "";
	unsigned char cert[8192];
	socklen_t l;
	int ver = 0, reused = 0, ktls = 0;

	if (!o->info)
		return;
	l = sizeof(ver);
	T(getsockopt)(fd, IPPROTO_TLS, TLS_PROTOCOL_VERSION, &ver, &l);
	l = sizeof(cipher);
	T(getsockopt)(fd, IPPROTO_TLS, TLS_CIPHER_SUITE, cipher, &l);
	l = sizeof(group);
	T(getsockopt)(fd, IPPROTO_TLS, TLS_GROUP, group, &l);
	l = sizeof(alpn);
	T(getsockopt)(fd, IPPROTO_TLS, TLS_ALPN, alpn, &l);
	l = sizeof(reused);
	T(getsockopt)(fd, IPPROTO_TLS, TLS_SESSION_REUSED, &reused, &l);
	l = sizeof(ktls);
	T(getsockopt)(fd, IPPROTO_TLS, TLS_KTLS, &ktls, &l);
	l = sizeof(name);
	T(getsockopt)(fd, IPPROTO_TLS, TLS_PEER_NAME, name, &l);
	l = sizeof(cert);
	if (T(getsockopt)(fd, IPPROTO_TLS, TLS_PEER_CERT, cert, &l) != 0)
		l = 0;
	{
		unsigned char cb[32];
		char hex[65];
		socklen_t cl = sizeof(cb);

		if (T(getsockopt)(fd, IPPROTO_TLS, TLS_CHANNEL_BINDING, cb, &cl) == 0 && cl == 32) {
			for (int i = 0; i < 32; i++)
				snprintf(hex + 2 * i, 3, "%02X", cb[i]);
			fprintf(stderr, "info channel_binding=%s\n", hex);
		}
	}
	fprintf(stderr,
	        "info version=0x%04x cipher=%s group=%s alpn=%s reused=%d ktls=%d peer_cert_der=%u "
	        "name=%s\n",
	        ver, cipher, group[0] ? group : "-", alpn[0] ? alpn : "-", reused, ktls,
	        (unsigned)l, name[0] ? name : "-");
}

static void save_session(int fd, const struct opts *o)
{
	unsigned char buf[8192];
	socklen_t l = sizeof(buf);
	FILE *f;

	if (!o->session_out)
		return;
	if (T(getsockopt)(fd, IPPROTO_TLS, TLS_SESSION, buf, &l) != 0)
		fail(fd, "get-session");
	f = fopen(o->session_out, "wb");
	if (!f || fwrite(buf, 1, l, f) != l)
		fail(-1, "session-out");
	fclose(f);
}

static int resolve(const char *host, const char *port, int dgram, struct sockaddr_storage *ss,
                   socklen_t *len)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = dgram ? SOCK_DGRAM : SOCK_STREAM};
	struct addrinfo *ai = NULL;

	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* Waits like an event loop would: poll() (tlssock_poll in library mode),
 * or select() with --select (interposed in LD_PRELOAD mode). */
static void wait_fd(int fd, short ev, const struct opts *o)
{
	struct pollfd p = {.fd = fd, .events = ev};

	if (o->use_select) {
		fd_set r, w;
		struct timeval tv = {.tv_sec = 5};

		FD_ZERO(&r);
		FD_ZERO(&w);
		if (ev & POLLIN)
			FD_SET(fd, &r);
		if (ev & POLLOUT)
			FD_SET(fd, &w);
		select(fd + 1, &r, &w, NULL, &tv);
		return;
	}
#ifdef PLAIN
	poll(&p, 1, 5000);
#else
	tlssock_poll(&p, 1, 5000);
#endif
}

/* Non-blocking connect driven by poll(), as an event loop would do it. */
static void nonblock_handshake(int fd, const struct opts *o)
{
	for (int i = 0; i < 1000; i++) {
		int want = 0;
		socklen_t l = sizeof(want);

		if (T(setsockopt)(fd, IPPROTO_TLS, TLS_HANDSHAKE, NULL, 0) == 0)
			return;
		if (errno != EAGAIN)
			fail(fd, "handshake");
		T(getsockopt)(fd, IPPROTO_TLS, TLS_HANDSHAKE_WANT, &want, &l);
		wait_fd(fd, (short)want, o);
	}
	errno = ETIMEDOUT;
	fail(fd, "handshake");
}

static void write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = T(write)(fd, buf, n);

		if (w < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};

			poll(&p, 1, 5000);
			continue;
		}
		if (w <= 0)
			fail(fd, "write");
		buf += w;
		n -= (size_t)w;
	}
}

static int client_once(const char *host, const char *port, const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[16384], req[512];
	int fd;
	ssize_t n;

	if (resolve(host, port, o->dtls, &ss, &len) != 0)
		fail(-1, "resolve");
	fd = T(socket)(ss.ss_family, o->dtls ? SOCK_DGRAM : SOCK_STREAM, IPPROTO_TLS);
	if (fd < 0)
		fail(-1, "socket");
	configure(fd, o);
	if (o->nonblock)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (T(connect)(fd, (struct sockaddr *)&ss, len) != 0) {
		if (!(o->nonblock && errno == EINPROGRESS))
			fail(fd, "connect");
		nonblock_handshake(fd, o);
	}
	print_info(fd, o);
	if (o->http) {
		snprintf(req, sizeof(req),
		         "GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", o->http,
		         o->name ? o->name : host);
		write_all(fd, req, strlen(req));
	} else if (o->send) {
		write_all(fd, o->send, strlen(o->send));
		if (!o->dtls)
			T(shutdown)(fd, SHUT_WR);
	}
	for (;;) {
		n = T(read)(fd, buf, sizeof(buf));
		if (n < 0 && errno == EAGAIN) {
			wait_fd(fd, POLLIN, o);
			continue;
		}
		if (n < 0)
			fail(fd, "read");
		if (n == 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
		if (o->dtls)
			break; /* one datagram answer */
	}
	fflush(stdout);
	save_session(fd, o);
	T(close)(fd);
	return 0;
}

static void serve_one(int c, const struct opts *o)
{
	char buf[16384];
	ssize_t n;

	print_info(c, o);
	if (o->http) {
		static const char body[] = "hello from tlssock\n";
		char resp[256];
		int used = 0;

		/* read the request head */
		while (used < (int)sizeof(buf) - 1 &&
		       (n = T(read)(c, buf + used, sizeof(buf) - 1 - (size_t)used)) > 0) {
			used += (int)n;
			buf[used] = '\0';
			if (strstr(buf, "\r\n\r\n"))
				break;
		}
		snprintf(resp, sizeof(resp),
		         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
		         "Connection: close\r\n\r\n%s",
		         sizeof(body) - 1, body);
		write_all(c, resp, strlen(resp));
		return;
	}
	while ((n = T(read)(c, buf, sizeof(buf))) > 0) {
		write_all(c, buf, (size_t)n);
		if (o->dtls)
			break;
	}
	if (n < 0)
		fprintf(stderr, "info read-error errno=%s\n", errname(errno));
}

static int server(const char *port, const struct opts *o)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd, one = 1;

	fd = T(socket)(AF_INET, o->dtls ? SOCK_DGRAM : SOCK_STREAM, IPPROTO_TLS);
	if (fd < 0)
		fail(-1, "socket");
	configure(fd, o);
	T(setsockopt)(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)strtol(port, NULL, 10));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || (!o->dtls && listen(fd, 16) != 0))
		fail(fd, "bind");
	getsockname(fd, (struct sockaddr *)&a, &len);
	printf("port=%u\n", ntohs(a.sin_port));
	fflush(stdout);
	for (int i = 0; i < o->count; i++) {
		int c = T(accept)(fd, NULL, NULL);

		if (c < 0) {
			char reason[256] = "";
			socklen_t l = sizeof(reason);
			int e = errno;

			T(getsockopt)(fd, IPPROTO_TLS, TLS_ERROR, reason, &l);
			printf("accept-error errno=%s reason=%s\n", errname(e), reason);
			fflush(stdout);
			continue;
		}
		serve_one(c, o);
		T(close)(c);
	}
	T(close)(fd);
	return 0;
}

#define STR_OPT(flag, field)                       \
	{                                          \
		flag, offsetof(struct opts, field) \
	}
static const struct {
	const char *flag;
	size_t off;
} str_opts[] = {
    STR_OPT("--name", name),
    STR_OPT("--ca", ca),
    STR_OPT("--cert", cert),
    STR_OPT("--key", key),
    STR_OPT("--alpn", alpn),
    STR_OPT("--psk-id", psk_id),
    STR_OPT("--psk-key", psk_hex),
    STR_OPT("--groups", groups),
    STR_OPT("--suites", suites),
    STR_OPT("--send", send),
    STR_OPT("--http", http),
    STR_OPT("--session-in", session_in),
    STR_OPT("--session-out", session_out),
    STR_OPT("--sni-cert", sni_cert),
};
static const struct {
	const char *flag;
	size_t off;
} flag_opts[] = {
    STR_OPT("--require-cert", require_cert),
    STR_OPT("--insecure", insecure),
    STR_OPT("--dtls", dtls),
    STR_OPT("--nonblock", nonblock),
    STR_OPT("--info", info),
    STR_OPT("--no-tickets", no_tickets),
    STR_OPT("--select", use_select),
    STR_OPT("--no-session-cache", no_session_cache),
};

/* Sets one option; returns how many arguments it used (0 = unknown). */
static int parse_one(const char *a, const char *v, struct opts *o)
{
	for (size_t k = 0; k < sizeof(str_opts) / sizeof(str_opts[0]); k++)
		if (v && strcmp(a, str_opts[k].flag) == 0) {
			memcpy((char *)o + str_opts[k].off, &v, sizeof(v));
			return 2;
		}
	for (size_t k = 0; k < sizeof(flag_opts) / sizeof(flag_opts[0]); k++)
		if (strcmp(a, flag_opts[k].flag) == 0) {
			int one = 1;

			memcpy((char *)o + flag_opts[k].off, &one, sizeof(one));
			return 1;
		}
	if (v && strcmp(a, "--min") == 0) {
		o->min = strcmp(v, "1.3") == 0 ? 0x0304 : strcmp(v, "1.2") == 0 ? 0x0303 : 1;
		return 2;
	}
	if (v && strcmp(a, "--repeat") == 0) {
		o->repeat = (int)strtol(v, NULL, 10);
		return 2;
	}
	if (v && strcmp(a, "--count") == 0) {
		o->count = (int)strtol(v, NULL, 10);
		return 2;
	}
	return 0;
}

static int parse(int argc, char **argv, int i, struct opts *o)
{
	while (i < argc) {
		int used = parse_one(argv[i], i + 1 < argc ? argv[i + 1] : NULL, o);

		if (used == 0) {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return -1;
		}
		i += used;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {.count = 1};

	if (argc >= 4 && strcmp(argv[1], "client") == 0 && parse(argc, argv, 4, &o) == 0) {
		/* --repeat N: N connections in this process (session cache) */
		for (int i = 1; i < o.repeat; i++)
			client_once(argv[2], argv[3], &o);
		return client_once(argv[2], argv[3], &o);
	}
	if (argc >= 3 && strcmp(argv[1], "server") == 0 && parse(argc, argv, 3, &o) == 0)
		return server(argv[2], &o);
	fprintf(stderr, "usage: %s client HOST PORT [opts] | server PORT [opts]\n", argv[0]);
	return 1;
}
