/* SPDX-License-Identifier: Apache-2.0 */
/* Reading a whole user-named file (a module, Enarx.toml, a policy, evidence)
 * into memory, bounded: the one place that decides what such a path may be
 * (a regular file, not a directory, FIFO or device) and how big it may be. */
#ifndef ENARX_LIB_FILE_H
#define ENARX_LIB_FILE_H

#include <stddef.h>

#include "lib/buf.h"

/* Appends the contents of the regular file at path to out, at most max
 * bytes. The file is opened with O_NONBLOCK and checked with fstat() before
 * any read, so a FIFO or device is refused without blocking.
 * Returns 0, or (with "<what> <path>..." in err, errlen bytes, always NUL-
 * terminated when errlen > 0; out keeps what it had on error):
 *   ENARX_E_NOTFOUND  no such file,
 *   ENARX_E_INVAL     a directory, FIFO, socket or device,
 *   ENARX_E_OVERFLOW  larger than max bytes,
 *   ENARX_E_IO        open or read failed otherwise (errno's text in err),
 *   ENARX_E_NOMEM. */
int file_read_all(const char *path, size_t max, struct buf *out, char *err, size_t errlen);

#endif
