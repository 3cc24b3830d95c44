// SPDX-License-Identifier: MIT
/*
 * vsomm-input-client --dnd: drag and drop as source and target through
 * wl_data_device (wl_data_device_manager v3: actions, drop_performed,
 * finish).  The source offers DND_MIME with a DND_ICON-square cyan icon; a
 * target accepts it, and on the drop reads DND_BYTES through the offer's
 * pipe (non-blocking: source and target may be this one process) and marks
 * the drop spot white when every byte is the expected one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input-client.h"

static uint8_t dnd_byte(size_t i)
{
	return (uint8_t)(i * 131 + i / 251);
}

/* A 16x16 white mark at x,y of a window, the sign on screen of a good drop. */
static void window_mark(struct window *w, int32_t x, int32_t y)
{
	struct tclient_buffer *b = &w->buffer;

	if (!b->buffer)
		return;
	x = x < 0 ? 0 : x > b->width - 16 ? b->width - 16 : x;
	y = y < 0 ? 0 : y > b->height - 16 ? b->height - 16 : y;
	for (int32_t j = y; j < y + 16; j++)
		for (int32_t i = x; i < x + 16; i++)
			b->data[j * b->width + i] = 0xffffff;
	wl_surface_attach(w->surface, b->buffer, 0, 0);
	wl_surface_damage_buffer(w->surface, x, y, 16, 16);
	wl_surface_commit(w->surface);
}

static const char *action_name(uint32_t a)
{
	return a == WL_DATA_DEVICE_MANAGER_DND_ACTION_COPY ? "copy" :
	       a == WL_DATA_DEVICE_MANAGER_DND_ACTION_MOVE ? "move" :
	       a == WL_DATA_DEVICE_MANAGER_DND_ACTION_NONE ? "none" : "other";
}

static void source_target(void *data, struct wl_data_source *s, const char *mime)
{
	printf("source-target %s\n", mime ? mime : "-");
}

static void source_send(void *data, struct wl_data_source *s, const char *mime, int32_t fd)
{
	struct state *st = data;

	printf("source-send %s\n", mime);
	if (st->dnd.send_fd >= 0 || strcmp(mime, DND_MIME) != 0) {
		close(fd);
		return;
	}
	/* Written from the main loop: the reader may be this process. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	st->dnd.send_fd = fd;
	st->dnd.sent = 0;
}

static void source_done(struct state *st, const char *what)
{
	printf("source-%s\n", what);
	wl_data_source_destroy(st->dnd.source);
	st->dnd.source = NULL;
}

static void source_cancelled(void *data, struct wl_data_source *s)
{
	source_done(data, "cancelled");
}

static void source_performed(void *data, struct wl_data_source *s)
{
	printf("source-performed\n");
}

static void source_finished(void *data, struct wl_data_source *s)
{
	source_done(data, "finished");
}

static void source_action(void *data, struct wl_data_source *s, uint32_t action)
{
	printf("source-action %s\n", action_name(action));
}

static const struct wl_data_source_listener source_listener = {
	.target = source_target,
	.send = source_send,
	.cancelled = source_cancelled,
	.dnd_drop_performed = source_performed,
	.dnd_finished = source_finished,
	.action = source_action,
};

void input_dnd_start(struct state *st, uint32_t serial)
{
	struct dnd *d = &st->dnd;

	if (!d->device || d->source || d->send_fd >= 0)
		return;
	d->source = wl_data_device_manager_create_data_source(d->manager);
	wl_data_source_add_listener(d->source, &source_listener, st);
	wl_data_source_offer(d->source, DND_MIME);
	if (wl_data_source_get_version(d->source) >= 3)
		wl_data_source_set_actions(d->source, DND_ACTIONS);
	d->icon = d->icon ? d->icon : wl_compositor_create_surface(st->c.compositor);
	wl_data_device_start_drag(d->device, d->source, st->windows[0].surface, d->icon, serial);
	/* The buffer after start_drag: the commit of the surface in its dnd icon role maps it. */
	wl_surface_attach(d->icon, d->icon_buffer.buffer, 0, 0);
	wl_surface_damage_buffer(d->icon, 0, 0, DND_ICON, DND_ICON);
	wl_surface_commit(d->icon);
	printf("drag-start 0\n");
}

static void offer_offer(void *data, struct wl_data_offer *offer, const char *mime)
{
	struct state *st = data;

	/* Only the offer being entered is recorded (enter names it). */
	if (offer != st->dnd.offer || strlen(st->dnd.mimes) + strlen(mime) + 2 > sizeof(st->dnd.mimes))
		return;
	if (st->dnd.mimes[0])
		strcat(st->dnd.mimes, ",");
	strcat(st->dnd.mimes, mime);
}

static void offer_source_actions(void *data, struct wl_data_offer *offer, uint32_t actions)
{
}

static void offer_action(void *data, struct wl_data_offer *offer, uint32_t action)
{
	printf("dnd-action %s\n", action_name(action));
}

static const struct wl_data_offer_listener offer_listener = {
	.offer = offer_offer,
	.source_actions = offer_source_actions,
	.action = offer_action,
};

static void device_data_offer(void *data, struct wl_data_device *dev, struct wl_data_offer *offer)
{
	struct state *st = data;

	/* The next offer: a drag's (enter) or the selection's (destroyed there). */
	if (st->dnd.offer && st->dnd.recv_fd < 0 && st->dnd.window < 0)
		wl_data_offer_destroy(st->dnd.offer);
	st->dnd.offer = offer;
	st->dnd.mimes[0] = '\0';
	wl_data_offer_add_listener(offer, &offer_listener, st);
}

