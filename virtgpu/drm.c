/* SPDX-License-Identifier: MIT */
/*
 * The drm backend: the guest kernel's virtio_gpu render node
 * (docs/cross-domain.md §5, the sequence of §6).  One open file is one
 * virtio-gpu context with its own GEM handle namespace, exactly what a
 * `struct virtgpu` is.
 *
 * Handles: the kernel gives an imported blob that already has a handle in this
 * file the same handle without a reference, so the reference count of
 * virtgpu-private.h is kept here, with the handle's mapping.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cross-domain/protocol.h"
#include "util/log.h"
#include "virtgpu/virtgpu-drm-uapi.h"
#include "virtgpu/virtgpu-private.h"

#define MAX_RINGS 64u

struct drm_handle {
	uint32_t handle, res_id;
	uint32_t blob_mem; /* VIRTGPU_BLOB_MEM_*, 0 for no blob */
	uint64_t size;
	uint32_t refs;
	void *map;
};

struct drm_dev {
	struct virtgpu base;
	int fd;
	bool host_visible;
	struct drm_handle *handles;
	size_t num_handles, cap_handles;
};

static struct drm_dev *to_drm(const struct virtgpu *dev)
{
	return (struct drm_dev *)dev;
}

static int xioctl(int fd, unsigned long request, void *arg)
{
	int ret;
	do {
		ret = ioctl(fd, request, arg);
	} while (ret < 0 && (errno == EINTR || errno == EAGAIN));
	return ret < 0 ? -errno : 0;
}

static int getparam(int fd, uint64_t param, int *value)
{
	*value = 0;
	struct vdrm_virtgpu_getparam gp = {.param = param, .value = (uint64_t)(uintptr_t)value};
	return xioctl(fd, VDRM_IOCTL_VIRTGPU_GETPARAM, &gp);
}

/* Is `fd` a virtio_gpu DRM node? */
static bool is_virtio_gpu(int fd)
{
	char name[32] = {0};
	struct vdrm_version v = {.name_len = sizeof(name) - 1, .name = (uint64_t)(uintptr_t)name};
	return xioctl(fd, VDRM_IOCTL_VERSION, &v) == 0 && strcmp(name, "virtio_gpu") == 0;
}

/*
 * The checks of §6 step 2, with the values checked too.  Returns 0, -ENODEV
 * (not virtio_gpu), -ENOTSUP (a virtio-gpu without what cross-domain needs).
 */
static int probe(struct drm_dev *d, const char *path, bool quiet)
{
	if (!is_virtio_gpu(d->fd)) {
		if (!quiet)
			vsomm_log(VSOMM_LOG_ERROR, "%s: not a virtio_gpu device", path);
		return -ENODEV;
	}
	static const struct {
		uint64_t param;
		const char *name, *missing;
	} params[] = {
		{VIRTGPU_PARAM_3D_FEATURES, "3D_FEATURES",
		 "the device does not offer VIRTIO_GPU_F_VIRGL (needed for context commands)"},
		{VIRTGPU_PARAM_CAPSET_QUERY_FIX, "CAPSET_QUERY_FIX", NULL},
		{VIRTGPU_PARAM_RESOURCE_BLOB, "RESOURCE_BLOB",
		 "the device does not offer VIRTIO_GPU_F_RESOURCE_BLOB"},
		{VIRTGPU_PARAM_HOST_VISIBLE, "HOST_VISIBLE", NULL},
		{VIRTGPU_PARAM_CONTEXT_INIT, "CONTEXT_INIT",
		 "the device does not offer VIRTIO_GPU_F_CONTEXT_INIT (no context types)"},
		{VIRTGPU_PARAM_SUPPORTED_CAPSET_IDS, "SUPPORTED_CAPSET_IDs", NULL},
	};
	int values[sizeof(params) / sizeof(params[0])];
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		int ret = getparam(d->fd, params[i].param, &values[i]);
		if (ret < 0) {
			if (!quiet)
				vsomm_log(VSOMM_LOG_ERROR,
					  "%s: GETPARAM %s failed (%s): the kernel is too old for "
					  "cross-domain (blobs and context init need Linux 5.16)",
					  path, params[i].name, strerror(-ret));
			return -ENOTSUP;
		}
		if (params[i].missing && values[i] != 1) {
			if (!quiet)
				vsomm_log(VSOMM_LOG_ERROR, "%s: %s", path, params[i].missing);
			return -ENOTSUP;
		}
	}
	unsigned caps = (unsigned)values[5];
	if (!(caps & (1u << XDOMAIN_CAPSET_ID))) {
		if (!quiet)
			vsomm_log(
				VSOMM_LOG_ERROR,
				"%s: the device has no cross-domain capset (id 5; capset ids 0x%x): "
				"start the VMM with the cross-domain context type",
				path, caps);
		return -ENOTSUP;
	}
	d->host_visible = values[3] == 1;
	d->base.features = VIRTGPU_F_VIRGL | VIRTGPU_F_RESOURCE_BLOB | VIRTGPU_F_CONTEXT_INIT;
	if (!d->host_visible)
		vsomm_log(VSOMM_LOG_INFO,
			  "%s: no host-visible memory: wl_shm buffers and keymaps cannot be mapped",
			  path);
	return 0;
}

