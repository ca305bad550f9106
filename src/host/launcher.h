/* SPDX-License-Identifier: Apache-2.0 */
/* The host agent's Keep launcher process (launcher.c), started by the
 * network process with chan_fork() before it reads any network input. */
#ifndef ENARX_HOST_LAUNCHER_H
#define ENARX_HOST_LAUNCHER_H

#include "http/chan.h"

struct host_launcher_conf {
	unsigned max_pending; /* Keeps the launcher tracks at most (fail closed past it) */
	int (*sandbox)(void); /* applied once the loop is set up, or NULL */
};

/* chan_child_fn: runs the launcher until the channel closes; arg is a
 * struct host_launcher_conf. Returns the process exit status. */
int host_launcher_main(struct chan *c, void *arg);

#endif
