# SPDX-License-Identifier: Apache-2.0
# End-to-end tests of the host agent on loopback: the real `enarx host
# serve` (temporary state dir, token, generated certificate) driven by the
# real `enarx keep` and by http.client: create, list, logs, stdin, kill, rm,
# exit statuses and traps on nil and (where it works) kvm; the keep-protocol
# relay of the deploy flow; no orphan processes.
import json
import os
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostlib as H  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
tmp = tempfile.TemporaryDirectory(prefix="enarx-host-")
d = H.Daemon(tmp.name)

# ---- the agent's certificate ----
t.ok(os.path.exists(d.cacert) and os.path.exists(os.path.join(d.state, "host-key.pem")),
     "first start generates DIR/host-cert.pem and its key")
fp = H.subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", d.cacert],
                      capture_output=True, text=True).stdout.strip().split("=")[-1]
t.ok(fp and fp in d.fp_line, "the printed fingerprint is the certificate's", diag=d.fp_line)

# ---- ls on an empty host ----
r = d.keep("ls", "--json")
t.ok(r.returncode == 0 and json.loads(r.stdout) == [], "keep ls --json: [] at first",
     diag=r.stderr)

backends = ["nil"]
ok, why = H.kvm_usable()
if ok:
    backends.append("kvm")

for be in ["nil", "kvm"]:
    if be not in backends:
        for name in ["hello", "exit code 42", "trap", "stdin"]:
            t.skip(f"{be}: keep run {name}", why)
        continue
    r = d.keep("run", "--backend", be, H.example("hello.wasm"))
    t.ok(r.returncode == 0 and r.stdout == b"Hello, world!\n", f"{be}: keep run hello",
         diag=r.stderr + b"\nagent: " + d.stderr()[-1500:].encode())
    r = d.keep("run", "--backend", be, H.example("exitcode.wasm"))
    t.eq(r.returncode, 42, f"{be}: keep run exits with the workload's code 42")
    r = d.keep("run", "--backend", be, H.example("trap.wasm"))
    t.ok(r.returncode == 134 and b"Error: wasm trap: unreachable" in r.stderr and
         b"wasm backtrace:" in r.stderr and b"inner_fault" in r.stderr,
         f"{be}: a trap exits 134 with the message and backtrace", diag=r.stderr)
    r = d.keep("run", "--backend", be, H.example("cat.wasm"), stdin=b"line one\nline two\n")
    t.ok(r.returncode == 0 and r.stdout == b"line one\nline two\n",
         f"{be}: keep run passes stdin through and streams stdout", diag=r.stderr)

r = d.keep("run", "--backend", "nil", H.example("args.wasm"), "--", "alpha", "beta gamma")
t.ok(r.returncode == 0 and b"argv[1]=alpha\nargv[2]=beta gamma\n" in r.stdout,
     "keep run passes ARGS after --", diag=r.stdout)
r = d.keep("run", "--backend", "nil", "--env", "GREETING=hi", H.example("args.wasm"))
t.ok(r.returncode == 0 and b"env: GREETING=hi" in r.stdout, "keep run --env sets the environment",
     diag=r.stdout + r.stderr)
wat = os.path.join(H.SRC, "tests", "e2e", "run", "hello.wat")
if os.path.exists(wat):
    r = d.keep("run", "--backend", "nil", wat)
    t.ok(r.returncode == 0 and r.stdout.startswith(b"Hello"), "keep run converts a .wat module",
         diag=r.stderr)
else:
    t.skip("keep run converts a .wat module", "no tests/e2e/run/hello.wat")

# ---- create, logs, stdin, kill, rm ----
r = d.keep("create", "--backend", "nil", H.example("cat.wasm"))
kid = r.stdout.decode().strip()
t.ok(r.returncode == 0 and len(kid) == 24, "keep create prints the new id", diag=r.stderr)
st, _, body = d.req("GET", f"/v1/keeps/{kid}")
t.ok(st == 200 and body["state"] == "running" and body["exit_code"] is None,
     "inspect: a running Keep has no exit code", diag=body)
