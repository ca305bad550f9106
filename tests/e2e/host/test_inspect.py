# SPDX-License-Identifier: Apache-2.0
# What inspect tells about a Keep beyond its state, against the real agent:
# the launch measurement the Keep reported (kvm: equal to `enarx measure
# --json` for the same memory; nil: null with the reason), its resource use
# (a busy loop shows CPU time), and per-Keep limits through the API (fuel
# traps naming the fuel, a timeout ends with 124 and state timed-out, a
# request over the agent's maxima is refused naming the limit, an unset
# limit takes the maximum). All of it survives a restart of the agent.
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostlib as H  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
tmp = tempfile.TemporaryDirectory(prefix="enarx-host-inspect-")
d = H.Daemon(tmp.name, args=["--max-fuel", "1000000000", "--max-timeout", "60s",
                             "--max-output", "1M"])
kvm, why = H.kvm_usable()

# An endless loop, and a finite busy loop of 30 million rounds.
spin = os.path.join(tmp.name, "spin.wat")
with open(spin, "w") as f:
    f.write('(module (memory (export "memory") 1)\n'
            ' (func (export "_start") (loop $l (br $l))))\n')
busy = os.path.join(tmp.name, "busy.wat")
with open(busy, "w") as f:
    f.write('(module (memory (export "memory") 1)\n'
            ' (func (export "_start") (local $i i32)\n'
            '  (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))\n'
            '   (br_if $l (i32.lt_u (local.get $i) (i32.const 30000000))))))\n')


def last(d):
    st, _, lst = d.req("GET", "/v1/keeps")
    return lst[-1]


# ---- launch measurement ----
r = d.keep("run", "--backend", "nil", H.example("hello.wasm"))
k = last(d)
t.ok(r.returncode == 0 and k["tee"] == "none" and k["measurement"] is None and
     "no TEE" in (k["measurement_note"] or ""),
     "nil: measurement null, tee none, measurement_note says there is no TEE", diag=k)
measured = {}
if kvm:
    mem = 128 << 20
    st, _, body = d.req("POST", "/v1/keeps", {"backend": "kvm", "memory": mem,
                                               "wasm": H.b64(H.example("hello.wasm"))})
    st, _, k = d.req("GET", f"/v1/keeps/{body['id']}?wait=true")
    ref = json.loads(H.subprocess.run([H.ENARX, "measure", "--json", "--mem", "128M"],
                                      capture_output=True, text=True).stdout)
    m = k.get("measurement") or {}
    t.ok(k["state"] == "exited" and k["tee"] == "kvm" and m.get("algorithm") == "sha384" and
         m.get("digest") == ref["measurement"] and m.get("version") == ref["version"] and
         m.get("insecure") is True and k["measurement_note"] is None,
         "kvm: the measurement the Keep reported equals enarx measure --json (128M)",
         diag=f"{k} vs {ref}")
    measured = {"id": k["id"], "digest": m.get("digest")}
    st, _, body = d.req("POST", "/v1/keeps", {"backend": "kvm", "memory": 256 << 20,
                                               "wasm": H.b64(H.example("hello.wasm"))})
    st, _, k2 = d.req("GET", f"/v1/keeps/{body['id']}?wait=true")
    t.ok((k2.get("measurement") or {}).get("digest") not in (None, m.get("digest")),
         "kvm: another Keep memory size gives another measurement", diag=k2)
else:
    t.skip("kvm: the measurement the Keep reported equals enarx measure --json (128M)", why)
    t.skip("kvm: another Keep memory size gives another measurement", why)

# ---- resource use ----
r = d.keep("run", "--backend", "nil", busy)
k = last(d)
u = k["usage"]
t.ok(r.returncode == 0 and u["cpu_user_us"] and u["cpu_user_us"] > 0 and
     u["cpu_system_us"] is not None and u["wall_us"] > 0 and u["max_rss_bytes"] > 0 and
     u["memory"] == k["memory"],
     "nil: a busy loop shows CPU time, wall time and peak RSS", diag=k)
if kvm:
    r = d.keep("run", "--backend", "kvm", busy)
    k = last(d)
    u = k["usage"]
    t.ok(r.returncode == 0 and (u["cpu_user_us"] or 0) + (u["cpu_system_us"] or 0) > 0 and
         u["wall_us"] > 0 and u["max_rss_bytes"] is None,
         "kvm: the vCPU thread's CPU time; no RSS apart from the launcher", diag=k)
