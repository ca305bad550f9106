/* SPDX-License-Identifier: Apache-2.0 */
/* The OCI runtime's command line, runc's: global flags, then one small
 * handler per verb (create, start, kill, delete, state, ps, pause, resume,
 * exec). A container that is not WebAssembly, and any ID this runtime does
 * not hold, is handed to runc with the same arguments, so a whole pod (its
 * pause container included) runs under one runtime handler. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "oci/oci.h"
#include "oci/oci_int.h"

#ifndef ENARX_VERSION
#define ENARX_VERSION "0.1.0"
#endif

#define MAX_PIDS 4096

struct args {
	char **argv; /* as given, for runc */
	int argc;
	const char *root, *verb, *id;
	const char *bundle, *pid_file, *console, *format;
	int all, force;
	const char *rest[4]; /* positional words after the ID */
	int nrest;
};

/* A flag of runc's: the name without dashes, whether it takes a value,
 * and where that goes (NULL: accepted and ignored). */
struct flag {
	const char *name;
	char alias;
	int value;
	size_t off; /* offsetof in struct args, or 0 to ignore */
	int is_bool;
};

#define F_STR(n, a, field)                               \
	{                                                \
		n, a, 1, offsetof(struct args, field), 0 \
	}
#define F_BOOL(n, a, field)                              \
	{                                                \
		n, a, 0, offsetof(struct args, field), 1 \
	}
#define F_IGN(n, v)           \
	{                     \
		n, 0, v, 0, 0 \
	}

static const struct flag global_flags[] = {
    F_STR("root", 0, root),     F_IGN("log", 1),  F_IGN("log-format", 1), F_IGN("debug", 0),
    F_IGN("systemd-cgroup", 0), F_IGN("criu", 1), F_IGN("rootless", 1),   {NULL, 0, 0, 0, 0},
};

static const struct flag verb_flags[] = {
    F_STR("bundle", 'b', bundle),
    F_STR("pid-file", 0, pid_file),
    F_STR("console-socket", 0, console),
    F_STR("format", 'f', format),
    F_BOOL("all", 'a', all),
    F_BOOL("force", 'f', force),
    F_IGN("no-pivot", 0),
    F_IGN("no-new-keyring", 0),
    F_IGN("preserve-fds", 1),
    /* exec's, so an exec for a runc container reaches runc intact */
    {"detach", 'd', 0, 0, 0},
    {"process", 'p', 1, 0, 0},
    {"env", 'e', 1, 0, 0},
    {"tty", 't', 0, 0, 0},
    {"user", 'u', 1, 0, 0},
    {"cap", 'c', 1, 0, 0},
    F_IGN("cwd", 1),
    F_IGN("process-label", 1),
    F_IGN("apparmor", 1),
    F_IGN("no-new-privs", 0),
    F_IGN("cgroup", 1),
    {NULL, 0, 0, 0, 0},
};

static const char *log_file, *log_format;

static const struct flag *find_flag(const struct flag *t, const char *word, const char *verb,
                                    size_t len)
{
	int ps = strcmp(verb, "ps") == 0;

	for (; t->name; t++) {
		/* -f is --format for ps and --force elsewhere */
		if (len == 1 && t->alias == word[0] && word[0] == 'f' &&
		    ps != (t->off == offsetof(struct args, format)))
			continue;
		if (len == 1 && t->alias == word[0])
			return t;
		if (strlen(t->name) == len && strncmp(t->name, word, len) == 0)
			return t;
	}
	return NULL;
}

/* Parses "--name value", "--name=value", "-name value", "-a". Returns the
 * index of the first word that is not a flag, or -1 (error printed). */
