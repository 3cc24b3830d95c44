/* SPDX-License-Identifier: MIT */
/*
 * The X windows of vsomm's window manager and their roles on the host.
 *
 * Only the root's children are windows here (nothing is reparented: there
 * are no frames).  A window gets its role once three things are true: it is
 * mapped (MapNotify), Xwayland named its wl_surface (WL_SURFACE_ID), and the
 * proxy has seen that wl_surface (proxy_window_* returns NULL until it has).
 * The first two come in either order on the X connection, the third on
 * Xwayland's Wayland connection, so the association is deferred work: tried
 * from the idle of the loop iteration in which the last event came, then
 * every few milliseconds for ASSOCIATE_TIMEOUT_MS.  A window mapped and
 * unmapped within one batch of events never reaches the host.
 *
 * Roles:
 *   managed windows (MapRequest)  a toplevel: title, app_id, parent
 *       (WM_TRANSIENT_FOR, when the target has a toplevel role and that makes
 *       no loop), size limits, fullscreen and maximized both ways;
 *   override-redirect windows     a child (menus, tooltips, drop-downs) of a
 *       toplevel chosen as: the toplevel its WM_TRANSIENT_FOR names (through
 *       a chain of override-redirect windows), else the toplevel the host
 *       activated last (the one the user is clicking in when a menu opens),
 *       else the toplevel that got its role last.  Its position is its root
 *       position minus the parent's: X windows are not moved by the WM, so
 *       Xwayland's root coordinates of the pointer over a surface are the
 *       surface coordinates plus the X window's position.
 *
 * Hostile clients: every property goes through props.c; WM_NAME changes are
 * coalesced (one read and at most one host update per TITLE_INTERVAL_MS per
 * window); transient-for loops are refused; a map/unmap loop costs a role per
 * loop iteration at most; WL_SURFACE_ID is honoured only from the server
 * itself (a SendEvent copy has the synthetic bit).
 */
#include "proxy/xwm/xwm-private.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define ASSOCIATE_RETRY_MS 2
#define ASSOCIATE_TIMEOUT_MS 5000
#define TITLE_INTERVAL_MS 20
#define PARENT_DEPTH_MAX 64
#define X_SIZE_MAX 32767

/* ICCCM 4.1.3.1 WM_STATE.state */
#define WM_STATE_WITHDRAWN 0
#define WM_STATE_NORMAL 1
#define WM_STATE_ICONIC 3

/* EWMH _NET_WM_STATE actions */
#define NET_WM_STATE_REMOVE 0
#define NET_WM_STATE_ADD 1
#define NET_WM_STATE_TOGGLE 2

enum prop {
	PROP_NET_WM_NAME,
	PROP_WM_NAME,
	PROP_WM_CLASS,
	PROP_TRANSIENT_FOR,
	PROP_NORMAL_HINTS,
	PROP_HINTS,
	PROP_PROTOCOLS,
	PROP_NET_WM_STATE,
	PROP_COUNT,
};

#define PROPS_TITLE ((1u << PROP_NET_WM_NAME) | (1u << PROP_WM_NAME))
#define PROPS_ALL ((1u << PROP_COUNT) - 1)

static xcb_atom_t prop_atom(struct xwm *xwm, enum prop p)
{
	switch (p) {
	case PROP_NET_WM_NAME:
		return xwm->atoms[ATOM_NET_WM_NAME];
	case PROP_WM_NAME:
		return XCB_ATOM_WM_NAME;
	case PROP_WM_CLASS:
		return XCB_ATOM_WM_CLASS;
	case PROP_TRANSIENT_FOR:
		return XCB_ATOM_WM_TRANSIENT_FOR;
	case PROP_NORMAL_HINTS:
		return XCB_ATOM_WM_NORMAL_HINTS;
	case PROP_HINTS:
		return XCB_ATOM_WM_HINTS;
	case PROP_PROTOCOLS:
		return xwm->atoms[ATOM_WM_PROTOCOLS];
	case PROP_NET_WM_STATE:
		return xwm->atoms[ATOM_NET_WM_STATE];
	case PROP_COUNT:
		break;
	}
	return XCB_ATOM_NONE;
}

static unsigned bucket(xcb_window_t id)
{
	return (id ^ id >> 8) % XWM_WINDOW_BUCKETS;
}

struct xwm_window *xwm_window_lookup(struct xwm *xwm, xcb_window_t id)
{
	struct xwm_window *w;

	if (id == XCB_WINDOW_NONE)
		return NULL;
	wl_list_for_each(w, &xwm->windows[bucket(id)], link) {
		if (w->id == id)
			return w;
	}
	return NULL;
}

