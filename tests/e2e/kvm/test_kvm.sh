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
# A build whose executor cannot run in a Keep (sanitizer builds link it
# dynamically) says so; skip the Keeps with that reason.
unusable=$("$ENARX" run --backend kvm "$EX/hello.wasm" 2>&1 >/dev/null | grep -o "not usable here: .*")
if [ -e /dev/kvm ] && [ -n "$unusable" ]; then
	tap_skip "kvm Keeps" "backend kvm $unusable"
	tap_done
fi
if [ ! -e /dev/kvm ]; then
	out=$("$ENARX" run --backend kvm "$EX/hello.wasm" 2>&1); rc=$?
	tap_is "no /dev/kvm: kvm refused" "$rc" 1
elif [ "$pvm" = 1 ]; then
	def=$(env -u ENARX_KVM_ALLOW_PVM "$ENARX" platform info --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["default_backend"])')
	tap_is "PVM host: kvm not auto-selected" "$def" "nil"
	def=$(ENARX_KVM_ALLOW_PVM=1 "$ENARX" platform info --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["default_backend"])')
	tap_is "PVM host: ENARX_KVM_ALLOW_PVM=1 makes kvm the default" "$def" "kvm"
	out=$(env -u ENARX_KVM_ALLOW_PVM ENARX_LOG=info "$ENARX" run --backend kvm "$EX/hello.wasm" 2>&1); rc=$?
	tap_is "PVM host: kvm runs when named (exit 0)" "$rc" 0
	tap_like "PVM host: the slowness is explained at info level" "$out" "kvm_pvm"
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
# --- files: a preopened directory, used and escaped from ---------------------
T=$(mktemp -d /tmp/enarx-e2e-kvm.XXXXXX)
trap 'rm -rf "$T"; [ -n "${SRV:-}" ] && kill "$SRV" 2>/dev/null' EXIT
mkdir -p "$T/box" && echo "TOP SECRET" >"$T/secret" && ln -sf ../secret "$T/box/esc"
cat >"$T/dir.toml" <<TOML
[[files]]
kind = "stdin"
[[files]]
kind = "stdout"
[[files]]
kind = "stderr"
[[files]]
kind = "dir"
path = "$T/box"
name = "/data"
TOML
ft() { "$ENARX" run --backend kvm --wasmcfgfile "$T/dir.toml" "$EX/filetool.wasm" -- "$@" 2>&1; }
ft write /data/a.txt "in the keep" >/dev/null
tap_is "kvm: file written into the preopen" "$(cat "$T/box/a.txt" 2>/dev/null)" "in the keep"
ft mkdir /data/d >/dev/null; ft mv /data/a.txt /data/d/b.txt >/dev/null
tap_is "kvm: mkdir + rename beneath the preopen" "$(cat "$T/box/d/b.txt" 2>/dev/null)" "in the keep"
tap_like "kvm: stat" "$(ft stat /data/d/b.txt)" "size=11 dir=0"
tap_like "kvm: escape via .. refused" "$(ft read /data/../secret)" "^error: open"
tap_like "kvm: symlink out refused" "$(ft read /data/esc)" "^error: open"
ft write /data/../evil x >/dev/null
tap_ok "kvm: nothing created outside" test ! -e "$T/evil"

# --- TCP: an echo server in the Keep, a real client on loopback -------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/echo.toml" <<TOML
args = ["1"]
[[files]]
kind = "stdin"
[[files]]
kind = "stdout"
[[files]]
kind = "stderr"
[[files]]
kind = "listen"
name = "echo"
prot = "tcp"
addr = "127.0.0.1"
port = $port
TOML
"$ENARX" run --backend kvm --wasmcfgfile "$T/echo.toml" "$EX/echo_server.wasm" >/dev/null 2>&1 &
SRV=$!
out=$(python3 - "$port" <<'PY'
import socket, sys, time
for _ in range(300):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20); break
    except OSError:
        time.sleep(0.05)
else:
    print("connect failed"); sys.exit(0)
msg = b"y" * 100000
s.sendall(msg); s.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = s.recv(65536)
    if not d: break
    got += d
print("same" if got == msg else "differs %d" % len(got))
PY
)
tap_is "kvm: TCP echo of 100 kB through the sallyport" "$out" "same"
wait "$SRV"; tap_is "kvm: echo server exits 0" "$?" 0
SRV=

if [ -x "$BENCH" ]; then
	G=$B/tests/unit/kvm/kvm-test-guest
	out=$("$BENCH" run "$G" getatt)
	tap_like "kvm: SYS_GETATT returns insecure KVM evidence with the nonce" "$out" \
		"^getatt 128 ENXKVMv1 nonce-ok=1 digest=[0-9a-f]{96}$"
fi
tap_done
