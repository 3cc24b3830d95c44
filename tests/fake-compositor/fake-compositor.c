// SPDX-License-Identifier: MIT
/*
 * fake-compositor: a scripted host compositor for the protocol tests of vsomm:
 * it checks what vsomm sent (fds, their content, exact damage), which a real
 * Weston cannot show.
 *
 *   fake-compositor --socket NAME [--script hog|partial]   (NAME in $XDG_RUNTIME_DIR)
 *
 * Globals: wl_compositor, wl_shm (libwayland's own: ARGB8888, XRGB8888),
 * wl_seat (keyboard), wl_data_device_manager,
 * zwp_primary_selection_device_manager_v1, zwp_linux_dmabuf_v1 (v3),
 * xdg_wm_base.  Every request is handled by one generic dispatcher that logs it,
 * creates the objects of new_id arguments and destroys on destroy/release; a
 * small table adds the scripted behaviour:
 *
 *  - wl_seat.get_keyboard: keymap event, a sealed memfd of FC_KEYMAP_SIZE bytes;
 *  - get_data_device / get_device (primary): an offer of FC_MIME as selection;
 *    its receive() writes FC_PIPE_BYTES of a pattern into the given fd;
 *  - set_selection(source): source.send() with a pipe, read back and checked
 *    byte for byte, then source.cancelled (which tells the guest it is done);
 *  - zwp_linux_buffer_params_v1: add() recorded (fd, plane, offset, stride,
 *    modifier) and checked on create/create_immed; on commits of that buffer the
 *    fd's content is checked and that it is the guest's own memory (same inode as
 *    announced in the toplevel title, a guest write after commit 1 seen);
 *  - wl_shm buffers of FC_SHM_WIDTH×FC_SHM_HEIGHT: the pixels of both commits;
 *  - XRGB8888 buffers of FC_LINEAR_WIDTH×FC_LINEAR_HEIGHT, dmabuf or wl_shm: each
 *    committed frame's hash ("frame N hash H (dmabuf|shm)"), which the test
 *    compares between a direct run and runs through vsomm.
 *
 * --script hog: offers write FC_HOG_BYTES (the guest never reads them);
 * --script partial: offers write FC_BIG_BYTES (the guest closes its read end
 * early) and a source's pipe is closed after FC_PARTIAL_BYTES.  A writer whose
 * reader went away (EPIPE) reports how far it got.
 *
 * It prints "PASS <what>" or "FAIL <what>" lines on stdout (line-buffered); the
 * test wrapper checks them.  Runs until SIGTERM/SIGINT.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include "protocols/linux-dmabuf-unstable-v1-protocol.h"
#include "protocols/primary-selection-unstable-v1-protocol.h"
#include "protocols/xdg-shell-protocol.h"
#include "tests/fake-compositor/fake-compositor.h"

#define MAX_PLANES 4
#define PIPE_CHUNK (64u * 1024u)

enum kind {
	KIND_OTHER,
	KIND_SURFACE,
	KIND_PARAMS,
	KIND_DMABUF,
	KIND_SOURCE, /* wl_data_source or zwp_primary_selection_source_v1 */
};

struct plane {
	bool set;
	int fd;
	uint32_t offset, stride;
	uint64_t modifier;
};

struct object {
	struct wl_list link; /* objects */
	struct wl_resource *resource;
	enum kind kind;
	/* KIND_PARAMS, KIND_DMABUF */
	struct plane planes[MAX_PLANES];
	uint32_t format;
	int commits;
	/* KIND_SURFACE */
	struct wl_resource *pending_buffer, *buffer;
	bool pending_attach;
	int shm_commits;
};

struct pipe_job {
	struct wl_list link; /* jobs */
	const char *what;
	int fd;
	bool writing;
	uint32_t seed;
	size_t total; /* bytes to write, or to read before closing */
	size_t done;
	size_t mismatches;
	struct wl_event_source *source;
	struct wl_resource *cancel; /* a source to send cancelled to at the end, or NULL */
};

