/* SPDX-License-Identifier: Apache-2.0 */
/* Pass 2: encodes each module field into its section buffer, expanding the
 * abbreviations (inline imports and exports, inline elem/data segments in
 * tables and memories, folded offsets, every elem segment form). */
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "wat/wat_int.h"

static int oom(struct wat__parser *p, int rc)
{
	return rc ? wat__nomem(p) : 0;
}

/* A string token decoded into out (appended). */
static int string(struct wat__parser *p, struct buf *out)
{
	const struct wat__tok *t = wat__peek(p, 0);
	int rc;

	if (t->kind != TK_STRING)
		return wat__expect(p, TK_STRING, "a string");
	rc = wat__string(p->src + t->off, t->len, out);
	if (rc == ENARX_E_NOMEM)
		return wat__nomem(p);
	if (rc)
		return wat__fail(p, "malformed string escape");
	wat__next(p);
	return 0;
}

/* A name: a string that must be valid UTF-8, encoded as vec(byte). */
static int name(struct wat__parser *p, struct buf *out)
{
	struct buf s = {0};
	const struct wat__tok *t = wat__peek(p, 0);
	int rc = string(p, &s);

	if (!rc && !wat__utf8_ok(s.data, s.len))
		rc = wat__fail_at(p, t, "malformed UTF-8 encoding in name");
	if (!rc)
		rc = oom(p, wat__name_bytes(out, s.data, s.len));
	buf_free(&s, 0);
	return rc;
}

static int close_paren(struct wat__parser *p)
{
	return wat__expect(p, TK_RPAR, "\")\"");
}

/* (export "name")* for item `index` of kind k (0 func ... 3 global). */
static int inline_exports(struct wat__parser *p, uint8_t k, uint32_t index)
{
	struct buf *e = &p->sec[SEC_EXPORT];
	int rc;

	while (wat__at_field(p, "export")) {
		p->pos += 2;
		if ((rc = name(p, e)) != 0 || (rc = close_paren(p)) != 0)
			return rc;
		if ((rc = oom(p, buf_append_u8(e, k) || wat__uleb(e, index))) != 0)
			return rc;
		p->nitems[SEC_EXPORT]++;
	}
	return 0;
}

/* Imports must come before every definition of a function, table,
 * memory or global; kw is the "import" keyword. */
static int check_import_order(struct wat__parser *p, const struct wat__tok *kw)
{
	if (p->defined)
		return wat__fail_at(p, kw,
		                    "import after function, table, memory or global definition");
	return 0;
}

/* (import "m" "n") inside a definition: writes the import header. */
static int inline_import(struct wat__parser *p, bool *is_import)
{
	struct buf *b = &p->sec[SEC_IMPORT];
	int rc;

	*is_import = false;
	if (!wat__at_field(p, "import")) {
		p->defined = true;
		return 0;
	}
	if ((rc = check_import_order(p, wat__peek(p, 1))) != 0)
		return rc;
	p->pos += 2;
	if ((rc = name(p, b)) != 0 || (rc = name(p, b)) != 0 || (rc = close_paren(p)) != 0)
		return rc;
	p->nitems[SEC_IMPORT]++;
	*is_import = true;
	return 0;
}

static int limits(struct wat__parser *p, struct buf *b)
{
	uint32_t min, max;
	bool has_max;
	int rc = wat__u32(p, &min);

	if (rc)
		return rc;
	has_max = wat__at_u32(p);
	if (has_max && (rc = wat__u32(p, &max)) != 0)
		return rc;
	rc = buf_append_u8(b, has_max ? 1 : 0) || wat__uleb(b, min);
	if (!rc && has_max)
		rc = wat__uleb(b, max);
	return oom(p, rc);
}

