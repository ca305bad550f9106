/* SPDX-License-Identifier: Apache-2.0 */
/* Steward's claims arc and claim numbers (docs/steward.md "The claims
 * extension"): the one home of these OIDs, header only, for Steward (which
 * issues them), the attestation library and the executor (a Keep reports
 * its workload digest under .7 in its CSR) and `enarx deploy --steward`
 * (which reads them). */
#ifndef ENARX_STEWARD_ARC_H
#define ENARX_STEWARD_ARC_H

/* The claims arc: 2.25.<UUID 6b9429f5-e1b7-4b21-b112-f7543f487fb9 as an
 * integer> (ITU-T X.667: needs no registration). */
#define STEWARD_ARC "2.25.142996706543598434036760381055650267065"

/* Claim extensions under STEWARD_ARC (the sub-identifier is the value). */
enum steward_claim {
	STEWARD_C_CLAIMS_JSON = 1,  /* UTF8String: the verifier's claims JSON */
	STEWARD_C_TEE = 2,          /* UTF8String: "snp", "sgx", "tdx", "kvm" */
	STEWARD_C_TEE_VERSION = 3,  /* UTF8String: TEE product and TCB version */
	STEWARD_C_TCB_STATUS = 4,   /* UTF8String: Intel status, "n/a" for SNP/KVM */
	STEWARD_C_RUNTIME = 5,      /* UTF8String: runtime name from reference values */
	STEWARD_C_MEASUREMENT = 6,  /* OCTET STRING: runtime launch measurement */
	STEWARD_C_WORKLOAD = 7,     /* OCTET STRING: workload digest (when reported) */
	STEWARD_C_INSECURE = 8,     /* BOOLEAN: no hardware root of trust (KVM) */
	STEWARD_C_DEBUG = 9,        /* BOOLEAN: debug TEE */
	STEWARD_C_EVIDENCE = 10,    /* OCTET STRING: SHA-256 of the CSR (evidence) */
	STEWARD_C_VERIFIED_AT = 11, /* UTF8String: verification time, RFC 3339 */
	STEWARD_C_TIME_FIXED = 12,  /* BOOLEAN: verification time fixed by --at */
	STEWARD_C__MAX = 12,
};

/* The OID of claim N as a string literal: STEWARD_OID("7"). */
#define STEWARD_OID(n) STEWARD_ARC "." n

#endif
