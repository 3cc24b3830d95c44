/* SPDX-License-Identifier: MIT */
/*
 * The host virtio-gpu device model: command dispatch, capsets, lookups and the
 * response path.  Contexts, submits and fences live in context.c; blob
 * resources in resource.c.
 *
 * Every command is guest input: its length is checked against the struct of its
 * type before any field is read, and fields are copied out (the transport's buffer
 * need not be aligned).  Every command gets exactly one response, through
 * transport_ops->complete: at once, or — for a fence a context holds back — later.
 */
#include "virtgpu/device/device-private.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/log.h"

void gpu_model_resp_hdr(const struct virtio_gpu_ctrl_hdr *req, uint32_t type,
			struct virtio_gpu_ctrl_hdr *out)
{
	memset(out, 0, sizeof(*out));
	out->type = htole32(type);
	out->ctx_id = req->ctx_id;
	/*
	 * A fenced command is completed by a response carrying FLAG_FENCE and its
	 * fence_id (and ring_idx for INFO_RING_IDX): the guest kernel signals the
	 * fence from it, even when the response is an error (QEMU does the same).
	 */
	uint32_t flags = le32toh(req->flags);
	if (flags & VIRTIO_GPU_FLAG_FENCE) {
		out->flags = htole32(flags & GPU_MODEL_FENCE_ECHO);
		out->fence_id = req->fence_id;
		if (flags & VIRTIO_GPU_FLAG_INFO_RING_IDX)
			out->ring_idx = req->ring_idx;
	}
}

void gpu_model_respond(struct gpu_model *dev, uint64_t cookie, const void *resp, size_t size,
		       int fd)
{
	dev->transport_ops->complete(dev->transport, cookie, resp, size, fd);
}

void gpu_model_backing_release(struct gpu_model_backing *backing)
{
	if (backing->owned) {
		if (backing->addr && backing->size > 0)
			munmap(backing->addr, backing->size);
		if (backing->fd >= 0)
			close(backing->fd);
	}
	backing->addr = NULL;
	backing->size = 0;
	backing->fd = -1;
	backing->owned = false;
}

struct gpu_model_ctx *gpu_model_find_ctx(struct gpu_model *dev, uint32_t ctx_id)
{
	struct gpu_model_ctx *ctx;
	wl_list_for_each(ctx, &dev->ctx_buckets[ctx_id % GPU_MODEL_CTX_BUCKETS], link) {
		if (ctx->id == ctx_id)
			return ctx;
	}
	return NULL;
}

struct gpu_model_res *gpu_model_find_res(struct gpu_model *dev, uint32_t res_id)
{
	struct gpu_model_res *res;
	wl_list_for_each(res, &dev->res_buckets[res_id % GPU_MODEL_RES_BUCKETS], link) {
		if (res->pub.id == res_id)
			return res;
	}
	return NULL;
}

struct gpu_model *gpu_model_create(const struct gpu_model_config *config)
{
	if (!config || !config->transport_ops || !config->transport_ops->complete)
		return NULL;
	struct gpu_model *dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;

	uint32_t n = 0;
	while (config->capsets && config->capsets[n])
		n++;
	if (n > 0) {
		dev->capsets = calloc(n, sizeof(*dev->capsets));
		if (!dev->capsets) {
			free(dev);
			return NULL;
		}
		memcpy(dev->capsets, config->capsets, n * sizeof(*dev->capsets));
	}
	dev->num_capsets = n;
	dev->capset_data = config->capset_data;
	dev->transport_ops = config->transport_ops;
	dev->transport = config->transport;
	dev->max_contexts = config->max_contexts ? config->max_contexts
						 : GPU_MODEL_DEFAULT_MAX_CONTEXTS;
	dev->max_resources = config->max_resources ? config->max_resources
						   : GPU_MODEL_DEFAULT_MAX_RESOURCES;
	for (size_t i = 0; i < GPU_MODEL_CTX_BUCKETS; i++)
		wl_list_init(&dev->ctx_buckets[i]);
	for (size_t i = 0; i < GPU_MODEL_RES_BUCKETS; i++)
		wl_list_init(&dev->res_buckets[i]);
	return dev;
}

