/* SPDX-License-Identifier: MIT */
/*
 * Inside vsomm's X window manager: the state shared by xwm.c (the X
 * connection, atoms, event dispatch, deferred work), xwm-window.c (windows
 * and their host roles) and selection.c (clipboard and primary selection).
 * Prototypes are grouped by the file that defines them.
 */
#ifndef PROXY_XWM_XWM_PRIVATE_H
#define PROXY_XWM_XWM_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-server-core.h>
#include <xcb/xcb.h>

#include "proxy/window.h"
#include "proxy/xwm/props.h"
#include "proxy/xwm/xwm.h"

/* Atoms interned at start, in one batch (names in xwm.c). */
enum xwm_atom {
	ATOM_WM_PROTOCOLS,
	ATOM_WM_DELETE_WINDOW,
	ATOM_WM_TAKE_FOCUS,
	ATOM_WM_STATE,
	ATOM_WM_CHANGE_STATE,
	ATOM_WM_S0,
	ATOM_UTF8_STRING,
	ATOM_COMPOUND_TEXT,
	ATOM_TEXT,
	ATOM_NET_WM_NAME,
	ATOM_NET_SUPPORTED,
	ATOM_NET_SUPPORTING_WM_CHECK,
	ATOM_NET_ACTIVE_WINDOW,
	ATOM_NET_WM_STATE,
	ATOM_NET_WM_STATE_FULLSCREEN,
	ATOM_NET_WM_STATE_MAXIMIZED_VERT,
	ATOM_NET_WM_STATE_MAXIMIZED_HORZ,
	ATOM_NET_WM_MOVERESIZE,
	ATOM_NET_FRAME_EXTENTS,
	ATOM_NET_REQUEST_FRAME_EXTENTS,
	ATOM_WL_SURFACE_ID,
	ATOM_CLIPBOARD,
	ATOM_TARGETS,
	ATOM_TIMESTAMP,
	ATOM_MULTIPLE,
	ATOM_INCR,
	ATOM_VSOMM_TARGETS,
	ATOM_VSOMM_DATA,
	ATOM_COUNT,
};

/* The windows table: buckets by window id (X ids of one client are
 * consecutive, so the low bits spread them). */
#define XWM_WINDOW_BUCKETS 256

/* Selections bridged: index = enum proxy_selection_kind. */
#define XWM_SELECTIONS 2
/* MIME types / targets of one selection the XWM looks at. */
#define XWM_SELECTION_MAX_TYPES 64

struct xwm_selection {
	struct xwm *xwm;
	enum proxy_selection_kind kind;
	xcb_atom_t atom;
	xcb_window_t window; /* ours: requestor of X conversions, owner for host offers */

	/* X → host */
	bool offered_to_host; /* the host selection is our offer of X's data */
	size_t target_count;  /* X targets the host was offered, as MIME types */
	xcb_atom_t *targets;
	char **target_mimes;
	uint16_t targets_gen;                      /* the TARGETS conversion replies are for */
	xcb_atom_t names[XWM_SELECTION_MAX_TYPES]; /* targets whose names are awaited */
	size_t names_left;
	struct wl_list to_host; /* struct x_to_host: head is converting, rest queued */

	/* host → X */
	bool own; /* we own the X selection for a host offer */
	xcb_timestamp_t own_time;
	size_t host_count;
	char **host_mimes;
	xcb_atom_t *host_atoms; /* host_mimes interned (as the replies come) */
	uint16_t offer_gen;     /* the InternAtom replies are for */
	struct wl_list to_x;    /* struct host_to_x */
	size_t to_x_count;
};

struct xwm {
	struct wl_event_loop *loop;
	struct proxy *proxy;
	struct wl_client *client; /* Xwayland's Wayland connection */
	xcb_connection_t *conn;
	xcb_screen_t *screen;
	xcb_window_t wm_window; /* _NET_SUPPORTING_WM_CHECK */
	xcb_atom_t atoms[ATOM_COUNT];
	uint8_t xfixes_event_base; /* 0: no XFixes, no selections */
	bool dead;                 /* the X connection failed: inert until destroyed */

	struct wl_event_source *fd_source;
	struct wl_event_source *idle;  /* deferred work and the flush, once per loop iteration */
	struct wl_event_source *timer; /* retries and rate limits that must wait */
	int budget;                    /* events and replies left for this wake-up */

	struct wl_list windows[XWM_WINDOW_BUCKETS]; /* struct xwm_window.link */
	struct wl_list zombies;   /* struct xwm_window.link: destroyed, replies awaited */
	struct wl_list pending;   /* struct xwm_window.pending_link */
	struct wl_list awaits;    /* replies awaited, in request order */
	struct xwm_window *focus; /* the toplevel the host activated, X focus on it */
	uint64_t map_serial;      /* orders toplevels by when they got their role */

	struct xwm_selection selections[XWM_SELECTIONS];
};

