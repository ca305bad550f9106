/* SPDX-License-Identifier: Apache-2.0 */
/* The bundle: config.json (OCI runtime spec) read with jansson into what a
 * Keep needs, the decision wasm-or-runc, and the workload: the module read
 * from the rootfs (resolved inside it, so an image's symlinks cannot reach
 * the host), validated on the host so a bad module fails `create` with a
 * clear message, and an Enarx.toml made from the image's own (next to the
 * module) plus config.json's environment and directory bind mounts. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include <enarx/wasm.h>
#include <jansson.h>

#include "config/config.h"
#include "keep/proto.h"
#include "lib/file.h"
#include "lib/log.h"
#include "oci/oci_int.h"
#include "package/spkg.h"

static char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? strdup(s) : NULL;
}

/* A JSON array of strings as a NULL-terminated vector. -1 if not one. */
static int str_array(json_t *a, char ***out, size_t *n)
{
	size_t i;
	json_t *v;

	*out = NULL;
	*n = 0;
	if (!a)
		return 0;
	if (!json_is_array(a))
		return -1;
	*out = calloc(json_array_size(a) + 1, sizeof(char *));
	if (!*out)
		return -1;
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || !((*out)[i] = strdup(json_string_value(v))))
			return -1;
		(*n)++;
	}
	return 0;
}

static char *abs_path(const char *base, const char *p)
{
	char buf[PATH_MAX];

	if (p[0] == '/')
		return strdup(p);
	if ((size_t)snprintf(buf, sizeof(buf), "%s/%s", base, p) >= sizeof(buf))
		return NULL;
	return strdup(buf);
}

static int has_opt(json_t *opts, const char *want)
{
	size_t i;
	json_t *v;

	json_array_foreach(opts, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
			return 1;
	}
	return 0;
}

/* Bind mounts of directories become preopens; the engine's own files
 * (/etc/hosts, /run/.containerenv, /dev/shm, /proc, /sys) do not. */
static int load_mounts(json_t *mounts, struct oci_spec *sp)
{
	static const char *const sys[] = {"/dev", "/proc", "/sys", "/run/.containerenv",
	                                  "/run/secrets"};
	size_t i;
	json_t *m;

	sp->mounts = calloc(OCI_MAX_DIRS, sizeof(*sp->mounts));
	if (!sp->mounts)
		return -1;
	json_array_foreach(mounts, i, m)
	{
		const char *dest = json_string_value(json_object_get(m, "destination"));
		const char *src = json_string_value(json_object_get(m, "source"));
		const char *type = json_string_value(json_object_get(m, "type"));
		json_t *opts = json_object_get(m, "options");
		struct stat stb;
		int skip = 0;

		if (!dest || !src || dest[0] != '/')
			continue;
		if (!(type && strcmp(type, "bind") == 0) && !has_opt(opts, "bind") &&
		    !has_opt(opts, "rbind"))
			continue;
		for (size_t k = 0; k < sizeof(sys) / sizeof(sys[0]); k++) {
			size_t l = strlen(sys[k]);

			skip |= strncmp(dest, sys[k], l) == 0 && (dest[l] == 0 || dest[l] == '/');
		}
		if (skip || stat(src, &stb) != 0 || !S_ISDIR(stb.st_mode))
			continue;
		if (sp->nmounts == OCI_MAX_DIRS) {
			oci__error("more than %d directory mounts", OCI_MAX_DIRS);
			return -1;
		}
		sp->mounts[sp->nmounts].dest = strdup(dest);
		sp->mounts[sp->nmounts].source = strdup(src);
		sp->mounts[sp->nmounts].readonly = has_opt(opts, "ro");
		if (!sp->mounts[sp->nmounts].dest || !sp->mounts[sp->nmounts++].source)
			return -1;
	}
	return 0;
}

static void load_linux(json_t *lx, struct oci_spec *sp)
{
	json_t *ns, *res = json_object_get(lx, "resources");
	size_t i;

	sp->cgroups_path = jstr(lx, "cgroupsPath");
	json_array_foreach(json_object_get(lx, "namespaces"), i, ns)
	{
		const char *type = json_string_value(json_object_get(ns, "type"));

		if (!type || strcmp(type, "network") != 0)
			continue;
		sp->netns_path = jstr(ns, "path");
		sp->netns_new = !sp->netns_path;
	}
	sp->mem_limit =
	    json_integer_value(json_object_get(json_object_get(res, "memory"), "limit"));
	sp->pids_limit = json_integer_value(json_object_get(json_object_get(res, "pids"), "limit"));
}

