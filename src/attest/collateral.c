/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intel collateral: TCB info (SGX/TDX, v2/v3) and QE identity JSON from the
 * Intel PCS API. Their ECDSA-P256 signatures cover the exact text of the
 * "tcbInfo" / "enclaveIdentity" member, so we cut that text out of the
 * document unchanged before parsing it. TCB status follows Intel's QVL rules
 * (steps 4.1.2.4.14-17 in its sources): platform level from the PCK SVNs,
 * TDX components and module identity, QE identity, then convergence.
 */
#include <jansson.h>
#include <string.h>

#include "attest/attest_int.h"
#include "lib/alloc.h"
#include "lib/hex.h"

/* ---------------- exact-text member lookup ---------------- */

static size_t skip_ws(const char *t, size_t i, size_t n)
{
	while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
		i++;
	return i;
}

/* Index just past a JSON string starting at t[i] == '"', or 0 on error. */
static size_t skip_string(const char *t, size_t i, size_t n)
{
	for (i++; i < n; i++) {
		if (t[i] == '\\')
			i++;
		else if (t[i] == '"')
			return i + 1;
	}
	return 0;
}

/* Index just past the value at t[i], or 0 on error. Bracket depth is counted
 * iteratively (no recursion); jansson validates the document separately. */
static size_t skip_value(const char *t, size_t i, size_t n)
{
	if (i >= n)
		return 0;
	if (t[i] == '"')
		return skip_string(t, i, n);
	if (t[i] == '{' || t[i] == '[') {
		size_t depth = 0;
		while (i < n) {
			char ch = t[i];
			if (ch == '"') {
				i = skip_string(t, i, n);
				if (!i)
					return 0;
				continue;
			}
			if (ch == '{' || ch == '[')
				depth++;
			else if (ch == '}' || ch == ']') {
				if (--depth == 0)
					return i + 1;
			}
			i++;
		}
		return 0;
	}
	while (i < n && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' && t[i] != '\n' &&
	       t[i] != '\r' && t[i] != '\t')
		i++;
	return i;
}

int attest_json_member_span(const char *t, size_t n, const char *key, size_t *off, size_t *vlen)
{
	size_t i = skip_ws(t, 0, n), klen = strlen(key);
	if (i >= n || t[i] != '{')
		return ENARX_E_MALFORMED;
	i = skip_ws(t, i + 1, n);
	while (i < n && t[i] != '}') {
		if (t[i] != '"')
			return ENARX_E_MALFORMED;
		size_t ks = i + 1, ke = skip_string(t, i, n);
		if (!ke)
			return ENARX_E_MALFORMED;
		i = skip_ws(t, ke, n);
		if (i >= n || t[i] != ':')
			return ENARX_E_MALFORMED;
		i = skip_ws(t, i + 1, n);
		size_t ve = skip_value(t, i, n);
		if (!ve)
			return ENARX_E_MALFORMED;
		if (ke - 1 - ks == klen && memcmp(t + ks, key, klen) == 0) {
			*off = i;
			*vlen = ve - i;
			return 0;
		}
		i = skip_ws(t, ve, n);
		if (i < n && t[i] == ',')
			i = skip_ws(t, i + 1, n);
	}
	return ENARX_E_NOTFOUND;
}

/* ---------------- adding collateral to an evidence bundle ---------------- */

static int set_signed(attest_signed_json *d, const char *body, size_t len, const char *sighex)
{
	if (!sighex || strlen(sighex) != 128 || hex_decode(sighex, 128, d->sig, 64))
		return ENARX_E_MALFORMED;
	char *copy = xmalloc(len + 1);
	if (!copy)
		return ENARX_E_NOMEM;
	memcpy(copy, body, len);
	copy[len] = 0;
	xfree(d->body);
	d->body = copy;
	d->body_len = len;
	d->present = true;
	return 0;
}

/* PCS form: {"tcbInfo":{...},"signature":"hex"} or {"enclaveIdentity":...}. */
static int add_pcs(enarx_evidence *ev, const char *t, size_t n, json_t *root)
{
	const char *sig = json_string_value(json_object_get(root, "signature"));
	static const char *keys[] = {"tcbInfo", "enclaveIdentity", "qeIdentity"};
	for (int k = 0; k < 3; k++) {
		size_t off, len;
		if (!json_is_object(json_object_get(root, keys[k])))
			continue;
		if (attest_json_member_span(t, n, keys[k], &off, &len))
			return ENARX_E_MALFORMED;
		return set_signed(k == 0 ? &ev->tcb_info : &ev->qe_identity, t + off, len, sig);
	}
	return ENARX_E_NOTFOUND;
}

