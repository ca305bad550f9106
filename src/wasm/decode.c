// SPDX-License-Identifier: Apache-2.0
/*
 * Binary decoder: reads every section of a WebAssembly 2.0 module into
 * struct ewasm_module and checks the module-level validation rules
 * (indices, limits, constant expressions, exports, start). Function bodies
 * are only located here; compile.c validates and compiles them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/hset.h"
#include "wasm/wasm_int.h"

int wasm__err(ewasm_error *err, int code, uint64_t off, uint32_t fn, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		err->code = code;
		err->offset = off;
		err->func_index = fn;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return code;
}

_Noreturn void wasm__fail(struct rd *r, int code, const char *fmt, ...)
{
	if (r->err) {
		va_list ap;
		r->err->code = code;
		r->err->offset = RD_OFF(r);
		r->err->func_index = r->fn;
		va_start(ap, fmt);
		vsnprintf(r->err->message, sizeof(r->err->message), fmt, ap);
		va_end(ap);
	}
	longjmp(*r->jb, code);
}

const char *wasm__count(uint64_t v, char *buf, size_t size)
{
	char tmp[32];
	size_t n = 0, o = 0;
	do {
		if (n % 4 == 3)
			tmp[n++] = ',';
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(tmp) - 1);
	while (n && o + 1 < size)
		buf[o++] = tmp[--n];
	buf[o] = 0;
	return buf;
}

/* A module-level limit of ewasm_config: fails naming it. */
static void rd_limit(struct rd *r, const char *what, const char *plural, uint64_t have,
                     uint32_t max, const char *field)
{
	char a[32], b[32];
	if (have <= max)
		return;
	wasm__fail(r, EWASM_ERR_LIMIT,
	           "%s limit: the module has %s %s, more than the %s allowed (%s)", what,
	           wasm__count(have, a, sizeof(a)), plural, wasm__count(max, b, sizeof(b)), field);
}

#define CFG(m) (&(m)->engine->cfg)

static _Noreturn void rd_cursor_fail(struct rd *r, int rc)
{
	if (rc == ENARX_E_TRUNCATED)
		wasm__fail(r, EWASM_ERR_MALFORMED, "unexpected end");
	wasm__fail(r, EWASM_ERR_MALFORMED, "integer representation too long or integer too large");
}

uint8_t wasm__u8(struct rd *r)
{
	uint8_t v;
	int rc = cursor_u8(&r->c, &v);
	if (rc < 0)
		rd_cursor_fail(r, rc);
	return v;
}

uint32_t wasm__u32(struct rd *r)
{
	uint32_t v;
	int rc = cursor_uleb32(&r->c, &v);
	if (rc < 0)
		rd_cursor_fail(r, rc);
	return v;
}

int32_t wasm__s32(struct rd *r)
{
	int32_t v;
	int rc = cursor_sleb32(&r->c, &v);
	if (rc < 0)
		rd_cursor_fail(r, rc);
	return v;
}

int64_t wasm__s33(struct rd *r)
{
	int64_t v;
	int rc = cursor_sleb33(&r->c, &v);
	if (rc < 0)
		rd_cursor_fail(r, rc);
	return v;
}

int64_t wasm__s64(struct rd *r)
{
	int64_t v;
	int rc = cursor_sleb64(&r->c, &v);
	if (rc < 0)
		rd_cursor_fail(r, rc);
	return v;
}

uint32_t wasm__f32(struct rd *r)
{
	uint32_t v;
	int rc = cursor_u32le(&r->c, &v);
	if (rc < 0)
		rd_cursor_fail(r, rc);
	return v;
}

uint64_t wasm__f64(struct rd *r)
{
	uint64_t v;
	int rc = cursor_u64le(&r->c, &v);
	if (rc < 0)
		rd_cursor_fail(r, rc);
	return v;
}

uint8_t wasm__valtype(struct rd *r)
{
	uint8_t t = wasm__u8(r);
	switch (t) {
	case EWASM_I32:
	case EWASM_I64:
	case EWASM_F32:
	case EWASM_F64:
	case EWASM_FUNCREF:
	case EWASM_EXTERNREF: return t;
	default: r->c.p--; wasm__fail(r, EWASM_ERR_MALFORMED, "malformed value type 0x%02x", t);
	}
}

