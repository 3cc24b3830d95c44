/* SPDX-License-Identifier: MIT */
/*
 * Managed clients (proxy/window.h): Xwayland's connection, whose wl_surfaces
 * get their roles from vsomm's X window manager, not from the client.
 *
 * Holding.  Every request of a managed client's surface is forwarded as
 * usual but for wl_surface.commit: while the surface has no role (none given
 * with proxy_window_*, none the guest gave it itself: a cursor, a subsurface,
 * an xdg_surface of its own), its commits stay here.  The host keeps the
 * forwarded pending state (buffer, damage, frame callbacks, regions: all
 * double-buffered) without applying it; the frame callbacks fire once the
 * surface shows, which is what throttles Xwayland meanwhile.  When the role
 * comes, proxy_managed_replay shows the guest's latest committed buffer
 * (remembered here with the pending one) in one commit.
 *
 * A held commit replacing a buffer the host never saw committed releases it
 * to the guest: no host release will ever come for it.
 *
 * Input serials: wl_pointer.button, wl_keyboard.enter and key of a managed
 * client are noted on their way to it, for proxy_window_move/resize and
 * proxy_selection_set.  vsomm uses its own host wl_seat (the first one the
 * host announces) with them: a serial is the host's, for the same seat,
 * whichever wl_seat object of the connection names it (one seat assumed).
 */
#include <stdlib.h>
#include <wayland-client-protocol.h>
#include <wayland-server-protocol.h>

#include "util/log.h"
#include "protocols/xdg-decoration-unstable-v1-client-protocol.h"
#include "protocols/xdg-shell-client-protocol.h"
#include "proxy/managed.h"

static struct proxy_client *proxy_client_of(struct proxy *proxy, struct wl_client *client)
{
	struct proxy_client *pc;

	if (!proxy || !client)
		return NULL;
	wl_list_for_each(pc, &proxy->clients, link) {
		if (pc->client == client)
			return pc;
	}
	return NULL;
}

struct proxy_managed *proxy_managed_of(struct proxy *proxy, struct wl_client *client)
{
	struct proxy_client *pc = proxy_client_of(proxy, client);

	return pc ? pc->managed : NULL;
}

bool proxy_manage_client(struct proxy *proxy, struct wl_client *client)
{
	struct proxy_client *pc = proxy_client_of(proxy, client);
	struct proxy_managed *m;

	if (!pc || !pc->host)
		return false;
	if (pc->managed)
		return true;
	m = calloc(1, sizeof(*m));
	if (!m)
		return false;
	m->pc = pc;
	wl_list_init(&m->surfaces);
	wl_list_init(&m->windows);
	pc->managed = m;
	return true;
}

void proxy_managed_flush(struct proxy_managed *m)
{
	proxy_client_schedule_flush(m->pc);
}

/* ---- host globals of vsomm's own ---- */

static void handle_wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	struct proxy_managed *m = data;

	xdg_wm_base_pong(wm_base, serial);
	proxy_managed_flush(m);
}

static const struct xdg_wm_base_listener wm_base_listener = {
	.ping = handle_wm_base_ping,
};

static void handle_seat_capabilities(void *data, struct wl_seat *seat, uint32_t capabilities)
{
}

static const struct wl_seat_listener seat_listener = {
	.capabilities = handle_seat_capabilities,
};

void *proxy_managed_bind(struct proxy_managed *m, const struct wl_interface *interface,
			 uint32_t max_version)
{
	uint32_t name, version;
	void *bound;

	if (!m->pc->host_registry ||
	    !proxy_registry_find_global(m->pc, interface->name, &name, &version))
		return NULL;
	if (version > max_version)
		version = max_version;
	if (version > (uint32_t)interface->version)
		version = (uint32_t)interface->version;
	bound = wl_registry_bind(m->pc->host_registry, name, interface, version);
	if (!bound) {
		vsomm_log(VSOMM_LOG_ERROR, "cannot bind the host's %s", interface->name);
		return NULL;
	}
	if (interface == &xdg_wm_base_interface)
		xdg_wm_base_add_listener(bound, &wm_base_listener, m);
	else if (interface == &wl_seat_interface)
		wl_seat_add_listener(bound, &seat_listener, m);
	proxy_managed_flush(m);
	return bound;
}

struct wl_seat *proxy_managed_seat(struct proxy_managed *m)
{
	/* version 1: vsomm needs the object only, not its events */
	if (!m->seat)
		m->seat = proxy_managed_bind(m, &wl_seat_interface, 1);
	return m->seat;
}

/* ---- held surfaces ---- */

static void buffer_ref_clear(struct proxy_buffer_ref *ref)
{
	if (!ref->resource)
		return;
	wl_list_remove(&ref->destroy.link);
	ref->resource = NULL;
}

static void handle_buffer_ref_destroy(struct wl_listener *listener, void *data)
{
	struct proxy_buffer_ref *ref = wl_container_of(listener, ref, destroy);

	buffer_ref_clear(ref);
}

static void buffer_ref_set(struct proxy_buffer_ref *ref, struct wl_resource *resource)
{
	if (ref->resource == resource)
		return;
	buffer_ref_clear(ref);
	if (!resource)
		return;
	ref->resource = resource;
	ref->destroy.notify = handle_buffer_ref_destroy;
	wl_resource_add_destroy_listener(resource, &ref->destroy);
}

static void surface_free(struct proxy_held_surface *s)
{
	buffer_ref_clear(&s->pending);
	buffer_ref_clear(&s->current);
	wl_list_remove(&s->destroy.link);
	wl_list_remove(&s->link);
	free(s);
}

/* The guest resource goes (wl_surface.destroy or the client's end): before
 * the host wl_surface, so the role objects go first. */
static void handle_surface_destroy(struct wl_listener *listener, void *data)
{
	struct proxy_held_surface *s = wl_container_of(listener, s, destroy);

	if (s->window)
		proxy_window_surface_lost(s->window);
	surface_free(s);
}

static struct proxy_held_surface *held_surface_get(struct proxy_managed *m,
						   struct proxy_object *object)
{
	struct wl_listener *l = wl_resource_get_destroy_listener(object->resource,
								 handle_surface_destroy);
	struct proxy_held_surface *s;

	if (l)
		return wl_container_of(l, s, destroy);
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->managed = m;
	s->object = object;
	s->destroy.notify = handle_surface_destroy;
	wl_resource_add_destroy_listener(object->resource, &s->destroy);
	wl_list_insert(&m->surfaces, &s->link);
	return s;
}

static bool is_surface(const struct proxy_object *object)
{
	return object && object->info->interface == &wl_surface_interface;
}

struct proxy_held_surface *proxy_managed_surface(struct proxy_managed *m, uint32_t id)
{
	struct wl_resource *resource = wl_client_get_object(m->pc->client, id);
	struct proxy_object *object = proxy_object_from_resource(resource);

	if (!is_surface(object) || object->client != m->pc)
		return NULL;
	return held_surface_get(m, object);
}

void proxy_surface_attach(struct proxy_object *object, uint32_t opcode, union wl_argument *args)
{
	struct proxy_managed *m = object->client->managed;
	struct proxy_held_surface *s = m ? held_surface_get(m, object) : NULL;

	if (s) {
		s->pending_attach = true;
		buffer_ref_set(&s->pending, (struct wl_resource *)args[0].o);
	}
	proxy_forward_request(object, opcode, args);
}

void proxy_surface_state(struct proxy_object *object, uint32_t opcode, union wl_argument *args)
{
	struct proxy_managed *m = object->client->managed;
	struct proxy_held_surface *s = m ? held_surface_get(m, object) : NULL;

	if (s)
		s->pending_state = true;
	proxy_forward_request(object, opcode, args);
}

bool proxy_managed_nothing_pending(const struct proxy_held_surface *s)
{
	return !s->pending_attach && !s->pending_state;
}

/* The host's wl_surface of a held surface, for requests of vsomm's own. */
static struct wl_surface *host_surface(struct proxy_held_surface *s)
{
	return (struct wl_surface *)s->object->host;
}

void proxy_surface_commit(struct proxy_object *object, uint32_t opcode, union wl_argument *args)
{
	struct proxy_managed *m = object->client->managed;
	struct proxy_held_surface *s = m ? held_surface_get(m, object) : NULL;
	enum proxy_commit_action action = PROXY_COMMIT_HOLD;
	struct wl_resource *previous;

	if (!s) {
		proxy_forward_request(object, opcode, args);
		return;
	}
	previous = s->current.resource;
	s->pending_state = false;
	if (s->pending_attach) {
		buffer_ref_set(&s->current, s->pending.resource);
		buffer_ref_clear(&s->pending);
		s->pending_attach = false;
	}
	if (s->guest_role)
		action = PROXY_COMMIT_FORWARD;
	else if (s->window)
		action = proxy_window_commit(s->window);
	if (action == PROXY_COMMIT_FORWARD) {
		s->current_unseen = false;
		s->held = false;
		proxy_forward_request(object, opcode, args);
		return;
	}
	if (action == PROXY_COMMIT_REPLAY) {
		s->held = true;
		proxy_managed_replay(s);
		return;
	}
	/* Held: the host never sees the buffer this commit replaces. */
	if (previous && previous != s->current.resource && s->current_unseen)
		wl_buffer_send_release(previous);
	if (previous != s->current.resource)
		s->current_unseen = s->current.resource != NULL;
	s->held = true;
}

void proxy_managed_replay(struct proxy_held_surface *s)
{
	struct wl_surface *host = host_surface(s);
	struct proxy_object *buffer = proxy_object_from_resource(s->current.resource);

	if (!host)
		return;
	if (buffer && buffer->host) {
		wl_surface_attach(host, (struct wl_buffer *)buffer->host, 0, 0);
		if (wl_proxy_get_version((struct wl_proxy *)host) >=
		    WL_SURFACE_DAMAGE_BUFFER_SINCE_VERSION)
			wl_surface_damage_buffer(host, 0, 0, INT32_MAX, INT32_MAX);
		else
			wl_surface_damage(host, 0, 0, INT32_MAX, INT32_MAX);
	}
	if ((buffer && buffer->host) || s->held)
		wl_surface_commit(host);
	s->held = false;
	s->current_unseen = false;
	if (s->pending_attach) {
		/* The host's pending state is the guest's again. */
		struct proxy_object *pending = proxy_object_from_resource(s->pending.resource);

		wl_surface_attach(host, pending ? (struct wl_buffer *)pending->host : NULL, 0, 0);
	}
	proxy_managed_flush(s->managed);
}

/* ---- hooks ---- */

/*
 * The guest gives a surface a role itself (a cursor, a subsurface, an
 * xdg_surface, a drag icon): it is never held, and what was held shows with
 * one commit after the role request (for an xdg_surface the guest waits for
 * its configure and commits itself).
 */
static void guest_role(struct proxy_object *object, uint32_t opcode, union wl_argument *args,
		       int surface_arg, bool replay)
{
	struct proxy_object *surface = proxy_object_from_resource(
		(struct wl_resource *)args[surface_arg].o);
	struct proxy_managed *m = object->client->managed;
	struct proxy_held_surface *s = NULL;

	if (m && is_surface(surface) && surface->client == object->client) {
		s = held_surface_get(m, surface);
		if (s && !s->window)
			s->guest_role = true;
		else
			s = NULL;
	}
	proxy_forward_request(object, opcode, args);
	if (s && replay && s->held && host_surface(s)) {
		wl_surface_commit(host_surface(s));
		s->held = false;
		s->current_unseen = false;
		proxy_managed_flush(m);
	}
}

static void handle_set_cursor(struct proxy_object *object, uint32_t opcode, union wl_argument *args)
{
	guest_role(object, opcode, args, 1, true); /* serial, surface, x, y */
}

static void handle_get_subsurface(struct proxy_object *object, uint32_t opcode,
				  union wl_argument *args)
{
	guest_role(object, opcode, args, 1, true); /* id, surface, parent */
}