static int tabletype(struct wat__parser *p, struct buf *b)
{
	struct buf lim = {0};
	uint8_t rt;
	int rc = limits(p, &lim);

	if (!rc) {
		rt = wat__reftype(p, wat__peek(p, 0));
		if (!rt)
			rc = wat__unexpected(p, "\"funcref\" or \"externref\"");
		else
			wat__next(p);
		if (!rc)
			rc = oom(p, buf_append_u8(b, rt) || buf_append(b, lim.data, lim.len));
	}
	buf_free(&lim, 0);
	return rc;
}

static int globaltype(struct wat__parser *p, struct buf *b)
{
	bool mut = wat__at_field(p, "mut");
	uint8_t vt;
	int rc;

	if (mut)
		p->pos += 2;
	vt = wat__valtype(p, wat__peek(p, 0));
	if (!vt)
		return wat__unexpected(p, "a value type");
	wat__next(p);
	if (mut && (rc = close_paren(p)) != 0)
		return rc;
	return oom(p, buf_append_u8(b, vt) || buf_append_u8(b, mut ? 1 : 0));
}

/* ---------------------------------------------------------------- funcs */

static int local_decls(struct wat__parser *p, struct wat__func *fn, struct buf *types)
{
	int rc;

	while (wat__at_field(p, "local")) {
		const struct wat__tok *id = NULL;
		uint8_t vt;

		p->pos += 2;
		if (wat__peek(p, 0)->kind == TK_ID)
			id = wat__next(p);
		while ((vt = wat__valtype(p, wat__peek(p, 0))) != 0) {
			wat__next(p);
			if (id) {
				rc = wat__names_add(&fn->locals, p->src + id->off, id->len,
				                    fn->nlocals);
				if (rc == ENARX_E_NOMEM)
					return wat__nomem(p);
				if (rc)
					return wat__fail_at(p, id, "duplicate local \"%.*s\"",
					                    (int)id->len, p->src + id->off);
			}
			if (fn->nlocals == UINT32_MAX)
				return wat__fail(p, "too many locals");
			fn->nlocals++;
			if (buf_append_u8(types, vt))
				return wat__nomem(p);
			if (id)
				break;
		}
		if ((rc = close_paren(p)) != 0)
			return rc;
	}
	return 0;
}

/* Locals as runs of equal types, as wabt groups them. */
static int encode_locals(struct buf *body, const struct buf *types)
{
	size_t i, j, runs = 0;
	int rc;

	for (i = 0; i < types->len; i = j) {
		for (j = i; j < types->len && types->data[j] == types->data[i]; j++)
			;
		runs++;
	}
	rc = wat__uleb(body, runs);
	for (i = 0; !rc && i < types->len; i = j) {
		for (j = i; j < types->len && types->data[j] == types->data[i]; j++)
			;
		rc = wat__uleb(body, j - i) || buf_append_u8(body, types->data[i]);
	}
	return rc;
}

static int func_body(struct wat__parser *p, struct wat__func *fn)
{
	struct buf types = {0}, body = {0}, code = {0};
	struct buf *c = &p->sec[SEC_CODE];
	int rc = local_decls(p, fn, &types);

	p->fn = fn;
	if (!rc)
		rc = wat__instrs(p, &code);
	p->fn = NULL;
	if (!rc)
		rc = close_paren(p);
	if (!rc)
		rc =
		    oom(p, encode_locals(&body, &types) || buf_append(&body, code.data, code.len) ||
		               buf_append_u8(&body, 0x0b));
	if (!rc)
		rc = oom(p, wat__uleb(c, body.len) || buf_append(c, body.data, body.len));
	p->nitems[SEC_CODE]++;
	buf_free(&types, 0);
	buf_free(&body, 0);
	buf_free(&code, 0);
	return rc;
}

