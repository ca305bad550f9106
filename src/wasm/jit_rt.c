// SPDX-License-Identifier: Apache-2.0
/*
 * Runtime of the baseline compiler's code (see jit.h), independent of the
 * architecture: run entry, traps, calls it does not make inline, and the
 * ops it leaves to C (tables, bulk memory, conversions, min/max, rounding).
 * Each op here follows its interpreter handler in interp_body.inc exactly;
 * the differential fuzzer (fuzz_wasm_run) holds the two together.
 */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "wasm/jit.h"
#include "wasm/mem.h"
#include "wasm/numeric.h"

/* Native stack the compiled code may use when the thread's own bounds are
 * unknown (each wasm call takes 16 bytes, C helpers more). */
#define JIT_STACK_DEFAULT ((uintptr_t)1 << 20)
/* Room kept below the limit for C helpers, host functions and signals. */
#define JIT_STACK_MARGIN ((uintptr_t)128 << 10)

/* The lowest stack pointer compiled code may reach on this thread,
 * computed once per thread (glibc reads /proc/self/maps for the main
 * thread's bounds). */
static uintptr_t stack_limit(void)
{
	static _Thread_local uintptr_t limit;
	if (limit)
		return limit;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	pthread_attr_t a;
	void *lo = NULL;
	size_t size = 0;
	if (pthread_getattr_np(pthread_self(), &a) == 0) {
		if (pthread_attr_getstack(&a, &lo, &size) != 0)
			lo = NULL;
		pthread_attr_destroy(&a);
	}
	uintptr_t low = (uintptr_t)lo;
	if (!lo || low >= sp || sp - low < 2 * JIT_STACK_MARGIN)
		limit = sp - JIT_STACK_DEFAULT;
	else
		limit = low + JIT_STACK_MARGIN;
	return limit;
}

_Noreturn void wasm__jit_trap(ewasm_store *s, int kind, const cword *pc)
{
	s->trap_kind = (ewasm_trap_kind)kind;
	s->trap_pc = pc;
	siglongjmp(mem__recovery->jb, WASM_JIT_TRAPPED);
}

static void set_active(ewasm_instance *inst)
{
	if (inst->mems)
		mem__active = inst->mems[0];
}

int wasm__jit_run(ewasm_store *s, ewasm_func *fn, slot *fp)
{
	uint32_t nf = s->nframes;
	s->frames[nf].ret_pc = NULL;
	s->frames[nf].fp = NULL;
	s->frames[nf].fn = fn;
	s->nframes = nf + 1;
	s->jit_stack_limit = stack_limit(); /* the store may change threads */
	set_active(fn->inst);
	wasm__jit_enter(fn->inst->module->jit, s, fp, fn->inst, fn->code->native);
	s->nframes = nf;
	return 0;
}

double wasm__jit_nan64(double a, double b, double r)
{
	return nan64(a, b, r);
}

float wasm__jit_nan32(float a, float b, float r)
{
	return nan32(a, b, r);
}

/* ------------------------------------------------------------- calls */

const void *wasm__jit_call(ewasm_store *s, ewasm_instance *inst, slot *fp, const cword *pc,
                           uint32_t frame_slots, int indirect)
{
	ewasm_func *callee;
	slot *nfp;
	const cword *ret;
	if (indirect) {
		ewasm_table *t = inst->tables[pc[1].s.a];
		uint32_t i = fp[pc[2].s.a].u32;
		if (UNLIKELY(i >= t->size)) {
			s->trap_detail = "undefined element";
			wasm__jit_trap(s, EWASM_TRAP_OOB_TABLE, pc);
		}
		callee = (ewasm_func *)t->elems[i];
		if (UNLIKELY(!callee))
			wasm__jit_trap(s, EWASM_TRAP_NULL_REF, pc);
		const struct wtype *want = inst->types[pc[1].s.b];
		if (UNLIKELY(callee->type != want && !wasm__type_eq(callee->type, want)))
			wasm__jit_trap(s, EWASM_TRAP_INDIRECT_MISMATCH, pc);
		nfp = fp + pc[2].s.b;
		ret = pc + 3;
	} else {
		callee = inst->funcs[pc[1].s.a];
		nfp = fp + pc[1].s.b;
		ret = pc + 2;
	}
	if (callee->host) {
		s->stack_top = fp + frame_slots;
		s->trap_pc = pc;
		if (wasm__call_host(s, callee, nfp, inst))
			siglongjmp(mem__recovery->jb, WASM_JIT_TRAPPED);
		set_active(inst);
		return NULL;
	}
	uint32_t nf = s->nframes;
	if (UNLIKELY(nf >= s->max_frames))
		wasm__jit_trap(s, EWASM_TRAP_STACK_EXHAUSTED, pc);
	const void *native = callee->code->native;
	if (!native) {
		/* an interpreted module: the interpreter keeps its own record */
		s->trap_pc = pc;
		if (wasm__interp(s, callee, nfp))
			siglongjmp(mem__recovery->jb, WASM_JIT_TRAPPED);
		set_active(inst);
		return NULL;
	}
	s->frames[nf].ret_pc = ret;
	s->frames[nf].fp = fp;
	s->frames[nf].fn = callee;
	s->nframes = nf + 1;
	if (callee->inst == inst)
		return native;
	set_active(callee->inst);
	wasm__jit_enter(callee->inst->module->jit, s, nfp, callee->inst, native);
	set_active(inst);
	s->nframes = nf;
	return NULL;
}

