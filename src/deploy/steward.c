/* SPDX-License-Identifier: Apache-2.0 */
/* `enarx deploy --steward` (docs/deploy.md "With Steward"): instead of
 * checking the Keep's raw evidence, the client has Steward certify the
 * Keep's CSR, checks the chain to the Steward CA, reads the claims from
 * the certificate and applies its own rules to them, and checks that the
 * certified key signed the keys it is about to seal to, with our nonce. */
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "crypto/certchain.h"
#include "deploy/deploy_int.h"
#include "keep/relay.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/hex.h"
#include "steward/steward.h" /* the claims arc and numbers (header only) */

#define CA_MAX (1u << 20)

static int srefuse(char *why, size_t n, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int srefuse(char *why, size_t n, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return rc;
}

/* What Steward's certificate says (the claims deploy uses). */
struct stw_claims {
	char tee[16], tee_version[128], tcb_status[64], runtime[128], verified_at[40];
	uint8_t measurement[48];
	size_t measurement_len;
	int insecure, debug, time_fixed;
};

/* The DER value of claim id in x, or NULL. */
static const ASN1_OCTET_STRING *stw__ext(X509 *x, unsigned id)
{
	char oid[96];
	ASN1_OBJECT *o;
	int i;

	snprintf(oid, sizeof(oid), "%s.%u", STEWARD_ARC, id);
	o = OBJ_txt2obj(oid, 1);
	i = o ? X509_get_ext_by_OBJ(x, o, -1) : -1;
	ASN1_OBJECT_free(o);
	return i < 0 ? NULL : X509_EXTENSION_get_data(X509_get_ext(x, i));
}

static int stw__utf8(X509 *x, unsigned id, char *out, size_t cap)
{
	const ASN1_OCTET_STRING *v = stw__ext(x, id);
	const unsigned char *p = v ? ASN1_STRING_get0_data(v) : NULL;
	ASN1_UTF8STRING *s = p ? d2i_ASN1_UTF8STRING(NULL, &p, ASN1_STRING_length(v)) : NULL;
	int ok = s && ASN1_STRING_length(s) < (int)cap &&
	         !memchr(ASN1_STRING_get0_data(s), 0, (size_t)ASN1_STRING_length(s));

	if (ok)
		snprintf(out, cap, "%.*s", ASN1_STRING_length(s),
		         (const char *)ASN1_STRING_get0_data(s));
	ASN1_UTF8STRING_free(s);
	return ok ? 0 : -1;
}

static int stw__bool(X509 *x, unsigned id, int *out)
{
	const ASN1_OCTET_STRING *v = stw__ext(x, id);
	const unsigned char *p = v ? ASN1_STRING_get0_data(v) : NULL;

	if (!p || ASN1_STRING_length(v) != 3 || p[0] != 0x01 || p[1] != 0x01)
		return -1;
	*out = p[2] != 0;
	return 0;
}

static int stw__octets(X509 *x, unsigned id, uint8_t *out, size_t cap, size_t *len)
{
	const ASN1_OCTET_STRING *v = stw__ext(x, id);
	const unsigned char *p = v ? ASN1_STRING_get0_data(v) : NULL;
	ASN1_OCTET_STRING *s = p ? d2i_ASN1_OCTET_STRING(NULL, &p, ASN1_STRING_length(v)) : NULL;
	int ok = s && (size_t)ASN1_STRING_length(s) <= cap;

	if (ok) {
		*len = (size_t)ASN1_STRING_length(s);
		memcpy(out, ASN1_STRING_get0_data(s), *len);
	}
	ASN1_OCTET_STRING_free(s);
	return ok ? 0 : -1;
}

static int stw__claims(X509 *x, struct stw_claims *c, char *why, size_t n)
{
	memset(c, 0, sizeof(*c));
	if (stw__utf8(x, STEWARD_C_TEE, c->tee, sizeof(c->tee)) ||
	    stw__utf8(x, STEWARD_C_TEE_VERSION, c->tee_version, sizeof(c->tee_version)) ||
	    stw__utf8(x, STEWARD_C_TCB_STATUS, c->tcb_status, sizeof(c->tcb_status)) ||
	    stw__utf8(x, STEWARD_C_RUNTIME, c->runtime, sizeof(c->runtime)) ||
	    stw__utf8(x, STEWARD_C_VERIFIED_AT, c->verified_at, sizeof(c->verified_at)) ||
	    stw__octets(x, STEWARD_C_MEASUREMENT, c->measurement, sizeof(c->measurement),
	                &c->measurement_len) ||
	    stw__bool(x, STEWARD_C_INSECURE, &c->insecure) ||
	    stw__bool(x, STEWARD_C_DEBUG, &c->debug) ||
	    stw__bool(x, STEWARD_C_TIME_FIXED, &c->time_fixed))
		return srefuse(why, n, ENARX_E_MALFORMED,
		               "steward: the certificate lacks a readable claim (tee, tee-version, "
		               "tcb-status, runtime, measurement, insecure, debug, verified-at, "
		               "time-fixed under %s)",
		               STEWARD_ARC);
	return 0;
}

/* POST / with the CSR; the DER chain in ans. */
static int stw__certify(const struct deploy_verify_opts *o, const struct kp_evidence *e,
                        struct keep_http_answer *ans, char *why, size_t n)
{
	struct kp_http_req q = {.method = (char *)"POST",
	                        .url = (char *)o->steward_url,
	                        .ctype = (char *)"application/pkcs10",
	                        .accept = (char *)"",
	                        .body = e->csr,
	                        .body_len = e->csr_len};
	struct keep_relay_curl c;
	volatile int cancel = 0;
	json_t *j;

	keep_relay_curl_init(&c);
	c.cacert = o->steward_ca;
	c.base.fetch(&c.base, &q, &cancel, ans);
	if (ans->status == 0)
		return srefuse(why, n, ENARX_E_IO, "steward: cannot reach %s: %.*s", o->steward_url,
		               (int)(ans->body.len > 300 ? 300 : ans->body.len),
		               ans->body.data ? (const char *)ans->body.data : "");
	if (ans->status == 200)
		return 0;
	j = json_loadb((const char *)ans->body.data, ans->body.len, 0, NULL);
	srefuse(why, n, ENARX_E_ATTEST_POLICY,
	        "steward: %s refused the Keep (HTTP %u, check %s): %s", o->steward_url, ans->status,
	        json_string_value(json_object_get(j, "check")) ?: "?",
	        json_string_value(json_object_get(j, "detail")) ?: "(no detail)");
	json_decref(j);
	return ENARX_E_ATTEST_POLICY;
}

/* The certified key signed KP_STEWARD_SIG_CONTEXT || binding. */
static int stw__key_sig(X509 *leaf, const struct kp_evidence *e, const struct deploy_verdict *v)
{
	static const char ctx[] = KP_STEWARD_SIG_CONTEXT;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok = m &&
	         EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, X509_get0_pubkey(leaf)) == 1 &&
	         EVP_DigestVerifyUpdate(m, ctx, sizeof(ctx) - 1) == 1 &&
	         EVP_DigestVerifyUpdate(m, v->binding, KP_BINDING_LEN) == 1 &&
	         EVP_DigestVerifyFinal(m, e->key_sig, e->key_sig_len) == 1;

	EVP_MD_CTX_free(m);
	return ok ? 0 : -1;
}

