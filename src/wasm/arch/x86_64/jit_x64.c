// SPDX-License-Identifier: Apache-2.0
/*
 * The x86-64 back end of the baseline compiler (see jit.h): one pass over
 * each function's plain threaded code, one machine-code template per op.
 * Frame slots stay in memory (r12 = frame), constants become immediates,
 * compare-and-branch and direct calls are native, rare ops call jit_rt.c.
 * Registers across the code: rbx store, r12 frame, r13 memory base, r14
 * instance, r15 memory object; the stack is 16-byte aligned in a body.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/alloc.h"
#include "wasm/arch/x86_64/x64_emit.h"
#include "wasm/jit.h"

#define R_S RBX
#define R_FP R12
#define R_MEM R13
#define R_INST R14
#define R_MOBJ R15
#define NO_POS UINT32_MAX
/* Every compiled function is entered with its first parameter's slot
 * value in R_ARG0 as well as in the frame, and returns its first result
 * in rax as well: the callee and the caller then need not wait for a
 * store to the frame to be forwarded to a load. */
#define R_ARG0 R11
/* Bytes before the entry stub (see wasm__jit_compile). */
#define ENTER_PAD 16
/* Frames whose slot displacements would not fit a disp32. */
#define MAX_FRAME_SLOTS (1u << 27)
/* Functions without a loop this long (in code words) run once and are
 * compiled in one pass, without pinned slots. */
#define MAX_STRAIGHT_PIN 2048
/* Loop headers start at this alignment: the same loop then runs at the
 * same speed whatever code precedes it. */
#define LOOP_ALIGN 32

typedef void (*enter_fn)(ewasm_store *s, slot *fp, ewasm_instance *inst, const void *code,
                         ewasm_memory *mobj, uint8_t *base);

struct wasm_jit {
	uint8_t *code; /* mmap'ed, RX */
	size_t size;
	enter_fn enter;
};

struct fix {
	uint32_t at, word;
};

struct tfix {
	uint32_t at, word, base; /* a br_table entry, relative to base */
};

/* A br_table's jump table, emitted after the function's code (data in
 * the instruction stream makes the speed of the code around it depend on
 * where it lands): the lea to patch, its entries in jc.tab. */
struct ptab {
	uint32_t lea, first, n;
};

struct stub {
	uint32_t at;
	int kind;
	const cword *pc;
};

struct op_of_h {
	const void *h;
	uint16_t op;
};

struct jc {
	struct x64_buf b;
	ewasm_module *m;
	const struct wcode *co;
	const struct op_of_h *ops; /* handler -> op, sorted by handler */
	uint32_t *native_at;       /* word index -> native offset of its op */
	struct fix *fix, *calls;
	struct tfix *tab;
	uint32_t nfix, capfix, ncalls, capcalls, ntab, captab;
	struct stub *stubs;
	uint32_t nstubs, capstubs;
	struct ptab *ptabs;
	uint32_t nptabs, capptabs;
	uint32_t L, K; /* first constant slot, number of constants */
	/* rax holds slot rax_slot while the code ends at rax_pos (the last
	 * thing emitted stored it), so the next op need not load it */
	uint32_t rax_slot;
	size_t rax_pos;
	/* likewise: the flags hold "slot flags_slot != 0" as condition
	 * flags_cc, and xmm register xmm_reg holds slot xmm_slot */
	uint32_t flags_slot, xmm_slot;
	enum x64_cc flags_cc;
	int xmm_reg;
	size_t flags_pos, xmm_pos;
	/* the interrupt check of the loop br_if that branches on the flags
	 * is done (before the compare) when intr_pos == flags_pos; pre_intr:
	 * done for the compare being emitted */
	size_t intr_pos;
	bool pre_intr;
	uint8_t *is_target; /* per word: some branch lands there */
	/* Slots pinned in registers for the whole function (see
	 * choose_pins): pin[slot] is 0, PIN_GP + gpr or PIN_X + xmm. The
	 * first pass over a function only counts (counting): weighted uses
	 * per slot, integer (wi) and float (wf), and the weight of calls. */
	uint8_t *pin;
	uint64_t *wi, *wf;
	uint32_t *wword; /* per word: loop weight */
	uint32_t cap_slots, cap_words;
	uint32_t pinned[32], npinned, nresults;
	uint64_t cur_w, call_w;
	bool counting, mem_only, has_loop;
	/* the function calls nothing (no wasm call, no runtime helper): it
	 * needs no native stack check and no stack alignment of its own */
	bool leaf;
	uint32_t cur_i; /* word index of the op being translated */
	/* pinned gprs known to hold a zero-extended 32-bit value (bit per
	 * register), so a memory access can index with them directly;
	 * forgotten at branch targets and calls */
	uint32_t zx;
	char *why;
	size_t whylen;
	bool failed;
};

/* Records why the module stays in the interpreter: `what` then `arg`. */
static void fail(struct jc *j, const char *what, const char *arg)
{
	if (!j->failed)
		snprintf(j->why, j->whylen, "%s%s", what, arg);
	j->failed = true;
}

static void *grow(struct jc *j, void *p, uint32_t *cap, uint32_t need, size_t size)
{
	if (need <= *cap)
		return p;
	uint32_t n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	void *q = xreallocarray(p, n, size);
	if (!q) {
		fail(j, "", "out of memory");
		return p;
	}
	*cap = n;
	return q;
}

static void add_fix(struct jc *j, size_t at, uint32_t word)
{
	j->fix = grow(j, j->fix, &j->capfix, j->nfix + 1, sizeof(*j->fix));
	if (!j->failed)
		j->fix[j->nfix++] = (struct fix){(uint32_t)at, word};
}

/* ------------------------------------------------------ small pieces */

static struct x64_mem at_slot(uint32_t sl)
{
	return x64_m(R_FP, (int32_t)(sl * 8));
}

static bool is_k(struct jc *j, uint32_t sl)
{
	return sl >= j->L && sl < j->L + j->K;
}

static uint64_t kval(struct jc *j, uint32_t sl)
{
	return j->co->consts[sl - j->L];
}

#define PIN_GP 1
#define PIN_X 17

/* The register slot sl is pinned in (a gpr, or PIN_X + xmm), -1 if it
 * lives in memory. kind (for the counting pass): 0 an integer access,
 * 1 a float one, 2 either (a plain load or store of memory). */
static int pin_of(struct jc *j, uint32_t sl, int kind)
{
	if (j->counting) {
		if (!is_k(j, sl) && sl < j->co->frame_slots) {
			if (kind == 2) {
				j->wi[sl] += j->cur_w / 2;
				j->wf[sl] += j->cur_w / 2;
			} else {
				(kind ? j->wf : j->wi)[sl] += j->cur_w;
			}
		}
		return -1;
	}
	if (j->mem_only || sl >= j->co->frame_slots || !j->pin[sl])
		return -1;
	return j->pin[sl] >= PIN_X ? j->pin[sl] : j->pin[sl] - PIN_GP;
}

/* The gpr slot sl is pinned in, or -1 (never counts a use: for choosing
 * a template; the counting pass takes the general one). */
static int gp_pin(struct jc *j, uint32_t sl)
{
	if (j->counting || j->mem_only || sl >= j->co->frame_slots || !j->pin[sl] ||
	    j->pin[sl] >= PIN_X)
		return -1;
	return j->pin[sl] - PIN_GP;
}

/* Likewise the xmm register. */
static int x_pin(struct jc *j, uint32_t sl)
{
	if (j->counting || j->mem_only || sl >= j->co->frame_slots || j->pin[sl] < PIN_X)
		return -1;
	return j->pin[sl] - PIN_X;
}

/* Moves the pinned slots below `below` between their registers and the
 * frame: out (store) before a call, since the callee and the runtime see
 * the frame, and for the results at return; in (load) after a call and at
 * entry for the params (temporaries are written before they are read). */
static void sync_pins(struct jc *j, uint32_t from, uint32_t below, bool out)
{
	for (uint32_t k = 0; k < j->npinned; k++) {
		uint32_t sl = j->pinned[k];
		int p = j->pin[sl];
		if (sl >= below || sl < from)
			continue;
		if (p >= PIN_X)
			x64_sse_rm(&j->b, out ? SSE_MOVSD_ST : SSE_MOVSD_LD, p - PIN_X,
			           at_slot(sl));
		else if (out)
			x64_mov_mr(&j->b, true, at_slot(sl), p - PIN_GP);
		else
			x64_mov_rm(&j->b, true, p - PIN_GP, at_slot(sl));
	}
}

static void sync_out(struct jc *j, uint32_t below)
{
	sync_pins(j, 0, below, true);
}

/* After a reload nothing a register held is known any more. */
static void sync_in_range(struct jc *j, uint32_t from, uint32_t below)
{
	sync_pins(j, from, below, false);
	j->rax_pos = j->flags_pos = j->xmm_pos = SIZE_MAX;
	j->zx = 0;
}

static void sync_in_below(struct jc *j, uint32_t below)
{
	sync_in_range(j, 0, below);
}

static void sync_in(struct jc *j)
{
	sync_in_below(j, UINT32_MAX);
}

/* The gpr holding slot sl (w: all 64 bits matter; else the low 32):
 * its pinned gpr, else loaded into `scratch`. */
static int src_reg(struct jc *j, bool w, uint32_t sl, int scratch);
static bool in_rax(struct jc *j, uint32_t sl);

/* r = slot (w: 64 bits; else the low 32, zero-extended). */
static void ld(struct jc *j, bool w, int r, uint32_t sl)
{
	if (sl == j->rax_slot && j->rax_pos == j->b.len) {
		if (r != RAX || !w)
			x64_mov_rr(&j->b, w, r, RAX);
		return;
	}
	int p = pin_of(j, sl, 0);
	if (is_k(j, sl))
		x64_mov_ri(&j->b, r, w ? kval(j, sl) : (uint32_t)kval(j, sl));
	else if (p >= PIN_X)
		x64_movq_rx(&j->b, w, r, p - PIN_X);
	else if (p >= 0)
		x64_mov_rr(&j->b, w, r, p);
	else
		x64_mov_rm(&j->b, w, r, at_slot(sl));
}

static int src_reg(struct jc *j, bool w, uint32_t sl, int scratch)
{
	int p = pin_of(j, sl, 0);
	if (p >= 0 && p < PIN_X && !(sl == j->rax_slot && j->rax_pos == j->b.len))
		return p;
	ld(j, w, scratch, sl);
	return scratch;
}

static void st(struct jc *j, uint32_t sl, int r)
{
	int p = pin_of(j, sl, 0);
	if (p >= PIN_X)
		x64_movq_xr(&j->b, true, p - PIN_X, r);
	else if (p >= 0) {
		x64_mov_rr(&j->b, true, p, r);
		j->zx &= ~(1u << p);
	} else
		x64_mov_mr(&j->b, true, at_slot(sl), r);
	if (r == RAX) {
		j->rax_slot = sl;
		j->rax_pos = j->b.len;
	}
}

