// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the engine through its public API (include/enarx/wasm.h):
 * loading and errors, introspection, calls with every value type, host
 * functions (memory access, traps, exit, re-entry), traps with backtraces in
 * both memory modes, interruption from another thread, fuel, limits,
 * memories, tables, globals, linking across instances and start functions.
 * Modules are .wat files in wat/, built by wat2wasm at build time; the
 * folder holding the .wasm files is argv[1].
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <enarx/wasm.h>

static const char *wasm_dir = ".";

static uint8_t *read_file(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", wasm_dir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

struct env {
	ewasm_engine *engine;
	ewasm_store *store;
	ewasm_linker *linker;
	ewasm_module *module;
	ewasm_instance *inst;
};

static ewasm_module *load(ewasm_engine *e, const char *name)
{
	size_t len;
	uint8_t *b = read_file(name, &len);
	ewasm_module *m = NULL;
	ewasm_error err;
	int rc = ewasm_module_new(e, b, len, &m, &err);
	if (rc)
		fail_msg("%s: %s", name, err.message);
	free(b);
	return m;
}

/* ------------------------------------------------------- host functions */

static int host_add(ewasm_caller *c, const ewasm_val *a, ewasm_val *r, void *user)
{
	(void)c;
	(*(int *)user)++;
	r[0] = ewasm_val_i32(a[0].of.i32 + a[1].of.i32);
	return 0;
}

/* Sums `len` bytes of guest memory at `ptr` (a checked range). */
static int host_sum(ewasm_caller *c, const ewasm_val *a, ewasm_val *r, void *user)
{
	(void)user;
	const uint8_t *p = ewasm_caller_ptr(c, (uint32_t)a[0].of.i32, (uint32_t)a[1].of.i32);
	if (!p)
		return ewasm_caller_trap(c, "bad range %d+%d", a[0].of.i32, a[1].of.i32);
	int64_t s = 0;
	for (int32_t i = 0; i < a[1].of.i32; i++)
		s += p[i];
	r[0] = ewasm_val_i64(s);
	return 0;
}

static int host_fail(ewasm_caller *c, const ewasm_val *a, ewasm_val *r, void *user)
{
	(void)a;
	(void)r;
	(void)user;
	return ewasm_caller_trap(c, "host says no (%d)", 7);
}

static int host_exit(ewasm_caller *c, const ewasm_val *a, ewasm_val *r, void *user)
{
	(void)r;
	(void)user;
	return ewasm_caller_exit(c, a[0].of.i32);
}

/* Calls back into the instance's "add" export: x + 1. */
static int host_reenter(ewasm_caller *c, const ewasm_val *a, ewasm_val *r, void *user)
{
	(void)user;
	ewasm_func *add = ewasm_instance_func(ewasm_caller_instance(c), "add");
	ewasm_val args[2] = {a[0], ewasm_val_i32(1)};
	if (!add || ewasm_func_call(add, args, 2, r, 1, NULL))
		return ewasm_caller_trap(c, "re-entry failed");
	return 0;
}

static int add_calls;

static void define_env(ewasm_linker *l)
{
	static const uint8_t ii[] = {EWASM_I32, EWASM_I32}, i[] = {EWASM_I32}, I[] = {EWASM_I64};
	ewasm_functype t_add = {2, 1, ii, i}, t_sum = {2, 1, ii, I}, t_v = {0, 0, NULL, NULL},
	               t_i = {1, 0, i, NULL}, t_ii = {1, 1, i, i};
	assert_int_equal(
	    ewasm_linker_define_func(l, "env", "host_add", &t_add, host_add, &add_calls), 0);
	assert_int_equal(ewasm_linker_define_func(l, "env", "host_sum", &t_sum, host_sum, NULL), 0);
	assert_int_equal(ewasm_linker_define_func(l, "env", "host_fail", &t_v, host_fail, NULL), 0);
	assert_int_equal(ewasm_linker_define_func(l, "env", "host_exit", &t_i, host_exit, NULL), 0);
	assert_int_equal(
	    ewasm_linker_define_func(l, "env", "host_reenter", &t_ii, host_reenter, NULL), 0);
}

static int setup_cfg(void **state, const ewasm_config *cfg, const char *file)
{
	struct env *e = calloc(1, sizeof(*e));
	e->engine = ewasm_engine_new(cfg);
	e->store = ewasm_store_new(e->engine);
	e->linker = ewasm_linker_new(e->store);
	define_env(e->linker);
	e->module = load(e->engine, file);
	ewasm_error err;
	ewasm_trap *trap = NULL;
	int rc = ewasm_linker_instantiate(e->linker, e->module, &e->inst, &trap, &err);
	if (rc)
		fail_msg("instantiate %s: %s", file, err.message);
	*state = e;
	return 0;
}

static int setup_basic(void **state)
{
	return setup_cfg(state, NULL, "basic.wasm");
}

static int setup_traps(void **state)
{
	return setup_cfg(state, NULL, "traps.wasm");
}

static int setup_traps_checked(void **state)
{
	ewasm_config cfg;
	ewasm_config_init(&cfg);
	cfg.force_bounds_checks = 1;
	return setup_cfg(state, &cfg, "traps.wasm");
}

static int setup_traps_fuel(void **state)
{
	ewasm_config cfg;
	ewasm_config_init(&cfg);
	cfg.consume_fuel = 1;
	cfg.max_call_depth = 500;
	return setup_cfg(state, &cfg, "traps.wasm");
}

static int teardown(void **state)
{
	struct env *e = *state;
	ewasm_linker_free(e->linker);
	ewasm_module_free(e->module);
	ewasm_store_free(e->store);
	ewasm_engine_free(e->engine);
	free(e);
	return 0;
}

static ewasm_func *fn(struct env *e, const char *name)
{
	ewasm_func *f = ewasm_instance_func(e->inst, name);
	if (!f)
		fail_msg("no export %s", name);
	return f;
}

static int32_t call_i32(struct env *e, const char *name, int32_t a, int32_t b)
{
	ewasm_func *f = fn(e, name);
	ewasm_val args[2] = {ewasm_val_i32(a), ewasm_val_i32(b)}, r;
	size_t n = ewasm_func_type(f)->nparams;
	ewasm_trap *t = NULL;
	int rc = ewasm_func_call(f, args, n, &r, 1, &t);
	if (rc)
		fail_msg("%s trapped: %s", name, t ? ewasm_trap_message(t) : "?");
	assert_int_equal(r.type, EWASM_I32);
	return r.of.i32;
}

/* Calls `name` expecting a trap; returns it (caller frees). */
static ewasm_trap *call_trap(struct env *e, const char *name, const ewasm_val *args, size_t n)
{
	ewasm_func *f = fn(e, name);
	ewasm_val r[4];
	ewasm_trap *t = NULL;
	int rc = ewasm_func_call(f, args, n, r, ewasm_func_type(f)->nresults, &t);
	assert_int_equal(rc, EWASM_ERR_TRAP);
	assert_non_null(t);
	return t;
}

/* ------------------------------------------------------------- loading */

static void test_config_defaults(void **state)
{
	(void)state;
	ewasm_config c;
	ewasm_config_init(&c);
	assert_int_equal(c.max_memory_pages, 65536);
	assert_true(c.max_call_depth >= 1000);
	assert_int_equal(c.consume_fuel, 0);
	ewasm_engine *e = ewasm_engine_new(&c);
	assert_non_null(e);
	ewasm_engine_free(e);
	ewasm_engine_free(NULL);
	ewasm_store_free(NULL);
	ewasm_module_free(NULL);
	ewasm_trap_free(NULL);
	ewasm_linker_free(NULL);
}

static void test_malformed_and_invalid(void **state)
{
	(void)state;
	ewasm_engine *e = ewasm_engine_new(NULL);
	ewasm_module *m = NULL;
	ewasm_error err;
	static const uint8_t bad_magic[] = {0, 'a', 's', 'n', 1, 0, 0, 0};
	assert_int_equal(ewasm_module_new(e, bad_magic, sizeof(bad_magic), &m, &err),
	                 EWASM_ERR_MALFORMED);
	assert_null(m);
	assert_string_equal(err.message, "magic header not detected");

	static const uint8_t truncated[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1};
	assert_int_equal(ewasm_module_validate(e, truncated, sizeof(truncated), &err),
	                 EWASM_ERR_MALFORMED);
	assert_non_null(strstr(err.message, "unexpected end"));

	/* (func (result i32) i64.const 0): type mismatch in function 0 */
	static const uint8_t mismatch[] = {0,    'a',  's',  'm',  1,    0,    0,    0,    0x01,
	                                   0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01,
	                                   0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x42, 0x00, 0x0b};
	assert_int_equal(ewasm_module_validate(e, mismatch, sizeof(mismatch), &err),
	                 EWASM_ERR_INVALID);
	assert_int_equal(err.func_index, 0);
	assert_non_null(strstr(err.message, "type mismatch"));
	assert_true(err.offset >= 22 && err.offset <= (uint64_t)sizeof(mismatch));

	/* an illegal opcode is malformed and names its offset */
	uint8_t illegal[sizeof(mismatch)];
	memcpy(illegal, mismatch, sizeof(mismatch));
	illegal[24] = 0x06;
	assert_int_equal(ewasm_module_validate(e, illegal, sizeof(illegal), &err),
	                 EWASM_ERR_MALFORMED);
	assert_int_equal(err.offset, 24);
	assert_non_null(strstr(err.message, "illegal opcode"));
	ewasm_engine_free(e);
}

static void test_introspection(void **state)
{
	struct env *e = *state;
	const ewasm_module *m = e->module;
	const char *mod, *name;
	ewasm_externtype t;
	assert_int_equal(ewasm_module_import_count(m), 5);
	assert_int_equal(ewasm_module_import(m, 1, &mod, &name, &t), 0);
	assert_string_equal(mod, "env");
	assert_string_equal(name, "host_sum");
	assert_int_equal(t.kind, EWASM_EXTERN_FUNC);
	assert_int_equal(t.of.func.nparams, 2);
	assert_int_equal(t.of.func.results[0], EWASM_I64);
	assert_int_equal(ewasm_module_import(m, 5, &mod, &name, &t), EWASM_ERR_ARG);

	bool seen_mem = false, seen_tab = false, seen_pi = false;
	for (uint32_t i = 0; i < ewasm_module_export_count(m); i++) {
		assert_int_equal(ewasm_module_export(m, i, &name, &t), 0);
		if (!strcmp(name, "mem")) {
			seen_mem = true;
			assert_int_equal(t.kind, EWASM_EXTERN_MEMORY);
			assert_int_equal(t.of.memory.limits.min, 1);
			assert_int_equal(t.of.memory.limits.max, 4);
		} else if (!strcmp(name, "tab")) {
			seen_tab = true;
			assert_int_equal(t.of.table.elem, EWASM_FUNCREF);
		} else if (!strcmp(name, "pi")) {
			seen_pi = true;
			assert_int_equal(t.of.global.type, EWASM_F64);
			assert_int_equal(t.of.global.mutable_, 0);
		}
	}
	assert_true(seen_mem && seen_tab && seen_pi);

	/* wat2wasm --debug-names emits a name section */
	const uint8_t *data;
	size_t len;
	assert_int_equal(ewasm_module_custom_section(m, "name", 0, &data, &len), 0);
	assert_true(len > 0);
	assert_int_equal(ewasm_module_custom_section(m, "name", 1, &data, &len),
	                 EWASM_ERR_NOTFOUND);
	assert_int_equal(ewasm_module_custom_section(m, "nope", 0, &data, &len),
	                 EWASM_ERR_NOTFOUND);
	assert_string_equal(ewasm_module_func_name(m, 5), "double");
	assert_null(ewasm_module_func_name(m, 9999));
}

/* --------------------------------------------------------------- calls */

static void test_call_values(void **state)
{
	struct env *e = *state;
	assert_int_equal(call_i32(e, "add", 40, 2), 42);
	assert_int_equal(call_i32(e, "add", INT32_MAX, 1), INT32_MIN);

	ewasm_val a[2] = {ewasm_val_i64(1LL << 40), ewasm_val_i64(5)}, r[3];
	assert_int_equal(ewasm_func_call(fn(e, "add64"), a, 2, r, 1, NULL), 0);
	assert_int_equal(r[0].of.i64, (1LL << 40) + 5);

	/* NaN payloads survive calls bit for bit */
	ewasm_val nan = ewasm_val_f32_bits(0x7fa00001u);
	assert_int_equal(ewasm_func_call(fn(e, "f32_id"), &nan, 1, r, 1, NULL), 0);
	assert_int_equal(r[0].type, EWASM_F32);
	assert_int_equal(r[0].of.f32, 0x7fa00001u);
	ewasm_val d = ewasm_val_f64_bits(0x7ff8000000000123ull);
	assert_int_equal(ewasm_func_call(fn(e, "f64_neg"), &d, 1, r, 1, NULL), 0);
	assert_true(r[0].of.f64 == 0xfff8000000000123ull);
	d = ewasm_val_f64(2.5);
	assert_int_equal(ewasm_func_call(fn(e, "f64_neg"), &d, 1, r, 1, NULL), 0);
	assert_true(ewasm_val_as_f64(&r[0]) == -2.5);

	/* multi-value */
	ewasm_val s[3] = {ewasm_val_i32(1), ewasm_val_i64(2), ewasm_val_f32(3.0f)};
	assert_int_equal(ewasm_func_call(fn(e, "swap3"), s, 3, r, 3, NULL), 0);
	assert_int_equal(r[0].type, EWASM_F32);
	assert_true(ewasm_val_as_f32(&r[0]) == 3.0f);
	assert_int_equal(r[1].of.i64, 2);
	assert_int_equal(r[2].of.i32, 1);

	ewasm_val n = ewasm_val_i64(20);
	assert_int_equal(ewasm_func_call(fn(e, "fac"), &n, 1, r, 1, NULL), 0);
	assert_true(r[0].of.i64 == 2432902008176640000LL);

	assert_int_equal(call_i32(e, "apply", 0, 21), 42);
	assert_int_equal(call_i32(e, "apply", 1, 9), 81);
	assert_int_equal(call_i32(e, "sum_loop", 100, 0), 5050);

	/* fused instruction forms give the same results as the plain ones */
	assert_int_equal((uint32_t)call_i32(e, "funnel", 0x11223344, (int32_t)0xaabbccdd),
	                 0x223344aau);
	assert_int_equal((uint32_t)call_i32(e, "funnel_rev", 0x12345678, 0x9), 0x91234567u);
	assert_int_equal(call_i32(e, "index_load", 16, 1), 0x77202c6f); /* "o, w" at 20 */
	assert_int_equal(call_i32(e, "and_branch", 6, 3), 9);
	assert_int_equal(call_i32(e, "and_branch", 4, 3), 7);
	assert_int_equal(call_i32(e, "count_up", 1, 11), 55);  /* 1 + ... + 10 */
	assert_int_equal(call_i32(e, "count_up", -3, -1), -5); /* signed compare */
	assert_int_equal(call_i32(e, "count_down", 0, 10), 5); /* 2,4,6,8 then 10 */

	/* wrong count or types are refused before running */
	assert_int_equal(ewasm_func_call(fn(e, "add"), a, 2, r, 1, NULL), EWASM_ERR_ARG);
	assert_int_equal(ewasm_func_call(fn(e, "add"), s, 1, r, 1, NULL), EWASM_ERR_ARG);
	assert_int_equal(ewasm_func_call(fn(e, "add"), s, 2, r, 0, NULL), EWASM_ERR_ARG);
}

static void test_globals(void **state)
{
	struct env *e = *state;
	ewasm_global *g = ewasm_instance_global(e->inst, "counter");
	ewasm_val v;
	assert_non_null(g);
	ewasm_global_get(g, &v);
	assert_int_equal(v.of.i32, 7);
	assert_int_equal(call_i32(e, "bump", 0, 0), 8);
	assert_int_equal(ewasm_global_set(g, ewasm_val_i32(100)), 0);
	assert_int_equal(call_i32(e, "bump", 0, 0), 101);
	assert_int_equal(ewasm_global_set(g, ewasm_val_i64(1)), EWASM_ERR_ARG);
	ewasm_global *pi = ewasm_instance_global(e->inst, "pi");
	assert_int_equal(ewasm_global_set(pi, ewasm_val_f64(3.0)), EWASM_ERR_IMMUTABLE);
	ewasm_global_get(pi, &v);
	assert_true(ewasm_val_as_f64(&v) == 3.14159);
	assert_null(ewasm_instance_global(e->inst, "add"));
}

static void test_memory(void **state)
{
	struct env *e = *state;
	ewasm_memory *m = ewasm_instance_memory(e->inst, "mem");
	char buf[12] = {0};
	assert_non_null(m);
	assert_int_equal(ewasm_memory_pages(m), 1);
	assert_int_equal(ewasm_memory_size(m), 65536);
	assert_int_equal(ewasm_memory_read(m, 16, buf, 11), 0);
	assert_string_equal(buf, "hello, wasm");
	assert_int_equal(ewasm_memory_read(m, 65530, buf, 7), EWASM_ERR_RANGE);
	assert_int_equal(ewasm_memory_write(m, 65532, "\x01\x02\x03\x04", 4), 0);
	assert_int_equal(call_i32(e, "load", 65532, 0), 0x04030201);
	assert_int_equal(ewasm_memory_write(m, UINT64_MAX - 1, "x", 4), EWASM_ERR_RANGE);

	/* growth: in wasm and through the API, up to the module's max of 4 */
	assert_int_equal(call_i32(e, "grow", 1, 0), 1);
	uint32_t old;
	assert_int_equal(ewasm_memory_grow(m, 1, &old), 0);
	assert_int_equal(old, 2);
	assert_int_equal(call_i32(e, "grow", 2, 0), -1);
	assert_int_equal(call_i32(e, "grow", 1, 0), 3);
	assert_int_equal(ewasm_memory_grow(m, 1, NULL), EWASM_ERR_LIMIT);
	assert_int_equal(ewasm_memory_pages(m), 4);
	/* new pages are zero and usable */
	assert_int_equal(call_i32(e, "load", 4 * 65536 - 4, 0), 0);
	assert_non_null(ewasm_memory_data(m));
	ewasm_memtype mt = ewasm_memory_type(m);
	assert_int_equal(mt.limits.min, 4);
}

static void test_table(void **state)
{
	struct env *e = *state;
	ewasm_table *t = ewasm_instance_table(e->inst, "tab");
	ewasm_val v;
	assert_int_equal(ewasm_table_size(t), 4);
	assert_int_equal(ewasm_table_get(t, 0, &v), 0);
	assert_int_equal(v.type, EWASM_FUNCREF);
	assert_non_null(v.of.funcref);
	ewasm_val arg = ewasm_val_i32(6), r;
	assert_int_equal(ewasm_func_call(v.of.funcref, &arg, 1, &r, 1, NULL), 0);
	assert_int_equal(r.of.i32, 12);
	assert_int_equal(ewasm_table_get(t, 3, &v), 0);
	assert_null(v.of.funcref);
	assert_int_equal(ewasm_table_get(t, 4, &v), EWASM_ERR_RANGE);

	/* put "square" at 3 and call it through call_indirect */
	ewasm_val sq;
	ewasm_table_get(t, 1, &sq);
	assert_int_equal(ewasm_table_set(t, 3, sq), 0);
	assert_int_equal(call_i32(e, "apply", 3, 5), 25);
	assert_int_equal(ewasm_table_set(t, 3, ewasm_val_externref(1)), EWASM_ERR_ARG);
	uint32_t old;
	assert_int_equal(ewasm_table_grow(t, 6, ewasm_val_funcref(NULL), &old), 0);
	assert_int_equal(old, 4);
	assert_int_equal(ewasm_table_grow(t, 1, ewasm_val_funcref(NULL), &old), EWASM_ERR_LIMIT);
	assert_int_equal(ewasm_table_size(t), 10);
}

/* ------------------------------------------------------ host functions */

static void test_host_calls(void **state)
{
	struct env *e = *state;
	int before = add_calls;
	assert_int_equal(call_i32(e, "call_host_add", 3, 4), 7);
	assert_int_equal(add_calls, before + 1);

	/* the host reads guest memory through a checked range */
	ewasm_val a[2] = {ewasm_val_i32(16), ewasm_val_i32(5)}, r;
	assert_int_equal(ewasm_func_call(fn(e, "call_host_sum"), a, 2, &r, 1, NULL), 0);
	assert_int_equal(r.of.i64, 'h' + 'e' + 'l' + 'l' + 'o');

	/* an out-of-range pointer makes the host trap with its message */
	a[0] = ewasm_val_i32(65530);
	a[1] = ewasm_val_i32(100);
	ewasm_trap *t = call_trap(e, "call_host_sum", a, 2);
	assert_int_equal(ewasm_trap_get_kind(t), EWASM_TRAP_HOST);
	assert_string_equal(ewasm_trap_message(t), "bad range 65530+100");
	assert_true(ewasm_trap_frame_count(t) >= 1);
	ewasm_trap_free(t);

	t = call_trap(e, "call_host_fail", NULL, 0);
	assert_int_equal(ewasm_trap_get_kind(t), EWASM_TRAP_HOST);
	assert_string_equal(ewasm_trap_message(t), "host says no (7)");
	ewasm_trap_free(t);

	ewasm_val code = ewasm_val_i32(3);
	t = call_trap(e, "call_host_exit", &code, 1);
	assert_int_equal(ewasm_trap_get_kind(t), EWASM_TRAP_EXIT);
	assert_int_equal(ewasm_trap_exit_code(t), 3);
	ewasm_trap_free(t);

	/* a host function may call back into wasm */
	assert_int_equal(call_i32(e, "reenter", 41, 0), 1042);
	/* and the instance still works after all those traps */
	assert_int_equal(call_i32(e, "add", 1, 2), 3);
}

static void test_host_func_direct(void **state)
{
	(void)state;
	ewasm_engine *en = ewasm_engine_new(NULL);
	ewasm_store *s = ewasm_store_new(en);
	static const uint8_t ii[] = {EWASM_I32, EWASM_I32}, i[] = {EWASM_I32};
	ewasm_functype ty = {2, 1, ii, i};
	int calls = 0;
	ewasm_func *f = ewasm_func_new_host(s, &ty, host_add, &calls, NULL);
	assert_non_null(f);
	assert_int_equal(ewasm_func_type(f)->nparams, 2);
	ewasm_val a[2] = {ewasm_val_i32(2), ewasm_val_i32(5)}, r;
	assert_int_equal(ewasm_func_call(f, a, 2, &r, 1, NULL), 0);
	assert_int_equal(r.of.i32, 7);
	assert_int_equal(calls, 1);
	ewasm_store_free(s);
	ewasm_engine_free(en);
}

/* --------------------------------------------------------------- traps */

static void expect_trap(struct env *e, const char *name, int32_t arg, bool has_arg,
                        ewasm_trap_kind kind, const char *msg)
{
	ewasm_val a = ewasm_val_i32(arg);
	ewasm_trap *t = call_trap(e, name, &a, has_arg ? 1 : 0);
	assert_int_equal(ewasm_trap_get_kind(t), kind);
	assert_string_equal(ewasm_trap_message(t), msg);
	ewasm_trap_free(t);
}

static void run_trap_kinds(struct env *e)
{
	expect_trap(e, "unreachable", 0, false, EWASM_TRAP_UNREACHABLE, "unreachable");
	expect_trap(e, "div_zero", 0, true, EWASM_TRAP_DIV_BY_ZERO, "integer divide by zero");
	expect_trap(e, "overflow", 0, false, EWASM_TRAP_INT_OVERFLOW, "integer overflow");
	expect_trap(e, "conversion", 0, false, EWASM_TRAP_INVALID_CONVERSION,
	            "invalid conversion to integer");
	expect_trap(e, "oob_load", 65533, true, EWASM_TRAP_OOB_MEMORY,
	            "out of bounds memory access");
	expect_trap(e, "oob_load", -1, true, EWASM_TRAP_OOB_MEMORY, "out of bounds memory access");
	expect_trap(e, "oob_store", 65528, true, EWASM_TRAP_OOB_MEMORY,
	            "out of bounds memory access");
	expect_trap(e, "oob_table", 0, false, EWASM_TRAP_OOB_TABLE, "undefined element");
	expect_trap(e, "mismatch", 0, false, EWASM_TRAP_INDIRECT_MISMATCH,
	            "indirect call type mismatch");
	expect_trap(e, "null_elem", 0, false, EWASM_TRAP_NULL_REF, "uninitialized element");
	expect_trap(e, "recurse", 0, true, EWASM_TRAP_STACK_EXHAUSTED, "call stack exhausted");
	/* in-range accesses still work after the faults */
	assert_int_equal(call_i32(e, "oob_load", 65532, 0), 0);
	assert_int_equal(call_i32(e, "div_zero", 1, 0), 2);
}

static void test_trap_kinds(void **state)
{
	run_trap_kinds(*state);
}

static void test_trap_kinds_checked(void **state)
{
	run_trap_kinds(*state);
}

static void test_backtrace(void **state)
{
	struct env *e = *state;
	ewasm_val a = ewasm_val_i32(0);
	ewasm_trap *t = call_trap(e, "div_zero", &a, 1);
	ewasm_frame f0, f1;
	assert_int_equal(ewasm_trap_frame_count(t), 2);
	assert_int_equal(ewasm_trap_frame(t, 0, &f0), 0);
	assert_int_equal(ewasm_trap_frame(t, 1, &f1), 0);
	assert_int_equal(ewasm_trap_frame(t, 2, &f1), EWASM_ERR_ARG);
	ewasm_trap_frame(t, 1, &f1);
	assert_string_equal(f0.func_name, "inner");
	assert_string_equal(f1.func_name, "outer");
	assert_int_equal(f0.func_index, 3);
	assert_int_equal(f1.func_index, 4);
	/* offsets point into the code section, callee after caller here */
	assert_true(f0.code_offset > 0 && f1.code_offset > f0.code_offset);
	ewasm_trap_free(t);

	/* deep recursion: bounded backtrace, innermost frame named */
	t = call_trap(e, "recurse", &a, 1);
	assert_true(ewasm_trap_frame_count(t) > 10);
	ewasm_trap_frame(t, 0, &f0);
	assert_string_equal(f0.func_name, "recurse");
	ewasm_trap_free(t);
}

static void *interrupter(void *arg)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
	ewasm_store_interrupt(arg);
	return NULL;
}

