/* SPDX-License-Identifier: Apache-2.0 */
/* The descriptor table: TLS state keyed by the kernel fd number.  A flat
 * array of atomic pointers sized from RLIMIT_NOFILE, so the hot path (is this
 * fd TLS?) is one bounds check and one load, with no lock.  Entries are
 * installed after socket()/accept() and removed before the real close(), so
 * a number the kernel hands out again never meets stale state. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "lib/alloc.h"
#include "tlssock/internal.h"

#define TABLE_MAX (1u << 20)

static _Atomic(struct ts_sock *) *table;
static size_t table_len;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void table_init(void)
{
	struct rlimit rl;
	size_t n = 65536;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY && rl.rlim_max > n)
		n = rl.rlim_max;
	if (n > TABLE_MAX)
		n = TABLE_MAX;
	/* calloc'd pages are only touched for fds that get used. */
	table = calloc(n, sizeof(*table));
	table_len = table ? n : 0;
}

struct ts_sock *ts__get(int fd)
{
	pthread_once(&once, table_init);
	if (fd < 0 || (size_t)fd >= table_len)
		return NULL;
	return atomic_load_explicit(&table[fd], memory_order_acquire);
}

int ts__put(struct ts_sock *s)
{
	pthread_once(&once, table_init);
	if (s->fd < 0 || (size_t)s->fd >= table_len) {
		errno = EMFILE;
		return -1;
	}
	atomic_store_explicit(&table[s->fd], s, memory_order_release);
	return 0;
}

struct ts_sock *ts__take(int fd)
{
	if (fd < 0 || (size_t)fd >= table_len || !table)
		return NULL;
	return atomic_exchange(&table[fd], NULL);
}

struct ts_sock *ts__sock_new(int fd, int domain, int type, struct ts_conf *conf)
{
	struct ts_sock *s = xcalloc(1, sizeof(*s));

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		xfree(s);
		errno = ENOMEM;
		return NULL;
	}
	s->fd = fd;
	s->domain = domain;
	s->type = type;
	s->conf = conf;
	return s;
}

void ts__sock_free(struct ts_sock *s)
{
	if (!s)
		return;
	SSL_free(s->ssl); /* OpenSSL cleanses its own key schedule and secrets */
	ts__conf_unref(s->conf);
	pthread_mutex_destroy(&s->lock);
	ts__wipe(s, sizeof(*s));
	xfree(s);
}
