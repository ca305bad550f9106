/* SPDX-License-Identifier: Apache-2.0 */
/* The libcurl relay for a Keep's HTTP requests (relay.h): one easy handle
 * per request, https only (plain http only to loopback when allowed), no
 * redirects, a timeout over the whole exchange, the answer size-capped. */
#include "keep/relay.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

static int relay__loopback(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 ||
	       strcmp(host, "::1") == 0 || strcmp(host, "localhost") == 0;
}

int keep_relay_url_check(const struct keep_relay_curl *c, const char *url, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int rc = ENARX_E_PERM;

	if (!u || curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		snprintf(err, errlen, "not a URL: %.200s", url);
	else if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)
		snprintf(err, errlen, "scheme %s refused: the relay makes https requests only",
		         scheme);
	else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0])
		snprintf(err, errlen, "not a URL with a host: %.200s", url);
	else if (strcmp(scheme, "https") == 0)
		rc = 0;
	else if (!c->allow_loopback_http || !relay__loopback(host))
		snprintf(err, errlen,
		         "plain http to %s refused: the relay makes https requests only%s", host,
		         c->allow_loopback_http ? " (http only to loopback)" : "");
	else
		rc = 0;
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

struct relay__sink {
	struct buf *b;
	size_t max;
	int over;
};

static size_t relay__write(char *p, size_t sz, size_t n, void *arg)
{
	struct relay__sink *s = arg;

	if (s->b->len + n > s->max) {
		s->over = 1;
		return 0;
	}
	return buf_append(s->b, p, n) ? 0 : n;
}

static int relay__progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	return *(const volatile int *)arg != 0;
}

static void relay__fail(struct keep_http_answer *ans, const char *msg)
{
	ans->status = 0;
	ans->ctype[0] = 0;
	ans->body.len = 0;
	buf_append(&ans->body, msg, strlen(msg));
}

static struct curl_slist *relay__headers(const struct kp_http_req *req)
{
	struct curl_slist *h = curl_slist_append(NULL, "Expect:"), *t;
	char line[KP_HTTP_FIELD_MAX + 32];

	if (h && req->ctype[0]) {
		snprintf(line, sizeof(line), "Content-Type: %s", req->ctype);
		h = (t = curl_slist_append(h, line)) ? t : h;
	}
	if (h && req->accept[0]) {
		snprintf(line, sizeof(line), "Accept: %s", req->accept);
		h = (t = curl_slist_append(h, line)) ? t : h;
	}
	return h;
}

static void relay__curl_fetch(const struct keep_http_relay *r, const struct kp_http_req *req,
                              const volatile int *cancel, struct keep_http_answer *ans)
{
	const struct keep_relay_curl *c = (const struct keep_relay_curl *)r;
	struct relay__sink sink = {&ans->body, c->max_body, 0};
	char err[CURL_ERROR_SIZE] = "", why[256];
	struct curl_slist *h = NULL;
	char *ct = NULL;
	CURL *e = NULL;
	long code = 0;
	CURLcode cc;

	if (strpbrk(req->ctype, "\r\n") || strpbrk(req->accept, "\r\n")) {
		relay__fail(ans, "header values with line breaks refused");
		return;
	}
	if (keep_relay_url_check(c, req->url, why, sizeof(why))) {
		relay__fail(ans, why);
		return;
	}
	e = curl_easy_init();
	h = e ? relay__headers(req) : NULL;
	if (!h) {
		curl_easy_cleanup(e);
		relay__fail(ans, "out of memory");
		return;
	}
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, c->allow_loopback_http ? "http,https" : "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS,
		                 req->body_len ? (const char *)req->body : "");
	}
	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	if (c->cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->cacert);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, relay__write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, relay__progress);
	curl_easy_setopt(e, CURLOPT_XFERINFODATA, (void *)cancel);
	cc = curl_easy_perform(e);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_getinfo(e, CURLINFO_CONTENT_TYPE, &ct);
		ans->status = code > 0 && code <= 999 ? (uint32_t)code : 0;
		snprintf(ans->ctype, sizeof(ans->ctype), "%s", ct ? ct : "");
		if (!ans->status)
			relay__fail(ans, "no HTTP status in the answer");
	} else if (sink.over) {
		snprintf(why, sizeof(why), "answer larger than %zu bytes", c->max_body);
		relay__fail(ans, why);
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(why, sizeof(why), "no answer within %ld ms (%s)", c->timeout_ms,
		         err[0] ? err : curl_easy_strerror(cc));
		relay__fail(ans, why);
	} else {
		relay__fail(ans, err[0] ? err : curl_easy_strerror(cc));
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
}

void keep_relay_curl_init(struct keep_relay_curl *c)
{
	memset(c, 0, sizeof(*c));
	c->base.fetch = relay__curl_fetch;
	c->timeout_ms = KEEP_RELAY_TIMEOUT_MS;
	c->max_body = KP_HTTP_BODY_MAX;
	c->cacert = getenv("ENARX_RELAY_CACERT");
	if (c->cacert && !c->cacert[0])
		c->cacert = NULL;
}
