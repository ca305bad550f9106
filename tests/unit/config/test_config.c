/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the Enarx.toml parser: the forms Enarx accepts, defaults,
 * FD ordering and errors that name the line and the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "lib/alloc.h"
#include "lib/toml.h"
#include "lib/err.h"

static struct config *ok(const char *text)
{
	struct config *cfg = NULL;
	char err[256];
	int rc = config_parse(text, strlen(text), &cfg, err, sizeof(err));

	if (rc)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(cfg);
	return cfg;
}

/* Expects a failure whose message contains want. */
static void bad(const char *text, int want_rc, const char *want)
{
	struct config *cfg = NULL;
	char err[256];
	int rc = config_parse(text, strlen(text), &cfg, err, sizeof(err));

	assert_int_equal(rc, want_rc);
	assert_null(cfg);
	if (!strstr(err, want))
		print_error("message '%s' lacks '%s'\n", err, want);
	assert_non_null(strstr(err, want));
}

static void test_empty_gives_stdio(void **state)
{
	struct config *cfg = ok("# nothing\n\n");

	(void)state;
	assert_int_equal(cfg->nfiles, 3);
	assert_int_equal(cfg->files[0].kind, CONFIG_STDIN);
	assert_string_equal(cfg->files[1].name, "stdout");
	assert_int_equal(cfg->files[2].kind, CONFIG_STDERR);
	assert_int_equal(cfg->nargs, 0);
	config_free(cfg);
}

static void test_full_example(void **state)
{
	struct config *cfg =
	    ok("steward = \"https://steward.example.org\"\n"
	       "args = [\"--verbose\", 'x y', \"\\u00e9\\t\"]\n"
	       "[env]\nMODE = \"prod\"\n\"QUOTED KEY\" = 'v'\n"
	       "[[files]]\nkind = \"stdin\"\n"
	       "[[files]]\nkind = \"stdout\"\n"
	       "[[files]]\nkind = \"stderr\"\n"
	       "[[files]]\nkind = \"listen\" # fd 3\nname = \"api\"\nprot = \"tcp\"\nport = 8_443\n"
	       "[[files]]\nkind = \"connect\"\nprot = \"tcp\"\nhost = \"10.0.0.5\"\nport = 5432\n"
	       "[[files]]\r\nkind = \"null\"\r\n");

	(void)state;
	assert_string_equal(cfg->steward, "https://steward.example.org");
	assert_int_equal(cfg->nargs, 3);
	assert_string_equal(cfg->args[1], "x y");
	assert_string_equal(cfg->args[2], "\xc3\xa9\t");
	assert_int_equal(cfg->nenv, 2);
	assert_string_equal(cfg->env[1].key, "QUOTED KEY");
	assert_int_equal(cfg->nfiles, 6);
	assert_int_equal(cfg->files[3].kind, CONFIG_LISTEN);
	assert_string_equal(cfg->files[3].addr, "::");
	assert_int_equal(cfg->files[3].port, 8443);
	assert_string_equal(cfg->files[4].name, "10.0.0.5");
	assert_int_equal(cfg->files[4].port, 5432);
	assert_string_equal(cfg->files[5].name, "null");
	config_free(cfg);
}

static void test_multiline_array_and_defaults(void **state)
{
	struct config *cfg =
	    ok("args = [\n  \"a\", # one\n  \"b\",\n]\n"
	       "[[files]]\nkind = \"connect\"\nprot = \"tcp\"\nhost = \"localhost\"\n"
	       "[[files]]\nkind = \"dir\"\npath = \"/tmp\"\nreadonly = true\n");

	(void)state;
	assert_int_equal(cfg->nargs, 2);
	assert_string_equal(cfg->args[1], "b");
	assert_int_equal(cfg->files[0].port, 80);
	assert_string_equal(cfg->files[0].name, "localhost");
	assert_string_equal(cfg->files[1].name, "/tmp");
	assert_int_equal(cfg->files[1].readonly, 1);
	config_free(cfg);
}