#define for_each_window(xwm, i, w)                      \
	for (size_t i = 0; i < XWM_WINDOW_BUCKETS; i++) \
		wl_list_for_each(w, &(xwm)->windows[i], link)

static void mark_pending(struct xwm_window *w)
{
	if (wl_list_empty(&w->pending_link))
		wl_list_insert(w->xwm->pending.prev, &w->pending_link);
	xwm_schedule(w->xwm);
}

static void want_role(struct xwm_window *w)
{
	if (!w->mapped || !w->surface_id || w->role)
		return;
	if (!w->associate_since_ms)
		w->associate_since_ms = xwm_now_ms();
	mark_pending(w);
}

/* ---- X side ---- */

static void set_wm_state(struct xwm_window *w, uint32_t state)
{
	uint32_t value[2] = {state, XCB_WINDOW_NONE};
	xcb_change_property(w->xwm->conn, XCB_PROP_MODE_REPLACE, w->id,
			    w->xwm->atoms[ATOM_WM_STATE], w->xwm->atoms[ATOM_WM_STATE], 32, 2,
			    value);
}

static void set_frame_extents(struct xwm_window *w)
{
	static const uint32_t zero[4] = {0, 0, 0, 0};
	xcb_change_property(w->xwm->conn, XCB_PROP_MODE_REPLACE, w->id,
			    w->xwm->atoms[ATOM_NET_FRAME_EXTENTS], XCB_ATOM_CARDINAL, 32, 4, zero);
}

static void write_net_wm_state(struct xwm_window *w)
{
	struct xwm *xwm = w->xwm;
	xcb_atom_t list[3];
	uint32_t n = 0;

	if (w->want_fullscreen)
		list[n++] = xwm->atoms[ATOM_NET_WM_STATE_FULLSCREEN];
	if (w->want_maximized) {
		list[n++] = xwm->atoms[ATOM_NET_WM_STATE_MAXIMIZED_VERT];
		list[n++] = xwm->atoms[ATOM_NET_WM_STATE_MAXIMIZED_HORZ];
	}
	xcb_change_property(xwm->conn, XCB_PROP_MODE_REPLACE, w->id, xwm->atoms[ATOM_NET_WM_STATE],
			    XCB_ATOM_ATOM, 32, n, list);
}

static void send_synthetic_configure(struct xwm_window *w)
{
	/* SendEvent takes 32 bytes; the event struct is shorter. */
	union {
		xcb_configure_notify_event_t ev;
		char bytes[32];
	} u = {.ev = {
		       .response_type = XCB_CONFIGURE_NOTIFY,
		       .event = w->id,
		       .window = w->id,
		       .above_sibling = XCB_WINDOW_NONE,
		       .x = (int16_t)w->x,
		       .y = (int16_t)w->y,
		       .width = (uint16_t)w->width,
		       .height = (uint16_t)w->height,
	       }};
	xcb_send_event(w->xwm->conn, 0, w->id, XCB_EVENT_MASK_STRUCTURE_NOTIFY, u.bytes);
}

static void set_active_window(struct xwm *xwm, xcb_window_t id)
{
	xcb_change_property(xwm->conn, XCB_PROP_MODE_REPLACE, xwm->screen->root,
			    xwm->atoms[ATOM_NET_ACTIVE_WINDOW], XCB_ATOM_WINDOW, 32, 1, &id);
}

/* ICCCM 4.1.7: the four input models, from WM_HINTS.input and WM_TAKE_FOCUS. */
static void focus_window(struct xwm *xwm, struct xwm_window *w)
{
	xwm->focus = w;
	if (xwm->dead)
		return;
	if (!w) {
		xcb_set_input_focus(xwm->conn, XCB_INPUT_FOCUS_POINTER_ROOT, XCB_WINDOW_NONE,
				    XCB_CURRENT_TIME);
		set_active_window(xwm, XCB_WINDOW_NONE);
		return;
	}
	if (w->wm_hints.input)
		xcb_set_input_focus(xwm->conn, XCB_INPUT_FOCUS_POINTER_ROOT, w->id,
				    XCB_CURRENT_TIME);
	if (w->take_focus) {
		uint32_t data[5] = {xwm->atoms[ATOM_WM_TAKE_FOCUS], XCB_CURRENT_TIME};
		xwm_send_client_message(xwm, w->id, xwm->atoms[ATOM_WM_PROTOCOLS], 0, data);
	}
	set_active_window(xwm, w->id);
}

/* ---- roles ---- */