static void test_interrupt(void **state)
{
	struct env *e = *state;
	const char *names[] = {"spin", "spin_calls"};
	for (int i = 0; i < 2; i++) {
		pthread_t th;
		assert_int_equal(pthread_create(&th, NULL, interrupter, e->store), 0);
		ewasm_trap *t = call_trap(e, names[i], NULL, 0);
		pthread_join(th, NULL);
		assert_int_equal(ewasm_trap_get_kind(t), EWASM_TRAP_INTERRUPTED);
		ewasm_trap_free(t);
		/* the flag stays set until cleared */
		t = call_trap(e, "spin", NULL, 0);
		assert_int_equal(ewasm_trap_get_kind(t), EWASM_TRAP_INTERRUPTED);
		ewasm_trap_free(t);
		ewasm_store_clear_interrupt(e->store);
	}
	assert_int_equal(call_i32(e, "div_zero", 1, 0), 2);
}

static void test_fuel(void **state)
{
	struct env *e = *state;
	assert_int_equal(ewasm_store_set_fuel(e->store, 10000), 0);
	ewasm_trap *t = call_trap(e, "spin", NULL, 0);
	assert_int_equal(ewasm_trap_get_kind(t), EWASM_TRAP_OUT_OF_FUEL);
	assert_int_equal(ewasm_store_get_fuel(e->store), 0);
	ewasm_trap_free(t);
	assert_int_equal(ewasm_store_set_fuel(e->store, 100), 0);
	assert_int_equal(call_i32(e, "div_zero", 1, 0), 2);
	uint64_t left = ewasm_store_get_fuel(e->store);
	assert_true(left < 100 && left > 90);
	/* max_call_depth 500 in this engine */
	ewasm_store_set_fuel(e->store, 1000000);
	ewasm_val a = ewasm_val_i32(0);
	t = call_trap(e, "recurse", &a, 1);
	assert_int_equal(ewasm_trap_get_kind(t), EWASM_TRAP_STACK_EXHAUSTED);
	ewasm_trap_free(t);
	assert_true(ewasm_store_get_fuel(e->store) >= 1000000 - 600);
}

