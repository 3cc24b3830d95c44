/* SPDX-License-Identifier: MIT */
/*
 * The item table of a host cross-domain context (docs/cross-domain.md §2.5, §4.3,
 * §4.7): image requirements, memory fds and write pipes from the compositor, under
 * one id counter starting at 2 (rutabaga ≥0.1.76); and RESOURCE_CREATE_BLOB of
 * those items.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "cross-domain/host/service-private.h"
#include "cross-domain/image.h"
#include "util/log.h"
#include "virtgpu/device/device.h"

struct xdomain_service_item *xdomain_service_item_add(struct xdomain_service_ctx *ctx,
						      enum xdomain_service_item_type type)
{
	if (ctx->num_items >= ctx->limits.max_items)
		return NULL;
	/* The counter only wraps after 2^32 items; skip ids still in use then. */
	while (ctx->next_item_id < SERVICE_FIRST_ITEM_ID ||
	       ctx->next_item_id >= XDOMAIN_PIPE_READ_START ||
	       xdomain_service_item_find(ctx, ctx->next_item_id))
		ctx->next_item_id = ctx->next_item_id >= XDOMAIN_PIPE_READ_START - 1
					    ? SERVICE_FIRST_ITEM_ID
					    : ctx->next_item_id + 1;
	struct xdomain_service_item *item = calloc(1, sizeof(*item));
	if (!item)
		return NULL;
	item->ctx = ctx;
	item->id = ctx->next_item_id++;
	item->type = type;
	item->fd = -1;
	fdpass_queue_init(&item->queue);
	wl_list_insert(ctx->items.prev, &item->link);
	ctx->num_items++;
	return item;
}

struct xdomain_service_item *xdomain_service_item_find(struct xdomain_service_ctx *ctx, uint32_t id)
{
	struct xdomain_service_item *item;
	wl_list_for_each(item, &ctx->items, link) {
		if (item->id == id)
			return item;
	}
	return NULL;
}

void xdomain_service_item_remove(struct xdomain_service_item *item)
{
	struct xdomain_service_ctx *ctx = item->ctx;
	if (item->type == SERVICE_ITEM_WRITE_PIPE) {
		xdomain_service_write_pipe_release(item);
		ctx->num_pipes--;
	}
	if (item->fd >= 0)
		close(item->fd);
	wl_list_remove(&item->link);
	ctx->num_items--;
	free(item);
}

static bool same_request(const struct xdomain_get_image_requirements *a,
			 const struct xdomain_get_image_requirements *b)
{
	return a->width == b->width && a->height == b->height && a->drm_format == b->drm_format &&
	       a->flags == b->flags;
}

bool xdomain_service_image_requirements(struct xdomain_service_ctx *ctx,
					const struct xdomain_get_image_requirements *req)
{
	struct xdomain_image_requirements reqs = {0};
	struct xdomain_service_item *item = NULL, *it;
	/*
	 * Image items are never freed (§4.3); answering a repeated request with the
	 * same item keeps a guest without a cache from filling the table.  Ids are
	 * opaque to guests (§2.5).
	 */
	wl_list_for_each(it, &ctx->items, link) {
		if (it->type == SERVICE_ITEM_IMAGE && same_request(&it->request, req)) {
			item = it;
			break;
		}
	}
	long page = sysconf(_SC_PAGESIZE);
	bool layout = (req->flags & ~XDOMAIN_GRALLOC_VALID) == 0 &&
		      xdomain_linear_layout(req->width, req->height, req->drm_format,
					    page > 0 ? (uint64_t)page : 4096u, &reqs);
	/*
	 * Image items never go, so they may fill only 15/16 of the table: the rest
	 * is for memory and pipes from the compositor, which have no per-request
	 * answer and would end the context (a keymap after a full table).
	 */
	uint32_t image_room = ctx->limits.max_items - ctx->limits.max_items / 16;
	if (item) {
		reqs = item->reqs;
	} else if (layout && ctx->num_items < image_room &&
		   (item = xdomain_service_item_add(ctx, SERVICE_ITEM_IMAGE))) {
		reqs.modifier = 0;
		reqs.blob_id = item->id;
		reqs.map_info = XDOMAIN_MAP_CACHE_CACHED;
		reqs.memory_idx = -1;
		reqs.physical_device_idx = -1;
		item->request = *req;
		item->reqs = reqs;
	} else {
		/*
		 * No layout, or the table is full: zeros, so the guest sees size 0
		 * (§3.3 [REC]) and fails that one buffer; the context and its
		 * windows go on (issue 14 §2).  Refusals are logged like blobs'.
		 */
		memset(&reqs, 0, sizeof(reqs));
		uint64_t n = layout ? ++ctx->images_refused : 0;
		if (layout && (n & (n - 1)) == 0)
			vsomm_log(VSOMM_LOG_ERROR,
				  "ctx %u (%s): GET_IMAGE_REQUIREMENTS: more than %u items: "
				  "refused (%llu so far)",
				  ctx->ctx_id, ctx->name, image_room, (unsigned long long)n);
	}
	if (ctx->trace)
		vsomm_log(VSOMM_LOG_TRACE,
			  "ctx %u: <- GET_IMAGE_REQUIREMENTS %ux%u format 0x%08x flags 0x%x -> "
			  "blob id %u, size %llu, stride %u",
			  ctx->ctx_id, req->width, req->height, req->drm_format, req->flags,
			  reqs.blob_id, (unsigned long long)reqs.size, reqs.strides[0]);
	void *ring = xdomain_service_ring(ctx, ctx->query_ring_id, sizeof(reqs));
	if (!ring) {
		xdomain_service_ctx_fail(ctx, "query ring %u is gone", ctx->query_ring_id);
		return false;
	}
	memcpy(ring, &reqs, sizeof(reqs));
	return true;
}

