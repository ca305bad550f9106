/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Verifier policy: what a relying party accepts, read from a TOML file (see
 * docs/attestation.md, "Policy file"). Every rejection names the rule and
 * the values seen. Unknown keys are errors: a typo must not weaken a policy.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "attest/attest_int.h"
#include "lib/toml.h"
#include "lib/alloc.h"
#include "lib/hex.h"

#define MAX_LIST 64
#define MAX_RUNTIMES 64

typedef struct {
	uint8_t v[MAX_LIST][64];
	size_t len[MAX_LIST];
	size_t n;
	bool set;
} hexlist;

typedef struct {
	uint32_t status_mask; /* bit per enarx_tcb_status */
	char *advisories[MAX_LIST];
	size_t n_adv;
	bool adv_set;
	hexlist mrsigner, mrenclave;
	int64_t isv_prod_id; /* -1: any */
	int64_t min_isv_svn;
	bool require_qe_identity;
	time_t min_tcb_date; /* 0: any */
} intel_rules;

typedef struct {
	enarx_tee tee;
	char *name;
	uint8_t digest[48];
	size_t len;
} runtime;

struct enarx_policy {
	bool tee_allowed[5];
	bool allow_debug, allow_insecure, require_crl;
	bool have_rd;
	uint8_t rd[64];
	/* snp */
	bool snp_allow_ma, snp_allow_smt, snp_allow_provisional, snp_require_chip_id;
	uint32_t snp_vmpl_mask;
	int64_t snp_min_tcb[5]; /* bl tee snp ucode fmc; -1 unset */
	int64_t snp_min_guest_svn, snp_min_abi_major, snp_min_abi_minor;
	unsigned snp_min_fw[3]; /* major, minor, build of CURRENT firmware */
	bool snp_allow_vcek, snp_allow_vlek;
	hexlist snp_id_key, snp_author_key, snp_host_data, snp_family_id, snp_image_id;
	int64_t snp_max_platform_info;                   /* -1: any */
	int64_t snp_min_launch_mit, snp_min_current_mit; /* required bits, v5 */
	/* intel */
	intel_rules sgx, tdx;
	bool tdx_require_sept_ve_disable, tdx_allow_service_td;
	runtime rt[MAX_RUNTIMES];
	size_t n_rt;
};

static void rules_default(intel_rules *r)
{
	memset(r, 0, sizeof(*r));
	r->status_mask = 1u << ENARX_TCB_UP_TO_DATE;
	r->isv_prod_id = -1;
	r->min_isv_svn = 0;
	r->require_qe_identity = true;
}

enarx_policy *enarx_policy_default(void)
{
	enarx_policy *p = xcalloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->tee_allowed[ENARX_TEE_SNP] = p->tee_allowed[ENARX_TEE_SGX] =
	    p->tee_allowed[ENARX_TEE_TDX] = true;
	p->snp_allow_smt = true;
	p->snp_allow_provisional = true;
	p->snp_vmpl_mask = 1;
	for (int i = 0; i < 5; i++)
		p->snp_min_tcb[i] = -1;
	p->snp_allow_vcek = p->snp_allow_vlek = true;
	p->snp_max_platform_info = -1;
	rules_default(&p->sgx);
	rules_default(&p->tdx);
	p->tdx_require_sept_ve_disable = true;
	return p;
}

void enarx_policy_free(enarx_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->sgx.n_adv; i++)
		xfree(p->sgx.advisories[i]);
	for (size_t i = 0; i < p->tdx.n_adv; i++)
		xfree(p->tdx.advisories[i]);
	for (size_t i = 0; i < p->n_rt; i++)
		xfree(p->rt[i].name);
	xfree(p);
}

int enarx_policy_require_report_data(enarx_policy *p, const uint8_t *rd, size_t n)
{
	if (n > 64)
		return ENARX_E_INVAL;
	memset(p->rd, 0, 64);
	memcpy(p->rd, rd, n);
	p->have_rd = true;
	return 0;
}

/* ---------------- parsing ---------------- */

struct pctx {
	char *err;
	size_t errlen;
	const struct etoml_kv *kv;
};

