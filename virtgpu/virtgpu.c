/* SPDX-License-Identifier: MIT */
/*
 * The guest device interface: open picks a backend from the spec, every other
 * call dispatches through the backend's ops (virtgpu-private.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "virtgpu/socket/guest.h"
#include "virtgpu/virtgpu-private.h"

#define SOCKET_PREFIX "socket:"
#define DRM_PREFIX "drm:"
#define DEFAULT_SOCKET_NAME "vsomm-host.sock"

static int open_default(struct virtgpu **out)
{
	/*
	 * A virtio_gpu render node with capset 5 first (a real guest), then the
	 * socket.  A node that lists capset 5 but lacks blobs or context init is
	 * passed over quietly: the socket may still serve this process.
	 */
	char spec[4200];
	if (virtgpu_find_render_node(VIRTGPU_DRI_DIR, spec, sizeof(spec)) == 0 &&
	    virtgpu_drm_open(spec + strlen(DRM_PREFIX), true, out) == 0)
		return 0;
	const char *dir = getenv("XDG_RUNTIME_DIR");
	if (!dir || dir[0] != '/') {
		vsomm_log(VSOMM_LOG_ERROR,
			  "XDG_RUNTIME_DIR is not set (or not absolute): cannot find %s; "
			  "pass a device such as socket:PATH",
			  DEFAULT_SOCKET_NAME);
		return -EDESTADDRREQ;
	}
	char path[4096];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, DEFAULT_SOCKET_NAME);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	return sock_guest_open(path, out);
}

int virtgpu_open(const char *spec, struct virtgpu **out)
{
	*out = NULL;
	if (!spec)
		return open_default(out);
	if (strncmp(spec, SOCKET_PREFIX, strlen(SOCKET_PREFIX)) == 0) {
		const char *path = spec + strlen(SOCKET_PREFIX);
		if (path[0] == '\0')
			return -EINVAL;
		return sock_guest_open(path, out);
	}
	if (strncmp(spec, DRM_PREFIX, strlen(DRM_PREFIX)) == 0) {
		const char *path = spec + strlen(DRM_PREFIX);
		if (path[0] == '\0')
			return -EINVAL;
		return virtgpu_drm_open(path, false, out);
	}
	vsomm_log(VSOMM_LOG_ERROR, "unknown virtgpu device '%s' (want socket:PATH or drm:PATH)",
		  spec);
	return -EINVAL;
}

void virtgpu_close(struct virtgpu *dev)
{
	if (dev)
		dev->ops->close(dev);
}

const char *virtgpu_describe(const struct virtgpu *dev)
{
	return dev->describe;
}

bool virtgpu_accepts_guest_blob_send(const struct virtgpu *dev)
{
	return dev->guest_blob_send;
}

uint64_t virtgpu_features(const struct virtgpu *dev)
{
	return dev->features;
}

int virtgpu_get_capset(struct virtgpu *dev, uint32_t id, uint32_t version, void *buf, size_t size)
{
	if (size == 0 || !buf)
		return -EINVAL;
	return dev->ops->get_capset(dev, id, version, buf, size);
}

int virtgpu_context_init(struct virtgpu *dev, uint32_t capset_id, uint32_t num_rings,
			 uint32_t poll_rings_mask)
{
	return dev->ops->context_init(dev, capset_id, num_rings, poll_rings_mask);
}

int virtgpu_blob_create(struct virtgpu *dev, uint32_t blob_mem, uint32_t blob_flags, uint64_t size,
			uint64_t blob_id, struct virtgpu_bo *out)
{
	return dev->ops->blob_create(dev, blob_mem, blob_flags, size, blob_id, out);
}

int virtgpu_bo_map(struct virtgpu *dev, struct virtgpu_bo *bo)
{
	return dev->ops->bo_map(dev, bo);
}

int virtgpu_bo_export(struct virtgpu *dev, const struct virtgpu_bo *bo)
{
	return dev->ops->bo_export(dev, bo);
}

int virtgpu_bo_import(struct virtgpu *dev, int fd, struct virtgpu_bo *out)
{
	if (fd < 0)
		return -EBADF;
	return dev->ops->bo_import(dev, fd, out);
}

void virtgpu_bo_close(struct virtgpu *dev, struct virtgpu_bo *bo)
{
	if (bo && bo->handle)
		dev->ops->bo_close(dev, bo);
}

int virtgpu_submit(struct virtgpu *dev, const void *cmd, size_t size, uint32_t ring_idx,
		   const struct virtgpu_bo *const *bos, size_t num_bos)
{
	if ((size > 0 && !cmd) || (num_bos > 0 && !bos))
		return -EINVAL;
	return dev->ops->submit(dev, cmd, size, ring_idx, bos, num_bos);
}

int virtgpu_wait(struct virtgpu *dev, const struct virtgpu_bo *bo)
{
	return dev->ops->wait(dev, bo);
}

int virtgpu_event_fd(const struct virtgpu *dev)
{
	return dev->ops->event_fd(dev);
}

int virtgpu_read_events(struct virtgpu *dev)
{
	return dev->ops->read_events(dev);
}
