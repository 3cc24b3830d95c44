/* SPDX-License-Identifier: MIT */
/*
 * A connection's input for the byte relay (conn.h): a linear buffer that
 * whole messages leave from the front; what is left of a partial message
 * moves to the front before the next read, so every message starts at a
 * word boundary.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/relay/relay.h"
#include "util/fdpass.h"

void relay_in_init(struct relay_in *in)
{
	in->start = in->end = 0;
	in->fd_start = in->fd_end = 0;
}

void relay_in_finish(struct relay_in *in)
{
	relay_in_close_fds(in, in->fd_end - in->fd_start);
	relay_in_init(in);
}

/* Room at the end of both buffers: what waits moves to their fronts. */
static void compact(struct relay_in *in)
{
	if (in->start) {
		memmove(in->words, (uint8_t *)in->words + in->start, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
	}
	if (in->fd_start) {
		memmove(in->fds, &in->fds[in->fd_start],
			(in->fd_end - in->fd_start) * sizeof(in->fds[0]));
		in->fd_end -= in->fd_start;
		in->fd_start = 0;
	}
}

ssize_t relay_in_read(struct relay_in *in, int sock)
{
	size_t nfds = 0, room;
	unsigned status = 0;
	ssize_t n;

	compact(in);
	if (in->end == RELAY_IN_SIZE) {
		errno = ENOBUFS;
		return -1;
	}
	room = RELAY_IN_MAX_FDS - in->fd_end;
	if (room > FDPASS_MAX_FDS)
		room = FDPASS_MAX_FDS;
	n = fdpass_recv(sock, (uint8_t *)in->words + in->end, RELAY_IN_SIZE - in->end,
			&in->fds[in->fd_end], room, &nfds, MSG_DONTWAIT, &status);
	if (n < 0)
		return -1;
	in->fd_end += (uint32_t)nfds;
	in->end += (uint32_t)n;
	if (status & FDPASS_RECV_TRUNCATED) {
		/* the extra fds are closed: the stream cannot be trusted on */
		errno = EMFILE;
		return -1;
	}
	return n;
}

bool relay_in_push(struct relay_in *in, const void *bytes, size_t size, const int *fds, size_t nfds)
{
	compact(in);
	if (size > RELAY_IN_SIZE - in->end || nfds > RELAY_IN_MAX_FDS - in->fd_end)
		return false;
	if (size) /* bytes may be NULL then, as fds may be below */
		memcpy((uint8_t *)in->words + in->end, bytes, size);
	in->end += (uint32_t)size;
	if (nfds)
		memcpy(&in->fds[in->fd_end], fds, nfds * sizeof(fds[0]));
	in->fd_end += (uint32_t)nfds;
	return true;
}

size_t relay_in_room(struct relay_in *in)
{
	compact(in);
	return RELAY_IN_SIZE - in->end;
}

uint32_t *relay_in_next(struct relay_in *in, enum relay_status *status)
{
	uint32_t *words = &in->words[in->start / 4];
	struct relay_header header;

	*status = RELAY_OK;
	if (in->end - in->start < RELAY_HEADER_SIZE)
		return NULL;
	header = relay_header_read(words);
	if (relay_check_size(header) != RELAY_OK) {
		*status = RELAY_BAD_SIZE;
		return NULL;
	}
	if (in->end - in->start < header.size)
		return NULL;
	return words;
}

void relay_in_consume(struct relay_in *in, uint16_t size)
{
	in->start += size;
	if (in->start == in->end)
		in->start = in->end = 0;
}

void relay_in_take_fds(struct relay_in *in, unsigned n)
{
	in->fd_start += n;
}

void relay_in_close_fds(struct relay_in *in, unsigned n)
{
	fdpass_close_fds(&in->fds[in->fd_start], n);
	in->fd_start += n;
}
