/* SPDX-License-Identifier: MIT */
/*
 * Selections for vsomm's X window manager (proxy/window.h): a wl_data_device
 * (and a zwp_primary_selection_device_v1 when the host has its manager) of
 * vsomm's own on the managed client's host connection, on vsomm's own
 * wl_seat.  The host sends a client's data devices the selection while that
 * client has the keyboard focus: as they share the connection with Xwayland,
 * these devices see the selection exactly when an X window has the focus.
 *
 * Offers: each data_offer event makes a proxy whose MIME types are gathered
 * until the selection event names it; the current selection's offer is kept
 * for proxy_selection_receive, the one before it destroyed.  Drag-and-drop
 * offers are destroyed as they enter (not bridged).  While a source of
 * vsomm's own is the selection, the host's offers of it are not reported:
 * the host cancels that source before it announces anyone else's selection,
 * so an offer arriving while the source lives is its own (or one sent before
 * the host had it, stale either way).
 *
 * The data device manager is bound at version 2 at most.  Version 3 only
 * adds drag-and-drop actions, which are not bridged, and a host may apply
 * its drag-and-drop rules to the selection too: Weston 10 cancels a version
 * 3 source whenever a version 3 offer of it that is its latest is destroyed
 * (by us or by any pasting client), though the source stays the selection.
 * vsomm would then drop a source the host still uses, and Weston's clipboard
 * manager would put back its partial copy of it as a new selection, taking
 * the selection from the X client.  With version 2 sources and offers,
 * `cancelled` only ever means that another selection replaced ours.
 *
 * Fds: the pipes of receive and send cross the host connection like the
 * guest's own (the backend's pump translates whatever goes through the
 * connection's socket, whoever wrote it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wayland-client-protocol.h>

#include "util/log.h"
#include "protocols/primary-selection-unstable-v1-client-protocol.h"
#include "proxy/managed.h"

/* A host announcing more is not a real one: the rest are left out. */
#define MAX_MIME_TYPES 128u
#define KINDS 2

struct offer {
	struct wl_list link; /* proxy_selection.offers */
	struct proxy_selection *sel;
	enum proxy_selection_kind kind;
	void *proxy; /* wl_data_offer or zwp_primary_selection_offer_v1 */
	char **mime_types;
	size_t count;
};

struct proxy_selection {
	struct proxy_managed *m;
	const struct proxy_selection_listener *listener;
	void *data;
	struct wl_data_device_manager *manager;
	struct zwp_primary_selection_device_manager_v1 *primary_manager;
	struct wl_list offers; /* offer.link: every live one */
	struct {
		void *device;
		struct offer *current; /* the selection's offer, NULL when none */
		void *source;          /* vsomm's own source while it is the selection */
	} kinds[KINDS];
};

/* ---- offers ---- */

static void offer_destroy(struct offer *offer)
{
	struct proxy_selection *sel = offer->sel;

	if (sel->kinds[offer->kind].current == offer)
		sel->kinds[offer->kind].current = NULL;
	if (offer->kind == PROXY_SELECTION_CLIPBOARD)
		wl_data_offer_destroy(offer->proxy);
	else
		zwp_primary_selection_offer_v1_destroy(offer->proxy);
	for (size_t i = 0; i < offer->count; i++)
		free(offer->mime_types[i]);
	free(offer->mime_types);
	wl_list_remove(&offer->link);
	free(offer);
}

static void offer_add_type(struct offer *offer, const char *mime_type)
{
	char **types;
	char *copy;

	if (!mime_type || offer->count >= MAX_MIME_TYPES)
		return;
	types = realloc(offer->mime_types, (offer->count + 1) * sizeof(*types));
	if (!types)
		return;
	offer->mime_types = types;
	copy = strdup(mime_type);
	if (copy)
		offer->mime_types[offer->count++] = copy;
}

static void handle_data_offer_offer(void *data, struct wl_data_offer *proxy, const char *mime_type)
{
	offer_add_type(data, mime_type);
}

static void handle_data_offer_source_actions(void *data, struct wl_data_offer *proxy,
					     uint32_t actions)
{
}

static void handle_data_offer_action(void *data, struct wl_data_offer *proxy, uint32_t action)
{
}

static const struct wl_data_offer_listener data_offer_listener = {
	.offer = handle_data_offer_offer,
	.source_actions = handle_data_offer_source_actions,
	.action = handle_data_offer_action,
};

static void handle_primary_offer_offer(void *data, struct zwp_primary_selection_offer_v1 *proxy,
				       const char *mime_type)
{
	offer_add_type(data, mime_type);
}

static const struct zwp_primary_selection_offer_v1_listener primary_offer_listener = {
	.offer = handle_primary_offer_offer,
};

