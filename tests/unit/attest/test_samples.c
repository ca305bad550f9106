/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every sample in ../shared/testdata/attestation gives the outcome that
 * SOURCES.md states: SNP reports (v2/v3/v5, VCEK/VLEK, Milan/Genoa/Turin),
 * SGX quotes v3 and TDX quotes v4/v5 with their collateral (TCB status and
 * advisory IDs), the edited negative certificates, CRLs and the revoked
 * Genoa ASK, at the fixed verification times given there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

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

/* ------------------------------------------------------------------ SNP */

typedef struct {
	const char *name, *report, *cert, *at;
	const char *product, *signer;
	unsigned version, vmpl;
	const char *measurement_prefix; /* hex */
	int bl, tee, snp, ucode, fmc;   /* REPORTED_TCB */
	bool chip_checked, debug;
	const char *policy_reject; /* rule named by the default policy's rejection, or NULL */
} snp_case;

#define R "snp/reports/"
static const snp_case snp_cases[] = {
    {"gsg_milan_debug", R "gsg_milan_debug/report.bin", R "gsg_milan_debug/vcek.der", "2026-11-21",
     "Milan", "VCEK", 2, 0, "b07af9620f3b", 2, 0, 5, 68, 0, true, true, "allow_debug"},
    {"virtee_milan", R "virtee_milan/report.bin", R "virtee_milan/vcek.der", "2026-11-21", "Milan",
     "VCEK", 2, 0, "7a1e5c266c01", 3, 0, 8, 115, 0, true, false, NULL},
    {"trustee_milan_idblock", R "trustee_milan_idblock/report.bin",
     R "trustee_milan_idblock/vcek.der", "2026-11-21", "Milan", "VCEK", 2, 0, "a1f393041324", 3, 0,
     8, 115, 0, true, false, NULL},
    {"trustee_milan_vlek_aws", R "trustee_milan_vlek_aws/report.bin",
     R "trustee_milan_vlek_aws/vlek.der", "2025-06-01", "Milan", "VLEK", 3, 1, "8922ebbdd00e", 4, 0,
     24, 217, 0, false, false, "snp.vmpl"},
    {"trustee_azure_genoa", R "trustee_azure_genoa/report.bin", R "trustee_azure_genoa/vcek.pem",
     "2026-11-21", "Genoa", "VCEK", 3, 0, "f57dc09a507c", 10, 0, 23, 84, 0, true, false, NULL},
    {"trustee_azure_milan", R "trustee_azure_milan/report.bin", R "trustee_azure_milan/vcek.der",
     "2026-11-21", "Milan", "VCEK", 3, 0, "6a063be9dd79", 4, 0, 24, 219, 0, true, false, NULL},
    {"trustee_genoa_e2e", R "trustee_genoa_e2e/report_reconstructed.bin",
     R "trustee_genoa_e2e/vcek.der", "2026-11-21", "Genoa", "VCEK", 3, 0, "6a6519d757e6", 10, 0, 23,
     25, 0, true, false, NULL},
    {"steward_milan", R "steward_milan/report.bin", R "steward_milan/vcek.der", "2026-11-21",
     "Milan", "VCEK", 2, 0, "ff717ae71984", 2, 0, 6, 93, 0, true, false, NULL},
    {"mstav_milan", R "mstav_milan/report.bin", R "mstav_milan/vcek.pem", "2026-11-21", "Milan",
     "VCEK", 3, 0, "5feee30d6d7e", 4, 0, 24, 219, 0, true, false, NULL},
    {"mstav_milan_reissued_vcek", R "mstav_milan/report.bin",
     R "mstav_milan/vcek_reissued_2025-12-29.pem", "2026-11-21", "Milan", "VCEK", 3, 0,
     "5feee30d6d7e", 4, 0, 24, 219, 0, true, false, NULL},
    {"mstav_genoa", R "mstav_genoa/report.bin", R "mstav_genoa/vcek.pem", "2026-11-21", "Genoa",
     "VCEK", 3, 0, "5feee30d6d7e", 10, 0, 23, 84, 0, true, false, NULL},
    {"mstav_turin", R "mstav_turin/report.bin", R "mstav_turin/vcek.pem", "2026-11-21", "Turin",
     "VCEK", 5, 0, "6d6c354511d6", 1, 1, 4, 81, 1, true, false, NULL},
};

static void test_snp_sample(void **state)
{
	const snp_case *t = *state;
	const char *extra[] = {t->cert, NULL};
	enarx_evidence *ev = bundle(t->report, extra, false);
	enarx_claims *c = NULL;
	int rc = enarx_attest_verify(A, ev, T(t->at), &c);
	if (rc)
		fprintf(stderr, "# %s: %s\n", t->name, enarx_attest_error(A));
	assert_int_equal(rc, 0);
	assert_non_null(c);
	assert_int_equal(c->tee, ENARX_TEE_SNP);
	assert_string_equal(c->snp.product, t->product);
	assert_string_equal(c->snp.signer, t->signer);
	assert_int_equal(c->snp.version, t->version);
	assert_int_equal(c->snp.vmpl, t->vmpl);
	char hx[13];
	hex_encode(c->snp.measurement, 6, hx);
	assert_string_equal(hx, t->measurement_prefix);
	assert_int_equal(c->snp.reported_tcb.bl, t->bl);
	assert_int_equal(c->snp.reported_tcb.tee, t->tee);
	assert_int_equal(c->snp.reported_tcb.snp, t->snp);
	assert_int_equal(c->snp.reported_tcb.ucode, t->ucode);
	assert_int_equal(c->snp.reported_tcb.fmc, t->fmc);
	assert_int_equal(c->snp.chip_id_checked, t->chip_checked);
	assert_int_equal(c->debug, t->debug);
	assert_false(c->insecure);
	/* default policy */
	enarx_policy *p = enarx_policy_default();
	char why[512];
	rc = enarx_policy_check(p, c, why, sizeof(why));
	if (t->policy_reject) {
		assert_int_equal(rc, ENARX_E_ATTEST_POLICY);
		assert_non_null(strstr(why, t->policy_reject));
	} else {
		if (rc)
			fprintf(stderr, "# %s: %s\n", t->name, why);
		assert_int_equal(rc, 0);
	}
	char *json = enarx_claims_json(c);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"measurement\""));
	free(json);
	enarx_policy_free(p);
	enarx_claims_free(c);
	enarx_evidence_free(ev);
}

