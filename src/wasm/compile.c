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
 *  - fuse.c replaces common op pairs with superinstructions.
 * Frame layout: [params | locals | constants | operand stack].
 */
#include <string.h>

#include "lib/alloc.h"
#include "wasm/compile.h"

/* The op-number arithmetic below relies on these runs of ops.def: the
 * numeric ops in wasm opcode order from i32.eqz (0x45) to i64.extend32_s
 * (0xc4), then the eight 0xfc trunc_sat ops (signature index 128 + sub); and
 * each fused-address load/store run parallel to its plain run. */
#define WASM_OP_AT(op, opcode)                                \
	_Static_assert(OP_##op - OP_I32_EQZ == (opcode)-0x45, \
	               #op " is not at wasm opcode " #opcode);
WASM_OP_AT(I64_EQZ, 0x50)
WASM_OP_AT(F32_EQ, 0x5b)
WASM_OP_AT(F64_EQ, 0x61)
WASM_OP_AT(I32_CLZ, 0x67)
WASM_OP_AT(I64_CLZ, 0x79)
WASM_OP_AT(F32_ABS, 0x8b)
WASM_OP_AT(F64_ABS, 0x99)
WASM_OP_AT(I32_WRAP_I64, 0xa7)
WASM_OP_AT(F32_CONVERT_I32_S, 0xb2)
WASM_OP_AT(I32_REINTERPRET_F32, 0xbc)
WASM_OP_AT(I32_EXTEND8_S, 0xc0)
WASM_OP_AT(I64_EXTEND32_S, 0xc4)
#undef WASM_OP_AT
_Static_assert(OP_I32_TRUNC_SAT_F32_S - OP_I32_EQZ == 128 &&
                   OP_I64_TRUNC_SAT_F64_U - OP_I32_TRUNC_SAT_F32_S == 7,
               "trunc_sat ops must follow the numeric run in 0xfc sub-opcode order");
_Static_assert(OP_I64_LOAD32_U_ADD - OP_I32_LOAD_ADD == OP_I64_LOAD32_U - OP_I32_LOAD &&
                   OP_I64_LOAD16_S_ADD - OP_I32_LOAD_ADD == OP_I64_LOAD16_S - OP_I32_LOAD &&
                   OP_I32_LOAD8_U_ADD - OP_I32_LOAD_ADD == OP_I32_LOAD8_U - OP_I32_LOAD,
               "the *_LOAD*_ADD ops must be in the order of the plain loads");
_Static_assert(OP_STORE16_ADD - OP_STORE32_ADD == OP_STORE16 - OP_STORE32 &&
                   OP_STORE8_ADD - OP_STORE32_ADD == OP_STORE8 - OP_STORE32 &&
                   OP_STORE64_ADD - OP_STORE32_ADD == OP_STORE64 - OP_STORE32,
               "the STORE*_ADD ops must be in the order of the plain stores");

void *cc__grow(struct cc *c, void *p, uint32_t *cap, uint32_t need, size_t size)
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

/* ------------------------------------------------------------ emission */

void cc__put(struct cc *c, cword w)
{
	c->code = cc__grow(c, c->code, &c->cap_code, c->ncode + 1, sizeof(cword));
	c->code[c->ncode++] = w;
}

void cc__op(struct cc *c, enum wop o)
{
	if (!live(c))
		return;
	c->pcm = cc__grow(c, c->pcm, &c->cap_pcm, c->npcm + 1, sizeof(*c->pcm));
	c->pcm[c->npcm].pc = c->ncode;
	c->pcm[c->npcm++].off = c->cur_off;
	cword w;
	w.u64 = 0;
	w.h = c->h[o];
	c->prev_op = c->last_op;
	c->last_op = c->ncode;
	cc__put(c, w);
}

static void note_reloc(struct cc *c, uint32_t v, uint8_t half)
{
	if (!(v & TAG_MASK))
		return;
	c->rel = cc__grow(c, c->rel, &c->cap_rel, c->nrel + 1, sizeof(*c->rel));
	c->rel[c->nrel].word = c->ncode;
	c->rel[c->nrel++].half = half;
}

/* A word of two fields; sa/sb say whether each is a slot (relocated). */
void cc__w2(struct cc *c, uint32_t a, bool sa, uint32_t b, bool sb)
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
	cc__put(c, w);
}
void cc__w64(struct cc *c, uint64_t v)
{
	if (!live(c))
		return;
	cword w;
	w.u64 = v;
	cc__put(c, w);
}

