/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A generator of valid WebAssembly modules driven by fuzz bytes: every byte
 * of input is a choice (which instruction, which operand, which constant),
 * and code is built by typed recursive descent, so each function body is
 * well typed by construction. Covers integer and float arithmetic,
 * comparisons, conversions (trapping and saturating), loads and stores of
 * every width, memory.size/grow/fill/copy, locals, globals, blocks, loops,
 * if/else, br_if, select, direct and indirect (possibly recursive) calls and
 * multi-value results. Loops and recursion may not terminate: the runner
 * gives every call a fuel budget.
 */
#ifndef FUZZ_WASM_GEN_H
#define FUZZ_WASM_GEN_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_wasm_buf.h"

enum { T_I32 = 0x7f, T_I64 = 0x7e, T_F32 = 0x7d, T_F64 = 0x7c };

#define GEN_MAX_TYPES 6
#define GEN_MAX_FUNCS 6
#define GEN_MAX_PARAMS 4
#define GEN_MAX_RESULTS 3
#define GEN_MAX_LOCALS 12
#define GEN_MAX_DEPTH 7
#define GEN_MAX_BODY 4096

struct gtype {
	uint8_t np, nr;
	uint8_t p[GEN_MAX_PARAMS], r[GEN_MAX_RESULTS];
};

struct gen {
	const uint8_t *in;
	size_t n, pos;
	struct gtype types[GEN_MAX_TYPES];
	unsigned ntypes;
	uint8_t ftype[GEN_MAX_FUNCS];
	unsigned nfuncs;
	uint8_t locals[GEN_MAX_LOCALS]; /* of the function being built */
	unsigned nlocals;
	struct gbuf *code; /* body being built */
};

static const uint8_t gen_valtypes[4] = {T_I32, T_I64, T_F32, T_F64};

/*
 * Set to 1 to keep NaN bit patterns from becoming observable: no
 * float->int reinterpret, no float stores, no copysign. The spec lets the
 * payload and sign of an arithmetic NaN vary between engines, so the V8
 * differential test (tests/e2e/wasm/diff) needs this to compare exactly.
 */
static int gen_no_nan_leaks;
static const uint8_t gen_globals[3] = {T_I32, T_I64, T_F64};

/* Next choice byte; 0 once input runs out, which steers to leaves. */
static uint8_t g_next(struct gen *g)
{
	return g->pos < g->n ? g->in[g->pos++] : 0;
}

static unsigned g_pick(struct gen *g, unsigned n)
{
	return n ? g_next(g) % n : 0;
}

static void g_op(struct gen *g, uint8_t op)
{
	gb_byte(g->code, op);
}

static void g_memarg(struct gen *g, unsigned max_align)
{
	gb_u32(g->code, g_pick(g, max_align + 1));
	gb_u32(g->code, g_next(g) < 200 ? g_pick(g, 16) : 65530u + g_pick(g, 8));
}

static void gen_expr(struct gen *g, uint8_t t, unsigned depth);

static void gen_const(struct gen *g, uint8_t t)
{
	uint8_t raw[8];
	static const uint64_t special[] = {
	    0,
	    1,
	    0x7fffffffffffffffull,
	    0x8000000000000000ull,
	    0xffffffffffffffffull,
	    0x7ff8000000000000ull,
	    0x7ff0000000000001ull,
	    0x7fc00000ull,
	    0x7f800001ull,
	    0x80000000ull,
	    0xbff0000000000000ull,
	    0x4f000000ull,
	    0x43e0000000000000ull,
	    0x41dfffffffc00000ull,
	};
	uint8_t sel = g_next(g);
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		raw[i] = g_next(g);
	memcpy(&v, raw, 8);
	if (sel < 96)
		v = special[sel % (sizeof(special) / sizeof(special[0]))];
	else if (sel < 160)
		v = (uint64_t)(int64_t)(int8_t)raw[0];
	switch (t) {
	case T_I32:
		g_op(g, 0x41);
		gb_s64(g->code, (int32_t)(uint32_t)v);
		break;
	case T_I64:
		g_op(g, 0x42);
		gb_s64(g->code, (int64_t)v);
		break;
	case T_F32: {
		uint32_t u = (uint32_t)v;
		g_op(g, 0x43);
		gb_bytes(g->code, &u, 4);
		break;
	}
	default: g_op(g, 0x44); gb_bytes(g->code, &v, 8);
	}
}

