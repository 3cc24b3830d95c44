/* SPDX-License-Identifier: MIT */
/*
 * vsomm-host --check: what vsomm-host would serve, without serving it (no
 * listening socket is created).  The compositor it connects each context to
 * (the same path as a normal run), a timed round trip to it, its globals,
 * and the limits in force; lines as vsomm doctor's (roundtrip.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-client-core.h>
#include <wayland-client-protocol.h>

#include "cross-domain/host/service.h"
#include "launcher/host-check.h"
#include "launcher/roundtrip.h"

#define TIMEOUT_MS 10000

struct globals {
	char **names; /* "interface/version" */
	size_t count, cap;
};

static void handle_global(void *data, struct wl_registry *registry, uint32_t name,
			  const char *interface, uint32_t version)
{
	struct globals *g = data;
	if (g->count == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 32;
		char **names = realloc(g->names, cap * sizeof(*names));
		if (!names)
			return;
		g->names = names;
		g->cap = cap;
	}
	char item[160];
	snprintf(item, sizeof(item), "%s/%u", interface, version);
	char *copy = strdup(item);
	if (copy)
		g->names[g->count++] = copy;
}

static void handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = handle_global,
	.global_remove = handle_global_remove,
};

int launcher_host_check(const char *compositor_path, const struct xdomain_service_limits *limits)
{
	static const char hint_start[] =
		"start the host compositor, or name it: --compositor NAME (a socket in "
		"$XDG_RUNTIME_DIR or a path; default $WAYLAND_DISPLAY, else wayland-0)";
	int status = 0;
	struct wl_display *display = wl_display_connect(compositor_path);
	if (!display) {
		launcher_check_line("FAIL", "compositor", hint_start, "%s: %s", compositor_path,
				    strerror(errno));
		status = LAUNCHER_HOST_EXIT_NO_COMPOSITOR;
		goto limits;
	}
	double ms;
	int err = launcher_roundtrip(display, NULL, TIMEOUT_MS, &ms);
	if (err < 0) {
		launcher_check_line("FAIL", "compositor", hint_start, "%s: %s", compositor_path,
				    err == -ETIMEDOUT ? "no answer to wl_display.sync"
						      : "the connection ended");
		status = LAUNCHER_HOST_EXIT_NO_COMPOSITOR;
		goto out;
	}
	launcher_check_line("ok", "compositor", NULL, "%s: wl_display.sync answered in %.1f ms",
			    compositor_path, ms);

	struct globals globals = {0};
	struct wl_registry *registry = wl_display_get_registry(display);
	if (registry) {
		wl_registry_add_listener(registry, &registry_listener, &globals);
		err = launcher_roundtrip(display, NULL, TIMEOUT_MS, &ms);
		wl_registry_destroy(registry);
	}
	if (!registry || err < 0) {
		launcher_check_line("FAIL", "globals", NULL, "the compositor did not list them");
		status = LAUNCHER_HOST_EXIT_NO_COMPOSITOR;
	} else {
		launcher_check_line("ok", "globals", NULL,
				    "%zu (vsomm doctor in the guest tells which vsomm relays)",
				    globals.count);
		launcher_check_list("name/version", (const char *const *)globals.names,
				    globals.count);
	}
	for (size_t i = 0; i < globals.count; i++)
		free(globals.names[i]);
	free(globals.names);
out:
	wl_display_disconnect(display);
limits:;
	char buf[512];
	xdomain_service_limits_format(limits, buf, sizeof(buf));
	launcher_check_line("ok", "limits", NULL, "%s", buf);
	fflush(stdout);
	return status;
}
