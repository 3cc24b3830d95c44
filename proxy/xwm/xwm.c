/* SPDX-License-Identifier: MIT */
/*
 * vsomm's X window manager: an XCB client of Xwayland (rootless) on the
 * -wm socket, dispatched from the proxy's event loop.  It gives the X windows
 * their roles on the host through proxy/window.h (xwm-window.c) and bridges
 * the selections (selection.c).
 *
 * Flow.  The X fd is read from the loop; events are handled in arrival
 * order; everything that may be retried or coalesced (associating a window
 * with its wl_surface, title updates, stalled selection transfers) goes
 * through one idle per loop iteration, which ends with xcb_flush, so that
 * requests sent from Wayland callbacks leave before the loop sleeps.  Work
 * that must wait (a wl_surface the proxy has not seen yet, a title changed
 * again too soon) re-arms a timer.
 *
 * Never wait for a reply once the WM runs: every request with a reply after
 * start-up is awaited (xwm_await) and its reply handled when it arrives.  A
 * blocking round trip stalls the whole loop, and with it the reading of
 * Xwayland's Wayland connection: an X client that maps and unmaps
 * override-redirect windows in a burst makes Xwayland send a wl_shm fd per
 * map, and Xwayland aborts ("can't send file descriptor") when its socket
 * fills while vsomm waits for it on X (seen with one GetProperty per
 * MapNotify).  Start-up (xwm_create) waits: Xwayland serves no X client
 * before the WM owns WM_S0, which is the last thing it does.
 *
 * Frames: vsomm draws none (_NET_FRAME_EXTENTS 0).  The proxy asks the host
 * for server-side decorations where it has xdg-decoration (proxy/window.c);
 * Weston 10 has none, so there X windows show undecorated unless the X
 * client draws its own title bar (docs/x11.md).
 *
 * HiDPI (measured with Weston 10, headless --scale=2, Xwayland 22.1.9): the
 * X screen is the output's logical size (1024×640 for a 2048×1280 output,
 * 96 dpi) and X windows' buffers come at buffer scale 1, so Weston shows
 * them at their logical size, upscaled 2× (blurry, right size, input
 * right).  X knows nothing of the scale; configures are in surface
 * coordinates, so a maximized X window gets the logical output size.
 */
#include "proxy/xwm/xwm-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xcb/composite.h>
#include <xcb/xcbext.h> /* xcb_poll_for_reply */
#include <xcb/xfixes.h>

#include "util/log.h"

/* Events and replies handled per wake-up (the X fd or the timer) before the
 * loop gets a turn: a client flooding the server with maps or property
 * changes must not starve the Wayland side, the signals, the other X
 * clients' frames.  What is left is handled from the timer, 1 ms later. */
#define EVENTS_PER_WAKEUP 256

static const char *const atom_names[ATOM_COUNT] = {
	[ATOM_WM_PROTOCOLS] = "WM_PROTOCOLS",
	[ATOM_WM_DELETE_WINDOW] = "WM_DELETE_WINDOW",
	[ATOM_WM_TAKE_FOCUS] = "WM_TAKE_FOCUS",
	[ATOM_WM_STATE] = "WM_STATE",
	[ATOM_WM_CHANGE_STATE] = "WM_CHANGE_STATE",
	[ATOM_WM_S0] = "WM_S0",
	[ATOM_UTF8_STRING] = "UTF8_STRING",
	[ATOM_COMPOUND_TEXT] = "COMPOUND_TEXT",
	[ATOM_TEXT] = "TEXT",
	[ATOM_NET_WM_NAME] = "_NET_WM_NAME",
	[ATOM_NET_SUPPORTED] = "_NET_SUPPORTED",
	[ATOM_NET_SUPPORTING_WM_CHECK] = "_NET_SUPPORTING_WM_CHECK",
	[ATOM_NET_ACTIVE_WINDOW] = "_NET_ACTIVE_WINDOW",
	[ATOM_NET_WM_STATE] = "_NET_WM_STATE",
	[ATOM_NET_WM_STATE_FULLSCREEN] = "_NET_WM_STATE_FULLSCREEN",
	[ATOM_NET_WM_STATE_MAXIMIZED_VERT] = "_NET_WM_STATE_MAXIMIZED_VERT",
	[ATOM_NET_WM_STATE_MAXIMIZED_HORZ] = "_NET_WM_STATE_MAXIMIZED_HORZ",
	[ATOM_NET_WM_MOVERESIZE] = "_NET_WM_MOVERESIZE",
	[ATOM_NET_FRAME_EXTENTS] = "_NET_FRAME_EXTENTS",
	[ATOM_NET_REQUEST_FRAME_EXTENTS] = "_NET_REQUEST_FRAME_EXTENTS",
	[ATOM_WL_SURFACE_ID] = "WL_SURFACE_ID",
	[ATOM_CLIPBOARD] = "CLIPBOARD",
	[ATOM_TARGETS] = "TARGETS",
	[ATOM_TIMESTAMP] = "TIMESTAMP",
	[ATOM_MULTIPLE] = "MULTIPLE",
	[ATOM_INCR] = "INCR",
	[ATOM_VSOMM_TARGETS] = "_VSOMM_TARGETS",
	[ATOM_VSOMM_DATA] = "_VSOMM_DATA",
};

