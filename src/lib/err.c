/* SPDX-License-Identifier: Apache-2.0 */
/* Message and name tables generated from err.def. */
#include "lib/err.h"

static const char *const messages[] = {
#define X(name, msg) msg,
#include "lib/err.def"
#undef X
};

static const char *const names[] = {
#define X(name, msg) #name,
#include "lib/err.def"
#undef X
};

static int index_of(int rc)
{
	if (rc >= 0 || rc < -ENARX__ERR_COUNT)
		return -1;
	return -rc - 1;
}

const char *enarx_strerror(int rc)
{
	int i = index_of(rc);

	if (rc == 0)
		return "ok";
	return i < 0 ? "unknown error" : messages[i];
}

const char *enarx_errname(int rc)
{
	int i = index_of(rc);

	if (rc == 0)
		return "ENARX_OK";
	return i < 0 ? "ENARX_E_UNKNOWN" : names[i];
}
