/* SPDX-License-Identifier: MIT */
/*
 * Internals of the vhost-user back-end (the .c files of virtgpu/vhost-user/),
 * grouped by defining file.
 *
 * Protocol facts (message numbers, payload layouts, feature bits) are those of
 * the vhost-user specification (QEMU docs/interop/vhost-user.rst) as a 6.1
 * virtio_uml front-end uses them; split virtqueue layouts are the virtio 1.x
 * spec's (<linux/virtio_ring.h>).
 */
#ifndef VIRTGPU_VHOST_USER_VHOST_USER_PRIVATE_H
#define VIRTGPU_VHOST_USER_VHOST_USER_PRIVATE_H

#include <assert.h>
#include <linux/virtio_ring.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtgpu/vhost-user/vhost-user.h"

/* Front-end requests. */
enum {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5,
	VU_SET_LOG_BASE = 6,
	VU_SET_LOG_FD = 7,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
	VU_SET_BACKEND_REQ_FD = 21,
	VU_GET_CONFIG = 24,
	VU_SET_CONFIG = 25,
	VU_VRING_KICK = 35,
	VU_GET_SHMEM_CONFIG = 44,
};

/* Back-end requests (on the back-end request channel). */
enum {
	VU_BACKEND_SHMEM_MAP = 9,
	VU_BACKEND_SHMEM_UNMAP = 10,
};

#define VU_FLAG_VERSION 0x1u
#define VU_FLAG_VERSION_MASK 0x3u
#define VU_FLAG_REPLY (1u << 2)
#define VU_FLAG_NEED_REPLY (1u << 3)

#define VU_F_PROTOCOL_FEATURES 30
#define VU_PROTOCOL_F_REPLY_ACK 3
#define VU_PROTOCOL_F_BACKEND_REQ 5
#define VU_PROTOCOL_F_CONFIG 9
/* VIRTIO shared memory regions: GET_SHMEM_CONFIG, SHMEM_MAP/UNMAP (tests/uml/patches) */
#define VU_PROTOCOL_F_SHMEM 20

#define VU_VRING_INDEX_MASK 0xffu
#define VU_VRING_NOFD_MASK (1u << 8)

/* virtio-gpu: control queue 0, cursor queue 1 */
#define VU_NUM_QUEUES 2u
#define VU_MAX_QUEUE_SIZE 1024u
#define VU_MAX_REGIONS 8u
/* How long a front-end may leave a message half sent or a back-end request unanswered. */
#define VU_TIMEOUT_MS 5000
/* Largest request payload we accept (GET_CONFIG of our small config space). */
#define VU_MAX_PAYLOAD 4096u
/* Largest virtio-gpu command we copy out of a descriptor chain. */
#define VU_MAX_COMMAND (1u << 20)

struct vu_header {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
};
static_assert(sizeof(struct vu_header) == 12, "vhost-user header");

struct vu_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc, used, avail, log;
};
static_assert(sizeof(struct vu_vring_addr) == 40, "vring addr");

struct vu_mem_region {
	uint64_t guest_addr;
	uint64_t size;
	uint64_t user_addr;
	uint64_t mmap_offset;
};
static_assert(sizeof(struct vu_mem_region) == 32, "mem region");

/* GET_SHMEM_CONFIG reply: region sizes indexed by shmid */
#define VU_MAX_SHMEM_REGIONS 256u
struct vu_shmem_config {
	uint32_t nregions;
	uint32_t padding;
	uint64_t memory_sizes[VU_MAX_SHMEM_REGIONS];
};
static_assert(sizeof(struct vu_shmem_config) == 2056, "shmem config");

/* SHMEM_MAP / SHMEM_UNMAP payload */
#define VU_SHMEM_MAP_RW 0x1u
struct vu_mmap {
	uint8_t shmid;
	uint8_t padding[7];
	uint64_t fd_offset;
	uint64_t shm_offset;
	uint64_t len;
	uint64_t flags;
};
static_assert(sizeof(struct vu_mmap) == 40, "mmap request");

