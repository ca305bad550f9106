/* SPDX-License-Identifier: Apache-2.0 */
/* Per-socket TLS configuration and the OpenSSL context built from it.  The
 * context is made on the first handshake from the system policy narrowed by
 * the socket's options; options can only narrow it (see opts.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "lib/alloc.h"
#include "tlssock/internal.h"

static pthread_once_t ex_once = PTHREAD_ONCE_INIT;
static int ex_index = -1;

static void ex_init(void)
{
	ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

int ts__ex_index(void)
{
	pthread_once(&ex_once, ex_init);
	return ex_index;
}

void ts__wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

struct ts_conf *ts__conf_new(void)
{
	struct ts_conf *c = xcalloc(1, sizeof(*c));

	if (!c)
		return NULL;
	atomic_init(&c->refs, 1);
	c->tickets = 1;
	c->session_cache = 1;
	c->timeout_ms = 30000;
	return c;
}

struct ts_conf *ts__conf_ref(struct ts_conf *c)
{
	if (c)
		atomic_fetch_add(&c->refs, 1);
	return c;
}

static void free_secret(unsigned char **p, size_t *n)
{
	if (*p) {
		ts__wipe(*p, *n);
		xfree(*p);
	}
	*p = NULL;
	*n = 0;
}

void ts__conf_unref(struct ts_conf *c)
{
	if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	xfree(c->peer_name);
	xfree(c->trust_file);
	xfree(c->trust_dir);
	xfree(c->cert_file);
	xfree(c->key_file);
	xfree(c->alpn);
	xfree(c->psk_identity);
	free_secret(&c->session, &c->session_len);
	xfree(c->groups);
	xfree(c->sigalgs);
	xfree(c->suites13);
	xfree(c->ciphers12);
	for (unsigned i = 0; i < c->n_sni; i++) {
		xfree(c->sni_name[i]);
		xfree(c->sni_cert[i]);
		xfree(c->sni_key[i]);
	}
	SSL_CTX_free(c->ctx);
	ts__wipe(c, sizeof(*c)); /* includes psk_key */
	xfree(c);
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (src && !(*dst = xstrdup(src)))
		return -1;
	return 0;
}

static int dup_mem(unsigned char **dst, const unsigned char *src, size_t n)
{
	*dst = NULL;
	if (!src)
		return 0;
	if (!(*dst = xmalloc(n ? n : 1)))
		return -1;
	memcpy(*dst, src, n);
	return 0;
}

static struct ts_conf *conf_dup(const struct ts_conf *o)
{
	struct ts_conf *c = ts__conf_new();
	int bad = 0;

	if (!c)
		return NULL;
	c->require_peer_cert = o->require_peer_cert;
	c->alpn_len = o->alpn_len;
	memcpy(c->psk_key, o->psk_key, sizeof(c->psk_key));
	c->psk_key_len = o->psk_key_len;
	c->session_len = o->session_len;
	c->tickets = o->tickets;
	c->session_cache = o->session_cache;
	c->min_version = o->min_version;
	c->insecure_no_verify = o->insecure_no_verify;
	c->timeout_ms = o->timeout_ms;
	bad |= dup_str(&c->peer_name, o->peer_name);
	bad |= dup_str(&c->trust_file, o->trust_file);
	bad |= dup_str(&c->trust_dir, o->trust_dir);
	bad |= dup_str(&c->cert_file, o->cert_file);
	bad |= dup_str(&c->key_file, o->key_file);
	bad |= dup_mem(&c->alpn, o->alpn, o->alpn_len);
	bad |= dup_str(&c->psk_identity, o->psk_identity);
	bad |= dup_mem(&c->session, o->session, o->session_len);
	bad |= dup_str(&c->groups, o->groups);
	bad |= dup_str(&c->sigalgs, o->sigalgs);
	bad |= dup_str(&c->suites13, o->suites13);
	bad |= dup_str(&c->ciphers12, o->ciphers12);
	for (unsigned i = 0; i < o->n_sni; i++) {
		bad |= dup_str(&c->sni_name[i], o->sni_name[i]);
		bad |= dup_str(&c->sni_cert[i], o->sni_cert[i]);
		bad |= dup_str(&c->sni_key[i], o->sni_key[i]);
		c->n_sni = i + 1;
	}
	if (bad) {
		ts__conf_unref(c);
		return NULL;
	}
	return c;
}