static struct drm_handle *find(struct drm_dev *d, uint32_t handle)
{
	for (size_t i = 0; i < d->num_handles; i++)
		if (d->handles[i].handle == handle)
			return &d->handles[i];
	return NULL;
}

static void gem_close(struct drm_dev *d, uint32_t handle)
{
	struct vdrm_gem_close gc = {.handle = handle};
	int ret = xioctl(d->fd, VDRM_IOCTL_GEM_CLOSE, &gc);
	if (ret < 0)
		vsomm_log(VSOMM_LOG_ERROR, "%s: GEM_CLOSE %u: %s", d->base.describe, handle,
			  strerror(-ret));
}

/* Take a reference on `handle` (new or known); fills *out. */
static int add_ref(struct drm_dev *d, uint32_t handle, uint32_t res_id, uint32_t blob_mem,
		   uint64_t size, struct virtgpu_bo *out)
{
	struct drm_handle *h = find(d, handle);
	if (h) {
		if (h->refs == UINT32_MAX)
			return -EMFILE;
		h->refs++;
	} else {
		if (d->num_handles == d->cap_handles) {
			size_t cap = d->cap_handles ? d->cap_handles * 2 : 16;
			struct drm_handle *n = realloc(d->handles, cap * sizeof(*n));
			if (!n) {
				gem_close(d, handle);
				return -ENOMEM;
			}
			d->handles = n;
			d->cap_handles = cap;
		}
		h = &d->handles[d->num_handles++];
		*h = (struct drm_handle){.handle = handle,
					 .res_id = res_id,
					 .blob_mem = blob_mem,
					 .size = size,
					 .refs = 1};
	}
	*out = (struct virtgpu_bo){.handle = h->handle,
				   .res_id = h->res_id,
				   .size = h->size,
				   .map = h->map,
				   .blob_mem = h->blob_mem};
	return 0;
}

static void drm_close(struct virtgpu *dev)
{
	struct drm_dev *d = to_drm(dev);
	for (size_t i = 0; i < d->num_handles; i++) {
		if (d->handles[i].map)
			munmap(d->handles[i].map, d->handles[i].size);
		gem_close(d, d->handles[i].handle);
	}
	free(d->handles);
	close(d->fd);
	free(d);
}

static int drm_get_capset(struct virtgpu *dev, uint32_t id, uint32_t version, void *buf,
			  size_t size)
{
	if (size > UINT32_MAX)
		return -EINVAL;
	struct vdrm_virtgpu_get_caps caps = {
		.cap_set_id = id,
		.cap_set_ver = version,
		.addr = (uint64_t)(uintptr_t)buf,
		.size = (uint32_t)size,
	};
	int ret = xioctl(to_drm(dev)->fd, VDRM_IOCTL_VIRTGPU_GET_CAPS, &caps);
	if (ret < 0)
		vsomm_log(VSOMM_LOG_ERROR, "%s: GET_CAPS(capset %u, version %u) failed: %s%s",
			  dev->describe, id, version, strerror(-ret),
			  ret == -EINVAL  ? " (the device has no such capset or version)"
			  : ret == -EBUSY ? " (the device did not answer)"
					  : "");
	return ret;
}

