/* SPDX-License-Identifier: MIT */
/*
 * What vsomm does to the processes it started.  APP runs in a process group of
 * its own, so one kill() reaches APP and whatever it started without changing
 * its group (a wrapper script and the real application, a pipeline).  vsomm is
 * a subreaper (PR_SET_CHILD_SUBREAPER): descendants whose parent exits become
 * vsomm's children, so "everything vsomm started" is the set of processes
 * whose parent chain reaches vsomm, which /proc tells.  And before any of it,
 * whether APP (and Xwayland) can be run at all.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher/launcher.h"
#include "util/log.h"

int launcher_find_program(const char *name, char *found, size_t size)
{
	char full[4096];
	if (strchr(name, '/')) {
		if (access(name, X_OK) != 0)
			return errno == ENOENT ? LAUNCHER_EXIT_NOT_FOUND
					       : LAUNCHER_EXIT_NOT_EXECUTABLE;
		if (found)
			snprintf(found, size, "%s", name);
		return 0;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	int ret = LAUNCHER_EXIT_NOT_FOUND;
	while (*path) {
		size_t n = strcspn(path, ":");
		snprintf(full, sizeof(full), "%.*s/%s", (int)n, n ? path : ".", name);
		if (access(full, X_OK) == 0) {
			if (found)
				snprintf(found, size, "%s", full);
			return 0;
		}
		if (errno != ENOENT && errno != ENOTDIR)
			ret = LAUNCHER_EXIT_NOT_EXECUTABLE;
		path += n + (path[n] == ':');
	}
	return ret;
}

bool launcher_holds_terminal(void)
{
	return isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
}

void launcher_give_terminal(pid_t pgid)
{
	/*
	 * tcsetpgrp() from a background process group raises SIGTTOU unless it
	 * is ignored: the child calls this before its exec (it is already in its
	 * own group), vsomm after APP has ended (APP's group had the terminal).
	 */
	struct sigaction ignore = {.sa_handler = SIG_IGN}, old;
	sigemptyset(&ignore.sa_mask);
	sigaction(SIGTTOU, &ignore, &old);
	if (tcsetpgrp(STDIN_FILENO, pgid) < 0 && errno != ENOTTY)
		vsomm_log_errno(VSOMM_LOG_DEBUG, "tcsetpgrp(%d)", (int)pgid);
	sigaction(SIGTTOU, &old, NULL);
}

/* The parent pid of /proc/PID/stat's process, or -1. */
static pid_t parent_of(int proc, const char *pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "%s/stat", pid);
	int fd = openat(proc, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "pid (comm) state ppid ...": comm may hold spaces and ')' */
	const char *end = strrchr(buf, ')');
	char state;
	int ppid;
	if (!end || sscanf(end + 1, " %c %d", &state, &ppid) != 2)
		return -1;
	return ppid;
}

struct proc_entry {
	pid_t pid, ppid;
};

int launcher_signal_descendants(pid_t app_pgid, int sig, pid_t spare)
{
	int count = 0;
	if (app_pgid > 0 && kill(-app_pgid, sig) == 0)
		count++;

	int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc < 0) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "/proc");
		return count;
	}
	DIR *dir = fdopendir(proc);
	if (!dir) {
		close(proc);
		return count;
	}
	struct proc_entry *procs = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(dir))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid_t ppid = parent_of(dirfd(dir), de->d_name);
		if (ppid <= 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 256;
			struct proc_entry *p = realloc(procs, ncap * sizeof(*p));
			if (!p)
				break;
			procs = p;
			cap = ncap;
		}
		procs[n++] = (struct proc_entry){.pid = atoi(de->d_name), .ppid = ppid};
	}
	closedir(dir);

	/*
	 * Descendants: vsomm's children, then theirs, until a pass finds no new
	 * one (a process listed before its parent is found on a later pass).
	 * `mine` holds their pids; it is small next to the process table.
	 */
	pid_t *mine = malloc((n + 1) * sizeof(*mine));
	if (!mine) {
		free(procs);
		return count;
	}
	size_t nmine = 0;
	mine[nmine++] = getpid();
	for (size_t found = 1; found > 0;) {
		found = 0;
		for (size_t i = 0; i < n; i++) {
			if (procs[i].pid <= 0)
				continue; /* already taken */
			bool child = false;
			for (size_t j = 0; !child && j < nmine; j++)
				child = procs[i].ppid == mine[j];
			if (!child)
				continue;
			if (procs[i].pid == spare) {
				/* neither it nor its children: they are never in `mine` */
				procs[i].pid = 0;
				continue;
			}
			mine[nmine++] = procs[i].pid;
			if (kill(procs[i].pid, sig) == 0)
				count++;
			procs[i].pid = 0;
			found++;
		}
	}
	free(mine);
	free(procs);
	return count;
}
