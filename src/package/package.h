/* SPDX-License-Identifier: Apache-2.0 */
/* The workload package (docs/package.md): main.wasm, Enarx.toml,
 * environment values, secrets, arguments and the client's public key for
 * sealed output, in one versioned, length-prefixed container. The client
 * builds it and seals it to one Keep (package/seal.h); the executor opens
 * and reads it. The reader is for untrusted bytes: every length is checked
 * through lib/cursor.h and every rule below is enforced. */
#ifndef ENARX_PACKAGE_PACKAGE_H
#define ENARX_PACKAGE_PACKAGE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"

#define PKG_MAGIC "ENARXPKG" /* 8 bytes, no NUL */
#define PKG_MAGIC_LEN 8
#define PKG_VERSION 1u
#define PKG_MAX_SIZE (128u << 20) /* the whole encoding */
#define PKG_MAX_ENTRIES 8192
#define PKG_MAX_NAME 256
#define PKG_MAX_VALUE (1u << 20) /* every entry but main.wasm */
#define PKG_MAX_WASM (100u << 20)
#define PKG_MAX_FILE (16u << 20)       /* a secret file */
#define PKG_SECRET_FILE_DIR "/secrets" /* where the workload sees them */
#define PKG_DIGEST_LEN 32              /* SHA-256 */
#define PKG_OUTPUT_KEY_LEN 32          /* X25519 */

enum pkg_kind {
	PKG_WASM = 1,        /* name "main.wasm": the module; exactly one */
	PKG_CONFIG = 2,      /* name "Enarx.toml": its text; at most one */
	PKG_ENV = 3,         /* name = variable, value = its value */
	PKG_SECRET = 4,      /* as ENV, but never printed by `package inspect` */
	PKG_ARG = 5,         /* name "", value = one argument, in order */
	PKG_OUTPUT_KEY = 6,  /* name "x25519": the client's key for sealed output */
	PKG_SECRET_FILE = 7, /* name = file name in /secrets, value = its bytes */
};

struct pkg_entry {
	uint8_t kind;     /* enum pkg_kind */
	const char *name; /* NUL-terminated */
	const uint8_t *value;
	size_t value_len;
	int owned; /* the value is ours (pkg_add), else borrowed (pkg_decode);
		      the name is always ours */
};

struct pkg {
	struct pkg_entry *e;
	size_t n, cap;
};

/* Appends an entry (name and value copied). 0, ENARX_E_NOMEM, or
 * ENARX_E_INVAL with a reason in err if it breaks a rule of the format. */
int pkg_add(struct pkg *p, uint8_t kind, const char *name, const void *value, size_t len, char *err,
            size_t errlen);
/* Removes every entry of a kind (e.g. the output key before a new one). */
void pkg_remove(struct pkg *p, uint8_t kind);

/* Encodes p into b (appending). with_output_key = 0 leaves the
 * PKG_OUTPUT_KEY entry out (the form the digest covers). */
int pkg_encode(const struct pkg *p, int with_output_key, struct buf *b);

/* Decodes data[0..len) into *p; entries borrow from data, which must
 * outlive p. Returns 0, or ENARX_E_MALFORMED / _TRUNCATED / _OVERFLOW /
 * _NOTSUP / _NOMEM with err naming the entry (index and byte offset) and
 * the rule it broke. On error *p is empty. */
int pkg_decode(const uint8_t *data, size_t len, struct pkg *p, char *err, size_t errlen);

/* The workload identity: SHA-256 of the encoding without the output key
 * (so one package file keeps one digest across deploys). 0 or
 * ENARX_E_NOMEM/ENARX_E_HPKE_CRYPTO. */
int pkg_digest(const struct pkg *p, uint8_t out[PKG_DIGEST_LEN]);

/* The first entry of a kind, or NULL. */
const struct pkg_entry *pkg_find(const struct pkg *p, uint8_t kind);

/* Frees owned entries (wiping their values) and the array; p is empty. */
void pkg_clear(struct pkg *p);

/* "main.wasm", "Enarx.toml", "env", "secret", "arg", "output-key",
 * "secret-file", "?" */
const char *pkg_kind_name(uint8_t kind);

#endif
