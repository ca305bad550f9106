/* SPDX-License-Identifier: Apache-2.0 */
/* Building a package from what the user names (pkgsrc.h). */
#include "cli/pkgsrc.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <enarx/wat.h>

#include "cli/cli.h"
#include "lib/buf.h"
#include "lib/err.h"
#include "lib/file.h"

static int read_file(const char *path, size_t max, struct buf *out)
{
	char err[PATH_MAX + 64];

	if (file_read_all(path, max, out, err, sizeof(err)) == 0)
		return 0;
	cli_error("%s", err);
	return -1;
}

static int add(struct pkg *p, uint8_t kind, const char *name, const void *v, size_t n)
{
	char err[300];

	if (pkg_add(p, kind, name, v, n, err, sizeof(err)) == 0)
		return 0;
	cli_error("package: %s", err);
	return -1;
}

/* A module already read into b: binary as is, text (.wat) converted
 * here. */
static int add_module_buf(struct pkg *p, const char *path, const struct buf *b)
{
	ewat_error we;
	uint8_t *bin = NULL;
	size_t len = 0;
	int rc = 0;

	if (b->len > PKG_MAX_WASM) {
		cli_error("%s: more than %u bytes", path, PKG_MAX_WASM);
		return -1;
	}
	if (!ewat_is_binary(b->data, b->len)) {
		if (ewat_parse((const char *)b->data, b->len, &bin, &len, &we) != 0) {
			cli_error("%s:%u:%u: %s", path, we.line, we.col, we.message);
			rc = -1;
		} else {
			rc = add(p, PKG_WASM, "main.wasm", bin, len);
		}
	} else {
		rc = add(p, PKG_WASM, "main.wasm", b->data, b->len);
	}
	ewat_free(bin);
	return rc;
}

/* A module file. */
static int add_module(struct pkg *p, const char *path)
{
	struct buf b = {0};
	int rc = read_file(path, PKG_MAX_WASM, &b);

	if (!rc)
		rc = add_module_buf(p, path, &b);
	buf_free(&b, 0);
	return rc;
}

/* An existing package file: its entries copied. */
static int add_package(struct pkg *p, const struct buf *b, const char *path)
{
	struct pkg in;
	char err[300];
	int rc = pkg_decode(b->data, b->len, &in, err, sizeof(err));

	if (rc) {
		cli_error("%s: %s", path, err);
		return -1;
	}
	for (size_t i = 0; !rc && i < in.n; i++) {
		if (in.e[i].kind != PKG_OUTPUT_KEY)
			rc = add(p, in.e[i].kind, in.e[i].name, in.e[i].value, in.e[i].value_len);
	}
	pkg_clear(&in);
	return rc;
}

static int load_base(struct pkg *p, const char *path)
{
	char sub[PATH_MAX];
	struct stat st;
	struct buf b = {0};
	int rc;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(sub, sizeof(sub), "%s/main.wasm", path);
		rc = add_module(p, sub);
		snprintf(sub, sizeof(sub), "%s/Enarx.toml", path);
		if (!rc && stat(sub, &st) == 0) {
			rc = read_file(sub, PKG_MAX_VALUE, &b);
			if (!rc)
				rc = add(p, PKG_CONFIG, "Enarx.toml",
				         b.data ? b.data : (uint8_t *)"", b.len);
		}
		buf_free(&b, 0);
		return rc;
	}
	rc = read_file(path, PKG_MAX_SIZE, &b);
	if (!rc && b.len >= PKG_MAGIC_LEN && memcmp(b.data, PKG_MAGIC, PKG_MAGIC_LEN) == 0)
		rc = add_package(p, &b, path);
	else if (!rc) /* the module, as read: no second read */
		rc = add_module_buf(p, path, &b);
	buf_free(&b, 1);
	return rc;
}

/* NAME=VALUE, or NAME=@FILE for a secret read from a file; a secret
 * named /secrets/FILE is a file the workload reads there. */
static int add_var(struct pkg *p, uint8_t kind, const char *spec)
{
	static const char dir[] = PKG_SECRET_FILE_DIR "/";
	const char *eq = strchr(spec, '=');
	char name[PKG_MAX_NAME + 1];
	struct buf b = {0};
	size_t max = PKG_MAX_VALUE;
	int rc;

	if (!eq || eq == spec || (size_t)(eq - spec) > PKG_MAX_NAME) {
		cli_error("--%s %s: expected NAME=%s", kind == PKG_ENV ? "env" : "secret", spec,
		          kind == PKG_ENV ? "VALUE" : "@FILE");
		return -1;
	}
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = 0;
	if (kind == PKG_SECRET && strncmp(name, dir, sizeof(dir) - 1) == 0) {
		kind = PKG_SECRET_FILE;
		memmove(name, name + sizeof(dir) - 1, strlen(name) - (sizeof(dir) - 2));
		max = PKG_MAX_FILE;
	}
	if (kind != PKG_ENV && eq[1] == '@') {
		rc = read_file(eq + 2, max, &b);
		if (!rc)
			rc = add(p, kind, name, b.data ? b.data : (uint8_t *)"", b.len);
		buf_free(&b, 1);
		return rc;
	}
	return add(p, kind, name, eq + 1, strlen(eq + 1));
}

int pkg_source_load(const struct pkg_source *s, struct pkg *p)
{
	struct buf b = {0};
	size_t i;
	int rc;

	memset(p, 0, sizeof(*p));
	rc = load_base(p, s->path);
	if (!rc && s->cfgfile) {
		pkg_remove(p, PKG_CONFIG);
		rc = read_file(s->cfgfile, PKG_MAX_VALUE, &b);
		if (!rc)
			rc = add(p, PKG_CONFIG, "Enarx.toml", b.data ? b.data : (uint8_t *)"",
			         b.len);
	}
	for (i = 0; !rc && s->env && i < s->env->n; i++)
		rc = add_var(p, PKG_ENV, s->env->v[i]);
	for (i = 0; !rc && s->secret && i < s->secret->n; i++)
		rc = add_var(p, PKG_SECRET, s->secret->v[i]);
	for (i = 0; !rc && i < s->nargs; i++)
		rc = add(p, PKG_ARG, "", s->args[i], strlen(s->args[i]));
	buf_free(&b, 0);
	if (rc)
		pkg_clear(p);
	return rc;
}
