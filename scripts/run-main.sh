#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: show what this host offers, then run a workload in a Keep on
# the backend enarx picks by default (ENARX_BACKEND overrides it).
set -euo pipefail
dir=${1:-build}
enarx=$dir/src/cli/enarx
"$enarx" platform info
echo
wasm=$dir/examples/hello.wasm
if [ ! -f "$wasm" ]; then
	echo "run: $wasm was not built (is clang's wasm32-wasi support installed?)" >&2
	exit 1
fi
echo "\$ enarx run $wasm"
"$enarx" run "$wasm"
