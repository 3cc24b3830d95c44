/* SPDX-License-Identifier: MIT */
/*
 * Internals of proxy/: the per-client state, relayed objects and the hook
 * table.  Prototypes are grouped by the file that defines them.
 *
 * Naming: a relayed object holds `resource` (guest side, libwayland-server)
 * and `host` (host side, libwayland-client).
 */
#ifndef PROXY_PRIVATE_H
#define PROXY_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-client-core.h>
#include <wayland-server-core.h>

#include "protocols/forward-tables.h"
#include "proxy/proxy.h"

/* WL_CLOSURE_MAX_ARGS of libwayland (private there); gen-forward.py checks
 * that no message has more arguments. */
#define PROXY_MAX_ARGS 20

/* Per-client limits (limits.c): a real app stays far below them. */
#define PROXY_DEFAULT_MAX_OBJECTS 100000u
#define PROXY_DEFAULT_MAX_SHADOW_BYTES (1024ull << 20)
#define PROXY_DEFAULT_MAX_PENDING_BYTES (4ull << 20)
#define PROXY_PENDING_POLL_EVERY 16u

struct proxy_object;

/**
 * A hook replaces the default forwarding of one message.  It owns the fds in
 * args (it must pass them on to proxy_forward_* or close them).  Object
 * arguments are guest resources for requests and host proxies for events,
 * as libwayland hands them over.
 */
typedef void (*proxy_hook_func_t)(struct proxy_object *object, uint32_t opcode,
				  union wl_argument *args);

struct proxy {
	struct wl_display *display;
	struct wl_event_loop *loop;
	struct proxy_backend backend;
	void *backend_data;
	char *title_prefix; /* NULL when unset */
	char *app_id_prefix;
	bool trace;
	struct proxy_limits limits; /* defaults applied */
	struct wl_listener client_created;
	struct wl_list clients; /* proxy_client.link */
	/* hooks.c: one slot per message of every interface of the forwarding
	 * tables, NULL when the message has no hook; hook_base[2 * i + direction]
	 * is where vsomm_forward_interfaces[i]'s messages start. */
	proxy_hook_func_t *hook_slots;
	uint32_t *hook_base;
	struct proxy_stats stats;
};

/**
 * One relayed object: a guest resource and its host proxy.  It lives exactly
 * as long as its guest resource.  host is NULL when the object is inert
 * (the host object is gone, or the host side was never created).
 */
struct proxy_object {
	struct proxy_client *client;
	const struct vsomm_interface_info *info;
	struct wl_resource *resource;
	struct wl_proxy *host;
	struct wl_list link; /* proxy_client.objects */
	/* For hooks: called from the guest resource's destroy, before the host
	 * proxy is destroyed.  Must not post events or errors. */
	void (*hook_destroy)(struct proxy_object *object);
	void *hook_data;
};

struct proxy_client {
	struct proxy *proxy;
	struct wl_client *client;
	struct wl_list link; /* proxy.clients */
	struct wl_listener client_destroy;
	void *conn; /* backend's */
	struct wl_display *host;
	struct wl_event_source *host_source;
	struct wl_event_source *flush_idle;
	struct wl_event_source *ready_idle; /* proxy_client_host_ready */
	struct wl_event_source *kill_idle;
	/* proxy_client_destroy runs: nothing is scheduled on pc any more */
	bool destroying;
	bool host_writable; /* WL_EVENT_WRITABLE armed on host_source */
	/* Object 1: the guest's wl_display resource and the host wl_display. */
	struct proxy_object display;
	struct wl_registry *host_registry;
	struct wl_list globals;    /* proxy_global.link */
	struct wl_list registries; /* guest wl_registry resources (wl_resource_get_link) */
	struct wl_list objects;    /* proxy_object.link */
	/* limits.c */
	struct wl_listener resource_created;
	struct wl_event_source *limit_idle;
	uint32_t objects_until_count; /* creations before the next live count */
	uint64_t shadow_bytes;
	uint32_t pending_polls; /* reads of host events since the last pending check */
	bool limit_hit;
	/* managed.c: non-NULL for a client whose surfaces vsomm gives roles
	 * itself (proxy/window.h) */
	struct proxy_managed *managed;
	/* registry.c: a host wl_shm of the proxy's own, bound on first use */
	struct wl_proxy *host_shm;
};

enum proxy_direction {
	PROXY_REQUEST, /* guest → host */
	PROXY_EVENT,   /* host → guest */
};

struct proxy_hook {
	const char *interface;
	const char *message;
	enum proxy_direction direction;
	proxy_hook_func_t func;
};

/* client.c */
void proxy_client_create(struct proxy *proxy, struct wl_client *client);
void proxy_client_destroy(struct proxy_client *pc);
/** Flush the host connection before the event loop next sleeps. */
void proxy_client_schedule_flush(struct proxy_client *pc);

/* forward.c */
/** Make resource and host (may be NULL: inert) one relayed object. NULL on ENOMEM. */
struct proxy_object *proxy_object_create(struct proxy_client *pc,
					 const struct vsomm_interface_info *info,
					 struct wl_resource *resource, struct wl_proxy *host);
