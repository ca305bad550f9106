/* SPDX-License-Identifier: Apache-2.0 */
/* Enarx.toml: the workload configuration, as Enarx defines it (args, [env],
 * steward, [[files]] of kinds null/stdin/stdout/stderr/listen/connect) plus
 * one kind of our own, `dir`, which preopens a host directory (visible to
 * the host: no confidentiality). See docs/enarx-toml.md. */
#ifndef ENARX_CONFIG_CONFIG_H
#define ENARX_CONFIG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "keep/limits.h"

/* Largest Enarx.toml accepted (as in Enarx). */
#define CONFIG_MAX_SIZE (1u << 20)

enum config_kind {
	CONFIG_NULL,
	CONFIG_STDIN,
	CONFIG_STDOUT,
	CONFIG_STDERR,
	CONFIG_LISTEN,
	CONFIG_CONNECT,
	CONFIG_DIR,
};

enum config_prot { CONFIG_TCP, CONFIG_TLS };

struct config_file {
	enum config_kind kind;
	char *name; /* never NULL after parsing; no ':' */
	enum config_prot prot;
	char *addr;    /* listen: bind address (default "::") */
	char *host;    /* connect: peer host (IP literal or "localhost") */
	uint16_t port; /* listen/connect */
	char *path;    /* dir: host directory */
	int readonly;  /* dir: no write rights */
	int unsafe;    /* dir: may be procfs, sysfs, devtmpfs or "/" */
	/* prot = "tls" only (docs/enarx-toml.md). File names below are paths
	 * on the machine `enarx run` starts on; their bytes travel in the
	 * workload (keep protocol FILE messages), the Keep never opens them. */
	char **alpn; /* nalpn protocol names, preference order */
	size_t nalpn;
	char *client_ca;   /* listen: PEM CAs; clients must present a cert */
	char *ca;          /* connect: PEM trust anchors (required) */
	char *server_name; /* connect: SNI and name checked (default host) */
	char *cert;        /* own PEM certificate chain (listen: instead of
	                      the Keep's own certificate) */
	char *key;         /* own PEM private key (with cert) */
	char **names;      /* listen: extra DNS names / IPs for the Keep's cert */
	size_t nnames;
};

/* Limits on the TLS keys of one [[files]] entry. */
#define CONFIG_ALPN_MAX 16  /* names in `alpn` */
#define CONFIG_NAMES_MAX 16 /* names in `names` */

struct config_env {
	char *key;
	char *value;
};

struct config {
	char *steward;    /* NULL if absent */
	char *steward_ca; /* file: PEM CA(s) Steward's chain must verify to, or NULL */
	char *tls_policy; /* file (TLSSock policy format) for prot = "tls", or NULL */
	char **args;      /* nargs strings */
	size_t nargs;
	struct config_env *env; /* nenv entries, in file order */
	size_t nenv;
	struct config_file *files; /* nfiles entries: file i is WASI fd i */
	size_t nfiles;
	/* [limits] (memory, fuel, wall_time, cpu_time, open_files, output); a field that
	 * is 0 is not set (the defaults of keep/limits.h, docs/enarx-toml.md) */
	struct keep_limits limits;
};

/*
 * Parses len bytes of Enarx.toml text. On success returns 0 and a new config
 * in *out (free with config_free()). On error returns ENARX_E_MALFORMED (or
 * ENARX_E_NOMEM) and writes a message naming
 * the line and the key into err[0..errlen).
 */
int config_parse(const char *text, size_t len, struct config **out, char *err, size_t errlen);

/* The configuration used when there is no Enarx.toml: stdin, stdout,
 * stderr. Returns NULL on allocation failure. */
struct config *config_default(void);

void config_free(struct config *cfg); /* accepts NULL */

/*
 * For a `dir` entry: refuses a directory that hands the workload the host
 * itself (the root directory, or anything on procfs, sysfs or devtmpfs:
 * /proc/self/mem alone lets it patch its own executor) unless the entry
 * says `unsafe = true`. Looks at the file system where it runs (statfs,
 * stat). Returns 0 if allowed, or ENARX_E_PERM with a message naming the
 * path and the way out in err[0..errlen). A path that cannot be looked at
 * is allowed here (opening it reports the error).
 */
int config_dir_check(const struct config_file *f, char *err, size_t errlen);

/* A size: "256M", "4G", "65536K" (binary units) or a plain number of
 * bytes. Returns the bytes, or 0 if s is malformed or overflows. */
uint64_t config_parse_size(const char *s);

/* A duration: "30s", "500ms", "5m", "2h" or a plain number of seconds.
 * Returns milliseconds, or 0 if s is malformed or longer than
 * KEEP_LIMIT_WALL_MS_MAX. */
uint64_t config_parse_duration_ms(const char *s);

/* Makes every relative `dir` path absolute against base (an absolute
 * directory, the Enarx.toml's own), as users expect of a file that names
 * paths; names (whose default is the path as written) do not change.
 * Returns 0, ENARX_E_INVAL if base is not absolute, or ENARX_E_NOMEM. */
int config_resolve_paths(struct config *cfg, const char *base);

/* The absolute directory holding the file at path (the realpath of path
 * without its last component: a symlinked Enarx.toml counts as where the
 * link is), in a new string (*out, free with xfree). Returns 0,
 * ENARX_E_NOMEM, or ENARX_E_IO (errno set) if it cannot be resolved. */
int config_file_dir(const char *path, char **out);

/* Calls fn(ctx, path, f, key) for every file a TLS key of cfg names
 * (tls_policy and steward_ca with f NULL, then client_ca, ca, cert, key in file order); stops at the first non-zero
 * return and returns it. */
int config_tls_files(const struct config *cfg,
                     int (*fn)(void *ctx, const char *path, const struct config_file *f,
                               const char *key),
                     void *ctx);

/* "null", "stdin", ..., "dir". */
const char *config_kind_name(enum config_kind kind);

/* A commented Enarx.toml template (for `enarx config init`). */
extern const char config_template[];

#endif
