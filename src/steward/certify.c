/* SPDX-License-Identifier: Apache-2.0 */
/* The certification decision shared by `enarx steward serve` and
 * `enarx steward policy check`: verify a CSR's evidence, judge the claims
 * with the policy, and name the check that refused it. */
#include <openssl/evp.h>
#include <openssl/x509.h>
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
