/* SPDX-License-Identifier: MIT */
/*
 * Framing of the socket transport (docs/socket-transport.md), shared by the guest
 * backend (socket.c) and the host transport (socket-server.c).
 *
 * Each frame is a 16-byte header followed by `size` bytes: a virtio-gpu control
 * command (guest → host) or its response (host → guest).  At most one fd rides
 * with a frame, as SCM_RIGHTS on the frame's first byte.
 */
#ifndef VIRTGPU_SOCKET_PROTO_H
#define VIRTGPU_SOCKET_PROTO_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define VIRTGPU_SOCK_VERSION 1u
#define VIRTGPU_SOCK_MAX_PAYLOAD (256u * 1024u) /* a frame larger than this ends the connection */

/* frame flags */
#define VIRTGPU_SOCK_F_HELLO 0x1u    /* host → guest, first frame: struct virtgpu_sock_hello */
#define VIRTGPU_SOCK_F_NO_REPLY 0x2u /* guest → host: drop the response (unfenced submits) */
#define VIRTGPU_SOCK_F_FD 0x4u       /* one fd is attached to this frame */
#define VIRTGPU_SOCK_F_VALID (VIRTGPU_SOCK_F_HELLO | VIRTGPU_SOCK_F_NO_REPLY | VIRTGPU_SOCK_F_FD)

struct virtgpu_sock_frame {
	uint32_t size;  /* bytes after this header */
	uint32_t flags; /* VIRTGPU_SOCK_F_* */
	uint64_t tag;   /* chosen by the guest per command, echoed in its response */
};
static_assert(sizeof(struct virtgpu_sock_frame) == 16, "frame header size");
static_assert(offsetof(struct virtgpu_sock_frame, tag) == 8, "frame tag offset");

/* The host's first frame: the device's "config space". */
struct virtgpu_sock_hello {
	uint32_t version;     /* VIRTGPU_SOCK_VERSION */
	uint32_t num_capsets;
	uint64_t features;    /* VIRTGPU_DEVICE_FEATURES */
};
static_assert(sizeof(struct virtgpu_sock_hello) == 16, "hello size");

#endif
