// SPDX-License-Identifier: MIT
/*
 * hostile-x: an X client that gives a window manager what no sane client
 * does, for tests/x11/hostile.sh (vsomm stays up, other windows unaffected).
 *
 *   hostile-x CASE [SECONDS]
 *
 *   props     absurd property sizes and types on mapped windows: a WM_NAME
 *             of the largest request the server takes (BIG-REQUESTS; 16 MiB at most),
 *             WM_NORMAL_HINTS/WM_HINTS/WM_CLASS/WM_TRANSIENT_FOR/
 *             _NET_WM_STATE/WM_PROTOCOLS/_NET_WM_WINDOW_TYPE of the wrong
 *             format, type and length (0, 1, huge), WM_CLASS without NULs
 *   utf8      _NET_WM_NAME and WM_NAME with invalid UTF-8: lone continuation
 *             bytes, overlong forms, surrogates, truncated sequences, 0xff,
 *             embedded NULs; the last one stays (tests read it on the host)
 *   loops     WM_TRANSIENT_FOR cycles: self, A↔B, a ring of 50, a window
 *             transient for a destroyed one and for the root
 *   mapflood  map/unmap (and create/map/destroy) in a tight loop for SECONDS
 *   nameflood WM_NAME and _NET_WM_NAME changed 10 000 times per second for
 *             SECONDS
 *   all       every case above, one after the other
 *
 * Prints "case NAME done" after each case (after a round trip: the server
 * has processed everything), then exits 0.  X errors the server returns are
 * expected (e.g. a property too long) and counted, not fatal.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xcb/xcb.h>

static xcb_connection_t *conn;
static xcb_screen_t *screen;
static unsigned x_errors;
static double seconds = 3;

static xcb_atom_t atom(const char *name)
{
	xcb_intern_atom_reply_t *r =
		xcb_intern_atom_reply(conn, xcb_intern_atom(conn, 0, (uint16_t)strlen(name), name), NULL);
	xcb_atom_t a = r ? r->atom : XCB_ATOM_NONE;
	free(r);
	return a;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A round trip, counting (and dropping) the errors and events queued meanwhile. */
static void sync_x(void)
{
	free(xcb_get_input_focus_reply(conn, xcb_get_input_focus(conn), NULL));
	xcb_generic_event_t *ev;
	while ((ev = xcb_poll_for_event(conn))) {
		if (ev->response_type == 0)
			x_errors++;
		free(ev);
	}
	if (xcb_connection_has_error(conn)) {
		fprintf(stderr, "hostile-x: the X connection broke\n");
		exit(1);
	}
}

static xcb_window_t window(int x, int y, int w, int h, bool map)
{
	xcb_window_t id = xcb_generate_id(conn);
	uint32_t values[] = {0x808080};
	xcb_create_window(conn, XCB_COPY_FROM_PARENT, id, screen->root, (int16_t)x, (int16_t)y,
			  (uint16_t)w, (uint16_t)h, 0, XCB_WINDOW_CLASS_INPUT_OUTPUT,
			  screen->root_visual, XCB_CW_BACK_PIXEL, values);
	if (map)
		xcb_map_window(conn, id);
	return id;
}

static void prop(xcb_window_t w, xcb_atom_t name, xcb_atom_t type, uint8_t format, uint32_t len,
		 const void *data)
{
	xcb_change_property(conn, XCB_PROP_MODE_REPLACE, w, name, type, format, len, data);
}

