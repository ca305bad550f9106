/* SPDX-License-Identifier: Apache-2.0 */
/* The Keep's identity (docs/security.md "nil sandbox"): a nil Keep started
 * by root keeps only CAP_SETUID and CAP_SETGID (as ambient capabilities)
 * and learns its uid and gid from ENARX_KEEP_UID=UID:GID in its
 * environment; once its preopens and sockets are open it becomes that
 * uid and gid with no supplementary groups, which leaves it no
 * capability at all. */
#ifndef ENARX_EXEC_IDENTITY_H
#define ENARX_EXEC_IDENTITY_H

/* Drops to ENARX_KEEP_UID when it is set. Returns 0 (dropped, or nothing
 * to do), or -1 if a step failed (logged; the caller stops: a Keep that
 * was meant to drop never runs a workload as root). */
int exec_drop_identity(void);

#endif
