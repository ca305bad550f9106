#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The OCI runtime (enarx-oci) driven directly against hand-made bundles, the
way conmon and containerd's runc shim call it: create (the container process
forked, pid file, blocked until start), start, state, ps, pause/resume,
kill [--all], delete [--force] (twice: a gone container is success), exec
refused, --log JSON errors, --console-socket (a pty master over SCM_RIGHTS),
exit statuses (the workload's; signals as the signal), config.json's args,
env, bind mounts (read-only too), cgroupsPath and network namespace, the
image's Enarx.toml, and a bundle that is not wasm handed to runc. This test
is the container engine: a child subreaper that waits on the pid."""
import array
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.environ.get("ENARX_SRC", "."), "tests", "lib"))
from tap import Tap  # noqa: E402

BUILD = os.environ["ENARX_BUILD"]
OCI = os.environ.get("ENARX_OCI_BIN", os.path.join(BUILD, "src", "oci", "enarx-oci"))
ENARX = os.environ.get("ENARX_BIN", os.path.join(BUILD, "src", "cli", "enarx"))
EX = os.path.join(BUILD, "examples")
PR_SET_CHILD_SUBREAPER = 36

t = Tap()
if not os.path.exists(os.path.join(EX, "hello.wasm")):
    Tap.skip_all("examples not built (no wasm32-wasi clang)")
if os.geteuid() != 0:
    Tap.skip_all("an OCI runtime joins cgroups and namespaces: needs root")
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

tmp = tempfile.mkdtemp(prefix="enarx-e2e-oci.")
root = os.path.join(tmp, "state")
log = os.path.join(tmp, "runtime.log")
seq = [0]


def oci(*args, out=None, timeout=30):
    """Runs the runtime with --root/--log as an engine does; returns (status,
    stdout, stderr). With out (create), stdout and stderr go to that file as
    the container's stdio, which the container process keeps: never a pipe
    the caller would wait on."""
    seq[0] += 1
    o = out or os.path.join(tmp, f"call{seq[0]}.out")
    e = out or os.path.join(tmp, f"call{seq[0]}.err")
    with open(o, "ab") as fo, open(e, "ab") as fe:
        p = subprocess.run([OCI, "--root", root, "--log", log, "--log-format", "json", *args],
                           stdout=fo, stderr=fe, stdin=subprocess.DEVNULL, timeout=timeout)
    return p.returncode, open(o).read(), open(e).read()


def bundle(module, args=(), env=(), mounts=(), linux=None, annotations=None, files=None,
           terminal=False):
    """A bundle folder: rootfs with the module (and files), config.json."""
    seq[0] += 1
    b = os.path.join(tmp, f"b{seq[0]}")
    rootfs = os.path.join(b, "rootfs")
    os.makedirs(rootfs)
    shutil.copy(os.path.join(EX, module) if not os.path.isabs(module) else module,
                os.path.join(rootfs, "app"))
    for name, text in (files or {}).items():
        with open(os.path.join(rootfs, name), "w") as f:
            f.write(text)
    cfg = {"ociVersion": "1.0.2",
           "process": {"args": ["/app", *args], "env": list(env), "cwd": "/",
                       "terminal": terminal},
           "root": {"path": "rootfs"},
           "mounts": [{"destination": d, "type": "bind", "source": s,
                       "options": ["rbind", "ro" if ro else "rw"]} for d, s, ro in mounts],
           "linux": linux or {"namespaces": [{"type": "network"}]},
           "annotations": annotations or {}}
    with open(os.path.join(b, "config.json"), "w") as f:
        json.dump(cfg, f)
    return b


def create(b, cid, out, console=None):
    pidf = os.path.join(tmp, cid + ".pid")
    extra = ["--console-socket", console] if console else []
    rc, _, err = oci("create", "--bundle", b, "--pid-file", pidf, *extra, cid, out=out)
    pid = int(open(pidf).read()) if rc == 0 else 0
    return rc, pid, err


def status(cid):
    rc, out, _ = oci("state", cid)
    return json.loads(out)["status"] if rc == 0 else None


def wait(pid, timeout=30):
    """The engine's wait: exit code, or 128+N for signal N."""
    end = time.time() + timeout
    while time.time() < end:
        p, st = os.waitpid(pid, os.WNOHANG)
        if p == pid:
            return os.waitstatus_to_exitcode(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    return None


def run(b, cid):
    """create, start, wait, delete; returns (status, output)."""
    out = os.path.join(tmp, cid + ".out")
    rc, pid, err = create(b, cid, out)
    if rc != 0:
        return ("create failed", err)
    oci("start", cid)
    code = wait(pid)
    oci("delete", cid)
    return code, open(out, errors="replace").read()


# ---- life cycle ------------------------------------------------------------
b = bundle("hello.wasm")
out = os.path.join(tmp, "c1.out")
rc, pid, err = create(b, "c1", out)
t.ok(rc == 0 and pid > 0, "create writes the pid file of the container process", err)
t.ok(os.path.exists(f"/proc/{pid}"), "the container process lives after create exits")
t.eq(status("c1"), "created", "state after create: created")
st = json.loads(oci("state", "c1")[1])
t.ok(st["ociVersion"] and st["id"] == "c1" and st["pid"] == pid and
     st["bundle"] == os.path.realpath(b), "state is OCI JSON (ociVersion, id, pid, bundle)",
     json.dumps(st))
time.sleep(0.2)
t.eq(open(out).read(), "", "nothing runs before start")
t.eq(oci("start", "c1")[0], 0, "start")
t.eq(wait(pid), 0, "the container process exits with the workload's status (0)")
t.eq(open(out).read(), "Hello, world!\n", "the workload wrote to the container's stdout")
t.eq(status("c1"), "stopped", "state after the exit: stopped")
t.eq(oci("start", "c1")[0], 1, "start of a stopped container fails")
t.eq(oci("delete", "c1")[0], 0, "delete")
t.ok(not os.path.exists(os.path.join(root, "c1")), "delete removes the state folder")
rc, _, err = oci("delete", "c1")
t.ok(rc != 0 and "does not exist" in err, "delete of a gone container without --force fails",
     err)
t.eq(oci("delete", "--force", "c1")[0], 0, "delete --force of a gone container succeeds")

# ---- exit codes, arguments, environment ------------------------------------
code, text = run(bundle("exitcode.wasm", args=["7"]), "c2")
t.eq(code, 7, "exit code 7 of the workload is the container's")
code, text = run(bundle("args.wasm", args=["one", "two words"], env=["FOO=bar", "EMPTY="]),
                 "c3")
t.ok(code == 0 and "argv[1]=one\n" in text and "argv[2]=two words\n" in text,
     "process.args after the module are the workload's arguments", text)
t.ok("env: FOO=bar\n" in text and "env: EMPTY=\n" in text, "process.env is the workload's", text)
toml = 'args = ["from-toml"]\n[env]\nFROM_IMAGE = "yes"\nFOO = "image"\n'
code, text = run(bundle("args.wasm", args=["cli"], env=["FOO=bar"],
                        files={"Enarx.toml": toml}), "c4")
t.ok("argv[1]=from-toml\n" in text and "argv[2]=cli\n" in text and
     "env: FROM_IMAGE=yes\n" in text and "env: FOO=bar\n" in text,
     "the image's Enarx.toml next to the module is honoured (config.json env wins)", text)
code, text = run(bundle("trap.wasm"), "c5")
t.ok(code == 134 and "wasm trap" in text, "a trap is exit status 134 with the message", text)

# ---- bind mounts ------------------------------------------------------------
data = os.path.join(tmp, "data")
rodata = os.path.join(tmp, "rodata")
os.makedirs(data)
os.makedirs(rodata)
with open(os.path.join(rodata, "in.txt"), "w") as f:
    f.write("from the host")
mounts = [("/data", data, False), ("/ro", rodata, True)]
code, text = run(bundle("filetool.wasm", args=["write", "/data/out.txt", "from the keep"],
                        mounts=mounts), "c6")
t.ok(code == 0 and open(os.path.join(data, "out.txt")).read() == "from the keep",
     "a bind-mounted directory is writable in the Keep", text)
code, text = run(bundle("filetool.wasm", args=["read", "/ro/in.txt"], mounts=mounts), "c7")
t.ok(code == 0 and "from the host" in text, "a read-only bind mount can be read", text)
code, text = run(bundle("filetool.wasm", args=["write", "/ro/x", "no"], mounts=mounts), "c8")
t.ok(code != 0 and not os.path.exists(os.path.join(rodata, "x")),
     "a read-only bind mount refuses writes", text)
code, text = run(bundle("filetool.wasm", args=["read", "/motd"], files={"motd": "in the image"}),
                 "c9")
t.ok(code == 0 and "in the image" in text, "the image's rootfs is the workload's /", text)

# ---- signals, ps, pause, exec, delete --force ------------------------------
loop = os.path.join(tmp, "loop.wat")
with open(loop, "w") as f:
    f.write('(module (memory (export "memory") 1) (func (export "_start") (loop br 0)))\n')
subprocess.run(["wat2wasm", loop, "-o", loop + ".wasm"], check=False)
spin = loop + ".wasm"
if os.path.exists(spin):
    out = os.path.join(tmp, "s1.out")
    rc, pid, _ = create(bundle(spin), "s1", out)
    oci("start", "s1")
    time.sleep(0.3)
    t.eq(status("s1"), "running", "state of a started workload: running")
    rc, text, _ = oci("ps", "--format", "json", "s1")
    pids = json.loads(text) if rc == 0 else []
    t.ok(pid in pids and len(pids) >= 2, "ps --format json lists the container process and "
         "its Keep", text)
    t.eq(oci("pause", "s1")[0], 0, "pause")
    t.eq(status("s1"), "paused", "state: paused")
    stopped = all(open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[0] == "T"
                  for p in pids if os.path.exists(f"/proc/{p}/stat"))
    t.ok(stopped, "pause stops every process of the container")
    t.eq(oci("resume", "s1")[0], 0, "resume")
    t.eq(status("s1"), "running", "state: running again")
    rc, _, err = oci("exec", "--process", "/dev/null", "s1")
    t.ok(rc != 0 and "exec is not supported" in err, "exec is refused with a clear message",
         err)
    rc, _, err = oci("delete", "s1")
    t.ok(rc != 0 and "not stopped" in err, "delete of a running container fails", err)
    t.eq(oci("kill", "s1", "TERM")[0], 0, "kill TERM")
    t.eq(wait(pid), 128 + signal.SIGTERM, "a killed container exits as 128+SIGTERM")
    time.sleep(0.1)
    t.ok(all(not os.path.exists(f"/proc/{p}") or
             open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[0] == "Z"
             for p in pids), "no process of the container outlives it")
    rc, _, err = oci("kill", "s1", "KILL")
    t.ok(rc != 0 and "not running" in err, "kill of a stopped container: not running", err)
    oci("delete", "s1")
    rc, pid, _ = create(bundle(spin), "s2", os.path.join(tmp, "s2.out"))
    oci("start", "s2")
    t.eq(oci("kill", "--all", "s2", "9")[0], 0, "kill --all s2 9")
    t.eq(wait(pid), 137, "kill --all KILL: 137")
    oci("delete", "s2")
    rc, pid, _ = create(bundle(spin), "s3", os.path.join(tmp, "s3.out"))
    oci("start", "s3")
    t.eq(oci("delete", "--force", "s3")[0], 0, "delete --force of a running container")
    t.eq(wait(pid), 137, "which is killed")
    rc, pid, _ = create(bundle(spin), "s4", os.path.join(tmp, "s4.out"))
    t.eq(oci("kill", "s4", "SIGTERM")[0], 0, "kill of a created (not started) container")
    t.eq(wait(pid), 128 + signal.SIGTERM, "it ends by that signal before running")
    oci("delete", "s4")
else:
    t.skip("signals, ps, pause, exec", "no wat2wasm")

# ---- errors go to --log as JSON ---------------------------------------------
bad = os.path.join(tmp, "bad.wasm")
with open(bad, "wb") as f:
    f.write(b"\0asm\x01\0\0\0\x01\x04\x01\x60\x00")  # a type section cut short
open(log, "w").close()
rc, _, err = oci("create", "--bundle", bundle(bad), "--pid-file", os.path.join(tmp, "x.pid"),
                 "bad")
lines = [json.loads(x) for x in open(log).read().splitlines() if x.strip()]
t.ok(rc != 0 and "invalid WebAssembly module" in err, "an invalid module fails create, named",
     err)
t.ok(lines and lines[-1]["level"] == "error" and "invalid WebAssembly module" in
     lines[-1]["msg"], "the error is a JSON line in --log", lines)
t.ok(not os.path.exists(os.path.join(root, "bad")), "a failed create leaves no state")
with open(bad, "wb") as f:
    f.write(b"#!/bin/sh\necho hi\n")
rc, _, err = oci("create", "--bundle", bundle(bad, annotations={"run.oci.handler": "wasm"}),
                 "--pid-file", os.path.join(tmp, "y.pid"), "bad2")
t.ok(rc != 0 and "not a WebAssembly module" in err,
     "run.oci.handler=wasm on a non-module: a clear error, not runc", err)
rc, _, err = oci("frobnicate", "x")
t.ok(rc == 2 and "not supported" in err, "an unknown verb is a usage error", err)

# ---- console socket ----------------------------------------------------------
sock_path = os.path.join(tmp, "console.sock")
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path)
srv.listen(1)
got = {}


def console_server():
    conn, _ = srv.accept()
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(256, socket.CMSG_SPACE(4))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:4])
    got["fd"] = fds[0] if fds else None
    conn.close()


