// SPDX-License-Identifier: MIT
/*
 * x11-client: the X client of the X11 tests, with windows whose content,
 * size and relations the tests know, so that they can be found on a
 * screenshot and checked on the host.
 *
 *   x11-client window [--title T] [--class INSTANCE,CLASS] [--size WxH]
 *                     [--color RRGGBB] [--pattern] [--transient-for WIN|none]
 *                     [--override-redirect X,Y] [--fullscreen] [--min WxH] [--max WxH]
 *       One window.  Its content: --color filled, with --pattern a
 *       deterministic pattern inside a 4-pixel frame of that colour (so the
 *       colour's bounding box on a screenshot is the client area).  Prints
 *       "window 0xID", then "configure WxH+X+Y", "state ATOM…" (its
 *       _NET_WM_STATE), "focus in|out"; WM_DELETE_WINDOW prints "deleted"
 *       and exits 0.  --title sets WM_NAME and _NET_WM_NAME (UTF-8).
 *
 *   x11-client state WIN add|remove fullscreen|maximized
 *       Ask the window manager to change WIN's _NET_WM_STATE (EWMH client
 *       message to the root window).
 *
 *   x11-client anim [--size WxH] [--seconds S] [--title T]
 *       A full-window animation through the Present extension, one frame in
 *       flight, each aimed at the next MSC (the compositor's frame pace).
 *       Prints "anim frames N seconds S fps F" at the end (S <= 0: forever,
 *       one line every 2 seconds).
 *
 * Exit 1 when the X server can not be reached or a request fails.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xcb/xcb.h>
#ifdef HAVE_XCB_PRESENT
#include <xcb/present.h>
#endif

static xcb_connection_t *conn;
static xcb_screen_t *screen;

static xcb_atom_t atom(const char *name)
{
	xcb_intern_atom_reply_t *r =
		xcb_intern_atom_reply(conn, xcb_intern_atom(conn, 0, (uint16_t)strlen(name), name), NULL);
	xcb_atom_t a = r ? r->atom : XCB_ATOM_NONE;
	free(r);
	return a;
}

static char *atom_name(xcb_atom_t a)
{
	xcb_get_atom_name_reply_t *r = xcb_get_atom_name_reply(conn, xcb_get_atom_name(conn, a), NULL);
	char *s;
	if (!r)
		return strdup("?");
	int len = xcb_get_atom_name_name_length(r);
	s = malloc((size_t)len + 1);
	if (s) {
		memcpy(s, xcb_get_atom_name_name(r), (size_t)len);
		s[len] = 0;
	}
	free(r);
	return s;
}

static void die(const char *what)
{
	fprintf(stderr, "x11-client: %s\n", what);
	exit(1);
}

static void connect_x(void)
{
	int screen_num;
	conn = xcb_connect(NULL, &screen_num);
	if (xcb_connection_has_error(conn))
		die("cannot open the display");
	xcb_screen_iterator_t it = xcb_setup_roots_iterator(xcb_get_setup(conn));
	for (int i = 0; i < screen_num; i++)
		xcb_screen_next(&it);
	screen = it.data;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- drawing ---- */

struct image {
	int w, h;
	uint32_t *px;
};

static uint32_t pattern_pixel(int x, int y, uint32_t frame_color, int w, int h)
{
	if (x < 4 || y < 4 || x >= w - 4 || y >= h - 4)
		return frame_color;
	/* deterministic, many colours, no gradient that rounding could hide */
	uint32_t r = (uint32_t)(x * 7 + y * 3) & 0xff, g = (uint32_t)(x ^ y) & 0xff;
	uint32_t b = ((x / 16 + y / 16) & 1) ? 0xc0 : 0x40;
	return r << 16 | g << 8 | b;
}

static void image_fill(struct image *img, uint32_t color, bool pattern)
{
	for (int y = 0; y < img->h; y++)
		for (int x = 0; x < img->w; x++)
			img->px[(size_t)y * (size_t)img->w + (size_t)x] =
				pattern ? pattern_pixel(x, y, color, img->w, img->h) : color;
}

