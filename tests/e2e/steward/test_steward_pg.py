# SPDX-License-Identifier: Apache-2.0
# Steward replicas on PostgreSQL: a throwaway server (initdb in a temporary
# folder, Unix socket only, run as an unprivileged user when the test runs
# as root) and two `enarx steward serve` processes sharing one CA and that
# database, driven concurrently: every CSR certified, the audit log
# complete with both replicas in it, a nonce issued by one replica used
# through the other, a secret stored through one released through the other.
# Skipped, with the reason, when PostgreSQL cannot start here.
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.environ.get("ENARX_SRC", "."), "tests", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402
import stw  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

PGBIN = os.environ.get("ENARX_PGBIN", "/usr/lib/postgresql/15/bin")
stw.require_big_arcs(Tap)
t = Tap()

if not os.path.exists(os.path.join(PGBIN, "initdb")):
    Tap.skip_all(f"no PostgreSQL server binaries in {PGBIN}")

tmp = tempfile.TemporaryDirectory(prefix="enarx-steward-pg-")
T = tmp.name
os.chmod(T, 0o755)
pgdir = os.path.join(T, "pg")
os.mkdir(pgdir, 0o700)
prefix = []
if os.geteuid() == 0:
    # postgres refuses to run as root: run it as nobody in a folder it owns.
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        Tap.skip_all("running as root and there is no user 'nobody' to run postgres as")
    os.chown(pgdir, nobody.pw_uid, nobody.pw_gid)
    prefix = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups",
              "--"]


def pg(*args, **kw):
    return subprocess.run(prefix + [os.path.join(PGBIN, args[0]), *args[1:]],
                          capture_output=True, text=True, **kw)


s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
data = os.path.join(pgdir, "data")
r = pg("initdb", "-D", data, "-U", "steward", "--auth=trust", "-E", "UTF8", "--no-sync", timeout=120)
if r.returncode != 0:
    Tap.skip_all("initdb failed: " + (r.stderr.strip().splitlines() or ["?"])[-1])
r = pg("pg_ctl", "-D", data, "-l", os.path.join(pgdir, "log"), "-w", "-t", "60", "-o",
       f"-c listen_addresses='' -c unix_socket_directories='{pgdir}' -p {port} -c fsync=off",
       "start", timeout=90)
if r.returncode != 0:
    log = open(os.path.join(pgdir, "log")).read() if os.path.exists(os.path.join(pgdir, "log")) else ""
    Tap.skip_all("postgres did not start: " + (log.strip().splitlines() or [r.stderr.strip()])[-1])

URL = f"host={pgdir} port={port} dbname=postgres user=steward"
servers = []


def psql(sql):
    r = subprocess.run(["psql", "-X", "-A", "-t", "-d", URL, "-c", sql], capture_output=True, text=True)
    return r.stdout.strip()


try:
    a_dir, b_dir = os.path.join(T, "a"), os.path.join(T, "b")
    r = subprocess.run([stw.ENARX, "steward", "init", "--state", a_dir], capture_output=True, text=True)
    os.makedirs(b_dir, 0o700)
    for f in ("ca-cert.pem", "ca-key.pem"):
        shutil.copy2(os.path.join(a_dir, f), os.path.join(b_dir, f))
    kpol = os.path.join(T, "policy.toml")
    with open(kpol, "w") as f:
        f.write('tee = ["snp", "kvm"]\nallow_insecure = true\n')
    token = os.path.join(T, "token")
    with open(token, "w") as f:
        f.write("owner-token-for-the-replicas-0123456789\n")
    os.chmod(token, 0o600)
    args = ["--database", URL, "--at", "2023-01-01", "--policy", kpol, "--token-file", token]
    # both replicas start together: the schema is created once, under a lock
    res = {}
    ths = [threading.Thread(target=lambda n=n, d=d: res.__setitem__(n, stw.Steward(d, *args)))
           for n, d in (("a", a_dir), ("b", b_dir))]
    [th.start() for th in ths]
    [th.join() for th in ths]
    A, B = res.get("a"), res.get("b")
    servers += [x for x in (A, B) if x]
    t.ok(A is not None and B is not None and A.info.get("database") == "postgresql" and
         B.info.get("database") == "postgresql", "two replicas start together on one PostgreSQL database")
    t.eq(A.info.get("ca-sha256"), B.info.get("ca-sha256"), "both replicas use the same CA")

    SNP = stw.sample("steward_snp_milan.csr.der")
    N, THREADS = 200, 8
    results = []
    lock = threading.Lock()

    def worker(i):
        srv = A if i % 2 == 0 else B
        conn = srv.conn()
        for _ in range(N // THREADS):
            code, _, body = srv.certify(SNP, conn=conn)
            ok = code == 200 and len(stw.split_der_chain(body)) == 2
            with lock:
                results.append(ok)
        conn.close()

    ths = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    [th.start() for th in ths]
    [th.join() for th in ths]
    t.eq((len(results), all(results)), (N, True), f"{N} CSRs over both replicas concurrently, all certified")
    rows = psql("SELECT replica, COUNT(*) FROM audit WHERE action = 'certify' AND verdict = 'certified' GROUP BY replica")
    counts = [int(line.split("|")[1]) for line in rows.splitlines() if "|" in line]
    t.ok(len(counts) == 2 and sum(counts) == N, "the audit log has every certificate, from both replicas", rows)
    serials = psql("SELECT COUNT(DISTINCT serial) FROM audit WHERE verdict = 'certified'")
    t.eq(serials, str(N), "every serial is distinct")

    keep = ec.generate_private_key(ec.SECP256R1())
    code, _, _ = A.owner("PUT", "/v1/secrets/shared", {"value": stw.b64(b"replicated"), "policy": {"tee": ["kvm"], "allow_insecure": True}})
    t.eq(code, 201, "secret stored through replica A")
    code, _, body = B.owner("GET", "/v1/secrets")
    t.ok(code == 200 and [x["name"] for x in json.loads(body)["secrets"]] == ["shared"], "replica B lists it")
    code, _, body = A.request("GET", "/v1/nonce")
    nonce = json.loads(body)["nonce"]
    ev = stw.kvm_evidence(stw.kvm_binding(keep, bytes.fromhex(nonce)))
    req = {"evidence": stw.b64(ev), "key": stw.b64(stw.spki(keep)), "nonce": nonce}
    code, _, body = B.release("shared", req)
    t.eq(code, 200, "nonce from replica A, evidence to replica B: released")
    code, _, body = A.release("shared", req)
    t.eq((code, json.loads(body).get("check")), (403, "nonce"), "the nonce is spent for replica A too")
    rel = psql("SELECT verdict FROM audit WHERE action = 'release' ORDER BY id")
    t.eq(rel.splitlines(), ["released", "refused"], "both replicas record releases in the one audit log")
    for x in (A, B):
        t.eq(x.stop(), 0, "replica stops on SIGTERM")
finally:
    for x in servers:
        x.stop()
    pg("pg_ctl", "-D", data, "-m", "fast", "-w", "stop", timeout=60)
t.done()
