// SPDX-License-Identifier: MIT
/*
 * vsomm-screenshot: capture the first output of a Weston started with --debug
 * through its weston_screenshooter interface, and write a PNG.
 *
 * Unlike weston-screenshooter, alpha is ignored: Weston's pixman renderer leaves
 * the X byte of XRGB pixels at 0, which a PNG with alpha shows as transparent
 * black, so the PNG is written as RGB.  `--raw` prints a checksum of the RGB
 * pixels instead (for comparing captures in tests).
 */
#include <errno.h>
#include <getopt.h>
#include <png.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>

#include "weston-screenshooter-client-protocol.h"

struct capture {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_shm *shm;
	struct weston_screenshooter *shooter;
	struct wl_output *output;
	int32_t width, height;
	bool done;
};

static void output_handle_geometry(void *data, struct wl_output *output, int32_t x,
				   int32_t y, int32_t phys_w, int32_t phys_h,
				   int32_t subpixel, const char *make, const char *model,
				   int32_t transform)
{
}

static void output_handle_mode(void *data, struct wl_output *output, uint32_t flags,
			       int32_t width, int32_t height, int32_t refresh)
{
	struct capture *cap = data;

	if (flags & WL_OUTPUT_MODE_CURRENT) {
		cap->width = width;
		cap->height = height;
	}
}

static void output_handle_done(void *data, struct wl_output *output)
{
}

static void output_handle_scale(void *data, struct wl_output *output, int32_t factor)
{
}

static const struct wl_output_listener output_listener = {
	.geometry = output_handle_geometry,
	.mode = output_handle_mode,
	.done = output_handle_done,
	.scale = output_handle_scale,
};

static void shooter_handle_done(void *data, struct weston_screenshooter *shooter)
{
	struct capture *cap = data;

	cap->done = true;
}

static const struct weston_screenshooter_listener shooter_listener = {
	.done = shooter_handle_done,
};

static void registry_handle_global(void *data, struct wl_registry *registry, uint32_t name,
				   const char *interface, uint32_t version)
{
	struct capture *cap = data;

	if (strcmp(interface, wl_shm_interface.name) == 0 && !cap->shm) {
		cap->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, wl_output_interface.name) == 0 && !cap->output) {
		cap->output = wl_registry_bind(registry, name, &wl_output_interface,
					       version < 2 ? version : 2);
		wl_output_add_listener(cap->output, &output_listener, cap);
	} else if (strcmp(interface, weston_screenshooter_interface.name) == 0 &&
		   !cap->shooter) {
		cap->shooter =
			wl_registry_bind(registry, name, &weston_screenshooter_interface, 1);
		weston_screenshooter_add_listener(cap->shooter, &shooter_listener, cap);
	}
}

