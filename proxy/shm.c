/* SPDX-License-Identifier: MIT */
/*
 * wl_shm: the copy path (architecture.md §2).
 *
 * Guest memory cannot be handed to the host, so vsomm serves wl_shm pools
 * itself: a pool is the client's fd mapped read-only here; a wl_buffer is a
 * relayed object that stays inert until it is first attached, when it gets a
 * shadow in host-visible memory (proxy_backend.alloc_shadow) and a host
 * wl_buffer over that memory.  On wl_surface.commit the rows of the union of
 * this commit's damage and all damage since the buffer was last copied are
 * copied, nothing more.  The host's release of the shadow is the client's
 * release (plain forwarding of wl_buffer.release).
 *
 * Without alloc_shadow (a host socket that carries fds) everything here steps
 * aside and wl_shm is forwarded as it is.
 *
 * The same path serves guest linux-dmabuf buffers that the host cannot take
 * (guest memory on rutabaga: proxy/linux_dmabuf.c): proxy_shm_copy_buffer_create
 * makes one a buffer of a pool of its own, with a host wl_shm of the proxy's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-client-protocol.h>
#include <wayland-server-protocol.h>

#include "cross-domain/guest/channel.h"
#include "cross-domain/image.h"
#include "util/log.h"
#include "proxy/damage.h"
#include "proxy/proxy-private.h"

/* wl_shm format codes are DRM fourccs, but for these two. */
#define DRM_FORMAT_ARGB8888 0x34325241u
#define DRM_FORMAT_XRGB8888 0x34325258u

struct shm_pool {
	struct proxy_object *object;
	/* the wl_shm it came from (for its host proxy); NULL for a copied dmabuf */
	struct proxy_object *shm;
	struct proxy_guarded_map map;
	int refs; /* the resource + its buffers */
};

struct shm_buffer {
	struct proxy_object *object;
	struct shm_pool *pool;
	int32_t offset, width, height, stride;
	uint32_t format; /* wl_shm code */
	uint32_t drm_format;
	uint32_t bpp;
	bool has_shadow;
	struct proxy_shadow shadow;
	pixman_region32_t pending; /* damage not yet copied into the shadow */
	struct wl_list surfaces;   /* shm_surface_buffer.buffer_link */
};

/* A buffer that was attached to a surface: damage of that surface concerns it. */
struct shm_surface_buffer {
	struct shm_surface *surface;
	struct shm_buffer *buffer;
	struct wl_list surface_link, buffer_link;
};

struct shm_surface {
	struct proxy_object *object;
	struct shm_buffer *pending_buffer; /* attached, not yet committed */
	bool pending_attach;               /* attach seen (maybe of NULL or a non-shm buffer) */
	bool viewport;                   /* has had a wp_viewport: surface ≠ buffer coordinates */
	struct shm_buffer *current;      /* committed shm buffer */
	pixman_region32_t damage;        /* surface coordinates */
	pixman_region32_t buffer_damage; /* buffer coordinates */
	int32_t scale, pending_scale;
	uint32_t transform, pending_transform;
	struct wl_list buffers; /* shm_surface_buffer.surface_link */
};

static bool shadows_enabled(const struct proxy_object *object)
{
	return object->client->proxy->backend.alloc_shadow != NULL;
}

/* Bytes per pixel of a single-plane format the host can lay out, 0 if none. */
static uint32_t format_bpp(uint32_t drm_format)
{
	struct xdomain_image_requirements req;
	if (!xdomain_linear_layout(1, 1, drm_format, 1, &req) || req.offsets[1] != 0 ||
	    req.strides[1] != 0)
		return 0;
	return req.strides[0];
}

static uint32_t shm_to_drm_format(uint32_t format)
{
	if (format == WL_SHM_FORMAT_ARGB8888)
		return DRM_FORMAT_ARGB8888;
	if (format == WL_SHM_FORMAT_XRGB8888)
		return DRM_FORMAT_XRGB8888;
	return format;
}

static uint32_t drm_to_shm_format(uint32_t drm_format)
{
	if (drm_format == DRM_FORMAT_ARGB8888)
		return WL_SHM_FORMAT_ARGB8888;
	if (drm_format == DRM_FORMAT_XRGB8888)
		return WL_SHM_FORMAT_XRGB8888;
	return drm_format;
}

