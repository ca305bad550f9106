# SPDX-License-Identifier: Apache-2.0
# End-to-end tests of src/http: the test server on 127.0.0.1 (ephemeral port,
# temporary state dir) driven by real curl over HTTPS with --cacert the
# generated certificate, openssl-made client CAs, and python3 sockets for
# slowloris-style clients. Usage: test_http.py PATH/http-test-server
import json
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("ENARX_SRC", "."), "tests", "lib"))
from tap import Tap  # noqa: E402
import slowclients as SC  # noqa: E402

SERVER = sys.argv[1]
t = Tap()
tmp = tempfile.TemporaryDirectory(prefix="enarx-http-")
T = tmp.name
procs = []


def start(*args, expect_fail=False):
    """Starts the test server; returns (proc, info dict from its stdout)."""
    errf = open(os.path.join(T, f"server{len(procs)}.err"), "w+")
    p = subprocess.Popen([SERVER, *args], stdout=subprocess.PIPE, stderr=errf, text=True)
    p.errf = errf
    procs.append(p)
    info = {}
    if expect_fail:
        p.wait(timeout=10)
        return p, info
    for _ in range(3):
        line = p.stdout.readline()
        if not line:
            break
        k, _, v = line.strip().partition(" ")
        info[k] = v
    return p, info


def stderr_of(p):
    p.errf.flush()
    p.errf.seek(0)
    return p.errf.read()


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def curl(url, *args, token=None, cacert=None, data=None, method=None, headers=()):
    """Returns (status, content_type, body_text, curl_exit_code)."""
    out = os.path.join(T, "body")
    cmd = ["curl", "-sS", "-o", out, "-w", "%{http_code} %{content_type}", "--max-time", "20"]
    if cacert:
        cmd += ["--cacert", cacert]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    for h in headers:
        cmd += ["-H", h]
    if data is not None:
        cmd += ["-H", "Content-Type: application/json", "--data-binary", "@-"]
    if method:
        cmd += ["-X", method]
    cmd += list(args) + [url]
    if os.path.exists(out):
        os.unlink(out)
    r = subprocess.run(cmd, input=data, capture_output=True, text=True)
    code, _, ctype = r.stdout.partition(" ")
    body = open(out).read() if os.path.exists(out) else ""
    return int(code or 0), ctype, body, r.returncode


def problem(body):
    try:
        return json.loads(body)
    except ValueError:
        return {}


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


def tls_ctx(cacert):
    ctx = ssl.create_default_context(cafile=cacert)
    return ctx


# ---------------------------------------------------------------- main server
token = secrets.token_hex(24)
tokfile = os.path.join(T, "token")
with open(tokfile, "w") as f:
    f.write(token + "\n")
state = os.path.join(T, "state")
srv, info = start("--listen", "127.0.0.1:0", "--state", state, "--token-file", tokfile,
                  "--max-body", "4096", "--request-ms", "1500", "--handshake-ms", "1500")
port = int(info.get("port", 0))
cert = os.path.join(state, "test-cert.pem")
key = os.path.join(state, "test-key.pem")
if not t.ok(port > 0 and srv.poll() is None, "server starts on an ephemeral port",
            diag=stderr_of(srv)):
    t.done()
base = f"https://127.0.0.1:{port}"

t.ok(os.path.exists(cert) and info.get("cert") == cert, "certificate generated in the state dir")
t.eq(oct(os.stat(key).st_mode & 0o777), "0o600", "generated key has mode 0600")
fp = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", cert],
                    capture_output=True, text=True).stdout.strip().split("=", 1)[-1]
t.eq(info.get("fingerprint"), fp, "printed fingerprint equals openssl's SHA-256 fingerprint")

code, ctype, body, _ = curl(base + "/v1/ping", token=token, cacert=cert)
t.ok(code == 200 and json.loads(body or "{}").get("peer") == "token",
     "GET with the bearer token: 200", diag=f"{code} {body}")

code, ctype, body, _ = curl(base + "/v1/ping", cacert=cert)
p = problem(body)
t.ok(code == 401 and ctype.startswith("application/problem+json")
     and p.get("type") == "urn:enarx:problem:unauthorized" and p.get("status") == 401,
     "no token: 401 problem+json", diag=f"{code} {ctype} {body}")

code, ctype, body, _ = curl(base + "/v1/nothing-here", cacert=cert)
t.ok(code == 401, "no token on an unknown path: 401, not 404", diag=f"{code} {body}")

