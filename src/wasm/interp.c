// SPDX-License-Identifier: Apache-2.0
/*
 * The interpreter: runs code compiled by compile.c. The loop itself is in
 * interp_body.inc, instantiated twice (guard-page memory / explicit bounds
 * checks). This file adds the numeric helpers with the spec's exact
 * semantics, the run entry with its fault recovery point, and trap
 * construction with a wasm backtrace.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "wasm/jit.h"
#include "wasm/mem.h"
#include "wasm/wasm_int.h"

#include "wasm/numeric.h"

#define CHECKED 0
#define INTERP interp_guard
#include "wasm/interp_body.inc"
#undef CHECKED
#undef INTERP
#define CHECKED 1
#define INTERP interp_checked
#include "wasm/interp_body.inc"
#undef CHECKED
#undef INTERP

const void *const *wasm__handlers(bool checked)
{
	const void *const *t = NULL;
	if (checked)
		interp_checked(NULL, NULL, NULL, &t);
	else
		interp_guard(NULL, NULL, NULL, &t);
	return t;
}

static const char *kind_message(ewasm_trap_kind k)
{
	switch (k) {
	case EWASM_TRAP_UNREACHABLE: return "unreachable";
	case EWASM_TRAP_DIV_BY_ZERO: return "integer divide by zero";
	case EWASM_TRAP_INT_OVERFLOW: return "integer overflow";
	case EWASM_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
	case EWASM_TRAP_OOB_MEMORY: return "out of bounds memory access";
	case EWASM_TRAP_OOB_TABLE: return "out of bounds table access";
	case EWASM_TRAP_INDIRECT_MISMATCH: return "indirect call type mismatch";
	case EWASM_TRAP_NULL_REF: return "uninitialized element";
	case EWASM_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
	case EWASM_TRAP_INTERRUPTED: return "interrupted";
	case EWASM_TRAP_OUT_OF_FUEL: return "all fuel consumed";
	case EWASM_TRAP_HOST: return "host trap";
	case EWASM_TRAP_EXIT: return "exit";
	case EWASM_TRAP_OOM: return "out of memory";
	}
	return "trap";
}

static uint32_t code_offset(const ewasm_func *f, const cword *pc)
{
	const struct wcode *c = f->code;
	if (!c || !pc || pc < c->code || pc >= c->code + c->ncode)
		return 0;
	uint32_t at = (uint32_t)(pc - c->code), lo = 0, hi = c->npcmap;
	/* last entry with .pc <= at */
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (c->pcmap[mid].pc <= at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? c->pcmap[lo - 1].off : 0;
}

#define MAX_BT 64

/* Builds s->pending from the frames [base, s->nframes). */
static void make_trap(ewasm_store *s, uint32_t base)
{
	ewasm_trap *t = xcalloc(1, sizeof(*t));
	if (!t)
		return;
	t->kind = s->trap_kind;
	t->exit_code = s->trap_kind == EWASM_TRAP_EXIT ? s->exit_code : 0;
	const char *msg = s->trap_detail                      ? s->trap_detail
	                  : (s->trap_kind == EWASM_TRAP_HOST) ? s->trap_msg
	                                                      : kind_message(s->trap_kind);
	t->message = xstrdup(msg);
	size_t n = s->nframes - base;
	if (n > MAX_BT)
		n = MAX_BT;
	t->frames = xcalloc(n ? n : 1, sizeof(ewasm_frame));
	if (t->frames) {
		const cword *pc = s->trap_pc;
		for (size_t i = 0; i < n; i++) {
			uint32_t k = s->nframes - 1 - (uint32_t)i;
			ewasm_func *f = s->frames[k].fn;
			ewasm_frame *fr = &t->frames[t->nframes++];
			fr->func_index = f->index;
			fr->func_name =
			    f->inst ? ewasm_module_func_name(f->inst->module, f->index) : NULL;
			fr->code_offset = f->code ? code_offset(f, pc) : 0;
			pc = s->frames[k].ret_pc;
			if (pc)
				pc -= 1; /* inside the call instruction */
		}
	}
	ewasm_trap_free(s->pending);
	s->pending = t;
}

int wasm__run(ewasm_store *s, ewasm_func *fn, slot *fp)
{
	const uint32_t base = s->nframes;
	slot *const saved_top = s->stack_top;
	struct mem_recovery rec;
	volatile int rc;

	s->trap_detail = NULL;
	s->trap_pc = NULL;
	if (!mem__recovery && !fn->inst->module->checked)
		mem__ensure_handler();
	mem__push(&rec);
	int jumped = sigsetjmp(rec.jb, 0);
	if (jumped == WASM_JIT_TRAPPED) {
		/* compiled code (or its runtime) set s->trap_* */
		rc = EWASM_ERR_TRAP;
	} else if (jumped) {
		/* a guard-page fault in the running memory */
		s->trap_kind = EWASM_TRAP_OOB_MEMORY;
		s->trap_pc = NULL;
		rc = EWASM_ERR_TRAP;
	} else if (fn->code->native) {
		rc = wasm__jit_run(s, fn, fp);
	} else if (fn->inst->module->checked) {
		rc = interp_checked(s, fn, fp, NULL);
	} else {
		rc = interp_guard(s, fn, fp, NULL);
	}
	mem__pop(&rec);
	if (rc)
		make_trap(s, base);
	s->nframes = base;
	s->stack_top = saved_top;
	return rc;
}

int wasm__interp(ewasm_store *s, ewasm_func *fn, slot *fp)
{
	if (fn->inst->module->checked)
		return interp_checked(s, fn, fp, NULL);
	return interp_guard(s, fn, fp, NULL);
}
