/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation failure injection (SQLite-style): every allocation the attest
 * library makes through lib/alloc.h is made to fail in turn while building
 * evidence, verifying it, checking a CSR and parsing a policy. Each run must
 * end in success or a clean error, never a crash (and, under ASan, no leak).
 * Also: detection of supporting-file types by content.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"
#include "lib/alloc.h"

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

static int attempt(const blob *b, int n, time_t at, bool csr)
{
	enarx_claims *c = NULL;
	int rc;
	if (csr) {
		rc = enarx_attest_verify_csr(A, b[0].p, b[0].n, at, &c);
	} else {
		enarx_evidence *ev = enarx_evidence_new();
		if (!ev)
			return ENARX_E_NOMEM;
		rc = enarx_evidence_set_auto(ev, b[0].p, b[0].n);
		for (int i = 1; !rc && i < n; i++)
			rc = enarx_evidence_add(ev, b[i].p, b[i].n);
		if (!rc)
			rc = enarx_attest_verify(A, ev, at, &c);
		enarx_evidence_free(ev);
	}
	if (!rc) {
		char *j = enarx_claims_json(c);
		free(j);
	}
	enarx_claims_free(c);
	return rc;
}

static void fail_each(const char *const *files, const char *at, bool csr)
{
	blob b[4] = {{0}};
	int n = 0;
	for (; files[n]; n++) {
		b[n] = load(files[n]);
		assert_non_null(b[n].p);
	}
	/* Count the allocations of a successful run (fresh context: no cache). */
	enarx_attest_free(A);
	A = enarx_attest_new();
	alloc_fail_after(0);
	alloc_fail_after(0);
	assert_int_equal(attempt(b, n, T(at), csr), 0);
	enarx_attest_free(A);
	A = NULL;
	unsigned long total = alloc_fail_after(0);
	assert_true(total > 0);
	unsigned long ok = 0, failed = 0;
	for (unsigned long k = 1; k <= total + 1; k++) {
		A = enarx_attest_new();
		assert_non_null(A);
		alloc_fail_after(k);
		int rc = attempt(b, n, T(at), csr);
		alloc_fail_after(0);
		if (rc == 0)
			ok++;
		else
			failed++;
		enarx_attest_free(A);
		A = NULL;
	}
	fprintf(stderr, "# %s: %lu allocations; %lu runs failed cleanly, %lu succeeded\n", files[0],
	        total, failed, ok);
	/* Every allocation matters (none is silently skipped, e.g. an advisory ID):
	 * only the run that fails past the last allocation succeeds. */
	assert_int_equal(failed, total);
	assert_int_equal(ok, 1);
	A = enarx_attest_new();
	for (int i = 0; i < n; i++)
		free(b[i].p);
}

static void test_alloc_snp(void **state)
{
	(void)state;
	const char *f[] = {"snp/reports/steward_milan/report.bin",
	                   "snp/reports/steward_milan/vcek.der",
	                   "snp/amd_crl/milan_crl_2022-05-09.der", NULL};
	fail_each(f, "2023-01-01", false);
}

static void test_alloc_sgx(void **state)
{
	(void)state;
	const char *f[] = {"sgx/phala_sgx_icx/quote.bin", "sgx/phala_sgx_icx/collateral.json",
	                   NULL};
	fail_each(f, "2025-07-01", false);
}

static void test_alloc_tdx(void **state)
{
	(void)state;
	const char *f[] = {"tdx/trustee_q6_v4/quote_padded.bin", "tdx/trustee_q6_v4/tcbinfo.json",
	                   "tdx/trustee_q6_v4/qe_identity.json",
	                   "tdx/phala_tdx_v4/collateral_split/tcb_signing_chain.pem", NULL};
	fail_each(f, "2025-11-01", false);
}

static void test_alloc_csr(void **state)
{
	(void)state;
	const char *f[] = {"csr/steward_sgx_icelake_xeon.csr.der", NULL};
	fail_each(f, "2023-02-01", true);
}