/* --------------------------------------------------- rare ops, in C */

#define A(k) fp[pc[k].s.a]
#define B(k) fp[pc[k].s.b]
#define TRAP(kind) wasm__jit_trap(s, (kind), pc)

static void op_memory_grow(ewasm_store *s, ewasm_instance *inst, slot *fp, const cword *pc)
{
	(void)s;
	ewasm_memory *m = inst->mems[0];
	uint32_t old = m->pages;
	int rc = wasm__memory_grow(m, A(1).u32);
	B(1).u64 = rc < 0 ? 0xffffffffu : old;
}

static void op_memory_init(ewasm_store *s, ewasm_instance *inst, slot *fp, const cword *pc)
{
	uint32_t seg = pc[1].s.a;
	uint64_t d = B(1).u32, sidx = A(2).u32, n = B(2).u32;
	ewasm_memory *m = inst->mems[0];
	if (sidx + n > inst->data_len[seg] || d + n > m->size)
		TRAP(EWASM_TRAP_OOB_MEMORY);
	if (n)
		memcpy(m->base + d, inst->module->datas[seg].bytes + sidx, n);
}

static void op_data_drop(ewasm_store *s, ewasm_instance *inst, slot *fp, const cword *pc)
{
	(void)s;
	(void)fp;
	inst->data_len[pc[1].s.a] = 0;
}

static void op_memory_copy(ewasm_store *s, ewasm_instance *inst, slot *fp, const cword *pc)
{
	uint64_t d = A(1).u32, sr = B(1).u32, n = A(2).u32;
	ewasm_memory *m = inst->mems[0];
	if (sr + n > m->size || d + n > m->size)
		TRAP(EWASM_TRAP_OOB_MEMORY);
	memmove(m->base + d, m->base + sr, n);
}

static void op_memory_fill(ewasm_store *s, ewasm_instance *inst, slot *fp, const cword *pc)
{
	uint64_t d = A(1).u32, n = A(2).u32;
	ewasm_memory *m = inst->mems[0];
	if (d + n > m->size)
		TRAP(EWASM_TRAP_OOB_MEMORY);
	memset(m->base + d, (int)(B(1).u32 & 0xff), n);
}

static void op_table_get(ewasm_store *s, ewasm_instance *inst, slot *fp, const cword *pc)
{
	ewasm_table *t = inst->tables[pc[1].s.a];
	uint32_t i = B(1).u32;
	if (i >= t->size)
		TRAP(EWASM_TRAP_OOB_TABLE);
	A(2).uref = t->elems[i];
}

static void op_table_set(ewasm_store *s, ewasm_instance *inst, slot *fp, const cword *pc)
{
	ewasm_table *t = inst->tables[pc[1].s.a];
	uint32_t i = B(1).u32;
	if (i >= t->size)
		TRAP(EWASM_TRAP_OOB_TABLE);
	t->elems[i] = A(2).uref;
}

static void op_table_size(ewasm_store *s, ewasm_instance *inst, slot *fp, const cword *pc)
{
	(void)s;
	B(1).u64 = inst->tables[pc[1].s.a]->size;
}

