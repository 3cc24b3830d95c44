/* SPDX-License-Identifier: MIT */
#include "tests/lib/fds.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/lib/check.h"

/* Entries of `path`, leaving out "." and ".." and the directory stream's own fd. */
static int count_dir(const char *path, bool self)
{
	DIR *dir = opendir(path);
	if (!dir)
		return -1;
	int n = 0;
	struct dirent *ent;
	while ((ent = readdir(dir))) {
		if (ent->d_name[0] == '.')
			continue;
		if (self && atoi(ent->d_name) == dirfd(dir))
			continue;
		n++;
	}
	closedir(dir);
	return n;
}

int count_fds(void)
{
	int n = count_dir("/proc/self/fd", true);
	CHECK(n >= 0);
	return n;
}

int count_fds_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	return count_dir(path, pid == getpid());
}

void print_fds(FILE *out)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *ent;
	while (dir && (ent = readdir(dir))) {
		if (ent->d_name[0] == '.' || atoi(ent->d_name) == dirfd(dir))
			continue;
		char path[300], target[256];
		snprintf(path, sizeof(path), "/proc/self/fd/%s", ent->d_name);
		ssize_t len = readlink(path, target, sizeof(target) - 1);
		target[len > 0 ? len : 0] = '\0';
		fprintf(out, "  %s -> %s\n", ent->d_name, target);
	}
	if (dir)
		closedir(dir);
}
