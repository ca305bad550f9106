// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the engine's limits (ewasm_config, issue 19): linear-time
 * export name checks (200,000 exports, duplicates still rejected), module
 * limits (functions, exports, locals, tables, data and element segments)
 * and store limits (memory bytes, memories, tables, table elements in all)
 * with errors naming the limit, and grows past a limit failing with -1.
 * Modules are built in memory by the small writer below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <enarx/wasm.h>

#include "lib/hset.h"

struct wb {
	uint8_t *p;
	size_t n, cap;
};

static void wb_byte(struct wb *b, uint8_t v)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	b->p[b->n++] = v;
}

static void wb_u32(struct wb *b, uint32_t v)
{
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		wb_byte(b, (uint8_t)(c | (v ? 0x80 : 0)));
	} while (v);
}

static void wb_raw(struct wb *b, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		wb_byte(b, ((const uint8_t *)p)[i]);
}

static void wb_section(struct wb *m, uint8_t id, struct wb *body)
{
	wb_byte(m, id);
	wb_u32(m, (uint32_t)body->n);
	wb_raw(m, body->p, body->n);
	body->n = 0;
}

static void wb_header(struct wb *m)
{
	wb_raw(m, "\0asm\1\0\0\0", 8);
}

/* Type [] -> [] and `nfuncs` functions of it (bodies: wb_code). */
static void wb_funcs(struct wb *m, uint32_t nfuncs)
{
	struct wb s = {0};
	wb_raw(&s, "\x01\x60\x00\x00", 4);
	wb_section(m, 1, &s);
	wb_u32(&s, nfuncs);
	for (uint32_t i = 0; i < nfuncs; i++)
		wb_byte(&s, 0);
	wb_section(m, 3, &s);
	free(s.p);
}

static void wb_code(struct wb *m, uint32_t nfuncs, uint32_t nlocals)
{
	struct wb s = {0}, body = {0};
	if (nlocals) {
		wb_u32(&body, 1);
		wb_u32(&body, nlocals);
		wb_byte(&body, 0x7f);
	} else {
		wb_byte(&body, 0);
	}
	wb_byte(&body, 0x0b);
	wb_u32(&s, nfuncs);
	for (uint32_t i = 0; i < nfuncs; i++) {
		wb_u32(&s, (uint32_t)body.n);
		wb_raw(&s, body.p, body.n);
	}
	wb_section(m, 10, &s);
	free(s.p);
	free(body.p);
}

/* One function exported `n` times as "e0", "e1", ...; with `dup`, the
 * last export repeats the name of the first. */
static struct wb exports_module(uint32_t n, int dup)
{
	struct wb m = {0}, s = {0};
	char name[16];
	wb_header(&m);
	wb_funcs(&m, 1);
	wb_u32(&s, n);
	for (uint32_t i = 0; i < n; i++) {
		int len = snprintf(name, sizeof(name), "e%u", dup && i == n - 1 ? 0 : i);
		wb_u32(&s, (uint32_t)len);
		wb_raw(&s, name, (size_t)len);
		wb_byte(&s, 0);
		wb_u32(&s, 0);
	}
	wb_section(&m, 7, &s);
	wb_code(&m, 1, 0);
	free(s.p);
	return m;
}

/* `n` tables (funcref, minimum `min`) and no functions. */
static struct wb tables_module(uint32_t n, uint32_t min)
{
	struct wb m = {0}, s = {0};
	wb_header(&m);
	wb_u32(&s, n);
	for (uint32_t i = 0; i < n; i++) {
		wb_raw(&s, "\x70\x00", 2);
		wb_u32(&s, min);
	}
	wb_section(&m, 4, &s);
	free(s.p);
	return m;
}

/* A memory of `min` pages, exported as "mem". */
static struct wb memory_module(uint32_t min)
{
	struct wb m = {0}, s = {0};
	wb_header(&m);
	wb_byte(&s, 1);
	wb_byte(&s, 0);
	wb_u32(&s, min);
	wb_section(&m, 5, &s);
	wb_raw(&s, "\x01\x03mem\x02\x00", 7);
	wb_section(&m, 7, &s);
	free(s.p);
	return m;
}

