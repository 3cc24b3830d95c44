/* SPDX-License-Identifier: MIT */
/*
 * SCM_RIGHTS send and receive, and the out-queue of bytes + fds (fdpass.h).
 */
#include "util/fdpass.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* First ring size, and the size above which a drained ring is given back: a burst
 * of megabytes for a slow peer must not stay allocated for the queue's life. */
#define QUEUE_MIN_CAP 4096u
#define QUEUE_KEEP_CAP (64u * 1024u)

union fds_cmsg {
	char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX_FDS)];
	struct cmsghdr align;
};

void fdpass_close_fds(const int *fds, size_t nfds)
{
	for (size_t i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

ssize_t fdpass_sendv(int sock, const struct iovec *iov, size_t iovcnt, const int *fds, size_t nfds,
		     int flags)
{
	union fds_cmsg cmsg;
	struct msghdr mh = {.msg_iov = (struct iovec *)iov, .msg_iovlen = iovcnt};
	if (nfds > FDPASS_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	if (nfds > 0) {
		mh.msg_control = cmsg.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		memset(cmsg.buf, 0, mh.msg_controllen);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	ssize_t n;
	do {
		n = sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n;
}

ssize_t fdpass_send(int sock, const void *buf, size_t size, const int *fds, size_t nfds, int flags)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = size};
	return fdpass_sendv(sock, &iov, 1, fds, nfds, flags);
}

ssize_t fdpass_recvv(int sock, const struct iovec *iov, size_t iovcnt, int *fds, size_t max_fds,
		     size_t *nfds, int flags, unsigned *status)
{
	union fds_cmsg cmsg;
	unsigned ignored;
	if (!status)
		status = &ignored;
	*status = 0;
	*nfds = 0;
	if (max_fds > FDPASS_MAX_FDS)
		max_fds = FDPASS_MAX_FDS;
	struct msghdr mh = {
		.msg_iov = (struct iovec *)iov,
		.msg_iovlen = iovcnt,
		.msg_control = max_fds > 0 ? cmsg.buf : NULL,
		/* exactly the room the caller has: the kernel truncates the rest */
		.msg_controllen = max_fds > 0 ? CMSG_SPACE(sizeof(int) * max_fds) : 0,
	};
	ssize_t n;
	do {
		n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1; /* the kernel installs no fd for a failed recvmsg */
	if (mh.msg_flags & MSG_CTRUNC)
		*status |= FDPASS_RECV_TRUNCATED;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			*status |= FDPASS_RECV_OTHER_CMSG;
			continue;
		}
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < max_fds) {
				fds[(*nfds)++] = fd;
			} else {
				/* CMSG_SPACE rounds up: room for one more than asked */
				close(fd);
				*status |= FDPASS_RECV_TRUNCATED;
			}
		}
	}
	return n;
}

ssize_t fdpass_recv(int sock, void *buf, size_t size, int *fds, size_t max_fds, size_t *nfds,
		    int flags, unsigned *status)
{
	struct iovec iov = {.iov_base = buf, .iov_len = size};
	return fdpass_recvv(sock, &iov, 1, fds, max_fds, nfds, flags, status);
}

/* ---- the out-queue ---- */

void fdpass_queue_init(struct fdpass_queue *queue)
{
	memset(queue, 0, sizeof(*queue));
}

void fdpass_queue_clear(struct fdpass_queue *queue)
{
	for (size_t i = 0; i < queue->fd_count; i++)
		close(queue->fds[queue->fd_start + i].fd);
	free(queue->data);
	free(queue->fds);
	uint64_t end = queue->tail;
	memset(queue, 0, sizeof(*queue));
	/* stream offsets only grow: no fd pushed later can match an old offset */
	queue->head = queue->tail = end;
}

void fdpass_queue_finish(struct fdpass_queue *queue)
{
	fdpass_queue_clear(queue);
}

/* The bytes [from, to) of the ring as one or two iovecs; returns how many. */
static size_t ring_iov(const struct fdpass_queue *queue, uint64_t from, uint64_t to,
		       struct iovec iov[2])
{
	size_t len = (size_t)(to - from);
	size_t idx = (size_t)(from & (queue->cap - 1));
	size_t first = len < queue->cap - idx ? len : queue->cap - idx;
	iov[0].iov_base = queue->data + idx;
	iov[0].iov_len = first;
	if (first == len)
		return 1;
	iov[1].iov_base = queue->data;
	iov[1].iov_len = len - first;
	return 2;
}

static void ring_write(struct fdpass_queue *queue, uint64_t pos, const uint8_t *src, size_t len)
{
	size_t idx = (size_t)(pos & (queue->cap - 1));
	size_t first = len < queue->cap - idx ? len : queue->cap - idx;
	memcpy(queue->data + idx, src, first);
	memcpy(queue->data, src + first, len - first);
}

/* Room for `extra` more bytes; false with errno ENOMEM. */
static bool reserve_bytes(struct fdpass_queue *queue, size_t extra)
{
	size_t used = fdpass_queue_size(queue);
	if (extra <= queue->cap - used)
		return true;
	if (extra > SIZE_MAX / 2 - used) {
		errno = ENOMEM;
		return false;
	}
	size_t need = used + extra;
	size_t cap = queue->cap ? queue->cap : QUEUE_MIN_CAP;
	while (cap < need)
		cap *= 2;
	uint8_t *data = malloc(cap);
	if (!data)
		return false;
	struct fdpass_queue grown = {.data = data, .cap = cap};
	uint64_t pos = queue->head;
	if (used > 0) {
		struct iovec iov[2];
		size_t n = ring_iov(queue, queue->head, queue->tail, iov);
		for (size_t i = 0; i < n; i++) {
			ring_write(&grown, pos, iov[i].iov_base, iov[i].iov_len);
			pos += iov[i].iov_len;
		}
	}
	free(queue->data);
	queue->data = data;
	queue->cap = cap;
	return true;
}

