/* SPDX-License-Identifier: Apache-2.0 */
/* The text format's tokenizer: splits the source into parentheses,
 * keywords, identifiers, strings and reserved words (numbers among them),
 * skipping white space and comments, and remembers each token's line and
 * column for error messages. */
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "wat/wat_int.h"

struct lexer {
	struct wat__parser *p;
	size_t i;
	uint32_t line;
	size_t line_start;
};

static bool is_idchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c != 0 && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c) != NULL;
}

static uint32_t col_of(const struct lexer *lx, size_t at)
{
	return (uint32_t)(at - lx->line_start + 1);
}

static int lex_fail(struct lexer *lx, size_t at, const char *what)
{
	struct wat__tok t = {.kind = TK_EOF, .off = (uint32_t)at, .len = 0};

	t.line = lx->line;
	t.col = col_of(lx, at);
	return wat__fail_at(lx->p, &t, "%s", what);
}

static void newline(struct lexer *lx)
{
	lx->line++;
	lx->line_start = lx->i;
}

/* Skips a block comment "(; ... ;)" (they nest); lx->i is at "(;". */
static int skip_block_comment(struct lexer *lx)
{
	const char *s = lx->p->src;
	size_t n = lx->p->len, start = lx->i;
	unsigned level = 0;

	while (lx->i < n) {
		if (s[lx->i] == '(' && lx->i + 1 < n && s[lx->i + 1] == ';') {
			level++;
			lx->i += 2;
		} else if (s[lx->i] == ';' && lx->i + 1 < n && s[lx->i + 1] == ')') {
			lx->i += 2;
			if (--level == 0)
				return 0;
		} else if (s[lx->i] == '\n') {
			lx->i++;
			newline(lx);
		} else {
			lx->i++;
		}
	}
	return lex_fail(lx, start, "unterminated block comment");
}

/* Skips white space and comments. */
static int skip_space(struct lexer *lx)
{
	const char *s = lx->p->src;
	size_t n = lx->p->len;

	while (lx->i < n) {
		char c = s[lx->i];

		if (c == ' ' || c == '\t' || c == '\r') {
			lx->i++;
		} else if (c == '\n') {
			lx->i++;
			newline(lx);
		} else if (c == ';' && lx->i + 1 < n && s[lx->i + 1] == ';') {
			while (lx->i < n && s[lx->i] != '\n')
				lx->i++;
		} else if (c == '(' && lx->i + 1 < n && s[lx->i + 1] == ';') {
			int rc = skip_block_comment(lx);
			if (rc)
				return rc;
		} else {
			break;
		}
	}
	return 0;
}

/* Scans a string token; lx->i is at the opening quote. Escapes are checked
 * later, when the string is decoded; here only the extent matters. */
static int scan_string(struct lexer *lx)
{
	const char *s = lx->p->src;
	size_t n = lx->p->len, start = lx->i;

	lx->i++;
	while (lx->i < n && s[lx->i] != '"') {
		unsigned char c = (unsigned char)s[lx->i];

		if (c == '\n' || c < 0x20 || c == 0x7f)
			return lex_fail(lx, lx->i, "illegal character in string");
		if (c == '\\' && lx->i + 1 < n)
			lx->i++;
		lx->i++;
	}
	if (lx->i >= n)
		return lex_fail(lx, start, "unterminated string");
	lx->i++;
	return 0;
}

static int push(struct lexer *lx, uint8_t kind, size_t start)
{
	struct wat__parser *p = lx->p;
	struct wat__tok *t;

	if (p->ntoks % 1024 == 0) {
		t = xreallocarray(p->toks, p->ntoks + 1024, sizeof(*t));
		if (!t)
			return wat__nomem(p);
		p->toks = t;
	}
	t = &p->toks[p->ntoks++];
	t->kind = kind;
	t->off = (uint32_t)start;
	t->len = (uint32_t)(lx->i - start);
	t->line = lx->line;
	t->col = col_of(lx, start);
	return 0;
}

/* After a word or string the next character must end the token. */
static int check_separated(struct lexer *lx)
{
	const char *s = lx->p->src;
	char c;

	if (lx->i >= lx->p->len)
		return 0;
	c = s[lx->i];
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')')
		return 0;
	if (c == ';' && lx->i + 1 < lx->p->len && s[lx->i + 1] == ';')
		return 0;
	return lex_fail(lx, lx->i, "unknown operator: tokens must be separated");
}

static int lex_one(struct lexer *lx)
{
	const char *s = lx->p->src;
	size_t start = lx->i;
	unsigned char c = (unsigned char)s[lx->i];
	uint8_t kind;
	int rc;

	if (c == '(' || c == ')') {
		lx->i++;
		return push(lx, c == '(' ? TK_LPAR : TK_RPAR, start);
	}
	if (c == '"') {
		rc = scan_string(lx);
		if (rc == 0)
			rc = check_separated(lx);
		return rc ? rc : push(lx, TK_STRING, start);
	}
	if (!is_idchar(c))
		return lex_fail(lx, start, "unexpected character");
	while (lx->i < lx->p->len && is_idchar((unsigned char)s[lx->i]))
		lx->i++;
	if (c == '$')
		kind = lx->i - start > 1 ? TK_ID : TK_RESERVED;
	else
		kind = c >= 'a' && c <= 'z' ? TK_KEYWORD : TK_RESERVED;
	rc = check_separated(lx);
	return rc ? rc : push(lx, kind, start);
}

int wat__lex(struct wat__parser *p)
{
	struct lexer lx = {.p = p, .i = 0, .line = 1, .line_start = 0};
	int rc;

	if (p->len >= UINT32_MAX)
		return wat__fail(p, "text too large");
	for (;;) {
		rc = skip_space(&lx);
		if (rc)
			return rc;
		if (lx.i >= p->len)
			break;
		rc = lex_one(&lx);
		if (rc)
			return rc;
	}
	return push(&lx, TK_EOF, lx.i);
}
