/* SPDX-License-Identifier: Apache-2.0 */
/* Logging: one formatted line per call, written with a single write(2) so
 * lines from several processes do not interleave. */
#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"

static const char *const level_names[] = {"error", "warn", "info", "debug", "trace"};
static int current = -1;

int log_parse_level(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return ENARX_E_INVAL;
}

void log_set_level(enum log_level level)
{
	current = (int)level;
}

enum log_level log_get_level(void)
{
	if (current < 0) {
		enum log_level lvl = LOG_WARN;
		const char *env = getenv("ENARX_LOG");

		if (env && log_parse_level(env, &lvl) != 0)
			lvl = LOG_WARN;
		current = (int)lvl;
	}
	return (enum log_level)current;
}

void log_write(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if ((int)level > (int)log_get_level())
		return;
	n = snprintf(line, sizeof(line), "enarx: %s: ", level_names[level]);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
