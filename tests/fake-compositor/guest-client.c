// SPDX-License-Identifier: MIT
/*
 * guest-client: the guest side of the fake-compositor protocol tests, run through
 * `vsomm` against `vsomm-host --compositor <fake-compositor>`.
 *
 *   guest-client keymap|clipboard|dmabuf|dmabuf-linear|shm|hog|partial
 *
 * keymap     wl_keyboard.keymap: format xkb_v1, size FC_KEYMAP_SIZE, the fd maps
 *            with that size and holds the compositor's pattern;
 * clipboard  wl_data_device and zwp_primary_selection: the compositor's offer is
 *            received through a pipe (1 MiB checked here); our source is offered
 *            as selection and its send() writes 1 MiB (checked by the compositor,
 *            which then cancels the source);
 * dmabuf     a two-plane "dmabuf" (a memfd: what a guest dmabuf is without a
 *            kernel), params.add ×2 + create_immed, attached and committed; after
 *            a round trip the guest writes a mark into the memory and commits
 *            again (the compositor must see it: the same memory, never copied);
 *            Against a host that does not take guest memory (vsomm-host --strict,
 *            as rutabaga) vsomm refuses this NV12 buffer with `failed` (only
 *            single-plane linear buffers can be copied): reported as such.
 * dmabuf-linear  XRGB8888 linear "dmabufs" of guest memory (fake-compositor.h,
 *            FC_LINEAR_*): three frames, create_immed and create; prints the
 *            hash of each frame it drew ("guest: frame N hash H").
 * shm        a 1920×1080 wl_shm buffer: a full commit, then one 64×64 damage
 *            (plus a canary pixel changed without damage).
 * hog        (fake-compositor --script hog) receives the selection and never
 *            reads its pipe: passes when vsomm drops the pipe (its write end is
 *            closed: POLLHUP on our read end) while the compositor writes on;
 * partial    (fake-compositor --script partial) reads FC_PARTIAL_BYTES of the
 *            selection and closes its read end; then offers its own source,
 *            whose send() writes FC_BIG_BYTES while the compositor closes its
 *            read end after FC_PARTIAL_BYTES: the writes end (all taken, or an
 *            error), then the source is cancelled.
 *
 * Exits 0 when every check of its side passed; prints "guest: PASS/FAIL ...".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wayland-client.h>

#include "protocols/linux-dmabuf-unstable-v1-client-protocol.h"
#include "protocols/primary-selection-unstable-v1-client-protocol.h"
#include "protocols/xdg-shell-client-protocol.h"
#include "tests/fake-compositor/fake-compositor.h"

static struct {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct wl_seat *seat;
	struct wl_data_device_manager *ddm;
	struct zwp_primary_selection_device_manager_v1 *psm;
	struct zwp_linux_dmabuf_v1 *dmabuf;
	struct xdg_wm_base *wm;
	int failures;
} g;

static void report(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(bool ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("guest: %s ", ok ? "PASS" : "FAIL");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	if (!ok)
		g.failures++;
}

static void die(const char *what)
{
	fprintf(stderr, "guest: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Dispatch until *flag (the display's error ends the test). */
static void wait_for(const bool *flag, const char *what)
{
	while (!*flag) {
		if (wl_display_dispatch(g.display) < 0) {
			fprintf(stderr, "guest: display error while waiting for %s: %s\n", what,
				strerror(wl_display_get_error(g.display)));
			exit(1);
		}
	}
}

static void roundtrip(void)
{
	if (wl_display_roundtrip(g.display) < 0) {
		fprintf(stderr, "guest: round trip failed: %s\n",
			strerror(wl_display_get_error(g.display)));
		exit(1);
	}
}

static void noop(void)
{
}
#define NOOP ((void *)noop)

/* ---- registry ---- */

/* Bound with its listener at once: the format/modifier events follow the bind
 * and must not be dispatched to a proxy without one (they would be lost). */
static const struct zwp_linux_dmabuf_v1_listener dmabuf_listener;

