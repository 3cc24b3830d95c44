/* SPDX-License-Identifier: MIT */
/*
 * The forwarding tables agree with the interfaces the forwarder relays with
 * (wayland-scanner's for the system's protocol XML, libwayland's for wayland.xml):
 * same messages, same signatures, same argument interfaces; and the derived
 * facts (globals, destructors, fd / new_id positions) are the expected ones.
 */
#include <stdio.h>
#include <string.h>
#include <wayland-client-core.h>

#include "protocols/forward-tables.h"
#include "tests/lib/check.h"

static void
check_messages(const char *iface, const char *kind, const struct vsomm_message_info *ours,
	       uint32_t count, const struct wl_message *theirs, int their_count)
{
	/* A newer system libwayland may know more messages; vsomm relays its own. */
	CHECKF((int)count <= their_count, "%s: %u %s, the interface has %d", iface, count, kind,
	       their_count);
	for (uint32_t i = 0; i < count && (int)i < their_count; i++) {
		const struct vsomm_message_info *m = &ours[i];
		const struct wl_message *w = &theirs[i];

		CHECKF(strcmp(m->name, w->name) == 0, "%s.%s vs %s", iface, m->name, w->name);
		CHECKF(strcmp(m->signature, w->signature) == 0, "%s.%s: signature %s vs %s", iface,
		       m->name, m->signature, w->signature);
		for (uint32_t a = 0; a < m->arg_count; a++) {
			const struct wl_interface *t = m->types[a];
			const struct wl_interface *u = w->types[a];

			CHECKF((t == NULL) == (u == NULL) && (!t || strcmp(t->name, u->name) == 0),
			       "%s.%s: argument %u type", iface, m->name, a);
		}
		CHECKF(m->new_id_arg < 0 || (m->new_id_args == 1u << m->new_id_arg),
		       "%s.%s: new_id mask", iface, m->name);
		CHECKF(!m->new_id_info || m->new_id_info->interface == m->types[m->new_id_arg],
		       "%s.%s: new_id interface", iface, m->name);
	}
}

static const struct vsomm_message_info *
message(const char *iface, bool request, const char *name)
{
	const struct vsomm_interface_info *info = vsomm_forward_find(iface);
	int opcode = info ? vsomm_forward_opcode(info, request, name) : -1;

	if (opcode < 0) {
		CHECKF(0, "no %s.%s", iface, name);
		return NULL;
	}
	return request ? &info->requests[opcode] : &info->events[opcode];
}

int
main(void)
{
	const struct vsomm_message_info *m;

	CHECKF(vsomm_forward_interface_count > 60, "only %zu interfaces",
	       vsomm_forward_interface_count);
	for (size_t i = 0; i < vsomm_forward_interface_count; i++) {
		const struct vsomm_interface_info *info = &vsomm_forward_interfaces[i];

		CHECKF(i == 0 || strcmp(vsomm_forward_interfaces[i - 1].name, info->name) < 0,
		       "not sorted at %s", info->name);
		CHECKF(vsomm_forward_find(info->name) == info, "find %s", info->name);
		CHECKF(strcmp(info->interface->name, info->name) == 0, "%s: interface name",
		       info->name);
		CHECKF(info->version >= 1 && (int)info->version <= info->interface->version,
		       "%s: version %u", info->name, info->version);
		check_messages(info->name, "requests", info->requests, info->request_count,
			       info->interface->methods, info->interface->method_count);
		check_messages(info->name, "events", info->events, info->event_count,
			       info->interface->events, info->interface->event_count);
	}
	CHECKF(vsomm_forward_find("no_such_interface") == NULL, "find unknown");

	/* Globals: derived, not listed. */
	CHECKF(vsomm_forward_find("wl_compositor")->global, "wl_compositor global");
	CHECKF(vsomm_forward_find("xdg_wm_base")->global, "xdg_wm_base global");
	CHECKF(vsomm_forward_find("zwp_linux_dmabuf_v1")->global, "dmabuf global");
	CHECKF(!vsomm_forward_find("wl_display")->global, "wl_display not global");
	CHECKF(!vsomm_forward_find("wl_registry")->global, "wl_registry not global");
	CHECKF(!vsomm_forward_find("wl_callback")->global, "wl_callback not global");
	CHECKF(!vsomm_forward_find("wl_surface")->global, "wl_surface not global");
	CHECKF(!vsomm_forward_find("wl_data_offer")->global, "wl_data_offer not global");

	if ((m = message("wl_callback", false, "done")))
		CHECKF(m->destructor, "wl_callback.done ends the object");
	if ((m = message("wp_presentation_feedback", false, "discarded")))
		CHECKF(m->destructor, "feedback.discarded ends the object");
	if ((m = message("wl_surface", true, "destroy")))
		CHECKF(m->destructor, "wl_surface.destroy");
	if ((m = message("wl_surface", true, "attach")))
		CHECKF(m->object_args == 1 && m->nullable_args == 1 && !m->destructor, "attach");
	if ((m = message("wl_registry", true, "bind")))
		CHECKF(m->generic_new_id && m->new_id_arg == 3 && m->arg_count == 4, "bind");
	if ((m = message("wl_keyboard", false, "keymap")))
		CHECKF(m->fd_args == 2, "keymap fd");
	if ((m = message("wl_data_device", false, "data_offer")))
		CHECKF(m->new_id_arg == 0 &&
			       m->new_id_info == vsomm_forward_find("wl_data_offer"),
		       "data_offer new_id");
	if ((m = message("xdg_toplevel", true, "set_parent")))
		CHECKF(m->nullable_args == 1 && m->object_args == 1, "set_parent");
	if ((m = message("wl_surface", true, "offset")))
		CHECKF(m->since == 5, "wl_surface.offset since 5");

	return 0;
}