static int perr(struct pctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct pctx *x, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errlen, "line %u: %s%s%s: %s", x->kv->line, x->kv->table,
	         x->kv->table[0] ? "." : "", x->kv->key, msg);
	return ENARX_E_MALFORMED;
}

static int want_bool(struct pctx *x, bool *out)
{
	if (x->kv->v.type != ETOML_BOOL)
		return perr(x, "expected true or false");
	*out = x->kv->v.b;
	return 0;
}

static int want_int(struct pctx *x, int64_t lo, int64_t hi, int64_t *out)
{
	if (x->kv->v.type != ETOML_INT || x->kv->v.i < lo || x->kv->v.i > hi)
		return perr(x, "expected an integer in %lld..%lld", (long long)lo, (long long)hi);
	*out = x->kv->v.i;
	return 0;
}

static int hex_value(struct pctx *x, const char *s, uint8_t *out, size_t *len, size_t maxlen)
{
	size_t l = strlen(s);
	if (l == 0 || l % 2 || l / 2 > maxlen || hex_decode(s, l, out, l / 2))
		return perr(x, "\"%.20s...\" is not hex of at most %zu bytes", s, maxlen);
	*len = l / 2;
	return 0;
}

static int want_hexlist(struct pctx *x, hexlist *h, size_t exact)
{
	const struct etoml_value *v = &x->kv->v;
	if (v->type != ETOML_ARRAY || v->nitems > MAX_LIST)
		return perr(x, "expected an array of hex strings (at most %d)", MAX_LIST);
	h->n = 0;
	h->set = true;
	for (size_t i = 0; i < v->nitems; i++) {
		if (v->items[i].type != ETOML_STRING)
			return perr(x, "element %zu is not a string", i);
		int rc = hex_value(x, v->items[i].str, h->v[i], &h->len[i], 64);
		if (rc)
			return rc;
		if (exact && h->len[i] != exact)
			return perr(x, "element %zu has %zu bytes, expected %zu", i, h->len[i],
			            exact);
		h->n++;
	}
	return 0;
}

static int status_bit(const char *s)
{
	for (int st = ENARX_TCB_UNEVALUATED; st <= ENARX_TCB_NOT_SUPPORTED; st++)
		if (strcmp(enarx_tcb_status_name((enarx_tcb_status)st), s) == 0)
			return st;
	return -1;
}

static int parse_root(struct pctx *x, enarx_policy *p)
{
	const char *k = x->kv->key;
	const struct etoml_value *v = &x->kv->v;
	if (strcmp(k, "tee") == 0) {
		static const char *names[] = {"none", "kvm", "snp", "sgx", "tdx"};
		if (v->type != ETOML_ARRAY)
			return perr(x, "expected an array of \"snp\", \"sgx\", \"tdx\", \"kvm\"");
		memset(p->tee_allowed, 0, sizeof(p->tee_allowed));
		for (size_t i = 0; i < v->nitems; i++) {
			int f = -1;
			for (int t = 1; t < 5 && v->items[i].type == ETOML_STRING; t++)
				if (strcmp(v->items[i].str, names[t]) == 0)
					f = t;
			if (f < 0)
				return perr(x, "unknown TEE type in element %zu", i);
			p->tee_allowed[f] = true;
		}
		return 0;
	}
	if (strcmp(k, "allow_debug") == 0)
		return want_bool(x, &p->allow_debug);
	if (strcmp(k, "allow_insecure") == 0)
		return want_bool(x, &p->allow_insecure);
	if (strcmp(k, "require_crl") == 0)
		return want_bool(x, &p->require_crl);
	if (strcmp(k, "report_data") == 0) {
		size_t l = 0;
		uint8_t rd[64];
		if (v->type != ETOML_STRING)
			return perr(x, "expected a hex string");
		int rc = hex_value(x, v->str, rd, &l, 64);
		return rc ? rc : enarx_policy_require_report_data(p, rd, l);
	}
	return perr(x, "unknown key");
}

