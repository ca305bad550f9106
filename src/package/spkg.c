/* SPDX-License-Identifier: Apache-2.0 */
/* Steward-sealed packages (spkg.h, docs/package.md "Sealed for Steward").
 *
 * Layout, little-endian:
 *   magic "ENARXSPK" | u32 version | u16 kem | u16 kdf | u16 aead |
 *   u32 len, Steward URL | u32 len, secret name | u32 len, CA PEM |
 *   u32 len, enc | sealed package (the rest)
 * AAD = everything before the sealed package; HPKE info =
 * "enarx-package-v1 steward " || url || " " || name. */
#include "package/spkg.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/cursor.h"
#include "lib/err.h"

static int fail(char *err, size_t n, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t n, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && n) {
		va_start(ap, fmt);
		vsnprintf(err, n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

int spkg_is(const uint8_t *data, size_t len)
{
	return len >= SPKG_MAGIC_LEN && memcmp(data, SPKG_MAGIC, SPKG_MAGIC_LEN) == 0;
}

int spkg_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > SPKG_MAX_NAME)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* A URL we accept in a header: printable ASCII, no spaces. */
static int url_ok(const uint8_t *u, size_t n)
{
	if (n == 0 || n > SPKG_MAX_URL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (u[i] <= 0x20 || u[i] >= 0x7f)
			return 0;
	}
	return 1;
}

/* info = label || url || " " || name, into b. */
static int make_info(const char *url, const char *name, struct buf *b)
{
	return buf_printf(b, "%s%s %s", SPKG_INFO_LABEL, url, name);
}

static int put_u16(struct buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	return buf_append(b, x, 2);
}

static int put_bytes(struct buf *b, const void *p, size_t n)
{
	return buf_append_u32le(b, (uint32_t)n) || (n && buf_append(b, p, n));
}

int spkg_seal(const uint8_t *pkg, size_t len, const char *url, const char *name, const uint8_t *ca,
              size_t ca_len, struct buf *out, uint8_t sk[SPKG_SK_LEN], char *err, size_t errlen)
{
	const hpke_suite suite = {SPKG_KEM, SPKG_KDF, SPKG_AEAD};
	hpke_key *k = NULL;
	hpke_ctx *c = NULL;
	struct buf info = {0};
	uint8_t enc[HPKE_MAX_ENC_LEN];
	size_t enc_len = 0, sk_len = 0, start = out->len, head, cap, wrote = 0;
	int rc;

	if (!url || !url_ok((const uint8_t *)url, strlen(url)) ||
	    (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0))
		return fail(err, errlen, ENARX_E_INVAL,
		            "Steward URL '%s': an http(s):// URL of at most %d printable bytes",
		            url ? url : "", SPKG_MAX_URL);
	if (!spkg_name_ok(name))
		return fail(err, errlen, ENARX_E_INVAL,
		            "secret name '%s': 1 to %d of [A-Za-z0-9._-] (Steward's rule)",
		            name ? name : "", SPKG_MAX_NAME);
	if (ca_len > SPKG_MAX_CA)
		return fail(err, errlen, ENARX_E_INVAL, "Steward CA: %zu bytes, at most %u", ca_len,
		            SPKG_MAX_CA);
	rc = hpke_key_generate(SPKG_KEM, &k);
	if (!rc)
		rc = hpke_key_private(k, sk, SPKG_SK_LEN, &sk_len);
	if (!rc && sk_len != SPKG_SK_LEN)
		rc = ENARX_E_INTERNAL;
	/* the header: the encapsulated key comes from the sender setup */
	c = rc ? NULL : hpke_ctx_new(suite);
	if (!rc && !c)
		rc = ENARX_E_NOMEM;
	if (!rc)
		rc = make_info(url, name, &info) ? ENARX_E_NOMEM : 0;
	hpke_params p = {.mode = HPKE_MODE_BASE, .info = info.data, .info_len = info.len};
	if (!rc)
		rc = hpke_setup_sender(c, k, &p, enc, sizeof(enc), &enc_len);
	if (!rc &&
	    (buf_append(out, SPKG_MAGIC, SPKG_MAGIC_LEN) || buf_append_u32le(out, SPKG_VERSION) ||
	     put_u16(out, SPKG_KEM) || put_u16(out, SPKG_KDF) || put_u16(out, SPKG_AEAD) ||
	     put_bytes(out, url, strlen(url)) || put_bytes(out, name, strlen(name)) ||
	     put_bytes(out, ca, ca_len) || put_bytes(out, enc, enc_len)))
		rc = ENARX_E_NOMEM;
	head = out->len - start;
	cap = len + HPKE_TAG_LEN;
	if (!rc && buf_reserve(out, cap))
		rc = ENARX_E_NOMEM;
	if (!rc)
		rc = hpke_seal(c, out->data + start, head, pkg, len, out->data + out->len, cap,
		               &wrote);
	if (!rc)
		out->len += wrote;
	else
		fail(err, errlen, rc, "sealing the package: %s",
		     c && hpke_ctx_error(c)[0] ? hpke_ctx_error(c) : enarx_strerror(rc));
	if (rc) {
		OPENSSL_cleanse(sk, SPKG_SK_LEN);
		out->len = start;
	}
	hpke_ctx_free(c);
	hpke_key_free(k);
	buf_free(&info, 0);
	return rc;
}

/* A u32-length-prefixed field of at most max bytes. */
static int field(struct cursor *c, size_t max, const char *what, const uint8_t **p, size_t *n,
                 char *err, size_t errlen)
{
	size_t at = cursor_offset(c);
	uint32_t l;

	if (cursor_u32le(c, &l))
		return fail(err, errlen, ENARX_E_TRUNCATED, "%s length at byte %zu: truncated",
		            what, at);
	if (l > max)
		return fail(err, errlen, ENARX_E_OVERFLOW, "%s at byte %zu: %u bytes, at most %zu",
		            what, at, l, max);
	if (cursor_bytes(c, l, p))
		return fail(err, errlen, ENARX_E_TRUNCATED,
		            "%s at byte %zu: %u bytes announced, %zu left", what, at, l,
		            cursor_left(c));
	*n = l;
	return 0;
}

int spkg_parse(const uint8_t *data, size_t len, struct spkg_head *h, char *err, size_t errlen)
{
	struct cursor c;
	const uint8_t *p;
	size_t n;
	uint32_t version;
	int rc;

	memset(h, 0, sizeof(*h));
	if (!spkg_is(data, len))
		return fail(err, errlen, ENARX_E_MALFORMED,
		            "not a Steward-sealed package (no ENARXSPK magic)");
	cursor_init(&c, data, len);
	cursor_skip(&c, SPKG_MAGIC_LEN);
	if (cursor_u32le(&c, &version) || cursor_u16le(&c, &h->kem) || cursor_u16le(&c, &h->kdf) ||
	    cursor_u16le(&c, &h->aead))
		return fail(err, errlen, ENARX_E_TRUNCATED, "header truncated at byte %zu",
		            cursor_offset(&c));
	if (version != SPKG_VERSION)
		return fail(err, errlen, ENARX_E_NOTSUP,
		            "sealed package format %u; this executor reads %u", version,
		            SPKG_VERSION);
	if (h->kem != SPKG_KEM || h->kdf != SPKG_KDF || h->aead != SPKG_AEAD)
		return fail(err, errlen, ENARX_E_NOTSUP,
		            "HPKE suite 0x%04x/0x%04x/0x%04x; expected 0x%04x/0x%04x/0x%04x",
		            h->kem, h->kdf, h->aead, SPKG_KEM, SPKG_KDF, SPKG_AEAD);
	if ((rc = field(&c, SPKG_MAX_URL, "Steward URL", &p, &n, err, errlen)))
		return rc;
	if (!url_ok(p, n))
		return fail(err, errlen, ENARX_E_MALFORMED,
		            "Steward URL: empty or not printable ASCII");
	memcpy(h->url, p, n);
	h->url[n] = 0;
	if ((rc = field(&c, SPKG_MAX_NAME, "secret name", &p, &n, err, errlen)))
		return rc;
	memcpy(h->name, p, n);
	h->name[n] = 0;
	if (n != strlen(h->name) || !spkg_name_ok(h->name))
		return fail(err, errlen, ENARX_E_MALFORMED,
		            "secret name: 1 to %d of [A-Za-z0-9._-]", SPKG_MAX_NAME);
	if ((rc = field(&c, SPKG_MAX_CA, "Steward CA", &h->ca, &h->ca_len, err, errlen)))
		return rc;
	if ((rc = field(&c, HPKE_MAX_ENC_LEN, "encapsulated key", &h->enc, &h->enc_len, err,
	                errlen)))
		return rc;
	if (h->enc_len != hpke_kem_enc_len(SPKG_KEM))
		return fail(err, errlen, ENARX_E_MALFORMED,
		            "encapsulated key: %zu bytes, X25519 has %zu", h->enc_len,
		            hpke_kem_enc_len(SPKG_KEM));
	h->head_len = cursor_offset(&c);
	h->ct = data + h->head_len;
	h->ct_len = len - h->head_len;
	if (h->ct_len < HPKE_TAG_LEN)
		return fail(err, errlen, ENARX_E_TRUNCATED,
		            "sealed package at byte %zu: %zu bytes, shorter than the AEAD tag",
		            h->head_len, h->ct_len);
	return 0;
}

int spkg_open(const uint8_t *data, const struct spkg_head *h, const uint8_t *sk, size_t sk_len,
              struct buf *plain, char *err, size_t errlen)
{
	const hpke_suite suite = {SPKG_KEM, SPKG_KDF, SPKG_AEAD};
	hpke_key *k = NULL;
	hpke_ctx *c = NULL;
	struct buf info = {0};
	size_t got = 0, cap = h->ct_len - HPKE_TAG_LEN;
	int rc;

	rc = hpke_key_from_private(SPKG_KEM, sk, sk_len, &k);
	if (rc)
		return fail(err, errlen, rc, "the released package key is not an X25519 key");
	c = hpke_ctx_new(suite);
	rc = c && !make_info(h->url, h->name, &info) ? 0 : ENARX_E_NOMEM;
	hpke_params p = {.mode = HPKE_MODE_BASE, .info = info.data, .info_len = info.len};
	if (!rc)
		rc = hpke_setup_recipient(c, k, &p, h->enc, h->enc_len);
	if (!rc && buf_reserve(plain, cap + 1))
		rc = ENARX_E_NOMEM;
	if (!rc)
		rc = hpke_open(c, data, h->head_len, h->ct, h->ct_len, plain->data + plain->len,
		               cap + 1, &got);
	if (!rc)
		plain->len += got;
	else if (rc == ENARX_E_HPKE_OPEN)
		fail(err, errlen, rc,
		     "the sealed package is not authentic under the key Steward released for %s "
		     "(another package key, or a changed byte)",
		     h->name);
	else
		fail(err, errlen, rc, "opening the sealed package: %s",
		     c && hpke_ctx_error(c)[0] ? hpke_ctx_error(c) : enarx_strerror(rc));
	hpke_ctx_free(c);
	hpke_key_free(k);
	buf_free(&info, 0);
	return rc;
}
