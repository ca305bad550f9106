/* SPDX-License-Identifier: Apache-2.0 */
/* The TOML subset parser (see toml.h). A line-oriented scanner over a
 * bounded buffer; every item count and length is capped. */
#include "attest/toml.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"

struct tp {
	const char *p, *end;
	int line;
	char *err;
	size_t errlen;
	size_t items;
};

static int fail(struct tp *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct tp *t, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(t->err, t->errlen, "line %d: %s", t->line, msg);
	return ENARX_E_MALFORMED;
}

static void skip_space(struct tp *t)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
		t->p++;
}

/* Skips spaces, newlines and comments (inside arrays). */
static void skip_ws_nl(struct tp *t)
{
	for (;;) {
		skip_space(t);
		if (t->p < t->end && *t->p == '#') {
			while (t->p < t->end && *t->p != '\n')
				t->p++;
		}
		if (t->p < t->end && (*t->p == '\n' || *t->p == '\r')) {
			if (*t->p == '\n')
				t->line++;
			t->p++;
			continue;
		}
		return;
	}
}

/* End of line: optional comment, then newline or EOF. */
static int eol(struct tp *t)
{
	skip_space(t);
	if (t->p < t->end && *t->p == '#')
		while (t->p < t->end && *t->p != '\n')
			t->p++;
	if (t->p < t->end && *t->p == '\r')
		t->p++;
	if (t->p >= t->end)
		return 0;
	if (*t->p != '\n')
		return fail(t, "unexpected '%c' after value", *t->p);
	t->p++;
	t->line++;
	return 0;
}

static bool bare_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static int parse_string(struct tp *t, char **out)
{
	char q = *t->p++;
	size_t cap = 64, n = 0;
	char *s = xmalloc(cap);
	if (!s)
		return ENARX_E_NOMEM;
	while (t->p < t->end && *t->p != q) {
		char c = *t->p++;
		if (c == '\n' || c == '\r') {
			xfree(s);
			return fail(t, "newline in string");
		}
		if (q == '"' && c == '\\') {
			if (t->p >= t->end)
				break;
			char x = *t->p++;
			switch (x) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case '"': c = '"'; break;
			case '\\': c = '\\'; break;
			default: xfree(s); return fail(t, "unsupported escape \\%c", x);
			}
		}
		if ((unsigned char)c < 0x20 && c != '\t') {
			xfree(s);
			return fail(t, "control character in string");
		}
		if (n + 2 > cap) {
			if (cap >= TOML_MAX_SIZE) {
				xfree(s);
				return fail(t, "string too long");
			}
			char *ns = xrealloc(s, cap * 2);
			if (!ns) {
				xfree(s);
				return ENARX_E_NOMEM;
			}
			s = ns;
			cap *= 2;
		}
		s[n++] = c;
	}
	if (t->p >= t->end) {
		xfree(s);
		return fail(t, "unterminated string");
	}
	t->p++;
	s[n] = 0;
	*out = s;
	return 0;
}

static int parse_key(struct tp *t, char **out)
{
	if (t->p < t->end && (*t->p == '"' || *t->p == '\''))
		return parse_string(t, out);
	const char *s = t->p;
	while (t->p < t->end && bare_char(*t->p))
		t->p++;
	size_t n = (size_t)(t->p - s);
	if (n == 0)
		return fail(t, "expected a key");
	char *k = xmalloc(n + 1);
	if (!k)
		return ENARX_E_NOMEM;
	memcpy(k, s, n);
	k[n] = 0;
	*out = k;
	return 0;
}

static void val_free(struct toml_val *v)
{
	if (v->type == TOML_STRING)
		xfree(v->s);
	if (v->type == TOML_ARRAY) {
		for (size_t i = 0; i < v->n; i++)
			val_free(&v->a[i]);
		xfree(v->a);
	}
	memset(v, 0, sizeof(*v));
}

static int parse_value(struct tp *t, struct toml_val *v, int depth);

static int parse_array(struct tp *t, struct toml_val *v, int depth)
{
	t->p++; /* [ */
	v->type = TOML_ARRAY;
	for (;;) {
		skip_ws_nl(t);
		if (t->p >= t->end)
			return fail(t, "unterminated array");
		if (*t->p == ']') {
			t->p++;
			return 0;
		}
		if (++t->items > TOML_MAX_ITEMS)
			return fail(t, "too many items");
		struct toml_val *na = xreallocarray(v->a, v->n + 1, sizeof(*na));
		if (!na)
			return ENARX_E_NOMEM;
		v->a = na;
		memset(&v->a[v->n], 0, sizeof(v->a[0]));
		int rc = parse_value(t, &v->a[v->n], depth + 1);
		if (rc) {
			val_free(&v->a[v->n]); /* a partly built nested array */
			return rc;
		}
		v->n++;
		skip_ws_nl(t);
		if (t->p < t->end && *t->p == ',') {
			t->p++;
			continue;
		}
		skip_ws_nl(t);
		if (t->p < t->end && *t->p == ']') {
			t->p++;
			return 0;
		}
		if (t->p >= t->end)
			return fail(t, "unterminated array");
		return fail(t, "expected ',' or ']' in array");
	}
}

