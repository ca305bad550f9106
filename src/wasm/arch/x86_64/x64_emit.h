/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86-64 instruction encoder for the baseline compiler (jit_x64.c): each
 * x64_* call appends one instruction's bytes to a growable buffer. Only the
 * forms the compiler uses; tests/unit/wasm/test_x64_emit.c checks every one
 * against objdump.
 */
#ifndef ENARX_WASM_X64_EMIT_H
#define ENARX_WASM_X64_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum x64_reg { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };

/* Condition codes (the low nibble of Jcc/SETcc/CMOVcc). */
enum x64_cc {
	CC_O,
	CC_NO,
	CC_B,
	CC_AE,
	CC_E,
	CC_NE,
	CC_BE,
	CC_A,
	CC_S,
	CC_NS,
	CC_P,
	CC_NP,
	CC_L,
	CC_GE,
	CC_LE,
	CC_G
};

/* Group-1 ALU operations (the /digit and opcode row). */
enum x64_alu { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/* Group-2 shifts and rotates. */
enum x64_shift { SH_ROL = 0, SH_ROR = 1, SH_SHL = 4, SH_SHR = 5, SH_SAR = 7 };

/* Group-3 unary operations. */
enum x64_unop { UN_NOT = 2, UN_NEG = 3, UN_MUL = 4, UN_IMUL = 5, UN_DIV = 6, UN_IDIV = 7 };

/* Zero/sign-extending loads. */
enum x64_ext { EXT_ZX8, EXT_ZX16, EXT_SX8, EXT_SX16, EXT_SX32 };

/* SSE scalar operations: prefix and second opcode byte after 0F. */
enum x64_sse {
	SSE_MOVSD_LD = 0xf21000,
	SSE_MOVSD_ST = 0xf21100,
	SSE_MOVSS_LD = 0xf31000,
	SSE_MOVSS_ST = 0xf31100,
	SSE_ADDSD = 0xf25800,
	SSE_SUBSD = 0xf25c00,
	SSE_MULSD = 0xf25900,
	SSE_DIVSD = 0xf25e00,
	SSE_SQRTSD = 0xf25100,
	SSE_ADDSS = 0xf35800,
	SSE_SUBSS = 0xf35c00,
	SSE_MULSS = 0xf35900,
	SSE_DIVSS = 0xf35e00,
	SSE_SQRTSS = 0xf35100,
	SSE_UCOMISD = 0x662e00,
	SSE_UCOMISS = 0x002e00,
	SSE_CVTSD2SS = 0xf25a00,
	SSE_CVTSS2SD = 0xf35a00,
	SSE_MOVAPD = 0x662800
};

/* A memory operand [base + index*scale + disp]; index < 0: none. */
struct x64_mem {
	int8_t base, index;
	uint8_t scale; /* 1, 2, 4, 8 */
	int32_t disp;
};

static inline struct x64_mem x64_m(int base, int32_t disp)
{
	return (struct x64_mem){(int8_t)base, -1, 1, disp};
}

static inline struct x64_mem x64_mi(int base, int index, int scale, int32_t disp)
{
	return (struct x64_mem){(int8_t)base, (int8_t)index, (uint8_t)scale, disp};
}

/* The code buffer. Emission never fails on the spot: running out of
 * memory sets `oom`, and the caller checks it once at the end. */
struct x64_buf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

void x64_buf_init(struct x64_buf *b);
void x64_buf_free(struct x64_buf *b); /* keeps the struct reusable */
/* Makes room for n more bytes; false (and oom set) if there is none. */
bool x64_reserve(struct x64_buf *b, size_t n);

static inline void x64_u8(struct x64_buf *b, uint8_t v)
{
	if (b->len < b->cap || x64_reserve(b, 1))
		b->p[b->len++] = v;
}

void x64_u32(struct x64_buf *b, uint32_t v);
void x64_u64(struct x64_buf *b, uint64_t v);
/* Writes a rel32 at `at` so that it reaches `target` (offsets in b). */
void x64_patch_rel32(struct x64_buf *b, size_t at, size_t target);

/* w: 64-bit operand size (REX.W); otherwise 32-bit. */
void x64_mov_rm(struct x64_buf *b, bool w, int reg, struct x64_mem m); /* reg = [m] */
void x64_mov_mr(struct x64_buf *b, bool w, struct x64_mem m, int reg); /* [m] = reg */
void x64_mov_rr(struct x64_buf *b, bool w, int dst, int src);
/* The shortest mov of a 64-bit constant into reg. */
void x64_mov_ri(struct x64_buf *b, int reg, uint64_t imm);
/* [m] = imm32 (sign-extended when w). */
void x64_mov_mi(struct x64_buf *b, bool w, struct x64_mem m, int32_t imm);
void x64_store8(struct x64_buf *b, struct x64_mem m, int reg);
void x64_store16(struct x64_buf *b, struct x64_mem m, int reg);
/* reg = extend([m]); w: to 64 bits (only matters for sign extension). */
void x64_load_ext(struct x64_buf *b, enum x64_ext e, bool w, int reg, struct x64_mem m);
/* dst = extend(src), register form. */
void x64_ext_rr(struct x64_buf *b, enum x64_ext e, bool w, int dst, int src);
void x64_lea(struct x64_buf *b, bool w, int reg, struct x64_mem m);

void x64_alu_rr(struct x64_buf *b, enum x64_alu op, bool w, int dst, int src);
void x64_alu_rm(struct x64_buf *b, enum x64_alu op, bool w, int dst, struct x64_mem m);
void x64_alu_ri(struct x64_buf *b, enum x64_alu op, bool w, int dst, int32_t imm);
void x64_alu_mi(struct x64_buf *b, enum x64_alu op, bool w, struct x64_mem m, int32_t imm);
void x64_test_rr(struct x64_buf *b, bool w, int a, int c);
void x64_imul_rr(struct x64_buf *b, bool w, int dst, int src);
void x64_shift_cl(struct x64_buf *b, enum x64_shift k, bool w, int reg);
void x64_shift_ri(struct x64_buf *b, enum x64_shift k, bool w, int reg, uint8_t imm);
void x64_unop(struct x64_buf *b, enum x64_unop k, bool w, int reg);
void x64_cdq(struct x64_buf *b, bool w); /* cdq, or cqo when w */
void x64_setcc(struct x64_buf *b, enum x64_cc cc, int reg);
void x64_cmov(struct x64_buf *b, enum x64_cc cc, bool w, int dst, int src);

/* Branches with a rel32 field: return the field's offset for patching. */
size_t x64_jcc(struct x64_buf *b, enum x64_cc cc);
size_t x64_jmp(struct x64_buf *b);
size_t x64_call(struct x64_buf *b);
void x64_call_r(struct x64_buf *b, int reg);
void x64_jmp_r(struct x64_buf *b, int reg);
/* lea reg, [rip + rel32]: returns the rel32's offset for x64_patch_rel32. */
size_t x64_lea_rip(struct x64_buf *b, int reg);
void x64_rep_stosq(struct x64_buf *b);
void x64_ret(struct x64_buf *b);
/* NOPs up to the next multiple of `to` bytes (a power of two). */
void x64_align(struct x64_buf *b, size_t to);
void x64_push(struct x64_buf *b, int reg);
void x64_pop(struct x64_buf *b, int reg);

/* SSE scalar op with a register or memory source (xmm numbers 0-15); the
 * _ST forms store xmm to [m]. */
void x64_sse_rr(struct x64_buf *b, enum x64_sse op, int xd, int xs);
void x64_sse_rm(struct x64_buf *b, enum x64_sse op, int x, struct x64_mem m);
/* cvtsi2sd/ss: xd = (double or float) gpr, w: gpr is 64-bit. */
void x64_cvtsi2f(struct x64_buf *b, bool dbl, bool w, int xd, int reg);
/* movq/movd between a gpr and an xmm register. */
void x64_movq_xr(struct x64_buf *b, bool w, int xd, int reg);
void x64_movq_rx(struct x64_buf *b, bool w, int reg, int xs);

#endif
