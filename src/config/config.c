/* SPDX-License-Identifier: Apache-2.0 */
/* Enarx.toml semantics on top of the TOML-subset reader: which tables and
 * keys exist, their types, defaults and cross-checks. Every error names the
 * line and the key. */
#include "config/config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/toml.h"

/* Enarx.toml's TOML: [[files]] entries, full string escapes, and errors that
 * name the key. */
#define CONFIG_TOML_DIALECT (ETOML_ARRAY_TABLES | ETOML_UNICODE_ESCAPES | ETOML_KEY_IN_ERRORS)

/* One key = value of a [[files]] entry, kept until the entry is complete
 * (the `kind` may come after the other keys). */
struct pending {
	char *key;
	struct etoml_value v;
	unsigned line;
};

struct parser {
	struct etoml_reader rd;
	struct config *cfg;
	enum { SEC_TOP, SEC_ENV, SEC_FILES, SEC_LIMITS } sec;
	int seen_steward_ca;
	int seen_env, seen_args, seen_steward, seen_files, seen_limits, seen_policy;
	unsigned seen_limit_keys; /* bit i: limit_keys[i] was given */
	struct pending *pend;     /* keys of the current [[files]] entry */
	size_t npend;
	unsigned file_line; /* line of its [[files]] header */
	char *err;
	size_t errlen;
};

static const char *const kind_names[] = {
    [CONFIG_NULL] = "null",     [CONFIG_STDIN] = "stdin",   [CONFIG_STDOUT] = "stdout",
    [CONFIG_STDERR] = "stderr", [CONFIG_LISTEN] = "listen", [CONFIG_CONNECT] = "connect",
    [CONFIG_DIR] = "dir",
};

const char *config_kind_name(enum config_kind kind)
{
	if ((size_t)kind < sizeof(kind_names) / sizeof(kind_names[0]))
		return kind_names[kind];
	return "?";
}

