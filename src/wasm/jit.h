/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The baseline compiler: the one fixed header between the engine and its
 * architecture back ends (arch/<cpu>/jit_*.c, or jit_none.c). A back end
 * translates a module's plain threaded code (compile.c with fusion off)
 * into machine code, one function at a time in one pass; jit_rt.c holds
 * the arch-neutral runtime that code calls (traps, calls, the rare ops).
 * Contract with the interpreter: same trap kinds, trap pcs (so the same
 * code offsets and backtraces), frame records and limits.
 */
#ifndef ENARX_WASM_JIT_H
#define ENARX_WASM_JIT_H

#include <stddef.h>
#include <stdint.h>

#include "wasm/wasm_int.h"

struct wasm_jit;

/* ------------------------------------------------ back end (arch/...) */

/*
 * Compiles every function of `m` (compiled to plain threaded code) to
 * machine code in one W^X region: written while RW, then made RX. Sets
 * m->jit and each m->codes[i].native. Returns 0, or -1 when the module
 * must stay in the interpreter (an op or size the back end does not
 * handle, no executable memory, no memory): `why` (at least 128 bytes)
 * then says which.
 */
int wasm__jit_compile(ewasm_module *m, char *why, size_t whylen);
void wasm__jit_free(struct wasm_jit *j); /* accepts NULL */
/* Enters compiled code `code` (a function of instance `inst`) with its
 * frame at fp; returns when it returns. Traps do not return here: they
 * siglongjmp to the innermost run's recovery point. */
void wasm__jit_enter(const struct wasm_jit *j, ewasm_store *s, slot *fp, ewasm_instance *inst,
                     const void *code);

/* ----------------------------------------------------- runtime (jit_rt.c) */

/* Runs fn (of a compiled module) like the interpreter: frame record,
 * active memory, native stack limit. Called inside wasm__run()'s recovery
 * point; returns 0 (a trap unwinds instead). */
int wasm__jit_run(ewasm_store *s, ewasm_func *fn, slot *fp);
/* The value siglongjmp gives the recovery point when s->trap_* is set. */
#define WASM_JIT_TRAPPED 2
/* Raises trap `kind` at threaded-code pc (NULL: function entry). */
_Noreturn void wasm__jit_trap(ewasm_store *s, int kind, const cword *pc);

/* A rare op run in C: [h]... at pc, frame fp; may trap. */
typedef void (*wasm__jit_op_fn)(ewasm_store *s, ewasm_instance *inst, slot *fp, const cword *pc);
/* A unary numeric op on slot bits; may trap at pc. */
typedef uint64_t (*wasm__jit_un_fn)(uint64_t x, ewasm_store *s, const cword *pc);
/* A binary numeric op on slot bits. */
typedef uint64_t (*wasm__jit_bin_fn)(uint64_t x, uint64_t y);
/* The C implementation of op o, or NULL if it has none of that shape. */
wasm__jit_op_fn wasm__jit_op(enum wop o);
wasm__jit_un_fn wasm__jit_unary(enum wop o);
wasm__jit_bin_fn wasm__jit_binary(enum wop o);
/* The engine's NaN rule (numeric.h) for a result r of a OP b. */
double wasm__jit_nan64(double a, double b, double r);
float wasm__jit_nan32(float a, float b, float r);

/*
 * A call the compiled code does not make itself: CALL of an import or
 * CALL_INDIRECT (`indirect`) at pc, from a frame of `frame_slots` slots.
 * Checks the table entry and signature, then either pushes the frame
 * record and returns the callee's machine code (same instance: the caller
 * calls it, then pops the record), or makes the whole call (host
 * function, other instance, interpreted callee) and returns NULL.
 */
const void *wasm__jit_call(ewasm_store *s, ewasm_instance *inst, slot *fp, const cword *pc,
                           uint32_t frame_slots, int indirect);

#endif
