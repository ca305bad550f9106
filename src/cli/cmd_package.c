/* SPDX-License-Identifier: Apache-2.0 */
/* enarx package build|inspect: make a workload package ahead of time and
 * read one (docs/package.md). Secrets in a package file are in the clear:
 * the file is the client's, and only `enarx deploy` seals it to a Keep. */
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/pkgsrc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/hex.h"

struct pkg_build_opts {
	const char *output, *cfgfile;
	struct opt_list env, secret;
};

static const struct opt build_table[] = {
    OPT_STRING('o', "output", struct pkg_build_opts, output, "FILE",
               "where to write the package (required; created mode 0600)"),
    OPT_STRING(0, "wasmcfgfile", struct pkg_build_opts, cfgfile, "FILE",
               "Enarx.toml (docs/enarx-toml.md)"),
    OPT_LIST(0, "env", struct pkg_build_opts, env, "K=V", "an environment variable"),
    OPT_LIST(0, "secret", struct pkg_build_opts, secret, "NAME=@FILE",
             "a secret environment variable from FILE\n"
             "(NAME = /secrets/FILE: a file in the Keep's memory)"),
    OPT_END(),
};

static int cmd_package_build(int argc, char **argv);
static int cmd_package_inspect(int argc, char **argv);

static const struct cli_cmd cli_cmd_package_build = {
    .spec = {.path = "package build",
             .summary = "Make a workload package",
             .opts = build_table,
             .args = "MODULE.wasm|DIR|PACKAGE",
             .min_args = 1,
             .max_args = 1,
             .rest = "ARGS...",
             .about = "Writes main.wasm, Enarx.toml, --env, --secret and ARGS as one package\n"
                      "(docs/package.md) that `enarx deploy` seals to a Keep. The output key is\n"
                      "added at each deploy.\n"},
    .fn = cmd_package_build,
};

struct pkg_inspect_opts {
	int json;
};

static const struct opt inspect_table[] = {
    OPT_FLAG(0, "json", struct pkg_inspect_opts, json, "machine-readable output"),
    OPT_END(),
};

static const struct cli_cmd cli_cmd_package_inspect = {
    .spec = {.path = "package inspect",
             .summary = "Show what a package holds (secret values hidden)",
             .opts = inspect_table,
             .args = "PACKAGE",
             .min_args = 1,
             .max_args = 1,
             .about = "Prints the format version, the workload digest (the identity the Keep\n"
                      "reports after opening it) and each entry; secret values are never shown.\n"},
    .fn = cmd_package_inspect,
};

const struct cli_cmd cli_cmd_package = {
    .spec = {.path = "package", .summary = "Make and read workload packages"},
    .subs = (const struct cli_cmd *const[]){&cli_cmd_package_build, &cli_cmd_package_inspect, NULL},
};

static int write_file(const char *path, const struct buf *b)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0) {
		cli_error("cannot create %s: %m", path);
		return -1;
	}
	while (off < b->len) {
		ssize_t w = write(fd, b->data + off, b->len - off);

		if (w <= 0) {
			cli_error("writing %s: %m", path);
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	return close(fd) ? -1 : 0;
}

static int cmd_package_build(int argc, char **argv)
{
	struct pkg_build_opts o;
	struct opt_result r;
	struct pkg pkg;
	struct buf b = {0};
	uint8_t d[PKG_DIGEST_LEN];
	char hex[2 * PKG_DIGEST_LEN + 1];
	int rc;

	memset(&o, 0, sizeof(o));
	rc = cli_parse(&cli_cmd_package_build, argc, argv, &o, &r);
	if (rc != CLI_CONTINUE)
		return rc;
	if (!o.output)
		return cli_usage_error("package build", "--output FILE is required");
	struct pkg_source src = {r.args[0], o.cfgfile, &o.env, &o.secret, r.rest, (size_t)r.nrest};
	if (pkg_source_load(&src, &pkg) != 0)
		return CLI_EXIT_FAIL;
	rc = pkg_encode(&pkg, 0, &b) || pkg_digest(&pkg, d);
	if (rc)
		cli_error("cannot encode the package");
	else
		rc = write_file(o.output, &b);
	if (!rc) {
		hex_encode(d, sizeof(d), hex);
		printf("%s: %zu bytes, %zu entries, workload digest sha256:%s\n", o.output, b.len,
		       pkg.n, hex);
	}
	buf_free(&b, 1);
	pkg_clear(&pkg);
	return rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* What inspect shows of a value: text for env/args/config sizes; never a
 * secret. */
static void show_entry(const struct pkg_entry *e, json_t *arr)
{
	int text = e->kind == PKG_ENV || e->kind == PKG_ARG;
	json_t *j = json_pack("{s:s, s:s, s:I}", "kind", pkg_kind_name(e->kind), "name", e->name,
	                      "bytes", (json_int_t)e->value_len);

	if (text)
		json_object_set_new(j, "value", json_stringn((const char *)e->value, e->value_len));
	if (arr) {
		json_array_append_new(arr, j);
		return;
	}
	json_decref(j);
	if (text)
		printf("  %-10s %s = %.*s\n", pkg_kind_name(e->kind), e->name[0] ? e->name : "-",
		       (int)(e->value_len > 200 ? 200 : e->value_len), (const char *)e->value);
	else
		printf("  %-10s %s%s (%zu bytes%s)\n", pkg_kind_name(e->kind),
		       e->kind == PKG_SECRET_FILE ? PKG_SECRET_FILE_DIR "/" : "", e->name,
		       e->value_len,
		       e->kind == PKG_SECRET || e->kind == PKG_SECRET_FILE ? ", value hidden" : "");
}

static int cmd_package_inspect(int argc, char **argv)
{
	struct pkg_inspect_opts o = {0};
	struct opt_result r;
	struct buf b = {0};
	struct pkg pkg;
	uint8_t d[PKG_DIGEST_LEN];
	char err[PATH_MAX + 64], hex[2 * PKG_DIGEST_LEN + 1];
	json_t *j = NULL, *arr = NULL;
	int rc = cli_parse(&cli_cmd_package_inspect, argc, argv, &o, &r);

	if (rc != CLI_CONTINUE)
		return rc;
	if (file_read_all(r.args[0], PKG_MAX_SIZE, &b, err, sizeof(err))) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	if (pkg_decode(b.data, b.len, &pkg, err, sizeof(err)) || pkg_digest(&pkg, d)) {
		cli_error("%s: %s", r.args[0], err);
		buf_free(&b, 1);
		return CLI_EXIT_FAIL;
	}
	hex_encode(d, sizeof(d), hex);
	if (o.json) {
		arr = json_array();
		j = json_pack("{s:i, s:s, s:I, s:o}", "version", PKG_VERSION, "digest", hex,
		              "bytes", (json_int_t)b.len, "entries", arr);
	} else {
		printf("package      %s (format %u, %zu bytes)\n", r.args[0], PKG_VERSION, b.len);
		printf("digest       sha256:%s\n", hex);
		printf("entries      %zu\n", pkg.n);
	}
	for (size_t i = 0; i < pkg.n; i++)
		show_entry(&pkg.e[i], arr);
	if (j) {
		char *s = json_dumps(j, JSON_INDENT(2));

		if (s)
			puts(s);
		free(s);
		json_decref(j);
	}
	pkg_clear(&pkg);
	buf_free(&b, 1);
	return CLI_EXIT_OK;
}
