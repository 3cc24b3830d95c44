// SPDX-License-Identifier: MIT
/*
 * vsomm-pattern: a deterministic wl_shm client for end-to-end tests.
 *
 * It maps an xdg_toplevel titled "vsomm-pattern" of a fixed size (--size,
 * default 400x300, in surface coordinates; the buffers are --scale times
 * larger and carry wl_surface.set_buffer_scale), draws the pattern below into
 * buffer 1, attaches it with full damage and waits for the frame callback.
 * Then, --steps times, it copies the current buffer into the other one (double
 * buffering, waiting for wl_buffer.release first), paints one 32x32 square,
 * damages only that square with damage_buffer, commits and waits for the frame
 * callback.  After a final roundtrip it prints "ready" on stdout and stays
 * mapped until SIGTERM/SIGINT, xdg_toplevel.close or --timeout (exit 0).
 *
 * The pattern, in surface coordinates (x, y) of a W x H window; every pixel is
 * XRGB8888 with X = 0xff, and a buffer pixel (bx, by) shows (bx / S, by / S):
 *   - background: red = x * 255 / (W - 1), green = y * 255 / (H - 1),
 *     blue = 0x80;
 *   - grid: white (0xffffff) where x % 50 == 0 or y % 50 == 0;
 *   - four 40x40 squares at y = H - 60, x = 20, 80, 140, 200: red 0xff0000,
 *     green 0x00ff00, blue 0x0000ff, black 0x000000 (clipped to the window);
 *   - step k (1-based) paints a 32x32 square at
 *     x = 50 + 40 * ((k - 1) % cols), y = 60 + 40 * ((k - 1) / cols % rows)
 *     with cols = max(1, (W - 82) / 40 + 1), rows = max(1, (H - 92) / 40 + 1),
 *     in magenta, cyan, yellow, orange (0xff8000) for k - 1 = 0, 1, 2, 3 mod 4.
 * With the default size and --steps 1: a magenta square at (50, 60)-(82, 92).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define SETUP_TIMEOUT_NS (20LL * 1000000000)
#define STEP_SQUARE 32

struct options {
	int32_t width, height, scale;
	int steps;
	double timeout_s;
};

struct pattern {
	struct tclient client;
	struct tclient_window window;
	struct tclient_buffer buffers[2];
	struct tclient_frame frame;
	const struct options *opt;
};

struct rect {
	int32_t x, y, w, h;
};

static const uint32_t step_colors[] = { 0xffff00ff, 0xff00ffff, 0xffffff00, 0xffff8000 };
static const uint32_t corner_colors[] = { 0xffff0000, 0xff00ff00, 0xff0000ff, 0xff000000 };

static uint32_t background_pixel(int32_t x, int32_t y, int32_t w, int32_t h)
{
	uint32_t r, g;

	if (x % 50 == 0 || y % 50 == 0)
		return 0xffffffff;
	r = w > 1 ? (uint32_t)(x * 255 / (w - 1)) : 0;
	g = h > 1 ? (uint32_t)(y * 255 / (h - 1)) : 0;
	return 0xff000000 | r << 16 | g << 8 | 0x80;
}

/* Fill a rectangle given in surface coordinates, clipped to the buffer. */
static void fill_rect(struct tclient_buffer *b, int32_t scale, struct rect r, uint32_t color)
{
	int32_t x0 = r.x * scale, y0 = r.y * scale;
	int32_t x1 = (r.x + r.w) * scale, y1 = (r.y + r.h) * scale;

	if (x0 < 0)
		x0 = 0;
	if (y0 < 0)
		y0 = 0;
	if (x1 > b->width)
		x1 = b->width;
	if (y1 > b->height)
		y1 = b->height;
	for (int32_t y = y0; y < y1; y++) {
		uint32_t *row = b->data + (size_t)y * (size_t)(b->stride / 4);

		for (int32_t x = x0; x < x1; x++)
			row[x] = color;
	}
}

static void draw_pattern(struct tclient_buffer *b, const struct options *opt)
{
	int32_t s = opt->scale;

	for (int32_t by = 0; by < b->height; by++) {
		uint32_t *row = b->data + (size_t)by * (size_t)(b->stride / 4);

		for (int32_t bx = 0; bx < b->width; bx++)
			row[bx] = background_pixel(bx / s, by / s, opt->width, opt->height);
	}
	for (int i = 0; i < 4; i++) {
		struct rect r = { 20 + 60 * i, opt->height - 60, 40, 40 };

		fill_rect(b, s, r, corner_colors[i]);
	}
}

static int32_t max_i32(int32_t a, int32_t b)
{
	return a > b ? a : b;
}

/* The step-k square in surface coordinates (k >= 1). */
static struct rect step_rect(const struct options *opt, int k)
{
	int32_t cols = max_i32(1, (opt->width - 82) / 40 + 1);
	int32_t rows = max_i32(1, (opt->height - 92) / 40 + 1);
	int32_t i = k - 1;

	return (struct rect){ 50 + 40 * (i % cols), 60 + 40 * (i / cols % rows), STEP_SQUARE,
			      STEP_SQUARE };
}

