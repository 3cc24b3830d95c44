/* SPDX-License-Identifier: MIT */
/*
 * The vhost-user transport's host-visible memory: virtio-gpu's shared memory
 * region 1 (VIRTIO_GPU_SHM_ID_HOST_VISIBLE), where the guest driver places
 * mappable HOST3D blobs with RESOURCE_MAP_BLOB at offsets of its choosing.
 *
 * Protocol: the VIRTIO shared memory messages proposed for vhost-user (QEMU
 * docs/interop/vhost-user.rst) — protocol feature SHMEM, GET_SHMEM_CONFIG (the
 * region sizes) and, on the back-end request channel, SHMEM_MAP {shmid,
 * fd_offset, shm_offset, len, flags} with the memory's fd and SHMEM_UNMAP.  A
 * 6.1 virtio_uml speaks them with tests/uml/patches applied; an unpatched one
 * does not negotiate SHMEM and sees no region: its guest has no host-visible
 * memory, and mappable HOST3D blobs (wl_shm shadows, keymaps) fail there.
 *
 * Ordering: the guest may touch a blob as soon as MAP_BLOB's response is in
 * the used ring, and reuses an offset as soon as UNMAP_BLOB's is.  So both
 * requests ask for a reply (REPLY_ACK), and the chain's response is held until
 * the ack comes.  Nothing waits for it: the request is queued (the channel
 * answers in order), the event loop goes on serving every other guest, and
 * the ack, when the channel becomes readable, releases the held response
 * (vu_chain_acked).  A refusal fails that one MAP_BLOB; a reply that does not
 * match the oldest request, or none within VU_TIMEOUT_MS (the connection's
 * timer, vhost-user.c), drops this front-end and its device, never more.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_gpu.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "util/fdpass.h"
#include "util/log.h"
#include "virtgpu/vhost-user/vhost-user-private.h"

bool vu_shm_enabled(const struct vu_conn *conn)
{
	uint64_t need = (1ull << VU_PROTOCOL_F_SHMEM) | (1ull << VU_PROTOCOL_F_BACKEND_REQ) |
			(1ull << VU_PROTOCOL_F_REPLY_ACK);
	return (conn->protocol_features & need) == need && conn->backend_req_fd >= 0 && !conn->dead;
}

void vu_shm_config(const struct vu_conn *conn, struct vu_shmem_config *out)
{
	(void)conn;
	*out = (struct vu_shmem_config){.nregions = htole32(1)};
	out->memory_sizes[VU_SHM_ID_HOST_VISIBLE] = htole64(VU_SHM_SIZE);
}

int64_t vu_shm_oldest_request(const struct vu_conn *conn)
{
	return conn->num_reqs ? conn->reqs[0].sent_ms : -1;
}

/* The oldest request got its reply: status 0 is success. */
static void request_acked(struct vu_conn *conn, uint64_t status)
{
	struct vu_backend_req r = conn->reqs[0];
	memmove(conn->reqs, conn->reqs + 1, (conn->num_reqs - 1) * sizeof(r));
	conn->num_reqs--;
	bool failed = status != 0;
	if (failed)
		vsomm_log(VSOMM_LOG_ERROR, "vhost-user: front-end refused back-end request %u",
			  r.request);
	if (failed && r.request == VU_BACKEND_SHMEM_MAP) {
		/* the region has nothing there: forget the placement made when it was sent */
		for (size_t i = 0; i < conn->num_shm_maps; i++) {
			struct vu_shm_map *m = &conn->shm_maps[i];
			if (m->res_id == r.res_id && m->offset == r.offset) {
				*m = conn->shm_maps[--conn->num_shm_maps];
				break;
			}
		}
	}
	if (r.has_chain && r.generation == conn->generation)
		vu_chain_acked(conn, r.queue, r.head, failed);
}

/* Replies on the back-end channel: each one is for the oldest request. */
static int handle_backend_req(int fd, uint32_t mask, void *data)
{
	struct vu_conn *conn = data;
	for (;;) {
		ssize_t n = recv(fd, conn->reply + conn->reply_len,
				 sizeof(conn->reply) - conn->reply_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			if (n == 0)
				vsomm_log(VSOMM_LOG_ERROR,
					  "vhost-user: the front-end closed the back-end channel");
			else
				vsomm_log_errno(VSOMM_LOG_ERROR, "vhost-user: back-end channel");
			vu_conn_destroy(conn);
			return 0;
		}
		conn->reply_len += (size_t)n;
		if (conn->reply_len < sizeof(conn->reply))
			continue;
		conn->reply_len = 0;
		struct vu_header hdr;
		uint64_t status;
		memcpy(&hdr, conn->reply, sizeof(hdr));
		memcpy(&status, conn->reply + sizeof(hdr), sizeof(status));
		if (conn->num_reqs == 0 || hdr.request != conn->reqs[0].request ||
		    !(hdr.flags & VU_FLAG_REPLY) || hdr.size != sizeof(status)) {
			vsomm_log(VSOMM_LOG_ERROR,
				  "vhost-user: reply %u on the back-end channel matches no request",
				  hdr.request);
			vu_conn_destroy(conn);
			return 0;
		}
		request_acked(conn, status);
		if (conn->dead) {
			vu_conn_destroy(conn);
			return 0;
		}
	}
	vu_conn_arm_timer(conn);
	return 0;
}

