/* SPDX-License-Identifier: MIT */
/*
 * Stand-ins, built only while proxy/xwm/xwm.c is not in the tree (branch
 * `xwm`), so that the X display can be built and tested before the window
 * manager lands.  Delete this file when xwm.c arrives.
 *
 * xwm_create here is the least a window manager must do for Xwayland to
 * serve X clients at all: own the WM_S0 selection (Xwayland listens on its
 * -listenfd sockets only once it is owned).  It manages no window.
 * proxy_manage_client is weak: proxy/ defines the real one (branch
 * `proxywin`).
 */
#include <stdlib.h>
#include <unistd.h>
#include <wayland-server-core.h>
#include <xcb/xcb.h>
#include <xcb/xcbext.h> /* xcb_poll_for_reply */

#include "proxy/window.h"
#include "proxy/xwm/xwm.h"
#include "util/log.h"

struct xwm {
	xcb_connection_t *conn;
	struct wl_event_source *source;
	xcb_intern_atom_cookie_t wm_s0;
	bool owned;
};

/* Never block on Xwayland: it may be waiting for the proxy, which runs on this loop. */
static int handle_x(int fd, uint32_t mask, void *data)
{
	struct xwm *xwm = data;
	if (mask & (WL_EVENT_HANGUP | WL_EVENT_ERROR) || xcb_connection_has_error(xwm->conn)) {
		wl_event_source_remove(xwm->source);
		xwm->source = NULL;
		return 0;
	}
	xcb_generic_event_t *event;
	while ((event = xcb_poll_for_event(xwm->conn)))
		free(event);
	if (!xwm->owned) {
		xcb_intern_atom_reply_t *reply = NULL;
		if (xcb_poll_for_reply(xwm->conn, xwm->wm_s0.sequence, (void **)&reply, NULL) &&
		    reply) {
			const xcb_setup_t *setup = xcb_get_setup(xwm->conn);
			xcb_screen_t *screen = xcb_setup_roots_iterator(setup).data;
			xcb_window_t window = xcb_generate_id(xwm->conn);
			xcb_create_window(xwm->conn, XCB_COPY_FROM_PARENT, window, screen->root, 0,
					  0, 1, 1, 0, XCB_WINDOW_CLASS_INPUT_ONLY,
					  XCB_COPY_FROM_PARENT, 0, NULL);
			xcb_set_selection_owner(xwm->conn, window, reply->atom, XCB_CURRENT_TIME);
			xwm->owned = true;
			free(reply);
		}
	}
	xcb_flush(xwm->conn);
	return 0;
}

struct xwm *xwm_create(struct wl_event_loop *loop, struct proxy *proxy, struct wl_client *xwayland,
		       int wm_fd)
{
	struct xwm *xwm = calloc(1, sizeof(*xwm));
	if (!xwm) {
		close(wm_fd);
		return NULL;
	}
	xwm->conn = xcb_connect_to_fd(wm_fd, NULL);
	if (xcb_connection_has_error(xwm->conn)) {
		xcb_disconnect(xwm->conn);
		free(xwm);
		return NULL;
	}
	xwm->wm_s0 = xcb_intern_atom(xwm->conn, 0, 5, "WM_S0");
	xcb_flush(xwm->conn);
	xwm->source = wl_event_loop_add_fd(loop, xcb_get_file_descriptor(xwm->conn),
					   WL_EVENT_READABLE, handle_x, xwm);
	if (!xwm->source) {
		xwm_destroy(xwm);
		return NULL;
	}
	vsomm_log(VSOMM_LOG_DEBUG, "stand-in XWM: owns WM_S0, manages no window");
	return xwm;
}

void xwm_destroy(struct xwm *xwm)
{
	if (!xwm)
		return;
	if (xwm->source)
		wl_event_source_remove(xwm->source);
	xcb_disconnect(xwm->conn);
	free(xwm);
}

__attribute__((weak)) bool proxy_manage_client(struct proxy *proxy, struct wl_client *client)
{
	return true;
}
