/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_test: the embedder API's promises, checked from outside the engine:
 * fuel and interruption stop a runaway loop, configured limits (memory
 * pages, call depth) hold, host functions see the caller's memory and can
 * trap or exit, traps carry kind, message and a backtrace with names, and
 * memories, globals and tables can be read and written through the API.
 * Error details name the byte offset. TAP, one line per check.
 * usage: api_test api.wasm
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <enarx/wasm.h>

static int n_test, n_failed;

static void ok(int cond, const char *what)
{
	n_test++;
	n_failed += !cond;
	printf("%s %d - %s\n", cond ? "ok" : "not ok", n_test, what);
}

static uint8_t *wasm;
static size_t wasm_len;
static char logged[64];

static int host_log(ewasm_caller *c, const ewasm_val *a, ewasm_val *r, void *u)
{
	const char *p = ewasm_caller_ptr(c, (uint32_t)a[0].of.i32, (uint32_t)a[1].of.i32);

	if (!p)
		return ewasm_caller_trap(c, "bad pointer");
	snprintf(logged, sizeof(logged), "%.*s", a[1].of.i32, p);
	r[0] = ewasm_val_i32(a[1].of.i32);
	return 0;
}

static int host_fail(ewasm_caller *c, const ewasm_val *a, ewasm_val *r, void *u)
{
	return ewasm_caller_trap(c, "host says no (%d)", a[0].of.i32);
}

static int host_bye(ewasm_caller *c, const ewasm_val *a, ewasm_val *r, void *u)
{
	return ewasm_caller_exit(c, a[0].of.i32);
}

struct env {
	ewasm_engine *eng;
	ewasm_store *st;
	ewasm_module *m;
	ewasm_instance *inst;
};

/* Engine with `cfg`, module, store, instance with the three host imports. */
static int env_new(struct env *e, const ewasm_config *cfg)
{
	static const uint8_t ii[] = {EWASM_I32, EWASM_I32}, i[] = {EWASM_I32};
	ewasm_functype t_log = {2, 1, ii, i}, t_one = {1, 0, i, NULL};
	ewasm_linker *l;
	ewasm_error err;
	int rc;

	memset(e, 0, sizeof(*e));
	e->eng = ewasm_engine_new(cfg);
	if (!e->eng || ewasm_module_new(e->eng, wasm, wasm_len, &e->m, &err))
		return -1;
	e->st = ewasm_store_new(e->eng);
	l = e->st ? ewasm_linker_new(e->st) : NULL;
	if (!l)
		return -1;
	rc = ewasm_linker_define_func(l, "host", "log", &t_log, host_log, NULL);
	rc = rc ? rc : ewasm_linker_define_func(l, "host", "fail", &t_one, host_fail, NULL);
	rc = rc ? rc : ewasm_linker_define_func(l, "host", "bye", &t_one, host_bye, NULL);
	rc = rc ? rc : ewasm_linker_instantiate(l, e->m, &e->inst, NULL, &err);
	ewasm_linker_free(l);
	return rc;
}

static void env_free(struct env *e)
{
	ewasm_store_free(e->st);
	ewasm_module_free(e->m);
	ewasm_engine_free(e->eng);
}

/* Calls export `name`; returns the trap kind, 0 on success. */
static int call(struct env *e, const char *name, const ewasm_val *args, size_t na, ewasm_val *res,
                size_t nr, ewasm_trap **keep)
{
	ewasm_func *f = ewasm_instance_func(e->inst, name);
	ewasm_trap *t = NULL;
	int rc, kind = 0;

	if (!f)
		return -1;
	rc = ewasm_func_call(f, args, na, res, nr, &t);
	if (rc == EWASM_ERR_TRAP)
		kind = t ? (int)ewasm_trap_get_kind(t) : -2;
	else if (rc)
		kind = -3;
	if (keep)
		*keep = t;
	else
		ewasm_trap_free(t);
	return kind;
}

