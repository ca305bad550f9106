/* SPDX-License-Identifier: Apache-2.0 */
/* Literals of the text format: integers (decimal or hex, underscores
 * between digits, signs), floats (decimal and hex with exact rounding, inf,
 * nan and nan:0x payloads) and strings with their escapes. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "wat/wat_int.h"

static int digit(char c, bool hex)
{
	int v = hex_digit(c);

	return hex || v < 10 ? v : -1;
}

/* Length of a digit run with single underscores between digits starting
 * at s (0 if none or misplaced underscores). */
static size_t digits(const char *s, size_t n, bool hex)
{
	size_t i = 0;

	if (n == 0 || digit(s[0], hex) < 0)
		return 0;
	while (i < n) {
		if (digit(s[i], hex) >= 0) {
			i++;
		} else if (s[i] == '_' && i + 1 < n && digit(s[i + 1], hex) >= 0) {
			i++;
		} else {
			break;
		}
	}
	return i;
}

int wat__parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	bool hex = n > 2 && s[0] == '0' && s[1] == 'x';
	uint64_t v = 0, base = hex ? 16 : 10;
	bool over = false;
	size_t i;

	if (hex) {
		s += 2;
		n -= 2;
	}
	if (n == 0 || digits(s, n, hex) != n)
		return 1;
	for (i = 0; i < n; i++) {
		int d = digit(s[i], hex);

		if (d < 0)
			continue;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			over = true;
		v = v * base + (uint64_t)d;
	}
	if (over || v > max)
		return 2;
	*out = v;
	return 0;
}

int wat__parse_int(const char *s, size_t n, unsigned bits, uint64_t *out)
{
	uint64_t umax = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	uint64_t smax = (UINT64_C(1) << (bits - 1)) - 1, v;
	int rc;

	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		rc = wat__parse_uint(s + 1, n - 1, smax + 1, &v);
		if (rc)
			return rc;
		if (s[0] == '+' && v > smax)
			return 2;
		*out = s[0] == '-' ? (0 - v) & umax : v;
		return 0;
	}
	rc = wat__parse_uint(s, n, umax, &v);
	if (rc == 0)
		*out = v;
	return rc;
}

/* Checks the syntax of a finite float literal (after the sign): decimal
 * digits[.digits][e[+-]digits] or 0x hexdigits[.hexdigits][p[+-]digits]. */
static bool float_syntax(const char *s, size_t n)
{
	bool hex = n > 2 && s[0] == '0' && s[1] == 'x';
	size_t i = hex ? 2 : 0, d;

	d = digits(s + i, n - i, hex);
	if (d == 0)
		return false;
	i += d;
	if (i < n && s[i] == '.') {
		i++;
		i += digits(s + i, n - i, hex);
	}
	if (i < n && (hex ? (s[i] == 'p' || s[i] == 'P') : (s[i] == 'e' || s[i] == 'E'))) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		d = digits(s + i, n - i, false);
		if (d == 0)
			return false;
		i += d;
	}
	return i == n;
}

/* nan:0xHEX payload; must be nonzero and fit in `mbits` bits. */
static int nan_payload(const char *s, size_t n, unsigned mbits, uint64_t *payload)
{
	if (n < 6 || memcmp(s, "nan:0x", 6) != 0)
		return 1;
	if (wat__parse_uint(s + 4, n - 4, UINT64_MAX, payload))
		return 1;
	if (*payload == 0 || *payload >> mbits)
		return 2;
	return 0;
}

/* Shared by f32/f64: handles sign, inf, nan; for finite literals copies
 * the digits without underscores to a NUL-terminated buffer for strtod. */
struct fparse {
	bool neg, inf, nan;
	uint64_t payload; /* 0 = canonical */
	char *text;       /* finite: xmalloc'd, with sign */
};

static int float_common(const char *s, size_t n, unsigned mbits, struct fparse *f)
{
	const char *point;
	size_t i = 0, j = 0;

	memset(f, 0, sizeof(*f));
	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		f->neg = s[0] == '-';
		i = 1;
	}
	if (n - i == 3 && memcmp(s + i, "inf", 3) == 0) {
		f->inf = true;
		return 0;
	}
	if (n - i == 3 && memcmp(s + i, "nan", 3) == 0) {
		f->nan = true;
		return 0;
	}
	if (n - i > 3 && memcmp(s + i, "nan", 3) == 0) {
		f->nan = true;
		return nan_payload(s + i, n - i, mbits, &f->payload);
	}
	if (!float_syntax(s + i, n - i))
		return 1;
	f->text = xmalloc(n + 1);
	if (!f->text)
		return ENARX_E_NOMEM;
	/* strtod reads the locale's decimal point; the text format's is '.'. */
	point = localeconv()->decimal_point;
	for (i = 0; i < n; i++) {
		if (s[i] == '.' && point && point[0] && !point[1])
			f->text[j++] = point[0];
		else if (s[i] != '_')
			f->text[j++] = s[i];
	}
	f->text[j] = '\0';
	return 0;
}

