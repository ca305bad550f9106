/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_wasm_jit: generated valid modules run differentially (see
 * fuzz_wasm_diff.h) in machine code from the baseline compiler
 * (EWASM_ENGINE_JIT) and in the interpreter, the reference, in the same
 * memory mode: guard pages for even-sized inputs, explicit bounds checks
 * for odd ones. Results, trap kinds, backtraces (functions and code
 * offsets), fuel, memory and globals must all agree.
 */
#include <enarx/wasm.h>

#define DIFF_TARGET "fuzz_wasm_jit"
#define DIFF_WHAT "jit and interpreter"
#define DIFF_VARIANTS 2
#define DIFF_FRAMES 1

static void diff_configure(int side, int variant, ewasm_config *cfg)
{
	cfg->engine = side == 0 ? EWASM_ENGINE_JIT : EWASM_ENGINE_INTERP;
	cfg->force_bounds_checks = (uint8_t)variant;
}

#include "fuzz_wasm_diff.h"
