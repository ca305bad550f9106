// SPDX-License-Identifier: Apache-2.0
/*
 * Validating compiler: one pass over each function body checks it exactly
 * as the spec's validation algorithm does (operand and control stacks,
 * unreachable code) and at the same time translates it into slot-addressed
 * register code for interp.c:
 *  - every operand-stack position has a fixed frame slot, so no value is
 *    pushed or popped at run time;
 *  - local.get and constants emit nothing: the stack entry just names the
 *    local's slot or a constant slot; local.set folds into the producing
 *    instruction's destination when it can;
 *  - branch targets and the slot copies of block results are resolved here;
 *  - compare + br_if / if are fused into one compare-and-branch.
 * Frame layout: [params | locals | constants | operand stack].
 */
#include <string.h>

#include "lib/alloc.h"
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

static void *grow(struct cc *c, void *p, uint32_t *cap, uint32_t need, size_t size)
{
	if (need <= *cap)
		return p;
	uint64_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	void *q = xreallocarray(p, (size_t)n, size);
	if (!q)
		wasm__fail(&c->r, EWASM_ERR_NOMEM, "out of memory");
	*cap = (uint32_t)n;
	return q;
}

static _Noreturn void mismatch(struct cc *c, uint8_t want, uint8_t got)
{
	wasm__fail(&c->r, EWASM_ERR_INVALID, "type mismatch: expected %s, found %s",
	           want ? ewasm_valtype_name(want) : "any",
	           got ? ewasm_valtype_name(got) : "nothing");
}

static inline struct ctl *top(struct cc *c)
{
	return &c->ct[c->nct - 1];
}

static inline bool live(struct cc *c)
{
	struct ctl *t = top(c);
	return !t->unreachable && !t->dead;
}

/* ------------------------------------------------------------ emission */

static void put(struct cc *c, cword w)
{
	c->code = grow(c, c->code, &c->cap_code, c->ncode + 1, sizeof(cword));
	c->code[c->ncode++] = w;
}

static void op(struct cc *c, enum wop o)
{
	if (!live(c))
		return;
	c->pcm = grow(c, c->pcm, &c->cap_pcm, c->npcm + 1, sizeof(*c->pcm));
	c->pcm[c->npcm].pc = c->ncode;
	c->pcm[c->npcm++].off = c->cur_off;
	cword w;
	w.u64 = 0;
	w.h = c->h[o];
	c->prev_op = c->last_op;
	c->last_op = c->ncode;
	put(c, w);
}

static void note_reloc(struct cc *c, uint32_t v, uint8_t half)
{
	if (!(v & TAG_MASK))
		return;
	c->rel = grow(c, c->rel, &c->cap_rel, c->nrel + 1, sizeof(*c->rel));
	c->rel[c->nrel].word = c->ncode;
	c->rel[c->nrel++].half = half;
}

/* A word of two fields; sa/sb say whether each is a slot (relocated). */
static void w2(struct cc *c, uint32_t a, bool sa, uint32_t b, bool sb)
{
	if (!live(c))
		return;
	if (sa)
		note_reloc(c, a, 0);
	if (sb)
		note_reloc(c, b, 1);
	cword w;
	w.s.a = a;
	w.s.b = b;
	put(c, w);
}
#define WSS(c, a, b) w2(c, a, true, b, true)
#define WSU(c, a, b) w2(c, a, true, b, false)
#define WUS(c, a, b) w2(c, a, false, b, true)
#define WUU(c, a, b) w2(c, a, false, b, false)

static void w64(struct cc *c, uint64_t v)
{
	if (!live(c))
		return;
	cword w;
	w.u64 = v;
	put(c, w);
}

/* Remembers that the last op's result (slot `s`) is in code[ncode-1]'s
 * `half` field, so a following local.set can retarget it. */
static void foldable(struct cc *c, uint32_t s, uint8_t half, uint32_t op_pc)
{
	if (!live(c))
		return;
	c->fold_end = c->ncode;
	c->fold_word = c->ncode - 1;
	c->fold_half = half;
	c->fold_slot = s;
	c->fold_op_pc = op_pc;
}

static void label_here(struct cc *c)
{
	c->fold_end = NONE;
	c->label_pos = c->ncode;
}

/* Removes the code from word `at` on (an op being fused away). */
static void unemit(struct cc *c, uint32_t at)
{
	c->ncode = at;
	while (c->nrel && c->rel[c->nrel - 1].word >= c->ncode)
		c->nrel--;
	while (c->npcm && c->pcm[c->npcm - 1].pc >= c->ncode)
		c->npcm--;
	c->fold_end = NONE;
}

/* Branch word: holds a relative offset (in words, from this word). */
static void patch_to(struct cc *c, uint32_t word, uint32_t target)
{
	c->code[word].i64 = (int64_t)target - (int64_t)word;
}

/* The loop-header variant of a branch op (interrupt check on back edges). */
static int loop_variant(struct cc *c, const void *h)
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

static void branch_word(struct cc *c, struct ctl *t)
{
	if (!live(c))
		return;
	if (t->kind == K_LOOP) {
		if (!c->m->engine->cfg.consume_fuel) {
			int v = loop_variant(c, c->code[c->last_op].h);
			if (v >= 0)
				c->code[c->last_op].h = c->h[v];
		}
		cword w;
		w.i64 = (int64_t)t->loop_pc - (int64_t)c->ncode;
		put(c, w);
	} else {
		cword w;
		w.u64 = t->fix_head;
		t->fix_head = c->ncode;
		put(c, w);
	}
}

static void patch_chain(struct cc *c, uint32_t head, uint32_t target)
{
	while (head != NONE) {
		uint32_t next = (uint32_t)c->code[head].u64;
		patch_to(c, head, target);
		head = next;
	}
}

/* ------------------------------------------------------- operand stack */

static inline uint32_t tslot(uint32_t h)
{
	return TAG_TEMP | h;
}

static void push(struct cc *c, uint8_t type, uint32_t sl)
{
	c->st = grow(c, c->st, &c->cap_st, c->height + 1, sizeof(*c->st));
	c->st[c->height].type = type;
	c->st[c->height].slot = sl;
	c->height++;
	if (c->height > c->maxh)
		c->maxh = c->height;
}

/* Pushes a result in its own stack slot; returns that slot. */
static uint32_t push_t(struct cc *c, uint8_t type)
{
	uint32_t s = tslot(c->height);
	push(c, type, s);
	return s;
}

static struct ent pop(struct cc *c)
{
	struct ctl *t = top(c);
	if (c->height == t->height) {
		if (t->unreachable) {
			struct ent e = {T_UNKNOWN, tslot(c->height)};
			return e;
		}
		wasm__fail(&c->r, EWASM_ERR_INVALID, "type mismatch: operand stack empty");
	}
	return c->st[--c->height];
}

static struct ent pop_t(struct cc *c, uint8_t want)
{
	struct ent e = pop(c);
	if (e.type != want && e.type != T_UNKNOWN && want != T_UNKNOWN)
		mismatch(c, want, e.type);
	return e;
}

static inline bool is_ref(uint8_t t)
{
	return t == EWASM_FUNCREF || t == EWASM_EXTERNREF;
}

static void mov(struct cc *c, uint32_t src, uint32_t dst)
{
	if (src == dst)
		return;
	if (c->fuse && live(c) && c->ncode >= 2 && c->last_op == c->ncode - 2 &&
	    c->label_pos <= c->last_op && c->code[c->last_op].h == c->h[OP_MOV]) {
		/* two moves in a row become one MOV2 (call arguments, results);
		 * the second must not read what the first wrote */
		cword first = c->code[c->ncode - 1];
		if (first.s.b != src) {
			c->code[c->last_op].h = c->h[OP_MOV2];
			c->pcm[c->npcm - 1].pc = c->last_op;
			WSS(c, src, dst);
			c->last_op = NONE; /* no third merge */
			return;
		}
	}
	op(c, OP_MOV);
	WSS(c, src, dst);
}

/* Moves stack entry i into its own slot. */
static void materialize(struct cc *c, uint32_t i)
{
	struct ent *e = &c->st[i];
	if (e->slot != tslot(i)) {
		mov(c, e->slot, tslot(i));
		e->slot = tslot(i);
	}
}

/* Before a block: no stack entry may alias a local any more (the block
 * could assign it on some paths only), and the params sit in place. */
static void settle(struct cc *c, uint32_t from)
{
	for (uint32_t i = 0; i < c->height; i++)
		if (i >= from || !(c->st[i].slot & TAG_MASK))
			materialize(c, i);
}

static uint32_t const_slot(struct cc *c, uint64_t bits)
{
	if (c->nconsts * 2 >= c->chash_cap) {
		uint32_t ncap = c->chash_cap ? c->chash_cap * 2 : 64;
		uint32_t *nh = xcalloc(ncap, sizeof(uint32_t));
		if (!nh)
			wasm__fail(&c->r, EWASM_ERR_NOMEM, "out of memory");
		for (uint32_t i = 0; i < c->nconsts; i++) {
			uint32_t k =
			    (uint32_t)((c->consts[i] * 0x9e3779b97f4a7c15ull) >> 40) & (ncap - 1);
			while (nh[k])
				k = (k + 1) & (ncap - 1);
			nh[k] = i + 1;
		}
		xfree(c->chash);
		c->chash = nh;
		c->chash_cap = ncap;
	}
	uint32_t k = (uint32_t)((bits * 0x9e3779b97f4a7c15ull) >> 40) & (c->chash_cap - 1);
	while (c->chash[k]) {
		if (c->consts[c->chash[k] - 1] == bits)
			return TAG_CONST | (c->chash[k] - 1);
		k = (k + 1) & (c->chash_cap - 1);
	}
	c->consts = grow(c, c->consts, &c->cap_consts, c->nconsts + 1, sizeof(uint64_t));
	c->consts[c->nconsts] = bits;
	c->chash[k] = ++c->nconsts;
	return TAG_CONST | (c->nconsts - 1);
}

