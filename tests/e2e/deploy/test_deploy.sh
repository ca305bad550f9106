#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# enarx deploy end to end, on each backend in ENARX_TEST_BACKENDS (nil kvm;
# kvm skips with its reason where it cannot run): the examples sealed to a
# fresh Keep through the private host agent, their output, exit codes,
# traps and secrets (environment values and files in the Keep's memory);
# a deployed TCP server reached by a client; guest memory from [limits]
# and its measurement; refusals of insecure Keeps and of host directories;
# packages and directories.
set -uo pipefail
source "$ENARX_SRC/tests/lib/tap.sh"
enarx=$ENARX_BIN
ex=$ENARX_BUILD/examples
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A deployed echo_server (Enarx.toml listen, TCP) answers a client.
serve_check() {
	local be=$1 port pid out
	port=$(free_port)
	printf 'args = ["1"]\n[[files]]\nkind = "stdin"\n[[files]]\nkind = "stdout"\n[[files]]\nkind = "stderr"\n[[files]]\nkind = "listen"\nname = "echo"\nprot = "tcp"\naddr = "127.0.0.1"\nport = %s\n' \
		"$port" >"$tmp/echo.toml"
	timeout 120 "$enarx" deploy --insecure --backend "$be" --wasmcfgfile "$tmp/echo.toml" \
		"$ex/echo_server.wasm" >"$tmp/echo.out" 2>"$tmp/echo.err" &
	pid=$!
	out=$(python3 - "$port" <<-'PY'
	import socket, sys, time
	port = int(sys.argv[1])
	for _ in range(400):
	    try:
	        s = socket.create_connection(("127.0.0.1", port), timeout=20); break
	    except OSError:
	        time.sleep(0.05)
	else:
	    print("connect failed"); sys.exit(1)
	msg = b"hello deployed keep\n" + b"y" * 100000
	s.sendall(msg); s.shutdown(socket.SHUT_WR)
	got = b""
	while True:
	    d = s.recv(65536)
	    if not d: break
	    got += d
	print("same" if got == msg else "differs %d/%d" % (len(got), len(msg)))
	PY
	)
	wait "$pid"
	tap_is "$be: a deployed TCP server (listen in the sealed Enarx.toml) echoes a client" "$out" same
	tap_like "$be: ... and says so in its sealed stdout" "$(cat "$tmp/echo.out")" "echo_server: listening on fd 3"
}

# A TLS client of the deployed echo_server; prints "same TLSv1.x".
tls_client() {
	python3 - "$1" "$2" <<-'PY'
	import os, socket, ssl, sys, time
	port, ca = int(sys.argv[1]), sys.argv[2]
	for _ in range(600):
	    if os.path.exists(ca) and os.path.getsize(ca) > 0:
	        break
	    time.sleep(0.05)
	ctx = ssl.create_default_context(cafile=ca)
	for _ in range(400):
	    try:
	        raw = socket.create_connection(("127.0.0.1", port), timeout=20); break
	    except OSError:
	        time.sleep(0.05)
	else:
	    print("connect failed"); sys.exit(1)
	s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
	msg = b"hello tls keep\n" * 1000
	s.sendall(msg)
	got = b""
	while len(got) < len(msg):
	    d = s.recv(65536)
	    if not d: break
	    got += d
	print("same" if got == msg else "differs %d/%d" % (len(got), len(msg)), s.version())
	PY
}

