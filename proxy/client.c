/* SPDX-License-Identifier: MIT */
/*
 * One guest client: its own host connection (a wl_display on the fd the
 * backend gives), pumped from the event loop, flushed before the loop
 * sleeps.  The two live and die together: a guest disconnect destroys the
 * host connection; a host error or EOF disconnects that guest client alone,
 * after posting the host's protocol error on the matching guest object.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wayland-server-protocol.h>

#include "util/log.h"
#include "proxy/proxy-private.h"

static struct proxy_object *find_by_host_id(struct proxy_client *pc, uint32_t id)
{
	struct proxy_object *object;

	if (id == 1)
		return &pc->display;
	wl_list_for_each(object, &pc->objects, link) {
		if (object->host && wl_proxy_get_id(object->host) == id)
			return object;
	}
	return NULL;
}

/* Tell the guest why and disconnect it.  Not from inside a dispatch of this
 * client's requests (it destroys the client). */
static void host_failed(struct proxy_client *pc)
{
	int error = wl_display_get_error(pc->host);
	struct wl_client *client = pc->client;
	const struct wl_interface *interface = NULL;
	uint32_t id = 0;
	uint32_t code = wl_display_get_protocol_error(pc->host, &interface, &id);

	/* A protocol error (errno EPROTO, or EINVAL/ENOMEM for wl_display's
	 * own codes) has an interface; on an object already destroyed, none. */
	if (interface) {
		struct proxy_object *object = find_by_host_id(pc, id);

		vsomm_log(VSOMM_LOG_INFO, "host protocol error %u on %s@%u", code, interface->name,
			  id);
		if (object && object->resource)
			wl_resource_post_error(object->resource, code,
					       "host compositor: error %u on %s", code,
					       object->info->name);
		else
			wl_client_post_implementation_error(client,
							    "host compositor: error %u on %s@%u",
							    code, interface->name, id);
	} else {
		vsomm_log(VSOMM_LOG_INFO, "host connection lost: %s",
			  error ? strerror(error) : "end of file");
		wl_client_post_implementation_error(client, "host compositor connection lost");
	}
	wl_client_destroy(client);
}

static bool flush_host(struct proxy_client *pc)
{
	bool want_writable = false;

	/* A failed write leaves the display in error, whatever errno says. */
	if (wl_display_get_error(pc->host))
		return false;
	int sent = wl_display_flush(pc->host);
	if (sent < 0) {
		if (errno != EAGAIN || !proxy_limits_pending_check(pc))
			return false;
		want_writable = true;
	}
	/* the backend takes them now: no wake-up of its own for them */
	if (sent > 0 && pc->proxy->backend.host_flushed)
		pc->proxy->backend.host_flushed(pc->proxy->backend_data, pc->conn);
	if (want_writable != pc->host_writable) {
		pc->host_writable = want_writable;
		wl_event_source_fd_update(pc->host_source,
					  WL_EVENT_READABLE |
						  (want_writable ? WL_EVENT_WRITABLE : 0));
	}
	return true;
}

static bool read_host(struct proxy_client *pc, bool readable)
{
	while (wl_display_prepare_read(pc->host) != 0) {
		if (wl_display_dispatch_pending(pc->host) < 0)
			return false;
	}
	if (readable) {
		if (wl_display_read_events(pc->host) < 0)
			return false;
	} else {
		wl_display_cancel_read(pc->host);
	}
	return wl_display_dispatch_pending(pc->host) >= 0;
}

static void handle_client_destroy(struct wl_listener *listener, void *data);

/* Relay what the host sent.  false: pc is gone or being ended. */
static bool relay_host(struct proxy_client *pc, uint32_t mask)
{
	/* HANGUP/ERROR: read what is left (the host's error event, maybe);
	 * read_events then reports the EOF. */
	if (!read_host(pc, mask & (WL_EVENT_READABLE | WL_EVENT_HANGUP | WL_EVENT_ERROR)) ||
	    !flush_host(pc)) {
		if (pc->limit_hit)
			return false; /* limits.c ends it */
		host_failed(pc);
		return false;
	}
	if (mask & (WL_EVENT_HANGUP | WL_EVENT_ERROR)) {
		/* Nothing more will come: an EOF without an error event. */
		host_failed(pc);
		return false;
	}
	/* Events were relayed: the client must be reading them. */
	proxy_limits_pending_poll(pc);
	return true;
}

static int handle_host_fd(int fd, uint32_t mask, void *data)
{
	relay_host(data, mask);
	return 0;
}

static void handle_ready_idle(void *data)
{
	struct proxy_client *pc = data;

	pc->ready_idle = NULL;
	if (relay_host(pc, WL_EVENT_READABLE))
		wl_client_flush(pc->client);
}