struct xwm_window {
	struct xwm *xwm;
	struct wl_list link;
	struct wl_list pending_link; /* in xwm->pending while it has deferred work */
	xcb_window_t id;
	int32_t x, y, width, height; /* X geometry (children of the root: root coordinates) */
	bool override_redirect;
	bool destroyed;      /* in xwm->zombies until reads_in_flight is 0 */
	bool select_input;   /* created: its PropertyNotify events are to be selected */
	bool map_requested;  /* MapRequest seen: read the properties, then map */
	bool map_reading;    /* those reads are awaited (more MapRequests change nothing) */
	bool managed;        /* MapRequest seen and granted, until unmapped */
	bool mapped;         /* MapNotify seen, until UnmapNotify */
	uint32_t surface_id; /* WL_SURFACE_ID: object id in Xwayland's connection, 0 none */
	xcb_window_t above;  /* last known sibling below it (stacking changes) */

	struct proxy_window *role;
	bool role_is_toplevel;
	bool role_gone;              /* surface_gone: drop the role from the idle */
	struct xwm_window *parent;   /* whose role is this role's parent (NULL: none) */
	uint64_t role_serial;        /* xwm->map_serial when it got its role */
	uint64_t associate_since_ms; /* waiting for its role since (0: not waiting) */

	/* Properties (decoded by props.c). */
	uint32_t dirty_props;     /* changed since read (bits of enum prop in xwm-window.c) */
	unsigned reads_in_flight; /* GetProperty replies awaited */
	char *net_wm_name;        /* read, waiting for WM_NAME's reply to decide the title */
	char *title;
	uint64_t title_sent_ms;
	char *app_id;
	xcb_window_t transient_for;
	struct xwm_size_hints size_hints;
	struct xwm_wm_hints wm_hints;
	bool delete_window, take_focus; /* WM_PROTOCOLS */
	bool want_fullscreen, want_maximized;
	uint32_t host_states; /* enum proxy_window_state bits of the latest configure */
	int32_t saved_width, saved_height; /* X size before maximized/fullscreen */
};

/* xwm.c */
uint64_t xwm_now_ms(void);
/** Run the deferred work and flush from an idle of this loop iteration. */
void xwm_schedule(struct xwm *xwm);
/** Run the deferred work again in ms milliseconds at the latest. */
void xwm_schedule_timer(struct xwm *xwm, uint32_t ms);
/**
 * A reply's handler: reply is NULL on an X error (or when the XWM stops);
 * it is freed after the call.
 */
typedef void (*xwm_reply_fn)(struct xwm *xwm, void *reply, void *data, uint32_t arg);
/**
 * Call fn when the reply to request `sequence` (a cookie's) arrives, never
 * waiting for it.  Replies are handled in request order.
 */
void xwm_await(struct xwm *xwm, unsigned int sequence, xwm_reply_fn fn, void *data, uint32_t arg);
/** Drop the replies awaited with this data (its owner is freed). */
void xwm_await_cancel(struct xwm *xwm, void *data);
/** prop from a GetProperty reply (type 0 when reply is NULL or the property missing). */
void xwm_prop_from_reply(const xcb_get_property_reply_t *reply, struct xwm_prop *prop);
/** GetProperty of at most XWM_PROP_MAX_BYTES. */
xcb_get_property_cookie_t xwm_request_property(struct xwm *xwm, xcb_window_t window,
					       xcb_atom_t atom);
void xwm_send_client_message(struct xwm *xwm, xcb_window_t window, xcb_atom_t type,
			     uint32_t event_mask, const uint32_t data[5]);

/* xwm-window.c */
struct xwm_window *xwm_window_lookup(struct xwm *xwm, xcb_window_t id);
struct xwm_window *xwm_window_create(struct xwm *xwm, xcb_window_t id, int32_t x, int32_t y,
				     int32_t width, int32_t height, bool override_redirect);
void xwm_window_destroy(struct xwm_window *window);
/** Drop every role (the X connection died or the XWM stops). */
void xwm_windows_drop_roles(struct xwm *xwm);
/** Free every window, destroyed ones whose replies were awaited too (the XWM stops). */
void xwm_windows_finish(struct xwm *xwm);
/** Deferred work of one window; true when it still has some (see pending_link). */
bool xwm_window_run_pending(struct xwm_window *window, uint64_t now, uint32_t *wait_ms);
void xwm_handle_map_request(struct xwm *xwm, xcb_map_request_event_t *ev);
void xwm_handle_map_notify(struct xwm *xwm, xcb_map_notify_event_t *ev);
void xwm_handle_unmap_notify(struct xwm *xwm, xcb_unmap_notify_event_t *ev);
void xwm_handle_configure_request(struct xwm *xwm, xcb_configure_request_event_t *ev);
void xwm_handle_configure_notify(struct xwm *xwm, xcb_configure_notify_event_t *ev);
void xwm_handle_property_notify(struct xwm *xwm, xcb_property_notify_event_t *ev);
void xwm_handle_client_message(struct xwm *xwm, xcb_client_message_event_t *ev);

/* selection.c */
bool xwm_selections_init(struct xwm *xwm);
void xwm_selections_finish(struct xwm *xwm);
/** True when ev was a selection event (consumed). */
bool xwm_selections_handle_event(struct xwm *xwm, xcb_generic_event_t *ev);
/** Periodic checks (stalled transfers); true while transfers are live. */
bool xwm_selections_run_pending(struct xwm *xwm, uint64_t now, uint32_t *wait_ms);

#endif
