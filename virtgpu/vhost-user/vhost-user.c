/* SPDX-License-Identifier: MIT */
/*
 * The vhost-user transport: vsomm-host as the back-end of a virtio-gpu device
 * (id 16) whose front-end is a guest kernel's vhost-user driver — User-Mode
 * Linux's virtio_uml (docs/uml.md).  The guest's own virtio_gpu DRM driver then
 * talks to the same device model the socket transport feeds.
 *
 * Control messages (this file): features, memory table, ring setup, config
 * space.  Queues and guest memory: vring.c.  Notifications are
 * eventfd kicks and call fds (no in-band notifications).  The back-end request
 * channel is offered because a 6.1 virtio_uml allocates the interrupt its call
 * fds share only when it sets that channel up; it carries the host-visible
 * region's SHMEM_MAP/UNMAP (shm.c) when the front-end negotiates
 * SHMEM.  One front-end at a time; its disconnect destroys its device model and
 * everything in it.
 *
 * Nothing here waits (issue 14 §4).  vsomm-host serves every guest — this
 * front-end, the socket transport's clients — from one event loop, so a wait on
 * one front-end is a stall of all of them.  Each wait is a state on the loop
 * instead: a message is received as far as the socket has it and resumed when
 * it is readable again (conn->rx); a back-end request (SHMEM_MAP/UNMAP) is
 * queued and the chain that needs it keeps its response until the ack comes
 * (shm.c); replies go out with MSG_DONTWAIT.  One timer per connection bounds
 * every wait by VU_TIMEOUT_MS: a front-end that leaves a message half sent or
 * a request unanswered that long loses its connection and its device, and
 * only those.  (The other way, a thread per device, was not taken: the device
 * model, the cross-domain service and libwayland's event loop are
 * single-threaded, so a thread would need a lock around all of them, or a
 * second loop per device with its own compositor connections — more to own,
 * for waits that are each a few lines of state.)
 *
 * Fault injection, for tests only: built with VSOMM_FAULT_INJECTION (the
 * vsomm-host-faults test executable, never installed), VSOMM_VHOST_USER_FAULT=
 * no-capset hides every capset (the guest sees num_capsets 0) and
 * =no-context-init withholds VIRTIO_GPU_F_CONTEXT_INIT, so the guest's error
 * paths can be exercised against a real kernel (tests/uml/uml-errors.sh).  The
 * vsomm-host that ships has no such code path.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_gpu.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "util/fdpass.h"
#include "util/log.h"
#include "virtgpu/vhost-user/vhost-user-private.h"

#define OFFERED_PROTOCOL_FEATURES                                                  \
	((1ull << VU_PROTOCOL_F_REPLY_ACK) | (1ull << VU_PROTOCOL_F_BACKEND_REQ) | \
	 (1ull << VU_PROTOCOL_F_CONFIG) | (1ull << VU_PROTOCOL_F_SHMEM))

static const struct gpu_model_transport_ops transport_ops = {
	.complete = vu_complete,
};

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

void vu_conn_destroy(struct vu_conn *conn)
{
	if (!conn)
		return;
	conn->dead = true;
	if (conn->timer)
		wl_event_source_remove(conn->timer);
	close_fds(conn->rx_fds, conn->rx_nfds);
	/* The device first: it may still complete nothing, held fences are dropped. */
	gpu_model_destroy(conn->dev);
	for (uint32_t i = 0; i < VU_NUM_QUEUES; i++)
		vu_queue_reset(conn, &conn->queues[i]);
	vu_regions_unmap(conn);
	vu_shm_reset(conn);
	if (conn->backend_req_fd >= 0)
		close(conn->backend_req_fd);
	if (conn->source)
		wl_event_source_remove(conn->source);
	close(conn->fd);
	if (conn->server->conn == conn)
		conn->server->conn = NULL;
	free(conn->cmd);
	free(conn);
}