/* Room for `extra` more fds at the end of the fd ring; false with errno ENOMEM. */
static bool reserve_fds(struct fdpass_queue *queue, size_t extra)
{
	if (queue->fd_start + queue->fd_count + extra <= queue->fd_cap)
		return true;
	if (queue->fd_start > 0) {
		memmove(queue->fds, queue->fds + queue->fd_start,
			queue->fd_count * sizeof(*queue->fds));
		queue->fd_start = 0;
		if (queue->fd_count + extra <= queue->fd_cap)
			return true;
	}
	size_t cap = queue->fd_cap ? queue->fd_cap * 2 : 32;
	while (cap < queue->fd_count + extra)
		cap *= 2;
	struct fdpass_queued_fd *fds = realloc(queue->fds, cap * sizeof(*fds));
	if (!fds)
		return false;
	queue->fds = fds;
	queue->fd_cap = cap;
	return true;
}

bool fdpass_queue_push(struct fdpass_queue *queue, const void *bytes, size_t size, const int *fds,
		       size_t nfds)
{
	if (nfds > FDPASS_MAX_FDS || (nfds > 0 && size == 0)) {
		errno = EINVAL;
		return false;
	}
	if (size == 0)
		return true;
	if (!reserve_bytes(queue, size) || !reserve_fds(queue, nfds))
		return false;
	ring_write(queue, queue->tail, bytes, size);
	for (size_t i = 0; i < nfds; i++) {
		struct fdpass_queued_fd *q = &queue->fds[queue->fd_start + queue->fd_count++];
		q->fd = fds[i];
		q->pos = queue->tail;
	}
	queue->tail += size;
	return true;
}

static ssize_t flush(struct fdpass_queue *queue, int fd, int flags, bool socket)
{
	if (!socket && queue->fd_count > 0) {
		errno = EINVAL;
		return -1;
	}
	size_t total = 0;
	while (queue->head != queue->tail) {
		/* The fds of the bytes at head go now; a later fd ends this write, so
		 * it goes with its own first byte and not with earlier ones. */
		int fds[FDPASS_MAX_FDS];
		size_t nfds = 0;
		while (nfds < queue->fd_count && nfds < FDPASS_MAX_FDS &&
		       queue->fds[queue->fd_start + nfds].pos == queue->head) {
			fds[nfds] = queue->fds[queue->fd_start + nfds].fd;
			nfds++;
		}
		uint64_t end = queue->tail;
		if (nfds < queue->fd_count && queue->fds[queue->fd_start + nfds].pos < end)
			end = queue->fds[queue->fd_start + nfds].pos;
		struct iovec iov[2];
		size_t iovcnt = ring_iov(queue, queue->head, end, iov);
		ssize_t n;
		if (socket) {
			n = fdpass_sendv(fd, iov, iovcnt, fds, nfds, flags);
		} else {
			do {
				n = writev(fd, iov, (int)iovcnt);
			} while (n < 0 && errno == EINTR);
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		/* The fds went with the first byte: the peer has its copies. */
		fdpass_close_fds(fds, nfds);
		queue->fd_start += nfds;
		queue->fd_count -= nfds;
		if (queue->fd_count == 0)
			queue->fd_start = 0;
		queue->head += (uint64_t)n;
		total += (size_t)n;
	}
	if (queue->head == queue->tail && queue->cap > QUEUE_KEEP_CAP) {
		free(queue->data);
		queue->data = NULL;
		queue->cap = 0;
	}
	return (ssize_t)total;
}

ssize_t fdpass_queue_flush(struct fdpass_queue *queue, int sock, int flags)
{
	return flush(queue, sock, flags, true);
}

ssize_t fdpass_queue_flush_write(struct fdpass_queue *queue, int fd)
{
	return flush(queue, fd, 0, false);
}

ssize_t fdpass_queue_sendv(struct fdpass_queue *queue, int sock, const struct iovec *iov,
			   size_t iovcnt, const int *fds, size_t nfds, int flags)
{
	size_t total = 0;
	for (size_t i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (nfds > FDPASS_MAX_FDS || (nfds > 0 && total == 0)) {
		fdpass_close_fds(fds, nfds);
		errno = EINVAL;
		return -1;
	}
	size_t sent = 0;
	if (fdpass_queue_empty(queue) && total > 0) {
		ssize_t n = fdpass_sendv(sock, iov, iovcnt, fds, nfds, flags);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			int err = errno;
			fdpass_close_fds(fds, nfds);
			errno = err;
			return -1;
		}
		if (n > 0) {
			/* The fds went with the first byte: the peer has its copies. */
			fdpass_close_fds(fds, nfds);
			nfds = 0;
			sent = (size_t)n;
			if (sent == total)
				return n;
		}
	}
	/* The rest, the fds (if still here) with its first byte. */
	size_t skip = sent;
	for (size_t i = 0; i < iovcnt; i++) {
		const uint8_t *base = iov[i].iov_base;
		size_t len = iov[i].iov_len;
		if (skip >= len) {
			skip -= len;
			continue;
		}
		if (!fdpass_queue_push(queue, base + skip, len - skip, fds, nfds)) {
			int err = errno;
			fdpass_close_fds(fds, nfds);
			errno = err;
			return -1;
		}
		skip = 0;
		nfds = 0;
	}
	return (ssize_t)sent;
}
