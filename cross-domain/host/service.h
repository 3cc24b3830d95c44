/* SPDX-License-Identifier: MIT */
/*
 * Cross-domain (virtio-gpu capset 5), host side: the boundary of
 * cross-domain/host/, the service vsomm-host plugs into its device model
 * (virtgpu/device.h) as the capset-5 context type.  One compositor connection per
 * context, an item table, pipes both ways, per-context limits.
 *
 * Only the host (vsomm-host) includes this; the guest side is
 * cross-domain/guest/channel.h.  What both sides share is the wire format
 * (cross-domain/protocol.h) and the image layouts (cross-domain/image.h).
 */
#ifndef XDOMAIN_HOST_SERVICE_H
#define XDOMAIN_HOST_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wl_event_loop;
struct gpu_model_capset_ops;

/**
 * Limits per context and per guest connection (one device model: a socket
 * connection or a vhost-user front-end); figures and reasons in docs/security.md.
 * A blob allocation past max_blob_bytes or max_connection_blob_bytes fails alone
 * (RESOURCE_CREATE_BLOB answers ERR_OUT_OF_MEMORY); a context past one of the
 * others, which have no per-request error, is torn down alone.
 */
struct xdomain_service_limits {
	uint64_t max_blob_bytes;   /* HOST3D memory of one context */
	uint32_t max_items;        /* item table entries */
	uint32_t max_pipes;        /* read + write pipes */
	uint64_t max_queued_bytes; /* bytes waiting for the compositor */
	uint32_t max_contexts;     /* contexts of one device (guest connection) */

	/* HOST3D memory of one guest connection, all its contexts together */
	uint64_t max_connection_blob_bytes;
};

/**
 * Set one limit from "NAME=VALUE" (NAME: blob-bytes, items, pipes, queued-bytes,
 * contexts, connection-blob-bytes; VALUE a number, 0 for the default).  False if
 * either is wrong.
 */
bool xdomain_service_limits_parse(struct xdomain_service_limits *limits, const char *spec);
/**
 * Read VSOMM_HOST_LIMIT_BLOB_BYTES, _ITEMS, _PIPES, _QUEUED_BYTES, _CONTEXTS,
 * _CONNECTION_BLOB_BYTES (unset ones are left alone).  False (with a log line)
 * if one is not a number.
 */
bool xdomain_service_limits_from_env(struct xdomain_service_limits *limits);

/**
 * The limits in force, into `buf`: "blob-bytes=N, items=N, ..." (every NAME
 * of xdomain_service_limits_parse), " (default)" after those left at 0.
 */
void xdomain_service_limits_format(const struct xdomain_service_limits *limits, char *buf,
				   size_t size);

struct xdomain_service_config {
	struct wl_event_loop *loop;
	/** Absolute path of the compositor's socket, for each context's connection. */
	const char *compositor_path;
	struct xdomain_service_limits limits; /* zeros: defaults */
	bool trace;                           /* log every command and fd translation */
	/**
	 * Behave as rutabaga's cross-domain where vsomm-host is more lenient
	 * (vsomm-host --strict; docs/compatibility.md, "Peers"), so that a guest
	 * that relies on the leniency fails here too: a SEND naming a GUEST blob
	 * fails as a command (the context lives on); a fence on a ring above 1,
	 * and a ring-1 fence of a context without a channel (before INIT), are
	 * never signalled; CTX_DESTROY signals no held fence.
	 */
	bool strict;
};

/**
 * The capset-5 context type: pass it in gpu_model_config.capsets with a
 * `struct xdomain_service_config *` as capset_data (it must outlive every device).
 */
extern const struct gpu_model_capset_ops xdomain_service_capset;

/** Live service contexts in this process (for fd/leak accounting in tests). */
size_t xdomain_service_live_contexts(void);

#endif
