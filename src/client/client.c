/* SPDX-License-Identifier: Apache-2.0 */
/* libcurl client of the project's HTTPS daemons (client.h). */
#include "client/client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/file.h"

#define RESP_MAX (64u << 20) /* largest JSON answer read into memory */

struct client {
	CURL *curl;
	char *base;
	char *auth; /* "Authorization: Bearer ..." or NULL */
	char errbuf[CURL_ERROR_SIZE];
};

/* What one transfer collects. */
struct xfer {
	struct buf body;
	char ctype[128];
	char location[256];
	long status;
	client_chunk_fn *fn; /* streaming: 2xx chunks go here */
	void *arg;
	int stopped;
};

static char *read_token(const char *file, char *err, size_t errlen)
{
	struct buf b = {0};
	char *t, *nl;

	if (file_read_all(file, 8192, &b, err, errlen) != 0)
		return NULL;
	t = xmalloc(b.len + 1);
	if (t) {
		memcpy(t, b.data, b.len);
		t[b.len] = 0;
		if ((nl = strpbrk(t, "\r\n")) != NULL)
			*nl = 0;
	}
	buf_free(&b, 1);
	return t;
}

static int set_auth(struct client *c, const struct client_conf *conf, char *err, size_t errlen)
{
	const char *env = getenv("ENARX_HOST_TOKEN");
	char *tok = NULL;
	size_t n;

	if (conf->token && *conf->token)
		tok = xstrdup(conf->token);
	else if (env && *env)
		tok = xstrdup(env);
	else if (conf->token_file && !(tok = read_token(conf->token_file, err, errlen)))
		return ENARX_E_INVAL;
	if (!tok)
		return 0;
	n = strlen(tok) + 32;
	c->auth = xmalloc(n);
	if (c->auth)
		snprintf(c->auth, n, "Authorization: Bearer %s", tok);
	memset(tok, 0, strlen(tok));
	xfree(tok);
	return c->auth ? 0 : ENARX_E_NOMEM;
}

int client_new(const struct client_conf *conf, struct client **out, char *err, size_t errlen)
{
	struct client *c;
	int rc;

	*out = NULL;
	if (!conf->base || !*conf->base) {
		snprintf(err, errlen, "no host URL given (--host or ENARX_HOST)");
		return ENARX_E_INVAL;
	}
	if (!(c = xcalloc(1, sizeof(*c))) || !(c->base = xstrdup(conf->base)) ||
	    !(c->curl = curl_easy_init())) {
		client_free(c);
		return ENARX_E_NOMEM;
	}
	if ((rc = set_auth(c, conf, err, errlen)) != 0) {
		client_free(c);
		return rc;
	}
	while (strlen(c->base) && c->base[strlen(c->base) - 1] == '/')
		c->base[strlen(c->base) - 1] = 0;
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
	                 conf->connect_ms ? conf->connect_ms : 10000L);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "https,http");
	if (conf->cacert)
		curl_easy_setopt(c->curl, CURLOPT_CAINFO, conf->cacert);
	if (conf->cert)
		curl_easy_setopt(c->curl, CURLOPT_SSLCERT, conf->cert);
	if (conf->key)
		curl_easy_setopt(c->curl, CURLOPT_SSLKEY, conf->key);
	if (conf->unix_socket)
		curl_easy_setopt(c->curl, CURLOPT_UNIX_SOCKET_PATH, conf->unix_socket);
	if (conf->insecure_skip_verify) {
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	*out = c;
	return 0;
}

void client_free(struct client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	if (c->auth) {
		memset(c->auth, 0, strlen(c->auth));
		xfree(c->auth);
	}
	xfree(c->base);
	xfree(c);
}