static int add_hex_crl(enarx_evidence *ev, const char *hex)
{
	size_t hl = strlen(hex);
	if (hl == 0 || hl % 2 || hl > (1u << 22))
		return ENARX_E_MALFORMED;
	uint8_t *der = xmalloc(hl / 2);
	if (!der)
		return ENARX_E_NOMEM;
	int rc = hex_decode(hex, hl, der, hl / 2);
	if (!rc)
		rc = attest_bytes_list_add(&ev->crls, der, hl / 2);
	xfree(der);
	return rc;
}

/* QuoteCollateralV3 (phala dcap-qvl / sgx_ql_qve_collateral_t pieces as JSON). */
static int add_bundle(enarx_evidence *ev, json_t *root)
{
	int rc;
	const char *ti = json_string_value(json_object_get(root, "tcb_info"));
	const char *qi = json_string_value(json_object_get(root, "qe_identity"));
	if (!ti && !qi)
		return ENARX_E_NOTFOUND;
	if (ti && (rc = set_signed(&ev->tcb_info, ti, strlen(ti),
	                           json_string_value(json_object_get(root, "tcb_info_signature")))))
		return rc;
	if (qi &&
	    (rc = set_signed(&ev->qe_identity, qi, strlen(qi),
	                     json_string_value(json_object_get(root, "qe_identity_signature")))))
		return rc;
	static const char *crls[] = {"root_ca_crl", "pck_crl"};
	for (int i = 0; i < 2; i++) {
		const char *h = json_string_value(json_object_get(root, crls[i]));
		if (h && (rc = add_hex_crl(ev, h)))
			return rc;
	}
	static const char *chains[] = {"pck_crl_issuer_chain", "tcb_info_issuer_chain",
	                               "qe_identity_issuer_chain"};
	for (int i = 0; i < 3; i++) {
		const char *pem = json_string_value(json_object_get(root, chains[i]));
		if (pem && (rc = enarx_evidence_add(ev, (const uint8_t *)pem, strlen(pem))))
			return rc;
	}
	return 0;
}

int attest_evidence_add_json(enarx_evidence *ev, const uint8_t *p, size_t n)
{
	json_error_t jerr;
	json_t *root = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(root)) {
		json_decref(root);
		return ENARX_E_MALFORMED;
	}
	int rc = add_pcs(ev, (const char *)p, n, root);
	if (rc == ENARX_E_NOTFOUND)
		rc = add_bundle(ev, root);
	json_decref(root);
	return rc == ENARX_E_NOTFOUND ? ENARX_E_MALFORMED : rc;
}

/* ---------------- collateral signature and signing chain ---------------- */

/* The collateral signer is an "Intel SGX TCB Signing" certificate issued by
 * the pinned root (root CRL checked when given), valid at `at`. */
static int col_cache_key(const enarx_evidence *ev, const attest_signed_json *doc, uint8_t key[32])
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok = m && EVP_DigestInit_ex(m, EVP_sha256(), NULL) == 1 &&
	         EVP_DigestUpdate(m, doc->body, doc->body_len) == 1 &&
	         EVP_DigestUpdate(m, doc->sig, 64) == 1;
	for (size_t i = 0; ok && i < ev->certs.n; i++)
		ok = EVP_DigestUpdate(m, ev->certs.v[i].p, ev->certs.v[i].n) == 1;
	for (size_t i = 0; ok && i < ev->crls.n; i++)
		ok = EVP_DigestUpdate(m, ev->crls.v[i].p, ev->crls.v[i].n) == 1;
	ok = ok && EVP_DigestFinal_ex(m, key, NULL) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : ENARX_E_INTERNAL;
}

static int collateral_sig_uncached(enarx_attest *a, const enarx_evidence *ev,
                                   const attest_signed_json *doc, time_t at, attest_cache_entry *ce,
                                   attest_err *e, const char *what);

/* Cached by document, signature, certificates and CRLs, for the window in
 * which the signing certificate and the root CRL are valid. */
