/* SPDX-License-Identifier: Apache-2.0 */
/* The nil backend's process sandbox (docs/security.md, "nil sandbox"): the
 * namespaces a Keep process is cloned into, the empty root holding only its
 * preopened directories, dropped capabilities, a parent-death guard with no
 * window, and the error pipe through which a child that cannot start says
 * why. Internal to src/backend: nil.c plans in the parent, clones, and calls
 * the child-side steps between clone and exec. */
#ifndef ENARX_BACKEND_NIL_SANDBOX_H
#define ENARX_BACKEND_NIL_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct keep_launch;
struct platform_backend;

/* Stages of the child's start-up, each a message for the parent. */
enum nil_stage {
	NIL_STAGE_PARENT,  /* the parent died before the guard was armed */
	NIL_STAGE_CGROUP,  /* joining the Keep's cgroups */
	NIL_STAGE_USERNS,  /* writing the user namespace's id maps */
	NIL_STAGE_MOUNTNS, /* making the mount namespace private */
	NIL_STAGE_ROOT,    /* building the empty root (non-fatal) */
	NIL_STAGE_FDS,     /* moving descriptors to 3 and 4 */
	NIL_STAGE_RLIMIT,  /* the Keep's RLIMIT_DATA and RLIMIT_NOFILE */
	NIL_STAGE_CAPS,    /* dropping capabilities */
	NIL_STAGE_UID,     /* becoming ENARX_KEEP_UID */
	NIL_STAGE_NNP,     /* PR_SET_NO_NEW_PRIVS */
	NIL_STAGE_SECCOMP, /* installing the seccomp filter */
	NIL_STAGE_EXEC,    /* execveat of the executor */
};

/* Everything the child needs, prepared by the parent so that the child
 * only makes async-signal-safe calls. */
struct nil_sandbox {
	int flags; /* CLONE_NEW* flags the Keep is cloned with */
	uid_t uid; /* outer ids, for a user namespace's maps */
	gid_t gid;
	pid_t ppid;     /* the parent, recorded before clone */
	int errfd;      /* write end of the error pipe (CLOEXEC, above fd 4) */
	int readfd;     /* parent: read end */
	bool root;      /* build an empty root and pivot into it */
	char *mnt;      /* where the new root's tmpfs is mounted first */
	char *cwd;      /* the parent's working directory, recreated inside */
	char **targets; /* ndirs absolute directory paths to bind */
	int *ro;        /* per target: 1 read-only, 0 writable, -1 bound already */
	size_t ndirs;
	/* root only: the Keep becomes this uid and gid (no groups) before it
	 * starts the executor, once its root is built */
	bool drop_uid;
	uid_t keep_uid;
	gid_t keep_gid;
	char *envp[1]; /* the executor's environment: empty */
};

/* Parent: plans the sandbox for launch l (namespaces this host allows, the
 * empty root when the executor is static) and opens the error pipe. Returns
 * 0, or a negative ENARX_E_* (logged). Release with nil_sandbox_release(). */
int nil_sandbox_prepare(struct nil_sandbox *sb, const struct keep_launch *l, bool static_exec);

/* Parent: clones the Keep process into the planned namespaces. Returns the
 * child's pid in the parent and 0 in the child, or -1 with errno. */
pid_t nil_sandbox_clone(struct nil_sandbox *sb);

/* Child, first thing: arms the parent-death signal, then exits if the parent
 * already died; then enters the user namespace and builds the empty root. */
void nil_sandbox_enter(const struct nil_sandbox *sb);

/* Child, after the descriptors are in place: drops every capability and the
 * bounding set, and becomes keep_uid when drop_uid (re-arming the
 * parent-death signal, which a change of uid clears, and checking the
 * parent again). */
void nil_sandbox_drop_caps(const struct nil_sandbox *sb);

/* Child: closes every descriptor above `last` except the error pipe. */
void nil_sandbox_close_from(const struct nil_sandbox *sb, int last);

/* Child: reports errno at stage to the parent and exits with 126. */
void nil_sandbox_fail(const struct nil_sandbox *sb, enum nil_stage stage) __attribute__((noreturn));

/* Parent, after clone: waits until the child has exec'd the executor or
 * failed. Returns 0 if it started; 1 if the empty root could not be built
 * (logged once: reap the child and start again without it); or ENARX_E_IO
 * after logging "cannot start the Keep: <what>" (reap the child). */
int nil_sandbox_started(struct nil_sandbox *sb);

/* Parent: frees what prepare() made. Accepts a zeroed struct. */
void nil_sandbox_release(struct nil_sandbox *sb);

/* platform info: adds one line per sandbox feature this host gives (all
 * informational: nil stays usable whatever they say). */
void nil_sandbox_probe(struct platform_backend *b);

#endif