int wat__parse_f32(const char *s, size_t n, uint32_t *bits)
{
	struct fparse f;
	int rc = float_common(s, n, 23, &f);
	float v;

	if (rc)
		return rc;
	if (f.inf || f.nan) {
		*bits = (f.neg ? 0x80000000u : 0) | 0x7f800000u;
		if (f.nan)
			*bits |= f.payload ? (uint32_t)f.payload : 0x400000u;
		return 0;
	}
	/* strtof rounds the exact decimal or hex value once, to nearest even,
	 * straight to float (no double rounding through double). */
	errno = 0;
	v = strtof(f.text, NULL);
	xfree(f.text);
	if (isinf(v))
		return 2;
	memcpy(bits, &v, sizeof(v));
	return 0;
}

int wat__parse_f64(const char *s, size_t n, uint64_t *bits)
{
	struct fparse f;
	int rc = float_common(s, n, 52, &f);
	double v;

	if (rc)
		return rc;
	if (f.inf || f.nan) {
		*bits = (f.neg ? UINT64_C(1) << 63 : 0) | UINT64_C(0x7ff0000000000000);
		if (f.nan)
			*bits |= f.payload ? f.payload : UINT64_C(1) << 51;
		return 0;
	}
	errno = 0;
	v = strtod(f.text, NULL);
	xfree(f.text);
	if (isinf(v))
		return 2;
	memcpy(bits, &v, sizeof(v));
	return 0;
}

static int put_utf8(struct buf *out, uint32_t cp)
{
	uint8_t b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_append(out, b, n);
}

/* \u{hex}: s points after "\u"; returns characters consumed or 0. */
static long unicode_escape(const char *s, size_t n, uint32_t *cp)
{
	size_t i = 1, d, k;
	uint64_t v;

	if (n < 3 || s[0] != '{')
		return 0;
	d = digits(s + 1, n - 1, true);
	if (d == 0 || 1 + d >= n || s[1 + d] != '}')
		return 0;
	for (v = 0, k = 1; k <= d; k++) {
		if (s[k] == '_')
			continue;
		v = v << 4 | (uint64_t)hex_digit(s[k]);
		if (v > 0x10ffff)
			return 0;
	}
	if (v >= 0xd800 && v < 0xe000)
		return 0;
	i += d + 1;
	*cp = (uint32_t)v;
	return (long)i;
}

/* One escape after "\\": returns characters consumed, 0 if malformed,
 * ENARX_E_NOMEM. */
static long escape(const char *s, size_t n, struct buf *out)
{
	static const char plain[] = "tnr\"'\\";
	static const char value[] = "\t\n\r\"'\\";
	const char *e;
	uint32_t cp;
	long used;

	if (n == 0)
		return 0;
	e = strchr(plain, s[0]);
	if (e && s[0])
		return buf_append_u8(out, (uint8_t)value[e - plain]) ? ENARX_E_NOMEM : 1;
	if (s[0] == 'u') {
		used = unicode_escape(s + 1, n - 1, &cp);
		if (used == 0)
			return 0;
		return put_utf8(out, cp) ? ENARX_E_NOMEM : used + 1;
	}
	if (n >= 2 && hex_digit(s[0]) >= 0 && hex_digit(s[1]) >= 0)
		return buf_append_u8(out, (uint8_t)(hex_digit(s[0]) << 4 | hex_digit(s[1])))
		           ? ENARX_E_NOMEM
		           : 2;
	return 0;
}

int wat__string(const char *s, size_t n, struct buf *out)
{
	size_t i = 1, start;
	long used;

	/* s includes the quotes; the lexer checked characters and extent. */
	while (i + 1 < n) {
		if (s[i] != '\\') {
			start = i;
			while (i + 1 < n && s[i] != '\\')
				i++;
			if (!wat__utf8_ok((const uint8_t *)s + start, i - start))
				return 1;
			if (buf_append(out, s + start, i - start))
				return ENARX_E_NOMEM;
			continue;
		}
		used = escape(s + i + 1, n - i - 2, out);
		if (used < 0)
			return ENARX_E_NOMEM;
		if (used == 0)
			return 1;
		i += 1 + (size_t)used;
	}
	return 0;
}

bool wat__utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		uint32_t cp, min;
		size_t k, len;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
			return false;
		i += len;
	}
	return true;
}
