/* SPDX-License-Identifier: Apache-2.0 */
/* Privilege-separation channel in the OpenBSD imsg manner: typed messages
 * over a SOCK_SEQPACKET socketpair, each type with a declared size range
 * and fd rule, checked on both ends; one bad message closes the channel
 * for good (fail closed). chan_fork() starts the unprivileged or privileged
 * half as a child that keeps only the descriptors it is given. */
#ifndef ENARX_HTTP_CHAN_H
#define ENARX_HTTP_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Largest payload any message type may declare. The receive buffer is this
 * plus the header, allocated once per channel. */
#define CHAN_MAX_PAYLOAD (256u * 1024u)

/* Wire header, native byte order (both ends are one machine and one build):
 * type, payload length, caller's correlation id, flags (CHAN_F_FD). */
#define CHAN_HDR_SIZE 16u
#define CHAN_F_FD 1u

/* One message type the protocol allows. Fixed-size messages set
 * min_len == max_len; the decoder rejects every other length. */
struct chan_type {
	uint32_t type;
	const char *name; /* for error messages */
	uint32_t min_len;
	uint32_t max_len;
	bool fd; /* exactly one descriptor travels with it (else none may) */
};

/* A received message. data is borrowed from the channel and valid until the
 * next chan_recv() or chan_free(); fd (or -1) is owned by the caller. */
struct chan_msg {
	uint32_t type;
	uint32_t id;
	const uint8_t *data;
	size_t len;
	int fd;
};

struct chan;

/* Decodes one datagram buf[0..len) (header + payload) against the type
 * table. has_fd tells whether a descriptor arrived with it. Pure: no I/O.
 * Returns 0 and fills *out (out->fd = -1; data points into buf), or
 * ENARX_E_CHAN_MSG with a message naming the problem in why. */
int chan_decode(const struct chan_type *types, size_t ntypes, const uint8_t *buf, size_t len,
                bool has_fd, struct chan_msg *out, char *why, size_t whylen);

/* Wraps a connected SOCK_SEQPACKET socket (takes ownership of fd, even on
 * failure). The table is borrowed and must outlive the channel; it lists
 * the types either side may send. Returns 0 or ENARX_E_NOMEM/ENARX_E_INVAL. */
int chan_new(int fd, const struct chan_type *types, size_t ntypes, struct chan **out);

/* Makes a connected pair (both ends in this process; for tests and for
 * chan_fork). Returns 0 or ENARX_E_IO/ENARX_E_NOMEM. */
int chan_pair(const struct chan_type *types, size_t ntypes, struct chan **a, struct chan **b);

/* Closes the socket and frees the buffer. NULL is fine. */
void chan_free(struct chan *c);

/* The socket, for an event loop to poll for readability. Borrowed. */
int chan_fd(const struct chan *c);

/* Sends one message. data[0..len) must fit the type's declared size; fd must
 * be >= 0 exactly when the type carries one (the caller keeps its fd; the
 * peer gets a duplicate). Returns 0; ENARX_E_INVAL for a message the table
 * forbids (our own bug: nothing is sent); ENARX_E_CHAN_CLOSED if the peer
 * is gone or the channel failed before. */
int chan_send(struct chan *c, uint32_t type, uint32_t id, const void *data, size_t len, int fd);

/* Receives one message (blocks unless the socket is non-blocking).
 * Returns 0; ENARX_E_AGAIN when non-blocking and nothing is ready;
 * ENARX_E_CHAN_CLOSED at end of stream; ENARX_E_CHAN_MSG for a truncated,
 * oversized, unknown, wrongly sized or wrongly fd-carrying message. After
 * CLOSED or MSG the channel is dead: every later call fails the same way and
 * any descriptor that came with the bad message has been closed. */
int chan_recv(struct chan *c, struct chan_msg *out);

/* Why the channel failed ("" while healthy). Borrowed, lives with c. */
const char *chan_error(const struct chan *c);

/* What a forked child runs. It gets its end of the channel (owned by the
 * helper: do not free it) and returns the process exit status. */
typedef int chan_child_fn(struct chan *c, void *arg);

struct chan_child {
	const char *name;              /* for logs */
	const struct chan_type *types; /* protocol table, as for chan_new */
	size_t ntypes;
	const int *keep_fds; /* descriptors the child keeps besides 0-2 */
	size_t nkeep;
	chan_child_fn *main;
	void *arg;
};

/* Forks a child connected by a fresh channel. In the child, before main
 * runs: every descriptor above 2 except its channel end and keep_fds is
 * closed, signal dispositions are reset, PR_SET_NO_NEW_PRIVS is set and
 * PR_SET_PDEATHSIG makes it die with the parent (no orphans). Further
 * restrictions (seccomp, Landlock, setuid) are the caller's main's job.
 * Returns 0 with *parent (the parent's end) and *pid set, or ENARX_E_IO. */
int chan_fork(const struct chan_child *child, struct chan **parent, pid_t *pid);

#endif
