#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""containerd running wasm32-wasi images in Keeps through enarx-oci: a
private containerd (its own config, sockets, root and state in a temporary
folder), images built by podman and moved with `podman save --format
oci-archive` + `ctr image import`, then `ctr run --runc-binary enarx-oci`
(output, arguments, exit codes, task ps/metrics from the joined cgroup,
pause/resume, kill), a native image handed to runc, an invalid module; and
the Kubernetes path: containerd's CRI API with a runtime handler `enarx`
(runtime_type io.containerd.runc.v2, BinaryName), driven by tests/e2e/oci/
cri.py as a kubelet would: the pod's pause container goes to runc, the wasm
container runs in a Keep. Debian's python3 (for python3-grpcio) runs it."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.environ.get("ENARX_SRC", "."), "tests", "lib"))
sys.path.insert(0, HERE)
from tap import Tap  # noqa: E402

BUILD = os.environ["ENARX_BUILD"]
OCI = os.environ.get("ENARX_OCI_BIN", os.path.join(BUILD, "src", "oci", "enarx-oci"))
EX = os.path.join(BUILD, "examples")
NS = f"enarx-e2e-{os.getpid()}"

t = Tap()
for tool in ("containerd", "ctr", "podman"):
    if not shutil.which(tool):
        Tap.skip_all(f"{tool} not installed (scripts/install-deps.sh)")
if os.geteuid() != 0:
    Tap.skip_all("a containerd of its own needs root")
if not os.path.exists(os.path.join(EX, "hello.wasm")):
    Tap.skip_all("examples not built (no wasm32-wasi clang)")
runc = shutil.which("runc") or "/usr/sbin/runc"

T = tempfile.mkdtemp(prefix="enarx-e2e-containerd.")
SOCK = os.path.join(T, "containerd.sock")
for d in ("cni", "runc", "cri-runc", "logs", "ctx"):
    os.makedirs(os.path.join(T, d))

# ---- podman, only to build and save images ----------------------------------
with open(os.path.join(T, "containers.conf"), "w") as f:
    f.write(f'[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n'
            f'[network]\nnetwork_config_dir = "{T}/cni"\n'
            f'[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
            f'events_logfile_path = "{T}/events.log"\ntmp_dir = "{T}/podman-tmp"\n')
with open(os.path.join(T, "storage.conf"), "w") as f:
    f.write(f'[storage]\ndriver = "vfs"\ngraphroot = "{T}/podman-root"\n'
            f'runroot = "{T}/podman-runroot"\n')
penv = dict(os.environ, CONTAINERS_CONF=os.path.join(T, "containers.conf"),
            CONTAINERS_STORAGE_CONF=os.path.join(T, "storage.conf"))


def podman(*args):
    return subprocess.run(["podman", "--root", f"{T}/podman-root", "--runroot",
                           f"{T}/podman-runroot", *args], env=penv, capture_output=True,
                          text=True)


def ctr(*args, ns=NS, timeout=60):
    return subprocess.run(["ctr", "-a", SOCK, "-n", ns, *args], capture_output=True, text=True,
                          timeout=timeout)


def image(name, files, entry, platform="wasi/wasm32", annotation=True):
    """Builds localhost/NAME from FROM scratch and imports it (oci-archive)."""
    ctx = os.path.join(T, "ctx", name)
    os.makedirs(ctx)
    for dst, src in files.items():
        shutil.copy(src, os.path.join(ctx, dst))
    with open(os.path.join(ctx, "Containerfile"), "w") as f:
        f.write(f"FROM scratch\nCOPY {' '.join(files)} /\nENTRYPOINT {json.dumps(entry)}\n")
    extra = ["--annotation", "module.wasm.image/variant=compat"] if annotation else []
    b = podman("build", "--quiet", "--platform", platform, *extra, "-t", f"localhost/{name}", ctx)
    archive = os.path.join(T, name + ".tar")
    s = podman("save", "--format", "oci-archive", "-o", archive, f"localhost/{name}")
    ok = b.returncode == 0 and s.returncode == 0
    for ns in (NS, "k8s.io"):
        i = ctr("images", "import", "--platform", platform, "--base-name", f"localhost/{name}",
                archive, ns=ns)
        ok = ok and i.returncode == 0
    return ok, b.stderr + s.stderr


