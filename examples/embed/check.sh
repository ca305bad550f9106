#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the embedding example and checks every line it prints (TAP).
# usage: check.sh EMBED_EXE GUEST_WASM
set -u
exe=$1 guest=$2
out=$("$exe" "$guest" 10 2>&1)
rc=$?
echo "1..6"
n=0
check() {
	n=$((n + 1))
	if grep -qxF -- "$1" <<<"$out"; then echo "ok $n - $2"; else
		echo "not ok $n - $2"; echo "# expected line: $1"; sed 's/^/# got: /' <<<"$out"; fi
}
[ "$rc" -eq 0 ] && echo "ok 1 - exit status 0" || echo "not ok 1 - exit status $rc"
n=1
check "guest says: hello from wasm" "host function reads guest memory"
check "sum of squares 1..10 = 385 (10 host calls)" "typed call with host callbacks"
check 'calls = 1, memory[64..69] = "hello"' "global and memory access"
check "trap: integer divide by zero" "trap reported"
n=$((n + 1))
if grep -qE '^  #0 func 4 \(divide\) at offset 0x[0-9a-f]+$' <<<"$out" &&
	grep -qE '^  #1 func 5 ' <<<"$out"; then
	echo "ok $n - backtrace names the trapping function and its caller"
else
	echo "not ok $n - backtrace"; sed 's/^/# got: /' <<<"$out"
fi