static uint8_t rd_reftype(struct rd *r)
{
	uint8_t t = wasm__u8(r);
	if (t != EWASM_FUNCREF && t != EWASM_EXTERNREF) {
		r->c.p--;
		wasm__fail(r, EWASM_ERR_MALFORMED, "malformed reference type 0x%02x", t);
	}
	return t;
}

static const uint8_t *rd_bytes(struct rd *r, size_t n)
{
	const uint8_t *p;
	if (cursor_bytes(&r->c, n, &p) < 0)
		wasm__fail(r, EWASM_ERR_MALFORMED, "unexpected end (length out of bounds)");
	return p;
}

static bool utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		uint32_t cp;
		size_t k;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
		    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

static char *rd_name_n(struct rd *r, uint32_t *len)
{
	uint32_t n = wasm__u32(r);
	*len = n;
	const uint8_t *p = rd_bytes(r, n);
	if (!utf8_ok(p, n))
		wasm__fail(r, EWASM_ERR_MALFORMED, "malformed UTF-8 encoding");
	char *s = xmalloc((size_t)n + 1);
	if (!s)
		wasm__fail(r, EWASM_ERR_NOMEM, "out of memory");
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

static char *rd_name(struct rd *r)
{
	uint32_t len;
	return rd_name_n(r, &len);
}

/* Allocates a zeroed array for `n` entries of a count just read; guards
 * against absurd counts by checking them against the bytes left. */
static void *rd_array(struct rd *r, uint32_t n, size_t size)
{
	if (n > cursor_left(&r->c))
		wasm__fail(r, EWASM_ERR_MALFORMED, "unexpected end (count %u too large)", n);
	void *p = xcalloc(n ? n : 1, size);
	if (!p)
		wasm__fail(r, EWASM_ERR_NOMEM, "out of memory");
	return p;
}

static void rd_limits(struct rd *r, ewasm_limits *l, bool is_mem)
{
	uint8_t flags = wasm__u8(r);
	if (flags > 1) {
		r->c.p--;
		wasm__fail(r, EWASM_ERR_MALFORMED, "integer too large (limits flags 0x%02x)",
		           flags);
	}
	l->min = wasm__u32(r);
	l->has_max = flags & 1;
	l->max = l->has_max ? wasm__u32(r) : 0;
	if (is_mem) {
		if (l->min > 65536 || (l->has_max && l->max > 65536))
			wasm__fail(r, EWASM_ERR_INVALID,
			           "memory size must be at most 65536 pages (4GiB)");
	}
	if (l->has_max && l->min > l->max)
		wasm__fail(r, EWASM_ERR_INVALID, "size minimum must not be greater than maximum");
}

static void rd_tabletype(struct rd *r, ewasm_tabletype *t)
{
	t->elem = rd_reftype(r);
	rd_limits(r, &t->limits, false);
}

static void rd_globaltype(struct rd *r, ewasm_globaltype *g)
{
	g->type = wasm__valtype(r);
	uint8_t mut = wasm__u8(r);
	if (mut > 1) {
		r->c.p--;
		wasm__fail(r, EWASM_ERR_MALFORMED, "malformed mutability");
	}
	g->mutable_ = mut;
}

const ewasm_globaltype *wasm__global_type(const ewasm_module *m, uint32_t i)
{
	if (i < m->nglobal_imports)
		return &m->imports[m->global_imports[i]].type.of.global;
	return &m->globals[i - m->nglobal_imports].type;
}

void wasm__cexpr(struct rd *r, const ewasm_module *m, struct cexpr *e, uint32_t nglobals_visible)
{
	uint8_t op = wasm__u8(r);
	switch (op) {
	case 0x41:
		e->op = CE_I32;
		e->type = EWASM_I32;
		e->val = (uint32_t)wasm__s32(r);
		break;
	case 0x42:
		e->op = CE_I64;
		e->type = EWASM_I64;
		e->val = (uint64_t)wasm__s64(r);
		break;
	case 0x43:
		e->op = CE_F32;
		e->type = EWASM_F32;
		e->val = wasm__f32(r);
		break;
	case 0x44:
		e->op = CE_F64;
		e->type = EWASM_F64;
		e->val = wasm__f64(r);
		break;
	case 0xd0:
		e->op = CE_REFNULL;
		e->type = rd_reftype(r);
		e->val = 0;
		break;
	case 0xd2:
		e->op = CE_REFFUNC;
		e->type = EWASM_FUNCREF;
		e->val = wasm__u32(r);
		if (e->val >= m->nfuncs)
			wasm__fail(r, EWASM_ERR_INVALID, "unknown function %u", (uint32_t)e->val);
		m->func_declared[e->val] = true;
		break;
	case 0x23: {
		uint32_t g = wasm__u32(r);
		if (g >= nglobals_visible)
			wasm__fail(r, EWASM_ERR_INVALID, "unknown global %u", g);
		const ewasm_globaltype *gt = wasm__global_type(m, g);
		if (gt->mutable_)
			wasm__fail(r, EWASM_ERR_INVALID, "constant expression required");
		e->op = CE_GLOBAL;
		e->type = gt->type;
		e->val = g;
		break;
	}
	case 0x0b: wasm__fail(r, EWASM_ERR_INVALID, "type mismatch (empty constant expression)");
	default:
		if (!wasm__opcode_known(op))
			wasm__fail(r, EWASM_ERR_MALFORMED, "illegal opcode 0x%02x", op);
		wasm__fail(r, EWASM_ERR_INVALID, "constant expression required");
	}
	op = wasm__u8(r);
	if (op != 0x0b) {
		/* A second instruction: constant ops give a type mismatch, the
		 * rest are not constant. */
		if (op == 0x41 || op == 0x42 || op == 0x43 || op == 0x44 || op == 0xd0 ||
		    op == 0xd2 || op == 0x23)
			wasm__fail(r, EWASM_ERR_INVALID,
			           "type mismatch (constant expression too long)");
		wasm__fail(r, EWASM_ERR_INVALID, "constant expression required");
	}
}

bool wasm__opcode_known(uint8_t op)
{
	return op <= 0x05 || (op >= 0x0b && op <= 0x11) || (op >= 0x1a && op <= 0x1c) ||
	       (op >= 0x20 && op <= 0x26) || (op >= 0x28 && op <= 0xc4) ||
	       (op >= 0xd0 && op <= 0xd2) || op == 0xfc;
}

static void cexpr_expect(struct rd *r, const struct cexpr *e, uint8_t type)
{
	if (e->type != type)
		wasm__fail(r, EWASM_ERR_INVALID,
		           "type mismatch in constant expression: expected %s, found %s",
		           ewasm_valtype_name(type), ewasm_valtype_name(e->type));
}

static void sec_type(struct rd *r, ewasm_module *m)
{
	m->ntypes = wasm__u32(r);
	m->types = rd_array(r, m->ntypes, sizeof(*m->types));
	for (uint32_t i = 0; i < m->ntypes; i++) {
		struct wtype *t = &m->types[i];
		uint8_t form = wasm__u8(r);
		if (form != 0x60)
			wasm__fail(r, EWASM_ERR_MALFORMED,
			           "integer representation too long (function type form 0x%02x)",
			           form);
		uint32_t np = wasm__u32(r);
		if (np > cursor_left(&r->c))
			wasm__fail(r, EWASM_ERR_MALFORMED, "unexpected end");
		uint8_t *buf = xmalloc((size_t)np + cursor_left(&r->c) + 1);
		if (!buf)
			wasm__fail(r, EWASM_ERR_NOMEM, "out of memory");
		t->params = buf;
		t->results = buf + np;
		for (uint32_t k = 0; k < np; k++)
			t->params[k] = wasm__valtype(r);
		t->nparams = np;
		uint32_t nr = wasm__u32(r);
		if (nr > cursor_left(&r->c))
			wasm__fail(r, EWASM_ERR_MALFORMED, "unexpected end");
		t->nresults = nr; /* buffer was sized for the bytes left */
		for (uint32_t k = 0; k < nr; k++)
			t->results[k] = wasm__valtype(r);
		t->pub.nparams = np;
		t->pub.nresults = nr;
		t->pub.params = t->params;
		t->pub.results = t->results;
	}
}

static void sec_import(struct rd *r, ewasm_module *m)
{
	m->nimports = wasm__u32(r);
	m->imports = rd_array(r, m->nimports, sizeof(*m->imports));
	for (uint32_t i = 0; i < m->nimports; i++) {
		struct wimport *im = &m->imports[i];
		im->module = rd_name(r);
		im->name = rd_name(r);
		uint8_t kind = wasm__u8(r);
		switch (kind) {
		case 0:
			im->typeidx = wasm__u32(r);
			if (im->typeidx >= m->ntypes)
				wasm__fail(r, EWASM_ERR_INVALID, "unknown type %u", im->typeidx);
			im->type.kind = EWASM_EXTERN_FUNC;
			im->type.of.func = m->types[im->typeidx].pub;
			m->nfunc_imports++;
			break;
		case 1:
			im->type.kind = EWASM_EXTERN_TABLE;
			rd_tabletype(r, &im->type.of.table);
			m->ntable_imports++;
			break;
		case 2:
			im->type.kind = EWASM_EXTERN_MEMORY;
			rd_limits(r, &im->type.of.memory.limits, true);
			m->nmem_imports++;
			break;
		case 3:
			im->type.kind = EWASM_EXTERN_GLOBAL;
			rd_globaltype(r, &im->type.of.global);
			m->nglobal_imports++;
			break;
		default: wasm__fail(r, EWASM_ERR_MALFORMED, "malformed import kind %u", kind);
		}
	}
	/* global index -> import, so global types are found in O(1) */
	m->global_imports = xcalloc(m->nglobal_imports + 1, sizeof(uint32_t));
	if (!m->global_imports)
		wasm__fail(r, EWASM_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0, k = 0; i < m->nimports; i++)
		if (m->imports[i].type.kind == EWASM_EXTERN_GLOBAL)
			m->global_imports[k++] = i;
	rd_limit(r, "function", "functions", m->nfunc_imports, CFG(m)->max_functions,
	         "max_functions");
	rd_limit(r, "table", "tables", m->ntable_imports, CFG(m)->max_tables, "max_tables");
}

static void sec_func(struct rd *r, ewasm_module *m)
{
	uint32_t n = wasm__u32(r);
	if (n > cursor_left(&r->c))
		wasm__fail(r, EWASM_ERR_MALFORMED, "unexpected end");
	rd_limit(r, "function", "functions", (uint64_t)m->nfunc_imports + n, CFG(m)->max_functions,
	         "max_functions");
	m->nfuncs = m->nfunc_imports + n;
	m->func_type = xcalloc(m->nfuncs + 1, sizeof(uint32_t));
	m->func_declared = xcalloc(m->nfuncs + 1, sizeof(bool));
	if (!m->func_type || !m->func_declared)
		wasm__fail(r, EWASM_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0, k = 0; i < m->nimports; i++)
		if (m->imports[i].type.kind == EWASM_EXTERN_FUNC)
			m->func_type[k++] = m->imports[i].typeidx;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t t = wasm__u32(r);
		if (t >= m->ntypes)
			wasm__fail(r, EWASM_ERR_INVALID, "unknown type %u", t);
		m->func_type[m->nfunc_imports + i] = t;
	}
}