static void test_fuel_disabled(void **state)
{
	struct env *e = *state;
	assert_int_equal(ewasm_store_set_fuel(e->store, 5), EWASM_ERR_ARG);
}

static void test_memory_limit(void **state)
{
	(void)state;
	ewasm_config cfg;
	ewasm_config_init(&cfg);
	cfg.max_memory_pages = 2;
	struct env *e;
	setup_cfg((void **)&e, &cfg, "basic.wasm");
	assert_int_equal(call_i32(e, "grow", 1, 0), 1);
	assert_int_equal(call_i32(e, "grow", 1, 0), -1); /* module allows 4, engine 2 */
	void *st = e;
	teardown(&st);
}

/* ------------------------------------------------------------- linking */

static void test_linking(void **state)
{
	(void)state;
	ewasm_engine *en = ewasm_engine_new(NULL);
	ewasm_store *s = ewasm_store_new(en);
	ewasm_linker *l = ewasm_linker_new(s);
	ewasm_module *lib = load(en, "exporter.wasm"), *app = load(en, "linking.wasm");
	ewasm_instance *li, *ai;
	ewasm_error err;
	ewasm_trap *t;

	/* missing imports are reported by name */
	assert_int_equal(ewasm_linker_instantiate(l, app, &ai, &t, &err), EWASM_ERR_LINK);
	assert_non_null(strstr(err.message, "lib.mem"));

	assert_int_equal(ewasm_linker_instantiate(l, lib, &li, &t, &err), 0);
	assert_int_equal(ewasm_linker_define_instance(l, "lib", li), 0);
	assert_int_equal(ewasm_linker_instantiate(l, app, &ai, &t, &err), 0);
	ewasm_val a = ewasm_val_i32(5), r;
	assert_int_equal(ewasm_func_call(ewasm_instance_func(ai, "run"), &a, 1, &r, 1, NULL), 0);
	assert_int_equal(r.of.i32, 20); /* twice(twice(5)) via the shared table */
	/* the memory and global are shared */
	assert_int_equal(ewasm_func_call(ewasm_instance_func(li, "peek"), NULL, 0, &r, 1, NULL), 0);
	assert_int_equal(r.of.i32, 10);
	ewasm_val g;
	ewasm_global_get(ewasm_instance_global(li, "g"), &g);
	assert_int_equal(g.of.i32, 10);

	/* a wrong type is unlinkable: give a function where a memory is due */
	ewasm_extern imp[4];
	assert_int_equal(ewasm_instance_export(li, "twice", &imp[0]), 0);
	assert_int_equal(ewasm_instance_export(li, "tab", &imp[1]), 0);
	assert_int_equal(ewasm_instance_export(li, "g", &imp[2]), 0);
	assert_int_equal(ewasm_instance_export(li, "twice", &imp[3]), 0);
	ewasm_instance *bad;
	assert_int_equal(ewasm_instance_new(s, app, imp, 4, &bad, &t, &err), EWASM_ERR_LINK);
	assert_null(bad);
	assert_int_equal(ewasm_instance_export(li, "nope", &imp[0]), EWASM_ERR_NOTFOUND);

	/* instances outlive the caller's module reference */
	ewasm_module_free(lib);
	ewasm_module_free(app);
	assert_int_equal(ewasm_func_call(ewasm_instance_func(ai, "run"), &a, 1, &r, 1, NULL), 0);
	ewasm_linker_free(l);
	ewasm_store_free(s);
	ewasm_engine_free(en);
}

