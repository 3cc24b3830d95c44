/* SPDX-License-Identifier: MIT */
/*
 * The generic forwarder: every guest resource gets dispatch_request
 * (wl_resource_set_dispatcher), every host proxy dispatch_event
 * (wl_proxy_add_dispatcher); both map object arguments to the other side and
 * create the other side of new objects, driven by protocols/forward-tables.h.
 *
 * Lifetimes (wlroots' CONTRIBUTING.md, "inert resources"): a relayed object
 * lives as long as its guest resource.  When the host object goes first
 * (destructor event) both sides go; when it goes without the guest's say, the
 * guest resource stays valid but inert: its requests are ignored, except
 * destructors.  Events for host objects whose guest resource is gone never
 * arrive: the host proxy is destroyed with the resource.
 *
 * libwayland hands the dispatchers the fds of a message; they are ours to
 * close (wl_closure_dispatch clears them from the closure).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wayland-server-protocol.h>

#include "util/log.h"
#include "proxy/proxy-private.h"

void proxy_close_fds(const char *signature, union wl_argument *args)
{
	int i = 0;

	for (const char *p = signature; *p; p++) {
		if (*p >= '0' && *p <= '9')
			continue;
		if (*p == '?')
			continue;
		if (*p == 'h' && args[i].h >= 0) {
			close(args[i].h);
			args[i].h = -1;
		}
		i++;
	}
}

static void close_fd_args(const struct vsomm_message_info *m, union wl_argument *args)
{
	/* Bit by bit of the mask: most messages have no fd. */
	for (uint32_t bits = m->fd_args; bits; bits &= bits - 1) {
		int i = __builtin_ctz(bits);

		if (args[i].h >= 0) {
			close(args[i].h);
			args[i].h = -1;
		}
	}
}

static int dispatch_request(const void *implementation, void *target, uint32_t opcode,
			    const struct wl_message *message, union wl_argument *args);
static int dispatch_event(const void *implementation, void *target, uint32_t opcode,
			  const struct wl_message *message, union wl_argument *args);

static void handle_resource_destroy(struct wl_resource *resource)
{
	struct proxy_object *object = wl_resource_get_user_data(resource);

	if (object->hook_destroy)
		object->hook_destroy(object);
	/* The host object may live on (no destructor request, or the client
	 * vanished): the host proxy becomes a zombie, its events are dropped. */
	if (object->host)
		wl_proxy_destroy(object->host);
	wl_list_remove(&object->link);
	free(object);
}

void proxy_object_set_host(struct proxy_object *object, struct wl_proxy *host)
{
	object->host = host;
	/* Fails only when the proxy already has a listener: never ours. */
	if (wl_proxy_add_dispatcher(host, dispatch_event, object->info, object) < 0)
		vsomm_log(VSOMM_LOG_ERROR, "host %s@%u already has a listener", object->info->name,
			  wl_proxy_get_id(host));
}

struct proxy_object *proxy_object_create(struct proxy_client *pc,
					 const struct vsomm_interface_info *info,
					 struct wl_resource *resource, struct wl_proxy *host)
{
	struct proxy_object *object = calloc(1, sizeof(*object));

	if (!object)
		return NULL;
	object->client = pc;
	object->info = info;
	object->resource = resource;
	wl_list_insert(&pc->objects, &object->link);
	/* The implementation pointer is the interface's table entry: it tells
	 * our resources from any other (proxy_object_from_resource). */
	wl_resource_set_dispatcher(resource, dispatch_request, info, object,
				   handle_resource_destroy);
	if (host)
		proxy_object_set_host(object, host);
	return object;
}

/* Our implementations are entries of vsomm_forward_interfaces: a pointer
 * compare tells whether an implementation (or listener) is one. */
static const struct vsomm_interface_info *table_entry(const void *implementation)
{
	uintptr_t p = (uintptr_t)implementation;
	uintptr_t base = (uintptr_t)vsomm_forward_interfaces;
	size_t size = sizeof(vsomm_forward_interfaces[0]);

	if (p < base || p >= base + vsomm_forward_interface_count * size || (p - base) % size)
		return NULL;
	return implementation;
}

/*
 * The interface entry of a class name as libwayland gives it back: the name
 * pointer of the wl_interface the resource was created with.  Our resources
 * are created with info->interface, so that name pointer is enough to find
 * info (info->interface->name == class): a direct-mapped cache of pointers in
 * front of the search by name, which the first object of each interface fills.
 */
#define CLASS_CACHE_SIZE 256u

static const struct vsomm_interface_info *info_from_class(const char *class)
{
	static struct {
		const char *class;
		const struct vsomm_interface_info *info;
	} cache[CLASS_CACHE_SIZE];
	size_t slot = ((uintptr_t) class >> 3) % CLASS_CACHE_SIZE;
	const struct vsomm_interface_info *info;

	if (cache[slot].class == class)
		return cache[slot].info;
	info = vsomm_forward_find(class);
	/* Only a name pointer that is our interface's own may stand for it. */
	if (info && info->interface->name == class) {
		cache[slot].class = class;
		cache[slot].info = info;
	}
	return info;
}

