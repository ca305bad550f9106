/* SPDX-License-Identifier: Apache-2.0 */
/* Levelled logging to stderr. The level comes from ENARX_LOG
 * (error, warn, info, debug, trace; default warn) or log_set_level(). */
#ifndef ENARX_LIB_LOG_H
#define ENARX_LIB_LOG_H

enum log_level {
	LOG_ERROR = 0,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
	LOG_TRACE,
};

/* Parses a level name; returns 0 and sets *out, or ENARX_E_INVAL. */
int log_parse_level(const char *name, enum log_level *out);

/* Sets the level, overriding ENARX_LOG. */
void log_set_level(enum log_level level);

/* Returns the level in force (reads ENARX_LOG on first use). */
enum log_level log_get_level(void);

/* Writes one line "enarx: <level>: <message>" if level is enabled. */
void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_write(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_write(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                     \
	do {                                               \
		if (log_get_level() >= LOG_DEBUG)          \
			log_write(LOG_DEBUG, __VA_ARGS__); \
	} while (0)
#define log_trace(...)                                     \
	do {                                               \
		if (log_get_level() >= LOG_TRACE)          \
			log_write(LOG_TRACE, __VA_ARGS__); \
	} while (0)

#endif
