/* SPDX-License-Identifier: Apache-2.0 */
/* The option engine behind every enarx command: parsing argv against a
 * command's opt table, and the usage/help text generated from that table
 * (opts.h). Values are stored by offset, so tables can be static const. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/opts.h"

#define HELP_COL 26 /* column where option help starts */
#define WRAP_COL 80

static int fail(struct opt_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct opt_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return OPT_ERR;
}

static void *slot(void *base, const struct opt *o)
{
	return (char *)base + o->off;
}

static const struct opt *find_long(const struct opt *t, const char *name, size_t len)
{
	for (; t && t->type != OPT_T_END; t++) {
		if (strlen(t->long_name) == len && memcmp(t->long_name, name, len) == 0)
			return t;
	}
	return NULL;
}

static const struct opt *find_short(const struct opt *t, char c)
{
	for (; t && t->type != OPT_T_END; t++) {
		if (t->short_name == c)
			return t;
	}
	return NULL;
}

static int store_int(const struct opt_cmd *c, const struct opt *o, const char *arg, void *base,
                     struct opt_result *r)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (end == arg || *end || errno)
		return fail(r, "%s: --%s wants a whole number, not '%s'", c->path, o->long_name,
		            arg);
	if (v < o->min || v > o->max)
		return fail(r, "%s: --%s %lld is out of range (%lld to %lld)", c->path,
		            o->long_name, v, o->min, o->max);
	*(long long *)slot(base, o) = v;
	return OPT_OK;
}

/* Stores the value arg (NULL for a flag) of option o. */
static int store(const struct opt_cmd *c, const struct opt *o, const char *arg, void *base,
                 struct opt_result *r)
{
	struct opt_list *l;
	const char *want;

	switch (o->type) {
	case OPT_T_FLAG: *(int *)slot(base, o) = 1; return OPT_OK;
	case OPT_T_STRING: *(const char **)slot(base, o) = arg; return OPT_OK;
	case OPT_T_LIST:
		l = slot(base, o);
		if (l->n >= OPT_LIST_MAX)
			return fail(r, "%s: too many --%s (at most %d values in all)", c->path,
			            o->long_name, OPT_LIST_MAX);
		l->v[l->n++] = arg;
		return OPT_OK;
	case OPT_T_INT: return store_int(c, o, arg, base, r);
	case OPT_T_CUSTOM:
		want = o->parse(arg, slot(base, o));
		if (want)
			return fail(r, "%s: bad --%s '%s' (%s)", c->path, o->long_name, arg, want);
		return OPT_OK;
	case OPT_T_END: break;
	}
	return fail(r, "%s: --%s: bad option table", c->path, o->long_name);
}

/* argv[*i] is "--name" or "--name=value"; consumes the value if needed. */
static int parse_long(const struct opt_cmd *c, void *base, int argc, char **argv, int *i,
                      struct opt_result *r)
{
	const char *name = argv[*i] + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct opt *o = find_long(c->opts, name, len);

	if (!o && len == 4 && memcmp(name, "help", 4) == 0)
		return OPT_HELP;
	if (!o)
		return fail(r, "%s: unknown option '%.*s'", c->path, (int)len + 2, argv[*i]);
	if (o->type == OPT_T_FLAG) {
		if (eq)
			return fail(r, "%s: option '--%s' takes no value", c->path, o->long_name);
		return store(c, o, NULL, base, r);
	}
	if (eq)
		return store(c, o, eq + 1, base, r);
	if (*i + 1 >= argc)
		return fail(r, "%s: option '--%s' needs a value (%s)", c->path, o->long_name,
		            o->argh ? o->argh : "an argument");
	return store(c, o, argv[++*i], base, r);
}

/* argv[*i] is "-x", or "-xVALUE" for an option with a value. */
static int parse_short(const struct opt_cmd *c, void *base, int argc, char **argv, int *i,
                       struct opt_result *r)
{
	const char *a = argv[*i];
	const struct opt *o = find_short(c->opts, a[1]);

	if (!o && a[1] == 'h' && !a[2])
		return OPT_HELP;
	if (!o)
		return fail(r, "%s: unknown option '%s'", c->path, a);
	if (o->type == OPT_T_FLAG) {
		if (a[2])
			return fail(r, "%s: option '-%c' takes no value (in '%s')", c->path, a[1],
			            a);
		return store(c, o, NULL, base, r);
	}
	if (a[2])
		return store(c, o, a + 2, base, r);
	if (*i + 1 >= argc)
		return fail(r, "%s: option '-%c' needs a value (%s)", c->path, a[1],
		            o->argh ? o->argh : "an argument");
	return store(c, o, argv[++*i], base, r);
}

static void apply_env(const struct opt_cmd *c, void *base)
{
	for (const struct opt *o = c->opts; o && o->type != OPT_T_END; o++) {
		const char *v = o->env ? getenv(o->env) : NULL;

		if (o->type == OPT_T_STRING && v && *v)
			*(const char **)slot(base, o) = v;
	}
}

