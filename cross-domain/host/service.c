/* SPDX-License-Identifier: MIT */
/*
 * The host-side cross-domain context type (capset 5): context lifecycle, command
 * dispatch, INIT, fences and teardown.  Items live in items.c, pipes in
 * pipes.c, compositor I/O in compositor.c.
 *
 * Behaviour follows rutabaga's cross-domain (docs/cross-domain.md §4) with the
 * fixes of §4.9: every guest error ends only its context, and a held POLL fence is
 * always signalled (empty RECEIVE) on teardown and compositor EOF.  Where that
 * makes vsomm-host more lenient than rutabaga, config->strict (vsomm-host
 * --strict) behaves as rutabaga does, so that guests are tested against both.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-server-core.h>

#include "cross-domain/host/service-private.h"
#include "util/log.h"
#include "virtgpu/device/device.h"

static size_t live_contexts;
static struct wl_list contexts = {&contexts, &contexts}; /* xdomain_service_ctx.link */

size_t xdomain_service_live_contexts(void)
{
	return live_contexts;
}

static void get_capset(void *capset_data, void *buf)
{
	const struct xdomain_capabilities caps = {
		.version = XDOMAIN_CAPS_VERSION,
		.supported_channels = 1u << XDOMAIN_CHANNEL_TYPE_WAYLAND,
		.supports_dmabuf = 0,
		.supports_external_gpu_memory = 0,
	};
	memcpy(buf, &caps, sizeof(caps));
}

static void *ctx_create(void *capset_data, struct gpu_model *dev, uint32_t ctx_id,
			const char *debug_name)
{
	const struct xdomain_service_config *config = capset_data;
	if (!config || !config->loop) {
		vsomm_log(VSOMM_LOG_ERROR, "cross-domain context %u: no host configuration",
			  ctx_id);
		return NULL;
	}
	uint32_t max_contexts = config->limits.max_contexts ? config->limits.max_contexts
							    : SERVICE_DEFAULT_MAX_CONTEXTS;
	uint32_t on_dev = 0;
	struct xdomain_service_ctx *other;
	wl_list_for_each(other, &contexts, link)
		on_dev += other->dev == dev;
	if (on_dev >= max_contexts) {
		vsomm_log(VSOMM_LOG_ERROR,
			  "cross-domain context %u: more than %u contexts on one "
			  "connection: refused",
			  ctx_id, max_contexts);
		return NULL;
	}
	struct xdomain_service_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->dev = dev;
	ctx->config = config;
	ctx->ctx_id = ctx_id;
	ctx->trace = config->trace;
	snprintf(ctx->name, sizeof(ctx->name), "%s", debug_name ? debug_name : "");
	ctx->limits = config->limits;
	ctx->limits.max_contexts = max_contexts;
	xdomain_service_limits_apply_defaults(&ctx->limits);
	ctx->conn_fd = -1;
	ctx->next_item_id = SERVICE_FIRST_ITEM_ID;
	ctx->read_pipe_id = XDOMAIN_PIPE_READ_START;
	fdpass_queue_init(&ctx->out_queue);
	wl_list_init(&ctx->items);
	wl_list_init(&ctx->read_pipes);
	wl_list_init(&ctx->blobs);
	live_contexts++;
	wl_list_insert(&contexts, &ctx->link);
	vsomm_log(VSOMM_LOG_DEBUG, "ctx %u (%s): created", ctx_id, ctx->name);
	return ctx;
}

void xdomain_service_ctx_release(struct xdomain_service_ctx *ctx)
{
	xdomain_service_compositor_close(ctx);
	struct xdomain_service_read_pipe *pipe, *pipe_tmp;
	wl_list_for_each_safe(pipe, pipe_tmp, &ctx->read_pipes, link)
		xdomain_service_read_pipe_destroy(pipe);
	struct xdomain_service_item *item, *item_tmp;
	wl_list_for_each_safe(item, item_tmp, &ctx->items, link)
		xdomain_service_item_remove(item);
	xdomain_service_blobs_release(ctx);
}

static void ctx_destroy(void *data)
{
	struct xdomain_service_ctx *ctx = data;
	if (!ctx)
		return;
	xdomain_service_ctx_release(ctx);
	vsomm_log(VSOMM_LOG_DEBUG, "ctx %u (%s): destroyed", ctx->ctx_id, ctx->name);
	live_contexts--;
	wl_list_remove(&ctx->link);
	free(ctx);
}

