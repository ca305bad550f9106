# SPDX-License-Identifier: Apache-2.0
# enarx deploy --host: the same flow through a real host agent
# (`enarx host serve`, started here on loopback with a fresh token and
# state): hello, stdin, exit code, trap, a secret (a variable and a file),
# a TCP server the client asks the network for, [limits] memory (kvm), on
# nil and kvm (kvm skips with its reason); the agent's whole process tree
# traced with strace while a deploy with marker strings runs, and no marker in any byte it read or
# wrote; then client and agent in two network namespaces joined by a veth
# pair (skipped with the reason where namespaces cannot be made).
import os
import shutil
import subprocess
import sys
import tempfile

SRC = os.environ.get("ENARX_SRC", ".")
sys.path.insert(0, os.path.join(SRC, "tests", "e2e", "host"))
import hostlib as H  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
tmp = tempfile.TemporaryDirectory(prefix="enarx-deploy-host-")
T = tmp.name
MARKS = {"wasm": "ENARX-MARK-WASM-5519", "out": "ENARX-MARK-OUT-7731",
         "toml": "ENARX-MARK-TOML-8842", "secret": "ENARX-MARK-SECRET-2290",
         "stdin": "ENARX-MARK-STDIN-6613"}


def deploy(d, *args, stdin=b"", netns=None, env=None):
    cmd = [H.ENARX, "deploy", "--host", d.url, "--insecure", *args]
    if netns:
        cmd = ["ip", "netns", "exec", netns] + cmd
    return subprocess.run(cmd, input=stdin, capture_output=True, env=env or d.env(),
                          timeout=180)


def checks(d, be, netns=None, tag=""):
    r = deploy(d, "--backend", be, H.example("hello.wasm"), netns=netns)
    err = r.stderr.decode(errors="replace")
    t.ok(r.returncode == 0 and r.stdout == b"Hello, world!\n", f"{tag}{be}: hello via the host agent",
         diag=err)
    t.ok(f"Keep created: backend {be}, host agent {d.url}" in err, f"{tag}{be}: step names the agent",
         diag=err)
    t.ok("running: the Keep opened sha256:" in err, f"{tag}{be}: the Keep confirmed the digest",
         diag=err)
    if netns:
        return
    r = deploy(d, "--backend", be, H.example("cat.wasm"), stdin=b"one\ntwo\n")
    t.eq(r.stdout, b"one\ntwo\n", f"{be}: stdin sealed through the agent and back")
    r = deploy(d, "--backend", be, H.example("exitcode.wasm"), "--", "9")
    t.eq(r.returncode, 9, f"{be}: the workload's exit code")
    r = deploy(d, "--backend", be, H.example("trap.wasm"), "--", "divide")
    t.ok(r.returncode == 134 and b"func[" in r.stderr and b"divide" in r.stderr,
         f"{be}: a trap with its backtrace", diag=r.stderr.decode(errors="replace"))
    sec = os.path.join(T, "secret")
    with open(sec, "w") as f:
        f.write(f"via-agent-{be}")
    r = deploy(d, "--backend", be, "--secret", f"TOKEN=@{sec}", H.example("args.wasm"))
    t.ok(f"env: TOKEN=via-agent-{be}".encode() in r.stdout, f"{be}: the workload prints its secret",
         diag=r.stdout.decode(errors="replace"))
    r = deploy(d, "--backend", be, "--secret", f"/secrets/token=@{sec}", H.example("filetool.wasm"),
               "--", "read", "/secrets/token")
    t.eq(r.stdout, f"via-agent-{be}".encode(), f"{be}: the workload reads its secret file")
    serve(d, be)
    if be == "kvm":
        mem = os.path.join(T, "mem.toml")
        with open(mem, "w") as f:
            f.write('[limits]\nmemory = "1536M"\n')
        r = deploy(d, "--backend", be, "--wasmcfgfile", mem, H.example("exitcode.wasm"), "--", "5")
        t.ok(r.returncode == 5 and b"with 1792 MiB (kvm)" in r.stderr,
             "kvm: [limits] memory: the agent makes a 1792 MiB Keep, measured as such",
             diag=r.stderr.decode(errors="replace"))