void client_resp_clear(struct client_resp *r)
{
	json_decref(r->body);
	memset(r, 0, sizeof(*r));
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, l;
	char *dst = NULL;
	size_t cap = 0;

	if (len > 13 && strncasecmp(p, "Content-Type:", 13) == 0) {
		dst = x->ctype;
		cap = sizeof(x->ctype);
		p += 13, len -= 13;
	} else if (len > 9 && strncasecmp(p, "Location:", 9) == 0) {
		dst = x->location;
		cap = sizeof(x->location);
		p += 9, len -= 9;
	}
	if (dst) {
		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		l = len;
		while (l && (p[l - 1] == '\r' || p[l - 1] == '\n' || p[l - 1] == ' '))
			l--;
		snprintf(dst, cap, "%.*s", (int)l, p);
	}
	return size * n;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (x->fn && x->status >= 200 && x->status < 300) {
		if (x->fn(p, len, x->arg) != 0) {
			x->stopped = 1;
			return 0;
		}
		return len;
	}
	if (x->body.len + len > RESP_MAX || buf_append(&x->body, p, len) != 0)
		return 0;
	return len;
}

static void parse_answer(struct xfer *x, struct client_resp *r)
{
	json_error_t je;
	const char *d;

	r->status = x->status;
	snprintf(r->location, sizeof(r->location), "%s", x->location);
	if (x->body.len && (strstr(x->ctype, "json") != NULL))
		r->body = json_loadb((const char *)x->body.data, x->body.len, 0, &je);
	if (r->body && strstr(x->ctype, "problem+json")) {
		d = json_string_value(json_object_get(r->body, "detail"));
		if (!d)
			d = json_string_value(json_object_get(r->body, "title"));
		snprintf(r->detail, sizeof(r->detail), "%s", d ? d : "");
	} else if (x->status >= 400) {
		snprintf(r->detail, sizeof(r->detail), "%.*s",
		         (int)(x->body.len < 200 ? x->body.len : 200),
		         x->body.data ? (const char *)x->body.data : "");
	}
}

static size_t on_header_status(char *p, size_t size, size_t n, void *arg);

static int perform(struct client *c, const char *method, const char *path, const char *ctype,
                   const void *data, size_t len, struct xfer *x, struct client_resp *r)
{
	struct curl_slist *h = NULL;
	char url[2048];
	CURLcode cc;

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "%s%s", c->base, path);
	if (c->auth)
		h = curl_slist_append(h, c->auth);
	if (ctype) {
		char ct[160];

		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
		h = curl_slist_append(h, ct);
	}
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	if (strcmp(method, "POST") == 0 || data) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, data ? data : "");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header_status);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, x);
	c->errbuf[0] = 0;
	cc = curl_easy_perform(c->curl);
	curl_slist_free_all(h);
	if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && x->stopped)) {
		snprintf(r->detail, sizeof(r->detail), "%.200s: %.300s", url,
		         c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
		buf_free(&x->body, 0);
		return ENARX_E_IO;
	}
	parse_answer(x, r);
	buf_free(&x->body, 0);
	return 0;
}

/* Header lines: the status line sets x->status (the last one wins, after
 * a 100 Continue), the rest go to on_header. */
static size_t on_header_status(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	int code;

	if (len > 12 && strncmp(p, "HTTP/", 5) == 0 && sscanf(p, "HTTP/%*s %d", &code) == 1) {
		x->status = code;
		x->ctype[0] = x->location[0] = 0;
		return len;
	}
	return on_header(p, size, n, arg);
}

int client_json(struct client *c, const char *method, const char *path, const json_t *body,
                struct client_resp *r)
{
	struct xfer x = {0};
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	int rc = perform(c, method, path, body ? "application/json" : NULL, text,
	                 text ? strlen(text) : 0, &x, r);

	free(text);
	return rc;
}

int client_post_bytes(struct client *c, const char *path, const char *ctype, const void *data,
                      size_t len, struct client_resp *r)
{
	struct xfer x = {0};

	return perform(c, "POST", path, ctype ? ctype : "application/octet-stream",
	               data ? data : "", len, &x, r);
}

int client_stream(struct client *c, const char *path, client_chunk_fn *fn, void *arg,
                  struct client_resp *r)
{
	struct xfer x = {.fn = fn, .arg = arg};

	return perform(c, "GET", path, NULL, NULL, 0, &x, r);
}

const char *client_resp_error(const struct client_resp *r, char *buf, size_t len)
{
	if (r->status == 0)
		snprintf(buf, len, "%s", r->detail[0] ? r->detail : "no answer");
	else
		snprintf(buf, len, "HTTP %ld%s%s", r->status, r->detail[0] ? ": " : "", r->detail);
	return buf;
}
