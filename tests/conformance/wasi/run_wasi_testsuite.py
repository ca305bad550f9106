#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs the official WASI testsuite (WebAssembly/wasi-testsuite, branch
prod/testsuite-base: prebuilt C, Rust and AssemblyScript preview1 tests in
tests/*/testsuite/wasm32-wasip1/) under `enarx run`, one TAP line per test.

The suite is found through ENARX_WASI_TESTSUITE (skipped when unset). Each
test's JSON gives args, env, a directory to preopen as "/" (copied to a
temporary directory first, as the upstream runner does), and the expected
exit code, stdout and stderr. The backend is ENARX_TEST_BACKEND (default
nil). Tests whose expected failure is explained in KNOWN are reported as
TODO (still counted, never hidden)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ.get("ENARX_SRC", "."), "tests", "lib"))
from tap import Tap  # noqa: E402

# name -> reason, for failures understood and accepted (see docs/wasi.md)
ENV_WHY = ("Enarx semantics: the environment always carries FD_COUNT and "
           "FD_NAMES besides [env], so exact environment counts differ")
KNOWN = {
    "assemblyscript/environ_get-multiple-variables": ENV_WHY,
    "assemblyscript/environ_sizes_get-multiple-variables": ENV_WHY,
    "assemblyscript/environ_sizes_get-no-variables": ENV_WHY,
}


def toml_str(s):
    return json.dumps(s)  # a JSON string is a valid TOML basic string


def write_config(path, cfg, root):
    lines = ["args = [%s]" % ", ".join(toml_str(a) for a in cfg.get("args", []))]
    lines.append("[env]")
    for k, v in cfg.get("env", {}).items():
        lines.append("%s = %s" % (toml_str(k), toml_str(v)))
    for kind in ("stdin", "stdout", "stderr"):
        lines += ["[[files]]", 'kind = "%s"' % kind]
    if root:
        lines += ["[[files]]", 'kind = "dir"', "path = %s" % toml_str(root),
                  'name = "/"']
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def run_one(enarx, backend, wasm, tmp):
    cfg = {}
    js = wasm[:-5] + ".json"
    if os.path.exists(js):
        with open(js) as f:
            cfg = json.load(f)
    if "operations" in cfg:
        return None, "uses the newer 'operations' test format"
    root = None
    if cfg.get("root"):
        src = os.path.join(os.path.dirname(wasm), cfg["root"])
        root = os.path.join(tmp, "root")
        shutil.copytree(src, root, symlinks=True)
    toml = os.path.join(tmp, "Enarx.toml")
    write_config(toml, cfg, root)
    try:
        p = subprocess.run([enarx, "run", "--backend", backend, "--wasmcfgfile",
                            toml, wasm], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=120, cwd=tmp)
    except subprocess.TimeoutExpired:
        return False, "timed out"
    problems = []
    want = cfg.get("exit_code", 0)
    if p.returncode != want:
        problems.append("exit code %d, want %d" % (p.returncode, want))
    for stream, got in (("stdout", p.stdout), ("stderr", p.stderr)):
        if stream in cfg and got.decode(errors="replace") != cfg[stream]:
            problems.append("%s %r, want %r" % (stream, got[:200], cfg[stream][:200]))
    if problems:
        problems.append("stderr: " + p.stderr.decode(errors="replace")[:600])
    return not problems, "\n".join(problems)


def main():
    t = Tap()
    suite = os.environ.get("ENARX_WASI_TESTSUITE")
    if not suite:
        Tap.skip_all("ENARX_WASI_TESTSUITE not set (a checkout of "
                     "WebAssembly/wasi-testsuite, branch prod/testsuite-base)")
    enarx = os.environ["ENARX_BIN"]
    backend = os.environ.get("ENARX_TEST_BACKEND", "nil")
    rev = subprocess.run(["git", "-C", suite, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip() or "unknown"
    tests = []
    for lang in sorted(os.listdir(os.path.join(suite, "tests"))):
        d = os.path.join(suite, "tests", lang, "testsuite", "wasm32-wasip1")
        if os.path.isdir(d):
            tests += [os.path.join(d, n) for n in sorted(os.listdir(d)) if n.endswith(".wasm")]
    if not tests:
        Tap.skip_all("no wasm32-wasip1 tests under %s/tests" % suite)
    passed = failed = skipped = 0
    for wasm in tests:
        lang = wasm.split(os.sep)[-4]
        name = "%s/%s" % (lang, os.path.basename(wasm)[:-5])
        with tempfile.TemporaryDirectory(prefix="enarx-wasi-ts-") as tmp:
            ok, why = run_one(enarx, backend, wasm, tmp)
        if ok is None:
            t.skip(name, why)
            skipped += 1
        elif not ok and name in KNOWN:
            t.n += 1
            print("not ok %d - %s # TODO %s" % (t.n, name, KNOWN[name]), flush=True)
            failed += 1
        else:
            t.ok(ok, name, diag=why)
            passed += ok
            failed += not ok
    print("# wasi-testsuite %s (prod/testsuite-base), backend %s: %d passed, "
          "%d failed, %d skipped" % (rev, backend, passed, failed, skipped), flush=True)
    t.done()


if __name__ == "__main__":
    main()
