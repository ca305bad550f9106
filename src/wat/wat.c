/* SPDX-License-Identifier: Apache-2.0 */
/* ewat_parse(): tokenizes, recognizes the module forms ("(module $id?
 * field*)", "(module binary string*)", or bare fields), runs pass 1 (names,
 * types) and pass 2 (fields), then assembles the binary module. */
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "wat/wat_int.h"

static void parser_free(struct wat__parser *p)
{
	size_t i;

	for (i = 0; i < NS_COUNT; i++)
		wat__names_free(&p->names[i]);
	for (i = 0; i < p->ntypes; i++)
		xfree(p->types[i].vt);
	xfree(p->types);
	for (i = 0; i < SEC_COUNT; i++)
		buf_free(&p->sec[i], 0);
	xfree(p->toks);
}

/* The fields up to ")" (in a module) or the end of input. */
static int fields(struct wat__parser *p)
{
	int rc = wat__scan_fields(p);

	if (rc)
		return rc;
	memset(p->count, 0, sizeof(p->count));
	while (!rc && wat__peek(p, 0)->kind == TK_LPAR) {
		wat__next(p);
		rc = wat__field(p);
	}
	if (!rc)
		rc = wat__type_section(p);
	return rc;
}

/* "(module binary string*)": the strings are the module's bytes. */
static int binary_module(struct wat__parser *p, uint8_t **out, size_t *out_len)
{
	struct buf b = {0};
	int rc = 0;

	while (!rc && wat__peek(p, 0)->kind == TK_STRING) {
		const struct wat__tok *t = wat__next(p);

		rc = wat__string(p->src + t->off, t->len, &b);
		if (rc == ENARX_E_NOMEM)
			rc = wat__nomem(p);
		else if (rc)
			rc = wat__fail_at(p, t, "malformed string escape");
	}
	if (!rc)
		rc = wat__expect(p, TK_RPAR, "a string or \")\"");
	if (!rc)
		rc = wat__expect(p, TK_EOF, "end of input");
	if (rc) {
		buf_free(&b, 0);
		return rc;
	}
	*out = b.data ? b.data : xmalloc(1);
	*out_len = b.len;
	return *out ? 0 : wat__nomem(p);
}

static int module(struct wat__parser *p, uint8_t **out, size_t *out_len)
{
	bool wrapped = wat__at_field(p, "module");
	int rc;

	if (wrapped) {
		p->pos += 2;
		if (wat__peek(p, 0)->kind == TK_ID)
			wat__next(p);
		if (wat__is_kw(p, wat__peek(p, 0), "binary")) {
			wat__next(p);
			return binary_module(p, out, out_len);
		}
		if (wat__is_kw(p, wat__peek(p, 0), "quote"))
			return wat__fail(p, "\"(module quote\" is a script form, not a module");
	}
	rc = fields(p);
	if (!rc && wrapped)
		rc = wat__expect(p, TK_RPAR, "a module field or \")\"");
	if (!rc && wat__peek(p, 0)->kind != TK_EOF)
		rc = wrapped ? wat__expect(p, TK_EOF, "end of input")
		             : wat__expect(p, TK_LPAR, "a module field");
	if (!rc)
		rc = wat__assemble(p, out, out_len);
	return rc;
}

int ewat_parse(const char *text, size_t len, uint8_t **out, size_t *out_len, ewat_error *err)
{
	struct wat__parser p = {.src = text, .len = len, .err = err};
	int rc;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!out || !out_len || (!text && len))
		return ENARX_E_INVAL;
	*out = NULL;
	*out_len = 0;
	rc = wat__lex(&p);
	if (!rc)
		rc = module(&p, out, out_len);
	parser_free(&p);
	return rc;
}

void ewat_free(uint8_t *bytes)
{
	xfree(bytes);
}

int ewat_is_binary(const uint8_t *bytes, size_t len)
{
	return len >= 4 && memcmp(bytes, "\0asm", 4) == 0;
}