/* ---- pools ---- */

static void pool_unref(struct shm_pool *pool)
{
	if (--pool->refs > 0)
		return;
	munmap(pool->map.addr, pool->map.size);
	free(pool);
}

static void handle_pool_destroy(struct proxy_object *object)
{
	struct shm_pool *pool = object->hook_data;
	pool->object = NULL;
	pool_unref(pool);
}

static void handle_shm_create_pool(struct proxy_object *object, uint32_t opcode,
				   union wl_argument *args)
{
	if (!shadows_enabled(object)) {
		proxy_forward_request(object, opcode, args);
		return;
	}
	struct wl_client *client = object->client->client;
	uint32_t id = args[0].n;
	int fd = args[1].h;
	int32_t size = args[2].i;
	if (size <= 0) {
		wl_resource_post_error(object->resource, WL_SHM_ERROR_INVALID_STRIDE,
				       "invalid pool size %d", size);
		goto out;
	}
	struct shm_pool *pool = calloc(1, sizeof(*pool));
	if (!pool) {
		wl_client_post_no_memory(client);
		goto out;
	}
	/* The copy path reads the pool under the SIGBUS guard (proxy/damage.c). */
	proxy_damage_init_sigbus();
	pool->map.size = (size_t)size;
	pool->map.addr = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
	if (pool->map.addr == MAP_FAILED) {
		wl_resource_post_error(object->resource, WL_SHM_ERROR_INVALID_FD,
				       "failed mmap fd %d: %s", fd, strerror(errno));
		free(pool);
		goto out;
	}
	struct wl_resource *resource = wl_resource_create(
		client, &wl_shm_pool_interface, wl_resource_get_version(object->resource), id);
	if (!resource) {
		munmap(pool->map.addr, pool->map.size);
		free(pool);
		wl_client_post_no_memory(client);
		goto out;
	}
	pool->object = proxy_object_create(object->client, vsomm_forward_find("wl_shm_pool"),
					   resource, NULL);
	if (!pool->object) {
		wl_resource_destroy(resource);
		munmap(pool->map.addr, pool->map.size);
		free(pool);
		wl_client_post_no_memory(client);
		goto out;
	}
	pool->shm = object;
	pool->refs = 1;
	pool->object->hook_data = pool;
	pool->object->hook_destroy = handle_pool_destroy;
out:
	close(fd);
}

static void handle_pool_resize(struct proxy_object *object, uint32_t opcode,
			       union wl_argument *args)
{
	struct shm_pool *pool = object->hook_data;
	if (!pool) {
		proxy_forward_request(object, opcode, args);
		return;
	}
	int32_t size = args[0].i;
	if (size <= 0 || (size_t)size < pool->map.size) {
		wl_resource_post_error(object->resource, WL_SHM_ERROR_INVALID_STRIDE,
				       "shrinking pool invalid");
		return;
	}
	void *addr = mremap(pool->map.addr, pool->map.size, (size_t)size, MREMAP_MAYMOVE);
	if (addr == MAP_FAILED) {
		wl_resource_post_error(object->resource, WL_SHM_ERROR_INVALID_FD,
				       "failed mremap: %s", strerror(errno));
		return;
	}
	pool->map.addr = addr;
	pool->map.size = (size_t)size;
}

/* ---- buffers ---- */

static void unlink_surface_buffer(struct shm_surface_buffer *sb)
{
	wl_list_remove(&sb->surface_link);
	wl_list_remove(&sb->buffer_link);
	free(sb);
}

static void handle_buffer_destroy(struct proxy_object *object)
{
	struct shm_buffer *buffer = object->hook_data;
	struct shm_surface_buffer *sb, *tmp;
	wl_list_for_each_safe(sb, tmp, &buffer->surfaces, buffer_link) {
		if (sb->surface->pending_buffer == buffer)
			sb->surface->pending_buffer = NULL;
		if (sb->surface->current == buffer)
			sb->surface->current = NULL;
		unlink_surface_buffer(sb);
	}
	struct proxy *proxy = object->client->proxy;
	if (buffer->has_shadow)
		proxy_limits_shadow_add(object->client, -(int64_t)buffer->shadow.size);
	if (buffer->has_shadow && proxy->backend.free_shadow)
		proxy->backend.free_shadow(proxy->backend_data, object->client->conn,
					   &buffer->shadow);
	pixman_region32_fini(&buffer->pending);
	pool_unref(buffer->pool);
	free(buffer);
}