/* ------------------------------------------------------ control frames */

static void read_blocktype(struct cc *c, struct ctl *t)
{
	int64_t bt = wasm__s33(&c->r);
	t->np = t->nr = 0;
	t->p = t->r = NULL;
	if (bt == -64)
		return;
	if (bt < 0) {
		uint8_t v = (uint8_t)(bt & 0x7f);
		if (v != EWASM_I32 && v != EWASM_I64 && v != EWASM_F32 && v != EWASM_F64 &&
		    v != EWASM_FUNCREF && v != EWASM_EXTERNREF)
			wasm__fail(&c->r, EWASM_ERR_MALFORMED, "malformed block type");
		t->one = v;
		t->r = &t->one;
		t->nr = 1;
		return;
	}
	if ((uint64_t)bt >= c->m->ntypes)
		wasm__fail(&c->r, EWASM_ERR_INVALID, "unknown type %lld", (long long)bt);
	const struct wtype *ft = &c->m->types[bt];
	t->np = ft->nparams;
	t->p = ft->params;
	t->nr = ft->nresults;
	t->r = ft->results;
}

static struct ctl *push_ctl(struct cc *c, uint8_t kind, struct ctl *proto)
{
	bool dead = c->nct ? (top(c)->unreachable || top(c)->dead) : false;
	struct ctl *old = c->ct;
	c->ct = grow(c, c->ct, &c->cap_ct, c->nct + 1, sizeof(*c->ct));
	if (c->ct != old) {
		/* single-value block types point into their own frame */
		for (uint32_t i = 0; i < c->nct; i++)
			if (c->ct[i].self_r)
				c->ct[i].r = &c->ct[i].one;
	}
	struct ctl *t = &c->ct[c->nct++];
	*t = *proto;
	t->self_r = t->nr == 1 && t->r == &proto->one;
	if (t->self_r)
		t->r = &t->one;
	t->kind = kind;
	t->unreachable = false;
	t->dead = dead;
	t->height = c->height - t->np;
	t->fix_head = NONE;
	t->else_fix = NONE;
	t->loop_pc = NONE;
	return t;
}

/* Checks that the top `n` entries have `types` (popping, as validation
 * does) and leaves them on the stack with those types. */
static void retype_top(struct cc *c, uint32_t n, const uint8_t *types)
{
	uint32_t h = c->height;
	for (uint32_t i = n; i-- > 0;)
		pop_t(c, types[i]);
	uint32_t base = c->height;
	for (uint32_t i = 0; i < n; i++) {
		if (base + i < h) {
			c->st[base + i].type = types[i];
			c->height = base + i + 1;
		} else {
			push_t(c, types[i]);
		}
	}
}

static void set_unreachable(struct cc *c)
{
	struct ctl *t = top(c);
	c->height = t->height;
	t->unreachable = true;
}

static void label_types(const struct ctl *t, uint32_t *n, const uint8_t **ty)
{
	if (t->kind == K_LOOP) {
		*n = t->np;
		*ty = t->p;
	} else {
		*n = t->nr;
		*ty = t->r;
	}
}

static struct ctl *label(struct cc *c, uint32_t depth)
{
	if (depth >= c->nct)
		wasm__fail(&c->r, EWASM_ERR_INVALID, "unknown label %u", depth);
	return &c->ct[c->nct - 1 - depth];
}

/* Type-checks the top of the stack against label `t` without popping. */
static void peek_label(struct cc *c, const struct ctl *t)
{
	uint32_t n;
	const uint8_t *ty;
	label_types(t, &n, &ty);
	struct ctl *cur = top(c);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t depth = n - 1 - i; /* from the top */
		if (c->height - cur->height <= depth) {
			if (!cur->unreachable)
				wasm__fail(&c->r, EWASM_ERR_INVALID,
				           "type mismatch: branch needs %u values", n);
			continue;
		}
		uint8_t got = c->st[c->height - 1 - depth].type;
		if (got != ty[i] && got != T_UNKNOWN)
			mismatch(c, ty[i], got);
	}
}

static bool branch_needs_moves(struct cc *c, const struct ctl *t)
{
	uint32_t n;
	const uint8_t *ty;
	label_types(t, &n, &ty);
	for (uint32_t i = 0; i < n; i++)
		if (c->st[c->height - n + i].slot != tslot(t->height + i))
			return true;
	return false;
}

static void branch_moves(struct cc *c, const struct ctl *t)
{
	uint32_t n;
	const uint8_t *ty;
	label_types(t, &n, &ty);
	for (uint32_t i = 0; i < n; i++)
		mov(c, c->st[c->height - n + i].slot, tslot(t->height + i));
}

static void retarget(struct cc *c, uint32_t x);

/* Emits the moves of the top `n` results into fp[0..n) then RETURN. */
static void emit_return(struct cc *c)
{
	struct ctl *f = &c->ct[0];
	uint32_t n = f->nr;
	if (!live(c))
		return;
	if (n == 1) {
		struct ent *e = &c->st[c->height - 1];
		if (c->fold_end == c->ncode && e->slot == c->fold_slot &&
		    e->slot == tslot(c->height - 1)) {
			/* the producer writes the result slot directly */
			retarget(c, 0);
			op(c, OP_RETURN);
		} else {
			op(c, OP_RETURN1);
			WSU(c, e->slot, 0);
		}
		return;
	}
	if (n > 1)
		for (uint32_t i = 0; i < n; i++)
			materialize(c, c->height - n + i);
	for (uint32_t i = 0; i < n; i++) {
		op(c, OP_MOV);
		WSU(c, c->st[c->height - n + i].slot, i);
	}
	op(c, OP_RETURN);
}

/* Checks the stack holds exactly the frame's results. */
static void check_results(struct cc *c, struct ctl *t)
{
	for (uint32_t i = t->nr; i-- > 0;)
		pop_t(c, t->r[i]);
	if (c->height != t->height)
		wasm__fail(&c->r, EWASM_ERR_INVALID,
		           "type mismatch: values remaining on stack at end of block");
	if (live(c)) {
		c->height += t->nr; /* the entries are still there */
	} else {
		for (uint32_t i = 0; i < t->nr; i++)
			push_t(c, t->r[i]);
	}
}

/* ------------------------------------------------------- instructions */

/* Operand/result types of numeric ops by opcode range, "ab r" with '-'
 * for none; 0xfc 0..7 (trunc_sat) sit at 0x45 + 128.. */
static const struct {
	int from, to;
	char sig[4];
} sig_ranges[] = {
    {0x45, 0x45, "i-i"},
    {0x46, 0x4f, "iii"},
    {0x50, 0x50, "I-i"},
    {0x51, 0x5a, "IIi"},
    {0x5b, 0x60, "ffi"},
    {0x61, 0x66, "FFi"},
    {0x67, 0x69, "i-i"},
    {0x6a, 0x78, "iii"},
    {0x79, 0x7b, "I-I"},
    {0x7c, 0x8a, "III"},
    {0x8b, 0x91, "f-f"},
    {0x92, 0x98, "fff"},
    {0x99, 0x9f, "F-F"},
    {0xa0, 0xa6, "FFF"},
    {0xa7, 0xa7, "I-i"},
    {0xa8, 0xa9, "f-i"},
    {0xaa, 0xab, "F-i"},
    {0xac, 0xad, "i-I"},
    {0xae, 0xaf, "f-I"},
    {0xb0, 0xb1, "F-I"},
    {0xb2, 0xb3, "i-f"},
    {0xb4, 0xb5, "I-f"},
    {0xb6, 0xb6, "F-f"},
    {0xb7, 0xb8, "i-F"},
    {0xb9, 0xba, "I-F"},
    {0xbb, 0xbb, "f-F"},
    {0xbc, 0xbc, "f-i"},
    {0xbd, 0xbd, "F-I"},
    {0xbe, 0xbe, "i-f"},
    {0xbf, 0xbf, "I-F"},
    {0xc0, 0xc1, "i-i"},
    {0xc2, 0xc4, "I-I"},
    {0x45 + 128, 0x45 + 129, "f-i"},
    {0x45 + 130, 0x45 + 131, "F-i"},
    {0x45 + 132, 0x45 + 133, "f-I"},
    {0x45 + 134, 0x45 + 135, "F-I"},
};

static const char *sig_of(uint32_t idx)
{
	int op = (int)idx + 0x45;
	for (size_t i = 0; i < sizeof(sig_ranges) / sizeof(sig_ranges[0]); i++)
		if (op >= sig_ranges[i].from && op <= sig_ranges[i].to)
			return sig_ranges[i].sig;
	return "---";
}

