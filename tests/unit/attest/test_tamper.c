/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tamper resistance: for every valid sample, flip each byte (xor 0xff) of
 * each signed object (the report or quote up to the end of its signature
 * data, the VCEK/VLEK, the Intel collateral documents, the CSR), truncate
 * the evidence to every shorter length and extend it. Each variant must be
 * rejected (verification error, or policy rejection for a CRL the policy
 * requires), never accepted and never a crash. Intel quotes may carry zero
 * padding after the signature data (real quotes do): dropping or adding zero
 * bytes there is accepted, as documented.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

static enarx_attest *A;

static int setup(void **state)
{
	(void)state;
	A = enarx_attest_new();
	return A ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	enarx_attest_free(A);
	return 0;
}

typedef struct {
	const char *name;
	const char *files[8]; /* [0] evidence (or CSR), then supporting files */
	const char *at;
	bool csr, trailing;
	const char *policy; /* accepts the untampered sample */
} tcase;

#define ALLOW_ALL                                                                              \
	"allow_debug = true\n[snp]\nvmpl = [0, 1, 2, 3]\n[sgx]\nrequire_qe_identity = false\n" \
	"tcb_status = [\"Unevaluated\", \"UpToDate\", \"OutOfDate\", "                         \
	"\"ConfigurationAndSWHardeningNeeded\"]\n[tdx]\nrequire_qe_identity = false\n"         \
	"require_sept_ve_disable = false\nallow_service_td = true\n"                           \
	"tcb_status = [\"Unevaluated\", \"UpToDate\", \"OutOfDate\"]\n"
#define R "snp/reports/"

