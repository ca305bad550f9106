/* SPDX-License-Identifier: Apache-2.0 */
/* The Keep side of Steward certification (steward.h): key, evidence, CSR,
 * the request through the host, the chain check. */
#include "exec/steward.h"

#include <errno.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config/config.h"
#include "crypto/certchain.h"
#include "exec/exec.h"
#include "exec/relay.h"
#include "exec/tls.h"
#include "keep/abi.h"
#include "keep/proto.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/log.h"

#define OID_EVIDENCE_KVM "1.3.6.1.4.1.58270.1.1" /* as src/attest/csr.c reads it */
#define OID_WORKLOAD "2.25.142996706543598434036760381055650267065.7"
#define EVIDENCE_MAX 65536

struct exec_steward {
	EVP_PKEY *key;
	X509 *leaf;
	STACK_OF(X509) * chain;
};

static int serr(char *err, size_t n, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int serr(char *err, size_t n, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	ERR_clear_error();
	return rc;
}

/* REPORT_DATA for key: SHA-256 of its SubjectPublicKeyInfo, zero-padded. */
static int steward__binding(EVP_PKEY *key, uint8_t rd[64])
{
	unsigned char *spki = NULL;
	int n = i2d_PUBKEY(key, &spki);
	int ok = n > 0 && EVP_Digest(spki, (size_t)n, rd, NULL, EVP_sha256(), NULL) == 1;

	OPENSSL_free(spki);
	memset(rd + 32, 0, 32);
	return ok ? 0 : -1;
}

/* The shim's evidence for REPORT_DATA rd, into ev. */
static int steward__evidence(const uint8_t rd[64], struct buf *ev, char *err, size_t n)
{
	unsigned long tech = 0;
	long size = exec_getatt_query(&tech), r;

	if (size == -ENOSYS)
		return serr(err, n, ENARX_E_NOTFOUND,
		            "a nil Keep has no TEE and no evidence, so Steward cannot certify it "
		            "(run it on kvm or a hardware TEE, or remove `steward` from "
		            "Enarx.toml)");
	if (size <= 0)
		return serr(err, n, ENARX_E_IO, "the attestation query failed (%ld)", size);
	if (tech != 0)
		return serr(err, n, ENARX_E_NOTSUP,
		            "TEE technology %lu: this executor makes CSRs for KVM Keeps only",
		            tech);
	if (size > EVIDENCE_MAX || buf_reserve(ev, (size_t)size))
		return serr(err, n, ENARX_E_OVERFLOW, "evidence of %ld bytes", size);
	r = syscall(KEEP_SYS_GETATT, rd, (size_t)64, ev->data, (size_t)size);
	if (r <= 0 || r > size)
		return serr(err, n, ENARX_E_IO, "SYS_GETATT failed: %s",
		            r < 0 ? strerror(errno) : "empty");
	ev->len = (size_t)r;
	return 0;
}

/* A non-critical extension oid whose value is the bytes p[0..len). */
static int steward__add_ext(STACK_OF(X509_EXTENSION) * exts, const char *oid, const uint8_t *p,
                            size_t len)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
	X509_EXTENSION *x = NULL;
	int ok = o && v && ASN1_OCTET_STRING_set(v, p, (int)len) &&
	         (x = X509_EXTENSION_create_by_OBJ(NULL, o, 0, v)) != NULL &&
	         sk_X509_EXTENSION_push(exts, x) > 0;

	if (!ok)
		X509_EXTENSION_free(x);
	ASN1_OBJECT_free(o);
	ASN1_OCTET_STRING_free(v);
	return ok ? 0 : -1;
}

/* The workload digest's extension value: DER OCTET STRING of the digest. */
static int steward__add_workload(STACK_OF(X509_EXTENSION) * exts, const uint8_t *w, size_t wlen)
{
	ASN1_OCTET_STRING *d = ASN1_OCTET_STRING_new();
	unsigned char *der = NULL;
	int n = -1;

	if (d && ASN1_OCTET_STRING_set(d, w, (int)wlen))
		n = i2d_ASN1_OCTET_STRING(d, &der);
	ASN1_OCTET_STRING_free(d);
	if (n <= 0)
		return -1;
	n = steward__add_ext(exts, OID_WORKLOAD, der, (size_t)n);
	OPENSSL_free(der);
	return n;
}

static int steward__add_san(STACK_OF(X509_EXTENSION) * exts, const char *san)
{
	X509_EXTENSION *x = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);

	if (!x || sk_X509_EXTENSION_push(exts, x) <= 0) {
		X509_EXTENSION_free(x);
		return -1;
	}
	return 0;
}

static int steward__build_csr(EVP_PKEY *key, const struct buf *ev, const uint8_t *w, size_t wlen,
                              const char *san, struct buf *csr)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *nm = X509_NAME_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	unsigned char *der = NULL;
	int n = -1;
	int ok = req && nm && exts && X509_REQ_set_version(req, X509_REQ_VERSION_1) &&
	         X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC, (const unsigned char *)"Enarx",
	                                    -1, -1, 0) &&
	         X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	                                    (const unsigned char *)"Enarx Keep", -1, -1, 0) &&
	         X509_REQ_set_subject_name(req, nm) && X509_REQ_set_pubkey(req, key) &&
	         steward__add_ext(exts, OID_EVIDENCE_KVM, ev->data, ev->len) == 0 &&
	         (!wlen || steward__add_workload(exts, w, wlen) == 0) &&
	         (!san || steward__add_san(exts, san) == 0) && X509_REQ_add_extensions(req, exts) &&
	         X509_REQ_sign(req, key, EVP_sha256()) > 0;

	if (ok)
		n = i2d_X509_REQ(req, &der);
	ok = n > 0 && buf_append(csr, der, (size_t)n) == 0;
	OPENSSL_free(der);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(nm);
	X509_REQ_free(req);
	return ok ? 0 : -1;
}

