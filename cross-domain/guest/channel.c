/* SPDX-License-Identifier: MIT */
/*
 * The guest channel: one cross-domain context carrying one Wayland connection
 * (docs/cross-domain.md §3, §6 — the sequence sommelier uses, so the same code
 * runs on the kernel's virtio_gpu driver and against crosvm).
 *
 * Creation: GET_CAPS(5, 0, 16), CONTEXT_INIT(5, 2 rings, ring 1 polled), the
 * query and channel rings (GUEST + MAPPABLE, one page, mapped), INIT alone and
 * unfenced, then the first POLL on ring 1.  Each ring-1 fence means the host
 * wrote one RECEIVE or READ at offset 0 of the channel ring: copy it out, submit
 * the next POLL (exactly one is ever outstanding: §3.4), then act on the copy.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "cross-domain/guest/channel-private.h"
#include "util/log.h"

static int submit_poll(struct xdomain_channel *ch)
{
	struct xdomain_poll poll = {0};
	xdomain_header_init(&poll.hdr, XDOMAIN_CMD_POLL, sizeof(poll));
	/* Nothing but this POLL may let the host write the channel ring. */
	if (ch->poll_pending) {
		vsomm_log(VSOMM_LOG_ERROR, "channel %p: a second POLL was about to be sent",
			  (void *)ch);
		return -EALREADY;
	}
	int ret = virtgpu_submit(ch->dev, &poll, sizeof(poll), XDOMAIN_CHANNEL_RING, NULL, 0);
	if (ret == 0)
		ch->poll_pending = true;
	return ret;
}

void xdomain_channel_fail(struct xdomain_channel *ch, int err)
{
	if (ch->dead)
		return;
	ch->dead = true;
	if (ch->dev_source) {
		wl_event_source_remove(ch->dev_source);
		ch->dev_source = NULL;
	}
	if (err)
		vsomm_log(VSOMM_LOG_ERROR, "channel on %s: %s", virtgpu_describe(ch->dev),
			  strerror(-err));
	ch->listener->hangup(ch->data, err);
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* A BLOB identifier from the host → a mappable fd of its memory. */
static int blob_fd(struct xdomain_channel *ch, uint32_t id, uint32_t size)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t rounded = ((uint64_t)size + page - 1) / page * page;
	struct virtgpu_bo bo;
	int ret = virtgpu_blob_create(
		ch->dev, VIRTGPU_BLOB_MEM_HOST3D,
		VIRTGPU_BLOB_FLAG_USE_MAPPABLE | VIRTGPU_BLOB_FLAG_USE_SHAREABLE, rounded, id, &bo);
	if (ret < 0)
		return ret;
	int fd = virtgpu_bo_export(ch->dev, &bo);
	/* the exported fd keeps the memory; the handle is not needed */
	virtgpu_bo_close(ch->dev, &bo);
	return fd;
}

/* Turn RECEIVE identifiers into fds, in order.  On failure none is left open. */
static int receive_fds(struct xdomain_channel *ch, const struct xdomain_send_receive *sr, int *fds)
{
	uint32_t n = sr->num_identifiers; /* ≤ 28: checked by the decoder */
	for (uint32_t i = 0; i < n; i++)
		fds[i] = -1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t type = sr->identifier_types[i];
		int fd;
		if (type == XDOMAIN_ID_TYPE_VIRTGPU_BLOB && sr->identifier_sizes[i] == 0) {
			/*
			 * rutabaga Nov 2024 – 0.1.71 reported write pipes as BLOB with size 0
			 * (§4.5); a blob of 0 bytes means nothing else.
			 */
			vsomm_log(VSOMM_LOG_DEBUG, "BLOB %u of size 0 taken as a write pipe",
				  sr->identifiers[i]);
			type = XDOMAIN_ID_TYPE_WRITE_PIPE;
		}
		if (type == XDOMAIN_ID_TYPE_VIRTGPU_BLOB)
			fd = blob_fd(ch, sr->identifiers[i], sr->identifier_sizes[i]);
		else
			fd = xdomain_channel_write_pipe_create(ch, sr->identifiers[i]);
		if (fd < 0) {
			vsomm_log(VSOMM_LOG_ERROR, "RECEIVE: identifier %u (type %u): %s",
				  sr->identifiers[i], type, strerror(-fd));
			close_fds(fds, n);
			return fd;
		}
		fds[i] = fd;
		vsomm_log(VSOMM_LOG_TRACE, "channel: RECEIVE %s %u (%u bytes) -> fd %d",
			  type == XDOMAIN_ID_TYPE_VIRTGPU_BLOB ? "blob" : "write pipe",
			  sr->identifiers[i], sr->identifier_sizes[i], fd);
	}
	return 0;
}

