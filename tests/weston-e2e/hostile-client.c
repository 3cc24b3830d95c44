/* SPDX-License-Identifier: MIT */
/*
 * hostile-client CASE: a Wayland client of $WAYLAND_DISPLAY that misbehaves,
 * and checks that the compositor answers exactly as the protocol says.
 *
 *   garbage         bytes that are no Wayland message
 *   unknown-id      a request on an object id that was never created
 *   pool-too-big    wl_shm.create_pool larger than its fd, then a buffer past
 *                   the fd's end attached and committed
 *   buffer-offset   a buffer whose offset lies beyond its pool
 *   buffer-stride   a buffer whose stride * height exceeds its pool
 *   buffer-height   a buffer whose height runs past the end of its pool
 *   truncate        a mapped window whose pool fd is truncated to 0 after its
 *                   buffer was created and shown once; then attach, damage,
 *                   commit (the compositor's copy would fault)
 *   many-objects    10 000 wl_regions, a round trip, then a disconnect
 *
 * Each case names what it must get (the table `cases` below, with the
 * protocol text that says so): a wl_display.error on an object of a given
 * interface with a given code, or the round trip coming back.  Prints
 * "hostile: CASE: got ...; expected ..." and then "hostile: ok: CASE" when
 * the two are the same, "hostile: FAIL: CASE" otherwise.  Anything else the
 * compositor does fails the case: another error code, an error on another
 * interface, a disconnect without a wl_display.error (vsomm crashed or
 * dropped the client), or accepting the bad request.
 * Exit 0 when the case got what it expects, 1 when not, 2 on a setup failure.
 */
#include <stdbool.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <wayland-client.h>

#include "protocols/xdg-shell-client-protocol.h"

#define WIDTH 256
#define HEIGHT 256
#define STRIDE (WIDTH * 4)
#define MANY_OBJECTS 10000

/* What the compositor did with a hostile case's requests. */
enum outcome_kind {
	OUTCOME_SETUP_FAILED, /* the case could not be set up: no verdict */
	OUTCOME_ACCEPTED,     /* a round trip after the bad request came back */
	OUTCOME_ERROR,        /* a wl_display.error event */
	OUTCOME_DISCONNECT,   /* the socket closed without a wl_display.error */
};

struct outcome {
	enum outcome_kind kind;
	const char *interface; /* OUTCOME_ERROR: of the object the error names */
	uint32_t id, code;
	char detail[160]; /* the error's message, or why the connection ended */
};

/* ---- raw cases: no libwayland, the bytes are ours ---- */

static int raw_connect(void)
{
	const char *dir = getenv("XDG_RUNTIME_DIR"), *name = getenv("WAYLAND_DISPLAY");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};

	if (!dir || !name)
		return -1;
	if (name[0] == '/')
		snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", name);
	else
		snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", dir, name);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("hostile: connect");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Reads until EOF (10 s at most), keeping the first wl_display.error among
 * the events (object 1, opcode 0: object, code, string).  The raw cases
 * create no object but wl_display (1) and a wl_callback (2), so the id names
 * the interface.
 */
static void raw_outcome(int fd, struct outcome *out)
{
	static uint8_t buf[1 << 16];
	size_t have = 0;

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, 10000);
		if (r == 0) {
			if (out->kind != OUTCOME_ERROR) {
				out->kind = OUTCOME_ACCEPTED;
				snprintf(out->detail, sizeof(out->detail),
					 "still connected after 10 s");
			}
			return;
		}
		ssize_t n = r < 0 ? -1 : read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (out->kind != OUTCOME_ERROR) {
				out->kind = OUTCOME_DISCONNECT;
				snprintf(out->detail, sizeof(out->detail), "%s",
					 n < 0 ? strerror(errno) : "EOF");
			}
			return;
		}
		have += (size_t)n;
		while (have >= 8) {
			uint32_t hdr[2];
			memcpy(hdr, buf, sizeof(hdr));
			size_t size = hdr[1] >> 16;
			if (size < 8 || size > sizeof(buf)) {
				fprintf(stderr, "hostile: bad event header\n");
				out->kind = OUTCOME_SETUP_FAILED;
				return;
			}
			if (have < size)
				break;
			if (hdr[0] == 1 && (hdr[1] & 0xffff) == 0 && size >= 20 &&
			    out->kind != OUTCOME_ERROR) {
				uint32_t args[3];
				memcpy(args, buf + 8, sizeof(args));
				int len = (int)(size - 20 < args[2] ? size - 20 : args[2]);
				out->kind = OUTCOME_ERROR;
				out->id = args[0];
				out->code = args[1];
				out->interface = args[0] == 1   ? "wl_display"
						 : args[0] == 2 ? "wl_callback"
								: "?";
				snprintf(out->detail, sizeof(out->detail), "%.*s",
					 len > 0 ? len - 1 : 0, (const char *)buf + 20);
			}
			memmove(buf, buf + size, have - size);
			have -= size;
		}
		if (have == sizeof(buf))
			have = 0;
	}
}

