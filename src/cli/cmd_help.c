/* SPDX-License-Identifier: Apache-2.0 */
/* `enarx help [COMMAND]`: the command list, or one command's usage. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		cli_print_main_help(stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 2)
		return cli_usage_error("help", "help takes at most one command name");
	if (cli_print_usage(stdout, argv[1]) != 0) {
		cli_error("unknown command '%s'", argv[1]);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}
