/* SPDX-License-Identifier: MIT */
/*
 * The host cross-domain context (capset 5) driven through the real device model
 * with raw virtio-gpu commands, against a fake compositor socket.  Every case
 * checks that the test process has as many fds at its end as at its start.
 *
 *   test-host [CASE]   (no argument: every case)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_gpu.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "cross-domain/protocol.h"
#include "tests/host/harness.h"

#define PIPE_TEST_BYTES (1u << 20)
#define DRM_FORMAT_XRGB8888 0x34325258u

static uint8_t pattern(size_t i)
{
	return (uint8_t)((i * 7 + 3) % 251);
}

static struct xdomain_send_receive ring_receive(const struct gctx *g)
{
	struct xdomain_send_receive msg;
	memcpy(&msg, g->channel, sizeof(msg));
	return msg;
}

static int make_memfd(const char *content, size_t size, unsigned seals)
{
	int fd = memfd_create("test-memfd", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, (off_t)size) == 0);
	CHECK(pwrite(fd, content, strlen(content), 0) == (ssize_t)strlen(content));
	if (seals)
		CHECK(fcntl(fd, F_ADD_SEALS, seals) == 0);
	return fd;
}

static void test_capset(struct harness *h)
{
	struct virtio_gpu_get_capset_info info = {
		.hdr = {.type = VIRTIO_GPU_CMD_GET_CAPSET_INFO},
		.capset_index = 0,
	};
	struct response *r = harness_resp(h, harness_cmd(h, &info, sizeof(info), NULL));
	CHECK(r->done && r->type == VIRTIO_GPU_RESP_OK_CAPSET_INFO);
	uint32_t words[3];
	memcpy(words, r->data, sizeof(words));
	CHECK(words[0] == 5 && words[1] == 0 && words[2] == 16);

	struct virtio_gpu_get_capset get = {
		.hdr = {.type = VIRTIO_GPU_CMD_GET_CAPSET},
		.capset_id = 5,
		.capset_version = 0,
	};
	r = harness_resp(h, harness_cmd(h, &get, sizeof(get), NULL));
	CHECK(r->done && r->type == VIRTIO_GPU_RESP_OK_CAPSET);
	struct xdomain_capabilities caps;
	memcpy(&caps, r->data, sizeof(caps));
	CHECK(caps.version == 1 && caps.supported_channels == 2);
	CHECK(caps.supports_dmabuf == 0 && caps.supports_external_gpu_memory == 0);
}

static void test_send_blob(struct harness *h)
{
	struct gctx g;
	gctx_init(h, &g, 1);
	CHECK(xdomain_service_live_contexts() == 1);
	int memfd = make_memfd("hello-blob", 4096, 0);
	CHECK(guest_blob_fd(h, 50, memfd, 4096, NULL) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(attach(h, 1, 50) == VIRTIO_GPU_RESP_OK_NODATA);

	uint8_t buf[4096];
	uint32_t ids[] = {50}, types[] = {XDOMAIN_ID_TYPE_VIRTGPU_BLOB};
	size_t n = make_send(buf, sizeof(buf), ids, types, 1, "wayland-bytes", 13);
	CHECK(submit_now(h, 1, buf, n) == VIRTIO_GPU_RESP_OK_NODATA);

	char got[64];
	int fds[XDOMAIN_MAX_IDENTIFIERS];
	size_t nfds;
	CHECK(comp_recv(g.comp, got, sizeof(got), fds, &nfds, 5000) == 13);
	CHECK(memcmp(got, "wayland-bytes", 13) == 0);
	CHECK(nfds == 1);
	char content[16] = {0};
	CHECK(pread(fds[0], content, 10, 0) == 10);
	CHECK(memcmp(content, "hello-blob", 10) == 0);
	close(fds[0]);
	close(g.comp);
}

/* The compositor does not read for a while: the host queues, never blocks. */
static void test_send_backpressure(struct harness *h)
{
	struct gctx g;
	gctx_init(h, &g, 1);
	int memfd = make_memfd("x", 4096, 0);
	CHECK(guest_blob_fd(h, 50, memfd, 4096, NULL) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(attach(h, 1, 50) == VIRTIO_GPU_RESP_OK_NODATA);

	enum {
		MSGS = 200,
		SIZE = 3000
	};
	uint8_t payload[SIZE], buf[4096];
	for (size_t m = 0; m < MSGS; m++) {
		for (size_t i = 0; i < SIZE; i++)
			payload[i] = pattern(m * SIZE + i);
		uint32_t ids[] = {50}, types[] = {XDOMAIN_ID_TYPE_VIRTGPU_BLOB};
		size_t n = make_send(buf, sizeof(buf), ids, types, m % 10 == 0, payload, SIZE);
		CHECK(submit_now(h, 1, buf, n) == VIRTIO_GPU_RESP_OK_NODATA);
	}
	size_t total = 0, fd_total = 0;
	uint8_t *got = malloc(MSGS * SIZE);
	CHECK(got);
	while (total < MSGS * SIZE) {
		harness_dispatch(h, 0);
		int fds[XDOMAIN_MAX_IDENTIFIERS];
		size_t nfds;
		ssize_t n = comp_recv(g.comp, got + total, MSGS * SIZE - total, fds, &nfds, 1000);
		CHECK(n > 0);
		total += (size_t)n;
		fd_total += nfds;
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
	}
	for (size_t i = 0; i < total; i++)
		CHECK(got[i] == pattern(i));
	CHECK(fd_total == MSGS / 10);
	free(got);
	close(g.comp);
}

static void test_receive_blob(struct harness *h)
{
	struct gctx g;
	gctx_init(h, &g, 1);
	int rw = make_memfd("keymap-data", 4096, 0);
	int sealed = make_memfd("sealed-data", 8192, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW);
	int fds[] = {rw, sealed};
	CHECK(comp_send(g.comp, "event-bytes", 11, fds, 2) == 11);
	close(rw);
	close(sealed);
	CHECK(gctx_poll_wait(h, &g));
	struct xdomain_send_receive msg = ring_receive(&g);
	CHECK(msg.hdr.cmd == XDOMAIN_CMD_RECEIVE && msg.hdr.cmd_size == 0);
	CHECK(msg.num_identifiers == 2 && msg.opaque_data_size == 11);
	CHECK(memcmp(g.channel + sizeof(msg), "event-bytes", 11) == 0);
	CHECK(msg.identifier_types[0] == XDOMAIN_ID_TYPE_VIRTGPU_BLOB);
	CHECK(msg.identifier_types[1] == XDOMAIN_ID_TYPE_VIRTGPU_BLOB);
	CHECK(msg.identifier_sizes[0] == 4096 && msg.identifier_sizes[1] == 8192);
	CHECK(msg.identifiers[0] >= 2 && msg.identifiers[1] == msg.identifiers[0] + 1);

	/* larger than the fd: refused, the item stays */
	CHECK(host_blob(h, 1, 60, msg.identifiers[0], 8192) != VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(host_blob(h, 1, 60, msg.identifiers[0], 4096) == VIRTIO_GPU_RESP_OK_NODATA);
	struct response *r = map_blob(h, 60);
	CHECK(r->type == VIRTIO_GPU_RESP_OK_MAP_INFO && r->fd >= 0);
	CHECK(r->map_info ==
	      (XDOMAIN_MAP_CACHE_CACHED | XDOMAIN_MAP_ACCESS_READ | XDOMAIN_MAP_ACCESS_WRITE));
	char content[16] = {0};
	CHECK(pread(r->fd, content, 11, 0) == 11 && memcmp(content, "keymap-data", 11) == 0);

	CHECK(host_blob(h, 1, 61, msg.identifiers[1], 8192) == VIRTIO_GPU_RESP_OK_NODATA);
	r = map_blob(h, 61);
	CHECK(r->type == VIRTIO_GPU_RESP_OK_MAP_INFO && r->fd >= 0);
	CHECK(r->map_info == (XDOMAIN_MAP_CACHE_CACHED | XDOMAIN_MAP_ACCESS_READ));
	CHECK(pread(r->fd, content, 11, 0) == 11 && memcmp(content, "sealed-data", 11) == 0);

	/* an fd kind the protocol cannot carry is dropped, the channel lives on */
	int p[2];
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	CHECK(comp_send(g.comp, "with-read-end", 13, &p[0], 1) == 13);
	close(p[0]);
	CHECK(gctx_poll_wait(h, &g));
	msg = ring_receive(&g);
	CHECK(msg.hdr.cmd == XDOMAIN_CMD_RECEIVE && msg.num_identifiers == 0);
	CHECK(msg.opaque_data_size == 13);
	/* the host closed its copy of the read end: the writer sees EPIPE */
	CHECK(write(p[1], "x", 1) == -1 && errno == EPIPE);
	close(p[1]);
	close(g.comp);
}

static void test_read_pipe(struct harness *h)
{
	struct gctx g;
	gctx_init(h, &g, 1);
	uint32_t id = gctx_pipe_id(&g);
	CHECK(id == 0x80000001u);
	uint8_t buf[4096];
	uint32_t ids[] = {id}, types[] = {XDOMAIN_ID_TYPE_READ_PIPE};
	size_t n = make_send(buf, sizeof(buf), ids, types, 1, "r", 1);
	CHECK(submit_now(h, 1, buf, n) == VIRTIO_GPU_RESP_OK_NODATA);
	int fds[XDOMAIN_MAX_IDENTIFIERS];
	size_t nfds;
	CHECK(comp_recv(g.comp, buf, sizeof(buf), fds, &nfds, 5000) == 1 && nfds == 1);
	int w = fds[0];
	CHECK((fcntl(w, F_GETFL) & O_ACCMODE) == O_WRONLY);
	CHECK(fcntl(w, F_SETFL, O_NONBLOCK) == 0);

	uint8_t *data = malloc(PIPE_TEST_BYTES), *got = malloc(PIPE_TEST_BYTES);
	CHECK(data && got);
	for (size_t i = 0; i < PIPE_TEST_BYTES; i++)
		data[i] = pattern(i);
	size_t written = 0, received = 0;
	bool hung_up = false;
	for (int rounds = 0; !hung_up && rounds < 10000; rounds++) {
		while (w >= 0 && written < PIPE_TEST_BYTES) {
			ssize_t k = write(w, data + written, PIPE_TEST_BYTES - written);
			if (k < 0) {
				CHECK(errno == EAGAIN);
				break;
			}
			written += (size_t)k;
		}
		if (w >= 0 && written == PIPE_TEST_BYTES) {
			close(w);
			w = -1;
		}
		CHECK(gctx_poll_wait(h, &g));
		struct xdomain_read_write rd;
		memcpy(&rd, g.channel, sizeof(rd));
		CHECK(rd.hdr.cmd == XDOMAIN_CMD_READ && rd.identifier == id);
		CHECK(rd.opaque_data_size <= XDOMAIN_MAX_READ_BYTES && rd.hang_up <= 1);
		CHECK(received + rd.opaque_data_size <= PIPE_TEST_BYTES);
		memcpy(got + received, g.channel + sizeof(rd), rd.opaque_data_size);
		received += rd.opaque_data_size;
		hung_up = rd.hang_up;
	}
	CHECK(hung_up && received == PIPE_TEST_BYTES);
	CHECK(memcmp(data, got, PIPE_TEST_BYTES) == 0);
	free(data);
	free(got);

	/* the id sequence continues after the pipe is gone */
	id = gctx_pipe_id(&g);
	ids[0] = id;
	n = make_send(buf, sizeof(buf), ids, types, 1, "s", 1);
	CHECK(submit_now(h, 1, buf, n) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(comp_recv(g.comp, buf, sizeof(buf), fds, &nfds, 5000) == 1 && nfds == 1);
	close(fds[0]);
	close(g.comp);
}

static void test_write_pipe(struct harness *h)
{
	struct gctx g;
	gctx_init(h, &g, 1);
	int p[2];
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	CHECK(comp_send(g.comp, "s", 1, &p[1], 1) == 1);
	close(p[1]);
	CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
	CHECK(gctx_poll_wait(h, &g));
	struct xdomain_send_receive msg = ring_receive(&g);
	CHECK(msg.num_identifiers == 1 && msg.opaque_data_size == 1);
	CHECK(msg.identifier_types[0] == XDOMAIN_ID_TYPE_WRITE_PIPE);
	CHECK(msg.identifier_sizes[0] == 0);
	uint32_t id = msg.identifiers[0];

	/* one byte more: the reads below ask for one more to see a byte too many */
	uint8_t *got = malloc(PIPE_TEST_BYTES + 1);
	uint8_t chunk[XDOMAIN_MAX_WRITE_BYTES], buf[4096];
	CHECK(got);
	size_t sent = 0, received = 0;
	while (sent < PIPE_TEST_BYTES) {
		size_t k = PIPE_TEST_BYTES - sent < sizeof(chunk) ? PIPE_TEST_BYTES - sent
								  : sizeof(chunk);
		for (size_t i = 0; i < k; i++)
			chunk[i] = pattern(sent + i);
		size_t n = make_write(buf, id, 0, chunk, k);
		CHECK(submit_now(h, 1, buf, n) == VIRTIO_GPU_RESP_OK_NODATA);
		sent += k;
		if (sent % (16 * sizeof(chunk)) == 0) {
			harness_dispatch(h, 0);
			ssize_t r = read(p[0], got + received, PIPE_TEST_BYTES - received);
			if (r > 0)
				received += (size_t)r;
		}
	}
	size_t n = make_write(buf, id, 1, NULL, 0);
	CHECK(submit_now(h, 1, buf, n) == VIRTIO_GPU_RESP_OK_NODATA);
	for (int rounds = 0; rounds < 5000; rounds++) {
		harness_dispatch(h, 1);
		ssize_t r = read(p[0], got + received, PIPE_TEST_BYTES - received + 1);
		if (r == 0)
			break;
		if (r < 0) {
			CHECK(errno == EAGAIN);
			continue;
		}
		received += (size_t)r;
	}
	CHECK(received == PIPE_TEST_BYTES);
	for (size_t i = 0; i < received; i++)
		CHECK(got[i] == pattern(i));
	CHECK(read(p[0], buf, 1) == 0); /* EOF: the host closed after the queue drained */
	free(got);
	close(p[0]);

	/* a WRITE after the hang-up names a pipe that is gone */
	n = make_write(buf, id, 0, "x", 1);
	CHECK(submit_now(h, 1, buf, n) == VIRTIO_GPU_RESP_ERR_UNSPEC);
	close(g.comp);
}

static uint64_t image_request(struct harness *h, uint32_t ctx_id, uint32_t w, uint32_t hgt,
			      uint32_t format, uint64_t fence)
{
	struct xdomain_get_image_requirements req = {
		.hdr = {.cmd = XDOMAIN_CMD_GET_IMAGE_REQUIREMENTS, .cmd_size = sizeof(req)},
		.width = w,
		.height = hgt,
		.drm_format = format,
		.flags = XDOMAIN_GRALLOC_LINEAR | XDOMAIN_GRALLOC_SCANOUT,
	};
	uint64_t cookie = submit(h, ctx_id, &req, sizeof(req), XDOMAIN_QUERY_RING, fence);
	struct response *r = harness_resp(h, cookie);
	CHECK(r->done && r->type == VIRTIO_GPU_RESP_OK_NODATA && r->fence_id == fence);
	return cookie;
}

static void test_image_requirements(struct harness *h)
{
	/* a query-only context: channel type 0, no compositor connection */
	CHECK(ctx_create(h, 3) == VIRTIO_GPU_RESP_OK_NODATA);
	uint8_t *query;
	CHECK(guest_blob(h, 3001, 4096, &query) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(attach(h, 3, 3001) == VIRTIO_GPU_RESP_OK_NODATA);
	uint8_t buf[64];
	size_t n = make_init(buf, 3001, 0, XDOMAIN_CHANNEL_TYPE_NONE);
	CHECK(submit_now(h, 3, buf, n) == VIRTIO_GPU_RESP_OK_NODATA);
	struct pollfd pfd = {.fd = h->listen_fd, .events = POLLIN};
	CHECK(poll(&pfd, 1, 0) == 0); /* nobody connected */

	image_request(h, 3, 64, 32, DRM_FORMAT_XRGB8888, 1);
	struct xdomain_image_requirements reqs;
	memcpy(&reqs, query, sizeof(reqs));
	long page = sysconf(_SC_PAGESIZE);
	uint64_t expect = (64 * 32 * 4 + (uint64_t)page - 1) / (uint64_t)page * (uint64_t)page;
	CHECK(reqs.strides[0] == 256 && reqs.offsets[0] == 0 && reqs.modifier == 0);
	CHECK(reqs.size == expect && reqs.blob_id == 2 &&
	      reqs.map_info == XDOMAIN_MAP_CACHE_CACHED);
	CHECK(reqs.memory_idx == -1 && reqs.physical_device_idx == -1);

	/* the same request again: the same persistent item */
	memset(query, 0xff, 64);
	image_request(h, 3, 64, 32, DRM_FORMAT_XRGB8888, 2);
	struct xdomain_image_requirements again;
	memcpy(&again, query, sizeof(again));
	CHECK(memcmp(&again, &reqs, sizeof(reqs)) == 0);

	/* unknown format: zeros, size 0 */
	memset(query, 0xff, 64);
	image_request(h, 3, 64, 32, 0x12345678u, 3);
	for (size_t i = 0; i < 64; i++)
		CHECK(query[i] == 0);

	/* a blob of the wrong size is refused and the context lives on */
	CHECK(host_blob(h, 3, 70, reqs.blob_id, reqs.size + 4096) != VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(host_blob(h, 3, 70, reqs.blob_id, reqs.size) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(host_blob(h, 3, 71, reqs.blob_id, reqs.size) == VIRTIO_GPU_RESP_OK_NODATA);
	struct response *r = map_blob(h, 70);
	CHECK(r->type == VIRTIO_GPU_RESP_OK_MAP_INFO && r->fd >= 0);
	CHECK(r->map_info ==
	      (XDOMAIN_MAP_CACHE_CACHED | XDOMAIN_MAP_ACCESS_READ | XDOMAIN_MAP_ACCESS_WRITE));
	struct stat st;
	CHECK(fstat(r->fd, &st) == 0 && (uint64_t)st.st_size == reqs.size);
	CHECK(fcntl(r->fd, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL));
	CHECK(unref(h, 70) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(unref(h, 71) == VIRTIO_GPU_RESP_OK_NODATA);

	/* no channel: a POLL fence is not left hanging */
	struct xdomain_poll poll_cmd = {.hdr = {.cmd = XDOMAIN_CMD_POLL, .cmd_size = 16}};
	uint64_t cookie = submit(h, 3, &poll_cmd, sizeof(poll_cmd), XDOMAIN_CHANNEL_RING, 9);
	CHECK(harness_resp(h, cookie)->done);
	image_request(h, 3, 16, 16, DRM_FORMAT_XRGB8888, 10);
}

static void test_compositor_eof(struct harness *h)
{
	struct gctx g;
	gctx_init(h, &g, 1);
	uint64_t cookie = gctx_poll(h, &g);
	harness_dispatch(h, 50);
	CHECK(!harness_resp(h, cookie)->done); /* held while nothing arrives */
	memset(g.channel, 0xff, sizeof(struct xdomain_send_receive));
	close(g.comp);
	CHECK(harness_wait(h, cookie));
	struct xdomain_send_receive msg = ring_receive(&g);
	CHECK(msg.hdr.cmd == XDOMAIN_CMD_RECEIVE && msg.num_identifiers == 0 &&
	      msg.opaque_data_size == 0);
	/* every later POLL gets an empty RECEIVE at once */
	for (int i = 0; i < 3; i++) {
		memset(g.channel, 0xff, sizeof(msg));
		cookie = gctx_poll(h, &g);
		CHECK(harness_resp(h, cookie)->done);
		msg = ring_receive(&g);
		CHECK(msg.hdr.cmd == XDOMAIN_CMD_RECEIVE && msg.num_identifiers == 0);
	}
	/* sending to a closed compositor is not the guest's error */
	uint8_t buf[512];
	size_t n = make_send(buf, sizeof(buf), NULL, NULL, 0, "late", 4);
	CHECK(submit_now(h, 1, buf, n) == VIRTIO_GPU_RESP_OK_NODATA);
}

/* A guest with two POLLs outstanding: both held, one message each, in order. */
static void test_two_polls(struct harness *h)
{
	struct gctx g;
	gctx_init(h, &g, 1);
	uint64_t first = gctx_poll(h, &g), second = gctx_poll(h, &g);
	CHECK(comp_send(g.comp, "A", 1, NULL, 0) == 1);
	CHECK(harness_wait(h, first));
	harness_dispatch(h, 20);
	CHECK(!harness_resp(h, second)->done);
	struct xdomain_send_receive msg = ring_receive(&g);
	CHECK(msg.opaque_data_size == 1 && g.channel[sizeof(msg)] == 'A');
	CHECK(comp_send(g.comp, "B", 1, NULL, 0) == 1);
	CHECK(harness_wait(h, second));
	msg = ring_receive(&g);
	CHECK(msg.opaque_data_size == 1 && g.channel[sizeof(msg)] == 'B');
	close(g.comp);
}

/* ---- malformed commands: each ends its own context only ---- */

struct bad_case {
	const char *name;
	bool hold_poll; /* a POLL is outstanding when the bad command comes */
	/* Build the bad submit; or do something else bad and return 0. */
	size_t (*build)(struct harness *h, struct gctx *g, uint8_t *buf, size_t cap);
};

static size_t bad_cmd_size_zero(struct harness *h, struct gctx *g, uint8_t *buf, size_t cap)
{
	struct xdomain_poll p = {.hdr = {.cmd = XDOMAIN_CMD_POLL, .cmd_size = 0}};
	memcpy(buf, &p, sizeof(p));
	return sizeof(p);
}

static size_t bad_beyond_buffer(struct harness *h, struct gctx *g, uint8_t *buf, size_t cap)
{
	struct xdomain_poll p = {.hdr = {.cmd = XDOMAIN_CMD_POLL, .cmd_size = 32}};
	memcpy(buf, &p, sizeof(p));
	return sizeof(p);
}

static size_t bad_29_ids(struct harness *h, struct gctx *g, uint8_t *buf, size_t cap)
{
	size_t n = make_send(buf, cap, NULL, NULL, 0, "abc", 3);
	uint32_t num = 29;
	memcpy(buf + offsetof(struct xdomain_send_receive, num_identifiers), &num, 4);
	return n;
}

static size_t bad_payload(struct harness *h, struct gctx *g, uint8_t *buf, size_t cap)
{
	size_t n = make_send(buf, cap, NULL, NULL, 0, "0123456789", 10);
	uint32_t size = 100;
	memcpy(buf + offsetof(struct xdomain_send_receive, opaque_data_size), &size, 4);
	return n;
}

static size_t bad_id_type(struct harness *h, struct gctx *g, uint8_t *buf, size_t cap)
{
	uint32_t ids[] = {g->channel_ring}, types[] = {9};
	return make_send(buf, cap, ids, types, 1, "abc", 3);
}

static size_t bad_sync_type(struct harness *h, struct gctx *g, uint8_t *buf, size_t cap)
{
	uint32_t ids[] = {g->channel_ring}, types[] = {XDOMAIN_ID_TYPE_VIRTGPU_SYNC};
	return make_send(buf, cap, ids, types, 1, "abc", 3);
}

static size_t bad_blob_id(struct harness *h, struct gctx *g, uint8_t *buf, size_t cap)
{
	uint32_t ids[] = {9999}, types[] = {XDOMAIN_ID_TYPE_VIRTGPU_BLOB};
	return make_send(buf, cap, ids, types, 1, "abc", 3);
}

static size_t bad_create_blob_id(struct harness *h, struct gctx *g, uint8_t *buf, size_t cap)
{
	CHECK(host_blob(h, g->id, g->id * 1000 + 77, 12345, 4096) != VIRTIO_GPU_RESP_OK_NODATA);
	return 0;
}

static size_t bad_pipe_id(struct harness *h, struct gctx *g, uint8_t *buf, size_t cap)
{
	uint32_t ids[] = {0x80000005u}, types[] = {XDOMAIN_ID_TYPE_READ_PIPE};
	return make_send(buf, cap, ids, types, 1, "abc", 3);
}

static size_t bad_two_pipes(struct harness *h, struct gctx *g, uint8_t *buf, size_t cap)
{
	uint32_t ids[] = {0x80000001u, 0x80000002u};
	uint32_t types[] = {XDOMAIN_ID_TYPE_READ_PIPE, XDOMAIN_ID_TYPE_READ_PIPE};
	return make_send(buf, cap, ids, types, 2, "abc", 3);
}

static size_t bad_second_init(struct harness *h, struct gctx *g, uint8_t *buf, size_t cap)
{
	return make_init(buf, g->query_ring, g->channel_ring, XDOMAIN_CHANNEL_TYPE_WAYLAND);
}

static size_t bad_write_id(struct harness *h, struct gctx *g, uint8_t *buf, size_t cap)
{
	return make_write(buf, 4242, 0, "abc", 3);
}

static size_t bad_unknown_cmd(struct harness *h, struct gctx *g, uint8_t *buf, size_t cap)
{
	struct xdomain_poll p = {.hdr = {.cmd = XDOMAIN_CMD_RECEIVE, .cmd_size = 16}};
	memcpy(buf, &p, sizeof(p));
	return sizeof(p);
}

static size_t bad_ring(struct harness *h, struct gctx *g, uint8_t *buf, size_t cap)
{
	struct xdomain_poll p = {.hdr = {.cmd = XDOMAIN_CMD_POLL, .cmd_size = 16}};
	uint64_t cookie = submit(h, g->id, &p, sizeof(p), 5, 777);
	CHECK(harness_resp(h, cookie)->done); /* signalled, not left hanging */
	return 0;
}

static const struct bad_case bad_cases[] = {
	{"cmd_size 0", true, bad_cmd_size_zero},
	{"beyond buffer", true, bad_beyond_buffer},
	{"29 identifiers", false, bad_29_ids},
	{"payload past cmd_size", true, bad_payload},
	{"unknown identifier type", false, bad_id_type},
	{"sync identifier type", false, bad_sync_type},
	{"unknown blob id in SEND", true, bad_blob_id},
	{"unknown blob id in create_blob", true, bad_create_blob_id},
	{"wrong read-pipe id", true, bad_pipe_id},
	{"two read pipes", false, bad_two_pipes},
	{"second INIT", true, bad_second_init},
	{"WRITE to unknown pipe", false, bad_write_id},
	{"host-only command", false, bad_unknown_cmd},
	{"unknown ring", true, bad_ring},
};

static void check_dead(struct harness *h, struct gctx *g)
{
	uint8_t buf[512];
	size_t n = make_send(buf, sizeof(buf), NULL, NULL, 0, "abc", 3);
	CHECK(submit_now(h, g->id, buf, n) == VIRTIO_GPU_RESP_ERR_UNSPEC);
	CHECK(harness_resp(h, gctx_poll(h, g))->done); /* fences signalled at once */
}

static void check_alive(struct harness *h, struct gctx *g, const char *word)
{
	uint8_t buf[512];
	size_t n = make_send(buf, sizeof(buf), NULL, NULL, 0, word, strlen(word));
	CHECK(submit_now(h, g->id, buf, n) == VIRTIO_GPU_RESP_OK_NODATA);
	char got[64];
	CHECK(comp_recv(g->comp, got, sizeof(got), NULL, NULL, 5000) == (ssize_t)strlen(word));
	CHECK(memcmp(got, word, strlen(word)) == 0);
}

static void test_malformed(struct harness *h)
{
	struct gctx good;
	gctx_init(h, &good, 1);
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		fprintf(stderr, "malformed: %s\n", c->name);
		struct gctx g;
		gctx_init(h, &g, 10 + (uint32_t)i);
		uint64_t poll_cookie = 0;
		if (c->hold_poll) {
			poll_cookie = gctx_poll(h, &g);
			CHECK(!harness_resp(h, poll_cookie)->done);
			memset(g.channel, 0xff, sizeof(struct xdomain_send_receive));
		}
		uint8_t buf[1024];
		size_t n = c->build(h, &g, buf, sizeof(buf));
		if (n > 0)
			CHECK(submit_now(h, g.id, buf, n) == VIRTIO_GPU_RESP_ERR_UNSPEC);
		if (c->hold_poll) {
			CHECK(harness_resp(h, poll_cookie)->done);
			struct xdomain_send_receive msg = ring_receive(&g);
			CHECK(msg.hdr.cmd == XDOMAIN_CMD_RECEIVE && msg.num_identifiers == 0 &&
			      msg.opaque_data_size == 0);
		}
		/* the compositor connection of that context is closed */
		CHECK(comp_recv(g.comp, buf, sizeof(buf), NULL, NULL, 5000) == 0);
		close(g.comp);
		check_dead(h, &g);
		check_alive(h, &good, c->name);
		CHECK(ctx_destroy(h, g.id) == VIRTIO_GPU_RESP_OK_NODATA);
	}

	/* INIT with rings that are not attached */
	CHECK(ctx_create(h, 40) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(guest_blob(h, 40001, 4096, NULL) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(guest_blob(h, 40002, 4096, NULL) == VIRTIO_GPU_RESP_OK_NODATA);
	uint8_t buf[64];
	size_t n = make_init(buf, 40001, 40002, XDOMAIN_CHANNEL_TYPE_WAYLAND);
	CHECK(submit_now(h, 40, buf, n) == VIRTIO_GPU_RESP_ERR_UNSPEC);
	/* only the query ring attached: the channel ring is still missing */
	CHECK(ctx_create(h, 41) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(attach(h, 41, 40001) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(submit_now(h, 41, buf, n) == VIRTIO_GPU_RESP_ERR_UNSPEC);
	struct pollfd pfd = {.fd = h->listen_fd, .events = POLLIN};
	CHECK(poll(&pfd, 1, 0) == 0); /* nobody connected */
	struct gctx g40 = {.id = 40, .next_fence = 1};
	check_dead(h, &g40);
	check_alive(h, &good, "after INIT");
	CHECK(xdomain_service_live_contexts() == 3);
	close(good.comp);
}

/* Limits: a context past its queued-bytes limit ends alone. */
static void test_limits(struct harness *h)
{
	h->config.limits.max_queued_bytes = 64 * 1024;
	struct gctx g, good;
	gctx_init(h, &g, 1);
	gctx_init(h, &good, 2);
	uint8_t payload[3000] = {0}, buf[4096];
	uint32_t rc = VIRTIO_GPU_RESP_OK_NODATA;
	for (int i = 0; i < 1000 && rc == VIRTIO_GPU_RESP_OK_NODATA; i++) {
		size_t n = make_send(buf, sizeof(buf), NULL, NULL, 0, payload, sizeof(payload));
		rc = submit_now(h, 1, buf, n);
	}
	CHECK(rc == VIRTIO_GPU_RESP_ERR_UNSPEC);
	check_dead(h, &g);
	check_alive(h, &good, "limits");
	close(g.comp);
	close(good.comp);
}

/*
 * Where vsomm-host is more lenient than rutabaga, and what --strict (config.strict)
 * does instead (docs/compatibility.md, "Peers"): one context per behaviour.
 */
static void check_leniency(struct harness *h, bool strict)
{
	h->config.strict = strict;
	CHECK(gpu_model_strict(h->dev) == strict);
	struct xdomain_poll poll_cmd = {
		.hdr = {.cmd = XDOMAIN_CMD_POLL, .cmd_size = sizeof(poll_cmd)}};

	/* 1. a SEND naming a GUEST blob: strict, this command fails and the context lives */
	struct gctx g1;
	gctx_init(h, &g1, 1);
	int memfd = make_memfd("guest-memory", 4096, 0);
	CHECK(guest_blob_fd(h, 50, memfd, 4096, NULL) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(attach(h, 1, 50) == VIRTIO_GPU_RESP_OK_NODATA);
	uint8_t buf[4096];
	uint32_t ids[] = {50}, types[] = {XDOMAIN_ID_TYPE_VIRTGPU_BLOB};
	size_t n = make_send(buf, sizeof(buf), ids, types, 1, "guest", 5);
	CHECK(submit_now(h, 1, buf, n) ==
	      (strict ? VIRTIO_GPU_RESP_ERR_UNSPEC : VIRTIO_GPU_RESP_OK_NODATA));
	if (!strict) {
		char got[8];
		int fds[XDOMAIN_MAX_IDENTIFIERS];
		size_t nfds;
		CHECK(comp_recv(g1.comp, got, sizeof(got), fds, &nfds, 5000) == 5 && nfds == 1);
		close(fds[0]);
	}
	check_alive(h, &g1, "after the GUEST blob"); /* nothing of a refused SEND came first */

	/* 2. a fence on ring 2: strict, never signalled and the context lives */
	struct gctx g2;
	gctx_init(h, &g2, 2);
	uint64_t ring2 = submit(h, 2, &poll_cmd, sizeof(poll_cmd), 2, 100);
	harness_dispatch(h, 20);
	CHECK(harness_resp(h, ring2)->done == !strict);
	if (strict)
		check_alive(h, &g2, "after ring 2");
	else
		check_dead(h, &g2);

	/* 3. a ring-1 fence before INIT: strict, never signalled */
	CHECK(ctx_create(h, 3) == VIRTIO_GPU_RESP_OK_NODATA);
	uint64_t early = submit(h, 3, &poll_cmd, sizeof(poll_cmd), XDOMAIN_CHANNEL_RING, 1);
	harness_dispatch(h, 20);
	CHECK(harness_resp(h, early)->done == !strict);

	/* 4. CTX_DESTROY with a held POLL: strict, not signalled */
	struct gctx g4;
	gctx_init(h, &g4, 4);
	uint64_t held = gctx_poll(h, &g4);
	harness_dispatch(h, 20);
	CHECK(!harness_resp(h, held)->done);
	CHECK(ctx_destroy(h, 4) == VIRTIO_GPU_RESP_OK_NODATA);
	harness_dispatch(h, 20);
	CHECK(harness_resp(h, held)->done == !strict);

	for (uint32_t id = 1; id <= 3; id++)
		CHECK(ctx_destroy(h, id) == VIRTIO_GPU_RESP_OK_NODATA);
	/* strict: nothing of the above was answered on the contexts' way out either */
	CHECK(harness_resp(h, ring2)->done == !strict);
	CHECK(harness_resp(h, early)->done == !strict);
	close(g1.comp);
	close(g2.comp);
	close(g4.comp);
}

static void test_lenient(struct harness *h)
{
	check_leniency(h, false);
}

static void test_strict(struct harness *h)
{
	check_leniency(h, true);
}

struct test_case {
	const char *name;
	void (*run)(struct harness *h);
};

static const struct test_case cases[] = {
	{"capset", test_capset},
	{"send-blob", test_send_blob},
	{"send-backpressure", test_send_backpressure},
	{"receive-blob", test_receive_blob},
	{"read-pipe", test_read_pipe},
	{"write-pipe", test_write_pipe},
	{"image-requirements", test_image_requirements},
	{"compositor-eof", test_compositor_eof},
	{"two-polls", test_two_polls},
	{"malformed", test_malformed},
	{"limits", test_limits},
	{"lenient", test_lenient},
	{"strict", test_strict},
};

int main(int argc, char *argv[])
{
	bool found = false;
	signal(SIGPIPE, SIG_IGN); /* EPIPE checks on pipes */
	/* trace level: the trace lines of every command are exercised too */
	vsomm_log_init(VSOMM_LOG_TRACE, "test-host");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
			continue;
		found = true;
		int fds_before = count_fds();
		struct harness *h = calloc(1, sizeof(*h));
		CHECK(h);
		harness_init(h);
		cases[i].run(h);
		harness_finish(h);
		free(h);
		CHECK(xdomain_service_live_contexts() == 0);
		int fds_after = count_fds();
		if (fds_after != fds_before) {
			fprintf(stderr, "%s: %d fds before, %d after\n", cases[i].name, fds_before,
				fds_after);
			return 1;
		}
		fprintf(stderr, "ok: %s\n", cases[i].name);
	}
	if (!found) {
		fprintf(stderr, "unknown case %s\n", argv[1]);
		return 1;
	}
	return 0;
}
