# SPDX-License-Identifier: Apache-2.0
"""`make bench`: what Steward certification adds to a Keep's start, on kvm.
A real `enarx steward serve` (temporary state, a policy admitting KVM Keeps)
and, N times each, `enarx run --backend kvm hello.wasm` with and without
`steward` in Enarx.toml (the CSR through the host relay, Steward's
verification and signing, the chain check), then `enarx deploy --insecure`
with and without `--steward`. Prints medians in a table.
Usage: keep_cert_bench.py ENARX HELLO.wasm [N]"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "tests", "e2e", "steward"))
ENARX, HELLO = sys.argv[1], sys.argv[2]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 10
os.environ["ENARX_BIN"] = ENARX
import stw  # noqa: E402

probe = subprocess.run([ENARX, "run", "--backend", "kvm", HELLO], capture_output=True, text=True)
if probe.stdout.strip() != "Hello, world!":
    print("skipped: kvm Keeps cannot run here")
    sys.exit(0)
tmp = tempfile.TemporaryDirectory(prefix="enarx-keep-cert-bench-")
pol = os.path.join(tmp.name, "policy.toml")
with open(pol, "w") as f:
    f.write('tee = ["kvm"]\nallow_insecure = true\n')
srv = stw.Steward(os.path.join(tmp.name, "state"), "--policy", pol)
url = f"https://127.0.0.1:{srv.port}"
stdio = '[[files]]\nkind = "stdin"\n[[files]]\nkind = "stdout"\n[[files]]\nkind = "stderr"\n'
plain, cert = os.path.join(tmp.name, "plain.toml"), os.path.join(tmp.name, "steward.toml")
with open(plain, "w") as f:
    f.write(stdio)
with open(cert, "w") as f:
    f.write(f'steward = "{url}"\nsteward_ca = "{srv.ca}"\n' + stdio)


def median_ms(cmd):
    times = []
    for _ in range(N):
        t0 = time.monotonic()
        r = subprocess.run(cmd, capture_output=True, text=True)
        times.append((time.monotonic() - t0) * 1e3)
        if "Hello, world!" not in r.stdout:
            raise SystemExit("failed: " + " ".join(cmd) + ": " + r.stderr[-300:])
    return statistics.median(times)


try:
    rows = [
        ("enarx run kvm hello", median_ms([ENARX, "run", "--backend", "kvm", "--wasmcfgfile",
                                           plain, HELLO])),
        ("... with steward (certified at start)",
         median_ms([ENARX, "run", "--backend", "kvm", "--wasmcfgfile", cert, HELLO])),
        ("enarx deploy --insecure kvm hello",
         median_ms([ENARX, "deploy", "--insecure", "--backend", "kvm", HELLO])),
        ("... with --steward", median_ms([ENARX, "deploy", "--insecure", "--backend", "kvm",
                                          "--steward", url, "--steward-ca", srv.ca, HELLO])),
    ]
finally:
    srv.stop()
print(f"{'median of ' + str(N):40s} {'ms':>9s} {'added':>9s}")
for i, (name, ms) in enumerate(rows):
    added = f"{ms - rows[i - 1][1]:+9.1f}" if i % 2 else ""
    print(f"{name:40s} {ms:9.1f} {added:>9s}")
