/* SPDX-License-Identifier: MIT */
/*
 * Internals of the socket transport's guest end (virtgpu/socket/guest*.c): the
 * socket backend of the guest device interface, grouped by defining file.
 *
 * `struct sock_guest` embeds the guest device base (virtgpu-private.h)
 * first; one connection to vsomm-host is one DRM file: one context, its rings,
 * its handles.
 */
#ifndef VIRTGPU_SOCKET_GUEST_PRIVATE_H
#define VIRTGPU_SOCKET_GUEST_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "virtgpu/socket/frame-rx.h"
#include "virtgpu/socket/frame.h"
#include "virtgpu/socket/guest.h"
#include "virtgpu/virtgpu-private.h"

/** Synchronous calls and virtgpu_wait give up after this long (the kernel's 15 s). */
#define SOCK_GUEST_TIMEOUT_MS 15000
/** Rings a context may have (the kernel's MAX_RINGS). */
#define SOCK_GUEST_MAX_RINGS 64u
/** Capsets a HELLO may announce; more is a malformed hello. */
#define SOCK_GUEST_MAX_CAPSETS 64u

/** One handle of this device (the socket backend's GEM object). */
struct sock_guest_bo {
	uint32_t handle, res_id;
	uint32_t blob_mem, blob_flags;
	uint64_t size;
	uint32_t map_info; /* from RESOURCE_MAP_BLOB: cache type, XDOMAIN_MAP_ACCESS_* bits */
	int fd;       /* memory: the GUEST memfd, or HOST3D's fd from MAP_BLOB; -1 until known */
	void *map;    /* our mapping of fd, or NULL */
	dev_t st_dev; /* identity of fd, for import */
	ino_t st_ino;
	uint32_t refs;       /* create/import references (see the top of this file) */
	uint32_t fence_ring; /* last fenced submit that named this bo */
	uint64_t fence_id;   /* 0: none */
};

/** A fenced submit whose response frame has not arrived yet. */
struct sock_guest_fence {
	uint64_t tag, fence_id;
	uint32_t ring;
	bool signalled; /* a later fence on the same ring was completed (timeline) */
};

/** A response frame a synchronous call waits for. */
struct sock_guest_reply {
	uint64_t tag;
	bool done;
	uint8_t *buf; /* malloc'd payload */
	size_t size;
	int fd;
};

struct sock_guest {
	struct virtgpu base;
	int sock; /* the connection to vsomm-host */
	int evfd; /* eventfd: readable while `events` > 0 (fences seen during sync calls) */
	int epfd; /* the event fd callers poll: sock + evfd */
	int err;  /* 0, or the sticky error (-EPIPE) after EOF or a malformed frame */

	bool hello_seen;
	struct sock_frame_hello hello;
	bool capsets_known;
	struct {
		uint32_t id, max_version, max_size;
	} * capsets;
	uint32_t num_capsets;

	bool has_ctx;
	uint32_t num_rings, poll_mask;
	uint64_t ring_signalled[SOCK_GUEST_MAX_RINGS]; /* highest fence id completed per ring */

	uint64_t next_tag, next_fence;
	uint32_t next_res_id, next_handle;

	struct sock_guest_bo **bos; /* live handles */
	size_t num_bos, cap_bos;
	struct sock_guest_fence *fences;
	size_t num_fences, cap_fences;
	uint64_t events; /* fences of polled rings completed, not yet returned */

	struct sock_guest_reply *reply; /* the synchronous call in progress, or NULL */

	struct sock_frame_rx rx; /* frames read, not yet handled */
	bool in_read_events;     /* fences found now are returned, no kick needed */
	bool kicked;             /* the eventfd is readable */
};

/* ---- guest.c: framing, synchronous calls, fences ---- */

int sock_guest_send(struct sock_guest *s, uint32_t flags, uint64_t tag, const void *payload,
		    size_t size, int fd);
/** Send a command without a reply (F_NO_REPLY). */
int sock_guest_send_noreply(struct sock_guest *s, const void *payload, size_t size);
/**
 * Send a command and wait for its response; on success *reply holds it (free
 * reply->buf, close reply->fd).  Negative errno on transport failure only.
 */
int sock_guest_call(struct sock_guest *s, const void *cmd, size_t size, int fd,
		    struct sock_guest_reply *reply);
/**
 * Check a response: its type must be `type` and its size at least `min_size`.
 * Host errors (RESP_ERR_*) give -EINVAL/-ENOMEM; anything else is a malformed
 * response: the device fails with -EPIPE.
 */
int sock_guest_check_reply(struct sock_guest *s, const struct sock_guest_reply *reply,
			   uint32_t type, size_t min_size);
void sock_guest_reply_finish(struct sock_guest_reply *reply);
/** Read and process frames until `done()` or the deadline; -ETIMEDOUT, s->err. */
int sock_guest_wait_until(struct sock_guest *s, bool (*done)(struct sock_guest *s, const void *arg),
			  const void *arg);
/** Mark the device failed (EOF, malformed frame): every later call gives -EPIPE. */
void sock_guest_fail(struct sock_guest *s, const char *why);
bool sock_guest_fence_done(const struct sock_guest *s, uint32_t ring, uint64_t fence_id);

/* ---- guest-bo.c: blobs and handles ---- */

struct sock_guest_bo *sock_guest_bo_lookup(struct sock_guest *s, uint32_t handle);
void sock_guest_bo_free_all(struct sock_guest *s);
int sock_guest_blob_create(struct virtgpu *dev, uint32_t blob_mem, uint32_t blob_flags,
			   uint64_t size, uint64_t blob_id, struct virtgpu_bo *out);
int sock_guest_bo_map(struct virtgpu *dev, struct virtgpu_bo *bo);
int sock_guest_bo_export(struct virtgpu *dev, const struct virtgpu_bo *bo);
int sock_guest_bo_import(struct virtgpu *dev, int fd, struct virtgpu_bo *out);
void sock_guest_bo_close(struct virtgpu *dev, struct virtgpu_bo *bo);

#endif
