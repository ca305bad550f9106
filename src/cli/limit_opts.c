/* SPDX-License-Identifier: Apache-2.0 */
/* The Keep limit options (limit_opts.h). */
#include "cli/limit_opts.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "config/config.h"
#include "keep/limits.h"

/* --memory SIZE */
const char *cli_opt_limit_memory(const char *arg, void *value)
{
	uint64_t v = config_parse_size(arg);

	if (v < KEEP_LIMIT_MEMORY_MIN || v > KEEP_LIMIT_MEMORY_MAX)
		return "a size from 64K to 4G, such as 256M";
	*(uint64_t *)value = v;
	return NULL;
}

/* --max-output SIZE */
const char *cli_opt_limit_output(const char *arg, void *value)
{
	uint64_t v = config_parse_size(arg);

	if (v < 1 || v > KEEP_LIMIT_OUTPUT_MAX)
		return "a positive size, such as 10M";
	*(uint64_t *)value = v;
	return NULL;
}

/* --fuel N */
const char *cli_opt_limit_fuel(const char *arg, void *value)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || *arg == '-' || v == 0 || v > INT64_MAX)
		return "a positive integer";
	*(uint64_t *)value = v;
	return NULL;
}

/* --timeout DURATION */
const char *cli_opt_limit_timeout(const char *arg, void *value)
{
	uint64_t v = config_parse_duration_ms(arg);

	if (!v)
		return "a duration up to 30 days: seconds, or 30s, 500ms, 5m, 2h";
	*(uint64_t *)value = v;
	return NULL;
}

/* --cpu-time DURATION */
const char *cli_opt_limit_cpu_time(const char *arg, void *value)
{
	uint64_t v = config_parse_duration_ms(arg);

	if (!v || v > KEEP_LIMIT_CPU_MS_MAX)
		return "a duration up to 30 days: seconds, or 500ms, 30s, 5m";
	*(uint64_t *)value = v;
	return NULL;
}

/* --max-fds N */
const char *cli_opt_limit_fds(const char *arg, void *value)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || v < KEEP_LIMIT_FDS_MIN || v > KEEP_LIMIT_FDS_MAX)
		return "a number of descriptors from 3 to 4096";
	*(uint32_t *)value = (uint32_t)v;
	return NULL;
}
