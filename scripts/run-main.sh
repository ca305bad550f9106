#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: show what this host offers, then deploy a workload sealed to
# one attested Keep (enarx deploy: the Keep's evidence checked, the package
# sealed to its key, the output sealed back; docs/deploy.md) on the best
# local backend, then run it plainly in a Keep on the backend enarx picks
# by default (ENARX_BACKEND overrides it), and in a KVM Keep too where kvm
# is usable but not the default (a kvm_pvm host).
set -euo pipefail
dir=${1:-build}
enarx=$dir/src/cli/enarx
"$enarx" platform info
wasm=$dir/examples/hello.wasm
if [ ! -f "$wasm" ]; then
	echo "run: $wasm was not built (is clang's wasm32-wasi support installed?)" >&2
	exit 1
fi
# Without SEV-SNP, SGX or TDX here the best Keep is insecure (kvm or nil):
# --insecure accepts it, and deploy says so in capitals.
secret=$(mktemp)
trap 'rm -f "$secret"' EXIT
printf 'sealed-to-one-Keep' >"$secret"
echo
echo "\$ enarx deploy --insecure $wasm"
"$enarx" deploy --insecure "$wasm"
args=$dir/examples/args.wasm
if [ -f "$args" ]; then
	echo
	echo "\$ enarx deploy --insecure --secret TOKEN=@FILE $args -- hello"
	"$enarx" deploy --insecure --secret TOKEN=@"$secret" "$args" -- hello
fi
ftool=$dir/examples/filetool.wasm
if [ -f "$ftool" ]; then
	# a secret file: in the Keep's memory only, read by the workload
	echo
	echo "\$ enarx deploy --insecure --secret /secrets/token=@FILE $ftool -- read /secrets/token"
	"$enarx" deploy --insecure --secret /secrets/token=@"$secret" "$ftool" -- read /secrets/token
	echo
fi
echo
echo "\$ enarx run $wasm"
"$enarx" run "$wasm"
info=$("$enarx" platform info --json)
kvm_extra=$(printf '%s' "$info" | python3 -c '
import json, sys
d = json.load(sys.stdin)
k = next(b for b in d["backends"] if b["name"] == "kvm")
print("yes" if k["usable"] and d["default_backend"] != "kvm" else "no")')
if [ "$kvm_extra" = yes ]; then
	echo
	echo "\$ enarx run --backend kvm $wasm"
	"$enarx" run --backend kvm "$wasm"
	# a KVM Keep has evidence: its runtime measurement is checked and named
	echo
	echo "\$ enarx deploy --insecure --backend kvm $wasm"
	"$enarx" deploy --insecure --backend kvm "$wasm"
fi
