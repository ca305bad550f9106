#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Limits (issue 19, finding 1; docs/security.md "Limits"): Enarx.toml
# [limits] and the `enarx run` options over it. `fuel` ends an endless loop
# with an out-of-fuel trap, `memory` makes memory.grow past it fail (-1, as
# the spec allows) and bounds the Keep process (nil: RLIMIT_DATA) or VM (kvm:
# guest RAM), the host stops a Keep at its wall time (exit 124, the limit
# named), `open_files` caps the WASI descriptors (and nil's RLIMIT_NOFILE),
# `output` traps the write past it. Bad values are refused with the line and
# key or the option. Backends: ENARX_TEST_BACKENDS (default nil).
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
# ten writes of 11 bytes to stdout
cat >"$T/out.wat" <<'W'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "0123456789\n")
  (func (export "_start") (local $i i32)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 11))
    (loop $l
      (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))))
W
# opens "." beneath fd 3 until that fails; exits with how many it opened
cat >"$T/fds.wat" <<'W'
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) ".")
  (func (export "_start") (local $i i32)
    (block $done
      (loop $l
        (br_if $done (call $open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 1)
          (i32.const 0) (i64.const 0) (i64.const 0) (i32.const 0) (i32.const 8)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (i32.const 200)))))
    (call $exit (local.get $i))))
W
mkdir "$T/d"
printf '%s[limits]\nfuel = 1000000\n' "$STDIO" >"$T/fuel.toml"
printf '%s[limits]\nfuel = 1000000000000000\n' "$STDIO" >"$T/bigfuel.toml"
printf '%s[limits]\nmemory = "1M"\n' "$STDIO" >"$T/mem.toml"
printf '%s[limits]\nwall_time = "1500ms"\n' "$STDIO" >"$T/wall.toml"
printf '%s[limits]\nwall_time = "2h"\n' "$STDIO" >"$T/longwall.toml"
printf '%s[limits]\noutput = 50\n' "$STDIO" >"$T/output.toml"
printf '%s[[files]]\nkind = "dir"\nname = "d"\npath = "%s"\n[limits]\nopen_files = 10\n' \
	"$STDIO" "$T/d" >"$T/fds.toml"
printf '%s[[files]]\nkind = "dir"\nname = "d"\npath = "%s"\n' "$STDIO" "$T/d" >"$T/dir.toml"
printf '%s[limits]\nmemory = "7X"\n' "$STDIO" >"$T/badmem.toml"
printf '%s[limits]\nfuel = 0\n' "$STDIO" >"$T/badfuel.toml"
printf '%s[limits]\nstack = 1\n' "$STDIO" >"$T/badkey.toml"
printf '%s[limits]\nwall_time = "3d"\n' "$STDIO" >"$T/badwall.toml"
printf '%s[limits]\ncpu_time = "700ms"\n' "$STDIO" >"$T/cpu.toml"
printf '%s[limits]\ncpu_time = "31d"\n' "$STDIO" >"$T/badcpu.toml"

