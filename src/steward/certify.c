/* SPDX-License-Identifier: Apache-2.0 */
/* The certification decision shared by `enarx steward serve` and
 * `enarx steward policy check`: verify a CSR's evidence, judge the claims
 * with the policy, and name the check that refused it. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "steward/steward.h"

/* A short, stable name for the check behind an attestation error. */
static void cert__check_name(int rc, const char *msg, char *check, size_t checklen)
{
	bool csr = strncmp(msg, "CSR:", 4) == 0;
	const char *n;

	switch (rc) {
	case ENARX_E_ATTEST_FORMAT: n = csr ? "csr.format" : "evidence.format"; break;
	case ENARX_E_ATTEST_VERSION: n = "evidence.version"; break;
	case ENARX_E_ATTEST_SIGNATURE: n = csr ? "csr.signature" : "evidence.signature"; break;
	case ENARX_E_ATTEST_CHAIN: n = "evidence.chain"; break;
	case ENARX_E_ATTEST_REVOKED: n = "evidence.revocation"; break;
	case ENARX_E_ATTEST_EXPIRED: n = "evidence.validity"; break;
	case ENARX_E_ATTEST_TCB_MISMATCH: n = "evidence.tcb-mismatch"; break;
	case ENARX_E_ATTEST_COLLATERAL: n = "evidence.collateral"; break;
	case ENARX_E_ATTEST_TCB: n = "evidence.tcb"; break;
	case ENARX_E_ATTEST_BINDING:
		n = strstr(msg, "key is not") ? "csr.key-type" : "csr.binding";
		break;
	default: n = "evidence"; break;
	}
	snprintf(check, checklen, "%s", n);
}

/* The workload digest the Keep reported in its CSR (claim arc .7, a DER
 * OCTET STRING of 32 to 64 bytes), into cs. 0, or ENARX_E_ATTEST_FORMAT. */
static int cert__workload(X509_REQ *req, struct steward_claimset *cs)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	int rc = 0;

	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *x = sk_X509_EXTENSION_value(exts, i);
		const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(x);
		const unsigned char *p = ASN1_STRING_get0_data(v);
		ASN1_OCTET_STRING *d;
		char oid[80];

		OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(x), 1);
		if (strcmp(oid, STEWARD_ARC ".7") != 0)
			continue;
		d = d2i_ASN1_OCTET_STRING(NULL, &p, ASN1_STRING_length(v));
		if (!d || p != ASN1_STRING_get0_data(v) + ASN1_STRING_length(v) ||
		    ASN1_STRING_length(d) < 32 || ASN1_STRING_length(d) > 64) {
			rc = ENARX_E_ATTEST_FORMAT;
		} else {
			cs->workload_len = (size_t)ASN1_STRING_length(d);
			memcpy(cs->workload, ASN1_STRING_get0_data(d), cs->workload_len);
		}
		ASN1_OCTET_STRING_free(d);
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

/* A DNS name of letters, digits, '-', '.' (and a leading "*."), or "". */
static bool cert__dns_ok(const ASN1_IA5STRING *s)
{
	const unsigned char *p = ASN1_STRING_get0_data(s);
	int n = ASN1_STRING_length(s);

	if (n < 1 || n > 253)
		return false;
	for (int i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '.' ||
		      (p[i] == '*' && i == 0 && n > 2 && p[1] == '.')))
			return false;
	return true;
}

/* The names the Keep asks for (subjectAltName in its CSR): DNS names and IP
 * addresses only, at most STEWARD_SAN_MAX, re-encoded into cs->san. They
 * are the Keep's own words, not attested: docs/steward.md. */
