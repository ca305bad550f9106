#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make bench` section for the host agent (host_bench.py says what it
# measures). Usage: host_bench.sh BUILD_DIR [N] [SECONDS]
set -uo pipefail
build=$1
enarx=$build/src/cli/enarx
[ -x "$enarx" ] && [ -f "$build/examples/hello.wasm" ] || { echo "skipped: enarx or hello.wasm not built"; exit 0; }
exec nice python3 "$(dirname "$0")/host_bench.py" "$enarx" "${2:-200}" "${3:-5}"
