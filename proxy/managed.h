/* SPDX-License-Identifier: MIT */
/*
 * Internals of proxy/window.h shared by managed.c (held surfaces, input
 * serials, vsomm's own host globals), window.c (roles) and selection.c.
 *
 * vsomm's own host objects (xdg_wm_base, xdg_surface, wl_subsurface, its
 * wl_seat, data devices) are plain libwayland-client proxies with listeners
 * on the managed client's host connection, dispatched with the relayed ones.
 */
#ifndef PROXY_MANAGED_H
#define PROXY_MANAGED_H

#include "proxy/proxy-private.h"
#include "proxy/window.h"

struct proxy_selection;

/* A guest wl_buffer a surface refers to, forgotten when the buffer goes. */
struct proxy_buffer_ref {
	struct wl_resource *resource;
	struct wl_listener destroy;
};

/** A wl_surface of a managed client, from its first attach, commit or role. */
struct proxy_held_surface {
	struct wl_list link; /* proxy_managed.surfaces */
	struct proxy_managed *managed;
	struct proxy_object *object;  /* the guest wl_surface */
	struct wl_listener destroy;   /* on object->resource */
	struct proxy_window *window;  /* the role given by proxy_window_*, or NULL */
	bool guest_role;              /* the guest gave it a role itself: never held */
	bool had_toplevel, had_child; /* roles it had on the host (one kind per surface) */
	bool held;                    /* a guest commit was not forwarded */
	/* The guest's view: the buffer attached since its last commit
	 * (pending_attach: attach seen, maybe of NULL) and the one its last
	 * commit made current. */
	bool pending_attach;
	struct proxy_buffer_ref pending, current;
	/* damage, scale or transform sent since the guest's last commit */
	bool pending_state;
	bool current_unseen; /* current came in a held commit: the host never had it */
};

struct proxy_managed {
	struct proxy_client *pc;
	struct wl_list surfaces; /* proxy_held_surface.link */
	struct wl_list windows;  /* proxy_window.link */
	/* vsomm's own, bound on first use */
	struct xdg_wm_base *wm_base;
	struct zxdg_decoration_manager_v1 *decoration_manager; /* NULL: the host has none */
	struct wl_subcompositor *subcompositor;
	struct wl_seat *seat;
	/* the managed client's latest input serial (keyboard enter or key,
	 * pointer button) and the latest button press */
	bool have_input_serial;
	uint32_t input_serial;
	bool button_down;
	uint32_t button, button_serial;
	struct proxy_selection *selection; /* selection.c */
};

/** The managed state of a client of proxy, NULL if it is not managed. */
struct proxy_managed *proxy_managed_of(struct proxy *proxy, struct wl_client *client);
/** The held-surface state of the guest wl_surface `id` of m's client, made if needed. */
struct proxy_held_surface *proxy_managed_surface(struct proxy_managed *m, uint32_t id);
/** Bind a host global of vsomm's own (first of its interface), at most max_version. */
void *proxy_managed_bind(struct proxy_managed *m, const struct wl_interface *interface,
			 uint32_t max_version);
/** vsomm's own host wl_seat (the first one), NULL when the host has none. */
struct wl_seat *proxy_managed_seat(struct proxy_managed *m);
/**
 * Show the surface's state on the host now that it has a role: its current
 * buffer attached again with full damage and committed, the guest's pending
 * attach attached again after that.
 */
void proxy_managed_replay(struct proxy_held_surface *s);
/**
 * The guest sent nothing double-buffered since its last commit but frame
 * requests: a commit of vsomm's own now takes none of its state early (a
 * shm buffer is copied to its shadow only on the guest's commit).
 */
bool proxy_managed_nothing_pending(const struct proxy_held_surface *s);
/** Flush m's host connection before the loop sleeps. */
void proxy_managed_flush(struct proxy_managed *m);

/* window.c */
/** The role shows the guest's commits (toplevel configured and fitting, or a child). */
bool proxy_window_shown(const struct proxy_window *window);

enum proxy_commit_action {
	PROXY_COMMIT_HOLD,    /* not shown yet */
	PROXY_COMMIT_FORWARD, /* as the guest sent it */
	PROXY_COMMIT_REPLAY,  /* shown from now on: proxy_managed_replay */
};
/**
 * A guest commit of the window's surface (its current buffer already the
 * committed one): what to do with it.  A pending configure that the buffer
 * fits is acknowledged first.
 */
enum proxy_commit_action proxy_window_commit(struct proxy_window *window);
/** The guest wl_surface goes: host role objects destroyed, owner told. */
void proxy_window_surface_lost(struct proxy_window *window);
/** The client goes: every window becomes inert. */
void proxy_window_client_gone(struct proxy_managed *m);

/* selection.c */
void proxy_selection_finish(struct proxy_managed *m);

#endif
