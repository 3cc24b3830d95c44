/* SPDX-License-Identifier: MIT */
/*
 * Host side of virtio-gpu: the device model, which its transports feed (the socket
 * transport's host end in virtgpu/socket/server.h, the vhost-user back-end in
 * virtgpu/vhost-user/vhost-user.h).
 *
 * The device model takes virtio-gpu control commands (the structs of
 * <linux/virtio_gpu.h>, same semantics, same fences) from a transport and answers
 * them through the transport's complete() hook, at once or — for fences a context
 * holds back, such as the cross-domain POLL on ring 1 — later.  It implements only
 * what cross-domain needs: capsets, contexts, blob resources, SUBMIT_3D, fences and
 * blob mapping.  The context types themselves are plugged in as capset ops
 * (cross-domain/ provides capset 5).
 *
 * Every byte from the transport is guest input: every size is checked before use.
 */
#ifndef VIRTGPU_DEVICE_DEVICE_H
#define VIRTGPU_DEVICE_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gpu_model;

/** Device feature bits a transport reports (virtio feature numbers, §5.11). */
#define GPU_MODEL_FEATURES \
	((1ull << 0 /* VIRGL */) | (1ull << 3 /* RESOURCE_BLOB */) | (1ull << 4 /* CONTEXT_INIT */))

/** Memory behind a resource, as the host sees it. */
struct gpu_model_backing {
	void *addr; /* host mapping, or NULL */
	size_t size;
	int fd;     /* the memory's fd, or -1 */
	bool owned; /* the device munmaps addr and closes fd when the resource goes */
};

struct gpu_model_resource {
	uint32_t id;
	uint32_t blob_mem;
	uint32_t blob_flags;
	uint32_t map_info; /* XDOMAIN_MAP_* of HOST3D blobs */
	uint64_t size;
	struct gpu_model_backing backing;
	/*
	 * HOST3D: the context allocated this memory for the guest (set by
	 * create_blob); its size counts in gpu_model_host_alloc_bytes() until the
	 * resource goes, whatever became of the context.
	 */
	bool host_alloc;
};

/** A context type, keyed by capset id (cross-domain/ provides capset 5). */
struct gpu_model_capset_ops {
	uint32_t capset_id;
	uint32_t max_version;
	uint32_t max_size;
	/** Fill the capset payload (max_size bytes). */
	void (*get_capset)(void *capset_data, void *buf);
	/** A new context; NULL on failure (CTX_CREATE then answers ERR_UNSPEC). */
	void *(*ctx_create)(void *capset_data, struct gpu_model *dev, uint32_t ctx_id,
			    const char *debug_name);
	/** Context end: free everything; do not signal fences (the device drops them). */
	void (*ctx_destroy)(void *ctx);
	/** SUBMIT_3D payload.  Negative: ERR_UNSPEC for this command. */
	int (*submit)(void *ctx, const void *cmd, size_t size);
	/**
	 * A fence on `ring_idx` after a submit.  Return true when it is signalled now;
	 * false when the context keeps it and later calls gpu_model_fence_signal().
	 */
	bool (*create_fence)(void *ctx, uint32_t ring_idx, uint64_t fence_id);
	/**
	 * RESOURCE_CREATE_BLOB of HOST3D memory named by `blob_id` on this context:
	 * fill `res->backing` (an fd and its mapping), `res->map_info` and
	 * `res->host_alloc`.  Negative errno on failure: -ENOSPC (over a memory limit)
	 * and -ENOMEM answer ERR_OUT_OF_MEMORY, anything else ERR_INVALID_PARAMETER;
	 * either way only that command fails.
	 */
	int (*create_blob)(void *ctx, uint64_t blob_id, struct gpu_model_resource *res);
	/**
	 * True: behave as rutabaga where the device model is more lenient
	 * (docs/compatibility.md, "Peers"; vsomm-host --strict): CTX_DESTROY drops
	 * the context's held fences instead of answering them, and the socket
	 * transport's hello does not offer GUEST blobs in SEND.  NULL: lenient.
	 */
	bool (*strict)(void *capset_data);
};

/** What the device needs of its transport. */
struct gpu_model_transport_ops {
	/**
	 * The response to the command submitted with `cookie`.  `fd` (or -1) is a
	 * memory fd the response hands over (RESOURCE_MAP_BLOB on the socket
	 * transport); the transport dups what it keeps.
	 */
	void (*complete)(void *transport, uint64_t cookie, const void *resp, size_t size, int fd);
};

struct gpu_model_config {
	const struct gpu_model_capset_ops *const *capsets; /* NULL-terminated */
	void *capset_data;                                 /* passed to every capset op */
	const struct gpu_model_transport_ops *transport_ops;
	void *transport;
	/** Limits for one guest: contexts and resources (0: built-in default). */
	uint32_t max_contexts;
	uint32_t max_resources;
};

struct gpu_model *gpu_model_create(const struct gpu_model_config *config);
/** Destroys every context and resource; responses still held are dropped. */
void gpu_model_destroy(struct gpu_model *dev);

/**
 * Process one control command of `size` bytes.  `backing` (may be NULL) is the
 * memory the transport resolved for RESOURCE_CREATE_BLOB of GUEST memory; the
 * device takes it over in every case (it releases an owned backing on failure).
 * The response is given through transport_ops->complete with `cookie`, maybe
 * before this returns.
 */
void gpu_model_process(struct gpu_model *dev, const void *cmd, size_t size,
		       struct gpu_model_backing *backing, uint64_t cookie);

/** Number of capsets (for the transport's config space / hello). */
uint32_t gpu_model_num_capsets(const struct gpu_model *dev);
/** Whether a context type is strict (capset op `strict`): for the transport's hello. */
bool gpu_model_strict(const struct gpu_model *dev);

/**
 * A resource attached to context `ctx_id`, or NULL.  For context implementations:
 * rings and blobs named by a guest must be looked up here, never trusted.
 */
struct gpu_model_resource *gpu_model_attached_resource(struct gpu_model *dev, uint32_t ctx_id,
						       uint32_t res_id);
/** The live resource `res_id`, attached or not, or NULL (for memory accounting). */
struct gpu_model_resource *gpu_model_lookup_resource(struct gpu_model *dev, uint32_t res_id);
/**
 * Bytes of the live resources whose memory a context allocated (host_alloc): what
 * this guest connection holds of host memory, for a per-connection limit.
 */
uint64_t gpu_model_host_alloc_bytes(const struct gpu_model *dev);

/**
 * Signal a fence a context kept: completes `fence_id` and every earlier fence on
 * the same (ctx, ring) timeline.
 */
void gpu_model_fence_signal(struct gpu_model *dev, uint32_t ctx_id, uint32_t ring_idx,
			    uint64_t fence_id);

#endif
