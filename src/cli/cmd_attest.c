/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `enarx attest verify`: verify TEE evidence (SNP report, SGX/TDX quote, or
 * an Enarx CSR carrying evidence) with its certificates, CRLs and collateral,
 * print the claims and the policy verdict. Exit 0 only if policy accepts.
 * Options and help come from verify_table (opts.h).
 */
#include <enarx/attest.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/attest_int.h"
#include "cli/attest_opts.h"
#include "cli/cli.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/file.h"
#include "lib/hex.h"
#include <openssl/pem.h>

#define ATTEST_CLI_MAX_INPUT (64u << 20)

static int read_file(const char *path, struct buf *b)
{
	char err[PATH_MAX + 64];

	if (file_read_all(path, ATTEST_CLI_MAX_INPUT, b, err, sizeof(err)) == 0)
		return 0;
	cli_error("attest: %s", err);
	return -1;
}

struct opts {
	const char *policy, *bind_key, *nonce;
	struct opt_list extra; /* --certs, --crl, --collateral in order */
	time_t at;
	int json, trailing;
	const char *evidence; /* the positional EVIDENCE */
};

static const struct opt verify_table[] = {
    OPT_LIST(0, "certs", struct opts, extra, "FILE",
             "VCEK/VLEK or PEM/DER certificates (detected by content)"),
    OPT_LIST(0, "crl", struct opts, extra, "FILE", "a certificate revocation list"),
    OPT_LIST(0, "collateral", struct opts, extra, "FILE",
             "Intel TCB info, QE identity or QuoteCollateralV3 JSON"),
    OPT_STRING(0, "policy", struct opts, policy, "FILE",
               "TOML policy (docs/attestation.md); default: production policy"),
    OPT_CUSTOM(0, "at", struct opts, at, "TIME", cli_parse_at,
               "verification time, " CLI_AT_WANT "\n(default now)"),
    OPT_FLAG(0, "json", struct opts, json, "claims and verdict as JSON"),
    OPT_FLAG(0, "allow-trailing-data", struct opts, trailing,
             "accept non-zero bytes after a quote (zero padding always is)"),
    OPT_STRING(0, "bind-key", struct opts, bind_key, "PUBKEY",
               "require REPORT_DATA to bind this public key (Enarx rule:\n"
               "SHA-384 (SNP) or SHA-256 of SPKI DER || nonce, zero-padded)"),
    OPT_STRING(0, "nonce", struct opts, nonce, "HEX", "the nonce for --bind-key (<= 64 bytes)"),
    OPT_END(),
};

static int attest_verify_cmd(int argc, char **argv);

static const struct cli_cmd cli_cmd_attest_verify = {
    .spec = {.path = "attest verify",
             .summary = "Verify evidence with its certificates; print claims and verdict",
             .opts = verify_table,
             .args = "EVIDENCE",
             .min_args = 1,
             .max_args = 1,
             .about =
                 "Verifies an SEV-SNP report, an SGX/TDX quote or an Enarx CSR with evidence\n"
                 "against the pinned AMD/Intel roots, prints the claims and the policy verdict.\n"
                 "Supporting files (VCEK/VLEK, PEM/DER certificates, CRLs, Intel TCB info and\n"
                 "QE identity JSON, QuoteCollateralV3 JSON) are detected by content.\n",
             .footer =
                 "Exit status: 0 if the evidence verifies and the policy accepts it, 1 if not,\n"
                 "2 on usage errors.\n"},
    .fn = attest_verify_cmd,
};

const struct cli_cmd cli_cmd_attest = {
    .spec = {.path = "attest",
             .summary = "Verify TEE evidence (SNP, SGX, TDX, CSR) against a policy"},
    .subs = (const struct cli_cmd *const[]){&cli_cmd_attest_verify, NULL},
};

static enarx_policy *load_policy(const char *path)
{
	enarx_policy *p;

	return cli_load_policy("attest", path, 1, &p) ? NULL : p;
}

