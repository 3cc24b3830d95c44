// SPDX-License-Identifier: MIT
/*
 * vsomm-input-client: a test client that logs what the seat tells it and
 * exercises the shell features the input tests compare (direct vs vsomm).
 *
 *   vsomm-input-client [--toplevels N] [--cursor] [--popup] [--subsurface]
 *                      [--fullscreen] [--maximize] [--dnd] [--first N] [--timeout S]
 *
 * Each toplevel is a 300x200 window of its own colour.  One line on stdout
 * (line-buffered) per event, coordinates surface-local:
 *   ready                       every window is configured and drawn
 *   configure W WIDTH HEIGHT S  toplevel W's configure (S: states, "-" none)
 *   enter W X Y / leave W / motion X Y / button B STATE / axis A V
 *   keymap FORMAT SIZE ok|bad   the keymap fd maps and holds an xkb keymap
 *   repeat RATE DELAY / kbenter W / key KEY STATE / modifiers D L K G
 *   popup X Y W H               the popup's configure (relative to its parent)
 * --cursor sets a 16x16 magenta shm cursor (hotspot 0,0) on every enter;
 * --popup opens a 100x60 popup at the pointer on the first button press;
 * --subsurface adds a 60x40 yellow subsurface at (20,30) of window 0.
 * --first N numbers (and colours) the windows from N, for a second process.
 * --dnd: a button press in window 0 starts a drag (wl_data_source offering
 * DND_MIME, copy|move, a 24x24 cyan icon); every window accepts it and, on
 * the drop, reads the data through the offer's pipe and paints a 16x16
 * white mark at the drop spot when it is the expected DND_BYTES:
 *   drag-start W / dnd-enter W X Y MIMES / dnd-motion X Y / dnd-leave W
 *   dnd-action A / dnd-drop W X Y / dnd-data BYTES ok|bad
 *   source-target MIME / source-action A / source-send MIME
 *   source-performed / source-finished / source-cancelled
 * (input-dnd.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "input-client.h"

#define WIN_W 300
#define WIN_H 200

static const uint32_t colors[MAX_WINDOWS] = { 0x3060c0, 0xc03060, 0x30c060, 0x806020 };

static void fill(struct tclient_buffer *b, uint32_t color)
{
	for (int32_t i = 0; i < b->width * b->height; i++)
		b->data[i] = color;
}

static int window_index(struct state *st, struct wl_surface *surface)
{
	for (int i = 0; i < st->nwindows; i++)
		if (st->windows[i].surface == surface)
			return st->first + i;
	if (surface && surface == st->popup_surface)
		return 100;
	return -1;
}

/* Draw at the configured size (or the fixed one) when it changed. */
static void window_draw(struct window *w)
{
	int32_t width = w->conf_w > 0 ? w->conf_w : WIN_W;
	int32_t height = w->conf_h > 0 ? w->conf_h : WIN_H;

	if (w->buffer.buffer && width == w->drawn_w && height == w->drawn_h) {
		wl_surface_commit(w->surface);
		return;
	}
	if (w->buffer.buffer)
		tclient_buffer_finish(&w->buffer);
	if (!tclient_buffer_init(&w->buffer, &w->st->c, width, height)) {
		fprintf(stderr, "input-client: no buffer\n");
		exit(1);
	}
	fill(&w->buffer, w->color);
	wl_surface_attach(w->surface, w->buffer.buffer, 0, 0);
	wl_surface_damage_buffer(w->surface, 0, 0, width, height);
	wl_surface_commit(w->surface);
	w->drawn_w = width;
	w->drawn_h = height;
}

static void xdg_surface_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct window *w = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	w->configured = true;
	window_draw(w);
}

static const struct xdg_surface_listener xdg_surface_listener = { .configure = xdg_surface_configure };

static void toplevel_configure(void *data, struct xdg_toplevel *toplevel, int32_t width,
			       int32_t height, struct wl_array *states)
{
	struct window *w = data;
	char buf[64] = "";
	uint32_t *s;

	wl_array_for_each(s, states) {
		const char *name = *s == XDG_TOPLEVEL_STATE_MAXIMIZED ? "max" :
				   *s == XDG_TOPLEVEL_STATE_FULLSCREEN ? "full" :
				   *s == XDG_TOPLEVEL_STATE_ACTIVATED ? "act" : "other";
		if (strlen(buf) + strlen(name) + 2 < sizeof(buf)) {
			if (buf[0])
				strcat(buf, ",");
			strcat(buf, name);
		}
	}
	printf("configure %d %d %d %s\n", w->index, width, height, buf[0] ? buf : "-");
	w->conf_w = width;
	w->conf_h = height;
}

