/* SPDX-License-Identifier: Apache-2.0 */
/* Steward: the attestation service that certifies Keeps (a CA whose
 * certificates state the verified claims) and releases secrets only to them
 * (a key broker sealing with HPKE to the Keep's key). docs/steward.md
 * documents the API, the claims extension, the policies and the state.
 *
 * Pieces: ca.c (the CA and certificate issuance; only the signer process
 * and `enarx steward init` hold the CA key), signer.c (that process and its
 * channel), claims.c (the claims extension under STEWARD_ARC, the claim set
 * and the secret policy), db.c (audit log and state in SQLite or
 * PostgreSQL), serve.c (the HTTPS front), conf.c (configuration). */
#ifndef ENARX_STEWARD_STEWARD_H
#define ENARX_STEWARD_STEWARD_H

#include <enarx/attest.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/buf.h"

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

/* Not a claim: the subjectAltName the Keep asked for in its CSR (DER
 * GeneralNames, re-encoded by the front from DNS names and IP addresses
 * only), which the signer copies into a Keep certificate as is. */
#define STEWARD_X_SAN 100u
#define STEWARD_SAN_MAX 16 /* names */
#define STEWARD_SAN_DER_MAX 2048

/* Largest value of one claim extension (the JSON dominates). */
#define STEWARD_CLAIM_MAX (24u << 10)

/* What a certificate (or a fresh verification) says about a Keep. */
struct steward_claimset {
	char tee[8];
	char tee_version[96];
	char tcb_status[64];
	char runtime[128];
	uint8_t measurement[48];
	size_t measurement_len;
	uint8_t workload[64];
	size_t workload_len;
	bool insecure, debug, time_fixed;
	uint8_t evidence[32];
	char verified_at[32];
	char *claims_json;                /* malloc'd */
	uint8_t san[STEWARD_SAN_DER_MAX]; /* the Keep's requested names (not a claim) */
	size_t san_len;
};

void steward_claimset_free(struct steward_claimset *cs);

/* From verified claims; runtime may be NULL ("unknown"). */
int steward_claimset_from(const enarx_claims *c, const char *runtime, const uint8_t evidence[32],
                          time_t at, bool fixed, struct steward_claimset *out);

/* The DER value of claim extension id (caller frees *der). */
int steward_claim_der(const struct steward_claimset *cs, enum steward_claim id, uint8_t **der,
                      size_t *len);

/* Reads the claim extensions of a certificate Steward issued. Returns 0 or
 * ENARX_E_MALFORMED with why naming the extension. */
int steward_claimset_from_cert(X509 *cert, struct steward_claimset *out, char *why, size_t whylen);

/* Secret release policy (JSON, docs/steward.md): checks the fields. */
int steward_secret_policy_check_syntax(const json_t *pol, char *why, size_t whylen);
/* 0 if cs meets pol, else ENARX_E_ATTEST_POLICY with why naming the rule
 * and the value seen. */
int steward_secret_policy_eval(const json_t *pol, const struct steward_claimset *cs, char *why,
                               size_t whylen);

/* ---- CA (ca.c) ---- */

/* Creates DIR/ca-cert.pem and DIR/ca-key.pem (0600, O_EXCL) if absent, or
 * loads them. *created says which. Returns 0 or an error with err set. */
int steward_ca_load(const char *dir, bool create, X509 **cert, EVP_PKEY **key, bool *created,
                    char *err, size_t errlen);

/* Public key of a Keep or of the server, as the signer gets it. */
enum steward_kind { STEWARD_KIND_KEEP = 0, STEWARD_KIND_SERVER = 1 };

struct steward_ext {
	uint32_t id; /* enum steward_claim */
	const uint8_t *der;
	size_t len;
};

/* Issues a certificate for pub (EC point, uncompressed, on curve nid) under
 * the CA, valid [nb, na], with the claim extensions given. Returns 0 and
 * *der (caller frees) or an error with err set. */
int steward_ca_issue(X509 *ca, EVP_PKEY *cakey, enum steward_kind kind, int nid,
                     const uint8_t *point, size_t point_len, time_t nb, time_t na,
                     const struct steward_ext *exts, size_t nexts, uint8_t **der, size_t *len,
                     char *err, size_t errlen);

