/* SPDX-License-Identifier: Apache-2.0 */
/* `enarx steward serve`: the HTTPS front. It parses network input, verifies
 * evidence, asks the signer process for certificates, keeps the audit log
 * and the key broker's secrets in the database, and seals released secrets
 * to the Keep's key with HPKE. One thread, one event loop (src/http). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/hpke.h"
#include "http/http.h"
#include "http/json.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/hex.h"
#include "lib/log.h"
#include "steward/steward.h"

#define STW__NONCE_TTL 300
#define STW__SECRET_MAX (64u << 10)

struct stw {
	const struct steward_conf *conf;
	struct steward_signer *signer;
	struct steward_db *db;
	enarx_attest *att;
	enarx_policy *pol;
	X509 *ca;
	X509_STORE *store;
	time_t at; /* fixed verification time or 0 */
	char at_text[64];
	char time_header[64];
	const char *headers[3];
	char token_path[4200];
};

/* Every log line says which verification time is in force. */
static void stw__log(const struct stw *s, enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void stw__log(const struct stw *s, enum log_level lvl, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (log_get_level() < lvl)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_write(lvl, "steward [verification time %s]: %s", s->at_text, msg);
}

static time_t stw__now(const struct stw *s)
{
	return s->at ? s->at : time(NULL);
}

static void stw__hex(const uint8_t *p, size_t n, char *out)
{
	hex_encode(p, n, out);
}

/* The members every refusal carries besides type/title/status/detail. */
static json_t *stw__extra(const struct stw *s, const char *check, const uint8_t *evidence)
{
	char hx[65], t[32];
	json_t *o = json_object();

	steward_time_text(stw__now(s), t);
	json_object_set_new(o, "check", json_string(check));
	json_object_set_new(o, "verification_time", json_string(t));
	json_object_set_new(o, "time_fixed", json_boolean(s->at != 0));
	if (evidence != NULL) {
		stw__hex(evidence, 32, hx);
		json_object_set_new(o, "evidence_sha256", json_string(hx));
	}
	return o;
}

static void stw__serial(const uint8_t *der, size_t len, char *out, size_t outlen)
{
	const unsigned char *q = der;
	X509 *x = d2i_X509(NULL, &q, (long)len);
	BIGNUM *bn = x ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL) : NULL;
	char *h = bn ? BN_bn2hex(bn) : NULL;

	snprintf(out, outlen, "%s", h ? h : "");
	OPENSSL_free(h);
	BN_free(bn);
	X509_free(x);
}

/* ---- certification: POST / ---- */

static int stw__issue(struct stw *s, const struct steward_claimset *cs, EVP_PKEY *pub,
                      uint8_t **der, size_t *len, char *err, size_t errlen)
{
	struct steward_ext exts[STEWARD_C__MAX + 1];
	size_t n = 0;
	time_t now = time(NULL);
	int rc = 0;

	for (unsigned id = 1; id <= STEWARD_C__MAX && rc == 0; id++) {
		uint8_t *d = NULL;
		size_t dl = 0;
		if (id == STEWARD_C_WORKLOAD && cs->workload_len == 0)
			continue;
		rc = steward_claim_der(cs, (enum steward_claim)id, &d, &dl);
		if (rc == 0)
			exts[n++] = (struct steward_ext){id, d, dl};
	}
	if (rc == 0 && cs->san_len) {
		uint8_t *d = OPENSSL_memdup(cs->san, cs->san_len);

		if (d)
			exts[n++] = (struct steward_ext){STEWARD_X_SAN, d, cs->san_len};
		else
			rc = ENARX_E_NOMEM;
	}
	if (rc == 0)
		rc = steward_signer_issue(s->signer, STEWARD_KIND_KEEP, pub, now - 60,
		                          now + (time_t)s->conf->cert_ttl, exts, n, der, len, err,
		                          errlen);
	else
		snprintf(err, errlen, "cannot encode claim extensions");
	for (size_t i = 0; i < n; i++)
		OPENSSL_free((void *)exts[i].der);
	return rc;
}

/* DER SEQUENCE OF Certificate { issued, CA }, as Enarx's Steward answers. */
static int stw__der_chain(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                          struct buf *out)
{
	size_t n = alen + blen;
	uint8_t hdr[6] = {0x30};
	size_t hl;

	if (n < 0x80) {
		hdr[1] = (uint8_t)n;
		hl = 2;
	} else if (n < 0x100) {
		hdr[1] = 0x81;
		hdr[2] = (uint8_t)n;
		hl = 3;
	} else if (n < 0x10000) {
		hdr[1] = 0x82;
		hdr[2] = (uint8_t)(n >> 8);
		hdr[3] = (uint8_t)n;
		hl = 4;
	} else {
		hdr[1] = 0x83;
		hdr[2] = (uint8_t)(n >> 16);
		hdr[3] = (uint8_t)(n >> 8);
		hdr[4] = (uint8_t)n;
		hl = 5;
	}
	if (buf_append(out, hdr, hl) || buf_append(out, a, alen) || buf_append(out, b, blen))
		return ENARX_E_NOMEM;
	return 0;
}