int attest_collateral_verify_sig(enarx_attest *a, const enarx_evidence *ev,
                                 const attest_signed_json *doc, time_t at, time_t *expiry,
                                 attest_err *e, const char *what)
{
	uint8_t key[32];
	int rc = col_cache_key(ev, doc, key);
	if (rc)
		return rc;
	attest_cache_entry *ce = attest_cache_find(a->col_cache, key, at);
	if (!ce) {
		attest_cache_entry tmp;
		memset(&tmp, 0, sizeof(tmp));
		if ((rc = collateral_sig_uncached(a, ev, doc, at, &tmp, e, what)))
			return rc;
		ce = attest_cache_slot(a->col_cache, &a->col_next);
		*ce = tmp;
		memcpy(ce->key, key, 32);
		ce->used = true;
	}
	if (*expiry == 0 || ce->expiry < *expiry)
		*expiry = ce->expiry;
	return 0;
}

static int collateral_sig_uncached(enarx_attest *a, const enarx_evidence *ev,
                                   const attest_signed_json *doc, time_t at, attest_cache_entry *ce,
                                   attest_err *e, const char *what)
{
	bool found_expired = false, found_any = false;
	int rc = 0;
	for (size_t i = 0; i < ev->certs.n; i++) {
		const unsigned char *q = ev->certs.v[i].p;
		X509 *x = d2i_X509(NULL, &q, (long)ev->certs.v[i].n);
		if (!x)
			continue;
		char cn[96];
		attest_cert_cn(x, cn, sizeof(cn));
		EVP_PKEY *k = X509_get0_pubkey(x);
		if (!strstr(cn, "TCB Signing") || !k ||
		    attest_cert_signed_by(x, a->intel_root, a->intel_root_key, NULL, "") != 0 ||
		    attest_ecdsa_verify(k, EVP_sha256(), (const uint8_t *)doc->body, doc->body_len,
		                        doc->sig, doc->sig + 32, 32, false) != 0) {
			X509_free(x);
			continue;
		}
		found_any = true;
		if (!attest_cert_time_ok(x, at)) {
			found_expired = true;
			X509_free(x);
			continue;
		}
		bool cov = false;
		time_t lo = 0, hi = (time_t)INT64_MAX;
		rc = attest_crl_check(x, a->intel_root, a->intel_root_key, &ev->crls, at, &cov, &lo,
		                      &hi, e, "TCB signing certificate");
		time_t l2, h2;
		attest_cert_window(x, &l2, &h2);
		X509_free(x);
		if (rc)
			return rc;
		ce->expiry = h2;
		ce->lo = l2 > lo ? l2 : lo;
		ce->hi = h2 < hi ? h2 : hi;
		return 0;
	}
	ERR_clear_error();
	if (found_expired)
		return aerr(e, ENARX_E_ATTEST_EXPIRED,
		            "%s: the TCB signing certificate is expired or not yet valid", what);
	if (!found_any)
		return aerr(e, ENARX_E_ATTEST_COLLATERAL,
		            "%s: signature does not verify with any Intel TCB signing certificate "
		            "given (chained to the Intel SGX Root CA)",
		            what);
	return rc;
}

/* ---------------- JSON field helpers ---------------- */

static int jhex(json_t *o, const char *k, uint8_t *out, size_t n)
{
	const char *s = json_string_value(json_object_get(o, k));
	if (!s || strlen(s) != 2 * n)
		return ENARX_E_MALFORMED;
	return hex_decode(s, 2 * n, out, n);
}

static int jint(json_t *o, const char *k, int64_t *v)
{
	json_t *j = json_object_get(o, k);
	if (!json_is_integer(j))
		return ENARX_E_MALFORMED;
	*v = json_integer_value(j);
	return 0;
}

static int jtime_window(json_t *o, time_t at, time_t *expiry, attest_err *e, const char *what)
{
	time_t is, nu;
	const char *a = json_string_value(json_object_get(o, "issueDate"));
	const char *b = json_string_value(json_object_get(o, "nextUpdate"));
	if (!a || !b || attest_parse_time(a, &is) || attest_parse_time(b, &nu))
		return aerr(e, ENARX_E_ATTEST_COLLATERAL, "%s: bad issueDate/nextUpdate", what);
	if (at < is || at > nu)
		return aerr(e, ENARX_E_ATTEST_EXPIRED,
		            "%s: collateral expired or not yet valid (issueDate %s, nextUpdate %s)",
		            what, a, b);
	if (*expiry == 0 || nu < *expiry)
		*expiry = nu;
	return 0;
}

