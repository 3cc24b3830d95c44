/* SPDX-License-Identifier: MIT */
/*
 * vsomm's own wl_display and wl_registry for each guest client.
 *
 * libwayland-server creates object 1 (wl_display) before it emits the client
 * created signal; we replace its dispatcher (wl_resource_set_dispatcher on
 * wl_client_get_object(client, 1), which libwayland 1.21 allows: it only
 * swaps the dispatcher, implementation, data and destroy fields) so that
 *   - get_registry creates a registry of ours, announcing the host globals
 *     the forwarding tables know, at min(host, vsomm) version; the others are
 *     hidden;
 *   - sync is forwarded to the host (a host wl_callback; its done becomes the
 *     guest callback's done), so a guest round trip still means "the host
 *     compositor has seen everything before it".
 *
 * The host registry of the client's own connection is requested when the
 * client connects, without blocking: its globals arrive before the answer to
 * any sync the guest sends later, so a guest's get_registry + roundtrip sees
 * all of them, and globals added or removed later are forwarded as they come.
 */
#include <stdlib.h>
#include <string.h>
#include <wayland-client-protocol.h>
#include <wayland-server-protocol.h>

#include "util/log.h"
#include "proxy/proxy-private.h"

struct proxy_global {
	struct wl_list link; /* proxy_client.globals */
	uint32_t name;       /* the host's name, announced unchanged */
	uint32_t version;    /* min(host, vsomm) */
	const struct vsomm_interface_info *info;
	bool removed;
};

static struct proxy_global *find_global(struct proxy_client *pc, uint32_t name)
{
	struct proxy_global *global;

	wl_list_for_each(global, &pc->globals, link) {
		if (global->name == name)
			return global;
	}
	return NULL;
}

bool proxy_registry_find_global(struct proxy_client *pc, const char *interface, uint32_t *name,
				uint32_t *version)
{
	struct proxy_global *global;

	wl_list_for_each(global, &pc->globals, link) {
		if (!global->removed && strcmp(global->info->name, interface) == 0) {
			*name = global->name;
			*version = global->version;
			return true;
		}
	}
	return false;
}

