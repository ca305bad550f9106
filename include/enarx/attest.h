/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enarx attest: verify TEE evidence (AMD SEV-SNP reports, Intel SGX DCAP
 * quotes v3, Intel TDX quotes v4/v5, KVM "no hardware" evidence) against
 * pinned vendor roots, certificates, CRLs and Intel collateral; expose the
 * evidence as claims; judge claims against a declarative (TOML) policy.
 * See docs/attestation.md for formats and every check performed.
 */
#ifndef ENARX_ATTEST_H
#define ENARX_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
	ENARX_TEE_NONE = 0,
	ENARX_TEE_KVM, /* our own KVM Keeps: insecure, no hardware root */
	ENARX_TEE_SNP,
	ENARX_TEE_SGX,
	ENARX_TEE_TDX,
} enarx_tee;

/* Intel TCB status, ordered as Intel's QVL reports them. */
typedef enum {
	ENARX_TCB_UNEVALUATED = 0, /* no collateral given: status unknown */
	ENARX_TCB_UP_TO_DATE,
	ENARX_TCB_SW_HARDENING_NEEDED,
	ENARX_TCB_CONFIGURATION_NEEDED,
	ENARX_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
	ENARX_TCB_OUT_OF_DATE,
	ENARX_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
	ENARX_TCB_TD_RELAUNCH_ADVISED,
	ENARX_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED,
	ENARX_TCB_REVOKED,
	ENARX_TCB_NOT_SUPPORTED, /* no matching TCB level */
} enarx_tcb_status;

/* Name as used in Intel collateral ("UpToDate", ...); "Unevaluated"/"NotSupported". */
const char *enarx_tcb_status_name(enarx_tcb_status s);

#define ENARX_ATTEST_MAX_ADVISORIES 64

/* SNP TCB_VERSION decoded (layout depends on the product: Turin differs). */
typedef struct {
	uint8_t bl, tee, snp, ucode, fmc;
	uint64_t raw;
} enarx_snp_tcb;

typedef struct {
	uint32_t version, guest_svn, vmpl, sig_algo, key_info;
	uint64_t policy, platform_info;
	uint8_t family_id[16], image_id[16];
	enarx_snp_tcb current_tcb, reported_tcb, committed_tcb, launch_tcb;
	uint8_t measurement[48], host_data[32], id_key_digest[48];
	uint8_t author_key_digest[48], report_id[32], report_id_ma[32];
	uint8_t chip_id[64];
	uint8_t cpuid_fam, cpuid_mod, cpuid_step; /* v3+ only */
	uint8_t current_major, current_minor, current_build;
	uint8_t committed_major, committed_minor, committed_build;
	uint64_t launch_mit_vector, current_mit_vector; /* v5+ only */
	char *hcl_runtime_claims; /* Azure HCL report: runtime claims JSON bound by REPORT_DATA */
	char product[8];          /* "Milan", "Genoa", "Turin" */
	char signer[8];           /* "VCEK", "VLEK" */
	bool chip_id_checked;
} enarx_snp_claims;

typedef struct {
	uint16_t version, att_key_type, qe_svn, pce_svn;
	uint32_t tee_type;
	uint8_t qe_vendor_id[16];
	/* SGX enclave report (v3) */
	uint8_t cpusvn[16];
	uint32_t miscselect;
	uint8_t attributes[16];
	uint8_t mrenclave[32], mrsigner[32];
	uint8_t config_id[64], isv_ext_prod_id[16], isv_family_id[16];
	uint16_t isv_prod_id, isv_svn, config_svn;
	/* TDX TD report (v4/v5) */
	uint16_t body_type; /* v5 body descriptor type; 2 for v4 */
	uint8_t tee_tcb_svn[16], tee_tcb_svn2[16];
	uint8_t mrseam[48], mrsignerseam[48];
	uint64_t seam_attributes, td_attributes, xfam;
	uint8_t mrtd[48], mrconfigid[48], mrowner[48], mrownerconfig[48];
	uint8_t rtmr[4][48], mrservicetd[48];
	/* platform (PCK certificate) */
	uint8_t fmspc[6], pceid[2];
	uint8_t pck_svn[16];
	uint16_t pck_pcesvn;
	char pck_ca[12]; /* "platform" or "processor" */
	/* TCB evaluation */
	enarx_tcb_status tcb_status, platform_status, qe_status, module_status;
	char tcb_date[32];
	char *advisories[ENARX_ATTEST_MAX_ADVISORIES];
	size_t n_advisories;
	int64_t tcb_eval_number;
	time_t collateral_expiry; /* earliest nextUpdate/notAfter seen, 0 if none */
	bool qe_identity_checked, tcb_info_checked;
	size_t trailing_bytes; /* bytes after the declared signature data */
} enarx_intel_claims;

/* KVM Keep evidence (docs/kvm-keep.md): unsigned, so only informative. */
typedef struct {
	uint32_t version, flags; /* flags bit 0: INSECURE (always set by the shim) */
	uint8_t measurement[48]; /* launch digest the host reported to the shim */
	bool present;            /* false for Enarx's empty CSR extension */
} enarx_kvm_claims;