# prot = "tls": the certificate and key from the sealed package, then the
# Keep's own certificate, which comes back sealed (--tls-cert).
tls_check() {
	local be=$1 port pid out
	if ! command -v openssl >/dev/null; then
		tap_skip "$be: a deployed TLS server" "openssl is not installed"
		return
	fi
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/key.pem" \
		-out "$tmp/cert.pem" -days 2 -subj /CN=keep -addext subjectAltName=IP:127.0.0.1 2>/dev/null
	port=$(free_port)
	printf 'args = ["1"]\n[[files]]\nkind = "stdin"\n[[files]]\nkind = "stdout"\n[[files]]\nkind = "stderr"\n[[files]]\nkind = "listen"\nname = "echo"\nprot = "tls"\naddr = "127.0.0.1"\nport = %s\n' \
		"$port" >"$tmp/tls.toml"
	printf 'cert = "/secrets/cert.pem"\nkey = "/secrets/key.pem"\n' >>"$tmp/tls.toml"
	timeout 120 "$enarx" deploy --insecure --backend "$be" --wasmcfgfile "$tmp/tls.toml" \
		--secret /secrets/cert.pem=@"$tmp/cert.pem" --secret /secrets/key.pem=@"$tmp/key.pem" \
		"$ex/echo_server.wasm" >/dev/null 2>"$tmp/tls.err" &
	pid=$!
	out=$(tls_client "$port" "$tmp/cert.pem")
	wait "$pid"
	tap_like "$be: a deployed TLS server with its certificate and key from the sealed package" "$out" "^same TLSv1\.[23]"
	port=$(free_port)
	sed -e '/^cert = /d' -e '/^key = /d' -e "s/^port = .*/port = $port/" "$tmp/tls.toml" >"$tmp/tls2.toml"
	printf 'names = ["127.0.0.1"]\n' >>"$tmp/tls2.toml"
	rm -f "$tmp/keep.pem"
	timeout 120 "$enarx" deploy --insecure --backend "$be" --wasmcfgfile "$tmp/tls2.toml" \
		--tls-cert "$tmp/keep.pem" "$ex/echo_server.wasm" >/dev/null 2>"$tmp/tls.err" &
	pid=$!
	out=$(tls_client "$port" "$tmp/keep.pem")
	wait "$pid"
	tap_like "$be: ... with the Keep's own certificate, received sealed and pinned" "$out" "^same TLSv1\.[23]"
	tap_like "$be: ... whose fingerprint the client prints" "$(cat "$tmp/tls.err")" "Keep TLS certificate SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}"
}

# --secret /secrets/NAME=@FILE: a file in the Keep's memory.
secret_file_check() {
	local be=$1 out rc
	printf 'file-secret-%s\nsecond line\n' "$be" >"$tmp/sfile"
	out=$("$enarx" deploy --insecure --backend "$be" --secret /secrets/token=@"$tmp/sfile" \
		"$ex/filetool.wasm" -- read /secrets/token 2>/dev/null); rc=$?
	tap_is "$be: the workload reads a secret file in the Keep" "$rc:$out" "0:file-secret-$be
second line"
	out=$("$enarx" deploy --insecure --backend "$be" --secret /secrets/token=@"$tmp/sfile" \
		--secret /secrets/ca.pem=inline "$ex/filetool.wasm" -- ls /secrets 2>/dev/null)
	tap_is "$be: /secrets lists the secret files" "$(printf '%s' "$out" | sort | tr '\n' ' ')" "ca.pem token "
	out=$("$enarx" deploy --insecure --backend "$be" --secret /secrets/token=@"$tmp/sfile" \
		"$ex/filetool.wasm" -- stat /secrets/token 2>/dev/null)
	tap_like "$be: a secret file has its size" "$out" "size=[0-9]+ dir=0"
	out=$("$enarx" deploy --insecure --backend "$be" --secret /secrets/token=@"$tmp/sfile" \
		"$ex/filetool.wasm" -- write /secrets/token x 2>/dev/null)
	tap_like "$be: secret files are read-only" "$out" "^error: open /secrets/token: "
	out=$("$enarx" deploy --insecure --backend "$be" --secret /secrets/token=@"$tmp/sfile" \
		"$ex/filetool.wasm" -- read /secrets/none 2>/dev/null)
	tap_is "$be: a missing secret file is ENOENT" "$out" "error: open /secrets/none: No such file or directory"
	out=$("$enarx" deploy --insecure --backend "$be" --secret /secrets/token=@"$tmp/sfile" \
		"$ex/args.wasm" 2>/dev/null)
	tap_like "$be: FD_NAMES names the secrets preopen" "$out" "env: FD_NAMES=stdin:stdout:stderr:secrets"
}

# [limits] memory sets the guest memory (limit + 256 MiB); the client
# measures its own runtime at that size.
memory_check() {
	local out want
	printf 'args = ["3"]\n[limits]\nmemory = "1536M"\n' >"$tmp/mem.toml"
	"$enarx" deploy --insecure --backend kvm --wasmcfgfile "$tmp/mem.toml" "$ex/exitcode.wasm" \
		>/dev/null 2>"$tmp/err"
	tap_is "kvm: [limits] memory = 1536M deploys (exit code 3)" "$?" 3
	want=$("$enarx" measure --backend kvm --mem 1792M --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["measurement"])')
	tap_like "kvm: its evidence is this build at 1792 MiB (limit + 256 MiB)" "$(cat "$tmp/err")" \
		"runtime enarx [0-9.]+ with 1792 MiB \(kvm\) sha384:$want"
	out=$("$enarx" measure --backend kvm --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["measurement"])')
	if [ "$out" != "$want" ]; then tap_pass "kvm: the measurement depends on the memory size"; else tap_fail "kvm: the measurement depends on the memory size"; fi
}

