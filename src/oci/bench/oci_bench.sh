#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Container start-to-exit under podman, same run: hello.wasm in a Keep
# through enarx-oci (nil backend: the host's default here, and kvm where
# usable) next to runc running a static native hello; with kvm also hello
# as an encrypted image whose key a Steward on loopback releases. Each figure is the
# wall time of one `podman run --rm` (podman, conmon, the runtime's create,
# start, the workload, delete), interleaved, N runs (default 10).
# Usage: oci_bench.sh BUILD_DIR [N]
set -uo pipefail
dir=$(cd "${1:-build}" && pwd)
n=${2:-10}
oci=$dir/src/oci/enarx-oci
[ -x "$oci" ] || { echo "no $oci"; exit 0; }
command -v podman >/dev/null || { echo "podman not installed"; exit 0; }
command -v cc >/dev/null || { echo "no cc for the native hello"; exit 0; }
T=$(mktemp -d /tmp/enarx-oci-bench.XXXXXX)
mkdir -p "$T/w" "$T/n"
# the podman setup of tests/e2e/oci/test_podman.sh
source "$(dirname "$0")/../../../tests/e2e/oci/podman_env.sh"
podman_env "$T" "$oci"
trap 'podman_env_clean; rm -rf "$T"' EXIT
cp "$dir/examples/hello.wasm" "$T/w/app.wasm"
printf 'FROM scratch\nCOPY app.wasm /\nENTRYPOINT ["/app.wasm"]\n' >"$T/w/Containerfile"
printf '#include <stdio.h>\nint main(void){puts("Hello, world!");return 0;}\n' >"$T/n/h.c"
cc -static -O2 -o "$T/n/hello" "$T/n/h.c" || { echo "no static libc"; exit 0; }
printf 'FROM scratch\nCOPY hello /\nENTRYPOINT ["/hello"]\n' >"$T/n/Containerfile"
pm build -q --platform wasi/wasm32 -t localhost/bench-wasm "$T/w" >/dev/null
pm build -q -t localhost/bench-native "$T/n" >/dev/null

kvm=""
if "$dir/src/cli/enarx" platform info 2>/dev/null | grep -q "Backend kvm: usable"; then kvm=1; fi
# with kvm: the same hello as an encrypted image (docs/orchestration.md
# "Encrypted images"), its key released by a Steward on loopback
sealed=""
if [ -n "$kvm" ]; then
	printf 'tee = ["kvm"]\nallow_insecure = true\n' >"$T/stw.toml"
	"$dir/src/cli/enarx" steward serve --state "$T/stw" --listen 127.0.0.1:0 --policy "$T/stw.toml" \
		>"$T/stw.out" 2>&1 &
	stw=$!
	trap 'kill "$stw" 2>/dev/null; podman_env_clean; rm -rf "$T"' EXIT
	for _ in $(seq 300); do grep -q '^ready' "$T/stw.out" && break; sleep 0.1; done
	mkdir -p "$T/s"
	if grep -q '^ready' "$T/stw.out" && "$dir/src/cli/enarx" package build -o "$T/s/app.spkg" \
		--for-steward "https://127.0.0.1:$(sed -n 's/^port //p' "$T/stw.out")" \
		--secret-name bench --steward-ca "$T/stw/ca-cert.pem" --steward-token "$T/stw/owner-token" \
		--release-policy '{"tee": ["kvm"], "allow_insecure": true}' \
		"$dir/examples/hello.wasm" >/dev/null 2>&1; then
		printf 'FROM scratch\nCOPY app.spkg /\nENTRYPOINT ["/app.spkg"]\n' >"$T/s/Containerfile"
		pm build -q --platform wasi/wasm32 --annotation module.wasm.image/variant=compat \
			-t localhost/bench-sealed "$T/s" >/dev/null && sealed=1
	fi
fi
# one timed run in ms; fails if the output is not the greeting
once() {
	local s e out
	s=$(date +%s%N)
	out=$("$@" 2>/dev/null)
	e=$(date +%s%N)
	[ "$out" = "Hello, world!" ] || { echo "-1"; return; }
	echo $(((e - s) / 1000))
}
declare -A all
rows=("enarx-oci (nil Keep), hello.wasm" "runc, static native hello")
[ -n "$kvm" ] && rows+=("enarx-oci (kvm Keep), hello.wasm")
[ -n "$sealed" ] && rows+=("enarx-oci (kvm Keep), sealed hello")
for _ in 1 2; do # warm-up
	once pm run --rm --runtime enarx --platform wasi/wasm32 localhost/bench-wasm >/dev/null
	once pm run --rm --runtime runc localhost/bench-native >/dev/null
done
for _ in $(seq "$n"); do
	all[0]+=" $(once pm run --rm --runtime enarx --platform wasi/wasm32 localhost/bench-wasm)"
	all[1]+=" $(once pm run --rm --runtime runc localhost/bench-native)"
	[ -n "$kvm" ] && all[2]+=" $(once pm run --rm --runtime enarx --platform wasi/wasm32 \
		--annotation enarx.backend=kvm localhost/bench-wasm)"
	[ -n "$sealed" ] && all[3]+=" $(once pm run --rm --runtime enarx --platform wasi/wasm32 \
		--network host --annotation enarx.backend=kvm localhost/bench-sealed)"
done
printf '%-36s %10s %10s %10s %5s\n' "podman run --rm, start to exit" "mean ms" "median ms" "min ms" "runs"
for i in "${!rows[@]}"; do
	python3 - "${rows[$i]}" ${all[$i]} <<'PY'
import statistics, sys
name, v = sys.argv[1], [int(x) / 1000 for x in sys.argv[2:]]
if any(x < 0 for x in v):
    print(f"{name:36s} failed: a run did not print the greeting")
else:
    print(f"{name:36s} {statistics.mean(v):10.1f} {statistics.median(v):10.1f} {min(v):10.1f} {len(v):5d}")
PY
done
[ -n "$kvm" ] || echo "(kvm backend not usable here: no kvm row)"