static int verify_files(const char *ev, const char *const *extra, const char *at, bool trailing,
                        enarx_claims **out)
{
	enarx_evidence *e = bundle(ev, extra, trailing);
	enarx_claims *c = NULL;
	int rc = enarx_attest_verify(A, e, T(at), &c);
	enarx_evidence_free(e);
	if (out)
		*out = c;
	else
		enarx_claims_free(c);
	return rc;
}

static void test_snp_vlek_expired(void **state)
{
	(void)state;
	const char *x[] = {R "trustee_milan_vlek_aws/vlek.der", NULL};
	assert_int_equal(
	    verify_files(R "trustee_milan_vlek_aws/report.bin", x, "2026-11-21", false, NULL),
	    ENARX_E_ATTEST_EXPIRED);
	assert_non_null(strstr(enarx_attest_error(A), "expired"));
}

static void test_snp_provisional_firmware(void **state)
{
	(void)state;
	/* trustee_milan_idblock: CURRENT 3/0/8/206, REPORTED/COMMITTED 3/0/8/115 */
	const char *x[] = {R "trustee_milan_idblock/vcek.der", NULL};
	enarx_claims *c;
	assert_int_equal(
	    verify_files(R "trustee_milan_idblock/report.bin", x, "2026-11-21", false, &c), 0);
	assert_int_equal(c->snp.current_tcb.ucode, 206);
	assert_int_equal(c->snp.reported_tcb.ucode, 115);
	const char *pol = "[snp]\nallow_provisional_firmware = false\n";
	char err[256], why[512];
	enarx_policy *p = enarx_policy_parse(pol, strlen(pol), err, sizeof(err));
	assert_non_null(p);
	assert_int_equal(enarx_policy_check(p, c, why, sizeof(why)), ENARX_E_ATTEST_POLICY);
	assert_non_null(strstr(why, "allow_provisional_firmware"));
	enarx_policy_free(p);
	enarx_claims_free(c);
}

static void test_snp_wrong_vcek(void **state)
{
	(void)state;
	/* The virtee VCEK (TCB 3/0/8/115, another chip) for the gsg report (TCB 2/0/5/68). */
	const char *x[] = {R "virtee_milan/vcek.der", NULL};
	assert_int_equal(verify_files(R "gsg_milan_debug/report.bin", x, "2026-11-21", false, NULL),
	                 ENARX_E_ATTEST_TCB_MISMATCH);
	/* Same TCB (3/0/8/115), different chip: hwID mismatch. */
	const char *y[] = {R "virtee_milan/vcek.der", NULL};
	assert_int_equal(
	    verify_files(R "trustee_milan_idblock/report.bin", y, "2026-11-21", false, NULL),
	    ENARX_E_ATTEST_TCB_MISMATCH);
	assert_non_null(strstr(enarx_attest_error(A), "hwID"));
	/* A Genoa VCEK for a Milan report: product mismatch. */
	const char *z[] = {R "mstav_genoa/vcek.pem", NULL};
	assert_int_not_equal(verify_files(R "mstav_milan/report.bin", z, "2026-11-21", false, NULL),
	                     0);
	/* No certificate at all. */
	assert_int_equal(verify_files(R "virtee_milan/report.bin", NULL, "2026-11-21", false, NULL),
	                 ENARX_E_ATTEST_CHAIN);
}

static void test_snp_negative_certs(void **state)
{
	(void)state;
	/* Edited VCEKs (hwID replaced): they parse, the chain fails with a signature failure. */
	static const char *neg[] = {"snp/negative/trustee_vcek_hwid_raw_BADSIG.der",
	                            "snp/negative/trustee_vcek_hwid_octetstring_BADSIG.der"};
	for (int i = 0; i < 2; i++) {
		blob b = load(neg[i]);
		STACK_OF(X509) *sk = NULL;
		assert_int_equal(attest_parse_certs(b.p, b.n, &sk), 0);
		const char *x[] = {neg[i], NULL};
		assert_int_equal(verify_files(R "trustee_milan_idblock/report.bin", x, "2026-11-21",
		                              false, NULL),
		                 ENARX_E_ATTEST_CHAIN);
		assert_non_null(strstr(enarx_attest_error(A), "signature failure"));
		sk_X509_pop_free(sk, X509_free);
		free(b.p);
	}
}

static void test_snp_foreign_ark(void **state)
{
	(void)state;
	/* A supplied ARK must be the pinned one for the product. */
	const char *x[] = {R "virtee_milan/vcek.der", "snp/amd_roots/genoa_ark.pem", NULL};
	assert_int_equal(verify_files(R "virtee_milan/report.bin", x, "2026-11-21", false, NULL),
	                 ENARX_E_ATTEST_CHAIN);
	/* The pinned one (with its ASK) is fine. */
	const char *y[] = {R "virtee_milan/vcek.der", "snp/amd_roots/milan_vcek_cert_chain.pem",
	                   NULL};
	assert_int_equal(verify_files(R "virtee_milan/report.bin", y, "2026-11-21", false, NULL),
	                 0);
}

