/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the TLSSock policy parser, name lists and the ALPN option
 * parser: the bytes TLSSock parses itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tlssock/internal.h"
#include "tlssock/policy.h"

static int parse(struct ts_policy *p, const char *text, char *err, size_t n)
{
	ts_policy_defaults(p);
	return ts_policy_parse(p, text, strlen(text), err, n);
}

static void test_defaults_are_secure(void **state)
{
	struct ts_policy p;

	(void)state;
	ts_policy_defaults(&p);
	assert_int_equal(p.min_version, 0x0303);
	assert_true(ts_list_has(&p.groups, "X25519"));
	assert_true(ts_list_has(&p.suites13, "TLS_AES_256_GCM_SHA384"));
	for (unsigned i = 0; i < p.ciphers12.n; i++) {
		/* forward secrecy and AEAD only */
		assert_true(strstr(p.ciphers12.name[i], "DHE") != NULL);
		assert_true(strstr(p.ciphers12.name[i], "GCM") ||
		            strstr(p.ciphers12.name[i], "CHACHA20"));
	}
	for (unsigned i = 0; i < p.sigalgs.n; i++)
		assert_null(strstr(p.sigalgs.name[i], "SHA1"));
}

static void test_full_file(void **state)
{
	struct ts_policy p;
	char err[200] = "";
	const char *text = "# system policy\n"
	                   "min-version = TLS1.3\n"
	                   "groups = X25519MLKEM768:X25519 # PQ hybrid first\n"
	                   "sigalgs=ed25519:ECDSA+SHA256\r\n"
	                   "tls13-ciphersuites = TLS_AES_256_GCM_SHA384\n"
	                   "\n   \t\n"
	                   "tls12-ciphers = ECDHE-ECDSA-AES256-GCM-SHA384\n"
	                   "allow-insecure = no\n"
	                   "ktls = no";

	(void)state;
	assert_int_equal(parse(&p, text, err, sizeof(err)), 0);
	assert_int_equal(p.min_version, 0x0304);
	assert_int_equal(p.groups.n, 2);
	assert_string_equal(p.groups.name[0], "X25519MLKEM768");
	assert_string_equal(p.groups.name[1], "X25519");
	assert_int_equal(p.sigalgs.n, 2);
	assert_string_equal(p.sigalgs.name[1], "ECDSA+SHA256");
	assert_int_equal(p.suites13.n, 1);
	assert_false(p.allow_insecure);
	assert_false(p.ktls);
}

static void expect_error(const char *text, const char *needle)
{
	struct ts_policy p, before;
	char err[200] = "";

	ts_policy_defaults(&before);
	assert_int_equal(parse(&p, text, err, sizeof(err)), -1);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not contain '%s'", err, needle);
	/* a failed parse leaves the policy untouched */
	assert_memory_equal(&p, &before, sizeof(p));
}

static void test_errors_name_the_line(void **state)
{
	(void)state;
	expect_error("groups = X25519\nbogus-key = 1\n", "line 2: unknown key");
	expect_error("groups = X25519\ngroups = P-256\n", "line 2: duplicate key");
	expect_error("min-version = TLS1.1\n", "line 1: min-version");
	expect_error("min-version = SSL3\n", "line 1");
	expect_error("groups\n", "expected 'key = value'");
	expect_error("groups = \n", "empty name");
	expect_error("groups = X25519::P-256\n", "empty name");
	expect_error("groups = X25519;P-256\n", "bad character");
	expect_error("allow-insecure = maybe\n", "yes or no");
	expect_error("dtls-min-version = TLS1.2\n", "DTLS1.2");
}

