/* SPDX-License-Identifier: Apache-2.0 */
/* Guest side of the sallyport (see guest.h). Freestanding: no libc calls
 * beyond the compiler's memcpy/memset builtins. */
#include "sallyport/guest.h"

#define HDR sizeof(struct sp_header)

static size_t align8(size_t n)
{
	return (n + (SP_ALIGN - 1)) & ~(size_t)(SP_ALIGN - 1);
}

void sp_guest_init(struct sp_guest *g, void *block, void (*sally)(void *ctx),
                   void (*attacked)(void *ctx, const char *why), void *ctx)
{
	g->block = block;
	g->used = 0;
	g->sally = sally;
	g->attacked = attacked;
	g->ctx = ctx;
}

void sp_guest_begin(struct sp_guest *g)
{
	g->used = 0;
}

static size_t fixed_size(uint64_t kind)
{
	return kind == SP_ITEM_SYSCALL ? sizeof(struct sp_syscall) : sizeof(struct sp_enarxcall);
}

int sp_guest_add(struct sp_guest *g, uint64_t kind, uint64_t num, size_t data_len,
                 struct sp_item *it)
{
	size_t fixed = fixed_size(kind);
	size_t room = SP_BLOCK_SIZE - HDR; /* keep room for END */

	if (data_len > SP_BLOCK_SIZE)
		return -1;
	size_t size = fixed + align8(data_len);
	if (g->used > room || HDR + size > room - g->used)
		return -1;
	uint8_t *hdr = g->block + g->used;
	struct sp_header h = {.size = size, .kind = kind};
	__builtin_memcpy(hdr, &h, sizeof(h));
	__builtin_memset(hdr + HDR, 0, fixed);
	__builtin_memcpy(hdr + HDR, &num, sizeof(num));
	it->hdr = hdr;
	it->kind = kind;
	it->data = hdr + HDR + fixed;
	it->data_len = data_len;
	it->data_used = 0;
	g->used += HDR + size;
	return 0;
}

void sp_item_set_arg(struct sp_item *it, unsigned i, uint64_t v)
{
	/* num comes first, then the arguments, in both item kinds. */
	__builtin_memcpy(it->hdr + HDR + 8 + 8 * (size_t)i, &v, sizeof(v));
}

uint64_t sp_item_reserve(struct sp_item *it, size_t n)
{
	uint64_t off = it->data_used;
	/* Callers size the item from the same lengths; overrun is a bug. */
	if (n > it->data_len - it->data_used)
		__builtin_trap();
	it->data_used += n;
	return off;
}

uint64_t sp_item_put(struct sp_item *it, const void *src, size_t n)
{
	uint64_t off = sp_item_reserve(it, n);
	if (n)
		__builtin_memcpy(it->data + off, src, n);
	return off;
}

void sp_guest_sally(struct sp_guest *g)
{
	struct sp_header end = {.size = 0, .kind = SP_ITEM_END};
	__builtin_memcpy(g->block + g->used, &end, sizeof(end));
	g->sally(g->ctx);
}

int64_t sp_item_ret(const struct sp_item *it)
{
	uint64_t v;
	/* The position comes from the guest's own record of the kind, never
	 * from the (shared, host-writable) header. */
	size_t at = HDR + (it->kind == SP_ITEM_SYSCALL ? offsetof(struct sp_syscall, ret)
	                                               : offsetof(struct sp_enarxcall, ret));
	__builtin_memcpy(&v, it->hdr + at, sizeof(v));
	return (int64_t)v;
}

void sp_item_get(const struct sp_item *it, uint64_t off, void *dst, size_t n)
{
	if (off > it->data_used || n > it->data_used - off)
		__builtin_trap(); /* our own bookkeeping */
	if (n)
		__builtin_memcpy(dst, it->data + off, n);
}

static int is_buf(enum sp_arg_kind k)
{
	return k != SP_VAL;
}

static int copies_in(enum sp_arg_kind k)
{
	return k == SP_IN || k == SP_INOUT;
}

