// SPDX-License-Identifier: Apache-2.0
/*
 * x86-64 instruction encoder (see x64_emit.h): REX prefix, ModRM/SIB with
 * the shortest displacement, and the few opcode families the baseline
 * compiler needs.
 */
#include "wasm/arch/x86_64/x64_emit.h"

#include <string.h>

#include "lib/alloc.h"

void x64_buf_init(struct x64_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void x64_buf_free(struct x64_buf *b)
{
	xfree(b->p);
	x64_buf_init(b);
}

bool x64_reserve(struct x64_buf *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->len + n <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap * 2 : 4096;
	while (cap < b->len + n)
		cap *= 2;
	uint8_t *p = xrealloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void x64_u32(struct x64_buf *b, uint32_t v)
{
	if (x64_reserve(b, 4)) {
		memcpy(b->p + b->len, &v, 4);
		b->len += 4;
	}
}

void x64_u64(struct x64_buf *b, uint64_t v)
{
	if (x64_reserve(b, 8)) {
		memcpy(b->p + b->len, &v, 8);
		b->len += 8;
	}
}

void x64_patch_rel32(struct x64_buf *b, size_t at, size_t target)
{
	if (b->oom)
		return;
	int32_t rel = (int32_t)((int64_t)target - (int64_t)(at + 4));
	memcpy(b->p + at, &rel, 4);
}

/* REX for operand size w, ModRM.reg `reg`, SIB.index `index`, and
 * ModRM.rm/SIB.base `base`; `force`: byte registers spl..dil need one. */
static void rex(struct x64_buf *b, bool w, int reg, int index, int base, bool force)
{
	uint8_t r = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg & 8) ? 4 : 0) |
	                      ((index >= 0 && (index & 8)) ? 2 : 0) | ((base & 8) ? 1 : 0));
	if (r != 0x40 || force)
		x64_u8(b, r);
}

static void modrm_mem(struct x64_buf *b, int reg, struct x64_mem m)
{
	int mod = (m.disp == 0 && (m.base & 7) != RBP) ? 0
	          : (m.disp >= -128 && m.disp <= 127)  ? 1
	                                               : 2;
	reg &= 7;
	if (m.index < 0 && (m.base & 7) != RSP) {
		x64_u8(b, (uint8_t)(mod << 6 | reg << 3 | (m.base & 7)));
	} else {
		int ss = m.scale == 8 ? 3 : m.scale == 4 ? 2 : m.scale == 2 ? 1 : 0;
		int idx = m.index < 0 ? RSP : (m.index & 7);
		x64_u8(b, (uint8_t)(mod << 6 | reg << 3 | RSP));
		x64_u8(b, (uint8_t)(ss << 6 | idx << 3 | (m.base & 7)));
	}
	if (mod == 1)
		x64_u8(b, (uint8_t)(int8_t)m.disp);
	else if (mod == 2)
		x64_u32(b, (uint32_t)m.disp);
}

/* [pfx] [REX] opcode bytes, ModRM with a memory operand. */
static void op_m(struct x64_buf *b, uint8_t pfx, bool w, const uint8_t *op, int n, int reg,
                 struct x64_mem m, bool force)
{
	if (pfx)
		x64_u8(b, pfx);
	rex(b, w, reg, m.index, m.base, force);
	for (int i = 0; i < n; i++)
		x64_u8(b, op[i]);
	modrm_mem(b, reg, m);
}

