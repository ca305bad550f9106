/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Enarx CSRs: PKCS#10 requests whose extensionRequest carries the evidence
 * (1.3.6.1.4.1.58270.1.1 KVM, .2 SGX, .3 SEV-SNP), as made by Enarx's
 * exec-wasmtime and checked by Enarx's Steward. We verify the self-signature,
 * the evidence, the key type, and the key binding in REPORT_DATA.
 */
#include <string.h>

#include "attest/attest_int.h"
#include "keep/abi.h"
#include "lib/alloc.h"

#define OID_KVM "1.3.6.1.4.1.58270.1.1"
#define OID_SGX "1.3.6.1.4.1.58270.1.2"
#define OID_SNP "1.3.6.1.4.1.58270.1.3"
/* The workload digest a Keep reports (Steward's claim arc .7, the value a
 * DER OCTET STRING): allowed beside the evidence, read by Steward. */
#define OID_WORKLOAD "2.25.142996706543598434036760381055650267065.7"

int enarx_attest_binding(enarx_tee tee, const uint8_t *spki, size_t spki_len, const uint8_t *nonce,
                         size_t nonce_len, uint8_t out[64])
{
	const EVP_MD *md = tee == ENARX_TEE_SNP ? EVP_sha384() : EVP_sha256();
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	memset(out, 0, 64);
	int ok = m && EVP_DigestInit_ex(m, md, NULL) == 1 &&
	         EVP_DigestUpdate(m, spki, spki_len) == 1 &&
	         (nonce_len == 0 || EVP_DigestUpdate(m, nonce, nonce_len) == 1) &&
	         EVP_DigestFinal_ex(m, out, NULL) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : ENARX_E_INTERNAL;
}

/* CrlList ::= SEQUENCE { SEQUENCE OF SEQUENCE { url UTF8String, crl CertificateList } } */
static int crl_list(struct cursor *c, enarx_evidence *ev)
{
	struct cursor outer, list, entry, url;
	int rc;
	if ((rc = der_expect(c, DER_SEQUENCE, &outer)) ||
	    (rc = der_expect(&outer, DER_SEQUENCE, &list)) || !cursor_eof(&outer))
		return rc ? rc : ENARX_E_TRAILING;
	while (!cursor_eof(&list)) {
		const uint8_t *p;
		size_t n;
		if ((rc = der_expect(&list, DER_SEQUENCE, &entry)) ||
		    (rc = der_expect(&entry, DER_UTF8, &url)) ||
		    (rc = der_peek_tlv(&entry, &p, &n)) || (rc = cursor_skip(&entry, n)) ||
		    !cursor_eof(&entry))
			return rc ? rc : ENARX_E_TRAILING;
		if ((rc = attest_bytes_list_add(&ev->crls, p, n)))
			return rc;
	}
	return 0;
}

/* SnpEvidence ::= SEQUENCE { SEQUENCE { vcek Certificate, crls CrlList }, report OCTET STRING } */
static int snp_evidence(const uint8_t *p, size_t n, enarx_evidence *ev)
{
	struct cursor c, top, crts, rep;
	const uint8_t *cp;
	size_t cn;
	int rc;
	cursor_init(&c, p, n);
	if ((rc = der_expect(&c, DER_SEQUENCE, &top)) || !cursor_eof(&c) ||
	    (rc = der_expect(&top, DER_SEQUENCE, &crts)) || (rc = der_peek_tlv(&crts, &cp, &cn)) ||
	    (rc = attest_bytes_list_add(&ev->certs, cp, cn)) || (rc = cursor_skip(&crts, cn)) ||
	    (rc = crl_list(&crts, ev)) || !cursor_eof(&crts) ||
	    (rc = der_expect(&top, DER_OCTET_STRING, &rep)) || !cursor_eof(&top))
		return rc ? rc : ENARX_E_TRAILING;
	return enarx_evidence_set(ev, ENARX_TEE_SNP, rep.p, cursor_left(&rep));
}

/* SgxEvidence ::= SEQUENCE { quote OCTET STRING, crls CrlList,
 *                            tcb SEQUENCE { crts SEQUENCE OF Certificate, tcbInfo OCTET STRING } } */
static int sgx_evidence(const uint8_t *p, size_t n, enarx_evidence *ev)
{
	struct cursor c, top, quote, tcb, crts, json;
	int rc;
	cursor_init(&c, p, n);
	if ((rc = der_expect(&c, DER_SEQUENCE, &top)) || !cursor_eof(&c) ||
	    (rc = der_expect(&top, DER_OCTET_STRING, &quote)) || (rc = crl_list(&top, ev)) ||
	    (rc = der_expect(&top, DER_SEQUENCE, &tcb)) || !cursor_eof(&top) ||
	    (rc = der_expect(&tcb, DER_SEQUENCE, &crts)))
		return rc ? rc : ENARX_E_TRAILING;
	while (!cursor_eof(&crts)) {
		const uint8_t *cp;
		size_t cn;
		if ((rc = der_peek_tlv(&crts, &cp, &cn)) ||
		    (rc = attest_bytes_list_add(&ev->certs, cp, cn)) ||
		    (rc = cursor_skip(&crts, cn)))
			return rc;
	}
	if ((rc = der_expect(&tcb, DER_OCTET_STRING, &json)) || !cursor_eof(&tcb))
		return rc ? rc : ENARX_E_TRAILING;
	if (cursor_left(&json) && (rc = attest_evidence_add_json(ev, json.p, cursor_left(&json))))
		return rc;
	return enarx_evidence_set(ev, ENARX_TEE_SGX, quote.p, cursor_left(&quote));
}

/* Finds the single attesting extension; Steward's rules: only extensionRequest
 * attributes, only our OIDs, none critical. */
