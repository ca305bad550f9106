/* SPDX-License-Identifier: Apache-2.0 */
/* Host side of the sallyport: validates a request block written by a
 * (hostile) guest and performs the syscalls it asks for. Every offset and
 * length is checked against the block before use; only listed syscalls run,
 * only on descriptors that belong to this Keep (a private fd table maps the
 * Keep's numbers to host fds), and guest addresses are never dereferenced:
 * pointer arguments are offsets into the item's data area. */
#ifndef ENARX_SALLYPORT_HOST_H
#define ENARX_SALLYPORT_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sallyport/sallyport.h"

#define SP_HOST_MAX_FDS 1024

struct sp_host;

/* The host's way to make a real syscall; tests and fault injection replace
 * it. Returns the raw result (-errno on failure). */
typedef long (*sp_host_syscall_fn)(void *ctx, long num, const long arg[6]);

/* Handler for enarx calls (SP_ENARX_*) that the backend serves itself:
 * data[0..len) is the validated data area. Returns the result or -errno. */
typedef int64_t (*sp_host_enarxcall_fn)(void *ctx, uint64_t num, const uint64_t arg[4],
                                        uint8_t *data, size_t len);

/* Creates a host with an empty fd table. Returns 0 or ENARX_E_NOMEM. */
int sp_host_new(struct sp_host **out);
/* Closes the fds the Keep owns and frees h (NULL is fine). */
void sp_host_free(struct sp_host *h);

/* Makes host_fd visible in the Keep as guest_fd. owned: closed with the Keep
 * (borrowed fds such as the host's stdio are only forgotten). Returns 0 or
 * ENARX_E_INVAL / ENARX_E_EXISTS. */
int sp_host_set_fd(struct sp_host *h, int guest_fd, int host_fd, bool owned);

/* Host fd behind guest_fd, or -1. */
int sp_host_get_fd(const struct sp_host *h, int guest_fd);

void sp_host_set_syscall(struct sp_host *h, sp_host_syscall_fn fn, void *ctx);
void sp_host_set_enarxcall(struct sp_host *h, sp_host_enarxcall_fn fn, void *ctx);

/* Results of sp_host_handle(). */
#define SP_HOST_CONTINUE 0 /* re-enter the guest */
#define SP_HOST_EXIT 1     /* the Keep called exit_group; see sp_host_exit_code */

/* Validates and performs every item in block[0..len). Returns
 * SP_HOST_CONTINUE, SP_HOST_EXIT, or a negative ENARX_E_* when the block is
 * malformed (the Keep must end; sp_host_error() says what was wrong and
 * where). Item-level problems (a bad offset, a forbidden syscall, a foreign
 * fd) are refused in the item's result (-EFAULT, -ENOSYS, -EBADF, ...). */
int sp_host_handle(struct sp_host *h, uint8_t *block, size_t len);

int sp_host_exit_code(const struct sp_host *h);
const char *sp_host_error(const struct sp_host *h);

/* Counters for tests and benchmarks. */
uint64_t sp_host_items(const struct sp_host *h);
uint64_t sp_host_refused(const struct sp_host *h);

#endif