static void test_tls_keys(void **state)
{
	struct config *cfg =
	    ok("tls_policy = \"pol.conf\"\n"
	       "[[files]]\nkind = \"listen\"\nname = \"web\"\nport = 8443\n"
	       "alpn = [\"h2\", \"http/1.1\"]\nclient_ca = \"ca.pem\"\nnames = [\"keep.example\", "
	       "\"10.1.2.3\"]\n"
	       "[[files]]\nkind = \"connect\"\nhost = \"127.0.0.1\"\nport = 443\nca = \"up.pem\"\n"
	       "server_name = \"localhost\"\ncert = \"c.pem\"\nkey = \"c.key\"\n");

	(void)state;
	assert_string_equal(cfg->tls_policy, "pol.conf");
	assert_int_equal(cfg->files[0].prot, CONFIG_TLS); /* the default, as in Enarx */
	assert_int_equal(cfg->files[0].nalpn, 2);
	assert_string_equal(cfg->files[0].alpn[1], "http/1.1");
	assert_string_equal(cfg->files[0].client_ca, "ca.pem");
	assert_int_equal(cfg->files[0].nnames, 2);
	assert_string_equal(cfg->files[1].ca, "up.pem");
	assert_string_equal(cfg->files[1].server_name, "localhost");
	assert_string_equal(cfg->files[1].key, "c.key");
	config_free(cfg);
}

static void test_tls_errors(void **state)
{
	(void)state;
	bad("[[files]]\nkind = \"listen\"\nname = \"x\"\nprot = \"tcp\"\nalpn = [\"h2\"]\n",
	    ENARX_E_MALFORMED, "line 5: key 'alpn': only with prot = \"tls\"");
	bad("[[files]]\nkind = \"connect\"\nhost = \"127.0.0.1\"\n", ENARX_E_MALFORMED,
	    "line 1: [[files]] kind \"connect\": prot = \"tls\" needs key 'ca'");
	bad("[[files]]\nkind = \"listen\"\nname = \"x\"\ncert = \"c.pem\"\n", ENARX_E_MALFORMED,
	    "key 'cert' needs key 'key' too");
	bad("[[files]]\nkind = \"listen\"\nname = \"x\"\nalpn = []\n", ENARX_E_MALFORMED,
	    "line 4: key 'alpn': expected an array of 1 to 16 strings");
	bad("[[files]]\nkind = \"listen\"\nname = \"x\"\nnames = [\"a b\"]\n", ENARX_E_MALFORMED,
	    "line 4: key 'names': item 1");
	bad("[[files]]\nkind = \"listen\"\nname = \"x\"\nca = \"a.pem\"\n", ENARX_E_MALFORMED,
	    "line 4: key 'ca': not allowed for kind \"listen\"");
	bad("[[files]]\nkind = \"connect\"\nhost = \"::1\"\nca = \"a\"\nserver_name = \"a/b\"\n",
	    ENARX_E_MALFORMED, "line 5: key 'server_name'");
	bad("[[files]]\nkind = \"listen\"\nname = \"x\"\nprot = \"udp\"\n", ENARX_E_MALFORMED,
	    "line 4: key 'prot': expected \"tcp\" or \"tls\"");
	bad("tls_policy = 3\n", ENARX_E_MALFORMED, "line 1: key 'tls_policy'");
}

