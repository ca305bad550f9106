/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the verifiers: error detail, a small DER reader over the
 * bounds-checked cursor, certificate/CRL checks done explicitly (so each
 * vendor's quirks are accepted on purpose and nothing else), ECDSA with raw
 * r/s, and time parsing.
 */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "attest/attest_int.h"
#include "lib/alloc.h"
#include "lib/hex.h"

int aerr(attest_err *e, int rc, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* ---------------- DER ---------------- */

int der_read(struct cursor *c, uint8_t *tag, struct cursor *val)
{
	struct cursor save = *c;
	uint8_t t, l;
	size_t len = 0;
	int rc;

	if ((rc = cursor_u8(c, &t)) || (rc = cursor_u8(c, &l)))
		goto fail;
	if ((t & 0x1f) == 0x1f) { /* high tag numbers: not used by anything we read */
		rc = ENARX_E_MALFORMED;
		goto fail;
	}
	if (l < 0x80) {
		len = l;
	} else {
		unsigned nb = l & 0x7f;
		if (nb == 0 || nb > 4) { /* indefinite or absurd length */
			rc = ENARX_E_MALFORMED;
			goto fail;
		}
		for (unsigned i = 0; i < nb; i++) {
			uint8_t b;
			if ((rc = cursor_u8(c, &b)))
				goto fail;
			len = (len << 8) | b;
		}
	}
	if ((rc = cursor_sub(c, len, val)))
		goto fail;
	*tag = t;
	return 0;
fail:
	*c = save;
	return rc;
}

int der_expect(struct cursor *c, uint8_t tag, struct cursor *val)
{
	struct cursor save = *c;
	uint8_t t;
	int rc = der_read(c, &t, val);
	if (rc)
		return rc;
	if (t != tag) {
		*c = save;
		return ENARX_E_MALFORMED;
	}
	return 0;
}

int der_uint(struct cursor *c, uint64_t *v)
{
	struct cursor val;
	uint8_t t;
	int rc = der_read(c, &t, &val);
	if (rc)
		return rc;
	if ((t != DER_INTEGER && t != DER_ENUMERATED) || cursor_left(&val) == 0 ||
	    cursor_left(&val) > 9 || (val.p[0] & 0x80))
		return ENARX_E_MALFORMED;
	uint64_t x = 0;
	size_t n = cursor_left(&val);
	if (n == 9 && val.p[0] != 0)
		return ENARX_E_OVERFLOW;
	for (size_t i = 0; i < n; i++)
		x = (x << 8) | val.p[i];
	if (x >> 63)
		return ENARX_E_OVERFLOW;
	*v = x;
	return 0;
}

int der_peek_tlv(const struct cursor *c, const uint8_t **p, size_t *n)
{
	struct cursor tmp = *c, val;
	uint8_t t;
	int rc = der_read(&tmp, &t, &val);
	if (rc)
		return rc;
	*p = c->p;
	*n = (size_t)(tmp.p - c->p);
	return 0;
}

/* ---------------- hashing ---------------- */

int attest_sha256(const void *p, size_t n, uint8_t out[32])
{
	return EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : ENARX_E_INTERNAL;
}

int attest_sha384(const void *p, size_t n, uint8_t out[48])
{
	return EVP_Digest(p, n, out, NULL, EVP_sha384(), NULL) == 1 ? 0 : ENARX_E_INTERNAL;
}

/* ---------------- certificates ---------------- */

static int push_der_cert(STACK_OF(X509) * sk, const uint8_t *p, size_t n)
{
	const unsigned char *q = p;
	X509 *x = d2i_X509(NULL, &q, (long)n);
	if (!x || q != p + n) {
		X509_free(x);
		return ENARX_E_MALFORMED;
	}
	if (!sk_X509_push(sk, x)) {
		X509_free(x);
		return ENARX_E_NOMEM;
	}
	return 0;
}

static bool looks_pem(const uint8_t *p, size_t n)
{
	return n >= 11 && memmem(p, n, "-----BEGIN ", 11) != NULL;
}

/*
 * Strict layout of a PEM certificate bundle: only CERTIFICATE blocks with
 * base64 lines, separated and followed by line breaks (and NULs at the end,
 * as in quote certification data). The PEM reader skips anything between
 * blocks, so without this check unsigned bytes there could be changed
 * unnoticed. Returns the number of blocks, or -1.
 */
static int pem_strict_blocks(const uint8_t *p, size_t n)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	size_t i = 0, bl = sizeof(begin) - 1, el = sizeof(end) - 1;
	int blocks = 0;
	for (;;) {
		while (i < n && (p[i] == '\n' || p[i] == '\r'))
			i++;
		if (i == n)
			return blocks;
		if (p[i] == 0) { /* trailing NULs only */
			while (i < n && p[i] == 0)
				i++;
			return i == n ? blocks : -1;
		}
		if (n - i < bl || memcmp(p + i, begin, bl) != 0)
			return -1;
		i += bl;
		for (;;) {
			if (i < n && (p[i] == '\n' || p[i] == '\r')) {
				i++;
				continue;
			}
			if (n - i >= el && memcmp(p + i, end, el) == 0) {
				i += el;
				break;
			}
			if (i >= n)
				return -1;
			uint8_t ch = p[i];
			if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			      (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' || ch == '='))
				return -1;
			i++;
		}
		blocks++;
		if (i < n && p[i] != '\n' && p[i] != '\r' && p[i] != 0)
			return -1;
	}
}

int attest_pem_split(const uint8_t *p, size_t n, attest_bytes_list *out)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	int blocks = pem_strict_blocks(p, n);
	if (blocks <= 0)
		return ENARX_E_MALFORMED;
	uint8_t *b64 = xmalloc(n + 1), *der = xmalloc(n + 1);
	int rc = b64 && der ? 0 : ENARX_E_NOMEM;
	const uint8_t *q = p, *lim = p + n;
	for (int k = 0; !rc && k < blocks; k++) {
		const uint8_t *s0 = memmem(q, (size_t)(lim - q), begin, sizeof(begin) - 1);
		const uint8_t *e0 =
		    s0 ? memmem(s0, (size_t)(lim - s0), end, sizeof(end) - 1) : NULL;
		if (!s0 || !e0) {
			rc = ENARX_E_MALFORMED;
			break;
		}
		size_t m = 0;
		for (const uint8_t *c = s0 + sizeof(begin) - 1; c < e0; c++)
			if (*c != '\n' && *c != '\r')
				b64[m++] = *c;
		size_t dl = n;
		rc = base64_decode((const char *)b64, m, der, &dl);
		if (!rc)
			rc = attest_bytes_list_add(out, der, dl);
		q = e0 + sizeof(end) - 1;
	}
	xfree(b64);
	xfree(der);
	return rc;
}

static int parse_pem_certs(const uint8_t *p, size_t n, STACK_OF(X509) * sk)
{
	int blocks = pem_strict_blocks(p, n);
	if (blocks <= 0)
		return ENARX_E_MALFORMED;
	if (n > INT32_MAX)
		return ENARX_E_OVERFLOW;
	BIO *b = BIO_new_mem_buf(p, (int)n);
	if (!b)
		return ENARX_E_NOMEM;
	X509 *x;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			BIO_free(b);
			return ENARX_E_NOMEM;
		}
	}
	ERR_clear_error();
	BIO_free(b);
	return sk_X509_num(sk) == blocks ? 0 : ENARX_E_MALFORMED;
}

