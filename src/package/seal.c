/* SPDX-License-Identifier: Apache-2.0 */
/* Sealed record streams (seal.h) on the project's HPKE (crypto/hpke.h). */
#include "package/seal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/hex.h"

#define INFO_PREFIX "enarx-deploy-v1 "
#define AAD "enarx-deploy-v1 record"

struct seal_stream {
	hpke_ctx *c;
	uint64_t next; /* index of the next record */
	int ended;     /* a final record went through */
};

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

static void put32(uint8_t *p, size_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int seal_binding(const uint8_t *kem_pk, size_t kem_len, const uint8_t *sig_pk, size_t sig_len,
                 const uint8_t *nonce, size_t nonce_len, uint8_t out[KP_BINDING_LEN])
{
	static const char label[] = "enarx-deploy-v1 keys";
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	uint8_t l[3][4];
	unsigned int dl = 0;
	int ok;

	put32(l[0], kem_len);
	put32(l[1], sig_len);
	put32(l[2], nonce_len);
	ok = m && EVP_DigestInit_ex(m, EVP_sha512(), NULL) &&
	     EVP_DigestUpdate(m, label, sizeof(label) - 1) && EVP_DigestUpdate(m, l[0], 4) &&
	     EVP_DigestUpdate(m, kem_pk, kem_len) && EVP_DigestUpdate(m, l[1], 4) &&
	     EVP_DigestUpdate(m, sig_pk, sig_len) && EVP_DigestUpdate(m, l[2], 4) &&
	     EVP_DigestUpdate(m, nonce, nonce_len) && EVP_DigestFinal_ex(m, out, &dl) &&
	     dl == KP_BINDING_LEN;
	EVP_MD_CTX_free(m);
	return ok ? 0 : ENARX_E_HPKE_CRYPTO;
}

static size_t make_info(enum seal_dir dir, const uint8_t *binding, uint8_t *info)
{
	const char *d = dir == SEAL_TO_KEEP ? "to-keep" : "to-client";
	size_t n = strlen(INFO_PREFIX), dl = strlen(d);

	memcpy(info, INFO_PREFIX, n);
	memcpy(info + n, d, dl);
	memcpy(info + n + dl, binding, KP_BINDING_LEN);
	return n + dl + KP_BINDING_LEN;
}

static const hpke_suite suite = {SEAL_KEM, SEAL_KDF, SEAL_AEAD};

int seal_sender_new(const hpke_key *pkR, const hpke_key *skS, enum seal_dir dir,
                    const uint8_t binding[KP_BINDING_LEN], struct buf *head,
                    struct seal_stream **out)
{
	uint8_t info[96], enc[HPKE_MAX_ENC_LEN];
	hpke_params p = {.mode = skS ? HPKE_MODE_AUTH : HPKE_MODE_BASE, .auth_key = skS};
	struct kp_seal_head h = {.kem = SEAL_KEM, .kdf = SEAL_KDF, .aead = SEAL_AEAD};
	struct seal_stream *s = xcalloc(1, sizeof(*s));
	size_t enc_len = 0;
	int rc = ENARX_E_NOMEM;

	*out = NULL;
	if (!s || !(s->c = hpke_ctx_new(suite)))
		goto fail;
	p.info = info;
	p.info_len = make_info(dir, binding, info);
	rc = hpke_setup_sender(s->c, pkR, &p, enc, sizeof(enc), &enc_len);
	if (rc)
		goto fail;
	h.binding = binding;
	h.binding_len = KP_BINDING_LEN;
	h.enc = enc;
	h.enc_len = enc_len;
	rc = kp_enc_seal_head(head, &h);
	if (rc)
		goto fail;
	*out = s;
	return 0;
fail:
	seal_stream_free(s);
	return rc;
}

int seal_recipient_new(const hpke_key *skR, const hpke_key *pkS, enum seal_dir dir,
                       const uint8_t binding[KP_BINDING_LEN], const uint8_t *head, size_t head_len,
                       struct seal_stream **out, char *err, size_t n)
{
	uint8_t info[96];
	hpke_params p = {.mode = pkS ? HPKE_MODE_AUTH : HPKE_MODE_BASE, .auth_key = pkS};
	struct kp_seal_head h;
	struct seal_stream *s;
	char got[17], want[17];
	int rc = kp_dec_seal_head(head, head_len, &h);

	*out = NULL;
	if (rc)
		return fail(err, n, rc, "malformed seal head: %s", enarx_strerror(rc));
	if (h.kem != SEAL_KEM || h.kdf != SEAL_KDF || h.aead != SEAL_AEAD)
		return fail(err, n, ENARX_E_HPKE_SUITE,
		            "HPKE suite kem 0x%04x kdf 0x%04x aead 0x%04x (this speaks 0x%04x "
		            "0x%04x 0x%04x)",
		            h.kem, h.kdf, h.aead, SEAL_KEM, SEAL_KDF, SEAL_AEAD);
	if (CRYPTO_memcmp(h.binding, binding, KP_BINDING_LEN) != 0) {
		hex_encode(h.binding, 8, got);
		hex_encode(binding, 8, want);
		return fail(err, n, ENARX_E_ATTEST_BINDING,
		            "sealed to another Keep: binding %s..., this Keep is %s...", got, want);
	}
	s = xcalloc(1, sizeof(*s));
	if (!s || !(s->c = hpke_ctx_new(suite))) {
		seal_stream_free(s);
		return fail(err, n, ENARX_E_NOMEM, "out of memory");
	}
	p.info = info;
	p.info_len = make_info(dir, binding, info);
	rc = hpke_setup_recipient(s->c, skR, &p, h.enc, h.enc_len);
	if (rc) {
		fail(err, n, rc, "cannot open the HPKE stream: %s", hpke_ctx_error(s->c));
		seal_stream_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int seal_tag_final(uint8_t tag)
{
	return tag == SEAL_PKG_END || tag == SEAL_EXIT || tag == SEAL_TRAP || tag == SEAL_ERROR;
}

int seal_record(struct seal_stream *s, uint8_t tag, const uint8_t *data, size_t data_len,
                struct buf *frame)
{
	size_t ct_len = 0, start;
	uint8_t *pt;
	int rc;

	if (data_len > SEAL_RECORD_MAX)
		return ENARX_E_OVERFLOW;
	rc = buf_append_u64le(frame, s->next);
	if (!rc)
		rc = buf_reserve(frame, 1 + data_len + HPKE_TAG_LEN);
	if (rc)
		return rc;
	/* the plaintext (data || tag) is laid out in place and sealed over
	 * itself */
	start = frame->len;
	pt = frame->data + start;
	if (data_len)
		memcpy(pt, data, data_len);
	pt[data_len] = tag;
	rc = hpke_seal(s->c, (const uint8_t *)AAD, sizeof(AAD) - 1, pt, 1 + data_len, pt,
	               1 + data_len + HPKE_TAG_LEN, &ct_len);
	if (rc) {
		OPENSSL_cleanse(pt, 1 + data_len);
		frame->len = start - 8;
		return rc;
	}
	frame->len = start + ct_len;
	s->next++;
	return 0;
}

int seal_record_spare(struct seal_stream *s, uint8_t tag, uint8_t *data, size_t data_len,
                      struct buf *frame)
{
	size_t ct_len = 0, start;
	uint8_t saved;
	int rc;

	if (data_len > SEAL_RECORD_MAX)
		return ENARX_E_OVERFLOW;
	rc = buf_append_u64le(frame, s->next);
	if (!rc)
		rc = buf_reserve(frame, 1 + data_len + HPKE_TAG_LEN);
	if (rc)
		return rc;
	start = frame->len;
	saved = data[data_len];
	data[data_len] = tag;
	rc = hpke_seal(s->c, (const uint8_t *)AAD, sizeof(AAD) - 1, data, 1 + data_len,
	               frame->data + start, 1 + data_len + HPKE_TAG_LEN, &ct_len);
	data[data_len] = saved;
	if (rc) {
		frame->len = start - 8;
		return rc;
	}
	frame->len = start + ct_len;
	s->next++;
	return 0;
}

int seal_open(struct seal_stream *s, const uint8_t *payload, size_t len, uint8_t *tag,
              struct buf *out, int *final, char *err, size_t n)
{
	const uint8_t *ct;
	size_t ct_len, pt_len = 0, start;
	uint64_t index;
	uint8_t *pt;
	int rc = kp_dec_sealed(payload, len, &index, &ct, &ct_len);

	*final = 0;
	if (rc)
		return fail(err, n, rc, "record %llu: malformed (%s)", (unsigned long long)s->next,
		            enarx_strerror(rc));
	if (s->ended)
		return fail(err, n, ENARX_E_MALFORMED,
		            "record %llu after the end of the stream (spliced or replayed)",
		            (unsigned long long)index);
	if (index != s->next)
		return fail(err, n, ENARX_E_MALFORMED,
		            "record %llu arrived where record %llu was expected (reordered, "
		            "dropped or replayed)",
		            (unsigned long long)index, (unsigned long long)s->next);
	if (ct_len - HPKE_TAG_LEN > SEAL_RECORD_MAX + 1)
		return fail(err, n, ENARX_E_OVERFLOW, "record %llu: larger than %u bytes",
		            (unsigned long long)index, SEAL_RECORD_MAX);
	rc = buf_reserve(out, ct_len);
	if (rc)
		return fail(err, n, rc, "out of memory");
	start = out->len;
	pt = out->data + start;
	rc =
	    hpke_open(s->c, (const uint8_t *)AAD, sizeof(AAD) - 1, ct, ct_len, pt, ct_len, &pt_len);
	if (rc == ENARX_E_HPKE_OPEN)
		return fail(err, n, rc,
		            "record %llu is not authentic (a modified byte, or sealed for "
		            "another Keep or session)",
		            (unsigned long long)index);
	if (rc)
		return fail(err, n, rc, "record %llu: %s", (unsigned long long)index,
		            hpke_ctx_error(s->c));
	if (pt_len < 1)
		return fail(err, n, ENARX_E_MALFORMED, "record %llu: empty",
		            (unsigned long long)index);
	*tag = pt[pt_len - 1];
	out->len = start + pt_len - 1;
	s->next++;
	*final = seal_tag_final(*tag);
	if (*tag == SEAL_PKG_END)
		*final = 1; /* the package part ends; stdin records may follow */
	else if (*final)
		s->ended = 1;
	return 0;
}

uint64_t seal_count(const struct seal_stream *s)
{
	return s->next;
}

void seal_stream_free(struct seal_stream *s)
{
	if (!s)
		return;
	hpke_ctx_free(s->c);
	xfree(s);
}