deploy_checks() {
	local be=$1 out err rc
	out=$("$enarx" deploy --insecure --backend "$be" "$ex/hello.wasm" 2>"$tmp/err"); rc=$?
	err=$(cat "$tmp/err")
	tap_is "$be: hello prints its greeting" "$out" "Hello, world!"
	tap_is "$be: hello exits 0" "$rc" 0
	tap_like "$be: steps: Keep created" "$err" "Keep created: backend $be, private host agent"
	tap_like "$be: steps: evidence" "$err" "evidence: TEE (none|kvm)"
	tap_like "$be: steps: insecure warning" "$err" "WARNING: INSECURE KEEP"
	tap_like "$be: steps: policy, sealed, sent, running" \
		"$(tr '\n' ' ' <"$tmp/err")" "policy passed.*package sealed: sha256:[0-9a-f]{64}.*sent.*running: the Keep opened sha256"
	if [ "$be" = kvm ]; then
		tap_like "kvm: runtime measurement mapped to this build" "$err" \
			"runtime enarx [0-9.]+ \(kvm\) sha384:[0-9a-f]{96}"
		tap_like "kvm: key binding checked" "$err" "key binding checked"
	fi

	out=$(printf 'line one\nline two\n' | "$enarx" deploy --insecure --backend "$be" "$ex/cat.wasm" 2>"$tmp/err")
	tap_is "$be: stdin streams sealed to the workload and back" "$out" "line one
line two"
	tap_like "$be: the workload's stderr comes back too" "$(cat "$tmp/err")" "cat: 18 bytes"

	"$enarx" deploy --insecure --backend "$be" "$ex/exitcode.wasm" -- 7 >/dev/null 2>&1; rc=$?
	tap_is "$be: exit code of the workload" "$rc" 7

	"$enarx" deploy --insecure --backend "$be" "$ex/trap.wasm" -- divide >/dev/null 2>"$tmp/err"; rc=$?
	err=$(cat "$tmp/err")
	tap_is "$be: a trap exits 134" "$rc" 134
	tap_like "$be: trap message" "$err" "Error: wasm trap: integer divide by zero"
	tap_like "$be: trap backtrace with names" "$err" "func\[[0-9]+\] divide"

	printf 'tok-%s' "$be-4711" >"$tmp/secret"
	out=$("$enarx" deploy --insecure --backend "$be" --secret API_TOKEN=@"$tmp/secret" \
		--env MODE=test "$ex/args.wasm" -- one two 2>/dev/null)
	tap_like "$be: the workload prints the secret it received" "$out" "env: API_TOKEN=tok-$be-4711"
	tap_like "$be: --env reaches the workload" "$out" "env: MODE=test"
	tap_like "$be: args after -- reach the workload" "$out" "argv\[2\]=two"

	"$enarx" deploy --backend "$be" "$ex/hello.wasm" >"$tmp/out" 2>"$tmp/err"; rc=$?
	tap_is "$be: insecure Keep without --insecure is refused" "$rc" 1
	tap_like "$be: the refusal names the check" "$(cat "$tmp/err")" "deploy refused: insecure Keep"
	tap_is "$be: nothing ran when refused" "$(cat "$tmp/out")" ""

	secret_file_check "$be"
	serve_check "$be"
	tls_check "$be"
	[ "$be" = kvm ] && memory_check
}