static int cert__san(X509_REQ *req, struct steward_claimset *cs)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	GENERAL_NAMES *in = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	unsigned char *der = NULL;
	int rc = 0, n;

	if (in == NULL) {
		rc = X509v3_get_ext_by_NID(exts, NID_subject_alt_name, -1) >= 0
		         ? ENARX_E_ATTEST_FORMAT
		         : 0;
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		ERR_clear_error();
		return rc;
	}
	if (sk_GENERAL_NAME_num(in) > STEWARD_SAN_MAX)
		rc = ENARX_E_ATTEST_FORMAT;
	for (int i = 0; rc == 0 && i < sk_GENERAL_NAME_num(in); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(in, i);

		if (!((g->type == GEN_DNS && cert__dns_ok(g->d.dNSName)) ||
		      (g->type == GEN_IPADD && (ASN1_STRING_length(g->d.iPAddress) == 4 ||
		                                ASN1_STRING_length(g->d.iPAddress) == 16))))
			rc = ENARX_E_ATTEST_FORMAT;
	}
	if (rc == 0 && (n = i2d_GENERAL_NAMES(in, &der)) > 0 && (size_t)n <= sizeof(cs->san)) {
		memcpy(cs->san, der, (size_t)n);
		cs->san_len = (size_t)n;
	} else if (rc == 0) {
		rc = ENARX_E_ATTEST_FORMAT;
	}
	OPENSSL_free(der);
	GENERAL_NAMES_free(in);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

int steward_certify_check(enarx_attest *a, const enarx_policy *pol, const uint8_t *csr, size_t n,
                          time_t at, bool fixed, struct steward_claimset *cs, EVP_PKEY **pub,
                          char *check, size_t checklen, char *why, size_t whylen)
{
	uint8_t digest[32];
	enarx_claims *c = NULL;
	const unsigned char *q = csr;
	X509_REQ *req = NULL;
	int rc;

	*pub = NULL;
	memset(cs, 0, sizeof(*cs));
	if (!EVP_Digest(csr, n, digest, NULL, EVP_sha256(), NULL))
		return ENARX_E_INTERNAL;
	rc = enarx_attest_verify_csr(a, csr, n, at, &c);
	if (rc != 0) {
		const char *m = enarx_attest_error(a);
		cert__check_name(rc, m, check, checklen);
		snprintf(why, whylen, "%s: %s", enarx_strerror(rc), m);
		enarx_claims_free(c);
		return rc;
	}
	if ((rc = enarx_policy_check(pol, c, why, whylen)) != 0) {
		size_t rule = strcspn(why, ":");
		snprintf(check, checklen, "policy.%.*s", (int)(rule < 64 ? rule : 64), why);
		enarx_claims_free(c);
		return rc;
	}
	rc = steward_claimset_from(c, enarx_policy_runtime(pol, c), digest, at ? at : time(NULL),
	                           fixed, cs);
	enarx_claims_free(c);
	if (rc != 0) {
		snprintf(check, checklen, "internal");
		snprintf(why, whylen, "cannot encode the claims");
		return rc;
	}
	req = d2i_X509_REQ(NULL, &q, (long)n);
	if (req != NULL && cert__workload(req, cs) != 0) {
		snprintf(check, checklen, "csr.format");
		snprintf(why, whylen,
		         "CSR: workload digest extension is not an OCTET STRING of "
		         "32 to 64 bytes");
		X509_REQ_free(req);
		steward_claimset_free(cs);
		return ENARX_E_ATTEST_FORMAT;
	}
	if (req != NULL && cert__san(req, cs) != 0) {
		snprintf(check, checklen, "csr.format");
		snprintf(why, whylen,
		         "CSR: subjectAltName must list at most %d DNS names and IP "
		         "addresses",
		         STEWARD_SAN_MAX);
		X509_REQ_free(req);
		steward_claimset_free(cs);
		return ENARX_E_ATTEST_FORMAT;
	}
	if (req == NULL || (*pub = X509_REQ_get_pubkey(req)) == NULL) {
		snprintf(check, checklen, "csr.format");
		snprintf(why, whylen, "CSR: no public key");
		X509_REQ_free(req);
		steward_claimset_free(cs);
		return ENARX_E_ATTEST_FORMAT;
	}
	X509_REQ_free(req);
	return 0;
}