static void handle_global(void *data, struct wl_registry *reg, uint32_t name, const char *iface,
			  uint32_t version)
{
	if (strcmp(iface, "wl_compositor") == 0)
		g.compositor = wl_registry_bind(reg, name, &wl_compositor_interface, 4);
	else if (strcmp(iface, "wl_shm") == 0)
		g.shm = wl_registry_bind(reg, name, &wl_shm_interface, 1);
	else if (strcmp(iface, "wl_seat") == 0)
		g.seat = wl_registry_bind(reg, name, &wl_seat_interface, 5);
	else if (strcmp(iface, "wl_data_device_manager") == 0)
		g.ddm = wl_registry_bind(reg, name, &wl_data_device_manager_interface, 3);
	else if (strcmp(iface, "zwp_primary_selection_device_manager_v1") == 0)
		g.psm = wl_registry_bind(reg, name,
					 &zwp_primary_selection_device_manager_v1_interface, 1);
	else if (strcmp(iface, "zwp_linux_dmabuf_v1") == 0 && version >= 3) {
		g.dmabuf = wl_registry_bind(reg, name, &zwp_linux_dmabuf_v1_interface, 3);
		zwp_linux_dmabuf_v1_add_listener(g.dmabuf, &dmabuf_listener, NULL);
	} else if (strcmp(iface, "xdg_wm_base") == 0)
		g.wm = wl_registry_bind(reg, name, &xdg_wm_base_interface, 2);
}

static const struct wl_registry_listener registry_listener = {handle_global, NOOP};

/* ---- keymap ---- */

static bool keymap_done;

static void handle_keymap(void *data, struct wl_keyboard *kb, uint32_t format, int32_t fd,
			  uint32_t size)
{
	struct stat st = {0};
	bool stat_ok = fstat(fd, &st) == 0;
	report(format == WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1, "keymap format %u", format);
	report(size == FC_KEYMAP_SIZE, "keymap size %u", size);
	report(stat_ok && st.st_size >= FC_KEYMAP_SIZE, "keymap fd holds %lld bytes",
	       (long long)st.st_size);
	uint8_t *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		report(false, "keymap mmap of %u bytes: %s", size, strerror(errno));
	} else {
		size_t bad = 0;
		for (size_t i = 0; i < size; i++)
			bad += map[i] != fc_pattern(FC_SEED_KEYMAP, i);
		report(bad == 0, "keymap content (%zu of %u bytes differ)", bad, size);
		munmap(map, size);
	}
	close(fd);
	keymap_done = true;
}

static const struct wl_keyboard_listener keyboard_listener = {
	handle_keymap, NOOP, NOOP, NOOP, NOOP, NOOP,
};

static void run_keymap(void)
{
	struct wl_keyboard *kb = wl_seat_get_keyboard(g.seat);
	wl_keyboard_add_listener(kb, &keyboard_listener, NULL);
	wait_for(&keymap_done, "the keymap");
	wl_keyboard_release(kb);
	roundtrip();
}

/* ---- clipboard: both directions, wl_data_device and primary selection ---- */

/* Read the whole pipe and compare it to the pattern. */
static void read_all(int fd, uint32_t seed, const char *what)
{
	static uint8_t buf[64 * 1024];
	size_t done = 0, bad = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read");
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			bad += done + (size_t)i >= FC_PIPE_BYTES ||
			       buf[i] != fc_pattern(seed, done + (size_t)i);
		done += (size_t)n;
	}
	close(fd);
	report(done == FC_PIPE_BYTES && bad == 0, "%s: read %zu bytes, %zu differ", what, done,
	       bad);
}

static size_t source_bytes = FC_PIPE_BYTES;
static bool source_may_break; /* partial: the reader may go away */

static void write_all(int fd, uint32_t seed, const char *what)
{
	static uint8_t buf[64 * 1024];
	size_t done = 0;
	while (done < source_bytes) {
		size_t len = source_bytes - done < sizeof(buf) ? source_bytes - done : sizeof(buf);
		for (size_t i = 0; i < len; i++)
			buf[i] = fc_pattern(seed, done + i);
		size_t off = 0;
		while (off < len) {
			ssize_t n = write(fd, buf + off, len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				report(source_may_break && errno == EPIPE,
				       "%s: write after %zu bytes: %s", what, done + off,
				       strerror(errno));
				close(fd);
				return;
			}
			off += (size_t)n;
		}
		done += len;
	}
	close(fd);
	report(true, "%s: wrote %zu bytes", what, done);
}

static void *selection_offer; /* wl_data_offer or zwp_primary_selection_offer_v1 */
static bool selection_seen, source_cancelled;

static void handle_dd_selection(void *data, struct wl_data_device *dd, struct wl_data_offer *offer)
{
	selection_offer = offer;
	selection_seen = true;
}

