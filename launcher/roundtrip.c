/* SPDX-License-Identifier: MIT */
/*
 * A Wayland round trip with a deadline, for vsomm doctor and vsomm-host
 * --check (roundtrip.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wayland-client-core.h>
#include <wayland-client-protocol.h>
#include <wayland-server-core.h>

#include "launcher/roundtrip.h"

#define WRAP 78 /* columns of a list */

double launcher_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void launcher_check_line(const char *result, const char *check, const char *hint, const char *fmt,
			 ...)
{
	va_list args;
	va_start(args, fmt);
	printf("%-4s  %s: ", result, check);
	vprintf(fmt, args);
	putchar('\n');
	va_end(args);
	if (hint)
		printf("      %s\n", hint);
}

void launcher_check_list(const char *title, const char *const *names, size_t n)
{
	if (n == 0)
		return;
	int col = printf("        %s:", title);
	for (size_t i = 0; i < n; i++) {
		int len = (int)strlen(names[i]) + 1;
		if (col + len > WRAP && col > 12) {
			printf("\n          ");
			col = 10;
		}
		col += printf(" %s", names[i]);
	}
	putchar('\n');
}

static void handle_done(void *data, struct wl_callback *callback, uint32_t serial)
{
	bool *done = data;
	*done = true;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener done_listener = {.done = handle_done};

int launcher_roundtrip(struct wl_display *display, struct wl_event_loop *loop, int timeout_ms,
		       double *ms)
{
	bool done = false;
	double start = launcher_now_ms();
	struct wl_callback *callback = wl_display_sync(display);
	if (!callback)
		return -ENOMEM;
	wl_callback_add_listener(callback, &done_listener, &done);
	int ret = 0;
	while (!done) {
		if (wl_display_dispatch_pending(display) < 0) {
			ret = -EPIPE;
			break;
		}
		if (done)
			break;
		if (wl_display_flush(display) < 0 && errno != EAGAIN) {
			ret = -EPIPE;
			break;
		}
		if (loop)
			wl_event_loop_dispatch_idle(loop);
		int left = (int)(start + timeout_ms - launcher_now_ms());
		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		if (wl_display_prepare_read(display) != 0)
			continue;
		struct pollfd fds[2] = {
			{.fd = wl_display_get_fd(display), .events = POLLIN},
			{.fd = loop ? wl_event_loop_get_fd(loop) : -1, .events = POLLIN},
		};
		if (poll(fds, 2, left) < 0 && errno != EINTR) {
			wl_display_cancel_read(display);
			ret = -errno;
			break;
		}
		if (fds[0].revents) {
			if (wl_display_read_events(display) < 0) {
				ret = -EPIPE;
				break;
			}
		} else {
			wl_display_cancel_read(display);
		}
		if (loop)
			wl_event_loop_dispatch(loop, 0);
	}
	if (!done)
		wl_callback_destroy(callback);
	*ms = launcher_now_ms() - start;
	return ret;
}

static void handle_global(void *data, struct wl_registry *registry, uint32_t name,
			  const char *interface, uint32_t version)
{
	struct launcher_globals *g = data;
	if (g->count == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 32;
		struct launcher_global *items = realloc(g->items, cap * sizeof(*items));
		if (!items)
			return;
		g->items = items;
		g->cap = cap;
	}
	char *copy = strdup(interface);
	if (copy)
		g->items[g->count++] = (struct launcher_global){name, version, copy};
}

static void handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = handle_global,
	.global_remove = handle_global_remove,
};

int launcher_get_globals(struct wl_display *display, struct wl_event_loop *loop, int timeout_ms,
			 struct launcher_globals *out)
{
	struct wl_registry *registry = wl_display_get_registry(display);
	if (!registry)
		return -ENOMEM;
	wl_registry_add_listener(registry, &registry_listener, out);
	double ms;
	int err = launcher_roundtrip(display, loop, timeout_ms, &ms);
	wl_registry_destroy(registry);
	return err;
}

void launcher_globals_finish(struct launcher_globals *globals)
{
	for (size_t i = 0; i < globals->count; i++)
		free(globals->items[i].interface);
	free(globals->items);
	*globals = (struct launcher_globals){0};
}
