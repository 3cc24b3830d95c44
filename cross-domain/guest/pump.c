/* SPDX-License-Identifier: MIT */
/*
 * The pump: one Wayland stream socket relayed over one cross-domain channel.
 *
 * vsomm's libwayland-client connection for a guest client is one end of a
 * socketpair; the pump owns the other end.  Bytes and fds read from it become
 * SENDs (the channel turns fds into identifiers); RECEIVEs are written back to it
 * with their fds.  Writes never block: what the socket does not take now waits in a
 * queue, and the fd source watches for writability while the queue is not empty.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "cross-domain/guest/channel.h"
#include "util/fdpass.h"
#include "util/log.h"
#include "virtgpu/virtgpu.h"

/* libwayland sends at most 28 fds per sendmsg; twice that much room detects more. */
#define PUMP_MAX_FDS XDOMAIN_MAX_IDENTIFIERS
#define PUMP_READ_SIZE (16u * 1024u)
/* A read burst is bounded so one busy client cannot starve the others. */
#define PUMP_READ_BURST 16

struct xdomain_pump {
	struct wl_event_loop *loop;
	struct xdomain_channel *ch;
	int fd;
	struct wl_event_source *source;
	uint32_t mask;                   /* what source watches */
	struct wl_event_source *closing; /* idle source that reports the end */
	struct fdpass_queue out;         /* what the socket did not take yet */
	bool dead;
	void (*closed)(void *data);
	void (*delivered)(void *data);
	void *data;
};

static void handle_closing(void *data)
{
	struct xdomain_pump *pump = data;
	pump->closing = NULL;
	pump->closed(pump->data);
}

/* Report the end once, from an idle callback: the owner may destroy us then. */
static void pump_end(struct xdomain_pump *pump, const char *why)
{
	if (pump->dead)
		return;
	pump->dead = true;
	vsomm_log(VSOMM_LOG_DEBUG, "pump %p ends: %s", (void *)pump, why);
	if (pump->source) {
		wl_event_source_remove(pump->source);
		pump->source = NULL;
	}
	/* The peer (libwayland-client) sees EOF now; the fd stays ours until destroy. */
	shutdown(pump->fd, SHUT_RDWR);
	pump->closing = wl_event_loop_add_idle(pump->loop, handle_closing, pump);
}

static int update_mask(struct xdomain_pump *pump)
{
	uint32_t mask = WL_EVENT_READABLE;
	if (!fdpass_queue_empty(&pump->out))
		mask |= WL_EVENT_WRITABLE;
	if (mask == pump->mask)
		return 0; /* the usual case: an epoll_ctl per message otherwise */
	pump->mask = mask;
	return wl_event_source_fd_update(pump->source, mask);
}

/* One sendmsg of bytes with fds (nfds > 0: they go with the first byte).
 * The bytes written, 0 when the socket takes nothing now, -1 when it failed. */
static ssize_t send_bytes(struct xdomain_pump *pump, const uint8_t *bytes, size_t size,
			  const int *fds, size_t nfds)
{
	ssize_t n = fdpass_send(pump->fd, bytes, size, fds, nfds, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EAGAIN)
			return 0;
		vsomm_log_errno(VSOMM_LOG_DEBUG, "pump: sendmsg");
		return -1;
	}
	return n;
}

/* Write what the socket takes now.  false: the socket failed. */
static bool flush_out(struct xdomain_pump *pump)
{
	if (fdpass_queue_flush(&pump->out, pump->fd, MSG_DONTWAIT) < 0) {
		vsomm_log_errno(VSOMM_LOG_DEBUG, "pump: sendmsg");
		return false;
	}
	return update_mask(pump) == 0;
}

static void handle_receive(void *data, const uint8_t *bytes, size_t size, int *fds, size_t nfds)
{
	struct xdomain_pump *pump = data;
	if (pump->dead || nfds > PUMP_MAX_FDS || (size == 0 && nfds > 0)) {
		/* fds need at least one byte to travel on a stream socket */
		fdpass_close_fds(fds, nfds);
		if (!pump->dead)
			pump_end(pump, "bad RECEIVE: fds without bytes or too many fds");
		return;
	}
	if (size == 0)
		return;
	bool was_empty = fdpass_queue_empty(&pump->out);
	if (was_empty) {
		/* The usual case: the socket takes it all now, nothing is queued
		 * (no allocation, no copy). */
		ssize_t n = send_bytes(pump, bytes, size, fds, nfds);
		if (n < 0) {
			fdpass_close_fds(fds, nfds);
			pump_end(pump, "socket write failed");
			return;
		}
		if (n > 0) {
			fdpass_close_fds(fds, nfds);
			nfds = 0;
			bytes += n;
			size -= (size_t)n;
			if (pump->delivered)
				pump->delivered(pump->data);
			if (size == 0)
				return;
		}
	}
	/* The queue takes the fds over: they go with the first byte of these bytes. */
	if (!fdpass_queue_push(&pump->out, bytes, size, fds, nfds)) {
		fdpass_close_fds(fds, nfds);
		pump_end(pump, "out of memory");
		return;
	}
	/* Just tried: the socket is full, only watch for room. */
	if (!(was_empty ? update_mask(pump) == 0 : flush_out(pump)))
		pump_end(pump, "socket write failed");
}