static void drop_role(struct xwm_window *w)
{
	struct xwm *xwm = w->xwm;
	struct xwm_window *other;

	if (!w->role)
		return;
	for_each_window(xwm, i, other)
	{
		if (other->parent != w)
			continue;
		other->parent = NULL;
		if (other->role_is_toplevel) {
			proxy_window_set_parent(other->role, NULL);
		} else {
			/* A child cannot outlive its parent's role: it finds another. */
			drop_role(other);
			want_role(other);
		}
	}
	proxy_window_destroy(w->role);
	w->role = NULL;
	w->role_gone = false;
	w->parent = NULL;
	if (xwm->focus == w)
		xwm->focus = NULL;
}

/* Is w among p's ancestors (or p itself)? */
static bool is_ancestor(const struct xwm_window *w, const struct xwm_window *p)
{
	for (int depth = 0; p && depth < PARENT_DEPTH_MAX; depth++, p = p->parent) {
		if (p == w)
			return true;
	}
	return p != NULL; /* too deep: treat as a loop */
}

static void update_toplevel_parent(struct xwm_window *w)
{
	struct xwm_window *p = xwm_window_lookup(w->xwm, w->transient_for);

	if (!w->role || !w->role_is_toplevel)
		return;
	if (p && (!p->role || !p->role_is_toplevel || is_ancestor(w, p)))
		p = NULL;
	if (p == w->parent)
		return;
	w->parent = p;
	proxy_window_set_parent(w->role, p ? p->role : NULL);
}

static void send_title(struct xwm_window *w)
{
	if (w->role && w->role_is_toplevel && w->title)
		proxy_window_set_title(w->role, w->title);
}

static void send_app_id(struct xwm_window *w)
{
	if (w->role && w->role_is_toplevel && w->app_id)
		proxy_window_set_app_id(w->role, w->app_id);
}

static void send_size_hints(struct xwm_window *w)
{
	if (!w->role || !w->role_is_toplevel)
		return;
	proxy_window_set_min_size(w->role, w->size_hints.min_width, w->size_hints.min_height);
	proxy_window_set_max_size(w->role, w->size_hints.max_width, w->size_hints.max_height);
}

static void handle_toplevel_configure(void *data, int32_t width, int32_t height, uint32_t states)
{
	struct xwm_window *w = data;
	struct xwm *xwm = w->xwm;
	const uint32_t big = PROXY_WINDOW_MAXIMIZED | PROXY_WINDOW_FULLSCREEN;
	uint32_t old_states = w->host_states;
	bool resized = false;

	if (xwm->dead)
		return;
	w->host_states = states;
	/* Leaving maximized or fullscreen with "you choose" (0×0): the size
	 * from before, as X clients expect of a window manager. */
	if ((states & big) && !(old_states & big)) {
		w->saved_width = w->width;
		w->saved_height = w->height;
	} else if (!(states & big) && (old_states & big) && (width <= 0 || height <= 0)) {
		width = w->saved_width;
		height = w->saved_height;
	}
	if (width > 0 && height > 0) {
		uint32_t size[2] = {
			(uint32_t)(width < X_SIZE_MAX ? width : X_SIZE_MAX),
			(uint32_t)(height < X_SIZE_MAX ? height : X_SIZE_MAX),
		};
		if ((int32_t)size[0] != w->width || (int32_t)size[1] != w->height) {
			xcb_configure_window(xwm->conn, w->id,
					     XCB_CONFIG_WINDOW_WIDTH | XCB_CONFIG_WINDOW_HEIGHT,
					     size);
			resized = true;
		}
	}
	/* The host applies a configure's states with the next commit; a
	 * window whose size does not change would not commit: have it
	 * redraw (Expose), which Xwayland commits. */
	if (!resized && states != old_states)
		xcb_clear_area(xwm->conn, 1, w->id, 0, 0, 0, 0);
	bool fullscreen = states & PROXY_WINDOW_FULLSCREEN;
	bool maximized = states & PROXY_WINDOW_MAXIMIZED;
	if (fullscreen != w->want_fullscreen || maximized != w->want_maximized) {
		w->want_fullscreen = fullscreen;
		w->want_maximized = maximized;
		write_net_wm_state(w);
	}
	if (states & PROXY_WINDOW_ACTIVATED) {
		if (xwm->focus != w)
			focus_window(xwm, w);
	} else if (xwm->focus == w) {
		focus_window(xwm, NULL);
	}
	xwm_schedule(xwm);
}

static void handle_toplevel_close(void *data)
{
	struct xwm_window *w = data;
	struct xwm *xwm = w->xwm;

	if (xwm->dead)
		return;
	if (w->delete_window) {
		uint32_t msg[5] = {xwm->atoms[ATOM_WM_DELETE_WINDOW], XCB_CURRENT_TIME};
		xwm_send_client_message(xwm, w->id, xwm->atoms[ATOM_WM_PROTOCOLS], 0, msg);
	} else {
		xcb_kill_client(xwm->conn, w->id);
	}
	xwm_schedule(xwm);
}