int64_t sp_guest_syscall(struct sp_guest *g, uint64_t num, const struct sp_arg *a, unsigned n,
                         uint64_t max_ret)
{
	struct sp_item it;
	uint64_t off[6];
	size_t data = 0;

	if (n > 6)
		return -22; /* EINVAL */
	for (unsigned i = 0; i < n; i++) {
		if (!is_buf(a[i].kind) || !a[i].ptr)
			continue;
		if (a[i].len > SP_MAX_DATA || data > SP_MAX_DATA - a[i].len)
			return -7; /* E2BIG */
		data += align8(a[i].len);
	}
	sp_guest_begin(g);
	if (sp_guest_add(g, SP_ITEM_SYSCALL, num, data, &it) < 0)
		return -7;
	for (unsigned i = 0; i < n; i++) {
		uint64_t v = a[i].val;
		if (is_buf(a[i].kind)) {
			if (!a[i].ptr) {
				v = SP_NULL;
			} else if (copies_in(a[i].kind)) {
				v = sp_item_put(&it, a[i].ptr, a[i].len);
			} else {
				v = sp_item_reserve(&it, a[i].len);
				__builtin_memset(it.data + v, 0, a[i].len);
			}
			it.data_used = align8(it.data_used);
			off[i] = v;
		}
		sp_item_set_arg(&it, i, v);
	}
	sp_guest_sally(g);

	int64_t ret = sp_item_ret(&it);
	if (ret < 0) {
		if (ret < -4095)
			g->attacked(g->ctx, "impossible errno from host");
		return ret;
	}
	if ((uint64_t)ret > max_ret)
		g->attacked(g->ctx, "host result larger than the request");
	for (unsigned i = 0; i < n; i++) {
		if (!is_buf(a[i].kind) || !a[i].ptr || a[i].kind == SP_IN)
			continue;
		size_t len = a[i].len;
		if (a[i].kind == SP_OUT_RET && (uint64_t)ret < len)
			len = (size_t)ret;
		sp_item_get(&it, off[i], a[i].ptr, len);
	}
	return ret;
}

int64_t sp_guest_read(struct sp_guest *g, int fd, void *buf, size_t len)
{
	if (len > SP_MAX_DATA)
		len = SP_MAX_DATA;
	struct sp_arg a[3] = {
	    {.kind = SP_VAL, .val = (uint64_t)(int64_t)fd},
	    {.kind = SP_OUT_RET, .ptr = buf, .len = len},
	    {.kind = SP_VAL, .val = len},
	};
	return sp_guest_syscall(g, 0 /* read */, a, 3, len);
}

int64_t sp_guest_write(struct sp_guest *g, int fd, const void *buf, size_t len)
{
	if (len > SP_MAX_DATA)
		len = SP_MAX_DATA;
	struct sp_arg a[3] = {
	    {.kind = SP_VAL, .val = (uint64_t)(int64_t)fd},
	    {.kind = SP_IN, .ptr = (void *)(uintptr_t)buf, .len = len},
	    {.kind = SP_VAL, .val = len},
	};
	return sp_guest_syscall(g, 1 /* write */, a, 3, len);
}

int64_t sp_guest_enarxcall(struct sp_guest *g, uint64_t num, enum sp_arg_kind kind, void *buf,
                           size_t len, uint64_t a2, uint64_t a3, uint64_t max_ret)
{
	struct sp_item it;
	if (len > SP_MAX_DATA)
		return -7;
	sp_guest_begin(g);
	if (sp_guest_add(g, SP_ITEM_ENARXCALL, num, len, &it) < 0)
		return -7;
	uint64_t off = copies_in(kind) ? sp_item_put(&it, buf, len) : sp_item_reserve(&it, len);
	if (!copies_in(kind))
		__builtin_memset(it.data + off, 0, len);
	sp_item_set_arg(&it, 0, off);
	sp_item_set_arg(&it, 1, len);
	sp_item_set_arg(&it, 2, a2);
	sp_item_set_arg(&it, 3, a3);
	sp_guest_sally(g);
	int64_t ret = sp_item_ret(&it);
	if (ret < 0) {
		if (ret < -4095)
			g->attacked(g->ctx, "impossible errno from host");
		return ret;
	}
	if ((uint64_t)ret > max_ret)
		g->attacked(g->ctx, "host result larger than the request");
	if (kind != SP_IN) {
		size_t n = kind == SP_OUT_RET ? (size_t)ret : len;
		sp_item_get(&it, off, buf, n);
	}
	return ret;
}
