/* SPDX-License-Identifier: Apache-2.0 */
/* Instructions, plain and folded, with symbolic labels, locals and
 * indices. A folded instruction's operands are encoded before it; its
 * immediates are parsed after its operands (the parser comes back to them)
 * so implicit types are appended in the order wabt appends them. */
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "wat/wat_int.h"

enum imm {
	I_NONE,
	I_BLOCK,
	I_LABEL,
	I_BRTABLE,
	I_FUNC,
	I_CALLIND,
	I_LOCAL,
	I_GLOBAL,
	I_TABLE,
	I_MEMARG,
	I_MEM0,
	I_I32,
	I_I64,
	I_F32,
	I_F64,
	I_SELECT,
	I_REFNULL,
	I_MEMINIT,
	I_DATA,
	I_MEMCOPY,
	I_TABLEINIT,
	I_ELEM,
	I_TABLECOPY,
};

struct op {
	const char *name;
	uint16_t code;
	uint8_t imm;
	uint8_t align;
};

static const struct op ops[] = {
#define OP(n, c, i, a) {n, c, i, a},
#include "wat/ops.def"
#undef OP
};

static const struct op *lookup(const struct wat__parser *p, const struct wat__tok *t)
{
	const char *s = p->src + t->off;
	size_t i;

	if (t->kind != TK_KEYWORD)
		return NULL;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].name[0] == s[0] && strlen(ops[i].name) == t->len &&
		    memcmp(ops[i].name, s, t->len) == 0)
			return &ops[i];
	return NULL;
}

static int oom(struct wat__parser *p, int rc)
{
	return rc ? wat__nomem(p) : 0;
}

static int put_op(struct wat__parser *p, struct buf *out, uint16_t code)
{
	if (code > 0xff)
		return oom(p, buf_append_u8(out, 0xfc) || wat__uleb(out, code & 0xff));
	return oom(p, buf_append_u8(out, (uint8_t)code));
}

static int put_u32(struct wat__parser *p, struct buf *out, uint32_t v)
{
	return oom(p, wat__uleb(out, v));
}

/* ---------------------------------------------------------------- labels */

static int push_label(struct wat__parser *p, const struct wat__tok *id)
{
	struct wat__func *fn = p->fn;

	if (fn->nlabels == fn->caplabels) {
		uint32_t cap = fn->caplabels ? fn->caplabels * 2 : 16;
		const struct wat__tok **l = xreallocarray(fn->labels, cap, sizeof(*l));

		if (!l)
			return wat__nomem(p);
		fn->labels = l;
		fn->caplabels = cap;
	}
	fn->labels[fn->nlabels++] = id;
	return 0;
}

static bool same_id(const struct wat__parser *p, const struct wat__tok *a, const struct wat__tok *b)
{
	return a->len == b->len && memcmp(p->src + a->off, p->src + b->off, a->len) == 0;
}

/* An optional "$id" after end/else must repeat the block's label. */
static int closing_label(struct wat__parser *p, const struct wat__tok *label)
{
	const struct wat__tok *t = wat__peek(p, 0);

	if (t->kind != TK_ID)
		return 0;
	if (!label || !same_id(p, label, t))
		return wat__fail(p, "mismatching label \"%.*s\"", (int)t->len, p->src + t->off);
	wat__next(p);
	return 0;
}

static int label_index(struct wat__parser *p, uint32_t *depth)
{
	const struct wat__tok *t = wat__peek(p, 0);
	struct wat__func *fn = p->fn;
	uint32_t i;

	if (t->kind != TK_ID)
		return wat__u32(p, depth);
	for (i = fn->nlabels; i-- > 0;) {
		if (fn->labels[i] && same_id(p, fn->labels[i], t)) {
			*depth = fn->nlabels - 1 - i;
			wat__next(p);
			return 0;
		}
	}
	return wat__fail(p, "unknown label \"%.*s\"", (int)t->len, p->src + t->off);
}

static int local_index(struct wat__parser *p, uint32_t *idx)
{
	const struct wat__tok *t = wat__peek(p, 0);

	if (t->kind != TK_ID)
		return wat__u32(p, idx);
	if (!wat__names_get(&p->fn->locals, p->src + t->off, t->len, idx))
		return wat__fail(p, "unknown local \"%.*s\"", (int)t->len, p->src + t->off);
	wat__next(p);
	return 0;
}

/* ---------------------------------------------------------------- immediates */

