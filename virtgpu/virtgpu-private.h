/* SPDX-License-Identifier: MIT */
/*
 * Guest side of virtgpu/: the backend seam.
 *
 * `struct virtgpu` is a base embedded first in each backend's own struct;
 * virtgpu.c dispatches every public call through `dev->ops`.  Two backends plug
 * in here, each with its own ops table and open function: `drm` (drm.c, the
 * kernel's virtio_gpu render node) and `socket` (socket/guest*.c, the socket
 * transport's guest end); nothing above virtgpu.h knows which one it has.
 *
 * Handle semantics every backend provides (the GEM rules, plus one refinement):
 * a handle is per device; virtgpu_bo_import() of a fd whose resource already has
 * a handle on this device returns that handle and takes a reference on it;
 * virtgpu_bo_close() drops one reference and closes the handle with the last.  So
 * "import, send, close" never closes a handle the caller holds elsewhere (the
 * kernel returns the same GEM handle without a reference: the drm backend keeps
 * the count in user space).
 *
 * Prototypes are grouped by defining file.
 */
#ifndef VIRTGPU_VIRTGPU_PRIVATE_H
#define VIRTGPU_VIRTGPU_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "virtgpu/virtgpu.h"

/** What a backend implements; the public functions of virtgpu.h dispatch here. */
struct virtgpu_backend_ops {
	void (*close)(struct virtgpu *dev);
	int (*get_capset)(struct virtgpu *dev, uint32_t id, uint32_t version, void *buf,
			  size_t size);
	int (*context_init)(struct virtgpu *dev, uint32_t capset_id, uint32_t num_rings,
			    uint32_t poll_rings_mask);
	int (*blob_create)(struct virtgpu *dev, uint32_t blob_mem, uint32_t blob_flags,
			   uint64_t size, uint64_t blob_id, struct virtgpu_bo *out);
	int (*bo_map)(struct virtgpu *dev, struct virtgpu_bo *bo);
	int (*bo_export)(struct virtgpu *dev, const struct virtgpu_bo *bo);
	int (*bo_import)(struct virtgpu *dev, int fd, struct virtgpu_bo *out);
	void (*bo_close)(struct virtgpu *dev, struct virtgpu_bo *bo);
	int (*submit)(struct virtgpu *dev, const void *cmd, size_t size, uint32_t ring_idx,
		      const struct virtgpu_bo *const *bos, size_t num_bos);
	int (*wait)(struct virtgpu *dev, const struct virtgpu_bo *bo);
	int (*event_fd)(const struct virtgpu *dev);
	int (*read_events)(struct virtgpu *dev);
};

/** The base of every backend's device struct. */
struct virtgpu {
	const struct virtgpu_backend_ops *ops;
	char describe[128];   /* "socket:/run/user/1000/vsomm-host.sock" */
	bool guest_blob_send; /* virtgpu_accepts_guest_blob_send(): set by the backend's open */
	uint64_t features;    /* virtgpu_features(): set by the backend's open */
};

/* ---------------- virtgpu/drm.c: the drm backend ---------------- */

/**
 * Open a render node; -ENODEV if it is no virtio_gpu, -ENOTSUP without capset 5,
 * blobs or context init.  `quiet`: no error is logged (the default device tries
 * a node and falls back to the socket).
 */
int virtgpu_drm_open(const char *path, bool quiet, struct virtgpu **out);

#endif