/* Chain to the Steward CA and leaf key = the CSR's key. */
static int stw__chain(const struct deploy_verify_opts *o, const struct kp_evidence *e,
                      const struct buf *der, X509 **leaf, char *why, size_t n)
{
	const unsigned char *q = e->csr;
	X509_REQ *req = d2i_X509_REQ(NULL, &q, (long)e->csr_len);
	STACK_OF(X509) *rest = NULL;
	struct buf ca = {0};
	char err[256];
	int rc;

	if (!req || q != e->csr + e->csr_len) {
		X509_REQ_free(req);
		return srefuse(why, n, ENARX_E_MALFORMED, "steward: the Keep's CSR does not parse");
	}
	rc = certchain_parse(der->data, der->len, leaf, &rest, err, sizeof(err));
	if (rc)
		srefuse(why, n, rc, "steward: the answer of %s: %s", o->steward_url, err);
	if (!rc && o->steward_ca && file_read_all(o->steward_ca, CA_MAX, &ca, err, sizeof(err)))
		rc = srefuse(why, n, ENARX_E_IO, "steward: --steward-ca: %s", err);
	if (!rc && (rc = certchain_verify(*leaf, rest, ca.data, ca.len, err, sizeof(err))) != 0)
		srefuse(why, n, rc,
		        "steward: the certificate does not chain to the Steward CA %s: %s",
		        o->steward_ca ? o->steward_ca : "(system roots)", err);
	if (!rc && EVP_PKEY_eq(X509_get0_pubkey(*leaf), X509_REQ_get0_pubkey(req)) != 1)
		rc = srefuse(why, n, ENARX_E_ATTEST_BINDING,
		             "steward: the certificate is for another key than the Keep's CSR");
	if (rc) {
		X509_free(*leaf);
		*leaf = NULL;
	}
	buf_free(&ca, 0);
	sk_X509_pop_free(rest, X509_free);
	X509_REQ_free(req);
	return rc;
}

/* The client's rules on Steward's claims (docs/deploy.md "With Steward"). */
static int stw__rules(const struct deploy_verify_opts *o, const struct stw_claims *c,
                      struct deploy_verdict *v, char *why, size_t n)
{
	enarx_policy *own = NULL;
	enarx_claims ec;
	int rc;

