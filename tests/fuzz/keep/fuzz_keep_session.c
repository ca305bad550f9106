/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target: the keep protocol as the host receives it. The input is what
 * a (hostile) Keep writes to fd 3; a real keep_session reads, decodes and
 * judges it through the scripted test backend. */
#include <stddef.h>
#include <stdint.h>

#include "keep/session.h"
#include "script_backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keep_session_opts so = {.backend = &script_backend};
	struct keep_session *s;
	struct keep_outcome o;

	if (size > 65536)
		return 0; /* the script must fit in the socket buffer */
	script_backend_set(data, size, 0);
	if (keep_session_new(&so, &s))
		return 0;
	if (keep_session_start(s) == 0 && keep_session_wait(s) == 0)
		(void)keep_session_outcome(s, &o);
	keep_session_free(s);
	return 0;
}
