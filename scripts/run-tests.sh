#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every test layer of one build and prints the summary; the last line is
# `N passed, N failed, N skipped`. Extra arguments go to `meson test`.
set -uo pipefail
dir=${1:-build}; shift || true
mult=1
if python3 -c 'import json,sys; o={x["name"]:x["value"] for x in json.load(open(sys.argv[1]))}; sys.exit(0 if o.get("b_sanitize","none")!="none" else 1)' "$dir/meson-info/intro-buildoptions.json"; then
	mult=4
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:handle_segv=0:allow_user_segv_handler=1:abort_on_error=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
meson test -C "$dir" --no-rebuild --print-errorlogs --timeout-multiplier "$mult" \
	--num-processes "$(nproc)" "$@" >"$dir/test-output.txt" 2>&1
grep -E "^ *[0-9]+/[0-9]+ " "$dir/test-output.txt" | sed 's/^ *//'
python3 "$(dirname "$0")/test-summary.py" "$dir/meson-logs/testlog.json"