static void test_errors_name_line_and_key(void **state)
{
	(void)state;
	bad("args = [\"a\"]\n\n[[files]]\nkind = \"listen\"\nname = \"a\"\nprot = \"tcp\"\nport = "
	    "70000\n",
	    ENARX_E_MALFORMED, "line 7: key 'port'");
	bad("[[files]]\nkind = \"stdin\"\nport = 1\n", ENARX_E_MALFORMED,
	    "line 3: key 'port': not allowed for kind \"stdin\"");
	bad("[[files]]\nkind = \"pipe\"\n", ENARX_E_MALFORMED, "line 2: key 'kind'");
	bad("[[files]]\nname = \"x\"\n", ENARX_E_MALFORMED, "line 1: [[files]]: key 'kind'");
	bad("args = \"x\"\n", ENARX_E_MALFORMED, "line 1: key 'args': expected a array");
	bad("\n\nfoo = 1\n", ENARX_E_MALFORMED, "line 3: key 'foo': unknown key");
	bad("[env]\nA = \"1\"\nA = \"2\"\n", ENARX_E_MALFORMED, "line 3: key 'A': duplicate");
	bad("[[files]]\nkind = \"listen\"\nprot = \"tcp\"\n", ENARX_E_MALFORMED,
	    "key 'name' is required");
	bad("[[files]]\nkind = \"stdout\"\nname = \"a:b\"\n", ENARX_E_MALFORMED,
	    "line 3: key 'name': must not contain ':'");
	bad("[[files]]\nkind = \"connect\"\nprot = \"tcp\"\nhost = \"example.com\"\n",
	    ENARX_E_MALFORMED, "line 4: key 'host'");
	bad("steward = \"http://x\"\n", ENARX_E_MALFORMED, "line 1: key 'steward'");
	bad("[server]\n", ENARX_E_MALFORMED, "line 1: unknown table [server]");
}

static void test_limits(void **state)
{
	struct config *cfg =
	    ok("[[files]]\nkind = \"stdout\"\n[limits]\nmemory = \"256M\"\nfuel = 5\n");
	struct config *none = ok("");

	(void)state;
	assert_int_equal(cfg->limits.memory, 256u << 20);
	assert_int_equal(cfg->limits.fuel, 5);
	assert_int_equal(cfg->nfiles, 1);
	assert_int_equal(none->limits.memory, 0);
	assert_int_equal(none->limits.fuel, 0);
	config_free(cfg);
	config_free(none);
	cfg = ok("[limits]\nmemory = 65536\n");
	assert_int_equal(cfg->limits.memory, 65536);
	config_free(cfg);
	bad("[limits]\nmemory = \"5G\"\n", ENARX_E_MALFORMED,
	    "line 2: key 'memory': expected a size from 64K to 4G");
	bad("[limits]\nmemory = 1024\n", ENARX_E_MALFORMED,
	    "line 2: key 'memory': expected a size from 64K");
	bad("[limits]\nmemory = \"12Q\"\n", ENARX_E_MALFORMED, "line 2: key 'memory'");
	bad("[limits]\nmemory = true\n", ENARX_E_MALFORMED,
	    "line 2: key 'memory': expected a size");
	bad("[limits]\nfuel = -1\n", ENARX_E_MALFORMED,
	    "line 2: key 'fuel': expected a positive integer");
	bad("[limits]\nfuel = 1\nfuel = 2\n", ENARX_E_MALFORMED,
	    "line 3: key 'fuel': duplicate key");
	bad("[limits]\n[limits]\n", ENARX_E_MALFORMED, "line 2: table [limits] defined twice");
	bad("[limits]\ncpu = 1\n", ENARX_E_MALFORMED, "line 2: key 'cpu': unknown key in [limits]");
	bad("[limits]\ncpu_time = 0\n", ENARX_E_MALFORMED,
	    "line 2: key 'cpu_time': expected a duration up to 30 days");
	bad("[limits]\ncpu_time = \"1s\"\ncpu_time = 2\n", ENARX_E_MALFORMED,
	    "line 3: key 'cpu_time': duplicate key");
}

/* wall_time, open_files and output (issue 19): units, ranges, the merge
 * that lets `enarx run` options win over the file. */
