/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the /v1/ router, the problem+json bodies and the JSON body
 * checks: matches and captures, 404/405/400, table checks, field errors
 * that name the field, depth and syntax limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/http.h"
#include "http/json.h"
#include "lib/err.h"

static void h_list(struct http_req *r, void *a)
{
}
static void h_get(struct http_req *r, void *a)
{
}
static void h_del(struct http_req *r, void *a)
{
}
static void h_log(struct http_req *r, void *a)
{
}

static const struct http_route routes[] = {
    {"GET", "/v1/keeps", h_list},
    {"POST", "/v1/keeps", h_list},
    {"GET", "/v1/keeps/{id}", h_get},
    {"DELETE", "/v1/keeps/{id}", h_del},
    {"GET", "/v1/keeps/{id}/logs/{stream}", h_log},
};
#define N (sizeof(routes) / sizeof(routes[0]))

static int match(const char *m, const char *path, const struct http_route **r,
                 struct http_params *p, char *allow)
{
	char why[128];

	return http_route_match(routes, N, m, path, r, p, allow, 64, why, sizeof(why));
}

static void test_exact(void **state)
{
	const struct http_route *r;
	struct http_params p;
	char allow[64];

	assert_int_equal(match("GET", "/v1/keeps", &r, &p, allow), 0);
	assert_ptr_equal(r, &routes[0]);
	assert_int_equal(p.n, 0);
	assert_int_equal(match("POST", "/v1/keeps", &r, &p, allow), 0);
	assert_ptr_equal(r, &routes[1]);
}

static void test_captures(void **state)
{
	const struct http_route *r;
	struct http_params p;
	char allow[64];

	assert_int_equal(match("GET", "/v1/keeps/k-123/logs/stdout", &r, &p, allow), 0);
	assert_ptr_equal(r, &routes[4]);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.name[0], "id");
	assert_string_equal(p.value[0], "k-123");
	assert_string_equal(p.name[1], "stream");
	assert_string_equal(p.value[1], "stdout");
	assert_int_equal(match("DELETE", "/v1/keeps/abc", &r, &p, allow), 0);
	assert_ptr_equal(r, &routes[3]);
}

static void test_not_found(void **state)
{
	const struct http_route *r;
	struct http_params p;
	char allow[64];

	assert_int_equal(match("GET", "/v1/keep", &r, &p, allow), 404);
	assert_int_equal(match("GET", "/v1/keeps/", &r, &p, allow), 404);
	assert_int_equal(match("GET", "/v1/keeps/a/b", &r, &p, allow), 404);
	assert_int_equal(match("GET", "/v1/keepsx", &r, &p, allow), 404);
	assert_int_equal(match("GET", "/", &r, &p, allow), 404);
	assert_null(r);
}

static void test_method_not_allowed(void **state)
{
	const struct http_route *r;
	struct http_params p;
	char allow[64];

	assert_int_equal(match("PUT", "/v1/keeps/x", &r, &p, allow), 405);
	assert_string_equal(allow, "GET, DELETE");
	assert_int_equal(match("DELETE", "/v1/keeps", &r, &p, allow), 405);
	assert_string_equal(allow, "GET, POST");
}

static void test_bad_segment(void **state)
{
	const struct http_route *r;
	struct http_params p;
	char allow[64], why[128], long_id[200 + 12] = "/v1/keeps/";

	assert_int_equal(http_route_match(routes, N, "GET", "/v1/keeps/a%2e", &r, &p, allow,
	                                  sizeof(allow), why, sizeof(why)),
	                 400);
	assert_non_null(strstr(why, "0x25"));
	memset(long_id + 10, 'a', 200);
	long_id[210] = '\0';
	assert_int_equal(http_route_match(routes, N, "GET", long_id, &r, &p, allow, sizeof(allow),
	                                  why, sizeof(why)),
	                 400);
	assert_non_null(strstr(why, "at most 128"));
}

static void test_table_check(void **state)
{
	char why[128];
	const struct http_route bad1[] = {{"GET", "/v2/x", h_get}};
	const struct http_route bad2[] = {{"GET", "/v1/x/{id", h_get}};
	const struct http_route bad3[] = {{"GET", "/v1/x/{}", h_get}};
	const struct http_route bad4[] = {{"GET", "/v1/{a}/{b}/{c}/{d}/{e}", h_get}};
	const struct http_route bad5[] = {{"GET", "/v1/x{id}", h_get}};
	const struct http_route bad6[] = {{"POST", "/x", h_get, true}};
	const struct http_route root[] = {{"POST", "/", h_get, true}, {"GET", "/v1/x", h_get}};
	const struct http_route *r;
	struct http_params p;
	char allow[64];

	assert_int_equal(http_route_check(routes, N, why, sizeof(why)), 0);
	assert_int_equal(http_route_check(bad1, 1, why, sizeof(why)), ENARX_E_INVAL);
	assert_int_equal(http_route_check(bad2, 1, why, sizeof(why)), ENARX_E_INVAL);
	assert_int_equal(http_route_check(bad3, 1, why, sizeof(why)), ENARX_E_INVAL);
	assert_int_equal(http_route_check(bad4, 1, why, sizeof(why)), ENARX_E_INVAL);
	assert_int_equal(http_route_check(bad5, 1, why, sizeof(why)), ENARX_E_INVAL);
	/* Exactly "/" is allowed besides /v1/ (Enarx's Steward API), nothing else. */
	assert_int_equal(http_route_check(bad6, 1, why, sizeof(why)), ENARX_E_INVAL);
	assert_int_equal(http_route_check(root, 2, why, sizeof(why)), 0);
	assert_int_equal(
	    http_route_match(root, 2, "POST", "/", &r, &p, allow, sizeof(allow), why, sizeof(why)),
	    0);
	assert_true(r == &root[0] && r->public);
	assert_int_equal(
	    http_route_match(root, 2, "GET", "/", &r, &p, allow, sizeof(allow), why, sizeof(why)),
	    405);
	assert_string_equal(allow, "POST");
	assert_int_equal(
	    http_route_match(root, 2, "POST", "/x", &r, &p, allow, sizeof(allow), why, sizeof(why)),
	    404);
}