static void test_alloc_policy(void **state)
{
	(void)state;
	const char *text = "tee = [\"snp\", \"tdx\"]\n[sgx]\nallowed_advisories = [\"A\", \"B\"]\n"
	                   "[measurements.snp]\n\"x\" = \"" /* 48 bytes */
	                   "000000000000000000000000000000000000000000000000"
	                   "000000000000000000000000000000000000000000000000\"\n";
	char err[256];
	alloc_fail_after(0);
	enarx_policy *p = enarx_policy_parse(text, strlen(text), err, sizeof(err));
	assert_non_null(p);
	enarx_policy_free(p);
	unsigned long total = alloc_fail_after(0);
	for (unsigned long k = 1; k <= total; k++) {
		alloc_fail_after(k);
		p = enarx_policy_parse(text, strlen(text), err, sizeof(err));
		alloc_fail_after(0);
		assert_null(p); /* every allocation is needed */
	}
}

static void test_add_detection(void **state)
{
	(void)state;
	enarx_evidence *ev = enarx_evidence_new();
	static const char *certs[] = {"snp/reports/virtee_milan/vcek.der",
	                              "snp/amd_roots/milan_vcek_cert_chain.pem",
	                              "snp/amd_roots/steward_milan.pkipath"};
	static const char *crls[] = {"snp/amd_crl/milan_crl_2022-05-09.der",
	                             "sgx/steward_icelake_xeon/root_ca_crl.der"};
	size_t want_certs = 0;
	for (int i = 0; i < 3; i++) {
		blob b = load(certs[i]);
		assert_int_equal(enarx_evidence_add(ev, b.p, b.n), 0);
		want_certs += i == 0 ? 1 : 2;
		assert_int_equal(ev->certs.n, want_certs);
		free(b.p);
	}
	for (int i = 0; i < 2; i++) {
		blob b = load(crls[i]);
		assert_int_equal(enarx_evidence_add(ev, b.p, b.n), 0);
		assert_int_equal(ev->crls.n, (size_t)i + 1);
		free(b.p);
	}
	blob j = load("tdx/trustee_q6_v4/tcbinfo.json");
	assert_int_equal(enarx_evidence_add(ev, j.p, j.n), 0);
	assert_true(ev->tcb_info.present);
	assert_int_equal(ev->tcb_info.body[0], '{');
	free(j.p);
	j = load("tdx/trustee_q6_v4/qe_identity.json");
	assert_int_equal(enarx_evidence_add(ev, j.p, j.n), 0);
	assert_true(ev->qe_identity.present);
	free(j.p);
	/* garbage, JSON of another shape, PEM with junk between blocks */
	assert_int_not_equal(enarx_evidence_add(ev, (const uint8_t *)"hello", 5), 0);
	assert_int_not_equal(enarx_evidence_add(ev, (const uint8_t *)"{\"a\":1}", 7), 0);
	blob pem = load("snp/amd_roots/milan_vcek_cert_chain.pem");
	char *junk = malloc(pem.n + 8);
	char *mid = strstr((char *)pem.p, "-----END CERTIFICATE-----\n") + 26;
	size_t head = (size_t)(mid - (char *)pem.p);
	memcpy(junk, pem.p, head);
	memcpy(junk + head, "junk\n", 5);
	memcpy(junk + head + 5, mid, pem.n - head);
	assert_int_equal(enarx_evidence_add(ev, (const uint8_t *)junk, pem.n + 5),
	                 ENARX_E_MALFORMED);
	free(junk);
	free(pem.p);
	enarx_evidence_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_detection), cmocka_unit_test(test_alloc_policy),
	    cmocka_unit_test(test_alloc_snp),     cmocka_unit_test(test_alloc_sgx),
	    cmocka_unit_test(test_alloc_tdx),     cmocka_unit_test(test_alloc_csr),
	};
	return cmocka_run_group_tests_name("attest alloc", tests, setup, teardown);
}
