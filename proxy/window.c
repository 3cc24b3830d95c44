/* SPDX-License-Identifier: MIT */
/*
 * Roles for the held surfaces of a managed client (proxy/window.h): vsomm's
 * own xdg_surface + xdg_toplevel, or wl_subsurface, on the client's host
 * connection, for the guest's wl_surface there.
 *
 * Toplevels.  The role's first commit carries no buffer (xdg-shell forbids
 * one before the first configure; a guest buffer pending on the host is
 * detached first).  The first configure is acknowledged at once, the owner
 * told, and the guest's latest content shown (proxy_managed_replay); from
 * then on the guest's commits are forwarded.
 *
 * Sizes.  Weston (10) ends a client that commits, under an acknowledged
 * maximized configure, a window geometry other than the configured size
 * (fullscreen: one larger).  Xwayland commits whatever size the X window has
 * until the window manager has resized it, so: a later configure is
 * acknowledged when it comes, but for a maximize to a size the current
 * buffer is smaller than: that acknowledgement waits for the first forwarded
 * commit of a buffer that fits (older commits still show).  The first
 * configure cannot wait (no buffer may precede its acknowledgement): when it
 * does not fit, the guest's commits are held until one does.  A maximized or
 * fullscreen acknowledgement sets the window geometry to the configured size
 * (unless the owner set one), so that subsurface children do not count and a
 * larger buffer is cut to it (xdg-shell intersects the two; Weston 10 takes
 * the geometry as set, which alone keeps it content).  Only the shm copy path
 * knows its buffers' sizes: other buffers (dmabuf) are trusted to fit.
 *
 * States.  The host applies an acknowledged configure with the surface's
 * next commit.  A configure that changes states alone (fullscreen or
 * maximized left at the same size, activated) gives an X client nothing to
 * redraw, and Xwayland commits only damage: the window would stay as it
 * was.  So after acknowledging one, vsomm commits the surface itself, when
 * the guest has nothing half-sent (an attach, damage, scale: its commit is
 * on its way then, and a shm buffer is copied to its shadow only on it).  A
 * configure that resizes is left to the owner's redraw.
 *
 * Decorations.  X clients leave their frames to the window manager: where
 * the host has xdg-decoration, every toplevel asks it for server-side
 * decorations (the decoration object made before the role's first commit,
 * as the protocol requires, and destroyed before the toplevel).  Where it has
 * not (Weston 10), or it answers client_side, windows show without a frame:
 * the X client draws one itself or has none (docs: vsomm(1), X11).
 *
 * Children are desynchronized subsurfaces: Xwayland commits a menu or a
 * tooltip on its own, and a synchronized subsurface's commits would wait for
 * a commit of the parent, which an idle X window under an open menu never
 * makes (the menu would not update while the pointer moves over it).  Their
 * position and stacking, which the host applies on the parent's commit, are
 * committed on the parent by vsomm once the parent shows.
 *
 * Lifetimes: a window lives until its owner destroys it; the guest surface
 * may go first (surface_gone), then the window is inert.  Listener callbacks
 * may destroy the window: it is freed once the callback returns.
 */
#include <stdlib.h>
#include <string.h>
#include <wayland-client-protocol.h>

#include "util/log.h"
#include "util/text.h"
#include "protocols/xdg-decoration-unstable-v1-client-protocol.h"
#include "protocols/xdg-shell-client-protocol.h"
#include "proxy/managed.h"

/* xdg_wm_base version vsomm speaks: the generated header's listeners. */
#define WM_BASE_VERSION 5u
#define DECORATION_MANAGER_VERSION 1u

