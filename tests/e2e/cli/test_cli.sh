#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end tests of the enarx command line: help, version, errors, and
# `platform info` in text and JSON form against what this host really has.
set -u
source "$ENARX_SRC/tests/lib/tap.sh"
E=$ENARX_BIN

out=$("$E" --help); rc=$?
tap_is "--help exits 0" "$rc" 0
tap_like "--help lists platform" "$out" "platform +Show what this host offers"
tap_like "--help names the version" "$out" "^enarx [0-9.]+: run WebAssembly"
tap_like "--help shows the usage line" "$out" "^Usage: enarx \[--help\]"

out=$("$E" --version); tap_like "--version prints the version" "$out" '^enarx [0-9]+\.[0-9]+\.[0-9]+'
out2=$("$E" version); tap_is "version equals --version" "$out2" "$out"

out=$("$E" help platform); tap_like "help platform shows usage" "$out" "Usage: enarx platform info \[--json\]"
out=$("$E" platform --help); tap_like "platform --help shows usage" "$out" "Usage: enarx platform info"

err=$("$E" frobnicate 2>&1 >/dev/null); rc=$?
tap_is "unknown command exits 2" "$rc" 2
tap_like "unknown command is named" "$err" "unknown command 'frobnicate'"

err=$("$E" help nosuch 2>&1 >/dev/null); rc=$?
tap_is "help for unknown command exits 2" "$rc" 2

err=$("$E" platform 2>&1 >/dev/null); rc=$?
tap_is "platform without subcommand exits 2" "$rc" 2
tap_like "platform without subcommand says what is missing" "$err" "missing subcommand"
err=$("$E" platform info --xml 2>&1 >/dev/null); rc=$?
tap_is "unknown option exits 2" "$rc" 2
tap_like "unknown option is named" "$err" "unknown option '--xml'"

"$E" >/dev/null 2>&1; rc=$?
tap_is "no arguments is a usage error" "$rc" 2

# help and errors come from each command's options table (src/cli/opts.h)
out=$("$E" help attest verify); rc=$?
tap_is "help of a subcommand exits 0" "$rc" 0
tap_like "help of a subcommand lists its options" "$out" "--bind-key PUBKEY +require REPORT_DATA"
out=$("$E" run --help); rc=$?
tap_is "run --help exits 0" "$rc" 0
tap_like "run --help shows the usage" "$out" "^Usage: enarx run \[--backend NAME\]"
tap_like "run --help names the env default" "$out" "sgx, sev, tdx, kvm, nil \(env ENARX_BACKEND\)"
err=$("$E" measure --mem 2>&1 >/dev/null); rc=$?
tap_is "option without its value exits 2" "$rc" 2
tap_like "missing value names the command and the option" "$err" "measure: option '--mem' needs a value \(SIZE\)"
err=$("$E" config frob 2>&1 >/dev/null); rc=$?
tap_is "unknown subcommand exits 2" "$rc" 2
tap_like "unknown subcommand lists the known ones" "$err" "config: unknown subcommand 'frob' \(expected 'init', 'check'\)"

# platform info, text form
out=$("$E" platform info); rc=$?
tap_is "platform info exits 0" "$rc" 0
for b in sgx sev tdx kvm nil; do
	tap_like "platform info has backend $b" "$out" "Backend $b: (usable|not usable)"
done
tap_like "platform info shows the default" "$out" "Default backend: (sgx|sev|tdx|kvm|nil)"
tap_like "nil is always usable" "$out" "Backend nil: usable"

