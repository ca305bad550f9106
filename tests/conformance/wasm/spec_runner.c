/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spec_runner: runs WebAssembly spec tests (.wast files converted by wabt's
 * wast2json into a JSON command list plus .wasm modules) against the engine
 * through its public API only (<enarx/wasm.h>). Used by the conformance
 * layer (the official testsuite) and by the project's own e2e .wast tests.
 *
 * Text modules (wast2json's .wat files: "module quote" and text
 * assert_malformed) go through the project's text parser (src/wat) first.
 *
 * usage: spec_runner [--tap] [-v] FILE.json...
 * Prints failures, per-file counts and, as its last line, "N passed, N
 * failed". With --tap every command is one TAP line and the plan comes last.
 * ENARX_WASM_NO_FUSION and ENARX_WASM_BOUNDS_CHECKS (set to anything) run
 * the engine with ewasm_config.no_fusion / force_bounds_checks.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enarx/wasm.h>
#include <enarx/wat.h>

#define MAX_VALS 256
#define MAX_NAMED 256

struct named {
	char *name;
	ewasm_instance *inst;
};

struct runner {
	ewasm_engine *engine;
	ewasm_store *store;
	ewasm_linker *linker;
	ewasm_module *modules[4096]; /* freed at the end of each file */
	size_t nmodules;
	struct named named[MAX_NAMED];
	size_t nnamed;
	ewasm_instance *current;
	const char *dir;  /* folder of the JSON file */
	const char *file; /* source .wast name for messages */
	bool tap;
	bool verbose;
	unsigned long tap_n;
	unsigned long passed, failed, skipped;    /* this file */
	unsigned long tpassed, tfailed, tskipped; /* all files */
	char why[1024];                           /* reason of the current command's failure */
};

static void why(struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void why(struct runner *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- results */

enum outcome { PASS, FAIL, SKIP };

static void report(struct runner *r, json_t *cmd, enum outcome o)
{
	const char *type = json_string_value(json_object_get(cmd, "type"));
	long line = (long)json_integer_value(json_object_get(cmd, "line"));
	json_t *act = json_object_get(cmd, "action");
	const char *field = act ? json_string_value(json_object_get(act, "field")) : NULL;

	if (o == PASS)
		r->passed++;
	else if (o == FAIL)
		r->failed++;
	else
		r->skipped++;
	if (r->tap) {
		printf("%s %lu - %s:%ld %s%s%s%s%s\n", o == FAIL ? "not ok" : "ok", ++r->tap_n,
		       r->file, line, type, field ? " " : "", field ? field : "",
		       o == SKIP ? " # SKIP " : "", o == SKIP ? r->why : "");
		if (o == FAIL)
			printf("# %s\n", r->why);
	} else if (o == FAIL) {
		printf("FAIL %s:%ld: %s%s%s: %s\n", r->file, line, type, field ? " " : "",
		       field ? field : "", r->why);
	} else if (o == SKIP && r->verbose) {
		printf("SKIP %s:%ld: %s: %s\n", r->file, line, type, r->why);
	}
}

/* ----------------------------------------------------------------- values */

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

static int parse_type(const char *t)
{
	static const struct {
		const char *n;
		int t;
	} map[] = {
	    {"i32", EWASM_I32},   {"i64", EWASM_I64},         {"f32", EWASM_F32},
	    {"f64", EWASM_F64},   {"funcref", EWASM_FUNCREF}, {"externref", EWASM_EXTERNREF},
	    {"v128", EWASM_V128},
	};
	for (size_t i = 0; t && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].n, t) == 0)
			return map[i].t;
	return -1;
}

/* Argument values: numbers are bit patterns in decimal; (ref.extern N) is
 * the host word N+1 because 0 is the null reference. */