static uint8_t sig_type(char ch)
{
	switch (ch) {
	case 'i': return EWASM_I32;
	case 'I': return EWASM_I64;
	case 'f': return EWASM_F32;
	case 'F': return EWASM_F64;
	default: return 0;
	}
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
static bool mem_operand(struct cc *c, enum wop o, struct ent a, struct ent b)
{
	if (!c->fuse || !live(c) || c->fold_end != c->ncode || b.slot != c->fold_slot ||
	    b.slot != tslot(c->height + 1) || a.slot == b.slot)
		return false;
	for (size_t i = 0; i < sizeof(mem_ops) / sizeof(mem_ops[0]); i++) {
		if (mem_ops[i].op != o || c->code[c->fold_op_pc].h != c->h[mem_ops[i].load])
			continue;
		uint32_t addr = c->code[c->fold_op_pc + 1].s.a;
		uint32_t off = c->code[c->fold_op_pc + 2].s.a;
		uint32_t at = c->npcm ? c->pcm[c->npcm - 1].off : c->cur_off, save = c->cur_off;
		unemit(c, c->fold_op_pc);
		uint32_t pc = c->ncode;
		c->cur_off = at;
		op(c, (enum wop)mem_ops[i].fused);
		c->cur_off = save;
		uint32_t d = push_t(c, sig_of(o - OP_I32_EQZ)[2] == 'I'   ? EWASM_I64
		                       : sig_of(o - OP_I32_EQZ)[2] == 'F' ? EWASM_F64
		                                                          : EWASM_I32);
		WSS(c, a.slot, addr);
		WSU(c, d, off);
		foldable(c, d, 0, pc);
		return true;
	}
	return false;
}

/*
 * i32.or of an i32.shl and an i32.shr_u by constants, both emitted just
 * before (the word-merging loops of C memcpy): one FUNNEL op,
 * [h][p|q][d|0][kp|kq], d = (p << kp) | (q >> kq).
 */
static bool funnel(struct cc *c, struct ent a, struct ent b)
{
	uint32_t p1 = c->prev_op, p2 = c->last_op;
	if (!c->fuse || !live(c) || c->fold_end != c->ncode || b.slot != c->fold_slot || p2 != c->fold_op_pc ||
	    p1 == NONE || p1 + 3 != p2 || p2 + 3 != c->ncode || c->label_pos > p1 ||
	    !(a.slot & TAG_TEMP) || c->code[p1 + 1].s.b != a.slot)
		return false;
	const void *h1 = c->code[p1].h, *h2 = c->code[p2].h;
	const void *shl = c->h[OP_I32_SHL_I], *shr = c->h[OP_I32_SHR_U_I];
	if (!((h1 == shl && h2 == shr) || (h1 == shr && h2 == shl)))
		return false;
	uint32_t k1 = (uint32_t)c->code[p1 + 2].u64 & 31, k2 = (uint32_t)c->code[p2 + 2].u64 & 31;
	uint32_t x1 = c->code[p1 + 1].s.a, x2 = c->code[p2 + 1].s.a;
	uint32_t at = c->pcm[c->npcm - 1].off;
	unemit(c, p1);
	uint32_t save = c->cur_off;
	c->cur_off = at;
	op(c, OP_FUNNEL);
	c->cur_off = save;
	uint32_t d = push_t(c, EWASM_I32);
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
 * comparison, or OP__COUNT when it cannot be swapped). */
static const struct {
	uint16_t op, imm, swapped;
} imm_ops[] = {
    {OP_I32_ADD, OP_I32_ADD_I, OP_I32_ADD},       {OP_I32_SUB, OP_I32_SUB_I, OP__COUNT},
    {OP_I32_MUL, OP_I32_MUL_I, OP_I32_MUL},       {OP_I32_AND, OP_I32_AND_I, OP_I32_AND},
    {OP_I32_OR, OP_I32_OR_I, OP_I32_OR},          {OP_I32_XOR, OP_I32_XOR_I, OP_I32_XOR},
    {OP_I32_SHL, OP_I32_SHL_I, OP__COUNT},        {OP_I32_SHR_S, OP_I32_SHR_S_I, OP__COUNT},
    {OP_I32_SHR_U, OP_I32_SHR_U_I, OP__COUNT},    {OP_I32_ROTL, OP_I32_ROTL_I, OP__COUNT},
    {OP_I32_ROTR, OP_I32_ROTR_I, OP__COUNT},      {OP_I32_EQ, OP_I32_EQ_I, OP_I32_EQ},
    {OP_I32_NE, OP_I32_NE_I, OP_I32_NE},          {OP_I32_LT_S, OP_I32_LT_S_I, OP_I32_GT_S},
    {OP_I32_LT_U, OP_I32_LT_U_I, OP_I32_GT_U},    {OP_I32_GT_S, OP_I32_GT_S_I, OP_I32_LT_S},
    {OP_I32_GT_U, OP_I32_GT_U_I, OP_I32_LT_U},    {OP_I32_LE_S, OP_I32_LE_S_I, OP_I32_GE_S},
    {OP_I32_LE_U, OP_I32_LE_U_I, OP_I32_GE_U},    {OP_I32_GE_S, OP_I32_GE_S_I, OP_I32_LE_S},
    {OP_I32_GE_U, OP_I32_GE_U_I, OP_I32_LE_U},    {OP_I64_ADD, OP_I64_ADD_I, OP_I64_ADD},
    {OP_I64_SUB, OP_I64_SUB_I, OP__COUNT},        {OP_I64_MUL, OP_I64_MUL_I, OP_I64_MUL},
    {OP_I64_AND, OP_I64_AND_I, OP_I64_AND},       {OP_I64_OR, OP_I64_OR_I, OP_I64_OR},
    {OP_I64_XOR, OP_I64_XOR_I, OP_I64_XOR},       {OP_I64_SHL, OP_I64_SHL_I, OP__COUNT},
    {OP_I64_SHR_S, OP_I64_SHR_S_I, OP__COUNT},    {OP_I64_SHR_U, OP_I64_SHR_U_I, OP__COUNT},
    {OP_I64_ROTL, OP_I64_ROTL_I, OP__COUNT},      {OP_I64_ROTR, OP_I64_ROTR_I, OP__COUNT},
    {OP_F64_ADD, OP_F64_ADD_I, OP_F64_ADD},       {OP_F64_SUB, OP_F64_SUB_I, OP__COUNT},
    {OP_F64_MUL, OP_F64_MUL_I, OP_F64_MUL},
};

static inline bool is_const(uint32_t sl)
{
	return (sl & TAG_MASK) == TAG_CONST;
}

/* The constant in slot `sl` (a TAG_CONST slot). */
static inline uint64_t const_val(struct cc *c, uint32_t sl)
{
	return c->consts[sl & ~TAG_MASK];
}

/*
 * A binary op with a constant operand: [OP_I][a|d][imm], so the constant
 * needs no frame slot (finish() drops unreferenced constants) and no load.
 * A constant first operand is swapped into place where the op allows it.
 */
static bool imm_operand(struct cc *c, enum wop o, struct ent a, struct ent b, uint8_t tr)
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
			uint32_t at = c->pcm[c->npcm - 1].off, save = c->cur_off;
			unemit(c, p);
			c->cur_off = at;
			op(c, OP_I32_ADD_I2);
			c->cur_off = save;
			w2(c, a1, rel_a1, d1, rel_d1);
			uint32_t d = push_t(c, tr);
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
		op(c, (enum wop)imm_ops[i].imm);
		uint32_t d = push_t(c, tr);
		WSS(c, a.slot, d);
		w64(c, const_val(c, b.slot));
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
static bool shift_op(struct cc *c, enum wop o, struct ent a, struct ent b)
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
	const void *h = c->code[p].h;
	uint32_t k = (uint32_t)c->code[p + 2].u64 & 31;
	int j;
	if (h == c->h[OP_I32_SHL_I]) {
		j = 0;
	} else if (h == c->h[OP_I32_SHR_U_I]) {
		j = 1;
	} else if (h == c->h[OP_I32_ROTL_I]) {
		j = 2;
	} else if (h == c->h[OP_I32_ROTR_I]) {
		j = 2;
		k = (32 - k) & 31;
	} else {
		return false;
	}
	uint32_t base;
	if (b.slot == c->fold_slot && b.slot == tslot(c->height + 1))
		base = a.slot;
	else if (a.slot == c->fold_slot && a.slot == tslot(c->height) && !(b.slot & TAG_TEMP))
		base = b.slot;
	else
		return false;
	uint32_t x = c->code[p + 1].s.a;
	uint32_t at = c->pcm[c->npcm - 1].off, save = c->cur_off;
	unemit(c, p);
	c->cur_off = at;
	uint32_t pc = c->ncode;
	op(c, (enum wop)fused[i][j]);
	c->cur_off = save;
	WSS(c, base, x);
	uint32_t d = push_t(c, EWASM_I32);
	WSU(c, d, k);
	foldable(c, d, 0, pc);
	return true;
}

/*
 * An f64 add/sub/mul with an operand that the f64.mul just emitted
 * produced: one op computing both, [h][x|y][c|d] (see ops.def).
 */
