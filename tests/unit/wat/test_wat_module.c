/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for whole modules through the public API: exact encodings,
 * every abbreviation against its expanded form, folded against plain
 * instructions, symbolic indices, error positions and messages, nesting
 * limits and allocation failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <enarx/wat.h>

#include "lib/alloc.h"
#include "lib/err.h"

struct bin {
	uint8_t *p;
	size_t n;
};

static struct bin parse_ok(const char *text)
{
	struct bin b = {0};
	ewat_error err;
	int rc = ewat_parse(text, strlen(text), &b.p, &b.n, &err);

	if (rc)
		print_error("parse failed at %u:%u: %s\n%s\n", err.line, err.col, err.message,
		            text);
	assert_int_equal(rc, 0);
	return b;
}

/* Both texts must encode to the same bytes. */
static void same(const char *a, const char *b)
{
	struct bin x = parse_ok(a), y = parse_ok(b);

	if (x.n != y.n || memcmp(x.p, y.p, x.n) != 0)
		print_error("encodings differ:\n  %s\n  %s\n", a, b);
	assert_int_equal(x.n, y.n);
	assert_memory_equal(x.p, y.p, x.n);
	ewat_free(x.p);
	ewat_free(y.p);
}

/* text encodes to the module header followed by `body`. */
static void encodes(const char *text, const uint8_t *body, size_t n)
{
	static const uint8_t hdr[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
	struct bin x = parse_ok(text);

	assert_int_equal(x.n, 8 + n);
	assert_memory_equal(x.p, hdr, 8);
	assert_memory_equal(x.p + 8, body, n);
	ewat_free(x.p);
}

#define ENCODES(text, ...)                                 \
	do {                                               \
		static const uint8_t b_[] = {__VA_ARGS__}; \
		encodes(text, b_, sizeof(b_));             \
	} while (0)

/* text must fail at line:col with a message containing `what`. */
static void fails(const char *text, unsigned line, unsigned col, const char *what)
{
	uint8_t *out = (uint8_t *)1;
	size_t n = 7;
	ewat_error err;
	int rc = ewat_parse(text, strlen(text), &out, &n, &err);

	if (rc == 0 || err.line != line || err.col != col || !strstr(err.message, what))
		print_error("%s\n  got rc %d at %u:%u: %s\n", text, rc, err.line, err.col,
		            err.message);
	assert_int_equal(rc, ENARX_E_WAT_SYNTAX);
	assert_null(out);
	assert_int_equal(err.line, line);
	assert_int_equal(err.col, col);
	assert_non_null(strstr(err.message, what));
}

static void test_empty_modules(void **state)
{
	(void)state;
	ENCODES("");
	ENCODES("(module)");
	ENCODES("(module $m)");
	ENCODES(";; comment\n(module (; block (; nested ;) ;) )");
	ENCODES("(module binary \"\\00asm\" \"\\01\\00\\00\\00\")");
}

static void test_exact_function(void **state)
{
	(void)state;
	ENCODES("(module (func (export \"add\") (param i32 i32) (result i32)"
	        " local.get 0 local.get 1 i32.add))",
	        /* type */ 1, 7, 1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f,
	        /* func */ 3, 2, 1, 0,
	        /* export */ 7, 7, 1, 3, 'a', 'd', 'd', 0, 0,
	        /* code */ 10, 9, 1, 7, 0, 0x20, 0, 0x20, 1, 0x6a, 0x0b);
	/* i32.const takes -2^31..2^32-1 and is encoded as a signed LEB. */
	ENCODES("(func i32.const 0xffffffff i64.const -1 drop drop)", 1, 4, 1, 0x60, 0, 0, 3, 2, 1,
	        0, 10, 10, 1, 8, 0, 0x41, 0x7f, 0x42, 0x7f, 0x1a, 0x1a, 0x0b);
	/* Consecutive locals of one type form one group. */
	ENCODES("(func (local i32 i32) (local $x i64) (local i32))", 1, 4, 1, 0x60, 0, 0, 3, 2, 1,
	        0, 10, 10, 1, 8, 3, 2, 0x7f, 1, 0x7e, 1, 0x7f, 0x0b);
}

static void test_memarg(void **state)
{
	(void)state;
	ENCODES("(memory 1) (func i32.const 0 i64.load offset=0x10 align=4 drop)", 1, 4, 1, 0x60, 0,
	        0, 3, 2, 1, 0, 5, 3, 1, 0, 1, 10, 10, 1, 8, 0, 0x41, 0, 0x29, 2, 0x10, 0x1a, 0x0b);
	same("(memory 1) (func (drop (i32.load (i32.const 0))))",
	     "(memory 1) (func (drop (i32.load offset=0 align=4 (i32.const 0))))");
	fails("(memory 1)\n(func (drop (i32.load align=3 (i32.const 0))))", 2, 23,
	      "alignment must be a power of two");
}

static void test_inline_exports_imports(void **state)
{
	(void)state;
	same("(func $f (export \"a\") (export \"b\"))",
	     "(func $f) (export \"a\" (func $f)) (export \"b\" (func 0))");
	same("(func (import \"m\" \"f\") (param i32))",
	     "(type (func (param i32))) (import \"m\" \"f\" (func (type 0)))");
	same("(global $g (import \"m\" \"g\") (mut i32))",
	     "(import \"m\" \"g\" (global (mut i32)))");
	same("(table (export \"t\") (import \"m\" \"t\") 1 funcref)",
	     "(import \"m\" \"t\" (table 1 funcref)) (export \"t\" (table 0))");
	same("(memory (import \"m\" \"mem\") 1 2)", "(import \"m\" \"mem\" (memory 1 2))");
	same("(global (export \"g\") i32 (i32.const 7))",
	     "(global i32 (i32.const 7)) (export \"g\" (global 0))");
}

static void test_inline_segments(void **state)
{
	(void)state;
	same("(func $f) (table funcref (elem $f $f))",
	     "(func $f) (table 2 2 funcref) (elem (i32.const 0) $f $f)");
	same("(func $f) (table funcref (elem (ref.func $f)))",
	     "(func $f) (table 1 1 funcref) (elem (table 0) (offset i32.const 0) func $f)");
	same("(memory (data \"ab\" \"c\"))", "(memory 1 1) (data (i32.const 0) \"abc\")");
	same("(memory 1) (data (offset (i32.const 8)) \"x\")",
	     "(memory 1) (data (i32.const 8) \"x\")");
	same("(memory 1) (data (memory 0) (i32.const 8) \"x\")",
	     "(memory 1) (data 0 (i32.const 8) \"x\")");
}

static void test_elem_forms(void **state)
{
	(void)state;
	ENCODES("(func $f) (elem declare func $f)", 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 9, 5, 1, 3, 0,
	        1, 0, 10, 4, 1, 2, 0, 0x0b);
	/* Passive, with expressions: flags 5 and the reference type. */
	ENCODES("(elem externref (ref.null extern) (item ref.null extern))", 9, 10, 1, 5, 0x6f, 2,
	        0xd0, 0x6f, 0x0b, 0xd0, 0x6f, 0x0b);
	same("(func $f) (elem funcref (ref.func $f))", "(func $f) (elem func $f)");
	same("(table 1 funcref) (func $f) (elem (i32.const 0) $f)",
	     "(table 1 funcref) (func $f) (elem (table 0) (i32.const 0) func $f)");
}

static void test_implicit_types(void **state)
{
	(void)state;
	/* Inline signatures reuse a matching type or append one, in order. */
	same("(type (func (param i32))) (func (param i32)) (func (result f32))",
	     "(type (func (param i32))) (type (func (result f32))) (func (type 0)) (func (type "
	     "1))");
	same("(func (param $a i32) (param $b i64) local.get $b drop)",
	     "(func (param i32 i64) local.get 1 drop)");
	same("(type $t (func (param i32) (result i32))) (func (type $t) local.get 0)",
	     "(type $t (func (param i32) (result i32))) (func (type $t) (param i32) (result "
	     "i32) local.get 0)");
	/* A multi-value block type becomes a type index. */
	same("(func (block (param i32) (result i32 i32) (i32.const 1) (i32.const 2)) unreachable)",
	     "(type (func)) (type (func (param i32) (result i32 i32))) (func (type 0) "
	     "(block (type 1) (i32.const 1) (i32.const 2)) unreachable)");
}

static void test_folded_vs_plain(void **state)
{
	(void)state;
	same("(func (result i32) (i32.add (i32.const 1) (i32.mul (i32.const 2) (i32.const 3))))",
	     "(func (result i32) i32.const 1 i32.const 2 i32.const 3 i32.mul i32.add)");
	same("(func (if (i32.const 1) (then nop) (else unreachable)))",
	     "(func i32.const 1 if nop else unreachable end)");
	same("(func (block $b (loop $l (br_if $l (i32.const 0)) (br $b))))",
	     "(func block $b loop $l i32.const 0 br_if $l br $b end $l end $b)");
	same("(func (local i32) (local.set 0 (select (i32.const 1) (i32.const 2) (i32.const 3))))",
	     "(func (local i32) i32.const 1 i32.const 2 i32.const 3 select local.set 0)");
	same("(func (if (result i32) (i32.const 1) (then (i32.const 2)) (else (i32.const 3))) "
	     "drop)",
	     "(func i32.const 1 if (result i32) i32.const 2 else i32.const 3 end drop)");
}

static void test_more_abbreviations(void **state)
{
	(void)state;
	same("(type $t (func (param i32))) (table $tab 1 funcref)"
	     " (func (call_indirect $tab (type $t) (i32.const 1) (i32.const 0)))",
	     "(type (func (param i32))) (table 1 funcref)"
	     " (func i32.const 1 i32.const 0 call_indirect 0 (type 0))");
	same("(type $t (func (param i32))) (func (call_indirect (param i32) (i32.const 1) "
	     "(i32.const 0))) (table 1 funcref)",
	     "(type (func (param i32))) (func (call_indirect (type 0) (param i32) (i32.const 1) "
	     "(i32.const 0))) (table 1 funcref)");
	same("(table $a 1 funcref) (table $b 1 funcref) (func $f)"
	     " (elem (table $b) (offset (i32.const 0)) func $f)",
	     "(table 1 funcref) (table 1 funcref) (func) (elem (table 1) (i32.const 0) func 0)");
	same("(memory $a 1) (memory $b 1) (data (memory $b) (offset i32.const 1) \"x\")",
	     "(memory 1) (memory 1) (data (memory 1) (i32.const 1) \"x\")");
	same("(func $f (export \"f\") (import \"m\" \"f\") (result i32))",
	     "(import \"m\" \"f\" (func $f (result i32))) (export \"f\" (func $f))");
	same("(func (param $a i32) (local $b i32) (local.set $b (local.get $a)))",
	     "(func (param i32) (local i32) (local.set 1 (local.get 0)))");
	/* A named block type with no params and one result is still inline. */
	same("(type $v (func (result i32))) (func (block (result i32) (i32.const 1)) drop)",
	     "(type $v (func (result i32))) (func (block (type $v) (i32.const 1)) drop)");
}

static void test_symbolic_indices(void **state)
{
	(void)state;
	same("(func $a call $b) (func $b call $a)", "(func call 1) (func call 0)");
	same("(global $g (mut i32) (i32.const 0)) (func global.get $g global.set $g)",
	     "(global (mut i32) (i32.const 0)) (func global.get 0 global.set 0)");
	same("(table $t 1 funcref) (table $u 1 externref) (func (drop (table.size $u)))",
	     "(table 1 funcref) (table 1 externref) (func (drop (table.size 1)))");
	same("(func (block $x (block $y (br_table $x $y $x (i32.const 0)))))",
	     "(func (block (block (br_table 1 0 1 (i32.const 0)))))");
	same("(memory 1) (data $d \"\") (func (memory.init $d (i32.const 0) (i32.const 0) "
	     "(i32.const 0)) (data.drop $d))",
	     "(memory 1) (data \"\") (func (memory.init 0 (i32.const 0) (i32.const 0) (i32.const "
	     "0)) (data.drop 0))");
}

static void test_datacount(void **state)
{
	struct bin with, without;

	(void)state;
	with = parse_ok("(memory 1) (data \"a\") (func (data.drop 0))");
	without = parse_ok("(memory 1) (data \"a\") (func)");
	/* Section 12 appears only when an instruction needs it. */
	assert_non_null(memchr(with.p + 8, 12, with.n - 8));
	/* data.drop 0 (3 bytes) and the data count section (3 bytes). */
	assert_int_equal(with.n, without.n + 3 + 3);
	ewat_free(with.p);
	ewat_free(without.p);
}

static void test_error_positions(void **state)
{
	(void)state;
	fails("(module\n  (func\n    i32.foo))", 3, 5, "unknown operator \"i32.foo\"");
	fails("(func (i32.const 4294967296))", 1, 18, "constant out of range");
	fails("(func (i32.const +2147483648))", 1, 18, "constant out of range");
	fails("(func (f32.const 1e39))", 1, 18, "constant out of range");
	fails("(func $f) (func $f)", 1, 17, "duplicate function \"$f\"");
	fails("(func (param $x i32) (local $x i32))", 1, 29, "duplicate local");
	fails("(func) (import \"m\" \"f\" (func))", 1, 9, "import after");
	fails("(memory 1) (memory (import \"m\" \"n\") 1)", 1, 21, "import after");
	fails("(func (call $nope))", 1, 13, "unknown function \"$nope\"");
	fails("(func (br $l))", 1, 11, "unknown label");
	fails("(func block $a end $b)", 1, 20, "mismatching label");
	fails("(module (func)", 1, 15, "end of input");
	fails("(module (func)))", 1, 16, "end of input");
	fails("(func (nop) (local i32))", 1, 14, "out of place");
	fails("(func \"\\q\")", 1, 7, "");
	fails("(export \"\\ff\" (func 0)) (func)", 1, 9, "malformed UTF-8");
	fails("(func (; unterminated", 1, 7, "unterminated block comment");
	fails("(data\"a\")", 1, 6, "separated");
	fails("(type $t (func)) (func (type $t) (param i32))", 1, 24, "inline function type");
	fails("(start 0) (start 0) (func)", 1, 12, "multiple start");
	fails("(func) (bogus)", 1, 9, "unknown module field");
	fails("(module (func (memory.size extra)))", 1, 28, "");
}

static void test_nesting_limit(void **state)
{
	size_t depth = 100000, i, n = 0;
	char *text = malloc(depth * 8 + 64);
	uint8_t *out;
	size_t len;
	ewat_error err;

	(void)state;
	assert_non_null(text);
	n += (size_t)snprintf(text, 64, "(func ");
	for (i = 0; i < depth; i++) {
		memcpy(text + n, "(block ", 7);
		n += 7;
	}
	memset(text + n, ')', depth + 1);
	n += depth + 1;
	assert_int_equal(ewat_parse(text, n, &out, &len, &err), ENARX_E_WAT_SYNTAX);
	assert_non_null(strstr(err.message, "nesting deeper than"));
	/* Plain blocks nest the same way. */
	n = (size_t)snprintf(text, 64, "(func ");
	for (i = 0; i < depth; i++) {
		memcpy(text + n, "block  ", 7);
		n += 7;
	}
	text[n++] = ')';
	assert_int_equal(ewat_parse(text, n, &out, &len, &err), ENARX_E_WAT_SYNTAX);
	assert_non_null(strstr(err.message, "nesting deeper than"));
	free(text);
}

/* Every allocation failing in turn: ENARX_E_NOMEM and nothing leaked
 * (the ASan build checks the leaks). */
static void test_alloc_failures(void **state)
{
	static const char text[] =
	    "(module (type $t (func (param i32))) (import \"m\" \"f\" (func (type $t)))"
	    " (memory (export \"m\") (data \"hello\")) (table funcref (elem $g))"
	    " (global $x (mut i64) (i64.const 5)) (func $g (param $p i32) (local f64)"
	    " (block $b (br_if $b (local.get $p))) (call 0 (i32.const 1))))";
	unsigned long n;
	uint8_t *out;
	size_t len;
	int rc;

	(void)state;
	for (n = 1;; n++) {
		alloc_fail_after(n);
		rc = ewat_parse(text, sizeof(text) - 1, &out, &len, NULL);
		alloc_fail_after(0);
		if (rc == 0) {
			ewat_free(out);
			break;
		}
		assert_int_equal(rc, ENARX_E_NOMEM);
		assert_null(out);
	}
	assert_true(n > 10);
}

static void test_binary_detection(void **state)
{
	(void)state;
	assert_true(ewat_is_binary((const uint8_t *)"\0asm\1\0\0\0", 8));
	assert_false(ewat_is_binary((const uint8_t *)"(module)", 8));
	assert_false(ewat_is_binary((const uint8_t *)"\0as", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_modules),
	    cmocka_unit_test(test_exact_function),
	    cmocka_unit_test(test_memarg),
	    cmocka_unit_test(test_inline_exports_imports),
	    cmocka_unit_test(test_inline_segments),
	    cmocka_unit_test(test_elem_forms),
	    cmocka_unit_test(test_implicit_types),
	    cmocka_unit_test(test_folded_vs_plain),
	    cmocka_unit_test(test_more_abbreviations),
	    cmocka_unit_test(test_symbolic_indices),
	    cmocka_unit_test(test_datacount),
	    cmocka_unit_test(test_error_positions),
	    cmocka_unit_test(test_nesting_limit),
	    cmocka_unit_test(test_alloc_failures),
	    cmocka_unit_test(test_binary_detection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