static void handle_surface_gone(void *data)
{
	struct xwm_window *w = data;

	/* Not from inside the proxy's callback: from the idle. */
	w->role_gone = true;
	mark_pending(w);
}

static const struct proxy_window_listener toplevel_listener = {
	.configure = handle_toplevel_configure,
	.close = handle_toplevel_close,
	.surface_gone = handle_surface_gone,
};

static const struct proxy_window_listener child_listener = {
	.surface_gone = handle_surface_gone,
};

static struct xwm_window *child_parent(struct xwm_window *w)
{
	struct xwm *xwm = w->xwm;
	struct xwm_window *p = w, *best = NULL, *other;

	/* WM_TRANSIENT_FOR, through override-redirect windows, to a toplevel. */
	for (int depth = 0; depth < PARENT_DEPTH_MAX && p->transient_for; depth++) {
		p = xwm_window_lookup(xwm, p->transient_for);
		if (!p || p == w)
			break;
		if (p->role && p->role_is_toplevel)
			return p;
	}
	if (xwm->focus && xwm->focus->role && xwm->focus->role_is_toplevel)
		return xwm->focus;
	for_each_window(xwm, i, other)
	{
		if (other->role && other->role_is_toplevel &&
		    (!best || other->role_serial > best->role_serial))
			best = other;
	}
	return best;
}

static bool associate(struct xwm_window *w)
{
	struct xwm *xwm = w->xwm;
	struct xwm_window *other;

	if (!w->override_redirect) {
		w->role = proxy_window_toplevel(xwm->proxy, xwm->client, w->surface_id,
						&toplevel_listener, w);
		if (!w->role)
			return false;
		w->role_is_toplevel = true;
		w->role_serial = ++xwm->map_serial;
		send_title(w);
		send_app_id(w);
		send_size_hints(w);
		update_toplevel_parent(w);
		if (w->want_maximized)
			proxy_window_set_maximized(w->role, true);
		if (w->want_fullscreen)
			proxy_window_set_fullscreen(w->role, true);
		/* Its transients that were waiting for it. */
		for_each_window(xwm, i, other)
		{
			if (other != w && other->transient_for == w->id)
				update_toplevel_parent(other);
		}
		vsomm_log(VSOMM_LOG_DEBUG, "xwm: window 0x%x: toplevel on surface %u", w->id,
			  w->surface_id);
		return true;
	}
	struct xwm_window *p = child_parent(w);
	if (!p)
		return false;
	w->role = proxy_window_child(xwm->proxy, xwm->client, w->surface_id, p->role, w->x - p->x,
				     w->y - p->y, &child_listener, w);
	if (!w->role)
		return false;
	w->role_is_toplevel = false;
	w->role_serial = ++xwm->map_serial;
	w->parent = p;
	proxy_window_raise(w->role);
	vsomm_log(VSOMM_LOG_DEBUG, "xwm: window 0x%x: child of 0x%x at %d,%d on surface %u", w->id,
		  p->id, w->x - p->x, w->y - p->y, w->surface_id);
	return true;
}

/* ---- properties ---- */

