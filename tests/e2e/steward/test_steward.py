# SPDX-License-Identifier: Apache-2.0
# End-to-end tests of `enarx steward`: real Steward processes on loopback
# (ephemeral ports, temporary state folders) certify or refuse the real
# Enarx CSRs of ../shared/testdata/attestation/csr exactly as SOURCES.md
# says (verification time fixed per sample with --at), their claims equal
# `enarx attest verify --json`, openssl reads and verifies the chains,
# tampered CSRs are refused with the named check, and the key broker
# releases secrets sealed to the Keep's key (opened here with that key).
# Usage: test_steward.py PATH/steward-keep-open
import base64
import json
import os
import sqlite3
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ.get("ENARX_SRC", "."), "tests", "lib"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import Tap  # noqa: E402
import stw  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402

KEEP_OPEN = sys.argv[1]
stw.require_big_arcs(Tap)
t = Tap()
tmp = tempfile.TemporaryDirectory(prefix="enarx-steward-")
T = tmp.name
servers = []

SNP = stw.sample("steward_snp_milan.csr.der")
XEON = stw.sample("steward_sgx_icelake_xeon.csr.der")
I5 = stw.sample("steward_sgx_icelake_i5.csr.der")


def serve(name, *args):
    s = stw.Steward(os.path.join(T, name), *args)
    servers.append(s)
    return s


def problem(data):
    try:
        return json.loads(data)
    except ValueError:
        return {}


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, **kw)


def verifier_claims(csr_path, at, policy=None):
    args = [stw.ENARX, "attest", "verify", "--json", "--at", at, csr_path]
    if policy:
        args[3:3] = ["--policy", policy]
    out = run(*args)
    return json.loads(out.stdout)["claims"]


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


