/* SPDX-License-Identifier: Apache-2.0 */
/* Growable byte buffer; see buf.h. */
#include "lib/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/cursor.h"
#include "lib/err.h"

int buf_reserve(struct buf *b, size_t more)
{
	size_t need, cap;
	uint8_t *p;

	if (size_add(b->len, more, &need))
		return ENARX_E_OVERFLOW;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need) {
		if (size_mul(cap, 2, &cap))
			return ENARX_E_OVERFLOW;
	}
	p = xrealloc(b->data, cap);
	if (!p)
		return ENARX_E_NOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *data, size_t n)
{
	int rc = buf_reserve(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	return 0;
}

int buf_append_u8(struct buf *b, uint8_t v)
{
	return buf_append(b, &v, 1);
}

int buf_append_u32le(struct buf *b, uint32_t v)
{
	uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	return buf_append(b, le, sizeof(le));
}

int buf_append_u64le(struct buf *b, uint64_t v)
{
	int rc = buf_append_u32le(b, (uint32_t)v);

	return rc ? rc : buf_append_u32le(b, (uint32_t)(v >> 32));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return ENARX_E_INVAL;
	rc = buf_reserve(b, (size_t)n + 1);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void buf_free(struct buf *b, int wipe)
{
	if (b->data && wipe)
		secure_wipe(b->data, b->cap);
	xfree(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