for be in ${ENARX_TEST_BACKENDS:-nil}; do
	timeout 120 "$ENARX" run --backend "$be" --wasmcfgfile "$T/fuel.toml" "$T/spin.wat" \
		>/dev/null 2>"$T/err"
	rc=$?
	tap_is "$be: fuel = 1000000 ends an endless loop with a trap (exit 134)" "$rc" 134
	tap_like "$be: the trap says the fuel ran out" "$(cat "$T/err")" "fuel"
	timeout 120 "$ENARX" run --backend "$be" --engine jit --wasmcfgfile "$T/fuel.toml" \
		"$T/spin.wat" >/dev/null 2>"$T/err"
	tap_is "$be: fuel also bounds the JIT (exit 134, fuel)" "$?:$(grep -c fuel "$T/err")" "134:1"
	timeout 120 "$ENARX" run --backend "$be" --fuel 1000000 "$T/spin.wat" >/dev/null 2>"$T/err"
	tap_is "$be: --fuel 1000000 alone ends the loop (exit 134, fuel)" \
		"$?:$(grep -c fuel "$T/err")" "134:1"
	timeout 120 "$ENARX" run --backend "$be" --fuel 1000000 --wasmcfgfile "$T/bigfuel.toml" \
		"$T/spin.wat" >/dev/null 2>"$T/err"
	tap_is "$be: --fuel wins over Enarx.toml's fuel (exit 134)" "$?" 134
	timeout 60 "$ENARX" run --backend "$be" --wasmcfgfile "$T/mem.toml" "$T/grow.wat"
	tap_is "$be: memory = \"1M\": growing to 101 pages fails (exit 3)" "$?" 3
	timeout 60 "$ENARX" run --backend "$be" "$T/grow.wat"
	tap_is "$be: without [limits] the same grow succeeds (exit 0)" "$?" 0
	timeout 60 "$ENARX" run --backend "$be" --memory 1M "$T/grow.wat"
	tap_is "$be: --memory 1M: the grow fails (exit 3)" "$?" 3
	timeout 60 "$ENARX" run --backend "$be" --memory 4G --wasmcfgfile "$T/mem.toml" "$T/grow.wat"
	tap_is "$be: --memory 4G wins over memory = \"1M\" (exit 0)" "$?" 0

	# wall time: the Keep stops the workload itself and names the limit
	# (nil: the executor's timer); a Keep without timers (kvm) is killed
	# by the host a second later, which names it
	timeout 60 "$ENARX" run --backend "$be" --timeout 1 "$T/spin.wat" >/dev/null 2>"$T/err"
	tap_is "$be: --timeout 1 stops an endless loop (exit 124)" "$?" 124
	if [ "$be" = nil ]; then
		tap_like "$be: the Keep itself says the wall-time limit was reached" \
			"$(cat "$T/err")" "wasm trap: wall time limit 1.000 s reached"
	else
		tap_like "$be: the message names the wall-time limit" "$(cat "$T/err")" \
			"ran past its wall-time limit of 1.000 s \\(--timeout, \\[limits\\] wall_time\\)"
	fi
	# CPU time: the same, from the Keep's CPU clock (nil: the executor's
	# ITIMER_PROF; kvm: the vCPU thread's)
	timeout 60 "$ENARX" run --backend "$be" --cpu-time 1 "$T/spin.wat" >/dev/null 2>"$T/err"
	tap_is "$be: --cpu-time 1 stops an endless loop (exit 124)" "$?" 124
	tap_like "$be: ... and the message names the CPU-time limit" "$(cat "$T/err")" \
		"CPU time limit 1.000 s reached|ran past its CPU-time limit of 1.000 s \\(--cpu-time, \\[limits\\] cpu_time\\)"
	timeout 60 "$ENARX" run --backend "$be" --engine jit --wasmcfgfile "$T/cpu.toml" \
		"$T/spin.wat" >/dev/null 2>"$T/err"
	tap_is "$be: cpu_time = \"700ms\" stops the JIT's loop too (exit 124)" \
		"$?:$(grep -c '0.700 s' "$T/err")" "124:1"
	timeout 60 "$ENARX" run --backend "$be" --cpu-time 30 "$T/grow.wat"
	tap_is "$be: a workload within its CPU time keeps its own status (exit 0)" "$?" 0
	timeout 60 "$ENARX" run --backend "$be" --engine jit --wasmcfgfile "$T/wall.toml" \
		"$T/spin.wat" >/dev/null 2>"$T/err"
	tap_is "$be: wall_time = \"1500ms\" stops the JIT's loop too (exit 124)" \
		"$?:$(grep -c '1.500 s' "$T/err")" "124:1"
	timeout 60 "$ENARX" run --backend "$be" --timeout 1 --wasmcfgfile "$T/longwall.toml" \
		"$T/spin.wat" >/dev/null 2>&1
	tap_is "$be: --timeout wins over wall_time = \"2h\" (exit 124)" "$?" 124
	timeout 60 "$ENARX" run --backend "$be" --timeout 60 "$T/grow.wat"
	tap_is "$be: a workload that ends in time keeps its own status (exit 0)" "$?" 0

	# output
	out=$(timeout 60 "$ENARX" run --backend "$be" --max-output 50 "$T/out.wat" 2>"$T/err")
	tap_is "$be: --max-output 50: the write past 50 bytes traps (exit 134)" "$?" 134
	tap_is "$be: ... after the 4 writes that fit (44 bytes)" "$(printf '%s\n' "$out" | wc -c)" 44
	tap_like "$be: ... and the trap names the limit" "$(cat "$T/err")" \
		"output limit: the workload wrote more than 50 bytes to stdout and stderr"
	out=$(timeout 60 "$ENARX" run --backend "$be" --wasmcfgfile "$T/output.toml" "$T/out.wat" \
		2>/dev/null)
	tap_is "$be: output = 50 in Enarx.toml does the same (44 bytes)" \
		"$(printf '%s\n' "$out" | wc -c)" 44
	out=$(timeout 60 "$ENARX" run --backend "$be" "$T/out.wat")
	tap_is "$be: without a limit all 110 bytes are written" "$(printf '%s\n' "$out" | wc -c)" 110

	# descriptors: stdio and the preopen take 4 of them
	timeout 60 "$ENARX" run --backend "$be" --wasmcfgfile "$T/fds.toml" "$T/fds.wat"
	tap_is "$be: open_files = 10: the workload opens 6 more" "$?" 6
	timeout 60 "$ENARX" run --backend "$be" --max-fds 12 --wasmcfgfile "$T/fds.toml" "$T/fds.wat"
	tap_is "$be: --max-fds 12 wins: 8 more" "$?" 8
	timeout 60 "$ENARX" run --backend "$be" --wasmcfgfile "$T/dir.toml" "$T/fds.wat"
	tap_is "$be: without a limit it opens all 200 it tries" "$?" 200
	timeout 60 "$ENARX" run --backend "$be" --max-fds 3 --wasmcfgfile "$T/dir.toml" \
		"$T/fds.wat" 2>"$T/err"
	tap_is "$be: --max-fds 3 with 4 files in Enarx.toml: the Keep refuses (exit 1)" "$?" 1
	tap_like "$be: ... naming the limit" "$(cat "$T/err")" \
		"d: more files than the open-files limit allows \\(--max-fds, \\[limits\\] open_files\\)"