static void trap_if(struct jc *j, enum x64_cc cc, int kind, const cword *pc)
{
	size_t at = x64_jcc(&j->b, cc);
	j->stubs = grow(j, j->stubs, &j->capstubs, j->nstubs + 1, sizeof(*j->stubs));
	if (!j->failed)
		j->stubs[j->nstubs++] = (struct stub){(uint32_t)at, kind, pc};
}

static void call_abs(struct jc *j, const void *fn)
{
	x64_mov_ri(&j->b, RAX, (uint64_t)(uintptr_t)fn);
	x64_call_r(&j->b, RAX);
}

/* After anything that may grow (and so move) the memory. */
static void reload_mem(struct jc *j)
{
	if (j->m->nmems && j->m->checked)
		x64_mov_rm(&j->b, true, R_MEM, x64_m(R_MOBJ, offsetof(ewasm_memory, base)));
}

static void interrupt_check(struct jc *j, const cword *pc)
{
	x64_alu_mi(&j->b, ALU_CMP, false, x64_m(R_S, offsetof(ewasm_store, interrupt)), 0);
	trap_if(j, CC_NE, EWASM_TRAP_INTERRUPTED, pc);
}

static uint32_t target(const cword *code, uint32_t i, uint32_t k)
{
	return (uint32_t)((int64_t)(i + k) + code[i + k].i64);
}

/* ----------------------------------------------------------- prologue */

static void prologue(struct jc *j)
{
	const struct wcode *co = j->co;
	struct x64_buf *b = &j->b;
	/* a leaf uses 8 bytes of native stack beyond its caller's checked
	 * rsp (its return address), well inside JIT_STACK_MARGIN; its trap
	 * stubs align the stack themselves */
	if (!j->leaf) {
		x64_alu_ri(b, ALU_SUB, true, RSP, 8);
		/* eax = s->nframes at every entry (see push_frame): kept in
		 * the stack slot the alignment gives */
		x64_mov_mr(b, false, x64_m(RSP, 0), RAX);
		x64_alu_rm(b, ALU_CMP, true, RSP,
		           x64_m(R_S, offsetof(ewasm_store, jit_stack_limit)));
		trap_if(j, CC_B, EWASM_TRAP_STACK_EXHAUSTED, NULL);
	}
	x64_lea(b, true, RAX, at_slot(co->frame_slots));
	x64_alu_rm(b, ALU_CMP, true, RAX, x64_m(R_S, offsetof(ewasm_store, stack_end)));
	trap_if(j, CC_A, EWASM_TRAP_STACK_EXHAUSTED, NULL);
	interrupt_check(j, NULL);
	/* constants are immediates; the few a runtime helper reads from the
	 * frame are stored just before it (k_to_frame) */
	uint32_t base = co->nparams, i = 0, ninit = co->nlocals;
	while (i < ninit) {
		if (!j->counting && j->pin[base + i]) { /* below */
			i++;
			continue;
		}
		uint32_t z = i;
		while (z < ninit && co->init[z] == 0 && (j->counting || !j->pin[base + z]))
			z++;
		if (z - i >= 8) { /* a run of zero locals: rep stosq */
			x64_lea(b, true, RDI, at_slot(base + i));
			x64_alu_rr(b, ALU_XOR, false, RAX, RAX);
			x64_mov_ri(b, RCX, z - i);
			x64_rep_stosq(b);
			i = z;
			continue;
		}
		uint64_t v = co->init[i];
		if ((int64_t)v >= INT32_MIN && (int64_t)v <= INT32_MAX) {
			x64_mov_mi(b, true, at_slot(base + i), (int32_t)v);
		} else {
			x64_mov_ri(b, RAX, v);
			x64_mov_mr(b, true, at_slot(base + i), RAX);
		}
		i++;
	}
	/* a pinned first parameter from R_ARG0 (before the pinned locals,
	 * one of which may live in R_ARG0; after rep stosq, which uses rdi) */
	int p0 = co->nparams && !j->counting ? j->pin[0] : 0;
	if (p0 >= PIN_X)
		x64_movq_xr(b, true, p0 - PIN_X, R_ARG0);
	else if (p0)
		x64_mov_rr(b, true, p0 - PIN_GP, R_ARG0);
	/* pinned locals start in their registers, after the stores above
	 * (rep stosq uses rdi) */
	for (i = 0; i < co->nlocals && !j->counting; i++) {
		int p = j->pin[base + i];
		if (!p)
			continue;
		int r = p >= PIN_X ? RAX : p - PIN_GP;
		if (co->init[i] == 0)
			x64_alu_rr(b, ALU_XOR, false, r, r);
		else
			x64_mov_ri(b, r, co->init[i]);
		if (p >= PIN_X)
			x64_movq_xr(b, true, p - PIN_X, RAX);
	}
	sync_in_range(j, p0 ? 1 : 0, co->nparams);
}

/* The first result in rax too (see R_ARG0), the results in the frame. */
static void ret_values(struct jc *j)
{
	sync_out(j, j->nresults);
	/* (without params and locals, slot 0 is a constant's in the body;
	 * the result there is in the frame, or in rax) */
	if (j->nresults && is_k(j, 0) && !in_rax(j, 0))
		x64_mov_rm(&j->b, true, RAX, at_slot(0));
	else if (j->nresults)
		ld(j, true, RAX, 0);
}

static void epilogue(struct jc *j)
{
	if (!j->leaf)
		x64_alu_ri(&j->b, ALU_ADD, true, RSP, 8);
	x64_ret(&j->b);
}

/* ------------------------------------------------------------ integer */

/* Condition codes of the ten integer comparisons in ops.def order
 * (EQ NE LT_S LT_U GT_S GT_U LE_S LE_U GE_S GE_U). */
static const enum x64_cc cmp_cc[10] = {CC_E, CC_NE, CC_L,  CC_B,  CC_G,
                                       CC_A, CC_LE, CC_BE, CC_GE, CC_AE};

static void alu_slot(struct jc *j, enum x64_alu op, bool w, int r, uint32_t sl);

/* cmp reg, slot (a constant becomes an immediate when it fits). */
static void cmp_slot(struct jc *j, bool w, int r, uint32_t sl)
{
	alu_slot(j, ALU_CMP, w, r, sl);
}

static void alu_slot(struct jc *j, enum x64_alu op, bool w, int r, uint32_t sl)
{
	int p = pin_of(j, sl, 0);
	if (is_k(j, sl) && (!w || (int64_t)kval(j, sl) == (int32_t)kval(j, sl)))
		x64_alu_ri(&j->b, op, w, r, (int32_t)kval(j, sl));
	else if (p >= 0 || is_k(j, sl) || (sl == j->rax_slot && j->rax_pos == j->b.len))
		x64_alu_rr(&j->b, op, w, r, src_reg(j, w, sl, RCX));
	else
		x64_alu_rm(&j->b, op, w, r, at_slot(sl));
}

static bool is_br_if(int o)
{
	return o == OP_BR_IF || o == OP_BR_UNLESS || o == OP_BR_IF_LOOP || o == OP_BR_UNLESS_LOOP;
}

static int op_of(struct jc *j, const void *h);
static uint32_t op_len(int o, const cword *pc);

/* A compare's result d that only the next op, a br_if, reads: an operand
 * stack temporary the br_if pops, where no branch lands. */
static bool cond_dead(struct jc *j, uint32_t d, uint32_t len)
{
	const struct wcode *co = j->co;
	uint32_t nx = j->cur_i + len;
	if (d < j->L + j->K || nx + 1 >= co->ncode || j->is_target[nx])
		return false;
	return is_br_if(op_of(j, co->code[nx].h)) && co->code[nx + 1].s.a == d;
}

/* d = cc as 0/1, unless only the next op reads it (len: this op's). */
static void set_cc(struct jc *j, enum x64_cc cc, uint32_t d, uint32_t len)
{
	if (cond_dead(j, d, len)) {
		j->flags_slot = d;
		j->flags_cc = cc;
		j->flags_pos = j->b.len;
		j->intr_pos = j->pre_intr ? j->b.len : SIZE_MAX;
		j->pre_intr = false;
		return;
	}
	j->pre_intr = false;
	j->intr_pos = SIZE_MAX;
	x64_setcc(&j->b, cc, RAX);
	x64_ext_rr(&j->b, EXT_ZX8, false, RAX, RAX);
	st(j, d, RAX); /* setcc, movzx and mov keep the flags */
	j->flags_slot = d;
	j->flags_cc = cc;
	j->flags_pos = j->b.len;
}

/* The gpr to compare slot a from: its pinned register, else rax. */
static int cmp_reg(struct jc *j, bool w, uint32_t a)
{
	int r = gp_pin(j, a);
	if (r >= 0 && !(a == j->rax_slot && j->rax_pos == j->b.len))
		return r;
	ld(j, w, RAX, a);
	return RAX;
}

/* Before a compare whose flags only a loop br_if (a back edge) reads:
 * that br_if's interrupt check, so the back edge is one jcc. The check
 * then also runs when the loop ends (the flag is asynchronous). */
static void pre_loop_check(struct jc *j, uint32_t d, uint32_t len)
{
	if (!cond_dead(j, d, len))
		return;
	const cword *nx = &j->co->code[j->cur_i + len];
	int o = op_of(j, nx->h);
	if (o != OP_BR_IF_LOOP && o != OP_BR_UNLESS_LOOP)
		return;
	interrupt_check(j, nx);
	j->pre_intr = true;
}

static void int_cmp(struct jc *j, bool w, enum x64_cc cc, const cword *pc)
{
	pre_loop_check(j, pc[2].s.a, 3);
	cmp_slot(j, w, cmp_reg(j, w, pc[1].s.a), pc[1].s.b);
	set_cc(j, cc, pc[2].s.a, 3);
}

/* Slot sl is in rax (the op before stored it from there). */
static bool in_rax(struct jc *j, uint32_t sl)
{
	return sl == j->rax_slot && j->rax_pos == j->b.len;
}

/* d = a op b for a commutative op: the operand already where the result
 * goes (d's register, or rax) comes first. */
static void commute(struct jc *j, int pd, uint32_t *a, uint32_t *bs)
{
	bool swap = pd >= 0 ? gp_pin(j, *bs) == pd && gp_pin(j, *a) != pd
	                    : in_rax(j, *bs) && !in_rax(j, *a);
	if (swap) {
		uint32_t t = *a;
		*a = *bs;
		*bs = t;
	}
}

