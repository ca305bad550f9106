/* SPDX-License-Identifier: Apache-2.0 */
/* The Keep's TLS contexts (see tls.h): the policy, the Keep's identity and
 * one SSL_CTX per listen/connect entry. Everything comes from the workload
 * (Enarx.toml and its package files); nothing is read from the host. */
#include "exec/tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "crypto/tls_setup.h"
#include "exec/exec.h"
#include "exec/tls_int.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/log.h"
#include "tlssock/policy.h"

#define CONNECT_TIMEOUT_MS 30000 /* a connect entry's handshake, at start */
#define CERT_DAYS 365

struct exec_tls {
	const struct exec_workload *wl; /* package files */
	struct ts_policy policy;
	EVP_PKEY *key; /* the Keep's key (NULL if no listener needs it) */
	X509 *cert;    /* its certificate */
	uint8_t *der;
	size_t der_len;
};

static int terr(char *err, size_t n, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int terr(char *err, size_t n, int rc, const char *fmt, ...)
{
	char ossl[200] = "";
	unsigned long code = ERR_peek_last_error();
	va_list ap;
	size_t l;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	if (code) {
		ERR_error_string_n(code, ossl, sizeof(ossl));
		l = strlen(err);
		snprintf(err + l, n - l, " (%s)", ossl);
	}
	ERR_clear_error();
	return rc;
}

/* The bytes of package file name, or NULL. */
static const struct exec_file *pkg_file(const struct exec_tls *t, const char *name)
{
	for (size_t i = 0; i < t->wl->nfiles; i++)
		if (strcmp(t->wl->files[i].name, name) == 0)
			return &t->wl->files[i];
	return NULL;
}

static BIO *pkg_bio(const struct exec_tls *t, const struct config_file *f, const char *key,
                    const char *name, char *err, size_t n)
{
	const struct exec_file *pf = pkg_file(t, name);
	BIO *b;

	if (!pf) {
		terr(err, n, 0, "[[files]] '%s': key '%s': file %s is not in the workload",
		     f ? f->name : "-", key, name);
		return NULL;
	}
	b = BIO_new_mem_buf(pf->data, (int)pf->len);
	if (!b)
		terr(err, n, 0, "out of memory");
	return b;
}

/* ---- policy and identity ------------------------------------------------- */

static int load_policy(struct exec_tls *t, const struct config *cfg, char *err, size_t n)
{
	char why[256];

	ts_policy_defaults(&t->policy);
	if (cfg->tls_policy) {
		const struct exec_file *pf = pkg_file(t, cfg->tls_policy);

		if (!pf)
			return terr(err, n, ENARX_E_NOTFOUND,
			            "key 'tls_policy': file %s is not in the workload",
			            cfg->tls_policy);
		if (ts_policy_parse(&t->policy, (const char *)pf->data, pf->len, why, sizeof(why)))
			return terr(err, n, ENARX_E_MALFORMED, "key 'tls_policy': %s: %s",
			            cfg->tls_policy, why);
	}
	if (ts_policy_check_names(&t->policy, why, sizeof(why)))
		return terr(err, n, ENARX_E_INVAL, "TLS policy: %s", why);
	return 0;
}

/* subjectAltName: localhost, the loopback addresses, every specific listen
 * address and the entries' `names`. */
static int san_value(const struct config *cfg, char *out, size_t cap)
{
	size_t l = (size_t)snprintf(out, cap, "DNS:localhost,IP:127.0.0.1,IP:::1");
	unsigned char ip[16];

	for (size_t i = 0; i < cfg->nfiles; i++) {
		const struct config_file *f = &cfg->files[i];

		if (f->kind != CONFIG_LISTEN || f->prot != CONFIG_TLS || f->cert)
			continue;
		if (strcmp(f->addr, "::") && strcmp(f->addr, "0.0.0.0") &&
		    strcmp(f->addr, "127.0.0.1") && strcmp(f->addr, "::1"))
			l += (size_t)snprintf(out + l, l < cap ? cap - l : 0, ",IP:%s", f->addr);
		for (size_t j = 0; j < f->nnames; j++) {
			int is_ip = inet_pton(AF_INET, f->names[j], ip) == 1 ||
			            inet_pton(AF_INET6, f->names[j], ip) == 1;

			l += (size_t)snprintf(out + l, l < cap ? cap - l : 0, ",%s:%s",
			                      is_ip ? "IP" : "DNS", f->names[j]);
		}
	}
	return l < cap ? 0 : -1;
}

static int add_ext(X509 *c, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&v3, c, c, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (!e)
		return 0;
	ok = X509_add_ext(c, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

/* A self-signed certificate for t->key, valid from an hour ago for a year. */
static X509 *self_signed(EVP_PKEY *key, const char *san)
{
	unsigned char serial[16];
	X509 *c = X509_new();
	X509_NAME *nm = X509_NAME_new();
	BIGNUM *bn = NULL;
	int ok = c && nm && RAND_bytes(serial, sizeof(serial)) == 1;

	serial[0] &= 0x7f; /* positive */
	ok = ok && (bn = BN_bin2bn(serial, sizeof(serial), NULL)) &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)) &&
	     X509_set_version(c, X509_VERSION_3) &&
	     X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC, (const unsigned char *)"Enarx", -1,
	                                -1, 0) &&
	     X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	                                (const unsigned char *)"Enarx Keep (self-signed)", -1, -1,
	                                0) &&
	     X509_set_subject_name(c, nm) && X509_set_issuer_name(c, nm) &&
	     X509_gmtime_adj(X509_getm_notBefore(c), -3600) &&
	     X509_gmtime_adj(X509_getm_notAfter(c), 86400L * CERT_DAYS) &&
	     X509_set_pubkey(c, key) && add_ext(c, NID_basic_constraints, "critical,CA:FALSE") &&
	     add_ext(c, NID_key_usage, "critical,digitalSignature") &&
	     add_ext(c, NID_ext_key_usage, "serverAuth,clientAuth") &&
	     add_ext(c, NID_subject_key_identifier, "hash") &&
	     add_ext(c, NID_subject_alt_name, san) && X509_sign(c, key, EVP_sha256()) > 0;
	BN_free(bn);
	X509_NAME_free(nm);
	if (!ok) {
		X509_free(c);
		return NULL;
	}
	return c;
}