static void sec_table(struct rd *r, ewasm_module *m)
{
	uint32_t n = wasm__u32(r);
	m->tables = rd_array(r, n + m->ntable_imports, sizeof(*m->tables));
	rd_limit(r, "table", "tables", (uint64_t)m->ntable_imports + n, CFG(m)->max_tables,
	         "max_tables");
	m->ntables = m->ntable_imports + n;
	for (uint32_t i = 0, k = 0; i < m->nimports; i++)
		if (m->imports[i].type.kind == EWASM_EXTERN_TABLE)
			m->tables[k++] = m->imports[i].type.of.table;
	for (uint32_t i = 0; i < n; i++)
		rd_tabletype(r, &m->tables[m->ntable_imports + i]);
}

static void sec_mem(struct rd *r, ewasm_module *m)
{
	uint32_t n = wasm__u32(r);
	m->mems = rd_array(r, n + m->nmem_imports, sizeof(*m->mems));
	m->nmems = m->nmem_imports + n;
	for (uint32_t i = 0, k = 0; i < m->nimports; i++)
		if (m->imports[i].type.kind == EWASM_EXTERN_MEMORY)
			m->mems[k++] = m->imports[i].type.of.memory;
	for (uint32_t i = 0; i < n; i++)
		rd_limits(r, &m->mems[m->nmem_imports + i].limits, true);
	if (m->nmems > 1)
		wasm__fail(r, EWASM_ERR_INVALID, "multiple memories");
}

