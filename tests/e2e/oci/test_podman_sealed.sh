#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Encrypted images: podman running a Steward-sealed package through
# enarx-oci. A real Steward (`enarx steward serve`, its own state folder,
# loopback) holds the package key; the owner seals the package with
# `enarx package build --for-steward` and stores the key there; podman
# builds the image offline from the sealed file and runs it with
# --network host (the Keep reaches Steward through the runtime's relay,
# from the pod's network). Checked: a KVM Keep gets the key and runs the
# workload (module, env, secret, arguments from the package); a key whose
# release policy this Keep does not meet (tee = ["snp"]) and a nil Keep
# (no evidence) do not run, and podman shows why; the --log JSON of the
# runtime carries Steward's refusal; neither the image nor the node's
# files hold the workload in the clear. The commands are the ones
# docs/orchestration.md shows.
set -u
source "$ENARX_SRC/tests/lib/tap.sh"

OCI=${ENARX_OCI_BIN:-$ENARX_BUILD/src/oci/enarx-oci}
EX=$ENARX_BUILD/examples
command -v podman >/dev/null || tap_skip_all "podman not installed (scripts/install-deps.sh)"
[ "$(id -u)" = 0 ] || tap_skip_all "rootful podman needs root"
[ -f "$EX/args.wasm" ] || tap_skip_all "examples not built (no wasm32-wasi clang)"

