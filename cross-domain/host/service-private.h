/* SPDX-License-Identifier: MIT */
/*
 * Internals of the host-side cross-domain service (capset 5), shared by the
 * files of cross-domain/host/.  Prototypes are grouped by the file that defines
 * them.
 *
 * One context = one guest Wayland connection = one compositor connection.
 * Everything runs on the single event loop of vsomm-host: nothing here blocks on
 * the compositor or on the guest (docs/cross-domain.md §4.9, architecture §3).
 */
#ifndef XDOMAIN_HOST_SERVICE_PRIVATE_H
#define XDOMAIN_HOST_SERVICE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <wayland-util.h>

#include "cross-domain/host/service.h"
#include "cross-domain/protocol.h"
#include "util/fdpass.h"

struct wl_event_source;
struct gpu_model;
struct gpu_model_resource;

/*
 * Blob memory (docs/security.md, "Limits"): one sommelier context holds every
 * window of a guest, each buffer in a blob the size of its client's whole shm
 * pool.  A 3840x2160 ARGB buffer is 31.6 MiB; four such windows double-buffered
 * are 253 MiB, twice that while pools are replaced on a resize: 1 GiB per
 * context leaves room for that plus cursors, popups and a fifth window.  A guest
 * connection gets two such contexts' worth (sommelier for Wayland and one for
 * X11, or vsomm's context per client), however many contexts it opens.
 */
#define SERVICE_DEFAULT_MAX_BLOB_BYTES (1ull << 30)
#define SERVICE_DEFAULT_MAX_CONNECTION_BLOB_BYTES (2ull << 30)
#define SERVICE_DEFAULT_MAX_ITEMS 4096u
#define SERVICE_DEFAULT_MAX_PIPES 64u
#define SERVICE_DEFAULT_MAX_QUEUED_BYTES (64ull << 20)
/* The device model's own cap (DEVICE_DEFAULT_MAX_CONTEXTS) still applies above it. */
#define SERVICE_DEFAULT_MAX_CONTEXTS 64u
/* Ring-1 fences held at once: a correct guest keeps one POLL outstanding (§3.4). */
#define SERVICE_MAX_HELD_FENCES 16u
/* First host item id: one counter from 2, as rutabaga ≥0.1.76 (§2.5). */
#define SERVICE_FIRST_ITEM_ID 2u

enum xdomain_service_item_type {
	SERVICE_ITEM_IMAGE,      /* image requirements: persistent, create_blob allocates */
	SERVICE_ITEM_BLOB,       /* memory fd from the compositor: removed on create_blob */
	SERVICE_ITEM_WRITE_PIPE, /* write end of a pipe from the compositor */
};

struct xdomain_service_item {
	struct wl_list link; /* xdomain_service_ctx.items */
	struct xdomain_service_ctx *ctx;
	uint32_t id;
	enum xdomain_service_item_type type;
	int fd;        /* BLOB, WRITE_PIPE; -1 otherwise */
	uint64_t size; /* BLOB: file size at receive time */
	/* IMAGE */
	struct xdomain_get_image_requirements request;
	struct xdomain_image_requirements reqs;
	/* WRITE_PIPE */
	struct wl_event_source *source; /* only while `queue` is not empty */
	struct fdpass_queue queue;      /* bytes the pipe did not take yet */
	bool hang_up;                   /* close once the queue drains */
	bool broken;                    /* the reader went away: discard further data */
};

struct xdomain_service_read_pipe {
	struct wl_list link; /* xdomain_service_ctx.read_pipes */
	struct xdomain_service_ctx *ctx;
	uint32_t id;
	int fd;                         /* read end, non-blocking */
	struct wl_event_source *source; /* only while a ring-1 fence is held */
};

/** A blob this context allocated, for the max_blob_bytes limit. */
struct xdomain_service_blob {
	struct wl_list link;
	uint32_t res_id;
	const struct gpu_model_resource *res; /* identity only: may be freed */
	void *addr;                           /* its mapping, also for identity */
	uint64_t size;
};

struct xdomain_service_ctx {
	struct wl_list link; /* every live context of the process (host.c) */
	struct gpu_model *dev;
	const struct xdomain_service_config *config;
	struct xdomain_service_limits limits;
	uint32_t ctx_id;
	char name[64];
	bool trace;
	bool dead; /* a malformed command ended it: errors and immediate fences */

	bool initialized;
	uint32_t query_ring_id, channel_ring_id, channel_type;

	/* compositor connection (channel type WAYLAND) */
	int conn_fd;
	struct wl_event_source *conn_source;
	uint32_t conn_mask;
	bool conn_idle;                /* readable with no POLL outstanding: input unwatched */
	bool conn_hup;                 /* a hangup came under an empty mask */
	bool conn_eof;                 /* gone: every ring-1 fence gets an empty RECEIVE */
	bool conn_write_broken;        /* sendmsg failed for good: outgoing data is dropped */
	struct fdpass_queue out_queue; /* bytes + fds the compositor did not take yet */
	uint64_t queued_bytes;         /* compositor queue + write-pipe queues */

