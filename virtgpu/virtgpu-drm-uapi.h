/* SPDX-License-Identifier: MIT */
/*
 * The parts of the Linux DRM and virtio-gpu uapi the drm backend uses.
 *
 * Origin: written for vsomm from the layouts and ioctl numbers of Linux's
 * include/uapi/drm/drm.h and include/uapi/drm/virtgpu_drm.h (5.16+: blobs,
 * CONTEXT_INIT, RING_IDX) as recorded in docs/cross-domain.md §5; not copied.
 * Debian bookworm's libdrm 2.4.114 header predates blobs and context init, and
 * the project needs no libdrm at all for these few calls.  Every struct size and
 * field offset is checked below against the table of §5.
 */
#ifndef VIRTGPU_VIRTGPU_DRM_UAPI_H
#define VIRTGPU_VIRTGPU_DRM_UAPI_H

#include <assert.h>
#include <linux/ioctl.h>
#include <stddef.h>
#include <stdint.h>

#define VDRM_IOCTL_BASE 'd'
#define VDRM_COMMAND_BASE 0x40
#define VDRM_IOWR(nr, type) _IOWR(VDRM_IOCTL_BASE, nr, type)
#define VDRM_IOW(nr, type) _IOW(VDRM_IOCTL_BASE, nr, type)

/* generic DRM */
struct vdrm_version {
	int32_t version_major, version_minor, version_patchlevel;
	uint32_t pad;
	uint64_t name_len; /* size_t in the kernel's struct: 64-bit on LP64 */
	uint64_t name;     /* char __user * */
	uint64_t date_len;
	uint64_t date;
	uint64_t desc_len;
	uint64_t desc;
};
static_assert(sizeof(struct vdrm_version) == 64, "drm_version");

struct vdrm_gem_close {
	uint32_t handle, pad;
};

struct vdrm_prime_handle {
	uint32_t handle;
	uint32_t flags; /* DRM_CLOEXEC = O_CLOEXEC, DRM_RDWR = O_RDWR */
	int32_t fd;
};
static_assert(sizeof(struct vdrm_prime_handle) == 12, "drm_prime_handle");

struct vdrm_event {
	uint32_t type, length;
};

#define VDRM_IOCTL_VERSION VDRM_IOWR(0x00, struct vdrm_version)
#define VDRM_IOCTL_GEM_CLOSE VDRM_IOW(0x09, struct vdrm_gem_close)
#define VDRM_IOCTL_PRIME_HANDLE_TO_FD VDRM_IOWR(0x2d, struct vdrm_prime_handle)
#define VDRM_IOCTL_PRIME_FD_TO_HANDLE VDRM_IOWR(0x2e, struct vdrm_prime_handle)

/* virtio-gpu */
#define VIRTGPU_PARAM_3D_FEATURES 1
#define VIRTGPU_PARAM_CAPSET_QUERY_FIX 2
#define VIRTGPU_PARAM_RESOURCE_BLOB 3
#define VIRTGPU_PARAM_HOST_VISIBLE 4
#define VIRTGPU_PARAM_CONTEXT_INIT 6
#define VIRTGPU_PARAM_SUPPORTED_CAPSET_IDS 7

#define VIRTGPU_CONTEXT_PARAM_CAPSET_ID 1
#define VIRTGPU_CONTEXT_PARAM_NUM_RINGS 2
#define VIRTGPU_CONTEXT_PARAM_POLL_RINGS_MASK 3

#define VIRTGPU_EXECBUF_RING_IDX 0x4u
#define VIRTGPU_EVENT_FENCE_SIGNALED 0x90000000u

struct vdrm_virtgpu_map {
	uint64_t offset; /* out */
	uint32_t handle, pad;
};
static_assert(sizeof(struct vdrm_virtgpu_map) == 16, "map");

/* The 40-byte (5.16) layout; newer kernels zero-fill their syncobj fields. */
struct vdrm_virtgpu_execbuffer {
	uint32_t flags;
	uint32_t size;
	uint64_t command;
	uint64_t bo_handles;
	uint32_t num_bo_handles;
	int32_t fence_fd;
	uint32_t ring_idx;
	uint32_t pad;
};
static_assert(sizeof(struct vdrm_virtgpu_execbuffer) == 40, "execbuffer");
static_assert(offsetof(struct vdrm_virtgpu_execbuffer, ring_idx) == 32, "ring_idx");

struct vdrm_virtgpu_getparam {
	uint64_t param;
	uint64_t value; /* user pointer to an int */
};