else:
    t.skip("kvm: the vCPU thread's CPU time; no RSS apart from the launcher", why)
st, _, body = d.req("POST", "/v1/keeps", {"backend": "nil", "wasm": H.b64(H.example("cat.wasm"))})
t.ok(st == 201 and body["usage"]["cpu_user_us"] is None and body["usage"]["wall_us"] is None,
     "a running Keep: usage not measured yet (null)", diag=body)
d.req("DELETE", f"/v1/keeps/{body['id']}/stdin")
d.req("GET", f"/v1/keeps/{body['id']}?wait=true")

# ---- limits through the API ----
r = d.keep("run", "--backend", "nil", "--fuel", "1000000", spin)
k = last(d)
t.ok(r.returncode == 134 and b"fuel" in r.stderr and k["state"] == "trapped" and
     k["limits"]["fuel"] == 1000000 and "fuel" in k["trap"],
     "keep run --fuel: the endless loop traps (134) naming the fuel", diag=r.stderr)
r = d.keep("run", "--backend", "nil", "--timeout", "1", spin)
k = last(d)
t.ok(r.returncode == 124 and b"wall-time limit of 1.000 s" in r.stderr and
     k["state"] == "timed-out" and k["exit_code"] == 124 and k["timed_out"] and
     k["limits"]["wall_ms"] == 1000 and k["usage"]["cpu_user_us"] > 0,
     "keep run --timeout 1: stopped, exit 124, state timed-out", diag=(r.stderr, k))
r = d.keep("run", "--backend", "nil", "--max-output", "50", H.example("hello.wasm"))
t.ok(r.returncode == 0 and r.stdout == b"Hello, world!\n",
     "keep run --max-output 50: output under the limit passes", diag=r.stderr)
r = d.keep("run", "--backend", "nil", "--max-output", "5", H.example("hello.wasm"))
t.ok(r.returncode == 134 and b"output" in r.stderr,
     "keep run --max-output 5: past it, a trap naming the output limit",
     diag=f"exit {r.returncode}, stdout {r.stdout[:200]!r}, stderr {r.stderr[-1500:]!r}, "
          f"the Keep {last(d)}, agent stderr tail {d.stderr()[-1500:]!r}")
r = d.keep("run", "--backend", "nil", "--max-fds", "3", "--memory", "1M", H.example("hello.wasm"))
k = last(d)
t.ok(r.returncode == 0 and k["limits"]["fds"] == 3 and k["limits"]["memory"] == 1 << 20 and
     k["memory"] == 258 << 20,
     "--max-fds and --memory reach the Keep (memory: the limit plus headroom)", diag=k)

st, _, host = d.req("GET", "/v1/host")
lim = host["limits"]
t.ok(st == 200 and lim["max_fuel"] == 1000000000 and lim["max_wall_ms"] == 60000 and
     lim["max_output"] == 1 << 20 and lim["max_fds"] is None,
     "GET /v1/host shows the agent's per-Keep maxima (null: none)", diag=lim)
st, _, body = d.req("POST", "/v1/keeps", {"backend": "nil", "wasm": H.b64(H.example("hello.wasm")),
                                           "limits": {"fuel": 2000000000}})
t.ok(st == 429 and "fuel" in body["detail"] and "1000000000" in body["detail"],
     "a request over the agent's --max-fuel: 429 naming the limit and the maximum", diag=body)
r = d.keep("run", "--backend", "nil", "--timeout", "2m", spin)
t.ok(r.returncode == 6 and b"wall_ms" in r.stderr,
     "keep run --timeout over --max-timeout: refused, exit 6 (429)", diag=r.stderr)
st, _, body = d.req("POST", "/v1/keeps", {"backend": "nil", "wasm": H.b64(H.example("hello.wasm")),
                                           "config": "[limits]\nfuel = 5000000000\n"})
t.ok(st == 429 and "fuel" in body["detail"],
     "an Enarx.toml [limits] over the maximum is refused the same way", diag=body)
st, _, body = d.req("POST", "/v1/keeps", {"backend": "nil", "wasm": H.b64(H.example("hello.wasm")),
                                           "limits": {"cpu": 1}})
