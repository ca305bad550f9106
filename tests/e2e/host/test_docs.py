# SPDX-License-Identifier: Apache-2.0
# Runs the shell examples of docs/host-api.md, in order and in one shell,
# against a fresh agent, and checks what they print.
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostlib as H  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
tmp = tempfile.TemporaryDirectory(prefix="enarx-host-docs-")
with open(os.path.join(H.SRC, "docs", "host-api.md")) as f:
    blocks = re.findall(r"```sh\n(.*?)```", f.read(), re.S)
t.ok(len(blocks) >= 5, f"docs/host-api.md has shell examples ({len(blocks)})")
d = H.Daemon(tmp.name, args=["--max-fuel", "10000000000", "--max-timeout", "1h"])
kvm, why = H.kvm_usable()
script = "set -euo pipefail\n"
for i, b in enumerate(blocks):
    script += b + f"\necho '### block {i} done'\n"
env = d.env(HOST=d.url, CACERT=d.cacert, HELLO=H.example("hello.wasm"),
            CAT=H.example("cat.wasm"), ENARX=H.ENARX, KVM="1" if kvm else "0")
work = os.path.join(tmp.name, "work")
os.makedirs(work)
r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, cwd=work,
                   timeout=300)
out = r.stdout
for i in range(len(blocks)):
    t.ok(f"### block {i} done" in out, f"example block {i} runs",
         diag=out[-800:] + r.stderr[-800:])
want = [
    ("exited\nHello, world!\n", "curl: create, wait, stdout"),
    ("to the Keep\n", "curl: stdin then followed stdout"),
    ('["exited",0]', "curl: the list shows states and exit codes"),
    ('["killed",137]\n204\n', "curl: kill, wait, delete"),
    ('"status":401', "curl: no credentials gives 401"),
    ('"status":404', "curl: an unknown id gives 404"),
    (" 80 00 00 00", "curl: the relay streams the Keep's frames (TEE, type 0x80, first)"),
    ("piped through\n", "enarx keep run with stdin"),
    ('["trapped",134,1000000,"all fuel consumed"]', "curl: limits.fuel ends the loop with a trap"),
    ("limit 'fuel': 20000000000 asked, this host allows at most 10000000000", "curl: over the "
     "agent's --max-fuel: the problem names the limit"),
    ('"status":429', "curl: ... with 429"),
    ('["none",null,"no TEE: this backend has no launch measurement",'
     '["cpu_system_us","cpu_user_us","max_rss_bytes","memory","wall_us"]]',
     "curl: nil: no measurement, the note, and the usage fields"),
]
for s, name in want:
    t.ok(s in out, name, diag=out[-1500:])
if kvm:
    t.ok("kvm measurement matches enarx measure" in out,
         "curl: the kvm Keep's measurement is enarx measure's", diag=out[-1500:])
else:
    t.skip("curl: the kvm Keep's measurement is enarx measure's", why)
t.eq(d.stop(), 0, "the agent exits 0")
t.done()
