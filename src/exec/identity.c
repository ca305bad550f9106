/* SPDX-License-Identifier: Apache-2.0 */
/* The Keep's unprivileged identity (identity.h). Raw system calls: in a
 * static, single-threaded executor there are no other threads for glibc's
 * set*id broadcast, and the calls must not be retried or emulated. */
#include "exec/identity.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/log.h"

/* "UID:GID", each a decimal number below 2^31 and not 0. */
static int parse_ids(const char *s, long *uid, long *gid)
{
	char *end;

	errno = 0;
	*uid = strtol(s, &end, 10);
	if (errno || end == s || *end != ':' || *uid <= 0 || *uid > 0x7fffffff)
		return -1;
	s = end + 1;
	*gid = strtol(s, &end, 10);
	if (errno || end == s || *end || *gid <= 0 || *gid > 0x7fffffff)
		return -1;
	return 0;
}

int exec_drop_identity(void)
{
	const char *ids = getenv("ENARX_KEEP_UID");
	long uid, gid;

	if (!ids || !*ids)
		return 0;
	if (parse_ids(ids, &uid, &gid) != 0) {
		log_error("exec: ENARX_KEEP_UID '%s' is not UID:GID", ids);
		return -1;
	}
	/* groups first (they need CAP_SETGID), the uid last: leaving uid 0
	 * clears the permitted, effective and ambient capabilities */
	if (syscall(SYS_setgroups, 0, NULL) != 0 || syscall(SYS_setresgid, gid, gid, gid) != 0 ||
	    syscall(SYS_setresuid, uid, uid, uid) != 0) {
		log_error("exec: cannot become uid %ld, gid %ld: %s", uid, gid, strerror(errno));
		return -1;
	}
	if (getuid() != (uid_t)uid || geteuid() != (uid_t)uid || getgid() != (gid_t)gid) {
		log_error("exec: still not uid %ld, gid %ld", uid, gid);
		return -1;
	}
	log_debug("exec: running as uid %ld, gid %ld", uid, gid);
	return 0;
}
