/* SPDX-License-Identifier: Apache-2.0 */
/* The executor's second seccomp filter (see seccomp.h), written as a small
 * classic BPF program by hand so the static executor needs no libseccomp:
 * x86-64 calls only; the removed calls get ENOSYS; everything else is left
 * to the filter below it. */
#include "exec/seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/log.h"

#define X32_BIT 0x40000000u
#define DENY (SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA))

int exec_seccomp_lock(void)
{
	struct sock_filter insns[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, DENY),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 5, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 4, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_bind, 3, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_listen, 2, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_connect, 1, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execveat, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, DENY),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(insns) / sizeof(insns[0]), insns};

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) == 0)
		return 0;
	if (errno == ENOSYS) {
		log_debug("exec: no seccomp in this Keep: sockets stay as the Keep's host allows");
		return 1;
	}
	log_warn("exec: cannot install the second seccomp filter: %s", strerror(errno));
	return ENARX_E_IO;
}
