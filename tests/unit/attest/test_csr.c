/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Enarx CSRs with evidence (Steward's format): the real CSRs from
 * csr/ verify, their key binding holds, and edits are rejected; plus the
 * binding rule itself (enarx_attest_binding) against the extracted SPKIs.
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

static int csr(const char *rel, const char *at, enarx_claims **c)
{
	blob b = load(rel);
	assert_non_null(b.p);
	int rc = enarx_attest_verify_csr(A, b.p, b.n, T(at), c);
	free(b.p);
	return rc;
}

static void test_csr_snp(void **state)
{
	(void)state;
	enarx_claims *c = NULL;
	int rc = csr("csr/steward_snp_milan.csr.der", "2023-01-01", &c);
	if (rc)
		fprintf(stderr, "# %s\n", enarx_attest_error(A));
	assert_int_equal(rc, 0);
	assert_int_equal(c->tee, ENARX_TEE_SNP);
	assert_string_equal(c->snp.product, "Milan");
	assert_true(c->revocation_checked); /* the CSR carries the Milan CRL */
	assert_true(c->snp.chip_id_checked);
	enarx_policy *p = enarx_policy_default();
	char why[256];
	assert_int_equal(enarx_policy_check(p, c, why, sizeof(why)), 0);
	enarx_policy_free(p);
	enarx_claims_free(c);
	/* after the CRL's nextUpdate: expired */
	assert_int_equal(csr("csr/steward_snp_milan.csr.der", "2024-01-01", &c),
	                 ENARX_E_ATTEST_EXPIRED);
	assert_null(c);
}

static void test_csr_sgx(void **state)
{
	(void)state;
	static const char *f[] = {"csr/steward_sgx_icelake_xeon.csr.der",
	                          "csr/steward_sgx_icelake_i5.csr.der"};
	for (int i = 0; i < 2; i++) {
		enarx_claims *c = NULL;
		int rc = csr(f[i], "2023-02-01", &c);
		if (rc)
			fprintf(stderr, "# %s\n", enarx_attest_error(A));
		assert_int_equal(rc, 0);
		assert_int_equal(c->tee, ENARX_TEE_SGX);
		assert_int_equal(c->intel.tcb_status, ENARX_TCB_OUT_OF_DATE);
		assert_true(c->intel.tcb_info_checked);
		assert_true(c->revocation_checked);
		enarx_claims_free(c);
	}
}

static void test_binding_rule(void **state)
{
	(void)state;
	/* SNP: SHA-384(SPKI) || 16 zero bytes; SGX: SHA-256(SPKI) || 32 zero bytes. */
	static const struct {
		const char *spki, *report;
		enarx_tee tee;
	} b[] = {
	    {"snp/reports/steward_milan/csr_spki.der", "snp/reports/steward_milan/report.bin",
	     ENARX_TEE_SNP},
	    {"sgx/steward_icelake_xeon/csr_spki.der", "sgx/steward_icelake_xeon/quote.bin",
	     ENARX_TEE_SGX},
	    {"sgx/steward_icelake_i5/csr_spki.der", "sgx/steward_icelake_i5/quote.bin",
	     ENARX_TEE_SGX},
	};
	for (int i = 0; i < 3; i++) {
		blob k = load(b[i].spki), r = load(b[i].report);
		uint8_t rd[64];
		assert_int_equal(enarx_attest_binding(b[i].tee, k.p, k.n, NULL, 0, rd), 0);
		/* report_data is at 0x50 in an SNP report, at 48+320 in an SGX quote */
		size_t off = b[i].tee == ENARX_TEE_SNP ? 0x50 : 48 + 320;
		assert_memory_equal(rd, r.p + off, 64);
		/* with a nonce the value changes */
		uint8_t rd2[64];
		assert_int_equal(
		    enarx_attest_binding(b[i].tee, k.p, k.n, (const uint8_t *)"n", 1, rd2), 0);
		assert_memory_not_equal(rd, rd2, 64);
		free(k.p);
		free(r.p);
	}
}

static void test_csr_edits(void **state)
{
	(void)state;
	blob b = load("csr/steward_snp_milan.csr.der");
	enarx_claims *c = NULL;
	/* the CSR signature (last bytes) */
	b.p[b.n - 5] ^= 0x01;
	assert_int_not_equal(enarx_attest_verify_csr(A, b.p, b.n, T("2023-01-01"), &c), 0);
	assert_null(c);
	b.p[b.n - 5] ^= 0x01;
	/* the OID's last arc: .3 -> .4 (unknown extension) */
	uint8_t oid[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xc7, 0x1e, 0x01, 0x03};
	uint8_t *hit = memmem(b.p, b.n, oid, sizeof(oid));
	assert_non_null(hit);
	hit[9] = 0x04;
	assert_int_not_equal(enarx_attest_verify_csr(A, b.p, b.n, T("2023-01-01"), &c), 0);
	hit[9] = 0x03;
	/* truncated / not a CSR */
	assert_int_equal(enarx_attest_verify_csr(A, b.p, b.n - 1, T("2023-01-01"), &c),
	                 ENARX_E_ATTEST_FORMAT);
	assert_int_equal(enarx_attest_verify_csr(A, (const uint8_t *)"x", 1, T("2023-01-01"), &c),
	                 ENARX_E_ATTEST_FORMAT);
	assert_int_equal(enarx_attest_verify_csr(A, b.p, b.n, T("2023-01-01"), &c), 0);
	enarx_claims_free(c);
	free(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csr_snp),
	    cmocka_unit_test(test_csr_sgx),
	    cmocka_unit_test(test_binding_rule),
	    cmocka_unit_test(test_csr_edits),
	};
	return cmocka_run_group_tests_name("attest csr", tests, setup, teardown);
}
