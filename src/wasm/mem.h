/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Linear-memory backing store and fault recovery: the only OS-specific
 * part of the engine (mem_posix.c). With guard pages, a 32-bit memory is a
 * PROT_NONE reservation of 8 GiB + 64 KiB (any base + offset an instruction
 * can form) whose accessible prefix grows with mprotect, and a SIGSEGV/SIGBUS
 * handler turns faults inside the running memory's reservation into a jump
 * back to the recovery point of the innermost wasm__run(). Without guard
 * pages, memory is malloc'ed and the interpreter checks bounds.
 */
#ifndef ENARX_WASM_MEM_H
#define ENARX_WASM_MEM_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "wasm/wasm_int.h"

/* A recovery point; lives in wasm__run()'s frame. */
struct mem_recovery {
	sigjmp_buf jb;
	struct mem_recovery *prev;
	ewasm_memory *prev_active;
};

/* Memory the current thread's interpreter is using (checked by the fault
 * handler) and the innermost recovery point. */
extern _Thread_local ewasm_memory *mem__active;
extern _Thread_local struct mem_recovery *mem__recovery;

/* True if guard-page reservations work here (probed once). */
bool mem__guard_supported(void);

/* Allocates `pages` pages (zeroed) for m; guard = reserve 8 GiB. Sets
 * m->base, m->size, m->reserved. 0 or EWASM_ERR_NOMEM. */
int mem__alloc(ewasm_memory *m, uint32_t pages, bool guard);
/* Makes m `pages` pages long (new bytes zeroed). 0 or EWASM_ERR_NOMEM. */
int mem__resize(ewasm_memory *m, uint32_t pages);
void mem__free(ewasm_memory *m);

/* Installs the fault handler (idempotent, thread-safe). */
void mem__install_handler(void);
/* Re-installs it if another handler replaced it since (one sigaction call;
 * done at the start of each outermost run in guard mode). */
void mem__ensure_handler(void);

static inline void mem__push(struct mem_recovery *r)
{
	r->prev = mem__recovery;
	r->prev_active = mem__active;
	mem__recovery = r;
}

static inline void mem__pop(struct mem_recovery *r)
{
	mem__recovery = r->prev;
	mem__active = r->prev_active;
}

#endif