/* A data_offer event: a new host object, ours to destroy. */
static void offer_new(struct proxy_selection *sel, enum proxy_selection_kind kind, void *proxy)
{
	struct offer *offer = calloc(1, sizeof(*offer));

	if (!offer) {
		vsomm_log(VSOMM_LOG_ERROR, "out of memory for a selection offer");
		if (kind == PROXY_SELECTION_CLIPBOARD)
			wl_data_offer_destroy(proxy);
		else
			zwp_primary_selection_offer_v1_destroy(proxy);
		return;
	}
	offer->sel = sel;
	offer->kind = kind;
	offer->proxy = proxy;
	wl_list_insert(&sel->offers, &offer->link);
	if (kind == PROXY_SELECTION_CLIPBOARD)
		wl_data_offer_add_listener(proxy, &data_offer_listener, offer);
	else
		zwp_primary_selection_offer_v1_add_listener(proxy, &primary_offer_listener, offer);
}

/* The same MIME types in the same order. */
static bool same_types(const struct offer *a, const struct offer *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++) {
		if (strcmp(a->mime_types[i], b->mime_types[i]) != 0)
			return false;
	}
	return true;
}

/* The selection event: proxy is one of our offers, or NULL (none). */
static void selection_changed(struct proxy_selection *sel, enum proxy_selection_kind kind,
			      void *proxy)
{
	struct offer *offer = proxy ? wl_proxy_get_user_data(proxy) : NULL;
	struct offer *previous = sel->kinds[kind].current;
	bool again = offer && previous && previous != offer && same_types(previous, offer);

	if (previous && previous != offer)
		offer_destroy(previous);
	sel->kinds[kind].current = NULL;
	if (sel->kinds[kind].source) {
		/* vsomm's own source, back from the host; or none, sent
		 * before the host had it (the host clears a selection only
		 * when its source goes, and ours has not). */
		if (offer)
			offer_destroy(offer);
		return;
	}
	sel->kinds[kind].current = offer;
	proxy_managed_flush(sel->m);
	/* A host sends the selection again, as a new offer, whenever the
	 * keyboard focus enters the connection's surfaces (a click on an X
	 * window).  Reported, the XWM would take the X selection again and
	 * could take it from an X client that has just copied (before the
	 * XWM set that client's selection on the host).  Pastes use the
	 * newest offer either way. */
	if (again)
		return;
	if (sel->listener && sel->listener->offer)
		sel->listener->offer(sel->data, kind,
				     offer ? (const char *const *)offer->mime_types : NULL,
				     offer ? offer->count : 0);
}

/* ---- devices ---- */

static void handle_device_data_offer(void *data, struct wl_data_device *device,
				     struct wl_data_offer *proxy)
{
	if (proxy)
		offer_new(data, PROXY_SELECTION_CLIPBOARD, proxy);
}

static void handle_device_enter(void *data, struct wl_data_device *device, uint32_t serial,
				struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y,
				struct wl_data_offer *proxy)
{
	/* Drag and drop is not bridged: drop the drag's offer. */
	if (proxy)
		offer_destroy(wl_proxy_get_user_data((struct wl_proxy *)proxy));
	proxy_managed_flush(((struct proxy_selection *)data)->m);
}

static void handle_device_leave(void *data, struct wl_data_device *device)
{
}

static void handle_device_motion(void *data, struct wl_data_device *device, uint32_t time,
				 wl_fixed_t x, wl_fixed_t y)
{
}

static void handle_device_drop(void *data, struct wl_data_device *device)
{
}

static void handle_device_selection(void *data, struct wl_data_device *device,
				    struct wl_data_offer *proxy)
{
	selection_changed(data, PROXY_SELECTION_CLIPBOARD, proxy);
}

static const struct wl_data_device_listener data_device_listener = {
	.data_offer = handle_device_data_offer,
	.enter = handle_device_enter,
	.leave = handle_device_leave,
	.motion = handle_device_motion,
	.drop = handle_device_drop,
	.selection = handle_device_selection,
};

static void handle_primary_device_data_offer(void *data,
					     struct zwp_primary_selection_device_v1 *device,
					     struct zwp_primary_selection_offer_v1 *proxy)
{
	if (proxy)
		offer_new(data, PROXY_SELECTION_PRIMARY, proxy);
}

static void handle_primary_device_selection(void *data,
					    struct zwp_primary_selection_device_v1 *device,
					    struct zwp_primary_selection_offer_v1 *proxy)
{
	selection_changed(data, PROXY_SELECTION_PRIMARY, proxy);
}

static const struct zwp_primary_selection_device_v1_listener primary_device_listener = {
	.data_offer = handle_primary_device_data_offer,
	.selection = handle_primary_device_selection,
};

/* ---- sources ---- */