static void case_props(void)
{
	xcb_atom_t utf8 = atom("UTF8_STRING"), net_name = atom("_NET_WM_NAME"),
		   state = atom("_NET_WM_STATE"), protocols = atom("WM_PROTOCOLS"),
		   wtype = atom("_NET_WM_WINDOW_TYPE"), strut = atom("_NET_WM_STRUT_PARTIAL"),
		   icon = atom("_NET_WM_ICON"), motif = atom("_MOTIF_WM_HINTS");
	xcb_window_t w = window(10, 10, 100, 80, true);
	sync_x();
	/* The largest property one request can carry (BIG-REQUESTS: up to 16 MiB words). */
	uint32_t max_bytes = xcb_get_maximum_request_length(conn) * 4u;
	/* 16 MiB at most: absurd for a title, and Xwayland keeps several copies */
	uint32_t big = max_bytes > (16u << 20) ? (16u << 20) : max_bytes - 64;
	char *data = malloc(big);
	if (!data)
		exit(1);
	memset(data, 'A', big);
	printf("props: max request %u bytes, WM_NAME of %u bytes\n", max_bytes, big);
	prop(w, XCB_ATOM_WM_NAME, XCB_ATOM_STRING, 8, big, data);
	prop(w, net_name, utf8, 8, big, data);
	sync_x();
	/* formats and lengths the decoders must refuse, on every property a WM reads */
	const xcb_atom_t names[] = {XCB_ATOM_WM_NAME, net_name,  XCB_ATOM_WM_CLASS,
				    XCB_ATOM_WM_NORMAL_HINTS, XCB_ATOM_WM_HINTS, XCB_ATOM_WM_TRANSIENT_FOR,
				    state, protocols, wtype, strut, icon, motif};
	const uint32_t lens[] = {0, 1, 2, 3, 5, 17, 4097};
	memset(data, 0xff, 1 << 16);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
			prop(w, names[i], XCB_ATOM_STRING, 8, lens[l], data);
			prop(w, names[i], XCB_ATOM_CARDINAL, 32, lens[l], data);
			prop(w, names[i], XCB_ATOM_ATOM, 32, lens[l], data);
			prop(w, names[i], XCB_ATOM_WINDOW, 16, lens[l], data);
			prop(w, names[i], names[i], 32, lens[l], data);
		}
		sync_x();
	}
	/* the right types with absurd content */
	uint32_t hints[18];
	memset(hints, 0xff, sizeof(hints)); /* every flag, sizes of 4294967295 */
	prop(w, XCB_ATOM_WM_NORMAL_HINTS, XCB_ATOM_WM_SIZE_HINTS, 32, 18, hints);
	memset(hints, 0, sizeof(hints));
	hints[0] = 16 | 32; /* min 0x0 above max -5x-5 */
	hints[5] = 100000;
	hints[6] = 100000;
	hints[7] = (uint32_t)-5;
	hints[8] = (uint32_t)-5;
	prop(w, XCB_ATOM_WM_NORMAL_HINTS, XCB_ATOM_WM_SIZE_HINTS, 32, 18, hints);
	prop(w, XCB_ATOM_WM_NORMAL_HINTS, XCB_ATOM_WM_SIZE_HINTS, 32, 3, hints); /* truncated */
	prop(w, XCB_ATOM_WM_CLASS, XCB_ATOM_STRING, 8, 4096, data); /* no NUL at all */
	prop(w, XCB_ATOM_WM_CLASS, XCB_ATOM_STRING, 8, 1, "");
	xcb_atom_t many[4096];
	for (size_t i = 0; i < 4096; i++)
		many[i] = (xcb_atom_t)(i * 7919u); /* mostly no such atom */
	prop(w, state, XCB_ATOM_ATOM, 32, 4096, many);
	prop(w, protocols, XCB_ATOM_ATOM, 32, 4096, many);
	prop(w, wtype, XCB_ATOM_ATOM, 32, 4096, many);
	uint32_t bad_icon[] = {0xffffffffu, 0xffffffffu, 1, 2};
	prop(w, icon, XCB_ATOM_CARDINAL, 32, 4, bad_icon);
	/* a transient-for that is no window, and one in another client */
	uint32_t nowin = 0x7fffffffu;
	prop(w, XCB_ATOM_WM_TRANSIENT_FOR, XCB_ATOM_WINDOW, 32, 1, &nowin);
	xcb_unmap_window(conn, w);
	xcb_map_window(conn, w); /* read again on the next map */
	sync_x();
	/* the same on windows mapped after the properties */
	xcb_window_t w2 = window(20, 20, 100, 80, false);
	prop(w2, XCB_ATOM_WM_NAME, XCB_ATOM_STRING, 8, big, data);
	prop(w2, XCB_ATOM_WM_NORMAL_HINTS, XCB_ATOM_WM_SIZE_HINTS, 32, 1, hints);
	prop(w2, state, XCB_ATOM_ATOM, 32, 4096, many);
	xcb_map_window(conn, w2);
	sync_x();
	/* absurd geometry requests */
	uint32_t geo[] = {(uint32_t)-30000, (uint32_t)-30000, 32767, 32767};
	xcb_configure_window(conn, w2,
			     XCB_CONFIG_WINDOW_X | XCB_CONFIG_WINDOW_Y | XCB_CONFIG_WINDOW_WIDTH |
				     XCB_CONFIG_WINDOW_HEIGHT,
			     geo);
	sync_x();
	usleep(500 * 1000);
	xcb_destroy_window(conn, w);
	xcb_destroy_window(conn, w2);
	free(data);
	sync_x();
}

