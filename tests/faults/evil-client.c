/* SPDX-License-Identifier: MIT */
/*
 * evil-client CASE: a hostile Wayland client of $WAYLAND_DISPLAY for the
 * isolation test (faults.sh hostile).  Cases the weston-e2e hostile client does
 * not have:
 *
 *   random SEED   4 KiB of pseudo-random bytes (seeded), our end of file, then
 *                 wait for the server to close
 *   pool-socket   wl_shm.create_pool with a socket where a memory fd belongs
 *   pool-dir      ... with a directory
 *   pool-pipe     ... with a pipe's read end
 *   huge-pool     a 2 GiB sparse pool and a 20000x16384 buffer attached and
 *                 committed (a 1.3 GB shadow: past vsomm's shadow limit)
 *
 * Prints "evil: disconnected ..." or "evil: protocol error ..." when the
 * compositor ended it (exit 0), "evil: accepted" when it did not (exit 1);
 * exit 2 on a setup failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
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

static int run_random(unsigned seed)
{
	const char *dir = getenv("XDG_RUNTIME_DIR"), *name = getenv("WAYLAND_DISPLAY");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (!dir || !name)
		return 2;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", dir, name);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return 2;
	uint8_t buf[4096];
	srand(seed);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	/* a plausible header now and then: object 1 or 2, a small size */
	if (seed % 2 == 0) {
		uint32_t hdr[2] = {1 + seed % 3, (uint32_t)((8 + seed % 64) << 16) | (seed % 4)};
		memcpy(buf, hdr, sizeof(hdr));
	}
	ssize_t n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
	(void)n;
	/* A message may claim more bytes than sent: the server waits for them
	 * until our end of file. */
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		if (poll(&pfd, 1, 10000) <= 0) {
			printf("evil: accepted (still connected after 10 s)\n");
			return 1;
		}
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r <= 0) {
			printf("evil: disconnected (random seed %u)\n", seed);
			close(fd);
			return 0;
		}
	}
}

static int verdict(struct wl_display *display, int ret)
{
	if (ret >= 0 && !wl_display_get_error(display)) {
		printf("evil: accepted\n");
		return 1;
	}
	const struct wl_interface *iface = NULL;
	uint32_t id = 0;
	int err = wl_display_get_error(display);
	uint32_t code = err == EPROTO ? wl_display_get_protocol_error(display, &iface, &id) : 0;
	if (iface)
		printf("evil: protocol error %u on %s@%u\n", code, iface->name, id);
	else
		printf("evil: disconnected (%s)\n", strerror(err ? err : EPIPE));
	return 0;
}

static int run_pool(struct wl_display *display, int fd)
{
	if (fd < 0)
		return 2;
	struct wl_shm_pool *pool = wl_shm_create_pool(shm, fd, 4096);
	close(fd);
	struct wl_buffer *buffer =
		wl_shm_pool_create_buffer(pool, 0, 16, 16, 64, WL_SHM_FORMAT_XRGB8888);
	struct wl_surface *surface = wl_compositor_create_surface(compositor);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_commit(surface);
	return verdict(display, wl_display_roundtrip(display));
}

static int run_huge(struct wl_display *display)
{
	const int32_t size = INT32_MAX;
	int fd = memfd_create("evil-huge", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, size) < 0)
		return 2;
	struct wl_shm_pool *pool = wl_shm_create_pool(shm, fd, size);
	close(fd);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, 20000, 16384, 20000 * 4,
							     WL_SHM_FORMAT_XRGB8888);
	struct wl_surface *surface = wl_compositor_create_surface(compositor);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage(surface, 0, 0, 64, 64);
	wl_surface_commit(surface);
	return verdict(display, wl_display_roundtrip(display));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: evil-client CASE [SEED]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "random"))
		return run_random(argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 1);
	struct wl_display *display = wl_display_connect(NULL);
	if (!display)
		return 2;
	struct wl_registry *registry = wl_display_get_registry(display);
	wl_registry_add_listener(registry, &registry_listener, NULL);
	if (wl_display_roundtrip(display) < 0 || !compositor || !shm)
		return 2;
	if (!strcmp(argv[1], "pool-socket")) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return 2;
		close(sv[1]);
		return run_pool(display, sv[0]);
	}
	if (!strcmp(argv[1], "pool-dir"))
		return run_pool(display, open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (!strcmp(argv[1], "pool-pipe")) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			return 2;
		close(p[1]);
		return run_pool(display, p[0]);
	}
	if (!strcmp(argv[1], "huge-pool"))
		return run_huge(display);
	fprintf(stderr, "evil: unknown case %s\n", argv[1]);
	return 2;
}