th = threading.Thread(target=console_server)
th.start()
rc, pid, err = create(bundle("isatty.wasm", terminal=True), "tty", os.path.join(tmp, "tty.out"),
                      console=sock_path)
th.join(10)
t.ok(rc == 0 and got.get("fd") is not None, "create sends a pty master over --console-socket",
     err)
if got.get("fd") is not None:
    oci("start", "tty")
    code = wait(pid)
    data = b""
    try:
        while True:
            chunk = os.read(got["fd"], 4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    t.ok(code == 0 and b"isatty 0=1 1=1 2=1\r\n" in data,
         "the workload's stdio is the terminal (isatty, CRLF)", data)
    oci("delete", "tty")

# ---- cgroups and the network namespace --------------------------------------
cg = f"/enarx-e2e-oci-{os.getpid()}"
rc, pid, err = create(bundle("hello.wasm", linux={
    "cgroupsPath": cg, "namespaces": [{"type": "network"}],
    "resources": {"memory": {"limit": 256 << 20}, "pids": {"limit": 64}}}), "cg",
    os.path.join(tmp, "cg.out"))
cgroups = open(f"/proc/{pid}/cgroup").read() if rc == 0 else err
t.ok(rc == 0 and f":{cg}\n" in cgroups, "the container process joins linux.cgroupsPath",
     cgroups)
mem = [p for p in ("/sys/fs/cgroup/memory" + cg + "/memory.limit_in_bytes",
                   "/sys/fs/cgroup" + cg + "/memory.max") if os.path.exists(p)]
t.ok(mem and int(open(mem[0]).read()) == 256 << 20, "the memory limit is set", mem)
t.ok(os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net"),
     "a network namespace without a path is a new one")
oci("start", "cg")
wait(pid)
oci("delete", "cg")
t.ok(not any(os.path.exists(m + cg) for m in ("/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids",
                                               "/sys/fs/cgroup/unified", "/sys/fs/cgroup")),
     "delete removes the cgroup")
nsfile = os.path.join(tmp, "netns")
open(nsfile, "w").close()
holder = subprocess.Popen(["unshare", "--net", "sleep", "30"])
time.sleep(0.2)
nspath = f"/proc/{holder.pid}/ns/net"
rc, pid, err = create(bundle("hello.wasm", linux={"namespaces": [{"type": "network",
                                                                     "path": nspath}]}),
                      "ns", os.path.join(tmp, "ns.out"))
t.ok(rc == 0 and os.readlink(f"/proc/{pid}/ns/net") == os.readlink(nspath),
     "the container process joins the network namespace at its path", err)
if rc == 0:
    oci("start", "ns")
    wait(pid)
    oci("delete", "ns")
holder.kill()
holder.wait()

# ---- backends -----------------------------------------------------------------
probe = subprocess.run([ENARX, "platform", "info"], capture_output=True, text=True).stdout
if "Backend kvm: usable" in probe:
    code, text = run(bundle("hello.wasm", annotations={"enarx.backend": "kvm"}), "kvm")
    t.ok(code == 0 and text == "Hello, world!\n", "annotation enarx.backend=kvm runs a KVM Keep",
         text)
else:
    t.skip("annotation enarx.backend=kvm", "kvm backend not usable here")
code, text = run(bundle("hello.wasm", annotations={"enarx.backend": "sgx"}), "sgx")
t.ok(code != 0 and "backend 'sgx'" in text,
     "a backend that cannot run here is named", text)

# ---- the same runtime as `enarx oci` -------------------------------------------
b = bundle("hello.wasm")
out = os.path.join(tmp, "eo.out")
with open(out, "wb") as f:
    rc = subprocess.run([ENARX, "oci", "--root", root, "create", "--bundle", b, "--pid-file",
                         os.path.join(tmp, "eo.pid"), "eo"], stdout=f, stderr=f).returncode
pid = int(open(os.path.join(tmp, "eo.pid")).read()) if rc == 0 else 0
subprocess.run([ENARX, "oci", "--root", root, "start", "eo"])
code = wait(pid) if pid else None
subprocess.run([ENARX, "oci", "--root", root, "delete", "eo"])
t.ok(code == 0 and open(out).read() == "Hello, world!\n", "enarx oci create/start/delete",
     open(out).read())
v = subprocess.run([ENARX, "oci", "--version"], capture_output=True, text=True).stdout
t.ok(v.startswith("enarx-oci version") and "spec: 1.0" in v, "enarx oci --version (as runc's)", v)
h = subprocess.run([ENARX, "help", "oci"], capture_output=True, text=True).stdout
t.ok("runc" in h and "orchestration.md" in h, "enarx help oci", h)

# ---- the hand-off keeps runc's arguments as given --------------------------------
fake = os.path.join(tmp, "fake-runc")
argsf = os.path.join(tmp, "fake-runc.args")
with open(fake, "w") as f:
    f.write(f'#!/bin/sh\nprintf "%s\\n" "$@" > {argsf}\nexit 0\n')
os.chmod(fake, 0o755)
sb = bundle("hello.wasm", annotations={"io.kubernetes.cri.container-type": "sandbox"})
argv = ["--root", root, "--log", log, "--log-format", "json", "create", "--bundle", sb,
        "--pid-file", os.path.join(tmp, "sb.pid"), "--no-pivot", "sb"]
rc = subprocess.run([OCI, *argv], env=dict(os.environ, ENARX_OCI_RUNC=fake)).returncode
got = open(argsf).read().splitlines() if os.path.exists(argsf) else []
t.ok(rc == 0 and got == argv, "a CRI sandbox (pause) container goes to runc with the same "
     "arguments, even if it were wasm", got)
os.unlink(argsf)
rc = subprocess.run([OCI, "--root", root, "kill", "--all", "sb", "KILL"],
                    env=dict(os.environ, ENARX_OCI_RUNC=fake)).returncode
got = open(argsf).read().splitlines() if os.path.exists(argsf) else []
t.ok(rc == 0 and got == ["--root", root, "kill", "--all", "sb", "KILL"],
     "a verb on an ID the runtime does not hold goes to runc", got)

# ---- not wasm: runc ---------------------------------------------------------------
runc = shutil.which("runc") or ("/usr/sbin/runc" if os.path.exists("/usr/sbin/runc") else None)
cc = shutil.which("cc")
if runc and cc:
    src = os.path.join(tmp, "native.c")
    with open(src, "w") as f:
        f.write('#include <stdio.h>\nint main(void){puts("native hello");return 3;}\n')
    native = os.path.join(tmp, "native")
    if subprocess.run([cc, "-static", "-o", native, src]).returncode == 0:
        nb = bundle(native)
        os.unlink(os.path.join(nb, "config.json"))
        subprocess.run([runc, "spec", "--bundle", nb], check=True)  # runc's own default
        cfg = json.load(open(os.path.join(nb, "config.json")))
        cfg["process"].update(terminal=False, args=["/app"])
        json.dump(cfg, open(os.path.join(nb, "config.json"), "w"))
        code, text = run(nb, "native")
        t.ok(code == 3 and text == "native hello\n", "a native bundle runs under runc", text)
        t.ok(not os.path.exists(os.path.join(root, "native", "enarx.json")),
             "runc keeps its own state for it")
        rc, _, err = oci("delete", "--force", "native")
        t.eq(rc, 0, "delete --force of a gone runc container goes to runc and succeeds")
    else:
        t.skip("a native bundle runs under runc", "no static libc for cc -static")
else:
    t.skip("a native bundle runs under runc", "runc or cc not installed")

shutil.rmtree(tmp, ignore_errors=True)
t.done()
