#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# WASI fd_fdstat_get tells terminals from other character devices the way
# the host does (issue 19, finding 7): examples/isatty.c under `enarx run`
# must answer isatty() as the host does for /dev/null (0), a
# `kind = "null"` file (0) and a pty (1, through util-linux `script`).
set -u
source "$ENARX_SRC/tests/lib/tap.sh"

ENARX=${ENARX_BIN:?}
EX=${ENARX_BUILD:?}/examples
[ -f "$EX/isatty.wasm" ] || tap_skip_all "examples not built (no wasm32-wasi clang)"
T=$(mktemp -d /tmp/enarx-e2e-isatty.XXXXXX)
trap 'rm -rf "$T"' EXIT

native=$(python3 -c 'import os, sys; print(os.isatty(0), os.isatty(1), file=sys.stderr)' </dev/null 2>&1 >/dev/null)
tap_is "host: /dev/null is no terminal" "$native" "False False"

timeout 60 "$ENARX" run --backend nil "$EX/isatty.wasm" </dev/null >/dev/null 2>"$T/err"
tap_is "stdin and stdout on /dev/null: isatty 0" "$(grep isatty "$T/err")" "isatty 0=0 1=0 2=0"

cat >"$T/Enarx.toml" <<'TOML'
[[files]]
kind = "null"
[[files]]
kind = "null"
[[files]]
kind = "stderr"
TOML
timeout 60 "$ENARX" run --backend nil --wasmcfgfile "$T/Enarx.toml" "$EX/isatty.wasm" \
	</dev/null 2>"$T/err2" >/dev/null
tap_is 'kind = "null" files: isatty 0' "$(grep isatty "$T/err2")" "isatty 0=0 1=0 2=0"

if ! command -v script >/dev/null; then
	tap_skip "a pty is a terminal" "no script(1) from util-linux"
else
	out=$(timeout 60 script -qec "$ENARX run --backend nil $EX/isatty.wasm" /dev/null </dev/null | tr -d '\r')
	if [ -z "$out" ]; then
		tap_skip "a pty is a terminal" "script(1) could not open a pty here"
	else
		tap_is "a pty is a terminal: isatty 1" "$(echo "$out" | grep isatty)" "isatty 0=1 1=1 2=1"
	fi
fi
tap_done
