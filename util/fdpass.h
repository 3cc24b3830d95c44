/* SPDX-License-Identifier: MIT */
/*
 * File descriptors over Unix stream sockets (SCM_RIGHTS), written once for every
 * layer: one sendmsg() of bytes with fds, one recvmsg() of bytes with fds, and an
 * out-queue of bytes + fds for sockets that must never block (libwayland's
 * connection.c does the same with a byte ring and an fd ring).
 *
 * On a stream socket an fd travels with the first byte of the sendmsg() that
 * carries it, and the receiver gets it from the recvmsg() that returns that byte.
 * Everything here keeps that rule: fds are always sent with the first byte of the
 * bytes they were given with, never with earlier bytes.
 *
 * Every send uses MSG_NOSIGNAL (a peer that went away is an error, not SIGPIPE);
 * every receive uses MSG_CMSG_CLOEXEC.  EINTR is retried; every other error,
 * EAGAIN included, is returned to the caller.
 */
#ifndef VSOMM_FDPASS_H
#define VSOMM_FDPASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/** The most fds one message carries: the kernel's SCM_MAX_FD. */
#define FDPASS_MAX_FDS 253

/** Close each fd of `fds` that is not negative. */
void fdpass_close_fds(const int *fds, size_t nfds);

/**
 * One sendmsg() of `iov` with `fds` as SCM_RIGHTS (no control message when
 * `nfds` is 0).  `flags` is added to MSG_NOSIGNAL (e.g. MSG_DONTWAIT).  Returns
 * the bytes written, which may be fewer than asked, or -1 with errno set
 * (EINVAL when `nfds` > FDPASS_MAX_FDS).
 *
 * The fds stay the caller's in every case: when any byte was written the peer got
 * its own copies, and the caller usually closes its ones then.
 */
ssize_t fdpass_sendv(int sock, const struct iovec *iov, size_t iovcnt, const int *fds, size_t nfds,
		     int flags);
/** fdpass_sendv() of one buffer. */
ssize_t fdpass_send(int sock, const void *buf, size_t size, const int *fds, size_t nfds, int flags);

/** What fdpass_recv() reports besides the bytes, as bits of `*status`. */
enum fdpass_recv_status {
	/**
	 * More fds came than the caller's array holds (the kernel's MSG_CTRUNC, or
	 * an fd past `max_fds`): those extra fds are closed, the ones in the array
	 * are the caller's as usual.
	 */
	FDPASS_RECV_TRUNCATED = 1 << 0,
	/** A control message other than SCM_RIGHTS came (it is ignored). */
	FDPASS_RECV_OTHER_CMSG = 1 << 1,
};

/**
 * One recvmsg() into `iov`, with room for `max_fds` fds (at most FDPASS_MAX_FDS):
 * the kernel is offered exactly that much control space, so a message with more
 * fds is truncated by the kernel (FDPASS_RECV_TRUNCATED).  `flags` is added to
 * MSG_CMSG_CLOEXEC (e.g. MSG_DONTWAIT).  Returns the bytes read, 0 at EOF, or -1
 * with errno set.
 *
 * The fds received are stored in `fds` and counted in `*nfds`; they are the
 * caller's in every case, also when 0 is returned.  Every other fd that came is
 * closed here.  On -1, `*nfds` is 0.  `*status` gets the fdpass_recv_status bits.
 */
ssize_t fdpass_recvv(int sock, const struct iovec *iov, size_t iovcnt, int *fds, size_t max_fds,
		     size_t *nfds, int flags, unsigned *status);
/** fdpass_recvv() into one buffer. */
ssize_t fdpass_recv(int sock, void *buf, size_t size, int *fds, size_t max_fds, size_t *nfds,
		    int flags, unsigned *status);

/** An fd waiting in a queue, and the stream offset of the byte it goes with. */
struct fdpass_queued_fd {
	int fd;
	uint64_t pos;
};

/**
 * An out-queue of bytes + fds for a non-blocking socket (or, without fds, any
 * non-blocking fd).  Bytes wait in a ring that grows as needed; fds wait in
 * their own ring, each tagged with the byte it must travel with.  A flush never
 * sends an fd with bytes queued before the ones it came with, so message
 * boundaries that carry fds are kept; bytes without fds are coalesced.
 * Embedded: fdpass_queue_init() / fdpass_queue_finish().
 */
struct fdpass_queue {
	uint8_t *data; /* byte ring; cap is 0 or a power of two */
	size_t cap;
	uint64_t head, tail;          /* stream offsets: bytes [head, tail) wait */
	struct fdpass_queued_fd *fds; /* fd ring: fds[fd_start .. fd_start + fd_count) */
	size_t fd_cap, fd_start, fd_count;
};

void fdpass_queue_init(struct fdpass_queue *queue);
/** Drop what waits, closing its fds and freeing its memory; the queue stays usable. */
void fdpass_queue_clear(struct fdpass_queue *queue);
/** fdpass_queue_clear(), as the end of an embedded queue's life. */
void fdpass_queue_finish(struct fdpass_queue *queue);
static inline bool fdpass_queue_empty(const struct fdpass_queue *queue)
{
	return queue->head == queue->tail;
}
/** The bytes waiting. */
static inline size_t fdpass_queue_size(const struct fdpass_queue *queue)
{
	return (size_t)(queue->tail - queue->head);
}
/**
 * Append `size` bytes and `nfds` fds that go with the first of them.  On success
 * the queue owns the fds: it closes each once it went out, or on clear/finish.
 * On failure (ENOMEM; EINVAL for fds without bytes or more than FDPASS_MAX_FDS)
 * nothing is queued, errno is set and the fds stay the caller's.
 */
bool fdpass_queue_push(struct fdpass_queue *queue, const void *bytes, size_t size, const int *fds,
		       size_t nfds);
/**
 * Write to socket `sock` what it takes now with fdpass_sendv(), `flags` as there
 * (MSG_DONTWAIT for a blocking socket).  Returns the bytes written (0 when the
 * socket took nothing: EAGAIN), or -1 with errno set when the socket failed; the
 * queue then keeps what was not written, for the caller to clear.
 */
ssize_t fdpass_queue_flush(struct fdpass_queue *queue, int sock, int flags);
/**
 * Send `iov` with `fds` on its first byte without copying it when nothing
 * waits: one fdpass_sendv() straight from the caller's buffers, and only what
 * the socket did not take is queued (all of it when bytes already wait, so the
 * stream keeps its order).  This is push + flush, minus the copy through the
 * ring for the usual case of a socket that takes everything.  The fds are taken
 * in every case (closed once sent, queued, or closed on failure).  Returns the
 * bytes written at once, or -1 with errno set: ENOMEM or EINVAL from the queue
 * (bytes may have gone out: the stream is cut), or the socket's error (nothing
 * of this call is queued; what waited before stays, for the caller to clear).
 */
ssize_t fdpass_queue_sendv(struct fdpass_queue *queue, int sock, const struct iovec *iov,
			   size_t iovcnt, const int *fds, size_t nfds, int flags);
/**
 * fdpass_queue_flush() with write() instead of sendmsg(), for a non-blocking fd
 * that is not a socket (a pipe).  A queue with fds fails it with EINVAL.
 */
ssize_t fdpass_queue_flush_write(struct fdpass_queue *queue, int fd);

#endif
