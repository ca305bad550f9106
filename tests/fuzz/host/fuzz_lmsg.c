/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the launcher protocol (src/host/lmsg.h) as the launcher and
 * the network process receive it: chan_decode against lm_types, then the
 * payload check of the decoded type. The first byte says whether a
 * descriptor "arrived"; the rest is the datagram. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "host/lmsg.h"
#include "keep/proto.h"
#include "lib/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void payload(const struct chan_msg *m)
{
	struct lm_create c;
	struct lm_started s;
	struct lm_ended e;
	struct lm_tee t;
	const char *text;
	size_t tl;
	uint32_t which;
	char why[128];

	switch (m->type) {
	case LM_CREATE:
		if (lm_dec_create(m->data, m->len, &c, why, sizeof(why)) == 0)
			assert(memchr(c.backend, 0, sizeof(c.backend)) && c.net <= 1);
		break;
	case LM_FD:
		if (lm_dec_fd(m->data, m->len, &which, why, sizeof(why)) == 0)
			assert(which < LM_NPIPES);
		break;
	case LM_STARTED:
		if (lm_dec_started(m->data, m->len, &s, why, sizeof(why)) == 0)
			assert(s.rc <= 0 && memchr(s.backend, 0, sizeof(s.backend)));
		break;
	case LM_ENDED:
		if (lm_dec_ended(m->data, m->len, &e, &text, &tl, why, sizeof(why)) == 0)
			assert(tl <= LM_TEXT_MAX && text + tl <= (const char *)m->data + m->len &&
			       !memchr(text, 0, tl));
		break;
	case LM_TEE:
		if (lm_dec_tee(m->data, m->len, &t, why, sizeof(why)) == 0)
			assert(t.kind <= KP_TEE_OTHER &&
			       (!t.has_measurement || t.kind == KP_TEE_KVM));
		break;
	default: break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lm_tee t;
	struct chan_msg m;
	char why[160];

	if (size < 1)
		return 0;
	if (chan_decode(lm_types, lm_ntypes, data + 1, size - 1, data[0] & 1, &m, why,
	                sizeof(why)) == 0) {
		assert(m.len + CHAN_HDR_SIZE == size - 1);
		payload(&m);
	}
	/* the launcher's reading of a Keep's MEASURE message */
	if (lm_measurement(data, size, &t) == 0)
		assert(t.kind == KP_TEE_KVM && t.has_measurement);
	return 0;
}
