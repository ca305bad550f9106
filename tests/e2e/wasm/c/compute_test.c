/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compute_test: differential test of the engine against native code. The
 * functions of compute.c are linked in natively and also loaded from
 * compute.wasm (clang --target=wasm32 -O2); each is called with the same
 * 3000 inputs (edge values, then pseudo-random bit patterns) through the
 * public API, and every result must match bit for bit (any NaN matches any
 * NaN, as C and wasm may differ in NaN payloads). TAP: one line per function.
 * usage: compute_test compute.wasm
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enarx/wasm.h>

#include "compute.c"

#define N_INPUTS 3000

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next64(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const uint64_t edges[] = {
    0,
    1,
    2,
    3,
    7,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0xfffffffe,
    0x7fffffffffffffffull,
    0x8000000000000000ull,
    0xffffffffffffffffull,
    0x3ff0000000000000ull,
    0xbff8000000000000ull,
    0x41e0000000000000ull,
    0xc1e0000000200000ull,
    0x7ff0000000000000ull,
    0x3f800000ull,
    0xbf000000ull,
};

/* Input number i for a parameter of `type`. */
static ewasm_val input(uint8_t type, int i, int param)
{
	size_t ne = sizeof(edges) / sizeof(edges[0]);
	uint64_t v = i < (int)(ne * ne) ? edges[(param ? i / ne : i % ne) % ne] : next64();

	if (i >= (int)(ne * ne) && (v & 3) == 0) /* small numbers matter too */
		v = (uint64_t)(int64_t)(int8_t)(v >> 8);
	switch (type) {
	case EWASM_I32: return ewasm_val_i32((int32_t)(uint32_t)v);
	case EWASM_I64: return ewasm_val_i64((int64_t)v);
	case EWASM_F32:
		if (i >= (int)(ne * ne) && (v & 4))
			return ewasm_val_f32((float)(int32_t)(v >> 40) / 64.0f);
		return ewasm_val_f32_bits((uint32_t)v);
	default:
		if (i >= (int)(ne * ne) && (v & 4))
			return ewasm_val_f64((double)(int64_t)(v >> 20) / 4096.0);
		return ewasm_val_f64_bits(v);
	}
}

typedef ewasm_val (*native_fn)(const ewasm_val *a);

#define U32(k) ((uint32_t)a[k].of.i32)
#define I32(k) (a[k].of.i32)
#define I64(k) (a[k].of.i64)
static ewasm_val n_gcd(const ewasm_val *a)
{
	return ewasm_val_i32((int32_t)c_gcd(U32(0), U32(1)));
}
static ewasm_val n_mulhi(const ewasm_val *a)
{
	return ewasm_val_i64((int64_t)c_mulhi((uint64_t)I64(0), (uint64_t)I64(1)));
}
static ewasm_val n_divmix(const ewasm_val *a)
{
	return ewasm_val_i32(c_divmix(I32(0), I32(1)));
}
static ewasm_val n_bits(const ewasm_val *a)
{
	return ewasm_val_i32((int32_t)c_bits(U32(0)));
}
static ewasm_val n_i64mix(const ewasm_val *a)
{
	return ewasm_val_i64(c_i64mix(I64(0), I64(1)));
}
static ewasm_val n_poly(const ewasm_val *a)
{
	return ewasm_val_f64(c_poly(ewasm_val_as_f64(&a[0])));
}
static ewasm_val n_fmix(const ewasm_val *a)
{
	return ewasm_val_f32(c_fmix(ewasm_val_as_f32(&a[0]), ewasm_val_as_f32(&a[1])));
}
static ewasm_val n_f2i(const ewasm_val *a)
{
	return ewasm_val_i32(c_f2i(ewasm_val_as_f64(&a[0])));
}
static ewasm_val n_i2f(const ewasm_val *a)
{
	return ewasm_val_f64(c_i2f(I64(0), U32(1)));
}
static ewasm_val n_indirect(const ewasm_val *a)
{
	return ewasm_val_i32(c_indirect(U32(0), I32(1), I32(2)));
}
static ewasm_val n_switch(const ewasm_val *a)
{
	return ewasm_val_i32((int32_t)c_switch(U32(0)));
}
static ewasm_val n_sort_sum(const ewasm_val *a)
{
	return ewasm_val_i32((int32_t)c_sort_sum(U32(0), U32(1)));
}
static ewasm_val n_ackermann(const ewasm_val *a)
{
	return ewasm_val_i32((int32_t)c_ackermann(U32(0) % 3, U32(1) % 40));
}

static const struct {
	const char *name;
	native_fn native;
	uint8_t np;
	uint8_t p[3];
	uint8_t r;
} funcs[] = {
    {"c_gcd", n_gcd, 2, {EWASM_I32, EWASM_I32}, EWASM_I32},
    {"c_mulhi", n_mulhi, 2, {EWASM_I64, EWASM_I64}, EWASM_I64},
    {"c_divmix", n_divmix, 2, {EWASM_I32, EWASM_I32}, EWASM_I32},
    {"c_bits", n_bits, 1, {EWASM_I32}, EWASM_I32},
    {"c_i64mix", n_i64mix, 2, {EWASM_I64, EWASM_I64}, EWASM_I64},
    {"c_poly", n_poly, 1, {EWASM_F64}, EWASM_F64},
    {"c_fmix", n_fmix, 2, {EWASM_F32, EWASM_F32}, EWASM_F32},
    {"c_f2i", n_f2i, 1, {EWASM_F64}, EWASM_I32},
    {"c_i2f", n_i2f, 2, {EWASM_I64, EWASM_I32}, EWASM_F64},
    {"c_indirect", n_indirect, 3, {EWASM_I32, EWASM_I32, EWASM_I32}, EWASM_I32},
    {"c_switch", n_switch, 1, {EWASM_I32}, EWASM_I32},
    {"c_sort_sum", n_sort_sum, 2, {EWASM_I32, EWASM_I32}, EWASM_I32},
    {"c_ackermann", n_ackermann, 2, {EWASM_I32, EWASM_I32}, EWASM_I32},
};

static int same(const ewasm_val *x, const ewasm_val *y)
{
	if (x->type != y->type)
		return 0;
	switch (x->type) {
	case EWASM_I32: return x->of.i32 == y->of.i32;
	case EWASM_F32:
		if ((x->of.f32 & 0x7fffffff) > 0x7f800000 && (y->of.f32 & 0x7fffffff) > 0x7f800000)
			return 1;
		return x->of.f32 == y->of.f32;
	case EWASM_F64:
		if ((x->of.f64 & 0x7fffffffffffffffull) > 0x7ff0000000000000ull &&
		    (y->of.f64 & 0x7fffffffffffffffull) > 0x7ff0000000000000ull)
			return 1;
		return x->of.f64 == y->of.f64;
	default: return x->of.i64 == y->of.i64;
	}
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	if (f)
		fclose(f);
	return buf;
}

/* Runs one function over all inputs; 0 if every result matched. */
static int check_func(ewasm_instance *inst, size_t k)
{
	ewasm_func *f = ewasm_instance_func(inst, funcs[k].name);
	ewasm_val args[3], got, want;
	ewasm_trap *trap = NULL;

	if (!f) {
		printf("# export %s missing\n", funcs[k].name);
		return 1;
	}
	for (int i = 0; i < N_INPUTS; i++) {
		for (int p = 0; p < funcs[k].np; p++)
			args[p] = input(funcs[k].p[p], i, p);
		if (strcmp(funcs[k].name, "c_ackermann") == 0) {
			args[0].of.i32 = (int32_t)((uint32_t)args[0].of.i32 % 3);
			args[1].of.i32 = (int32_t)((uint32_t)args[1].of.i32 % 40);
		}
		want = funcs[k].native(args);
		if (ewasm_func_call(f, args, funcs[k].np, &got, 1, &trap) != 0) {
			printf("# input %d: trapped: %s\n", i,
			       trap ? ewasm_trap_message(trap) : "?");
			ewasm_trap_free(trap);
			return 1;
		}
		if (!same(&got, &want)) {
			printf("# input %d (arg0 0x%llx): wasm 0x%llx, native 0x%llx\n", i,
			       (unsigned long long)args[0].of.i64, (unsigned long long)got.of.i64,
			       (unsigned long long)want.of.i64);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t nf = sizeof(funcs) / sizeof(funcs[0]), len = 0;
	uint8_t *bytes = argc > 1 ? read_file(argv[1], &len) : NULL;
	ewasm_engine *eng = ewasm_engine_new(NULL);
	ewasm_store *st = eng ? ewasm_store_new(eng) : NULL;
	ewasm_module *m = NULL;
	ewasm_instance *inst = NULL;
	ewasm_error err;
	int failed = 0;

	printf("1..%zu\n", nf + 1);
	if (!bytes || !st || ewasm_module_new(eng, bytes, len, &m, &err) != 0 ||
	    ewasm_instance_new(st, m, NULL, 0, &inst, NULL, &err) != 0) {
		printf("not ok 1 - load and instantiate %s: %s\n", argc > 1 ? argv[1] : "?",
		       bytes ? err.message : "cannot read");
		for (size_t k = 0; k < nf; k++)
			printf("not ok %zu - %s # not run\n", k + 2, funcs[k].name);
		failed = 1;
		goto out;
	}
	printf("ok 1 - load and instantiate compute.wasm\n");
	for (size_t k = 0; k < nf; k++) {
		int bad = check_func(inst, k);
		failed |= bad;
		printf("%s %zu - %s: %d inputs match native\n", bad ? "not ok" : "ok", k + 2,
		       funcs[k].name, N_INPUTS);
	}
out:
	ewasm_store_free(st);
	ewasm_module_free(m);
	ewasm_engine_free(eng);
	free(bytes);
	return failed;
}
