/* SPDX-License-Identifier: MIT */
/*
 * Guest side of virtio-gpu: the device interface the cross-domain channel uses.
 *
 * One `struct virtgpu` is what one open DRM file is to the Linux driver: one
 * virtio-gpu context, its own rings and its own handle namespace.  Two backends sit
 * behind it: `drm` (drm.c: the kernel's virtio_gpu render node, on a real guest)
 * and `socket` (socket/guest.c: virtio-gpu commands framed on a unix socket to
 * vsomm-host, docs/socket-transport.md, where there is no kernel device).
 * Callers never learn which one is below them.  This file is the guest side's
 * only boundary: nothing of virtgpu/device/, virtgpu/vhost-user/ or the socket
 * transport's host end is visible from here.
 *
 * Errors are negative errno values, as in the kernel's ioctl layer.
 */
#ifndef VIRTGPU_VIRTGPU_H
#define VIRTGPU_VIRTGPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* blob_mem / blob_flags, as in the uapi (docs/cross-domain.md §5.5) */
#define VIRTGPU_BLOB_MEM_GUEST 1u
#define VIRTGPU_BLOB_MEM_HOST3D 2u
#define VIRTGPU_BLOB_MEM_HOST3D_GUEST 3u
#define VIRTGPU_BLOB_FLAG_USE_MAPPABLE 1u
#define VIRTGPU_BLOB_FLAG_USE_SHAREABLE 2u
#define VIRTGPU_BLOB_FLAG_USE_CROSS_DEVICE 4u

/** No ring: an unfenced submit (uapi: no VIRTGPU_EXECBUF_RING_IDX). */
#define VIRTGPU_RING_NONE 0xffffffffu

struct virtgpu;

/** A buffer object: the GEM handle of this file and the virtio resource id. */
struct virtgpu_bo {
	uint32_t handle; /* local handle, valid for this dev only */
	uint32_t res_id; /* virtio-gpu resource id: what cross-domain commands carry */
	uint64_t size;
	void *map;         /* set by virtgpu_bo_map, else NULL */
	uint32_t blob_mem; /* VIRTGPU_BLOB_MEM_*; 0 for a resource that is no blob */
};

/**
 * Open a device.  `spec` is "socket:PATH" (vsomm-host's socket), "drm:PATH" (a
 * render node), or NULL for the default: a virtio_gpu render node with capset 5
 * if one exists, else the vsomm-host socket at $XDG_RUNTIME_DIR/vsomm-host.sock.
 * Returns 0 and *out, or a negative errno: -EDESTADDRREQ when the default is
 * needed and XDG_RUNTIME_DIR is unset or not absolute, -ENOENT/-ECONNREFUSED when
 * nobody serves the socket, -EPROTO for a bad HELLO, for "drm:" -ENODEV (not a
 * virtio_gpu node) or -ENOTSUP (no capset 5, no blobs or context init), -EINVAL
 * for any other spec.
 */
int virtgpu_open(const char *spec, struct virtgpu **out);

/** Where render nodes are: the directory virtgpu_open() searches for the default. */
#define VIRTGPU_DRI_DIR "/dev/dri"

/**
 * Render-node discovery: the first virtio_gpu render node in `dri_dir` (lowest
 * minor first) that lists the cross-domain capset (id 5) in
 * VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs, written into `buf` as the device spec
 * "drm:DIR/renderDN".  Nodes are only queried, never kept open; nothing is
 * logged but at debug level.  Returns 0, -ENOENT when there is none (or no
 * `dri_dir`), -ENAMETOOLONG when `buf` is too small.
 */
int virtgpu_find_render_node(const char *dri_dir, char *buf, size_t size);
/** virtio-gpu feature bits (VIRTIO_GPU_F_*), as virtgpu_features() reports them. */
#define VIRTGPU_F_VIRGL (1ull << 0)
#define VIRTGPU_F_RESOURCE_BLOB (1ull << 3)
#define VIRTGPU_F_CONTEXT_INIT (1ull << 4)

/**
 * What a render node offers, whether or not cross-domain can use it: for
 * diagnostics (vsomm doctor).  The VIRTGPU_PARAM_* values the drm backend
 * checks when it opens a node, each only valid when `params` says GETPARAM
 * answered it (Linux 5.16+ for all of them).
 */
struct virtgpu_node_info {
	bool virtio_gpu; /* the node's driver is virtio_gpu */
	bool params;     /* every GETPARAM below answered */
	bool virgl, resource_blob, host_visible, context_init;
	uint32_t capset_ids; /* bit N: capset N (VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs) */
};

/**
 * Query the render node at `path` (opened and closed again; nothing logged).
 * Returns 0 and *out, or the negative errno of open().
 */