static void test_fuel(void)
{
	ewasm_config cfg;
	struct env e;

	ewasm_config_init(&cfg);
	cfg.consume_fuel = 1;
	if (env_new(&e, &cfg)) {
		ok(0, "fuel: set up");
		env_free(&e);
		return;
	}
	ok(ewasm_store_set_fuel(e.st, 100000) == 0, "fuel: set_fuel accepted");
	ok(call(&e, "spin", NULL, 0, NULL, 0, NULL) == EWASM_TRAP_OUT_OF_FUEL,
	   "fuel: endless loop traps with out-of-fuel");
	ok(ewasm_store_get_fuel(e.st) == 0, "fuel: all fuel consumed");
	ewasm_store_set_fuel(e.st, 1000);
	ewasm_val a = ewasm_val_i32(10), r;
	ok(call(&e, "rec", &a, 1, &r, 1, NULL) == 0 && r.of.i32 == 10,
	   "fuel: a short call succeeds after refuelling");
	ok(ewasm_store_get_fuel(e.st) < 1000 && ewasm_store_get_fuel(e.st) > 900,
	   "fuel: the call consumed a little fuel");
	env_free(&e);
}

static void *interrupter(void *st)
{
	struct timespec ts = {0, 50 * 1000 * 1000};

	nanosleep(&ts, NULL);
	ewasm_store_interrupt(st);
	return NULL;
}

static void test_interrupt(void)
{
	struct env e;
	pthread_t th;

	if (env_new(&e, NULL)) {
		ok(0, "interrupt: set up");
		env_free(&e);
		return;
	}
	ok(ewasm_store_set_fuel(e.st, 10) == EWASM_ERR_ARG,
	   "interrupt: set_fuel refused when fuel is off");
	pthread_create(&th, NULL, interrupter, e.st);
	ok(call(&e, "spin", NULL, 0, NULL, 0, NULL) == EWASM_TRAP_INTERRUPTED,
	   "interrupt: another thread stops an endless loop");
	pthread_join(th, NULL);
	ok(call(&e, "getg", NULL, 0, (ewasm_val[1]){{0}}, 1, NULL) == EWASM_TRAP_INTERRUPTED,
	   "interrupt: flag stays set until cleared");
	ewasm_store_clear_interrupt(e.st);
	ewasm_val r;
	ok(call(&e, "getg", NULL, 0, &r, 1, NULL) == 0 && r.of.i32 == 5,
	   "interrupt: runs again after clear_interrupt");
	env_free(&e);
}

static void test_limits(void)
{
	ewasm_config cfg;
	struct env e;
	ewasm_val a, r;

	ewasm_config_init(&cfg);
	cfg.max_memory_pages = 3;
	cfg.max_call_depth = 100;
	if (env_new(&e, &cfg)) {
		ok(0, "limits: set up");
		env_free(&e);
		return;
	}
	a = ewasm_val_i32(2);
	ok(call(&e, "grow", &a, 1, &r, 1, NULL) == 0 && r.of.i32 == 1,
	   "limits: grow to the engine's page limit");
	a = ewasm_val_i32(1);
	ok(call(&e, "grow", &a, 1, &r, 1, NULL) == 0 && r.of.i32 == -1,
	   "limits: grow past max_memory_pages returns -1 (module max is 100)");
	a = ewasm_val_i32(50);
	ok(call(&e, "rec", &a, 1, &r, 1, NULL) == 0 && r.of.i32 == 50,
	   "limits: recursion below max_call_depth runs");
	a = ewasm_val_i32(1000);
	ok(call(&e, "rec", &a, 1, &r, 1, NULL) == EWASM_TRAP_STACK_EXHAUSTED,
	   "limits: recursion past max_call_depth traps with stack exhausted");
	env_free(&e);
}

