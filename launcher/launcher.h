/* SPDX-License-Identifier: MIT */
/*
 * Private header of the vsomm command (launcher/): the start-up probe of the
 * host compositor on the device vsomm uses (virtgpu/ opens and discovers
 * devices), and the proxy backend that puts each client on a cross-domain
 * channel.  Prototypes grouped by defining file.
 */
#ifndef LAUNCHER_LAUNCHER_H
#define LAUNCHER_LAUNCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct proxy_backend;
struct wl_event_loop;

/*
 * vsomm's exit codes for its own errors (APP's status passes through; 128+N
 * when APP was killed by signal N).  1, 2 and 4 mean what they mean for
 * vsomm-host too.  Documented in --help and vsomm(1).
 */
enum launcher_exit {
	LAUNCHER_EXIT_ERROR = 1,     /* usage or another error of vsomm's own */
	LAUNCHER_EXIT_IN_USE = 2,    /* the socket name or X display is held by a live server */
	LAUNCHER_EXIT_NO_DEVICE = 3, /* no virtio_gpu node and nobody on vsomm-host's socket */
	LAUNCHER_EXIT_NO_RUNTIME_DIR = 4, /* XDG_RUNTIME_DIR unset or not absolute */
	LAUNCHER_EXIT_NO_COMPOSITOR = 5,  /* the device answers, the host compositor does not */
	LAUNCHER_EXIT_NO_XWAYLAND = 6,    /* --x11: Xwayland not found or not executable */
	LAUNCHER_EXIT_NOT_EXECUTABLE = 126,
	LAUNCHER_EXIT_NOT_FOUND = 127,
};

/* ---- device.c ---- */

enum launcher_probe {
	LAUNCHER_PROBE_OK,
	LAUNCHER_PROBE_NO_DEVICE,     /* virtgpu_open failed */
	LAUNCHER_PROBE_NO_CHANNEL,    /* the device has no cross-domain Wayland channel */
	LAUNCHER_PROBE_NO_COMPOSITOR, /* host EOF before any answer */
	LAUNCHER_PROBE_TIMEOUT,       /* no answer within the timeout */
};

/**
 * One Wayland round trip to the host compositor over a fresh channel on `spec`
 * (wl_display.sync; any answer counts): tells "no vsomm-host" from "vsomm-host
 * cannot reach its compositor" before APP runs.  *err gets the negative errno
 * of the failure, if any.
 */
enum launcher_probe launcher_probe_compositor(const char *spec, int timeout_ms, int *err);

/* ---- backend.c ---- */

/** The proxy backend: one pump (socketpair + channel) per client, host-blob shadows. */
extern const struct proxy_backend launcher_channel_backend;

struct relay_host_ops;
/** The byte relay's host side (VSOMM_RELAY=bytes): a channel per client, no pump. */
extern const struct relay_host_ops launcher_relay_host_ops;

/** What launcher_channel_backend needs: pass it as the proxy's backend data. */
struct launcher_backend_data {
	struct wl_event_loop *loop;
	const char *device; /* spec, or NULL for the default */
};

/* ---- doctor.c ---- */

/** What `vsomm doctor` checks: vsomm's own options for the same things. */
struct launcher_doctor_options {
	const char *device;   /* spec, NULL or "auto": pick as vsomm does */
	bool x11;             /* check Xwayland too */
	const char *xwayland; /* NULL: Xwayland from $PATH */
};

/**
 * vsomm doctor: checks XDG_RUNTIME_DIR, the device, a cross-domain context,
 * a round trip to the host compositor and its globals, and with x11
 * Xwayland, one line each on stdout.  Returns 0 when `vsomm APP` would work,
 * else the exit code (enum launcher_exit) of the first failure.
 */
int launcher_doctor(const struct launcher_doctor_options *options);

/* ---- children.c ---- */

/**
 * execvp's search for `name`, done before anything is started ("not found"
 * must not wait for the device): a path when it has a '/', else each $PATH
 * entry.  0 and, if `found` is not NULL, the path found in it;
 * LAUNCHER_EXIT_NOT_FOUND or LAUNCHER_EXIT_NOT_EXECUTABLE.
 */
int launcher_find_program(const char *name, char *found, size_t size);

/** True when vsomm's process group has the foreground of the terminal on stdin. */
bool launcher_holds_terminal(void);

/** Makes `pgid` the foreground process group of the terminal on stdin. */
void launcher_give_terminal(pid_t pgid);

/**
 * Sends `sig` to the process group `app_pgid` (if > 0) and to every other
 * live descendant of this process (found through /proc's parent links) but
 * `spare` and its descendants (if > 0: Xwayland, which vsomm stops itself,
 * last).  Returns how many kill() calls reached a process or group; with
 * sig 0, that counts the descendants.
 */
int launcher_signal_descendants(pid_t app_pgid, int sig, pid_t spare);

#endif
