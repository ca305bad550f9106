/* SPDX-License-Identifier: Apache-2.0 */
/* `enarx version`: prints the version (also `enarx --version`). */
#include <stdio.h>

#include "cli/cli.h"
#include "config.h"

int cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cli_usage_error("version", "version takes no arguments");
	printf("enarx %s\n", ENARX_VERSION);
	return CLI_EXIT_OK;
}