static int stw__pem(const uint8_t *der, size_t len, struct buf *out)
{
	const unsigned char *q = der;
	X509 *x = d2i_X509(NULL, &q, (long)len);
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int rc = ENARX_E_NOMEM;

	if (x && bio && PEM_write_bio_X509(bio, x) && (n = BIO_get_mem_data(bio, &p)) > 0)
		rc = buf_append(out, p, (size_t)n);
	BIO_free(bio);
	X509_free(x);
	return rc;
}

static bool stw__accepts_pem(struct http_req *req)
{
	const char *a = http_req_header(req, "Accept");
	return a != NULL && strstr(a, "application/pem-certificate-chain") != NULL;
}

static void on_certify(struct http_req *req, void *arg)
{
	struct stw *s = arg;
	const char *ct = http_req_header(req, "Content-Type");
	size_t n, calen, len = 0;
	const uint8_t *body = http_req_body(req, &n), *ca = steward_signer_ca(s->signer, &calen);
	struct steward_claimset cs;
	EVP_PKEY *pub = NULL;
	uint8_t *der = NULL;
	char check[96] = "", why[768] = "", hx[65], serial[80] = "", verified[32];
	struct buf out = {0};
	int rc;

	if (ct == NULL || strncasecmp(ct, "application/pkcs10", 18) != 0) {
		http_reply_problem_json(req, HTTP_P_MEDIA_TYPE,
		                        "POST / takes Content-Type: application/pkcs10 (a DER CSR)",
		                        stw__extra(s, "request.content-type", NULL));
		return;
	}
	rc = steward_certify_check(s->att, s->pol, body, n, s->at, s->at != 0, &cs, &pub, check,
	                           sizeof(check), why, sizeof(why));
	steward_time_text(stw__now(s), verified);
	if (rc != 0) {
		uint8_t digest[32] = {0};
		EVP_Digest(body, n, digest, NULL, EVP_sha256(), NULL);
		stw__hex(digest, 32, hx);
		struct steward_audit au = {verified, s->at != 0, http_req_peer(req), "certify", hx,
		                           NULL,     NULL,       "refused",          why};
		steward_db_audit(s->db, &au, NULL);
		stw__log(s, LOG_INFO, "certify refused: evidence %.16s check %s: %s", hx, check,
		         why);
		http_reply_problem_json(req,
		                        strcmp(check, "csr.format") == 0 ? HTTP_P_BAD_REQUEST
		                                                         : HTTP_P_ATTEST_REFUSED,
		                        why, stw__extra(s, check, digest));
		return;
	}
	stw__hex(cs.evidence, 32, hx);
	rc = stw__issue(s, &cs, pub, &der, &len, why, sizeof(why));
	if (rc == 0) {
		stw__serial(der, len, serial, sizeof(serial));
		rc = stw__accepts_pem(req) ? (stw__pem(der, len, &out) || stw__pem(ca, calen, &out))
		                           : stw__der_chain(der, len, ca, calen, &out);
	}
	struct steward_audit au = {verified,
	                           s->at != 0,
	                           http_req_peer(req),
	                           "certify",
	                           hx,
	                           cs.tee,
	                           cs.claims_json,
	                           rc == 0 ? "certified" : "error",
	                           rc == 0 ? cs.runtime : why,
	                           serial};
	if (steward_db_audit(s->db, &au, NULL) != 0 && rc == 0) {
		rc = ENARX_E_IO;
		snprintf(why, sizeof(why), "the audit log cannot be written");
	}
	if (rc != 0) {
		stw__log(s, LOG_ERROR, "certify: %s", why);
		http_reply_problem_json(req, HTTP_P_INTERNAL, why, stw__extra(s, "internal", NULL));
	} else {
		stw__log(s, LOG_INFO, "certified %s Keep (runtime %s), evidence %.16s, serial %s",
		         cs.tee, cs.runtime, hx, serial);
		http_reply_bytes(req, 200,
		                 stw__accepts_pem(req) ? "application/pem-certificate-chain"
		                                       : "application/pkix-cert",
		                 out.data, out.len);
	}
	buf_free(&out, 0);
	OPENSSL_free(der);
	EVP_PKEY_free(pub);
	steward_claimset_free(&cs);
}