struct proxy_window {
	struct wl_list link;                /* proxy_managed.windows */
	struct proxy_managed *managed;      /* NULL once the client is gone */
	struct proxy_held_surface *surface; /* NULL once the guest surface is gone */
	const struct proxy_window_listener *listener;
	void *data;
	bool toplevel;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *xdg_toplevel;
	struct zxdg_toplevel_decoration_v1 *decoration; /* NULL: the host decorates nothing */
	struct wl_subsurface *subsurface;
	bool configured; /* toplevel: the first configure came, commits are forwarded */
	/* the latest xdg_toplevel.configure, completed by xdg_surface.configure */
	int32_t next_width, next_height;
	uint32_t next_states;
	/* the latest acknowledged configure */
	int32_t acked_width, acked_height;
	uint32_t acked_states;
	/* a configure not acknowledged yet (a maximize waiting for its size) */
	bool ack_pending;
	uint32_t ack_serial;
	int32_t ack_width, ack_height;
	uint32_t ack_states;
	/* the first configure's size does not fit the guest's buffer: its
	 * commits are held until one does */
	bool await_size;
	bool geometry_by_owner; /* proxy_window_set_geometry was called */
	bool geometry_forced;   /* vsomm set the geometry (see ack) */
	/* children: stacked bottom to top */
	struct proxy_window *parent;
	struct wl_list children; /* proxy_window.child_link */
	struct wl_list child_link;
	int32_t x, y;
	int busy;    /* listener callbacks running */
	bool doomed; /* destroyed from a callback: freed when it returns */
};

bool proxy_window_alive(const struct proxy_window *window)
{
	return window && window->surface;
}

bool proxy_window_shown(const struct proxy_window *window)
{
	return window->subsurface ||
	       (window->xdg_toplevel && window->configured && !window->await_size);
}

static struct wl_surface *window_host_surface(const struct proxy_window *window)
{
	return window->surface ? (struct wl_surface *)window->surface->object->host : NULL;
}

/* ---- listener calls: the owner may destroy the window from them ---- */

static void window_enter(struct proxy_window *window)
{
	window->busy++;
}

/* False when the window is gone. */
static bool window_leave(struct proxy_window *window)
{
	if (--window->busy > 0 || !window->doomed)
		return !window->doomed;
	free(window);
	return false;
}

/* ---- toplevel events ---- */

static uint32_t states_from_array(const struct wl_array *states)
{
	const uint32_t *state;
	uint32_t bits = 0;

	if (!states->size) /* data may be NULL: no pointer arithmetic on it */
		return 0;
	wl_array_for_each(state, states) {
		switch (*state) {
		case XDG_TOPLEVEL_STATE_MAXIMIZED:
			bits |= PROXY_WINDOW_MAXIMIZED;
			break;
		case XDG_TOPLEVEL_STATE_FULLSCREEN:
			bits |= PROXY_WINDOW_FULLSCREEN;
			break;
		case XDG_TOPLEVEL_STATE_RESIZING:
			bits |= PROXY_WINDOW_RESIZING;
			break;
		case XDG_TOPLEVEL_STATE_ACTIVATED:
			bits |= PROXY_WINDOW_ACTIVATED;
			break;
		default:
			break;
		}
	}
	return bits;
}

static void handle_toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
				      int32_t height, struct wl_array *states)
{
	struct proxy_window *window = data;

	window->next_width = width > 0 ? width : 0;
	window->next_height = height > 0 ? height : 0;
	window->next_states = states_from_array(states);
}

static void handle_toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
	struct proxy_window *window = data;

	if (!window->listener || !window->listener->close)
		return;
	window_enter(window);
	window->listener->close(window->data);
	window_leave(window);
}

static void handle_toplevel_configure_bounds(void *data, struct xdg_toplevel *toplevel,
					     int32_t width, int32_t height)
{
}

static void handle_toplevel_wm_capabilities(void *data, struct xdg_toplevel *toplevel,
					    struct wl_array *capabilities)
{
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = handle_toplevel_configure,
	.close = handle_toplevel_close,
	.configure_bounds = handle_toplevel_configure_bounds,
	.wm_capabilities = handle_toplevel_wm_capabilities,
};

/* The guest's current buffer size in surface coordinates, if known. */
static bool current_size(const struct proxy_window *window, int32_t *width, int32_t *height)
{
	struct wl_resource *buffer = window->surface ? window->surface->current.resource : NULL;

	return buffer && proxy_shm_buffer_size(buffer, width, height);
}