def sealed_case():
    """ctr run of a Steward-sealed image (docs/orchestration.md "Encrypted
    images"): a real Steward on loopback holds the key; a KVM Keep gets it,
    a nil Keep (no evidence) does not and ctr shows why."""
    enarx = os.environ["ENARX_BIN"]
    kvm = "Backend kvm: usable" in subprocess.run([enarx, "platform", "info"],
                                                  capture_output=True, text=True).stdout
    st = os.path.join(T, "steward")
    pol = os.path.join(T, "steward-policy.toml")
    with open(pol, "w") as f:
        f.write('tee = ["kvm"]\nallow_insecure = true\n')
    out = open(os.path.join(T, "steward.out"), "w+")
    stw = subprocess.Popen([enarx, "steward", "serve", "--state", st, "--listen", "127.0.0.1:0",
                            "--policy", pol], stdout=out, stderr=subprocess.STDOUT)
    try:
        text = ""
        for _ in range(300):
            out.seek(0)
            text = out.read()
            if "\nready" in text or stw.poll() is not None:
                break
            time.sleep(0.1)
        port = [ln.split()[1] for ln in text.splitlines() if ln.startswith("port ")]
        if "\nready" not in text or not port:
            t.skip("ctr run of an encrypted image", "Steward did not start: " + text[-200:])
            return
        url = f"https://127.0.0.1:{port[0]}"
        spkg = os.path.join(T, "app.spkg")
        b = subprocess.run([enarx, "package", "build", "-o", spkg, "--for-steward", url,
                            "--secret-name", "ctr-key", "--steward-ca",
                            os.path.join(st, "ca-cert.pem"), "--steward-token",
                            os.path.join(st, "owner-token"), "--release-policy",
                            '{"tee": ["kvm"], "allow_insecure": true}', "--env", "FROM=sealed",
                            os.path.join(EX, "args.wasm")], capture_output=True, text=True)
        ok, err = image("sealed", {"app.spkg": spkg}, ["/app.spkg"])
        t.ok(b.returncode == 0 and ok, "an image of a Steward-sealed package imports with ctr",
             b.stderr + err)
        run = ["run", "--snapshotter", "native", "--platform", "wasi/wasm32", "--runc-binary",
               OCI, "--runc-root", os.path.join(T, "runc"), "--net-host", "--rm"]
        r = ctr(*run, "--annotation", "enarx.backend=nil", "localhost/sealed:latest", "s0")
        t.ok(r.returncode != 0 and "no TEE and no evidence (nil backend)" in r.stderr,
             "ctr run: a nil Keep does not get the key and says why", r.stdout + r.stderr)
        if not kvm:
            t.skip("ctr run: a KVM Keep gets the key and runs the package",
                   "kvm backend not usable here")
            return
        r = ctr(*run, "--annotation", "enarx.backend=kvm", "localhost/sealed:latest", "s1")
        t.ok(r.returncode == 0 and "env: FROM=sealed\n" in r.stdout,
             "ctr run: a KVM Keep gets the key from Steward and runs the package",
             r.stdout + r.stderr)
    finally:
        stw.terminate()
        stw.wait()
        out.close()


# ---- a private containerd -------------------------------------------------------
pause_c = os.path.join(T, "pause.c")
with open(pause_c, "w") as f:
    f.write("#include <signal.h>\n#include <unistd.h>\nstatic void quit(int s){_exit(0);}\n"
            "int main(void){signal(SIGTERM,quit);signal(SIGINT,quit);for(;;)pause();}\n")
pause_bin = os.path.join(T, "pause")
have_pause = subprocess.run(["cc", "-static", "-O2", "-o", pause_bin, pause_c]).returncode == 0
config = f'''version = 2
root = "{T}/root"
state = "{T}/state"
[grpc]
  address = "{SOCK}"
[ttrpc]
  address = "{T}/containerd-ttrpc.sock"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "{T}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "localhost/enarx-e2e-pause:latest"
  restrict_oom_score_adj = true
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    conf_dir = "{T}/cni"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "{T}/cri-runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.enarx]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.enarx.options]
        BinaryName = "{OCI}"
        Root = "{T}/cri-runc"
'''
with open(os.path.join(T, "config.toml"), "w") as f:
    f.write(config)