static void on_ca(struct http_req *req, void *arg)
{
	struct stw *s = arg;
	size_t calen;
	const uint8_t *ca = steward_signer_ca(s->signer, &calen);
	struct buf out = {0};

	if (stw__pem(ca, calen, &out) != 0) {
		http_reply_problem(req, HTTP_P_INTERNAL, "cannot encode the CA certificate");
	} else {
		http_reply_bytes(req, 200, "application/x-pem-file", out.data, out.len);
	}
	buf_free(&out, 0);
}

/* ---- key broker ---- */

static void on_nonce(struct http_req *req, void *arg)
{
	struct stw *s = arg;
	uint8_t n[32];
	char hx[65];
	time_t exp = stw__now(s) + STW__NONCE_TTL;

	if (RAND_bytes(n, sizeof(n)) != 1 || (stw__hex(n, 32, hx), 0) ||
	    steward_db_nonce_put(s->db, hx, (int64_t)exp) != 0) {
		http_reply_problem(req, HTTP_P_INTERNAL, "cannot record a nonce");
		return;
	}
	http_reply_json(req, 200, json_pack("{s:s, s:I}", "nonce", hx, "expires", (json_int_t)exp));
}

static bool stw__name_ok(const char *name)
{
	size_t n = strlen(name);
	return n >= 1 && n <= 64 &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                    "0123456789._-") == n;
}

static void on_secret_put(struct http_req *req, void *arg)
{
	static const struct http_json_field f[] = {
	    {"value", HTTP_J_STRING, true, 1, 4 * (STW__SECRET_MAX / 3) + 4},
	    {"policy", HTTP_J_OBJECT, true, 0, 0},
	};
	struct stw *s = arg;
	const char *name = http_req_param(req, "name");
	json_t *body = NULL;
	char why[512], t[32];
	uint8_t *val;
	size_t vlen = STW__SECRET_MAX;
	char *pol;

	if (!stw__name_ok(name)) {
		http_reply_problem(req, HTTP_P_BAD_REQUEST,
		                   "secret name: 1 to 64 of [A-Za-z0-9._-], got '%s'", name);
		return;
	}
	if (http_req_json(req, f, 2, &body) != 0)
		return;
	const char *b64 = json_string_value(json_object_get(body, "value"));
	json_t *p = json_object_get(body, "policy");
	if (steward_secret_policy_check_syntax(p, why, sizeof(why)) != 0) {
		json_decref(body);
		http_reply_problem(req, HTTP_P_INVALID_FIELD, "%s", why);
		return;
	}
	if ((val = xmalloc(vlen)) == NULL || base64_decode(b64, strlen(b64), val, &vlen) != 0 ||
	    vlen == 0) {
		free(val);
		json_decref(body);
		http_reply_problem(req, HTTP_P_INVALID_FIELD,
		                   "field 'value': not base64 of 1 to %u bytes", STW__SECRET_MAX);
		return;
	}
	pol = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	int rc = steward_db_secret_put(s->db, name, val, vlen, pol, http_req_peer(req), why,
	                               sizeof(why));
	OPENSSL_cleanse(val, vlen);
	free(val);
	steward_time_text(stw__now(s), t);
	struct steward_audit au = {t,    s->at != 0, http_req_peer(req),      "secret-put",    NULL,
	                           NULL, pol,        rc ? "error" : "stored", rc ? why : NULL, NULL,
	                           name};
	steward_db_audit(s->db, &au, NULL);
	free(pol);
	json_decref(body);
	if (rc != 0) {
		http_reply_problem(req, HTTP_P_INTERNAL, "%s", why);
		return;
	}
	stw__log(s, LOG_INFO, "secret %s stored by %s", name, http_req_peer(req));
	http_reply_json(req, 201,
	                json_pack("{s:s, s:s}", "name", name, "owner", http_req_peer(req)));
}

static void on_secret_ls(struct http_req *req, void *arg)
{
	struct stw *s = arg;
	json_t *l = NULL;

	if (steward_db_secret_list(s->db, &l) != 0) {
		http_reply_problem(req, HTTP_P_INTERNAL, "cannot read the secrets");
		return;
	}
	http_reply_json(req, 200, json_pack("{s:o}", "secrets", l));
}

