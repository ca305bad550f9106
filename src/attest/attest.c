/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifier context (pinned roots, result caches), the evidence bundle,
 * and dispatch to the per-TEE verifiers.
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <string.h>

#include "attest/attest_int.h"
#include "attest/roots.h"
#include "keep/abi.h"
#include "lib/alloc.h"

static X509 *x509_from(const attest_blob *b)
{
	const unsigned char *q = b->der;
	return d2i_X509(NULL, &q, (long)b->len);
}

/* Loads the pinned roots and checks them once: ARK self-signed, ASK and ASVK signed by the ARK. */
enarx_attest *enarx_attest_new(void)
{
	enarx_attest *a = xcalloc(1, sizeof(*a));
	if (!a)
		return NULL;
	for (int i = 0; i < 3; i++) {
		a->ark[i] = x509_from(&attest_pinned_amd[i].ark);
		a->ask[i] = x509_from(&attest_pinned_amd[i].ask);
		a->asvk[i] = x509_from(&attest_pinned_amd[i].asvk);
		if (!a->ark[i] || !a->ask[i] || !a->asvk[i])
			goto fail;
		a->ark_key[i] = X509_get0_pubkey(a->ark[i]);
		a->ask_key[i] = X509_get0_pubkey(a->ask[i]);
		a->asvk_key[i] = X509_get0_pubkey(a->asvk[i]);
		if (X509_verify(a->ark[i], a->ark_key[i]) != 1 ||
		    X509_verify(a->ask[i], a->ark_key[i]) != 1 ||
		    X509_verify(a->asvk[i], a->ark_key[i]) != 1)
			goto fail;
	}
	a->intel_root = x509_from(&attest_pinned_intel_root);
	if (!a->intel_root)
		goto fail;
	a->intel_root_key = X509_get0_pubkey(a->intel_root);
	if (X509_verify(a->intel_root, a->intel_root_key) != 1)
		goto fail;
	return a;
fail:
	ERR_clear_error();
	enarx_attest_free(a);
	return NULL;
}

void attest_cache_entry_clear(attest_cache_entry *ce)
{
	EVP_PKEY_free(ce->pkey);
	memset(ce, 0, sizeof(*ce));
}

void enarx_attest_free(enarx_attest *a)
{
	if (!a)
		return;
	for (int i = 0; i < 3; i++) {
		X509_free(a->ark[i]);
		X509_free(a->ask[i]);
		X509_free(a->asvk[i]);
	}
	X509_free(a->intel_root);
	for (int i = 0; i < ATTEST_CACHE_SLOTS; i++) {
		attest_cache_entry_clear(&a->snp_cache[i]);
		attest_cache_entry_clear(&a->pck_cache[i]);
		attest_cache_entry_clear(&a->col_cache[i]);
	}
	xfree(a);
}

const char *enarx_attest_error(const enarx_attest *a)
{
	return a ? a->err.msg : "";
}

attest_cache_entry *attest_cache_find(attest_cache_entry *tab, const uint8_t key[32], time_t at)
{
	for (int i = 0; i < ATTEST_CACHE_SLOTS; i++)
		if (tab[i].used && memcmp(tab[i].key, key, 32) == 0 && tab[i].lo <= at &&
		    at <= tab[i].hi)
			return &tab[i];
	return NULL;
}

attest_cache_entry *attest_cache_slot(attest_cache_entry *tab, unsigned *next)
{
	attest_cache_entry *ce = &tab[*next % ATTEST_CACHE_SLOTS];
	*next = (*next + 1) % ATTEST_CACHE_SLOTS;
	attest_cache_entry_clear(ce);
	return ce;
}

/* ---------------- evidence ---------------- */

enarx_evidence *enarx_evidence_new(void)
{
	return xcalloc(1, sizeof(enarx_evidence));
}

static void list_free(attest_bytes_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		xfree(l->v[i].p);
	xfree(l->v);
	l->v = NULL;
	l->n = 0;
}

void enarx_evidence_free(enarx_evidence *ev)
{
	if (!ev)
		return;
	xfree(ev->data.p);
	xfree(ev->hcl_claims.p);
	list_free(&ev->certs);
	list_free(&ev->crls);
	xfree(ev->tcb_info.body);
	xfree(ev->qe_identity.body);
	xfree(ev);
}

int enarx_evidence_set(enarx_evidence *ev, enarx_tee tee, const uint8_t *p, size_t n)
{
	uint8_t *copy = xmalloc(n ? n : 1);
	if (!copy)
		return ENARX_E_NOMEM;
	if (n)
		memcpy(copy, p, n); /* p may be NULL when n is 0 */
	xfree(ev->data.p);
	ev->data.p = copy;
	ev->data.n = n;
	ev->tee = tee;
	return 0;
}

