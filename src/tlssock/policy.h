/* SPDX-License-Identifier: Apache-2.0 */
/* TLSSock system policy: the parsed form of /etc/enarx/tlssock.conf.  This
 * part is pure (no OpenSSL, no I/O) so it can be fuzzed; policy_apply.c
 * loads the file and checks the names against the TLS library. */
#ifndef ENARX_TLSSOCK_POLICY_H
#define ENARX_TLSSOCK_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#define TS_LIST_MAX 64 /* names per list */
#define TS_NAME_MAX 64 /* bytes per name including NUL */
#define TS_POLICY_MAX_BYTES 65536
#define TS_POLICY_MAX_LINE 1024

struct ts_list {
	unsigned n;
	char name[TS_LIST_MAX][TS_NAME_MAX];
};

/* How post-quantum groups (src/crypto/pq_groups.def) are used: */
enum ts_pq {
	TS_PQ_PREFER,  /* default: PQ groups moved ahead of classical ones */
	TS_PQ_ALLOW,   /* the groups list order is kept as written */
	TS_PQ_REQUIRE, /* only PQ groups: classical-only peers fail */
	TS_PQ_FORBID,  /* PQ groups removed */
};

struct ts_policy {
	int min_version;          /* 0x0303 (TLS 1.2) or 0x0304 (TLS 1.3) */
	int dtls_min_version;     /* 0xfefd (DTLS 1.2) */
	struct ts_list groups;    /* key exchange groups, preference order */
	enum ts_pq post_quantum;  /* applied to groups after parsing */
	struct ts_list sigalgs;   /* signature algorithms */
	struct ts_list suites13;  /* TLS 1.3 cipher suites (IANA names) */
	struct ts_list ciphers12; /* TLS 1.2 cipher suites (OpenSSL names) */
	bool allow_insecure;      /* may apps use the *_INSECURE_* options? */
	bool ktls;                /* use kernel TLS where the kernel offers it */
};

/* Fills p with the built-in defaults (used when no file exists). */
void ts_policy_defaults(struct ts_policy *p);

/* Parses a policy file held in buf[0..len).  Keys not given keep the value
 * p already holds (call ts_policy_defaults first); the post-quantum mode is
 * then applied to the groups.  Returns 0, or -1 with a message naming the
 * line (or the post-quantum mode that left no group) in err. */
int ts_policy_parse(struct ts_policy *p, const char *buf, size_t len, char *err, size_t errlen);

/* Parses a ':' or ',' separated name list.  Returns 0 or -1 (err set). */
int ts_list_parse(struct ts_list *l, const char *s, size_t n, char *err, size_t errlen);

/* Case-insensitive membership test; knows the P-256/secp256r1/prime256v1
 * style aliases of the NIST curves. */
bool ts_list_has(const struct ts_list *l, const char *name);

/* Writes the list as "a:b:c" into out (cap bytes).  Returns 0 or -1 if it
 * does not fit. */
int ts_list_join(const struct ts_list *l, char *out, size_t cap);

/* The parts that need OpenSSL (policy_ctx.c), shared with the Keep's TLS.
 * Drops the names the linked TLS library does not know (with a warning);
 * -1 with a reason in err if a list is left empty. */
int ts_policy_check_names(struct ts_policy *p, char *err, size_t errlen);

/* Applies p to ctx (an SSL_CTX *): minimum version, the four algorithm
 * lists, no renegotiation or compression, server preference, security
 * level at least 2. 0, or -1 with a reason in err. */
struct ssl_ctx_st;
int ts_policy_apply_ctx(const struct ts_policy *p, struct ssl_ctx_st *ctx, char *err,
                        size_t errlen);

#endif
