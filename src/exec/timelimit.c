/* SPDX-License-Identifier: Apache-2.0 */
/* The executor's wall-time and CPU-time timers (timelimit.h). The handlers
 * only record which limit fired and set the store's interrupt flag (an
 * atomic store, async-signal-safe); the engine checks it on every loop back
 * edge and function entry, and a blocking WASI call returns EINTR (the
 * handlers are installed without SA_RESTART). */
#include "exec/timelimit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "lib/log.h"

static ewasm_store *volatile watched;
static volatile sig_atomic_t fired; /* enum keep_limit_kind */

static void on_timer(int sig)
{
	ewasm_store *st = watched;

	if (!fired)
		fired = sig == SIGALRM ? KEEP_LIMIT_WALL : KEEP_LIMIT_CPU;
	if (st)
		ewasm_store_interrupt(st);
}

static int arm(int which, int sig, uint64_t ms)
{
	struct itimerval it;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_timer;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) != 0) {
		log_warn("exec: time limits: sigaction: %s", strerror(errno));
		return -1;
	}
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = (time_t)(ms / 1000);
	it.it_value.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	/* past the limit, again every 100 ms: a workload in a WASI call that
	 * retried after EINTR is interrupted once it is back */
	it.it_interval.tv_usec = 100000;
	if (setitimer(which, &it, NULL) == 0)
		return 0;
	if (errno == ENOSYS) {
		log_debug("exec: no interval timers in this Keep: the host enforces the time "
		          "limits");
		return 1;
	}
	log_warn("exec: time limits: setitimer: %s", strerror(errno));
	return -1;
}

int exec_time_limits_arm(const struct keep_limits *l)
{
	int rc = 0;

	fired = 0;
	if (l->wall_ms)
		rc = arm(ITIMER_REAL, SIGALRM, l->wall_ms);
	if (rc == 0 && l->cpu_ms)
		rc = arm(ITIMER_PROF, SIGPROF, l->cpu_ms);
	/* nil's RLIMIT_CPU sends SIGXCPU a second past cpu_ms: the same */
	if (rc == 0 && l->cpu_ms) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_timer;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGXCPU, &sa, NULL);
	}
	return rc;
}

void exec_time_limits_watch(ewasm_store *st)
{
	watched = st;
	if (st && fired)
		ewasm_store_interrupt(st);
}

void exec_time_limits_disarm(void)
{
	static const struct itimerval zero;

	setitimer(ITIMER_REAL, &zero, NULL);
	setitimer(ITIMER_PROF, &zero, NULL);
	watched = NULL;
}

int exec_time_limit_hit(const struct keep_limits *l, char *msg, size_t n)
{
	int k = fired;
	uint64_t ms = k == KEEP_LIMIT_WALL ? l->wall_ms : l->cpu_ms;

	if (k)
		snprintf(msg, n, "%s time limit %llu.%03llu s reached",
		         k == KEEP_LIMIT_WALL ? "wall" : "CPU", (unsigned long long)(ms / 1000),
		         (unsigned long long)(ms % 1000));
	return k;
}