static void on_secret_rm(struct http_req *req, void *arg)
{
	struct stw *s = arg;
	const char *name = http_req_param(req, "name");
	char t[32];
	int rc = steward_db_secret_rm(s->db, name);

	steward_time_text(stw__now(s), t);
	struct steward_audit au = {t,
	                           s->at != 0,
	                           http_req_peer(req),
	                           "secret-rm",
	                           NULL,
	                           NULL,
	                           NULL,
	                           rc == 0 ? "removed" : "absent",
	                           NULL,
	                           NULL,
	                           name};
	steward_db_audit(s->db, &au, NULL);
	if (rc == ENARX_E_NOTFOUND)
		http_reply_problem(req, HTTP_P_NOT_FOUND, "no secret named %s", name);
	else if (rc != 0)
		http_reply_problem(req, HTTP_P_INTERNAL, "cannot remove secret %s", name);
	else
		http_reply_bytes(req, 204, NULL, "", 0);
}

/* The Keep's claims from its Steward certificate (PEM, leaf first). */
static int stw__from_cert(struct stw *s, const char *pem, struct steward_claimset *cs,
                          EVP_PKEY **pub, char *serial, size_t slen, char *check, size_t clen,
                          char *why, size_t whylen)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *leaf = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = ENARX_E_ATTEST_CHAIN;

	snprintf(check, clen, "certificate.chain");
	if (leaf == NULL) {
		snprintf(why, whylen, "field 'certificate': no PEM certificate");
		rc = ENARX_E_MALFORMED;
	} else if (ctx == NULL || !X509_STORE_CTX_init(ctx, s->store, leaf, NULL)) {
		snprintf(why, whylen, "cannot set up certificate verification");
		rc = ENARX_E_INTERNAL;
	} else if (X509_verify_cert(ctx) != 1) {
		snprintf(why, whylen, "the certificate does not verify under this Steward's CA: %s",
		         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	} else if (steward_claimset_from_cert(leaf, cs, why, whylen) != 0) {
		snprintf(check, clen, "certificate.claims");
	} else {
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
		char *h = bn ? BN_bn2hex(bn) : NULL;
		snprintf(serial, slen, "%s", h ? h : "");
		OPENSSL_free(h);
		BN_free(bn);
		*pub = X509_get_pubkey(leaf);
		rc = *pub ? 0 : ENARX_E_MALFORMED;
	}
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_free(leaf);
	BIO_free(bio);
	return rc;
}

static int stw__b64(const char *in, uint8_t **out, size_t *len, size_t max)
{
	*len = max;
	if (in == NULL || (*out = xmalloc(max)) == NULL)
		return ENARX_E_NOMEM;
	if (base64_decode(in, strlen(in), *out, len) != 0 || *len == 0) {
		free(*out);
		*out = NULL;
		return ENARX_E_ENCODING;
	}
	return 0;
}