/* local.get of a local of type t; falls back to a constant. */
static void gen_local_get(struct gen *g, uint8_t t)
{
	unsigned idx[GEN_MAX_LOCALS], n = 0;

	for (unsigned i = 0; i < g->nlocals; i++)
		if (g->locals[i] == t)
			idx[n++] = i;
	if (!n) {
		gen_const(g, t);
		return;
	}
	g_op(g, 0x20);
	gb_u32(g->code, idx[g_pick(g, n)]);
}

static int gen_find_local(struct gen *g, uint8_t t, unsigned *out)
{
	unsigned idx[GEN_MAX_LOCALS], n = 0;

	for (unsigned i = 0; i < g->nlocals; i++)
		if (g->locals[i] == t)
			idx[n++] = i;
	if (!n)
		return 0;
	*out = idx[g_pick(g, n)];
	return 1;
}

/* Arithmetic producing t from operands of the same type. */
static void gen_arith(struct gen *g, uint8_t t, unsigned d)
{
	static const uint8_t bin_i32[] = {0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71,
	                                  0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78};
	static const uint8_t un_i32[] = {0x67, 0x68, 0x69, 0xc0, 0xc1};
	static const uint8_t bin_i64[] = {0x7c, 0x7d, 0x7e, 0x7f, 0x80, 0x81, 0x82, 0x83,
	                                  0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a};
	static const uint8_t un_i64[] = {0x79, 0x7a, 0x7b, 0xc2, 0xc3, 0xc4};
	static const uint8_t bin_f32[] = {0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98};
	static const uint8_t un_f32[] = {0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91};
	static const uint8_t bin_f64[] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6};
	static const uint8_t un_f64[] = {0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f};
	const uint8_t *bin, *un;
	size_t nb, nu;

	switch (t) {
	case T_I32:
		bin = bin_i32;
		nb = sizeof(bin_i32);
		un = un_i32;
		nu = sizeof(un_i32);
		break;
	case T_I64:
		bin = bin_i64;
		nb = sizeof(bin_i64);
		un = un_i64;
		nu = sizeof(un_i64);
		break;
	case T_F32:
		bin = bin_f32;
		nb = sizeof(bin_f32);
		un = un_f32;
		nu = sizeof(un_f32);
		break;
	default:
		bin = bin_f64;
		nb = sizeof(bin_f64);
		un = un_f64;
		nu = sizeof(un_f64);
		break;
	}
	if (g_next(g) & 1) {
		uint8_t op = bin[g_pick(g, (unsigned)nb)];
		if (gen_no_nan_leaks && (op == 0x98 || op == 0xa6))
			op = (uint8_t)(op - 6); /* copysign -> add */
		gen_expr(g, t, d + 1);
		gen_expr(g, t, d + 1);
		g_op(g, op);
	} else {
		gen_expr(g, t, d + 1);
		g_op(g, un[g_pick(g, (unsigned)nu)]);
	}
}

/* i32 from a comparison or test of any type. */
static void gen_compare(struct gen *g, unsigned d)
{
	static const struct {
		uint8_t t, first, count, eqz;
	} cmp[] = {
	    {T_I32, 0x46, 10, 0x45},
	    {T_I64, 0x51, 10, 0x50},
	    {T_F32, 0x5b, 6, 0},
	    {T_F64, 0x61, 6, 0},
	};
	unsigned k = g_pick(g, 4);

	if (cmp[k].eqz && (g_next(g) & 3) == 0) {
		gen_expr(g, cmp[k].t, d + 1);
		g_op(g, cmp[k].eqz);
		return;
	}
	gen_expr(g, cmp[k].t, d + 1);
	gen_expr(g, cmp[k].t, d + 1);
	g_op(g, (uint8_t)(cmp[k].first + g_pick(g, cmp[k].count)));
}