static void test_snp_crl(void **state)
{
	(void)state;
	const char *x[] = {R "steward_milan/vcek.der", "snp/amd_crl/milan_crl_2022-05-09.der",
	                   "snp/amd_crl/genoa_crl_2022-10-31.der", NULL};
	enarx_claims *c;
	assert_int_equal(verify_files(R "steward_milan/report.bin", x, "2023-01-01", false, &c), 0);
	assert_true(c->revocation_checked);
	enarx_claims_free(c);
	/* The CRL is stale after 2023-05-09: a clear "expired" result. */
	assert_int_equal(verify_files(R "steward_milan/report.bin", x, "2024-01-01", false, NULL),
	                 ENARX_E_ATTEST_EXPIRED);
	assert_non_null(strstr(enarx_attest_error(A), "CRL"));
	/* Without CRLs: valid, but not revocation-checked; require_crl rejects. */
	const char *y[] = {R "steward_milan/vcek.der", NULL};
	assert_int_equal(verify_files(R "steward_milan/report.bin", y, "2024-01-01", false, &c), 0);
	assert_false(c->revocation_checked);
	const char *pol = "require_crl = true\n";
	char err[128], why[256];
	enarx_policy *p = enarx_policy_parse(pol, strlen(pol), err, sizeof(err));
	assert_int_equal(enarx_policy_check(p, c, why, sizeof(why)), ENARX_E_ATTEST_POLICY);
	assert_non_null(strstr(why, "require_crl"));
	enarx_policy_free(p);
	enarx_claims_free(c);
}

static X509 *x509_of(const char *rel)
{
	blob b = load(rel);
	STACK_OF(X509) *sk = NULL;
	if (attest_parse_certs(b.p, b.n, &sk))
		abort();
	free(b.p);
	X509 *x = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	return x;
}

static void test_snp_revoked_genoa_ask(void **state)
{
	(void)state;
	X509 *old = x509_of("snp/amd_roots/genoa_ask_REVOKED_serial_020001.der");
	X509 *cur = x509_of("snp/amd_roots/genoa_ask.pem");
	blob crl = load("snp/amd_crl/genoa_crl_2022-10-31.der");
	attest_bytes_list none = {0}, crls = {0};
	assert_int_equal(attest_bytes_list_add(&crls, crl.p, crl.n), 0);
	attest_err e;
	bool checked = false;
	int genoa = attest_snp_product_index("Genoa");
	/* Signed by ARK-Genoa: fine without a CRL... */
	assert_int_equal(attest_snp_check_ca(A, genoa, old, &none, T("2023-01-01"), &checked, &e),
	                 0);
	assert_false(checked);
	/* ...revoked with it. */
	assert_int_equal(attest_snp_check_ca(A, genoa, old, &crls, T("2023-01-01"), &checked, &e),
	                 ENARX_E_ATTEST_REVOKED);
	assert_non_null(strstr(e.msg, "revoked"));
	/* The current ASK 0x020002 passes the same CRL. */
	assert_int_equal(attest_snp_check_ca(A, genoa, cur, &crls, T("2023-01-01"), &checked, &e),
	                 0);
	assert_true(checked);
	/* The Genoa ASK is not signed by ARK-Milan. */
	assert_int_equal(attest_snp_check_ca(A, attest_snp_product_index("Milan-B0"), cur, &none,
	                                     T("2023-01-01"), &checked, &e),
	                 ENARX_E_ATTEST_CHAIN);
	/* The PkiPath from steward parses to ARK then ASK. */
	blob pp = load("snp/amd_roots/steward_genoa_old.pkipath");
	STACK_OF(X509) *sk = NULL;
	assert_int_equal(attest_parse_certs(pp.p, pp.n, &sk), 0);
	assert_int_equal(sk_X509_num(sk), 2);
	assert_int_equal(X509_cmp(sk_X509_value(sk, 1), old), 0);
	sk_X509_pop_free(sk, X509_free);
	free(pp.p);
	free(crl.p);
	free(crls.v[0].p);
	free(crls.v);
	X509_free(old);
	X509_free(cur);
}

static void test_snp_turin_vcek_only(void **state)
{
	(void)state;
	/* A Turin VCEK without report: chains to the pinned Turin ASK; 8-byte hwID; fmcSPL present. */
	X509 *v = x509_of(R "virtee_turin_vcek_only/vcek.der");
	int turin = attest_snp_product_index("Turin");
	attest_err e;
	assert_int_equal(attest_cert_signed_by(v, A->ask[turin], A->ask_key[turin], &e, "VCEK"), 0);
	assert_int_not_equal(attest_cert_signed_by(v, A->ask[0], A->ask_key[0], &e, "VCEK"), 0);
	const ASN1_OCTET_STRING *hw = attest_ext(v, "1.3.6.1.4.1.3704.1.4");
	assert_non_null(hw);
	assert_int_equal(ASN1_STRING_length(hw), 8);
	assert_non_null(attest_ext(v, "1.3.6.1.4.1.3704.1.3.9"));
	X509_free(v);
}