static void handle_receive(struct xdomain_channel *ch, const struct xdomain_cmd_view *view)
{
	struct xdomain_send_receive sr;
	XDOMAIN_LOAD(sr, view);
	if (sr.num_identifiers == 0 && view->payload_size == 0) {
		/* §4.5: an empty RECEIVE is the host's EOF; polling on would spin */
		xdomain_channel_fail(ch, 0);
		return;
	}
	int ret = submit_poll(ch);
	if (ret < 0) {
		xdomain_channel_fail(ch, ret);
		return;
	}
	int fds[XDOMAIN_MAX_IDENTIFIERS];
	ret = receive_fds(ch, &sr, fds);
	if (ret < 0) {
		/* the message would reach the client without its fds: end the channel */
		xdomain_channel_fail(ch, ret);
		return;
	}
	vsomm_log(VSOMM_LOG_TRACE, "channel: RECEIVE %zu bytes, %u fds", view->payload_size,
		  sr.num_identifiers);
	ch->stats.receives++;
	ch->stats.bytes_received += view->payload_size;
	ch->stats.fds_received += sr.num_identifiers;
	/* last: the listener may destroy the channel */
	ch->listener->receive(ch->data, view->payload, view->payload_size, fds, sr.num_identifiers);
}

static void handle_read(struct xdomain_channel *ch, const struct xdomain_cmd_view *view)
{
	struct xdomain_read_write rw;
	XDOMAIN_LOAD(rw, view);
	int ret = submit_poll(ch);
	if (ret < 0) {
		xdomain_channel_fail(ch, ret);
		return;
	}
	ch->stats.pipe_bytes_read += view->payload_size;
	xdomain_channel_read_pipe_data(ch, rw.identifier, view->payload, view->payload_size,
				       rw.hang_up != 0);
}

/*
 * Copy the host's message out of the ring: the fixed part, then only as much
 * payload as the copied fixed part says (not the whole ring: a round trip's
 * message is tens of bytes).  Decoding reads the copy alone, with the ring's
 * size as its bound, and never past that payload.
 */
static void copy_ring(struct xdomain_channel *ch)
{
	const uint8_t *ring = ch->channel_ring.map;
	size_t fixed = sizeof(struct xdomain_send_receive), start = 0;
	uint32_t payload = 0;

	_Static_assert(sizeof(struct xdomain_send_receive) >= sizeof(struct xdomain_read_write),
		       "the fixed part copied first holds both commands' fixed parts");
	memcpy(ch->ring_copy, ring, fixed);
	if (ch->ring_copy[0] == XDOMAIN_CMD_RECEIVE) {
		start = sizeof(struct xdomain_send_receive);
		memcpy(&payload,
		       ch->ring_copy + offsetof(struct xdomain_send_receive, opaque_data_size),
		       sizeof(payload));
	} else if (ch->ring_copy[0] == XDOMAIN_CMD_READ) {
		start = sizeof(struct xdomain_read_write);
		memcpy(&payload,
		       ch->ring_copy + offsetof(struct xdomain_read_write, opaque_data_size),
		       sizeof(payload));
	}
	size_t end = payload > ch->ring_size - start ? ch->ring_size : start + payload;
	if (end > fixed)
		memcpy(ch->ring_copy + fixed, ring + fixed, end - fixed);
}