/* What vsomm implements of EWMH (_NET_SUPPORTED). */
static const enum xwm_atom supported[] = {
	ATOM_NET_SUPPORTING_WM_CHECK,
	ATOM_NET_ACTIVE_WINDOW,
	ATOM_NET_WM_NAME,
	ATOM_NET_WM_STATE,
	ATOM_NET_WM_STATE_FULLSCREEN,
	ATOM_NET_WM_STATE_MAXIMIZED_VERT,
	ATOM_NET_WM_STATE_MAXIMIZED_HORZ,
	ATOM_NET_WM_MOVERESIZE,
	ATOM_NET_FRAME_EXTENTS,
	ATOM_NET_REQUEST_FRAME_EXTENTS,
};

uint64_t xwm_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

xcb_get_property_cookie_t xwm_request_property(struct xwm *xwm, xcb_window_t window,
					       xcb_atom_t atom)
{
	return xcb_get_property(xwm->conn, 0, window, atom, XCB_GET_PROPERTY_TYPE_ANY, 0,
				XWM_PROP_MAX_BYTES / 4);
}

void xwm_prop_from_reply(const xcb_get_property_reply_t *reply, struct xwm_prop *prop)
{
	memset(prop, 0, sizeof(*prop));
	if (!reply)
		return;
	prop->type = reply->type;
	prop->format = reply->format;
	prop->value = xcb_get_property_value(reply);
	int len = xcb_get_property_value_length(reply);
	prop->length = len > 0 ? (size_t)len : 0;
}

struct await {
	struct wl_list link;
	unsigned int sequence;
	xwm_reply_fn fn; /* NULL: cancelled, the reply is dropped */
	void *data;
	uint32_t arg;
};

void xwm_await(struct xwm *xwm, unsigned int sequence, xwm_reply_fn fn, void *data, uint32_t arg)
{
	struct await *a = calloc(1, sizeof(*a));
	if (!a) {
		/* The reply is dropped by xcb when the next one is polled; the
		 * caller's state waits for a reply that never comes: make it
		 * come as an error now. */
		xcb_discard_reply(xwm->conn, sequence);
		fn(xwm, NULL, data, arg);
		return;
	}
	a->sequence = sequence;
	a->fn = fn;
	a->data = data;
	a->arg = arg;
	wl_list_insert(xwm->awaits.prev, &a->link);
	xwm_schedule(xwm);
}

void xwm_await_cancel(struct xwm *xwm, void *data)
{
	struct await *a;

	wl_list_for_each(a, &xwm->awaits, link) {
		if (a->data == data)
			a->fn = NULL;
	}
}

/* Replies come in request order: handle the head while it is there (and
 * the budget lasts). */
static bool process_replies(struct xwm *xwm)
{
	bool any = false;

	while (!xwm->dead && xwm->budget > 0 && !wl_list_empty(&xwm->awaits)) {
		struct await *a = wl_container_of(xwm->awaits.next, a, link);
		void *reply = NULL;
		xcb_generic_error_t *err = NULL;
		if (!xcb_poll_for_reply(xwm->conn, a->sequence, &reply, &err))
			break;
		wl_list_remove(&a->link);
		if (a->fn)
			a->fn(xwm, reply, a->data, a->arg);
		free(reply);
		free(err);
		free(a);
		xwm->budget--;
		any = true;
	}
	return any;
}