T=$(mktemp -d /tmp/enarx-e2e-sealed.XXXXXX)
O=$T/owner # the owner's side: the module and the secret in the clear
N=$T/node  # the node: podman's configuration and storage
S=$T/steward
mkdir -p "$O/ctx" "$O/ctx-snp" "$N" "$S"
source "$ENARX_SRC/tests/e2e/oci/podman_env.sh"
podman_env "$N" "$OCI"
STATE=/run/enarx-oci
STW_PID=
cleanup() {
	podman_env_clean
	[ -n "$STW_PID" ] && kill "$STW_PID" 2>/dev/null && wait "$STW_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
run() { pm run --runtime enarx --platform wasi/wasm32 --rm --network host "$@"; }

if ! why=$(pm info 2>&1 >/dev/null); then
	tap_skip_all "podman cannot run here: $(printf '%s' "$why" | tail -1)"
fi
kvm=
"$ENARX_BIN" platform info 2>/dev/null | grep -q "Backend kvm: usable" && kvm=1

# Steward: certification policy admitting KVM Keeps (insecure: no hardware
# root of trust), HTTPS on a free loopback port
printf 'tee = ["kvm"]\nallow_insecure = true\n' >"$T/steward-policy.toml"
"$ENARX_BIN" steward serve --state "$S" --listen 127.0.0.1:0 --policy "$T/steward-policy.toml" \
	>"$T/steward.out" 2>"$T/steward.err" &
STW_PID=$!
for _ in $(seq 300); do
	grep -q '^ready' "$T/steward.out" 2>/dev/null && break
	kill -0 "$STW_PID" 2>/dev/null || break
	sleep 0.1
done
grep -q '^ready' "$T/steward.out" || tap_skip_all "Steward did not start: $(tail -3 "$T/steward.err")"
PORT=$(sed -n 's/^port //p' "$T/steward.out")
STEWARD=https://127.0.0.1:$PORT
tap_pass "Steward serves $STEWARD"

# the owner: a secret, a package sealed to a fresh key, the key in Steward
MARK="sealed-marker-$$-$RANDOM$RANDOM"
printf '%s' "$MARK" >"$O/token"
out=$("$ENARX_BIN" package build -o "$O/ctx/app.spkg" \
	--for-steward "$STEWARD" --secret-name app-key --steward-ca "$S/ca-cert.pem" \
	--steward-token "$S/owner-token" --release-policy '{"tee": ["kvm"], "allow_insecure": true}' \
	--env MODE=sealed --secret TOKEN=@"$O/token" "$EX/args.wasm" -- from-package 2>&1)
tap_like "enarx package build --for-steward seals the package and stores its key" "$out" \
	"app.spkg: sealed for Steward $STEWARD, key app-key \\(stored in Steward\\)"
tap_like "Steward lists the key under its name, with its policy" \
	"$("$ENARX_BIN" steward secret ls --state "$S" 2>&1)" "app-key.*kvm"
out=$("$ENARX_BIN" package inspect "$O/ctx/app.spkg" 2>&1)
tap_like "enarx package inspect shows whose key opens it, not what is inside" "$out" \
	"secret name  app-key"
if grep -aqF "$MARK" "$O/ctx/app.spkg" || grep -aqF 'argv[%d]=%s' "$O/ctx/app.spkg"; then
	tap_fail "the sealed package holds neither the secret nor the module in the clear"
else
	tap_pass "the sealed package holds neither the secret nor the module in the clear"
fi
"$ENARX_BIN" package build -o "$O/ctx-snp/app.spkg" \
	--for-steward "$STEWARD" --secret-name snp-key --steward-ca "$S/ca-cert.pem" \
	--steward-token "$S/owner-token" --release-policy '{"tee": ["snp"]}' \
	"$EX/args.wasm" >/dev/null 2>&1

# the images, built offline from the sealed files
for c in ctx ctx-snp; do
	printf 'FROM scratch\nCOPY app.spkg /\nENTRYPOINT ["/app.spkg"]\n' >"$O/$c/Containerfile"
done
pm build --quiet --platform wasi/wasm32 --annotation module.wasm.image/variant=compat \
	-t localhost/sealed "$O/ctx" >"$T/build.log" 2>&1
tap_ok "podman build: an image whose entrypoint is the sealed package" pm image exists localhost/sealed
pm build --quiet --platform wasi/wasm32 --annotation module.wasm.image/variant=compat \
	-t localhost/sealed-snp "$O/ctx-snp" >/dev/null 2>&1
pm save --format oci-archive -o "$T/image.tar" localhost/sealed >/dev/null 2>&1
if [ -s "$T/image.tar" ] && ! grep -aqF "$MARK" "$T/image.tar" &&
	! grep -aqF 'argv[%d]=%s' "$T/image.tar"; then
	tap_pass "the image (podman save) holds neither the secret nor the module in the clear"
else
	tap_fail "the image (podman save) holds neither the secret nor the module in the clear" \
		"$(ls -la "$T/image.tar" 2>&1)"
fi
rm -f "$T/image.tar"

# a nil Keep has no evidence: no key, and it says so
tap_skip "a nil Keep runs a sealed package" \
	"a nil Keep has no evidence, and no Steward policy releases to a Keep without it"
out=$(run --annotation enarx.backend=nil localhost/sealed 2>&1)
rc=$?
tap_like "a nil Keep does not run a sealed package and says why" "$rc: $out" \
	"^[1-9][0-9]*: .*sealed package: this Keep has no TEE and no evidence \\(nil backend\\)"
printf '%s\n' "$out" | sed 's/^/# podman: /'

if [ -n "$kvm" ]; then
	# the same package without an engine: enarx run relays the Keep's
	# requests to Steward, trusting its CA
	out=$("$ENARX_BIN" run --backend kvm --relay-cacert "$S/ca-cert.pem" "$O/ctx/app.spkg" -- direct 2>&1)
	tap_is "enarx run --backend kvm runs a sealed package with the key Steward released" \
		"$(printf '%s\n' "$out" | grep -E '^(argv\[[12]\]|env: (MODE|TOKEN))=')" \
		"argv[1]=from-package
argv[2]=direct
env: MODE=sealed
env: TOKEN=$MARK"
	out=$(run --annotation enarx.backend=kvm localhost/sealed extra 2>&1)
	tap_is "a KVM Keep under podman gets the key from Steward and runs the package's module" \
		"$(printf '%s\n' "$out" | grep -E '^argv\[[12]\]=')" $'argv[1]=from-package\nargv[2]=extra'
	tap_like "... with the package's environment" "$out" "env: MODE=sealed"
	tap_like "... and its secret" "$out" "env: TOKEN=$MARK"
	rel=$(sqlite3 "$S/steward.db" "SELECT verdict, tee FROM audit WHERE action = 'release' AND secret = 'app-key'" 2>&1)
	tap_like "Steward's audit log records the release to a kvm Keep" "$rel" "released[|]kvm"

	out=$(run --annotation enarx.backend=kvm localhost/sealed-snp 2>&1)
	rc=$?
	tap_like "a Keep that Steward's policy refuses does not run, and podman shows Steward's reason" \
		"$rc: $out" \
		"^[1-9][0-9]*: .*Steward refused the package key 'snp-key': secret-policy.tee: .*kvm"
	printf '%s\n' "$out" | sed 's/^/# podman: /'
	rel=$(sqlite3 "$S/steward.db" "SELECT verdict FROM audit WHERE action = 'release' AND secret = 'snp-key'" 2>&1)
	tap_is "Steward's audit log records the refusal" "$rel" "refused"

	# the runtime's own --log (what podman reads with runtime_supports_json):
	# the bundle podman made, run by hand with --log-format json
	pm create --runtime enarx --platform wasi/wasm32 --network host --name bundle \
		--annotation enarx.backend=kvm localhost/sealed-snp >/dev/null 2>&1
	B=$T/bundle
	mkdir -p "$B"
	root=$(pm mount bundle 2>/dev/null)
	python3 - "$root" "$B/config.json" <<'PY'
import json, sys
root, out = sys.argv[1], sys.argv[2]
json.dump({"ociVersion": "1.0.2", "root": {"path": root, "readonly": True},
           "process": {"args": ["/app.spkg"], "env": [], "cwd": "/"},
           "annotations": {"enarx.backend": "kvm"},
           "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}}, open(out, "w"))
PY
	"$OCI" --root "$T/oci-root" --log "$T/oci.log" --log-format json create --bundle "$B" \
		--pid-file "$T/oci.pid" sealed-log >/dev/null 2>&1
	"$OCI" --root "$T/oci-root" --log "$T/oci.log" --log-format json start sealed-log >/dev/null 2>&1
	pid=$(cat "$T/oci.pid" 2>/dev/null)
	for _ in $(seq 600); do [ -n "$pid" ] && [ -e "/proc/$pid" ] || break; sleep 0.05; done
	"$OCI" --root "$T/oci-root" delete --force sealed-log >/dev/null 2>&1
	pm umount bundle >/dev/null 2>&1
	pm rm -f bundle >/dev/null 2>&1
	line=$(grep -F "snp-key" "$T/oci.log" 2>/dev/null | head -1)
	if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(not (d["level"] == "error" and "secret-policy.tee" in d["msg"]))' "$line" 2>/dev/null; then
		tap_pass "the runtime's --log JSON carries Steward's refusal"
	else
		tap_fail "the runtime's --log JSON carries Steward's refusal" "$(cat "$T/oci.log" 2>&1)"
	fi
else
	for t in "a KVM Keep gets the key from Steward and runs the package" \
		"a Keep that Steward's policy refuses does not run" "the runtime's --log JSON carries Steward's refusal"; do
		tap_skip "$t" "kvm backend not usable here (a nil Keep has no evidence for Steward)"
	done
fi

# the node never held the workload in the clear: podman's storage and
# run state, the runtime's state
found=$(grep -rlaF 'argv[%d]=%s' "$N" "$STATE" 2>/dev/null | head -3)
tap_is "no file of the node holds the module in the clear" "$found" ""
found=$(grep -rlaF "$MARK" "$N" "$STATE" "$T/oci-root" 2>/dev/null | grep -v '/ctr.log$' | head -3) # (ctr.log: the output the workload chose to print, removed with --rm)
tap_is "no file of the node holds the secret in the clear" "$found" ""

tap_done