/* Conversions into t: {opcode (0xfc-prefixed if sat), source type}. */
static void gen_convert(struct gen *g, uint8_t t, unsigned d)
{
	static const struct {
		uint8_t to, op, from, sat;
	} cv[] = {
	    {T_I32, 0xa7, T_I64, 0}, {T_I32, 0xa8, T_F32, 0}, {T_I32, 0xa9, T_F32, 0},
	    {T_I32, 0xaa, T_F64, 0}, {T_I32, 0xab, T_F64, 0}, {T_I32, 0xbc, T_F32, 0},
	    {T_I32, 0, T_F32, 1},    {T_I32, 1, T_F32, 1},    {T_I32, 2, T_F64, 1},
	    {T_I32, 3, T_F64, 1},    {T_I64, 0xac, T_I32, 0}, {T_I64, 0xad, T_I32, 0},
	    {T_I64, 0xae, T_F32, 0}, {T_I64, 0xaf, T_F32, 0}, {T_I64, 0xb0, T_F64, 0},
	    {T_I64, 0xb1, T_F64, 0}, {T_I64, 0xbd, T_F64, 0}, {T_I64, 4, T_F32, 1},
	    {T_I64, 5, T_F32, 1},    {T_I64, 6, T_F64, 1},    {T_I64, 7, T_F64, 1},
	    {T_F32, 0xb2, T_I32, 0}, {T_F32, 0xb3, T_I32, 0}, {T_F32, 0xb4, T_I64, 0},
	    {T_F32, 0xb5, T_I64, 0}, {T_F32, 0xb6, T_F64, 0}, {T_F32, 0xbe, T_I32, 0},
	    {T_F64, 0xb7, T_I32, 0}, {T_F64, 0xb8, T_I32, 0}, {T_F64, 0xb9, T_I64, 0},
	    {T_F64, 0xba, T_I64, 0}, {T_F64, 0xbb, T_F32, 0}, {T_F64, 0xbf, T_I64, 0},
	};
	unsigned idx[16], n = 0;

	for (unsigned i = 0; i < sizeof(cv) / sizeof(cv[0]); i++)
		if (cv[i].to == t &&
		    !(gen_no_nan_leaks && !cv[i].sat && (cv[i].op == 0xbc || cv[i].op == 0xbd)))
			idx[n++] = i;
	unsigned k = idx[g_pick(g, n)];
	gen_expr(g, cv[k].from, d + 1);
	if (cv[k].sat) {
		g_op(g, 0xfc);
		gb_u32(g->code, cv[k].op);
	} else {
		g_op(g, cv[k].op);
	}
}

static void gen_load(struct gen *g, uint8_t t, unsigned d)
{
	static const struct {
		uint8_t t, op, align;
	} ld[] = {
	    {T_I32, 0x28, 2}, {T_I32, 0x2c, 0}, {T_I32, 0x2d, 0}, {T_I32, 0x2e, 1},
	    {T_I32, 0x2f, 1}, {T_I64, 0x29, 3}, {T_I64, 0x30, 0}, {T_I64, 0x31, 0},
	    {T_I64, 0x32, 1}, {T_I64, 0x33, 1}, {T_I64, 0x34, 2}, {T_I64, 0x35, 2},
	    {T_F32, 0x2a, 2}, {T_F64, 0x2b, 3},
	};
	unsigned idx[8], n = 0;

	for (unsigned i = 0; i < sizeof(ld) / sizeof(ld[0]); i++)
		if (ld[i].t == t)
			idx[n++] = i;
	unsigned k = idx[g_pick(g, n)];
	gen_expr(g, T_I32, d + 1);
	g_op(g, ld[k].op);
	g_memarg(g, ld[k].align);
}

/* Calls a function (directly or through the table) whose results are
 * exactly [t]; returns 0 if there is none. */
