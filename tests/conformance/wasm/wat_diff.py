#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Text parser against wabt: for every top-level non-SIMD .wast file of
$ENARX_WASM_TESTSUITE, converts the file with wast2json ($ENARX_WAST2JSON
if set), extracts every plain text "(module ...)" (not "binary"/"quote"
modules) with its line, converts it with wat2bin (src/wat) and compares the
result to the .wasm wast2json wrote for the command on that line.

usage: wat_diff.py [--tap] [--only NAME,...] [-v] WAT2BIN

A module passes when the two binaries are byte-identical. When they differ
but decode to the same sections (same ids and payloads once LEB128 sizes
are decoded), it passes as "equivalent" and is listed. Last line (human
mode): "N identical, N equivalent, N differing"."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

# the suite's location and its file list are the spec runner's
from run_spec import suite_dir, wast_files


def top_forms(text):
    """Yields (start_offset, end_offset, line) of each parenthesized form at
    depth `want` while scanning; handles strings and both comment kinds."""
    i, n, line, depth = 0, len(text), 1, 0
    stack = []
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c == ";" and text.startswith(";;", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c == "(" and text.startswith("(;", i):
            lvl, i = 1, i + 2
            while i < n and lvl:
                if text.startswith("(;", i):
                    lvl, i = lvl + 1, i + 2
                elif text.startswith(";)", i):
                    lvl, i = lvl - 1, i + 2
                else:
                    line += text[i] == "\n"
                    i += 1
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif c == "(":
            stack.append((i, line))
            depth += 1
            i += 1
        elif c == ")":
            start, sline = stack.pop()
            depth -= 1
            i += 1
            yield start, i, sline, depth
        else:
            i += 1


def text_modules(path):
    """(line, text) of every "(module ...)" at depth 0 or 1 that is not a
    binary or quote module."""
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read()
    out = []
    for start, end, line, depth in top_forms(text):
        if depth > 1:
            continue
        form = text[start:end]
        head = form[1:].split(None, 3)
        if not head or head[0] != "module":
            continue
        rest = head[1:]
        if rest and rest[0].startswith("$"):
            rest = rest[1:]
        if rest and rest[0] in ("binary", "quote", "definition", "instance"):
            continue
        out.append((line, form))
    return out


def leb(b, i):
    v = shift = 0
    while True:
        x = b[i]
        i += 1
        v |= (x & 0x7F) << shift
        shift += 7
        if not x & 0x80:
            return v, i


def sections(b):
    """[(id, payload)] of a binary module; None if it does not split."""
    try:
        if b[:8] != b"\0asm\1\0\0\0":
            return None
        i, out = 8, []
        while i < len(b):
            sid = b[i]
            size, i = leb(b, i + 1)
            out.append((sid, b[i:i + size]))
            i += size
        return out if i == len(b) else None
    except IndexError:
        return None


class Out:
    def __init__(self, tap, verbose):
        self.tap, self.verbose = tap, verbose
        self.n = 0
        self.identical = self.equivalent = self.differing = 0
        self.notes = []

    def line(self, ok, desc, diag=None):
        if self.tap:
            self.n += 1
            print(f"{'ok' if ok else 'not ok'} {self.n} - {desc}")
            if diag:
                print(f"# {diag}")
        elif not ok or (diag and self.verbose):
            print(f"{'FAIL' if not ok else 'NOTE'} {desc}: {diag or ''}")


def compare(wat2bin, w2j, wast, tmp, out):
    name = os.path.basename(wast)
    base = os.path.join(tmp, name[:-5] + ".json")
    conv = subprocess.run([w2j, wast, "-o", base], capture_output=True, text=True)
    if conv.returncode != 0:
        out.differing += 1
        out.line(False, f"{name}: wast2json failed", conv.stderr.strip()[:200])
        return
    with open(base) as f:
        cmds = json.load(f)["commands"]
    by_line = {c["line"]: c for c in cmds
               if c.get("filename", "").endswith(".wasm")}
    for line, form in text_modules(wast):
        desc = f"{name}:{line}"
        cmd = by_line.get(line)
        if cmd is None:
            out.differing += 1
            out.line(False, desc, "no wast2json module for this line")
            continue
        src = os.path.join(tmp, "m.wat")
        dst = os.path.join(tmp, "m.wasm")
        with open(src, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(form)
        p = subprocess.run([wat2bin, src, dst], capture_output=True, text=True,
                           errors="replace")
        if p.returncode != 0:
            out.differing += 1
            out.line(False, desc, "wat2bin: " + p.stderr.strip().replace(src, "module"))
            continue
        with open(dst, "rb") as f:
            ours = f.read()
        with open(os.path.join(tmp, cmd["filename"]), "rb") as f:
            theirs = f.read()
        if ours == theirs:
            out.identical += 1
            out.line(True, desc)
            continue
        a, b = sections(ours), sections(theirs)
        if a is not None and a == b:
            out.equivalent += 1
            note = "equivalent after decoding section sizes (LEB padding)"
            out.notes.append(f"{desc}: {note}")
            out.line(True, desc, note)
            continue
        out.differing += 1
        why = "not a binary module"
        if a is not None and b is not None:
            ids_a, ids_b = [s[0] for s in a], [s[0] for s in b]
            if ids_a != ids_b:
                why = f"sections {ids_a} vs wabt {ids_b}"
            else:
                sid = next(x[0] for x, y in zip(a, b) if x != y)
                why = f"section {sid} differs"
        out.line(False, desc, f"{why} ({len(ours)} vs {len(theirs)} bytes)")


def main():
    argv = sys.argv[1:]
    tap = "--tap" in argv
    verbose = "-v" in argv
    argv = [a for a in argv if a not in ("--tap", "-v")]
    only = None
    if "--only" in argv:
        i = argv.index("--only")
        only = set(argv[i + 1].split(","))
        del argv[i:i + 2]
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    wat2bin = argv[0]
    d = suite_dir()
    if d is None:
        print("1..0 # SKIP ENARX_WASM_TESTSUITE not set")
        return 0
    w2j = os.environ.get("ENARX_WAST2JSON") or shutil.which("wast2json")
    if not w2j:
        print("1..0 # SKIP wast2json not found (set ENARX_WAST2JSON)")
        return 0
    files = wast_files(d, only)
    out = Out(tap, verbose)
    print(f"# wat_diff: {len(files)} files of {d}, wast2json {w2j}")
    for f in files:
        tmp = tempfile.mkdtemp(prefix="enarx-watdiff-")
        try:
            compare(wat2bin, w2j, f, tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    for note in out.notes:
        print(f"# equivalent: {note}")
    summary = (f"{out.identical} identical, {out.equivalent} equivalent, "
               f"{out.differing} differing")
    if tap:
        print(f"# {summary}")
        print(f"1..{out.n}")
        return 0
    print(summary)
    return 1 if out.differing else 0


if __name__ == "__main__":
    sys.exit(main())
