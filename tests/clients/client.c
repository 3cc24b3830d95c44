// SPDX-License-Identifier: MIT
#include "client.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

bool tclient_parse_size(const char *s, long max, int32_t *w, int32_t *h)
{
	char *end;
	long lw, lh;

	errno = 0;
	lw = strtol(s, &end, 10);
	if (errno || end == s || *end != 'x')
		return false;
	s = end + 1;
	lh = strtol(s, &end, 10);
	if (errno || end == s || *end || lw < 1 || lh < 1 || lw > max || lh > max)
		return false;
	*w = (int32_t)lw;
	*h = (int32_t)lh;
	return true;
}

int64_t tclient_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void shm_handle_format(void *data, struct wl_shm *shm, uint32_t format)
{
	struct tclient *c = data;

	if (format == WL_SHM_FORMAT_XRGB8888)
		c->has_xrgb = true;
}

static const struct wl_shm_listener shm_listener = {
	.format = shm_handle_format,
};

static void wm_base_handle_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {
	.ping = wm_base_handle_ping,
};

static uint32_t min_version(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static void registry_handle_global(void *data, struct wl_registry *registry, uint32_t name,
				   const char *interface, uint32_t version)
{
	struct tclient *c = data;

	if (strcmp(interface, wl_compositor_interface.name) == 0 && !c->compositor) {
		/* 4: wl_surface.damage_buffer. */
		if (version < 4)
			return;
		c->compositor = wl_registry_bind(registry, name, &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_shm_interface.name) == 0 && !c->shm) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
		wl_shm_add_listener(c->shm, &shm_listener, c);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0 && !c->wm_base) {
		c->wm_base = wl_registry_bind(registry, name, &xdg_wm_base_interface,
					      min_version(version, 2));
		xdg_wm_base_add_listener(c->wm_base, &wm_base_listener, c);
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

static int open_signal_fd(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -1;
	return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

bool tclient_connect(struct tclient *c, bool watch_signals)
{
	*c = (struct tclient){ .signal_fd = -1 };
	if (watch_signals) {
		c->signal_fd = open_signal_fd();
		if (c->signal_fd < 0) {
			fprintf(stderr, "signalfd: %s\n", strerror(errno));
			return false;
		}
	}
	c->display = wl_display_connect(NULL);
	if (!c->display) {
		fprintf(stderr, "cannot connect to the Wayland display: %s\n", strerror(errno));
		goto err;
	}
	c->registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(c->registry, &registry_listener, c);
	if (wl_display_roundtrip(c->display) < 0 || wl_display_roundtrip(c->display) < 0) {
		fprintf(stderr, "roundtrip failed: %s\n", strerror(errno));
		goto err;
	}
	if (!c->compositor || !c->shm || !c->wm_base) {
		fprintf(stderr, "missing globals:%s%s%s\n", c->compositor ? "" : " wl_compositor>=4",
			c->shm ? "" : " wl_shm", c->wm_base ? "" : " xdg_wm_base");
		goto err;
	}
	if (!c->has_xrgb) {
		fprintf(stderr, "wl_shm has no XRGB8888\n");
		goto err;
	}
	return true;

err:
	tclient_disconnect(c);
	return false;
}

void tclient_disconnect(struct tclient *c)
{
	if (c->wm_base)
		xdg_wm_base_destroy(c->wm_base);
	if (c->shm)
		wl_shm_destroy(c->shm);
	if (c->compositor)
		wl_compositor_destroy(c->compositor);
	if (c->registry)
		wl_registry_destroy(c->registry);
	if (c->display)
		wl_display_disconnect(c->display);
	if (c->signal_fd >= 0)
		close(c->signal_fd);
	*c = (struct tclient){ .signal_fd = -1 };
}

static int poll_timeout_ms(int64_t deadline_ns)
{
	int64_t left;

	if (deadline_ns == 0)
		return -1;
	left = deadline_ns - tclient_now_ns();
	if (left <= 0)
		return 0;
	/* Round up: waking early only to poll again costs a syscall per loop. */
	left = (left + 999999) / 1000000;
	return left > 60000 ? 60000 : (int)left;
}

static void drain_signals(struct tclient *c)
{
	struct signalfd_siginfo info;

	while (read(c->signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info))
		c->stop = true;
}

int tclient_dispatch(struct tclient *c, int64_t deadline_ns)
{
	struct pollfd fds[2];
	short events = POLLIN;
	int nfds = 1, ret;

	if (c->stop)
		return 0;
	if (wl_display_dispatch_pending(c->display) < 0)
		goto err;
	while (wl_display_prepare_read(c->display) != 0) {
		if (wl_display_dispatch_pending(c->display) < 0)
			goto err;
	}
	/* EAGAIN: the socket is full; wait for POLLOUT too and flush again next call. */
	if (wl_display_flush(c->display) < 0) {
		if (errno != EAGAIN) {
			wl_display_cancel_read(c->display);
			goto err;
		}
		events |= POLLOUT;
	}
	fds[0] = (struct pollfd){ .fd = wl_display_get_fd(c->display), .events = events };
	if (c->signal_fd >= 0) {
		fds[1] = (struct pollfd){ .fd = c->signal_fd, .events = POLLIN };
		nfds = 2;
	}
	for (;;) {
		int timeout = poll_timeout_ms(deadline_ns);

		ret = poll(fds, nfds, timeout);
		if (ret >= 0 || errno != EINTR)
			break;
	}
	if (ret < 0) {
		wl_display_cancel_read(c->display);
		fprintf(stderr, "poll: %s\n", strerror(errno));
		return -1;
	}
	if (nfds == 2 && fds[1].revents)
		drain_signals(c);
	if (!(fds[0].revents & (POLLIN | POLLERR | POLLHUP))) {
		wl_display_cancel_read(c->display);
		/* Room to write again counts as progress. */
		return (fds[0].revents & POLLOUT) ? 1 : 0;
	}
	if (wl_display_read_events(c->display) < 0)
		goto err;
	if (wl_display_dispatch_pending(c->display) < 0)
		goto err;
	return 1;

err:
	fprintf(stderr, "Wayland connection error: %s (protocol error %d)\n", strerror(errno),
		wl_display_get_error(c->display));
	return -1;
}

bool tclient_wait_for(struct tclient *c, const bool *flag, int64_t deadline_ns)
{
	while (!*flag) {
		if (tclient_dispatch(c, deadline_ns) <= 0)
			return *flag;
	}
	return true;
}

static void xdg_surface_handle_configure(void *data, struct xdg_surface *xdg_surface,
					 uint32_t serial)
{
	struct tclient_window *w = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	w->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = xdg_surface_handle_configure,
};

static void toplevel_handle_configure(void *data, struct xdg_toplevel *toplevel,
				      int32_t width, int32_t height, struct wl_array *states)
{
	/* The clients draw at fixed sizes; 0x0 ("you choose") and suggestions alike. */
}

static void toplevel_handle_close(void *data, struct xdg_toplevel *toplevel)
{
	struct tclient_window *w = data;

	w->closed = true;
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = toplevel_handle_configure,
	.close = toplevel_handle_close,
};

bool tclient_window_init(struct tclient_window *w, struct tclient *c, const char *title,
			 int64_t deadline_ns)
{
	*w = (struct tclient_window){ .client = c };
	w->surface = wl_compositor_create_surface(c->compositor);
	w->xdg_surface = xdg_wm_base_get_xdg_surface(c->wm_base, w->surface);
	xdg_surface_add_listener(w->xdg_surface, &xdg_surface_listener, w);
	w->toplevel = xdg_surface_get_toplevel(w->xdg_surface);
	xdg_toplevel_add_listener(w->toplevel, &toplevel_listener, w);
	xdg_toplevel_set_title(w->toplevel, title);
	xdg_toplevel_set_app_id(w->toplevel, title);
	/* xdg-shell: the first commit carries no buffer; the configure answers it. */
	wl_surface_commit(w->surface);
	if (!tclient_wait_for(c, &w->configured, deadline_ns)) {
		if (!c->stop)
			fprintf(stderr, "no xdg_surface.configure\n");
		tclient_window_finish(w);
		return false;
	}
	return true;
}

void tclient_window_finish(struct tclient_window *w)
{
	if (w->toplevel)
		xdg_toplevel_destroy(w->toplevel);
	if (w->xdg_surface)
		xdg_surface_destroy(w->xdg_surface);
	if (w->surface)
		wl_surface_destroy(w->surface);
	*w = (struct tclient_window){ 0 };
}

static void buffer_handle_release(void *data, struct wl_buffer *buffer)
{
	struct tclient_buffer *b = data;

	b->busy = false;
}

static const struct wl_buffer_listener buffer_listener = {
	.release = buffer_handle_release,
};

bool tclient_buffer_init(struct tclient_buffer *b, struct tclient *c, int32_t width,
			 int32_t height)
{
	struct wl_shm_pool *pool;
	int fd;

	*b = (struct tclient_buffer){ 0 };
	if (width <= 0 || height <= 0 || width > 16384 || height > 16384) {
		fprintf(stderr, "bad buffer size %dx%d\n", width, height);
		return false;
	}
	b->width = width;
	b->height = height;
	b->stride = width * 4;
	b->size = (size_t)b->stride * (size_t)height;
	fd = memfd_create("vsomm-test-client", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		fprintf(stderr, "memfd_create: %s\n", strerror(errno));
		return false;
	}
	if (ftruncate(fd, (off_t)b->size) < 0) {
		fprintf(stderr, "ftruncate: %s\n", strerror(errno));
		goto err_fd;
	}
	/* The compositor maps the pool too; a shrink seal keeps it from SIGBUS. */
	(void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
	b->data = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (b->data == MAP_FAILED) {
		b->data = NULL;
		fprintf(stderr, "mmap: %s\n", strerror(errno));
		goto err_fd;
	}
	pool = wl_shm_create_pool(c->shm, fd, (int32_t)b->size);
	b->buffer = wl_shm_pool_create_buffer(pool, 0, width, height, b->stride,
					      WL_SHM_FORMAT_XRGB8888);
	wl_buffer_add_listener(b->buffer, &buffer_listener, b);
	/* The buffer keeps the pool's memory alive on the compositor's side. */
	wl_shm_pool_destroy(pool);
	close(fd);
	return true;

err_fd:
	close(fd);
	return false;
}

void tclient_buffer_finish(struct tclient_buffer *b)
{
	if (b->buffer)
		wl_buffer_destroy(b->buffer);
	if (b->data)
		munmap(b->data, b->size);
	*b = (struct tclient_buffer){ 0 };
}

static void frame_handle_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct tclient_frame *f = data;

	wl_callback_destroy(callback);
	f->callback = NULL;
	f->done = true;
}

static const struct wl_callback_listener frame_listener = {
	.done = frame_handle_done,
};

bool tclient_frame_request(struct tclient_frame *f, struct wl_surface *surface)
{
	tclient_frame_finish(f);
	f->callback = wl_surface_frame(surface);
	if (!f->callback)
		return false;
	wl_callback_add_listener(f->callback, &frame_listener, f);
	return true;
}

void tclient_frame_finish(struct tclient_frame *f)
{
	if (f->callback)
		wl_callback_destroy(f->callback);
	*f = (struct tclient_frame){ 0 };
}
