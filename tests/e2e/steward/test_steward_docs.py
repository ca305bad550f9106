# SPDX-License-Identifier: Apache-2.0
# Runs the ```sh examples of docs/steward.md, in order, in one bash
# (set -euo pipefail) against a Steward started as the page says, then
# checks what they left: the chains verify and the sealed secret opens with
# the stand-in Keep's key. Usage: test_steward_docs.py PATH/steward-keep-open
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ.get("ENARX_SRC", "."), "tests", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402
import stw  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

KEEP_OPEN = sys.argv[1]
stw.require_big_arcs(Tap)
t = Tap()
src = os.environ.get("ENARX_SRC", ".")
with open(os.path.join(src, "docs", "steward.md")) as f:
    blocks = re.findall(r"```sh\n(.*?)```", f.read(), re.S)
tmp = tempfile.TemporaryDirectory(prefix="enarx-steward-docs-")
T = tmp.name
pol = os.path.join(T, "policy.toml")
with open(pol, "w") as f:
    f.write('tee = ["snp", "sgx", "tdx", "kvm"]\nallow_insecure = true\n')
srv = stw.Steward(os.path.join(T, "state"), "--at", "2023-02-01", "--policy", pol)
work = os.path.join(T, "work")
os.mkdir(work)
keep = ec.generate_private_key(ec.SECP256R1())
stw.write_key(keep, os.path.join(work, "keep.pem"))
with open(os.path.join(work, "keep.csr"), "wb") as f:
    f.write(stw.make_csr(keep, stw.OID_KVM, b""))
bindir = os.path.join(T, "bin")
os.mkdir(bindir)
os.symlink(os.path.abspath(stw.ENARX), os.path.join(bindir, "enarx"))
env = dict(os.environ, STATE=srv.state, STEWARD=f"https://127.0.0.1:{srv.port}",
           SAMPLES=os.path.abspath(stw.CSR_DIR), PATH=bindir + ":" + os.environ["PATH"])
try:
    t.ok(len(blocks) >= 8, f"docs/steward.md has runnable examples ({len(blocks)})")
    prelude = "set -euo pipefail\n"
    for i, b in enumerate(blocks):
        r = subprocess.run(["bash", "-c", prelude + b], cwd=work, env=env, capture_output=True,
                           text=True, timeout=60)
        first = b.strip().splitlines()[0][:70]
        t.ok(r.returncode == 0, f"example {i + 1} runs: {first}", r.stdout[-600:] + r.stderr[-600:])
    r = subprocess.run(["openssl", "verify", "-CAfile", os.path.join(srv.state, "ca-cert.pem"),
                        os.path.join(work, "chain.pem"), os.path.join(work, "keep-chain.pem")],
                       capture_output=True, text=True)
    t.ok(r.returncode == 0, "the chains the examples fetched verify", r.stdout + r.stderr)
    with open(os.path.join(work, "sealed.json")) as f:
        sealed = json.load(f)
    r = subprocess.run([KEEP_OPEN, os.path.join(work, "keep.pem"), sealed["info"], sealed["sealed"]],
                       capture_output=True)
    t.eq(r.stdout, b"hunter2", "the secret released in the example opens with the Keep's key")
finally:
    srv.stop()
t.done()
