/* SPDX-License-Identifier: MIT */
/*
 * Pipes of a host cross-domain context (docs/cross-domain.md §3.5):
 *  - read pipes: the guest reads.  A SEND with a READ_PIPE identifier makes a pipe;
 *    the compositor gets the write end, the host polls the read end while a ring-1
 *    fence is held and turns data into READ messages.
 *  - write pipes: the guest writes.  The compositor sent a write end; WRITE commands
 *    carry the data.  Writes never block: what the pipe cannot take now is queued
 *    (within max_queued_bytes) and flushed when it becomes writable.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "cross-domain/host/service-private.h"
#include "util/fdpass.h"
#include "util/log.h"

void xdomain_service_queue_drop(struct xdomain_service_ctx *ctx, struct fdpass_queue *queue)
{
	ctx->queued_bytes -= fdpass_queue_size(queue);
	fdpass_queue_clear(queue);
}

/* ---- read pipes ---- */

static int handle_read_pipe(int fd, uint32_t mask, void *data)
{
	struct xdomain_service_read_pipe *pipe = data;
	struct xdomain_service_ctx *ctx = pipe->ctx;
	/* Another source of this dispatch may have used the fence already. */
	if (ctx->num_fences == 0 || ctx->dead)
		return 0;

	uint8_t msg[sizeof(struct xdomain_read_write) + XDOMAIN_MAX_READ_BYTES];
	ssize_t n = read(pipe->fd, msg + sizeof(struct xdomain_read_write), XDOMAIN_MAX_READ_BYTES);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0)
		vsomm_log_errno(VSOMM_LOG_DEBUG, "ctx %u: read pipe %u", ctx->ctx_id, pipe->id);
	size_t size = n > 0 ? (size_t)n : 0;
	struct xdomain_read_write hdr = {
		.hdr.cmd = XDOMAIN_CMD_READ,
		.identifier = pipe->id,
		.hang_up = n <= 0,
		.opaque_data_size = (uint32_t)size,
	};
	memcpy(msg, &hdr, sizeof(hdr));
	if (ctx->trace)
		vsomm_log(VSOMM_LOG_TRACE, "ctx %u: -> READ pipe %u, %zu bytes%s", ctx->ctx_id,
			  pipe->id, size, hdr.hang_up ? ", hang-up" : "");
	if (!xdomain_service_write_channel_ring(ctx, msg, sizeof(hdr) + size)) {
		xdomain_service_ctx_ring_gone(ctx);
		return 0;
	}
	if (hdr.hang_up)
		xdomain_service_read_pipe_destroy(pipe);
	xdomain_service_signal_one(ctx);
	return 0;
}

void xdomain_service_read_pipe_update(struct xdomain_service_read_pipe *pipe, bool armed)
{
	/*
	 * The fd leaves the epoll set while no fence is held: a hung-up pipe would
	 * report EPOLLHUP even with an empty mask and spin the loop.
	 */
	if (armed && !pipe->source) {
		pipe->source = wl_event_loop_add_fd(pipe->ctx->config->loop, pipe->fd,
						    WL_EVENT_READABLE, handle_read_pipe, pipe);
		if (!pipe->source)
			vsomm_log(VSOMM_LOG_ERROR, "ctx %u: cannot watch read pipe %u",
				  pipe->ctx->ctx_id, pipe->id);
	} else if (!armed && pipe->source) {
		wl_event_source_remove(pipe->source);
		pipe->source = NULL;
	}
}

bool xdomain_service_read_pipe_create(struct xdomain_service_ctx *ctx, uint32_t id, int *write_end)
{
	if (ctx->num_pipes >= ctx->limits.max_pipes) {
		xdomain_service_ctx_fail(ctx, "more than %u pipes", ctx->limits.max_pipes);
		return false;
	}
	struct xdomain_service_read_pipe *pipe = calloc(1, sizeof(*pipe));
	if (!pipe)
		goto err;
	/* Not O_NONBLOCK on both ends: the write end belongs to some compositor client. */
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		goto err_pipe;
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0)
		goto err_fds;
	pipe->ctx = ctx;
	pipe->id = id;
	pipe->fd = fds[0];
	wl_list_insert(ctx->read_pipes.prev, &pipe->link);
	ctx->num_pipes++;
	xdomain_service_read_pipe_update(pipe, ctx->num_fences > 0);
	*write_end = fds[1];
	return true;

