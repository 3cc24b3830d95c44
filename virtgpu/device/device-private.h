/* SPDX-License-Identifier: MIT */
/*
 * Internals of the host device model (virtgpu/device*.c), grouped by defining file.
 *
 * Objects: a device has contexts and resources (hashed by id), an attachment joins
 * one context and one resource (a resource may be attached to several contexts),
 * and a context keeps the responses of the fences it holds back, in submission
 * order.
 */
#ifndef VIRTGPU_DEVICE_PRIVATE_H
#define VIRTGPU_DEVICE_PRIVATE_H

#include <linux/virtio_gpu.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wayland-util.h>

#include "virtgpu/device/device.h"

#define DEVICE_DEFAULT_MAX_CONTEXTS 64u
#define DEVICE_DEFAULT_MAX_RESOURCES 4096u
/* Fence timelines per context: INFO_RING_IDX rings (cross-domain uses 0 and 1). */
#define DEVICE_MAX_RINGS 64u
/* Responses held back for fences, per device (cross-domain keeps one POLL). */
#define DEVICE_MAX_HELD_FENCES 1024u
#define DEVICE_CTX_BUCKETS 64u
#define DEVICE_RES_BUCKETS 256u
#define DEVICE_DEBUG_NAME_MAX 64u

/* map_info access bits (rutabaga's, as XDOMAIN_MAP_ACCESS_READ | _WRITE) */
#define DEVICE_MAP_ACCESS_RW 0x30u

#define DEVICE_FENCE_ECHO (VIRTIO_GPU_FLAG_FENCE | VIRTIO_GPU_FLAG_INFO_RING_IDX)
#define DEVICE_BLOB_FLAGS_VALID                                                         \
	(VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE | VIRTIO_GPU_BLOB_FLAG_USE_SHAREABLE |       \
	 VIRTIO_GPU_BLOB_FLAG_USE_CROSS_DEVICE)

struct device_ctx {
	struct wl_list link; /* virtgpu_device.ctx_buckets[] */
	uint32_t id;
	const struct virtgpu_capset_ops *ops;
	void *impl;                 /* what ops->ctx_create returned */
	struct wl_list attachments; /* device_attachment.ctx_link */
	struct wl_list held;        /* device_held_fence.link, submission order */
};

struct device_res {
	struct virtgpu_resource pub;
	struct wl_list link;        /* virtgpu_device.res_buckets[] */
	struct wl_list attachments; /* device_attachment.res_link */
};

struct device_attachment {
	struct wl_list ctx_link;
	struct wl_list res_link;
	struct device_ctx *ctx;
	struct device_res *res;
};

struct device_held_fence {
	struct wl_list link;
	uint64_t cookie;
	uint32_t ring_idx;
	uint64_t fence_id;
	struct virtio_gpu_ctrl_hdr resp; /* OK_NODATA with the fence echo */
};

struct virtgpu_device {
	const struct virtgpu_capset_ops **capsets;
	uint32_t num_capsets;
	void *capset_data;
	const struct virtgpu_transport_ops *transport_ops;
	void *transport;

	uint32_t max_contexts, max_resources;
	uint32_t num_contexts, num_resources, num_held;
	struct wl_list ctx_buckets[DEVICE_CTX_BUCKETS];
	struct wl_list res_buckets[DEVICE_RES_BUCKETS];

	/* The fence create_fence() is deciding about: a signal may complete it. */
	struct device_held_fence *deciding;
};

/* One command being processed. */
struct device_cmd {
	const uint8_t *bytes;
	size_t size;
	struct virtio_gpu_ctrl_hdr hdr;
	uint64_t cookie;
	struct virtgpu_backing backing; /* from the transport, or fd -1 / addr NULL */
	bool backing_taken;             /* moved into a resource */
	const char *why;                /* reason of an error response, for the log */
};

/* device.c */
/** Build a response header: echoes ctx_id and, when fenced, the fence fields. */
void virtgpu_device_resp_hdr(const struct virtio_gpu_ctrl_hdr *req, uint32_t type,
			     struct virtio_gpu_ctrl_hdr *out);
void virtgpu_device_respond(struct virtgpu_device *dev, uint64_t cookie, const void *resp,
			    size_t size, int fd);
void virtgpu_device_backing_release(struct virtgpu_backing *backing);
struct device_ctx *virtgpu_device_find_ctx(struct virtgpu_device *dev, uint32_t ctx_id);
struct device_res *virtgpu_device_find_res(struct virtgpu_device *dev, uint32_t res_id);

/* device-context.c: contexts, SUBMIT_3D and fences */
uint32_t virtgpu_device_ctx_create(struct virtgpu_device *dev, struct device_cmd *cmd);
uint32_t virtgpu_device_ctx_destroy_cmd(struct virtgpu_device *dev, struct device_cmd *cmd);
uint32_t virtgpu_device_submit_3d(struct virtgpu_device *dev, struct device_cmd *cmd);
/** Destroy a context; with `complete_fences`, held responses are sent first. */
void virtgpu_device_ctx_free(struct virtgpu_device *dev, struct device_ctx *ctx,
			     bool complete_fences);

/* device-resource.c: blob resources, attachments, mapping */
uint32_t virtgpu_device_create_blob(struct virtgpu_device *dev, struct device_cmd *cmd);
uint32_t virtgpu_device_unref(struct virtgpu_device *dev, struct device_cmd *cmd);
uint32_t virtgpu_device_attach(struct virtgpu_device *dev, struct device_cmd *cmd);
uint32_t virtgpu_device_detach(struct virtgpu_device *dev, struct device_cmd *cmd);
uint32_t virtgpu_device_map_blob(struct virtgpu_device *dev, struct device_cmd *cmd);
uint32_t virtgpu_device_unmap_blob(struct virtgpu_device *dev, struct device_cmd *cmd);
void virtgpu_device_res_free(struct virtgpu_device *dev, struct device_res *res);
void virtgpu_device_attachment_free(struct device_attachment *att);

#endif