logf = open(os.path.join(T, "containerd.log"), "w")
daemon = subprocess.Popen(["containerd", "--config", os.path.join(T, "config.toml")],
                          stdout=logf, stderr=subprocess.STDOUT)


def shims():
    """The shims of this containerd (they carry its address)."""
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                cmd = open(f"/proc/{d}/cmdline", "rb").read().split(b"\0")
            except OSError:
                continue
            if cmd and b"containerd-shim" in cmd[0] and SOCK.encode() in b" ".join(cmd):
                found.append(int(d))
    return found


def stop_daemon():
    daemon.send_signal(signal.SIGTERM)
    try:
        daemon.wait(20)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()
    for pid in shims():
        os.kill(pid, signal.SIGKILL)
    logf.close()


for _ in range(100):
    if ctr("version", timeout=5).returncode == 0:
        break
    if daemon.poll() is not None:
        break
    time.sleep(0.1)
else:
    stop_daemon()
    Tap.skip_all("containerd did not start: " + open(os.path.join(T, "containerd.log")).read()[-300:])
if daemon.poll() is not None:
    Tap.skip_all("containerd exited: " + open(os.path.join(T, "containerd.log")).read()[-300:])

try:
    ok, err = image("hello", {"app.wasm": os.path.join(EX, "hello.wasm")}, ["/app.wasm"])
    t.ok(ok, "a wasi/wasm32 image saved by podman as oci-archive imports with ctr", err)
    image("exitcode", {"app.wasm": os.path.join(EX, "exitcode.wasm")}, ["/app.wasm"])
    image("args", {"app.wasm": os.path.join(EX, "args.wasm")}, ["/app.wasm"])
    loop = os.path.join(T, "loop.wasm")
    subprocess.run(["wat2wasm", "-o", loop, "-"], input=b'(module (memory (export "memory") 1)'
                   b' (func (export "_start") (loop br 0)))', check=False)
    have_loop = os.path.exists(loop) and image("loop", {"app.wasm": loop}, ["/app.wasm"])[0]
    bad = os.path.join(T, "bad.wasm")
    with open(bad, "wb") as f:
        f.write(b"\0asm\x01\0\0\0\x01\x04\x01\x60")
    image("bad", {"app.wasm": bad}, ["/app.wasm"])

    RUN = ["run", "--snapshotter", "native", "--platform", "wasi/wasm32", "--runc-binary", OCI,
           "--runc-root", os.path.join(T, "runc")]
    r = ctr(*RUN, "--rm", "localhost/hello:latest", "h1")
    t.eq((r.returncode, r.stdout), (0, "Hello, world!\n"),
         "ctr run --runc-binary enarx-oci: the workload's output")
    r = ctr(*RUN, "--rm", "localhost/exitcode:latest", "x1", "/app.wasm", "9")
    t.eq(r.returncode, 9, "the workload's exit code is ctr run's")
    r = ctr(*RUN, "--rm", "--env", "K8S=no", "localhost/args:latest", "a1", "/app.wasm", "x")
    t.ok("argv[1]=x\n" in r.stdout and "env: K8S=no\n" in r.stdout,
         "arguments and --env reach the workload", r.stdout + r.stderr)

    if have_loop:
        fg = subprocess.Popen(["ctr", "-a", SOCK, "-n", NS, *RUN, "localhost/loop:latest", "l1"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(100):
            if "RUNNING" in ctr("task", "ls").stdout:
                break
            time.sleep(0.1)
        tasks = ctr("task", "ls").stdout
        t.ok("l1" in tasks and "RUNNING" in tasks, "ctr task ls: RUNNING", tasks)
        ps = ctr("task", "ps", "l1").stdout.split()
        t.ok(len(ps) >= 4, "ctr task ps lists the container process and its Keep", ps)
        m = ctr("task", "metrics", "l1").stdout
        t.ok("pids.current" in m and "memory.usage_in_bytes" in m,
             "ctr task metrics reads the cgroup the Keep joined", m)
        ctr("task", "pause", "l1")
        t.ok("PAUSED" in ctr("task", "ls").stdout, "ctr task pause")
        ctr("task", "resume", "l1")
        t.ok("RUNNING" in ctr("task", "ls").stdout, "ctr task resume")
        ctr("task", "kill", "l1")
        try:
            fg.wait(20)
        except subprocess.TimeoutExpired:
            fg.kill()
        t.eq(fg.returncode, 143, "ctr task kill: SIGTERM, exit status 143")
        ctr("task", "delete", "l1")
        ctr("container", "delete", "l1")
    else:
        t.skip("ctr task ps/metrics/pause/kill", "no wat2wasm")

    r = ctr(*RUN, "--rm", "localhost/bad:latest", "b1")
    t.ok(r.returncode != 0 and "invalid WebAssembly module" in r.stderr,
         "an invalid module: ctr run fails with the runtime's message", r.stderr)

    native_c = os.path.join(T, "native.c")
    with open(native_c, "w") as f:
        f.write('#include <stdio.h>\nint main(void){puts("native hello");return 0;}\n')
    native = os.path.join(T, "native")
    if subprocess.run(["cc", "-static", "-o", native, native_c]).returncode == 0:
        image("native", {"native": native}, ["/native"], platform="linux/amd64", annotation=False)
        r = ctr("run", "--snapshotter", "native", "--runc-binary", OCI, "--runc-root",
                os.path.join(T, "runc"), "--rm", "localhost/native:latest", "n1")
        t.eq((r.returncode, r.stdout), (0, "native hello\n"),
             "a native image under enarx-oci is handed to runc")
    else:
        t.skip("a native image is handed to runc", "no static libc for cc -static")

    # ---- an encrypted image: a sealed package whose key Steward holds ---------------
    sealed_case()

    # ---- the CRI API: RuntimeClass handler "enarx" ----------------------------------
    try:
        import cri
        import grpc  # noqa: F401
    except ImportError as e:
        cri = None
        why = f"python3-grpcio not importable here ({e})"
    if cri is None:
        t.skip("CRI: a pod with runtime handler enarx", why)
    elif not have_pause:
        t.skip("CRI: a pod with runtime handler enarx", "no static libc to build a pause image")
    else:
        image("enarx-e2e-pause", {"pause": pause_bin}, ["/pause"], platform="linux/amd64",
              annotation=False)
        # Kubernetes pulls for the node's platform: the compat variant
        # (linux/amd64 with the annotation) is how wasm images reach it
        image("hello-k8s", {"app.wasm": os.path.join(EX, "hello.wasm")}, ["/app.wasm"],
              platform="linux/amd64")
        rt = cri.Runtime(SOCK)
        name, ver = rt.version()
        t.eq(name, "containerd", f"CRI Version: {name} {ver}")
        logs = os.path.join(T, "logs")
        sbc = rt.sandbox_config("wasm-pod", f"uid-{os.getpid()}", logs)
        pod = rt.run_pod(sbc, "enarx")
        t.ok(pod, "RunPodSandbox with runtime handler enarx (the pause container under runc)")
        t.ok(os.path.exists(os.path.join(T, "cri-runc", "k8s.io", pod, "state.json")),
             "the pause container was handed to runc (its state is runc's)")
        cid = rt.create_container(pod, sbc, "hello", "localhost/hello-k8s:latest",
                                  log_path="hello.log")
        rt.start_container(cid)
        state = None
        for _ in range(100):
            state = rt.container_status(cid)
            if state[0] == "EXITED":
                break
            time.sleep(0.1)
        t.eq(state[:2], ("EXITED", 0), "the wasm container ran to exit 0")
        log = open(os.path.join(logs, "hello.log")).read() if os.path.exists(
            os.path.join(logs, "hello.log")) else ""
        t.ok("stdout F Hello, world!" in log, "its output is in the pod's CRI log", log)
        rt.remove_container(cid)
        rt.stop_pod(pod)
        rt.remove_pod(pod)
        t.ok(not os.path.exists(os.path.join(T, "cri-runc", "k8s.io", pod)),
             "stopping and removing the pod leaves no runtime state")
finally:
    for ns in (NS, "k8s.io"):
        for c in ctr("containers", "ls", "-q", ns=ns).stdout.split():
            ctr("task", "kill", "-s", "KILL", c, ns=ns)
            ctr("task", "delete", "-f", c, ns=ns)
            ctr("containers", "delete", c, ns=ns)
    stop_daemon()
    podman("rmi", "-a", "-f")
    shutil.rmtree(T, ignore_errors=True)
t.done()
