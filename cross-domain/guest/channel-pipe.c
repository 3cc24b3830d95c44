/* SPDX-License-Identifier: MIT */
/*
 * The guest channel's local pipes (docs/cross-domain.md §3.5).
 *
 * READ_PIPE (the guest reads): a client's write end went out in a SEND; we keep a
 * dup and write the host's READ data into it without blocking, queueing what the
 * pipe does not take, and close it after hang_up once the queue is drained.
 *
 * WRITE_PIPE (the guest writes): the host sent a pipe's write end; the listener
 * gets the write end of a local pipe and we poll its read end: each read of at
 * most 4072 bytes becomes a WRITE, EOF a WRITE with hang_up.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "cross-domain/guest/channel-private.h"
#include "util/fdpass.h"
#include "util/log.h"

/* ---- READ_PIPE ---- */

static struct xdomain_channel_read_pipe *find_read_pipe(struct xdomain_channel *ch, uint32_t id)
{
	struct xdomain_channel_read_pipe *rp;
	wl_list_for_each(rp, &ch->read_pipes, link)
		if (rp->id == id)
			return rp;
	return NULL;
}

void xdomain_channel_read_pipe_destroy(struct xdomain_channel_read_pipe *rp)
{
	if (!rp)
		return;
	wl_list_remove(&rp->link);
	if (rp->source)
		wl_event_source_remove(rp->source);
	close(rp->fd);
	fdpass_queue_finish(&rp->queue);
	free(rp);
}

/* Write what the pipe takes.  false: the pipe is gone (destroyed). */
static bool flush_read_pipe(struct xdomain_channel_read_pipe *rp)
{
	if (fdpass_queue_flush_write(&rp->queue, rp->fd) < 0) {
		/* EPIPE: the reader went away; the host's later READs are dropped */
		vsomm_log(VSOMM_LOG_DEBUG, "read pipe 0x%x: %s", rp->id, strerror(errno));
		xdomain_channel_read_pipe_destroy(rp);
		return false;
	}
	bool empty = fdpass_queue_empty(&rp->queue);
	if (empty && rp->hang_up) {
		xdomain_channel_read_pipe_destroy(rp);
		return false;
	}
	wl_event_source_fd_update(rp->source, empty ? 0 : WL_EVENT_WRITABLE);
	return true;
}

static int handle_read_pipe(int fd, uint32_t mask, void *data)
{
	struct xdomain_channel_read_pipe *rp = data;
	if (mask & (WL_EVENT_ERROR | WL_EVENT_HANGUP)) {
		/* the reading end is closed: nobody wants the data any more */
		xdomain_channel_read_pipe_destroy(rp);
		return 0;
	}
	flush_read_pipe(rp);
	return 0;
}