/* Background check: fresh evidence binding the key and a Steward nonce. */
static int stw__from_evidence(struct stw *s, json_t *body, struct steward_claimset *cs,
                              EVP_PKEY **pub, char *check, size_t clen, char *why, size_t whylen)
{
	const char *nonce = json_string_value(json_object_get(body, "nonce"));
	uint8_t *ev = NULL, *spki = NULL, nb[32], rd[64], digest[32];
	size_t evlen, spkilen, i;
	enarx_evidence *e = NULL;
	enarx_claims *c = NULL;
	json_t *x;
	int rc;

	snprintf(check, clen, "request");
	if (nonce == NULL || json_object_get(body, "key") == NULL) {
		snprintf(why, whylen, "evidence needs the fields 'key' and 'nonce' too");
		return ENARX_E_MALFORMED;
	}
	if (strlen(nonce) != 64 || hex_decode(nonce, 64, nb, sizeof(nb)) != 0) {
		snprintf(why, whylen, "field 'nonce': 64 hex digits expected");
		return ENARX_E_MALFORMED;
	}
	if (stw__b64(json_string_value(json_object_get(body, "evidence")), &ev, &evlen, 1u << 20) ||
	    stw__b64(json_string_value(json_object_get(body, "key")), &spki, &spkilen, 4096)) {
		snprintf(why, whylen, "fields 'evidence' and 'key' must be base64");
		rc = ENARX_E_MALFORMED;
		goto out;
	}
	const unsigned char *q = spki;
	if ((*pub = d2i_PUBKEY(NULL, &q, (long)spkilen)) == NULL || q != spki + spkilen) {
		snprintf(check, clen, "key");
		snprintf(why, whylen, "field 'key': not a DER SubjectPublicKeyInfo");
		rc = ENARX_E_MALFORMED;
		goto out;
	}
	if (steward_db_nonce_take(s->db, nonce, (int64_t)stw__now(s)) != 0) {
		snprintf(check, clen, "nonce");
		snprintf(why, whylen,
		         "nonce %.16s... was not issued by Steward, is used or expired", nonce);
		rc = ENARX_E_ATTEST_BINDING;
		goto out;
	}
	e = enarx_evidence_new();
	rc = e ? enarx_evidence_set_auto(e, ev, evlen) : ENARX_E_NOMEM;
	json_array_foreach(json_object_get(body, "certs"), i, x)
	{
		uint8_t *cb = NULL;
		size_t cl;
		if (rc == 0 && (rc = stw__b64(json_string_value(x), &cb, &cl, 1u << 20)) == 0)
			rc = enarx_evidence_add(e, cb, cl);
		free(cb);
	}
	if (rc != 0) {
		snprintf(check, clen, "evidence.format");
		snprintf(why, whylen, "evidence or supporting material unreadable: %s",
		         enarx_strerror(rc));
		goto out;
	}
	EVP_Digest(ev, evlen, digest, NULL, EVP_sha256(), NULL);
	if ((rc = enarx_attest_verify(s->att, e, s->at, &c)) != 0) {
		snprintf(check, clen, "evidence");
		snprintf(why, whylen, "%s: %s", enarx_strerror(rc), enarx_attest_error(s->att));
		goto out;
	}
	if (enarx_attest_binding(c->tee, spki, spkilen, nb, sizeof(nb), rd) != 0 ||
	    memcmp(rd, c->report_data, 64) != 0) {
		snprintf(check, clen, "evidence.binding");
		snprintf(why, whylen,
		         "REPORT_DATA does not bind the key and the nonce (SHA-%d(SPKI || nonce))",
		         c->tee == ENARX_TEE_SNP ? 384 : 256);
		rc = ENARX_E_ATTEST_BINDING;
		goto out;
	}
	if ((rc = enarx_policy_check(s->pol, c, why, whylen)) != 0) {
		size_t rule = strcspn(why, ":");
		snprintf(check, clen, "policy.%.*s", (int)(rule < 64 ? rule : 64), why);
		goto out;
	}
	rc = steward_claimset_from(c, enarx_policy_runtime(s->pol, c), digest, stw__now(s),
	                           s->at != 0, cs);
out:
	if (rc != 0) {
		EVP_PKEY_free(*pub);
		*pub = NULL;
	}
	enarx_claims_free(c);
	enarx_evidence_free(e);
	free(ev);
	free(spki);
	return rc;
}

/* HPKE base mode to the Keep's EC key: DHKEM(P-256 or P-384), the
 * matching HKDF, AES-256-GCM; info names the secret. */
static int stw__seal(EVP_PKEY *pub, const char *name, const uint8_t *pt, size_t ptlen, json_t **out,
                     char *why, size_t whylen)
{
	char group[64] = "", info[128];
	uint8_t point[HPKE_MAX_PK_LEN];
	size_t plen = 0, olen = 0;
	hpke_suite suite = {0, 0, HPKE_AEAD_AES_256_GCM};
	hpke_key *k = NULL;
	hpke_ctx *ctx = NULL;
	uint8_t *sealed = NULL;
	char *b64 = NULL;
	int rc = ENARX_E_INVAL;

	if (EVP_PKEY_get_id(pub) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                    NULL) ||
	    !EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
	                                     sizeof(point), &plen)) {
		snprintf(why, whylen, "the Keep's key is not an EC key HPKE can seal to");
		goto out;
	}
	if (strcmp(group, "prime256v1") == 0) {
		suite.kem = HPKE_KEM_P256_SHA256;
		suite.kdf = HPKE_KDF_HKDF_SHA256;
	} else if (strcmp(group, "secp384r1") == 0) {
		suite.kem = HPKE_KEM_P384_SHA384;
		suite.kdf = HPKE_KDF_HKDF_SHA384;
	} else {
		snprintf(why, whylen, "the Keep's key is on %s; HPKE sealing needs P-256 or P-384",
		         group);
		goto out;
	}
	snprintf(info, sizeof(info), "enarx steward secret %s", name);
	hpke_params p = {
	    .mode = HPKE_MODE_BASE, .info = (const uint8_t *)info, .info_len = strlen(info)};
	size_t cap = hpke_sealed_len(suite, ptlen);
	if ((rc = hpke_key_from_public(suite.kem, point, plen, &k)) != 0 ||
	    (ctx = hpke_ctx_new(suite)) == NULL || (sealed = xmalloc(cap)) == NULL ||
	    (rc = hpke_seal_single(ctx, k, &p, NULL, 0, pt, ptlen, sealed, cap, &olen)) != 0 ||
	    (b64 = xmalloc(4 * ((olen + 2) / 3) + 1)) == NULL) {
		snprintf(why, whylen, "HPKE sealing failed: %s",
		         ctx ? hpke_ctx_error(ctx) : enarx_strerror(rc));
		rc = rc ? rc : ENARX_E_NOMEM;
		goto out;
	}
	base64_encode(sealed, olen, b64);
	*out = json_pack("{s:{s:i, s:i, s:i}, s:s, s:s}", "suite", "kem", suite.kem, "kdf",
	                 suite.kdf, "aead", suite.aead, "info", info, "sealed", b64);
	rc = *out ? 0 : ENARX_E_NOMEM;