/*
 * Azure vTPM "HCL report": header ("HCLA", version, report size, request
 * type 2, status), the SNP report at 0x20, then IGVM_REQUEST_DATA at 0x4C0
 * (u32 data size, version 1, report type 2 (SNP), hash type, variable data
 * size, variable data = runtime claims JSON), then zero padding.
 */
static int set_hcl(enarx_evidence *ev, const uint8_t *p, size_t n)
{
	struct cursor c, rep;
	uint8_t magic[4], reserved[12];
	uint32_t version, size, type, status, dsize, dver, rtype, htype, vsize;
	const uint8_t *var;
	cursor_init(&c, p, n);
	if (cursor_copy(&c, magic, 4) || cursor_u32le(&c, &version) || cursor_u32le(&c, &size) ||
	    cursor_u32le(&c, &type) || cursor_u32le(&c, &status) ||
	    cursor_copy(&c, reserved, sizeof(reserved)) || cursor_sub(&c, 0x4a0, &rep) ||
	    cursor_u32le(&c, &dsize) || cursor_u32le(&c, &dver) || cursor_u32le(&c, &rtype) ||
	    cursor_u32le(&c, &htype) || cursor_u32le(&c, &vsize) || cursor_bytes(&c, vsize, &var))
		return ENARX_E_ATTEST_FORMAT;
	/* Every unsigned header byte is pinned down, so none can change unnoticed. */
	static const uint8_t zero[12];
	if ((version != 1 && version != 2) || type != 2 || status != 0 ||
	    memcmp(reserved, zero, sizeof(zero)) != 0 || dver != 1 || rtype != 2 || htype < 1 ||
	    htype > 3 || dsize != vsize + 20 || size != cursor_offset(&c))
		return ENARX_E_ATTEST_FORMAT;
	for (const uint8_t *q = c.p; q < c.end; q++)
		if (*q)
			return ENARX_E_ATTEST_FORMAT; /* only zero padding may follow */
	uint8_t *copy = xmalloc(vsize ? vsize : 1);
	if (!copy)
		return ENARX_E_NOMEM;
	if (vsize)
		memcpy(copy, var, vsize);
	int rc = enarx_evidence_set(ev, ENARX_TEE_SNP, rep.p, 0x4a0);
	if (rc) {
		xfree(copy);
		return rc;
	}
	xfree(ev->hcl_claims.p);
	ev->hcl_claims.p = copy;
	ev->hcl_claims.n = vsize;
	ev->hcl_hash_type = htype;
	return 0;
}

/* SNP reports are 1184 bytes with version 2..5 and SIGNATURE_ALGO 1; Intel
 * quotes start with version 3/4/5 and attestation key type 2; a CSR is a DER SEQUENCE. */
int enarx_evidence_set_auto(enarx_evidence *ev, const uint8_t *p, size_t n)
{
	if (n == 0)
		return enarx_evidence_set(ev, ENARX_TEE_KVM, p, n);
	if (n == 0x4a0 && p[0] >= 2 && p[0] <= 5 && p[0x34] == 1)
		return enarx_evidence_set(ev, ENARX_TEE_SNP, p, n);
	if (n >= 8 && p[1] == 0 && p[2] == 2 && p[3] == 0) {
		if (p[0] == 3)
			return enarx_evidence_set(ev, ENARX_TEE_SGX, p, n);
		if ((p[0] == 4 || p[0] == 5) && p[4] == 0x81)
			return enarx_evidence_set(ev, ENARX_TEE_TDX, p, n);
	}
	if (n >= 4 && memcmp(p, "HCLA", 4) == 0)
		return set_hcl(ev, p, n);
	if (n >= KEEP_KVM_EVIDENCE_MAGIC_LEN &&
	    memcmp(p, KEEP_KVM_EVIDENCE_MAGIC, KEEP_KVM_EVIDENCE_MAGIC_LEN) == 0)
		return enarx_evidence_set(ev, ENARX_TEE_KVM, p, n);
	return ENARX_E_ATTEST_FORMAT;
}

void enarx_evidence_allow_trailing_data(enarx_evidence *ev, bool allow)
{
	ev->allow_trailing = allow;
}