static int gen_call(struct gen *g, uint8_t t, unsigned d)
{
	unsigned cand[GEN_MAX_TYPES > GEN_MAX_FUNCS ? GEN_MAX_TYPES : GEN_MAX_FUNCS];
	unsigned n = 0, indirect = g_next(g) & 1;
	const struct gtype *ty;

	if (indirect) {
		for (unsigned i = 0; i < g->ntypes; i++)
			if (g->types[i].nr == 1 && g->types[i].r[0] == t)
				cand[n++] = i;
	} else {
		for (unsigned i = 0; i < g->nfuncs; i++) {
			ty = &g->types[g->ftype[i]];
			if (ty->nr == 1 && ty->r[0] == t)
				cand[n++] = i;
		}
	}
	if (!n)
		return 0;
	unsigned k = cand[g_pick(g, n)];
	ty = indirect ? &g->types[k] : &g->types[g->ftype[k]];
	for (unsigned i = 0; i < ty->np; i++)
		gen_expr(g, ty->p[i], d + 1);
	if (indirect) {
		gen_expr(g, T_I32, d + 1); /* any index: may be out of range */
		g_op(g, 0x11);
		gb_u32(g->code, k);
		gb_u32(g->code, 0);
	} else {
		g_op(g, 0x10);
		gb_u32(g->code, k);
	}
	return 1;
}

static void gen_stmt(struct gen *g, unsigned d);

/* Structured control producing one t. */
static void gen_control(struct gen *g, uint8_t t, unsigned d)
{
	switch (g_pick(g, 4)) {
	case 0: /* if/else */
		gen_expr(g, T_I32, d + 1);
		g_op(g, 0x04);
		g_op(g, t);
		gen_expr(g, t, d + 1);
		g_op(g, 0x05);
		gen_expr(g, t, d + 1);
		g_op(g, 0x0b);
		break;
	case 1: /* block with an early exit: v; cond; br_if 0; drop; v2 */
		g_op(g, 0x02);
		g_op(g, t);
		gen_stmt(g, d + 1);
		gen_expr(g, t, d + 1);
		gen_expr(g, T_I32, d + 1);
		g_op(g, 0x0d);
		gb_u32(g->code, 0);
		g_op(g, 0x1a);
		gen_expr(g, t, d + 1);
		g_op(g, 0x0b);
		break;
	case 2: /* loop that may repeat: body; cond; br_if 0; value */
		g_op(g, 0x03);
		g_op(g, t);
		gen_stmt(g, d + 1);
		gen_expr(g, T_I32, d + 1);
		g_op(g, 0x0d);
		gb_u32(g->code, 0);
		gen_expr(g, t, d + 1);
		g_op(g, 0x0b);
		break;
	default: /* typed select */
		gen_expr(g, t, d + 1);
		gen_expr(g, t, d + 1);
		gen_expr(g, T_I32, d + 1);
		if (g_next(g) & 1) {
			g_op(g, 0x1b);
		} else {
			g_op(g, 0x1c);
			gb_u32(g->code, 1);
			g_op(g, t);
		}
	}
}

static void gen_global_get(struct gen *g, uint8_t t)
{
	for (unsigned i = 0; i < sizeof(gen_globals); i++) {
		if (gen_globals[i] == t) {
			g_op(g, 0x23);
			gb_u32(g->code, i);
			return;
		}
	}
	gen_const(g, t);
}

/* Emits code that leaves exactly one value of type t on the stack. */
static void gen_expr(struct gen *g, uint8_t t, unsigned d)
{
	unsigned idx;

	if (d >= GEN_MAX_DEPTH || g->code->n > GEN_MAX_BODY) {
		if (g_next(g) & 1)
			gen_local_get(g, t);
		else
			gen_const(g, t);
		return;
	}
	switch (g_pick(g, 14)) {
	case 0: gen_const(g, t); break;
	case 1: gen_local_get(g, t); break;
	case 2:
	case 3: gen_arith(g, t, d); break;
	case 4:
		if (t == T_I32)
			gen_compare(g, d);
		else
			gen_arith(g, t, d);
		break;
	case 5: gen_convert(g, t, d); break;
	case 6: gen_load(g, t, d); break;
	case 7:
		if (!gen_call(g, t, d))
			gen_local_get(g, t);
		break;
	case 8:
	case 9: gen_control(g, t, d); break;
	case 10:
		if (gen_find_local(g, t, &idx)) {
			gen_expr(g, t, d + 1);
			g_op(g, 0x22);
			gb_u32(g->code, idx);
		} else {
			gen_const(g, t);
		}
		break;
	case 11: gen_global_get(g, t); break;
	case 12:
		if (t == T_I32) {
			if (g_next(g) & 1) {
				g_op(g, 0x3f);
				g_op(g, 0);
			} else {
				gen_expr(g, T_I32, d + 1);
				g_op(g, 0x40);
				g_op(g, 0);
			}
		} else {
			gen_convert(g, t, d);
		}
		break;
	default:
		if (g_next(g) < 8) { /* rarely: a trap in dead-end position */
			g_op(g, 0x00);
		} else {
			gen_arith(g, t, d);
		}
	}
}

