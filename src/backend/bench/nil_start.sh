#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What the nil sandbox's per-Keep cgroups and uid cost at start-up: the
# median wall time of `enarx run --backend nil` of a module that exits at
# once, N runs per row, as is, without cgroups (ENARX_NIL_NO_CGROUP=1), and
# staying uid 0 (ENARX_KEEP_UID=0). Usage: nil_start.sh BUILD_DIR [N]
set -euo pipefail
dir=$1
n=${2:-30}
enarx=$dir/src/cli/enarx
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
echo '(module (memory (export "memory") 1) (func (export "_start")))' >"$t/nop.wat"
"$enarx" run --backend nil "$t/nop.wat" # warm: the text-to-binary path, page cache

median() {
	local -a ms=()
	for _ in $(seq "$n"); do
		local a b
		a=$(date +%s%N)
		env "$@" "$enarx" run --backend nil "$t/nop.wat"
		b=$(date +%s%N)
		ms+=($(((b - a) / 1000)))
	done
	printf '%s\n' "${ms[@]}" | sort -n | awk '{v[NR]=$1} END {printf "%.1f", v[int((NR+1)/2)]/1000}'
}

printf '%-46s %12s\n' "nil Keep start to exit (median of $n)" "ms"
printf '%-46s %12s\n' "sandbox as is (cgroups, uid 65534)" "$(median X=1)"
printf '%-46s %12s\n' "without cgroups (ENARX_NIL_NO_CGROUP=1)" "$(median ENARX_NIL_NO_CGROUP=1)"
printf '%-46s %12s\n' "uid 0 kept (ENARX_KEEP_UID=0)" "$(median ENARX_KEEP_UID=0)"
