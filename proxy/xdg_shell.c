/* SPDX-License-Identifier: MIT */
/*
 * xdg_shell hooks: a window from the guest must be recognisable on the host,
 * so xdg_toplevel.set_title and set_app_id get the configured prefixes.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy/proxy-private.h"

/*
 * libwayland 1.21 refuses messages over 4096 bytes (and the host connection
 * dies with them): keep a prefixed string well below that.
 */
#define MAX_PREFIXED 3072

static void forward_prefixed(struct proxy_object *object, uint32_t opcode, union wl_argument *args,
			     const char *prefix)
{
	const char *value = args[0].s;
	size_t prefix_len, value_len;
	char *prefixed;

	if (!prefix || !value) {
		proxy_forward_request(object, opcode, args);
		return;
	}
	prefix_len = strnlen(prefix, MAX_PREFIXED / 2);
	value_len = strlen(value);
	if (prefix_len + value_len > MAX_PREFIXED) {
		value_len = MAX_PREFIXED - prefix_len;
		/* Cut at a UTF-8 character boundary. */
		while (value_len > 0 && ((unsigned char)value[value_len] & 0xc0) == 0x80)
			value_len--;
	}
	prefixed = malloc(prefix_len + value_len + 1);
	if (!prefixed) {
		wl_client_post_no_memory(object->client->client);
		return;
	}
	memcpy(prefixed, prefix, prefix_len);
	memcpy(prefixed + prefix_len, value, value_len);
	prefixed[prefix_len + value_len] = '\0';
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
