// SPDX-License-Identifier: MIT
/*
 * log-compositor: a small host compositor for the X11 tests that writes down
 * what a window manager tells the host about its windows, which Weston does
 * not show: xdg_toplevel titles, app_ids, parents, states, popups and
 * subsurfaces with their positions, selections.  vsomm-host connects to it
 * like to any compositor; vsomm's X window manager is what it observes.
 *
 *   log-compositor --socket NAME [--control FIFO] [--size WxH] [--no-primary]
 *
 * Globals: wl_compositor 4, wl_subcompositor, wl_shm (libwayland's), wl_output
 * (one, WxH, scale 1), wl_seat (keyboard with a real "us" keymap, pointer),
 * wl_data_device_manager 3, zwp_primary_selection_device_manager_v1 (unless
 * --no-primary), xdg_wm_base 3, zxdg_decoration_manager_v1.
 *
 * Every request goes through one generic dispatcher (objects of new_id
 * arguments are created, destroy/release destroy); a table adds behaviour.
 * Output, one line each on stdout (line-buffered), each prefixed by the
 * wall-clock time in ms (date +%s%3N) and a space:
 *
 *   toplevel T<n> surface S<m>            an xdg_toplevel was created
 *   toplevel T<n> title <text>            non-printable bytes as \xNN
 *   toplevel T<n> title-utf8 valid|invalid
 *   toplevel T<n> app_id <text>
 *   toplevel T<n> parent T<k>|none
 *   toplevel T<n> fullscreen|unfullscreen|maximized|unmaximized|minimized
 *   toplevel T<n> min WxH / max WxH / geometry X,Y WxH
 *   toplevel T<n> move / resize EDGES
 *   toplevel T<n> destroyed
 *   toplevel T<n> decoration client|server
 *   popup P<n> surface S<m> parent S<k> at X,Y size WxH   (the position the
 *       positioner gives with no constraint: anchor point + offset, gravity)
 *   subsurface S<m> parent S<k> / subsurface S<m> position X,Y
 *   frame S<m> WxH                        first buffer, and every size change
 *   commits S<m> N                        every 50th commit of a surface
 *   selection clipboard|primary mimes <m1> <m2> …   (empty: cleared)
 *   fetched clipboard|primary <mime> <bytes> bytes
 *   offered clipboard|primary <mime> <bytes> bytes  (an offer was read)
 *   client connected|gone
 *
 * Control lines on --control FIFO (the compositor keeps it open):
 *   state T<n> fullscreen|maximized|none   configure the toplevel so
 *   close T<n>                             xdg_toplevel.close
 *   focus T<n>                             keyboard enter on its surface
 *   offer clipboard|primary MIME FILE      a selection offer of FILE's bytes
 *   fetch clipboard|primary MIME FILE      read the client's selection into FILE
 *   commits S<m>                           print "commits S<m> N" now
 *
 * Runs until SIGTERM/SIGINT; exit status 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>
#include <xkbcommon/xkbcommon.h>

#include "protocols/primary-selection-unstable-v1-protocol.h"
#include "protocols/xdg-decoration-unstable-v1-protocol.h"
#include "protocols/xdg-shell-protocol.h"

#define CHUNK (64u * 1024u)

enum kind {
	KIND_OTHER,
	KIND_SURFACE,
	KIND_XDG_SURFACE,
	KIND_TOPLEVEL,
	KIND_POPUP,
	KIND_POSITIONER,
	KIND_SUBSURFACE,
	KIND_SOURCE,
	KIND_DATA_DEVICE,
	KIND_PRIMARY_DEVICE,
	KIND_KEYBOARD,
	KIND_DECORATION,
};

struct object {
	struct wl_list link; /* objects */
	struct wl_resource *resource;
	enum kind kind;
	int id; /* S<n>, T<n>, P<n> */
	/* KIND_SURFACE */
	struct wl_resource *pending_buffer;
	bool pending_attach;
	int32_t width, height;
	unsigned commits;
	struct wl_list frames; /* struct frame */
	/* KIND_XDG_SURFACE, KIND_TOPLEVEL, KIND_POPUP, KIND_SUBSURFACE, KIND_DECORATION */
	struct object *surface;  /* the wl_surface (xdg_surface, subsurface) */
	struct object *xdg;      /* the xdg_surface (toplevel, popup) */
	struct object *toplevel; /* the toplevel (decoration) */
	/* KIND_POSITIONER */
	int32_t pw, ph, ax, ay, aw, ah, ox, oy;
	uint32_t anchor, gravity;
	/* KIND_SOURCE */
	struct wl_array mimes; /* char *, strdup'ed */
};

struct frame {
	struct wl_list link;
	struct wl_resource *callback;
};

struct pipe_job {
	struct wl_list link; /* jobs */
	char what[160];
	int fd, file;
	bool writing; /* to a client (an offer's receive) or from one (fetch) */
	size_t done;
	struct wl_event_source *source;
};

static struct wl_list objects, jobs;
static struct wl_event_loop *loop;
static struct wl_display *display;
static struct wl_event_source *frame_timer;
static int next_surface = 1, next_toplevel = 1, next_popup = 1;
static int32_t out_width = 1024, out_height = 640;
static int keymap_fd = -1;
static uint32_t keymap_size;
static struct object *focus; /* a surface */
static struct object *sources[2]; /* current selection sources: clipboard, primary */
static char offer_mime[2][256], offer_file[2][4096]; /* the compositor's own offers */
static bool offer_set[2];
static char control_buf[8192];
static size_t control_len;

static const char *const selection_names[2] = {"clipboard", "primary"};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%lld ", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* A client's string as one line: bytes outside printable ASCII become \xNN. */
static void escape(const char *s, char *out, size_t size)
{
	size_t n = 0;
	if (!s)
		s = "(null)";
	for (; *s && n + 5 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
	}
	out[n] = 0;
}