/* Put the image in rows that fit one request (no BIG-REQUESTS needed). */
static void put_image(xcb_drawable_t d, xcb_gcontext_t gc, const struct image *img)
{
	uint32_t max = xcb_get_maximum_request_length(conn) * 4u;
	size_t row = (size_t)img->w * 4;
	int rows = (int)((max - 64) / row);
	if (rows < 1)
		rows = 1;
	for (int y = 0; y < img->h; y += rows) {
		int n = img->h - y < rows ? img->h - y : rows;
		xcb_put_image(conn, XCB_IMAGE_FORMAT_Z_PIXMAP, d, gc, (uint16_t)img->w, (uint16_t)n, 0,
			      (int16_t)y, 0, screen->root_depth, (uint32_t)(row * (size_t)n),
			      (const uint8_t *)(img->px + (size_t)y * (size_t)img->w));
	}
}

/* ---- windows ---- */

struct win {
	xcb_window_t id;
	xcb_gcontext_t gc;
	struct image img;
	uint32_t color;
	bool pattern;
};

static xcb_atom_t a_wm_protocols, a_wm_delete, a_net_wm_name, a_utf8, a_net_wm_state,
	a_state_fullscreen, a_state_maximized_h, a_state_maximized_v, a_wm_take_focus;

static void atoms(void)
{
	a_wm_protocols = atom("WM_PROTOCOLS");
	a_wm_delete = atom("WM_DELETE_WINDOW");
	a_wm_take_focus = atom("WM_TAKE_FOCUS");
	a_net_wm_name = atom("_NET_WM_NAME");
	a_utf8 = atom("UTF8_STRING");
	a_net_wm_state = atom("_NET_WM_STATE");
	a_state_fullscreen = atom("_NET_WM_STATE_FULLSCREEN");
	a_state_maximized_h = atom("_NET_WM_STATE_MAXIMIZED_HORZ");
	a_state_maximized_v = atom("_NET_WM_STATE_MAXIMIZED_VERT");
}

static void set_title(xcb_window_t w, const char *title)
{
	xcb_change_property(conn, XCB_PROP_MODE_REPLACE, w, XCB_ATOM_WM_NAME, XCB_ATOM_STRING, 8,
			    (uint32_t)strlen(title), title);
	xcb_change_property(conn, XCB_PROP_MODE_REPLACE, w, a_net_wm_name, a_utf8, 8,
			    (uint32_t)strlen(title), title);
}

static void set_class(xcb_window_t w, const char *spec)
{
	/* "instance,class" → "instance\0class\0" */
	char buf[512];
	size_t n = strlen(spec);
	if (n + 2 > sizeof(buf))
		die("class too long");
	memcpy(buf, spec, n + 1);
	char *comma = strchr(buf, ',');
	if (comma)
		*comma = 0;
	xcb_change_property(conn, XCB_PROP_MODE_REPLACE, w, XCB_ATOM_WM_CLASS, XCB_ATOM_STRING, 8,
			    (uint32_t)n + 1, buf);
}

static int min_w, min_h, max_w, max_h; /* WM_NORMAL_HINTS of the next window; 0: none */

static struct win *win_create(int x, int y, int w, int h, uint32_t color, bool pattern,
			      bool override_redirect, const char *title)
{
	struct win *win = calloc(1, sizeof(*win));
	if (!win)
		die("out of memory");
	win->id = xcb_generate_id(conn);
	win->color = color;
	win->pattern = pattern;
	uint32_t values[] = {
		color,
		override_redirect,
		XCB_EVENT_MASK_EXPOSURE | XCB_EVENT_MASK_STRUCTURE_NOTIFY |
			XCB_EVENT_MASK_PROPERTY_CHANGE | XCB_EVENT_MASK_FOCUS_CHANGE,
	};
	xcb_create_window(conn, XCB_COPY_FROM_PARENT, win->id, screen->root, (int16_t)x, (int16_t)y,
			  (uint16_t)w, (uint16_t)h, 0, XCB_WINDOW_CLASS_INPUT_OUTPUT,
			  screen->root_visual,
			  XCB_CW_BACK_PIXEL | XCB_CW_OVERRIDE_REDIRECT | XCB_CW_EVENT_MASK, values);
	win->gc = xcb_generate_id(conn);
	xcb_create_gc(conn, win->gc, win->id, 0, NULL);
	win->img.w = w;
	win->img.h = h;
	win->img.px = malloc((size_t)w * (size_t)h * 4);
	if (!win->img.px)
		die("out of memory");
	image_fill(&win->img, color, pattern);
	xcb_atom_t protocols[] = {a_wm_delete};
	xcb_change_property(conn, XCB_PROP_MODE_REPLACE, win->id, a_wm_protocols, XCB_ATOM_ATOM, 32,
			    1, protocols);
	if (title)
		set_title(win->id, title);
	/* USPosition | USSize | PPosition | PSize: place it where asked */
	uint32_t hints[18] = {0};
	hints[0] = 1 | 2 | 4 | 8;
	hints[1] = (uint32_t)x;
	hints[2] = (uint32_t)y;
	hints[3] = (uint32_t)w;
	hints[4] = (uint32_t)h;
	if (min_w > 0) {
		hints[0] |= 16; /* PMinSize */
		hints[5] = (uint32_t)min_w;
		hints[6] = (uint32_t)min_h;
	}
	if (max_w > 0) {
		hints[0] |= 32; /* PMaxSize */
		hints[7] = (uint32_t)max_w;
		hints[8] = (uint32_t)max_h;
	}
	xcb_change_property(conn, XCB_PROP_MODE_REPLACE, win->id, XCB_ATOM_WM_NORMAL_HINTS,
			    XCB_ATOM_WM_SIZE_HINTS, 32, 18, hints);
	return win;
}

