#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Counts every test case of every layer from meson's test log.

Each registered test speaks TAP; every `ok`/`not ok` line is one case
(`# SKIP` makes it skipped, `# TODO` failures are not failures). A test whose
process failed without reporting a failed case (crash, timeout, bad plan)
adds one failure, shown with the tail of its output. A failed case is shown
with its TAP diagnostics (the `#` lines after it, at most DIAG_LINES).
Prints a per-suite table and, last, the line `N passed, N failed, N skipped`.
"""
import json
import re
import sys

DIAG_LINES = 12  # of each failed case's diagnostics, shown in the summary
DIAG_WIDTH = 300
OK = re.compile(r"^(not )?ok\b(?:\s+\d+)?\s*(?:-\s*)?(.*)$")


def count_tap(text):
    passed = failed = skipped = 0
    plan_skip = None
    failures = []
    diag = None  # the "# ..." lines after the last failed case
    for line in text.splitlines():
        if diag is not None and line.startswith("#"):
            if len(diag) < DIAG_LINES:
                diag.append(line[:DIAG_WIDTH])
            continue
        diag = None
        m = re.match(r"^1\.\.0\b.*#\s*SKIP\b\s*(.*)", line, re.I)
        if m:
            plan_skip = m.group(1).strip() or "skipped"
            continue
        m = OK.match(line)
        if not m:
            continue
        desc = m.group(2)
        directive = re.search(r"#\s*(SKIP|TODO)\b", desc, re.I)
        if directive and directive.group(1).upper() == "SKIP":
            skipped += 1
        elif m.group(1):
            if directive:  # TODO: expected failure
                continue
            failed += 1
            diag = []
            failures.append((desc, diag))
        else:
            passed += 1
    return passed, failed, skipped, plan_skip, failures


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "build/meson-logs/testlog.json"
    suites = {}
    total = [0, 0, 0]
    problems = []
    try:
        lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    except OSError as e:
        print(f"test-summary: cannot read {path}: {e}")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    for raw in lines:
        if not raw.strip():
            continue
        t = json.loads(raw)
        name = t["name"]
        suite = name.split(" / ")[0].split(":")[-1] if " / " in name else "?"
        result = t.get("result", "")
        p, f, s, plan_skip, failures = count_tap(t.get("stdout", "") or "")
        if result in ("FAIL", "TIMEOUT", "ERROR", "UNEXPECTEDPASS") and f == 0:
            f = 1
            out = t.get("stderr") or t.get("stdout") or ""
            tail = out.splitlines()[-DIAG_LINES:]
            failures.append((f"{result.lower()} (exit {t.get('returncode')})",
                             ["# " + ln[:DIAG_WIDTH] for ln in tail]))
        if p + f + s == 0:
            if plan_skip is not None or result == "SKIP":
                s = 1
                problems.append(f"SKIP  {name}: {plan_skip or 'skipped'}")
            elif result == "OK":
                p = 1
        for d, lines in failures:
            problems.append(f"FAIL  {name}: {d}")
            problems.extend("      " + ln for ln in lines)
        acc = suites.setdefault(suite, [0, 0, 0])
        for i, v in enumerate((p, f, s)):
            acc[i] += v
            total[i] += v
    print()
    print(f"{'layer':<14}{'passed':>8}{'failed':>8}{'skipped':>9}")
    for suite in sorted(suites):
        p, f, s = suites[suite]
        print(f"{suite:<14}{p:>8}{f:>8}{s:>9}")
    if problems:
        print()
        for line in problems:
            print(line)
    print()
    print(f"{total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main())
