/* SPDX-License-Identifier: MIT */
/*
 * hostile-client CASE: a Wayland client of $WAYLAND_DISPLAY that misbehaves.
 *
 *   garbage         bytes that are no Wayland message
 *   unknown-id      a request on an object id that was never created
 *   pool-too-big    wl_shm.create_pool larger than its fd, then a buffer past
 *                   the fd's end attached and committed
 *   buffer-offset   a buffer whose offset lies beyond its pool
 *   buffer-stride   a buffer whose stride * height exceeds its pool
 *   buffer-height   a buffer whose height runs past the end of its pool
 *   truncate        a mapped window whose pool fd is truncated to 0 after its
 *                   buffer was created and shown once; then attach, damage,
 *                   commit (the compositor's copy would fault)
 *   many-objects    10 000 wl_regions, a round trip, then a disconnect
 *
 * Prints one "hostile: ..." line saying what the compositor did: "protocol
 * error ..." (a wl_display.error), "disconnected ..." (the socket closed
 * without one) or "accepted" (a round trip after the bad request came back).
 * Exit 0 when it got a protocol error or a disconnect (many-objects: when the
 * round trip came back), 1 when the compositor accepted the bad request, 2 on
 * a setup failure.
 */
#include <stdbool.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>

#include "protocols/xdg-shell-client-protocol.h"

#define WIDTH 256
#define HEIGHT 256
#define STRIDE (WIDTH * 4)
#define MANY_OBJECTS 10000

/* ---- raw cases: no libwayland, the bytes are ours ---- */

static int raw_connect(void)
{
	const char *dir = getenv("XDG_RUNTIME_DIR"), *name = getenv("WAYLAND_DISPLAY");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	if (!dir || !name)
		return -1;
	if (name[0] == '/')
		snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", name);
	else
		snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", dir, name);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("hostile: connect");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Reads until EOF (10 s at most), reporting a wl_display.error among the
 * events (object 1, opcode 0: object, code, string).
 */
static int raw_outcome(int fd)
{
	static uint8_t buf[1 << 16];
	size_t have = 0;
	bool error = false;

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, 10000);
		if (r == 0) {
			printf("hostile: accepted (still connected after 10 s)\n");
			return 1;
		}
		ssize_t n = r < 0 ? -1 : read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!error)
				printf("hostile: disconnected (%s)\n", n < 0 ? strerror(errno) : "EOF");
			return 0;
		}
		have += (size_t)n;
		while (have >= 8) {
			uint32_t hdr[2];
			memcpy(hdr, buf, sizeof(hdr));
			size_t size = hdr[1] >> 16;
			if (size < 8 || size > sizeof(buf)) {
				printf("hostile: bad event header\n");
				return 2;
			}
			if (have < size)
				break;
			if (hdr[0] == 1 && (hdr[1] & 0xffff) == 0 && size >= 20) {
				uint32_t args[3];
				memcpy(args, buf + 8, sizeof(args));
				int len = (int)(size - 20 < args[2] ? size - 20 : args[2]);
				printf("hostile: protocol error: object %u code %u: %.*s\n", args[0],
				       args[1], len > 0 ? len - 1 : 0, (const char *)buf + 20);
				error = true;
			}
			memmove(buf, buf + size, have - size);
			have -= size;
		}
		if (have == sizeof(buf))
			have = 0;
	}
}

static int run_garbage(void)
{
	/* wl_display opcode 0x77, a size smaller than a header, then junk. */
	const uint32_t garbage[] = {1, (4u << 16) | 0x77, 0xdeadbeef, (12u << 16) | 3,
				    0x41414141, 0xffffffff, 0x00010002};
	int fd = raw_connect();
	if (fd < 0)
		return 2;
	if (write(fd, garbage, sizeof(garbage)) != (ssize_t)sizeof(garbage)) {
		perror("hostile: write");
		close(fd);
		return 2;
	}
	int ret = raw_outcome(fd);
	close(fd);
	return ret;
}

static int run_unknown_id(void)
{
	/* wl_display.sync(2) is fine; then opcode 0 on object 4242, which does not exist. */
	const uint32_t msgs[] = {1, (12u << 16) | 0, 2, 4242, (12u << 16) | 0, 7};
	int fd = raw_connect();
	if (fd < 0)
		return 2;
	if (write(fd, msgs, sizeof(msgs)) != (ssize_t)sizeof(msgs)) {
		perror("hostile: write");
		close(fd);
		return 2;
	}
	int ret = raw_outcome(fd);
	close(fd);
	return ret;
}

/* ---- libwayland cases ---- */

struct client {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	bool configured;
};

static void handle_global(void *data, struct wl_registry *registry, uint32_t name,
			  const char *interface, uint32_t version)
{
	struct client *c = data;
	if (strcmp(interface, "wl_compositor") == 0)
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface,
						 version < 4 ? version : 4);
	else if (strcmp(interface, "wl_shm") == 0)
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	else if (strcmp(interface, "xdg_wm_base") == 0)
		c->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
}

static void handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {handle_global,
							       handle_global_remove};

static void handle_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {handle_ping};

static void handle_xdg_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct client *c = data;
	xdg_surface_ack_configure(xdg_surface, serial);
	c->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {handle_xdg_configure};