static int parse_snp(struct pctx *x, enarx_policy *p)
{
	const char *k = x->kv->key;
	const struct etoml_value *v = &x->kv->v;
	if (strcmp(k, "allow_migration_agent") == 0)
		return want_bool(x, &p->snp_allow_ma);
	if (strcmp(k, "allow_smt") == 0)
		return want_bool(x, &p->snp_allow_smt);
	if (strcmp(k, "allow_provisional_firmware") == 0)
		return want_bool(x, &p->snp_allow_provisional);
	if (strcmp(k, "require_chip_id") == 0)
		return want_bool(x, &p->snp_require_chip_id);
	if (strcmp(k, "min_guest_svn") == 0)
		return want_int(x, 0, UINT32_MAX, &p->snp_min_guest_svn);
	if (strcmp(k, "min_firmware") == 0) {
		unsigned maj, min, build;
		char tail;
		if (v->type != ETOML_STRING ||
		    sscanf(v->str, "%u.%u.%u%c", &maj, &min, &build, &tail) != 3 || maj > 255 ||
		    min > 255 || build > 255)
			return perr(x, "expected \"MAJOR.MINOR.BUILD\"");
		p->snp_min_fw[0] = maj;
		p->snp_min_fw[1] = min;
		p->snp_min_fw[2] = build;
		return 0;
	}
	if (strcmp(k, "min_abi") == 0) {
		unsigned maj, min;
		char tail;
		if (v->type != ETOML_STRING || sscanf(v->str, "%u.%u%c", &maj, &min, &tail) != 2 ||
		    maj > 255 || min > 255)
			return perr(x, "expected \"MAJOR.MINOR\"");
		p->snp_min_abi_major = maj;
		p->snp_min_abi_minor = min;
		return 0;
	}
	if (strcmp(k, "vmpl") == 0) {
		if (v->type != ETOML_ARRAY)
			return perr(x, "expected an array of VMPLs 0..3");
		p->snp_vmpl_mask = 0;
		for (size_t i = 0; i < v->nitems; i++) {
			if (v->items[i].type != ETOML_INT || v->items[i].i < 0 || v->items[i].i > 3)
				return perr(x, "element %zu is not a VMPL 0..3", i);
			p->snp_vmpl_mask |= 1u << v->items[i].i;
		}
		return 0;
	}
	if (strcmp(k, "signing_keys") == 0) {
		if (v->type != ETOML_ARRAY)
			return perr(x, "expected [\"VCEK\", \"VLEK\"]");
		p->snp_allow_vcek = p->snp_allow_vlek = false;
		for (size_t i = 0; i < v->nitems; i++) {
			if (v->items[i].type == ETOML_STRING &&
			    strcmp(v->items[i].str, "VCEK") == 0)
				p->snp_allow_vcek = true;
			else if (v->items[i].type == ETOML_STRING &&
			         strcmp(v->items[i].str, "VLEK") == 0)
				p->snp_allow_vlek = true;
			else
				return perr(x, "element %zu is not \"VCEK\" or \"VLEK\"", i);
		}
		return 0;
	}
	if (strcmp(k, "id_key_digests") == 0)
		return want_hexlist(x, &p->snp_id_key, 48);
	if (strcmp(k, "author_key_digests") == 0)
		return want_hexlist(x, &p->snp_author_key, 48);
	if (strcmp(k, "host_data") == 0)
		return want_hexlist(x, &p->snp_host_data, 32);
	if (strcmp(k, "family_id") == 0)
		return want_hexlist(x, &p->snp_family_id, 16);
	if (strcmp(k, "image_id") == 0)
		return want_hexlist(x, &p->snp_image_id, 16);
	if (strcmp(k, "max_platform_info") == 0)
		return want_int(x, 0, INT64_MAX, &p->snp_max_platform_info);
	if (strcmp(k, "required_launch_mitigations") == 0)
		return want_int(x, 0, INT64_MAX, &p->snp_min_launch_mit);
	if (strcmp(k, "required_current_mitigations") == 0)
		return want_int(x, 0, INT64_MAX, &p->snp_min_current_mit);
	return perr(x, "unknown key");
}

static int parse_snp_tcb(struct pctx *x, enarx_policy *p)
{
	static const char *names[5] = {"bootloader", "tee", "snp", "microcode", "fmc"};
	for (int i = 0; i < 5; i++)
		if (strcmp(x->kv->key, names[i]) == 0)
			return want_int(x, 0, 255, &p->snp_min_tcb[i]);
	return perr(x, "unknown key (bootloader, tee, snp, microcode, fmc)");
}

