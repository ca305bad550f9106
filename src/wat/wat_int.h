/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by the text-format parser's files: tokens (lex.c),
 * numeric literals and strings (num.c), the parser state, module fields
 * (module.c), instructions (instr.c) and binary encoding helpers (encode.c). */
#ifndef ENARX_WAT_INT_H
#define ENARX_WAT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <enarx/wat.h>

#include "lib/buf.h"

/* Deepest nesting of parentheses (folded instructions, blocks, fields)
 * accepted: the parser recurses per level, so this bounds its stack use
 * (about 200 bytes a level) on hostile input. */
#define WAT_MAX_DEPTH 1000

enum wat__tk {
	TK_EOF,
	TK_LPAR,
	TK_RPAR,
	TK_KEYWORD,  /* starts with a-z: "func", "i32.add", "offset=4", "nan" */
	TK_ID,       /* "$name" */
	TK_STRING,   /* "..." (text includes the quotes) */
	TK_RESERVED, /* other idchar runs, including numbers ("0x1f", "-1.5") */
};

struct wat__tok {
	uint8_t kind;
	uint32_t off, len; /* in the source */
	uint32_t line, col;
};

/* One function type: params then results (value type bytes). */
struct wat__functype {
	uint8_t *vt; /* nparams + nresults bytes */
	uint32_t nparams, nresults;
};

/* Name -> index map for one index space (open addressing). */
struct wat__names {
	struct wat__name {
		const char *s; /* borrowed from the source; NULL = empty slot */
		uint32_t len, index;
	} * slot;
	uint32_t cap, count;
};

enum wat__space { NS_FUNC, NS_TABLE, NS_MEM, NS_GLOBAL, NS_ELEM, NS_DATA, NS_TYPE, NS_COUNT };

enum wat__sec {
	SEC_TYPE,
	SEC_IMPORT,
	SEC_FUNC,
	SEC_TABLE,
	SEC_MEM,
	SEC_GLOBAL,
	SEC_EXPORT,
	SEC_START,
	SEC_ELEM,
	SEC_CODE,
	SEC_DATA,
	SEC_COUNT
};

/* Local and label names of the function being parsed. */
struct wat__func {
	struct wat__names locals;
	uint32_t nlocals;               /* params + locals */
	const struct wat__tok **labels; /* label id token or NULL, innermost last */
	uint32_t nlabels, caplabels;
};

struct wat__parser {
	const char *src;
	size_t len;
	struct wat__tok *toks;
	size_t ntoks, pos;
	ewat_error *err;
	bool failed;
	unsigned depth;

	struct wat__names names[NS_COUNT];
	uint32_t count[NS_COUNT];   /* pass 1: index space sizes */
	uint32_t nimport[NS_COUNT]; /* imports per space */
	struct wat__functype *types;
	uint32_t ntypes, captypes;
	bool defined; /* a func/table/memory/global definition was seen */

	struct buf sec[SEC_COUNT];
	uint32_t nitems[SEC_COUNT];
	bool has_start;
	bool uses_datacount;  /* memory.init / data.drop seen */
	struct wat__func *fn; /* function being parsed, or NULL */
};

/* lex.c: tokenizes the whole source into p->toks. */
int wat__lex(struct wat__parser *p);

/* Error reporting: records the first error at token t (wat__fail: the
 * current token) in p->err and returns ENARX_E_WAT_SYNTAX; wat__nomem()
 * returns ENARX_E_NOMEM. */