static void registry_bind(struct wl_client *client, struct wl_resource *registry, uint32_t name,
			  const char *interface, uint32_t version, uint32_t id)
{
	struct proxy_client *pc = wl_resource_get_user_data(registry);
	struct proxy_global *global = find_global(pc, name);
	struct wl_resource *resource;
	struct wl_proxy *host = NULL;

	if (!global || strcmp(interface, global->info->name) != 0) {
		wl_resource_post_error(pc->display.resource, WL_DISPLAY_ERROR_INVALID_OBJECT,
				       "invalid global %s (%u)", interface, name);
		return;
	}
	if (version == 0 || version > global->version) {
		wl_resource_post_error(pc->display.resource, WL_DISPLAY_ERROR_INVALID_OBJECT,
				       "invalid version for global %s (%u): have %u, wanted %u",
				       interface, name, global->version, version);
		return;
	}
	resource = wl_resource_create(client, global->info->interface, (int)version, id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	/* A global removed on the host but not yet seen removed by the guest
	 * gives an inert object, as libwayland-server does. */
	if (!global->removed) {
		host = wl_registry_bind(pc->host_registry, name, global->info->interface, version);
		proxy_client_schedule_flush(pc);
	}
	if (pc->proxy->trace)
		vsomm_log(VSOMM_LOG_TRACE,
			  "guest -> host wl_registry.bind(%u, \"%s\", %u) -> %s@%u", name,
			  interface, version, interface, id);
	if (!proxy_object_create(pc, global->info, resource, host)) {
		if (host)
			wl_proxy_destroy(host);
		wl_resource_destroy(resource);
		wl_client_post_no_memory(client);
	}
}

static const struct wl_registry_interface registry_impl = {
	.bind = registry_bind,
};

static void handle_registry_destroy(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

static void display_get_registry(struct proxy_client *pc, uint32_t id)
{
	struct wl_resource *resource;
	struct proxy_global *global;

	resource = wl_resource_create(pc->client, &wl_registry_interface, 1, id);
	if (!resource) {
		wl_client_post_no_memory(pc->client);
		return;
	}
	wl_resource_set_implementation(resource, &registry_impl, pc, handle_registry_destroy);
	wl_list_insert(pc->registries.prev, wl_resource_get_link(resource));
	wl_list_for_each(global, &pc->globals, link) {
		if (!global->removed)
			wl_registry_send_global(resource, global->name, global->info->name,
						global->version);
	}
}

static const char display_tag;

static int dispatch_display(const void *implementation, void *target, uint32_t opcode,
			    const struct wl_message *message, union wl_argument *args)
{
	struct wl_resource *resource = target;
	struct proxy_client *pc = wl_resource_get_user_data(resource);

	if (pc->proxy->trace)
		proxy_trace(pc, PROXY_REQUEST, &pc->display, message, args);
	switch (opcode) {
	case WL_DISPLAY_SYNC:
		/* Generic: a host wl_callback whose done (a destructor event)
		 * ends both sides. */
		proxy_forward_request(&pc->display, opcode, args);
		break;
	case WL_DISPLAY_GET_REGISTRY:
		display_get_registry(pc, args[0].n);
		break;
	default:
		wl_client_post_implementation_error(pc->client, "wl_display request %u", opcode);
		break;
	}
	return 0;
}

static void handle_host_global(void *data, struct wl_registry *registry, uint32_t name,
			       const char *interface, uint32_t version)
{
	struct proxy_client *pc = data;
	const struct vsomm_interface_info *info = vsomm_forward_find(interface);
	struct proxy_global *global;
	struct wl_resource *resource;

	if (!info || !info->global || version == 0) {
		vsomm_log(VSOMM_LOG_DEBUG, "hiding host global %s version %u", interface, version);
		return;
	}
	if (find_global(pc, name)) {
		vsomm_log(VSOMM_LOG_ERROR, "host announced global %u twice", name);
		return;
	}
	global = calloc(1, sizeof(*global));
	if (!global) {
		vsomm_log(VSOMM_LOG_ERROR, "out of memory: hiding host global %s", interface);
		return;
	}
	global->name = name;
	global->info = info;
	global->version = version < info->version ? version : info->version;
	wl_list_insert(pc->globals.prev, &global->link);
	wl_resource_for_each(resource, &pc->registries)
		wl_registry_send_global(resource, name, info->name, global->version);
}

static void handle_host_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
	struct proxy_client *pc = data;
	struct proxy_global *global = find_global(pc, name);
	struct wl_resource *resource;

	if (!global || global->removed)
		return;
	/* Kept, marked removed: a bind racing with the removal gets an inert
	 * object rather than an error. */
	global->removed = true;
	wl_resource_for_each(resource, &pc->registries)
		wl_registry_send_global_remove(resource, name);
}

static const struct wl_registry_listener host_registry_listener = {
	.global = handle_host_global,
	.global_remove = handle_host_global_remove,
};

bool proxy_registry_init(struct proxy_client *pc)
{
	struct wl_resource *display = wl_client_get_object(pc->client, 1);

	if (!display || strcmp(wl_resource_get_class(display), "wl_display") != 0)
		return false;
	pc->display.client = pc;
	pc->display.info = vsomm_forward_find("wl_display");
	pc->display.resource = display;
	pc->display.host = (struct wl_proxy *)pc->host;
	wl_list_init(&pc->display.link);
	/*
	 * No destroy function: libwayland's own (which clears the client's
	 * display_resource pointer) is replaced.  proxy_client_destroy therefore
	 * destroys every other resource of the client from the client's destroy
	 * signal, while the display resource still exists, so no destroy
	 * handler can reach the display resource after it is freed.
	 */
	wl_resource_set_dispatcher(display, dispatch_display, &display_tag, pc, NULL);

	pc->host_registry = wl_display_get_registry(pc->host);
	if (!pc->host_registry)
		return false;
	wl_registry_add_listener(pc->host_registry, &host_registry_listener, pc);
	proxy_client_schedule_flush(pc);
	return true;
}

void proxy_registry_finish(struct proxy_client *pc)
{
	struct proxy_global *global, *tmp;
	struct wl_resource *resource, *next;

	wl_resource_for_each_safe(resource, next, &pc->registries) wl_resource_destroy(resource);
	wl_list_for_each_safe(global, tmp, &pc->globals, link) {
		wl_list_remove(&global->link);
		free(global);
	}
	if (pc->host_registry) {
		wl_registry_destroy(pc->host_registry);
		pc->host_registry = NULL;
	}
}
