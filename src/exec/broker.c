/* SPDX-License-Identifier: Apache-2.0 */
/* The executor's side of Steward's key broker for sealed packages
 * (broker.h; docs/package.md "Sealed for Steward", docs/steward.md "Key
 * broker"): background check. The Keep makes a P-256 key, asks Steward for
 * a nonce, gets evidence whose REPORT_DATA is SHA-256(SPKI || nonce), and
 * asks for the package key; Steward answers it HPKE-sealed to that key.
 * Every byte comes through the untrusted host (exec_http): the nonce is
 * only used in the binding, the answer must open with our key, and the
 * package must open (AEAD) under the released key and the header it came
 * with. */
#include "exec/broker.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "crypto/hpke.h"
#include "exec/jsonfield.h"
#include "exec/relay.h"
#include "keep/abi.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/log.h"
#include "package/package.h"
#include "package/spkg.h"

/* DER SubjectPublicKeyInfo of a P-256 key: this prefix, then the 65-byte
 * uncompressed point (id-ecPublicKey, prime256v1). */
static const uint8_t spki_p256_prefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                           0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                           0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};
#define P256_POINT_LEN 65
#define SPKI_LEN (sizeof(spki_p256_prefix) + P256_POINT_LEN)
#define NONCE_LEN 32
#define EVIDENCE_MAX (64u << 10)