static int memarg(struct wat__parser *p, struct buf *out, uint8_t natural)
{
	const struct wat__tok *t = wat__peek(p, 0);
	uint64_t offset = 0, align = (uint64_t)1 << natural;
	uint8_t log2 = 0;

	if (t->kind == TK_KEYWORD && t->len > 7 && memcmp(p->src + t->off, "offset=", 7) == 0) {
		if (wat__parse_uint(p->src + t->off + 7, t->len - 7, UINT32_MAX, &offset))
			return wat__fail(p, "malformed memory offset");
		wat__next(p);
		t = wat__peek(p, 0);
	}
	if (t->kind == TK_KEYWORD && t->len > 6 && memcmp(p->src + t->off, "align=", 6) == 0) {
		if (wat__parse_uint(p->src + t->off + 6, t->len - 6, UINT32_MAX, &align))
			return wat__fail(p, "malformed memory alignment");
		if (align == 0 || (align & (align - 1)))
			return wat__fail(p, "alignment must be a power of two");
		wat__next(p);
	}
	while (((uint64_t)1 << log2) < align)
		log2++;
	return oom(p, buf_append_u8(out, log2) || wat__uleb(out, offset));
}

/* A numeric token's text for the literal parsers. */
static int number(struct wat__parser *p, const char **s, size_t *n)
{
	const struct wat__tok *t = wat__peek(p, 0);

	if (t->kind != TK_RESERVED && t->kind != TK_KEYWORD)
		return wat__expect(p, TK_RESERVED, "a number");
	*s = p->src + t->off;
	*n = t->len;
	return 0;
}

static int literal_error(struct wat__parser *p, int rc, const char *s, size_t n)
{
	if (rc == ENARX_E_NOMEM)
		return wat__nomem(p);
	if (rc == 2)
		return wat__fail(p, "constant out of range: \"%.*s\"", (int)(n > 40 ? 40 : n), s);
	return wat__fail(p, "unexpected token \"%.*s\", expected a number", (int)(n > 40 ? 40 : n),
	                 s);
}

static int constant(struct wat__parser *p, struct buf *out, uint8_t imm)
{
	const char *s = NULL;
	size_t n = 0;
	uint64_t v = 0;
	uint32_t f = 0;
	int rc = number(p, &s, &n);

	if (rc)
		return rc;
	if (imm == I_I32 || imm == I_I64)
		rc = wat__parse_int(s, n, imm == I_I32 ? 32 : 64, &v);
	else if (imm == I_F32)
		rc = wat__parse_f32(s, n, &f);
	else
		rc = wat__parse_f64(s, n, &v);
	if (rc)
		return literal_error(p, rc, s, n);
	wat__next(p);
	if (imm == I_I32)
		return oom(p, wat__sleb(out, (int32_t)(uint32_t)v));
	if (imm == I_I64)
		return oom(p, wat__sleb(out, (int64_t)v));
	if (imm == I_F32)
		return oom(p, buf_append_u32le(out, f));
	return oom(p, buf_append_u64le(out, v));
}

static int br_table(struct wat__parser *p, struct buf *out)
{
	struct buf labels = {0};
	uint32_t d, n = 0;
	int rc = 0;

	while (!rc && wat__at_index(p)) {
		rc = label_index(p, &d);
		if (!rc)
			rc = oom(p, wat__uleb(&labels, d));
		n++;
	}
	if (!rc && n == 0)
		rc = wat__fail(p, "br_table needs at least one label");
	if (!rc)
		rc = oom(p, wat__uleb(out, n - 1) || buf_append(out, labels.data, labels.len));
	buf_free(&labels, 0);
	return rc;
}

static int select_types(struct wat__parser *p, struct buf *out)
{
	struct buf types = {0};
	uint32_t n = 0;
	uint8_t vt;
	int rc = 0;

	while (!rc && wat__at_field(p, "result")) {
		p->pos += 2;
		while ((vt = wat__valtype(p, wat__peek(p, 0))) != 0) {
			wat__next(p);
			n++;
			if (buf_append_u8(&types, vt))
				rc = wat__nomem(p);
		}
		if (!rc)
			rc = wat__expect(p, TK_RPAR, "a value type or \")\"");
	}
	/* As wabt: "(result)" with no types is the untyped select. */
	if (!rc && n == 0)
		rc = put_op(p, out, 0x1b);
	else if (!rc)
		rc = oom(p, buf_append_u8(out, 0x1c) || wat__uleb(out, n) ||
		                buf_append(out, types.data, types.len));
	buf_free(&types, 0);
	return rc;
}