static int parse_flags(const struct flag *t, int argc, char **argv, int i, struct args *a,
                       const char *verb)
{
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *w = argv[i] + (argv[i][1] == '-' ? 2 : 1);
		const char *eq = strchr(w, '=');
		size_t len = eq ? (size_t)(eq - w) : strlen(w);
		const struct flag *f;
		const char *val = NULL;

		if (!*w) /* "--" ends the flags */
			return i + 1;
		f = find_flag(t, w, verb, len);
		if (!f) {
			oci__error("%s: unknown flag %s", verb, argv[i]);
			return -1;
		}
		if (f->value) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				oci__error("%s: flag %s needs a value", verb, argv[i]);
				return -1;
			}
		}
		if (t == global_flags && strncmp(w, "log-format", len) == 0 && len == 10)
			log_format = val;
		else if (t == global_flags && strncmp(w, "log", len) == 0 && len == 3)
			log_file = val;
		if (f->off && f->is_bool)
			*(int *)((char *)a + f->off) = 1;
		else if (f->off)
			*(const char **)((char *)a + f->off) = val;
	}
	return i;
}

/* ---- runc ------------------------------------------------------------- */

static const char *runc_path(void)
{
	static const char *const dirs[] = {"/usr/sbin", "/usr/bin",        "/sbin",
	                                   "/bin",      "/usr/local/sbin", "/usr/local/bin"};
	static char p[PATH_MAX];
	const char *env = getenv("ENARX_OCI_RUNC");

	if (env && *env)
		return env;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/runc", dirs[i]);
		if (access(p, X_OK) == 0)
			return p;
	}
	return NULL;
}

/* Execs runc with our own arguments; returns only if it cannot. */
static int to_runc(const struct args *a)
{
	const char *runc = runc_path();
	char **argv = calloc((size_t)a->argc + 1, sizeof(char *));

	if (!runc || !argv) {
		free(argv);
		return -1;
	}
	argv[0] = (char *)"runc";
	for (int i = 1; i < a->argc; i++)
		argv[i] = a->argv[i];
	execv(runc, argv);
	oci__error("cannot run %s: %s", runc, strerror(errno));
	free(argv);
	return 1;
}

/* ---- helpers ---------------------------------------------------------- */

static int valid_id(const char *id)
{
	if (!id || !*id || strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0 ||
	    strlen(id) > 1024) {
		oci__error("invalid container ID '%s'", id ? id : "");
		return 0;
	}
	return 1;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char p[PATH_MAX];

	if ((size_t)snprintf(p, sizeof(p), "%s", path) >= sizeof(p))
		return -1;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, mode) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, mode) != 0 && errno != EEXIST ? -1 : 0;
}

static void now_rfc3339(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%09ldZ", base, ts.tv_nsec);
}

static void remove_state(const char *dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, OCI_FIFO_FILE);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%s", dir, OCI_STATE_FILE);
	unlink(p);
	rmdir(dir);
}

static int signal_tree(pid_t pid, int sig)
{
	pid_t pids[MAX_PIDS];
	size_t n = oci__proc_tree(pid, pids, MAX_PIDS);
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		if (kill(pids[i], sig) != 0 && errno != ESRCH)
			rc = -1;
	}
	return rc;
}

/* ---- create ----------------------------------------------------------- */

/* In the forked child: the session, console and network namespace, then
 * one byte on ready, then the Keep (never returns). */
static void __attribute__((noreturn)) child(const struct args *a, struct oci_spec *sp,
                                            struct oci_workload *w, const char *fifo, int ready)
{
	if (a->console) {
		if (oci__console_setup(a->console) != 0)
			_exit(1);
	} else if (setsid() < 0) {
		oci__warn("setsid: %s", strerror(errno));
	}
	if (oci__netns_enter(sp->netns_path, sp->netns_new) != 0)
		_exit(1);
	if (write(ready, "1", 1) != 1)
		_exit(1);
	close(ready);
	/* the engine's other descriptors (sync pipes, sockets) are not the
	 * workload's */
	close_range(3, ~0u, 0);
	oci__keep_main(sp, w, fifo);
}

