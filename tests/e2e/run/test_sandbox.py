#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end checks of the nil sandbox with the real enarx binary: no
orphaned executor however early its parent is killed (300 SIGKILLs at random
instants, counted through a child subreaper so other tests' Keeps never
count), a cgroup per Keep (memory, pids; removed at the end, and those of
killed parents swept by the next run), uid 65534 with no capability when
root starts it (files it creates are that uid's), preopens of the host
itself refused without `unsafe = true`, a Keep that cannot start for lack of
descriptors says so, and `platform info` lists what the sandbox achieved."""
import ctypes
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ.get("ENARX_SRC", "."), "tests", "lib"))
from tap import Tap  # noqa: E402

ENARX = os.environ["ENARX_BIN"]
EX = os.path.join(os.environ["ENARX_BUILD"], "examples")
HELLO = os.path.join(EX, "hello.wasm")
PR_SET_CHILD_SUBREAPER = 36
KILLS = 300

t = Tap()
if not os.path.exists(HELLO):
    Tap.skip_all("examples not built (no wasm32-wasi clang)")
probe = subprocess.run([ENARX, "run", "--backend", "nil", HELLO], capture_output=True, text=True)
if "no executor image" in probe.stderr:
    Tap.skip_all("enarx built without the executor")

tmp = tempfile.mkdtemp(prefix="enarx-e2e-sandbox.")
loop = os.path.join(tmp, "loop.wat")
with open(loop, "w") as f:
    f.write('(module (memory (export "memory") 1) (func (export "_start") (loop br 0)))\n')


def executors_under_us():
    """Live processes reparented to this subreaper that run the executor."""
    found = []
    me = os.getpid()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
            fields = st[st.rindex(")") + 2:].split()
            state, ppid = fields[0], int(fields[1])
            if ppid != me or state == "Z":
                continue
            exe = os.readlink(f"/proc/{d}/exe")
        except (OSError, ValueError):
            continue
        if "enarx-exec" in exe:
            found.append(int(d))
    return found


def reap_strays():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def keep_of(pid):
    """The executor child of enarx process pid, or None."""
    try:
        for c in open(f"/proc/{pid}/task/{pid}/children").read().split():
            if "enarx-exec" in os.readlink(f"/proc/{c}/exe"):
                return int(c)
    except OSError:
        pass
    return None


# --- no orphans --------------------------------------------------------------
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    for name in ("parent killed while the Keep runs takes it along",
                 f"{KILLS} random early kills leave no executor"):
        t.skip(name, "cannot become a child subreaper")
else:
    # a Keep that is surely running: its parent's death ends it
    p = subprocess.Popen([ENARX, "run", "--backend", "nil", loop], stderr=subprocess.DEVNULL)
    keep, deadline = None, time.time() + 5
    while keep is None and time.time() < deadline:
        time.sleep(0.02)
        keep = keep_of(p.pid)
    p.kill()
    p.wait()
    gone = False
    for _ in range(100):
        if keep is None or not os.path.exists(f"/proc/{keep}") or \
                open(f"/proc/{keep}/stat").read().split(") ")[1][0] == "Z":
            gone = True
            break
        time.sleep(0.01)
    reap_strays()
    t.ok(keep is not None and gone, "parent killed while the Keep runs takes it along",
         diag=f"keep pid {keep}, gone {gone}")

    rng = random.Random(int(os.environ.get("ENARX_TEST_SEED", "0")) or None)
    start = time.time()
    for i in range(KILLS):
        # most in the first 4 ms (fork, sandbox set-up, exec), a few later
        delay = rng.uniform(0, 0.004) if i % 30 else rng.uniform(0.004, 0.05)
        p = subprocess.Popen([ENARX, "run", "--backend", "nil", loop],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        if i % 50 == 49:
            reap_strays()
    time.sleep(0.5)  # a dying Keep may take a moment to be reaped
    left = executors_under_us()
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    reap_strays()
    t.eq(len(left), 0, f"{KILLS} random early kills leave no executor "
                       f"({time.time() - start:.1f} s)")

# --- a cgroup per Keep ----------------------------------------------------------
def cgroup_dirs():
    """This process's group directory per hierarchy that a Keep would use."""
    mounts = {}
    for line in open("/proc/self/mountinfo"):
        pre, post = line.split(" - ")
        f, g = pre.split(), post.split()
        if g[0] == "cgroup2":
            mounts.setdefault("v2", (f[3], f[4]))
        elif g[0] == "cgroup":
            for c in ("memory", "pids"):
                if c in g[2].split(","):
                    mounts.setdefault(c, (f[3], f[4]))
    out = {}
    for line in open("/proc/self/cgroup"):
        hid, ctl, path = line.rstrip("\n").split(":", 2)
        keys = ["v2"] if hid == "0" and ctl == "" else [c for c in ctl.split(",") if c in mounts]
        for k in keys:
            if k in mounts:
                root, mnt = mounts[k]
                rel = path[len(root):] if root != "/" and path.startswith(root) else path
                out[k] = mnt + (rel if rel != "/" else "")
    return out


def leftovers():
    """Keep groups whose owner process is gone."""
    left = []
    for d in cgroup_dirs().values():
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for n in names:
            if n.startswith("enarx-keep-"):
                owner = int(n.split("-")[2])
                if not os.path.exists(f"/proc/{owner}"):
                    left.append(os.path.join(d, n))
    return left


def keep_status(pid):
    return {ln.split(":")[0]: ln.split(":", 1)[1].strip()
            for ln in open(f"/proc/{pid}/status") if ":" in ln}


info = subprocess.run([ENARX, "platform", "info"], capture_output=True, text=True).stdout
cg_line = next((ln for ln in info.splitlines() if "sandbox: cgroup" in ln), "")
if "one per Keep" not in cg_line:
    for name in ("the Keep is in its own cgroups", "its memory cgroup is the limit + 256 MiB",
                 "its pids cgroup caps tasks at 32",
                 "a Keep the kernel kills at its memory cgroup: exit 137, the limit named",
                 "... and the same workload runs under the default cap",
                 "its cgroups are removed when it ends",
                 "groups left by killed parents are swept"):
        t.skip(name, f"no cgroup per Keep here: {cg_line.strip()}")
else:
    p = subprocess.Popen([ENARX, "run", "--backend", "nil", "--memory", "1M", "--timeout", "30",
                          loop], stderr=subprocess.DEVNULL)
    keep, deadline = None, time.time() + 10
    while keep is None and time.time() < deadline:
        time.sleep(0.05)
        keep = keep_of(p.pid)
    groups = {}
    try:
        for line in open(f"/proc/{keep}/cgroup"):
            hid, ctl, path = line.rstrip("\n").split(":", 2)
            if "enarx-keep-" in path:
                groups["v2" if hid == "0" else ctl] = path
    except (OSError, TypeError):
        pass
    dirs = cgroup_dirs()
    t.ok(len(groups) > 0 and all(f"enarx-keep-{p.pid}-" in g for g in groups.values()),
         "the Keep is in its own cgroups", diag=str(groups))
    mine = {k: os.path.join(dirs[k if k in dirs else "v2"], os.path.basename(g))
            for k, g in groups.items()}
    dyn = "dynamically linked executor" in subprocess.run(
        [ENARX, "run", "--backend", "nil", HELLO], capture_output=True, text=True, timeout=60,
        env={**os.environ, "ENARX_LOG": "info"}).stderr
    if dyn:
        t.skip("its memory cgroup is the limit + 256 MiB",
               "sanitizer build (dynamic executor): memory not capped, as RLIMIT_DATA")
    elif "memory" in mine:
        lim = open(os.path.join(mine["memory"], "memory.limit_in_bytes")).read().strip()
        t.eq(lim, str(270532608), "its memory cgroup is the limit + 256 MiB")
    else:
        t.skip("its memory cgroup is the limit + 256 MiB", "no memory hierarchy")
    if "pids" in mine:
        t.eq(open(os.path.join(mine["pids"], "pids.max")).read().strip(), "32",
             "its pids cgroup caps tasks at 32")
    else:
        t.skip("its pids cgroup caps tasks at 32", "no pids hierarchy")
    # a cap below the engine's own limit (a test knob), so the kernel's OOM
    # killer is what stops the Keep: the error names the memory limit
    oom = os.path.join(tmp, "oom.wat")
    with open(oom, "w") as f:
        f.write('(module (memory (export "memory") 1) (func (export "_start")\n'
                ' (drop (memory.grow (i32.const 1535)))\n'
                ' (memory.fill (i32.const 0) (i32.const 1) (i32.const 100663296))))\n')
    name = "a Keep the kernel kills at its memory cgroup: exit 137, the limit named"
    if dyn:
        for n in (name, "... and the same workload runs under the default cap"):
            t.skip(n, "sanitizer build (dynamic executor): memory not capped")
    elif "memory" in mine:
        r = subprocess.run([ENARX, "run", "--backend", "nil", "--memory", "128M", oom],
                           capture_output=True, text=True, timeout=60,
                           env={**os.environ, "ENARX_NIL_CGROUP_MEMORY": str(32 << 20)})
        t.ok(r.returncode == 137 and "out of memory at its cgroup's cap of 32 MiB" in r.stderr,
             name, diag=f"exit {r.returncode}: {r.stderr}")
        r = subprocess.run([ENARX, "run", "--backend", "nil", "--memory", "128M", oom],
                           capture_output=True, text=True, timeout=60)
        t.ok(r.returncode == 0 and "out of memory" not in r.stderr,
             "... and the same workload runs under the default cap", diag=r.stderr)
    else:
        t.skip(name, "no memory hierarchy")
        t.skip("... and the same workload runs under the default cap", "no memory hierarchy")
    p.send_signal(signal.SIGINT)
    p.wait()
    reap_strays()
    t.ok(groups and not any(os.path.exists(d) for d in mine.values()),
         "its cgroups are removed when it ends", diag=str(mine))
    # the orphan hunt above killed parents before they could remove theirs:
    # the next enarx sweeps them
    subprocess.run([ENARX, "run", "--backend", "nil", HELLO], capture_output=True, timeout=60)
    left = leftovers()
    t.eq(len(left), 0, "groups left by killed parents are swept")

# --- an unprivileged uid ---------------------------------------------------------
if os.geteuid() != 0:
    for name in ("as root the Keep runs as uid 65534", "... with no capability",
                 "... and creates files as uid 65534 in a preopen it can write",
                 "a preopen out of its reach keeps uid 0, with a notice"):
        t.skip(name, "not root")
else:
    udir = tempfile.mkdtemp(prefix="enarx-e2e-uid.")
    os.chmod(udir, 0o755)
    wdir = os.path.join(udir, "w")
    os.mkdir(wdir)
    os.chmod(wdir, 0o777)
    cfg = os.path.join(udir, "Enarx.toml")
    with open(cfg, "w") as f:
        f.write(f'[[files]]\nkind = "stdin"\n[[files]]\nkind = "stdout"\n[[files]]\n'
                f'kind = "stderr"\n[[files]]\nkind = "dir"\nname = "w"\npath = "{wdir}"\n')
    # creates "made" in the preopen (fd 3), then spins
    mk = os.path.join(udir, "mk.wat")
    with open(mk, "w") as f:
        f.write('(module (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 '
                'i32 i32 i32 i64 i64 i32 i32) (result i32))) (memory (export "memory") 1) '
                '(data (i32.const 16) "made") (func (export "_start") (drop (call $open '
                '(i32.const 3) (i32.const 0) (i32.const 16) (i32.const 4) (i32.const 1) '
                '(i64.const 64) (i64.const 64) (i32.const 0) (i32.const 8))) (loop br 0)))\n')
    p = subprocess.Popen([ENARX, "run", "--backend", "nil", "--timeout", "30", "--wasmcfgfile",
                          cfg, mk], stderr=subprocess.DEVNULL)
    st, deadline = {}, time.time() + 10
    while time.time() < deadline:
        time.sleep(0.05)
        keep = keep_of(p.pid)
        if keep and os.path.exists(os.path.join(wdir, "made")):
            try:
                st = keep_status(keep)
            except OSError:
                pass
            break
    p.send_signal(signal.SIGINT)
    p.wait()
    reap_strays()
    t.eq(st.get("Uid", "").split(), ["65534"] * 4, "as root the Keep runs as uid 65534")
    t.ok(st.get("CapEff") == "0000000000000000" and st.get("CapPrm") == "0000000000000000" and
         st.get("Groups", "x") == "" and st.get("Gid", "").split() == ["65534"] * 4,
         "... with no capability", diag=f"{st.get('CapEff')} {st.get('Groups')!r}")
    made = os.path.join(wdir, "made")
    t.ok(os.path.exists(made) and os.stat(made).st_uid == 65534,
         "... and creates files as uid 65534 in a preopen it can write")
    os.chmod(wdir, 0o700)
    r = subprocess.run([ENARX, "run", "--backend", "nil", "--wasmcfgfile", cfg, HELLO],
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, "ENARX_LOG": "info"})
    t.ok(r.returncode == 0 and f"the preopened directory '{wdir}' is out of reach of uid 65534"
         in r.stderr, "a preopen out of its reach keeps uid 0, with a notice",
         diag=r.stderr[-300:])

