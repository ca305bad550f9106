/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The differential core of fuzz_wasm_run and fuzz_wasm_jit: turns the fuzz
 * input into a valid module (fuzz_wasm_gen.h) and runs it on two engines
 * that the including target configures (diff_configure(side, variant,
 * cfg); DIFF_VARIANTS variants, picked by the input's size). Both must
 * accept the module, and every call (all-zero, then all-ones arguments,
 * same fuel) must give the same outcome: the same results bit for bit or
 * the same trap kind (and, with DIFF_FRAMES, the same backtrace);
 * afterwards memory and globals must be identical. A rejected module or
 * any difference aborts. DIFF_TARGET and DIFF_WHAT name the target and the
 * two sides in messages.
 */
#ifndef FUZZ_WASM_DIFF_H
#define FUZZ_WASM_DIFF_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enarx/wasm.h>

#include "fuzz_wasm_gen.h"

#define FUEL 2000

struct side {
	ewasm_engine *eng;
	ewasm_module *m;
	ewasm_store *st;
	ewasm_instance *inst;
};

/* The engine of side k (0 or 1) in variant v (see diff_configure). */
static ewasm_engine *engine(int k, int v)
{
	static ewasm_engine *eng[2][DIFF_VARIANTS];
	ewasm_config cfg;

	if (!eng[k][v]) {
		ewasm_config_init(&cfg);
		cfg.max_memory_pages = 16;
		/* below the generated memory's maximum of 3 pages: memory.grow
		 * past the store total must return -1 on both sides */
		cfg.max_memory_bytes = 2 * EWASM_PAGE_SIZE;
		cfg.max_table_elems_total = 64;
		cfg.max_call_depth = 200;
		cfg.max_value_slots = 1u << 16;
		cfg.consume_fuel = 1;
		diff_configure(k, v, &cfg);
		eng[k][v] = ewasm_engine_new(&cfg);
	}
	return eng[k][v];
}

static void die(const char *what, const char *detail)
{
	fprintf(stderr, DIFF_TARGET ": %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

/* Loads (must succeed) and instantiates; returns 0 if instantiated. */
static int side_new(struct side *s, int k, int v, const struct gbuf *mod)
{
	ewasm_error err;
	ewasm_trap *trap = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	s->eng = engine(k, v);
	if (!s->eng)
		return -1;
	rc = ewasm_module_new(s->eng, mod->p, mod->n, &s->m, &err);
	if (rc != 0)
		die("generated module rejected", err.message);
	s->st = ewasm_store_new(s->eng);
	if (!s->st)
		return -1;
	ewasm_store_set_fuel(s->st, FUEL);
	rc = ewasm_instance_new(s->st, s->m, NULL, 0, &s->inst, &trap, &err);
	ewasm_trap_free(trap);
	return rc;
}

static void side_free(struct side *s)
{
	ewasm_store_free(s->st);
	ewasm_module_free(s->m);
}

static int same_val(const ewasm_val *a, const ewasm_val *b)
{
	if (a->type != b->type)
		return 0;
	if (a->type == EWASM_I32 || a->type == EWASM_F32)
		return a->of.f32 == b->of.f32;
	return a->of.i64 == b->of.i64;
}

/* Both traps must have the same backtrace: functions and code offsets. */
static void same_frames(ewasm_trap *const *trap)
{
	size_t n = ewasm_trap_frame_count(trap[0]);
	if (n != ewasm_trap_frame_count(trap[1]))
		die(DIFF_WHAT " give backtraces of different depths", ewasm_trap_message(trap[0]));
	for (size_t i = 0; i < n; i++) {
		ewasm_frame a, b;
		ewasm_trap_frame(trap[0], i, &a);
		ewasm_trap_frame(trap[1], i, &b);
		if (a.func_index != b.func_index || a.code_offset != b.code_offset)
			die(DIFF_WHAT " give different backtraces", ewasm_trap_message(trap[0]));
	}
}

/* One call on both sides with the same arguments and fuel. */
static void call_both(struct side *s, const char *name, int64_t fill)
{
	ewasm_func *f[2];
	ewasm_val args[8], res[2][8];
	ewasm_trap *trap[2] = {NULL, NULL};
	const ewasm_functype *ft;
	int rc[2];

	for (int k = 0; k < 2; k++)
		f[k] = ewasm_instance_func(s[k].inst, name);
	if (!f[0] || !f[1])
		die("export missing", name);
	ft = ewasm_func_type(f[0]);
	if (ft->nparams > 8 || ft->nresults > 8)
		return;
	for (uint32_t i = 0; i < ft->nparams; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].type = ft->params[i];
		args[i].of.i64 = fill;
		if (args[i].type == EWASM_I32 || args[i].type == EWASM_F32)
			args[i].of.i64 = (int64_t)(uint32_t)fill;
	}
	for (int k = 0; k < 2; k++) {
		ewasm_store_set_fuel(s[k].st, FUEL);
		rc[k] = ewasm_func_call(f[k], args, ft->nparams, res[k], ft->nresults, &trap[k]);
	}
	if (rc[0] != rc[1])
		die(DIFF_WHAT " differ in outcome", name);
	if (rc[0] == EWASM_ERR_TRAP && ewasm_trap_get_kind(trap[0]) != ewasm_trap_get_kind(trap[1]))
		die(DIFF_WHAT " trap differently", ewasm_trap_message(trap[0]));
	if (rc[0] == EWASM_ERR_TRAP && DIFF_FRAMES)
		same_frames(trap);
	if (rc[0] == 0)
		for (uint32_t i = 0; i < ft->nresults; i++)
			if (!same_val(&res[0][i], &res[1][i]))
				die(DIFF_WHAT " return different results", name);
	if (ewasm_store_get_fuel(s[0].st) != ewasm_store_get_fuel(s[1].st))
		die(DIFF_WHAT " use different fuel", name);
	ewasm_trap_free(trap[0]);
	ewasm_trap_free(trap[1]);
}

/* Memory and globals must be identical after the same calls. */
static void compare_state(struct side *s)
{
	ewasm_memory *m0 = ewasm_instance_memory(s[0].inst, "mem");
	ewasm_memory *m1 = ewasm_instance_memory(s[1].inst, "mem");
	char name[3] = "g0";

	if (!m0 || !m1 || ewasm_memory_size(m0) != ewasm_memory_size(m1) ||
	    memcmp(ewasm_memory_data(m0), ewasm_memory_data(m1), ewasm_memory_size(m0)) != 0)
		die(DIFF_WHAT " leave different memory", NULL);
	for (; name[1] < '3'; name[1]++) {
		ewasm_val v0, v1;
		ewasm_global *g0 = ewasm_instance_global(s[0].inst, name);
		ewasm_global *g1 = ewasm_instance_global(s[1].inst, name);
		if (!g0 || !g1)
			die("global export missing", name);
		ewasm_global_get(g0, &v0);
		ewasm_global_get(g1, &v1);
		if (!same_val(&v0, &v1))
			die(DIFF_WHAT " leave different globals", name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gbuf mod;
	struct side s[2];
	int ok0, ok1;

	if (gen_module(data, size, &mod) != 0)
		return 0;
	int v = (int)(size % DIFF_VARIANTS);
	ok0 = side_new(&s[0], 0, v, &mod) == 0;
	ok1 = side_new(&s[1], 1, v, &mod) == 0;
	if (ok0 != ok1)
		die(DIFF_WHAT " differ in instantiation", NULL);
	if (ok0) {
		uint32_t n = ewasm_instance_export_count(s[0].inst);
		for (int pass = 0; pass < 2; pass++) {
			for (uint32_t i = 0; i < n; i++) {
				const char *name;
				ewasm_extern ext;
				if (ewasm_instance_export_at(s[0].inst, i, &name, &ext) == 0 &&
				    ext.kind == EWASM_EXTERN_FUNC)
					call_both(s, name, pass ? -1 : 0);
			}
		}
		compare_state(s);
	}
	side_free(&s[0]);
	side_free(&s[1]);
	free(mod.p);
	return 0;
}

#endif