/*
 * Whether the current buffer may be committed under a configure of this size
 * and these states once acknowledged (see the file's comment).  Weston takes
 * the window geometry (vsomm sets it to the configured size, see ack) for a
 * maximized window's size, which must equal the configured one: the buffer
 * must be at least that large; a fullscreen one may be smaller.  Unknown
 * sizes, and a geometry the owner set, are trusted.
 */
static bool size_fits(const struct proxy_window *window, int32_t width, int32_t height,
		      uint32_t states)
{
	int32_t current_width, current_height;

	if (!(states & PROXY_WINDOW_MAXIMIZED) || (states & PROXY_WINDOW_FULLSCREEN) ||
	    width == 0 || height == 0 || window->geometry_by_owner)
		return true;
	if (!current_size(window, &current_width, &current_height))
		return true;
	return current_width >= width && current_height >= height;
}

static void ack(struct proxy_window *window, uint32_t serial, int32_t width, int32_t height,
		uint32_t states)
{
	xdg_surface_ack_configure(window->xdg_surface, serial);
	window->ack_pending = false;
	window->acked_width = width;
	window->acked_height = height;
	window->acked_states = states;
	if (window->geometry_by_owner)
		return;
	/* The geometry Weston checks a maximized or fullscreen window by
	 * would otherwise take in its children (subsurfaces). */
	if ((states & (PROXY_WINDOW_MAXIMIZED | PROXY_WINDOW_FULLSCREEN)) && width > 0 &&
	    height > 0) {
		xdg_surface_set_window_geometry(window->xdg_surface, 0, 0, width, height);
		window->geometry_forced = true;
	} else if (window->geometry_forced) {
		int32_t current_width, current_height;

		/* Back to the surface's own size, when known. */
		if (current_size(window, &current_width, &current_height)) {
			xdg_surface_set_window_geometry(window->xdg_surface, 0, 0, current_width,
							current_height);
			window->geometry_forced = false;
		}
	}
}

/*
 * A commit of vsomm's own, for what the host applies on a commit only (a
 * configure's states, children's positions and stacking): when the surface
 * shows and the guest has nothing half-sent (then its own commit is on its
 * way and applies it all).
 */
static void commit_own(struct proxy_window *window)
{
	struct wl_surface *host = window_host_surface(window);

	if (!host || !proxy_window_shown(window) || !proxy_managed_nothing_pending(window->surface))
		return;
	wl_surface_commit(host);
	proxy_managed_flush(window->managed);
}

/*
 * Whether a configure of this size leaves the window as large as it is: then
 * its owner has nothing to redraw, and the guest may never commit for it.
 * The size of the buffer shown, when known; else that of the latest
 * acknowledged configure (0×0, "the window chooses", included).
 */
static bool keeps_size(const struct proxy_window *window, int32_t width, int32_t height)
{
	int32_t current_width, current_height;

	if (width > 0 && height > 0 && current_size(window, &current_width, &current_height))
		return width == current_width && height == current_height;
	return width == window->acked_width && height == window->acked_height;
}

static void handle_xdg_surface_configure(void *data, struct xdg_surface *xdg_surface,
					 uint32_t serial)
{
	struct proxy_window *window = data;
	bool first = !window->configured;
	bool fits = size_fits(window, window->next_width, window->next_height, window->next_states);
	/* States alone changed (e.g. fullscreen left at the same size) */
	bool states_only = !first && fits && window->next_states != window->acked_states &&
			   keeps_size(window, window->next_width, window->next_height);

	if (!window->surface)
		return;
	if (first || fits) {
		/* The first one cannot wait: no buffer may come before it.
		 * Commits that do not fit it are held (await_size). */
		ack(window, serial, window->next_width, window->next_height, window->next_states);
		window->await_size = !fits;
	} else {
		window->ack_pending = true;
		window->ack_serial = serial;
		window->ack_width = window->next_width;
		window->ack_height = window->next_height;
		window->ack_states = window->next_states;
	}
	window->configured = true;
	proxy_managed_flush(window->surface->managed);
	if (window->listener && window->listener->configure) {
		window_enter(window);
		window->listener->configure(window->data, window->next_width, window->next_height,
					    window->next_states);
		if (!window_leave(window))
			return;
	}
	/* The owner may have taken the role away, or the surface gone. */
	if (first && fits && window->surface && window->xdg_toplevel)
		proxy_managed_replay(window->surface);
	/* The host applies the acknowledged states on the surface's next
	 * commit (Weston 10: not before), and a window that keeps its size
	 * may not redraw: vsomm commits it (after the owner's reaction, which
	 * may have been a commit already). */
	else if (states_only && window->surface && window->xdg_toplevel)
		commit_own(window);
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = handle_xdg_surface_configure,
};