st, _, _ = d.req("POST", f"/v1/keeps/{kid}/stdin", body=b"first\n",
                 headers={"Content-Type": "application/octet-stream"})
t.eq(st, 204, "POST stdin: 204 once the bytes are in the Keep's stdin")
ok = H.wait_for(lambda: d.req("GET", f"/v1/keeps/{kid}/stdout", raw=True)[2] == b"first\n")
t.ok(ok, "GET stdout (no follow) shows what the Keep wrote so far")
r = d.keep("logs", kid)
t.ok(r.returncode == 0 and r.stdout == b"first\n", "keep logs ID", diag=r.stderr)
r = d.keep("kill", kid)
t.ok(r.returncode == 0 and b"killed" in r.stdout, "keep kill stops a running Keep",
     diag=r.stdout + r.stderr)
st, _, body = d.req("GET", f"/v1/keeps/{kid}")
t.ok(body["state"] == "killed" and body["exit_code"] == 137 and body["killed"],
     "a killed Keep: state killed, exit_code 137", diag=body)
r = d.keep("kill", kid)
t.eq(r.returncode, 4, "keep kill of an ended Keep exits 4 (409)")

# an HTTP/1.0 follower: no chunks, the answer ends with the connection,
# which evhttp closes as the stream ends (the request must be ended once)
r = d.keep("create", "--backend", "nil", H.example("cat.wasm"))
kid3 = r.stdout.decode().strip()
fol = subprocess.Popen(["curl", "-sS", "-N", "--http1.0", "--cacert", d.cacert, "-H",
                        f"Authorization: Bearer {d.token}",
                        f"{d.url}/v1/keeps/{kid3}/stdout?follow=true"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
time.sleep(0.5)
d.req("POST", f"/v1/keeps/{kid3}/stdin", body=b"one-oh\n",
      headers={"Content-Type": "application/octet-stream"})
d.req("DELETE", f"/v1/keeps/{kid3}/stdin")
try:
    out, err = fol.communicate(timeout=30)
except subprocess.TimeoutExpired:
    fol.kill()
    out, err = fol.communicate()
st, _, _ = d.req("GET", "/v1/host")
t.ok(fol.returncode == 0 and out == b"one-oh\n" and st == 200 and d.proc.poll() is None,
     "an HTTP/1.0 follower gets the whole stream, ended by the close; the agent goes on",
     diag=f"curl exit {fol.returncode}: {out!r} {err!r}; GET /v1/host {st}")

r = d.keep("create", "--backend", "nil", H.example("cat.wasm"))
kid2 = r.stdout.decode().strip()
r = d.keep("rm", kid2)
t.eq(r.returncode, 4, "keep rm of a running Keep exits 4 (kill it first)")
d.req("POST", f"/v1/keeps/{kid2}/stdin", body=b"bye\n")
st, _, _ = d.req("DELETE", f"/v1/keeps/{kid2}/stdin")
t.eq(st, 204, "DELETE stdin closes the Keep's stdin")
st, _, body = d.req("GET", f"/v1/keeps/{kid2}?wait=true")
t.ok(st == 200 and body["state"] == "exited" and body["exit_code"] == 0,
     "?wait=true answers once the Keep has ended (cat saw end of file)", diag=body)
r = d.keep("logs", "--stderr", kid2)
t.ok(r.returncode == 0 and b"cat: 4 bytes" in r.stdout, "keep logs --stderr", diag=r.stdout)
r = d.keep("logs", "-f", kid2)
t.ok(r.returncode == 0 and r.stdout == b"bye\n", "keep logs -f of an ended Keep ends", diag=r.stdout)

r = d.keep("ls", "--json")
lst = json.loads(r.stdout)
t.ok(r.returncode == 0 and all({"id", "state", "exit_code"} <= set(k) for k in lst) and
     {k["id"] for k in lst} >= {kid, kid2}, "keep ls --json: every Keep with id, state, exit_code")
r = d.keep("ls")
t.ok(r.returncode == 0 and kid.encode() in r.stdout and b"STATE" in r.stdout, "keep ls: a table")
r = d.keep("rm", kid)
t.eq(r.returncode, 0, "keep rm of a finished Keep")
r = d.keep("inspect", kid)
t.eq(r.returncode, 3, "inspect of a removed Keep exits 3 (404)")
r = d.keep("inspect", kid2)
t.ok(r.returncode == 0 and json.loads(r.stdout)["id"] == kid2, "keep inspect prints JSON")

# ---- the keep-protocol relay (deploy mode) ----
def frame(ty, payload):
    return struct.pack("<II", ty, len(payload)) + payload


with open(H.example("hello.wasm"), "rb") as f:
    wasm = f.read()
st, hd, body = d.req("POST", "/v1/keeps", {"backend": "nil", "mode": "deploy"})
t.ok(st == 201 and body["mode"] == "deploy" and hd.get("location") == f"/v1/keeps/{body['id']}",
     "deploy mode: 201 with Location", diag=body)
did = body["id"]
c = d.conn()
st, _, _ = d.req("POST", f"/v1/keeps/{did}/proto",
                 body=frame(1, struct.pack("<III", 1, 1, 0)) + frame(2, wasm),
                 headers={"Content-Type": "application/octet-stream"}, conn=c)
t.eq(st, 204, "relay: HELLO and WASM frames accepted")
st, _, _ = d.req("POST", f"/v1/keeps/{did}/proto", body=frame(5, b""),
                 headers={"Content-Type": "application/octet-stream"}, conn=c)
t.eq(st, 204, "relay: RUN accepted in a second request")
st, _, _ = d.req("POST", f"/v1/keeps/{did}/proto", body=b"\x05\x00\x00\x00\x09\x00",
                 headers={"Content-Type": "application/octet-stream"}, conn=c)
t.eq(st, 400, "relay: a partial frame is refused with 400")
st, hd, data = d.req("GET", f"/v1/keeps/{did}/proto", raw=True, conn=c)
frames, off = [], 0
while off + 8 <= len(data):
    ty, ln = struct.unpack_from("<II", data, off)
    frames.append((ty, data[off + 8:off + 8 + ln]))
    off += 8 + ln
t.ok(st == 200 and off == len(data) and (0x81, b"\0\0\0\0") in frames and
     frames[0][0] == 0x80, "relay: GET proto streams every frame from the Keep's start (TEE, EXIT 0)",
     diag=frames)
st, _, out = d.req("GET", f"/v1/keeps/{did}/stdout", raw=True, conn=c)
t.ok(out == b"Hello, world!\n", "relay: the deployed workload ran", diag=out)
st, _, _ = d.req("POST", f"/v1/keeps/{kid2}/proto", body=frame(5, b""),
                 headers={"Content-Type": "application/octet-stream"}, conn=c)
t.eq(st, 409, "relay: POST proto to a run-mode Keep is 409")
c.close()

# ---- seccomp allow-lists on both processes ----
def seccomp_mode(pid):
    with open(f"/proc/{pid}/status") as f:
        return [ln.split()[1] for ln in f if ln.startswith("Seccomp:")][0]


lp = d.launcher()
t.ok(seccomp_mode(d.proc.pid) == "2" and lp and seccomp_mode(lp) == "2",
     "the network process and the launcher run under seccomp filters (mode 2)")
nd = H.Daemon(tmp.name, name="nosandbox", args=["--no-sandbox"])
t.ok(seccomp_mode(nd.proc.pid) == "0", "--no-sandbox: no filter (debugging)")
nd.stop()

# ---- no orphans ----
lp = d.launcher()
t.ok(lp is not None and H.children(lp) == [], "no Keep process left under the launcher",
     diag=H.children(lp) if lp else "no launcher")
rc = d.stop()
t.eq(rc, 0, "SIGTERM: the agent exits 0")
t.ok(lp is not None and not H.alive(lp), "the launcher is gone with it")
t.done()
