# SPDX-License-Identifier: Apache-2.0
"""Helpers of the Steward e2e tests: start `enarx steward serve` on an
ephemeral loopback port with a temporary state folder, talk HTTPS to it
with the Steward CA as the only trust anchor, and build CSRs (Enarx's
evidence extensions) with python3-cryptography."""
import base64
import hashlib
import http.client
import json
import os
import signal
import ssl
import struct
import subprocess
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ObjectIdentifier

ENARX = os.environ.get("ENARX_BIN", "build/src/cli/enarx")
SHARED = os.environ.get("ENARX_SHARED", "../shared")
CSR_DIR = os.path.join(SHARED, "testdata", "attestation", "csr")
ARC = "2.25.142996706543598434036760381055650267065"
OID_KVM = "1.3.6.1.4.1.58270.1.1"
OID_SGX = "1.3.6.1.4.1.58270.1.2"
OID_SNP = "1.3.6.1.4.1.58270.1.3"


def require_big_arcs(tap_cls):
    """Skips the whole test where python3-cryptography cannot read Steward's
    certificates: before 42 its Rust ASN.1 parser refuses OID arcs above
    64 bits, and the claim extensions live under a 2.25.<UUID> arc."""
    import cryptography
    major = int(cryptography.__version__.split(".")[0])
    if major < 42:
        tap_cls.skip_all(f"python3-cryptography {cryptography.__version__} cannot parse OIDs with "
                         "2.25.<UUID> arcs (needs 42 or later)")


def sample(name):
    with open(os.path.join(CSR_DIR, name), "rb") as f:
        return f.read()


class Steward:
    """One `enarx steward serve` process."""

    def __init__(self, state, *args, env=None):
        self.state = state
        os.makedirs(state, exist_ok=True)
        self.errpath = os.path.join(state, f"serve-{time.monotonic_ns()}.err")
        self.err = open(self.errpath, "w+")
        e = dict(os.environ)
        e["ENARX_LOG"] = "info"
        if env:
            e.update(env)
        self.proc = subprocess.Popen(
            [ENARX, "steward", "serve", "--listen", "127.0.0.1:0", "--state", state, *args],
            stdout=subprocess.PIPE, stderr=self.err, text=True, env=e)
        self.info = {}
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("steward did not start: " + self.stderr())
            k, _, v = line.strip().partition(" ")
            self.info[k] = v
            if k == "ready":
                break
        self.port = int(self.info["port"])
        self.ca = os.path.join(state, "ca-cert.pem")
        self.ctx = ssl.create_default_context(cafile=self.ca)
        tok = self.info.get("token")
        self.token = open(tok).read().strip() if tok else None

    def stderr(self):
        self.err.flush()
        with open(self.errpath) as f:
            return f.read()

    def conn(self):
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=60)

    def request(self, method, path, body=None, headers=None, conn=None):
        c = conn or self.conn()
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        if conn is None:
            c.close()
        return r.status, hdrs, data

    def certify(self, csr, pem=False, conn=None):
        h = {"Content-Type": "application/pkcs10"}
        if pem:
            h["Accept"] = "application/pem-certificate-chain"
        return self.request("POST", "/", csr, h, conn)

    def owner(self, method, path, obj=None):
        h = {"Authorization": "Bearer " + self.token}
        body = None
        if obj is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(obj)
        return self.request(method, path, body, h)

    def release(self, name, obj):
        return self.request("POST", f"/v1/secrets/{name}/release", json.dumps(obj),
                            {"Content-Type": "application/json"})

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def split_der_chain(data):
    """DER SEQUENCE OF Certificate -> list of x509 certificates."""
    def tlv(b, off):
        n = b[off + 1]
        hl = 2
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(b[off + 2:off + 2 + k], "big")
            hl = 2 + k
        return hl, n

    hl, n = tlv(data, 0)
    assert data[0] == 0x30 and hl + n == len(data), "not one SEQUENCE"
    off, certs = hl, []
    while off < len(data):
        h, m = tlv(data, off)
        certs.append(x509.load_der_x509_certificate(data[off:off + h + m]))
        off += h + m
    return certs


def claim(cert, n):
    """Raw DER value of claim extension ARC.n, or None."""
    try:
        return cert.extensions.get_extension_for_oid(ObjectIdentifier(f"{ARC}.{n}")).value.value
    except x509.ExtensionNotFound:
        return None


def der_utf8(v):
    assert v[0] == 0x0C
    return der_body(v).decode()


def der_body(v):
    n = v[1]
    if n & 0x80:
        k = n & 0x7F
        return v[2 + k:]
    return v[2:]


def make_csr(key, ext_oid, ext_value):
    """A CSR with one Enarx evidence extension, signed by key."""
    b = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
    b = b.add_extension(x509.UnrecognizedExtension(ObjectIdentifier(ext_oid), ext_value),
                        critical=False)
    h = hashes.SHA384() if isinstance(key.curve, ec.SECP384R1) else hashes.SHA256()
    return b.sign(key, h).public_bytes(serialization.Encoding.DER)


def evidence_ext(csr_der):
    """(oid, value) of the evidence extension of a CSR."""
    csr = x509.load_der_x509_csr(csr_der)
    for e in csr.extensions:
        if e.oid.dotted_string.startswith("1.3.6.1.4.1.58270.1."):
            return e.oid.dotted_string, e.value.value
    raise ValueError("no evidence extension")


def spki(key):
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def kvm_evidence(report_data, measurement=b"\x11" * 48):
    """The 128-byte evidence of an Enarx KVM Keep (docs/kvm-keep.md)."""
    return b"ENXKVMv1" + struct.pack("<II", 1, 1) + measurement + report_data.ljust(64, b"\0")


def kvm_binding(key, nonce):
    return hashlib.sha256(spki(key) + nonce).digest()


def b64(b):
    return base64.b64encode(b).decode()


def write_key(key, path):
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    os.chmod(path, 0o600)


def load(srv, csrs, clients):
    """Posts every (csr, expected status) of csrs from `clients` threads, each
    on its own keep-alive connection. Returns (results, seconds) with one
    (status, expected, latency, body) per CSR, in no particular order."""
    import threading
    work = list(csrs)
    lock = threading.Lock()
    results = []

    def worker():
        conn = srv.conn()
        while True:
            with lock:
                if not work:
                    break
                csr, want = work.pop()
            t0 = time.perf_counter()
            try:
                code, _, body = srv.certify(csr, conn=conn)
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = srv.conn()
                code, body = -1, str(e).encode()
            dt = time.perf_counter() - t0
            with lock:
                results.append((code, want, dt, body))
        conn.close()

    t0 = time.perf_counter()
    ths = [threading.Thread(target=worker) for _ in range(clients)]
    [th.start() for th in ths]
    [th.join() for th in ths]
    return results, time.perf_counter() - t0


def cpu_seconds(pid):
    """User + system CPU seconds of pid and its reaped children, plus its
    live children (the signer)."""
    tck = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            pids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15]) / tck
        except OSError:
            pass
    return total


def lifetime(cert):
    """Seconds from notBefore to notAfter (cryptography 38 and later)."""
    nb = getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before
    na = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after
    return (na - nb).total_seconds()