static struct wl_list objects, jobs;
static struct wl_event_loop *loop;
static int failures;
static bool dmabuf_ino_known;
static uint64_t dmabuf_dev, dmabuf_ino;
static size_t offer_bytes = FC_PIPE_BYTES, source_bytes = FC_PIPE_BYTES;
static bool source_close_early;

static void report(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void report(bool ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s ", ok ? "PASS" : "FAIL");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	if (!ok)
		failures++;
}

/* ---- pipes ---- */

/* err: the errno that ended the job, or 0 */
static void job_finish(struct pipe_job *job, int err)
{
	if (job->writing && err == EPIPE) {
		report(true, "%s: the reader went away after %zu of %zu bytes", job->what,
		       job->done, job->total);
	} else if (job->writing) {
		report(job->done == job->total && !err, "%s wrote %zu bytes", job->what, job->done);
	} else {
		if (source_close_early)
			report(job->done == job->total && job->mismatches == 0 && !err,
			       "%s closed after %zu bytes, %zu differ", job->what, job->done,
			       job->mismatches);
		else
			report(job->done == job->total && job->mismatches == 0 && !err,
			       "%s read %zu bytes, %zu differ", job->what, job->done,
			       job->mismatches);
		if (job->cancel) {
			if (wl_resource_instance_of(job->cancel, &wl_data_source_interface, NULL))
				wl_data_source_send_cancelled(job->cancel);
			else
				zwp_primary_selection_source_v1_send_cancelled(job->cancel);
		}
	}
	wl_event_source_remove(job->source);
	close(job->fd);
	wl_list_remove(&job->link);
	free(job);
}

static int handle_pipe(int fd, uint32_t mask, void *data)
{
	struct pipe_job *job = data;
	uint8_t buf[PIPE_CHUNK];
	for (;;) {
		ssize_t n;
		size_t len = job->total - job->done;
		if (len > sizeof(buf))
			len = sizeof(buf);
		if (job->writing) {
			if (len == 0) {
				job_finish(job, 0);
				return 0;
			}
			for (size_t i = 0; i < len; i++)
				buf[i] = fc_pattern(job->seed, job->done + i);
			n = write(fd, buf, len);
		} else {
			if (source_close_early && len == 0) {
				job_finish(job, 0); /* closes the read end under the writer */
				return 0;
			}
			n = read(fd, buf, source_close_early ? len : sizeof(buf));
			if (n == 0) {
				job_finish(job, 0);
				return 0;
			}
			for (ssize_t i = 0; i < n; i++)
				if (job->done + (size_t)i >= job->total ||
				    buf[i] != fc_pattern(job->seed, job->done + (size_t)i))
					job->mismatches++;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			int err = errno;
			printf("%s: %s\n", job->what, strerror(err));
			job_finish(job, err);
			return 0;
		}
		job->done += (size_t)n;
	}
}

static void job_start(const char *what, int fd, bool writing, uint32_t seed, size_t total,
		      struct wl_resource *cancel)
{
	struct pipe_job *job = calloc(1, sizeof(*job));
	if (!job) {
		close(fd);
		report(false, "%s: out of memory", what);
		return;
	}
	job->what = what;
	job->fd = fd;
	job->writing = writing;
	job->seed = seed;
	job->total = total;
	job->cancel = cancel;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	job->source = wl_event_loop_add_fd(
		loop, fd, writing ? WL_EVENT_WRITABLE : WL_EVENT_READABLE, handle_pipe, job);
	wl_list_insert(&jobs, &job->link);
}

/* ---- the generic dispatcher ---- */

struct request {
	struct object *obj;
	union wl_argument *args;
	struct object *created; /* the object of the request's new_id, if any */
};

static int dispatch(const void *impl, void *target, uint32_t opcode, const struct wl_message *msg,
		    union wl_argument *args);

static void object_destroy(struct wl_resource *resource)
{
	struct object *obj = wl_resource_get_user_data(resource);
	struct object *o;
	wl_list_for_each(o, &objects, link) {
		if (o->pending_buffer == resource)
			o->pending_buffer = NULL;
		if (o->buffer == resource)
			o->buffer = NULL;
	}
	struct pipe_job *job;
	wl_list_for_each(job, &jobs, link)
		if (job->cancel == resource)
			job->cancel = NULL;
	for (int i = 0; i < MAX_PLANES; i++)
		if (obj->planes[i].set)
			close(obj->planes[i].fd);
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
	wl_list_insert(&objects, &obj->link);
	wl_resource_set_dispatcher(obj->resource, dispatch, NULL, obj, object_destroy);
	return obj;
}

/* ---- scripted behaviour ---- */

static void seat_get_keyboard(struct request *r)
{
	int fd = memfd_create("fake-compositor-keymap", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	uint8_t buf[FC_KEYMAP_SIZE];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = fc_pattern(FC_SEED_KEYMAP, i);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		report(false, "keymap memfd: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	wl_keyboard_send_keymap(r->created->resource, WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1, fd,
				FC_KEYMAP_SIZE);
	close(fd);
	report(true, "keymap sent (%u bytes)", FC_KEYMAP_SIZE);
}

static void data_device_offer(struct request *r)
{
	struct wl_resource *dev = r->created->resource;
	struct object *offer = object_create(wl_resource_get_client(dev), &wl_data_offer_interface,
					     wl_resource_get_version(dev), 0, KIND_OTHER);
	if (!offer)
		return;
	wl_data_device_send_data_offer(dev, offer->resource);
	wl_data_offer_send_offer(offer->resource, FC_MIME);
	wl_data_device_send_selection(dev, offer->resource);
}

static void primary_device_offer(struct request *r)
{
	struct wl_resource *dev = r->created->resource;
	struct object *offer = object_create(wl_resource_get_client(dev),
					     &zwp_primary_selection_offer_v1_interface,
					     wl_resource_get_version(dev), 0, KIND_OTHER);
	if (!offer)
		return;
	zwp_primary_selection_device_v1_send_data_offer(dev, offer->resource);
	zwp_primary_selection_offer_v1_send_offer(offer->resource, FC_MIME);
	zwp_primary_selection_device_v1_send_selection(dev, offer->resource);
}

static void offer_receive(struct request *r)
{
	bool primary = wl_resource_instance_of(r->obj->resource,
					       &zwp_primary_selection_offer_v1_interface, NULL);
	job_start(primary ? "primary-offer" : "data-offer", r->args[1].h, true,
		  primary ? FC_SEED_PRIMARY_OFFER : FC_SEED_OFFER, offer_bytes, NULL);
}

static void set_selection(struct request *r)
{
	struct wl_resource *source = (struct wl_resource *)r->args[0].o;
	if (!source)
		return;
	bool primary = wl_resource_instance_of(source, &zwp_primary_selection_source_v1_interface,
					       NULL);
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		report(false, "pipe: %s", strerror(errno));
		return;
	}
	if (primary)
		zwp_primary_selection_source_v1_send_send(source, FC_MIME, p[1]);
	else
		wl_data_source_send_send(source, FC_MIME, p[1]);
	close(p[1]);
	job_start(primary ? "primary-source" : "data-source", p[0], false,
		  primary ? FC_SEED_PRIMARY_SOURCE : FC_SEED_SOURCE, source_bytes, source);
}

static void toplevel_created(struct request *r)
{
	struct wl_array states;
	wl_array_init(&states);
	xdg_toplevel_send_configure(r->created->resource, 0, 0, &states);
	wl_array_release(&states);
	xdg_surface_send_configure(r->obj->resource, 1);
}

static void toplevel_set_title(struct request *r)
{
	const char *title = r->args[0].s;
	unsigned long long dev, ino;
	printf("title: %s\n", title ? title : "(null)");
	if (title && sscanf(title, FC_DMABUF_TITLE " %llu:%llu", &dev, &ino) == 2) {
		dmabuf_ino_known = true;
		dmabuf_dev = dev;
		dmabuf_ino = ino;
	}
}

static void params_add(struct request *r)
{
	int fd = r->args[0].h;
	uint32_t idx = r->args[1].u;
	uint64_t modifier = (uint64_t)r->args[4].u << 32 | r->args[5].u;
	struct stat st = {0};
	fstat(fd, &st);
	printf("dmabuf: add fd (ino %llu) plane %u offset %u stride %u modifier 0x%016" PRIx64 "\n",
	       (unsigned long long)st.st_ino, idx, r->args[2].u, r->args[3].u, modifier);
	if (idx >= MAX_PLANES || r->obj->planes[idx].set) {
		close(fd);
		wl_resource_post_error(r->obj->resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_SET,
				       "bad plane %u", idx);
		return;
	}
	r->obj->planes[idx] = (struct plane){.set = true,
					     .fd = fd,
					     .offset = r->args[2].u,
					     .stride = r->args[3].u,
					     .modifier = modifier};
}

static bool same_memory(int fd)
{
	struct stat st;
	return dmabuf_ino_known && fstat(fd, &st) == 0 && (uint64_t)st.st_dev == dmabuf_dev &&
	       (uint64_t)st.st_ino == dmabuf_ino;
}

/* Move the planes to `buffer` and check them against fake-compositor.h. */
static void params_to_buffer(struct object *params, struct object *buffer, int32_t w, int32_t h,
			     uint32_t format)
{
	memcpy(buffer->planes, params->planes, sizeof(buffer->planes));
	memset(params->planes, 0, sizeof(params->planes));
	buffer->format = format;
	const struct plane *p = buffer->planes;
	if (format == FC_DRM_FORMAT_XRGB8888) {
		/* dmabuf-linear: checked by what it shows (frame hashes) */
		report(w == FC_LINEAR_WIDTH && h == FC_LINEAR_HEIGHT && p[0].set && !p[1].set &&
			       p[0].offset == FC_LINEAR_OFFSET && p[0].stride == FC_LINEAR_STRIDE &&
			       p[0].modifier == 0,
		       "dmabuf-linear params: %dx%d offset %u stride %u modifier 0x%" PRIx64, w, h,
		       p[0].offset, p[0].stride, p[0].modifier);
		return;
	}
	bool ok = w == FC_DMABUF_WIDTH && h == FC_DMABUF_HEIGHT && format == FC_DRM_FORMAT_NV12 &&
		  p[0].set && p[1].set && !p[2].set && !p[3].set && p[0].offset == 0 &&
		  p[0].stride == FC_DMABUF_STRIDE0 && p[1].offset == FC_DMABUF_OFFSET1 &&
		  p[1].stride == FC_DMABUF_STRIDE1 && p[0].modifier == FC_DMABUF_MODIFIER &&
		  p[1].modifier == FC_DMABUF_MODIFIER;
	report(ok,
	       "dmabuf params: %dx%d format 0x%08x, planes 0 (offset %u stride %u) and 1 "
	       "(offset %u stride %u), modifier 0x%016" PRIx64,
	       w, h, format, p[0].offset, p[0].stride, p[1].offset, p[1].stride, p[0].modifier);
	report(p[0].set && p[1].set && same_memory(p[0].fd) && same_memory(p[1].fd),
	       "dmabuf planes are the guest's memfd (dev:ino %llu:%llu)",
	       (unsigned long long)dmabuf_dev, (unsigned long long)dmabuf_ino);
}

static void params_create_immed(struct request *r)
{
	r->created->kind = KIND_DMABUF;
	params_to_buffer(r->obj, r->created, r->args[1].i, r->args[2].i, r->args[3].u);
}

static void params_create(struct request *r)
{
	struct wl_client *client = wl_resource_get_client(r->obj->resource);
	struct object *buffer = object_create(client, &wl_buffer_interface, 1, 0, KIND_DMABUF);
	if (!buffer)
		return;
	params_to_buffer(r->obj, buffer, r->args[0].i, r->args[1].i, r->args[2].u);
	zwp_linux_buffer_params_v1_send_created(r->obj->resource, buffer->resource);
}

static void surface_attach(struct request *r)
{
	r->obj->pending_attach = true;
	r->obj->pending_buffer = (struct wl_resource *)r->args[0].o;
}

static void surface_frame(struct request *r)
{
	wl_callback_send_done(r->created->resource, 0);
	wl_resource_destroy(r->created->resource);
}

static int linear_frames;

static void linear_frame(const uint8_t *data, uint32_t stride, const char *kind)
{
	printf("frame %d hash 0x%016" PRIx64 " (%s)\n", ++linear_frames,
	       fc_image_hash(data, stride, FC_LINEAR_WIDTH, FC_LINEAR_HEIGHT), kind);
}

static void check_dmabuf(struct object *buf)
{
	if (buf->format == FC_DRM_FORMAT_XRGB8888) {
		const struct plane *p = &buf->planes[0];
		uint8_t *map = mmap(NULL, FC_LINEAR_SIZE, PROT_READ, MAP_SHARED, p->fd, 0);
		if (map == MAP_FAILED) {
			report(false, "dmabuf-linear mmap: %s", strerror(errno));
			return;
		}
		linear_frame(map + p->offset, p->stride, "dmabuf");
		munmap(map, FC_LINEAR_SIZE);
		return;
	}
	buf->commits++;
	int fd = buf->planes[0].fd;
	struct stat st = {0};
	if (fstat(fd, &st) < 0 || st.st_size != FC_DMABUF_SIZE) {
		report(false, "dmabuf fd size %lld", (long long)st.st_size);
		return;
	}
	uint8_t *map = mmap(NULL, FC_DMABUF_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		report(false, "dmabuf mmap: %s", strerror(errno));
		return;
	}
	size_t mark = sizeof(FC_DMABUF_MARK) - 1;
	if (buf->commits == 1) {
		size_t bad = 0;
		for (size_t i = 0; i < FC_DMABUF_SIZE; i++)
			bad += map[i] != fc_pattern(FC_SEED_DMABUF, i);
		report(bad == 0, "dmabuf content on commit 1 (%zu of %u bytes differ)", bad,
		       FC_DMABUF_SIZE);
	} else if (buf->commits == 2) {
		report(memcmp(map + FC_DMABUF_MARK_OFFSET, FC_DMABUF_MARK, mark) == 0,
		       "dmabuf: the guest's write after commit 1 is seen (same memory, never copied)");
	}
	munmap(map, FC_DMABUF_SIZE);
}

static uint32_t pixel(const uint8_t *data, int32_t stride, int x, int y)
{
	uint32_t px;
	memcpy(&px, data + (size_t)y * (size_t)stride + (size_t)x * 4, 4);
	return px;
}

static void check_shm(struct object *surface, struct wl_shm_buffer *shm)
{
	int32_t w = wl_shm_buffer_get_width(shm), h = wl_shm_buffer_get_height(shm);
	int32_t stride = wl_shm_buffer_get_stride(shm);
	if (w == FC_LINEAR_WIDTH && h == FC_LINEAR_HEIGHT &&
	    wl_shm_buffer_get_format(shm) == WL_SHM_FORMAT_XRGB8888) {
		wl_shm_buffer_begin_access(shm);
		linear_frame(wl_shm_buffer_get_data(shm), (uint32_t)stride, "shm");
		wl_shm_buffer_end_access(shm);
		return;
	}
	if (w != FC_SHM_WIDTH || h != FC_SHM_HEIGHT)
		return;
	int n = ++surface->shm_commits;
	wl_shm_buffer_begin_access(shm);
	const uint8_t *data = wl_shm_buffer_get_data(shm);
	size_t bad = 0;
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++) {
			bool in_rect = x >= FC_SHM_RECT_X && x < FC_SHM_RECT_X + FC_SHM_RECT_SIZE &&
				       y >= FC_SHM_RECT_Y && y < FC_SHM_RECT_Y + FC_SHM_RECT_SIZE;
			uint32_t want = n >= 2 && in_rect ? FC_SHM_COLOR2 : FC_SHM_COLOR1;
			bad += pixel(data, stride, x, y) != want;
		}
	}
	wl_shm_buffer_end_access(shm);
	report(bad == 0, "shm commit %d: %zu pixels differ from what was damaged", n, bad);
}

