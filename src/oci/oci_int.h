/* SPDX-License-Identifier: Apache-2.0 */
/* Internals of the OCI runtime shared by its files: the parsed bundle
 * (spec.c), the state directory (state.c), the host plumbing a container
 * process needs (sys.c: log, cgroups, network namespace, console) and the
 * container process itself (keep.c). */
#ifndef ENARX_OCI_OCI_INT_H
#define ENARX_OCI_OCI_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/buf.h"

/* The state folder when the engine names none (runc's is /run/runc). */
#define OCI_DEFAULT_ROOT "/run/enarx-oci"
/* Our state file inside root/ID: runc keeps state.json there, so a folder
 * that has no such file of ours belongs to runc. */
#define OCI_STATE_FILE "enarx.json"
#define OCI_FIFO_FILE "exec.fifo"
#define OCI_VERSION "1.0.2"
#define OCI_CONFIG_MAX (4u << 20) /* config.json */
#define OCI_WASM_MAX (100u << 20) /* as enarx run */
#define OCI_MAX_DIRS 64           /* bind mounts that become preopens */

/* ---- log (sys.c) ----------------------------------------------------- */

/* --log FILE and --log-format: where errors go besides stderr. */
void oci__log_open(const char *path, int json);
/* 1: print nothing (the fuzz target); errors still count. */
void oci__log_quiet(int quiet);
/* One error: "enarx-oci: msg" on stderr and, with --log, a line
 * {"level":"error","msg":...,"time":...} (or plain text) in the log. */
void oci__error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void oci__warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- the bundle (spec.c) --------------------------------------------- */

struct oci_mount {
	char *dest;   /* guest path */
	char *source; /* host directory */
	int readonly;
};

struct oci_spec {
	char *bundle;  /* absolute bundle folder */
	char *rootfs;  /* absolute root file system */
	int rootfs_ro; /* root.readonly */
	char **args;   /* process.args, nargs of them (args[0]: the module) */
	size_t nargs;
	char **env; /* process.env "K=V", nenv of them */
	size_t nenv;
	char *cwd;                /* process.cwd */
	int terminal;             /* process.terminal */
	struct oci_mount *mounts; /* bind mounts of directories */
	size_t nmounts;
	char *cgroups_path; /* linux.cgroupsPath or NULL */
	char *netns_path;   /* the network namespace to join, or NULL */
	int netns_new;      /* a network namespace of its own (no path) */
	int64_t mem_limit;  /* linux.resources.memory.limit, 0 = none */
	int64_t pids_limit; /* linux.resources.pids.limit, 0 = none */
	char *annotations;  /* the annotations object as JSON text ("{}") */
	char *backend;      /* annotation enarx.backend, or NULL */
	char *engine;       /* annotation enarx.engine, or NULL */
	char *steward_ca;   /* annotation enarx.steward.ca: a PEM file on the
			       node, for sealed packages, or NULL */
	int sandbox;        /* io.kubernetes.cri.container-type=sandbox */
	int wasm_annotated; /* module.wasm.image/variant=compat or
				run.oci.handler=wasm */
};

/* Reads bundle/config.json. Returns 0 or -1 (error logged). */
int oci__spec_load(const char *bundle, struct oci_spec *sp);
/* The same from len bytes of config.json text, for the bundle folder
 * bundle (absolute). Free sp with oci__spec_free() either way. */
int oci__spec_parse(const char *text, size_t len, const char *bundle, struct oci_spec *sp);
void oci__spec_free(struct oci_spec *sp);

/* Is this container WebAssembly? 1 yes, 0 no (hand it to runc); looks at
 * the annotations and the first bytes of process.args[0] in the rootfs. */
int oci__spec_is_wasm(const struct oci_spec *sp);

/* What the container process feeds the Keep: the module (validated),
 * the Enarx.toml made from the image's own (next to the module) and
 * config.json, and the workload's arguments (borrowed from sp). */