static void test_limits_more(void **state)
{
	struct config *cfg =
	    ok("[limits]\nwall_time = \"1500ms\"\nopen_files = 10\noutput = \"2K\"\n");
	struct keep_limits over = {.wall_ms = 7000, .memory = 1u << 20};

	(void)state;
	assert_int_equal(cfg->limits.wall_ms, 1500);
	assert_int_equal(cfg->limits.fds, 10);
	assert_int_equal(cfg->limits.output, 2048);
	keep_limits_merge(&cfg->limits, &over);
	assert_int_equal(cfg->limits.wall_ms, 7000);
	assert_int_equal(cfg->limits.memory, 1u << 20);
	assert_int_equal(cfg->limits.fds, 10);
	assert_int_equal(keep_limits_keep_mem(&cfg->limits), 258u << 20); /* 2 MiB steps */
	config_free(cfg);
	cfg = ok("[limits]\nwall_time = 3\noutput = 100\n");
	assert_int_equal(cfg->limits.wall_ms, 3000);
	assert_int_equal(cfg->limits.output, 100);
	config_free(cfg);
	/* cpu_time: seconds or a duration, merged like the others */
	cfg = ok("[limits]\ncpu_time = \"250ms\"\n");
	assert_int_equal(cfg->limits.cpu_ms, 250);
	over.cpu_ms = 4000;
	keep_limits_merge(&cfg->limits, &over);
	assert_int_equal(cfg->limits.cpu_ms, 4000);
	config_free(cfg);
	cfg = ok("[limits]\ncpu_time = 2\n");
	assert_int_equal(cfg->limits.cpu_ms, 2000);
	config_free(cfg);
	assert_int_equal(config_parse_duration_ms("5m"), 300000);
	assert_int_equal(config_parse_duration_ms("2h"), 7200000);
	assert_int_equal(config_parse_duration_ms("3x"), 0);
	assert_int_equal(config_parse_duration_ms("s"), 0);
	assert_int_equal(config_parse_duration_ms("99999999999999999999"), 0);
	bad("[limits]\nwall_time = 0\n", ENARX_E_MALFORMED,
	    "line 2: key 'wall_time': expected a duration");
	bad("[limits]\nwall_time = \"31d\"\n", ENARX_E_MALFORMED, "key 'wall_time'");
	bad("[limits]\nwall_time = 2592001\n", ENARX_E_MALFORMED, "key 'wall_time'");
	bad("[limits]\nopen_files = 2\n", ENARX_E_MALFORMED,
	    "line 2: key 'open_files': expected a number of descriptors from 3 to 4096");
	bad("[limits]\nopen_files = 5000\n", ENARX_E_MALFORMED, "key 'open_files'");
	bad("[limits]\nopen_files = \"10\"\n", ENARX_E_MALFORMED, "key 'open_files'");
	bad("[limits]\noutput = 0\n", ENARX_E_MALFORMED,
	    "line 2: key 'output': expected a positive size");
	bad("[limits]\noutput = 1\noutput = 2\n", ENARX_E_MALFORMED,
	    "line 3: key 'output': duplicate key");
}

/* Relative dir paths are the Enarx.toml's directory's (issue 19); names
 * keep the path as written; a symlinked file counts where its link is. */
