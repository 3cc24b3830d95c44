/* SPDX-License-Identifier: MIT */
/*
 * vsomm's guest compositor: every client of a wl_display is relayed to the
 * host compositor over a connection of its own.  The proxy is a real
 * compositor to the client (libwayland-server) and a client of the host
 * compositor (libwayland-client); in between, a generic forwarder driven by
 * the tables of protocols/forward-tables.h relays every protocol vsomm was
 * built with.
 *
 * The proxy never runs the event loop: the caller dispatches the wl_display's
 * loop and calls wl_display_flush_clients() before blocking.
 */
#ifndef PROXY_PROXY_H
#define PROXY_PROXY_H

#include <stdbool.h>
#include <stdint.h>

struct wl_client;
struct wl_display;

/**
 * Host-visible memory for the shadow of a guest wl_shm buffer: the host
 * compositor reads it, vsomm writes the guest's damaged pixels into it.
 */
struct proxy_shadow {
	int fd;          /* memory fd to hand the host (owned by the backend) */
	void *map;       /* writable mapping of the whole memory */
	uint64_t size;   /* bytes of memory behind fd */
	uint32_t stride; /* bytes per row of the image */
	uint32_t offset; /* of the image in the memory */
	void *handle;    /* the backend's */
};

/** Counters of the whole proxy, for tests, traces and benchmarks. */
struct proxy_stats {
	uint64_t shm_bytes_copied;
	uint64_t shm_commits;
	uint64_t shadows_allocated;
};

/** How the proxy reaches the host compositor. */
struct proxy_backend {
	/**
	 * Open a connection to the host compositor for one guest client.
	 * Returns a CLOEXEC stream fd that speaks Wayland to the host
	 * compositor (ownership passes to the proxy, which closes it), or -1.
	 * *conn is handed back to disconnect_host.
	 */
	int (*connect_host)(void *data, struct wl_client *client, void **conn);
	/** The connection opened by connect_host is gone (its fd is closed). May be NULL. */
	void (*disconnect_host)(void *data, void *conn);
	/**
	 * Shadow memory for a wl_shm buffer of this connection: width×height in
	 * drm_format, linear.  0 or a negative errno.  When NULL, wl_shm pools and
	 * their fds are forwarded as they are (a host socket that carries fds).
	 */
	int (*alloc_shadow)(void *data, void *conn, uint32_t width, uint32_t height,
			    uint32_t drm_format, struct proxy_shadow *out);
	void (*free_shadow)(void *data, void *conn, struct proxy_shadow *shadow);
	/**
	 * The proxy just wrote requests to the connection's fd: the backend may
	 * take them now rather than at its next wake-up.  May be NULL.
	 */
	void (*host_flushed)(void *data, void *conn);
	/**
	 * Whether memory fd `fd` (a plane of a guest linux-dmabuf buffer) must be
	 * copied to reach the host: guest memory that the device does not take
	 * (rutabaga; xdomain_channel_memory_needs_copy).  Such buffers get a
	 * shadow (alloc_shadow) and a host wl_shm buffer over it, as wl_shm
	 * buffers do.  NULL: never; fds are forwarded as they are.
	 */
	bool (*memory_needs_copy)(void *data, void *conn, int fd);
};

/** Per-client limits; a client that goes past one is disconnected alone. 0: default. */
struct proxy_limits {
	uint32_t max_objects;       /* live Wayland objects (resources) */
	uint64_t max_shadow_bytes;  /* host memory of the shadows of its wl_shm buffers */
	uint64_t max_pending_bytes; /* bytes unread on its socket + unsent to the host */
};

/**
 * Read VSOMM_LIMIT_OBJECTS, VSOMM_LIMIT_SHADOW_BYTES and VSOMM_LIMIT_PENDING_BYTES
 * into limits (unset ones are left alone).  False (with a log line) if one is
 * not a number.
 */
bool proxy_limits_from_env(struct proxy_limits *limits);

struct proxy_options {
	/** Prepended to every xdg_toplevel title, NULL or "" for none. */
	const char *title_prefix;
	/** Prepended to every xdg_toplevel app_id, NULL or "" for none. */
	const char *app_id_prefix;
	/** Log every forwarded message, both ways, at VSOMM_LOG_TRACE. */
	bool trace;
	struct proxy_limits limits;
};

struct proxy;

/**
 * Start relaying the clients of display (those already connected are left
 * alone).  options and backend are copied; data is passed to the backend.
 * Returns NULL on failure.
 */
struct proxy *proxy_create(struct wl_display *display, const struct proxy_options *options,
			   const struct proxy_backend *backend, void *data);

/**
 * Disconnect every relayed client and stop relaying.  Call it before
 * wl_display_destroy().  Accepts NULL.
 */
void proxy_destroy(struct proxy *proxy);

/**
 * For backends: the host connection of `client` (the one connect_host opened)
 * has bytes to read.  The proxy reads and relays them from an idle callback of
 * this loop iteration, and flushes them to the client there, instead of waiting
 * for the next epoll wake-up.  Safe to call from any callback of the loop.
 */
void proxy_client_host_ready(struct wl_client *client);

/** The proxy's counters. */
const struct proxy_stats *proxy_get_stats(const struct proxy *proxy);

#endif