static int func_field(struct wat__parser *p, uint32_t index)
{
	struct wat__func fn = {0};
	bool imported;
	uint32_t typeidx;
	int rc;

	if (wat__peek(p, 0)->kind == TK_ID)
		wat__next(p);
	if ((rc = inline_exports(p, 0, index)) != 0 || (rc = inline_import(p, &imported)) != 0)
		return rc;
	rc = wat__typeuse(p, &fn.locals, true, &typeidx, &fn.nlocals);
	if (!rc && imported) {
		rc = oom(p, buf_append_u8(&p->sec[SEC_IMPORT], 0) ||
		                wat__uleb(&p->sec[SEC_IMPORT], typeidx));
		if (!rc)
			rc = close_paren(p);
	} else if (!rc) {
		rc = oom(p, wat__uleb(&p->sec[SEC_FUNC], typeidx));
		p->nitems[SEC_FUNC]++;
		if (!rc)
			rc = func_body(p, &fn);
	}
	wat__names_free(&fn.locals);
	xfree(fn.labels);
	return rc;
}

/* ---------------------------------------------------------------- segments */

/* One element: its encoded expression (with 0x0b) and, as wabt decides
 * the segment's encoding, whether it starts with ref.func. */
struct elems {
	struct buf exprs; /* concatenated expressions */
	struct buf funcs; /* LEB function indices, valid while all_funcs */
	uint32_t count;
	bool all_funcs;
};

static int elem_func_index(struct wat__parser *p, struct elems *e)
{
	uint32_t idx;
	int rc = wat__index(p, NS_FUNC, &idx);

	if (rc)
		return rc;
	e->count++;
	return oom(p, buf_append_u8(&e->exprs, 0xd2) || wat__uleb(&e->exprs, idx) ||
	                  buf_append_u8(&e->exprs, 0x0b) || wat__uleb(&e->funcs, idx));
}

/* (item expr) or a single folded instruction. */
static int elem_expr(struct wat__parser *p, struct elems *e)
{
	struct buf x = {0};
	size_t i;
	int rc;

	if (wat__at_field(p, "item")) {
		p->pos += 2;
		rc = wat__expr(p, &x);
		if (!rc)
			rc = close_paren(p);
	} else {
		/* The abbreviation: exactly one folded instruction. */
		rc = wat__folded_one(p, &x);
	}
	if (!rc && (x.len == 0 || x.data[0] != 0xd2))
		e->all_funcs = false;
	/* ref.func's index LEB, the only part the function-index form keeps. */
	for (i = 1; !rc && e->all_funcs && i < x.len; i++) {
		rc = oom(p, buf_append_u8(&e->funcs, x.data[i]));
		if (!(x.data[i] & 0x80))
			break;
	}
	if (!rc)
		rc = oom(p, buf_append(&e->exprs, x.data, x.len) || buf_append_u8(&e->exprs, 0x0b));
	e->count++;
	buf_free(&x, 0);
	return rc;
}

/* elemlist: "func" funcidx* | reftype elemexpr* | funcidx* (legacy). */
static int elem_list(struct wat__parser *p, struct elems *e, uint8_t *type, bool need_type)
{
	int rc = 0;

	e->all_funcs = true;
	*type = 0x70;
	if (wat__is_kw(p, wat__peek(p, 0), "func")) {
		wat__next(p);
	} else if (wat__reftype(p, wat__peek(p, 0))) {
		*type = wat__reftype(p, wat__next(p));
		while (!rc && wat__peek(p, 0)->kind == TK_LPAR)
			rc = elem_expr(p, e);
		if (*type != 0x70)
			e->all_funcs = false;
		return rc;
	} else if (need_type) {
		return wat__unexpected(p, "\"func\", \"funcref\" or \"externref\"");
	}
	while (!rc && wat__at_index(p))
		rc = elem_func_index(p, e);
	return rc;
}

/* Writes an elem segment as wabt chooses its flags. kind: 0 active,
 * 1 passive, 3 declarative. */
