#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Spec conformance driver: converts every core .wast file of the testsuite
in $ENARX_WASM_TESTSUITE with wast2json ($ENARX_WAST2JSON if set) into a
temporary folder and runs spec_runner on it.

usage: run_spec.py [--tap] [--only NAME,...] SPEC_RUNNER

SIMD files (simd_*.wast and the simd/ folder) and proposal folders are not
run: only the top-level *.wast files of the suite folder are. Human output:
per-file counts, then "N passed, N failed" as the last line. With --tap, one
TAP line per command (meson's conformance suite)."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

TIMEOUT = int(os.environ.get("ENARX_SPEC_TIMEOUT", "600"))


def suite_dir():
    d = os.environ.get("ENARX_WASM_TESTSUITE")
    if not d:
        return None
    for cand in (d, os.path.join(d, "test", "core")):
        if glob.glob(os.path.join(cand, "*.wast")):
            return cand
    return d


def wast_files(d, only):
    files = sorted(glob.glob(os.path.join(d, "*.wast")))
    files = [f for f in files if not os.path.basename(f).startswith("simd_")]
    if only:
        files = [f for f in files if os.path.basename(f)[:-5] in only]
    return files


class Out:
    def __init__(self, tap):
        self.tap = tap
        self.n = 0
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def line(self, ok, desc, diag=None, skip=None):
        if skip is not None:
            self.skipped += 1
        elif ok:
            self.passed += 1
        else:
            self.failed += 1
        if self.tap:
            self.n += 1
            s = "ok" if ok else "not ok"
            tail = f" # SKIP {skip}" if skip is not None else ""
            print(f"{s} {self.n} - {desc}{tail}")
            if diag:
                print(f"# {diag}")
        elif not ok:
            print(f"FAIL {desc}: {diag or ''}")


TAP_RE = re.compile(r"^(not ok|ok) \d+ - (.*?)(?: # SKIP (.*))?$")
COUNT_RE = re.compile(r"^(?:# )?(\S+): (\d+) passed, (\d+) failed, (\d+) skipped$")


def run_one(runner, w2j, wast, out):
    name = os.path.basename(wast)
    tmp = tempfile.mkdtemp(prefix="enarx-spec-")
    try:
        base = os.path.join(tmp, name[:-5] + ".json")
        conv = subprocess.run([w2j, wast, "-o", base], capture_output=True,
                              text=True, timeout=TIMEOUT)
        if conv.returncode != 0:
            err = (conv.stderr.strip().splitlines() or ["?"])[0]
            out.line(False, f"{name}: wast2json failed", err)
            if not out.tap:
                print(f"{name}: 0 passed, 1 failed, 0 skipped (not converted)")
            return
        args = [runner] + (["--tap"] if out.tap else []) + [base]
        try:
            p = subprocess.run(args, capture_output=True, text=True,
                               timeout=TIMEOUT, errors="replace")
        except subprocess.TimeoutExpired:
            out.line(False, f"{name}: runner timed out after {TIMEOUT} s")
            return
        seen = False
        pending = None
        for ln in p.stdout.splitlines():
            m = TAP_RE.match(ln) if out.tap else None
            if m:
                ok = m.group(1) == "ok"
                out.line(ok, m.group(2), None, m.group(3))
                continue
            c = COUNT_RE.match(ln)
            if c:
                seen = True
                print(f"{'# ' if out.tap else ''}{c.group(1)}: {c.group(2)} passed, "
                      f"{c.group(3)} failed, {c.group(4)} skipped")
                if not out.tap:
                    out.passed += int(c.group(2))
                    out.failed += int(c.group(3))
                    out.skipped += int(c.group(4))
                continue
            if out.tap and ln.startswith("# ") and not re.match(r"# \d+ (passed|skipped)", ln):
                print(ln)
            elif not out.tap and ln.startswith("FAIL "):
                print(ln)
        if p.returncode < 0 or not seen:
            sig = -p.returncode if p.returncode < 0 else 0
            tail = (p.stderr.strip().splitlines() or [""])[-1]
            out.line(False, f"{name}: runner died (signal {sig}, exit {p.returncode})", tail)
            if not out.tap:
                print(f"{name}: runner died (signal {sig}) after partial results")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    argv = sys.argv[1:]
    tap = "--tap" in argv
    argv = [a for a in argv if a != "--tap"]
    only = None
    if "--only" in argv:
        i = argv.index("--only")
        only = set(argv[i + 1].split(","))
        del argv[i:i + 2]
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    runner = argv[0]
    d = suite_dir()
    if d is None:
        print("1..0 # SKIP ENARX_WASM_TESTSUITE not set")
        return 0
    w2j = os.environ.get("ENARX_WAST2JSON") or shutil.which("wast2json")
    if not w2j:
        print("1..0 # SKIP wast2json not found (set ENARX_WAST2JSON)")
        return 0
    files = wast_files(d, only)
    if not files:
        print(f"1..0 # SKIP no .wast files in {d}")
        return 0 if tap else 1
    ver = subprocess.run([w2j, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"# suite {d} ({len(files)} files), wast2json {w2j} {ver}")
    out = Out(tap)
    for f in files:
        run_one(runner, w2j, f, out)
    if out.skipped:
        print(f"# {out.skipped} skipped")
    if tap:
        print(f"# {out.passed} passed, {out.failed} failed")
        print(f"1..{out.n}")
        return 0
    print(f"{out.passed} passed, {out.failed} failed")
    return 1 if out.failed else 0


if __name__ == "__main__":
    sys.exit(main())
