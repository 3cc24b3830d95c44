/* SPDX-License-Identifier: MIT */
/*
 * Buffered frame reader of the socket transport (frame-rx.h: why an fd that
 * came with the stream bytes [lo, hi) belongs to a frame starting there).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/fdpass.h"
#include "virtgpu/socket/frame-rx.h"

/* What one read asks for at least: many small frames per recvmsg(). */
#define RX_MIN_ROOM (16u * 1024u)
/* Room to notice more than one fd in one read (an attribution error). */
#define RX_MAX_FDS 8

#define HDR_SIZE sizeof(struct sock_frame_hdr)

void sock_frame_rx_init(struct sock_frame_rx *rx)
{
	*rx = (struct sock_frame_rx){0};
}

void sock_frame_rx_finish(struct sock_frame_rx *rx)
{
	for (size_t i = 0; i < rx->num_pending; i++)
		close(rx->pending[i].fd);
	free(rx->buf);
	*rx = (struct sock_frame_rx){0};
}

/* The size of the frame at buf[start], once its header is here; else 0. */
static size_t frame_len(const struct sock_frame_rx *rx)
{
	if (rx->end - rx->start < HDR_SIZE)
		return 0;
	uint32_t size;
	memcpy(&size, rx->buf + rx->start + offsetof(struct sock_frame_hdr, size), sizeof(size));
	return HDR_SIZE + size;
}

bool sock_frame_rx_partial(const struct sock_frame_rx *rx)
{
	return rx->end > rx->start;
}

/* Make room for the rest of the current frame and at least RX_MIN_ROOM bytes. */
static int make_room(struct sock_frame_rx *rx)
{
	size_t have = rx->end - rx->start;
	size_t want = frame_len(rx);
	if (want > HDR_SIZE + SOCK_FRAME_MAX_PAYLOAD)
		want = HDR_SIZE; /* rejected by rx_next before any read; no room for it */
	if (want < have + RX_MIN_ROOM)
		want = have + RX_MIN_ROOM;
	if (rx->start > 0 && rx->cap - rx->start < want) {
		memmove(rx->buf, rx->buf + rx->start, have);
		rx->start = 0;
		rx->end = have;
	}
	if (rx->cap < want) {
		uint8_t *buf = realloc(rx->buf, want);
		if (!buf)
			return -ENOMEM;
		rx->buf = buf;
		rx->cap = want;
	}
	return 0;
}

ssize_t sock_frame_rx_fill(struct sock_frame_rx *rx, int sock, bool *more)
{
	*more = false;
	if (rx->start == rx->end)
		rx->start = rx->end = 0;
	int ret = make_room(rx);
	if (ret < 0)
		return ret;
	size_t room = rx->cap - rx->end;
	int fds[RX_MAX_FDS];
	size_t nfds;
	unsigned status;
	ssize_t n = fdpass_recv(sock, rx->buf + rx->end, room, fds, RX_MAX_FDS, &nfds, MSG_DONTWAIT,
				&status);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;

	/* More fds than RX_MAX_FDS, or a control message that is not SCM_RIGHTS. */
	bool bad = status != 0;
	/* One fd per frame, one fd-carrying frame per read (frame-rx.h); fds need bytes. */
	if (nfds > 1 || (nfds == 1 && (n == 0 || rx->num_pending == SOCK_FRAME_RX_MAX_PENDING)))
		bad = true;
	if (bad) {
		fdpass_close_fds(fds, nfds);
		return -EPROTO;
	}
	if (nfds == 1) {
		uint64_t lo = rx->pos + (rx->end - rx->start);
		rx->pending[rx->num_pending].fd = fds[0];
		rx->pending[rx->num_pending].lo = lo;
		rx->pending[rx->num_pending].hi = lo + (uint64_t)n;
		rx->num_pending++;
		*more = true; /* the read ended at the fd's buffer: more may follow */
	}
	rx->end += (size_t)n;
	if ((size_t)n == room)
		*more = true;
	return n;
}

int sock_frame_rx_next(struct sock_frame_rx *rx, struct sock_frame_in *frame)
{
	/* An fd no frame starting in its bytes claimed: it was not on a first byte. */
	if (rx->num_pending > 0 && rx->pending[0].hi <= rx->pos)
		return -EPROTO;
	size_t len = frame_len(rx);
	if (len == 0)
		return 0;
	if (len > HDR_SIZE + SOCK_FRAME_MAX_PAYLOAD)
		return -EPROTO;
	memcpy(&frame->hdr, rx->buf + rx->start, HDR_SIZE);
	int fd = -1;
	if (frame->hdr.flags & SOCK_FRAME_F_FD) {
		if (rx->num_pending == 0 || rx->pending[0].lo > rx->pos)
			return -EPROTO; /* F_FD, but no fd came with the frame's first byte */
		fd = rx->pending[0].fd;
	}
	if (rx->end - rx->start < len)
		return 0; /* the fd stays pending with its frame */
	if (fd >= 0) {
		rx->num_pending--;
		memmove(&rx->pending[0], &rx->pending[1], rx->num_pending * sizeof(rx->pending[0]));
	}
	frame->payload = rx->buf + rx->start + HDR_SIZE;
	frame->fd = fd;
	rx->start += len;
	rx->pos += len;
	if (rx->start == rx->end)
		rx->start = rx->end = 0;
	return 1;
}
