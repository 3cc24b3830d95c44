/* SPDX-License-Identifier: MIT */
/*
 * Linear image layouts (cross-domain/image.c).  The fourccs come from libdrm's
 * <drm_fourcc.h>, which also checks image.c's local copies of those values.
 */
#include "cross-domain/image.h"

#include <drm_fourcc.h>
#include <stdint.h>
#include <string.h>

#include "tests/lib/check.h"

#define PAGE 4096u
#define MIB (UINT64_C(1) << 20)

static struct xdomain_image_requirements layout(uint32_t w, uint32_t h, uint32_t fourcc,
						uint64_t page)
{
	struct xdomain_image_requirements req;

	memset(&req, 0xaa, sizeof(req));
	CHECK(xdomain_linear_layout(w, h, fourcc, page, &req));
	CHECK_EQ(req.modifier, 0);
	CHECK_EQ(req.blob_id, 0);
	CHECK_EQ(req.map_info, XDOMAIN_MAP_CACHE_CACHED);
	CHECK_EQ(req.memory_idx, -1);
	CHECK_EQ(req.physical_device_idx, -1);
	CHECK(req.size > 0);
	CHECK_EQ(req.size % page, 0);
	return req;
}

static void expect_reject(uint32_t w, uint32_t h, uint32_t fourcc, uint64_t page)
{
	struct xdomain_image_requirements req, zero;

	memset(&req, 0xaa, sizeof(req));
	memset(&zero, 0, sizeof(zero));
	CHECK(!xdomain_linear_layout(w, h, fourcc, page, &req));
	CHECK(memcmp(&req, &zero, sizeof(req)) == 0);
}

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static void test_known_layouts(void)
{
	struct xdomain_image_requirements req;

	req = layout(1920, 1080, DRM_FORMAT_XRGB8888, PAGE);
	CHECK_EQ(req.strides[0], 7680);
	CHECK_EQ(req.offsets[0], 0);
	CHECK_EQ(req.size, 8294400); /* already a multiple of 4096 */
	for (int i = 1; i < 4; i++) {
		CHECK_EQ(req.strides[i], 0);
		CHECK_EQ(req.offsets[i], 0);
	}

	/* Rounded up to the page size, with no stride alignment. */
	req = layout(33, 17, DRM_FORMAT_ARGB8888, PAGE);
	CHECK_EQ(req.strides[0], 132);
	CHECK_EQ(req.size, PAGE); /* 2244 bytes */
	req = layout(1, 1, DRM_FORMAT_R8, PAGE);
	CHECK_EQ(req.strides[0], 1);
	CHECK_EQ(req.size, PAGE);
	req = layout(4097, 1, DRM_FORMAT_R8, PAGE);
	CHECK_EQ(req.size, 2 * PAGE);
	req = layout(1920, 1080, DRM_FORMAT_XRGB8888, 16384);
	CHECK_EQ(req.size, round_up(8294400, 16384));
	req = layout(1000, 3, DRM_FORMAT_BGR888, 65536);
	CHECK_EQ(req.strides[0], 3000);
	CHECK_EQ(req.size, 65536);
}

static void test_formats(void)
{
	static const struct {
		uint32_t fourcc;
		uint32_t bpp;
	} packed[] = {
		{ DRM_FORMAT_R8, 1 },	       { DRM_FORMAT_RG88, 2 },
		{ DRM_FORMAT_GR88, 2 },	       { DRM_FORMAT_RGB565, 2 },
		{ DRM_FORMAT_RGB888, 3 },      { DRM_FORMAT_BGR888, 3 },
		{ DRM_FORMAT_XRGB8888, 4 },    { DRM_FORMAT_XBGR8888, 4 },
		{ DRM_FORMAT_ARGB8888, 4 },    { DRM_FORMAT_ABGR8888, 4 },
		{ DRM_FORMAT_XRGB2101010, 4 }, { DRM_FORMAT_XBGR2101010, 4 },
		{ DRM_FORMAT_ARGB2101010, 4 }, { DRM_FORMAT_ABGR2101010, 4 },
		{ DRM_FORMAT_ABGR16161616F, 8 },
	};

	for (size_t i = 0; i < sizeof(packed) / sizeof(packed[0]); i++) {
		struct xdomain_image_requirements req = layout(641, 479, packed[i].fourcc, PAGE);
		CHECK_EQ(req.strides[0], 641 * packed[i].bpp);
		CHECK_EQ(req.offsets[0], 0);
		CHECK_EQ(req.strides[1], 0);
		CHECK_EQ(req.size, round_up((uint64_t)641 * 479 * packed[i].bpp, PAGE));
	}
}