static void test_snp_parse_errors(void **state)
{
	(void)state;
	blob b = load(R "virtee_milan/report.bin");
	enarx_snp_claims s;
	uint8_t rd[64];
	attest_err e;
	assert_int_equal(attest_snp_parse(b.p, b.n - 1, &s, rd, &e), ENARX_E_ATTEST_FORMAT);
	b.p[0] = 1; /* version 1 */
	assert_int_equal(attest_snp_parse(b.p, b.n, &s, rd, &e), ENARX_E_ATTEST_VERSION);
	b.p[0] = 2;
	b.p[0x34] = 2; /* SIGNATURE_ALGO */
	assert_int_equal(attest_snp_parse(b.p, b.n, &s, rd, &e), ENARX_E_ATTEST_FORMAT);
	b.p[0x34] = 1;
	b.p[0x48] = 7 << 2; /* SIGNING_KEY none */
	assert_int_equal(attest_snp_parse(b.p, b.n, &s, rd, &e), ENARX_E_ATTEST_SIGNATURE);
	b.p[0x48] = 3 << 2; /* reserved signing key */
	assert_int_equal(attest_snp_parse(b.p, b.n, &s, rd, &e), ENARX_E_ATTEST_FORMAT);
	b.p[0x48] = 0;
	b.p[0x250] = 1; /* reserved area */
	assert_int_equal(attest_snp_parse(b.p, b.n, &s, rd, &e), ENARX_E_ATTEST_FORMAT);
	b.p[0x250] = 0;
	assert_int_equal(attest_snp_parse(b.p, b.n, &s, rd, &e), 0);
	free(b.p);
}

static void test_snp_azure_hcl(void **state)
{
	(void)state;
	/* Azure vTPM HCL reports: the SNP report at 0x20, REPORT_DATA[0:32] =
	 * SHA-256(runtime claims JSON), which holds HCLAkPub / HCLEkPub. */
	static const char *s[][2] = {
	    {R "trustee_azure_genoa/hcl_report.bin", R "trustee_azure_genoa/vcek.pem"},
	    {R "trustee_azure_milan/hcl_report.bin", R "trustee_azure_milan/vcek.der"}};
	for (int i = 0; i < 2; i++) {
		const char *x[] = {s[i][1], NULL};
		enarx_claims *c = NULL;
		assert_int_equal(verify_files(s[i][0], x, "2026-11-21", false, &c), 0);
		assert_non_null(c->snp.hcl_runtime_claims);
		assert_non_null(strstr(c->snp.hcl_runtime_claims, "HCLAkPub"));
		enarx_claims_free(c);
		/* edit the runtime claims: the binding fails */
		blob b = load(s[i][0]), v = load(s[i][1]);
		enarx_evidence *ev = enarx_evidence_new();
		b.p[0x4c0 + 20 + 10] ^= 1;
		assert_int_equal(enarx_evidence_set_auto(ev, b.p, b.n), 0);
		assert_int_equal(enarx_evidence_add(ev, v.p, v.n), 0);
		assert_int_equal(enarx_attest_verify(A, ev, T("2026-11-21"), &c),
		                 ENARX_E_ATTEST_BINDING);
		b.p[0x4c0 + 20 + 10] ^= 1;
		/* malformed wrapper: hash type, padding */
		b.p[0x4c0 + 12] = 7;
		assert_int_equal(enarx_evidence_set_auto(ev, b.p, b.n), ENARX_E_ATTEST_FORMAT);
		b.p[0x4c0 + 12] = 1;
		b.p[b.n - 1] = 1;
		assert_int_equal(enarx_evidence_set_auto(ev, b.p, b.n), ENARX_E_ATTEST_FORMAT);
		enarx_evidence_free(ev);
		free(b.p);
		free(v.p);
	}
}

static void put_entry(uint8_t *t, int i, const char *guid_hex, uint32_t off, uint32_t len)
{
	uint8_t *e = t + 24 * i;
	for (int k = 0; k < 16; k++) {
		unsigned v;
		sscanf(guid_hex + 2 * k, "%2x", &v);
		e[k] = (uint8_t)v;
	}
	memcpy(e + 16, &off, 4);
	memcpy(e + 20, &len, 4);
}

static void test_snp_ghcb_cert_table(void **state)
{
	(void)state;
	/* The certificates as a host delivers them with an extended report:
	 * a GUID table (VCEK, ASK, ARK) followed by the DER certificates. */
	blob v = load(R "virtee_milan/vcek.der"), ask = load("snp/amd_roots/milan_ask.pem"),
	     ark = load("snp/amd_roots/milan_ark.pem");
	STACK_OF(X509) *a1 = NULL, *a2 = NULL;
	assert_int_equal(attest_parse_certs(ask.p, ask.n, &a1), 0);
	assert_int_equal(attest_parse_certs(ark.p, ark.n, &a2), 0);
	unsigned char *askd = NULL, *arkd = NULL;
	int askl = i2d_X509(sk_X509_value(a1, 0), &askd),
	    arkl = i2d_X509(sk_X509_value(a2, 0), &arkd);
	size_t hdr = 24 * 4, total = hdr + v.n + (size_t)askl + (size_t)arkl;
	uint8_t *t = calloc(1, total);
	put_entry(t, 0, "8d75da6364e66445adc5f4b93be8accd", (uint32_t)hdr, (uint32_t)v.n);
	put_entry(t, 1, "79b3b74aacbbe44fa02f05aef327c782", (uint32_t)(hdr + v.n), (uint32_t)askl);
	put_entry(t, 2, "a406b4c003a8524997433fb6014cd0ae", (uint32_t)(hdr + v.n + (size_t)askl),
	          (uint32_t)arkl);
	memcpy(t + hdr, v.p, v.n);
	memcpy(t + hdr + v.n, askd, (size_t)askl);
	memcpy(t + hdr + v.n + (size_t)askl, arkd, (size_t)arkl);
	enarx_evidence *ev = bundle(R "virtee_milan/report.bin", NULL, false);
	assert_int_equal(enarx_evidence_add(ev, t, total), 0);
	assert_int_equal(ev->certs.n, 3);
	enarx_claims *c = NULL;
	assert_int_equal(enarx_attest_verify(A, ev, T("2026-11-21"), &c), 0);
	enarx_claims_free(c);
	enarx_evidence_free(ev);
	/* an entry pointing outside the table, a missing terminator */
	ev = enarx_evidence_new();
	put_entry(t, 1, "79b3b74aacbbe44fa02f05aef327c782", (uint32_t)total, 10);
	assert_int_equal(enarx_evidence_add(ev, t, total), ENARX_E_MALFORMED);
	assert_int_equal(enarx_evidence_add(ev, t, 48), ENARX_E_MALFORMED);
	enarx_evidence_free(ev);
	free(t);
	OPENSSL_free(askd);
	OPENSSL_free(arkd);
	sk_X509_pop_free(a1, X509_free);
	sk_X509_pop_free(a2, X509_free);
	free(v.p);
	free(ask.p);
	free(ark.p);
}