static bool parse_arg(json_t *j, ewasm_val *v)
{
	int t = parse_type(json_string_value(json_object_get(j, "type")));
	const char *s = json_string_value(json_object_get(j, "value"));
	uint64_t u = 0;

	memset(v, 0, sizeof(*v));
	if (t < 0 || t == EWASM_V128)
		return false;
	v->type = (uint8_t)t;
	if (t == EWASM_FUNCREF || t == EWASM_EXTERNREF) {
		if (s && strcmp(s, "null") == 0)
			return true;
		if (t == EWASM_FUNCREF || !parse_u64(s, &u))
			return false; /* no syntax for a funcref argument */
		v->of.externref = (uintptr_t)u + 1;
		return true;
	}
	if (!parse_u64(s, &u))
		return false;
	if (t == EWASM_I32)
		v->of.i32 = (int32_t)(uint32_t)u;
	else if (t == EWASM_F32)
		v->of.f32 = (uint32_t)u;
	else
		v->of.i64 = (int64_t)u;
	return true;
}

static void fmt_val(const ewasm_val *v, char *buf, size_t n)
{
	switch (v->type) {
	case EWASM_I32: snprintf(buf, n, "i32:%" PRIu32, (uint32_t)v->of.i32); break;
	case EWASM_I64: snprintf(buf, n, "i64:%" PRIu64, (uint64_t)v->of.i64); break;
	case EWASM_F32:
		snprintf(buf, n, "f32:0x%08" PRIx32 "(%g)", v->of.f32, (double)ewasm_val_as_f32(v));
		break;
	case EWASM_F64:
		snprintf(buf, n, "f64:0x%016" PRIx64 "(%g)", v->of.f64, ewasm_val_as_f64(v));
		break;
	case EWASM_FUNCREF: snprintf(buf, n, "funcref:%s", v->of.funcref ? "func" : "null"); break;
	case EWASM_EXTERNREF:
		if (v->of.externref)
			snprintf(buf, n, "externref:%" PRIuPTR, v->of.externref - 1);
		else
			snprintf(buf, n, "externref:null");
		break;
	default: snprintf(buf, n, "type 0x%02x?", v->type);
	}
}

