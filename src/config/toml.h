/* SPDX-License-Identifier: Apache-2.0 */
/* A bounded reader for the subset of TOML that configuration files here use:
 * comments, [table] and [[array-of-tables]] headers, bare or quoted keys,
 * basic and literal strings, decimal integers, booleans and one-level arrays
 * of those scalars (which may span lines). Anything else (inline tables,
 * dotted keys, dates, floats, multi-line strings) is refused with an error
 * that names the line. The reader yields one event at a time and allocates
 * only for the event it returns. */
#ifndef ENARX_CONFIG_TOML_H
#define ENARX_CONFIG_TOML_H

#include <stddef.h>
#include <stdint.h>

enum toml_type { TOML_STRING, TOML_INT, TOML_BOOL, TOML_ARRAY };

struct toml_value {
	enum toml_type type;
	char *str;                /* TOML_STRING: NUL-terminated, owned */
	int64_t i;                /* TOML_INT */
	int b;                    /* TOML_BOOL */
	struct toml_value *items; /* TOML_ARRAY: owned */
	size_t nitems;
};

enum toml_event_kind {
	TOML_EV_END,         /* no more input */
	TOML_EV_TABLE,       /* [name] */
	TOML_EV_ARRAY_TABLE, /* [[name]] */
	TOML_EV_KEYVAL,      /* key = value */
};

struct toml_event {
	enum toml_event_kind kind;
	unsigned line;           /* 1-based line where the event starts */
	char *key;               /* table name or key; owned */
	struct toml_value value; /* TOML_EV_KEYVAL only */
};

struct toml_reader {
	const char *p, *end; /* borrowed input */
	unsigned line;
	char err[160]; /* last error, "line N: ..." */
};

/* Starts reading len bytes of text (borrowed; must outlive the reader). */
void toml_init(struct toml_reader *r, const char *text, size_t len);

/* Reads the next event into *ev (free it with toml_event_clear()).
 * Returns 0, or ENARX_E_MALFORMED with r->err set, or ENARX_E_NOMEM. */
int toml_next(struct toml_reader *r, struct toml_event *ev);

void toml_event_clear(struct toml_event *ev);
void toml_value_clear(struct toml_value *v);

/* Name of a value type for error messages ("string", "integer", ...). */
const char *toml_type_name(enum toml_type t);

#endif
