/* SPDX-License-Identifier: Apache-2.0 */
/* The executor's own seccomp filters (see seccomp.h), written as small
 * classic BPF programs by hand so the static executor needs no libseccomp:
 * x86-64 calls only; the removed calls get ENOSYS; everything else is left
 * to the filter below. */
#include "exec/seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/log.h"

#define X32_BIT 0x40000000u
#define DENY (SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA))

/* Installs prog (TSYNC); the returns of exec_seccomp_lock(). */
static int install(struct sock_filter *insns, unsigned short n, const char *what)
{
	struct sock_fprog prog = {n, insns};

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) == 0)
		return 0;
	if (errno == ENOSYS) {
		log_debug("exec: no seccomp in this Keep: %s stay as the Keep's host allows", what);
		return 1;
	}
	log_warn("exec: cannot install the seccomp filter for %s: %s", what, strerror(errno));
	return ENARX_E_IO;
}

int exec_seccomp_seal_exec(void)
{
	/* args[2] (prot) is 64 bits; PROT_EXEC is in its low word, which comes
	 * first on little-endian x86-64 */
	struct sock_filter insns[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, DENY),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mmap, 1, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mprotect, 0, 3),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, DENY),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};

	return install(insns, sizeof(insns) / sizeof(insns[0]), "executable mappings");
}

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

	return install(insns, sizeof(insns) / sizeof(insns[0]), "sockets");
}
