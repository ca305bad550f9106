/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded TOML-subset reader (see toml.h). Every byte is looked at through
 * r->p < r->end checks; strings are built in a heap buffer that grows with
 * overflow checks, never on the stack. */
#include "config/toml.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"

#define TOML_MAX_KEY 256
#define TOML_MAX_ITEMS 65536

static int fail(struct toml_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct toml_reader *r, const char *fmt, ...)
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

void toml_init(struct toml_reader *r, const char *text, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->p = text;
	r->end = text + len;
	r->line = 1;
}

const char *toml_type_name(enum toml_type t)
{
	switch (t) {
	case TOML_STRING: return "string";
	case TOML_INT: return "integer";
	case TOML_BOOL: return "boolean";
	case TOML_ARRAY: return "array";
	}
	return "?";
}

void toml_value_clear(struct toml_value *v)
{
	size_t i;

	xfree(v->str);
	for (i = 0; i < v->nitems; i++)
		toml_value_clear(&v->items[i]);
	xfree(v->items);
	memset(v, 0, sizeof(*v));
}

void toml_event_clear(struct toml_event *ev)
{
	xfree(ev->key);
	toml_value_clear(&ev->value);
	memset(ev, 0, sizeof(*ev));
}

static int peek(const struct toml_reader *r)
{
	return r->p < r->end ? (unsigned char)*r->p : -1;
}

static int starts(const struct toml_reader *r, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(r->end - r->p) >= n && memcmp(r->p, s, n) == 0;
}

static void skip_ws(struct toml_reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t'))
		r->p++;
}

static void skip_comment(struct toml_reader *r)
{
	if (peek(r) != '#')
		return;
	while (r->p < r->end && *r->p != '\n')
		r->p++;
}

/* Consumes one newline ("\n" or "\r\n"); returns 1 if it did. */
static int eat_newline(struct toml_reader *r)
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
static int expect_eol(struct toml_reader *r)
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

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int read_escape(struct toml_reader *r, struct buf *b)
{
	int c = peek(r), digits, h;
	uint32_t cp = 0;
	char ch;

	r->p++;
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
			h = hexval(peek(r));
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
static int read_string(struct toml_reader *r, char **out)
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

		if (c < 0 || c == '\n' || c == '\r') {
			rc = fail(r, "unterminated string");
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

static int read_key(struct toml_reader *r, char **out)
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
		if (n > TOML_MAX_KEY)
			return fail(r, "key too long");
		*out = xmalloc(n + 1);
		if (!*out)
			return ENARX_E_NOMEM;
		memcpy(*out, s, n);
		(*out)[n] = 0;
	}
	skip_ws(r);
	if (peek(r) == '.') {
		xfree(*out);
		*out = NULL;
		return fail(r, "dotted keys are not supported");
	}
	return 0;
}

