/* SPDX-License-Identifier: Apache-2.0 */
/* The bounded TOML-subset reader (see toml.h). Every byte is looked at
 * through r->p < r->end checks; strings are built in a heap buffer that
 * grows with overflow checks, never on the stack; etoml_parse() at the end
 * collects the events into a document. */
#include "lib/toml.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/hex.h"

static int fail(struct etoml_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct etoml_reader *r, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->err, sizeof(r->err), "line %u: ", r->line);

	if (n < 0 || (size_t)n >= sizeof(r->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return ENARX_E_MALFORMED;
}

void etoml_init(struct etoml_reader *r, const char *text, size_t len, unsigned flags)
{
	memset(r, 0, sizeof(*r));
	r->p = text;
	r->end = text + len;
	r->line = 1;
	r->flags = flags;
	if (len > ETOML_MAX_SIZE)
		r->bad_input = fail(r, "file too large (more than %u bytes)", ETOML_MAX_SIZE);
	else if (memchr(text, 0, len))
		r->bad_input = fail(r, "NUL byte in file");
}

const char *etoml_type_name(enum etoml_type t)
{
	switch (t) {
	case ETOML_STRING: return "string";
	case ETOML_INT: return "integer";
	case ETOML_BOOL: return "boolean";
	case ETOML_ARRAY: return "array";
	}
	return "?";
}

void etoml_value_clear(struct etoml_value *v)
{
	size_t i;

	xfree(v->str);
	for (i = 0; i < v->nitems; i++)
		etoml_value_clear(&v->items[i]);
	xfree(v->items);
	memset(v, 0, sizeof(*v));
}

void etoml_event_clear(struct etoml_event *ev)
{
	xfree(ev->key);
	etoml_value_clear(&ev->value);
	memset(ev, 0, sizeof(*ev));
}

static int peek(const struct etoml_reader *r)
{
	return r->p < r->end ? (unsigned char)*r->p : -1;
}

static int starts(const struct etoml_reader *r, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(r->end - r->p) >= n && memcmp(r->p, s, n) == 0;
}

static void skip_ws(struct etoml_reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t'))
		r->p++;
}

static void skip_comment(struct etoml_reader *r)
{
	if (peek(r) != '#')
		return;
	while (r->p < r->end && *r->p != '\n')
		r->p++;
}

/* Consumes one newline ("\n" or "\r\n"); returns 1 if it did. */
static int eat_newline(struct etoml_reader *r)
{
	if (starts(r, "\r\n")) {
		r->p += 2;
	} else if (peek(r) == '\n') {
		r->p++;
	} else {
		return 0;
	}
	r->line++;
	return 1;
}

/* After a header or value: spaces, a comment, then end of line or input. */
static int expect_eol(struct etoml_reader *r)
{
	skip_ws(r);
	skip_comment(r);
	if (r->p >= r->end || eat_newline(r))
		return 0;
	return fail(r, "unexpected '%c' after value", *r->p);
}

/* Length of a valid UTF-8 sequence at p (1-4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t n, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static int put_utf8(struct buf *b, uint32_t cp)
{
	uint8_t o[4];
	size_t n;

	if (cp < 0x80) {
		o[0] = (uint8_t)cp, n = 1;
	} else if (cp < 0x800) {
		o[0] = (uint8_t)(0xc0 | (cp >> 6));
		o[1] = (uint8_t)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		o[0] = (uint8_t)(0xe0 | (cp >> 12));
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (uint8_t)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		o[0] = (uint8_t)(0xf0 | (cp >> 18));
		o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		o[3] = (uint8_t)(0x80 | (cp & 0x3f)), n = 4;
	}
	return buf_append(b, o, n);
}

static int read_escape(struct etoml_reader *r, struct buf *b)
{
	int c = peek(r), digits, h;
	uint32_t cp = 0;
	char ch;

	r->p++;
	if (!(r->flags & ETOML_UNICODE_ESCAPES) && c >= 0 && strchr("bfruU", c))
		return fail(r, "unsupported escape \\%c", c);
	switch (c) {
	case 'b': ch = '\b'; break;
	case 't': ch = '\t'; break;
	case 'n': ch = '\n'; break;
	case 'f': ch = '\f'; break;
	case 'r': ch = '\r'; break;
	case '"': ch = '"'; break;
	case '\\': ch = '\\'; break;
	case 'u':
	case 'U':
		digits = c == 'u' ? 4 : 8;
		while (digits-- > 0) {
			h = hex_digit(peek(r));
			if (h < 0)
				return fail(r, "bad \\%c escape in string", c);
			cp = (cp << 4) | (uint32_t)h;
			r->p++;
		}
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return fail(r, "escape is not a Unicode scalar value");
		return put_utf8(b, cp);
	default: return fail(r, "unknown escape in string");
	}
	return buf_append(b, &ch, 1);
}

/* Reads a "basic" or 'literal' single-line string; r->p is at the quote. */
static int read_string(struct etoml_reader *r, char **out)
{
	char q = *r->p;
	struct buf b = {0};
	size_t n;
	int rc;

	if (starts(r, q == '"' ? "\"\"\"" : "'''"))
		return fail(r, "multi-line strings are not supported");
	r->p++;
	for (;;) {
		int c = peek(r);

		if (c < 0 || ((c == '\n' || c == '\r') && (r->flags & ETOML_KEY_IN_ERRORS))) {
			rc = fail(r, "unterminated string");
			goto out;
		}
		if (c == '\n' || c == '\r') {
			rc = fail(r, "newline in string");
			goto out;
		}
		if (c == q) {
			r->p++;
			break;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			rc = fail(r, "control character in string");
			goto out;
		}
		if (c == '\\' && q == '"') {
			r->p++;
			rc = read_escape(r, &b);
			if (rc)
				goto out;
			continue;
		}
		n = utf8_len((const unsigned char *)r->p, (const unsigned char *)r->end);
		if (n == 0) {
			rc = fail(r, "invalid UTF-8 in string");
			goto out;
		}
		rc = buf_append(&b, r->p, n);
		if (rc)
			goto out;
		r->p += n;
	}
	rc = buf_append_u8(&b, 0);
	if (rc)
		goto out;
	*out = (char *)b.data;
	return 0;
out:
	buf_free(&b, 0);
	return rc;
}

static int is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* A bare or quoted key; a '.' after it is refused unless dot_ok (a table
 * name's parts, read by read_header). */
static int read_key(struct etoml_reader *r, char **out, int dot_ok)
{
	const char *s = r->p;
	size_t n;
	int rc;

	if (peek(r) == '"' || peek(r) == '\'') {
		rc = read_string(r, out);
		if (rc)
			return rc;
	} else {
		while (r->p < r->end && is_bare(*r->p))
			r->p++;
		n = (size_t)(r->p - s);
		if (n == 0)
			return fail(r, "expected a key");
		if (n > ETOML_MAX_KEY)
			return fail(r, "key too long");
		*out = xmalloc(n + 1);
		if (!*out)
			return ENARX_E_NOMEM;
		memcpy(*out, s, n);
		(*out)[n] = 0;
	}
	skip_ws(r);
	if (peek(r) == '.' && !dot_ok) {
		xfree(*out);
		*out = NULL;
		return fail(r, "dotted keys are not supported");
	}
	return 0;
}

/* Decimal (or, with ETOML_HEX_INTS, 0x hex) integer with an optional sign
 * and single '_' between digits; the full int64_t range. */
static int read_int(struct etoml_reader *r, int64_t *out)
{
	int neg = 0, digits = 0, prev_us = 0;
	uint64_t v = 0, lim, base = 10;

	if (peek(r) == '+' || peek(r) == '-')
		neg = *r->p++ == '-';
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if ((r->flags & ETOML_HEX_INTS) && starts(r, "0x")) {
		base = 16;
		r->p += 2;
	} else if (starts(r, "0") && r->end - r->p > 1 && (r->p[1] >= '0' && r->p[1] <= '9')) {
		return fail(r, "leading zeros are not allowed");
	}
	for (;;) {
		int c = peek(r), d = c >= 0 ? hex_digit(c) : -1;

		if (c == '_' && digits && !prev_us) {
			prev_us = 1;
			r->p++;
			continue;
		}
		if (d < 0 || (uint64_t)d >= base)
			break;
		if (v > (lim - (uint64_t)d) / base)
			return fail(r, "integer out of range");
		v = v * base + (uint64_t)d;
		digits++;
		prev_us = 0;
		r->p++;
	}
	if (!digits || prev_us)
		return fail(r, "malformed integer");
	if (r->p < r->end && (is_bare(*r->p) || *r->p == '.'))
		return fail(r, base == 16 ? "malformed hex integer"
		                          : "unsupported value (only decimal integers)");
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static int read_value(struct etoml_reader *r, struct etoml_value *v, int depth);

/* Skips spaces, comments and newlines inside an array. */
static void skip_array_space(struct etoml_reader *r)
{
	for (;;) {
		skip_ws(r);
		skip_comment(r);
		if (!eat_newline(r))
			return;
	}
}

static int read_array(struct etoml_reader *r, struct etoml_value *v, int depth)
{
	struct etoml_value item;
	size_t cap = 0; /* doubles: one realloc per item would be quadratic */
	void *grown;
	int rc;

	v->type = ETOML_ARRAY;
	r->p++;
	for (;;) {
		skip_array_space(r);
		if (peek(r) < 0)
			return fail(r, "unterminated array");
		if (peek(r) == ']') {
			r->p++;
			return 0;
		}
		memset(&item, 0, sizeof(item));
		rc = read_value(r, &item, depth + 1);
		if (rc) {
			etoml_value_clear(&item); /* a partly read nested array */
			return rc;
		}
		if (v->nitems && item.type != v->items[0].type &&
		    !(r->flags & ETOML_MIXED_ARRAYS)) {
			etoml_value_clear(&item);
			return fail(r, "array mixes value types");
		}
		if (v->nitems == cap) {
			cap = cap ? cap * 2 : 4;
			grown = xreallocarray(v->items, cap, sizeof(item));
			if (!grown) {
				etoml_value_clear(&item);
				return ENARX_E_NOMEM;
			}
			v->items = grown;
		}
		v->items[v->nitems++] = item;
		skip_array_space(r);
		if (peek(r) == ',') {
			r->p++;
			continue;
		}
		if (peek(r) < 0)
			return fail(r, "unterminated array");
		if (peek(r) != ']')
			return fail(r, "expected ',' or ']' in array");
	}
}

static int read_value(struct etoml_reader *r, struct etoml_value *v, int depth)
{
	int c = peek(r);

	if (++r->items > ETOML_MAX_ITEMS)
		return fail(r, "too many values (more than %u)", ETOML_MAX_ITEMS);
	if (c == '"' || c == '\'') {
		v->type = ETOML_STRING;
		return read_string(r, &v->str);
	}
	if (c == '[') {
		if (depth && !(r->flags & ETOML_NESTED_ARRAYS))
			return fail(r, "nested arrays are not supported");
		if (depth > ETOML_MAX_DEPTH)
			return fail(r, "arrays nested too deeply");
		return read_array(r, v, depth);
	}
	if (c == '{')
		return fail(r, "inline tables are not supported; use a [table]");
	if (starts(r, "true") || starts(r, "false")) {
		v->type = ETOML_BOOL;
		v->b = *r->p == 't';
		r->p += v->b ? 4 : 5;
		if (r->p < r->end && is_bare(*r->p))
			return fail(r, "unsupported value");
		return 0;
	}
	if (c == '+' || c == '-' || (c >= '0' && c <= '9')) {
		v->type = ETOML_INT;
		return read_int(r, &v->i);
	}
	if (c < 0 || c == '\n' || c == '\r' || c == '#')
		return fail(r, "missing value");
	return fail(r, "unsupported value");
}

/* Appends ".part" (the next key) to the table name *name. */
static int join_part(struct etoml_reader *r, char **name)
{
	char *part = NULL, *joined;
	size_t n, m;
	int rc = read_key(r, &part, 1);

	if (rc)
		return rc;
	n = strlen(*name);
	m = strlen(part);
	if (n + 1 + m > ETOML_MAX_KEY) {
		xfree(part);
		return fail(r, "table name too long");
	}
	joined = xmalloc(n + m + 2);
	if (!joined) {
		xfree(part);
		return ENARX_E_NOMEM;
	}
	memcpy(joined, *name, n);
	joined[n] = '.';
	memcpy(joined + n + 1, part, m + 1);
	xfree(part);
	xfree(*name);
	*name = joined;
	return 0;
}

static int read_header(struct etoml_reader *r, struct etoml_event *ev)
{
	int rc;

	ev->kind = ETOML_EV_TABLE;
	r->p++;
	if (peek(r) == '[') {
		if (!(r->flags & ETOML_ARRAY_TABLES))
			return fail(r, "arrays of tables are not supported");
		ev->kind = ETOML_EV_ARRAY_TABLE;
		r->p++;
	}
	skip_ws(r);
	rc = read_key(r, &ev->key, r->flags & ETOML_DOTTED_TABLES);
	while (!rc && peek(r) == '.') {
		r->p++;
		skip_ws(r);
		rc = join_part(r, &ev->key);
	}
	if (rc)
		return rc;
	if (peek(r) != ']')
		return fail(r, "expected ']' after table name");
	r->p++;
	if (ev->kind == ETOML_EV_ARRAY_TABLE) {
		if (peek(r) != ']')
			return fail(r, "expected ']]' after table name");
		r->p++;
	}
	return expect_eol(r);
}

static int read_keyval(struct etoml_reader *r, struct etoml_event *ev)
{
	int rc;

	ev->kind = ETOML_EV_KEYVAL;
	rc = read_key(r, &ev->key, 0);
	if (rc)
		return rc;
	if (peek(r) != '=')
		return fail(r, "expected '=' after key '%s'", ev->key);
	r->p++;
	skip_ws(r);
	rc = read_value(r, &ev->value, 0);
	if (rc) {
		/* Name the key: "line 3: key 'port': integer out of range". */
		char tmp[sizeof(r->err)];
		const char *msg = strchr(r->err, ':');

		if (rc == ENARX_E_MALFORMED && msg && (r->flags & ETOML_KEY_IN_ERRORS)) {
			snprintf(tmp, sizeof(tmp), "%s", msg + 2);
			snprintf(r->err, sizeof(r->err), "line %u: key '%.40s': %.100s", r->line,
			         ev->key, tmp);
		}
		return rc;
	}
	return expect_eol(r);
}

int etoml_next(struct etoml_reader *r, struct etoml_event *ev)
{
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (r->bad_input)
		return r->bad_input;
	for (;;) {
		skip_ws(r);
		skip_comment(r);
		if (!eat_newline(r))
			break;
	}
	ev->line = r->line;
	if (r->p >= r->end) {
		ev->kind = ETOML_EV_END;
		return 0;
	}
	if (*r->p == '[')
		rc = read_header(r, ev);
	else
		rc = read_keyval(r, ev);
	if (rc)
		etoml_event_clear(ev);
	return rc;
}

/* ---- the whole-document form ---- */

static int doc_add(struct etoml_doc *d, const char *table, struct etoml_event *ev)
{
	struct etoml_kv *grown, *kv;
	char *tb;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;

		grown = xreallocarray(d->kv, cap, sizeof(*grown));
		if (!grown)
			return ENARX_E_NOMEM;
		d->kv = grown;
		d->cap = cap;
	}
	tb = xstrdup(table);
	if (!tb)
		return ENARX_E_NOMEM;
	kv = &d->kv[d->n++];
	kv->table = tb;
	kv->key = ev->key; /* moved from the event */
	kv->v = ev->value;
	kv->line = ev->line;
	memset(ev, 0, sizeof(*ev));
	return 0;
}

/* "line N: key 'a' defined twice" or "line N: table [x] defined twice". */
static int doc_twice(struct etoml_reader *r, unsigned line, const char *key, const char *table)
{
	if (key[0])
		snprintf(r->err, sizeof(r->err), "line %u: key '%.100s' defined twice", line, key);
	else
		snprintf(r->err, sizeof(r->err), "line %u: table [%.100s] defined twice", line,
		         table);
	return ENARX_E_MALFORMED;
}

/* Adds one event to the document; *table tracks the current [table]. */
static int doc_step(struct etoml_reader *r, struct etoml_doc *d, struct etoml_event *ev,
                    char **table)
{
	const char *key = ev->kind == ETOML_EV_KEYVAL ? ev->key : "";
	const char *tb = ev->kind == ETOML_EV_KEYVAL ? *table : ev->key;

	if (d->n >= ETOML_DOC_MAX_KEYS) {
		snprintf(r->err, sizeof(r->err), "line %u: too many keys (more than %u)", ev->line,
		         ETOML_DOC_MAX_KEYS);
		return ENARX_E_MALFORMED;
	}
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->kv[i].key, key) == 0 && strcmp(d->kv[i].table, tb) == 0)
			return doc_twice(r, ev->line, key, tb);
	if (ev->kind != ETOML_EV_KEYVAL) {
		char *name = xstrdup(ev->key);

		if (!name)
			return ENARX_E_NOMEM;
		xfree(*table);
		*table = name;
		xfree(ev->key);
		ev->key = xstrdup(""); /* the header's marker entry */
		if (!ev->key)
			return ENARX_E_NOMEM;
		ev->value.type = ETOML_BOOL;
	}
	return doc_add(d, *table, ev);
}

int etoml_parse(const char *text, size_t len, unsigned flags, struct etoml_doc *doc, char *err,
                size_t errlen)
{
	struct etoml_reader r;
	struct etoml_event ev;
	char *table = xstrdup("");
	int rc = table ? 0 : ENARX_E_NOMEM;

	memset(doc, 0, sizeof(*doc));
	etoml_init(&r, text, len, flags & ~(unsigned)ETOML_ARRAY_TABLES);
	while (!rc) {
		rc = etoml_next(&r, &ev);
		if (rc || ev.kind == ETOML_EV_END)
			break;
		rc = doc_step(&r, doc, &ev, &table);
		etoml_event_clear(&ev);
	}
	if (rc) {
		snprintf(err, errlen, "%s", rc == ENARX_E_NOMEM ? "out of memory" : r.err);
		etoml_doc_free(doc);
	}
	xfree(table);
	return rc;
}

void etoml_doc_free(struct etoml_doc *doc)
{
	for (size_t i = 0; i < doc->n; i++) {
		xfree(doc->kv[i].table);
		xfree(doc->kv[i].key);
		etoml_value_clear(&doc->kv[i].v);
	}
	xfree(doc->kv);
	memset(doc, 0, sizeof(*doc));
}
