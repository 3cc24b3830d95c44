/* SPDX-License-Identifier: MIT */
/*
 * zwp_linux_dmabuf_v1: guest dmabufs the host cannot take are copied.
 *
 * A guest dmabuf normally goes to the host by resource id, never copied
 * (architecture.md §2).  That needs memory the host can name: rutabaga
 * (crosvm, QEMU), vsomm-host --strict and any drm device fail a whole SEND
 * that names guest memory (a GUEST blob: docs/cross-domain.md §9), so there a
 * buffer made of guest memory (proxy_backend.memory_needs_copy) takes the
 * wl_shm copy path instead: its planes stay here, the buffer is a copy of the
 * plane mapped read-only (proxy_shm_copy_buffer_create: a HOST3D shadow and a
 * host wl_shm buffer over it, damaged rows copied on commit), and the host
 * never sees the params' planes.
 *
 * The copy knows single-plane linear layouts only: ARGB8888 and XRGB8888,
 * which every host's wl_shm takes, with the linear (or the implicit)
 * modifier and no flags.  Anything else made of guest memory is refused as
 * the protocol allows for a buffer the compositor cannot import: `failed`
 * after create, `failed` and an inert wl_buffer after create_immed; the
 * client's own mistakes (plane index, plane set twice, size, bounds) are the
 * protocol's errors.  Never a GUEST blob in a SEND.
 *
 * A params object whose first plane the host can take (a resource with host
 * memory) is forwarded as it always was.  Without memory_needs_copy (a host
 * socket that carries fds) everything here steps aside.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "protocols/linux-dmabuf-unstable-v1-protocol.h"
#include "util/log.h"
#include "proxy/proxy-private.h"

#define MAX_PLANES 4
#define DRM_FORMAT_ARGB8888 0x34325241u
#define DRM_FORMAT_XRGB8888 0x34325258u
#define DRM_FORMAT_MOD_LINEAR 0ull
#define DRM_FORMAT_MOD_INVALID 0x00ffffffffffffffull /* implicit: linear for plain memory */

struct dmabuf_plane {
	int fd;
	uint32_t offset, stride;
	uint64_t modifier;
};

struct dmabuf_params {
	bool copy;          /* planes are kept here for a copy, never forwarded */
	bool used;          /* create or create_immed seen (in copy mode) */
	uint32_t set;       /* plane bits given, kept or forwarded */
	uint32_t forwarded; /* plane bits the host already has */
	struct dmabuf_plane planes[MAX_PLANES];
};

static bool copy_enabled(const struct proxy_object *object)
{
	const struct proxy_backend *backend = &object->client->proxy->backend;
	return backend->memory_needs_copy && backend->alloc_shadow;
}

static void handle_params_destroy(struct proxy_object *object)
{
	struct dmabuf_params *params = object->hook_data;
	for (int i = 0; i < MAX_PLANES; i++)
		if (params->planes[i].fd >= 0)
			close(params->planes[i].fd);
	free(params);
}

static struct dmabuf_params *params_get(struct proxy_object *object)
{
	if (object->hook_data)
		return object->hook_data;
	struct dmabuf_params *params = calloc(1, sizeof(*params));
	if (!params) {
		wl_client_post_no_memory(object->client->client);
		return NULL;
	}
	for (int i = 0; i < MAX_PLANES; i++)
		params->planes[i].fd = -1;
	object->hook_data = params;
	object->hook_destroy = handle_params_destroy;
	return params;
}

static void handle_params_add(struct proxy_object *object, uint32_t opcode, union wl_argument *args)
{
	if (!copy_enabled(object)) {
		proxy_forward_request(object, opcode, args);
		return;
	}
	struct dmabuf_params *params = params_get(object);
	int fd = args[0].h;
	uint32_t idx = args[1].u;
	if (!params)
		goto close;
	if (params->used) {
		wl_resource_post_error(object->resource,
				       ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
				       "params was already used to create a wl_buffer");
		goto close;
	}
	if (idx >= MAX_PLANES) {
		wl_resource_post_error(object->resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_IDX,
				       "plane index %u is too high", idx);
		goto close;
	}
	if (params->set & (1u << idx)) {
		wl_resource_post_error(object->resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_PLANE_SET,
				       "plane %u was already set", idx);
		goto close;
	}
	params->set |= 1u << idx;
	struct proxy *proxy = object->client->proxy;
	if (!params->copy &&
	    !proxy->backend.memory_needs_copy(proxy->backend_data, object->client->conn, fd)) {
		params->forwarded |= 1u << idx;
		proxy_forward_request(object, opcode, args);
		return;
	}
	if (!params->copy && proxy->trace)
		vsomm_log(VSOMM_LOG_TRACE,
			  "linux-dmabuf: zwp_linux_buffer_params_v1@%u: plane %u is guest memory "
			  "the host does not take: copied",
			  wl_resource_get_id(object->resource), idx);
	params->copy = true;
	params->planes[idx] = (struct dmabuf_plane){
		.fd = fd,
		.offset = args[2].u,
		.stride = args[3].u,
		.modifier = (uint64_t)args[4].u << 32 | args[5].u,
	};
	return;
close:
	close(fd);
}

static uint64_t fd_size(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return st.st_size > 0 ? (uint64_t)st.st_size : 0;
	/* a dmabuf has its size at its end; the offset is the client's too */
	off_t cur = lseek(fd, 0, SEEK_CUR);
	off_t end = lseek(fd, 0, SEEK_END);
	if (cur >= 0)
		lseek(fd, cur, SEEK_SET);
	return end > 0 ? (uint64_t)end : 0;
}

/*
 * Check the client's arguments (protocol errors) and whether the copy can
 * carry the buffer.  Returns false after a protocol error; *copyable says
 * whether a copy can be made, else *why says why not.
 */