static enarx_tcb_status status_from(const char *s)
{
	static const struct {
		const char *name;
		enarx_tcb_status st;
	} t[] = {
	    {"UpToDate", ENARX_TCB_UP_TO_DATE},
	    {"SWHardeningNeeded", ENARX_TCB_SW_HARDENING_NEEDED},
	    {"ConfigurationNeeded", ENARX_TCB_CONFIGURATION_NEEDED},
	    {"ConfigurationAndSWHardeningNeeded", ENARX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED},
	    {"OutOfDate", ENARX_TCB_OUT_OF_DATE},
	    {"OutOfDateConfigurationNeeded", ENARX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED},
	    {"Revoked", ENARX_TCB_REVOKED},
	};
	for (size_t i = 0; s && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].name) == 0)
			return t[i].st;
	return ENARX_TCB_NOT_SUPPORTED;
}

static int add_advisories(enarx_claims *c, json_t *level, attest_err *e)
{
	json_t *arr = json_object_get(level, "advisoryIDs"), *v;
	size_t i;
	json_array_foreach(arr, i, v)
	{
		int rc =
		    json_is_string(v) ? attest_claims_add_advisory(c, json_string_value(v)) : 0;
		if (rc)
			return aerr(e, rc, "advisory IDs: %s", enarx_strerror(rc));
	}
	return 0;
}

/* Level status: the first tcbLevels entry with isvsvn <= svn (QE and TDX module). */
static json_t *isv_level(json_t *levels, unsigned svn)
{
	json_t *l;
	size_t i;
	json_array_foreach(levels, i, l)
	{
		int64_t v;
		if (jint(json_object_get(l, "tcb"), "isvsvn", &v) == 0 && v >= 0 &&
		    (uint64_t)v <= svn)
			return l;
	}
	return NULL;
}

/* ---------------- QE identity ---------------- */

/* Evaluates a QE identity document (signature already checked) against the QE report. */
static int eval_qe(const char *body, size_t len, time_t at, enarx_claims *c, attest_err *e,
                   const uint8_t *qer, json_t **qe_level)
{
	enarx_intel_claims *q = &c->intel;
	int rc;
	json_error_t jerr;
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(o)) {
		json_decref(o);
		return aerr(e, ENARX_E_ATTEST_COLLATERAL, "QE identity: JSON error line %d: %s",
		            jerr.line, jerr.text);
	}
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *want = c->tee == ENARX_TEE_TDX ? "TD_QE" : "QE";
	int64_t version = 0, prodid = 0;
	uint8_t misc[4], miscmask[4], attr[16], attrmask[16], mrsigner[32];
	rc = 0;
	if (!id || strcmp(id, want) != 0)
		rc = aerr(e, ENARX_E_ATTEST_COLLATERAL, "QE identity: id \"%s\", expected \"%s\"",
		          id ? id : "", want);
	else if (jint(o, "version", &version) || version < 2 || version > 3)
		rc = aerr(e, ENARX_E_ATTEST_COLLATERAL, "QE identity: version %lld not supported",
		          (long long)version);
	else if (jhex(o, "miscselect", misc, 4) || jhex(o, "miscselectMask", miscmask, 4) ||
	         jhex(o, "attributes", attr, 16) || jhex(o, "attributesMask", attrmask, 16) ||
	         jhex(o, "mrsigner", mrsigner, 32) || jint(o, "isvprodid", &prodid) ||
	         !json_is_array(json_object_get(o, "tcbLevels")))
		rc = aerr(e, ENARX_E_ATTEST_COLLATERAL, "QE identity: missing or malformed fields");
	else
		rc = jtime_window(o, at, &q->collateral_expiry, e, "QE identity");
	if (rc)
		goto out;
	/* QE report: miscselect @16, attributes @48, mrsigner @128, isvprodid @256, isvsvn @258.
	 * miscselect in the JSON is big-endian hex of the u32. */
	uint32_t qmisc = (uint32_t)qer[16] | (uint32_t)qer[17] << 8 | (uint32_t)qer[18] << 16 |
	                 (uint32_t)qer[19] << 24;
	uint32_t jm =
	    (uint32_t)misc[0] << 24 | (uint32_t)misc[1] << 16 | (uint32_t)misc[2] << 8 | misc[3];
	uint32_t jmm = (uint32_t)miscmask[0] << 24 | (uint32_t)miscmask[1] << 16 |
	               (uint32_t)miscmask[2] << 8 | miscmask[3];
	if ((qmisc & jmm) != jm) {
		rc = aerr(e, ENARX_E_ATTEST_COLLATERAL, "QE identity: MISCSELECT 0x%08x mismatch",
		          qmisc);
		goto out;
	}
	for (int i = 0; i < 16; i++)
		if ((qer[48 + i] & attrmask[i]) != attr[i]) {
			rc = aerr(e, ENARX_E_ATTEST_COLLATERAL, "QE identity: ATTRIBUTES mismatch");
			goto out;
		}
	if (memcmp(qer + 128, mrsigner, 32) != 0) {
		rc = aerr(e, ENARX_E_ATTEST_COLLATERAL, "QE identity: MRSIGNER mismatch");
		goto out;
	}
	unsigned qprod = qer[256] | qer[257] << 8, qsvn = qer[258] | qer[259] << 8;
	if ((int64_t)qprod != prodid) {
		rc = aerr(e, ENARX_E_ATTEST_COLLATERAL, "QE identity: ISVPRODID %u != %lld", qprod,
		          (long long)prodid);
		goto out;
	}
	json_t *lvl = isv_level(json_object_get(o, "tcbLevels"), qsvn);
	q->qe_status = lvl ? status_from(json_string_value(json_object_get(lvl, "tcbStatus")))
	                   : ENARX_TCB_NOT_SUPPORTED;
	if (lvl)
		*qe_level = json_incref(lvl);
	q->qe_identity_checked = true;