code, ctype, body, _ = curl(base + "/v1/ping", token=token[:-1] + "x", cacert=cert)
t.eq(code, 401, "wrong token: 401")

code, ctype, body, _ = curl(base + "/v1/ping", token=token + "x", cacert=cert)
t.eq(code, 401, "token with a suffix: 401")

code, ctype, body, _ = curl(base + "/v1/echo", token=token, cacert=cert,
                            data='{"name":"keep","count":3,"tags":["a"]}')
t.ok(code == 201 and json.loads(body or "{}") == {"name": "keep", "count": 3, "tags": ["a"]},
     "POST valid JSON: 201 and the body echoed", diag=f"{code} {body}")

code, ctype, body, _ = curl(base + "/v1/echo", token=token, cacert=cert, data='{"name": "x",')
p = problem(body)
t.ok(code == 400 and p.get("type") == "urn:enarx:problem:malformed-json"
     and "line 1" in p.get("detail", ""), "malformed JSON: 400 naming the position",
     diag=f"{code} {body}")

code, ctype, body, _ = curl(base + "/v1/echo", token=token, cacert=cert,
                            data='{"name":"x","count":"three"}')
p = problem(body)
t.ok(code == 400 and p.get("type") == "urn:enarx:problem:invalid-field"
     and "'count'" in p.get("detail", "") and "integer" in p.get("detail", ""),
     "wrong field type: 400 naming the field", diag=f"{code} {body}")

code, ctype, body, _ = curl(base + "/v1/echo", token=token, cacert=cert, data='{"count":1}')
t.ok(code == 400 and "'name' is required" in problem(body).get("detail", ""),
     "missing field: 400 naming the field", diag=f"{code} {body}")

code, ctype, body, _ = curl(base + "/v1/echo", token=token, cacert=cert,
                            data='{"name":"x","bogus":1}')
t.ok(code == 400 and "unknown field 'bogus'" in problem(body).get("detail", ""),
     "unknown field: 400 naming it", diag=f"{code} {body}")

code, ctype, body, _ = curl(base + "/v1/echo", token=token, cacert=cert,
                            data='{"name":"x","tags":' + "[" * 40 + "]" * 40 + "}")
t.ok(code == 400 and "nesting deeper" in problem(body).get("detail", ""),
     "nesting past the depth limit: 400", diag=f"{code} {body}")

code, ctype, body, _ = curl(base + "/v1/echo", token=token, cacert=cert,
                            data='{"name":"' + "x" * 8000 + '"}')
p = problem(body)
t.ok(code == 413 and ctype.startswith("application/problem+json")
     and p.get("type") == "urn:enarx:problem:body-too-large" and p.get("status") == 413
     and "4096 bytes" in p.get("detail", ""),
     "body over --max-body: 413 problem+json naming the limit", diag=f"{code} {ctype} {body}")

code, ctype, body, _ = curl(base + "/v1/echo", token=token, cacert=cert,
                            headers=["Transfer-Encoding: chunked"],
                            data='{"name":"' + "x" * 8000 + '"}')
p = problem(body)
t.ok(code == 413 and ctype.startswith("application/problem+json")
     and p.get("type") == "urn:enarx:problem:body-too-large",
     "chunked body over --max-body: 413 problem+json", diag=f"{code} {ctype} {body}")

# Uploads far past the limit (the client still sending when the answer goes
# out): the 413 must reach the client, not a reset, every time.
def nfds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


fds_before = nfds(srv.pid)
for chunked in (False, True):
    got = []
    for _ in range(5):
        code, ctype, body, rc = curl(base + "/v1/echo", token=token, cacert=cert,
                                     headers=["Transfer-Encoding: chunked"] if chunked else [],
                                     data='{"name":"' + "x" * (900 << 10) + '"}')
        got.append((code, rc))
    t.ok(all(g == (413, 0) for g in got),
         f"900 KiB {'chunked ' if chunked else ''}uploads over --max-body: every one answered 413",
         diag=str(got))
# the sockets kept open past those answers are all closed again (the
# clients hung up; a lingering socket lasts 2 s at most)
for _ in range(40):
    fds_after = nfds(srv.pid)
    if fds_after <= fds_before:
        break
    time.sleep(0.1)
t.ok(fds_after <= fds_before, f"no socket left lingering: {fds_before} -> {fds_after} descriptors")

