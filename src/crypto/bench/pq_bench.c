/* SPDX-License-Identifier: Apache-2.0 */
/* pq-bench: ML-KEM-768 keygen/encaps/decaps per second (our C; on expanded
 * key objects, as Node's KeyObjects are, and one-shot from bytes), and full
 * TLS 1.3 handshakes per second with X25519MLKEM768 against X25519 through
 * the system libssl with the enarx_pq provider. Handshakes run client and
 * server in one thread over memory BIOs (same contexts, same certificate,
 * same loop for both groups), so the figure is the CPU cost of both ends;
 * the two groups alternate in slices of 16 handshakes timed in thread CPU
 * time (waiting for a core on the shared machine is not counted), and
 * medians are reported. Prints "key value" lines
 * for src/crypto/bench/pq_bench.py.
 *
 *   pq-bench [--seconds S] [--rounds R]   (defaults 1 s per measure, 5 rounds)
 *   pq-bench --handshakes GROUP N         (N handshakes only, for profilers)
 *   pq-bench --portable ...               (without the AVX2 paths)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "crypto/mlkem.h"
#include "crypto/mlkem_internal.h"
#include "crypto/tls_setup.h"

static double seconds = 1.0;
static int rounds = 5;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what) __attribute__((noreturn));

static void die(const char *what)
{
	fprintf(stderr, "pq-bench: %s failed\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

/* --- ML-KEM-768 ------------------------------------------------------ */

enum op { KEYGEN, ENCAPS, DECAPS, KEYGEN_BYTES, ENCAPS_BYTES, DECAPS_BYTES, NOPS };
static const char *const op_names[NOPS] = {"keygen",       "encaps",       "decaps",
                                           "keygen_bytes", "encaps_bytes", "decaps_bytes"};
static uint8_t ek[MLKEM_MAX_EK_BYTES], dk[MLKEM_MAX_DK_BYTES], ct[MLKEM_MAX_CT_BYTES];
static struct mlkem_key *gen, *pub, *priv;

static void one_op(enum op op)
{
	const struct mlkem_params *p = &mlkem_768;
	uint8_t ss[32];
	int rc;

	switch (op) {
	case KEYGEN: rc = mlkem_key_generate(gen, NULL, NULL); break;
	case ENCAPS: rc = mlkem_key_encaps(pub, NULL, ct, ss); break;
	case DECAPS: rc = mlkem_key_decaps(priv, ct, p->ct_bytes, ss); break;
	case KEYGEN_BYTES: rc = mlkem_keygen(p, ek, dk); break;
	case ENCAPS_BYTES: rc = mlkem_encaps(p, ek, p->ek_bytes, ct, ss); break;
	default: rc = mlkem_decaps(p, dk, p->dk_bytes, ct, p->ct_bytes, ss);
	}
	if (rc != 0)
		die("ML-KEM");
}

static void make_keys(void)
{
	gen = mlkem_key_new(&mlkem_768);
	pub = mlkem_key_new(&mlkem_768);
	priv = mlkem_key_new(&mlkem_768);
	if (!gen || !pub || !priv || mlkem_keygen(&mlkem_768, ek, dk) != 0 ||
	    mlkem_key_set_ek(pub, ek, mlkem_768.ek_bytes) != 0 ||
	    mlkem_key_set_dk(priv, dk, mlkem_768.dk_bytes) != 0)
		die("keys");
}

/* Operations per second over about `seconds`. */
static double op_rate(enum op op)
{
	double t0 = now(), dt = 0;
	long n = 0;

	while (dt < seconds) {
		for (int i = 0; i < 20; i++)
			one_op(op);
		n += 20;
		dt = now() - t0;
	}
	return (double)n / dt;
}

/* --- TLS 1.3 handshakes over memory BIOs ----------------------------- */

static SSL_CTX *srv, *cli;

