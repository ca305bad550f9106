/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the pieces a Keep uses to open a Steward-sealed package:
 * the sealed package format (package/spkg.h: seal, parse, open; a changed
 * header byte, another key, a truncated or foreign file all refused with a
 * reason) and the executor's JSON member reader (exec/jsonfield.h) on
 * Steward's answers and on malformed text. The end-to-end path (a real
 * Steward, a KVM Keep, podman) is tests/e2e/oci/test_podman_sealed.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exec/jsonfield.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "package/package.h"
#include "package/spkg.h"

static const char URL[] = "https://steward.example:8443";
static const char CA[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/* A package with a module and one secret, sealed. */
static void make(struct buf *sealed, uint8_t sk[SPKG_SK_LEN], struct buf *plain)
{
	struct pkg p = {0};
	char err[256];
	static const uint8_t wasm[] = {0, 'a', 's', 'm', 1, 0, 0, 0};

	assert_int_equal(pkg_add(&p, PKG_WASM, "main.wasm", wasm, sizeof(wasm), err, sizeof(err)),
	                 0);
	assert_int_equal(pkg_add(&p, PKG_SECRET, "TOKEN", "PLAINMARK", 9, err, sizeof(err)), 0);
	assert_int_equal(pkg_encode(&p, 1, plain), 0);
	pkg_clear(&p);
	assert_int_equal(spkg_seal(plain->data, plain->len, URL, "app-key", (const uint8_t *)CA,
	                           strlen(CA), sealed, sk, err, sizeof(err)),
	                 0);
}

static void test_roundtrip(void **state)
{
	struct buf s = {0}, plain = {0}, out = {0};
	uint8_t sk[SPKG_SK_LEN];
	struct spkg_head h;
	char err[256];

	(void)state;
	make(&s, sk, &plain);
	assert_true(spkg_is(s.data, s.len));
	assert_null(memmem(s.data, s.len, "PLAINMARK", 9)); /* no plaintext */
	assert_int_equal(spkg_parse(s.data, s.len, &h, err, sizeof(err)), 0);
	assert_string_equal(h.url, URL);
	assert_string_equal(h.name, "app-key");
	assert_int_equal(h.ca_len, strlen(CA));
	assert_memory_equal(h.ca, CA, h.ca_len);
	assert_int_equal(h.ct_len, plain.len + 16);
	assert_int_equal(spkg_open(s.data, &h, sk, sizeof(sk), &out, err, sizeof(err)), 0);
	assert_int_equal(out.len, plain.len);
	assert_memory_equal(out.data, plain.data, plain.len);
	buf_free(&s, 0);
	buf_free(&plain, 0);
	buf_free(&out, 1);
}

/* Every byte of the header is authenticated: one flipped byte in the URL,
 * the name, the CA or enc makes the package unopenable (or unparsable). */
static void test_header_tamper(void **state)
{
	struct buf s = {0}, plain = {0};
	uint8_t sk[SPKG_SK_LEN];
	struct spkg_head h;
	char err[256];
	size_t head;

	(void)state;
	make(&s, sk, &plain);
	assert_int_equal(spkg_parse(s.data, s.len, &h, err, sizeof(err)), 0);
	head = h.head_len;
	for (size_t i = 14; i < s.len; i += (i < head ? 1 : 97)) {
		struct buf out = {0};
		int rc;

		s.data[i] ^= 0x01;
		rc = spkg_parse(s.data, s.len, &h, err, sizeof(err));
		if (rc == 0)
			rc = spkg_open(s.data, &h, sk, sizeof(sk), &out, err, sizeof(err));
		assert_int_not_equal(rc, 0);
		s.data[i] ^= 0x01;
		buf_free(&out, 1);
	}
	buf_free(&s, 0);
	buf_free(&plain, 0);
}

static void test_other_key(void **state)
{
	struct buf s = {0}, s2 = {0}, plain = {0}, plain2 = {0}, out = {0};
	uint8_t sk[SPKG_SK_LEN], sk2[SPKG_SK_LEN];
	struct spkg_head h;
	char err[256];

	(void)state;
	make(&s, sk, &plain);
	make(&s2, sk2, &plain2);
	assert_memory_not_equal(sk, sk2, sizeof(sk)); /* a fresh key each build */
	assert_int_equal(spkg_parse(s.data, s.len, &h, err, sizeof(err)), 0);
	assert_int_equal(spkg_open(s.data, &h, sk2, sizeof(sk2), &out, err, sizeof(err)),
	                 ENARX_E_HPKE_OPEN);
	assert_non_null(strstr(err, "not authentic"));
	buf_free(&s, 0);
	buf_free(&s2, 0);
	buf_free(&plain, 0);
	buf_free(&plain2, 0);
	buf_free(&out, 1);
}

static void test_parse_refusals(void **state)
{
	struct buf s = {0}, plain = {0};
	uint8_t sk[SPKG_SK_LEN];
	struct spkg_head h;
	char err[256];

	(void)state;
	make(&s, sk, &plain);
	assert_int_equal(spkg_parse((const uint8_t *)"\0asm\1\0\0\0", 8, &h, err, sizeof(err)),
	                 ENARX_E_MALFORMED);
	assert_non_null(strstr(err, "ENARXSPK"));
	for (size_t n = 8; n < 120; n++)
		assert_int_not_equal(spkg_parse(s.data, n, &h, err, sizeof(err)), 0);
	s.data[8] = 2; /* version */
	assert_int_equal(spkg_parse(s.data, s.len, &h, err, sizeof(err)), ENARX_E_NOTSUP);
	assert_non_null(strstr(err, "format 2"));
	buf_free(&s, 0);
	buf_free(&plain, 0);
	/* arguments the builder refuses */
	assert_int_equal(
	    spkg_seal((const uint8_t *)"x", 1, "ftp://x", "a", NULL, 0, &s, sk, err, sizeof(err)),
	    ENARX_E_INVAL);
	assert_int_equal(
	    spkg_seal((const uint8_t *)"x", 1, URL, "a/b", NULL, 0, &s, sk, err, sizeof(err)),
	    ENARX_E_INVAL);
	assert_non_null(strstr(err, "secret name"));
	assert_int_equal(s.len, 0);
}

static void test_json(void **state)
{
	char out[80];
	static const char ans[] =
	    "{\"name\": \"app-key\", \"release\": 7, \"suite\": {\"kem\": 16, \"kdf\": 1, "
	    "\"aead\": 2, \"sealed\": \"inner\"}, \"info\": \"enarx steward secret app-key\", "
	    "\"sealed\": \"BJ3n+/==\", \"x\": [1, -2.5e3, true, false, null, [\"a\\\"\"]]}";
	static const char prob[] = "{\"type\":\"urn:enarx:problem:release-refused\",\"status\":403,"
	                           "\"detail\":\"tee: Keep TEE kvm not in [\\\"snp\\\"]\\u0021\","
	                           "\"check\":\"secret-policy.tee\"}";

	(void)state;
	assert_int_equal(jsonf_string(ans, strlen(ans), "sealed", out, sizeof(out)), 0);
	assert_string_equal(out, "BJ3n+/=="); /* the top level's, not suite's */
	assert_int_equal(jsonf_string(ans, strlen(ans), "release", out, sizeof(out)),
	                 ENARX_E_NOTFOUND); /* a number */
	assert_int_equal(jsonf_string(ans, strlen(ans), "nothing", out, sizeof(out)),
	                 ENARX_E_NOTFOUND);
	assert_int_equal(jsonf_string(prob, strlen(prob), "detail", out, sizeof(out)), 0);
	assert_string_equal(out, "tee: Keep TEE kvm not in [\"snp\"]!");
	assert_int_equal(jsonf_string(prob, strlen(prob), "check", out, 5), ENARX_E_OVERFLOW);
	assert_string_equal(out, "");
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{",
	    "{\"a\"}",
	    "{\"a\": }",
	    "{\"a\": 1,}",
	    "{\"a\": 1} x",
	    "{\"a\": \"\\x\"}",
	    "{\"a\": \"\n\"}",
	    "{\"a\": tru}",
	    "{\"a\": -}",
	    "{\"a\": 1.}",
	    "{\"a\": \"\\u12\"}",
	    ("{\"a\": "
	     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"),
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(jsonf_string(bad[i], strlen(bad[i]), "a", out, sizeof(out)),
		                 ENARX_E_MALFORMED);
	/* length is honoured: the text after len is not read */
	assert_int_equal(jsonf_string("{\"a\": \"b\"}garbage", 10, "a", out, sizeof(out)), 0);
	assert_string_equal(out, "b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_header_tamper),
	    cmocka_unit_test(test_other_key), cmocka_unit_test(test_parse_refusals),
	    cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
