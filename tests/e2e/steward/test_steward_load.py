# SPDX-License-Identifier: Apache-2.0
# Load: 2,000 CSRs from 16 concurrent clients (keep-alive connections) to
# one Steward: the real SNP CSR (certified at 2023-01-01) and, every tenth,
# a copy with a flipped signature byte (refused). Every answer must be the
# right one, and the audit log must hold exactly one row per request.
# Speed is not asserted here (make bench reports it).
import os
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ.get("ENARX_SRC", "."), "tests", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402
import stw  # noqa: E402

N, CLIENTS = 2000, 16
stw.require_big_arcs(Tap)
t = Tap()
tmp = tempfile.TemporaryDirectory(prefix="enarx-steward-load-")
snp = stw.sample("steward_snp_milan.csr.der")
bad = bytearray(snp)
bad[-5] ^= 1
srv = stw.Steward(os.path.join(tmp.name, "st"), "--at", "2023-01-01", env={"ENARX_LOG": "warn"})
try:
    work = [(bytes(bad), 403) if i % 10 == 9 else (snp, 200) for i in range(N)]
    results, secs = stw.load(srv, work, CLIENTS)
    t.eq(len(results), N, f"{N} CSRs from {CLIENTS} clients all answered")
    wrong = [(c, w, b[:200]) for c, w, _, b in results if c != w]
    t.ok(not wrong, "every answer is the expected one (200 chain or 403 refusal)", wrong[:3])
    chains = [b for c, _, _, b in results if c == 200]
    t.ok(all(len(stw.split_der_chain(b)) == 2 for b in chains[:50] + chains[-50:]),
         "certified answers are certificate chains")
    db = sqlite3.connect(os.path.join(srv.state, "steward.db"))
    rows = dict(db.execute("SELECT verdict, COUNT(*) FROM audit WHERE action = 'certify' GROUP BY verdict").fetchall())
    serials = db.execute("SELECT COUNT(DISTINCT serial) FROM audit WHERE verdict = 'certified'").fetchone()[0]
    db.close()
    t.eq(rows, {"certified": N - N // 10, "refused": N // 10}, "audit log: one row per request, nothing lost")
    t.eq(serials, N - N // 10, "every issued serial is distinct")
    print(f"# {N} CSRs in {secs:.1f} s wall", flush=True)
    t.eq(srv.stop(), 0, "Steward stops cleanly after the load")
finally:
    srv.stop()
t.done()
