/* SPDX-License-Identifier: Apache-2.0 */
/* The host agent's privilege-separation protocol: what the network process
 * (no /dev/kvm, no Keep memory) and the Keep launcher say to each other over
 * a chan.h channel. One home for the message table and the payload layouts;
 * the decoders are pure so they can be fuzzed (tests/fuzz/host). The
 * channel's correlation id is the Keep's slot number on every message. */
#ifndef ENARX_HOST_LMSG_H
#define ENARX_HOST_LMSG_H

#include <stddef.h>
#include <stdint.h>

#include "http/chan.h"

/* The five pipes of one Keep, named by the end the Keep side uses. */
enum lm_pipe {
	LM_STDIN = 0,     /* the Keep reads its fd 0 from here */
	LM_STDOUT = 1,    /* the Keep's fd 1 */
	LM_STDERR = 2,    /* the Keep's fd 2 */
	LM_PROTO_IN = 3,  /* keep-protocol frames for the Keep (launcher reads) */
	LM_PROTO_OUT = 4, /* every frame the Keep sent (launcher writes) */
	LM_NPIPES
};

enum lm_type {
	/* network process -> launcher */
	LM_FD = 1,     /* u32 lm_pipe, + one descriptor: the launcher's end */
	LM_CREATE = 2, /* struct lm_create: all LM_NPIPES fds were sent first */
	LM_KILL = 3,   /* empty: stop the Keep */
	/* launcher -> network process */
	LM_STARTED = 16, /* struct lm_started */
	LM_ENDED = 17,   /* struct lm_ended header + message text */
	LM_TEE = 18,     /* struct lm_tee: what the Keep reported of its TEE */
};

#define LM_NAME_MAX 16u
#define LM_TEXT_MAX 4096u

/* LM_CREATE payload, fixed size, native byte order (one machine, one build). */
struct lm_create {
	char backend[LM_NAME_MAX]; /* NUL-terminated name, "" = the best usable */
	uint64_t mem;              /* Keep memory in bytes, 0 = the backend's default */
	uint32_t net;              /* 1: the workload has sockets */
	uint32_t lim_fds;          /* the Keep's limits (keep/limits.h, 0 = not */
	uint64_t lim_memory;       /* set) in the ranges kp_dec_limits accepts: */
	uint64_t lim_fuel;         /* the session enforces wall time, memory and */
	uint64_t lim_wall_ms;      /* nil's descriptor rlimit; the executor gets */
	uint64_t lim_output;       /* them in the LIMITS frame the client fed */
};

/* LM_STARTED payload: rc 0 (running) or a negative ENARX_E_* (not started;
 * no LM_ENDED follows); the backend actually used. */
struct lm_started {
	int32_t rc;
	uint32_t pad;
	char backend[LM_NAME_MAX];
	uint64_t mem;
	int64_t pid; /* nil: the Keep's process id; kvm: 0 */
};

/* LM_ENDED payload: this header, then text (trap message or executor
 * error, not NUL-terminated, at most LM_TEXT_MAX bytes). */
struct lm_ended {
	uint32_t result;    /* enum keep_result */
	int32_t status;     /* backend exit status, or negative ENARX_E_* of the wait */
	uint32_t killed;    /* 1 if LM_KILL stopped it */
	uint32_t exit_code; /* KEEP_EXITED */
	uint32_t nframes;   /* KEEP_TRAPPED: backtrace frames */
	uint32_t timed_out; /* 1 if the session stopped it at its wall time */
	uint32_t usage;     /* 1 if the backend measured the CPU fields */
	uint64_t user_us, system_us, wall_us, maxrss_kb; /* keep/usage.h */
};

/* LM_TEE payload: the Keep's MEASURE report, checked by the launcher. */
struct lm_tee {
	uint32_t kind;            /* enum kp_tee */
	uint32_t has_measurement; /* 1: measurement holds the launch digest */
	uint8_t measurement[48];  /* SHA-384 (kvm: from keep_kvm_evidence) */
};

/* The channel's message table (chan_new, chan_fork). */
extern const struct chan_type lm_types[];
extern const size_t lm_ntypes;

/* Checks and copies a decoded LM_CREATE payload: backend NUL-terminated
 * and made of [a-z0-9], net 0 or 1, pad 0. Returns 0 or ENARX_E_MALFORMED
 * with why naming the field. */
int lm_dec_create(const uint8_t *p, size_t len, struct lm_create *out, char *why, size_t whylen);

/* Checks an LM_FD payload: which < LM_NPIPES. Returns 0 or ENARX_E_MALFORMED. */
int lm_dec_fd(const uint8_t *p, size_t len, uint32_t *which, char *why, size_t whylen);

/* Checks and copies LM_TEE (kind in range, has_measurement 0 or 1, and
 * only with kind kvm). */
int lm_dec_tee(const uint8_t *p, size_t len, struct lm_tee *out, char *why, size_t whylen);

/* The launch digest in a MEASURE payload: for kind kvm, a struct
 * keep_kvm_evidence with its magic and version. Returns 0 with out
 * filled, or ENARX_E_MALFORMED (other kinds: not known here). */
int lm_measurement(const uint8_t *p, size_t len, struct lm_tee *out);

/* Checks and copies LM_STARTED (backend terminated, rc <= 0). */
int lm_dec_started(const uint8_t *p, size_t len, struct lm_started *out, char *why, size_t whylen);

/* Checks LM_ENDED: header, result in range, text at most LM_TEXT_MAX and
 * free of NUL. *text points into p (not terminated), *textlen its length. */
int lm_dec_ended(const uint8_t *p, size_t len, struct lm_ended *out, const char **text,
                 size_t *textlen, char *why, size_t whylen);

#endif
