/* SPDX-License-Identifier: MIT */
/*
 * The hook table: the few messages whose forwarding is not the generic one,
 * keyed by (interface, opcode, direction).  Each protocol family that needs
 * hooks (xdg_shell.c, shm.c, managed.c) exports a table ending with an entry whose
 * interface is NULL; add it to hook_tables.
 *
 * At start-up the tables become one slot per message of every interface
 * of the forwarding tables (a few hundred pointers), so the dispatchers find
 * a message's hook by index, not by a search (proxy_hook_find).
 */
#include <stdlib.h>

#include "util/log.h"
#include "proxy/proxy-private.h"

static const struct proxy_hook *const hook_tables[] = {
	proxy_xdg_shell_hooks,
	proxy_shm_hooks,
	proxy_managed_hooks,
};

bool proxy_hooks_init(struct proxy *proxy)
{
	size_t count = vsomm_forward_interface_count;
	uint32_t slots = 0;

	proxy->hook_base = calloc(2 * count, sizeof(*proxy->hook_base));
	if (!proxy->hook_base)
		return false;
	for (size_t i = 0; i < count; i++) {
		proxy->hook_base[2 * i + PROXY_REQUEST] = slots;
		slots += vsomm_forward_interfaces[i].request_count;
		proxy->hook_base[2 * i + PROXY_EVENT] = slots;
		slots += vsomm_forward_interfaces[i].event_count;
	}
	proxy->hook_slots = calloc(slots ? slots : 1, sizeof(*proxy->hook_slots));
	if (!proxy->hook_slots)
		goto err;

	for (size_t t = 0; t < sizeof(hook_tables) / sizeof(hook_tables[0]); t++) {
		for (const struct proxy_hook *h = hook_tables[t]; h->interface; h++) {
			const struct vsomm_interface_info *info = vsomm_forward_find(h->interface);
			int opcode = info ? vsomm_forward_opcode(
						    info, h->direction == PROXY_REQUEST, h->message)
					  : -1;

			if (opcode < 0) {
				/* A hook for a message the tables do not have: a build bug. */
				vsomm_log(VSOMM_LOG_ERROR, "hook for unknown message %s.%s",
					  h->interface, h->message);
				goto err;
			}
			size_t i = (size_t)(info - vsomm_forward_interfaces);
			proxy_hook_func_t *slot =
				&proxy->hook_slots[proxy->hook_base[2 * i + h->direction] +
						   (uint32_t)opcode];

			if (*slot) {
				/* One hook per message: a second would silently
				 * replace the first (a build bug, e.g. after a merge). */
				vsomm_log(VSOMM_LOG_ERROR, "two hooks for %s.%s", h->interface,
					  h->message);
				goto err;
			}
			*slot = h->func;
		}
	}
	return true;

err:
	proxy_hooks_finish(proxy);
	return false;
}

void proxy_hooks_finish(struct proxy *proxy)
{
	free(proxy->hook_slots);
	proxy->hook_slots = NULL;
	free(proxy->hook_base);
	proxy->hook_base = NULL;
}