static void sec_global(struct rd *r, ewasm_module *m)
{
	uint32_t n = wasm__u32(r);
	m->globals = rd_array(r, n, sizeof(*m->globals));
	m->nglobals = m->nglobal_imports + n;
	for (uint32_t i = 0; i < n; i++) {
		struct wglobal *g = &m->globals[i];
		rd_globaltype(r, &g->type);
		/* Wasm 2.0: initializers may only read imported globals. */
		wasm__cexpr(r, m, &g->init, m->nglobal_imports);
		cexpr_expect(r, &g->init, g->type.type);
	}
}

static void sec_export(struct rd *r, ewasm_module *m)
{
	m->nexports = wasm__u32(r);
	m->exports = rd_array(r, m->nexports, sizeof(*m->exports));
	rd_limit(r, "export", "exports", m->nexports, CFG(m)->max_exports, "max_exports");
	m->export_names = hset_new(m->nexports);
	if (!m->export_names)
		wasm__fail(r, EWASM_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; i < m->nexports; i++) {
		struct wexport *e = &m->exports[i];
		e->name = rd_name_n(r, &e->name_len);
		uint8_t kind = wasm__u8(r);
		e->index = wasm__u32(r);
		uint32_t lim;
		switch (kind) {
		case 0: lim = m->nfuncs; break;
		case 1: lim = m->ntables; break;
		case 2: lim = m->nmems; break;
		case 3: lim = m->nglobals; break;
		default: wasm__fail(r, EWASM_ERR_MALFORMED, "malformed export kind %u", kind);
		}
		e->kind = (ewasm_extern_kind)kind;
		if (e->index >= lim)
			wasm__fail(r, EWASM_ERR_INVALID, "unknown %s %u",
			           kind == 0   ? "function"
			           : kind == 1 ? "table"
			           : kind == 2 ? "memory"
			                       : "global",
			           e->index);
		if (kind == 0)
			m->func_declared[e->index] = true;
		int added = hset_add(m->export_names, e->name, e->name_len, i, NULL);
		if (added < 0)
			wasm__fail(r, EWASM_ERR_NOMEM, "out of memory");
		if (!added)
			wasm__fail(r, EWASM_ERR_INVALID, "duplicate export name \"%s\"", e->name);
	}
}