/* The host's choice: applied with the xdg_surface configure that follows. */
static void handle_decoration_configure(void *data, struct zxdg_toplevel_decoration_v1 *decoration,
					uint32_t mode)
{
	vsomm_log(VSOMM_LOG_DEBUG, "the host draws %s",
		  mode == ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE ? "the window's frame"
								       : "no frame (client side)");
}

static const struct zxdg_toplevel_decoration_v1_listener decoration_listener = {
	.configure = handle_decoration_configure,
};

/* Server-side decorations where the host has them (see the file's comment). */
static void ask_decoration(struct proxy_window *window)
{
	struct proxy_managed *m = window->managed;

	if (!m->decoration_manager)
		m->decoration_manager = proxy_managed_bind(m, &zxdg_decoration_manager_v1_interface,
							   DECORATION_MANAGER_VERSION);
	if (!m->decoration_manager)
		return;
	window->decoration = zxdg_decoration_manager_v1_get_toplevel_decoration(
		m->decoration_manager, window->xdg_toplevel);
	if (!window->decoration)
		return; /* ENOMEM or a dead connection: undecorated */
	zxdg_toplevel_decoration_v1_add_listener(window->decoration, &decoration_listener, window);
	zxdg_toplevel_decoration_v1_set_mode(window->decoration,
					     ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE);
}

enum proxy_commit_action proxy_window_commit(struct proxy_window *window)
{
	if (window->subsurface)
		return PROXY_COMMIT_FORWARD;
	if (!window->xdg_toplevel || !window->configured)
		return PROXY_COMMIT_HOLD;
	if (window->await_size) {
		/* the acknowledged configure's size is the latest one */
		if (!size_fits(window, window->next_width, window->next_height,
			       window->next_states))
			return PROXY_COMMIT_HOLD;
		window->await_size = false;
		return PROXY_COMMIT_REPLAY;
	}
	if (window->ack_pending &&
	    size_fits(window, window->ack_width, window->ack_height, window->ack_states))
		ack(window, window->ack_serial, window->ack_width, window->ack_height,
		    window->ack_states);
	return PROXY_COMMIT_FORWARD;
}

/* ---- roles ---- */

static struct proxy_window *window_new(struct proxy_held_surface *s,
				       const struct proxy_window_listener *listener, void *data)
{
	struct proxy_window *window = calloc(1, sizeof(*window));

	if (!window)
		return NULL;
	window->managed = s->managed;
	window->surface = s;
	window->listener = listener;
	window->data = data;
	wl_list_init(&window->children);
	wl_list_init(&window->child_link);
	wl_list_insert(&s->managed->windows, &window->link);
	s->window = window;
	return window;
}

/* The surface of `surface_id` if it can take a role of this kind. */
static struct proxy_held_surface *role_surface(struct proxy *proxy, struct wl_client *client,
					       uint32_t surface_id, bool toplevel)
{
	struct proxy_managed *m = proxy_managed_of(proxy, client);
	struct proxy_held_surface *s = m ? proxy_managed_surface(m, surface_id) : NULL;

	if (!s || s->window || s->guest_role || !s->object->host)
		return NULL;
	/* The host keeps a surface's first role kind for its whole life. */
	if (toplevel ? s->had_child : s->had_toplevel) {
		vsomm_log(VSOMM_LOG_ERROR, "wl_surface@%u had a role of another kind", surface_id);
		return NULL;
	}
	return s;
}