done

# The Keep process itself (nil): RLIMIT_DATA = memory + 256 MiB,
# RLIMIT_NOFILE = open_files + 16, RLIMIT_CPU = cpu_time rounded up + 1 s
# (SIGKILL 1 s later), read from the host's /proc while it runs.
"$ENARX" run --backend nil --memory 1M --max-fds 20 --cpu-time 4500ms --timeout 20 "$T/spin.wat" \
	>/dev/null 2>"$T/nil.err" &
pid=$!
limits=""
for _ in $(seq 100); do
	kid=$(cat /proc/$pid/task/*/children 2>/dev/null | tr -d ' ')
	if [ -n "$kid" ] && grep -q "Max data size" "/proc/$kid/limits" 2>/dev/null &&
		[ "$(readlink "/proc/$kid/exe" 2>/dev/null)" != "$(readlink /proc/$pid/exe)" ]; then
		limits=$(cat "/proc/$kid/limits")
		break
	fi
	sleep 0.1
done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if [ -z "$limits" ]; then
	tap_fail "nil: the Keep's /proc/PID/limits could be read"
elif ENARX_LOG=info "$ENARX" run --backend nil --memory 1M "$T/grow.wat" 2>&1 |
	grep -q "dynamically linked executor"; then
	tap_skip "nil: RLIMIT_DATA is memory + 256 MiB" "sanitizer build (dynamic executor)"
else
	tap_like "nil: RLIMIT_DATA is memory + 256 MiB (270532608)" "$limits" \
		"Max data size +270532608 +270532608"
fi
tap_like "nil: RLIMIT_NOFILE is open_files + 16 (36)" "$limits" "Max open files +36 +36"
tap_like "nil: RLIMIT_CPU is cpu_time rounded up + 1 s, hard 1 s more (6, 7)" "$limits" \
	"Max cpu time +6 +7 +seconds"
# and by default: the wasm32 maximum + 256 MiB
"$ENARX" run --backend nil --timeout 20 "$T/spin.wat" >/dev/null 2>&1 &
pid=$!
limits=""
for _ in $(seq 100); do
	kid=$(cat /proc/$pid/task/*/children 2>/dev/null | tr -d ' ')
	if [ -n "$kid" ] && [ "$(readlink "/proc/$kid/exe" 2>/dev/null)" != "$(readlink /proc/$pid/exe)" ]; then
		limits=$(cat "/proc/$kid/limits" 2>/dev/null)
		[ -n "$limits" ] && break
	fi
	sleep 0.1
done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if ENARX_LOG=info "$ENARX" run --backend nil "$T/grow.wat" 2>&1 | grep -q "dynamically linked executor"; then
	tap_skip "nil: RLIMIT_DATA by default is 4 GiB + 256 MiB" "sanitizer build (dynamic executor)"
else
	tap_like "nil: RLIMIT_DATA by default is 4 GiB + 256 MiB (4563402752)" "$limits" \
		"Max data size +4563402752 +4563402752"
fi

# KVM: the guest's RAM follows the memory limit
out=$(ENARX_LOG=info timeout 60 "$ENARX" run --backend kvm --memory 1M "$T/grow.wat" 2>&1)
rc=$?
if printf '%s' "$out" | grep -q "not usable\|unknown backend"; then
	tap_skip "kvm: guest RAM follows --memory" "$(printf '%s' "$out" | head -1)"
else
	tap_is "kvm: --memory 1M: the grow fails in the VM too (exit 3)" "$rc" 3
	tap_like "kvm: --memory 1M gives a 258 MiB guest" "$out" "guest memory 258 MiB"
fi