static int parse_intel(struct pctx *x, enarx_policy *p, intel_rules *r, bool tdx)
{
	const char *k = x->kv->key;
	const struct etoml_value *v = &x->kv->v;
	if (strcmp(k, "tcb_status") == 0) {
		if (v->type != ETOML_ARRAY)
			return perr(x, "expected an array of TCB status names");
		r->status_mask = 0;
		for (size_t i = 0; i < v->nitems; i++) {
			int b = v->items[i].type == ETOML_STRING ? status_bit(v->items[i].str) : -1;
			if (b < 0)
				return perr(x, "element %zu is not a TCB status name", i);
			r->status_mask |= 1u << b;
		}
		return 0;
	}
	if (strcmp(k, "allowed_advisories") == 0) {
		if (v->type != ETOML_ARRAY || v->nitems > MAX_LIST)
			return perr(x, "expected an array of advisory IDs");
		for (size_t i = 0; i < v->nitems; i++) {
			if (v->items[i].type != ETOML_STRING)
				return perr(x, "element %zu is not a string", i);
			char *d = xstrdup(v->items[i].str);
			if (!d)
				return ENARX_E_NOMEM;
			r->advisories[r->n_adv++] = d;
		}
		r->adv_set = true;
		return 0;
	}
	if (strcmp(k, "min_tcb_date") == 0) {
		char buf[40];
		if (v->type != ETOML_STRING || strlen(v->str) != 10)
			return perr(x, "expected \"YYYY-MM-DD\"");
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", v->str);
		if (attest_parse_time(buf, &r->min_tcb_date))
			return perr(x, "expected \"YYYY-MM-DD\"");
		return 0;
	}
	if (strcmp(k, "require_qe_identity") == 0)
		return want_bool(x, &r->require_qe_identity);
	if (strcmp(k, "mrsigner") == 0)
		return want_hexlist(x, &r->mrsigner, tdx ? 48 : 32);
	if (!tdx) {
		if (strcmp(k, "mrenclave") == 0)
			return want_hexlist(x, &r->mrenclave, 32);
		if (strcmp(k, "isv_prod_id") == 0)
			return want_int(x, 0, 65535, &r->isv_prod_id);
		if (strcmp(k, "min_isv_svn") == 0)
			return want_int(x, 0, 65535, &r->min_isv_svn);
	} else {
		if (strcmp(k, "require_sept_ve_disable") == 0)
			return want_bool(x, &p->tdx_require_sept_ve_disable);
		if (strcmp(k, "allow_service_td") == 0)
			return want_bool(x, &p->tdx_allow_service_td);
	}
	return perr(x, "unknown key");
}

static int parse_runtime(struct pctx *x, enarx_policy *p, enarx_tee tee)
{
	const struct etoml_value *v = &x->kv->v;
	size_t want = tee == ENARX_TEE_SGX ? 32 : 48;
	if (p->n_rt >= MAX_RUNTIMES)
		return perr(x, "too many measurements");
	if (v->type != ETOML_STRING)
		return perr(x, "expected a hex measurement");
	runtime *r = &p->rt[p->n_rt];
	r->len = 0;
	int rc = hex_value(x, v->str, r->digest, &r->len, 48);
	if (rc)
		return rc;
	if (r->len != want)
		return perr(x, "measurement has %zu bytes, expected %zu", r->len, want);
	r->name = xstrdup(x->kv->key);
	if (!r->name)
		return ENARX_E_NOMEM;
	r->tee = tee;
	p->n_rt++;
	return 0;
}

