/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libc_test: runs libc_prog.wasm (clang --target=wasm32-wasi, wasi-libc,
 * reactor) in the engine and compares run(seed) with the same program
 * compiled natively, for several seeds. TAP, one line per seed.
 * usage: libc_test libc_prog.wasm
 */
#include <stdio.h>
#include <stdlib.h>

#include <enarx/wasm.h>

#include "libc_prog.c"

int main(int argc, char **argv);

/* wasi-libc's stdio links fd_write/fd_seek/fd_close for flushing at exit;
 * run() never calls them, so each import is a host function that traps. */
static int must_not_call(ewasm_caller *c, const ewasm_val *a, ewasm_val *r, void *u)
{
	return ewasm_caller_trap(c, "unexpected call of import %s", (const char *)u);
}

static int instantiate(ewasm_store *st, ewasm_module *m, ewasm_instance **inst, ewasm_trap **trap,
                       ewasm_error *err)
{
	uint32_t n = ewasm_module_import_count(m);
	ewasm_extern imp[16];
	int rc = 0;

	if (n > 16)
		return EWASM_ERR_LINK;
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		const char *mod, *name;
		ewasm_externtype t;
		rc = ewasm_module_import(m, i, &mod, &name, &t);
		if (rc == 0 && t.kind != EWASM_EXTERN_FUNC)
			rc = EWASM_ERR_LINK;
		if (rc == 0) {
			imp[i].kind = EWASM_EXTERN_FUNC;
			imp[i].of.func =
			    ewasm_func_new_host(st, &t.of.func, must_not_call, (void *)name, NULL);
			rc = imp[i].of.func ? 0 : EWASM_ERR_NOMEM;
		}
	}
	return rc ? rc : ewasm_instance_new(st, m, imp, n, inst, trap, err);
}

int main(int argc, char **argv)
{
	static const uint32_t seeds[] = {0, 1, 2, 42, 0xffffffffu, 123456789};
	size_t nseeds = sizeof(seeds) / sizeof(seeds[0]), len = 0;
	ewasm_engine *eng = ewasm_engine_new(NULL);
	ewasm_store *st = eng ? ewasm_store_new(eng) : NULL;
	ewasm_module *m = NULL;
	ewasm_instance *inst = NULL;
	ewasm_func *init, *runf;
	ewasm_trap *trap = NULL;
	ewasm_error err = {0};
	uint8_t *bytes = NULL;
	FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
	int failed = 0;

	printf("1..%zu\n", nseeds + 1);
	if (f) {
		bytes = malloc(1 << 20);
		len = bytes ? fread(bytes, 1, 1 << 20, f) : 0;
		fclose(f);
	}
	if (!len || !st || ewasm_module_new(eng, bytes, len, &m, &err) != 0 ||
	    instantiate(st, m, &inst, &trap, &err) != 0 ||
	    !(runf = ewasm_instance_func(inst, "run"))) {
		printf("not ok 1 - load %s: %s\n", argc > 1 ? argv[1] : "?", err.message);
		failed = 1;
		goto out;
	}
	init = ewasm_instance_func(inst, "_initialize");
	if (init && ewasm_func_call(init, NULL, 0, NULL, 0, &trap) != 0) {
		printf("not ok 1 - _initialize trapped: %s\n", ewasm_trap_message(trap));
		failed = 1;
		goto out;
	}
	printf("ok 1 - load, instantiate and _initialize libc_prog.wasm\n");
	for (size_t i = 0; i < nseeds; i++) {
		ewasm_val arg = ewasm_val_i32((int32_t)seeds[i]), res;
		uint32_t want = native_run(seeds[i]);
		int rc = ewasm_func_call(runf, &arg, 1, &res, 1, &trap);
		int ok = rc == 0 && (uint32_t)res.of.i32 == want;
		printf("%s %zu - run(%u) = 0x%08x, native 0x%08x%s%s\n", ok ? "ok" : "not ok",
		       i + 2, seeds[i], rc ? 0 : (uint32_t)res.of.i32, want,
		       rc ? ", trapped: " : "", rc && trap ? ewasm_trap_message(trap) : "");
		ewasm_trap_free(trap);
		trap = NULL;
		failed |= !ok;
	}
out:
	ewasm_trap_free(trap);
	ewasm_store_free(st);
	ewasm_module_free(m);
	ewasm_engine_free(eng);
	free(bytes);
	return failed;
}