static int read_int(struct toml_reader *r, int64_t *out)
{
	int neg = 0, digits = 0, prev_us = 0;
	uint64_t v = 0, lim;

	if (peek(r) == '+' || peek(r) == '-')
		neg = *r->p++ == '-';
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (starts(r, "0") && r->end - r->p > 1 && (r->p[1] >= '0' && r->p[1] <= '9'))
		return fail(r, "leading zeros are not allowed");
	for (;;) {
		int c = peek(r);

		if (c == '_' && digits && !prev_us) {
			prev_us = 1;
			r->p++;
			continue;
		}
		if (c < '0' || c > '9')
			break;
		if (v > (lim - (uint64_t)(c - '0')) / 10)
			return fail(r, "integer out of range");
		v = v * 10 + (uint64_t)(c - '0');
		digits++;
		prev_us = 0;
		r->p++;
	}
	if (!digits || prev_us)
		return fail(r, "malformed integer");
	if (r->p < r->end && (is_bare(*r->p) || *r->p == '.'))
		return fail(r, "unsupported value (only decimal integers)");
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static int read_value(struct toml_reader *r, struct toml_value *v, int depth);

/* Skips spaces, comments and newlines inside an array. */
static void skip_array_space(struct toml_reader *r)
{
	for (;;) {
		skip_ws(r);
		skip_comment(r);
		if (!eat_newline(r))
			return;
	}
}

static int read_array(struct toml_reader *r, struct toml_value *v)
{
	struct toml_value item;
	void *grown;
	int rc;

	v->type = TOML_ARRAY;
	r->p++;
	for (;;) {
		skip_array_space(r);
		if (peek(r) == ']') {
			r->p++;
			return 0;
		}
		if (v->nitems >= TOML_MAX_ITEMS)
			return fail(r, "array too long");
		memset(&item, 0, sizeof(item));
		rc = read_value(r, &item, 1);
		if (rc)
			return rc;
		if (v->nitems && item.type != v->items[0].type) {
			toml_value_clear(&item);
			return fail(r, "array mixes value types");
		}
		grown = xreallocarray(v->items, v->nitems + 1, sizeof(item));
		if (!grown) {
			toml_value_clear(&item);
			return ENARX_E_NOMEM;
		}
		v->items = grown;
		v->items[v->nitems++] = item;
		skip_array_space(r);
		if (peek(r) == ',') {
			r->p++;
			continue;
		}
		if (peek(r) != ']')
			return fail(r, "expected ',' or ']' in array");
	}
}

static int read_value(struct toml_reader *r, struct toml_value *v, int depth)
{
	int c = peek(r);

	if (c == '"' || c == '\'') {
		v->type = TOML_STRING;
		return read_string(r, &v->str);
	}
	if (c == '[') {
		if (depth)
			return fail(r, "nested arrays are not supported");
		return read_array(r, v);
	}
	if (c == '{')
		return fail(r, "inline tables are not supported");
	if (starts(r, "true") || starts(r, "false")) {
		v->type = TOML_BOOL;
		v->b = *r->p == 't';
		r->p += v->b ? 4 : 5;
		if (r->p < r->end && is_bare(*r->p))
			return fail(r, "unsupported value");
		return 0;
	}
	if (c == '+' || c == '-' || (c >= '0' && c <= '9')) {
		v->type = TOML_INT;
		return read_int(r, &v->i);
	}
	if (c < 0 || c == '\n' || c == '\r' || c == '#')
		return fail(r, "missing value");
	return fail(r, "unsupported value");
}

static int read_header(struct toml_reader *r, struct toml_event *ev)
{
	int rc;

	ev->kind = TOML_EV_TABLE;
	r->p++;
	if (peek(r) == '[') {
		ev->kind = TOML_EV_ARRAY_TABLE;
		r->p++;
	}
	skip_ws(r);
	rc = read_key(r, &ev->key);
	if (rc)
		return rc;
	if (peek(r) != ']')
		return fail(r, "expected ']' after table name");
	r->p++;
	if (ev->kind == TOML_EV_ARRAY_TABLE) {
		if (peek(r) != ']')
			return fail(r, "expected ']]' after table name");
		r->p++;
	}
	return expect_eol(r);
}

static int read_keyval(struct toml_reader *r, struct toml_event *ev)
{
	int rc;

	ev->kind = TOML_EV_KEYVAL;
	rc = read_key(r, &ev->key);
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

		if (rc == ENARX_E_MALFORMED && msg) {
			snprintf(tmp, sizeof(tmp), "%s", msg + 2);
			snprintf(r->err, sizeof(r->err), "line %u: key '%.40s': %.100s", r->line,
			         ev->key, tmp);
		}
		return rc;
	}
	return expect_eol(r);
}

int toml_next(struct toml_reader *r, struct toml_event *ev)
{
	int rc;

	memset(ev, 0, sizeof(*ev));
	for (;;) {
		skip_ws(r);
		skip_comment(r);
		if (!eat_newline(r))
			break;
	}
	ev->line = r->line;
	if (r->p >= r->end) {
		ev->kind = TOML_EV_END;
		return 0;
	}
	if (*r->p == '[')
		rc = read_header(r, ev);
	else
		rc = read_keyval(r, ev);
	if (rc)
		toml_event_clear(ev);
	return rc;
}