static void test_host_and_traps(void)
{
	struct env e;
	ewasm_trap *t = NULL;
	ewasm_frame fr;
	ewasm_val r, a;

	if (env_new(&e, NULL)) {
		ok(0, "host: set up");
		env_free(&e);
		return;
	}
	ok(call(&e, "say", NULL, 0, &r, 1, NULL) == 0 && r.of.i32 == 15 &&
	       strcmp(logged, "hello from wasm") == 0,
	   "host: function reads the caller's memory");
	ok(call(&e, "fail", NULL, 0, NULL, 0, &t) == EWASM_TRAP_HOST && t &&
	       strstr(ewasm_trap_message(t), "host says no (7)") != NULL,
	   "host: ewasm_caller_trap gives a host trap with its message");
	ewasm_trap_free(t);
	a = ewasm_val_i32(42);
	t = NULL;
	ok(call(&e, "bye", &a, 1, NULL, 0, &t) == EWASM_TRAP_EXIT && t &&
	       ewasm_trap_exit_code(t) == 42,
	   "host: ewasm_caller_exit stops the guest with the exit code");
	ewasm_trap_free(t);
	t = NULL;
	ok(call(&e, "outer", NULL, 0, NULL, 0, &t) == EWASM_TRAP_OOB_MEMORY && t &&
	       strcmp(ewasm_trap_message(t), "out of bounds memory access") == 0,
	   "trap: kind and the spec's message");
	memset(&fr, 0, sizeof(fr));
	ok(t && ewasm_trap_frame_count(t) >= 3 && ewasm_trap_frame(t, 0, &fr) == 0 &&
	       fr.func_name && strstr(fr.func_name, "inner") != NULL,
	   "trap: backtrace innermost frame is $inner, named from the name section");
	if (t && ewasm_trap_frame_count(t) >= 3) {
		ewasm_frame f1, f2;
		ewasm_trap_frame(t, 1, &f1);
		ewasm_trap_frame(t, 2, &f2);
		printf("# frames: %s %s %s\n", fr.func_name ? fr.func_name : "?",
		       f1.func_name ? f1.func_name : "?", f2.func_name ? f2.func_name : "?");
		ok(f1.func_name && strstr(f1.func_name, "middle") && f2.func_name &&
		       strstr(f2.func_name, "outer"),
		   "trap: backtrace names the callers in order");
	} else {
		ok(0, "trap: backtrace names the callers in order");
	}
	ok(t && ewasm_trap_frame(t, 1000, &fr) == EWASM_ERR_ARG, "trap: frame index checked");
	ewasm_trap_free(t);
	env_free(&e);
}

