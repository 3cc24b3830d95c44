// SPDX-License-Identifier: MIT
/*
 * shm-full / shm-damage: an XRGB8888 xdg_toplevel (default 1920x1080) with 2-4
 * wl_shm buffers.  Each frame takes a released buffer (waiting for
 * wl_buffer.release when none is free: pacing is by release, never by frame
 * callbacks), writes the frame counter into the damaged area, attaches,
 * damages (shm-full: the whole buffer; shm-damage: a 64x64 square that moves
 * every frame), commits and flushes.  Events are read without waiting after
 * every frame, as a client with an event loop does.
 *
 * --paced: at the compositor's pace instead, as a real animation draws: each
 * frame requests a wl_surface.frame callback with its commit, and the next
 * frame is drawn when it fires (and a buffer is free).  The _frames figure
 * then counts the frames presented (callback fired), _committed the commits.
 * The surface declares itself opaque then, as an opaque application's does:
 * Weston (pixman) otherwise blends it over what lies below, twice the work.
 *
 * What the rate measures is set by when the compositor releases buffers.
 * Weston 10 (pixman renderer) keeps the attached shm buffer until a newer one
 * replaces it, so with 3 buffers the loop runs ahead of the repaint by up to
 * two frames and the figure is the commit/release throughput of the whole
 * path (client, proxy, compositor), not a display refresh rate.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define DAMAGE_SIZE 64
#define SETUP_TIMEOUT_NS (20LL * 1000000000)

struct shm_bench {
	struct tclient client;
	struct tclient_window window;
	struct tclient_buffer buffers[4];
	int nbuffers;
	long frames, released_waits, dropped;
	long presented; /* --paced: frame callbacks fired */
};

static void fill(struct tclient_buffer *b, int32_t x, int32_t y, int32_t w, int32_t h,
		 uint32_t color)
{
	for (int32_t row = y; row < y + h; row++) {
		uint32_t *p = b->data + (size_t)row * (size_t)(b->stride / 4) + x;

		for (int32_t i = 0; i < w; i++)
			p[i] = color;
	}
}

static struct tclient_buffer *free_buffer(struct shm_bench *s)
{
	for (int i = 0; i < s->nbuffers; i++) {
		if (!s->buffers[i].busy)
			return &s->buffers[i];
	}
	return NULL;
}

static void draw_frame(struct shm_bench *s, struct tclient_buffer *b, bool full)
{
	struct wl_surface *surface = s->window.surface;
	uint32_t n = (uint32_t)s->frames;
	uint32_t color = 0xff000000 | ((n * 0x010305u) & 0xffffff);

	if (full) {
		fill(b, 0, 0, b->width, b->height, color);
		wl_surface_attach(surface, b->buffer, 0, 0);
		wl_surface_damage_buffer(surface, 0, 0, b->width, b->height);
	} else {
		int32_t w = b->width < DAMAGE_SIZE ? b->width : DAMAGE_SIZE;
		int32_t h = b->height < DAMAGE_SIZE ? b->height : DAMAGE_SIZE;
		/* A square walking across the buffer, a different place every frame. */
		int32_t x = (int32_t)((n * 37u) % (uint32_t)(b->width - w + 1));
		int32_t y = (int32_t)((n * 23u) % (uint32_t)(b->height - h + 1));

		fill(b, x, y, w, h, color);
		wl_surface_attach(surface, b->buffer, 0, 0);
		wl_surface_damage_buffer(surface, x, y, w, h);
	}
	wl_surface_commit(surface);
	b->busy = true;
	s->frames++;
}

static bool setup(struct shm_bench *s, const struct bench_options *opt)
{
	int64_t deadline = tclient_now_ns() + SETUP_TIMEOUT_NS;
	struct tclient_frame frame = { 0 };
	struct tclient_buffer *first;
	bool shown;

	if (!tclient_connect(&s->client, true))
		return false;
	if (!tclient_window_init(&s->window, &s->client, "vsomm-bench", deadline))
		return false;
	s->nbuffers = opt->buffers;
	for (int i = 0; i < s->nbuffers; i++) {
		if (!tclient_buffer_init(&s->buffers[i], &s->client, opt->width, opt->height))
			return false;
		/* Fault every page in now, not inside the measured loop. */
		fill(&s->buffers[i], 0, 0, opt->width, opt->height, 0xff404040);
	}
	if (opt->paced) {
		struct wl_region *opaque = wl_compositor_create_region(s->client.compositor);

		wl_region_add(opaque, 0, 0, opt->width, opt->height);
		wl_surface_set_opaque_region(s->window.surface, opaque);
		wl_region_destroy(opaque);
	}
	/* One full frame, shown, before measuring: the window is mapped. */
	first = &s->buffers[0];
	if (!tclient_frame_request(&frame, s->window.surface))
		return false;
	wl_surface_attach(s->window.surface, first->buffer, 0, 0);
	wl_surface_damage_buffer(s->window.surface, 0, 0, first->width, first->height);
	wl_surface_commit(s->window.surface);
	first->busy = true;
	shown = tclient_wait_for(&s->client, &frame.done, deadline);
	tclient_frame_finish(&frame);
	if (!shown && !s->client.stop)
		fprintf(stderr, "vsomm-bench: the window was never shown\n");
	return shown;
}

