/* SPDX-License-Identifier: Apache-2.0 */
/*
 * diff_engine: half of the V8 differential test. Generates COUNT modules
 * from a fixed seed with the fuzz generator (tests/fuzz/wasm/fuzz_wasm_gen.h),
 * writes each to DIR/<i>.wasm, runs every exported function twice (zero
 * arguments, then -1 / 1.5 / -2.5) in our engine with fuel, and prints one line per
 * call plus one line of final state per module:
 *   <module> <func> <pass> ok <type>:<bits> ...   |  trap  |  skip
 *   <module> state <g0> <g1> <g2> <fnv-1a of memory>
 * "skip" marks calls that ran out of fuel or call depth, where a second
 * engine with other limits may legitimately differ. diff_v8.js replays the
 * same calls in V8 and prints the same format for comparison.
 * usage: diff_engine DIR COUNT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enarx/wasm.h>

#include "../../../fuzz/wasm/fuzz_wasm_gen.h"

static void print_val(const ewasm_val *v)
{
	switch (v->type) {
	case EWASM_I32: printf(" i32:%u", (uint32_t)v->of.i32); break;
	case EWASM_I64: printf(" i64:%llu", (unsigned long long)v->of.i64); break;
	case EWASM_F32:
		if ((v->of.f32 & 0x7fffffffu) > 0x7f800000u)
			printf(" f32:nan");
		else
			printf(" f32:%u", v->of.f32);
		break;
	default:
		if ((v->of.f64 & 0x7fffffffffffffffull) > 0x7ff0000000000000ull)
			printf(" f64:nan");
		else
			printf(" f64:%llu", (unsigned long long)v->of.f64);
	}
}

static void run_module(ewasm_engine *eng, int idx, const struct gbuf *mod)
{
	ewasm_module *m = NULL;
	ewasm_store *st = ewasm_store_new(eng);
	ewasm_instance *inst = NULL;
	ewasm_error err;
	char name[4] = "f0";
	int skipped = 0;

	if (!st || ewasm_module_new(eng, mod->p, mod->n, &m, &err) ||
	    ewasm_instance_new(st, m, NULL, 0, &inst, NULL, &err)) {
		printf("%d load-failed %s\n", idx, err.message);
		goto out;
	}
	for (; name[1] <= '9'; name[1]++) {
		ewasm_func *f = ewasm_instance_func(inst, name);
		if (!f)
			break;
		const ewasm_functype *ft = ewasm_func_type(f);
		for (int pass = 0; pass < 2; pass++) {
			ewasm_val args[8], res[8];
			ewasm_trap *trap = NULL;
			for (uint32_t i = 0; i < ft->nparams; i++) {
				memset(&args[i], 0, sizeof(args[i]));
				args[i].type = ft->params[i];
				/* pass 1: -1 for integers, 1.5f / -2.5 for floats (not
				 * NaN: JS can't carry NaN payloads into V8) */
				if (pass && args[i].type == EWASM_I32)
					args[i].of.i64 = 0xffffffffll;
				else if (pass && args[i].type == EWASM_I64)
					args[i].of.i64 = -1;
				else if (pass && args[i].type == EWASM_F32)
					args[i].of.f32 = 0x3fc00000u;
				else if (pass)
					args[i].of.f64 = 0xc004000000000000ull;
			}
			ewasm_store_set_fuel(st, 20000);
			int rc = ewasm_func_call(f, args, ft->nparams, res, ft->nresults, &trap);
			printf("%d %s %d", idx, name, pass);
			if (rc == 0) {
				printf(" ok");
				for (uint32_t i = 0; i < ft->nresults; i++)
					print_val(&res[i]);
			} else {
				ewasm_trap_kind k = trap ? ewasm_trap_get_kind(trap) : 0;
				if (k == EWASM_TRAP_OUT_OF_FUEL ||
				    k == EWASM_TRAP_STACK_EXHAUSTED) {
					printf(" skip");
					skipped = 1; /* state may now differ legitimately */
				} else {
					printf(" trap");
				}
			}
			printf("\n");
			ewasm_trap_free(trap);
		}
	}
	if (!skipped) {
		ewasm_memory *mem = ewasm_instance_memory(inst, "mem");
		uint32_t h = 2166136261u;
		char g[3] = "g0";
		printf("%d state", idx);
		for (; g[1] < '3'; g[1]++) {
			ewasm_val v;
			ewasm_global_get(ewasm_instance_global(inst, g), &v);
			print_val(&v);
		}
		for (size_t i = 0; mem && i < ewasm_memory_size(mem); i++)
			h = (h ^ ewasm_memory_data(mem)[i]) * 16777619u;
		printf(" mem:%u:%u\n", mem ? ewasm_memory_pages(mem) : 0, h);
	}
out:
	ewasm_store_free(st);
	ewasm_module_free(m);
}

int main(int argc, char **argv)
{
	ewasm_config cfg;
	ewasm_engine *eng;
	uint64_t x = 0x2545f4914f6cdd1dull;
	int count = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 0;

	gen_no_nan_leaks = 1;
	if (argc < 3) {
		fprintf(stderr, "usage: %s DIR COUNT\n", argv[0]);
		return 2;
	}
	ewasm_config_init(&cfg);
	cfg.consume_fuel = 1;
	cfg.max_call_depth = 500;
	eng = ewasm_engine_new(&cfg);
	if (!eng)
		return 1;
	for (int i = 0; i < count; i++) {
		uint8_t in[3000];
		size_t n = 200 + (size_t)(i * 37) % 2800;
		struct gbuf mod;
		char path[4096];
		FILE *f;

		for (size_t k = 0; k < n; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			in[k] = (uint8_t)(x >> 24);
		}
		if (gen_module(in, n, &mod) != 0)
			return 1;
		snprintf(path, sizeof(path), "%s/%d.wasm", argv[1], i);
		f = fopen(path, "wb");
		if (!f || fwrite(mod.p, 1, mod.n, f) != mod.n) {
			fprintf(stderr, "cannot write %s\n", path);
			return 1;
		}
		fclose(f);
		run_module(eng, i, &mod);
		free(mod.p);
	}
	ewasm_engine_free(eng);
	return 0;
}
