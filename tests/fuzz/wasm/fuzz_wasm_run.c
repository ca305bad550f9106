/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_wasm_run: generated valid modules run differentially (see
 * fuzz_wasm_diff.h) in an engine whose memories use guard pages and whose
 * compiler fuses instructions, and in one with explicit bounds checks
 * (force_bounds_checks) that compiles every instruction on its own
 * (no_fusion), so the plain code is the reference for the fused code and
 * the checked accesses for the guard pages.
 */
#include <enarx/wasm.h>

#define DIFF_TARGET "fuzz_wasm_run"
#define DIFF_WHAT "guard and checked modes"
#define DIFF_VARIANTS 1
/* a guard-page fault has no offset for its innermost frame */
#define DIFF_FRAMES 0

static void diff_configure(int side, int variant, ewasm_config *cfg)
{
	(void)variant;
	cfg->force_bounds_checks = (uint8_t)side;
	cfg->no_fusion = (uint8_t)side;
}

#include "fuzz_wasm_diff.h"