static bool send_reply(struct vu_conn *conn, const struct vu_header *req, const void *payload,
		       uint32_t size)
{
	struct vu_header hdr = {
		.request = req->request,
		.flags = VU_FLAG_VERSION | VU_FLAG_REPLY,
		.size = size,
	};
	struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {(void *)payload, size}};
	ssize_t want = (ssize_t)(sizeof(hdr) + size);
	/* Never blocks: a front-end that does not read its replies loses the connection. */
	if (fdpass_sendv(conn->fd, iov, size ? 2 : 1, NULL, 0, MSG_DONTWAIT) != want) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "vhost-user: reply to request %u", req->request);
		return false;
	}
	return true;
}

static bool send_u64(struct vu_conn *conn, const struct vu_header *req, uint64_t value)
{
	return send_reply(conn, req, &value, sizeof(value));
}

static int set_mem_table(struct vu_conn *conn, const uint8_t *payload, uint32_t size, int *fds,
			 size_t nfds)
{
	uint32_t num;
	if (size < 8)
		return -EPROTO;
	memcpy(&num, payload, sizeof(num));
	if (num == 0 || num > VU_MAX_REGIONS || num != nfds ||
	    size < 8 + num * sizeof(struct vu_mem_region))
		return -EPROTO;
	struct vu_region regions[VU_MAX_REGIONS];
	uint32_t mapped = 0;
	int ret = 0;
	for (uint32_t i = 0; i < num; i++) {
		struct vu_mem_region r;
		memcpy(&r, payload + 8 + i * sizeof(r), sizeof(r));
		struct stat st;
		if (r.size == 0 || r.mmap_offset > SIZE_MAX - r.size ||
		    r.guest_addr > UINT64_MAX - r.size || r.user_addr > UINT64_MAX - r.size ||
		    fstat(fds[i], &st) < 0 || (uint64_t)st.st_size < r.mmap_offset + r.size) {
			ret = -EINVAL;
			break;
		}
		size_t map_size = (size_t)(r.mmap_offset + r.size);
		void *map = mmap(NULL, map_size, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
		if (map == MAP_FAILED) {
			ret = -errno;
			break;
		}
		regions[mapped++] = (struct vu_region){
			.guest_addr = r.guest_addr,
			.user_addr = r.user_addr,
			.size = r.size,
			.host = (uint8_t *)map + r.mmap_offset,
			.map = map,
			.map_size = map_size,
		};
	}
	close_fds(fds, nfds);
	if (ret < 0) {
		for (uint32_t i = 0; i < mapped; i++)
			munmap(regions[i].map, regions[i].map_size);
		vsomm_log(VSOMM_LOG_ERROR, "vhost-user: SET_MEM_TABLE refused: %s", strerror(-ret));
		return ret;
	}
	/* Chains in flight point into the old memory: their responses have nowhere to go. */
	vu_queues_forget(conn);
	vu_regions_unmap(conn);
	memcpy(conn->regions, regions, mapped * sizeof(regions[0]));
	conn->num_regions = mapped;
	for (uint32_t i = 0; i < VU_NUM_QUEUES; i++)
		vu_queue_map(conn, &conn->queues[i]);
	return 0;
}

static int handle_kick_fd(int fd, uint32_t mask, void *data);

static struct vu_queue *queue_of(struct vu_conn *conn, uint32_t index)
{
	return index < VU_NUM_QUEUES ? &conn->queues[index] : NULL;
}

static bool kick(struct vu_conn *conn, uint32_t index)
{
	if (!vu_queue_process(conn, index)) {
		conn->dead = true;
		return false;
	}
	return true;
}

/* SET_VRING_KICK/CALL/ERR: a u64 (index, NOFD bit) and maybe one fd. */
static int set_vring_fd(struct vu_conn *conn, uint32_t request, const uint8_t *payload,
			uint32_t size, int *fds, size_t nfds)
{
	uint64_t v;
	if (size != sizeof(v))
		return -EPROTO;
	memcpy(&v, payload, sizeof(v));
	struct vu_queue *q = queue_of(conn, (uint32_t)(v & VU_VRING_INDEX_MASK));
	bool nofd = v & VU_VRING_NOFD_MASK;
	if (!q || nfds != (nofd ? 0u : 1u))
		return -EPROTO;
	int fd = nofd ? -1 : fds[0];
	fds[0] = -1;
	int *slot = request == VU_SET_VRING_KICK   ? &q->kick_fd
		    : request == VU_SET_VRING_CALL ? &q->call_fd
						   : &q->err_fd;
	if (request == VU_SET_VRING_KICK && q->kick_source) {
		wl_event_source_remove(q->kick_source);
		q->kick_source = NULL;
	}
	if (*slot >= 0)
		close(*slot);
	*slot = fd;
	if (fd >= 0 && request == VU_SET_VRING_CALL)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (fd >= 0 && request == VU_SET_VRING_KICK) {
		q->kick_source = wl_event_loop_add_fd(conn->server->loop, fd, WL_EVENT_READABLE,
						      handle_kick_fd, conn);
		if (!q->kick_source)
			return -ENOMEM;
	}
	return 0;
}

static int handle_request(struct vu_conn *conn, const struct vu_header *hdr, const uint8_t *payload,
			  int *fds, size_t nfds, bool *replied)
{
	struct vu_backend *server = conn->server;
	struct vu_vring_state state;
	struct vu_queue *q;
	uint64_t v;
	*replied = false;
	switch (hdr->request) {
	case VU_GET_FEATURES:
		*replied = true;
		return send_u64(conn, hdr, server->features) ? 0 : -EPIPE;
	case VU_SET_FEATURES:
	case VU_SET_PROTOCOL_FEATURES:
		if (hdr->size != sizeof(v))
			return -EPROTO;
		memcpy(&v, payload, sizeof(v));
		if (hdr->request == VU_SET_FEATURES) {
			if (v & ~server->features)
				return -EINVAL;
			conn->features = v;
		} else {
			if (v & ~OFFERED_PROTOCOL_FEATURES)
				return -EINVAL;
			conn->protocol_features = v;
		}
		return 0;
	case VU_GET_PROTOCOL_FEATURES:
		*replied = true;
		return send_u64(conn, hdr, OFFERED_PROTOCOL_FEATURES) ? 0 : -EPIPE;
	case VU_SET_OWNER:
	case VU_RESET_OWNER:
		return 0;
	case VU_GET_QUEUE_NUM:
		*replied = true;
		return send_u64(conn, hdr, VU_NUM_QUEUES) ? 0 : -EPIPE;
	case VU_SET_MEM_TABLE:
		return set_mem_table(conn, payload, hdr->size, fds, nfds);
	case VU_SET_VRING_NUM:
	case VU_SET_VRING_BASE:
	case VU_SET_VRING_ENABLE:
	case VU_GET_VRING_BASE:
	case VU_VRING_KICK:
		if (hdr->size != sizeof(state))
			return -EPROTO;
		memcpy(&state, payload, sizeof(state));
		q = queue_of(conn, state.index);
		if (!q)
			return -EINVAL;
		if (hdr->request == VU_SET_VRING_NUM) {
			if (state.num == 0 || state.num > VU_MAX_QUEUE_SIZE ||
			    (state.num & (state.num - 1)))
				return -EINVAL;
			struct vu_pending *p = calloc(state.num, sizeof(*p));
			if (!p)
				return -ENOMEM;
			vu_queue_free_pending(
				q); /* chains in flight: their responses are dropped */
			q->pending = p;
			q->num = state.num;
			conn->generation++;
			vu_queue_map(conn, q);
		} else if (hdr->request == VU_SET_VRING_BASE) {
			if (state.num > 0xffff)
				return -EINVAL;
			q->last_avail = (uint16_t)state.num;
			q->used_idx = (uint16_t)state.num;
		} else if (hdr->request == VU_SET_VRING_ENABLE) {
			q->enabled = state.num != 0;
			if (q->enabled && !kick(conn, state.index))
				return -EPROTO;
		} else if (hdr->request == VU_GET_VRING_BASE) {
			/* The ring stops: answer its position and forget it. */
			state.num = q->last_avail;
			vu_queue_reset(conn, q);
			*replied = true;
			return send_reply(conn, hdr, &state, sizeof(state)) ? 0 : -EPIPE;
		} else if (!kick(conn, state.index)) {
			return -EPROTO;
		}
		return 0;
	case VU_SET_VRING_ADDR: {
		struct vu_vring_addr addr;
		if (hdr->size != sizeof(addr))
			return -EPROTO;
		memcpy(&addr, payload, sizeof(addr));
		q = queue_of(conn, addr.index);
		if (!q)
			return -EINVAL;
		q->addr = addr;
		q->has_addr = true;
		if (!vu_queue_map(conn, q)) {
			vsomm_log(VSOMM_LOG_ERROR,
				  "vhost-user: ring %u addresses outside guest memory", addr.index);
			return -EINVAL;
		}
		return 0;
	}
	case VU_SET_VRING_KICK:
	case VU_SET_VRING_CALL:
	case VU_SET_VRING_ERR:
		return set_vring_fd(conn, hdr->request, payload, hdr->size, fds, nfds);
	case VU_GET_CONFIG: {
		struct vu_config_hdr cfg;
		if (hdr->size < sizeof(cfg))
			return -EPROTO;
		memcpy(&cfg, payload, sizeof(cfg));
		if (cfg.size > VU_MAX_PAYLOAD - sizeof(cfg) ||
		    hdr->size != sizeof(cfg) + cfg.size || cfg.offset > cfg.size)
			return -EPROTO;
		uint8_t reply[VU_MAX_PAYLOAD] = {0};
		struct virtio_gpu_config gpu = {
			.num_scanouts = htole32(1), /* the 6.1 driver refuses 0 */
			.num_capsets = htole32(server->num_capsets),
		};
		memcpy(reply, &cfg, sizeof(cfg));
		for (uint32_t i = 0; i < cfg.size; i++) {
			uint64_t at = (uint64_t)cfg.offset + i;
			if (at < sizeof(gpu))
				reply[sizeof(cfg) + i] = ((const uint8_t *)&gpu)[at];
		}
		*replied = true;
		return send_reply(conn, hdr, reply, (uint32_t)(sizeof(cfg) + cfg.size)) ? 0
											: -EPIPE;
	}
	case VU_SET_CONFIG:
		return 0; /* events_clear: this device raises no config events */
	case VU_GET_SHMEM_CONFIG: {
		struct vu_shmem_config shm;
		vu_shm_config(conn, &shm);
		*replied = true;
		return send_reply(conn, hdr, &shm, sizeof(shm)) ? 0 : -EPIPE;
	}
	case VU_SET_BACKEND_REQ_FD:
		if (nfds != 1)
			return -EPROTO;
		if (conn->backend_req_fd >= 0)
			close(conn->backend_req_fd);
		conn->backend_req_fd = fds[0];
		fds[0] = -1;
		return vu_shm_channel_init(conn) ? 0 : -ENOMEM;
	default:
		vsomm_log(VSOMM_LOG_ERROR, "vhost-user: unsupported request %u", hdr->request);
		return -ENOTSUP;
	}
}

int64_t vu_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void vu_conn_arm_timer(struct vu_conn *conn)
{
	int64_t since = conn->rx_len > 0 ? conn->rx_since : -1;
	int64_t req = vu_shm_oldest_request(conn);
	if (req >= 0 && (since < 0 || req < since))
		since = req;
	int ms = 0; /* disarmed */
	if (since >= 0) {
		int64_t left = since + VU_TIMEOUT_MS - vu_now_ms();
		ms = left < 1 ? 1 : (int)left;
	}
	wl_event_source_timer_update(conn->timer, ms);
}

static int handle_timer(void *data)
{
	struct vu_conn *conn = data;
	int64_t now = vu_now_ms();
	int64_t req = vu_shm_oldest_request(conn);
	if (conn->rx_len > 0 && now - conn->rx_since >= VU_TIMEOUT_MS) {
		vsomm_log(
			VSOMM_LOG_ERROR,
			"vhost-user: the front-end left a message half sent for %d ms; dropping it",
			VU_TIMEOUT_MS);
		vu_conn_destroy(conn);
	} else if (req >= 0 && now - req >= VU_TIMEOUT_MS) {
		vsomm_log(
			VSOMM_LOG_ERROR,
			"vhost-user: no reply to back-end request %u in %d ms; dropping the front-end",
			conn->reqs[0].request, VU_TIMEOUT_MS);
		vu_conn_destroy(conn);
	} else {
		vu_conn_arm_timer(conn);
	}
	return 0;
}

/* Handle the message complete in conn->rx; false ends the connection. */
static bool dispatch_message(struct vu_conn *conn)
{
	struct vu_header hdr;
	memcpy(&hdr, conn->rx, sizeof(hdr));
	const uint8_t *payload = conn->rx + sizeof(hdr);
	int *fds = conn->rx_fds;
	size_t nfds = conn->rx_nfds;
	vsomm_log(VSOMM_LOG_DEBUG, "vhost-user: request %u (%u bytes, %zu fds)", hdr.request,
		  hdr.size, nfds);
	bool replied;
	int ret = handle_request(conn, &hdr, payload, fds, nfds, &replied);
	close_fds(fds, nfds);
	conn->rx_nfds = 0;
	conn->rx_len = 0;
	if (ret < 0)
		vsomm_log(VSOMM_LOG_ERROR, "vhost-user: request %u failed: %s", hdr.request,
			  strerror(-ret));
	if (ret == -EPIPE || conn->dead)
		return false;
	if (!replied && (hdr.flags & VU_FLAG_NEED_REPLY) &&
	    (conn->protocol_features & (1ull << VU_PROTOCOL_F_REPLY_ACK)))
		return send_u64(conn, &hdr, ret < 0 ? 1 : 0);
	/* Without REPLY_ACK the front-end cannot hear of an error: stop here. */
	return ret >= 0 || (conn->protocol_features & (1ull << VU_PROTOCOL_F_REPLY_ACK));
}

/*
 * Receive what the socket has of the current message (the header, then the
 * size it announces) without waiting, and handle each message completed.  A
 * message's fds come with its first bytes; reading never goes past a message's
 * end, so the next one's fds stay with it.  False ends the connection.
 */
static bool read_messages(struct vu_conn *conn)
{
	/* A bound per wake-up, so that a front-end that floods us cannot starve the rest. */
	for (int messages = 0; messages < 64;) {
		size_t want = sizeof(struct vu_header);
		if (conn->rx_len >= want) {
			struct vu_header hdr;
			memcpy(&hdr, conn->rx, sizeof(hdr));
			want += hdr.size;
		}
		size_t nfds = 0;
		unsigned status = 0;
		ssize_t n = fdpass_recv(conn->fd, conn->rx + conn->rx_len, want - conn->rx_len,
					conn->rx_fds + conn->rx_nfds,
					VU_MAX_REGIONS - conn->rx_nfds, &nfds, MSG_DONTWAIT,
					&status);
		conn->rx_nfds += nfds;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			if (n < 0)
				vsomm_log_errno(VSOMM_LOG_ERROR, "vhost-user: receive");
			else
				vsomm_log(VSOMM_LOG_INFO, "vhost-user: front-end disconnected");
			return false;
		}
		if (conn->rx_len == 0)
			conn->rx_since = vu_now_ms();
		conn->rx_len += (size_t)n;
		/* More fds than a message may carry; other control messages are ignored. */
		if (status & FDPASS_RECV_TRUNCATED) {
			vsomm_log(VSOMM_LOG_ERROR, "vhost-user: too many fds with a message");
			return false;
		}
		if (conn->rx_len == sizeof(struct vu_header)) {
			struct vu_header hdr;
			memcpy(&hdr, conn->rx, sizeof(hdr));
			if ((hdr.flags & VU_FLAG_VERSION_MASK) != VU_FLAG_VERSION ||
			    hdr.size > VU_MAX_PAYLOAD) {
				vsomm_log(VSOMM_LOG_ERROR,
					  "vhost-user: malformed message (request %u, %u bytes)",
					  hdr.request, hdr.size);
				return false;
			}
			if (hdr.size > 0)
				continue;
		} else if (conn->rx_len < want) {
			continue;
		}
		if (!dispatch_message(conn))
			return false;
		messages++;
	}
	return true;
}

