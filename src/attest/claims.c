/* SPDX-License-Identifier: Apache-2.0 */
/* Claims as JSON (enarx attest verify --json, logs, Steward certificates). */
#include <jansson.h>
#include <string.h>

#include "attest/attest_int.h"
#include "lib/hex.h"

static void put_hex(json_t *o, const char *k, const uint8_t *p, size_t n)
{
	char buf[2 * 64 + 1];
	if (n > 64)
		return;
	hex_encode(p, n, buf);
	json_object_set_new(o, k, json_string(buf));
}

static void put_u(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

static json_t *snp_tcb(const enarx_snp_tcb *t, bool turin)
{
	json_t *o = json_object();
	put_u(o, "bootloader", t->bl);
	put_u(o, "tee", t->tee);
	put_u(o, "snp", t->snp);
	put_u(o, "microcode", t->ucode);
	if (turin)
		put_u(o, "fmc", t->fmc);
	char raw[19];
	snprintf(raw, sizeof(raw), "0x%016llx", (unsigned long long)t->raw);
	json_object_set_new(o, "raw", json_string(raw));
	return o;
}

static void snp_json(json_t *o, const enarx_snp_claims *s)
{
	bool turin = strcmp(s->product, "Turin") == 0;
	put_u(o, "version", s->version);
	json_object_set_new(o, "product", json_string(s->product));
	json_object_set_new(o, "signing_key", json_string(s->signer));
	put_u(o, "guest_svn", s->guest_svn);
	put_u(o, "policy", s->policy);
	json_t *pol = json_object();
	put_u(pol, "abi_major", SNP_POLICY_ABI_MAJOR(s->policy));
	put_u(pol, "abi_minor", SNP_POLICY_ABI_MINOR(s->policy));
	json_object_set_new(pol, "smt", json_boolean((s->policy & SNP_POLICY_SMT) != 0));
	json_object_set_new(pol, "migrate_ma",
	                    json_boolean((s->policy & SNP_POLICY_MIGRATE_MA) != 0));
	json_object_set_new(pol, "debug", json_boolean((s->policy & SNP_POLICY_DEBUG) != 0));
	json_object_set_new(pol, "single_socket",
	                    json_boolean((s->policy & SNP_POLICY_SINGLE_SOCKET) != 0));
	json_object_set_new(o, "policy_bits", pol);
	put_u(o, "platform_info", s->platform_info);
	put_u(o, "vmpl", s->vmpl);
	put_u(o, "key_info", s->key_info);
	json_object_set_new(o, "author_key_en",
	                    json_boolean((s->key_info & SNP_KEY_INFO_AUTHOR_KEY_EN) != 0));
	json_object_set_new(o, "mask_chip_key",
	                    json_boolean((s->key_info & SNP_KEY_INFO_MASK_CHIP_KEY) != 0));
	put_hex(o, "family_id", s->family_id, 16);
	put_hex(o, "image_id", s->image_id, 16);
	put_hex(o, "measurement", s->measurement, 48);
	put_hex(o, "host_data", s->host_data, 32);
	put_hex(o, "id_key_digest", s->id_key_digest, 48);
	put_hex(o, "author_key_digest", s->author_key_digest, 48);
	put_hex(o, "report_id", s->report_id, 32);
	put_hex(o, "report_id_ma", s->report_id_ma, 32);
	put_hex(o, "chip_id", s->chip_id, 64);
	json_object_set_new(o, "chip_id_checked", json_boolean(s->chip_id_checked));
	json_object_set_new(o, "current_tcb", snp_tcb(&s->current_tcb, turin));
	json_object_set_new(o, "reported_tcb", snp_tcb(&s->reported_tcb, turin));
	json_object_set_new(o, "committed_tcb", snp_tcb(&s->committed_tcb, turin));
	json_object_set_new(o, "launch_tcb", snp_tcb(&s->launch_tcb, turin));
	char v[16];
	snprintf(v, sizeof(v), "%u.%u.%u", s->current_major, s->current_minor, s->current_build);
	json_object_set_new(o, "firmware_current", json_string(v));
	snprintf(v, sizeof(v), "%u.%u.%u", s->committed_major, s->committed_minor,
	         s->committed_build);
	json_object_set_new(o, "firmware_committed", json_string(v));
	if (s->version >= 3) {
		put_u(o, "cpuid_family", s->cpuid_fam);
		put_u(o, "cpuid_model", s->cpuid_mod);
		put_u(o, "cpuid_stepping", s->cpuid_step);
	}
	if (s->hcl_runtime_claims) {
		json_t *rc = json_loads(s->hcl_runtime_claims, 0, NULL);
		json_object_set_new(o, "hcl_runtime_claims",
		                    rc ? rc : json_string(s->hcl_runtime_claims));
	}
	if (s->version >= 5) {
		put_u(o, "launch_mit_vector", s->launch_mit_vector);
		put_u(o, "current_mit_vector", s->current_mit_vector);
	}
}

static void intel_json(json_t *o, const enarx_claims *c)
{
	const enarx_intel_claims *q = &c->intel;
	put_u(o, "quote_version", q->version);
	if (c->tee == ENARX_TEE_SGX) {
		put_u(o, "qe_svn", q->qe_svn);
		put_u(o, "pce_svn", q->pce_svn);
		put_hex(o, "mrenclave", q->mrenclave, 32);
		put_hex(o, "mrsigner", q->mrsigner, 32);
		put_hex(o, "attributes", q->attributes, 16);
		put_u(o, "miscselect", q->miscselect);
		put_u(o, "isv_prod_id", q->isv_prod_id);
		put_u(o, "isv_svn", q->isv_svn);
		put_u(o, "config_svn", q->config_svn);
		put_hex(o, "config_id", q->config_id, 64);
		put_hex(o, "isv_ext_prod_id", q->isv_ext_prod_id, 16);
		put_hex(o, "isv_family_id", q->isv_family_id, 16);
		put_hex(o, "cpusvn", q->cpusvn, 16);
	} else {
		put_u(o, "body_type", q->body_type);
		put_hex(o, "tee_tcb_svn", q->tee_tcb_svn, 16);
		put_hex(o, "mrseam", q->mrseam, 48);
		put_hex(o, "mrsignerseam", q->mrsignerseam, 48);
		put_u(o, "seam_attributes", q->seam_attributes);
		put_u(o, "td_attributes", q->td_attributes);
		json_object_set_new(
		    o, "sept_ve_disable",
		    json_boolean((q->td_attributes & TDX_ATTR_SEPT_VE_DISABLE) != 0));
		put_u(o, "xfam", q->xfam);
		put_hex(o, "mrtd", q->mrtd, 48);
		put_hex(o, "mrconfigid", q->mrconfigid, 48);
		put_hex(o, "mrowner", q->mrowner, 48);
		put_hex(o, "mrownerconfig", q->mrownerconfig, 48);
		json_t *r = json_array();
		for (int i = 0; i < 4; i++) {
			char b[97];
			hex_encode(q->rtmr[i], 48, b);
			json_array_append_new(r, json_string(b));
		}
		json_object_set_new(o, "rtmr", r);
		if (q->body_type == 3) {
			put_hex(o, "tee_tcb_svn2", q->tee_tcb_svn2, 16);
			put_hex(o, "mrservicetd", q->mrservicetd, 48);
		}
	}
	put_hex(o, "fmspc", q->fmspc, 6);
	put_hex(o, "pceid", q->pceid, 2);
	put_hex(o, "pck_cpusvn_components", q->pck_svn, 16);
	put_u(o, "pck_pcesvn", q->pck_pcesvn);
	json_object_set_new(o, "pck_ca", json_string(q->pck_ca));
	json_object_set_new(o, "tcb_status", json_string(enarx_tcb_status_name(q->tcb_status)));
	json_object_set_new(o, "platform_tcb_status",
	                    json_string(enarx_tcb_status_name(q->platform_status)));
	json_object_set_new(o, "qe_tcb_status", json_string(enarx_tcb_status_name(q->qe_status)));
	if (c->tee == ENARX_TEE_TDX)
		json_object_set_new(o, "tdx_module_tcb_status",
		                    json_string(enarx_tcb_status_name(q->module_status)));
	json_object_set_new(o, "tcb_date", json_string(q->tcb_date));
	json_t *adv = json_array();
	for (size_t i = 0; i < q->n_advisories; i++)
		json_array_append_new(adv, json_string(q->advisories[i]));
	json_object_set_new(o, "advisory_ids", adv);
	put_u(o, "tcb_evaluation_number", (uint64_t)q->tcb_eval_number);
	if (q->collateral_expiry) {
		char b[32];
		attest_format_time(q->collateral_expiry, b, sizeof(b));
		json_object_set_new(o, "collateral_expiry", json_string(b));
	}
	json_object_set_new(o, "tcb_info_checked", json_boolean(q->tcb_info_checked));
	json_object_set_new(o, "qe_identity_checked", json_boolean(q->qe_identity_checked));
	put_u(o, "trailing_bytes", q->trailing_bytes);
}

char *enarx_claims_json(const enarx_claims *c)
{
	static const char *names[] = {"none", "kvm", "snp", "sgx", "tdx"};
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "tee", json_string(names[c->tee <= ENARX_TEE_TDX ? c->tee : 0]));
	json_object_set_new(o, "insecure", json_boolean(c->insecure));
	json_object_set_new(o, "debug", json_boolean(c->debug));
	json_object_set_new(o, "revocation_checked", json_boolean(c->revocation_checked));
	put_hex(o, "report_data", c->report_data, 64);
	if (c->tee == ENARX_TEE_SNP) {
		json_t *s = json_object();
		snp_json(s, &c->snp);
		json_object_set_new(o, "snp", s);
	} else if (c->tee == ENARX_TEE_SGX || c->tee == ENARX_TEE_TDX) {
		json_t *s = json_object();
		intel_json(s, c);
		json_object_set_new(o, c->tee == ENARX_TEE_SGX ? "sgx" : "tdx", s);
	} else if (c->tee == ENARX_TEE_KVM && c->kvm.present) {
		json_t *s = json_object();
		put_u(s, "version", c->kvm.version);
		put_u(s, "flags", c->kvm.flags);
		put_hex(s, "measurement", c->kvm.measurement, 48);
		json_object_set_new(o, "kvm", s);
	}
	char *txt = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	return txt;
}
