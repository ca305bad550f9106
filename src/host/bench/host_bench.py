# SPDX-License-Identifier: Apache-2.0
"""`make bench` rows for the host agent: create-to-exit of hello on nil
through the API (one keep-alive HTTPS client: POST /v1/keeps, then GET
/v1/keeps/{id}?wait=true), median and p99, next to `enarx run` of the same
module (process start included); and GET /v1/keeps requests per second
with wrk at 64 connections. Usage: host_bench.py ENARX [N] [SECONDS]"""
import base64
import http.client
import json
import os
import secrets
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

enarx = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
secs = sys.argv[3] if len(sys.argv) > 3 else "5"
hello = os.path.join(os.path.dirname(os.path.dirname(enarx)), "..", "examples", "hello.wasm")
hello = os.path.normpath(hello)
tmp = tempfile.mkdtemp(prefix="enarx-host-bench-")
tok = secrets.token_hex(24)
with open(os.path.join(tmp, "token"), "w") as f:
    f.write(tok)
d = subprocess.Popen([enarx, "host", "serve", "--listen", "127.0.0.1:0", "--state",
                      os.path.join(tmp, "state"), "--token-file", os.path.join(tmp, "token"),
                      "--max-records", str(n * 4)],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
port = int(d.stdout.readline().split()[-1])
ctx = ssl.create_default_context(cafile=os.path.join(tmp, "state", "host-cert.pem"))
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
H = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
body = json.dumps({"backend": "nil", "wasm": base64.b64encode(open(hello, "rb").read()).decode()})


def api_once():
    t0 = time.perf_counter()
    c.request("POST", "/v1/keeps", body, H)
    k = json.loads(c.getresponse().read())
    c.request("GET", f"/v1/keeps/{k['id']}?wait=true", headers=H)
    r = json.loads(c.getresponse().read())
    dt = time.perf_counter() - t0
    assert r["exit_code"] == 0, r
    return dt


def run_once():
    t0 = time.perf_counter()
    subprocess.run([enarx, "run", "--backend", "nil", hello], stdout=subprocess.DEVNULL,
                   stdin=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def row(name, xs):
    xs = sorted(xs)
    p99 = xs[min(len(xs) - 1, int(len(xs) * 0.99))]
    print(f"{name:<46} {statistics.median(xs) * 1e3:8.2f} ms {p99 * 1e3:8.2f} ms")


for _ in range(10):
    api_once(), run_once()
api = [api_once() for _ in range(n)]
loc = [run_once() for _ in range(n)]
print(f"hello on nil, {n} runs each, 127.0.0.1          median        p99")
row("enarx run (process start included)", loc)
row("API: POST /v1/keeps + GET ?wait=true (TLS)", api)
print(f"{'API minus enarx run (medians)':<46} {(statistics.median(api) - statistics.median(loc)) * 1e3:8.2f} ms")

# GET /v1/keeps with 10 records
c.request("GET", "/v1/keeps", headers=H)
for k in json.loads(c.getresponse().read())[10:]:
    c.request("DELETE", f"/v1/keeps/{k['id']}", headers=H)
    c.getresponse().read()
if shutil.which("wrk"):
    w = subprocess.run(["nice", "wrk", "-t2", "-c64", f"-d{secs}s", "-H", "Authorization: Bearer " + tok,
                        f"https://127.0.0.1:{port}/v1/keeps"], capture_output=True, text=True)
    rps = [ln.split()[1] for ln in w.stdout.splitlines() if ln.startswith("Requests/sec")]
    print(f"wrk -t2 -c64 -d{secs}s GET /v1/keeps (10 Keeps)        {rps[0] if rps else 'failed':>10} req/s")
else:
    print("GET /v1/keeps: skipped (wrk is not installed)")
d.terminate()
d.wait()
shutil.rmtree(tmp, ignore_errors=True)