static struct shm_buffer *buffer_from_object(struct proxy_object *object)
{
	return object && object->hook_destroy == handle_buffer_destroy ? object->hook_data : NULL;
}

/*
 * Make `resource` (a new guest wl_buffer) a buffer of `pool`, inert until its
 * first attach; arguments checked.  False (ENOMEM): the caller still owns
 * `resource`.
 */
static bool buffer_create(struct proxy_client *pc, struct shm_pool *pool,
			  struct wl_resource *resource, int32_t offset, int32_t width,
			  int32_t height, int32_t stride, uint32_t format, uint32_t drm_format)
{
	struct shm_buffer *buffer = calloc(1, sizeof(*buffer));
	if (!buffer)
		return false;
	buffer->object = proxy_object_create(pc, vsomm_forward_find("wl_buffer"), resource, NULL);
	if (!buffer->object) {
		free(buffer);
		return false;
	}
	buffer->pool = pool;
	pool->refs++;
	buffer->offset = offset;
	buffer->width = width;
	buffer->height = height;
	buffer->stride = stride;
	buffer->format = format;
	buffer->drm_format = drm_format;
	buffer->bpp = format_bpp(drm_format);
	pixman_region32_init_rect(&buffer->pending, 0, 0, (unsigned)width, (unsigned)height);
	wl_list_init(&buffer->surfaces);
	buffer->object->hook_data = buffer;
	buffer->object->hook_destroy = handle_buffer_destroy;
	return true;
}