/* A CSR is a DER SEQUENCE that is not a report or a quote. */
static bool looks_csr(const struct buf *b)
{
	return b->len > 4 && b->data[0] == 0x30 && b->len != 0x4a0 && b->data[1] >= 0x80;
}

static int verify(enarx_attest *a, const struct opts *o, enarx_claims **c)
{
	struct buf b = {0};
	int rc;
	if (read_file(o->evidence, &b)) {
		buf_free(&b, 0);
		return -1000;
	}
	if (b.len > 35 && memcmp(b.data, "-----BEGIN CERTIFICATE REQUEST-----", 35) == 0) {
		/* PEM CSR: convert to DER */
		BIO *bio = BIO_new_mem_buf(b.data, (int)b.len);
		X509_REQ *req = bio ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
		unsigned char *der = NULL;
		int len = req ? i2d_X509_REQ(req, &der) : -1;
		X509_REQ_free(req);
		BIO_free(bio);
		buf_free(&b, 0);
		if (len <= 0) {
			cli_error("attest: %s: malformed PEM certificate request", o->evidence);
			return -1000;
		}
		rc = enarx_attest_verify_csr(a, der, (size_t)len, o->at, c);
		OPENSSL_free(der);
		return rc;
	}
	if (looks_csr(&b)) {
		rc = enarx_attest_verify_csr(a, b.data, b.len, o->at, c);
		buf_free(&b, 0);
		return rc;
	}
	enarx_evidence *ev = enarx_evidence_new();
	if (!ev) {
		buf_free(&b, 0);
		return ENARX_E_NOMEM;
	}
	enarx_evidence_allow_trailing_data(ev, o->trailing);
	rc = enarx_evidence_set_auto(ev, b.data, b.len);
	buf_free(&b, 0);
	if (rc) {
		cli_error("attest: %s is not an SNP report, an Intel quote or a CSR", o->evidence);
		enarx_evidence_free(ev);
		return -1000;
	}
	for (size_t i = 0; i < o->extra.n; i++) {
		struct buf x = {0};
		if (read_file(o->extra.v[i], &x)) {
			buf_free(&x, 0);
			enarx_evidence_free(ev);
			return -1000;
		}
		rc = enarx_evidence_add(ev, x.data, x.len);
		buf_free(&x, 0);
		if (rc) {
			cli_error("attest: %s: not a certificate, CRL or Intel collateral (%s)",
			          o->extra.v[i], enarx_strerror(rc));
			enarx_evidence_free(ev);
			return -1000;
		}
	}
	rc = enarx_attest_verify(a, ev, o->at, c);
	enarx_evidence_free(ev);
	return rc;
}

/* REPORT_DATA expected for the key in `path` (DER SubjectPublicKeyInfo or PEM
 * public key) and the hex nonce, by the Enarx binding rule for the TEE. */
static int expected_binding(const struct opts *o, enarx_tee tee, uint8_t rd[64])
{
	struct buf b = {0};
	uint8_t nonce[64];
	size_t nl = 0;
	int rc = -1;
	if (o->nonce) {
		nl = strlen(o->nonce) / 2;
		if (nl > sizeof(nonce) || strlen(o->nonce) % 2 ||
		    hex_decode(o->nonce, strlen(o->nonce), nonce, nl)) {
			cli_error("attest: --nonce wants at most 64 bytes of hex");
			return -1;
		}
	}
	if (read_file(o->bind_key, &b))
		goto out;
	const unsigned char *q = b.data;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &q, (long)b.len);
	if (!k) {
		BIO *bio = BIO_new_mem_buf(b.data, (int)b.len);
		k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
	}
	unsigned char *spki = NULL;
	int len = k ? i2d_PUBKEY(k, &spki) : -1;
	EVP_PKEY_free(k);
	if (len <= 0) {
		cli_error("attest: %s is not a public key (DER SubjectPublicKeyInfo or PEM)",
		          o->bind_key);
		goto out;
	}
	rc = enarx_attest_binding(tee, spki, (size_t)len, nonce, nl, rd);
	OPENSSL_free(spki);
