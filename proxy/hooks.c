/* SPDX-License-Identifier: MIT */
/*
 * The hook table: the few messages whose forwarding is not the generic one,
 * keyed by (interface, opcode, direction).  Each protocol family that needs
 * hooks (xdg_shell.c, later shm.c, data_device.c) exports a table ending
 * with an entry whose interface is NULL; add it to hook_tables.
 */
#include <stdlib.h>

#include "cross-domain/log.h"
#include "proxy/proxy-private.h"

struct proxy_hook_entry {
	const struct vsomm_interface_info *info;
	uint32_t opcode;
	enum proxy_direction direction;
	proxy_hook_func_t func;
};

static const struct proxy_hook *const hook_tables[] = {
	proxy_xdg_shell_hooks,
	proxy_shm_hooks,
};

bool
proxy_hooks_init(struct proxy *proxy)
{
	size_t count = 0, n = 0;

	for (size_t t = 0; t < sizeof(hook_tables) / sizeof(hook_tables[0]); t++) {
		for (const struct proxy_hook *h = hook_tables[t]; h->interface; h++)
			count++;
	}
	proxy->hooks = calloc(count ? count : 1, sizeof(*proxy->hooks));
	if (!proxy->hooks)
		return false;

	for (size_t t = 0; t < sizeof(hook_tables) / sizeof(hook_tables[0]); t++) {
		for (const struct proxy_hook *h = hook_tables[t]; h->interface; h++) {
			const struct vsomm_interface_info *info = vsomm_forward_find(h->interface);
			int opcode = info ? vsomm_forward_opcode(info, h->direction == PROXY_REQUEST,
								 h->message)
					  : -1;

			if (opcode < 0) {
				/* A hook for a message the tables do not have: a build bug. */
				vsomm_log(VSOMM_LOG_ERROR, "hook for unknown message %s.%s",
					  h->interface, h->message);
				free(proxy->hooks);
				proxy->hooks = NULL;
				return false;
			}
			proxy->hooks[n++] = (struct proxy_hook_entry){
				.info = info,
				.opcode = (uint32_t)opcode,
				.direction = h->direction,
				.func = h->func,
			};
		}
	}
	proxy->hook_count = n;
	return true;
}

void
proxy_hooks_finish(struct proxy *proxy)
{
	free(proxy->hooks);
	proxy->hooks = NULL;
	proxy->hook_count = 0;
}

proxy_hook_func_t
proxy_hook_find(const struct proxy *proxy, const struct vsomm_interface_info *info,
		uint32_t opcode, enum proxy_direction direction)
{
	/* A handful of entries: a linear scan of pointer compares. */
	for (size_t i = 0; i < proxy->hook_count; i++) {
		const struct proxy_hook_entry *e = &proxy->hooks[i];

		if (e->info == info && e->opcode == opcode && e->direction == direction)
			return e->func;
	}
	return NULL;
}