static int add_pem_crls(enarx_evidence *ev, const uint8_t *p, size_t n)
{
	BIO *b = BIO_new_mem_buf(p, (int)n);
	X509_CRL *crl;
	int rc = 0, count = 0;
	if (!b)
		return ENARX_E_NOMEM;
	while (!rc && (crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL)) != NULL) {
		unsigned char *der = NULL;
		int len = i2d_X509_CRL(crl, &der);
		rc = len > 0 ? attest_bytes_list_add(&ev->crls, der, (size_t)len) : ENARX_E_NOMEM;
		OPENSSL_free(der);
		X509_CRL_free(crl);
		count++;
	}
	BIO_free(b);
	ERR_clear_error();
	return rc ? rc : count ? 0 : ENARX_E_MALFORMED;
}

/*
 * DER input without parsing it (the verifier parses on a cache miss only):
 * a Certificate, a CertificateList (CRL) or a PkiPath (SEQUENCE OF
 * Certificate). TBSCertificate is [0] version?, serial, AlgorithmIdentifier,
 * Name, Validity SEQUENCE; TBSCertList is version?, AlgorithmIdentifier, Name,
 * thisUpdate Time: the element after the Name tells them apart.
 */
static int add_der(enarx_evidence *ev, const uint8_t *p, size_t n)
{
	struct cursor c, outer, first, inner, x;
	uint8_t t;
	cursor_init(&c, p, n);
	if (der_expect(&c, DER_SEQUENCE, &outer) || !cursor_eof(&c))
		return ENARX_E_MALFORMED;
	struct cursor probe = outer;
	if (der_read(&probe, &t, &first) || t != DER_SEQUENCE)
		return ENARX_E_MALFORMED;
	struct cursor f2 = first;
	if (der_read(&f2, &t, &inner))
		return ENARX_E_MALFORMED;
	if (t == DER_SEQUENCE && cursor_left(&inner) &&
	    (inner.p[0] == 0xa0 || inner.p[0] == DER_INTEGER)) {
		/* PkiPath: every element a Certificate */
		int rc = 0;
		while (!rc && !cursor_eof(&outer)) {
			const uint8_t *cp;
			size_t cn;
			rc = der_peek_tlv(&outer, &cp, &cn);
			if (!rc)
				rc = attest_bytes_list_add(&ev->certs, cp, cn);
			if (!rc)
				rc = cursor_skip(&outer, cn);
		}
		return rc;
	}
	struct cursor tbs = first;
	if (cursor_left(&tbs) && tbs.p[0] == 0xa0 && der_read(&tbs, &t, &x))
		return ENARX_E_MALFORMED;
	if (cursor_left(&tbs) && tbs.p[0] == DER_INTEGER && der_read(&tbs, &t, &x))
		return ENARX_E_MALFORMED;
	if (der_expect(&tbs, DER_SEQUENCE, &x) || der_expect(&tbs, DER_SEQUENCE, &x) ||
	    cursor_left(&tbs) == 0)
		return ENARX_E_MALFORMED;
	if (tbs.p[0] == 0x17 || tbs.p[0] == 0x18)
		return attest_bytes_list_add(&ev->crls, p, n);
	if (tbs.p[0] == DER_SEQUENCE)
		return attest_bytes_list_add(&ev->certs, p, n);
	return ENARX_E_MALFORMED;
}

/*
 * SEV-SNP extended-report certificate table (GHCB spec, pub. 56421, "SNP
 * Extended Guest Request"): entries { GUID[16], u32 offset, u32 length }
 * ended by an all-zero entry; offsets are from the table start. VCEK, VLEK,
 * ASK and ARK GUIDs are known; other entries are ignored.
 */
static const uint8_t ghcb_guids[4][16] = {
    /* VCEK 63da758d-e664-4564-adc5-f4b93be8accd */
    {0x8d, 0x75, 0xda, 0x63, 0x64, 0xe6, 0x64, 0x45, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac,
     0xcd},
    /* VLEK a8074bc2-a25a-483e-aae6-39c045a0b8a1 */
    {0xc2, 0x4b, 0x07, 0xa8, 0x5a, 0xa2, 0x3e, 0x48, 0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8,
     0xa1},
    /* ASK 4ab7b379-bbac-4fe4-a02f-05aef327c782 */
    {0x79, 0xb3, 0xb7, 0x4a, 0xac, 0xbb, 0xe4, 0x4f, 0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7,
     0x82},
    /* ARK c0b406a4-a803-4952-9743-3fb6014cd0ae */
    {0xa4, 0x06, 0xb4, 0xc0, 0x03, 0xa8, 0x52, 0x49, 0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0,
     0xae},
};

static bool is_ghcb_table(const uint8_t *p, size_t n)
{
	for (int i = 0; n >= 24 && i < 4; i++)
		if (memcmp(p, ghcb_guids[i], 16) == 0)
			return true;
	return false;
}