int attest_parse_certs(const uint8_t *p, size_t n, STACK_OF(X509) * *out)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	int rc;
	if (!sk)
		return ENARX_E_NOMEM;
	if (looks_pem(p, n)) {
		rc = parse_pem_certs(p, n, sk);
	} else {
		/* A Certificate is SEQUENCE { SEQUENCE tbs, ...}; a PkiPath is a
		 * SEQUENCE OF Certificate, i.e. SEQUENCE { SEQUENCE { SEQUENCE ... */
		struct cursor c, outer, first;
		uint8_t t;
		cursor_init(&c, p, n);
		rc = der_expect(&c, DER_SEQUENCE, &outer);
		if (!rc && !cursor_eof(&c))
			rc = ENARX_E_TRAILING;
		if (!rc) {
			struct cursor tmp = outer, inner;
			rc = der_read(&tmp, &t, &first);
			if (!rc && t == DER_SEQUENCE && der_read(&first, &t, &inner) == 0 &&
			    t == DER_SEQUENCE) {
				/* PkiPath */
				while (!rc && !cursor_eof(&outer)) {
					const uint8_t *cp;
					size_t cn;
					rc = der_peek_tlv(&outer, &cp, &cn);
					if (!rc)
						rc = push_der_cert(sk, cp, cn);
					if (!rc)
						rc = cursor_skip(&outer, cn);
				}
			} else {
				rc = push_der_cert(sk, p, n);
			}
		}
	}
	if (rc) {
		sk_X509_pop_free(sk, X509_free);
		ERR_clear_error();
		return rc;
	}
	*out = sk;
	return 0;
}

