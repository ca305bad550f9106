/* SPDX-License-Identifier: Apache-2.0 */
/* Growable byte buffer with overflow-checked growth. A zeroed struct buf is
 * an empty buffer; buf_free() releases it (and may be called twice). */
#ifndef ENARX_LIB_BUF_H
#define ENARX_LIB_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

/* Makes room for at least `more` further bytes. 0 or ENARX_E_NOMEM/OVERFLOW. */
int buf_reserve(struct buf *b, size_t more);
int buf_append(struct buf *b, const void *data, size_t n);
int buf_append_u8(struct buf *b, uint8_t v);
int buf_append_u32le(struct buf *b, uint32_t v);
int buf_append_u64le(struct buf *b, uint64_t v);
/* Appends printf-formatted text (no terminating NUL counted in len). */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Releases the memory; wipe != 0 zeroes it first (for secrets). */
void buf_free(struct buf *b, int wipe);

#endif
