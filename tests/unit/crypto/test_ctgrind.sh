#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ctgrind: every ML-KEM operation under valgrind memcheck with its secrets
# marked undefined must run clean (no secret-dependent branch or index), and
# the leaky canary must be caught, proving the harness can fail.
# Usage: test_ctgrind.sh <ctgrind binary>
set -u
. "$ENARX_SRC/tests/lib/tap.sh"
bin=$1
command -v valgrind >/dev/null 2>&1 ||
	tap_skip_all "valgrind not installed (scripts/install-deps.sh installs it)"
if nm "$bin" 2>/dev/null | grep -q __asan_init; then
	tap_skip_all "sanitizer build: valgrind cannot run ASan binaries (the plain build runs this test)"
fi

vg() { valgrind -q --error-exitcode=1 --track-origins=yes "$bin" "$@" 2>&1; }

# Both code paths: the AVX2 one (4-way Keccak, vector NTT and products)
# where valgrind's CPU has AVX2, and the portable one, forced.
if vg keygen 768 | grep -q "path: avx2"; then
	paths="avx2 portable"
else
	paths="portable"
	tap_skip "ML-KEM AVX2 paths under memcheck" "the CPU valgrind emulates has no AVX2 (portable paths tested)"
fi
for path in $paths; do
	arg=()
	[ "$path" = portable ] && arg=(portable)
	for ps in 512 768 1024; do
		for op in keygen encaps decaps; do
			if out=$(vg "$op" "$ps" "${arg[@]}") && printf '%s' "$out" | grep -q "path: $path"; then
				tap_pass "ML-KEM-$ps $op ($path): no secret-dependent branch or index"
			else
				tap_fail "ML-KEM-$ps $op ($path): memcheck reports a secret-dependent branch or index" \
					"$(printf '%s\n' "$out" | head -40)"
			fi
		done
	done
done
out=$(vg leaky 768)
rc=$?
if [ "$rc" -eq 1 ] && printf '%s' "$out" | grep -q "depends on uninitialised"; then
	tap_pass "canary: an early-exit compare on a secret is caught"
else
	tap_fail "canary: an early-exit compare on a secret is caught" "rc $rc; $out"
fi
tap_done