static void apply_property(struct xwm_window *w, enum prop which, const struct xwm_prop *prop)
{
	struct xwm *xwm = w->xwm;
	uint32_t atoms[64];
	size_t n;

	switch (which) {
	case PROP_NET_WM_NAME:
		/* Always read just before WM_NAME, which decides. */
		free(w->net_wm_name);
		w->net_wm_name = xwm_prop_text(prop, xwm->atoms[ATOM_UTF8_STRING], XWM_TEXT_UTF8);
		break;
	case PROP_WM_NAME: {
		/* _NET_WM_NAME wins (EWMH); WM_NAME is a STRING (props.h) unless it
		 * says UTF8_STRING. */
		char *title = w->net_wm_name;
		w->net_wm_name = NULL;
		if (!title)
			title = xwm_prop_text(prop, 0,
					      prop->type == xwm->atoms[ATOM_UTF8_STRING]
						      ? XWM_TEXT_UTF8
						      : XWM_TEXT_STRING);
		if (title && w->title && strcmp(title, w->title) == 0) {
			free(title);
			break;
		}
		if (!title)
			break; /* keep the last one: a title is never taken away */
		free(w->title);
		w->title = title;
		send_title(w);
		break;
	}
	case PROP_WM_CLASS: {
		char *class_name = NULL;
		if (xwm_prop_wm_class(prop, NULL, &class_name) && class_name[0]) {
			free(w->app_id);
			w->app_id = class_name;
			send_app_id(w);
		} else {
			free(class_name);
		}
		break;
	}
	case PROP_TRANSIENT_FOR: {
		uint32_t id = XCB_WINDOW_NONE;
		if (!xwm_prop_card32(prop, XCB_ATOM_WINDOW, &id) || id == w->id)
			id = XCB_WINDOW_NONE;
		w->transient_for = id;
		update_toplevel_parent(w);
		break;
	}
	case PROP_NORMAL_HINTS:
		xwm_prop_size_hints(prop, &w->size_hints);
		send_size_hints(w);
		break;
	case PROP_HINTS:
		xwm_prop_wm_hints(prop, &w->wm_hints);
		break;
	case PROP_PROTOCOLS:
		w->delete_window = w->take_focus = false;
		if (xwm_prop_card32_list(prop, XCB_ATOM_ATOM, atoms, 64, &n)) {
			for (size_t i = 0; i < n; i++) {
				if (atoms[i] == xwm->atoms[ATOM_WM_DELETE_WINDOW])
					w->delete_window = true;
				else if (atoms[i] == xwm->atoms[ATOM_WM_TAKE_FOCUS])
					w->take_focus = true;
			}
		}
		break;
	case PROP_NET_WM_STATE:
		/* Read at map time only: afterwards the WM owns it (EWMH). */
		w->want_fullscreen = w->want_maximized = false;
		if (xwm_prop_card32_list(prop, XCB_ATOM_ATOM, atoms, 64, &n)) {
			for (size_t i = 0; i < n; i++) {
				if (atoms[i] == xwm->atoms[ATOM_NET_WM_STATE_FULLSCREEN])
					w->want_fullscreen = true;
				else if (atoms[i] == xwm->atoms[ATOM_NET_WM_STATE_MAXIMIZED_VERT] ||
					 atoms[i] == xwm->atoms[ATOM_NET_WM_STATE_MAXIMIZED_HORZ])
					w->want_maximized = true;
			}
		}
		break;
	case PROP_COUNT:
		break;
	}
}

static void finish_map_request(struct xwm_window *w)
{
	/* Rootless Xwayland's surface includes the X border: a border would
	 * make the surface larger than a maximized or fullscreen configure
	 * allows (a protocol error on the host), and there are no frames. */
	uint32_t border = 0;
	xcb_configure_window(w->xwm->conn, w->id, XCB_CONFIG_WINDOW_BORDER_WIDTH, &border);
	w->managed = true;
	set_wm_state(w, WM_STATE_NORMAL);
	set_frame_extents(w);
	write_net_wm_state(w);
	xcb_map_window(w->xwm->conn, w->id);
	w->map_reading = false;
	xwm_schedule(w->xwm);
}

#define READ_THEN_MAP (1u << 8)

static void handle_property_reply(struct xwm *xwm, void *reply, void *data, uint32_t arg)
{
	struct xwm_window *w = data;
	struct xwm_prop prop;

	w->reads_in_flight--;
	if (w->destroyed) {
		/* Its last reply frees it (see xwm_window_destroy). */
		if (w->reads_in_flight == 0) {
			wl_list_remove(&w->link);
			free(w);
		}
		return;
	}
	xwm_prop_from_reply(reply, &prop);
	apply_property(w, (enum prop)(arg & 0xff), &prop);
	if (arg & READ_THEN_MAP)
		finish_map_request(w);
	if (w->reads_in_flight == 0 && w->associate_since_ms)
		mark_pending(w); /* it waited for these to get its role */
}

/* Ask for the properties in `mask`; they are applied as the replies come.
 * then_map: map the window once they all are (MapRequest). */
static void read_properties(struct xwm_window *w, uint32_t mask, bool then_map)
{
	struct xwm *xwm = w->xwm;
	int last = -1;

	if (xwm->dead)
		return;
	/* The title is one decision over two properties. */
	if (mask & PROPS_TITLE)
		mask |= PROPS_TITLE;
	for (int p = 0; p < PROP_COUNT; p++) {
		if (mask & (1u << p))
			last = p;
	}
	for (int p = 0; p < PROP_COUNT; p++) {
		if (!(mask & (1u << p)))
			continue;
		xcb_get_property_cookie_t cookie = xwm_request_property(
			xwm, w->id, prop_atom(xwm, (enum prop)p));
		w->reads_in_flight++;
		xwm_await(xwm, cookie.sequence, handle_property_reply, w,
			  (uint32_t)p | (p == last && then_map ? READ_THEN_MAP : 0));
	}
	if (last < 0 && then_map)
		finish_map_request(w);
}

/* ---- lifetime ---- */