/* The POLL fence completed: the host wrote one message to the channel ring. */
static void handle_ring(struct xdomain_channel *ch)
{
	ch->poll_pending = false;
	/*
	 * Copy the slot before looking at it (the host may write it again after the next
	 * POLL), and clear its command byte so a fence without a write is noticed.
	 */
	copy_ring(ch);
	memset(ch->channel_ring.map, 0, sizeof(struct xdomain_header));

	struct xdomain_cmd_view view;
	enum xdomain_wire_error err = xdomain_decode_ring(ch->ring_copy, ch->ring_size, &view);
	if (err != XDOMAIN_WIRE_OK) {
		vsomm_log(VSOMM_LOG_ERROR, "channel ring: %s (command %u)",
			  ch->ring_copy[0] ? xdomain_strerror(err) : "fence without a message",
			  ch->ring_copy[0]);
		xdomain_channel_fail(ch, -EPROTO);
		return;
	}
	if (view.cmd == XDOMAIN_CMD_RECEIVE)
		handle_receive(ch, &view);
	else
		handle_read(ch, &view);
}

static int handle_device(int fd, uint32_t mask, void *data)
{
	struct xdomain_channel *ch = data;
	int n = virtgpu_read_events(ch->dev);
	if (n < 0) {
		xdomain_channel_fail(ch, n);
		return 0;
	}
	if (n == 0)
		return 0;
	if (n > 1 || !ch->poll_pending) {
		/* only the one POLL is fenced on ring 1 */
		vsomm_log(VSOMM_LOG_ERROR, "channel: %d ring-1 fences for %d POLL", n,
			  ch->poll_pending);
		xdomain_channel_fail(ch, -EPROTO);
		return 0;
	}
	handle_ring(ch);
	return 0;
}

static int ring_create(struct xdomain_channel *ch, struct virtgpu_bo *bo)
{
	int ret = virtgpu_blob_create(ch->dev, VIRTGPU_BLOB_MEM_GUEST,
				      VIRTGPU_BLOB_FLAG_USE_MAPPABLE, ch->ring_size, 0, bo);
	if (ret < 0)
		return ret;
	ret = virtgpu_bo_map(ch->dev, bo);
	if (ret < 0)
		virtgpu_bo_close(ch->dev, bo);
	return ret;
}

static int check_capset(struct xdomain_channel *ch)
{
	struct xdomain_capabilities caps = {0};
	int ret = virtgpu_get_capset(ch->dev, XDOMAIN_CAPSET_ID, XDOMAIN_CAPSET_VERSION, &caps,
				     sizeof(caps));
	if (ret < 0) {
		vsomm_log(VSOMM_LOG_ERROR, "%s: no cross-domain capset: %s",
			  virtgpu_describe(ch->dev), strerror(-ret));
		return ret;
	}
	if (caps.version < XDOMAIN_CAPS_VERSION) {
		vsomm_log(VSOMM_LOG_ERROR, "%s: cross-domain version %u", virtgpu_describe(ch->dev),
			  caps.version);
		return -ENOTSUP;
	}
	if (ch->channel_type != XDOMAIN_CHANNEL_TYPE_NONE &&
	    (ch->channel_type >= 32 || !(caps.supported_channels & (1u << ch->channel_type)))) {
		vsomm_log(VSOMM_LOG_ERROR, "%s: no cross-domain channel of type %u (channels 0x%x)",
			  virtgpu_describe(ch->dev), ch->channel_type, caps.supported_channels);
		return -ENOTSUP;
	}
	return 0;
}