static void toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
	((struct window *)data)->st->c.stop = true;
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_configure,
	.close = toplevel_close,
};

static void popup_xdg_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct state *st = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	wl_surface_attach(st->popup_surface, st->popup_buffer.buffer, 0, 0);
	wl_surface_damage_buffer(st->popup_surface, 0, 0, 100, 60);
	wl_surface_commit(st->popup_surface);
}

static const struct xdg_surface_listener popup_xdg_listener = { .configure = popup_xdg_configure };

static void popup_configure(void *data, struct xdg_popup *popup, int32_t x, int32_t y, int32_t w,
			    int32_t h)
{
	printf("popup %d %d %d %d\n", x, y, w, h);
}

static void popup_done(void *data, struct xdg_popup *popup)
{
	printf("popup-done\n");
}

static const struct xdg_popup_listener popup_listener = {
	.configure = popup_configure,
	.popup_done = popup_done,
};

static void open_popup(struct state *st, uint32_t serial)
{
	struct xdg_positioner *pos;

	if (st->popup || st->pointer_window != 0)
		return;
	if (!tclient_buffer_init(&st->popup_buffer, &st->c, 100, 60))
		exit(1);
	fill(&st->popup_buffer, 0x20e020);
	st->popup_surface = wl_compositor_create_surface(st->c.compositor);
	st->popup_xdg = xdg_wm_base_get_xdg_surface(st->c.wm_base, st->popup_surface);
	xdg_surface_add_listener(st->popup_xdg, &popup_xdg_listener, st);
	pos = xdg_wm_base_create_positioner(st->c.wm_base);
	xdg_positioner_set_size(pos, 100, 60);
	xdg_positioner_set_anchor_rect(pos, wl_fixed_to_int(st->px), wl_fixed_to_int(st->py), 1, 1);
	xdg_positioner_set_anchor(pos, XDG_POSITIONER_ANCHOR_BOTTOM_RIGHT);
	xdg_positioner_set_gravity(pos, XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT);
	st->popup = xdg_surface_get_popup(st->popup_xdg, st->windows[0].xdg_surface, pos);
	xdg_positioner_destroy(pos);
	xdg_popup_add_listener(st->popup, &popup_listener, st);
	xdg_popup_grab(st->popup, st->seat, serial);
	wl_surface_commit(st->popup_surface);
}

static void pointer_enter(void *data, struct wl_pointer *p, uint32_t serial, struct wl_surface *surface,
			  wl_fixed_t x, wl_fixed_t y)
{
	struct state *st = data;

	st->pointer_window = window_index(st, surface);
	st->px = x;
	st->py = y;
	printf("enter %d %.2f %.2f\n", st->pointer_window, wl_fixed_to_double(x), wl_fixed_to_double(y));
	if (st->want_cursor && st->cursor_surface)
		wl_pointer_set_cursor(p, serial, st->cursor_surface, 0, 0);
}

static void pointer_leave(void *data, struct wl_pointer *p, uint32_t serial, struct wl_surface *surface)
{
	struct state *st = data;

	printf("leave %d\n", window_index(st, surface));
}

static void pointer_motion(void *data, struct wl_pointer *p, uint32_t time, wl_fixed_t x, wl_fixed_t y)
{
	struct state *st = data;

	st->px = x;
	st->py = y;
	printf("motion %.2f %.2f\n", wl_fixed_to_double(x), wl_fixed_to_double(y));
}

static void pointer_button(void *data, struct wl_pointer *p, uint32_t serial, uint32_t time,
			   uint32_t button, uint32_t state)
{
	struct state *st = data;

	printf("button %u %u\n", button, state);
	if (st->want_popup && state == WL_POINTER_BUTTON_STATE_PRESSED)
		open_popup(st, serial);
	if (st->dnd.manager && state == WL_POINTER_BUTTON_STATE_PRESSED && st->pointer_window == 0)
		input_dnd_start(st, serial);
}

static void pointer_axis(void *data, struct wl_pointer *p, uint32_t time, uint32_t axis, wl_fixed_t v)
{
	printf("axis %u %.2f\n", axis, wl_fixed_to_double(v));
}

static void pointer_frame(void *data, struct wl_pointer *p)
{
}

static void pointer_axis_source(void *data, struct wl_pointer *p, uint32_t source)
{
}

static void pointer_axis_stop(void *data, struct wl_pointer *p, uint32_t time, uint32_t axis)
{
}