static int ref_null(struct wat__parser *p, struct buf *out)
{
	const struct wat__tok *t = wat__peek(p, 0);
	uint8_t b = wat__is_kw(p, t, "func") ? 0x70 : wat__is_kw(p, t, "extern") ? 0x6f : 0;

	if (!b)
		return wat__unexpected(p, "\"func\" or \"extern\"");
	wat__next(p);
	return oom(p, buf_append_u8(out, b));
}

static int index_in(struct wat__parser *p, struct buf *out, enum wat__space sp)
{
	uint32_t idx;
	int rc = wat__index(p, sp, &idx);

	return rc ? rc : put_u32(p, out, idx);
}

static int opt_index(struct wat__parser *p, struct buf *out, enum wat__space sp)
{
	return wat__at_index(p) ? index_in(p, out, sp) : put_u32(p, out, 0);
}

static bool index_tok(const struct wat__parser *p, const struct wat__tok *t)
{
	/* Reserved tokens are never empty; TK_EOF's offset is the length. */
	return t->kind == TK_ID ||
	       (t->kind == TK_RESERVED && p->src[t->off] >= '0' && p->src[t->off] <= '9');
}

/* table.init [table] elem: with one index it names the segment. */
static int table_init(struct wat__parser *p, struct buf *out)
{
	uint32_t table = 0, elem;
	int rc;

	if (index_tok(p, wat__peek(p, 0)) && index_tok(p, wat__peek(p, 1)) &&
	    (rc = wat__index(p, NS_TABLE, &table)) != 0)
		return rc;
	rc = wat__index(p, NS_ELEM, &elem);
	return rc ? rc : oom(p, wat__uleb(out, elem) || wat__uleb(out, table));
}

static int call_indirect(struct wat__parser *p, struct buf *out)
{
	uint32_t table = 0, type;
	int rc = 0;

	if (wat__at_index(p))
		rc = wat__index(p, NS_TABLE, &table);
	if (!rc)
		rc = wat__typeuse(p, NULL, false, &type, NULL);
	return rc ? rc : oom(p, wat__uleb(out, type) || wat__uleb(out, table));
}

/* Immediates of op (not block instructions), after its opcode. */
static int immediates(struct wat__parser *p, struct buf *out, const struct op *op)
{
	uint32_t v;
	int rc;

	if (op->imm == I_SELECT)
		return select_types(p, out);
	if ((rc = put_op(p, out, op->code)) != 0)
		return rc;
	switch (op->imm) {
	case I_NONE: return 0;
	case I_LABEL: rc = label_index(p, &v); return rc ? rc : put_u32(p, out, v);
	case I_BRTABLE: return br_table(p, out);
	case I_FUNC: return index_in(p, out, NS_FUNC);
	case I_CALLIND: return call_indirect(p, out);
	case I_LOCAL: rc = local_index(p, &v); return rc ? rc : put_u32(p, out, v);
	case I_GLOBAL: return index_in(p, out, NS_GLOBAL);
	case I_TABLE: return opt_index(p, out, NS_TABLE);
	case I_MEMARG: return memarg(p, out, op->align);
	case I_MEM0: return oom(p, buf_append_u8(out, 0));
	case I_MEMCOPY: return oom(p, buf_append_u8(out, 0) || buf_append_u8(out, 0));
	case I_REFNULL: return ref_null(p, out);
	case I_MEMINIT:
		p->uses_datacount = true;
		rc = index_in(p, out, NS_DATA);
		return rc ? rc : oom(p, buf_append_u8(out, 0));
	case I_DATA: p->uses_datacount = true; return index_in(p, out, NS_DATA);
	case I_ELEM: return index_in(p, out, NS_ELEM);
	case I_TABLEINIT: return table_init(p, out);
	case I_TABLECOPY:
		if (!wat__at_index(p))
			return oom(p, buf_append_u8(out, 0) || buf_append_u8(out, 0));
		rc = index_in(p, out, NS_TABLE);
		return rc ? rc : index_in(p, out, NS_TABLE);
	default: return constant(p, out, op->imm);
	}
}

/* ---------------------------------------------------------------- blocks */