static void test_problem_json(void **state)
{
	json_t *j = http_problem_json(HTTP_P_TOO_LARGE, "body is 5000 bytes");

	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "type")),
	                    "urn:enarx:problem:body-too-large");
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 413);
	assert_string_equal(json_string_value(json_object_get(j, "detail")), "body is 5000 bytes");
	assert_non_null(json_object_get(j, "title"));
	json_decref(j);
	j = http_problem_json(HTTP_P_NOT_FOUND, "\xff bad utf-8");
	assert_non_null(json_object_get(j, "detail"));
	json_decref(j);
	assert_int_equal(http_problem_status(HTTP_P_HEADERS_TOO_LARGE), 431);
}

static const struct http_json_field fields[] = {
    {"backend", HTTP_J_STRING, true, 1, 16},
    {"memory", HTTP_J_INT, false, 1, 4096},
    {"debug", HTTP_J_BOOL, false, 0, 0},
    {"args", HTTP_J_ARRAY, false, 0, 2},
};

static int check(const char *text, char *why, size_t wl)
{
	json_t *j;
	int rc = http_json_parse(text, strlen(text), 4, &j, why, wl);

	if (rc == 0) {
		rc = http_json_check(j, fields, 4, why, wl);
		json_decref(j);
	}
	return rc;
}

static void test_json_fields(void **state)
{
	char why[256];

	assert_int_equal(
	    check("{\"backend\":\"nil\",\"memory\":64,\"args\":[\"a\"]}", why, sizeof(why)), 0);
	assert_int_equal(check("{\"memory\":64}", why, sizeof(why)), ENARX_E_MALFORMED);
	assert_string_equal(why, "field 'backend' is required");
	assert_int_equal(check("{\"backend\":\"nil\",\"memory\":\"64\"}", why, sizeof(why)),
	                 ENARX_E_MALFORMED);
	assert_string_equal(why, "field 'memory': expected integer, got string");
	assert_int_equal(check("{\"backend\":\"nil\",\"memory\":0}", why, sizeof(why)),
	                 ENARX_E_MALFORMED);
	assert_string_equal(why, "field 'memory': 0 is outside 1..4096");
	assert_int_equal(check("{\"backend\":\"\"}", why, sizeof(why)), ENARX_E_MALFORMED);
	assert_non_null(strstr(why, "bytes long"));
	assert_int_equal(check("{\"backend\":\"nil\",\"args\":[1,2,3]}", why, sizeof(why)),
	                 ENARX_E_MALFORMED);
	assert_non_null(strstr(why, "3 elements"));
	assert_int_equal(check("{\"backend\":\"nil\",\"debug\":1}", why, sizeof(why)),
	                 ENARX_E_MALFORMED);
	assert_string_equal(why, "field 'debug': expected boolean, got integer");
	assert_int_equal(check("{\"backend\":\"nil\",\"x\":1}", why, sizeof(why)),
	                 ENARX_E_MALFORMED);
	assert_string_equal(why, "unknown field 'x'");
}

static void test_json_syntax(void **state)
{
	char why[256];

	assert_int_equal(check("", why, sizeof(why)), ENARX_E_MALFORMED);
	assert_non_null(strstr(why, "empty"));
	assert_int_equal(check("[1]", why, sizeof(why)), ENARX_E_MALFORMED);
	assert_non_null(strstr(why, "must be a JSON object"));
	assert_int_equal(check("{\"backend\":\"nil\"} x", why, sizeof(why)), ENARX_E_MALFORMED);
	assert_int_equal(check("{\"backend\":\"a\",\"backend\":\"b\"}", why, sizeof(why)),
	                 ENARX_E_MALFORMED);
	assert_non_null(strstr(why, "duplicate"));
	assert_int_equal(check("{\"backend\":\"a\\u0000b\"}", why, sizeof(why)), ENARX_E_MALFORMED);
	assert_int_equal(check("{\"args\":[[[[1]]]]}", why, sizeof(why)), ENARX_E_MALFORMED);
	assert_string_equal(why, "nesting deeper than 4 levels at byte 11");
	/* brackets inside strings do not count */
	assert_int_equal(check("{\"backend\":\"[[[[[[\"}", why, sizeof(why)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact),        cmocka_unit_test(test_captures),
	    cmocka_unit_test(test_not_found),    cmocka_unit_test(test_method_not_allowed),
	    cmocka_unit_test(test_bad_segment),  cmocka_unit_test(test_table_check),
	    cmocka_unit_test(test_problem_json), cmocka_unit_test(test_json_fields),
	    cmocka_unit_test(test_json_syntax),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
