/* SPDX-License-Identifier: MIT */
/*
 * The host device model driven directly: a fake capset-5 context type and a fake
 * transport that records every response.
 */
#include <linux/virtio_gpu.h>
#include <sys/stat.h>

#include "util/log.h"
#include "fake-capset.h"

#define MAX_RESPS 64

struct resp {
	uint64_t cookie;
	uint8_t bytes[256];
	size_t size;
	int fd;
};
static struct resp resps[MAX_RESPS];
static size_t num_resps;

static void record_complete(void *transport, uint64_t cookie, const void *resp, size_t size,
			    int fd)
{
	CHECKF(num_resps < MAX_RESPS, "too many responses");
	struct resp *r = &resps[num_resps++];
	r->cookie = cookie;
	r->size = size;
	memcpy(r->bytes, resp, size < sizeof(r->bytes) ? size : sizeof(r->bytes));
	r->fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
}

static const struct gpu_model_transport_ops record_ops = {.complete = record_complete};

static void clear_resps(void)
{
	for (size_t i = 0; i < num_resps; i++)
		if (resps[i].fd >= 0)
			close(resps[i].fd);
	num_resps = 0;
}

static struct virtio_gpu_ctrl_hdr resp_hdr(size_t i)
{
	struct virtio_gpu_ctrl_hdr hdr = {0};
	memcpy(&hdr, resps[i].bytes, sizeof(hdr));
	return hdr;
}

/* Process a command; return the type of its (single, immediate) response or 0. */
static uint32_t run_backed(struct gpu_model *dev, const void *cmd, size_t size,
			   struct gpu_model_backing *backing, uint64_t cookie)
{
	clear_resps();
	gpu_model_process(dev, cmd, size, backing, cookie);
	if (num_resps == 0)
		return 0;
	CHECK(num_resps == 1);
	CHECK(resps[0].cookie == cookie);
	CHECK(resps[0].size >= sizeof(struct virtio_gpu_ctrl_hdr));
	return resp_hdr(0).type;
}

static uint32_t run(struct gpu_model *dev, const void *cmd, size_t size)
{
	static uint64_t cookie = 1000;
	return run_backed(dev, cmd, size, NULL, ++cookie);
}

static struct virtio_gpu_ctrl_hdr hdr_of(uint32_t type, uint32_t ctx_id)
{
	return (struct virtio_gpu_ctrl_hdr){.type = type, .ctx_id = ctx_id};
}

static uint32_t ctx_create(struct gpu_model *dev, uint32_t ctx_id, uint32_t init,
			   const char *name, uint32_t nlen)
{
	struct virtio_gpu_ctx_create c = {.hdr = hdr_of(VIRTIO_GPU_CMD_CTX_CREATE, ctx_id)};
	c.context_init = init;
	c.nlen = nlen;
	memcpy(c.debug_name, name, strnlen(name, sizeof(c.debug_name)));
	return run(dev, &c, sizeof(c));
}

static uint32_t ctx_destroy(struct gpu_model *dev, uint32_t ctx_id)
{
	struct virtio_gpu_ctx_destroy c = {.hdr = hdr_of(VIRTIO_GPU_CMD_CTX_DESTROY, ctx_id)};
	return run(dev, &c, sizeof(c));
}

static uint32_t ctx_res(struct gpu_model *dev, uint32_t type, uint32_t ctx_id,
			uint32_t res_id)
{
	struct virtio_gpu_ctx_resource c = {.hdr = hdr_of(type, ctx_id), .resource_id = res_id};
	return run(dev, &c, sizeof(c));
}

static uint32_t create_blob(struct gpu_model *dev, uint32_t ctx_id, uint32_t res_id,
			    uint32_t blob_mem, uint32_t flags, uint64_t blob_id, uint64_t size,
			    struct gpu_model_backing *backing)
{
	struct virtio_gpu_resource_create_blob c = {
		.hdr = hdr_of(VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, ctx_id),
		.resource_id = res_id,
		.blob_mem = blob_mem,
		.blob_flags = flags,
		.blob_id = blob_id,
		.size = size,
	};
	return run_backed(dev, &c, sizeof(c), backing, 77);
}

static uint32_t unref(struct gpu_model *dev, uint32_t res_id)
{
	struct virtio_gpu_resource_unref c = {.hdr = hdr_of(VIRTIO_GPU_CMD_RESOURCE_UNREF, 0),
					      .resource_id = res_id};
	return run(dev, &c, sizeof(c));
}

