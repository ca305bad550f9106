/* SPDX-License-Identifier: Apache-2.0 */
/* config_dir_check() (config.h): a `dir` entry may not hand the workload
 * the host itself, the root directory or a kernel interface file system,
 * unless it says `unsafe = true`. Used on the host before a Keep starts and
 * by the executor before it opens the directory. */
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "config/config.h"
#include "lib/err.h"

/* File systems whose files are the kernel's own controls. */
static const struct {
	unsigned long magic;
	const char *name;
} kernel_fs[] = {
    {PROC_SUPER_MAGIC, "is on procfs"},     {SYSFS_MAGIC, "is on sysfs"},
    {DEVPTS_SUPER_MAGIC, "is on devpts"},   {DEBUGFS_MAGIC, "is on debugfs"},
    {TRACEFS_MAGIC, "is on tracefs"},       {SECURITYFS_MAGIC, "is on securityfs"},
    {CGROUP_SUPER_MAGIC, "is on cgroupfs"}, {CGROUP2_SUPER_MAGIC, "is on cgroup2"},
    {BPF_FS_MAGIC, "is on bpffs"},
};

/* What makes path dangerous ("is on procfs"), or NULL. devtmpfs
 * reports itself as tmpfs (or ramfs): it is recognised as the file system
 * holding /dev/null. */
static const char *danger(const char *path)
{
	struct stat st, root, null;
	struct statfs sf;

	if (stat(path, &st) != 0 || statfs(path, &sf) != 0)
		return NULL;
	if (stat("/", &root) == 0 && st.st_dev == root.st_dev && st.st_ino == root.st_ino)
		return "is the root directory";
	for (size_t i = 0; i < sizeof(kernel_fs) / sizeof(kernel_fs[0]); i++)
		if ((unsigned long)sf.f_type == kernel_fs[i].magic)
			return kernel_fs[i].name;
	if (((unsigned long)sf.f_type == TMPFS_MAGIC || (unsigned long)sf.f_type == RAMFS_MAGIC) &&
	    stat("/dev/null", &null) == 0 && null.st_dev == st.st_dev)
		return "is on devtmpfs";
	return NULL;
}

int config_dir_check(const struct config_file *f, char *err, size_t errlen)
{
	const char *what;

	if (f->kind != CONFIG_DIR || f->unsafe)
		return 0;
	what = danger(f->path);
	if (!what)
		return 0;
	snprintf(err, errlen,
	         "[[files]] '%s': directory %s %s, which would give the workload the host "
	         "itself; refused (say unsafe = true in that entry to allow it)",
	         f->name, f->path, what);
	return ENARX_E_PERM;
}
