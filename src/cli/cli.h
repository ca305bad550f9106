/* SPDX-License-Identifier: Apache-2.0 */
/* The enarx command line: one cmd_<name>.c per subcommand, listed in the
 * table in main.c. A command returns the process exit code: 0 success,
 * 1 failure, 2 usage error (CLI_EXIT_*), or the workload's own code. */
#ifndef ENARX_CLI_CLI_H
#define ENARX_CLI_CLI_H

#include <stdio.h>

enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAIL = 1,
	CLI_EXIT_USAGE = 2,
};

struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0] is the command name */
	const char *summary;              /* one line for `enarx --help` */
	const char *usage;                /* full text for `enarx help NAME` */
};

/* Prints "enarx: <msg>" to stderr; for errors the user can act on. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports a usage error for cmd and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints the usage text of a command to f. Returns 0, or -1 if unknown. */
int cli_print_usage(FILE *f, const char *name);

/* Prints the list of commands (`enarx --help`). */
void cli_print_main_help(FILE *f);

/* Subcommand entry points (keep sorted). */
int cmd_attest(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_measure(int argc, char **argv);
int cmd_platform(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif
