/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the error vocabulary, logging levels, buffers, hex/base64
 * and allocation failure injection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/log.h"

static void test_err_messages(void **state)
{
	(void)state;
	assert_string_equal(enarx_strerror(0), "ok");
	assert_string_equal(enarx_strerror(ENARX_E_NOMEM), "out of memory");
	assert_string_equal(enarx_strerror(ENARX_E_TRUNCATED), "input truncated");
	assert_string_equal(enarx_errname(ENARX_E_LEB128), "ENARX_E_LEB128");
	assert_string_equal(enarx_strerror(-100000), "unknown error");
	assert_string_equal(enarx_strerror(5), "unknown error");
	assert_true(ENARX_E_NOMEM < 0);
	assert_true(ENARX_E_NOMEM != ENARX_E_INVAL);
}

static void test_err_codes_distinct(void **state)
{
	(void)state;
	for (int i = 1; i <= ENARX__ERR_COUNT; i++) {
		for (int j = i + 1; j <= ENARX__ERR_COUNT; j++)
			assert_string_not_equal(enarx_errname(-i), enarx_errname(-j));
	}
}

static void test_log_levels(void **state)
{
	enum log_level l;

	(void)state;
	assert_int_equal(log_parse_level("debug", &l), 0);
	assert_int_equal(l, LOG_DEBUG);
	assert_int_equal(log_parse_level("loud", &l), ENARX_E_INVAL);
	log_set_level(LOG_TRACE);
	assert_int_equal(log_get_level(), LOG_TRACE);
	log_set_level(LOG_ERROR);
	assert_int_equal(log_get_level(), LOG_ERROR);
}

static void test_hex_roundtrip(void **state)
{
	const uint8_t in[] = {0x00, 0x7f, 0xab, 0xff};
	uint8_t out[4];
	char text[9];

	(void)state;
	hex_encode(in, sizeof(in), text);
	assert_string_equal(text, "007fabff");
	assert_int_equal(hex_decode("007FABff", 8, out, 4), 0);
	assert_memory_equal(in, out, 4);
	assert_int_equal(hex_decode("007fabf", 7, out, 4), ENARX_E_ENCODING);
	assert_int_equal(hex_decode("007fabfg", 8, out, 4), ENARX_E_ENCODING);
}

static void test_base64(void **state)
{
	const char *vec[][2] = {{"", ""},
	                        {"f", "Zg=="},
	                        {"fo", "Zm8="},
	                        {"foo", "Zm9v"},
	                        {"foob", "Zm9vYg=="},
	                        {"fooba", "Zm9vYmE="},
	                        {"foobar", "Zm9vYmFy"}};
	char enc[16];
	uint8_t dec[16];

	(void)state;
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		size_t n = sizeof(dec);

		base64_encode((const uint8_t *)vec[i][0], strlen(vec[i][0]), enc);
		assert_string_equal(enc, vec[i][1]);
		assert_int_equal(base64_decode(enc, strlen(enc), dec, &n), 0);
		assert_int_equal(n, strlen(vec[i][0]));
		assert_memory_equal(dec, vec[i][0], n);
	}
}

static void test_base64_rejects(void **state)
{
	uint8_t dec[4];
	size_t n = sizeof(dec);

	(void)state;
	assert_int_equal(base64_decode("Zm9v!", 5, dec, &n), ENARX_E_ENCODING);
	n = sizeof(dec);
	assert_int_equal(base64_decode("Zg==Zg", 6, dec, &n), ENARX_E_ENCODING);
	n = 2;
	assert_int_equal(base64_decode("Zm9v", 4, dec, &n), ENARX_E_OVERFLOW);
	n = sizeof(dec);
	assert_int_equal(base64_decode("Zh==", 4, dec, &n),
	                 ENARX_E_ENCODING); /* nonzero pad bits */
}

static void test_buf_growth(void **state)
{
	struct buf b = {0};

	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_append_u32le(&b, (uint32_t)i), 0);
	assert_int_equal(b.len, 4000);
	assert_int_equal(b.data[4], 1);
	assert_int_equal(buf_printf(&b, "x=%d", 42), 0);
	assert_int_equal(b.len, 4004);
	assert_memory_equal(b.data + 4000, "x=42", 4);
	assert_int_equal(buf_reserve(&b, SIZE_MAX), ENARX_E_OVERFLOW);
	buf_free(&b, 1);
	assert_null(b.data);
	buf_free(&b, 0);
}

static void test_alloc_failure_injection(void **state)
{
	struct buf b = {0};

	(void)state;
	alloc_fail_after(1);
	assert_int_equal(buf_append(&b, "abc", 3), ENARX_E_NOMEM);
	assert_int_equal(b.len, 0);
	assert_null(xstrdup("x"));
	alloc_fail_after(0);
	assert_int_equal(buf_append(&b, "abc", 3), 0);
	buf_free(&b, 0);
}

static void test_secure_wipe(void **state)
{
	uint8_t secret[32];

	(void)state;
	memset(secret, 0xa5, sizeof(secret));
	secure_wipe(secret, sizeof(secret));
	for (size_t i = 0; i < sizeof(secret); i++)
		assert_int_equal(secret[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_err_messages), cmocka_unit_test(test_err_codes_distinct),
	    cmocka_unit_test(test_log_levels),   cmocka_unit_test(test_hex_roundtrip),
	    cmocka_unit_test(test_base64),       cmocka_unit_test(test_base64_rejects),
	    cmocka_unit_test(test_buf_growth),   cmocka_unit_test(test_alloc_failure_injection),
	    cmocka_unit_test(test_secure_wipe),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
