/* SPDX-License-Identifier: MIT */
/*
 * The two systemd protocols vsomm and vsomm-host speak, without libsystemd:
 *
 * - socket activation (sd_listen_fds(3)): LISTEN_PID is our pid, LISTEN_FDS
 *   fds start at 3, LISTEN_FDNAMES names them (':'-separated, from the socket
 *   unit's FileDescriptorName=);
 * - readiness (sd_notify(3)): datagrams such as "READY=1\nSTATUS=…" sent to
 *   the unix socket $NOTIFY_SOCKET (a path, or '@' for the abstract namespace).
 */
#ifndef LAUNCHER_SD_H
#define LAUNCHER_SD_H

#include <stddef.h>

#define LAUNCHER_SD_LISTEN_FDS_START 3
#define LAUNCHER_SD_MAX_FDS 16

struct launcher_sd_fds {
	int fds[LAUNCHER_SD_MAX_FDS];
	char names[LAUNCHER_SD_MAX_FDS][64]; /* "unknown" when not named */
	size_t count;
};

/**
 * Take the fds passed by socket activation: 0 and out->count == 0 when there are
 * none for this process; else they are made CLOEXEC and listed.  The variables are
 * unset either way, so children do not see them.  -1 (and a message on stderr) when
 * the variables are malformed.
 */
int launcher_sd_listen_fds(struct launcher_sd_fds *out);

/**
 * Find the fd named `name` (or, when none is named, the only one); -1 if none.
 * The fd is removed from the set: the caller owns it.
 */
int launcher_sd_take_fd(struct launcher_sd_fds *set, const char *name);

/** Close every fd still in the set (e.g. names nobody asked for). */
void launcher_sd_close_rest(struct launcher_sd_fds *set);

/**
 * Send `state` (e.g. "READY=1\nSTATUS=serving wayland-vsomm") to $NOTIFY_SOCKET
 * if it is set.  Returns 1 if sent, 0 if there is no NOTIFY_SOCKET, -1 on error.
 */
int launcher_sd_notify(const char *state);
/** launcher_sd_notify with a printf format. */
int launcher_sd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