static void load_annotations(json_t *ann, struct oci_spec *sp)
{
	const char *v;

	sp->annotations = json_is_object(ann) ? json_dumps(ann, JSON_COMPACT) : strdup("{}");
	sp->backend = jstr(ann, "enarx.backend");
	sp->engine = jstr(ann, "enarx.engine");
	sp->steward_ca = jstr(ann, "enarx.steward.ca");
	v = json_string_value(json_object_get(ann, "io.kubernetes.cri.container-type"));
	sp->sandbox = v && strcmp(v, "sandbox") == 0;
	v = json_string_value(json_object_get(ann, "io.kubernetes.cri-o.ContainerType"));
	sp->sandbox |= v && strcmp(v, "sandbox") == 0;
	v = json_string_value(json_object_get(ann, "module.wasm.image/variant"));
	sp->wasm_annotated = v && strcmp(v, "compat") == 0;
	v = json_string_value(json_object_get(ann, "run.oci.handler"));
	sp->wasm_annotated |= v && strcmp(v, "wasm") == 0;
}

/* config.json's document into sp (bundle already set). */
static int spec_from_json(json_t *o, const char *path, struct oci_spec *sp)
{
	json_t *proc = json_object_get(o, "process"), *root = json_object_get(o, "root");

	if (!json_is_object(proc) || !json_is_object(root) ||
	    !json_is_string(json_object_get(root, "path"))) {
		oci__error("%s: no process or root.path", path);
		return -1;
	}
	if (str_array(json_object_get(proc, "args"), &sp->args, &sp->nargs) != 0 ||
	    sp->nargs == 0) {
		oci__error("%s: process.args must be a non-empty array of strings", path);
		return -1;
	}
	if (str_array(json_object_get(proc, "env"), &sp->env, &sp->nenv) != 0) {
		oci__error("%s: process.env must be an array of strings", path);
		return -1;
	}
	sp->cwd = jstr(proc, "cwd");
	sp->terminal = json_is_true(json_object_get(proc, "terminal"));
	sp->rootfs = abs_path(sp->bundle, json_string_value(json_object_get(root, "path")));
	sp->rootfs_ro = json_is_true(json_object_get(root, "readonly"));
	if (!sp->rootfs || load_mounts(json_object_get(o, "mounts"), sp) != 0) {
		oci__error("%s: out of memory or too many mounts", path);
		return -1;
	}
	load_linux(json_object_get(o, "linux"), sp);
	load_annotations(json_object_get(o, "annotations"), sp);
	return sp->annotations ? 0 : -1;
}

int oci__spec_parse(const char *text, size_t len, const char *bundle, struct oci_spec *sp)
{
	json_error_t e;
	json_t *o;
	int rc;

	memset(sp, 0, sizeof(*sp));
	sp->bundle = strdup(bundle);
	if (!sp->bundle)
		return -1;
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
	if (!o) {
		oci__error("%s/config.json: line %d: %s", bundle, e.line, e.text);
		return -1;
	}
	rc = spec_from_json(o, "config.json", sp);
	json_decref(o);
	return rc;
}