static void source_destroy(struct proxy_selection *sel, enum proxy_selection_kind kind)
{
	void *source = sel->kinds[kind].source;

	if (!source)
		return;
	if (kind == PROXY_SELECTION_CLIPBOARD)
		wl_data_source_destroy(source);
	else
		zwp_primary_selection_source_v1_destroy(source);
	sel->kinds[kind].source = NULL;
}

static void source_send(struct proxy_selection *sel, enum proxy_selection_kind kind,
			const char *mime_type, int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 || !sel->listener ||
	    !sel->listener->send || !mime_type) {
		close(fd);
		return;
	}
	sel->listener->send(sel->data, kind, mime_type, fd);
}

static void handle_source_target(void *data, struct wl_data_source *source, const char *mime_type)
{
}

static void handle_source_send(void *data, struct wl_data_source *source, const char *mime_type,
			       int32_t fd)
{
	source_send(data, PROXY_SELECTION_CLIPBOARD, mime_type, fd);
}

static void handle_source_cancelled(void *data, struct wl_data_source *source)
{
	struct proxy_selection *sel = data;

	if (sel->kinds[PROXY_SELECTION_CLIPBOARD].source == source)
		source_destroy(sel, PROXY_SELECTION_CLIPBOARD);
	proxy_managed_flush(sel->m);
}

static void handle_source_dnd_drop_performed(void *data, struct wl_data_source *source)
{
}

static void handle_source_dnd_finished(void *data, struct wl_data_source *source)
{
}

static void handle_source_action(void *data, struct wl_data_source *source, uint32_t action)
{
}

static const struct wl_data_source_listener data_source_listener = {
	.target = handle_source_target,
	.send = handle_source_send,
	.cancelled = handle_source_cancelled,
	.dnd_drop_performed = handle_source_dnd_drop_performed,
	.dnd_finished = handle_source_dnd_finished,
	.action = handle_source_action,
};

static void handle_primary_source_send(void *data, struct zwp_primary_selection_source_v1 *source,
				       const char *mime_type, int32_t fd)
{
	source_send(data, PROXY_SELECTION_PRIMARY, mime_type, fd);
}

static void handle_primary_source_cancelled(void *data,
					    struct zwp_primary_selection_source_v1 *source)
{
	struct proxy_selection *sel = data;

	if (sel->kinds[PROXY_SELECTION_PRIMARY].source == source)
		source_destroy(sel, PROXY_SELECTION_PRIMARY);
	proxy_managed_flush(sel->m);
}

static const struct zwp_primary_selection_source_v1_listener primary_source_listener = {
	.send = handle_primary_source_send,
	.cancelled = handle_primary_source_cancelled,
};

/* ---- window.h ---- */

static struct proxy_selection *selection_of(struct proxy *proxy, struct wl_client *client)
{
	struct proxy_managed *m = proxy_managed_of(proxy, client);

	return m ? m->selection : NULL;
}

bool proxy_selection_listen(struct proxy *proxy, struct wl_client *client,
			    const struct proxy_selection_listener *listener, void *data)
{
	struct proxy_managed *m = proxy_managed_of(proxy, client);
	struct proxy_selection *sel;
	struct wl_seat *seat;

	if (!m)
		return false;
	if (m->selection) {
		m->selection->listener = listener;
		m->selection->data = data;
		return true;
	}
	seat = proxy_managed_seat(m);
	if (!seat)
		return false;
	sel = calloc(1, sizeof(*sel));
	if (!sel)
		return false;
	sel->m = m;
	sel->listener = listener;
	sel->data = data;
	wl_list_init(&sel->offers);
	m->selection = sel;
	/* Version 2: see the top of this file. */
	sel->manager = proxy_managed_bind(m, &wl_data_device_manager_interface, 2);
	if (sel->manager) {
		sel->kinds[PROXY_SELECTION_CLIPBOARD].device =
			wl_data_device_manager_get_data_device(sel->manager, seat);
		if (sel->kinds[PROXY_SELECTION_CLIPBOARD].device)
			wl_data_device_add_listener(sel->kinds[PROXY_SELECTION_CLIPBOARD].device,
						    &data_device_listener, sel);
	}
	sel->primary_manager = proxy_managed_bind(
		m, &zwp_primary_selection_device_manager_v1_interface, 1);
	if (sel->primary_manager) {
		sel->kinds[PROXY_SELECTION_PRIMARY].device =
			zwp_primary_selection_device_manager_v1_get_device(sel->primary_manager,
									   seat);
		if (sel->kinds[PROXY_SELECTION_PRIMARY].device)
			zwp_primary_selection_device_v1_add_listener(
				sel->kinds[PROXY_SELECTION_PRIMARY].device,
				&primary_device_listener, sel);
	}
	proxy_managed_flush(m);
	return true;
}

bool proxy_selection_has_primary(struct proxy *proxy, struct wl_client *client)
{
	struct proxy_managed *m = proxy_managed_of(proxy, client);
	uint32_t name, version;

	return m && proxy_registry_find_global(m->pc, "zwp_primary_selection_device_manager_v1",
					       &name, &version);
}