static bool is_canonical_nan(int t, const ewasm_val *v)
{
	if (t == EWASM_F32)
		return (v->of.f32 & 0x7fffffffu) == 0x7fc00000u;
	return (v->of.f64 & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
}

static bool is_arithmetic_nan(int t, const ewasm_val *v)
{
	if (t == EWASM_F32)
		return (v->of.f32 & 0x7fc00000u) == 0x7fc00000u;
	return (v->of.f64 & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
}

/* Does result `got` match the expected value `j` (a wast2json value)? */
static bool match_val(json_t *j, const ewasm_val *got, char *exp, size_t n)
{
	int t = parse_type(json_string_value(json_object_get(j, "type")));
	const char *s = json_string_value(json_object_get(j, "value"));
	ewasm_val want;

	snprintf(exp, n, "%s:%s", json_string_value(json_object_get(j, "type")),
	         s ? s : "<any non-null>");
	if (t < 0 || got->type != t)
		return false;
	if ((t == EWASM_F32 || t == EWASM_F64) && s && strncmp(s, "nan:", 4) == 0) {
		if (strcmp(s, "nan:canonical") == 0)
			return is_canonical_nan(t, got);
		if (strcmp(s, "nan:arithmetic") == 0)
			return is_arithmetic_nan(t, got);
		return false;
	}
	if (t == EWASM_FUNCREF && !s)
		return got->of.funcref != NULL;
	if (t == EWASM_EXTERNREF && !s)
		return got->of.externref != 0;
	if (t == EWASM_FUNCREF && strcmp(s, "null") != 0)
		return false; /* no way to name a particular function */
	if (t == EWASM_FUNCREF)
		return got->of.funcref == NULL;
	if (!parse_arg(j, &want))
		return false;
	switch (t) {
	case EWASM_I32: return got->of.i32 == want.of.i32;
	case EWASM_F32: return got->of.f32 == want.of.f32;
	case EWASM_EXTERNREF: return got->of.externref == want.of.externref;
	default: return got->of.i64 == want.of.i64;
	}
}

/* -------------------------------------------------------------- spectest */

static int host_print(ewasm_caller *c, const ewasm_val *args, ewasm_val *results, void *user)
{
	const ewasm_functype *ft = user;
	char buf[64];

	if (getenv("SPEC_RUNNER_PRINT")) {
		for (uint32_t i = 0; i < ft->nparams; i++) {
			fmt_val(&args[i], buf, sizeof(buf));
			fprintf(stderr, "%s%s", i ? " " : "", buf);
		}
		fprintf(stderr, "\n");
	}
	return 0;
}

static int define_print(ewasm_linker *l, const char *name, const ewasm_functype *ft)
{
	return ewasm_linker_define_func(l, "spectest", name, ft, host_print, (void *)ft);
}

static int define_global(struct runner *r, const char *name, ewasm_val v)
{
	ewasm_globaltype gt = {.type = v.type, .mutable_ = 0};
	ewasm_extern ext = {.kind = EWASM_EXTERN_GLOBAL};

	ext.of.global = ewasm_global_new(r->store, &gt, v);
	if (!ext.of.global)
		return EWASM_ERR_NOMEM;
	return ewasm_linker_define(r->linker, "spectest", name, &ext);
}

/* The host module every spec test may import (see the spec's
 * interpreter/host/spectest.ml). */
static int define_spectest(struct runner *r)
{
	static const uint8_t p_i32[] = {EWASM_I32}, p_i64[] = {EWASM_I64};
	static const uint8_t p_f32[] = {EWASM_F32}, p_f64[] = {EWASM_F64};
	static const uint8_t p_i32f32[] = {EWASM_I32, EWASM_F32};
	static const uint8_t p_f64f64[] = {EWASM_F64, EWASM_F64};
	static const ewasm_functype fts[] = {
	    {0, 0, NULL, NULL},     {1, 0, p_i32, NULL}, {1, 0, p_i64, NULL},
	    {1, 0, p_f32, NULL},    {1, 0, p_f64, NULL}, {2, 0, p_i32f32, NULL},
	    {2, 0, p_f64f64, NULL},
	};
	static const char *const names[] = {
	    "print",     "print_i32",     "print_i64",     "print_f32",
	    "print_f64", "print_i32_f32", "print_f64_f64",
	};
	ewasm_tabletype tt = {.elem = EWASM_FUNCREF, .limits = {10, 20, 1}};
	ewasm_memtype mt = {.limits = {1, 2, 1}};
	ewasm_extern ext;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < 7; i++)
		rc = define_print(r->linker, names[i], &fts[i]);
	rc = rc ? rc : define_global(r, "global_i32", ewasm_val_i32(666));
	rc = rc ? rc : define_global(r, "global_i64", ewasm_val_i64(666));
	rc = rc ? rc : define_global(r, "global_f32", ewasm_val_f32(666.6f));
	rc = rc ? rc : define_global(r, "global_f64", ewasm_val_f64(666.6));
	if (rc)
		return rc;
	ext.kind = EWASM_EXTERN_TABLE;
	ext.of.table = ewasm_table_new(r->store, &tt, ewasm_val_funcref(NULL));
	if (!ext.of.table)
		return EWASM_ERR_NOMEM;
	rc = ewasm_linker_define(r->linker, "spectest", "table", &ext);
	if (rc)
		return rc;
	ext.kind = EWASM_EXTERN_MEMORY;
	ext.of.memory = ewasm_memory_new(r->store, &mt);
	if (!ext.of.memory)
		return EWASM_ERR_NOMEM;
	return ewasm_linker_define(r->linker, "spectest", "memory", &ext);
}

/* ---------------------------------------------------------------- modules */

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

#define LOAD_UNREADABLE (-100) /* the module file cannot be read */
#define LOAD_BAD_TEXT (-101)   /* a text module the text parser rejects */

/* A .wat module (module_type "text") converted by the text parser; on a
 * parse error the reason (line:col: message) is left in r->why. */
static uint8_t *text_to_binary(struct runner *r, const char *path, uint8_t *text, size_t *len)
{
	ewat_error werr;
	uint8_t *bin = NULL, *copy;
	size_t blen = 0;

	if (ewat_parse((const char *)text, *len, &bin, &blen, &werr) != 0) {
		why(r, "text module rejected by the text parser: %s:%u:%u: %s", path, werr.line,
		    werr.col, werr.message);
		return NULL;
	}
	copy = malloc(blen ? blen : 1);
	if (copy)
		memcpy(copy, bin, blen);
	ewat_free(bin);
	*len = blen;
	return copy;
}

/* Decodes+validates the command's module file (text modules are parsed
 * first). Returns the engine's code (0 with *out set), LOAD_UNREADABLE or
 * LOAD_BAD_TEXT. */
static int load_module(struct runner *r, json_t *cmd, ewasm_module **out, ewasm_error *err)
{
	const char *fname = json_string_value(json_object_get(cmd, "filename"));
	const char *mt = json_string_value(json_object_get(cmd, "module_type"));
	char path[4096];
	uint8_t *bytes;
	size_t len = 0;
	int rc;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (!fname)
		return LOAD_UNREADABLE;
	snprintf(path, sizeof(path), "%s/%s", r->dir, fname);
	bytes = read_file(path, &len);
	if (!bytes) {
		why(r, "cannot read %s", path);
		return LOAD_UNREADABLE;
	}
	if (mt && strcmp(mt, "text") == 0) {
		uint8_t *bin = text_to_binary(r, fname, bytes, &len);

		free(bytes);
		if (!bin)
			return LOAD_BAD_TEXT;
		bytes = bin;
	}
	rc = ewasm_module_new(r->engine, bytes, len, out, err);
	free(bytes);
	if (rc == 0 && r->nmodules < sizeof(r->modules) / sizeof(r->modules[0]))
		r->modules[r->nmodules++] = *out;
	else if (rc == 0) {
		ewasm_module_free(*out); /* instances keep their own reference */
	}
	return rc;
}

static const char *trap_text(ewasm_trap *t)
{
	return t ? ewasm_trap_message(t) : "(no trap object)";
}

/* Instantiates with the linker; on success the result is `current` and,
 * if the command names it, findable by that name. */
static int instantiate(struct runner *r, ewasm_module *m, ewasm_instance **out, ewasm_trap **trap,
                       ewasm_error *err)
{
	*out = NULL;
	*trap = NULL;
	return ewasm_linker_instantiate(r->linker, m, out, trap, err);
}

static void set_named(struct runner *r, const char *name, ewasm_instance *in)
{
	for (size_t i = 0; i < r->nnamed; i++) {
		if (strcmp(r->named[i].name, name) == 0) {
			r->named[i].inst = in;
			return;
		}
	}
	if (r->nnamed < MAX_NAMED) {
		r->named[r->nnamed].name = strdup(name);
		r->named[r->nnamed++].inst = in;
	}
}

static ewasm_instance *find_named(struct runner *r, const char *name)
{
	if (!name)
		return r->current;
	for (size_t i = 0; i < r->nnamed; i++)
		if (strcmp(r->named[i].name, name) == 0)
			return r->named[i].inst;
	return NULL;
}

static enum outcome cmd_module(struct runner *r, json_t *cmd)
{
	const char *name = json_string_value(json_object_get(cmd, "name"));
	ewasm_module *m;
	ewasm_instance *inst;
	ewasm_trap *trap;
	ewasm_error err;
	int rc;

	r->current = NULL;
	if (name)
		set_named(r, name, NULL);
	rc = load_module(r, cmd, &m, &err);
	if (rc == LOAD_UNREADABLE || rc == LOAD_BAD_TEXT)
		return FAIL;
	if (rc) {
		why(r, "load failed: %s at offset %" PRIu64 ": %s", ewasm_strerror(rc), err.offset,
		    err.message);
		return FAIL;
	}
	rc = instantiate(r, m, &inst, &trap, &err);
	if (rc) {
		why(r, "instantiate failed: %s: %s", ewasm_strerror(rc),
		    rc == EWASM_ERR_TRAP ? trap_text(trap) : err.message);
		ewasm_trap_free(trap);
		return FAIL;
	}
	r->current = inst;
	if (name)
		set_named(r, name, inst);
	return PASS;
}

static enum outcome cmd_register(struct runner *r, json_t *cmd)
{
	const char *name = json_string_value(json_object_get(cmd, "name"));
	const char *as = json_string_value(json_object_get(cmd, "as"));
	ewasm_instance *inst = find_named(r, name);
	int rc;

	if (!inst || !as) {
		why(r, "no instance %s to register", name ? name : "(current)");
		return FAIL;
	}
	rc = ewasm_linker_define_instance(r->linker, as, inst);
	if (rc) {
		why(r, "register: %s", ewasm_strerror(rc));
		return FAIL;
	}
	return PASS;
}

/* ---------------------------------------------------------------- actions */

struct result {
	int rc;           /* 0, EWASM_ERR_TRAP, other: harness error */
	ewasm_trap *trap; /* set when rc == EWASM_ERR_TRAP */
	ewasm_val vals[MAX_VALS];
	size_t n;
};

/* Export `field` (`len` bytes, may hold NUL bytes) of kind `kind`. */
static int find_export(struct runner *r, ewasm_instance *inst, const char *field, size_t len,
                       ewasm_extern_kind kind, ewasm_extern *out)
{
	if (ewasm_instance_export_n(inst, field, len, out) != 0 || out->kind != kind) {
		why(r, "no %s export \"%s\"", kind == EWASM_EXTERN_FUNC ? "function" : "global",
		    field);
		return -1;
	}
	return 0;
}

static int do_get(struct runner *r, ewasm_instance *inst, const char *field, size_t len,
                  struct result *res)
{
	ewasm_extern ext;

	if (find_export(r, inst, field, len, EWASM_EXTERN_GLOBAL, &ext))
		return -1;
	ewasm_global_get(ext.of.global, &res->vals[0]);
	res->n = 1;
	return 0;
}

/* Runs the command's action. Returns -1 on a harness problem (reason in
 * r->why), else 0 with res->rc the call's outcome. */
static int do_action(struct runner *r, json_t *cmd, struct result *res)
{
	json_t *act = json_object_get(cmd, "action");
	const char *type = json_string_value(json_object_get(act, "type"));
	const char *mod = json_string_value(json_object_get(act, "module"));
	const char *field = json_string_value(json_object_get(act, "field"));
	json_t *args = json_object_get(act, "args");
	ewasm_instance *inst = find_named(r, mod);
	size_t flen = json_string_length(json_object_get(act, "field"));
	ewasm_val argv[MAX_VALS];
	const ewasm_functype *ft;
	ewasm_extern ext;
	ewasm_func *f;
	size_t i, nargs = json_array_size(args);

	memset(res, 0, sizeof(*res));
	if (!inst || !field || !type) {
		why(r, "no instance %s for action", mod ? mod : "(current)");
		return -1;
	}
	if (strcmp(type, "get") == 0)
		return do_get(r, inst, field, flen, res);
	if (find_export(r, inst, field, flen, EWASM_EXTERN_FUNC, &ext))
		return -1;
	f = ext.of.func;
	ft = ewasm_func_type(f);
	if (nargs > MAX_VALS || ft->nresults > MAX_VALS) {
		why(r, "too many values");
		return -1;
	}
	for (i = 0; i < nargs; i++) {
		if (!parse_arg(json_array_get(args, i), &argv[i])) {
			why(r, "unsupported argument %zu", i);
			return -1;
		}
	}
	res->n = ft->nresults;
	res->rc = ewasm_func_call(f, argv, nargs, res->vals, res->n, &res->trap);
	if (res->rc && res->rc != EWASM_ERR_TRAP) {
		why(r, "call failed: %s", ewasm_strerror(res->rc));
		return -1;
	}
	return 0;
}

static bool uses_v128(json_t *cmd)
{
	json_t *act = json_object_get(cmd, "action");
	json_t *lists[2] = {json_object_get(act, "args"), json_object_get(cmd, "expected")};
	size_t i;
	json_t *v;

	for (int k = 0; k < 2; k++)
		json_array_foreach(lists[k], i, v) if (parse_type(json_string_value(json_object_get(
		                                           v, "type"))) == EWASM_V128) return true;
	return false;
}

static enum outcome cmd_action(struct runner *r, json_t *cmd)
{
	struct result res;

	if (do_action(r, cmd, &res))
		return FAIL;
	if (res.rc) {
		why(r, "trapped: %s", trap_text(res.trap));
		ewasm_trap_free(res.trap);
		return FAIL;
	}
	return PASS;
}

static enum outcome cmd_assert_return(struct runner *r, json_t *cmd)
{
	json_t *exp = json_object_get(cmd, "expected");
	struct result res;
	char e[128], g[128];
	size_t i;

	if (do_action(r, cmd, &res))
		return FAIL;
	if (res.rc) {
		why(r, "trapped: %s", trap_text(res.trap));
		ewasm_trap_free(res.trap);
		return FAIL;
	}
	if (json_array_size(exp) != res.n) {
		why(r, "expected %zu results, got %zu", json_array_size(exp), res.n);
		return FAIL;
	}
	for (i = 0; i < res.n; i++) {
		if (!match_val(json_array_get(exp, i), &res.vals[i], e, sizeof(e))) {
			fmt_val(&res.vals[i], g, sizeof(g));
			why(r, "result %zu: expected %s, got %s", i, e, g);
			return FAIL;
		}
	}
	return PASS;
}

/* Which trap kinds the spec's message `text` stands for. */
static bool trap_matches(const char *text, ewasm_trap_kind k)
{
	static const struct {
		const char *text;
		ewasm_trap_kind kind;
	} map[] = {
	    {"unreachable", EWASM_TRAP_UNREACHABLE},
	    {"integer divide by zero", EWASM_TRAP_DIV_BY_ZERO},
	    {"integer overflow", EWASM_TRAP_INT_OVERFLOW},
	    {"invalid conversion to integer", EWASM_TRAP_INVALID_CONVERSION},
	    {"out of bounds memory access", EWASM_TRAP_OOB_MEMORY},
	    {"out of bounds table access", EWASM_TRAP_OOB_TABLE},
	    {"undefined element", EWASM_TRAP_OOB_TABLE},
	    {"uninitialized element", EWASM_TRAP_NULL_REF},
	    {"indirect call type mismatch", EWASM_TRAP_INDIRECT_MISMATCH},
	    {"call stack exhausted", EWASM_TRAP_STACK_EXHAUSTED},
	    {"null", EWASM_TRAP_NULL_REF},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strncmp(text, map[i].text, strlen(map[i].text)) == 0)
			return k == map[i].kind;
	return false;
}

static enum outcome check_trap(struct runner *r, json_t *cmd, int rc, ewasm_trap *trap)
{
	const char *text = json_string_value(json_object_get(cmd, "text"));
	enum outcome o = PASS;

	if (rc != EWASM_ERR_TRAP) {
		why(r, "expected trap \"%s\", got %s", text ? text : "?",
		    rc ? ewasm_strerror(rc) : "success");
		return FAIL;
	}
	if (!trap || !text || !trap_matches(text, ewasm_trap_get_kind(trap))) {
		why(r, "expected trap \"%s\", got \"%s\" (kind %d)", text ? text : "?",
		    trap_text(trap), trap ? (int)ewasm_trap_get_kind(trap) : -1);
		o = FAIL;
	}
	ewasm_trap_free(trap);
	return o;
}

static enum outcome cmd_assert_trap(struct runner *r, json_t *cmd)
{
	struct result res;

	if (do_action(r, cmd, &res))
		return FAIL;
	return check_trap(r, cmd, res.rc, res.trap);
}

/* assert_malformed / assert_invalid: decoding must fail with `want`. */
static enum outcome cmd_assert_bad(struct runner *r, json_t *cmd, int want)
{
	const char *mt = json_string_value(json_object_get(cmd, "module_type"));
	const char *text = json_string_value(json_object_get(cmd, "text"));
	ewasm_module *m;
	ewasm_error err;
	int rc;

	rc = load_module(r, cmd, &m, &err);
	if (rc == LOAD_UNREADABLE)
		return FAIL;
	/* Malformed text: the parser's rejection is the expected outcome. */
	if (rc == LOAD_BAD_TEXT && want == EWASM_ERR_MALFORMED)
		return PASS;
	if (rc == LOAD_BAD_TEXT) {
		char reason[sizeof(r->why)];

		snprintf(reason, sizeof(reason), "%s", r->why);
		why(r, "expected %s (\"%s\"), but %s", ewasm_strerror(want), text ? text : "",
		    reason);
		return FAIL;
	}
	if (rc == want)
		return PASS;
	/* wabt emits no data count section when a module has no data
	 * segments, so a module that is only invalid in the spec's encoding
	 * (data.drop/memory.init of a missing segment) is also malformed in
	 * wabt's: rejecting it as malformed is right for the bytes we got. */
	if (want == EWASM_ERR_INVALID && rc == EWASM_ERR_MALFORMED &&
	    strstr(err.message, "data count"))
		return PASS;
	why(r, "expected %s (\"%s\"), got %s%s%s%s", ewasm_strerror(want), text ? text : "",
	    mt && strcmp(mt, "text") == 0 ? "text parsed, then " : "",
	    rc ? ewasm_strerror(rc) : "success", rc ? ": " : "", rc ? err.message : "");
	return FAIL;
}

/* assert_unlinkable (want LINK) / assert_uninstantiable (want TRAP). */
static enum outcome cmd_assert_inst(struct runner *r, json_t *cmd, int want)
{
	const char *text = json_string_value(json_object_get(cmd, "text"));
	ewasm_module *m;
	ewasm_instance *inst;
	ewasm_trap *trap;
	ewasm_error err;
	int rc = load_module(r, cmd, &m, &err);

	if (rc == LOAD_UNREADABLE || rc == LOAD_BAD_TEXT)
		return FAIL;
	if (rc) {
		why(r, "load failed: %s: %s", ewasm_strerror(rc), err.message);
		return FAIL;
	}
	rc = instantiate(r, m, &inst, &trap, &err);
	if (want == EWASM_ERR_TRAP)
		return check_trap(r, cmd, rc, trap);
	ewasm_trap_free(trap);
	if (rc == want)
		return PASS;
	why(r, "expected link error (\"%s\"), got %s", text ? text : "",
	    rc ? ewasm_strerror(rc) : "success");
	return FAIL;
}

static enum outcome run_command(struct runner *r, json_t *cmd)
{
	const char *t = json_string_value(json_object_get(cmd, "type"));

	r->why[0] = '\0';
	if (!t) {
		why(r, "command without type");
		return FAIL;
	}
	if (uses_v128(cmd)) {
		why(r, "v128 value (SIMD is out of scope)");
		return SKIP;
	}
	if (strcmp(t, "module") == 0)
		return cmd_module(r, cmd);
	if (strcmp(t, "register") == 0)
		return cmd_register(r, cmd);
	if (strcmp(t, "action") == 0)
		return cmd_action(r, cmd);
	if (strcmp(t, "assert_return") == 0)
		return cmd_assert_return(r, cmd);
	if (strcmp(t, "assert_trap") == 0 && json_object_get(cmd, "filename"))
		return cmd_assert_inst(r, cmd, EWASM_ERR_TRAP);
	if (strcmp(t, "assert_trap") == 0 || strcmp(t, "assert_exhaustion") == 0)
		return cmd_assert_trap(r, cmd);
	if (strcmp(t, "assert_malformed") == 0)
		return cmd_assert_bad(r, cmd, EWASM_ERR_MALFORMED);
	if (strcmp(t, "assert_invalid") == 0)
		return cmd_assert_bad(r, cmd, EWASM_ERR_INVALID);
	if (strcmp(t, "assert_unlinkable") == 0)
		return cmd_assert_inst(r, cmd, EWASM_ERR_LINK);
	if (strcmp(t, "assert_uninstantiable") == 0)
		return cmd_assert_inst(r, cmd, EWASM_ERR_TRAP);
	why(r, "unknown command type %s", t);
	return FAIL;
}

/* ------------------------------------------------------------------ files */

static void file_reset(struct runner *r)
{
	for (size_t i = 0; i < r->nnamed; i++)
		free(r->named[i].name);
	r->nnamed = 0;
	r->current = NULL;
	ewasm_linker_free(r->linker);
	ewasm_store_free(r->store);
	for (size_t i = 0; i < r->nmodules; i++)
		ewasm_module_free(r->modules[i]);
	r->nmodules = 0;
	r->linker = NULL;
	r->store = NULL;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static int run_file(struct runner *r, const char *path)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_ALLOW_NUL, &jerr);
	json_t *cmds, *cmd;
	char dir[4096];
	const char *src;
	size_t i;

	r->passed = r->failed = r->skipped = 0;
	snprintf(dir, sizeof(dir), "%s", path);
	if (strrchr(dir, '/'))
		*strrchr(dir, '/') = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	r->dir = dir;
	if (!root) {
		fprintf(stderr, "%s: %s (line %d)\n", path, jerr.text, jerr.line);
		return -1;
	}
	src = json_string_value(json_object_get(root, "source_filename"));
	r->file = base_name(src ? src : path);
	r->store = ewasm_store_new(r->engine);
	r->linker = r->store ? ewasm_linker_new(r->store) : NULL;
	if (!r->linker || define_spectest(r)) {
		fprintf(stderr, "%s: cannot set up store/spectest\n", path);
		file_reset(r);
		json_decref(root);
		return -1;
	}
	cmds = json_object_get(root, "commands");
	json_array_foreach(cmds, i, cmd) report(r, cmd, run_command(r, cmd));
	printf("%s%s: %lu passed, %lu failed, %lu skipped\n", r->tap ? "# " : "", r->file,
	       r->passed, r->failed, r->skipped);
	fflush(stdout);
	r->tpassed += r->passed;
	r->tfailed += r->failed;
	r->tskipped += r->skipped;
	file_reset(r);
	json_decref(root);
	return 0;
}