/* What the compositor did with everything sent so far. */
static int outcome(struct client *c)
{
	if (wl_display_roundtrip(c->display) >= 0) {
		printf("hostile: accepted\n");
		return 1;
	}
	int err = wl_display_get_error(c->display);
	if (err == EPROTO) {
		const struct wl_interface *iface;
		uint32_t id;
		uint32_t code = wl_display_get_protocol_error(c->display, &iface, &id);
		printf("hostile: protocol error: %s@%u code %u\n", iface ? iface->name : "?", id,
		       code);
	} else if (err == EINVAL || err == ENOMEM) {
		/* libwayland maps wl_display's own error codes to these. */
		printf("hostile: protocol error: wl_display (%s)\n", strerror(err));
	} else {
		printf("hostile: disconnected (%s)\n", strerror(err));
	}
	return 0;
}

static bool setup(struct client *c)
{
	c->display = wl_display_connect(NULL);
	if (!c->display) {
		perror("hostile: wl_display_connect");
		return false;
	}
	struct wl_registry *registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(registry, &registry_listener, c);
	if (wl_display_roundtrip(c->display) < 0 || !c->compositor || !c->shm || !c->wm_base) {
		fprintf(stderr, "hostile: missing globals\n");
		return false;
	}
	xdg_wm_base_add_listener(c->wm_base, &wm_base_listener, c);
	return true;
}

/* An xdg_toplevel, configured, with no buffer yet. */
static bool map_window(struct client *c)
{
	c->surface = wl_compositor_create_surface(c->compositor);
	c->xdg_surface = xdg_wm_base_get_xdg_surface(c->wm_base, c->surface);
	xdg_surface_add_listener(c->xdg_surface, &xdg_surface_listener, c);
	c->toplevel = xdg_surface_get_toplevel(c->xdg_surface);
	xdg_toplevel_set_title(c->toplevel, "hostile-client");
	wl_surface_commit(c->surface);
	while (!c->configured) {
		if (wl_display_dispatch(c->display) < 0) {
			fprintf(stderr, "hostile: no configure\n");
			return false;
		}
	}
	return true;
}

/* A memfd of `size` bytes filled with an opaque colour; -1 on failure. */
static int make_memfd(size_t size)
{
	int fd = memfd_create("hostile-client", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		perror("hostile: memfd");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	uint32_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("hostile: mmap");
		close(fd);
		return -1;
	}
	for (size_t i = 0; i < size / 4; i++)
		p[i] = 0xff3060c0u;
	munmap(p, size);
	return fd;
}

static void show(struct client *c, struct wl_buffer *buffer)
{
	wl_surface_attach(c->surface, buffer, 0, 0);
	wl_surface_damage_buffer(c->surface, 0, 0, WIDTH, HEIGHT);
	wl_surface_commit(c->surface);
}

static int run_shm(const char *which)
{
	struct client c = {0};
	if (!setup(&c) || !map_window(&c))
		return 2;

	size_t file_size = (size_t)STRIDE * HEIGHT;
	int32_t pool_size = (int32_t)file_size;
	int32_t offset = 0, stride = STRIDE, height = HEIGHT;
	if (strcmp(which, "pool-too-big") == 0) {
		file_size = 4096;
		pool_size = STRIDE * HEIGHT;
	} else if (strcmp(which, "buffer-offset") == 0) {
		offset = pool_size + 4096;
	} else if (strcmp(which, "buffer-stride") == 0) {
		stride = STRIDE * 2;
	} else if (strcmp(which, "buffer-height") == 0) {
		offset = STRIDE;
	} else if (strcmp(which, "truncate") != 0) {
		fprintf(stderr, "hostile: unknown case %s\n", which);
		return 2;
	}

	int fd = make_memfd(file_size);
	if (fd < 0)
		return 2;
	struct wl_shm_pool *pool = wl_shm_create_pool(c.shm, fd, pool_size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, offset, WIDTH, height, stride,
							     WL_SHM_FORMAT_XRGB8888);
	if (strcmp(which, "truncate") == 0) {
		show(&c, buffer);
		if (wl_display_roundtrip(c.display) < 0) {
			fprintf(stderr, "hostile: the good first commit failed\n");
			close(fd);
			return 2;
		}
		if (ftruncate(fd, 0) < 0) {
			perror("hostile: ftruncate");
			close(fd);
			return 2;
		}
	}
	show(&c, buffer);
	int ret = outcome(&c);
	close(fd);
	wl_display_disconnect(c.display);
	return ret;
}

static int run_many_objects(void)
{
	struct client c = {0};
	if (!setup(&c))
		return 2;
	for (int i = 0; i < MANY_OBJECTS; i++) {
		struct wl_region *region = wl_compositor_create_region(c.compositor);
		wl_region_add(region, i % 100, i / 100, 1, 1);
		/* Flush as we go: libwayland's buffer is bounded. */
		if (i % 500 == 499 && wl_display_roundtrip(c.display) < 0)
			break;
	}
	if (wl_display_roundtrip(c.display) < 0) {
		printf("hostile: %d objects refused: %s\n", MANY_OBJECTS,
		       strerror(wl_display_get_error(c.display)));
		return 1;
	}
	printf("hostile: %d objects created, disconnecting\n", MANY_OBJECTS);
	/* Disconnect with all of them alive. */
	wl_display_disconnect(c.display);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: hostile-client CASE\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *which = argv[1];
	if (strcmp(which, "garbage") == 0)
		return run_garbage();
	if (strcmp(which, "unknown-id") == 0)
		return run_unknown_id();
	if (strcmp(which, "many-objects") == 0)
		return run_many_objects();
	return run_shm(which);
}