static void test_objects(void)
{
	struct env e;
	ewasm_memory *mem;
	ewasm_global *g, *k;
	ewasm_table *tab;
	ewasm_val v, r, a;
	char buf[16] = {0};

	if (env_new(&e, NULL)) {
		ok(0, "objects: set up");
		env_free(&e);
		return;
	}
	mem = ewasm_instance_memory(e.inst, "mem");
	ok(mem && ewasm_memory_pages(mem) == 1 && ewasm_memory_size(mem) == 65536,
	   "memory: size in pages and bytes");
	ok(mem && ewasm_memory_read(mem, 16, buf, 5) == 0 && memcmp(buf, "hello", 5) == 0,
	   "memory: read sees the data segment");
	ok(mem && ewasm_memory_write(mem, 100, "\x2a\0\0\0", 4) == 0, "memory: write");
	a = ewasm_val_i32(100);
	ok(call(&e, "load", &a, 1, &r, 1, NULL) == 0 && r.of.i32 == 42,
	   "memory: wasm sees the API's write");
	ok(mem && ewasm_memory_read(mem, 65533, buf, 4) == EWASM_ERR_RANGE,
	   "memory: out-of-range read refused");
	ok(mem && ewasm_memory_write(mem, UINT64_MAX - 1, buf, 4) == EWASM_ERR_RANGE,
	   "memory: overflowing offset refused");
	g = ewasm_instance_global(e.inst, "g");
	k = ewasm_instance_global(e.inst, "k");
	ok(g && ewasm_global_set(g, ewasm_val_i32(77)) == 0 &&
	       call(&e, "getg", NULL, 0, &r, 1, NULL) == 0 && r.of.i32 == 77,
	   "global: set through the API, seen by wasm");
	ok(g && ewasm_global_set(g, ewasm_val_i64(1)) == EWASM_ERR_ARG,
	   "global: wrong type refused");
	ok(k && ewasm_global_set(k, ewasm_val_i64(1)) == EWASM_ERR_IMMUTABLE,
	   "global: immutable refused");
	if (k)
		ewasm_global_get(k, &v);
	ok(k && v.type == EWASM_I64 && v.of.i64 == 9, "global: get");
	tab = ewasm_instance_table(e.inst, "tab");
	ok(tab && ewasm_table_size(tab) == 2, "table: size");
	ok(tab &&
	       ewasm_table_set(tab, 0, ewasm_val_funcref(ewasm_instance_func(e.inst, "getg"))) ==
	           0 &&
	       ewasm_table_get(tab, 0, &v) == 0 && v.of.funcref != NULL,
	   "table: set and get a funcref");
	ok(tab && ewasm_table_get(tab, 2, &v) == EWASM_ERR_RANGE, "table: out of range refused");
	ok(tab && ewasm_table_set(tab, 1, ewasm_val_externref(5)) == EWASM_ERR_ARG,
	   "table: wrong reference type refused");
	ok(ewasm_instance_func(e.inst, "nope") == NULL &&
	       ewasm_instance_memory(e.inst, "g") == NULL,
	   "exports: missing name or wrong kind gives NULL");
	ok(ewasm_func_call(ewasm_instance_func(e.inst, "getg"), &a, 1, &r, 1, NULL) ==
	       EWASM_ERR_ARG,
	   "call: wrong argument count refused");
	env_free(&e);
}

static void test_errors(void)
{
	static const uint8_t bad_magic[] = {0, 'a', 's', 'x', 1, 0, 0, 0};
	/* type section ok, then function section announcing 1 function of
	 * type 0 and a code section whose body is i64.const 0 for a () -> i32
	 * function: invalid at a known offset */
	static const uint8_t bad_body[] = {
	    0,    'a', 's', 'm', 1, 0,  0, 0, 1, 5, 1,    0x60, 0,    1,
	    0x7f, 3,   2,   1,   0, 10, 6, 1, 4, 0, 0x42, 0,    0x0b,
	};
	ewasm_engine *eng = ewasm_engine_new(NULL);
	ewasm_error err;

	memset(&err, 0, sizeof(err));
	ok(ewasm_module_validate(eng, bad_magic, sizeof(bad_magic), &err) == EWASM_ERR_MALFORMED &&
	       err.message[0] != '\0',
	   "error: bad magic is malformed, with a message");
	memset(&err, 0, sizeof(err));
	ok(ewasm_module_validate(eng, bad_body, sizeof(bad_body), &err) == EWASM_ERR_INVALID &&
	       err.message[0] != '\0',
	   "error: ill-typed body is invalid, with a message");
	printf("# message: %s (offset %llu, func %u)\n", err.message,
	       (unsigned long long)err.offset, err.func_index);
	ok(err.func_index == 0, "error: names the function index");
	ok(err.offset >= 23 && err.offset <= 27, "error: names a byte offset within the bad body");
	ok(ewasm_module_validate(eng, wasm, wasm_len, NULL) == 0, "validate: good module");
	ewasm_engine_free(eng);
}

int main(int argc, char **argv)
{
	FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;

	wasm = malloc(1 << 16);
	if (!f || !wasm || (wasm_len = fread(wasm, 1, 1 << 16, f)) == 0) {
		printf("1..1\nnot ok 1 - cannot read %s\n", argc > 1 ? argv[1] : "(no file)");
		return 1;
	}
	fclose(f);
	test_fuel();
	test_interrupt();
	test_limits();
	test_host_and_traps();
	test_objects();
	test_errors();
	printf("1..%d\n", n_test);
	free(wasm);
	return n_failed ? 1 : 0;
}