out:
	free(b64);
	free(sealed);
	hpke_ctx_free(ctx);
	hpke_key_free(k);
	return rc;
}

static void on_release(struct http_req *req, void *arg)
{
	static const struct http_json_field f[] = {
	    {"certificate", HTTP_J_STRING, false, 1, 65536},
	    {"evidence", HTTP_J_STRING, false, 1, 1400000},
	    {"key", HTTP_J_STRING, false, 1, 4096},
	    {"nonce", HTTP_J_STRING, false, 64, 64},
	    {"certs", HTTP_J_ARRAY, false, 0, 16},
	};
	struct stw *s = arg;
	const char *name = http_req_param(req, "name");
	json_t *body = NULL, *pol = NULL, *sealed = NULL;
	struct steward_claimset cs = {0};
	EVP_PKEY *pub = NULL;
	uint8_t *val = NULL;
	size_t vlen = 0;
	char *poltext = NULL, check[96] = "", why[768] = "", serial[80] = "", hx[65] = "", t[32];
	int64_t id = 0;
	int rc;

	if (http_req_json(req, f, sizeof(f) / sizeof(f[0]), &body) != 0)
		return;
	if ((rc = steward_db_secret_get(s->db, name, &val, &vlen, &poltext)) != 0) {
		json_decref(body);
		if (rc == ENARX_E_NOTFOUND)
			http_reply_problem(req, HTTP_P_NOT_FOUND, "no secret named %s", name);
		else
			http_reply_problem(req, HTTP_P_INTERNAL, "cannot read secret %s", name);
		return;
	}
	if (json_object_get(body, "certificate") != NULL) {
		rc = stw__from_cert(s, json_string_value(json_object_get(body, "certificate")), &cs,
		                    &pub, serial, sizeof(serial), check, sizeof(check), why,
		                    sizeof(why));
	} else if (json_object_get(body, "evidence") != NULL) {
		rc = stw__from_evidence(s, body, &cs, &pub, check, sizeof(check), why, sizeof(why));
	} else {
		snprintf(check, sizeof(check), "request");
		snprintf(why, sizeof(why),
		         "give 'certificate' (a Steward certificate) or 'evidence',"
		         " 'key' and 'nonce'");
		rc = ENARX_E_MALFORMED;
	}
	if (rc == 0) {
		stw__hex(cs.evidence, 32, hx);
		pol = json_loads(poltext, 0, NULL);
		rc =
		    pol ? steward_secret_policy_eval(pol, &cs, why, sizeof(why)) : ENARX_E_INTERNAL;
		if (rc != 0) {
			size_t rule = strcspn(why, ":");
			snprintf(check, sizeof(check), "secret-policy.%.*s",
			         (int)(rule < 64 ? rule : 64), why);
		}
	}
	if (rc == 0)
		rc = stw__seal(pub, name, val, vlen, &sealed, why, sizeof(why));
	steward_time_text(stw__now(s), t);
	struct steward_audit au = {t,
	                           s->at != 0,
	                           http_req_peer(req),
	                           "release",
	                           hx[0] ? hx : NULL,
	                           cs.tee[0] ? cs.tee : NULL,
	                           cs.claims_json,
	                           rc == 0 ? "released" : "refused",
	                           rc == 0 ? NULL : why,
	                           serial[0] ? serial : NULL,
	                           name};
	if (steward_db_audit(s->db, &au, &id) != 0 && rc == 0) {
		json_decref(sealed);
		sealed = NULL;
		rc = ENARX_E_IO;
		snprintf(check, sizeof(check), "internal");
		snprintf(why, sizeof(why), "the audit log cannot be written: nothing released");
	}
	if (rc != 0) {
		stw__log(s, LOG_INFO, "release of %s refused: %s: %s", name, check, why);
		http_reply_problem_json(req,
		                        rc == ENARX_E_MALFORMED ? HTTP_P_BAD_REQUEST
		                        : rc == ENARX_E_IO      ? HTTP_P_INTERNAL
		                                                : HTTP_P_RELEASE_REFUSED,
		                        why, stw__extra(s, check, hx[0] ? cs.evidence : NULL));
	} else {
		stw__log(s, LOG_INFO,
		         "secret %s released to a %s Keep (evidence %.16s), release %lld", name,
		         cs.tee, hx, (long long)id);
		json_object_set_new(sealed, "name", json_string(name));
		json_object_set_new(sealed, "release", json_integer(id));
		http_reply_json(req, 200, sealed);
	}
	if (val)
		OPENSSL_cleanse(val, vlen);
	free(val);
	free(poltext);
	json_decref(pol);
	json_decref(body);
	EVP_PKEY_free(pub);
	steward_claimset_free(&cs);
}