t.ok(st == 400 and "limits" in body["detail"] and "cpu" in body["detail"],
     "an unknown limit: 400 naming it", diag=body)
st, _, body = d.req("POST", "/v1/keeps", {"mode": "deploy", "limits": {"fuel": 10}})
t.ok(st == 400 and "deploy" in body["detail"], "fuel in deploy mode: 400", diag=body)
r = d.keep("run", "--backend", "nil", H.example("hello.wasm"))
k = last(d)
t.ok(r.returncode == 0 and k["limits"]["fuel"] == 1000000000 and
     k["limits"]["wall_ms"] == 60000 and k["limits"]["output"] == 1 << 20,
     "a Keep that asks for no limit gets the agent's maxima", diag=k["limits"])
st, _, body = d.req("POST", "/v1/keeps", {"mode": "deploy", "backend": "nil",
                                           "limits": {"wall_ms": 1000}})
t.ok(st == 201 and body["limits"]["wall_ms"] == 1000 and body["limits"]["fuel"] is None,
     "deploy mode takes wall_ms (the host enforces it)", diag=body)
st, _, k = d.req("GET", f"/v1/keeps/{body['id']}?wait=true")
t.ok(k["state"] == "timed-out" and k["exit_code"] == 124 and
     "deploy mode" in (k["measurement_note"] or ""),
     "a deploy Keep never fed stops at its wall time", diag=k)

# ---- all of it after a restart ----
st, _, before = d.req("GET", "/v1/keeps")
t.eq(d.stop(), 0, "SIGTERM: the agent exits 0")
d.start()
st, _, after = d.req("GET", "/v1/keeps")
keys = ["state", "exit_code", "tee", "measurement", "measurement_note", "usage", "limits",
        "timed_out"]
t.ok(st == 200 and [{x: k[x] for x in keys} for k in after] ==
     [{x: k[x] for x in keys} for k in before],
     "after a restart: measurement, usage, limits and states as before",
     diag=[(a, b) for a, b in zip(before, after) if a != b][:2])
if measured:
    st, _, k = d.req("GET", f"/v1/keeps/{measured['id']}")
    t.ok(k["measurement"]["digest"] == measured["digest"],
         "the kvm Keep's measurement is in the state directory", diag=k)
else:
    t.skip("the kvm Keep's measurement is in the state directory", why)
t.eq(d.stop(), 0, "the agent stops cleanly")

# ---- a state directory of the first version (no "extra" column) ----
import sqlite3  # noqa: E402
old = os.path.join(tmp.name, "old-state")
os.makedirs(old)
db = sqlite3.connect(os.path.join(old, "host.db"))
db.execute("CREATE TABLE keeps (id TEXT PRIMARY KEY, backend TEXT NOT NULL, mode TEXT NOT NULL,"
           " state TEXT NOT NULL, result TEXT, text TEXT, memory INTEGER NOT NULL,"
           " created_ms INTEGER NOT NULL, ended_ms INTEGER NOT NULL,"
           " exit_code INTEGER NOT NULL, status INTEGER NOT NULL, stdout BLOB, stderr BLOB)")
db.execute("INSERT INTO keeps VALUES ('0123456789abcdef01234567', 'nil', 'run', 'exited',"
           " 'exited', NULL, 1073741824, 1700000000000, 1700000000100, 0, 0, x'6869', x'')")
db.commit()
db.close()
d2 = H.Daemon(tmp.name, name="old", state=old)
st, _, k = d2.req("GET", "/v1/keeps/0123456789abcdef01234567")
t.ok(st == 200 and k["state"] == "exited" and k["limits"]["fuel"] is None and
     k["usage"]["cpu_user_us"] is None and k["measurement"] is None,
     "an older host.db is upgraded in place; its records read with nulls", diag=k)
r = d2.keep("run", "--backend", "nil", H.example("hello.wasm"))
k = last(d2)
t.ok(r.returncode == 0 and k["usage"]["cpu_user_us"] is not None,
     "and new records in it carry usage",
     diag=f"exit {r.returncode}, stderr {r.stderr[-1500:]!r}, the Keep {k}, "
          f"agent stderr tail {d2.stderr()[-1500:]!r}")
t.eq(d2.stop(), 0, "that agent stops cleanly")
t.done()