/* `n` passive data segments (`elem`: element segments) of nothing. */
static struct wb segments_module(uint32_t n, int elem)
{
	struct wb m = {0}, s = {0};
	wb_header(&m);
	wb_u32(&s, n);
	for (uint32_t i = 0; i < n; i++)
		wb_raw(&s, elem ? "\x01\x00\x00" : "\x01\x00", elem ? 3 : 2);
	wb_section(&m, elem ? 9 : 11, &s);
	free(s.p);
	return m;
}

static ewasm_engine *engine_with(void (*tweak)(ewasm_config *))
{
	ewasm_config cfg;
	ewasm_config_init(&cfg);
	if (tweak)
		tweak(&cfg);
	ewasm_engine *e = ewasm_engine_new(&cfg);
	assert_non_null(e);
	return e;
}

/* Loads `m` (freed) expecting `code`; the message must contain `want`. */
static void expect_load(ewasm_engine *e, struct wb m, int code, const char *want)
{
	ewasm_module *mod = NULL;
	ewasm_error err;
	memset(&err, 0, sizeof(err));
	int rc = ewasm_module_new(e, m.p, m.n, &mod, &err);
	if (rc != code || (want && !strstr(err.message, want)))
		fail_msg("load: rc %d (want %d), \"%s\" (want \"%s\")", rc, code, err.message,
		         want ? want : "");
	ewasm_module_free(mod);
	free(m.p);
}

/* Loads and instantiates `m` (freed) in a new store, expecting `code`. */
static void expect_inst(ewasm_engine *e, struct wb m, int code, const char *want)
{
	ewasm_module *mod = NULL;
	ewasm_instance *inst = NULL;
	ewasm_error err;
	memset(&err, 0, sizeof(err));
	assert_int_equal(ewasm_module_new(e, m.p, m.n, &mod, &err), 0);
	ewasm_store *st = ewasm_store_new(e);
	int rc = ewasm_instance_new(st, mod, NULL, 0, &inst, NULL, &err);
	if (rc != code || (want && !strstr(err.message, want)))
		fail_msg("instantiate: rc %d (want %d), \"%s\" (want \"%s\")", rc, code,
		         err.message, want ? want : "");
	ewasm_store_free(st);
	ewasm_module_free(mod);
	free(m.p);
}

/* --------------------------------------------------------- decoding */

static void test_exports_200k(void **state)
{
	(void)state;
	ewasm_engine *e = engine_with(NULL);
	struct wb m = exports_module(200000, 0);
	ewasm_module *mod = NULL;
	ewasm_error err;
	assert_int_equal(ewasm_module_new(e, m.p, m.n, &mod, &err), 0);
	assert_int_equal(ewasm_module_export_count(mod), 200000);
	ewasm_store *st = ewasm_store_new(e);
	ewasm_instance *inst = NULL;
	assert_int_equal(ewasm_instance_new(st, mod, NULL, 0, &inst, NULL, &err), 0);
	assert_non_null(ewasm_instance_func(inst, "e199999"));
	assert_non_null(ewasm_instance_func(inst, "e0"));
	assert_null(ewasm_instance_func(inst, "e200000"));
	ewasm_store_free(st);
	ewasm_module_free(mod);
	free(m.p);
	/* a duplicate is still found, with the same message as before */
	expect_load(e, exports_module(200000, 1), EWASM_ERR_INVALID,
	            "duplicate export name \"e0\"");
	expect_load(e, exports_module(2, 1), EWASM_ERR_INVALID, "duplicate export name \"e0\"");
	ewasm_engine_free(e);
}

/* A module importing `n` functions "m"."e0", "m"."e1", ... of type [] -> []
 * (the exports of exports_module(n, 0) match them one for one). */
static struct wb imports_module(uint32_t n)
{
	struct wb m = {0}, s = {0};
	char name[16];
	wb_header(&m);
	wb_raw(&s, "\x01\x60\x00\x00", 4);
	wb_section(&m, 1, &s);
	wb_u32(&s, n);
	for (uint32_t i = 0; i < n; i++) {
		int len = snprintf(name, sizeof(name), "e%u", i);
		wb_u32(&s, 1);
		wb_byte(&s, 'm');
		wb_u32(&s, (uint32_t)len);
		wb_raw(&s, name, (size_t)len);
		wb_byte(&s, 0); /* func */
		wb_u32(&s, 0);  /* type 0 */
	}
	wb_section(&m, 2, &s);
	free(s.p);
	return m;
}