static void op_table_grow(ewasm_store *s, ewasm_instance *inst, slot *fp, const cword *pc)
{
	(void)s;
	ewasm_table *t = inst->tables[pc[1].s.a];
	uint32_t old = t->size;
	int rc = wasm__table_grow(t, A(2).u32, B(1).uref);
	B(2).u64 = rc < 0 ? 0xffffffffu : old;
}

static void op_table_fill(ewasm_store *s, ewasm_instance *inst, slot *fp, const cword *pc)
{
	ewasm_table *t = inst->tables[pc[1].s.a];
	uint64_t i = B(1).u32, n = B(2).u32;
	uintptr_t v = A(2).uref;
	if (i + n > t->size)
		TRAP(EWASM_TRAP_OOB_TABLE);
	for (uint64_t k = 0; k < n; k++)
		t->elems[i + k] = v;
}

static void op_table_copy(ewasm_store *s, ewasm_instance *inst, slot *fp, const cword *pc)
{
	ewasm_table *dt = inst->tables[pc[1].s.a], *st = inst->tables[pc[1].s.b];
	uint64_t d = A(2).u32, sr = B(2).u32, n = A(3).u32;
	if (sr + n > st->size || d + n > dt->size)
		TRAP(EWASM_TRAP_OOB_TABLE);
	memmove(dt->elems + d, st->elems + sr, n * sizeof(uintptr_t));
}

static void op_table_init(ewasm_store *s, ewasm_instance *inst, slot *fp, const cword *pc)
{
	ewasm_table *t = inst->tables[pc[1].s.a];
	uint32_t seg = pc[1].s.b;
	uint64_t d = A(2).u32, sr = B(2).u32, n = A(3).u32;
	if (sr + n > inst->elem_len[seg] || d + n > t->size)
		TRAP(EWASM_TRAP_OOB_TABLE);
	if (n)
		memcpy(t->elems + d, inst->elem_vals[seg] + sr, n * sizeof(uintptr_t));
}

static void op_elem_drop(ewasm_store *s, ewasm_instance *inst, slot *fp, const cword *pc)
{
	(void)s;
	(void)fp;
	inst->elem_len[pc[1].s.a] = 0;
}

wasm__jit_op_fn wasm__jit_op(enum wop o)
{
	switch (o) {
	case OP_MEMORY_GROW: return op_memory_grow;
	case OP_MEMORY_INIT: return op_memory_init;
	case OP_DATA_DROP: return op_data_drop;
	case OP_MEMORY_COPY: return op_memory_copy;
	case OP_MEMORY_FILL: return op_memory_fill;
	case OP_TABLE_GET: return op_table_get;
	case OP_TABLE_SET: return op_table_set;
	case OP_TABLE_SIZE: return op_table_size;
	case OP_TABLE_GROW: return op_table_grow;
	case OP_TABLE_FILL: return op_table_fill;
	case OP_TABLE_COPY: return op_table_copy;
	case OP_TABLE_INIT: return op_table_init;
	case OP_ELEM_DROP: return op_elem_drop;
	default: return NULL;
	}
}

#undef A
#undef B

/* ---------------------------------------------------- numeric, in C */

union bits {
	uint64_t u64;
	int64_t i64;
	uint32_t u32;
	int32_t i32;
	float f32;
	double f64;
};

/* x_ is the operand (union bits); the result is the slot's 64 bits, as
 * the interpreter's UN() stores them (f32 results: low half). */
#define UN(name, f, expr)                                                 \
	static uint64_t name(uint64_t x, ewasm_store *s, const cword *pc) \
	{                                                                 \
		(void)s;                                                  \
		(void)pc;                                                 \
		union bits x_ = {.u64 = x}, r_ = {.u64 = 0};              \
		r_.f = (expr);                                            \
		return r_.u64;                                            \
	}
