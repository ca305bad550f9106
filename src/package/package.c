/* SPDX-License-Identifier: Apache-2.0 */
/* The package container (package.h, docs/package.md): encoder, the
 * bounds-checked reader, and the digest. */
#include "package/package.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
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

const char *pkg_kind_name(uint8_t kind)
{
	switch (kind) {
	case PKG_WASM: return "main.wasm";
	case PKG_CONFIG: return "Enarx.toml";
	case PKG_ENV: return "env";
	case PKG_SECRET: return "secret";
	case PKG_ARG: return "arg";
	case PKG_OUTPUT_KEY: return "output-key";
	case PKG_SECRET_FILE: return "secret-file";
	}
	return "?";
}

const struct pkg_entry *pkg_find(const struct pkg *p, uint8_t kind)
{
	for (size_t i = 0; i < p->n; i++) {
		if (p->e[i].kind == kind)
			return &p->e[i];
	}
	return NULL;
}

/* An environment name: 1..PKG_MAX_NAME bytes, no '=' and no NUL. */
static int env_name_ok(const char *name, size_t len)
{
	return len > 0 && len <= PKG_MAX_NAME && !memchr(name, '=', len) && !memchr(name, 0, len);
}

/* A secret file's name: one path component, as memfs.h wants it. */
static int file_name_ok(const char *name, size_t len)
{
	return len > 0 && len <= 255 && !memchr(name, '/', len) && !memchr(name, 0, len) &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static int check_file(const struct pkg *p, const char *name, size_t nlen, size_t vlen, char *err,
                      size_t n)
{
	if (!file_name_ok(name, nlen))
		return fail(err, n, ENARX_E_MALFORMED,
		            "secret-file name must be 1-255 bytes, one path component without "
		            "'/' and not . or .. ('%.40s')",
		            name);
	if (vlen > PKG_MAX_FILE)
		return fail(err, n, ENARX_E_MALFORMED, "secret-file %s: %zu bytes (at most 16 MiB)",
		            name, vlen);
	for (size_t i = 0; i < p->n; i++) {
		if (p->e[i].kind == PKG_SECRET_FILE && strcmp(p->e[i].name, name) == 0)
			return fail(err, n, ENARX_E_MALFORMED, "secret-file %s is given twice",
			            name);
	}
	return 0;
}

/* The rules of one entry, given the entries before it (p). */
static int check_entry(const struct pkg *p, uint8_t kind, const char *name, size_t nlen,
                       const uint8_t *v, size_t vlen, char *err, size_t n)
{
	switch (kind) {
	case PKG_WASM:
		if (strcmp(name, "main.wasm") || !vlen || vlen > PKG_MAX_WASM)
			return fail(err, n, ENARX_E_MALFORMED,
			            "main.wasm entry must be named main.wasm and hold 1 byte to "
			            "100 MiB (name '%.40s', %zu bytes)",
			            name, vlen);
		break;
	case PKG_CONFIG:
		if (strcmp(name, "Enarx.toml") || vlen > PKG_MAX_VALUE || memchr(v, 0, vlen))
			return fail(err, n, ENARX_E_MALFORMED,
			            "Enarx.toml entry must be named Enarx.toml and be text of at "
			            "most 1 MiB");
		break;
	case PKG_ENV:
	case PKG_SECRET:
		if (!env_name_ok(name, nlen))
			return fail(err, n, ENARX_E_MALFORMED,
			            "%s name must be 1-%u bytes without '=' ('%.40s')",
			            pkg_kind_name(kind), PKG_MAX_NAME, name);
		if (vlen > PKG_MAX_VALUE || memchr(v, 0, vlen))
			return fail(err, n, ENARX_E_MALFORMED,
			            "%s %s: value must be at most 1 MiB without NUL bytes",
			            pkg_kind_name(kind), name);
		for (size_t i = 0; i < p->n; i++) {
			if ((p->e[i].kind == PKG_ENV || p->e[i].kind == PKG_SECRET) &&
			    strcmp(p->e[i].name, name) == 0)
				return fail(err, n, ENARX_E_MALFORMED, "variable %s is set twice",
				            name);
		}
		return 0;
	case PKG_SECRET_FILE: return check_file(p, name, nlen, vlen, err, n);
	case PKG_ARG:
		if (nlen || vlen > PKG_MAX_VALUE || memchr(v, 0, vlen))
			return fail(err, n, ENARX_E_MALFORMED,
			            "arg entry must have an empty name and a value of at most 1 "
			            "MiB without NUL bytes");
		return 0;
	case PKG_OUTPUT_KEY:
		if (strcmp(name, "x25519") || vlen != PKG_OUTPUT_KEY_LEN)
			return fail(err, n, ENARX_E_MALFORMED,
			            "output-key entry must be named x25519 and hold 32 bytes "
			            "(name '%.40s', %zu bytes)",
			            name, vlen);
		break;
	default: return fail(err, n, ENARX_E_MALFORMED, "unknown entry kind %u", kind);
	}
	if (pkg_find(p, kind))
		return fail(err, n, ENARX_E_MALFORMED, "a second %s entry", pkg_kind_name(kind));
	return 0;
}

static int grow(struct pkg *p)
{
	struct pkg_entry *e;
	size_t cap = p->cap ? p->cap * 2 : 8;

	if (p->n < p->cap)
		return 0;
	if (p->n >= PKG_MAX_ENTRIES)
		return ENARX_E_OVERFLOW;
	e = xrealloc(p->e, cap * sizeof(*e));
	if (!e)
		return ENARX_E_NOMEM;
	p->e = e;
	p->cap = cap;
	return 0;
}

int pkg_add(struct pkg *p, uint8_t kind, const char *name, const void *value, size_t len, char *err,
            size_t n)
{
	struct pkg_entry *e;
	uint8_t *v;
	char *nm;
	int rc = check_entry(p, kind, name, strlen(name), value, len, err, n);

	if (rc)
		return rc;
	rc = grow(p);
	if (rc)
		return fail(err, n, rc, "too many entries (at most %u)", PKG_MAX_ENTRIES);
	nm = xstrdup(name);
	v = xmalloc(len ? len : 1);
	if (!nm || !v) {
		xfree(nm);
		xfree(v);
		return fail(err, n, ENARX_E_NOMEM, "out of memory");
	}
	if (len)
		memcpy(v, value, len);
	e = &p->e[p->n++];
	*e = (struct pkg_entry){.kind = kind, .name = nm, .value = v, .value_len = len, .owned = 1};
	return 0;
}

static void entry_free(struct pkg_entry *e)
{
	xfree((void *)e->name); /* names are always copies */
	if (!e->owned)
		return;
	OPENSSL_cleanse((void *)e->value, e->value_len);
	xfree((void *)e->value);
}

void pkg_remove(struct pkg *p, uint8_t kind)
{
	size_t j = 0;

	for (size_t i = 0; i < p->n; i++) {
		if (p->e[i].kind == kind)
			entry_free(&p->e[i]);
		else
			p->e[j++] = p->e[i];
	}
	p->n = j;
}

void pkg_clear(struct pkg *p)
{
	for (size_t i = 0; i < p->n; i++)
		entry_free(&p->e[i]);
	if (p->e)
		OPENSSL_cleanse(p->e, p->cap * sizeof(*p->e));
	xfree(p->e);
	memset(p, 0, sizeof(*p));
}

int pkg_encode(const struct pkg *p, int with_output_key, struct buf *b)
{
	size_t i, count = 0;
	int rc;

	for (i = 0; i < p->n; i++)
		count += with_output_key || p->e[i].kind != PKG_OUTPUT_KEY;
	rc = buf_append(b, PKG_MAGIC, PKG_MAGIC_LEN);
	if (!rc)
		rc = buf_append_u32le(b, PKG_VERSION);
	if (!rc)
		rc = buf_append_u32le(b, (uint32_t)count);
	for (i = 0; !rc && i < p->n; i++) {
		const struct pkg_entry *e = &p->e[i];
		size_t nl = strlen(e->name);

		if (!with_output_key && e->kind == PKG_OUTPUT_KEY)
			continue;
		rc = buf_append_u8(b, e->kind);
		if (!rc)
			rc = buf_append_u32le(b, (uint32_t)nl);
		if (!rc)
			rc = buf_append(b, e->name, nl);
		if (!rc)
			rc = buf_append_u32le(b, (uint32_t)e->value_len);
		if (!rc && e->value_len)
			rc = buf_append(b, e->value, e->value_len);
	}
	if (!rc && b->len > PKG_MAX_SIZE)
		rc = ENARX_E_OVERFLOW;
	return rc;
}

/* Reads entry i at the cursor; the name is copied (it needs a NUL), the
 * value borrowed. */
static int read_entry(struct cursor *c, struct pkg *p, size_t i, char *err, size_t n)
{
	size_t off = cursor_offset(c);
	const uint8_t *name, *val;
	uint32_t nl, vl;
	uint8_t kind;
	char *nm;
	int rc = cursor_u8(c, &kind);

	if (!rc)
		rc = cursor_u32le(c, &nl);
	if (!rc && nl > PKG_MAX_NAME)
		return fail(err, n, ENARX_E_MALFORMED,
		            "entry %zu at byte %zu: name of %u bytes (at most %u)", i, off, nl,
		            PKG_MAX_NAME);
	if (!rc)
		rc = cursor_bytes(c, nl, &name);
	if (!rc)
		rc = cursor_u32le(c, &vl);
	if (!rc)
		rc = cursor_bytes(c, vl, &val);
	if (rc)
		return fail(err, n, ENARX_E_TRUNCATED, "entry %zu at byte %zu: ends early", i, off);
	if (memchr(name, 0, nl))
		return fail(err, n, ENARX_E_MALFORMED, "entry %zu at byte %zu: NUL in its name", i,
		            off);
	nm = xmalloc((size_t)nl + 1);
	if (!nm)
		return fail(err, n, ENARX_E_NOMEM, "out of memory");
	memcpy(nm, name, nl);
	nm[nl] = 0;
	rc = check_entry(p, kind, nm, nl, val, vl, err, n);
	if (!rc)
		rc = grow(p);
	if (rc) {
		char why[160];

		snprintf(why, sizeof(why), "%s", err && n ? err : "");
		xfree(nm);
		return fail(err, n, rc, "entry %zu at byte %zu: %s", i, off, why);
	}
	p->e[p->n++] =
	    (struct pkg_entry){.kind = kind, .name = nm, .value = val, .value_len = vl, .owned = 0};
	return 0;
}

int pkg_decode(const uint8_t *data, size_t len, struct pkg *p, char *err, size_t n)
{
	struct cursor c;
	uint32_t version, count;
	const uint8_t *magic;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	if (len > PKG_MAX_SIZE)
		return fail(err, n, ENARX_E_OVERFLOW, "package of %zu bytes (at most %u)", len,
		            PKG_MAX_SIZE);
	cursor_init(&c, data, len);
	if (cursor_bytes(&c, PKG_MAGIC_LEN, &magic) || memcmp(magic, PKG_MAGIC, PKG_MAGIC_LEN))
		return fail(err, n, ENARX_E_MALFORMED, "not an Enarx package (no ENARXPKG magic)");
	if (cursor_u32le(&c, &version) || cursor_u32le(&c, &count))
		return fail(err, n, ENARX_E_TRUNCATED, "package header ends early");
	if (version != PKG_VERSION)
		return fail(err, n, ENARX_E_NOTSUP, "package format version %u (this reads %u)",
		            version, PKG_VERSION);
	/* an entry is at least 9 bytes: bound the count before the loop */
	if (count > PKG_MAX_ENTRIES || count > cursor_left(&c) / 9)
		return fail(err, n, ENARX_E_MALFORMED, "entry count %u does not fit the package",
		            count);
	for (size_t i = 0; !rc && i < count; i++)
		rc = read_entry(&c, p, i, err, n);
	if (!rc && !cursor_eof(&c))
		rc = fail(err, n, ENARX_E_MALFORMED, "%zu bytes after the last entry",
		          cursor_left(&c));
	if (!rc && !pkg_find(p, PKG_WASM))
		rc = fail(err, n, ENARX_E_MALFORMED, "no main.wasm entry");
	if (rc)
		pkg_clear(p);
	return rc;
}

int pkg_digest(const struct pkg *p, uint8_t out[PKG_DIGEST_LEN])
{
	struct buf b = {0};
	unsigned int dl = 0;
	int rc = pkg_encode(p, 0, &b);

	if (!rc && !EVP_Digest(b.data, b.len, out, &dl, EVP_sha256(), NULL))
		rc = ENARX_E_HPKE_CRYPTO;
	buf_free(&b, 1);
	return rc;
}