	if (c->time_fixed)
		return srefuse(why, n, ENARX_E_ATTEST_POLICY,
		               "steward: Steward verified the evidence at a fixed time (%s, --at), "
		               "not now: refused",
		               c->verified_at);
	if (c->insecure && !o->insecure)
		return srefuse(
		    why, n, ENARX_E_ATTEST_POLICY,
		    "insecure Keep: Steward certified a %s Keep with no hardware root of "
		    "trust; the host could read and change the workload (pass "
		    "--insecure to accept it)",
		    c->tee);
	if (c->debug && !o->insecure)
		return srefuse(why, n, ENARX_E_ATTEST_POLICY,
		               "policy: Steward certified a debug %s Keep (pass --insecure to "
		               "accept it)",
		               c->tee);
	if (strcmp(c->tcb_status, "UpToDate") != 0 && strcmp(c->tcb_status, "n/a") != 0)
		return srefuse(
		    why, n, ENARX_E_ATTEST_POLICY,
		    "policy: Steward certified TCB status %s, this client wants UpToDate",
		    c->tcb_status);
	memset(&ec, 0, sizeof(ec));
	ec.insecure = c->insecure;
	ec.debug = c->debug;
	ec.tee = strcmp(c->tee, "kvm") == 0   ? ENARX_TEE_KVM
	         : strcmp(c->tee, "snp") == 0 ? ENARX_TEE_SNP
	         : strcmp(c->tee, "sgx") == 0 ? ENARX_TEE_SGX
	         : strcmp(c->tee, "tdx") == 0 ? ENARX_TEE_TDX
	                                      : ENARX_TEE_NONE;
	if (ec.tee == ENARX_TEE_NONE || c->measurement_len != (ec.tee == ENARX_TEE_SGX ? 32u : 48u))
		return srefuse(why, n, ENARX_E_MALFORMED,
		               "steward: claims of TEE %s with a %zu-byte "
		               "measurement",
		               c->tee, c->measurement_len);
	memcpy(ec.tee == ENARX_TEE_KVM   ? ec.kvm.measurement
	       : ec.tee == ENARX_TEE_SNP ? ec.snp.measurement
	       : ec.tee == ENARX_TEE_TDX ? ec.intel.mrtd
	                                 : ec.intel.mrenclave,
	       c->measurement, c->measurement_len);
	ec.kvm.present = ec.tee == ENARX_TEE_KVM;
	v->tee = ec.tee;
	v->insecure = c->insecure;
	snprintf(v->tee_name, sizeof(v->tee_name), "%s", c->tee);
	snprintf(v->tcb, sizeof(v->tcb), "%.20s, %.60s (Steward)", c->tcb_status, c->tee_version);
	if (!o->policy && !(own = enarx_policy_default()))
		return srefuse(why, n, ENARX_E_NOMEM, "out of memory");
	rc = deploy__match_runtime(o, o->policy ? o->policy : own, &ec, v, why, n);
	enarx_policy_free(own);
	return rc;
}

int deploy__steward_verify(const struct deploy_verify_opts *o, const struct kp_evidence *e,
                           struct deploy_verdict *v, char *why, size_t n)
{
	struct keep_http_answer ans;
	struct stw_claims c;
	X509 *leaf = NULL;
	char serial[80] = "?";
	int rc;

	if (!e->csr_len)
		return srefuse(
		    why, n, ENARX_E_ATTEST_POLICY,
		    "steward: the Keep sent no CSR (\"%s\"): a Keep without evidence (nil) "
		    "cannot be certified",
		    v->note);
	memset(&ans, 0, sizeof(ans));
	rc = stw__certify(o, e, &ans, why, n);
	if (!rc)
		rc = stw__chain(o, e, &ans.body, &leaf, why, n);
	buf_free(&ans.body, 0);
	if (!rc && stw__key_sig(leaf, e, v) != 0)
		rc = srefuse(why, n, ENARX_E_ATTEST_BINDING,
		             "key binding: the Keep's keys and our nonce are not signed by the key "
		             "Steward certified: keys swapped or a CSR of another Keep");
	if (!rc)
		rc = stw__claims(leaf, &c, why, n);
	if (!rc)
		rc = stw__rules(o, &c, v, why, n);
	if (!rc) {
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
		char *h = bn ? BN_bn2hex(bn) : NULL;

		snprintf(serial, sizeof(serial), "%s", h ? h : "?");
		OPENSSL_free(h);
		BN_free(bn);
		snprintf(v->steward, sizeof(v->steward), "certified by %.60s, serial %.40s",
		         o->steward_url, serial);
	}
	X509_free(leaf);
	return rc;
}
