/* SPDX-License-Identifier: Apache-2.0 */
/* Loads the system policy once per process and checks each algorithm name
 * against the linked TLS library, after loading the enarx_pq provider (the
 * shared TLS setup, src/crypto/tls_setup.h) so the post-quantum groups are
 * known.  Names the library does not know are dropped with a warning (so one
 * policy can list a group only some systems have); a list left empty, or a
 * file that does not parse, makes every IPPROTO_TLS socket fail (fail
 * closed). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/tls_setup.h"
#include "lib/log.h"
#include "tlssock/internal.h"
#include <enarx/tlssock.h>

#define DEFAULT_POLICY "/etc/enarx/tlssock.conf"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct ts_policy policy;
static bool policy_ok;
static char policy_err[256];

const char *tlssock_policy_path(void)
{
	const char *p = secure_getenv("ENARX_TLSSOCK_POLICY");

	return p && *p ? p : DEFAULT_POLICY;
}

/* Reads the whole file (bounded) into buf; 0 ok, 1 missing, -1 error. */
static int read_file(const char *path, char *buf, size_t cap, size_t *len)
{
	const struct ts_sys *sys = ts__sys();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;

	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	for (;;) {
		ssize_t r = sys->read(fd, buf + n, cap - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			sys->close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			sys->close(fd);
			errno = EFBIG;
			return -1;
		}
	}
	sys->close(fd);
	*len = n;
	return 0;
}

static void load(void)
{
	static char buf[TS_POLICY_MAX_BYTES + 1];
	const char *path = tlssock_policy_path();
	char why[200];
	size_t len = 0;
	int rc;

	ts_policy_defaults(&policy);
	if (enarx_tls_init() != 0) /* the groups then fall back to classical ones */
		log_warn("tlssock: the enarx_pq provider did not load; no post-quantum groups");
	rc = read_file(path, buf, sizeof(buf), &len);
	if (rc < 0) {
		snprintf(policy_err, sizeof(policy_err), "%s: %s", path,
		         errno == EFBIG ? "file too large" : strerror(errno));
		log_error("tlssock: policy %s", policy_err);
		return;
	}
	if (rc == 0 && ts_policy_parse(&policy, buf, len, why, sizeof(why)) != 0) {
		snprintf(policy_err, sizeof(policy_err), "%s: %s", path, why);
		log_error("tlssock: policy %s", policy_err);
		return;
	}
	if (ts_policy_check_names(&policy, policy_err, sizeof(policy_err)) != 0) {
		log_error("tlssock: policy %s: %s", path, policy_err);
		return;
	}
	policy_ok = true;
}

const struct ts_policy *ts__policy(void)
{
	pthread_once(&once, load);
	return policy_ok ? &policy : NULL;
}

const char *ts__policy_error(void)
{
	pthread_once(&once, load);
	return policy_err;
}

int ts__policy_allows(const struct ts_list *allowed, const char *list, char *bad, size_t badlen)
{
	struct ts_list want;
	char why[128];

	if (ts_list_parse(&want, list, strlen(list), why, sizeof(why)) != 0) {
		snprintf(bad, badlen, "%s", why);
		return -1;
	}
	for (unsigned i = 0; i < want.n; i++) {
		if (!ts_list_has(allowed, want.name[i])) {
			snprintf(bad, badlen, "'%s' is not allowed by the system policy",
			         want.name[i]);
			return -1;
		}
	}
	return 0;
}
