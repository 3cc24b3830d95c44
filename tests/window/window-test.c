/* SPDX-License-Identifier: MIT */
/*
 * window-test: proxy/window.h against a real Weston, in one process.
 *
 *   window-test roles       (a headless Weston: tests/lib/weston.sh)
 *   window-test roles-shadow  the same through the shm copy path, and maximizing
 *   window-test selection   (Weston with a seat: tests/input/seat.sh)
 *
 * The proxy relays to $WESTON_SOCKET over plain sockets; a managed client is
 * made with wl_client_create on a socketpair, and a fake "Xwayland" speaks
 * Wayland on the other end, from the same thread: spin() runs both loops.
 * What the host shows is read from Weston's screenshots ($SCREENSHOT, and
 * $FIND_COLOR: where the pixels of one colour are).  Each check prints
 * "ok: ..." or "FAIL: ..."; the exit status is the number of failures
 * (99: fds leaked).  Run in the ASan build, the end also checks leaks.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>
#include <wayland-server-core.h>

#include "protocols/xdg-shell-client-protocol.h"
#include "proxy/proxy.h"
#include "proxy/window.h"
#include "tests/lib/fds.h"
#include "util/log.h"

static int failures;

#define CHECK(what, cond)                                                                          \
	do {                                                                                       \
		if (cond) {                                                                        \
			printf("ok: %s\n", what);                                                  \
		} else {                                                                           \
			printf("FAIL: %s (%s:%d)\n", what, __FILE__, __LINE__);                    \
			failures++;                                                                \
		}                                                                                  \
		fflush(stdout);                                                                    \
	} while (0)

/* ---- the proxy side ---- */

