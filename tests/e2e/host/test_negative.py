# SPDX-License-Identifier: Apache-2.0
# Negative end-to-end tests of the host agent: no or wrong credentials,
# wrong client certificate, oversized body, malformed JSON and fields,
# slowloris clients, unknown ids, limits reached. Each gets its documented
# status (docs/host-api.md) and the agent keeps serving.
import base64
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostlib as H  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
tmp = tempfile.TemporaryDirectory(prefix="enarx-host-neg-")
T = tmp.name
d = H.Daemon(T, "lim", args=["--max-keeps", "2", "--max-keep-memory", str(256 << 20),
                              "--max-body", str(256 << 10), "--request-ms", "1500"])
WASM = H.b64(H.example("hello.wasm"))


def problem(st, hd, body, status, slug, name, detail_has=None):
    ok = (st == status and hd.get("content-type") == "application/problem+json" and
          isinstance(body, dict) and body.get("type") == "urn:enarx:problem:" + slug and
          (detail_has is None or detail_has in body.get("detail", "")))
    t.ok(ok, name, diag=f"{st} {hd.get('content-type')} {body}")


def serving(name):
    st, _, body = d.req("GET", "/v1/keeps")
    t.ok(st == 200 and isinstance(body, list), "still serving after " + name)


# ---- authentication ----
for method, path in [("GET", "/v1/keeps"), ("POST", "/v1/keeps"), ("GET", "/v1/nowhere"),
                     ("DELETE", "/v1/keeps/abc")]:
    st, hd, body = d.req(method, path, token=None, body={} if method == "POST" else None)
    problem(st, hd, body, 401, "unauthorized", f"{method} {path} without credentials: 401")
    t.ok(hd.get("www-authenticate", "").startswith("Bearer"),
         f"{method} {path}: WWW-Authenticate names the scheme")
st, hd, body = d.req("GET", "/v1/keeps", token="not-the-token-at-all")
problem(st, hd, body, 401, "unauthorized", "a wrong token: 401")
r = d.keep("ls", env=d.env(ENARX_HOST_TOKEN="wrong-token-wrong-token"))
t.eq(r.returncode, 5, "keep ls with a wrong token exits 5")
env = d.env()
del env["ENARX_HOST_TOKEN"]
r = d.keep("ls", env=env)
t.eq(r.returncode, 5, "keep ls without a token exits 5")
r = d.keep("ls", env=d.env(ENARX_HOST_CACERT=os.path.join(H.SRC, "README.md")))
t.eq(r.returncode, 1, "keep ls with an unusable --cacert fails (1) before sending the token")
serving("authentication failures")

# ---- bodies ----
hdr = {"Content-Type": "application/json"}
st, hd, body = d.req("POST", "/v1/keeps", body=b"{\"backend\": \"nil\",", headers=hdr)
problem(st, hd, body, 400, "malformed-json", "malformed JSON: 400 malformed-json")
st, hd, body = d.req("POST", "/v1/keeps", body=b"[1,2]", headers=hdr)
problem(st, hd, body, 400, "malformed-json", "a JSON array body: 400")
st, hd, body = d.req("POST", "/v1/keeps", {"backend": "nil", "wasm": WASM, "colour": "red"})
problem(st, hd, body, 400, "invalid-field", "an unknown field: 400 naming it", "colour")
st, hd, body = d.req("POST", "/v1/keeps", {"backend": "nil", "memory": "lots", "wasm": WASM})
problem(st, hd, body, 400, "invalid-field", "memory as a string: 400 naming it", "memory")
st, hd, body = d.req("POST", "/v1/keeps", {"backend": "nil", "wasm": "!!!not base64!!!"})
problem(st, hd, body, 400, "invalid-field", "wasm not base64: 400", "base64")
st, hd, body = d.req("POST", "/v1/keeps", {"backend": "nil",
                                            "wasm": base64.b64encode(b"hello world!").decode()})
