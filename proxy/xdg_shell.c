/* SPDX-License-Identifier: MIT */
/*
 * xdg_shell hooks: a window from the guest must be recognisable on the host,
 * so xdg_toplevel.set_title and set_app_id get the configured prefixes.
 * The text goes through vsomm_prefixed_text (util/text.h), as vsomm's own
 * windows' (window.c) and the byte relay's do.
 */
#include <stdlib.h>

#include "proxy/proxy-private.h"
#include "util/text.h"

static void forward_prefixed(struct proxy_object *object, uint32_t opcode, union wl_argument *args,
			     const char *prefix)
{
	char *prefixed;

	if (!args[0].s) {
		proxy_forward_request(object, opcode, args);
		return;
	}
	prefixed = vsomm_prefixed_text(prefix, args[0].s);
	if (!prefixed) {
		wl_client_post_no_memory(object->client->client);
		return;
	}
	args[0].s = prefixed;
	proxy_forward_request(object, opcode, args);
	free(prefixed);
}

static void toplevel_set_title(struct proxy_object *object, uint32_t opcode,
			       union wl_argument *args)
{
	forward_prefixed(object, opcode, args, object->client->proxy->title_prefix);
}

static void toplevel_set_app_id(struct proxy_object *object, uint32_t opcode,
				union wl_argument *args)
{
	forward_prefixed(object, opcode, args, object->client->proxy->app_id_prefix);
}

const struct proxy_hook proxy_xdg_shell_hooks[] = {
	{"xdg_toplevel", "set_title", PROXY_REQUEST, toplevel_set_title},
	{"xdg_toplevel", "set_app_id", PROXY_REQUEST, toplevel_set_app_id},
	{NULL, NULL, 0, NULL},
};
