/* SPDX-License-Identifier: MIT */
/*
 * limit-client CASE [N]: a Wayland client of $WAYLAND_DISPLAY that goes past one
 * of vsomm's per-client limits (or vsomm-host's per-context ones behind it).
 *
 *   objects N     N wl_regions, then a round trip
 *   buffers N     N wl_shm buffers of distinct sizes (256+i)x256 (about 256 KiB
 *                 each), each attached to a surface and committed (N shadows,
 *                 N image items)
 *   pending N     N wl_display.sync, never reading the events
 *   flood N       N wl_surface.damage requests as fast as the socket takes them
 *
 * Prints "limit: disconnected ..." when vsomm ended it (a protocol error or a
 * closed socket), "limit: survived" when it did not; exit 0 for disconnected,
 * 1 for survived, 2 on a setup failure.
 */
#include <stdbool.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client.h>

static struct wl_compositor *compositor;
static struct wl_shm *shm;

static void handle_global(void *data, struct wl_registry *registry, uint32_t name,
			  const char *interface, uint32_t version)
{
	if (!strcmp(interface, "wl_compositor"))
		compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	else if (!strcmp(interface, "wl_shm"))
		shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
}

static void handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {handle_global,
							      handle_global_remove};

static int verdict(struct wl_display *display, int ret)
{
	if (ret < 0 || wl_display_get_error(display)) {
		const struct wl_interface *iface = NULL;
		uint32_t id = 0;
		int err = wl_display_get_error(display);
		uint32_t code = err == EPROTO ? wl_display_get_protocol_error(display, &iface, &id) : 0;
		if (iface)
			printf("limit: disconnected with protocol error %u on %s@%u\n", code,
			       iface->name, id);
		else
			printf("limit: disconnected (%s)\n", strerror(err ? err : EPIPE));
		return 0;
	}
	printf("limit: survived\n");
	return 1;
}

/* Send what libwayland buffered, waiting for room; false once the peer is gone. */
static bool flush_all(struct wl_display *display)
{
	while (wl_display_flush(display) < 0) {
		if (errno != EAGAIN)
			return false;
		struct pollfd pfd = {.fd = wl_display_get_fd(display), .events = POLLOUT};
		if (poll(&pfd, 1, 10000) <= 0 || (pfd.revents & (POLLHUP | POLLERR)))
			return false;
	}
	return true;
}

/* Wait until the socket is closed under us (we never read: POLLHUP). */
static bool wait_hangup(struct wl_display *display, int timeout_ms)
{
	struct pollfd pfd = {.fd = wl_display_get_fd(display), .events = 0};
	return poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & (POLLHUP | POLLERR));
}

static int run_objects(struct wl_display *display, int n)
{
	for (int i = 0; i < n; i++) {
		wl_compositor_create_region(compositor);
		if (i % 100 == 99 && !flush_all(display))
			break;
	}
	return verdict(display, wl_display_roundtrip(display));
}

static int run_buffers(struct wl_display *display, int n)
{
	struct wl_surface *surface = wl_compositor_create_surface(compositor);
	size_t size = (size_t)(256 + n) * 256 * 4;
	int fd = memfd_create("limit-client", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		return 2;
	struct wl_shm_pool *pool = wl_shm_create_pool(shm, fd, (int32_t)size);
	close(fd);
	int ret = 0;
	for (int i = 0; i < n && ret >= 0; i++) {
		struct wl_buffer *buffer = wl_shm_pool_create_buffer(
			pool, 0, 256 + i, 256, (256 + i) * 4, WL_SHM_FORMAT_XRGB8888);
		wl_surface_attach(surface, buffer, 0, 0);
		wl_surface_damage(surface, 0, 0, 256 + i, 256);
		wl_surface_commit(surface);
		ret = wl_display_roundtrip(display);
	}
	return verdict(display, ret);
}

static int run_pending(struct wl_display *display, int n)
{
	for (int i = 0; i < n; i++) {
		wl_display_sync(display); /* never destroyed: we never dispatch */
		if (i % 100 == 99 && !flush_all(display))
			break;
	}
	flush_all(display);
	if (wait_hangup(display, 20000)) {
		printf("limit: disconnected (socket closed while %d syncs were unread)\n", n);
		return 0;
	}
	printf("limit: survived\n");
	return 1;
}

static int run_flood(struct wl_display *display, int n)
{
	struct wl_surface *surface = wl_compositor_create_surface(compositor);
	for (int i = 0; i < n; i++) {
		wl_surface_damage(surface, i % 100, 0, 1, 1);
		if (i % 100 == 99 && !flush_all(display))
			break;
	}
	return verdict(display, wl_display_roundtrip(display));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: limit-client objects|buffers|pending|flood [N]\n");
		return 2;
	}
	int n = argc > 2 ? atoi(argv[2]) : 1000;
	struct wl_display *display = wl_display_connect(NULL);
	if (!display) {
		fprintf(stderr, "limit: cannot connect\n");
		return 2;
	}
	struct wl_registry *registry = wl_display_get_registry(display);
	wl_registry_add_listener(registry, &registry_listener, NULL);
	if (wl_display_roundtrip(display) < 0 || !compositor || !shm) {
		fprintf(stderr, "limit: no wl_compositor or wl_shm\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "objects"))
		return run_objects(display, n);
	if (!strcmp(argv[1], "buffers"))
		return run_buffers(display, n);
	if (!strcmp(argv[1], "pending"))
		return run_pending(display, n);
	if (!strcmp(argv[1], "flood"))
		return run_flood(display, n);
	fprintf(stderr, "limit: unknown case %s\n", argv[1]);
	return 2;
}