static const struct wl_data_offer_listener offer_listener = {NOOP, NOOP, NOOP};

static void handle_dd_data_offer(void *data, struct wl_data_device *dd, struct wl_data_offer *offer)
{
	wl_data_offer_add_listener(offer, &offer_listener, NULL);
}

static const struct wl_data_device_listener dd_listener = {
	handle_dd_data_offer, NOOP, NOOP, NOOP, NOOP, handle_dd_selection,
};

static void handle_source_send(void *data, struct wl_data_source *src, const char *mime, int32_t fd)
{
	write_all(fd, FC_SEED_SOURCE, "data-source send");
}

static void handle_source_cancelled(void *data, struct wl_data_source *src)
{
	source_cancelled = true;
}

static const struct wl_data_source_listener source_listener = {
	NOOP, handle_source_send, handle_source_cancelled, NOOP, NOOP, NOOP,
};

static const struct zwp_primary_selection_offer_v1_listener p_offer_listener = {NOOP};

static void handle_pd_data_offer(void *data, struct zwp_primary_selection_device_v1 *d,
				 struct zwp_primary_selection_offer_v1 *offer)
{
	zwp_primary_selection_offer_v1_add_listener(offer, &p_offer_listener, NULL);
}

static void handle_pd_selection(void *data, struct zwp_primary_selection_device_v1 *d,
				struct zwp_primary_selection_offer_v1 *offer)
{
	selection_offer = offer;
	selection_seen = true;
}

static const struct zwp_primary_selection_device_v1_listener pd_listener = {
	handle_pd_data_offer,
	handle_pd_selection,
};

static void handle_p_source_send(void *data, struct zwp_primary_selection_source_v1 *src,
				 const char *mime, int32_t fd)
{
	write_all(fd, FC_SEED_PRIMARY_SOURCE, "primary-source send");
}

static void handle_p_source_cancelled(void *data, struct zwp_primary_selection_source_v1 *src)
{
	source_cancelled = true;
}

static const struct zwp_primary_selection_source_v1_listener p_source_listener = {
	handle_p_source_send,
	handle_p_source_cancelled,
};

static int pipe_write_end(int *read_end)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe");
	*read_end = p[0];
	return p[1];
}

static void run_clipboard(void)
{
	int rd, wr;

	/* wl_data_device: the compositor's offer → us */
	struct wl_data_device *dd = wl_data_device_manager_get_data_device(g.ddm, g.seat);
	wl_data_device_add_listener(dd, &dd_listener, NULL);
	selection_seen = false;
	wait_for(&selection_seen, "the selection");
	report(selection_offer != NULL, "data-device selection offered");
	if (selection_offer) {
		wr = pipe_write_end(&rd);
		wl_data_offer_receive(selection_offer, FC_MIME, wr);
		wl_display_flush(g.display);
		close(wr);
		read_all(rd, FC_SEED_OFFER, "data-offer receive");
		wl_data_offer_destroy(selection_offer);
	}
	/* our wl_data_source → the compositor, which cancels it once it has read all */
	struct wl_data_source *src = wl_data_device_manager_create_data_source(g.ddm);
	wl_data_source_add_listener(src, &source_listener, NULL);
	wl_data_source_offer(src, FC_MIME);
	wl_data_device_set_selection(dd, src, 0);
	source_cancelled = false;
	wait_for(&source_cancelled, "data-source cancelled");
	wl_data_source_destroy(src);
	wl_data_device_release(dd);

	/* primary selection, the same both ways */
	struct zwp_primary_selection_device_v1 *pd =
		zwp_primary_selection_device_manager_v1_get_device(g.psm, g.seat);
	zwp_primary_selection_device_v1_add_listener(pd, &pd_listener, NULL);
	selection_seen = false;
	selection_offer = NULL;
	wait_for(&selection_seen, "the primary selection");
	report(selection_offer != NULL, "primary selection offered");
	if (selection_offer) {
		wr = pipe_write_end(&rd);
		zwp_primary_selection_offer_v1_receive(selection_offer, FC_MIME, wr);
		wl_display_flush(g.display);
		close(wr);
		read_all(rd, FC_SEED_PRIMARY_OFFER, "primary-offer receive");
		zwp_primary_selection_offer_v1_destroy(selection_offer);
	}
	struct zwp_primary_selection_source_v1 *psrc =
		zwp_primary_selection_device_manager_v1_create_source(g.psm);
	zwp_primary_selection_source_v1_add_listener(psrc, &p_source_listener, NULL);
	zwp_primary_selection_source_v1_offer(psrc, FC_MIME);
	zwp_primary_selection_device_v1_set_selection(pd, psrc, 0);
	source_cancelled = false;
	wait_for(&source_cancelled, "primary-source cancelled");
	zwp_primary_selection_source_v1_destroy(psrc);
	zwp_primary_selection_device_v1_destroy(pd);
	roundtrip();
}

