/* SPDX-License-Identifier: MIT */
/*
 * The input side of one Wayland connection for the byte relay: bytes and fds
 * read from a stream socket, handed out as whole messages in place, each at
 * a 4-byte-aligned address of the buffer (so that message.h reads its words
 * directly), and the fds in the order they came.
 *
 * On a stream socket the fds of a message arrive with its bytes or before
 * them, never after (util/fdpass.h): once a whole message is in the buffer,
 * every fd it carries is in the queue, in front of the fds of later messages.
 * The output side is util/fdpass.h's queue.
 */
#ifndef PROXY_CONN_H
#define PROXY_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proxy/message.h"

/* Bytes of the input buffer: several messages per read, at least one whole. */
#define CONN_IN_SIZE (16u * 1024u)
/* fds that may wait for their messages, as libwayland's fd ring (4 KiB of ints). */
#define CONN_IN_MAX_FDS 1024u

struct conn_in {
	uint32_t words[CONN_IN_SIZE / 4];
	uint32_t start, end; /* bytes [start, end) wait; start is a message's */
	int fds[CONN_IN_MAX_FDS];
	uint32_t fd_start, fd_end; /* fds [fd_start, fd_end) wait */
};

void conn_in_init(struct conn_in *in);
/** Close the fds that wait; the buffer is empty again. */
void conn_in_finish(struct conn_in *in);

/**
 * One non-blocking read of `sock` into the buffer (after moving what waits to
 * its start).  Returns the bytes read, 0 at EOF, or -1 with errno set: the
 * socket's error (EAGAIN: nothing to read), ENOBUFS when the buffer is full
 * (a message waits for room that cannot come: the caller's bug), EMFILE when
 * more fds came than fit behind those waiting (the sender's fault: libwayland
 * ends such a connection too).  fds past the room are closed.
 */
ssize_t conn_in_read(struct conn_in *in, int sock);

/**
 * Append `size` bytes and `nfds` fds as if read (for tests and fuzzing, and for
 * bytes that arrive through another channel).  False when they do not fit:
 * nothing is appended, the fds stay the caller's.
 */
bool conn_in_push(struct conn_in *in, const void *bytes, size_t size, const int *fds, size_t nfds);

/**
 * The next whole message: its words (header first, aligned, writable), NULL when
 * it is not all there yet.  *status is MESSAGE_BAD_SIZE for a header that cannot
 * be a message (the connection cannot go on), else MESSAGE_OK.
 */
uint32_t *conn_in_next(struct conn_in *in, enum message_status *status);
/** The message conn_in_next returned is done with (`size`: its header's). */
void conn_in_consume(struct conn_in *in, uint16_t size);

/** The fds waiting, oldest first. */
static inline const int *conn_in_fds(const struct conn_in *in, unsigned *count)
{
	*count = in->fd_end - in->fd_start;
	return &in->fds[in->fd_start];
}

/** The `n` oldest fds are the caller's now (n at most those waiting). */
void conn_in_take_fds(struct conn_in *in, unsigned n);
/** Close the `n` oldest fds (those of a message that is not passed on). */
void conn_in_close_fds(struct conn_in *in, unsigned n);

#endif