static uint32_t map_blob(struct gpu_model *dev, uint32_t res_id)
{
	struct virtio_gpu_resource_map_blob c = {
		.hdr = hdr_of(VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB, 0), .resource_id = res_id};
	return run(dev, &c, sizeof(c));
}

/* SUBMIT_3D with `len` payload bytes of value `fill`. */
static void submit(struct gpu_model *dev, uint32_t ctx_id, uint32_t flags, uint8_t ring,
		   uint64_t fence_id, uint8_t fill, uint32_t len, uint64_t cookie)
{
	uint8_t buf[sizeof(struct virtio_gpu_cmd_submit) + 32] = {0};
	struct virtio_gpu_cmd_submit c = {.hdr = hdr_of(VIRTIO_GPU_CMD_SUBMIT_3D, ctx_id)};
	c.hdr.flags = flags;
	c.hdr.ring_idx = ring;
	c.hdr.fence_id = fence_id;
	c.size = len;
	memcpy(buf, &c, sizeof(c));
	memset(buf + sizeof(c), fill, 32);
	gpu_model_process(dev, buf, sizeof(c) + (len < 32 ? len : 32), NULL, cookie);
}

static struct gpu_model_backing guest_memfd(size_t size)
{
	int fd = memfd_create("guest-blob", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		abort();
	void *addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED)
		abort();
	return (struct gpu_model_backing){addr, size, fd, true};
}

static struct gpu_model *new_device(void)
{
	struct gpu_model_config config = {
		.capsets = fake_capsets,
		.transport_ops = &record_ops,
	};
	struct gpu_model *dev = gpu_model_create(&config);
	CHECK(dev);
	return dev;
}