/* Emits code with no net stack effect. */
static void gen_stmt(struct gen *g, unsigned d)
{
	static const struct {
		uint8_t t, op, align;
	} st[] = {
	    {T_I32, 0x36, 2}, {T_I64, 0x37, 3}, {T_F32, 0x38, 2},
	    {T_F64, 0x39, 3}, {T_I32, 0x3a, 0}, {T_I32, 0x3b, 1},
	    {T_I64, 0x3c, 0}, {T_I64, 0x3d, 1}, {T_I64, 0x3e, 2},
	};
	unsigned idx, k;
	uint8_t t = gen_valtypes[g_pick(g, 4)];

	switch (g_pick(g, 7)) {
	case 0:
		k = g_pick(g, sizeof(st) / sizeof(st[0]));
		if (gen_no_nan_leaks && (st[k].t == T_F32 || st[k].t == T_F64))
			k = 0; /* i32.store instead of a float store */
		gen_expr(g, T_I32, d + 1);
		gen_expr(g, st[k].t, d + 1);
		g_op(g, st[k].op);
		g_memarg(g, st[k].align);
		break;
	case 1:
		if (gen_find_local(g, t, &idx)) {
			gen_expr(g, t, d + 1);
			g_op(g, 0x21);
			gb_u32(g->code, idx);
		}
		break;
	case 2:
		k = g_pick(g, sizeof(gen_globals));
		gen_expr(g, gen_globals[k], d + 1);
		g_op(g, 0x24);
		gb_u32(g->code, k);
		break;
	case 3:
		gen_expr(g, t, d + 1);
		g_op(g, 0x1a);
		break;
	case 4: /* memory.fill / memory.copy */
		gen_expr(g, T_I32, d + 1);
		gen_expr(g, T_I32, d + 1);
		gen_expr(g, T_I32, d + 1);
		g_op(g, 0xfc);
		if (g_next(g) & 1) {
			gb_u32(g->code, 11);
			g_op(g, 0);
		} else {
			gb_u32(g->code, 10);
			g_op(g, 0);
			g_op(g, 0);
		}
		break;
	default: break;
	}
}

static void gen_type(struct gen *g, struct gtype *ty)
{
	ty->np = (uint8_t)g_pick(g, GEN_MAX_PARAMS + 1);
	ty->nr = (uint8_t)g_pick(g, GEN_MAX_RESULTS + 1);
	for (unsigned i = 0; i < ty->np; i++)
		ty->p[i] = gen_valtypes[g_pick(g, 4)];
	for (unsigned i = 0; i < ty->nr; i++)
		ty->r[i] = gen_valtypes[g_pick(g, 4)];
}

/* One function body (locals + code + end) appended to `code`. */
static void gen_body(struct gen *g, unsigned f, struct gbuf *code)
{
	const struct gtype *ty = &g->types[g->ftype[f]];
	struct gbuf body = {0};
	unsigned extra = g_pick(g, GEN_MAX_LOCALS - GEN_MAX_PARAMS + 1);

	g->nlocals = 0;
	for (unsigned i = 0; i < ty->np; i++)
		g->locals[g->nlocals++] = ty->p[i];
	gb_u32(&body, extra);
	for (unsigned i = 0; i < extra; i++) {
		uint8_t t = gen_valtypes[g_pick(g, 4)];
		gb_u32(&body, 1);
		gb_byte(&body, t);
		g->locals[g->nlocals++] = t;
	}
	g->code = &body;
	for (unsigned s = g_pick(g, 4); s > 0; s--)
		gen_stmt(g, 1);
	for (unsigned i = 0; i < ty->nr; i++)
		gen_expr(g, ty->r[i], 1);
	g_op(g, 0x0b);
	gb_u32(code, (uint32_t)body.n);
	gb_bytes(code, body.p, body.n);
	code->oom |= body.oom;
	free(body.p);
}