int main(int argc, char **argv)
{
	struct runner r;
	int first = 1, bad = 0;

	memset(&r, 0, sizeof(r));
	setvbuf(stdout, NULL, _IOLBF, 0); /* partial results survive a crash */
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (strcmp(argv[first], "--tap") == 0)
			r.tap = true;
		else if (strcmp(argv[first], "-v") == 0)
			r.verbose = true;
		else
			break;
	}
	if (first >= argc) {
		fprintf(stderr, "usage: %s [--tap] [-v] FILE.json...\n", argv[0]);
		return 2;
	}
	/* the engine's other compile and memory modes, for the e2e layer */
	ewasm_config cfg;
	ewasm_config_init(&cfg);
	cfg.force_bounds_checks = getenv("ENARX_WASM_BOUNDS_CHECKS") != NULL;
	cfg.no_fusion = getenv("ENARX_WASM_NO_FUSION") != NULL;
	r.engine = ewasm_engine_new(&cfg);
	if (!r.engine)
		return 1;
	for (int i = first; i < argc; i++) {
		if (run_file(&r, argv[i]) != 0) {
			bad++;
			if (r.tap)
				printf("not ok %lu - %s: cannot run\n", ++r.tap_n, argv[i]);
			r.tfailed++;
		}
	}
	ewasm_engine_free(r.engine);
	if (r.tskipped)
		printf("# %lu skipped\n", r.tskipped);
	if (r.tap) {
		printf("# %lu passed, %lu failed\n", r.tpassed, r.tfailed);
		printf("1..%lu\n", r.tap_n);
	} else {
		printf("%lu passed, %lu failed\n", r.tpassed, r.tfailed);
	}
	return r.tfailed || bad ? 1 : 0;
}