static bool f64_mul_chain(struct cc *c, enum wop o, struct ent a, struct ent b)
{
	static const uint16_t fused[3][2] = {
	    {OP_F64_MULADD_L, OP_F64_MULADD_R},
	    {OP_F64_MULSUB_L, OP_F64_MULSUB_R},
	    {OP_F64_MULMUL_L, OP_F64_MULMUL_R},
	};
	uint32_t p = c->fold_op_pc;
	int k = o == OP_F64_ADD ? 0 : o == OP_F64_SUB ? 1 : o == OP_F64_MUL ? 2 : -1;
	if (k < 0 || !c->fuse || !live(c) || c->fold_end != c->ncode ||
	    c->code[p].h != c->h[OP_F64_MUL] ||
	    c->label_pos > p)
		return false;
	uint32_t other;
	int side;
	if (b.slot == c->fold_slot && b.slot == tslot(c->height + 1) && a.slot != b.slot) {
		other = a.slot;
		side = 1; /* c OP (x*y) */
	} else if (a.slot == c->fold_slot && a.slot == tslot(c->height) &&
	           !(b.slot & TAG_TEMP)) {
		other = b.slot;
		side = 0; /* (x*y) OP c */
	} else {
		return false;
	}
	uint32_t x = c->code[p + 1].s.a, y = c->code[p + 1].s.b;
	uint32_t at = c->pcm[c->npcm - 1].off, save = c->cur_off;
	unemit(c, p);
	c->cur_off = at;
	uint32_t pc = c->ncode;
	op(c, (enum wop)fused[k][side]);
	c->cur_off = save;
	WSS(c, x, y);
	uint32_t d = push_t(c, EWASM_F64);
	WSS(c, other, d);
	foldable(c, d, 1, pc);
	return true;
}

/* A numeric instruction; idx 0..127 for 0x45..0xc4, 128.. for 0xfc 0..7. */
static void numeric(struct cc *c, uint32_t idx, enum wop o)
{
	const char *sg = sig_of(idx);
	uint8_t ta = sig_type(sg[0]), tb = sig_type(sg[1]), tr = sig_type(sg[2]);
	if (tb) {
		struct ent b = pop_t(c, tb);
		struct ent a = pop_t(c, ta);
		uint32_t pc = c->ncode;
		if (mem_operand(c, o, a, b) || (o == OP_I32_OR && funnel(c, a, b)) ||
		    shift_op(c, o, a, b) || f64_mul_chain(c, o, a, b) ||
		    imm_operand(c, o, a, b, tr))
			return;
		op(c, o);
		WSS(c, a.slot, b.slot);
		uint32_t d = push_t(c, tr);
		WSU(c, d, 0);
		foldable(c, d, 0, pc);
		return;
	}
	struct ent a = pop_t(c, ta);
	/* reinterpretations and wrap are free: same bits in the slot */
	if (o == OP_I32_WRAP_I64 || o == OP_I32_REINTERPRET_F32 || o == OP_I64_REINTERPRET_F64 ||
	    o == OP_F32_REINTERPRET_I32 || o == OP_F64_REINTERPRET_I64) {
		push(c, tr, a.slot);
		return;
	}
	uint32_t pc = c->ncode;
	op(c, o);
	uint32_t d = push_t(c, tr);
	WSS(c, a.slot, d);
	foldable(c, d, 1, pc);
}

/* Makes the last op (see foldable()) write its result to slot x. */
static void retarget(struct cc *c, uint32_t x)
{
	cword *w = &c->code[c->fold_word];
	if (c->fold_half)
		w->s.b = x;
	else
		w->s.a = x;
	/* drop the relocation of the retargeted field */
	for (uint32_t i = c->nrel; i-- > 0;) {
		if (c->rel[i].word == c->fold_word && c->rel[i].half == c->fold_half) {
			c->rel[i].word = NONE;
			break;
		}
		if (c->rel[i].word < c->fold_word)
			break;
	}
	c->fold_end = NONE;
}

static uint8_t local_type(struct cc *c, uint32_t x)
{
	if (x >= c->nlocals_all)
		wasm__fail(&c->r, EWASM_ERR_INVALID, "unknown local %u", x);
	return c->ltypes[x];
}

static void local_set(struct cc *c, uint32_t x, bool tee)
{
	uint8_t t = local_type(c, x);
	struct ent v = pop_t(c, t);
	if (c->fuse && x >= c->nparams && !c->written[x] && !c->seen_loop && is_const(v.slot) &&
	    const_val(c, v.slot) == 0) {
		/* a declared local that nothing assigned yet on any path here
		 * (no loop opened: all paths so far run forward) still holds
		 * its initial zero bits */
		c->fold_end = NONE;
		if (tee)
			push(c, t, x);
		return;
	}
	if (live(c))
		c->written[x] = 1;
	bool aliased = false;
	for (uint32_t i = 0; i < c->height; i++)
		if (c->st[i].slot == x)
			aliased = true;
	if (live(c) && !aliased && c->fold_end == c->ncode && v.slot == c->fold_slot &&
	    v.slot == tslot(c->height)) {
		retarget(c, x);
	} else {
		for (uint32_t i = 0; i < c->height; i++)
			if (c->st[i].slot == x)
				materialize(c, i);
		mov(c, v.slot, x);
	}
	c->fold_end = NONE;
	if (tee)
		push(c, t, x);
}

static void memarg(struct cc *c, uint32_t natural_log2, uint32_t *offset)
{
	uint32_t align = wasm__u32(&c->r);
	*offset = wasm__u32(&c->r);
	if (align >= 32)
		wasm__fail(&c->r, EWASM_ERR_MALFORMED, "malformed memop flags");
	if (c->m->nmems == 0)
		wasm__fail(&c->r, EWASM_ERR_INVALID, "unknown memory 0");
	if (align > natural_log2)
		wasm__fail(&c->r, EWASM_ERR_INVALID, "alignment must not be larger than natural");
}

/* If entry `e` was produced by the i32.add just emitted (and nothing was
 * emitted since), removes the add and returns its operands. */
static bool take_add(struct cc *c, struct ent e, uint32_t *x, uint32_t *y)
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
		*y = const_slot(c, (uint32_t)c->code[c->fold_op_pc + 2].u64);
	} else {
		return false;
	}
	c->ncode = c->fold_op_pc;
	while (c->nrel && c->rel[c->nrel - 1].word >= c->ncode)
		c->nrel--;
	if (c->npcm && c->pcm[c->npcm - 1].pc >= c->ncode)
		c->npcm--;
	c->fold_end = NONE;
	return true;
}

static void load(struct cc *c, enum wop o, uint8_t t, uint32_t nat)
{
	uint32_t off, x, y;
	memarg(c, nat, &off);
	struct ent a = pop_t(c, EWASM_I32);
	if ((o == OP_I32_LOAD || o == OP_I64_LOAD) && c->fuse && live(c) &&
	    c->fold_end == c->ncode &&
	    a.slot == c->fold_slot && a.slot == tslot(c->height) &&
	    c->code[c->fold_op_pc].h == c->h[OP_I32_ADD_SHL]) {
		/* base + (idx << k): one scaled-index load */
		uint32_t p = c->fold_op_pc;
		uint32_t base = c->code[p + 1].s.a, idx = c->code[p + 1].s.b;
		uint32_t sh = c->code[p + 2].s.b;
		unemit(c, p);
		op(c, o == OP_I32_LOAD ? OP_I32_LOAD_IDX : OP_I64_LOAD_IDX);
		uint32_t d = push_t(c, t);
		WSS(c, base, idx);
		WSU(c, d, off);
		WUU(c, sh, 0);
		c->fold_end = c->ncode;
		c->fold_word = p + 2;
		c->fold_half = 0;
		c->fold_slot = d;
		c->fold_op_pc = p;
		return;
	}
	if (a.slot == tslot(c->height) && take_add(c, a, &x, &y)) {
		uint32_t pc = c->ncode;
		op(c, (enum wop)(o + (OP_I32_LOAD_ADD - OP_I32_LOAD)));
		uint32_t d = push_t(c, t);
		WSS(c, x, y);
		WSU(c, d, off);
		foldable(c, d, 0, pc);
		return;
	}
	uint32_t pc = c->ncode;
	op(c, o);
	uint32_t d = push_t(c, t);
	WSS(c, a.slot, d);
	WUU(c, off, 0);
	if (live(c)) {
		c->fold_end = c->ncode;
		c->fold_word = c->ncode - 2;
		c->fold_half = 1;
		c->fold_slot = d;
		c->fold_op_pc = pc;
	}
}

/*
 * A store of `x OP mem[addr+off]` (a memory-operand op emitted just
 * before) back to the same addr+off: one read-modify-write op,
 * [h][x|addr][0|off]. It keeps the memory-operand op's code offset.
 */
static bool rmw(struct cc *c, enum wop o, uint8_t t, struct ent a, struct ent v, uint32_t off)
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
		uint32_t at = c->pcm[c->npcm - 1].off, save = c->cur_off;
		unemit(c, p);
		c->cur_off = at;
		op(c, (enum wop)rmw_ops[i].fused);
		c->cur_off = save;
		WSS(c, x, a.slot);
		WUU(c, 0, off);
		return true;
	}
	return false;
}