static void test_nv12(void)
{
	struct xdomain_image_requirements req;

	/* Y: 1920×1080 bytes; CbCr: 960×540 pairs, stride 1920, right after Y. */
	req = layout(1920, 1080, DRM_FORMAT_NV12, PAGE);
	CHECK_EQ(req.strides[0], 1920);
	CHECK_EQ(req.offsets[0], 0);
	CHECK_EQ(req.strides[1], 1920);
	CHECK_EQ(req.offsets[1], 1920 * 1080);
	CHECK_EQ(req.strides[2], 0);
	CHECK_EQ(req.size, round_up(1920 * 1080 * 3 / 2, PAGE));

	/* Odd sizes: the chroma plane rounds up. */
	req = layout(33, 17, DRM_FORMAT_NV12, PAGE);
	CHECK_EQ(req.strides[0], 33);
	CHECK_EQ(req.strides[1], 34);
	CHECK_EQ(req.offsets[1], 33 * 17);
	CHECK_EQ(req.size, PAGE);
	req = layout(1, 1, DRM_FORMAT_NV12, PAGE);
	CHECK_EQ(req.strides[1], 2);
	CHECK_EQ(req.offsets[1], 1);
}

static void test_rejects(void)
{
	/* Zero sizes, zero page size. */
	expect_reject(0, 1080, DRM_FORMAT_XRGB8888, PAGE);
	expect_reject(1920, 0, DRM_FORMAT_XRGB8888, PAGE);
	expect_reject(1920, 1080, DRM_FORMAT_XRGB8888, 0);

	/* Unknown or unsupported fourccs. */
	expect_reject(64, 64, 0, PAGE);
	expect_reject(64, 64, 0xffffffffu, PAGE);
	expect_reject(64, 64, DRM_FORMAT_YUYV, PAGE);
	expect_reject(64, 64, DRM_FORMAT_C8, PAGE);
	expect_reject(64, 64, DRM_FORMAT_XRGB8888 ^ 0x20, PAGE); /* 'x' instead of 'X' */

	/* Overflow of the stride, of stride × height, and of the total. */
	expect_reject(0xffffffffu, 0xffffffffu, DRM_FORMAT_XRGB8888, PAGE);
	expect_reject(0xffffffffu, 1, DRM_FORMAT_ABGR16161616F, PAGE);
	expect_reject(0x40000000u, 1, DRM_FORMAT_XRGB8888, PAGE);
	expect_reject(0xffffffffu, 0xffffffffu, DRM_FORMAT_NV12, PAGE);
	expect_reject(0xffffffffu, 0xffffffffu, DRM_FORMAT_R8, PAGE);
	expect_reject(1, 1, DRM_FORMAT_R8, UINT64_MAX); /* rounds to 2^64 - 1 */

	/* The 512 MiB cap: 8192×16384×4 exactly fits, one more row does not. */
	CHECK_EQ(layout(8192, 16384, DRM_FORMAT_XRGB8888, PAGE).size, 512 * MIB);
	expect_reject(8192, 16385, DRM_FORMAT_XRGB8888, PAGE);
	expect_reject(16384, 16384, DRM_FORMAT_ABGR16161616F, PAGE);
	/* NV12 whose Y plane fits but whose chroma plane goes past the cap. */
	expect_reject(16384, 32768, DRM_FORMAT_NV12, PAGE);
	/* A page size that rounds a small image past the cap. */
	expect_reject(1, 1, DRM_FORMAT_R8, 1024 * MIB);
}

int main(void)
{
	test_known_layouts();
	test_formats();
	test_nv12();
	test_rejects();
	printf("image: all checks passed\n");
	return 0;
}
