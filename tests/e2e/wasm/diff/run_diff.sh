#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Differential test against V8: diff_engine generates COUNT modules (fixed
# seed) and runs them in our engine; diff_v8.js replays the same calls in
# Node and compares. TAP, one line per module.
# usage: run_diff.sh DIFF_ENGINE NODE DIFF_V8_JS [COUNT]
set -uo pipefail
eng=$1 node=$2 js=$3 count=${4:-300}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! "$eng" "$tmp" "$count" >"$tmp/engine.txt" 2>"$tmp/err"; then
	echo "not ok 1 - diff_engine failed"
	sed 's/^/# /' "$tmp/err" | tail -5
	echo "1..1"
	exit 1
fi
"$node" --stack-size=4000 "$js" "$tmp" "$tmp/engine.txt"