bool vu_shm_channel_init(struct vu_conn *conn)
{
	if (conn->backend_req_source)
		wl_event_source_remove(conn->backend_req_source);
	/* Requests sent on the old channel get no reply on the new one. */
	while (conn->num_reqs > 0)
		request_acked(conn, 1);
	conn->reply_len = 0;
	conn->backend_req_source = wl_event_loop_add_fd(conn->server->loop, conn->backend_req_fd,
							WL_EVENT_READABLE, handle_backend_req,
							conn);
	return conn->backend_req_source != NULL;
}

/*
 * Send one SHMEM request (with `fd` if ≥ 0) and queue it for its reply; the
 * chain `head` of queue 0 (if `chain`) waits for that reply.  False: the request
 * is not sent (the channel is full or gone: the caller fails what needed it).
 */
static bool backend_request(struct vu_conn *conn, uint32_t request, const struct vu_mmap *m, int fd,
			    uint32_t res_id, bool chain, uint16_t head)
{
	if (conn->num_reqs == conn->cap_reqs) {
		size_t cap = conn->cap_reqs ? conn->cap_reqs * 2 : 16;
		struct vu_backend_req *reqs = realloc(conn->reqs, cap * sizeof(*reqs));
		if (!reqs)
			return false;
		conn->reqs = reqs;
		conn->cap_reqs = cap;
	}
	struct vu_header hdr = {
		.request = request,
		.flags = VU_FLAG_VERSION | VU_FLAG_NEED_REPLY,
		.size = sizeof(*m),
	};
	struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {(void *)m, sizeof(*m)}};
	/* Never blocks: a front-end that does not read its channel loses it. */
	ssize_t n = fdpass_sendv(conn->backend_req_fd, iov, 2, &fd, fd >= 0 ? 1 : 0, MSG_DONTWAIT);
	if (n != (ssize_t)(sizeof(hdr) + sizeof(*m))) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "vhost-user: back-end request %u", request);
		/* part of a message went: the channel is out of sync for good */
		if (n > 0)
			conn->dead = true;
		return false;
	}
	conn->reqs[conn->num_reqs++] = (struct vu_backend_req){
		.request = request,
		.res_id = res_id,
		.offset = le64toh(m->shm_offset),
		.len = le64toh(m->len),
		.sent_ms = vu_now_ms(),
		.has_chain = chain,
		.generation = conn->generation,
		.queue = 0,
		.head = head,
	};
	vsomm_log(VSOMM_LOG_DEBUG, "vhost-user: back-end request %u sent, %zu awaiting replies",
		  request, conn->num_reqs);
	vu_conn_arm_timer(conn);
	return true;
}

static struct vu_shm_map *find_map(struct vu_conn *conn, uint32_t res_id)
{
	for (size_t i = 0; i < conn->num_shm_maps; i++) {
		if (conn->shm_maps[i].res_id == res_id)
			return &conn->shm_maps[i];
	}
	return NULL;
}

static void unmap_resource(struct vu_conn *conn, uint32_t res_id, uint16_t head,
			   struct vu_pending *p)
{
	struct vu_shm_map *map = find_map(conn, res_id);
	if (!map)
		return;
	struct vu_mmap m = {
		.shmid = VU_SHM_ID_HOST_VISIBLE,
		.shm_offset = htole64(map->offset),
		.len = htole64(map->len),
	};
	*map = conn->shm_maps[--conn->num_shm_maps];
	if (vu_shm_enabled(conn) &&
	    backend_request(conn, VU_BACKEND_SHMEM_UNMAP, &m, -1, res_id, true, head))
		p->waits++;
}

