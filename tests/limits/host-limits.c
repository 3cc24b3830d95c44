/* SPDX-License-Identifier: MIT */
/*
 * host-limits CASE: each per-context limit of vsomm-host (struct
 * xdomain_service_limits) through the real device model (tests/host/harness.c).
 * A blob past a memory limit is refused alone; a context that goes past one of
 * the other limits ends alone (its commands fail, its fences are signalled at
 * once); a second context on the same device keeps relaying.
 * Every case checks the process's fd count before and after, and that no
 * context is left.
 *
 *   blob-bytes    HOST3D blobs past max_blob_bytes: that allocation alone is
 *                 refused, the context and its blobs go on
 *   connection-blob-bytes
 *                 blobs of many contexts of one device past
 *                 max_connection_blob_bytes; a second device unaffected
 *   items         GET_IMAGE_REQUIREMENTS of distinct sizes past 15/16 of
 *                 max_items: that request alone is answered with no layout,
 *                 the context goes on and still takes a keymap
 *   pipes         SENDs with READ_PIPE identifiers past max_pipes
 *   queued-bytes  SENDs to a compositor that does not read, past max_queued_bytes
 *   contexts      CTX_CREATE past max_contexts on one device; one destroyed → room again
 */
#include <drm_fourcc.h>
#include <linux/virtio_gpu.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/log.h"
#include "cross-domain/protocol.h"
#include "tests/host/harness.h"

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

/* GET_IMAGE_REQUIREMENTS on the query ring; the answer, or zeros if it failed. */
static struct xdomain_image_requirements image_request(struct harness *h, struct gctx *g,
						       uint32_t w, uint32_t hgt)
{
	struct xdomain_get_image_requirements req = {
		.hdr = {.cmd = XDOMAIN_CMD_GET_IMAGE_REQUIREMENTS, .cmd_size = sizeof(req)},
		.width = w,
		.height = hgt,
		.drm_format = DRM_FORMAT_XRGB8888,
		.flags = XDOMAIN_GRALLOC_LINEAR | XDOMAIN_GRALLOC_SCANOUT,
	};
	struct xdomain_image_requirements reqs;
	memset(g->query, 0, sizeof(reqs));
	uint64_t cookie = submit(h, g->id, &req, sizeof(req), XDOMAIN_QUERY_RING, ++g->next_fence);
	CHECK(harness_wait(h, cookie));
	memcpy(&reqs, g->query, sizeof(reqs));
	return reqs;
}

/* A blob of `pages` pages: an XRGB image `page / 64 * pages` wide, 16 rows. */
static struct xdomain_image_requirements pages_request(struct harness *h, struct gctx *g,
						       uint32_t pages)
{
	long page = sysconf(_SC_PAGESIZE);
	struct xdomain_image_requirements reqs = image_request(h, g, (uint32_t)page / 64 * pages,
							       16);
	CHECK(reqs.size == pages * (uint64_t)page);
	return reqs;
}

/* The blob `res_id` is still there: mappable, and what was written into it stays. */
static void check_blob(struct harness *h, uint32_t res_id, uint8_t mark)
{
	struct response *r = map_blob(h, res_id);
	CHECK(r->type == VIRTIO_GPU_RESP_OK_MAP_INFO && r->fd >= 0);
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	CHECK(p != MAP_FAILED);
	if (p[0] != 0)
		CHECK(p[0] == mark); /* written by an earlier check */
	p[0] = mark;
	munmap(p, (size_t)page);
}

/*
 * Past max_blob_bytes the one allocation is refused (ERR_OUT_OF_MEMORY) and the
 * context goes on: its blobs stay, it relays, a blob that fits succeeds, and
 * freeing one makes room (issue 14 §2).
 */