static int parse_kv(struct pctx *x, enarx_policy *p)
{
	const char *t = x->kv->table;
	if (x->kv->key[0] == 0) /* table header marker */
		return strcmp(t, "snp") == 0 || strcmp(t, "snp.min_tcb") == 0 ||
		               strcmp(t, "sgx") == 0 || strcmp(t, "tdx") == 0 ||
		               strcmp(t, "measurements") == 0 ||
		               strcmp(t, "measurements.snp") == 0 ||
		               strcmp(t, "measurements.sgx") == 0 ||
		               strcmp(t, "measurements.tdx") == 0 ||
		               strcmp(t, "measurements.kvm") == 0
		           ? 0
		           : perr(x, "unknown table [%s]", t);
	if (t[0] == 0)
		return parse_root(x, p);
	if (strcmp(t, "snp") == 0)
		return parse_snp(x, p);
	if (strcmp(t, "snp.min_tcb") == 0)
		return parse_snp_tcb(x, p);
	if (strcmp(t, "sgx") == 0)
		return parse_intel(x, p, &p->sgx, false);
	if (strcmp(t, "tdx") == 0)
		return parse_intel(x, p, &p->tdx, true);
	if (strcmp(t, "measurements.snp") == 0)
		return parse_runtime(x, p, ENARX_TEE_SNP);
	if (strcmp(t, "measurements.sgx") == 0)
		return parse_runtime(x, p, ENARX_TEE_SGX);
	if (strcmp(t, "measurements.tdx") == 0)
		return parse_runtime(x, p, ENARX_TEE_TDX);
	if (strcmp(t, "measurements.kvm") == 0)
		return parse_runtime(x, p, ENARX_TEE_KVM);
	return perr(x, "unknown table");
}

enarx_policy *enarx_policy_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct etoml_doc doc;
	if (etoml_parse(text, len, POLICY_TOML_DIALECT, &doc, err, errlen))
		return NULL;
	enarx_policy *p = enarx_policy_default();
	if (!p) {
		snprintf(err, errlen, "out of memory");
		etoml_doc_free(&doc);
		return NULL;
	}
	for (size_t i = 0; i < doc.n; i++) {
		struct pctx x = {err, errlen, &doc.kv[i]};
		if (parse_kv(&x, p)) {
			enarx_policy_free(p);
			p = NULL;
			break;
		}
	}
	etoml_doc_free(&doc);
	return p;
}

/* ---------------- checking ---------------- */

static int rej(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int rej(char *why, size_t n, const char *fmt, ...)
{
	if (why && n) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, n, fmt, ap);
		va_end(ap);
	}
	return ENARX_E_ATTEST_POLICY;
}

static bool in_hexlist(const hexlist *h, const uint8_t *v, size_t n)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->len[i] == n && memcmp(h->v[i], v, n) == 0)
			return true;
	return false;
}

static void hexs(const uint8_t *p, size_t n, char *out)
{
	hex_encode(p, n, out);
}