struct xdomain_channel_read_pipe *xdomain_channel_read_pipe_create(struct xdomain_channel *ch,
								   int fd, int *err)
{
	struct xdomain_channel_read_pipe *rp = calloc(1, sizeof(*rp));
	if (!rp) {
		*err = -ENOMEM;
		return NULL;
	}
	fdpass_queue_init(&rp->queue);
	/*
	 * O_NONBLOCK is set on the shared open file description: the caller passes the
	 * write end on to the host side and is not expected to write into it itself.
	 */
	rp->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	int fl = rp->fd >= 0 ? fcntl(rp->fd, F_GETFL) : -1;
	if (fl < 0 || fcntl(rp->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		*err = -errno;
		goto err_fd;
	}
	/* mask 0: still told of ERROR/HANGUP when the reader goes away */
	rp->source = wl_event_loop_add_fd(ch->loop, rp->fd, 0, handle_read_pipe, rp);
	if (!rp->source) {
		*err = -ENOMEM;
		goto err_fd;
	}
	/* §4.6: +1, then max(id, 0x80000000), like the host's counter */
	uint32_t id = ch->read_pipe_id + 1;
	ch->read_pipe_id = id < XDOMAIN_PIPE_READ_START ? XDOMAIN_PIPE_READ_START : id;
	rp->id = ch->read_pipe_id;
	rp->ch = ch;
	wl_list_insert(&ch->read_pipes, &rp->link);
	return rp;

err_fd:
	if (rp->fd >= 0)
		close(rp->fd);
	free(rp);
	return NULL;
}

static bool queue_append(struct xdomain_channel_read_pipe *rp, const uint8_t *data, size_t size)
{
	if (fdpass_queue_size(&rp->queue) + size > READ_PIPE_MAX_QUEUE)
		return false;
	return fdpass_queue_push(&rp->queue, data, size, NULL, 0);
}

void xdomain_channel_read_pipe_data(struct xdomain_channel *ch, uint32_t id, const uint8_t *data,
				    size_t size, bool hang_up)
{
	struct xdomain_channel_read_pipe *rp = find_read_pipe(ch, id);
	if (!rp) {
		/* e.g. dropped after its reader closed: the host does not know yet */
		vsomm_log(VSOMM_LOG_DEBUG, "READ for unknown pipe 0x%x (%zu bytes) ignored", id,
			  size);
		return;
	}
	if (size > 0 && !queue_append(rp, data, size)) {
		vsomm_log(VSOMM_LOG_ERROR,
			  "read pipe 0x%x: reader too slow, %zu bytes queued: dropped", id,
			  fdpass_queue_size(&rp->queue));
		xdomain_channel_read_pipe_destroy(rp);
		return;
	}
	if (hang_up)
		rp->hang_up = true;
	flush_read_pipe(rp);
}

/* ---- WRITE_PIPE ---- */

void xdomain_channel_write_pipe_destroy(struct xdomain_channel_write_pipe *wp)
{
	if (!wp)
		return;
	wl_list_remove(&wp->link);
	wl_event_source_remove(wp->source);
	close(wp->fd);
	free(wp);
}

static int submit_write(struct xdomain_channel *ch, uint32_t id, uint8_t *buf, size_t n,
			bool hang_up)
{
	struct xdomain_read_write rw = {
		.identifier = id,
		.hang_up = hang_up ? 1 : 0,
		.opaque_data_size = (uint32_t)n,
	};
	xdomain_header_init(&rw.hdr, XDOMAIN_CMD_WRITE, sizeof(rw) + n);
	memcpy(buf, &rw, sizeof(rw));
	int ret = virtgpu_submit(ch->dev, buf, sizeof(rw) + n, VIRTGPU_RING_NONE, NULL, 0);
	if (ret == 0)
		ch->stats.pipe_bytes_written += n;
	return ret;
}

static int handle_write_pipe(int fd, uint32_t mask, void *data)
{
	struct xdomain_channel_write_pipe *wp = data;
	struct xdomain_channel *ch = wp->ch;
	uint8_t buf[sizeof(struct xdomain_read_write) + XDOMAIN_MAX_WRITE_BYTES];
	ssize_t n = read(wp->fd, buf + sizeof(struct xdomain_read_write), XDOMAIN_MAX_WRITE_BYTES);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0)
		vsomm_log_errno(VSOMM_LOG_DEBUG, "write pipe 0x%x: read", wp->id);
	/* §3.5 [REC]: hang_up only at EOF (or a read error), never on a short read */
	bool eof = n <= 0;
	int ret = submit_write(ch, wp->id, buf, eof ? 0 : (size_t)n, eof);
	if (eof || ret < 0)
		xdomain_channel_write_pipe_destroy(wp);
	return 0;
}

int xdomain_channel_write_pipe_create(struct xdomain_channel *ch, uint32_t id)
{
	struct xdomain_channel_write_pipe *wp = calloc(1, sizeof(*wp));
	if (!wp)
		return -ENOMEM;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		int ret = -errno;
		free(wp);
		return ret;
	}
	int fl = fcntl(fds[0], F_GETFL);
	if (fl < 0 || fcntl(fds[0], F_SETFL, fl | O_NONBLOCK) < 0)
		goto err;
	wp->ch = ch;
	wp->id = id;
	wp->fd = fds[0];
	wp->source = wl_event_loop_add_fd(ch->loop, wp->fd, WL_EVENT_READABLE, handle_write_pipe,
					  wp);
	if (!wp->source)
		goto err;
	wl_list_insert(&ch->write_pipes, &wp->link);
	return fds[1];
err:
	close(fds[0]);
	close(fds[1]);
	free(wp);
	return -ENOMEM;
}

void xdomain_channel_pipes_finish(struct xdomain_channel *ch)
{
	struct xdomain_channel_read_pipe *rp, *rtmp;
	wl_list_for_each_safe(rp, rtmp, &ch->read_pipes, link)
		xdomain_channel_read_pipe_destroy(rp);
	struct xdomain_channel_write_pipe *wp, *wtmp;
	wl_list_for_each_safe(wp, wtmp, &ch->write_pipes, link)
		xdomain_channel_write_pipe_destroy(wp);
}
