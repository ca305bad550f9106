/* SPDX-License-Identifier: Apache-2.0 */
/* Command-line options declared once, as a table (kvmtool's parse-options
 * idea): each entry names the option, its help, and where its value goes in
 * the command's options struct (an offset). opt_parse() reads argv with the
 * table and opt_print_help() writes the usage text from the same table. */
#ifndef ENARX_CLI_OPTS_H
#define ENARX_CLI_OPTS_H

#include <stddef.h>
#include <stdio.h>

enum opt_type {
	OPT_T_END,    /* terminates a table */
	OPT_T_FLAG,   /* int: set to 1 when present */
	OPT_T_STRING, /* const char *: the value (borrowed from argv or environ) */
	OPT_T_LIST,   /* struct opt_list: each occurrence appends its value */
	OPT_T_INT,    /* long long in [min, max], decimal */
	OPT_T_CUSTOM, /* any type: parse() converts the text */
};

/* Most values a list option keeps; one more is a usage error. */
#define OPT_LIST_MAX 64

/* The values of a repeatable option, in command-line order. Several list
 * options may share one opt_list (e.g. --certs and --crl). */
struct opt_list {
	const char *v[OPT_LIST_MAX];
	size_t n;
};

/* Converts arg into *value; returns NULL, or what was expected (for the
 * error message, e.g. "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"). */
typedef const char *(*opt_parse_fn)(const char *arg, void *value);

struct opt {
	enum opt_type type;
	char short_name;       /* 0 if none */
	const char *long_name; /* without the leading "--" */
	size_t off;            /* offset of the value in the options struct */
	const char *argh;      /* value name in help (FILE, NAME); NULL for flags */
	const char *help;      /* may hold '\n' for more lines */
	const char *env;       /* strings: variable giving the default, or NULL */
	long long min, max;    /* OPT_T_INT range, inclusive */
	opt_parse_fn parse;    /* OPT_T_CUSTOM */
};

/* Table entries. T is the options struct type, F the member. OPT__OFF is
 * offsetof(T, F), plus a compile-time check (a pointer comparison that
 * -Werror rejects) that F has the type the option stores. */
#define OPT__OFF(T, F, V) (offsetof(T, F) + 0 * sizeof(&((T *)0)->F == (V *)0))
#define OPT_FLAG(s, l, T, F, h)                                                  \
	{                                                                        \
		OPT_T_FLAG, s, l, OPT__OFF(T, F, int), NULL, h, NULL, 0, 0, NULL \
	}
#define OPT_STRING(s, l, T, F, a, h)                                                     \
	{                                                                                \
		OPT_T_STRING, s, l, OPT__OFF(T, F, const char *), a, h, NULL, 0, 0, NULL \
	}
#define OPT_STRING_ENV(s, l, T, F, a, env, h)                                           \
	{                                                                               \
		OPT_T_STRING, s, l, OPT__OFF(T, F, const char *), a, h, env, 0, 0, NULL \
	}
#define OPT_LIST(s, l, T, F, a, h)                                                        \
	{                                                                                 \
		OPT_T_LIST, s, l, OPT__OFF(T, F, struct opt_list), a, h, NULL, 0, 0, NULL \
	}
#define OPT_INT(s, l, T, F, a, lo, hi, h)                                            \
	{                                                                            \
		OPT_T_INT, s, l, OPT__OFF(T, F, long long), a, h, NULL, lo, hi, NULL \
	}
#define OPT_CUSTOM(s, l, T, F, a, fn, h)                                 \
	{                                                                \
		OPT_T_CUSTOM, s, l, offsetof(T, F), a, h, NULL, 0, 0, fn \
	}
#define OPT_END()                                                   \
	{                                                           \
		OPT_T_END, 0, NULL, 0, NULL, NULL, NULL, 0, 0, NULL \
	}

/* One command's declaration: what help shows and what parsing accepts. */
struct opt_cmd {
	const char *path;       /* words after "enarx", e.g. "attest verify" */
	const char *summary;    /* one line for command lists */
	const struct opt *opts; /* OPT_END-terminated; NULL for none */
	const char *args;       /* positional synopsis, e.g. "EVIDENCE"; NULL if none */
	int min_args, max_args; /* positional count; max_args < 0: any number */
	const char *rest;       /* if set, words after "--" are these (e.g. "ARGS...") */
	const char *about;      /* paragraphs after the usage line; may be NULL */
	const char *footer;     /* text after the options (exit status); may be NULL */
};

enum {
	OPT_OK = 0,   /* parsed: the command runs */
	OPT_HELP = 1, /* -h/--help was given: print help, run nothing */
	OPT_ERR = -1, /* usage error: opt_result.err says what */
};

struct opt_result {
	char **args; /* positional words, in order (moved to the front of argv) */
	int nargs;
	char **rest; /* words after "--" when opt_cmd.rest is set */
	int nrest;
	char err[256]; /* on OPT_ERR: the error, naming the option and the command */
};

/* Parses argv[1..argc) (argv[0] is the command word) against c->opts,
 * storing values at base + opt.off; base must be zeroed by the caller (or
 * hold defaults). Options and positional words may mix; "--" ends the
 * options, and later words are positional, or the rest if c->rest is set.
 * "--name=value", "--name value", "-x value" and "-xvalue" are accepted.
 * A lone "-" is positional. Environment defaults (OPT_STRING_ENV) are
 * applied first. Reorders argv; r->args and r->rest point into it.
 * Returns OPT_OK, OPT_HELP or OPT_ERR (message in r->err). */
int opt_parse(const struct opt_cmd *c, void *base, int argc, char **argv, struct opt_result *r);

/* Writes the one-line synopsis "enarx PATH [--opt ARG]... ARGS [-- REST]",
 * wrapped under itself at 80 columns, with prefix before the first line
 * (e.g. "Usage: "). */
void opt_print_synopsis(FILE *f, const char *prefix, const struct opt_cmd *c);

/* Writes the full help of c: synopsis, about, one line per option (plus
 * -h, --help), footer. */
void opt_print_help(FILE *f, const struct opt_cmd *c);

#endif