out:
	json_decref(o);
	return rc;
}

/* ---------------- TCB info ---------------- */

/* SGX component SVNs of a level (v3 "sgxtcbcomponents", v2 "sgxtcbcompNNsvn"). */
static int level_sgx(json_t *tcb, int svn[16], int64_t *pcesvn)
{
	json_t *arr = json_object_get(tcb, "sgxtcbcomponents");
	for (int i = 0; i < 16; i++) {
		int64_t v;
		if (arr) {
			if (jint(json_array_get(arr, (size_t)i), "svn", &v))
				return ENARX_E_MALFORMED;
		} else {
			char k[24];
			snprintf(k, sizeof(k), "sgxtcbcomp%02dsvn", i + 1);
			if (jint(tcb, k, &v))
				return ENARX_E_MALFORMED;
		}
		svn[i] = (int)v;
	}
	if (arr && json_array_size(arr) != 16)
		return ENARX_E_MALFORMED;
	return jint(tcb, "pcesvn", pcesvn);
}

static bool sgx_match(const enarx_intel_claims *q, json_t *tcb, int *bad)
{
	int svn[16];
	int64_t pce;
	*bad = 0;
	if (level_sgx(tcb, svn, &pce)) {
		*bad = 1;
		return false;
	}
	for (int i = 0; i < 16; i++)
		if (q->pck_svn[i] < svn[i])
			return false;
	return q->pck_pcesvn >= pce;
}

/* TEE_TCB_SVN >= tdxtcbcomponents, skipping indices 0 and 1 when the module
 * version TEE_TCB_SVN[1] > 0 (the module identity covers them). */
static bool tdx_match(const uint8_t tee[16], json_t *tcb, int *bad)
{
	json_t *arr = json_object_get(tcb, "tdxtcbcomponents");
	*bad = 0;
	if (json_array_size(arr) != 16) {
		*bad = 1;
		return false;
	}
	for (int i = tee[1] > 0 ? 2 : 0; i < 16; i++) {
		int64_t v;
		if (jint(json_array_get(arr, (size_t)i), "svn", &v)) {
			*bad = 1;
			return false;
		}
		if (tee[i] < v)
			return false;
	}
	return true;
}

static enarx_tcb_status converge_outofdate(enarx_tcb_status p)
{
	switch (p) {
	case ENARX_TCB_UP_TO_DATE:
	case ENARX_TCB_SW_HARDENING_NEEDED: return ENARX_TCB_OUT_OF_DATE;
	case ENARX_TCB_CONFIGURATION_NEEDED:
	case ENARX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED:
		return ENARX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
	default: return p;
	}
}