void gpu_model_destroy(struct gpu_model *dev)
{
	if (!dev)
		return;
	/* The transport is going away: held responses are dropped, not sent. */
	for (size_t i = 0; i < GPU_MODEL_CTX_BUCKETS; i++) {
		while (!wl_list_empty(&dev->ctx_buckets[i])) {
			struct gpu_model_ctx *ctx = wl_container_of(dev->ctx_buckets[i].next, ctx,
								    link);
			gpu_model_ctx_free(dev, ctx, false);
		}
	}
	for (size_t i = 0; i < GPU_MODEL_RES_BUCKETS; i++) {
		while (!wl_list_empty(&dev->res_buckets[i])) {
			struct gpu_model_res *res = wl_container_of(dev->res_buckets[i].next, res,
								    link);
			gpu_model_res_free(dev, res);
		}
	}
	free(dev->capsets);
	free(dev);
}

uint32_t gpu_model_num_capsets(const struct gpu_model *dev)
{
	return dev ? dev->num_capsets : 0;
}

bool gpu_model_strict(const struct gpu_model *dev)
{
	for (uint32_t i = 0; dev && i < dev->num_capsets; i++)
		if (dev->capsets[i]->strict && dev->capsets[i]->strict(dev->capset_data))
			return true;
	return false;
}

struct gpu_model_resource *gpu_model_attached_resource(struct gpu_model *dev, uint32_t ctx_id,
						       uint32_t res_id)
{
	struct gpu_model_res *res = gpu_model_find_res(dev, res_id);
	if (!res)
		return NULL;
	struct gpu_model_attachment *att;
	wl_list_for_each(att, &res->attachments, res_link) {
		if (att->ctx->id == ctx_id)
			return &res->pub;
	}
	return NULL;
}

struct gpu_model_resource *gpu_model_lookup_resource(struct gpu_model *dev, uint32_t res_id)
{
	struct gpu_model_res *res = gpu_model_find_res(dev, res_id);
	return res ? &res->pub : NULL;
}

uint64_t gpu_model_host_alloc_bytes(const struct gpu_model *dev)
{
	return dev ? dev->host_alloc_bytes : 0;
}