void *xdomain_service_ring(struct xdomain_service_ctx *ctx, uint32_t res_id, size_t min_size)
{
	/* INIT checked the rings, but the guest may detach or destroy them later. */
	struct gpu_model_resource *res = gpu_model_attached_resource(ctx->dev, ctx->ctx_id, res_id);
	if (!res || !res->backing.addr || res->backing.size < min_size)
		return NULL;
	return res->backing.addr;
}

bool xdomain_service_write_channel_ring(struct xdomain_service_ctx *ctx, const void *data,
					size_t size)
{
	void *ring = xdomain_service_ring(ctx, ctx->channel_ring_id, XDOMAIN_RING_SIZE);
	if (!ring || size > XDOMAIN_RING_SIZE)
		return false;
	memcpy(ring, data, size);
	return true;
}

bool xdomain_service_write_empty_receive(struct xdomain_service_ctx *ctx)
{
	struct xdomain_send_receive msg = {.hdr.cmd = XDOMAIN_CMD_RECEIVE};
	if (ctx->trace)
		vsomm_log(VSOMM_LOG_TRACE, "ctx %u: -> RECEIVE empty (compositor gone)",
			  ctx->ctx_id);
	return xdomain_service_write_channel_ring(ctx, &msg, sizeof(msg));
}

void xdomain_service_update_sources(struct xdomain_service_ctx *ctx)
{
	bool armed = ctx->num_fences > 0 && !ctx->dead;
	xdomain_service_compositor_update(ctx);
	struct xdomain_service_read_pipe *pipe;
	wl_list_for_each(pipe, &ctx->read_pipes, link)
		xdomain_service_read_pipe_update(pipe, armed);
}

void xdomain_service_signal_one(struct xdomain_service_ctx *ctx)
{
	if (ctx->num_fences == 0)
		return;
	uint64_t fence_id = ctx->fences[0];
	ctx->num_fences--;
	memmove(&ctx->fences[0], &ctx->fences[1], ctx->num_fences * sizeof(ctx->fences[0]));
	xdomain_service_update_sources(ctx);
	gpu_model_fence_signal(ctx->dev, ctx->ctx_id, XDOMAIN_CHANNEL_RING, fence_id);
}

static void ctx_end(struct xdomain_service_ctx *ctx, enum vsomm_log_level level, const char *reason)
{
	vsomm_log(level, "ctx %u (%s): %s; context ended", ctx->ctx_id, ctx->name, reason);
	xdomain_service_ctx_release(ctx);
	ctx->dead = true;
	if (ctx->num_fences == 0)
		return;
	/* Tell the guest the channel is over instead of leaving its POLL hanging. */
	if (ctx->initialized && ctx->channel_type != XDOMAIN_CHANNEL_TYPE_NONE)
		xdomain_service_write_empty_receive(ctx);
	/* Signalling the newest held fence completes every earlier one (§5.11). */
	uint64_t fence_id = ctx->fences[ctx->num_fences - 1];
	ctx->num_fences = 0;
	gpu_model_fence_signal(ctx->dev, ctx->ctx_id, XDOMAIN_CHANNEL_RING, fence_id);
}

void xdomain_service_ctx_fail(struct xdomain_service_ctx *ctx, const char *fmt, ...)
{
	if (ctx->dead)
		return;
	char reason[256];
	va_list args;
	va_start(args, fmt);
	vsnprintf(reason, sizeof(reason), fmt, args);
	va_end(args);
	ctx_end(ctx, VSOMM_LOG_ERROR, reason);
}

void xdomain_service_ctx_ring_gone(struct xdomain_service_ctx *ctx)
{
	if (ctx->dead)
		return;
	/*
	 * A guest that ends releases its resources before its context (the
	 * kernel's order when a DRM file is closed), so the ring can go while its
	 * POLL is held and the compositor still talks: the end, not an error.
	 */
	char reason[96];
	snprintf(reason, sizeof(reason), "the guest released channel ring %u",
		 ctx->channel_ring_id);
	ctx_end(ctx, VSOMM_LOG_INFO, reason);
}