/*
 * The Keep's TLS identity. Today a P-256 key made here and a self-signed
 * certificate whose fingerprint `enarx run` prints (KP_TLS_CERT).
 * Hook for the Steward path: when cfg->steward is set, this is where the
 * Keep's CSR (with its evidence) goes to Steward and the chain it returns
 * replaces the self-signed certificate; the Keep identity key from
 * src/exec's attestation takes the place of the key made here.
 */
static int make_identity(struct exec_tls *t, const struct config *cfg, char *err, size_t n)
{
	char san[4096];
	unsigned char *p;
	int len;

	if (san_value(cfg, san, sizeof(san)))
		return terr(err, n, ENARX_E_OVERFLOW, "TLS: too many names for the certificate");
	t->key = EVP_EC_gen("P-256");
	if (!t->key)
		return terr(err, n, ENARX_E_INTERNAL, "TLS: cannot make the Keep's key");
	t->cert = self_signed(t->key, san);
	if (!t->cert)
		return terr(err, n, ENARX_E_INTERNAL, "TLS: cannot make the Keep's certificate");
	len = i2d_X509(t->cert, NULL);
	t->der = len > 0 ? xmalloc((size_t)len) : NULL;
	if (!t->der)
		return terr(err, n, ENARX_E_NOMEM, "out of memory");
	p = t->der;
	t->der_len = (size_t)i2d_X509(t->cert, &p);
	if (cfg->steward)
		log_info("exec: steward is set; the Steward-issued certificate is not supported "
		         "yet, the Keep presents its self-signed certificate");
	return 0;
}

static int needs_identity(const struct config *cfg, int *any_tls)
{
	int need = 0;

	*any_tls = 0;
	for (size_t i = 0; i < cfg->nfiles; i++) {
		const struct config_file *f = &cfg->files[i];

		if ((f->kind != CONFIG_LISTEN && f->kind != CONFIG_CONNECT) ||
		    f->prot != CONFIG_TLS)
			continue;
		*any_tls = 1;
		if (f->kind == CONFIG_LISTEN && !f->cert)
			need = 1;
	}
	return need;
}

