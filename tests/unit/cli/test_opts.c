/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for the option engine (src/cli/opts.c): parsing every value
 * kind and spelling, the errors (which name the option and the command),
 * "--" and the rest, env defaults, and the help text made from the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/opts.h"

struct t_opts {
	int verbose;
	const char *name;
	struct opt_list files;
	long long count;
	int level;
};

static const char *parse_level(const char *arg, void *value)
{
	if (strcmp(arg, "low") == 0)
		*(int *)value = 1;
	else if (strcmp(arg, "high") == 0)
		*(int *)value = 2;
	else
		return "low or high";
	return NULL;
}

static const struct opt t_table[] = {
    OPT_FLAG('v', "verbose", struct t_opts, verbose, "say more"),
    OPT_STRING_ENV('n', "name", struct t_opts, name, "NAME", "T_OPTS_NAME", "a name"),
    OPT_LIST(0, "file", struct t_opts, files, "FILE", "a file\nmay repeat"),
    OPT_LIST(0, "crl", struct t_opts, files, "FILE", "shares the file list"),
    OPT_INT('c', "count", struct t_opts, count, "N", 1, 10, "how many"),
    OPT_CUSTOM(0, "level", struct t_opts, level, "LEVEL", parse_level, "low or high"),
    OPT_END(),
};

static const struct opt_cmd t_cmd = {
    .path = "thing do",
    .summary = "Do a thing",
    .opts = t_table,
    .args = "INPUT",
    .min_args = 1,
    .max_args = 1,
    .about = "Does the thing to INPUT.\n",
    .footer = "Exit status: 0.\n",
};

static const struct opt_cmd t_rest_cmd = {
    .path = "go",
    .opts = t_table,
    .args = "MODULE",
    .min_args = 1,
    .max_args = 1,
    .rest = "ARGS...",
};

/* The argv of the last parse: r->args and r->rest point into it. */
static char *argv_buf[2 * OPT_LIST_MAX + 8];

/* Parses a NULL-terminated word list (the command word first). opt_parse
 * reorders the pointers but never writes the strings, so literals do. */
static int parse(const struct opt_cmd *c, struct t_opts *o, struct opt_result *r,
                 const char **words)
{
	int argc = 0;

	for (; words[argc]; argc++) {
		assert_true(argc + 1 < (int)(sizeof(argv_buf) / sizeof(argv_buf[0])));
		argv_buf[argc] = (char *)(uintptr_t)words[argc];
	}
	argv_buf[argc] = NULL;
	memset(o, 0, sizeof(*o));
	return opt_parse(c, o, argc, argv_buf, r);
}

static void test_parse_ok(void **state)
{
	const char *argv[] = {"do",        "-v",      "--name", "x", "in",
	                      "--count=3", "--level", "high",   NULL};
	struct t_opts o;
	struct opt_result r;

	(void)state;
	assert_int_equal(parse(&t_cmd, &o, &r, argv), OPT_OK);
	assert_int_equal(o.verbose, 1);
	assert_string_equal(o.name, "x");
	assert_int_equal(o.count, 3);
	assert_int_equal(o.level, 2);
	assert_int_equal(r.nargs, 1);
	assert_string_equal(r.args[0], "in");
	assert_int_equal(r.nrest, 0);
}

static void test_value_spellings(void **state)
{
	const char *a1[] = {"do", "--name=eq", "in", NULL};
	const char *a2[] = {"do", "--name", "sp", "in", NULL};
	const char *a3[] = {"do", "-nshort", "in", NULL};
	const char *a4[] = {"do", "-n", "sep", "in", NULL};
	const char *a5[] = {"do", "--name=", "in", NULL};
	struct t_opts o;
	struct opt_result r;

	(void)state;
	assert_int_equal(parse(&t_cmd, &o, &r, a1), OPT_OK);
	assert_string_equal(o.name, "eq");
	assert_int_equal(parse(&t_cmd, &o, &r, a2), OPT_OK);
	assert_string_equal(o.name, "sp");
	assert_int_equal(parse(&t_cmd, &o, &r, a3), OPT_OK);
	assert_string_equal(o.name, "short");
	assert_int_equal(parse(&t_cmd, &o, &r, a4), OPT_OK);
	assert_string_equal(o.name, "sep");
	assert_int_equal(parse(&t_cmd, &o, &r, a5), OPT_OK);
	assert_string_equal(o.name, "");
}