struct vdrm_virtgpu_resource_info {
	uint32_t bo_handle, res_handle, size, blob_mem;
};

struct vdrm_virtgpu_3d_wait {
	uint32_t handle, flags;
};

struct vdrm_virtgpu_get_caps {
	uint32_t cap_set_id, cap_set_ver;
	uint64_t addr;
	uint32_t size, pad;
};
static_assert(sizeof(struct vdrm_virtgpu_get_caps) == 24, "get_caps");

struct vdrm_virtgpu_resource_create_blob {
	uint32_t blob_mem, blob_flags;
	uint32_t bo_handle, res_handle; /* out */
	uint64_t size;
	uint32_t pad, cmd_size;
	uint64_t cmd;
	uint64_t blob_id;
};
static_assert(sizeof(struct vdrm_virtgpu_resource_create_blob) == 48, "create_blob");
static_assert(offsetof(struct vdrm_virtgpu_resource_create_blob, blob_id) == 40, "blob_id");

struct vdrm_virtgpu_context_set_param {
	uint64_t param, value;
};

struct vdrm_virtgpu_context_init {
	uint32_t num_params, pad;
	uint64_t ctx_set_params;
};
static_assert(sizeof(struct vdrm_virtgpu_context_init) == 16, "context_init");

#define VDRM_IOCTL_VIRTGPU_MAP VDRM_IOWR(VDRM_COMMAND_BASE + 0x01, struct vdrm_virtgpu_map)
#define VDRM_IOCTL_VIRTGPU_EXECBUFFER \
	VDRM_IOWR(VDRM_COMMAND_BASE + 0x02, struct vdrm_virtgpu_execbuffer)
#define VDRM_IOCTL_VIRTGPU_GETPARAM \
	VDRM_IOWR(VDRM_COMMAND_BASE + 0x03, struct vdrm_virtgpu_getparam)
#define VDRM_IOCTL_VIRTGPU_RESOURCE_INFO \
	VDRM_IOWR(VDRM_COMMAND_BASE + 0x05, struct vdrm_virtgpu_resource_info)
#define VDRM_IOCTL_VIRTGPU_WAIT VDRM_IOWR(VDRM_COMMAND_BASE + 0x08, struct vdrm_virtgpu_3d_wait)
#define VDRM_IOCTL_VIRTGPU_GET_CAPS \
	VDRM_IOWR(VDRM_COMMAND_BASE + 0x09, struct vdrm_virtgpu_get_caps)
#define VDRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB \
	VDRM_IOWR(VDRM_COMMAND_BASE + 0x0a, struct vdrm_virtgpu_resource_create_blob)
#define VDRM_IOCTL_VIRTGPU_CONTEXT_INIT \
	VDRM_IOWR(VDRM_COMMAND_BASE + 0x0b, struct vdrm_virtgpu_context_init)

/* The values of docs/cross-domain.md §5.1 (x86_64). */
static_assert(VDRM_IOCTL_VIRTGPU_MAP == 0xC0106441u, "MAP");
static_assert(VDRM_IOCTL_VIRTGPU_EXECBUFFER == 0xC0286442u, "EXECBUFFER");
static_assert(VDRM_IOCTL_VIRTGPU_GETPARAM == 0xC0106443u, "GETPARAM");
static_assert(VDRM_IOCTL_VIRTGPU_RESOURCE_INFO == 0xC0106445u, "RESOURCE_INFO");
static_assert(VDRM_IOCTL_VIRTGPU_WAIT == 0xC0086448u, "WAIT");
static_assert(VDRM_IOCTL_VIRTGPU_GET_CAPS == 0xC0186449u, "GET_CAPS");
static_assert(VDRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB == 0xC030644Au, "CREATE_BLOB");
static_assert(VDRM_IOCTL_VIRTGPU_CONTEXT_INIT == 0xC010644Bu, "CONTEXT_INIT");
static_assert(VDRM_IOCTL_VERSION == 0xC0406400u, "VERSION");
static_assert(VDRM_IOCTL_GEM_CLOSE == 0x40086409u, "GEM_CLOSE");
static_assert(VDRM_IOCTL_PRIME_HANDLE_TO_FD == 0xC00C642Du, "PRIME_HANDLE_TO_FD");
static_assert(VDRM_IOCTL_PRIME_FD_TO_HANDLE == 0xC00C642Eu, "PRIME_FD_TO_HANDLE");

#endif
