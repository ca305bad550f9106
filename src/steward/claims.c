/* SPDX-License-Identifier: Apache-2.0 */
/* The claims a Steward certificate states (extensions under STEWARD_ARC),
 * read back from a certificate, and the secret release policy judged on
 * them. Pure: no I/O, so the certificate and JSON paths can be fuzzed. */
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/json.h"
#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "steward/steward.h"

void steward_claimset_free(struct steward_claimset *cs)
{
	if (cs == NULL)
		return;
	free(cs->claims_json);
	cs->claims_json = NULL;
}

static const char *cl__tee(enarx_tee t)
{
	switch (t) {
	case ENARX_TEE_KVM: return "kvm";
	case ENARX_TEE_SNP: return "snp";
	case ENARX_TEE_SGX: return "sgx";
	case ENARX_TEE_TDX: return "tdx";
	default: return "none";
	}
}

int steward_claimset_from(const enarx_claims *c, const char *runtime, const uint8_t evidence[32],
                          time_t at, bool fixed, struct steward_claimset *out)
{
	char hx[16 * 2 + 1];

	memset(out, 0, sizeof(*out));
	snprintf(out->tee, sizeof(out->tee), "%s", cl__tee(c->tee));
	snprintf(out->tcb_status, sizeof(out->tcb_status), "n/a");
	switch (c->tee) {
	case ENARX_TEE_SNP: {
		const enarx_snp_tcb *t = &c->snp.reported_tcb;
		snprintf(out->tee_version, sizeof(out->tee_version),
		         "SEV-SNP %s %s firmware %u.%u.%u TCB bl=%u tee=%u snp=%u microcode=%u",
		         c->snp.product, c->snp.signer, c->snp.current_major, c->snp.current_minor,
		         c->snp.current_build, t->bl, t->tee, t->snp, t->ucode);
		memcpy(out->measurement, c->snp.measurement, 48);
		out->measurement_len = 48;
		break;
	}
	case ENARX_TEE_SGX:
	case ENARX_TEE_TDX:
		hex_encode(c->intel.fmspc, sizeof(c->intel.fmspc), hx);
		snprintf(out->tee_version, sizeof(out->tee_version),
		         "%s FMSPC %s PCESVN %u QESVN %u", c->tee == ENARX_TEE_SGX ? "SGX" : "TDX",
		         hx, c->intel.pck_pcesvn, c->intel.qe_svn);
		snprintf(out->tcb_status, sizeof(out->tcb_status), "%s",
		         enarx_tcb_status_name(c->intel.tcb_status));
		if (c->tee == ENARX_TEE_SGX) {
			memcpy(out->measurement, c->intel.mrenclave, 32);
			out->measurement_len = 32;
		} else {
			memcpy(out->measurement, c->intel.mrtd, 48);
			out->measurement_len = 48;
		}
		break;
	case ENARX_TEE_KVM:
		snprintf(out->tee_version, sizeof(out->tee_version), "KVM (no hardware root) v%u",
		         c->kvm.version);
		if (c->kvm.present) {
			memcpy(out->measurement, c->kvm.measurement, 48);
			out->measurement_len = 48;
		}
		break;
	default: return ENARX_E_INVAL;
	}
	snprintf(out->runtime, sizeof(out->runtime), "%s", runtime ? runtime : "unknown");
	out->insecure = c->insecure;
	out->debug = c->debug;
	out->time_fixed = fixed;
	memcpy(out->evidence, evidence, 32);
	steward_time_text(at, out->verified_at);
	out->claims_json = enarx_claims_json(c);
	return out->claims_json ? 0 : ENARX_E_NOMEM;
}

static int cl__string(const char *s, uint8_t **der, size_t *len)
{
	ASN1_UTF8STRING *u = ASN1_UTF8STRING_new();
	unsigned char *p = NULL;
	int n = -1;

	if (u && ASN1_STRING_set(u, s, (int)strlen(s)))
		n = i2d_ASN1_UTF8STRING(u, &p);
	ASN1_UTF8STRING_free(u);
	if (n <= 0)
		return ENARX_E_NOMEM;
	*der = p;
	*len = (size_t)n;
	return 0;
}

static int cl__octets(const uint8_t *b, size_t blen, uint8_t **der, size_t *len)
{
	ASN1_OCTET_STRING *o = ASN1_OCTET_STRING_new();
	unsigned char *p = NULL;
	int n = -1;

	if (o && ASN1_OCTET_STRING_set(o, b, (int)blen))
		n = i2d_ASN1_OCTET_STRING(o, &p);
	ASN1_OCTET_STRING_free(o);
	if (n <= 0)
		return ENARX_E_NOMEM;
	*der = p;
	*len = (size_t)n;
	return 0;
}

