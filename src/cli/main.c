/* SPDX-License-Identifier: Apache-2.0 */
/* enarx: entry point, the command table, and the dispatch from a command
 * or group (`enarx attest verify`) to its handler; the help of each comes
 * from its table (opts.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config.h"
#include "keep/proto.h"

static const struct cli_cmd *const commands[] = {
    &cli_cmd_run,      &cli_cmd_deploy,
    &cli_cmd_package,  &cli_cmd_config,
    &cli_cmd_attest,   &cli_cmd_measure,
    &cli_cmd_platform, &cli_cmd_host,
    &cli_cmd_keep,     &cli_cmd_steward,
    &cli_cmd_oci,      &cli_cmd_version,
    &cli_cmd_help,     NULL,
};

/* The last word of a command's path: its name in its parent's table. */
static const char *cmd_name(const struct cli_cmd *c)
{
	const char *sp = strrchr(c->spec.path, ' ');

	return sp ? sp + 1 : c->spec.path;
}

static const struct cli_cmd *find_in(const struct cli_cmd *const *t, const char *name)
{
	for (; t && *t; t++) {
		if (strcmp(cmd_name(*t), name) == 0)
			return *t;
	}
	return NULL;
}

const struct cli_cmd *cli_find(char *const *words, int n)
{
	const struct cli_cmd *c = NULL;
	const struct cli_cmd *const *t = commands;

	for (int i = 0; i < n; i++) {
		c = find_in(t, words[i]);
		if (!c)
			return NULL;
		t = c->subs;
	}
	return c;
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("enarx: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("enarx: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'enarx help %s'.\n", cmd);
	return CLI_EXIT_USAGE;
}

int cli_parse(const struct cli_cmd *c, int argc, char **argv, void *opts, struct opt_result *r)
{
	switch (opt_parse(&c->spec, opts, argc, argv, r)) {
	case OPT_OK: return CLI_CONTINUE;
	case OPT_HELP: cli_print_help(stdout, c); return CLI_EXIT_OK;
	default:
		cli_error("%s", r->err);
		opt_print_synopsis(stderr, "Usage: ", &c->spec);
		fprintf(stderr, "Try 'enarx help %s'.\n", c->spec.path);
		return CLI_EXIT_USAGE;
	}
}

/* "'init', 'check'": a group's subcommand names, for its errors. */
static void sub_names(const struct cli_cmd *g, char *buf, size_t n)
{
	size_t l = 0;

	buf[0] = 0;
	for (const struct cli_cmd *const *s = g->subs; *s && l < n; s++) {
		snprintf(buf + l, n - l, "%s'%s'", l ? ", " : "", cmd_name(*s));
		l += strlen(buf + l);
	}
}

void cli_print_help(FILE *f, const struct cli_cmd *c)
{
	const char *prefix = "Usage: ";

	if (!c->subs) {
		opt_print_help(f, &c->spec);
		return;
	}
	for (const struct cli_cmd *const *s = c->subs; *s; s++, prefix = "       ")
		opt_print_synopsis(f, prefix, &(*s)->spec);
	if (c->spec.about)
		fprintf(f, "\n%s", c->spec.about);
	fputs("\nCommands:\n", f);
	for (const struct cli_cmd *const *s = c->subs; *s; s++)
		fprintf(f, "  %-10s %s\n", cmd_name(*s), (*s)->spec.summary);
	fprintf(f, "\nRun 'enarx help %s COMMAND' for the options of a command.\n", c->spec.path);
}

int cli_dispatch(const struct cli_cmd *c, int argc, char **argv)
{
	const struct cli_cmd *s;
	char names[128];

	if (!c->subs)
		return c->fn(argc, argv);
	sub_names(c, names, sizeof(names));
	if (argc < 2)
		return cli_usage_error(c->spec.path, "%s: missing subcommand (expected %s)",
		                       c->spec.path, names);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_print_help(stdout, c);
		return CLI_EXIT_OK;
	}
	s = find_in(c->subs, argv[1]);
	if (!s)
		return cli_usage_error(c->spec.path, "%s: unknown subcommand '%s' (expected %s)",
		                       c->spec.path, argv[1], names);
	return cli_dispatch(s, argc - 1, argv + 1);
}

void cli_print_main_help(FILE *f)
{
	fprintf(f, "enarx %s: run WebAssembly workloads in attested Keeps\n\n", ENARX_VERSION);
	fputs("Usage: enarx [--help] [--version] COMMAND [ARGS...]\n\nCommands:\n", f);
	for (const struct cli_cmd *const *c = commands; *c; c++)
		fprintf(f, "  %-10s %s\n", cmd_name(*c), (*c)->spec.summary);
	fputs("\nRun 'enarx help COMMAND' for the options of a command.\n"
	      "Environment: ENARX_LOG=error|warn|info|debug|trace sets the log level.\n",
	      f);
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		cli_print_main_help(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_print_main_help(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return cmd_version(1, argv + 1);
	c = find_in(commands, argv[1]);
	if (!c) {
		cli_error("unknown command '%s'", argv[1]);
		fputs("Run 'enarx --help' for the list of commands.\n", stderr);
		return CLI_EXIT_USAGE;
	}
	return cli_dispatch(c, argc - 1, argv + 1);
}

void cli_print_trap(const struct kp_trap *t)
{
	fprintf(stderr, "Error: wasm trap: %s\n", t->message);
	if (t->nframes)
		fputs("wasm backtrace:\n", stderr);
	for (uint32_t i = 0; i < t->nframes; i++) {
		const struct kp_frame *f = &t->frames[i];

		fprintf(stderr, "  %3u: 0x%06x - func[%u]%s%s\n", i, f->code_offset, f->func_index,
		        f->name[0] ? " " : "", f->name);
	}
}