static int put_elem(struct wat__parser *p, int kind, uint32_t table, const struct buf *offset,
                    uint8_t type, const struct elems *e)
{
	struct buf *b = &p->sec[SEC_ELEM];
	uint8_t flags = (uint8_t)kind;
	int rc;

	if (kind == 0 && (type != 0x70 || table != 0))
		flags |= 2;
	if (!e->all_funcs)
		flags |= 4;
	rc = buf_append_u8(b, flags);
	if (!rc && (flags & 2) && kind != 3)
		rc = wat__uleb(b, table);
	if (!rc && !(flags & 1))
		rc = buf_append(b, offset->data, offset->len);
	if (!rc && (flags & 3))
		rc = buf_append_u8(b, (flags & 4) ? type : 0x00);
	if (!rc)
		rc = wat__uleb(b, e->count);
	if (!rc && (flags & 4))
		rc = buf_append(b, e->exprs.data, e->exprs.len);
	else if (!rc)
		rc = buf_append(b, e->funcs.data, e->funcs.len);
	p->nitems[SEC_ELEM]++;
	return oom(p, rc);
}

/* (offset instr*) or one folded instruction: the constant expression. */
static int offset_expr(struct wat__parser *p, struct buf *out)
{
	int rc;

	if (wat__at_field(p, "offset")) {
		p->pos += 2;
		rc = wat__const_expr(p, out);
		return rc ? rc : close_paren(p);
	}
	rc = wat__folded_one(p, out);
	return rc ? rc : oom(p, buf_append_u8(out, 0x0b));
}

static int elem_field(struct wat__parser *p)
{
	struct elems e = {0};
	struct buf off = {0};
	uint32_t table = 0;
	int kind = 1, rc = 0;
	uint8_t type;
	bool table_given = false;

	if (wat__peek(p, 0)->kind == TK_ID)
		wat__next(p);
	if (wat__is_kw(p, wat__peek(p, 0), "declare")) {
		wat__next(p);
		kind = 3;
	} else if (wat__at_field(p, "table")) {
		p->pos += 2;
		table_given = true;
		if ((rc = wat__index(p, NS_TABLE, &table)) == 0)
			rc = close_paren(p);
	} else if (wat__at_u32(p)) {
		table_given = true; /* MVP form: the table index alone */
		rc = wat__u32(p, &table);
	}
	if (!rc && kind != 3 && (table_given || wat__peek(p, 0)->kind == TK_LPAR)) {
		kind = 0;
		rc = offset_expr(p, &off);
	}
	if (!rc)
		rc = elem_list(p, &e, &type, kind != 0);
	if (!rc)
		rc = close_paren(p);
	if (!rc)
		rc = put_elem(p, kind, table, &off, type, &e);
	buf_free(&off, 0);
	buf_free(&e.exprs, 0);
	buf_free(&e.funcs, 0);
	return rc;
}

/* Data strings: string* concatenated. */
static int data_strings(struct wat__parser *p, struct buf *out)
{
	int rc = 0;

	while (!rc && wat__peek(p, 0)->kind == TK_STRING)
		rc = string(p, out);
	return rc;
}

static int put_data(struct wat__parser *p, bool passive, uint32_t mem, const struct buf *off,
                    const struct buf *bytes)
{
	struct buf *b = &p->sec[SEC_DATA];
	int rc;

	if (passive)
		rc = buf_append_u8(b, 1);
	else if (mem != 0)
		rc = buf_append_u8(b, 2) || wat__uleb(b, mem);
	else
		rc = buf_append_u8(b, 0);
	if (!rc && !passive)
		rc = buf_append(b, off->data, off->len);
	if (!rc)
		rc = wat__name_bytes(b, bytes->data, bytes->len);
	p->nitems[SEC_DATA]++;
	return oom(p, rc);
}

