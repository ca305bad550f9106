// SPDX-License-Identifier: Apache-2.0
/*
 * hset.h: open addressing with linear probing over a power-of-two table
 * kept at most half full; each slot caches the key's hash so probes compare
 * bytes only on a hash match. SipHash-2-4 (Aumasson and Bernstein) under a
 * key from getentropy() makes collisions unpredictable to the input's
 * author.
 */
#include "lib/hset.h"

#include <string.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/err.h"

struct hslot {
	const uint8_t *key; /* NULL: empty */
	uint32_t len;
	uint32_t val;
	uint64_t hash;
};

struct hset {
	struct hslot *slots;
	size_t cap; /* power of two */
	size_t n;
	uint64_t probes;
	uint8_t seed[16];
};

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define SIPROUND                   \
	do {                       \
		v0 += v1;          \
		v1 = rotl(v1, 13); \
		v1 ^= v0;          \
		v0 = rotl(v0, 32); \
		v2 += v3;          \
		v3 = rotl(v3, 16); \
		v3 ^= v2;          \
		v0 += v3;          \
		v3 = rotl(v3, 21); \
		v3 ^= v0;          \
		v2 += v1;          \
		v1 = rotl(v1, 17); \
		v1 ^= v2;          \
		v2 = rotl(v2, 32); \
	} while (0)

uint64_t hset_siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
	size_t whole = len & ~(size_t)7;

	for (size_t i = 0; i < whole; i += 8) {
		uint64_t m = le64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)p[whole + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

struct hset *hset_new(size_t expect)
{
	struct hset *h = xcalloc(1, sizeof(*h));
	size_t cap = 16;

	if (!h)
		return NULL;
	while (cap < expect * 2 && cap < ((size_t)1 << 40))
		cap *= 2;
	h->slots = xcalloc(cap, sizeof(*h->slots));
	if (!h->slots) {
		xfree(h);
		return NULL;
	}
	h->cap = cap;
	if (getentropy(h->seed, sizeof(h->seed)) != 0) {
		/* No entropy source: still distinct per set and per run (ASLR). */
		uintptr_t a = (uintptr_t)h, b = (uintptr_t)&h;
		memcpy(h->seed, &a, sizeof(a));
		memcpy(h->seed + 8, &b, sizeof(b));
	}
	return h;
}

void hset_free(struct hset *h)
{
	if (!h)
		return;
	xfree(h->slots);
	xfree(h);
}

/* Slot holding `key`, or the empty slot where it would go. */
static struct hslot *probe(struct hslot *slots, size_t cap, const void *key, size_t len,
                           uint64_t hash, uint64_t *probes)
{
	size_t mask = cap - 1;
	for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
		struct hslot *s = &slots[i];
		(*probes)++;
		if (!s->key || (s->hash == hash && s->len == len && !memcmp(s->key, key, len)))
			return s;
	}
}

static int grow(struct hset *h)
{
	size_t cap = h->cap * 2;
	struct hslot *n = xcalloc(cap, sizeof(*n));
	if (!n)
		return ENARX_E_NOMEM;
	for (size_t i = 0; i < h->cap; i++) {
		const struct hslot *s = &h->slots[i];
		if (s->key)
			*probe(n, cap, s->key, s->len, s->hash, &h->probes) = *s;
	}
	xfree(h->slots);
	h->slots = n;
	h->cap = cap;
	return 0;
}

/* Empty keys need a non-NULL address to mark their slot used. */
static const uint8_t *key_ptr(const void *key)
{
	static const uint8_t empty;
	return key ? key : &empty;
}

int hset_add(struct hset *h, const void *key, size_t len, uint32_t val, uint32_t *found)
{
	if (len > UINT32_MAX)
		return ENARX_E_INVAL;
	if ((h->n + 1) * 2 > h->cap && grow(h))
		return ENARX_E_NOMEM;
	key = key_ptr(key);
	uint64_t hash = hset_siphash(h->seed, key, len);
	struct hslot *s = probe(h->slots, h->cap, key, len, hash, &h->probes);
	if (s->key) {
		if (found)
			*found = s->val;
		return 0;
	}
	s->key = key;
	s->len = (uint32_t)len;
	s->val = val;
	s->hash = hash;
	h->n++;
	return 1;
}

int hset_find(const struct hset *h, const void *key, size_t len, uint32_t *val)
{
	uint64_t probes = 0; /* lookups are not counted: the set is const */
	if (len > UINT32_MAX)
		return ENARX_E_NOTFOUND;
	key = key_ptr(key);
	uint64_t hash = hset_siphash(h->seed, key, len);
	const struct hslot *s = probe(h->slots, h->cap, key, len, hash, &probes);
	if (!s->key)
		return ENARX_E_NOTFOUND;
	*val = s->val;
	return 0;
}

size_t hset_count(const struct hset *h)
{
	return h->n;
}

uint64_t hset_probes(const struct hset *h)
{
	return h->probes;
}
