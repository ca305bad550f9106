/* SPDX-License-Identifier: Apache-2.0 */
/* Seccomp allow-lists of the host agent's two processes (sandbox.c);
 * anything else fails with ENOSYS. */
#ifndef ENARX_HOST_SANDBOX_H
#define ENARX_HOST_SANDBOX_H

/* The network process, once it listens and has loaded its certificate:
 * sockets it accepts, its state files, the event loop; no new programs,
 * processes or threads, no mounts or namespaces, no debugging of others,
 * no kernel administration. Returns 0 or ENARX_E_PERM (logged). */
int host_sandbox_network(void);

/* The launcher: keep sessions, the backends' starts of Keeps (namespaces,
 * mounts, Landlock, seccomp and execveat for nil; /dev/kvm ioctls and
 * vCPU threads for kvm) and every call of keep/syscalls.def (nil Keeps
 * inherit this filter; kvm Keeps' host calls run in this process); no
 * execve of files, ptrace, kernel modules, kexec, BPF, perf, keyrings,
 * reboot, swap or clocks. Returns 0 or ENARX_E_PERM. */
int host_sandbox_launcher(void);

#endif
