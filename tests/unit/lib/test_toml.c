/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the shared TOML-subset reader (src/lib/toml.c): each
 * ETOML_* extension is refused without its flag and accepted with it, the
 * limits hold in every dialect, and etoml_parse() builds the document.
 * The config and policy tests cover each format's own wording. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/err.h"
#include "lib/toml.h"

/* Reads all events of text; returns the first error (0 if none) and leaves
 * the reader's message in err. */
static int read_all(const char *text, size_t len, unsigned flags, char *err, size_t errlen)
{
	struct etoml_reader r;
	struct etoml_event ev;
	int rc;

	etoml_init(&r, text, len, flags);
	do {
		rc = etoml_next(&r, &ev);
		if (rc)
			break;
		etoml_event_clear(&ev);
	} while (ev.kind != ETOML_EV_END);
	snprintf(err, errlen, "%s", rc ? r.err : "");
	return rc;
}

static void gated(const char *text, unsigned flag, const char *refusal)
{
	char err[200];

	assert_int_equal(read_all(text, strlen(text), 0, err, sizeof(err)), ENARX_E_MALFORMED);
	if (!strstr(err, refusal))
		print_error("\"%s\": got \"%s\", want \"%s\"\n", text, err, refusal);
	assert_non_null(strstr(err, refusal));
	assert_int_equal(read_all(text, strlen(text), flag, err, sizeof(err)), 0);
}

static void test_extensions_need_their_flag(void **state)
{
	(void)state;
	gated("[[f]]\n", ETOML_ARRAY_TABLES, "line 1: arrays of tables are not supported");
	gated("[a.b]\n", ETOML_DOTTED_TABLES, "line 1: dotted keys are not supported");
	gated("a = 0x1F\n", ETOML_HEX_INTS, "line 1: unsupported value");
	gated("a = [1, \"x\"]\n", ETOML_MIXED_ARRAYS, "line 1: array mixes value types");
	gated("a = [[1], [2]]\n", ETOML_NESTED_ARRAYS, "line 1: nested arrays are not supported");
	gated("a = \"\\u00e9\"\n", ETOML_UNICODE_ESCAPES, "line 1: unsupported escape \\u");
}

static void test_values(void **state)
{
	const char *t = "[t.u]\na = -0x10\nb = -9223372036854775808\nc = \"\\u00e9\\t\"\n"
	                "d = [[1, [2]], 'x']\n";
	struct etoml_doc d;
	char err[200];

	(void)state;
	assert_int_equal(etoml_parse(t, strlen(t), 0x7f, &d, err, sizeof(err)), 0);
	assert_int_equal(d.n, 5); /* marker + 4 keys */
	assert_string_equal(d.kv[0].table, "t.u");
	assert_string_equal(d.kv[0].key, "");
	assert_int_equal(d.kv[0].line, 1);
	assert_true(d.kv[1].v.i == -16);
	assert_true(d.kv[2].v.i == INT64_MIN);
	assert_string_equal(d.kv[3].v.str, "\xc3\xa9\t");
	assert_int_equal(d.kv[4].v.nitems, 2);
	assert_int_equal(d.kv[4].v.items[0].items[1].items[0].i, 2);
	assert_int_equal(d.kv[4].line, 5);
	etoml_doc_free(&d);
}

static void test_limits_in_every_dialect(void **state)
{
	static char big[ETOML_MAX_SIZE + 2];
	char err[200];
	size_t n = 0;

	(void)state;
	assert_int_equal(read_all("a = 1\0", 6, 0x7f, err, sizeof(err)), ENARX_E_MALFORMED);
	assert_string_equal(err, "line 1: NUL byte in file");
	memset(big, '#', sizeof(big));
	assert_int_equal(read_all(big, sizeof(big), 0, err, sizeof(err)), ENARX_E_MALFORMED);
	assert_non_null(strstr(err, "file too large"));
	assert_int_equal(read_all(big, ETOML_MAX_SIZE, 0, err, sizeof(err)), 0);
	/* more values than ETOML_MAX_ITEMS in one array */
	n += (size_t)snprintf(big, sizeof(big), "a = [");
	for (unsigned i = 0; i <= ETOML_MAX_ITEMS; i++) {
		big[n++] = '1';
		big[n++] = ',';
	}
	big[n++] = ']';
	assert_int_equal(read_all(big, n, 0, err, sizeof(err)), ENARX_E_MALFORMED);
	assert_non_null(strstr(err, "too many values"));
	assert_int_equal(read_all("a = [[[[[[1]]]]]]\n", 18, ETOML_NESTED_ARRAYS, err, sizeof(err)),
	                 ENARX_E_MALFORMED);
	assert_non_null(strstr(err, "arrays nested too deeply"));
	assert_int_equal(read_all("a = \"\xc3\x28\"\n", 8, 0x7f, err, sizeof(err)),
	                 ENARX_E_MALFORMED);
	assert_non_null(strstr(err, "invalid UTF-8"));
	assert_int_equal(read_all("a = 007\n", 8, 0x7f, err, sizeof(err)), ENARX_E_MALFORMED);
	assert_non_null(strstr(err, "leading zeros"));
}

static void test_document_duplicates(void **state)
{
	struct etoml_doc d;
	char err[200];

	(void)state;
	assert_int_equal(etoml_parse("a = 1\n[x]\na = 2\n", 16, 0, &d, err, sizeof(err)), 0);
	etoml_doc_free(&d);
	assert_int_equal(etoml_parse("[x]\na = 1\n\na = 2\n", 17, 0, &d, err, sizeof(err)),
	                 ENARX_E_MALFORMED);
	assert_string_equal(err, "line 4: key 'a' defined twice");
	assert_int_equal(d.n, 0);
	assert_int_equal(etoml_parse("[x]\n[y]\n[x]\n", 12, 0, &d, err, sizeof(err)),
	                 ENARX_E_MALFORMED);
	assert_string_equal(err, "line 3: table [x] defined twice");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_extensions_need_their_flag),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_limits_in_every_dialect),
	    cmocka_unit_test(test_document_duplicates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