code, ctype, body, _ = curl(base + "/v1/echo", token=token, cacert=cert, data='{"name":"ok"}')
t.eq(code, 201, "a body within the limit after those: 201")


# ------------------------------------------- key exchange group (post-quantum)
def s_client(*args):
    """One request through openssl s_client -trace; returns its output."""
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", cert,
                        "-verify_return_error", "-ign_eof", "-trace", *args],
                       input=f"GET /v1/ping HTTP/1.0\r\nAuthorization: Bearer {token}\r\n\r\n",
                       capture_output=True, text=True, timeout=20)
    return r.stdout + r.stderr


def server_hello(out):
    """The ServerHello part of an s_client -trace."""
    i = out.find("ServerHello")
    return out[i:out.find("Certificate", i)] if i >= 0 else ""


module = os.path.join(os.environ.get("ENARX_BUILD", "build"), "src", "crypto", "enarx_pq.so")
nm = subprocess.run(["nm", "-D", module], capture_output=True, text=True).stdout
if not os.path.exists(module):
    t.skip("s_client with the enarx_pq provider negotiates X25519MLKEM768", f"no {module}")
elif "__asan_" in nm:
    t.skip("s_client with the enarx_pq provider negotiates X25519MLKEM768",
           "sanitizer build: enarx_pq.so needs the ASan runtime, which the openssl CLI lacks")
else:
    out = s_client("-provider-path", os.path.dirname(module), "-provider", "enarx_pq",
                   "-provider", "default", "-groups", "X25519MLKEM768")
    sh = server_hello(out)
    t.ok('"peer":"token"' in out and "NamedGroup: UNKNOWN (4588)" in sh
         and "key_share(51), length=1124" in sh,
         "s_client with the enarx_pq provider offering X25519MLKEM768: the server answers "
         "with a 0x11EC (4588) share of 1120 bytes", diag=sh[:600] or out[-600:])
out = s_client()
sh = server_hello(out)
t.ok('"peer":"token"' in out and "ecdh_x25519" in sh and "HelloRetryRequest" not in out,
     "s_client without the provider: X25519, no HelloRetryRequest", diag=sh[:600] or out[-600:])

code, ctype, body, _ = curl(base + "/v1/ping", token=token, cacert=cert,
                            headers=[f"X-Big: {'a' * 20000}"])
p = problem(body)
t.ok(code == 431 and p.get("type") == "urn:enarx:problem:headers-too-large",
     "headers over the limit: 431 problem+json", diag=f"{code} {body[:200]}")

code, ctype, body, _ = curl(base + "/v1/nowhere", token=token, cacert=cert)
p = problem(body)
t.ok(code == 404 and p.get("type") == "urn:enarx:problem:not-found"
     and "/v1/nowhere" in p.get("detail", ""), "unknown path: 404 problem+json",
     diag=f"{code} {body}")

out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-D", "-", "--cacert", cert, "-H",
                      f"Authorization: Bearer {token}", "-X", "PUT", base + "/v1/ping"],
                     capture_output=True, text=True).stdout
t.ok(" 405 " in out and "allow: GET" in out.lower().replace("allow: get", "allow: GET"),
     "wrong method: 405 with Allow", diag=out)

code, ctype, body, _ = curl(base + "/v1/things/abc-1", token=token, cacert=cert)
t.ok(code == 200 and json.loads(body or "{}").get("id") == "abc-1",
     "{id} capture reaches the handler", diag=f"{code} {body}")
code, ctype, body, _ = curl(base + "/v1/things/missing", token=token, cacert=cert)
t.ok(code == 404 and "'missing'" in problem(body).get("detail", ""),
     "handler's own 404 names the id", diag=f"{code} {body}")
code, ctype, body, _ = curl(base + "/v1/things/a%20b", token=token, cacert=cert)
t.ok(code == 400 and "not allowed" in problem(body).get("detail", ""),
     "bad byte in an id: 400", diag=f"{code} {body}")
code, ctype, body, _ = curl(base + "/v1/things/abc", token=token, cacert=cert,
                            method="DELETE")
t.eq(code, 204, "DELETE on the same pattern: 204")

r = subprocess.run(["curl", "-sS", "-N", "-D", os.path.join(T, "hdr"), "--cacert", cert, "-H",
                    f"Authorization: Bearer {token}", base + "/v1/stream"],
                   capture_output=True, text=True)