def serve(d, be):
    """A deployed TCP echo server: the client asks the agent for the network."""
    import socket
    import time
    with socket.socket() as p:
        p.bind(("127.0.0.1", 0))
        port = p.getsockname()[1]
    toml = os.path.join(T, "echo.toml")
    with open(toml, "w") as f:
        f.write('args = ["1"]\n[[files]]\nkind = "stdin"\n[[files]]\nkind = "stdout"\n'
                '[[files]]\nkind = "stderr"\n[[files]]\nkind = "listen"\nname = "echo"\n'
                f'prot = "tcp"\naddr = "127.0.0.1"\nport = {port}\n')
    cmd = [H.ENARX, "deploy", "--host", d.url, "--insecure", "--backend", be,
           "--wasmcfgfile", toml, H.example("echo_server.wasm")]
    srv = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=d.env())
    got, msg = b"", b"through the agent\n" * 100
    for _ in range(600):
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=20)
            break
        except OSError:
            time.sleep(0.05)
    else:
        c = None
    if c:
        c.sendall(msg)
        c.shutdown(socket.SHUT_WR)
        while True:
            b = c.recv(65536)
            if not b:
                break
            got += b
        c.close()
    try:
        out, err = srv.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        srv.kill()
        out, err = srv.communicate()
    t.ok(got == msg and srv.returncode == 0,
         f"{be}: a TCP server deployed through the agent (\"network\": true) echoes a client",
         diag=err.decode(errors="replace"))


def marker_app():
    wat = os.path.join(T, "app.wat")
    with open(wat, "w") as f:
        f.write(f'''(module
  (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{MARKS["out"]}\\n")
  (data (i32.const 64) "{MARKS["wasm"]}")
  (data (i32.const 0) "\\10\\00\\00\\00\\14\\00\\00\\00")
  (func (export "_start") (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
''')
    toml = os.path.join(T, "Enarx.toml")
    with open(toml, "w") as f:
        f.write(f'args = ["{MARKS["toml"]}"]\n[[files]]\nkind = "stdin"\n'
                '[[files]]\nkind = "stdout"\n[[files]]\nkind = "stderr"\n')
    sec = os.path.join(T, "mark-secret")
    with open(sec, "w") as f:
        f.write(MARKS["secret"])
    return wat, toml, sec


def hexof(s):
    return "".join(f"\\x{b:02x}" for b in s.encode())


class TracedDaemon(H.Daemon):
    """The agent under strace -f -ff: every process and thread it makes."""

    def start(self):
        self.trace = os.path.join(self.dir, "trace")
        os.makedirs(self.trace, exist_ok=True)
        cmd = ["strace", "-f", "-ff", "-qq", "-xx", "-s", "4000000", "-o",
               os.path.join(self.trace, "t"), "-e",
               "trace=read,write,readv,writev,pread64,pwrite64,sendmsg,recvmsg,sendto,"
               "recvfrom,sendmmsg,recvmmsg",
               H.ENARX, "host", "serve", "--listen", f"{self.addr}:0", "--state", self.state,
               "--token-file", self.token_file]
        self.errf = open(os.path.join(self.dir, "stderr"), "a+")
        # Sanitizer builds: LeakSanitizer's exit check ptrace-attaches the
        # process's threads, which cannot be done under strace's own ptrace.
        env = dict(os.environ)
        if "ASAN_OPTIONS" in env:
            env["ASAN_OPTIONS"] = env["ASAN_OPTIONS"].replace("detect_leaks=1", "detect_leaks=0")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.errf, text=True,
                                     stdin=subprocess.DEVNULL, env=env)
        line = self.proc.stdout.readline()
        if "listening on port" not in line:
            raise RuntimeError("traced daemon did not start: " + self.stderr())
        self.port = int(line.split()[-1])
        self.proc.stdout.readline()
        self.proc.stdout.readline()
        self.cacert = os.path.join(self.state, "host-cert.pem")
        self.url = f"https://{self.addr}:{self.port}"


def noplaintext(be):
    if not shutil.which("strace"):
        t.skip(f"{be}: the agent never sees plaintext", "strace is not installed")
        return
    wat, toml, sec = marker_app()
    d = TracedDaemon(T, "traced-" + be)
    try:
        r = deploy(d, "--backend", be, "--wasmcfgfile", toml, "--secret", f"T=@{sec}",
                   wat, stdin=(MARKS["stdin"] + "\n").encode())
        t.ok(r.returncode == 0 and r.stdout.decode().strip() == MARKS["out"],
             f"{be}: traced agent: the deploy ran", diag=r.stderr.decode(errors="replace"))
        # what the trace holds up to here (strace appends as the agent works)
        before = {f: os.path.getsize(os.path.join(d.trace, f)) for f in os.listdir(d.trace)}
        # the control: `enarx keep run` (no sealing) through the same agent
        r = d.keep("run", "--backend", be, "--wasmcfgfile", toml, wat,
                   stdin=(MARKS["stdin"] + "\n").encode())
        control_ok = r.returncode == 0
        control_diag = f"exit {r.returncode}: {r.stderr.decode(errors='replace')[-1500:]}"
    finally:
        # SIGTERM to the agent itself (strace's child); strace ends with it
        for pid in H.children(d.proc.pid):
            os.kill(pid, 15)
        d.proc.wait(timeout=60)
    files = [os.path.join(d.trace, f) for f in before]
    control = [os.path.join(d.trace, f) for f in os.listdir(d.trace)]
    size = sum(before.values())
    t.ok(len(files) >= 2 and size > 10000, f"{be}: the agent's processes were traced "
         f"({len(files)} processes/threads, {size} bytes)")
    leaks = []
    for name, m in MARKS.items():
        for f in files:
            with open(f, "rb") as fh:
                data = fh.read(before[os.path.basename(f)])
            if hexof(m).encode() in data or m.encode() in data:
                leaks.append(f"{name} in {os.path.basename(f)}")
    t.eq(leaks, [], f"{be}: no marker (wasm, Enarx.toml, secret, stdin, output) in any byte "
         "the agent read or wrote")
    seen = False
    for f in control:
        with open(f, "rb") as fh:
            data = fh.read()
        seen = seen or hexof(MARKS["out"]).encode() in data
    t.ok(control_ok and seen, f"{be}: control: under `enarx keep run` the same trace shows the "
         "output to the agent", diag=f"{control_diag}; output seen in the trace: {seen}")