static void sec_start(struct rd *r, ewasm_module *m)
{
	uint32_t f = wasm__u32(r);
	if (f >= m->nfuncs)
		wasm__fail(r, EWASM_ERR_INVALID, "unknown function %u", f);
	const struct wtype *t = &m->types[m->func_type[f]];
	if (t->nparams || t->nresults)
		wasm__fail(r, EWASM_ERR_INVALID, "start function must have type [] -> []");
	m->start = f;
}

static void elem_offset(struct rd *r, ewasm_module *m, struct welem *e)
{
	if (e->table >= m->ntables)
		wasm__fail(r, EWASM_ERR_INVALID, "unknown table %u", e->table);
	wasm__cexpr(r, m, &e->offset, m->nglobal_imports);
	cexpr_expect(r, &e->offset, EWASM_I32);
}

static void sec_elem(struct rd *r, ewasm_module *m)
{
	m->nelems = wasm__u32(r);
	m->elems = rd_array(r, m->nelems, sizeof(*m->elems));
	rd_limit(r, "element segment", "element segments", m->nelems, CFG(m)->max_elem_segments,
	         "max_elem_segments");
	for (uint32_t i = 0; i < m->nelems; i++) {
		struct welem *e = &m->elems[i];
		uint32_t flags = wasm__u32(r);
		if (flags > 7)
			wasm__fail(r, EWASM_ERR_MALFORMED, "malformed elements segment kind %u",
			           flags);
		e->mode = (flags & 1) ? ((flags & 2) ? SEG_DECLARATIVE : SEG_PASSIVE) : SEG_ACTIVE;
		e->type = EWASM_FUNCREF;
		if (e->mode == SEG_ACTIVE) {
			e->table = (flags & 2) ? wasm__u32(r) : 0;
			elem_offset(r, m, e);
		}
		bool exprs = flags & 4;
		if (flags & 3) {
			if (exprs) {
				e->type = rd_reftype(r);
			} else {
				uint8_t k = wasm__u8(r);
				if (k != 0)
					wasm__fail(r, EWASM_ERR_MALFORMED,
					           "malformed element kind 0x%02x", k);
			}
		}
		e->count = wasm__u32(r);
		e->items = rd_array(r, e->count, sizeof(*e->items));
		for (uint32_t k = 0; k < e->count; k++) {
			struct cexpr *x = &e->items[k];
			if (exprs) {
				wasm__cexpr(r, m, x, m->nglobal_imports);
				cexpr_expect(r, x, e->type);
			} else {
				x->op = CE_REFFUNC;
				x->type = EWASM_FUNCREF;
				x->val = wasm__u32(r);
				if (x->val >= m->nfuncs)
					wasm__fail(r, EWASM_ERR_INVALID, "unknown function %u",
					           (uint32_t)x->val);
				m->func_declared[x->val] = true;
			}
		}
		if (e->mode == SEG_ACTIVE && m->tables[e->table].elem != e->type)
			wasm__fail(r, EWASM_ERR_INVALID,
			           "type mismatch: element segment type differs from table type");
	}
}

