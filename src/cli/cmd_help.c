/* SPDX-License-Identifier: Apache-2.0 */
/* `enarx help [COMMAND [SUBCOMMAND]]`: the command list, or the help of one
 * command, generated from its table. */
#include <stdio.h>

#include "cli/cli.h"

static int cmd_help(int argc, char **argv);

const struct cli_cmd cli_cmd_help = {
    .spec = {.path = "help",
             .summary = "Show help for a command",
             .args = "[COMMAND [SUBCOMMAND]]",
             .max_args = 2,
             .about = "Shows the list of commands, or the help of COMMAND.\n"},
    .fn = cmd_help,
};

static int cmd_help(int argc, char **argv)
{
	struct opt_result r;
	const struct cli_cmd *c;
	int rc = cli_parse(&cli_cmd_help, argc, argv, NULL, &r);

	if (rc != CLI_CONTINUE)
		return rc;
	if (r.nargs == 0) {
		cli_print_main_help(stdout);
		return CLI_EXIT_OK;
	}
	c = cli_find(r.args, r.nargs);
	if (!c) {
		cli_error("unknown command '%s'", r.args[r.nargs - 1]);
		return CLI_EXIT_USAGE;
	}
	cli_print_help(stdout, c);
	return CLI_EXIT_OK;
}