void proxy_client_host_ready(struct wl_client *client)
{
	struct wl_listener *l = wl_client_get_destroy_listener(client, handle_client_destroy);
	if (!l)
		return;
	struct proxy_client *pc = wl_container_of(l, pc, client_destroy);
	if (pc->ready_idle || !pc->host || pc->kill_idle || pc->destroying)
		return;
	/* without the idle, the host fd's next wake-up relays them, an iteration later */
	pc->ready_idle = wl_event_loop_add_idle(pc->proxy->loop, handle_ready_idle, pc);
}

static void handle_flush_idle(void *data)
{
	struct proxy_client *pc = data;

	pc->flush_idle = NULL;
	if (!flush_host(pc) && !pc->limit_hit)
		host_failed(pc);
}

void proxy_client_schedule_flush(struct proxy_client *pc)
{
	/* Destroying: the connection is disconnected, not flushed. */
	if (pc->flush_idle || !pc->host || pc->destroying)
		return;
	pc->flush_idle = wl_event_loop_add_idle(pc->proxy->loop, handle_flush_idle, pc);
	if (!pc->flush_idle && !flush_host(pc))
		vsomm_log(VSOMM_LOG_ERROR, "cannot flush the host connection");
}

static void handle_kill_idle(void *data)
{
	struct proxy_client *pc = data;

	pc->kill_idle = NULL;
	wl_client_destroy(pc->client);
}

static void handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct proxy_client *pc = wl_container_of(listener, pc, client_destroy);

	proxy_client_destroy(pc);
}

void proxy_client_create(struct proxy *proxy, struct wl_client *client)
{
	struct proxy_client *pc;
	int fd;

	pc = calloc(1, sizeof(*pc));
	if (!pc) {
		/* Its requests reach libwayland's own wl_display: an empty
		 * registry.  Tell the client. */
		wl_client_post_no_memory(client);
		return;
	}
	pc->proxy = proxy;
	pc->client = client;
	wl_list_init(&pc->globals);
	wl_list_init(&pc->registries);
	wl_list_init(&pc->objects);
	wl_list_init(&pc->display.link);
	wl_list_insert(&proxy->clients, &pc->link);
	pc->client_destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(client, &pc->client_destroy);
	proxy_limits_client_init(pc);

	fd = proxy->backend.connect_host(proxy->backend_data, client, &pc->conn);
	if (fd < 0) {
		pc->conn = NULL;
		vsomm_log(VSOMM_LOG_ERROR, "cannot connect a client to the host compositor");
		goto err;
	}
	pc->host = wl_display_connect_to_fd(fd); /* closes fd on failure */
	if (!pc->host) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "wl_display_connect_to_fd");
		goto err;
	}
	pc->host_source = wl_event_loop_add_fd(proxy->loop, wl_display_get_fd(pc->host),
					       WL_EVENT_READABLE, handle_host_fd, pc);
	if (!pc->host_source)
		goto err;
	if (!proxy_registry_init(pc))
		goto err;
	return;

err:
	/* Not from inside wl_client_create: an idle destroys the client. */
	wl_client_post_implementation_error(client, "cannot reach the host compositor");
	pc->kill_idle = wl_event_loop_add_idle(proxy->loop, handle_kill_idle, pc);
}

/* Every idle of pc, before it is freed. */
static void remove_idles(struct proxy_client *pc)
{
	struct wl_event_source **idles[] = {&pc->flush_idle, &pc->ready_idle, &pc->kill_idle,
					    &pc->limit_idle};

	for (size_t i = 0; i < sizeof(idles) / sizeof(idles[0]); i++) {
		if (*idles[i])
			wl_event_source_remove(*idles[i]);
		*idles[i] = NULL;
	}
}

/*
 * Called from the client's destroy signal: by libwayland (the guest went, or
 * its protocol error), by host_failed (the host's error or EOF, maybe from
 * one of pc's own idles), by the limits, or by the proxy's end.  What runs
 * below calls back into code that schedules work on pc (window owners'
 * callbacks, vsomm's own objects being destroyed): nothing is scheduled once
 * `destroying` is set, and what was is removed last, just before the free.
 */
void proxy_client_destroy(struct proxy_client *pc)
{
	pc->destroying = true;
	proxy_limits_client_finish(pc);
	/*
	 * Destroy every relayed resource now, while the client's display
	 * resource still exists (see proxy_registry_init); each takes its
	 * host proxy with it, so the host connection holds no proxy of ours
	 * when it is disconnected.
	 */
	while (!wl_list_empty(&pc->objects)) {
		struct proxy_object *object = wl_container_of(pc->objects.next, object, link);

		wl_resource_destroy(object->resource);
	}
	/* vsomm's own host objects, before the connection they are on */
	proxy_managed_finish(pc);
	proxy_registry_finish(pc);
	if (pc->host_source)
		wl_event_source_remove(pc->host_source);
	if (pc->host)
		wl_display_disconnect(pc->host);
	if (pc->conn && pc->proxy->backend.disconnect_host)
		pc->proxy->backend.disconnect_host(pc->proxy->backend_data, pc->conn);
	remove_idles(pc);
	wl_list_remove(&pc->client_destroy.link);
	wl_list_remove(&pc->link);
	free(pc);
}