static int add_ghcb_table(enarx_evidence *ev, const uint8_t *p, size_t n)
{
	static const uint8_t zero[16];
	struct cursor c;
	cursor_init(&c, p, n);
	for (int k = 0; k < 64; k++) {
		uint8_t guid[16];
		uint32_t off, len;
		if (cursor_copy(&c, guid, 16) || cursor_u32le(&c, &off) || cursor_u32le(&c, &len))
			return ENARX_E_MALFORMED;
		if (memcmp(guid, zero, 16) == 0)
			return off == 0 && len == 0 ? 0 : ENARX_E_MALFORMED;
		if (!range_ok(off, len, n) || off < cursor_offset(&c))
			return ENARX_E_MALFORMED;
		bool known = false;
		for (int i = 0; i < 4; i++)
			known |= memcmp(guid, ghcb_guids[i], 16) == 0;
		int rc = known ? add_der(ev, p + off, len) : 0;
		if (rc)
			return rc;
	}
	return ENARX_E_MALFORMED;
}

int enarx_evidence_add(enarx_evidence *ev, const uint8_t *p, size_t n)
{
	if (n == 0 || n > (64u << 20))
		return ENARX_E_INVAL;
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
		i++;
	if (i < n && p[i] == '{')
		return attest_evidence_add_json(ev, p, n);
	if (is_ghcb_table(p, n))
		return add_ghcb_table(ev, p, n);
	if (memmem(p, n, "-----BEGIN X509 CRL", 19))
		return add_pem_crls(ev, p, n);
	if (memmem(p, n, "-----BEGIN", 10))
		return attest_pem_split(p, n, &ev->certs);
	return add_der(ev, p, n);
}

/* ---------------- verification ---------------- */

int enarx_attest_verify(enarx_attest *a, const enarx_evidence *ev, time_t at, enarx_claims **out)
{
	*out = NULL;
	a->err.msg[0] = 0;
	if (!ev->data.p && ev->tee != ENARX_TEE_KVM)
		return aerr(&a->err, ENARX_E_INVAL, "no evidence given");
	if (at == 0)
		at = time(NULL);
	enarx_claims *c = xcalloc(1, sizeof(*c));
	if (!c)
		return ENARX_E_NOMEM;
	int rc;
	switch (ev->tee) {
	case ENARX_TEE_SNP: rc = attest_snp_verify(a, ev, at, c); break;
	case ENARX_TEE_SGX:
	case ENARX_TEE_TDX: rc = attest_intel_verify(a, ev, at, c); break;
	case ENARX_TEE_KVM: rc = attest_kvm_verify(a, ev, at, c); break;
	default: rc = aerr(&a->err, ENARX_E_ATTEST_FORMAT, "unknown evidence type");
	}
	if (rc == 0 || rc == ENARX_E_ATTEST_TCB) {
		*out = c;
		return rc;
	}
	enarx_claims_free(c);
	return rc;
}

void enarx_claims_free(enarx_claims *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->intel.n_advisories; i++)
		xfree(c->intel.advisories[i]);
	xfree(c->snp.hcl_runtime_claims);
	xfree(c);
}

int attest_claims_add_advisory(enarx_claims *c, const char *id)
{
	for (size_t i = 0; i < c->intel.n_advisories; i++)
		if (strcmp(c->intel.advisories[i], id) == 0)
			return 0;
	/* Never drop one silently: a policy may be checking the list. */
	if (c->intel.n_advisories >= ENARX_ATTEST_MAX_ADVISORIES)
		return ENARX_E_ATTEST_COLLATERAL;
	char *d = xstrdup(id);
	if (!d)
		return ENARX_E_NOMEM;
	c->intel.advisories[c->intel.n_advisories++] = d;
	return 0;
}

const char *enarx_tcb_status_name(enarx_tcb_status s)
{
	switch (s) {
	case ENARX_TCB_UNEVALUATED: return "Unevaluated";
	case ENARX_TCB_UP_TO_DATE: return "UpToDate";
	case ENARX_TCB_SW_HARDENING_NEEDED: return "SWHardeningNeeded";
	case ENARX_TCB_CONFIGURATION_NEEDED: return "ConfigurationNeeded";
	case ENARX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED:
		return "ConfigurationAndSWHardeningNeeded";
	case ENARX_TCB_OUT_OF_DATE: return "OutOfDate";
	case ENARX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED: return "OutOfDateConfigurationNeeded";
	case ENARX_TCB_TD_RELAUNCH_ADVISED: return "TDRelaunchAdvised";
	case ENARX_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED:
		return "TDRelaunchAdvisedConfigurationNeeded";
	case ENARX_TCB_REVOKED: return "Revoked";
	case ENARX_TCB_NOT_SUPPORTED: return "NotSupported";
	}
	return "?";
}