static time_t asn1_to_time(const ASN1_TIME *t)
{
	struct tm tm;
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

void attest_cert_window(X509 *x, time_t *lo, time_t *hi)
{
	*lo = asn1_to_time(X509_get0_notBefore(x));
	*hi = asn1_to_time(X509_get0_notAfter(x));
}

int attest_cert_time_ok(X509 *x, time_t at)
{
	time_t lo, hi;
	attest_cert_window(x, &lo, &hi);
	return lo != 0 && hi != 0 && lo <= at && at <= hi;
}

void attest_cert_cn(X509 *x, char *buf, size_t n)
{
	buf[0] = 0;
	int len = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, (int)n);
	if (len < 0)
		buf[0] = 0;
}

int attest_cert_signed_by(X509 *child, X509 *issuer, EVP_PKEY *issuer_key, attest_err *e,
                          const char *what)
{
	if (X509_NAME_cmp(X509_get_issuer_name(child), X509_get_subject_name(issuer)) != 0)
		return aerr(e, ENARX_E_ATTEST_CHAIN, "%s: issuer name does not match the issuer",
		            what);
	int ok = X509_verify(child, issuer_key);
	ERR_clear_error();
	if (ok != 1)
		return aerr(e, ENARX_E_ATTEST_CHAIN, "%s: certificate signature failure", what);
	return 0;
}

int attest_is_crl(const uint8_t *p, size_t n)
{
	if (looks_pem(p, n))
		return memmem(p, n, "-----BEGIN X509 CRL", 19) != NULL;
	/* CertificateList ::= SEQUENCE { TBSCertList SEQUENCE { [version INTEGER] AlgorithmId SEQUENCE,
	 * Name SEQUENCE, thisUpdate TIME, ...}}; a Certificate's TBS starts with [0] or INTEGER
	 * serial followed by AlgorithmId; distinguish by the TIME after the Name. */
	const unsigned char *q = p;
	X509_CRL *crl = d2i_X509_CRL(NULL, &q, (long)n);
	int r = crl != NULL && q == p + n;
	X509_CRL_free(crl);
	ERR_clear_error();
	return r;
}

static X509_CRL *crl_from_bytes(const uint8_t *p, size_t n)
{
	const unsigned char *q = p;
	X509_CRL *crl = d2i_X509_CRL(NULL, &q, (long)n);
	if (crl && q != p + n) {
		X509_CRL_free(crl);
		crl = NULL;
	}
	ERR_clear_error();
	return crl;
}

/* CertificateList ::= SEQUENCE { tbsCertList SEQUENCE { version INTEGER OPTIONAL,
 * signature AlgorithmIdentifier, ... }, signatureAlgorithm AlgorithmIdentifier, ... }:
 * true if both AlgorithmIdentifiers are byte-identical. */
static bool crl_alg_match(const uint8_t *p, size_t n)
{
	struct cursor c, list, tbs, tmp;
	const uint8_t *a1, *a2;
	size_t l1, l2;
	uint8_t tag;
	cursor_init(&c, p, n);
	if (der_expect(&c, DER_SEQUENCE, &list) || der_expect(&list, DER_SEQUENCE, &tbs))
		return false;
	if (cursor_left(&tbs) && tbs.p[0] == DER_INTEGER && der_read(&tbs, &tag, &tmp))
		return false;
	if (der_peek_tlv(&tbs, &a1, &l1) || der_peek_tlv(&list, &a2, &l2))
		return false;
	return l1 == l2 && memcmp(a1, a2, l1) == 0;
}

int attest_crl_check(X509 *cert, X509 *issuer, EVP_PKEY *issuer_key, const attest_bytes_list *crls,
                     time_t at, bool *covered, time_t *lo, time_t *hi, attest_err *e,
                     const char *what)
{
	for (size_t i = 0; i < crls->n; i++) {
		X509_CRL *crl = crl_from_bytes(crls->v[i].p, crls->v[i].n);
		if (!crl)
			continue;
		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
			X509_CRL_free(crl);
			continue;
		}
		/* The outer signatureAlgorithm is not signed: it must equal the signed one. */
		int ok = crl_alg_match(crls->v[i].p, crls->v[i].n) &&
		         X509_CRL_verify(crl, issuer_key) == 1;
		ERR_clear_error();
		if (!ok) {
			X509_CRL_free(crl);
			return aerr(e, ENARX_E_ATTEST_CHAIN, "%s: CRL signature failure", what);
		}
		time_t tu = asn1_to_time(X509_CRL_get0_lastUpdate(crl));
		time_t nu = asn1_to_time(X509_CRL_get0_nextUpdate(crl));
		if (tu == 0 || nu == 0 || at < tu || at > nu) {
			char a[32], b[32];
			attest_format_time(tu, a, sizeof(a));
			attest_format_time(nu, b, sizeof(b));
			X509_CRL_free(crl);
			return aerr(e, ENARX_E_ATTEST_EXPIRED,
			            "%s: CRL expired or not yet valid (valid %s..%s)", what, a, b);
		}
		X509_REVOKED *rev = NULL;
		int r = X509_CRL_get0_by_serial(crl, &rev, X509_get0_serialNumber(cert));
		X509_CRL_free(crl);
		if (r == 1) {
			BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
			char *hex = bn ? BN_bn2hex(bn) : NULL;
			BN_free(bn);
			int rc =
			    aerr(e, ENARX_E_ATTEST_REVOKED,
			         "%s: certificate serial 0x%s is revoked", what, hex ? hex : "?");
			OPENSSL_free(hex);
			return rc;
		}
		*covered = true;
		if (tu > *lo)
			*lo = tu;
		if (nu < *hi)
			*hi = nu;
	}
	return 0;
}

