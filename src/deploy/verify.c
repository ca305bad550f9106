/* SPDX-License-Identifier: Apache-2.0 */
/* Checking a Keep before anything is sealed to it (deploy.h): the nonce
 * it answered, its evidence (src/attest), the policy, the binding of its
 * keys to REPORT_DATA, the runtime it measured, and whether an insecure
 * Keep may be used at all. Each refusal names the check and the values. */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "deploy/deploy.h"
#include "deploy/deploy_int.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "package/seal.h"

#ifdef ENARX_HAVE_KVM
#include "backend/backend.h"
#include "backend/kvm.h"
#endif

#ifndef ENARX_VERSION
#define ENARX_VERSION "0.1.0"
#endif

static int refuse(char *why, size_t n, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int refuse(char *why, size_t n, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return rc;
}

/* First bytes of a value in hex, for messages. */
static const char *short_hex(const uint8_t *p, size_t n, char *out)
{
	hex_encode(p, n < 12 ? n : 12, out);
	return out;
}

static const char *tee_name(enarx_tee t)
{
	switch (t) {
	case ENARX_TEE_KVM: return "kvm";
	case ENARX_TEE_SNP: return "snp";
	case ENARX_TEE_SGX: return "sgx";
	case ENARX_TEE_TDX: return "tdx";
	default: return "none";
	}
}

/* The runtime measurement in the claims (kvm launch digest, SNP
 * MEASUREMENT, TDX MRTD, SGX MRENCLAVE) and its length. */
static const uint8_t *claims_measurement(const enarx_claims *c, size_t *n)
{
	switch (c->tee) {
	case ENARX_TEE_KVM: *n = 48; return c->kvm.measurement;
	case ENARX_TEE_SNP: *n = 48; return c->snp.measurement;
	case ENARX_TEE_TDX: *n = 48; return c->intel.mrtd;
	case ENARX_TEE_SGX: *n = 32; return c->intel.mrenclave;
	default: *n = 0; return NULL;
	}
}

static void describe_tcb(const enarx_claims *c, struct deploy_verdict *v)
{
	switch (c->tee) {
	case ENARX_TEE_KVM:
		snprintf(v->tcb, sizeof(v->tcb), "none (no hardware root of trust)");
		break;
	case ENARX_TEE_SNP:
		snprintf(v->tcb, sizeof(v->tcb), "reported TCB bl %u tee %u snp %u ucode %u%s",
		         c->snp.reported_tcb.bl, c->snp.reported_tcb.tee, c->snp.reported_tcb.snp,
		         c->snp.reported_tcb.ucode, c->debug ? ", DEBUG" : "");
		break;
	default:
		snprintf(v->tcb, sizeof(v->tcb), "%s%s", enarx_tcb_status_name(c->intel.tcb_status),
		         c->debug ? ", DEBUG" : "");
		break;
	}
}

static const struct deploy_ref *find_ref(const struct deploy_ref *refs, size_t nrefs,
                                         const enarx_claims *c, const uint8_t *m, size_t ml)
{
	for (size_t i = 0; i < nrefs; i++) {
		if (strcmp(refs[i].backend, tee_name(c->tee)) == 0 && ml == KEEP_DIGEST_LEN &&
		    CRYPTO_memcmp(refs[i].measurement, m, ml) == 0)
			return &refs[i];
	}
	return NULL;
}

/* Appends "version hex..." of each reference for this TEE to known. */
static size_t list_refs(const struct deploy_ref *refs, size_t nrefs, const enarx_claims *c,
                        char *known, size_t at, size_t cap)
{
	for (size_t i = 0; i < nrefs && at < cap - 1; i++) {
		char h[25];

		if (strcmp(refs[i].backend, tee_name(c->tee)) != 0)
			continue;
		at += (size_t)snprintf(known + at, cap - at, "%s%s %s...", at ? ", " : "",
		                       refs[i].version,
		                       short_hex(refs[i].measurement, KEEP_DIGEST_LEN, h));
	}
	return at < cap ? at : cap - 1;
}

/* The runtime the measurement belongs to, from the references (and this
 * build's own), then the policy's [measurements.TEE]. */
int deploy__match_runtime(const struct deploy_verify_opts *o, const enarx_policy *pol,
                          const enarx_claims *c, struct deploy_verdict *v, char *why, size_t n)
{
	static struct deploy_ref own[4];
	static size_t nown;
	static int own_done;
	size_t ml, at;
	const uint8_t *m = claims_measurement(c, &ml);
	const char *name = enarx_policy_runtime(pol, c);
	const struct deploy_ref *r;
	char known[512] = "";

	snprintf(v->measurement, sizeof(v->measurement), "%s:", ml == 48 ? "sha384" : "sha256");
	hex_encode(m, ml, v->measurement + 7);
	if (o->trust_own && !own_done) {
		nown = deploy_own_refs(own, 4); /* hashes the runtime: only when needed */
		own_done = 1;
	}
	r = find_ref(o->refs, o->nrefs, c, m, ml);
	if (!r && o->trust_own)
		r = find_ref(own, nown, c, m, ml);
	if (r) {
		snprintf(v->runtime, sizeof(v->runtime), "%.63s (%.15s)", r->version, r->backend);
		return 0;
	}
	if (name) {
		snprintf(v->runtime, sizeof(v->runtime), "%s", name);
		return 0;
	}
	at = list_refs(o->refs, o->nrefs, c, known, 0, sizeof(known));
	if (o->trust_own)
		at = list_refs(own, nown, c, known, at, sizeof(known));
	return refuse(why, n, ENARX_E_ATTEST_POLICY,
	              "runtime: measurement %s is not a known Enarx runtime on %s (known: %s)",
	              v->measurement, tee_name(c->tee), at ? known : "none");
}

static const char insecure_policy[] = "tee = [\"kvm\"]\nallow_insecure = true\n";

/* Evidence, policy, binding and runtime of a Keep with evidence. */
static int check_claims(const struct deploy_verify_opts *o, const struct kp_evidence *e,
                        struct deploy_verdict *v, char *why, size_t n)
{
	enarx_attest *a = enarx_attest_new();
	enarx_evidence *ev = enarx_evidence_new();
	enarx_policy *own = NULL;
	const enarx_policy *pol = o->policy;
	enarx_claims *c = NULL;
	char pwhy[512], h1[25], h2[25];
	int rc;

	if (!a || !ev) {
		rc = refuse(why, n, ENARX_E_NOMEM, "out of memory");
		goto out;
	}
	rc = enarx_evidence_set_auto(ev, e->evidence, e->evidence_len);
	if (!rc)
		rc = enarx_attest_verify(a, ev, 0, &c);
	if (rc) {
		refuse(why, n, rc, "evidence: %s (%s)", enarx_strerror(rc), enarx_attest_error(a));
		goto out;
	}
	v->tee = c->tee;
	v->insecure = c->insecure;
	snprintf(v->tee_name, sizeof(v->tee_name), "%s", tee_name(c->tee));
	describe_tcb(c, v);
	if (c->insecure && o->insecure &&
	    (!pol || enarx_policy_check(pol, c, pwhy, sizeof(pwhy)))) {
		/* --insecure: the built-in rule that admits exactly this */
		own = enarx_policy_parse(insecure_policy, sizeof(insecure_policy) - 1, pwhy,
		                         sizeof(pwhy));
		pol = own;
	} else if (!pol) {
		pol = own = enarx_policy_default();
	}
	if (!pol) {
		rc = refuse(why, n, ENARX_E_NOMEM, "out of memory");
		goto out;
	}
	rc = enarx_policy_check(pol, c, pwhy, sizeof(pwhy));
	if (rc) {
		refuse(why, n, rc, "%s: %s%s", c->insecure ? "insecure Keep" : "policy", pwhy,
		       c->insecure ? " (no hardware root of trust; pass --insecure to accept it)"
		                   : "");
		goto out;
	}
	if (CRYPTO_memcmp(c->report_data, v->binding, KP_BINDING_LEN) != 0) {
		rc = refuse(why, n, ENARX_E_ATTEST_BINDING,
		            "key binding: REPORT_DATA %s... is not SHA-512 of the Keep's public "
		            "keys and our nonce (%s...): keys swapped or evidence of another Keep",
		            short_hex(c->report_data, 64, h1), short_hex(v->binding, 64, h2));
		goto out;
	}
	rc = deploy__match_runtime(o, pol, c, v, why, n);
out:
	enarx_claims_free(c);
	enarx_policy_free(own);
	enarx_evidence_free(ev);
	enarx_attest_free(a);
	return rc;
}

int deploy_verify(const struct deploy_verify_opts *o, const uint8_t *msg, size_t len,
                  const uint8_t *nonce, size_t nonce_len, struct deploy_verdict *v, char *why,
                  size_t n)
{
	struct kp_evidence e;
	char h1[25], h2[25];
	int rc = kp_dec_evidence(msg, len, &e);

	memset(v, 0, sizeof(*v));
	if (rc)
		return refuse(why, n, rc, "evidence: malformed EVIDENCE message (%s)",
		              enarx_strerror(rc));
	if (e.nonce_len != nonce_len || CRYPTO_memcmp(e.nonce, nonce, nonce_len) != 0)
		return refuse(why, n, ENARX_E_ATTEST_POLICY,
		              "nonce: the evidence answers nonce %s..., this deploy sent %s... "
		              "(replayed or stale evidence)",
		              short_hex(e.nonce, e.nonce_len, h1), short_hex(nonce, nonce_len, h2));
	if (e.kem_pk_len != 32 || e.sig_pk_len != 32)
		return refuse(
		    why, n, ENARX_E_MALFORMED,
		    "evidence: Keep keys of %zu and %zu bytes (X25519 and Ed25519 are 32)",
		    e.kem_pk_len, e.sig_pk_len);
	memcpy(v->kem_pk, e.kem_pk, e.kem_pk_len);
	memcpy(v->sig_pk, e.sig_pk, e.sig_pk_len);
	v->kem_pk_len = e.kem_pk_len;
	v->sig_pk_len = e.sig_pk_len;
	for (size_t i = 0; i < e.note_len && i < KP_NOTE_MAX; i++)
		v->note[i] = e.note[i] >= 0x20 && e.note[i] < 0x7f ? (char)e.note[i] : '?';
	rc = seal_binding(e.kem_pk, e.kem_pk_len, e.sig_pk, e.sig_pk_len, nonce, nonce_len,
	                  v->binding);
	if (rc)
		return refuse(why, n, rc, "cannot hash the Keep's keys");
	if (o->steward_url)
		return deploy__steward_verify(o, &e, v, why, n);
	if (e.kind != KP_TEE_NONE)
		return check_claims(o, &e, v, why, n);
	v->tee = ENARX_TEE_NONE;
	v->insecure = 1;
	snprintf(v->tee_name, sizeof(v->tee_name), "none");
	snprintf(v->tcb, sizeof(v->tcb), "none");
	snprintf(v->runtime, sizeof(v->runtime), "unmeasured (no TEE, no evidence)");
	if (!o->insecure)
		return refuse(why, n, ENARX_E_ATTEST_POLICY,
		              "insecure Keep: it has no TEE and no evidence (\"%s\"); the host "
		              "could read and change the workload, its secrets and its output "
		              "(pass --insecure to accept it)",
		              v->note);
	return 0;
}

size_t deploy_own_refs(struct deploy_ref *refs, size_t cap)
{
#ifdef ENARX_HAVE_KVM
	struct kvm_keep_opts ko = {.keep_fd = -1, .mem_size = KVM_DEFAULT_MEM};

	if (!cap)
		return 0;
	ko.exec = backend_exec_image(&ko.exec_len);
	if (!ko.exec || !ko.exec_len || kvm_measure(&ko, refs[0].measurement) != 0)
		return 0;
	snprintf(refs[0].backend, sizeof(refs[0].backend), "kvm");
	snprintf(refs[0].version, sizeof(refs[0].version), "enarx %s", ENARX_VERSION);
	return 1;
#else
	(void)refs;
	(void)cap;
	return 0;
#endif
}

static int parse_ref(json_t *o, struct deploy_ref *r, char *err, size_t n)
{
	const char *be = json_string_value(json_object_get(o, "backend"));
	const char *m = json_string_value(json_object_get(o, "measurement"));
	const char *ver = json_string_value(json_object_get(o, "version"));

	if (!be || !m || strlen(m) != 2 * KEEP_DIGEST_LEN ||
	    hex_decode(m, strlen(m), r->measurement, KEEP_DIGEST_LEN) != 0) {
		snprintf(err, n,
		         "a reference needs \"backend\" and a 96-digit hex \"measurement\"");
		return -1;
	}
	snprintf(r->backend, sizeof(r->backend), "%s", be);
	snprintf(r->version, sizeof(r->version), "%s", ver ? ver : "an unnamed Enarx build");
	return 0;
}

int deploy_parse_refs(const char *text, struct deploy_ref *refs, size_t n, size_t cap, char *err,
                      size_t errlen)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je), *it;
	size_t i;

	if (!j) {
		snprintf(err, errlen, "line %d: %s", je.line, je.text);
		return -1;
	}
	if (json_is_object(j)) {
		it = j;
		if (n >= cap || parse_ref(it, &refs[n], err, errlen)) {
			json_decref(j);
			return -1;
		}
		json_decref(j);
		return (int)n + 1;
	}
	json_array_foreach(j, i, it)
	{
		if (n >= cap || !json_is_object(it) || parse_ref(it, &refs[n], err, errlen)) {
			if (n >= cap)
				snprintf(err, errlen, "more than %zu references", cap);
			json_decref(j);
			return -1;
		}
		n++;
	}
	json_decref(j);
	return (int)n;
}
