/* SPDX-License-Identifier: MIT */
/*
 * The compositor side of a host cross-domain context: one non-blocking Unix
 * stream connection per context (docs/cross-domain.md §4.2), SEND → sendmsg with
 * an outgoing queue (§4.4, minus its blocking and ignored short writes), and
 * recvmsg → RECEIVE while a ring-1 fence is held (§4.5), one message per fence.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_gpu.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "cross-domain/host/service-private.h"
#include "util/fdpass.h"
#include "util/log.h"
#include "virtgpu/device/device.h"

/* Append to a trace line without overflowing it. */
static void __attribute__((format(printf, 3, 4)))
trace_append(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(buf, size);
	if (len + 1 >= size)
		return;
	va_list args;
	va_start(args, fmt);
	vsnprintf(buf + len, size - len, fmt, args);
	va_end(args);
}

void xdomain_service_compositor_close(struct xdomain_service_ctx *ctx)
{
	if (ctx->conn_source) {
		wl_event_source_remove(ctx->conn_source);
		ctx->conn_source = NULL;
		ctx->conn_mask = 0;
	}
	if (ctx->conn_fd >= 0) {
		close(ctx->conn_fd);
		ctx->conn_fd = -1;
	}
	xdomain_service_queue_drop(ctx, &ctx->out_queue);
}

static void receive_one(struct xdomain_service_ctx *ctx);

static void flush(struct xdomain_service_ctx *ctx)
{
	size_t queued = fdpass_queue_size(&ctx->out_queue);
	ssize_t n = fdpass_queue_flush(&ctx->out_queue, ctx->conn_fd, MSG_DONTWAIT);
	ctx->queued_bytes -= queued - fdpass_queue_size(&ctx->out_queue);
	if (n < 0) {
		/* The compositor went away; what it still sent is read until EOF. */
		vsomm_log_errno(VSOMM_LOG_INFO, "ctx %u: sending to the compositor", ctx->ctx_id);
		ctx->conn_write_broken = true;
		xdomain_service_queue_drop(ctx, &ctx->out_queue);
	}
	xdomain_service_compositor_update(ctx);
}

static int handle_conn(int fd, uint32_t mask, void *data)
{
	struct xdomain_service_ctx *ctx = data;
	if (mask & WL_EVENT_WRITABLE)
		flush(ctx);
	if ((mask & (WL_EVENT_READABLE | WL_EVENT_HANGUP | WL_EVENT_ERROR)) &&
	    (ctx->conn_mask & WL_EVENT_READABLE)) {
		if (ctx->num_fences > 0) {
			receive_one(ctx);
		} else {
			/* Readable while no POLL waits: only now stop watching (see below). */
			ctx->conn_idle = true;
			xdomain_service_compositor_update(ctx);
		}
	} else if (mask & (WL_EVENT_HANGUP | WL_EVENT_ERROR)) {
		/* A hangup reported under an empty mask: leave the epoll set until a POLL. */
		ctx->conn_idle = true;
		ctx->conn_hup = true;
		xdomain_service_compositor_update(ctx);
	}
	return 0;
}

void xdomain_service_compositor_update(struct xdomain_service_ctx *ctx)
{
	if (ctx->conn_fd < 0)
		return;
	/*
	 * Watching for input is switched off lazily: without a POLL outstanding the
	 * compositor's fd stays READABLE in the epoll set until it actually becomes
	 * readable (conn_idle), so the usual RECEIVE -> next POLL turn costs no
	 * epoll_ctl.  A POLL (num_fences > 0) clears it.
	 */
	if (ctx->num_fences > 0) {
		ctx->conn_idle = false;
		ctx->conn_hup = false;
	}
	uint32_t mask = 0;
	if (!ctx->conn_idle && !ctx->dead && !ctx->conn_eof)
		mask |= WL_EVENT_READABLE;
	if (!fdpass_queue_empty(&ctx->out_queue))
		mask |= WL_EVENT_WRITABLE;
	bool leave = mask == 0 && ctx->conn_hup && ctx->conn_source;
	if (mask == ctx->conn_mask && !leave && (mask == 0) == (ctx->conn_source == NULL))
		return;
	/* An empty mask still reports EPOLLHUP: after one, leave the epoll set. */
	if (leave) {
		wl_event_source_remove(ctx->conn_source);
		ctx->conn_source = NULL;
	} else if (!ctx->conn_source) {
		ctx->conn_source = wl_event_loop_add_fd(ctx->config->loop, ctx->conn_fd, mask,
							handle_conn, ctx);
		if (!ctx->conn_source) {
			vsomm_log(VSOMM_LOG_ERROR, "ctx %u: cannot watch the compositor connection",
				  ctx->ctx_id);
			mask = 0;
		}
	} else {
		wl_event_source_fd_update(ctx->conn_source, mask);
	}
	ctx->conn_mask = mask;
}