static void test_blob_bytes(struct harness *h)
{
	long page = sysconf(_SC_PAGESIZE);
	h->config.limits.max_blob_bytes = 4 * (uint64_t)page;
	struct gctx g, good;
	gctx_init(h, &g, 1);
	gctx_init(h, &good, 2);
	struct xdomain_image_requirements small = pages_request(h, &g, 1);
	struct xdomain_image_requirements big = pages_request(h, &g, 2);
	CHECK(host_blob(h, 1, 100, small.blob_id, small.size) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(host_blob(h, 1, 101, big.blob_id, big.size) == VIRTIO_GPU_RESP_OK_NODATA);
	check_blob(h, 101, 0x5a);
	/* 3 pages in use: 2 more do not fit, that allocation alone fails */
	CHECK(host_blob(h, 1, 102, big.blob_id, big.size) == VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY);
	CHECK(unref(h, 102) == VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID); /* nothing made */
	check_alive(h, &g, "refused-1");
	check_blob(h, 101, 0x5a);
	/* a smaller one still fits, then nothing does */
	CHECK(host_blob(h, 1, 102, small.blob_id, small.size) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(host_blob(h, 1, 103, small.blob_id, small.size) ==
	      VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY);
	/* a guest that retries without end gets the same answer, the context lives */
	for (uint32_t i = 0; i < 20; i++)
		CHECK(host_blob(h, 1, 103, big.blob_id, big.size) ==
		      VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY);
	check_alive(h, &g, "refused-2");
	/* freeing one makes room */
	CHECK(unref(h, 100) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(unref(h, 102) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(host_blob(h, 1, 103, big.blob_id, big.size) == VIRTIO_GPU_RESP_OK_NODATA);
	check_blob(h, 101, 0x5a);
	check_blob(h, 103, 0xa5);
	check_alive(h, &g, "room-again");
	/* the other context's blobs are its own */
	struct xdomain_image_requirements ok = pages_request(h, &good, 2);
	CHECK(host_blob(h, 2, 200, ok.blob_id, ok.size) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(host_blob(h, 2, 201, ok.blob_id, ok.size) == VIRTIO_GPU_RESP_OK_NODATA);
	check_alive(h, &good, "blob-bytes");
	close(g.comp);
	close(good.comp);
}

/*
 * max_connection_blob_bytes: many contexts of one guest connection (device) share
 * it; a second connection has its own.  Blobs outlive their context, so they count
 * until unref'd.
 */
static void test_connection_blob_bytes(struct harness *h)
{
	enum { NUM = 8 };
	long page = sysconf(_SC_PAGESIZE);
	h->config.limits.max_blob_bytes = 2 * (uint64_t)page;
	h->config.limits.max_connection_blob_bytes = 5 * (uint64_t)page;
	struct gctx g[NUM];
	struct xdomain_image_requirements reqs[NUM];
	for (uint32_t i = 0; i < NUM; i++) {
		gctx_init(h, &g[i], 1 + i);
		reqs[i] = pages_request(h, &g[i], 1);
	}
	/* one page each: the first five fit, the rest are refused, each context alive */
	for (uint32_t i = 0; i < NUM; i++)
		CHECK(host_blob(h, 1 + i, 100 + i, reqs[i].blob_id, reqs[i].size) ==
		      (i < 5 ? VIRTIO_GPU_RESP_OK_NODATA : VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY));
	for (uint32_t i = 0; i < NUM; i++)
		check_alive(h, &g[i], "connection");
	for (uint32_t i = 0; i < 5; i++)
		check_blob(h, 100 + i, (uint8_t)(1 + i));

	/* a second connection has its own budget: all of its contexts fit */
	struct harness *h2 = calloc(1, sizeof(*h2));
	CHECK(h2);
	harness_init(h2);
	h2->config.limits = h->config.limits;
	struct gctx other[5];
	for (uint32_t i = 0; i < 5; i++) {
		gctx_init(h2, &other[i], 1 + i);
		struct xdomain_image_requirements r = pages_request(h2, &other[i], 1);
		CHECK(host_blob(h2, 1 + i, 100 + i, r.blob_id, r.size) ==
		      VIRTIO_GPU_RESP_OK_NODATA);
	}
	for (uint32_t i = 0; i < 5; i++)
		check_alive(h2, &other[i], "second-connection");

	/* a destroyed context's blobs still count: a new context does not reset it */
	CHECK(ctx_destroy(h, 1) == VIRTIO_GPU_RESP_OK_NODATA);
	struct gctx fresh;
	gctx_init(h, &fresh, 20);
	struct xdomain_image_requirements r = pages_request(h, &fresh, 1);
	CHECK(host_blob(h, 20, 120, r.blob_id, r.size) == VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY);
	/* once the guest unrefs it there is room again */
	CHECK(unref(h, 100) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(host_blob(h, 20, 120, r.blob_id, r.size) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(host_blob(h, 6, 106, reqs[5].blob_id, reqs[5].size) ==
	      VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY);
	check_alive(h, &fresh, "fresh");
	for (uint32_t i = 1; i < 5; i++)
		check_blob(h, 100 + i, (uint8_t)(1 + i));

	for (uint32_t i = 0; i < 5; i++)
		close(other[i].comp);
	harness_finish(h2);
	free(h2);
	for (uint32_t i = 0; i < NUM; i++)
		close(g[i].comp);
	close(fresh.comp);
}

/*
 * Past the image items' share of max_items (15/16) a new image size is answered
 * with zeros (no layout for that one buffer) and the context goes on: sizes it
 * already has are still answered, their blobs can be made, it relays, and memory
 * from the compositor (a keymap) still finds room in the table (issue 14 §2).
 */
static void test_items(struct harness *h)
{
	enum { MAX = 32, IMAGES = MAX - MAX / 16 };
	h->config.limits.max_items = MAX;
	struct gctx g, good;
	gctx_init(h, &g, 1);
	gctx_init(h, &good, 2);
	struct xdomain_image_requirements known[IMAGES];
	for (uint32_t i = 0; i < IMAGES; i++) {
		known[i] = image_request(h, &g, 16 + i, 16);
		CHECK(known[i].size != 0);
	}
	CHECK(image_request(h, &g, 64, 16).size == 0); /* the next: past the limit */
	for (uint32_t i = 0; i < 10; i++)
		CHECK(image_request(h, &g, 65 + i, 16).size == 0);
	check_alive(h, &g, "items-refused");
	for (uint32_t i = 0; i < IMAGES; i++) {
		struct xdomain_image_requirements again = image_request(h, &g, 16 + i, 16);
		CHECK(again.size == known[i].size && again.blob_id == known[i].blob_id);
	}
	CHECK(host_blob(h, 1, 100, known[3].blob_id, known[3].size) == VIRTIO_GPU_RESP_OK_NODATA);
	check_blob(h, 100, 0x11);
	/* a keymap from the compositor still gets an item */
	int keymap = memfd_create("keymap", MFD_CLOEXEC);
	CHECK(keymap >= 0 && ftruncate(keymap, 4096) == 0);
	CHECK(comp_send(g.comp, "k", 1, &keymap, 1) == 1);
	close(keymap);
	CHECK(gctx_poll_wait(h, &g));
	struct xdomain_send_receive msg;
	memcpy(&msg, g.channel, sizeof(msg));
	CHECK(msg.hdr.cmd == XDOMAIN_CMD_RECEIVE && msg.num_identifiers == 1);
	CHECK(msg.identifier_types[0] == XDOMAIN_ID_TYPE_VIRTGPU_BLOB);
	CHECK(host_blob(h, 1, 101, msg.identifiers[0], 4096) == VIRTIO_GPU_RESP_OK_NODATA);
	check_alive(h, &g, "items-still");
	for (uint32_t i = 0; i < 4; i++)
		CHECK(image_request(h, &good, 16 + i, 16).size != 0);
	check_alive(h, &good, "items");
	close(g.comp);
	close(good.comp);
}

static void test_pipes(struct harness *h)
{
	h->config.limits.max_pipes = 2;
	struct gctx g, good;
	gctx_init(h, &g, 1);
	gctx_init(h, &good, 2);
	uint32_t rc = VIRTIO_GPU_RESP_OK_NODATA;
	int sent = 0;
	for (; sent < 3 && rc == VIRTIO_GPU_RESP_OK_NODATA; sent++) {
		uint8_t buf[512], got[16];
		uint32_t ids[] = {gctx_pipe_id(&g)}, types[] = {XDOMAIN_ID_TYPE_READ_PIPE};
		size_t n = make_send(buf, sizeof(buf), ids, types, 1, "p", 1);
		rc = submit_now(h, 1, buf, n);
		if (rc != VIRTIO_GPU_RESP_OK_NODATA)
			break;
		/* the compositor takes the write end and drops it (a reader nobody feeds) */
		int fds[XDOMAIN_MAX_IDENTIFIERS];
		size_t nfds = 0;
		CHECK(comp_recv(g.comp, got, sizeof(got), fds, &nfds, 5000) == 1 && nfds == 1);
		close(fds[0]);
	}
	CHECK(sent == 2 && rc == VIRTIO_GPU_RESP_ERR_UNSPEC);
	check_dead(h, &g);
	check_alive(h, &good, "pipes");
	close(g.comp);
	close(good.comp);
}

static void test_queued_bytes(struct harness *h)
{
	h->config.limits.max_queued_bytes = 64 * 1024;
	struct gctx g, good;
	gctx_init(h, &g, 1);
	gctx_init(h, &good, 2);
	uint8_t payload[3000] = {0}, buf[4096];
	uint32_t rc = VIRTIO_GPU_RESP_OK_NODATA;
	int sends = 0;
	for (; sends < 10000 && rc == VIRTIO_GPU_RESP_OK_NODATA; sends++) {
		size_t n = make_send(buf, sizeof(buf), NULL, NULL, 0, payload, sizeof(payload));
		rc = submit_now(h, 1, buf, n);
	}
	CHECK(rc == VIRTIO_GPU_RESP_ERR_UNSPEC);
	fprintf(stderr, "queued-bytes: context ended after %d SENDs of 3000 bytes\n", sends);
	check_dead(h, &g);
	check_alive(h, &good, "queued-bytes");
	close(g.comp);
	close(good.comp);
}

static void test_contexts(struct harness *h)
{
	h->config.limits.max_contexts = 2;
	struct gctx a, b;
	gctx_init(h, &a, 1);
	gctx_init(h, &b, 2);
	CHECK(ctx_create(h, 3) != VIRTIO_GPU_RESP_OK_NODATA);
	check_alive(h, &a, "contexts-a");
	check_alive(h, &b, "contexts-b");
	CHECK(ctx_destroy(h, 1) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(ctx_create(h, 3) == VIRTIO_GPU_RESP_OK_NODATA);
	check_alive(h, &b, "contexts-b");
	close(a.comp);
	close(b.comp);
}

static const struct {
	const char *name;
	void (*run)(struct harness *h);
} cases[] = {
	{"blob-bytes", test_blob_bytes},   {"items", test_items},
	{"pipes", test_pipes},             {"queued-bytes", test_queued_bytes},
	{"contexts", test_contexts},
	{"connection-blob-bytes", test_connection_blob_bytes},
};

int main(int argc, char *argv[])
{
	if (argc != 2) {
		fprintf(stderr, "usage: host-limits CASE\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	vsomm_log_init(VSOMM_LOG_INFO, "host-limits");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(argv[1], cases[i].name) != 0)
			continue;
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
			fprintf(stderr, "%s: %d fds before, %d after\n", argv[1], fds_before,
				fds_after);
			return 1;
		}
		fprintf(stderr, "ok: %s\n", argv[1]);
		return 0;
	}
	fprintf(stderr, "unknown case %s\n", argv[1]);
	return 1;
}