static int handle_conn(int fd, uint32_t mask, void *data)
{
	struct vu_conn *conn = data;
	if ((mask & WL_EVENT_READABLE) && read_messages(conn) && !conn->dead) {
		vu_conn_arm_timer(conn);
		return 0;
	}
	vu_conn_destroy(conn);
	return 0;
}

static int handle_kick_fd(int fd, uint32_t mask, void *data)
{
	struct vu_conn *conn = data;
	uint64_t count;
	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN && errno != EINTR) {
		vu_conn_destroy(conn);
		return 0;
	}
	for (uint32_t i = 0; i < VU_NUM_QUEUES; i++) {
		if (conn->queues[i].kick_fd == fd) {
			if (!kick(conn, i))
				vu_conn_destroy(conn);
			break;
		}
	}
	return 0;
}

struct vu_conn *vu_conn_create(struct vu_backend *server, int fd)
{
	struct vu_conn *conn = calloc(1, sizeof(*conn));
	if (!conn) {
		close(fd);
		return NULL;
	}
	conn->server = server;
	conn->fd = fd;
	conn->backend_req_fd = -1;
	for (uint32_t i = 0; i < VU_NUM_QUEUES; i++)
		conn->queues[i] = (struct vu_queue){.kick_fd = -1, .call_fd = -1, .err_fd = -1};
	struct gpu_model_config config = {
		.capsets = server->capsets,
		.capset_data = server->capset_data,
		.transport_ops = &transport_ops,
		.transport = conn,
	};
	conn->dev = gpu_model_create(&config);
	conn->source = wl_event_loop_add_fd(server->loop, fd, WL_EVENT_READABLE, handle_conn, conn);
	conn->timer = wl_event_loop_add_timer(server->loop, handle_timer, conn);
	if (!conn->dev || !conn->source || !conn->timer) {
		vsomm_log(VSOMM_LOG_ERROR, "vhost-user: cannot set up the device");
		vu_conn_destroy(conn);
		return NULL;
	}
	server->conn = conn;
	return conn;
}