struct proxy_object *proxy_object_from_resource(struct wl_resource *resource)
{
	const struct vsomm_interface_info *info;

	if (!resource)
		return NULL;
	info = info_from_class(wl_resource_get_class(resource));
	/* Same interface pointer: libwayland compares pointers, no strcmp. */
	if (!info || !wl_resource_instance_of(resource, info->interface, info))
		return NULL;
	return wl_resource_get_user_data(resource);
}

struct proxy_object *proxy_object_from_host(struct wl_proxy *host)
{
	/* A host proxy is ours when its listener is an interface entry
	 * (proxy_object_set_host); then its user data is the object. */
	if (!host || !table_entry(wl_proxy_get_listener(host)))
		return NULL;
	return wl_proxy_get_user_data(host);
}

/* The new guest resource of a request's new_id: same version as its parent
 * (or the version the request names, for an untyped new_id). */
static bool create_request_new_id(struct proxy_object *object, const struct vsomm_message_info *m,
				  union wl_argument *args, struct proxy_object **new_object)
{
	struct wl_client *client = object->client->client;
	const struct vsomm_interface_info *info = m->new_id_info;
	uint32_t version = (uint32_t)wl_resource_get_version(object->resource);
	struct wl_resource *resource;
	int i = m->new_id_arg;

	if (m->generic_new_id) {
		/* "sun": interface name, version, id.  libwayland has checked the
		 * string is terminated. */
		info = vsomm_forward_find(args[i - 2].s);
		version = args[i - 1].u;
		if (!info || version == 0 || version > info->version) {
			wl_resource_post_error(
				object->client->display.resource, WL_DISPLAY_ERROR_INVALID_OBJECT,
				"%s.%s: cannot relay %s version %u", object->info->name, m->name,
				args[i - 2].s ? args[i - 2].s : "(null)", version);
			return false;
		}
	}
	if (version == 0)
		version = 1; /* wl_display's children */
	resource = wl_resource_create(client, info->interface, (int)version, args[i].n);
	if (!resource) {
		wl_client_post_no_memory(client);
		return false;
	}
	*new_object = proxy_object_create(object->client, info, resource, NULL);
	if (!*new_object) {
		wl_resource_destroy(resource);
		wl_client_post_no_memory(client);
		return false;
	}
	return true;
}

void proxy_forward_request(struct proxy_object *object, uint32_t opcode, union wl_argument *args)
{
	const struct vsomm_message_info *m = &object->info->requests[opcode];
	union wl_argument out[PROXY_MAX_ARGS];
	struct proxy_object *new_object = NULL;
	bool inert = object->host == NULL;

	if (object->host) {
		uint32_t host_version = wl_proxy_get_version(object->host);

		/* 0: wl_display and unversioned proxies. */
		if (host_version != 0 && host_version < m->since) {
			wl_resource_post_error(object->client->display.resource,
					       WL_DISPLAY_ERROR_INVALID_METHOD,
					       "%s.%s needs version %u, the host object has %u",
					       object->info->name, m->name, m->since, host_version);
			goto out;
		}
	}

	memcpy(out, args, m->arg_count * sizeof(out[0]));
	for (uint32_t bits = m->object_args; bits; bits &= bits - 1) {
		uint32_t i = (uint32_t)__builtin_ctz(bits);
		struct proxy_object *arg;

		if (!args[i].o)
			continue;
		arg = proxy_object_from_resource((struct wl_resource *)args[i].o);
		if (!arg) {
			wl_resource_post_error(object->client->display.resource,
					       WL_DISPLAY_ERROR_INVALID_OBJECT,
					       "%s.%s: argument %u is not a relayed object",
					       object->info->name, m->name, i);
			goto out;
		}
		if (arg->host) {
			out[i].o = (struct wl_object *)arg->host;
		} else if (m->nullable_args & (1u << i)) {
			out[i].o = NULL;
		} else {
			/* Refers to an inert object: the request cannot mean
			 * anything to the host any more. */
			inert = true;
		}
	}

	if (m->new_id_arg >= 0) {
		if (!create_request_new_id(object, m, args, &new_object))
			goto out;
		out[m->new_id_arg].o = NULL;
	}

	if (!inert) {
		uint32_t flags = m->destructor ? WL_MARSHAL_FLAG_DESTROY : 0;
		struct wl_proxy *host;

		host = wl_proxy_marshal_array_flags(
			object->host, opcode, new_object ? new_object->info->interface : NULL,
			new_object ? (uint32_t)wl_resource_get_version(new_object->resource) : 0,
			flags, out);
		if (m->destructor)
			object->host = NULL;
		/* No host proxy: the host connection failed (the flush notices
		 * and disconnects the client) or ENOMEM; the new object is inert. */
		if (new_object && host)
			proxy_object_set_host(new_object, host);
		proxy_client_schedule_flush(object->client);
	}

	if (m->destructor)
		wl_resource_destroy(object->resource);
out:
	close_fd_args(m, args);
}

