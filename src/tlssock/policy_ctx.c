/* SPDX-License-Identifier: Apache-2.0 */
/* The TLS policy (policy.h) against a TLS library context: dropping names
 * the linked OpenSSL does not know, and applying a policy to an SSL_CTX.
 * Shared by TLSSock (policy_apply.c) and the Keep's TLS (src/exec/tls.c),
 * so both speak the same policy file with the same meaning. Needs no
 * TLSSock socket state. */
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "tlssock/policy.h"

typedef int (*name_check)(SSL_CTX *, const char *);

static int check_group(SSL_CTX *c, const char *n)
{
	return SSL_CTX_set1_groups_list(c, n);
}
static int check_sigalg(SSL_CTX *c, const char *n)
{
	return SSL_CTX_set1_sigalgs_list(c, n);
}
static int check_suite13(SSL_CTX *c, const char *n)
{
	return SSL_CTX_set_ciphersuites(c, n);
}
static int check_cipher12(SSL_CTX *c, const char *n)
{
	return SSL_CTX_set_cipher_list(c, n);
}

static void filter(SSL_CTX *c, struct ts_list *l, name_check ok, const char *what)
{
	unsigned keep = 0;

	for (unsigned i = 0; i < l->n; i++) {
		if (ok(c, l->name[i]) == 1) {
			if (keep != i)
				memcpy(l->name[keep], l->name[i], TS_NAME_MAX);
			keep++;
		} else {
			log_warn("tls policy: %s '%s' unknown to %s, ignored", what, l->name[i],
			         OpenSSL_version(OPENSSL_VERSION));
		}
		ERR_clear_error();
	}
	l->n = keep;
}

int ts_policy_check_names(struct ts_policy *p, char *err, size_t errlen)
{
	SSL_CTX *c = SSL_CTX_new(TLS_method());

	if (!c) {
		snprintf(err, errlen, "cannot create TLS context");
		return -1;
	}
	filter(c, &p->groups, check_group, "group");
	filter(c, &p->sigalgs, check_sigalg, "signature algorithm");
	filter(c, &p->suites13, check_suite13, "TLS 1.3 suite");
	filter(c, &p->ciphers12, check_cipher12, "TLS 1.2 cipher");
	SSL_CTX_free(c);
	if (p->groups.n == 0 || p->sigalgs.n == 0 || p->suites13.n == 0 ||
	    (p->ciphers12.n == 0 && p->min_version < 0x0304)) {
		snprintf(err, errlen, "policy leaves an algorithm list empty");
		return -1;
	}
	return 0;
}

int ts_policy_apply_ctx(const struct ts_policy *p, SSL_CTX *ctx, char *err, size_t errlen)
{
	char list[TS_LIST_MAX * TS_NAME_MAX];
	const char *what = NULL;

	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_get_security_level(ctx) < 2)
		SSL_CTX_set_security_level(ctx, 2);
	if (SSL_CTX_set_min_proto_version(ctx, p->min_version) != 1)
		what = "minimum protocol version";
	else if (ts_list_join(&p->groups, list, sizeof(list)) ||
	         SSL_CTX_set1_groups_list(ctx, list) != 1)
		what = "key exchange groups";
	else if (ts_list_join(&p->sigalgs, list, sizeof(list)) ||
	         SSL_CTX_set1_sigalgs_list(ctx, list) != 1)
		what = "signature algorithms";
	else if (ts_list_join(&p->suites13, list, sizeof(list)) ||
	         SSL_CTX_set_ciphersuites(ctx, list) != 1)
		what = "TLS 1.3 cipher suites";
	else if (p->min_version < 0x0304 && (ts_list_join(&p->ciphers12, list, sizeof(list)) ||
	                                     SSL_CTX_set_cipher_list(ctx, list) != 1))
		what = "TLS 1.2 ciphers";
	if (!what)
		return 0;
	snprintf(err, errlen, "cannot set the policy's %s", what);
	return -1;
}