static int parse_value(struct tp *t, struct toml_val *v, int depth)
{
	if (depth > 4)
		return fail(t, "arrays nested too deeply");
	if (t->p >= t->end)
		return fail(t, "missing value");
	char c = *t->p;
	if (c == '"' || c == '\'') {
		v->type = TOML_STRING;
		if (t->p + 2 < t->end && t->p[1] == c && t->p[2] == c)
			return fail(t, "multi-line strings are not supported");
		return parse_string(t, &v->s);
	}
	if (c == '[')
		return parse_array(t, v, depth);
	if (c == '{')
		return fail(t, "inline tables are not supported; use a [table]");
	const char *s = t->p;
	while (t->p < t->end && (bare_char(*t->p) || *t->p == '+'))
		t->p++;
	size_t n = (size_t)(t->p - s);
	if (n == 4 && memcmp(s, "true", 4) == 0) {
		v->type = TOML_BOOL;
		v->b = true;
		return 0;
	}
	if (n == 5 && memcmp(s, "false", 5) == 0) {
		v->type = TOML_BOOL;
		v->b = false;
		return 0;
	}
	/* integer: [+-]digits with optional '_' separators, or 0x hex */
	size_t i = 0;
	bool neg = false;
	int base = 10;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i + 1 < n && s[i] == '0' && s[i + 1] == 'x') {
		base = 16;
		i += 2;
	}
	if (i >= n)
		return fail(t, "invalid value");
	uint64_t x = 0;
	for (; i < n; i++) {
		int d;
		if (s[i] == '_')
			continue;
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (base == 16 && s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (base == 16 && s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return fail(t, "invalid value '%.*s'", (int)(n > 40 ? 40 : n), s);
		if (x > (UINT64_MAX - (uint64_t)d) / (uint64_t)base || x * base + d > INT64_MAX)
			return fail(t, "integer out of range");
		x = x * (uint64_t)base + (uint64_t)d;
	}
	v->type = TOML_INT;
	v->i = neg ? -(int64_t)x : (int64_t)x;
	return 0;
}

static int add_kv(struct toml_doc *d, const char *table, char *key, struct toml_val *v, int line)
{
	struct toml_kv *nk = xreallocarray(d->kv, d->n + 1, sizeof(*nk));
	if (!nk)
		return ENARX_E_NOMEM;
	d->kv = nk;
	char *tb = xstrdup(table);
	if (!tb)
		return ENARX_E_NOMEM;
	d->kv[d->n].table = tb;
	d->kv[d->n].key = key;
	d->kv[d->n].v = *v;
	d->kv[d->n].line = line;
	d->n++;
	return 0;
}

static int parse_header(struct tp *t, char *table, size_t cap)
{
	t->p++; /* [ */
	if (t->p < t->end && *t->p == '[')
		return fail(t, "arrays of tables are not supported");
	size_t n = 0;
	for (;;) {
		skip_space(t);
		char *k;
		int rc = parse_key(t, &k);
		if (rc)
			return rc;
		size_t kl = strlen(k);
		if (n + kl + 2 > cap) {
			xfree(k);
			return fail(t, "table name too long");
		}
		if (n)
			table[n++] = '.';
		memcpy(table + n, k, kl);
		n += kl;
		table[n] = 0;
		xfree(k);
		skip_space(t);
		if (t->p < t->end && *t->p == '.') {
			t->p++;
			continue;
		}
		if (t->p < t->end && *t->p == ']') {
			t->p++;
			return 0;
		}
		return fail(t, "expected ']' after table name");
	}
}

int toml_parse(const char *text, size_t len, struct toml_doc *doc, char *err, size_t errlen)
{
	struct tp t = {text, text + len, 1, err, errlen, 0};
	char table[256] = "";
	int rc = 0;
	memset(doc, 0, sizeof(*doc));
	if (len > TOML_MAX_SIZE)
		return fail(&t, "file too large");
	if (memchr(text, 0, len))
		return fail(&t, "NUL byte in file");
	while (!rc) {
		skip_ws_nl(&t);
		if (t.p >= t.end)
			break;
		if (*t.p == '[') {
			rc = parse_header(&t, table, sizeof(table));
			for (size_t i = 0; !rc && i < doc->n; i++)
				if (doc->kv[i].key[0] == 0 && strcmp(doc->kv[i].table, table) == 0)
					rc = fail(&t, "table [%s] defined twice", table);
			if (!rc)
				rc = eol(&t);
			if (!rc) { /* marker entry for duplicate detection */
				struct toml_val none = {.type = TOML_BOOL};
				char *k = xstrdup("");
				rc = k ? add_kv(doc, table, k, &none, t.line) : ENARX_E_NOMEM;
				if (rc)
					xfree(k);
			}
			continue;
		}
		int line = t.line;
		char *key;
		if ((rc = parse_key(&t, &key)))
			break;
		skip_space(&t);
		if (t.p >= t.end || *t.p != '=') {
			rc = fail(&t, "expected '=' after key '%s'", key);
			xfree(key);
			break;
		}
		t.p++;
		skip_space(&t);
		struct toml_val v = {0};
		if (++t.items > TOML_MAX_ITEMS)
			rc = fail(&t, "too many items");
		for (size_t i = 0; !rc && i < doc->n; i++)
			if (strcmp(doc->kv[i].table, table) == 0 &&
			    strcmp(doc->kv[i].key, key) == 0)
				rc = fail(&t, "key '%s' defined twice", key);
		if (!rc)
			rc = parse_value(&t, &v, 0);
		if (!rc)
			rc = eol(&t);
		if (!rc)
			rc = add_kv(doc, table, key, &v, line);
		if (rc) {
			xfree(key);
			val_free(&v);
		}
	}
	if (rc)
		toml_free(doc);
	return rc;
}

void toml_free(struct toml_doc *doc)
{
	for (size_t i = 0; i < doc->n; i++) {
		xfree(doc->kv[i].table);
		xfree(doc->kv[i].key);
		val_free(&doc->kv[i].v);
	}
	xfree(doc->kv);
	memset(doc, 0, sizeof(*doc));
}
