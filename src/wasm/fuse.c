// SPDX-License-Identifier: Apache-2.0
/*
 * The compiler's choice of superinstructions and immediate forms (see
 * README.md, "Compiled form"): each function looks at the op just emitted
 * and, when the pattern holds, replaces it with one fused op. compile.c
 * calls them where it would emit the plain op.
 */
#include "wasm/compile.h"

/* Index k (0..9) of an i32 comparison is shared by every family below
 * (OP_I32_EQ + k, OP_BR_I32_EQ_I + k, ...), and cmp_negate/swapped are
 * written in that order: each family must list the ten in i32.eq's order;
 * the f64 compares likewise (OP_F64_EQ + k, f64_br[k]). */
#define I32_CMPS(X) X(EQ) X(NE) X(LT_S) X(LT_U) X(GT_S) X(GT_U) X(LE_S) X(LE_U) X(GE_S) X(GE_U)
#define SAME_K(c)                                                                                \
	_Static_assert(OP_I32_##c##_I - OP_I32_EQ_I == OP_I32_##c - OP_I32_EQ &&                 \
	                   OP_BR_I32_##c - OP_BR_I32_EQ == OP_I32_##c - OP_I32_EQ &&             \
	                   OP_BR_I32_##c##_LOOP - OP_BR_I32_EQ_LOOP == OP_I32_##c - OP_I32_EQ && \
	                   OP_BR_I32_##c##_I - OP_BR_I32_EQ_I == OP_I32_##c - OP_I32_EQ &&       \
	                   OP_BR_I32_##c##_I_LOOP - OP_BR_I32_EQ_I_LOOP ==                       \
	                       OP_I32_##c - OP_I32_EQ &&                                         \
	                   OP_ADD_BR_##c##_LOOP - OP_ADD_BR_EQ_LOOP == OP_I32_##c - OP_I32_EQ,   \
	               "i32 compare " #c " is out of order in one of its ops.def families");
I32_CMPS(SAME_K)
#undef SAME_K
#undef I32_CMPS
_Static_assert(OP_I32_GE_U - OP_I32_EQ == 9 && OP_F64_GE - OP_F64_EQ == 5,
               "the compare runs are ten (i32) and six (f64) ops long");

/* The loop-header variant of a branch op (interrupt check on back edges). */
int cc__loop_variant(struct cc *c, const void *h)
{
	static const uint16_t plain[] = {
	    OP_BR,          OP_BR_IF,       OP_BR_UNLESS,   OP_BR_I32_EQ,   OP_BR_I32_NE,
	    OP_BR_I32_LT_S, OP_BR_I32_LT_U, OP_BR_I32_GT_S, OP_BR_I32_GT_U, OP_BR_I32_LE_S,
	    OP_BR_I32_LE_U, OP_BR_I32_GE_S, OP_BR_I32_GE_U};
	static const uint16_t looped[] = {
	    OP_BR_LOOP,          OP_BR_IF_LOOP,       OP_BR_UNLESS_LOOP,   OP_BR_I32_EQ_LOOP,
	    OP_BR_I32_NE_LOOP,   OP_BR_I32_LT_S_LOOP, OP_BR_I32_LT_U_LOOP, OP_BR_I32_GT_S_LOOP,
	    OP_BR_I32_GT_U_LOOP, OP_BR_I32_LE_S_LOOP, OP_BR_I32_LE_U_LOOP, OP_BR_I32_GE_S_LOOP,
	    OP_BR_I32_GE_U_LOOP};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (h == c->h[plain[i]])
			return looped[i];
	for (int k = 0; k < 10; k++)
		if (h == c->h[OP_BR_I32_EQ_I + k])
			return OP_BR_I32_EQ_I_LOOP + k;
	if (h == c->h[OP_BR_AND])
		return OP_BR_AND_LOOP;
	if (h == c->h[OP_BR_NAND])
		return OP_BR_NAND_LOOP;
	if (h == c->h[OP_BR_AND_I])
		return OP_BR_AND_I_LOOP;
	if (h == c->h[OP_BR_NAND_I])
		return OP_BR_NAND_I_LOOP;
	return -1;
}

/*
 * Replaces the code from word `p` on (ops being fused away) with op `o`,
 * which keeps the code offset of the last op removed: the part that can
 * trap. Returns the word index of `o`.
 */
static uint32_t reemit(struct cc *c, uint32_t p, enum wop o)
{
	uint32_t at = c->npcm ? c->pcm[c->npcm - 1].off : c->cur_off, save = c->cur_off;
	cc__unemit(c, p);
	c->cur_off = at;
	uint32_t pc = c->ncode;
	cc__op(c, o);
	c->cur_off = save;
	return pc;
}

/* Binary ops that can take their second operand straight from memory. */
static const struct {
	uint16_t op, load, fused;
} mem_ops[] = {
    {OP_F64_ADD, OP_I64_LOAD, OP_F64_ADD_M}, {OP_F64_SUB, OP_I64_LOAD, OP_F64_SUB_M},
    {OP_F64_MUL, OP_I64_LOAD, OP_F64_MUL_M}, {OP_I32_ADD, OP_I32_LOAD, OP_I32_ADD_M},
    {OP_I32_SUB, OP_I32_LOAD, OP_I32_SUB_M}, {OP_I32_AND, OP_I32_LOAD, OP_I32_AND_M},
    {OP_I32_XOR, OP_I32_LOAD, OP_I32_XOR_M}, {OP_I64_ADD, OP_I64_LOAD, OP_I64_ADD_M},
};

/*
 * If operand b (the top) was loaded by the instruction just emitted, fuses
 * the load into the op: [OP_M][a|addr][d|offset], d = a OP mem[addr+off].
 * The fused op keeps the load's code offset (it is the part that traps).
 */
bool cc__fuse_mem(struct cc *c, enum wop o, struct ent a, struct ent b)
{
	if (!c->fuse || !live(c) || c->fold_end != c->ncode || b.slot != c->fold_slot ||
	    b.slot != tslot(c->height + 1) || a.slot == b.slot)
		return false;
	for (size_t i = 0; i < sizeof(mem_ops) / sizeof(mem_ops[0]); i++) {
		if (mem_ops[i].op != o || c->code[c->fold_op_pc].h != c->h[mem_ops[i].load])
			continue;
		uint32_t addr = c->code[c->fold_op_pc + 1].s.a;
		uint32_t off = c->code[c->fold_op_pc + 2].s.a;
		uint32_t pc = reemit(c, c->fold_op_pc, (enum wop)mem_ops[i].fused);
		uint32_t d = cc__push_t(c, cc__sig_of(o - OP_I32_EQZ)[2] == 'I'   ? EWASM_I64
		                           : cc__sig_of(o - OP_I32_EQZ)[2] == 'F' ? EWASM_F64
		                                                                  : EWASM_I32);
		WSS(c, a.slot, addr);
		WSU(c, d, off);
		cc__foldable(c, d, 0, pc);
		return true;
	}
	return false;
}

/*
 * i32.or of an i32.shl and an i32.shr_u by constants, both emitted just
 * before (the word-merging loops of C memcpy): one FUNNEL op,
 * [h][p|q][d|0][kp|kq], d = (p << kp) | (q >> kq).
 */
bool cc__fuse_funnel(struct cc *c, struct ent a, struct ent b)
{
	uint32_t p1 = c->prev_op, p2 = c->last_op;
	if (!c->fuse || !live(c) || c->fold_end != c->ncode || b.slot != c->fold_slot ||
	    p2 != c->fold_op_pc || p1 == NONE || p1 + 3 != p2 || p2 + 3 != c->ncode ||
	    c->label_pos > p1 || !(a.slot & TAG_TEMP) || c->code[p1 + 1].s.b != a.slot)
		return false;
	const void *h1 = c->code[p1].h, *h2 = c->code[p2].h;
	const void *shl = c->h[OP_I32_SHL_I], *shr = c->h[OP_I32_SHR_U_I];
	if (!((h1 == shl && h2 == shr) || (h1 == shr && h2 == shl)))
		return false;
	uint32_t k1 = (uint32_t)c->code[p1 + 2].u64 & 31, k2 = (uint32_t)c->code[p2 + 2].u64 & 31;
	uint32_t x1 = c->code[p1 + 1].s.a, x2 = c->code[p2 + 1].s.a;
	reemit(c, p1, OP_FUNNEL);
	uint32_t d = cc__push_t(c, EWASM_I32);
	if (h1 == shl) {
		WSS(c, x1, x2);
		WSU(c, d, 0);
		WUU(c, k1, k2);
	} else {
		WSS(c, x2, x1);
		WSU(c, d, 0);
		WUU(c, k2, k1);
	}
	c->fold_end = NONE;
	return true;
}

/* Ops with a constant-operand form [h][a|d][imm], and what a constant
 * first operand turns them into (the op itself if commutative, the mirrored
 * comparison, or OP__COUNT when it cannot be swapped). f64 add and mul are
 * not swapped: with two NaN operands the result keeps the first one's
 * payload (interp.c's NaN rule), so the order is part of the answer. */
static const struct {
	uint16_t op, imm, swapped;
} imm_ops[] = {
    {OP_I32_ADD, OP_I32_ADD_I, OP_I32_ADD},    {OP_I32_SUB, OP_I32_SUB_I, OP__COUNT},
    {OP_I32_MUL, OP_I32_MUL_I, OP_I32_MUL},    {OP_I32_AND, OP_I32_AND_I, OP_I32_AND},
    {OP_I32_OR, OP_I32_OR_I, OP_I32_OR},       {OP_I32_XOR, OP_I32_XOR_I, OP_I32_XOR},
    {OP_I32_SHL, OP_I32_SHL_I, OP__COUNT},     {OP_I32_SHR_S, OP_I32_SHR_S_I, OP__COUNT},
    {OP_I32_SHR_U, OP_I32_SHR_U_I, OP__COUNT}, {OP_I32_ROTL, OP_I32_ROTL_I, OP__COUNT},
    {OP_I32_ROTR, OP_I32_ROTR_I, OP__COUNT},   {OP_I32_EQ, OP_I32_EQ_I, OP_I32_EQ},
    {OP_I32_NE, OP_I32_NE_I, OP_I32_NE},       {OP_I32_LT_S, OP_I32_LT_S_I, OP_I32_GT_S},
    {OP_I32_LT_U, OP_I32_LT_U_I, OP_I32_GT_U}, {OP_I32_GT_S, OP_I32_GT_S_I, OP_I32_LT_S},
    {OP_I32_GT_U, OP_I32_GT_U_I, OP_I32_LT_U}, {OP_I32_LE_S, OP_I32_LE_S_I, OP_I32_GE_S},
    {OP_I32_LE_U, OP_I32_LE_U_I, OP_I32_GE_U}, {OP_I32_GE_S, OP_I32_GE_S_I, OP_I32_LE_S},
    {OP_I32_GE_U, OP_I32_GE_U_I, OP_I32_LE_U}, {OP_I64_ADD, OP_I64_ADD_I, OP_I64_ADD},
    {OP_I64_SUB, OP_I64_SUB_I, OP__COUNT},     {OP_I64_MUL, OP_I64_MUL_I, OP_I64_MUL},
    {OP_I64_AND, OP_I64_AND_I, OP_I64_AND},    {OP_I64_OR, OP_I64_OR_I, OP_I64_OR},
    {OP_I64_XOR, OP_I64_XOR_I, OP_I64_XOR},    {OP_I64_SHL, OP_I64_SHL_I, OP__COUNT},
    {OP_I64_SHR_S, OP_I64_SHR_S_I, OP__COUNT}, {OP_I64_SHR_U, OP_I64_SHR_U_I, OP__COUNT},
    {OP_I64_ROTL, OP_I64_ROTL_I, OP__COUNT},   {OP_I64_ROTR, OP_I64_ROTR_I, OP__COUNT},
    {OP_F64_ADD, OP_F64_ADD_I, OP__COUNT},     {OP_F64_SUB, OP_F64_SUB_I, OP__COUNT},
    {OP_F64_MUL, OP_F64_MUL_I, OP__COUNT},
};

/*
 * A binary op with a constant operand: [OP_I][a|d][imm], so the constant
 * needs no frame slot (finish() drops unreferenced constants) and no load.
 * A constant first operand is swapped into place where the op allows it.
 */
bool cc__fuse_imm(struct cc *c, enum wop o, struct ent a, struct ent b, uint8_t tr)
{
	if (!c->fuse || !live(c) || !(is_const(a.slot) || is_const(b.slot)))
		return false;
	for (size_t i = 0; i < sizeof(imm_ops) / sizeof(imm_ops[0]); i++) {
		if (imm_ops[i].op != o)
			continue;
		if (!is_const(b.slot)) {
			/* constant first operand: swap if the op allows */
			if (imm_ops[i].swapped == OP__COUNT)
				return false;
			struct ent t = a;
			a = b;
			b = t;
			uint16_t want = imm_ops[i].swapped;
			for (size_t j = 0; j < sizeof(imm_ops) / sizeof(imm_ops[0]); j++)
				if (imm_ops[j].op == want)
					i = j;
		}
		uint32_t p = c->last_op;
		if (imm_ops[i].imm == OP_I32_ADD_I && p != NONE && p + 3 == c->ncode &&
		    c->label_pos <= p && c->code[p].h == c->h[OP_I32_ADD_I]) {
			/* the second of two adds of constants: one I32_ADD_I2 */
			uint32_t a1 = c->code[p + 1].s.a, d1 = c->code[p + 1].s.b;
			uint32_t k1 = (uint32_t)c->code[p + 2].u64;
			bool rel_a1 = false, rel_d1 = false;
			for (uint32_t r = c->nrel; r-- > 0 && c->rel[r].word >= p;)
				if (c->rel[r].word == p + 1) {
					if (c->rel[r].half)
						rel_d1 = true;
					else
						rel_a1 = true;
				}
			reemit(c, p, OP_I32_ADD_I2);
			cc__w2(c, a1, rel_a1, d1, rel_d1);
			uint32_t d = cc__push_t(c, tr);
			WSS(c, a.slot, d);
			WUU(c, k1, (uint32_t)const_val(c, b.slot));
			c->fold_end = c->ncode;
			c->fold_word = p + 2;
			c->fold_half = 1;
			c->fold_slot = d;
			c->fold_op_pc = p;
			return true;
		}
		uint32_t pc = c->ncode;
		cc__op(c, (enum wop)imm_ops[i].imm);
		uint32_t d = cc__push_t(c, tr);
		WSS(c, a.slot, d);
		cc__w64(c, const_val(c, b.slot));
		c->fold_end = c->ncode;
		c->fold_word = pc + 1;
		c->fold_half = 1;
		c->fold_slot = d;
		c->fold_op_pc = pc;
		return true;
	}
	return false;
}

/*
 * i32.add/xor/or/and of an i32.shl, shr_u or rotl/rotr by a constant
 * emitted just before (C array indexing, base + (i << k); hash and cipher
 * rounds): one op, [h][a|x][d|k], d = a OP (x SHIFT k).
 */
bool cc__fuse_shift(struct cc *c, enum wop o, struct ent a, struct ent b)
{
	static const uint16_t ops[4] = {OP_I32_ADD, OP_I32_XOR, OP_I32_OR, OP_I32_AND};
	static const uint16_t fused[4][3] = {
	    {OP_I32_ADD_SHL, OP_I32_ADD_SHR, OP_I32_ADD_ROTL},
	    {OP_I32_XOR_SHL, OP_I32_XOR_SHR, OP_I32_XOR_ROTL},
	    {OP_I32_OR_SHL, OP_I32_OR_SHR, OP_I32_OR_ROTL},
	    {OP_I32_AND_SHL, OP_I32_AND_SHR, OP_I32_AND_ROTL},
	};
	uint32_t p = c->fold_op_pc;
	int i = 0;
	while (i < 4 && ops[i] != o)
		i++;
	if (i == 4 || !c->fuse || !live(c) || c->fold_end != c->ncode || c->label_pos > p)
		return false;
	/* which shift; only then is it known to have a third word (k) */
	const void *h = c->code[p].h;
	int j = h == c->h[OP_I32_SHL_I]                                ? 0
	        : h == c->h[OP_I32_SHR_U_I]                            ? 1
	        : h == c->h[OP_I32_ROTL_I] || h == c->h[OP_I32_ROTR_I] ? 2
	                                                               : -1;
	if (j < 0)
		return false;
	uint32_t k = (uint32_t)c->code[p + 2].u64 & 31;
	if (h == c->h[OP_I32_ROTR_I])
		k = (32 - k) & 31;
	uint32_t base;
	if (b.slot == c->fold_slot && b.slot == tslot(c->height + 1))
		base = a.slot;
	else if (a.slot == c->fold_slot && a.slot == tslot(c->height) && !(b.slot & TAG_TEMP))
		base = b.slot;
	else
		return false;
	uint32_t x = c->code[p + 1].s.a;
	uint32_t pc = reemit(c, p, (enum wop)fused[i][j]);
	WSS(c, base, x);
	uint32_t d = cc__push_t(c, EWASM_I32);
	WSU(c, d, k);
	cc__foldable(c, d, 0, pc);
	return true;
}

/*
 * An f64 add/sub/mul with an operand that the f64.mul just emitted
 * produced: one op computing both, [h][x|y][c|d] (see ops.def).
 */
bool cc__fuse_mul(struct cc *c, enum wop o, struct ent a, struct ent b)
{
	static const uint16_t fused[3][2] = {
	    {OP_F64_MULADD_L, OP_F64_MULADD_R},
	    {OP_F64_MULSUB_L, OP_F64_MULSUB_R},
	    {OP_F64_MULMUL_L, OP_F64_MULMUL_R},
	};
	uint32_t p = c->fold_op_pc;
	int k = o == OP_F64_ADD ? 0 : o == OP_F64_SUB ? 1 : o == OP_F64_MUL ? 2 : -1;
	if (k < 0 || !c->fuse || !live(c) || c->fold_end != c->ncode ||
	    c->code[p].h != c->h[OP_F64_MUL] || c->label_pos > p)
		return false;
	uint32_t other;
	int side;
	if (b.slot == c->fold_slot && b.slot == tslot(c->height + 1) && a.slot != b.slot) {
		other = a.slot;
		side = 1; /* c OP (x*y) */
	} else if (a.slot == c->fold_slot && a.slot == tslot(c->height) && !(b.slot & TAG_TEMP)) {
		other = b.slot;
		side = 0; /* (x*y) OP c */
	} else {
		return false;
	}
	uint32_t x = c->code[p + 1].s.a, y = c->code[p + 1].s.b;
	uint32_t pc = reemit(c, p, (enum wop)fused[k][side]);
	WSS(c, x, y);
	uint32_t d = cc__push_t(c, EWASM_F64);
	WSS(c, other, d);
	cc__foldable(c, d, 1, pc);
	return true;
}

/* If entry `e` was produced by the i32.add just emitted (and nothing was
 * emitted since), removes the add and returns its operands. */
bool cc__take_add(struct cc *c, struct ent e, uint32_t *x, uint32_t *y)
{
	if (!c->fuse || !live(c) || c->fold_end != c->ncode || e.slot != c->fold_slot)
		return false;
	const void *h = c->code[c->fold_op_pc].h;
	if (h == c->h[OP_I32_ADD]) {
		*x = c->code[c->fold_op_pc + 1].s.a;
		*y = c->code[c->fold_op_pc + 1].s.b;
	} else if (h == c->h[OP_I32_ADD_I]) {
		/* the constant goes back into a slot for the fused op */
		*x = c->code[c->fold_op_pc + 1].s.a;
		*y = cc__const_slot(c, (uint32_t)c->code[c->fold_op_pc + 2].u64);
	} else {
		return false;
	}
	cc__unemit(c, c->fold_op_pc);
	return true;
}

/*
 * A store of `x OP mem[addr+off]` (a memory-operand op emitted just
 * before) back to the same addr+off: one read-modify-write op,
 * [h][x|addr][0|off]. It keeps the memory-operand op's code offset.
 */
bool cc__fuse_rmw(struct cc *c, enum wop o, uint8_t t, struct ent a, struct ent v, uint32_t off)
{
	static const struct {
		uint16_t m, store, type, fused;
	} rmw_ops[] = {
	    {OP_F64_ADD_M, OP_STORE64, EWASM_F64, OP_F64_ADD_MS},
	    {OP_I32_ADD_M, OP_STORE32, EWASM_I32, OP_I32_ADD_MS},
	    {OP_I64_ADD_M, OP_STORE64, EWASM_I64, OP_I64_ADD_MS},
	};
	if (!c->fuse || !live(c) || c->fold_end != c->ncode || v.slot != c->fold_slot ||
	    v.slot != tslot(c->height + 1))
		return false;
	uint32_t p = c->fold_op_pc;
	for (size_t i = 0; i < sizeof(rmw_ops) / sizeof(rmw_ops[0]); i++) {
		if (c->code[p].h != c->h[rmw_ops[i].m] || o != rmw_ops[i].store ||
		    t != rmw_ops[i].type || c->code[p + 1].s.b != a.slot ||
		    c->code[p + 2].s.b != off)
			continue;
		uint32_t x = c->code[p + 1].s.a;
		reemit(c, p, (enum wop)rmw_ops[i].fused);
		WSS(c, x, a.slot);
		WUU(c, 0, off);
		return true;
	}
	return false;
}

static const uint16_t cmp_fused[10] = {
    OP_BR_I32_EQ,   OP_BR_I32_NE,   OP_BR_I32_LT_S, OP_BR_I32_LT_U, OP_BR_I32_GT_S,
    OP_BR_I32_GT_U, OP_BR_I32_LE_S, OP_BR_I32_LE_U, OP_BR_I32_GE_S, OP_BR_I32_GE_U,
};
static const uint8_t cmp_negate[10] = {1, 0, 8, 9, 6, 7, 4, 5, 2, 3};

/* f64 comparisons (F64_EQ..F64_GE order) as branches, and negated. */
static const uint16_t f64_br[6] = {OP_BR_F64_EQ, OP_BR_F64_NE, OP_BR_F64_LT,
                                   OP_BR_F64_GT, OP_BR_F64_LE, OP_BR_F64_GE};
static const uint16_t f64_nbr[6] = {OP_BR_F64_NEQ, OP_BR_F64_NNE, OP_BR_F64_NLT,
                                    OP_BR_F64_NGT, OP_BR_F64_NLE, OP_BR_F64_NGE};

/* Drops the compare at fold_op_pc (its relocations and map entry too). */
static void drop_cond(struct cc *c)
{
	cc__unemit(c, c->fold_op_pc);
}

/*
 * If the condition was produced by the instruction just emitted and is an
 * i32 comparison (or eqz), removes it and returns the fused branch op to
 * use (negated if `neg`) with its operands in a and b (b may be a constant
 * slot: cc__emit_cmp_branch() then uses the immediate form); else returns -1.
 * `forward`: the target is not a loop header, so ops without an interrupt
 * checking loop variant (f64 compares) may be fused too.
 */
int cc__fuse_cond(struct cc *c, struct ent cond, bool neg, bool forward, uint32_t *a, uint32_t *b,
                  bool *is_eqz)
{
	if (!c->fuse || !live(c) || c->fold_end != c->ncode || cond.slot != c->fold_slot ||
	    cond.slot != tslot(c->height))
		return -1;
	const void *h = c->code[c->fold_op_pc].h;
	const cword *w = &c->code[c->fold_op_pc + 1];
	*is_eqz = false;
	uint32_t p = c->prev_op;
	if (h == c->h[OP_I32_EQZ] && p != NONE && p + 3 == c->fold_op_pc && c->label_pos <= p &&
	    (w->s.a & TAG_TEMP)) {
		/* eqz of an i32.and or i32 compare emitted just before: the
		 * negated fused branch */
		const void *ph = c->code[p].h;
		const cword *pw = &c->code[p + 1];
		int k = -1;
		for (int j = 0; j < 10; j++)
			if (ph == c->h[OP_I32_EQ + j] || ph == c->h[OP_I32_EQ_I + j])
				k = j;
		bool imm = ph == c->h[OP_I32_AND_I] || (k >= 0 && ph == c->h[OP_I32_EQ_I + k]);
		int fk = -1;
		for (int j = 0; j < 6 && forward; j++)
			if (ph == c->h[OP_F64_EQ + j])
				fk = j;
		uint32_t dst = imm ? pw->s.b : pw[1].s.a;
		if (fk >= 0 && dst == w->s.a) {
			*a = pw->s.a;
			*b = pw->s.b;
			cc__unemit(c, p);
			return neg ? f64_br[fk] : f64_nbr[fk];
		}
		if ((ph == c->h[OP_I32_AND] || ph == c->h[OP_I32_AND_I] || k >= 0) &&
		    dst == w->s.a) {
			*a = pw->s.a;
			*b = imm ? cc__const_slot(c, (uint32_t)pw[1].u64) : pw->s.b;
			cc__unemit(c, p);
			if (k >= 0)
				return cmp_fused[neg ? k : cmp_negate[k]];
			return neg ? OP_BR_AND : OP_BR_NAND;
		}
	}
	if (h == c->h[OP_I32_EQZ]) {
		*a = w->s.a;
		*is_eqz = true;
		drop_cond(c);
		/* eqz: branch if zero = BR_UNLESS; negated = BR_IF */
		return neg ? OP_BR_IF : OP_BR_UNLESS;
	}
	if (h == c->h[OP_I32_AND] || h == c->h[OP_I32_AND_I]) {
		*a = w->s.a;
		*b = h == c->h[OP_I32_AND] ? w->s.b : cc__const_slot(c, (uint32_t)w[1].u64);
		drop_cond(c);
		return neg ? OP_BR_NAND : OP_BR_AND;
	}
	for (int k = 0; k < 6 && forward; k++) {
		if (h != c->h[OP_F64_EQ + k])
			continue;
		*a = w->s.a;
		*b = w->s.b;
		drop_cond(c);
		return neg ? f64_nbr[k] : f64_br[k];
	}
	for (int k = 0; k < 10; k++) {
		if (h == c->h[OP_I32_EQ + k]) {
			*a = w->s.a;
			*b = w->s.b;
		} else if (h == c->h[OP_I32_EQ_I + k]) {
			*a = w->s.a;
			*b = cc__const_slot(c, (uint32_t)w[1].u64);
		} else {
			continue;
		}
		drop_cond(c);
		return cmp_fused[neg ? cmp_negate[k] : k];
	}
	return -1;
}

/* Emits fused compare-and-branch `f` on (a, b), without its branch word. */
void cc__emit_cmp_branch(struct cc *c, int f, uint32_t a, uint32_t b)
{
	if (f >= OP_BR_I32_EQ && f <= OP_BR_I32_GE_U && is_const(b)) {
		cc__op(c, (enum wop)(f + (OP_BR_I32_EQ_I - OP_BR_I32_EQ)));
		WSU(c, a, (uint32_t)const_val(c, b));
		return;
	}
	if ((f == OP_BR_AND || f == OP_BR_NAND) && is_const(b)) {
		cc__op(c, f == OP_BR_AND ? OP_BR_AND_I : OP_BR_NAND_I);
		WSU(c, a, (uint32_t)const_val(c, b));
		return;
	}
	cc__op(c, (enum wop)f);
	WSS(c, a, b);
}

/*
 * A loop back edge `compare(x, o); br_if` right after `x = p + q` (the
 * usual counter update): one ADD_BR_*_LOOP op, [h][p|q][x|o][rel]. `f` is
 * the fused compare-branch op already chosen for (a, b).
 */
bool cc__fuse_add_branch(struct cc *c, struct ctl *t, int f, uint32_t a, uint32_t b)
{
	static const uint8_t swapped[10] = {0, 1, 4, 5, 2, 3, 8, 9, 6, 7};
	uint32_t p = c->last_op; /* the op before the dropped compare */
	int k = f - OP_BR_I32_EQ;
	if (t->kind != K_LOOP || k < 0 || k >= 10 || p == NONE || p + 3 != c->ncode ||
	    c->label_pos > p)
		return false;
	uint32_t x, other, ps, qs;
	if (c->code[p].h == c->h[OP_I32_ADD]) {
		ps = c->code[p + 1].s.a;
		qs = c->code[p + 1].s.b;
		x = c->code[p + 2].s.a;
	} else if (c->code[p].h == c->h[OP_I32_ADD_I]) {
		ps = c->code[p + 1].s.a;
		qs = cc__const_slot(c, (uint32_t)c->code[p + 2].u64);
		x = c->code[p + 1].s.b;
	} else {
		return false;
	}
	if (x == a && x != b) {
		other = b;
	} else if (x == b && x != a) {
		other = a;
		k = swapped[k];
	} else {
		return false;
	}
	uint32_t at = c->cur_off;
	cc__unemit(c, p);
	cc__op(c, (enum wop)(OP_ADD_BR_EQ_LOOP + k));
	c->pcm[c->npcm - 1].off = at;
	WSS(c, ps, qs);
	WSS(c, x, other);
	return true;
}

/*
 * A 32/64-bit load whose address is the I32_ADD_SHL just emitted (base +
 * (idx << k)): one scaled-index load [h][base|idx][d|off][k|0].
 */
bool cc__fuse_load_idx(struct cc *c, enum wop o, uint8_t t, struct ent a, uint32_t off)
{
	if (!(o == OP_I32_LOAD || o == OP_I64_LOAD) || !c->fuse || !live(c) ||
	    c->fold_end != c->ncode || a.slot != c->fold_slot || a.slot != tslot(c->height) ||
	    c->code[c->fold_op_pc].h != c->h[OP_I32_ADD_SHL])
		return false;
	uint32_t p = c->fold_op_pc;
	uint32_t base = c->code[p + 1].s.a, idx = c->code[p + 1].s.b;
	uint32_t sh = c->code[p + 2].s.b;
	cc__unemit(c, p);
	cc__op(c, o == OP_I32_LOAD ? OP_I32_LOAD_IDX : OP_I64_LOAD_IDX);
	uint32_t d = cc__push_t(c, t);
	WSS(c, base, idx);
	WSU(c, d, off);
	WUU(c, sh, 0);
	c->fold_end = c->ncode;
	c->fold_word = p + 2;
	c->fold_half = 0;
	c->fold_slot = d;
	c->fold_op_pc = p;
	return true;
}

/*
 * A store of the value a plain load just produced, to an address that is
 * not a temporary: one memory-to-memory copy [h][src|dst][soff|doff].
 */
bool cc__fuse_copy(struct cc *c, enum wop o, struct ent a, struct ent v, uint32_t off)
{
	if (!c->fuse || !live(c) || v.slot != tslot(c->height + 1) || c->fold_end != c->ncode ||
	    v.slot != c->fold_slot || (a.slot & TAG_TEMP))
		return false;
	const void *lh = c->code[c->fold_op_pc].h;
	enum wop cop = OP__COUNT;
	if (lh == c->h[OP_I32_LOAD] && o == OP_STORE32)
		cop = OP_COPY32;
	else if (lh == c->h[OP_I64_LOAD] && o == OP_STORE64)
		cop = OP_COPY64;
	else if ((lh == c->h[OP_I32_LOAD8_U] || lh == c->h[OP_I32_LOAD8_S]) && o == OP_STORE8)
		cop = OP_COPY8;
	if (cop == OP__COUNT)
		return false;
	uint32_t src = c->code[c->fold_op_pc + 1].s.a;
	uint32_t soff = c->code[c->fold_op_pc + 2].s.a;
	reemit(c, c->fold_op_pc, cop); /* the load half: the load's offset */
	WSS(c, src, a.slot);
	/* the handler stores with pc at this word: the store's offset */
	c->pcm = cc__grow(c, c->pcm, &c->cap_pcm, c->npcm + 1, sizeof(*c->pcm));
	c->pcm[c->npcm].pc = c->ncode;
	c->pcm[c->npcm++].off = c->cur_off;
	WUU(c, soff, off);
	return true;
}