static int fail(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Steward's URL without a trailing slash, then path. */
static int url_of(const struct spkg_head *h, const char *path, char *out, size_t cap)
{
	size_t l = strlen(h->url);

	if (l && h->url[l - 1] == '/')
		l--;
	return snprintf(out, cap, "%.*s%s", (int)l, h->url, path) < (int)cap ? 0 : -1;
}

/* Why an answer is not a 200: the host's transport error, or Steward's
 * problem (its check and detail). */
static int refused(const struct spkg_head *h, const char *what, const struct exec_http_resp *r,
                   char *err, size_t n)
{
	char check[96], detail[512];
	const char *body = (const char *)r->body;
	size_t len = r->len;

	if (r->status == 0)
		return fail(err, n, "cannot reach Steward %s for the package key '%s' (%s): %.*s",
		            h->url, h->name, what, (int)(len > 400 ? 400 : len), body ? body : "");
	if (body && jsonf_string(body, len, "detail", detail, sizeof(detail)) == 0) {
		if (jsonf_string(body, len, "check", check, sizeof(check)) != 0)
			snprintf(check, sizeof(check), "HTTP %u", r->status);
		return fail(err, n, "Steward refused the package key '%s': %s: %s", h->name, check,
		            detail);
	}
	return fail(err, n, "Steward %s answered %s with HTTP %u", h->url, what, r->status);
}

/* GET /v1/nonce: 32 bytes, from 64 hex digits. */
static int get_nonce(int fd, const struct spkg_head *h, char hexn[2 * NONCE_LEN + 1],
                     uint8_t nonce[NONCE_LEN], char *err, size_t n)
{
	struct exec_http_resp r;
	char url[SPKG_MAX_URL + 64], why[256];
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if (url_of(h, "/v1/nonce", url, sizeof(url)))
		return fail(err, n, "Steward URL too long");
	if (exec_http(fd, "GET", url, NULL, "application/json", NULL, 0, &r, why, sizeof(why)) != 0)
		rc = fail(err, n, "cannot reach Steward %s for the package key '%s': %s", h->url,
		          h->name, why);
	else if (r.status != 200)
		rc = refused(h, "GET /v1/nonce", &r, err, n);
	else if (jsonf_string((const char *)r.body, r.len, "nonce", hexn, 2 * NONCE_LEN + 1) != 0 ||
	         strlen(hexn) != 2 * NONCE_LEN || hex_decode(hexn, 2 * NONCE_LEN, nonce, NONCE_LEN))
		rc = fail(err, n, "Steward's nonce answer is not {\"nonce\": \"<64 hex digits>\"}");
	else
		rc = 0;
	exec_http_resp_clear(&r);
	return rc;
}

static int no_tee(long size, char *err, size_t n)
{
	return fail(err, n,
	            "this Keep has no TEE and no evidence (%s), and Steward's key broker "
	            "releases keys only to attested Keeps: run it on the kvm backend (with "
	            "a Steward policy that allows insecure Keeps) or in a TEE",
	            size == -ENOSYS ? "nil backend" : "the attestation query failed");
}

/* KVM (or TEE) evidence whose REPORT_DATA is SHA-256(spki || nonce). */
static int get_evidence(const uint8_t *spki, const uint8_t nonce[NONCE_LEN], struct buf *ev,
                        char *err, size_t n)
{
	uint8_t rd[32];
	unsigned long tech = 0;
	long size = exec_getatt_query(&tech), r;
	EVP_MD_CTX *md;
	int ok;

	if (size < 0)
		return no_tee(size, err, n);
	if (size == 0 || (size_t)size > EVIDENCE_MAX || buf_reserve(ev, (size_t)size))
		return fail(err, n, "evidence of %ld bytes (at most %u)", size, EVIDENCE_MAX);
	md = EVP_MD_CTX_new();
	ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
	     EVP_DigestUpdate(md, spki, SPKI_LEN) && EVP_DigestUpdate(md, nonce, NONCE_LEN) &&
	     EVP_DigestFinal_ex(md, rd, NULL);
	EVP_MD_CTX_free(md);
	if (!ok)
		return fail(err, n, "SHA-256 failed");
	r = syscall(KEEP_SYS_GETATT, rd, sizeof(rd), ev->data, (size_t)size);
	if (r <= 0 || r > size)
		return fail(err, n, "SYS_GETATT failed: %s", r < 0 ? strerror(errno) : "empty");
	ev->len = (size_t)r;
	return 0;
}

static char *b64(const uint8_t *p, size_t len)
{
	char *s = xmalloc(4 * ((len + 2) / 3) + 1);

	if (s)
		base64_encode(p, len, s);
	return s;
}

/* POST /v1/secrets/NAME/release; the sealed key on success. */
static int release(int fd, const struct spkg_head *h, const struct buf *ev, const uint8_t *spki,
                   const char *hexn, struct buf *sealed, char *err, size_t n)
{
	struct exec_http_resp r;
	struct buf body = {0};
	char url[SPKG_MAX_URL + 128], path[SPKG_MAX_NAME + 32], why[256],
	    *e64 = b64(ev->data, ev->len), *k64 = b64(spki, SPKI_LEN), *s64 = NULL;
	size_t cap, got;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	snprintf(path, sizeof(path), "/v1/secrets/%s/release", h->name);
	if (!e64 || !k64 || url_of(h, path, url, sizeof(url)) ||
	    buf_printf(&body, "{\"evidence\": \"%s\", \"key\": \"%s\", \"nonce\": \"%s\"}", e64,
	               k64, hexn)) {
		rc = fail(err, n, "out of memory");
		goto out;
	}
	if (exec_http(fd, "POST", url, "application/json", "application/json", body.data, body.len,
	              &r, why, sizeof(why)) != 0) {
		rc = fail(err, n, "cannot reach Steward %s for the package key '%s': %s", h->url,
		          h->name, why);
		goto out;
	}
	if (r.status != 200) {
		rc = refused(h, "the key release", &r, err, n);
		goto out;
	}
	cap = r.len;
	s64 = xmalloc(cap + 1);
	if (!s64 || buf_reserve(sealed, cap)) {
		rc = fail(err, n, "out of memory");
		goto out;
	}
	got = cap;
	if (jsonf_string((const char *)r.body, r.len, "sealed", s64, cap + 1) != 0 ||
	    base64_decode(s64, strlen(s64), sealed->data, &got) != 0) {
		rc = fail(err, n, "Steward's release answer has no base64 'sealed' member");
		goto out;
	}
	sealed->len = got;
	rc = 0;
out:
	exec_http_resp_clear(&r);
	xfree(s64);
	xfree(e64);
	xfree(k64);
	buf_free(&body, 0);
	return rc;
}

/* Opens Steward's HPKE answer (DHKEM(P-256), HKDF-SHA256, AES-256-GCM,
 * info "enarx steward secret NAME") with our key: the package key. */
static int open_key(const hpke_key *k, const struct spkg_head *h, const struct buf *sealed,
                    uint8_t sk[SPKG_SK_LEN], char *err, size_t n)
{
	const hpke_suite suite = {HPKE_KEM_P256_SHA256, HPKE_KDF_HKDF_SHA256,
	                          HPKE_AEAD_AES_256_GCM};
	char info[SPKG_MAX_NAME + 32];
	uint8_t pt[SPKG_SK_LEN + 1];
	size_t got = 0;
	hpke_ctx *c = hpke_ctx_new(suite);
	int rc;

	snprintf(info, sizeof(info), "enarx steward secret %s", h->name);
	hpke_params p = {
	    .mode = HPKE_MODE_BASE, .info = (const uint8_t *)info, .info_len = strlen(info)};
	rc =
	    c ? hpke_open_single(c, k, &p, NULL, 0, sealed->data, sealed->len, pt, sizeof(pt), &got)
	      : ENARX_E_NOMEM;
	hpke_ctx_free(c);
	if (rc == 0 && got == SPKG_SK_LEN)
		memcpy(sk, pt, SPKG_SK_LEN);
	OPENSSL_cleanse(pt, sizeof(pt));
	if (rc)
		return fail(err, n,
		            "the key Steward released for '%s' does not open with this "
		            "Keep's key: %s",
		            h->name, enarx_strerror(rc));
	if (got != SPKG_SK_LEN)
		return fail(err, n,
		            "Steward's secret '%s' is %zu bytes, not a package key (%d bytes)",
		            h->name, got, SPKG_SK_LEN);
	return 0;
}

/* The package key from Steward, by background check. */
static int fetch_key(int fd, const struct spkg_head *h, uint8_t sk[SPKG_SK_LEN], char *err,
                     size_t n)
{
	hpke_key *k = NULL;
	uint8_t spki[SPKI_LEN], nonce[NONCE_LEN];
	const uint8_t *pt;
	size_t ptl = 0;
	char hexn[2 * NONCE_LEN + 1];
	struct buf ev = {0}, sealed = {0};
	unsigned long tech = 0;
	long q;
	int rc = -1;

	if (hpke_key_generate(HPKE_KEM_P256_SHA256, &k) != 0 ||
	    (pt = hpke_key_public(k, &ptl)) == NULL || ptl != P256_POINT_LEN) {
		rc = fail(err, n, "cannot make the Keep's P-256 key");
		goto out;
	}
	memcpy(spki, spki_p256_prefix, sizeof(spki_p256_prefix));
	memcpy(spki + sizeof(spki_p256_prefix), pt, P256_POINT_LEN);
	/* no TEE: say so before bothering Steward */
	q = exec_getatt_query(&tech);
	if (q < 0) {
		rc = no_tee(q, err, n);
		goto out;
	}
	if (get_nonce(fd, h, hexn, nonce, err, n) || get_evidence(spki, nonce, &ev, err, n) ||
	    release(fd, h, &ev, spki, hexn, &sealed, err, n) || open_key(k, h, &sealed, sk, err, n))
		goto out;
	rc = 0;
out:
	hpke_key_free(k);
	buf_free(&ev, 0);
	buf_free(&sealed, 1);
	return rc;
}

static char *dup_value(const struct pkg_entry *e, const char *prefix)
{
	size_t pl = prefix ? strlen(prefix) : 0;
	char *s = xmalloc(pl + e->value_len + 1);

	if (!s)
		return NULL;
	memcpy(s, prefix ? prefix : "", pl);
	if (e->value_len)
		memcpy(s + pl, e->value, e->value_len);
	s[pl + e->value_len] = 0;
	return s;
}

/* Moves the package's entries into wl (copies: the package is wiped). */
static int take_package(const struct pkg *pkg, struct exec_workload *wl)
{
	const struct pkg_entry *wasm = pkg_find(pkg, PKG_WASM), *cfg = pkg_find(pkg, PKG_CONFIG);
	char **args = xcalloc(pkg->n + wl->nargs + 1, sizeof(char *));
	char **env = xcalloc(pkg->n + wl->nenv + 1, sizeof(char *));
	uint8_t *m = xmalloc(wasm->value_len);
	size_t na = 0, ne = 0;

	if (!args || !env || !m)
		goto nomem;
	for (size_t i = 0; i < pkg->n; i++) {
		const struct pkg_entry *e = &pkg->e[i];
		char prefix[PKG_MAX_NAME + 2];

		if (e->kind == PKG_ARG && !(args[na++] = dup_value(e, NULL)))
			goto nomem;
		if (e->kind != PKG_ENV && e->kind != PKG_SECRET)
			continue;
		snprintf(prefix, sizeof(prefix), "%s=", e->name);
		if (!(env[ne++] = dup_value(e, prefix)))
			goto nomem;
	}
	if (cfg && !wl->config) {
		if (!(wl->config = dup_value(cfg, NULL)))
			goto nomem;
		wl->config_len = cfg->value_len;
	}
	memcpy(m, wasm->value, wasm->value_len);
	for (size_t i = 0; i < wl->nargs; i++)
		args[na++] = wl->args[i];
	for (size_t i = 0; i < wl->nenv; i++)
		env[ne++] = wl->env[i];
	xfree(wl->args);
	xfree(wl->env);
	wl->args = args;
	wl->nargs = na;
	wl->env = env;
	wl->nenv = ne;
	xfree(wl->wasm);
	wl->wasm = m;
	wl->wasm_len = wasm->value_len;
	return 0;
nomem:
	for (size_t i = 0; args && i < na; i++)
		xfree(args[i]);
	for (size_t i = 0; env && i < ne; i++) {
		OPENSSL_cleanse(env[i], strlen(env[i]));
		xfree(env[i]);
	}
	xfree(args);
	xfree(env);
	xfree(m);
	return -1;
}

int exec_broker_open(int fd, struct exec_workload *wl, char *err, size_t n)
{
	struct spkg_head h;
	struct buf plain = {0};
	struct pkg pkg = {0};
	uint8_t sk[SPKG_SK_LEN];
	char why[700];
	int rc = -1;

	if (spkg_parse(wl->wasm, wl->wasm_len, &h, why, sizeof(why)) != 0)
		return fail(err, n, "sealed package: %s", why);
	log_info("exec: sealed package: asking Steward %s for the key '%s'", h.url, h.name);
	if (fetch_key(fd, &h, sk, why, sizeof(why)) != 0) {
		fail(err, n, "sealed package: %s", why);
		goto out;
	}
	rc = spkg_open(wl->wasm, &h, sk, sizeof(sk), &plain, why, sizeof(why));
	OPENSSL_cleanse(sk, sizeof(sk));
	if (rc == 0)
		rc = pkg_decode(plain.data, plain.len, &pkg, why, sizeof(why));
	if (rc != 0) {
		rc = fail(err, n, "sealed package: %s", why);
		goto out;
	}
	rc = take_package(&pkg, wl);
	if (rc)
		fail(err, n, "sealed package: out of memory");
	else
		log_info("exec: sealed package opened with the key Steward released");
out:
	pkg_clear(&pkg);
	buf_free(&plain, 1);
	return rc;
}