static int drm_context_init(struct virtgpu *dev, uint32_t capset_id, uint32_t num_rings,
			    uint32_t poll_rings_mask)
{
	if (num_rings > MAX_RINGS)
		return -EINVAL;
	struct vdrm_virtgpu_context_set_param params[] = {
		{VIRTGPU_CONTEXT_PARAM_CAPSET_ID, capset_id},
		{VIRTGPU_CONTEXT_PARAM_NUM_RINGS, num_rings},
		{VIRTGPU_CONTEXT_PARAM_POLL_RINGS_MASK, poll_rings_mask},
	};
	struct vdrm_virtgpu_context_init init = {
		.num_params = 3,
		.ctx_set_params = (uint64_t)(uintptr_t)params,
	};
	int ret = xioctl(to_drm(dev)->fd, VDRM_IOCTL_VIRTGPU_CONTEXT_INIT, &init);
	if (ret < 0)
		vsomm_log(VSOMM_LOG_ERROR, "%s: CONTEXT_INIT(capset %u, %u rings) failed: %s%s",
			  dev->describe, capset_id, num_rings, strerror(-ret),
			  ret == -EEXIST ? " (a context was created before: CONTEXT_INIT must "
					   "come first)"
					 : "");
	return ret;
}

static int drm_blob_create(struct virtgpu *dev, uint32_t blob_mem, uint32_t blob_flags,
			   uint64_t size, uint64_t blob_id, struct virtgpu_bo *out)
{
	struct drm_dev *d = to_drm(dev);
	struct vdrm_virtgpu_resource_create_blob blob = {
		.blob_mem = blob_mem,
		.blob_flags = blob_flags,
		.size = size,
		.blob_id = blob_id,
	};
	int ret = xioctl(d->fd, VDRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &blob);
	if (ret < 0) {
		vsomm_log(VSOMM_LOG_ERROR,
			  "%s: RESOURCE_CREATE_BLOB(mem %u, flags 0x%x, %llu bytes)"
			  " failed: %s%s",
			  dev->describe, blob_mem, blob_flags, (unsigned long long)size,
			  strerror(-ret),
			  blob_mem == VIRTGPU_BLOB_MEM_HOST3D &&
					  (blob_flags & VIRTGPU_BLOB_FLAG_USE_MAPPABLE) &&
					  !d->host_visible
				  ? " (no host-visible memory region)"
				  : "");
		return ret;
	}
	return add_ref(d, blob.bo_handle, blob.res_handle, blob_mem, size, out);
}

static int drm_bo_map(struct virtgpu *dev, struct virtgpu_bo *bo)
{
	struct drm_dev *d = to_drm(dev);
	struct drm_handle *h = find(d, bo->handle);
	if (!h)
		return -ENOENT;
	if (!h->map) {
		struct vdrm_virtgpu_map map = {.handle = h->handle};
		int ret = xioctl(d->fd, VDRM_IOCTL_VIRTGPU_MAP, &map);
		if (ret < 0)
			return ret;
		if (h->size == 0 || h->size > SIZE_MAX)
			return -EINVAL;
		void *p = mmap(NULL, (size_t)h->size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
			       (off_t)map.offset);
		if (p == MAP_FAILED)
			return -errno;
		h->map = p;
	}
	bo->map = h->map;
	return 0;
}

static int drm_bo_export(struct virtgpu *dev, const struct virtgpu_bo *bo)
{
	struct vdrm_prime_handle prime = {
		.handle = bo->handle, .flags = O_CLOEXEC | O_RDWR, .fd = -1};
	int ret = xioctl(to_drm(dev)->fd, VDRM_IOCTL_PRIME_HANDLE_TO_FD, &prime);
	return ret < 0 ? ret : prime.fd;
}

