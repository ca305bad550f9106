// SPDX-License-Identifier: Apache-2.0
// A small file tool for preopened directories (kind = "dir" in Enarx.toml):
//   filetool write PATH TEXT | read PATH | append PATH TEXT | ls DIR |
//            mkdir DIR | rm PATH | rmdir DIR | mv FROM TO | ln TARGET LINK |
//            stat PATH
// Prints "error: <op> <path>: <strerror>" and exits 1 on failure.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *op, const char *path)
{
	printf("error: %s %s: %s\n", op, path, strerror(errno));
	return 1;
}

static int put(const char *path, const char *text, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);

	if (fd < 0)
		return fail("open", path);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return fail("write", path);
	close(fd);
	return 0;
}

static int get(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return fail("open", path);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	if (n < 0)
		return fail("read", path);
	close(fd);
	return 0;
}

static int list(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d)
		return fail("opendir", path);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			printf("%s\n", e->d_name);
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	struct stat st;

	if (argc == 4 && strcmp(op, "write") == 0)
		return put(argv[2], argv[3], O_TRUNC);
	if (argc == 4 && strcmp(op, "append") == 0)
		return put(argv[2], argv[3], O_APPEND);
	if (argc == 3 && strcmp(op, "read") == 0)
		return get(argv[2]);
	if (argc == 3 && strcmp(op, "ls") == 0)
		return list(argv[2]);
	if (argc == 3 && strcmp(op, "mkdir") == 0)
		return mkdir(argv[2], 0755) ? fail(op, argv[2]) : 0;
	if (argc == 3 && strcmp(op, "rm") == 0)
		return unlink(argv[2]) ? fail(op, argv[2]) : 0;
	if (argc == 3 && strcmp(op, "rmdir") == 0)
		return rmdir(argv[2]) ? fail(op, argv[2]) : 0;
	if (argc == 4 && strcmp(op, "mv") == 0)
		return rename(argv[2], argv[3]) ? fail(op, argv[2]) : 0;
	if (argc == 4 && strcmp(op, "ln") == 0)
		return symlink(argv[2], argv[3]) ? fail(op, argv[3]) : 0;
	if (argc == 3 && strcmp(op, "stat") == 0) {
		if (stat(argv[2], &st))
			return fail(op, argv[2]);
		printf("size=%lld dir=%d\n", (long long)st.st_size, S_ISDIR(st.st_mode));
		return 0;
	}
	fprintf(stderr, "usage: filetool write|append|read|ls|mkdir|rm|rmdir|mv|ln|stat ...\n");
	return 2;
}
