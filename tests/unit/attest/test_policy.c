/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy files: the TOML subset (errors with line numbers), every rule's
 * rejection message naming the rule and the values, runtime measurements by
 * name, report_data binding, and KVM evidence (insecure unless allowed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/toml.h"
#include "helpers.h"
#include "lib/hex.h"

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

static enarx_policy *parse(const char *text)
{
	char err[256];
	enarx_policy *p = enarx_policy_parse(text, strlen(text), err, sizeof(err));
	if (!p)
		fprintf(stderr, "# %s\n", err);
	return p;
}

static void expect_error(const char *text, const char *what)
{
	char err[256] = "";
	enarx_policy *p = enarx_policy_parse(text, strlen(text), err, sizeof(err));
	if (p || !strstr(err, what))
		fprintf(stderr, "# got \"%s\", want \"%s\"\n", err, what);
	assert_null(p);
	assert_non_null(strstr(err, what));
}

static void test_toml_subset(void **state)
{
	(void)state;
	const char *t = "# comment\n"
	                "a = 1\n"
	                "b = \"x\\ty\" # trailing\n"
	                "c = [1, 2,\n  3,  # comment in array\n]\n"
	                "[t.u]\n"
	                "'lit key' = 'C:\\path'\n"
	                "d = true\n"
	                "e = -0x10\n"
	                "f = 1_000\n";
	struct etoml_doc d;
	char err[128];
	assert_int_equal(etoml_parse(t, strlen(t), POLICY_TOML_DIALECT, &d, err, sizeof(err)), 0);
	assert_int_equal(d.n, 8); /* 7 keys + the [t.u] marker */
	assert_string_equal(d.kv[1].key, "b");
	assert_string_equal(d.kv[1].v.str, "x\ty");
	assert_int_equal(d.kv[2].v.nitems, 3);
	assert_int_equal(d.kv[2].v.items[2].i, 3);
	assert_string_equal(d.kv[4].table, "t.u");
	assert_string_equal(d.kv[4].key, "lit key");
	assert_string_equal(d.kv[4].v.str, "C:\\path");
	assert_int_equal(d.kv[4].line, 8);
	assert_int_equal(d.kv[6].v.i, -16);
	etoml_doc_free(&d);
	/* errors carry line numbers */
	static const struct {
		const char *text, *msg;
	} bad[] = {
	    {"a = 1\nb = \n", "line 2"},
	    {"a = \"open\n", "line 1: newline in string"},
	    {"a = 1\na = 2\n", "line 2: key 'a' defined twice"},
	    {"[x]\n[x]\n", "line 2: table [x] defined twice"},
	    {"a = {b = 1}\n", "inline tables"},
	    {"a = [1, 2\n", "unterminated array"},
	    {"a = 1 2\n", "unexpected"},
	    {"a = 99999999999999999999\n", "out of range"},
	    {"[[arr]]\n", "arrays of tables"},
	    {"a = [[[[[[1]]]]]]\n", "nested too deeply"},
	    {"= 1\n", "expected a key"},
	    {"a = \"\\u0041\"\n", "unsupported escape"},
	    {"a = '''x'''\n", "multi-line"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char e2[128] = "";
		int rc = etoml_parse(bad[i].text, strlen(bad[i].text), POLICY_TOML_DIALECT, &d, e2,
		                     sizeof(e2));
		if (rc == 0 || !strstr(e2, bad[i].msg))
			fprintf(stderr, "# case %zu: \"%s\"\n", i, e2);
		assert_int_not_equal(rc, 0);
		assert_non_null(strstr(e2, bad[i].msg));
	}
	assert_int_not_equal(etoml_parse("a = 1\0", 6, POLICY_TOML_DIALECT, &d, err, sizeof(err)),
	                     0);
}

static void test_policy_parse_errors(void **state)
{
	(void)state;
	expect_error("tee = [\"snp\", \"xyz\"]\n", "line 1: tee: unknown TEE type");
	expect_error("\nallow_debgu = true\n", "line 2: allow_debgu: unknown key");
	expect_error("[snp]\nvmpl = [4]\n", "line 2: snp.vmpl");
	expect_error("[snp]\nid_key_digests = [\"00\"]\n", "expected 48");
	expect_error("[sgx]\ntcb_status = [\"Fine\"]\n", "not a TCB status name");
	expect_error("[snp.min_tcb]\nucode = 3\n", "unknown key");
	expect_error("[snp.min_tcb]\nmicrocode = 300\n", "0..255");
	expect_error("[nope]\n", "unknown table [nope]");
	expect_error("[measurements.snp]\n\"v1\" = \"abcd\"\n", "expected 48");
	expect_error("[snp]\nmin_abi = \"1\"\n", "MAJOR.MINOR");
	expect_error("allow_debug = 1\n", "expected true or false");
	expect_error("report_data = \"zz\"\n", "not hex");
}

static enarx_claims *snp_claims(const char *sample, const char *cert)
{
	char r[256], c[256];
	snprintf(r, sizeof(r), "snp/reports/%s/report.bin", sample);
	snprintf(c, sizeof(c), "snp/reports/%s/%s", sample, cert);
	const char *x[] = {c, NULL};
	enarx_evidence *ev = bundle(r, x, false);
	enarx_claims *cl = NULL;
	/* the VLEK expired 2025-12-10; the mstav VCEKs were issued 2026-02-05 */
	const char *at = strstr(sample, "mstav") ? "2026-11-21" : "2025-06-01";
	assert_int_equal(enarx_attest_verify(A, ev, T(at), &cl), 0);
	enarx_evidence_free(ev);
	return cl;
}

static void expect_reject(const char *policy, const enarx_claims *c, const char *rule,
                          const char *value)
{
	enarx_policy *p = parse(policy);
	char why[512];
	assert_non_null(p);
	int rc = enarx_policy_check(p, c, why, sizeof(why));
	if (rc != ENARX_E_ATTEST_POLICY || !strstr(why, rule) || (value && !strstr(why, value)))
		fprintf(stderr, "# got \"%s\"\n", why);
	assert_int_equal(rc, ENARX_E_ATTEST_POLICY);
	assert_non_null(strstr(why, rule));
	if (value)
		assert_non_null(strstr(why, value));
	enarx_policy_free(p);
}

static void expect_accept(const char *policy, const enarx_claims *c)
{
	enarx_policy *p = parse(policy);
	char why[512];
	assert_non_null(p);
	int rc = enarx_policy_check(p, c, why, sizeof(why));
	if (rc)
		fprintf(stderr, "# %s\n", why);
	assert_int_equal(rc, 0);
	enarx_policy_free(p);
}

static void test_snp_rules(void **state)
{
	(void)state;
	enarx_claims *c = snp_claims("trustee_milan_idblock", "vcek.der");
	expect_accept("", c);
	expect_reject("tee = [\"sgx\"]\n", c, "tee: TEE type snp", NULL);
	expect_reject("[snp.min_tcb]\nmicrocode = 116\n", c, "snp.min_tcb.microcode",
	              "REPORTED_TCB.microcode 115 < minimum 116");
	expect_accept("[snp.min_tcb]\nmicrocode = 115\nbootloader = 3\nsnp = 8\n", c);
	expect_reject("[snp]\nmin_guest_svn = 5\n", c, "snp.min_guest_svn", "GUEST_SVN 4 < 5");
	expect_reject("[snp]\nmin_abi = \"1.0\"\n", c, "snp.min_abi", "0.31 < 1.0");
	expect_reject("[snp]\nallow_smt = false\n", c, "snp.allow_smt", "POLICY.SMT=1");
	expect_reject("[snp]\nmin_firmware = \"1.52.5\"\n", c, "snp.min_firmware",
	              "1.52.4 < 1.52.5");
	expect_accept("[snp]\nmin_firmware = \"1.52.4\"\n", c);
	expect_reject("[snp]\nsigning_keys = [\"VLEK\"]\n", c, "snp.signing_keys", "VCEK");
	expect_reject("[snp]\nid_key_digests = [\"" /* 48 zero bytes */
	              "000000000000000000000000000000000000000000000000"
	              "000000000000000000000000000000000000000000000000\"]\n",
	              c, "snp.id_key_digests", "0356215882a8");
	expect_accept("[snp]\nid_key_digests = [\"0356215882a825279a85b300b0b742931d113bf7e32dde2e5"
	              "0ffde7ec743ca491ecdd7f336dc28a6e0b2bb57af7a44a3\"]\n",
	              c);
	expect_reject(
	    "[snp]\nauthor_key_digests = [\"0356215882a825279a85b300b0b742931d113bf7e32dde2e5"
	    "0ffde7ec743ca491ecdd7f336dc28a6e0b2bb57af7a44a3\"]\n",
	    c, "snp.author_key_digests", "AUTHOR_KEY_EN=0");
	expect_reject("[snp]\nhost_data = "
	              "[\"0000000000000000000000000000000000000000000000000000000000000001\"]\n",
	              c, "snp.host_data", NULL);
	expect_reject("report_data = \"ec6c52d7\"\n", c, "report_data", "ec6c52d7533c");
	expect_accept(
	    "report_data = \"ec6c52d7533cc2c4f45be7849cf112ab82b2009fe7bd43e71ed08c14400ad7e2\"\n",
	    c);
	/* measurements by name */
	expect_accept("[measurements.snp]\n\"enarx 0.1 (trustee test)\" = "
	              "\"a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0"
	              "e692e6be917f9050d3d38c\"\n",
	              c);
	expect_reject("[measurements.snp]\n\"other\" = "
	              "\"b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece"
	              "31a5a608eb0cf2e4872b01\"\n",
	              c, "measurements.snp", "a1f3930413247bb3");
	enarx_policy *p = parse("[measurements.snp]\n\"enarx 0.1\" = "
	                        "\"a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c"
	                        "23500644e0e692e6be917f9050d3d38c\"\n");
	assert_string_equal(enarx_policy_runtime(p, c), "enarx 0.1");
	enarx_policy_free(p);
	enarx_claims_free(c);
	/* VLEK: VMPL 1, chip id not bound, provisional firmware */
	c = snp_claims("trustee_milan_vlek_aws", "vlek.der");
	expect_reject("", c, "snp.vmpl", "VMPL 1");
	expect_accept("[snp]\nvmpl = [0, 1]\n", c);
	expect_reject("[snp]\nvmpl = [1]\nrequire_chip_id = true\n", c, "snp.require_chip_id",
	              NULL);
	expect_reject("[snp]\nvmpl = [1]\nallow_provisional_firmware = false\n", c,
	              "allow_provisional_firmware", NULL);
	expect_reject("[snp]\nvmpl = [1]\nsigning_keys = [\"VCEK\"]\n", c, "snp.signing_keys",
	              "VLEK");
	enarx_claims_free(c);
	/* family/image id, platform info, mitigation vectors (Turin v5: both 63) */
	c = snp_claims("mstav_turin", "vcek.pem");
	expect_accept("[snp]\nfamily_id = [\"01000000000000000000000000000000\"]\n"
	              "image_id = [\"02000000000000000000000000000000\"]\n"
	              "max_platform_info = 0xff\nrequired_launch_mitigations = 63\n"
	              "required_current_mitigations = 0x21\n",
	              c);
	expect_reject("[snp]\nfamily_id = [\"00000000000000000000000000000000\"]\n", c,
	              "snp.family_id", "0100000000");
	expect_reject("[snp]\nmax_platform_info = 0x25\n", c, "snp.max_platform_info",
	              "PLATFORM_INFO 0x65");
	expect_reject("[snp]\nrequired_current_mitigations = 64\n", c, "mitigations", NULL);
	enarx_claims_free(c);
	c = snp_claims("virtee_milan", "vcek.der");
	expect_reject("[snp]\nrequired_launch_mitigations = 1\n", c, "mitigations", "v2");
	enarx_claims_free(c);
	/* debug */
	c = snp_claims("gsg_milan_debug", "vcek.der");
	expect_reject("", c, "allow_debug", "POLICY.DEBUG=1");
	expect_accept("allow_debug = true\n", c);
	/* migration agent: edit the claim (the report is signed; the rule is what we test) */
	c->snp.policy |= 1ull << 18;
	expect_reject("allow_debug = true\n", c, "snp.allow_migration_agent", "MIGRATE_MA=1");
	enarx_claims_free(c);
}

/* The 128-byte evidence a KVM Keep's SYS_GETATT returns (docs/kvm-keep.md). */
static void kvm_evidence(uint8_t ev[128], uint32_t version, uint32_t flags)
{
	memcpy(ev, "ENXKVMv1", 8);
	for (int i = 0; i < 4; i++) {
		ev[8 + i] = (uint8_t)(version >> (8 * i));
		ev[12 + i] = (uint8_t)(flags >> (8 * i));
	}
	for (int i = 0; i < 48; i++)
		ev[16 + i] = (uint8_t)(0xa0 + i % 16);
	for (int i = 0; i < 64; i++)
		ev[64 + i] = (uint8_t)i;
}

static void test_kvm(void **state)
{
	(void)state;
	uint8_t ev_bytes[128];
	char meas[97];
	kvm_evidence(ev_bytes, 1, 1);
	enarx_evidence *ev = enarx_evidence_new();
	assert_int_equal(enarx_evidence_set_auto(ev, ev_bytes, sizeof(ev_bytes)), 0);
	enarx_claims *c = NULL;
	assert_int_equal(enarx_attest_verify(A, ev, 0, &c), 0);
	assert_int_equal(c->tee, ENARX_TEE_KVM);
	assert_true(c->insecure);
	assert_true(c->kvm.present);
	assert_int_equal(c->kvm.measurement[1], 0xa1);
	assert_int_equal(c->report_data[63], 63);
	expect_reject("", c, "tee: TEE type kvm", NULL);
	expect_reject("tee = [\"kvm\"]\n", c, "allow_insecure", "no hardware root of trust");
	expect_accept("tee = [\"kvm\"]\nallow_insecure = true\n", c);
	/* measurements by name apply to KVM Keeps too */
	for (int i = 0; i < 48; i++)
		snprintf(meas + 2 * i, 3, "%02x", c->kvm.measurement[i]);
	char pol[512];
	snprintf(pol, sizeof(pol),
	         "tee = [\"kvm\"]\nallow_insecure = true\n[measurements.kvm]\n\"v0.1\" = \"%s\"\n",
	         meas);
	expect_accept(pol, c);
	meas[0] = meas[0] == '0' ? '1' : '0';
	snprintf(pol, sizeof(pol),
	         "tee = [\"kvm\"]\nallow_insecure = true\n[measurements.kvm]\n\"v0.1\" = \"%s\"\n",
	         meas);
	expect_reject(pol, c, "measurements.kvm", "not a known runtime");
	char *json = enarx_claims_json(c);
	assert_non_null(strstr(json, "\"insecure\": true"));
	assert_non_null(strstr(json, "\"measurement\": \"a0a1a2"));
	free(json);
	enarx_claims_free(c);
	/* wrong length, wrong version, INSECURE flag cleared */
	assert_int_equal(enarx_evidence_set(ev, ENARX_TEE_KVM, ev_bytes, 127), 0);
	assert_int_equal(enarx_attest_verify(A, ev, 0, &c), ENARX_E_ATTEST_FORMAT);
	kvm_evidence(ev_bytes, 2, 1);
	assert_int_equal(enarx_evidence_set(ev, ENARX_TEE_KVM, ev_bytes, 128), 0);
	assert_int_equal(enarx_attest_verify(A, ev, 0, &c), ENARX_E_ATTEST_FORMAT);
	kvm_evidence(ev_bytes, 1, 0);
	assert_int_equal(enarx_evidence_set(ev, ENARX_TEE_KVM, ev_bytes, 128), 0);
	assert_int_equal(enarx_attest_verify(A, ev, 0, &c), ENARX_E_ATTEST_FORMAT);
	/* empty evidence (no buffer at all): no memcpy from NULL (UBSan);
	 * an empty SNP report is a format error */
	assert_int_equal(enarx_evidence_set(ev, ENARX_TEE_SNP, NULL, 0), 0);
	assert_int_equal(enarx_attest_verify(A, ev, 0, &c), ENARX_E_ATTEST_FORMAT);
	assert_null(c);
	enarx_evidence_free(ev);
}

static void test_intel_rules(void **state)
{
	(void)state;
	const char *x[] = {"tdx/phala_tdx_v4/collateral.json", NULL};
	enarx_evidence *ev = bundle("tdx/phala_tdx_v4/quote_padded.bin", x, false);
	enarx_claims *c = NULL;
	assert_int_equal(enarx_attest_verify(A, ev, T("2025-07-01"), &c), 0);
	expect_accept("", c);
	expect_reject("[tdx]\ntcb_status = [\"OutOfDate\"]\n", c, "tdx.tcb_status", "UpToDate");
	expect_accept("[tdx]\nmin_tcb_date = \"2024-01-01\"\n", c);
	expect_reject("[tdx]\nmin_tcb_date = \"2030-01-01\"\n", c, "tdx.min_tcb_date", NULL);
	expect_error("[tdx]\nmin_tcb_date = \"2030\"\n", "YYYY-MM-DD");
	expect_reject("[tdx]\nmrsigner = [\"" /* 48 bytes */
	              "111111111111111111111111111111111111111111111111"
	              "111111111111111111111111111111111111111111111111\"]\n",
	              c, "tdx.mrsigner", NULL);
	char mrtd[97];
	hex_encode(c->intel.mrtd, 48, mrtd);
	char pol[300];
	snprintf(pol, sizeof(pol), "[measurements.tdx]\n\"my td\" = \"%s\"\n", mrtd);
	expect_accept(pol, c);
	enarx_claims_free(c);
	enarx_evidence_free(ev);
	/* SGX: debug, isv fields */
	ev = bundle("sgx/trustee_occlum_debug/quote.bin", NULL, false);
	assert_int_equal(enarx_attest_verify(A, ev, T("2025-07-01"), &c), 0);
	expect_reject("[sgx]\ntcb_status = [\"Unevaluated\"]\nrequire_qe_identity = false\n", c,
	              "allow_debug", "ATTRIBUTES.DEBUG=1");
	expect_reject("allow_debug = true\n[sgx]\ntcb_status = [\"Unevaluated\"]\n", c,
	              "sgx.require_qe_identity", NULL);
	expect_reject(
	    "allow_debug = true\n[sgx]\ntcb_status = [\"Unevaluated\"]\nrequire_qe_identity = "
	    "false\n"
	    "mrenclave = [\"0000000000000000000000000000000000000000000000000000000000000000\"]\n",
	    c, "sgx.mrenclave", "8f173e46");
	expect_reject("allow_debug = true\n[sgx]\ntcb_status = "
	              "[\"Unevaluated\"]\nrequire_qe_identity = false\n"
	              "isv_prod_id = 77\n",
	              c, "sgx.isv_prod_id", NULL);
	expect_accept("allow_debug = true\n[sgx]\ntcb_status = "
	              "[\"Unevaluated\"]\nrequire_qe_identity = false\n",
	              c);
	enarx_claims_free(c);
	enarx_evidence_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_toml_subset), cmocka_unit_test(test_policy_parse_errors),
	    cmocka_unit_test(test_snp_rules),   cmocka_unit_test(test_kvm),
	    cmocka_unit_test(test_intel_rules),
	};
	return cmocka_run_group_tests_name("attest policy", tests, setup, teardown);
}
