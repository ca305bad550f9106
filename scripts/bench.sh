#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make bench`: runs every benchmark the components provide, one after the
# other (never in parallel: they share 2 cores), and prints their tables.
set -uo pipefail
dir=${1:-build}
cd "$(dirname "$0")/.."
ran=0
section() { printf '\n== %s\n' "$1"; ran=$((ran + 1)); }

if [ -f bench/run.sh ]; then
	section "wasm engine vs native and Node.js (bench/run.sh)"
	bash bench/run.sh "$dir"
fi
if [ -x "$dir/src/backend/kvm-bench" ]; then
	section "KVM Keeps: cold start and sallyport round trips"
	nice "$dir/src/backend/kvm-bench"
fi
if [ -x "$dir/src/attest/attest-bench" ]; then
	section "attestation verification"
	nice "$dir/src/attest/attest-bench"
fi
if [ -x "$dir/src/tlssock/tlssock-bench" ]; then
	section "TLSSock vs direct OpenSSL"
	nice "$dir/src/tlssock/tlssock-bench"
fi
[ "$ran" -gt 0 ] || echo "bench: no benchmarks built yet"