static int data_field(struct wat__parser *p)
{
	struct buf off = {0}, bytes = {0};
	uint32_t mem = 0;
	bool passive = true;
	int rc = 0;

	if (wat__peek(p, 0)->kind == TK_ID)
		wat__next(p);
	if (wat__at_field(p, "memory")) {
		p->pos += 2;
		if ((rc = wat__index(p, NS_MEM, &mem)) == 0)
			rc = close_paren(p);
		passive = false;
	} else if (wat__at_u32(p)) {
		rc = wat__u32(p, &mem); /* MVP form: the memory index alone */
		passive = false;
	}
	if (!rc && (!passive || wat__peek(p, 0)->kind == TK_LPAR)) {
		passive = false;
		rc = offset_expr(p, &off);
	}
	if (!rc)
		rc = data_strings(p, &bytes);
	if (!rc)
		rc = close_paren(p);
	if (!rc)
		rc = put_data(p, passive, mem, &off, &bytes);
	buf_free(&off, 0);
	buf_free(&bytes, 0);
	return rc;
}

/* ---------------------------------------------------------------- tables */

static const uint8_t zero_offset[] = {0x41, 0x00, 0x0b}; /* i32.const 0 end */

/* "reftype (elem ...)" after the table's exports: table + active segment. */
static int table_inline_elem(struct wat__parser *p, uint32_t index)
{
	struct buf *t = &p->sec[SEC_TABLE];
	struct buf off = {.data = (uint8_t *)zero_offset, .len = sizeof(zero_offset)};
	struct elems e = {.all_funcs = true};
	uint8_t type = wat__reftype(p, wat__next(p));
	int rc = 0;

	p->pos += 2; /* "(" "elem" */
	if (wat__peek(p, 0)->kind == TK_LPAR) {
		while (wat__peek(p, 0)->kind == TK_LPAR && (rc = elem_expr(p, &e)) == 0)
			;
	} else {
		while (wat__at_index(p) && (rc = elem_func_index(p, &e)) == 0)
			;
	}
	if (rc)
		goto out;
	if (type != 0x70)
		e.all_funcs = false;
	if ((rc = close_paren(p)) != 0 || (rc = close_paren(p)) != 0)
		goto out;
	rc = oom(p, buf_append_u8(t, type) || buf_append_u8(t, 1) || wat__uleb(t, e.count) ||
	                wat__uleb(t, e.count));
	p->nitems[SEC_TABLE]++;
	if (!rc)
		rc = put_elem(p, 0, index, &off, type, &e);
out:
	buf_free(&e.exprs, 0);
	buf_free(&e.funcs, 0);
	return rc;
}

static int table_field(struct wat__parser *p, uint32_t index)
{
	bool imported;
	int rc;

	if (wat__peek(p, 0)->kind == TK_ID)
		wat__next(p);
	if ((rc = inline_exports(p, 1, index)) != 0)
		return rc;
	if (!wat__at_field(p, "import") && wat__reftype(p, wat__peek(p, 0))) {
		p->defined = true;
		return table_inline_elem(p, index);
	}
	if ((rc = inline_import(p, &imported)) != 0)
		return rc;
	if (imported) {
		if ((rc = oom(p, buf_append_u8(&p->sec[SEC_IMPORT], 1))) != 0 ||
		    (rc = tabletype(p, &p->sec[SEC_IMPORT])) != 0)
			return rc;
		return close_paren(p);
	}
	p->nitems[SEC_TABLE]++;
	rc = tabletype(p, &p->sec[SEC_TABLE]);
	return rc ? rc : close_paren(p);
}

/* "(data string*)" in a memory: memory of the data's size in pages. */
static int memory_inline_data(struct wat__parser *p, uint32_t index)
{
	struct buf off = {.data = (uint8_t *)zero_offset, .len = sizeof(zero_offset)};
	struct buf bytes = {0}, *m = &p->sec[SEC_MEM];
	uint64_t pages;
	int rc;

	p->pos += 2;
	rc = data_strings(p, &bytes);
	if (!rc)
		rc = close_paren(p);
	if (!rc)
		rc = close_paren(p);
	pages = ((uint64_t)bytes.len + 65535) / 65536;
	if (!rc)
		rc = oom(p, buf_append_u8(m, 1) || wat__uleb(m, pages) || wat__uleb(m, pages));
	p->nitems[SEC_MEM]++;
	if (!rc)
		rc = put_data(p, false, index, &off, &bytes);
	buf_free(&bytes, 0);
	return rc;
}

