/* SPDX-License-Identifier: Apache-2.0 */
/* The launcher protocol's table and its payload checks (lmsg.h). Every
 * payload is read through lib/cursor.h; each decoder fails closed. */
#include "host/lmsg.h"

#include <stdio.h>
#include <string.h>

#include "keep/abi.h"
#include "keep/proto.h"
#include "keep/session.h"
#include "lib/cursor.h"
#include "lib/err.h"

const struct chan_type lm_types[] = {
    {LM_FD, "FD", 4, 4, true},
    {LM_CREATE, "CREATE", sizeof(struct lm_create), sizeof(struct lm_create), false},
    {LM_KILL, "KILL", 0, 0, false},
    {LM_STARTED, "STARTED", sizeof(struct lm_started), sizeof(struct lm_started), false},
    {LM_ENDED, "ENDED", sizeof(struct lm_ended), sizeof(struct lm_ended) + LM_TEXT_MAX, false},
    {LM_TEE, "TEE", sizeof(struct lm_tee), sizeof(struct lm_tee), false},
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
	if (out->net > 1)
		return bad(why, whylen, "CREATE: net must be 0 or 1");
	if ((out->lim_memory && (out->lim_memory < KEEP_LIMIT_MEMORY_MIN ||
	                         out->lim_memory > KEEP_LIMIT_MEMORY_MAX)) ||
	    out->lim_wall_ms > KEEP_LIMIT_WALL_MS_MAX || out->lim_output > KEEP_LIMIT_OUTPUT_MAX ||
	    (out->lim_fds &&
	     (out->lim_fds < KEEP_LIMIT_FDS_MIN || out->lim_fds > KEEP_LIMIT_FDS_MAX)))
		return bad(why, whylen, "CREATE: a limit out of its range");
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
	if (out->result > KEEP_NO_RESULT || out->result == KEEP_RUNNING || out->killed > 1 ||
	    out->timed_out > 1 || out->usage > 1)
		return bad(why, whylen, "ENDED: result, killed, timed_out or usage out of range");
	*textlen = cursor_left(&c);
	*text = (const char *)p + sizeof(*out);
	if (*textlen > LM_TEXT_MAX || memchr(*text, 0, *textlen))
		return bad(why, whylen, "ENDED: text too long or holds NUL");
	return 0;
}

int lm_dec_tee(const uint8_t *p, size_t len, struct lm_tee *out, char *why, size_t whylen)
{
	struct cursor c;

	cursor_init(&c, p, len);
	if (len != sizeof(*out) || cursor_copy(&c, out, sizeof(*out)))
		return bad(why, whylen, "TEE: wrong payload size");
	if (out->kind > KP_TEE_OTHER || out->has_measurement > 1 ||
	    (out->has_measurement && out->kind != KP_TEE_KVM))
		return bad(why, whylen, "TEE: kind or has_measurement out of range");
	return 0;
}

int lm_measurement(const uint8_t *p, size_t len, struct lm_tee *out)
{
	const uint8_t *ev;
	struct keep_kvm_evidence e;
	size_t evlen;
	uint32_t kind;

	memset(out, 0, sizeof(*out));
	if (kp_dec_measure(p, len, &kind, &ev, &evlen) != 0)
		return ENARX_E_MALFORMED;
	out->kind = kind;
	if (kind != KP_TEE_KVM || evlen != sizeof(e))
		return ENARX_E_MALFORMED;
	memcpy(&e, ev, sizeof(e));
	if (memcmp(e.magic, KEEP_KVM_EVIDENCE_MAGIC, KEEP_KVM_EVIDENCE_MAGIC_LEN) != 0 ||
	    e.version != KEEP_KVM_EVIDENCE_VERSION)
		return ENARX_E_MALFORMED;
	_Static_assert(sizeof(out->measurement) == sizeof(e.measurement), "SHA-384 both");
	memcpy(out->measurement, e.measurement, sizeof(out->measurement));
	out->has_measurement = 1;
	return 0;
}
