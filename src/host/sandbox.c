/* SPDX-License-Identifier: Apache-2.0 */
/* Deny-list seccomp filters for the host agent (sandbox.h). Allow-lists
 * belong to the Keeps (src/backend/nil.c, src/exec/seccomp.c); these two
 * processes run libevent, OpenSSL, SQLite and the backends, whose exact
 * system calls vary with library versions, so we deny the dangerous
 * families instead and fail with EPERM. */
#include "host/sandbox.h"

#include <errno.h>
#include <stddef.h>

#include "lib/err.h"
#include "lib/log.h"

#ifdef HAVE_SECCOMP
#include <seccomp.h>

static const int common[] = {
    SCMP_SYS(ptrace),
    SCMP_SYS(process_vm_readv),
    SCMP_SYS(process_vm_writev),
    SCMP_SYS(kexec_load),
    SCMP_SYS(kexec_file_load),
    SCMP_SYS(init_module),
    SCMP_SYS(finit_module),
    SCMP_SYS(delete_module),
    SCMP_SYS(bpf),
    SCMP_SYS(perf_event_open),
    SCMP_SYS(keyctl),
    SCMP_SYS(add_key),
    SCMP_SYS(request_key),
    SCMP_SYS(reboot),
    SCMP_SYS(swapon),
    SCMP_SYS(swapoff),
    SCMP_SYS(open_by_handle_at),
    SCMP_SYS(userfaultfd),
    SCMP_SYS(acct),
    SCMP_SYS(settimeofday),
    SCMP_SYS(clock_settime),
    SCMP_SYS(iopl),
    SCMP_SYS(ioperm),
};

static const int network_only[] = {
    SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(fork),       SCMP_SYS(vfork),
    SCMP_SYS(clone),  SCMP_SYS(clone3),   SCMP_SYS(unshare),    SCMP_SYS(setns),
    SCMP_SYS(mount),  SCMP_SYS(umount2),  SCMP_SYS(pivot_root), SCMP_SYS(chroot),
};

static int deny(scmp_filter_ctx f, const int *nr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), nr[i], 0) != 0)
			return -1;
	return 0;
}

static int apply(const char *who, int network)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	int rc = f ? deny(f, common, sizeof(common) / sizeof(common[0])) : -1;

	if (!rc && network)
		rc = deny(f, network_only, sizeof(network_only) / sizeof(network_only[0]));
	if (!rc)
		rc = seccomp_load(f);
	seccomp_release(f);
	if (rc) {
		log_error("host: %s: cannot install the seccomp filter", who);
		return ENARX_E_PERM;
	}
	return 0;
}
#else
static int apply(const char *who, int network)
{
	log_warn("host: %s: built without libseccomp: no system call filter", who);
	(void)network;
	return 0;
}
#endif

int host_sandbox_network(void)
{
	return apply("network process", 1);
}

int host_sandbox_launcher(void)
{
	return apply("launcher", 0);
}