static int memory_field(struct wat__parser *p, uint32_t index)
{
	bool imported;
	int rc;

	if (wat__peek(p, 0)->kind == TK_ID)
		wat__next(p);
	if ((rc = inline_exports(p, 2, index)) != 0)
		return rc;
	if (wat__at_field(p, "data")) {
		p->defined = true;
		return memory_inline_data(p, index);
	}
	if ((rc = inline_import(p, &imported)) != 0)
		return rc;
	if (imported) {
		if ((rc = oom(p, buf_append_u8(&p->sec[SEC_IMPORT], 2))) != 0 ||
		    (rc = limits(p, &p->sec[SEC_IMPORT])) != 0)
			return rc;
		return close_paren(p);
	}
	p->nitems[SEC_MEM]++;
	rc = limits(p, &p->sec[SEC_MEM]);
	return rc ? rc : close_paren(p);
}

static int global_field(struct wat__parser *p, uint32_t index)
{
	struct buf *g = &p->sec[SEC_GLOBAL];
	bool imported;
	int rc;

	if (wat__peek(p, 0)->kind == TK_ID)
		wat__next(p);
	if ((rc = inline_exports(p, 3, index)) != 0 || (rc = inline_import(p, &imported)) != 0)
		return rc;
	if (imported) {
		if ((rc = oom(p, buf_append_u8(&p->sec[SEC_IMPORT], 3))) != 0 ||
		    (rc = globaltype(p, &p->sec[SEC_IMPORT])) != 0)
			return rc;
		return close_paren(p);
	}
	p->nitems[SEC_GLOBAL]++;
	if ((rc = globaltype(p, g)) != 0 || (rc = wat__const_expr(p, g)) != 0)
		return rc;
	return close_paren(p);
}

/* ---------------------------------------------------------------- others */

static int import_field(struct wat__parser *p)
{
	static const char *const kinds[] = {"func", "table", "memory", "global"};
	struct buf *b = &p->sec[SEC_IMPORT];
	struct wat__names ignored = {0};
	uint32_t typeidx, k;
	int rc;

	if ((rc = check_import_order(p, &p->toks[p->pos - 1])) != 0)
		return rc;
	if ((rc = name(p, b)) != 0 || (rc = name(p, b)) != 0 ||
	    (rc = wat__expect(p, TK_LPAR, "\"(\"")) != 0)
		return rc;
	for (k = 0; k < 4 && !wat__is_kw(p, wat__peek(p, 0), kinds[k]); k++)
		;
	if (k == 4)
		return wat__unexpected(p, "\"func\", \"table\", \"memory\" or \"global\"");
	wat__next(p);
	if (wat__peek(p, 0)->kind == TK_ID)
		wat__next(p);
	p->nitems[SEC_IMPORT]++;
	p->count[k]++; /* spaces NS_FUNC..NS_GLOBAL are in this order */
	if ((rc = oom(p, buf_append_u8(b, (uint8_t)k))) != 0)
		return rc;
	switch (k) {
	case 0:
		rc = wat__typeuse(p, &ignored, true, &typeidx, NULL);
		wat__names_free(&ignored);
		if (!rc)
			rc = oom(p, wat__uleb(b, typeidx));
		break;
	case 1: rc = tabletype(p, b); break;
	case 2: rc = limits(p, b); break;
	default: rc = globaltype(p, b); break;
	}
	if (!rc)
		rc = close_paren(p);
	return rc ? rc : close_paren(p);
}