out:
	buf_free(&b, 0);
	return rc;
}

static void print_text(const enarx_claims *c, const char *verdict, const char *why,
                       const char *runtime)
{
	static const char *tee[] = {"none", "kvm", "snp", "sgx", "tdx"};
	printf("tee:        %s\n", tee[c->tee <= ENARX_TEE_TDX ? c->tee : 0]);
	if (c->tee == ENARX_TEE_SNP)
		printf("snp:        %s, report v%u, signed by %s, VMPL %u, debug %s\n",
		       c->snp.product, c->snp.version, c->snp.signer, c->snp.vmpl,
		       c->debug ? "yes" : "no");
	if (c->tee == ENARX_TEE_SGX || c->tee == ENARX_TEE_TDX) {
		printf("tcb status: %s", enarx_tcb_status_name(c->intel.tcb_status));
		for (size_t i = 0; i < c->intel.n_advisories; i++)
			printf("%s%s", i ? ", " : " (", c->intel.advisories[i]);
		printf("%s\n", c->intel.n_advisories ? ")" : "");
	}
	if (c->insecure)
		printf("security:   insecure, no hardware root of trust\n");
	printf("revocation: %s\n", c->revocation_checked ? "checked" : "not checked (no CRL)");
	if (runtime)
		printf("runtime:    %s\n", runtime);
	printf("verdict:    %s%s%s\n", verdict, why[0] ? ": " : "", why);
}

static int attest_verify_cmd(int argc, char **argv)
{
	struct opts o = {0};
	struct opt_result r;
	int rc = cli_parse(&cli_cmd_attest_verify, argc, argv, &o, &r);
	if (rc != CLI_CONTINUE)
		return rc;
	o.evidence = r.args[0];
	enarx_policy *pol = load_policy(o.policy);
	if (!pol)
		return CLI_EXIT_FAIL;
	enarx_attest *a = enarx_attest_new();
	if (!a) {
		enarx_policy_free(pol);
		cli_error("attest: cannot load the pinned roots");
		return CLI_EXIT_FAIL;
	}
	enarx_claims *c = NULL;
	rc = verify(a, &o, &c);
	int exit_code = CLI_EXIT_FAIL;
	char why[600] = "";
	const char *verdict = "rejected";
	if (rc == -1000)
		goto out;
	if (!rc && o.bind_key) {
		uint8_t rd[64];
		if (expected_binding(&o, c->tee, rd)) {
			rc = -1000;
			goto out;
		}
		enarx_policy_require_report_data(pol, rd, sizeof(rd));
	}
	if (rc) {
		snprintf(why, sizeof(why), "%s: %s", enarx_strerror(rc), enarx_attest_error(a));
	} else if (enarx_policy_check(pol, c, why, sizeof(why)) == 0) {
		verdict = "accepted";
		exit_code = CLI_EXIT_OK;
	}
	const char *runtime = c ? enarx_policy_runtime(pol, c) : NULL;
	if (o.json) {
		char *cj = c ? enarx_claims_json(c) : NULL;
		json_t *out = json_object(), *claims = cj ? json_loads(cj, 0, NULL) : NULL;
		json_object_set_new(out, "verdict", json_string(verdict));
		json_object_set_new(out, "reason", json_string(why));
		json_object_set_new(out, "runtime", runtime ? json_string(runtime) : json_null());
		json_object_set_new(out, "claims", claims ? claims : json_null());
		char *txt = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (txt)
			printf("%s\n", txt);
		free(txt);
		free(cj);
		json_decref(out);
	} else if (c) {
		print_text(c, verdict, why, runtime);
	} else {
		printf("verdict:    %s: %s\n", verdict, why);
	}
out:
	enarx_claims_free(c);
	enarx_attest_free(a);
	enarx_policy_free(pol);
	return exit_code;
}
