#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# podman (with conmon) running wasm32-wasi images in Keeps through the OCI
# runtime enarx-oci: an image built offline from a FROM scratch Containerfile
# (--platform wasi/wasm32), then output, arguments, environment, exit codes,
# -t, stop/kill/rm -f, bind mounts, --network none, a published port to an
# echo server, a native image handed to runc, and an invalid module. All of
# podman's configuration and state live in a temporary folder
# (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, --root/--runroot); nothing in
# /etc. The commands are the ones docs/orchestration.md shows.
set -u
source "$ENARX_SRC/tests/lib/tap.sh"

OCI=${ENARX_OCI_BIN:-$ENARX_BUILD/src/oci/enarx-oci}
EX=$ENARX_BUILD/examples
command -v podman >/dev/null || tap_skip_all "podman not installed (scripts/install-deps.sh)"
[ "$(id -u)" = 0 ] || tap_skip_all "rootful podman needs root"
[ -f "$EX/hello.wasm" ] || tap_skip_all "examples not built (no wasm32-wasi clang)"

T=$(mktemp -d /tmp/enarx-e2e-podman.XXXXXX)
source "$ENARX_SRC/tests/e2e/oci/podman_env.sh"
podman_env "$T" "$OCI"
# The runtime keeps its state in its default /run/enarx-oci: podman's
# cleanup process does not pass --runtime-flag on, so a --root given that
# way would not reach the final `delete`.
STATE=/run/enarx-oci
run() { pm run --runtime enarx --platform wasi/wasm32 --rm "$@"; }
cleanup() {
	podman_env_clean
	rm -rf "$T"
}
trap cleanup EXIT

if ! why=$(pm info 2>&1 >/dev/null); then
	tap_skip_all "podman cannot run here: $(printf '%s' "$why" | tail -1)"
fi

# image: one wasm module as the entrypoint of a FROM scratch image
image() { # NAME MODULE [ENARX_TOML]
	local d=$T/ctx-$1
	mkdir -p "$d"
	cp "$2" "$d/app.wasm"
	if [ -n "${3:-}" ]; then
		printf '%s\n' "$3" >"$d/Enarx.toml"
		printf 'FROM scratch\nCOPY app.wasm Enarx.toml /\nENTRYPOINT ["/app.wasm"]\n' >"$d/Containerfile"
	else
		printf 'FROM scratch\nCOPY app.wasm /\nENTRYPOINT ["/app.wasm"]\n' >"$d/Containerfile"
	fi
	pm build --quiet --platform wasi/wasm32 --annotation module.wasm.image/variant=compat \
		-t "localhost/$1" "$d" >"$T/build-$1.log" 2>&1
}

if image hello "$EX/hello.wasm"; then tap_pass "podman build --platform wasi/wasm32 (FROM scratch, offline)"
else tap_fail "podman build --platform wasi/wasm32 (FROM scratch, offline)" "$(cat "$T/build-hello.log")"; fi
tap_is "the image is wasi/wasm32" "$(pm image inspect --format '{{.Os}}/{{.Architecture}}' localhost/hello)" "wasi/wasm32"
image args "$EX/args.wasm"
image exitcode "$EX/exitcode.wasm"
image isatty "$EX/isatty.wasm"
image filetool "$EX/filetool.wasm"
image echo "$EX/echo_server.wasm" '[[files]]
kind = "stdin"
[[files]]
kind = "stdout"
[[files]]
kind = "stderr"
[[files]]
kind = "listen"
name = "echo"
prot = "tcp"
port = 8080'

out=$(run localhost/hello 2>&1)
tap_is "podman run --runtime enarx: the workload's output" "$out" "Hello, world!"
out=$(run localhost/args one "two words" 2>&1)
tap_like "arguments after the image are the workload's" "$out" $'argv\\[1\\]=one\nargv\\[2\\]=two words'
out=$(run -e GREETING=hi localhost/args 2>&1)
tap_like "podman run -e sets the workload's environment" "$out" "env: GREETING=hi"
run localhost/exitcode 7 >/dev/null 2>&1
tap_is "the workload's exit code is podman run's" "$?" 7
out=$(run -t localhost/isatty 2>&1)
tap_is "podman run -t: the workload's stdio is a terminal" "$out" $'isatty 0=1 1=1 2=1\r'
out=$(run localhost/isatty 2>&1 </dev/null)
tap_is "without -t it is not" "$out" "isatty 0=0 1=0 2=0"

# bind mounts: read-write and read-only
mkdir -p "$T/data" "$T/ro"
echo "from the host" >"$T/ro/in.txt"
out=$(run -v "$T/data:/data" localhost/filetool write /data/out.txt "from a keep" 2>&1)
tap_is "a bind-mounted directory (-v) is writable from the Keep" "$(cat "$T/data/out.txt" 2>&1)" "from a keep"
out=$(run -v "$T/ro:/ro:ro" localhost/filetool read /ro/in.txt 2>&1)
tap_like "a :ro bind mount can be read" "$out" "from the host"
out=$(run -v "$T/ro:/ro:ro" localhost/filetool write /ro/x no 2>&1)
if [ ! -e "$T/ro/x" ]; then tap_pass "a :ro bind mount refuses writes"; else tap_fail "a :ro bind mount refuses writes" "$out"; fi