static void sec_datacount(struct rd *r, ewasm_module *m)
{
	m->has_datacount = true;
	m->datacount = wasm__u32(r);
}

static void sec_code(struct rd *r, ewasm_module *m)
{
	uint32_t n = wasm__u32(r);
	if (n != m->nfuncs - m->nfunc_imports)
		wasm__fail(r, EWASM_ERR_MALFORMED,
		           "function and code section have inconsistent lengths");
	m->ncodes = n;
	m->codes = rd_array(r, n, sizeof(*m->codes));
	for (uint32_t i = 0; i < n; i++) {
		uint32_t size = wasm__u32(r);
		if (size > cursor_left(&r->c))
			wasm__fail(r, EWASM_ERR_MALFORMED, "unexpected end (function body size)");
		m->codes[i].body_off = (uint32_t)RD_OFF(r);
		m->codes[i].body_len = size;
		r->c.p += size;
	}
}

static void sec_data(struct rd *r, ewasm_module *m)
{
	m->ndatas = wasm__u32(r);
	if (m->has_datacount && m->ndatas != m->datacount)
		wasm__fail(r, EWASM_ERR_MALFORMED,
		           "data count and data section have inconsistent lengths");
	m->datas = rd_array(r, m->ndatas, sizeof(*m->datas));
	rd_limit(r, "data segment", "data segments", m->ndatas, CFG(m)->max_data_segments,
	         "max_data_segments");
	for (uint32_t i = 0; i < m->ndatas; i++) {
		struct wdata *d = &m->datas[i];
		uint32_t flags = wasm__u32(r);
		if (flags > 2)
			wasm__fail(r, EWASM_ERR_MALFORMED, "malformed data segment kind %u", flags);
		d->mode = flags == 1 ? SEG_PASSIVE : SEG_ACTIVE;
		if (d->mode == SEG_ACTIVE) {
			d->mem = flags == 2 ? wasm__u32(r) : 0;
			if (d->mem >= m->nmems)
				wasm__fail(r, EWASM_ERR_INVALID, "unknown memory %u", d->mem);
			wasm__cexpr(r, m, &d->offset, m->nglobal_imports);
			cexpr_expect(r, &d->offset, EWASM_I32);
		}
		d->len = wasm__u32(r);
		d->bytes = rd_bytes(r, d->len);
	}
}

/* The `name` section: only function names are used (for backtraces).
 * Errors in it are ignored, as the spec allows. */
static void parse_names(ewasm_module *m, const uint8_t *p, size_t len)
{
	struct cursor c;
	cursor_init(&c, p, len);
	while (!cursor_eof(&c)) {
		uint8_t id;
		uint32_t size, n;
		struct cursor sub;
		if (cursor_u8(&c, &id) < 0 || cursor_uleb32(&c, &size) < 0 ||
		    cursor_sub(&c, size, &sub) < 0)
			return;
		if (id != 1)
			continue;
		if (cursor_uleb32(&sub, &n) < 0)
			return;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t idx, nl;
			const uint8_t *s;
			if (cursor_uleb32(&sub, &idx) < 0 || cursor_uleb32(&sub, &nl) < 0 ||
			    cursor_bytes(&sub, nl, &s) < 0)
				return;
			if (idx >= m->nfuncs)
				continue;
			if (!m->func_names && !(m->func_names = xcalloc(m->nfuncs, sizeof(char *))))
				return;
			char *name = xmalloc((size_t)nl + 1);
			if (!name)
				return;
			memcpy(name, s, nl);
			name[nl] = 0;
			xfree(m->func_names[idx]);
			m->func_names[idx] = name;
		}
	}
}