static int cl__bool(bool v, uint8_t **der, size_t *len)
{
	uint8_t *p = OPENSSL_malloc(3);

	if (p == NULL)
		return ENARX_E_NOMEM;
	p[0] = 0x01;
	p[1] = 0x01;
	p[2] = v ? 0xff : 0x00;
	*der = p;
	*len = 3;
	return 0;
}

int steward_claim_der(const struct steward_claimset *cs, enum steward_claim id, uint8_t **der,
                      size_t *len)
{
	switch (id) {
	case STEWARD_C_CLAIMS_JSON: return cl__string(cs->claims_json, der, len);
	case STEWARD_C_TEE: return cl__string(cs->tee, der, len);
	case STEWARD_C_TEE_VERSION: return cl__string(cs->tee_version, der, len);
	case STEWARD_C_TCB_STATUS: return cl__string(cs->tcb_status, der, len);
	case STEWARD_C_RUNTIME: return cl__string(cs->runtime, der, len);
	case STEWARD_C_MEASUREMENT:
		return cl__octets(cs->measurement, cs->measurement_len, der, len);
	case STEWARD_C_WORKLOAD: return cl__octets(cs->workload, cs->workload_len, der, len);
	case STEWARD_C_INSECURE: return cl__bool(cs->insecure, der, len);
	case STEWARD_C_DEBUG: return cl__bool(cs->debug, der, len);
	case STEWARD_C_EVIDENCE: return cl__octets(cs->evidence, 32, der, len);
	case STEWARD_C_VERIFIED_AT: return cl__string(cs->verified_at, der, len);
	case STEWARD_C_TIME_FIXED: return cl__bool(cs->time_fixed, der, len);
	default: return ENARX_E_INVAL;
	}
}

/* ---- reading a certificate back ---- */

static int cl__get_string(const uint8_t *p, size_t n, char *out, size_t outlen, char **dup)
{
	const unsigned char *q = p;
	ASN1_UTF8STRING *u = d2i_ASN1_UTF8STRING(NULL, &q, (long)n);
	int len, rc = ENARX_E_MALFORMED;

	if (u == NULL || q != p + n)
		goto out;
	len = ASN1_STRING_length(u);
	if (memchr(ASN1_STRING_get0_data(u), 0, (size_t)len) != NULL)
		goto out;
	if (dup != NULL) {
		free(*dup);
		if ((*dup = xmalloc((size_t)len + 1)) == NULL) {
			rc = ENARX_E_NOMEM;
			goto out;
		}
		memcpy(*dup, ASN1_STRING_get0_data(u), (size_t)len);
		(*dup)[len] = '\0';
	} else {
		if ((size_t)len >= outlen)
			goto out;
		memcpy(out, ASN1_STRING_get0_data(u), (size_t)len);
		out[len] = '\0';
	}
	rc = 0;
out:
	ASN1_UTF8STRING_free(u);
	return rc;
}

static int cl__get_octets(const uint8_t *p, size_t n, uint8_t *out, size_t cap, size_t *len)
{
	const unsigned char *q = p;
	ASN1_OCTET_STRING *o = d2i_ASN1_OCTET_STRING(NULL, &q, (long)n);
	int rc = ENARX_E_MALFORMED;

	if (o != NULL && q == p + n && (size_t)ASN1_STRING_length(o) <= cap) {
		*len = (size_t)ASN1_STRING_length(o);
		memcpy(out, ASN1_STRING_get0_data(o), *len);
		rc = 0;
	}
	ASN1_OCTET_STRING_free(o);
	return rc;
}

static int cl__get_bool(const uint8_t *p, size_t n, bool *out)
{
	if (n != 3 || p[0] != 0x01 || p[1] != 0x01 || (p[2] != 0 && p[2] != 0xff))
		return ENARX_E_MALFORMED;
	*out = p[2] == 0xff;
	return 0;
}

