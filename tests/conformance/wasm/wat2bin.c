/* SPDX-License-Identifier: Apache-2.0 */
/*
 * wat2bin: converts a .wat file with the project's text parser (src/wat),
 * for wat_diff.py and by hand.
 *
 * usage: wat2bin IN.wat [OUT.wasm]
 * Exit 0 with OUT written (if given); 1 with "IN:line:col: message" on
 * stderr when the text is malformed; 2 on usage or I/O errors.
 */
#include <stdio.h>
#include <stdlib.h>

#include <enarx/wat.h>

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	ewat_error err;
	uint8_t *bin = NULL;
	size_t len = 0, blen = 0;
	char *text;
	FILE *o;
	int rc;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: wat2bin IN.wat [OUT.wasm]\n");
		return 2;
	}
	text = slurp(argv[1], &len);
	if (!text) {
		perror(argv[1]);
		return 2;
	}
	rc = ewat_parse(text, len, &bin, &blen, &err);
	free(text);
	if (rc) {
		fprintf(stderr, "%s:%u:%u: %s\n", argv[1], err.line, err.col, err.message);
		return 1;
	}
	if (argc == 3) {
		o = fopen(argv[2], "wb");
		if (!o || fwrite(bin, 1, blen, o) != blen || fclose(o) != 0) {
			perror(argv[2]);
			ewat_free(bin);
			return 2;
		}
	}
	ewat_free(bin);
	return 0;
}