/* The linker is linear too (issue 19): an instance with 200,000 exports is
 * defined into it and a module with 200,000 imports resolved against it
 * (with the old list it was 2 x 10^10 name comparisons: minutes, past this
 * test's timeout; now well under a second). Redefining a name replaces it;
 * a missing one is still named. */
static void test_linker_200k(void **state)
{
	(void)state;
	enum { N = 200000 };
	ewasm_engine *e = engine_with(NULL);
	struct wb ex = exports_module(N, 0), im = imports_module(N);
	ewasm_module *emod = NULL, *imod = NULL;
	ewasm_instance *einst = NULL, *iinst = NULL;
	ewasm_error err;
	ewasm_store *st = ewasm_store_new(e);
	ewasm_linker *lk = ewasm_linker_new(st);
	assert_non_null(lk);
	assert_int_equal(ewasm_module_new(e, ex.p, ex.n, &emod, &err), 0);
	assert_int_equal(ewasm_module_new(e, im.p, im.n, &imod, &err), 0);
	assert_int_equal(ewasm_instance_new(st, emod, NULL, 0, &einst, NULL, &err), 0);
	assert_int_equal(ewasm_linker_define_instance(lk, "m", einst), 0);
	assert_int_equal(ewasm_linker_define_instance(lk, "m", einst), 0); /* replaces */
	assert_int_equal(ewasm_linker_instantiate(lk, imod, &iinst, NULL, &err), 0);
	assert_non_null(iinst);
	ewasm_linker_free(lk);
	/* one name short: the missing import is named */
	lk = ewasm_linker_new(st);
	ewasm_extern x = {0};
	x.kind = EWASM_EXTERN_FUNC;
	x.of.func = ewasm_instance_func(einst, "e0");
	assert_int_equal(ewasm_linker_define(lk, "m", "e0", &x), 0);
	assert_int_equal(ewasm_linker_instantiate(lk, imod, &iinst, NULL, &err), EWASM_ERR_LINK);
	assert_non_null(strstr(err.message, "unknown import: m.e1"));
	ewasm_linker_free(lk);
	ewasm_store_free(st);
	ewasm_module_free(emod);
	ewasm_module_free(imod);
	ewasm_engine_free(e);
	free(ex.p);
	free(im.p);
}

/* The set does linear work: 200,000 distinct keys take fewer than 4
 * probes each on average, rehashing included. */
static void test_hset_linear(void **state)
{
	(void)state;
	enum { N = 200000 };
	char(*keys)[12] = calloc(N, sizeof(*keys));
	assert_non_null(keys);
	struct hset *h = hset_new(0);
	assert_non_null(h);
	for (uint32_t i = 0; i < N; i++) {
		int len = snprintf(keys[i], sizeof(keys[i]), "e%u", i);
		assert_int_equal(hset_add(h, keys[i], (size_t)len, i, NULL), 1);
	}
	uint32_t v = 0;
	assert_int_equal(hset_add(h, "e77", 3, 1, &v), 0);
	assert_int_equal(v, 77);
	assert_int_equal(hset_find(h, "e123456", 7, &v), 0);
	assert_int_equal(v, 123456);
	assert_int_not_equal(hset_find(h, "x", 1, &v), 0);
	assert_int_equal(hset_count(h), N);
	assert_true(hset_probes(h) < 4ull * N);
	hset_free(h);
	free(keys);
	/* SipHash-2-4 reference vectors (key 00..0f; messages 00.., lengths
	 * 0 and 8) from the SipHash paper's test code */
	uint8_t key[16], msg[8];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 8; i++)
		msg[i] = (uint8_t)i;
	assert_true(hset_siphash(key, msg, 0) == 0x726fdb47dd0e0e31ull);
	assert_true(hset_siphash(key, msg, 8) == 0x93f5f5799a932462ull);
}

/* ------------------------------------------------------ module limits */

static void small_counts(ewasm_config *c)
{
	c->max_functions = 3;
	c->max_exports = 3;
	c->max_locals = 100;
	c->max_data_segments = 2;
	c->max_elem_segments = 2;
	c->max_tables = 2;
}

