/* SPDX-License-Identifier: MIT */
/*
 * host-limits CASE: each per-context limit of vsomm-host (struct
 * xdomain_service_limits) through the real device model (tests/host/harness.c).
 * A context that goes past its limit ends alone (its commands fail, its fences
 * are signalled at once); a second context on the same device keeps relaying.
 * Every case checks the process's fd count before and after, and that no
 * context is left.
 *
 *   blob-bytes    HOST3D blobs past max_blob_bytes
 *   items         GET_IMAGE_REQUIREMENTS of distinct sizes past max_items
 *   pipes         SENDs with READ_PIPE identifiers past max_pipes
 *   queued-bytes  SENDs to a compositor that does not read, past max_queued_bytes
 *   contexts      CTX_CREATE past max_contexts on one device; one destroyed → room again
 */
#include <drm_fourcc.h>
#include <linux/virtio_gpu.h>
#include <signal.h>
#include <string.h>
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

static void test_blob_bytes(struct harness *h)
{
	long page = sysconf(_SC_PAGESIZE);
	h->config.limits.max_blob_bytes = 3 * (uint64_t)page;
	struct gctx g, good;
	gctx_init(h, &g, 1);
	gctx_init(h, &good, 2);
	/* one page per blob: 16x16 XRGB is 1 KiB, rounded up to a page */
	struct xdomain_image_requirements reqs = image_request(h, &g, 16, 16);
	CHECK(reqs.size == (uint64_t)page);
	for (uint32_t i = 0; i < 3; i++)
		CHECK(host_blob(h, 1, 100 + i, reqs.blob_id, reqs.size) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(host_blob(h, 1, 103, reqs.blob_id, reqs.size) != VIRTIO_GPU_RESP_OK_NODATA);
	check_dead(h, &g);
	/* the other context's blobs are its own */
	struct xdomain_image_requirements ok = image_request(h, &good, 16, 16);
	CHECK(host_blob(h, 2, 200, ok.blob_id, ok.size) == VIRTIO_GPU_RESP_OK_NODATA);
	check_alive(h, &good, "blob-bytes");
	close(g.comp);
	close(good.comp);
}

static void test_items(struct harness *h)
{
	h->config.limits.max_items = 4;
	struct gctx g, good;
	gctx_init(h, &g, 1);
	gctx_init(h, &good, 2);
	for (uint32_t i = 0; i < 4; i++)
		CHECK(image_request(h, &g, 16 + i, 16).size != 0);
	CHECK(image_request(h, &g, 64, 16).size == 0); /* the fifth: past the limit */
	check_dead(h, &g);
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
