/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal interfaces of src/attest: the verifier context, the evidence
 * bundle, DER and X.509 helpers, and the per-TEE verifiers. Not installed;
 * unit tests include it to test pieces (chains, CRLs, TCB levels) directly.
 */
#ifndef ENARX_ATTEST_INT_H
#define ENARX_ATTEST_INT_H

#include <enarx/attest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>

#include "lib/cursor.h"
#include "lib/err.h"
#include "lib/toml.h"

/* ---- SEV-SNP report fields (AMD SEV-SNP ABI spec: GUEST_POLICY,
 * PLATFORM_INFO, KEY_INFO, TCB_VERSION), named once for snp.c, policy.c and
 * claims.c ---- */
#define SNP_POLICY_ABI_MINOR(pol) ((unsigned)((pol)&0xff))
#define SNP_POLICY_ABI_MAJOR(pol) ((unsigned)(((pol) >> 8) & 0xff))
#define SNP_POLICY_SMT (1ull << 16)
#define SNP_POLICY_RESERVED_ONE (1ull << 17) /* must be 1 */
#define SNP_POLICY_MIGRATE_MA (1ull << 18)
#define SNP_POLICY_DEBUG (1ull << 19)
#define SNP_POLICY_SINGLE_SOCKET (1ull << 20)
#define SNP_POLICY_RESERVED_SHIFT 26 /* bits 26-63 must be 0 */
#define SNP_PLATFORM_INFO_SMT_EN (1ull << 0)
#define SNP_KEY_INFO_AUTHOR_KEY_EN (1u << 0)
#define SNP_KEY_INFO_MASK_CHIP_KEY (1u << 1)
#define SNP_KEY_INFO_SIGNING_KEY(ki) (((ki) >> 2) & 7) /* 0 VCEK, 1 VLEK, 7 none */
#define SNP_KEY_INFO_RESERVED_SHIFT 5                  /* bits 5-31 must be 0 */
#define SNP_SIGNING_KEY_NONE 7
/* TCB_VERSION byte of each component: Milan and Genoa ... */
#define SNP_TCB_BL 0
#define SNP_TCB_TEE 1
#define SNP_TCB_SNP 6
#define SNP_TCB_UCODE 7
/* ... and Turin (adds FMC; UCODE stays in byte 7). */
#define SNP_TCB_TURIN_FMC 0
#define SNP_TCB_TURIN_BL 1
#define SNP_TCB_TURIN_TEE 2
#define SNP_TCB_TURIN_SNP 3
/* A firmware version as one comparable number (major.minor.build). */
#define SNP_FW_VERSION(maj, min, build) \
	((unsigned)(maj) << 16 | (unsigned)(min) << 8 | (unsigned)(build))

/* TDX TDATTRIBUTES.SEPT_VE_DISABLE (Intel TDX module spec). */
#define TDX_ATTR_SEPT_VE_DISABLE (1ull << 28)

/* Policy files' TOML dialect (lib/toml.h flags): [a.b] tables, 0x integers,
 * mixed and nested arrays. */
#define POLICY_TOML_DIALECT \
	(ETOML_DOTTED_TABLES | ETOML_HEX_INTS | ETOML_MIXED_ARRAYS | ETOML_NESTED_ARRAYS)

/* ---- error detail ---- */
typedef struct {
	char msg[512];
} attest_err;

