#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The host never sees plaintext: every byte the host side of a deploy reads
# and writes (the private host agent, its Keep's vCPU threads on kvm, and on
# nil the Keep process itself) is traced with strace, and no marker from
# the wasm's data, the Enarx.toml, a secret (an environment value, and a
# file the workload reads in the Keep and prints), stdin or the workload's
# output
# may appear in it. The client's own trace must show them (so the trace
# itself works). On each backend in ENARX_TEST_BACKENDS (kvm skips where it
# cannot run).
set -uo pipefail
source "$ENARX_SRC/tests/lib/tap.sh"
enarx=$ENARX_BIN
command -v strace >/dev/null || tap_skip_all "strace is not installed"
strace -f -o /dev/null true 2>/dev/null || tap_skip_all "strace cannot trace here (ptrace refused)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Sanitizer builds: LeakSanitizer's exit check ptrace-attaches the process's
# threads, which cannot be done under strace's own ptrace.
[ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS=${ASAN_OPTIONS//detect_leaks=1/detect_leaks=0}

m_wasm=ENARX-MARK-WASM-5519 m_out=ENARX-MARK-OUT-7731 m_toml=ENARX-MARK-TOML-8842
m_secret=ENARX-MARK-SECRET-2290 m_stdin=ENARX-MARK-STDIN-6613
m_file=ENARX-MARK-FILE-4406
# prints m_out; m_wasm sits in its data unprinted
cat >"$tmp/app.wat" <<WAT
(module
  (import "wasi_snapshot_preview1" "fd_write" (func \$w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "$m_out\n")
  (data (i32.const 64) "$m_wasm")
  (data (i32.const 0) "\10\00\00\00\14\00\00\00")
  (func (export "_start") (drop (call \$w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
WAT
printf 'args = ["%s"]\n[[files]]\nkind = "stdin"\n[[files]]\nkind = "stdout"\n[[files]]\nkind = "stderr"\n' \
	"$m_toml" >"$tmp/Enarx.toml"
printf '%s' "$m_secret" >"$tmp/secret"
printf '%s\n' "$m_file" >"$tmp/secretfile"
markers=("$m_wasm" "$m_out" "$m_toml" "$m_secret" "$m_stdin" "$m_file")
# strace -xx prints every byte as \xNN: search for that form
hexof() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n' | sed 's/../\\x&/g'; }
# trace FILEPREFIX CMD...: every data-moving syscall of CMD and its children
trace() {
	local prefix=$1; shift
	strace -f -ff -qq -xx -s 4000000 -o "$prefix" \
		-e trace=read,write,readv,writev,pread64,pwrite64,sendmsg,recvmsg,sendto,recvfrom,sendmmsg,recvmmsg \
		sh -c 'echo $$ >"$0"; exec "$@"' "$prefix.client" "$@"
}
# host_leaks DIR: the markers found in any trace but the client's
host_leaks() {
	local client leaks="" f m
	client=$(cat "$1/t.client")
	for m in "${markers[@]}"; do
		for f in "$1"/t.[0-9]*; do
			[ "$f" = "$1/t.$client" ] && continue
			grep -qaF -- "$(hexof "$m")" "$f" && leaks="$leaks $m"
		done
	done
	printf '%s' "$leaks"
}

for be in ${ENARX_TEST_BACKENDS:-nil kvm}; do
	if ! "$enarx" platform info --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(b["name"] == sys.argv[1] and b["usable"] for b in d["backends"]) else 1)' "$be"; then
		tap_skip "$be: host never sees plaintext" "backend $be not usable here"
		continue
	fi
	rm -rf "$tmp/tr" && mkdir "$tmp/tr"
	out=$(printf '%s\n' "$m_stdin" | trace "$tmp/tr/t" "$enarx" deploy --insecure --backend "$be" --wasmcfgfile "$tmp/Enarx.toml" \
		--secret TOKEN=@"$tmp/secret" "$tmp/app.wat" 2>"$tmp/err")
	rc=$?
	tap_is "$be: the traced deploy ran" "$rc:$out" "0:$m_out"
	client=$(cat "$tmp/tr/t.client")
	nhost=$(ls "$tmp"/tr/t.[0-9]* | grep -vc "t\.$client\$")
	tap_like "$be: the host side was traced (agent and Keep: $nhost)" "$nhost" "^[1-9]"
	tap_is "$be: the trace shows plaintext where it is (the client)" \
		"$(grep -caF -- "$(hexof "$m_out")" "$tmp/tr/t.$client" | grep -c '^[1-9]')" 1
	tap_is "$be: no marker in any byte the host side read or wrote" "$(host_leaks "$tmp/tr")" ""

	# a secret file, read in the Keep (wasi/memfs.c) and printed
	rm -rf "$tmp/tr" && mkdir "$tmp/tr"
	out=$(trace "$tmp/tr/t" "$enarx" deploy --insecure --backend "$be" \
		--secret /secrets/key=@"$tmp/secretfile" "$ENARX_BUILD/examples/filetool.wasm" \
		-- read /secrets/key 2>"$tmp/err" </dev/null)
	tap_is "$be: the traced deploy read its secret file" "$?:$out" "0:$m_file"
	client=$(cat "$tmp/tr/t.client")
	tap_is "$be: the client's trace shows the file's marker (it read the file and the output)" \
		"$(grep -caF -- "$(hexof "$m_file")" "$tmp/tr/t.$client" | grep -c '^[1-9]')" 1
	tap_is "$be: no byte the host side read or wrote holds the secret file" "$(host_leaks "$tmp/tr")" ""
done

# The control: `enarx run` has no sealing, and the same trace sees the
# workload on the host side, so the check above can fail.
rm -rf "$tmp/tr" && mkdir "$tmp/tr"
printf '%s\n' "$m_stdin" | trace "$tmp/tr/t" "$enarx" run --backend nil --wasmcfgfile "$tmp/Enarx.toml" \
	"$tmp/app.wat" >/dev/null 2>&1
tap_like "control: enarx run shows the host the module, its config and output" \
	"$(host_leaks "$tmp/tr")" "$m_wasm $m_out $m_toml"

tap_done
