/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the standalone test clients (vsomm-pattern, vsomm-bench):
 * a connection with the core globals and xdg_wm_base, an xdg_toplevel window,
 * wl_shm buffers on memfd pools, and an event loop that also watches SIGTERM
 * and SIGINT and a deadline.  Plain libwayland-client and xdg-shell only: the
 * clients run unchanged directly on Weston, through vsomm and through waypipe.
 */
#ifndef VSOMM_TESTS_CLIENT_H
#define VSOMM_TESTS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wayland-client.h>

#include "xdg-shell-client-protocol.h"

struct tclient {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	/** SIGTERM/SIGINT as a signalfd, -1 when signals are not watched. */
	int signal_fd;
	/** A watched signal arrived. */
	bool stop;
	/** The compositor advertised WL_SHM_FORMAT_XRGB8888. */
	bool has_xrgb;
};

struct tclient_window {
	struct tclient *client;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	/** The first xdg_surface.configure arrived and was acked. */
	bool configured;
	/** xdg_toplevel.close arrived. */
	bool closed;
};

struct tclient_buffer {
	struct wl_buffer *buffer;
	uint32_t *data;
	size_t size;
	int32_t width, height, stride;
	/** Attached and committed, not released yet. */
	bool busy;
};

/** CLOCK_MONOTONIC in nanoseconds. */
int64_t tclient_now_ns(void);

/** Parse "WxH" with 1 ≤ W, H ≤ max. */
bool tclient_parse_size(const char *s, long max, int32_t *w, int32_t *h);

/**
 * Connect to $WAYLAND_DISPLAY and bind wl_compositor, wl_shm and xdg_wm_base
 * (one roundtrip for the globals, one for the shm formats).  With
 * watch_signals, SIGTERM and SIGINT are blocked and delivered through a
 * signalfd that tclient_dispatch() watches.  Prints why on failure.
 */
bool tclient_connect(struct tclient *c, bool watch_signals);
/** Destroy what tclient_connect() made; safe on a zeroed or failed client. */
void tclient_disconnect(struct tclient *c);

/**
 * Flush, wait up to the deadline (tclient_now_ns() time base; 0: no deadline;
 * one in the past, e.g. TCLIENT_NO_WAIT: do not wait) for events or a signal,
 * and dispatch them.  Returns 1 when something was
 * dispatched, 0 on deadline or signal (c->stop), -1 on a connection error
 * (printed).
 */
int tclient_dispatch(struct tclient *c, int64_t deadline_ns);
#define TCLIENT_NO_WAIT ((int64_t)1)
/** Dispatch until *flag is true; false on deadline, signal or error. */
bool tclient_wait_for(struct tclient *c, const bool *flag, int64_t deadline_ns);

/**
 * Create an xdg_toplevel with that title, commit without a buffer and wait
 * for the first configure (which is acked).  Sizes the compositor suggests are
 * ignored: the clients draw at their own fixed sizes.
 */
bool tclient_window_init(struct tclient_window *w, struct tclient *c, const char *title,
			 int64_t deadline_ns);
void tclient_window_finish(struct tclient_window *w);

/** An XRGB8888 buffer of width x height on its own memfd pool. */
bool tclient_buffer_init(struct tclient_buffer *b, struct tclient *c, int32_t width,
			 int32_t height);
void tclient_buffer_finish(struct tclient_buffer *b);

/** A frame callback in flight. */
struct tclient_frame {
	struct wl_callback *callback;
	/** The callback fired. */
	bool done;
};

/**
 * Request a frame callback on the surface (call before the commit it belongs
 * to); f->done is set when it fires.  A request still in flight is dropped.
 */
bool tclient_frame_request(struct tclient_frame *f, struct wl_surface *surface);
/** Destroy a callback that has not fired yet. */
void tclient_frame_finish(struct tclient_frame *f);

#endif
