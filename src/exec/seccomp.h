/* SPDX-License-Identifier: Apache-2.0 */
/* The executor's second seccomp filter: once the sockets Enarx.toml names
 * are open, the Keep gives up making more (socket, bind, listen, connect)
 * and starting programs (execveat), for the rest of its life. Stacked on
 * the nil backend's allow-list, which lets the executor install it. */
#ifndef ENARX_EXEC_SECCOMP_H
#define ENARX_EXEC_SECCOMP_H

/* Installs the filter on the calling process (all threads; call before any
 * are started): the calls above then fail with ENOSYS, as unlisted calls
 * do. Returns 0 when installed, 1 when this Keep has no seccomp (a VM's
 * shim answers ENOSYS: it never forwards those calls to a host that would
 * make them anyway), or a negative ENARX_E_IO. */
int exec_seccomp_lock(void);

/* A third filter, once the module is loaded (and, for the JIT, compiled):
 * mmap and mprotect with PROT_EXEC fail with ENOSYS from then on, so no new
 * executable memory appears in the Keep (the JIT's code stays read-execute;
 * made writable it could never run again). Same returns as
 * exec_seccomp_lock(). */
int exec_seccomp_seal_exec(void);

#endif
