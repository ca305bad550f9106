/* SPDX-License-Identifier: Apache-2.0 */
/* `enarx version`: prints the version (also `enarx --version`). */
#include <stdio.h>

#include "cli/cli.h"
#include "config.h"

const struct cli_cmd cli_cmd_version = {
    .spec = {.path = "version",
             .summary = "Print the version",
             .about = "Prints the enarx version (same as enarx --version).\n"},
    .fn = cmd_version,
};

int cmd_version(int argc, char **argv)
{
	struct opt_result r;
	int rc = cli_parse(&cli_cmd_version, argc, argv, NULL, &r);

	if (rc != CLI_CONTINUE)
		return rc;
	printf("enarx %s\n", ENARX_VERSION);
	return CLI_EXIT_OK;
}
