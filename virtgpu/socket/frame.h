/* SPDX-License-Identifier: MIT */
/*
 * Framing of the socket transport (docs/socket-transport.md), shared by the guest
 * end (guest.c) and the host end (server.c).
 *
 * Each frame is a 16-byte header followed by `size` bytes: a virtio-gpu control
 * command (guest → host) or its response (host → guest).  At most one fd rides
 * with a frame, as SCM_RIGHTS on the frame's first byte.
 */
#ifndef VIRTGPU_SOCKET_FRAME_H
#define VIRTGPU_SOCKET_FRAME_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define SOCK_FRAME_VERSION 1u
#define SOCK_FRAME_MAX_PAYLOAD (256u * 1024u) /* a frame larger than this ends the connection */

/* frame flags */
#define SOCK_FRAME_F_HELLO 0x1u    /* host → guest, first frame: struct sock_frame_hello */
#define SOCK_FRAME_F_NO_REPLY 0x2u /* guest → host: drop the response (unfenced submits) */
#define SOCK_FRAME_F_FD 0x4u       /* one fd is attached to this frame */
#define SOCK_FRAME_F_VALID (SOCK_FRAME_F_HELLO | SOCK_FRAME_F_NO_REPLY | SOCK_FRAME_F_FD)

struct sock_frame_hdr {
	uint32_t size;  /* bytes after this header */
	uint32_t flags; /* SOCK_FRAME_F_* */
	uint64_t tag;   /* chosen by the guest per command, echoed in its response */
};
static_assert(sizeof(struct sock_frame_hdr) == 16, "frame header size");
static_assert(offsetof(struct sock_frame_hdr, tag) == 8, "frame tag offset");

/*
 * A feature of this transport, not of virtio (whose device bits stay below
 * 50): the device takes GUEST blobs named in a cross-domain SEND.  rutabaga
 * does not, nor does vsomm-host --strict, which leaves it out.
 */
#define SOCK_FRAME_FEATURE_GUEST_BLOB_SEND (1ull << 63)

/* The host's first frame: the device's "config space". */
struct sock_frame_hello {
	uint32_t version; /* SOCK_FRAME_VERSION */
	uint32_t num_capsets;
	uint64_t features; /* GPU_MODEL_FEATURES, SOCK_FRAME_FEATURE_* */
};
static_assert(sizeof(struct sock_frame_hello) == 16, "hello size");

#endif
