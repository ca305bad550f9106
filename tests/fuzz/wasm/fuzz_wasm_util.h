/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the wasm fuzz targets: instantiate any module with stub
 * imports, and call every exported function with zero arguments, each under
 * a fuel budget so no input can hang. Header-only (static functions) so each
 * target stays one file for meson and libFuzzer.
 */
#ifndef FUZZ_WASM_UTIL_H
#define FUZZ_WASM_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <enarx/wasm.h>

struct stub {
	uint32_t nresults;
};

/* A host function that returns zero of each result type (the engine has
 * pre-filled the type tags). */
static int fuzz_stub_fn(ewasm_caller *c, const ewasm_val *args, ewasm_val *results, void *user)
{
	const struct stub *s = user;

	(void)c;
	(void)args;
	for (uint32_t i = 0; i < s->nresults; i++) {
		uint8_t t = results[i].type;
		memset(&results[i], 0, sizeof(results[i]));
		results[i].type = t;
	}
	return 0;
}

static ewasm_val fuzz_zero(uint8_t type)
{
	ewasm_val v;

	memset(&v, 0, sizeof(v));
	v.type = type;
	return v;
}

/* An extern matching `t`, or kind -1 when it can't be made (too big). */
static int fuzz_make_import(ewasm_store *st, const ewasm_externtype *t, ewasm_extern *out)
{
	struct stub *s;

	out->kind = t->kind;
	switch (t->kind) {
	case EWASM_EXTERN_FUNC:
		s = malloc(sizeof(*s));
		if (!s)
			return -1;
		s->nresults = t->of.func.nresults;
		out->of.func = ewasm_func_new_host(st, &t->of.func, fuzz_stub_fn, s, free);
		if (!out->of.func)
			free(s);
		return out->of.func ? 0 : -1;
	case EWASM_EXTERN_TABLE:
		if (t->of.table.limits.min > 4096)
			return -1;
		out->of.table = ewasm_table_new(st, &t->of.table, fuzz_zero(t->of.table.elem));
		return out->of.table ? 0 : -1;
	case EWASM_EXTERN_MEMORY:
		if (t->of.memory.limits.min > 64)
			return -1;
		out->of.memory = ewasm_memory_new(st, &t->of.memory);
		return out->of.memory ? 0 : -1;
	case EWASM_EXTERN_GLOBAL:
		out->of.global = ewasm_global_new(st, &t->of.global, fuzz_zero(t->of.global.type));
		return out->of.global ? 0 : -1;
	}
	return -1;
}

/* Instantiates `m` with stub imports; NULL if that is not possible or
 * instantiation fails (a trap in the start function included). */
static ewasm_instance *fuzz_wasm_instantiate(ewasm_store *st, ewasm_module *m, uint64_t fuel)
{
	uint32_t n = ewasm_module_import_count(m);
	ewasm_extern *imp = calloc(n ? n : 1, sizeof(*imp));
	ewasm_instance *inst = NULL;
	ewasm_trap *trap = NULL;
	ewasm_error err;
	uint32_t i;

	if (!imp)
		return NULL;
	for (i = 0; i < n; i++) {
		const char *mod, *name;
		ewasm_externtype t;
		if (ewasm_module_import(m, i, &mod, &name, &t) != 0 ||
		    fuzz_make_import(st, &t, &imp[i]) != 0)
			break;
	}
	ewasm_store_set_fuel(st, fuel);
	if (i == n && ewasm_instance_new(st, m, imp, n, &inst, &trap, &err) != 0)
		inst = NULL;
	ewasm_trap_free(trap);
	free(imp);
	return inst;
}

/* Calls every exported function with zero arguments, each with `fuel`. */
static void fuzz_wasm_call_exports(ewasm_store *st, ewasm_instance *inst, uint64_t fuel)
{
	uint32_t n = ewasm_instance_export_count(inst);

	for (uint32_t i = 0; i < n && i < 64; i++) {
		const char *name;
		ewasm_extern ext;
		ewasm_val args[16], res[16];
		ewasm_trap *trap = NULL;
		const ewasm_functype *ft;

		if (ewasm_instance_export_at(inst, i, &name, &ext) != 0 ||
		    ext.kind != EWASM_EXTERN_FUNC)
			continue;
		ft = ewasm_func_type(ext.of.func);
		if (ft->nparams > 16 || ft->nresults > 16)
			continue;
		for (uint32_t k = 0; k < ft->nparams; k++)
			args[k] = fuzz_zero(ft->params[k]);
		ewasm_store_set_fuel(st, fuel);
		(void)ewasm_func_call(ext.of.func, args, ft->nparams, res, ft->nresults, &trap);
		ewasm_trap_free(trap);
	}
}

#endif