static void make_ctxs(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();

	if (enarx_tls_init() != 0 || !k || !x)
		die("setup");
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	srv = SSL_CTX_new(TLS_server_method());
	cli = SSL_CTX_new(TLS_client_method());
	if (!X509_sign(x, k, EVP_sha256()) || !srv || !cli ||
	    SSL_CTX_use_certificate(srv, x) != 1 || SSL_CTX_use_PrivateKey(srv, k) != 1 ||
	    X509_STORE_add_cert(SSL_CTX_get_cert_store(cli), x) != 1)
		die("contexts");
	SSL_CTX_set_verify(cli, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_min_proto_version(srv, TLS1_3_VERSION);
	SSL_CTX_set_session_cache_mode(srv, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(srv, 0);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* One full handshake with `group` on both ends; returns the group name. */
static const char *handshake(const char *group)
{
	static char name[64];
	SSL *c = SSL_new(cli), *s = SSL_new(srv);
	BIO *cb = NULL, *sb = NULL;
	int cdone = 0, sdone = 0;

	if (!c || !s || !BIO_new_bio_pair(&cb, 0, &sb, 0) || SSL_set1_groups_list(c, group) != 1 ||
	    SSL_set1_groups_list(s, group) != 1)
		die("SSL_new");
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	SSL_set1_host(c, "localhost");
	for (int i = 0; i < 20 && !(cdone && sdone); i++) {
		if (!cdone)
			cdone = SSL_do_handshake(c) == 1;
		if (!sdone)
			sdone = SSL_do_handshake(s) == 1;
	}
	if (!cdone || !sdone)
		die("handshake");
	snprintf(name, sizeof(name), "%s", enarx_tls_group_name(c));
	SSL_free(c);
	SSL_free(s);
	return name;
}

/* CPU seconds of this thread: on a shared machine, time spent waiting for
 * a core is not the handshake's cost, so handshakes are timed on it. */
static double cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU seconds for n handshakes with group. */
static double hs_time(const char *group, int n)
{
	double t0 = cpu_now();

	for (int i = 0; i < n; i++)
		handshake(group);
	return cpu_now() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The two groups in short alternating slices (HS_SLICE handshakes each,
 * which goes first alternating too) for about `seconds` per group: load
 * on the shared machine changes slowly against a slice, so each pair of
 * slices sees the same load. Gives the median rate of each group and the
 * median of the per-pair ratios. */
#define HS_SLICE 16
#define HS_MAX_PAIRS 4096

static void hs_compare(double *pq, double *x, double *ratio)
{
	static double rp[HS_MAX_PAIRS], rx[HS_MAX_PAIRS], rr[HS_MAX_PAIRS];
	double spent = 0;
	int n = 0;

	while (n < HS_MAX_PAIRS && (spent < 2 * seconds || n < 5)) {
		double tp, tx;

		if (n & 1) {
			tx = hs_time("X25519", HS_SLICE);
			tp = hs_time("X25519MLKEM768", HS_SLICE);
		} else {
			tp = hs_time("X25519MLKEM768", HS_SLICE);
			tx = hs_time("X25519", HS_SLICE);
		}
		rp[n] = HS_SLICE / tp;
		rx[n] = HS_SLICE / tx;
		rr[n] = tx / tp;
		spent += tp + tx;
		n++;
	}
	*pq = median(rp, n);
	*x = median(rx, n);
	*ratio = median(rr, n);
}

int main(int argc, char **argv)
{
	double mk[NOPS] = {0}, hs_pq = 0, hs_x = 0, hs_ratio = 0;

	if (argc > 1 && strcmp(argv[1], "--portable") == 0) {
		mlkem__force_portable(1); /* the portable C paths even on an AVX2 CPU */
		argc--;
		argv++;
	}
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--seconds") == 0)
			seconds = strtod(argv[i + 1], NULL);
		else if (strcmp(argv[i], "--rounds") == 0)
			rounds = (int)strtol(argv[i + 1], NULL, 10);
	}
	make_ctxs();
	if (argc == 4 && strcmp(argv[1], "--handshakes") == 0) {
		/* for profilers: only N handshakes with one group */
		for (long n = strtol(argv[3], NULL, 10); n > 0; n--)
			handshake(argv[2]);
		return 0;
	}
	make_keys();
	one_op(ENCAPS);
	if (strcmp(handshake("X25519MLKEM768"), "X25519MLKEM768") != 0 ||
	    strcmp(handshake("X25519"), "x25519") != 0)
		die("group check");
	for (int r = 0; r < rounds; r++) {
		double p, x, q;

		for (int o = 0; o < NOPS; o++)
			mk[o] += op_rate((enum op)o) / rounds;
		hs_compare(&p, &x, &q);
		hs_pq += p / rounds;
		hs_x += x / rounds;
		hs_ratio += q / rounds;
	}
	for (int o = 0; o < NOPS; o++)
		printf("mlkem768_%s %.0f\n", op_names[o], mk[o]);
	printf("handshake_X25519MLKEM768 %.0f\nhandshake_X25519 %.0f\nhandshake_ratio %.4f\n",
	       hs_pq, hs_x, hs_ratio);
	SSL_CTX_free(srv);
	SSL_CTX_free(cli);
	mlkem_key_free(gen);
	mlkem_key_free(pub);
	mlkem_key_free(priv);
	return 0;
}
