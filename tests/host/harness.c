/* SPDX-License-Identifier: MIT */
#include "tests/host/harness.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_gpu.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "cross-domain/protocol.h"

static void handle_complete(void *transport, uint64_t cookie, const void *resp, size_t size,
			    int fd)
{
	struct harness *h = transport;
	CHECK(cookie < MAX_RESPONSES);
	struct response *r = &h->resp[cookie];
	CHECK(!r->done); /* exactly one response per command */
	CHECK(size >= sizeof(struct virtio_gpu_ctrl_hdr));
	struct virtio_gpu_ctrl_hdr hdr;
	memcpy(&hdr, resp, sizeof(hdr));
	r->done = true;
	r->type = hdr.type;
	r->flags = hdr.flags;
	r->fence_id = hdr.fence_id;
	r->ring_idx = hdr.ring_idx;
	size_t body = size - sizeof(hdr);
	memcpy(r->data, (const uint8_t *)resp + sizeof(hdr), body < sizeof(r->data) ? body : sizeof(r->data));
	if (hdr.type == VIRTIO_GPU_RESP_OK_MAP_INFO) {
		struct virtio_gpu_resp_map_info info;
		CHECK(size >= sizeof(info));
		memcpy(&info, resp, sizeof(info));
		r->map_info = info.map_info;
	}
	r->fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
}

static const struct gpu_model_transport_ops transport_ops = {.complete = handle_complete};

void harness_init(struct harness *h)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->dir, sizeof(h->dir), "/tmp/vsomm-test-host-XXXXXX");
	CHECK(mkdtemp(h->dir));
	snprintf(h->compositor_path, sizeof(h->compositor_path), "%s/wayland-test", h->dir);
	h->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(h->listen_fd >= 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	CHECK(strlen(h->compositor_path) < sizeof(addr.sun_path));
	memcpy(addr.sun_path, h->compositor_path, strlen(h->compositor_path) + 1);
	CHECK(bind(h->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	CHECK(listen(h->listen_fd, 64) == 0);

	h->loop = wl_event_loop_create();
	CHECK(h->loop);
	h->config.loop = h->loop;
	h->config.compositor_path = h->compositor_path;
	h->config.trace = true;
	static const struct gpu_model_capset_ops *const capsets[] = {&xdomain_service_capset, NULL};
	struct gpu_model_config config = {
		.capsets = capsets,
		.capset_data = &h->config,
		.transport_ops = &transport_ops,
		.transport = h,
	};
	h->dev = gpu_model_create(&config);
	CHECK(h->dev);
	h->next_cookie = 1;
}

void harness_finish(struct harness *h)
{
	gpu_model_destroy(h->dev);
	for (size_t i = 0; i < MAX_RESPONSES; i++) {
		if (h->resp[i].done && h->resp[i].fd >= 0)
			close(h->resp[i].fd);
	}
	wl_event_loop_destroy(h->loop);
	close(h->listen_fd);
	unlink(h->compositor_path);
	rmdir(h->dir);
}

uint64_t harness_cmd(struct harness *h, const void *cmd, size_t size,
		     struct gpu_model_backing *backing)
{
	CHECK(h->next_cookie < MAX_RESPONSES);
	uint64_t cookie = h->next_cookie++;
	h->resp[cookie].fd = -1;
	gpu_model_process(h->dev, cmd, size, backing, cookie);
	return cookie;
}

struct response *harness_resp(struct harness *h, uint64_t cookie)
{
	return &h->resp[cookie];
}

void harness_dispatch(struct harness *h, int timeout_ms)
{
	wl_event_loop_dispatch(h->loop, timeout_ms);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

bool harness_wait(struct harness *h, uint64_t cookie)
{
	double end = now() + 5;
	while (!h->resp[cookie].done && now() < end)
		wl_event_loop_dispatch(h->loop, 50);
	return h->resp[cookie].done;
}

static uint32_t immediate(struct harness *h, uint64_t cookie)
{
	struct response *r = &h->resp[cookie];
	CHECK(r->done);
	return r->type;
}

uint32_t ctx_create(struct harness *h, uint32_t ctx_id)
{
	struct virtio_gpu_ctx_create cmd = {
		.hdr = {.type = VIRTIO_GPU_CMD_CTX_CREATE, .ctx_id = ctx_id},
		.nlen = 9,
		.context_init = XDOMAIN_CAPSET_ID,
	};
	memcpy(cmd.debug_name, "test-host", 9);
	return immediate(h, harness_cmd(h, &cmd, sizeof(cmd), NULL));
}

uint32_t ctx_destroy(struct harness *h, uint32_t ctx_id)
{
	struct virtio_gpu_ctx_destroy cmd = {
		.hdr = {.type = VIRTIO_GPU_CMD_CTX_DESTROY, .ctx_id = ctx_id},
	};
	return immediate(h, harness_cmd(h, &cmd, sizeof(cmd), NULL));
}

uint32_t guest_blob_fd(struct harness *h, uint32_t res_id, int memfd, size_t size,
		       uint8_t **mem)
{
	void *addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	CHECK(addr != MAP_FAILED);
	struct gpu_model_backing backing = {.addr = addr, .size = size, .fd = memfd, .owned = true};
	struct virtio_gpu_resource_create_blob cmd = {
		.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB},
		.resource_id = res_id,
		.blob_mem = VIRTIO_GPU_BLOB_MEM_GUEST,
		.blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE,
		.size = size,
	};
	if (mem)
		*mem = addr;
	return immediate(h, harness_cmd(h, &cmd, sizeof(cmd), &backing));
}

uint32_t guest_blob(struct harness *h, uint32_t res_id, size_t size, uint8_t **mem)
{
	int fd = memfd_create("test-guest-blob", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, (off_t)size) == 0);
	return guest_blob_fd(h, res_id, fd, size, mem);
}

static uint32_t ctx_resource(struct harness *h, uint32_t type, uint32_t ctx_id, uint32_t res_id)
{
	struct virtio_gpu_ctx_resource cmd = {
		.hdr = {.type = type, .ctx_id = ctx_id},
		.resource_id = res_id,
	};
	return immediate(h, harness_cmd(h, &cmd, sizeof(cmd), NULL));
}

uint32_t attach(struct harness *h, uint32_t ctx_id, uint32_t res_id)
{
	return ctx_resource(h, VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, ctx_id, res_id);
}

uint32_t detach(struct harness *h, uint32_t ctx_id, uint32_t res_id)
{
	return ctx_resource(h, VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE, ctx_id, res_id);
}

uint32_t host_blob(struct harness *h, uint32_t ctx_id, uint32_t res_id, uint64_t blob_id,
		   uint64_t size)
{
	struct virtio_gpu_resource_create_blob cmd = {
		.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, .ctx_id = ctx_id},
		.resource_id = res_id,
		.blob_mem = VIRTIO_GPU_BLOB_MEM_HOST3D,
		.blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE | VIRTIO_GPU_BLOB_FLAG_USE_SHAREABLE,
		.blob_id = blob_id,
		.size = size,
	};
	return immediate(h, harness_cmd(h, &cmd, sizeof(cmd), NULL));
}