void xdomain_service_compositor_connect(struct xdomain_service_ctx *ctx)
{
	const char *path = ctx->config->compositor_path;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (!path || strlen(path) >= sizeof(addr.sun_path)) {
		vsomm_log(VSOMM_LOG_ERROR, "ctx %u: no usable compositor socket path", ctx->ctx_id);
		ctx->conn_eof = true;
		return;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		/* EAGAIN: its backlog is full; waiting would block every other guest. */
		vsomm_log_errno(VSOMM_LOG_ERROR, "ctx %u: cannot connect to the compositor at %s",
				ctx->ctx_id, path);
		if (fd >= 0)
			close(fd);
		ctx->conn_eof = true; /* the guest's POLL gets an empty RECEIVE */
		return;
	}
	ctx->conn_fd = fd;
	vsomm_log(VSOMM_LOG_DEBUG, "ctx %u: connected to %s", ctx->ctx_id, path);
	xdomain_service_compositor_update(ctx);
}

/* §4.4: the host's read-pipe counter, +1 then max with 0x80000000 (§4.6). */
static uint32_t next_read_pipe_id(uint32_t last)
{
	uint32_t id = last + 1;
	return id < XDOMAIN_PIPE_READ_START ? XDOMAIN_PIPE_READ_START : id;
}

