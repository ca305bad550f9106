/* SPDX-License-Identifier: Apache-2.0 */
/* A backend for tests whose "Keep" is a script: start() writes the given
 * bytes to fd 3 as if the executor had sent them, and the Keep has ended at
 * once with the given status. Lets tests and the fuzzer drive a real
 * keep_session with any (hostile) message stream. It has no probe() (a
 * session never probes). Not thread-safe: one script at a time. */
#ifndef ENARX_TESTS_SCRIPT_BACKEND_H
#define ENARX_TESTS_SCRIPT_BACKEND_H

#include <stddef.h>

#include "backend/backend.h"

extern const struct backend script_backend;

/* The bytes (borrowed until the next start) and exit status of the next
 * Keep script_backend starts. At most 64 KiB: start() must not block. */
void script_backend_set(const void *bytes, size_t len, int status);

#endif
