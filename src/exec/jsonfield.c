/* SPDX-License-Identifier: Apache-2.0 */
/* A string member of a top-level JSON object (jsonfield.h): a validating
 * recursive-descent scan of RFC 8259 syntax with a depth bound. */
#include "exec/jsonfield.h"

#include <string.h>

#include "lib/err.h"

#define JSONF_DEPTH 32

struct jp {
	const char *p, *end;
};

static void ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string at j->p (the opening quote). With out, its unescaped value goes
 * there (NUL-terminated); *fits = 0 when it did not fit in cap. */
static int string(struct jp *j, char *out, size_t cap, int *fits)
{
	size_t n = 0;

	if (j->p >= j->end || *j->p != '"')
		return -1;
	j->p++;
	if (fits)
		*fits = 1;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = (unsigned char)*j->p++;

		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (j->p >= j->end)
				return -1;
			c = (unsigned char)*j->p++;
			switch (c) {
			case '"':
			case '\\':
			case '/': break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				unsigned v = 0;

				if (j->end - j->p < 4)
					return -1;
				for (int i = 0; i < 4; i++) {
					int h = hexval(j->p[i]);

					if (h < 0)
						return -1;
					v = v << 4 | (unsigned)h;
				}
				j->p += 4;
				c = v >= 0x20 && v < 0x7f ? (unsigned char)v : '?';
				break;
			}
			default: return -1;
			}
		}
		if (out) {
			if (n + 1 < cap)
				out[n++] = (char)c;
			else if (fits)
				*fits = 0;
		}
	}
	if (j->p >= j->end)
		return -1;
	j->p++;
	if (out && cap)
		out[n] = 0;
	return 0;
}

static int literal(struct jp *j, const char *lit)
{
	size_t l = strlen(lit);

	if ((size_t)(j->end - j->p) < l || memcmp(j->p, lit, l) != 0)
		return -1;
	j->p += l;
	return 0;
}

static int digits(struct jp *j)
{
	const char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s ? 0 : -1;
}

static int number(struct jp *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (digits(j))
		return -1;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (digits(j))
			return -1;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (digits(j))
			return -1;
	}
	return 0;
}

static int value(struct jp *j, int depth);

/* An object or array at j->p; for the top-level object, key/out/cap find
 * the member (*found: 1 found, 2 found but too long, 3 found not a string). */
static int container(struct jp *j, int depth, const char *key, char *out, size_t cap, int *found)
{
	char open = *j->p, close = open == '{' ? '}' : ']';
	int first = 1;

	if (depth >= JSONF_DEPTH)
		return -1;
	j->p++;
	for (;;) {
		ws(j);
		if (j->p >= j->end)
			return -1;
		if (*j->p == close && first) {
			j->p++;
			return 0;
		}
		if (!first) {
			if (*j->p == close) {
				j->p++;
				return 0;
			}
			if (*j->p != ',')
				return -1;
			j->p++;
			ws(j);
		}
		first = 0;
		if (open == '{') {
			char k[128];
			int kfits = 0, match;

			if (string(j, k, sizeof(k), &kfits))
				return -1;
			match = key && !*found && kfits && strcmp(k, key) == 0;
			ws(j);
			if (j->p >= j->end || *j->p != ':')
				return -1;
			j->p++;
			ws(j);
			if (match && j->p < j->end && *j->p == '"') {
				int vfits = 0;

				if (string(j, out, cap, &vfits))
					return -1;
				*found = vfits ? 1 : 2;
				continue;
			}
			if (match)
				*found = 3;
		}
		if (value(j, depth + 1))
			return -1;
	}
}

static int value(struct jp *j, int depth)
{
	if (j->p >= j->end)
		return -1;
	switch (*j->p) {
	case '"': return string(j, NULL, 0, NULL);
	case '{':
	case '[': return container(j, depth, NULL, NULL, 0, NULL);
	case 't': return literal(j, "true");
	case 'f': return literal(j, "false");
	case 'n': return literal(j, "null");
	default: return number(j);
	}
}

int jsonf_string(const char *s, size_t len, const char *key, char *out, size_t cap)
{
	struct jp j = {s, s + len};
	int found = 0;

	if (!cap)
		return ENARX_E_OVERFLOW;
	out[0] = 0;
	ws(&j);
	if (j.p >= j.end || *j.p != '{' || container(&j, 0, key, out, cap, &found))
		return ENARX_E_MALFORMED;
	ws(&j);
	if (j.p != j.end)
		return ENARX_E_MALFORMED;
	if (found == 1)
		return 0;
	out[0] = 0;
	return found == 2 ? ENARX_E_OVERFLOW : ENARX_E_NOTFOUND;
}