int steward_claimset_from_cert(X509 *cert, struct steward_claimset *out, char *why, size_t whylen)
{
	size_t arclen = strlen(STEWARD_ARC);
	unsigned seen = 0;
	size_t elen;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < X509_get_ext_count(cert); i++) {
		X509_EXTENSION *x = X509_get_ext(cert, i);
		const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(x);
		const uint8_t *p = ASN1_STRING_get0_data(v);
		size_t n = (size_t)ASN1_STRING_length(v);
		char oid[128], *end;
		unsigned long id;
		int rc;

		if (OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(x), 1) <= 0 ||
		    strncmp(oid, STEWARD_ARC ".", arclen + 1) != 0)
			continue;
		id = strtoul(oid + arclen + 1, &end, 10);
		if (*end != '\0' || id == 0 || id > STEWARD_C__MAX || (seen & (1u << id))) {
			snprintf(why, whylen, "claim extension %s unknown or repeated", oid);
			steward_claimset_free(out);
			return ENARX_E_MALFORMED;
		}
		seen |= 1u << id;
		switch (id) {
		case STEWARD_C_CLAIMS_JSON:
			rc = cl__get_string(p, n, NULL, 0, &out->claims_json);
			break;
		case STEWARD_C_TEE:
			rc = cl__get_string(p, n, out->tee, sizeof(out->tee), NULL);
			break;
		case STEWARD_C_TEE_VERSION:
			rc = cl__get_string(p, n, out->tee_version, sizeof(out->tee_version), NULL);
			break;
		case STEWARD_C_TCB_STATUS:
			rc = cl__get_string(p, n, out->tcb_status, sizeof(out->tcb_status), NULL);
			break;
		case STEWARD_C_RUNTIME:
			rc = cl__get_string(p, n, out->runtime, sizeof(out->runtime), NULL);
			break;
		case STEWARD_C_MEASUREMENT:
			rc = cl__get_octets(p, n, out->measurement, sizeof(out->measurement),
			                    &out->measurement_len);
			break;
		case STEWARD_C_WORKLOAD:
			rc = cl__get_octets(p, n, out->workload, sizeof(out->workload),
			                    &out->workload_len);
			break;
		case STEWARD_C_INSECURE: rc = cl__get_bool(p, n, &out->insecure); break;
		case STEWARD_C_DEBUG: rc = cl__get_bool(p, n, &out->debug); break;
		case STEWARD_C_EVIDENCE:
			rc = cl__get_octets(p, n, out->evidence, sizeof(out->evidence), &elen);
			if (rc == 0 && elen != 32)
				rc = ENARX_E_MALFORMED;
			break;
		case STEWARD_C_VERIFIED_AT:
			rc = cl__get_string(p, n, out->verified_at, sizeof(out->verified_at), NULL);
			break;
		default: rc = cl__get_bool(p, n, &out->time_fixed); break;
		}
		if (rc != 0) {
			snprintf(why, whylen, "claim extension %s: malformed value", oid);
			steward_claimset_free(out);
			return rc == ENARX_E_NOMEM ? rc : ENARX_E_MALFORMED;
		}
	}
	/* Every claim but the workload digest is always issued. */
	for (unsigned id = 1; id <= STEWARD_C__MAX; id++) {
		if (id != STEWARD_C_WORKLOAD && !(seen & (1u << id))) {
			snprintf(why, whylen, "certificate lacks claim extension %s.%u",
			         STEWARD_ARC, id);
			steward_claimset_free(out);
			return ENARX_E_MALFORMED;
		}
	}
	return 0;
}

/* ---- secret release policy ---- */

static const struct http_json_field cl__policy_fields[] = {
    {"tee", HTTP_J_ARRAY, false, 0, 8},        {"tcb_status", HTTP_J_ARRAY, false, 0, 16},
    {"runtime", HTTP_J_ARRAY, false, 0, 64},   {"measurement", HTTP_J_ARRAY, false, 0, 64},
    {"workload", HTTP_J_ARRAY, false, 0, 64},  {"allow_insecure", HTTP_J_BOOL, false, 0, 0},
    {"allow_debug", HTTP_J_BOOL, false, 0, 0},
};

