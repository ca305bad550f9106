/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intel DCAP quotes: SGX quote v3 (Intel SGX ECDSA Quote Library API,
 * "Quote Format") and TDX quote v4/v5 (Intel TDX DCAP Quoting Library API,
 * appendix "Quote Format"). Parses header, body and signature data; verifies
 * the quote signature with the attestation key, the QE report signature with
 * the PCK key, the QE report's binding of the attestation key, and the PCK
 * chain to the pinned Intel SGX Root CA with CRLs (QVL steps 4.1.2.4.x).
 */
#include <string.h>

#include "attest/attest_int.h"
#include "attest/roots.h"
#include "lib/alloc.h"

#define HDR_SIZE 48
#define SGX_REPORT_SIZE 384
#define TD10_SIZE 584
#define TD15_SIZE 648

static const uint8_t intel_qe_vendor[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                            0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

typedef struct {
	const uint8_t *signed_p; /* header .. end of body */
	size_t signed_n;
	const uint8_t *sig, *attest_key, *qe_report, *qe_sig, *auth;
	uint16_t auth_len;
	const uint8_t *pck_pem;
	size_t pck_pem_len;
} quote_parts;

static int parse_sgx_report(const uint8_t *r, enarx_intel_claims *q, uint8_t rd[64])
{
	struct cursor c;
	cursor_init(&c, r, SGX_REPORT_SIZE);
	int rc;
	if ((rc = cursor_copy(&c, q->cpusvn, 16)) || (rc = cursor_u32le(&c, &q->miscselect)) ||
	    (rc = cursor_skip(&c, 12)) || (rc = cursor_copy(&c, q->isv_ext_prod_id, 16)) ||
	    (rc = cursor_copy(&c, q->attributes, 16)) || (rc = cursor_copy(&c, q->mrenclave, 32)) ||
	    (rc = cursor_skip(&c, 32)) || (rc = cursor_copy(&c, q->mrsigner, 32)) ||
	    (rc = cursor_skip(&c, 32)) || (rc = cursor_copy(&c, q->config_id, 64)) ||
	    (rc = cursor_u16le(&c, &q->isv_prod_id)) || (rc = cursor_u16le(&c, &q->isv_svn)) ||
	    (rc = cursor_u16le(&c, &q->config_svn)) || (rc = cursor_skip(&c, 42)) ||
	    (rc = cursor_copy(&c, q->isv_family_id, 16)) || (rc = cursor_copy(&c, rd, 64)))
		return rc;
	return cursor_expect_end(&c);
}

static int parse_td_report(struct cursor *c, bool td15, enarx_intel_claims *q, uint8_t rd[64])
{
	int rc;
	if ((rc = cursor_copy(c, q->tee_tcb_svn, 16)) || (rc = cursor_copy(c, q->mrseam, 48)) ||
	    (rc = cursor_copy(c, q->mrsignerseam, 48)) ||
	    (rc = cursor_u64le(c, &q->seam_attributes)) ||
	    (rc = cursor_u64le(c, &q->td_attributes)) || (rc = cursor_u64le(c, &q->xfam)) ||
	    (rc = cursor_copy(c, q->mrtd, 48)) || (rc = cursor_copy(c, q->mrconfigid, 48)) ||
	    (rc = cursor_copy(c, q->mrowner, 48)) || (rc = cursor_copy(c, q->mrownerconfig, 48)))
		return rc;
	for (int i = 0; i < 4; i++)
		if ((rc = cursor_copy(c, q->rtmr[i], 48)))
			return rc;
	if ((rc = cursor_copy(c, rd, 64)))
		return rc;
	if (td15 && ((rc = cursor_copy(c, q->tee_tcb_svn2, 16)) ||
	             (rc = cursor_copy(c, q->mrservicetd, 48))))
		return rc;
	return 0;
}

/* Certification data: u16 type, u32 size, data; the size must fit exactly. */
static int cert_data(struct cursor *c, uint16_t *type, struct cursor *data)
{
	uint32_t size;
	int rc;
	if ((rc = cursor_u16le(c, type)) || (rc = cursor_u32le(c, &size)) ||
	    (rc = cursor_sub(c, size, data)))
		return rc;
	return 0;
}

/* QE report, its signature, QE auth data. */
static int qe_part(struct cursor *c, quote_parts *qp)
{
	int rc;
	if ((rc = cursor_bytes(c, SGX_REPORT_SIZE, &qp->qe_report)) ||
	    (rc = cursor_bytes(c, 64, &qp->qe_sig)) || (rc = cursor_u16le(c, &qp->auth_len)) ||
	    (rc = cursor_bytes(c, qp->auth_len, &qp->auth)))
		return rc;
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static int parse_quote(const enarx_evidence *ev, enarx_claims *cl, quote_parts *qp, attest_err *e)
{
	enarx_intel_claims *q = &cl->intel;
	struct cursor c, sigc, cd, inner;
	uint32_t sig_len;
	uint16_t type;
	int rc;
	cursor_init(&c, ev->data.p, ev->data.n);
	if ((rc = cursor_u16le(&c, &q->version)) || (rc = cursor_u16le(&c, &q->att_key_type)) ||
	    (rc = cursor_u32le(&c, &q->tee_type)) || (rc = cursor_u16le(&c, &q->qe_svn)) ||
	    (rc = cursor_u16le(&c, &q->pce_svn)) || (rc = cursor_copy(&c, q->qe_vendor_id, 16)) ||
	    (rc = cursor_skip(&c, 20)))
		return aerr(e, ENARX_E_ATTEST_FORMAT, "quote: header truncated");
	if (q->att_key_type != 2)
		return aerr(e, ENARX_E_ATTEST_FORMAT,
		            "quote: attestation key type %u, expected 2 (ECDSA P-256)",
		            q->att_key_type);
	if (memcmp(q->qe_vendor_id, intel_qe_vendor, 16) != 0)
		return aerr(e, ENARX_E_ATTEST_FORMAT, "quote: QE vendor ID is not Intel's");
	if (q->version == 3) {
		if (q->tee_type != 0)
			return aerr(e, ENARX_E_ATTEST_FORMAT, "SGX quote v3: reserved field 0x%x",
			            q->tee_type);
		const uint8_t *body;
		if (cursor_bytes(&c, SGX_REPORT_SIZE, &body) ||
		    parse_sgx_report(body, q, cl->report_data))
			return aerr(e, ENARX_E_ATTEST_FORMAT, "SGX quote: report truncated");
		cl->tee = ENARX_TEE_SGX;
		cl->debug = (q->attributes[0] >> 1) & 1;
	} else if (q->version == 4 || q->version == 5) {
		if (q->tee_type != 0x81)
			return aerr(e, ENARX_E_ATTEST_FORMAT,
			            "TDX quote: TEE type 0x%x, expected 0x81", q->tee_type);
		q->body_type = 2;
		uint32_t body_size = TD10_SIZE;
		if (q->version == 5 &&
		    (cursor_u16le(&c, &q->body_type) || cursor_u32le(&c, &body_size)))
			return aerr(e, ENARX_E_ATTEST_FORMAT,
			            "TDX quote v5: body descriptor truncated");
		if (!((q->body_type == 2 && body_size == TD10_SIZE) ||
		      (q->body_type == 3 && body_size == TD15_SIZE)))
			return aerr(e, ENARX_E_ATTEST_FORMAT,
			            "TDX quote: body type %u size %u not supported", q->body_type,
			            body_size);
		struct cursor body;
		if (cursor_sub(&c, body_size, &body) ||
		    parse_td_report(&body, q->body_type == 3, q, cl->report_data))
			return aerr(e, ENARX_E_ATTEST_FORMAT, "TDX quote: TD report truncated");
		cl->tee = ENARX_TEE_TDX;
		cl->debug = q->td_attributes & 1;
		q->qe_svn = q->pce_svn = 0; /* reserved in v4/v5 headers */
	} else {
		return aerr(e, ENARX_E_ATTEST_VERSION, "quote: version %u not supported (3, 4, 5)",
		            q->version);
	}
	qp->signed_p = ev->data.p;
	qp->signed_n = cursor_offset(&c);
	if (cursor_u32le(&c, &sig_len) || cursor_sub(&c, sig_len, &sigc))
		return aerr(e, ENARX_E_ATTEST_FORMAT,
		            "quote: signature data length %u exceeds the quote", sig_len);
	if (cursor_bytes(&sigc, 64, &qp->sig) || cursor_bytes(&sigc, 64, &qp->attest_key))
		return aerr(e, ENARX_E_ATTEST_FORMAT, "quote: signature data truncated");
	if (q->version == 3) {
		if (qe_part(&sigc, qp) || cert_data(&sigc, &type, &inner))
			return aerr(e, ENARX_E_ATTEST_FORMAT, "SGX quote: QE data truncated");
	} else {
		/* type 6: QE report certification data wrapping QE report + PCK chain */
		if (cert_data(&sigc, &type, &cd) || type != 6)
			return aerr(e, ENARX_E_ATTEST_FORMAT,
			            "TDX quote: outer certification data type %u, expected 6",
			            type);
		if (qe_part(&cd, qp) || cert_data(&cd, &type, &inner) || !cursor_eof(&cd))
			return aerr(e, ENARX_E_ATTEST_FORMAT,
			            "TDX quote: QE certification data malformed");
	}
	if (type != 5)
		return aerr(e, ENARX_E_ATTEST_FORMAT,
		            "quote: certification data type %u, expected 5 (PCK chain)", type);
	if (!cursor_eof(&sigc))
		return aerr(e, ENARX_E_ATTEST_FORMAT, "quote: %zu bytes left in the signature data",
		            cursor_left(&sigc));
	qp->pck_pem = inner.p;
	qp->pck_pem_len = cursor_left(&inner);
	/* Trailing bytes after the declared signature data: padding (zeros) is
	 * accepted, as real quotes have it; other data only if allowed. */
	q->trailing_bytes = cursor_left(&c);
	if (q->trailing_bytes && !ev->allow_trailing && !all_zero(c.p, cursor_left(&c)))
		return aerr(e, ENARX_E_ATTEST_FORMAT,
		            "quote: %zu bytes of non-zero trailing data after the signature data",
		            q->trailing_bytes);
	return 0;
}

/* ---- PCK certificate SGX extensions (Intel PCK Certificate and CRL Profile) ---- */

static const uint8_t sgx_ext_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

/* Reads SEQUENCE { OID, value } and returns the arcs after the SGX prefix. */
static int sgx_item(struct cursor *c, int arcs[2], int *narcs, struct cursor *val, uint8_t *vtag)
{
	struct cursor item, oid;
	int rc;
	if ((rc = der_expect(c, DER_SEQUENCE, &item)) || (rc = der_expect(&item, DER_OID, &oid)))
		return rc;
	size_t n = cursor_left(&oid);
	if (n <= sizeof(sgx_ext_oid) || n > sizeof(sgx_ext_oid) + 2 ||
	    memcmp(oid.p, sgx_ext_oid, sizeof(sgx_ext_oid)) != 0)
		return ENARX_E_MALFORMED;
	*narcs = (int)(n - sizeof(sgx_ext_oid));
	for (int i = 0; i < *narcs; i++) {
		arcs[i] = oid.p[sizeof(sgx_ext_oid) + i];
		if (arcs[i] & 0x80)
			return ENARX_E_MALFORMED;
	}
	if ((rc = der_read(&item, vtag, val)))
		return rc;
	return cursor_eof(&item) ? 0 : ENARX_E_TRAILING;
}

static int pck_tcb(struct cursor *seq, enarx_intel_claims *q)
{
	bool seen[19] = {false};
	while (!cursor_eof(seq)) {
		int arcs[2], na;
		struct cursor v;
		uint8_t tag;
		int rc = sgx_item(seq, arcs, &na, &v, &tag);
		if (rc)
			return rc;
		if (na != 2 || arcs[0] != 2 || arcs[1] < 1 || arcs[1] > 18)
			continue;
		int k = arcs[1];
		if (k == 18) { /* CPUSVN OCTET STRING */
			if (tag != DER_OCTET_STRING || cursor_left(&v) != 16)
				return ENARX_E_MALFORMED;
		} else {
			struct cursor whole = v;
			uint64_t x = 0;
			if (tag != DER_INTEGER || cursor_left(&v) == 0 || cursor_left(&v) > 3)
				return ENARX_E_MALFORMED;
			for (size_t i = 0; i < cursor_left(&whole); i++)
				x = (x << 8) | whole.p[i];
			if (v.p[0] & 0x80 || x > 0xffff)
				return ENARX_E_MALFORMED;
			if (k <= 16) {
				if (x > 255)
					return ENARX_E_MALFORMED;
				q->pck_svn[k - 1] = (uint8_t)x;
			} else {
				q->pck_pcesvn = (uint16_t)x;
			}
		}
		seen[k] = true;
	}
	for (int k = 1; k <= 17; k++)
		if (!seen[k])
			return ENARX_E_MALFORMED;
	return 0;
}

int attest_pck_extensions(X509 *pck, enarx_intel_claims *q)
{
	const ASN1_OCTET_STRING *o = attest_ext(pck, "1.2.840.113741.1.13.1");
	if (!o)
		return ENARX_E_MALFORMED;
	struct cursor c, seq;
	cursor_init(&c, ASN1_STRING_get0_data(o), (size_t)ASN1_STRING_length(o));
	int rc = der_expect(&c, DER_SEQUENCE, &seq);
	if (rc || !cursor_eof(&c))
		return ENARX_E_MALFORMED;
	bool tcb = false, fmspc = false, pceid = false;
	while (!cursor_eof(&seq)) {
		int arcs[2], na;
		struct cursor v;
		uint8_t tag;
		if ((rc = sgx_item(&seq, arcs, &na, &v, &tag)))
			return rc;
		if (na != 1)
			continue;
		if (arcs[0] == 2) {
			if (tag != DER_SEQUENCE || (rc = pck_tcb(&v, q)))
				return ENARX_E_MALFORMED;
			tcb = true;
		} else if (arcs[0] == 3) {
			if (tag != DER_OCTET_STRING || cursor_copy(&v, q->pceid, 2) ||
			    !cursor_eof(&v))
				return ENARX_E_MALFORMED;
			pceid = true;
		} else if (arcs[0] == 4) {
			if (tag != DER_OCTET_STRING || cursor_copy(&v, q->fmspc, 6) ||
			    !cursor_eof(&v))
				return ENARX_E_MALFORMED;
			fmspc = true;
		}
	}
	return tcb && fmspc && pceid ? 0 : ENARX_E_MALFORMED;
}

/* ---- PCK chain ---- */

static int pck_cache_key(const enarx_evidence *ev, const quote_parts *qp, uint8_t key[32])
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok = m && EVP_DigestInit_ex(m, EVP_sha256(), NULL) == 1 &&
	         EVP_DigestUpdate(m, qp->pck_pem, qp->pck_pem_len) == 1;
	for (size_t i = 0; ok && i < ev->crls.n; i++)
		ok = EVP_DigestUpdate(m, ev->crls.v[i].p, ev->crls.v[i].n) == 1;
	ok = ok && EVP_DigestFinal_ex(m, key, NULL) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : ENARX_E_INTERNAL;
}

/*
 * PCK chain (QVL 4.1.2.4.3-4.1.2.4.7): exactly leaf, Platform/Processor CA,
 * root; root key == pinned Intel SGX Root CA; each signature; each validity;
 * root CRL covers the intermediate and the PCK CRL covers the leaf when given.
 */
static int pck_chain(enarx_attest *a, const enarx_evidence *ev, const quote_parts *qp, time_t at,
                     attest_cache_entry *ce, attest_err *e)
{
	STACK_OF(X509) *sk = NULL;
	int rc;
	if (attest_parse_certs(qp->pck_pem, qp->pck_pem_len, &sk))
		return aerr(e, ENARX_E_ATTEST_CHAIN, "quote: PCK certificate chain does not parse");
	if (sk_X509_num(sk) != 3) {
		rc = aerr(e, ENARX_E_ATTEST_CHAIN,
		          "quote: PCK chain has %d certificates, expected 3", sk_X509_num(sk));
		goto out;
	}
	X509 *leaf = sk_X509_value(sk, 0), *ca = sk_X509_value(sk, 1), *root = sk_X509_value(sk, 2);
	if (!EVP_PKEY_eq(X509_get0_pubkey(root), a->intel_root_key) ||
	    X509_NAME_cmp(X509_get_subject_name(root), X509_get_subject_name(a->intel_root)) != 0) {
		rc = aerr(e, ENARX_E_ATTEST_CHAIN,
		          "quote: PCK chain root is not the Intel SGX Root CA");
		goto out;
	}
	if ((rc = attest_cert_signed_by(ca, a->intel_root, a->intel_root_key, e, "PCK CA")) ||
	    (rc = attest_cert_signed_by(leaf, ca, X509_get0_pubkey(ca), e, "PCK")))
		goto out;
	char ca_cn[96];
	attest_cert_cn(ca, ca_cn, sizeof(ca_cn));
	if (!X509_check_ca(ca) ||
	    (!strstr(ca_cn, "PCK Platform CA") && !strstr(ca_cn, "PCK Processor CA"))) {
		rc = aerr(e, ENARX_E_ATTEST_CHAIN,
		          "quote: PCK issuer \"%s\" is not an Intel SGX PCK Platform/Processor CA",
		          ca_cn);
		goto out;
	}
	char cn[96];
	attest_cert_cn(leaf, cn, sizeof(cn));
	if (!strstr(cn, "SGX PCK Certificate")) {
		rc = aerr(e, ENARX_E_ATTEST_CHAIN, "quote: PCK leaf CN \"%s\"", cn);
		goto out;
	}
	attest_cert_cn(ca, cn, sizeof(cn));
	snprintf(ce->pck_ca, sizeof(ce->pck_ca), "%s",
	         strstr(cn, "Platform")    ? "platform"
	         : strstr(cn, "Processor") ? "processor"
	                                   : "?");
	time_t lo = 0, hi = (time_t)INT64_MAX;
	X509 *all[3] = {leaf, ca, a->intel_root};
	for (int i = 0; i < 3; i++) {
		time_t l, h;
		attest_cert_window(all[i], &l, &h);
		lo = l > lo ? l : lo;
		hi = h < hi ? h : hi;
	}
	if (at < lo || at > hi) {
		char b1[32], b2[32];
		attest_format_time(lo, b1, sizeof(b1));
		attest_format_time(hi, b2, sizeof(b2));
		rc = aerr(e, ENARX_E_ATTEST_EXPIRED,
		          "quote: PCK chain not valid at this time (%s..%s)", b1, b2);
		goto out;
	}
	bool c1 = false, c2 = false;
	if ((rc = attest_crl_check(ca, a->intel_root, a->intel_root_key, &ev->crls, at, &c1, &lo,
	                           &hi, e, "PCK CA")) ||
	    (rc = attest_crl_check(leaf, ca, X509_get0_pubkey(ca), &ev->crls, at, &c2, &lo, &hi, e,
	                           "PCK")))
		goto out;
	enarx_intel_claims tmp;
	memset(&tmp, 0, sizeof(tmp));
	if (attest_pck_extensions(leaf, &tmp)) {
		rc = aerr(e, ENARX_E_ATTEST_CHAIN, "quote: PCK SGX extensions malformed");
		goto out;
	}
	EVP_PKEY *k = X509_get0_pubkey(leaf);
	if (!k || EVP_PKEY_get_id(k) != EVP_PKEY_EC || EVP_PKEY_get_bits(k) != 256 ||
	    !EVP_PKEY_up_ref(k)) {
		rc = aerr(e, ENARX_E_ATTEST_CHAIN, "quote: PCK key is not EC P-256");
		goto out;
	}
	ce->pkey = k;
	memcpy(ce->fmspc, tmp.fmspc, 6);
	memcpy(ce->pceid, tmp.pceid, 2);
	memcpy(ce->pck_svn, tmp.pck_svn, 16);
	ce->pcesvn = tmp.pck_pcesvn;
	ce->crl_checked = c1 && c2;
	ce->lo = lo;
	ce->hi = hi;
	rc = 0;
out:
	sk_X509_pop_free(sk, X509_free);
	ERR_clear_error();
	return rc;
}

int attest_intel_verify(enarx_attest *a, const enarx_evidence *ev, time_t at, enarx_claims *c)
{
	attest_err *e = &a->err;
	quote_parts qp;
	memset(&qp, 0, sizeof(qp));
	int rc = parse_quote(ev, c, &qp, e);
	if (rc)
		return rc;
	enarx_intel_claims *q = &c->intel;
	if (ev->tee != c->tee)
		return aerr(e, ENARX_E_ATTEST_FORMAT,
		            "quote: evidence type does not match the quote");
	uint8_t key[32];
	if ((rc = pck_cache_key(ev, &qp, key)))
		return rc;
	attest_cache_entry *ce = attest_cache_find(a->pck_cache, key, at);
	if (ce) {
		a->cache_hits++;
	} else {
		a->cache_misses++;
		attest_cache_entry tmp;
		memset(&tmp, 0, sizeof(tmp));
		if ((rc = pck_chain(a, ev, &qp, at, &tmp, e))) {
			attest_cache_entry_clear(&tmp);
			return rc;
		}
		ce = attest_cache_slot(a->pck_cache, &a->pck_next);
		*ce = tmp;
		memcpy(ce->key, key, 32);
		ce->used = true;
	}
	memcpy(q->fmspc, ce->fmspc, 6);
	memcpy(q->pceid, ce->pceid, 2);
	memcpy(q->pck_svn, ce->pck_svn, 16);
	q->pck_pcesvn = ce->pcesvn;
	memcpy(q->pck_ca, ce->pck_ca, sizeof(q->pck_ca));
	c->revocation_checked = ce->crl_checked;
	/* 4.1.2.4.12: QE report signed by the PCK */
	if (attest_ecdsa_verify(ce->pkey, EVP_sha256(), qp.qe_report, SGX_REPORT_SIZE, qp.qe_sig,
	                        qp.qe_sig + 32, 32, false))
		return aerr(e, ENARX_E_ATTEST_SIGNATURE,
		            "quote: QE report signature invalid (PCK)");
	/* 4.1.2.4.13: QE report_data = SHA-256(attest key || auth data) || 32 zero bytes */
	uint8_t h[32];
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok = m && EVP_DigestInit_ex(m, EVP_sha256(), NULL) == 1 &&
	         EVP_DigestUpdate(m, qp.attest_key, 64) == 1 &&
	         EVP_DigestUpdate(m, qp.auth, qp.auth_len) == 1 &&
	         EVP_DigestFinal_ex(m, h, NULL) == 1;
	EVP_MD_CTX_free(m);
	if (!ok)
		return ENARX_E_INTERNAL;
	const uint8_t *qe_rd = qp.qe_report + 320;
	if (memcmp(qe_rd, h, 32) != 0 || !all_zero(qe_rd + 32, 32))
		return aerr(e, ENARX_E_ATTEST_SIGNATURE,
		            "quote: QE report_data does not bind the attestation key");
	/* 4.1.2.4.16: quote signature by the attestation key over header + body */
	EVP_PKEY *ak = attest_p256_from_xy(qp.attest_key);
	if (!ak)
		return aerr(e, ENARX_E_ATTEST_SIGNATURE, "quote: attestation key not on P-256");
	rc = attest_ecdsa_verify(ak, EVP_sha256(), qp.signed_p, qp.signed_n, qp.sig, qp.sig + 32,
	                         32, false);
	EVP_PKEY_free(ak);
	if (rc)
		return aerr(e, ENARX_E_ATTEST_SIGNATURE,
		            "quote: signature invalid (attestation key)");
	/* QE identity fields come from the QE report (an SGX report body). */
	return attest_intel_tcb_eval(a, ev, at, c, e, qp.qe_report);
}
