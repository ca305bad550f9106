/* SPDX-License-Identifier: Apache-2.0 */
/* The scripted test backend (script_backend.h). */
#include "script_backend.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/err.h"

struct backend_keep {
	int efd;
	int status;
};

static const void *script;
static size_t script_len;
static int script_status;

void script_backend_set(const void *bytes, size_t len, int status)
{
	script = bytes;
	script_len = len;
	script_status = status;
}

static int s_start(const struct keep_launch *l, struct backend_keep **out)
{
	struct backend_keep *k = calloc(1, sizeof(*k));
	const uint8_t *p = script;
	size_t left = script_len;
	uint64_t one = 1;

	if (!k)
		return ENARX_E_NOMEM;
	while (left) {
		ssize_t w = write(l->keep_fd, p, left);

		if (w <= 0)
			break;
		p += w;
		left -= (size_t)w;
	}
	k->status = script_status;
	k->efd = eventfd(0, EFD_CLOEXEC);
	if (k->efd < 0 || write(k->efd, &one, sizeof(one)) != sizeof(one)) {
		if (k->efd >= 0)
			close(k->efd);
		free(k);
		return ENARX_E_IO;
	}
	*out = k;
	return 0;
}

static int s_fd(const struct backend_keep *k)
{
	return k->efd;
}

static int s_wait(struct backend_keep *k, int *exit_code)
{
	*exit_code = k->status;
	return 0;
}

static int s_kill(struct backend_keep *k)
{
	(void)k;
	return 0;
}

static void s_free(struct backend_keep *k)
{
	if (!k)
		return;
	close(k->efd);
	free(k);
}

const struct backend script_backend = {
    .name = "script",
    .start = s_start,
    .fd = s_fd,
    .wait = s_wait,
    .kill = s_kill,
    .free = s_free,
};