if "$ENARX_BIN" platform info 2>/dev/null | grep -q "Backend kvm: usable"; then
	out=$(run --annotation enarx.backend=kvm localhost/hello 2>&1)
	tap_is "--annotation enarx.backend=kvm: a KVM Keep" "$out" "Hello, world!"
else
	tap_skip "--annotation enarx.backend=kvm" "kvm backend not usable here"
fi
out=$(run --network none localhost/hello 2>&1)
tap_is "--network none" "$out" "Hello, world!"

# a published port to an echo server in a Keep, through podman's network
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pm run --runtime enarx --platform wasi/wasm32 -d --name echo -p "127.0.0.1:$port:8080" localhost/echo 1 >/dev/null 2>"$T/echo.err"
got=""
for _ in $(seq 50); do
	got=$(python3 - "$port" <<'EOF' 2>/dev/null
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
s.sendall(b"ping through podman\n")
print(s.recv(100).decode().strip())
EOF
) && [ -n "$got" ] && break
	sleep 0.2
done
tap_is "a published port (-p) reaches the echo server in the Keep" "$got" "ping through podman"
pm wait echo >/dev/null 2>&1
tap_like "its log shows the socket from the image's Enarx.toml" "$(pm logs echo 2>&1)" "listening on fd"
pm rm -f echo >/dev/null 2>&1

# stop, kill, rm -f of a running Keep
pm run --runtime enarx --platform wasi/wasm32 -d --name s1 localhost/echo -1 >/dev/null 2>&1
sleep 0.5
tap_is "a serving Keep is running" "$(pm inspect --format '{{.State.Status}}' s1)" "running"
pm stop -t 5 s1 >/dev/null 2>&1
tap_is "podman stop: SIGTERM, exit code 143" "$(pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' s1)" "exited 143"
pm rm s1 >/dev/null 2>&1
pm run --runtime enarx --platform wasi/wasm32 -d --name s2 localhost/echo -1 >/dev/null 2>&1
sleep 0.3
pm kill s2 >/dev/null 2>&1
pm wait s2 >/dev/null 2>&1
tap_is "podman kill: SIGKILL, exit code 137" "$(pm inspect --format '{{.State.ExitCode}}' s2)" "137"
pm rm s2 >/dev/null 2>&1
id=$(pm run --runtime enarx --platform wasi/wasm32 -d --name s3 localhost/echo -1 2>/dev/null)
sleep 0.3
pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$STATE/$id/enarx.json" 2>/dev/null)
pm rm -f s3 >/dev/null 2>&1
if [ -n "$pid" ] && [ ! -e "/proc/$pid" ] && [ ! -e "$STATE/$id" ]; then
	tap_pass "podman rm -f ends the Keep and the runtime's state"
else
	tap_fail "podman rm -f ends the Keep and the runtime's state" "id=$id pid=$pid state: $(ls "$STATE/$id" 2>&1)"
fi
leftover=$(for d in "$STATE"/*/; do [ -e "$d/enarx.json" ] && grep -l "$T" "$d/enarx.json"; done 2>/dev/null)
tap_is "every container of this test left the runtime's state" "$leftover" ""

# not wasm: a static native program goes to runc through the same runtime
if command -v runc >/dev/null || [ -x /usr/sbin/runc ]; then
	mkdir -p "$T/ctx-native"
	printf '#include <stdio.h>\nint main(void){puts("native hello");return 0;}\n' >"$T/ctx-native/h.c"
	if cc -static -O2 -o "$T/ctx-native/hello" "$T/ctx-native/h.c" 2>/dev/null; then
		printf 'FROM scratch\nCOPY hello /\nENTRYPOINT ["/hello"]\n' >"$T/ctx-native/Containerfile"
		pm build --quiet -t localhost/native "$T/ctx-native" >/dev/null 2>&1
		out=$(pm run --runtime enarx --rm localhost/native 2>&1)
		tap_is "a native image under --runtime enarx is handed to runc" "$out" "native hello"
	else
		tap_skip "a native image is handed to runc" "no static libc for cc -static"
	fi
else
	tap_skip "a native image is handed to runc" "runc not installed"
fi

# an invalid module: podman shows the runtime's error
printf '\0asm\1\0\0\0\1\4\1\140' >"$T/bad.wasm"
image bad "$T/bad.wasm"
out=$(run localhost/bad 2>&1)
rc=$?
tap_like "an invalid module: podman run fails and names it" "$rc: $out" "^[1-9][0-9]*: .*/app.wasm: invalid WebAssembly module"

tap_done
