/* SPDX-License-Identifier: Apache-2.0 */
/* See attest_opts.h. */
#include "cli/attest_opts.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "attest/attest_int.h" /* attest_parse_time */
#include "cli/cli.h"
#include "lib/buf.h"
#include "lib/file.h"

#define POLICY_MAX (1u << 20)

const char *cli_parse_at(const char *s, void *value)
{
	char buf[64];

	if (strlen(s) == 10)
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
	else
		snprintf(buf, sizeof(buf), "%s", s);
	return attest_parse_time(buf, value) ? CLI_AT_WANT : NULL;
}

int cli_load_policy(const char *who, const char *path, int dflt, enarx_policy **out)
{
	char err[PATH_MAX + 64];
	struct buf b = {0};

	*out = NULL;
	if (!path) {
		*out = dflt ? enarx_policy_default() : NULL;
		return dflt && !*out ? -1 : 0;
	}
	if (file_read_all(path, POLICY_MAX, &b, err, sizeof(err)) != 0) {
		cli_error("%s: %s", who, err);
		return -1;
	}
	*out = enarx_policy_parse(b.data ? (const char *)b.data : "", b.len, err, sizeof(err));
	buf_free(&b, 0);
	if (!*out) {
		cli_error("%s: policy %s: %s", who, path, err);
		return -1;
	}
	return 0;
}
