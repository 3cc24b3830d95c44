/* SPDX-License-Identifier: MIT */
/*
 * sync-client: checks of the proxy that need a client of their own.
 *
 *   sync-client roundtrip     registry + 200 round trips + a surface, a region
 *   sync-client bad-version   binding above the advertised version is an error
 *   sync-client host-error    a host protocol error (wl_shm.create_pool of size 0)
 *                             reaches the client on its wl_shm object
 *   sync-client title         an xdg_toplevel with title "hello" and app_id "org.test"
 *
 * Exit 0 when the check holds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>

#include "protocols/xdg-shell-client-protocol.h"

struct globals {
	uint32_t compositor, compositor_version;
	uint32_t shm;
	uint32_t wm_base;
	int count;
};

static void
handle_global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
	      uint32_t version)
{
	struct globals *g = data;

	g->count++;
	if (strcmp(interface, "wl_compositor") == 0) {
		g->compositor = name;
		g->compositor_version = version;
	} else if (strcmp(interface, "wl_shm") == 0) {
		g->shm = name;
	} else if (strcmp(interface, "xdg_wm_base") == 0) {
		g->wm_base = name;
	}
}

static void
handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = handle_global,
	.global_remove = handle_global_remove,
};

static int
fail(const char *what)
{
	fprintf(stderr, "sync-client: %s\n", what);
	return 1;
}

static int
expect_protocol_error(struct wl_display *display, const char *interface, uint32_t code)
{
	const struct wl_interface *iface = NULL;
	uint32_t id, got;

	if (wl_display_roundtrip(display) >= 0)
		return fail("no protocol error");
	/* EPROTO, or EINVAL & co. for wl_display's own codes. */
	if (wl_display_get_error(display) == 0)
		return fail("no error");
	got = wl_display_get_protocol_error(display, &iface, &id);
	if (!iface || strcmp(iface->name, interface) != 0 || got != code) {
		fprintf(stderr, "sync-client: error %u on %s@%u, expected %u on %s\n", got,
			iface ? iface->name : "?", id, code, interface);
		return 1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *mode = argc > 1 ? argv[1] : "roundtrip";
	struct globals g = {0};
	struct wl_display *display;
	struct wl_registry *registry;
	int status = 0;

	display = wl_display_connect(NULL);
	if (!display)
		return fail("cannot connect");
	registry = wl_display_get_registry(display);
	wl_registry_add_listener(registry, &registry_listener, &g);
	if (wl_display_roundtrip(display) < 0)
		return fail("first roundtrip");
	if (g.count == 0 || !g.compositor)
		return fail("no wl_compositor in the registry");

	if (strcmp(mode, "roundtrip") == 0) {
		struct wl_compositor *compositor =
			wl_registry_bind(registry, g.compositor, &wl_compositor_interface, 1);
		struct wl_surface *surface = wl_compositor_create_surface(compositor);
		struct wl_region *region = wl_compositor_create_region(compositor);

		wl_region_add(region, 0, 0, 10, 10);
		wl_surface_set_opaque_region(surface, region);
		wl_region_destroy(region);
		wl_surface_commit(surface);
		for (int i = 0; i < 200; i++) {
			if (wl_display_roundtrip(display) < 0)
				return fail("roundtrip");
		}
		wl_surface_destroy(surface);
		wl_compositor_destroy(compositor);
		if (wl_display_roundtrip(display) < 0)
			return fail("last roundtrip");
	} else if (strcmp(mode, "bad-version") == 0) {
		struct wl_compositor *compositor = wl_registry_bind(
			registry, g.compositor, &wl_compositor_interface, g.compositor_version + 1);

		status = expect_protocol_error(display, "wl_display",
					       WL_DISPLAY_ERROR_INVALID_OBJECT);
		wl_compositor_destroy(compositor);
	} else if (strcmp(mode, "host-error") == 0) {
		struct wl_shm_pool *pool;
		struct wl_shm *shm;
		int fd = memfd_create("sync-client", MFD_CLOEXEC);

		if (!g.shm || fd < 0 || ftruncate(fd, 4096) < 0)
			return fail("no wl_shm or memfd");
		shm = wl_registry_bind(registry, g.shm, &wl_shm_interface, 1);
		pool = wl_shm_create_pool(shm, fd, 0);
		close(fd);
		status = expect_protocol_error(display, "wl_shm", WL_SHM_ERROR_INVALID_STRIDE);
		wl_shm_pool_destroy(pool);
		wl_shm_destroy(shm);
	} else if (strcmp(mode, "title") == 0) {
		struct wl_compositor *compositor =
			wl_registry_bind(registry, g.compositor, &wl_compositor_interface, 1);
		struct xdg_wm_base *wm_base;
		struct xdg_surface *xdg_surface;
		struct xdg_toplevel *toplevel;
		struct wl_surface *surface;

		if (!g.wm_base)
			return fail("no xdg_wm_base");
		wm_base = wl_registry_bind(registry, g.wm_base, &xdg_wm_base_interface, 1);
		surface = wl_compositor_create_surface(compositor);
		xdg_surface = xdg_wm_base_get_xdg_surface(wm_base, surface);
		toplevel = xdg_surface_get_toplevel(xdg_surface);
		xdg_toplevel_set_title(toplevel, "hello");
		xdg_toplevel_set_app_id(toplevel, "org.test");
		wl_surface_commit(surface);
		if (wl_display_roundtrip(display) < 0)
			return fail("roundtrip after set_title");
		xdg_toplevel_destroy(toplevel);
		xdg_surface_destroy(xdg_surface);
		wl_surface_destroy(surface);
		xdg_wm_base_destroy(wm_base);
		wl_compositor_destroy(compositor);
		if (wl_display_roundtrip(display) < 0)
			return fail("roundtrip after destroy");
	} else {
		return fail("unknown mode");
	}
	wl_registry_destroy(registry);
	wl_display_disconnect(display);
	return status;
}
