/* SPDX-License-Identifier: Apache-2.0 */
/* Landlock ruleset of the executor (see landlock.h): every file-system right
 * the kernel knows is handled (denied by default), each preopened directory
 * gets read (and, unless read-only, write) rights beneath it, TCP bind and
 * connect are denied (ABI 4+), and signals and abstract Unix sockets are
 * scoped to the Keep (ABI 6+). */
#include "exec/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/err.h"

#include "lib/sanitize.h"
#include "lib/log.h"

/* File-system rights by ABI version (each adds to the previous). */
static uint64_t fs_rights(long abi)
{
	uint64_t r = (1ULL << 13) - 1; /* v1: EXECUTE .. MAKE_SYM */

	if (abi >= 2)
		r |= 1ULL << 13; /* REFER */
	if (abi >= 3)
		r |= 1ULL << 14; /* TRUNCATE */
	if (abi >= 5)
		r |= 1ULL << 15; /* IOCTL_DEV */
	return r;
}

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
/* What a writable preopen allows: everything but exec and special files. */
#define FS_DENY_ALWAYS                                                  \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_MAKE_CHAR |    \
	 LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | \
	 LANDLOCK_ACCESS_FS_MAKE_SOCK | (1ULL << 15))

/* Mirrors struct landlock_ruleset_attr of ABI 6 (older kernels take a
 * prefix of it: the size passed says how much). */
struct ll_attr {
	uint64_t fs;
	uint64_t net;
	uint64_t scoped;
};

int exec_landlock(const struct exec_dir *dirs, size_t n)
{
	struct landlock_path_beneath_attr pb;
	struct ll_attr attr;
	size_t attr_size = sizeof(uint64_t);
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	int rs, rc = 0;

	if (abi < 1) {
		log_debug("exec: no Landlock here (%s)", strerror(errno));
		return 0;
	}
	memset(&attr, 0, sizeof(attr));
	attr.fs = fs_rights(abi);
	if (abi >= 4) {
		attr.net = 3; /* BIND_TCP | CONNECT_TCP */
		attr_size = 2 * sizeof(uint64_t);
	}
	if (abi >= 6) {
		attr.scoped = 3; /* ABSTRACT_UNIX_SOCKET | SIGNAL */
		attr_size = sizeof(attr);
	}
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
	if (rs < 0) {
		log_warn("exec: landlock_create_ruleset: %s", strerror(errno));
		return ENARX_E_IO;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		memset(&pb, 0, sizeof(pb));
		pb.parent_fd = dirs[i].fd;
		pb.allowed_access = dirs[i].readonly ? FS_READ : attr.fs & ~FS_DENY_ALWAYS;
		if (syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0)) {
			log_warn("exec: landlock_add_rule: %s", strerror(errno));
			rc = ENARX_E_IO;
		}
	}
#ifdef ENARX_ASAN
	/* The sanitizer runtime reads /proc/self/maps when it reports. */
	if (!rc) {
		memset(&pb, 0, sizeof(pb));
		pb.parent_fd = open("/proc/self", O_PATH | O_CLOEXEC);
		pb.allowed_access = FS_READ;
		if (pb.parent_fd >= 0) {
			syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
			close(pb.parent_fd);
		}
	}
#endif
	if (!rc && syscall(SYS_landlock_restrict_self, rs, 0)) {
		log_warn("exec: landlock_restrict_self: %s", strerror(errno));
		rc = ENARX_E_IO;
	}
	close(rs);
	if (!rc)
		log_debug("exec: Landlock ABI %ld applied (%zu directories)", abi, n);
	return rc ? rc : (int)abi;
}