static int drm_bo_import(struct virtgpu *dev, int fd, struct virtgpu_bo *out)
{
	struct drm_dev *d = to_drm(dev);
	struct vdrm_prime_handle prime = {.fd = fd};
	int ret = xioctl(d->fd, VDRM_IOCTL_PRIME_FD_TO_HANDLE, &prime);
	if (ret < 0)
		return ret == -EBADF || ret == -EINVAL ? ret : -EINVAL; /* not one of ours */
	if (find(d, prime.handle))
		return add_ref(d, prime.handle, 0, 0, 0, out);
	struct vdrm_virtgpu_resource_info info = {.bo_handle = prime.handle};
	ret = xioctl(d->fd, VDRM_IOCTL_VIRTGPU_RESOURCE_INFO, &info);
	if (ret < 0) {
		gem_close(d, prime.handle);
		return ret;
	}
	/* blob_mem: a GUEST blob (a foreign dmabuf the kernel imported as guest
	 * memory, Linux 6.13+) cannot be named in a SEND to rutabaga */
	return add_ref(d, prime.handle, info.res_handle, info.blob_mem, info.size, out);
}

static void drm_bo_close(struct virtgpu *dev, struct virtgpu_bo *bo)
{
	struct drm_dev *d = to_drm(dev);
	struct drm_handle *h = find(d, bo->handle);
	bo->map = NULL;
	if (!h) {
		vsomm_log(VSOMM_LOG_ERROR, "%s: close of unknown handle %u", dev->describe,
			  bo->handle);
		bo->handle = 0;
		return;
	}
	bo->handle = 0;
	if (--h->refs > 0)
		return;
	if (h->map)
		munmap(h->map, h->size);
	gem_close(d, h->handle);
	*h = d->handles[--d->num_handles];
}

static int drm_submit(struct virtgpu *dev, const void *cmd, size_t size, uint32_t ring_idx,
		      const struct virtgpu_bo *const *bos, size_t num_bos)
{
	if (size > UINT32_MAX || num_bos > 64)
		return -EINVAL;
	uint32_t handles[64];
	for (size_t i = 0; i < num_bos; i++)
		handles[i] = bos[i]->handle;
	struct vdrm_virtgpu_execbuffer eb = {
		.size = (uint32_t)size,
		.command = (uint64_t)(uintptr_t)cmd,
		.bo_handles = (uint64_t)(uintptr_t)handles,
		.num_bo_handles = (uint32_t)num_bos,
		.fence_fd = -1,
	};
	if (ring_idx != VIRTGPU_RING_NONE) {
		eb.flags = VIRTGPU_EXECBUF_RING_IDX;
		eb.ring_idx = ring_idx;
	}
	int ret = xioctl(to_drm(dev)->fd, VDRM_IOCTL_VIRTGPU_EXECBUFFER, &eb);
	if (ret < 0)
		vsomm_log(VSOMM_LOG_ERROR, "%s: EXECBUFFER (%zu bytes, ring %d) failed: %s",
			  dev->describe, size, ring_idx == VIRTGPU_RING_NONE ? -1 : (int)ring_idx,
			  strerror(-ret));
	return ret;
}

static int drm_wait(struct virtgpu *dev, const struct virtgpu_bo *bo)
{
	struct vdrm_virtgpu_3d_wait w = {.handle = bo->handle};
	int ret;
	/* The kernel waits up to 15 s itself; EBUSY after that is the timeout. */
	do {
		ret = ioctl(to_drm(dev)->fd, VDRM_IOCTL_VIRTGPU_WAIT, &w);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? (errno == EBUSY ? -ETIMEDOUT : -errno) : 0;
}

static int drm_event_fd(const struct virtgpu *dev)
{
	return to_drm(dev)->fd;
}

static int drm_read_events(struct virtgpu *dev)
{
	struct drm_dev *d = to_drm(dev);
	int count = 0;
	for (;;) {
		struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
		int r = poll(&pfd, 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0 || !(pfd.revents & POLLIN))
			return count;
		uint8_t buf[4096];
		ssize_t n = read(d->fd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			return count;
		for (size_t off = 0; off + sizeof(struct vdrm_event) <= (size_t)n;) {
			struct vdrm_event ev;
			memcpy(&ev, buf + off, sizeof(ev));
			if (ev.length < sizeof(ev) || ev.length > (size_t)n - off)
				return -EPROTO;
			if (ev.type == VIRTGPU_EVENT_FENCE_SIGNALED)
				count++;
			off += ev.length;
		}
	}
}

static const struct virtgpu_backend_ops drm_ops = {
	.close = drm_close,
	.get_capset = drm_get_capset,
	.context_init = drm_context_init,
	.blob_create = drm_blob_create,
	.bo_map = drm_bo_map,
	.bo_export = drm_bo_export,
	.bo_import = drm_bo_import,
	.bo_close = drm_bo_close,
	.submit = drm_submit,
	.wait = drm_wait,
	.event_fd = drm_event_fd,
	.read_events = drm_read_events,
};

int virtgpu_drm_open(const char *path, bool quiet, struct virtgpu **out)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		if (!quiet)
			vsomm_log(VSOMM_LOG_ERROR, "%s: %s", path, strerror(err));
		return -err;
	}
	struct drm_dev *d = calloc(1, sizeof(*d));
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	d->base.ops = &drm_ops;
	/*
	 * The device behind a render node is not ours to ask: rutabaga (crosvm,
	 * QEMU) refuses GUEST blobs in a SEND, so assume every device does.
	 */
	d->base.guest_blob_send = false;
	d->fd = fd;
	snprintf(d->base.describe, sizeof(d->base.describe), "drm:%s", path);
	int ret = probe(d, path, quiet);
	if (ret < 0) {
		close(fd);
		free(d);
		return ret;
	}
	*out = &d->base;
	return 0;
}

