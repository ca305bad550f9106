#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Enarx.toml [limits] (issue 19, finding 1): `fuel` ends an endless loop with
# an out-of-fuel trap, `memory` makes memory.grow past it fail (-1, as the
# spec allows) while the same module grows without it; bad values are
# refused with the line and key. Backends: ENARX_TEST_BACKENDS (default nil).
set -u
source "$ENARX_SRC/tests/lib/tap.sh"

ENARX=${ENARX_BIN:?}
T=$(mktemp -d /tmp/enarx-e2e-limits.XXXXXX)
trap 'rm -rf "$T"' EXIT
STDIO='[[files]]
kind = "stdin"
[[files]]
kind = "stdout"
[[files]]
kind = "stderr"
'
cat >"$T/spin.wat" <<'W'
(module
  (memory (export "memory") 1)
  (func $spin (loop $l (br $l)))
  (func (export "_start") (call $spin)))
W
cat >"$T/grow.wat" <<'W'
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (if (i32.eq (memory.grow (i32.const 100)) (i32.const -1))
      (then (call $exit (i32.const 3))))
    (call $exit (i32.const 0))))
W
printf '%s[limits]\nfuel = 1000000\n' "$STDIO" >"$T/fuel.toml"
printf '%s[limits]\nmemory = "1M"\n' "$STDIO" >"$T/mem.toml"
printf '%s[limits]\nmemory = "7X"\n' "$STDIO" >"$T/badmem.toml"
printf '%s[limits]\nfuel = 0\n' "$STDIO" >"$T/badfuel.toml"
printf '%s[limits]\nstack = 1\n' "$STDIO" >"$T/badkey.toml"

for be in ${ENARX_TEST_BACKENDS:-nil}; do
	timeout 120 "$ENARX" run --backend "$be" --wasmcfgfile "$T/fuel.toml" "$T/spin.wat" \
		>/dev/null 2>"$T/err"
	rc=$?
	tap_is "$be: fuel = 1000000 ends an endless loop with a trap (exit 134)" "$rc" 134
	tap_like "$be: the trap says the fuel ran out" "$(cat "$T/err")" "fuel"
	timeout 120 "$ENARX" run --backend "$be" --engine jit --wasmcfgfile "$T/fuel.toml" \
		"$T/spin.wat" >/dev/null 2>"$T/err"
	tap_is "$be: fuel also bounds the JIT (exit 134, fuel)" "$?:$(grep -c fuel "$T/err")" "134:1"
	timeout 60 "$ENARX" run --backend "$be" --wasmcfgfile "$T/mem.toml" "$T/grow.wat"
	tap_is "$be: memory = \"1M\": growing to 101 pages fails (exit 3)" "$?" 3
	timeout 60 "$ENARX" run --backend "$be" "$T/grow.wat"
	tap_is "$be: without [limits] the same grow succeeds (exit 0)" "$?" 0
done
out=$("$ENARX" config check "$T/badmem.toml" 2>&1)
tap_like "config check: a malformed size names the line and key" "$out" "line 8: key 'memory': expected a size"
out=$("$ENARX" config check "$T/badfuel.toml" 2>&1)
tap_like "config check: fuel = 0 is refused" "$out" "line 8: key 'fuel': expected a positive integer"
out=$("$ENARX" config check "$T/badkey.toml" 2>&1)
tap_like "config check: an unknown [limits] key is named" "$out" "key 'stack': unknown key in \[limits\]"
out=$("$ENARX" config check "$T/mem.toml" 2>&1)
tap_like "config check: memory = \"1M\" is accepted" "$out" ": ok"
tap_done
