/* SPDX-License-Identifier: MIT */
/*
 * Blob resources of the host device model: creation (GUEST memory from the
 * transport, HOST3D memory from a context), attachments to contexts, mapping.
 *
 * GUEST blobs: the transport resolves the guest's memory before the command gets
 * here (the socket transport maps the memfd that rides with the frame; a vhost-user
 * transport would translate the mem entries) and hands it over as `backing`, which
 * must cover the blob's size.  The device does not read the mem entries itself; it
 * only checks that the command holds `nr_entries` of them.
 *
 * HOST3D blobs: created by the context `ctx_id` names (capset_ops->create_blob,
 * docs/cross-domain.md §4.7).  On failure that op has released what it made; the
 * device ignores res->backing then.
 */
#include "virtgpu/device/device-private.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

void gpu_model_attachment_free(struct gpu_model_attachment *att)
{
	wl_list_remove(&att->ctx_link);
	wl_list_remove(&att->res_link);
	free(att);
}

void gpu_model_res_free(struct gpu_model *dev, struct gpu_model_res *res)
{
	while (!wl_list_empty(&res->attachments)) {
		struct gpu_model_attachment *att = wl_container_of(res->attachments.next, att,
								   res_link);
		gpu_model_attachment_free(att);
	}
	gpu_model_backing_release(&res->pub.backing);
	if (res->pub.host_alloc)
		dev->host_alloc_bytes -= res->pub.size;
	wl_list_remove(&res->link);
	dev->num_resources--;
	free(res);
}