static void test_module_limits(void **state)
{
	(void)state;
	ewasm_engine *e = engine_with(small_counts);
	struct wb m = {0};
	wb_header(&m);
	wb_funcs(&m, 4);
	wb_code(&m, 4, 0);
	expect_load(e, m, EWASM_ERR_LIMIT,
	            "function limit: the module has 4 functions, more than the 3 allowed "
	            "(max_functions)");
	expect_load(
	    e, exports_module(4, 0), EWASM_ERR_LIMIT,
	    "export limit: the module has 4 exports, more than the 3 allowed (max_exports)");
	expect_load(e, exports_module(3, 0), 0, NULL);
	m = (struct wb){0};
	wb_header(&m);
	wb_funcs(&m, 1);
	wb_code(&m, 1, 101);
	expect_load(e, m, EWASM_ERR_LIMIT,
	            "local limit: function 0 has 101 locals (parameters included), more than "
	            "the 100 allowed (max_locals)");
	m = (struct wb){0};
	wb_header(&m);
	wb_funcs(&m, 1);
	wb_code(&m, 1, 100);
	expect_load(e, m, 0, NULL);
	expect_load(e, segments_module(3, 0), EWASM_ERR_LIMIT, "(max_data_segments)");
	expect_load(e, segments_module(2, 0), 0, NULL);
	expect_load(e, segments_module(3, 1), EWASM_ERR_LIMIT, "(max_elem_segments)");
	expect_load(e, tables_module(3, 1), EWASM_ERR_LIMIT,
	            "table limit: the module has 3 tables, more than the 2 allowed (max_tables)");
	ewasm_engine_free(e);
}

/* ------------------------------------------------------- store limits */

static void test_table_total(void **state)
{
	(void)state;
	/* the finding: 50 tables of 10,000,000 elements from a tiny module */
	ewasm_engine *e = engine_with(NULL);
	struct wb m = tables_module(50, 10000000);
	assert_true(m.n < 400);
	expect_inst(e, m, EWASM_ERR_LIMIT,
	            "table limit: 50 tables of 500,000,000 elements in all (the store holds 0 "
	            "already) exceed the 10,000,000-element total (max_table_elems_total)");
	expect_inst(e, tables_module(1, 10000001), EWASM_ERR_LIMIT, "(max_table_elems)");
	expect_inst(e, tables_module(2, 1000), 0, NULL);
	ewasm_engine_free(e);
}

static void small_tables(ewasm_config *c)
{
	c->max_table_elems_total = 100;
	c->max_tables = 3;
}

static void test_table_grow_and_count(void **state)
{
	(void)state;
	ewasm_engine *e = engine_with(small_tables);
	ewasm_store *st = ewasm_store_new(e);
	ewasm_tabletype tt = {EWASM_FUNCREF, {60, 0, 0}};
	ewasm_table *t1 = ewasm_table_new(st, &tt, ewasm_val_funcref(NULL));
	assert_non_null(t1);
	/* 60 + 60 > 100 in all */
	assert_null(ewasm_table_new(st, &tt, ewasm_val_funcref(NULL)));
	tt.limits.min = 30;
	ewasm_table *t2 = ewasm_table_new(st, &tt, ewasm_val_funcref(NULL));
	assert_non_null(t2);
	uint32_t old = 0;
	assert_int_equal(ewasm_table_grow(t2, 10, ewasm_val_funcref(NULL), &old), 0);
	assert_int_equal(old, 30);
	assert_int_equal(ewasm_table_grow(t1, 1, ewasm_val_funcref(NULL), NULL), EWASM_ERR_LIMIT);
	tt.limits.min = 0;
	assert_non_null(ewasm_table_new(st, &tt, ewasm_val_funcref(NULL)));
	assert_null(ewasm_table_new(st, &tt, ewasm_val_funcref(NULL))); /* 4th table */
	ewasm_store_free(st);
	/* at instantiation, with the limit named */
	expect_inst(e, tables_module(2, 60), EWASM_ERR_LIMIT, "(max_table_elems_total)");
	ewasm_engine_free(e);
}

static void small_memory(ewasm_config *c)
{
	c->max_memory_bytes = 3 * EWASM_PAGE_SIZE;
	c->max_memories = 2;
}