static bool is_config(enarx_tcb_status s)
{
	return s == ENARX_TCB_CONFIGURATION_NEEDED ||
	       s == ENARX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED;
}

/* TDX module identity (4.1.2.4.11). Sets module_status; adds advisories. */
static int eval_module(json_t *ti, enarx_claims *c, attest_err *e)
{
	enarx_intel_claims *q = &c->intel;
	json_t *mod = NULL;
	char want[8];
	if (q->tee_tcb_svn[1] > 0) {
		snprintf(want, sizeof(want), "TDX_%02X", q->tee_tcb_svn[1]);
		json_t *m;
		size_t i;
		json_array_foreach(json_object_get(ti, "tdxModuleIdentities"), i, m)
		{
			const char *id = json_string_value(json_object_get(m, "id"));
			if (id && strcmp(id, want) == 0)
				mod = m;
		}
		if (!mod)
			return aerr(e, ENARX_E_ATTEST_COLLATERAL,
			            "TCB info: no TDX module identity %s (TDX_MODULE_MISMATCH)",
			            want);
	} else {
		mod = json_object_get(ti, "tdxModule");
		if (!json_is_object(mod))
			return aerr(e, ENARX_E_ATTEST_COLLATERAL, "TCB info: no tdxModule");
	}
	uint8_t mrsigner[48], attr[8], mask[8];
	if (jhex(mod, "mrsigner", mrsigner, 48) || jhex(mod, "attributes", attr, 8) ||
	    jhex(mod, "attributesMask", mask, 8))
		return aerr(e, ENARX_E_ATTEST_COLLATERAL,
		            "TCB info: malformed TDX module identity");
	if (memcmp(mrsigner, q->mrsignerseam, 48) != 0)
		return aerr(e, ENARX_E_ATTEST_COLLATERAL,
		            "TDX: MRSIGNERSEAM does not match the TDX module identity");
	for (int i = 0; i < 8; i++)
		if ((((q->seam_attributes >> (8 * i)) & 0xff) & mask[i]) != attr[i])
			return aerr(e, ENARX_E_ATTEST_COLLATERAL,
			            "TDX: SEAMATTRIBUTES 0x%llx do not match the module identity",
			            (unsigned long long)q->seam_attributes);
	if (q->tee_tcb_svn[1] == 0) {
		q->module_status = ENARX_TCB_UP_TO_DATE;
		return 0;
	}
	json_t *lvl = isv_level(json_object_get(mod, "tcbLevels"), q->tee_tcb_svn[0]);
	q->module_status = lvl ? status_from(json_string_value(json_object_get(lvl, "tcbStatus")))
	                       : ENARX_TCB_NOT_SUPPORTED;
	return lvl ? add_advisories(c, lvl, e) : 0;
}