static void test_start(void **state)
{
	(void)state;
	ewasm_engine *en = ewasm_engine_new(NULL);
	ewasm_store *s = ewasm_store_new(en);
	ewasm_module *ok = load(en, "start.wasm"), *bad = load(en, "start_trap.wasm");
	ewasm_instance *i;
	ewasm_trap *t = NULL;
	ewasm_error err;
	uint32_t v = 0;
	assert_int_equal(ewasm_instance_new(s, ok, NULL, 0, &i, &t, &err), 0);
	assert_int_equal(ewasm_memory_read(ewasm_instance_memory(i, "mem"), 0, &v, 4), 0);
	assert_int_equal(v, 42);
	assert_int_equal(ewasm_instance_new(s, bad, NULL, 0, &i, &t, &err), EWASM_ERR_TRAP);
	assert_non_null(t);
	assert_int_equal(ewasm_trap_get_kind(t), EWASM_TRAP_UNREACHABLE);
	ewasm_trap_free(t);
	ewasm_module_free(ok);
	ewasm_module_free(bad);
	ewasm_store_free(s);
	ewasm_engine_free(en);
}

/* Frame 0's code offset of the trap from calling `fn` (x, y). */
static uint32_t trap_offset(ewasm_engine *en, const char *fn, int32_t x, int32_t y)
{
	ewasm_store *s = ewasm_store_new(en);
	ewasm_module *m = load(en, "offsets.wasm");
	ewasm_instance *i;
	ewasm_trap *t = NULL;
	ewasm_error err;
	ewasm_frame f;
	ewasm_val a[2] = {ewasm_val_i32(x), ewasm_val_i32(y)}, r[1];
	assert_int_equal(ewasm_instance_new(s, m, NULL, 0, &i, &t, &err), 0);
	assert_int_equal(ewasm_func_call(ewasm_instance_func(i, fn), a, 2, r, 1, &t),
	                 EWASM_ERR_TRAP);
	assert_int_equal(ewasm_trap_frame(t, 0, &f), 0);
	ewasm_trap_free(t);
	ewasm_module_free(m);
	ewasm_store_free(s);
	return f.code_offset;
}