static int connect_host(void *data, struct wl_client *client, void **conn)
{
	const char *name = getenv("WESTON_SOCKET");
	const char *dir = getenv("XDG_RUNTIME_DIR");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	*conn = NULL;
	if (!name || !dir)
		return -1;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", dir, name);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Shadows in plain memfds: the shm copy path, as vsomm runs it. */
static int alloc_shadow(void *data, void *conn, uint32_t width, uint32_t height,
			uint32_t drm_format, struct proxy_shadow *out)
{
	uint64_t size = (uint64_t)width * height * 4;
	int fd = memfd_create("window-test-shadow", MFD_CLOEXEC);
	void *map;

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	*out = (struct proxy_shadow){
		.fd = fd, .map = map, .size = size, .stride = width * 4, .offset = 0};
	return 0;
}

static void free_shadow(void *data, void *conn, struct proxy_shadow *shadow)
{
	munmap(shadow->map, shadow->size);
	close(shadow->fd);
}

static bool use_shadows;

/* ---- the fake Xwayland ---- */

struct fake {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct wl_seat *seat;
	struct wl_pointer *pointer;
	struct wl_keyboard *keyboard;
	bool keyboard_focus;
	bool pointer_in;
	uint32_t pointer_serial;
	uint32_t wm_base_name; /* the proxy's xdg_wm_base global, 0: none */
};

struct test {
	struct wl_display *server;
	struct wl_event_loop *loop;
	struct proxy *proxy;
	struct wl_client *client;
	struct fake fake;
};

static void spin_once(struct test *t, int timeout_ms)
{
	struct pollfd fds[2] = {
		{.fd = wl_event_loop_get_fd(t->loop), .events = POLLIN},
		{.fd = t->fake.display ? wl_display_get_fd(t->fake.display) : -1,
		 .events = POLLIN},
	};

	if (t->fake.display)
		wl_display_flush(t->fake.display);
	wl_display_flush_clients(t->server);
	poll(fds, 2, timeout_ms);
	wl_event_loop_dispatch(t->loop, 0);
	wl_display_flush_clients(t->server);
	/* A display in error keeps its undispatched events: prepare_read would
	 * never succeed again. */
	if (t->fake.display && !wl_display_get_error(t->fake.display)) {
		while (wl_display_prepare_read(t->fake.display) != 0)
			wl_display_dispatch_pending(t->fake.display);
		struct pollfd p = {.fd = wl_display_get_fd(t->fake.display), .events = POLLIN};
		if (poll(&p, 1, 0) > 0)
			wl_display_read_events(t->fake.display);
		else
			wl_display_cancel_read(t->fake.display);
		wl_display_dispatch_pending(t->fake.display);
	}
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run both sides until cond holds, at most ms. */
#define SPIN_UNTIL(t, cond, ms)                    \
	do {                                       \
		long end_ = now_ms() + (ms);       \
		while (!(cond) && now_ms() < end_) \
			spin_once((t), 5);         \
	} while (0)

/* Run both sides until *flag (NULL: for ms), at most ms. */
static bool spin(struct test *t, const bool *flag, int ms)
{
	long end = now_ms() + ms;

	while (!(flag && *flag) && now_ms() < end)
		spin_once(t, 5);
	return flag ? *flag : true;
}

static void handle_done(void *data, struct wl_callback *callback, uint32_t time)
{
	*(bool *)data = true;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener done_listener = {.done = handle_done};

/* The fake's round trip: the host has seen everything sent before. */
static bool roundtrip(struct test *t)
{
	bool done = false;
	struct wl_callback *cb = wl_display_sync(t->fake.display);

	wl_callback_add_listener(cb, &done_listener, &done);
	return spin(t, &done, 5000);
}

static void handle_global(void *data, struct wl_registry *registry, uint32_t name,
			  const char *interface, uint32_t version)
{
	struct fake *f = data;

	if (strcmp(interface, "wl_compositor") == 0)
		f->compositor = wl_registry_bind(registry, name, &wl_compositor_interface,
						 version < 4 ? version : 4);
	else if (strcmp(interface, "wl_shm") == 0)
		f->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	else if (strcmp(interface, "wl_seat") == 0 && !f->seat)
		f->seat = wl_registry_bind(registry, name, &wl_seat_interface, 1);
	else if (strcmp(interface, "xdg_wm_base") == 0)
		f->wm_base_name = name;
}

static void handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = handle_global,
	.global_remove = handle_global_remove,
};

/* Pointer and keyboard: like Xwayland, the fake has them (events are ignored). */
static void p_enter(void *d, struct wl_pointer *p, uint32_t s, struct wl_surface *su, wl_fixed_t x,
		    wl_fixed_t y)
{
	((struct fake *)d)->pointer_serial = s;
	((struct fake *)d)->pointer_in = true;
}
static void p_leave(void *d, struct wl_pointer *p, uint32_t s, struct wl_surface *su)
{
}
static void p_motion(void *d, struct wl_pointer *p, uint32_t t, wl_fixed_t x, wl_fixed_t y)
{
}
static void p_button(void *d, struct wl_pointer *p, uint32_t s, uint32_t t, uint32_t b, uint32_t st)
{
}
static void p_axis(void *d, struct wl_pointer *p, uint32_t t, uint32_t a, wl_fixed_t v)
{
}
static const struct wl_pointer_listener pointer_listener = {p_enter, p_leave, p_motion, p_button,
							    p_axis};

static void k_keymap(void *d, struct wl_keyboard *k, uint32_t format, int32_t fd, uint32_t size)
{
	close(fd);
}
static void k_enter(void *d, struct wl_keyboard *k, uint32_t s, struct wl_surface *su,
		    struct wl_array *keys)
{
	((struct fake *)d)->keyboard_focus = true;
}
static void k_leave(void *d, struct wl_keyboard *k, uint32_t s, struct wl_surface *su)
{
	((struct fake *)d)->keyboard_focus = false;
}
static void k_key(void *d, struct wl_keyboard *k, uint32_t s, uint32_t t, uint32_t key, uint32_t st)
{
}
static void k_modifiers(void *d, struct wl_keyboard *k, uint32_t s, uint32_t a, uint32_t b,
			uint32_t c, uint32_t g)
{
}
static const struct wl_keyboard_listener keyboard_listener = {k_keymap, k_enter, k_leave, k_key,
							      k_modifiers};

struct buffer {
	struct wl_buffer *buffer;
	bool released;
};

static void handle_release(void *data, struct wl_buffer *buffer)
{
	((struct buffer *)data)->released = true;
}

static const struct wl_buffer_listener buffer_listener = {.release = handle_release};

static void buffer_make(struct fake *f, struct buffer *b, int width, int height, uint32_t color)
{
	size_t size = (size_t)width * (size_t)height * 4;
	int fd = memfd_create("window-test", MFD_CLOEXEC);
	uint32_t *pixels;
	struct wl_shm_pool *pool;

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		abort();
	pixels = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (pixels == MAP_FAILED)
		abort();
	for (size_t i = 0; i < size / 4; i++)
		pixels[i] = color;
	munmap(pixels, size);
	pool = wl_shm_create_pool(f->shm, fd, (int32_t)size);
	b->buffer = wl_shm_pool_create_buffer(pool, 0, width, height, width * 4,
					      WL_SHM_FORMAT_XRGB8888);
	b->released = false;
	wl_buffer_add_listener(b->buffer, &buffer_listener, b);
	wl_shm_pool_destroy(pool);
	close(fd);
}

/* attach + damage + frame + commit, as Xwayland posts a window's damage. */
static void show(struct wl_surface *surface, struct buffer *b, bool *frame_done)
{
	struct wl_callback *cb = wl_surface_frame(surface);

	*frame_done = false;
	wl_callback_add_listener(cb, &done_listener, frame_done);
	wl_surface_attach(surface, b->buffer, 0, 0);
	wl_surface_damage(surface, 0, 0, INT32_MAX, INT32_MAX);
	wl_surface_commit(surface);
}

/* ---- screenshots ---- */

struct box {
	int x, y, w, h; /* w == 0: the colour is nowhere */
};

static bool find_color(const char *name, uint32_t color, struct box *box)
{
	const char *shooter = getenv("SCREENSHOT"), *finder = getenv("FIND_COLOR");
	const char *dir = getenv("XDG_RUNTIME_DIR"), *socket = getenv("WESTON_SOCKET");
	char cmd[2048];
	FILE *out;
	int n;

	snprintf(cmd, sizeof(cmd),
		 "'%s' --display '%s' -o '%s/%s.png' && python3 '%s' '%s/%s.png' %06x", shooter,
		 socket, dir, name, finder, dir, name, color & 0xffffff);
	out = popen(cmd, "r");
	if (!out)
		return false;
	n = fscanf(out, "%d %d %d %d", &box->x, &box->y, &box->w, &box->h);
	return pclose(out) == 0 && n == 4;
}

/* Shots until pred holds for where color is (5 s at most). */
static bool shot_until(struct test *t, const char *name, uint32_t color,
		       bool (*pred)(const struct box *, const struct box *),
		       const struct box *want, struct box *got)
{
	long end = now_ms() + 5000;

	do {
		spin(t, NULL, 50);
		if (find_color(name, color, got) && pred(got, want))
			return true;
	} while (now_ms() < end);
	printf("# %s: colour %06x at %d,%d %dx%d\n", name, color & 0xffffff, got->x, got->y,
	       got->w, got->h);
	return false;
}

static bool absent(const struct box *got, const struct box *want)
{
	return got->w == 0;
}

static bool sized(const struct box *got, const struct box *want)
{
	return got->w == want->w && got->h == want->h;
}

static bool placed(const struct box *got, const struct box *want)
{
	return got->x == want->x && got->y == want->y && sized(got, want);
}

/* ---- window listener ---- */

struct win {
	int configures;
	bool configured;
	int32_t width, height;
	uint32_t states;
	bool gone;
};

static void w_configure(void *data, int32_t width, int32_t height, uint32_t states)
{
	struct win *w = data;

	w->configures++;
	w->configured = true;
	w->width = width;
	w->height = height;
	w->states = states;
}

static void w_close(void *data)
{
}

static void w_surface_gone(void *data)
{
	((struct win *)data)->gone = true;
}

static const struct proxy_window_listener window_listener = {
	.configure = w_configure,
	.close = w_close,
	.surface_gone = w_surface_gone,
};

#define COLOR_A 0xff3366ccu
#define COLOR_A2 0xff3377ddu
#define COLOR_B 0xffcc3333u
#define COLOR_C 0xff33cc66u
#define COLOR_D 0xffdd22ddu
#define COLOR_E 0xff22dddd
#define COLOR_F 0xffdddd22

static bool setup(struct test *t, const struct proxy_options *options)
{
	struct proxy_backend backend = {.connect_host = connect_host};
	if (use_shadows) {
		backend.alloc_shadow = alloc_shadow;
		backend.free_shadow = free_shadow;
	}
	int sv[2];

	t->server = wl_display_create();
	t->loop = wl_display_get_event_loop(t->server);
	t->proxy = proxy_create(t->server, options, &backend, NULL);
	if (!t->proxy || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return false;
	t->client = wl_client_create(t->server, sv[0]);
	CHECK("proxy_manage_client on a relayed client", proxy_manage_client(t->proxy, t->client));
	t->fake.display = wl_display_connect_to_fd(sv[1]);
	if (!t->client || !t->fake.display)
		return false;
	struct wl_registry *registry = wl_display_get_registry(t->fake.display);
	wl_registry_add_listener(registry, &registry_listener, &t->fake);
	roundtrip(t);
	roundtrip(t);
	wl_registry_destroy(registry);
	return t->fake.compositor && t->fake.shm;
}

/* The client goes: every window's surface_gone, then nothing left. */
static void teardown(struct test *t, struct win *w)
{
	struct fake *f = &t->fake;

	/* libwayland-client frees no proxy at disconnect: the fake's own go first. */
	if (f->keyboard)
		wl_keyboard_destroy(f->keyboard);
	if (f->pointer)
		wl_pointer_destroy(f->pointer);
	if (f->seat)
		wl_seat_destroy(f->seat);
	wl_shm_destroy(f->shm);
	wl_compositor_destroy(f->compositor);
	wl_display_disconnect(f->display);
	t->fake.display = NULL;
	spin(t, &w->gone, 3000);
	CHECK("client disconnect: surface_gone", w->gone);
	proxy_destroy(t->proxy);
	wl_display_destroy(t->server);
}

static int test_roles(void)
{
	struct proxy_options options = {.title_prefix = "vm: ", .app_id_prefix = "vm."};
	struct test t = {0};
	struct win w1 = {0}, wc = {0}, w2 = {0};
	struct buffer a, a2, b, c;
	struct box got, top, want;
	bool frame1, frame2, frame3, frame4;
	int fds_before = count_fds();

	/* A client connected before the proxy started is not relayed. */
	{
		int sv[2];
		struct wl_display *d = wl_display_create();
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
		struct wl_client *early = wl_client_create(d, sv[0]);
		struct proxy_backend backend = {.connect_host = connect_host};
		struct proxy *p = proxy_create(d, &options, &backend, NULL);
		CHECK("proxy_manage_client on a client the proxy does not relay",
		      !proxy_manage_client(p, early));
		proxy_destroy(p);
		wl_client_destroy(early);
		wl_display_destroy(d);
		close(sv[1]);
	}

	if (!setup(&t, &options)) {
		printf("FAIL: setup\n");
		return 1;
	}
	struct fake *f = &t.fake;
	struct wl_surface *s1 = wl_compositor_create_surface(f->compositor);
	struct wl_surface *s2 = wl_compositor_create_surface(f->compositor);
	uint32_t id1 = wl_proxy_get_id((struct wl_proxy *)s1);
	uint32_t id2 = wl_proxy_get_id((struct wl_proxy *)s2);

	/* Held: a buffer committed without a role neither errors nor shows. */
	buffer_make(f, &a, 200, 150, COLOR_A);
	buffer_make(f, &a2, 200, 150, COLOR_A2);
	show(s1, &a, &frame1);
	roundtrip(&t);
	show(s1, &a2, &frame1);
	CHECK("held commits: no error", roundtrip(&t) && !wl_display_get_error(f->display));
	CHECK("held commit replaced: the buffer the host never saw is released",
	      a.released && !a2.released);
	spin(&t, NULL, 300);
	CHECK("held commit: frame callback pending", !frame1);
	CHECK("held surface not shown", shot_until(&t, "held", COLOR_A2, absent, NULL, &got));

	/* Toplevel. */
	CHECK("toplevel of no surface: NULL",
	      !proxy_window_toplevel(t.proxy, t.client, 9999, &window_listener, &w1));
	struct proxy_window *win1 =
		proxy_window_toplevel(t.proxy, t.client, id1, &window_listener, &w1);
	CHECK("toplevel role given", win1 != NULL);
	CHECK("a second role: NULL",
	      !proxy_window_toplevel(t.proxy, t.client, id1, &window_listener, &w1));
	proxy_window_set_title(win1, "xterm \xe2\x98\x83 \xff!");
	proxy_window_set_app_id(win1, "XTerm");
	CHECK("configure", spin(&t, &w1.configured, 3000));
	CHECK("configured once, size chosen by the window", w1.configures == 1);
	CHECK("held frame callback fires once shown", spin(&t, &frame1, 3000));
	want = (struct box){0, 0, 200, 150};
	CHECK("toplevel shows the held buffer", shot_until(&t, "toplevel", COLOR_A2, sized, &want,
							  &top));
	CHECK("proxy_window_move without a button press: false", !proxy_window_move(win1));
	CHECK("toplevel: no error", roundtrip(&t) && !wl_display_get_error(f->display));

	/* Child at (30, 20), its buffer committed before its role. */
	buffer_make(f, &b, 50, 40, COLOR_B);
	show(s2, &b, &frame2);
	roundtrip(&t);
	struct proxy_window *child =
		proxy_window_child(t.proxy, t.client, id2, win1, 30, 20, &window_listener, &wc);
	CHECK("child role given", child != NULL);
	CHECK("child: frame callback fires", spin(&t, &frame2, 3000));
	want = (struct box){top.x + 30, top.y + 20, 50, 40};
	CHECK("child shows at (30, 20) of its parent",
	      shot_until(&t, "child", COLOR_B, placed, &want, &got));
	proxy_window_set_position(child, 120, 90);
	want = (struct box){top.x + 120, top.y + 90, 50, 40};
	CHECK("child moved to (120, 90)", shot_until(&t, "child-moved", COLOR_B, placed, &want,
						     &got));

	/* The guest's commits are forwarded once the role is there. */
	buffer_make(f, &c, 200, 150, COLOR_C);
	show(s1, &c, &frame3);
	CHECK("guest commit after the role: frame callback", spin(&t, &frame3, 3000));
	want = (struct box){0, 0, 200, 150};
	CHECK("guest commit after the role shows", shot_until(&t, "commit", COLOR_C, sized, &want,
							      &got));

	/* The child's surface goes. */
	wl_surface_destroy(s2);
	CHECK("child surface destroyed: no error",
	      roundtrip(&t) && !wl_display_get_error(f->display));
	CHECK("child surface destroyed: surface_gone", wc.gone && !proxy_window_alive(child));
	CHECK("child gone from the screen", shot_until(&t, "child-gone", COLOR_B, absent, NULL,
						       &got));
	proxy_window_destroy(child);

	/* The role taken away: held again, hidden; a new role shows it again. */
	proxy_window_destroy(win1);
	CHECK("role removed: no error", roundtrip(&t) && !wl_display_get_error(f->display));
	CHECK("role removed: hidden", shot_until(&t, "unrole", COLOR_C, absent, NULL, &got));
	show(s1, &c, &frame4); /* held again */
	roundtrip(&t);
	struct proxy_window *win2 =
		proxy_window_toplevel(t.proxy, t.client, id1, &window_listener, &w2);
	CHECK("toplevel role again", win2 && spin(&t, &w2.configured, 3000));
	want = (struct box){0, 0, 200, 150};
	CHECK("second role shows the guest's buffer",
	      shot_until(&t, "again", COLOR_C, sized, &want, &got));
	CHECK("second role: no error", roundtrip(&t) && !wl_display_get_error(f->display));
	CHECK("proxy_window_child on a toplevel's surface: NULL",
	      !proxy_window_child(t.proxy, t.client, id1, win2, 0, 0, NULL, NULL));

	if (use_shadows) {
		/* Sizes are known: maximizing waits for a buffer that fits. */
		struct buffer e, f2, old;
		bool frame5, frame6;
		int configures = w2.configures;

		proxy_window_set_maximized(win2, true);
		CHECK("maximize: configure",
		      spin(&t, NULL, 0) && roundtrip(&t) && spin(&t, NULL, 200) &&
			      w2.configures > configures &&
			      (w2.states & PROXY_WINDOW_MAXIMIZED) && w2.width > 200);
		printf("# maximized to %dx%d\n", w2.width, w2.height);
		buffer_make(f, &old, 200, 150, COLOR_C);
		show(s1, &old, &frame5); /* the X window is not resized yet */
		CHECK("maximize: a commit of the old size meanwhile, no error",
		      roundtrip(&t) && !wl_display_get_error(f->display));
		buffer_make(f, &e, w2.width, w2.height, COLOR_E);
		show(s1, &e, &frame5);
		CHECK("maximize: the resized buffer, no error",
		      roundtrip(&t) && !wl_display_get_error(f->display));
		want = (struct box){0, 0, w2.width, w2.height};
		CHECK("maximized window shows", shot_until(&t, "maximized", COLOR_E, placed, &want,
							   &got));

		/* A window maximized from its first configure on: its held
		 * buffer does not fit, it waits for one that does. */
		struct win w3 = {0};
		struct wl_surface *s3 = wl_compositor_create_surface(f->compositor);
		struct buffer small;
		buffer_make(f, &small, 200, 150, COLOR_F);
		show(s3, &small, &frame6);
		roundtrip(&t);
		struct proxy_window *win3 = proxy_window_toplevel(
			t.proxy, t.client, wl_proxy_get_id((struct wl_proxy *)s3), &window_listener,
			&w3);
		proxy_window_set_maximized(win3, true);
		CHECK("maximized first configure", win3 && spin(&t, &w3.configured, 3000) &&
							   (w3.states & PROXY_WINDOW_MAXIMIZED));
		show(s3, &small, &frame6);
		CHECK("maximized first configure: a small commit is held, no error",
		      roundtrip(&t) && !wl_display_get_error(f->display) &&
			      shot_until(&t, "max-held", COLOR_F, absent, NULL, &got));
		buffer_make(f, &f2, w3.width, w3.height, COLOR_F);
		show(s3, &f2, &frame6);
		want = (struct box){0, 0, w3.width, w3.height};
		CHECK("maximized first configure: the fitting buffer shows",
		      shot_until(&t, "max-first", COLOR_F, placed, &want, &got) &&
			      !wl_display_get_error(f->display));
		proxy_window_destroy(win3);
		wl_surface_destroy(s3);
		wl_buffer_destroy(small.buffer);
		wl_buffer_destroy(f2.buffer);
		wl_buffer_destroy(e.buffer);
		wl_buffer_destroy(old.buffer);
		CHECK("maximize: no error", roundtrip(&t) && !wl_display_get_error(f->display));
	}

	/* Not while the guest has half-sent state: a configure of states
	 * alone while an attach waits for its commit leaves the commit to the
	 * guest (Weston 10 sends one for fullscreen on top of maximized, not
	 * back: a window of its own). */
	{
		struct win w4 = {0};
		struct wl_surface *s4 = wl_compositor_create_surface(f->compositor);
		struct buffer g, h;
		bool frame9;

		buffer_make(f, &g, 1024, 640, COLOR_A);
		show(s4, &g, &frame9);
		roundtrip(&t);
		struct proxy_window *win4 = proxy_window_toplevel(
			t.proxy, t.client, wl_proxy_get_id((struct wl_proxy *)s4), &window_listener,
			&w4);
		proxy_window_set_maximized(win4, true);
		SPIN_UNTIL(&t, w4.states & PROXY_WINDOW_MAXIMIZED, 3000);
		int32_t width = w4.width, height = w4.height;
		printf("# maximized at %dx%d\n", width, height);
		want = (struct box){0, 0, width, height};
		CHECK("half-sent: a maximized window",
		      win4 && width == 1024 && height == 640 &&
			      shot_until(&t, "half-sent-max", COLOR_A, placed, &want, &got));
		buffer_make(f, &h, width, height, COLOR_B);
		wl_surface_attach(s4, h.buffer, 0, 0);
		wl_surface_damage(s4, 0, 0, INT32_MAX, INT32_MAX);
		roundtrip(&t);
		proxy_window_set_fullscreen(win4, true);
		SPIN_UNTIL(&t, w4.states & PROXY_WINDOW_FULLSCREEN, 3000);
		CHECK("half-sent: a fullscreen configure of the same size",
		      (w4.states & PROXY_WINDOW_FULLSCREEN) && w4.width == width &&
			      w4.height == height);
		CHECK("half-sent: the guest's attach waits for the guest's commit",
		      spin(&t, NULL, 300) &&
			      shot_until(&t, "half-sent", COLOR_A, placed, &want, &got));
		wl_surface_commit(s4);
		CHECK("half-sent: ... and shows with it",
		      shot_until(&t, "half-sent-commit", COLOR_B, placed, &want, &got));
		CHECK("half-sent: no error", roundtrip(&t) && !wl_display_get_error(f->display));
		proxy_window_destroy(win4);
		wl_surface_destroy(s4);
		wl_buffer_destroy(g.buffer);
		wl_buffer_destroy(h.buffer);
		roundtrip(&t);
	}

	/* A configure of states alone (here: fullscreen on top of maximized,
	 * the size stays): the X window has nothing to redraw, so vsomm
	 * commits the surface for the host to apply it.  The commit is seen by
	 * a frame request the fake sent without committing. */
	{
		struct buffer full;
		bool frame7, frame8 = false;
		if (!(w2.states & PROXY_WINDOW_MAXIMIZED)) {
			proxy_window_set_maximized(win2, true);
			SPIN_UNTIL(&t, w2.states & PROXY_WINDOW_MAXIMIZED, 3000);
		}
		CHECK("maximized: configure", (w2.states & PROXY_WINDOW_MAXIMIZED) && w2.width > 0);
		int32_t width = w2.width, height = w2.height;
		buffer_make(f, &full, width, height, COLOR_E);
		show(s1, &full, &frame7);
		CHECK("maximized: the resized buffer, frame callback", spin(&t, &frame7, 3000));
		struct wl_callback *cb = wl_surface_frame(s1);
		wl_callback_add_listener(cb, &done_listener, &frame8);
		roundtrip(&t);
		proxy_window_set_fullscreen(win2, true);
		SPIN_UNTIL(&t, w2.states & PROXY_WINDOW_FULLSCREEN, 3000);
		printf("# fullscreen at %dx%d states %#x\n", w2.width, w2.height, w2.states);
		CHECK("states alone: a fullscreen configure of the same size",
		      (w2.states & PROXY_WINDOW_FULLSCREEN) && w2.width == width &&
			      w2.height == height);
		CHECK("states alone: vsomm commits the surface (the pending frame request fires)",
		      spin(&t, &frame8, 2000));

		CHECK("states alone: no error", roundtrip(&t) && !wl_display_get_error(f->display));
		wl_buffer_destroy(full.buffer);
	}

	wl_buffer_destroy(a.buffer);
	wl_buffer_destroy(a2.buffer);
	wl_buffer_destroy(b.buffer);
	wl_buffer_destroy(c.buffer);
	wl_proxy_destroy((struct wl_proxy *)s1); /* here only: no request, s1 lives on */
	teardown(&t, &w2);
	CHECK("inert window after the client's end", !proxy_window_alive(win2));
	proxy_window_set_title(win2, "nothing"); /* no-op on an inert window */
	proxy_window_destroy(win2);
	int fds_after = count_fds();
	CHECK("no fd leaked", fds_after == fds_before);
	return failures;
}

/* ---- the host ends the managed client ---- */

/*
 * The host posts a protocol error on the managed client's connection while
 * its surfaces have roles of vsomm's: the client is ended with the error,
 * every window becomes inert, and nothing of the client is touched after it
 * is freed (idles, timers: run in the ASan build).  Two ways: `guest` the
 * client's own bad request (xdg_wm_base.get_xdg_surface on a surface vsomm
 * gave a toplevel role: the host's role error, on the client's object), and
 * `own` one on vsomm's own objects (an owner's window geometry that does not
 * match a maximized configure: Weston's error on vsomm's xdg_surface, which
 * has no guest object).
 */
static int test_host_error(bool own)
{
	struct proxy_options options = {0};
	struct test t = {0};
	struct win w = {0}, wc = {0};
	struct buffer a, b;
	bool frame1, frame2;
	int fds_before = count_fds();

	if (!setup(&t, &options) || !t.fake.wm_base_name) {
		printf("FAIL: setup (the proxy's xdg_wm_base is needed)\n");
		return 1;
	}
	struct fake *f = &t.fake;
	struct wl_surface *s1 = wl_compositor_create_surface(f->compositor);
	struct wl_surface *s2 = wl_compositor_create_surface(f->compositor);
	buffer_make(f, &a, 200, 150, COLOR_A);
	buffer_make(f, &b, 50, 40, COLOR_B);
	show(s1, &a, &frame1);
	show(s2, &b, &frame2);
	roundtrip(&t);
	struct proxy_window *win = proxy_window_toplevel(
		t.proxy, t.client, wl_proxy_get_id((struct wl_proxy *)s1), &window_listener, &w);
	CHECK("toplevel shown", win && spin(&t, &w.configured, 3000) && spin(&t, &frame1, 3000));
	struct proxy_window *child = proxy_window_child(t.proxy, t.client,
							wl_proxy_get_id((struct wl_proxy *)s2), win,
							10, 10, &window_listener, &wc);
	CHECK("child shown", child && spin(&t, &frame2, 3000));

	struct wl_registry *registry = wl_display_get_registry(f->display);
	struct xdg_wm_base *wm_base = NULL;
	struct xdg_surface *bad = NULL;
	if (own) {
		/* maximized: the geometry must be the configured size */
		proxy_window_set_geometry(win, 0, 0, 10, 10);
		proxy_window_set_maximized(win, true);
		spin(&t, NULL, 300);
		/* no frame request: its callback would never come */
		wl_surface_attach(s1, a.buffer, 0, 0);
		wl_surface_damage(s1, 0, 0, INT32_MAX, INT32_MAX);
		wl_surface_commit(s1);
	} else {
		wm_base = wl_registry_bind(registry, f->wm_base_name, &xdg_wm_base_interface, 1);
		bad = xdg_wm_base_get_xdg_surface(wm_base, s1);
	}
	/* Both sides run while the host's error comes back and the client is
	 * ended, and on for a while: the idles of the ended client's
	 * connection would run now. */
	CHECK("host error: the windows' surfaces are gone",
	      spin(&t, &w.gone, 5000) && spin(&t, &wc.gone, 1000));
	spin(&t, NULL, 300);
	int error = wl_display_get_error(f->display);
	const struct wl_interface *interface = NULL;
	uint32_t code = wl_display_get_protocol_error(f->display, &interface, NULL);
	printf("# the client's error: %s, %s %u\n", strerror(error),
	       interface ? interface->name : "(none)", code);
	CHECK("host error: the client is ended with a protocol error",
	      error == EPROTO && interface &&
		      strcmp(interface->name, own ? "wl_display" : "xdg_wm_base") == 0);
	CHECK("host error: the windows are inert",
	      !proxy_window_alive(win) && !proxy_window_alive(child));
	proxy_window_set_title(win, "nothing"); /* no-ops on inert windows */
	proxy_window_set_position(child, 1, 1);
	proxy_window_destroy(child);
	proxy_window_destroy(win);
	spin(&t, NULL, 100);

	if (bad)
		xdg_surface_destroy(bad);
	if (wm_base)
		xdg_wm_base_destroy(wm_base);
	wl_registry_destroy(registry);
	wl_buffer_destroy(a.buffer);
	wl_buffer_destroy(b.buffer);
	wl_surface_destroy(s1);
	wl_surface_destroy(s2);
	wl_shm_destroy(f->shm);
	wl_compositor_destroy(f->compositor);
	wl_display_disconnect(f->display);
	t.fake.display = NULL;
	proxy_destroy(t.proxy);
	wl_display_destroy(t.server);
	CHECK("no fd leaked", count_fds() == fds_before);
	return failures;
}

/* ---- selection ---- */

struct sel {
	int offers;
	int own; /* offers of exactly the types vsomm's own source has */
	bool offered;
	char mime_types[512];
	int sends;
};

static void s_offer(void *data, enum proxy_selection_kind kind, const char *const *types,
		    size_t count)
{
	struct sel *s = data;

	s->offers++;
	s->offered = true;
	s->mime_types[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		strncat(s->mime_types, types[i], sizeof(s->mime_types) - strlen(s->mime_types) - 2);
		strcat(s->mime_types, " ");
	}
	if (strcmp(s->mime_types, "text/plain;charset=utf-8 text/plain UTF8_STRING ") == 0)
		s->own++;
}

static const char x_text[] = "the X selection";

static void s_send(void *data, enum proxy_selection_kind kind, const char *mime_type, int fd)
{
	struct sel *s = data;

	s->sends++;
	/* A pipe takes this much at once. */
	if (write(fd, x_text, strlen(x_text)) != (ssize_t)strlen(x_text))
		printf("# short write to the paste pipe\n");
	close(fd);
}

static const struct proxy_selection_listener selection_listener = {
	.offer = s_offer,
	.send = s_send,
};

/* Run argv with WAYLAND_DISPLAY = Weston; its stdout into out, while spinning. */
static int run_spinning(struct test *t, char *const argv[], char *out, size_t size)
{
	int pipefd[2], status = -1;
	size_t len = 0;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		setenv("WAYLAND_DISPLAY", getenv("WESTON_SOCKET"), 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	long end = now_ms() + 10000;
	while (now_ms() < end) {
		spin_once(t, 5);
		ssize_t n = read(pipefd[0], out + len, size - 1 - len);
		if (n > 0)
			len += (size_t)n;
		else if (n == 0)
			break;
	}
	out[len] = '\0';
	close(pipefd[0]);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	return status;
}

static void click(struct test *t, int x, int y)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "xdotool mousemove --sync %d %d click 1", x, y);
	if (system(cmd) != 0)
		printf("# xdotool failed\n");
	spin(t, NULL, 200);
}

static int test_selection(void)
{
	struct proxy_options options = {0};
	struct test t = {0};
	struct win w = {0};
	struct sel s = {0};
	struct buffer a;
	struct box top, want;
	bool frame;
	char out[256];
	int fds_before = count_fds();

	if (!setup(&t, &options) || !t.fake.seat) {
		printf("FAIL: setup (a seat is needed)\n");
		return 1;
	}
	struct fake *f = &t.fake;
	f->pointer = wl_seat_get_pointer(f->seat);
	wl_pointer_add_listener(f->pointer, &pointer_listener, f);
	f->keyboard = wl_seat_get_keyboard(f->seat);
	wl_keyboard_add_listener(f->keyboard, &keyboard_listener, f);
	struct wl_surface *s1 = wl_compositor_create_surface(f->compositor);
	buffer_make(f, &a, 200, 150, COLOR_A);
	show(s1, &a, &frame);
	roundtrip(&t);
	struct proxy_window *win = proxy_window_toplevel(
		t.proxy, t.client, wl_proxy_get_id((struct wl_proxy *)s1), &window_listener, &w);
	CHECK("toplevel", win && spin(&t, &frame, 3000));
	want = (struct box){0, 0, 200, 150};
	CHECK("toplevel shown", shot_until(&t, "sel-top", COLOR_A, sized, &want, &top));
	CHECK("proxy_selection_listen", proxy_selection_listen(t.proxy, t.client,
							      &selection_listener, &s));
	printf("# host primary selection: %s\n",
	       proxy_selection_has_primary(t.proxy, t.client) ? "yes" : "no");
	roundtrip(&t);

	/* Focus on the window: the X side may own the selection now. */
	click(&t, top.x + 100, top.y + 75);
	CHECK("keyboard focus on the managed surface", spin(&t, &f->keyboard_focus, 3000));
	/* A cursor: a role the client gives itself, never held.  Committed
	 * before its set_cursor, as held surfaces are. */
	CHECK("pointer entered the managed surface", spin(&t, &f->pointer_in, 3000));
	struct wl_surface *cursor = wl_compositor_create_surface(f->compositor);
	struct buffer d;
	bool cursor_frame;
	buffer_make(f, &d, 16, 16, COLOR_D);
	show(cursor, &d, &cursor_frame);
	roundtrip(&t);
	wl_pointer_set_cursor(f->pointer, f->pointer_serial, cursor, 0, 0);
	struct box cursor_box;
	want = (struct box){top.x + 100, top.y + 75, 16, 16};
	CHECK("the client's own cursor shows at the pointer",
	      shot_until(&t, "cursor", COLOR_D, placed, &want, &cursor_box));

	const char *types[] = {"text/plain;charset=utf-8", "text/plain", "UTF8_STRING"};
	CHECK("proxy_selection_set", proxy_selection_set(t.proxy, t.client,
							 PROXY_SELECTION_CLIPBOARD, types, 3));
	roundtrip(&t);
	spin(&t, NULL, 200);
	/* The host sends the focused client the new selection at once: vsomm's
	 * own.  (Weston's clipboard manager then copies it, as text/plain;
	 * charset=utf-8 alone, into a source of its own: that one is offered.) */
	CHECK("vsomm's own selection is not offered back", s.own == 0);

	char *paste[] = {"wl-paste", "--no-newline", "--type", "text/plain;charset=utf-8", NULL};
	int status = run_spinning(&t, paste, out, sizeof(out));
	printf("# wl-paste status %d: \"%s\"\n", status, out);
	CHECK("host paste of the X selection", strcmp(out, x_text) == 0 && s.sends >= 1);

	/* The reverse: the host copies; the X side sees it when focused. */
	pid_t copier = fork();
	if (copier == 0) {
		setenv("WAYLAND_DISPLAY", getenv("WESTON_SOCKET"), 1);
		execlp("wl-copy", "wl-copy", "--foreground", "--type", "text/plain",
		       "from the host", (char *)NULL);
		_exit(127);
	}
	s.offered = false;
	spin(&t, NULL, 1000);
	click(&t, top.x + 100, top.y + 75);
	CHECK("host selection offered", spin(&t, &s.offered, 5000) &&
						strstr(s.mime_types, "text/plain"));
	printf("# offered: %s\n", s.mime_types);
	int fd = proxy_selection_receive(t.proxy, t.client, PROXY_SELECTION_CLIPBOARD,
					 "text/plain");
	size_t len = 0;
	if (fd >= 0) {
		long end = now_ms() + 5000;
		while (now_ms() < end) {
			spin_once(&t, 5);
			ssize_t n = read(fd, out + len, sizeof(out) - 1 - len);
			if (n > 0)
				len += (size_t)n;
			else if (n == 0)
				break;
		}
		close(fd);
	}
	out[len] = '\0';
	CHECK("X side receives the host selection", strcmp(out, "from the host") == 0);
	kill(copier, SIGTERM);
	waitpid(copier, NULL, 0);

	/* Clear. */
	CHECK("proxy_selection_set(0 types) clears",
	      proxy_selection_set(t.proxy, t.client, PROXY_SELECTION_CLIPBOARD, NULL, 0));
	wl_buffer_destroy(a.buffer);
	wl_buffer_destroy(d.buffer);
	wl_surface_destroy(cursor);
	wl_proxy_destroy((struct wl_proxy *)s1); /* here only: no request, s1 lives on */
	teardown(&t, &w);
	proxy_window_destroy(win);
	CHECK("no fd leaked", count_fds() == fds_before);
	return failures;
}

int main(int argc, char *argv[])
{
	vsomm_log_init(VSOMM_LOG_INFO, "window-test");
	wl_log_set_handler_server(vsomm_log_wayland);
	wl_log_set_handler_client(vsomm_log_wayland);
	signal(SIGPIPE, SIG_IGN);
	if (argc == 2 && strcmp(argv[1], "roles") == 0)
		return test_roles();
	if (argc == 2 && strcmp(argv[1], "roles-shadow") == 0) {
		use_shadows = true;
		return test_roles();
	}
	if (argc == 2 && strcmp(argv[1], "selection") == 0)
		return test_selection();
	if (argc == 2 && strcmp(argv[1], "host-error") == 0)
		return test_host_error(false);
	if (argc == 2 && strcmp(argv[1], "host-error-own") == 0)
		return test_host_error(true);
	fprintf(stderr,
		"usage: window-test roles|roles-shadow|selection|host-error|host-error-own\n");
	return 2;
}