/* Evaluates a TCB info document (signature already checked) for the quote in c. */
static int eval_tcb_info(const char *body, size_t len, time_t at, enarx_claims *c, attest_err *e)
{
	enarx_intel_claims *q = &c->intel;
	int rc = 0;
	json_error_t jerr;
	json_t *ti = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(ti)) {
		json_decref(ti);
		return aerr(e, ENARX_E_ATTEST_COLLATERAL, "TCB info: JSON error line %d: %s",
		            jerr.line, jerr.text);
	}
	const char *id = json_string_value(json_object_get(ti, "id"));
	bool tdx = c->tee == ENARX_TEE_TDX;
	int64_t version = 0, evalnum = 0;
	uint8_t fmspc[6], pceid[2];
	json_t *levels = json_object_get(ti, "tcbLevels");
	if (jint(ti, "version", &version) || version < 2 || version > 3) {
		rc = aerr(e, ENARX_E_ATTEST_COLLATERAL, "TCB info: version %lld not supported",
		          (long long)version);
	} else if ((tdx && (version < 3 || !id || strcmp(id, "TDX") != 0)) ||
	           (!tdx && id && strcmp(id, "SGX") != 0)) {
		rc = aerr(e, ENARX_E_ATTEST_COLLATERAL,
		          "TCB info: id \"%s\" v%lld does not fit a %s quote (TCB_INFO_MISMATCH)",
		          id ? id : "", (long long)version, tdx ? "TDX" : "SGX");
	} else if (jhex(ti, "fmspc", fmspc, 6) || jhex(ti, "pceId", pceid, 2) ||
	           !json_is_array(levels)) {
		rc = aerr(e, ENARX_E_ATTEST_COLLATERAL, "TCB info: missing fmspc/pceId/tcbLevels");
	} else if (memcmp(fmspc, q->fmspc, 6) != 0) {
		rc = aerr(e, ENARX_E_ATTEST_COLLATERAL,
		          "TCB info: FMSPC %02X%02X%02X%02X%02X%02X != PCK FMSPC "
		          "%02X%02X%02X%02X%02X%02X",
		          fmspc[0], fmspc[1], fmspc[2], fmspc[3], fmspc[4], fmspc[5], q->fmspc[0],
		          q->fmspc[1], q->fmspc[2], q->fmspc[3], q->fmspc[4], q->fmspc[5]);
	} else if (memcmp(pceid, q->pceid, 2) != 0) {
		rc = aerr(e, ENARX_E_ATTEST_COLLATERAL, "TCB info: PCEID does not match the PCK");
	} else {
		rc = jtime_window(ti, at, &q->collateral_expiry, e, "TCB info");
	}
	if (rc)
		goto out;
	(void)jint(ti, "tcbEvaluationDataNumber", &evalnum);
	q->tcb_eval_number = evalnum;
	/* Platform level: the first level (Intel lists them newest first) whose
	 * SGX components and PCESVN the PCK reaches, and for TDX also the TDX components. */
	json_t *lvl = NULL, *sgx_lvl = NULL, *l;
	size_t i;
	json_array_foreach(levels, i, l)
	{
		json_t *tcb = json_object_get(l, "tcb");
		int bad;
		bool sm = sgx_match(q, tcb, &bad);
		if (bad) {
			rc = aerr(e, ENARX_E_ATTEST_COLLATERAL, "TCB info: malformed level %zu", i);
			goto out;
		}
		if (!sm)
			continue;
		if (!sgx_lvl)
			sgx_lvl = l;
		if (tdx) {
			bool tm = tdx_match(q->tee_tcb_svn, tcb, &bad);
			if (bad) {
				rc = aerr(e, ENARX_E_ATTEST_COLLATERAL,
				          "TCB info: malformed tdxtcbcomponents in level %zu", i);
				goto out;
			}
			if (!tm)
				continue;
		}
		lvl = l;
		break;
	}
	q->tcb_info_checked = true;
	if (tdx && (rc = eval_module(ti, c, e)))
		goto out;
	if (!lvl) {
		q->platform_status = ENARX_TCB_NOT_SUPPORTED;
		goto out;
	}
	q->platform_status = status_from(json_string_value(json_object_get(lvl, "tcbStatus")));
	const char *date = json_string_value(json_object_get(lvl, "tcbDate"));
	snprintf(q->tcb_date, sizeof(q->tcb_date), "%s", date ? date : "");
	if ((rc = add_advisories(c, lvl, e)))
		goto out;
	if (tdx) {
		/* TD 1.5 relaunch (QVL TDRelaunchCheck): the module is out of date
		 * but TEE_TCB_SVN2 already reaches the newest level. */
		enarx_tcb_status sgx_st =
		    status_from(json_string_value(json_object_get(sgx_lvl, "tcbStatus")));
		json_t *latest = json_array_get(levels, 0);
		int bad;
		if (q->body_type == 3 && q->module_status == ENARX_TCB_OUT_OF_DATE &&
		    (q->platform_status == ENARX_TCB_OUT_OF_DATE ||
		     q->platform_status == ENARX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED) &&
		    (sgx_st == ENARX_TCB_UP_TO_DATE || sgx_st == ENARX_TCB_SW_HARDENING_NEEDED ||
		     is_config(sgx_st)) &&
		    tdx_match(q->tee_tcb_svn2, json_object_get(latest, "tcb"), &bad) && !bad)
			q->platform_status =
			    is_config(sgx_st) ? ENARX_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED
			                      : ENARX_TCB_TD_RELAUNCH_ADVISED;
	}
out:
	json_decref(ti);
	return rc;
}