int exec_steward_csr(const uint8_t *workload, size_t wlen, const char *san, EVP_PKEY **key,
                     struct buf *csr, char *err, size_t n)
{
	struct buf ev = {0};
	uint8_t rd[64];
	int rc;

	*key = NULL;
	if (wlen && (wlen < 32 || wlen > 64))
		return serr(err, n, ENARX_E_INVAL, "workload digest of %zu bytes", wlen);
	/* KVM (the only TEE this executor knows) wants P-256; SNP would want P-384 */
	*key = EVP_EC_gen("P-256");
	if (!*key)
		return serr(err, n, ENARX_E_INTERNAL, "cannot make the Keep's key");
	rc = steward__binding(*key, rd) ? serr(err, n, ENARX_E_INTERNAL, "cannot hash the key")
	                                : steward__evidence(rd, &ev, err, n);
	if (!rc && steward__build_csr(*key, &ev, workload, wlen, san, csr))
		rc = serr(err, n, ENARX_E_INTERNAL, "cannot make the CSR");
	buf_free(&ev, 0);
	if (rc) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	return rc;
}

int exec_steward_check_chain(EVP_PKEY *key, const uint8_t *der, size_t len, const uint8_t *ca_pem,
                             size_t ca_len, X509 **leaf, STACK_OF(X509) * *chain, char *err,
                             size_t n)
{
	char why[200];
	int rc = certchain_parse(der, len, leaf, chain, why, sizeof(why));
	if (rc)
		return serr(err, n, rc, "Steward's answer: %s", why);
	if (EVP_PKEY_eq(X509_get0_pubkey(*leaf), key) != 1)
		rc = serr(err, n, ENARX_E_ATTEST_CHAIN,
		          "Steward's certificate is for another key than the Keep's");
	else if (ca_pem && (rc = certchain_verify(*leaf, *chain, ca_pem, ca_len, why, sizeof(why))))
		serr(err, n, rc, "Steward's chain does not verify against steward_ca: %s", why);
	if (rc) {
		X509_free(*leaf);
		sk_X509_pop_free(*chain, X509_free);
		*leaf = NULL;
		*chain = NULL;
	}
	return rc;
}

/* A refusal's body (RFC 9457 JSON) cut short for the error text. */
static void steward__refusal(const struct exec_http_resp *r, const char *url, char *err, size_t n)
{
	int show = (int)(r->len > 300 ? 300 : r->len);

	for (int i = 0; i < show; i++)
		if (r->body[i] < 0x20 || r->body[i] > 0x7e)
			r->body[i] = ' ';
	serr(err, n, ENARX_E_PERM, "Steward %s refused the Keep's CSR: HTTP %u: %.*s", url,
	     r->status, show, (const char *)r->body);
}

static const struct exec_file *steward__file(const struct exec_workload *wl, const char *name)
{
	for (size_t i = 0; i < wl->nfiles; i++)
		if (strcmp(wl->files[i].name, name) == 0)
			return &wl->files[i];
	return NULL;
}

int exec_steward_certify(int fd, const struct config *cfg, const struct exec_workload *wl,
                         struct exec_steward **out, char *err, size_t n)
{
	const struct exec_file *ca = NULL;
	struct exec_steward *s;
	struct exec_http_resp r;
	struct buf csr = {0};
	uint8_t digest[32];
	char san[4096];
	int rc;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	if (cfg->steward_ca && !(ca = steward__file(wl, cfg->steward_ca)))
		return serr(err, n, ENARX_E_NOTFOUND,
		            "key 'steward_ca': file %s is not in the workload", cfg->steward_ca);
	if (!EVP_Digest(wl->wasm, wl->wasm_len, digest, NULL, EVP_sha256(), NULL))
		return serr(err, n, ENARX_E_INTERNAL, "cannot hash the module");
	s = xcalloc(1, sizeof(*s));
	if (!s)
		return ENARX_E_NOMEM;
	if (exec_tls_san(cfg, san, sizeof(san)))
		rc = serr(err, n, ENARX_E_OVERFLOW, "too many names for the certificate");
	else
		rc = exec_steward_csr(digest, sizeof(digest), san, &s->key, &csr, err, n);
	if (rc == ENARX_E_NOTFOUND)
		rc = ENARX_E_PERM;
	if (!rc)
		rc = exec_http(fd, "POST", cfg->steward, "application/pkcs10", NULL, csr.data,
		               csr.len, &r, err, n);
	buf_free(&csr, 0);
	if (!rc && r.status != 200) {
		steward__refusal(&r, cfg->steward, err, n);
		rc = ENARX_E_PERM;
	}
	if (!rc)
		rc = exec_steward_check_chain(s->key, r.body, r.len, ca ? ca->data : NULL,
		                              ca ? ca->len : 0, &s->leaf, &s->chain, err, n);
	exec_http_resp_clear(&r);
	if (rc) {
		exec_steward_free(s);
		return rc;
	}
	if (!ca)
		log_warn("exec: steward_ca is not set: the chain from %s is not checked against a "
		         "known CA (the host could have answered it)",
		         cfg->steward);
	log_info("exec: certified by Steward %s", cfg->steward);
	*out = s;
	return 0;
}

void exec_steward_free(struct exec_steward *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	X509_free(s->leaf);
	sk_X509_pop_free(s->chain, X509_free);
	xfree(s);
}

EVP_PKEY *exec_steward_key(const struct exec_steward *s)
{
	return s->key;
}

X509 *exec_steward_leaf(const struct exec_steward *s)
{
	return s->leaf;
}

STACK_OF(X509) * exec_steward_chain(const struct exec_steward *s)
{
	return s->chain;
}