static int handle_accept(int fd, uint32_t mask, void *data)
{
	struct vu_backend *server = data;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return 0;
	if (server->conn) {
		vsomm_log(VSOMM_LOG_ERROR,
			  "vhost-user: a front-end is connected; refusing another");
		close(cfd);
		return 0;
	}
	if (vu_conn_create(server, cfd))
		vsomm_log(VSOMM_LOG_INFO, "vhost-user: front-end connected");
	return 0;
}

#ifdef VSOMM_FAULT_INJECTION
/* Make the device lack what the fault named in the environment takes away. */
static void inject_fault(struct vu_backend *server)
{
	const char *fault = getenv("VSOMM_VHOST_USER_FAULT");
	if (!fault || !fault[0])
		return;
	if (strcmp(fault, "no-capset") == 0) {
		for (uint32_t i = 0; i < server->num_capsets; i++)
			server->capsets[i] = NULL;
		server->num_capsets = 0;
	} else if (strcmp(fault, "no-context-init") == 0) {
		server->features &= ~(1ull << VIRTIO_GPU_F_CONTEXT_INIT);
	}
	vsomm_log(VSOMM_LOG_INFO, "vhost-user: fault injected: %s", fault);
}
#endif

struct vu_backend *vu_backend_create(struct wl_event_loop *loop, int listen_fd,
				     const struct gpu_model_capset_ops *const *capsets,
				     void *capset_data)
{
	struct vu_backend *server = calloc(1, sizeof(*server));
	if (!server)
		return NULL;
	size_t n = 0;
	while (capsets && capsets[n])
		n++;
	server->capsets = calloc(n + 1, sizeof(*server->capsets));
	if (!server->capsets) {
		free(server);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		server->capsets[server->num_capsets++] = capsets[i];
	server->capset_data = capset_data;
	server->features = GPU_MODEL_FEATURES | (1ull << VIRTIO_F_VERSION_1) |
			   (1ull << VU_F_PROTOCOL_FEATURES);
#ifdef VSOMM_FAULT_INJECTION
	inject_fault(server);
#endif
	server->loop = loop;
	server->listen_fd = listen_fd;
	server->listen_source = wl_event_loop_add_fd(loop, listen_fd, WL_EVENT_READABLE,
						     handle_accept, server);
	if (!server->listen_source) {
		free(server->capsets);
		free(server);
		return NULL;
	}
	return server;
}

void vu_backend_destroy(struct vu_backend *server)
{
	if (!server)
		return;
	vu_conn_destroy(server->conn);
	wl_event_source_remove(server->listen_source);
	close(server->listen_fd);
	free(server->capsets);
	free(server);
}
