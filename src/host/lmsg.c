/* SPDX-License-Identifier: Apache-2.0 */
/* The launcher protocol's table and its payload checks (lmsg.h). Every
 * payload is read through lib/cursor.h; each decoder fails closed. */
#include "host/lmsg.h"

#include <stdio.h>
#include <string.h>

#include "keep/session.h"
#include "lib/cursor.h"
#include "lib/err.h"

const struct chan_type lm_types[] = {
    {LM_FD, "FD", 4, 4, true},
    {LM_CREATE, "CREATE", sizeof(struct lm_create), sizeof(struct lm_create), false},
    {LM_KILL, "KILL", 0, 0, false},
    {LM_STARTED, "STARTED", sizeof(struct lm_started), sizeof(struct lm_started), false},
    {LM_ENDED, "ENDED", sizeof(struct lm_ended), sizeof(struct lm_ended) + LM_TEXT_MAX, false},
};
const size_t lm_ntypes = sizeof(lm_types) / sizeof(lm_types[0]);

static int bad(char *why, size_t whylen, const char *msg)
{
	snprintf(why, whylen, "%s", msg);
	return ENARX_E_MALFORMED;
}

/* A backend name: NUL inside the field, only [a-z0-9] before it. */
static int name_ok(const char name[LM_NAME_MAX])
{
	const char *nul = memchr(name, 0, LM_NAME_MAX);

	if (!nul)
		return 0;
	for (const char *c = name; c < nul; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
			return 0;
	return 1;
}

int lm_dec_create(const uint8_t *p, size_t len, struct lm_create *out, char *why, size_t whylen)
{
	struct cursor c;

	cursor_init(&c, p, len);
	if (len != sizeof(*out) || cursor_copy(&c, out, sizeof(*out)))
		return bad(why, whylen, "CREATE: wrong payload size");
	if (!name_ok(out->backend))
		return bad(why, whylen, "CREATE: backend name not terminated or not [a-z0-9]");
	if (out->net > 1 || out->pad != 0)
		return bad(why, whylen, "CREATE: net must be 0 or 1 and pad 0");
	return 0;
}

int lm_dec_fd(const uint8_t *p, size_t len, uint32_t *which, char *why, size_t whylen)
{
	struct cursor c;

	cursor_init(&c, p, len);
	if (len != 4 || cursor_copy(&c, which, 4))
		return bad(why, whylen, "FD: wrong payload size");
	if (*which >= LM_NPIPES)
		return bad(why, whylen, "FD: unknown pipe");
	return 0;
}

int lm_dec_started(const uint8_t *p, size_t len, struct lm_started *out, char *why, size_t whylen)
{
	struct cursor c;

	cursor_init(&c, p, len);
	if (len != sizeof(*out) || cursor_copy(&c, out, sizeof(*out)))
		return bad(why, whylen, "STARTED: wrong payload size");
	if (!name_ok(out->backend) || out->rc > 0 || out->pad != 0 || out->pid < 0)
		return bad(why, whylen, "STARTED: bad backend name, rc, pad or pid");
	return 0;
}

int lm_dec_ended(const uint8_t *p, size_t len, struct lm_ended *out, const char **text,
                 size_t *textlen, char *why, size_t whylen)
{
	struct cursor c;

	cursor_init(&c, p, len);
	if (cursor_copy(&c, out, sizeof(*out)))
		return bad(why, whylen, "ENDED: shorter than its header");
	if (out->result > KEEP_NO_RESULT || out->result == KEEP_RUNNING || out->killed > 1)
		return bad(why, whylen, "ENDED: result or killed out of range");
	*textlen = cursor_left(&c);
	*text = (const char *)p + sizeof(*out);
	if (*textlen > LM_TEXT_MAX || memchr(*text, 0, *textlen))
		return bad(why, whylen, "ENDED: text too long or holds NUL");
	return 0;
}
