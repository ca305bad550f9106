# SPDX-License-Identifier: Apache-2.0
# Minimal TAP producer for bash end-to-end tests. Source it, call the
# functions, and end with `tap_done` (prints the plan, sets the exit code).
#   tap_ok "name" CMD...        passes if CMD exits 0
#   tap_is "name" GOT WANT      passes if the strings are equal
#   tap_like "name" TEXT REGEX  passes if TEXT matches the extended regex
#   tap_pass/tap_fail "name" [diag]; tap_skip "name" "reason"
#   tap_skip_all "reason"       the whole file is skipped (prints 1..0)
TAP_N=0
TAP_FAILED=0

tap_pass() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }
tap_fail() {
	TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"
	if [ -n "${2:-}" ]; then printf '%s\n' "$2" | sed 's/^/#   /'; fi
}
tap_skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP $2"; }
tap_ok() {
	local name=$1; shift
	local out
	if out=$("$@" 2>&1); then tap_pass "$name"; else tap_fail "$name" "command: $* ; output: $out"; fi
}
tap_is() {
	if [ "$2" = "$3" ]; then tap_pass "$1"; else tap_fail "$1" "got:  '$2'
want: '$3'"; fi
}
tap_like() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then tap_pass "$1"; else tap_fail "$1" "text: '$2'
does not match: '$3'"; fi
}
tap_skip_all() { echo "1..0 # SKIP $1"; exit 0; }
tap_done() { echo "1..$TAP_N"; [ "$TAP_FAILED" -eq 0 ]; exit $?; }