static bool handle_init(struct xdomain_service_ctx *ctx, const struct xdomain_cmd_view *view)
{
	if (ctx->initialized) {
		xdomain_service_ctx_fail(ctx, "second INIT");
		return false;
	}
	uint32_t query_ring, channel_ring, channel_type;
	if (view->size >= sizeof(struct xdomain_init)) {
		struct xdomain_init init;
		XDOMAIN_LOAD(init, view);
		query_ring = init.query_ring_id;
		channel_ring = init.channel_ring_id;
		channel_type = init.channel_type;
	} else {
		/* legacy 16-byte INIT: one ring for both (§2.4) */
		uint32_t words[4];
		memcpy(words, view->base, sizeof(words));
		query_ring = channel_ring = words[2];
		channel_type = words[3];
	}
	if (ctx->trace)
		vsomm_log(VSOMM_LOG_TRACE,
			  "ctx %u: <- INIT query ring %u, channel ring %u, channel type %u",
			  ctx->ctx_id, query_ring, channel_ring, channel_type);

	if (!xdomain_service_ring(ctx, query_ring, sizeof(struct xdomain_image_requirements))) {
		xdomain_service_ctx_fail(ctx, "INIT: query ring %u not attached or too small",
					 query_ring);
		return false;
	}
	if (channel_type != XDOMAIN_CHANNEL_TYPE_NONE &&
	    channel_type != XDOMAIN_CHANNEL_TYPE_WAYLAND) {
		xdomain_service_ctx_fail(ctx, "INIT: unsupported channel type %u", channel_type);
		return false;
	}
	if (channel_type == XDOMAIN_CHANNEL_TYPE_WAYLAND &&
	    !xdomain_service_ring(ctx, channel_ring, XDOMAIN_RING_SIZE)) {
		xdomain_service_ctx_fail(
			ctx, "INIT: channel ring %u not attached or smaller than %u bytes",
			channel_ring, XDOMAIN_RING_SIZE);
		return false;
	}
	ctx->initialized = true;
	ctx->query_ring_id = query_ring;
	ctx->channel_ring_id = channel_ring;
	ctx->channel_type = channel_type;
	if (channel_type == XDOMAIN_CHANNEL_TYPE_WAYLAND)
		xdomain_service_compositor_connect(ctx);
	return true;
}

static bool handle_image_requirements(struct xdomain_service_ctx *ctx,
				      const struct xdomain_cmd_view *view)
{
	if (!ctx->initialized) {
		xdomain_service_ctx_fail(ctx, "GET_IMAGE_REQUIREMENTS before INIT");
		return false;
	}
	struct xdomain_get_image_requirements req;
	XDOMAIN_LOAD(req, view);
	return xdomain_service_image_requirements(ctx, &req);
}

static bool handle_write(struct xdomain_service_ctx *ctx, const struct xdomain_cmd_view *view)
{
	struct xdomain_read_write cmd;
	XDOMAIN_LOAD(cmd, view);
	if (ctx->trace)
		vsomm_log(VSOMM_LOG_TRACE, "ctx %u: <- WRITE pipe %u, %zu bytes%s", ctx->ctx_id,
			  cmd.identifier, view->payload_size, cmd.hang_up ? ", hang-up" : "");
	return xdomain_service_pipe_write(ctx, &cmd, view->payload, view->payload_size);
}

