/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intel TCB status rules on synthetic collateral (evaluated without its
 * signature, which the sample tests cover): level order, PCK SVNs vs
 * component SVNs and PCESVN, TDX components with the module-version skip,
 * module identities, QE identity matching and levels, convergence, TD 1.5
 * relaunch, advisory IDs, expiry and mismatches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#define AT T("2025-01-01")
#define ZERO48                                                                                     \
	"0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" \
	"00000000"

/* One TCB level: all 16 SGX components = sgx, PCESVN, TDX components 0..2, status, advisory. */
static void level(char *out, size_t n, int sgx, int pce, int t0, int t1, int t2, const char *st,
                  const char *adv)
{
	char comps[600] = "", tdx[600] = "";
	for (int i = 0; i < 16; i++) {
		size_t l = strlen(comps);
		snprintf(comps + l, sizeof(comps) - l, "%s{\"svn\":%d}", i ? "," : "", sgx);
		l = strlen(tdx);
		snprintf(tdx + l, sizeof(tdx) - l, "%s{\"svn\":%d}", i ? "," : "",
		         i == 0   ? t0
		         : i == 1 ? t1
		         : i == 2 ? t2
		                  : 0);
	}
	snprintf(out, n,
	         "{\"tcb\":{\"sgxtcbcomponents\":[%s],\"pcesvn\":%d,\"tdxtcbcomponents\":[%s]},"
	         "\"tcbDate\":\"2024-01-01T00:00:00Z\",\"tcbStatus\":\"%s\"%s%s%s}",
	         comps, pce, tdx, st, adv ? ",\"advisoryIDs\":[\"" : "", adv ? adv : "",
	         adv ? "\"]" : "");
}

static char *tcbinfo(const char *id, const char *levels, const char *modules)
{
	size_t n = strlen(levels) + (modules ? strlen(modules) : 0) + 2048;
	char *b = malloc(n);
	snprintf(
	    b, n,
	    "{\"id\":\"%s\",\"version\":3,\"issueDate\":\"2024-12-01T00:00:00Z\","
	    "\"nextUpdate\":\"2025-02-01T00:00:00Z\",\"fmspc\":\"00A067110000\",\"pceId\":\"0000\","
	    "\"tcbType\":0,\"tcbEvaluationDataNumber\":17%s%s,\"tcbLevels\":[%s]}",
	    id, modules ? "," : "", modules ? modules : "", levels);
	return b;
}

static const char *modules_json =
    "\"tdxModule\":{\"mrsigner\":\"" ZERO48 "\",\"attributes\":\"0000000000000000\","
    "\"attributesMask\":\"FFFFFFFFFFFFFFFF\"},"
    "\"tdxModuleIdentities\":[{\"id\":\"TDX_03\",\"mrsigner\":\"" ZERO48 "\","
    "\"attributes\":\"0000000000000000\",\"attributesMask\":\"FFFFFFFFFFFFFFFF\","
    "\"tcbLevels\":[{\"tcb\":{\"isvsvn\":5},\"tcbDate\":\"2024-01-01T00:00:00Z\",\"tcbStatus\":"
    "\"UpToDate\"},"
    "{\"tcb\":{\"isvsvn\":2},\"tcbDate\":\"2023-01-01T00:00:00Z\",\"tcbStatus\":\"OutOfDate\","
    "\"advisoryIDs\":[\"INTEL-SA-MOD\"]}]}]";

static enarx_claims *claims(enarx_tee tee, int sgx_svn, int pcesvn)
{
	enarx_claims *c = calloc(1, sizeof(*c));
	c->tee = tee;
	memset(c->intel.pck_svn, sgx_svn, 16);
	c->intel.pck_pcesvn = (uint16_t)pcesvn;
	static const uint8_t fmspc[6] = {0x00, 0xa0, 0x67, 0x11, 0x00, 0x00};
	memcpy(c->intel.fmspc, fmspc, 6);
	c->intel.body_type = 2;
	return c;
}