static void win_draw(struct win *win)
{
	put_image(win->id, win->gc, &win->img);
}

static void win_resize(struct win *win, int w, int h)
{
	if (w == win->img.w && h == win->img.h)
		return;
	uint32_t *px = malloc((size_t)w * (size_t)h * 4);
	if (!px)
		die("out of memory");
	free(win->img.px);
	win->img = (struct image){.w = w, .h = h, .px = px};
	image_fill(&win->img, win->color, win->pattern);
}

static void print_state(xcb_window_t w)
{
	xcb_get_property_reply_t *r = xcb_get_property_reply(
		conn, xcb_get_property(conn, 0, w, a_net_wm_state, XCB_ATOM_ATOM, 0, 64), NULL);
	printf("state");
	if (r && r->format == 32) {
		xcb_atom_t *a = xcb_get_property_value(r);
		int n = xcb_get_property_value_length(r) / 4;
		for (int i = 0; i < n; i++) {
			char *name = atom_name(a[i]);
			printf(" %s", name ? name : "?");
			free(name);
		}
	}
	printf("\n");
	free(r);
}

/* Root coordinates of the window's origin. */
static bool root_position(xcb_window_t w, int *x, int *y)
{
	xcb_translate_coordinates_reply_t *r = xcb_translate_coordinates_reply(
		conn, xcb_translate_coordinates(conn, w, screen->root, 0, 0), NULL);
	if (!r)
		return false;
	*x = r->dst_x;
	*y = r->dst_y;
	free(r);
	return true;
}

/* Handle one event for the windows; returns false when the client should exit. */
static bool handle_event(xcb_generic_event_t *ev, struct win **wins, int count)
{
	uint8_t type = ev->response_type & 0x7f;
	for (int i = 0; i < count; i++) {
		struct win *win = wins[i];
		switch (type) {
		case XCB_EXPOSE: {
			xcb_expose_event_t *e = (void *)ev;
			if (e->window == win->id && e->count == 0)
				win_draw(win);
			break;
		}
		case XCB_CONFIGURE_NOTIFY: {
			xcb_configure_notify_event_t *e = (void *)ev;
			if (e->window != win->id)
				break;
			int x = e->x, y = e->y;
			root_position(win->id, &x, &y);
			printf("configure 0x%x %ux%u+%d+%d\n", win->id, e->width, e->height, x, y);
			if (e->width != win->img.w || e->height != win->img.h) {
				win_resize(win, e->width, e->height);
				win_draw(win);
			}
			break;
		}
		case XCB_PROPERTY_NOTIFY: {
			xcb_property_notify_event_t *e = (void *)ev;
			if (e->window == win->id && e->atom == a_net_wm_state)
				print_state(win->id);
			break;
		}
		case XCB_FOCUS_IN:
		case XCB_FOCUS_OUT: {
			xcb_focus_in_event_t *e = (void *)ev;
			if (e->event == win->id && e->detail != XCB_NOTIFY_DETAIL_POINTER)
				printf("focus %s 0x%x\n", type == XCB_FOCUS_IN ? "in" : "out",
				       win->id);
			break;
		}
		case XCB_CLIENT_MESSAGE: {
			xcb_client_message_event_t *e = (void *)ev;
			if (e->window == win->id && e->type == a_wm_protocols &&
			    e->data.data32[0] == a_wm_delete) {
				printf("deleted 0x%x\n", win->id);
				return false;
			}
			break;
		}
		}
	}
	return true;
}

