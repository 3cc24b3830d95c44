/* SPDX-License-Identifier: MIT */
/*
 * A scripted fake vsomm-host for the guest tests: a thread that listens on a unix
 * socket, speaks the socket framing (virtgpu/socket/frame.h), answers capset,
 * context and blob commands, and plays the cross-domain rings: a POLL's fence is
 * held until the test queues a message, which the thread writes into the channel
 * ring (a GUEST blob: the memfd it got with RESOURCE_CREATE_BLOB) before it
 * completes the fence.  Everything it sees is recorded for the test to check.
 *
 * It is deliberately independent of cross-domain/wire.c: it parses by hand.
 */
#ifndef TESTS_LIB_FAKE_VSOMM_HOST_H
#define TESTS_LIB_FAKE_VSOMM_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cross-domain/protocol.h"

#define FH_MAX 64
#define FH_MAX_PAYLOAD 8192

struct fh_send {
	uint32_t frame_flags, ctrl_flags, cmd_size;
	uint32_t num_ids, ids[XDOMAIN_MAX_IDENTIFIERS], types[XDOMAIN_MAX_IDENTIFIERS];
	size_t size;
	uint8_t data[XDOMAIN_MAX_SEND_BYTES];
};

struct fh_write {
	uint32_t id, hang_up;
	size_t size;
	uint8_t data[XDOMAIN_MAX_WRITE_BYTES];
};

struct fh_message {
	uint8_t bytes[XDOMAIN_RING_SIZE];
	size_t size; /* bytes written at offset 0 of the channel ring */
};

enum fh_fault {
	FH_FAULT_NONE,
	FH_FAULT_BAD_HELLO,   /* HELLO with version 99 */
	FH_FAULT_GARBAGE,     /* on the next kick: a response with an unknown tag */
	FH_FAULT_CLOSE,       /* on the next kick: close the connection */
	FH_FAULT_EMPTY_FENCE, /* complete the next POLL without writing the ring */
	FH_FAULT_STRICT,      /* HELLO without GUEST_BLOB_SEND, as vsomm-host --strict */
};

struct fake_host {
	char dir[256], path[300];
	pthread_t thread;
	int listen_fd, conn, wake[2];
	pthread_mutex_t lock;
	enum fh_fault fault;
	bool stop;

	/* resources: index = resource id */
	struct {
		bool live, attached;
		uint32_t blob_mem;
		uint64_t size;
		int fd;
		uint8_t *map;
	} res[FH_MAX];
	/* HOST3D items: blob_id → memfd */
	struct {
		uint32_t id;
		int fd;
		uint64_t size;
	} items[FH_MAX];
	size_t num_items;
	uint32_t next_item;

	/* what was seen (under lock) */
	uint32_t context_init;
	bool init_seen;
	uint8_t init[32];
	size_t init_submit_size;
	uint32_t init_frame_flags, init_ctrl_flags;
	uint32_t query_ring_id, channel_ring_id;
	int polls_total, polls_held, max_polls_held, poll_errors;
	int image_queries;
	uint32_t read_pipe_counter; /* the host's own prediction (§4.6) */
	int read_pipe_mismatches;
	struct fh_send sends[FH_MAX];
	int num_sends;
	struct fh_write writes[FH_MAX];
	int num_writes;
	int unrefs, detaches;

	uint64_t poll_tag, poll_fence;
	struct fh_message queue[16];
	int queue_len;
};

/** Start the thread, listening on DIR/vsomm-host.sock in a new temporary DIR. */
void fake_host_start(struct fake_host *fh, enum fh_fault fault);
/** Stop the thread, close every fd it holds, remove the socket and DIR. */
void fake_host_stop(struct fake_host *fh);

/** Queue a message for the channel ring (delivered on the next POLL). */
void fake_host_queue_receive(struct fake_host *fh, const void *bytes, size_t size,
			     const uint32_t *ids, const uint32_t *types, const uint32_t *sizes,
			     size_t num_ids);
void fake_host_queue_read(struct fake_host *fh, uint32_t id, const void *bytes, size_t size,
			  bool hang_up);
/** A HOST3D item of `size` bytes of `content` the guest may create a blob from. */
uint32_t fake_host_add_item(struct fake_host *fh, const void *content, size_t size);
/** Arm a fault for the next kick (FH_FAULT_GARBAGE, FH_FAULT_CLOSE). */
void fake_host_kick(struct fake_host *fh, enum fh_fault fault);

void fake_host_lock(struct fake_host *fh);
void fake_host_unlock(struct fake_host *fh);

#endif