static void run_raw(const uint32_t *msgs, size_t size, struct outcome *out)
{
	int fd = raw_connect();
	if (fd < 0)
		return;
	if (write(fd, msgs, size) != (ssize_t)size) {
		perror("hostile: write");
		close(fd);
		return;
	}
	raw_outcome(fd, out);
	close(fd);
}

static void run_garbage(const char *which, struct outcome *out)
{
	/* wl_display opcode 0x77, a size smaller than a header, then junk. */
	static const uint32_t garbage[] = {
		1,          (4u << 16) | 0x77, 0xdeadbeef, (12u << 16) | 3,
		0x41414141, 0xffffffff,        0x00010002};
	run_raw(garbage, sizeof(garbage), out);
}

static void run_unknown_id(const char *which, struct outcome *out)
{
	/* wl_display.sync(2) is fine; then opcode 0 on object 4242, which does not exist. */
	static const uint32_t msgs[] = {1, (12u << 16) | 0, 2, 4242, (12u << 16) | 0, 7};
	run_raw(msgs, sizeof(msgs), out);
}

/* ---- libwayland cases ---- */

struct client {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	bool configured;
};

static void handle_global(void *data, struct wl_registry *registry, uint32_t name,
			  const char *interface, uint32_t version)
{
	struct client *c = data;
	if (strcmp(interface, "wl_compositor") == 0)
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface,
						 version < 4 ? version : 4);
	else if (strcmp(interface, "wl_shm") == 0)
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	else if (strcmp(interface, "xdg_wm_base") == 0)
		c->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface, 1);
}

static void handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {handle_global, handle_global_remove};

static void handle_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {handle_ping};

static void handle_xdg_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	struct client *c = data;
	xdg_surface_ack_configure(xdg_surface, serial);
	c->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {handle_xdg_configure};

/* What the compositor did with everything sent so far. */
static void outcome(struct client *c, struct outcome *out)
{
	if (wl_display_roundtrip(c->display) >= 0) {
		out->kind = OUTCOME_ACCEPTED;
		snprintf(out->detail, sizeof(out->detail), "the round trip came back");
		return;
	}
	int err = wl_display_get_error(c->display);
	const struct wl_interface *iface = NULL;
	uint32_t code = wl_display_get_protocol_error(c->display, &iface, &out->id);
	/* EPROTO, or EINVAL/ENOMEM for wl_display's own codes: libwayland keeps
	 * the interface and code of every wl_display.error it got (no
	 * interface when the object named is already gone here). */
	if (iface || err == EPROTO) {
		out->kind = OUTCOME_ERROR;
		out->interface = iface ? iface->name : "(unknown object)";
		out->code = code;
		snprintf(out->detail, sizeof(out->detail), "errno %s", strerror(err));
	} else {
		out->kind = OUTCOME_DISCONNECT;
		snprintf(out->detail, sizeof(out->detail), "%s", strerror(err));
	}
}

static bool setup(struct client *c)
{
	c->display = wl_display_connect(NULL);
	if (!c->display) {
		perror("hostile: wl_display_connect");
		return false;
	}
	struct wl_registry *registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(registry, &registry_listener, c);
	if (wl_display_roundtrip(c->display) < 0 || !c->compositor || !c->shm || !c->wm_base) {
		fprintf(stderr, "hostile: missing globals\n");
		return false;
	}
	xdg_wm_base_add_listener(c->wm_base, &wm_base_listener, c);
	return true;
}

