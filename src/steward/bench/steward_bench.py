# SPDX-License-Identifier: Apache-2.0
# `make bench` rows for Steward: certificates issued for the real SNP CSR
# (../shared/testdata/attestation/csr/steward_snp_milan.csr.der, verified at
# 2023-01-01) by one `enarx steward serve` over HTTPS with keep-alive,
# counted per second of wall time and per CPU-second of Steward's two
# processes (front and signer: "per core"), and the latency percentiles at
# 1 and 16 concurrent clients. The clients run on the same 2-core machine.
# Usage: steward_bench.py ENARX [REQUESTS]
import os
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "tests", "e2e", "steward"))
os.environ["ENARX_BIN"] = sys.argv[1]
os.environ.setdefault("ENARX_SHARED", os.path.join(here, "..", "..", "..", "..", "shared"))
import stw  # noqa: E402

N = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
csr = stw.sample("steward_snp_milan.csr.der")
with tempfile.TemporaryDirectory(prefix="enarx-steward-bench-") as d:
    srv = stw.Steward(os.path.join(d, "st"), "--at", "2023-01-01", env={"ENARX_LOG": "error"})
    try:
        stw.load(srv, [(csr, 200)] * 100, 4)  # warm: connections, caches
        print(f"{'clients':>7} {'requests':>8} {'certs/s':>8} {'certs/CPU-s':>11} {'p50 ms':>7} {'p99 ms':>7}")
        for clients in (1, 16):
            n = N if clients > 1 else N // 4
            c0 = stw.cpu_seconds(srv.proc.pid)
            res, secs = stw.load(srv, [(csr, 200)] * n, clients)
            cpu = stw.cpu_seconds(srv.proc.pid) - c0
            ok = sum(1 for r in res if r[0] == 200)
            lat = sorted(r[2] for r in res)
            p50 = lat[len(lat) // 2] * 1000
            p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
            print(f"{clients:>7} {n:>8} {ok / secs:>8.0f} {ok / cpu if cpu else 0:>11.0f} {p50:>7.1f} {p99:>7.1f}"
                  + ("" if ok == n else f"  ({n - ok} failed)"))
    finally:
        srv.stop()
print("certs/CPU-s: certificates per CPU-second of Steward (front verifies, signer signs);"
      " the SNP verifier alone does about 1,100-1,240 per CPU-second (make bench, attestation)")