static void store(struct cc *c, enum wop o, uint8_t t, uint32_t nat)
{
	uint32_t off;
	memarg(c, nat, &off);
	uint32_t x, y;
	struct ent v = pop_t(c, t);
	struct ent a = pop_t(c, EWASM_I32);
	if (rmw(c, o, t, a, v, off))
		return;
	if (c->fuse && live(c) && v.slot == tslot(c->height + 1) && c->fold_end == c->ncode &&
	    v.slot == c->fold_slot && !(a.slot & TAG_TEMP)) {
		/* load straight into store: a memory-to-memory copy */
		const void *lh = c->code[c->fold_op_pc].h;
		enum wop cop = OP__COUNT;
		if (lh == c->h[OP_I32_LOAD] && o == OP_STORE32)
			cop = OP_COPY32;
		else if (lh == c->h[OP_I64_LOAD] && o == OP_STORE64)
			cop = OP_COPY64;
		else if ((lh == c->h[OP_I32_LOAD8_U] || lh == c->h[OP_I32_LOAD8_S]) &&
		         o == OP_STORE8)
			cop = OP_COPY8;
		if (cop != OP__COUNT) {
			uint32_t src = c->code[c->fold_op_pc + 1].s.a;
			uint32_t soff = c->code[c->fold_op_pc + 2].s.a;
			c->ncode = c->fold_op_pc;
			while (c->nrel && c->rel[c->nrel - 1].word >= c->ncode)
				c->nrel--;
			if (c->npcm && c->pcm[c->npcm - 1].pc >= c->ncode)
				c->npcm--;
			c->fold_end = NONE;
			op(c, cop);
			WSS(c, src, a.slot);
			WUU(c, soff, off);
			return;
		}
	}
	if (a.slot == tslot(c->height) && v.slot != tslot(c->height + 1) &&
	    take_add(c, a, &x, &y)) {
		op(c, (enum wop)(o + (OP_STORE32_ADD - OP_STORE32)));
		WSS(c, x, y);
		WSU(c, v.slot, off);
		return;
	}
	op(c, o);
	WSS(c, a.slot, v.slot);
	WUU(c, off, 0);
}

static void zero_byte(struct cc *c)
{
	if (wasm__u8(&c->r) != 0)
		wasm__fail(&c->r, EWASM_ERR_MALFORMED, "zero byte expected");
}

static void need_mem(struct cc *c)
{
	if (c->m->nmems == 0)
		wasm__fail(&c->r, EWASM_ERR_INVALID, "unknown memory 0");
}

static uint32_t table_idx(struct cc *c)
{
	uint32_t x = wasm__u32(&c->r);
	if (x >= c->m->ntables)
		wasm__fail(&c->r, EWASM_ERR_INVALID, "unknown table %u", x);
	return x;
}

static uint32_t elem_idx(struct cc *c)
{
	uint32_t x = wasm__u32(&c->r);
	if (x >= c->m->nelems)
		wasm__fail(&c->r, EWASM_ERR_INVALID, "unknown elem segment %u", x);
	return x;
}

static void check_data_idx(struct cc *c, uint32_t x)
{
	if (x >= c->m->ndatas && x >= c->m->datacount)
		wasm__fail(&c->r, EWASM_ERR_INVALID, "unknown data segment %u", x);
	if (!c->m->has_datacount)
		wasm__fail(&c->r, EWASM_ERR_MALFORMED, "data count section required");
	if (x >= c->m->datacount)
		wasm__fail(&c->r, EWASM_ERR_INVALID, "unknown data segment %u", x);
}

/* Pops the call's arguments, leaves them in place, pushes results. */
static uint32_t call_args(struct cc *c, const struct wtype *ft)
{
	for (uint32_t i = ft->nparams; i-- > 0;)
		pop_t(c, ft->params[i]);
	uint32_t base = c->height;
	if (!live(c)) /* the pops may have been of the polymorphic stack */
		return tslot(base);
	for (uint32_t i = 0; i < ft->nparams; i++) {
		c->height++;
		materialize(c, base + i);
	}
	c->height = base;
	return tslot(base);
}

static void call_results(struct cc *c, const struct wtype *ft)
{
	for (uint32_t i = 0; i < ft->nresults; i++)
		push_t(c, ft->results[i]);
	c->fold_end = NONE;
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
	c->ncode = c->fold_op_pc;
	while (c->nrel && c->rel[c->nrel - 1].word >= c->ncode)
		c->nrel--;
	if (c->npcm && c->pcm[c->npcm - 1].pc >= c->ncode)
		c->npcm--;
	c->fold_end = NONE;
}

/*
 * If the condition was produced by the instruction just emitted and is an
 * i32 comparison (or eqz), removes it and returns the fused branch op to
 * use (negated if `neg`) with its operands in a and b (b may be a constant
 * slot: emit_cmp_branch() then uses the immediate form); else returns -1.
 * `forward`: the target is not a loop header, so ops without an interrupt
 * checking loop variant (f64 compares) may be fused too.
 */
static int fuse_cond(struct cc *c, struct ent cond, bool neg, bool forward, uint32_t *a,
                     uint32_t *b, bool *is_eqz)
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
			unemit(c, p);
			return neg ? f64_br[fk] : f64_nbr[fk];
		}
		if ((ph == c->h[OP_I32_AND] || ph == c->h[OP_I32_AND_I] || k >= 0) &&
		    dst == w->s.a) {
			*a = pw->s.a;
			*b = imm ? const_slot(c, (uint32_t)pw[1].u64) : pw->s.b;
			unemit(c, p);
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
		*b = h == c->h[OP_I32_AND] ? w->s.b : const_slot(c, (uint32_t)w[1].u64);
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
			*b = const_slot(c, (uint32_t)w[1].u64);
		} else {
			continue;
		}
		drop_cond(c);
		return cmp_fused[neg ? cmp_negate[k] : k];
	}
	return -1;
}

/* Emits fused compare-and-branch `f` on (a, b), without its branch word. */
static void emit_cmp_branch(struct cc *c, int f, uint32_t a, uint32_t b)
{
	if (f >= OP_BR_I32_EQ && f <= OP_BR_I32_GE_U && is_const(b)) {
		op(c, (enum wop)(f + (OP_BR_I32_EQ_I - OP_BR_I32_EQ)));
		WSU(c, a, (uint32_t)const_val(c, b));
		return;
	}
	if ((f == OP_BR_AND || f == OP_BR_NAND) && is_const(b)) {
		op(c, f == OP_BR_AND ? OP_BR_AND_I : OP_BR_NAND_I);
		WSU(c, a, (uint32_t)const_val(c, b));
		return;
	}
	op(c, (enum wop)f);
	WSS(c, a, b);
}

/*
 * A loop back edge `compare(x, o); br_if` right after `x = p + q` (the
 * usual counter update): one ADD_BR_*_LOOP op, [h][p|q][x|o][rel]. `f` is
 * the fused compare-branch op already chosen for (a, b).
 */
