# SPDX-License-Identifier: Apache-2.0
# The host agent between two machines: the test makes two network
# namespaces joined by a veth pair (the Keep host at 10.231.N.1, the client
# at 10.231.N.2), gives the agent a certificate for its address (made here
# with openssl), and runs `enarx keep` from the client namespace. Skips
# with the reason when namespaces cannot be made here.
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostlib as H  # noqa: E402
from tap import Tap  # noqa: E402

t = Tap()
tmp = tempfile.TemporaryDirectory(prefix="enarx-host-ns-")
T = tmp.name
tag = os.getpid() % 60000
NS_HOST, NS_CLIENT = f"enarx-h{tag}", f"enarx-c{tag}"
NET = 10 + os.getpid() % 200
HOST_IP, CLIENT_IP = f"10.231.{NET}.1", f"10.231.{NET}.2"


def sh(*cmd):
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)


def cleanup():
    sh("ip", "netns", "del", NS_HOST)
    sh("ip", "netns", "del", NS_CLIENT)


def setup():
    steps = [
        ("ip", "netns", "add", NS_HOST),
        ("ip", "netns", "add", NS_CLIENT),
        ("ip", "link", "add", f"vh{tag}", "type", "veth", "peer", "name", f"vc{tag}"),
        ("ip", "link", "set", f"vh{tag}", "netns", NS_HOST),
        ("ip", "link", "set", f"vc{tag}", "netns", NS_CLIENT),
        ("ip", "-n", NS_HOST, "addr", "add", HOST_IP + "/24", "dev", f"vh{tag}"),
        ("ip", "-n", NS_CLIENT, "addr", "add", CLIENT_IP + "/24", "dev", f"vc{tag}"),
        ("ip", "-n", NS_HOST, "link", "set", f"vh{tag}", "up"),
        ("ip", "-n", NS_CLIENT, "link", "set", f"vc{tag}", "up"),
        ("ip", "-n", NS_HOST, "link", "set", "lo", "up"),
        ("ip", "-n", NS_CLIENT, "link", "set", "lo", "up"),
    ]
    for s in steps:
        r = sh(*s)
        if r.returncode != 0:
            return f"{' '.join(s)}: {r.stderr.strip()}"
    return None


if os.geteuid() != 0:
    t.skip_all("network namespaces need root")
err = setup()
if err:
    cleanup()
    t.skip_all("cannot make network namespaces here: " + err)

try:
    # A certificate for the agent's address on the link.
    key, crt = os.path.join(T, "agent.key"), os.path.join(T, "agent.pem")
    r = sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", key, "-out", crt, "-subj", "/CN=enarx host agent", "-days", "2",
           "-addext", f"subjectAltName=IP:{HOST_IP}")
    os.chmod(key, 0o600)
    t.ok(r.returncode == 0, "a certificate for the agent's address", diag=r.stderr)
    d = H.Daemon(T, "agent", addr=HOST_IP, netns=NS_HOST, args=["--cert", crt, "--key", key])
    d.cacert = crt
    r = sh("ip", "netns", "exec", NS_CLIENT, "curl", "-sS", "--max-time", "5",
           f"https://127.0.0.1:{d.port}/v1/keeps")
    t.ok(r.returncode == 7, "the client namespace has no agent on its own loopback",
         diag=r.stderr)
    r = sh("ip", "netns", "exec", NS_HOST, "curl", "-sS", "--max-time", "5",
           f"https://127.0.0.1:{d.port}/v1/keeps")
    t.ok(r.returncode != 0, "the agent listens only on its link address, not loopback")
    r = d.keep("run", "--backend", "nil", H.example("hello.wasm"), netns=NS_CLIENT)
    t.ok(r.returncode == 0 and r.stdout == b"Hello, world!\n",
         "keep run from the client namespace", diag=r.stderr)
    r = d.keep("run", "--backend", "nil", H.example("cat.wasm"), stdin=b"across the link\n",
               netns=NS_CLIENT)
    t.ok(r.returncode == 0 and r.stdout == b"across the link\n",
         "stdin and stdout cross the link", diag=r.stderr)
    r = d.keep("run", "--backend", "nil", H.example("exitcode.wasm"), netns=NS_CLIENT)
    t.eq(r.returncode, 42, "the exit code crosses the link")
    r = d.keep("ls", "--json", netns=NS_CLIENT)
    lst = json.loads(r.stdout or b"[]")
    t.ok(r.returncode == 0 and len(lst) == 3 and
         sorted(k["exit_code"] for k in lst) == [0, 0, 42], "keep ls --json from the client",
         diag=r.stdout)
    r = d.keep("ls", netns=NS_CLIENT, env=d.env(ENARX_HOST_TOKEN="x" * 32))
    t.eq(r.returncode, 5, "a wrong token from the client namespace: 401 (exit 5)")
    r = d.keep("ls", netns=NS_CLIENT,
               env=d.env(ENARX_HOST_CACERT=os.path.join(d.state, "host-cert.pem")))
    t.eq(r.returncode, 1, "a CA that did not sign the agent's certificate: refused (exit 1)")
    t.eq(d.stop(), 0, "SIGTERM in the host namespace: exit 0")
finally:
    cleanup()
t.done()