/* "AA:BB:..." SHA-256 fingerprint of a certificate. */
void steward_fingerprint(X509 *cert, char out[96]);

/* RFC 3339 UTC text of t. */
void steward_time_text(time_t t, char out[32]);

/* ---- Signer process (signer.c) ---- */
struct steward_signer;

/* Forks the signer: it loads (or creates) the CA in dir and then answers
 * signing requests; the CA key never enters this process. */
int steward_signer_start(const char *dir, struct steward_signer **out, char *err, size_t errlen);
void steward_signer_stop(struct steward_signer *s);
/* CA certificate (DER) as the signer has it. Borrowed. */
const uint8_t *steward_signer_ca(const struct steward_signer *s, size_t *len);
int steward_signer_issue(struct steward_signer *s, enum steward_kind kind, EVP_PKEY *pub, time_t nb,
                         time_t na, const struct steward_ext *exts, size_t nexts, uint8_t **der,
                         size_t *len, char *err, size_t errlen);

/* ---- State and audit (db.c) ---- */
struct steward_db;

/* url: "postgresql://..." / "postgres://..." / "host=... dbname=..." (libpq)
 * or a SQLite file path. Creates the schema if absent. */
int steward_db_open(const char *url, struct steward_db **out, char *err, size_t errlen);
void steward_db_close(struct steward_db *db);
const char *steward_db_kind(const struct steward_db *db);

struct steward_audit {
	const char *at;       /* verification time */
	bool fixed;           /* --at in force */
	const char *peer;     /* who asked */
	const char *action;   /* "certify", "release", "secret-put", ... */
	const char *evidence; /* hex SHA-256 or NULL */
	const char *tee;
	const char *claims; /* JSON or NULL */
	const char *verdict;
	const char *reason;
	const char *serial;
	const char *secret;
};
int steward_db_audit(struct steward_db *db, const struct steward_audit *a, int64_t *id);

int steward_db_secret_put(struct steward_db *db, const char *name, const uint8_t *val, size_t n,
                          const char *policy, const char *owner, char *err, size_t errlen);
/* ENARX_E_NOTFOUND if absent. *val is malloc'd (wipe and free), *policy too. */
int steward_db_secret_get(struct steward_db *db, const char *name, uint8_t **val, size_t *n,
                          char **policy);
int steward_db_secret_rm(struct steward_db *db, const char *name);
/* JSON array of {name, policy, owner, created}. */
int steward_db_secret_list(struct steward_db *db, json_t **out);

/* Nonces for the background-check path: issue one, consume it once. */
int steward_db_nonce_put(struct steward_db *db, const char *hex, int64_t expires);
/* 0 if the nonce existed, was unused and unexpired at now; it is then used. */
int steward_db_nonce_take(struct steward_db *db, const char *hex, int64_t now);

/* Rows in the audit table (for tests and `enarx steward audit`). */
int steward_db_audit_count(struct steward_db *db, const char *action, const char *verdict,
                           int64_t *n);

/* ---- Configuration (conf.c) and the service (serve.c) ---- */
struct steward_conf {
	char *listen;
	char *state_dir;
	char *policy_file;  /* certification policy (attest TOML) */
	char *token_file;   /* owners' bearer token; default DIR/owner-token */
	char *client_ca;    /* owners' client certificate CA (mTLS) */
	char *db;           /* database URL; default DIR/steward.db */
	long long cert_ttl; /* seconds */
	time_t at;          /* fixed verification time, 0 = now */
	long long max_conns;
};

/* Reads a TOML configuration file into c (keys override what is set). */
int steward_conf_load(const char *path, struct steward_conf *c, char *err, size_t errlen);
void steward_conf_free(struct steward_conf *c);

/* Verifies a CSR against pol at `at` (0 = now) and fills the claim set;
 * on refusal returns the error and check (a short name) and why. */
int steward_certify_check(enarx_attest *a, const enarx_policy *pol, const uint8_t *csr, size_t n,
                          time_t at, bool fixed, struct steward_claimset *cs, EVP_PKEY **pub,
                          char *check, size_t checklen, char *why, size_t whylen);

/* Runs the service until SIGTERM. Returns the process exit code. */
int steward_serve(const struct steward_conf *c);

#endif