/*
 * Builds a module from `in`. On success returns 0 with the bytes in *out
 * (caller frees out->p). Every function is exported as "f<i>", the memory
 * as "mem" and the globals as "g0".."g2".
 */
static int gen_module(const uint8_t *in, size_t n, struct gbuf *out)
{
	struct gen g;
	struct gbuf sec = {0};
	uint8_t hdr[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};

	memset(&g, 0, sizeof(g));
	memset(out, 0, sizeof(*out));
	g.in = in;
	g.n = n;
	g.ntypes = 1 + g_pick(&g, GEN_MAX_TYPES);
	for (unsigned i = 0; i < g.ntypes; i++)
		gen_type(&g, &g.types[i]);
	g.nfuncs = 1 + g_pick(&g, GEN_MAX_FUNCS);
	for (unsigned i = 0; i < g.nfuncs; i++)
		g.ftype[i] = (uint8_t)g_pick(&g, g.ntypes);

	gb_bytes(out, hdr, 8);
	/* types */
	gb_u32(&sec, g.ntypes);
	for (unsigned i = 0; i < g.ntypes; i++) {
		gb_byte(&sec, 0x60);
		gb_u32(&sec, g.types[i].np);
		gb_bytes(&sec, g.types[i].p, g.types[i].np);
		gb_u32(&sec, g.types[i].nr);
		gb_bytes(&sec, g.types[i].r, g.types[i].nr);
	}
	gb_section(out, 1, &sec);
	/* functions */
	gb_u32(&sec, g.nfuncs);
	for (unsigned i = 0; i < g.nfuncs; i++)
		gb_u32(&sec, g.ftype[i]);
	gb_section(out, 3, &sec);
	/* table: funcref, exactly one slot per function */
	gb_bytes(&sec, "\x01\x70\x00", 3);
	gb_u32(&sec, g.nfuncs);
	gb_section(out, 4, &sec);
	/* memory 1..3 pages */
	gb_bytes(&sec, "\x01\x01\x01\x03", 4);
	gb_section(out, 5, &sec);
	/* globals: mutable i32, i64, f64 */
	gb_bytes(&sec,
	         "\x03\x7f\x01\x41\x00\x0b\x7e\x01\x42\x00\x0b"
	         "\x7c\x01\x44\0\0\0\0\0\0\0\0\x0b",
	         23);
	gb_section(out, 6, &sec);
	/* exports: f<i> for each function, "mem", and g0..g2 */
	gb_u32(&sec, g.nfuncs + 4);
	for (unsigned i = 0; i < g.nfuncs; i++) {
		gb_u32(&sec, 2);
		gb_byte(&sec, 'f');
		gb_byte(&sec, (uint8_t)('0' + i));
		gb_byte(&sec, 0x00);
		gb_u32(&sec, i);
	}
	gb_bytes(&sec, "\x03mem\x02\x00", 6);
	for (unsigned i = 0; i < 3; i++) {
		gb_u32(&sec, 2);
		gb_byte(&sec, 'g');
		gb_byte(&sec, (uint8_t)('0' + i));
		gb_byte(&sec, 0x03);
		gb_u32(&sec, i);
	}
	gb_section(out, 7, &sec);
	/* elements: all functions at table offset 0 */
	gb_bytes(&sec, "\x01\x00\x41\x00\x0b", 5);
	gb_u32(&sec, g.nfuncs);
	for (unsigned i = 0; i < g.nfuncs; i++)
		gb_u32(&sec, i);
	gb_section(out, 9, &sec);
	/* code */
	gb_u32(&sec, g.nfuncs);
	for (unsigned i = 0; i < g.nfuncs; i++)
		gen_body(&g, i, &sec);
	gb_section(out, 10, &sec);
	/* data: a few bytes so loads see something */
	gb_bytes(&sec, "\x01\x00\x41\x08\x0b\x08\x01\x02\x03\x04\xf0\xe0\xd0\xc0", 14);
	gb_section(out, 11, &sec);
	out->oom |= sec.oom;
	free(sec.p);
	if (out->oom) {
		free(out->p);
		out->p = NULL;
		return -1;
	}
	return 0;
}

#endif