# --- the host itself is not a preopen -------------------------------------------
STDIO = '[[files]]\nkind = "stdin"\n[[files]]\nkind = "stdout"\n[[files]]\nkind = "stderr"\n'


def run_with_dir(path, extra=""):
    cfg = os.path.join(tmp, "dir.toml")
    with open(cfg, "w") as f:
        f.write(STDIO + f'[[files]]\nkind = "dir"\npath = "{path}"\nname = "/h"\n{extra}')
    return subprocess.run([ENARX, "run", "--backend", "nil", "--wasmcfgfile", cfg, HELLO],
                          capture_output=True, text=True, timeout=60)


for path, what in (("/proc", "procfs"), ("/sys", "sysfs"), ("/dev", "devtmpfs"),
                   ("/", "the root directory")):
    if not os.path.isdir(path):
        t.skip(f"preopening {path} is refused", f"no {path} here")
        continue
    r = run_with_dir(path)
    t.ok(r.returncode != 0 and what in r.stderr and "unsafe = true" in r.stderr
         and "Hello" not in r.stdout, f"preopening {path} is refused, naming {what}",
         diag=f"rc {r.returncode} stderr {r.stderr!r}")
r = run_with_dir("/proc", "unsafe = true\n")
t.ok(r.returncode == 0 and "Hello, world!" in r.stdout, "/proc with unsafe = true is allowed",
     diag=f"rc {r.returncode} stderr {r.stderr!r}")