static const struct http_route stw_routes[] = {
    {"POST", "/", on_certify, true},
    {"GET", "/v1/ca", on_ca, true},
    {"GET", "/v1/nonce", on_nonce, true},
    {"POST", "/v1/secrets/{name}/release", on_release, true},
    {"GET", "/v1/secrets", on_secret_ls, false},
    {"PUT", "/v1/secrets/{name}", on_secret_put, false},
    {"DELETE", "/v1/secrets/{name}", on_secret_rm, false},
};

/* ---- start-up ---- */

static int stw__write_private(const char *path, const char *text, size_t len)
{
	char tmp[4200];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return ENARX_E_IO;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0)
		rc = ENARX_E_IO;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = ENARX_E_IO;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* The HTTPS certificate: a fresh P-256 key, issued by the CA at each start. */
static int stw__server_cert(struct stw *s, const char *cert, const char *key, char *err,
                            size_t errlen)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	uint8_t *der = NULL;
	size_t len = 0, calen;
	const uint8_t *ca = steward_signer_ca(s->signer, &calen);
	struct buf pem = {0};
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;
	time_t now = time(NULL);
	int rc;

	if (k == NULL || bio == NULL) {
		rc = ENARX_E_NOMEM;
		goto out;
	}
	rc = steward_signer_issue(s->signer, STEWARD_KIND_SERVER, k, now - 300, now + 90 * 86400,
	                          NULL, 0, &der, &len, err, errlen);
	if (rc == 0)
		rc = stw__pem(der, len, &pem) || stw__pem(ca, calen, &pem) ? ENARX_E_NOMEM : 0;
	if (rc == 0 && stw__write_private(cert, (const char *)pem.data, pem.len) != 0) {
		snprintf(err, errlen, "cannot write %.900s: %s", cert, strerror(errno));
		rc = ENARX_E_IO;
	}
	if (rc == 0 &&
	    (!PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL) ||
	     (n = BIO_get_mem_data(bio, &p)) <= 0 || stw__write_private(key, p, (size_t)n) != 0)) {
		snprintf(err, errlen, "cannot write %.900s", key);
		rc = ENARX_E_IO;
	}
out:
	BIO_free(bio);
	buf_free(&pem, 0);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	return rc;
}

/* The owners' token, made at first start when no token or CA is configured. */
static int stw__token(struct stw *s, const char *dir, char *err, size_t errlen)
{
	uint8_t r[32];
	char hx[66];
	int fd;

	snprintf(s->token_path, sizeof(s->token_path), "%s/owner-token", dir);
	if (access(s->token_path, F_OK) == 0)
		return 0;
	if (RAND_bytes(r, sizeof(r)) != 1)
		return ENARX_E_INTERNAL;
	hex_encode(r, sizeof(r), hx);
	OPENSSL_cleanse(r, sizeof(r));
	hx[64] = '\n';
	fd = open(s->token_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, errlen, "cannot create %.900s: %s", s->token_path, strerror(errno));
		return ENARX_E_IO;
	}
	if (write(fd, hx, 65) != 65) {
		close(fd);
		snprintf(err, errlen, "cannot write %.900s", s->token_path);
		return ENARX_E_IO;
	}
	close(fd);
	OPENSSL_cleanse(hx, sizeof(hx));
	return 0;
}

static enarx_policy *stw__policy(const char *path, char *err, size_t errlen)
{
	struct buf b = {0};
	enarx_policy *p;
	char perr[256];

	if (path == NULL)
		return enarx_policy_default();
	if (file_read_all(path, 1u << 20, &b, perr, sizeof(perr)) != 0) {
		snprintf(err, errlen, "%s", perr);
		return NULL;
	}
	p = enarx_policy_parse((const char *)b.data, b.len, perr, sizeof(perr));
	if (p == NULL)
		snprintf(err, errlen, "policy %s: %s", path, perr);
	buf_free(&b, 0);
	return p;
}

