/* SPDX-License-Identifier: Apache-2.0 */
/* enarx config init: writes a commented Enarx.toml template to the current
 * directory (refusing to overwrite one); enarx config check FILE parses one
 * and reports the first error with its line and key. Options and help come
 * from the tables below (opts.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/config.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/file.h"

static int config_init(int argc, char **argv);
static int config_check(int argc, char **argv);

static const struct cli_cmd cli_cmd_config_init = {
    .spec = {.path = "config init",
             .summary = "Write a commented Enarx.toml template here",
             .about = "Writes a commented Enarx.toml template in the current directory (it\n"
                      "refuses to overwrite one).\n"},
    .fn = config_init,
};

static const struct cli_cmd cli_cmd_config_check = {
    .spec = {.path = "config check",
             .summary = "Parse an Enarx.toml and report the first error",
             .args = "FILE",
             .min_args = 1,
             .max_args = 1,
             .about = "Parses FILE and reports the first error with its line and key.\n"},
    .fn = config_check,
};

const struct cli_cmd cli_cmd_config = {
    .spec = {.path = "config", .summary = "Write or check an Enarx.toml"},
    .subs = (const struct cli_cmd *const[]){&cli_cmd_config_init, &cli_cmd_config_check, NULL},
};

static int config_init(int argc, char **argv)
{
	struct opt_result r;
	int rc = cli_parse(&cli_cmd_config_init, argc, argv, NULL, &r);

	size_t n = strlen(config_template), off = 0;
	int fd;
	ssize_t w;

	if (rc != CLI_CONTINUE)
		return rc;
	fd = open("Enarx.toml", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		cli_error("cannot create Enarx.toml: %s", strerror(errno));
		return CLI_EXIT_FAIL;
	}
	while (off < n) {
		w = write(fd, config_template + off, n - off);
		if (w <= 0) {
			cli_error("writing Enarx.toml: %s", strerror(errno));
			close(fd);
			return CLI_EXIT_FAIL;
		}
		off += (size_t)w;
	}
	close(fd);
	printf("Wrote Enarx.toml\n");
	return CLI_EXIT_OK;
}

static int config_check(int argc, char **argv)
{
	struct buf b = {0};
	struct config *cfg = NULL;
	struct opt_result r;
	char err[PATH_MAX + 64];
	char *dir = NULL;
	const char *path;
	int rc = cli_parse(&cli_cmd_config_check, argc, argv, NULL, &r);

	if (rc != CLI_CONTINUE)
		return rc;
	path = r.args[0];
	if (file_read_all(path, CONFIG_MAX_SIZE, &b, err, sizeof(err))) {
		cli_error("%s", err);
		buf_free(&b, 0);
		return CLI_EXIT_FAIL;
	}
	rc = config_parse((const char *)b.data, b.len, &cfg, err, sizeof(err));
	buf_free(&b, 0);
	if (rc) {
		cli_error("%s: %s", path, err);
		return CLI_EXIT_FAIL;
	}
	/* relative dir paths are the file's, as enarx run takes them */
	if (config_file_dir(path, &dir) == 0)
		rc = config_resolve_paths(cfg, dir);
	xfree(dir);
	if (rc) {
		cli_error("%s: %s", path, enarx_strerror(rc));
		config_free(cfg);
		return CLI_EXIT_FAIL;
	}
	/* the same refusal enarx run and the executor make (config.h) */
	for (size_t i = 0; i < cfg->nfiles; i++) {
		if (cfg->files[i].kind == CONFIG_DIR &&
		    config_dir_check(&cfg->files[i], err, sizeof(err)) != 0) {
			cli_error("%s: %s", path, err);
			config_free(cfg);
			return CLI_EXIT_FAIL;
		}
	}
	printf("%s: ok (%zu args, %zu env, %zu files)\n", path, cfg->nargs, cfg->nenv, cfg->nfiles);
	config_free(cfg);
	return CLI_EXIT_OK;
}
