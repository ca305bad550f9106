/* SPDX-License-Identifier: Apache-2.0 */
/* The parser's core: token access, errors, name maps, value types and type
 * uses (with the implicit type definitions the spec appends in text order),
 * and ewat_parse() itself: pass 1 collects identifiers, index-space sizes
 * and explicit types; pass 2 (fields.c) encodes every field. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "wat/wat_int.h"

/* ---------------------------------------------------------------- errors */

static int vfail(struct wat__parser *p, const struct wat__tok *t, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static int vfail(struct wat__parser *p, const struct wat__tok *t, const char *fmt, va_list ap)
{
	if (!p->failed && p->err) {
		p->err->line = t ? t->line : 0;
		p->err->col = t ? t->col : 0;
		vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	}
	p->failed = true;
	return ENARX_E_WAT_SYNTAX;
}

int wat__fail_at(struct wat__parser *p, const struct wat__tok *t, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(p, t, fmt, ap);
	va_end(ap);
	return rc;
}

int wat__fail(struct wat__parser *p, const char *fmt, ...)
{
	const struct wat__tok *t = p->toks && p->pos < p->ntoks ? &p->toks[p->pos] : NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(p, t, fmt, ap);
	va_end(ap);
	return rc;
}

int wat__nomem(struct wat__parser *p)
{
	if (!p->failed && p->err) {
		p->err->line = p->err->col = 0;
		snprintf(p->err->message, sizeof(p->err->message), "out of memory");
	}
	p->failed = true;
	return ENARX_E_NOMEM;
}

/* ---------------------------------------------------------------- tokens */

const struct wat__tok *wat__peek(const struct wat__parser *p, size_t ahead)
{
	size_t i = p->pos + ahead;

	/* The last token is always TK_EOF. */
	return &p->toks[i < p->ntoks ? i : p->ntoks - 1];
}

const struct wat__tok *wat__next(struct wat__parser *p)
{
	const struct wat__tok *t = wat__peek(p, 0);

	if (t->kind != TK_EOF)
		p->pos++;
	return t;
}

bool wat__is_kw(const struct wat__parser *p, const struct wat__tok *t, const char *kw)
{
	size_t n = strlen(kw);

	return t->kind == TK_KEYWORD && t->len == n && memcmp(p->src + t->off, kw, n) == 0;
}

bool wat__at_field(const struct wat__parser *p, const char *kw)
{
	return wat__peek(p, 0)->kind == TK_LPAR && wat__is_kw(p, wat__peek(p, 1), kw);
}

static const char *kind_name(enum wat__tk k)
{
	static const char *const names[] = {"end of input", "\"(\"",  "\")\"", "keyword",
	                                    "identifier",   "string", "word"};
	return names[k];
}

/* "unexpected token" plus what it was, quoting at most 40 bytes. */
int wat__unexpected(struct wat__parser *p, const char *want)
{
	const struct wat__tok *t = wat__peek(p, 0);
	int n = t->len > 40 ? 40 : (int)t->len;

	if (t->kind == TK_EOF)
		return wat__fail(p, "unexpected end of input, expected %s", want);
	return wat__fail(p, "unexpected token \"%.*s\", expected %s", n, p->src + t->off, want);
}

int wat__expect(struct wat__parser *p, enum wat__tk kind, const char *what)
{
	if (wat__peek(p, 0)->kind != kind)
		return wat__unexpected(p, what ? what : kind_name(kind));
	wat__next(p);
	return 0;
}

int wat__expect_kw(struct wat__parser *p, const char *kw)
{
	char want[48];

	if (wat__is_kw(p, wat__peek(p, 0), kw)) {
		wat__next(p);
		return 0;
	}
	snprintf(want, sizeof(want), "\"%s\"", kw);
	return wat__unexpected(p, want);
}

int wat__enter(struct wat__parser *p)
{
	if (++p->depth > WAT_MAX_DEPTH)
		return wat__fail(p, "nesting deeper than %d levels", WAT_MAX_DEPTH);
	return 0;
}

void wat__leave(struct wat__parser *p)
{
	p->depth--;
}

/* Skips to the ")" closing a "(" already consumed, and past it. */
static int skip_close(struct wat__parser *p)
{
	size_t level = 1;

	while (level > 0) {
		const struct wat__tok *t = wat__next(p);

		if (t->kind == TK_EOF)
			return wat__fail(p, "unexpected end of input: unbalanced parentheses");
		if (t->kind == TK_LPAR)
			level++;
		else if (t->kind == TK_RPAR)
			level--;
	}
	return 0;
}

/* ---------------------------------------------------------------- numbers */

bool wat__at_u32(const struct wat__parser *p)
{
	const struct wat__tok *t = wat__peek(p, 0);

	/* Reserved tokens are never empty; TK_EOF's offset is the length. */
	return t->kind == TK_RESERVED && p->src[t->off] >= '0' && p->src[t->off] <= '9';
}

int wat__u32(struct wat__parser *p, uint32_t *v)
{
	const struct wat__tok *t = wat__peek(p, 0);
	uint64_t x;
	int rc;

	if (t->kind != TK_RESERVED)
		return wat__unexpected(p, "a natural number");
	rc = wat__parse_uint(p->src + t->off, t->len, UINT32_MAX, &x);
	if (rc == 2)
		return wat__fail(p, "constant out of range: \"%.*s\"", (int)t->len,
		                 p->src + t->off);
	if (rc)
		return wat__unexpected(p, "a natural number");
	wat__next(p);
	*v = (uint32_t)x;
	return 0;
}

/* ---------------------------------------------------------------- names */

static uint32_t hash(const char *s, uint32_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static struct wat__name *slot_of(const struct wat__names *m, const char *s, uint32_t len)
{
	uint32_t i = hash(s, len) & (m->cap - 1);

	while (m->slot[i].s && !(m->slot[i].len == len && memcmp(m->slot[i].s, s, len) == 0))
		i = (i + 1) & (m->cap - 1);
	return &m->slot[i];
}

static int grow_names(struct wat__names *m)
{
	struct wat__names n = {.cap = m->cap ? m->cap * 2 : 16};
	uint32_t i;

	n.slot = xcalloc(n.cap, sizeof(*n.slot));
	if (!n.slot)
		return ENARX_E_NOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->slot[i].s)
			*slot_of(&n, m->slot[i].s, m->slot[i].len) = m->slot[i];
	n.count = m->count;
	xfree(m->slot);
	*m = n;
	return 0;
}

/* Returns 0, ENARX_E_EXISTS (duplicate), ENARX_E_NOMEM. */
int wat__names_add(struct wat__names *m, const char *s, uint32_t len, uint32_t index)
{
	struct wat__name *e;

	if ((m->count + 1) * 2 > m->cap && grow_names(m))
		return ENARX_E_NOMEM;
	e = slot_of(m, s, len);
	if (e->s)
		return ENARX_E_EXISTS;
	e->s = s;
	e->len = len;
	e->index = index;
	m->count++;
	return 0;
}

bool wat__names_get(const struct wat__names *m, const char *s, uint32_t len, uint32_t *index)
{
	const struct wat__name *e;

	if (m->cap == 0)
		return false;
	e = slot_of(m, s, len);
	if (!e->s)
		return false;
	*index = e->index;
	return true;
}

void wat__names_free(struct wat__names *m)
{
	xfree(m->slot);
	memset(m, 0, sizeof(*m));
}

static const char *const space_name[NS_COUNT] = {"function",     "table",        "memory", "global",
                                                 "elem segment", "data segment", "type"};

/* Binds the identifier token t (if it is one) in map m. */
static int bind(struct wat__parser *p, struct wat__names *m, const struct wat__tok *t,
                uint32_t index, const char *what)
{
	int rc;

	if (!t || t->kind != TK_ID)
		return 0;
	rc = wat__names_add(m, p->src + t->off, t->len, index);
	if (rc == ENARX_E_NOMEM)
		return wat__nomem(p);
	if (rc)
		return wat__fail_at(p, t, "duplicate %s \"%.*s\"", what, (int)t->len,
		                    p->src + t->off);
	return 0;
}

bool wat__at_index(const struct wat__parser *p)
{
	return wat__peek(p, 0)->kind == TK_ID || wat__at_u32(p);
}

int wat__index(struct wat__parser *p, enum wat__space sp, uint32_t *idx)
{
	const struct wat__tok *t = wat__peek(p, 0);

	if (t->kind == TK_ID) {
		if (!wat__names_get(&p->names[sp], p->src + t->off, t->len, idx))
			return wat__fail(p, "unknown %s \"%.*s\"", space_name[sp], (int)t->len,
			                 p->src + t->off);
		wat__next(p);
		return 0;
	}
	if (t->kind != TK_RESERVED)
		return wat__unexpected(p, "an index");
	return wat__u32(p, idx);
}

/* ---------------------------------------------------------------- types */

uint8_t wat__reftype(const struct wat__parser *p, const struct wat__tok *t)
{
	if (wat__is_kw(p, t, "funcref"))
		return 0x70;
	if (wat__is_kw(p, t, "externref"))
		return 0x6f;
	return 0;
}

uint8_t wat__valtype(const struct wat__parser *p, const struct wat__tok *t)
{
	static const struct {
		const char *kw;
		uint8_t b;
	} vt[] = {{"i32", 0x7f}, {"i64", 0x7e}, {"f32", 0x7d}, {"f64", 0x7c}};
	size_t i;

	for (i = 0; i < sizeof(vt) / sizeof(vt[0]); i++)
		if (wat__is_kw(p, t, vt[i].kw))
			return vt[i].b;
	return wat__reftype(p, t);
}

/* A signature under construction. */
struct sig {
	struct buf vt; /* params then results */
	uint32_t np, nr;
};

/* (param $id? t) | (param t*) and (result t*): appends to s. With
 * names != NULL param ids are bound to their local index there. */
static int param_or_result(struct wat__parser *p, struct sig *s, bool result,
                           struct wat__names *names, bool allow_ids)
{
	const struct wat__tok *id = NULL;
	bool got = false;
	uint8_t t;

	wat__next(p); /* "(" */
	wat__next(p); /* keyword */
	if (!result && wat__peek(p, 0)->kind == TK_ID) {
		id = wat__next(p);
		if (!allow_ids)
			return wat__fail_at(p, id, "unexpected token: no identifier allowed here");
	}
	while ((t = wat__valtype(p, wat__peek(p, 0))) != 0) {
		if (buf_append_u8(&s->vt, t))
			return wat__nomem(p);
		if (result)
			s->nr++;
		else
			s->np++;
		wat__next(p);
		got = true;
		if (id) {
			int rc = names ? bind(p, names, id, s->np - 1, "local") : 0;

			if (rc)
				return rc;
			break;
		}
	}
	if (id && !got)
		return wat__unexpected(p, "a value type");
	return wat__expect(p, TK_RPAR, "a value type or \")\"");
}

/* (param ...)* (result ...)*: params must come first. */
static int signature(struct wat__parser *p, struct sig *s, struct wat__names *names, bool allow_ids)
{
	int rc;

	while (wat__at_field(p, "param"))
		if ((rc = param_or_result(p, s, false, names, allow_ids)) != 0)
			return rc;
	while (wat__at_field(p, "result"))
		if ((rc = param_or_result(p, s, true, NULL, false)) != 0)
			return rc;
	return 0;
}

/* Appends a type (explicit types are never merged with earlier ones). */
static int append_type(struct wat__parser *p, const uint8_t *vt, uint32_t np, uint32_t nr,
                       uint32_t *idx)
{
	struct wat__functype *t;

	if (p->ntypes == p->captypes) {
		uint32_t cap = p->captypes ? p->captypes * 2 : 16;

		t = xreallocarray(p->types, cap, sizeof(*t));
		if (!t)
			return wat__nomem(p);
		p->types = t;
		p->captypes = cap;
	}
	t = &p->types[p->ntypes];
	t->vt = xmalloc(np + nr + 1);
	if (!t->vt)
		return wat__nomem(p);
	if (np + nr)
		memcpy(t->vt, vt, np + nr);
	t->nparams = np;
	t->nresults = nr;
	*idx = p->ntypes++;
	return 0;
}

int wat__find_type(struct wat__parser *p, const uint8_t *vt, uint32_t np, uint32_t nr,
                   uint32_t *idx)
{
	uint32_t i;

	for (i = 0; i < p->ntypes; i++) {
		const struct wat__functype *t = &p->types[i];

		if (t->nparams == np && t->nresults == nr &&
		    (np + nr == 0 || memcmp(t->vt, vt, np + nr) == 0)) {
			*idx = i;
			return 0;
		}
	}
	return append_type(p, vt, np, nr, idx);
}

static bool same_sig(const struct wat__functype *t, const struct sig *s)
{
	return t->nparams == s->np && t->nresults == s->nr &&
	       (s->np + s->nr == 0 || memcmp(t->vt, s->vt.data, s->np + s->nr) == 0);
}

/* Parses a type use; *explicit_type says whether "(type x)" was given and
 * *s holds the signature (the referenced type's when no inline one). */
static int typeuse_sig(struct wat__parser *p, struct wat__names *names, bool allow_ids,
                       uint32_t *typeidx, bool *explicit_type, struct sig *s)
{
	const struct wat__tok *at = wat__peek(p, 0);
	int rc;

	*explicit_type = false;
	if (wat__at_field(p, "type")) {
		wat__next(p);
		wat__next(p);
		if ((rc = wat__index(p, NS_TYPE, typeidx)) != 0 ||
		    (rc = wat__expect(p, TK_RPAR, NULL)) != 0)
			return rc;
		*explicit_type = true;
	}
	if ((rc = signature(p, s, names, allow_ids)) != 0)
		return rc;
	if (*explicit_type && *typeidx >= p->ntypes && s->np + s->nr > 0)
		return wat__fail_at(p, at, "unknown type %u", *typeidx);
	if (!*explicit_type || *typeidx >= p->ntypes)
		return 0;
	if (s->np + s->nr == 0) {
		const struct wat__functype *t = &p->types[*typeidx];

		if (t->nparams + t->nresults && buf_append(&s->vt, t->vt, t->nparams + t->nresults))
			return wat__nomem(p);
		s->np = t->nparams;
		s->nr = t->nresults;
		return 0;
	}
	if (!same_sig(&p->types[*typeidx], s))
		return wat__fail_at(p, at, "inline function type does not match type %u", *typeidx);
	return 0;
}

int wat__typeuse(struct wat__parser *p, struct wat__names *names, bool allow_ids, uint32_t *typeidx,
                 uint32_t *nparams)
{
	struct sig s = {0};
	bool explicit_type;
	int rc;

	rc = typeuse_sig(p, names, allow_ids, typeidx, &explicit_type, &s);
	if (!rc && nparams)
		*nparams = s.np;
	if (!rc && !explicit_type)
		rc = wat__find_type(p, s.vt.data, s.np, s.nr, typeidx);
	buf_free(&s.vt, 0);
	return rc;
}

int wat__blocktype(struct wat__parser *p, int64_t *bt)
{
	struct sig s = {0};
	bool explicit_type;
	uint32_t idx = 0;
	int rc;

	rc = typeuse_sig(p, NULL, false, &idx, &explicit_type, &s);
	if (rc)
		goto out;
	/* As wabt: no params and at most one result encode inline even when
	 * "(type x)" names the type. */
	if (s.np == 0 && s.nr <= 1 && (!explicit_type || idx < p->ntypes))
		*bt = s.nr ? s.vt.data[0] : 0x40;
	else if (explicit_type)
		*bt = idx;
	else if ((rc = wat__find_type(p, s.vt.data, s.np, s.nr, &idx)) == 0)
		*bt = idx;
out:
	buf_free(&s.vt, 0);
	return rc;
}

/* ---------------------------------------------------------------- pass 1 */

/* "(type $id? (func (param ...)* (result ...)*))" after "(type". */
static int type_field(struct wat__parser *p)
{
	const struct wat__tok *id = NULL;
	struct sig s = {0};
	uint32_t idx;
	int rc;

	if (wat__peek(p, 0)->kind == TK_ID)
		id = wat__next(p);
	if ((rc = wat__expect(p, TK_LPAR, "\"(func\"")) || (rc = wat__expect_kw(p, "func")))
		return rc;
	rc = signature(p, &s, NULL, true);
	if (!rc)
		rc = wat__expect(p, TK_RPAR, "\"(param\", \"(result\" or \")\"");
	if (!rc)
		rc = wat__expect(p, TK_RPAR, NULL);
	if (!rc)
		rc = append_type(p, s.vt.data, s.np, s.nr, &idx);
	if (!rc && id)
		rc = bind(p, &p->names[NS_TYPE], id, idx, "type");
	buf_free(&s.vt, 0);
	return rc;
}

/* Counts an item of space sp (at this point of the text) and binds id. */
static int declare(struct wat__parser *p, enum wat__space sp, const struct wat__tok *id)
{
	int rc = bind(p, &p->names[sp], id, p->count[sp], space_name[sp]);

	p->count[sp]++;
	return rc;
}

static bool skip_exports(struct wat__parser *p)
{
	while (wat__at_field(p, "export")) {
		p->pos += 2;
		if (skip_close(p))
			return false;
	}
	return true;
}

/* func/table/memory/global: counts it and any inline segment it holds. */
static int scan_definition(struct wat__parser *p, enum wat__space sp)
{
	const struct wat__tok *id = wat__peek(p, 0)->kind == TK_ID ? wat__next(p) : NULL;
	int rc = declare(p, sp, id);

	if (rc)
		return rc;
	if (!skip_exports(p))
		return ENARX_E_WAT_SYNTAX;
	if (sp == NS_TABLE && wat__reftype(p, wat__peek(p, 0)) &&
	    wat__peek(p, 1)->kind == TK_LPAR && wat__is_kw(p, wat__peek(p, 2), "elem"))
		p->count[NS_ELEM]++;
	if (sp == NS_MEM && wat__at_field(p, "data"))
		p->count[NS_DATA]++;
	return 0;
}

/* (import "m" "n" (kind $id? ...)) */
static int scan_import(struct wat__parser *p)
{
	static const char *const kinds[] = {"func", "table", "memory", "global"};
	enum wat__space sp;

	if (wat__peek(p, 0)->kind != TK_STRING || wat__peek(p, 1)->kind != TK_STRING)
		return 0; /* pass 2 reports it */
	p->pos += 2;
	if (wat__peek(p, 0)->kind != TK_LPAR)
		return 0;
	for (sp = NS_FUNC; sp <= NS_GLOBAL; sp++) {
		if (wat__is_kw(p, wat__peek(p, 1), kinds[sp])) {
			p->pos += 2;
			return declare(p, sp,
			               wat__peek(p, 0)->kind == TK_ID ? wat__peek(p, 0) : NULL);
		}
	}
	return 0;
}

static int scan_field(struct wat__parser *p)
{
	static const char *const defs[] = {"func", "table", "memory", "global"};
	const struct wat__tok *kw = wat__peek(p, 0);
	size_t start;
	enum wat__space sp;
	int rc = 0;

	wat__next(p);
	start = p->pos;
	if (wat__is_kw(p, kw, "type"))
		return type_field(p);
	for (sp = NS_FUNC; sp <= NS_GLOBAL; sp++)
		if (wat__is_kw(p, kw, defs[sp]))
			rc = scan_definition(p, sp);
	if (wat__is_kw(p, kw, "import"))
		rc = scan_import(p);
	else if (wat__is_kw(p, kw, "elem"))
		rc = declare(p, NS_ELEM, wat__peek(p, 0)->kind == TK_ID ? wat__peek(p, 0) : NULL);
	else if (wat__is_kw(p, kw, "data"))
		rc = declare(p, NS_DATA, wat__peek(p, 0)->kind == TK_ID ? wat__peek(p, 0) : NULL);
	if (rc)
		return rc;
	p->pos = start;
	return skip_close(p);
}

/* Pass 1 over the fields from the current position to the closing ")" (or
 * the end of input); leaves the position unchanged. */
int wat__scan_fields(struct wat__parser *p)
{
	size_t start = p->pos;
	int rc;

	while (wat__peek(p, 0)->kind == TK_LPAR) {
		wat__next(p);
		if (wat__peek(p, 0)->kind != TK_KEYWORD)
			break; /* pass 2 reports it */
		if ((rc = scan_field(p)) != 0)
			return rc;
	}
	p->pos = start;
	return 0;
}
