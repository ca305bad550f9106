/* SPDX-License-Identifier: Apache-2.0 */
/* What the client asks a host for (deploy.h, struct deploy_keep_req): the
 * host cannot read the sealed Enarx.toml, so the client reads it and asks
 * for the guest memory its [limits] need and for the network when it has
 * listen/connect entries, and refuses `dir` entries before any Keep is
 * made. */
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "deploy/deploy.h"
#include "keep/limits.h"
#include "lib/err.h"

int deploy_keep_req(const struct pkg *pkg, struct deploy_keep_req *req, char *why, size_t n)
{
	const struct pkg_entry *e = pkg_find(pkg, PKG_CONFIG);
	struct config *cfg = NULL;
	char err[300];
	int rc = 0;

	memset(req, 0, sizeof(*req));
	if (!e)
		return 0;
	if (config_parse((const char *)e->value, e->value_len, &cfg, err, sizeof(err))) {
		snprintf(why, n, "Enarx.toml: %s", err);
		return ENARX_E_MALFORMED;
	}
	for (size_t i = 0; !rc && i < cfg->nfiles; i++) {
		const struct config_file *f = &cfg->files[i];

		if (f->kind == CONFIG_LISTEN || f->kind == CONFIG_CONNECT)
			req->net = 1;
		if (f->kind == CONFIG_DIR) {
			snprintf(why, n,
			         "Enarx.toml: file '%s' is a host directory (kind = \"dir\"), which "
			         "a deploy does not give: the host reads and writes its files. "
			         "Give the workload secret files instead (--secret "
			         "%s/NAME=@FILE), kept in the Keep's memory",
			         f->name, PKG_SECRET_FILE_DIR);
			rc = ENARX_E_PERM;
		}
	}
	req->mem_size = keep_limits_keep_mem(&cfg->limits);
	config_free(cfg);
	return rc;
}