static void handle_get_xdg_surface(struct proxy_object *object, uint32_t opcode,
				   union wl_argument *args)
{
	guest_role(object, opcode, args, 1, false); /* id, surface */
}

static void handle_start_drag(struct proxy_object *object, uint32_t opcode, union wl_argument *args)
{
	if (args[2].o)
		guest_role(object, opcode, args, 2, true); /* source, origin, icon, serial */
	else
		proxy_forward_request(object, opcode, args);
}

/* The guest destroys a surface: its role objects on the host go first. */
static void handle_surface_destroy_request(struct proxy_object *object, uint32_t opcode,
					   union wl_argument *args)
{
	struct proxy_managed *m = object->client->managed;
	struct wl_listener *l = m ? wl_resource_get_destroy_listener(object->resource,
								     handle_surface_destroy)
				  : NULL;

	if (l) {
		struct proxy_held_surface *s = wl_container_of(l, s, destroy);

		if (s->window)
			proxy_window_surface_lost(s->window);
	}
	proxy_forward_request(object, opcode, args);
}

static void note_input_serial(struct proxy_object *object, uint32_t serial)
{
	struct proxy_managed *m = object->client->managed;

	if (m) {
		m->input_serial = serial;
		m->have_input_serial = true;
	}
}

static void handle_pointer_button(struct proxy_object *object, uint32_t opcode,
				  union wl_argument *args)
{
	struct proxy_managed *m = object->client->managed;

	if (m) {
		uint32_t serial = args[0].u, button = args[2].u, state = args[3].u;

		note_input_serial(object, serial);
		if (state == WL_POINTER_BUTTON_STATE_PRESSED) {
			m->button_down = true;
			m->button = button;
			m->button_serial = serial;
		} else if (button == m->button) {
			m->button_down = false;
		}
	}
	proxy_forward_event(object, opcode, args);
}

static void handle_keyboard_serial(struct proxy_object *object, uint32_t opcode,
				   union wl_argument *args)
{
	note_input_serial(object, args[0].u); /* enter and key: serial first */
	proxy_forward_event(object, opcode, args);
}

const struct proxy_hook proxy_managed_hooks[] = {
	{"wl_surface", "destroy", PROXY_REQUEST, handle_surface_destroy_request},
	{"wl_pointer", "set_cursor", PROXY_REQUEST, handle_set_cursor},
	{"zwp_tablet_tool_v2", "set_cursor", PROXY_REQUEST, handle_set_cursor},
	{"wl_subcompositor", "get_subsurface", PROXY_REQUEST, handle_get_subsurface},
	{"xdg_wm_base", "get_xdg_surface", PROXY_REQUEST, handle_get_xdg_surface},
	{"wl_data_device", "start_drag", PROXY_REQUEST, handle_start_drag},
	{"wl_pointer", "button", PROXY_EVENT, handle_pointer_button},
	{"wl_keyboard", "enter", PROXY_EVENT, handle_keyboard_serial},
	{"wl_keyboard", "key", PROXY_EVENT, handle_keyboard_serial},
	{NULL, NULL, 0, NULL},
};

void proxy_managed_finish(struct proxy_client *pc)
{
	struct proxy_managed *m = pc->managed;

	if (!m)
		return;
	/* Every guest resource is gone by now: so are the held surfaces. */
	while (!wl_list_empty(&m->surfaces)) {
		struct proxy_held_surface *s = wl_container_of(m->surfaces.next, s, link);

		if (s->window)
			proxy_window_surface_lost(s->window);
		surface_free(s);
	}
	proxy_window_client_gone(m);
	proxy_selection_finish(m);
	if (m->decoration_manager)
		zxdg_decoration_manager_v1_destroy(m->decoration_manager);
	if (m->wm_base)
		xdg_wm_base_destroy(m->wm_base);
	if (m->subcompositor)
		wl_subcompositor_destroy(m->subcompositor);
	if (m->seat) {
		if (wl_seat_get_version(m->seat) >= WL_SEAT_RELEASE_SINCE_VERSION)
			wl_seat_release(m->seat);
		else
			wl_seat_destroy(m->seat);
	}
	pc->managed = NULL;
	free(m);
}