static const tcase cases[] = {
    {"snp gsg_milan_debug",
     {R "gsg_milan_debug/report.bin", R "gsg_milan_debug/vcek.der"},
     "2026-11-21",
     false,
     false,
     ALLOW_ALL},
    {"snp virtee_milan",
     {R "virtee_milan/report.bin", R "virtee_milan/vcek.der"},
     "2026-11-21",
     false,
     false,
     ALLOW_ALL},
    {"snp trustee_milan_idblock",
     {R "trustee_milan_idblock/report.bin", R "trustee_milan_idblock/vcek.der"},
     "2026-11-21",
     false,
     false,
     ALLOW_ALL},
    {"snp trustee_milan_vlek_aws",
     {R "trustee_milan_vlek_aws/report.bin", R "trustee_milan_vlek_aws/vlek.der"},
     "2025-06-01",
     false,
     false,
     ALLOW_ALL},
    {"snp trustee_azure_genoa",
     {R "trustee_azure_genoa/report.bin", R "trustee_azure_genoa/vcek.pem"},
     "2026-11-21",
     false,
     false,
     ALLOW_ALL},
    {"snp trustee_azure_milan",
     {R "trustee_azure_milan/report.bin", R "trustee_azure_milan/vcek.der"},
     "2026-11-21",
     false,
     false,
     ALLOW_ALL},
    {"snp trustee_genoa_e2e",
     {R "trustee_genoa_e2e/report_reconstructed.bin", R "trustee_genoa_e2e/vcek.der"},
     "2026-11-21",
     false,
     false,
     ALLOW_ALL},
    {"snp trustee_azure_genoa HCL report",
     {R "trustee_azure_genoa/hcl_report.bin", R "trustee_azure_genoa/vcek.pem"},
     "2026-11-21",
     false,
     false,
     ALLOW_ALL},
    {"snp trustee_azure_milan HCL report",
     {R "trustee_azure_milan/hcl_report.bin", R "trustee_azure_milan/vcek.der"},
     "2026-11-21",
     false,
     false,
     ALLOW_ALL},
    {"snp steward_milan + CRLs",
     {R "steward_milan/report.bin", R "steward_milan/vcek.der",
      "snp/amd_crl/milan_crl_2022-05-09.der"},
     "2023-01-01",
     false,
     false,
     "require_crl = true\n" ALLOW_ALL},
    {"snp mstav_milan",
     {R "mstav_milan/report.bin", R "mstav_milan/vcek.pem"},
     "2026-11-21",
     false,
     false,
     ALLOW_ALL},
    {"snp mstav_genoa",
     {R "mstav_genoa/report.bin", R "mstav_genoa/vcek.pem"},
     "2026-11-21",
     false,
     false,
     ALLOW_ALL},
    {"snp mstav_turin",
     {R "mstav_turin/report.bin", R "mstav_turin/vcek.pem"},
     "2026-11-21",
     false,
     false,
     ALLOW_ALL},
    {"sgx phala_sgx_icx + collateral",
     {"sgx/phala_sgx_icx/quote.bin", "sgx/phala_sgx_icx/collateral.json"},
     "2025-07-01",
     false,
     false,
     "require_crl = true\n"
     "[sgx]\nrequire_qe_identity = true\ntcb_status = [\"ConfigurationAndSWHardeningNeeded\"]\n"},
    {"sgx steward_icelake_xeon + tcbinfo",
     {"sgx/steward_icelake_xeon/quote.bin", "sgx/steward_icelake_xeon/tcbinfo.json",
      "sgx/steward_icelake_xeon/tcb_signing_cert_2018-2025.der"},
     "2023-02-01",
     false,
     false,
     "[sgx]\nrequire_qe_identity = false\ntcb_status = [\"OutOfDate\"]\n"},
    {"sgx steward_icelake_i5",
     {"sgx/steward_icelake_i5/quote.bin"},
     "2023-02-01",
     false,
     false,
     ALLOW_ALL},
    {"sgx trustee_occlum_debug",
     {"sgx/trustee_occlum_debug/quote.bin"},
     "2025-07-01",
     false,
     false,
     ALLOW_ALL},
    {"tdx gtdx_spr_v4 (junk allowed)",
     {"tdx/gtdx_spr_v4/quote_with_appended_junk.bin"},
     "2023-07-01",
     false,
     true,
     ALLOW_ALL},
    {"tdx gtdx_emr_v5 + tcbinfo",
     {"tdx/gtdx_emr_v5/quote.bin", "tdx/gtdx_emr_v5/tcbinfo.json",
      "tdx/phala_tdx_v4/collateral_split/tcb_signing_chain.pem"},
     "2026-02-03",
     false,
     false,
     "[tdx]\nrequire_qe_identity = false\n"},
    {"tdx gtdx_gcp_cos113_v4",
     {"tdx/gtdx_gcp_cos113_v4/quote_padded_8000.bin"},
     "2026-02-03",
     false,
     false,
     ALLOW_ALL},
    {"tdx phala_tdx_v4 + collateral",
     {"tdx/phala_tdx_v4/quote_padded.bin", "tdx/phala_tdx_v4/collateral.json"},
     "2025-07-01",
     false,
     false,
     "require_crl = true\n"},
    {"tdx phala_tdx_v5_outdated",
     {"tdx/phala_tdx_v5_outdated/quote.bin"},
     "2026-03-01",
     false,
     false,
     ALLOW_ALL},
    {"tdx trustee_q6_v4 + collateral",
     {"tdx/trustee_q6_v4/quote_padded.bin", "tdx/trustee_q6_v4/tcbinfo.json",
      "tdx/trustee_q6_v4/qe_identity.json",
      "tdx/phala_tdx_v4/collateral_split/tcb_signing_chain.pem"},
     "2025-11-01",
     false,
     false,
     "[tdx]\ntcb_status = [\"OutOfDate\"]\n"},
    {"tdx trustee_q4_v4_debug",
     {"tdx/trustee_q4_v4_debug/quote.bin"},
     "2023-07-01",
     false,
     false,
     ALLOW_ALL},
    {"tdx trustee_q5_v5_servicetd",
     {"tdx/trustee_q5_v5_servicetd/quote.bin"},
     "2026-03-01",
     false,
     false,
     ALLOW_ALL},
    {"csr steward_snp_milan",
     {"csr/steward_snp_milan.csr.der"},
     "2023-01-01",
     true,
     false,
     "require_crl = true\n"},
};

typedef struct {
	blob f[8];
	int n;
	enarx_policy *pol;
	time_t at;
	const tcase *t;
} ctx;

/* 0 = accepted by verification and policy; else the error. */
static int outcome(const ctx *c)
{
	enarx_claims *cl = NULL;
	int rc;
	if (c->t->csr) {
		rc = enarx_attest_verify_csr(A, c->f[0].p, c->f[0].n, c->at, &cl);
	} else {
		enarx_evidence *ev = enarx_evidence_new();
		if (!ev)
			return ENARX_E_NOMEM;
		enarx_evidence_allow_trailing_data(ev, c->t->trailing);
		enarx_tee tee = c->f[0].n == 1184 || strstr(c->t->name, "snp") ? ENARX_TEE_SNP
		                : strstr(c->t->name, "sgx")                    ? ENARX_TEE_SGX
		                                                               : ENARX_TEE_TDX;
		rc = strstr(c->t->name, "HCL") ? enarx_evidence_set_auto(ev, c->f[0].p, c->f[0].n)
		                               : enarx_evidence_set(ev, tee, c->f[0].p, c->f[0].n);
		for (int i = 1; !rc && i < c->n; i++)
			rc = enarx_evidence_add(ev, c->f[i].p, c->f[i].n);
		if (!rc)
			rc = enarx_attest_verify(A, ev, c->at, &cl);
		enarx_evidence_free(ev);
	}
	if (!rc) {
		char why[256];
		rc = enarx_policy_check(c->pol, cl, why, sizeof(why));
	}
	enarx_claims_free(cl);
	return rc;
}

