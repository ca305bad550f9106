#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end tests of `enarx run` with the real enarx binary and the example
# workloads (build/examples/*.wasm), for every backend in ENARX_TEST_BACKENDS
# (default "nil kvm"; a backend that is not built or not usable here is
# skipped with the reason). Covers exit codes, stdio, args/env, Enarx.toml
# errors, traps with backtraces, preopened dirs, the sandbox-escape suite, a
# TCP echo server driven by a real client on loopback, and the nil sandbox.
set -u
source "$ENARX_SRC/tests/lib/tap.sh"

ENARX=${ENARX_BIN:?}
EX=${ENARX_BUILD:?}/examples
[ -f "$EX/hello.wasm" ] || tap_skip_all "examples not built (no wasm32-wasi clang)"
if "$ENARX" run --backend nil "$EX/hello.wasm" 2>&1 | grep -q "no executor image"; then
	tap_skip_all "enarx built without the executor (engine missing)"
fi

T=$(mktemp -d /tmp/enarx-e2e-run.XXXXXX)
trap 'rm -rf "$T"; [ -n "${SRV:-}" ] && kill "$SRV" 2>/dev/null' EXIT

run() { timeout 60 "$ENARX" run --backend "$B" "$@"; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

backend_ok() {
	local out
	out=$(timeout 60 "$ENARX" run --backend "$1" "$EX/hello.wasm" 2>"$T/why")
	if [ "$out" = "Hello, world!" ]; then return 0; fi
	SKIP_WHY=$(grep -v 'warn:' "$T/why" | head -1)
	return 1
}

basic_tests() {
	local out err rc
	out=$(run "$EX/hello.wasm"); rc=$?
	tap_is "$B: hello prints" "$out" "Hello, world!"
	tap_is "$B: hello exits 0" "$rc" 0

	# WebAssembly text: converted on the host, detected by content.
	out=$(run "$ENARX_SRC/tests/e2e/run/hello.wat"); rc=$?
	tap_is "$B: hello.wat prints" "$out" "Hello, world!"
	tap_is "$B: hello.wat exits 0" "$rc" 0
	cp "$ENARX_SRC/tests/e2e/run/hello.wat" "$T/text.wasm"
	out=$(run "$T/text.wasm")
	tap_is "$B: text detected without the .wat extension" "$out" "Hello, world!"
	printf '(module\n  (func (export "_start")\n    i32.const 1\n    i32.frobnicate))\n' >"$T/bad.wat"
	run "$T/bad.wat" >/dev/null 2>"$T/err"; rc=$?
	tap_like "$B: .wat syntax error with line:col" "$(cat "$T/err")" \
		"bad.wat:4:5: unknown operator \"i32.frobnicate\""
	tap_is "$B: .wat syntax error exits 1" "$rc" 1

	run "$EX/exitcode.wasm" >/dev/null; tap_is "$B: exit code 42 passes through" "$?" 42
	run "$EX/exitcode.wasm" -- 7 >/dev/null; tap_is "$B: exit code from -- args" "$?" 7
	run "$EX/exitcode.wasm" -- 0 >/dev/null; tap_is "$B: exit code 0 via proc_exit" "$?" 0

	out=$(printf 'line one\nline two\n' | run "$EX/cat.wasm" 2>"$T/err")
	tap_is "$B: cat echoes stdin" "$out" $'line one\nline two'
	tap_like "$B: cat stderr" "$(cat "$T/err")" "cat: 18 bytes"
	head -c 1000000 /dev/urandom >"$T/big"
	run "$EX/cat.wasm" <"$T/big" >"$T/big.out" 2>/dev/null
	tap_ok "$B: cat copies 1 MB exactly" cmp "$T/big" "$T/big.out"

	cat >"$T/args.toml" <<-'TOML'
	args = ["--one", "two words"]
	[env]
	GREETING = "hi there"
	TOML
	out=$(run --wasmcfgfile "$T/args.toml" "$EX/args.wasm" -- extra)
	tap_like "$B: argv[0] is main.wasm" "$out" $'argv\\[0\\]=main.wasm'
	tap_like "$B: config args then CLI args" "$out" $'argv\\[1\\]=--one\nargv\\[2\\]=two words\nargv\\[3\\]=extra'
	tap_like "$B: env from [env]" "$out" "env: GREETING=hi there"
	tap_like "$B: FD_COUNT and FD_NAMES" "$out" $'env: FD_COUNT=3\nenv: FD_NAMES=stdin:stdout:stderr'
	out=$(ENARX_WASMCFGFILE="$T/args.toml" run "$EX/args.wasm")
	tap_like "$B: ENARX_WASMCFGFILE honoured" "$out" "argv\\[1\\]=--one"
	out=$(HOSTVAR=leak run "$EX/args.wasm")
	tap_is "$B: no host environment leaks in" "$(printf '%s' "$out" | grep -c HOSTVAR)" 0
}

file_kind_tests() {
	local out port
	# null as stdin: cat sees end of file at once
	printf '[[files]]\nkind = "null"\n[[files]]\nkind = "stdout"\n[[files]]\nkind = "stderr"\n' >"$T/null.toml"
	out=$(echo "ignored" | run --wasmcfgfile "$T/null.toml" "$EX/cat.wasm" 2>&1)
	tap_is "$B: null file reads end of file" "$out" "cat: 0 bytes"
	# connect as stdout: cat sends its stdin to a real TCP server
	port=$(free_port)
	rm -f "$T/ready"
	python3 - "$port" "$T/ready" >"$T/srv.out" 2>"$T/srv.err" <<-'PY' &
	import socket, sys
	s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); s.settimeout(30)
	open(sys.argv[2], "w").close()
	c, _ = s.accept(); data = b""
	while True:
	    d = c.recv(65536)
	    if not d: break
	    data += d
	sys.stdout.write(data.decode())
	PY
	local srv=$!
	for _ in $(seq 100); do [ -e "$T/ready" ] && break; sleep 0.05; done
	printf '[[files]]\nkind = "stdin"\n[[files]]\nkind = "connect"\nprot = "tcp"\nhost = "127.0.0.1"\nport = %s\n[[files]]\nkind = "stderr"\n' "$port" >"$T/conn.toml"
	echo "through the socket" | run --wasmcfgfile "$T/conn.toml" "$EX/cat.wasm" 2>"$T/conn.err"
	wait "$srv"
	tap_is "$B: connect file: the workload writes to a real TCP server" "$(cat "$T/srv.out")" "through the socket"
	out=$(ENARX_LOG=info run "$EX/hello.wasm" 2>&1 >/dev/null)
	tap_like "$B: the Keep reports its TEE (none on nil)" "$out" "keep: (no TEE|.*TEE)"
}