struct proxy_window *proxy_window_toplevel(struct proxy *proxy, struct wl_client *client,
					   uint32_t surface_id,
					   const struct proxy_window_listener *listener, void *data)
{
	struct proxy_held_surface *s = role_surface(proxy, client, surface_id, true);
	struct proxy_managed *m = s ? s->managed : NULL;
	struct proxy_window *window;
	struct wl_surface *host;

	if (!s)
		return NULL;
	if (!m->wm_base)
		m->wm_base = proxy_managed_bind(m, &xdg_wm_base_interface, WM_BASE_VERSION);
	if (!m->wm_base)
		return NULL;
	window = window_new(s, listener, data);
	if (!window)
		return NULL;
	window->toplevel = true;
	host = window_host_surface(window);
	window->xdg_surface = xdg_wm_base_get_xdg_surface(m->wm_base, host);
	window->xdg_toplevel = window->xdg_surface ? xdg_surface_get_toplevel(window->xdg_surface)
						   : NULL;
	if (!window->xdg_toplevel) {
		/* ENOMEM or a dead connection: the client is ended by the flush */
		proxy_window_destroy(window);
		return NULL;
	}
	xdg_surface_add_listener(window->xdg_surface, &xdg_surface_listener, window);
	xdg_toplevel_add_listener(window->xdg_toplevel, &toplevel_listener, window);
	ask_decoration(window); /* before the role's first commit */
	s->had_toplevel = true;
	/* The role's first commit: no buffer (replayed after the configure). */
	wl_surface_attach(host, NULL, 0, 0);
	wl_surface_commit(host);
	proxy_managed_flush(m);
	return window;
}

/* Apply a child's position or stacking: the host does on the parent's commit. */
static void parent_apply(struct proxy_window *parent)
{
	if (parent)
		commit_own(parent);
}

struct proxy_window *proxy_window_child(struct proxy *proxy, struct wl_client *client,
					uint32_t surface_id, struct proxy_window *parent, int32_t x,
					int32_t y, const struct proxy_window_listener *listener,
					void *data)
{
	struct proxy_held_surface *s = role_surface(proxy, client, surface_id, false);
	struct proxy_managed *m = s ? s->managed : NULL;
	struct proxy_window *window;

	if (!s || !proxy_window_alive(parent) || parent->managed != m || parent->surface == s)
		return NULL;
	if (!m->subcompositor)
		m->subcompositor = proxy_managed_bind(m, &wl_subcompositor_interface, 1);
	if (!m->subcompositor)
		return NULL;
	window = window_new(s, listener, data);
	if (!window)
		return NULL;
	window->subsurface = wl_subcompositor_get_subsurface(
		m->subcompositor, window_host_surface(window), window_host_surface(parent));
	if (!window->subsurface) {
		proxy_window_destroy(window);
		return NULL;
	}
	s->had_child = true;
	window->parent = parent;
	window->x = x;
	window->y = y;
	/* A new subsurface is the top of its parent's stack. */
	wl_list_insert(parent->children.prev, &window->child_link);
	wl_subsurface_set_position(window->subsurface, x, y);
	wl_subsurface_set_desync(window->subsurface);
	proxy_managed_replay(s);
	parent_apply(parent);
	return window;
}

/* Destroy the host role objects (before the host wl_surface, if it goes). */
static void role_destroy(struct proxy_window *window)
{
	/* before its toplevel: the host ends a client that orphans one */
	if (window->decoration) {
		zxdg_toplevel_decoration_v1_destroy(window->decoration);
		window->decoration = NULL;
	}
	if (window->xdg_toplevel) {
		xdg_toplevel_destroy(window->xdg_toplevel);
		window->xdg_toplevel = NULL;
	}
	if (window->xdg_surface) {
		xdg_surface_destroy(window->xdg_surface);
		window->xdg_surface = NULL;
	}
	if (window->subsurface) {
		wl_subsurface_destroy(window->subsurface);
		window->subsurface = NULL;
	}
	window->ack_pending = false;
	window->await_size = false;
	window->configured = false;
	if (window->managed)
		proxy_managed_flush(window->managed);
}

/* Children stay where the host put them; they just lose their parent here. */
static void window_unlink(struct proxy_window *window)
{
	struct proxy_window *child, *tmp;

	wl_list_for_each_safe(child, tmp, &window->children, child_link) {
		child->parent = NULL;
		wl_list_remove(&child->child_link);
		wl_list_init(&child->child_link);
	}
	wl_list_remove(&window->child_link);
	wl_list_init(&window->child_link);
	window->parent = NULL;
}

