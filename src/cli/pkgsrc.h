/* SPDX-License-Identifier: Apache-2.0 */
/* What `enarx deploy` and `enarx package build` seal or write: a package
 * made from a module (.wasm or .wat), a directory (main.wasm [Enarx.toml])
 * or an existing package file, plus --wasmcfgfile, --env, --secret and the
 * workload arguments. */
#ifndef ENARX_CLI_PKGSRC_H
#define ENARX_CLI_PKGSRC_H

#include <stddef.h>

#include "cli/opts.h"
#include "package/package.h"

struct pkg_source {
	const char *path;                    /* MODULE, DIR or PACKAGE */
	const char *cfgfile;                 /* --wasmcfgfile: replaces the package's Enarx.toml */
	const struct opt_list *env, *secret; /* K=V and NAME=@FILE (or NAME=VALUE) */
	char **args;                         /* appended after the package's own */
	size_t nargs;
};

/* Fills p (empty) from s. On error prints it (cli_error) and returns -1;
 * p is then cleared. */
int pkg_source_load(const struct pkg_source *s, struct pkg *p);

#endif