static void event_loop(struct win **wins, int count)
{
	xcb_generic_event_t *ev;
	fflush(stdout);
	while ((ev = xcb_wait_for_event(conn))) {
		bool go_on = handle_event(ev, wins, count);
		free(ev);
		fflush(stdout);
		if (!go_on)
			return;
	}
	die("the X connection was closed");
}

static void parse_size(const char *s, int *w, int *h)
{
	if (sscanf(s, "%dx%d", w, h) != 2 || *w <= 0 || *h <= 0 || *w > 8192 || *h > 8192)
		die("bad size");
}

static uint32_t parse_color(const char *s)
{
	return (uint32_t)strtoul(s, NULL, 16) & 0xffffff;
}

static int cmd_window(int argc, char **argv)
{
	const char *title = NULL, *class = NULL;
	int w = 200, h = 150, orx = 0, ory = 0;
	uint32_t color = 0x3a5f7d;
	bool pattern = false, fullscreen = false, override = false;
	long transient = -1;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--pattern") == 0) {
			pattern = true;
		} else if (strcmp(a, "--fullscreen") == 0) {
			fullscreen = true;
		} else if (!v) {
			die("option needs a value");
		} else if (strcmp(a, "--title") == 0) {
			title = v, i++;
		} else if (strcmp(a, "--class") == 0) {
			class = v, i++;
		} else if (strcmp(a, "--size") == 0) {
			parse_size(v, &w, &h), i++;
		} else if (strcmp(a, "--color") == 0) {
			color = parse_color(v), i++;
		} else if (strcmp(a, "--min") == 0) {
			parse_size(v, &min_w, &min_h), i++;
		} else if (strcmp(a, "--max") == 0) {
			parse_size(v, &max_w, &max_h), i++;
		} else if (strcmp(a, "--transient-for") == 0) {
			transient = strcmp(v, "none") == 0 ? 0 : strtol(v, NULL, 0), i++;
		} else if (strcmp(a, "--override-redirect") == 0) {
			if (sscanf(v, "%d,%d", &orx, &ory) != 2)
				die("bad position");
			override = true, i++;
		} else {
			die("unknown option");
		}
	}
	connect_x();
	atoms();
	struct win *win = win_create(orx, ory, w, h, color, pattern, override, title);
	if (class)
		set_class(win->id, class);
	if (transient >= 0) {
		uint32_t t = (uint32_t)transient;
		xcb_change_property(conn, XCB_PROP_MODE_REPLACE, win->id, XCB_ATOM_WM_TRANSIENT_FOR,
				    XCB_ATOM_WINDOW, 32, 1, &t);
	}
	if (fullscreen)
		xcb_change_property(conn, XCB_PROP_MODE_REPLACE, win->id, a_net_wm_state,
				    XCB_ATOM_ATOM, 32, 1, &a_state_fullscreen);
	xcb_map_window(conn, win->id);
	xcb_flush(conn);
	printf("window 0x%x\n", win->id);
	event_loop(&win, 1);
	return 0;
}

static int cmd_state(int argc, char **argv)
{
	if (argc != 3)
		die("usage: state WIN add|remove fullscreen|maximized");
	connect_x();
	atoms();
	xcb_window_t w = (xcb_window_t)strtoul(argv[0], NULL, 0);
	uint32_t action = strcmp(argv[1], "add") == 0 ? 1 : 0;
	bool max = strcmp(argv[2], "maximized") == 0;
	xcb_client_message_event_t ev = {
		.response_type = XCB_CLIENT_MESSAGE,
		.format = 32,
		.window = w,
		.type = a_net_wm_state,
	};
	ev.data.data32[0] = action;
	ev.data.data32[1] = max ? a_state_maximized_h : a_state_fullscreen;
	ev.data.data32[2] = max ? a_state_maximized_v : 0;
	ev.data.data32[3] = 1; /* source: an application */
	xcb_send_event(conn, 0, screen->root,
		       XCB_EVENT_MASK_SUBSTRUCTURE_REDIRECT | XCB_EVENT_MASK_SUBSTRUCTURE_NOTIFY,
		       (const char *)&ev);
	/* a round trip: the message is sent before we exit */
	free(xcb_get_input_focus_reply(conn, xcb_get_input_focus(conn), NULL));
	return 0;
}

