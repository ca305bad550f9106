/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded parser for the TLSSock policy file: "key = value" lines, '#'
 * comments.  The file may come from anywhere the administrator points to, so
 * it is read through the project cursor with fixed limits (file size, line
 * length, names per list, bytes per name) and every error names its line. */
#include "tlssock/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "crypto/tls_setup.h"
#include "lib/cursor.h"

static const char *const default_sigalgs[] = {
    "ECDSA+SHA256",
    "ECDSA+SHA384",
    "ECDSA+SHA512",
    "ed25519",
    "ed448",
    "rsa_pss_pss_sha256",
    "rsa_pss_pss_sha384",
    "rsa_pss_pss_sha512",
    "rsa_pss_rsae_sha256",
    "rsa_pss_rsae_sha384",
    "rsa_pss_rsae_sha512",
    "RSA+SHA256",
    "RSA+SHA384",
    "RSA+SHA512",
};
static const char *const default_suites13[] = {
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
};
/* Forward-secret AEAD suites only; the PSK ones are used only when a PSK is
 * configured on the socket. */
static const char *const default_ciphers12[] = {
    "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-PSK-CHACHA20-POLY1305",   "DHE-PSK-AES256-GCM-SHA384",
    "DHE-PSK-CHACHA20-POLY1305",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void list_fill(struct ts_list *l, const char *const *names, size_t n)
{
	l->n = 0;
	for (size_t i = 0; i < n && i < TS_LIST_MAX; i++)
		snprintf(l->name[l->n++], TS_NAME_MAX, "%s", names[i]);
}

void ts_policy_defaults(struct ts_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->min_version = 0x0303;
	p->dtls_min_version = 0xfefd;
	ts_list_parse(&p->groups, ENARX_TLS_DEFAULT_GROUPS, strlen(ENARX_TLS_DEFAULT_GROUPS), NULL,
	              0);
	list_fill(&p->sigalgs, default_sigalgs, N(default_sigalgs));
	list_fill(&p->suites13, default_suites13, N(default_suites13));
	list_fill(&p->ciphers12, default_ciphers12, N(default_ciphers12));
	p->allow_insecure = true;
	p->ktls = true;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == '+';
}

int ts_list_parse(struct ts_list *l, const char *s, size_t n, char *err, size_t errlen)
{
	struct ts_list tmp;
	size_t i = 0;

	memset(&tmp, 0, sizeof(tmp)); /* whole-struct compares see no stale bytes */
	while (i <= n) {
		size_t start = i, len;

		while (i < n && s[i] != ':' && s[i] != ',') {
			if (!name_char(s[i])) {
				set_err(err, errlen, "bad character 0x%02x in name",
				        (unsigned char)s[i]);
				return -1;
			}
			i++;
		}
		len = i - start;
		if (len == 0) {
			set_err(err, errlen, "empty name in list");
			return -1;
		}
		if (len >= TS_NAME_MAX) {
			set_err(err, errlen, "name longer than %d bytes", TS_NAME_MAX - 1);
			return -1;
		}
		if (tmp.n == TS_LIST_MAX) {
			set_err(err, errlen, "more than %d names in list", TS_LIST_MAX);
			return -1;
		}
		memcpy(tmp.name[tmp.n], s + start, len);
		tmp.name[tmp.n][len] = '\0';
		tmp.n++;
		i++; /* skip the separator (or step past the end) */
	}
	*l = tmp;
	return 0;
}

/* Canonical spelling for names that have several. */
static const char *canon(const char *name)
{
	static const char *const alias[][3] = {
	    {"P-256", "secp256r1", "prime256v1"},
	    {"P-384", "secp384r1", "secp384r1"},
	    {"P-521", "secp521r1", "secp521r1"},
	};

	for (size_t i = 0; i < N(alias); i++)
		for (size_t j = 0; j < 3; j++)
			if (strcasecmp(name, alias[i][j]) == 0)
				return alias[i][0];
	return name;
}

bool ts_list_has(const struct ts_list *l, const char *name)
{
	const char *c = canon(name);

	for (unsigned i = 0; i < l->n; i++)
		if (strcasecmp(canon(l->name[i]), c) == 0)
			return true;
	return false;
}

int ts_list_join(const struct ts_list *l, char *out, size_t cap)
{
	size_t off = 0;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	for (unsigned i = 0; i < l->n; i++) {
		int w = snprintf(out + off, cap - off, "%s%s", i ? ":" : "", l->name[i]);

		if (w < 0 || (size_t)w >= cap - off)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

static int parse_version(const char *v, bool dtls, int *out)
{
	if (!dtls && (strcasecmp(v, "TLS1.2") == 0 || strcasecmp(v, "TLSv1.2") == 0))
		*out = 0x0303;
	else if (!dtls && (strcasecmp(v, "TLS1.3") == 0 || strcasecmp(v, "TLSv1.3") == 0))
		*out = 0x0304;
	else if (dtls && (strcasecmp(v, "DTLS1.2") == 0 || strcasecmp(v, "DTLSv1.2") == 0))
		*out = 0xfefd;
	else
		return -1;
	return 0;
}

static const char *const pq_modes[] = {"prefer", "allow", "require", "forbid"};

static int parse_pq(const char *v, enum ts_pq *out)
{
	for (size_t i = 0; i < N(pq_modes); i++)
		if (strcmp(v, pq_modes[i]) == 0) {
			*out = (enum ts_pq)i;
			return 0;
		}
	return -1;
}

/* Reorders or filters the groups for the post-quantum mode; -1 if nothing
 * is left. */
static int apply_pq(struct ts_policy *p, char *err, size_t errlen)
{
	struct ts_list out = {0};

	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < p->groups.n; i++) {
			bool pq = enarx_tls_group_is_pq(p->groups.name[i]);
			bool take;

			switch (p->post_quantum) {
			case TS_PQ_PREFER: take = pass == 0 ? pq : !pq; break;
			case TS_PQ_ALLOW: take = pass == 0; break;
			case TS_PQ_REQUIRE: take = pass == 0 && pq; break;
			default: take = pass == 0 && !pq; break;
			}
			if (take)
				memcpy(out.name[out.n++], p->groups.name[i], TS_NAME_MAX);
		}
	if (out.n == 0) {
		set_err(err, errlen, "post-quantum = %s leaves no group in 'groups'",
		        pq_modes[p->post_quantum]);
		return -1;
	}
	p->groups = out;
	return 0;
}

static int parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = true;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
		*out = false;
	else
		return -1;
	return 0;
}

enum {
	K_MIN_VERSION,
	K_DTLS_MIN_VERSION,
	K_GROUPS,
	K_SIGALGS,
	K_SUITES13,
	K_CIPHERS12,
	K_ALLOW_INSECURE,
	K_KTLS,
	K_POST_QUANTUM,
	K_COUNT
};

static const char *const key_names[K_COUNT] = {
    "min-version",   "dtls-min-version", "groups", "sigalgs",      "tls13-ciphersuites",
    "tls12-ciphers", "allow-insecure",   "ktls",   "post-quantum",
};

static struct ts_list *key_list(struct ts_policy *p, int k)
{
	switch (k) {
	case K_GROUPS: return &p->groups;
	case K_SIGALGS: return &p->sigalgs;
	case K_SUITES13: return &p->suites13;
	case K_CIPHERS12: return &p->ciphers12;
	default: return NULL;
	}
}

static int apply_key(struct ts_policy *p, int k, const char *v, char *err, size_t errlen)
{
	struct ts_list *l = key_list(p, k);

	if (l)
		return ts_list_parse(l, v, strlen(v), err, errlen);
	switch (k) {
	case K_MIN_VERSION:
		if (parse_version(v, false, &p->min_version) == 0)
			return 0;
		set_err(err, errlen, "min-version must be TLS1.2 or TLS1.3");
		return -1;
	case K_DTLS_MIN_VERSION:
		if (parse_version(v, true, &p->dtls_min_version) == 0)
			return 0;
		set_err(err, errlen, "dtls-min-version must be DTLS1.2");
		return -1;
	case K_ALLOW_INSECURE:
	case K_KTLS:
		if (parse_bool(v, k == K_KTLS ? &p->ktls : &p->allow_insecure) == 0)
			return 0;
		set_err(err, errlen, "%s must be yes or no", key_names[k]);
		return -1;
	case K_POST_QUANTUM:
		if (parse_pq(v, &p->post_quantum) == 0)
			return 0;
		set_err(err, errlen, "post-quantum must be prefer, allow, require or forbid");
		return -1;
	default: return -1;
	}
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Trims the line in place, splits it at '=' and applies it. */
static int parse_line(struct ts_policy *p, char *line, unsigned *seen, char *err, size_t errlen)
{
	char *eq, *key, *val, *e;
	char *hash = strchr(line, '#');
	int k;

	if (hash)
		*hash = '\0';
	for (key = line; is_space(*key); key++)
		;
	if (*key == '\0')
		return 0;
	eq = strchr(key, '=');
	if (!eq) {
		set_err(err, errlen, "expected 'key = value'");
		return -1;
	}
	for (e = eq; e > key && is_space(e[-1]); e--)
		;
	*e = '\0';
	for (val = eq + 1; is_space(*val); val++)
		;
	for (e = val + strlen(val); e > val && is_space(e[-1]); e--)
		;
	*e = '\0';
	for (k = 0; k < K_COUNT; k++)
		if (strcmp(key, key_names[k]) == 0)
			break;
	if (k == K_COUNT) {
		set_err(err, errlen, "unknown key '%.40s'", key);
		return -1;
	}
	if (*seen & (1u << k)) {
		set_err(err, errlen, "duplicate key '%s'", key_names[k]);
		return -1;
	}
	*seen |= 1u << k;
	return apply_key(p, k, val, err, errlen);
}

int ts_policy_parse(struct ts_policy *p, const char *buf, size_t len, char *err, size_t errlen)
{
	struct cursor c;
	struct ts_policy tmp = *p;
	char line[TS_POLICY_MAX_LINE + 1];
	char why[160];
	unsigned seen = 0, lineno = 0;

	if (len > TS_POLICY_MAX_BYTES) {
		set_err(err, errlen, "policy larger than %d bytes", TS_POLICY_MAX_BYTES);
		return -1;
	}
	cursor_init(&c, buf, len);
	while (!cursor_eof(&c)) {
		size_t n = 0;
		uint8_t ch = 0;

		lineno++;
		while (cursor_u8(&c, &ch) == 0 && ch != '\n') {
			if (ch == '\0') {
				set_err(err, errlen, "line %u: NUL byte", lineno);
				return -1;
			}
			if (n == TS_POLICY_MAX_LINE) {
				set_err(err, errlen, "line %u: longer than %d bytes", lineno,
				        TS_POLICY_MAX_LINE);
				return -1;
			}
			line[n++] = (char)ch;
		}
		line[n] = '\0';
		why[0] = '\0';
		if (parse_line(&tmp, line, &seen, why, sizeof(why)) != 0) {
			set_err(err, errlen, "line %u: %s", lineno, why);
			return -1;
		}
	}
	if (apply_pq(&tmp, err, errlen) != 0)
		return -1;
	*p = tmp;
	return 0;
}