static void sec_custom(struct rd *r, ewasm_module *m, const uint8_t *end)
{
	char *name = rd_name(r);
	struct wcustom *c = xreallocarray(m->customs, m->ncustoms + 1, sizeof(*c));
	if (!c) {
		xfree(name);
		wasm__fail(r, EWASM_ERR_NOMEM, "out of memory");
	}
	m->customs = c;
	c = &m->customs[m->ncustoms++];
	c->name = name;
	c->data = r->c.p;
	c->len = (size_t)(end - r->c.p);
	r->c.p = end;
}

/* Order rank of each known section id (custom sections have none). */
static int section_rank(uint8_t id)
{
	static const int8_t rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
	return id <= 12 ? rank[id] : -1;
}

/* Index spaces for sections the module left out. */
static void fill_defaults(struct rd *r, ewasm_module *m, int rank)
{
	if (rank > 3 && !m->func_type) {
		m->nfuncs = m->nfunc_imports;
		m->func_type = xcalloc(m->nfuncs + 1, sizeof(uint32_t));
		m->func_declared = xcalloc(m->nfuncs + 1, sizeof(bool));
		if (!m->func_type || !m->func_declared)
			wasm__fail(r, EWASM_ERR_NOMEM, "out of memory");
		for (uint32_t i = 0, k = 0; i < m->nimports; i++)
			if (m->imports[i].type.kind == EWASM_EXTERN_FUNC)
				m->func_type[k++] = m->imports[i].typeidx;
	}
	if (rank > 4 && !m->tables && m->ntable_imports) {
		m->tables = xcalloc(m->ntable_imports, sizeof(*m->tables));
		if (!m->tables)
			wasm__fail(r, EWASM_ERR_NOMEM, "out of memory");
		m->ntables = m->ntable_imports;
		for (uint32_t i = 0, k = 0; i < m->nimports; i++)
			if (m->imports[i].type.kind == EWASM_EXTERN_TABLE)
				m->tables[k++] = m->imports[i].type.of.table;
	}
	if (rank > 5 && !m->mems && m->nmem_imports) {
		m->mems = xcalloc(m->nmem_imports, sizeof(*m->mems));
		if (!m->mems)
			wasm__fail(r, EWASM_ERR_NOMEM, "out of memory");
		m->nmems = m->nmem_imports;
		for (uint32_t i = 0, k = 0; i < m->nimports; i++)
			if (m->imports[i].type.kind == EWASM_EXTERN_MEMORY)
				m->mems[k++] = m->imports[i].type.of.memory;
		if (m->nmems > 1)
			wasm__fail(r, EWASM_ERR_INVALID, "multiple memories");
	}
	if (rank > 6 && !m->globals)
		m->nglobals = m->nglobal_imports;
}

/* Reads the first LEB of a section payload (its count) without failing. */
static uint32_t peek_count(const uint8_t *p, const uint8_t *end)
{
	struct cursor c;
	uint32_t n = 0;
	cursor_init(&c, p, (size_t)(end - p));
	if (cursor_uleb32(&c, &n) < 0)
		return 0;
	return n;
}

/*
 * A first pass over the section headers only: order, ids, sizes and the
 * counts that must agree. Malformed modules must be reported as such even
 * when a section before the problem would also fail validation.
 */