static bool valid_kind(enum proxy_selection_kind kind)
{
	return kind == PROXY_SELECTION_CLIPBOARD || kind == PROXY_SELECTION_PRIMARY;
}

bool proxy_selection_set(struct proxy *proxy, struct wl_client *client,
			 enum proxy_selection_kind kind, const char *const *mime_types,
			 size_t count)
{
	struct proxy_selection *sel = selection_of(proxy, client);
	void *device, *source = NULL, *old;
	uint32_t serial;

	if (!sel || !valid_kind(kind) || !sel->kinds[kind].device || !sel->m->have_input_serial ||
	    (count && !mime_types))
		return false;
	device = sel->kinds[kind].device;
	serial = sel->m->input_serial;
	/* The old source goes after the new one is set: destroying the
	 * selection's source would have the host (a clipboard manager) put
	 * a selection of its own in between, which the XWM would report. */
	old = sel->kinds[kind].source;
	sel->kinds[kind].source = NULL;
	if (count) {
		if (kind == PROXY_SELECTION_CLIPBOARD) {
			source = wl_data_device_manager_create_data_source(sel->manager);
			if (source)
				wl_data_source_add_listener(source, &data_source_listener, sel);
		} else {
			source = zwp_primary_selection_device_manager_v1_create_source(
				sel->primary_manager);
			if (source)
				zwp_primary_selection_source_v1_add_listener(
					source, &primary_source_listener, sel);
		}
		if (!source) {
			sel->kinds[kind].source = old;
			return false;
		}
		for (size_t i = 0; i < count; i++) {
			if (!mime_types[i])
				continue;
			if (kind == PROXY_SELECTION_CLIPBOARD)
				wl_data_source_offer(source, mime_types[i]);
			else
				zwp_primary_selection_source_v1_offer(source, mime_types[i]);
		}
		sel->kinds[kind].source = source;
	}
	if (kind == PROXY_SELECTION_CLIPBOARD)
		wl_data_device_set_selection(device, source, serial);
	else
		zwp_primary_selection_device_v1_set_selection(device, source, serial);
	if (old && kind == PROXY_SELECTION_CLIPBOARD)
		wl_data_source_destroy(old);
	else if (old)
		zwp_primary_selection_source_v1_destroy(old);
	proxy_managed_flush(sel->m);
	return true;
}

int proxy_selection_receive(struct proxy *proxy, struct wl_client *client,
			    enum proxy_selection_kind kind, const char *mime_type)
{
	struct proxy_selection *sel = selection_of(proxy, client);
	struct offer *offer = sel && valid_kind(kind) ? sel->kinds[kind].current : NULL;
	int fds[2];

	if (!offer || !mime_type)
		return -1;
	/* Only our end is non-blocking: the writer is the host's client. */
	if (pipe2(fds, O_CLOEXEC) < 0) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "pipe2");
		return -1;
	}
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	/* libwayland sends a duplicate of the write end: ours is closed here. */
	if (kind == PROXY_SELECTION_CLIPBOARD)
		wl_data_offer_receive(offer->proxy, mime_type, fds[1]);
	else
		zwp_primary_selection_offer_v1_receive(offer->proxy, mime_type, fds[1]);
	close(fds[1]);
	proxy_managed_flush(sel->m);
	return fds[0];
}

void proxy_selection_finish(struct proxy_managed *m)
{
	struct proxy_selection *sel = m->selection;

	if (!sel)
		return;
	while (!wl_list_empty(&sel->offers)) {
		struct offer *offer = wl_container_of(sel->offers.next, offer, link);

		offer_destroy(offer);
	}
	source_destroy(sel, PROXY_SELECTION_CLIPBOARD);
	source_destroy(sel, PROXY_SELECTION_PRIMARY);
	if (sel->kinds[PROXY_SELECTION_CLIPBOARD].device) {
		if (wl_data_device_get_version(sel->kinds[PROXY_SELECTION_CLIPBOARD].device) >=
		    WL_DATA_DEVICE_RELEASE_SINCE_VERSION)
			wl_data_device_release(sel->kinds[PROXY_SELECTION_CLIPBOARD].device);
		else
			wl_data_device_destroy(sel->kinds[PROXY_SELECTION_CLIPBOARD].device);
	}
	if (sel->kinds[PROXY_SELECTION_PRIMARY].device)
		zwp_primary_selection_device_v1_destroy(sel->kinds[PROXY_SELECTION_PRIMARY].device);
	if (sel->manager)
		wl_data_device_manager_destroy(sel->manager);
	if (sel->primary_manager)
		zwp_primary_selection_device_manager_v1_destroy(sel->primary_manager);
	m->selection = NULL;
	free(sel);
}