static int write_pid_file(const char *path, pid_t pid)
{
	char text[32];

	snprintf(text, sizeof(text), "%d", (int)pid);
	if (oci__write_atomic(path, text) != 0) {
		oci__error("cannot write the pid file %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* After the fork: cgroups, state, pid file. The child is killed on error. */
static int finish_create(const struct args *a, struct oci_spec *sp, struct oci_state *st, pid_t pid,
                         int ready)
{
	char c, created[64];

	if (read(ready, &c, 1) != 1) {
		oci__error("the container process failed to set up (see above)");
		return -1;
	}
	if (sp->cgroups_path &&
	    oci__cgroup_join(sp->cgroups_path, pid, sp->mem_limit, sp->pids_limit) != 0)
		return -1;
	now_rfc3339(created, sizeof(created));
	st->pid = pid;
	st->starttime = oci__proc_starttime(pid);
	st->created = created;
	st->cgroups_path = sp->cgroups_path;
	st->annotations = sp->annotations;
	st->bundle = sp->bundle;
	if (oci__state_save(st) != 0)
		return -1;
	return a->pid_file ? write_pid_file(a->pid_file, pid) : 0;
}

static int create_wasm(const struct args *a, struct oci_spec *sp)
{
	struct oci_state st = {0};
	struct oci_workload w;
	char fifo[PATH_MAX];
	int ready[2] = {-1, -1}, rc = 1;
	pid_t pid;

	if (!valid_id(a->id))
		return 1;
	if (sp->terminal && !a->console) {
		oci__error("process.terminal is set but no --console-socket was given");
		return 1;
	}
	st.id = (char *)a->id;
	st.dir = oci__state_dir(a->root, a->id);
	if (!st.dir || mkdir_p(a->root, 0711) != 0) {
		oci__error("cannot make the state folder %s: %s", a->root, strerror(errno));
		free(st.dir);
		return 1;
	}
	if (mkdir(st.dir, 0700) != 0) {
		oci__error(errno == EEXIST ? "container %s already exists" : "cannot make %s",
		           errno == EEXIST ? a->id : st.dir);
		free(st.dir);
		return 1;
	}
	snprintf(fifo, sizeof(fifo), "%s/%s", st.dir, OCI_FIFO_FILE);
	if (!oci__backend_pick(sp) || oci__workload_load(sp, &w) != 0)
		goto fail;
	if (mkfifo(fifo, 0600) != 0 || pipe2(ready, O_CLOEXEC) != 0) {
		oci__error("cannot make %s: %s", fifo, strerror(errno));
		goto fail_w;
	}
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		child(a, sp, &w, fifo, ready[1]);
	}
	close(ready[1]);
	if (pid < 0)
		oci__error("fork: %s", strerror(errno));
	else if (finish_create(a, sp, &st, pid, ready[0]) == 0)
		rc = 0;
	else
		kill(pid, SIGKILL);
	close(ready[0]);
fail_w:
	oci__workload_free(&w);
fail:
	if (rc) {
		oci__cgroup_remove(sp->cgroups_path);
		remove_state(st.dir);
	}
	free(st.dir);
	return rc;
}

static int cmd_create(const struct args *a)
{
	struct oci_spec sp;
	int rc;

	if (oci__spec_load(a->bundle ? a->bundle : ".", &sp) != 0)
		return 1;
	if (!oci__spec_is_wasm(&sp)) {
		oci__spec_free(&sp);
		if (to_runc(a) < 0)
			oci__error(
			    "%s is not WebAssembly and runc was not found (set ENARX_OCI_RUNC)",
			    a->id);
		return 1;
	}
	rc = create_wasm(a, &sp);
	oci__spec_free(&sp);
	return rc;
}

/* ---- the other verbs -------------------------------------------------- */

static int cmd_start(const struct args *a, struct oci_state *st)
{
	char fifo[PATH_MAX], c;
	struct pollfd p = {.events = POLLIN};
	enum oci_status s = oci__state_status(st);
	int rc = 1;

	if (s != OCI_CREATED) {
		oci__error("cannot start container %s: it is %s, not created", a->id,
		           oci__status_name(s));
		return 1;
	}
	snprintf(fifo, sizeof(fifo), "%s/%s", st->dir, OCI_FIFO_FILE);
	p.fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (p.fd < 0) {
		oci__error("cannot open %s: %s", fifo, strerror(errno));
		return 1;
	}
	/* the container process opens its end and writes one byte; it may
	 * take a moment to get there, and may die instead */
	while (oci__proc_starttime(st->pid) == st->starttime) {
		if (poll(&p, 1, 100) > 0 && read(p.fd, &c, 1) == 1) {
			rc = 0;
			break;
		}
	}
	close(p.fd);
	unlink(fifo);
	if (rc)
		oci__error("container %s ended before it started", a->id);
	return rc;
}

static int cmd_kill(const struct args *a, struct oci_state *st)
{
	const char *name = a->nrest ? a->rest[0] : "TERM";
	int sig = oci__signal_parse(name);

	if (sig < 0) {
		oci__error("kill: unknown signal '%s'", name);
		return 2;
	}
	if (oci__state_status(st) == OCI_STOPPED) {
		oci__error("container not running");
		return 1;
	}
	if (a->all ? signal_tree(st->pid, sig) : kill(st->pid, sig)) {
		oci__error("kill %s: %s", a->id, strerror(errno));
		return 1;
	}
	return 0;
}

static int cmd_delete(const struct args *a, struct oci_state *st)
{
	enum oci_status s = oci__state_status(st);

	if (s != OCI_STOPPED && s != OCI_CREATED && !a->force) {
		oci__error("cannot delete container %s that is not stopped: %s", a->id,
		           oci__status_name(s));
		return 1;
	}
	if (s != OCI_STOPPED) {
		signal_tree(st->pid, SIGCONT);
		signal_tree(st->pid, SIGKILL);
		for (int i = 0; i < 500 && oci__proc_starttime(st->pid) == st->starttime; i++)
			usleep(10000);
	}
	oci__cgroup_remove(st->cgroups_path);
	remove_state(st->dir);
	return 0;
}

static int cmd_state(const struct args *a, struct oci_state *st)
{
	enum oci_status s = oci__state_status(st);
	json_t *ann = json_loads(st->annotations, 0, NULL);
	json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:o}", "ociVersion", OCI_VERSION, "id",
	                      st->id, "status", oci__status_name(s), "pid",
	                      (json_int_t)(s == OCI_STOPPED ? 0 : st->pid), "bundle", st->bundle,
	                      "created", st->created ? st->created : "", "owner", "", "annotations",
	                      ann ? ann : json_object());
	char *text = o ? json_dumps(o, JSON_INDENT(2)) : NULL;

	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(o);
	return text ? 0 : 1;
}

