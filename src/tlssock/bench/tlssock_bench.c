/* SPDX-License-Identifier: Apache-2.0 */
/* TLSSock benchmark: the same work done through TLSSock and directly with
 * OpenSSL, side by side, over loopback.  Bulk transfer (MiB/s, client to
 * server) and full handshakes per second (new TCP connection, TLS 1.3
 * handshake, close).  Each implementation has its own server process.  The
 * work is done in rounds; in every round both implementations do one batch,
 * in alternating order, so load that comes and goes on a shared machine hits
 * both alike.  Rates are totals over all rounds: per wall-clock second, and
 * per CPU second of client plus server (much less sensitive to other load).
 *
 *   tlssock-bench [--mib N] [--handshakes N] [--reps ROUNDS] [--only openssl|tlssock]
 *   (N per round; defaults 16 MiB, 25 handshakes, 30 rounds)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <enarx/tlssock.h>

#define CHUNK 65536

static char dir[64], cert_path[128], key_path[128], policy_path[128];
static size_t bulk_bytes = (size_t)16 << 20; /* per round */
static int handshakes = 25;                  /* per round */
static int reps = 30;
static int only = -1; /* --only openssl|tlssock: profile one side */

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "tlssock-bench: %s: %s\n", what, strerror(errno));
	ERR_print_errors_fp(stderr);
	exit(1);
}

/* Self-signed P-256 certificate for localhost, written to dir. */
static void make_pki(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/tlssock-bench.XXXXXX");
	if (!k || !x || !mkdtemp(dir))
		die("pki");
	snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", dir);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", dir);
	snprintf(policy_path, sizeof(policy_path), "%s/policy.conf", dir);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:localhost");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (!X509_sign(x, k, EVP_sha256()))
		die("sign");
	f = fopen(cert_path, "w");
	if (!f || !PEM_write_X509(f, x))
		die("write cert");
	fclose(f);
	f = fopen(key_path, "w");
	if (!f || !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL))
		die("write key");
	fclose(f);
	f = fopen(policy_path, "w"); /* empty: built-in defaults */
	if (f)
		fclose(f);
	setenv("ENARX_TLSSOCK_POLICY", policy_path, 1);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void cleanup_pki(void)
{
	unlink(cert_path);
	unlink(key_path);
	unlink(policy_path);
	rmdir(dir);
}

/* ---------------- one implementation = these five calls ---------------- */

struct impl {
	const char *name;
	int (*listen_fd)(int tcp_fd);               /* configure a listener */
	int (*accept_conn)(int lfd, void **conn);   /* accept + handshake */
	int (*connect_conn)(int port, void **conn); /* connect + handshake */
	ssize_t (*rd)(void *conn, void *buf, size_t n);
	ssize_t (*wr)(void *conn, const void *buf, size_t n);
	void (*close_conn)(void *conn);
};

static int tcp_listener(int proto, int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int one = 1;
	int fd =
	    proto ? tlssock_socket(AF_INET, SOCK_STREAM, proto) : socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		die("listen");
	*port = ntohs(a.sin_port);
	return fd;
}

static struct sockaddr_in loop_addr(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	                        .sin_port = htons((uint16_t)port)};
	return a;
}

/* --- direct OpenSSL: what a careful program would write by hand --- */

static SSL_CTX *srv_ctx, *cli_ctx;

static int ossl_listen(int fd)
{
	srv_ctx = SSL_CTX_new(TLS_server_method());
	if (!srv_ctx || SSL_CTX_use_certificate_chain_file(srv_ctx, cert_path) != 1 ||
	    SSL_CTX_use_PrivateKey_file(srv_ctx, key_path, SSL_FILETYPE_PEM) != 1)
		die("server ctx");
	SSL_CTX_set_min_proto_version(srv_ctx, TLS1_2_VERSION);
	return fd;
}

static int ossl_accept(int lfd, void **conn)
{
	int fd = accept(lfd, NULL, NULL);
	SSL *ssl;

	if (fd < 0)
		return -1;
	ssl = SSL_new(srv_ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1) {
		SSL_free(ssl);
		close(fd);
		return -1;
	}
	*conn = ssl;
	return 0;
}

