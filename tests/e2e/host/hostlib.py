# SPDX-License-Identifier: Apache-2.0
"""Helpers for the host agent's end-to-end tests: start the real
`enarx host serve` on a free port with a temporary state dir and token,
talk to it with http.client over TLS (the generated certificate as CA), and
run `enarx keep ...` with the environment pointing at it."""
import http.client
import json
import os
import secrets
import signal
import ssl
import subprocess
import sys
import time

SRC = os.environ.get("ENARX_SRC", ".")
BUILD = os.environ.get("ENARX_BUILD", "build")
ENARX = os.environ.get("ENARX_BIN", os.path.join(BUILD, "src", "cli", "enarx"))
EXAMPLES = os.path.join(BUILD, "examples")
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))


def example(name):
    return os.path.join(EXAMPLES, name)


def kvm_usable():
    """(True, "") if `enarx platform info` says kvm can run Keeps here."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False, "no usable /dev/kvm"
    r = subprocess.run([ENARX, "run", "--backend", "kvm", example("hello.wasm")],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    if r.returncode != 0:
        return False, "kvm backend does not run here: " + r.stderr.strip()[:120]
    return True, ""


def children(pid):
    """Process ids whose parent is pid (from /proc)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rfind(")") + 2:].split()
        if int(fields[1]) == pid:
            out.append(int(d))
    return out


def descendants(pid):
    """Every process below pid."""
    out, todo = [], [pid]
    while todo:
        for c in children(todo.pop()):
            out.append(c)
            todo.append(c)
    return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
        return st[st.rfind(")") + 2] != "Z"
    except OSError:
        return False


def nfds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


class Daemon:
    """One `enarx host serve` on 127.0.0.1 (or addr) with a fresh token."""

    def __init__(self, tmp, name="d", args=(), addr="127.0.0.1", netns=None, token=True,
                 state=None):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.state = state or os.path.join(self.dir, "state")
        self.token = secrets.token_hex(24)
        self.token_file = os.path.join(self.dir, "token")
        with open(self.token_file, "w") as f:
            f.write(self.token + "\n")
        self.addr = addr
        self.netns = netns
        self.args = list(args)
        self.use_token = token
        self.proc = None
        self.start()

    def start(self):
        cmd = [ENARX, "host", "serve", "--listen", f"{self.addr}:0", "--state", self.state]
        if self.use_token:
            cmd += ["--token-file", self.token_file]
        cmd += self.args
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns] + cmd
        self.errf = open(os.path.join(self.dir, "stderr"), "a+")
        # A call missing from the agent's seccomp allow-lists kills it
        # (instead of ENOSYS), so every suite checks the lists.
        env = dict(os.environ, ENARX_HOST_SECCOMP="kill")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.errf, text=True,
                                     stdin=subprocess.DEVNULL, env=env)
        line = self.proc.stdout.readline()
        if "listening on port" not in line:
            self.proc.wait(timeout=10)
            raise RuntimeError("daemon did not start: " + self.stderr())
        self.port = int(line.split()[-1])
        self.cert_line = self.proc.stdout.readline().strip()
        self.fp_line = self.proc.stdout.readline().strip()
        self.cacert = os.path.join(self.state, "host-cert.pem")
        self.url = f"https://{self.addr}:{self.port}"

    def stderr(self):
        self.errf.flush()
        self.errf.seek(0)
        return self.errf.read()

    def env(self, **extra):
        e = dict(os.environ)
        e.update(ENARX_HOST=self.url, ENARX_HOST_CACERT=self.cacert,
                 ENARX_HOST_TOKEN=self.token)
        e.update(extra)
        return e

    def keep(self, *args, stdin=b"", netns=None, env=None, timeout=120):
        """Runs `enarx keep ARGS`; returns CompletedProcess (bytes)."""
        cmd = [ENARX, "keep", *args]
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        return subprocess.run(cmd, input=stdin, capture_output=True,
                              env=env or self.env(), timeout=timeout)

    def conn(self, timeout=60):
        ctx = ssl.create_default_context(cafile=self.cacert)
        return http.client.HTTPSConnection(self.addr, self.port, context=ctx, timeout=timeout)

    def req(self, method, path, body=None, token=True, headers=None, conn=None, raw=False):
        """Returns (status, headers dict, parsed JSON body or bytes)."""
        c = conn or self.conn()
        h = dict(headers or {})
        if token is True:
            h["Authorization"] = "Bearer " + self.token
        elif token:
            h["Authorization"] = "Bearer " + token
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        hd = {k.lower(): v for k, v in r.getheaders()}
        if conn is None:
            c.close()
        if not raw and "json" in hd.get("content-type", ""):
            data = json.loads(data) if data else None
        return r.status, hd, data

    def launcher(self):
        kids = children(self.proc.pid)
        if self.netns:  # ip netns exec execs the daemon in place: same pid
            pass
        return kids[0] if kids else None

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def b64(path):
    import base64
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def wait_for(cond, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()