UN(i32_clz, u64, x_.u32 ? (uint32_t)__builtin_clz(x_.u32) : 32u)
UN(i32_ctz, u64, x_.u32 ? (uint32_t)__builtin_ctz(x_.u32) : 32u)
UN(i32_popcnt, u64, (uint32_t)__builtin_popcount(x_.u32))
UN(i64_clz, u64, x_.u64 ? (uint64_t)__builtin_clzll(x_.u64) : 64u)
UN(i64_ctz, u64, x_.u64 ? (uint64_t)__builtin_ctzll(x_.u64) : 64u)
UN(i64_popcnt, u64, (uint64_t)__builtin_popcountll(x_.u64))
UN(f32_ceil, f32, x_.f32 != x_.f32 ? x_.f32 + x_.f32 : __builtin_ceilf(x_.f32))
UN(f32_floor, f32, x_.f32 != x_.f32 ? x_.f32 + x_.f32 : __builtin_floorf(x_.f32))
UN(f32_trunc, f32, x_.f32 != x_.f32 ? x_.f32 + x_.f32 : __builtin_truncf(x_.f32))
UN(f32_nearest, f32, x_.f32 != x_.f32 ? x_.f32 + x_.f32 : __builtin_rintf(x_.f32))
UN(f64_ceil, f64, x_.f64 != x_.f64 ? x_.f64 + x_.f64 : __builtin_ceil(x_.f64))
UN(f64_floor, f64, x_.f64 != x_.f64 ? x_.f64 + x_.f64 : __builtin_floor(x_.f64))
UN(f64_trunc, f64, x_.f64 != x_.f64 ? x_.f64 + x_.f64 : __builtin_trunc(x_.f64))
UN(f64_nearest, f64, x_.f64 != x_.f64 ? x_.f64 + x_.f64 : __builtin_rint(x_.f64))
UN(f32_convert_i32_u, f32, (float)x_.u32)
UN(f32_convert_i64_s, f32, (float)x_.i64)
UN(f32_convert_i64_u, f32, (float)x_.u64)
UN(f32_convert_i32_s, f32, (float)x_.i32)
UN(f64_convert_i32_u, f64, (double)x_.u32)
UN(f64_convert_i64_u, f64, (double)x_.u64)
UN(i32_trunc_sat_f32_s, u64, (uint32_t)(sat_i32_f64(x_.f32)))
UN(i32_trunc_sat_f32_u, u64, (uint32_t)(sat_u32_f64(x_.f32)))
UN(i32_trunc_sat_f64_s, u64, (uint32_t)(sat_i32_f64(x_.f64)))
UN(i32_trunc_sat_f64_u, u64, (uint32_t)(sat_u32_f64(x_.f64)))
UN(i64_trunc_sat_f32_s, i64, sat_i64_f64(x_.f32))
UN(i64_trunc_sat_f32_u, u64, sat_u64_f64(x_.f32))
UN(i64_trunc_sat_f64_s, i64, sat_i64_f64(x_.f64))
UN(i64_trunc_sat_f64_u, u64, sat_u64_f64(x_.f64))
#undef UN

/* The trapping truncations (interp_body.inc's TRUNC). */
#define TRUNC(name, F, f, T, tf, lo_ok, hi_ok)                                \
	static uint64_t name(uint64_t bits, ewasm_store *s, const cword *pc)  \
	{                                                                     \
		union bits in = {.u64 = bits}, r_ = {.u64 = 0};               \
		F x = in.f;                                                   \
		if (UNLIKELY(x != x))                                         \
			wasm__jit_trap(s, EWASM_TRAP_INVALID_CONVERSION, pc); \
		if (UNLIKELY(!((lo_ok) && (hi_ok))))                          \
			wasm__jit_trap(s, EWASM_TRAP_INT_OVERFLOW, pc);       \
		r_.tf = (T)x;                                                 \
		return r_.u64;                                                \
	}
TRUNC(i32_trunc_f32_s, float, f32, int32_t, i32, x >= -2147483648.0f, x < 2147483648.0f)
TRUNC(i32_trunc_f32_u, float, f32, uint32_t, u32, x > -1.0f, x < 4294967296.0f)
TRUNC(i32_trunc_f64_s, double, f64, int32_t, i32, x > -2147483649.0, x < 2147483648.0)
TRUNC(i32_trunc_f64_u, double, f64, uint32_t, u32, x > -1.0, x < 4294967296.0)
TRUNC(i64_trunc_f32_s, float, f32, int64_t, i64, x >= -9223372036854775808.0f,
      x < 9223372036854775808.0f)