int ts__conf_own(struct ts_sock *s)
{
	struct ts_conf *c;

	if (atomic_load(&s->conf->refs) == 1) {
		/* The options change: a context built from the old ones is stale. */
		SSL_CTX_free(s->conf->ctx);
		s->conf->ctx = NULL;
		return 0;
	}
	c = conf_dup(s->conf);
	if (!c) {
		errno = ENOMEM;
		return -1;
	}
	ts__conf_unref(s->conf);
	s->conf = c;
	return 0;
}

static struct ts_sock *sock_of(SSL *ssl)
{
	return SSL_get_ex_data(ssl, ts__ex_index());
}

static unsigned int psk_client_cb(SSL *ssl, const char *hint, char *identity,
                                  unsigned int max_identity, unsigned char *psk,
                                  unsigned int max_psk)
{
	struct ts_sock *s = sock_of(ssl);
	struct ts_conf *c = s ? s->conf : NULL;
	size_t idlen;

	if (!c || !c->psk_identity || c->psk_key_len == 0)
		return 0;
	idlen = strlen(c->psk_identity);
	if (idlen + 1 > max_identity || c->psk_key_len > max_psk)
		return 0;
	memcpy(identity, c->psk_identity, idlen + 1);
	memcpy(psk, c->psk_key, c->psk_key_len);
	return (unsigned int)c->psk_key_len;
}

static unsigned int psk_server_cb(SSL *ssl, const char *identity, unsigned char *psk,
                                  unsigned int max_psk)
{
	struct ts_sock *s = sock_of(ssl);
	struct ts_conf *c = s ? s->conf : NULL;

	if (!c || !c->psk_identity || !identity || c->psk_key_len == 0 ||
	    c->psk_key_len > max_psk || strcmp(identity, c->psk_identity) != 0)
		return 0;
	memcpy(psk, c->psk_key, c->psk_key_len);
	return (unsigned int)c->psk_key_len;
}