static int ossl_connect(int port, void **conn)
{
	struct sockaddr_in a = loop_addr(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	SSL *ssl;

	if (!cli_ctx) {
		cli_ctx = SSL_CTX_new(TLS_client_method());
		if (!cli_ctx || SSL_CTX_load_verify_locations(cli_ctx, cert_path, NULL) != 1)
			die("client ctx");
		SSL_CTX_set_verify(cli_ctx, SSL_VERIFY_PEER, NULL);
		SSL_CTX_set_min_proto_version(cli_ctx, TLS1_2_VERSION);
	}
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		die("connect");
	ssl = SSL_new(cli_ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "localhost");
	SSL_set1_host(ssl, "localhost");
	if (SSL_connect(ssl) != 1)
		die("SSL_connect");
	*conn = ssl;
	return 0;
}

static ssize_t ossl_rd(void *c, void *buf, size_t n)
{
	size_t got = 0;

	return SSL_read_ex(c, buf, n, &got) == 1 ? (ssize_t)got : 0;
}

static ssize_t ossl_wr(void *c, const void *buf, size_t n)
{
	size_t w = 0;

	return SSL_write_ex(c, buf, n, &w) == 1 ? (ssize_t)w : -1;
}

static void ossl_close(void *c)
{
	int fd = SSL_get_fd(c);

	SSL_shutdown(c);
	SSL_free(c);
	close(fd);
}

/* --- TLSSock: sockets and options only --- */

static int ts_listen(int fd)
{
	if (tlssock_setsockopt(fd, IPPROTO_TLS, TLS_CERT_CHAIN_FILE, cert_path,
	                       (socklen_t)strlen(cert_path)) ||
	    tlssock_setsockopt(fd, IPPROTO_TLS, TLS_PRIVATE_KEY_FILE, key_path,
	                       (socklen_t)strlen(key_path)))
		die("tlssock listener options");
	return fd;
}

static int ts_accept(int lfd, void **conn)
{
	int fd = tlssock_accept(lfd, NULL, NULL);

	if (fd < 0)
		return -1;
	*conn = (void *)(intptr_t)fd;
	return 0;
}

static int ts_connect(int port, void **conn)
{
	struct sockaddr_in a = loop_addr(port);
	int fd = tlssock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS);

	if (fd < 0 ||
	    tlssock_setsockopt(fd, IPPROTO_TLS, TLS_TRUST_FILE, cert_path,
	                       (socklen_t)strlen(cert_path)) ||
	    tlssock_setsockopt(fd, IPPROTO_TLS, TLS_PEER_NAME, "localhost", 9) ||
	    /* full handshakes, as the direct OpenSSL side does */
	    tlssock_setsockopt(fd, IPPROTO_TLS, TLS_SESSION_CACHE, &(int){0}, sizeof(int)) ||
	    tlssock_connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		die("tlssock connect");
	*conn = (void *)(intptr_t)fd;
	return 0;
}

static ssize_t ts_rd(void *c, void *buf, size_t n)
{
	return tlssock_read((int)(intptr_t)c, buf, n);
}

static ssize_t ts_wr(void *c, const void *buf, size_t n)
{
	return tlssock_write((int)(intptr_t)c, buf, n);
}

static void ts_close(void *c)
{
	tlssock_close((int)(intptr_t)c);
}

static const struct impl impls[2] = {
    {"direct OpenSSL", ossl_listen, ossl_accept, ossl_connect, ossl_rd, ossl_wr, ossl_close},
    {"TLSSock", ts_listen, ts_accept, ts_connect, ts_rd, ts_wr, ts_close},
};

/* ---------------- the two workloads ---------------- */

enum work { BULK, HANDSHAKE };

static void server_child(const struct impl *im, int lfd, enum work w)
{
	static char buf[CHUNK];
	void *c;

	for (;;) {
		if (im->accept_conn(lfd, &c) != 0)
			continue;
		if (w == BULK) {
			size_t got = 0;
			ssize_t n;

			while (got < bulk_bytes && (n = im->rd(c, buf, sizeof(buf))) > 0)
				got += (size_t)n;
			im->wr(c, "k", 1);
		}
		im->close_conn(c);
	}
}

static double cpu_s(const struct rusage *r)
{
	return (double)r->ru_utime.tv_sec + (double)r->ru_utime.tv_usec / 1e6 +
	       (double)r->ru_stime.tv_sec + (double)r->ru_stime.tv_usec / 1e6;
}

static double self_cpu(void)
{
	struct rusage r;

	getrusage(RUSAGE_SELF, &r);
	return cpu_s(&r);
}

struct server {
	pid_t pid;
	int port;
};

static struct server server_start(const struct impl *im, enum work w)
{
	int tls = im == &impls[1];
	struct server sv;
	int lfd = tcp_listener(tls ? IPPROTO_TLS : 0, &sv.port);

	im->listen_fd(lfd);
	sv.pid = fork();
	if (sv.pid < 0)
		die("fork");
	if (sv.pid == 0)
		server_child(im, lfd, w);
	if (tls)
		tlssock_close(lfd);
	else
		close(lfd);
	return sv;
}

/* Stops the server; returns the CPU seconds it used. */
static double server_stop(struct server sv)
{
	struct rusage rc;

	memset(&rc, 0, sizeof(rc));
	kill(sv.pid, SIGKILL);
	wait4(sv.pid, NULL, 0, &rc);
	return cpu_s(&rc);
}

/* One batch of work against the server on port: a bulk transfer of
 * batch_bytes, or batch_hs handshakes. */
static void batch(const struct impl *im, enum work w, int port, size_t batch_bytes, int batch_hs,
                  char *cipher, size_t cipher_len)
{
	static char buf[CHUNK];
	void *c;

	if (w == HANDSHAKE) {
		for (int i = 0; i < batch_hs; i++) {
			im->connect_conn(port, &c);
			im->close_conn(c);
		}
		return;
	}
	memset(buf, 'x', sizeof(buf));
	im->connect_conn(port, &c);
	if (cipher[0] == '\0' && im == &impls[1]) {
		socklen_t l = (socklen_t)cipher_len;

		tlssock_getsockopt((int)(intptr_t)c, IPPROTO_TLS, TLS_CIPHER_SUITE, cipher, &l);
	} else if (cipher[0] == '\0') {
		snprintf(cipher, cipher_len, "%s",
		         SSL_CIPHER_standard_name(SSL_get_current_cipher(c)));
	}
	for (size_t sent = 0; sent < batch_bytes;) {
		ssize_t n = im->wr(c, buf, sizeof(buf));

		if (n <= 0)
			die("write");
		sent += (size_t)n;
	}
	if (im->rd(c, buf, 1) != 1)
		die("bulk ack");
	im->close_conn(c);
}

struct result {
	double wall[2]; /* seconds per implementation */
	double cpu[2];  /* client + server CPU seconds */
};

/* Runs the workload in reps rounds; in each round both implementations do
 * one batch, in alternating order, so load that comes and goes on the
 * machine hits both alike. */
static struct result measure(enum work w, char ciph[2][64])
{
	struct result r = {{0, 0}, {0, 0}};
	struct server sv[2];

	for (int i = 0; i < 2; i++)
		if (only < 0 || i == only)
			sv[i] = server_start(&impls[i], w);
	for (int round = 0; round < reps; round++) {
		for (int k = 0; k < 2; k++) {
			int i = (round + k) % 2;
			double t0, c0;

			if (only >= 0 && i != only)
				continue;
			t0 = now();
			c0 = self_cpu();
			batch(&impls[i], w, sv[i].port, bulk_bytes, handshakes, ciph[i], 64);
			r.wall[i] += now() - t0;
			r.cpu[i] += self_cpu() - c0;
		}
	}
	for (int i = 0; i < 2; i++)
		if (only < 0 || i == only)
			r.cpu[i] += server_stop(sv[i]);
	return r;
}

static void row(const char *name, double units, const double t[2])
{
	double a = t[0] > 0 ? units / t[0] : 0, b = t[1] > 0 ? units / t[1] : 0;

	printf("%-22s %16.1f %16.1f %8.3f\n", name, a, b, a > 0 ? b / a : 0);
}

int main(int argc, char **argv)
{
	char ciph[2][64] = {"", ""};
	struct result bulk, hs;
	double mib, n;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--mib") == 0)
			bulk_bytes = (size_t)strtoul(argv[i + 1], NULL, 10) << 20;
		else if (strcmp(argv[i], "--handshakes") == 0)
			handshakes = (int)strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--reps") == 0)
			reps = (int)strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--only") == 0)
			only = strcmp(argv[i + 1], "tlssock") == 0;
	}
	if (bulk_bytes == 0 || handshakes <= 0 || reps <= 0) {
		fprintf(stderr, "usage: tlssock-bench [--mib N] [--handshakes N] [--reps N] "
		                "[--only openssl|tlssock]\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	make_pki();
	bulk = measure(BULK, ciph);
	hs = measure(HANDSHAKE, ciph);
	cleanup_pki();
	mib = (double)reps * (double)(bulk_bytes >> 20);
	n = (double)reps * handshakes;
	printf("# TLSSock vs direct OpenSSL (%s), loopback, %d interleaved rounds of\n"
	       "# %zu MiB bulk and %d handshakes each (TLS 1.3, %s / %s, ECDSA P-256, X25519)\n",
	       OpenSSL_version(OPENSSL_VERSION), reps, bulk_bytes >> 20, handshakes, ciph[0],
	       ciph[1]);
	printf("%-22s %16s %16s %8s\n", "metric", "direct-openssl", "tlssock", "ratio");
	row("bulk MiB/s", mib, bulk.wall);
	row("handshakes/s", n, hs.wall);
	row("bulk MiB/cpu-s", mib, bulk.cpu);
	row("handshakes/cpu-s", n, hs.cpu);
	return 0;
}