/** Give an inert object (host NULL) its host proxy, which starts dispatching to it. */
void proxy_object_set_host(struct proxy_object *object, struct wl_proxy *host);
/** The relayed object of a guest resource, NULL if it is not one. */
struct proxy_object *proxy_object_from_resource(struct wl_resource *resource);
/** The relayed object of a host proxy, NULL if it is not one. */
struct proxy_object *proxy_object_from_host(struct wl_proxy *host);
/** The default forwarding of a request (guest → host). */
void proxy_forward_request(struct proxy_object *object, uint32_t opcode, union wl_argument *args);
/** The default forwarding of an event (host → guest). */
void proxy_forward_event(struct proxy_object *object, uint32_t opcode, union wl_argument *args);
/** Close the fd arguments of a message (signature as libwayland writes it). */
void proxy_close_fds(const char *signature, union wl_argument *args);

/* limits.c */
void proxy_limits_apply_defaults(struct proxy_limits *limits);
void proxy_limits_client_init(struct proxy_client *pc);
void proxy_limits_client_finish(struct proxy_client *pc);
/** Room for `bytes` more shadow memory; else the client is ended (false). */
bool proxy_limits_shadow_check(struct proxy_client *pc, uint64_t bytes);
/** Account shadow memory allocated (bytes > 0) or freed (bytes < 0). */
void proxy_limits_shadow_add(struct proxy_client *pc, int64_t bytes);
/** Bytes pending on the client's sockets within the limit; else it is ended. */
bool proxy_limits_pending_check(struct proxy_client *pc);
/**
 * proxy_limits_pending_check every PROXY_PENDING_POLL_EVERY calls (two
 * ioctls each): after each read of host events.  Between two checks at most
 * that many reads of libwayland-client's 4 KiB buffer go past the limit.
 */
bool proxy_limits_pending_poll(struct proxy_client *pc);

/* registry.c */
/** Take over the guest's wl_display (object 1) and ask the host for its globals. */
bool proxy_registry_init(struct proxy_client *pc);
void proxy_registry_finish(struct proxy_client *pc);
/**
 * The first host global of this interface still there: its name and the
 * version vsomm relays it at (min(host, vsomm)).  False when there is none.
 */
bool proxy_registry_find_global(struct proxy_client *pc, const char *interface, uint32_t *name,
				uint32_t *version);
/**
 * A host wl_shm of the proxy's own on the client's host connection (bound on
 * first use, for shadows of buffers that came without one), or NULL when the
 * host has none.
 */
struct wl_proxy *proxy_registry_host_shm(struct proxy_client *pc);

/* hooks.c */
bool proxy_hooks_init(struct proxy *proxy);
void proxy_hooks_finish(struct proxy *proxy);
/**
 * The hook of a message, NULL for the default forwarding.  info is an entry
 * of vsomm_forward_interfaces (every dispatcher's implementation is one) and
 * opcode below its message count (the dispatchers check it): two loads.
 */
static inline proxy_hook_func_t proxy_hook_find(const struct proxy *proxy,
						const struct vsomm_interface_info *info,
						uint32_t opcode, enum proxy_direction direction)
{
	size_t i = (size_t)(info - vsomm_forward_interfaces);

	return proxy->hook_slots[proxy->hook_base[2 * i + direction] + opcode];
}

/* trace.c */
void proxy_trace(const struct proxy_client *pc, enum proxy_direction direction,
		 const struct proxy_object *object, const struct wl_message *message,
		 const union wl_argument *args);

/* xdg_shell.c */
extern const struct proxy_hook proxy_xdg_shell_hooks[];

/* shm.c */
extern const struct proxy_hook proxy_shm_hooks[];
/** Size in pixels of a guest wl_buffer served by the shm copy path; false if not one. */
bool proxy_shm_buffer_size(struct wl_resource *buffer, int32_t *width, int32_t *height);
/**
 * Make `resource`, a new guest wl_buffer, a copy of single-plane linear memory:
 * width×height of drm_format at `offset`/`stride` in `fd` (`size` bytes;
 * borrowed, mapped read-only), served by the wl_shm copy path (a shadow on
 * first attach, damaged rows copied on commit).  False when the format has no
 * layout, the layout does not fit, the memory does not map or on ENOMEM: the
 * caller still owns `resource`.
 */
bool proxy_shm_copy_buffer_create(struct proxy_client *pc, struct wl_resource *resource, int fd,
				  uint64_t size, uint32_t offset, int32_t width, int32_t height,
				  uint32_t stride, uint32_t drm_format);

/*
 * managed.c: the surfaces of managed clients (proxy/window.h) are held until
 * they have a role.  shm.c's wl_surface hooks end in these instead of
 * proxy_forward_request.
 */
extern const struct proxy_hook proxy_managed_hooks[];
/** wl_surface.attach: forwarded; the buffer is remembered for a held surface. */
void proxy_surface_attach(struct proxy_object *surface, uint32_t opcode, union wl_argument *args);
/**
 * wl_surface.damage, damage_buffer, set_buffer_scale, set_buffer_transform:
 * forwarded; noted as state the guest has not committed yet (vsomm does not
 * commit a managed surface on its own meanwhile).
 */
void proxy_surface_state(struct proxy_object *surface, uint32_t opcode, union wl_argument *args);
/** wl_surface.commit: forwarded, or held while the surface has no role. */
void proxy_surface_commit(struct proxy_object *surface, uint32_t opcode, union wl_argument *args);
/** Destroy vsomm's own host objects of a managed client (before its host connection goes). */
void proxy_managed_finish(struct proxy_client *pc);

/* linux_dmabuf.c */
extern const struct proxy_hook proxy_linux_dmabuf_hooks[];

#endif
