/* SPDX-License-Identifier: Apache-2.0 */
/* The /v1/ route table: patterns with "{name}" segments matched segment by
 * segment against the request path, and the RFC 9457 problem bodies. */
#include <stdio.h>
#include <string.h>

#include "http/http.h"
#include "lib/err.h"

static const struct {
	int status;
	const char *slug, *title;
} route__problems[HTTP_P__COUNT] = {
#define X(name, status, slug, title) [name] = {status, slug, title},
#include "http/problems.def"
#undef X
};

int http_problem_status(enum http_problem p)
{
	return (unsigned)p < HTTP_P__COUNT ? route__problems[p].status : 500;
}

json_t *http_problem_json(enum http_problem p, const char *detail)
{
	char type[96];
	json_t *j, *d = NULL;

	if ((unsigned)p >= HTTP_P__COUNT)
		p = HTTP_P_INTERNAL;
	snprintf(type, sizeof(type), "urn:enarx:problem:%s", route__problems[p].slug);
	if (detail != NULL && (d = json_string(detail)) == NULL)
		d = json_string("(detail was not valid UTF-8)");
	j = json_pack("{s:s, s:s, s:i}", "type", type, "title", route__problems[p].title, "status",
	              route__problems[p].status);
	if (j != NULL && d != NULL)
		json_object_set(j, "detail", d);
	json_decref(d);
	return j;
}

static bool route__seg_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '~' || c == '-';
}

/* Matches one pattern. Returns 0 (match, params filled), 404 (no match),
 * or 400 (the shape matches but a captured segment is bad; why set). */
static int route__one(const char *pat, const char *path, struct http_params *pr, char *why,
                      size_t whylen)
{
	const char *p = pat, *s = path;

	pr->n = 0;
	while (*p != '\0') {
		if (*p == '{') {
			const char *pe = strchr(p, '}');
			size_t seglen = strcspn(s, "/"), nlen = (size_t)(pe - p - 1);
			if (seglen == 0)
				return 404;
			for (size_t i = 0; i < seglen; i++) {
				if (!route__seg_char(s[i])) {
					snprintf(why, whylen,
					         "path segment %.*s: byte 0x%02x at "
					         "offset %zu is not allowed in an identifier",
					         (int)nlen, p + 1, (unsigned char)s[i], i);
					return 400;
				}
			}
			if (seglen > HTTP_PARAM_MAX) {
				snprintf(why, whylen, "path segment %.*s: %zu bytes, at most %u",
				         (int)nlen, p + 1, seglen, HTTP_PARAM_MAX);
				return 400;
			}
			memcpy(pr->name[pr->n], p + 1, nlen);
			pr->name[pr->n][nlen] = '\0';
			memcpy(pr->value[pr->n], s, seglen);
			pr->value[pr->n][seglen] = '\0';
			pr->n++;
			p = pe + 1;
			s += seglen;
		} else if (*p++ != *s++) {
			return 404;
		}
	}
	return *s == '\0' ? 0 : 404;
}

int http_route_match(const struct http_route *routes, size_t n, const char *method,
                     const char *path, const struct http_route **out, struct http_params *params,
                     char *allow, size_t allowlen, char *why, size_t whylen)
{
	int result = 404;
	size_t used = 0;

	*out = NULL;
	if (allowlen > 0)
		allow[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		struct http_params tmp;
		int rc = route__one(routes[i].pattern, path, &tmp, why, whylen);
		if (rc == 400 && result == 404)
			result = 400;
		if (rc != 0)
			continue;
		if (strcmp(routes[i].method, method) == 0) {
			*out = &routes[i];
			*params = tmp;
			return 0;
		}
		result = 405;
		int w = snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "",
		                 routes[i].method);
		if (w > 0 && (size_t)w < allowlen - used)
			used += (size_t)w;
	}
	return result;
}

int http_route_check(const struct http_route *routes, size_t n, char *why, size_t whylen)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = routes[i].pattern;
		size_t caps = 0;
		if (p == NULL || (strncmp(p, "/v1/", 4) != 0 && strcmp(p, "/") != 0) ||
		    routes[i].method == NULL || routes[i].fn == NULL) {
			snprintf(why, whylen,
			         "route %zu: pattern must be / or start with /v1/ and have a "
			         "method and handler",
			         i);
			return ENARX_E_INVAL;
		}
		for (; *p != '\0'; p++) {
			if (*p != '{')
				continue;
			const char *pe = strchr(p, '}');
			if (p[-1] != '/' || pe == NULL || pe == p + 1 || pe - p - 1 >= 32 ||
			    (pe[1] != '/' && pe[1] != '\0') || ++caps > HTTP_MAX_PARAMS) {
				snprintf(why, whylen, "route %s: bad capture near '%s'",
				         routes[i].pattern, p);
				return ENARX_E_INVAL;
			}
			p = pe;
		}
	}
	return 0;
}
