/* SPDX-License-Identifier: MIT */
/*
 * Internals of the host device model (the .c files of virtgpu/device/),
 * grouped by defining file.
 *
 * Objects: a device has contexts and resources (hashed by id), an attachment joins
 * one context and one resource (a resource may be attached to several contexts),
 * and a context keeps the responses of the fences it holds back, in submission
 * order.
 */
#ifndef VIRTGPU_DEVICE_DEVICE_PRIVATE_H
#define VIRTGPU_DEVICE_DEVICE_PRIVATE_H

#include <linux/virtio_gpu.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wayland-util.h>

#include "virtgpu/device/device.h"

#define GPU_MODEL_DEFAULT_MAX_CONTEXTS 64u
#define GPU_MODEL_DEFAULT_MAX_RESOURCES 4096u
/* Fence timelines per context: INFO_RING_IDX rings (cross-domain uses 0 and 1). */
#define GPU_MODEL_MAX_RINGS 64u
/* Responses held back for fences, per device (cross-domain keeps one POLL). */
#define GPU_MODEL_MAX_HELD_FENCES 1024u
#define GPU_MODEL_CTX_BUCKETS 64u
#define GPU_MODEL_RES_BUCKETS 256u
#define GPU_MODEL_DEBUG_NAME_MAX 64u

/* map_info access bits (rutabaga's, as XDOMAIN_MAP_ACCESS_READ | _WRITE) */
#define GPU_MODEL_MAP_ACCESS_RW 0x30u

#define GPU_MODEL_FENCE_ECHO (VIRTIO_GPU_FLAG_FENCE | VIRTIO_GPU_FLAG_INFO_RING_IDX)
#define GPU_MODEL_BLOB_FLAGS_VALID                                                \
	(VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE | VIRTIO_GPU_BLOB_FLAG_USE_SHAREABLE | \
	 VIRTIO_GPU_BLOB_FLAG_USE_CROSS_DEVICE)

struct gpu_model_ctx {
	struct wl_list link; /* gpu_model.ctx_buckets[] */
	uint32_t id;
	const struct gpu_model_capset_ops *ops;
	void *impl;                 /* what ops->ctx_create returned */
	struct wl_list attachments; /* gpu_model_attachment.ctx_link */
	struct wl_list held;        /* gpu_model_held_fence.link, submission order */
};

struct gpu_model_res {
	struct gpu_model_resource pub;
	struct wl_list link;        /* gpu_model.res_buckets[] */
	struct wl_list attachments; /* gpu_model_attachment.res_link */
};

struct gpu_model_attachment {
	struct wl_list ctx_link;
	struct wl_list res_link;
	struct gpu_model_ctx *ctx;
	struct gpu_model_res *res;
};

struct gpu_model_held_fence {
	struct wl_list link;
	uint64_t cookie;
	uint32_t ring_idx;
	uint64_t fence_id;
	struct virtio_gpu_ctrl_hdr resp; /* OK_NODATA with the fence echo */
};

struct gpu_model {
	const struct gpu_model_capset_ops **capsets;
	uint32_t num_capsets;
	void *capset_data;
	const struct gpu_model_transport_ops *transport_ops;
	void *transport;

	uint32_t max_contexts, max_resources;
	uint32_t num_contexts, num_resources, num_held;
	uint64_t host_alloc_bytes; /* sum of the live resources' sizes with host_alloc */
	struct wl_list ctx_buckets[GPU_MODEL_CTX_BUCKETS];
	struct wl_list res_buckets[GPU_MODEL_RES_BUCKETS];

	/* The fence create_fence() is deciding about: a signal may complete it. */
	struct gpu_model_held_fence *deciding;
};

/* One command being processed. */
struct gpu_model_cmd {
	const uint8_t *bytes;
	size_t size;
	struct virtio_gpu_ctrl_hdr hdr;
	uint64_t cookie;
	struct gpu_model_backing backing; /* from the transport, or fd -1 / addr NULL */
	bool backing_taken;               /* moved into a resource */
	const char *why;                  /* reason of an error response, for the log */
	bool why_logged;                  /* the context logged it: debug level here */
};

/* device.c */
/** Build a response header: echoes ctx_id and, when fenced, the fence fields. */
void gpu_model_resp_hdr(const struct virtio_gpu_ctrl_hdr *req, uint32_t type,
			struct virtio_gpu_ctrl_hdr *out);
void gpu_model_respond(struct gpu_model *dev, uint64_t cookie, const void *resp, size_t size,
		       int fd);
void gpu_model_backing_release(struct gpu_model_backing *backing);
struct gpu_model_ctx *gpu_model_find_ctx(struct gpu_model *dev, uint32_t ctx_id);
struct gpu_model_res *gpu_model_find_res(struct gpu_model *dev, uint32_t res_id);

/* context.c: contexts, SUBMIT_3D and fences */
uint32_t gpu_model_ctx_create(struct gpu_model *dev, struct gpu_model_cmd *cmd);
uint32_t gpu_model_ctx_destroy_cmd(struct gpu_model *dev, struct gpu_model_cmd *cmd);
uint32_t gpu_model_submit_3d(struct gpu_model *dev, struct gpu_model_cmd *cmd);
/** Destroy a context; with `complete_fences`, held responses are sent first. */
void gpu_model_ctx_free(struct gpu_model *dev, struct gpu_model_ctx *ctx, bool complete_fences);

/* resource.c: blob resources, attachments, mapping */
uint32_t gpu_model_create_blob(struct gpu_model *dev, struct gpu_model_cmd *cmd);
uint32_t gpu_model_unref(struct gpu_model *dev, struct gpu_model_cmd *cmd);
uint32_t gpu_model_attach(struct gpu_model *dev, struct gpu_model_cmd *cmd);
uint32_t gpu_model_detach(struct gpu_model *dev, struct gpu_model_cmd *cmd);
uint32_t gpu_model_map_blob(struct gpu_model *dev, struct gpu_model_cmd *cmd);
uint32_t gpu_model_unmap_blob(struct gpu_model *dev, struct gpu_model_cmd *cmd);
void gpu_model_res_free(struct gpu_model *dev, struct gpu_model_res *res);
void gpu_model_attachment_free(struct gpu_model_attachment *att);

#endif
