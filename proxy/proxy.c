/* SPDX-License-Identifier: MIT */
/*
 * proxy_create/proxy_destroy: the boundary of proxy/.  Every client that
 * connects to the display from now on is relayed (client.c).
 */
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "proxy/proxy-private.h"

static void handle_client_created(struct wl_listener *listener, void *data)
{
	struct proxy *proxy = wl_container_of(listener, proxy, client_created);

	proxy_client_create(proxy, data);
}

static char *copy_option(const char *value, bool *ok)
{
	char *copy;

	if (!value || !value[0])
		return NULL;
	copy = strdup(value);
	if (!copy)
		*ok = false;
	return copy;
}

struct proxy *proxy_create(struct wl_display *display, const struct proxy_options *options,
			   const struct proxy_backend *backend, void *data)
{
	struct proxy *proxy;
	bool ok = true;

	if (!display || !backend || !backend->connect_host)
		return NULL;
	proxy = calloc(1, sizeof(*proxy));
	if (!proxy)
		return NULL;
	proxy->display = display;
	proxy->loop = wl_display_get_event_loop(display);
	proxy->backend = *backend;
	proxy->backend_data = data;
	wl_list_init(&proxy->clients);
	if (options) {
		proxy->title_prefix = copy_option(options->title_prefix, &ok);
		proxy->app_id_prefix = copy_option(options->app_id_prefix, &ok);
		proxy->trace = options->trace;
		proxy->limits = options->limits;
	}
	proxy_limits_apply_defaults(&proxy->limits);
	if (!ok)
		goto err_options;
	if (!proxy_hooks_init(proxy))
		goto err_options;

	proxy->client_created.notify = handle_client_created;
	wl_display_add_client_created_listener(display, &proxy->client_created);
	return proxy;

err_options:
	free(proxy->title_prefix);
	free(proxy->app_id_prefix);
	free(proxy);
	return NULL;
}

void proxy_destroy(struct proxy *proxy)
{
	struct proxy_client *pc, *tmp;

	if (!proxy)
		return;
	wl_list_remove(&proxy->client_created.link);
	/* wl_client_destroy runs our destroy listener, which frees pc. */
	wl_list_for_each_safe(pc, tmp, &proxy->clients, link)
		wl_client_destroy(pc->client);
	proxy_hooks_finish(proxy);
	free(proxy->title_prefix);
	free(proxy->app_id_prefix);
	free(proxy);
}

const struct proxy_stats *proxy_get_stats(const struct proxy *proxy)
{
	return &proxy->stats;
}
