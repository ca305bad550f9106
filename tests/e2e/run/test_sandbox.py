#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end checks of the nil sandbox with the real enarx binary: no
orphaned executor however early its parent is killed (300 SIGKILLs at random
instants, counted through a child subreaper so other tests' Keeps never
count), preopens of the host itself refused without `unsafe = true`, a Keep
that cannot start for lack of descriptors says so, and `platform info` lists
what the sandbox achieved."""
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
             "sandbox: limits"):
    t.ok(f"[ok] {line}: " in r.stdout, f"platform info lists '{line}'", diag=r.stdout)

subprocess.run(["rm", "-rf", tmp])
t.done()