void proxy_window_surface_lost(struct proxy_window *window)
{
	role_destroy(window);
	window->surface->window = NULL;
	window->surface = NULL;
	if (!window->listener || !window->listener->surface_gone)
		return;
	window_enter(window);
	window->listener->surface_gone(window->data);
	window_leave(window);
}

void proxy_window_destroy(struct proxy_window *window)
{
	struct proxy_held_surface *s;

	if (!window || window->doomed)
		return;
	s = window->surface;
	role_destroy(window);
	if (s) {
		struct wl_surface *host = (struct wl_surface *)s->object->host;

		/* Held again.  The host drops the buffer it shows, so that the
		 * surface can take a role again (an xdg_surface must start
		 * without one); the next role shows the guest's again. */
		if (host) {
			wl_surface_attach(host, NULL, 0, 0);
			wl_surface_commit(host);
			if (s->pending_attach) {
				struct proxy_object *pending = proxy_object_from_resource(
					s->pending.resource);

				wl_surface_attach(
					host, pending ? (struct wl_buffer *)pending->host : NULL, 0,
					0);
			}
		}
		s->window = NULL;
		window->surface = NULL;
	}
	window_unlink(window);
	wl_list_remove(&window->link);
	wl_list_init(&window->link);
	if (window->busy) {
		window->doomed = true;
		return;
	}
	free(window);
}

void proxy_window_client_gone(struct proxy_managed *m)
{
	struct proxy_window *window, *tmp;

	wl_list_for_each_safe(window, tmp, &m->windows, link) {
		role_destroy(window);
		window->managed = NULL;
		wl_list_remove(&window->link);
		wl_list_init(&window->link);
	}
}

/* ---- toplevel requests ---- */

static struct xdg_toplevel *toplevel_of(struct proxy_window *window)
{
	return window && window->surface ? window->xdg_toplevel : NULL;
}

static void set_text(struct proxy_window *window, const char *text, bool title)
{
	struct xdg_toplevel *toplevel = toplevel_of(window);
	struct proxy *proxy;
	char *value;

	if (!toplevel || !text)
		return;
	proxy = window->managed->pc->proxy;
	value = vsomm_prefixed_text(title ? proxy->title_prefix : proxy->app_id_prefix, text);
	if (!value) {
		vsomm_log(VSOMM_LOG_ERROR, "out of memory for a window's %s",
			  title ? "title" : "app_id");
		return;
	}
	if (title)
		xdg_toplevel_set_title(toplevel, value);
	else
		xdg_toplevel_set_app_id(toplevel, value);
	free(value);
	proxy_managed_flush(window->managed);
}

void proxy_window_set_title(struct proxy_window *window, const char *title)
{
	set_text(window, title, true);
}

void proxy_window_set_app_id(struct proxy_window *window, const char *app_id)
{
	set_text(window, app_id, false);
}

void proxy_window_set_parent(struct proxy_window *window, struct proxy_window *parent)
{
	struct xdg_toplevel *toplevel = toplevel_of(window);
	struct xdg_toplevel *host_parent = toplevel_of(parent);

	if (!toplevel || parent == window || (parent && parent->managed != window->managed))
		return;
	xdg_toplevel_set_parent(toplevel, host_parent);
	proxy_managed_flush(window->managed);
}

void proxy_window_set_min_size(struct proxy_window *window, int32_t width, int32_t height)
{
	struct xdg_toplevel *toplevel = toplevel_of(window);

	if (!toplevel || width < 0 || height < 0)
		return;
	xdg_toplevel_set_min_size(toplevel, width, height);
	proxy_managed_flush(window->managed);
}

void proxy_window_set_max_size(struct proxy_window *window, int32_t width, int32_t height)
{
	struct xdg_toplevel *toplevel = toplevel_of(window);

	if (!toplevel || width < 0 || height < 0)
		return;
	xdg_toplevel_set_max_size(toplevel, width, height);
	proxy_managed_flush(window->managed);
}