int xdomain_service_send(struct xdomain_service_ctx *ctx, const struct xdomain_cmd_view *view)
{
	if (!ctx->initialized || ctx->channel_type != XDOMAIN_CHANNEL_TYPE_WAYLAND) {
		xdomain_service_ctx_fail(ctx, "SEND without a channel");
		return -EPIPE;
	}
	/* The header, then only the identifiers it names (not all 28 of each array). */
	struct xdomain_send_receive cmd;
	memcpy(&cmd, view->base, offsetof(struct xdomain_send_receive, identifiers));
	int fds[XDOMAIN_MAX_IDENTIFIERS];
	size_t nfds = 0;
	bool have_pipe = false;
	char trace[1024];
	trace[0] = '\0'; /* not `= ""`: that clears all of it, for every SEND */
	uint32_t num = cmd.num_identifiers;
	if (num > XDOMAIN_MAX_IDENTIFIERS) { /* the decoder checked it; stay safe */
		xdomain_service_ctx_fail(ctx, "SEND with %u identifiers", num);
		return -EPIPE;
	}
	if (num > 0) {
		const uint8_t *base = view->base;
		memcpy(cmd.identifiers, base + offsetof(struct xdomain_send_receive, identifiers),
		       num * sizeof(uint32_t));
		memcpy(cmd.identifier_types,
		       base + offsetof(struct xdomain_send_receive, identifier_types),
		       num * sizeof(uint32_t));
	}
	int ret = -EPIPE;
	for (uint32_t i = 0; i < num; i++) {
		uint32_t id = cmd.identifiers[i];
		int fd = -1;
		if (cmd.identifier_types[i] == XDOMAIN_ID_TYPE_VIRTGPU_BLOB) {
			struct gpu_model_resource *res = gpu_model_attached_resource(
				ctx->dev, ctx->ctx_id, id);
			if (!res || res->backing.fd < 0) {
				xdomain_service_ctx_fail(ctx, "SEND: resource %u %s", id,
							 res ? "has no host fd"
							     : "is not attached");
				goto err;
			}
			if (res->blob_mem == VIRTIO_GPU_BLOB_MEM_GUEST && ctx->config->strict) {
				/*
				 * rutabaga needs a host handle for every blob of a
				 * SEND and guest memory has none: the command fails,
				 * nothing is sent, the context lives on (§9).
				 */
				vsomm_log(VSOMM_LOG_ERROR,
					  "ctx %u: SEND names resource %u, guest memory (GUEST "
					  "blob): refused, as rutabaga does (--strict)",
					  ctx->ctx_id, id);
				ret = -EINVAL;
				goto err;
			}
			fd = fcntl(res->backing.fd, F_DUPFD_CLOEXEC, 0);
			if (fd < 0) {
				xdomain_service_ctx_fail(ctx, "SEND: dup of resource %u: %s", id,
							 strerror(errno));
				goto err;
			}
			if (ctx->trace)
				trace_append(trace, sizeof(trace), " blob res %u (fd %d -> %d)", id,
					     res->backing.fd, fd);
		} else if (cmd.identifier_types[i] == XDOMAIN_ID_TYPE_READ_PIPE) {
			uint32_t expected = next_read_pipe_id(ctx->read_pipe_id);
			if (have_pipe) {
				xdomain_service_ctx_fail(ctx, "SEND with more than one read pipe");
				goto err;
			}
			if (id != expected) {
				xdomain_service_ctx_fail(ctx,
							 "SEND: read pipe id 0x%x, expected 0x%x",
							 id, expected);
				goto err;
			}
			have_pipe = true;
			ctx->read_pipe_id = expected;
			if (!xdomain_service_read_pipe_create(ctx, id, &fd))
				goto err;
			if (ctx->trace)
				trace_append(trace, sizeof(trace),
					     " read pipe 0x%x (write end fd %d)", id, fd);
		} else {
			xdomain_service_ctx_fail(ctx, "SEND: identifier type %u",
						 cmd.identifier_types[i]);
			goto err;
		}
		fds[nfds++] = fd;
	}
	if (ctx->trace)
		vsomm_log(VSOMM_LOG_TRACE, "ctx %u: <- SEND %zu bytes%s%s", ctx->ctx_id,
			  view->payload_size, nfds ? ", fds:" : "", trace);
	if (nfds > 0 && view->payload_size == 0) {
		/* fds travel with bytes on a stream socket (§4.4); Wayland always has some */
		xdomain_service_ctx_fail(ctx, "SEND with fds but no bytes");
		goto err;
	}
	if (ctx->conn_eof || ctx->conn_write_broken || view->payload_size == 0)
		goto drop; /* nobody to send to: a read pipe's reader sees EOF */
	if (view->payload_size > ctx->limits.max_queued_bytes - ctx->queued_bytes) {
		xdomain_service_ctx_fail(ctx, "more than %llu bytes queued for the compositor",
					 (unsigned long long)ctx->limits.max_queued_bytes);
		goto err;
	}
	/*
	 * One sendmsg() from the guest's bytes when nothing waits, the rest queued;
	 * the fds go with the first byte of the payload and are taken in every case.
	 */
	size_t queued = fdpass_queue_size(&ctx->out_queue);
	struct iovec iov = {.iov_base = (void *)view->payload, .iov_len = view->payload_size};
	if (fdpass_queue_sendv(&ctx->out_queue, ctx->conn_fd, &iov, 1, fds, nfds, MSG_DONTWAIT) <
	    0) {
		if (errno == ENOMEM || errno == EINVAL) {
			ctx->queued_bytes += fdpass_queue_size(&ctx->out_queue) - queued;
			xdomain_service_ctx_fail(ctx, "SEND: out of memory");
			return -EPIPE;
		}
		/* The compositor went away; what it still sent is read until EOF. */
		vsomm_log_errno(VSOMM_LOG_INFO, "ctx %u: sending to the compositor", ctx->ctx_id);
		ctx->conn_write_broken = true;
		xdomain_service_queue_drop(ctx, &ctx->out_queue);
	} else {
		ctx->queued_bytes += fdpass_queue_size(&ctx->out_queue) - queued;
	}
	xdomain_service_compositor_update(ctx);
	return 0;

drop:
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	return 0;
err:
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	return ret;
}

/* §4.5 classification; false: not a kind the protocol can carry. */
static bool classify_fd(struct xdomain_service_ctx *ctx, int fd, uint32_t *type, uint64_t *size)
{
	off_t cur = lseek(fd, 0, SEEK_CUR);
	off_t end = lseek(fd, 0, SEEK_END);
	if (end >= 0) {
		if (cur >= 0)
			lseek(fd, cur, SEEK_SET); /* the offset is shared with the sender */
		*type = XDOMAIN_ID_TYPE_VIRTGPU_BLOB;
		*size = (uint64_t)end;
		return (uint64_t)end <= UINT32_MAX;
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags >= 0 && (flags & O_ACCMODE) == O_WRONLY) {
		/* our writes never block; the reader is at the other end */
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		*type = XDOMAIN_ID_TYPE_WRITE_PIPE;
		*size = 0;
		return true;
	}
	return false;
}

static void receive_eof(struct xdomain_service_ctx *ctx)
{
	vsomm_log(VSOMM_LOG_DEBUG, "ctx %u: compositor closed the connection", ctx->ctx_id);
	ctx->conn_eof = true;
	xdomain_service_compositor_close(ctx);
	if (!xdomain_service_write_empty_receive(ctx)) {
		xdomain_service_ctx_ring_gone(ctx);
		return;
	}
	xdomain_service_signal_one(ctx);
}