static void test_memory_total(void **state)
{
	(void)state;
	ewasm_engine *e = engine_with(small_memory);
	expect_inst(e, memory_module(4), EWASM_ERR_LIMIT,
	            "memory limit: the module's memory of 262,144 bytes (the store holds 0 "
	            "already) exceeds the 196,608-byte total (max_memory_bytes)");
	/* memory.grow past the total: -1 through the API's EWASM_ERR_LIMIT */
	ewasm_store *st = ewasm_store_new(e);
	ewasm_memtype mt = {{2, 0, 0}};
	ewasm_memory *m1 = ewasm_memory_new(st, &mt);
	assert_non_null(m1);
	assert_null(ewasm_memory_new(st, &mt)); /* 2 + 2 pages > 3 */
	mt.limits.min = 1;
	ewasm_memory *m2 = ewasm_memory_new(st, &mt);
	assert_non_null(m2);
	assert_int_equal(ewasm_memory_grow(m2, 1, NULL), EWASM_ERR_LIMIT);
	assert_int_equal(ewasm_memory_pages(m2), 1);
	mt.limits.min = 0;
	assert_null(ewasm_memory_new(st, &mt)); /* a third memory */
	ewasm_store_free(st);
	ewasm_engine_free(e);
}

/* memory.grow in wasm returns -1 at the store total (not a trap). */
static void test_memory_grow_wasm(void **state)
{
	(void)state;
	ewasm_engine *e = engine_with(small_memory);
	struct wb m = {0}, s = {0};
	wb_header(&m);
	wb_raw(&s, "\x01\x60\x01\x7f\x01\x7f", 6); /* (i32) -> i32 */
	wb_section(&m, 1, &s);
	wb_raw(&s, "\x01\x00", 2);
	wb_section(&m, 3, &s);
	wb_raw(&s, "\x01\x00\x01", 3); /* memory 1 */
	wb_section(&m, 5, &s);
	wb_raw(&s, "\x01\x04grow\x00\x00", 8);
	wb_section(&m, 7, &s);
	wb_raw(&s, "\x01\x06\x00\x20\x00\x40\x00\x0b", 8); /* memory.grow (local 0) */
	wb_section(&m, 10, &s);
	free(s.p);
	ewasm_module *mod = NULL;
	ewasm_instance *inst = NULL;
	ewasm_error err;
	assert_int_equal(ewasm_module_new(e, m.p, m.n, &mod, &err), 0);
	ewasm_store *st = ewasm_store_new(e);
	assert_int_equal(ewasm_instance_new(st, mod, NULL, 0, &inst, NULL, &err), 0);
	ewasm_func *grow = ewasm_instance_func(inst, "grow");
	ewasm_val a = ewasm_val_i32(3), r;
	assert_int_equal(ewasm_func_call(grow, &a, 1, &r, 1, NULL), 0);
	assert_int_equal(r.of.i32, -1); /* 1 + 3 pages > 3 */
	a = ewasm_val_i32(2);
	assert_int_equal(ewasm_func_call(grow, &a, 1, &r, 1, NULL), 0);
	assert_int_equal(r.of.i32, 1);
	ewasm_store_free(st);
	ewasm_module_free(mod);
	free(m.p);
	ewasm_engine_free(e);
}

static void test_defaults(void **state)
{
	(void)state;
	ewasm_config c;
	ewasm_config_init(&c);
	assert_true(c.max_memory_bytes == 65536ull * EWASM_PAGE_SIZE);
	assert_int_equal(c.max_table_elems_total, 10000000);
	assert_int_equal(c.max_tables, 10000);
	assert_int_equal(c.max_memories, 10000);
	assert_int_equal(c.max_functions, 1000000);
	assert_int_equal(c.max_exports, 1000000);
	assert_int_equal(c.max_locals, 50000);
	assert_int_equal(c.max_data_segments, 100000);
	assert_int_equal(c.max_elem_segments, 100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_exports_200k),
	    cmocka_unit_test(test_hset_linear),
	    cmocka_unit_test(test_linker_200k),
	    cmocka_unit_test(test_module_limits),
	    cmocka_unit_test(test_table_total),
	    cmocka_unit_test(test_table_grow_and_count),
	    cmocka_unit_test(test_memory_total),
	    cmocka_unit_test(test_memory_grow_wasm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