/* Attach b with damage (buffer coordinates), commit, and wait for the frame. */
static bool present(struct pattern *p, struct tclient_buffer *b, struct rect damage,
		    int64_t deadline)
{
	struct wl_surface *surface = p->window.surface;

	if (!tclient_frame_request(&p->frame, surface))
		return false;
	wl_surface_attach(surface, b->buffer, 0, 0);
	wl_surface_damage_buffer(surface, damage.x, damage.y, damage.w, damage.h);
	wl_surface_commit(surface);
	b->busy = true;
	if (!tclient_wait_for(&p->client, &p->frame.done, deadline)) {
		if (!p->client.stop)
			fprintf(stderr, "vsomm-pattern: no frame callback (window not shown?)\n");
		return false;
	}
	return true;
}

static bool wait_released(struct pattern *p, struct tclient_buffer *b, int64_t deadline)
{
	while (b->busy) {
		if (tclient_dispatch(&p->client, deadline) <= 0) {
			if (!p->client.stop)
				fprintf(stderr, "vsomm-pattern: buffer never released\n");
			return false;
		}
	}
	return true;
}

static bool run_steps(struct pattern *p, int64_t deadline)
{
	const struct options *opt = p->opt;
	struct tclient_buffer *front = &p->buffers[0];
	struct rect full = { 0, 0, front->width, front->height };

	draw_pattern(front, opt);
	wl_surface_set_buffer_scale(p->window.surface, opt->scale);
	if (!present(p, front, full, deadline))
		return false;
	for (int k = 1; k <= opt->steps; k++) {
		struct tclient_buffer *back = &p->buffers[k % 2];
		struct rect sq = step_rect(opt, k);
		struct rect damage = { sq.x * opt->scale, sq.y * opt->scale, sq.w * opt->scale,
				       sq.h * opt->scale };

		if (!wait_released(p, back, deadline))
			return false;
		memcpy(back->data, front->data, back->size);
		fill_rect(back, opt->scale, sq, step_colors[(k - 1) % 4]);
		if (!present(p, back, damage, deadline))
			return false;
		front = back;
	}
	if (wl_display_roundtrip(p->client.display) < 0) {
		fprintf(stderr, "vsomm-pattern: roundtrip failed: %s\n", strerror(errno));
		return false;
	}
	return true;
}

static bool stay_mapped(struct pattern *p)
{
	int64_t deadline = 0;

	if (p->opt->timeout_s > 0)
		deadline = tclient_now_ns() + (int64_t)(p->opt->timeout_s * 1e9);
	while (!p->client.stop && !p->window.closed) {
		int ret = tclient_dispatch(&p->client, deadline);

		if (ret < 0)
			return false;
		if (ret == 0 && deadline && tclient_now_ns() >= deadline)
			break;
	}
	return true;
}

static int run(const struct options *opt)
{
	struct pattern p = { .opt = opt };
	int64_t deadline = tclient_now_ns() + SETUP_TIMEOUT_NS;
	int32_t bw = opt->width * opt->scale, bh = opt->height * opt->scale;
	bool ok = false;

	if (!tclient_connect(&p.client, true))
		return 1;
	if (!tclient_window_init(&p.window, &p.client, "vsomm-pattern", deadline))
		goto out;
	if (!tclient_buffer_init(&p.buffers[0], &p.client, bw, bh) ||
	    !tclient_buffer_init(&p.buffers[1], &p.client, bw, bh))
		goto out;
	if (!run_steps(&p, deadline))
		goto out;
	printf("ready\n");
	fflush(stdout);
	fprintf(stderr, "vsomm-pattern: %dx%d scale %d, %d steps shown\n", opt->width,
		opt->height, opt->scale, opt->steps);
	ok = stay_mapped(&p);

out:
	/* A signal during set-up is a clean stop too. */
	if (p.client.stop)
		ok = true;
	tclient_frame_finish(&p.frame);
	tclient_buffer_finish(&p.buffers[1]);
	tclient_buffer_finish(&p.buffers[0]);
	tclient_window_finish(&p.window);
	tclient_disconnect(&p.client);
	return ok ? 0 : 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vsomm-pattern [--size WxH] [--scale S] [--steps N] [--timeout SEC]\n"
		   "Shows a known pattern, prints \"ready\" once it is on screen, and stays\n"
		   "mapped until SIGTERM or the timeout.\n");
}

static bool parse_int(const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = (int)v;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "scale", required_argument, NULL, 'S' },
		{ "steps", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct options opt = { .width = 400, .height = 300, .scale = 1, .steps = 1 };
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!tclient_parse_size(optarg, 4096, &opt.width, &opt.height))
				goto bad;
			break;
		case 'S':
			if (!parse_int(optarg, 1, 4, &opt.scale))
				goto bad;
			break;
		case 'n':
			if (!parse_int(optarg, 0, 100000, &opt.steps))
				goto bad;
			break;
		case 't':
			opt.timeout_s = strtod(optarg, &end);
			if (end == optarg || *end || !(opt.timeout_s >= 0))
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc)
		goto bad_usage;
	if ((int64_t)opt.width * opt.scale > 16384 || (int64_t)opt.height * opt.scale > 16384)
		goto bad_usage;
	return run(&opt);

bad:
	fprintf(stderr, "vsomm-pattern: bad option value: %s\n", optarg);
	return 2;
bad_usage:
	usage(stderr);
	return 2;
}