struct xwm_window *xwm_window_create(struct xwm *xwm, xcb_window_t id, int32_t x, int32_t y,
				     int32_t width, int32_t height, bool override_redirect)
{
	struct xwm_window *w = calloc(1, sizeof(*w));
	if (!w) {
		vsomm_log(VSOMM_LOG_ERROR, "xwm: out of memory for window 0x%x", id);
		return NULL;
	}
	w->xwm = xwm;
	w->id = id;
	w->x = x;
	w->y = y;
	w->width = width;
	w->height = height;
	w->override_redirect = override_redirect;
	w->wm_hints.input = true;
	wl_list_init(&w->pending_link);
	wl_list_insert(&xwm->windows[bucket(id)], &w->link);
	/* Its PropertyNotify events are selected from the idle: a window
	 * created and destroyed within one batch of events (a client creating
	 * windows in a loop) costs no request and no BadWindow.  A property set
	 * meanwhile is read anyway when the window maps. */
	w->select_input = true;
	mark_pending(w);
	return w;
}

void xwm_window_destroy(struct xwm_window *w)
{
	if (!w)
		return;
	struct xwm *xwm = w->xwm;
	drop_role(w);
	if (xwm->focus == w)
		xwm->focus = NULL;
	wl_list_remove(&w->pending_link);
	wl_list_init(&w->pending_link);
	wl_list_remove(&w->link);
	free(w->title);
	free(w->net_wm_name);
	free(w->app_id);
	if (w->reads_in_flight) {
		/* Its replies come, in order, with the others: it waits for
		 * them as a zombie rather than cancelling them, which would
		 * walk every reply awaited (a client creating, mapping and
		 * destroying windows in a loop made that quadratic). */
		w->destroyed = true;
		w->title = w->net_wm_name = w->app_id = NULL;
		wl_list_insert(&xwm->zombies, &w->link);
		return;
	}
	free(w);
}

void xwm_windows_finish(struct xwm *xwm)
{
	for (size_t i = 0; i < XWM_WINDOW_BUCKETS; i++) {
		while (!wl_list_empty(&xwm->windows[i])) {
			struct xwm_window *w = wl_container_of(xwm->windows[i].next, w, link);
			xwm_window_destroy(w);
		}
	}
	/* The replies they waited for are dropped with the XWM. */
	while (!wl_list_empty(&xwm->zombies)) {
		struct xwm_window *w = wl_container_of(xwm->zombies.next, w, link);
		wl_list_remove(&w->link);
		free(w);
	}
}

void xwm_windows_drop_roles(struct xwm *xwm)
{
	struct xwm_window *w;

	for_each_window(xwm, i, w) drop_role(w);
}

bool xwm_window_run_pending(struct xwm_window *w, uint64_t now, uint32_t *wait_ms)
{
	bool more = false;

	*wait_ms = 0;
	if (w->select_input && !w->xwm->dead) {
		uint32_t mask = XCB_EVENT_MASK_PROPERTY_CHANGE;
		xcb_change_window_attributes(w->xwm->conn, w->id, XCB_CW_EVENT_MASK, &mask);
		w->select_input = false;
	}
	if (w->map_requested) {
		/* Mapped once its properties are known, so that its role
		 * starts with them; they are all read, the changes seen before
		 * included. */
		w->map_requested = false;
		w->map_reading = true;
		w->dirty_props = 0;
		read_properties(w, PROPS_ALL, true);
	}
	if (w->role_gone) {
		drop_role(w);
		w->surface_id = 0; /* Xwayland names the next one */
	}
	/* Titles at most every TITLE_INTERVAL_MS (a client may rename its
	 * window thousands of times a second). */
	uint32_t read = w->dirty_props & ~PROPS_TITLE;
	if (w->dirty_props & PROPS_TITLE) {
		uint64_t next = w->title_sent_ms + TITLE_INTERVAL_MS;
		if (now >= next) {
			read |= PROPS_TITLE;
			w->title_sent_ms = now;
		} else {
			more = true;
			*wait_ms = (uint32_t)(next - now);
		}
	}
	w->dirty_props &= ~read;
	if (read)
		read_properties(w, read, false);
	/* Its role is given with what the properties say (parent, title). */
	if (w->mapped && w->surface_id && !w->role && w->associate_since_ms &&
	    !w->reads_in_flight) {
		if (associate(w)) {
			w->associate_since_ms = 0;
		} else if (now - w->associate_since_ms > ASSOCIATE_TIMEOUT_MS) {
			vsomm_log(VSOMM_LOG_INFO, "xwm: window 0x%x: no role for surface %u", w->id,
				  w->surface_id);
			w->associate_since_ms = 0;
		} else {
			more = true;
			*wait_ms = ASSOCIATE_RETRY_MS;
		}
	}
	return more;
}

/* ---- events ---- */