static int channel_start(struct xdomain_channel *ch)
{
	int ret = check_capset(ch);
	if (ret < 0)
		return ret;
	ret = virtgpu_context_init(ch->dev, XDOMAIN_CAPSET_ID, 2, 1u << XDOMAIN_CHANNEL_RING);
	if (ret < 0)
		return ret;
	/* the query ring first, then the channel ring (as sommelier does) */
	ret = ring_create(ch, &ch->query_ring);
	if (ret < 0)
		return ret;
	ret = ring_create(ch, &ch->channel_ring);
	if (ret < 0)
		return ret;

	/* §2.4: the 20-byte INIT, alone in its submit, unfenced */
	struct xdomain_init init = {
		.query_ring_id = ch->query_ring.res_id,
		.channel_ring_id = ch->channel_ring.res_id,
		.channel_type = ch->channel_type,
	};
	xdomain_header_init(&init.hdr, XDOMAIN_CMD_INIT, sizeof(init));
	ret = virtgpu_submit(ch->dev, &init, sizeof(init), VIRTGPU_RING_NONE, NULL, 0);
	if (ret < 0)
		return ret;
	ch->dev_source = wl_event_loop_add_fd(ch->loop, virtgpu_event_fd(ch->dev),
					      WL_EVENT_READABLE, handle_device, ch);
	if (!ch->dev_source)
		return -ENOMEM;
	if (ch->channel_type == XDOMAIN_CHANNEL_TYPE_NONE)
		return 0; /* allocation only: no connection, nothing to poll */
	return submit_poll(ch);
}

struct xdomain_channel *xdomain_channel_create(struct wl_event_loop *loop, struct virtgpu *dev,
					       uint32_t channel_type,
					       const struct xdomain_channel_listener *listener,
					       void *data, int *err)
{
	struct xdomain_channel *ch = calloc(1, sizeof(*ch));
	long page = sysconf(_SC_PAGESIZE);
	size_t ring_size = page > (long)XDOMAIN_RING_SIZE ? (size_t)page : XDOMAIN_RING_SIZE;
	uint8_t *copy = malloc(ring_size);
	/* SENDs are built here, not in a buffer allocated per message */
	uint8_t *send_buf = malloc(sizeof(struct xdomain_send_receive) + XDOMAIN_MAX_SEND_BYTES);
	if (!ch || !copy || !send_buf) {
		free(ch);
		free(copy);
		free(send_buf);
		virtgpu_close(dev);
		*err = -ENOMEM;
		return NULL;
	}
	ch->loop = loop;
	ch->dev = dev;
	ch->listener = listener;
	ch->data = data;
	ch->channel_type = channel_type;
	ch->ring_size = ring_size;
	ch->ring_copy = copy;
	ch->send_buf = send_buf;
	ch->read_pipe_id = XDOMAIN_PIPE_READ_START;
	wl_list_init(&ch->read_pipes);
	wl_list_init(&ch->write_pipes);
	xdomain_channel_image_cache_init(ch);

	int ret = channel_start(ch);
	if (ret < 0) {
		*err = ret;
		xdomain_channel_destroy(ch);
		return NULL;
	}
	return ch;
}

void xdomain_channel_destroy(struct xdomain_channel *ch)
{
	if (!ch)
		return;
	if (ch->dev_source)
		wl_event_source_remove(ch->dev_source);
	xdomain_channel_pipes_finish(ch);
	xdomain_channel_image_cache_finish(ch);
	virtgpu_bo_close(ch->dev, &ch->channel_ring);
	virtgpu_bo_close(ch->dev, &ch->query_ring);
	virtgpu_close(ch->dev);
	free(ch->ring_copy);
	free(ch->send_buf);
	free(ch);
}

struct virtgpu *xdomain_channel_device(struct xdomain_channel *ch)
{
	return ch->dev;
}

const struct xdomain_channel_stats *xdomain_channel_stats(const struct xdomain_channel *ch)
{
	return &ch->stats;
}