void xwm_send_client_message(struct xwm *xwm, xcb_window_t window, xcb_atom_t type,
			     uint32_t event_mask, const uint32_t data[5])
{
	xcb_client_message_event_t ev = {
		.response_type = XCB_CLIENT_MESSAGE,
		.format = 32,
		.window = window,
		.type = type,
	};
	memcpy(ev.data.data32, data, sizeof(ev.data.data32));
	/* SendEvent copies 32 bytes, which is the size of this event. */
	xcb_send_event(xwm->conn, 0, window, event_mask, (const char *)&ev);
}

static void handle_xfixes_event(struct xwm *xwm, xcb_generic_event_t *ev)
{
	/* Only selection-owner notifications are selected (selection.c). */
	xwm_selections_handle_event(xwm, ev);
}

static void handle_create_notify(struct xwm *xwm, xcb_create_notify_event_t *ev)
{
	if (ev->parent != xwm->screen->root || ev->window == xwm->wm_window)
		return;
	if (xwm_window_lookup(xwm, ev->window))
		return;
	for (size_t i = 0; i < XWM_SELECTIONS; i++) {
		if (ev->window == xwm->selections[i].window)
			return;
	}
	xwm_window_create(xwm, ev->window, ev->x, ev->y, ev->width, ev->height,
			  ev->override_redirect);
}

static void handle_destroy_notify(struct xwm *xwm, xcb_destroy_notify_event_t *ev)
{
	xwm_window_destroy(xwm_window_lookup(xwm, ev->window));
}

static void handle_reparent_notify(struct xwm *xwm, xcb_reparent_notify_event_t *ev)
{
	struct xwm_window *window = xwm_window_lookup(xwm, ev->window);

	/* Only the root's children are windows of their own on the host. */
	if (ev->parent == xwm->screen->root) {
		if (!window)
			xwm_window_create(xwm, ev->window, ev->x, ev->y, 1, 1,
					  ev->override_redirect);
	} else {
		xwm_window_destroy(window);
	}
}

static void handle_error(struct xwm *xwm, xcb_generic_error_t *err)
{
	/* Mostly BadWindow for a window that went away under a request. */
	vsomm_log(VSOMM_LOG_DEBUG, "X error %u on request %u.%u (resource 0x%x)", err->error_code,
		  err->major_code, err->minor_code, err->resource_id);
	(void)xwm;
}

static void handle_event(struct xwm *xwm, xcb_generic_event_t *ev)
{
	uint8_t type = ev->response_type & 0x7f;

	/* Every event but errors and KeymapNotify names a window right after the sequence. */
	if (type > 1) {
		uint32_t window;
		memcpy(&window, (const uint8_t *)ev + 4, sizeof(window));
		vsomm_log(VSOMM_LOG_TRACE, "xwm: event %u%s on 0x%x", type,
			  ev->response_type & 0x80 ? " (sent)" : "", window);
	}
	if (type == 0) {
		handle_error(xwm, (xcb_generic_error_t *)ev);
		return;
	}
	if (xwm->xfixes_event_base &&
	    type == xwm->xfixes_event_base + XCB_XFIXES_SELECTION_NOTIFY) {
		handle_xfixes_event(xwm, ev);
		return;
	}
	if (xwm_selections_handle_event(xwm, ev))
		return;
	switch (type) {
	case XCB_CREATE_NOTIFY:
		handle_create_notify(xwm, (xcb_create_notify_event_t *)ev);
		break;
	case XCB_DESTROY_NOTIFY:
		handle_destroy_notify(xwm, (xcb_destroy_notify_event_t *)ev);
		break;
	case XCB_REPARENT_NOTIFY:
		handle_reparent_notify(xwm, (xcb_reparent_notify_event_t *)ev);
		break;
	case XCB_MAP_REQUEST:
		xwm_handle_map_request(xwm, (xcb_map_request_event_t *)ev);
		break;
	case XCB_MAP_NOTIFY:
		xwm_handle_map_notify(xwm, (xcb_map_notify_event_t *)ev);
		break;
	case XCB_UNMAP_NOTIFY:
		xwm_handle_unmap_notify(xwm, (xcb_unmap_notify_event_t *)ev);
		break;
	case XCB_CONFIGURE_REQUEST:
		xwm_handle_configure_request(xwm, (xcb_configure_request_event_t *)ev);
		break;
	case XCB_CONFIGURE_NOTIFY:
		xwm_handle_configure_notify(xwm, (xcb_configure_notify_event_t *)ev);
		break;
	case XCB_PROPERTY_NOTIFY:
		xwm_handle_property_notify(xwm, (xcb_property_notify_event_t *)ev);
		break;
	case XCB_CLIENT_MESSAGE:
		xwm_handle_client_message(xwm, (xcb_client_message_event_t *)ev);
		break;
	default:
		break;
	}
}