int steward_serve(const struct steward_conf *c)
{
	struct stw s = {.conf = c, .at = c->at};
	struct http_server *srv = NULL;
	char err[1024], dbpath[4200], cert[4200], key[4200], lock[4200], fp[96];
	size_t calen;
	const uint8_t *ca;
	int rc = 1, lk = -1;

	if (c->at) {
		char t[32];
		steward_time_text(c->at, t);
		snprintf(s.at_text, sizeof(s.at_text), "%s fixed by --at", t);
		snprintf(s.time_header, sizeof(s.time_header), "%s; fixed", t);
		s.headers[0] = "Enarx-Verification-Time";
		s.headers[1] = s.time_header;
	} else {
		snprintf(s.at_text, sizeof(s.at_text), "now");
	}
	if ((s.pol = stw__policy(c->policy_file, err, sizeof(err))) == NULL)
		goto fail;
	if ((s.att = enarx_attest_new()) == NULL) {
		snprintf(err, sizeof(err), "cannot load the pinned vendor roots");
		goto fail;
	}
	if (steward_signer_start(c->state_dir, &s.signer, err, sizeof(err)) != 0)
		goto fail;
	ca = steward_signer_ca(s.signer, &calen);
	const unsigned char *q = ca;
	if ((s.ca = d2i_X509(NULL, &q, (long)calen)) == NULL ||
	    (s.store = X509_STORE_new()) == NULL || !X509_STORE_add_cert(s.store, s.ca)) {
		snprintf(err, sizeof(err), "the signer's CA certificate is unusable");
		goto fail;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/steward.db", c->state_dir);
	if (steward_db_open(c->db ? c->db : dbpath, &s.db, err, sizeof(err)) != 0)
		goto fail;
	/* A token always exists, so a client certificate stays optional in the
	 * handshake: Keeps come without one. */
	if (c->token_file == NULL && stw__token(&s, c->state_dir, err, sizeof(err)) != 0)
		goto fail;
	snprintf(cert, sizeof(cert), "%s/steward-cert.pem", c->state_dir);
	snprintf(key, sizeof(key), "%s/steward-key.pem", c->state_dir);
	snprintf(lock, sizeof(lock), "%s/.ca.lock", c->state_dir);
	/* Replicas sharing a folder write and load the pair under one lock. */
	lk = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lk < 0 || flock(lk, LOCK_EX) != 0) {
		snprintf(err, sizeof(err), "cannot lock %.900s: %s", lock, strerror(errno));
		goto fail;
	}
	if (stw__server_cert(&s, cert, key, err, sizeof(err)) != 0)
		goto fail;
	struct http_conf hc = {
	    .listen = c->listen,
	    .name = "steward",
	    .state_dir = c->state_dir,
	    .cert_file = cert,
	    .key_file = key,
	    .client_ca_file = c->client_ca,
	    .token_file = c->token_file ? c->token_file : s.token_path,
	    .max_conns = (unsigned)c->max_conns,
	    .max_body = 2u << 20,
	    .routes = stw_routes,
	    .nroutes = sizeof(stw_routes) / sizeof(stw_routes[0]),
	    .headers = s.headers,
	    .arg = &s,
	};
	if (http_server_new(&hc, &srv, err, sizeof(err)) != 0)
		goto fail;
	close(lk);
	lk = -1;
	steward_fingerprint(s.ca, fp);
	printf("listening https://%s\n", c->listen);
	printf("port %u\n", http_server_port(srv));
	printf("ca %s/ca-cert.pem\n", c->state_dir);
	printf("ca-sha256 %s\n", fp);
	printf("database %s\n", steward_db_kind(s.db));
	if (hc.token_file)
		printf("token %s\n", hc.token_file);
	printf("verification-time %s\n", s.at_text);
	printf("ready\n");
	fflush(stdout);
	stw__log(&s, LOG_WARN, "serving on %s (port %u), CA %s, %s database", c->listen,
	         http_server_port(srv), fp, steward_db_kind(s.db));
	rc = http_server_run(srv) == 0 ? 0 : 1;
	stw__log(&s, LOG_WARN, "stopped");
	goto out;
fail:
	fprintf(stderr, "enarx: steward: %s\n", err);
out:
	if (lk >= 0)
		close(lk);
	http_server_free(srv);
	steward_db_close(s.db);
	steward_signer_stop(s.signer);
	X509_STORE_free(s.store);
	X509_free(s.ca);
	enarx_attest_free(s.att);
	enarx_policy_free(s.pol);
	return rc;
}