static int cmd_ps(const struct args *a, struct oci_state *st)
{
	pid_t pids[MAX_PIDS];
	size_t n = 0;
	int json = !a->format || strcmp(a->format, "json") == 0;

	if (a->format && !json && strcmp(a->format, "table") != 0) {
		oci__error("ps: unknown format '%s' (json or table)", a->format);
		return 2;
	}
	if (oci__state_status(st) != OCI_STOPPED)
		n = oci__proc_tree(st->pid, pids, MAX_PIDS);
	printf(json ? "[" : "PID\n");
	for (size_t i = 0; i < n; i++)
		printf(json ? "%s%d" : "%s%d\n", json && i ? "," : "", (int)pids[i]);
	printf(json ? "]\n" : "");
	return 0;
}

static int cmd_pause(const struct args *a, struct oci_state *st, int pause)
{
	enum oci_status s = oci__state_status(st);

	if (s != (pause ? OCI_RUNNING : OCI_PAUSED)) {
		oci__error("cannot %s container %s: it is %s", pause ? "pause" : "resume", a->id,
		           oci__status_name(s));
		return 1;
	}
	if (signal_tree(st->pid, pause ? SIGSTOP : SIGCONT) != 0) {
		oci__error("cannot signal container %s: %s", a->id, strerror(errno));
		return 1;
	}
	st->paused = pause;
	return oci__state_save(st) ? 1 : 0;
}

