/* SPDX-License-Identifier: MIT */
/*
 * The socket transport, guest end: the socket backend of the guest device
 * interface (virtgpu.h), virtio-gpu control commands framed on a unix stream
 * socket to vsomm-host (docs/socket-transport.md).  virtgpu.c opens it for a
 * "socket:PATH" spec and for the default device; everything else reaches it
 * through the backend ops.
 */
#ifndef VIRTGPU_SOCKET_GUEST_H
#define VIRTGPU_SOCKET_GUEST_H

struct virtgpu;

/**
 * Connect to vsomm-host's socket at `path` and wait for its HELLO.  0 and *out,
 * or a negative errno (-ENOENT/-ECONNREFUSED: nobody serves it; -EPROTO: a bad
 * HELLO; -ETIMEDOUT).
 */
int sock_guest_open(const char *path, struct virtgpu **out);

#endif