try:
    # ---- CA: init, show-ca ----
    st = os.path.join(T, "init")
    r = run(stw.ENARX, "steward", "init", "--state", st)
    t.ok(r.returncode == 0 and "created CA" in r.stdout, "init creates a CA", r.stdout + r.stderr)
    mode = stat.S_IMODE(os.stat(os.path.join(st, "ca-key.pem")).st_mode)
    t.eq(oct(mode), oct(0o600), "CA key is mode 0600")
    r2 = run(stw.ENARX, "steward", "init", "--state", st)
    t.ok(r2.returncode == 0 and "existing CA" in r2.stdout, "init keeps an existing CA")
    r = run(stw.ENARX, "steward", "show-ca", "--state", st)
    fp = run("openssl", "x509", "-in", os.path.join(st, "ca-cert.pem"), "-noout", "-fingerprint",
             "-sha256").stdout.strip().split("=", 1)[1]
    t.ok(fp in r.stdout and "BEGIN CERTIFICATE" in r.stdout, "show-ca prints the fingerprint openssl computes and the PEM")
    r = run(stw.ENARX, "steward", "show-ca", "--state", os.path.join(T, "nothing"))
    t.ok(r.returncode == 1 and "no CA in" in r.stderr, "show-ca without a CA names the folder", r.stderr)
    os.chmod(os.path.join(st, "ca-key.pem"), 0o644)
    r = run(stw.ENARX, "steward", "show-ca", "--state", st)
    t.ok(r.returncode == 1 and "chmod 600" in r.stderr, "a CA key readable by others is refused", r.stderr)
    os.chmod(os.path.join(st, "ca-key.pem"), 0o600)

    # ---- SNP CSR at 2023-01-01 (SOURCES.md: verifies with its CRLs, binding holds) ----
    snp = serve("snp", "--at", "2023-01-01")
    t.ok(os.path.exists(snp.ca), "serve creates DIR/ca-cert.pem at first start")
    # privilege separation: the signer holds only 0-2 and its channel, under seccomp
    kids = open(f"/proc/{snp.proc.pid}/task/{snp.proc.pid}/children").read().split()
    t.eq(len(kids), 1, "serve runs one child, the signer")
    if kids:
        fds = sorted(int(x) for x in os.listdir(f"/proc/{kids[0]}/fd"))
        links = [os.readlink(f"/proc/{kids[0]}/fd/{x}") for x in fds if x > 2]
        t.ok(len(links) == 1 and links[0].startswith("socket:"),
             "the signer holds no descriptor but its channel", links)
        status = open(f"/proc/{kids[0]}/status").read()
        t.ok("\nSeccomp:\t2" in status and "\nNoNewPrivs:\t1" in status,
             "the signer runs under a seccomp filter with no_new_privs",
             [x for x in status.splitlines() if x.startswith(("Seccomp", "NoNewPrivs"))])
    code, hdr, body = snp.certify(SNP)
    t.eq(code, 200, "real SNP CSR certified at 2023-01-01")
    t.eq(hdr.get("content-type"), "application/pkix-cert", "DER answer media type")
    t.eq(hdr.get("enarx-verification-time"), "2023-01-01T00:00:00Z; fixed",
         "response says the verification time is fixed")
    chain = stw.split_der_chain(body) if code == 200 else []
    t.eq(len(chain), 2, "answer is a DER SEQUENCE OF two certificates (Keep, CA)")
    leaf = chain[0] if chain else None
    with open(snp.ca, "rb") as f:
        ca_pem = f.read()
    from cryptography import x509
    ca = x509.load_pem_x509_certificate(ca_pem)
    t.ok(len(chain) == 2 and chain[1] == ca, "second certificate is the CA")
    csr_key = x509.load_der_x509_csr(SNP).public_key()
    t.ok(leaf is not None and leaf.public_key() == csr_key, "certificate is for the CSR's key")
    pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    chain_pem = write(os.path.join(T, "snp-chain.pem"), pem.decode())
    r = run("openssl", "verify", "-CAfile", snp.ca, chain_pem)
    t.ok(r.returncode == 0 and ": OK" in r.stdout, "openssl verify accepts the chain", r.stdout + r.stderr)
    r = run("openssl", "x509", "-in", chain_pem, "-text", "-noout")
    t.ok(r.returncode == 0 and stw.ARC + ".2" in r.stdout and "Enarx Steward CA" in r.stdout,
         "openssl x509 -text reads the claim extensions", r.stderr)
    # claims equal the verifier's
    want = verifier_claims(os.path.join(stw.CSR_DIR, "steward_snp_milan.csr.der"), "2023-01-01")
    got = json.loads(stw.der_utf8(stw.claim(leaf, 1))) if leaf else None
    t.eq(got, want, "claims extension equals enarx attest verify --json claims")
    t.eq(stw.der_utf8(stw.claim(leaf, 2)), "snp", "claim tee = snp")
    t.ok("Milan" in stw.der_utf8(stw.claim(leaf, 3)) and "microcode=93" in stw.der_utf8(stw.claim(leaf, 3)),
         "claim tee-version names the product and TCB")
    t.eq(stw.der_body(stw.claim(leaf, 6)).hex(), want["snp"]["measurement"], "claim measurement = report MEASUREMENT")
    t.eq(stw.claim(leaf, 8), b"\x01\x01\x00", "claim insecure = FALSE")
    t.eq(stw.claim(leaf, 9), b"\x01\x01\x00", "claim debug = FALSE")
    import hashlib
    t.eq(stw.der_body(stw.claim(leaf, 10)), hashlib.sha256(SNP).digest(), "claim evidence = SHA-256 of the CSR")
    t.eq(stw.der_utf8(stw.claim(leaf, 11)), "2023-01-01T00:00:00Z", "claim verification time")
    t.eq(stw.claim(leaf, 12), b"\x01\x01\xff", "claim time-fixed = TRUE")
    t.ok(stw.claim(leaf, 7) is None, "no workload claim when the Keep reports none")
    t.ok(leaf is not None and stw.lifetime(leaf) <= 3600 + 60, "certificate is short-lived (default 1 h)")
    code, hdr, body = snp.certify(SNP, pem=True)
    t.ok(code == 200 and hdr.get("content-type") == "application/pem-certificate-chain" and
         body.count(b"BEGIN CERTIFICATE") == 2, "Accept: application/pem-certificate-chain gives PEM")
    # curl with --cacert the Steward CA
    r = run("curl", "-sS", "--cacert", snp.ca, "-H", "Content-Type: application/pkcs10",
            "--data-binary", "@" + os.path.join(stw.CSR_DIR, "steward_snp_milan.csr.der"),
            "-o", os.path.join(T, "curl.der"), "-w", "%{http_code}",
            f"https://127.0.0.1:{snp.port}/")
    t.eq(r.stdout, "200", "curl --cacert DIR/ca-cert.pem reaches Steward over HTTPS")

    # ---- refusals with named checks ----
    code, hdr, body = snp.request("POST", "/", SNP, {"Content-Type": "application/json"})
    p = problem(body)
    t.ok(code == 415 and hdr.get("content-type") == "application/problem+json" and
         p.get("check") == "request.content-type", "wrong media type: 415 problem+json", body)
    code, _, body = snp.certify(b"\x30\x03\x02\x01\x00")
    p = problem(body)
    t.ok(code == 400 and p.get("check") == "csr.format" and "PKCS#10" in p.get("detail", ""),
         "garbage CSR: 400 csr.format", body)
    # the SGX CSRs under the default policy: OutOfDate refused, values named
    code, _, body = snp.certify(XEON)
    p = problem(body)
    t.ok(code == 403 and p.get("type") == "urn:enarx:problem:attestation-refused",
         "SGX xeon CSR refused (403 attestation-refused)", body)
    # at 2023-01-01 the SGX collateral is not yet valid (tcbInfo from 2023-01-26)
    t.ok(p.get("check", "").startswith("evidence.") and p.get("time_fixed") is True and
         p.get("verification_time") == "2023-01-01T00:00:00Z", "refusal names the check and the fixed time", body)

    sgx_default = serve("sgx-default", "--at", "2023-02-01")
    for name, csr in (("xeon", XEON), ("i5", I5)):
        code, _, body = sgx_default.certify(csr)
        p = problem(body)
        t.ok(code == 403 and p.get("check") == "policy.sgx.tcb_status" and
             "OutOfDate" in p.get("detail", ""),
             f"SGX {name} at 2023-02-01, default policy: refused, sgx.tcb_status OutOfDate named", body)
        t.eq(p.get("evidence_sha256"), hashlib.sha256(csr).hexdigest(), f"SGX {name} refusal names the evidence digest")
    code, _, body = sgx_default.certify(SNP)
    t.eq(code, 200, "SNP CSR certified at 2023-02-01 too (CRL valid until 2023-05-09)")

    pol = write(os.path.join(T, "sgx.toml"),
                'tee = ["snp", "sgx"]\n[sgx]\ntcb_status = ["UpToDate", "OutOfDate"]\n'
                "require_qe_identity = false\n")
    sgx_ok = serve("sgx-ok", "--at", "2023-02-01", "--policy", pol)
    for name, csr, fn in (("xeon", XEON, "steward_sgx_icelake_xeon.csr.der"),
                          ("i5", I5, "steward_sgx_icelake_i5.csr.der")):
        code, _, body = sgx_ok.certify(csr)
        t.eq(code, 200, f"SGX {name} certified when the policy accepts OutOfDate without QE identity")
        if code == 200:
            c = stw.split_der_chain(body)[0]
            want = verifier_claims(os.path.join(stw.CSR_DIR, fn), "2023-02-01", pol)
            t.eq(json.loads(stw.der_utf8(stw.claim(c, 1))), want, f"SGX {name} claims equal the verifier's")
            t.eq(stw.der_utf8(stw.claim(c, 4)), "OutOfDate", f"SGX {name} claim tcb-status = OutOfDate")
            t.eq(stw.der_body(stw.claim(c, 6)).hex(), want["sgx"]["mrenclave"], f"SGX {name} claim measurement = MRENCLAVE")

    # SNP at 2024-06-01: the CRLs have expired
    late = serve("snp-late", "--at", "2024-06-01")
    code, _, body = late.certify(SNP)
    p = problem(body)
    t.ok(code == 403 and p.get("check") == "evidence.validity" and "CRL" in p.get("detail", ""),
         "SNP CSR at 2024-06-01 refused: evidence.validity (CRL expired)", body)

    # runtime measurement mapped to a version by reference values
    meas = verifier_claims(os.path.join(stw.CSR_DIR, "steward_snp_milan.csr.der"), "2023-01-01")["snp"]["measurement"]
    rv = write(os.path.join(T, "rv.toml"), f'[measurements.snp]\n"enarx 0.7.1 (sev)" = "{meas}"\n')
    rv_srv = serve("rv", "--at", "2023-01-01", "--policy", rv)
    code, _, body = rv_srv.certify(SNP)
    t.ok(code == 200 and stw.der_utf8(stw.claim(stw.split_der_chain(body)[0], 5)) == "enarx 0.7.1 (sev)",
         "reference values name the runtime in the certificate")
    other = write(os.path.join(T, "rv2.toml"), '[measurements.snp]\n"enarx 0.7.0 (sev)" = "' + "00" * 48 + '"\n')
    rv2 = serve("rv2", "--at", "2023-01-01", "--policy", other)
    code, _, body = rv2.certify(SNP)
    p = problem(body)
    t.ok(code == 403 and p.get("check", "").startswith("policy.measurements") and meas in p.get("detail", ""),
         "unknown runtime measurement refused, the measurement named", body)

    # ---- tampered CSRs (the real SNP evidence), each with its named reason ----
    oid, val = stw.evidence_ext(SNP)
    sig_flip = bytearray(SNP)
    sig_flip[-5] ^= 0x01
    code, _, body = snp.certify(bytes(sig_flip))
    t.eq((code, problem(body).get("check")), (403, "csr.signature"), "CSR signature byte flip: csr.signature")
    # any byte of the signed request info flipped: the self-signature fails
    info_flip = bytearray(SNP)
    info_flip[len(SNP) // 2] ^= 0x01
    code, _, body = snp.certify(bytes(info_flip))
    t.eq((code, problem(body).get("check")), (403, "csr.signature"), "CSR body byte flip: csr.signature")
    p384 = ec.generate_private_key(ec.SECP384R1())
    code, _, body = snp.certify(stw.make_csr(p384, oid, val))
    p = problem(body)
    t.eq((code, p.get("check")), (403, "csr.binding"), "real evidence in a CSR of another key: csr.binding")
    t.ok("REPORT_DATA" in p.get("detail", ""), "binding refusal explains REPORT_DATA", body)
    p256 = ec.generate_private_key(ec.SECP256R1())
    code, _, body = snp.certify(stw.make_csr(p256, oid, val))
    t.eq((code, problem(body).get("check")), (403, "csr.key-type"), "SNP evidence with a P-256 key: csr.key-type")
    # evidence byte flips, re-signed so the CSR itself is valid
    report_at = val.rfind(b"\x04\x82\x04\xa0") + 4  # the 1184-byte report OCTET STRING
    for off, what in ((report_at + 0x90, "report MEASUREMENT"), (report_at + 0x50, "report REPORT_DATA"),
                      (report_at + 0x2A0 + 5, "report signature")):
        v = bytearray(val)
        v[off] ^= 0x01
        code, _, body = snp.certify(stw.make_csr(p384, oid, bytes(v)))
        p = problem(body)
        t.eq((code, p.get("check")), (403, "evidence.signature"), f"evidence flip in {what}: evidence.signature")
    vcek_at = val.find(b"\x30\x82", 8)
    v = bytearray(val)
    v[vcek_at + 200] ^= 0x01  # inside the VCEK's signed body
    code, _, body = snp.certify(stw.make_csr(p384, oid, bytes(v)))
    p = problem(body)
    t.ok(code == 403 and p.get("check", "").startswith("evidence."), "VCEK byte flip refused with an evidence check", body)
    code, _, body = snp.certify(stw.make_csr(p384, oid, val[:-100]))
    t.eq((code, problem(body).get("check")), (400, "csr.format"), "truncated evidence extension: 400 csr.format")

    # ---- audit log in SQLite ----
    db = sqlite3.connect(os.path.join(snp.state, "steward.db"))
    rows = db.execute("SELECT action, verdict, at, fixed, evidence, serial FROM audit").fetchall()
    certified = [r for r in rows if r[1] == "certified"]
    refused = [r for r in rows if r[1] == "refused"]
    t.ok(len(certified) == 3 and all(r[5] for r in certified), "every certificate is in the audit log with its serial", rows)
    t.ok(len(refused) >= 10 and all(r[2] == "2023-01-01T00:00:00Z" and r[3] == 1 for r in rows),
         "every refusal is in the audit log, with the fixed time", len(refused))
    t.ok(int(leaf.serial_number) in [int(r[5], 16) for r in certified], "audit serial matches the issued certificate")
    db.close()
    t.ok(all("fixed by --at" in line for line in snp.stderr().splitlines() if "steward" in line) and
         "certified snp Keep" in snp.stderr(), "every log line says the time is fixed", snp.stderr()[-500:])

    # ---- authentication: owners only on /v1/secrets ----
    code, hdr, _ = snp.request("GET", "/v1/secrets")
    t.eq(code, 401, "secret list without the token: 401")
    code, _, _ = snp.request("GET", "/v1/nope")
    t.eq(code, 401, "unknown path without the token: 401 (paths not revealed)")
    code, _, body = snp.request("GET", "/v1/ca")
    t.ok(code == 200 and body.strip() == ca_pem.strip(), "GET /v1/ca is public and gives the CA")

    # ---- key broker ----
    kpol = write(os.path.join(T, "kvm.toml"), 'tee = ["snp", "kvm"]\nallow_insecure = true\n')
    kb = serve("kb", "--policy", kpol)
    keep = ec.generate_private_key(ec.SECP256R1())
    keyfile = os.path.join(T, "keep.pem")
    stw.write_key(keep, keyfile)
    code, _, body = kb.certify(stw.make_csr(keep, stw.OID_KVM, b""), pem=True)
    t.eq(code, 200, "a KVM Keep's CSR is certified when the policy allows insecure Keeps")
    keep_chain = body.decode()
    kc = x509.load_pem_x509_certificate(body)
    t.eq(stw.claim(kc, 8), b"\x01\x01\xff", "KVM certificate says insecure = TRUE")
    secret = b"db-password: hunter2\n"
    code, _, body = kb.owner("PUT", "/v1/secrets/db", {"value": stw.b64(secret),
                                                       "policy": {"tee": ["kvm"], "allow_insecure": True}})
    t.eq(code, 201, "owner stores a secret with a policy")
    code, _, body = kb.owner("PUT", "/v1/secrets/snponly", {"value": stw.b64(b"x"), "policy": {"tee": ["snp"]}})
    code, _, body = kb.owner("PUT", "/v1/secrets/bad", {"value": stw.b64(b"x"), "policy": {"tee": ["arm"]}})
    p = problem(body)
    t.ok(code == 400 and "tee" in p.get("detail", ""), "a policy naming an unknown TEE is refused", body)
    code, _, body = kb.owner("PUT", "/v1/secrets/bad", {"value": stw.b64(b"x"), "policy": {"tees": ["snp"]}})
    t.ok(code == 400 and "tees" in problem(body).get("detail", ""), "an unknown policy field is named", body)
    code, _, body = kb.owner("GET", "/v1/secrets")
    names = [s["name"] for s in json.loads(body)["secrets"]] if code == 200 else []
    t.ok(names == ["db", "snponly"] and b"hunter2" not in body and b"aHVudGVy" not in body,
         "owner lists names and policies, never values", body)
    code, _, body = kb.release("db", {"certificate": keep_chain})
    rel = json.loads(body) if code == 200 else {}
    t.eq(code, 200, "Keep with its Steward certificate gets the secret")
    t.eq(rel.get("suite"), {"kem": 16, "kdf": 1, "aead": 2}, "sealed with HPKE DHKEM(P-256), HKDF-SHA256, AES-256-GCM")
    r = subprocess.run([KEEP_OPEN, keyfile, rel.get("info", ""), rel.get("sealed", "")], capture_output=True)
    t.eq(r.stdout, secret, "the Keep opens the sealed secret with its own key")
    other = ec.generate_private_key(ec.SECP256R1())
    okf = os.path.join(T, "other.pem")
    stw.write_key(other, okf)
    r = subprocess.run([KEEP_OPEN, okf, rel.get("info", ""), rel.get("sealed", "")], capture_output=True)
    t.ok(r.returncode != 0 and r.stdout == b"", "another key cannot open it")
    code, _, body = kb.release("snponly", {"certificate": keep_chain})
    p = problem(body)
    t.ok(code == 403 and p.get("type") == "urn:enarx:problem:release-refused" and
         p.get("check") == "secret-policy.tee" and "kvm" in p.get("detail", ""),
         "release refused to a Keep that does not meet the policy, the TEE named", body)
    # a certificate from another CA
    code, _, body = kb.release("db", {"certificate": chain_pem and open(chain_pem).read()})
    p = problem(body)
    t.ok(code == 403 and p.get("check") == "certificate.chain", "a certificate of another Steward is refused", body)
    code, _, body = kb.release("nothing", {"certificate": keep_chain})
    t.eq(code, 404, "unknown secret: 404")
    # background check: fresh evidence with a Steward nonce
    code, _, body = kb.request("GET", "/v1/nonce")
    nonce = json.loads(body)["nonce"]
    ev = stw.kvm_evidence(stw.kvm_binding(keep, bytes.fromhex(nonce)))
    req = {"evidence": stw.b64(ev), "key": stw.b64(stw.spki(keep)), "nonce": nonce}
    code, _, body = kb.release("db", req)
    rel2 = json.loads(body) if code == 200 else {}
    r = subprocess.run([KEEP_OPEN, keyfile, rel2.get("info", ""), rel2.get("sealed", "")], capture_output=True)
    t.ok(code == 200 and r.stdout == secret, "evidence + fresh nonce: secret released and opened", body)
    code, _, body = kb.release("db", req)
    t.eq((code, problem(body).get("check")), (403, "nonce"), "a nonce works once")
    code, _, body = kb.request("GET", "/v1/nonce")
    n2 = json.loads(body)["nonce"]
    ev = stw.kvm_evidence(stw.kvm_binding(other, bytes.fromhex(n2)))
    code, _, body = kb.release("db", {"evidence": stw.b64(ev), "key": stw.b64(stw.spki(keep)), "nonce": n2})
    t.eq((code, problem(body).get("check")), (403, "evidence.binding"), "evidence binding another key: evidence.binding")
    code, _, _ = kb.owner("DELETE", "/v1/secrets/db")
    t.eq(code, 204, "owner removes a secret")
    code, _, _ = kb.release("db", {"certificate": keep_chain})
    t.eq(code, 404, "a removed secret is no longer released")
    db = sqlite3.connect(os.path.join(kb.state, "steward.db"))
    rel_rows = db.execute("SELECT verdict, secret, serial, reason FROM audit WHERE action = 'release'").fetchall()
    db.close()
    t.ok(sum(1 for r in rel_rows if r[0] == "released") == 2 and
         sum(1 for r in rel_rows if r[0] == "refused") == 4, "every release and refusal is recorded", rel_rows)
    t.ok(any(r[0] == "released" and r[2] == format(kc.serial_number, "X") for r in rel_rows),
         "the release records the Keep certificate's serial", rel_rows)

    # ---- CLI: secret put/ls/rm, policy check ----
    cst = os.path.join(T, "cli")
    val = write(os.path.join(T, "v.txt"), "s3cret")
    pj = write(os.path.join(T, "p.json"), '{"tee": ["snp"], "tcb_status": ["n/a"]}')
    r = run(stw.ENARX, "steward", "secret", "put", "--state", cst, "--file", val, "--policy", pj, "k1")
    t.ok(r.returncode == 0 and "stored k1" in r.stdout, "secret put", r.stderr)
    r = run(stw.ENARX, "steward", "secret", "ls", "--state", cst)
    t.ok(r.returncode == 0 and r.stdout.startswith("k1\tcli:") and "s3cret" not in r.stdout, "secret ls", r.stdout)
    bad = write(os.path.join(T, "bad.json"), '{"tee": ["snp"], "runtimes": []}')
    r = run(stw.ENARX, "steward", "secret", "put", "--state", cst, "--file", val, "--policy", bad, "k2")
    t.ok(r.returncode == 1 and "runtimes" in r.stderr, "secret put names an unknown policy field", r.stderr)
    r = run(stw.ENARX, "steward", "secret", "rm", "--state", cst, "k1")
    r2 = run(stw.ENARX, "steward", "secret", "rm", "--state", cst, "k1")
    t.ok(r.returncode == 0 and r2.returncode == 1 and "no secret named k1" in r2.stderr, "secret rm, twice")
    r = run(stw.ENARX, "steward", "policy", "check", "--policy", pol, "--at", "2023-02-01",
            os.path.join(stw.CSR_DIR, "steward_sgx_icelake_xeon.csr.der"))
    t.ok(r.returncode == 0 and "certified: sgx" in r.stdout and "OutOfDate" in r.stdout, "policy check certifies offline", r.stdout)
    r = run(stw.ENARX, "steward", "policy", "check", "--at", "2023-02-01",
            os.path.join(stw.CSR_DIR, "steward_sgx_icelake_i5.csr.der"))
    t.ok(r.returncode == 1 and "refused: policy.sgx.tcb_status" in r.stdout, "policy check names the refusing rule", r.stdout)
    badp = write(os.path.join(T, "bad.toml"), "tee = [\"snp\"]\nallow_debugg = true\n")
    r = run(stw.ENARX, "steward", "policy", "check", "--policy", badp)
    t.ok(r.returncode == 1 and "line 2" in r.stderr, "policy check reports a bad policy line", r.stderr)

    # ---- config file ----
    cfg = write(os.path.join(T, "steward.toml"), f'policy = "{kpol}"\ncert_ttl = 120\n')
    cs = serve("cfg", "--config", cfg)
    code, _, body = cs.certify(stw.make_csr(keep, stw.OID_KVM, b""), pem=True)
    c = x509.load_pem_x509_certificate(body) if code == 200 else None
    t.ok(c is not None and stw.lifetime(c) <= 180,
         "config file: policy and cert_ttl apply")
    bcfg = write(os.path.join(T, "bad-steward.toml"), 'listen = "127.0.0.1:0"\nlsten = "x"\n')
    r = run(stw.ENARX, "steward", "serve", "--config", bcfg, "--state", os.path.join(T, "bc"))
    t.ok(r.returncode == 1 and "line 2" in r.stderr and "lsten" in r.stderr, "config errors name the line and key", r.stderr)

    # ---- owners by client certificate (mTLS); Keeps still come without one ----
    oca_key, oca = os.path.join(T, "owner-ca.key"), os.path.join(T, "owner-ca.pem")
    okey, ocsr, ocrt = (os.path.join(T, n) for n in ("owner.key", "owner.csr", "owner.pem"))
    for cmd in (["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", oca_key, "-out", oca, "-subj", "/CN=owners CA", "-days", "2"],
                ["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", okey, "-out", ocsr, "-subj", "/CN=alice"],
                ["openssl", "x509", "-req", "-in", ocsr, "-CA", oca, "-CAkey", oca_key,
                 "-CAcreateserial", "-out", ocrt, "-days", "1"]):
        run(*cmd)
    m = serve("mtls", "--policy", kpol, "--client-ca", oca)
    r = run("curl", "-sS", "--cacert", m.ca, "--cert", ocrt, "--key", okey, "-X", "PUT",
            "-H", "Content-Type: application/json", "--data",
            json.dumps({"value": stw.b64(b"x"), "policy": {"tee": ["kvm"], "allow_insecure": True}}),
            "-w", "\n%{http_code}", f"https://127.0.0.1:{m.port}/v1/secrets/by-cert")
    t.ok(r.stdout.endswith("201") and '"owner":"cert:alice"' in r.stdout,
         "owner with a client certificate stores a secret, recorded as cert:alice", r.stdout + r.stderr)
    code, _, _ = m.request("GET", "/v1/secrets")
    t.eq(code, 401, "without the certificate or the token: 401")
    code, _, _ = m.certify(stw.make_csr(keep, stw.OID_KVM, b""))
    t.eq(code, 200, "a Keep without a client certificate is still certified")

    # ---- SIGTERM ----
    rc = snp.stop()
    t.eq(rc, 0, "SIGTERM stops Steward cleanly")
finally:
    for s in servers:
        s.stop()
t.done()