/* ------------------------------------------------------------------ Intel */

typedef struct {
	const char *name, *quote;
	const char *extra[8];
	const char *at;
	bool trailing;
	int rc;
	enarx_tee tee;
	enarx_tcb_status status, platform, qe, module;
	const char *advisories; /* space separated, in order */
	bool debug;
	const char *policy_reject; /* default policy (when rc == 0) */
} intel_case;

#define PH_SGX "sgx/phala_sgx_icx/"
#define XEON "sgx/steward_icelake_xeon/"
#define I5 "sgx/steward_icelake_i5/"
#define SIGN2032 "tdx/phala_tdx_v4/collateral_split/tcb_signing_chain.pem"
#define SIGN2025 XEON "tcb_signing_cert_2018-2025.der"
#define SPR "tdx/gtdx_spr_v4/"

static const intel_case intel_cases[] = {
    {"phala_sgx_icx",
     PH_SGX "quote.bin",
     {PH_SGX "collateral.json"},
     "2025-07-01",
     false,
     0,
     ENARX_TEE_SGX,
     ENARX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
     ENARX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
     ENARX_TCB_UP_TO_DATE,
     ENARX_TCB_UNEVALUATED,
     "INTEL-SA-00289 INTEL-SA-00615",
     false,
     "sgx.tcb_status"},
    {"steward_icelake_xeon",
     XEON "quote.bin",
     {XEON "tcbinfo.json", SIGN2025, XEON "root_ca_crl.der", XEON "pck_platform_ca_crl.der",
      XEON "pck_processor_ca_crl.der"},
     "2023-02-01",
     false,
     0,
     ENARX_TEE_SGX,
     ENARX_TCB_OUT_OF_DATE,
     ENARX_TCB_OUT_OF_DATE,
     ENARX_TCB_UNEVALUATED,
     ENARX_TCB_UNEVALUATED,
     "INTEL-SA-00586 INTEL-SA-00614 INTEL-SA-00615 INTEL-SA-00657",
     false,
     "sgx.tcb_status"},
    {"steward_icelake_i5",
     I5 "quote.bin",
     {I5 "tcbinfo.json", SIGN2025, I5 "root_ca_crl.der", I5 "pck_platform_ca_crl.der",
      I5 "pck_processor_ca_crl.der"},
     "2023-02-01",
     false,
     0,
     ENARX_TEE_SGX,
     ENARX_TCB_OUT_OF_DATE,
     ENARX_TCB_OUT_OF_DATE,
     ENARX_TCB_UNEVALUATED,
     ENARX_TCB_UNEVALUATED,
     "INTEL-SA-00381 INTEL-SA-00389 INTEL-SA-00477 INTEL-SA-00289 INTEL-SA-00614 "
     "INTEL-SA-00617 INTEL-SA-00615 INTEL-SA-00657",
     false,
     "sgx.tcb_status"},
    {"trustee_occlum_debug",
     "sgx/trustee_occlum_debug/quote.bin",
     {NULL},
     "2025-07-01",
     false,
     0,
     ENARX_TEE_SGX,
     ENARX_TCB_UNEVALUATED,
     ENARX_TCB_UNEVALUATED,
     ENARX_TCB_UNEVALUATED,
     ENARX_TCB_UNEVALUATED,
     "",
     true,
     "allow_debug"},
    {"gtdx_spr_v4",
     SPR "quote_with_appended_junk.bin",
     {SPR "tcbinfo.json", SPR "qe_identity.json", SPR "root_ca_crl.der",
      SPR "pck_platform_ca_crl.der", SIGN2025},
     "2023-07-01",
     true,
     ENARX_E_ATTEST_TCB,
     ENARX_TEE_TDX,
     ENARX_TCB_NOT_SUPPORTED,
     ENARX_TCB_NOT_SUPPORTED,
     ENARX_TCB_UP_TO_DATE,
     ENARX_TCB_UP_TO_DATE,
     "",
     false,
     NULL},
    {"gtdx_emr_v5",
     "tdx/gtdx_emr_v5/quote.bin",
     {"tdx/gtdx_emr_v5/tcbinfo.json", SIGN2032},
     "2026-02-03",
     false,
     0,
     ENARX_TEE_TDX,
     ENARX_TCB_UP_TO_DATE,
     ENARX_TCB_UP_TO_DATE,
     ENARX_TCB_UNEVALUATED,
     ENARX_TCB_UP_TO_DATE,
     "",
     false,
     "tdx.require_qe_identity"},
    {"gtdx_gcp_cos113_v4",
     "tdx/gtdx_gcp_cos113_v4/quote_padded_8000.bin",
     {NULL},
     "2026-02-03",
     false,
     0,
     ENARX_TEE_TDX,
     ENARX_TCB_UNEVALUATED,
     ENARX_TCB_UNEVALUATED,
     ENARX_TCB_UNEVALUATED,
     ENARX_TCB_UNEVALUATED,
     "",
     false,
     "tdx.tcb_status"},
    {"phala_tdx_v4",
     "tdx/phala_tdx_v4/quote_padded.bin",
     {"tdx/phala_tdx_v4/collateral.json"},
     "2025-07-01",
     false,
     0,
     ENARX_TEE_TDX,
     ENARX_TCB_UP_TO_DATE,
     ENARX_TCB_UP_TO_DATE,
     ENARX_TCB_UP_TO_DATE,
     ENARX_TCB_UP_TO_DATE,
     "",
     false,
     NULL},
    {"phala_tdx_v5_outdated",
     "tdx/phala_tdx_v5_outdated/quote.bin",
     {"tdx/phala_tdx_v5_outdated/collateral.json"},
     "2026-03-01",
     false,
     ENARX_E_ATTEST_TCB,
     ENARX_TEE_TDX,
     ENARX_TCB_NOT_SUPPORTED,
     ENARX_TCB_NOT_SUPPORTED,
     ENARX_TCB_UP_TO_DATE,
     ENARX_TCB_UP_TO_DATE,
     "",
     false,
     NULL},
    {"trustee_q6_v4",
     "tdx/trustee_q6_v4/quote_padded.bin",
     {"tdx/trustee_q6_v4/tcbinfo.json", "tdx/trustee_q6_v4/qe_identity.json", SIGN2032},
     "2025-11-01",
     false,
     0,
     ENARX_TEE_TDX,
     ENARX_TCB_OUT_OF_DATE,
     ENARX_TCB_OUT_OF_DATE,
     ENARX_TCB_UP_TO_DATE,
     ENARX_TCB_UP_TO_DATE,
     "",
     false,
     "tdx.tcb_status"},
    {"trustee_q4_v4_debug",
     "tdx/trustee_q4_v4_debug/quote.bin",
     {SPR "tcbinfo.json", SPR "qe_identity.json", SPR "root_ca_crl.der",
      SPR "pck_platform_ca_crl.der", SIGN2025},
     "2023-07-01",
     false,
     0,
     ENARX_TEE_TDX,
     ENARX_TCB_UP_TO_DATE,
     ENARX_TCB_UP_TO_DATE,
     ENARX_TCB_UP_TO_DATE,
     ENARX_TCB_UP_TO_DATE,
     "",
     true,
     "allow_debug"},
    {"trustee_q5_v5_servicetd",
     "tdx/trustee_q5_v5_servicetd/quote.bin",
     {"tdx/phala_tdx_v5_outdated/collateral.json"},
     "2026-03-01",
     false,
     ENARX_E_ATTEST_TCB,
     ENARX_TEE_TDX,
     ENARX_TCB_NOT_SUPPORTED,
     ENARX_TCB_NOT_SUPPORTED,
     ENARX_TCB_UP_TO_DATE,
     ENARX_TCB_OUT_OF_DATE,
     "INTEL-SA-01036 INTEL-SA-01099",
     false,
     NULL},
};