static void case_utf8(void)
{
	xcb_atom_t utf8 = atom("UTF8_STRING"), net_name = atom("_NET_WM_NAME");
	static const char *const bad[] = {
		"lone \x80 continuation",
		"overlong \xc0\xaf slash",
		"overlong \xe0\x80\xaf",
		"surrogate \xed\xa0\x80 half",
		"truncated \xe2\x82",
		"too big \xf4\x90\x80\x80",
		"byte \xff\xfe",
		"five \xf8\x88\x80\x80\x80",
	};
	xcb_window_t w = window(30, 30, 120, 90, true);
	sync_x();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		prop(w, net_name, utf8, 8, (uint32_t)strlen(bad[i]), bad[i]);
		prop(w, XCB_ATOM_WM_NAME, XCB_ATOM_STRING, 8, (uint32_t)strlen(bad[i]), bad[i]);
		sync_x();
		usleep(50 * 1000);
	}
	/* embedded NULs */
	static const char nul[] = "before\0after";
	prop(w, net_name, utf8, 8, sizeof(nul), nul);
	sync_x();
	usleep(50 * 1000);
	/* the one that stays: invalid bytes in the middle of a known name */
	static const char last[] = "hostile-utf8 \xff\xc0\xaf\xed\xa0\x80 end";
	prop(w, net_name, utf8, 8, (uint32_t)strlen(last), last);
	prop(w, XCB_ATOM_WM_NAME, XCB_ATOM_STRING, 8, (uint32_t)strlen(last), last);
	prop(w, XCB_ATOM_WM_CLASS, XCB_ATOM_STRING, 8, 24, "hostile\xff\xfe\0Hostile\xc0\xaf\0\0\0\0\0\0");
	sync_x();
	usleep(1000 * 1000);
	xcb_destroy_window(conn, w);
	sync_x();
}

static void case_loops(void)
{
	xcb_window_t a = window(40, 40, 80, 60, false), b = window(50, 50, 80, 60, false);
	prop(a, XCB_ATOM_WM_TRANSIENT_FOR, XCB_ATOM_WINDOW, 32, 1, &a); /* self */
	xcb_map_window(conn, a);
	sync_x();
	prop(a, XCB_ATOM_WM_TRANSIENT_FOR, XCB_ATOM_WINDOW, 32, 1, &b);
	prop(b, XCB_ATOM_WM_TRANSIENT_FOR, XCB_ATOM_WINDOW, 32, 1, &a);
	xcb_map_window(conn, b);
	sync_x();
	enum { RING = 50 };
	xcb_window_t ring[RING];
	for (int i = 0; i < RING; i++)
		ring[i] = window(60 + i, 60 + i, 40, 30, false);
	for (int i = 0; i < RING; i++)
		prop(ring[i], XCB_ATOM_WM_TRANSIENT_FOR, XCB_ATOM_WINDOW, 32, 1, &ring[(i + 1) % RING]);
	for (int i = 0; i < RING; i++)
		xcb_map_window(conn, ring[i]);
	sync_x();
	/* transient for a window that is destroyed, then for the root */
	xcb_window_t gone = window(0, 0, 10, 10, true), c = window(70, 70, 80, 60, false);
	prop(c, XCB_ATOM_WM_TRANSIENT_FOR, XCB_ATOM_WINDOW, 32, 1, &gone);
	xcb_map_window(conn, c);
	xcb_destroy_window(conn, gone);
	sync_x();
	prop(c, XCB_ATOM_WM_TRANSIENT_FOR, XCB_ATOM_WINDOW, 32, 1, &screen->root);
	/* the cycle's members change parents while mapped */
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < RING; i++)
			prop(ring[i], XCB_ATOM_WM_TRANSIENT_FOR, XCB_ATOM_WINDOW, 32, 1,
			     &ring[(i + round) % RING]);
		sync_x();
	}
	usleep(500 * 1000);
	for (int i = 0; i < RING; i++)
		xcb_destroy_window(conn, ring[i]);
	xcb_destroy_window(conn, a);
	xcb_destroy_window(conn, b);
	xcb_destroy_window(conn, c);
	sync_x();
}