static void connection_died(struct xwm *xwm)
{
	if (xwm->dead)
		return;
	vsomm_log(VSOMM_LOG_INFO, "xwm: the X connection closed (error %d)",
		  xcb_connection_has_error(xwm->conn));
	xwm->dead = true;
	if (xwm->fd_source) {
		wl_event_source_remove(xwm->fd_source);
		xwm->fd_source = NULL;
	}
	xwm_windows_drop_roles(xwm);
}

/* Handle what is queued (queued_only) or readable; false when the budget
 * ran out (there may be events left). */
static bool dispatch_events(struct xwm *xwm, bool queued_only)
{
	for (; xwm->budget > 0; xwm->budget--) {
		if (xwm->dead)
			return true;
		xcb_generic_event_t *ev = queued_only ? xcb_poll_for_queued_event(xwm->conn)
						      : xcb_poll_for_event(xwm->conn);
		if (!ev) {
			if (xcb_connection_has_error(xwm->conn))
				connection_died(xwm);
			return true;
		}
		handle_event(xwm, ev);
		free(ev);
	}
	return false;
}

/* Events and replies, until neither is left (reading a reply may queue
 * events and the reverse); false when the budget ran out first. */
static bool dispatch(struct xwm *xwm, bool queued_only)
{
	for (;;) {
		if (!dispatch_events(xwm, queued_only))
			return false;
		if (!process_replies(xwm))
			return xwm->budget > 0 || wl_list_empty(&xwm->awaits);
		queued_only = true;
	}
}

static void run_pending(struct xwm *xwm)
{
	uint64_t now = xwm_now_ms();
	uint32_t wait = 0;
	struct xwm_window *window, *tmp;

	if (xwm->dead)
		return;
	if (!dispatch(xwm, true))
		wait = 1;
	wl_list_for_each_safe(window, tmp, &xwm->pending, pending_link) {
		uint32_t w = 0;
		if (!xwm_window_run_pending(window, now, &w)) {
			wl_list_remove(&window->pending_link);
			wl_list_init(&window->pending_link);
		} else if (w && (!wait || w < wait)) {
			wait = w;
		}
	}
	uint32_t w = 0;
	if (xwm_selections_run_pending(xwm, now, &w) && w && (!wait || w < wait))
		wait = w;
	if (wait)
		xwm_schedule_timer(xwm, wait);
	if (!xwm->dead && xcb_flush(xwm->conn) <= 0)
		connection_died(xwm);
}

static void handle_idle(void *data)
{
	struct xwm *xwm = data;

	xwm->idle = NULL;
	run_pending(xwm);
}

static int handle_timer(void *data)
{
	struct xwm *xwm = data;

	xwm->budget = EVENTS_PER_WAKEUP;
	run_pending(xwm);
	return 0;
}

void xwm_schedule(struct xwm *xwm)
{
	if (xwm->idle || xwm->dead)
		return;
	xwm->idle = wl_event_loop_add_idle(xwm->loop, handle_idle, xwm);
	if (!xwm->idle)
		xwm_schedule_timer(xwm, 1);
}

void xwm_schedule_timer(struct xwm *xwm, uint32_t ms)
{
	if (xwm->timer)
		wl_event_source_timer_update(xwm->timer, ms ? (int)ms : 1);
}

