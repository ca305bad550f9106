# SPDX-License-Identifier: Apache-2.0
# The host agent dies or stops with Keeps running: after kill -9 no Keep
# process (nor the launcher, nor a kvm Keep's threads) survives; after a
# restart on the same --state the finished Keeps are still listed with
# their exit codes and output, the interrupted ones as "lost". SIGTERM
# kills running Keeps and records them as "killed".
import json
import os
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostlib as H  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
tmp = tempfile.TemporaryDirectory(prefix="enarx-host-restart-")
d = H.Daemon(tmp.name)
kvm, why = H.kvm_usable()

r = d.keep("run", "--backend", "nil", H.example("hello.wasm"))
t.ok(r.returncode == 0, "a Keep ran to its end before the crash")
r = d.keep("run", "--backend", "nil", H.example("exitcode.wasm"))
t.eq(r.returncode, 42, "a second one exited 42")
running = []
for be in ["nil", "kvm"] if kvm else ["nil"]:
    st, _, body = d.req("POST", "/v1/keeps", {"backend": be, "memory": 64 << 20,
                                               "wasm": H.b64(H.example("cat.wasm"))})
    running.append(body["id"] if st == 201 else None)
t.ok(all(running), "Keeps left running: " + ", ".join(["nil", "kvm"][:len(running)]))
d.req("POST", f"/v1/keeps/{running[0]}/stdin", body=b"partial\n")
lp = d.launcher()
keep_pids = H.descendants(lp) if lp else []
t.ok(lp and len(keep_pids) >= 1, "the nil Keep is a process under the launcher",
     diag=f"launcher {lp}, children {keep_pids}")
threads = len(os.listdir(f"/proc/{lp}/task")) if lp else 0

os.kill(d.proc.pid, signal.SIGKILL)
d.proc.wait()
gone = H.wait_for(lambda: not H.alive(lp) and not any(H.alive(p) for p in keep_pids), 20)
t.ok(gone, "kill -9 of the agent: the launcher and every Keep process are gone",
     diag=f"launcher alive {H.alive(lp)}, keeps alive {[p for p in keep_pids if H.alive(p)]}")
if kvm:
    t.ok(threads > 1 and not H.alive(lp),
         "the kvm Keep's vCPU thread died with the launcher", diag=f"{threads} threads")
else:
    t.skip("the kvm Keep's vCPU thread died with the launcher", why)

d.start()
st, _, lst = d.req("GET", "/v1/keeps")
by = {k["id"]: k for k in (lst or [])}
t.eq(len(by), 2 + len(running), "after restart every Keep is listed")
fin = [k for k in lst if k["state"] == "exited"]
t.ok(sorted(k["exit_code"] for k in fin) == [0, 42],
     "the finished Keeps kept their state and exit codes", diag=lst)
t.ok(all(by.get(i, {}).get("state") == "lost" and by[i]["exit_code"] is None for i in running),
     "the Keeps that were running are 'lost', without an exit code",
     diag=[by.get(i) for i in running])
hello = [k for k in fin if k["exit_code"] == 0][0]["id"]
r = d.keep("logs", hello)
t.ok(r.returncode == 0 and r.stdout == b"Hello, world!\n",
     "a finished Keep's stdout is still there after the restart", diag=r.stderr)
r = d.keep("run", "--backend", "nil", H.example("hello.wasm"))
t.ok(r.returncode == 0 and r.stdout == b"Hello, world!\n", "the restarted agent runs Keeps")
r = d.keep("rm", running[0])
t.eq(r.returncode, 0, "a lost Keep's record can be removed")

# SIGTERM with a Keep running: it is killed and recorded.
st, _, body = d.req("POST", "/v1/keeps", {"backend": "nil", "memory": 64 << 20,
                                           "wasm": H.b64(H.example("cat.wasm"))})
kid = body["id"]
lp = d.launcher()
pids = H.descendants(lp)
t.eq(d.stop(), 0, "SIGTERM with a Keep running: exit 0")
t.ok(not any(H.alive(p) for p in pids + [lp]), "no Keep process after SIGTERM")
d.start()
st, _, body = d.req("GET", f"/v1/keeps/{kid}")
t.ok(st == 200 and body["state"] == "killed" and body["exit_code"] == 137,
     "the Keep SIGTERM stopped is recorded as killed (137)", diag=body)
r = d.keep("ls", "--json")
t.eq(len(json.loads(r.stdout)), 2 + len(running) + 1, "the state lists every Keep but the removed")
t.eq(d.stop(), 0, "SIGTERM: exit 0")
t.done()