static bool run(struct shm_bench *s, const struct bench_options *opt, bool full,
		struct bench_cpu *cpu, struct bench_results *r)
{
	int64_t start, end, deadline;
	char key[BENCH_KEY_MAX];
	const char *prefix = full ? "shm_full" : "shm_damage";
	double secs, pixels;

	bench_cpu_start(cpu);
	start = tclient_now_ns();
	deadline = start + (int64_t)(opt->seconds * 1e9);
	for (long tick = 1; !s->client.stop && !s->window.closed; tick++) {
		struct tclient_buffer *b;

		if (opt->paced) {
			struct tclient_frame frame = { 0 };
			bool shown;

			if (tclient_now_ns() >= deadline)
				break;
			b = free_buffer(s);
			if (!b) {
				s->released_waits++;
				if (tclient_dispatch(&s->client, deadline) < 0)
					return false;
				continue;
			}
			if (!tclient_frame_request(&frame, s->window.surface))
				return false;
			draw_frame(s, b, full);
			shown = tclient_wait_for(&s->client, &frame.done, deadline);
			tclient_frame_finish(&frame);
			s->presented += shown;
			continue;
		}
		if (opt->fps > 0) {
			/* Paced: dispatch until the tick, then one commit if a buffer is free. */
			int64_t at = start + (int64_t)((double)tick * 1e9 / opt->fps);

			if (at >= deadline)
				break;
			while (tclient_now_ns() < at && !s->client.stop) {
				if (tclient_dispatch(&s->client, at) < 0)
					return false;
			}
			b = free_buffer(s);
			if (!b) {
				s->dropped++;
				continue;
			}
			draw_frame(s, b, full);
			if (tclient_dispatch(&s->client, TCLIENT_NO_WAIT) < 0)
				return false;
			continue;
		}
		b = free_buffer(s);
		if (tclient_now_ns() >= deadline)
			break;
		if (!b) {
			/* All buffers held by the compositor: wait for a release. */
			s->released_waits++;
			if (tclient_dispatch(&s->client, deadline) < 0)
				return false;
			continue;
		}
		draw_frame(s, b, full);
		if (tclient_dispatch(&s->client, TCLIENT_NO_WAIT) < 0)
			return false;
	}
	end = tclient_now_ns();
	bench_cpu_stop(cpu);
	if (s->client.stop)
		return false;

	secs = (double)(end - start) / 1e9;
	pixels = full ? (double)opt->width * opt->height
		      : (double)DAMAGE_SIZE * DAMAGE_SIZE;
	if (opt->paced) {
		snprintf(key, sizeof(key), "%s_committed", prefix);
		bench_result(r, key, (double)s->frames, 0);
		s->frames = s->presented;
	}
	snprintf(key, sizeof(key), "%s_frames", prefix);
	bench_result(r, key, (double)s->frames, 0);
	snprintf(key, sizeof(key), "%s_seconds", prefix);
	bench_result(r, key, secs, 3);
	snprintf(key, sizeof(key), "%s_frames_per_s", prefix);
	bench_result(r, key, (double)s->frames / secs, 1);
	snprintf(key, sizeof(key), "%s_mpixels_per_s", prefix);
	bench_result(r, key, (double)s->frames * pixels / secs / 1e6, 1);
	snprintf(key, sizeof(key), "%s_release_waits", prefix);
	bench_result(r, key, (double)s->released_waits, 0);
	if (opt->fps > 0) {
		snprintf(key, sizeof(key), "%s_dropped", prefix);
		bench_result(r, key, (double)s->dropped, 0);
	}
	bench_cpu_report(cpu, r, s->frames);
	return true;
}

bool bench_shm(const struct bench_options *opt, bool full, struct bench_cpu *cpu,
	       struct bench_results *r)
{
	struct shm_bench s = { 0 };
	bool ok;

	ok = setup(&s, opt);
	if (ok)
		ok = run(&s, opt, full, cpu, r);
	for (int i = 0; i < s.nbuffers; i++)
		tclient_buffer_finish(&s.buffers[i]);
	tclient_window_finish(&s.window);
	tclient_disconnect(&s.client);
	return ok;
}