void proxy_window_set_maximized(struct proxy_window *window, bool maximized)
{
	struct xdg_toplevel *toplevel = toplevel_of(window);

	if (!toplevel)
		return;
	if (maximized)
		xdg_toplevel_set_maximized(toplevel);
	else
		xdg_toplevel_unset_maximized(toplevel);
	proxy_managed_flush(window->managed);
}

void proxy_window_set_fullscreen(struct proxy_window *window, bool fullscreen)
{
	struct xdg_toplevel *toplevel = toplevel_of(window);

	if (!toplevel)
		return;
	if (fullscreen)
		xdg_toplevel_set_fullscreen(toplevel, NULL);
	else
		xdg_toplevel_unset_fullscreen(toplevel);
	proxy_managed_flush(window->managed);
}

void proxy_window_set_minimized(struct proxy_window *window)
{
	struct xdg_toplevel *toplevel = toplevel_of(window);

	if (!toplevel)
		return;
	xdg_toplevel_set_minimized(toplevel);
	proxy_managed_flush(window->managed);
}

void proxy_window_set_geometry(struct proxy_window *window, int32_t x, int32_t y, int32_t width,
			       int32_t height)
{
	/* xdg-shell has no way back to "unset": 0 leaves the last one. */
	if (!toplevel_of(window) || width <= 0 || height <= 0)
		return;
	window->geometry_by_owner = true;
	xdg_surface_set_window_geometry(window->xdg_surface, x, y, width, height);
	proxy_managed_flush(window->managed);
}

static bool grab_seat(struct proxy_window *window, struct wl_seat **seat)
{
	struct proxy_managed *m = window->managed;

	if (!m->button_down)
		return false;
	*seat = proxy_managed_seat(m);
	return *seat != NULL;
}

bool proxy_window_move(struct proxy_window *window)
{
	struct xdg_toplevel *toplevel = toplevel_of(window);
	struct wl_seat *seat;

	if (!toplevel || !grab_seat(window, &seat))
		return false;
	xdg_toplevel_move(toplevel, seat, window->managed->button_serial);
	proxy_managed_flush(window->managed);
	return true;
}

bool proxy_window_resize(struct proxy_window *window, enum proxy_window_edge edges)
{
	struct xdg_toplevel *toplevel = toplevel_of(window);
	struct wl_seat *seat;

	switch (edges) {
	case PROXY_EDGE_TOP:
	case PROXY_EDGE_BOTTOM:
	case PROXY_EDGE_LEFT:
	case PROXY_EDGE_TOP_LEFT:
	case PROXY_EDGE_BOTTOM_LEFT:
	case PROXY_EDGE_RIGHT:
	case PROXY_EDGE_TOP_RIGHT:
	case PROXY_EDGE_BOTTOM_RIGHT:
		break;
	default:
		return false; /* the host would end the connection for it */
	}
	if (!toplevel || !grab_seat(window, &seat))
		return false;
	xdg_toplevel_resize(toplevel, seat, window->managed->button_serial, (uint32_t)edges);
	proxy_managed_flush(window->managed);
	return true;
}

/* ---- children ---- */

void proxy_window_set_position(struct proxy_window *window, int32_t x, int32_t y)
{
	if (!window || !window->surface || !window->subsurface)
		return;
	window->x = x;
	window->y = y;
	wl_subsurface_set_position(window->subsurface, x, y);
	parent_apply(window->parent);
}

void proxy_window_raise(struct proxy_window *window)
{
	struct proxy_window *parent = window ? window->parent : NULL, *top;

	if (!window || !window->subsurface || !parent)
		return;
	/* The topmost sibling still on the host (one whose surface is gone
	 * has no place in the host's stack). */
	wl_list_for_each_reverse(top, &parent->children, child_link) {
		if (top == window)
			return; /* already above every other */
		if (window_host_surface(top) && top->subsurface)
			break;
	}
	if (&top->child_link == &parent->children)
		return;
	wl_subsurface_place_above(window->subsurface, window_host_surface(top));
	wl_list_remove(&window->child_link);
	wl_list_insert(parent->children.prev, &window->child_link);
	parent_apply(parent);
}