trap_tests() {
	local out rc
	out=$(run "$EX/trap.wasm" 2>&1); rc=$?
	tap_is "$B: trap exits 134" "$rc" 134
	tap_like "$B: trap message" "$out" "wasm trap: (unreachable|.*unreachable)"
	tap_like "$B: trap backtrace names functions" "$out" "inner_fault"
	tap_like "$B: backtrace has the caller" "$out" "outer_fault"
	tap_like "$B: stdout before the trap" "$out" "about to trap"
	out=$(run "$EX/trap.wasm" -- divide 2>&1); rc=$?
	tap_is "$B: divide trap exits 134" "$rc" 134
	tap_like "$B: divide trap message" "$out" "integer divide by zero"
	out=$(run "$EX/trap.wasm" -- memory 2>&1)
	tap_like "$B: memory trap message" "$out" "out of bounds memory access"
}

error_tests() {
	local out rc
	printf 'args = ["a"]\n\n[[files]]\nkind = "stdout"\nport = 3\n' >"$T/bad.toml"
	out=$(run --wasmcfgfile "$T/bad.toml" "$EX/hello.wasm" 2>&1); rc=$?
	tap_is "$B: bad Enarx.toml fails" "$rc" 1
	tap_like "$B: config error names line and key" "$out" "line 5: key 'port'"
	printf '[[files]]\nkind = "listen"\nname = "x"\naddr = "127.0.0.1"\nport = %s\n' "$(free_port)" >"$T/tls.toml"
	out=$(run --wasmcfgfile "$T/tls.toml" "$EX/hello.wasm" 2>&1)
	tap_like "$B: a listener is TLS by default: the Keep's certificate is shown" "$out" \
		"Keep TLS certificate SHA-256 fingerprint: ([0-9A-F]{2}:){31}[0-9A-F]{2}"
	head -c 100 /dev/urandom >"$T/junk.wasm"
	out=$(run "$T/junk.wasm" 2>&1); rc=$?
	tap_is "$B: junk module fails with 1" "$rc" 1
	tap_like "$B: junk module error" "$out" "invalid module"
	out=$(run "$T/missing.wasm" 2>&1); rc=$?
	tap_is "$B: missing module fails" "$rc" 1
	out=$(timeout 10 "$ENARX" run --backend nosuch "$EX/hello.wasm" 2>&1); rc=$?
	tap_like "$B: unknown backend named" "$out" "unknown backend 'nosuch'"
}