void vu_shm_command(struct vu_conn *conn, const uint8_t *cmd, size_t size, uint16_t head,
		    struct vu_pending *p)
{
	p->map_blob = false;
	struct virtio_gpu_resource_map_blob req; /* the largest of the three */
	if (!vu_shm_enabled(conn) || size < sizeof(struct virtio_gpu_resource_unref))
		return;
	memset(&req, 0, sizeof(req));
	memcpy(&req, cmd, size < sizeof(req) ? size : sizeof(req));
	uint32_t type = le32toh(req.hdr.type);
	uint32_t res_id = le32toh(req.resource_id);
	if (type == VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB && size >= sizeof(req)) {
		p->map_blob = true;
		p->map_res = res_id;
		p->map_offset = le64toh(req.offset);
	} else if (type == VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB ||
		   type == VIRTIO_GPU_CMD_RESOURCE_UNREF) {
		unmap_resource(conn, res_id, head, p);
	}
}

/* A private read-write copy of read-only memory (a keymap): the front-end maps RW. */
static int writable_fd(const struct gpu_model_resource *res, int fd, uint64_t len)
{
	int flags = fcntl(fd, F_GETFL);
	int seals = fcntl(fd, F_GET_SEALS);
	if (flags >= 0 && (flags & O_ACCMODE) == O_RDWR &&
	    (seals < 0 || !(seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))))
		return fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (!res->backing.addr || res->backing.size < res->size)
		return -1;
	int copy = memfd_create("vsomm-shm-copy", MFD_CLOEXEC);
	if (copy < 0)
		return -1;
	void *p = MAP_FAILED;
	if (ftruncate(copy, (off_t)len) == 0)
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, copy, 0);
	if (p == MAP_FAILED) {
		close(copy);
		return -1;
	}
	memcpy(p, res->backing.addr, res->size);
	munmap(p, len);
	return copy;
}

int vu_shm_map_blob(struct vu_conn *conn, uint16_t head, const struct vu_pending *p,
		    const void *resp, size_t size, int fd)
{
	struct virtio_gpu_ctrl_hdr hdr;
	if (size < sizeof(hdr))
		return 0;
	memcpy(&hdr, resp, sizeof(hdr));
	if (le32toh(hdr.type) != VIRTIO_GPU_RESP_OK_MAP_INFO)
		return 0; /* the device's own error goes to the guest */
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct gpu_model_resource *res = gpu_model_lookup_resource(conn->dev, p->map_res);
	if (!vu_shm_enabled(conn) || fd < 0 || !res || res->size == 0 || res->size > VU_SHM_SIZE) {
		vsomm_log(VSOMM_LOG_ERROR, "vhost-user: MAP_BLOB of resource %u: no region to map",
			  p->map_res);
		return -1;
	}
	uint64_t len = (res->size + page - 1) / page * page;
	if (p->map_offset % page || p->map_offset > VU_SHM_SIZE - len ||
	    find_map(conn, p->map_res)) {
		vsomm_log(
			VSOMM_LOG_ERROR,
			"vhost-user: MAP_BLOB of resource %u at %#llx: bad offset or mapped twice",
			p->map_res, (unsigned long long)p->map_offset);
		return -1;
	}
	if (conn->num_shm_maps == conn->cap_shm_maps) {
		size_t cap = conn->cap_shm_maps ? conn->cap_shm_maps * 2 : 16;
		struct vu_shm_map *maps = realloc(conn->shm_maps, cap * sizeof(*maps));
		if (!maps)
			return -1;
		conn->shm_maps = maps;
		conn->cap_shm_maps = cap;
	}
	int map_fd = writable_fd(res, fd, len);
	if (map_fd < 0) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "vhost-user: MAP_BLOB of resource %u: memory",
				p->map_res);
		return -1;
	}
	struct vu_mmap m = {
		.shmid = VU_SHM_ID_HOST_VISIBLE,
		.fd_offset = 0,
		.shm_offset = htole64(p->map_offset),
		.len = htole64(len),
		.flags = htole64(VU_SHMEM_MAP_RW),
	};
	bool ok = backend_request(conn, VU_BACKEND_SHMEM_MAP, &m, map_fd, p->map_res, true, head);
	close(map_fd); /* the front-end has its own copy of the fd */
	if (!ok)
		return -1;
	/* placed now (a second MAP_BLOB of it is refused); taken out again if refused */
	conn->shm_maps[conn->num_shm_maps++] = (struct vu_shm_map){
		.res_id = p->map_res, .offset = p->map_offset, .len = len};
	return 1;
}

void vu_shm_reset(struct vu_conn *conn)
{
	if (conn->backend_req_source)
		wl_event_source_remove(conn->backend_req_source);
	conn->backend_req_source = NULL;
	free(conn->reqs);
	conn->reqs = NULL;
	conn->num_reqs = conn->cap_reqs = 0;
	free(conn->shm_maps);
	conn->shm_maps = NULL;
	conn->num_shm_maps = conn->cap_shm_maps = 0;
}