int virtgpu_drm_node_info(const char *path, struct virtgpu_node_info *out)
{
	*out = (struct virtgpu_node_info){0};
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	out->virtio_gpu = is_virtio_gpu(fd);
	if (out->virtio_gpu) {
		/* 0 for those a kernel does not answer (getparam leaves them) */
		int virgl = 0, blob = 0, visible = 0, init = 0, capsets = 0;
		/* each asked even when one fails: a pre-5.16 kernel still tells some */
		bool ok = getparam(fd, VIRTGPU_PARAM_3D_FEATURES, &virgl) == 0;
		ok &= getparam(fd, VIRTGPU_PARAM_RESOURCE_BLOB, &blob) == 0;
		ok &= getparam(fd, VIRTGPU_PARAM_HOST_VISIBLE, &visible) == 0;
		ok &= getparam(fd, VIRTGPU_PARAM_CONTEXT_INIT, &init) == 0;
		ok &= getparam(fd, VIRTGPU_PARAM_SUPPORTED_CAPSET_IDS, &capsets) == 0;
		*out = (struct virtgpu_node_info){
			.virtio_gpu = true,
			.params = ok,
			.virgl = virgl == 1,
			.resource_blob = blob == 1,
			.host_visible = visible == 1,
			.context_init = init == 1,
			.capset_ids = (uint32_t)capsets,
		};
	}
	close(fd);
	return 0;
}

/* Does the render node at `path` list the cross-domain capset?  Quiet. */
static bool node_has_cross_domain(const char *path)
{
	struct virtgpu_node_info info;
	if (virtgpu_drm_node_info(path, &info) < 0 || !info.virtio_gpu)
		return false;
	/* capset ids 0: a kernel older than 5.16, which cannot do capset 5 anyway */
	vsomm_log(VSOMM_LOG_DEBUG, "%s: virtio_gpu, capsets 0x%x", path, info.capset_ids);
	return info.capset_ids & (1u << XDOMAIN_CAPSET_ID);
}

/* renderD128 sorts before renderD129 and renderD1000: shorter names first. */
static bool node_name_before(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	return la < lb || (la == lb && strcmp(a, b) < 0);
}

int virtgpu_find_render_node(const char *dri_dir, char *buf, size_t size)
{
	DIR *dir = opendir(dri_dir);
	if (!dir)
		return -ENOENT;
	/* the lowest minor first: renderD128 is the first GPU */
	char best[64] = "";
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (strncmp(e->d_name, "renderD", 7) != 0 || strlen(e->d_name) >= sizeof(best))
			continue;
		if (best[0] && !node_name_before(e->d_name, best))
			continue;
		char path[4096];
		int n = snprintf(path, sizeof(path), "%s/%s", dri_dir, e->d_name);
		if (n > 0 && (size_t)n < sizeof(path) && node_has_cross_domain(path))
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(dir);
	if (!best[0])
		return -ENOENT;
	int n = snprintf(buf, size, "drm:%s/%s", dri_dir, best);
	return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}