static void registry_handle_global_remove(void *data, struct wl_registry *registry,
					  uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = registry_handle_global,
	.global_remove = registry_handle_global_remove,
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Dispatch until cap->done or `timeout_ms`; false on timeout or connection error. */
static bool wait_done(struct capture *cap, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;

	while (!cap->done) {
		struct pollfd pfd = {.fd = wl_display_get_fd(cap->display), .events = POLLIN};
		int64_t left = deadline - now_ms();

		if (left <= 0)
			return false;
		while (wl_display_prepare_read(cap->display) != 0) {
			if (wl_display_dispatch_pending(cap->display) < 0)
				return false;
		}
		if (wl_display_flush(cap->display) < 0 && errno != EAGAIN) {
			wl_display_cancel_read(cap->display);
			return false;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
			wl_display_cancel_read(cap->display);
			return false;
		}
		if (pfd.revents & POLLIN) {
			if (wl_display_read_events(cap->display) < 0)
				return false;
		} else {
			wl_display_cancel_read(cap->display);
		}
		if (wl_display_dispatch_pending(cap->display) < 0)
			return false;
	}
	return true;
}

/* Pixels are little-endian 0xAARRGGBB words, rows of width * 4 bytes. */
static bool write_png(const char *path, const uint8_t *pixels, int32_t width, int32_t height)
{
	FILE *f = fopen(path, "wbe");
	png_structp png = NULL;
	png_infop info = NULL;
	uint8_t *row = NULL;

	if (!f) {
		fprintf(stderr, "vsomm-screenshot: %s: %s\n", path, strerror(errno));
		return false;
	}
	row = malloc((size_t)width * 3);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (png)
		info = png_create_info_struct(png);
	if (!row || !png || !info)
		goto err;
	if (setjmp(png_jmpbuf(png)))
		goto err;
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int32_t y = 0; y < height; y++) {
		const uint8_t *src = pixels + (size_t)y * width * 4;

		for (int32_t x = 0; x < width; x++) {
			row[x * 3 + 0] = src[x * 4 + 2];
			row[x * 3 + 1] = src[x * 4 + 1];
			row[x * 3 + 2] = src[x * 4 + 0];
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(row);
	if (fclose(f) != 0) {
		fprintf(stderr, "vsomm-screenshot: %s: %s\n", path, strerror(errno));
		return false;
	}
	return true;

err:
	fprintf(stderr, "vsomm-screenshot: cannot write %s\n", path);
	png_destroy_write_struct(&png, &info);
	free(row);
	fclose(f);
	return false;
}

/* FNV-1a over the RGB bytes (alpha ignored), row by row. */
static uint64_t checksum(const uint8_t *pixels, int32_t width, int32_t height)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < (size_t)width * height; i++) {
		for (int c = 2; c >= 0; c--) {
			h ^= pixels[i * 4 + c];
			h *= 0x100000001b3ull;
		}
	}
	return h;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vsomm-screenshot [--display NAME] [--raw] [-o FILE]\n"
		"Capture the first output of a Weston run with --debug (weston_screenshooter).\n"
		"  -o, --output FILE  PNG to write (default vsomm-screenshot.png)\n"
		"  --raw              print \"WxH fnv1a64:HEX\" of the RGB pixels, write no PNG\n"
		"  --display NAME     compositor socket (default $WAYLAND_DISPLAY)\n"
		"  --timeout MS       give up after MS milliseconds (default 10000)\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"raw", no_argument, NULL, 'r'},
		{"display", required_argument, NULL, 'd'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *path = "vsomm-screenshot.png", *display_name = NULL;
	struct capture cap = {0};
	struct wl_shm_pool *pool = NULL;
	struct wl_buffer *buffer = NULL;
	uint8_t *pixels = MAP_FAILED;
	size_t size = 0;
	bool raw = false;
	int timeout_ms = 10000, fd = -1, ret = 1, c;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			path = optarg;
			break;
		case 'r':
			raw = true;
			break;
		case 'd':
			display_name = optarg;
			break;
		case 't':
			timeout_ms = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}

	cap.display = wl_display_connect(display_name);
	if (!cap.display) {
		fprintf(stderr, "vsomm-screenshot: cannot connect to the compositor\n");
		return 1;
	}
	cap.registry = wl_display_get_registry(cap.display);
	wl_registry_add_listener(cap.registry, &registry_listener, &cap);
	/* globals, then the output's mode events */
	if (wl_display_roundtrip(cap.display) < 0 || wl_display_roundtrip(cap.display) < 0)
		goto out;
	if (!cap.shooter) {
		fprintf(stderr, "vsomm-screenshot: no weston_screenshooter (weston --debug?)\n");
		goto out;
	}
	if (!cap.shm || !cap.output || cap.width <= 0 || cap.height <= 0 ||
	    cap.width > 16384 || cap.height > 16384) {
		fprintf(stderr, "vsomm-screenshot: no wl_shm or no usable output\n");
		goto out;
	}

	size = (size_t)cap.width * cap.height * 4;
	fd = memfd_create("vsomm-screenshot", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		perror("vsomm-screenshot: memfd");
		goto out;
	}
	pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pixels == MAP_FAILED) {
		perror("vsomm-screenshot: mmap");
		goto out;
	}
	pool = wl_shm_create_pool(cap.shm, fd, (int32_t)size);
	buffer = wl_shm_pool_create_buffer(pool, 0, cap.width, cap.height, cap.width * 4,
					   WL_SHM_FORMAT_XRGB8888);
	weston_screenshooter_shoot(cap.shooter, cap.output, buffer);
	if (!wait_done(&cap, timeout_ms)) {
		fprintf(stderr, "vsomm-screenshot: no capture from the compositor\n");
		goto out;
	}

	if (raw) {
		printf("%dx%d fnv1a64:%016llx\n", cap.width, cap.height,
		       (unsigned long long)checksum(pixels, cap.width, cap.height));
		ret = 0;
	} else if (write_png(path, pixels, cap.width, cap.height)) {
		ret = 0;
	}

out:
	if (buffer)
		wl_buffer_destroy(buffer);
	if (pool)
		wl_shm_pool_destroy(pool);
	if (pixels != MAP_FAILED)
		munmap(pixels, size);
	if (fd >= 0)
		close(fd);
	if (cap.shooter)
		weston_screenshooter_destroy(cap.shooter);
	if (cap.output)
		wl_output_destroy(cap.output);
	if (cap.shm)
		wl_shm_destroy(cap.shm);
	wl_registry_destroy(cap.registry);
	wl_display_disconnect(cap.display);
	return ret;
}