/* The same with a register operand in ModRM.rm. */
static void op_r(struct x64_buf *b, uint8_t pfx, bool w, const uint8_t *op, int n, int reg, int rm,
                 bool force)
{
	if (pfx)
		x64_u8(b, pfx);
	rex(b, w, reg, -1, rm, force);
	for (int i = 0; i < n; i++)
		x64_u8(b, op[i]);
	x64_u8(b, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

#define OP1(v) ((const uint8_t[]){(v)}), 1
#define OP2(v, u) ((const uint8_t[]){(v), (u)}), 2

void x64_mov_rm(struct x64_buf *b, bool w, int reg, struct x64_mem m)
{
	op_m(b, 0, w, OP1(0x8b), reg, m, false);
}

void x64_mov_mr(struct x64_buf *b, bool w, struct x64_mem m, int reg)
{
	op_m(b, 0, w, OP1(0x89), reg, m, false);
}

void x64_mov_rr(struct x64_buf *b, bool w, int dst, int src)
{
	op_r(b, 0, w, OP1(0x89), src, dst, false);
}

void x64_mov_ri(struct x64_buf *b, int reg, uint64_t imm)
{
	if (imm <= UINT32_MAX) { /* mov r32, imm32 zero-extends */
		rex(b, false, 0, -1, reg, false);
		x64_u8(b, (uint8_t)(0xb8 | (reg & 7)));
		x64_u32(b, (uint32_t)imm);
	} else if ((int64_t)imm >= INT32_MIN && (int64_t)imm <= INT32_MAX) {
		op_r(b, 0, true, OP1(0xc7), 0, reg, false);
		x64_u32(b, (uint32_t)imm);
	} else {
		rex(b, true, 0, -1, reg, false);
		x64_u8(b, (uint8_t)(0xb8 | (reg & 7)));
		x64_u64(b, imm);
	}
}

void x64_mov_mi(struct x64_buf *b, bool w, struct x64_mem m, int32_t imm)
{
	op_m(b, 0, w, OP1(0xc7), 0, m, false);
	x64_u32(b, (uint32_t)imm);
}

void x64_store8(struct x64_buf *b, struct x64_mem m, int reg)
{
	op_m(b, 0, false, OP1(0x88), reg, m, reg >= RSP && reg <= RDI);
}

void x64_store16(struct x64_buf *b, struct x64_mem m, int reg)
{
	op_m(b, 0x66, false, OP1(0x89), reg, m, false);
}

static const uint8_t ext_op[] = {0xb6, 0xb7, 0xbe, 0xbf};

void x64_load_ext(struct x64_buf *b, enum x64_ext e, bool w, int reg, struct x64_mem m)
{
	if (e == EXT_SX32)
		op_m(b, 0, true, OP1(0x63), reg, m, false);
	else
		op_m(b, 0, w, OP2(0x0f, ext_op[e]), reg, m, false);
}

void x64_ext_rr(struct x64_buf *b, enum x64_ext e, bool w, int dst, int src)
{
	if (e == EXT_SX32)
		op_r(b, 0, true, OP1(0x63), dst, src, false);
	else
		op_r(b, 0, w, OP2(0x0f, ext_op[e]), dst, src, src >= RSP && src <= RDI);
}

void x64_lea(struct x64_buf *b, bool w, int reg, struct x64_mem m)
{
	op_m(b, 0, w, OP1(0x8d), reg, m, false);
}

void x64_alu_rr(struct x64_buf *b, enum x64_alu op, bool w, int dst, int src)
{
	op_r(b, 0, w, OP1((uint8_t)(op << 3 | 1)), src, dst, false);
}

void x64_alu_rm(struct x64_buf *b, enum x64_alu op, bool w, int dst, struct x64_mem m)
{
	op_m(b, 0, w, OP1((uint8_t)(op << 3 | 3)), dst, m, false);
}

static bool is8(int32_t v)
{
	return v >= -128 && v <= 127;
}

void x64_alu_ri(struct x64_buf *b, enum x64_alu op, bool w, int dst, int32_t imm)
{
	op_r(b, 0, w, OP1(is8(imm) ? 0x83 : 0x81), (int)op, dst, false);
	if (is8(imm))
		x64_u8(b, (uint8_t)(int8_t)imm);
	else
		x64_u32(b, (uint32_t)imm);
}

void x64_alu_mi(struct x64_buf *b, enum x64_alu op, bool w, struct x64_mem m, int32_t imm)
{
	op_m(b, 0, w, OP1(is8(imm) ? 0x83 : 0x81), (int)op, m, false);
	if (is8(imm))
		x64_u8(b, (uint8_t)(int8_t)imm);
	else
		x64_u32(b, (uint32_t)imm);
}

void x64_test_rr(struct x64_buf *b, bool w, int a, int c)
{
	op_r(b, 0, w, OP1(0x85), c, a, false);
}

void x64_imul_rr(struct x64_buf *b, bool w, int dst, int src)
{
	op_r(b, 0, w, OP2(0x0f, 0xaf), dst, src, false);
}

void x64_shift_cl(struct x64_buf *b, enum x64_shift k, bool w, int reg)
{
	op_r(b, 0, w, OP1(0xd3), (int)k, reg, false);
}

void x64_shift_ri(struct x64_buf *b, enum x64_shift k, bool w, int reg, uint8_t imm)
{
	op_r(b, 0, w, OP1(0xc1), (int)k, reg, false);
	x64_u8(b, imm);
}

void x64_unop(struct x64_buf *b, enum x64_unop k, bool w, int reg)
{
	op_r(b, 0, w, OP1(0xf7), (int)k, reg, false);
}

void x64_cdq(struct x64_buf *b, bool w)
{
	if (w)
		x64_u8(b, 0x48);
	x64_u8(b, 0x99);
}

void x64_setcc(struct x64_buf *b, enum x64_cc cc, int reg)
{
	op_r(b, 0, false, OP2(0x0f, (uint8_t)(0x90 | cc)), 0, reg, reg >= RSP && reg <= RDI);
}

void x64_cmov(struct x64_buf *b, enum x64_cc cc, bool w, int dst, int src)
{
	op_r(b, 0, w, OP2(0x0f, (uint8_t)(0x40 | cc)), dst, src, false);
}

size_t x64_jcc(struct x64_buf *b, enum x64_cc cc)
{
	x64_u8(b, 0x0f);
	x64_u8(b, (uint8_t)(0x80 | cc));
	size_t at = b->len;
	x64_u32(b, 0);
	return at;
}

size_t x64_jmp(struct x64_buf *b)
{
	x64_u8(b, 0xe9);
	size_t at = b->len;
	x64_u32(b, 0);
	return at;
}

size_t x64_call(struct x64_buf *b)
{
	x64_u8(b, 0xe8);
	size_t at = b->len;
	x64_u32(b, 0);
	return at;
}

void x64_call_r(struct x64_buf *b, int reg)
{
	op_r(b, 0, false, OP1(0xff), 2, reg, false);
}

void x64_jmp_r(struct x64_buf *b, int reg)
{
	op_r(b, 0, false, OP1(0xff), 4, reg, false);
}

size_t x64_lea_rip(struct x64_buf *b, int reg)
{
	rex(b, true, reg, -1, 0, false);
	x64_u8(b, 0x8d);
	x64_u8(b, (uint8_t)((reg & 7) << 3 | RBP)); /* mod 00, rm 101: rip + disp32 */
	size_t at = b->len;
	x64_u32(b, 0);
	return at;
}

void x64_rep_stosq(struct x64_buf *b)
{
	x64_u8(b, 0xf3);
	x64_u8(b, 0x48);
	x64_u8(b, 0xab);
}

void x64_ret(struct x64_buf *b)
{
	x64_u8(b, 0xc3);
}

void x64_align(struct x64_buf *b, size_t to)
{
	/* the recommended multi-byte NOPs, 1 to 8 bytes */
	static const uint8_t nops[8][8] = {
	    {0x90},
	    {0x66, 0x90},
	    {0x0f, 0x1f, 0x00},
	    {0x0f, 0x1f, 0x40, 0x00},
	    {0x0f, 0x1f, 0x44, 0x00, 0x00},
	    {0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00},
	    {0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00},
	    {0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00},
	};
	size_t n = (to - b->len % to) % to;
	while (n) {
		size_t k = n < 8 ? n : 8;
		for (size_t i = 0; i < k; i++)
			x64_u8(b, nops[k - 1][i]);
		n -= k;
	}
}

void x64_push(struct x64_buf *b, int reg)
{
	rex(b, false, 0, -1, reg, false);
	x64_u8(b, (uint8_t)(0x50 | (reg & 7)));
}

void x64_pop(struct x64_buf *b, int reg)
{
	rex(b, false, 0, -1, reg, false);
	x64_u8(b, (uint8_t)(0x58 | (reg & 7)));
}

void x64_sse_rr(struct x64_buf *b, enum x64_sse op, int xd, int xs)
{
	uint8_t pfx = (uint8_t)((unsigned)op >> 16), code = (uint8_t)((unsigned)op >> 8);
	op_r(b, pfx, false, OP2(0x0f, code), xd, xs, false);
}

void x64_sse_rm(struct x64_buf *b, enum x64_sse op, int x, struct x64_mem m)
{
	uint8_t pfx = (uint8_t)((unsigned)op >> 16), code = (uint8_t)((unsigned)op >> 8);
	op_m(b, pfx, false, OP2(0x0f, code), x, m, false);
}

void x64_cvtsi2f(struct x64_buf *b, bool dbl, bool w, int xd, int reg)
{
	op_r(b, dbl ? 0xf2 : 0xf3, w, OP2(0x0f, 0x2a), xd, reg, false);
}

void x64_movq_xr(struct x64_buf *b, bool w, int xd, int reg)
{
	op_r(b, 0x66, w, OP2(0x0f, 0x6e), xd, reg, false);
}

void x64_movq_rx(struct x64_buf *b, bool w, int reg, int xs)
{
	op_r(b, 0x66, w, OP2(0x0f, 0x7e), xs, reg, false);
}