/* An xdg_toplevel, configured, with no buffer yet. */
static bool map_window(struct client *c)
{
	c->surface = wl_compositor_create_surface(c->compositor);
	c->xdg_surface = xdg_wm_base_get_xdg_surface(c->wm_base, c->surface);
	xdg_surface_add_listener(c->xdg_surface, &xdg_surface_listener, c);
	c->toplevel = xdg_surface_get_toplevel(c->xdg_surface);
	xdg_toplevel_set_title(c->toplevel, "hostile-client");
	wl_surface_commit(c->surface);
	while (!c->configured) {
		if (wl_display_dispatch(c->display) < 0) {
			fprintf(stderr, "hostile: no configure\n");
			return false;
		}
	}
	return true;
}

/* A memfd of `size` bytes filled with an opaque colour; -1 on failure. */
static int make_memfd(size_t size)
{
	int fd = memfd_create("hostile-client", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		perror("hostile: memfd");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	uint32_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("hostile: mmap");
		close(fd);
		return -1;
	}
	for (size_t i = 0; i < size / 4; i++)
		p[i] = 0xff3060c0u;
	munmap(p, size);
	return fd;
}

static void show(struct client *c, struct wl_buffer *buffer)
{
	wl_surface_attach(c->surface, buffer, 0, 0);
	wl_surface_damage_buffer(c->surface, 0, 0, WIDTH, HEIGHT);
	wl_surface_commit(c->surface);
}

static void run_shm(const char *which, struct outcome *out)
{
	struct client c = {0};
	if (!setup(&c) || !map_window(&c))
		return;

	size_t file_size = (size_t)STRIDE * HEIGHT;
	int32_t pool_size = (int32_t)file_size;
	int32_t offset = 0, stride = STRIDE, height = HEIGHT;
	if (strcmp(which, "pool-too-big") == 0) {
		file_size = 4096;
		pool_size = STRIDE * HEIGHT;
	} else if (strcmp(which, "buffer-offset") == 0) {
		offset = pool_size + 4096;
	} else if (strcmp(which, "buffer-stride") == 0) {
		stride = STRIDE * 2;
	} else if (strcmp(which, "buffer-height") == 0) {
		offset = STRIDE;
	}

	int fd = make_memfd(file_size);
	if (fd < 0)
		return;
	struct wl_shm_pool *pool = wl_shm_create_pool(c.shm, fd, pool_size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, offset, WIDTH, height, stride,
							     WL_SHM_FORMAT_XRGB8888);
	if (strcmp(which, "truncate") == 0) {
		show(&c, buffer);
		if (wl_display_roundtrip(c.display) < 0) {
			fprintf(stderr, "hostile: the good first commit failed\n");
			close(fd);
			return;
		}
		if (ftruncate(fd, 0) < 0) {
			perror("hostile: ftruncate");
			close(fd);
			return;
		}
	}
	show(&c, buffer);
	outcome(&c, out);
	close(fd);
	wl_display_disconnect(c.display);
}

static void run_many_objects(const char *which, struct outcome *out)
{
	struct client c = {0};
	if (!setup(&c))
		return;
	for (int i = 0; i < MANY_OBJECTS; i++) {
		struct wl_region *region = wl_compositor_create_region(c.compositor);
		wl_region_add(region, i % 100, i / 100, 1, 1);
		/* Flush as we go: libwayland's buffer is bounded. */
		if (i % 500 == 499 && wl_display_roundtrip(c.display) < 0)
			break;
	}
	outcome(&c, out);
	if (out->kind == OUTCOME_ACCEPTED)
		snprintf(out->detail, sizeof(out->detail), "%d objects created, disconnecting",
			 MANY_OBJECTS);
	/* Disconnect with all of them alive. */
	wl_display_disconnect(c.display);
}

/*
 * Every case and what it must get, with the protocol text that says so.
 * Through vsomm the guest side is vsomm's own libwayland-server and
 * proxy/shm.c: the errors below are vsomm's, and the ones Weston would send
 * directly (same interface and code, except where noted).
 */
