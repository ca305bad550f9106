/* SPDX-License-Identifier: Apache-2.0 */
/* The Keep limit options (keep/limits.h) as one set of OPT_CUSTOM parsers,
 * so `enarx run`, `enarx keep run|create` and `enarx host serve` read
 * --memory, --fuel, --timeout, --max-fds and --max-output the same way.
 * Each returns NULL, or what the value should have been. */
#ifndef ENARX_CLI_LIMIT_OPTS_H
#define ENARX_CLI_LIMIT_OPTS_H

/* --memory SIZE (uint64_t): 64K..4G, such as 256M */
const char *cli_opt_limit_memory(const char *arg, void *value);
/* --max-output SIZE (uint64_t): positive, such as 10M */
const char *cli_opt_limit_output(const char *arg, void *value);
/* --fuel N (uint64_t): positive */
const char *cli_opt_limit_fuel(const char *arg, void *value);
/* --timeout DURATION (uint64_t ms): up to 30 days, 30s, 500ms, 5m, 2h */
const char *cli_opt_limit_timeout(const char *arg, void *value);
/* --cpu-time DURATION (uint64_t ms): up to KEEP_LIMIT_CPU_MS_MAX */
const char *cli_opt_limit_cpu_time(const char *arg, void *value);
/* --max-fds N (uint32_t): 3..4096 */
const char *cli_opt_limit_fds(const char *arg, void *value);

#endif