static int check_snp(const enarx_policy *p, const enarx_claims *c, char *why, size_t n)
{
	const enarx_snp_claims *s = &c->snp;
	char hx[129];
	if ((s->policy & SNP_POLICY_MIGRATE_MA) && !p->snp_allow_ma)
		return rej(why, n,
		           "snp.allow_migration_agent: policy forbids a migration agent; "
		           "report POLICY.MIGRATE_MA=1");
	bool smt = (s->policy & SNP_POLICY_SMT) != 0;
	bool smt_en = (s->platform_info & SNP_PLATFORM_INFO_SMT_EN) != 0;
	if (!p->snp_allow_smt && (smt || smt_en))
		return rej(why, n,
		           "snp.allow_smt: policy forbids SMT; report POLICY.SMT=%u "
		           "PLATFORM_INFO.SMT_EN=%u",
		           (unsigned)smt, (unsigned)smt_en);
	if (!((p->snp_vmpl_mask >> s->vmpl) & 1))
		return rej(why, n, "snp.vmpl: VMPL %u not allowed (allowed mask 0x%x)", s->vmpl,
		           p->snp_vmpl_mask);
	if ((strcmp(s->signer, "VCEK") == 0 && !p->snp_allow_vcek) ||
	    (strcmp(s->signer, "VLEK") == 0 && !p->snp_allow_vlek))
		return rej(why, n, "snp.signing_keys: signing key %s not allowed", s->signer);
	if (p->snp_require_chip_id && !s->chip_id_checked)
		return rej(why, n,
		           "snp.require_chip_id: CHIP_ID was not bound to the certificate "
		           "(VLEK or masked chip ID)");
	const enarx_snp_tcb *t = &s->reported_tcb;
	int have[5] = {t->bl, t->tee, t->snp, t->ucode, t->fmc};
	static const char *names[5] = {"bootloader", "tee", "snp", "microcode", "fmc"};
	for (int i = 0; i < 5; i++)
		if (p->snp_min_tcb[i] >= 0 && have[i] < p->snp_min_tcb[i])
			return rej(why, n, "snp.min_tcb.%s: REPORTED_TCB.%s %d < minimum %lld",
			           names[i], names[i], have[i], (long long)p->snp_min_tcb[i]);
	if (s->guest_svn < p->snp_min_guest_svn)
		return rej(why, n, "snp.min_guest_svn: GUEST_SVN %u < %lld", s->guest_svn,
		           (long long)p->snp_min_guest_svn);
	unsigned maj = SNP_POLICY_ABI_MAJOR(s->policy), min = SNP_POLICY_ABI_MINOR(s->policy);
	if (maj * 256 + min < p->snp_min_abi_major * 256 + p->snp_min_abi_minor)
		return rej(why, n, "snp.min_abi: policy ABI %u.%u < %lld.%lld", maj, min,
		           (long long)p->snp_min_abi_major, (long long)p->snp_min_abi_minor);
	if (maj * 256 + min > (unsigned)s->current_major * 256 + s->current_minor)
		return rej(why, n, "snp: guest policy ABI %u.%u > firmware %u.%u", maj, min,
		           s->current_major, s->current_minor);
	unsigned fw = SNP_FW_VERSION(s->current_major, s->current_minor, s->current_build);
	unsigned minfw = SNP_FW_VERSION(p->snp_min_fw[0], p->snp_min_fw[1], p->snp_min_fw[2]);
	if (fw < minfw)
		return rej(why, n, "snp.min_firmware: firmware %u.%u.%u < %u.%u.%u",
		           s->current_major, s->current_minor, s->current_build, p->snp_min_fw[0],
		           p->snp_min_fw[1], p->snp_min_fw[2]);
	if (!p->snp_allow_provisional &&
	    (s->committed_tcb.raw != s->current_tcb.raw || s->committed_major != s->current_major ||
	     s->committed_minor != s->current_minor || s->committed_build != s->current_build))
		return rej(why, n,
		           "snp.allow_provisional_firmware: COMMITTED_TCB 0x%016llx / firmware "
		           "%u.%u.%u != CURRENT 0x%016llx / %u.%u.%u",
		           (unsigned long long)s->committed_tcb.raw, s->committed_major,
		           s->committed_minor, s->committed_build,
		           (unsigned long long)s->current_tcb.raw, s->current_major,
		           s->current_minor, s->current_build);
	if (p->snp_id_key.set && !in_hexlist(&p->snp_id_key, s->id_key_digest, 48)) {
		hexs(s->id_key_digest, 48, hx);
		return rej(why, n, "snp.id_key_digests: ID_KEY_DIGEST %s not allowed", hx);
	}
	if (p->snp_author_key.set &&
	    (!(s->key_info & 1) || !in_hexlist(&p->snp_author_key, s->author_key_digest, 48))) {
		hexs(s->author_key_digest, 48, hx);
		return rej(
		    why, n,
		    "snp.author_key_digests: AUTHOR_KEY_EN=%u AUTHOR_KEY_DIGEST %s not allowed",
		    s->key_info & 1, hx);
	}
	if (p->snp_host_data.set && !in_hexlist(&p->snp_host_data, s->host_data, 32)) {
		hexs(s->host_data, 32, hx);
		return rej(why, n, "snp.host_data: HOST_DATA %s not allowed", hx);
	}
	if (p->snp_family_id.set && !in_hexlist(&p->snp_family_id, s->family_id, 16)) {
		hexs(s->family_id, 16, hx);
		return rej(why, n, "snp.family_id: FAMILY_ID %s not allowed", hx);
	}
	if (p->snp_image_id.set && !in_hexlist(&p->snp_image_id, s->image_id, 16)) {
		hexs(s->image_id, 16, hx);
		return rej(why, n, "snp.image_id: IMAGE_ID %s not allowed", hx);
	}
	if (p->snp_max_platform_info >= 0 &&
	    (s->platform_info & ~(uint64_t)p->snp_max_platform_info))
		return rej(why, n,
		           "snp.max_platform_info: PLATFORM_INFO 0x%llx has bits outside 0x%llx",
		           (unsigned long long)s->platform_info,
		           (unsigned long long)p->snp_max_platform_info);
	uint64_t lm = (uint64_t)p->snp_min_launch_mit, cm = (uint64_t)p->snp_min_current_mit;
	if ((lm || cm) && s->version < 5)
		return rej(why, n,
		           "snp.required_*_mitigations: report v%u carries no mitigation vectors",
		           s->version);
	if ((s->launch_mit_vector & lm) != lm || (s->current_mit_vector & cm) != cm)
		return rej(
		    why, n,
		    "snp.required_*_mitigations: LAUNCH_MIT_VECTOR 0x%llx / CURRENT_MIT_VECTOR "
		    "0x%llx lack required bits 0x%llx / 0x%llx",
		    (unsigned long long)s->launch_mit_vector,
		    (unsigned long long)s->current_mit_vector, (unsigned long long)lm,
		    (unsigned long long)cm);
	return 0;
}

