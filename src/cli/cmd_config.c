/* SPDX-License-Identifier: Apache-2.0 */
/* enarx config init: writes a commented Enarx.toml template to the current
 * directory (refusing to overwrite one); enarx config check FILE parses one
 * and reports the first error with its line and key. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "config/config.h"
#include "lib/buf.h"
#include "lib/file.h"

static int config_init(void)
{
	size_t n = strlen(config_template), off = 0;
	int fd = open("Enarx.toml", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ssize_t w;

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

static int config_check(const char *path)
{
	struct buf b = {0};
	struct config *cfg = NULL;
	char err[PATH_MAX + 64];
	int rc;

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
	printf("%s: ok (%zu args, %zu env, %zu files)\n", path, cfg->nargs, cfg->nenv, cfg->nfiles);
	config_free(cfg);
	return CLI_EXIT_OK;
}

int cmd_config(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "init") == 0)
		return config_init();
	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return config_check(argv[2]);
	return cli_usage_error("config", "usage: enarx config init | enarx config check FILE");
}
