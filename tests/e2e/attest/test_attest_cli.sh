#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# `enarx attest verify` on real evidence: exit status 0 only when the policy
# accepts, claims and reasons printed, JSON output parseable.
source "$ENARX_SRC/tests/lib/tap.sh"
S="$ENARX_SHARED/testdata/attestation"
[ -d "$S" ] || tap_skip_all "no test data at $S"
E="$ENARX_BIN"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT

run() { out=$("$E" attest verify "$@" 2>&1); rc=$?; }

run "$S/snp/reports/virtee_milan/report.bin" --certs "$S/snp/reports/virtee_milan/vcek.der" --at 2026-11-21
tap_is "snp virtee_milan accepted (exit 0)" "$rc" 0
tap_like "snp virtee_milan verdict" "$out" "verdict: +accepted"

run "$S/snp/reports/gsg_milan_debug/report.bin" --certs "$S/snp/reports/gsg_milan_debug/vcek.der" --at 2026-11-21
tap_is "snp debug report rejected (exit 1)" "$rc" 1
tap_like "snp debug rejection names the rule" "$out" "allow_debug: policy forbids debug; evidence has POLICY.DEBUG=1"

run "$S/snp/reports/trustee_milan_vlek_aws/report.bin" --certs "$S/snp/reports/trustee_milan_vlek_aws/vlek.der" --at 2026-11-21
tap_is "expired VLEK rejected" "$rc" 1
tap_like "expired VLEK message" "$out" "expired"

cat > "$TMP/vmpl.toml" <<'T'
# accept VMPL 1 (paravisor)
[snp]
vmpl = [0, 1]
T
run "$S/snp/reports/trustee_milan_vlek_aws/report.bin" --certs "$S/snp/reports/trustee_milan_vlek_aws/vlek.der" --at 2025-06-01 --policy "$TMP/vmpl.toml"
tap_is "VLEK at VMPL 1 accepted by a policy allowing VMPL 1" "$rc" 0

run "$S/sgx/phala_sgx_icx/quote.bin" --collateral "$S/sgx/phala_sgx_icx/collateral.json" --at 2025-07-01 --json
tap_is "sgx phala rejected by the default policy" "$rc" 1
tap_like "sgx status and advisories in JSON" "$out" '"tcb_status": "ConfigurationAndSWHardeningNeeded"'
tap_like "sgx advisories" "$(printf '%s' "$out" | tr -d ' \n')" '"advisory_ids":\["INTEL-SA-00289","INTEL-SA-00615"\]'
if command -v python3 >/dev/null; then
	printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["verdict"]=="rejected"; assert d["claims"]["sgx"]["mrenclave"].startswith("33d8736d")' \
		&& tap_pass "JSON output parses" || tap_fail "JSON output parses" "$out"
else
	tap_skip "JSON output parses" "no python3"
fi

cat > "$TMP/sgx.toml" <<'T'
[sgx]
tcb_status = ["UpToDate", "ConfigurationAndSWHardeningNeeded"]
allowed_advisories = ["INTEL-SA-00289", "INTEL-SA-00615"]
T
run "$S/sgx/phala_sgx_icx/quote.bin" --collateral "$S/sgx/phala_sgx_icx/collateral.json" --at 2025-07-01 --policy "$TMP/sgx.toml"
tap_is "sgx phala accepted by a policy allowing its status and advisories" "$rc" 0

run "$S/sgx/phala_sgx_icx/quote.bin" --collateral "$S/sgx/phala_sgx_icx/collateral.json" --at 2025-09-01 --policy "$TMP/sgx.toml"
tap_is "expired collateral rejected" "$rc" 1
tap_like "expired collateral message" "$out" "expired"

run "$S/tdx/phala_tdx_v4/quote_padded.bin" --collateral "$S/tdx/phala_tdx_v4/collateral.json" --at 2025-07-01
tap_is "tdx phala v4 UpToDate accepted" "$rc" 0

run "$S/tdx/phala_tdx_v5_outdated/quote.bin" --collateral "$S/tdx/phala_tdx_v5_outdated/collateral.json" --at 2026-03-01
tap_is "tdx v5 outdated: TCB not supported" "$rc" 1
tap_like "tdx not supported message" "$out" "no matching TCB level"

run "$S/csr/steward_snp_milan.csr.der" --at 2023-01-01
tap_is "steward SNP CSR accepted (binding holds)" "$rc" 0

openssl req -inform der -in "$S/csr/steward_snp_milan.csr.der" -out "$TMP/csr.pem" 2>/dev/null
run "$TMP/csr.pem" --at 2023-01-01
tap_is "steward SNP CSR as PEM accepted" "$rc" 0

printf 'allow_debgu = true\n' > "$TMP/typo.toml"
run "$S/snp/reports/virtee_milan/report.bin" --certs "$S/snp/reports/virtee_milan/vcek.der" --policy "$TMP/typo.toml"
tap_is "policy typo is an error" "$rc" 1
tap_like "policy error has the line" "$out" "line 1: allow_debgu: unknown key"

run "$S/snp/reports/virtee_milan/report.bin" --bogus
tap_is "unknown option is a usage error" "$rc" 2

# key binding: the Steward report binds SHA-384 of its CSR key
run "$S/snp/reports/steward_milan/report.bin" --certs "$S/snp/reports/steward_milan/vcek.der" --bind-key "$S/snp/reports/steward_milan/csr_spki.der"
tap_is "SNP report bound to its CSR key" "$rc" 0
run "$S/snp/reports/steward_milan/report.bin" --certs "$S/snp/reports/steward_milan/vcek.der" --bind-key "$S/sgx/steward_icelake_i5/csr_spki.der"
tap_is "SNP report not bound to another key" "$rc" 1
tap_like "binding rejection names report_data" "$out" "report_data: REPORT_DATA e74229bb"
printf '[sgx]\ntcb_status = ["Unevaluated"]\nrequire_qe_identity = false\n' > "$TMP/uneval.toml"
run "$S/sgx/steward_icelake_xeon/quote.bin" --at 2023-02-01 --policy "$TMP/uneval.toml" --bind-key "$S/sgx/steward_icelake_xeon/csr_spki.der"
tap_is "SGX quote bound to its CSR key (SHA-256)" "$rc" 0
run "$S/sgx/steward_icelake_xeon/quote.bin" --at 2023-02-01 --policy "$TMP/uneval.toml" --bind-key "$S/sgx/steward_icelake_xeon/csr_spki.der" --nonce 00
tap_is "SGX binding with a nonce differs" "$rc" 1

# KVM evidence: insecure, accepted only where policy says so
# (the 128 bytes a KVM Keep's SYS_GETATT returns: magic, version 1, flags
# INSECURE, measurement, REPORT_DATA; docs/kvm-keep.md)
{ printf 'ENXKVMv1\001\000\000\000\001\000\000\000'; head -c 112 /dev/zero; } > "$TMP/kvm.bin"
run "$TMP/kvm.bin"
tap_is "KVM evidence rejected by default" "$rc" 1
tap_like "KVM rejection reason" "$out" "TEE type kvm not accepted"
printf 'tee = ["kvm"]\nallow_insecure = true\n' > "$TMP/kvm.toml"
run "$TMP/kvm.bin" --policy "$TMP/kvm.toml"
tap_is "KVM evidence accepted by an insecure-allowing policy" "$rc" 0
tap_like "KVM labelled insecure" "$out" "insecure, no hardware root of trust"

head -c 100 "$S/snp/reports/virtee_milan/report.bin" > "$TMP/short.bin"
run "$TMP/short.bin"
tap_is "garbage evidence rejected" "$rc" 1
tap_done
