/* SPDX-License-Identifier: MIT */
/*
 * The vhost-user back-end (docs/uml.md): vsomm-host serves the device model
 * (virtgpu/device/device.h) to a guest kernel's virtio_gpu driver through a
 * vhost-user front-end, as crosvm splits its device from its vhost-user handler.
 */
#ifndef VIRTGPU_VHOST_USER_H
#define VIRTGPU_VHOST_USER_H

#include "virtgpu/device/device.h"

struct wl_event_loop;
struct vu_backend;

/**
 * Serve as the vhost-user back-end of a virtio-gpu device on `listen_fd` (a
 * listening AF_UNIX stream socket): a guest kernel's vhost-user front-end (UML's
 * virtio_uml) connects and its virtio_gpu driver drives one device model.  One
 * front-end at a time.  Takes `listen_fd`.  NULL on failure.
 */
struct vu_backend *vu_backend_create(struct wl_event_loop *loop, int listen_fd,
				     const struct gpu_model_capset_ops *const *capsets,
				     void *capset_data);
/** Drop the front-end (its device model with it) and close the socket. NULL is fine. */
void vu_backend_destroy(struct vu_backend *server);

#endif