static void device_enter(void *data, struct wl_data_device *dev, uint32_t serial, struct wl_surface *surface,
			 wl_fixed_t x, wl_fixed_t y, struct wl_data_offer *offer)
{
	struct state *st = data;
	struct dnd *d = &st->dnd;

	d->window = -1;
	for (int i = 0; i < st->nwindows; i++)
		if (st->windows[i].surface == surface)
			d->window = st->first + i;
	d->x = x;
	d->y = y;
	printf("dnd-enter %d %.2f %.2f %s\n", d->window, wl_fixed_to_double(x), wl_fixed_to_double(y),
	       offer && offer == d->offer ? d->mimes : "-");
	if (!offer || offer != d->offer)
		return;
	wl_data_offer_accept(offer, serial, strstr(d->mimes, DND_MIME) ? DND_MIME : NULL);
	if (wl_data_offer_get_version(offer) >= 3)
		wl_data_offer_set_actions(offer, DND_ACTIONS, WL_DATA_DEVICE_MANAGER_DND_ACTION_COPY);
}

static void device_leave(void *data, struct wl_data_device *dev)
{
	struct state *st = data;
	struct dnd *d = &st->dnd;

	printf("dnd-leave %d\n", d->window);
	d->window = -1;
	if (d->offer && d->recv_fd < 0) {
		wl_data_offer_destroy(d->offer);
		d->offer = NULL;
	}
}

static void device_motion(void *data, struct wl_data_device *dev, uint32_t time, wl_fixed_t x, wl_fixed_t y)
{
	struct state *st = data;

	st->dnd.x = x;
	st->dnd.y = y;
	printf("dnd-motion %.2f %.2f\n", wl_fixed_to_double(x), wl_fixed_to_double(y));
}

static void device_drop(void *data, struct wl_data_device *dev)
{
	struct state *st = data;
	struct dnd *d = &st->dnd;
	int fds[2];

	d->drop_x = wl_fixed_to_int(d->x);
	d->drop_y = wl_fixed_to_int(d->y);
	printf("dnd-drop %d %d %d\n", d->window, d->drop_x, d->drop_y);
	if (!d->offer || d->recv_fd >= 0 || pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return;
	wl_data_offer_receive(d->offer, DND_MIME, fds[1]);
	close(fds[1]);
	d->recv_fd = fds[0];
	d->got_len = 0;
	d->drop_window = d->window;
}

static void device_selection(void *data, struct wl_data_device *dev, struct wl_data_offer *offer)
{
	struct state *st = data;

	if (offer && offer == st->dnd.offer && st->dnd.recv_fd < 0) {
		wl_data_offer_destroy(offer);
		st->dnd.offer = NULL;
	}
}

static const struct wl_data_device_listener device_listener = {
	.data_offer = device_data_offer,
	.enter = device_enter,
	.leave = device_leave,
	.motion = device_motion,
	.drop = device_drop,
	.selection = device_selection,
};

bool input_dnd_init(struct state *st)
{
	struct dnd *d = &st->dnd;

	d->send_fd = d->recv_fd = -1;
	d->window = -1;
	if (!d->manager || !st->seat) {
		fprintf(stderr, "input-client: no wl_data_device_manager or wl_seat\n");
		return false;
	}
	d->got = malloc(DND_BYTES + 1);
	if (!d->got || !tclient_buffer_init(&d->icon_buffer, &st->c, DND_ICON, DND_ICON))
		return false;
	for (int32_t i = 0; i < DND_ICON * DND_ICON; i++)
		d->icon_buffer.data[i] = 0x20e0e0;
	d->device = wl_data_device_manager_get_data_device(d->manager, st->seat);
	wl_data_device_add_listener(d->device, &device_listener, st);
	return true;
}

/* Without --dnd, input_dnd_init never ran and the fds are 0, not -1. */
bool input_dnd_busy(const struct state *st)
{
	return st->dnd.got && (st->dnd.send_fd >= 0 || st->dnd.recv_fd >= 0);
}

void input_dnd_pump(struct state *st)
{
	struct dnd *d = &st->dnd;

	if (!d->got)
		return;

	while (d->send_fd >= 0) {
		uint8_t chunk[4096];
		size_t n = DND_BYTES - d->sent < sizeof(chunk) ? DND_BYTES - d->sent : sizeof(chunk);
		ssize_t w;

		for (size_t i = 0; i < n; i++)
			chunk[i] = dnd_byte(d->sent + i);
		w = n ? write(d->send_fd, chunk, n) : 0;
		if (w < 0 && errno == EAGAIN)
			break;
		d->sent += w > 0 ? (size_t)w : 0;
		if (w <= 0 || d->sent == DND_BYTES) {
			close(d->send_fd);
			d->send_fd = -1;
		}
	}
	while (d->recv_fd >= 0) {
		/* One byte more than expected is read to see that the data is not longer. */
		ssize_t r = read(d->recv_fd, d->got + d->got_len, DND_BYTES + 1 - d->got_len);
		bool ok;

		if (r < 0 && errno == EAGAIN)
			break;
		if (r > 0) {
			d->got_len += (size_t)r;
			if (d->got_len <= DND_BYTES)
				continue;
		}
		close(d->recv_fd);
		d->recv_fd = -1;
		ok = d->got_len == DND_BYTES;
		for (size_t i = 0; ok && i < d->got_len; i++)
			ok = d->got[i] == dnd_byte(i);
		printf("dnd-data %zu %s\n", d->got_len, ok ? "ok" : "bad");
		if (ok && d->drop_window >= st->first && d->drop_window < st->first + st->nwindows)
			window_mark(&st->windows[d->drop_window - st->first], d->drop_x, d->drop_y);
		if (d->offer) {
			if (wl_data_offer_get_version(d->offer) >= 3)
				wl_data_offer_finish(d->offer);
			wl_data_offer_destroy(d->offer);
			d->offer = NULL;
		}
	}
}

