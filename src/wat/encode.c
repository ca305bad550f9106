/* SPDX-License-Identifier: Apache-2.0 */
/* Binary encoding: minimal LEB128s, names, and the final module assembled
 * from the per-section buffers in the binary format's section order, with
 * the data count section only when an instruction needs it (as wabt). */
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "wat/wat_int.h"

int wat__uleb(struct buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		uint8_t byte = v & 0x7f;

		v >>= 7;
		tmp[n++] = (uint8_t)(byte | (v ? 0x80 : 0));
	} while (v);
	return buf_append(b, tmp, n);
}

int wat__sleb(struct buf *b, int64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	bool more = true;

	while (more) {
		uint8_t byte = (uint8_t)(v & 0x7f);

		/* Arithmetic shift of a negative value, written portably. */
		v = v < 0 ? ~(~v >> 7) : v >> 7;
		more = !((v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40)));
		tmp[n++] = (uint8_t)(byte | (more ? 0x80 : 0));
	}
	return buf_append(b, tmp, n);
}

int wat__name_bytes(struct buf *b, const uint8_t *s, size_t n)
{
	int rc = wat__uleb(b, n);

	return rc ? rc : buf_append(b, s, n);
}

/* Appends section `id` with a count prefix (if counted) and the body. */
static int section(struct buf *out, uint8_t id, const struct buf *body, bool counted,
                   uint32_t count)
{
	struct buf hdr = {0};
	int rc = 0;

	if (counted)
		rc = wat__uleb(&hdr, count);
	if (!rc)
		rc = buf_append_u8(out, id);
	if (!rc)
		rc = wat__uleb(out, hdr.len + body->len);
	if (!rc)
		rc = buf_append(out, hdr.data, hdr.len);
	if (!rc)
		rc = buf_append(out, body->data, body->len);
	buf_free(&hdr, 0);
	return rc;
}

int wat__assemble(struct wat__parser *p, uint8_t **out, size_t *out_len)
{
	static const struct {
		enum wat__sec s;
		uint8_t id;
		bool counted;
	} order[] = {
	    {SEC_TYPE, 1, true},   {SEC_IMPORT, 2, true}, {SEC_FUNC, 3, true},
	    {SEC_TABLE, 4, true},  {SEC_MEM, 5, true},    {SEC_GLOBAL, 6, true},
	    {SEC_EXPORT, 7, true}, {SEC_START, 8, false}, {SEC_ELEM, 9, true},
	    {SEC_CODE, 10, true},  {SEC_DATA, 11, true},
	};
	static const uint8_t header[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
	struct buf m = {0}, dc = {0};
	int rc = buf_append(&m, header, sizeof(header));
	size_t i;

	for (i = 0; !rc && i < sizeof(order) / sizeof(order[0]); i++) {
		enum wat__sec s = order[i].s;

		if (s == SEC_CODE && p->uses_datacount && p->nitems[SEC_DATA] > 0) {
			rc = section(&m, 12, &dc, true, p->nitems[SEC_DATA]);
			if (rc)
				break;
		}
		if (p->nitems[s] == 0)
			continue;
		rc = section(&m, order[i].id, &p->sec[s], order[i].counted, p->nitems[s]);
	}
	if (rc) {
		buf_free(&m, 0);
		return wat__nomem(p);
	}
	*out = m.data;
	*out_len = m.len;
	return 0;
}