void xwm_handle_map_request(struct xwm *xwm, xcb_map_request_event_t *ev)
{
	struct xwm_window *w = xwm_window_lookup(xwm, ev->window);

	if (!w) {
		/* A window we did not see created (not the root's child then). */
		xcb_map_window(xwm->conn, ev->window);
		return;
	}
	/* From the idle: a window destroyed meanwhile costs nothing, and the
	 * MapRequests of a client mapping in a loop while the reads are
	 * awaited change nothing (it is mapped when they come). */
	if (w->map_reading)
		return;
	w->map_requested = true;
	mark_pending(w);
}

void xwm_handle_map_notify(struct xwm *xwm, xcb_map_notify_event_t *ev)
{
	struct xwm_window *w = xwm_window_lookup(xwm, ev->window);

	if (!w)
		return;
	w->mapped = true;
	if (w->override_redirect != (bool)ev->override_redirect) {
		drop_role(w);
		w->override_redirect = ev->override_redirect;
	}
	/* Read from the idle, before the role is given: a burst of maps and
	 * unmaps costs one round trip, not one per map. */
	if (w->override_redirect)
		w->dirty_props |= 1u << PROP_TRANSIENT_FOR;
	else if (!w->managed)
		w->dirty_props |= PROPS_ALL; /* mapped before the WM started */
	want_role(w);
	if (w->dirty_props)
		mark_pending(w);
}

void xwm_handle_unmap_notify(struct xwm *xwm, xcb_unmap_notify_event_t *ev)
{
	struct xwm_window *w = xwm_window_lookup(xwm, ev->window);

	if (!w)
		return;
	w->mapped = false;
	w->associate_since_ms = 0;
	w->surface_id = 0;
	drop_role(w);
	if (w->managed) {
		w->managed = false;
		set_wm_state(w, WM_STATE_WITHDRAWN);
	}
}

void xwm_handle_configure_request(struct xwm *xwm, xcb_configure_request_event_t *ev)
{
	struct xwm_window *w = xwm_window_lookup(xwm, ev->window);
	uint32_t values[6];
	uint16_t mask = 0;
	int n = 0;

	/* The host decides the size of maximized and fullscreen windows:
	 * ICCCM 4.1.5 says a refused request gets the current geometry. */
	if (w && w->role && w->role_is_toplevel &&
	    (w->host_states & (PROXY_WINDOW_MAXIMIZED | PROXY_WINDOW_FULLSCREEN))) {
		send_synthetic_configure(w);
		return;
	}
	if (ev->value_mask & XCB_CONFIG_WINDOW_X) {
		mask |= XCB_CONFIG_WINDOW_X;
		values[n++] = (uint32_t)(int32_t)ev->x;
	}
	if (ev->value_mask & XCB_CONFIG_WINDOW_Y) {
		mask |= XCB_CONFIG_WINDOW_Y;
		values[n++] = (uint32_t)(int32_t)ev->y;
	}
	if (ev->value_mask & XCB_CONFIG_WINDOW_WIDTH) {
		mask |= XCB_CONFIG_WINDOW_WIDTH;
		values[n++] = ev->width ? ev->width : 1;
	}
	if (ev->value_mask & XCB_CONFIG_WINDOW_HEIGHT) {
		mask |= XCB_CONFIG_WINDOW_HEIGHT;
		values[n++] = ev->height ? ev->height : 1;
	}
	/* Border width: no frames, no borders; stacking only matters on X. */
	if ((ev->value_mask & XCB_CONFIG_WINDOW_SIBLING) &&
	    (ev->value_mask & XCB_CONFIG_WINDOW_STACK_MODE)) {
		mask |= XCB_CONFIG_WINDOW_SIBLING;
		values[n++] = ev->sibling;
	}
	if (ev->value_mask & XCB_CONFIG_WINDOW_STACK_MODE) {
		mask |= XCB_CONFIG_WINDOW_STACK_MODE;
		values[n++] = ev->stack_mode;
	}
	if (mask)
		xcb_configure_window(xwm->conn, ev->window, mask, values);
	else if (w)
		send_synthetic_configure(w);
}

static void update_child_position(struct xwm_window *w)
{
	if (w->role && !w->role_is_toplevel && w->parent)
		proxy_window_set_position(w->role, w->x - w->parent->x, w->y - w->parent->y);
}

void xwm_handle_configure_notify(struct xwm *xwm, xcb_configure_notify_event_t *ev)
{
	struct xwm_window *w = xwm_window_lookup(xwm, ev->window);
	struct xwm_window *other;

	if (!w)
		return;
	bool moved = w->x != ev->x || w->y != ev->y;
	w->x = ev->x;
	w->y = ev->y;
	w->width = ev->width;
	w->height = ev->height;
	if (!w->role)
		goto out;
	if (!w->role_is_toplevel) {
		if (moved)
			update_child_position(w);
		if (ev->above_sibling != w->above)
			proxy_window_raise(w->role);
	} else if (moved) {
		for_each_window(xwm, i, other)
		{
			if (other->parent == w)
				update_child_position(other);
		}
	}
out:
	w->above = ev->above_sibling;
}