static int check_count(const struct opt_cmd *c, struct opt_result *r)
{
	if (r->nargs < c->min_args)
		return fail(r, "%s: missing %s", c->path, c->args ? c->args : "argument");
	if (c->max_args >= 0 && r->nargs > c->max_args) {
		const char *extra = r->args[c->max_args];

		if (c->rest)
			return fail(r, "%s: extra argument '%s' (%s go after '--')", c->path, extra,
			            c->rest);
		return fail(r, "%s: extra argument '%s'", c->path, extra);
	}
	return OPT_OK;
}

int opt_parse(const struct opt_cmd *c, void *base, int argc, char **argv, struct opt_result *r)
{
	int i, rc = OPT_OK, npos = 0;

	memset(r, 0, sizeof(*r));
	apply_env(c, base);
	for (i = 1; i < argc && rc == OPT_OK; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] == '-' && a[1] == '-')
			rc = parse_long(c, base, argc, argv, &i, r);
		else if (a[0] == '-' && a[1])
			rc = parse_short(c, base, argc, argv, &i, r);
		else
			argv[1 + npos++] = argv[i]; /* npos < i: never overwrites unread words */
	}
	if (rc != OPT_OK)
		return rc;
	if (!c->rest) {
		for (; i < argc; i++)
			argv[1 + npos++] = argv[i];
	}
	r->args = argv + 1;
	r->nargs = npos;
	r->rest = argv + i;
	r->nrest = argc - i;
	return check_count(c, r);
}

/* One "[--name ARG]" (or "[--name ARG]..." for a list) into buf. */
static void opt_synopsis(const struct opt *o, char *buf, size_t n)
{
	char name[64];

	if (o->short_name)
		snprintf(name, sizeof(name), "-%c|--%s", o->short_name, o->long_name);
	else
		snprintf(name, sizeof(name), "--%s", o->long_name);
	snprintf(buf, n, "[%s%s%s]%s", name, o->argh ? " " : "", o->argh ? o->argh : "",
	         o->type == OPT_T_LIST ? "..." : "");
}

/* Appends word to the synopsis line, wrapping under indent columns. */
static void put_word(FILE *f, const char *word, size_t *col, size_t indent)
{
	size_t l = strlen(word);

	if (*col + 1 + l > WRAP_COL && *col > indent) {
		fprintf(f, "\n%*s", (int)indent, "");
		*col = indent;
	} else {
		fputc(' ', f);
		(*col)++;
	}
	fputs(word, f);
	*col += l;
}

void opt_print_synopsis(FILE *f, const char *prefix, const struct opt_cmd *c)
{
	char w[128];
	size_t col, indent;

	fprintf(f, "%senarx %s", prefix, c->path);
	col = strlen(prefix) + 6 + strlen(c->path);
	indent = col + 1;
	for (const struct opt *o = c->opts; o && o->type != OPT_T_END; o++) {
		opt_synopsis(o, w, sizeof(w));
		put_word(f, w, &col, indent);
	}
	if (c->args)
		put_word(f, c->args, &col, indent);
	if (c->rest) {
		snprintf(w, sizeof(w), "[-- %s]", c->rest);
		put_word(f, w, &col, indent);
	}
	fputc('\n', f);
}

/* "  -x, --name ARG      help", continuation lines of help indented. */
static void opt_help_line(FILE *f, const struct opt *o)
{
	char left[96];
	const char *h = o->help, *nl;

	snprintf(left, sizeof(left), "%s%c%s--%s%s%s", o->short_name ? "-" : "",
	         o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->long_name,
	         o->argh ? " " : "", o->argh ? o->argh : "");
	if (strlen(left) + 4 > HELP_COL)
		fprintf(f, "  %s\n%*s", left, HELP_COL, "");
	else
		fprintf(f, "  %-*s", HELP_COL - 2, left);
	while ((nl = strchr(h, '\n')) != NULL) {
		fprintf(f, "%.*s\n%*s", (int)(nl - h), h, HELP_COL, "");
		h = nl + 1;
	}
	fprintf(f, "%s", h);
	if (o->env)
		fprintf(f, " (env %s)", o->env);
	fputc('\n', f);
}

void opt_print_help(FILE *f, const struct opt_cmd *c)
{
	static const struct opt help = {OPT_T_FLAG,       'h',  "help", 0, NULL,
	                                "show this help", NULL, 0,      0, NULL};

	opt_print_synopsis(f, "Usage: ", c);
	if (c->about)
		fprintf(f, "\n%s", c->about);
	fputc('\n', f);
	for (const struct opt *o = c->opts; o && o->type != OPT_T_END; o++)
		opt_help_line(f, o);
	opt_help_line(f, &help);
	if (c->footer)
		fprintf(f, "\n%s", c->footer);
}