static void check_layout(struct rd *r)
{
	int last = 0;
	struct rd h = *r;
	uint32_t nfunc = 0, ncode = 0, ndata = 0, ndc = 0;
	bool has_func = false, has_code = false, has_data = false, has_dc = false;
	h.c.p += 8;
	while (!cursor_eof(&h.c)) {
		uint8_t id = wasm__u8(&h);
		uint32_t size = wasm__u32(&h);
		if (size > cursor_left(&h.c))
			wasm__fail(&h, EWASM_ERR_MALFORMED, "unexpected end (section size %u)",
			           size);
		int rank = section_rank(id);
		if (rank < 0)
			wasm__fail(&h, EWASM_ERR_MALFORMED, "malformed section id %u", id);
		if (rank > 0) {
			if (rank <= last)
				wasm__fail(&h, EWASM_ERR_MALFORMED,
				           "unexpected content after last section (section %u out "
				           "of order)",
				           id);
			last = rank;
		}
		const uint8_t *end = h.c.p + size;
		switch (id) {
		case 3:
			has_func = true;
			nfunc = peek_count(h.c.p, end);
			break;
		case 10:
			has_code = true;
			ncode = peek_count(h.c.p, end);
			break;
		case 11:
			has_data = true;
			ndata = peek_count(h.c.p, end);
			break;
		case 12:
			has_dc = true;
			ndc = peek_count(h.c.p, end);
			break;
		}
		h.c.p = end;
	}
	if ((has_func || has_code) && nfunc != ncode)
		wasm__fail(&h, EWASM_ERR_MALFORMED,
		           "function and code section have inconsistent lengths");
	if (has_dc && ndc != (has_data ? ndata : 0))
		wasm__fail(&h, EWASM_ERR_MALFORMED,
		           "data count and data section have inconsistent lengths");
}

static void decode_sections(struct rd *r, ewasm_module *m)
{
	int last = 0;
	const uint8_t *magic = rd_bytes(r, 4);
	if (memcmp(magic, "\0asm", 4))
		wasm__fail(r, EWASM_ERR_MALFORMED, "magic header not detected");
	const uint8_t *ver = rd_bytes(r, 4);
	if (memcmp(ver, "\1\0\0\0", 4))
		wasm__fail(r, EWASM_ERR_MALFORMED, "unknown binary version");
	r->c.p -= 8;
	check_layout(r);
	r->c.p += 8;
	while (!cursor_eof(&r->c)) {
		uint8_t id = wasm__u8(r);
		uint32_t size = wasm__u32(r);
		if (size > cursor_left(&r->c))
			wasm__fail(r, EWASM_ERR_MALFORMED, "unexpected end (section size %u)",
			           size);
		const uint8_t *end = r->c.p + size;
		const uint8_t *outer_end = r->c.end;
		int rank = section_rank(id);
		if (rank < 0)
			wasm__fail(r, EWASM_ERR_MALFORMED, "malformed section id %u", id);
		if (rank > 0) {
			if (rank <= last)
				wasm__fail(r, EWASM_ERR_MALFORMED,
				           "unexpected content after last section (section %u out "
				           "of order)",
				           id);
			last = rank;
		}
		r->c.end = end;
		if (rank > 3)
			fill_defaults(r, m, rank);
		switch (id) {
		case 0: sec_custom(r, m, end); break;
		case 1: sec_type(r, m); break;
		case 2: sec_import(r, m); break;
		case 3: sec_func(r, m); break;
		case 4: sec_table(r, m); break;
		case 5: sec_mem(r, m); break;
		case 6: sec_global(r, m); break;
		case 7: sec_export(r, m); break;
		case 8: sec_start(r, m); break;
		case 9: sec_elem(r, m); break;
		case 10: sec_code(r, m); break;
		case 11: sec_data(r, m); break;
		case 12: sec_datacount(r, m); break;
		}
		if (r->c.p != end)
			wasm__fail(r, EWASM_ERR_MALFORMED, "section size mismatch");
		r->c.end = outer_end;
	}
}

int wasm__decode(ewasm_module *m, ewasm_error *err)
{
	jmp_buf jb;
	struct rd r;
	int rc;

	cursor_init(&r.c, m->bytes, m->len);
	r.jb = &jb;
	r.err = err;
	r.fn = UINT32_MAX;
	m->start = -1;
	rc = setjmp(jb);
	if (rc)
		return rc;
	/* Index spaces of absent sections are filled in by the first later
	 * section that needs them, and at the end. */
	decode_sections(&r, m);
	fill_defaults(&r, m, 100);
	if (m->ncodes != m->nfuncs - m->nfunc_imports)
		wasm__fail(&r, EWASM_ERR_MALFORMED,
		           "function and code section have inconsistent lengths");
	if (m->has_datacount && m->ndatas != m->datacount)
		wasm__fail(&r, EWASM_ERR_MALFORMED,
		           "data count and data section have inconsistent lengths");
	for (uint32_t i = 0; i < m->ncustoms; i++)
		if (!strcmp(m->customs[i].name, "name"))
			parse_names(m, m->customs[i].data, m->customs[i].len);
	return 0;
}
