# SPDX-License-Identifier: Apache-2.0
# The Keep side of Steward (docs/steward.md "The Keep side"): a real
# `enarx steward serve` (temporary state, loopback, a policy admitting KVM
# Keeps) and `enarx run` of the HTTPS server example with `steward` and
# `steward_ca` in Enarx.toml, on kvm. The Keep's CSR goes through the host's
# relay; curl --cacert <Steward CA> reaches the Keep; the served certificate
# chains to the Steward CA and carries the claims (openssl x509 -text), the
# workload digest (claim .7) among them, which a key-broker policy then
# matches. Refused: a nil Keep, a chain that does not verify against a
# wrong steward_ca, a Steward whose policy refuses KVM.
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ.get("ENARX_SRC", "."), "tests", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402
import stw  # noqa: E402

BUILD = os.environ.get("ENARX_BUILD", "build")
WASM = os.path.join(BUILD, "examples", "https_server.wasm")
if not os.path.exists(WASM):
    Tap.skip_all("examples not built (no wasm32-wasi clang)")
if shutil.which("curl") is None or shutil.which("openssl") is None:
    Tap.skip_all("curl or openssl not installed (scripts/install-deps.sh)")
probe = subprocess.run([stw.ENARX, "run", "--backend", "kvm",
                        os.path.join(BUILD, "examples", "hello.wasm")],
                       capture_output=True, text=True, timeout=120)
if probe.stdout.strip() != "Hello, world!":
    Tap.skip_all("kvm Keeps cannot run here: " + (probe.stderr.strip().splitlines() or ["?"])[-1])

t = Tap()
tmp = tempfile.TemporaryDirectory(prefix="enarx-steward-keep-")
T = tmp.name
ARC = stw.ARC
procs = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def config(path, steward, ca, port):
    with open(path, "w") as f:
        f.write(f'steward = "{steward}"\n')
        if ca:
            f.write(f'steward_ca = "{ca}"\n')
        f.write('[[files]]\nkind = "stdin"\n[[files]]\nkind = "stdout"\n[[files]]\n'
                'kind = "stderr"\n[[files]]\nkind = "listen"\nname = "web"\nprot = "tls"\n'
                f'addr = "127.0.0.1"\nport = {port}\nalpn = ["http/1.1"]\n')


def run_keep(cfg, backend="kvm", wait_serving=True):
    """enarx run of the HTTPS server in T; returns (proc, out path, err path)."""
    out, err = cfg + ".out", cfg + ".err"
    p = subprocess.Popen([stw.ENARX, "run", "--backend", backend, "--wasmcfgfile", cfg,
                          "--tls-cert", cfg + ".leaf.pem", WASM, "--", "web"], cwd=T,
                         stdout=open(out, "w"), stderr=open(err, "w"))
    procs.append(p)
    for _ in range(600 if wait_serving else 0):
        if "serving on" in open(out).read() or p.poll() is not None:
            break
        time.sleep(0.1)
    return p, out, err


def ended(p, timeout=120):
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        return p.wait()


def sh(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60, **kw)


pol = os.path.join(T, "kvm-policy.toml")
with open(pol, "w") as f:
    f.write('tee = ["snp", "sgx", "tdx", "kvm"]\nallow_insecure = true\n')
