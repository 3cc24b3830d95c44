/* SPDX-License-Identifier: MIT */
/*
 * The socket transport, host end (docs/socket-transport.md): vsomm-host serves
 * the device model (virtgpu/device/device.h) to guests that connect to its
 * socket, one device model per connection.
 */
#ifndef VIRTGPU_SOCKET_SERVER_H
#define VIRTGPU_SOCKET_SERVER_H

#include <stddef.h>

#include "virtgpu/device/device.h"

struct wl_event_loop;
struct sock_server;

/**
 * Serve the socket transport on `listen_fd` (a listening AF_UNIX stream socket).
 * Peers whose uid differs from ours are refused.  Each connection is one guest:
 * one device model with its own contexts and resources.
 */
struct sock_server *sock_server_create(struct wl_event_loop *loop, int listen_fd,
				       const struct gpu_model_capset_ops *const *capsets,
				       void *capset_data);
/** Close every connection and the listening fd. NULL is fine. */
void sock_server_destroy(struct sock_server *server);
/** Live connections (for tests and logs). */
size_t sock_server_connections(const struct sock_server *server);

#endif