static void pointer_axis_discrete(void *data, struct wl_pointer *p, uint32_t axis, int32_t discrete)
{
	printf("discrete %u %d\n", axis, discrete);
}

static const struct wl_pointer_listener pointer_listener = {
	.enter = pointer_enter,
	.leave = pointer_leave,
	.motion = pointer_motion,
	.button = pointer_button,
	.axis = pointer_axis,
	.frame = pointer_frame,
	.axis_source = pointer_axis_source,
	.axis_stop = pointer_axis_stop,
	.axis_discrete = pointer_axis_discrete,
};

static void keyboard_keymap(void *data, struct wl_keyboard *k, uint32_t format, int32_t fd, uint32_t size)
{
	const char *ok = "bad";
	void *map = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;

	if (map != MAP_FAILED) {
		if (size > 11 && memcmp(map, "xkb_keymap", 10) == 0 && memchr(map, '\0', size))
			ok = "ok";
		munmap(map, size);
	}
	close(fd);
	printf("keymap %u %u %s\n", format, size, ok);
}

static void keyboard_enter(void *data, struct wl_keyboard *k, uint32_t serial, struct wl_surface *surface,
			   struct wl_array *keys)
{
	printf("kbenter %d\n", window_index(data, surface));
}

static void keyboard_leave(void *data, struct wl_keyboard *k, uint32_t serial, struct wl_surface *surface)
{
	printf("kbleave %d\n", window_index(data, surface));
}

static void keyboard_key(void *data, struct wl_keyboard *k, uint32_t serial, uint32_t time, uint32_t key,
			 uint32_t state)
{
	printf("key %u %u\n", key, state);
}

static void keyboard_modifiers(void *data, struct wl_keyboard *k, uint32_t serial, uint32_t depressed,
			       uint32_t latched, uint32_t locked, uint32_t group)
{
	printf("modifiers %u %u %u %u\n", depressed, latched, locked, group);
}

static void keyboard_repeat(void *data, struct wl_keyboard *k, int32_t rate, int32_t delay)
{
	printf("repeat %d %d\n", rate, delay);
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = keyboard_keymap,
	.enter = keyboard_enter,
	.leave = keyboard_leave,
	.key = keyboard_key,
	.modifiers = keyboard_modifiers,
	.repeat_info = keyboard_repeat,
};

static void seat_capabilities(void *data, struct wl_seat *seat, uint32_t caps)
{
	struct state *st = data;

	if ((caps & WL_SEAT_CAPABILITY_POINTER) && !st->pointer) {
		st->pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(st->pointer, &pointer_listener, st);
	}
	if ((caps & WL_SEAT_CAPABILITY_KEYBOARD) && !st->keyboard) {
		st->keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(st->keyboard, &keyboard_listener, st);
	}
}

static void seat_name(void *data, struct wl_seat *seat, const char *name)
{
}

static const struct wl_seat_listener seat_listener = {
	.capabilities = seat_capabilities,
	.name = seat_name,
};

static void global(void *data, struct wl_registry *registry, uint32_t name, const char *interface,
		   uint32_t version)
{
	struct state *st = data;

	if (strcmp(interface, wl_seat_interface.name) == 0 && !st->seat) {
		st->seat = wl_registry_bind(registry, name, &wl_seat_interface, version < 5 ? version : 5);
		wl_seat_add_listener(st->seat, &seat_listener, st);
	} else if (strcmp(interface, wl_subcompositor_interface.name) == 0 && !st->subcompositor) {
		st->subcompositor = wl_registry_bind(registry, name, &wl_subcompositor_interface, 1);
	} else if (strcmp(interface, wl_data_device_manager_interface.name) == 0 && st->dnd.want &&
		   !st->dnd.manager) {
		st->dnd.manager = wl_registry_bind(registry, name, &wl_data_device_manager_interface,
						   version < 3 ? version : 3);
	}
}

static void global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = global,
	.global_remove = global_remove,
};

static void window_create(struct state *st, int i)
{
	struct window *w = &st->windows[i];
	char title[32];

	w->st = st;
	w->index = st->first + i;
	w->color = colors[st->first + i];
	w->surface = wl_compositor_create_surface(st->c.compositor);
	w->xdg_surface = xdg_wm_base_get_xdg_surface(st->c.wm_base, w->surface);
	xdg_surface_add_listener(w->xdg_surface, &xdg_surface_listener, w);
	w->toplevel = xdg_surface_get_toplevel(w->xdg_surface);
	xdg_toplevel_add_listener(w->toplevel, &toplevel_listener, w);
	snprintf(title, sizeof(title), "input-client %d", w->index);
	xdg_toplevel_set_title(w->toplevel, title);
	xdg_toplevel_set_app_id(w->toplevel, "vsomm-input-client");
	if (i == 0 && st->fullscreen)
		xdg_toplevel_set_fullscreen(w->toplevel, NULL);
	if (i == 0 && st->maximize)
		xdg_toplevel_set_maximized(w->toplevel);
	wl_surface_commit(w->surface);
}