static void test_capsets(void)
{
	struct gpu_model *dev = new_device();
	CHECK(gpu_model_num_capsets(dev) == 1);

	struct virtio_gpu_get_capset_info info = {
		.hdr = hdr_of(VIRTIO_GPU_CMD_GET_CAPSET_INFO, 0), .capset_index = 0};
	CHECK(run(dev, &info, sizeof(info)) == VIRTIO_GPU_RESP_OK_CAPSET_INFO);
	struct virtio_gpu_resp_capset_info ri;
	CHECK(resps[0].size == sizeof(ri));
	memcpy(&ri, resps[0].bytes, sizeof(ri));
	CHECK(ri.capset_id == 5 && ri.capset_max_version == 0 && ri.capset_max_size == 16);
	info.capset_index = 1;
	CHECK(run(dev, &info, sizeof(info)) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);

	struct virtio_gpu_get_capset get = {.hdr = hdr_of(VIRTIO_GPU_CMD_GET_CAPSET, 0),
					    .capset_id = 5, .capset_version = 0};
	CHECK(run(dev, &get, sizeof(get)) == VIRTIO_GPU_RESP_OK_CAPSET);
	CHECK(resps[0].size == sizeof(struct virtio_gpu_ctrl_hdr) + 16);
	CHECK(resps[0].bytes[sizeof(struct virtio_gpu_ctrl_hdr)] == 0x5c);
	CHECK(resps[0].bytes[sizeof(struct virtio_gpu_ctrl_hdr) + 15] == 0x5c);
	get.capset_version = 1;
	CHECK(run(dev, &get, sizeof(get)) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	get.capset_version = 0;
	get.capset_id = 7;
	CHECK(run(dev, &get, sizeof(get)) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	gpu_model_destroy(dev);
	clear_resps();
}

static void test_contexts(void)
{
	struct gpu_model *dev = new_device();
	CHECK(ctx_create(dev, 1, 5, "app", 3) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(resp_hdr(0).ctx_id == 1);
	CHECK(fake_live_contexts == 1);
	CHECK(fake_last_ctx && strcmp(fake_last_ctx->name, "app") == 0);
	CHECK(ctx_create(dev, 1, 5, "dup", 3) == VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID);
	CHECK(ctx_create(dev, 0, 5, "zero", 4) == VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID);
	CHECK(ctx_create(dev, 2, 7, "capset7", 7) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	CHECK(ctx_create(dev, 2, 0, "capset0", 7) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	CHECK(ctx_create(dev, 2, 5, "fail", 4) == VIRTIO_GPU_RESP_ERR_UNSPEC);
	CHECK(fake_live_contexts == 1);

	/* nlen beyond the array: bounded, NUL-terminated */
	char longname[64];
	memset(longname, 'x', sizeof(longname));
	CHECK(ctx_create(dev, 3, 5, longname, 0xffffffffu) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(fake_last_ctx && strlen(fake_last_ctx->name) == 64);
	CHECK(ctx_create(dev, 4, 5, "ab", 1) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(fake_last_ctx && strcmp(fake_last_ctx->name, "a") == 0);

	CHECK(ctx_destroy(dev, 3) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(ctx_destroy(dev, 3) == VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID);
	CHECK(fake_live_contexts == 2);
	gpu_model_destroy(dev);
	CHECK(fake_live_contexts == 0);

	/* max_contexts */
	struct gpu_model_config config = {
		.capsets = fake_capsets, .transport_ops = &record_ops, .max_contexts = 2};
	dev = gpu_model_create(&config);
	CHECK(ctx_create(dev, 1, 5, "a", 1) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(ctx_create(dev, 2, 5, "b", 1) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(ctx_create(dev, 3, 5, "c", 1) == VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY);
	gpu_model_destroy(dev);
	CHECK(fake_live_contexts == 0);
	clear_resps();
}

static void test_blobs(void)
{
	struct gpu_model *dev = new_device();
	CHECK(ctx_create(dev, 1, 5, "a", 1) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(ctx_create(dev, 2, 5, "b", 1) == VIRTIO_GPU_RESP_OK_NODATA);

	/* GUEST blob with a memfd */
	struct gpu_model_backing b = guest_memfd(4096);
	memset(b.addr, 0x42, 4096);
	CHECK(create_blob(dev, 0, 10, VIRTIO_GPU_BLOB_MEM_GUEST,
			  VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE, 0, 4096,
			  &b) == VIRTIO_GPU_RESP_OK_NODATA);
	/* in use */
	struct gpu_model_backing b2 = guest_memfd(4096);
	CHECK(create_blob(dev, 0, 10, VIRTIO_GPU_BLOB_MEM_GUEST, 0, 0, 4096, &b2) ==
	      VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	/* backing too small; none; id 0; size 0; unknown flags; HOST3D_GUEST */
	b2 = guest_memfd(4096);
	CHECK(create_blob(dev, 0, 11, VIRTIO_GPU_BLOB_MEM_GUEST, 0, 0, 8192, &b2) ==
	      VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	CHECK(create_blob(dev, 0, 11, VIRTIO_GPU_BLOB_MEM_GUEST, 0, 0, 4096, NULL) ==
	      VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	b2 = guest_memfd(4096);
	CHECK(create_blob(dev, 0, 0, VIRTIO_GPU_BLOB_MEM_GUEST, 0, 0, 4096, &b2) ==
	      VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	b2 = guest_memfd(4096);
	CHECK(create_blob(dev, 0, 11, VIRTIO_GPU_BLOB_MEM_GUEST, 0, 0, 0, &b2) ==
	      VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	b2 = guest_memfd(4096);
	CHECK(create_blob(dev, 0, 11, VIRTIO_GPU_BLOB_MEM_GUEST, 0x8, 0, 4096, &b2) ==
	      VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	b2 = guest_memfd(4096);
	CHECK(create_blob(dev, 0, 11, VIRTIO_GPU_BLOB_MEM_GUEST, 0x80000000u, 0, 4096, &b2) ==
	      VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	CHECK(create_blob(dev, 1, 11, VIRTIO_GPU_BLOB_MEM_HOST3D_GUEST, 0, 0, 4096, NULL) ==
	      VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	CHECK(create_blob(dev, 1, 11, 0, 0, 0, 4096, NULL) ==
	      VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);

	/* HOST3D via the context's create_blob */
	uint32_t host_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE | VIRTIO_GPU_BLOB_FLAG_USE_SHAREABLE;
	CHECK(create_blob(dev, 1, 20, VIRTIO_GPU_BLOB_MEM_HOST3D, host_flags, 1, 8192, NULL) ==
	      VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(create_blob(dev, 9, 21, VIRTIO_GPU_BLOB_MEM_HOST3D, host_flags, 1, 8192, NULL) ==
	      VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID);
	CHECK(create_blob(dev, 0, 21, VIRTIO_GPU_BLOB_MEM_HOST3D, host_flags, 1, 8192, NULL) ==
	      VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID);
	CHECK(create_blob(dev, 1, 21, VIRTIO_GPU_BLOB_MEM_HOST3D, host_flags, 99, 8192, NULL) ==
	      VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	/* HOST3D without MAPPABLE: not mappable */
	CHECK(create_blob(dev, 1, 22, VIRTIO_GPU_BLOB_MEM_HOST3D, 0, 1, 4096, NULL) ==
	      VIRTIO_GPU_RESP_OK_NODATA);

	/* attach / detach / lookup: one resource on two contexts */
	CHECK(!gpu_model_attached_resource(dev, 1, 10));
	CHECK(ctx_res(dev, VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, 1, 10) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(ctx_res(dev, VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, 1, 10) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(ctx_res(dev, VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, 2, 10) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(ctx_res(dev, VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, 1, 20) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(ctx_res(dev, VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, 1, 55) ==
	      VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	CHECK(ctx_res(dev, VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, 55, 10) ==
	      VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID);
	struct gpu_model_resource *r = gpu_model_attached_resource(dev, 1, 10);
	CHECK(r && r->id == 10 && r->size == 4096 && r->blob_mem == VIRTIO_GPU_BLOB_MEM_GUEST);
	CHECK(r && r->backing.addr && ((uint8_t *)r->backing.addr)[100] == 0x42);
	CHECK(gpu_model_attached_resource(dev, 2, 10) == r);
	CHECK(!gpu_model_attached_resource(dev, 2, 20));
	r = gpu_model_attached_resource(dev, 1, 20);
	CHECK(r && r->blob_mem == VIRTIO_GPU_BLOB_MEM_HOST3D && r->backing.fd >= 0);
	CHECK(ctx_res(dev, VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE, 2, 10) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(!gpu_model_attached_resource(dev, 2, 10));
	CHECK(gpu_model_attached_resource(dev, 1, 10));
	CHECK(ctx_res(dev, VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE, 2, 10) ==
	      VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);

	/* map: HOST3D hands its fd over; GUEST too; non-mappable refused */
	CHECK(map_blob(dev, 20) == VIRTIO_GPU_RESP_OK_MAP_INFO);
	CHECK(resps[0].size == sizeof(struct virtio_gpu_resp_map_info));
	struct virtio_gpu_resp_map_info mi;
	memcpy(&mi, resps[0].bytes, sizeof(mi));
	CHECK((mi.map_info & VIRTIO_GPU_MAP_CACHE_MASK) == VIRTIO_GPU_MAP_CACHE_CACHED);
	CHECK(resps[0].fd >= 0);
	if (resps[0].fd >= 0) {
		struct stat st;
		CHECK(fstat(resps[0].fd, &st) == 0 && st.st_size == 8192);
		uint8_t byte = 0;
		CHECK(pread(resps[0].fd, &byte, 1, 17) == 1 && byte == 0xab);
	}
	CHECK(map_blob(dev, 10) == VIRTIO_GPU_RESP_OK_MAP_INFO);
	CHECK(resps[0].fd >= 0);
	CHECK(map_blob(dev, 22) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	CHECK(resps[0].fd < 0);
	CHECK(map_blob(dev, 555) == VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	struct virtio_gpu_resource_unmap_blob um = {
		.hdr = hdr_of(VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB, 0), .resource_id = 20};
	CHECK(run(dev, &um, sizeof(um)) == VIRTIO_GPU_RESP_OK_NODATA);

	/* unref detaches from every context */
	CHECK(unref(dev, 10) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(!gpu_model_attached_resource(dev, 1, 10));
	CHECK(unref(dev, 10) == VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
	/* context destroy detaches; the resource lives on */
	CHECK(ctx_destroy(dev, 1) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(map_blob(dev, 20) == VIRTIO_GPU_RESP_OK_MAP_INFO);
	CHECK(unref(dev, 20) == VIRTIO_GPU_RESP_OK_NODATA);
	gpu_model_destroy(dev); /* releases 22 and context 2 */
	clear_resps();

	/* max_resources */
	struct gpu_model_config config = {
		.capsets = fake_capsets, .transport_ops = &record_ops, .max_resources = 1};
	dev = gpu_model_create(&config);
	b = guest_memfd(4096);
	CHECK(create_blob(dev, 0, 1, VIRTIO_GPU_BLOB_MEM_GUEST, 0, 0, 4096, &b) ==
	      VIRTIO_GPU_RESP_OK_NODATA);
	b = guest_memfd(4096);
	CHECK(create_blob(dev, 0, 2, VIRTIO_GPU_BLOB_MEM_GUEST, 0, 0, 4096, &b) ==
	      VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY);
	gpu_model_destroy(dev);
	clear_resps();
}

static bool find_resp(uint64_t cookie, struct virtio_gpu_ctrl_hdr *out, size_t *index)
{
	for (size_t i = 0; i < num_resps; i++) {
		if (resps[i].cookie == cookie) {
			*out = resp_hdr(i);
			if (index)
				*index = i;
			return true;
		}
	}
	return false;
}

static void test_fences(void)
{
	const uint32_t FR = VIRTIO_GPU_FLAG_FENCE | VIRTIO_GPU_FLAG_INFO_RING_IDX;
	struct gpu_model *dev = new_device();
	CHECK(ctx_create(dev, 3, 5, "a", 1) == VIRTIO_GPU_RESP_OK_NODATA);
	struct fake_ctx *fctx = fake_last_ctx;
	struct virtio_gpu_ctrl_hdr h;

	/* unfenced */
	clear_resps();
	submit(dev, 3, 0, 0, 0, 0x11, 16, 1);
	CHECK(num_resps == 1 && find_resp(1, &h, NULL));
	CHECK(h.type == VIRTIO_GPU_RESP_OK_NODATA && h.flags == 0 && h.ctx_id == 3);
	CHECK(fctx->submits == 1 && fctx->last_size == 16 && fctx->last[15] == 0x11);

	/* ring 0: signalled at once, fence echoed */
	clear_resps();
	submit(dev, 3, FR | 0x100, 0, 5, 0x22, 8, 2);
	CHECK(num_resps == 1 && find_resp(2, &h, NULL));
	CHECK(h.type == VIRTIO_GPU_RESP_OK_NODATA && h.flags == FR && h.fence_id == 5 &&
	      h.ctx_id == 3 && h.ring_idx == 0);

	/* ring 1: held, then signalled */
	clear_resps();
	submit(dev, 3, FR, 1, 6, 0x33, 8, 3);
	CHECK(num_resps == 0);
	gpu_model_fence_signal(dev, 3, 0, 6); /* other ring: nothing */
	gpu_model_fence_signal(dev, 4, 1, 6); /* other context: nothing */
	CHECK(num_resps == 0);
	gpu_model_fence_signal(dev, 3, 1, 6);
	CHECK(num_resps == 1 && find_resp(3, &h, NULL));
	CHECK(h.type == VIRTIO_GPU_RESP_OK_NODATA && h.flags == FR && h.fence_id == 6 &&
	      h.ctx_id == 3 && h.ring_idx == 1);
	gpu_model_fence_signal(dev, 3, 1, 6); /* twice: nothing more */
	CHECK(num_resps == 1);

	/* two held fences completed in order by one signal; a later one stays */
	clear_resps();
	submit(dev, 3, FR, 1, 7, 0x33, 8, 4);
	submit(dev, 3, FR, 1, 8, 0x33, 8, 5);
	submit(dev, 3, FR, 1, 10, 0x33, 8, 6);
	CHECK(num_resps == 0);
	gpu_model_fence_signal(dev, 3, 1, 9);
	CHECK(num_resps == 2 && resps[0].cookie == 4 && resps[1].cookie == 5);
	CHECK(resp_hdr(0).fence_id == 7 && resp_hdr(1).fence_id == 8);

	/* a ring fence signalled now completes earlier held ones of its ring first */
	clear_resps();
	submit(dev, 3, FR, 2, 11, 0x33, 8, 7); /* signalled from inside create_fence */
	CHECK(num_resps == 1 && resps[0].cookie == 7 && resp_hdr(0).ring_idx == 2);

	/* global fence: at once, no ring_idx */
	clear_resps();
	submit(dev, 3, VIRTIO_GPU_FLAG_FENCE, 9, 12, 0x44, 8, 8);
	CHECK(num_resps == 1 && find_resp(8, &h, NULL));
	CHECK(h.type == VIRTIO_GPU_RESP_OK_NODATA && h.flags == VIRTIO_GPU_FLAG_FENCE &&
	      h.fence_id == 12 && h.ring_idx == 0);

	/* submit error: ERR_UNSPEC at once with the fence echo (no hang) */
	clear_resps();
	unsigned before = fctx->submits;
	submit(dev, 3, FR, 1, 13, 0xff, 8, 9);
	CHECK(num_resps == 1 && find_resp(9, &h, NULL));
	CHECK(h.type == VIRTIO_GPU_RESP_ERR_UNSPEC && h.flags == FR && h.fence_id == 13 &&
	      h.ring_idx == 1);
	CHECK(fctx->submits == before);

	/* ring_idx ≥ 64, size beyond the command, unknown context: errors, echoed */
	clear_resps();
	submit(dev, 3, FR, 64, 14, 0x11, 8, 10);
	CHECK(num_resps == 1 && find_resp(10, &h, NULL));
	CHECK(h.type == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER && h.fence_id == 14 &&
	      h.ring_idx == 64);
	clear_resps();
	submit(dev, 3, 0, 0, 0, 0x11, 33, 11);
	CHECK(num_resps == 1 && find_resp(11, &h, NULL) &&
	      h.type == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	clear_resps();
	submit(dev, 3, 0, 0, 0, 0x11, 0xffffffffu, 12);
	CHECK(num_resps == 1 && find_resp(12, &h, NULL) &&
	      h.type == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	clear_resps();
	submit(dev, 99, VIRTIO_GPU_FLAG_FENCE, 0, 15, 0x11, 8, 13);
	CHECK(num_resps == 1 && find_resp(13, &h, NULL) &&
	      h.type == VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID && h.fence_id == 15 &&
	      h.ctx_id == 99);
	CHECK(fctx->submits == before);

	/* CTX_DESTROY completes held fences (fence 10 from above, and a new one) */
	clear_resps();
	submit(dev, 3, FR, 1, 16, 0x33, 8, 14);
	CHECK(num_resps == 0);
	struct virtio_gpu_ctx_destroy d = {.hdr = hdr_of(VIRTIO_GPU_CMD_CTX_DESTROY, 3)};
	gpu_model_process(dev, &d, sizeof(d), NULL, 15);
	CHECK(num_resps == 3);
	CHECK(resps[0].cookie == 6 && resp_hdr(0).fence_id == 10 && resp_hdr(0).flags == FR &&
	      resp_hdr(0).type == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(resps[1].cookie == 14 && resp_hdr(1).fence_id == 16);
	CHECK(resps[2].cookie == 15 && resp_hdr(2).type == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(fake_live_contexts == 0);
	gpu_model_fence_signal(dev, 3, 1, 100); /* gone: nothing */

	/* a ring fence signalled at once completes the earlier held ones first */
	CHECK(ctx_create(dev, 5, 5, "a", 1) == VIRTIO_GPU_RESP_OK_NODATA);
	clear_resps();
	submit(dev, 5, FR, 1, 20, 0x33, 8, 20);
	submit(dev, 5, FR, 1, 1000, 0x33, 8, 21);
	CHECK(num_resps == 2 && resps[0].cookie == 20 && resps[1].cookie == 21);
	CHECK(ctx_destroy(dev, 5) == VIRTIO_GPU_RESP_OK_NODATA);

	/* device destroy drops held fences without responding */
	CHECK(ctx_create(dev, 4, 5, "a", 1) == VIRTIO_GPU_RESP_OK_NODATA);
	clear_resps();
	submit(dev, 4, FR, 1, 1, 0x33, 8, 16);
	gpu_model_destroy(dev);
	CHECK(num_resps == 0 && fake_live_contexts == 0);
	clear_resps();
}

static void test_malformed(void)
{
	struct gpu_model *dev = new_device();
	CHECK(ctx_create(dev, 1, 5, "a", 1) == VIRTIO_GPU_RESP_OK_NODATA);

	/* truncated headers: an error with a zero header */
	uint8_t buf[512];
	memset(buf, 0xee, sizeof(buf));
	for (size_t n = 0; n < sizeof(struct virtio_gpu_ctrl_hdr); n++) {
		CHECK(run(dev, buf, n) == VIRTIO_GPU_RESP_ERR_UNSPEC);
		CHECK(resp_hdr(0).ctx_id == 0 && resp_hdr(0).flags == 0);
	}
	clear_resps();
	gpu_model_process(dev, NULL, 0, NULL, 5);
	CHECK(num_resps == 1 && resp_hdr(0).type == VIRTIO_GPU_RESP_ERR_UNSPEC);

	/* every command shorter than its struct */
	static const struct {
		uint32_t type;
		size_t size;
	} cmds[] = {
		{VIRTIO_GPU_CMD_GET_CAPSET_INFO, sizeof(struct virtio_gpu_get_capset_info)},
		{VIRTIO_GPU_CMD_GET_CAPSET, sizeof(struct virtio_gpu_get_capset)},
		{VIRTIO_GPU_CMD_CTX_CREATE, sizeof(struct virtio_gpu_ctx_create)},
		{VIRTIO_GPU_CMD_CTX_DESTROY, sizeof(struct virtio_gpu_ctx_destroy)},
		{VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, sizeof(struct virtio_gpu_ctx_resource)},
		{VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE, sizeof(struct virtio_gpu_ctx_resource)},
		{VIRTIO_GPU_CMD_SUBMIT_3D, sizeof(struct virtio_gpu_cmd_submit)},
		{VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB,
		 sizeof(struct virtio_gpu_resource_create_blob)},
		{VIRTIO_GPU_CMD_RESOURCE_UNREF, sizeof(struct virtio_gpu_resource_unref)},
		{VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB, sizeof(struct virtio_gpu_resource_map_blob)},
		{VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB,
		 sizeof(struct virtio_gpu_resource_unmap_blob)},
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		/* a heap copy of exactly n bytes, so ASan sees any overread */
		for (size_t n = sizeof(struct virtio_gpu_ctrl_hdr); n < cmds[i].size; n++) {
			uint8_t *cmd = malloc(n);
			memset(cmd, 0, n);
			struct virtio_gpu_ctrl_hdr h = hdr_of(cmds[i].type, 1);
			h.flags = VIRTIO_GPU_FLAG_FENCE;
			h.fence_id = 77;
			memcpy(cmd, &h, sizeof(h));
			CHECK(run(dev, cmd, n) == VIRTIO_GPU_RESP_ERR_UNSPEC);
			CHECK(resp_hdr(0).fence_id == 77 && resp_hdr(0).ctx_id == 1);
			free(cmd);
		}
	}
	CHECK(fake_live_contexts == 1);

	/* unknown and unsupported types */
	uint32_t others[] = {0, 0xdead, VIRTIO_GPU_CMD_GET_DISPLAY_INFO,
			     VIRTIO_GPU_CMD_RESOURCE_CREATE_2D, VIRTIO_GPU_CMD_UPDATE_CURSOR,
			     VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D, VIRTIO_GPU_RESP_OK_NODATA};
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		struct virtio_gpu_ctrl_hdr h = hdr_of(others[i], 1);
		memset(buf, 0, sizeof(buf));
		memcpy(buf, &h, sizeof(h));
		CHECK(run(dev, buf, sizeof(buf)) == VIRTIO_GPU_RESP_ERR_UNSPEC);
	}

	/* mem entries beyond the command; owned backing released on failure */
	struct gpu_model_backing b = guest_memfd(4096);
	struct virtio_gpu_resource_create_blob cb = {
		.hdr = hdr_of(VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, 0),
		.resource_id = 3,
		.blob_mem = VIRTIO_GPU_BLOB_MEM_GUEST,
		.nr_entries = 0xffffffffu,
		.size = 4096,
	};
	CHECK(run_backed(dev, &cb, sizeof(cb), &b, 1) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	/* a backing handed with an unrelated command is released too */
	b = guest_memfd(4096);
	struct virtio_gpu_ctx_destroy dd = {.hdr = hdr_of(VIRTIO_GPU_CMD_CTX_DESTROY, 42)};
	CHECK(run_backed(dev, &dd, sizeof(dd), &b, 1) == VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID);

	/* trailing bytes after a fixed-size command are ignored */
	struct virtio_gpu_get_capset_info info = {
		.hdr = hdr_of(VIRTIO_GPU_CMD_GET_CAPSET_INFO, 0)};
	memset(buf, 0, sizeof(buf));
	memcpy(buf, &info, sizeof(info));
	CHECK(run(dev, buf, sizeof(buf)) == VIRTIO_GPU_RESP_OK_CAPSET_INFO);

	gpu_model_destroy(dev);
	CHECK(fake_live_contexts == 0);
	clear_resps();
}

int main(void)
{
	if (!getenv("VSOMM_TEST_LOG"))
		vsomm_log_init(VSOMM_LOG_SILENT, "test");
	int fds_before = count_fds();
	test_capsets();
	test_contexts();
	test_blobs();
	test_fences();
	test_malformed();
	int fds_after = count_fds();
	CHECK_EQ(fds_after, fds_before);
	printf("test-device: all checks passed\n");
	return 0;
}