/*
 * With explicit bounds checks every trap knows its instruction: fused ops
 * must report the same one as the plain code (the load or the store half
 * of a copy, the load of a read-modify-write, ...).
 */
static void test_trap_offsets(void **state)
{
	(void)state;
	static const struct {
		const char *fn;
		int32_t x, y;
	} cases[] = {
	    {"copy", 70000, 4},  {"copy", 4, 65534}, {"copy8", 65535, 0},
	    {"copy8", 0, 65533}, {"rmw", 65533, 1},  {"memop", 65530, 1},
	    {"idx", 0, 16384},   {"addr", 65535, 0}, {"div", 1, 0},
	};
	ewasm_config cfg;
	ewasm_config_init(&cfg);
	cfg.force_bounds_checks = 1;
	ewasm_engine *fused = ewasm_engine_new(&cfg);
	cfg.no_fusion = 1;
	ewasm_engine *plain = ewasm_engine_new(&cfg);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		uint32_t a = trap_offset(fused, cases[k].fn, cases[k].x, cases[k].y);
		uint32_t b = trap_offset(plain, cases[k].fn, cases[k].x, cases[k].y);
		if (a != b || a == 0)
			fail_msg("%s(%d, %d): fused offset 0x%x, plain 0x%x", cases[k].fn,
			         cases[k].x, cases[k].y, a, b);
	}
	/* the two halves of a copy are different instructions */
	assert_int_not_equal(trap_offset(plain, "copy", 70000, 4),
	                     trap_offset(plain, "copy", 4, 65534));
	ewasm_engine_free(fused);
	ewasm_engine_free(plain);
}