static void test_intel_sample(void **state)
{
	const intel_case *t = *state;
	enarx_claims *c = NULL;
	int rc = verify_files(t->quote, t->extra, t->at, t->trailing, &c);
	if (rc != t->rc)
		fprintf(stderr, "# %s: %s\n", t->name, enarx_attest_error(A));
	assert_int_equal(rc, t->rc);
	assert_non_null(c);
	assert_int_equal(c->tee, t->tee);
	const enarx_intel_claims *q = &c->intel;
	assert_string_equal(enarx_tcb_status_name(q->tcb_status), enarx_tcb_status_name(t->status));
	assert_string_equal(enarx_tcb_status_name(q->platform_status),
	                    enarx_tcb_status_name(t->platform));
	assert_string_equal(enarx_tcb_status_name(q->qe_status), enarx_tcb_status_name(t->qe));
	if (t->tee == ENARX_TEE_TDX)
		assert_string_equal(enarx_tcb_status_name(q->module_status),
		                    enarx_tcb_status_name(t->module));
	char adv[512] = "";
	for (size_t i = 0; i < q->n_advisories; i++) {
		if (i)
			strncat(adv, " ", sizeof(adv) - strlen(adv) - 1);
		strncat(adv, q->advisories[i], sizeof(adv) - strlen(adv) - 1);
	}
	assert_string_equal(adv, t->advisories);
	assert_int_equal(c->debug, t->debug);
	if (t->rc == 0) {
		enarx_policy *p = enarx_policy_default();
		char why[512];
		rc = enarx_policy_check(p, c, why, sizeof(why));
		if (t->policy_reject) {
			assert_int_equal(rc, ENARX_E_ATTEST_POLICY);
			if (!strstr(why, t->policy_reject))
				fprintf(stderr, "# %s: %s\n", t->name, why);
			assert_non_null(strstr(why, t->policy_reject));
		} else {
			if (rc)
				fprintf(stderr, "# %s: %s\n", t->name, why);
			assert_int_equal(rc, 0);
		}
		enarx_policy_free(p);
	}
	enarx_claims_free(c);
}