uint32_t gpu_model_create_blob(struct gpu_model *dev, struct gpu_model_cmd *cmd)
{
	struct virtio_gpu_resource_create_blob req;
	memcpy(&req, cmd->bytes, sizeof(req));
	uint32_t res_id = le32toh(req.resource_id);
	uint32_t blob_mem = le32toh(req.blob_mem);
	uint32_t blob_flags = le32toh(req.blob_flags);
	uint64_t nr_entries = le32toh(req.nr_entries);
	uint64_t size = le64toh(req.size);

	if (res_id == 0 || gpu_model_find_res(dev, res_id)) {
		cmd->why = res_id == 0 ? "resource id 0" : "resource id in use";
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	}
	if (blob_flags & ~GPU_MODEL_BLOB_FLAGS_VALID) {
		cmd->why = "unknown blob flags";
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	if (blob_mem != VIRTIO_GPU_BLOB_MEM_GUEST && blob_mem != VIRTIO_GPU_BLOB_MEM_HOST3D) {
		cmd->why = "unsupported blob_mem";
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	if (size == 0 || size > SIZE_MAX) {
		cmd->why = "bad blob size";
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	/* nr_entries ≤ 2^32, so the product cannot overflow 64 bits. */
	if (nr_entries * sizeof(struct virtio_gpu_mem_entry) > cmd->size - sizeof(req)) {
		cmd->why = "mem entries beyond the command";
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	if (dev->num_resources >= dev->max_resources) {
		cmd->why = "too many resources";
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}

	struct gpu_model_ctx *ctx = NULL;
	if (blob_mem == VIRTIO_GPU_BLOB_MEM_GUEST) {
		/*
		 * A non-mappable GUEST blob may come without a host mapping: memory
		 * the host only passes on (the socket transport's imported guest
		 * memory, docs/socket-transport.md); its fd is enough.
		 */
		bool memory = cmd->backing.addr ||
			      (!(blob_flags & VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE) &&
			       cmd->backing.fd >= 0);
		if (!memory || cmd->backing.size < size) {
			cmd->why = "GUEST blob without memory covering its size";
			return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
		}
	} else {
		ctx = gpu_model_find_ctx(dev, le32toh(req.hdr.ctx_id));
		if (!ctx) {
			cmd->why = "HOST3D blob without a context";
			return VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID;
		}
		if (!ctx->ops->create_blob) {
			cmd->why = "context type has no blobs";
			return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
		}
	}

	struct gpu_model_res *res = calloc(1, sizeof(*res));
	if (!res) {
		cmd->why = "out of memory";
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}
	res->pub.id = res_id;
	res->pub.blob_mem = blob_mem;
	res->pub.blob_flags = blob_flags;
	res->pub.size = size;
	res->pub.backing.fd = -1;
	wl_list_init(&res->attachments);

	if (ctx) {
		int ret = ctx->ops->create_blob(ctx->impl, le64toh(req.blob_id), &res->pub);
		if (ret < 0) {
			free(res);
			/*
			 * The guest kernel fails that one buffer (its MAP_BLOB finds no
			 * resource, so mmap fails); the context goes on.  OUT_OF_MEMORY
			 * tells a guest that reads responses (the socket transport)
			 * ENOMEM rather than EINVAL.
			 */
			if (ret == -ENOSPC || ret == -ENOMEM) {
				/* a limit: the context logs it, at most as often as it sees fit */
				cmd->why_logged = ret == -ENOSPC;
				cmd->why = ret == -ENOSPC ? "over a memory limit" : "out of memory";
				return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
			}
			cmd->why = "context refused the blob";
			return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
		}
		if (res->pub.backing.size < size) {
			gpu_model_backing_release(&res->pub.backing);
			free(res);
			cmd->why = "context blob smaller than requested";
			return VIRTIO_GPU_RESP_ERR_UNSPEC;
		}
	} else {
		res->pub.backing = cmd->backing;
		cmd->backing_taken = true;
		res->pub.map_info = VIRTIO_GPU_MAP_CACHE_CACHED | GPU_MODEL_MAP_ACCESS_RW;
	}

	if (res->pub.host_alloc)
		dev->host_alloc_bytes += res->pub.size;
	wl_list_insert(&dev->res_buckets[res_id % GPU_MODEL_RES_BUCKETS], &res->link);
	dev->num_resources++;
	return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_model_unref(struct gpu_model *dev, struct gpu_model_cmd *cmd)
{
	struct virtio_gpu_resource_unref req;
	memcpy(&req, cmd->bytes, sizeof(req));
	struct gpu_model_res *res = gpu_model_find_res(dev, le32toh(req.resource_id));
	if (!res) {
		cmd->why = "no such resource";
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	}
	gpu_model_res_free(dev, res);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

static uint32_t lookup_pair(struct gpu_model *dev, struct gpu_model_cmd *cmd,
			    struct gpu_model_ctx **ctx, struct gpu_model_res **res)
{
	struct virtio_gpu_ctx_resource req;
	memcpy(&req, cmd->bytes, sizeof(req));
	*ctx = gpu_model_find_ctx(dev, le32toh(req.hdr.ctx_id));
	if (!*ctx) {
		cmd->why = "no such context";
		return VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID;
	}
	*res = gpu_model_find_res(dev, le32toh(req.resource_id));
	if (!*res) {
		cmd->why = "no such resource";
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	}
	return 0;
}

static struct gpu_model_attachment *find_attachment(struct gpu_model_ctx *ctx,
						    struct gpu_model_res *res)
{
	struct gpu_model_attachment *att;
	wl_list_for_each(att, &res->attachments, res_link) {
		if (att->ctx == ctx)
			return att;
	}
	return NULL;
}

uint32_t gpu_model_attach(struct gpu_model *dev, struct gpu_model_cmd *cmd)
{
	struct gpu_model_ctx *ctx;
	struct gpu_model_res *res;
	uint32_t err = lookup_pair(dev, cmd, &ctx, &res);
	if (err)
		return err;
	if (find_attachment(ctx, res))
		return VIRTIO_GPU_RESP_OK_NODATA; /* attaching twice changes nothing */
	struct gpu_model_attachment *att = calloc(1, sizeof(*att));
	if (!att) {
		cmd->why = "out of memory";
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}
	att->ctx = ctx;
	att->res = res;
	wl_list_insert(&ctx->attachments, &att->ctx_link);
	wl_list_insert(&res->attachments, &att->res_link);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_model_detach(struct gpu_model *dev, struct gpu_model_cmd *cmd)
{
	struct gpu_model_ctx *ctx;
	struct gpu_model_res *res;
	uint32_t err = lookup_pair(dev, cmd, &ctx, &res);
	if (err)
		return err;
	struct gpu_model_attachment *att = find_attachment(ctx, res);
	if (!att) {
		cmd->why = "resource not attached to the context";
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	}
	gpu_model_attachment_free(att);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_model_map_blob(struct gpu_model *dev, struct gpu_model_cmd *cmd)
{
	struct virtio_gpu_resource_map_blob req;
	memcpy(&req, cmd->bytes, sizeof(req));
	struct gpu_model_res *res = gpu_model_find_res(dev, le32toh(req.resource_id));
	if (!res) {
		cmd->why = "no such resource";
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	}
	if (!(res->pub.blob_flags & VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE) || res->pub.backing.fd < 0) {
		cmd->why = "blob not mappable";
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	/*
	 * map_info as the context set it: the cache type in the low bits (all a
	 * virtio guest kernel reads) plus XDOMAIN_MAP_ACCESS_* bits, which tell a
	 * socket-transport guest how it may mmap the fd.
	 */
	struct virtio_gpu_resp_map_info resp = {0};
	gpu_model_resp_hdr(&cmd->hdr, VIRTIO_GPU_RESP_OK_MAP_INFO, &resp.hdr);
	resp.map_info = htole32(res->pub.map_info);
	gpu_model_respond(dev, cmd->cookie, &resp, sizeof(resp), res->pub.backing.fd);
	return 0;
}

uint32_t gpu_model_unmap_blob(struct gpu_model *dev, struct gpu_model_cmd *cmd)
{
	struct virtio_gpu_resource_unmap_blob req;
	memcpy(&req, cmd->bytes, sizeof(req));
	if (!gpu_model_find_res(dev, le32toh(req.resource_id))) {
		cmd->why = "no such resource";
		return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
	}
	return VIRTIO_GPU_RESP_OK_NODATA;
}
