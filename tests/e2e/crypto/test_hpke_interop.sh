#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# HPKE cross-checked in both directions with @hpke/core (npm), an independent
# implementation. The npm packages are installed into the build folder on
# first use; skipped with a reason where node or the registry is missing.
set -uo pipefail
source "$ENARX_SRC/tests/lib/tap.sh"
tool=$ENARX_BUILD/tests/e2e/crypto/hpke_tool
dir=$ENARX_BUILD/npm-hpke
command -v node >/dev/null || tap_skip_all "node not installed"
command -v npm >/dev/null || tap_skip_all "npm not installed"
if [ ! -d "$dir/node_modules/@hpke/core" ]; then
	mkdir -p "$dir"
	if ! out=$(timeout 120 npm install --no-audit --no-fund --prefix "$dir" \
		@hpke/core@1.9.0 @hpke/chacha20poly1305@1.8.0 2>&1); then
		tap_skip_all "npm registry unreachable, @hpke/core not installed: $(echo "$out" | tail -1)"
	fi
fi
exec node "$ENARX_SRC/tests/e2e/crypto/hpke_interop.mjs" "$dir" "$tool"