/* Everything a verifier learned. report_data is the 64 bytes of user data. */
typedef struct enarx_claims {
	enarx_tee tee;
	bool insecure;           /* KVM: no hardware root of trust */
	bool debug;              /* SNP policy DEBUG / SGX ATTRIBUTES.DEBUG / TD DEBUG */
	bool revocation_checked; /* a CRL covered every CA in the chains used */
	uint8_t report_data[64];
	enarx_snp_claims snp;
	enarx_intel_claims intel;
	enarx_kvm_claims kvm;
} enarx_claims;

void enarx_claims_free(enarx_claims *c);
/* JSON text of the claims (malloc'd, caller frees); NULL on allocation failure. */
char *enarx_claims_json(const enarx_claims *c);

/* ---- evidence bundle: the evidence bytes plus whatever came with it ---- */
typedef struct enarx_evidence enarx_evidence;

enarx_evidence *enarx_evidence_new(void);
void enarx_evidence_free(enarx_evidence *ev);
/* Raw report/quote (SNP report, Intel quote) or a CSR (detected). Copied. */
int enarx_evidence_set(enarx_evidence *ev, enarx_tee tee, const uint8_t *p, size_t n);
/*
 * Detect the type from the bytes: a 1184-byte SNP report, an Azure HCL report
 * ("HCLA": an SNP report plus runtime claims whose hash REPORT_DATA carries),
 * an Intel quote header, or KVM evidence from an Enarx KVM Keep (128 bytes:
 * "ENXKVMv1", version u32le 1, flags u32le with bit 0 INSECURE set, the
 * 48-byte SHA-384 launch measurement, the 64-byte REPORT_DATA; the one
 * definition is struct keep_kvm_evidence in the source tree's src/keep/abi.h).
 */
int enarx_evidence_set_auto(enarx_evidence *ev, const uint8_t *p, size_t n);
/*
 * Add supporting material; the type is detected: PEM/DER certificates (one or
 * many, PkiPath), DER/PEM CRLs, Intel TCB info / QE identity JSON (PCS form
 * {"tcbInfo":..,"signature":..}), or a QuoteCollateralV3 JSON bundle.
 */
int enarx_evidence_add(enarx_evidence *ev, const uint8_t *p, size_t n);
/* Quote padding: trailing zero bytes are always accepted; other trailing bytes only if set. */
void enarx_evidence_allow_trailing_data(enarx_evidence *ev, bool allow);

/* ---- verifier: pinned roots and caches (one context per thread) ---- */
typedef struct enarx_attest enarx_attest;

enarx_attest *enarx_attest_new(void);
void enarx_attest_free(enarx_attest *a);
/* Detail of the last failure, e.g. "SNP: VCEK blSPL 2 != REPORTED_TCB.bl 3". */
const char *enarx_attest_error(const enarx_attest *a);

/*
 * Verify evidence at time `at` (0 = now). On success returns 0 and *out holds
 * the claims (caller frees). On failure returns a negative ENARX_E_* code, the
 * detail is in enarx_attest_error(); *out is still set (claims parsed so far)
 * when the failure is a TCB result (no matching TCB level, expired collateral)
 * so callers can show them, else NULL.
 */
int enarx_attest_verify(enarx_attest *a, const enarx_evidence *ev, time_t at, enarx_claims **out);

/* ---- policy ---- */
typedef struct enarx_policy enarx_policy;

/* The default policy: SNP/SGX/TDX, UpToDate only, no debug, VMPL 0, no MA, no KVM. */
enarx_policy *enarx_policy_default(void);
/* Parse a TOML policy; on error returns NULL and writes "line N: ..." to err. */
enarx_policy *enarx_policy_parse(const char *text, size_t len, char *err, size_t errlen);
void enarx_policy_free(enarx_policy *p);
/*
 * 0 when the claims satisfy the policy; else ENARX_E_ATTEST_POLICY and `why`
 * names the rule and the values seen, e.g. "snp.debug: policy forbids debug;
 * report POLICY.DEBUG=1".
 */
int enarx_policy_check(const enarx_policy *p, const enarx_claims *c, char *why, size_t whylen);
/* Name of the runtime whose measurement (in [measurements.TEE]) matched, or NULL. */
const char *enarx_policy_runtime(const enarx_policy *p, const enarx_claims *c);
/* Require report_data to equal `rd` (n <= 64; the rest must be zero). */
int enarx_policy_require_report_data(enarx_policy *p, const uint8_t *rd, size_t n);

/* ---- key binding ---- */
/*
 * The Enarx binding: REPORT_DATA = SHA-384(SPKI DER) || 16 zero bytes for SNP,
 * SHA-256(SPKI DER) || 32 zero bytes for SGX, TDX and KVM. With a nonce
 * (n > 0), the hash covers SPKI DER || nonce.
 */
int enarx_attest_binding(enarx_tee tee, const uint8_t *spki, size_t spki_len, const uint8_t *nonce,
                         size_t nonce_len, uint8_t out[64]);

/*
 * Read an Enarx CSR (PKCS#10 with evidence in an extension
 * 1.3.6.1.4.1.58270.1.{1,2,3}), check its self-signature, verify the evidence,
 * check the key type (P-384 SNP, P-256 SGX) and the binding of the CSR key to
 * REPORT_DATA like Enarx's Steward. *out as for enarx_attest_verify.
 */
int enarx_attest_verify_csr(enarx_attest *a, const uint8_t *der, size_t n, time_t at,
                            enarx_claims **out);

#ifdef __cplusplus
}
#endif
#endif
