/* SPDX-License-Identifier: Apache-2.0 */
/* The runtime's state: one folder per container under --root, holding
 * enarx.json (written atomically) and, until `start`, the exec FIFO the
 * container process waits on. The status is derived, never stored: the
 * container process alive (same start time, not a zombie) and the FIFO
 * present is "created", alive without it "running" (or "paused"), gone
 * "stopped". Also the process tree and signal names the verbs need. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "oci/oci_int.h"

char *oci__state_dir(const char *root, const char *id)
{
	size_t n = strlen(root) + strlen(id) + 2;
	char *d = malloc(n);

	if (d)
		snprintf(d, n, "%s/%s", root, id);
	return d;
}

int oci__state_exists(const char *root, const char *id)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s/%s", root, id, OCI_STATE_FILE);
	return access(p, F_OK) == 0;
}

int oci__write_atomic(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text);
	int fd, rc = -1;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid()) >= sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (write(fd, text, len) == (ssize_t)len && fsync(fd) == 0)
		rc = 0;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

static char *dup_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? strdup(s) : NULL;
}

int oci__state_load(const char *root, const char *id, struct oci_state *st)
{
	char p[PATH_MAX];
	json_error_t e;
	json_t *o, *ann;

	memset(st, 0, sizeof(*st));
	snprintf(p, sizeof(p), "%s/%s/%s", root, id, OCI_STATE_FILE);
	o = json_load_file(p, 0, &e);
	if (!o) {
		oci__error("container %s: cannot read %s: %s", id, p, e.text);
		return -1;
	}
	st->dir = oci__state_dir(root, id);
	st->id = strdup(id);
	st->bundle = dup_str(o, "bundle");
	st->created = dup_str(o, "created");
	st->cgroups_path = dup_str(o, "cgroupsPath");
	st->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	st->starttime = (uint64_t)json_integer_value(json_object_get(o, "starttime"));
	st->paused = json_is_true(json_object_get(o, "paused"));
	ann = json_object_get(o, "annotations");
	st->annotations = json_is_object(ann) ? json_dumps(ann, JSON_COMPACT) : strdup("{}");
	json_decref(o);
	return st->dir && st->id && st->bundle && st->annotations ? 0 : -1;
}

int oci__state_save(const struct oci_state *st)
{
	char p[PATH_MAX];
	json_t *ann = json_loads(st->annotations ? st->annotations : "{}", 0, NULL);
	json_t *o =
	    json_pack("{s:s,s:s,s:I,s:I,s:s,s:s?,s:b,s:o}", "id", st->id, "bundle", st->bundle,
	              "pid", (json_int_t)st->pid, "starttime", (json_int_t)st->starttime, "created",
	              st->created, "cgroupsPath", st->cgroups_path, "paused", st->paused,
	              "annotations", ann ? ann : json_object());
	char *text = o ? json_dumps(o, JSON_INDENT(1)) : NULL;
	int rc = -1;

	snprintf(p, sizeof(p), "%s/%s", st->dir, OCI_STATE_FILE);
	if (text)
		rc = oci__write_atomic(p, text);
	if (rc)
		oci__error("cannot write %s: %s", p, strerror(errno));
	free(text);
	json_decref(o);
	return rc;
}

void oci__state_free(struct oci_state *st)
{
	free(st->dir);
	free(st->id);
	free(st->bundle);
	free(st->created);
	free(st->cgroups_path);
	free(st->annotations);
	memset(st, 0, sizeof(*st));
}

/* /proc/pid/stat: the state letter and field 22, after the last ')'. */
uint64_t oci__proc_starttime(pid_t pid)
{
	char p[64], buf[1024], state;
	unsigned long long start = 0;
	const char *rp;
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	rp = strrchr(buf, ')');
	if (!rp || sscanf(rp + 2,
	                  "%c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
	                  "%*s %*s %*s %llu",
	                  &state, &start) != 2)
		return 0;
	return state == 'Z' || state == 'X' ? 0 : (uint64_t)start;
}

enum oci_status oci__state_status(const struct oci_state *st)
{
	char fifo[PATH_MAX];

	if (st->pid <= 0 || oci__proc_starttime(st->pid) != st->starttime)
		return OCI_STOPPED;
	snprintf(fifo, sizeof(fifo), "%s/%s", st->dir, OCI_FIFO_FILE);
	if (access(fifo, F_OK) == 0)
		return OCI_CREATED;
	return st->paused ? OCI_PAUSED : OCI_RUNNING;
}

const char *oci__status_name(enum oci_status s)
{
	static const char *const names[] = {"created", "running", "paused", "stopped"};

	return names[s];
}

/* Children of every thread of pid (/proc/pid/task/TID/children). */
static size_t children(pid_t pid, pid_t *out, size_t max)
{
	char p[64], buf[4096];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(p, sizeof(p), "/proc/%d/task", (int)pid);
	d = opendir(p);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char cp[PATH_MAX];
		ssize_t r;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(cp, sizeof(cp), "/proc/%d/task/%s/children", (int)pid, de->d_name);
		fd = open(cp, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[r > 0 ? r : 0] = 0;
		for (char *s = buf, *e; *s && n < max; s = e) {
			long v = strtol(s, &e, 10);

			if (e == s)
				break;
			out[n++] = (pid_t)v;
		}
	}
	closedir(d);
	return n;
}

size_t oci__proc_tree(pid_t pid, pid_t *out, size_t max)
{
	size_t n = 0, i;

	if (max == 0)
		return 0;
	out[n++] = pid;
	for (i = 0; i < n && n < max; i++)
		n += children(out[i], out + n, max - n);
	return n;
}

static const struct {
	const char *name;
	int num;
} signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},     {"IOT", SIGIOT},   {"BUS", SIGBUS},
    {"FPE", SIGFPE},   {"KILL", SIGKILL},     {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},     {"ALRM", SIGALRM}, {"TERM", SIGTERM},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},     {"PWR", SIGPWR},       {"SYS", SIGSYS},
};

int oci__signal_parse(const char *s)
{
	char *end;
	long v;

	if (*s >= '0' && *s <= '9') {
		v = strtol(s, &end, 10);
		return *end || v <= 0 || v >= NSIG ? -1 : (int)v;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		if (strcasecmp(s, signals[i].name) == 0)
			return signals[i].num;
	}
	return -1;
}
