/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The byte-level builder the wasm fuzz targets write modules with: a growing
 * buffer, LEB128 integers, names and sections. Shared by the generator of
 * valid code (fuzz_wasm_gen.h) and the limits target (fuzz_wasm_limits.c).
 */
#ifndef FUZZ_WASM_BUF_H
#define FUZZ_WASM_BUF_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A growing byte buffer (oom: an allocation failed; the bytes are then
 * incomplete and the module must not be used). */
struct gbuf {
	uint8_t *p;
	size_t n, cap;
	int oom;
};

static inline void gb_byte(struct gbuf *b, uint8_t v)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		uint8_t *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	b->p[b->n++] = v;
}

static inline void gb_bytes(struct gbuf *b, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		gb_byte(b, ((const uint8_t *)p)[i]);
}

static inline void gb_u32(struct gbuf *b, uint32_t v)
{
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		gb_byte(b, (uint8_t)(c | (v ? 0x80 : 0)));
	} while (v);
}

static inline void gb_s64(struct gbuf *b, int64_t v)
{
	for (;;) {
		uint8_t c = v & 0x7f;
		v >>= 7; /* arithmetic shift on every compiler we use */
		if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
			gb_byte(b, c);
			return;
		}
		gb_byte(b, c | 0x80);
	}
}

/* A name: its length, then its bytes. */
static inline void gb_name(struct gbuf *b, const char *name)
{
	gb_u32(b, (uint32_t)strlen(name));
	gb_bytes(b, name, strlen(name));
}

/* Appends section `id` holding `body`, and empties body for the next one
 * (an allocation failure in it carries over to b). */
static inline void gb_section(struct gbuf *b, uint8_t id, struct gbuf *body)
{
	gb_byte(b, id);
	gb_u32(b, (uint32_t)body->n);
	gb_bytes(b, body->p, body->n);
	b->oom |= body->oom;
	body->n = 0;
}

#endif
