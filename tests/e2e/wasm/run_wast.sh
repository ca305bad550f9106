#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Converts one .wast file with wast2json into a temporary folder and runs a
# checker on it, speaking TAP: one line per command.
# usage: run_wast.sh WAST2JSON FILE.wast CHECKER [ARGS...]
#   e.g. run_wast.sh wast2json i32.wast spec_runner --tap
#        run_wast.sh wast2json i32.wast node node_check.js
set -uo pipefail
w2j=$1 wast=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
name=$(basename "$wast" .wast)
if ! "$w2j" "$wast" -o "$tmp/$name.json" 2>"$tmp/err"; then
	echo "not ok 1 - wast2json $name.wast"
	sed 's/^/# /' "$tmp/err"
	echo "1..1"
	exit 1
fi
"$@" "$tmp/$name.json"