struct response *map_blob(struct harness *h, uint32_t res_id)
{
	struct virtio_gpu_resource_map_blob cmd = {
		.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB},
		.resource_id = res_id,
	};
	uint64_t cookie = harness_cmd(h, &cmd, sizeof(cmd), NULL);
	immediate(h, cookie);
	return harness_resp(h, cookie);
}

uint32_t unref(struct harness *h, uint32_t res_id)
{
	struct virtio_gpu_resource_unref cmd = {
		.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_UNREF},
		.resource_id = res_id,
	};
	return immediate(h, harness_cmd(h, &cmd, sizeof(cmd), NULL));
}

uint64_t submit(struct harness *h, uint32_t ctx_id, const void *bytes, size_t size, int ring,
		uint64_t fence_id)
{
	size_t total = sizeof(struct virtio_gpu_cmd_submit) + size;
	uint8_t *buf = calloc(1, total);
	CHECK(buf);
	struct virtio_gpu_cmd_submit cmd = {
		.hdr = {.type = VIRTIO_GPU_CMD_SUBMIT_3D, .ctx_id = ctx_id},
		.size = (uint32_t)size,
	};
	if (ring >= 0) {
		cmd.hdr.flags = VIRTIO_GPU_FLAG_FENCE | VIRTIO_GPU_FLAG_INFO_RING_IDX;
		cmd.hdr.fence_id = fence_id;
		cmd.hdr.ring_idx = (uint8_t)ring;
	}
	memcpy(buf, &cmd, sizeof(cmd));
	memcpy(buf + sizeof(cmd), bytes, size);
	uint64_t cookie = harness_cmd(h, buf, total, NULL);
	free(buf);
	return cookie;
}

uint32_t submit_now(struct harness *h, uint32_t ctx_id, const void *bytes, size_t size)
{
	return immediate(h, submit(h, ctx_id, bytes, size, -1, 0));
}

size_t make_init(uint8_t *buf, uint32_t query_ring, uint32_t channel_ring, uint32_t type)
{
	struct xdomain_init init = {
		.hdr = {.cmd = XDOMAIN_CMD_INIT, .cmd_size = sizeof(init)},
		.query_ring_id = query_ring,
		.channel_ring_id = channel_ring,
		.channel_type = type,
	};
	memcpy(buf, &init, sizeof(init));
	return sizeof(init);
}