TRUNC(i64_trunc_f32_u, float, f32, uint64_t, u64, x > -1.0f, x < 18446744073709551616.0f)
TRUNC(i64_trunc_f64_s, double, f64, int64_t, i64, x >= -9223372036854775808.0,
      x < 9223372036854775808.0)
TRUNC(i64_trunc_f64_u, double, f64, uint64_t, u64, x > -1.0, x < 18446744073709551616.0)
#undef TRUNC

wasm__jit_un_fn wasm__jit_unary(enum wop o)
{
	switch (o) {
	case OP_I32_CLZ: return i32_clz;
	case OP_I32_CTZ: return i32_ctz;
	case OP_I32_POPCNT: return i32_popcnt;
	case OP_I64_CLZ: return i64_clz;
	case OP_I64_CTZ: return i64_ctz;
	case OP_I64_POPCNT: return i64_popcnt;
	case OP_F32_CEIL: return f32_ceil;
	case OP_F32_FLOOR: return f32_floor;
	case OP_F32_TRUNC: return f32_trunc;
	case OP_F32_NEAREST: return f32_nearest;
	case OP_F64_CEIL: return f64_ceil;
	case OP_F64_FLOOR: return f64_floor;
	case OP_F64_TRUNC: return f64_trunc;
	case OP_F64_NEAREST: return f64_nearest;
	case OP_F32_CONVERT_I32_S: return f32_convert_i32_s;
	case OP_F32_CONVERT_I32_U: return f32_convert_i32_u;
	case OP_F32_CONVERT_I64_S: return f32_convert_i64_s;
	case OP_F32_CONVERT_I64_U: return f32_convert_i64_u;
	case OP_F64_CONVERT_I32_U: return f64_convert_i32_u;
	case OP_F64_CONVERT_I64_U: return f64_convert_i64_u;
	case OP_I32_TRUNC_SAT_F32_S: return i32_trunc_sat_f32_s;
	case OP_I32_TRUNC_SAT_F32_U: return i32_trunc_sat_f32_u;
	case OP_I32_TRUNC_SAT_F64_S: return i32_trunc_sat_f64_s;
	case OP_I32_TRUNC_SAT_F64_U: return i32_trunc_sat_f64_u;
	case OP_I64_TRUNC_SAT_F32_S: return i64_trunc_sat_f32_s;
	case OP_I64_TRUNC_SAT_F32_U: return i64_trunc_sat_f32_u;
	case OP_I64_TRUNC_SAT_F64_S: return i64_trunc_sat_f64_s;
	case OP_I64_TRUNC_SAT_F64_U: return i64_trunc_sat_f64_u;
	case OP_I32_TRUNC_F32_S: return i32_trunc_f32_s;
	case OP_I32_TRUNC_F32_U: return i32_trunc_f32_u;
	case OP_I32_TRUNC_F64_S: return i32_trunc_f64_s;
	case OP_I32_TRUNC_F64_U: return i32_trunc_f64_u;
	case OP_I64_TRUNC_F32_S: return i64_trunc_f32_s;
	case OP_I64_TRUNC_F32_U: return i64_trunc_f32_u;
	case OP_I64_TRUNC_F64_S: return i64_trunc_f64_s;
	case OP_I64_TRUNC_F64_U: return i64_trunc_f64_u;
	default: return NULL;
	}
}

#define BIN(name, f, expr)                                   \
	static uint64_t name(uint64_t x, uint64_t y)         \
	{                                                    \
		union bits x_ = {.u64 = x}, y_ = {.u64 = y}; \
		union bits r_ = {.u64 = 0};                  \
		r_.f = (expr);                               \
		return r_.u64;                               \
	}
BIN(f32_min, f32, fmin32(x_.f32, y_.f32))
BIN(f32_max, f32, fmax32(x_.f32, y_.f32))
BIN(f64_min, f64, fmin64(x_.f64, y_.f64))
BIN(f64_max, f64, fmax64(x_.f64, y_.f64))
#undef BIN

wasm__jit_bin_fn wasm__jit_binary(enum wop o)
{
	switch (o) {
	case OP_F32_MIN: return f32_min;
	case OP_F32_MAX: return f32_max;
	case OP_F64_MIN: return f64_min;
	case OP_F64_MAX: return f64_max;
	default: return NULL;
	}
}
