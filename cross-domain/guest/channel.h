/* SPDX-License-Identifier: MIT */
/*
 * Cross-domain (virtio-gpu capset 5), guest side: the boundary of
 * cross-domain/guest/.
 *
 * `struct xdomain_channel` carries one Wayland connection's bytes and fds over one
 * cross-domain context of a virtgpu device (virtgpu/virtgpu.h): INIT, exactly one
 * outstanding POLL, SEND with fd → identifier translation, RECEIVE with identifier
 * → fd, pipes both ways, image requirements with a cache.  It does not know which
 * transport is below it.  `struct xdomain_pump` relays a Wayland stream socket
 * over a channel.
 *
 * Only the guest (vsomm) includes this; the host side is cross-domain/host/service.h.
 * What both sides share is the wire format (cross-domain/protocol.h) and the image
 * layouts (cross-domain/image.h).
 */
#ifndef XDOMAIN_GUEST_CHANNEL_H
#define XDOMAIN_GUEST_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cross-domain/protocol.h"

struct wl_event_loop;
struct virtgpu;
struct virtgpu_bo;

/* ---------------- the channel (channel.c, channel-send.c, channel-pipe.c) ---------------- */

struct xdomain_channel;

struct xdomain_channel_listener {
	/**
	 * Bytes and fds from the host, in order.  The callee owns the `nfds` fds
	 * (memory fds for BLOB ids; write ends of local pipes for WRITE_PIPE ids).
	 */
	void (*receive)(void *data, const uint8_t *bytes, size_t size, int *fds, size_t nfds);
	/**
	 * The channel is dead: host EOF (an empty RECEIVE, err = 0) or a device error
	 * (negative errno).  No more receive() calls follow; destroy the channel.
	 */
	void (*hangup)(void *data, int err);
};

/** Counters for tests, traces and benchmarks. */
struct xdomain_channel_stats {
	uint64_t bytes_sent, bytes_received;
	uint64_t sends, receives;
	uint64_t fds_sent, fds_received;
	uint64_t pipe_bytes_read, pipe_bytes_written; /* READ from host / WRITE to host */
};

/**
 * Create a channel of `channel_type` on `dev` (taken over, closed with the
 * channel): checks capset 5 and its channel bit, CONTEXT_INIT (2 rings, ring 1
 * polled), creates and maps the two rings, INIT alone, then the first POLL.
 * Events are served from `loop`.  Returns NULL and *err (negative errno) on failure;
 * `dev` is closed then too.
 */
struct xdomain_channel *xdomain_channel_create(struct wl_event_loop *loop, struct virtgpu *dev,
					       uint32_t channel_type,
					       const struct xdomain_channel_listener *listener,
					       void *data, int *err);
/** Tear down: local pipes closed, the device closed. NULL is fine. */
void xdomain_channel_destroy(struct xdomain_channel *ch);

/**
 * Send `size` bytes and `nfds` fds (borrowed: the caller keeps and closes its
 * own).  Bytes go in SEND chunks of ≤3744; the fds go with the first chunk.  Each
 * fd becomes an identifier: a resource of this device → VIRTGPU_BLOB; the write end
 * of a pipe → READ_PIPE (the channel keeps a dup and writes the host's READ data
 * into it).  Anything else, guest memory on a device that does not take it
 * (xdomain_channel_memory_needs_copy), or more than 28 fds: -EINVAL and nothing
 * is sent.
 */
int xdomain_channel_send(struct xdomain_channel *ch, const void *bytes, size_t size, const int *fds,
			 size_t nfds);

/**
 * Whether memory fd `fd` must be copied to reach the host: it is guest memory
 * (a GUEST blob, or memory that is no resource of the device) and the device
 * does not take GUEST blobs in a SEND (virtgpu_accepts_guest_blob_send(): rutabaga,
 * vsomm-host --strict, any drm device).  xdomain_channel_send() refuses such
 * fds; the proxy copies their content into HOST3D blobs instead.  False for a
 * resource with host memory, for anything on a device that takes guest memory,
 * and for fds that are no memory at all (pipes, sockets).
 */
bool xdomain_channel_memory_needs_copy(struct xdomain_channel *ch, int fd);

/**
 * GET_IMAGE_REQUIREMENTS (synchronous, cached by width/height/format/flags):
 * -EINVAL when the host has no layout for it (it answered size 0).
 */
int xdomain_channel_image_requirements(struct xdomain_channel *ch, uint32_t width, uint32_t height,
				       uint32_t drm_format, uint32_t flags,
				       struct xdomain_image_requirements *out);
/**
 * A HOST3D blob (MAPPABLE|SHAREABLE) for `req`, created on this channel's device
 * and mapped; release it with virtgpu_bo_close(xdomain_channel_device(ch), bo).
 */
int xdomain_channel_create_blob(struct xdomain_channel *ch,
				const struct xdomain_image_requirements *req,
				struct virtgpu_bo *out);

struct virtgpu *xdomain_channel_device(struct xdomain_channel *ch);
const struct xdomain_channel_stats *xdomain_channel_stats(const struct xdomain_channel *ch);

/* ---------------- the pump (pump.c) ---------------- */

struct xdomain_pump;

/**
 * Relay the Wayland stream socket `fd` over a new WAYLAND channel on `dev`: what is
 * read from `fd` (bytes + fds) is sent on the channel, what the channel receives is
 * written to `fd`.  Both are taken over, also on failure.  When either side ends
 * (host EOF, device error, peer closed `fd`) the pump shuts `fd` down, so the peer
 * sees EOF, and calls `closed` once (from an idle callback); the device and its
 * mappings stay until the owner destroys the pump.  NULL and *err (negative errno) on failure.
 */
struct xdomain_pump *xdomain_pump_create(struct wl_event_loop *loop, struct virtgpu *dev, int fd,
					 void (*closed)(void *data), void *data, int *err);
/**
 * Call `delivered(data)` each time bytes from the host were written to `fd`, so
 * the peer can read them in this loop iteration instead of after the next epoll
 * wake-up.  It must not destroy the pump.  NULL: no calls.
 */
void xdomain_pump_set_delivered(struct xdomain_pump *pump, void (*delivered)(void *data));
/** Read `fd` now (the peer just wrote it) instead of at the next epoll wake-up. */
void xdomain_pump_kick(struct xdomain_pump *pump);
void xdomain_pump_destroy(struct xdomain_pump *pump);
struct xdomain_channel *xdomain_pump_channel(struct xdomain_pump *pump);

#endif