/* virtio-gpu's host-visible memory region (VIRTIO_GPU_SHM_ID_HOST_VISIBLE) */
#define VU_SHM_ID_HOST_VISIBLE 1u
#define VU_SHM_SIZE (256ull << 20)

/** A blob placed in the host-visible region with SHMEM_MAP. */
struct vu_shm_map {
	uint32_t res_id;
	uint64_t offset, len;
};

struct vu_config_hdr {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
};

/** One guest memory region, mapped. */
struct vu_region {
	uint64_t guest_addr, user_addr, size;
	uint8_t *host; /* host address of guest_addr */
	void *map;     /* the mapping (covers mmap_offset + size) */
	size_t map_size;
};

/** A chain popped from a queue whose response has not been written yet. */
struct vu_pending {
	bool busy;
	uint32_t num_writable; /* descriptors the response goes to */
	struct {
		uint8_t *host;
		uint32_t len;
	} writable[8];
	/* a RESOURCE_MAP_BLOB: its memory goes into the region at map_offset */
	bool map_blob;
	uint32_t map_res;
	uint64_t map_offset;
	/*
	 * Back-end requests (SHMEM_MAP/UNMAP) this chain waits for: its response
	 * is held in `deferred` until the front-end has acked them (shm.c).
	 */
	uint32_t waits;
	bool map_failed;
	uint8_t *deferred;
	size_t deferred_size;
};

/** A back-end request sent and not acked yet (the channel answers in order). */
struct vu_backend_req {
	uint32_t request;
	uint32_t res_id;
	uint64_t offset, len;
	int64_t sent_ms;
	/* the chain waiting for it, if it is still that generation's */
	bool has_chain;
	uint32_t generation;
	uint16_t queue, head;
};

struct vu_queue {
	uint32_t num;              /* 0 until SET_VRING_NUM */
	struct vu_vring_addr addr; /* as the front-end gave it (user addresses) */
	bool has_addr;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;
	uint16_t used_idx;
	bool enabled;
	int kick_fd, call_fd, err_fd;
	struct wl_event_source *kick_source;
	struct vu_pending *pending; /* [num], indexed by head */
	/* inside vu_queue_process(): one call notification for the whole kick */
	bool processing, notify_due;
};

struct vu_conn {
	struct vu_backend *server;
	int fd;
	struct wl_event_source *source;
	/* the message being received (vhost-user.c): resumed when readable */
	uint8_t rx[sizeof(struct vu_header) + VU_MAX_PAYLOAD];
	size_t rx_len;
	int rx_fds[VU_MAX_REGIONS];
	size_t rx_nfds;
	int64_t rx_since;              /* when its first byte came */
	struct wl_event_source *timer; /* VU_TIMEOUT_MS for a message or a reply */
	struct gpu_model *dev;
	uint64_t features, protocol_features;
	struct vu_region regions[VU_MAX_REGIONS];
	uint32_t num_regions;
	struct vu_queue queues[VU_NUM_QUEUES];
	int backend_req_fd;
	uint8_t *cmd; /* the command being copied out of a chain */
	size_t cmd_cap;
	uint32_t generation; /* bumped by SET_MEM_TABLE / vring resets: stale cookies */
	bool dead;
	/* host-visible region (shm.c) and the back-end request channel's replies */
	struct vu_shm_map *shm_maps;
	size_t num_shm_maps, cap_shm_maps;
	struct wl_event_source *backend_req_source;
	struct vu_backend_req *reqs; /* sent, oldest first */
	size_t num_reqs, cap_reqs;
	uint8_t reply[sizeof(struct vu_header) + sizeof(uint64_t)];
	size_t reply_len;
};