/* The final status: platform level, converged with the TDX module and QE statuses (QVL). */
static int tcb_converge(enarx_claims *c, attest_err *e)
{
	enarx_intel_claims *q = &c->intel;
	if (!q->tcb_info_checked)
		return 0; /* no collateral: status Unevaluated; policy decides */
	enarx_tcb_status st = q->platform_status;
	if (st == ENARX_TCB_NOT_SUPPORTED) {
		q->tcb_status = st;
		return aerr(e, ENARX_E_ATTEST_TCB,
		            "platform: no matching TCB level for the PCK SVNs (TCB not supported)");
	}
	bool relaunch = st == ENARX_TCB_TD_RELAUNCH_ADVISED ||
	                st == ENARX_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
	if (relaunch && q->qe_identity_checked &&
	    (q->qe_status == ENARX_TCB_OUT_OF_DATE || q->qe_status == ENARX_TCB_REVOKED)) {
		/* relaunch is advised only when the QE is current: back to the TDX level */
		st = st == ENARX_TCB_TD_RELAUNCH_ADVISED
		         ? ENARX_TCB_OUT_OF_DATE
		         : ENARX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
		relaunch = false;
	}
	if (c->tee == ENARX_TEE_TDX && !relaunch) {
		if (q->module_status == ENARX_TCB_NOT_SUPPORTED) {
			q->tcb_status = ENARX_TCB_NOT_SUPPORTED;
			return aerr(e, ENARX_E_ATTEST_TCB, "TDX module: no matching TCB level");
		}
		if (q->module_status == ENARX_TCB_OUT_OF_DATE)
			st = converge_outofdate(st);
		else if (q->module_status == ENARX_TCB_REVOKED)
			st = ENARX_TCB_REVOKED;
	}
	if (q->qe_identity_checked) {
		if (q->qe_status == ENARX_TCB_NOT_SUPPORTED) {
			q->tcb_status = ENARX_TCB_NOT_SUPPORTED;
			return aerr(e, ENARX_E_ATTEST_TCB, "QE identity: no matching TCB level");
		}
		if (q->qe_status == ENARX_TCB_OUT_OF_DATE)
			st = converge_outofdate(st);
		else if (q->qe_status == ENARX_TCB_REVOKED)
			st = ENARX_TCB_REVOKED;
	}
	q->tcb_status = st;
	return 0;
}

int attest_intel_tcb_eval(enarx_attest *a, const enarx_evidence *ev, time_t at, enarx_claims *c,
                          attest_err *e, const uint8_t *qe_report)
{
	enarx_intel_claims *q = &c->intel;
	json_t *qe_level = NULL;
	int rc = 0;
	q->tcb_status = q->platform_status = q->qe_status = q->module_status =
	    ENARX_TCB_UNEVALUATED;
	if (ev->tcb_info.present &&
	    ((rc = attest_collateral_verify_sig(a, ev, &ev->tcb_info, at, &q->collateral_expiry, e,
	                                        "TCB info")) ||
	     (rc = eval_tcb_info(ev->tcb_info.body, ev->tcb_info.body_len, at, c, e))))
		return rc;
	if (ev->qe_identity.present &&
	    ((rc = attest_collateral_verify_sig(a, ev, &ev->qe_identity, at, &q->collateral_expiry,
	                                        e, "QE identity")) ||
	     (rc = eval_qe(ev->qe_identity.body, ev->qe_identity.body_len, at, c, e, qe_report,
	                   &qe_level))))
		return rc;
	if (qe_level) {
		rc = add_advisories(c, qe_level, e);
		json_decref(qe_level);
		if (rc)
			return rc;
	}
	return tcb_converge(c, e);
}

int attest_eval_collateral_json(const char *tcb_info, size_t tlen, const char *qe_identity,
                                size_t qlen, const uint8_t *qe_report, time_t at, enarx_claims *c,
                                attest_err *e)
{
	int rc = 0;
	json_t *lvl = NULL;
	if (tcb_info)
		rc = eval_tcb_info(tcb_info, tlen, at, c, e);
	if (!rc && qe_identity)
		rc = eval_qe(qe_identity, qlen, at, c, e, qe_report, &lvl);
	if (lvl) {
		if (!rc)
			rc = add_advisories(c, lvl, e);
		json_decref(lvl);
	}
	return rc ? rc : tcb_converge(c, e);
}
