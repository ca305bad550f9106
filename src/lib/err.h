/* SPDX-License-Identifier: Apache-2.0 */
/* Project-wide error codes. Functions return 0 on success or a negative
 * ENARX_E_* value; details that need more than the code live on the object
 * that failed (e.g. a parser's error string). */
#ifndef ENARX_LIB_ERR_H
#define ENARX_LIB_ERR_H

enum enarx__err_index {
#define X(name, msg) name##__IDX,
#include "lib/err.def"
#undef X
	ENARX__ERR_COUNT
};

enum enarx_err {
	ENARX_OK = 0,
#define X(name, msg) name = -(name##__IDX + 1),
#include "lib/err.def"
#undef X
};

/* Returns the message for rc (negative code, or 0 for "ok"); never NULL. */
const char *enarx_strerror(int rc);

/* Returns the symbolic name ("ENARX_E_NOMEM") for rc; never NULL. */
const char *enarx_errname(int rc);

#endif