# platform info --json, checked against the host with python's json module
json=$("$E" platform info --json); rc=$?
tap_is "platform info --json exits 0" "$rc" 0
check=$(printf '%s' "$json" | python3 -c '
import json, os, sys
d = json.load(sys.stdin)
errs = []
if d.get("format") != 1: errs.append("format != 1")
names = [b["name"] for b in d["backends"]]
if names != ["sgx", "sev", "tdx", "kvm", "nil"]: errs.append("backend order %r" % names)
for b in d["backends"]:
    for c in b["checks"]:
        for k, t in (("name", str), ("title", str), ("ok", bool), ("detail", str)):
            if not isinstance(c.get(k), t): errs.append("%s.%s bad" % (b["name"], k))
    if b["usable"] != all(c["ok"] for c in b["checks"]): errs.append(b["name"] + " usable mismatch")
for b in d["backends"]:
    if b["auto_select"] and not b["usable"]: errs.append(b["name"] + " auto_select but not usable")
    if b["usable"] and not b["auto_select"] and not b["note"]: errs.append(b["name"] + " skipped without a note")
first = next(b["name"] for b in d["backends"] if b["auto_select"])
if d["default_backend"] != first: errs.append("default %s != first usable %s" % (d["default_backend"], first))
kvm = next(b for b in d["backends"] if b["name"] == "kvm")
dev = next(c for c in kvm["checks"] if c["name"] == "dev_kvm")
if dev["ok"] != os.access("/dev/kvm", os.R_OK | os.W_OK): errs.append("dev_kvm disagrees with os.access")
for k in ("cpu_vendor", "cpu_model", "kernel"):
    if not d["host"].get(k): errs.append("host." + k + " empty")
if d["host"]["kernel"] != os.uname().release: errs.append("kernel mismatch")
print("; ".join(errs) if errs else "ok")
' 2>&1)
tap_is "platform info --json is well-formed and consistent" "$check" "ok"

# enarx run picks what platform info names as the default (its own fast path
# must agree with the full probe)
def=$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["default_backend"])')
hello=$ENARX_BUILD/examples/hello.wasm
if [ -f "$hello" ]; then
	picked=$(ENARX_LOG=debug "$E" run "$hello" 2>&1 >/dev/null | sed -n 's/.*run: backend \([a-z]*\),.*/\1/p')
	tap_is "enarx run uses the default platform info shows" "$picked" "$def"
	def2=$(ENARX_KVM_ALLOW_PVM=1 "$E" platform info --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["default_backend"])')
	picked=$(ENARX_KVM_ALLOW_PVM=1 ENARX_LOG=debug "$E" run "$hello" 2>&1 >/dev/null | sed -n 's/.*run: backend \([a-z]*\),.*/\1/p')
	tap_is "with ENARX_KVM_ALLOW_PVM=1 too" "$picked" "$def2"
else
	tap_skip "enarx run uses the default platform info shows" "examples not built"
fi
if [ -r /dev/kvm ] && [ -w /dev/kvm ] && printf '%s' "$out" | grep -q "executor can run in a Keep: dynamically linked"; then
	tap_like "kvm is not usable with a sanitizer build's executor, and says why" "$out" "Backend kvm: not usable"
elif [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	tap_like "kvm is usable where /dev/kvm works" "$out" "Backend kvm: usable"
else
	tap_skip "kvm is usable where /dev/kvm works" "no usable /dev/kvm on this host"
fi
if ! grep -q sev_snp /sys/module/kvm_amd/parameters/ 2>/dev/null && [ ! -e /dev/sev ]; then
	tap_like "sev is reported absent with a reason" "$out" "/dev/sev can be opened: No such file"
else
	tap_skip "sev is reported absent with a reason" "this host has SEV"
fi
if [ ! -e /dev/sgx_enclave ]; then
	tap_like "sgx is reported absent with a reason" "$out" "/dev/sgx_enclave can be opened: No such file"
else
	tap_skip "sgx is reported absent with a reason" "this host has SGX"
fi
# more workload arguments than a Keep accepts: an error that says so, no hang
# (issue 19: 5,000 arguments used to hang, then failed with "integer overflow")
if [ -f "$ENARX_BUILD/examples/hello.wasm" ]; then
	err=$(timeout 60 "$E" run --backend nil "$ENARX_BUILD/examples/hello.wasm" -- $(seq 1 5000) 2>&1 >/dev/null); rc=$?
	tap_is "5,000 workload arguments are a usage error" "$rc" 2
	tap_like "5,000 workload arguments: the limit is named" "$err" "too many arguments for the workload: 5000 \(at most 4096\)"
else
	tap_skip "5,000 workload arguments are a usage error" "examples not built"
	tap_skip "5,000 workload arguments: the limit is named" "examples not built"
fi
tap_done
