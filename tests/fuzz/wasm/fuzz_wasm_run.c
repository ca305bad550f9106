/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_wasm_run: turns the fuzz input into a valid module (fuzz_wasm_gen.h:
 * typed random code over most of the instruction set), loads it, which must
 * succeed, instantiates it and runs every function twice (all-zero and
 * all-ones arguments) under fuel. A module the engine rejects is reported
 * and aborts: either the generator or the validator is wrong, both bugs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enarx/wasm.h>

#include "fuzz_wasm_gen.h"
#include "fuzz_wasm_util.h"

static ewasm_engine *engine(void)
{
	static ewasm_engine *eng;
	ewasm_config cfg;

	if (!eng) {
		ewasm_config_init(&cfg);
		cfg.max_memory_pages = 16;
		cfg.max_call_depth = 200;
		cfg.max_value_slots = 1u << 16;
		cfg.consume_fuel = 1;
		eng = ewasm_engine_new(&cfg);
	}
	return eng;
}

static void call_all_ones(ewasm_store *st, ewasm_instance *inst)
{
	uint32_t n = ewasm_instance_export_count(inst);

	for (uint32_t i = 0; i < n; i++) {
		const char *name;
		ewasm_extern ext;
		ewasm_val args[8], res[8];
		ewasm_trap *trap = NULL;

		if (ewasm_instance_export_at(inst, i, &name, &ext) != 0 ||
		    ext.kind != EWASM_EXTERN_FUNC)
			continue;
		const ewasm_functype *ft = ewasm_func_type(ext.of.func);
		if (ft->nparams > 8 || ft->nresults > 8)
			continue;
		for (uint32_t k = 0; k < ft->nparams; k++) {
			args[k] = fuzz_zero(ft->params[k]);
			args[k].of.i64 = -1;
		}
		ewasm_store_set_fuel(st, 5000);
		(void)ewasm_func_call(ext.of.func, args, ft->nparams, res,
				      ft->nresults, &trap);
		ewasm_trap_free(trap);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ewasm_engine *eng = engine();
	struct gbuf mod;
	ewasm_module *m = NULL;
	ewasm_store *st;
	ewasm_error err;
	int rc;

	if (!eng || gen_module(data, size, &mod) != 0)
		return 0;
	rc = ewasm_module_new(eng, mod.p, mod.n, &m, &err);
	if (rc != 0) {
		fprintf(stderr, "generated module rejected: %s at offset %llu: %s\n",
			ewasm_strerror(rc), (unsigned long long)err.offset,
			err.message);
		abort();
	}
	st = ewasm_store_new(eng);
	if (st) {
		ewasm_instance *inst = fuzz_wasm_instantiate(st, m, 5000);
		if (inst) {
			fuzz_wasm_call_exports(st, inst, 5000);
			call_all_ones(st, inst);
		}
	}
	ewasm_store_free(st);
	ewasm_module_free(m);
	free(mod.p);
	return 0;
}