static void test_limits(void **state)
{
	static char big[TS_POLICY_MAX_BYTES + 2];
	char line[TS_POLICY_MAX_LINE + 40];
	char list[TS_LIST_MAX * 4 + 64];
	size_t o = 0;

	(void)state;
	memset(big, '#', sizeof(big) - 1);
	expect_error(big, "larger than");
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	expect_error(line, "longer than");
	o += (size_t)snprintf(list, sizeof(list), "groups = ");
	for (int i = 0; i <= TS_LIST_MAX; i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%sg%d", i ? ":" : "", i % 10);
	expect_error(list, "more than");
	expect_error(
	    "groups = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    "longer than");
	{
		const char nul[] = "groups = X25519\0\n";
		struct ts_policy p;
		char err[100];

		ts_policy_defaults(&p);
		assert_int_equal(ts_policy_parse(&p, nul, sizeof(nul) - 1, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "NUL"));
	}
}

static void test_list_aliases(void **state)
{
	struct ts_list l;
	char err[64], out[128];

	(void)state;
	assert_int_equal(ts_list_parse(&l, "P-256,x25519", 12, err, sizeof(err)), 0);
	assert_true(ts_list_has(&l, "prime256v1"));
	assert_true(ts_list_has(&l, "secp256r1"));
	assert_true(ts_list_has(&l, "X25519"));
	assert_false(ts_list_has(&l, "P-384"));
	assert_int_equal(ts_list_join(&l, out, sizeof(out)), 0);
	assert_string_equal(out, "P-256:x25519");
	assert_int_equal(ts_list_join(&l, out, 5), -1);
}

static void test_alpn_parse(void **state)
{
	unsigned char w[64];

	(void)state;
	assert_int_equal(ts__alpn_parse("h2,http/1.1", 11, w, sizeof(w)), 12);
	assert_memory_equal(w, "\x02h2\x08http/1.1", 12);
	assert_int_equal(ts__alpn_parse("", 0, w, sizeof(w)), -1);
	assert_int_equal(ts__alpn_parse("h2,", 3, w, sizeof(w)), -1);
	assert_int_equal(ts__alpn_parse(",h2", 3, w, sizeof(w)), -1);
	assert_int_equal(ts__alpn_parse("h 2", 3, w, sizeof(w)), -1);
	assert_int_equal(ts__alpn_parse("abcdef", 6, w, 4), -1); /* does not fit */
	{
		char longname[300];

		memset(longname, 'x', sizeof(longname));
		assert_int_equal(ts__alpn_parse(longname, 256, w, sizeof(w)), -1);
	}
}

static void expect_groups(const char *text, const char *want)
{
	struct ts_policy p;
	char err[200] = "", got[TS_LIST_MAX * TS_NAME_MAX];

	if (parse(&p, text, err, sizeof(err)) != 0)
		fail_msg("'%s': %s", text, err);
	assert_int_equal(ts_list_join(&p.groups, got, sizeof(got)), 0);
	assert_string_equal(got, want);
}

/* The post-quantum knob: the default prefers the ML-KEM hybrid, then
 * X25519 (as OpenSSL 3.5 and browsers); require/forbid filter, prefer
 * reorders, allow keeps the administrator's order. */
static void test_post_quantum(void **state)
{
	struct ts_policy p;

	(void)state;
	ts_policy_defaults(&p);
	assert_int_equal(p.post_quantum, TS_PQ_PREFER);
	assert_string_equal(p.groups.name[0], "X25519MLKEM768");
	assert_string_equal(p.groups.name[1], "X25519");
	expect_groups("", "X25519MLKEM768:X25519:P-256:X448:P-384:P-521");
	expect_groups("post-quantum = require\n", "X25519MLKEM768");
	expect_groups("post-quantum = forbid\n", "X25519:P-256:X448:P-384:P-521");
	expect_groups("groups = X25519:SecP256r1MLKEM768:P-256:X25519MLKEM768\n",
	              "SecP256r1MLKEM768:X25519MLKEM768:X25519:P-256");
	expect_groups("groups = X25519:X25519MLKEM768\npost-quantum = allow\n",
	              "X25519:X25519MLKEM768");
	expect_groups("post-quantum = require\ngroups = x25519mlkem768:X25519:MLKEM1024\n",
	              "x25519mlkem768:MLKEM1024");
	expect_error("groups = X25519:P-256\npost-quantum = require\n",
	             "post-quantum = require leaves no group");
	expect_error("groups = X25519MLKEM768\npost-quantum = forbid\n",
	             "post-quantum = forbid leaves no group");
	expect_error("post-quantum = maybe\n", "line 1: post-quantum must be prefer, allow");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_are_secure),  cmocka_unit_test(test_full_file),
	    cmocka_unit_test(test_errors_name_the_line), cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_list_aliases),         cmocka_unit_test(test_alpn_parse),
	    cmocka_unit_test(test_post_quantum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