/*
 * One recvmsg() straight into the channel ring, after the RECEIVE header's
 * place, then the header: the bytes are copied once, by the kernel.  The ring is
 * the guest's to read only once the fence signals (the guest reads it after its
 * POLL completed, and has no POLL held while it does), and the host never reads
 * back what it wrote there.
 */
static void receive_one(struct xdomain_service_ctx *ctx)
{
	uint8_t *ring = xdomain_service_ring(ctx, ctx->channel_ring_id, XDOMAIN_RING_SIZE);
	if (!ring) {
		xdomain_service_ctx_ring_gone(ctx);
		return;
	}
	struct xdomain_send_receive hdr = {.hdr.cmd = XDOMAIN_CMD_RECEIVE};
	int fds[XDOMAIN_MAX_IDENTIFIERS];
	size_t nfds;
	unsigned status;
	ssize_t n = fdpass_recv(ctx->conn_fd, ring + sizeof(hdr), XDOMAIN_MAX_RECEIVE_BYTES, fds,
				XDOMAIN_MAX_IDENTIFIERS, &nfds, MSG_DONTWAIT, &status);
	if (n < 0 && errno == EAGAIN)
		return;

	/* a RECEIVE carries what fits: the rest were closed */
	if (n >= 0 && (status & FDPASS_RECV_TRUNCATED))
		vsomm_log(VSOMM_LOG_ERROR,
			  "ctx %u: compositor sent more than %u fds; extra dropped", ctx->ctx_id,
			  XDOMAIN_MAX_IDENTIFIERS);
	if (n < 0)
		vsomm_log_errno(VSOMM_LOG_INFO, "ctx %u: receiving from the compositor",
				ctx->ctx_id);
	if (n <= 0) {
		/* EOF or a dead connection (fds never come without bytes on a stream) */
		fdpass_close_fds(fds, nfds);
		receive_eof(ctx);
		return;
	}

	char trace[1024];
	trace[0] = '\0'; /* not `= ""`: that clears all of it, for every RECEIVE */
	uint32_t num = 0;
	for (size_t i = 0; i < nfds; i++) {
		uint32_t type;
		uint64_t size;
		if (!classify_fd(ctx, fds[i], &type, &size)) {
			/* §4.9: never kill the channel for an fd kind the protocol lacks */
			vsomm_log(
				VSOMM_LOG_ERROR,
				"ctx %u: compositor sent an fd that is neither memory nor a write "
				"pipe; dropped from the message",
				ctx->ctx_id);
			close(fds[i]);
			fds[i] = -1;
			continue;
		}
		if (type == XDOMAIN_ID_TYPE_WRITE_PIPE && ctx->num_pipes >= ctx->limits.max_pipes) {
			xdomain_service_ctx_fail(ctx, "more than %u pipes", ctx->limits.max_pipes);
			goto err;
		}
		struct xdomain_service_item *item = xdomain_service_item_add(
			ctx, type == XDOMAIN_ID_TYPE_WRITE_PIPE ? SERVICE_ITEM_WRITE_PIPE
								: SERVICE_ITEM_BLOB);
		if (!item) {
			xdomain_service_ctx_fail(ctx, "more than %u items", ctx->limits.max_items);
			goto err;
		}
		if (type == XDOMAIN_ID_TYPE_WRITE_PIPE)
			ctx->num_pipes++;
		item->fd = fds[i];
		item->size = size;
		fds[i] = -1;
		hdr.identifiers[num] = item->id;
		hdr.identifier_types[num] = type;
		hdr.identifier_sizes[num] = (uint32_t)size;
		num++;
		if (ctx->trace)
			trace_append(trace, sizeof(trace), " fd %d -> %s %u (%llu bytes)", item->fd,
				     type == XDOMAIN_ID_TYPE_WRITE_PIPE ? "write pipe" : "blob",
				     item->id, (unsigned long long)size);
	}
	size_t size = (size_t)n;
	hdr.num_identifiers = num;
	hdr.opaque_data_size = (uint32_t)size;
	if (ctx->trace)
		vsomm_log(VSOMM_LOG_TRACE, "ctx %u: -> RECEIVE %zu bytes%s%s", ctx->ctx_id, size,
			  num ? ", ids:" : "", trace);
	/* Still attached: nothing since the recvmsg() could release it (one thread). */
	memcpy(ring, &hdr, sizeof(hdr));
	xdomain_service_signal_one(ctx);
	return;

err:
	for (size_t i = 0; i < nfds; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
}