def usable(be):
    if be == "kvm":
        return H.kvm_usable()
    return True, ""


d = H.Daemon(T, "agent")
try:
    for be in os.environ.get("ENARX_TEST_BACKENDS", "nil kvm").split():
        ok, why = usable(be)
        if not ok:
            t.skip(f"{be}: deploy through the host agent", why)
            continue
        checks(d, be)
        noplaintext(be)
    # refusals through the agent name the check too
    r = subprocess.run([H.ENARX, "deploy", "--host", d.url, "--backend", "nil",
                        H.example("hello.wasm")], capture_output=True, env=d.env(), timeout=120)
    t.ok(r.returncode == 1 and b"deploy refused: insecure Keep" in r.stderr,
         "without --insecure the agent's nil Keep is refused", diag=r.stderr)
    env = d.env(ENARX_HOST_TOKEN="wrong")
    r = subprocess.run([H.ENARX, "deploy", "--host", d.url, "--insecure", H.example("hello.wasm")],
                       capture_output=True, env=env, timeout=120)
    t.ok(r.returncode == 1 and b"401" in r.stderr, "a wrong token: the agent's 401 is shown",
         diag=r.stderr)
finally:
    d.proc.terminate()
    d.proc.wait(timeout=30)

# client and agent on two "machines"
if os.geteuid() != 0 or not shutil.which("ip"):
    t.skip("netns: deploy across network namespaces", "needs root and iproute2")
else:
    tag = os.getpid() % 60000
    NS_H, NS_C = f"enarx-dh{tag}", f"enarx-dc{tag}"
    net = 10 + (os.getpid() + 7) % 200
    HIP, CIP = f"10.232.{net}.1", f"10.232.{net}.2"

    def sh(*cmd):
        return subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)

    steps = [("ip", "netns", "add", NS_H), ("ip", "netns", "add", NS_C),
             ("ip", "link", "add", f"dh{tag}", "type", "veth", "peer", "name", f"dc{tag}"),
             ("ip", "link", "set", f"dh{tag}", "netns", NS_H),
             ("ip", "link", "set", f"dc{tag}", "netns", NS_C),
             ("ip", "-n", NS_H, "addr", "add", HIP + "/24", "dev", f"dh{tag}"),
             ("ip", "-n", NS_C, "addr", "add", CIP + "/24", "dev", f"dc{tag}"),
             ("ip", "-n", NS_H, "link", "set", f"dh{tag}", "up"),
             ("ip", "-n", NS_C, "link", "set", f"dc{tag}", "up"),
             ("ip", "-n", NS_H, "link", "set", "lo", "up"),
             ("ip", "-n", NS_C, "link", "set", "lo", "up")]
    err = None
    for s in steps:
        r = sh(*s)
        if r.returncode != 0:
            err = f"{' '.join(s)}: {r.stderr.strip()}"
            break
    try:
        if err:
            t.skip("netns: deploy across network namespaces", "cannot make namespaces: " + err)
        else:
            key, crt = os.path.join(T, "agent.key"), os.path.join(T, "agent.pem")
            r = sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt, "-subj",
                   "/CN=enarx host agent", "-days", "2", "-addext", f"subjectAltName=IP:{HIP}")
            os.chmod(key, 0o600)
            dn = H.Daemon(T, "ns-agent", addr=HIP, netns=NS_H, args=["--cert", crt, "--key", key])
            dn.cacert = crt
            try:
                checks(dn, "nil", netns=NS_C, tag="netns: ")
            finally:
                dn.proc.terminate()
                dn.proc.wait(timeout=30)
    finally:
        sh("ip", "netns", "del", NS_H)
        sh("ip", "netns", "del", NS_C)
t.done()