static int check_intel(const enarx_policy *p, const enarx_claims *c, char *why, size_t n)
{
	bool tdx = c->tee == ENARX_TEE_TDX;
	const intel_rules *r = tdx ? &p->tdx : &p->sgx;
	const enarx_intel_claims *q = &c->intel;
	const char *sec = tdx ? "tdx" : "sgx";
	char hx[129];
	if (!((r->status_mask >> q->tcb_status) & 1))
		return rej(why, n, "%s.tcb_status: TCB status %s not accepted%s", sec,
		           enarx_tcb_status_name(q->tcb_status),
		           q->tcb_info_checked ? "" : " (no TCB info collateral given)");
	if (r->min_tcb_date) {
		time_t d = 0;
		if (!q->tcb_date[0] || attest_parse_time(q->tcb_date, &d) || d < r->min_tcb_date)
			return rej(why, n,
			           "%s.min_tcb_date: TCB level date \"%s\" is older than required",
			           sec, q->tcb_date);
	}
	if (r->require_qe_identity && !q->qe_identity_checked)
		return rej(why, n, "%s.require_qe_identity: no QE identity collateral was checked",
		           sec);
	if (r->adv_set)
		for (size_t i = 0; i < q->n_advisories; i++) {
			bool ok = false;
			for (size_t j = 0; j < r->n_adv; j++)
				ok |= strcmp(r->advisories[j], q->advisories[i]) == 0;
			if (!ok)
				return rej(why, n, "%s.allowed_advisories: advisory %s not allowed",
				           sec, q->advisories[i]);
		}
	if (tdx) {
		if (q->td_attributes & 0xfe)
			return rej(why, n,
			           "tdx: reserved TUD attribute bits set (TDATTRIBUTES 0x%016llx)",
			           (unsigned long long)q->td_attributes);
		if (p->tdx_require_sept_ve_disable &&
		    !(q->td_attributes & TDX_ATTR_SEPT_VE_DISABLE))
			return rej(
			    why, n,
			    "tdx.require_sept_ve_disable: SEPT_VE_DISABLE not set (TDATTRIBUTES "
			    "0x%016llx)",
			    (unsigned long long)q->td_attributes);
		uint8_t zero[48] = {0};
		if (!p->tdx_allow_service_td && q->body_type == 3 &&
		    memcmp(q->mrservicetd, zero, 48)) {
			hexs(q->mrservicetd, 48, hx);
			return rej(why, n, "tdx.allow_service_td: MRSERVICETD %s is set", hx);
		}
		if (r->mrsigner.set && !in_hexlist(&r->mrsigner, q->mrsignerseam, 48)) {
			hexs(q->mrsignerseam, 48, hx);
			return rej(why, n, "tdx.mrsigner: MRSIGNERSEAM %s not allowed", hx);
		}
		return 0;
	}
	if (r->mrsigner.set && !in_hexlist(&r->mrsigner, q->mrsigner, 32)) {
		hexs(q->mrsigner, 32, hx);
		return rej(why, n, "sgx.mrsigner: MRSIGNER %s not allowed", hx);
	}
	if (r->mrenclave.set && !in_hexlist(&r->mrenclave, q->mrenclave, 32)) {
		hexs(q->mrenclave, 32, hx);
		return rej(why, n, "sgx.mrenclave: MRENCLAVE %s not allowed", hx);
	}
	if (r->isv_prod_id >= 0 && q->isv_prod_id != r->isv_prod_id)
		return rej(why, n, "sgx.isv_prod_id: ISVPRODID %u != %lld", q->isv_prod_id,
		           (long long)r->isv_prod_id);
	if (q->isv_svn < r->min_isv_svn)
		return rej(why, n, "sgx.min_isv_svn: ISVSVN %u < %lld", q->isv_svn,
		           (long long)r->min_isv_svn);
	return 0;
}

