/* SPDX-License-Identifier: Apache-2.0 */
/* Options the attestation commands share (`enarx attest verify`, `enarx
 * steward serve` and `policy check`, `enarx deploy`): the verification
 * time --at and the attestation policy --policy. */
#ifndef ENARX_CLI_ATTEST_OPTS_H
#define ENARX_CLI_ATTEST_OPTS_H

#include <enarx/attest.h>

#define CLI_AT_WANT "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"

/* OPT_CUSTOM parser of --at TIME into a time_t (YYYY-MM-DD is midnight
 * UTC). NULL, or what was expected. */
const char *cli_parse_at(const char *s, void *value);

/* The policy in path (attestation TOML, at most 1 MiB); without a path the
 * default policy when dflt is set, else NULL. Returns 0 with *out (free
 * with enarx_policy_free), or -1 after printing "who: policy PATH: why". */
int cli_load_policy(const char *who, const char *path, int dflt, enarx_policy **out);

#endif