struct vu_backend {
	struct wl_event_loop *loop;
	int listen_fd;
	struct wl_event_source *listen_source;
	const struct gpu_model_capset_ops **capsets; /* NULL-terminated, maybe filtered */
	void *capset_data;
	uint32_t num_capsets;
	uint64_t features;    /* virtio-gpu feature bits offered */
	struct vu_conn *conn; /* one front-end at a time */
	struct wl_event_source *idle;
};

/* vhost-user.c: the connection */
/** Serve a front-end on connected socket `fd` (taken in every case). NULL on failure. */
struct vu_conn *vu_conn_create(struct vu_backend *server, int fd);
/** Drop the front-end and its device model. NULL is fine. */
void vu_conn_destroy(struct vu_conn *conn);
/** CLOCK_MONOTONIC in milliseconds. */
int64_t vu_now_ms(void);
/** (Re)arm the connection's timer for its oldest wait (a message or a reply). */
void vu_conn_arm_timer(struct vu_conn *conn);

/* vring.c: guest memory and virtqueues */
/** Host address of [gpa, gpa + len) if it lies inside one region, else NULL. */
uint8_t *vu_gpa(struct vu_conn *conn, uint64_t gpa, uint64_t len);
/** The same for a front-end virtual address (SET_VRING_ADDR). */
uint8_t *vu_uva(struct vu_conn *conn, uint64_t uva, uint64_t len);
void vu_regions_unmap(struct vu_conn *conn);
/** Translate the ring addresses of `q` through the current regions. */
bool vu_queue_map(struct vu_conn *conn, struct vu_queue *q);
/** Process every available chain of queue `index`; false: the guest broke the ring. */
bool vu_queue_process(struct vu_conn *conn, uint32_t index);
/** Free a queue's chains in flight (and their held responses). */
void vu_queue_free_pending(struct vu_queue *q);
/** Drop a queue's state (fds, pending chains); leaves it unconfigured. */
void vu_queue_reset(struct vu_conn *conn, struct vu_queue *q);
/** The device's complete() hook. */
void vu_complete(void *transport, uint64_t cookie, const void *resp, size_t size, int fd);
/** A chain's back-end request was acked: its held response goes out if nothing else is awaited. */
void vu_chain_acked(struct vu_conn *conn, uint32_t queue, uint32_t head, bool failed);
/** Forget every chain in flight (their memory is gone): SET_MEM_TABLE. */
void vu_queues_forget(struct vu_conn *conn);

/* shm.c: the host-visible region (VU_PROTOCOL_F_SHMEM) */
/** The region is in use: SHMEM negotiated with what it needs. */
bool vu_shm_enabled(const struct vu_conn *conn);
/** Fill the GET_SHMEM_CONFIG reply. */
void vu_shm_config(const struct vu_conn *conn, struct vu_shmem_config *out);
/**
 * Before the device model sees control command `cmd` of chain `head` of queue 0:
 * note a MAP_BLOB in `p`; take a mapped resource out of the region on
 * UNMAP_BLOB and RESOURCE_UNREF (the chain then waits for SHMEM_UNMAP's ack).
 */
void vu_shm_command(struct vu_conn *conn, const uint8_t *cmd, size_t size, uint16_t head,
		    struct vu_pending *p);
/**
 * A MAP_BLOB (chain `head` of queue 0) answered `resp` with memory `fd`: place
 * it in the region.  1: SHMEM_MAP sent, the chain waits for its ack; 0: nothing
 * to map (the device's answer goes as it is); -1: answer an error.
 */
int vu_shm_map_blob(struct vu_conn *conn, uint16_t head, const struct vu_pending *p,
		    const void *resp, size_t size, int fd);
/** The back-end request channel was set up (`conn->backend_req_fd`): listen for replies. */
bool vu_shm_channel_init(struct vu_conn *conn);
/** When the oldest unacked back-end request was sent, or -1. */
int64_t vu_shm_oldest_request(const struct vu_conn *conn);
/** Forget every mapping and request in flight, close the channel. */
void vu_shm_reset(struct vu_conn *conn);

#endif