static void int_alu(struct jc *j, bool w, enum x64_alu op, const cword *pc)
{
	uint32_t a = pc[1].s.a, bs = pc[1].s.b;
	int pd = gp_pin(j, pc[2].s.a);
	if (op != ALU_SUB)
		commute(j, pd, &a, &bs);
	if (pd >= 0 && (a == bs || gp_pin(j, bs) != pd)) {
		/* straight into the destination's register; b may be in rax
		 * (loading a into pd leaves rax alone) */
		bool b_rax = in_rax(j, bs) && a != bs;
		if (gp_pin(j, a) != pd) /* (a 32-bit op clears the top) */
			ld(j, w, pd, a);
		if (b_rax)
			x64_alu_rr(&j->b, op, w, pd, RAX);
		else
			alu_slot(j, op, w, pd, bs);
		j->zx = w ? j->zx & ~(1u << pd) : j->zx | 1u << pd;
		return;
	}
	ld(j, w, RAX, a);
	alu_slot(j, op, w, RAX, bs);
	st(j, pc[2].s.a, RAX);
}

static void int_mul(struct jc *j, bool w, const cword *pc)
{
	uint32_t a = pc[1].s.a, bs = pc[1].s.b;
	int pd = gp_pin(j, pc[2].s.a);
	commute(j, pd, &a, &bs);
	if (pd >= 0 && (a == bs || gp_pin(j, bs) != pd)) {
		bool b_rax = in_rax(j, bs) && a != bs;
		if (gp_pin(j, a) != pd)
			ld(j, w, pd, a);
		x64_imul_rr(&j->b, w, pd, b_rax ? RAX : src_reg(j, w, bs, RCX));
		j->zx = w ? j->zx & ~(1u << pd) : j->zx | 1u << pd;
		return;
	}
	ld(j, w, RAX, a);
	x64_imul_rr(&j->b, w, RAX, src_reg(j, w, bs, RCX));
	st(j, pc[2].s.a, RAX);
}

static void int_shift(struct jc *j, bool w, enum x64_shift k, const cword *pc)
{
	int pd = gp_pin(j, pc[2].s.a);
	if (pd >= 0 && is_k(j, pc[1].s.b)) { /* by a constant, in d's register */
		if (gp_pin(j, pc[1].s.a) != pd)
			ld(j, w, pd, pc[1].s.a);
		x64_shift_ri(&j->b, k, w, pd, (uint8_t)(kval(j, pc[1].s.b) & (w ? 63 : 31)));
		j->zx = w ? j->zx & ~(1u << pd) : j->zx | 1u << pd;
		return;
	}
	ld(j, w, RAX, pc[1].s.a);
	if (is_k(j, pc[1].s.b)) {
		x64_shift_ri(&j->b, k, w, RAX, (uint8_t)(kval(j, pc[1].s.b) & (w ? 63 : 31)));
	} else {
		ld(j, w, RCX, pc[1].s.b);
		x64_shift_cl(&j->b, k, w, RAX);
	}
	st(j, pc[2].s.a, RAX);
}

/* div/rem, signed or not, with the interpreter's traps and rem_s(x, -1) = 0. */
static void int_div(struct jc *j, bool w, bool sign, bool rem, const cword *pc)
{
	struct x64_buf *b = &j->b;
	size_t skip = 0, done = 0;
	ld(j, w, RAX, pc[1].s.a);
	ld(j, w, RCX, pc[1].s.b);
	x64_test_rr(b, w, RCX, RCX);
	trap_if(j, CC_E, EWASM_TRAP_DIV_BY_ZERO, pc);
	if (sign) {
		x64_alu_ri(b, ALU_CMP, w, RCX, -1);
		size_t not_m1 = x64_jcc(b, CC_NE);
		if (rem) {
			x64_alu_rr(b, ALU_XOR, false, RDX, RDX);
			skip = x64_jmp(b);
		} else {
			/* x / -1 overflows only for the minimum */
			x64_mov_ri(b, RDX, w ? (uint64_t)INT64_MIN : 0x80000000u);
			x64_alu_rr(b, ALU_CMP, w, RAX, RDX);
			trap_if(j, CC_E, EWASM_TRAP_INT_OVERFLOW, pc);
		}
		x64_patch_rel32(b, not_m1, b->len);
		x64_cdq(b, w);
		x64_unop(b, UN_IDIV, w, RCX);
	} else {
		x64_alu_rr(b, ALU_XOR, false, RDX, RDX);
		x64_unop(b, UN_DIV, w, RCX);
	}
	(void)done;
	if (skip)
		x64_patch_rel32(b, skip, b->len);
	st(j, pc[2].s.a, rem ? RDX : RAX);
}

/* -------------------------------------------------------------- float */

static void ldx(struct jc *j, bool dbl, int x, uint32_t sl)
{
	if (sl == j->xmm_slot && j->xmm_pos == j->b.len) {
		if (x != j->xmm_reg)
			x64_sse_rr(&j->b, SSE_MOVAPD, x, j->xmm_reg);
		j->xmm_pos = j->b.len; /* still valid for a second operand */
		return;
	}
	int p = pin_of(j, sl, 1);
	if (is_k(j, sl)) {
		x64_mov_ri(&j->b, RAX, dbl ? kval(j, sl) : (uint32_t)kval(j, sl));
		x64_movq_xr(&j->b, dbl, x, RAX);
	} else if (p >= PIN_X) {
		if (x != p - PIN_X)
			x64_sse_rr(&j->b, SSE_MOVAPD, x, p - PIN_X);
	} else if (p >= 0) {
		x64_movq_xr(&j->b, dbl, x, p);
	} else {
		x64_sse_rm(&j->b, dbl ? SSE_MOVSD_LD : SSE_MOVSS_LD, x, at_slot(sl));
	}
}

static void stx(struct jc *j, bool dbl, uint32_t sl, int x)
{
	int p = pin_of(j, sl, 1);
	if (p >= PIN_X)
		x64_sse_rr(&j->b, SSE_MOVAPD, p - PIN_X, x);
	else if (p >= 0) {
		x64_movq_rx(&j->b, dbl, p, x);
		j->zx &= ~(1u << p);
	} else
		x64_sse_rm(&j->b, dbl ? SSE_MOVSD_ST : SSE_MOVSS_ST, x, at_slot(sl));
	j->xmm_slot = sl;
	j->xmm_reg = x;
	j->xmm_pos = j->b.len;
}

/* add/sub/mul/div. The engine's NaN rule (numeric.h: a NaN a, else a NaN
 * b, quieted, else the hardware's default NaN) is exactly what SSE does
 * for `a op= b`: the first operand's NaN wins (unit-wasm-x64-emit checks
 * this on the machine), so no test of the result is needed. */
static void float_bin(struct jc *j, bool dbl, enum x64_sse op, const cword *pc)
{
	struct x64_buf *b = &j->b;
	int xa = x_pin(j, pc[1].s.a), xb = x_pin(j, pc[1].s.b);
	if (xa < 0 || (j->xmm_pos == b->len && j->xmm_slot == pc[1].s.a)) {
		ldx(j, dbl, 0, pc[1].s.a);
		xa = 0;
	}
	if (xb < 0 || (j->xmm_pos == b->len && j->xmm_slot == pc[1].s.b)) {
		ldx(j, dbl, 1, pc[1].s.b);
		xb = 1;
	}
	int xd = x_pin(j, pc[2].s.a);
	if (xd >= 0 && (xd == xa || xd != xb)) { /* straight into d's register */
		if (xd != xa)
			x64_sse_rr(b, SSE_MOVAPD, xd, xa);
		x64_sse_rr(b, op, xd, xb);
		j->xmm_slot = pc[2].s.a;
		j->xmm_reg = xd;
		j->xmm_pos = b->len;
		return;
	}
	x64_sse_rr(b, SSE_MOVAPD, 2, xa);
	x64_sse_rr(b, op, 2, xb);
	stx(j, dbl, pc[2].s.a, 2);
}

/* Comparisons, in ops.def order EQ NE LT GT LE GE: unordered is false
 * except for NE. */
static void float_cmp(struct jc *j, bool dbl, int k, const cword *pc)
{
	struct x64_buf *b = &j->b;
	uint32_t x = pc[1].s.a, y = pc[1].s.b;
	bool swap = k == 2 || k == 4; /* a < b is b > a */
	ldx(j, dbl, 0, swap ? y : x);
	ldx(j, dbl, 1, swap ? x : y);
	x64_alu_rr(b, ALU_XOR, false, RAX, RAX); /* clean for setcc + and/or */
	x64_alu_rr(b, ALU_XOR, false, RCX, RCX);
	x64_sse_rr(b, dbl ? SSE_UCOMISD : SSE_UCOMISS, 0, 1);
	if (k == 0 || k == 1) {
		x64_setcc(b, k == 0 ? CC_E : CC_NE, RAX);
		x64_setcc(b, k == 0 ? CC_NP : CC_P, RCX);
		x64_alu_rr(b, k == 0 ? ALU_AND : ALU_OR, false, RAX, RCX);
		set_cc(j, CC_NE, pc[2].s.a, 3); /* al != 0 after and/or */
		return;
	}
	set_cc(j, (k == 2 || k == 3) ? CC_A : CC_AE, pc[2].s.a, 3);
}

/* abs, neg, copysign: bit operations on the slot. */
static void float_bits(struct jc *j, bool dbl, int kind, const cword *pc)
{
	struct x64_buf *b = &j->b;
	uint64_t sign = dbl ? 0x8000000000000000ull : 0x80000000u;
	ld(j, dbl, RAX, pc[1].s.a);
	x64_mov_ri(b, RDX, sign);
	if (kind == 0) { /* abs */
		x64_unop(b, UN_NOT, dbl, RDX);
		x64_alu_rr(b, ALU_AND, dbl, RAX, RDX);
		st(j, pc[1].s.b, RAX);
	} else if (kind == 1) { /* neg */
		x64_alu_rr(b, ALU_XOR, dbl, RAX, RDX);
		st(j, pc[1].s.b, RAX);
	} else { /* copysign */
		ld(j, dbl, RCX, pc[1].s.b);
		x64_alu_rr(b, ALU_AND, dbl, RCX, RDX);
		x64_unop(b, UN_NOT, dbl, RDX);
		x64_alu_rr(b, ALU_AND, dbl, RAX, RDX);
		x64_alu_rr(b, ALU_OR, dbl, RAX, RCX);
		st(j, pc[2].s.a, RAX);
	}
}

/* The runtime calls: pinned slots go to the frame first (the C code
 * clobbers their registers and may read the frame); the arguments are
 * then read from the frame (mem_only), and the pins reloaded after. */
/* Before a call: its weight for choose_pins, the pinned slots below
 * `below` (the arguments' end) to the frame. */
static void call_out(struct jc *j, uint32_t below)
{
	if (j->counting)
		j->call_w += j->cur_w;
	sync_out(j, below);
}

/* The signature of function fi, or of type ty (indirect). */
static const struct wtype *callee_type(struct jc *j, bool indirect, uint32_t x)
{
	if (indirect)
		return x < j->m->ntypes ? &j->m->types[x] : NULL;
	return x < j->m->nfuncs ? &j->m->types[j->m->func_type[x]] : NULL;
}

/* The end of the arguments (res: results) of a call with base `base`. */
static uint32_t call_end(struct jc *j, bool indirect, uint32_t x, uint32_t base, bool res)
{
	const struct wtype *t = callee_type(j, indirect, x);
	if (!t)
		return UINT32_MAX;
	return base + (res ? t->nresults : t->nparams);
}