static bool valid_utf8(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	while (s && *s) {
		uint32_t cp;
		int len;
		if (*s < 0x80) {
			s++;
			continue;
		} else if ((*s & 0xe0) == 0xc0) {
			cp = *s & 0x1f;
			len = 1;
		} else if ((*s & 0xf0) == 0xe0) {
			cp = *s & 0x0f;
			len = 2;
		} else if ((*s & 0xf8) == 0xf0) {
			cp = *s & 0x07;
			len = 3;
		} else {
			return false;
		}
		for (int i = 1; i <= len; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((len == 1 && cp < 0x80) || (len == 2 && cp < 0x800) ||
		    (len == 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += len + 1;
	}
	return true;
}

/* ---- objects ---- */

static int dispatch(const void *impl, void *target, uint32_t opcode, const struct wl_message *msg,
		    union wl_argument *args);

static void object_destroy(struct wl_resource *resource)
{
	struct object *obj = wl_resource_get_user_data(resource);
	struct object *o;
	if (obj->kind == KIND_TOPLEVEL)
		say("toplevel T%d destroyed", obj->id);
	if (obj->kind == KIND_POPUP)
		say("popup P%d destroyed", obj->id);
	wl_list_for_each(o, &objects, link) {
		if (o->surface == obj)
			o->surface = NULL;
		if (o->xdg == obj)
			o->xdg = NULL;
		if (o->toplevel == obj)
			o->toplevel = NULL;
		if (o->pending_buffer == resource)
			o->pending_buffer = NULL;
	}
	if (focus == obj)
		focus = NULL;
	for (int i = 0; i < 2; i++) {
		if (sources[i] == obj) {
			sources[i] = NULL;
			say("selection %s mimes", selection_names[i]);
		}
	}
	struct frame *f, *tmp;
	if (obj->kind == KIND_SURFACE) {
		wl_list_for_each_safe(f, tmp, &obj->frames, link)
			wl_resource_destroy(f->callback); /* unlinks itself */
	}
	char **m;
	/* an array nothing was added to has data NULL: wl_array_for_each would
	 * add 0 to it (undefined; UBSan stops the compositor) */
	if (obj->mimes.size)
		wl_array_for_each(m, &obj->mimes)
			free(*m);
	wl_array_release(&obj->mimes);
	wl_list_remove(&obj->link);
	free(obj);
}

static struct object *object_create(struct wl_client *client, const struct wl_interface *iface,
				    int version, uint32_t id, enum kind kind)
{
	struct object *obj = calloc(1, sizeof(*obj));
	if (!obj) {
		wl_client_post_no_memory(client);
		return NULL;
	}
	obj->resource = wl_resource_create(client, iface, version, id);
	if (!obj->resource) {
		free(obj);
		wl_client_post_no_memory(client);
		return NULL;
	}
	obj->kind = kind;
	wl_list_init(&obj->frames);
	wl_array_init(&obj->mimes);
	if (kind == KIND_SURFACE)
		obj->id = next_surface++;
	wl_list_insert(&objects, &obj->link);
	wl_resource_set_dispatcher(obj->resource, dispatch, NULL, obj, object_destroy);
	return obj;
}

static struct object *object_of(struct wl_resource *resource)
{
	return resource ? wl_resource_get_user_data(resource) : NULL;
}

struct request {
	struct object *obj;
	union wl_argument *args;
	struct object *created;
};

/* ---- surfaces ---- */

static void frame_gone(struct wl_resource *resource)
{
	struct frame *f = wl_resource_get_user_data(resource);
	wl_list_remove(&f->link);
	free(f);
}

static void surface_frame(struct request *r)
{
	/* Not a generic object: a callback with a list link of its own. */
	struct wl_resource *res = r->created->resource;
	struct frame *f = calloc(1, sizeof(*f));
	if (!f) {
		wl_resource_post_no_memory(res);
		return;
	}
	/* Detach the generic object; the callback is tracked by the surface. */
	wl_list_remove(&r->created->link);
	wl_array_release(&r->created->mimes);
	free(r->created);
	r->created = NULL;
	f->callback = res;
	wl_resource_set_implementation(res, NULL, f, frame_gone);
	wl_list_insert(r->obj->frames.prev, &f->link);
}

static void surface_attach(struct request *r)
{
	r->obj->pending_attach = true;
	r->obj->pending_buffer = (struct wl_resource *)r->args[0].o;
}

static int send_frames(void *data)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint32_t now = (uint32_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	struct object *o;
	wl_list_for_each(o, &objects, link) {
		struct frame *f, *tmp;
		if (o->kind != KIND_SURFACE)
			continue;
		wl_list_for_each_safe(f, tmp, &o->frames, link) {
			wl_callback_send_done(f->callback, now);
			wl_resource_destroy(f->callback);
		}
	}
	wl_event_source_timer_update(frame_timer, 16);
	return 0;
}

static void surface_commit(struct request *r)
{
	struct object *s = r->obj;
	if (s->pending_attach && s->pending_buffer) {
		struct wl_shm_buffer *shm = wl_shm_buffer_get(s->pending_buffer);
		int32_t w = shm ? wl_shm_buffer_get_width(shm) : -1;
		int32_t h = shm ? wl_shm_buffer_get_height(shm) : -1;
		if (w != s->width || h != s->height)
			say("frame S%d %dx%d", s->id, w, h);
		s->width = w;
		s->height = h;
		wl_buffer_send_release(s->pending_buffer);
	}
	s->pending_attach = false;
	s->pending_buffer = NULL;
	if (++s->commits % 50 == 0)
		say("commits S%d %u", s->id, s->commits);
}

/* ---- keyboard focus and selections ---- */

static void send_offer(struct object *device, int which)
{
	struct wl_client *client = wl_resource_get_client(device->resource);
	int version = wl_resource_get_version(device->resource);
	struct object *offer;
	if (which == 0) {
		offer = object_create(client, &wl_data_offer_interface, version, 0, KIND_OTHER);
		if (!offer)
			return;
		wl_data_device_send_data_offer(device->resource, offer->resource);
		wl_data_offer_send_offer(offer->resource, offer_mime[0]);
		wl_data_device_send_selection(device->resource, offer->resource);
	} else {
		offer = object_create(client, &zwp_primary_selection_offer_v1_interface, version, 0,
				      KIND_OTHER);
		if (!offer)
			return;
		zwp_primary_selection_device_v1_send_data_offer(device->resource, offer->resource);
		zwp_primary_selection_offer_v1_send_offer(offer->resource, offer_mime[1]);
		zwp_primary_selection_device_v1_send_selection(device->resource, offer->resource);
	}
}

/* Send the compositor's own offers to every device of `client` (NULL: all). */
static void send_offers(struct wl_client *client, int which)
{
	struct object *o;
	wl_list_for_each(o, &objects, link) {
		int w = o->kind == KIND_DATA_DEVICE ? 0 : o->kind == KIND_PRIMARY_DEVICE ? 1 : -1;
		if (w < 0 || (which >= 0 && w != which) || !offer_set[w])
			continue;
		if (client && wl_resource_get_client(o->resource) != client)
			continue;
		send_offer(o, w);
	}
}

static uint32_t next_serial(void)
{
	return wl_display_next_serial(display);
}

static void set_focus(struct object *surface)
{
	struct object *o;
	struct wl_array keys;
	wl_array_init(&keys);
	wl_list_for_each(o, &objects, link) {
		if (o->kind != KIND_KEYBOARD)
			continue;
		struct wl_client *c = wl_resource_get_client(o->resource);
		if (focus && wl_resource_get_client(focus->resource) == c)
			wl_keyboard_send_leave(o->resource, next_serial(), focus->resource);
		if (surface && wl_resource_get_client(surface->resource) == c) {
			wl_keyboard_send_enter(o->resource, next_serial(), surface->resource, &keys);
			wl_keyboard_send_modifiers(o->resource, next_serial(), 0, 0, 0, 0);
		}
	}
	wl_array_release(&keys);
	focus = surface;
	/* A focused client gets the current selection, as real compositors do. */
	if (surface)
		send_offers(wl_resource_get_client(surface->resource), -1);
}

static void seat_get_keyboard(struct request *r)
{
	r->created->kind = KIND_KEYBOARD;
	if (keymap_fd >= 0)
		wl_keyboard_send_keymap(r->created->resource, WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1,
					keymap_fd, keymap_size);
	if (wl_resource_get_version(r->created->resource) >= WL_KEYBOARD_REPEAT_INFO_SINCE_VERSION)
		wl_keyboard_send_repeat_info(r->created->resource, 0, 0);
	if (focus && wl_resource_get_client(focus->resource) ==
			     wl_resource_get_client(r->created->resource)) {
		struct wl_array keys;
		wl_array_init(&keys);
		wl_keyboard_send_enter(r->created->resource, next_serial(), focus->resource, &keys);
		wl_array_release(&keys);
	}
}

static void source_offer(struct request *r)
{
	char **slot = wl_array_add(&r->obj->mimes, sizeof(char *));
	if (slot)
		*slot = strdup(r->args[0].s ? r->args[0].s : "");
}

static void set_selection(struct request *r, int which)
{
	struct object *src = object_of((struct wl_resource *)r->args[0].o);
	struct object *old = sources[which];
	if (old && old != src) {
		if (which == 0)
			wl_data_source_send_cancelled(old->resource);
		else
			zwp_primary_selection_source_v1_send_cancelled(old->resource);
	}
	sources[which] = src;
	char line[8192];
	size_t n = 0;
	line[0] = 0;
	if (src && src->mimes.size) {
		char **m;
		wl_array_for_each(m, &src->mimes) {
			char esc[1024];
			escape(*m, esc, sizeof(esc));
			n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", esc);
			if (n >= sizeof(line))
				break;
		}
	}
	say("selection %s mimes%s", selection_names[which], line);
}

static void data_set_selection(struct request *r)
{
	set_selection(r, 0);
}

static void primary_set_selection(struct request *r)
{
	set_selection(r, 1);
}

static void job_finish(struct pipe_job *job, int err)
{
	if (err)
		say("%s: %s after %zu bytes", job->what, strerror(err), job->done);
	else
		say("%s %zu bytes", job->what, job->done);
	wl_event_source_remove(job->source);
	close(job->fd);
	close(job->file);
	wl_list_remove(&job->link);
	free(job);
}

static int handle_pipe(int fd, uint32_t mask, void *data)
{
	struct pipe_job *job = data;
	char buf[CHUNK];
	for (;;) {
		ssize_t n;
		if (job->writing) {
			ssize_t got = pread(job->file, buf, sizeof(buf), (off_t)job->done);
			if (got <= 0) {
				job_finish(job, got < 0 ? errno : 0);
				return 0;
			}
			n = write(fd, buf, (size_t)got);
		} else {
			n = read(fd, buf, sizeof(buf));
			if (n == 0) {
				job_finish(job, 0);
				return 0;
			}
			if (n > 0 && write(job->file, buf, (size_t)n) != n) {
				job_finish(job, errno ? errno : EIO);
				return 0;
			}
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			job_finish(job, errno);
			return 0;
		}
		job->done += (size_t)n;
	}
}

static void job_start(const char *what, int fd, int file, bool writing)
{
	struct pipe_job *job = calloc(1, sizeof(*job));
	if (!job) {
		close(fd);
		close(file);
		return;
	}
	snprintf(job->what, sizeof(job->what), "%s", what);
	job->fd = fd;
	job->file = file;
	job->writing = writing;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	job->source = wl_event_loop_add_fd(loop, fd, writing ? WL_EVENT_WRITABLE : WL_EVENT_READABLE,
					   handle_pipe, job);
	wl_list_insert(&jobs, &job->link);
}

static void offer_receive(struct request *r, int which)
{
	int fd = r->args[1].h;
	char what[160], esc[100];
	escape(r->args[0].s, esc, sizeof(esc));
	snprintf(what, sizeof(what), "offered %s %s", selection_names[which], esc);
	int file = offer_set[which] ? open(offer_file[which], O_RDONLY | O_CLOEXEC) : -1;
	if (file < 0) {
		say("%s: no file", what);
		close(fd);
		return;
	}
	job_start(what, fd, file, true);
}

static void data_offer_receive(struct request *r)
{
	offer_receive(r, 0);
}

static void primary_offer_receive(struct request *r)
{
	offer_receive(r, 1);
}

static void data_device_created(struct request *r)
{
	r->created->kind = KIND_DATA_DEVICE;
	if (focus && wl_resource_get_client(focus->resource) ==
			     wl_resource_get_client(r->created->resource) && offer_set[0])
		send_offer(r->created, 0);
}

static void primary_device_created(struct request *r)
{
	r->created->kind = KIND_PRIMARY_DEVICE;
	if (focus && wl_resource_get_client(focus->resource) ==
			     wl_resource_get_client(r->created->resource) && offer_set[1])
		send_offer(r->created, 1);
}

/* ---- xdg-shell ---- */

static void configure_toplevel(struct object *t, int32_t w, int32_t h, uint32_t state)
{
	struct wl_array states;
	wl_array_init(&states);
	uint32_t *s;
	if (state && (s = wl_array_add(&states, sizeof(*s))))
		*s = state;
	if ((s = wl_array_add(&states, sizeof(*s))))
		*s = XDG_TOPLEVEL_STATE_ACTIVATED;
	xdg_toplevel_send_configure(t->resource, w, h, &states);
	wl_array_release(&states);
	if (t->xdg)
		xdg_surface_send_configure(t->xdg->resource, next_serial());
}

static void xdg_surface_created(struct request *r)
{
	r->created->kind = KIND_XDG_SURFACE;
	r->created->surface = object_of((struct wl_resource *)r->args[1].o);
}

static void toplevel_created(struct request *r)
{
	struct object *t = r->created;
	t->kind = KIND_TOPLEVEL;
	t->id = next_toplevel++;
	t->xdg = r->obj;
	t->surface = r->obj->surface;
	say("toplevel T%d surface S%d", t->id, t->surface ? t->surface->id : 0);
	configure_toplevel(t, 0, 0, 0);
	if (t->surface)
		set_focus(t->surface);
}

static struct object *toplevel_by_id(int id)
{
	struct object *o;
	wl_list_for_each(o, &objects, link)
		if (o->kind == KIND_TOPLEVEL && o->id == id)
			return o;
	return NULL;
}

static void toplevel_set_title(struct request *r)
{
	static char esc[16384];
	escape(r->args[0].s, esc, sizeof(esc));
	say("toplevel T%d title %s", r->obj->id, esc);
	say("toplevel T%d title-utf8 %s", r->obj->id, valid_utf8(r->args[0].s) ? "valid" : "invalid");
}

static void toplevel_set_app_id(struct request *r)
{
	static char esc[16384];
	escape(r->args[0].s, esc, sizeof(esc));
	say("toplevel T%d app_id %s", r->obj->id, esc);
	say("toplevel T%d app_id-utf8 %s", r->obj->id, valid_utf8(r->args[0].s) ? "valid" : "invalid");
}

static void toplevel_set_parent(struct request *r)
{
	struct object *p = object_of((struct wl_resource *)r->args[0].o);
	if (p)
		say("toplevel T%d parent T%d", r->obj->id, p->id);
	else
		say("toplevel T%d parent none", r->obj->id);
}

static void toplevel_set_fullscreen(struct request *r)
{
	say("toplevel T%d fullscreen", r->obj->id);
	configure_toplevel(r->obj, out_width, out_height, XDG_TOPLEVEL_STATE_FULLSCREEN);
}

static void toplevel_unset_fullscreen(struct request *r)
{
	say("toplevel T%d unfullscreen", r->obj->id);
	configure_toplevel(r->obj, 0, 0, 0);
}

static void toplevel_set_maximized(struct request *r)
{
	say("toplevel T%d maximized", r->obj->id);
	configure_toplevel(r->obj, out_width, out_height, XDG_TOPLEVEL_STATE_MAXIMIZED);
}

static void toplevel_unset_maximized(struct request *r)
{
	say("toplevel T%d unmaximized", r->obj->id);
	configure_toplevel(r->obj, 0, 0, 0);
}

static void toplevel_set_minimized(struct request *r)
{
	say("toplevel T%d minimized", r->obj->id);
}

static void toplevel_min(struct request *r)
{
	say("toplevel T%d min %dx%d", r->obj->id, r->args[0].i, r->args[1].i);
}

static void toplevel_max(struct request *r)
{
	say("toplevel T%d max %dx%d", r->obj->id, r->args[0].i, r->args[1].i);
}

static void toplevel_move(struct request *r)
{
	say("toplevel T%d move", r->obj->id);
}

static void toplevel_resize(struct request *r)
{
	say("toplevel T%d resize %u", r->obj->id, r->args[2].u);
}

static struct object *toplevel_of_xdg(struct object *xdg)
{
	struct object *o;
	wl_list_for_each(o, &objects, link)
		if (o->kind == KIND_TOPLEVEL && o->xdg == xdg)
			return o;
	return NULL;
}

static void xdg_surface_geometry(struct request *r)
{
	struct object *t = toplevel_of_xdg(r->obj);
	if (t)
		say("toplevel T%d geometry %d,%d %dx%d", t->id, r->args[0].i, r->args[1].i,
		    r->args[2].i, r->args[3].i);
}

static void positioner_created(struct request *r)
{
	r->created->kind = KIND_POSITIONER;
	r->created->gravity = XDG_POSITIONER_GRAVITY_NONE;
	r->created->anchor = XDG_POSITIONER_ANCHOR_NONE;
}

static void positioner_size(struct request *r)
{
	r->obj->pw = r->args[0].i;
	r->obj->ph = r->args[1].i;
}

static void positioner_anchor_rect(struct request *r)
{
	r->obj->ax = r->args[0].i;
	r->obj->ay = r->args[1].i;
	r->obj->aw = r->args[2].i;
	r->obj->ah = r->args[3].i;
}

static void positioner_anchor(struct request *r)
{
	r->obj->anchor = r->args[0].u;
}

static void positioner_gravity(struct request *r)
{
	r->obj->gravity = r->args[0].u;
}

static void positioner_offset(struct request *r)
{
	r->obj->ox = r->args[0].i;
	r->obj->oy = r->args[1].i;
}

/* The popup's box relative to its parent, unconstrained (xdg_positioner's rules). */
static void positioner_place(const struct object *p, int32_t *x, int32_t *y)
{
	int32_t px = p->ax + p->aw / 2, py = p->ay + p->ah / 2;
	switch (p->anchor) {
	case XDG_POSITIONER_ANCHOR_TOP_LEFT:
	case XDG_POSITIONER_ANCHOR_LEFT:
	case XDG_POSITIONER_ANCHOR_BOTTOM_LEFT:
		px = p->ax;
		break;
	case XDG_POSITIONER_ANCHOR_TOP_RIGHT:
	case XDG_POSITIONER_ANCHOR_RIGHT:
	case XDG_POSITIONER_ANCHOR_BOTTOM_RIGHT:
		px = p->ax + p->aw;
		break;
	}
	switch (p->anchor) {
	case XDG_POSITIONER_ANCHOR_TOP_LEFT:
	case XDG_POSITIONER_ANCHOR_TOP:
	case XDG_POSITIONER_ANCHOR_TOP_RIGHT:
		py = p->ay;
		break;
	case XDG_POSITIONER_ANCHOR_BOTTOM_LEFT:
	case XDG_POSITIONER_ANCHOR_BOTTOM:
	case XDG_POSITIONER_ANCHOR_BOTTOM_RIGHT:
		py = p->ay + p->ah;
		break;
	}
	int32_t gx = px - p->pw / 2, gy = py - p->ph / 2;
	switch (p->gravity) {
	case XDG_POSITIONER_GRAVITY_TOP_LEFT:
	case XDG_POSITIONER_GRAVITY_LEFT:
	case XDG_POSITIONER_GRAVITY_BOTTOM_LEFT:
		gx = px - p->pw;
		break;
	case XDG_POSITIONER_GRAVITY_TOP_RIGHT:
	case XDG_POSITIONER_GRAVITY_RIGHT:
	case XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT:
		gx = px;
		break;
	}
	switch (p->gravity) {
	case XDG_POSITIONER_GRAVITY_TOP_LEFT:
	case XDG_POSITIONER_GRAVITY_TOP:
	case XDG_POSITIONER_GRAVITY_TOP_RIGHT:
		gy = py - p->ph;
		break;
	case XDG_POSITIONER_GRAVITY_BOTTOM_LEFT:
	case XDG_POSITIONER_GRAVITY_BOTTOM:
	case XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT:
		gy = py;
		break;
	}
	*x = gx + p->ox;
	*y = gy + p->oy;
}

static void popup_say(struct object *popup, struct object *pos, const char *verb)
{
	int32_t x = 0, y = 0;
	if (pos)
		positioner_place(pos, &x, &y);
	struct object *xdg = popup->xdg;
	struct object *parent_xdg = popup->toplevel; /* the parent xdg_surface */
	say("popup P%d surface S%d parent S%d %s %d,%d size %dx%d", popup->id,
	    xdg && xdg->surface ? xdg->surface->id : 0,
	    parent_xdg && parent_xdg->surface ? parent_xdg->surface->id : 0, verb, x, y,
	    pos ? pos->pw : 0, pos ? pos->ph : 0);
	if (pos)
		xdg_popup_send_configure(popup->resource, x, y, pos->pw, pos->ph);
	if (xdg)
		xdg_surface_send_configure(xdg->resource, next_serial());
}

static void popup_created(struct request *r)
{
	struct object *p = r->created;
	p->kind = KIND_POPUP;
	p->id = next_popup++;
	p->xdg = r->obj;
	p->toplevel = object_of((struct wl_resource *)r->args[1].o);
	popup_say(p, object_of((struct wl_resource *)r->args[2].o), "at");
}

static void popup_reposition(struct request *r)
{
	struct object *pos = object_of((struct wl_resource *)r->args[0].o);
	if (wl_resource_get_version(r->obj->resource) >= XDG_POPUP_REPOSITIONED_SINCE_VERSION)
		xdg_popup_send_repositioned(r->obj->resource, r->args[1].u);
	popup_say(r->obj, pos, "moved-to");
}

static void subsurface_created(struct request *r)
{
	struct object *s = r->created;
	s->kind = KIND_SUBSURFACE;
	s->surface = object_of((struct wl_resource *)r->args[1].o);
	struct object *parent = object_of((struct wl_resource *)r->args[2].o);
	say("subsurface S%d parent S%d", s->surface ? s->surface->id : 0, parent ? parent->id : 0);
}

static void subsurface_position(struct request *r)
{
	say("subsurface S%d position %d,%d", r->obj->surface ? r->obj->surface->id : 0, r->args[0].i,
	    r->args[1].i);
}

static void decoration_created(struct request *r)
{
	r->created->kind = KIND_DECORATION;
	r->created->toplevel = object_of((struct wl_resource *)r->args[1].o);
}

static void decoration_mode(struct request *r, uint32_t mode)
{
	struct object *t = r->obj->toplevel;
	say("toplevel T%d decoration %s", t ? t->id : 0,
	    mode == ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE ? "server" : "client");
	zxdg_toplevel_decoration_v1_send_configure(r->obj->resource, mode);
	if (t && t->xdg)
		xdg_surface_send_configure(t->xdg->resource, next_serial());
}

static void decoration_set_mode(struct request *r)
{
	decoration_mode(r, r->args[0].u);
}

static void decoration_unset_mode(struct request *r)
{
	decoration_mode(r, ZXDG_TOPLEVEL_DECORATION_V1_MODE_SERVER_SIDE);
}

static void wm_base_pong(struct request *r)
{
}

/* ---- the dispatcher ---- */

struct handler {
	const char *interface, *message;
	void (*func)(struct request *r);
	enum kind created_kind;
};

static const struct handler handlers[] = {
	{"wl_compositor", "create_surface", NULL, KIND_SURFACE},
	{"wl_surface", "attach", surface_attach, KIND_OTHER},
	{"wl_surface", "frame", surface_frame, KIND_OTHER},
	{"wl_surface", "commit", surface_commit, KIND_OTHER},
	{"wl_seat", "get_keyboard", seat_get_keyboard, KIND_OTHER},
	{"wl_data_device_manager", "create_data_source", NULL, KIND_SOURCE},
	{"wl_data_device_manager", "get_data_device", data_device_created, KIND_OTHER},
	{"wl_data_source", "offer", source_offer, KIND_OTHER},
	{"wl_data_device", "set_selection", data_set_selection, KIND_OTHER},
	{"wl_data_offer", "receive", data_offer_receive, KIND_OTHER},
	{"zwp_primary_selection_device_manager_v1", "create_source", NULL, KIND_SOURCE},
	{"zwp_primary_selection_device_manager_v1", "get_device", primary_device_created,
	 KIND_OTHER},
	{"zwp_primary_selection_source_v1", "offer", source_offer, KIND_OTHER},
	{"zwp_primary_selection_device_v1", "set_selection", primary_set_selection, KIND_OTHER},
	{"zwp_primary_selection_offer_v1", "receive", primary_offer_receive, KIND_OTHER},
	{"xdg_wm_base", "get_xdg_surface", xdg_surface_created, KIND_OTHER},
	{"xdg_wm_base", "create_positioner", positioner_created, KIND_OTHER},
	{"xdg_wm_base", "pong", wm_base_pong, KIND_OTHER},
	{"xdg_positioner", "set_size", positioner_size, KIND_OTHER},
	{"xdg_positioner", "set_anchor_rect", positioner_anchor_rect, KIND_OTHER},
	{"xdg_positioner", "set_anchor", positioner_anchor, KIND_OTHER},
	{"xdg_positioner", "set_gravity", positioner_gravity, KIND_OTHER},
	{"xdg_positioner", "set_offset", positioner_offset, KIND_OTHER},
	{"xdg_surface", "get_toplevel", toplevel_created, KIND_OTHER},
	{"xdg_surface", "get_popup", popup_created, KIND_OTHER},
	{"xdg_surface", "set_window_geometry", xdg_surface_geometry, KIND_OTHER},
	{"xdg_toplevel", "set_title", toplevel_set_title, KIND_OTHER},
	{"xdg_toplevel", "set_app_id", toplevel_set_app_id, KIND_OTHER},
	{"xdg_toplevel", "set_parent", toplevel_set_parent, KIND_OTHER},
	{"xdg_toplevel", "set_fullscreen", toplevel_set_fullscreen, KIND_OTHER},
	{"xdg_toplevel", "unset_fullscreen", toplevel_unset_fullscreen, KIND_OTHER},
	{"xdg_toplevel", "set_maximized", toplevel_set_maximized, KIND_OTHER},
	{"xdg_toplevel", "unset_maximized", toplevel_unset_maximized, KIND_OTHER},
	{"xdg_toplevel", "set_minimized", toplevel_set_minimized, KIND_OTHER},
	{"xdg_toplevel", "set_min_size", toplevel_min, KIND_OTHER},
	{"xdg_toplevel", "set_max_size", toplevel_max, KIND_OTHER},
	{"xdg_toplevel", "move", toplevel_move, KIND_OTHER},
	{"xdg_toplevel", "resize", toplevel_resize, KIND_OTHER},
	{"xdg_popup", "reposition", popup_reposition, KIND_OTHER},
	{"wl_subcompositor", "get_subsurface", subsurface_created, KIND_OTHER},
	{"wl_subsurface", "set_position", subsurface_position, KIND_OTHER},
	{"zxdg_decoration_manager_v1", "get_toplevel_decoration", decoration_created, KIND_OTHER},
	{"zxdg_toplevel_decoration_v1", "set_mode", decoration_set_mode, KIND_OTHER},
	{"zxdg_toplevel_decoration_v1", "unset_mode", decoration_unset_mode, KIND_OTHER},
};

static const struct handler *find_handler(const char *iface, const char *msg)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcmp(handlers[i].interface, iface) == 0 && strcmp(handlers[i].message, msg) == 0)
			return &handlers[i];
	return NULL;
}

static int dispatch(const void *impl, void *target, uint32_t opcode, const struct wl_message *msg,
		    union wl_argument *args)
{
	struct wl_resource *resource = target;
	struct request r = {.obj = wl_resource_get_user_data(resource), .args = args};
	const struct handler *h = find_handler(wl_resource_get_class(resource), msg->name);
	int i = 0;
	for (const char *c = msg->signature; *c; c++) {
		if ((*c >= '0' && *c <= '9') || *c == '?')
			continue;
		if (*c == 'n' && msg->types[i]) {
			r.created = object_create(wl_resource_get_client(resource), msg->types[i],
						  wl_resource_get_version(resource), args[i].n,
						  h ? h->created_kind : KIND_OTHER);
			if (!r.created)
				return 0;
		}
		i++;
	}
	if (h && h->func)
		h->func(&r);
	/* fds: only offer receive takes one (closed there); close the rest */
	if (!(h && (h->func == data_offer_receive || h->func == primary_offer_receive))) {
		i = 0;
		for (const char *c = msg->signature; *c; c++) {
			if ((*c >= '0' && *c <= '9') || *c == '?')
				continue;
			if (*c == 'h')
				close(args[i].h);
			i++;
		}
	}
	if (strcmp(msg->name, "destroy") == 0 || strcmp(msg->name, "release") == 0)
		wl_resource_destroy(resource);
	return 0;
}

/* ---- control ---- */

static void control_line(char *line)
{
	char verb[32] = "", a[256] = "", b[256] = "", c[4096] = "";
	int n = sscanf(line, "%31s %255s %255s %4095s", verb, a, b, c);
	int id = 0;
	if (n >= 2 && (a[0] == 'T' || a[0] == 'S'))
		id = atoi(a + 1);
	if (strcmp(verb, "state") == 0 && n == 3) {
		struct object *t = toplevel_by_id(id);
		if (!t) {
			say("control: no toplevel %s", a);
			return;
		}
		if (strcmp(b, "fullscreen") == 0)
			configure_toplevel(t, out_width, out_height, XDG_TOPLEVEL_STATE_FULLSCREEN);
		else if (strcmp(b, "maximized") == 0)
			configure_toplevel(t, out_width, out_height, XDG_TOPLEVEL_STATE_MAXIMIZED);
		else
			configure_toplevel(t, 0, 0, 0);
		say("control: %s configured %s", a, b);
	} else if (strcmp(verb, "close") == 0 && n == 2) {
		struct object *t = toplevel_by_id(id);
		if (t)
			xdg_toplevel_send_close(t->resource);
		say("control: %s close%s", a, t ? "" : ": no such toplevel");
	} else if (strcmp(verb, "focus") == 0 && n == 2) {
		struct object *t = toplevel_by_id(id);
		if (t && t->surface)
			set_focus(t->surface);
		say("control: %s focus%s", a, t ? "" : ": no such toplevel");
	} else if ((strcmp(verb, "offer") == 0 || strcmp(verb, "fetch") == 0) && n == 4) {
		int which = strcmp(a, "primary") == 0 ? 1 : 0;
		if (strcmp(verb, "offer") == 0) {
			snprintf(offer_mime[which], sizeof(offer_mime[which]), "%s", b);
			snprintf(offer_file[which], sizeof(offer_file[which]), "%s", c);
			offer_set[which] = true;
			/* to the focused client, as a compositor does */
			send_offers(focus ? wl_resource_get_client(focus->resource) : NULL, which);
			say("control: offer %s %s", a, b);
			return;
		}
		struct object *src = sources[which];
		int file = open(c, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		int p[2];
		if (!src || file < 0 || pipe2(p, O_CLOEXEC) < 0) {
			say("fetched %s %s: %s", a, b, !src ? "no selection" : strerror(errno));
			if (file >= 0)
				close(file);
			return;
		}
		if (which == 0)
			wl_data_source_send_send(src->resource, b, p[1]);
		else
			zwp_primary_selection_source_v1_send_send(src->resource, b, p[1]);
		close(p[1]);
		char what[160];
		snprintf(what, sizeof(what), "fetched %s %s", a, b);
		job_start(what, p[0], file, false);
	} else if (strcmp(verb, "commits") == 0 && n == 2) {
		struct object *o;
		unsigned commits = 0;
		wl_list_for_each(o, &objects, link)
			if (o->kind == KIND_SURFACE && o->id == id)
				commits = o->commits;
		say("commits S%d %u", id, commits);
	} else if (n > 0) {
		say("control: unknown: %s", line);
	}
	fflush(stdout);
}

static int handle_control(int fd, uint32_t mask, void *data)
{
	ssize_t n = read(fd, control_buf + control_len, sizeof(control_buf) - 1 - control_len);
	if (n <= 0)
		return 0; /* the fifo is also open for writing here: no EOF */
	control_len += (size_t)n;
	control_buf[control_len] = 0;
	char *start = control_buf, *nl;
	while ((nl = strchr(start, '\n'))) {
		*nl = 0;
		control_line(start);
		start = nl + 1;
	}
	control_len -= (size_t)(start - control_buf);
	memmove(control_buf, start, control_len);
	if (control_len == sizeof(control_buf) - 1)
		control_len = 0;
	return 0;
}

/* ---- globals ---- */

static void bind_global(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	const struct wl_interface *iface = data;
	struct object *obj = object_create(client, iface, (int)version, id, KIND_OTHER);
	if (!obj)
		return;
	if (iface == &wl_seat_interface) {
		wl_seat_send_capabilities(obj->resource, WL_SEAT_CAPABILITY_KEYBOARD |
								 WL_SEAT_CAPABILITY_POINTER);
		if (version >= WL_SEAT_NAME_SINCE_VERSION)
			wl_seat_send_name(obj->resource, "log-compositor-seat");
	} else if (iface == &wl_output_interface) {
		wl_output_send_geometry(obj->resource, 0, 0, out_width * 254 / 960,
					out_height * 254 / 960, WL_OUTPUT_SUBPIXEL_UNKNOWN,
					"vsomm", "log-compositor", WL_OUTPUT_TRANSFORM_NORMAL);
		wl_output_send_mode(obj->resource, WL_OUTPUT_MODE_CURRENT | WL_OUTPUT_MODE_PREFERRED,
				    out_width, out_height, 60000);
		if (version >= WL_OUTPUT_SCALE_SINCE_VERSION)
			wl_output_send_scale(obj->resource, 1);
		if (version >= WL_OUTPUT_DONE_SINCE_VERSION)
			wl_output_send_done(obj->resource);
	}
}

static void make_keymap(void)
{
	struct xkb_context *ctx = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	struct xkb_rule_names names = {.layout = "us"};
	struct xkb_keymap *km = ctx ? xkb_keymap_new_from_names(ctx, &names, 0) : NULL;
	char *str = km ? xkb_keymap_get_as_string(km, XKB_KEYMAP_FORMAT_TEXT_V1) : NULL;
	if (str) {
		keymap_size = (uint32_t)strlen(str) + 1;
		keymap_fd = memfd_create("log-compositor-keymap", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (keymap_fd >= 0 && (write(keymap_fd, str, keymap_size) != (ssize_t)keymap_size ||
				       fcntl(keymap_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
									F_SEAL_WRITE) < 0)) {
			close(keymap_fd);
			keymap_fd = -1;
		}
	}
	if (keymap_fd < 0)
		fprintf(stderr, "log-compositor: no keymap: the seat's keyboard sends none\n");
	free(str);
	xkb_keymap_unref(km);
	xkb_context_unref(ctx);
}

static int handle_signal(int sig, void *data)
{
	wl_display_terminate(data);
	return 0;
}

static void client_gone(struct wl_listener *listener, void *data)
{
	say("client gone");
	wl_list_remove(&listener->link);
	free(listener);
}

static void client_created(struct wl_listener *listener, void *data)
{
	struct wl_listener *l = calloc(1, sizeof(*l));
	say("client connected");
	if (!l)
		return;
	l->notify = client_gone;
	wl_client_add_destroy_listener(data, l);
}

int main(int argc, char **argv)
{
	const char *socket = NULL, *control = NULL;
	bool primary = true;
	const char *usage = "usage: log-compositor --socket NAME [--control FIFO] [--size WxH] "
			    "[--no-primary]\n";
	static const struct option opts[] = {{"socket", required_argument, NULL, 's'},
					     {"control", required_argument, NULL, 'c'},
					     {"size", required_argument, NULL, 'z'},
					     {"no-primary", no_argument, NULL, 'p'},
					     {0}};
	int opt;
	while ((opt = getopt_long(argc, argv, "s:c:z:p", opts, NULL)) != -1) {
		if (opt == 's') {
			socket = optarg;
		} else if (opt == 'c') {
			control = optarg;
		} else if (opt == 'z') {
			if (sscanf(optarg, "%dx%d", &out_width, &out_height) != 2 || out_width <= 0 ||
			    out_height <= 0) {
				fprintf(stderr, "%s", usage);
				return 2;
			}
		} else if (opt == 'p') {
			primary = false;
		} else {
			fprintf(stderr, "%s", usage);
			return 2;
		}
	}
	if (!socket) {
		fprintf(stderr, "%s", usage);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	wl_list_init(&objects);
	wl_list_init(&jobs);
	make_keymap();

	display = wl_display_create();
	if (!display)
		return 1;
	loop = wl_display_get_event_loop(display);
	struct {
		const struct wl_interface *iface;
		int version;
		bool on;
	} globals[] = {
		{&wl_compositor_interface, 4, true},
		{&wl_subcompositor_interface, 1, true},
		{&wl_output_interface, 3, true},
		{&wl_seat_interface, 5, true},
		{&wl_data_device_manager_interface, 3, true},
		{&zwp_primary_selection_device_manager_v1_interface, 1, primary},
		{&xdg_wm_base_interface, 3, true},
		{&zxdg_decoration_manager_v1_interface, 1, true},
	};
	for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++) {
		if (globals[i].on && !wl_global_create(display, globals[i].iface, globals[i].version,
						       (void *)globals[i].iface, bind_global))
			return 1;
	}
	struct wl_listener created = {.notify = client_created};
	wl_display_add_client_created_listener(display, &created);
	if (wl_display_init_shm(display) < 0 || wl_display_add_socket(display, socket) < 0) {
		fprintf(stderr, "log-compositor: cannot serve %s: %s\n", socket, strerror(errno));
		return 1;
	}
	int control_fd = -1;
	struct wl_event_source *control_source = NULL;
	if (control) {
		/* O_RDWR: the fifo never reports EOF when a writer goes away */
		control_fd = open(control, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (control_fd < 0) {
			fprintf(stderr, "log-compositor: %s: %s\n", control, strerror(errno));
			return 1;
		}
		control_source = wl_event_loop_add_fd(loop, control_fd, WL_EVENT_READABLE,
						      handle_control, NULL);
	}
	/* frame callbacks are done every 16 ms, like a 60 Hz output */
	frame_timer = wl_event_loop_add_timer(loop, send_frames, NULL);
	wl_event_source_timer_update(frame_timer, 16);
	struct wl_event_source *sigterm = wl_event_loop_add_signal(loop, SIGTERM, handle_signal, display);
	struct wl_event_source *sigint = wl_event_loop_add_signal(loop, SIGINT, handle_signal, display);
	say("ready on %s", socket);
	wl_display_run(display);

	wl_event_source_remove(sigterm);
	wl_event_source_remove(sigint);
	if (control_source)
		wl_event_source_remove(control_source);
	if (control_fd >= 0)
		close(control_fd);
	wl_display_destroy_clients(display);
	struct pipe_job *job, *tmp;
	wl_list_for_each_safe(job, tmp, &jobs, link)
		job_finish(job, ECANCELED);
	wl_event_source_remove(frame_timer);
	wl_display_destroy(display);
	if (keymap_fd >= 0)
		close(keymap_fd);
	return 0;
}