static void test_relative_paths(void **state)
{
	struct config *cfg = ok("[[files]]\nkind = \"dir\"\npath = \"data\"\n"
	                        "[[files]]\nkind = \"dir\"\npath = \"/abs\"\nname = \"a\"\n");
	char tmpl[] = "/tmp/enarx-confdir-XXXXXX", sub[64], link[64], file[80], cwd[4096];
	char *dir = NULL;

	(void)state;
	assert_int_equal(config_resolve_paths(cfg, "relative"), ENARX_E_INVAL);
	assert_int_equal(config_resolve_paths(cfg, "/srv/app"), 0);
	assert_string_equal(cfg->files[0].path, "/srv/app/data");
	assert_string_equal(cfg->files[0].name, "data");
	assert_string_equal(cfg->files[1].path, "/abs");
	config_free(cfg);
	cfg = ok("[[files]]\nkind = \"dir\"\npath = \"data\"\n");
	assert_int_equal(config_resolve_paths(cfg, "/"), 0);
	assert_string_equal(cfg->files[0].path, "/data");
	config_free(cfg);
	/* a real tree: DIR/sub/Enarx.toml and DIR/link.toml -> sub/Enarx.toml */
	assert_non_null(mkdtemp(tmpl));
	snprintf(sub, sizeof(sub), "%s/sub", tmpl);
	snprintf(file, sizeof(file), "%s/Enarx.toml", sub);
	snprintf(link, sizeof(link), "%s/link.toml", tmpl);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(close(open(file, O_CREAT | O_WRONLY, 0600)), 0);
	assert_int_equal(symlink("sub/Enarx.toml", link), 0);
	assert_int_equal(config_file_dir(file, &dir), 0);
	assert_string_equal(dir, sub);
	xfree(dir);
	assert_int_equal(config_file_dir(link, &dir), 0);
	assert_string_equal(dir, tmpl);
	xfree(dir);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(config_file_dir("Enarx.toml", &dir), 0);
	assert_string_equal(dir, cwd);
	xfree(dir);
	assert_int_equal(config_file_dir("/nonexistent-enarx/x.toml", &dir), ENARX_E_IO);
	assert_null(dir);
	unlink(link);
	unlink(file);
	rmdir(sub);
	rmdir(tmpl);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	bad("args = [\"a\"\n", ENARX_E_MALFORMED, "line 2");
	bad("x.y = 1\n", ENARX_E_MALFORMED, "dotted keys");
	bad("[env]\nA = {b = 1}\n", ENARX_E_MALFORMED, "line 2: key 'A': inline tables");
	bad("[env]\nA = \"unterminated\n", ENARX_E_MALFORMED, "line 2: key 'A': unterminated");
	bad("[env]\nA = \"bad \\q\"\n", ENARX_E_MALFORMED, "unknown escape");
	bad("[env]\nA = \"\xff\"\n", ENARX_E_MALFORMED, "invalid UTF-8");
	bad("[env]\nA = \"x\" junk\n", ENARX_E_MALFORMED, "line 2");
	bad("args = [[\"a\"]]\n", ENARX_E_MALFORMED, "nested arrays");
	bad("args = [\"a\", 1]\n", ENARX_E_MALFORMED, "mixes");
	bad("[env]\nA = 99999999999999999999\n", ENARX_E_MALFORMED, "out of range");
	bad("[env]\nA = \"\"\"x\"\"\"\n", ENARX_E_MALFORMED, "multi-line");
	bad("[env\n", ENARX_E_MALFORMED, "line 1");
}

static void test_toml_reader_events(void **state)
{
	const char *t = "a = -9223372036854775808\n[[t]]\nb = [1, 2]\n";
	struct etoml_reader r;
	struct etoml_event ev;

	(void)state;
	etoml_init(&r, t, strlen(t), ETOML_ARRAY_TABLES);
	assert_int_equal(etoml_next(&r, &ev), 0);
	assert_int_equal(ev.kind, ETOML_EV_KEYVAL);
	assert_true(ev.value.i == INT64_MIN);
	etoml_event_clear(&ev);
	assert_int_equal(etoml_next(&r, &ev), 0);
	assert_int_equal(ev.kind, ETOML_EV_ARRAY_TABLE);
	assert_string_equal(ev.key, "t");
	assert_int_equal(ev.line, 2);
	etoml_event_clear(&ev);
	assert_int_equal(etoml_next(&r, &ev), 0);
	assert_int_equal(ev.value.nitems, 2);
	assert_int_equal(ev.value.items[1].i, 2);
	etoml_event_clear(&ev);
	assert_int_equal(etoml_next(&r, &ev), 0);
	assert_int_equal(ev.kind, ETOML_EV_END);
}

static void test_template_parses(void **state)
{
	struct config *cfg = ok(config_template);

	(void)state;
	assert_int_equal(cfg->nfiles, 3);
	assert_int_equal(cfg->nargs, 0);
	config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_gives_stdio),
	    cmocka_unit_test(test_full_example),
	    cmocka_unit_test(test_multiline_array_and_defaults),
	    cmocka_unit_test(test_tls_keys),
	    cmocka_unit_test(test_tls_errors),
	    cmocka_unit_test(test_errors_name_line_and_key),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_limits_more),
	    cmocka_unit_test(test_relative_paths),
	    cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_toml_reader_events),
	    cmocka_unit_test(test_template_parses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