hdr = open(os.path.join(T, "hdr")).read().lower()
t.ok(r.stdout == "".join(f"line {i}\n" for i in range(5))
     and "transfer-encoding: chunked" in hdr, "streamed answer arrives chunked, in order",
     diag=r.stdout + hdr)

# HTTP/1.0: no chunks; the stream ends with the connection, which evhttp
# closes while it takes the end of the answer (nothing left to write then)
for i in range(3):
    r = subprocess.run(["curl", "-sS", "-N", "--http1.0", "--cacert", cert, "-H",
                        f"Authorization: Bearer {token}", base + "/v1/stream"],
                       capture_output=True, text=True)
    if r.returncode != 0 or r.stdout != "".join(f"line {i}\n" for i in range(5)):
        break
code, _, _, _ = curl(base + "/v1/ping", token=token, cacert=cert)
t.ok(r.returncode == 0 and r.stdout == "".join(f"line {i}\n" for i in range(5)) and code == 200
     and srv.poll() is None, "an HTTP/1.0 stream ends with its connection; the server goes on",
     diag=f"curl exit {r.returncode}: {r.stdout!r} {r.stderr}; ping {code}; server {srv.poll()}")

r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-o", "/dev/null", "-w",
                    "%{num_connects} ", "--cacert", cert, "-H", f"Authorization: Bearer {token}",
                    base + "/v1/ping", base + "/v1/ping"], capture_output=True, text=True)
t.eq(r.stdout.split(), ["1", "0"], "keep-alive: the second request reuses the connection")


# ----------------------------------------------------------- slow clients
res = {}
th = threading.Thread(target=lambda: res.update(SC.slowloris(port, cert, lines=80)))
th.start()
time.sleep(0.3)
t0 = time.monotonic()
code, _, _, _ = curl(base + "/v1/ping", token=token, cacert=cert)
dt = time.monotonic() - t0
t.ok(code == 200 and dt < 1.0, "a slowloris client does not delay a normal request",
     diag=f"{code} in {dt:.2f}s")
th.join(timeout=30)
t.ok(0 < res.get("closed_after", 99) < 4.0,
     "the slowloris connection is cut at the request deadline (1.5 s)",
     diag=f"closed after {res.get('closed_after')}")

with SC.silent_connect(port) as raw:
    cut, dt = SC.silent_cut(raw, timeout=6)
t.ok(cut and dt < 4.0, "a client that never handshakes is cut at the handshake deadline",
     diag=f"cut={cut} after {dt:.2f}s")

t.ok(srv.poll() is None, "the server is still running after the abuse")

