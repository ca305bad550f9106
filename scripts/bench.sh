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
kb=$dir/tests/unit/kvm/kvm-bench
guest=$dir/tests/unit/kvm/kvm-test-guest
if [ -x "$kb" ] && [ -f "$guest" ] && [ -r /dev/kvm ]; then
	section "KVM Keeps: cold start and sallyport round trip (static test guest)"
	[ -e /sys/module/kvm_pvm ] && echo "note: /dev/kvm is kvm_pvm here: the shim is emulated, figures are not hardware KVM's"
	ENARX_KVM_ALLOW_PVM=1 nice "$kb" cold "$guest" 20
	ENARX_KVM_ALLOW_PVM=1 nice "$kb" rtt "$guest" 2000
fi
if [ -x "$dir/src/cli/enarx" ] && [ "$(id -u)" = 0 ]; then
	section "nil Keep start: the cost of its cgroups and uid (src/backend/bench/nil_start.sh)"
	nice bash src/backend/bench/nil_start.sh "$dir" 30
fi
if [ -x "$dir/src/attest/attest-bench" ]; then
	section "attestation verification"
	nice "$dir/src/attest/attest-bench"
fi
if [ -x "$dir/src/crypto/hpke-bench" ]; then
	section "HPKE (RFC 9180): seal/open throughput and setups per second"
	nice "$dir/src/crypto/hpke-bench"
fi
if [ -x "$dir/src/tlssock/tlssock-bench" ]; then
	section "TLSSock vs direct OpenSSL"
	nice "$dir/src/tlssock/tlssock-bench"
fi
if [ -x "$dir/src/crypto/pq-bench" ]; then
	section "post-quantum: ML-KEM-768 vs Node 26 (OpenSSL 3.5), TLS 1.3 X25519MLKEM768 vs X25519"
	nice python3 src/crypto/bench/pq_bench.py "$dir/src/crypto/pq-bench"
fi
if [ -x "$dir/tests/e2e/http/http-test-server" ]; then
	section "HTTPS server (src/http): requests/s at 64 connections (wrk)"
	bash src/http/bench/http_bench.sh "$dir"
fi
if [ -x "$dir/src/cli/enarx" ] && [ -f src/host/bench/host_bench.sh ]; then
	section "host agent: create-to-exit through the API vs enarx run; GET /v1/keeps (wrk -c64)"
	bash src/host/bench/host_bench.sh "$dir"
fi
db=$dir/src/deploy/deploy-bench
if [ -x "$db" ] && [ -f "$dir/examples/hello.wasm" ]; then
	section "enarx deploy: hello on nil by phase (median of 50) vs enarx run; concurrency; sealing"
	nice "$db" deploy "$dir/src/cli/enarx" "$dir/examples/hello.wasm" 50
	nice "$db" parallel "$dir/src/cli/enarx" "$dir/examples/hello.wasm" 40
	nice "$db" seal 50
fi
if [ -x "$dir/src/cli/enarx" ] && [ -f src/steward/bench/steward_bench.py ] &&
	[ -f ../shared/testdata/attestation/csr/steward_snp_milan.csr.der ]; then
	section "Steward: certificates for a real SNP CSR (HTTPS, keep-alive), per second and per CPU-second, latency"
	nice python3 src/steward/bench/steward_bench.py "$dir/src/cli/enarx"
fi
if [ -x "$dir/src/cli/enarx" ] && [ -f "$dir/examples/hello.wasm" ] && [ -r /dev/kvm ]; then
	section "Steward certification of a kvm Keep: enarx run and enarx deploy with and without it"
	nice python3 src/steward/bench/keep_cert_bench.py "$dir/src/cli/enarx" "$dir/examples/hello.wasm" 10
fi
if [ -x "$dir/src/oci/enarx-oci" ] && command -v podman >/dev/null; then
	section "OCI runtime: container start-to-exit under podman, enarx-oci vs runc (same run)"
	nice bash src/oci/bench/oci_bench.sh "$dir" 10
fi
if [ -f "$dir/examples/https_server.wasm" ]; then
	section "Keep TLS (prot = \"tls\"): HTTPS server in a Keep vs nginx, same payload"
	nice bash src/exec/bench/keep_tls_bench.sh "$dir"
fi
[ "$ran" -gt 0 ] || echo "bench: no benchmarks built yet"
