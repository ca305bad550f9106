/* SPDX-License-Identifier: Apache-2.0 */
/* The in-process host of `enarx deploy` without --host (deploy.h): one
 * Keep session (keep/session.h) on a local backend whose frames the
 * transport carries. It plays the host's part and no more: it relays
 * frames and never sees a key. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backend/backend.h"
#include "deploy/deploy.h"
#include "keep/session.h"
#include "lib/alloc.h"
#include "lib/err.h"

struct frame {
	struct frame *next;
	uint32_t type;
	size_t len;
	uint8_t data[];
};

struct deploy_local {
	struct keep_session *s;
	struct frame *head, **tail; /* frames from the Keep, oldest first */
	int nomem, ended;
	int devnull;
};

/* The session's observer: queue a copy (called with the session locked). */
static void on_message(void *ctx, uint32_t type, const uint8_t *p, size_t len)
{
	struct deploy_local *l = ctx;
	struct frame *f = xmalloc(sizeof(*f) + len);

	if (!f) {
		l->nomem = 1;
		return;
	}
	f->next = NULL;
	f->type = type;
	f->len = len;
	if (len)
		memcpy(f->data, p, len);
	*l->tail = f;
	l->tail = &f->next;
}

static int l_send(void *ctx, uint32_t type, const uint8_t *p, size_t len)
{
	struct deploy_local *l = ctx;

	return keep_session_send(l->s, type, p, len);
}

static int pop(struct deploy_local *l, uint32_t *type, uint8_t **p, size_t *len)
{
	struct frame *f = l->head;

	l->head = f->next;
	if (!l->head)
		l->tail = &l->head;
	*type = f->type;
	*len = f->len;
	*p = xmalloc(f->len ? f->len : 1);
	if (!*p) {
		xfree(f);
		return ENARX_E_NOMEM;
	}
	memcpy(*p, f->data, f->len);
	xfree(f);
	return 0;
}

static int l_recv(void *ctx, int timeout_ms, uint32_t *type, uint8_t **p, size_t *len)
{
	struct deploy_local *l = ctx;
	struct pollfd pf = {.fd = keep_session_fd(l->s), .events = POLLIN};
	int rc;

	for (;;) {
		if (l->nomem)
			return ENARX_E_NOMEM;
		if (l->head)
			return pop(l, type, p, len);
		if (l->ended)
			return ENARX_E_NOTFOUND;
		rc = keep_session_pump(l->s);
		if (rc != 0) {
			l->ended = 1; /* ended (1) or broke down (<0): no more frames */
			continue;
		}
		if (l->head)
			continue;
		rc = poll(&pf, 1, timeout_ms);
		if (rc == 0)
			return 1;
		if (rc < 0 && errno != EINTR)
			return ENARX_E_IO;
	}
}

static void l_close_input(void *ctx)
{
	struct deploy_local *l = ctx;

	keep_session_close_input(l->s);
}

int deploy_local_new(const struct backend *be, struct deploy_local **out,
                     struct deploy_transport *t)
{
	struct keep_session_opts so = {.backend = be, .on_message = on_message};
	struct deploy_local *l = xcalloc(1, sizeof(*l));
	int stdio[3], rc = ENARX_E_NOMEM;

	*out = NULL;
	if (!l)
		return rc;
	l->tail = &l->head;
	l->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (l->devnull < 0) {
		rc = ENARX_E_IO;
		goto fail;
	}
	/* the workload's stdio travels sealed in the protocol; the Keep's
	 * own fds 0 and 1 lead nowhere, 2 carries the executor's log */
	stdio[0] = stdio[1] = l->devnull;
	stdio[2] = STDERR_FILENO;
	so.stdio = stdio;
	so.ctx = l;
	so.exec = backend_exec_image(&so.exec_len);
	rc = keep_session_new(&so, &l->s);
	if (!rc)
		rc = keep_session_start(l->s);
	if (rc)
		goto fail;
	*t = (struct deploy_transport){l_send, l_recv, l_close_input, l};
	*out = l;
	return 0;
fail:
	deploy_local_free(l);
	return rc;
}

void deploy_local_free(struct deploy_local *l)
{
	if (!l)
		return;
	keep_session_free(l->s);
	while (l->head) {
		struct frame *f = l->head;

		l->head = f->next;
		xfree(f);
	}
	if (l->devnull >= 0)
		close(l->devnull);
	xfree(l);
}
