// SPDX-License-Identifier: Apache-2.0
/*
 * The baseline compiler's back end on architectures without one (see
 * jit.h): every module stays in the interpreter.
 */
#include <stdio.h>
#include <stdlib.h>

#include "wasm/jit.h"

int wasm__jit_compile(ewasm_module *m, char *why, size_t whylen)
{
	(void)m;
	snprintf(why, whylen, "no compiler for this architecture");
	return -1;
}

void wasm__jit_free(struct wasm_jit *j)
{
	(void)j;
}

void wasm__jit_enter(const struct wasm_jit *j, ewasm_store *s, slot *fp, ewasm_instance *inst,
                     const void *code)
{
	(void)j, (void)s, (void)fp, (void)inst, (void)code;
	abort(); /* unreachable: no function has native code */
}
