/* SPDX-License-Identifier: Apache-2.0 */
/* setsockopt/getsockopt at level IPPROTO_TLS.  Option buffers come from the
 * application and are checked for size and content before anything is kept:
 * strings may or may not carry their NUL but never contain one, lists are
 * parsed with fixed limits, secrets have fixed size ranges. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "lib/alloc.h"
#include "crypto/tls_setup.h"
#include "tlssock/internal.h"
#include <enarx/tlssock.h>

#define OPT_STR_MAX 4096
#define ALPN_WIRE_MAX 1024

int ts__alpn_parse(const char *s, size_t n, unsigned char *out, size_t cap)
{
	size_t o = 0, i = 0;

	if (n == 0)
		return -1;
	while (i <= n) {
		size_t start = i, len;

		while (i < n && s[i] != ',') {
			unsigned char c = (unsigned char)s[i];

			if (c <= 0x20 || c >= 0x7f)
				return -1;
			i++;
		}
		len = i - start;
		if (len == 0 || len > 255 || o + 1 + len > cap)
			return -1;
		out[o++] = (unsigned char)len;
		memcpy(out + o, s + start, len);
		o += len;
		i++;
	}
	return (int)o;
}

/* Copies an option string into a fresh NUL-terminated heap string. */
static int opt_str(const void *val, socklen_t len, char **out)
{
	const char *v = val;
	size_t n = len;
	char *s;

	if (!val || n == 0)
		return -EINVAL;
	if (v[n - 1] == '\0')
		n--;
	if (n == 0 || n > OPT_STR_MAX || memchr(v, '\0', n))
		return -EINVAL;
	s = xmalloc(n + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, v, n);
	s[n] = '\0';
	*out = s;
	return 0;
}