int exec_tls_new(const struct config *cfg, const struct exec_workload *wl, struct exec_tls **out,
                 char *err, size_t n)
{
	struct exec_tls *t;
	int any, need = needs_identity(cfg, &any), rc;

	*out = NULL;
	if (!any)
		return 0;
	/* no openssl.cnf: in a Keep the host's files are not to be trusted */
	if (!OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) || enarx_tls_init() != 0)
		return terr(err, n, ENARX_E_INTERNAL, "TLS: cannot initialise OpenSSL");
	t = xcalloc(1, sizeof(*t));
	if (!t)
		return ENARX_E_NOMEM;
	t->wl = wl;
	rc = load_policy(t, cfg, err, n);
	if (!rc && need)
		rc = make_identity(t, cfg, err, n);
	if (rc) {
		exec_tls_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void exec_tls_free(struct exec_tls *t)
{
	if (!t)
		return;
	EVP_PKEY_free(t->key);
	X509_free(t->cert);
	xfree(t->der);
	xfree(t);
}

const uint8_t *exec_tls_cert_der(const struct exec_tls *t, size_t *len)
{
	*len = t ? t->der_len : 0;
	return t ? t->der : NULL;
}

/* ---- contexts ------------------------------------------------------------ */

/* cert + key from the package: the chain's first certificate is the leaf. */
static int use_own(struct exec_tls *t, SSL_CTX *ctx, const struct config_file *f, char *err,
                   size_t n)
{
	BIO *cb = pkg_bio(t, f, "cert", f->cert, err, n), *kb = NULL;
	X509 *c = NULL;
	EVP_PKEY *k = NULL;
	int ok = 0;

	if (!cb)
		return -1;
	kb = pkg_bio(t, f, "key", f->key, err, n);
	if (!kb)
		goto out;
	c = PEM_read_bio_X509(cb, NULL, NULL, NULL);
	if (!c || SSL_CTX_use_certificate(ctx, c) != 1) {
		terr(err, n, 0, "[[files]] '%s': key 'cert': %s holds no usable PEM certificate",
		     f->name, f->cert);
		goto out;
	}
	for (X509 *x; (x = PEM_read_bio_X509(cb, NULL, NULL, NULL));)
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1)
			X509_free(x);
	ERR_clear_error();
	k = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
	if (!k || SSL_CTX_use_PrivateKey(ctx, k) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		terr(err, n, 0,
		     "[[files]] '%s': key 'key': %s is not a PEM private key matching the "
		     "certificate",
		     f->name, f->key);
		goto out;
	}
	ok = 1;
out:
	X509_free(c);
	EVP_PKEY_free(k);
	BIO_free(cb);
	BIO_free(kb);
	return ok ? 0 : -1;
}

/* PEM certificates of package file name into ctx's trust store (and, for
 * a server, the list of acceptable client CAs). */
static int trust(struct exec_tls *t, SSL_CTX *ctx, const struct config_file *f, const char *key,
                 const char *name, int server, char *err, size_t n)
{
	BIO *b = pkg_bio(t, f, key, name, err, n);
	X509_STORE *st = SSL_CTX_get_cert_store(ctx);
	STACK_OF(X509_NAME) *names = server ? sk_X509_NAME_new_null() : NULL;
	X509 *x;
	int count = 0;

	if (!b)
		return -1;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
		if (X509_STORE_add_cert(st, x) == 1)
			count++;
		if (names) {
			X509_NAME *nm = X509_NAME_dup(X509_get_subject_name(x));

			if (nm && !sk_X509_NAME_push(names, nm))
				X509_NAME_free(nm);
		}
		X509_free(x);
	}
	ERR_clear_error();
	BIO_free(b);
	if (count == 0) {
		sk_X509_NAME_pop_free(names, X509_NAME_free);
		terr(err, n, 0, "[[files]] '%s': key '%s': %s holds no PEM certificate", f->name,
		     key, name);
		return -1;
	}
	if (names)
		SSL_CTX_set_client_CA_list(ctx, names);
	return 0;
}

/* ALPN wire format of the entry's names. */
static int alpn_wire(const struct config_file *f, unsigned char *out, size_t cap, size_t *len)
{
	size_t l = 0;

	for (size_t i = 0; i < f->nalpn; i++) {
		size_t k = strlen(f->alpn[i]);

		if (k > 255 || l + 1 + k > cap)
			return -1;
		out[l++] = (unsigned char)k;
		memcpy(out + l, f->alpn[i], k);
		l += k;
	}
	*len = l;
	return 0;
}

/* Server: the first of our names (in our order) that the client offers;
 * none in common is a fatal no_application_protocol alert (RFC 7301). */