int wat__fail_at(struct wat__parser *p, const struct wat__tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int wat__fail(struct wat__parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int wat__nomem(struct wat__parser *p);

/* Token access (module.c). */
const struct wat__tok *wat__peek(const struct wat__parser *p, size_t ahead);
const struct wat__tok *wat__next(struct wat__parser *p);
bool wat__is_kw(const struct wat__parser *p, const struct wat__tok *t, const char *kw);
/* True if the next tokens are "(" kw. */
bool wat__at_field(const struct wat__parser *p, const char *kw);
/* "unexpected token X, expected <want>" at the current token. */
int wat__unexpected(struct wat__parser *p, const char *want);
int wat__expect(struct wat__parser *p, enum wat__tk kind, const char *what);
int wat__expect_kw(struct wat__parser *p, const char *kw);
int wat__enter(struct wat__parser *p); /* depth check before recursing */
void wat__leave(struct wat__parser *p);

/* num.c: literals. Return 0, 1 (bad syntax), 2 (out of range) or
 * ENARX_E_NOMEM (negative). */
int wat__parse_uint(const char *s, size_t n, uint64_t max, uint64_t *out);
int wat__parse_int(const char *s, size_t n, unsigned bits, uint64_t *out);
int wat__parse_f32(const char *s, size_t n, uint32_t *bits);
int wat__parse_f64(const char *s, size_t n, uint64_t *bits);
/* Decodes a string token's contents (escapes) into out (appended).
 * Returns 0, 1 (malformed escape or UTF-8), ENARX_E_NOMEM. */
int wat__string(const char *s, size_t n, struct buf *out);
bool wat__utf8_ok(const uint8_t *s, size_t n);

/* Parser helpers for numbers as tokens (module.c). */
int wat__u32(struct wat__parser *p, uint32_t *v);
bool wat__at_u32(const struct wat__parser *p);

/* names (module.c) */
int wat__names_add(struct wat__names *m, const char *s, uint32_t len, uint32_t index);
bool wat__names_get(const struct wat__names *m, const char *s, uint32_t len, uint32_t *index);
void wat__names_free(struct wat__names *m);
/* True if the current token can be an index (a natural number or $id). */
bool wat__at_index(const struct wat__parser *p);
/* Parses an index of space sp: a number, or an identifier bound there
 * ("unknown function $f" otherwise). */
int wat__index(struct wat__parser *p, enum wat__space sp, uint32_t *idx);

/* Value types: returns the binary byte or 0 if t is not a value type. */
uint8_t wat__valtype(const struct wat__parser *p, const struct wat__tok *t);
uint8_t wat__reftype(const struct wat__parser *p, const struct wat__tok *t);

/* Type uses: parses [(type x)] (param ...)* (result ...)* and returns the
 * type index, appending an implicit type if needed. With names != NULL the
 * parameter identifiers are bound there (function definitions); allow_ids
 * false rejects them (block types, call_indirect). *nparams (if not NULL)
 * gets the number of parameters. */
int wat__typeuse(struct wat__parser *p, struct wat__names *names, bool allow_ids, uint32_t *typeidx,
                 uint32_t *nparams);
/* Block type: sets *bt to 0x40, a value type byte, or a type index. */
int wat__blocktype(struct wat__parser *p, int64_t *bt);
/* Index of the first type with this signature (vt: np params then nr
 * results), appended if there is none. */
int wat__find_type(struct wat__parser *p, const uint8_t *vt, uint32_t np, uint32_t nr,
                   uint32_t *idx);

/* module.c: pass 1 over the fields (identifiers, index spaces, types). */
int wat__scan_fields(struct wat__parser *p);
/* fields.c: pass 2, one field "(kw ...)" with "(" consumed. */
int wat__field(struct wat__parser *p);
int wat__type_section(struct wat__parser *p);

/* instr.c */
/* Parses instructions up to ")", "end" or "else" (not consumed), appending
 * their encoding to out. Labels and locals come from p->fn, which must be
 * set (constant expressions get an empty one from the functions below). */
int wat__instrs(struct wat__parser *p, struct buf *out);
/* Instructions outside a function (elem items): wat__instrs() with an
 * empty function context. */
int wat__expr(struct wat__parser *p, struct buf *out);
/* Exactly one folded instruction "(...)" (elem items, offsets). */
int wat__folded_one(struct wat__parser *p, struct buf *out);
/* A constant expression: instructions then 0x0b. */
int wat__const_expr(struct wat__parser *p, struct buf *out);

/* encode.c */
int wat__uleb(struct buf *b, uint64_t v);
int wat__sleb(struct buf *b, int64_t v);
int wat__name_bytes(struct buf *b, const uint8_t *s, size_t n); /* vec(byte) */
int wat__assemble(struct wat__parser *p, uint8_t **out, size_t *out_len);

#endif