/* Formats the detail into e and returns rc (a negative ENARX_E_*). */
int aerr(attest_err *e, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- blobs in an evidence bundle ---- */
typedef struct {
	uint8_t *p;
	size_t n;
} attest_bytes;

typedef struct {
	attest_bytes *v;
	size_t n;
} attest_bytes_list;

/* Signed Intel collateral document: exact signed text plus raw r||s. */
typedef struct {
	char *body; /* NUL-terminated copy of the exact signed JSON text */
	size_t body_len;
	uint8_t sig[64];
	bool present;
} attest_signed_json;

struct enarx_evidence {
	enarx_tee tee;
	attest_bytes data;             /* report / quote / CSR */
	attest_bytes_list certs, crls; /* DER each */
	attest_signed_json tcb_info, qe_identity;
	attest_bytes hcl_claims; /* Azure HCL runtime claims (variable data) */
	uint32_t hcl_hash_type;  /* 1 SHA-256, 2 SHA-384, 3 SHA-512 */
	bool allow_trailing;
};

/* ---- verifier context and caches ---- */
#define ATTEST_CACHE_SLOTS 32

typedef struct {
	uint8_t key[32]; /* SHA-256 over the inputs that decided the result */
	bool used;
	time_t lo, hi; /* the cached result holds for lo <= at <= hi */
	/* SNP signing key */
	EVP_PKEY *pkey;
	int product; /* index into attest_pinned_amd */
	int signer;  /* 0 VCEK, 1 VLEK */
	int spl[5];  /* bl tee snp ucode fmc; -1 if absent */
	uint8_t hwid[64];
	size_t hwid_len;
	bool crl_checked;
	/* Intel PCK chain */
	uint8_t fmspc[6], pceid[2], pck_svn[16];
	uint16_t pcesvn;
	char pck_ca[12];
	/* Intel collateral signature */
	time_t expiry;
} attest_cache_entry;

struct enarx_attest {
	attest_err err;
	X509 *ark[3], *ask[3], *asvk[3];
	EVP_PKEY *ark_key[3], *ask_key[3], *asvk_key[3];
	X509 *intel_root;
	EVP_PKEY *intel_root_key;
	attest_cache_entry snp_cache[ATTEST_CACHE_SLOTS];
	attest_cache_entry pck_cache[ATTEST_CACHE_SLOTS];
	attest_cache_entry col_cache[ATTEST_CACHE_SLOTS];
	unsigned snp_next, pck_next, col_next;
	uint64_t cache_hits, cache_misses;
};

attest_cache_entry *attest_cache_find(attest_cache_entry *tab, const uint8_t key[32], time_t at);
attest_cache_entry *attest_cache_slot(attest_cache_entry *tab, unsigned *next);
void attest_cache_entry_clear(attest_cache_entry *ce);

/* ---- DER reading (over lib/cursor) ---- */
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_ENUMERATED 0x0a
#define DER_UTF8 0x0c
#define DER_SEQUENCE 0x30
#define DER_SET 0x31

/* Reads one TLV with a one-byte tag and a definite length; *val is its content. */
int der_read(struct cursor *c, uint8_t *tag, struct cursor *val);
/* Reads a TLV whose tag must equal `tag`. */
int der_expect(struct cursor *c, uint8_t tag, struct cursor *val);
/* Reads a non-negative INTEGER that fits in 63 bits. */
int der_uint(struct cursor *c, uint64_t *v);
/* Start (pointer) and total length of the next TLV, without consuming it. */
int der_peek_tlv(const struct cursor *c, const uint8_t **p, size_t *n);

/* ---- X.509 helpers ---- */
/* Parses one or more certificates: DER, PkiPath (SEQUENCE OF Certificate) or PEM. */
int attest_parse_certs(const uint8_t *p, size_t n, STACK_OF(X509) * *out);
/* Splits a strictly laid out PEM certificate bundle into DER blobs (no parsing). */
int attest_pem_split(const uint8_t *p, size_t n, attest_bytes_list *out);
/* 1 if cert is valid at `at` (notBefore <= at <= notAfter), else 0. */
int attest_cert_time_ok(X509 *x, time_t at);
/* Checks child's signature with issuer's key and the issuer/subject names. */
int attest_cert_signed_by(X509 *child, X509 *issuer, EVP_PKEY *issuer_key, attest_err *e,
                          const char *what);
/* Time window [lo, hi] of a certificate. */
void attest_cert_window(X509 *x, time_t *lo, time_t *hi);
/* Common name of the subject into buf ("" if none). */
void attest_cert_cn(X509 *x, char *buf, size_t n);
/*
 * Checks `cert` (issued by `issuer`) against every CRL in crls issued by
 * `issuer`: signature, time, serial. *covered = true if a usable CRL was found.
 * Narrows [*lo, *hi] to the CRL's validity. ENARX_E_ATTEST_REVOKED/EXPIRED.
 */
int attest_crl_check(X509 *cert, X509 *issuer, EVP_PKEY *issuer_key, const attest_bytes_list *crls,
                     time_t at, bool *covered, time_t *lo, time_t *hi, attest_err *e,
                     const char *what);
/* Extension value (extnValue octets) by dotted OID, or NULL. */
const ASN1_OCTET_STRING *attest_ext(X509 *x, const char *oid);
/*
 * ECDSA verification of msg with raw r and s of rs_len bytes each,
 * big-endian (le = false) or little-endian (le = true). 0 or
 * ENARX_E_ATTEST_SIGNATURE.
 */
int attest_ecdsa_verify(EVP_PKEY *key, const EVP_MD *md, const uint8_t *msg, size_t n,
                        const uint8_t *r, const uint8_t *s, size_t rs_len, bool le);
/* EC P-256 public key from a raw 64-byte x||y. NULL if not on the curve. */
EVP_PKEY *attest_p256_from_xy(const uint8_t xy[64]);
/* Parses "YYYY-MM-DDTHH:MM:SSZ" (optionally with fractional seconds). */
int attest_parse_time(const char *s, time_t *out);
void attest_format_time(time_t t, char *buf, size_t n);
/* DER of a CRL or certificate from PEM or DER input; 0 if it is one. */
int attest_is_crl(const uint8_t *p, size_t n);

int attest_sha256(const void *p, size_t n, uint8_t out[32]);
int attest_sha384(const void *p, size_t n, uint8_t out[48]);

/* ---- per-TEE verification ---- */
int attest_snp_verify(enarx_attest *a, const enarx_evidence *ev, time_t at, enarx_claims *c);
int attest_intel_verify(enarx_attest *a, const enarx_evidence *ev, time_t at, enarx_claims *c);
int attest_kvm_verify(enarx_attest *a, const enarx_evidence *ev, time_t at, enarx_claims *c);

/* SNP pieces exposed for tests. */
int attest_snp_parse(const uint8_t *p, size_t n, enarx_snp_claims *s, uint8_t report_data[64],
                     attest_err *e);
/* Checks an ASK/ASVK against the pinned ARK of `product` and the CRLs. */
int attest_snp_check_ca(enarx_attest *a, int product, X509 *ca, const attest_bytes_list *crls,
                        time_t at, bool *crl_checked, attest_err *e);
int attest_snp_product_index(const char *name);

/* Intel collateral (collateral.c). */
typedef struct attest_tcb_info attest_tcb_info;
typedef struct attest_qe_identity attest_qe_identity;

/* Verifies the signature + signing chain of a collateral document at `at`. */
int attest_collateral_verify_sig(enarx_attest *a, const enarx_evidence *ev,
                                 const attest_signed_json *doc, time_t at, time_t *expiry,
                                 attest_err *e, const char *what);
/* Computes the TCB status into c->intel from the quote fields already in c. */
int attest_intel_tcb_eval(enarx_attest *a, const enarx_evidence *ev, time_t at, enarx_claims *c,
                          attest_err *e, const uint8_t *qe_report);
/* Parses the SGX extensions of a PCK certificate (FMSPC, PCE-ID, TCB SVNs). */
int attest_pck_extensions(X509 *pck, enarx_intel_claims *q);
/* Evaluates collateral documents without their signatures (fuzzing, tests). */
int attest_eval_collateral_json(const char *tcb_info, size_t tlen, const char *qe_identity,
                                size_t qlen, const uint8_t *qe_report, time_t at, enarx_claims *c,
                                attest_err *e);
/* Finds the exact text of the value of top-level member `key` in a JSON object. */
int attest_json_member_span(const char *text, size_t len, const char *key, size_t *off,
                            size_t *vlen);
/* Adds a collateral JSON document (PCS form or QuoteCollateralV3) to ev. */
int attest_evidence_add_json(enarx_evidence *ev, const uint8_t *p, size_t n);
int attest_bytes_list_add(attest_bytes_list *l, const uint8_t *p, size_t n);

/* Claims helpers. */
/* 0, ENARX_E_NOMEM, or ENARX_E_ATTEST_COLLATERAL (more than the claims can hold). */
int attest_claims_add_advisory(enarx_claims *c, const char *id);

#endif