static void test_standalone_objects(void **state)
{
	(void)state;
	ewasm_engine *en = ewasm_engine_new(NULL);
	ewasm_store *s = ewasm_store_new(en);
	ewasm_memtype mt = {{1, 2, 1}};
	ewasm_memory *m = ewasm_memory_new(s, &mt);
	assert_non_null(m);
	assert_int_equal(ewasm_memory_pages(m), 1);
	ewasm_tabletype tt = {EWASM_EXTERNREF, {2, 0, 0}};
	ewasm_table *t = ewasm_table_new(s, &tt, ewasm_val_externref(0x1234));
	ewasm_val v;
	assert_int_equal(ewasm_table_get(t, 1, &v), 0);
	assert_int_equal(v.type, EWASM_EXTERNREF);
	assert_int_equal(v.of.externref, 0x1234);
	assert_null(ewasm_table_new(s, &tt, ewasm_val_i32(0)));
	ewasm_globaltype gt = {EWASM_I64, 1};
	ewasm_global *g = ewasm_global_new(s, &gt, ewasm_val_i64(-5));
	ewasm_global_get(g, &v);
	assert_int_equal(v.of.i64, -5);
	assert_int_equal(ewasm_global_type(g).mutable_, 1);
	assert_null(ewasm_global_new(s, &gt, ewasm_val_i32(1)));
	assert_string_equal(ewasm_strerror(EWASM_ERR_LINK),
	                    "unlinkable: import missing or of the wrong type");
	assert_string_equal(ewasm_valtype_name(EWASM_EXTERNREF), "externref");
	ewasm_store_free(s);
	ewasm_engine_free(en);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		wasm_dir = argv[1];
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_defaults),
	    cmocka_unit_test(test_malformed_and_invalid),
	    cmocka_unit_test_setup_teardown(test_introspection, setup_basic, teardown),
	    cmocka_unit_test_setup_teardown(test_call_values, setup_basic, teardown),
	    cmocka_unit_test_setup_teardown(test_globals, setup_basic, teardown),
	    cmocka_unit_test_setup_teardown(test_memory, setup_basic, teardown),
	    cmocka_unit_test_setup_teardown(test_table, setup_basic, teardown),
	    cmocka_unit_test_setup_teardown(test_host_calls, setup_basic, teardown),
	    cmocka_unit_test(test_host_func_direct),
	    cmocka_unit_test_setup_teardown(test_trap_kinds, setup_traps, teardown),
	    cmocka_unit_test_setup_teardown(test_trap_kinds_checked, setup_traps_checked, teardown),
	    cmocka_unit_test_setup_teardown(test_backtrace, setup_traps, teardown),
	    cmocka_unit_test_setup_teardown(test_interrupt, setup_traps, teardown),
	    cmocka_unit_test_setup_teardown(test_fuel, setup_traps_fuel, teardown),
	    cmocka_unit_test_setup_teardown(test_fuel_disabled, setup_traps, teardown),
	    cmocka_unit_test(test_memory_limit),
	    cmocka_unit_test(test_linking),
	    cmocka_unit_test(test_start),
	    cmocka_unit_test(test_trap_offsets),
	    cmocka_unit_test(test_standalone_objects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