for be in ${ENARX_TEST_BACKENDS:-nil kvm}; do
	if ! why=$("$enarx" platform info --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
b = next((b for b in d["backends"] if b["name"] == sys.argv[1]), None)
if b is None or not b["usable"]:
    print(next((c["title"] + ": " + c["detail"] for c in b["checks"] if not c["ok"]), "not usable") if b else "not in this build")
    sys.exit(1)' "$be" 2>&1); then
		tap_skip "$be: deploy" "backend $be not usable: $why"
		continue
	fi
	deploy_checks "$be"
done

# packages and directories (nil)
mkdir -p "$tmp/app"
cp "$ex/args.wasm" "$tmp/app/main.wasm"
printf 'args = ["from-toml"]\n[[files]]\nkind = "stdin"\n[[files]]\nkind = "stdout"\n[[files]]\nkind = "stderr"\n' >"$tmp/app/Enarx.toml"
out=$("$enarx" deploy --insecure --backend nil "$tmp/app" 2>/dev/null)
tap_like "a directory: main.wasm with its Enarx.toml" "$out" "argv\[1\]=from-toml"
printf 'pkg-secret-99' >"$tmp/s2"
out=$("$enarx" package build -o "$tmp/app.pkg" --secret K=@"$tmp/s2" --env E=1 "$tmp/app" -- a1)
tap_like "package build reports the digest" "$out" "workload digest sha256:[0-9a-f]{64}"
digest=$(printf '%s' "$out" | grep -oE 'sha256:[0-9a-f]{64}')
ins=$("$enarx" package inspect "$tmp/app.pkg")
tap_like "package inspect shows the digest" "$ins" "digest +$digest"
tap_like "package inspect hides secret values" "$ins" "secret +K \(13 bytes, value hidden\)"
if printf '%s' "$ins" | grep -q pkg-secret-99; then tap_fail "inspect never prints a secret"; else tap_pass "inspect never prints a secret"; fi
out=$("$enarx" deploy --insecure --backend nil "$tmp/app.pkg" 2>"$tmp/err")
tap_like "deploy PACKAGE: secret and args from the package" "$out" "env: K=pkg-secret-99"
tap_like "deploy PACKAGE: the Keep opened the same digest" "$(cat "$tmp/err")" "running: the Keep opened $digest"
printf 'pkg-file-secret-77' >"$tmp/s3"
"$enarx" package build -o "$tmp/f.pkg" --secret /secrets/key.pem=@"$tmp/s3" "$ex/filetool.wasm" -- read /secrets/key.pem >/dev/null
ins=$("$enarx" package inspect "$tmp/f.pkg")
tap_like "package inspect shows a secret file, hidden" "$ins" "secret-file /secrets/key.pem \(18 bytes, value hidden\)"
if printf '%s' "$ins" | grep -q pkg-file-secret-77; then tap_fail "inspect never prints a secret file"; else tap_pass "inspect never prints a secret file"; fi
out=$("$enarx" deploy --insecure --backend nil "$tmp/f.pkg" 2>/dev/null)
tap_is "deploy PACKAGE: the workload reads the package's secret file" "$out" "pkg-file-secret-77"
"$enarx" package build -o "$tmp/bad.pkg" --secret /secrets/a/b=x "$ex/hello.wasm" >/dev/null 2>"$tmp/err"
tap_like "a secret file name with '/' is refused" "$(cat "$tmp/err")" "secret-file name must be 1-255 bytes, one path component"
printf '[[files]]\nkind = "stdout"\n[[files]]\nkind = "dir"\nname = "data"\npath = "%s"\n' "$tmp" >"$tmp/dir.toml"
"$enarx" deploy --insecure --backend nil --wasmcfgfile "$tmp/dir.toml" "$ex/hello.wasm" >"$tmp/out" 2>"$tmp/err"; rc=$?
tap_is "a host directory in a deployed Enarx.toml is refused" "$rc:$(cat "$tmp/out")" "1:"
tap_like "... naming the entry and the way out" "$(cat "$tmp/err")" "deploy refused: Enarx.toml: file 'data' is a host directory \(kind = \"dir\"\).*--secret /secrets/NAME=@FILE"
printf '[[files]]\nkind = "listen"\nname = "web"\nprot = "tls"\ncert = "cert.pem"\nkey = "key.pem"\n' >"$tmp/tlsbad.toml"
"$enarx" deploy --insecure --backend nil --wasmcfgfile "$tmp/tlsbad.toml" "$ex/hello.wasm" >/dev/null 2>"$tmp/err2"; rc=$?
tap_is "a TLS file that is not a secret file of the package is refused" "$rc" 1
tap_like "... naming the key and the way" "$(cat "$tmp/err2")" "key 'cert' names cert.pem, which is not a secret file of this package.*--secret /secrets/cert.pem=@FILE"
if grep -q "Keep created" "$tmp/err"; then tap_fail "... before any Keep was made"; else tap_pass "... before any Keep was made"; fi
"$enarx" deploy --insecure --backend nil --json "$ex/hello.wasm" >/dev/null 2>"$tmp/err"
steps=$(python3 -c '
import json, sys
print(" ".join(json.loads(l)["step"] for l in open(sys.argv[1]) if l.startswith("{")))' "$tmp/err")
tap_is "--json: every step as a JSON line" "$steps" "keep evidence policy sealed sent running done end"
"$enarx" deploy --insecure --backend nil "$tmp/nonexistent.wasm" >/dev/null 2>"$tmp/err"; rc=$?
tap_is "a missing module is an error" "$rc" 1
tap_done
