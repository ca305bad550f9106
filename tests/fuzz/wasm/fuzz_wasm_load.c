/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_wasm_load: arbitrary bytes through decode, validate, compile and
 * instantiate (with a stub for every import: functions returning zeros,
 * fresh tables/memories/globals of the wanted type), then each exported
 * function called with zero arguments under fuel. Any outcome is fine except
 * a crash, hang, leak or sanitizer report, or ewasm_module_validate()
 * disagreeing with ewasm_module_new(). The engine's limits are small so
 * that generated and mutated modules hit each of them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <enarx/wasm.h>

#include "fuzz_wasm_util.h"

static ewasm_engine *engine(void)
{
	static ewasm_engine *eng;
	ewasm_config cfg;

	if (!eng) {
		ewasm_config_init(&cfg);
		cfg.max_memory_pages = 64;
		cfg.max_table_elems = 4096;
		/* small limits, so arbitrary modules reach every one of them */
		cfg.max_memory_bytes = 96 * EWASM_PAGE_SIZE;
		cfg.max_memories = 4;
		cfg.max_tables = 8;
		cfg.max_table_elems_total = 6000;
		cfg.max_functions = 500;
		cfg.max_exports = 200;
		cfg.max_locals = 2000;
		cfg.max_data_segments = 64;
		cfg.max_elem_segments = 64;
		cfg.max_call_depth = 300;
		cfg.max_value_slots = 1u << 16;
		cfg.consume_fuel = 1;
		eng = ewasm_engine_new(&cfg);
	}
	return eng;
}

/* Everything the module says about itself must be readable. */
static void describe(const ewasm_module *m)
{
	uint32_t n = ewasm_module_import_count(m);

	for (uint32_t i = 0; i < n; i++) {
		const char *mod, *name;
		ewasm_externtype t;
		if (ewasm_module_import(m, i, &mod, &name, &t) != 0 || !mod || !name)
			abort();
	}
	n = ewasm_module_export_count(m);
	for (uint32_t i = 0; i < n; i++) {
		const char *name;
		size_t len;
		ewasm_externtype t;
		if (ewasm_module_export(m, i, &name, &t) != 0 ||
		    ewasm_module_export_name(m, i, &name, &len) != 0 || (len && !name))
			abort();
	}
	(void)ewasm_module_func_name(m, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ewasm_engine *eng = engine();
	ewasm_module *m = NULL;
	ewasm_store *st;
	ewasm_error err;

	int rc;

	if (!eng)
		return 0;
	rc = ewasm_module_new(eng, data, size, &m, &err);
	/* validate-only must agree with a full load */
	if (ewasm_module_validate(eng, data, size, NULL) != rc)
		abort();
	if (rc != 0)
		return 0;
	describe(m);
	st = ewasm_store_new(eng);
	if (st) {
		ewasm_instance *inst = fuzz_wasm_instantiate(st, m, 20000);
		if (inst)
			fuzz_wasm_call_exports(st, inst, 20000);
	}
	ewasm_store_free(st);
	ewasm_module_free(m);
	return 0;
}
