/* SPDX-License-Identifier: Apache-2.0 */
/* A read-only directory of regular files held in the embedder's memory and
 * given to the guest as a preopen (a deployed workload's secret files,
 * src/exec/deploy.c): nothing behind it exists on any file system, so no
 * host call ever sees a byte of it. Flat: names carry no '/'. */
#ifndef ENARX_WASI_MEMFS_H
#define ENARX_WASI_MEMFS_H

#include <stddef.h>
#include <stdint.h>

struct wasi;
struct wasi_memdir;

/* Largest name of a file in a memdir (as NAME_MAX). */
#define WASI_MEMDIR_NAME_MAX 255

/* An empty directory; NULL on allocation failure. */
struct wasi_memdir *wasi_memdir_new(void);

/* Wipes every file's bytes and frees d (NULL accepted). Only after the
 * wasi context it was added to is freed. */
void wasi_memdir_free(struct wasi_memdir *d);

/* Adds a regular file name (1..WASI_MEMDIR_NAME_MAX bytes, no '/', no
 * NUL, not "." or "..", unique in d) holding a copy of data[0..len).
 * Returns 0, ENARX_E_INVAL for a bad or repeated name, or
 * ENARX_E_NOMEM. */
int wasi_memdir_add(struct wasi_memdir *d, const char *name, const void *data, size_t len);

/* Number of files in d. */
size_t wasi_memdir_count(const struct wasi_memdir *d);

/* Gives the guest the next descriptor as the preopened directory preopen
 * (a guest path such as "/secrets", copied) showing d, read-only: files
 * open for reading, seek, stat and readdir; anything that would write or
 * create fails (EROFS or ENOTCAPABLE). d is borrowed and must outlive w.
 * Returns the guest fd or a negative ENARX_E_*. */
int wasi_add_memdir(struct wasi *w, const char *preopen, const struct wasi_memdir *d);

#endif