const ASN1_OCTET_STRING *attest_ext(X509 *x, const char *oid)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	if (!obj)
		return NULL;
	int idx = X509_get_ext_by_OBJ(x, obj, -1);
	ASN1_OBJECT_free(obj);
	if (idx < 0)
		return NULL;
	return X509_EXTENSION_get_data(X509_get_ext(x, idx));
}

/* ---------------- ECDSA ---------------- */

int attest_ecdsa_verify(EVP_PKEY *key, const EVP_MD *md, const uint8_t *msg, size_t n,
                        const uint8_t *r, const uint8_t *s, size_t rs_len, bool le)
{
	int rc = ENARX_E_ATTEST_SIGNATURE;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *br = le ? BN_lebin2bn(r, (int)rs_len, NULL) : BN_bin2bn(r, (int)rs_len, NULL);
	BIGNUM *bs = le ? BN_lebin2bn(s, (int)rs_len, NULL) : BN_bin2bn(s, (int)rs_len, NULL);
	unsigned char *der = NULL;
	EVP_MD_CTX *mctx = NULL;
	uint8_t dgst[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	if (!sig || !br || !bs) {
		BN_free(br);
		BN_free(bs);
		rc = ENARX_E_NOMEM;
		goto out;
	}
	ECDSA_SIG_set0(sig, br, bs);
	int derlen = i2d_ECDSA_SIG(sig, &der);
	if (derlen <= 0)
		goto out;
	if (EVP_Digest(msg, n, dgst, &dlen, md, NULL) != 1)
		goto out;
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(key, NULL);
	if (pctx && EVP_PKEY_verify_init(pctx) == 1 &&
	    EVP_PKEY_verify(pctx, der, (size_t)derlen, dgst, dlen) == 1)
		rc = 0;
	EVP_PKEY_CTX_free(pctx);
out:
	ERR_clear_error();
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(der);
	ECDSA_SIG_free(sig);
	return rc;
}

EVP_PKEY *attest_p256_from_xy(const uint8_t xy[64])
{
	/* EVP_PKEY_fromdata: much cheaper than decoding an SPKI in OpenSSL 3 */
	uint8_t pub[65];
	pub[0] = 0x04;
	memcpy(pub + 1, xy, 64);
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string("group", (char *)"prime256v1", 0),
	    OSSL_PARAM_construct_octet_string("pub", pub, sizeof(pub)),
	    OSSL_PARAM_construct_end(),
	};
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return k;
}

/* ---------------- time ---------------- */

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int attest_parse_time(const char *s, time_t *out)
{
	int Y, M, D, h, m, sec;
	size_t n = strlen(s);
	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return ENARX_E_MALFORMED;
	if (digits(s, 4, &Y) || digits(s + 5, 2, &M) || digits(s + 8, 2, &D) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &m) || digits(s + 17, 2, &sec))
		return ENARX_E_MALFORMED;
	const char *z = s + 19;
	if (*z == '.') {
		z++;
		while (*z >= '0' && *z <= '9')
			z++;
	}
	if (strcmp(z, "Z") != 0)
		return ENARX_E_MALFORMED;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return ENARX_E_MALFORMED;
	struct tm tm = {.tm_year = Y - 1900,
	                .tm_mon = M - 1,
	                .tm_mday = D,
	                .tm_hour = h,
	                .tm_min = m,
	                .tm_sec = sec};
	*out = timegm(&tm);
	return 0;
}

void attest_format_time(time_t t, char *buf, size_t n)
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "?");
}

int attest_bytes_list_add(attest_bytes_list *l, const uint8_t *p, size_t n)
{
	attest_bytes *v = xreallocarray(l->v, l->n + 1, sizeof(*v));
	if (!v)
		return ENARX_E_NOMEM;
	l->v = v;
	uint8_t *copy = xmalloc(n ? n : 1);
	if (!copy)
		return ENARX_E_NOMEM;
	memcpy(copy, p, n);
	l->v[l->n].p = copy;
	l->v[l->n].n = n;
	l->n++;
	return 0;
}
