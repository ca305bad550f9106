# SPDX-License-Identifier: Apache-2.0
"""Minimal TAP producer for python3 end-to-end tests.

    from tap import Tap
    t = Tap()
    t.ok(cond, "name", diag="...")
    t.eq(got, want, "name")
    t.skip("name", "reason")
    t.done()            # prints the plan and exits non-zero on failure
"""
import sys


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        if cond:
            print(f"ok {self.n} - {name}", flush=True)
        else:
            self.failed += 1
            print(f"not ok {self.n} - {name}", flush=True)
            if diag:
                for line in str(diag).splitlines():
                    print(f"#   {line}", flush=True)
        return cond

    def eq(self, got, want, name):
        return self.ok(got == want, name, diag=f"got:  {got!r}\nwant: {want!r}")

    def skip(self, name, reason):
        self.n += 1
        print(f"ok {self.n} - {name} # SKIP {reason}", flush=True)

    @staticmethod
    def skip_all(reason):
        print(f"1..0 # SKIP {reason}", flush=True)
        sys.exit(0)

    def done(self):
        print(f"1..{self.n}", flush=True)
        sys.exit(1 if self.failed else 0)