srv = stw.Steward(os.path.join(T, "state"), "--policy", pol)
strict = stw.Steward(os.path.join(T, "strict"))  # the production policy: no KVM
url = f"https://127.0.0.1:{srv.port}"
try:
    # --- certified on kvm, reached with the Steward CA -------------------------
    port = free_port()
    cfg = os.path.join(T, "Enarx.toml")
    config(cfg, url, "state/ca-cert.pem", port)
    p, out, err = run_keep(cfg)
    serving = "serving on" in open(out).read()
    t.ok(serving, "kvm: the Keep is certified by Steward and serves", open(err).read()[-800:])
    page = sh("curl", "-sS", "--max-time", "30", "--cacert", srv.ca, f"https://localhost:{port}/")
    t.ok('id="keep"' in page.stdout, "curl --cacert <Steward CA> reaches the Keep",
         page.stderr)
    s_client = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                               "-showcerts"], input="", capture_output=True, text=True,
                              timeout=30)
    pems = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----",
                      s_client.stdout, re.S)
    t.ok(len(pems) == 2, "the Keep presents its certificate and the Steward CA", len(pems))
    with open(os.path.join(T, "served.pem"), "w") as f:
        f.write(pems[0] + "\n" if pems else "")
    v = sh("openssl", "verify", "-CAfile", srv.ca, os.path.join(T, "served.pem"))
    t.ok(v.returncode == 0, "openssl verify: the served certificate chains to the Steward CA",
         v.stdout + v.stderr)
    text = sh("openssl", "x509", "-in", os.path.join(T, "served.pem"), "-noout", "-text").stdout
    t.ok(re.search(re.escape(ARC + ".2:") + r"\s*\n\s*\.\.kvm", text) is not None,
         "openssl x509 -text: claim .2 (tee) is kvm", text[-1500:])
    t.ok("Enarx Keep" in text and "DNS:localhost" in text,
         "the certificate is Steward's Keep certificate, with the names the Keep asked for")
    leaf = stw.x509.load_pem_x509_certificate(pems[0].encode()) if pems else None
    digest = hashlib.sha256(open(WASM, "rb").read()).digest()
    t.eq(stw.der_body(stw.claim(leaf, 7)) if leaf else None, digest,
         "claim .7 (workload) is the SHA-256 of the module the Keep runs")
    t.eq(stw.claim(leaf, 8) if leaf else None, b"\x01\x01\xff", "claim .8 (insecure) is TRUE")
    tee = stw.der_utf8(stw.claim(leaf, 2)) if leaf else None
    t.eq(tee, "kvm", "claim .2 read with python3-cryptography")
    fp = re.search(r"Keep TLS certificate SHA-256 fingerprint: (\S+)", open(err).read())
    got = sh("openssl", "x509", "-in", os.path.join(T, "served.pem"), "-noout", "-fingerprint",
             "-sha256").stdout.strip().split("=")[-1]
    t.eq(fp.group(1) if fp else None, got, "enarx run prints the Steward certificate's fingerprint")
    # the key broker reads the workload claim of the Keep's certificate
    chain_pem = pems[0] + "\n" + open(srv.ca).read() if pems else ""
    code, _, _ = srv.owner("PUT", "/v1/secrets/for-this-module",
                           {"value": stw.b64(b"x"), "policy": {"workload": [digest.hex()],
                                                               "allow_insecure": True}})
    t.eq(code, 201, "a secret whose policy names the module's digest is stored")
    code, _, body = srv.release("for-this-module", {"certificate": chain_pem})
    t.eq(code, 200, "... and released to the certified Keep (workload claim matched)")
    srv.owner("PUT", "/v1/secrets/other-module",
              {"value": stw.b64(b"x"), "policy": {"workload": ["00" * 32], "allow_insecure": True}})
    code, _, body = srv.release("other-module", {"certificate": chain_pem})
    t.ok(code == 403 and b"secret-policy.workload" in body,
         "a secret for another workload digest is refused (secret-policy.workload)", body[:300])
    sh("curl", "-sS", "--max-time", "20", "--cacert", srv.ca, f"https://localhost:{port}/quit")
    t.eq(ended(p), 0, "the certified server exits 0 after /quit")
    rows = sh("sqlite3", os.path.join(srv.state, "steward.db"),
              "SELECT count(*) FROM audit WHERE action = 'certify' AND verdict = 'certified' "
              "AND tee = 'kvm'")
    if shutil.which("sqlite3"):
        t.eq(rows.stdout.strip(), "1", "Steward's audit log has the Keep's certification")
    else:
        t.skip("Steward's audit log has the Keep's certification", "no sqlite3 CLI")

    # --- the example of docs/steward.md "The Keep side" ---------------------------
    with open(os.path.join(os.environ.get("ENARX_SRC", "."), "docs", "steward.md")) as f:
        m = re.search(r"### The Keep side.*?```bash\n(.*?)```", f.read(), re.S)
    bindir = os.path.join(T, "bin")
    os.makedirs(bindir, exist_ok=True)
    if not os.path.exists(os.path.join(bindir, "enarx")):
        os.symlink(os.path.abspath(stw.ENARX), os.path.join(bindir, "enarx"))
    work = os.path.join(T, "doc")
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ, STEWARD=url, STATE=srv.state, PORT=str(free_port()),
               EXAMPLES=os.path.abspath(os.path.join(BUILD, "examples")),
               PATH=bindir + ":" + os.environ["PATH"])
    r = subprocess.run(["bash", "-c", "set -euo pipefail\n" + (m.group(1) if m else "false")],
                       cwd=work, env=env, capture_output=True, text=True, timeout=180)
    t.ok(r.returncode == 0 and "\n1\n" in r.stdout and "..kvm" in r.stdout,
         "docs/steward.md: the Keep-side example runs and prints what the page shows",
         r.stdout[-500:] + r.stderr[-800:])

    # --- refused ------------------------------------------------------------------
    p, out, err = run_keep(cfg, backend="nil", wait_serving=False)
    rc = ended(p)
    e = open(err).read()
    t.ok(rc == 1 and "a nil Keep has no TEE and no evidence, so Steward cannot certify it" in e,
         "nil: refused, a nil Keep cannot be certified", e[-500:])
    other = os.path.join(T, "other-ca.pem")
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-subj", "/CN=not steward", "-keyout", os.path.join(T, "other.key"),
       "-out", other)
    cfg2 = os.path.join(T, "wrong-ca.toml")
    config(cfg2, url, "other-ca.pem", free_port())
    p = subprocess.Popen([stw.ENARX, "run", "--backend", "kvm", "--relay-cacert", srv.ca,
                          "--wasmcfgfile", cfg2, WASM, "--", "web"], cwd=T,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    procs.append(p)
    o, e = p.communicate(timeout=120)
    t.ok(p.returncode == 1 and "Steward's chain does not verify against steward_ca" in e,
         "a wrong steward_ca: the Keep refuses Steward's chain", e[-500:])
    cfg3 = os.path.join(T, "strict.toml")
    config(cfg3, f"https://127.0.0.1:{strict.port}", "strict/ca-cert.pem", free_port())
    p, out, err = run_keep(cfg3, wait_serving=False)
    rc = ended(p)
    e = open(err).read()
    t.ok(rc == 1 and "refused the Keep's CSR: HTTP 403" in e and "policy.tee" in e,
         "a Steward whose policy refuses KVM: the Keep stops, naming Steward's check", e[-600:])
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    srv.stop()
    strict.stop()
t.done()
