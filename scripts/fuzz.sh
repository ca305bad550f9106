#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds build-fuzz/ with clang (libFuzzer + ASan + UBSan) and runs every
# fuzz_* target for FUZZ_SECONDS (default 60) each, one after another.
# FUZZ_TARGETS="fuzz_cursor fuzz_x" picks targets. The seed corpus of target
# NAME is tests/fuzz/*/corpus/NAME (copied; the repo is never written); a crash
# leaves its input in build-fuzz/artifacts/NAME/ and fails the run: store it
# in tests/fuzz/<component>/crashers/NAME/ once fixed so `make check` replays it.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
secs=${FUZZ_SECONDS:-60}
# libFuzzer needs clang; a build-fuzz/ configured with another compiler is redone.
if [ -f build-fuzz/build.ninja ] && ! grep -q 'C compiler for the host machine: clang' build-fuzz/meson-logs/meson-log.txt 2>/dev/null; then
	rm -rf build-fuzz
fi
CC=clang BUILD_ONLY=fuzz_ bash scripts/build.sh build-fuzz -Dfuzz=true -Dbuildtype=debugoptimized \
	-Db_sanitize=address,undefined -Db_lundef=false || exit 1
mapfile -t targets < <(find build-fuzz/tests/fuzz -type f -name 'fuzz_*' -perm -u+x | sort)
failed=0
ran=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-handle_segv=0:allow_user_segv_handler=1:detect_leaks=1}
for exe in "${targets[@]}"; do
	name=$(basename "$exe")
	base=${name#fuzz_}
	if [ -n "${FUZZ_TARGETS:-}" ] && ! [[ " $FUZZ_TARGETS " == *" $name "* ]]; then continue; fi
	work=build-fuzz/corpus/$name
	art=build-fuzz/artifacts/$name
	mkdir -p "$work" "$art"
	for seed in tests/fuzz/*/corpus/"$base"; do
		[ -d "$seed" ] && cp -n "$seed"/* "$work"/ 2>/dev/null
	done
	echo "== $name: ${secs}s"
	if "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=6144 -print_final_stats=1 \
		-artifact_prefix="$art/" "$work" >"build-fuzz/$name.log" 2>&1; then
		grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)" "build-fuzz/$name.log" | tr '\n' ' '
		echo
		echo "   ok: no crash (log: build-fuzz/$name.log)"
	else
		failed=$((failed + 1))
		tail -n 40 "build-fuzz/$name.log"
		echo "   FAILED: see build-fuzz/$name.log and $art/"
	fi
	ran=$((ran + 1))
done
echo "fuzz: $ran targets run for ${secs}s each, $failed failed"
[ "$failed" -eq 0 ]