static void surface_commit(struct request *r)
{
	struct object *s = r->obj;
	if (s->pending_attach)
		s->buffer = s->pending_buffer;
	s->pending_attach = false;
	s->pending_buffer = NULL;
	if (!s->buffer)
		return;
	struct wl_shm_buffer *shm = wl_shm_buffer_get(s->buffer);
	if (shm) {
		check_shm(s, shm);
		wl_buffer_send_release(s->buffer);
		return;
	}
	struct object *buf = wl_resource_get_user_data(s->buffer);
	if (buf && buf->kind == KIND_DMABUF)
		check_dmabuf(buf);
}

struct handler {
	const char *interface, *message;
	void (*func)(struct request *r);
	enum kind created_kind;
};

static const struct handler handlers[] = {
	{"wl_seat", "get_keyboard", seat_get_keyboard, KIND_OTHER},
	{"wl_compositor", "create_surface", NULL, KIND_SURFACE},
	{"wl_surface", "attach", surface_attach, KIND_OTHER},
	{"wl_surface", "frame", surface_frame, KIND_OTHER},
	{"wl_surface", "commit", surface_commit, KIND_OTHER},
	{"wl_data_device_manager", "create_data_source", NULL, KIND_SOURCE},
	{"wl_data_device_manager", "get_data_device", data_device_offer, KIND_OTHER},
	{"wl_data_device", "set_selection", set_selection, KIND_OTHER},
	{"wl_data_offer", "receive", offer_receive, KIND_OTHER},
	{"zwp_primary_selection_device_manager_v1", "create_source", NULL, KIND_SOURCE},
	{"zwp_primary_selection_device_manager_v1", "get_device", primary_device_offer, KIND_OTHER},
	{"zwp_primary_selection_device_v1", "set_selection", set_selection, KIND_OTHER},
	{"zwp_primary_selection_offer_v1", "receive", offer_receive, KIND_OTHER},
	{"zwp_linux_dmabuf_v1", "create_params", NULL, KIND_PARAMS},
	{"zwp_linux_buffer_params_v1", "add", params_add, KIND_OTHER},
	{"zwp_linux_buffer_params_v1", "create", params_create, KIND_OTHER},
	{"zwp_linux_buffer_params_v1", "create_immed", params_create_immed, KIND_OTHER},
	{"xdg_surface", "get_toplevel", toplevel_created, KIND_OTHER},
	{"xdg_toplevel", "set_title", toplevel_set_title, KIND_OTHER},
};

