/* SPDX-License-Identifier: Apache-2.0 */
/* Bounded whole-file reads (see file.h): open non-blocking, fstat, refuse
 * anything but a regular file, then read until end of file or max. */
#include "lib/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static const char *kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file";
}

/* Reads fd to its end into out (already holding `base` bytes of the caller's). */
static int read_to_end(int fd, const char *path, size_t max, struct buf *out, size_t base,
                       char *err, size_t errlen)
{
	for (;;) {
		size_t room = max - (out->len - base) + 1; /* +1 sees a file over max */
		ssize_t n;

		if (room > 65536)
			room = 65536;
		if (buf_reserve(out, room))
			return fail(err, errlen, ENARX_E_NOMEM, "out of memory reading %s", path);
		n = read(fd, out->data + out->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(err, errlen, ENARX_E_IO, "cannot read %s: %s", path,
			            strerror(errno));
		if (n == 0)
			return 0;
		out->len += (size_t)n;
		if (out->len - base > max)
			return fail(err, errlen, ENARX_E_OVERFLOW, "%s is larger than %zu bytes",
			            path, max);
	}
}

int file_read_all(const char *path, size_t max, struct buf *out, char *err, size_t errlen)
{
	size_t base = out->len;
	struct stat st;
	int fd, rc;

	if (errlen)
		err[0] = 0;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, errno == ENOENT ? ENARX_E_NOTFOUND : ENARX_E_IO,
		            "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = fail(err, errlen, ENARX_E_IO, "cannot stat %s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		rc = fail(err, errlen, ENARX_E_INVAL, "%s is %s, not a regular file", path,
		          kind_of(st.st_mode));
	} else if ((unsigned long long)st.st_size > max) {
		rc = fail(err, errlen, ENARX_E_OVERFLOW, "%s is larger than %zu bytes", path, max);
	} else {
		rc = read_to_end(fd, path, max, out, base, err, errlen);
	}
	close(fd);
	if (rc)
		out->len = base;
	return rc;
}
