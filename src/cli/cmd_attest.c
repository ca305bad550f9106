/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `enarx attest verify`: verify TEE evidence (SNP report, SGX/TDX quote, or
 * an Enarx CSR carrying evidence) with its certificates, CRLs and collateral,
 * print the claims and the policy verdict. Exit 0 only if policy accepts.
 */
#include <enarx/attest.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/attest_int.h"
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

static int parse_at(const char *s, time_t *out)
{
	char buf[64];
	if (strlen(s) == 10)
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
	else
		snprintf(buf, sizeof(buf), "%s", s);
	return attest_parse_time(buf, out);
}

struct opts {
	const char *evidence, *policy, *bind_key, *nonce;
	const char *extra[64];
	int nextra;
	time_t at;
	bool json, trailing;
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		bool has_val = i + 1 < argc;
		if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "--allow-trailing-data") == 0) {
			o->trailing = true;
		} else if ((strcmp(a, "--certs") == 0 || strcmp(a, "--collateral") == 0 ||
		            strcmp(a, "--crl") == 0) &&
		           has_val) {
			if (o->nextra >= 64)
				return cli_usage_error("attest", "too many supporting files");
			o->extra[o->nextra++] = argv[++i];
		} else if (strcmp(a, "--policy") == 0 && has_val) {
			o->policy = argv[++i];
		} else if (strcmp(a, "--bind-key") == 0 && has_val) {
			o->bind_key = argv[++i];
		} else if (strcmp(a, "--nonce") == 0 && has_val) {
			o->nonce = argv[++i];
		} else if (strcmp(a, "--at") == 0 && has_val) {
			if (parse_at(argv[++i], &o->at))
				return cli_usage_error("attest", "--at wants YYYY-MM-DD or "
				                                 "YYYY-MM-DDTHH:MM:SSZ");
		} else if (a[0] == '-' && a[1]) {
			return cli_usage_error("attest", "unknown option %s", a);
		} else if (!o->evidence) {
			o->evidence = a;
		} else {
			return cli_usage_error("attest", "more than one evidence file");
		}
	}
	if (!o->evidence)
		return cli_usage_error("attest", "missing EVIDENCE file");
	return 0;
}

static enarx_policy *load_policy(const char *path)
{
	if (!path)
		return enarx_policy_default();
	struct buf b = {0};
	if (read_file(path, &b)) {
		buf_free(&b, 0);
		return NULL;
	}
	char err[256];
	enarx_policy *p = enarx_policy_parse((const char *)b.data, b.len, err, sizeof(err));
	if (!p)
		cli_error("attest: policy %s: %s", path, err);
	buf_free(&b, 0);
	return p;
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
	for (int i = 0; i < o->nextra; i++) {
		struct buf x = {0};
		if (read_file(o->extra[i], &x)) {
			buf_free(&x, 0);
			enarx_evidence_free(ev);
			return -1000;
		}
		rc = enarx_evidence_add(ev, x.data, x.len);
		buf_free(&x, 0);
		if (rc) {
			cli_error("attest: %s: not a certificate, CRL or Intel collateral (%s)",
			          o->extra[i], enarx_strerror(rc));
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
	struct opts o;
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
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

int cmd_attest(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error("attest", "missing subcommand (verify)");
	if (strcmp(argv[1], "verify") == 0)
		return attest_verify_cmd(argc, argv);
	return cli_usage_error("attest", "unknown subcommand %s", argv[1]);
}