problem(st, hd, body, 400, "invalid-field", "wasm without the \\0asm magic: 400", "magic")
st, hd, body = d.req("POST", "/v1/keeps", {"backend": "nil"})
problem(st, hd, body, 400, "invalid-field", "run mode without wasm: 400", "wasm")
st, hd, body = d.req("POST", "/v1/keeps", {"mode": "deploy", "wasm": WASM})
problem(st, hd, body, 400, "invalid-field", "deploy mode with wasm: 400", "deploy")
st, hd, body = d.req("POST", "/v1/keeps", {"backend": "nil", "wasm": WASM, "network": True})
problem(st, hd, body, 400, "invalid-field", "run mode with network: 400 (it reads the config)", "network")
st, hd, body = d.req("POST", "/v1/keeps", {"mode": "deploy", "network": "yes"})
problem(st, hd, body, 400, "invalid-field", "network that is not a boolean: 400", "network")
st, hd, body = d.req("POST", "/v1/keeps", {"mode": "sideways", "wasm": WASM})
problem(st, hd, body, 400, "invalid-field", "an unknown mode: 400", "mode")
cfg = '[[files]]\nkind = "dir"\nname = "etc"\npath = "/etc"\n'
st, hd, body = d.req("POST", "/v1/keeps", {"backend": "nil", "wasm": WASM, "config": cfg})
problem(st, hd, body, 400, "invalid-field", "a config opening a host directory: 400", "dir")
st, hd, body = d.req("POST", "/v1/keeps", {"backend": "warp", "wasm": WASM})
problem(st, hd, body, 400, "invalid-field", "an unknown backend: 400 naming it", "warp")
st, hd, body = d.req("POST", "/v1/keeps", body=b"backend=nil",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
problem(st, hd, body, 415, "unsupported-media-type", "a form body: 415")
big = os.path.join(T, "big.json")
with open(big, "wb") as f:
    f.write(b'{"wasm": "' + b"A" * (300 << 10) + b'"}')
r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", d.cacert,
                    "-H", "Authorization: Bearer " + d.token, "-H", "Content-Type: application/json",
                    "--data-binary", "@" + big, d.url + "/v1/keeps"],
                   capture_output=True, text=True, timeout=60)
t.eq(r.stdout, "413", "a body over --max-body: 413")
serving("bad bodies")

# ---- unknown ids and paths ----
for method, path in [("GET", "/v1/keeps/0123456789abcdef01234567"),
                     ("DELETE", "/v1/keeps/0123456789abcdef01234567"),
                     ("POST", "/v1/keeps/0123456789abcdef01234567/kill"),
                     ("GET", "/v1/keeps/0123456789abcdef01234567/stdout"),
                     ("GET", "/v1/keeps/0123456789abcdef01234567/proto")]:
    st, hd, body = d.req(method, path)
    problem(st, hd, body, 404, "not-found", f"{method} {path.split('/')[-1]}: unknown id 404",
            "0123456789abcdef01234567")
st, hd, body = d.req("GET", "/v1/keeps/bad%20id")
problem(st, hd, body, 400, "bad-request", "an id with a space: 400")
st, hd, body = d.req("PUT", "/v1/keeps")
problem(st, hd, body, 405, "method-not-allowed", "PUT /v1/keeps: 405")
r = d.keep("logs", "0123456789abcdef01234567")
t.eq(r.returncode, 3, "keep logs of an unknown id exits 3")

# ---- limits ----
st, hd, body = d.req("POST", "/v1/keeps", {"backend": "nil", "wasm": WASM, "memory": 512 << 20})
problem(st, hd, body, 429, "limit-reached", "memory over --max-keep-memory: 429", "memory per Keep")
st, hd, body = d.req("POST", "/v1/keeps", {"backend": "nil", "wasm": WASM, "memory": 33 << 20})
problem(st, hd, body, 400, "invalid-field", "memory not a multiple of 2 MiB: 400", "memory")
ids = []
for i in range(2):
    st, _, body = d.req("POST", "/v1/keeps", {"backend": "nil", "memory": 64 << 20,
                                               "wasm": H.b64(H.example("cat.wasm"))})
    ids.append(body.get("id") if st == 201 else None)
t.ok(all(ids), "two Keeps run (the limit is 2)")
st, hd, body = d.req("POST", "/v1/keeps", {"backend": "nil", "wasm": WASM, "memory": 64 << 20})
problem(st, hd, body, 429, "limit-reached", "a third Keep: 429 naming the limit", "running Keeps")
r = d.keep("run", "--backend", "nil", H.example("hello.wasm"))
t.eq(r.returncode, 6, "keep run at the limit exits 6")
for i in ids:
    if i:
        d.req("POST", f"/v1/keeps/{i}/kill")
        d.req("GET", f"/v1/keeps/{i}?wait=true")