static void handle_hangup(void *data, int err)
{
	struct xdomain_pump *pump = data;
	pump_end(pump, err ? strerror(-err) : "host closed the connection");
}

static const struct xdomain_channel_listener channel_listener = {
	.receive = handle_receive,
	.hangup = handle_hangup,
};

/*
 * One recvmsg → one SEND.  Returns 1 to go on, 0 when drained, -1 when ended.
 * A short read without fds emptied the socket: no EAGAIN read after it (the
 * source is level-triggered if more came meanwhile).  A read with fds may have
 * stopped at their message boundary, so it goes on.
 */
static int pump_read_once(struct xdomain_pump *pump, uint8_t *buf)
{
	int fds[PUMP_MAX_FDS * 2];
	size_t nfds;
	unsigned status;
	ssize_t n = fdpass_recv(pump->fd, buf, PUMP_READ_SIZE, fds, PUMP_MAX_FDS * 2, &nfds,
				MSG_DONTWAIT, &status);
	if (n < 0) {
		if (errno == EAGAIN)
			return 0;
		pump_end(pump, strerror(errno));
		return -1;
	}
	if (n == 0) {
		fdpass_close_fds(fds, nfds);
		pump_end(pump, "peer closed");
		return -1;
	}
	if ((status & FDPASS_RECV_TRUNCATED) || nfds > PUMP_MAX_FDS) {
		fdpass_close_fds(fds, nfds);
		pump_end(pump, "more fds in one message than cross-domain carries");
		return -1;
	}
	int ret = xdomain_channel_send(pump->ch, buf, (size_t)n, fds, nfds);
	fdpass_close_fds(fds, nfds);
	if (ret < 0) {
		vsomm_log(VSOMM_LOG_ERROR, "cannot forward a message to the host: %s",
			  strerror(-ret));
		pump_end(pump, "send failed");
		return -1;
	}
	return (size_t)n == PUMP_READ_SIZE || nfds > 0 ? 1 : 0;
}

static void read_burst(struct xdomain_pump *pump)
{
	uint8_t buf[PUMP_READ_SIZE];
	for (int i = 0; i < PUMP_READ_BURST; i++)
		if (pump_read_once(pump, buf) <= 0)
			break;
}

static int handle_fd(int fd, uint32_t mask, void *data)
{
	struct xdomain_pump *pump = data;
	if (mask & WL_EVENT_WRITABLE) {
		size_t queued = fdpass_queue_size(&pump->out);
		if (!flush_out(pump)) {
			pump_end(pump, "socket write failed");
			return 0;
		}
		/* only when bytes went out: the peer has nothing new to read otherwise */
		if (fdpass_queue_size(&pump->out) < queued && pump->delivered)
			pump->delivered(pump->data);
	}
	if (mask & (WL_EVENT_READABLE | WL_EVENT_HANGUP | WL_EVENT_ERROR))
		read_burst(pump);
	return 0;
}

void xdomain_pump_set_delivered(struct xdomain_pump *pump, void (*delivered)(void *data))
{
	pump->delivered = delivered;
}

void xdomain_pump_kick(struct xdomain_pump *pump)
{
	if (!pump->dead)
		read_burst(pump);
}

struct xdomain_pump *xdomain_pump_create(struct wl_event_loop *loop, struct virtgpu *dev, int fd,
					 void (*closed)(void *data), void *data, int *err)
{
	struct xdomain_pump *pump = calloc(1, sizeof(*pump));
	if (!pump) {
		virtgpu_close(dev);
		close(fd);
		*err = -ENOMEM;
		return NULL;
	}
	pump->loop = loop;
	pump->fd = fd;
	pump->closed = closed;
	pump->data = data;
	fdpass_queue_init(&pump->out);
	pump->ch = xdomain_channel_create(loop, dev, XDOMAIN_CHANNEL_TYPE_WAYLAND,
					  &channel_listener, pump, err);
	if (!pump->ch)
		goto err_pump;
	pump->mask = WL_EVENT_READABLE;
	pump->source = wl_event_loop_add_fd(loop, fd, pump->mask, handle_fd, pump);
	if (!pump->source) {
		*err = -ENOMEM;
		goto err_channel;
	}
	return pump;

err_channel:
	xdomain_channel_destroy(pump->ch);
err_pump:
	close(fd);
	free(pump);
	return NULL;
}

void xdomain_pump_destroy(struct xdomain_pump *pump)
{
	if (!pump)
		return;
	if (pump->closing)
		wl_event_source_remove(pump->closing);
	if (pump->source)
		wl_event_source_remove(pump->source);
	fdpass_queue_finish(&pump->out);
	xdomain_channel_destroy(pump->ch);
	close(pump->fd);
	free(pump);
}

struct xdomain_channel *xdomain_pump_channel(struct xdomain_pump *pump)
{
	return pump->ch;
}
