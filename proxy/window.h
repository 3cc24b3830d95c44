/* SPDX-License-Identifier: MIT */
/*
 * Windows that vsomm manages itself: the boundary between the proxy core and
 * vsomm's X window manager (proxy/xwm/).
 *
 * Xwayland (rootless) is a client of the proxy like any other, but its
 * wl_surfaces get no role from it: the window manager gives them one.  This
 * interface says what the XWM needs in the words of a window manager ("give
 * this guest wl_surface a toplevel role on the host, tell me its
 * configures"), not in those of the core's host connection, so that the core
 * can change under it.
 *
 * A managed client's surfaces are held: until a surface has a role on the
 * host, the proxy does not forward its commits (the host would show nothing,
 * or refuse a buffer committed before the role's first configure).  Giving
 * the surface a role replays its latest state as the role's first content
 * once the host has configured it.
 *
 * Everything here runs on the proxy's event loop; callbacks come from the
 * dispatch of the managed client's host connection.
 */
#ifndef PROXY_WINDOW_H
#define PROXY_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct proxy;
struct wl_client;
struct proxy_window;

/** States of a toplevel, as the host configures them (bits). */
enum proxy_window_state {
	PROXY_WINDOW_MAXIMIZED = 1u << 0,
	PROXY_WINDOW_FULLSCREEN = 1u << 1,
	PROXY_WINDOW_RESIZING = 1u << 2,
	PROXY_WINDOW_ACTIVATED = 1u << 3,
};

/** Edges for proxy_window_resize (xdg_toplevel's resize_edge values). */
enum proxy_window_edge {
	PROXY_EDGE_NONE = 0,
	PROXY_EDGE_TOP = 1,
	PROXY_EDGE_BOTTOM = 2,
	PROXY_EDGE_LEFT = 4,
	PROXY_EDGE_TOP_LEFT = 5,
	PROXY_EDGE_BOTTOM_LEFT = 6,
	PROXY_EDGE_RIGHT = 8,
	PROXY_EDGE_TOP_RIGHT = 9,
	PROXY_EDGE_BOTTOM_RIGHT = 10,
};

struct proxy_window_listener {
	/**
	 * The host configured the toplevel: width×height in surface
	 * coordinates (0: the window chooses) and its states.  The proxy has
	 * already acknowledged it; the next commit of the surface is the answer.
	 */
	void (*configure)(void *data, int32_t width, int32_t height, uint32_t states);
	/** The user asked the host to close the window. */
	void (*close)(void *data);
	/**
	 * The guest wl_surface is gone (Xwayland destroyed it): the host role
	 * went with it, the window is inert; the owner destroys it when it likes.
	 */
	void (*surface_gone)(void *data);
};

/**
 * Manage `client`'s surfaces: from now on its wl_surfaces are held until
 * they get a role here.  Call it right after the client is created (before it
 * sends anything).  False when client is not one the proxy relays.
 */
bool proxy_manage_client(struct proxy *proxy, struct wl_client *client);

/**
 * A toplevel role on the host for the guest wl_surface `surface_id` (the
 * object id in `client`, as Xwayland's WL_SURFACE_ID gives it).  NULL when
 * there is no such surface (yet: Xwayland may not have sent the request when
 * the X message arrives; the XWM tries again when it does), it already has a
 * role (one given here, or one the client gave it itself, e.g. a cursor), it
 * had a role of the other kind before (the host keeps a surface's first role
 * kind for its life), the host has no xdg_wm_base, or on ENOMEM.
 */
struct proxy_window *proxy_window_toplevel(struct proxy *proxy, struct wl_client *client,
					   uint32_t surface_id,
					   const struct proxy_window_listener *listener,
					   void *data);

/**
 * A window placed by its owner relative to `parent` (menus, tooltips, other
 * override-redirect X windows): shown at (x, y) of parent's surface, above
 * it, until proxy_window_set_position moves it.  listener may be NULL.
 */