#ifdef HAVE_XCB_PRESENT
static int cmd_anim(int argc, char **argv)
{
	int w = 640, h = 480;
	double seconds = 10;
	const char *title = "x11-client anim";
	for (int i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--size") == 0)
			parse_size(argv[i + 1], &w, &h);
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--title") == 0)
			title = argv[i + 1];
		else
			die("unknown option");
	}
	connect_x();
	atoms();
	const xcb_query_extension_reply_t *ext = xcb_get_extension_data(conn, &xcb_present_id);
	if (!ext || !ext->present)
		die("no Present extension");
	struct win *win = win_create(0, 0, w, h, 0x204060, false, false, title);
	set_class(win->id, "anim,X11Anim");
	/* two pixmaps of different content: every frame damages the whole window */
	xcb_pixmap_t pix[2];
	for (int i = 0; i < 2; i++) {
		pix[i] = xcb_generate_id(conn);
		xcb_create_pixmap(conn, screen->root_depth, pix[i], win->id, (uint16_t)w, (uint16_t)h);
		image_fill(&win->img, i ? 0xd07030 : 0x3070d0, true);
		put_image(pix[i], win->gc, &win->img);
	}
	uint32_t eid = xcb_generate_id(conn);
	xcb_present_select_input(conn, eid, win->id, XCB_PRESENT_EVENT_MASK_COMPLETE_NOTIFY);
	xcb_map_window(conn, win->id);
	xcb_flush(conn);
	printf("window 0x%x\n", win->id);
	fflush(stdout);
	/* wait for the map */
	xcb_generic_event_t *ev;
	while ((ev = xcb_wait_for_event(conn))) {
		bool exposed = (ev->response_type & 0x7f) == XCB_EXPOSE;
		free(ev);
		if (exposed)
			break;
	}
	uint64_t frames = 0, msc = 0, last_frames = 0;
	uint32_t serial = 0;
	double start = now_s(), last = start;
	bool in_flight = false;
	for (;;) {
		if (!in_flight) {
			xcb_present_pixmap(conn, win->id, pix[frames & 1], ++serial, 0, 0, 0, 0, 0, 0, 0,
					   XCB_PRESENT_OPTION_NONE, msc + 1, 0, 0, 0, NULL);
			xcb_flush(conn);
			in_flight = true;
		}
		ev = xcb_wait_for_event(conn);
		if (!ev)
			die("the X connection was closed");
		if ((ev->response_type & 0x7f) == XCB_GE_GENERIC) {
			xcb_present_complete_notify_event_t *c = (void *)ev;
			if (c->event_type == XCB_PRESENT_COMPLETE_NOTIFY &&
			    c->kind == XCB_PRESENT_COMPLETE_KIND_PIXMAP && c->serial == serial) {
				msc = c->msc;
				frames++;
				in_flight = false;
			}
		} else if ((ev->response_type & 0x7f) == XCB_CLIENT_MESSAGE) {
			xcb_client_message_event_t *e = (void *)ev;
			if (e->type == a_wm_protocols && e->data.data32[0] == a_wm_delete) {
				free(ev);
				break;
			}
		}
		free(ev);
		double t = now_s();
		if (seconds > 0 && t - start >= seconds)
			break;
		if (seconds <= 0 && t - last >= 2) {
			printf("anim frames %" PRIu64 " seconds %.2f fps %.1f\n", frames - last_frames,
			       t - last, (double)(frames - last_frames) / (t - last));
			fflush(stdout);
			last = t;
			last_frames = frames;
		}
	}
	double t = now_s() - start;
	printf("anim frames %" PRIu64 " seconds %.2f fps %.1f\n", frames, t, (double)frames / t);
	return 0;
}
#endif

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		die("usage: x11-client window|state|anim [options]");
	if (strcmp(argv[1], "window") == 0)
		return cmd_window(argc - 2, argv + 2);
	if (strcmp(argv[1], "state") == 0)
		return cmd_state(argc - 2, argv + 2);
#ifdef HAVE_XCB_PRESENT
	if (strcmp(argv[1], "anim") == 0)
		return cmd_anim(argc - 2, argv + 2);
#endif
	die("unknown command");
	return 1;
}
