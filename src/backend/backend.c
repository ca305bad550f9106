/* SPDX-License-Identifier: Apache-2.0 */
/* The backend table (auto-pick order) and the embedded executor image. The
 * table is the only list of backends: `enarx platform info` probes each
 * entry, enarx run picks from the runnable ones. */
#include "backend/backend.h"
#include "backend/platform.h"

#include <string.h>

#include "lib/cursor.h"

/* In auto-pick order: sgx, sev, tdx, kvm, nil. Backends add one line. */
static const struct backend *const backends[] = {
    &backend_sgx, &backend_sev, &backend_tdx, &backend_kvm, &backend_nil,
};

#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))
_Static_assert(NBACKENDS == PLATFORM_NBACKENDS, "a platform report has a slot per backend");

const struct backend *backend_all(size_t i)
{
	return i < NBACKENDS ? backends[i] : NULL;
}

size_t backend_count(void)
{
	size_t n = 0;
	for (size_t i = 0; i < NBACKENDS; i++)
		n += backends[i]->start != NULL;
	return n;
}

const struct backend *backend_at(size_t i)
{
	for (size_t j = 0; j < NBACKENDS; j++)
		if (backends[j]->start && i-- == 0)
			return backends[j];
	return NULL;
}

const struct backend *backend_find(const char *name)
{
	for (size_t i = 0; i < NBACKENDS; i++)
		if (backends[i]->start && strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

int backend_run(const struct backend *be, const struct keep_launch *launch, int *exit_code)
{
	struct backend_keep *k;
	int rc = be->start(launch, &k);

	if (rc)
		return rc;
	rc = be->wait(k, exit_code);
	be->free(k);
	return rc;
}

int backend_usable(const struct backend *be, char *why, size_t n)
{
	struct platform_backend b;

	platform_probe_one(be, &b);
	if (why && n)
		platform_why_not(&b, why, n);
	return b.usable;
}

const struct backend *backend_default(void)
{
	/* The platform probes decide, so `enarx platform info` shows exactly
	 * the backend picked here. */
	const struct backend *b = backend_find(platform_default_name());

	return b ? b : &backend_nil;
}

#ifdef ENARX_HAVE_EXEC
extern const unsigned char enarx_exec_image[];
extern const unsigned char enarx_exec_image_end[];

const void *backend_exec_image(size_t *len)
{
	*len = (size_t)(enarx_exec_image_end - enarx_exec_image);
	return enarx_exec_image;
}
#else
const void *backend_exec_image(size_t *len)
{
	*len = 0;
	return NULL;
}
#endif

bool backend_exec_is_dynamic(const uint8_t *elf, size_t len)
{
	struct cursor c, ph;
	uint64_t phoff;
	uint16_t phent, phnum;
	uint32_t type;

	cursor_init(&c, elf, len);
	if (cursor_skip(&c, 32) || cursor_u64le(&c, &phoff) || cursor_skip(&c, 14) ||
	    cursor_u16le(&c, &phent) || cursor_u16le(&c, &phnum) || phent != 56)
		return false;
	for (uint16_t i = 0; i < phnum; i++) {
		cursor_init(&ph, elf, len);
		if (phoff > len || cursor_skip(&ph, phoff + (size_t)i * 56) ||
		    cursor_u32le(&ph, &type))
			return false;
		if (type == 3 /* PT_INTERP */)
			return true;
	}
	return false;
}