static int csr_extension(enarx_attest *a, X509_REQ *req, enarx_tee *tee, const uint8_t **p,
                         size_t *n, STACK_OF(X509_EXTENSION) * *keep)
{
	for (int i = 0; i < X509_REQ_get_attr_count(req); i++) {
		X509_ATTRIBUTE *at = X509_REQ_get_attr(req, i);
		if (OBJ_obj2nid(X509_ATTRIBUTE_get0_object(at)) != NID_ext_req)
			return aerr(&a->err, ENARX_E_ATTEST_FORMAT,
			            "CSR: attribute other than extensionRequest");
	}
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	int found = 0;
	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *x = sk_X509_EXTENSION_value(exts, i);
		char oid[64];
		OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(x), 1);
		if ((strcmp(oid, OID_WORKLOAD) == 0 ||
		     OBJ_obj2nid(X509_EXTENSION_get_object(x)) == NID_subject_alt_name) &&
		    !X509_EXTENSION_get_critical(x))
			continue; /* Steward reads these (src/steward/certify.c) */
		enarx_tee t = strcmp(oid, OID_KVM) == 0   ? ENARX_TEE_KVM
		              : strcmp(oid, OID_SGX) == 0 ? ENARX_TEE_SGX
		              : strcmp(oid, OID_SNP) == 0 ? ENARX_TEE_SNP
		                                          : ENARX_TEE_NONE;
		if (t == ENARX_TEE_NONE || X509_EXTENSION_get_critical(x)) {
			sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
			return aerr(&a->err, ENARX_E_ATTEST_FORMAT,
			            "CSR: unexpected or critical extension %s", oid);
		}
		const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(x);
		*tee = t;
		*p = ASN1_STRING_get0_data(v);
		*n = (size_t)ASN1_STRING_length(v);
		found++;
	}
	*keep = exts;
	if (found != 1)
		return aerr(&a->err, ENARX_E_ATTEST_FORMAT,
		            "CSR: %d attestation extensions, expected exactly 1", found);
	return 0;
}

int enarx_attest_verify_csr(enarx_attest *a, const uint8_t *der, size_t n, time_t at,
                            enarx_claims **out)
{
	*out = NULL;
	a->err.msg[0] = 0;
	const unsigned char *q = der;
	X509_REQ *req = n < (16u << 20) ? d2i_X509_REQ(NULL, &q, (long)n) : NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	enarx_evidence *ev = NULL;
	unsigned char *spki = NULL;
	int rc, spki_len = 0;
	if (!req || q != der + n) {
		rc = aerr(&a->err, ENARX_E_ATTEST_FORMAT, "CSR: not a DER PKCS#10 request");
		goto out;
	}
	EVP_PKEY *key = X509_REQ_get0_pubkey(req);
	if (!key || X509_REQ_verify(req, key) != 1) {
		rc = aerr(&a->err, ENARX_E_ATTEST_SIGNATURE, "CSR: self-signature invalid");
		goto out;
	}
	enarx_tee tee = ENARX_TEE_NONE;
	const uint8_t *ep = NULL;
	size_t en = 0;
	if ((rc = csr_extension(a, req, &tee, &ep, &en, &exts)))
		goto out;
	ev = enarx_evidence_new();
	if (!ev) {
		rc = ENARX_E_NOMEM;
		goto out;
	}
	if (tee == ENARX_TEE_SNP)
		rc = snp_evidence(ep, en, ev);
	else if (tee == ENARX_TEE_SGX)
		rc = sgx_evidence(ep, en, ev);
	else
		/* Enarx's KVM extension is empty; ours carries the shim's
		 * evidence (struct keep_kvm_evidence), which binds the key */
		rc = en == 0 || en == KEEP_KVM_EVIDENCE_LEN
		         ? enarx_evidence_set(ev, ENARX_TEE_KVM, ep, en)
		         : ENARX_E_MALFORMED;
	if (rc) {
		rc = aerr(&a->err, ENARX_E_ATTEST_FORMAT, "CSR: evidence extension malformed (%s)",
		          enarx_strerror(rc));
		goto out;
	}
	if ((rc = enarx_attest_verify(a, ev, at, out)))
		goto out;
	/* Key type must match the TEE's (anti-downgrade, as Steward): P-384 SNP, P-256 SGX/KVM. */
	int want_bits = tee == ENARX_TEE_SNP ? 384 : 256;
	if (EVP_PKEY_get_id(key) != EVP_PKEY_EC || EVP_PKEY_get_bits(key) != want_bits) {
		rc = aerr(&a->err, ENARX_E_ATTEST_BINDING, "CSR: key is not EC P-%d", want_bits);
		goto out;
	}
	if (tee == ENARX_TEE_KVM && en == 0)
		goto out; /* Enarx's empty KVM extension binds nothing: insecure anyway */
	spki_len = i2d_PUBKEY(key, &spki);
	uint8_t rd[64];
	if (spki_len <= 0 || enarx_attest_binding(tee, spki, (size_t)spki_len, NULL, 0, rd)) {
		rc = ENARX_E_INTERNAL;
		goto out;
	}
	if (memcmp(rd, (*out)->report_data, 64) != 0)
		rc = aerr(&a->err, ENARX_E_ATTEST_BINDING,
		          "CSR: REPORT_DATA is not SHA-%d(CSR SubjectPublicKeyInfo) || zeros",
		          tee == ENARX_TEE_SNP ? 384 : 256);
out:
	if (rc && *out && rc != ENARX_E_ATTEST_TCB) {
		enarx_claims_free(*out);
		*out = NULL;
	}
	OPENSSL_free(spki);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	enarx_evidence_free(ev);
	X509_REQ_free(req);
	ERR_clear_error();
	return rc;
}