void xdomain_service_blobs_release(struct xdomain_service_ctx *ctx)
{
	struct xdomain_service_blob *blob, *tmp;
	wl_list_for_each_safe(blob, tmp, &ctx->blobs, link) {
		wl_list_remove(&blob->link);
		free(blob);
	}
}

/*
 * Bytes of memory this context allocated that still exist.  The device does not
 * tell contexts when a resource goes away: a blob counts until its resource id
 * names another resource or none.  Detached blobs count too (their memory is
 * still there: a guest could otherwise create blobs without attaching them).
 */
static uint64_t blob_bytes_in_use(struct xdomain_service_ctx *ctx)
{
	uint64_t total = 0;
	struct xdomain_service_blob *blob, *tmp;
	wl_list_for_each_safe(blob, tmp, &ctx->blobs, link) {
		const struct gpu_model_resource *res = gpu_model_lookup_resource(ctx->dev,
										 blob->res_id);
		if (!res || res != blob->res || res->backing.addr != blob->addr) {
			wl_list_remove(&blob->link);
			free(blob);
			continue;
		}
		total += blob->size;
	}
	return total;
}

/*
 * Whether `size` more bytes fit the context's and the connection's limits.  Past
 * either, this one allocation is refused (ERR_OUT_OF_MEMORY, issue 14 §2): the
 * context and every window on it go on, a smaller or later blob may fit.  The
 * connection's count is the device's, so blobs of contexts already destroyed
 * (resources outlive them) still count until the guest unrefs them.
 */
static bool blob_fits(struct xdomain_service_ctx *ctx, uint64_t size)
{
	const struct xdomain_service_limits *lim = &ctx->limits;
	uint64_t in_ctx = blob_bytes_in_use(ctx);
	uint64_t in_conn = gpu_model_host_alloc_bytes(ctx->dev);
	bool ctx_ok = size <= lim->max_blob_bytes && in_ctx <= lim->max_blob_bytes - size;
	bool conn_ok = size <= lim->max_connection_blob_bytes &&
		       in_conn <= lim->max_connection_blob_bytes - size;
	if (ctx_ok && conn_ok)
		return true;
	/* A guest may retry every frame: log the 1st, 2nd, 4th, 8th… refusal. */
	ctx->blobs_refused++;
	if ((ctx->blobs_refused & (ctx->blobs_refused - 1)) == 0)
		vsomm_log(VSOMM_LOG_ERROR,
			  "ctx %u (%s): blob of %llu bytes over the %s (%llu of %llu bytes in "
			  "use by %s): refused (%llu so far)",
			  ctx->ctx_id, ctx->name, (unsigned long long)size,
			  ctx_ok ? "connection's limit" : "limit",
			  (unsigned long long)(ctx_ok ? in_conn : in_ctx),
			  (unsigned long long)(ctx_ok ? lim->max_connection_blob_bytes
						      : lim->max_blob_bytes),
			  ctx_ok ? "this guest" : "this context",
			  (unsigned long long)ctx->blobs_refused);
	return false;
}