static void call_unary(struct jc *j, wasm__jit_un_fn f, const cword *pc)
{
	call_out(j, UINT32_MAX);
	j->mem_only = true;
	ld(j, true, RDI, pc[1].s.a);
	j->mem_only = false;
	x64_mov_rr(&j->b, true, RSI, R_S);
	x64_mov_ri(&j->b, RDX, (uint64_t)(uintptr_t)pc);
	call_abs(j, (const void *)f);
	sync_in(j);
	st(j, pc[1].s.b, RAX);
}

static void call_binary(struct jc *j, wasm__jit_bin_fn f, const cword *pc)
{
	call_out(j, UINT32_MAX);
	j->mem_only = true;
	ld(j, true, RDI, pc[1].s.a);
	ld(j, true, RSI, pc[1].s.b);
	j->mem_only = false;
	call_abs(j, (const void *)f);
	sync_in(j);
	st(j, pc[2].s.a, RAX);
}

/* Stores constant slot sl (if it is one) in the frame, for a runtime
 * helper that reads it there. */
static void k_to_frame(struct jc *j, uint32_t sl)
{
	if (!is_k(j, sl))
		return;
	int64_t v = (int64_t)kval(j, sl);
	if (v >= INT32_MIN && v <= INT32_MAX) {
		x64_mov_mi(&j->b, true, at_slot(sl), (int32_t)v);
	} else {
		x64_mov_ri(&j->b, RAX, (uint64_t)v);
		x64_mov_mr(&j->b, true, at_slot(sl), RAX);
	}
}

/* A helper for op pc of len words, which reads its operands from the
 * frame: every constant among them goes there first (a half-word that is
 * not a slot but happens to name a constant's slot stores that constant
 * in its own slot, which is harmless). */
static void call_op(struct jc *j, wasm__jit_op_fn f, const cword *pc, uint32_t len)
{
	call_out(j, UINT32_MAX);
	for (uint32_t k = 1; k < len; k++) {
		k_to_frame(j, pc[k].s.a);
		k_to_frame(j, pc[k].s.b);
	}
	x64_mov_rr(&j->b, true, RDI, R_S);
	x64_mov_rr(&j->b, true, RSI, R_INST);
	x64_mov_rr(&j->b, true, RDX, R_FP);
	x64_mov_ri(&j->b, RCX, (uint64_t)(uintptr_t)pc);
	call_abs(j, (const void *)f);
	reload_mem(j);
	sync_in(j);
}

/* ------------------------------------------------------------- memory */

/* Effective address of slot a + off for an n-byte access: leaves the
 * address in rax and returns the operand (explicit check when checked). */
static struct x64_mem mem_at(struct jc *j, uint32_t a, uint32_t off, uint32_t n, const cword *pc)
{
	struct x64_buf *b = &j->b;
	int pa = gp_pin(j, a);
	if (!j->m->checked && off <= (uint32_t)INT32_MAX && pa >= 0 && (j->zx >> pa & 1))
		return x64_mi(R_MEM, pa, 1, (int32_t)off);
	ld(j, false, RAX, a);
	if (!j->m->checked && off <= (uint32_t)INT32_MAX)
		return x64_mi(R_MEM, RAX, 1, (int32_t)off);
	if (off) {
		x64_mov_ri(b, RDX, off);
		x64_alu_rr(b, ALU_ADD, true, RAX, RDX);
	}
	if (j->m->checked) {
		x64_lea(b, true, RDX, x64_m(RAX, (int32_t)n));
		x64_alu_rm(b, ALU_CMP, true, RDX, x64_m(R_MOBJ, offsetof(ewasm_memory, size)));
		trap_if(j, CC_A, EWASM_TRAP_OOB_MEMORY, pc);
	}
	return x64_mi(R_MEM, RAX, 1, 0);
}

/* Loads in ops.def order I32_LOAD .. I64_LOAD32_U: width and extension
 * exactly as the interpreter's LOAD() (the i32 signed ones extend to 64). */
static const struct {
	uint8_t n, kind; /* kind: 0 mov32, 1 mov64, 2+ enum x64_ext + 2 */
	bool w;
} loads[] = {
    {4, 0, false},           {8, 1, true},
    {1, 2 + EXT_SX8, true},  {1, 2 + EXT_ZX8, false},
    {2, 2 + EXT_SX16, true}, {2, 2 + EXT_ZX16, false},
    {1, 2 + EXT_SX8, true},  {1, 2 + EXT_ZX8, false},
    {2, 2 + EXT_SX16, true}, {2, 2 + EXT_ZX16, false},
    {4, 2 + EXT_SX32, true}, {4, 0, false},
};

static void load(struct jc *j, int k, const cword *pc)
{
	struct x64_mem m = mem_at(j, pc[1].s.a, pc[2].s.a, loads[k].n, pc);
	int p = loads[k].kind < 2 ? pin_of(j, pc[1].s.b, 2) : -1;
	if (p >= PIN_X) { /* an f32/f64 load: straight into its xmm */
		x64_sse_rm(&j->b, loads[k].kind ? SSE_MOVSD_LD : SSE_MOVSS_LD, p - PIN_X, m);
		return;
	}
	int r = gp_pin(j, pc[1].s.b) >= 0 ? gp_pin(j, pc[1].s.b) : RCX;
	if (loads[k].kind < 2)
		x64_mov_rm(&j->b, loads[k].kind == 1, r, m);
	else
		x64_load_ext(&j->b, (enum x64_ext)(loads[k].kind - 2), loads[k].w, r, m);
	if (r == RCX)
		st(j, pc[1].s.b, RCX);
	else if (loads[k].w || loads[k].kind == 1)
		j->zx &= ~(1u << r);
	else
		j->zx |= 1u << r;
}

/* Stores in ops.def order STORE32 STORE64 STORE8 STORE16. */
static void store(struct jc *j, int k, const cword *pc)
{
	static const uint8_t n[] = {4, 8, 1, 2};
	int p = k <= 1 ? pin_of(j, pc[1].s.b, 2) : -1;
	if (p >= PIN_X && pc[1].s.b != pc[1].s.a) { /* f32/f64 from its xmm */
		struct x64_mem m = mem_at(j, pc[1].s.a, pc[2].s.a, n[k], pc);
		x64_sse_rm(&j->b, k ? SSE_MOVSD_ST : SSE_MOVSS_ST, p - PIN_X, m);
		return;
	}
	int r = gp_pin(j, pc[1].s.b);
	if (r < 0) {
		ld(j, true, RCX, pc[1].s.b);
		r = RCX;
	}
	struct x64_mem m = mem_at(j, pc[1].s.a, pc[2].s.a, n[k], pc);
	if (k == 0 || k == 1)
		x64_mov_mr(&j->b, k == 1, m, r);
	else if (k == 2)
		x64_store8(&j->b, m, r);
	else
		x64_store16(&j->b, m, r);
}

/* ------------------------------------------------------------ control */

static void jump_to(struct jc *j, enum x64_cc cc, bool always, uint32_t word)
{
	add_fix(j, always ? x64_jmp(&j->b) : x64_jcc(&j->b, cc), word);
}

/* br_if / br_unless (and their loop forms) on slot a. */
static void branch_if(struct jc *j, bool when, bool loop, uint32_t a, uint32_t word,
                      const cword *pc)
{
	struct x64_buf *b = &j->b;
	if (is_k(j, a)) {
		if (((uint32_t)kval(j, a) != 0) != when)
			return;
		if (loop)
			interrupt_check(j, pc);
		jump_to(j, CC_O, true, word);
		return;
	}
	/* the condition under which the slot is nonzero */
	enum x64_cc nz = CC_NE;
	if (a == j->flags_slot && j->flags_pos == b->len) {
		nz = j->flags_cc; /* a compare just made it: branch on its flags */
		if (loop && j->intr_pos == b->len) { /* interrupt checked before */
			jump_to(j, when ? nz : nz ^ 1, false, word);
			return;
		}
	} else if (a == j->rax_slot && j->rax_pos == b->len)
		x64_test_rr(b, false, RAX, RAX);
	else if (pin_of(j, a, 0) >= 0) {
		int r = src_reg(j, false, a, RAX);
		x64_test_rr(b, false, r, r);
	} else
		x64_alu_mi(b, ALU_CMP, false, at_slot(a), 0);
	if (!loop) {
		jump_to(j, when ? nz : nz ^ 1, false, word);
		return;
	}
	size_t skip = x64_jcc(b, when ? nz ^ 1 : nz);
	interrupt_check(j, pc);
	jump_to(j, CC_O, true, word);
	x64_patch_rel32(b, skip, b->len);
}

/* The fused i32 compare-and-branch forms [h][a|b][rel] (k: cmp_cc). */
static void branch_cmp(struct jc *j, int k, bool loop, uint32_t word, const cword *pc)
{
	/* at a loop's back edge the interrupt check comes first (also when
	 * the loop then ends: the flag is asynchronous), so the back edge is
	 * one conditional jump */
	if (loop)
		interrupt_check(j, pc);
	cmp_slot(j, false, cmp_reg(j, false, pc[1].s.a), pc[1].s.b);
	jump_to(j, cmp_cc[k], false, word);
}

static void br_table(struct jc *j, uint32_t i, const cword *code)
{
	struct x64_buf *b = &j->b;
	const cword *pc = &code[i];
	uint32_t n = pc[1].s.b;
	ld(j, false, RAX, pc[1].s.a);
	x64_mov_ri(b, RCX, n);
	x64_alu_rr(b, ALU_CMP, false, RAX, RCX);
	x64_cmov(b, CC_A, false, RAX, RCX);
	size_t lea = x64_lea_rip(b, RCX);
	x64_load_ext(b, EXT_SX32, true, RAX, x64_mi(RCX, RAX, 4, 0));
	x64_alu_rr(b, ALU_ADD, true, RAX, RCX);
	x64_jmp_r(b, RAX);
	j->ptabs = grow(j, j->ptabs, &j->capptabs, j->nptabs + 1, sizeof(*j->ptabs));
	if (j->failed)
		return;
	j->ptabs[j->nptabs++] = (struct ptab){(uint32_t)lea, j->ntab, n + 1};
	for (uint32_t k = 0; k <= n; k++) {
		j->tab = grow(j, j->tab, &j->captab, j->ntab + 1, sizeof(*j->tab));
		if (j->failed)
			return;
		j->tab[j->ntab++] = (struct tfix){0, target(code, i, 2 + k), 0};
	}
}

static void fuel_check(struct jc *j, const cword *pc)
{
	interrupt_check(j, pc);
	x64_alu_mi(&j->b, ALU_CMP, true, x64_m(R_S, offsetof(ewasm_store, fuel)), 0);
	trap_if(j, CC_E, EWASM_TRAP_OUT_OF_FUEL, pc);
	x64_alu_mi(&j->b, ALU_SUB, true, x64_m(R_S, offsetof(ewasm_store, fuel)), 1);
}