void xwm_handle_property_notify(struct xwm *xwm, xcb_property_notify_event_t *ev)
{
	struct xwm_window *w = xwm_window_lookup(xwm, ev->window);

	if (!w)
		return;
	for (int p = 0; p < PROP_COUNT; p++) {
		if (ev->atom != prop_atom(xwm, p))
			continue;
		/* Read from the idle: any number of changes in one batch of
		 * events cost one read. */
		if (p != PROP_NET_WM_STATE) {
			w->dirty_props |= 1u << p;
			mark_pending(w);
		}
		return;
	}
}

static bool apply_state_action(uint32_t action, bool current)
{
	switch (action) {
	case NET_WM_STATE_REMOVE:
		return false;
	case NET_WM_STATE_ADD:
		return true;
	case NET_WM_STATE_TOGGLE:
		return !current;
	default:
		return current;
	}
}

static void handle_net_wm_state(struct xwm_window *w, const uint32_t *data)
{
	struct xwm *xwm = w->xwm;
	bool fullscreen = w->want_fullscreen, maximized = w->want_maximized;
	bool max_seen = false;

	for (int i = 1; i <= 2; i++) {
		if (data[i] == xwm->atoms[ATOM_NET_WM_STATE_FULLSCREEN]) {
			fullscreen = apply_state_action(data[0], w->want_fullscreen);
		} else if (!max_seen && (data[i] == xwm->atoms[ATOM_NET_WM_STATE_MAXIMIZED_VERT] ||
					 data[i] == xwm->atoms[ATOM_NET_WM_STATE_MAXIMIZED_HORZ])) {
			/* Both halves usually come in one message: one change. */
			max_seen = true;
			maximized = apply_state_action(data[0], w->want_maximized);
		}
	}
	if (w->role && w->role_is_toplevel) {
		/* The host answers with a configure, which updates the property. */
		if (fullscreen != w->want_fullscreen)
			proxy_window_set_fullscreen(w->role, fullscreen);
		if (maximized != w->want_maximized)
			proxy_window_set_maximized(w->role, maximized);
	} else {
		w->want_fullscreen = fullscreen;
		w->want_maximized = maximized;
		write_net_wm_state(w);
	}
}

static void handle_moveresize(struct xwm_window *w, const uint32_t *data)
{
	uint32_t edges;
	int kind = xwm_moveresize_direction(data[2], &edges);

	if (!w->role || !w->role_is_toplevel || kind < 0)
		return;
	if (kind == 0)
		proxy_window_move(w->role);
	else
		proxy_window_resize(w->role, (enum proxy_window_edge)edges);
}

void xwm_handle_client_message(struct xwm *xwm, xcb_client_message_event_t *ev)
{
	const uint32_t *data = ev->data.data32;
	struct xwm_window *w = xwm_window_lookup(xwm, ev->window);

	if (ev->format != 32)
		return;
	if (ev->type == xwm->atoms[ATOM_WL_SURFACE_ID]) {
		if (ev->response_type & 0x80) {
			vsomm_log(VSOMM_LOG_INFO, "xwm: ignoring a WL_SURFACE_ID sent by a client");
			return;
		}
		if (!w)
			return;
		if (w->role && w->surface_id != data[0])
			drop_role(w);
		w->surface_id = data[0];
		w->associate_since_ms = 0;
		want_role(w);
		return;
	}
	if (ev->type == xwm->atoms[ATOM_NET_ACTIVE_WINDOW]) {
		/* Only the host activates windows (Weston 10 has no
		 * xdg-activation): X focus follows within the active one. */
		if (w && w->role && w->role_is_toplevel &&
		    (w->host_states & PROXY_WINDOW_ACTIVATED))
			focus_window(xwm, w);
		return;
	}
	if (!w)
		return;
	if (ev->type == xwm->atoms[ATOM_NET_WM_STATE])
		handle_net_wm_state(w, data);
	else if (ev->type == xwm->atoms[ATOM_NET_WM_MOVERESIZE])
		handle_moveresize(w, data);
	else if (ev->type == xwm->atoms[ATOM_WM_CHANGE_STATE] && data[0] == WM_STATE_ICONIC &&
		 w->role && w->role_is_toplevel)
		proxy_window_set_minimized(w->role);
	else if (ev->type == xwm->atoms[ATOM_NET_REQUEST_FRAME_EXTENTS])
		set_frame_extents(w);
}
