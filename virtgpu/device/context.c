/* SPDX-License-Identifier: MIT */
/*
 * Contexts, SUBMIT_3D and fences of the host device model.
 *
 * Fences (docs/cross-domain.md §3.2, §5.11): a fenced command is completed by its
 * response, which echoes FLAG_FENCE, fence_id and (with INFO_RING_IDX) ring_idx;
 * the guest kernel then signals that fence and every earlier one on the same
 * timeline.  A context may hold a ring fence back (the cross-domain POLL on ring 1):
 * its response waits in the context's `held` list until
 * gpu_model_fence_signal().  Global fences (no INFO_RING_IDX) complete at once.
 *
 * CTX_DESTROY completes the held responses (OK_NODATA with the fence echo) before
 * the context goes: the guest kernel waits on those fences, and a fence that never
 * signals hangs whoever waits on it.  Only gpu_model_destroy(), where the
 * transport itself is gone, drops them, and a strict context type (capset op
 * `strict`), which behaves as rutabaga does: its CTX_DESTROY signals nothing.
 */
#include "virtgpu/device/device-private.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

static void held_complete_list(struct gpu_model *dev, struct wl_list *list)
{
	/* Unlinked first: complete() may not touch these entries again. */
	while (!wl_list_empty(list)) {
		struct gpu_model_held_fence *held = wl_container_of(list->next, held, link);
		wl_list_remove(&held->link);
		if (dev->deciding == held)
			dev->deciding = NULL;
		gpu_model_respond(dev, held->cookie, &held->resp, sizeof(held->resp), -1);
		free(held);
	}
}

/* Complete the held fences of `ctx` on `ring_idx` up to `fence_id`, in order. */
static void ctx_fence_signal(struct gpu_model *dev, struct gpu_model_ctx *ctx, uint32_t ring_idx,
			     uint64_t fence_id)
{
	struct wl_list done;
	wl_list_init(&done);
	struct gpu_model_held_fence *held, *tmp;
	wl_list_for_each_safe(held, tmp, &ctx->held, link) {
		if (held->ring_idx != ring_idx || held->fence_id > fence_id)
			continue;
		wl_list_remove(&held->link);
		wl_list_insert(done.prev, &held->link);
		dev->num_held--;
	}
	held_complete_list(dev, &done);
}

void gpu_model_fence_signal(struct gpu_model *dev, uint32_t ctx_id, uint32_t ring_idx,
			    uint64_t fence_id)
{
	if (!dev)
		return;
	struct gpu_model_ctx *ctx = gpu_model_find_ctx(dev, ctx_id);
	if (ctx)
		ctx_fence_signal(dev, ctx, ring_idx, fence_id);
}

void gpu_model_ctx_free(struct gpu_model *dev, struct gpu_model_ctx *ctx, bool complete_fences)
{
	struct wl_list held;
	wl_list_init(&held);
	wl_list_insert_list(&held, &ctx->held);
	wl_list_init(&ctx->held);
	dev->num_held -= (uint32_t)wl_list_length(&held);
	if (complete_fences) {
		held_complete_list(dev, &held);
	} else {
		struct gpu_model_held_fence *h, *tmp;
		wl_list_for_each_safe(h, tmp, &held, link)
			free(h);
	}

	if (ctx->ops->ctx_destroy && ctx->impl)
		ctx->ops->ctx_destroy(ctx->impl);
	/* Fences the context signalled while going are for a context that is gone. */
	struct gpu_model_held_fence *h, *tmp;
	wl_list_for_each_safe(h, tmp, &ctx->held, link) {
		dev->num_held--;
		free(h);
	}

	while (!wl_list_empty(&ctx->attachments)) {
		struct gpu_model_attachment *att = wl_container_of(ctx->attachments.next, att,
								   ctx_link);
		gpu_model_attachment_free(att);
	}
	wl_list_remove(&ctx->link);
	dev->num_contexts--;
	free(ctx);
}