r = d.keep("run", "--backend", "nil", H.example("hello.wasm"))
t.ok(r.returncode == 0 and r.stdout == b"Hello, world!\n", "below the limit again: Keeps run")


# ---- slow clients ----
def slowloris(result):
    """A TLS client that dribbles header lines; records whether the agent
    cut it (end of stream or reset) before it ran out of lines."""
    ctx = ssl.create_default_context(cafile=d.cacert)
    result["cut"] = False
    try:
        with socket.create_connection(("127.0.0.1", d.port)) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(b"GET /v1/keeps HTTP/1.1\r\nHost: x\r\n")
                s.settimeout(0.25)
                for i in range(120):
                    try:
                        s.sendall(b"X-Slow-%d: y\r\n" % i)
                        if s.recv(1024) == b"":
                            result["cut"] = True
                            return
                    except socket.timeout:
                        pass
                    except (OSError, ssl.SSLError):
                        result["cut"] = True
                        return
    except (OSError, ssl.SSLError):
        result["cut"] = True


res = {}
th = threading.Thread(target=slowloris, args=(res,))
th.start()
slow_raw = socket.create_connection(("127.0.0.1", d.port))  # never starts TLS
serving("a slowloris client and a silent one connected")
th.join(timeout=60)
t.ok(res.get("cut"), "the slowloris connection is cut at the request deadline")
slow_raw.settimeout(30)
try:
    cut = slow_raw.recv(1) == b""
except OSError:
    cut = True
t.ok(cut, "a client that never handshakes is cut")
slow_raw.close()

# ---- client certificates (mTLS) ----
def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_ca(name):
    key, crt = os.path.join(T, f"{name}-ca.key"), os.path.join(T, f"{name}-ca.pem")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", crt, "-subj", f"/CN={name} test CA", "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return key, crt


def make_client(ca_key, ca_crt, cn):
    key, csr, crt = (os.path.join(T, f"{cn}.{e}") for e in ("key", "csr", "pem"))
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", csr, "-subj", f"/CN={cn}")
    ext = os.path.join(T, f"{cn}.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
            "-out", crt, "-days", "1", "-extfile", ext)
    return key, crt


good_key, good_ca = make_ca("good")
bad_key, bad_ca = make_ca("bad")
ck, cc = make_client(good_key, good_ca, "operator")
bk, bc = make_client(bad_key, bad_ca, "intruder")
m = H.Daemon(T, "mtls", args=["--client-ca", good_ca], token=False)
env = m.env(ENARX_HOST_CERT=cc, ENARX_HOST_KEY=ck)
del env["ENARX_HOST_TOKEN"]
r = m.keep("run", "--backend", "nil", H.example("hello.wasm"), env=env)
t.ok(r.returncode == 0 and r.stdout == b"Hello, world!\n",
     "mTLS: a certificate from the operator's CA runs a Keep", diag=r.stderr)
env2 = dict(env, ENARX_HOST_CERT=bc, ENARX_HOST_KEY=bk)
r = m.keep("ls", env=env2)
t.ok(r.returncode == 1 and r.stdout == b"", "mTLS: a certificate from another CA is refused",
     diag=r.stderr)
env3 = dict(env)
del env3["ENARX_HOST_CERT"], env3["ENARX_HOST_KEY"]
r = m.keep("ls", env=env3)
t.ok(r.returncode != 0 and r.stdout == b"", "mTLS: no certificate is refused", diag=r.stderr)
r = m.keep("ls", "--json", env=env)
t.ok(r.returncode == 0 and b'"state": "exited"' in r.stdout, "mTLS: still serving the operator")
m.stop()

# ---- start-up refusals ----
r = subprocess.run([H.ENARX, "host", "serve", "--listen", "127.0.0.1:0", "--state",
                    os.path.join(T, "s2")], capture_output=True, text=True, timeout=30)
t.ok(r.returncode == 1 and "token" in r.stderr,
     "serving TCP without a token or CA is refused at start", diag=r.stderr)
r = subprocess.run([H.ENARX, "host", "serve", "--listen", "127.0.0.1:0"],
                   capture_output=True, text=True, timeout=30)
t.eq(r.returncode, 2, "serve without --state: usage error")

serving("everything")
lp = d.launcher()
t.eq(d.stop(), 0, "SIGTERM after the negatives: exit 0")
t.ok(lp is not None and not H.alive(lp), "the launcher is gone")
t.done()