# A trap report larger than the host reads (64 frames of 70,000-byte names
# from the name section: 4.5 MB) used to hang `enarx run`; the executor now
# cuts it to fit, with a note. The module is written here byte by byte.
python3 - "$T/bignames.wasm" <<'PY'
import sys
def leb(n):
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)
def sec(i, body):
    return bytes([i]) + leb(len(body)) + body
def vec(items):
    return leb(len(items)) + b"".join(items)
N = 64
types = sec(1, vec([b"\x60\x00\x00"]))
funcs = sec(3, vec([b"\x00"] * N))
exports = sec(7, vec([leb(6) + b"_start" + b"\x00" + leb(0)]))
bodies = [b"\x00\x10" + leb(i + 1) + b"\x0b" for i in range(N - 1)] + [b"\x00\x00\x0b"]
code = sec(10, vec([leb(len(b)) + b for b in bodies]))
names = vec([leb(i) + leb(70000) + (b"%02d" % i) * 35000 for i in range(N)])
sub = b"\x01" + leb(len(names)) + names
custom = sec(0, leb(4) + b"name" + sub)
open(sys.argv[1], "wb").write(b"\0asm\1\0\0\0" + types + funcs + exports + code + custom)
PY
for be in ${ENARX_TEST_BACKENDS:-nil}; do
	timeout 60 "$ENARX" run --backend "$be" "$T/bignames.wasm" >/dev/null 2>"$T/err"
	tap_is "$be: a trap with 64 frames of 70,000-byte names ends (exit 134, no hang)" "$?" 134
	tap_like "$be: ... with a note that the report was cut" "$(head -c 300 "$T/err")" \
		"wasm trap: unreachable.*\\(trap report cut to fit 1048576 bytes: names shortened to 4096 bytes\\)"
	tap_is "$be: ... and all 64 frames listed" "$(grep -c '^ *[0-9]*: 0x' "$T/err")" 64
	tap_like "$be: ... the innermost named, shortened" "$(grep '^ *0: ' "$T/err" | cut -c1-40)" \
		"func\\[63\\] 63636363"
done

out=$("$ENARX" run --memory 5G "$T/grow.wat" 2>&1)
tap_is "run: --memory 5G is a usage error (exit 2)" "$?" 2
tap_like "run: ... naming the option and the range" "$out" "bad --memory '5G' \\(a size from 64K to 4G"
out=$("$ENARX" run --timeout 5x "$T/grow.wat" 2>&1)
tap_like "run: --timeout 5x is refused" "$out" "bad --timeout '5x'"
out=$("$ENARX" run --max-fds 2 "$T/grow.wat" 2>&1)
tap_like "run: --max-fds 2 is refused" "$out" "bad --max-fds '2' \\(a number of descriptors from 3 to 4096\\)"
out=$("$ENARX" run --help)
for o in memory fuel timeout cpu-time max-fds max-output; do
	tap_like "run --help documents --$o" "$out" "--$o "
done
tap_like "run --help documents exit 124" "$out" "124 when"
out=$("$ENARX" config check "$T/badmem.toml" 2>&1)
tap_like "config check: a malformed size names the line and key" "$out" "line 8: key 'memory': expected a size"
out=$("$ENARX" config check "$T/badfuel.toml" 2>&1)
tap_like "config check: fuel = 0 is refused" "$out" "line 8: key 'fuel': expected a positive integer"
out=$("$ENARX" config check "$T/badwall.toml" 2>&1)
tap_like "config check: wall_time = \"3d\" is refused" "$out" "line 8: key 'wall_time': expected a duration"
out=$("$ENARX" config check "$T/badcpu.toml" 2>&1)
tap_like "config check: cpu_time = \"31d\" is refused" "$out" "line 8: key 'cpu_time': expected a duration"
out=$("$ENARX" run --cpu-time 0 "$T/grow.wat" 2>&1)
tap_like "run: --cpu-time 0 is refused" "$out" "bad --cpu-time '0'"
out=$("$ENARX" config check "$T/badkey.toml" 2>&1)
tap_like "config check: an unknown [limits] key is named" "$out" "key 'stack': unknown key in \[limits\]"
# the example of docs/enarx-toml.md is accepted as written
awk '/^```toml/{b=""; f=1; next} /^```/{if (f && b ~ /wall_time/) print b; f=0} f{b=b $0 "\n"}' \
	"$ENARX_SRC/docs/enarx-toml.md" | head -c -1 >"$T/doc.toml"
out=$("$ENARX" config check "$T/doc.toml" 2>&1)
tap_like "config check: the [limits] example of docs/enarx-toml.md is ok" \
	"$(grep -c open_files "$T/doc.toml"):$out" "^1:.*: ok"
out=$("$ENARX" config check "$T/mem.toml" 2>&1)
tap_like "config check: memory = \"1M\" is accepted" "$out" ": ok"
tap_done
