// SPDX-License-Identifier: MIT
/*
 * ivi-client: an IVI application as Weston's ivi-shell expects one.
 *
 *   ivi-client IVI_ID WIDTHxHEIGHT SECONDS
 *
 * Binds ivi_application, gives one wl_surface the IVI role with IVI_ID
 * (ivi_application.surface_create), attaches a wl_shm buffer of the given size
 * filled with 0xff3060c0, commits, prints "ready", prints every
 * ivi_surface.configure as "configure W H", and exits 0 after SECONDS (1 on
 * any error, a protocol error included).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>

#include "protocols/ivi-application-client-protocol.h"

static struct wl_compositor *compositor;
static struct wl_shm *shm;
static struct ivi_application *ivi;

static void handle_global(void *data, struct wl_registry *registry, uint32_t name,
			  const char *interface, uint32_t version)
{
	if (strcmp(interface, wl_compositor_interface.name) == 0)
		compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 1);
	else if (strcmp(interface, wl_shm_interface.name) == 0)
		shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	else if (strcmp(interface, ivi_application_interface.name) == 0)
		ivi = wl_registry_bind(registry, name, &ivi_application_interface, 1);
}

static void handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {handle_global,
							      handle_global_remove};

static void handle_configure(void *data, struct ivi_surface *surface, int32_t w, int32_t h)
{
	printf("configure %d %d\n", w, h);
}

static const struct ivi_surface_listener ivi_surface_listener = {handle_configure};

int main(int argc, char **argv)
{
	unsigned int id, width, height, seconds;
	if (argc != 4 || sscanf(argv[1], "%u", &id) != 1 ||
	    sscanf(argv[2], "%ux%u", &width, &height) != 2 || width == 0 || height == 0 ||
	    width > 4096 || height > 4096 || sscanf(argv[3], "%u", &seconds) != 1) {
		fputs("usage: ivi-client IVI_ID WIDTHxHEIGHT SECONDS\n", stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct wl_display *display = wl_display_connect(NULL);
	if (!display) {
		fprintf(stderr, "ivi-client: cannot connect: %s\n", strerror(errno));
		return 1;
	}
	struct wl_registry *registry = wl_display_get_registry(display);
	wl_registry_add_listener(registry, &registry_listener, NULL);
	if (wl_display_roundtrip(display) < 0 || !compositor || !shm || !ivi) {
		fprintf(stderr, "ivi-client: missing globals:%s%s%s\n", compositor ? "" : " wl_compositor",
			shm ? "" : " wl_shm", ivi ? "" : " ivi_application");
		return 1;
	}
	size_t stride = width * 4, size = stride * height;
	int fd = memfd_create("ivi-client", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		return 1;
	uint32_t *pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pixels == MAP_FAILED)
		return 1;
	for (size_t i = 0; i < size / 4; i++)
		pixels[i] = 0xff3060c0;
	struct wl_shm_pool *pool = wl_shm_create_pool(shm, fd, (int32_t)size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, (int32_t)width, (int32_t)height,
							     (int32_t)stride, WL_SHM_FORMAT_ARGB8888);
	struct wl_surface *surface = wl_compositor_create_surface(compositor);
	struct ivi_surface *role = ivi_application_surface_create(ivi, id, surface);
	ivi_surface_add_listener(role, &ivi_surface_listener, NULL);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage(surface, 0, 0, (int32_t)width, (int32_t)height);
	wl_surface_commit(surface);
	if (wl_display_roundtrip(display) < 0) {
		fprintf(stderr, "ivi-client: connection error %d\n", wl_display_get_error(display));
		return 1;
	}
	printf("ready\n");
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = (long)seconds * 1000 - ((now.tv_sec - start.tv_sec) * 1000 +
						    (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0)
			break;
		wl_display_flush(display);
		struct pollfd pfd = {.fd = wl_display_get_fd(display), .events = POLLIN};
		if (poll(&pfd, 1, (int)left) > 0 && wl_display_dispatch(display) < 0) {
			fprintf(stderr, "ivi-client: connection error %d\n",
				wl_display_get_error(display));
			return 1;
		}
	}
	ivi_surface_destroy(role);
	wl_surface_destroy(surface);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	ivi_application_destroy(ivi);
	wl_shm_destroy(shm);
	wl_compositor_destroy(compositor);
	wl_registry_destroy(registry);
	wl_display_roundtrip(display);
	wl_display_disconnect(display);
	munmap(pixels, size);
	close(fd);
	return 0;
}