static void test_unknown_option(void **state)
{
	const char *a1[] = {"do", "in", "--xml", NULL};
	const char *a2[] = {"do", "-q", "in", NULL};
	const char *a3[] = {"do", "--xml=1", "in", NULL};
	struct t_opts o;
	struct opt_result r;

	(void)state;
	assert_int_equal(parse(&t_cmd, &o, &r, a1), OPT_ERR);
	assert_string_equal(r.err, "thing do: unknown option '--xml'");
	assert_int_equal(parse(&t_cmd, &o, &r, a2), OPT_ERR);
	assert_string_equal(r.err, "thing do: unknown option '-q'");
	assert_int_equal(parse(&t_cmd, &o, &r, a3), OPT_ERR);
	assert_string_equal(r.err, "thing do: unknown option '--xml'");
}

static void test_missing_value(void **state)
{
	const char *a1[] = {"do", "in", "--name", NULL};
	const char *a2[] = {"do", "in", "-c", NULL};
	const char *a3[] = {"do", "--verbose=1", "in", NULL};
	struct t_opts o;
	struct opt_result r;

	(void)state;
	assert_int_equal(parse(&t_cmd, &o, &r, a1), OPT_ERR);
	assert_string_equal(r.err, "thing do: option '--name' needs a value (NAME)");
	assert_int_equal(parse(&t_cmd, &o, &r, a2), OPT_ERR);
	assert_string_equal(r.err, "thing do: option '-c' needs a value (N)");
	assert_int_equal(parse(&t_cmd, &o, &r, a3), OPT_ERR);
	assert_string_equal(r.err, "thing do: option '--verbose' takes no value");
}

static void test_bad_values(void **state)
{
	const char *a1[] = {"do", "--count", "11", "in", NULL};
	const char *a2[] = {"do", "--count", "3x", "in", NULL};
	const char *a3[] = {"do", "--level=mid", "in", NULL};
	const char *a4[] = {"do", "--count", "10", "in", NULL};
	struct t_opts o;
	struct opt_result r;

	(void)state;
	assert_int_equal(parse(&t_cmd, &o, &r, a1), OPT_ERR);
	assert_string_equal(r.err, "thing do: --count 11 is out of range (1 to 10)");
	assert_int_equal(parse(&t_cmd, &o, &r, a2), OPT_ERR);
	assert_string_equal(r.err, "thing do: --count wants a whole number, not '3x'");
	assert_int_equal(parse(&t_cmd, &o, &r, a3), OPT_ERR);
	assert_string_equal(r.err, "thing do: bad --level 'mid' (low or high)");
	assert_int_equal(parse(&t_cmd, &o, &r, a4), OPT_OK);
	assert_int_equal(o.count, 10);
}

static void test_positional_count(void **state)
{
	const char *a1[] = {"do", "-v", NULL};
	const char *a2[] = {"do", "a", "b", NULL};
	const char *a3[] = {"go", "m", "x", NULL};
	struct t_opts o;
	struct opt_result r;

	(void)state;
	assert_int_equal(parse(&t_cmd, &o, &r, a1), OPT_ERR);
	assert_string_equal(r.err, "thing do: missing INPUT");
	assert_int_equal(parse(&t_cmd, &o, &r, a2), OPT_ERR);
	assert_string_equal(r.err, "thing do: extra argument 'b'");
	assert_int_equal(parse(&t_rest_cmd, &o, &r, a3), OPT_ERR);
	assert_string_equal(r.err, "go: extra argument 'x' (ARGS... go after '--')");
}

static void test_dashdash(void **state)
{
	const char *a1[] = {"do", "--", "-v", NULL};
	const char *a2[] = {"go", "-v", "mod", "--", "--name", "x", "--", NULL};
	const char *a3[] = {"do", "-", NULL};
	struct t_opts o;
	struct opt_result r;

	(void)state;
	/* without rest: words after "--" are positional, even "-v" */
	assert_int_equal(parse(&t_cmd, &o, &r, a1), OPT_OK);
	assert_int_equal(o.verbose, 0);
	assert_int_equal(r.nargs, 1);
	assert_string_equal(r.args[0], "-v");
	/* with rest: they are passed on untouched */
	assert_int_equal(parse(&t_rest_cmd, &o, &r, a2), OPT_OK);
	assert_int_equal(o.verbose, 1);
	assert_null(o.name);
	assert_string_equal(r.args[0], "mod");
	assert_int_equal(r.nrest, 3);
	assert_string_equal(r.rest[0], "--name");
	assert_string_equal(r.rest[1], "x");
	assert_string_equal(r.rest[2], "--");
	/* a lone "-" is a word (stdin, by convention) */
	assert_int_equal(parse(&t_cmd, &o, &r, a3), OPT_OK);
	assert_string_equal(r.args[0], "-");
}