dir_tests() {
	local out rc
	mkdir -p "$T/box/sub" && echo "TOP SECRET" >"$T/secret"
	ln -sf ../secret "$T/box/esc"
	ln -sf "$T/secret" "$T/box/abs"
	cat >"$T/dir.toml" <<-TOML
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
	[[files]]
	kind = "dir"
	path = "$T/box"
	name = "/ro"
	readonly = true
	TOML
	ft() { run --wasmcfgfile "$T/dir.toml" "$EX/filetool.wasm" -- "$@" 2>&1; }
	ft write /data/a.txt "hello dir" >/dev/null
	tap_is "$B: file written into the preopen is on the host" "$(cat "$T/box/a.txt")" "hello dir"
	tap_is "$B: read it back" "$(ft read /data/a.txt)" "hello dir"
	ft append /data/a.txt "!" >/dev/null
	tap_is "$B: append" "$(cat "$T/box/a.txt")" "hello dir!"
	ft mkdir /data/sub/d >/dev/null; ft mv /data/a.txt /data/sub/d/b.txt >/dev/null
	tap_is "$B: mkdir + rename" "$(cat "$T/box/sub/d/b.txt")" "hello dir!"
	tap_like "$B: ls" "$(ft ls /data/sub/d)" "^b.txt$"
	tap_like "$B: stat" "$(ft stat /data/sub/d/b.txt)" "size=10 dir=0"
	ft rm /data/sub/d/b.txt >/dev/null; ft rmdir /data/sub/d >/dev/null
	tap_ok "$B: rm + rmdir" test ! -e "$T/box/sub/d"
	tap_is "$B: read-only preopen reads" "$(ft read /ro/esc 2>&1 | head -c 6)" "error:"
	# --- sandbox escapes: all refused
	out=$(ft read /data/../secret); rc=$?
	tap_like "$B: escape via .. refused" "$rc $out" "^1 error: open"
	out=$(ft read /data/sub/../../secret)
	tap_like "$B: escape via sub/../.. refused" "$out" "^error: open"
	out=$(ft read "$T/secret")
	tap_like "$B: absolute host path refused" "$out" "^error: open"
	out=$(ft read /etc/passwd)
	tap_like "$B: /etc/passwd refused" "$out" "^error: open"
	out=$(ft read /data/esc)
	tap_like "$B: relative symlink out refused" "$out" "^error: open"
	out=$(ft read /data/abs)
	tap_like "$B: absolute symlink out refused" "$out" "^error: open"
	ft ln ../../secret /data/sub/planted >/dev/null
	out=$(ft read /data/sub/planted)
	tap_like "$B: symlink planted by the guest cannot be followed out" "$out" "^error: open"
	out=$(ft write /data/../evil "x")
	tap_ok "$B: no file created outside" test ! -e "$T/evil"
	out=$(ft write /ro/new.txt "x")
	tap_like "$B: write into read-only preopen refused" "$out" "^error: open"
	tap_ok "$B: nothing created in read-only preopen" test ! -e "$T/box/new.txt"
	out=$(ft mkdir /ro/newdir)
	tap_like "$B: mkdir in read-only preopen refused" "$out" "^error: mkdir"
	out=$(ft rm /data/../secret)
	tap_like "$B: unlink outside refused" "$out" "^error: rm"
	out=$(ft mv /data/sub /data/../moved)
	tap_like "$B: rename out refused" "$out" "^error: mv"
	tap_is "$B: secret untouched" "$(cat "$T/secret")" "TOP SECRET"
	# A relative path is the Enarx.toml's directory's (issue 19), wherever
	# enarx run starts; the default name stays the path as written.
	mkdir -p "$T/proj/data" "$T/elsewhere/data"
	echo "from proj" >"$T/proj/data/f.txt"
	echo "from cwd" >"$T/elsewhere/data/f.txt"
	printf '%s\n[[files]]\nkind = "dir"\npath = "data"\nname = "/data"\n' \
		"$(sed -n '1,6p' "$T/dir.toml")" >"$T/proj/rel.toml"
	tap_is "$B: relative path: from the Enarx.toml's directory, not the cwd" \
		"$(cd "$T/elsewhere" && run --wasmcfgfile ../proj/rel.toml "$EX/filetool.wasm" -- \
			read /data/f.txt 2>&1)" "from proj"
	printf '%s\n[[files]]\nkind = "dir"\npath = "data"\n' "$(sed -n '1,6p' "$T/dir.toml")" \
		>"$T/proj/relname.toml"
	tap_is "$B: ... a default name is the path as written (data)" \
		"$(cd "$T/elsewhere" && run --wasmcfgfile "$T/proj/relname.toml" "$EX/filetool.wasm" -- \
			read data/f.txt 2>&1)" "from proj"
}