static int perr(struct parser *p, int rc, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int perr(struct parser *p, int rc, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(p->err, p->errlen, "line %u: ", line);

	if (n < 0 || (size_t)n >= p->errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		xfree(v[i]);
	xfree(v);
}

static void file_clear(struct config_file *f)
{
	strv_free(f->alpn, f->nalpn);
	strv_free(f->names, f->nnames);
	xfree(f->client_ca);
	xfree(f->ca);
	xfree(f->server_name);
	xfree(f->cert);
	xfree(f->key);
	xfree(f->name);
	xfree(f->addr);
	xfree(f->host);
	xfree(f->path);
}

void config_free(struct config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	xfree(cfg->steward);
	xfree(cfg->steward_ca);
	xfree(cfg->tls_policy);
	for (i = 0; i < cfg->nargs; i++)
		xfree(cfg->args[i]);
	xfree(cfg->args);
	for (i = 0; i < cfg->nenv; i++) {
		xfree(cfg->env[i].key);
		xfree(cfg->env[i].value);
	}
	xfree(cfg->env);
	for (i = 0; i < cfg->nfiles; i++)
		file_clear(&cfg->files[i]);
	xfree(cfg->files);
	xfree(cfg);
}

static void pending_clear(struct parser *p)
{
	size_t i;

	for (i = 0; i < p->npend; i++) {
		xfree(p->pend[i].key);
		etoml_value_clear(&p->pend[i].v);
	}
	xfree(p->pend);
	p->pend = NULL;
	p->npend = 0;
}

static int add_file(struct config *cfg, enum config_kind kind, const char *name)
{
	struct config_file *f;

	f = xreallocarray(cfg->files, cfg->nfiles + 1, sizeof(*f));
	if (!f)
		return ENARX_E_NOMEM;
	cfg->files = f;
	f = &cfg->files[cfg->nfiles];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->name = xstrdup(name);
	if (!f->name)
		return ENARX_E_NOMEM;
	cfg->nfiles++;
	return 0;
}

struct config *config_default(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	if (add_file(cfg, CONFIG_STDIN, "stdin") || add_file(cfg, CONFIG_STDOUT, "stdout") ||
	    add_file(cfg, CONFIG_STDERR, "stderr")) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

static int want_type(struct parser *p, const char *key, const struct etoml_value *v,
                     enum etoml_type t, unsigned line)
{
	if (v->type == t)
		return 0;
	return perr(p, ENARX_E_MALFORMED, line, "key '%s': expected a %s, found a %s", key,
	            etoml_type_name(t), etoml_type_name(v->type));
}

/* Moves the string out of v (so the event no longer owns it). */
static char *take_str(struct etoml_value *v)
{
	char *s = v->str;

	v->str = NULL;
	return s;
}

static int top_keyval(struct parser *p, struct etoml_event *ev)
{
	struct config *cfg = p->cfg;
	size_t i;
	int rc;

	if (strcmp(ev->key, "steward") == 0) {
		if (p->seen_steward++)
			return perr(p, ENARX_E_MALFORMED, ev->line, "key 'steward': duplicate key");
		rc = want_type(p, ev->key, &ev->value, ETOML_STRING, ev->line);
		if (rc)
			return rc;
		if (strncmp(ev->value.str, "https://", 8) != 0)
			return perr(p, ENARX_E_MALFORMED, ev->line,
			            "key 'steward': must be an https:// URL");
		cfg->steward = take_str(&ev->value);
		return 0;
	}
	if (strcmp(ev->key, "steward_ca") == 0) {
		if (p->seen_steward_ca++)
			return perr(p, ENARX_E_MALFORMED, ev->line,
			            "key 'steward_ca': duplicate key");
		rc = want_type(p, ev->key, &ev->value, ETOML_STRING, ev->line);
		if (rc)
			return rc;
		if (!ev->value.str[0])
			return perr(p, ENARX_E_MALFORMED, ev->line, "key 'steward_ca': empty");
		cfg->steward_ca = take_str(&ev->value);
		return 0;
	}
	if (strcmp(ev->key, "tls_policy") == 0) {
		if (p->seen_policy++)
			return perr(p, ENARX_E_MALFORMED, ev->line,
			            "key 'tls_policy': duplicate key");
		rc = want_type(p, ev->key, &ev->value, ETOML_STRING, ev->line);
		if (rc)
			return rc;
		if (!ev->value.str[0])
			return perr(p, ENARX_E_MALFORMED, ev->line, "key 'tls_policy': empty");
		cfg->tls_policy = take_str(&ev->value);
		return 0;
	}
	if (strcmp(ev->key, "args") == 0) {
		if (p->seen_args++)
			return perr(p, ENARX_E_MALFORMED, ev->line, "key 'args': duplicate key");
		rc = want_type(p, ev->key, &ev->value, ETOML_ARRAY, ev->line);
		if (rc)
			return rc;
		if (ev->value.nitems && ev->value.items[0].type != ETOML_STRING)
			return perr(p, ENARX_E_MALFORMED, ev->line,
			            "key 'args': expected an array of strings");
		cfg->args = xcalloc(ev->value.nitems + 1, sizeof(char *));
		if (!cfg->args)
			return ENARX_E_NOMEM;
		for (i = 0; i < ev->value.nitems; i++)
			cfg->args[i] = take_str(&ev->value.items[i]);
		cfg->nargs = ev->value.nitems;
		return 0;
	}
	return perr(p, ENARX_E_MALFORMED, ev->line,
	            "key '%s': unknown key (expected steward, steward_ca, args, tls_policy, [env], "
	            "[limits] or "
	            "[[files]])",
	            ev->key);
}

static int env_keyval(struct parser *p, struct etoml_event *ev)
{
	struct config *cfg = p->cfg;
	struct config_env *e;
	size_t i;
	int rc;

	rc = want_type(p, ev->key, &ev->value, ETOML_STRING, ev->line);
	if (rc)
		return rc;
	if (!ev->key[0] || strchr(ev->key, '='))
		return perr(p, ENARX_E_MALFORMED, ev->line,
		            "key '%s': environment names must be non-empty and without '='",
		            ev->key);
	for (i = 0; i < cfg->nenv; i++)
		if (strcmp(cfg->env[i].key, ev->key) == 0)
			return perr(p, ENARX_E_MALFORMED, ev->line, "key '%s': duplicate key",
			            ev->key);
	e = xreallocarray(cfg->env, cfg->nenv + 1, sizeof(*e));
	if (!e)
		return ENARX_E_NOMEM;
	cfg->env = e;
	e[cfg->nenv].key = ev->key;
	e[cfg->nenv].value = take_str(&ev->value);
	ev->key = NULL;
	cfg->nenv++;
	return 0;
}

static int files_keyval(struct parser *p, struct etoml_event *ev)
{
	struct pending *n;
	size_t i;

	for (i = 0; i < p->npend; i++)
		if (strcmp(p->pend[i].key, ev->key) == 0)
			return perr(p, ENARX_E_MALFORMED, ev->line, "key '%s': duplicate key",
			            ev->key);
	n = xreallocarray(p->pend, p->npend + 1, sizeof(*n));
	if (!n)
		return ENARX_E_NOMEM;
	p->pend = n;
	n[p->npend].key = ev->key;
	n[p->npend].v = ev->value;
	n[p->npend].line = ev->line;
	p->npend++;
	ev->key = NULL;
	memset(&ev->value, 0, sizeof(ev->value));
	return 0;
}

/* Which keys each kind allows, beyond `kind` itself. */
static int key_allowed(enum config_kind kind, const char *key)
{
	enum { MAXK = 11 };
	static const char *const allowed[][MAXK] = {
	    [CONFIG_NULL] = {"name"},
	    [CONFIG_STDIN] = {"name"},
	    [CONFIG_STDOUT] = {"name"},
	    [CONFIG_STDERR] = {"name"},
	    [CONFIG_LISTEN] = {"name", "prot", "addr", "port", "alpn", "client_ca", "cert", "key",
	                       "names"},
	    [CONFIG_CONNECT] = {"name", "prot", "host", "port", "alpn", "ca", "server_name", "cert",
	                        "key"},
	    [CONFIG_DIR] = {"name", "path", "readonly", "unsafe"},
	};
	size_t i;

	for (i = 0; i < MAXK && allowed[kind][i]; i++)
		if (strcmp(allowed[kind][i], key) == 0)
			return 1;
	return 0;
}

static int parse_kind(struct parser *p, const struct pending *k, enum config_kind *out)
{
	size_t i;
	int rc = want_type(p, "kind", &k->v, ETOML_STRING, k->line);

	if (rc)
		return rc;
	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++) {
		if (strcmp(kind_names[i], k->v.str) == 0) {
			*out = (enum config_kind)i;
			return 0;
		}
	}
	return perr(p, ENARX_E_MALFORMED, k->line,
	            "key 'kind': unknown kind \"%.40s\" (expected null, stdin, "
	            "stdout, stderr, listen, connect or dir)",
	            k->v.str);
}

static int is_ip(const char *s)
{
	unsigned char tmp[16];

	return inet_pton(AF_INET, s, tmp) == 1 || inet_pton(AF_INET6, s, tmp) == 1;
}

/* A string TLS key: client_ca, ca, cert, key (file names), server_name. */
static int tls_string_key(const char *key)
{
	return strcmp(key, "client_ca") == 0 || strcmp(key, "ca") == 0 ||
	       strcmp(key, "cert") == 0 || strcmp(key, "key") == 0 ||
	       strcmp(key, "server_name") == 0;
}

/* A host name or IP literal: letters, digits, '-', '.', ':' (IPv6). */
static int name_ok(const char *s)
{
	if (!*s || strlen(s) > 253)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' || *s == ':'))
			return 0;
	return 1;
}

static int tls_string(struct parser *p, struct config_file *f, struct pending *k)
{
	char **dst = strcmp(k->key, "client_ca") == 0 ? &f->client_ca
	             : strcmp(k->key, "ca") == 0      ? &f->ca
	             : strcmp(k->key, "cert") == 0    ? &f->cert
	             : strcmp(k->key, "key") == 0     ? &f->key
	                                              : &f->server_name;

	if (!k->v.str[0])
		return perr(p, ENARX_E_MALFORMED, k->line, "key '%s': empty", k->key);
	if (dst == &f->server_name && !name_ok(k->v.str))
		return perr(p, ENARX_E_MALFORMED, k->line,
		            "key 'server_name': not a host name or IP address");
	*dst = take_str(&k->v);
	return 0;
}

/* An array of 1..max strings of 1..maxlen bytes (alpn, names). */
static int str_list(struct parser *p, struct pending *k, size_t max, size_t maxlen, char ***out,
                    size_t *n)
{
	size_t i;
	int rc = want_type(p, k->key, &k->v, ETOML_ARRAY, k->line);

	if (rc)
		return rc;
	if (k->v.nitems == 0 || k->v.nitems > max || k->v.items[0].type != ETOML_STRING)
		return perr(p, ENARX_E_MALFORMED, k->line,
		            "key '%s': expected an array of 1 to %zu strings", k->key, max);
	for (i = 0; i < k->v.nitems; i++) {
		size_t l = strlen(k->v.items[i].str);

		if (l == 0 || l > maxlen || (k->key[0] == 'n' && !name_ok(k->v.items[i].str)))
			return perr(p, ENARX_E_MALFORMED, k->line,
			            "key '%s': item %zu \"%.40s\" is not a valid %s", k->key, i + 1,
			            k->v.items[i].str,
			            k->key[0] == 'n' ? "host name or IP address"
			                             : "protocol name (1..255 bytes)");
	}
	*out = xcalloc(k->v.nitems, sizeof(char *));
	if (!*out)
		return ENARX_E_NOMEM;
	for (i = 0; i < k->v.nitems; i++)
		(*out)[i] = take_str(&k->v.items[i]);
	*n = k->v.nitems;
	return 0;
}

/* Cross-checks of the TLS keys once the whole entry is read. */
static int tls_check(struct parser *p, const struct config_file *f)
{
	static const char *const tls_keys[] = {"alpn",        "client_ca", "ca",   "cert",
	                                       "server_name", "key",       "names"};
	size_t i, j;

	for (i = 0; f->prot == CONFIG_TCP && i < p->npend; i++)
		for (j = 0; j < sizeof(tls_keys) / sizeof(tls_keys[0]); j++)
			if (strcmp(p->pend[i].key, tls_keys[j]) == 0)
				return perr(p, ENARX_E_MALFORMED, p->pend[i].line,
				            "key '%s': only with prot = \"tls\" (this entry "
				            "says prot = \"tcp\")",
				            tls_keys[j]);
	if (f->prot != CONFIG_TLS || (f->kind != CONFIG_LISTEN && f->kind != CONFIG_CONNECT))
		return 0;
	if (!f->cert != !f->key)
		return perr(p, ENARX_E_MALFORMED, p->file_line,
		            "[[files]] kind \"%s\": key '%s' needs key '%s' too",
		            config_kind_name(f->kind), f->cert ? "cert" : "key",
		            f->cert ? "key" : "cert");
	if (f->kind == CONFIG_CONNECT && !f->ca)
		return perr(p, ENARX_E_MALFORMED, p->file_line,
		            "[[files]] kind \"connect\": prot = \"tls\" needs key 'ca' (PEM trust "
		            "anchors: there are no system roots inside a Keep)");
	return 0;
}

int config_tls_files(const struct config *cfg,
                     int (*fn)(void *ctx, const char *path, const struct config_file *f,
                               const char *key),
                     void *ctx)
{
	int rc = cfg->tls_policy ? fn(ctx, cfg->tls_policy, NULL, "tls_policy") : 0;

	if (!rc && cfg->steward_ca)
		rc = fn(ctx, cfg->steward_ca, NULL, "steward_ca");

	for (size_t i = 0; !rc && i < cfg->nfiles; i++) {
		const struct config_file *f = &cfg->files[i];

		if (f->prot != CONFIG_TLS)
			continue;
		if (!rc && f->client_ca)
			rc = fn(ctx, f->client_ca, f, "client_ca");
		if (!rc && f->ca)
			rc = fn(ctx, f->ca, f, "ca");
		if (!rc && f->cert)
			rc = fn(ctx, f->cert, f, "cert");
		if (!rc && f->key)
			rc = fn(ctx, f->key, f, "key");
	}
	return rc;
}

/* Applies one key of a [[files]] entry whose kind is known. */
static int file_key(struct parser *p, struct config_file *f, struct pending *k)
{
	int rc;

	if (strcmp(k->key, "readonly") == 0 || strcmp(k->key, "unsafe") == 0) {
		rc = want_type(p, k->key, &k->v, ETOML_BOOL, k->line);
		*(k->key[0] == 'r' ? &f->readonly : &f->unsafe) = k->v.b;
		return rc;
	}
	if (strcmp(k->key, "port") == 0) {
		rc = want_type(p, k->key, &k->v, ETOML_INT, k->line);
		if (rc)
			return rc;
		if (k->v.i < 1 || k->v.i > 65535)
			return perr(p, ENARX_E_MALFORMED, k->line, "key 'port': must be 1..65535");
		f->port = (uint16_t)k->v.i;
		return 0;
	}
	if (strcmp(k->key, "alpn") == 0)
		return str_list(p, k, CONFIG_ALPN_MAX, 255, &f->alpn, &f->nalpn);
	if (strcmp(k->key, "names") == 0)
		return str_list(p, k, CONFIG_NAMES_MAX, 253, &f->names, &f->nnames);
	rc = want_type(p, k->key, &k->v, ETOML_STRING, k->line);
	if (rc)
		return rc;
	if (tls_string_key(k->key))
		return tls_string(p, f, k);
	if (strcmp(k->key, "name") == 0) {
		if (strchr(k->v.str, ':'))
			return perr(p, ENARX_E_MALFORMED, k->line,
			            "key 'name': must not contain ':'");
		xfree(f->name);
		f->name = take_str(&k->v);
	} else if (strcmp(k->key, "prot") == 0) {
		if (strcmp(k->v.str, "tcp") != 0 && strcmp(k->v.str, "tls") != 0)
			return perr(p, ENARX_E_MALFORMED, k->line,
			            "key 'prot': expected \"tcp\" or \"tls\"");
		f->prot = k->v.str[1] == 'c' ? CONFIG_TCP : CONFIG_TLS;
	} else if (strcmp(k->key, "addr") == 0) {
		if (!is_ip(k->v.str))
			return perr(p, ENARX_E_MALFORMED, k->line,
			            "key 'addr': not an IPv4 or IPv6 address");
		f->addr = take_str(&k->v);
	} else if (strcmp(k->key, "host") == 0) {
		if (strcmp(k->v.str, "localhost") != 0 && !is_ip(k->v.str))
			return perr(p, ENARX_E_MALFORMED, k->line,
			            "key 'host': must be an IP address or \"localhost\" "
			            "(no DNS in the Keep yet)");
		f->host = take_str(&k->v);
	} else if (strcmp(k->key, "path") == 0) {
		if (!k->v.str[0])
			return perr(p, ENARX_E_MALFORMED, k->line, "key 'path': empty");
		f->path = take_str(&k->v);
	}
	return 0;
}

static int file_defaults(struct parser *p, struct config_file *f)
{
	const char *kn = config_kind_name(f->kind);
	const char *dflt = NULL;

	if (f->kind == CONFIG_LISTEN && !f->name)
		return perr(p, ENARX_E_MALFORMED, p->file_line,
		            "[[files]] kind \"listen\": key 'name' is required");
	if (f->kind == CONFIG_CONNECT && !f->host)
		return perr(p, ENARX_E_MALFORMED, p->file_line,
		            "[[files]] kind \"connect\": key 'host' is required");
	if (f->kind == CONFIG_DIR && !f->path)
		return perr(p, ENARX_E_MALFORMED, p->file_line,
		            "[[files]] kind \"dir\": key 'path' is required");
	if (f->kind == CONFIG_LISTEN && !f->addr && !(f->addr = xstrdup("::")))
		return ENARX_E_NOMEM;
	if ((f->kind == CONFIG_LISTEN || f->kind == CONFIG_CONNECT) && !f->port)
		f->port = 80;
	if (!f->name) {
		dflt = f->kind == CONFIG_CONNECT ? f->host : f->kind == CONFIG_DIR ? f->path : kn;
		if (strchr(dflt, ':'))
			return perr(p, ENARX_E_MALFORMED, p->file_line,
			            "[[files]]: the default name \"%.40s\" contains ':'; "
			            "set key 'name'",
			            dflt);
		f->name = xstrdup(dflt);
		if (!f->name)
			return ENARX_E_NOMEM;
	}
	return 0;
}

/* Turns the pending keys of one [[files]] entry into a config_file. */
static int finish_file(struct parser *p)
{
	struct config_file f;
	struct config_file *grown;
	size_t i;
	int rc = 0, have_kind = 0;

	memset(&f, 0, sizeof(f));
	f.prot = CONFIG_TLS; /* Enarx's default for listen and connect */
	for (i = 0; i < p->npend; i++) {
		if (strcmp(p->pend[i].key, "kind") == 0) {
			rc = parse_kind(p, &p->pend[i], &f.kind);
			if (rc)
				goto out;
			have_kind = 1;
		}
	}
	if (!have_kind) {
		rc = perr(p, ENARX_E_MALFORMED, p->file_line, "[[files]]: key 'kind' is required");
		goto out;
	}
	for (i = 0; i < p->npend; i++) {
		struct pending *k = &p->pend[i];

		if (strcmp(k->key, "kind") == 0)
			continue;
		if (!key_allowed(f.kind, k->key)) {
			rc = perr(p, ENARX_E_MALFORMED, k->line,
			          "key '%s': not allowed for kind \"%s\"", k->key,
			          config_kind_name(f.kind));
			goto out;
		}
		rc = file_key(p, &f, k);
		if (rc)
			goto out;
	}
	rc = file_defaults(p, &f);
	if (!rc)
		rc = tls_check(p, &f);
	if (rc)
		goto out;
	grown = xreallocarray(p->cfg->files, p->cfg->nfiles + 1, sizeof(f));
	if (!grown) {
		rc = ENARX_E_NOMEM;
		goto out;
	}
	p->cfg->files = grown;
	grown[p->cfg->nfiles++] = f;
	pending_clear(p);
	return 0;
out:
	file_clear(&f);
	pending_clear(p);
	return rc;
}

uint64_t config_parse_size(const char *s)
{
	uint64_t v = 0, mul = 1;

	if (!*s)
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	switch (*s) {
	case 0: return v;
	case 'K': mul = 1ull << 10; break;
	case 'M': mul = 1ull << 20; break;
	case 'G': mul = 1ull << 30; break;
	default: return 0;
	}
	if (s[1] || v > UINT64_MAX / mul)
		return 0;
	return v * mul;
}

uint64_t config_parse_duration_ms(const char *s)
{
	uint64_t v = 0, mul;
	const char *d = s;

	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > KEEP_LIMIT_WALL_MS_MAX)
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (s == d)
		return 0;
	if (!*s || strcmp(s, "s") == 0)
		mul = 1000;
	else if (strcmp(s, "ms") == 0)
		mul = 1;
	else if (strcmp(s, "m") == 0)
		mul = 60 * 1000;
	else if (strcmp(s, "h") == 0)
		mul = 3600 * 1000;
	else
		return 0;
	if (v > KEEP_LIMIT_WALL_MS_MAX / mul)
		return 0;
	return v * mul;
}

/* A [limits] value given as an integer or a string (parsed by conv); 0 if
 * it is neither, not positive or malformed. */
static uint64_t limit_value(const struct etoml_value *v, uint64_t int_mul,
                            uint64_t (*conv)(const char *))
{
	if (v->type == ETOML_INT)
		return v->i > 0 && (uint64_t)v->i <= UINT64_MAX / int_mul ? (uint64_t)v->i * int_mul
		                                                          : 0;
	if (v->type == ETOML_STRING && conv)
		return conv(v->str);
	return 0;
}

/* The keys of [limits]: name, the value's range, and what the error says
 * is expected. */
static const struct limit_key {
	const char *key;
	uint64_t int_mul; /* an integer value is in these units */
	uint64_t (*conv)(const char *);
	uint64_t min, max;
	const char *expect;
} limit_keys[] = {
    {"memory", 1, config_parse_size, KEEP_LIMIT_MEMORY_MIN, KEEP_LIMIT_MEMORY_MAX,
     "a size from 64K to 4G (one wasm page to the wasm32 maximum), such as \"256M\""},
    {"fuel", 1, NULL, 1, INT64_MAX, "a positive integer"},
    {"wall_time", 1000, config_parse_duration_ms, 1, KEEP_LIMIT_WALL_MS_MAX,
     "a duration up to 30 days: seconds, or a string such as \"30s\", \"500ms\", \"5m\", "
     "\"2h\""},
    {"open_files", 1, NULL, KEEP_LIMIT_FDS_MIN, KEEP_LIMIT_FDS_MAX,
     "a number of descriptors from 3 to 4096"},
    {"output", 1, config_parse_size, 1, KEEP_LIMIT_OUTPUT_MAX,
     "a positive size (bytes, or a string such as \"10M\")"},
    {"cpu_time", 1000, config_parse_duration_ms, 1, KEEP_LIMIT_CPU_MS_MAX,
     "a duration up to 30 days: seconds, or a string such as \"30s\", \"500ms\", \"5m\""},
};

/* [limits]: one of limit_keys, each at most once. */
static int limits_keyval(struct parser *p, struct etoml_event *ev)
{
	struct keep_limits *l = &p->cfg->limits;
	uint64_t val;
	size_t i;

	for (i = 0; i < sizeof(limit_keys) / sizeof(limit_keys[0]); i++)
		if (strcmp(ev->key, limit_keys[i].key) == 0)
			break;
	if (i == sizeof(limit_keys) / sizeof(limit_keys[0]))
		return perr(p, ENARX_E_MALFORMED, ev->line,
		            "key '%s': unknown key in [limits] (expected memory, fuel, wall_time, "
		            "cpu_time, open_files or output)",
		            ev->key);
	if (p->seen_limit_keys & (1u << i))
		return perr(p, ENARX_E_MALFORMED, ev->line, "key '%s': duplicate key", ev->key);
	p->seen_limit_keys |= 1u << i;
	val = limit_value(&ev->value, limit_keys[i].int_mul, limit_keys[i].conv);
	if (val < limit_keys[i].min || val > limit_keys[i].max)
		return perr(p, ENARX_E_MALFORMED, ev->line, "key '%s': expected %s", ev->key,
		            limit_keys[i].expect);
	switch (i) {
	case 0: l->memory = val; break;
	case 1: l->fuel = val; break;
	case 2: l->wall_ms = val; break;
	case 3: l->fds = (uint32_t)val; break;
	case 4: l->output = val; break;
	default: l->cpu_ms = val; break;
	}
	return 0;
}

static int header(struct parser *p, struct etoml_event *ev)
{
	if (ev->kind == ETOML_EV_TABLE && strcmp(ev->key, "limits") == 0) {
		if (p->seen_limits++)
			return perr(p, ENARX_E_MALFORMED, ev->line, "table [limits] defined twice");
		p->sec = SEC_LIMITS;
		return 0;
	}
	if (ev->kind == ETOML_EV_TABLE && strcmp(ev->key, "env") == 0) {
		if (p->seen_env++)
			return perr(p, ENARX_E_MALFORMED, ev->line, "table [env] defined twice");
		p->sec = SEC_ENV;
		return 0;
	}
	if (ev->kind == ETOML_EV_ARRAY_TABLE && strcmp(ev->key, "files") == 0) {
		p->sec = SEC_FILES;
		p->seen_files = 1;
		p->file_line = ev->line;
		return 0;
	}
	return perr(p, ENARX_E_MALFORMED, ev->line, "unknown table %s%s%s",
	            ev->kind == ETOML_EV_TABLE ? "[" : "[[", ev->key,
	            ev->kind == ETOML_EV_TABLE ? "]" : "]]");
}

static int step(struct parser *p, struct etoml_event *ev)
{
	int rc;

	if (ev->kind != ETOML_EV_KEYVAL && p->sec == SEC_FILES) {
		rc = finish_file(p);
		if (rc)
			return rc;
	}
	switch (ev->kind) {
	case ETOML_EV_END: return 0;
	case ETOML_EV_TABLE:
	case ETOML_EV_ARRAY_TABLE: return header(p, ev);
	case ETOML_EV_KEYVAL:
		if (p->sec == SEC_ENV)
			return env_keyval(p, ev);
		if (p->sec == SEC_FILES)
			return files_keyval(p, ev);
		if (p->sec == SEC_LIMITS)
			return limits_keyval(p, ev);
		return top_keyval(p, ev);
	}
	return ENARX_E_INTERNAL;
}

int config_parse(const char *text, size_t len, struct config **out, char *err, size_t errlen)
{
	struct parser p;
	struct etoml_event ev;
	char dummy[8];
	int rc;

	memset(&p, 0, sizeof(p));
	p.err = errlen ? err : dummy;
	p.errlen = errlen ? errlen : sizeof(dummy);
	p.err[0] = 0;
	*out = NULL;
	if (len > CONFIG_MAX_SIZE)
		return perr(&p, ENARX_E_MALFORMED, 0, "file larger than 1 MiB");
	p.cfg = xcalloc(1, sizeof(*p.cfg));
	if (!p.cfg)
		return ENARX_E_NOMEM;
	etoml_init(&p.rd, text, len, CONFIG_TOML_DIALECT);
	enum etoml_event_kind kind;

	do {
		rc = etoml_next(&p.rd, &ev);
		if (rc == ENARX_E_MALFORMED)
			snprintf(p.err, p.errlen, "%s", p.rd.err);
		if (rc)
			goto fail;
		rc = step(&p, &ev);
		kind = ev.kind;
		etoml_event_clear(&ev);
		if (rc)
			goto fail;
	} while (kind != ETOML_EV_END);
	if (!p.seen_files) {
		/* No [[files]]: the Enarx default, stdin/stdout/stderr. */
		if (add_file(p.cfg, CONFIG_STDIN, "stdin") ||
		    add_file(p.cfg, CONFIG_STDOUT, "stdout") ||
		    add_file(p.cfg, CONFIG_STDERR, "stderr")) {
			rc = ENARX_E_NOMEM;
			goto fail;
		}
	}
	*out = p.cfg;
	return 0;
fail:
	if (rc == ENARX_E_NOMEM)
		snprintf(p.err, p.errlen, "out of memory");
	pending_clear(&p);
	config_free(p.cfg);
	return rc;
}

int config_resolve_paths(struct config *cfg, const char *base)
{
	struct buf b = {0};

	if (!base || base[0] != '/')
		return ENARX_E_INVAL;
	for (size_t i = 0; i < cfg->nfiles; i++) {
		struct config_file *f = &cfg->files[i];
		char *abs;

		if (f->kind != CONFIG_DIR || f->path[0] == '/')
			continue;
		b.len = 0;
		if (buf_printf(&b, "%s%s%s", base, base[1] ? "/" : "", f->path) ||
		    !(abs = xstrdup((const char *)b.data))) {
			buf_free(&b, 0);
			return ENARX_E_NOMEM;
		}
		xfree(f->path);
		f->path = abs;
	}
	buf_free(&b, 0);
	return 0;
}

int config_file_dir(const char *path, char **out)
{
	const char *slash = strrchr(path, '/');
	char *dir, *abs;

	*out = NULL;
	/* the directory the path names (a symlinked file stays where its
	 * link is, as in the shell); "a/b.toml" -> "a", "/b.toml" -> "/" */
	dir = xstrdup(slash ? path : ".");
	if (!dir)
		return ENARX_E_NOMEM;
	if (slash)
		dir[slash == path ? 1 : slash - path] = 0;
	abs = realpath(dir, NULL);
	xfree(dir);
	if (!abs)
		return ENARX_E_IO;
	*out = xstrdup(abs);
	free(abs); /* realpath's, from malloc */
	return *out ? 0 : ENARX_E_NOMEM;
}