/* A call to function `fi` of this module: frame record, then a native
 * call with the callee's frame at base; ret: the threaded pc after it. */
/* The interpreter's frame record {ret, fp, fn} and nframes + 1 (trapping
 * at the call depth limit); fn is in register fn_reg, or fn_reg < 0:
 * inst->funcs[fi]. Uses rax, rcx, rdx; leaves s->nframes in eax, as
 * every compiled function expects at entry.
 *
 * s->nframes is the same all through a function's body (every call
 * restores it), so a function keeps the value it had at entry in its
 * stack slot [rsp] and calls read it from there: a load of a value
 * stored long ago, where a load of s->nframes would wait for the store
 * of the call just returned from, a chain through every call. */
static void push_frame(struct jc *j, int fn_reg, uint32_t fi, const cword *pc, const cword *ret)
{
	struct x64_buf *b = &j->b;
	x64_mov_rm(b, false, RAX, x64_m(RSP, 0));
	x64_alu_rm(b, ALU_CMP, false, RAX, x64_m(R_S, offsetof(ewasm_store, max_frames)));
	trap_if(j, CC_AE, EWASM_TRAP_STACK_EXHAUSTED, pc);
	x64_lea(b, true, RDX, x64_mi(RAX, RAX, 2, 0));
	x64_mov_rm(b, true, RCX, x64_m(R_S, offsetof(ewasm_store, frames)));
	x64_lea(b, true, RCX, x64_mi(RCX, RDX, 8, 0));
	x64_mov_ri(b, RDX, (uint64_t)(uintptr_t)ret);
	x64_mov_mr(b, true, x64_m(RCX, offsetof(struct frame, ret_pc)), RDX);
	x64_mov_mr(b, true, x64_m(RCX, offsetof(struct frame, fp)), R_FP);
	if (fn_reg < 0) {
		x64_mov_rm(b, true, RDX, x64_m(R_INST, offsetof(ewasm_instance, funcs)));
		x64_mov_rm(b, true, RDX, x64_m(RDX, (int32_t)(fi * 8)));
		fn_reg = RDX;
	}
	x64_mov_mr(b, true, x64_m(RCX, offsetof(struct frame, fn)), fn_reg);
	x64_alu_ri(b, ALU_ADD, false, RAX, 1);
	x64_mov_mr(b, false, x64_m(R_S, offsetof(ewasm_store, nframes)), RAX);
}

/* After a call: s->nframes back to this function's (a store, not a
 * decrement: nothing waits for the callee's last store). */
static void pop_frame(struct jc *j)
{
	x64_mov_rm(&j->b, false, RDX, x64_m(RSP, 0)); /* (rax: the result) */
	x64_mov_mr(&j->b, false, x64_m(R_S, offsetof(ewasm_store, nframes)), RDX);
}

/* R_ARG0 = the first argument, for a callee with parameters; a_rax:
 * rax held it before call_out's stores (which leave rax alone). */
static void arg0(struct jc *j, bool indirect, uint32_t x, uint32_t base, bool a_rax)
{
	const struct wtype *t = callee_type(j, indirect, x);
	if (!t || !t->nparams)
		return;
	if (a_rax)
		x64_mov_rr(&j->b, true, R_ARG0, RAX);
	else
		ld(j, true, R_ARG0, base);
}

static void call_direct(struct jc *j, uint32_t fi, uint32_t base, const cword *pc, const cword *ret)
{
	struct x64_buf *b = &j->b;
	bool a_rax = in_rax(j, base);
	call_out(j, call_end(j, false, fi, base, false));
	arg0(j, false, fi, base, a_rax);
	push_frame(j, -1, fi, pc, ret);
	x64_lea(b, true, R_FP, at_slot(base));
	size_t at = x64_call(b);
	j->calls = grow(j, j->calls, &j->capcalls, j->ncalls + 1, sizeof(*j->calls));
	if (!j->failed)
		j->calls[j->ncalls++] = (struct fix){(uint32_t)at, fi - j->m->nfunc_imports};
	x64_lea(b, true, R_FP, x64_m(R_FP, -(int32_t)(base * 8)));
	pop_frame(j);
	reload_mem(j);
	sync_in_below(j, call_end(j, false, fi, base, true));
	if (call_end(j, false, fi, base, true) > base) { /* the callee's rax */
		j->rax_slot = base;
		j->rax_pos = b->len;
	}
}

/* CALL of an import or CALL_INDIRECT: through wasm__jit_call (the pinned
 * slots are in the frame already). */
static void call_slow_synced(struct jc *j, bool indirect, uint32_t base, const cword *pc)
{
	uint32_t x = indirect ? pc[1].s.b : pc[1].s.a;
	struct x64_buf *b = &j->b;
	x64_mov_rr(b, true, RDI, R_S);
	x64_mov_rr(b, true, RSI, R_INST);
	x64_mov_rr(b, true, RDX, R_FP);
	x64_mov_ri(b, RCX, (uint64_t)(uintptr_t)pc);
	x64_mov_ri(b, R8, j->co->frame_slots);
	x64_mov_ri(b, R9, indirect);
	call_abs(j, (const void *)wasm__jit_call);
	x64_test_rr(b, true, RAX, RAX);
	size_t done = x64_jcc(b, CC_E);
	x64_lea(b, true, R_FP, at_slot(base));
	/* wasm__jit_call pushed the frame record: eax = s->nframes */
	x64_mov_rr(b, true, RDX, RAX);
	x64_mov_rm(b, false, RAX, x64_m(R_S, offsetof(ewasm_store, nframes)));
	const struct wtype *t = callee_type(j, indirect, x);
	if (t && t->nparams) /* (the frame: the C call took R_ARG0) */
		x64_mov_rm(b, true, R_ARG0, x64_m(R_FP, 0));
	x64_call_r(b, RDX);
	x64_lea(b, true, R_FP, x64_m(R_FP, -(int32_t)(base * 8)));
	pop_frame(j);
	x64_patch_rel32(b, done, b->len);
	reload_mem(j);
}

static void call_slow(struct jc *j, bool indirect, uint32_t base, const cword *pc)
{
	uint32_t x = indirect ? pc[1].s.b : pc[1].s.a, end = call_end(j, indirect, x, base, false);
	/* the runtime reads call_indirect's element index from the frame */
	call_out(j, indirect && end <= pc[2].s.a ? pc[2].s.a + 1 : end);
	if (indirect)
		k_to_frame(j, pc[2].s.a);
	call_slow_synced(j, indirect, base, pc);
	sync_in_below(j, call_end(j, indirect, x, base, true));
}

/* call_indirect: the table entry, null and signature checks inline for a
 * callee of this instance whose type is the very same wtype; anything
 * else (out of range, null, host, other instance, a structurally equal
 * type) goes to wasm__jit_call, which decides and traps as the
 * interpreter. */
static void call_indirect(struct jc *j, const cword *pc)
{
	struct x64_buf *b = &j->b;
	uint32_t tab = pc[1].s.a, ty = pc[1].s.b, base = pc[2].s.b;
	size_t slow[5];
	if (tab >= MAX_FRAME_SLOTS || ty >= MAX_FRAME_SLOTS) {
		call_slow(j, true, base, pc);
		return;
	}
	uint32_t end = call_end(j, true, ty, base, false);
	bool a_rax = in_rax(j, base);
	call_out(j, end <= pc[2].s.a ? pc[2].s.a + 1 : end);
	arg0(j, true, ty, base, a_rax);
	k_to_frame(j, pc[2].s.a); /* for wasm__jit_call */
	j->mem_only = true;
	ld(j, false, RAX, pc[2].s.a);
	j->mem_only = false;
	x64_mov_rm(b, true, RCX, x64_m(R_INST, offsetof(ewasm_instance, tables)));
	x64_mov_rm(b, true, RCX, x64_m(RCX, (int32_t)(tab * 8)));
	x64_alu_rm(b, ALU_CMP, false, RAX, x64_m(RCX, offsetof(ewasm_table, size)));
	slow[0] = x64_jcc(b, CC_AE);
	x64_mov_rm(b, true, RCX, x64_m(RCX, offsetof(ewasm_table, elems)));
	x64_mov_rm(b, true, R8, x64_mi(RCX, RAX, 8, 0));
	x64_test_rr(b, true, R8, R8);
	slow[1] = x64_jcc(b, CC_E);
	x64_mov_rm(b, true, RCX, x64_m(R_INST, offsetof(ewasm_instance, types)));
	x64_mov_rm(b, true, RCX, x64_m(RCX, (int32_t)(ty * 8)));
	x64_alu_rm(b, ALU_CMP, true, RCX, x64_m(R8, offsetof(ewasm_func, type)));
	slow[2] = x64_jcc(b, CC_NE);
	x64_alu_rm(b, ALU_CMP, true, R_INST, x64_m(R8, offsetof(ewasm_func, inst)));
	slow[3] = x64_jcc(b, CC_NE);
	x64_mov_rm(b, true, R9, x64_m(R8, offsetof(ewasm_func, code)));
	x64_mov_rm(b, true, R9, x64_m(R9, offsetof(struct wcode, native)));
	x64_test_rr(b, true, R9, R9);
	slow[4] = x64_jcc(b, CC_E);
	push_frame(j, R8, 0, pc, pc + 3);
	x64_lea(b, true, R_FP, at_slot(base));
	x64_call_r(b, R9);
	x64_lea(b, true, R_FP, x64_m(R_FP, -(int32_t)(base * 8)));
	pop_frame(j);
	reload_mem(j);
	size_t done = x64_jmp(b);
	for (int k = 0; k < 5; k++)
		x64_patch_rel32(b, slow[k], b->len);
	call_slow_synced(j, true, base, pc);
	x64_patch_rel32(b, done, b->len);
	sync_in_below(j, call_end(j, true, ty, base, true));
}

/* ------------------------------------------------------------ one op */

/* Sorts the handler table by address. Insertion sort, not qsort: glibc's
 * qsort asks the kernel for the machine's memory size (sysinfo), which a
 * Keep does not offer. */
static void sort_ops(struct op_of_h *v, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		struct op_of_h x = v[i];
		uint32_t k = i;
		for (; k > 0 && (uintptr_t)v[k - 1].h > (uintptr_t)x.h; k--)
			v[k] = v[k - 1];
		v[k] = x;
	}
}

/* The two handler tables (guard pages, bounds checks) sorted, once. */
static struct op_of_h sorted_ops[2][OP__COUNT];
static pthread_once_t sorted_once = PTHREAD_ONCE_INIT;

static void sort_tables(void)
{
	for (int t = 0; t < 2; t++) {
		const void *const *h = wasm__handlers(t == 1);
		for (uint32_t o = 0; o < OP__COUNT; o++)
			sorted_ops[t][o] = (struct op_of_h){h[o], (uint16_t)o};
		sort_ops(sorted_ops[t], OP__COUNT);
	}
}