int virtgpu_drm_node_info(const char *path, struct virtgpu_node_info *out);

/** Close the device: every bo, mapping and the context go with it. NULL is fine. */
void virtgpu_close(struct virtgpu *dev);
/** A short human name of the backend and its path, for logs ("socket:/run/…"). */
const char *virtgpu_describe(const struct virtgpu *dev);

/**
 * Whether the device takes GUEST blobs (guest memory) named in a cross-domain
 * SEND.  rutabaga (crosvm, QEMU) refuses such a SEND whole: it needs a host
 * handle for every blob, and guest memory has none.  vsomm-host takes them
 * unless --strict; the socket transport says so in its hello
 * (docs/socket-transport.md); a drm device is assumed not to.  Where false, a
 * guest buffer reaches the host by copy into HOST3D memory instead.
 */
bool virtgpu_accepts_guest_blob_send(const struct virtgpu *dev);

/**
 * The VIRTGPU_F_* bits the device offers: a socket's from vsomm-host's HELLO
 * (docs/socket-transport.md), a drm node's from its GETPARAMs.
 */
uint64_t virtgpu_features(const struct virtgpu *dev);

/** GET_CAPS: copy up to `size` bytes of capset (`id`, `version`) into `buf`. */
int virtgpu_get_capset(struct virtgpu *dev, uint32_t id, uint32_t version, void *buf, size_t size);

/**
 * CONTEXT_INIT: must be the first context-creating call on the device.
 * `poll_rings_mask`: fences on those rings produce events on virtgpu_event_fd().
 */
int virtgpu_context_init(struct virtgpu *dev, uint32_t capset_id, uint32_t num_rings,
			 uint32_t poll_rings_mask);

/**
 * RESOURCE_CREATE_BLOB.  GUEST blobs are backed by memory of this side (blob_id
 * must be 0); HOST3D blobs by host memory named by `blob_id` (a cross-domain item).
 * The new resource is attached to this device's context.
 */
int virtgpu_blob_create(struct virtgpu *dev, uint32_t blob_mem, uint32_t blob_flags, uint64_t size,
			uint64_t blob_id, struct virtgpu_bo *out);
/** Map a MAPPABLE blob read-write; sets bo->map. Idempotent. */
int virtgpu_bo_map(struct virtgpu *dev, struct virtgpu_bo *bo);
/**
 * Export a blob as a fd that other processes can map (a dma-buf on drm, the memory
 * fd on socket).  Returns the fd (O_CLOEXEC) or a negative errno.
 */
int virtgpu_bo_export(struct virtgpu *dev, const struct virtgpu_bo *bo);
/**
 * Import a fd that names a resource of this device (PRIME fd → handle): on success
 * *out holds the handle, res_id and blob_mem.  The socket backend also imports
 * other guest memory (a memfd or regular file: what a guest dmabuf is without a
 * kernel) as a new non-mappable GUEST blob with that fd (docs/socket-transport.md),
 * but only on a device that accepts GUEST blobs in SEND (the only use of such a
 * blob): elsewhere -EOPNOTSUPP.  -EBADF when the fd is no resource or memory (a
 * pipe, a socket), -EINVAL for an empty file.
 */
int virtgpu_bo_import(struct virtgpu *dev, int fd, struct virtgpu_bo *out);
/**
 * Drop the handle (GEM_CLOSE), unmapping it. The resource lives on while exported.
 * Each create or import takes one reference on the handle (an import of a blob
 * that already has a handle returns that handle); each close drops one, so
 * "import, send, close" never closes a handle held elsewhere.
 */
void virtgpu_bo_close(struct virtgpu *dev, struct virtgpu_bo *bo);

/**
 * EXECBUFFER on this device's context.  `ring_idx` VIRTGPU_RING_NONE submits
 * unfenced; else the submit is fenced on that ring, and `bos` get the fence
 * (virtgpu_wait() waits for it).
 */
int virtgpu_submit(struct virtgpu *dev, const void *cmd, size_t size, uint32_t ring_idx,
		   const struct virtgpu_bo *const *bos, size_t num_bos);
/** Wait (at most 15 s, like the kernel) until the fences on `bo` are signalled. */
int virtgpu_wait(struct virtgpu *dev, const struct virtgpu_bo *bo);

/** A fd to poll for POLLIN: fence events of the rings in the poll mask. */
int virtgpu_event_fd(const struct virtgpu *dev);
/**
 * Consume pending fence events without blocking.  Returns how many fences of the
 * polled rings were signalled since the last call (0 if none), or a negative errno
 * (-EPIPE: the device is gone).
 */
int virtgpu_read_events(struct virtgpu *dev);

#endif