static int alpn_select_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                          const unsigned char *in, unsigned int inlen, void *arg)
{
	struct ts_sock *s = sock_of(ssl);
	unsigned char *sel = NULL;

	(void)arg;
	if (!s || !s->conf->alpn)
		return SSL_TLSEXT_ERR_NOACK;
	if (SSL_select_next_proto(&sel, outlen, s->conf->alpn, (unsigned int)s->conf->alpn_len, in,
	                          inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL; /* RFC 7301: no_application_protocol */
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

/* ---- client session cache ----
 * Sessions (TLS 1.2 ids and TLS 1.3 tickets) keyed by context, peer address
 * and peer name, so a program that connects to the same server again
 * resumes without storing TLS_SESSION itself (this is what makes
 * resumption work for unmodified programs under LD_PRELOAD). */
#define SESS_SLOTS 64

static struct {
	char key[192];
	SSL_SESSION *sess;
} sess_cache[SESS_SLOTS];
static unsigned sess_next;
static pthread_mutex_t sess_lock = PTHREAD_MUTEX_INITIALIZER;

static void session_key(struct ts_sock *s, SSL_CTX *ctx, char *key, size_t n)
{
	snprintf(key, n, "%p|%s|%.100s", (void *)ctx, s->peer,
	         s->conf->peer_name ? s->conf->peer_name : "");
}

static int session_new_cb(SSL *ssl, SSL_SESSION *sess)
{
	struct ts_sock *s = sock_of(ssl);
	char key[192];
	unsigned slot;

	if (!s || !s->conf->session_cache || !SSL_SESSION_is_resumable(sess))
		return 0; /* not kept: OpenSSL frees it */
	session_key(s, SSL_get_SSL_CTX(ssl), key, sizeof(key));
	pthread_mutex_lock(&sess_lock);
	for (slot = 0; slot < SESS_SLOTS; slot++)
		if (sess_cache[slot].sess && strcmp(sess_cache[slot].key, key) == 0)
			break;
	if (slot == SESS_SLOTS)
		slot = sess_next++ % SESS_SLOTS;
	SSL_SESSION_free(sess_cache[slot].sess);
	memcpy(sess_cache[slot].key, key, sizeof(key));
	sess_cache[slot].sess = sess;
	pthread_mutex_unlock(&sess_lock);
	return 1; /* we keep the reference */
}

SSL_SESSION *ts__session_take(struct ts_sock *s, SSL_CTX *ctx)
{
	SSL_SESSION *sess = NULL;
	char key[192];

	if (!s->conf->session_cache)
		return NULL;
	session_key(s, ctx, key, sizeof(key));
	pthread_mutex_lock(&sess_lock);
	for (unsigned i = 0; i < SESS_SLOTS && !sess; i++)
		if (sess_cache[i].sess && strcmp(sess_cache[i].key, key) == 0) {
			sess = sess_cache[i].sess;
			sess_cache[i].sess = NULL;
		}
	pthread_mutex_unlock(&sess_lock);
	return sess;
}

/* Cookie for DTLS HelloVerifyRequest: HMAC of the peer address under a
 * per-process random key. */
static unsigned char cookie_key[32];
static pthread_once_t cookie_once = PTHREAD_ONCE_INIT;

static void cookie_init(void)
{
	if (RAND_bytes(cookie_key, sizeof(cookie_key)) != 1)
		abort();
}

static int cookie_make(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
	struct sockaddr_storage peer;
	unsigned int n = 0;

	pthread_once(&cookie_once, cookie_init);
	memset(&peer, 0, sizeof(peer));
	if (BIO_dgram_get_peer(SSL_get_rbio(ssl), &peer) <= 0)
		return 0;
	if (!HMAC(EVP_sha256(), cookie_key, sizeof(cookie_key), (const unsigned char *)&peer,
	          sizeof(peer), cookie, &n))
		return 0;
	*len = n;
	return 1;
}

static int cookie_check(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
	unsigned char want[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	return cookie_make(ssl, want, &n) && n == len && CRYPTO_memcmp(want, cookie, n) == 0;
}

/* Applies the policy lists, narrowed by the socket's own lists. */
static int set_algorithms(struct ts_sock *s, SSL_CTX *ctx, const struct ts_policy *p)
{
	struct ts_conf *c = s->conf;
	char list[TS_LIST_MAX * TS_NAME_MAX];

	if (!c->groups && ts_list_join(&p->groups, list, sizeof(list)) != 0)
		return -1;
	if (SSL_CTX_set1_groups_list(ctx, c->groups ? c->groups : list) != 1)
		return ts__fail(s, EINVAL, "cannot set key exchange groups");
	if (!c->sigalgs && ts_list_join(&p->sigalgs, list, sizeof(list)) != 0)
		return -1;
	if (SSL_CTX_set1_sigalgs_list(ctx, c->sigalgs ? c->sigalgs : list) != 1)
		return ts__fail(s, EINVAL, "cannot set signature algorithms");
	if (!c->suites13 && ts_list_join(&p->suites13, list, sizeof(list)) != 0)
		return -1;
	if (SSL_CTX_set_ciphersuites(ctx, c->suites13 ? c->suites13 : list) != 1)
		return ts__fail(s, EINVAL, "cannot set TLS 1.3 cipher suites");
	if (!c->ciphers12 && ts_list_join(&p->ciphers12, list, sizeof(list)) != 0)
		return -1;
	if (SSL_CTX_set_cipher_list(ctx, c->ciphers12 ? c->ciphers12 : list) != 1 &&
	    SSL_CTX_get_min_proto_version(ctx) < TLS1_3_VERSION)
		return ts__fail(s, EINVAL, "cannot set TLS 1.2 ciphers");
	return 0;
}

static int set_versions(struct ts_sock *s, SSL_CTX *ctx, const struct ts_policy *p, bool dtls)
{
	int min = p->min_version;

	if (dtls)
		min = DTLS1_2_VERSION;
	else if (s->conf->min_version > min)
		min = s->conf->min_version;
	if (SSL_CTX_set_min_proto_version(ctx, min) != 1)
		return ts__fail(s, EINVAL, "cannot set minimum protocol version");
	return 0;
}

static int set_identity(struct ts_sock *s, SSL_CTX *ctx, bool server)
{
	struct ts_conf *c = s->conf;

	if (c->cert_file && SSL_CTX_use_certificate_chain_file(ctx, c->cert_file) != 1)
		return ts__fail(s, ENOKEY, "cannot load certificate chain %s", c->cert_file);
	if (c->key_file && SSL_CTX_use_PrivateKey_file(ctx, c->key_file, SSL_FILETYPE_PEM) != 1)
		return ts__fail(s, ENOKEY, "cannot load private key %s", c->key_file);
	if ((c->cert_file || c->key_file) && SSL_CTX_check_private_key(ctx) != 1)
		return ts__fail(s, ENOKEY, "certificate and private key do not match");
	if (server && !c->cert_file && c->psk_key_len == 0)
		return ts__fail(s, ENOKEY,
		                "server needs TLS_CERT_CHAIN_FILE/TLS_PRIVATE_KEY_FILE or a PSK");
	return 0;
}

static int set_trust(struct ts_sock *s, SSL_CTX *ctx, bool server)
{
	struct ts_conf *c = s->conf;
	int mode = SSL_VERIFY_PEER;

	/* A server that does not ask for client certificates needs no trust
	 * store; loading the system one would make OpenSSL search it (a
	 * directory scan) on every handshake while building the chain. */
	if (server && !c->require_peer_cert)
		return 0;
	if (c->trust_file || c->trust_dir) {
		if (SSL_CTX_load_verify_locations(ctx, c->trust_file, c->trust_dir) != 1)
			return ts__fail(s, ENOENT, "cannot load trust anchors %s",
			                c->trust_file ? c->trust_file : c->trust_dir);
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		return ts__fail(s, ENOENT, "cannot load the system trust store");
	}
	if (server) {
		mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
		if (c->trust_file) {
			STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(c->trust_file);

			if (names)
				SSL_CTX_set_client_CA_list(ctx, names);
		}
	} else if (c->insecure_no_verify) {
		mode = SSL_VERIFY_NONE;
	}
	SSL_CTX_set_verify(ctx, mode, NULL);
	return 0;
}

static int set_extras(struct ts_sock *s, SSL_CTX *ctx, bool server, bool dtls)
{
	struct ts_conf *c = s->conf;

	if (c->alpn) {
		if (server)
			SSL_CTX_set_alpn_select_cb(ctx, alpn_select_cb, NULL);
		else if (SSL_CTX_set_alpn_protos(ctx, c->alpn, (unsigned)c->alpn_len) != 0)
			return ts__fail(s, EINVAL, "cannot set ALPN list");
	}
	if (c->psk_key_len) {
		if (server)
			SSL_CTX_set_psk_server_callback(ctx, psk_server_cb);
		else
			SSL_CTX_set_psk_client_callback(ctx, psk_client_cb);
	}
	if (server) {
		static const unsigned char sid[] = "tlssock";

		SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
		if (!c->tickets) {
			SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
			SSL_CTX_set_num_tickets(ctx, 0);
		}
		if (dtls) {
			SSL_CTX_set_cookie_generate_cb(ctx, cookie_make);
			SSL_CTX_set_cookie_verify_cb(ctx, cookie_check);
		}
	} else {
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
		                                        SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(ctx, session_new_cb);
	}
	return 0;
}

/* ---- context cache ----
 * Building an SSL_CTX (parsing the trust store, the key, the lists) costs
 * far more than a handshake, and client sockets are usually one-shot, so
 * contexts are shared between sockets whose options are the same.  The key
 * covers every option that goes into the context, plus identity and
 * modification time of the files it reads, so an updated file is picked up. */
#define CACHE_SLOTS 16
#define KEY_MAX 8192

static struct {
	char *key;
	SSL_CTX *ctx;
} cache[CACHE_SLOTS];
static unsigned cache_next;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static int key_add(char *k, size_t *off, const char *tag, const char *v)
{
	int n =
	    snprintf(k + *off, KEY_MAX - *off, "%s=%zu:%s;", tag, v ? strlen(v) : 0, v ? v : "");

	if (n < 0 || (size_t)n >= KEY_MAX - *off)
		return -1;
	*off += (size_t)n;
	return 0;
}

static int key_file(char *k, size_t *off, const char *tag, const char *path)
{
	struct stat st;
	char id[96] = "-";

	if (path && stat(path, &st) == 0)
		snprintf(id, sizeof(id), "%lu.%lu.%lld.%lld.%ld", (unsigned long)st.st_dev,
		         (unsigned long)st.st_ino, (long long)st.st_size,
		         (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	return key_add(k, off, tag, path) || key_add(k, off, "#", id);
}

/* Writes the cache key for (conf, server, dtls) into k; -1 if too long. */
static int cache_key(const struct ts_conf *c, bool server, bool dtls, char *k)
{
	char ints[128], alpn[2 * 256 + 1] = "";
	size_t off = 0;

	for (size_t i = 0; i < c->alpn_len && i < 256; i++)
		snprintf(alpn + 2 * i, 3, "%02x", c->alpn[i]);
	snprintf(ints, sizeof(ints), "%d.%d.%d.%d.%d.%d.%d", server, dtls, c->require_peer_cert,
	         c->tickets, c->min_version, c->insecure_no_verify, c->psk_key_len != 0);
	for (unsigned i = 0; i < c->n_sni; i++)
		if (key_add(k, &off, "sn", c->sni_name[i]) ||
		    key_file(k, &off, "sc", c->sni_cert[i]) ||
		    key_file(k, &off, "sk", c->sni_key[i]))
			return -1;
	return key_add(k, &off, "i", ints) || key_file(k, &off, "tf", c->trust_file) ||
	       key_add(k, &off, "td", c->trust_dir) || key_file(k, &off, "cf", c->cert_file) ||
	       key_file(k, &off, "kf", c->key_file) || key_add(k, &off, "a", alpn) ||
	       key_add(k, &off, "g", c->groups) || key_add(k, &off, "s", c->sigalgs) ||
	       key_add(k, &off, "c13", c->suites13) || key_add(k, &off, "c12", c->ciphers12);
}

static SSL_CTX *cache_get(const char *key)
{
	SSL_CTX *ctx = NULL;

	pthread_mutex_lock(&cache_lock);
	for (unsigned i = 0; i < CACHE_SLOTS && !ctx; i++) {
		if (cache[i].key && strcmp(cache[i].key, key) == 0 && SSL_CTX_up_ref(cache[i].ctx))
			ctx = cache[i].ctx;
	}
	pthread_mutex_unlock(&cache_lock);
	return ctx;
}

static void cache_put(const char *key, SSL_CTX *ctx)
{
	char *k = xstrdup(key);
	unsigned i;

	if (!k || !SSL_CTX_up_ref(ctx)) {
		xfree(k);
		return;
	}
	pthread_mutex_lock(&cache_lock);
	i = cache_next++ % CACHE_SLOTS;
	xfree(cache[i].key);
	SSL_CTX_free(cache[i].ctx);
	cache[i].key = k;
	cache[i].ctx = ctx;
	pthread_mutex_unlock(&cache_lock);
}

static SSL_CTX *ctx_build(struct ts_sock *s, bool server, bool dtls);

/* ---- server certificates chosen by SNI ----
 * Each TLS_SNI_CERT entry gets its own context (same options, other chain
 * and key); the main context's servername callback switches to it. The
 * table hangs off the main context and is freed with it. */
struct sni_table {
	unsigned n;
	char *name[TS_SNI_MAX];
	SSL_CTX *ctx[TS_SNI_MAX];
};

static int sni_index = -1;
static pthread_once_t sni_once = PTHREAD_ONCE_INIT;

static void sni_table_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                           void *argp)
{
	struct sni_table *t = ptr;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (!t)
		return;
	for (unsigned i = 0; i < t->n; i++) {
		xfree(t->name[i]);
		SSL_CTX_free(t->ctx[i]);
	}
	xfree(t);
}

static void sni_init(void)
{
	sni_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, sni_table_free);
}

/* "*.example.org" matches one extra leftmost label. */
static bool sni_match(const char *pattern, const char *name)
{
	const char *dot;

	if (strcasecmp(pattern, name) == 0)
		return true;
	if (strncmp(pattern, "*.", 2) != 0 || !(dot = strchr(name, '.')) || dot == name)
		return false;
	return strcasecmp(pattern + 1, dot) == 0;
}

static int sni_cb(SSL *ssl, int *alert, void *arg)
{
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	struct sni_table *t = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), sni_index);

	(void)alert;
	(void)arg;
	if (!name || !t)
		return SSL_TLSEXT_ERR_OK; /* main certificate */
	for (unsigned i = 0; i < t->n; i++)
		if (sni_match(t->name[i], name)) {
			SSL_set_SSL_CTX(ssl, t->ctx[i]);
			break;
		}
	return SSL_TLSEXT_ERR_OK;
}

/* Builds one context per SNI entry and installs the callback on main. */
static int sni_setup(struct ts_sock *s, SSL_CTX *main_ctx, bool dtls)
{
	struct ts_conf *orig = s->conf;
	struct sni_table *t;
	int rc = 0;

	if (orig->n_sni == 0)
		return 0;
	pthread_once(&sni_once, sni_init);
	t = xcalloc(1, sizeof(*t));
	if (!t || sni_index < 0 || !SSL_CTX_set_ex_data(main_ctx, sni_index, t)) {
		xfree(t);
		return ts__fail(s, ENOMEM, "cannot set up SNI certificates");
	}
	for (unsigned i = 0; i < orig->n_sni && rc == 0; i++) {
		struct ts_conf *tmp = conf_dup(orig);

		if (!tmp)
			return ts__fail(s, ENOMEM, "cannot set up SNI certificates");
		xfree(tmp->cert_file);
		xfree(tmp->key_file);
		tmp->cert_file = xstrdup(orig->sni_cert[i]);
		tmp->key_file = xstrdup(orig->sni_key[i]);
		for (unsigned j = 0; j < tmp->n_sni; j++) {
			xfree(tmp->sni_name[j]);
			xfree(tmp->sni_cert[j]);
			xfree(tmp->sni_key[j]);
		}
		tmp->n_sni = 0;
		s->conf = tmp; /* build the sub-context from the copy */
		t->ctx[i] = tmp->cert_file && tmp->key_file ? ctx_build(s, true, dtls) : NULL;
		s->conf = orig;
		ts__conf_unref(tmp);
		t->name[i] = xstrdup(orig->sni_name[i]);
		t->n = i + 1;
		if (!t->ctx[i] || !t->name[i])
			rc = t->ctx[i] ? ts__fail(s, ENOMEM, "cannot set up SNI certificates") : -1;
	}
	if (rc == 0)
		SSL_CTX_set_tlsext_servername_callback(main_ctx, sni_cb);
	return rc;
}

SSL_CTX *ts__conf_ctx(struct ts_sock *s, bool server, bool dtls)
{
	struct ts_conf *c = s->conf;
	char *key;
	SSL_CTX *ctx;

	if (c->ctx && c->ctx_server == server)
		return c->ctx;
	key = xmalloc(KEY_MAX);
	if (key && cache_key(c, server, dtls, key) == 0) {
		ctx = cache_get(key);
		if (!ctx && (ctx = ctx_build(s, server, dtls)))
			cache_put(key, ctx);
	} else {
		ctx = ctx_build(s, server, dtls);
	}
	xfree(key);
	if (!ctx)
		return NULL;
	SSL_CTX_free(c->ctx);
	c->ctx = ctx;
	c->ctx_server = server;
	return ctx;
}

static SSL_CTX *ctx_build(struct ts_sock *s, bool server, bool dtls)
{
	const struct ts_policy *p = ts__policy();
	SSL_CTX *ctx;
	uint64_t opts =
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE;

	if (!p) {
		ts__fail(s, ENOTRECOVERABLE, "system TLS policy unusable: %s", ts__policy_error());
		return NULL;
	}
	ctx = SSL_CTX_new(dtls ? DTLS_method() : TLS_method());
	if (!ctx) {
		ts__fail(s, ENOMEM, "cannot create TLS context");
		return NULL;
	}
	if (p->ktls && !dtls)
		opts |= SSL_OP_ENABLE_KTLS;
	SSL_CTX_set_options(ctx, opts);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
	                          SSL_MODE_AUTO_RETRY);
	if (SSL_CTX_get_security_level(ctx) < 2)
		SSL_CTX_set_security_level(ctx, 2);
	if (set_versions(s, ctx, p, dtls) || set_algorithms(s, ctx, p) ||
	    set_identity(s, ctx, server) || set_trust(s, ctx, server) ||
	    set_extras(s, ctx, server, dtls) || (server && sni_setup(s, ctx, dtls))) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}