static void test_list_repeats(void **state)
{
	const char *a[] = {"do", "--file", "a", "in", "--crl=b", "--file=c", NULL};
	const char *big[OPT_LIST_MAX * 2 + 6]; /* "do", 65 pairs, "in", NULL */
	struct t_opts o;
	struct opt_result r;
	int n = 0;

	(void)state;
	assert_int_equal(parse(&t_cmd, &o, &r, a), OPT_OK);
	assert_int_equal(o.files.n, 3);
	assert_string_equal(o.files.v[0], "a");
	assert_string_equal(o.files.v[1], "b");
	assert_string_equal(o.files.v[2], "c");
	big[n++] = "do";
	for (int i = 0; i <= OPT_LIST_MAX; i++) {
		big[n++] = "--file";
		big[n++] = "f";
	}
	big[n++] = "in";
	big[n] = NULL;
	assert_int_equal(parse(&t_cmd, &o, &r, big), OPT_ERR);
	assert_string_equal(r.err, "thing do: too many --file (at most 64 values in all)");
}

static void test_help_option(void **state)
{
	const char *a1[] = {"do", "--help", NULL};
	const char *a2[] = {"do", "x", "-h", NULL};
	const char *a3[] = {"do", "--", "--help", NULL};
	struct t_opts o;
	struct opt_result r;

	(void)state;
	assert_int_equal(parse(&t_cmd, &o, &r, a1), OPT_HELP);
	assert_int_equal(parse(&t_cmd, &o, &r, a2), OPT_HELP);
	assert_int_equal(parse(&t_cmd, &o, &r, a3), OPT_OK);
	assert_string_equal(r.args[0], "--help");
}

static void test_env_default(void **state)
{
	const char *a1[] = {"do", "in", NULL};
	const char *a2[] = {"do", "--name", "cli", "in", NULL};
	struct t_opts o;
	struct opt_result r;

	(void)state;
	assert_int_equal(setenv("T_OPTS_NAME", "fromenv", 1), 0);
	assert_int_equal(parse(&t_cmd, &o, &r, a1), OPT_OK);
	assert_string_equal(o.name, "fromenv");
	assert_int_equal(parse(&t_cmd, &o, &r, a2), OPT_OK);
	assert_string_equal(o.name, "cli");
	assert_int_equal(setenv("T_OPTS_NAME", "", 1), 0);
	assert_int_equal(parse(&t_cmd, &o, &r, a1), OPT_OK);
	assert_null(o.name);
	unsetenv("T_OPTS_NAME");
}

/* What f received, NUL-terminated; the caller frees it. */
static char *render(void (*fn)(FILE *, const struct opt_cmd *), const struct opt_cmd *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	fn(f, c);
	fclose(f);
	return buf;
}

static void print_synopsis(FILE *f, const struct opt_cmd *c)
{
	opt_print_synopsis(f, "Usage: ", c);
}

static void test_help_text(void **state)
{
	char *s = render(opt_print_help, &t_cmd);

	(void)state;
	assert_non_null(strstr(s, "Usage: enarx thing do [-v|--verbose] [-n|--name NAME] "
	                          "[--file FILE]...\n"));
	assert_non_null(strstr(s, "[--crl FILE]... [-c|--count N] [--level LEVEL] INPUT\n"));
	assert_non_null(strstr(s, "\nDoes the thing to INPUT.\n"));
	assert_non_null(strstr(s, "\n  -v, --verbose           say more\n"));
	assert_non_null(strstr(s, "\n  -n, --name NAME         a name (env T_OPTS_NAME)\n"));
	assert_non_null(strstr(s, "\n     --file FILE          a file\n"
	                          "                          may repeat\n"));
	assert_non_null(strstr(s, "\n  -h, --help              show this help\n"));
	assert_non_null(strstr(s, "\nExit status: 0.\n"));
	for (char *line = s; line; line = strchr(line + 1, '\n'))
		assert_true(strcspn(line + 1, "\n") <= 80);
	free(s);
	s = render(print_synopsis, &t_rest_cmd);
	assert_non_null(strstr(s, " MODULE [-- ARGS...]\n"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_ok),       cmocka_unit_test(test_value_spellings),
	    cmocka_unit_test(test_unknown_option), cmocka_unit_test(test_missing_value),
	    cmocka_unit_test(test_bad_values),     cmocka_unit_test(test_positional_count),
	    cmocka_unit_test(test_dashdash),       cmocka_unit_test(test_list_repeats),
	    cmocka_unit_test(test_help_option),    cmocka_unit_test(test_env_default),
	    cmocka_unit_test(test_help_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