static int handle_x_fd(int fd, uint32_t mask, void *data)
{
	struct xwm *xwm = data;

	/* A hang-up shows as xcb's connection error once it read the EOF. */
	xwm->budget = EVENTS_PER_WAKEUP;
	if (!dispatch(xwm, false))
		xwm_schedule_timer(xwm, 1);
	xwm_schedule(xwm);
	return 0;
}

static bool intern_atoms(struct xwm *xwm)
{
	xcb_intern_atom_cookie_t cookies[ATOM_COUNT];

	for (size_t i = 0; i < ATOM_COUNT; i++)
		cookies[i] = xcb_intern_atom(xwm->conn, 0, (uint16_t)strlen(atom_names[i]),
					     atom_names[i]);
	bool ok = true;
	for (size_t i = 0; i < ATOM_COUNT; i++) {
		xcb_intern_atom_reply_t *reply = xcb_intern_atom_reply(xwm->conn, cookies[i], NULL);
		if (reply)
			xwm->atoms[i] = reply->atom;
		else
			ok = false;
		free(reply);
	}
	return ok;
}

static bool become_wm(struct xwm *xwm)
{
	xcb_connection_t *c = xwm->conn;
	xcb_window_t root = xwm->screen->root;
	uint32_t mask = XCB_EVENT_MASK_SUBSTRUCTURE_REDIRECT | XCB_EVENT_MASK_SUBSTRUCTURE_NOTIFY |
			XCB_EVENT_MASK_PROPERTY_CHANGE;
	xcb_generic_error_t *err = xcb_request_check(
		c, xcb_change_window_attributes_checked(c, root, XCB_CW_EVENT_MASK, &mask));
	if (err) {
		vsomm_log(VSOMM_LOG_ERROR, "xwm: another window manager runs on this display");
		free(err);
		return false;
	}

	/* Rootless Xwayland gives a wl_surface (WL_SURFACE_ID) only to the
	 * windows whose drawing is redirected by hand: the WM asks for it. */
	const xcb_query_extension_reply_t *composite = xcb_get_extension_data(c, &xcb_composite_id);
	if (!composite || !composite->present) {
		vsomm_log(VSOMM_LOG_ERROR, "xwm: the X server has no Composite extension");
		return false;
	}
	free(xcb_composite_query_version_reply(c, xcb_composite_query_version(c, 0, 4), NULL));
	xcb_composite_redirect_subwindows(c, root, XCB_COMPOSITE_REDIRECT_MANUAL);

	xwm->wm_window = xcb_generate_id(c);
	xcb_create_window(c, XCB_COPY_FROM_PARENT, xwm->wm_window, root, -1, -1, 1, 1, 0,
			  XCB_WINDOW_CLASS_INPUT_ONLY, XCB_COPY_FROM_PARENT, 0, NULL);
	static const char name[] = "vsomm";
	xcb_change_property(c, XCB_PROP_MODE_REPLACE, xwm->wm_window, xwm->atoms[ATOM_NET_WM_NAME],
			    xwm->atoms[ATOM_UTF8_STRING], 8, sizeof(name) - 1, name);
	xcb_change_property(c, XCB_PROP_MODE_REPLACE, xwm->wm_window,
			    xwm->atoms[ATOM_NET_SUPPORTING_WM_CHECK], XCB_ATOM_WINDOW, 32, 1,
			    &xwm->wm_window);
	xcb_change_property(c, XCB_PROP_MODE_REPLACE, root,
			    xwm->atoms[ATOM_NET_SUPPORTING_WM_CHECK], XCB_ATOM_WINDOW, 32, 1,
			    &xwm->wm_window);
	xcb_atom_t list[sizeof(supported) / sizeof(supported[0])];
	for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
		list[i] = xwm->atoms[supported[i]];
	xcb_change_property(c, XCB_PROP_MODE_REPLACE, root, xwm->atoms[ATOM_NET_SUPPORTED],
			    XCB_ATOM_ATOM, 32, sizeof(list) / sizeof(list[0]), list);
	xcb_window_t none = XCB_WINDOW_NONE;
	xcb_change_property(c, XCB_PROP_MODE_REPLACE, root, xwm->atoms[ATOM_NET_ACTIVE_WINDOW],
			    XCB_ATOM_WINDOW, 32, 1, &none);
	return true;
}