uint32_t gpu_model_ctx_create(struct gpu_model *dev, struct gpu_model_cmd *cmd)
{
	struct virtio_gpu_ctx_create req;
	memcpy(&req, cmd->bytes, sizeof(req));
	uint32_t ctx_id = le32toh(req.hdr.ctx_id);
	uint32_t capset_id = le32toh(req.context_init) & 0xff;

	if (ctx_id == 0) {
		cmd->why = "context id 0";
		return VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID;
	}
	if (gpu_model_find_ctx(dev, ctx_id)) {
		cmd->why = "context id in use";
		return VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID;
	}
	const struct gpu_model_capset_ops *ops = NULL;
	for (uint32_t i = 0; i < dev->num_capsets; i++) {
		if (dev->capsets[i]->capset_id == capset_id) {
			ops = dev->capsets[i];
			break;
		}
	}
	if (!ops || !ops->ctx_create) {
		cmd->why = "unknown capset in context_init";
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	if (dev->num_contexts >= dev->max_contexts) {
		cmd->why = "too many contexts";
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}

	/* nlen is guest input: bounded by the array, the name NUL-terminated. */
	char name[GPU_MODEL_DEBUG_NAME_MAX + 1];
	uint32_t nlen = le32toh(req.nlen);
	if (nlen > GPU_MODEL_DEBUG_NAME_MAX)
		nlen = GPU_MODEL_DEBUG_NAME_MAX;
	memcpy(name, req.debug_name, nlen);
	name[nlen] = '\0';

	struct gpu_model_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		cmd->why = "out of memory";
		return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	}
	ctx->id = ctx_id;
	ctx->ops = ops;
	wl_list_init(&ctx->attachments);
	wl_list_init(&ctx->held);
	/* Visible before ctx_create(): the context may look itself up. */
	wl_list_insert(&dev->ctx_buckets[ctx_id % GPU_MODEL_CTX_BUCKETS], &ctx->link);
	dev->num_contexts++;
	ctx->impl = ops->ctx_create(dev->capset_data, dev, ctx_id, name);
	if (!ctx->impl) {
		gpu_model_ctx_free(dev, ctx, true);
		cmd->why = "context type refused the context";
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
	return VIRTIO_GPU_RESP_OK_NODATA;
}

uint32_t gpu_model_ctx_destroy_cmd(struct gpu_model *dev, struct gpu_model_cmd *cmd)
{
	struct gpu_model_ctx *ctx = gpu_model_find_ctx(dev, le32toh(cmd->hdr.ctx_id));
	if (!ctx) {
		cmd->why = "no such context";
		return VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID;
	}
	bool strict = ctx->ops->strict && ctx->ops->strict(dev->capset_data);
	gpu_model_ctx_free(dev, ctx, !strict);
	return VIRTIO_GPU_RESP_OK_NODATA;
}

/* The response of a ring fence: now, or held until the context signals it. */
static void ring_fence(struct gpu_model *dev, struct gpu_model_ctx *ctx, struct gpu_model_cmd *cmd,
		       struct gpu_model_held_fence *held)
{
	held->cookie = cmd->cookie;
	held->ring_idx = cmd->hdr.ring_idx;
	held->fence_id = le64toh(cmd->hdr.fence_id);
	gpu_model_resp_hdr(&cmd->hdr, VIRTIO_GPU_RESP_OK_NODATA, &held->resp);

	/*
	 * Held before create_fence() so that a signal from inside it completes this
	 * fence too; `deciding` tells whether one did.
	 */
	wl_list_insert(ctx->held.prev, &held->link);
	dev->num_held++;
	dev->deciding = held;
	bool signalled = true;
	if (ctx->ops->create_fence)
		signalled = ctx->ops->create_fence(ctx->impl, held->ring_idx, held->fence_id);
	if (dev->deciding != held)
		return; /* completed during create_fence() */
	dev->deciding = NULL;
	/*
	 * Signalled now: the guest will consider every earlier fence of this
	 * timeline signalled too, so their held responses go first, in order.
	 */
	if (signalled)
		ctx_fence_signal(dev, ctx, held->ring_idx, held->fence_id);
}

uint32_t gpu_model_submit_3d(struct gpu_model *dev, struct gpu_model_cmd *cmd)
{
	struct virtio_gpu_cmd_submit req;
	memcpy(&req, cmd->bytes, sizeof(req));
	uint32_t flags = le32toh(req.hdr.flags);
	bool fenced = flags & VIRTIO_GPU_FLAG_FENCE;
	bool ring = fenced && (flags & VIRTIO_GPU_FLAG_INFO_RING_IDX);
	size_t size = le32toh(req.size);

	struct gpu_model_ctx *ctx = gpu_model_find_ctx(dev, le32toh(req.hdr.ctx_id));
	if (!ctx) {
		cmd->why = "no such context";
		return VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID;
	}
	if (size > cmd->size - sizeof(req)) {
		cmd->why = "submit size beyond the command";
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	if (ring && req.hdr.ring_idx >= GPU_MODEL_MAX_RINGS) {
		cmd->why = "ring_idx out of range";
		return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
	}
	struct gpu_model_held_fence *held = NULL;
	if (ring) {
		if (dev->num_held >= GPU_MODEL_MAX_HELD_FENCES) {
			cmd->why = "too many held fences";
			return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
		}
		/* malloc, not calloc: glibc's calloc skips its thread cache (one
		 * per POLL); ring_fence() sets every field. */
		held = malloc(sizeof(*held));
		if (!held) {
			cmd->why = "out of memory";
			return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
		}
	}

	int ret = ctx->ops->submit ? ctx->ops->submit(ctx->impl, cmd->bytes + sizeof(req), size)
				   : -1;
	if (ret < 0) {
		/* Answered now, with the fence echo: the guest must not hang on it. */
		free(held);
		cmd->why = "context rejected the submit";
		return VIRTIO_GPU_RESP_ERR_UNSPEC;
	}
	if (!ring)
		return VIRTIO_GPU_RESP_OK_NODATA; /* unfenced, or a global fence */
	ring_fence(dev, ctx, cmd, held);
	return 0;
}