size_t make_send(uint8_t *buf, size_t cap, const uint32_t *ids, const uint32_t *types, size_t n,
		 const void *payload, size_t size)
{
	struct xdomain_send_receive send = {
		.hdr = {.cmd = XDOMAIN_CMD_SEND, .cmd_size = (uint16_t)(sizeof(send) + size)},
		.num_identifiers = (uint32_t)n,
		.opaque_data_size = (uint32_t)size,
	};
	for (size_t i = 0; i < n && i < XDOMAIN_MAX_IDENTIFIERS; i++) {
		send.identifiers[i] = ids[i];
		send.identifier_types[i] = types[i];
	}
	CHECK(sizeof(send) + size <= cap);
	memcpy(buf, &send, sizeof(send));
	if (size)
		memcpy(buf + sizeof(send), payload, size);
	return sizeof(send) + size;
}

size_t make_write(uint8_t *buf, uint32_t id, uint32_t hang_up, const void *payload, size_t size)
{
	struct xdomain_read_write w = {
		.hdr = {.cmd = XDOMAIN_CMD_WRITE, .cmd_size = (uint16_t)(sizeof(w) + size)},
		.identifier = id,
		.hang_up = hang_up,
		.opaque_data_size = (uint32_t)size,
	};
	memcpy(buf, &w, sizeof(w));
	if (size)
		memcpy(buf + sizeof(w), payload, size);
	return sizeof(w) + size;
}

void gctx_init(struct harness *h, struct gctx *g, uint32_t ctx_id)
{
	memset(g, 0, sizeof(*g));
	g->id = ctx_id;
	g->query_ring = ctx_id * 1000 + 1;
	g->channel_ring = ctx_id * 1000 + 2;
	g->comp = -1;
	g->next_fence = 1;
	g->next_pipe_id = XDOMAIN_PIPE_READ_START;
	CHECK(ctx_create(h, ctx_id) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(guest_blob(h, g->query_ring, 4096, &g->query) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(guest_blob(h, g->channel_ring, 4096, &g->channel) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(attach(h, ctx_id, g->query_ring) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(attach(h, ctx_id, g->channel_ring) == VIRTIO_GPU_RESP_OK_NODATA);
	uint8_t buf[32];
	size_t n = make_init(buf, g->query_ring, g->channel_ring, XDOMAIN_CHANNEL_TYPE_WAYLAND);
	CHECK(submit_now(h, ctx_id, buf, n) == VIRTIO_GPU_RESP_OK_NODATA);
	struct pollfd pfd = {.fd = h->listen_fd, .events = POLLIN};
	CHECK(poll(&pfd, 1, 5000) == 1);
	g->comp = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	CHECK(g->comp >= 0);
}

uint64_t gctx_poll(struct harness *h, struct gctx *g)
{
	struct xdomain_poll poll_cmd = {.hdr = {.cmd = XDOMAIN_CMD_POLL, .cmd_size = sizeof(poll_cmd)}};
	return submit(h, g->id, &poll_cmd, sizeof(poll_cmd), XDOMAIN_CHANNEL_RING, g->next_fence++);
}

bool gctx_poll_wait(struct harness *h, struct gctx *g)
{
	uint64_t cookie = gctx_poll(h, g);
	if (!harness_wait(h, cookie))
		return false;
	struct response *r = harness_resp(h, cookie);
	CHECK(r->type == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(r->fence_id == g->next_fence - 1);
	CHECK(r->ring_idx == XDOMAIN_CHANNEL_RING);
	return true;
}

uint32_t gctx_pipe_id(struct gctx *g)
{
	g->next_pipe_id++;
	if (g->next_pipe_id < XDOMAIN_PIPE_READ_START)
		g->next_pipe_id = XDOMAIN_PIPE_READ_START;
	return g->next_pipe_id;
}

ssize_t comp_recv(int fd, void *buf, size_t size, int *fds, size_t *nfds, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	union {
		char buf[CMSG_SPACE(sizeof(int) * XDOMAIN_MAX_IDENTIFIERS)];
		struct cmsghdr align;
	} cmsg;
	struct iovec iov = {.iov_base = buf, .iov_len = size};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cmsg.buf,
		.msg_controllen = sizeof(cmsg.buf),
	};
	ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	size_t count = 0;
	if (n >= 0) {
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k; i++) {
				CHECK(fds && count < XDOMAIN_MAX_IDENTIFIERS);
				memcpy(&fds[count++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			}
		}
	}
	if (nfds)
		*nfds = count;
	return n;
}

ssize_t comp_send(int fd, const void *buf, size_t size, const int *fds, size_t nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * XDOMAIN_MAX_IDENTIFIERS)];
		struct cmsghdr align;
	} cmsg;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = size};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds > 0) {
		memset(&cmsg, 0, sizeof(cmsg));
		msg.msg_control = cmsg.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(fd, &msg, MSG_NOSIGNAL);
}