static bool check_create(struct proxy_object *object, struct dmabuf_params *params, int32_t width,
			 int32_t height, uint32_t format, uint32_t flags, bool *copyable,
			 const char **why)
{
	struct wl_resource *resource = object->resource;
	if (params->used) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_ALREADY_USED,
				       "params was already used to create a wl_buffer");
		return false;
	}
	params->used = true;
	if (width <= 0 || height <= 0) {
		wl_resource_post_error(resource,
				       ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INVALID_DIMENSIONS,
				       "invalid size %dx%d", width, height);
		return false;
	}
	*copyable = false;
	if (format != DRM_FORMAT_ARGB8888 && format != DRM_FORMAT_XRGB8888) {
		*why = "a format the copy does not know (ARGB8888 and XRGB8888 only)";
		return true;
	}
	/* single-plane formats: exactly plane 0 */
	if (params->set != 1u) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_INCOMPLETE,
				       "format 0x%08x has one plane, got planes 0x%x", format,
				       params->set);
		return false;
	}
	const struct dmabuf_plane *p = &params->planes[0];
	uint64_t size = fd_size(p->fd), end;
	if ((uint64_t)width * 4 > p->stride ||
	    __builtin_mul_overflow((uint64_t)p->stride, (uint64_t)height, &end) ||
	    __builtin_add_overflow(end, (uint64_t)p->offset, &end) || end > size) {
		wl_resource_post_error(resource, ZWP_LINUX_BUFFER_PARAMS_V1_ERROR_OUT_OF_BOUNDS,
				       "offset %u + stride %u * height %d goes past the %llu bytes "
				       "of the dmabuf (or stride < width * 4)",
				       p->offset, p->stride, height, (unsigned long long)size);
		return false;
	}
	if (p->modifier != DRM_FORMAT_MOD_LINEAR && p->modifier != DRM_FORMAT_MOD_INVALID)
		*why = "a modifier other than linear";
	else if (flags != 0)
		*why = "y_invert or interlaced flags";
	else
		*copyable = true;
	return true;
}

/* The copy of plane 0 into `buffer`, a new guest wl_buffer: false if it cannot be made. */
static bool make_copy(struct proxy_object *object, struct dmabuf_params *params,
		      struct wl_resource *buffer, int32_t width, int32_t height, uint32_t format)
{
	const struct dmabuf_plane *p = &params->planes[0];
	return proxy_shm_copy_buffer_create(object->client, buffer, p->fd, fd_size(p->fd),
					    p->offset, width, height, p->stride, format);
}

static void log_refused(struct proxy_object *object, uint32_t format, const char *why)
{
	vsomm_log(VSOMM_LOG_INFO,
		  "linux-dmabuf: a guest-memory buffer of format 0x%08x cannot reach this host "
		  "(%s): failed",
		  format, why);
}

/*
 * create and create_immed: the same checks and copy; they differ in where
 * the arguments start (create_immed's first is the new wl_buffer's id), in
 * whether success is announced (`created`, for create only) and in the
 * failure (create_immed keeps its wl_buffer, inert).
 */
static void params_create(struct proxy_object *object, uint32_t opcode, union wl_argument *args,
			  bool immed)
{
	struct dmabuf_params *params = object->hook_data;
	if (!params || !params->copy) {
		proxy_forward_request(object, opcode, args);
		return;
	}
	const union wl_argument *a = immed ? args + 1 : args;
	uint32_t id = immed ? args[0].n : 0;
	int32_t width = a[0].i, height = a[1].i;
	uint32_t format = a[2].u, flags = a[3].u;
	bool copyable;
	const char *why = "planes the host has and planes it cannot take";
	if (!check_create(object, params, width, height, format, flags, &copyable, &why))
		return;
	if (params->forwarded)
		copyable = false;
	struct wl_client *client = object->client->client;
	if (copyable || immed) {
		struct wl_resource *buffer = wl_resource_create(
			client, &wl_buffer_interface, wl_resource_get_version(object->resource),
			id);
		if (!buffer) {
			wl_client_post_no_memory(client);
			return;
		}
		if (copyable && make_copy(object, params, buffer, width, height, format)) {
			if (!immed)
				zwp_linux_buffer_params_v1_send_created(object->resource, buffer);
			return;
		}
		if (copyable)
			why = "its memory does not map";
		/*
		 * create: no wl_buffer.  create_immed: the protocol's second way
		 * for a failed import, an invalid wl_buffer and `failed`; inert,
		 * it is ignored wherever it is used.
		 */
		if (!immed) {
			wl_resource_destroy(buffer);
		} else if (!proxy_object_create(object->client, vsomm_forward_find("wl_buffer"),
						buffer, NULL)) {
			wl_resource_destroy(buffer);
			wl_client_post_no_memory(client);
			return;
		}
	}
	log_refused(object, format, why);
	zwp_linux_buffer_params_v1_send_failed(object->resource);
}

static void handle_params_create(struct proxy_object *object, uint32_t opcode,
				 union wl_argument *args)
{
	params_create(object, opcode, args, false);
}

static void handle_params_create_immed(struct proxy_object *object, uint32_t opcode,
				       union wl_argument *args)
{
	params_create(object, opcode, args, true);
}

const struct proxy_hook proxy_linux_dmabuf_hooks[] = {
	{"zwp_linux_buffer_params_v1", "add", PROXY_REQUEST, handle_params_add},
	{"zwp_linux_buffer_params_v1", "create", PROXY_REQUEST, handle_params_create},
	{"zwp_linux_buffer_params_v1", "create_immed", PROXY_REQUEST, handle_params_create_immed},
	{0},
};
