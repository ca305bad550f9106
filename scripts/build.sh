#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures (once) and builds one variant: build.sh DIR [--asan] [meson -D options]
set -euo pipefail
dir=$1; shift
opts=()
env_cc=()
for a in "$@"; do
	case $a in
	--asan) env_cc=(CC=clang); opts+=(-Dbuildtype=debug -Doptimization=1 -Db_sanitize=address,undefined -Db_lundef=false) ;;
	*) opts+=("$a") ;;
	esac
done
if [ ! -f "$dir/build.ninja" ]; then
	env "${env_cc[@]}" meson setup "$dir" "${opts[@]}" >"$dir.setup.log" 2>&1 || {
		cat "$dir.setup.log"; exit 1; }
	rm -f "$dir.setup.log"
fi
# Components are picked up by fs.exists() at configure time, so a new
# meson.build anywhere means the build must be reconfigured.
list=$(find . -path "./build*" -prune -o -path ./.git -prune -o -name meson.build -print | sort | md5sum)
if [ "$(cat "$dir/.meson-files" 2>/dev/null)" != "$list" ]; then
	meson setup --reconfigure "$dir" >"$dir/reconfigure.log" 2>&1 || { cat "$dir/reconfigure.log"; exit 1; }
	echo "$list" >"$dir/.meson-files"
fi
if [ -n "${BUILD_ONLY:-}" ]; then
	# A pattern of target names: build just those (e.g. fuzz_ for make fuzz).
	mapfile -t targets < <(meson introspect "$dir" --targets | python3 -c '
import json, os, sys
pat = sys.argv[1]
for t in json.load(sys.stdin):
    if t["name"].startswith(pat):
        print(os.path.relpath(t["filename"][0], sys.argv[2]))' "$BUILD_ONLY" "$(cd "$dir" && pwd)")
	ninja -C "$dir" -j"$(nproc)" "${targets[@]}"
else
	ninja -C "$dir" -j"$(nproc)"
fi
