/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hset: a small open-addressing hash set of byte strings, each with a
 * 32-bit value, for duplicate checks and name lookups over untrusted input
 * (export names of a wasm module). Keys are hashed with SipHash-2-4 under a
 * random per-set key, so crafted names cannot force collisions, and every
 * insert and lookup is expected O(1): loading n names costs O(n).
 */
#ifndef ENARX_LIB_HSET_H
#define ENARX_LIB_HSET_H

#include <stddef.h>
#include <stdint.h>

struct hset;

/* A new empty set sized for about `expect` keys (it grows as needed).
 * NULL on allocation failure. Free with hset_free(). */
struct hset *hset_new(size_t expect);
void hset_free(struct hset *h); /* accepts NULL */

/*
 * Adds `key` (`len` bytes, borrowed: the bytes must stay valid and
 * unchanged while the set lives) with value `val`, unless an equal key is
 * already present. Returns 1 if added, 0 if present (then *found, if not
 * NULL, gets the value stored with it and nothing changes), or
 * ENARX_E_NOMEM.
 */
int hset_add(struct hset *h, const void *key, size_t len, uint32_t val, uint32_t *found);

/* Looks `key` up: 0 and *val set, or ENARX_E_NOTFOUND. */
int hset_find(const struct hset *h, const void *key, size_t len, uint32_t *val);

/* Number of keys held. */
size_t hset_count(const struct hset *h);

/* Slots examined by every hset_add so far (rehashing included) (a test checks that
 * work stays linear in the number of keys). */
uint64_t hset_probes(const struct hset *h);

/* SipHash-2-4 of `len` bytes under the 16-byte `key` (exposed for its
 * test vectors). */
uint64_t hset_siphash(const uint8_t key[16], const void *data, size_t len);

#endif
