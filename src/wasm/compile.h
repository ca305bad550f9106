/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The validating compiler's shared state (compile.c: validation and
 * translation; fuse.c: the choice of superinstructions and immediate
 * forms). Internal to src/wasm.
 */
#ifndef ENARX_WASM_COMPILE_H
#define ENARX_WASM_COMPILE_H

#include "wasm/wasm_int.h"

#define TAG_CONST 0x40000000u
#define TAG_TEMP 0x80000000u
#define TAG_MASK 0xc0000000u
#define NONE UINT32_MAX
#define T_UNKNOWN 0

struct ent {
	uint8_t type;
	uint32_t slot; /* local index, TAG_CONST|k or TAG_TEMP|height */
};

enum { K_BLOCK, K_LOOP, K_IF, K_ELSE, K_FUNC };

struct ctl {
	uint8_t kind;
	bool unreachable, dead;
	uint32_t height;
	uint32_t np, nr;
	const uint8_t *p, *r;
	uint8_t one; /* storage for a single-value block type */
	bool self_r; /* r points to one */
	uint32_t loop_pc;
	uint32_t else_fix; /* word of the if's branch to else */
	uint32_t fix_head; /* chain of branch words to patch at end */
};

struct reloc {
	uint32_t word;
	uint8_t half;
};

struct cc {
	struct rd r;
	ewasm_module *m;
	struct wcode *fc;
	const void *const *h;
	uint32_t nlocals_all; /* params + locals */
	uint8_t *ltypes;

	struct ent *st;
	uint32_t height, cap_st, maxh;
	struct ctl *ct;
	uint32_t nct, cap_ct;

	cword *code;
	uint32_t ncode, cap_code;
	struct reloc *rel;
	uint32_t nrel, cap_rel;
	struct pcmap *pcm;
	uint32_t npcm, cap_pcm;

	uint64_t *consts;
	uint32_t nconsts, cap_consts;
	uint32_t *chash; /* open addressing: const index + 1 */
	uint32_t chash_cap;

	/* fold: last op wrote its result to `fold_slot` at code[fold_word] */
	uint32_t fold_end, fold_word, fold_slot, fold_op_pc;
	uint8_t fold_half;
	uint32_t cur_off;   /* offset of the instruction being compiled */
	void *scratch;      /* temporary buffer, freed with the context */
	uint32_t last_op;   /* word index of the last op emitted */
	uint32_t prev_op;   /* and of the one before */
	uint32_t label_pos; /* code index of the latest branch target */
	uint32_t nparams;
	uint8_t *written; /* per local: assigned somewhere so far */
	bool seen_loop;   /* a loop was opened: a back edge may reach here */
	bool fuse;        /* superinstructions and immediates (!cfg.no_fusion) */
};

static inline struct ctl *top(struct cc *c)
{
	return &c->ct[c->nct - 1];
}

static inline bool live(struct cc *c)
{
	struct ctl *t = top(c);
	return !t->unreachable && !t->dead;
}

static inline uint32_t tslot(uint32_t h)
{
	return TAG_TEMP | h;
}

static inline bool is_const(uint32_t sl)
{
	return (sl & TAG_MASK) == TAG_CONST;
}

/* The constant in slot `sl` (a TAG_CONST slot). */
static inline uint64_t const_val(struct cc *c, uint32_t sl)
{
	return c->consts[sl & ~TAG_MASK];
}

/* ---------------------------------------------- emission (compile.c) */

/* Grows an array to hold `need` elements of `size`; fails the compile
 * (longjmp) when out of memory. */