static int op_of(struct jc *j, const void *h)
{
	uint32_t lo = 0, hi = OP__COUNT;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (j->ops[mid].h == h)
			return j->ops[mid].op;
		if ((const char *)j->ops[mid].h < (const char *)h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static const char *const op_names[] = {
#define X(n) #n,
#include "wasm/ops.def"
#undef X
};

/* rax = extend(slot a). */
static void ext_slot(struct jc *j, enum x64_ext e, bool w, uint32_t a)
{
	if (pin_of(j, a, 0) >= 0 || is_k(j, a) || (a == j->rax_slot && j->rax_pos == j->b.len))
		x64_ext_rr(&j->b, e, w, RAX, src_reg(j, true, a, RAX));
	else
		x64_load_ext(&j->b, e, w, RAX, at_slot(a));
}

/* Unary ops that are a move or a plain extension of the slot. */
static bool simple_unary(struct jc *j, int o, const cword *pc)
{
	struct x64_buf *b = &j->b;
	uint32_t a = pc[1].s.a, d = pc[1].s.b;
	switch (o) {
	case OP_I32_WRAP_I64:
	case OP_I64_EXTEND_I32_U:
	case OP_I32_REINTERPRET_F32:
	case OP_F32_REINTERPRET_I32: ld(j, false, RAX, a); break;
	case OP_I64_REINTERPRET_F64:
	case OP_F64_REINTERPRET_I64: ld(j, true, RAX, a); break;
	case OP_I64_EXTEND_I32_S:
	case OP_I64_EXTEND32_S: ext_slot(j, EXT_SX32, true, a); break;
	case OP_I32_EXTEND8_S: ext_slot(j, EXT_SX8, false, a); break;
	case OP_I32_EXTEND16_S: ext_slot(j, EXT_SX16, false, a); break;
	case OP_I64_EXTEND8_S: ext_slot(j, EXT_SX8, true, a); break;
	case OP_I64_EXTEND16_S: ext_slot(j, EXT_SX16, true, a); break;
	case OP_I32_EQZ:
	case OP_I64_EQZ: {
		pre_loop_check(j, d, 2);
		int r = src_reg(j, o == OP_I64_EQZ, a, RAX);
		x64_test_rr(b, o == OP_I64_EQZ, r, r);
		set_cc(j, CC_E, d, 2);
		return true;
	}
	case OP_REF_IS_NULL:
		ld(j, true, RAX, a);
		x64_test_rr(b, true, RAX, RAX);
		set_cc(j, CC_E, d, 2);
		return true;
	default: return false;
	}
	st(j, d, RAX);
	return true;
}

/* Float unary ops with one SSE instruction. */
static bool sse_unary(struct jc *j, int o, const cword *pc)
{
	bool dbl;
	enum x64_sse op;
	switch (o) {
	case OP_F32_SQRT: dbl = false, op = SSE_SQRTSS; break;
	case OP_F64_SQRT: dbl = true, op = SSE_SQRTSD; break;
	case OP_F32_DEMOTE_F64: dbl = true, op = SSE_CVTSD2SS; break;
	case OP_F64_PROMOTE_F32: dbl = false, op = SSE_CVTSS2SD; break;
	case OP_F64_CONVERT_I32_S:
	case OP_F64_CONVERT_I64_S:
		ld(j, o == OP_F64_CONVERT_I64_S, RAX, pc[1].s.a);
		x64_cvtsi2f(&j->b, true, o == OP_F64_CONVERT_I64_S, 0, RAX);
		stx(j, true, pc[1].s.b, 0);
		return true;
	default: return false;
	}
	ldx(j, dbl, 0, pc[1].s.a);
	x64_sse_rr(&j->b, op, 0, 0);
	bool rdbl = op == SSE_CVTSS2SD || (dbl && op != SSE_CVTSD2SS);
	stx(j, rdbl, pc[1].s.b, 0);
	return true;
}

static bool float_numeric(struct jc *j, int o, const cword *pc)
{
	static const enum x64_sse ops32[] = {SSE_ADDSS, SSE_SUBSS, SSE_MULSS, SSE_DIVSS};
	static const enum x64_sse ops64[] = {SSE_ADDSD, SSE_SUBSD, SSE_MULSD, SSE_DIVSD};
	bool dbl = o >= OP_F64_ABS && o <= OP_F64_COPYSIGN;
	if (!dbl && !(o >= OP_F32_ABS && o <= OP_F32_COPYSIGN))
		return false;
	int k = o - (dbl ? OP_F64_ABS : OP_F32_ABS);
	if (k <= 1 || k == 13)
		float_bits(j, dbl, k == 13 ? 2 : k, pc);
	else if (k >= 7 && k <= 10)
		float_bin(j, dbl, dbl ? ops64[k - 7] : ops32[k - 7], pc);
	else
		return false;
	return true;
}

static bool numeric(struct jc *j, int o, const cword *pc)
{
	if (o >= OP_I32_EQ && o <= OP_I32_GE_U) {
		int_cmp(j, false, cmp_cc[o - OP_I32_EQ], pc);
	} else if (o >= OP_I64_EQ && o <= OP_I64_GE_U) {
		int_cmp(j, true, cmp_cc[o - OP_I64_EQ], pc);
	} else if (o >= OP_F32_EQ && o <= OP_F32_GE) {
		float_cmp(j, false, o - OP_F32_EQ, pc);
	} else if (o >= OP_F64_EQ && o <= OP_F64_GE) {
		float_cmp(j, true, o - OP_F64_EQ, pc);
	} else if (simple_unary(j, o, pc) || sse_unary(j, o, pc)) {
		/* done */
	} else if (wasm__jit_unary((enum wop)o)) {
		call_unary(j, wasm__jit_unary((enum wop)o), pc);
	} else if (wasm__jit_binary((enum wop)o)) {
		call_binary(j, wasm__jit_binary((enum wop)o), pc);
	} else {
		bool w = (o >= OP_I64_CLZ && o <= OP_I64_ROTR);
		int k = o - (w ? OP_I64_CLZ : OP_I32_CLZ);
		static const int alu[] = {-1, -1, -1, ALU_ADD, ALU_SUB, -1,     -1,
		                          -1, -1, -1, ALU_AND, ALU_OR,  ALU_XOR};
		static const int sh[] = {SH_SHL, SH_SAR, SH_SHR, SH_ROL, SH_ROR};
		if ((o >= OP_I32_CLZ && o <= OP_I32_ROTR) || w) {
			if (k == 5)
				int_mul(j, w, pc);
			else if (k >= 6 && k <= 9)
				int_div(j, w, k == 6 || k == 8, k >= 8, pc);
			else if (k >= 13)
				int_shift(j, w, (enum x64_shift)sh[k - 13], pc);
			else if (alu[k] >= 0)
				int_alu(j, w, (enum x64_alu)alu[k], pc);
			else
				return false;
			return true;
		}
		return float_numeric(j, o, pc);
	}
	return true;
}

static void global_addr(struct jc *j, uint32_t g)
{
	x64_mov_rm(&j->b, true, RAX, x64_m(R_INST, offsetof(ewasm_instance, gvals)));
	x64_mov_rm(&j->b, true, RAX, x64_m(RAX, (int32_t)(g * 8)));
}

/* Variables, moves, select, memory: the ops that are neither control
 * nor numeric. Returns the op's length in words, 0 if not one of them. */
static uint32_t data_op(struct jc *j, int o, const cword *pc)
{
	struct x64_buf *b = &j->b;
	switch (o) {
	case OP_MOV: {
		int pd = gp_pin(j, pc[1].s.b), ps = gp_pin(j, pc[1].s.a);
		if (pd >= 0 && !in_rax(j, pc[1].s.a) && (ps >= 0 || is_k(j, pc[1].s.a))) {
			bool zx = ps >= 0 ? (j->zx >> ps & 1) : kval(j, pc[1].s.a) <= UINT32_MAX;
			if (ps != pd)
				ld(j, true, pd, pc[1].s.a);
			j->zx = zx ? j->zx | 1u << pd : j->zx & ~(1u << pd);
			return 2;
		}
		ld(j, true, RAX, pc[1].s.a);
		st(j, pc[1].s.b, RAX);
		return 2;
	}
	case OP_MOV2:
		ld(j, true, RAX, pc[1].s.a);
		st(j, pc[1].s.b, RAX);
		ld(j, true, RAX, pc[2].s.a);
		st(j, pc[2].s.b, RAX);
		return 3;
	case OP_SELECT:
		ld(j, true, RAX, pc[1].s.b);
		ld(j, true, RCX, pc[2].s.a);
		if (pin_of(j, pc[1].s.a, 0) >= 0 || is_k(j, pc[1].s.a)) {
			int r = src_reg(j, false, pc[1].s.a, RDX);
			x64_test_rr(b, false, r, r);
		} else
			x64_alu_mi(b, ALU_CMP, false, at_slot(pc[1].s.a), 0);
		x64_cmov(b, CC_E, true, RAX, RCX);
		st(j, pc[2].s.b, RAX);
		return 3;
	case OP_GLOBAL_GET:
		global_addr(j, pc[1].s.a);
		x64_mov_rm(b, true, RAX, x64_m(RAX, 0));
		st(j, pc[1].s.b, RAX);
		return 2;
	case OP_GLOBAL_SET:
		ld(j, true, RCX, pc[1].s.b);
		global_addr(j, pc[1].s.a);
		x64_mov_mr(b, true, x64_m(RAX, 0), RCX);
		return 2;
	case OP_REF_FUNC:
		x64_mov_rm(b, true, RAX, x64_m(R_INST, offsetof(ewasm_instance, funcs)));
		x64_mov_rm(b, true, RAX, x64_m(RAX, (int32_t)(pc[1].s.a * 8)));
		st(j, pc[1].s.b, RAX);
		return 2;
	case OP_MEMORY_SIZE:
		x64_mov_rm(b, false, RAX, x64_m(R_MOBJ, offsetof(ewasm_memory, pages)));
		st(j, pc[1].s.a, RAX);
		return 2;
	default: break;
	}
	if (o >= OP_I32_LOAD && o <= OP_I64_LOAD32_U) {
		load(j, o - OP_I32_LOAD, pc);
		return 3;
	}
	if (o >= OP_STORE32 && o <= OP_STORE16) {
		store(j, o - OP_STORE32, pc);
		return 3;
	}
	wasm__jit_op_fn f = wasm__jit_op((enum wop)o);
	if (!f)
		return 0;
	uint32_t n = op_len(o, pc);
	call_op(j, f, pc, n);
	return n;
}

/* Control ops; returns the length in words, 0 if not one. */
static uint32_t control_op(struct jc *j, int o, uint32_t i, const cword *code)
{
	const cword *pc = &code[i];
	switch (o) {
	case OP_UNREACHABLE: {
		size_t at = x64_jmp(&j->b);
		j->stubs = grow(j, j->stubs, &j->capstubs, j->nstubs + 1, sizeof(*j->stubs));
		if (!j->failed)
			j->stubs[j->nstubs++] =
			    (struct stub){(uint32_t)at, EWASM_TRAP_UNREACHABLE, pc};
		return 1;
	}
	case OP_BR: jump_to(j, CC_O, true, target(code, i, 1)); return 2;
	case OP_BR_LOOP:
		interrupt_check(j, pc);
		jump_to(j, CC_O, true, target(code, i, 1));
		return 2;
	case OP_BR_IF:
	case OP_BR_UNLESS:
	case OP_BR_IF_LOOP:
	case OP_BR_UNLESS_LOOP:
		branch_if(j, o == OP_BR_IF || o == OP_BR_IF_LOOP,
		          o == OP_BR_IF_LOOP || o == OP_BR_UNLESS_LOOP, pc[1].s.a,
		          target(code, i, 2), pc);
		return 3;
	case OP_BR_TABLE: br_table(j, i, code); return 3 + pc[1].s.b;
	case OP_RETURN1:
		ld(j, true, RAX, pc[1].s.a);
		x64_mov_mr(&j->b, true, at_slot(0), RAX);
		epilogue(j);
		return 2;
	case OP_RETURN:
		ret_values(j);
		epilogue(j);
		return 1;
	case OP_LOOP_CHECK: interrupt_check(j, pc); return 1;
	case OP_FUEL_CHECK: fuel_check(j, pc); return 1;
	case OP_CALL_LOCAL: call_direct(j, pc[1].s.a, pc[1].s.b, pc, pc + 3); return 3;
	case OP_CALL:
		if (pc[1].s.a >= j->m->nfunc_imports)
			call_direct(j, pc[1].s.a, pc[1].s.b, pc, pc + 2);
		else
			call_slow(j, false, pc[1].s.b, pc);
		return 2;
	case OP_CALL_INDIRECT: call_indirect(j, pc); return 3;
	default: break;
	}
	if (o >= OP_BR_I32_EQ && o <= OP_BR_I32_GE_U) {
		branch_cmp(j, o - OP_BR_I32_EQ, false, target(code, i, 2), pc);
		return 3;
	}
	if (o >= OP_BR_I32_EQ_LOOP && o <= OP_BR_I32_GE_U_LOOP) {
		branch_cmp(j, o - OP_BR_I32_EQ_LOOP, true, target(code, i, 2), pc);
		return 3;
	}
	return 0;
}

/* Numeric ops of the [h][a|b][d] shape (the rest are [h][a|d]). */
static bool is_binary_arith(int o)
{
	return (o >= OP_I32_ADD && o <= OP_I32_ROTR) || (o >= OP_I64_ADD && o <= OP_I64_ROTR) ||
	       (o >= OP_F32_ADD && o <= OP_F32_COPYSIGN) ||
	       (o >= OP_F64_ADD && o <= OP_F64_COPYSIGN);
}

/* The length in words of op o at pc (0: not an op the back end knows). */
static uint32_t op_len(int o, const cword *pc)
{
	switch (o) {
	case OP_UNREACHABLE:
	case OP_RETURN:
	case OP_LOOP_CHECK:
	case OP_FUEL_CHECK: return 1;
	case OP_BR:
	case OP_BR_LOOP:
	case OP_RETURN1:
	case OP_CALL:
	case OP_MOV:
	case OP_GLOBAL_GET:
	case OP_GLOBAL_SET:
	case OP_REF_IS_NULL:
	case OP_REF_FUNC:
	case OP_MEMORY_SIZE:
	case OP_MEMORY_GROW:
	case OP_DATA_DROP:
	case OP_TABLE_SIZE:
	case OP_ELEM_DROP: return 2;
	case OP_TABLE_COPY:
	case OP_TABLE_INIT: return 4;
	case OP_BR_TABLE: return 3 + pc[1].s.b;
	case OP_BR_IF:
	case OP_BR_UNLESS:
	case OP_BR_IF_LOOP:
	case OP_BR_UNLESS_LOOP:
	case OP_CALL_INDIRECT:
	case OP_CALL_LOCAL:
	case OP_MOV2:
	case OP_SELECT:
	case OP_MEMORY_INIT:
	case OP_MEMORY_COPY:
	case OP_MEMORY_FILL:
	case OP_TABLE_GET:
	case OP_TABLE_SET:
	case OP_TABLE_GROW:
	case OP_TABLE_FILL: return 3;
	default: break;
	}
	if ((o >= OP_BR_I32_EQ && o <= OP_BR_I32_GE_U) ||
	    (o >= OP_BR_I32_EQ_LOOP && o <= OP_BR_I32_GE_U_LOOP) ||
	    (o >= OP_I32_LOAD && o <= OP_STORE16))
		return 3;
	if (o >= OP_I32_EQZ && o <= OP_I64_EXTEND32_S)
		return (is_binary_arith(o) || (o >= OP_I32_EQ && o <= OP_I32_GE_U) ||
		        (o >= OP_I64_EQ && o <= OP_F64_GE))
		           ? 3
		           : 2;
	if (o >= OP_I32_TRUNC_SAT_F32_S && o <= OP_I64_TRUNC_SAT_F64_U)
		return 2;
	return 0;
}

/* Marks every word a branch lands on (there, no register holds a slot). */
static bool scan_targets(struct jc *j, const struct wcode *co)
{
	memset(j->is_target, 0, (size_t)co->ncode + 1);
	for (uint32_t i = 0; i < co->ncode;) {
		const cword *pc = &co->code[i];
		int o = op_of(j, pc->h);
		uint32_t n = o < 0 ? 0 : op_len(o, pc), first = 2, last = 2;
		if (!n || i + n > co->ncode)
			return false;
		if (o == OP_CALL || o == OP_CALL_LOCAL || o == OP_CALL_INDIRECT ||
		    wasm__jit_op((enum wop)o) || wasm__jit_unary((enum wop)o) ||
		    wasm__jit_binary((enum wop)o))
			j->leaf = false;
		if (o == OP_BR || o == OP_BR_LOOP)
			first = last = 1;
		else if (o == OP_BR_TABLE)
			last = 2 + pc[1].s.b;
		else if (!(o == OP_BR_IF || o == OP_BR_UNLESS || o == OP_BR_IF_LOOP ||
		           o == OP_BR_UNLESS_LOOP || (o >= OP_BR_I32_EQ && o <= OP_BR_I32_GE_U) ||
		           (o >= OP_BR_I32_EQ_LOOP && o <= OP_BR_I32_GE_U_LOOP)))
			first = 1, last = 0;
		for (uint32_t k = first; k <= last; k++) {
			uint32_t t = target(co->code, i, k);
			if (t > co->ncode)
				return false;
			j->is_target[t] |= 1;
			if (t <= i) { /* a loop: words t .. i + n weigh more */
				j->is_target[t] |= 2;
				j->wword[t]++;
				j->wword[i + n]--;
				j->has_loop = true;
			}
		}
		i += n;
	}
	/* loop depth per word, then the weight 8^depth (at most 8^4) */
	uint32_t d = 0;
	for (uint32_t i = 0; i <= co->ncode; i++) {
		d += j->wword[i];
		j->wword[i] = 1u << (3 * (d < 4 ? d : 4));
	}
	return true;
}

/* Chooses the slots pinned in registers from the counting pass: the most
 * used ones (uses inside loops weigh 8 per level), each worth more than
 * what pinning costs (a store and a load at every call, a load at entry).
 * Slots used mostly by float ops go to xmm3..xmm15, the others to the
 * gprs no op template uses as a scratch register: every call spills and
 * reloads them, so callee-saved or not does not matter. */
static void choose_pins(struct jc *j)
{
	static const uint8_t gprs[] = {RBP, RSI, RDI, R8, R9, R10, R11};
	uint32_t ngp = 0, nx = 0, n = j->co->frame_slots;
	j->npinned = 0;
	memset(j->pin, 0, n);
	while (ngp < sizeof(gprs) || nx < 13) {
		uint64_t best = 0;
		uint32_t bs = UINT32_MAX;
		for (uint32_t sl = 0; sl < n; sl++) {
			/* gain: the uses; cost: a store and a load per call, a
			 * load at entry for params and locals */
			uint64_t w = j->wi[sl] + j->wf[sl], c = 2 * j->call_w + (sl < j->L);
			if (w <= c)
				continue;
			w -= c;
			bool fl = j->wf[sl] > j->wi[sl];
			if (w > best && !j->pin[sl] && (fl ? nx < 13 : ngp < sizeof(gprs))) {
				best = w;
				bs = sl;
			}
		}
		if (bs == UINT32_MAX)
			break;
		if (j->wf[bs] > j->wi[bs])
			j->pin[bs] = (uint8_t)(PIN_X + 3 + nx++);
		else
			j->pin[bs] = (uint8_t)(PIN_GP + gprs[ngp++]);
		j->pinned[j->npinned++] = bs;
	}
}

static uint32_t one_op(struct jc *j, uint32_t i, const cword *code)
{
	const cword *pc = &code[i];
	int o = op_of(j, pc->h);
	if (o < 0) {
		fail(j, "", "unknown handler in compiled code");
		return 0;
	}
	/* function and global indices become disp32 offsets (index * 8) */
	if ((o == OP_CALL || o == OP_CALL_LOCAL || o == OP_REF_FUNC || o == OP_GLOBAL_GET ||
	     o == OP_GLOBAL_SET) &&
	    pc[1].s.a >= MAX_FRAME_SLOTS) {
		fail(j, "", "a function or global index too large for a disp32");
		return 0;
	}
	if (j->is_target[i]) {
		j->rax_pos = j->flags_pos = j->xmm_pos = SIZE_MAX;
		j->zx = 0;
	}
	j->cur_i = i;
	uint32_t n = control_op(j, o, i, code);
	if (!n)
		n = data_op(j, o, pc);
	if (!n && numeric(j, o, pc))
		n = (o >= OP_I32_EQZ && o <= OP_I64_GE_U && o != OP_I32_EQZ && o != OP_I64_EQZ) ||
		            (o >= OP_F32_EQ && o <= OP_F64_GE) || wasm__jit_binary((enum wop)o) ||
		            is_binary_arith(o)
		        ? 3
		        : 2;
	if (!n)
		fail(j, "op not compiled: ", op_names[o]);
	else if (n != op_len(o, pc))
		fail(j, "op length disagrees: ", op_names[o]);
	return n;
}

/* ------------------------------------------------------- one function */

static void emit_stubs(struct jc *j)
{
	for (uint32_t k = 0; k < j->nstubs; k++) {
		x64_patch_rel32(&j->b, j->stubs[k].at, j->b.len);
		/* (wasm__jit_trap does not return: the C ABI's alignment) */
		x64_alu_ri(&j->b, ALU_AND, true, RSP, -16);
		x64_mov_rr(&j->b, true, RDI, R_S);
		x64_mov_ri(&j->b, RSI, (uint32_t)j->stubs[k].kind);
		x64_mov_ri(&j->b, RDX, (uint64_t)(uintptr_t)j->stubs[k].pc);
		call_abs(j, (const void *)wasm__jit_trap);
	}
	j->nstubs = 0;
	for (uint32_t k = 0; k < j->nptabs; k++) {
		struct ptab *t = &j->ptabs[k];
		x64_align(&j->b, 4);
		uint32_t base = (uint32_t)j->b.len;
		x64_patch_rel32(&j->b, t->lea, base);
		for (uint32_t e = 0; e < t->n; e++) {
			j->tab[t->first + e].at = (uint32_t)j->b.len;
			j->tab[t->first + e].base = base;
			x64_u32(&j->b, 0);
		}
	}
	j->nptabs = 0;
}

static void resolve(struct jc *j, uint32_t ncode)
{
	for (uint32_t k = 0; k < j->nfix; k++) {
		uint32_t w = j->fix[k].word;
		if (w > ncode || j->native_at[w] == NO_POS) {
			fail(j, "", "branch into the middle of an op");
			return;
		}
		x64_patch_rel32(&j->b, j->fix[k].at, j->native_at[w]);
	}
	for (uint32_t k = 0; k < j->ntab; k++) {
		uint32_t w = j->tab[k].word;
		if (w > ncode || j->native_at[w] == NO_POS) {
			fail(j, "", "br_table into the middle of an op");
			return;
		}
		int32_t rel = (int32_t)((int64_t)j->native_at[w] - (int64_t)j->tab[k].base);
		if (!j->b.oom)
			memcpy(j->b.p + j->tab[k].at, &rel, 4);
	}
	j->nfix = j->ntab = 0;
}

static void compile_fn(struct jc *j, const struct wcode *co, uint32_t idx)
{
	j->co = co;
	j->nresults = j->m->types[j->m->func_type[j->m->nfunc_imports + idx]].nresults;
	j->L = co->nparams + co->nlocals;
	j->K = co->nconsts;
	if (co->frame_slots >= MAX_FRAME_SLOTS) {
		fail(j, "", "a frame too large for 32-bit displacements");
		return;
	}
	uint32_t *at = xreallocarray(j->native_at, (size_t)co->ncode + 1, sizeof(uint32_t));
	if (!at) {
		fail(j, "", "out of memory");
		return;
	}
	j->native_at = at;
	for (uint32_t i = 0; i <= co->ncode; i++)
		at[i] = NO_POS;
	uint8_t *tg = xrealloc(j->is_target, (size_t)co->ncode + 1);
	if (!tg) {
		fail(j, "", "out of memory");
		return;
	}
	j->is_target = tg;
	if (co->ncode + 1 > j->cap_words) {
		uint32_t *w = xreallocarray(j->wword, (size_t)co->ncode + 1, sizeof(uint32_t));
		if (!w) {
			fail(j, "", "out of memory");
			return;
		}
		j->wword = w;
		j->cap_words = co->ncode + 1;
	}
	memset(j->wword, 0, ((size_t)co->ncode + 1) * sizeof(uint32_t));
	j->has_loop = false;
	j->leaf = true;
	if (!scan_targets(j, co)) {
		fail(j, "", "an op the compiler does not know");
		return;
	}
	if (co->frame_slots > j->cap_slots) {
		uint8_t *pin = xrealloc(j->pin, co->frame_slots);
		uint64_t *wi = xreallocarray(j->wi, co->frame_slots, sizeof(uint64_t));
		uint64_t *wf =
		    pin && wi ? xreallocarray(j->wf, co->frame_slots, sizeof(uint64_t)) : NULL;
		j->pin = pin ? pin : j->pin;
		j->wi = wi ? wi : j->wi;
		j->wf = wf ? wf : j->wf;
		if (!pin || !wi || !wf) {
			fail(j, "", "out of memory");
			return;
		}
		j->cap_slots = co->frame_slots;
	}
	memset(j->pin, 0, co->frame_slots);
	j->npinned = 0;
	/* a counting pass, then the real one with the hot slots in
	 * registers; long straight-line code: one pass, no pins */
	size_t start = j->b.len;
	uint32_t ncalls = j->ncalls;
	bool pins = j->has_loop || co->ncode <= MAX_STRAIGHT_PIN;
	for (int pass = pins ? 0 : 1; pass < 2 && !j->failed; pass++) {
		j->counting = pass == 0;
		if (j->counting) {
			memset(j->wi, 0, co->frame_slots * sizeof(uint64_t));
			memset(j->wf, 0, co->frame_slots * sizeof(uint64_t));
			j->call_w = 0;
		} else if (pins) {
			choose_pins(j);
			j->b.len = start;
			j->ncalls = ncalls;
			j->nfix = j->ntab = j->nstubs = j->nptabs = 0;
			for (uint32_t i = 0; i <= co->ncode; i++)
				at[i] = NO_POS;
		}
		j->rax_pos = j->flags_pos = j->xmm_pos = j->intr_pos = SIZE_MAX;
		j->pre_intr = false;
		j->cur_w = 1;
		prologue(j);
		for (uint32_t i = 0; i < co->ncode && !j->failed;) {
			if (j->is_target[i] & 2) /* a loop header */
				x64_align(&j->b, LOOP_ALIGN);
			at[i] = (uint32_t)j->b.len;
			j->cur_w = j->wword[i];
			uint32_t n = one_op(j, i, co->code);
			if (!n) {
				j->counting = false;
				return;
			}
			i += n;
		}
		j->cur_w = 1;
		at[co->ncode] = (uint32_t)j->b.len;                /* falling off the end returns */
		j->rax_pos = j->flags_pos = j->xmm_pos = SIZE_MAX; /* (a target) */
		ret_values(j);
		epilogue(j);
	}
	j->counting = false;
	emit_stubs(j);
	resolve(j, co->ncode);
}

/* ------------------------------------------------------------- module */

/* enter(s, fp, inst, code, mobj, base): saves the callee-saved registers,
 * loads the fixed ones and calls code with the stack as a body expects. */
static void emit_enter(struct x64_buf *b)
{
	static const int saved[] = {RBX, RBP, R12, R13, R14, R15};
	for (int i = 0; i < 6; i++)
		x64_push(b, saved[i]);
	x64_alu_ri(b, ALU_SUB, true, RSP, 8);
	x64_mov_rr(b, true, R_S, RDI);
	x64_mov_rr(b, true, R_FP, RSI);
	x64_mov_rr(b, true, R_INST, RDX);
	x64_mov_rr(b, true, R_MOBJ, R8);
	x64_mov_rr(b, true, R_MEM, R9);
	x64_mov_rm(b, false, RAX, x64_m(R_S, offsetof(ewasm_store, nframes)));
	/* R_ARG0 = fp[0], read only inside the value stack (a function
	 * without parameters ignores it) */
	x64_alu_rr(b, ALU_XOR, false, R_ARG0, R_ARG0);
	x64_alu_rm(b, ALU_CMP, true, R_FP, x64_m(R_S, offsetof(ewasm_store, stack_end)));
	size_t past = x64_jcc(b, CC_AE);
	x64_mov_rm(b, true, R_ARG0, x64_m(R_FP, 0));
	x64_patch_rel32(b, past, b->len);
	x64_call_r(b, RCX);
	x64_alu_ri(b, ALU_ADD, true, RSP, 8);
	for (int i = 5; i >= 0; i--)
		x64_pop(b, saved[i]);
	x64_ret(b);
}

static int map_code(struct jc *j, struct wasm_jit *jit)
{
	size_t page = 4096, size = (j->b.len + page - 1) & ~(page - 1);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		fail(j, "", "mmap of the code region failed");
		return -1;
	}
	memcpy(p, j->b.p, j->b.len);
	if (mprotect(p, size, PROT_READ | PROT_EXEC) != 0) {
		munmap(p, size);
		fail(j, "", "mprotect(PROT_EXEC) refused: no executable memory here");
		return -1;
	}
	jit->code = p;
	jit->size = size;
	return 0;
}

static void jc_free(struct jc *j)
{
	x64_buf_free(&j->b);
	xfree(j->native_at);
	xfree(j->is_target);
	xfree(j->fix);
	xfree(j->calls);
	xfree(j->tab);
	xfree(j->stubs);
	xfree(j->ptabs);
	xfree(j->pin);
	xfree(j->wi);
	xfree(j->wf);
	xfree(j->wword);
}

int wasm__jit_compile(ewasm_module *m, char *why, size_t whylen)
{
	struct jc j;
	struct wasm_jit *jit = NULL;
	size_t *entry = NULL;
	memset(&j, 0, sizeof(j));
	x64_buf_init(&j.b);
	j.rax_pos = j.flags_pos = j.xmm_pos = j.intr_pos = SIZE_MAX;
	j.m = m;
	j.why = why;
	j.whylen = whylen;
	pthread_once(&sorted_once, sort_tables);
	j.ops = sorted_ops[m->checked];
	entry = xcalloc((size_t)m->ncodes + 1, sizeof(size_t));
	jit = xcalloc(1, sizeof(*jit));
	if (!entry || !jit) {
		fail(&j, "", "out of memory");
		goto out;
	}
	size_t words = 0; /* about 8 bytes of machine code per code word */
	for (uint32_t i = 0; i < m->ncodes; i++)
		words += m->codes[i].ncode;
	x64_reserve(&j.b, words * 8 + 4096);
	/* int3 padding: clang's -fsanitize=function reads a signature
	 * before the function a pointer calls; let it read these bytes */
	for (int k = 0; k < ENTER_PAD; k++)
		x64_u8(&j.b, 0xcc);
	emit_enter(&j.b);
	for (uint32_t i = 0; i < m->ncodes && !j.failed; i++) {
		entry[i] = j.b.len;
		compile_fn(&j, &m->codes[i], i);
	}
	if (!j.failed && j.b.oom)
		fail(&j, "", "out of memory");
	if (j.failed)
		goto out;
	for (uint32_t k = 0; k < j.ncalls; k++)
		x64_patch_rel32(&j.b, j.calls[k].at, entry[j.calls[k].word]);
	if (map_code(&j, jit))
		goto out;
	jit->enter = (enter_fn)(void *)(jit->code + ENTER_PAD);
	for (uint32_t i = 0; i < m->ncodes; i++)
		m->codes[i].native = jit->code + entry[i];
	m->jit = jit;
	jit = NULL;
out:
	xfree(jit);
	xfree(entry);
	jc_free(&j);
	return j.failed ? -1 : 0;
}

void wasm__jit_free(struct wasm_jit *j)
{
	if (!j)
		return;
	munmap(j->code, j->size);
	xfree(j);
}

void wasm__jit_enter(const struct wasm_jit *j, ewasm_store *s, slot *fp, ewasm_instance *inst,
                     const void *code)
{
	ewasm_memory *mobj = inst->mems ? inst->mems[0] : NULL;
	j->enter(s, fp, inst, code, mobj, mobj ? mobj->base : NULL);
}