static int eval(enarx_claims *c, const char *ti, const char *qe, const uint8_t *qer, char *err)
{
	attest_err e = {""};
	static const uint8_t zero[384];
	int rc = attest_eval_collateral_json(ti, ti ? strlen(ti) : 0, qe, qe ? strlen(qe) : 0,
	                                     qer ? qer : zero, AT, c, &e);
	if (err)
		snprintf(err, 256, "%s", e.msg);
	return rc;
}

static void test_sgx_levels(void **state)
{
	(void)state;
	char l1[2048], l2[2048], l3[2048], levels[7000];
	level(l1, sizeof(l1), 5, 13, 0, 0, 0, "UpToDate", NULL);
	level(l2, sizeof(l2), 3, 10, 0, 0, 0, "SWHardeningNeeded", "INTEL-SA-00001");
	level(l3, sizeof(l3), 1, 5, 0, 0, 0, "OutOfDate", "INTEL-SA-00002");
	snprintf(levels, sizeof(levels), "%s,%s,%s", l1, l2, l3);
	char *ti = tcbinfo("SGX", levels, NULL);
	static const struct {
		int svn, pce;
		enarx_tcb_status st;
		const char *adv;
	} cases[] = {
	    {5, 13, ENARX_TCB_UP_TO_DATE, NULL},
	    {9, 20, ENARX_TCB_UP_TO_DATE, NULL},
	    {5, 12, ENARX_TCB_SW_HARDENING_NEEDED, "INTEL-SA-00001"}, /* PCESVN below level 1 */
	    {4, 13, ENARX_TCB_SW_HARDENING_NEEDED, "INTEL-SA-00001"},
	    {3, 9, ENARX_TCB_OUT_OF_DATE, "INTEL-SA-00002"},
	    {0, 13, ENARX_TCB_NOT_SUPPORTED, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enarx_claims *c = claims(ENARX_TEE_SGX, cases[i].svn, cases[i].pce);
		int rc = eval(c, ti, NULL, NULL, NULL);
		assert_int_equal(rc,
		                 cases[i].st == ENARX_TCB_NOT_SUPPORTED ? ENARX_E_ATTEST_TCB : 0);
		assert_int_equal(c->intel.tcb_status, cases[i].st);
		if (cases[i].adv) {
			assert_int_equal(c->intel.n_advisories, 1);
			assert_string_equal(c->intel.advisories[0], cases[i].adv);
		} else {
			assert_int_equal(c->intel.n_advisories, 0);
		}
		enarx_claims_free(c);
	}
	/* one component below is enough to drop a level */
	enarx_claims *c = claims(ENARX_TEE_SGX, 5, 13);
	c->intel.pck_svn[15] = 4;
	assert_int_equal(eval(c, ti, NULL, NULL, NULL), 0);
	assert_int_equal(c->intel.tcb_status, ENARX_TCB_SW_HARDENING_NEEDED);
	enarx_claims_free(c);
	/* FMSPC mismatch, TDX tcbInfo for SGX, expired */
	c = claims(ENARX_TEE_SGX, 5, 13);
	c->intel.fmspc[5] = 1;
	char err[256];
	assert_int_equal(eval(c, ti, NULL, NULL, err), ENARX_E_ATTEST_COLLATERAL);
	assert_non_null(strstr(err, "FMSPC"));
	enarx_claims_free(c);
	free(ti);
	ti = tcbinfo("TDX", levels, modules_json);
	c = claims(ENARX_TEE_SGX, 5, 13);
	assert_int_equal(eval(c, ti, NULL, NULL, err), ENARX_E_ATTEST_COLLATERAL);
	assert_non_null(strstr(err, "TCB_INFO_MISMATCH"));
	enarx_claims_free(c);
	free(ti);
	ti = tcbinfo("SGX", levels, NULL);
	c = claims(ENARX_TEE_SGX, 5, 13);
	attest_err e;
	static const uint8_t zero[384];
	assert_int_equal(
	    attest_eval_collateral_json(ti, strlen(ti), NULL, 0, zero, T("2025-03-01"), c, &e),
	    ENARX_E_ATTEST_EXPIRED);
	enarx_claims_free(c);
	free(ti);
}

static void test_tdx_levels_and_module(void **state)
{
	(void)state;
	char l1[2048], l2[2048], levels[5000];
	/* tdxtcbcomponents[0..1] = 9 (module, skipped when TEE_TCB_SVN[1] > 0), [2] = 2 */
	level(l1, sizeof(l1), 5, 13, 9, 9, 2, "UpToDate", NULL);
	level(l2, sizeof(l2), 5, 13, 0, 0, 1, "OutOfDate", "INTEL-SA-TDX");
	snprintf(levels, sizeof(levels), "%s,%s", l1, l2);
	char *ti = tcbinfo("TDX", levels, modules_json);
	char err[256];
	/* module 3 (TDX_03), svn 5: indices 0/1 skipped, [2]=2 reaches level 1 */
	enarx_claims *c = claims(ENARX_TEE_TDX, 5, 13);
	c->intel.tee_tcb_svn[0] = 5;
	c->intel.tee_tcb_svn[1] = 3;
	c->intel.tee_tcb_svn[2] = 2;
	assert_int_equal(eval(c, ti, NULL, NULL, err), 0);
	assert_int_equal(c->intel.platform_status, ENARX_TCB_UP_TO_DATE);
	assert_int_equal(c->intel.module_status, ENARX_TCB_UP_TO_DATE);
	assert_int_equal(c->intel.tcb_status, ENARX_TCB_UP_TO_DATE);
	/* module svn 2: module OutOfDate converges UpToDate -> OutOfDate, with its advisory */
	c->intel.tee_tcb_svn[0] = 2;
	c->intel.n_advisories = 0;
	assert_int_equal(eval(c, ti, NULL, NULL, err), 0);
	assert_int_equal(c->intel.module_status, ENARX_TCB_OUT_OF_DATE);
	assert_int_equal(c->intel.tcb_status, ENARX_TCB_OUT_OF_DATE);
	assert_string_equal(c->intel.advisories[0], "INTEL-SA-MOD");
	/* module svn 1: no module level -> not supported */
	c->intel.tee_tcb_svn[0] = 1;
	assert_int_equal(eval(c, ti, NULL, NULL, err), ENARX_E_ATTEST_TCB);
	/* TEE_TCB_SVN[2] = 1: the second level */
	c->intel.tee_tcb_svn[0] = 5;
	c->intel.tee_tcb_svn[2] = 1;
	assert_int_equal(eval(c, ti, NULL, NULL, err), 0);
	assert_int_equal(c->intel.platform_status, ENARX_TCB_OUT_OF_DATE);
	/* no TDX_04 identity: TDX_MODULE_MISMATCH */
	c->intel.tee_tcb_svn[1] = 4;
	assert_int_equal(eval(c, ti, NULL, NULL, err), ENARX_E_ATTEST_COLLATERAL);
	assert_non_null(strstr(err, "TDX_04"));
	/* module version 0: all indices compared, so [0]=9 is needed for level 1 */
	c->intel.tee_tcb_svn[1] = 0;
	c->intel.tee_tcb_svn[0] = 5;
	c->intel.tee_tcb_svn[2] = 2;
	assert_int_equal(eval(c, ti, NULL, NULL, err), 0);
	assert_int_equal(c->intel.platform_status, ENARX_TCB_OUT_OF_DATE);
	/* MRSIGNERSEAM must match the module identity */
	c->intel.tee_tcb_svn[1] = 3;
	c->intel.mrsignerseam[0] = 1;
	assert_int_equal(eval(c, ti, NULL, NULL, err), ENARX_E_ATTEST_COLLATERAL);
	assert_non_null(strstr(err, "MRSIGNERSEAM"));
	c->intel.mrsignerseam[0] = 0;
	c->intel.seam_attributes = 1;
	assert_int_equal(eval(c, ti, NULL, NULL, err), ENARX_E_ATTEST_COLLATERAL);
	enarx_claims_free(c);
	free(ti);
}

static void test_td_relaunch(void **state)
{
	(void)state;
	char l1[2048], l2[2048], levels[5000];
	level(l1, sizeof(l1), 5, 13, 0, 0, 4, "UpToDate", NULL);
	level(l2, sizeof(l2), 5, 13, 0, 0, 2, "OutOfDate", "INTEL-SA-OLD");
	snprintf(levels, sizeof(levels), "%s,%s", l1, l2);
	char *ti = tcbinfo("TDX", levels, modules_json);
	enarx_claims *c = claims(ENARX_TEE_TDX, 5, 13);
	c->intel.body_type = 3;      /* TD 1.5 */
	c->intel.tee_tcb_svn[0] = 2; /* module OutOfDate */
	c->intel.tee_tcb_svn[1] = 3;
	c->intel.tee_tcb_svn[2] = 2; /* TDX level 2: OutOfDate */
	c->intel.tee_tcb_svn2[1] = 3;
	c->intel.tee_tcb_svn2[2] = 4; /* SVN2 already reaches the newest level */
	assert_int_equal(eval(c, ti, NULL, NULL, NULL), 0);
	assert_int_equal(c->intel.tcb_status, ENARX_TCB_TD_RELAUNCH_ADVISED);
	/* SVN2 not there yet: plain OutOfDate */
	c->intel.tee_tcb_svn2[2] = 3;
	assert_int_equal(eval(c, ti, NULL, NULL, NULL), 0);
	assert_int_equal(c->intel.tcb_status, ENARX_TCB_OUT_OF_DATE);
	/* TD 1.0 body: no relaunch status */
	c->intel.tee_tcb_svn2[2] = 4;
	c->intel.body_type = 2;
	assert_int_equal(eval(c, ti, NULL, NULL, NULL), 0);
	assert_int_equal(c->intel.tcb_status, ENARX_TCB_OUT_OF_DATE);
	enarx_claims_free(c);
	free(ti);
}

static const char *qe_json(const char *id, const char *levels)
{
	static char b[2048];
	snprintf(
	    b, sizeof(b),
	    "{\"id\":\"%s\",\"version\":2,\"issueDate\":\"2024-12-01T00:00:00Z\","
	    "\"nextUpdate\":\"2025-02-01T00:00:00Z\",\"tcbEvaluationDataNumber\":17,"
	    "\"miscselect\":\"00000000\",\"miscselectMask\":\"FFFFFFFF\","
	    "\"attributes\":\"11000000000000000000000000000000\","
	    "\"attributesMask\":\"FBFFFFFFFFFFFFFF0000000000000000\","
	    "\"mrsigner\":\"8C4F5775D796503E96137F77C68A829A0056AC8DED70140B081B094490C57BFF\","
	    "\"isvprodid\":1,\"tcbLevels\":[%s]}",
	    id, levels);
	return b;
}

static void test_qe_identity(void **state)
{
	(void)state;
	char l1[2048], ti_levels[2048];
	level(l1, sizeof(l1), 5, 13, 0, 0, 0, "ConfigurationNeeded", "INTEL-SA-CFG");
	snprintf(ti_levels, sizeof(ti_levels), "%s", l1);
	char *ti = tcbinfo("SGX", ti_levels, NULL);
	const char *levels = "{\"tcb\":{\"isvsvn\":8},\"tcbDate\":\"2024-01-01T00:00:00Z\","
	                     "\"tcbStatus\":\"UpToDate\"},"
	                     "{\"tcb\":{\"isvsvn\":6},\"tcbDate\":\"2023-01-01T00:00:00Z\","
	                     "\"tcbStatus\":\"OutOfDate\","
	                     "\"advisoryIDs\":[\"INTEL-SA-QE\"]},"
	                     "{\"tcb\":{\"isvsvn\":2},\"tcbDate\":\"2019-01-01T00:00:00Z\","
	                     "\"tcbStatus\":\"Revoked\"}";
	/* A QE report with matching fields: attributes 0x11 (masked bit 2 ignored), mrsigner, prodid 1. */
	uint8_t qer[384] = {0};
	qer[48] = 0x15;
	static const uint8_t mrs[32] = {0x8c, 0x4f, 0x57, 0x75, 0xd7, 0x96, 0x50, 0x3e,
	                                0x96, 0x13, 0x7f, 0x77, 0xc6, 0x8a, 0x82, 0x9a,
	                                0x00, 0x56, 0xac, 0x8d, 0xed, 0x70, 0x14, 0x0b,
	                                0x08, 0x1b, 0x09, 0x44, 0x90, 0xc5, 0x7b, 0xff};
	memcpy(qer + 128, mrs, 32);
	qer[256] = 1;
	char err[256];
	static const struct {
		int svn;
		enarx_tcb_status qe, final;
	} cases[] = {
	    {9, ENARX_TCB_UP_TO_DATE, ENARX_TCB_CONFIGURATION_NEEDED},
	    {7, ENARX_TCB_OUT_OF_DATE, ENARX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED},
	    {2, ENARX_TCB_REVOKED, ENARX_TCB_REVOKED},
	};
	for (size_t i = 0; i < 3; i++) {
		enarx_claims *c = claims(ENARX_TEE_SGX, 5, 13);
		qer[258] = (uint8_t)cases[i].svn;
		assert_int_equal(eval(c, ti, qe_json("QE", levels), qer, err), 0);
		assert_int_equal(c->intel.qe_status, cases[i].qe);
		assert_int_equal(c->intel.tcb_status, cases[i].final);
		assert_string_equal(c->intel.advisories[0], "INTEL-SA-CFG");
		if (cases[i].svn == 7)
			assert_string_equal(c->intel.advisories[1], "INTEL-SA-QE");
		enarx_claims_free(c);
	}
	/* isvsvn below every level: not supported */
	enarx_claims *c = claims(ENARX_TEE_SGX, 5, 13);
	qer[258] = 1;
	assert_int_equal(eval(c, ti, qe_json("QE", levels), qer, err), ENARX_E_ATTEST_TCB);
	qer[258] = 9;
	/* id, attributes, mrsigner, prodid mismatches */
	assert_int_equal(eval(c, ti, qe_json("TD_QE", levels), qer, err),
	                 ENARX_E_ATTEST_COLLATERAL);
	qer[48] = 0x13; /* bit 1 (DEBUG) is under the mask */
	assert_int_equal(eval(c, ti, qe_json("QE", levels), qer, err), ENARX_E_ATTEST_COLLATERAL);
	assert_non_null(strstr(err, "ATTRIBUTES"));
	qer[48] = 0x15;
	qer[130] ^= 1;
	assert_int_equal(eval(c, ti, qe_json("QE", levels), qer, err), ENARX_E_ATTEST_COLLATERAL);
	assert_non_null(strstr(err, "MRSIGNER"));
	qer[130] ^= 1;
	qer[256] = 2;
	assert_int_equal(eval(c, ti, qe_json("QE", levels), qer, err), ENARX_E_ATTEST_COLLATERAL);
	assert_non_null(strstr(err, "ISVPRODID"));
	enarx_claims_free(c);
	free(ti);
}

static void test_json_span(void **state)
{
	(void)state;
	const char *doc =
	    " { \"a\" : [1,{\"x\":\"}\"}], \"tcbInfo\" :{\"k\":\"v\\\"}\"} , \"signature\":\"ab\"}";
	size_t off, len;
	assert_int_equal(attest_json_member_span(doc, strlen(doc), "tcbInfo", &off, &len), 0);
	assert_int_equal(len, strlen("{\"k\":\"v\\\"}\"}"));
	assert_memory_equal(doc + off, "{\"k\":\"v\\\"}\"}", len);
	assert_int_equal(attest_json_member_span(doc, strlen(doc), "nope", &off, &len),
	                 ENARX_E_NOTFOUND);
	assert_int_not_equal(attest_json_member_span("{\"tcbInfo\":{", 12, "tcbInfo", &off, &len),
	                     0);
	assert_int_not_equal(attest_json_member_span("[]", 2, "tcbInfo", &off, &len), 0);
}

/* QE report offset in a quote: after header, body, u32 length, signature and
 * attestation key, plus (v4/v5) the outer certification data header. */
static size_t qe_report_offset(const uint8_t *q)
{
	unsigned v = q[0];
	size_t body = v == 3 ? 384 : v == 4 ? 584 : 6 + (size_t)(q[50] | q[51] << 8);
	return 48 + body + 4 + 128 + (v == 3 ? 0 : 6);
}

/* The exact signed text of "enclaveIdentity" in a PCS document, NUL-terminated. */
static char *qe_body(const char *rel)
{
	blob b = load(rel);
	size_t off, len;
	assert_int_equal(attest_json_member_span((char *)b.p, b.n, "enclaveIdentity", &off, &len),
	                 0);
	char *s = malloc(len + 1);
	memcpy(s, b.p + off, len);
	s[len] = 0;
	free(b.p);
	return s;
}

static void test_cross_era_qe(void **state)
{
	(void)state;
	/* SOURCES.md: the emr v5 QE checked with the SPR TD_QE identity is UpToDate;
	 * the steward SGX QEs against the 2025 phala QE identity: xeon (isvsvn 7)
	 * OutOfDate, i5 (isvsvn 9) UpToDate. Signatures are covered elsewhere. */
	static const struct {
		const char *quote, *qe, *at;
		enarx_tee tee;
		enarx_tcb_status want;
	} k[] = {
	    {"tdx/gtdx_emr_v5/quote.bin", "tdx/gtdx_spr_v4/qe_identity.json", "2023-07-01",
	     ENARX_TEE_TDX, ENARX_TCB_UP_TO_DATE},
	    {"sgx/steward_icelake_xeon/quote.bin", NULL, "2025-07-01", ENARX_TEE_SGX,
	     ENARX_TCB_OUT_OF_DATE},
	    {"sgx/steward_icelake_i5/quote.bin", NULL, "2025-07-01", ENARX_TEE_SGX,
	     ENARX_TCB_UP_TO_DATE},
	};
	for (int i = 0; i < 3; i++) {
		blob q = load(k[i].quote);
		char *body = NULL;
		if (k[i].qe) {
			body = qe_body(k[i].qe);
		} else {
			blob col =
			    load("sgx/phala_sgx_icx/collateral_split/qe_identity.signed_body.json");
			body = malloc(col.n + 1);
			memcpy(body, col.p, col.n);
			body[col.n] = 0;
			free(col.p);
		}
		enarx_claims *c = calloc(1, sizeof(*c));
		c->tee = k[i].tee;
		attest_err e;
		int rc = attest_eval_collateral_json(
		    NULL, 0, body, strlen(body), q.p + qe_report_offset(q.p), T(k[i].at), c, &e);
		if (rc)
			fprintf(stderr, "# %s: %s\n", k[i].quote, e.msg);
		assert_int_equal(rc, 0);
		assert_true(c->intel.qe_identity_checked);
		assert_int_equal(c->intel.qe_status, k[i].want);
		enarx_claims_free(c);
		free(body);
		free(q.p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sgx_levels),  cmocka_unit_test(test_tdx_levels_and_module),
	    cmocka_unit_test(test_td_relaunch), cmocka_unit_test(test_qe_identity),
	    cmocka_unit_test(test_json_span),   cmocka_unit_test(test_cross_era_qe),
	};
	return cmocka_run_group_tests_name("attest tcb", tests, NULL, NULL);
}