static const uint8_t *measurement(const enarx_claims *c, size_t *len)
{
	switch (c->tee) {
	case ENARX_TEE_SNP: *len = 48; return c->snp.measurement;
	case ENARX_TEE_SGX: *len = 32; return c->intel.mrenclave;
	case ENARX_TEE_TDX: *len = 48; return c->intel.mrtd;
	case ENARX_TEE_KVM:
		*len = c->kvm.present ? 48 : 0;
		return c->kvm.present ? c->kvm.measurement : NULL;
	default: *len = 0; return NULL;
	}
}

const char *enarx_policy_runtime(const enarx_policy *p, const enarx_claims *c)
{
	size_t len;
	const uint8_t *m = measurement(c, &len);
	for (size_t i = 0; m && i < p->n_rt; i++)
		if (p->rt[i].tee == c->tee && p->rt[i].len == len &&
		    memcmp(p->rt[i].digest, m, len) == 0)
			return p->rt[i].name;
	return NULL;
}

int enarx_policy_check(const enarx_policy *p, const enarx_claims *c, char *why, size_t n)
{
	static const char *names[] = {"none", "kvm", "snp", "sgx", "tdx"};
	if (why && n)
		why[0] = 0;
	if (c->tee <= ENARX_TEE_NONE || c->tee > ENARX_TEE_TDX || !p->tee_allowed[c->tee])
		return rej(why, n, "tee: TEE type %s not accepted",
		           names[c->tee <= ENARX_TEE_TDX ? c->tee : 0]);
	if (c->insecure && !p->allow_insecure)
		return rej(why, n, "allow_insecure: %s evidence has no hardware root of trust",
		           names[c->tee]);
	if (c->debug && !p->allow_debug)
		return rej(why, n, "allow_debug: policy forbids debug; evidence has %s",
		           c->tee == ENARX_TEE_SNP   ? "POLICY.DEBUG=1"
		           : c->tee == ENARX_TEE_SGX ? "ATTRIBUTES.DEBUG=1"
		                                     : "TDATTRIBUTES.DEBUG=1");
	if (p->require_crl && !c->revocation_checked && !c->insecure)
		return rej(why, n, "require_crl: no CRL covered the certificate chain");
	if (p->have_rd && memcmp(p->rd, c->report_data, 64) != 0) {
		char a[129], b[129];
		hexs(c->report_data, 64, a);
		hexs(p->rd, 64, b);
		return rej(why, n, "report_data: REPORT_DATA %s != expected %s", a, b);
	}
	int rc = 0;
	if (c->tee == ENARX_TEE_SNP)
		rc = check_snp(p, c, why, n);
	else if (c->tee == ENARX_TEE_SGX || c->tee == ENARX_TEE_TDX)
		rc = check_intel(p, c, why, n);
	if (rc)
		return rc;
	bool any = false;
	for (size_t i = 0; i < p->n_rt; i++)
		any |= p->rt[i].tee == c->tee;
	if (any && !enarx_policy_runtime(p, c)) {
		size_t len;
		const uint8_t *m = measurement(c, &len);
		char hx[97];
		hexs(m, len, hx);
		return rej(why, n, "measurements.%s: measurement %s is not a known runtime",
		           names[c->tee], hx);
	}
	return 0;
}