	struct wl_list items; /* struct xdomain_service_item */
	uint32_t num_items;
	uint32_t next_item_id;

	struct wl_list read_pipes; /* struct xdomain_service_read_pipe */
	uint32_t num_pipes;        /* read + write pipes */
	uint32_t read_pipe_id;     /* last read-pipe id (§4.6) */

	uint64_t fences[SERVICE_MAX_HELD_FENCES]; /* held ring-1 fences, oldest first */
	size_t num_fences;

	struct wl_list blobs; /* struct xdomain_service_blob */

	uint64_t blobs_refused;  /* allocations refused at a limit, for the log */
	uint64_t images_refused; /* GET_IMAGE_REQUIREMENTS past max_items, likewise */
};

/* host.c */
/** End the context for a guest error: one log line, teardown, fences signalled. */
void xdomain_service_ctx_fail(struct xdomain_service_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** The guest released the channel ring while the context lives: end it, logged as info. */
void xdomain_service_ctx_ring_gone(struct xdomain_service_ctx *ctx);
/** Close the connection, pipes, items and queues (no logging, no fences). */
void xdomain_service_ctx_release(struct xdomain_service_ctx *ctx);
/**
 * The host mapping of a ring the guest named, if it is still attached to this
 * context with at least `min_size` bytes; NULL otherwise.
 */
void *xdomain_service_ring(struct xdomain_service_ctx *ctx, uint32_t res_id, size_t min_size);
/** Write `size` bytes at offset 0 of the channel ring; false if it is gone. */
bool xdomain_service_write_channel_ring(struct xdomain_service_ctx *ctx, const void *data,
					size_t size);
/**
 * Complete the oldest held ring-1 fence after one message was written.  It is the
 * last thing a caller does with `ctx`: the device may react to the signal.
 */
void xdomain_service_signal_one(struct xdomain_service_ctx *ctx);
/** Enable or disable the compositor and read-pipe sources after a fence change. */
void xdomain_service_update_sources(struct xdomain_service_ctx *ctx);
/** Write an empty RECEIVE (host EOF or teardown) to the channel ring. */
bool xdomain_service_write_empty_receive(struct xdomain_service_ctx *ctx);

/* items.c */
/** Add an item with the next id; NULL when max_items is reached or on ENOMEM. */
struct xdomain_service_item *xdomain_service_item_add(struct xdomain_service_ctx *ctx,
						      enum xdomain_service_item_type type);
struct xdomain_service_item *xdomain_service_item_find(struct xdomain_service_ctx *ctx,
						       uint32_t id);
void xdomain_service_item_remove(struct xdomain_service_item *item);
bool xdomain_service_image_requirements(struct xdomain_service_ctx *ctx,
					const struct xdomain_get_image_requirements *req);
int xdomain_service_create_blob(struct xdomain_service_ctx *ctx, uint64_t blob_id,
				struct gpu_model_resource *res);
void xdomain_service_blobs_release(struct xdomain_service_ctx *ctx);

/* pipes.c */
/** A read pipe for a SEND; *write_end is what goes to the compositor. */
bool xdomain_service_read_pipe_create(struct xdomain_service_ctx *ctx, uint32_t id, int *write_end);
void xdomain_service_read_pipe_destroy(struct xdomain_service_read_pipe *pipe);
void xdomain_service_read_pipe_update(struct xdomain_service_read_pipe *pipe, bool armed);
/** WRITE command: payload to a write-pipe item. */
bool xdomain_service_pipe_write(struct xdomain_service_ctx *ctx,
				const struct xdomain_read_write *cmd, const uint8_t *payload,
				size_t size);
/** Drop a write pipe's queue and source (used by xdomain_service_item_remove). */
void xdomain_service_write_pipe_release(struct xdomain_service_item *item);
/** Empty a queue (closing its fds) and take its bytes off queued_bytes. */
void xdomain_service_queue_drop(struct xdomain_service_ctx *ctx, struct fdpass_queue *queue);

/* compositor.c */
/** Connect to config->compositor_path; on failure the context sees EOF. */
void xdomain_service_compositor_connect(struct xdomain_service_ctx *ctx);
void xdomain_service_compositor_close(struct xdomain_service_ctx *ctx);
void xdomain_service_compositor_update(struct xdomain_service_ctx *ctx);
/**
 * SEND: 0; -EINVAL when this command alone fails and the context lives on (a
 * GUEST blob under config->strict, as rutabaga refuses it); -EPIPE when the
 * context was ended.
 */
int xdomain_service_send(struct xdomain_service_ctx *ctx, const struct xdomain_cmd_view *view);

/* limits.c */
/** Every limit left at 0 gets its SERVICE_DEFAULT_*. */
void xdomain_service_limits_apply_defaults(struct xdomain_service_limits *limits);

#endif
