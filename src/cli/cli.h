/* SPDX-License-Identifier: Apache-2.0 */
/* The enarx command line: one cmd_<name>.c per subcommand, each exporting a
 * struct cli_cmd (its options table and help, opts.h) listed in main.c. A
 * command returns the process exit code: 0 success, 1 failure, 2 usage
 * error (CLI_EXIT_*), or the workload's own code. */
#ifndef ENARX_CLI_CLI_H
#define ENARX_CLI_CLI_H

#include <stdio.h>

#include "cli/opts.h"

enum {
	CLI_CONTINUE = -1, /* cli_parse: options parsed, the command goes on */
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAIL = 1,
	CLI_EXIT_USAGE = 2,
};

/* A command, or a group of subcommands (`enarx attest verify`). A leaf has
 * fn, which calls cli_parse() with its own entry; a group has subs. */
struct cli_cmd {
	struct opt_cmd spec;               /* path, summary, options, help text */
	int (*fn)(int argc, char **argv);  /* argv[0] is the command's last word */
	const struct cli_cmd *const *subs; /* NULL-terminated; NULL for a leaf */
};

/* Parses a leaf command's options into opts (zeroed or holding defaults by
 * the caller) with opt_parse(). Returns CLI_CONTINUE, or the exit code the
 * command returns now: CLI_EXIT_OK after printing help for --help, or
 * CLI_EXIT_USAGE after reporting the error. */
int cli_parse(const struct cli_cmd *c, int argc, char **argv, void *opts, struct opt_result *r);

/* Runs c with argv[0] its name: a group picks its subcommand, a leaf runs. */
int cli_dispatch(const struct cli_cmd *c, int argc, char **argv);

/* The command at words[0..n) ("attest", "verify"), or NULL. */
const struct cli_cmd *cli_find(char *const *words, int n);

/* Writes c's help: a leaf's options, or a group's subcommands. */
void cli_print_help(FILE *f, const struct cli_cmd *c);

/* Prints "enarx: <msg>" to stderr; for errors the user can act on. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports a usage error for cmd (a path like "attest verify") and returns
 * CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints the list of commands (`enarx --help`). */
void cli_print_main_help(FILE *f);

/* Prints a trap and its backtrace to stderr as `enarx run` always has
 * (docs/keep-protocol.md). */
struct kp_trap;
void cli_print_trap(const struct kp_trap *t);

/* The commands (keep sorted); each lives in its cmd_<name>.c. */
extern const struct cli_cmd cli_cmd_attest;
extern const struct cli_cmd cli_cmd_config;
extern const struct cli_cmd cli_cmd_deploy;
extern const struct cli_cmd cli_cmd_package;
extern const struct cli_cmd cli_cmd_help;
extern const struct cli_cmd cli_cmd_host;
extern const struct cli_cmd cli_cmd_keep;
extern const struct cli_cmd cli_cmd_measure;
extern const struct cli_cmd cli_cmd_oci;
extern const struct cli_cmd cli_cmd_platform;
extern const struct cli_cmd cli_cmd_run;
extern const struct cli_cmd cli_cmd_steward;
extern const struct cli_cmd cli_cmd_version;

/* `enarx --version` shares `enarx version`'s entry point. */
int cmd_version(int argc, char **argv);

#endif