static void test_sgx_fields(void **state)
{
	(void)state;
	const char *x[] = {PH_SGX "collateral.json", NULL};
	enarx_claims *c;
	assert_int_equal(verify_files(PH_SGX "quote.bin", x, "2025-07-01", false, &c), 0);
	char hx[65];
	hex_encode(c->intel.mrenclave, 32, hx);
	assert_string_equal(hx, "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb");
	hex_encode(c->intel.mrsigner, 32, hx);
	assert_string_equal(hx, "815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6");
	assert_memory_equal(c->report_data, "Hello, world!", 13);
	assert_int_equal(c->intel.qe_svn, 10);
	assert_int_equal(c->intel.pce_svn, 15);
	assert_int_equal(c->intel.pck_pcesvn, 13);
	hex_encode(c->intel.fmspc, 6, hx);
	assert_string_equal(hx, "00a067110000");
	assert_string_equal(c->intel.pck_ca, "processor");
	assert_true(c->revocation_checked);
	assert_int_equal(c->intel.tcb_eval_number, 17);
	/* A policy that accepts this status with exactly these advisories. */
	const char *pol =
	    "[sgx]\ntcb_status = [\"UpToDate\", \"ConfigurationAndSWHardeningNeeded\"]\n"
	    "allowed_advisories = [\"INTEL-SA-00289\", \"INTEL-SA-00615\"]\n"
	    "mrsigner = [\"815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6\"]\n";
	char err[256], why[512];
	enarx_policy *p = enarx_policy_parse(pol, strlen(pol), err, sizeof(err));
	assert_non_null(p);
	assert_int_equal(enarx_policy_check(p, c, why, sizeof(why)), 0);
	enarx_policy_free(p);
	/* One advisory not allowed. */
	const char *pol2 = "[sgx]\ntcb_status = [\"ConfigurationAndSWHardeningNeeded\"]\n"
	                   "allowed_advisories = [\"INTEL-SA-00289\"]\n";
	p = enarx_policy_parse(pol2, strlen(pol2), err, sizeof(err));
	assert_int_equal(enarx_policy_check(p, c, why, sizeof(why)), ENARX_E_ATTEST_POLICY);
	assert_non_null(strstr(why, "INTEL-SA-00615"));
	enarx_policy_free(p);
	enarx_claims_free(c);
}

static void test_intel_expired_collateral(void **state)
{
	(void)state;
	const char *x[] = {PH_SGX "collateral.json", NULL};
	/* Window 2025-06-19..2025-07-19. */
	assert_int_equal(verify_files(PH_SGX "quote.bin", x, "2025-08-01", false, NULL),
	                 ENARX_E_ATTEST_EXPIRED);
	assert_non_null(strstr(enarx_attest_error(A), "expired"));
	assert_int_equal(verify_files(PH_SGX "quote.bin", x, "2025-06-01", false, NULL),
	                 ENARX_E_ATTEST_EXPIRED);
	/* The 2018-2025 TCB signing certificate expired on 2025-05-21. */
	const char *y[] = {"tdx/trustee_q6_v4/tcbinfo.json", SIGN2025, NULL};
	assert_int_equal(
	    verify_files("tdx/trustee_q6_v4/quote_padded.bin", y, "2025-11-01", false, NULL),
	    ENARX_E_ATTEST_EXPIRED);
	/* No signing certificate at all. */
	const char *z[] = {"tdx/trustee_q6_v4/tcbinfo.json", NULL};
	assert_int_equal(
	    verify_files("tdx/trustee_q6_v4/quote_padded.bin", z, "2025-11-01", false, NULL),
	    ENARX_E_ATTEST_COLLATERAL);
}

static void test_intel_collateral_mismatch(void **state)
{
	(void)state;
	/* SGX TCB info for a TDX quote; another FMSPC's TCB info. */
	const char *x[] = {PH_SGX "collateral.json", NULL};
	assert_int_equal(
	    verify_files("tdx/phala_tdx_v4/quote_padded.bin", x, "2025-07-01", false, NULL),
	    ENARX_E_ATTEST_COLLATERAL);
	const char *y[] = {"tdx/phala_tdx_v4/collateral.json", NULL};
	assert_int_equal(
	    verify_files("tdx/trustee_q6_v4/quote_padded.bin", y, "2025-07-01", false, NULL),
	    ENARX_E_ATTEST_COLLATERAL);
	assert_non_null(strstr(enarx_attest_error(A), "FMSPC"));
	/* SGX QE identity against a TD quote: id QE != TD_QE. */
	const char *z[] = {"tdx/phala_tdx_v4/collateral.json", NULL};
	enarx_evidence *ev = bundle("tdx/phala_tdx_v4/quote_padded.bin", z, false);
	blob sgxcol = load(PH_SGX "collateral.json");
	enarx_evidence *ev2 = enarx_evidence_new();
	assert_int_equal(enarx_evidence_add(ev2, sgxcol.p, sgxcol.n), 0);
	/* swap in the SGX QE identity */
	attest_signed_json tmp = ev->qe_identity;
	ev->qe_identity = ev2->qe_identity;
	ev2->qe_identity = tmp;
	enarx_claims *c = NULL;
	assert_int_equal(enarx_attest_verify(A, ev, T("2025-07-01"), &c),
	                 ENARX_E_ATTEST_COLLATERAL);
	assert_non_null(strstr(enarx_attest_error(A), "TD_QE"));
	free(sgxcol.p);
	enarx_evidence_free(ev);
	enarx_evidence_free(ev2);
}