struct oci_workload {
	struct buf wasm;
	struct buf toml;
	uint32_t engine;
	int net;               /* listen/connect entries: the Keep keeps our network namespace */
	int sealed;            /* the entrypoint is a Steward-sealed package (package/spkg.h):
		       the Keep fetches its key through the host's HTTP relay */
	struct buf steward_ca; /* the CA the relay trusts for Steward: the
				  annotation's file, else the package's own */
};
int oci__workload_load(const struct oci_spec *sp, struct oci_workload *w);
struct config;
/* The Enarx.toml text the Keep gets, appended to b: the image's config img
 * with config.json's env and directories; *net is set if it has sockets.
 * 0, or -1 (logged) for a refused directory. */
int oci__toml_make(const struct oci_spec *sp, const struct config *img, struct buf *b, int *net);
void oci__workload_free(struct oci_workload *w);

/* ---- state (state.c) ------------------------------------------------- */

enum oci_status { OCI_CREATED, OCI_RUNNING, OCI_PAUSED, OCI_STOPPED };

struct oci_state {
	char *dir; /* root/ID */
	char *id;
	char *bundle;
	pid_t pid;
	uint64_t starttime; /* /proc/pid/stat field 22, against pid reuse */
	char *created;      /* RFC 3339 */
	char *cgroups_path; /* NULL if none */
	char *annotations;  /* JSON object text */
	int paused;
};

/* root/ID as a new string. */
char *oci__state_dir(const char *root, const char *id);
/* 1 if root/ID holds our state, 0 if not. */
int oci__state_exists(const char *root, const char *id);
/* Loads root/ID/enarx.json. Returns 0 or -1 (error logged). */
int oci__state_load(const char *root, const char *id, struct oci_state *st);
/* Writes it atomically (temporary file, rename). 0 or -1. */
int oci__state_save(const struct oci_state *st);
void oci__state_free(struct oci_state *st);
enum oci_status oci__state_status(const struct oci_state *st);
const char *oci__status_name(enum oci_status s);
/* Start time of pid from /proc, 0 if it is gone or a zombie. */
uint64_t oci__proc_starttime(pid_t pid);
/* pid and all its descendants into out[0..max); returns how many. */
size_t oci__proc_tree(pid_t pid, pid_t *out, size_t max);
/* "TERM", "SIGTERM", "15" -> 15; -1 if unknown. */
int oci__signal_parse(const char *s);
/* Writes text to path through a temporary file and rename. 0 or -1. */
int oci__write_atomic(const char *path, const char *text);

/* ---- host plumbing (sys.c) ------------------------------------------- */

/* Moves pid into linux.cgroupsPath in every mounted hierarchy (v1 and v2:
 * hybrid hosts have both), creating the folders, with the memory and pids
 * limits. 0 if at least one hierarchy took it, else -1 (logged). */
int oci__cgroup_join(const char *path, pid_t pid, int64_t mem, int64_t pids);
/* linux.cgroupsPath as a path below each hierarchy's mount: "/a/b" and
 * "a/b" as "/a/b", systemd's "slice:prefix:name" as
 * "/a.slice/a-b.slice/prefix-name.scope". 0, or -1 if it does not fit n. */
int oci__cgroup_rel(const char *path, char *out, size_t n);
/* Removes the container's cgroup folders (best effort). */
void oci__cgroup_remove(const char *path);
/* Joins ns_path, or makes a namespace of its own with loopback up. */
int oci__netns_enter(const char *ns_path, int fresh);
/* Makes a pty, sends its master over the unix socket at sock (SCM_RIGHTS),
 * and makes the slave our controlling terminal and stdio. 0 or -1. */
int oci__console_setup(const char *sock);

/* ---- the container process (keep.c) --------------------------------- */

struct backend;
/* The backend the annotation enarx.backend names, or the host's best;
 * NULL (logged) if it is unknown or cannot run here. */
const struct backend *oci__backend_pick(const struct oci_spec *sp);

/* Runs in the forked container process: waits on fifo for `start`, runs
 * the workload in a Keep and exits with its status (signals as the same
 * signal). Never returns. */
void oci__keep_main(const struct oci_spec *sp, struct oci_workload *w, const char *fifo)
    __attribute__((noreturn));

#endif