static void handle_pool_create_buffer(struct proxy_object *object, uint32_t opcode,
				      union wl_argument *args)
{
	struct shm_pool *pool = object->hook_data;
	if (!pool) {
		proxy_forward_request(object, opcode, args);
		return;
	}
	struct wl_client *client = object->client->client;
	uint32_t id = args[0].n;
	int32_t offset = args[1].i, width = args[2].i, height = args[3].i, stride = args[4].i;
	uint32_t format = args[5].u;
	uint32_t drm_format = shm_to_drm_format(format);
	uint32_t bpp = format_bpp(drm_format);
	if (bpp == 0) {
		wl_resource_post_error(object->resource, WL_SHM_ERROR_INVALID_FORMAT,
				       "invalid format 0x%x", format);
		return;
	}
	int64_t row, end;
	if (offset < 0 || width <= 0 || height <= 0 || stride <= 0 ||
	    __builtin_mul_overflow((int64_t)width, (int64_t)bpp, &row) || stride < row ||
	    __builtin_mul_overflow((int64_t)stride, (int64_t)height, &end) ||
	    __builtin_add_overflow(end, (int64_t)offset, &end) || (uint64_t)end > pool->map.size) {
		wl_resource_post_error(object->resource, WL_SHM_ERROR_INVALID_STRIDE,
				       "invalid width, height or stride (%dx%d, %d)", width, height,
				       stride);
		return;
	}
	struct wl_resource *resource = wl_resource_create(
		client, &wl_buffer_interface, wl_resource_get_version(object->resource), id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	if (!buffer_create(object->client, pool, resource, offset, width, height, stride, format,
			   drm_format)) {
		wl_resource_destroy(resource);
		wl_client_post_no_memory(client);
	}
}

bool proxy_shm_copy_buffer_create(struct proxy_client *pc, struct wl_resource *resource, int fd,
				  uint64_t size, uint32_t offset, int32_t width, int32_t height,
				  uint32_t stride, uint32_t drm_format)
{
	uint32_t bpp = format_bpp(drm_format);
	uint64_t end;
	/* the caller checked the layout (protocol errors); the copy relies on it */
	if (!pc->proxy->backend.alloc_shadow || bpp == 0 || width <= 0 || height <= 0 ||
	    offset > INT32_MAX || stride > INT32_MAX || (uint64_t)width * bpp > stride ||
	    __builtin_mul_overflow((uint64_t)stride, (uint64_t)height, &end) ||
	    __builtin_add_overflow(end, (uint64_t)offset, &end) || end > size || size > SIZE_MAX)
		return false;
	struct shm_pool *pool = calloc(1, sizeof(*pool));
	if (!pool)
		return false;
	proxy_damage_init_sigbus();
	pool->map.size = (size_t)size;
	pool->map.addr = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
	if (pool->map.addr == MAP_FAILED) {
		vsomm_log(VSOMM_LOG_DEBUG, "dmabuf copy: mmap of fd %d: %s", fd, strerror(errno));
		free(pool);
		return false;
	}
	/* no pool resource: the buffer holds the only reference */
	if (!buffer_create(pc, pool, resource, (int32_t)offset, width, height, (int32_t)stride,
			   drm_to_shm_format(drm_format), drm_format)) {
		munmap(pool->map.addr, pool->map.size);
		free(pool);
		return false;
	}
	return true;
}

bool proxy_shm_buffer_size(struct wl_resource *resource, int32_t *width, int32_t *height)
{
	struct shm_buffer *buffer = buffer_from_object(proxy_object_from_resource(resource));
	if (!buffer)
		return false;
	*width = buffer->width;
	*height = buffer->height;
	return true;
}

/* The shadow and its host wl_buffer, made on first attach. */
static bool buffer_ensure_host(struct shm_buffer *buffer)
{
	struct proxy_object *object = buffer->object;
	if (object->host)
		return true;
	struct proxy_client *pc = object->client;
	struct proxy *proxy = pc->proxy;
	struct proxy_object *shm = buffer->pool->shm;
	/* a copied dmabuf uses a host wl_shm of the proxy's (the guest may have none) */
	struct wl_proxy *host_shm = shm ? shm->host : proxy_registry_host_shm(pc);
	if (!host_shm)
		return false; /* inert wl_shm, or a host without one: the buffer stays inert */
	if (!buffer->has_shadow) {
		/* a shadow row is at least width * bpp bytes */
		uint64_t least = (uint64_t)buffer->width * buffer->bpp * (uint64_t)buffer->height;
		if (!proxy_limits_shadow_check(pc, least))
			return false;
		int err = proxy->backend.alloc_shadow(
			proxy->backend_data, pc->conn, (uint32_t)buffer->width,
			(uint32_t)buffer->height, buffer->drm_format, &buffer->shadow);
		if (err < 0) {
			vsomm_log(VSOMM_LOG_ERROR, "no shadow memory for a %dx%d buffer: %s",
				  buffer->width, buffer->height, strerror(-err));
			wl_client_post_no_memory(pc->client);
			return false;
		}
		buffer->has_shadow = true;
		proxy_limits_shadow_add(pc, (int64_t)buffer->shadow.size);
		proxy->stats.shadows_allocated++;
	}
	const struct proxy_shadow *sh = &buffer->shadow;
	if (sh->size > INT32_MAX || sh->offset > INT32_MAX || sh->stride > INT32_MAX) {
		wl_client_post_implementation_error(pc->client, "shadow too large");
		return false;
	}
	uint32_t version = wl_proxy_get_version(host_shm);
	struct wl_proxy *pool = wl_proxy_marshal_flags(host_shm, WL_SHM_CREATE_POOL,
						       &wl_shm_pool_interface, version, 0, NULL,
						       sh->fd, (int32_t)sh->size);
	if (!pool)
		return false;
	struct wl_proxy *host = wl_proxy_marshal_flags(
		pool, WL_SHM_POOL_CREATE_BUFFER, &wl_buffer_interface, version, 0, NULL,
		(int32_t)sh->offset, buffer->width, buffer->height, (int32_t)sh->stride,
		buffer->format);
	wl_proxy_marshal_flags(pool, WL_SHM_POOL_DESTROY, NULL, version, WL_MARSHAL_FLAG_DESTROY);
	if (!host)
		return false;
	proxy_object_set_host(object, host);
	proxy_client_schedule_flush(pc);
	return true;
}

/* ---- surfaces ---- */

static void handle_surface_destroy(struct proxy_object *object)
{
	struct shm_surface *surface = object->hook_data;
	struct shm_surface_buffer *sb, *tmp;
	wl_list_for_each_safe(sb, tmp, &surface->buffers, surface_link)
		unlink_surface_buffer(sb);
	pixman_region32_fini(&surface->damage);
	pixman_region32_fini(&surface->buffer_damage);
	free(surface);
}

static struct shm_surface *surface_get(struct proxy_object *object)
{
	if (object->hook_data)
		return object->hook_data;
	struct shm_surface *surface = calloc(1, sizeof(*surface));
	if (!surface) {
		wl_client_post_no_memory(object->client->client);
		return NULL;
	}
	surface->object = object;
	surface->scale = surface->pending_scale = 1;
	pixman_region32_init(&surface->damage);
	pixman_region32_init(&surface->buffer_damage);
	wl_list_init(&surface->buffers);
	object->hook_data = surface;
	object->hook_destroy = handle_surface_destroy;
	return surface;
}

static void surface_track_buffer(struct shm_surface *surface, struct shm_buffer *buffer)
{
	struct shm_surface_buffer *sb;
	wl_list_for_each(sb, &surface->buffers, surface_link)
		if (sb->buffer == buffer)
			return;
	sb = calloc(1, sizeof(*sb));
	if (!sb)
		return; /* only damage propagation is lost: the next attach copies all */
	sb->surface = surface;
	sb->buffer = buffer;
	wl_list_insert(&surface->buffers, &sb->surface_link);
	wl_list_insert(&buffer->surfaces, &sb->buffer_link);
}

static void handle_surface_attach(struct proxy_object *object, uint32_t opcode,
				  union wl_argument *args)
{
	struct shm_surface *surface = shadows_enabled(object) ? surface_get(object) : NULL;
	if (surface) {
		struct shm_buffer *buffer = buffer_from_object(
			proxy_object_from_resource((struct wl_resource *)args[0].o));
		surface->pending_attach = true;
		surface->pending_buffer = buffer;
		if (buffer) {
			surface_track_buffer(surface, buffer);
			if (!buffer_ensure_host(buffer))
				return;
		}
	}
	proxy_surface_attach(object, opcode, args);
}

static void handle_surface_damage(struct proxy_object *object, uint32_t opcode,
				  union wl_argument *args)
{
	struct shm_surface *surface = shadows_enabled(object) ? surface_get(object) : NULL;
	if (surface) {
		int32_t w = args[2].i, h = args[3].i;
		if (w > 0 && h > 0) {
			pixman_region32_t *r = opcode == WL_SURFACE_DAMAGE
						       ? &surface->damage
						       : &surface->buffer_damage;
			pixman_region32_union_rect(r, r, args[0].i, args[1].i, (unsigned)w,
						   (unsigned)h);
		}
	}
	proxy_surface_state(object, opcode, args);
}

static void handle_surface_set_scale(struct proxy_object *object, uint32_t opcode,
				     union wl_argument *args)
{
	struct shm_surface *surface = shadows_enabled(object) ? surface_get(object) : NULL;
	if (surface) {
		if (opcode == WL_SURFACE_SET_BUFFER_SCALE)
			surface->pending_scale = args[0].i;
		else
			surface->pending_transform = args[0].u;
	}
	proxy_surface_state(object, opcode, args);
}

static void surface_copy(struct shm_surface *surface, struct shm_buffer *buffer)
{
	pixman_region32_t damage;
	pixman_region32_init(&damage);
	pixman_region32_copy(&damage, &surface->buffer_damage);
	/* Surface damage maps to buffer pixels by scale alone only without a
	 * transform or viewport; otherwise the whole buffer is copied. */
	proxy_damage_add_surface(&damage, &surface->damage, surface->scale, surface->transform,
				 surface->viewport, buffer->width, buffer->height);
	/* Every buffer this surface has shown must catch up with this damage. */
	struct shm_surface_buffer *sb;
	wl_list_for_each(sb, &surface->buffers, surface_link)
		pixman_region32_union(&sb->buffer->pending, &sb->buffer->pending, &damage);
	pixman_region32_union(&buffer->pending, &buffer->pending, &damage);
	pixman_region32_fini(&damage);

	if (!buffer->has_shadow || !pixman_region32_not_empty(&buffer->pending))
		return;
	struct proxy_client *pc = surface->object->client;
	bool faulted = false;
	size_t n = proxy_damage_copy((char *)buffer->shadow.map + buffer->shadow.offset,
				     buffer->shadow.stride, &buffer->pool->map,
				     (size_t)buffer->offset, (uint32_t)buffer->stride, buffer->bpp,
				     buffer->width, buffer->height, &buffer->pending, &faulted);
	pixman_region32_clear(&buffer->pending);
	pc->proxy->stats.shm_bytes_copied += n;
	pc->proxy->stats.shm_commits++;
	if (pc->proxy->trace)
		vsomm_log(VSOMM_LOG_TRACE, "shm: wl_buffer@%u → shadow: copied %zu bytes",
			  wl_resource_get_id(buffer->object->resource), n);
	if (faulted && buffer->pool->shm)
		wl_resource_post_error(buffer->pool->shm->resource, WL_SHM_ERROR_INVALID_FD,
				       "the pool's memory was truncated");
	else if (faulted)
		wl_resource_post_error(pc->display.resource, WL_DISPLAY_ERROR_INVALID_OBJECT,
				       "the memory of dmabuf wl_buffer@%u was truncated",
				       wl_resource_get_id(buffer->object->resource));
}

static void handle_surface_commit(struct proxy_object *object, uint32_t opcode,
				  union wl_argument *args)
{
	struct shm_surface *surface = shadows_enabled(object) ? object->hook_data : NULL;
	if (surface) {
		surface->scale = surface->pending_scale;
		surface->transform = surface->pending_transform;
		if (surface->pending_attach)
			surface->current = surface->pending_buffer;
		surface->pending_attach = false;
		surface->pending_buffer = NULL;
		if (surface->current)
			surface_copy(surface, surface->current);
		pixman_region32_clear(&surface->damage);
		pixman_region32_clear(&surface->buffer_damage);
	}
	proxy_surface_commit(object, opcode, args);
}

/* A viewported surface's damage is not in buffer pixels / scale (sticky: cheap
 * and always correct, copying more). */
static void handle_viewporter_get_viewport(struct proxy_object *object, uint32_t opcode,
					   union wl_argument *args)
{
	struct proxy_object *target = proxy_object_from_resource((struct wl_resource *)args[1].o);
	if (target && shadows_enabled(object)) {
		struct shm_surface *surface = surface_get(target);
		if (surface)
			surface->viewport = true;
	}
	proxy_forward_request(object, opcode, args);
}

/* Only formats the host can lay out are advertised: a shadow must exist. */
static void handle_shm_format(struct proxy_object *object, uint32_t opcode, union wl_argument *args)
{
	if (shadows_enabled(object) && format_bpp(shm_to_drm_format(args[0].u)) == 0)
		return;
	proxy_forward_event(object, opcode, args);
}

const struct proxy_hook proxy_shm_hooks[] = {
	{"wl_shm", "create_pool", PROXY_REQUEST, handle_shm_create_pool},
	{"wl_shm", "format", PROXY_EVENT, handle_shm_format},
	{"wl_shm_pool", "create_buffer", PROXY_REQUEST, handle_pool_create_buffer},
	{"wl_shm_pool", "resize", PROXY_REQUEST, handle_pool_resize},
	{"wl_surface", "attach", PROXY_REQUEST, handle_surface_attach},
	{"wl_surface", "damage", PROXY_REQUEST, handle_surface_damage},
	{"wl_surface", "damage_buffer", PROXY_REQUEST, handle_surface_damage},
	{"wl_surface", "set_buffer_scale", PROXY_REQUEST, handle_surface_set_scale},
	{"wl_surface", "set_buffer_transform", PROXY_REQUEST, handle_surface_set_scale},
	{"wl_surface", "commit", PROXY_REQUEST, handle_surface_commit},
	{"wp_viewporter", "get_viewport", PROXY_REQUEST, handle_viewporter_get_viewport},
	{0},
};