int steward_secret_policy_check_syntax(const json_t *pol, char *why, size_t whylen)
{
	size_t nf = sizeof(cl__policy_fields) / sizeof(cl__policy_fields[0]);
	int rc = http_json_check(pol, cl__policy_fields, nf, why, whylen);
	const char *k;
	json_t *v;

	if (rc != 0)
		return rc;
	json_object_foreach((json_t *)pol, k, v)
	{
		size_t i;
		json_t *e;
		if (!json_is_array(v))
			continue;
		json_array_foreach(v, i, e)
		{
			const char *s = json_string_value(e);
			if (s == NULL || *s == '\0' || strlen(s) > 256) {
				snprintf(why, whylen,
				         "policy field '%s': element %zu is not a string of 1 to "
				         "256 bytes",
				         k, i);
				return ENARX_E_MALFORMED;
			}
			if ((strcmp(k, "measurement") == 0 || strcmp(k, "workload") == 0) &&
			    (strlen(s) % 2 != 0 || strlen(s) > 128 ||
			     strspn(s, "0123456789abcdefABCDEF") != strlen(s))) {
				snprintf(why, whylen, "policy field '%s': element %zu is not hex",
				         k, i);
				return ENARX_E_MALFORMED;
			}
			if (strcmp(k, "tee") == 0 && strcmp(s, "snp") != 0 &&
			    strcmp(s, "sgx") != 0 && strcmp(s, "tdx") != 0 &&
			    strcmp(s, "kvm") != 0) {
				snprintf(why, whylen,
				         "policy field 'tee': '%s' is not snp, sgx, tdx or kvm", s);
				return ENARX_E_MALFORMED;
			}
		}
	}
	return 0;
}

/* True if s is among the strings of arr (hex compared case-insensitively). */
static bool cl__in(const json_t *arr, const char *s, bool hex)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
	{
		const char *v = json_string_value(e);
		if (v != NULL && (hex ? strcasecmp(v, s) == 0 : strcmp(v, s) == 0))
			return true;
	}
	return false;
}

static void cl__list(const json_t *arr, char *out, size_t outlen)
{
	size_t i, used = 0;
	json_t *e;

	out[0] = '\0';
	json_array_foreach(arr, i, e)
	{
		int w = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "",
		                 json_string_value(e) ? json_string_value(e) : "");
		if (w < 0 || (size_t)w >= outlen - used)
			break;
		used += (size_t)w;
	}
}

int steward_secret_policy_eval(const json_t *pol, const struct steward_claimset *cs, char *why,
                               size_t whylen)
{
	char hx[129], list[400];
	const json_t *a;

	if ((a = json_object_get(pol, "tee")) != NULL && !cl__in(a, cs->tee, false)) {
		cl__list(a, list, sizeof(list));
		snprintf(why, whylen, "tee: the Keep's TEE %s is not in [%s]", cs->tee, list);
		return ENARX_E_ATTEST_POLICY;
	}
	if (cs->insecure && !json_is_true(json_object_get(pol, "allow_insecure"))) {
		snprintf(
		    why, whylen,
		    "allow_insecure: the Keep has no hardware root of trust (%s) and the policy "
		    "does not allow insecure Keeps",
		    cs->tee);
		return ENARX_E_ATTEST_POLICY;
	}
	if (cs->debug && !json_is_true(json_object_get(pol, "allow_debug"))) {
		snprintf(why, whylen,
		         "allow_debug: the Keep is a debug TEE and the policy forbids debug");
		return ENARX_E_ATTEST_POLICY;
	}
	if ((a = json_object_get(pol, "tcb_status")) != NULL && !cl__in(a, cs->tcb_status, false)) {
		cl__list(a, list, sizeof(list));
		snprintf(why, whylen, "tcb_status: the Keep's TCB status %s is not in [%s]",
		         cs->tcb_status, list);
		return ENARX_E_ATTEST_POLICY;
	}
	if ((a = json_object_get(pol, "runtime")) != NULL && !cl__in(a, cs->runtime, false)) {
		cl__list(a, list, sizeof(list));
		snprintf(why, whylen, "runtime: the Keep's runtime '%s' is not in [%s]",
		         cs->runtime, list);
		return ENARX_E_ATTEST_POLICY;
	}
	if ((a = json_object_get(pol, "measurement")) != NULL) {
		hex_encode(cs->measurement, cs->measurement_len, hx);
		if (cs->measurement_len == 0 || !cl__in(a, hx, true)) {
			snprintf(why, whylen,
			         "measurement: the Keep's measurement %s is not listed",
			         cs->measurement_len ? hx : "(none)");
			return ENARX_E_ATTEST_POLICY;
		}
	}
	if ((a = json_object_get(pol, "workload")) != NULL) {
		hex_encode(cs->workload, cs->workload_len, hx);
		if (cs->workload_len == 0 || !cl__in(a, hx, true)) {
			snprintf(why, whylen,
			         "workload: the Keep's workload digest %s is not listed",
			         cs->workload_len ? hx : "(not reported by the Keep)");
			return ENARX_E_ATTEST_POLICY;
		}
	}
	return 0;
}