static void test_intel_trailing(void **state)
{
	(void)state;
	/* gtdx junk: rejected unless trailing data is allowed; zero padding always accepted. */
	assert_int_equal(
	    verify_files(SPR "quote_with_appended_junk.bin", NULL, "2023-07-01", false, NULL),
	    ENARX_E_ATTEST_FORMAT);
	assert_non_null(strstr(enarx_attest_error(A), "trailing"));
	enarx_claims *c;
	assert_int_equal(
	    verify_files(SPR "quote_with_appended_junk.bin", NULL, "2023-07-01", true, &c), 0);
	assert_int_equal(c->intel.trailing_bytes, 39);
	enarx_claims_free(c);
	assert_int_equal(verify_files("tdx/gtdx_gcp_cos113_v4/quote_padded_8000.bin", NULL,
	                              "2026-02-03", false, &c),
	                 0);
	assert_int_equal(c->intel.trailing_bytes, 3065);
	enarx_claims_free(c);
}

static void test_tdx_fields(void **state)
{
	(void)state;
	enarx_claims *c;
	assert_int_equal(
	    verify_files("tdx/trustee_q6_v4/quote_padded.bin", NULL, "2025-11-01", false, &c), 0);
	char hx[97];
	hex_encode(c->intel.mrconfigid, 4, hx);
	assert_string_equal(hx, "889abf47");
	assert_int_equal(c->intel.tee_tcb_svn[0], 5);
	assert_int_equal(c->intel.tee_tcb_svn[1], 3);
	enarx_claims_free(c);
	assert_int_equal(
	    verify_files("tdx/trustee_q5_v5_servicetd/quote.bin", NULL, "2026-03-01", false, &c),
	    0);
	assert_int_equal(c->intel.version, 5);
	assert_int_equal(c->intel.body_type, 3);
	hex_encode(c->intel.mrservicetd, 4, hx);
	assert_string_equal(hx, "383c87d3");
	/* Policy: a service-TD-bound TD is rejected unless allowed. */
	const char *pol = "[tdx]\ntcb_status = [\"Unevaluated\"]\nrequire_qe_identity = false\n";
	char err[128], why[512];
	enarx_policy *p = enarx_policy_parse(pol, strlen(pol), err, sizeof(err));
	assert_non_null(p);
	assert_int_equal(enarx_policy_check(p, c, why, sizeof(why)), ENARX_E_ATTEST_POLICY);
	assert_non_null(strstr(why, "allow_service_td"));
	enarx_policy_free(p);
	enarx_claims_free(c);
	/* SEPT_VE_DISABLE not set on the SPR quote. */
	assert_int_equal(
	    verify_files(SPR "quote_with_appended_junk.bin", NULL, "2023-07-01", true, &c), 0);
	assert_false((c->intel.td_attributes >> 28) & 1);
	p = enarx_policy_parse(pol, strlen(pol), err, sizeof(err));
	assert_int_equal(enarx_policy_check(p, c, why, sizeof(why)), ENARX_E_ATTEST_POLICY);
	assert_non_null(strstr(why, "sept_ve_disable"));
	enarx_policy_free(p);
	enarx_claims_free(c);
}

int main(void)
{
	size_t ns = sizeof(snp_cases) / sizeof(snp_cases[0]);
	size_t ni = sizeof(intel_cases) / sizeof(intel_cases[0]);
	static const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(test_snp_vlek_expired),
	    cmocka_unit_test(test_snp_provisional_firmware),
	    cmocka_unit_test(test_snp_wrong_vcek),
	    cmocka_unit_test(test_snp_negative_certs),
	    cmocka_unit_test(test_snp_foreign_ark),
	    cmocka_unit_test(test_snp_crl),
	    cmocka_unit_test(test_snp_revoked_genoa_ask),
	    cmocka_unit_test(test_snp_turin_vcek_only),
	    cmocka_unit_test(test_snp_parse_errors),
	    cmocka_unit_test(test_snp_azure_hcl),
	    cmocka_unit_test(test_snp_ghcb_cert_table),
	    cmocka_unit_test(test_sgx_fields),
	    cmocka_unit_test(test_intel_expired_collateral),
	    cmocka_unit_test(test_intel_collateral_mismatch),
	    cmocka_unit_test(test_intel_trailing),
	    cmocka_unit_test(test_tdx_fields),
	};
	size_t nf = sizeof(fixed) / sizeof(fixed[0]);
	struct CMUnitTest *tests = calloc(ns + ni + nf, sizeof(*tests));
	char(*names)[80] = calloc(ns + ni, 80);
	if (!tests || !names)
		return 1;
	size_t k = 0;
	for (size_t i = 0; i < ns; i++, k++) {
		snprintf(names[k], 80, "snp sample %s", snp_cases[i].name);
		tests[k] = (struct CMUnitTest){names[k], test_snp_sample, NULL, NULL,
		                               (void *)&snp_cases[i]};
	}
	for (size_t i = 0; i < ni; i++, k++) {
		snprintf(names[k], 80, "intel sample %s", intel_cases[i].name);
		tests[k] = (struct CMUnitTest){names[k], test_intel_sample, NULL, NULL,
		                               (void *)&intel_cases[i]};
	}
	for (size_t i = 0; i < nf; i++)
		tests[k++] = fixed[i];
	int rc = _cmocka_run_group_tests("attest samples", tests, k, setup, teardown);
	free(tests);
	free(names);
	return rc;
}
