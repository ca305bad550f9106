/* SPDX-License-Identifier: Apache-2.0 */
/* The executor's one JSON need: a string member of a top-level object in
 * Steward's answers ({"nonce": ...}, {"sealed": ...}, a problem's "check"
 * and "detail"). The Keep links no JSON library; this reader is for
 * untrusted bytes (the host relays them): it checks the whole object's
 * syntax, nesting at most 32 deep, and never reads past len (fuzz target
 * tests/fuzz/exec/fuzz_jsonfield.c). */
#ifndef ENARX_EXEC_JSONFIELD_H
#define ENARX_EXEC_JSONFIELD_H

#include <stddef.h>

/* Copies the unescaped value of the string member key of the object in
 * s[0..len) into out (NUL-terminated; \uXXXX outside ASCII becomes '?').
 * Returns 0, ENARX_E_NOTFOUND (no such member, or not a string),
 * ENARX_E_MALFORMED (not one JSON object) or ENARX_E_OVERFLOW (the value
 * does not fit in cap). A repeated key: the first wins. */
int jsonf_string(const char *s, size_t len, const char *key, char *out, size_t cap);

#endif