echo_tests() {
	local port out rc
	port=$(free_port)
	cat >"$T/echo.toml" <<-TOML
	args = ["2"]
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
	run --wasmcfgfile "$T/echo.toml" "$EX/echo_server.wasm" >"$T/echo.out" 2>&1 &
	SRV=$!
	out=$(python3 - "$port" <<-'PY'
	import socket, sys, time
	port = int(sys.argv[1])
	for _ in range(200):
	    try:
	        s = socket.create_connection(("127.0.0.1", port), timeout=10); break
	    except OSError:
	        time.sleep(0.05)
	else:
	    print("connect failed"); sys.exit(1)
	res = []
	for msg in [b"hello keep\n", b"x" * 200000]:
	    if res:
	        s = socket.create_connection(("127.0.0.1", port), timeout=10)
	    s.sendall(msg); s.shutdown(socket.SHUT_WR)
	    got = b""
	    while True:
	        d = s.recv(65536)
	        if not d: break
	        got += d
	    s.close()
	    res.append("same" if got == msg else "differs %d/%d" % (len(got), len(msg)))
	print(" ".join(res))
	PY
	)
	tap_is "$B: echo server answers a real TCP client (2 connections)" "$out" "same same"
	wait "$SRV"; rc=$?
	SRV=
	tap_is "$B: echo server exits 0 after 2 connections" "$rc" 0
}

sandbox_tests() {
	# The nil Keep process: no new privileges, seccomp filter, only fds 0-3.
	local port pid kid status fds
	port=$(free_port)
	sed "s/port = .*/port = $port/; s/args = .*/args = [\"1\"]/" "$T/echo.toml" >"$T/echo1.toml"
	timeout 60 "$ENARX" run --backend "$B" --wasmcfgfile "$T/echo1.toml" \
		"$EX/echo_server.wasm" >/dev/null 2>&1 &
	pid=$!
	# timeout -> enarx -> Keep (the executor, once it has exec'd)
	for _ in $(seq 100); do
		kid=$(pgrep -P "$(pgrep -P "$pid" | head -1)" 2>/dev/null | head -1)
		[ -n "$kid" ] && [ "$(cat "/proc/$kid/comm" 2>/dev/null)" = enarx-exec ] && break
		sleep 0.05
	done
	if [ -n "$kid" ] && [ -r "/proc/$kid/status" ]; then
		status=$(cat "/proc/$kid/status")
		tap_like "nil: Keep runs with NoNewPrivs" "$status" "NoNewPrivs:[[:space:]]+1"
		tap_like "nil: Keep runs under a seccomp filter" "$status" "Seccomp:[[:space:]]+2"
		fds=$(ls "/proc/$kid/fd" | sort -n | tr '\n' ' ')
		tap_like "nil: Keep holds fds 0-3 plus its own" "$fds" "^0 1 2 3 "
		tap_is "nil: Keep has an empty environment" "$(tr '\0' '\n' <"/proc/$kid/environ" | wc -l)" 0
	else
		tap_fail "nil: Keep process found" "no child of $pid"
	fi
	python3 -c "import socket; s=socket.create_connection(('127.0.0.1',$port),timeout=10); s.close()" 2>/dev/null
	wait "$pid"
}

for B in ${ENARX_TEST_BACKENDS:-nil kvm}; do
	if ! backend_ok "$B"; then
		tap_skip "$B: all run tests" "backend $B not available: ${SKIP_WHY:-unknown}"
		continue
	fi
	basic_tests
	file_kind_tests
	trap_tests
	error_tests
	dir_tests
	echo_tests
	[ "$B" = nil ] && sandbox_tests
done

(cd "$T" && "$ENARX" config init >/dev/null)
tap_ok "config init writes a template that parses" "$ENARX" config check "$T/Enarx.toml"
out=$(cd "$T" && "$ENARX" config init 2>&1)
tap_like "config init refuses to overwrite" "$out" "File exists"
printf 'x = 1\n' >"$T/bad2.toml"
out=$("$ENARX" config check "$T/bad2.toml" 2>&1)
tap_like "config check reports line and key" "$out" "line 1: key 'x'"
tap_done