r = run_with_dir(tmp)
t.ok(r.returncode == 0 and "Hello, world!" in r.stdout, "an ordinary directory is allowed",
     diag=f"rc {r.returncode} stderr {r.stderr!r}")

# `enarx config check` makes the same refusal as `enarx run`
cfg = os.path.join(tmp, "dir.toml")
run_with_dir("/proc")  # writes dir.toml for /proc without unsafe
r = subprocess.run([ENARX, "config", "check", cfg], capture_output=True, text=True, timeout=60)
t.ok(r.returncode != 0 and "procfs" in r.stderr and "unsafe = true" in r.stderr,
     "config check refuses a /proc preopen", diag=f"rc {r.returncode} stderr {r.stderr!r}")
run_with_dir("/proc", "unsafe = true\n")
r = subprocess.run([ENARX, "config", "check", cfg], capture_output=True, text=True, timeout=60)
t.ok(r.returncode == 0 and ": ok" in r.stdout, "config check accepts /proc with unsafe = true",
     diag=f"rc {r.returncode} stdout {r.stdout!r} stderr {r.stderr!r}")

# --- a Keep that cannot start says why ---------------------------------------


def low_nofile():
    resource.setrlimit(resource.RLIMIT_NOFILE, (101, 101))


r = subprocess.run([ENARX, "run", "--backend", "nil", HELLO], capture_output=True, text=True,
                   preexec_fn=low_nofile, timeout=60)
want = "cannot start the Keep: too many open files (RLIMIT_NOFILE 101)"
t.ok(r.returncode != 0 and want in r.stderr, "under ulimit -n 101 the error names RLIMIT_NOFILE",
     diag=f"rc {r.returncode} stderr {r.stderr!r}")

# --- platform info ------------------------------------------------------------
r = subprocess.run([ENARX, "platform", "info"], capture_output=True, text=True, timeout=60)
for line in ("sandbox: namespaces", "sandbox: empty root", "sandbox: identity",
             "sandbox: seccomp", "sandbox: executable memory", "sandbox: landlock",
             "sandbox: limits", "sandbox: cgroup"):
    t.ok(f"[ok] {line}: " in r.stdout, f"platform info lists '{line}'", diag=r.stdout)

subprocess.run(["rm", "-rf", tmp])
if os.geteuid() == 0:
    subprocess.run(["rm", "-rf", udir])
t.done()
