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
 * requests ask for a reply (REPLY_ACK) and wait for it before the command goes
 * on; a front-end that does not answer in time marks the channel broken (a late
 * reply would be taken for the next one) and later maps fail cleanly.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_gpu.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/fdpass.h"
#include "util/log.h"
#include "virtgpu/vhost-user/vhost-user-private.h"

#define REPLY_TIMEOUT_MS 5000

bool vu_shm_enabled(const struct vu_conn *conn)
{
	uint64_t need = (1ull << VU_PROTOCOL_F_SHMEM) | (1ull << VU_PROTOCOL_F_BACKEND_REQ) |
			(1ull << VU_PROTOCOL_F_REPLY_ACK);
	return (conn->protocol_features & need) == need && conn->backend_req_fd >= 0 &&
	       !conn->shm_broken;
}

void vu_shm_config(const struct vu_conn *conn, struct vu_shmem_config *out)
{
	(void)conn;
	*out = (struct vu_shmem_config){.nregions = htole32(1)};
	out->memory_sizes[VU_SHM_ID_HOST_VISIBLE] = htole64(VU_SHM_SIZE);
}

static bool recv_reply(struct vu_conn *conn, uint32_t request)
{
	struct {
		struct vu_header hdr;
		uint64_t status;
	} __attribute__((packed)) reply;
	size_t got = 0;
	while (got < sizeof(reply)) {
		struct pollfd pfd = {.fd = conn->backend_req_fd, .events = POLLIN};
		int n = poll(&pfd, 1, REPLY_TIMEOUT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			vsomm_log(VSOMM_LOG_ERROR, "vhost-user: no reply to back-end request %u",
				  request);
			return false;
		}
		ssize_t r = recv(conn->backend_req_fd, (uint8_t *)&reply + got, sizeof(reply) - got,
				 MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			vsomm_log_errno(VSOMM_LOG_ERROR, "vhost-user: back-end channel");
			return false;
		}
		got += (size_t)r;
	}
	if (reply.hdr.request != request || !(reply.hdr.flags & VU_FLAG_REPLY) ||
	    reply.hdr.size != sizeof(reply.status)) {
		vsomm_log(VSOMM_LOG_ERROR, "vhost-user: bad reply to back-end request %u", request);
		return false;
	}
	if (reply.status != 0) {
		vsomm_log(VSOMM_LOG_ERROR, "vhost-user: front-end refused back-end request %u",
			  request);
		conn->shm_broken = false; /* in sync: only this request failed */
		return false;
	}
	return true;
}

/* Send one SHMEM request (with `fd` if ≥ 0) and wait for its reply. */
static bool backend_request(struct vu_conn *conn, uint32_t request, const struct vu_mmap *m, int fd)
{
	struct vu_header hdr = {
		.request = request,
		.flags = VU_FLAG_VERSION | VU_FLAG_NEED_REPLY,
		.size = sizeof(*m),
	};
	struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {(void *)m, sizeof(*m)}};
	ssize_t n = fdpass_sendv(conn->backend_req_fd, iov, 2, &fd, fd >= 0 ? 1 : 0, 0);
	/* Whatever happens now, the channel is only trusted again after a reply. */
	conn->shm_broken = true;
	if (n != (ssize_t)(sizeof(hdr) + sizeof(*m))) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "vhost-user: back-end request %u", request);
		return false;
	}
	bool ok = recv_reply(conn, request);
	if (ok)
		conn->shm_broken = false;
	return ok;
}

static struct vu_shm_map *find_map(struct vu_conn *conn, uint32_t res_id)
{
	for (size_t i = 0; i < conn->num_shm_maps; i++) {
		if (conn->shm_maps[i].res_id == res_id)
			return &conn->shm_maps[i];
	}
	return NULL;
}

static void unmap_resource(struct vu_conn *conn, uint32_t res_id)
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
	if (vu_shm_enabled(conn))
		backend_request(conn, VU_BACKEND_SHMEM_UNMAP, &m, -1);
}

void vu_shm_command(struct vu_conn *conn, const uint8_t *cmd, size_t size, struct vu_pending *p)
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
		unmap_resource(conn, res_id);
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

bool vu_shm_map_blob(struct vu_conn *conn, const struct vu_pending *p, const void *resp,
		     size_t size, int fd)
{
	struct virtio_gpu_ctrl_hdr hdr;
	if (size < sizeof(hdr))
		return true;
	memcpy(&hdr, resp, sizeof(hdr));
	if (le32toh(hdr.type) != VIRTIO_GPU_RESP_OK_MAP_INFO)
		return true; /* the device's own error goes to the guest */
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct gpu_model_resource *res = gpu_model_lookup_resource(conn->dev, p->map_res);
	if (!vu_shm_enabled(conn) || fd < 0 || !res || res->size == 0 || res->size > VU_SHM_SIZE) {
		vsomm_log(VSOMM_LOG_ERROR, "vhost-user: MAP_BLOB of resource %u: no region to map",
			  p->map_res);
		return false;
	}
	uint64_t len = (res->size + page - 1) / page * page;
	if (p->map_offset % page || p->map_offset > VU_SHM_SIZE - len ||
	    find_map(conn, p->map_res)) {
		vsomm_log(
			VSOMM_LOG_ERROR,
			"vhost-user: MAP_BLOB of resource %u at %#llx: bad offset or mapped twice",
			p->map_res, (unsigned long long)p->map_offset);
		return false;
	}
	if (conn->num_shm_maps == conn->cap_shm_maps) {
		size_t cap = conn->cap_shm_maps ? conn->cap_shm_maps * 2 : 16;
		struct vu_shm_map *maps = realloc(conn->shm_maps, cap * sizeof(*maps));
		if (!maps)
			return false;
		conn->shm_maps = maps;
		conn->cap_shm_maps = cap;
	}
	int map_fd = writable_fd(res, fd, len);
	if (map_fd < 0) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "vhost-user: MAP_BLOB of resource %u: memory",
				p->map_res);
		return false;
	}
	struct vu_mmap m = {
		.shmid = VU_SHM_ID_HOST_VISIBLE,
		.fd_offset = 0,
		.shm_offset = htole64(p->map_offset),
		.len = htole64(len),
		.flags = htole64(VU_SHMEM_MAP_RW),
	};
	bool ok = backend_request(conn, VU_BACKEND_SHMEM_MAP, &m, map_fd);
	close(map_fd); /* the front-end has its own copy of the fd */
	if (ok)
		conn->shm_maps[conn->num_shm_maps++] = (struct vu_shm_map){
			.res_id = p->map_res, .offset = p->map_offset, .len = len};
	return ok;
}

void vu_shm_reset(struct vu_conn *conn)
{
	free(conn->shm_maps);
	conn->shm_maps = NULL;
	conn->num_shm_maps = conn->cap_shm_maps = 0;
}
