#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `enarx run --engine jit` in each backend of ENARX_TEST_BACKENDS (default
# "nil kvm"; kvm on a kvm_pvm host too, since these runs are short): the
# module is compiled to machine code inside the Keep (W^X: the sandbox must
# allow mprotect(PROT_EXEC), the KVM shim must clear NX), runs recursion and
# memory, and traps (guard-page fault, division, unreachable) with the
# interpreter's messages and backtraces. docs/jit.md.
set -u
source "$ENARX_SRC/tests/lib/tap.sh"
ENARX=${ENARX_BIN:?}
if "$ENARX" run --backend nil /dev/null 2>&1 | grep -q "no executor image"; then
	tap_skip_all "enarx built without the executor (engine missing)"
fi
T=$(mktemp -d /tmp/enarx-e2e-jit.XXXXXX)
trap 'rm -rf "$T"' EXIT

cat >"$T/prog.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fw (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $asz (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "jit ok\n")
  (func $fib (param i32) (result i32)
    local.get 0 i32.const 2 i32.lt_u
    if (result i32) local.get 0
    else local.get 0 i32.const 1 i32.sub call $fib
         local.get 0 i32.const 2 i32.sub call $fib i32.add end)
  (func $oob (result i32) (i32.load (i32.const 70000)))
  (func $div (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0)))
  (func $boom unreachable)
  (func (export "_start") (local $argc i32)
    (drop (call $asz (i32.const 0) (i32.const 4)))
    (local.set $argc (i32.load (i32.const 0)))
    (if (i32.eq (local.get $argc) (i32.const 2)) (then (drop (call $oob))))
    (if (i32.eq (local.get $argc) (i32.const 3)) (then (drop (call $div (i32.const 0)))))
    (if (i32.eq (local.get $argc) (i32.const 4)) (then (call $boom)))
    (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 7))
    (drop (call $fw (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (i32.sub (call $fib (i32.const 24)) (i32.const 46368)))))
WAT

for B in ${ENARX_TEST_BACKENDS:-nil kvm}; do
	run() { ENARX_KVM_ALLOW_PVM=1 timeout 120 "$ENARX" run --backend "$B" --engine jit "$@"; }
	out=$(ENARX_LOG=debug run "$T/prog.wat" 2>"$T/err"); rc=$?
	if [ "$rc" -ne 0 ] && grep -q "not usable" "$T/err"; then
		tap_skip "$B: jit" "$(grep 'not usable' "$T/err" | head -1)"
		continue
	fi
	tap_is "$B: compiled program prints" "$out" "jit ok"
	tap_is "$B: compiled fib(24) right (exit 0)" "$rc" 0
	tap_like "$B: the module was compiled, not interpreted" "$(tr '\n' ' ' <"$T/err")" \
		"functions compiled to machine code"
	# each trap: the interpreter's exit status, message and backtrace
	# (function indices and code offsets), byte for byte
	for args in "x:out of bounds memory access" "x y:integer divide by zero" "x y z:unreachable"; do
		set -- ${args%%:*}
		run "$T/prog.wat" -- "$@" >/dev/null 2>"$T/jit"; rc=$?
		ENARX_KVM_ALLOW_PVM=1 timeout 120 "$ENARX" run --backend "$B" --engine interp \
			"$T/prog.wat" -- "$@" >/dev/null 2>"$T/interp"
		tap_is "$B: ${args#*:} traps (134)" "$rc" 134
		tap_like "$B: ${args#*:} message and frames" "$(tr '\n' ' ' <"$T/jit")" \
			"${args#*:} wasm backtrace: +0: 0x[0-9a-f]+ - func\[[0-9]+\] +1: 0x0001"
		# (from the trap line on: sanitizer builds warn about the longjmp
		# out of the compiled code's C runtime before it)
		tap_is "$B: ${args#*:}: backtrace as the interpreter's" \
			"$(sed -n '/wasm trap/,$p' "$T/jit")" "$(sed -n '/wasm trap/,$p' "$T/interp")"
	done
	out=$(timeout 60 "$ENARX" run --backend "$B" --engine bogus "$T/prog.wat" 2>&1); rc=$?
	tap_is "$B: unknown engine is a usage error" "$rc" 2
done
tap_done