static int submit(void *data, const void *buf, size_t size)
{
	struct xdomain_service_ctx *ctx = data;
	if (ctx->dead)
		return -EPIPE;
	const uint8_t *p = buf;
	size_t left = size;
	while (left > 0) {
		struct xdomain_cmd_view view;
		enum xdomain_wire_error err = xdomain_decode_guest_cmd(p, left, &view);
		if (err != XDOMAIN_WIRE_OK) {
			xdomain_service_ctx_fail(ctx, "malformed command at offset %zu: %s",
						 size - left, xdomain_strerror(err));
			return -EPIPE;
		}
		bool ok = true;
		switch (view.cmd) {
		case XDOMAIN_CMD_INIT:
			ok = handle_init(ctx, &view);
			break;
		case XDOMAIN_CMD_GET_IMAGE_REQUIREMENTS:
			ok = handle_image_requirements(ctx, &view);
			break;
		case XDOMAIN_CMD_POLL:
			/* Nothing to do: the ring-1 fence of this submit is what counts (§3.4). */
			if (ctx->trace)
				vsomm_log(VSOMM_LOG_TRACE, "ctx %u: <- POLL", ctx->ctx_id);
			break;
		case XDOMAIN_CMD_SEND: {
			int ret = xdomain_service_send(ctx, &view);
			/* refused alone (--strict): the rest of the buffer is skipped */
			if (ret == -EINVAL && !ctx->dead)
				return -EINVAL;
			ok = ret == 0;
			break;
		}
		case XDOMAIN_CMD_WRITE:
			ok = handle_write(ctx, &view);
			break;
		default:
			xdomain_service_ctx_fail(ctx, "unexpected command %u", view.cmd);
			ok = false;
			break;
		}
		if (!ok || ctx->dead) {
			/* Handlers that fail end the context themselves; be sure of it. */
			xdomain_service_ctx_fail(ctx, "command %u failed", view.cmd);
			return -EPIPE;
		}
		p += view.size;
		left -= view.size;
	}
	return 0;
}

static bool create_fence(void *data, uint32_t ring_idx, uint64_t fence_id)
{
	struct xdomain_service_ctx *ctx = data;
	if (ctx->dead)
		return true;
	if (ring_idx == XDOMAIN_QUERY_RING)
		return true; /* queries are answered synchronously (§3.3) */
	if (ring_idx != XDOMAIN_CHANNEL_RING) {
		if (ctx->config->strict) {
			/* rutabaga's create_fence errors and the fence stays pending (§4.9) */
			vsomm_log(VSOMM_LOG_ERROR,
				  "ctx %u: fence on unknown ring %u: never signalled, as with "
				  "rutabaga (--strict)",
				  ctx->ctx_id, ring_idx);
			return false;
		}
		xdomain_service_ctx_fail(ctx, "fence on unknown ring %u", ring_idx);
		return true;
	}
	if (!ctx->initialized || ctx->channel_type == XDOMAIN_CHANNEL_TYPE_NONE) {
		if (ctx->config->strict) {
			/* rutabaga drops it: only a channel's worker signals ring 1 (§4.2) */
			vsomm_log(VSOMM_LOG_ERROR,
				  "ctx %u: ring-1 fence without a channel%s: never signalled, as "
				  "with rutabaga (--strict)",
				  ctx->ctx_id, ctx->initialized ? "" : " (before INIT)");
			return false;
		}
		/* No channel: nothing will ever arrive; never leave the guest hanging. */
		vsomm_log(VSOMM_LOG_DEBUG, "ctx %u: ring-1 fence without a channel", ctx->ctx_id);
		return true;
	}
	if (ctx->conn_eof) {
		if (!xdomain_service_write_empty_receive(ctx))
			xdomain_service_ctx_ring_gone(ctx);
		return true;
	}
	if (ctx->num_fences == SERVICE_MAX_HELD_FENCES) {
		xdomain_service_ctx_fail(ctx, "more than %u POLL fences outstanding",
					 SERVICE_MAX_HELD_FENCES);
		return true;
	}
	ctx->fences[ctx->num_fences++] = fence_id;
	if (ctx->num_fences == 1)
		xdomain_service_update_sources(ctx);
	return false;
}

static int ctx_create_blob(void *data, uint64_t blob_id, struct gpu_model_resource *res)
{
	struct xdomain_service_ctx *ctx = data;
	if (ctx->dead)
		return -EPIPE;
	return xdomain_service_create_blob(ctx, blob_id, res);
}

static bool is_strict(void *capset_data)
{
	const struct xdomain_service_config *config = capset_data;
	return config && config->strict;
}

const struct gpu_model_capset_ops xdomain_service_capset = {
	.capset_id = XDOMAIN_CAPSET_ID,
	.max_version = XDOMAIN_CAPSET_VERSION,
	.max_size = sizeof(struct xdomain_capabilities),
	.get_capset = get_capset,
	.ctx_create = ctx_create,
	.ctx_destroy = ctx_destroy,
	.submit = submit,
	.create_fence = create_fence,
	.create_blob = ctx_create_blob,
	.strict = is_strict,
};