static int cmd_exec(const struct args *a, struct oci_state *st)
{
	oci__error("exec is not supported: container %s is a Keep running one WebAssembly "
	           "workload; there is no process to exec into it",
	           a->id);
	return 1;
}

static int usage(void)
{
	fputs("Usage: enarx-oci [--root DIR] [--log FILE] [--log-format json|text] COMMAND ID\n"
	      "A runc-compatible OCI runtime that runs wasm32-wasi images in Keeps\n"
	      "(docs/orchestration.md); anything else is handed to runc.\n\n"
	      "Commands:\n"
	      "  create --bundle DIR [--pid-file FILE] [--console-socket SOCK] ID\n"
	      "  start ID\n"
	      "  kill [--all] ID [SIGNAL]\n"
	      "  delete [--force] ID\n"
	      "  state ID\n"
	      "  ps [--format json|table] ID\n"
	      "  pause ID | resume ID\n"
	      "  exec ...  (refused for Keeps)\n",
	      stdout);
	return 0;
}

/* The verbs that act on a container this runtime holds. */
static int dispatch(const struct args *a)
{
	struct oci_state st;
	int rc;

	if (!valid_id(a->id))
		return 1;
	if (!oci__state_exists(a->root, a->id)) {
		if (to_runc(a) == 0)
			return 1; /* not reached */
		if (strcmp(a->verb, "delete") == 0 && a->force)
			return 0;
		oci__error("container %s does not exist", a->id);
		return 1;
	}
	if (oci__state_load(a->root, a->id, &st) != 0)
		return 1;
	if (strcmp(a->verb, "start") == 0)
		rc = cmd_start(a, &st);
	else if (strcmp(a->verb, "kill") == 0)
		rc = cmd_kill(a, &st);
	else if (strcmp(a->verb, "delete") == 0)
		rc = cmd_delete(a, &st);
	else if (strcmp(a->verb, "state") == 0)
		rc = cmd_state(a, &st);
	else if (strcmp(a->verb, "ps") == 0)
		rc = cmd_ps(a, &st);
	else if (strcmp(a->verb, "pause") == 0 || strcmp(a->verb, "resume") == 0)
		rc = cmd_pause(a, &st, strcmp(a->verb, "pause") == 0);
	else
		rc = cmd_exec(a, &st);
	oci__state_free(&st);
	return rc;
}

static const char *const verbs[] = {"create", "start", "kill",   "delete", "state",
                                    "ps",     "pause", "resume", "exec",   NULL};

static int known_verb(const char *v)
{
	for (size_t i = 0; verbs[i]; i++) {
		if (strcmp(verbs[i], v) == 0)
			return 1;
	}
	return 0;
}

int oci_main(int argc, char **argv)
{
	struct args a = {.argv = argv, .argc = argc, .root = OCI_DEFAULT_ROOT};
	int i = 1;

	for (; i < argc; i++) {
		if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
			printf("enarx-oci version %s\nspec: %s\n", ENARX_VERSION, OCI_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return usage();
	}
	i = parse_flags(global_flags, argc, argv, 1, &a, "enarx-oci");
	if (i < 0)
		return 2;
	oci__log_open(log_file, !log_format || strcmp(log_format, "text") != 0);
	if (i >= argc) {
		oci__error("missing command (create, start, kill, delete, state, ps, ...)");
		return 2;
	}
	a.verb = argv[i];
	if (!known_verb(a.verb)) {
		oci__error("command '%s' is not supported by enarx-oci", a.verb);
		return 2;
	}
	i = parse_flags(verb_flags, argc, argv, i + 1, &a, a.verb);
	if (i < 0)
		return 2;
	if (i >= argc) {
		oci__error("%s: missing container ID", a.verb);
		return 2;
	}
	a.id = argv[i++];
	/* exec's process arguments follow its flags; runc takes them as is */
	for (; i < argc && a.nrest < 4; i++)
		a.rest[a.nrest++] = argv[i];
	if (strcmp(a.verb, "create") == 0)
		return cmd_create(&a);
	return dispatch(&a);
}
