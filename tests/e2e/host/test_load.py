# SPDX-License-Identifier: Apache-2.0
# Load: 200 Keeps created and waited for by 16 concurrent clients (each on
# its own keep-alive connection) against the real agent. Nothing may be
# lost: every Keep's exit status is recorded, every stdout byte delivered
# (compared with what `enarx run` prints for the same module and
# arguments); afterwards no Keep process is left and neither the agent nor
# its launcher holds more descriptors than before (counted in /proc).
import os
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostlib as H  # noqa: E402
from tap import Tap  # noqa: E402

KEEPS, CLIENTS = 200, 16
t = Tap()
tmp = tempfile.TemporaryDirectory(prefix="enarx-host-load-")
d = H.Daemon(tmp.name, args=["--max-keeps", str(CLIENTS)])
MODS = {"args": H.b64(H.example("args.wasm")), "exitcode": H.b64(H.example("exitcode.wasm"))}


def local(mod, args):
    r = subprocess.run([H.ENARX, "run", "--backend", "nil", H.example(mod + ".wasm"), "--",
                        *args], capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    return r.returncode, r.stdout


def plan(i):
    """Keep i: (module, args, expected exit, expected stdout)."""
    if i % 5 == 4:
        return "exitcode", [], 42
    return "args", [f"keep-{i}", "x" * (i % 7)], 0


expect = {}
for i in range(KEEPS):
    mod, args, code = plan(i)
    rc, out = local(mod, args)
    expect[i] = (code, out)
t.ok(all(expect[i][0] == local(plan(i)[0], plan(i)[1])[0] for i in (0, 4)),
     "enarx run gives the expected exit codes locally")

# Warm up (the first Keep sets up lazily allocated state), then count.
st, _, body = d.req("POST", "/v1/keeps", {"backend": "nil", "wasm": MODS["args"]})
d.req("GET", f"/v1/keeps/{body['id']}?wait=true")
d.req("DELETE", f"/v1/keeps/{body['id']}")
lp = d.launcher()
fds0 = (H.nfds(d.proc.pid), H.nfds(lp))

results, errors = {}, []
lock = threading.Lock()
todo = list(range(KEEPS))


def client():
    c = d.conn(timeout=120)
    while True:
        with lock:
            if not todo:
                break
            i = todo.pop()
        mod, args, _ = plan(i)
        try:
            st, _, body = d.req("POST", "/v1/keeps", {"backend": "nil", "wasm": MODS[mod],
                                                      "memory": 64 << 20, "args": args}, conn=c)
            if st != 201:
                raise RuntimeError(f"create {i}: {st} {body}")
            kid = body["id"]
            st, _, body = d.req("GET", f"/v1/keeps/{kid}?wait=true", conn=c)
            st2, _, out = d.req("GET", f"/v1/keeps/{kid}/stdout", conn=c, raw=True)
            with lock:
                results[i] = (kid, body.get("state"), body.get("exit_code"), out)
        except Exception as e:  # noqa: BLE001 (recorded and reported)
            with lock:
                errors.append(f"{i}: {e!r}")
            c.close()
            c = d.conn(timeout=120)
    c.close()


threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
for th in threads:
    th.start()
for th in threads:
    th.join()

t.ok(not errors, f"{KEEPS} Keeps from {CLIENTS} concurrent clients: no request failed",
     diag="\n".join(errors[:10]))
t.eq(len(results), KEEPS, "every Keep was created and waited for")
bad_code = [i for i, r in results.items() if r[2] != expect[i][0]]
t.ok(not bad_code, "every exit status is the workload's (0 or 42)",
     diag=[(i, results[i][1:3]) for i in bad_code[:10]])
bad_out = [i for i, r in results.items() if r[3] != expect[i][1]]
total = sum(len(r[3]) for r in results.values())
want = sum(len(e[1]) for e in expect.values())
t.ok(not bad_out and total == want, f"every stdout byte delivered ({total} of {want})",
     diag=[(i, results[i][3], expect[i][1]) for i in bad_out[:5]])
print(f"# load: {len(results)} Keeps, {sum(1 for r in results.values() if r[2] == 0)} exit 0, "
      f"{sum(1 for r in results.values() if r[2] == 42)} exit 42, {total} stdout bytes")

st, _, lst = d.req("GET", "/v1/keeps")
ids = {r[0] for r in results.values()}
rec = {k["id"]: k for k in lst if k["id"] in ids}
t.ok(len(rec) == KEEPS and all(k["state"] == "exited" for k in rec.values()),
     "the list holds all of them, each exited", diag=len(rec))
st, _, host = d.req("GET", "/v1/host")
t.ok(host["usage"]["running"] == 0 and host["usage"]["memory"] == 0,
     "no Keep counts as running afterwards", diag=host.get("usage"))
left = H.descendants(lp)
t.eq(left, [], "no Keep process left under the launcher")
fds1 = (H.nfds(d.proc.pid), H.nfds(lp))
t.ok(fds1[0] <= fds0[0] and fds1[1] <= fds0[1],
     f"no descriptor leaked: agent {fds0[0]} -> {fds1[0]}, launcher {fds0[1]} -> {fds1[1]}")
r = d.keep("run", "--backend", "nil", H.example("hello.wasm"))
t.ok(r.returncode == 0 and r.stdout == b"Hello, world!\n", "the agent still runs Keeps",
     diag=f"exit {r.returncode}, stdout {r.stdout[:200]!r}, stderr {r.stderr[-2000:]!r}, "
          f"agent stderr tail {d.stderr()[-2000:]!r}")
t.eq(d.stop(), 0, "SIGTERM: exit 0")
t.done()
