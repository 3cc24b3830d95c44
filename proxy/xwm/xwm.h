/* SPDX-License-Identifier: MIT */
/*
 * vsomm's X11 support: Xwayland (rootless) as a client of the proxy, started
 * on the first X connection, and vsomm's X window manager, which gives the X
 * windows their roles on the host through proxy/window.h.
 *
 * Two parts, one boundary header:
 *   xserver.c  the X display (number, sockets, lock file), Xwayland's
 *              process (lazy start, restart after a crash), its Wayland
 *              connection (a wl_client of the proxy's display);
 *   xwm.c …    the window manager, an XCB client of that Xwayland on the
 *              -wm socket; selection.c bridges the clipboard and primary
 *              selection; props.c decodes X properties (fuzzed).
 */
#ifndef PROXY_XWM_XWM_H
#define PROXY_XWM_XWM_H

#include <stdbool.h>
#include <sys/types.h>

struct proxy;
struct wl_client;
struct wl_display;
struct wl_event_loop;
struct xwm;
struct vsomm_xserver;

/* ---- xserver.c: the X display and Xwayland's process ---- */

struct vsomm_xserver_options {
	const char *xwayland; /* Xwayland's path; NULL: "Xwayland" from $PATH */
	int display;          /* -1: the first free number from 0 */
	bool lazy;            /* start Xwayland on the first X connection */
	int stop_timeout_ms;  /* destroy: SIGTERM, SIGKILL after this long (0: at once) */
};

/**
 * Claim an X display (lock file /tmp/.XN-lock, sockets /tmp/.X11-unix/XN and
 * the abstract @/tmp/.X11-unix/XN) and serve it: Xwayland runs as a client of
 * `display` (whose clients `proxy` relays) with vsomm's window manager.
 * NULL with a log line when no display can be claimed, errno telling why:
 * EADDRINUSE when the display (options->display), or every display tried, is
 * held by a live server.
 */
struct vsomm_xserver *vsomm_xserver_create(struct wl_display *display, struct proxy *proxy,
					   const struct vsomm_xserver_options *options);

/** ":N", for DISPLAY. */
const char *vsomm_xserver_display_name(const struct vsomm_xserver *server);

/**
 * SIGCHLD: a child exited; true when it was Xwayland (the server reported it
 * and gets ready for the next X client).  Call it for every reaped pid.
 */
bool vsomm_xserver_child_exited(struct vsomm_xserver *server, pid_t pid, int status);

/** Xwayland's pid, 0 when it is not running. */
pid_t vsomm_xserver_pid(const struct vsomm_xserver *server);

/**
 * The session is ending: no Xwayland is started from now on.  X clients that
 * connect are turned away (their connection closed) instead of starting one
 * that would lose its Wayland connection while it starts ("could not connect
 * to wayland server").  A running Xwayland serves on until destroy.  Accepts
 * NULL.
 */
void vsomm_xserver_begin_stop(struct vsomm_xserver *server);

/** Stop Xwayland, remove the sockets and the lock file.  Accepts NULL. */
void vsomm_xserver_destroy(struct vsomm_xserver *server);

/* ---- xwm.c: the window manager ---- */

/**
 * Manage the windows of the Xwayland whose window-manager connection is
 * wm_fd (ownership passes) and whose Wayland connection is xwayland.  Call it
 * once Xwayland is ready (it wrote -displayfd).  The X connection is
 * dispatched from loop (the proxy's).  NULL on failure.
 */
struct xwm *xwm_create(struct wl_event_loop *loop, struct proxy *proxy, struct wl_client *xwayland,
		       int wm_fd);

/** Unmanage everything and close the X connection.  Accepts NULL. */
void xwm_destroy(struct xwm *xwm);

#endif
