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

struct wl_client;
struct wl_display;

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
};

struct proxy_options {
	/** Prepended to every xdg_toplevel title, NULL or "" for none. */
	const char *title_prefix;
	/** Prepended to every xdg_toplevel app_id, NULL or "" for none. */
	const char *app_id_prefix;
	/** Log every forwarded message, both ways, at VSOMM_LOG_TRACE. */
	bool trace;
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

#endif