struct proxy_window *proxy_window_child(struct proxy *proxy, struct wl_client *client,
					uint32_t surface_id, struct proxy_window *parent, int32_t x,
					int32_t y, const struct proxy_window_listener *listener,
					void *data);

/** Take the role away from the surface (it is held again) and free window. Accepts NULL. */
void proxy_window_destroy(struct proxy_window *window);

/** True while the guest surface exists. */
bool proxy_window_alive(const struct proxy_window *window);

/* Toplevels.  Strings are UTF-8 (invalid sequences are replaced); the
 * proxy's --title-prefix/--app-id-prefix apply. */
void proxy_window_set_title(struct proxy_window *window, const char *title);
void proxy_window_set_app_id(struct proxy_window *window, const char *app_id);
/** parent: another toplevel, or NULL for none. */
void proxy_window_set_parent(struct proxy_window *window, struct proxy_window *parent);
/** 0: no limit. */
void proxy_window_set_min_size(struct proxy_window *window, int32_t width, int32_t height);
void proxy_window_set_max_size(struct proxy_window *window, int32_t width, int32_t height);
void proxy_window_set_maximized(struct proxy_window *window, bool maximized);
void proxy_window_set_fullscreen(struct proxy_window *window, bool fullscreen);
void proxy_window_set_minimized(struct proxy_window *window);
/**
 * The window's geometry inside its surface (xdg_surface.set_window_geometry),
 * e.g. to leave out client-side shadows.  width or height 0: ignored
 * (xdg-shell cannot unset a geometry once set).
 */
void proxy_window_set_geometry(struct proxy_window *window, int32_t x, int32_t y, int32_t width,
			       int32_t height);
/**
 * Interactive move/resize with the pointer button the managed client last
 * got a press of.  False when there is no such press (or its button is up).
 */
bool proxy_window_move(struct proxy_window *window);
bool proxy_window_resize(struct proxy_window *window, enum proxy_window_edge edges);

/* Children. */
void proxy_window_set_position(struct proxy_window *window, int32_t x, int32_t y);
/** Put the child above every other child of its parent. */
void proxy_window_raise(struct proxy_window *window);

/* ---- Selections (clipboard and primary) between the XWM and the host ---- */

enum proxy_selection_kind {
	PROXY_SELECTION_CLIPBOARD,
	PROXY_SELECTION_PRIMARY,
};

struct proxy_selection_listener {
	/**
	 * The host's selection changed to an offer of these MIME types (count
	 * 0: cleared), while the managed client has keyboard focus.  Offers of
	 * the managed client's own sources are not reported.
	 */
	void (*offer)(void *data, enum proxy_selection_kind kind, const char *const *mime_types,
		      size_t count);
	/**
	 * A host client pastes the selection set with proxy_selection_set:
	 * write the data as mime_type to fd and close it (fd is the
	 * listener's; non-blocking).
	 */
	void (*send)(void *data, enum proxy_selection_kind kind, const char *mime_type, int fd);
};

/**
 * Start bridging selections on `client`'s host connection.  False when the
 * client is not managed or on ENOMEM.  Primary selection needs the host's
 * zwp_primary_selection_device_manager_v1 (proxy_selection_has_primary).
 */
bool proxy_selection_listen(struct proxy *proxy, struct wl_client *client,
			    const struct proxy_selection_listener *listener, void *data);
bool proxy_selection_has_primary(struct proxy *proxy, struct wl_client *client);

/**
 * Offer these MIME types as the host's selection (count 0: clear it), with
 * the serial of the managed client's latest input event.  False when the
 * host refused it or there is no seat.
 */
bool proxy_selection_set(struct proxy *proxy, struct wl_client *client,
			 enum proxy_selection_kind kind, const char *const *mime_types,
			 size_t count);

/**
 * Read the current host offer as mime_type: returns the read end of a
 * non-blocking pipe the host writes into (the caller closes it), or -1.
 */
int proxy_selection_receive(struct proxy *proxy, struct wl_client *client,
			    enum proxy_selection_kind kind, const char *mime_type);

#endif
