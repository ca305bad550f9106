// SPDX-License-Identifier: Apache-2.0
/*
 * Embedding the Enarx WebAssembly engine: the whole public API path in one
 * program. It loads a module, provides two host functions (one reads guest
 * memory through a checked range), instantiates, calls exports with typed
 * values, reads a global and memory, and reports a trap with its backtrace.
 *
 * usage: embed GUEST.wasm [N]
 */
#include <stdio.h>
#include <stdlib.h>

#include <enarx/wasm.h>

/* host.print(ptr, len): writes guest bytes to stdout. */
static int host_print(ewasm_caller *caller, const ewasm_val *args, ewasm_val *results, void *user)
{
	(void)results;
	(void)user;
	uint32_t ptr = (uint32_t)args[0].of.i32, len = (uint32_t)args[1].of.i32;
	const char *s = ewasm_caller_ptr(caller, ptr, len);
	if (!s) /* a bad pointer from the guest is a trap, never a crash */
		return ewasm_caller_trap(caller, "print: range %u+%u out of bounds", ptr, len);
	printf("guest says: %.*s\n", (int)len, s);
	return 0;
}

/* host.square(x) = x * x */
static int host_square(ewasm_caller *caller, const ewasm_val *args, ewasm_val *results, void *user)
{
	(void)caller;
	(*(unsigned *)user)++;
	results[0] = ewasm_val_i32(args[0].of.i32 * args[0].of.i32);
	return 0;
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void print_trap(const ewasm_trap *trap)
{
	printf("trap: %s\n", ewasm_trap_message(trap));
	for (size_t i = 0; i < ewasm_trap_frame_count(trap); i++) {
		ewasm_frame fr;
		ewasm_trap_frame(trap, i, &fr);
		printf("  #%zu func %u (%s) at offset 0x%x\n", i, fr.func_index,
		       fr.func_name ? fr.func_name : "?", fr.code_offset);
	}
}

int main(int argc, char **argv)
{
	ewasm_engine *engine = NULL;
	ewasm_store *store = NULL;
	ewasm_linker *linker = NULL;
	ewasm_module *module = NULL;
	ewasm_instance *inst = NULL;
	ewasm_trap *trap = NULL;
	ewasm_error err;
	uint8_t *bytes = NULL;
	size_t len = 0;
	unsigned squares = 0;
	int status = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: %s GUEST.wasm [N]\n", argv[0]);
		return 2;
	}
	int32_t n = argc > 2 ? (int32_t)strtol(argv[2], NULL, 10) : 10;
	if (!(bytes = read_all(argv[1], &len))) {
		perror(argv[1]);
		return 1;
	}

	/* 1. an engine with limits, and a store for the runtime objects */
	ewasm_config cfg;
	ewasm_config_init(&cfg);
	cfg.max_memory_pages = 16; /* 1 MiB is plenty for this guest */
	cfg.max_call_depth = 1000;
	engine = ewasm_engine_new(&cfg);
	store = engine ? ewasm_store_new(engine) : NULL;
	if (!store)
		goto out;

	/* 2. decode + validate + compile; errors say where and what */
	if (ewasm_module_new(engine, bytes, len, &module, &err)) {
		fprintf(stderr, "load: %s (offset %llu)\n", err.message,
		        (unsigned long long)err.offset);
		goto out;
	}

	/* 3. host functions with typed signatures, resolved by name */
	static const uint8_t i32x2[] = {EWASM_I32, EWASM_I32}, i32[] = {EWASM_I32};
	const ewasm_functype print_t = {2, 0, i32x2, NULL}, square_t = {1, 1, i32, i32};
	linker = ewasm_linker_new(store);
	if (!linker ||
	    ewasm_linker_define_func(linker, "host", "print", &print_t, host_print, NULL) ||
	    ewasm_linker_define_func(linker, "host", "square", &square_t, host_square, &squares))
		goto out;
	if (ewasm_linker_instantiate(linker, module, &inst, &trap, &err)) {
		fprintf(stderr, "instantiate: %s\n", err.message);
		goto out;
	}

	/* 4. calls with typed values */
	if (ewasm_func_call(ewasm_instance_func(inst, "greet"), NULL, 0, NULL, 0, &trap))
		goto out;
	ewasm_val arg = ewasm_val_i32(n), res;
	if (ewasm_func_call(ewasm_instance_func(inst, "sum_squares"), &arg, 1, &res, 1, &trap))
		goto out;
	printf("sum of squares 1..%d = %lld (%u host calls)\n", n, (long long)res.of.i64, squares);

	/* 5. globals and memory from the host side */
	ewasm_val calls;
	ewasm_global_get(ewasm_instance_global(inst, "calls"), &calls);
	char word[6] = {0};
	ewasm_memory_read(ewasm_instance_memory(inst, "memory"), 64, word, 5);
	printf("calls = %d, memory[64..69] = \"%s\"\n", calls.of.i32, word);

	/* 6. a trap is a value, not a crash */
	if (ewasm_func_call(ewasm_instance_func(inst, "crash"), NULL, 0, &res, 1, &trap) ==
	    EWASM_ERR_TRAP) {
		print_trap(trap);
		ewasm_trap_free(trap);
		trap = NULL;
	}
	status = 0;
out:
	if (trap) {
		print_trap(trap);
		ewasm_trap_free(trap);
	}
	ewasm_linker_free(linker);
	ewasm_module_free(module);
	ewasm_store_free(store); /* frees the instance, functions, memory */
	ewasm_engine_free(engine);
	free(bytes);
	return status;
}
