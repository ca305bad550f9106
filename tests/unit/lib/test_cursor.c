/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the bounds-checked cursor: fixed-width reads, LEB128 with
 * the WebAssembly encoding rules, sub-cursors and overflow checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/cursor.h"
#include "lib/err.h"

#define INIT(c, ...)                                    \
	static const uint8_t c##_buf[] = {__VA_ARGS__}; \
	struct cursor c;                                \
	cursor_init(&c, c##_buf, sizeof(c##_buf))

static void test_fixed_le_be(void **state)
{
	INIT(c, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xaa, 0xbb);
	uint32_t v32;
	uint64_t v64;
	uint16_t v16;

	(void)state;
	assert_int_equal(cursor_u32le(&c, &v32), 0);
	assert_int_equal(v32, 0x04030201);
	assert_int_equal(cursor_u32be(&c, &v32), 0);
	assert_int_equal(v32, 0x05060708);
	assert_int_equal(cursor_u16be(&c, &v16), 0);
	assert_int_equal(v16, 0xaabb);
	assert_int_equal(cursor_offset(&c), 10);
	assert_int_equal(cursor_u64le(&c, &v64), ENARX_E_TRUNCATED);
	assert_true(cursor_eof(&c));
}

static void test_truncated_does_not_advance(void **state)
{
	INIT(c, 1, 2, 3);
	uint32_t v = 0xdeadbeef;

	(void)state;
	assert_int_equal(cursor_u32le(&c, &v), ENARX_E_TRUNCATED);
	assert_int_equal(v, 0xdeadbeef);
	assert_int_equal(cursor_offset(&c), 0);
	assert_int_equal(cursor_left(&c), 3);
}

static void test_uleb32(void **state)
{
	INIT(c, 0xe5, 0x8e, 0x26, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00);
	uint32_t v;

	(void)state;
	assert_int_equal(cursor_uleb32(&c, &v), 0);
	assert_int_equal(v, 624485);
	assert_int_equal(cursor_uleb32(&c, &v), 0);
	assert_int_equal(v, 0xffffffffu);
	assert_int_equal(cursor_uleb32(&c, &v), 0);
	assert_int_equal(v, 0);
}

static void test_uleb32_rejects_unused_bits(void **state)
{
	/* 5th byte may only use its low 4 bits. */
	INIT(c, 0xff, 0xff, 0xff, 0xff, 0x1f);
	uint32_t v;

	(void)state;
	assert_int_equal(cursor_uleb32(&c, &v), ENARX_E_LEB128);
	assert_int_equal(cursor_offset(&c), 0);
}

static void test_uleb32_too_long(void **state)
{
	INIT(c, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
	uint32_t v;

	(void)state;
	assert_int_equal(cursor_uleb32(&c, &v), ENARX_E_LEB128);
}

static void test_uleb_truncated(void **state)
{
	INIT(c, 0x80, 0x80);
	uint32_t v;

	(void)state;
	assert_int_equal(cursor_uleb32(&c, &v), ENARX_E_TRUNCATED);
}

static void test_sleb32(void **state)
{
	INIT(c, 0x7f, 0x80, 0x7f, 0x80, 0x80, 0x80, 0x80, 0x78, 0xff, 0xff, 0xff, 0xff, 0x07);
	int32_t v;

	(void)state;
	assert_int_equal(cursor_sleb32(&c, &v), 0);
	assert_int_equal(v, -1);
	assert_int_equal(cursor_sleb32(&c, &v), 0);
	assert_int_equal(v, -128);
	assert_int_equal(cursor_sleb32(&c, &v), 0);
	assert_int_equal(v, INT32_MIN);
	assert_int_equal(cursor_sleb32(&c, &v), 0);
	assert_int_equal(v, INT32_MAX);
}

static void test_sleb32_bad_sign_bits(void **state)
{
	/* Negative value whose unused bits are not sign copies. */
	INIT(c, 0xff, 0xff, 0xff, 0xff, 0x4f);
	INIT(d, 0x80, 0x80, 0x80, 0x80, 0x70);
	int32_t v;

	(void)state;
	assert_int_equal(cursor_sleb32(&c, &v), ENARX_E_LEB128);
	assert_int_equal(cursor_sleb32(&d, &v), ENARX_E_LEB128);
}

static void test_sleb64_and_33(void **state)
{
	INIT(c, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f, 0x40);
	INIT(d, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x80, 0x80, 0x80, 0x80, 0x10);
	int64_t v;

	(void)state;
	assert_int_equal(cursor_sleb64(&c, &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(cursor_sleb64(&c, &v), 0);
	assert_true(v == -64);
	assert_int_equal(cursor_sleb33(&d, &v), 0);
	assert_true(v == 0xffffffffLL); /* 2^32-1 is a valid s33 */
	assert_int_equal(cursor_sleb33(&d, &v), ENARX_E_LEB128);
}

static void test_uleb64_max(void **state)
{
	INIT(c, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
	INIT(d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02);
	uint64_t v;

	(void)state;
	assert_int_equal(cursor_uleb64(&c, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(cursor_uleb64(&d, &v), ENARX_E_LEB128);
}

static void test_sub_cursor_keeps_offsets(void **state)
{
	INIT(c, 9, 1, 2, 3, 4, 5);
	struct cursor s;
	uint8_t b;
	const uint8_t *p;

	(void)state;
	assert_int_equal(cursor_skip(&c, 1), 0);
	assert_int_equal(cursor_sub(&c, 3, &s), 0);
	assert_int_equal(cursor_offset(&s), 1);
	assert_int_equal(cursor_left(&s), 3);
	assert_int_equal(cursor_offset(&c), 4);
	assert_int_equal(cursor_bytes(&s, 2, &p), 0);
	assert_int_equal(p[0], 1);
	assert_int_equal(cursor_offset(&s), 3);
	assert_int_equal(cursor_expect_end(&s), ENARX_E_TRAILING);
	assert_int_equal(cursor_u8(&s, &b), 0);
	assert_int_equal(cursor_expect_end(&s), 0);
	assert_int_equal(cursor_u8(&s, &b), ENARX_E_TRUNCATED);
	assert_int_equal(cursor_sub(&c, 3, &s), ENARX_E_TRUNCATED);
}

static void test_copy_and_huge_lengths(void **state)
{
	INIT(c, 1, 2, 3, 4);
	uint8_t out[4] = {0};

	(void)state;
	assert_int_equal(cursor_skip(&c, SIZE_MAX), ENARX_E_TRUNCATED);
	assert_int_equal(cursor_copy(&c, out, 5), ENARX_E_TRUNCATED);
	assert_int_equal(cursor_copy(&c, out, 4), 0);
	assert_int_equal(out[3], 4);
}

static void test_size_math(void **state)
{
	size_t r = 7;

	(void)state;
	assert_int_equal(size_add(SIZE_MAX, 1, &r), ENARX_E_OVERFLOW);
	assert_int_equal(r, 7);
	assert_int_equal(size_mul(SIZE_MAX / 2, 3, &r), ENARX_E_OVERFLOW);
	assert_int_equal(size_add(2, 3, &r), 0);
	assert_int_equal(r, 5);
	assert_true(range_ok(0, 10, 10));
	assert_false(range_ok(1, 10, 10));
	assert_false(range_ok(UINT64_MAX, 2, 10));
	assert_false(range_ok(2, UINT64_MAX, 10));
}

static void test_empty_buffer(void **state)
{
	struct cursor c;
	uint8_t b;

	(void)state;
	cursor_init(&c, NULL, 100);
	assert_int_equal(cursor_left(&c), 0);
	assert_int_equal(cursor_u8(&c, &b), ENARX_E_TRUNCATED);
	assert_int_equal(cursor_peek_u8(&c, &b), ENARX_E_TRUNCATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixed_le_be),
	    cmocka_unit_test(test_truncated_does_not_advance),
	    cmocka_unit_test(test_uleb32),
	    cmocka_unit_test(test_uleb32_rejects_unused_bits),
	    cmocka_unit_test(test_uleb32_too_long),
	    cmocka_unit_test(test_uleb_truncated),
	    cmocka_unit_test(test_sleb32),
	    cmocka_unit_test(test_sleb32_bad_sign_bits),
	    cmocka_unit_test(test_sleb64_and_33),
	    cmocka_unit_test(test_uleb64_max),
	    cmocka_unit_test(test_sub_cursor_keeps_offsets),
	    cmocka_unit_test(test_copy_and_huge_lengths),
	    cmocka_unit_test(test_size_math),
	    cmocka_unit_test(test_empty_buffer),
	};

	return cmocka_run_group_tests_name("cursor", tests, NULL, NULL);
}
