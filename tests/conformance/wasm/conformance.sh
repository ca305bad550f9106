#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Human-readable spec conformance run (per-file counts, failures, and as the
# last line "N passed, N failed") for `make conformance`, once with the
# module compiled to machine code (docs/jit.md) and then, last, in the
# interpreter (the reference):
#   bash tests/conformance/wasm/conformance.sh BUILD_DIR
# Needs ENARX_WASM_TESTSUITE (the core .wast folder, e.g. the spec repo's
# test/core at tag wg-2.0); ENARX_WAST2JSON picks a wast2json newer than
# Debian's 1.0.32, which cannot parse 7 of the wg-2.0 files.
set -uo pipefail
dir=${1:-build}
top=$(cd "$(dirname "$0")/../../.." && pwd)
runner=$dir/tests/e2e/wasm/spec_runner
if [ -z "${ENARX_WASM_TESTSUITE:-}" ]; then
	echo "wasm conformance: skipped (ENARX_WASM_TESTSUITE not set)"
	exit 0
fi
if [ ! -x "$runner" ]; then
	echo "wasm conformance: $runner not built"
	exit 1
fi
rc=0
echo "== mode: jit (ENARX_WASM_ENGINE=jit)"
ENARX_WASM_ENGINE=jit python3 "$top/tests/conformance/wasm/run_spec.py" "$runner" || rc=1
echo "== mode: interpreter"
ENARX_WASM_ENGINE=interp python3 "$top/tests/conformance/wasm/run_spec.py" "$runner" || rc=1
exit $rc