/* ---- dmabuf ---- */

static bool modifier_seen, configured;
static uint32_t configure_serial;

static void handle_modifier(void *data, struct zwp_linux_dmabuf_v1 *d, uint32_t format, uint32_t hi,
			    uint32_t lo)
{
	if (format == FC_DRM_FORMAT_NV12 && ((uint64_t)hi << 32 | lo) == FC_DMABUF_MODIFIER)
		modifier_seen = true;
}

static const struct zwp_linux_dmabuf_v1_listener dmabuf_listener = {NOOP, handle_modifier};

static void handle_wm_ping(void *data, struct xdg_wm_base *wm, uint32_t serial)
{
	xdg_wm_base_pong(wm, serial);
}

static const struct xdg_wm_base_listener wm_listener = {handle_wm_ping};

static void handle_xdg_configure(void *data, struct xdg_surface *xs, uint32_t serial)
{
	configure_serial = serial;
	configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {handle_xdg_configure};
static const struct xdg_toplevel_listener toplevel_listener = {NOOP, NOOP, NOOP, NOOP};

static bool params_failed;
static struct wl_buffer *params_created;

static void handle_params_created(void *data, struct zwp_linux_buffer_params_v1 *params,
				  struct wl_buffer *buffer)
{
	params_created = buffer;
}

static void handle_params_failed(void *data, struct zwp_linux_buffer_params_v1 *params)
{
	params_failed = true;
}

static const struct zwp_linux_buffer_params_v1_listener params_listener = {
	handle_params_created,
	handle_params_failed,
};

static void run_dmabuf(void)
{
	xdg_wm_base_add_listener(g.wm, &wm_listener, NULL);
	roundtrip();
	report(modifier_seen, "zwp_linux_dmabuf_v1.modifier NV12 0x%016llx announced",
	       (unsigned long long)FC_DMABUF_MODIFIER);

	int fd = memfd_create("guest-dmabuf", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, FC_DMABUF_SIZE) < 0)
		die("memfd");
	uint8_t *map = mmap(NULL, FC_DMABUF_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	for (size_t i = 0; i < FC_DMABUF_SIZE; i++)
		map[i] = fc_pattern(FC_SEED_DMABUF, i);
	struct stat st;
	if (fstat(fd, &st) < 0)
		die("fstat");

	struct wl_surface *surface = wl_compositor_create_surface(g.compositor);
	struct xdg_surface *xs = xdg_wm_base_get_xdg_surface(g.wm, surface);
	xdg_surface_add_listener(xs, &xdg_surface_listener, NULL);
	struct xdg_toplevel *top = xdg_surface_get_toplevel(xs);
	xdg_toplevel_add_listener(top, &toplevel_listener, NULL);
	char title[128];
	snprintf(title, sizeof(title), FC_DMABUF_TITLE " %llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino);
	xdg_toplevel_set_title(top, title);
	wl_surface_commit(surface);
	wait_for(&configured, "xdg_surface.configure");
	xdg_surface_ack_configure(xs, configure_serial);

	struct zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(g.dmabuf);
	zwp_linux_buffer_params_v1_add_listener(params, &params_listener, NULL);
	uint32_t hi = (uint32_t)(FC_DMABUF_MODIFIER >> 32), lo = (uint32_t)FC_DMABUF_MODIFIER;
	zwp_linux_buffer_params_v1_add(params, fd, 0, 0, FC_DMABUF_STRIDE0, hi, lo);
	zwp_linux_buffer_params_v1_add(params, fd, 1, FC_DMABUF_OFFSET1, FC_DMABUF_STRIDE1, hi, lo);
	struct wl_buffer *buffer = zwp_linux_buffer_params_v1_create_immed(
		params, FC_DMABUF_WIDTH, FC_DMABUF_HEIGHT, FC_DRM_FORMAT_NV12, 0);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, FC_DMABUF_WIDTH, FC_DMABUF_HEIGHT);
	wl_surface_commit(surface);
	roundtrip(); /* the compositor has checked commit 1 */
	zwp_linux_buffer_params_v1_destroy(params);
	/* a host that does not take guest memory: vsomm cannot copy NV12 */
	printf("guest: dmabuf NV12 create_immed: %s\n",
	       params_failed ? "failed" : "no failed event");

	memcpy(map + FC_DMABUF_MARK_OFFSET, FC_DMABUF_MARK, sizeof(FC_DMABUF_MARK) - 1);
	wl_surface_damage_buffer(surface, 0, 0, FC_DMABUF_WIDTH, 1);
	wl_surface_commit(surface);
	roundtrip();
	report(true, "dmabuf %s committed twice", title);

	wl_buffer_destroy(buffer);
	xdg_toplevel_destroy(top);
	xdg_surface_destroy(xs);
	wl_surface_destroy(surface);
	munmap(map, FC_DMABUF_SIZE);
	close(fd);
	roundtrip();
}

/* ---- dmabuf-linear ---- */

static uint8_t *linear_memfd(uint32_t seed, int *fd)
{
	*fd = memfd_create("guest-dmabuf-linear", MFD_CLOEXEC);
	if (*fd < 0 || ftruncate(*fd, FC_LINEAR_SIZE) < 0)
		die("memfd");
	uint8_t *map = mmap(NULL, FC_LINEAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (map == MAP_FAILED)
		die("mmap");
	memset(map, 0x5a, FC_LINEAR_SIZE); /* padding and offset: never shown */
	for (int y = 0; y < FC_LINEAR_HEIGHT; y++) {
		uint8_t *row = map + FC_LINEAR_OFFSET + (size_t)y * FC_LINEAR_STRIDE;
		for (int x = 0; x < FC_LINEAR_WIDTH; x++) {
			uint64_t i = (uint64_t)y * FC_LINEAR_WIDTH + (uint64_t)x;
			uint32_t px = 0xff000000u | (uint32_t)fc_pattern(seed, 3 * i) << 16 |
				      (uint32_t)fc_pattern(seed, 3 * i + 1) << 8 |
				      fc_pattern(seed, 3 * i + 2);
			memcpy(row + x * 4, &px, 4);
		}
	}
	return map;
}

static struct zwp_linux_buffer_params_v1 *linear_params(int fd)
{
	struct zwp_linux_buffer_params_v1 *params = zwp_linux_dmabuf_v1_create_params(g.dmabuf);
	zwp_linux_buffer_params_v1_add_listener(params, &params_listener, NULL);
	zwp_linux_buffer_params_v1_add(params, fd, 0, FC_LINEAR_OFFSET, FC_LINEAR_STRIDE, 0, 0);
	return params;
}

static void linear_frame(struct wl_surface *surface, struct wl_buffer *buffer, const uint8_t *map,
			 int n, int x, int y, int w, int h)
{
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, x, y, w, h);
	wl_surface_commit(surface);
	roundtrip(); /* the compositor has seen the frame */
	printf("guest: frame %d hash 0x%016llx\n", n,
	       (unsigned long long)fc_image_hash(map + FC_LINEAR_OFFSET, FC_LINEAR_STRIDE,
						 FC_LINEAR_WIDTH, FC_LINEAR_HEIGHT));
}

static void run_dmabuf_linear(void)
{
	xdg_wm_base_add_listener(g.wm, &wm_listener, NULL);
	struct wl_surface *surface = wl_compositor_create_surface(g.compositor);
	struct xdg_surface *xs = xdg_wm_base_get_xdg_surface(g.wm, surface);
	xdg_surface_add_listener(xs, &xdg_surface_listener, NULL);
	struct xdg_toplevel *top = xdg_surface_get_toplevel(xs);
	xdg_toplevel_add_listener(top, &toplevel_listener, NULL);
	xdg_toplevel_set_title(top, "fake-compositor dmabuf-linear");
	wl_surface_commit(surface);
	wait_for(&configured, "xdg_surface.configure");
	xdg_surface_ack_configure(xs, configure_serial);

	int fd_a, fd_b;
	uint8_t *a = linear_memfd(FC_SEED_LINEAR_A, &fd_a);
	uint8_t *b = linear_memfd(FC_SEED_LINEAR_B, &fd_b);

	/* buffer A: create_immed; frame 1 whole, frame 2 one damaged rectangle */
	struct zwp_linux_buffer_params_v1 *params = linear_params(fd_a);
	struct wl_buffer *buffer_a = zwp_linux_buffer_params_v1_create_immed(
		params, FC_LINEAR_WIDTH, FC_LINEAR_HEIGHT, FC_DRM_FORMAT_XRGB8888, 0);
	zwp_linux_buffer_params_v1_destroy(params);
	linear_frame(surface, buffer_a, a, 1, 0, 0, FC_LINEAR_WIDTH, FC_LINEAR_HEIGHT);
	report(!params_failed, "dmabuf-linear: create_immed of buffer A not failed");
	for (int y = FC_LINEAR_RECT_Y; y < FC_LINEAR_RECT_Y + FC_LINEAR_RECT_H; y++) {
		for (int x = FC_LINEAR_RECT_X; x < FC_LINEAR_RECT_X + FC_LINEAR_RECT_W; x++) {
			uint32_t px = FC_LINEAR_COLOR;
			memcpy(a + FC_LINEAR_OFFSET + (size_t)y * FC_LINEAR_STRIDE + x * 4, &px, 4);
		}
	}
	linear_frame(surface, buffer_a, a, 2, FC_LINEAR_RECT_X, FC_LINEAR_RECT_Y, FC_LINEAR_RECT_W,
		     FC_LINEAR_RECT_H);

	/* buffer B: create, then the created event */
	params = linear_params(fd_b);
	zwp_linux_buffer_params_v1_create(params, FC_LINEAR_WIDTH, FC_LINEAR_HEIGHT,
					  FC_DRM_FORMAT_XRGB8888, 0);
	while (!params_created && !params_failed)
		if (wl_display_dispatch(g.display) < 0)
			die("dispatch");
	zwp_linux_buffer_params_v1_destroy(params);
	report(params_created != NULL, "dmabuf-linear: buffer B created");
	if (params_created)
		linear_frame(surface, params_created, b, 3, 0, 0, FC_LINEAR_WIDTH,
			     FC_LINEAR_HEIGHT);

	if (params_created)
		wl_buffer_destroy(params_created);
	wl_buffer_destroy(buffer_a);
	xdg_toplevel_destroy(top);
	xdg_surface_destroy(xs);
	wl_surface_destroy(surface);
	munmap(a, FC_LINEAR_SIZE);
	munmap(b, FC_LINEAR_SIZE);
	close(fd_a);
	close(fd_b);
	roundtrip();
}

/* ---- shm ---- */

static void fill(uint32_t *px, int x, int y, int w, int h, uint32_t color)
{
	for (int j = y; j < y + h; j++)
		for (int i = x; i < x + w; i++)
			px[(size_t)j * FC_SHM_WIDTH + (size_t)i] = color;
}

static void run_shm(void)
{
	const int32_t stride = FC_SHM_WIDTH * 4;
	const size_t size = (size_t)stride * FC_SHM_HEIGHT;
	int fd = memfd_create("guest-shm", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		die("memfd");
	uint32_t *px = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (px == MAP_FAILED)
		die("mmap");
	fill(px, 0, 0, FC_SHM_WIDTH, FC_SHM_HEIGHT, FC_SHM_COLOR1);

	struct wl_shm_pool *pool = wl_shm_create_pool(g.shm, fd, (int32_t)size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(pool, 0, FC_SHM_WIDTH, FC_SHM_HEIGHT,
							     stride, WL_SHM_FORMAT_XRGB8888);
	struct wl_surface *surface = wl_compositor_create_surface(g.compositor);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, FC_SHM_WIDTH, FC_SHM_HEIGHT);
	wl_surface_commit(surface);
	roundtrip();

	fill(px, FC_SHM_RECT_X, FC_SHM_RECT_Y, FC_SHM_RECT_SIZE, FC_SHM_RECT_SIZE, FC_SHM_COLOR2);
	px[0] = FC_SHM_CANARY; /* not damaged: must not be copied */
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, FC_SHM_RECT_X, FC_SHM_RECT_Y, FC_SHM_RECT_SIZE,
				 FC_SHM_RECT_SIZE);
	wl_surface_commit(surface);
	roundtrip();
	report(true, "shm: full commit, then one %dx%d damage", FC_SHM_RECT_SIZE, FC_SHM_RECT_SIZE);

	wl_surface_destroy(surface);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	munmap(px, size);
	close(fd);
	roundtrip();
}

/* ---- hostile pipes ---- */

/* The selection of a new wl_data_device, received into a new pipe: its read end. */
static int receive_selection(struct wl_data_device **dd)
{
	*dd = wl_data_device_manager_get_data_device(g.ddm, g.seat);
	wl_data_device_add_listener(*dd, &dd_listener, NULL);
	selection_seen = false;
	wait_for(&selection_seen, "the selection");
	if (!selection_offer) {
		report(false, "data-device selection offered");
		exit(1);
	}
	int rd, wr = pipe_write_end(&rd);
	wl_data_offer_receive(selection_offer, FC_MIME, wr);
	wl_display_flush(g.display);
	close(wr);
	return rd;
}

static void run_hog(void)
{
	struct wl_data_device *dd;
	int rd = receive_selection(&dd);
	printf("guest: hog: receive sent, not reading\n");
	/* POLLHUP on a pipe's read end: no writer is left, whatever is unread */
	struct pollfd pfd = {.fd = rd, .events = 0};
	int n;
	do
		n = poll(&pfd, 1, 150 * 1000);
	while (n < 0 && errno == EINTR);
	int unread = -1;
	ioctl(rd, FIONREAD, &unread);
	report(n == 1 && (pfd.revents & POLLHUP),
	       "hog: vsomm closed the pipe it could not fill (%d bytes unread in it)", unread);
	close(rd);
	wl_data_offer_destroy(selection_offer);
	wl_data_device_release(dd);
	roundtrip();
	report(true, "hog: our connection still works");
}

static void run_partial(void)
{
	struct wl_data_device *dd;
	int rd = receive_selection(&dd);
	static uint8_t buf[FC_PARTIAL_BYTES];
	size_t done = 0, bad = 0;
	while (done < sizeof(buf)) {
		ssize_t n = read(rd, buf + done, sizeof(buf) - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	for (size_t i = 0; i < done; i++)
		bad += buf[i] != fc_pattern(FC_SEED_OFFER, i);
	close(rd); /* mid-transfer: the compositor writes FC_BIG_BYTES */
	report(done == sizeof(buf) && bad == 0,
	       "partial: read %zu bytes of the offer (%zu differ), closed the read end", done, bad);
	wl_data_offer_destroy(selection_offer);

	/* our source: the compositor closes its read end after FC_PARTIAL_BYTES */
	source_bytes = FC_BIG_BYTES;
	source_may_break = true;
	struct wl_data_source *src = wl_data_device_manager_create_data_source(g.ddm);
	wl_data_source_add_listener(src, &source_listener, NULL);
	wl_data_source_offer(src, FC_MIME);
	wl_data_device_set_selection(dd, src, 0);
	source_cancelled = false;
	wait_for(&source_cancelled, "data-source cancelled");
	wl_data_source_destroy(src);
	wl_data_device_release(dd);
	roundtrip();
	report(true, "partial: source cancelled, our connection still works");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr,
			"usage: guest-client keymap|clipboard|dmabuf|dmabuf-linear|shm|hog|partial\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	g.display = wl_display_connect(NULL);
	if (!g.display)
		die("wl_display_connect");
	struct wl_registry *registry = wl_display_get_registry(g.display);
	wl_registry_add_listener(registry, &registry_listener, NULL);
	roundtrip();

	const char *mode = argv[1];
	if (strcmp(mode, "keymap") == 0 && g.seat) {
		run_keymap();
	} else if (strcmp(mode, "clipboard") == 0 && g.seat && g.ddm && g.psm) {
		run_clipboard();
	} else if (strcmp(mode, "dmabuf") == 0 && g.compositor && g.dmabuf && g.wm) {
		run_dmabuf();
	} else if (strcmp(mode, "dmabuf-linear") == 0 && g.compositor && g.dmabuf && g.wm) {
		run_dmabuf_linear();
	} else if (strcmp(mode, "shm") == 0 && g.compositor && g.shm) {
		run_shm();
	} else if (strcmp(mode, "hog") == 0 && g.seat && g.ddm) {
		run_hog();
	} else if (strcmp(mode, "partial") == 0 && g.seat && g.ddm) {
		run_partial();
	} else {
		fprintf(stderr, "guest: unknown mode '%s' or its globals are missing\n", mode);
		return 1;
	}
	wl_registry_destroy(registry);
	wl_display_disconnect(g.display);
	printf("guest: %s done, %d failures\n", mode, g.failures);
	return g.failures ? 1 : 0;
}