static bool add_branch(struct cc *c, struct ctl *t, int f, uint32_t a, uint32_t b)
{
	static const uint8_t swapped[10] = {0, 1, 4, 5, 2, 3, 8, 9, 6, 7};
	uint32_t p = c->prev_op;
	int k = f - OP_BR_I32_EQ;
	if (t->kind != K_LOOP || c->m->engine->cfg.consume_fuel || k < 0 || k >= 10 || p == NONE ||
	    p + 3 != c->ncode || c->label_pos > p)
		return false;
	uint32_t x, other, ps, qs;
	if (c->code[p].h == c->h[OP_I32_ADD]) {
		ps = c->code[p + 1].s.a;
		qs = c->code[p + 1].s.b;
		x = c->code[p + 2].s.a;
	} else if (c->code[p].h == c->h[OP_I32_ADD_I]) {
		ps = c->code[p + 1].s.a;
		qs = const_slot(c, (uint32_t)c->code[p + 2].u64);
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
	unemit(c, p);
	op(c, (enum wop)(OP_ADD_BR_EQ_LOOP + k));
	c->pcm[c->npcm - 1].off = at;
	WSS(c, ps, qs);
	WSS(c, x, other);
	return true;
}

/* Emits a conditional branch on `cond` to label `t` (when true). */
static void cond_branch(struct cc *c, struct ent cond, struct ctl *t)
{
	uint32_t a = 0, b = 0;
	bool eqz;
	if (!live(c))
		return;
	if (!branch_needs_moves(c, t)) {
		int f = fuse_cond(c, cond, false, t->kind != K_LOOP, &a, &b, &eqz);
		if (f < 0) {
			op(c, OP_BR_IF);
			WSU(c, cond.slot, 0);
		} else if (eqz) {
			op(c, (enum wop)f);
			WSU(c, a, 0);
		} else if (!add_branch(c, t, f, a, b)) {
			emit_cmp_branch(c, f, a, b);
		}
		branch_word(c, t);
		return;
	}
	op(c, OP_BR_UNLESS);
	WSU(c, cond.slot, 0);
	uint32_t skip = c->ncode;
	w64(c, 0);
	branch_moves(c, t);
	op(c, OP_BR);
	branch_word(c, t);
	if (live(c))
		patch_to(c, skip, c->ncode);
	label_here(c);
}

static void do_br_table(struct cc *c)
{
	uint32_t n = wasm__u32(&c->r);
	if (n > cursor_left(&c->r.c))
		wasm__fail(&c->r, EWASM_ERR_MALFORMED, "unexpected end");
	xfree(c->scratch);
	c->scratch = NULL;
	uint32_t *labels = grow(c, NULL, &(uint32_t){0}, n + 1, sizeof(uint32_t));
	c->scratch = labels;
	for (uint32_t i = 0; i <= n; i++)
		labels[i] = wasm__u32(&c->r);
	struct ent idx = pop_t(c, EWASM_I32);
	struct ctl *def = NULL;
	uint32_t arity = 0;
	const uint8_t *ty;
	for (uint32_t i = 0; i <= n; i++) {
		if (labels[i] >= c->nct)
			wasm__fail(&c->r, EWASM_ERR_INVALID, "unknown label %u", labels[i]);
	}
	def = label(c, labels[n]);
	label_types(def, &arity, &ty);
	for (uint32_t i = 0; i <= n; i++) {
		struct ctl *t = label(c, labels[i]);
		uint32_t a2;
		label_types(t, &a2, &ty);
		if (a2 != arity)
			wasm__fail(&c->r, EWASM_ERR_INVALID,
			           "type mismatch: br_table labels have different arities");
		peek_label(c, t);
	}
	if (live(c)) {
		op(c, OP_BR_TABLE);
		WSU(c, idx.slot, n);
		uint32_t tab = c->ncode;
		for (uint32_t i = 0; i <= n; i++)
			w64(c, 0);
		for (uint32_t i = 0; i <= n; i++) {
			struct ctl *t = label(c, labels[i]);
			bool back = t->kind == K_LOOP && !c->m->engine->cfg.consume_fuel;
			if (!back && !branch_needs_moves(c, t)) {
				/* the table word itself is the branch word */
				if (t->kind == K_LOOP) {
					patch_to(c, tab + i, t->loop_pc);
				} else {
					c->code[tab + i].u64 = t->fix_head;
					t->fix_head = tab + i;
				}
				continue;
			}
			patch_to(c, tab + i, c->ncode);
			label_here(c);
			branch_moves(c, t);
			op(c, OP_BR);
			branch_word(c, t);
		}
	}
	set_unreachable(c);
}

/* True if settle() would emit moves (params must sit in place, no entry
 * may alias a local). */
static bool needs_settle(struct cc *c, uint32_t from)
{
	for (uint32_t i = 0; i < c->height; i++)
		if (c->st[i].slot != tslot(i) && (i >= from || !(c->st[i].slot & TAG_MASK)))
			return true;
	return false;
}

static void do_block(struct cc *c, uint8_t kind)
{
	struct ctl proto;
	struct ent cond = {0, 0};
	int fused = -1;
	uint32_t a = 0, b = 0;
	bool eqz = false;

	memset(&proto, 0, sizeof(proto));
	if (kind == K_IF)
		cond = pop_t(c, EWASM_I32);
	read_blocktype(c, &proto);
	retype_top(c, proto.np, proto.p);
	if (kind == K_IF && live(c) && cond.type == EWASM_I32 &&
	    !needs_settle(c, c->height - proto.np))
		fused = fuse_cond(c, cond, true, true, &a, &b, &eqz);
	settle(c, c->height - proto.np);
	label_here(c);
	struct ctl *t = push_ctl(c, kind, &proto);
	if (kind == K_LOOP) {
		c->seen_loop = true;
		t->loop_pc = c->ncode;
		if (c->m->engine->cfg.consume_fuel)
			op(c, OP_FUEL_CHECK);
	} else if (kind == K_IF && live(c)) {
		if (fused < 0) {
			op(c, OP_BR_UNLESS);
			WSU(c, cond.slot, 0);
		} else if (eqz) {
			op(c, (enum wop)fused);
			WSU(c, a, 0);
		} else {
			emit_cmp_branch(c, fused, a, b);
		}
		t->else_fix = c->ncode;
		w64(c, 0);
	}
}

static void do_else(struct cc *c)
{
	struct ctl *t = top(c);
	if (t->kind != K_IF)
		wasm__fail(&c->r, EWASM_ERR_MALFORMED, "else without if");
	check_results(c, t);
	if (live(c)) {
		for (uint32_t i = 0; i < t->nr; i++)
			materialize(c, t->height + i);
		op(c, OP_BR);
		branch_word(c, t);
	}
	if (!t->dead && t->else_fix != NONE)
		patch_to(c, t->else_fix, c->ncode);
	t->else_fix = NONE;
	t->kind = K_ELSE;
	t->unreachable = false;
	c->height = t->height;
	for (uint32_t i = 0; i < t->np; i++)
		push_t(c, t->p[i]);
	label_here(c);
}

/* Returns true when the function's final `end` was processed. */
static bool do_end(struct cc *c)
{
	struct ctl *t = top(c);
	check_results(c, t);
	if (t->kind == K_IF) {
		if (t->np != t->nr || (t->np && memcmp(t->p, t->r, t->np)))
			wasm__fail(
			    &c->r, EWASM_ERR_INVALID,
			    "type mismatch: if without else must have matching params and results");
	}
	if (t->kind != K_FUNC || t->fix_head != NONE)
		for (uint32_t i = 0; i < t->nr; i++)
			materialize(c, t->height + i);
	if (t->kind == K_FUNC) {
		if (t->fix_head != NONE) {
			/* branches to the function's label land on the return */
			patch_chain(c, t->fix_head, c->ncode);
			t->unreachable = false;
			c->height = t->height;
			for (uint32_t i = 0; i < t->nr; i++)
				push_t(c, t->r[i]);
			label_here(c);
		}
		emit_return(c);
		c->nct--;
		return true;
	}
	uint32_t here = c->ncode;
	bool was_dead = t->dead;
	if (!was_dead) {
		patch_chain(c, t->fix_head, here);
		if (t->else_fix != NONE)
			patch_to(c, t->else_fix, here);
	}
	uint32_t h = t->height, nr = t->nr;
	uint8_t rt[1];
	const uint8_t *r = t->r;
	if (nr == 1) {
		rt[0] = t->r[0];
		r = rt;
	}
	c->nct--;
	c->height = h;
	for (uint32_t i = 0; i < nr; i++)
		push_t(c, r[i]);
	label_here(c);
	return false;
}

static void do_call(struct cc *c)
{
	uint32_t f = wasm__u32(&c->r);
	if (f >= c->m->nfuncs)
		wasm__fail(&c->r, EWASM_ERR_INVALID, "unknown function %u", f);
	const struct wtype *ft = &c->m->types[c->m->func_type[f]];
	uint32_t base = call_args(c, ft);
	if (c->fuse && f >= c->m->nfunc_imports) {
		/* same module: the callee's compiled code is known now */
		op(c, OP_CALL_LOCAL);
		WUS(c, f, base);
		if (live(c)) {
			cword w;
			w.h = &c->m->codes[f - c->m->nfunc_imports];
			put(c, w);
		}
	} else {
		op(c, OP_CALL);
		WUS(c, f, base);
	}
	call_results(c, ft);
}

static void do_call_indirect(struct cc *c)
{
	uint32_t ti = wasm__u32(&c->r);
	uint32_t tab = wasm__u32(&c->r);
	if (tab >= c->m->ntables)
		wasm__fail(&c->r, EWASM_ERR_INVALID, "unknown table %u", tab);
	if (ti >= c->m->ntypes)
		wasm__fail(&c->r, EWASM_ERR_INVALID, "unknown type %u", ti);
	if (c->m->tables[tab].elem != EWASM_FUNCREF)
		wasm__fail(&c->r, EWASM_ERR_INVALID,
		           "type mismatch: call_indirect on a non-funcref table");
	const struct wtype *ft = &c->m->types[ti];
	struct ent idx = pop_t(c, EWASM_I32);
	uint32_t base = call_args(c, ft);
	op(c, OP_CALL_INDIRECT);
	WUU(c, tab, ti);
	WSS(c, idx.slot, base);
	call_results(c, ft);
}

static void do_select(struct cc *c, bool typed)
{
	uint8_t want = T_UNKNOWN;
	if (typed) {
		uint32_t n = wasm__u32(&c->r);
		if (n != 1)
			wasm__fail(&c->r, EWASM_ERR_INVALID, "invalid result arity");
		want = wasm__valtype(&c->r);
	}
	struct ent cond = pop_t(c, EWASM_I32);
	struct ent b = pop_t(c, want);
	struct ent a = pop_t(c, want);
	uint8_t t = want;
	if (!typed) {
		if (is_ref(a.type) || is_ref(b.type))
			wasm__fail(&c->r, EWASM_ERR_INVALID,
			           "type mismatch: select needs numeric operands");
		if (a.type && b.type && a.type != b.type)
			mismatch(c, a.type, b.type);
		t = a.type ? a.type : b.type;
	}
	uint32_t pc = c->ncode;
	op(c, OP_SELECT);
	WSS(c, cond.slot, a.slot);
	uint32_t d = push_t(c, t);
	WSS(c, b.slot, d);
	foldable(c, d, 1, pc);
}

static void do_fc(struct cc *c)
{
	uint32_t sub = wasm__u32(&c->r);
	struct ent a, b, v;
	uint32_t x, y, d;
	if (sub <= 7) {
		numeric(c, 128 + sub, (enum wop)(OP_I32_TRUNC_SAT_F32_S + sub));
		return;
	}
	switch (sub) {
	case 8: /* memory.init */
		x = wasm__u32(&c->r);
		zero_byte(c);
		need_mem(c);
		check_data_idx(c, x);
		v = pop_t(c, EWASM_I32);
		b = pop_t(c, EWASM_I32);
		a = pop_t(c, EWASM_I32);
		op(c, OP_MEMORY_INIT);
		WUS(c, x, a.slot);
		WSS(c, b.slot, v.slot);
		break;
	case 9:
		x = wasm__u32(&c->r);
		check_data_idx(c, x);
		op(c, OP_DATA_DROP);
		WUU(c, x, 0);
		break;
	case 10:
		zero_byte(c);
		zero_byte(c);
		need_mem(c);
		v = pop_t(c, EWASM_I32);
		b = pop_t(c, EWASM_I32);
		a = pop_t(c, EWASM_I32);
		op(c, OP_MEMORY_COPY);
		WSS(c, a.slot, b.slot);
		WSU(c, v.slot, 0);
		break;
	case 11:
		zero_byte(c);
		need_mem(c);
		v = pop_t(c, EWASM_I32);
		b = pop_t(c, EWASM_I32);
		a = pop_t(c, EWASM_I32);
		op(c, OP_MEMORY_FILL);
		WSS(c, a.slot, b.slot);
		WSU(c, v.slot, 0);
		break;
	case 12: /* table.init elem table */
		y = elem_idx(c);
		x = table_idx(c);
		if (c->m->elems[y].type != c->m->tables[x].elem)
			wasm__fail(&c->r, EWASM_ERR_INVALID,
			           "type mismatch: table.init element type");
		v = pop_t(c, EWASM_I32);
		b = pop_t(c, EWASM_I32);
		a = pop_t(c, EWASM_I32);
		op(c, OP_TABLE_INIT);
		WUU(c, x, y);
		WSS(c, a.slot, b.slot);
		WSU(c, v.slot, 0);
		break;
	case 13:
		x = elem_idx(c);
		op(c, OP_ELEM_DROP);
		WUU(c, x, 0);
		break;
	case 14: /* table.copy dst src */
		x = table_idx(c);
		y = table_idx(c);
		if (c->m->tables[x].elem != c->m->tables[y].elem)
			wasm__fail(&c->r, EWASM_ERR_INVALID,
			           "type mismatch: table.copy element types");
		v = pop_t(c, EWASM_I32);
		b = pop_t(c, EWASM_I32);
		a = pop_t(c, EWASM_I32);
		op(c, OP_TABLE_COPY);
		WUU(c, x, y);
		WSS(c, a.slot, b.slot);
		WSU(c, v.slot, 0);
		break;
	case 15: /* table.grow */
		x = table_idx(c);
		b = pop_t(c, EWASM_I32);
		a = pop_t(c, c->m->tables[x].elem);
		op(c, OP_TABLE_GROW);
		WUS(c, x, a.slot);
		d = push_t(c, EWASM_I32);
		WSS(c, b.slot, d);
		c->fold_end = NONE;
		break;
	case 16:
		x = table_idx(c);
		op(c, OP_TABLE_SIZE);
		d = push_t(c, EWASM_I32);
		WUS(c, x, d);
		c->fold_end = NONE;
		break;
	case 17: /* table.fill */
		x = table_idx(c);
		v = pop_t(c, EWASM_I32);
		b = pop_t(c, c->m->tables[x].elem);
		a = pop_t(c, EWASM_I32);
		op(c, OP_TABLE_FILL);
		WUS(c, x, a.slot);
		WSS(c, b.slot, v.slot);
		break;
	default: wasm__fail(&c->r, EWASM_ERR_MALFORMED, "illegal opcode 0xfc %u", sub);
	}
}

static void global_op(struct cc *c, bool set)
{
	uint32_t g = wasm__u32(&c->r);
	if (g >= c->m->nglobals)
		wasm__fail(&c->r, EWASM_ERR_INVALID, "unknown global %u", g);
	ewasm_globaltype gt = {0, 0};
	if (g < c->m->nglobal_imports) {
		uint32_t n = 0;
		for (uint32_t k = 0; k < c->m->nimports; k++)
			if (c->m->imports[k].type.kind == EWASM_EXTERN_GLOBAL && n++ == g)
				gt = c->m->imports[k].type.of.global;
	} else {
		gt = c->m->globals[g - c->m->nglobal_imports].type;
	}
	if (set) {
		if (!gt.mutable_)
			wasm__fail(&c->r, EWASM_ERR_INVALID, "global is immutable");
		struct ent v = pop_t(c, gt.type);
		op(c, OP_GLOBAL_SET);
		WUS(c, g, v.slot);
		return;
	}
	uint32_t pc = c->ncode;
	op(c, OP_GLOBAL_GET);
	uint32_t d = push_t(c, gt.type);
	WUS(c, g, d);
	foldable(c, d, 1, pc);
}

static void table_getset(struct cc *c, bool set)
{
	uint32_t x = table_idx(c);
	uint8_t et = c->m->tables[x].elem;
	if (set) {
		struct ent v = pop_t(c, et);
		struct ent i = pop_t(c, EWASM_I32);
		op(c, OP_TABLE_SET);
		WUS(c, x, i.slot);
		WSU(c, v.slot, 0);
		return;
	}
	struct ent i = pop_t(c, EWASM_I32);
	op(c, OP_TABLE_GET);
	WUS(c, x, i.slot);
	uint32_t d = push_t(c, et);
	WSU(c, d, 0);
	c->fold_end = NONE;
}

/* Compiles one instruction; returns true at the function's final end. */
static bool instr(struct cc *c)
{
	c->cur_off = (uint32_t)RD_OFF(&c->r);
	uint8_t o = wasm__u8(&c->r);
	struct ent a;
	uint32_t x, d, pc;

	if (o >= 0x45 && o <= 0xc4) {
		numeric(c, o - 0x45u, (enum wop)(OP_I32_EQZ + (o - 0x45)));
		return false;
	}
	switch (o) {
	case 0x00:
		op(c, OP_UNREACHABLE);
		set_unreachable(c);
		break;
	case 0x01: break;
	case 0x02: do_block(c, K_BLOCK); break;
	case 0x03: do_block(c, K_LOOP); break;
	case 0x04: do_block(c, K_IF); break;
	case 0x05: do_else(c); break;
	case 0x0b: return do_end(c);
	case 0x0c: {
		struct ctl *t = label(c, wasm__u32(&c->r));
		peek_label(c, t);
		if (live(c))
			branch_moves(c, t);
		op(c, OP_BR);
		branch_word(c, t);
		set_unreachable(c);
		break;
	}
	case 0x0d: {
		struct ctl *t = label(c, wasm__u32(&c->r));
		struct ent cond = pop_t(c, EWASM_I32);
		uint32_t n;
		const uint8_t *ty;
		label_types(t, &n, &ty);
		retype_top(c, n, ty);
		cond_branch(c, cond, t);
		break;
	}
	case 0x0e: do_br_table(c); break;
	case 0x0f:
		retype_top(c, c->ct[0].nr, c->ct[0].r);
		emit_return(c);
		set_unreachable(c);
		break;
	case 0x10: do_call(c); break;
	case 0x11: do_call_indirect(c); break;
	case 0x1a: pop(c); break;
	case 0x1b: do_select(c, false); break;
	case 0x1c: do_select(c, true); break;
	case 0x20:
		x = wasm__u32(&c->r);
		push(c, local_type(c, x), x);
		break;
	case 0x21: local_set(c, wasm__u32(&c->r), false); break;
	case 0x22: local_set(c, wasm__u32(&c->r), true); break;
	case 0x23: global_op(c, false); break;
	case 0x24: global_op(c, true); break;
	case 0x25: table_getset(c, false); break;
	case 0x26: table_getset(c, true); break;
	case 0x28: load(c, OP_I32_LOAD, EWASM_I32, 2); break;
	case 0x29: load(c, OP_I64_LOAD, EWASM_I64, 3); break;
	case 0x2a: load(c, OP_I32_LOAD, EWASM_F32, 2); break;
	case 0x2b: load(c, OP_I64_LOAD, EWASM_F64, 3); break;
	case 0x2c: load(c, OP_I32_LOAD8_S, EWASM_I32, 0); break;
	case 0x2d: load(c, OP_I32_LOAD8_U, EWASM_I32, 0); break;
	case 0x2e: load(c, OP_I32_LOAD16_S, EWASM_I32, 1); break;
	case 0x2f: load(c, OP_I32_LOAD16_U, EWASM_I32, 1); break;
	case 0x30: load(c, OP_I64_LOAD8_S, EWASM_I64, 0); break;
	case 0x31: load(c, OP_I64_LOAD8_U, EWASM_I64, 0); break;
	case 0x32: load(c, OP_I64_LOAD16_S, EWASM_I64, 1); break;
	case 0x33: load(c, OP_I64_LOAD16_U, EWASM_I64, 1); break;
	case 0x34: load(c, OP_I64_LOAD32_S, EWASM_I64, 2); break;
	case 0x35: load(c, OP_I64_LOAD32_U, EWASM_I64, 2); break;
	case 0x36: store(c, OP_STORE32, EWASM_I32, 2); break;
	case 0x37: store(c, OP_STORE64, EWASM_I64, 3); break;
	case 0x38: store(c, OP_STORE32, EWASM_F32, 2); break;
	case 0x39: store(c, OP_STORE64, EWASM_F64, 3); break;
	case 0x3a: store(c, OP_STORE8, EWASM_I32, 0); break;
	case 0x3b: store(c, OP_STORE16, EWASM_I32, 1); break;
	case 0x3c: store(c, OP_STORE8, EWASM_I64, 0); break;
	case 0x3d: store(c, OP_STORE16, EWASM_I64, 1); break;
	case 0x3e: store(c, OP_STORE32, EWASM_I64, 2); break;
	case 0x3f:
		zero_byte(c);
		need_mem(c);
		op(c, OP_MEMORY_SIZE);
		d = push_t(c, EWASM_I32);
		WSU(c, d, 0);
		c->fold_end = NONE;
		break;
	case 0x40:
		zero_byte(c);
		need_mem(c);
		a = pop_t(c, EWASM_I32);
		pc = c->ncode;
		op(c, OP_MEMORY_GROW);
		d = push_t(c, EWASM_I32);
		WSS(c, a.slot, d);
		foldable(c, d, 1, pc);
		break;
	case 0x41: push(c, EWASM_I32, const_slot(c, (uint32_t)wasm__s32(&c->r))); break;
	case 0x42: push(c, EWASM_I64, const_slot(c, (uint64_t)wasm__s64(&c->r))); break;
	case 0x43: push(c, EWASM_F32, const_slot(c, wasm__f32(&c->r))); break;
	case 0x44: push(c, EWASM_F64, const_slot(c, wasm__f64(&c->r))); break;
	case 0xd0: {
		uint8_t t = wasm__u8(&c->r);
		if (t != EWASM_FUNCREF && t != EWASM_EXTERNREF)
			wasm__fail(&c->r, EWASM_ERR_MALFORMED, "malformed reference type");
		push(c, t, const_slot(c, 0));
		break;
	}
	case 0xd1:
		a = pop(c);
		if (a.type != T_UNKNOWN && !is_ref(a.type))
			wasm__fail(&c->r, EWASM_ERR_INVALID,
			           "type mismatch: ref.is_null needs a reference");
		pc = c->ncode;
		op(c, OP_REF_IS_NULL);
		d = push_t(c, EWASM_I32);
		WSS(c, a.slot, d);
		foldable(c, d, 1, pc);
		break;
	case 0xd2:
		x = wasm__u32(&c->r);
		if (x >= c->m->nfuncs)
			wasm__fail(&c->r, EWASM_ERR_INVALID, "unknown function %u", x);
		if (!c->m->func_declared[x])
			wasm__fail(&c->r, EWASM_ERR_INVALID, "undeclared function reference");
		pc = c->ncode;
		op(c, OP_REF_FUNC);
		d = push_t(c, EWASM_FUNCREF);
		WUS(c, x, d);
		foldable(c, d, 1, pc);
		break;
	case 0xfc: do_fc(c); break;
	default: c->r.c.p--; wasm__fail(&c->r, EWASM_ERR_MALFORMED, "illegal opcode 0x%02x", o);
	}
	return false;
}

static void read_locals(struct cc *c, const struct wtype *ft)
{
	uint32_t ngroups = wasm__u32(&c->r);
	uint64_t total = ft->nparams;
	const uint8_t *save = c->r.c.p;
	for (uint32_t i = 0; i < ngroups; i++) {
		total += wasm__u32(&c->r);
		if (total > UINT32_MAX)
			wasm__fail(&c->r, EWASM_ERR_MALFORMED, "too many locals");
		wasm__valtype(&c->r);
	}
	c->r.c.p = save;
	if (total > (1u << 20))
		wasm__fail(&c->r, EWASM_ERR_LIMIT, "function has too many locals (%llu)",
		           (unsigned long long)total);
	c->ltypes = xmalloc(total + 1);
	c->written = xcalloc(total + 1, 1);
	if (!c->ltypes || !c->written)
		wasm__fail(&c->r, EWASM_ERR_NOMEM, "out of memory");
	c->nparams = ft->nparams;
	memcpy(c->ltypes, ft->params, ft->nparams);
	uint32_t k = ft->nparams;
	for (uint32_t i = 0; i < ngroups; i++) {
		uint32_t n = wasm__u32(&c->r);
		uint8_t t = wasm__valtype(&c->r);
		memset(c->ltypes + k, t, n);
		k += n;
	}
	c->nlocals_all = k;
}

/* Resolves slot tags and hands the buffers to the function's wcode. */
static void finish(struct cc *c, const struct wtype *ft)
{
	struct wcode *fc = c->fc;
	uint32_t L = c->nlocals_all, K = 0;
	/* only constants some op reads from a slot get one (immediates and
	 * fused-away ops left the others unused); chash is reused for the
	 * renumbering: old index -> new index + 1 */
	if (c->chash)
		memset(c->chash, 0, (size_t)c->chash_cap * sizeof(uint32_t));
	for (uint32_t i = 0; i < c->nrel; i++) {
		if (c->rel[i].word == NONE)
			continue;
		cword *w = &c->code[c->rel[i].word];
		uint32_t f = c->rel[i].half ? w->s.b : w->s.a;
		if ((f & TAG_MASK) == TAG_CONST)
			c->chash[f & ~TAG_MASK] = 1;
	}
	for (uint32_t i = 0; i < c->nconsts; i++) {
		if (c->chash[i]) {
			c->consts[K] = c->consts[i]; /* K <= i: in place */
			c->chash[i] = ++K;
		}
	}
	for (uint32_t i = 0; i < c->nrel; i++) {
		if (c->rel[i].word == NONE)
			continue;
		cword *w = &c->code[c->rel[i].word];
		uint32_t *f = c->rel[i].half ? &w->s.b : &w->s.a;
		if ((*f & TAG_MASK) == TAG_CONST)
			*f = L + c->chash[*f & ~TAG_MASK] - 1;
		else if ((*f & TAG_MASK) == TAG_TEMP)
			*f = L + K + (*f & ~TAG_MASK);
	}
	fc->nparams = ft->nparams;
	fc->nlocals = L - ft->nparams;
	fc->local_types = c->ltypes;
	c->ltypes = NULL;
	fc->nconsts = K;
	fc->ninit = (L - ft->nparams) + K;
	/* padded to an even count: the entry copies two slots at a time */
	fc->init = xcalloc((size_t)fc->ninit + 2, sizeof(uint64_t));
	if (!fc->init)
		wasm__fail(&c->r, EWASM_ERR_NOMEM, "out of memory");
	if (K)
		memcpy(fc->init + (L - ft->nparams), c->consts, (size_t)K * sizeof(uint64_t));
	fc->consts = c->consts;
	c->consts = NULL;
	uint64_t fs = (uint64_t)L + K + c->maxh + 1;
	if (fs < ft->nresults)
		fs = ft->nresults;
	if (fs < (uint64_t)L + K + 1)
		fs = (uint64_t)L + K + 1; /* room for the entry's even copy */
	fc->frame_slots = (uint32_t)fs;
	fc->code = c->code;
	fc->ncode = c->ncode;
	c->code = NULL;
	fc->pcmap = c->pcm;
	fc->npcmap = c->npcm;
	c->pcm = NULL;
}

static void cc_free(struct cc *c)
{
	xfree(c->st);
	xfree(c->ct);
	xfree(c->code);
	xfree(c->rel);
	xfree(c->pcm);
	xfree(c->consts);
	xfree(c->chash);
	xfree(c->ltypes);
	xfree(c->written);
	xfree(c->scratch);
}

static int compile_one(ewasm_module *m, uint32_t i, ewasm_error *err)
{
	struct cc c;
	jmp_buf jb;
	int rc;
	struct wcode *fc = &m->codes[i];
	const struct wtype *ft = &m->types[m->func_type[m->nfunc_imports + i]];

	memset(&c, 0, sizeof(c));
	cursor_init(&c.r.c, m->bytes, m->len);
	c.r.c.p = m->bytes + fc->body_off;
	c.r.c.end = c.r.c.p + fc->body_len;
	c.r.jb = &jb;
	c.r.err = err;
	c.r.fn = m->nfunc_imports + i;
	c.m = m;
	c.fc = fc;
	c.h = wasm__handlers(m->checked);
	c.fold_end = NONE;
	c.fuse = !m->engine->cfg.no_fusion;
	rc = setjmp(jb);
	if (rc) {
		cc_free(&c);
		return rc;
	}
	read_locals(&c, ft);
	struct ctl proto;
	memset(&proto, 0, sizeof(proto));
	proto.nr = ft->nresults;
	proto.r = ft->results;
	push_ctl(&c, K_FUNC, &proto);
	if (m->engine->cfg.consume_fuel)
		op(&c, OP_FUEL_CHECK); /* each call costs one unit, as each loop turn */
	for (;;) {
		if (cursor_eof(&c.r.c))
			wasm__fail(&c.r, EWASM_ERR_MALFORMED,
			           "unexpected end of section or function");
		if (instr(&c))
			break;
	}
	if (!cursor_eof(&c.r.c))
		wasm__fail(&c.r, EWASM_ERR_MALFORMED,
		           "section size mismatch (END opcode expected)");
	if ((uint64_t)c.nlocals_all + c.nconsts + c.maxh + 1 > 0x3fffffff)
		wasm__fail(&c.r, EWASM_ERR_LIMIT, "function frame too large");
	finish(&c, ft);
	cc_free(&c);
	return 0;
}

void wasm__code_free(struct wcode *c)
{
	xfree(c->local_types);
	xfree(c->consts);
	xfree(c->init);
	xfree(c->code);
	xfree(c->pcmap);
}

int wasm__compile(ewasm_module *m, ewasm_error *err)
{
	for (uint32_t i = 0; i < m->ncodes; i++) {
		int rc = compile_one(m, i, err);
		if (rc)
			return rc;
	}
	return 0;
}
