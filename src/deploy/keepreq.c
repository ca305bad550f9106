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

struct tls_check {
	const struct pkg *pkg;
	char *why;
	size_t n;
};

/* A TLS file named by the config must be one of the package's secret
 * files, as the workload sees it: /secrets/NAME. */
static int tls_file(void *ctx, const char *path, const struct config_file *f, const char *key)
{
	static const char dir[] = PKG_SECRET_FILE_DIR "/";
	const struct tls_check *c = ctx;
	const char *name = path + sizeof(dir) - 1;

	if (strncmp(path, dir, sizeof(dir) - 1) == 0) {
		for (size_t i = 0; i < c->pkg->n; i++) {
			if (c->pkg->e[i].kind == PKG_SECRET_FILE &&
			    strcmp(c->pkg->e[i].name, name) == 0)
				return 0;
		}
	}
	snprintf(c->why, c->n,
	         "Enarx.toml: %s%s%skey '%s' names %s, which is not a secret file of this "
	         "package: in a deploy the Keep's TLS files come from the sealed package "
	         "(name it %s%s and pass --secret %s%s=@FILE)",
	         f ? "file '" : "", f ? f->name : "", f ? "': " : "", key, path, dir,
	         strrchr(path, '/') ? strrchr(path, '/') + 1 : path, dir,
	         strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	return ENARX_E_PERM;
}

int deploy_keep_req(const struct pkg *pkg, struct deploy_keep_req *req, char *why, size_t n)
{
	struct tls_check tc = {pkg, why, n};
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
			snprintf(
			    why, n,
			    "Enarx.toml: file '%s' is a host directory (kind = \"dir\"), which "
			    "a deploy does not give: the host reads and writes its files. "
			    "Give the workload secret files instead (--secret "
			    "%s/NAME=@FILE), kept in the Keep's memory",
			    f->name, PKG_SECRET_FILE_DIR);
			rc = ENARX_E_PERM;
		}
	}
	if (!rc)
		rc = config_tls_files(cfg, tls_file, &tc);
	req->mem_size = keep_limits_keep_mem(&cfg->limits);
	config_free(cfg);
	return rc;
}
