/* SPDX-License-Identifier: Apache-2.0 */
/* Guest side of the sallyport: stages Linux syscalls into the shared block,
 * hands it to the host and checks every reply before anything is copied
 * back. A reply that cannot be true (more bytes than asked, an impossible
 * result, a clobbered header) calls attacked(), which never returns: the
 * Keep ends. Freestanding: used by the shim and, unchanged, by unit tests
 * against a hostile host stub. */
#ifndef ENARX_SALLYPORT_GUEST_H
#define ENARX_SALLYPORT_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "sallyport/sallyport.h"

struct sp_guest {
	uint8_t *block; /* SP_BLOCK_SIZE bytes shared with the host */
	size_t used;    /* bytes staged so far */
	/* Hands the block to the host; returns when the host is done. */
	void (*sally)(void *ctx);
	/* The host lied; must not return. */
	void (*attacked)(void *ctx, const char *why);
	void *ctx;
};

/* One staged item. Offsets handed out by sp_item_put/reserve are the guest's
 * own record; replies are copied back only from those ranges. */
struct sp_item {
	uint8_t *hdr;    /* the item header in the block */
	uint64_t kind;   /* SP_ITEM_SYSCALL or SP_ITEM_ENARXCALL */
	uint8_t *data;   /* its data area */
	size_t data_len; /* bytes reserved for data */
	size_t data_used;
};

/* How a syscall argument travels. */
enum sp_arg_kind {
	SP_VAL = 0, /* plain integer */
	SP_IN,      /* buffer copied to the host */
	SP_OUT,     /* buffer filled by the host, copied back whole */
	SP_OUT_RET, /* buffer filled by the host, ret bytes copied back */
	SP_INOUT,   /* both */
};

struct sp_arg {
	enum sp_arg_kind kind;
	uint64_t val; /* SP_VAL */
	void *ptr;    /* buffers; NULL passes SP_NULL */
	size_t len;
};

void sp_guest_init(struct sp_guest *g, void *block, void (*sally)(void *ctx),
                   void (*attacked)(void *ctx, const char *why), void *ctx);

/* Starts a new block (forgets staged items). */
void sp_guest_begin(struct sp_guest *g);

/* Stages an item of kind with room for data_len data bytes; fills the fixed
 * part with num and zero arguments. Returns 0, or -1 if the block is full. */
int sp_guest_add(struct sp_guest *g, uint64_t kind, uint64_t num, size_t data_len,
                 struct sp_item *it);

/* Pointer to argument i (0..5 syscall, 0..3 enarxcall) of a staged item. */
void sp_item_set_arg(struct sp_item *it, unsigned i, uint64_t v);

/* Copies n bytes into the data area; returns their offset. */
uint64_t sp_item_put(struct sp_item *it, const void *src, size_t n);
/* Reserves n bytes of the data area; returns their offset. */
uint64_t sp_item_reserve(struct sp_item *it, size_t n);

/* Ends the block and hands it to the host. Afterwards only the result words
 * and staged data ranges are read back, each once: the guest never trusts
 * the headers, sizes or offsets found in the block. */
void sp_guest_sally(struct sp_guest *g);

/* The result word of an item, read once. */
int64_t sp_item_ret(const struct sp_item *it);

/* Copies n bytes from the data area at off (a range the guest staged). */
void sp_item_get(const struct sp_item *it, uint64_t off, void *dst, size_t n);

/* Performs one syscall with args described by a[0..n). The result must be
 * -4095..-1 (an errno) or 0..max_ret; anything else is an attack. Output
 * buffers are copied back only on success. Buffers larger than one block
 * are the caller's to split. Returns the result or -E2BIG (the buffers do
 * not fit). */
int64_t sp_guest_syscall(struct sp_guest *g, uint64_t num, const struct sp_arg *a, unsigned n,
                         uint64_t max_ret);

/* Convenience wrappers. read/write move at most SP_MAX_DATA bytes per call
 * (a short count, as Linux allows). */
int64_t sp_guest_read(struct sp_guest *g, int fd, void *buf, size_t len);
int64_t sp_guest_write(struct sp_guest *g, int fd, const void *buf, size_t len);

/* An enarx call with one data buffer (in or out, by kind) and up to two more
 * integer arguments; the result must be -4095..-1 or 0..max_ret. */
int64_t sp_guest_enarxcall(struct sp_guest *g, uint64_t num, enum sp_arg_kind kind, void *buf,
                           size_t len, uint64_t a2, uint64_t a3, uint64_t max_ret);

#endif
