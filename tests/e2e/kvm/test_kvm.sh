#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end checks of the KVM backend with the real enarx binary: the launch
# measurement (`enarx measure`), its agreement with an independent
# computation over the embedded executor, backend selection, and real Keeps
# running the example workloads. The full `enarx run` suite on kvm is
# registered separately (e2e-run-kvm). On a PVM host (kvm_pvm) the Keeps run
# with ENARX_KVM_ALLOW_PVM=1 (docs/kvm-keep.md).
set -u
source "$ENARX_SRC/tests/lib/tap.sh"

ENARX=${ENARX_BIN:?}
B=${ENARX_BUILD:?}
EX=$B/examples
BENCH=$B/tests/unit/kvm/kvm-bench
EXEC=$B/src/exec/enarx-exec

# --- measurement: no /dev/kvm needed -------------------------------------
out=$("$ENARX" measure); rc=$?
tap_is "measure exits 0" "$rc" 0
tap_like "measure prints a SHA-384 digest" "$out" "measurement  sha384:[0-9a-f]{96}$"
d1=$(printf '%s\n' "$out" | sed -n 's/^measurement  sha384://p')
d2=$("$ENARX" measure | sed -n 's/^measurement  sha384://p')
tap_is "measurement is deterministic" "$d2" "$d1"
d3=$("$ENARX" measure --mem 2G | sed -n 's/^measurement  sha384://p')
tap_ok "memory size is part of the measurement" test "$d3" != "$d1"
j=$("$ENARX" measure --json)
tap_is "json carries the same digest" \
	"$(printf '%s' "$j" | python3 -c 'import json,sys; print(json.load(sys.stdin)["measurement"])')" "$d1"
if [ -x "$BENCH" ] && [ -f "$EXEC" ]; then
	tap_is "enarx measure equals the digest of the executor file" "$("$BENCH" measure "$EXEC")" "$d1"
else
	tap_skip "enarx measure equals the digest of the executor file" "kvm-bench or enarx-exec not built"
fi
out=$("$ENARX" measure --backend nil 2>&1); rc=$?
tap_is "nil has no measurement (exit 1)" "$rc" 1
tap_like "nil refusal explains" "$out" "no launch measurement for backend 'nil'"
out=$("$ENARX" measure --mem 3 2>&1); rc=$?
tap_is "too little memory refused" "$rc" 1

# --- selection ------------------------------------------------------------
pvm=0
[ -e /sys/module/kvm_pvm ] && pvm=1
if [ ! -e /dev/kvm ]; then
	out=$("$ENARX" run --backend kvm "$EX/hello.wasm" 2>&1); rc=$?
	tap_is "no /dev/kvm: kvm refused" "$rc" 1
elif [ "$pvm" = 1 ]; then
	out=$(env -u ENARX_KVM_ALLOW_PVM "$ENARX" run --backend kvm "$EX/hello.wasm" 2>&1); rc=$?
	tap_is "PVM host: kvm not used unless allowed (exit 1)" "$rc" 1
	tap_like "PVM host: the reason is given" "$out" "kvm_pvm"
	out=$(env -u ENARX_KVM_ALLOW_PVM "$ENARX" run "$EX/hello.wasm" 2>&1)
	tap_is "PVM host: default backend still runs hello" "$out" "Hello, world!"
	export ENARX_KVM_ALLOW_PVM=1
else
	out=$("$ENARX" run "$EX/hello.wasm" 2>&1)
	tap_is "default backend (kvm) runs hello" "$out" "Hello, world!"
fi

# --- real Keeps ------------------------------------------------------------
if [ ! -e /dev/kvm ] || [ ! -f "$EX/hello.wasm" ]; then
	tap_skip "kvm Keeps" "no /dev/kvm or examples not built"
	tap_done
fi
out=$("$ENARX" run --backend kvm "$EX/hello.wasm" 2>&1); rc=$?
tap_is "kvm: hello" "$out" "Hello, world!"
tap_is "kvm: hello exits 0" "$rc" 0
"$ENARX" run --backend kvm "$EX/exitcode.wasm" -- 9 >/dev/null 2>&1
tap_is "kvm: exit code" "$?" 9
out=$(printf 'abc\n' | "$ENARX" run --backend kvm "$EX/cat.wasm" 2>/dev/null)
tap_is "kvm: stdin echo" "$out" "abc"
out=$("$ENARX" run --backend kvm "$EX/trap.wasm" 2>&1); rc=$?
tap_is "kvm: trap exits 134" "$rc" 134
tap_like "kvm: trap has a backtrace" "$out" "unreachable"
if [ -x "$BENCH" ]; then
	G=$B/tests/unit/kvm/kvm-test-guest
	out=$("$BENCH" run "$G" getatt)
	tap_like "kvm: SYS_GETATT returns insecure KVM evidence with the nonce" "$out" \
		"^getatt 128 ENXKVMv1 nonce-ok=1 digest=[0-9a-f]{96}$"
fi
tap_done
