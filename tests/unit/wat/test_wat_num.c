/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the text format's literals: integers of every form and
 * range, floats (decimal and hex, exact rounding to f32 and f64, inf, nan
 * payloads) and strings with every escape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/err.h"
#include "wat/wat_int.h"

static int int_of(const char *s, unsigned bits, uint64_t *v)
{
	return wat__parse_int(s, strlen(s), bits, v);
}

static uint32_t f32_of(const char *s)
{
	uint32_t b = 0xdeadbeef;

	assert_int_equal(wat__parse_f32(s, strlen(s), &b), 0);
	return b;
}

static uint64_t f64_of(const char *s)
{
	uint64_t b = 0xdeadbeef;

	assert_int_equal(wat__parse_f64(s, strlen(s), &b), 0);
	return b;
}

static void test_int_forms(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(int_of("0", 32, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(int_of("1_000_000", 32, &v), 0);
	assert_int_equal(v, 1000000);
	assert_int_equal(int_of("0xdead_BEEF", 32, &v), 0);
	assert_int_equal(v, 0xdeadbeef);
	assert_int_equal(int_of("-1", 32, &v), 0);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(int_of("+42", 32, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(int_of("-0x8000_0000", 32, &v), 0);
	assert_int_equal(v, 0x80000000);
	assert_int_equal(int_of("-9223372036854775808", 64, &v), 0);
	assert_int_equal(v, UINT64_C(0x8000000000000000));
	assert_int_equal(int_of("18446744073709551615", 64, &v), 0);
	assert_int_equal(v, UINT64_MAX);
}

static void test_int_range(void **state)
{
	uint64_t v;

	(void)state;
	/* i32 accepts -2^31 .. 2^32-1; a "+" sign limits it to 2^31-1. */
	assert_int_equal(int_of("4294967295", 32, &v), 0);
	assert_int_equal(int_of("4294967296", 32, &v), 2);
	assert_int_equal(int_of("-2147483648", 32, &v), 0);
	assert_int_equal(int_of("-2147483649", 32, &v), 2);
	assert_int_equal(int_of("+2147483647", 32, &v), 0);
	assert_int_equal(int_of("+2147483648", 32, &v), 2);
	assert_int_equal(int_of("18446744073709551616", 64, &v), 2);
	assert_int_equal(int_of("0x1_0000_0000_0000_0000", 64, &v), 2);
	assert_int_equal(int_of("-0x8000000000000001", 64, &v), 2);
}

static void test_int_syntax(void **state)
{
	static const char *const bad[] = {"",  "_1",  "1_",  "1__0", "0x",  "0x_1", "1x",
	                                  "+", "--1", "0X1", "1.0",  "0xg", "a",    "+-1"};
	uint64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(int_of(bad[i], 32, &v), 1);
}

static void test_f32_decimal(void **state)
{
	(void)state;
	assert_int_equal(f32_of("0.0"), 0);
	assert_int_equal(f32_of("-0.0"), 0x80000000);
	assert_int_equal(f32_of("1"), 0x3f800000);
	assert_int_equal(f32_of("1.5e1_0"), 0x505f8476);
	assert_int_equal(f32_of("3.4028234663852886e+38"), 0x7f7fffff);
	assert_int_equal(f32_of("1e-45"), 0x00000001); /* smallest subnormal */
	assert_int_equal(f32_of("0.1"), 0x3dcccccd);   /* round to nearest */
	assert_int_equal(f32_of("1_234.5_6e-0_1"), 0x42f6e979);
	assert_int_equal(f32_of("1."), 0x3f800000);
}

static void test_f32_hex_rounding(void **state)
{
	(void)state;
	assert_int_equal(f32_of("0x1p0"), 0x3f800000);
	assert_int_equal(f32_of("0x1.fffffep127"), 0x7f7fffff);
	assert_int_equal(f32_of("-0x1p-149"), 0x80000001);
	/* Exactly half way: ties to even, straight from the hex digits (a
	 * round trip through double would round 0x1.000001p0 twice). */
	assert_int_equal(f32_of("0x1.000001p0"), 0x3f800000);
	assert_int_equal(f32_of("0x1.000003p0"), 0x3f800002);
	assert_int_equal(f32_of("0x1.00000100000000000001p0"), 0x3f800001);
	assert_int_equal(f32_of("0x1.fffffefffffffffffp127"), 0x7f7fffff);
	assert_int_equal(f32_of("0x8p-3"), 0x3f800000);
}

static void test_float_overflow(void **state)
{
	uint32_t b32;
	uint64_t b64;

	(void)state;
	assert_int_equal(wat__parse_f32("0x1p128", 7, &b32), 2);
	assert_int_equal(wat__parse_f32("1e39", 4, &b32), 2);
	assert_int_equal(wat__parse_f32("0x1.ffffffp127", 14, &b32), 2);
	assert_int_equal(wat__parse_f64("1e309", 5, &b64), 2);
	assert_int_equal(wat__parse_f64("0x1p1024", 8, &b64), 2);
}

static void test_f64(void **state)
{
	(void)state;
	assert_int_equal(f64_of("1"), UINT64_C(0x3ff0000000000000));
	assert_int_equal(f64_of("0.1"), UINT64_C(0x3fb999999999999a));
	assert_int_equal(f64_of("0x1.fffffffffffffp1023"), UINT64_C(0x7fefffffffffffff));
	assert_int_equal(f64_of("4.9e-324"), 1);
	assert_int_equal(f64_of("0x1.00000000000008p0"), UINT64_C(0x3ff0000000000000));
	assert_int_equal(f64_of("0x1.00000000000018p0"), UINT64_C(0x3ff0000000000002));
	assert_int_equal(f64_of("-0x0.0p0"), UINT64_C(0x8000000000000000));
}

static void test_inf_nan(void **state)
{
	uint32_t b;

	(void)state;
	assert_int_equal(f32_of("inf"), 0x7f800000);
	assert_int_equal(f32_of("-inf"), 0xff800000);
	assert_int_equal(f32_of("nan"), 0x7fc00000);
	assert_int_equal(f32_of("-nan"), 0xffc00000);
	assert_int_equal(f32_of("nan:0x1"), 0x7f800001);
	assert_int_equal(f32_of("+nan:0x7f_ffff"), 0x7fffffff);
	assert_int_equal(f64_of("nan"), UINT64_C(0x7ff8000000000000));
	assert_int_equal(f64_of("-nan:0xf_ffff_ffff_ffff"), UINT64_C(0xffffffffffffffff));
	assert_int_equal(wat__parse_f32("nan:0x0", 7, &b), 2);
	assert_int_equal(wat__parse_f32("nan:0x800000", 12, &b), 2);
	assert_int_equal(wat__parse_f32("nan:1", 5, &b), 1);
	assert_int_equal(wat__parse_f32("infinity", 8, &b), 1);
}

static void test_float_syntax(void **state)
{
	static const char *const bad[] = {".5",   "1e",   "1e+",   "0x1p",  "1.e_1", "0x",
	                                  "1_.0", "1._0", "0x1.p", "1e1.0", "--1",   "1.0f"};
	uint32_t b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(wat__parse_f32(bad[i], strlen(bad[i]), &b), 1);
}

static int str_of(const char *quoted, struct buf *b)
{
	memset(b, 0, sizeof(*b));
	return wat__string(quoted, strlen(quoted), b);
}

static void test_strings(void **state)
{
	struct buf b;

	(void)state;
	assert_int_equal(str_of("\"a\\t\\n\\r\\\"\\'\\\\\"", &b), 0);
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.data, "a\t\n\r\"'\\", 7);
	buf_free(&b, 0);
	assert_int_equal(str_of("\"\\00\\ff\\7F\"", &b), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "\x00\xff\x7f", 3);
	buf_free(&b, 0);
	assert_int_equal(str_of("\"\\u{41}\\u{e9}\\u{20AC}\\u{1F600}\"", &b), 0);
	assert_int_equal(b.len, 1 + 2 + 3 + 4);
	assert_memory_equal(b.data, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10);
	buf_free(&b, 0);
	assert_int_equal(str_of("\"\xc3\xa9\"", &b), 0); /* raw UTF-8 */
	buf_free(&b, 0);
}

static void test_bad_strings(void **state)
{
	static const char *const bad[] = {"\"\\x\"",       "\"\\0\"",         "\"\\u{}\"",
	                                  "\"\\u{d800}\"", "\"\\u{110000}\"", "\"\\u41\"",
	                                  "\"\xff\"",      "\"\xc3\"",        "\"\xe0\x80\x80\""};
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(str_of(bad[i], &b), 1);
		buf_free(&b, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_int_forms),
	    cmocka_unit_test(test_int_range),
	    cmocka_unit_test(test_int_syntax),
	    cmocka_unit_test(test_f32_decimal),
	    cmocka_unit_test(test_f32_hex_rounding),
	    cmocka_unit_test(test_float_overflow),
	    cmocka_unit_test(test_f64),
	    cmocka_unit_test(test_inf_nan),
	    cmocka_unit_test(test_float_syntax),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_bad_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