# A follower whose client hangs up: the handler is told (http_req_on_close)
# and the server ends the request itself, so nothing stays in flight.
with socket.create_connection(("127.0.0.1", port)) as raw:
    with tls_ctx(cert).wrap_socket(raw, server_hostname="127.0.0.1") as s:
        s.sendall(b"GET /v1/follow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                  + token.encode() + b"\r\n\r\n")
        s.settimeout(10)
        got = b""
        while b"hello" not in got:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
t.ok(b"hello" in got, "a follower gets its first chunk", diag=got)
gone = False
for _ in range(100):
    if "follower gone" in stderr_of(srv):
        gone = True
        break
    time.sleep(0.05)
t.ok(gone, "its client hung up: the on_close callback ran", diag=stderr_of(srv))

# ----------------------------------------------------------- SIGTERM
slow = subprocess.Popen(["curl", "-sS", "--cacert", cert, "-H", f"Authorization: Bearer {token}",
                         base + "/v1/slow"], stdout=subprocess.PIPE, text=True)
time.sleep(0.4)
srv.send_signal(signal.SIGTERM)
out, _ = slow.communicate(timeout=15)
t.ok('"slow":true' in out, "SIGTERM: the in-flight request still gets its answer", diag=out)
try:
    rc = srv.wait(timeout=15)
except subprocess.TimeoutExpired:
    rc = None
err = stderr_of(srv)
t.ok(rc == 0 and "on_stop called" in err, "SIGTERM: on_stop runs and the server exits 0",
     diag=f"rc={rc}\n{err}")
t.ok("exiting, 0 in flight" in err and "after the grace period" not in err,
     "the hung-up follower was ended by the server (nothing in flight at exit)", diag=err)
code, _, _, ce = curl(base + "/v1/ping", token=token, cacert=cert)
t.ok(code == 0 and ce != 0, "after SIGTERM nothing listens", diag=f"{code} {ce}")

# restart reuses the certificate
srv2, info2 = start("--listen", "127.0.0.1:0", "--state", state, "--token-file", tokfile)
t.eq(info2.get("fingerprint"), fp, "restart reuses the generated certificate")
stop(srv2)

# ----------------------------------------------------------- connection limit
srv3, info3 = start("--listen", "127.0.0.1:0", "--state", state, "--token-file", tokfile,
                    "--max-conns", "2", "--handshake-ms", "1000", "--request-ms", "1000")
p3 = int(info3.get("port", 0))
hold = [socket.create_connection(("127.0.0.1", p3)) for _ in range(2)]
time.sleep(0.2)
t0 = time.monotonic()
code, _, _, _ = curl(f"https://127.0.0.1:{p3}/v1/ping", token=token, cacert=cert)
dt = time.monotonic() - t0
t.ok(code == 200 and dt > 0.5,
     "at the connection limit a new client waits until a slot frees, then is served",
     diag=f"{code} after {dt:.2f}s")
for h in hold:
    h.close()
stop(srv3)

# ----------------------------------------------------------- mTLS
ca_key, ca = make_ca("good")
bad_key, bad_ca = make_ca("bad")
ckey, ccrt = make_client(ca_key, ca, "client-ok")
bkey, bcrt = make_client(bad_key, bad_ca, "client-bad")
srv4, info4 = start("--listen", "127.0.0.1:0", "--state", state, "--client-ca", ca)
m = f"https://127.0.0.1:{info4.get('port', 0)}/v1/ping"
code, _, body, _ = curl(m, "--cert", ccrt, "--key", ckey, cacert=cert)
t.ok(code == 200 and json.loads(body or "{}").get("peer") == "cert:client-ok",
     "mTLS: a certificate from the named CA is accepted", diag=f"{code} {body}")
code, _, body, ce = curl(m, "--cert", bcrt, "--key", bkey, cacert=cert)
t.ok(code == 0 and ce != 0, "mTLS: a certificate from another CA is refused in the handshake",
     diag=f"{code} {ce} {body}")
code, _, body, ce = curl(m, cacert=cert)
t.ok(code in (0, 401) and ce != 0 or code == 401, "mTLS: no certificate is refused",
     diag=f"{code} {ce} {body}")
stop(srv4)

# mTLS or token: without a certificate, the token still works
srv5, info5 = start("--listen", "127.0.0.1:0", "--state", state, "--client-ca", ca,
                    "--token-file", tokfile)
m = f"https://127.0.0.1:{info5.get('port', 0)}/v1/ping"
code, _, body, _ = curl(m, cacert=cert)
t.eq(code, 401, "mTLS+token server: neither credential gives 401 problem+json")
code, _, body, _ = curl(m, cacert=cert, token=token)
t.eq(code, 200, "mTLS+token server: the token alone is enough")
stop(srv5)

# ----------------------------------------------------------- plain modes
_, _ = start("--listen", "127.0.0.1:0", "--plain", "1", "--token-file", tokfile,
             expect_fail=True)
t.ok(procs[-1].returncode != 0 and "insecure" in stderr_of(procs[-1]),
     "plain HTTP on TCP without the insecure flag is refused", diag=stderr_of(procs[-1]))

sock = os.path.join(T, "api.sock")
srv6, _ = start("--listen", "unix:" + sock, "--plain", "1")
code, _, body, _ = curl("http://localhost/v1/ping", "--unix-socket", sock)
t.ok(code == 200 and json.loads(body or "{}").get("peer") == "unix",
     "plain HTTP on a Unix socket (owner-only)", diag=f"{code} {body}")
t.eq(oct(os.stat(sock).st_mode & 0o777), "0o600", "the Unix socket has mode 0600")
stop(srv6)
t.ok(not os.path.exists(sock), "the Unix socket is removed at exit")

srv7, info7 = start("--listen", "127.0.0.1:0", "--insecure", "--token-file", tokfile)
code, _, _, _ = curl(f"http://127.0.0.1:{info7.get('port', 0)}/v1/ping", token=token)
stop(srv7)
t.ok(code == 200 and "PLAIN HTTP" in stderr_of(srv7),
     "--insecure serves plain HTTP on TCP and logs a warning", diag=stderr_of(srv7))

for p in procs:
    stop(p)
t.done()