static void add_subsurface(struct state *st)
{
	if (!st->subcompositor || !tclient_buffer_init(&st->sub_buffer, &st->c, 60, 40)) {
		fprintf(stderr, "input-client: no subcompositor\n");
		exit(1);
	}
	fill(&st->sub_buffer, 0xe0e020);
	st->sub_surface = wl_compositor_create_surface(st->c.compositor);
	st->subsurface = wl_subcompositor_get_subsurface(st->subcompositor, st->sub_surface,
							 st->windows[0].surface);
	wl_subsurface_set_position(st->subsurface, 20, 30);
	wl_surface_attach(st->sub_surface, st->sub_buffer.buffer, 0, 0);
	wl_surface_damage_buffer(st->sub_surface, 0, 0, 60, 40);
	wl_surface_commit(st->sub_surface);
	/* Desynchronized state lands with the parent's next commit. */
	wl_surface_commit(st->windows[0].surface);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "toplevels", required_argument, NULL, 'n' },
		{ "cursor", no_argument, NULL, 'c' },
		{ "popup", no_argument, NULL, 'p' },
		{ "subsurface", no_argument, NULL, 's' },
		{ "fullscreen", no_argument, NULL, 'f' },
		{ "maximize", no_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "dnd", no_argument, NULL, 'd' },
		{ "first", required_argument, NULL, 'F' },
		{ 0 },
	};
	struct state st = { .nwindows = 1, .pointer_window = -1 };
	struct wl_registry *registry;
	int64_t deadline;
	double timeout = 60;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n': st.nwindows = atoi(optarg); break;
		case 'c': st.want_cursor = true; break;
		case 'p': st.want_popup = true; break;
		case 's': st.want_sub = true; break;
		case 'f': st.fullscreen = true; break;
		case 'm': st.maximize = true; break;
		case 't': timeout = atof(optarg); break;
		case 'd': st.dnd.want = true; break;
		case 'F': st.first = atoi(optarg); break;
		default: return 2;
		}
	}
	if (st.nwindows < 1 || st.first < 0 || st.first + st.nwindows > MAX_WINDOWS || timeout <= 0) {
		fprintf(stderr, "input-client: bad arguments\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!tclient_connect(&st.c, true))
		return 1;
	deadline = tclient_now_ns() + (int64_t)(timeout * 1e9);
	registry = wl_display_get_registry(st.c.display);
	wl_registry_add_listener(registry, &registry_listener, &st);
	wl_display_roundtrip(st.c.display);
	if (!st.seat)
		fprintf(stderr, "input-client: no wl_seat\n");
	if (st.dnd.want && !input_dnd_init(&st))
		return 1;
	if (st.want_cursor) {
		if (!tclient_buffer_init(&st.cursor_buffer, &st.c, 16, 16))
			return 1;
		fill(&st.cursor_buffer, 0xff00ff);
		st.cursor_surface = wl_compositor_create_surface(st.c.compositor);
		wl_surface_attach(st.cursor_surface, st.cursor_buffer.buffer, 0, 0);
		wl_surface_damage_buffer(st.cursor_surface, 0, 0, 16, 16);
		wl_surface_commit(st.cursor_surface);
	}
	for (int i = 0; i < st.nwindows; i++)
		window_create(&st, i);
	for (int i = 0; i < st.nwindows; i++) {
		if (!tclient_wait_for(&st.c, &st.windows[i].configured, deadline))
			return 1;
	}
	if (st.want_sub)
		add_subsurface(&st);
	wl_display_roundtrip(st.c.display);
	printf("ready\n");
	while (!st.c.stop) {
		/* Pipes of a drag in flight are polled every 20 ms. */
		int64_t until = input_dnd_busy(&st) ? tclient_now_ns() + 20000000 : deadline;
		int r = tclient_dispatch(&st.c, until < deadline ? until : deadline);

		if (r < 0)
			return 1;
		input_dnd_pump(&st);
		if (r == 0 && (st.c.stop || tclient_now_ns() >= deadline))
			break;
	}
	return 0;
}
