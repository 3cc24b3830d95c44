/* SPDX-License-Identifier: MIT */
/*
 * Internals of the guest channel (cross-domain/guest/channel*.c), grouped by file:
 * channel.c (life cycle, the POLL loop, RECEIVE/READ), channel-send.c (SEND,
 * image requirements, blobs), channel-pipe.c (local pipes both ways).
 */
#ifndef XDOMAIN_GUEST_CHANNEL_PRIVATE_H
#define XDOMAIN_GUEST_CHANNEL_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wayland-util.h>

#include "cross-domain/guest/channel.h"
#include "util/fdpass.h"
#include "virtgpu/virtgpu.h"

#define IMAGE_CACHE_BUCKETS 64u
/** Bytes of READ data a read pipe may hold for a slow reader before it is dropped. */
#define READ_PIPE_MAX_QUEUE (64u * 1024u * 1024u)

struct wl_event_source;

struct xdomain_channel {
	struct wl_event_loop *loop;
	struct virtgpu *dev;
	const struct xdomain_channel_listener *listener;
	void *data;
	uint32_t channel_type;

	struct virtgpu_bo query_ring, channel_ring; /* GUEST, MAPPABLE, mapped */
	size_t ring_size;
	uint8_t *ring_copy; /* what the host wrote, copied out before the next POLL */
	uint8_t *send_buf;  /* one SEND command being built (channel-send.c) */
	struct wl_event_source *dev_source;
	bool poll_pending; /* exactly one POLL outstanding while alive */
	bool dead;         /* hangup() was reported */

	uint32_t read_pipe_id;      /* last READ_PIPE id put in a SEND (§4.6) */
	struct wl_list read_pipes;  /* struct xdomain_channel_read_pipe.link */
	struct wl_list write_pipes; /* struct xdomain_channel_write_pipe.link */
	struct wl_list image_cache[IMAGE_CACHE_BUCKETS];

	struct xdomain_channel_stats stats;
};

/** READ_PIPE: the guest reads; the host's READ data goes into our dup of the write end. */
struct xdomain_channel_read_pipe {
	struct wl_list link;
	struct xdomain_channel *ch;
	uint32_t id;
	int fd; /* non-blocking write end */
	struct wl_event_source *source;
	struct fdpass_queue queue; /* bytes the pipe did not take yet */
	bool hang_up;              /* close once the queue is drained */
};

/** WRITE_PIPE: the guest writes; what our read end yields goes to the host as WRITE. */
struct xdomain_channel_write_pipe {
	struct wl_list link;
	struct xdomain_channel *ch;
	uint32_t id;
	int fd; /* non-blocking read end */
	struct wl_event_source *source;
};

/* channel.c */
/** Report the channel dead (once): stop polling, hangup(err). */
void xdomain_channel_fail(struct xdomain_channel *ch, int err);

/* channel-send.c */
void xdomain_channel_image_cache_init(struct xdomain_channel *ch);
void xdomain_channel_image_cache_finish(struct xdomain_channel *ch);

/* channel-pipe.c */
/**
 * Keep a dup of `fd` (the write end of a pipe) under the next READ_PIPE id;
 * NULL and *err on failure.  The id is allocated here: call it only when the SEND
 * that carries it is certain to be submitted.
 */
struct xdomain_channel_read_pipe *xdomain_channel_read_pipe_create(struct xdomain_channel *ch,
								   int fd, int *err);
void xdomain_channel_read_pipe_destroy(struct xdomain_channel_read_pipe *rp);
/** A READ from the host: queue and write `size` bytes, then close on hang_up. */
void xdomain_channel_read_pipe_data(struct xdomain_channel *ch, uint32_t id, const uint8_t *data,
				    size_t size, bool hang_up);
/** A WRITE_PIPE id from the host: returns the write end for the listener, or -errno. */
int xdomain_channel_write_pipe_create(struct xdomain_channel *ch, uint32_t id);
void xdomain_channel_write_pipe_destroy(struct xdomain_channel_write_pipe *wp);
/** Close every local pipe (channel teardown). */
void xdomain_channel_pipes_finish(struct xdomain_channel *ch);

#endif