static uint32_t get_capset_info(struct gpu_model *dev, struct gpu_model_cmd *cmd)
{
	struct virtio_gpu_get_capset_info req;
	memcpy(&req, cmd->bytes, sizeof(req));
	uint32_t index = le32toh(req.capset_index);
	if (index >= dev->num_capsets) {
		cmd->why = "capset index out of range";
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	const struct gpu_model_capset_ops *ops = dev->capsets[index];
	struct virtio_gpu_resp_capset_info resp = {0};
	gpu_model_resp_hdr(&cmd->hdr, VIRTIO_GPU_RESP_OK_CAPSET_INFO, &resp.hdr);
	resp.capset_id = htole32(ops->capset_id);
	resp.capset_max_version = htole32(ops->max_version);
	resp.capset_max_size = htole32(ops->max_size);
	gpu_model_respond(dev, cmd->cookie, &resp, sizeof(resp), -1);
	return 0;
}

static uint32_t get_capset(struct gpu_model *dev, struct gpu_model_cmd *cmd)
{
	struct virtio_gpu_get_capset req;
	memcpy(&req, cmd->bytes, sizeof(req));
	uint32_t id = le32toh(req.capset_id);
	uint32_t version = le32toh(req.capset_version);
	const struct gpu_model_capset_ops *ops = NULL;
	for (uint32_t i = 0; i < dev->num_capsets; i++) {
		if (dev->capsets[i]->capset_id == id) {
			ops = dev->capsets[i];
			break;
		}
	}
	if (!ops) {
		cmd->why = "unknown capset id";
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	if (version > ops->max_version) {
		cmd->why = "capset version above max_version";
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}

	size_t size = sizeof(struct virtio_gpu_resp_capset) + ops->max_size;
	struct virtio_gpu_resp_capset *resp = calloc(1, size);
	if (!resp) {
		cmd->why = "out of memory";
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}
	gpu_model_resp_hdr(&cmd->hdr, VIRTIO_GPU_RESP_OK_CAPSET, &resp->hdr);
	if (ops->get_capset && ops->max_size > 0)
		ops->get_capset(dev->capset_data, resp->capset_data);
	gpu_model_respond(dev, cmd->cookie, resp, size, -1);
	free(resp);
	return 0;
}

struct command {
	uint32_t type;
	const char *name;
	size_t min_size;
	uint32_t (*handle)(struct gpu_model *dev, struct gpu_model_cmd *cmd);
};

static const struct command commands[] = {
	{VIRTIO_GPU_CMD_GET_CAPSET_INFO, "GET_CAPSET_INFO",
	 sizeof(struct virtio_gpu_get_capset_info), get_capset_info},
	{VIRTIO_GPU_CMD_GET_CAPSET, "GET_CAPSET", sizeof(struct virtio_gpu_get_capset), get_capset},
	{VIRTIO_GPU_CMD_CTX_CREATE, "CTX_CREATE", sizeof(struct virtio_gpu_ctx_create),
	 gpu_model_ctx_create},
	{VIRTIO_GPU_CMD_CTX_DESTROY, "CTX_DESTROY", sizeof(struct virtio_gpu_ctx_destroy),
	 gpu_model_ctx_destroy_cmd},
	{VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, "CTX_ATTACH_RESOURCE",
	 sizeof(struct virtio_gpu_ctx_resource), gpu_model_attach},
	{VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE, "CTX_DETACH_RESOURCE",
	 sizeof(struct virtio_gpu_ctx_resource), gpu_model_detach},
	{VIRTIO_GPU_CMD_SUBMIT_3D, "SUBMIT_3D", sizeof(struct virtio_gpu_cmd_submit),
	 gpu_model_submit_3d},
	{VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, "RESOURCE_CREATE_BLOB",
	 sizeof(struct virtio_gpu_resource_create_blob), gpu_model_create_blob},
	{VIRTIO_GPU_CMD_RESOURCE_UNREF, "RESOURCE_UNREF", sizeof(struct virtio_gpu_resource_unref),
	 gpu_model_unref},
	{VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB, "RESOURCE_MAP_BLOB",
	 sizeof(struct virtio_gpu_resource_map_blob), gpu_model_map_blob},
	{VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB, "RESOURCE_UNMAP_BLOB",
	 sizeof(struct virtio_gpu_resource_unmap_blob), gpu_model_unmap_blob},
};

void gpu_model_process(struct gpu_model *dev, const void *bytes, size_t size,
		       struct gpu_model_backing *backing, uint64_t cookie)
{
	struct gpu_model_cmd cmd = {
		.bytes = bytes,
		.size = size,
		.cookie = cookie,
		.backing = {.fd = -1},
	};
	/* The device takes over the memory `backing` describes, whatever happens. */
	if (backing)
		cmd.backing = *backing;

	uint32_t resp_type;
	const struct command *command = NULL;
	if (!bytes || size < sizeof(cmd.hdr)) {
		/* No header to echo: an all-zero one (ctx 0, unfenced). */
		cmd.why = "truncated header";
		resp_type = VIRTIO_GPU_RESP_ERR_UNSPEC;
		goto respond;
	}
	memcpy(&cmd.hdr, bytes, sizeof(cmd.hdr));
	uint32_t type = le32toh(cmd.hdr.type);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (commands[i].type == type) {
			command = &commands[i];
			break;
		}
	}
	if (!command) {
		/* 2D, cursor, 3D transfers...: not part of this device. */
		cmd.why = "unsupported command";
		resp_type = VIRTIO_GPU_RESP_ERR_UNSPEC;
		goto respond;
	}
	if (size < command->min_size) {
		cmd.why = "command shorter than its struct";
		resp_type = VIRTIO_GPU_RESP_ERR_UNSPEC;
		goto respond;
	}
	resp_type = command->handle(dev, &cmd);

respond:
	if (resp_type >= VIRTIO_GPU_RESP_ERR_UNSPEC || (resp_type == 0 && cmd.why)) {
		vsomm_log(cmd.why_logged ? VSOMM_LOG_DEBUG : VSOMM_LOG_ERROR,
			  "virtgpu: %s (0x%x, ctx %u, %zu bytes) rejected: %s (response 0x%x)",
			  command ? command->name : "command", le32toh(cmd.hdr.type),
			  le32toh(cmd.hdr.ctx_id), size, cmd.why ? cmd.why : "error", resp_type);
	}
	if (resp_type != 0) {
		struct virtio_gpu_ctrl_hdr resp;
		gpu_model_resp_hdr(&cmd.hdr, resp_type, &resp);
		gpu_model_respond(dev, cookie, &resp, sizeof(resp), -1);
	}
	if (!cmd.backing_taken)
		gpu_model_backing_release(&cmd.backing);
}