static int block_start(struct wat__parser *p, struct buf *out, const struct op *op,
                       const struct wat__tok **label)
{
	int64_t bt;
	int rc;

	*label = wat__peek(p, 0)->kind == TK_ID ? wat__next(p) : NULL;
	if ((rc = wat__blocktype(p, &bt)) != 0 || (rc = put_op(p, out, op->code)) != 0)
		return rc;
	if (bt < 0x40 || bt > 0x7f)
		return oom(p, wat__sleb(out, bt));
	return oom(p, buf_append_u8(out, (uint8_t)bt));
}

/* The instructions of an else branch after 0x05; as wabt, an empty else
 * branch is not encoded at all. */
static int else_branch(struct wat__parser *p, struct buf *out)
{
	size_t at = out->len;
	int rc = oom(p, buf_append_u8(out, 0x05));

	if (!rc)
		rc = wat__instrs(p, out);
	if (!rc && out->len == at + 1)
		out->len = at;
	return rc;
}

/* block/loop/if label? blocktype instr* (else label? instr*)? end label? */
static int block_plain(struct wat__parser *p, struct buf *out, const struct op *op)
{
	const struct wat__tok *label;
	int rc;

	if ((rc = wat__enter(p)) != 0)
		return rc;
	if ((rc = block_start(p, out, op, &label)) != 0 || (rc = push_label(p, label)) != 0 ||
	    (rc = wat__instrs(p, out)) != 0)
		goto out;
	if (op->code == 0x04 && wat__is_kw(p, wat__peek(p, 0), "else")) {
		wat__next(p);
		if ((rc = closing_label(p, label)) != 0 || (rc = else_branch(p, out)) != 0)
			goto out;
	}
	if ((rc = wat__expect_kw(p, "end")) == 0 && (rc = closing_label(p, label)) == 0)
		rc = oom(p, buf_append_u8(out, 0x0b));
	p->fn->nlabels--;
out:
	wat__leave(p);
	return rc;
}

static int folded(struct wat__parser *p, struct buf *out);

/* Skips an instruction's immediates: tokens up to ")" or the first folded
 * operand (a "(" not opening type, param or result). */
static void skip_immediates(struct wat__parser *p)
{
	for (;;) {
		const struct wat__tok *t = wat__peek(p, 0);
		size_t level = 0;

		if (t->kind == TK_EOF || t->kind == TK_RPAR)
			return;
		if (t->kind == TK_LPAR) {
			const struct wat__tok *k = wat__peek(p, 1);

			if (!wat__is_kw(p, k, "type") && !wat__is_kw(p, k, "param") &&
			    !wat__is_kw(p, k, "result"))
				return;
			do {
				t = wat__next(p);
				level += t->kind == TK_LPAR;
				level -= t->kind == TK_RPAR;
			} while (level > 0 && t->kind != TK_EOF);
			continue;
		}
		wat__next(p);
	}
}

/* Folded operands: "(...)" until ")" or a stop field ("then"). */
static int operands(struct wat__parser *p, struct buf *out, const char *stop)
{
	int rc;

	while (wat__peek(p, 0)->kind == TK_LPAR && !(stop && wat__at_field(p, stop)))
		if ((rc = folded(p, out)) != 0)
			return rc;
	return 0;
}

/* (if label? blocktype folded* (then instr*) (else instr*)?) after "if". */
static int folded_if(struct wat__parser *p, struct buf *out, const struct op *op)
{
	const struct wat__tok *label;
	size_t head = p->pos, conds, body;
	int rc;

	skip_immediates(p);
	conds = p->pos;
	if ((rc = operands(p, out, "then")) != 0)
		return rc;
	body = p->pos;
	p->pos = head;
	if ((rc = block_start(p, out, op, &label)) != 0)
		return rc;
	if (p->pos != conds)
		return wat__fail(p, "unexpected token in if: expected a block type");
	p->pos = body;
	if ((rc = push_label(p, label)) != 0)
		return rc;
	if (!wat__at_field(p, "then")) {
		rc = wat__fail(p, "expected \"(then\"");
		goto out;
	}
	p->pos += 2;
	if ((rc = wat__instrs(p, out)) != 0 || (rc = wat__expect(p, TK_RPAR, "\")\"")) != 0)
		goto out;
	if (wat__at_field(p, "else")) {
		p->pos += 2;
		if ((rc = else_branch(p, out)) != 0 || (rc = wat__expect(p, TK_RPAR, "\")\"")) != 0)
			goto out;
	}
	rc = oom(p, buf_append_u8(out, 0x0b));
out:
	p->fn->nlabels--;
	return rc;
}