static int opt_int(const void *val, socklen_t len, int *out)
{
	if (!val || len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

static int set_string(char **slot, const void *val, socklen_t len)
{
	char *s = NULL;
	int r = opt_str(val, len, &s);

	if (r)
		return r;
	xfree(*slot);
	*slot = s;
	return 0;
}

/* An algorithm list the application wants: must be a subset of policy. */
static int set_list(struct ts_sock *s, char **slot, const struct ts_list *allowed, const void *val,
                    socklen_t len)
{
	char *str = NULL, why[160];
	int r = opt_str(val, len, &str);

	if (r)
		return r;
	if (ts__policy_allows(allowed, str, why, sizeof(why)) != 0) {
		bool bad_syntax = strstr(why, "allowed") == NULL;

		xfree(str);
		ts__fail(s, bad_syntax ? EINVAL : EPERM, "%s", why);
		return bad_syntax ? -EINVAL : -EPERM;
	}
	xfree(*slot);
	*slot = str;
	return 0;
}

/* TLS_SNI_CERT: "name\0chain-file\0key-file" (last NUL optional).  An entry
 * with a name already present replaces it. */
static char *dup_n(const char *p, size_t n)
{
	char *d = xmalloc(n + 1);

	if (d) {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

static int set_sni_cert(struct ts_conf *c, const void *val, socklen_t len)
{
	const char *v = val, *part[3];
	size_t n = len, off = 0, plen[3];
	char *name, *cert, *key;
	unsigned slot;

	if (!val || n == 0 || n > 3 * OPT_STR_MAX)
		return -EINVAL;
	if (v[n - 1] == '\0')
		n--;
	for (int i = 0; i < 3; i++) {
		const char *end = memchr(v + off, '\0', n - off);

		part[i] = v + off;
		plen[i] = end ? (size_t)(end - part[i]) : n - off;
		if (plen[i] == 0 || plen[i] > OPT_STR_MAX || (i < 2) != (end != NULL))
			return -EINVAL;
		off += plen[i] + 1;
	}
	name = dup_n(part[0], plen[0]);
	cert = dup_n(part[1], plen[1]);
	key = dup_n(part[2], plen[2]);
	if (!name || !cert || !key) {
		xfree(name);
		xfree(cert);
		xfree(key);
		return -ENOMEM;
	}
	for (slot = 0; slot < c->n_sni; slot++)
		if (strlen(c->sni_name[slot]) == plen[0] &&
		    strncasecmp(c->sni_name[slot], part[0], plen[0]) == 0)
			break;
	if (slot == TS_SNI_MAX) {
		xfree(name);
		xfree(cert);
		xfree(key);
		return -ENOSPC;
	}
	if (slot == c->n_sni) {
		c->sni_name[slot] = c->sni_cert[slot] = c->sni_key[slot] = NULL;
		c->n_sni++;
	}
	xfree(c->sni_name[slot]);
	xfree(c->sni_cert[slot]);
	xfree(c->sni_key[slot]);
	c->sni_name[slot] = name;
	c->sni_cert[slot] = cert;
	c->sni_key[slot] = key;
	return 0;
}

/* TLS_CIPHER_SUITES: one list; "TLS_*" names are TLS 1.3 suites, the
 * others TLS 1.2 (OpenSSL names).  Each must be allowed by the policy. */
static int set_suites(struct ts_sock *s, const struct ts_policy *p, const void *val, socklen_t len)
{
	struct ts_list want;
	char *str = NULL, why[160], l13[TS_LIST_MAX * TS_NAME_MAX] = "";
	char l12[TS_LIST_MAX * TS_NAME_MAX] = "";
	size_t o13 = 0, o12 = 0;
	int r = opt_str(val, len, &str);

	if (r)
		return r;
	if (ts_list_parse(&want, str, strlen(str), why, sizeof(why)) != 0) {
		xfree(str);
		ts__fail(s, EINVAL, "%s", why);
		return -EINVAL;
	}
	xfree(str);
	for (unsigned i = 0; i < want.n; i++) {
		bool v13 = strncmp(want.name[i], "TLS_", 4) == 0;
		const struct ts_list *allowed = v13 ? &p->suites13 : &p->ciphers12;
		char *out = v13 ? l13 : l12;
		size_t *o = v13 ? &o13 : &o12;

		if (!ts_list_has(allowed, want.name[i])) {
			ts__fail(s, EPERM, "'%s' is not allowed by the system policy",
			         want.name[i]);
			return -EPERM;
		}
		*o += (size_t)snprintf(out + *o, sizeof(l13) - *o, "%s%s", *o ? ":" : "",
		                       want.name[i]);
	}
	xfree(s->conf->suites13);
	xfree(s->conf->ciphers12);
	s->conf->suites13 = o13 ? xstrdup(l13) : NULL;
	s->conf->ciphers12 = o12 ? xstrdup(l12) : NULL;
	/* Only TLS 1.3 names: TLS 1.2 keeps the policy's list; only 1.2 names:
	 * TLS 1.3 keeps the policy's list.  Both narrowed when both appear. */
	return 0;
}

static int set_alpn(struct ts_conf *c, const void *val, socklen_t len)
{
	unsigned char wire[ALPN_WIRE_MAX];
	char *str = NULL;
	int n, r = opt_str(val, len, &str);

	if (r)
		return r;
	n = ts__alpn_parse(str, strlen(str), wire, sizeof(wire));
	xfree(str);
	if (n <= 0)
		return -EINVAL;
	xfree(c->alpn);
	c->alpn = xmalloc((size_t)n);
	if (!c->alpn) {
		c->alpn_len = 0;
		return -ENOMEM;
	}
	memcpy(c->alpn, wire, (size_t)n);
	c->alpn_len = (size_t)n;
	return 0;
}

static int set_bytes_secret(unsigned char **slot, size_t *slot_len, const void *val, socklen_t len,
                            size_t max)
{
	unsigned char *p;

	if (!val || len == 0 || (size_t)len > max)
		return -EINVAL;
	p = xmalloc(len);
	if (!p)
		return -ENOMEM;
	memcpy(p, val, len);
	if (*slot) {
		ts__wipe(*slot, *slot_len);
		xfree(*slot);
	}
	*slot = p;
	*slot_len = len;
	return 0;
}

static int set_min_version(const struct ts_policy *p, struct ts_conf *c, int v)
{
	if (v != TLS1_2_VERSION && v != TLS1_3_VERSION)
		return -EINVAL;
	if (v < p->min_version)
		return -EPERM; /* below the system minimum: loosening */
	c->min_version = v;
	return 0;
}

/* Options that change the configuration; only before the handshake. */
static int set_conf(struct ts_sock *s, int name, const void *val, socklen_t len)
{
	const struct ts_policy *p = ts__policy();
	struct ts_conf *c;
	int v = 0;

	if (!p)
		return -ENOTRECOVERABLE;
	if (s->state != TS_NEW && s->state != TS_LISTEN)
		return -EISCONN;
	if (ts__conf_own(s) != 0)
		return -ENOMEM;
	c = s->conf;
	switch (name) {
	case TLS_PEER_NAME: return set_string(&c->peer_name, val, len);
	case TLS_TRUST_FILE: return set_string(&c->trust_file, val, len);
	case TLS_TRUST_DIR: return set_string(&c->trust_dir, val, len);
	case TLS_CERT_CHAIN_FILE: return set_string(&c->cert_file, val, len);
	case TLS_PRIVATE_KEY_FILE: return set_string(&c->key_file, val, len);
	case TLS_ALPN: return set_alpn(c, val, len);
	case TLS_PSK_IDENTITY:
		if (len > 129)
			return -EINVAL;
		return set_string(&c->psk_identity, val, len);
	case TLS_PSK_KEY:
		if (!val || len < 16 || len > (socklen_t)sizeof(c->psk_key))
			return -EINVAL;
		ts__wipe(c->psk_key, sizeof(c->psk_key));
		memcpy(c->psk_key, val, len);
		c->psk_key_len = len;
		return 0;
	case TLS_SESSION: return set_bytes_secret(&c->session, &c->session_len, val, len, 65536);
	case TLS_SNI_CERT: return set_sni_cert(c, val, len);
	case TLS_GROUPS: return set_list(s, &c->groups, &p->groups, val, len);
	case TLS_SIGNATURE_ALGORITHMS: return set_list(s, &c->sigalgs, &p->sigalgs, val, len);
	case TLS_CIPHER_SUITES: return set_suites(s, p, val, len);
	default: break;
	}
	if (opt_int(val, len, &v) != 0)
		return -EINVAL;
	switch (name) {
	case TLS_REQUIRE_PEER_CERT: c->require_peer_cert = v != 0; return 0;
	case TLS_SESSION_TICKETS: c->tickets = v != 0; return 0;
	case TLS_SESSION_CACHE: c->session_cache = v != 0; return 0;
	case TLS_MIN_PROTOCOL_VERSION: return set_min_version(p, c, v);
	case TLS_HANDSHAKE_TIMEOUT:
		if (v <= 0)
			return -EINVAL;
		c->timeout_ms = v;
		return 0;
	case TLS_INSECURE_NO_VERIFY:
		if (v && !p->allow_insecure)
			return -EPERM;
		c->insecure_no_verify = v != 0;
		return 0;
	default: return -ENOPROTOOPT;
	}
}

/* TLS_HANDSHAKE.  On a socket connected before it became TLS (STARTTLS
 * through SO_PROTOCOL) the int value gives the role: TLS_ROLE_CLIENT or
 * TLS_ROLE_SERVER.  Otherwise the role is known and the value is ignored. */
static int start_handshake(struct ts_sock *s, unsigned long gen, const void *val, socklen_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int role = 0;

	if (s->state == TS_NEW) {
		if (!val || opt_int(val, len, &role) != 0 ||
		    (role != TLS_ROLE_CLIENT && role != TLS_ROLE_SERVER)) {
			errno = EINVAL;
			return -1;
		}
		if (getpeername(s->fd, (struct sockaddr *)&ss, &sl) != 0) {
			errno = ENOTCONN;
			return -1;
		}
		if (ts__setup(s, gen, role == TLS_ROLE_SERVER) != 0)
			return -1;
	}
	return ts__handshake(s, gen, ts__fd_nonblock(s->fd));
}

int ts__setopt(struct ts_sock *s, unsigned long gen, int name, const void *val, socklen_t len)
{
	int r;

	if (name == TLS_HANDSHAKE)
		return start_handshake(s, gen, val, len);
	if (ts__lock(s, gen) != 0)
		return -1;
	r = set_conf(s, name, val, len);
	if (r < 0 && r != -EPERM && r != -EINVAL)
		s->err_errno = -r;
	pthread_mutex_unlock(&s->lock);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

/* ---- getsockopt ---- */

static int out_bytes(void *val, socklen_t *len, const void *src, size_t n)
{
	if (!len || (n && !val))
		return -EINVAL;
	if (*len < n) {
		*len = (socklen_t)n; /* tells the caller the size needed */
		return -ERANGE;
	}
	memcpy(val, src, n);
	*len = (socklen_t)n;
	return 0;
}

static int out_str(void *val, socklen_t *len, const char *s)
{
	return out_bytes(val, len, s ? s : "", strlen(s ? s : "") + 1);
}

static int out_int(void *val, socklen_t *len, int v)
{
	if (!val || !len || *len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(int);
	return 0;
}

static int get_peer_cert(struct ts_sock *s, void *val, socklen_t *len)
{
	X509 *x = s->ssl ? SSL_get0_peer_certificate(s->ssl) : NULL;
	unsigned char *der = NULL;
	int n, r;

	if (!x)
		return -ENOENT;
	n = i2d_X509(x, &der);
	if (n <= 0)
		return -ENOMEM;
	r = out_bytes(val, len, der, (size_t)n);
	OPENSSL_free(der);
	return r;
}

static int get_session(struct ts_sock *s, void *val, socklen_t *len)
{
	SSL_SESSION *sess;
	unsigned char *der = NULL, one;
	size_t dummy;
	int n, r;

	if (!s->ssl || s->state != TS_OPEN)
		return -ENOTCONN;
	/* TLS 1.3 tickets arrive after the handshake: process any that are
	 * already here without blocking. */
	ERR_clear_error();
	if (s->type == SOCK_STREAM && !s->server)
		SSL_peek_ex(s->ssl, &one, 1, &dummy);
	ERR_clear_error();
	sess = SSL_get1_session(s->ssl);
	if (!sess || !SSL_SESSION_is_resumable(sess)) {
		SSL_SESSION_free(sess);
		return -EAGAIN;
	}
	n = i2d_SSL_SESSION(sess, &der);
	SSL_SESSION_free(sess);
	if (n <= 0)
		return -ENOMEM;
	r = out_bytes(val, len, der, (size_t)n);
	OPENSSL_clear_free(der, (size_t)n);
	return r;
}

static int get_group(struct ts_sock *s, void *val, socklen_t *len)
{
	return out_str(val, len, enarx_tls_group_name(s->ssl));
}

static int get_alpn(struct ts_sock *s, void *val, socklen_t *len)
{
	const unsigned char *p = NULL;
	unsigned int n = 0;
	char buf[256];

	if (s->ssl)
		SSL_get0_alpn_selected(s->ssl, &p, &n);
	memcpy(buf, p ? p : (const unsigned char *)"", n);
	buf[n] = '\0';
	return out_str(val, len, buf);
}

static int get_ktls(struct ts_sock *s, void *val, socklen_t *len)
{
	int v = 0;

	if (s->ssl && SSL_get_wbio(s->ssl) && BIO_get_ktls_send(SSL_get_wbio(s->ssl)))
		v |= 1;
	if (s->ssl && SSL_get_rbio(s->ssl) && BIO_get_ktls_recv(SSL_get_rbio(s->ssl)))
		v |= 2;
	return out_int(val, len, v);
}

static int get_binding(struct ts_sock *s, void *val, socklen_t *len)
{
	static const char label[] = "EXPORTER-Channel-Binding";
	unsigned char out[32];
	int r;

	if (SSL_export_keying_material(s->ssl, out, sizeof(out), label, sizeof(label) - 1, NULL, 0,
	                               0) != 1)
		return -ENOTCONN;
	r = out_bytes(val, len, out, sizeof(out));
	ts__wipe(out, sizeof(out));
	return r;
}

/* Values that exist only after the handshake. */
static int get_after(struct ts_sock *s, int name, void *val, socklen_t *len)
{
	const SSL_CIPHER *c;

	if (!s->ssl || s->state != TS_OPEN)
		return -ENOTCONN;
	switch (name) {
	case TLS_ALPN: return get_alpn(s, val, len);
	case TLS_SESSION: return get_session(s, val, len);
	case TLS_SESSION_REUSED: return out_int(val, len, SSL_session_reused(s->ssl));
	case TLS_PEER_CERT: return get_peer_cert(s, val, len);
	case TLS_PROTOCOL_VERSION: return out_int(val, len, SSL_version(s->ssl));
	case TLS_CIPHER_SUITE:
		c = SSL_get_current_cipher(s->ssl);
		return out_str(val, len, c ? SSL_CIPHER_standard_name(c) : "");
	case TLS_GROUP: return get_group(s, val, len);
	case TLS_KTLS: return get_ktls(s, val, len);
	case TLS_CHANNEL_BINDING: return get_binding(s, val, len);
	default: return -ENOPROTOOPT;
	}
}

static int get_opt(struct ts_sock *s, int name, void *val, socklen_t *len)
{
	struct ts_conf *c = s->conf;

	switch (name) {
	case TLS_PEER_NAME:
		if (s->server && s->ssl) /* the name the client asked for (SNI) */
			return out_str(val, len,
			               SSL_get_servername(s->ssl, TLSEXT_NAMETYPE_host_name));
		return out_str(val, len, c->peer_name);
	case TLS_REQUIRE_PEER_CERT: return out_int(val, len, c->require_peer_cert);
	case TLS_PSK_IDENTITY: return out_str(val, len, c->psk_identity);
	case TLS_SESSION_TICKETS: return out_int(val, len, c->tickets);
	case TLS_SESSION_CACHE: return out_int(val, len, c->session_cache);
	case TLS_ERROR: return out_str(val, len, s->err);
	case TLS_MIN_PROTOCOL_VERSION: {
		const struct ts_policy *p = ts__policy();
		int v = p ? p->min_version : TLS1_2_VERSION;

		return out_int(val, len, c->min_version > v ? c->min_version : v);
	}
	case TLS_HANDSHAKE_TIMEOUT: return out_int(val, len, c->timeout_ms);
	case TLS_HANDSHAKE_WANT: return out_int(val, len, s->state == TS_HANDSHAKE ? s->want : 0);
	case TLS_PENDING:
		return out_int(val, len, s->ssl && s->state == TS_OPEN ? SSL_pending(s->ssl) : 0);
	case TLS_INSECURE_NO_VERIFY: return out_int(val, len, c->insecure_no_verify);
	case TLS_PSK_KEY: return -EPERM; /* secrets are write-only */
	default: return get_after(s, name, val, len);
	}
}

int ts__getopt(struct ts_sock *s, unsigned long gen, int name, void *val, socklen_t *len)
{
	int r;

	if (ts__lock(s, gen) != 0)
		return -1;
	r = get_opt(s, name, val, len);
	pthread_mutex_unlock(&s->lock);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return 0;
}

int tlssock_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	unsigned long gen = 0;
	struct ts_sock *s = ts__get_gen(fd, &gen);
	int v = 0;

	if (level == SOL_SOCKET && name == SO_PROTOCOL && opt_int(val, len, &v) == 0 &&
	    v == IPPROTO_TLS)
		return ts__upgrade(fd);

	if (!s || level != IPPROTO_TLS)
		return ts__sys()->setsockopt(fd, level, name, val, len);
	return ts__setopt(s, gen, name, val, len);
}

int tlssock_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	unsigned long gen = 0;
	struct ts_sock *s = ts__get_gen(fd, &gen);

	if (s && level == SOL_SOCKET && name == SO_PROTOCOL)
		return out_int(val, len, IPPROTO_TLS) ? (errno = EINVAL, -1) : 0;
	if (!s || level != IPPROTO_TLS)
		return ts__sys()->getsockopt(fd, level, name, val, len);
	return ts__getopt(s, gen, name, val, len);
}