int oci__spec_load(const char *bundle, struct oci_spec *sp)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	struct buf text = {0};
	char err[PATH_MAX + 64];
	int rc;

	memset(sp, 0, sizeof(*sp));
	if (!realpath(bundle, dir)) {
		oci__error("bundle %s: %s", bundle, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/config.json", dir);
	if (file_read_all(path, OCI_CONFIG_MAX, &text, err, sizeof(err)) != 0) {
		oci__error("%s", err);
		return -1;
	}
	rc = oci__spec_parse(text.data ? (const char *)text.data : "", text.len, dir, sp);
	buf_free(&text, 0);
	return rc;
}

static void free_vec(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void oci__spec_free(struct oci_spec *sp)
{
	for (size_t i = 0; i < sp->nmounts; i++) {
		free(sp->mounts[i].dest);
		free(sp->mounts[i].source);
	}
	free(sp->mounts);
	free_vec(sp->args, sp->nargs);
	free_vec(sp->env, sp->nenv);
	free(sp->bundle);
	free(sp->rootfs);
	free(sp->cwd);
	free(sp->cgroups_path);
	free(sp->netns_path);
	free(sp->annotations);
	free(sp->backend);
	free(sp->steward_ca);
	free(sp->engine);
	memset(sp, 0, sizeof(*sp));
}

/* Opens path (as the container sees it, relative to process.cwd) inside
 * the rootfs: RESOLVE_IN_ROOT keeps "..", absolute symlinks and the like
 * inside it. -1 with errno. */
static int open_in_root(const struct oci_spec *sp, const char *path)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK,
	                       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	char rel[PATH_MAX];
	int root, fd;

	if (path[0] != '/')
		snprintf(rel, sizeof(rel), "%s/%s", sp->cwd ? sp->cwd : "/", path);
	else
		snprintf(rel, sizeof(rel), "%s", path);
	root = open(sp->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -1;
	fd = (int)syscall(SYS_openat2, root, rel, &how, sizeof(how));
	close(root);
	return fd;
}

/* Reads a regular file of at most max bytes from fd (closed). */
static int read_fd(int fd, size_t max, struct buf *out, const char *what)
{
	struct stat stb;
	uint8_t chunk[65536];
	ssize_t n;

	if (fstat(fd, &stb) != 0 || !S_ISREG(stb.st_mode)) {
		oci__error("%s is not a regular file", what);
		close(fd);
		return -1;
	}
	if ((uint64_t)stb.st_size > max) {
		oci__error("%s is larger than %zu bytes", what, max);
		close(fd);
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (out->len + (size_t)n > max || buf_append(out, chunk, (size_t)n) != 0) {
			oci__error("%s: too large or out of memory", what);
			close(fd);
			return -1;
		}
	}
	close(fd);
	if (n < 0)
		oci__error("cannot read %s: %s", what, strerror(errno));
	return n < 0 ? -1 : 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int oci__spec_is_wasm(const struct oci_spec *sp)
{
	uint8_t magic[SPKG_MAGIC_LEN];
	int fd;
	ssize_t n;

	if (sp->sandbox)
		return 0;
	if (sp->wasm_annotated || ends_with(sp->args[0], ".wasm"))
		return 1;
	fd = open_in_root(sp, sp->args[0]);
	if (fd < 0)
		return 0;
	n = read(fd, magic, sizeof(magic));
	close(fd);
	return (n >= 4 && memcmp(magic, "\0asm", 4) == 0) || spkg_is(magic, n > 0 ? (size_t)n : 0);
}

/* A Steward-sealed package as the entrypoint: its header must read, and
 * the relay needs a CA for Steward (the annotation's file wins over the
 * package's own; neither: the system's roots). */
static int sealed_load(const struct oci_spec *sp, struct oci_workload *w)
{
	struct spkg_head h;
	char err[PATH_MAX + 128];

	if (spkg_parse(w->wasm.data, w->wasm.len, &h, err, sizeof(err)) != 0) {
		oci__error("%s: %s", sp->args[0], err);
		return -1;
	}
	w->sealed = 1;
	if (sp->steward_ca) {
		if (file_read_all(sp->steward_ca, SPKG_MAX_CA, &w->steward_ca, err, sizeof(err))) {
			oci__error("annotation enarx.steward.ca: %s", err);
			return -1;
		}
	} else if (h.ca_len && buf_append(&w->steward_ca, h.ca, h.ca_len)) {
		oci__error("out of memory");
		return -1;
	}
	log_info("%s: sealed for Steward %s, key '%s'", sp->args[0], h.url, h.name);
	return 0;
}

static int validate(const char *name, const struct buf *wasm)
{
	ewasm_config cfg;
	ewasm_engine *eng;
	ewasm_error err = {0};
	int rc;

	if (wasm->len < 4 || memcmp(wasm->data, "\0asm", 4) != 0) {
		oci__error("%s is not a WebAssembly module (no \\0asm magic)", name);
		return -1;
	}
	ewasm_config_init(&cfg);
	cfg.engine = EWASM_ENGINE_INTERP;
	eng = ewasm_engine_new(&cfg);
	if (!eng) {
		oci__error("out of memory validating %s", name);
		return -1;
	}
	rc = ewasm_module_validate(eng, wasm->data, wasm->len, &err);
	ewasm_engine_free(eng);
	if (rc)
		oci__error("%s: invalid WebAssembly module: %s (at byte offset %llu)", name,
		           err.message, (unsigned long long)err.offset);
	return rc ? -1 : 0;
}

/* ---- Enarx.toml ------------------------------------------------------- */

static void toml_str(struct buf *b, const char *s)
{
	buf_append_u8(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			buf_printf(b, "\\u%04x", c);
		else
			buf_append_u8(b, c);
	}
	buf_append_u8(b, '"');
}

static void toml_kv(struct buf *b, const char *key, const char *val)
{
	toml_str(b, key);
	buf_printf(b, " = ");
	toml_str(b, val);
	buf_printf(b, "\n");
}

static void toml_file(struct buf *b, const struct config_file *f)
{
	buf_printf(b, "\n[[files]]\nkind = \"%s\"\n", config_kind_name(f->kind));
	toml_kv(b, "name", f->name);
	if (f->kind == CONFIG_LISTEN || f->kind == CONFIG_CONNECT)
		buf_printf(b, "prot = \"%s\"\nport = %u\n", f->prot == CONFIG_TLS ? "tls" : "tcp",
		           f->port);
	if (f->kind == CONFIG_LISTEN)
		toml_kv(b, "addr", f->addr);
	if (f->kind == CONFIG_CONNECT)
		toml_kv(b, "host", f->host);
}

static void toml_dir(struct buf *b, const char *path, const char *name, int ro)
{
	buf_printf(b, "\n[[files]]\nkind = \"dir\"\n");
	toml_kv(b, "path", path);
	toml_kv(b, "name", name);
	buf_printf(b, "readonly = %s\n", ro ? "true" : "false");
}

/* 1 if config.json's environment sets key. */
static int oci_env_has(const struct oci_spec *sp, const char *key)
{
	size_t l = strlen(key);

	for (size_t i = 0; i < sp->nenv; i++) {
		if (strncmp(sp->env[i], key, l) == 0 && sp->env[i][l] == '=')
			return 1;
	}
	return 0;
}

static void toml_env(struct buf *b, const struct oci_spec *sp, const struct config *img)
{
	buf_printf(b, "\n[env]\n");
	for (size_t i = 0; i < img->nenv; i++) {
		if (!oci_env_has(sp, img->env[i].key))
			toml_kv(b, img->env[i].key, img->env[i].value);
	}
	for (size_t i = 0; i < sp->nenv; i++) {
		char key[256];
		const char *eq = strchr(sp->env[i], '=');
		size_t kl = eq ? (size_t)(eq - sp->env[i]) : 0;

		if (!kl || kl >= sizeof(key))
			continue;
		memcpy(key, sp->env[i], kl);
		key[kl] = 0;
		/* the executor sets these itself (docs/enarx-toml.md) */
		if (strcmp(key, "FD_COUNT") == 0 || strcmp(key, "FD_NAMES") == 0)
			continue;
		toml_kv(b, key, eq + 1);
	}
	if (sp->cwd && !oci_env_has(sp, "PWD"))
		toml_kv(b, "PWD", sp->cwd);
}

static int is_stdio(enum config_kind k)
{
	return k == CONFIG_NULL || k == CONFIG_STDIN || k == CONFIG_STDOUT || k == CONFIG_STDERR;
}

/* The image's entries with the rootfs and the bind mounts as preopened
 * directories right after its stdio ones (WASI libc looks for preopens from
 * fd 3 up and stops at the first that is not one). */
static int toml_files(struct buf *b, const struct oci_spec *sp, const struct config *img)
{
	char err[512];
	size_t i = 0;

	for (; i < img->nfiles && i < 3 && is_stdio(img->files[i].kind); i++)
		toml_file(b, &img->files[i]);
	toml_dir(b, sp->rootfs, "/", sp->rootfs_ro);
	for (size_t m = 0; m < sp->nmounts; m++) {
		struct config_file f = {.kind = CONFIG_DIR, .path = sp->mounts[m].source};

		if (config_dir_check(&f, err, sizeof(err)) != 0) {
			oci__error("mount %s: %s", sp->mounts[m].dest, err);
			return -1;
		}
		toml_dir(b, sp->mounts[m].source, sp->mounts[m].dest, sp->mounts[m].readonly);
	}
	for (; i < img->nfiles; i++) {
		if (img->files[i].kind == CONFIG_DIR) {
			oci__error("the image's Enarx.toml names a host directory ('%s'); "
			           "give the container a bind mount instead",
			           img->files[i].path);
			return -1;
		}
		toml_file(b, &img->files[i]);
	}
	return 0;
}

/* The image's Enarx.toml (next to the module), or the default config. */
static int image_config(const struct oci_spec *sp, struct config **out)
{
	char path[PATH_MAX], err[512];
	const char *slash = strrchr(sp->args[0], '/');
	struct buf text = {0};
	int fd, rc;

	snprintf(path, sizeof(path), "%.*sEnarx.toml", slash ? (int)(slash - sp->args[0] + 1) : 0,
	         sp->args[0]);
	fd = open_in_root(sp, path);
	if (fd < 0) {
		*out = config_default();
		return *out ? 0 : -1;
	}
	if (read_fd(fd, CONFIG_MAX_SIZE, &text, path) != 0)
		return -1;
	rc =
	    config_parse(text.data ? (const char *)text.data : "", text.len, out, err, sizeof(err));
	buf_free(&text, 0);
	if (rc)
		oci__error("the image's %s: %s", path, err);
	return rc ? -1 : 0;
}

int oci__toml_make(const struct oci_spec *sp, const struct config *img, struct buf *b, int *net)
{
	for (size_t i = 0; i < img->nfiles; i++)
		*net |= img->files[i].kind == CONFIG_LISTEN || img->files[i].kind == CONFIG_CONNECT;
	if (img->steward) {
		buf_printf(b, "steward = ");
		toml_str(b, img->steward);
		buf_printf(b, "\n");
	}
	buf_printf(b, "args = [");
	for (size_t i = 0; i < img->nargs; i++) {
		buf_printf(b, "%s", i ? ", " : "");
		toml_str(b, img->args[i]);
	}
	buf_printf(b, "]\n");
	toml_env(b, sp, img);
	if (keep_limits_any(&img->limits))
		buf_printf(b, "\n[limits]\n");
	if (img->limits.memory)
		buf_printf(b, "memory = %llu\n", (unsigned long long)img->limits.memory);
	if (img->limits.fuel)
		buf_printf(b, "fuel = %llu\n", (unsigned long long)img->limits.fuel);
	if (img->limits.wall_ms)
		buf_printf(b, "wall_time = \"%llums\"\n", (unsigned long long)img->limits.wall_ms);
	if (img->limits.fds)
		buf_printf(b, "open_files = %u\n", (unsigned)img->limits.fds);
	if (img->limits.output)
		buf_printf(b, "output = %llu\n", (unsigned long long)img->limits.output);
	if (img->limits.cpu_ms)
		buf_printf(b, "cpu_time = \"%llums\"\n", (unsigned long long)img->limits.cpu_ms);
	return toml_files(b, sp, img);
}

static int make_toml(const struct oci_spec *sp, struct buf *b, int *net)
{
	struct config *img = NULL;
	int rc = -1;

	if (image_config(sp, &img) == 0)
		rc = oci__toml_make(sp, img, b, net);
	config_free(img);
	return rc;
}

int oci__workload_load(const struct oci_spec *sp, struct oci_workload *w)
{
	int fd;

	memset(w, 0, sizeof(*w));
	w->engine = KP_ENGINE_INTERP;
	if (sp->engine && strcmp(sp->engine, "jit") == 0)
		w->engine = KP_ENGINE_JIT;
	else if (sp->engine && strcmp(sp->engine, "interp") != 0) {
		oci__error("annotation enarx.engine: unknown engine '%s' (jit or interp)",
		           sp->engine);
		return -1;
	}
	if (sp->nargs - 1 > KP_MAX_ARGS) {
		oci__error("too many arguments for the workload: %zu (at most %u)", sp->nargs - 1,
		           KP_MAX_ARGS);
		return -1;
	}
	fd = open_in_root(sp, sp->args[0]);
	if (fd < 0) {
		oci__error("cannot open the entrypoint %s in the image (%s): %s", sp->args[0],
		           sp->rootfs, strerror(errno));
		return -1;
	}
	if (read_fd(fd, OCI_WASM_MAX, &w->wasm, sp->args[0]) != 0 ||
	    (spkg_is(w->wasm.data, w->wasm.len) ? sealed_load(sp, w)
	                                        : validate(sp->args[0], &w->wasm)) != 0 ||
	    make_toml(sp, &w->toml, &w->net) != 0) {
		oci__workload_free(w);
		return -1;
	}
	return 0;
}

void oci__workload_free(struct oci_workload *w)
{
	buf_free(&w->wasm, 0);
	buf_free(&w->toml, 0);
	buf_free(&w->steward_ca, 0);
}