static void case_mapflood(void)
{
	xcb_window_t w = window(80, 80, 64, 48, false);
	xcb_atom_t net_name = atom("_NET_WM_NAME"), utf8 = atom("UTF8_STRING");
	prop(w, net_name, utf8, 8, 8, "mapflood");
	unsigned cycles = 0;
	double end = now_s() + seconds;
	while (now_s() < end) {
		for (int i = 0; i < 50; i++) {
			xcb_map_window(conn, w);
			xcb_unmap_window(conn, w);
			/* a window that lives for one map */
			xcb_window_t t = window(90, 90, 32, 32, true);
			xcb_destroy_window(conn, t);
			cycles++;
		}
		sync_x();
	}
	printf("mapflood: %u map/unmap cycles\n", cycles);
	xcb_destroy_window(conn, w);
	sync_x();
}

static void case_nameflood(void)
{
	xcb_atom_t net_name = atom("_NET_WM_NAME"), utf8 = atom("UTF8_STRING");
	xcb_window_t w = window(100, 100, 100, 60, true);
	sync_x();
	unsigned sets = 0;
	double start = now_s();
	char title[64];
	while (now_s() - start < seconds) {
		/* 100 names per batch, batches paced to 10 000 per second */
		for (int i = 0; i < 100; i++, sets++) {
			int n = snprintf(title, sizeof(title), "nameflood %u", sets);
			prop(w, XCB_ATOM_WM_NAME, XCB_ATOM_STRING, 8, (uint32_t)n, title);
			prop(w, net_name, utf8, 8, (uint32_t)n, title);
		}
		xcb_flush(conn);
		double due = start + sets / 10000.0, t = now_s();
		if (due > t)
			usleep((useconds_t)((due - t) * 1e6));
		if (sets % 5000 == 0)
			sync_x();
	}
	sync_x();
	printf("nameflood: %u names in %.2f s\n", sets, now_s() - start);
	/* the last name stays a moment: the host must end on it */
	int n = snprintf(title, sizeof(title), "nameflood final");
	prop(w, XCB_ATOM_WM_NAME, XCB_ATOM_STRING, 8, (uint32_t)n, title);
	prop(w, net_name, utf8, 8, (uint32_t)n, title);
	sync_x();
	usleep(1000 * 1000);
	xcb_destroy_window(conn, w);
	sync_x();
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
	{"props", case_props},       {"utf8", case_utf8},         {"loops", case_loops},
	{"mapflood", case_mapflood}, {"nameflood", case_nameflood},
};

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: hostile-x props|utf8|loops|mapflood|nameflood|all [SECONDS]\n");
		return 2;
	}
	if (argc > 2)
		seconds = atof(argv[2]);
	int screen_num;
	conn = xcb_connect(NULL, &screen_num);
	if (xcb_connection_has_error(conn)) {
		fprintf(stderr, "hostile-x: cannot open the display\n");
		return 1;
	}
	xcb_screen_iterator_t it = xcb_setup_roots_iterator(xcb_get_setup(conn));
	for (int i = 0; i < screen_num; i++)
		xcb_screen_next(&it);
	screen = it.data;
	bool any = false;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(argv[1], "all") != 0 && strcmp(argv[1], cases[i].name) != 0)
			continue;
		any = true;
		cases[i].run();
		printf("case %s done (%u X errors so far)\n", cases[i].name, x_errors);
	}
	if (!any) {
		fprintf(stderr, "hostile-x: unknown case %s\n", argv[1]);
		return 2;
	}
	xcb_disconnect(conn);
	return 0;
}