static int create_image_blob(struct xdomain_service_ctx *ctx, struct xdomain_service_item *item,
			     struct gpu_model_resource *res)
{
	if (res->size != item->reqs.size || res->size == 0 || res->size > SIZE_MAX) {
		vsomm_log(VSOMM_LOG_ERROR, "ctx %u: blob %u: size %llu, requirements say %llu",
			  ctx->ctx_id, item->id, (unsigned long long)res->size,
			  (unsigned long long)item->reqs.size);
		return -EINVAL;
	}
	if (!blob_fits(ctx, res->size))
		return -ENOSPC;
	struct xdomain_service_blob *blob = calloc(1, sizeof(*blob));
	if (!blob)
		return -ENOMEM;
	int ret;
	int fd = memfd_create("vsomm-blob", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		ret = -errno;
		goto err_blob;
	}
	if (ftruncate(fd, (off_t)res->size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		ret = -errno;
		goto err_fd;
	}
	void *addr = mmap(NULL, res->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		ret = -errno;
		goto err_fd;
	}
	res->backing = (struct gpu_model_backing){
		.addr = addr, .size = res->size, .fd = fd, .owned = true};
	res->host_alloc = true;
	res->map_info = item->reqs.map_info | XDOMAIN_MAP_ACCESS_READ | XDOMAIN_MAP_ACCESS_WRITE;
	/* The id is free in the device (it checked): an entry with it is stale. */
	struct xdomain_service_blob *old, *old_tmp;
	wl_list_for_each_safe(old, old_tmp, &ctx->blobs, link) {
		if (old->res_id == res->id) {
			wl_list_remove(&old->link);
			free(old);
		}
	}
	blob->res_id = res->id;
	blob->res = res;
	blob->addr = addr;
	blob->size = res->size;
	wl_list_insert(&ctx->blobs, &blob->link);
	if (ctx->trace)
		vsomm_log(VSOMM_LOG_TRACE, "ctx %u: blob %u -> resource %u, memfd %d, %llu bytes",
			  ctx->ctx_id, item->id, res->id, fd, (unsigned long long)res->size);
	return 0;

err_fd:
	close(fd);
err_blob:
	free(blob);
	vsomm_log(VSOMM_LOG_ERROR, "ctx %u: blob of %llu bytes: %s", ctx->ctx_id,
		  (unsigned long long)res->size, strerror(-ret));
	return ret;
}

static bool write_sealed(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);
#ifdef F_SEAL_FUTURE_WRITE
	return seals >= 0 && (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE));
#else
	return seals >= 0 && (seals & F_SEAL_WRITE);
#endif
}

/* A memory fd from the compositor (keymap, format table, …), removed on use (§4.7). */
static int create_received_blob(struct xdomain_service_ctx *ctx, struct xdomain_service_item *item,
				struct gpu_model_resource *res)
{
	/*
	 * Guests ask for whole pages (the kernel page-aligns blob sizes), so a
	 * 3000-byte keymap comes back as a 4096-byte request: accept up to the fd's
	 * size rounded up to a page; mapping the last partial page is fine.
	 */
	struct stat st;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t limit = item->size > UINT64_MAX - page ? item->size
							: (item->size + page - 1) / page * page;
	if (res->size == 0 || res->size > limit || res->size > SIZE_MAX ||
	    fstat(item->fd, &st) < 0 || (uint64_t)st.st_size < item->size) {
		vsomm_log(VSOMM_LOG_ERROR, "ctx %u: blob %u: size %llu, fd has %llu", ctx->ctx_id,
			  item->id, (unsigned long long)res->size, (unsigned long long)item->size);
		return -EINVAL;
	}
	int flags = fcntl(item->fd, F_GETFL);
	bool writable = flags >= 0 && (flags & O_ACCMODE) == O_RDWR && !write_sealed(item->fd);
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	void *addr = mmap(NULL, res->size, prot, MAP_SHARED, item->fd, 0);
	if (addr == MAP_FAILED) {
		int ret = -errno;
		vsomm_log_errno(VSOMM_LOG_ERROR, "ctx %u: blob %u: mmap", ctx->ctx_id, item->id);
		return ret;
	}
	res->backing = (struct gpu_model_backing){
		.addr = addr, .size = res->size, .fd = item->fd, .owned = true};
	res->map_info = XDOMAIN_MAP_CACHE_CACHED | XDOMAIN_MAP_ACCESS_READ |
			(writable ? XDOMAIN_MAP_ACCESS_WRITE : 0);
	if (ctx->trace)
		vsomm_log(VSOMM_LOG_TRACE, "ctx %u: blob %u (fd %d) -> resource %u, %llu bytes, %s",
			  ctx->ctx_id, item->id, item->fd, res->id, (unsigned long long)res->size,
			  writable ? "read-write" : "read-only");
	item->fd = -1; /* the resource owns it now */
	xdomain_service_item_remove(item);
	return 0;
}

int xdomain_service_create_blob(struct xdomain_service_ctx *ctx, uint64_t blob_id,
				struct gpu_model_resource *res)
{
	struct xdomain_service_item *item = blob_id <= UINT32_MAX ? xdomain_service_item_find(
									    ctx, (uint32_t)blob_id)
								  : NULL;
	if (item && item->type == SERVICE_ITEM_IMAGE)
		return create_image_blob(ctx, item, res);
	if (item && item->type == SERVICE_ITEM_BLOB)
		return create_received_blob(ctx, item, res);
	xdomain_service_ctx_fail(ctx, "RESOURCE_CREATE_BLOB with unknown blob id %llu",
				 (unsigned long long)blob_id);
	return -EINVAL;
}