static bool init_xfixes(struct xwm *xwm)
{
	const xcb_query_extension_reply_t *ext = xcb_get_extension_data(xwm->conn, &xcb_xfixes_id);
	if (!ext || !ext->present)
		return false;
	xcb_xfixes_query_version_reply_t *version = xcb_xfixes_query_version_reply(
		xwm->conn, xcb_xfixes_query_version(xwm->conn, 4, 0), NULL);
	if (!version)
		return false;
	free(version);
	xwm->xfixes_event_base = ext->first_event;
	return true;
}

struct xwm *xwm_create(struct wl_event_loop *loop, struct proxy *proxy, struct wl_client *xwayland,
		       int wm_fd)
{
	struct xwm *xwm = calloc(1, sizeof(*xwm));
	if (!xwm) {
		close(wm_fd);
		return NULL;
	}
	xwm->loop = loop;
	xwm->proxy = proxy;
	xwm->client = xwayland;
	for (size_t i = 0; i < XWM_WINDOW_BUCKETS; i++)
		wl_list_init(&xwm->windows[i]);
	wl_list_init(&xwm->zombies);
	wl_list_init(&xwm->pending);
	wl_list_init(&xwm->awaits);
	for (size_t i = 0; i < XWM_SELECTIONS; i++) {
		wl_list_init(&xwm->selections[i].to_host);
		wl_list_init(&xwm->selections[i].to_x);
	}

	/* xcb closes wm_fd on every failure but a negative fd. */
	xwm->conn = xcb_connect_to_fd(wm_fd, NULL);
	if (xcb_connection_has_error(xwm->conn)) {
		vsomm_log(VSOMM_LOG_ERROR, "xwm: cannot use the window manager connection");
		goto err;
	}
	xwm->screen = xcb_setup_roots_iterator(xcb_get_setup(xwm->conn)).data;
	if (!xwm->screen || !intern_atoms(xwm)) {
		vsomm_log(VSOMM_LOG_ERROR, "xwm: the X server does not answer");
		goto err;
	}
	if (!init_xfixes(xwm))
		vsomm_log(VSOMM_LOG_INFO, "xwm: no XFixes: selections are not bridged");
	if (!become_wm(xwm))
		goto err;
	xwm->timer = wl_event_loop_add_timer(loop, handle_timer, xwm);
	xwm->fd_source = wl_event_loop_add_fd(loop, xcb_get_file_descriptor(xwm->conn),
					      WL_EVENT_READABLE, handle_x_fd, xwm);
	if (!xwm->timer || !xwm->fd_source)
		goto err;
	if (xwm->xfixes_event_base && !xwm_selections_init(xwm))
		vsomm_log(VSOMM_LOG_INFO, "xwm: selections are not bridged");
	/* ICCCM 2.8: the window manager owns WM_Sn.  Last: Xwayland serves
	 * X clients from then on (there is no window to adopt before). */
	xcb_set_selection_owner(xwm->conn, xwm->wm_window, xwm->atoms[ATOM_WM_S0],
				XCB_CURRENT_TIME);
	if (xcb_flush(xwm->conn) <= 0)
		goto err;
	xwm_schedule(xwm);
	vsomm_log(VSOMM_LOG_DEBUG, "xwm: managing the X display");
	return xwm;

err:
	xwm_destroy(xwm);
	return NULL;
}

void xwm_destroy(struct xwm *xwm)
{
	if (!xwm)
		return;
	if (xwm->idle)
		wl_event_source_remove(xwm->idle);
	if (xwm->timer)
		wl_event_source_remove(xwm->timer);
	if (xwm->fd_source)
		wl_event_source_remove(xwm->fd_source);
	xwm->idle = xwm->timer = xwm->fd_source = NULL;
	xwm->dead = true; /* no more scheduling from the teardown below */
	xwm_selections_finish(xwm);
	while (!wl_list_empty(&xwm->awaits)) {
		struct await *a = wl_container_of(xwm->awaits.next, a, link);
		wl_list_remove(&a->link);
		free(a);
	}
	xwm_windows_finish(xwm);
	if (xwm->conn)
		xcb_disconnect(xwm->conn);
	free(xwm);
}
