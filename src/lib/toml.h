/* SPDX-License-Identifier: Apache-2.0 */
/* The one bounded reader for the TOML subset our files use (Enarx.toml in
 * src/config, attestation policies in src/attest): comments, [table]
 * headers, bare or quoted keys, basic and literal single-line strings,
 * decimal integers, booleans and arrays (which may span lines). A caller
 * switches on the few extensions its format has (ETOML_* flags); anything
 * else (dotted keys, dates, floats, multi-line strings, inline tables) is
 * refused with an error that names the line. Input must be UTF-8 without
 * NUL bytes, at most ETOML_MAX_SIZE bytes. */
#ifndef ENARX_LIB_TOML_H
#define ENARX_LIB_TOML_H

#include <stddef.h>
#include <stdint.h>

#define ETOML_MAX_SIZE (1u << 20) /* both formats are small */
#define ETOML_MAX_KEY 256u        /* bytes of a bare key or a table name */
#define ETOML_MAX_ITEMS 65536u    /* values (array items count) per document */
#define ETOML_MAX_DEPTH 4         /* array nesting with ETOML_NESTED_ARRAYS */
#define ETOML_DOC_MAX_KEYS 4096u  /* keys + tables of an etoml_parse() document */

/* Extensions a format opts into (flags of etoml_init/etoml_parse). */
#define ETOML_ARRAY_TABLES 0x01    /* [[name]] headers (Enarx.toml [[files]]) */
#define ETOML_DOTTED_TABLES 0x02   /* [a.b] headers (policy [snp.min_tcb]) */
#define ETOML_HEX_INTS 0x04        /* 0x1f integers */
#define ETOML_MIXED_ARRAYS 0x08    /* arrays whose items differ in type */
#define ETOML_NESTED_ARRAYS 0x10   /* arrays of arrays, ETOML_MAX_DEPTH deep */
#define ETOML_UNICODE_ESCAPES 0x20 /* \b \f \r \uXXXX \UXXXXXXXX in "strings" */
/* Enarx.toml's wording: a bad value's error names its key
 * ("line 3: key 'port': integer out of range") and a newline inside a
 * string is "unterminated string" (policies: "newline in string"). */
#define ETOML_KEY_IN_ERRORS 0x40

enum etoml_type { ETOML_STRING, ETOML_INT, ETOML_BOOL, ETOML_ARRAY };

struct etoml_value {
	enum etoml_type type;
	char *str;                 /* ETOML_STRING: NUL-terminated, owned */
	int64_t i;                 /* ETOML_INT */
	int b;                     /* ETOML_BOOL */
	struct etoml_value *items; /* ETOML_ARRAY: owned */
	size_t nitems;
};

enum etoml_event_kind {
	ETOML_EV_END,         /* no more input */
	ETOML_EV_TABLE,       /* [name] (dotted names joined with '.') */
	ETOML_EV_ARRAY_TABLE, /* [[name]] */
	ETOML_EV_KEYVAL,      /* key = value */
};

struct etoml_event {
	enum etoml_event_kind kind;
	unsigned line;            /* 1-based line where the event starts */
	char *key;                /* table name or key; owned */
	struct etoml_value value; /* ETOML_EV_KEYVAL only */
};

struct etoml_reader {
	const char *p, *end; /* borrowed input */
	unsigned line, flags;
	size_t items;
	int bad_input; /* too large or a NUL byte: every etoml_next() fails */
	char err[160]; /* last error, "line N: ..." */
};

/* Starts reading len bytes of text (borrowed; must outlive the reader) in
 * the dialect given by flags (ETOML_*). */
void etoml_init(struct etoml_reader *r, const char *text, size_t len, unsigned flags);

/* Reads the next event into *ev (free it with etoml_event_clear()).
 * Returns 0, or ENARX_E_MALFORMED with r->err set, or ENARX_E_NOMEM. */
int etoml_next(struct etoml_reader *r, struct etoml_event *ev);

void etoml_event_clear(struct etoml_event *ev);
void etoml_value_clear(struct etoml_value *v);

/* Name of a value type for error messages ("string", "integer", ...). */
const char *etoml_type_name(enum etoml_type t);

/* The whole document at once, for formats looked up by table and key. */
struct etoml_kv {
	char *table; /* "" for the root, "snp", "measurements.snp", ... */
	char *key;   /* "" for a table header's marker entry */
	struct etoml_value v;
	unsigned line;
};

struct etoml_doc {
	struct etoml_kv *kv;
	size_t n, cap; /* entries used, allocated */
};

/* Parses all of text into doc (one entry per key, plus a marker entry with
 * key "" for each [table] header); refuses a key or table given twice.
 * flags as for etoml_init() except ETOML_ARRAY_TABLES, which a document
 * cannot hold ([[x]] is refused).
 * Returns 0, or ENARX_E_MALFORMED / ENARX_E_NOMEM with "line N: what" in
 * err. doc is empty on error; free it with etoml_doc_free(). */
int etoml_parse(const char *text, size_t len, unsigned flags, struct etoml_doc *doc, char *err,
                size_t errlen);
void etoml_doc_free(struct etoml_doc *doc);

#endif
