/* SPDX-License-Identifier: MIT */
/*
 * Socket activation and readiness notification (launcher/sd.h): the documented
 * environment protocols of sd_listen_fds(3) and sd_notify(3), nothing more.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "launcher/sd.h"

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v > max || s[0] == '-')
		return false;
	*out = v;
	return true;
}

static void unset_all(void)
{
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

int launcher_sd_listen_fds(struct launcher_sd_fds *out)
{
	memset(out, 0, sizeof(*out));
	const char *pid_s = getenv("LISTEN_PID");
	const char *fds_s = getenv("LISTEN_FDS");
	unsigned long pid, n;
	if (!pid_s || !fds_s)
		return 0;
	if (!parse_uint(pid_s, LONG_MAX, &pid) || !parse_uint(fds_s, INT_MAX, &n)) {
		fprintf(stderr, "bad LISTEN_PID/LISTEN_FDS ('%s', '%s')\n", pid_s, fds_s);
		unset_all();
		return -1;
	}
	if ((pid_t)pid != getpid()) {
		/* meant for another process (our parent): not ours to take */
		unset_all();
		return 0;
	}
	if (n > LAUNCHER_SD_MAX_FDS) {
		fprintf(stderr, "LISTEN_FDS=%lu: at most %d fds are supported\n", n,
			LAUNCHER_SD_MAX_FDS);
		unset_all();
		return -1;
	}
	/* Copy the names before unsetenv frees them. */
	char names[LAUNCHER_SD_MAX_FDS * 64 + 1] = "";
	const char *names_s = getenv("LISTEN_FDNAMES");
	if (names_s)
		snprintf(names, sizeof(names), "%s", names_s);
	char *cursor = names;
	for (size_t i = 0; i < n; i++) {
		int fd = LAUNCHER_SD_LISTEN_FDS_START + (int)i;
		int flags = fcntl(fd, F_GETFD);
		if (flags < 0) {
			fprintf(stderr, "LISTEN_FDS=%lu but fd %d is not open\n", n, fd);
			for (size_t j = 0; j < i; j++)
				close(out->fds[j]);
			out->count = 0;
			unset_all();
			return -1;
		}
		fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
		out->fds[i] = fd;
		char *name = cursor ? strsep(&cursor, ":") : NULL;
		snprintf(out->names[i], sizeof(out->names[i]), "%s",
			 name && *name ? name : "unknown");
		out->count = i + 1;
	}
	unset_all();
	return 0;
}

int launcher_sd_take_fd(struct launcher_sd_fds *set, const char *name)
{
	size_t pick = SIZE_MAX;
	for (size_t i = 0; i < set->count; i++) {
		if (set->fds[i] >= 0 && strcmp(set->names[i], name) == 0) {
			pick = i;
			break;
		}
	}
	if (pick == SIZE_MAX && set->count == 1 && set->fds[0] >= 0 &&
	    strcmp(set->names[0], "unknown") == 0)
		pick = 0;
	if (pick == SIZE_MAX)
		return -1;
	int fd = set->fds[pick];
	set->fds[pick] = -1;
	return fd;
}

void launcher_sd_close_rest(struct launcher_sd_fds *set)
{
	for (size_t i = 0; i < set->count; i++) {
		if (set->fds[i] >= 0)
			close(set->fds[i]);
		set->fds[i] = -1;
	}
}

int launcher_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return 0;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr.sun_path))
		return -1;
	memcpy(addr.sun_path, path, len);
	if (path[0] == '@')
		addr.sun_path[0] = '\0'; /* abstract namespace */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	int err = errno;
	close(fd);
	errno = err;
	return n < 0 ? -1 : 1;
}

int launcher_sd_notifyf(const char *fmt, ...)
{
	char buf[512];
	va_list args;
	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	return launcher_sd_notify(buf);
}