static int export_field(struct wat__parser *p)
{
	static const char *const kinds[] = {"func", "table", "memory", "global"};
	static const enum wat__space spaces[] = {NS_FUNC, NS_TABLE, NS_MEM, NS_GLOBAL};
	struct buf *e = &p->sec[SEC_EXPORT];
	uint32_t k, idx;
	int rc;

	if ((rc = name(p, e)) != 0 || (rc = wat__expect(p, TK_LPAR, "\"(\"")) != 0)
		return rc;
	for (k = 0; k < 4 && !wat__is_kw(p, wat__peek(p, 0), kinds[k]); k++)
		;
	if (k == 4)
		return wat__unexpected(p, "\"func\", \"table\", \"memory\" or \"global\"");
	wat__next(p);
	if ((rc = wat__index(p, spaces[k], &idx)) != 0 || (rc = close_paren(p)) != 0)
		return rc;
	p->nitems[SEC_EXPORT]++;
	rc = oom(p, buf_append_u8(e, (uint8_t)k) || wat__uleb(e, idx));
	return rc ? rc : close_paren(p);
}

static int start_field(struct wat__parser *p)
{
	uint32_t idx;
	int rc;

	if (p->has_start)
		return wat__fail_at(p, &p->toks[p->pos - 1], "multiple start sections");
	if ((rc = wat__index(p, NS_FUNC, &idx)) != 0)
		return rc;
	p->has_start = true;
	p->nitems[SEC_START] = 1;
	rc = oom(p, wat__uleb(&p->sec[SEC_START], idx));
	return rc ? rc : close_paren(p);
}

/* Skips an explicit type field (pass 1 parsed it). */
static int skip_type(struct wat__parser *p)
{
	size_t level = 1;

	while (level > 0) {
		const struct wat__tok *t = wat__next(p);

		level += t->kind == TK_LPAR;
		level -= t->kind == TK_RPAR;
		if (t->kind == TK_EOF)
			return wat__fail(p, "unexpected end of input");
	}
	return 0;
}

int wat__field(struct wat__parser *p)
{
	const struct wat__tok *kw = wat__peek(p, 0);
	uint32_t *c = p->count;

	if (kw->kind != TK_KEYWORD)
		return wat__expect(p, TK_KEYWORD, "a module field");
	wat__next(p);
	if (wat__is_kw(p, kw, "type"))
		return skip_type(p);
	if (wat__is_kw(p, kw, "import"))
		return import_field(p);
	if (wat__is_kw(p, kw, "func"))
		return func_field(p, c[NS_FUNC]++);
	if (wat__is_kw(p, kw, "table"))
		return table_field(p, c[NS_TABLE]++);
	if (wat__is_kw(p, kw, "memory"))
		return memory_field(p, c[NS_MEM]++);
	if (wat__is_kw(p, kw, "global"))
		return global_field(p, c[NS_GLOBAL]++);
	if (wat__is_kw(p, kw, "export"))
		return export_field(p);
	if (wat__is_kw(p, kw, "start"))
		return start_field(p);
	if (wat__is_kw(p, kw, "elem"))
		return elem_field(p);
	if (wat__is_kw(p, kw, "data"))
		return data_field(p);
	return wat__fail_at(p, kw, "unknown module field \"%.*s\"", (int)kw->len, p->src + kw->off);
}

int wat__type_section(struct wat__parser *p)
{
	struct buf *b = &p->sec[SEC_TYPE];
	uint32_t i;
	int rc = 0;

	for (i = 0; !rc && i < p->ntypes; i++) {
		const struct wat__functype *t = &p->types[i];

		rc = buf_append_u8(b, 0x60) || wat__name_bytes(b, t->vt, t->nparams) ||
		     wat__name_bytes(b, t->vt + t->nparams, t->nresults);
	}
	p->nitems[SEC_TYPE] = p->ntypes;
	return oom(p, rc);
}