/* End of the signature data of an Intel quote (where padding may start). */
static size_t quote_end(const blob *q)
{
	const uint8_t *p = q->p;
	size_t body = p[0] == 3   ? 384
	              : p[0] == 4 ? 584
	                          : 6 + (size_t)(p[50] | p[51] << 8 | p[52] << 16);
	size_t off = 48 + body;
	uint32_t sl = (uint32_t)p[off] | (uint32_t)p[off + 1] << 8 | (uint32_t)p[off + 2] << 16 |
	              (uint32_t)p[off + 3] << 24;
	return off + 4 + sl;
}

static void test_tamper(void **state)
{
	const tcase *t = *state;
	ctx c = {.t = t, .at = T(t->at)};
	char err[256];
	c.pol = enarx_policy_parse(t->policy, strlen(t->policy), err, sizeof(err));
	assert_non_null(c.pol);
	for (c.n = 0; c.n < 8 && t->files[c.n]; c.n++) {
		c.f[c.n] = load(t->files[c.n]);
		assert_non_null(c.f[c.n].p);
	}
	int rc = outcome(&c);
	if (rc)
		fprintf(stderr, "# baseline %s: %s\n", t->name, enarx_attest_error(A));
	assert_int_equal(rc, 0);
	unsigned long variants = 0, accepted = 0;
	/* Intel quotes and Azure HCL reports may end in zero padding */
	bool hcl = strstr(t->name, "HCL") != NULL;
	bool intel = !t->csr && !hcl && c.f[0].n != 1184;
	const uint8_t *h = c.f[0].p;
	size_t ev_end = intel ? quote_end(&c.f[0])
	                : hcl ? (size_t)(h[8] | h[9] << 8 | h[10] << 16 | (uint32_t)h[11] << 24)
	                      : c.f[0].n;
	assert_true(ev_end <= c.f[0].n);
	/* 1. flip every byte of every signed object */
	for (int f = 0; f < c.n; f++) {
		size_t n = f == 0 ? ev_end : c.f[f].n;
		for (size_t i = 0; i < n; i++) {
			c.f[f].p[i] ^= 0xff;
			if (outcome(&c) == 0) {
				if (accepted++ < 5)
					fprintf(stderr, "# ACCEPTED: %s file %d byte %zu\n",
					        t->name, f, i);
			}
			c.f[f].p[i] ^= 0xff;
			variants++;
		}
	}
	/* 2. truncate the evidence to every shorter length */
	blob orig = c.f[0];
	for (size_t len = 0; len < orig.n; len++) {
		c.f[0].n = len;
		int r = outcome(&c);
		if (len < ev_end && r == 0 && accepted++ < 5)
			fprintf(stderr, "# ACCEPTED: %s truncated to %zu\n", t->name, len);
		if (len >= ev_end && r != 0 && !t->trailing) /* zero padding removed: still fine */
			fprintf(stderr, "# padding-truncated variant rejected: %s %zu\n", t->name,
			        len),
			    accepted++;
		variants++;
	}
	/* 3. extend it: a non-zero byte is rejected; a zero byte is padding for quotes only */
	uint8_t *ext = malloc(orig.n + 1);
	assert_non_null(ext);
	memcpy(ext, orig.p, orig.n);
	c.f[0].p = ext;
	c.f[0].n = orig.n + 1;
	ext[orig.n] = 0xa5;
	int r1 = outcome(&c);
	ext[orig.n] = 0x00;
	int r0 = outcome(&c);
	c.f[0] = orig;
	free(ext);
	assert_true(t->trailing || r1 != 0);
	if (intel || hcl)
		assert_int_equal(r0, 0);
	else
		assert_int_not_equal(r0, 0);
	variants += 2;
	fprintf(stderr, "# %s: %lu variants, %lu accepted\n", t->name, variants, accepted);
	assert_int_equal(accepted, 0);
	for (int f = 0; f < c.n; f++)
		free(c.f[f].p);
	enarx_policy_free(c.pol);
}

/* Usage: test_attest_tamper [PREFIX]: only the cases whose name starts with
 * PREFIX ("snp", "sgx", "tdx", "csr"), so the groups can run in parallel. */
int main(int argc, char **argv)
{
	size_t n = sizeof(cases) / sizeof(cases[0]), k = 0;
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	if (!tests)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (argc < 2 || strncmp(cases[i].name, argv[1], strlen(argv[1])) == 0)
			tests[k++] = (struct CMUnitTest){cases[i].name, test_tamper, NULL, NULL,
			                                 (void *)&cases[i]};
	int rc = _cmocka_run_group_tests("attest tamper", tests, k, setup, teardown);
	free(tests);
	return rc;
}
