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

#include "cross-domain/host/service.h"
#include "launcher/host-check.h"
#include "launcher/roundtrip.h"

#define TIMEOUT_MS 10000

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

	struct launcher_globals globals = {0};
	char **names = NULL;
	if (launcher_get_globals(display, NULL, TIMEOUT_MS, &globals) < 0) {
		launcher_check_line("FAIL", "globals", NULL, "the compositor did not list them");
		status = LAUNCHER_HOST_EXIT_NO_COMPOSITOR;
	} else {
		launcher_check_line("ok", "globals", NULL,
				    "%zu (vsomm doctor in the guest tells which vsomm relays)",
				    globals.count);
		/* "interface/version", in the compositor's order */
		names = calloc(globals.count + 1, sizeof(*names));
		size_t n = 0;
		for (size_t i = 0; names && i < globals.count; i++) {
			if (asprintf(&names[n], "%s/%u", globals.items[i].interface,
				     globals.items[i].version) >= 0)
				n++;
		}
		launcher_check_list("name/version", (const char *const *)names, n);
		for (size_t i = 0; names && i < n; i++)
			free(names[i]);
	}
	free(names);
	launcher_globals_finish(&globals);
out:
	wl_display_disconnect(display);
limits:;
	char buf[512];
	xdomain_service_limits_format(limits, buf, sizeof(buf));
	launcher_check_line("ok", "limits", NULL, "%s", buf);
	fflush(stdout);
	return status;
}