void proxy_forward_event(struct proxy_object *object, uint32_t opcode, union wl_argument *args)
{
	const struct vsomm_message_info *m = &object->info->events[opcode];
	struct wl_client *client = object->client->client;
	uint32_t version = (uint32_t)wl_resource_get_version(object->resource);
	union wl_argument out[PROXY_MAX_ARGS];
	bool drop = m->since > version;

	memcpy(out, args, m->arg_count * sizeof(out[0]));
	for (uint32_t bits = drop ? 0 : m->object_args; bits && !drop; bits &= bits - 1) {
		uint32_t i = (uint32_t)__builtin_ctz(bits);
		struct proxy_object *arg;

		if (!args[i].o) {
			/* libwayland-client gives NULL for an object the guest has
			 * destroyed meanwhile (wl_keyboard.leave of a surface just
			 * gone): for a non-nullable argument the event means
			 * nothing to the guest, and posting it would kill the client. */
			if (!(m->nullable_args & (1u << i))) {
				vsomm_log(VSOMM_LOG_DEBUG, "dropping %s.%s: argument %u is gone",
					  object->info->name, m->name, i);
				drop = true;
			}
			continue;
		}
		arg = proxy_object_from_host((struct wl_proxy *)args[i].o);
		if (arg) {
			out[i].o = (struct wl_object *)arg->resource;
		} else if (m->nullable_args & (1u << i)) {
			out[i].o = NULL;
		} else {
			vsomm_log(VSOMM_LOG_DEBUG, "dropping %s.%s: argument %u is not relayed",
				  object->info->name, m->name, i);
			drop = true;
		}
	}

	if (m->new_id_arg >= 0) {
		struct wl_proxy *host = (struct wl_proxy *)args[m->new_id_arg].o;
		struct wl_resource *resource = NULL;
		struct proxy_object *new_object = NULL;

		if (!host) {
			drop = true; /* id 0: a broken host */
		} else if (drop) {
			wl_proxy_destroy(host);
		} else {
			resource = wl_resource_create(client, m->new_id_info->interface,
						      (int)version, 0);
			if (resource)
				new_object = proxy_object_create(object->client, m->new_id_info,
								 resource, host);
			if (!new_object) {
				if (resource)
					wl_resource_destroy(resource);
				wl_proxy_destroy(host);
				wl_client_post_no_memory(client);
				drop = true;
			} else {
				out[m->new_id_arg].o = (struct wl_object *)resource;
			}
		}
	}

	if (!drop)
		wl_resource_post_event_array(object->resource, opcode, out);
	close_fd_args(m, args);

	if (m->destructor) {
		/* wl_callback.done & co.: the host object is gone, the guest's
		 * is destroyed by its compositor, i.e. us. */
		if (object->host) {
			wl_proxy_destroy(object->host);
			object->host = NULL;
		}
		wl_resource_destroy(object->resource);
	}
}

static int dispatch_request(const void *implementation, void *target, uint32_t opcode,
			    const struct wl_message *message, union wl_argument *args)
{
	struct wl_resource *resource = target;
	struct proxy_object *object = wl_resource_get_user_data(resource);
	const struct vsomm_interface_info *info = implementation;
	proxy_hook_func_t hook;

	if (opcode >= info->request_count) {
		/* Versions are capped to the tables: a proxy bug. */
		wl_client_post_implementation_error(object->client->client,
						    "%s request %u has no forwarding table",
						    info->name, opcode);
		proxy_close_fds(message->signature, args);
		return 0;
	}
	if (object->client->proxy->trace)
		proxy_trace(object->client, PROXY_REQUEST, object, message, args);
	hook = proxy_hook_find(object->client->proxy, info, opcode, PROXY_REQUEST);
	if (hook)
		hook(object, opcode, args);
	else
		proxy_forward_request(object, opcode, args);
	return 0;
}

static int dispatch_event(const void *implementation, void *target, uint32_t opcode,
			  const struct wl_message *message, union wl_argument *args)
{
	struct wl_proxy *host = target;
	struct proxy_object *object = wl_proxy_get_user_data(host);
	const struct vsomm_interface_info *info = implementation;
	proxy_hook_func_t hook;

	if (opcode >= info->event_count) {
		/* Cannot happen with libwayland's own checks; drop. */
		proxy_close_fds(message->signature, args);
		return 0;
	}
	if (object->client->proxy->trace)
		proxy_trace(object->client, PROXY_EVENT, object, message, args);
	hook = proxy_hook_find(object->client->proxy, info, opcode, PROXY_EVENT);
	if (hook)
		hook(object, opcode, args);
	else
		proxy_forward_event(object, opcode, args);
	return 0;
}