err_fds:
	close(fds[0]);
	close(fds[1]);
err_pipe:
	free(pipe);
err:
	xdomain_service_ctx_fail(ctx, "read pipe %u: %s", id, strerror(errno));
	return false;
}

void xdomain_service_read_pipe_destroy(struct xdomain_service_read_pipe *pipe)
{
	if (pipe->source)
		wl_event_source_remove(pipe->source);
	close(pipe->fd);
	pipe->ctx->num_pipes--;
	wl_list_remove(&pipe->link);
	free(pipe);
}

/* ---- write pipes ---- */

void xdomain_service_write_pipe_release(struct xdomain_service_item *item)
{
	xdomain_service_queue_drop(item->ctx, &item->queue);
	if (item->source) {
		wl_event_source_remove(item->source);
		item->source = NULL;
	}
}

static void write_pipe_broken(struct xdomain_service_item *item, int err)
{
	vsomm_log(VSOMM_LOG_DEBUG, "ctx %u: write pipe %u: %s; dropping its data",
		  item->ctx->ctx_id, item->id, strerror(err));
	item->broken = true;
	xdomain_service_write_pipe_release(item);
}

/* Flush what the pipe takes now; true when the item still exists. */
static bool write_pipe_flush(struct xdomain_service_item *item)
{
	size_t queued = fdpass_queue_size(&item->queue);
	ssize_t n = fdpass_queue_flush_write(&item->queue, item->fd);
	item->ctx->queued_bytes -= queued - fdpass_queue_size(&item->queue);
	if (n < 0)
		write_pipe_broken(item, errno);
	else if (!fdpass_queue_empty(&item->queue))
		return true;
	if (item->source) {
		wl_event_source_remove(item->source);
		item->source = NULL;
	}
	if (item->hang_up) {
		xdomain_service_item_remove(item);
		return false;
	}
	return true;
}

static int handle_write_pipe(int fd, uint32_t mask, void *data)
{
	write_pipe_flush(data);
	return 0;
}

bool xdomain_service_pipe_write(struct xdomain_service_ctx *ctx,
				const struct xdomain_read_write *cmd, const uint8_t *payload,
				size_t size)
{
	struct xdomain_service_item *item = xdomain_service_item_find(ctx, cmd->identifier);
	if (!item || item->type != SERVICE_ITEM_WRITE_PIPE || item->hang_up) {
		xdomain_service_ctx_fail(ctx, "WRITE to unknown pipe %u", cmd->identifier);
		return false;
	}
	size_t done = 0;
	if (!item->broken && fdpass_queue_empty(&item->queue)) {
		while (done < size) {
			ssize_t n = write(item->fd, payload + done, size - done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno != EAGAIN)
				write_pipe_broken(item, errno);
			if (n < 0)
				break;
			done += (size_t)n;
		}
	}
	if (!item->broken && done < size) {
		size_t rest = size - done;
		if (rest > ctx->limits.max_queued_bytes - ctx->queued_bytes) {
			xdomain_service_ctx_fail(ctx, "write pipe %u: more than %llu bytes queued",
						 item->id,
						 (unsigned long long)ctx->limits.max_queued_bytes);
			return false;
		}
		if (!fdpass_queue_push(&item->queue, payload + done, rest, NULL, 0)) {
			xdomain_service_ctx_fail(ctx, "write pipe %u: out of memory", item->id);
			return false;
		}
		ctx->queued_bytes += rest;
		if (!item->source) {
			item->source = wl_event_loop_add_fd(ctx->config->loop, item->fd,
							    WL_EVENT_WRITABLE, handle_write_pipe,
							    item);
			if (!item->source) {
				xdomain_service_ctx_fail(ctx, "cannot watch write pipe %u",
							 item->id);
				return false;
			}
		}
	}
	if (cmd->hang_up) {
		item->hang_up = true;
		if (fdpass_queue_empty(&item->queue))
			xdomain_service_item_remove(item);
	}
	return true;
}
