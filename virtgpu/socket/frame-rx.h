/* SPDX-License-Identifier: MIT */
/*
 * Buffered frame reader of the socket transport, shared by the guest backend
 * (guest.c) and the host end (server.c): one recvmsg() takes as
 * many frames as the socket holds, instead of header + payload + EAGAIN reads
 * per frame.
 *
 * Which frame an fd belongs to.  The sender puts the fd of a frame on the
 * frame's first byte, at the start of its own sendmsg() (frame.h).  On a
 * unix stream socket the kernel hands out SCM_RIGHTS with the recvmsg() that
 * returns the first byte of the sendmsg() that carried them (they ride on its
 * first skb), and ends that recvmsg() as soon as it has taken bytes of that skb
 * (unix_stream_read_generic: "if (scm.fp) break", or the buffer is full), so one
 * recvmsg() returns the fds of at most one sendmsg().  An fd that came with the bytes [lo, hi) of
 * the stream therefore belongs to a frame that starts inside [lo, hi).  The
 * reader keeps each fd with that range and gives it to the first frame that
 * starts inside it and has F_FD; a frame with F_FD and no such fd, or an fd
 * whose range ends before the next frame starts (no frame claimed it), is a
 * protocol error.  Frames that start inside one read cannot be told apart
 * further: a sender that breaks the rule (an fd on the second of two frames, F_FD
 * on the first) gets its fd on the frame it flagged — its own fd on its own
 * command, nothing another connection can see.  tests/device/test-socket-rx.c
 * sends fds on back-to-back frames, split reads and misplaced fds.
 */
#ifndef VIRTGPU_SOCKET_FRAME_RX_H
#define VIRTGPU_SOCKET_FRAME_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "virtgpu/socket/frame.h"

/* fds received but not yet claimed by a frame; more is a protocol error */
#define SOCK_FRAME_RX_MAX_PENDING 4

struct sock_frame_rx {
	uint8_t *buf;
	size_t cap;
	size_t start, end; /* bytes not yet taken: buf[start..end) */
	uint64_t pos;      /* stream offset of buf[start] */
	struct {
		int fd;
		uint64_t lo, hi; /* stream bytes of the recvmsg() that brought it */
	} pending[SOCK_FRAME_RX_MAX_PENDING];
	size_t num_pending;
};

/** One frame taken from the buffer; payload is valid until the next fill. */
struct sock_frame_in {
	struct sock_frame_hdr hdr;
	const uint8_t *payload;
	int fd; /* the caller's now, or -1 */
};

void sock_frame_rx_init(struct sock_frame_rx *rx);
/** Free the buffer and close every fd not yet taken. */
void sock_frame_rx_finish(struct sock_frame_rx *rx);

/**
 * One recvmsg(MSG_DONTWAIT) into the buffer.  Returns the byte count, 0 on EOF,
 * -EAGAIN, -ENOMEM, -EPROTO (fds that cannot be attributed: more than one per
 * read, truncated, too many waiting) or another negative errno.  *more is set
 * when the socket may hold more right now (a full read, or one that ended at
 * an fd boundary); a short read without fds means it was drained.
 */
ssize_t sock_frame_rx_fill(struct sock_frame_rx *rx, int sock, bool *more);

/**
 * Take the next complete frame.  1: *frame is set; 0: the frame is incomplete
 * (fill again); -EPROTO: a frame larger than SOCK_FRAME_MAX_PAYLOAD or an fd
 * that does not match the F_FD flags (see the top of this file).  Flags other
 * than F_FD are the caller's to check.
 */
int sock_frame_rx_next(struct sock_frame_rx *rx, struct sock_frame_in *frame);

/** True when a frame has started but not all its bytes are here. */
bool sock_frame_rx_partial(const struct sock_frame_rx *rx);

#endif
