/* SPDX-License-Identifier: Apache-2.0 */
/* Replays a fuzz target over stored inputs (seed corpus and crashers) in the
 * normal test run, so every crasher ever found stays fixed, under ASan too.
 * Usage: fuzz_X DIR|FILE...; prints TAP, one line per input file. Missing
 * folders are fine (a target may have no crashers yet). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int count;

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long n;

	count++;
	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		printf("not ok %d - %s: cannot read\n", count, path);
		if (f)
			fclose(f);
		return;
	}
	data = malloc((size_t)n + 1);
	if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) {
		printf("not ok %d - %s: cannot read\n", count, path);
	} else {
		/* Copy to an exact-size buffer so ASan sees overreads. */
		uint8_t *exact = malloc((size_t)n ? (size_t)n : 1);

		memcpy(exact, data, (size_t)n);
		LLVMFuzzerTestOneInput(exact, (size_t)n);
		free(exact);
		printf("ok %d - %s\n", count, path);
	}
	fflush(stdout);
	free(data);
	fclose(f);
}

static void run_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	if (stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		run_file(path);
		return;
	}
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		char **grown;

		if (e->d_name[0] == '.')
			continue;
		grown = realloc(names, (n + 1) * sizeof(*names));
		if (!grown)
			break;
		names = grown;
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp);
	for (size_t i = 0; i < n; i++) {
		char full[4096];

		snprintf(full, sizeof(full), "%s/%s", path, names[i]);
		run_path(full);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		run_path(argv[i]);
	if (count == 0)
		printf("1..0 # SKIP no stored inputs\n");
	else
		printf("1..%d\n", count);
	return 0;
}
