/* SPDX-License-Identifier: Apache-2.0 */
/* Seccomp filters of the host agent's two processes (sandbox.c). */
#ifndef ENARX_HOST_SANDBOX_H
#define ENARX_HOST_SANDBOX_H

/* The network process, once it listens and has loaded its certificate:
 * no new programs, processes or threads, no debugging of others, no
 * kernel administration. Returns 0 or ENARX_E_PERM (logged). */
int host_sandbox_network(void);

/* The launcher: what no Keep ever needs (nil Keeps inherit this filter
 * and add their own): debugging other processes, kernel modules, kexec,
 * BPF, perf, keyrings, reboot, swap, clocks. Returns 0 or ENARX_E_PERM. */
int host_sandbox_launcher(void);

#endif