/* Remembers that the last op's result (slot `s`) is in code[ncode-1]'s
 * `half` field, so a following local.set can retarget it. */
void cc__foldable(struct cc *c, uint32_t s, uint8_t half, uint32_t op_pc)
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
void cc__unemit(struct cc *c, uint32_t at)
{
	c->ncode = at;
	while (c->nrel && c->rel[c->nrel - 1].word >= c->ncode)
		c->nrel--;
	while (c->npcm && c->pcm[c->npcm - 1].pc >= c->ncode)
		c->npcm--;
	c->fold_end = NONE;
	/* the ops before the cut stay known; removed ones are forgotten */
	if (c->prev_op != NONE && c->prev_op >= at)
		c->prev_op = NONE;
	if (c->last_op != NONE && c->last_op >= at) {
		c->last_op = c->prev_op;
		c->prev_op = NONE;
	}
}

/* Branch word: holds a relative offset (in words, from this word). */
static void patch_to(struct cc *c, uint32_t word, uint32_t target)
{
	c->code[word].i64 = (int64_t)target - (int64_t)word;
}

static void branch_word(struct cc *c, struct ctl *t)
{
	if (!live(c))
		return;
	if (t->kind == K_LOOP) {
		/* (with fuel the loop header's FUEL_CHECK checks too: the
		 * extra check is cheap and keeps one code shape) */
		int v = cc__loop_variant(c, c->code[c->last_op].h);
		if (v >= 0)
			c->code[c->last_op].h = c->h[v];
		cword w;
		w.i64 = (int64_t)t->loop_pc - (int64_t)c->ncode;
		cc__put(c, w);
	} else {
		cword w;
		w.u64 = t->fix_head;
		t->fix_head = c->ncode;
		cc__put(c, w);
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

void cc__push(struct cc *c, uint8_t type, uint32_t sl)
{
	c->st = cc__grow(c, c->st, &c->cap_st, c->height + 1, sizeof(*c->st));
	c->st[c->height].type = type;
	c->st[c->height].slot = sl;
	c->height++;
	if (c->height > c->maxh)
		c->maxh = c->height;
}

/* Pushes a result in its own stack slot; returns that slot. */
uint32_t cc__push_t(struct cc *c, uint8_t type)
{
	uint32_t s = tslot(c->height);
	cc__push(c, type, s);
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
	cc__op(c, OP_MOV);
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

uint32_t cc__const_slot(struct cc *c, uint64_t bits)
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
	c->consts = cc__grow(c, c->consts, &c->cap_consts, c->nconsts + 1, sizeof(uint64_t));
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
	c->ct = cc__grow(c, c->ct, &c->cap_ct, c->nct + 1, sizeof(*c->ct));
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
			cc__push_t(c, types[i]);
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
			cc__op(c, OP_RETURN);
		} else {
			cc__op(c, OP_RETURN1);
			WSU(c, e->slot, 0);
		}
		return;
	}
	if (n > 1)
		for (uint32_t i = 0; i < n; i++)
			materialize(c, c->height - n + i);
	for (uint32_t i = 0; i < n; i++) {
		cc__op(c, OP_MOV);
		WSU(c, c->st[c->height - n + i].slot, i);
	}
	cc__op(c, OP_RETURN);
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
			cc__push_t(c, t->r[i]);
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

const char *cc__sig_of(uint32_t idx)
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

/* A numeric instruction; idx 0..127 for 0x45..0xc4, 128.. for 0xfc 0..7. */
static void numeric(struct cc *c, uint32_t idx, enum wop o)
{
	const char *sg = cc__sig_of(idx);
	uint8_t ta = sig_type(sg[0]), tb = sig_type(sg[1]), tr = sig_type(sg[2]);
	if (tb) {
		struct ent b = pop_t(c, tb);
		struct ent a = pop_t(c, ta);
		uint32_t pc = c->ncode;
		if (cc__fuse_mem(c, o, a, b) || (o == OP_I32_OR && cc__fuse_funnel(c, a, b)) ||
		    cc__fuse_shift(c, o, a, b) || cc__fuse_mul(c, o, a, b) ||
		    cc__fuse_imm(c, o, a, b, tr))
			return;
		cc__op(c, o);
		WSS(c, a.slot, b.slot);
		uint32_t d = cc__push_t(c, tr);
		WSU(c, d, 0);
		cc__foldable(c, d, 0, pc);
		return;
	}
	struct ent a = pop_t(c, ta);
	/* reinterpretations and wrap are free: same bits in the slot */
	if (o == OP_I32_WRAP_I64 || o == OP_I32_REINTERPRET_F32 || o == OP_I64_REINTERPRET_F64 ||
	    o == OP_F32_REINTERPRET_I32 || o == OP_F64_REINTERPRET_I64) {
		cc__push(c, tr, a.slot);
		return;
	}
	uint32_t pc = c->ncode;
	cc__op(c, o);
	uint32_t d = cc__push_t(c, tr);
	WSS(c, a.slot, d);
	cc__foldable(c, d, 1, pc);
}

/* Makes the last op (see cc__foldable()) write its result to slot x. */
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
			cc__push(c, t, x);
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
		cc__push(c, t, x);
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

static void load(struct cc *c, enum wop o, uint8_t t, uint32_t nat)
{
	uint32_t off, x, y;
	memarg(c, nat, &off);
	struct ent a = pop_t(c, EWASM_I32);
	if (cc__fuse_load_idx(c, o, t, a, off))
		return;
	if (a.slot == tslot(c->height) && cc__take_add(c, a, &x, &y)) {
		uint32_t pc = c->ncode;
		cc__op(c, (enum wop)(o + (OP_I32_LOAD_ADD - OP_I32_LOAD)));
		uint32_t d = cc__push_t(c, t);
		WSS(c, x, y);
		WSU(c, d, off);
		cc__foldable(c, d, 0, pc);
		return;
	}
	uint32_t pc = c->ncode;
	cc__op(c, o);
	uint32_t d = cc__push_t(c, t);
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

static void store(struct cc *c, enum wop o, uint8_t t, uint32_t nat)
{
	uint32_t off;
	memarg(c, nat, &off);
	uint32_t x, y;
	struct ent v = pop_t(c, t);
	struct ent a = pop_t(c, EWASM_I32);
	if (cc__fuse_rmw(c, o, t, a, v, off))
		return;
	if (cc__fuse_copy(c, o, a, v, off))
		return;
	if (a.slot == tslot(c->height) && v.slot != tslot(c->height + 1) &&
	    cc__take_add(c, a, &x, &y)) {
		cc__op(c, (enum wop)(o + (OP_STORE32_ADD - OP_STORE32)));
		WSS(c, x, y);
		WSU(c, v.slot, off);
		return;
	}
	cc__op(c, o);
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
		cc__push_t(c, ft->results[i]);
	c->fold_end = NONE;
}

/* Emits a conditional branch on `cond` to label `t` (when true). */
static void cond_branch(struct cc *c, struct ent cond, struct ctl *t)
{
	uint32_t a = 0, b = 0;
	bool eqz;
	if (!live(c))
		return;
	if (!branch_needs_moves(c, t)) {
		int f = cc__fuse_cond(c, cond, false, t->kind != K_LOOP, &a, &b, &eqz);
		if (f < 0) {
			cc__op(c, OP_BR_IF);
			WSU(c, cond.slot, 0);
		} else if (eqz) {
			cc__op(c, (enum wop)f);
			WSU(c, a, 0);
		} else if (!cc__fuse_add_branch(c, t, f, a, b)) {
			cc__emit_cmp_branch(c, f, a, b);
		}
		branch_word(c, t);
		return;
	}
	cc__op(c, OP_BR_UNLESS);
	WSU(c, cond.slot, 0);
	uint32_t skip = c->ncode;
	cc__w64(c, 0);
	branch_moves(c, t);
	cc__op(c, OP_BR);
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
	uint32_t *labels = cc__grow(c, NULL, &(uint32_t){0}, n + 1, sizeof(uint32_t));
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
		cc__op(c, OP_BR_TABLE);
		WSU(c, idx.slot, n);
		uint32_t tab = c->ncode;
		for (uint32_t i = 0; i <= n; i++)
			cc__w64(c, 0);
		for (uint32_t i = 0; i <= n; i++) {
			struct ctl *t = label(c, labels[i]);
			bool back = t->kind == K_LOOP;
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
			cc__op(c, OP_BR);
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
		fused = cc__fuse_cond(c, cond, true, true, &a, &b, &eqz);
	settle(c, c->height - proto.np);
	label_here(c);
	struct ctl *t = push_ctl(c, kind, &proto);
	if (kind == K_LOOP) {
		c->seen_loop = true;
		t->loop_pc = c->ncode;
		if (c->m->engine->cfg.consume_fuel)
			cc__op(c, OP_FUEL_CHECK);
	} else if (kind == K_IF && live(c)) {
		if (fused < 0) {
			cc__op(c, OP_BR_UNLESS);
			WSU(c, cond.slot, 0);
		} else if (eqz) {
			cc__op(c, (enum wop)fused);
			WSU(c, a, 0);
		} else {
			cc__emit_cmp_branch(c, fused, a, b);
		}
		t->else_fix = c->ncode;
		cc__w64(c, 0);
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
		cc__op(c, OP_BR);
		branch_word(c, t);
	}
	if (!t->dead && t->else_fix != NONE)
		patch_to(c, t->else_fix, c->ncode);
	t->else_fix = NONE;
	t->kind = K_ELSE;
	t->unreachable = false;
	c->height = t->height;
	for (uint32_t i = 0; i < t->np; i++)
		cc__push_t(c, t->p[i]);
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
				cc__push_t(c, t->r[i]);
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
		cc__push_t(c, r[i]);
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
		cc__op(c, OP_CALL_LOCAL);
		WUS(c, f, base);
		if (live(c)) {
			cword w;
			w.h = &c->m->codes[f - c->m->nfunc_imports];
			cc__put(c, w);
		}
	} else {
		cc__op(c, OP_CALL);
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
	cc__op(c, OP_CALL_INDIRECT);
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
	cc__op(c, OP_SELECT);
	WSS(c, cond.slot, a.slot);
	uint32_t d = cc__push_t(c, t);
	WSS(c, b.slot, d);
	cc__foldable(c, d, 1, pc);
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
		cc__op(c, OP_MEMORY_INIT);
		WUS(c, x, a.slot);
		WSS(c, b.slot, v.slot);
		break;
	case 9:
		x = wasm__u32(&c->r);
		check_data_idx(c, x);
		cc__op(c, OP_DATA_DROP);
		WUU(c, x, 0);
		break;
	case 10:
		zero_byte(c);
		zero_byte(c);
		need_mem(c);
		v = pop_t(c, EWASM_I32);
		b = pop_t(c, EWASM_I32);
		a = pop_t(c, EWASM_I32);
		cc__op(c, OP_MEMORY_COPY);
		WSS(c, a.slot, b.slot);
		WSU(c, v.slot, 0);
		break;
	case 11:
		zero_byte(c);
		need_mem(c);
		v = pop_t(c, EWASM_I32);
		b = pop_t(c, EWASM_I32);
		a = pop_t(c, EWASM_I32);
		cc__op(c, OP_MEMORY_FILL);
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
		cc__op(c, OP_TABLE_INIT);
		WUU(c, x, y);
		WSS(c, a.slot, b.slot);
		WSU(c, v.slot, 0);
		break;
	case 13:
		x = elem_idx(c);
		cc__op(c, OP_ELEM_DROP);
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
		cc__op(c, OP_TABLE_COPY);
		WUU(c, x, y);
		WSS(c, a.slot, b.slot);
		WSU(c, v.slot, 0);
		break;
	case 15: /* table.grow */
		x = table_idx(c);
		b = pop_t(c, EWASM_I32);
		a = pop_t(c, c->m->tables[x].elem);
		cc__op(c, OP_TABLE_GROW);
		WUS(c, x, a.slot);
		d = cc__push_t(c, EWASM_I32);
		WSS(c, b.slot, d);
		c->fold_end = NONE;
		break;
	case 16:
		x = table_idx(c);
		cc__op(c, OP_TABLE_SIZE);
		d = cc__push_t(c, EWASM_I32);
		WUS(c, x, d);
		c->fold_end = NONE;
		break;
	case 17: /* table.fill */
		x = table_idx(c);
		v = pop_t(c, EWASM_I32);
		b = pop_t(c, c->m->tables[x].elem);
		a = pop_t(c, EWASM_I32);
		cc__op(c, OP_TABLE_FILL);
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
	ewasm_globaltype gt = *wasm__global_type(c->m, g);
	if (set) {
		if (!gt.mutable_)
			wasm__fail(&c->r, EWASM_ERR_INVALID, "global is immutable");
		struct ent v = pop_t(c, gt.type);
		cc__op(c, OP_GLOBAL_SET);
		WUS(c, g, v.slot);
		return;
	}
	uint32_t pc = c->ncode;
	cc__op(c, OP_GLOBAL_GET);
	uint32_t d = cc__push_t(c, gt.type);
	WUS(c, g, d);
	cc__foldable(c, d, 1, pc);
}

static void table_getset(struct cc *c, bool set)
{
	uint32_t x = table_idx(c);
	uint8_t et = c->m->tables[x].elem;
	if (set) {
		struct ent v = pop_t(c, et);
		struct ent i = pop_t(c, EWASM_I32);
		cc__op(c, OP_TABLE_SET);
		WUS(c, x, i.slot);
		WSU(c, v.slot, 0);
		return;
	}
	struct ent i = pop_t(c, EWASM_I32);
	cc__op(c, OP_TABLE_GET);
	WUS(c, x, i.slot);
	uint32_t d = cc__push_t(c, et);
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
		cc__op(c, OP_UNREACHABLE);
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
		cc__op(c, OP_BR);
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
		cc__push(c, local_type(c, x), x);
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
		cc__op(c, OP_MEMORY_SIZE);
		d = cc__push_t(c, EWASM_I32);
		WSU(c, d, 0);
		c->fold_end = NONE;
		break;
	case 0x40:
		zero_byte(c);
		need_mem(c);
		a = pop_t(c, EWASM_I32);
		pc = c->ncode;
		cc__op(c, OP_MEMORY_GROW);
		d = cc__push_t(c, EWASM_I32);
		WSS(c, a.slot, d);
		cc__foldable(c, d, 1, pc);
		break;
	case 0x41: cc__push(c, EWASM_I32, cc__const_slot(c, (uint32_t)wasm__s32(&c->r))); break;
	case 0x42: cc__push(c, EWASM_I64, cc__const_slot(c, (uint64_t)wasm__s64(&c->r))); break;
	case 0x43: cc__push(c, EWASM_F32, cc__const_slot(c, wasm__f32(&c->r))); break;
	case 0x44: cc__push(c, EWASM_F64, cc__const_slot(c, wasm__f64(&c->r))); break;
	case 0xd0: {
		uint8_t t = wasm__u8(&c->r);
		if (t != EWASM_FUNCREF && t != EWASM_EXTERNREF)
			wasm__fail(&c->r, EWASM_ERR_MALFORMED, "malformed reference type");
		cc__push(c, t, cc__const_slot(c, 0));
		break;
	}
	case 0xd1:
		a = pop(c);
		if (a.type != T_UNKNOWN && !is_ref(a.type))
			wasm__fail(&c->r, EWASM_ERR_INVALID,
			           "type mismatch: ref.is_null needs a reference");
		pc = c->ncode;
		cc__op(c, OP_REF_IS_NULL);
		d = cc__push_t(c, EWASM_I32);
		WSS(c, a.slot, d);
		cc__foldable(c, d, 1, pc);
		break;
	case 0xd2:
		x = wasm__u32(&c->r);
		if (x >= c->m->nfuncs)
			wasm__fail(&c->r, EWASM_ERR_INVALID, "unknown function %u", x);
		if (!c->m->func_declared[x])
			wasm__fail(&c->r, EWASM_ERR_INVALID, "undeclared function reference");
		pc = c->ncode;
		cc__op(c, OP_REF_FUNC);
		d = cc__push_t(c, EWASM_FUNCREF);
		WUS(c, x, d);
		cc__foldable(c, d, 1, pc);
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
	uint32_t max = c->m->engine->cfg.max_locals;
	if (total > max) {
		char a[32], b[32];
		wasm__fail(&c->r, EWASM_ERR_LIMIT,
		           "local limit: function %u has %s locals (parameters included), more "
		           "than the %s allowed (max_locals)",
		           c->r.fn, wasm__count(total, a, sizeof(a)),
		           wasm__count(max, b, sizeof(b)));
	}
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
	c.last_op = c.prev_op = NONE;
	/* the baseline compiler (jit.h) translates the plain ops */
	c.fuse = !m->engine->cfg.no_fusion && m->engine->cfg.engine != EWASM_ENGINE_JIT;
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
	c.cur_off = fc->body_off; /* an out-of-fuel trap on entry points here */
	if (m->engine->cfg.consume_fuel)
		cc__op(&c, OP_FUEL_CHECK); /* each call costs one unit, as each loop turn */
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