void *cc__grow(struct cc *c, void *p, uint32_t *cap, uint32_t need, size_t size);
/* Appends one code word. */
void cc__put(struct cc *c, cword w);
/* Appends op `o` (nothing in unreachable code) and its code-offset entry. */
void cc__op(struct cc *c, enum wop o);
/* A word of two fields; sa/sb say whether each is a slot (relocated). */
void cc__w2(struct cc *c, uint32_t a, bool sa, uint32_t b, bool sb);
void cc__w64(struct cc *c, uint64_t v);
#define WSS(c, a, b) cc__w2(c, a, true, b, true)
#define WSU(c, a, b) cc__w2(c, a, true, b, false)
#define WUS(c, a, b) cc__w2(c, a, false, b, true)
#define WUU(c, a, b) cc__w2(c, a, false, b, false)
/* Remembers that the last op's result (slot `s`) is in code[ncode-1]'s
 * `half` field, so a following local.set can retarget it. */
void cc__foldable(struct cc *c, uint32_t s, uint8_t half, uint32_t op_pc);
/* Removes the code from word `at` on (an op being fused away). */
void cc__unemit(struct cc *c, uint32_t at);
void cc__push(struct cc *c, uint8_t type, uint32_t sl);
/* Pushes a result in its own stack slot; returns that slot. */
uint32_t cc__push_t(struct cc *c, uint8_t type);
/* The (deduplicated) constant slot holding `bits`. */
uint32_t cc__const_slot(struct cc *c, uint64_t bits);
/* Operand/result type letters of numeric op `idx` ("ab r", see compile.c). */
const char *cc__sig_of(uint32_t idx);

/* -------------------------------------------- superinstructions (fuse.c)
 * Each cc__fuse_* is called where the plain op would be emitted; it emits
 * the fused form and returns true, or returns false and emits nothing. All
 * of them are off with ewasm_config.no_fusion (c->fuse false). */

/* The loop-header variant of branch op `h` (interrupt check), or -1. */
int cc__loop_variant(struct cc *c, const void *h);
/* Binary op `o` with its top operand just loaded: a memory-operand op. */
bool cc__fuse_mem(struct cc *c, enum wop o, struct ent a, struct ent b);
/* i32.or of a shl and a shr_u by constants just emitted: FUNNEL. */
bool cc__fuse_funnel(struct cc *c, struct ent a, struct ent b);
/* Binary op with a constant operand: the immediate form. */
bool cc__fuse_imm(struct cc *c, enum wop o, struct ent a, struct ent b, uint8_t tr);
/* add/xor/or/and of a shift or rotate by a constant just emitted. */
bool cc__fuse_shift(struct cc *c, enum wop o, struct ent a, struct ent b);
/* f64 add/sub/mul of an f64.mul just emitted. */
bool cc__fuse_mul(struct cc *c, enum wop o, struct ent a, struct ent b);
/* If `e` is the i32.add just emitted, removes it, returns its operands. */
bool cc__take_add(struct cc *c, struct ent e, uint32_t *x, uint32_t *y);
/* Store of `x OP mem[addr+off]` back to addr+off: read-modify-write. */
bool cc__fuse_rmw(struct cc *c, enum wop o, uint8_t t, struct ent a, struct ent v, uint32_t off);
/* 32/64-bit load of base + (idx << k) just computed: scaled-index load. */
bool cc__fuse_load_idx(struct cc *c, enum wop o, uint8_t t, struct ent a, uint32_t off);
/* Store of a value just loaded: a memory-to-memory copy. */
bool cc__fuse_copy(struct cc *c, enum wop o, struct ent a, struct ent v, uint32_t off);
/* The fused compare-and-branch for condition `cond` (negated if `neg`),
 * its operands in a/b; -1 if none. `forward`: the target is no loop. */
int cc__fuse_cond(struct cc *c, struct ent cond, bool neg, bool forward, uint32_t *a, uint32_t *b,
                  bool *is_eqz);
/* Emits fused compare-and-branch `f` on (a, b), without its branch word. */
void cc__emit_cmp_branch(struct cc *c, int f, uint32_t a, uint32_t b);
/* A loop back edge right after a counter update: ADD_BR_*_LOOP. */
bool cc__fuse_add_branch(struct cc *c, struct ctl *t, int f, uint32_t a, uint32_t b);

#endif
