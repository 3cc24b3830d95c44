/* SPDX-License-Identifier: MIT */
/*
 * Test helpers for the host device model: a fake capset-5 context type.
 * Header-only: each test is one executable.
 *
 * The fake context: submit fails when the first byte is 0xff; fences on ring 1 are
 * held (the test signals them) below fence_id 1000, on ring 2 signalled from inside create_fence(),
 * others signalled at once; create_blob makes a memfd filled with 0xab (blob_id 99
 * fails); debug_name "fail" refuses the context.
 */
#ifndef TESTS_DEVICE_FAKE_CAPSET_H
#define TESTS_DEVICE_FAKE_CAPSET_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/lib/check.h"
#include "tests/lib/fds.h"
#include "virtgpu/device/device.h"

struct fake_ctx {
	struct gpu_model *dev;
	uint32_t id;
	char name[80];
	unsigned submits;
	uint8_t last[64];
	size_t last_size;
};

static int fake_live_contexts;
static struct fake_ctx *fake_last_ctx;

static void fake_get_capset(void *data, void *buf)
{
	memset(buf, 0x5c, 16);
}

static void *fake_ctx_create(void *data, struct gpu_model *dev, uint32_t ctx_id,
			     const char *debug_name)
{
	if (strcmp(debug_name, "fail") == 0)
		return NULL;
	struct fake_ctx *ctx = calloc(1, sizeof(*ctx));
	ctx->dev = dev;
	ctx->id = ctx_id;
	snprintf(ctx->name, sizeof(ctx->name), "%s", debug_name);
	fake_live_contexts++;
	fake_last_ctx = ctx;
	return ctx;
}

static void fake_ctx_destroy(void *data)
{
	if (fake_last_ctx == data)
		fake_last_ctx = NULL;
	free(data);
	fake_live_contexts--;
}

static int fake_submit(void *data, const void *cmd, size_t size)
{
	struct fake_ctx *ctx = data;
	if (size > 0 && ((const uint8_t *)cmd)[0] == 0xff)
		return -EINVAL;
	ctx->submits++;
	ctx->last_size = size < sizeof(ctx->last) ? size : sizeof(ctx->last);
	memcpy(ctx->last, cmd, ctx->last_size);
	return 0;
}

static bool fake_create_fence(void *data, uint32_t ring_idx, uint64_t fence_id)
{
	struct fake_ctx *ctx = data;
	if (ring_idx == 1)
		return fence_id >= 1000;
	if (ring_idx == 2) {
		gpu_model_fence_signal(ctx->dev, ctx->id, 2, fence_id);
		return false;
	}
	return true;
}

static int fake_create_blob(void *data, uint64_t blob_id, struct gpu_model_resource *res)
{
	if (blob_id == 99)
		return -EINVAL;
	int fd = memfd_create("fake-blob", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)res->size) < 0) {
		close(fd);
		return -EINVAL;
	}
	void *addr = mmap(NULL, res->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	memset(addr, 0xab, res->size);
	res->backing = (struct gpu_model_backing){addr, res->size, fd, true};
	res->map_info = 0x01 | 0x30;
	return 0;
}

static const struct gpu_model_capset_ops fake_capset = {
	.capset_id = 5,
	.max_version = 0,
	.max_size = 16,
	.get_capset = fake_get_capset,
	.ctx_create = fake_ctx_create,
	.ctx_destroy = fake_ctx_destroy,
	.submit = fake_submit,
	.create_fence = fake_create_fence,
	.create_blob = fake_create_blob,
};

static const struct gpu_model_capset_ops *const fake_capsets[] = {&fake_capset, NULL};

#endif