static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned inlen, void *arg)
{
	const struct config_file *f = arg;
	unsigned char ours[CONFIG_ALPN_MAX * 256];
	unsigned char *sel;
	size_t len;

	(void)ssl;
	if (alpn_wire(f, ours, sizeof(ours), &len))
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	if (SSL_select_next_proto(&sel, outlen, ours, (unsigned)len, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	/* sel points into ours: answer with the same bytes inside in */
	for (unsigned i = 0; i < inlen; i += 1u + in[i])
		if (in[i] == *outlen && i + 1u + in[i] <= inlen &&
		    memcmp(in + i + 1, sel, *outlen) == 0) {
			*out = in + i + 1;
			return SSL_TLSEXT_ERR_OK;
		}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

static SSL_CTX *ctx_new(struct exec_tls *t, const struct config_file *f, int server, char *err,
                        size_t n)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	char why[256];

	if (!ctx) {
		terr(err, n, 0, "TLS: cannot create a context");
		return NULL;
	}
	if (ts_policy_apply_ctx(&t->policy, ctx, why, sizeof(why))) {
		terr(err, n, 0, "[[files]] '%s': TLS policy: %s", f->name, why);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (server) {
		static const unsigned char sid[] = "enarx-keep";

		/* One stateless TLS 1.3 ticket (keys made in the Keep, per
		 * context): clients may resume, and the ticket right after the
		 * client's Finished acknowledges it at once, so a client's
		 * first request is not held by Nagle waiting for a delayed ACK. */
		SSL_CTX_set_num_tickets(ctx, 1);
		SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
	}
	return ctx;
}

void *exec_tls_listener(struct exec_tls *t, const struct config_file *f, char *err, size_t n)
{
	struct tls_listener *l = NULL;
	SSL_CTX *ctx = ctx_new(t, f, 1, err, n);
	int ok = ctx != NULL;

	if (ok && f->cert)
		ok = use_own(t, ctx, f, err, n) == 0;
	else if (ok)
		ok = SSL_CTX_use_certificate(ctx, t->cert) == 1 &&
		     SSL_CTX_use_PrivateKey(ctx, t->key) == 1;
	if (ok && f->client_ca) {
		ok = trust(t, ctx, f, "client_ca", f->client_ca, 1, err, n) == 0;
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	if (ok && f->nalpn)
		SSL_CTX_set_alpn_select_cb(ctx, alpn_select, (void *)f);
	if (ok)
		l = xcalloc(1, sizeof(*l));
	if (!l) {
		if (ok)
			terr(err, n, 0, "out of memory");
		SSL_CTX_free(ctx);
		return NULL;
	}
	l->kind = TLS_OBJ_LISTENER;
	l->ctx = ctx;
	snprintf(l->label, sizeof(l->label), "%s", f->name);
	return l;
}

/* SNI (DNS names only) and the name the server's certificate must carry. */
static int peer_name(SSL *ssl, const char *name)
{
	unsigned char ip[16];
	int is_ip = inet_pton(AF_INET, name, ip) == 1 || inet_pton(AF_INET6, name, ip) == 1;

	if (is_ip)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
	return SSL_set_tlsext_host_name(ssl, name) == 1 && SSL_set1_host(ssl, name) == 1;
}

void *exec_tls_connect(struct exec_tls *t, const struct config_file *f, int fd, char *err, size_t n)
{
	const char *name = f->server_name ? f->server_name : f->host;
	unsigned char wire[CONFIG_ALPN_MAX * 256];
	struct tls_stream *s = NULL;
	SSL_CTX *ctx = ctx_new(t, f, 0, err, n);
	size_t wl = 0;
	char why[512];
	int ok = ctx != NULL;

	ok = ok && trust(t, ctx, f, "ca", f->ca, 0, err, n) == 0;
	if (ok && f->cert)
		ok = use_own(t, ctx, f, err, n) == 0;
	if (ok && f->nalpn &&
	    (alpn_wire(f, wire, sizeof(wire), &wl) ||
	     SSL_CTX_set_alpn_protos(ctx, wire, (unsigned)wl)))
		ok = terr(err, n, 0, "[[files]] '%s': key 'alpn': cannot be used", f->name) != 0;
	if (ok) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		ok = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0 &&
		     (s = tls__stream_new(ctx, fd, 0, f->name)) != NULL &&
		     peer_name(tls__stream_ssl(s), name) == 1;
		if (!ok)
			terr(err, n, 0, "[[files]] '%s': cannot start TLS", f->name);
	}
	if (ok && tls__stream_handshake(s, CONNECT_TIMEOUT_MS, why, sizeof(why))) {
		snprintf(err, n, "[[files]] '%s': TLS with %s port %u (name %s) failed: %s",
		         f->name, f->host, f->port, name, why);
		ok = 0;
	}
	SSL_CTX_free(ctx); /* the session keeps its own reference */
	if (!ok) {
		tls__obj_free(s);
		return NULL;
	}
	return s;
}