/* (block label? blocktype instr*) and (loop ...) after the keyword. */
static int folded_block(struct wat__parser *p, struct buf *out, const struct op *op)
{
	const struct wat__tok *label;
	int rc;

	if ((rc = block_start(p, out, op, &label)) != 0 || (rc = push_label(p, label)) != 0)
		return rc;
	rc = wat__instrs(p, out);
	if (!rc)
		rc = oom(p, buf_append_u8(out, 0x0b));
	p->fn->nlabels--;
	return rc;
}

/* (op immediates folded*): operands first, then the instruction. */
static int folded_plain(struct wat__parser *p, struct buf *out, const struct op *op)
{
	size_t head = p->pos, body, end;
	int rc;

	skip_immediates(p);
	body = p->pos;
	if ((rc = operands(p, out, NULL)) != 0)
		return rc;
	end = p->pos;
	p->pos = head;
	if ((rc = immediates(p, out, op)) != 0)
		return rc;
	if (p->pos != body)
		return wat__unexpected(p, "an operand or \")\"");
	p->pos = end;
	return 0;
}

static int unknown_op(struct wat__parser *p)
{
	const struct wat__tok *t = wat__peek(p, 0);

	return wat__fail(p, "unknown operator \"%.*s\"", (int)(t->len > 40 ? 40 : t->len),
	                 p->src + t->off);
}

static bool at_kw(const struct wat__parser *p, const char *kw)
{
	return wat__is_kw(p, wat__peek(p, 0), kw);
}

static int folded(struct wat__parser *p, struct buf *out)
{
	const struct op *op;
	int rc;

	if ((rc = wat__enter(p)) != 0)
		return rc;
	wat__next(p); /* "(" */
	op = lookup(p, wat__peek(p, 0));
	if (!op &&
	    (at_kw(p, "type") || at_kw(p, "param") || at_kw(p, "result") || at_kw(p, "local"))) {
		rc = wat__fail(p, "unexpected token: \"(%.*s\" out of place",
		               (int)wat__peek(p, 0)->len, p->src + wat__peek(p, 0)->off);
		goto out;
	} else if (!op) {
		rc = wat__peek(p, 0)->kind == TK_KEYWORD
		         ? unknown_op(p)
		         : wat__expect(p, TK_KEYWORD, "an instruction");
		goto out;
	}
	wat__next(p);
	if (op->code == 0x04)
		rc = folded_if(p, out, op);
	else if (op->imm == I_BLOCK)
		rc = folded_block(p, out, op);
	else
		rc = folded_plain(p, out, op);
	if (!rc)
		rc = wat__expect(p, TK_RPAR, "\")\"");
out:
	wat__leave(p);
	return rc;
}

int wat__instrs(struct wat__parser *p, struct buf *out)
{
	for (;;) {
		const struct wat__tok *t = wat__peek(p, 0);
		const struct op *op;
		int rc;

		if (t->kind == TK_LPAR) {
			rc = folded(p, out);
		} else if (t->kind == TK_KEYWORD && !wat__is_kw(p, t, "end") &&
		           !wat__is_kw(p, t, "else")) {
			op = lookup(p, t);
			if (!op)
				return unknown_op(p);
			wat__next(p);
			rc = op->imm == I_BLOCK ? block_plain(p, out, op) : immediates(p, out, op);
		} else {
			return 0;
		}
		if (rc)
			return rc;
	}
}

/* Runs f with a function context for constant expressions (no locals, no
 * labels outside the expression). */
static int in_const_context(struct wat__parser *p, struct buf *out,
                            int (*f)(struct wat__parser *, struct buf *))
{
	struct wat__func fn = {0};
	int rc;

	if (p->fn)
		return f(p, out);
	p->fn = &fn;
	rc = f(p, out);
	p->fn = NULL;
	xfree(fn.labels);
	return rc;
}

static int one_folded(struct wat__parser *p, struct buf *out)
{
	if (wat__peek(p, 0)->kind != TK_LPAR)
		return wat__expect(p, TK_LPAR, "\"(\"");
	return folded(p, out);
}

int wat__folded_one(struct wat__parser *p, struct buf *out)
{
	return in_const_context(p, out, one_folded);
}

int wat__expr(struct wat__parser *p, struct buf *out)
{
	return in_const_context(p, out, wat__instrs);
}

int wat__const_expr(struct wat__parser *p, struct buf *out)
{
	int rc = wat__expr(p, out);

	return rc ? rc : oom(p, buf_append_u8(out, 0x0b));
}