static const struct handler *find_handler(const char *iface, const char *msg)
{
	for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcmp(handlers[i].interface, iface) == 0 &&
		    strcmp(handlers[i].message, msg) == 0)
			return &handlers[i];
	return NULL;
}

static int dispatch(const void *impl, void *target, uint32_t opcode, const struct wl_message *msg,
		    union wl_argument *args)
{
	struct wl_resource *resource = target;
	struct request r = {.obj = wl_resource_get_user_data(resource), .args = args};
	const char *iface = wl_resource_get_class(resource);
	const struct handler *h = find_handler(iface, msg->name);
	printf("request: %s@%u.%s\n", iface, wl_resource_get_id(resource), msg->name);

	int i = 0;
	for (const char *c = msg->signature; *c; c++) {
		if (*c >= '0' && *c <= '9')
			continue;
		if (*c == '?')
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
	if (h && h->func) {
		h->func(&r); /* takes the fds */
	} else {
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

/* ---- globals ---- */

static void bind_global(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	const struct wl_interface *iface = data;
	struct object *obj = object_create(client, iface, (int)version, id, KIND_OTHER);
	if (!obj)
		return;
	printf("bind: %s v%u\n", iface->name, version);
	if (iface == &wl_seat_interface) {
		wl_seat_send_capabilities(obj->resource, WL_SEAT_CAPABILITY_KEYBOARD);
		if (version >= WL_SEAT_NAME_SINCE_VERSION)
			wl_seat_send_name(obj->resource, "fake-compositor-seat");
	} else if (iface == &zwp_linux_dmabuf_v1_interface) {
		static const uint32_t formats[] = {FC_DRM_FORMAT_XRGB8888, FC_DRM_FORMAT_NV12};
		for (size_t i = 0; i < 2; i++) {
			zwp_linux_dmabuf_v1_send_format(obj->resource, formats[i]);
			if (version >= ZWP_LINUX_DMABUF_V1_MODIFIER_SINCE_VERSION)
				zwp_linux_dmabuf_v1_send_modifier(obj->resource, formats[i],
								  FC_DMABUF_MODIFIER >> 32,
								  FC_DMABUF_MODIFIER & 0xffffffffu);
		}
	}
}

static int handle_signal(int sig, void *data)
{
	wl_display_terminate(data);
	return 0;
}

int main(int argc, char **argv)
{
	const char *socket = NULL;
	const char *usage = "usage: fake-compositor --socket NAME [--script hog|partial]\n";
	static const struct option opts[] = {{"socket", required_argument, NULL, 's'},
					     {"script", required_argument, NULL, 'S'},
					     {0}};
	int opt;
	while ((opt = getopt_long(argc, argv, "s:S:", opts, NULL)) != -1) {
		if (opt == 's') {
			socket = optarg;
		} else if (opt == 'S' && strcmp(optarg, "hog") == 0) {
			offer_bytes = FC_HOG_BYTES;
		} else if (opt == 'S' && strcmp(optarg, "partial") == 0) {
			offer_bytes = FC_BIG_BYTES;
			source_bytes = FC_PARTIAL_BYTES;
			source_close_early = true;
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

	struct wl_display *display = wl_display_create();
	if (!display)
		return 1;
	loop = wl_display_get_event_loop(display);
	struct {
		const struct wl_interface *iface;
		int version;
	} globals[] = {
		{&wl_compositor_interface, 4},
		{&wl_seat_interface, 5},
		{&wl_data_device_manager_interface, 3},
		{&zwp_primary_selection_device_manager_v1_interface, 1},
		{&zwp_linux_dmabuf_v1_interface, 3},
		{&xdg_wm_base_interface, 2},
	};
	for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++) {
		if (!wl_global_create(display, globals[i].iface, globals[i].version,
				      (void *)globals[i].iface, bind_global))
			return 1;
	}
	/* libwayland's wl_shm: ARGB8888 and XRGB8888, SIGBUS-safe access */
	if (wl_display_init_shm(display) < 0 || wl_display_add_socket(display, socket) < 0) {
		fprintf(stderr, "fake-compositor: cannot serve %s: %s\n", socket, strerror(errno));
		return 1;
	}
	struct wl_event_source *sigterm = wl_event_loop_add_signal(loop, SIGTERM, handle_signal,
								   display);
	struct wl_event_source *sigint = wl_event_loop_add_signal(loop, SIGINT, handle_signal,
								  display);
	printf("ready on %s\n", socket);
	wl_display_run(display);

	wl_event_source_remove(sigterm);
	wl_event_source_remove(sigint);
	wl_display_destroy_clients(display);
	struct pipe_job *job, *tmp;
	wl_list_for_each_safe(job, tmp, &jobs, link) {
		report(false, "%s unfinished after %zu bytes", job->what, job->done);
		wl_event_source_remove(job->source);
		close(job->fd);
		wl_list_remove(&job->link);
		free(job);
	}
	wl_display_destroy(display);
	printf("exit: %d failures\n", failures);
	return failures ? 1 : 0;
}
