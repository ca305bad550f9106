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

void ts__forget(int fd)
{
	struct ts_sock *s;

	if (fd < 0 || (size_t)fd >= table_len || !atomic_load(&table[fd]))
		return;
	s = ts__take(fd);
	ts__sock_free(s); /* the fd itself is not ours to close any more */
}

struct ts_sock *ts__get_gen(int fd, unsigned long *gen)
{
	for (;;) {
		struct ts_sock *s = ts__get(fd);

		if (!s)
			return NULL;
		*gen = atomic_load(&s->gen);
		if (ts__get(fd) == s)
			return s; /* gen belongs to the socket now at fd */
	}
}

int ts__lock(struct ts_sock *s, unsigned long gen)
{
	pthread_mutex_lock(&s->lock);
	if (s->closed || atomic_load(&s->gen) != gen) {
		pthread_mutex_unlock(&s->lock);
		errno = EBADF;
		return -1;
	}
	return 0;
}

static struct ts_sock *free_list;
static pthread_mutex_t free_lock = PTHREAD_MUTEX_INITIALIZER;

static struct ts_sock *sock_alloc(void)
{
	struct ts_sock *s;

	pthread_mutex_lock(&free_lock);
	s = free_list;
	if (s)
		free_list = s->next_free;
	pthread_mutex_unlock(&free_lock);
	if (s)
		return s;
	s = xcalloc(1, sizeof(*s));
	if (s && pthread_mutex_init(&s->lock, NULL) != 0) {
		xfree(s);
		s = NULL;
	}
	return s;
}

struct ts_sock *ts__sock_new(int fd, int domain, int type, struct ts_conf *conf)
{
	struct ts_sock *s = sock_alloc();

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_lock(&s->lock);
	atomic_fetch_add(&s->gen, 1);
	s->closed = false;
	s->next_free = NULL;
	s->fd = fd;
	s->domain = domain;
	s->type = type;
	s->server = false;
	s->wr_shut = false;
	s->state = TS_NEW;
	s->want = 0;
	s->conf = conf;
	s->ssl = NULL;
	s->err_errno = 0;
	s->err[0] = s->peer[0] = s->peer_host[0] = '\0';
	pthread_mutex_unlock(&s->lock);
	return s;
}

void ts__sock_free(struct ts_sock *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	SSL_free(s->ssl); /* OpenSSL cleanses its own key schedule and secrets */
	s->ssl = NULL;
	ts__conf_unref(s->conf); /* wipes PSK and session secrets */
	s->conf = NULL;
	s->closed = true;
	atomic_fetch_add(&s->gen, 1);
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_lock(&free_lock);
	s->next_free = free_list;
	free_list = s;
	pthread_mutex_unlock(&free_lock);
}
