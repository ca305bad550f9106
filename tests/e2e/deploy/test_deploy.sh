#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# enarx deploy end to end, on each backend in ENARX_TEST_BACKENDS (nil kvm;
# kvm skips with its reason where it cannot run): the examples sealed to a
# fresh Keep through the private host agent, their output, exit codes,
# traps and secrets; refusals of insecure Keeps; packages and directories.
set -uo pipefail
source "$ENARX_SRC/tests/lib/tap.sh"
enarx=$ENARX_BIN
ex=$ENARX_BUILD/examples
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

deploy_checks() {
	local be=$1 out err rc
	out=$("$enarx" deploy --insecure --backend "$be" "$ex/hello.wasm" 2>"$tmp/err"); rc=$?
	err=$(cat "$tmp/err")
	tap_is "$be: hello prints its greeting" "$out" "Hello, world!"
	tap_is "$be: hello exits 0" "$rc" 0
	tap_like "$be: steps: Keep created" "$err" "Keep created: backend $be, private host agent"
	tap_like "$be: steps: evidence" "$err" "evidence: TEE (none|kvm)"
	tap_like "$be: steps: insecure warning" "$err" "WARNING: INSECURE KEEP"
	tap_like "$be: steps: policy, sealed, sent, running" \
		"$(tr '\n' ' ' <"$tmp/err")" "policy passed.*package sealed: sha256:[0-9a-f]{64}.*sent.*running: the Keep opened sha256"
	if [ "$be" = kvm ]; then
		tap_like "kvm: runtime measurement mapped to this build" "$err" \
			"runtime enarx [0-9.]+ \(kvm\) sha384:[0-9a-f]{96}"
		tap_like "kvm: key binding checked" "$err" "key binding checked"
	fi

	out=$(printf 'line one\nline two\n' | "$enarx" deploy --insecure --backend "$be" "$ex/cat.wasm" 2>"$tmp/err")
	tap_is "$be: stdin streams sealed to the workload and back" "$out" "line one
line two"
	tap_like "$be: the workload's stderr comes back too" "$(cat "$tmp/err")" "cat: 18 bytes"

	"$enarx" deploy --insecure --backend "$be" "$ex/exitcode.wasm" -- 7 >/dev/null 2>&1; rc=$?
	tap_is "$be: exit code of the workload" "$rc" 7

	"$enarx" deploy --insecure --backend "$be" "$ex/trap.wasm" -- divide >/dev/null 2>"$tmp/err"; rc=$?
	err=$(cat "$tmp/err")
	tap_is "$be: a trap exits 134" "$rc" 134
	tap_like "$be: trap message" "$err" "Error: wasm trap: integer divide by zero"
	tap_like "$be: trap backtrace with names" "$err" "func\[[0-9]+\] divide"

	printf 'tok-%s' "$be-4711" >"$tmp/secret"
	out=$("$enarx" deploy --insecure --backend "$be" --secret API_TOKEN=@"$tmp/secret" \
		--env MODE=test "$ex/args.wasm" -- one two 2>/dev/null)
	tap_like "$be: the workload prints the secret it received" "$out" "env: API_TOKEN=tok-$be-4711"
	tap_like "$be: --env reaches the workload" "$out" "env: MODE=test"
	tap_like "$be: args after -- reach the workload" "$out" "argv\[2\]=two"

	"$enarx" deploy --backend "$be" "$ex/hello.wasm" >"$tmp/out" 2>"$tmp/err"; rc=$?
	tap_is "$be: insecure Keep without --insecure is refused" "$rc" 1
	tap_like "$be: the refusal names the check" "$(cat "$tmp/err")" "deploy refused: insecure Keep"
	tap_is "$be: nothing ran when refused" "$(cat "$tmp/out")" ""
}

for be in ${ENARX_TEST_BACKENDS:-nil kvm}; do
	if ! why=$("$enarx" platform info --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
b = next((b for b in d["backends"] if b["name"] == sys.argv[1]), None)
if b is None or not b["usable"]:
    print(next((c["title"] + ": " + c["detail"] for c in b["checks"] if not c["ok"]), "not usable") if b else "not in this build")
    sys.exit(1)' "$be" 2>&1); then
		tap_skip "$be: deploy" "backend $be not usable: $why"
		continue
	fi
	deploy_checks "$be"
done

# packages and directories (nil)
mkdir -p "$tmp/app"
cp "$ex/args.wasm" "$tmp/app/main.wasm"
printf 'args = ["from-toml"]\n[[files]]\nkind = "stdin"\n[[files]]\nkind = "stdout"\n[[files]]\nkind = "stderr"\n' >"$tmp/app/Enarx.toml"
out=$("$enarx" deploy --insecure --backend nil "$tmp/app" 2>/dev/null)
tap_like "a directory: main.wasm with its Enarx.toml" "$out" "argv\[1\]=from-toml"
printf 'pkg-secret-99' >"$tmp/s2"
out=$("$enarx" package build -o "$tmp/app.pkg" --secret K=@"$tmp/s2" --env E=1 "$tmp/app" -- a1)
tap_like "package build reports the digest" "$out" "workload digest sha256:[0-9a-f]{64}"
digest=$(printf '%s' "$out" | grep -oE 'sha256:[0-9a-f]{64}')
ins=$("$enarx" package inspect "$tmp/app.pkg")
tap_like "package inspect shows the digest" "$ins" "digest +$digest"
tap_like "package inspect hides secret values" "$ins" "secret +K \(13 bytes, value hidden\)"
if printf '%s' "$ins" | grep -q pkg-secret-99; then tap_fail "inspect never prints a secret"; else tap_pass "inspect never prints a secret"; fi
out=$("$enarx" deploy --insecure --backend nil "$tmp/app.pkg" 2>"$tmp/err")
tap_like "deploy PACKAGE: secret and args from the package" "$out" "env: K=pkg-secret-99"
tap_like "deploy PACKAGE: the Keep opened the same digest" "$(cat "$tmp/err")" "running: the Keep opened $digest"
"$enarx" deploy --insecure --backend nil --json "$ex/hello.wasm" >/dev/null 2>"$tmp/err"
steps=$(python3 -c '
import json, sys
print(" ".join(json.loads(l)["step"] for l in open(sys.argv[1]) if l.startswith("{")))' "$tmp/err")
tap_is "--json: every step as a JSON line" "$steps" "keep evidence policy sealed sent running done end"
"$enarx" deploy --insecure --backend nil "$tmp/nonexistent.wasm" >/dev/null 2>"$tmp/err"; rc=$?
tap_is "a missing module is an error" "$rc" 1
tap_done
