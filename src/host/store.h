/* SPDX-License-Identifier: Apache-2.0 */
/* The host agent's records of Keeps in SQLite (<state>/host.db), so the
 * Keeps that finished, with their exit statuses and output, are still
 * listed after a restart. Used only by the network process. */
#ifndef ENARX_HOST_STORE_H
#define ENARX_HOST_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* One Keep's record. Strings are borrowed (store_put) or owned by the
 * callback's caller for the duration of the call (store_load). */
struct store_rec {
	const char *id, *backend, *mode, *state, *result, *text;
	uint64_t memory;
	int64_t created_ms, ended_ms; /* Unix time in ms; 0 = not ended */
	int64_t exit_code;            /* -1 = none */
	int64_t status;               /* backend status, -1 = none */
	const char *extra;            /* JSON: limits, TEE, measurement, usage (or NULL) */
	const void *out, *err;        /* stdout and stderr as kept */
	size_t outlen, errlen;
};

/* Opens (creating) <dir>/host.db. Records left "starting" or "running" by
 * a daemon that died are marked "lost" (their Keeps died with it).
 * Returns 0 or ENARX_E_IO with err naming the file and SQLite's message. */
int store_open(const char *dir, struct store **out, char *err, size_t errlen);

/* Inserts or replaces a record. Returns 0 or ENARX_E_IO (logged). */
int store_put(struct store *s, const struct store_rec *r);

/* Deletes a record. Returns 0 or ENARX_E_IO. */
int store_del(struct store *s, const char *id);

/* Calls fn for every record, oldest first; stops at fn's non-zero return.
 * Returns 0, fn's value or ENARX_E_IO. */
int store_load(struct store *s, int (*fn)(const struct store_rec *r, void *arg), void *arg);

void store_free(struct store *s);

#endif