static const struct hostile_case {
	const char *name;
	void (*run)(const char *which, struct outcome *out);
	enum outcome_kind expect;
	const char *interface; /* OUTCOME_ERROR: the object the error is posted on */
	uint32_t code;
	const char *why;
} cases[] = {
	{"garbage", run_garbage, OUTCOME_ERROR, "wl_display", WL_DISPLAY_ERROR_INVALID_METHOD,
	 /* The first message is opcode 0x77 on wl_display, which has two
	  * requests; libwayland-server checks the opcode (and then the size). */
	 "wl_display.error.invalid_method: \"method doesn't exist on the specified "
	 "interface or malformed request\""},
	{"unknown-id", run_unknown_id, OUTCOME_ERROR, "wl_display", WL_DISPLAY_ERROR_INVALID_OBJECT,
	 "wl_display.error.invalid_object: \"server couldn't find object\" (id 4242)"},
	{"pool-too-big", run_shm, OUTCOME_ERROR, "wl_shm", WL_SHM_ERROR_INVALID_FD,
	 /* mmap of a size past the fd's end succeeds; reading the pages
	  * past the end faults.  libwayland (Weston direct) posts this code on
	  * the wl_buffer; vsomm on the wl_shm, whose enum it is. */
	 "wl_shm.error.invalid_fd: \"mmapping the file descriptor failed\": the pool "
	 "is larger than its fd, the committed buffer lies past the fd's end"},
	{"buffer-offset", run_shm, OUTCOME_ERROR, "wl_shm_pool", WL_SHM_ERROR_INVALID_STRIDE,
	 "wl_shm.error.invalid_stride: \"invalid size or stride during pool or buffer "
	 "creation\", posted on the pool (wl_shm_pool.create_buffer: the buffer is "
	 "created offset bytes into the pool): offset past the pool"},
	{"buffer-stride", run_shm, OUTCOME_ERROR, "wl_shm_pool", WL_SHM_ERROR_INVALID_STRIDE,
	 "wl_shm.error.invalid_stride: \"invalid size or stride during pool or buffer "
	 "creation\", posted on the pool: stride * height is twice the pool"},
	{"buffer-height", run_shm, OUTCOME_ERROR, "wl_shm_pool", WL_SHM_ERROR_INVALID_STRIDE,
	 "wl_shm.error.invalid_stride: \"invalid size or stride during pool or buffer "
	 "creation\", posted on the pool: offset + stride * height is one row past it"},
	{"truncate", run_shm, OUTCOME_ERROR, "wl_shm", WL_SHM_ERROR_INVALID_FD,
	 /* As pool-too-big, once the buffer has been shown: vsomm's copy of
	  * the commit faults under its SIGBUS guard (proxy/damage.c). */
	 "wl_shm.error.invalid_fd: \"mmapping the file descriptor failed\": the pool's "
	 "fd was truncated to 0 under a committed buffer"},
	{"many-objects", run_many_objects, OUTCOME_ACCEPTED, NULL, 0,
	 /* Nothing in the protocol bounds a client's objects; vsomm's own
	  * limit (VSOMM_LIMIT_OBJECTS, default 100 000) is ten times this. */
	 "no error: 10 000 live wl_regions are an ordinary client, under vsomm's "
	 "object limit"},
};

static const char *kind_name(enum outcome_kind kind)
{
	switch (kind) {
	case OUTCOME_SETUP_FAILED:
		return "setup failure";
	case OUTCOME_ACCEPTED:
		return "accepted";
	case OUTCOME_ERROR:
		return "protocol error";
	case OUTCOME_DISCONNECT:
		return "disconnected without a protocol error";
	}
	return "?";
}

static void print_outcome(const char *what, const char *name, const struct outcome *out)
{
	printf("hostile: %s: %s: %s", name, what, kind_name(out->kind));
	if (out->kind == OUTCOME_ERROR)
		printf(" on %s@%u, code %u", out->interface, out->id, out->code);
	printf(" (%s)\n", out->detail);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: hostile-client CASE\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	const struct hostile_case *hc = NULL;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(argv[1], cases[i].name) == 0)
			hc = &cases[i];
	}
	if (!hc) {
		fprintf(stderr, "hostile: unknown case %s\n", argv[1]);
		return 2;
	}

	struct outcome got = {.kind = OUTCOME_SETUP_FAILED, .detail = "see stderr"};
	hc->run(hc->name, &got);
	print_outcome("got", hc->name, &got);
	if (got.kind == OUTCOME_SETUP_FAILED)
		return 2;
	if (hc->expect == OUTCOME_ERROR)
		printf("hostile: %s: expected: protocol error on %s, code %u: %s\n", hc->name,
		       hc->interface, hc->code, hc->why);
	else
		printf("hostile: %s: expected: %s: %s\n", hc->name, kind_name(hc->expect), hc->why);
	bool ok = got.kind == hc->expect &&
		  (hc->expect != OUTCOME_ERROR ||
		   (strcmp(got.interface, hc->interface) == 0 && got.code == hc->code));
	printf("hostile: %s: %s\n", ok ? "ok" : "FAIL", hc->name);
	return ok ? 0 : 1;
}
