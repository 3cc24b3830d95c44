/* SPDX-License-Identifier: MIT */
/*
 * Test harness for the host cross-domain context: the real device model
 * (virtgpu/device/device.h) with a recording fake transport, raw virtio-gpu commands,
 * and a fake compositor (a listening Unix socket in a temporary directory).
 */
#ifndef TESTS_HOST_HARNESS_H
#define TESTS_HOST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

#include "cross-domain/host/service.h"
#include "tests/lib/check.h"
#include "tests/lib/fds.h"
#include "virtgpu/device/device.h"

#define RESP_PENDING 0u /* no response yet (a held fence) */
#define MAX_RESPONSES 8192u

struct response {
	bool done;
	uint32_t type;
	uint32_t flags;
	uint64_t fence_id;
	uint32_t ring_idx;
	uint32_t map_info;
	uint8_t data[64]; /* start of the body after the 24-byte header */
	int fd;           /* a dup of the fd handed over, or -1 */
};

struct harness {
	struct wl_event_loop *loop;
	struct xdomain_service_config config;
	struct gpu_model *dev;
	char dir[64];
	char compositor_path[128];
	int listen_fd;
	uint64_t next_cookie;
	struct response resp[MAX_RESPONSES];
};

/** A guest context with its two rings and its compositor connection. */
struct gctx {
	uint32_t id;
	uint32_t query_ring, channel_ring; /* resource ids */
	uint8_t *query, *channel;          /* ring memory (owned by the device) */
	int comp;                          /* compositor side of its connection, or -1 */
	uint64_t next_fence;
	uint32_t next_pipe_id;
};

void harness_init(struct harness *h);
void harness_finish(struct harness *h);
/** Process one command; returns the cookie. */
uint64_t harness_cmd(struct harness *h, const void *cmd, size_t size,
		     struct gpu_model_backing *backing);
struct response *harness_resp(struct harness *h, uint64_t cookie);
/** Dispatch the event loop until the response of `cookie` arrives (5 s max). */
bool harness_wait(struct harness *h, uint64_t cookie);
void harness_dispatch(struct harness *h, int timeout_ms);

uint32_t ctx_create(struct harness *h, uint32_t ctx_id);
uint32_t ctx_destroy(struct harness *h, uint32_t ctx_id);
/** A GUEST blob of `size` bytes from a fresh memfd; *mem is its mapping. */
uint32_t guest_blob(struct harness *h, uint32_t res_id, size_t size, uint8_t **mem);
uint32_t guest_blob_fd(struct harness *h, uint32_t res_id, int memfd, size_t size,
		       uint8_t **mem);
uint32_t attach(struct harness *h, uint32_t ctx_id, uint32_t res_id);
uint32_t detach(struct harness *h, uint32_t ctx_id, uint32_t res_id);
/** HOST3D blob from a cross-domain blob id. */
uint32_t host_blob(struct harness *h, uint32_t ctx_id, uint32_t res_id, uint64_t blob_id,
		   uint64_t size);
/** RESOURCE_MAP_BLOB: returns the response (fd and map_info). */
struct response *map_blob(struct harness *h, uint32_t res_id);
uint32_t unref(struct harness *h, uint32_t res_id);
/**
 * SUBMIT_3D; ring < 0: unfenced.  Returns the cookie; the response may be
 * pending (a held ring-1 fence).
 */
uint64_t submit(struct harness *h, uint32_t ctx_id, const void *bytes, size_t size, int ring,
		uint64_t fence_id);
/** Submit and return the response type (must be immediate). */
uint32_t submit_now(struct harness *h, uint32_t ctx_id, const void *bytes, size_t size);

/** Context + rings + INIT (WAYLAND); accepts the compositor connection. */
void gctx_init(struct harness *h, struct gctx *g, uint32_t ctx_id);
/** INIT command bytes. */
size_t make_init(uint8_t *buf, uint32_t query_ring, uint32_t channel_ring, uint32_t type);
/** A SEND: ids/types arrays of n entries, payload. */
size_t make_send(uint8_t *buf, size_t cap, const uint32_t *ids, const uint32_t *types, size_t n,
		 const void *payload, size_t size);
size_t make_write(uint8_t *buf, uint32_t id, uint32_t hang_up, const void *payload,
		  size_t size);
/** Submit a POLL on ring 1; returns the cookie (pending until data). */
uint64_t gctx_poll(struct harness *h, struct gctx *g);
/** POLL and wait for the fence: false if it did not come. */
bool gctx_poll_wait(struct harness *h, struct gctx *g);
/** The next read-pipe id, as a guest predicts it. */
uint32_t gctx_pipe_id(struct gctx *g);

/** recvmsg on the fake compositor with up to 28 fds; returns bytes, -1 on error. */
ssize_t comp_recv(int fd, void *buf, size_t size, int *fds, size_t *nfds, int timeout_ms);
ssize_t comp_send(int fd, const void *buf, size_t size, const int *fds, size_t nfds);

#endif
