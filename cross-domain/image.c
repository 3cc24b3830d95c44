/* SPDX-License-Identifier: MIT */
/*
 * Linear image layouts, as vsomm-host answers GET_IMAGE_REQUIREMENTS without a
 * GPU (docs/cross-domain.md §4.3, the "system allocator"): per plane
 * stride = ceil(width / hsub) × bytes per pixel with no alignment, planes packed
 * back to back, total rounded up to the host page size, modifier 0 (linear).
 */
#include "cross-domain/image.h"

#include <string.h>

/*
 * Largest image (after page rounding) this allocator hands out: 512 MiB, i.e.
 * 8192×16384 at 4 bytes per pixel.  Bigger requests are refused rather than
 * letting one guest query ask for unbounded host memory; the per-context blob
 * limit (struct xdomain_service_limits) still applies on top.  It also keeps every
 * offset and stride within the u32 fields of the answer.
 */
#define XDOMAIN_MAX_IMAGE_BYTES (UINT64_C(512) << 20)
static_assert(XDOMAIN_MAX_IMAGE_BYTES <= UINT32_MAX, "offsets are u32 on the wire");

/*
 * DRM fourccs, same values as DRM_FORMAT_* in libdrm's <drm_fourcc.h>.  Defined
 * here because lib_common (linked by both sides) does not depend on libdrm;
 * tests/unit/test-image.c checks every one against the libdrm header.
 */
#define FOURCC(a, b, c, d) \
	((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))
#define FMT_R8 FOURCC('R', '8', ' ', ' ')
#define FMT_RG88 FOURCC('R', 'G', '8', '8')
#define FMT_GR88 FOURCC('G', 'R', '8', '8')
#define FMT_RGB565 FOURCC('R', 'G', '1', '6')
#define FMT_RGB888 FOURCC('R', 'G', '2', '4')
#define FMT_BGR888 FOURCC('B', 'G', '2', '4')
#define FMT_XRGB8888 FOURCC('X', 'R', '2', '4')
#define FMT_XBGR8888 FOURCC('X', 'B', '2', '4')
#define FMT_ARGB8888 FOURCC('A', 'R', '2', '4')
#define FMT_ABGR8888 FOURCC('A', 'B', '2', '4')
#define FMT_XRGB2101010 FOURCC('X', 'R', '3', '0')
#define FMT_XBGR2101010 FOURCC('X', 'B', '3', '0')
#define FMT_ARGB2101010 FOURCC('A', 'R', '3', '0')
#define FMT_ABGR2101010 FOURCC('A', 'B', '3', '0')
#define FMT_ABGR16161616F FOURCC('A', 'B', '4', 'H')
#define FMT_NV12 FOURCC('N', 'V', '1', '2')

#define MAX_PLANES 2

struct plane_desc {
	uint8_t bpp;  /* bytes per (subsampled) pixel */
	uint8_t hsub; /* horizontal subsampling */
	uint8_t vsub; /* vertical subsampling */
};

struct format_desc {
	uint32_t fourcc;
	uint8_t num_planes;
	struct plane_desc planes[MAX_PLANES];
};

#define PACKED(fourcc, bpp)                 \
	{                                   \
		(fourcc), 1,                \
		{                           \
			{                   \
				(bpp), 1, 1 \
			}                   \
		}                           \
	}

static const struct format_desc formats[] = {
	PACKED(FMT_R8, 1),
	PACKED(FMT_RG88, 2),
	PACKED(FMT_GR88, 2),
	PACKED(FMT_RGB565, 2),
	PACKED(FMT_RGB888, 3),
	PACKED(FMT_BGR888, 3),
	PACKED(FMT_XRGB8888, 4),
	PACKED(FMT_XBGR8888, 4),
	PACKED(FMT_ARGB8888, 4),
	PACKED(FMT_ABGR8888, 4),
	PACKED(FMT_XRGB2101010, 4),
	PACKED(FMT_XBGR2101010, 4),
	PACKED(FMT_ARGB2101010, 4),
	PACKED(FMT_ABGR2101010, 4),
	PACKED(FMT_ABGR16161616F, 8),
	/* Y plane at full resolution, then interleaved CbCr at half width and height. */
	{FMT_NV12, 2, {{1, 1, 1}, {2, 2, 2}}},
};

static const struct format_desc *find_format(uint32_t fourcc)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (formats[i].fourcc == fourcc)
			return &formats[i];
	}
	return NULL;
}

static uint32_t div_round_up(uint32_t v, uint32_t d)
{
	return v / d + (v % d != 0); /* no v + d − 1: that overflows near UINT32_MAX */
}

bool xdomain_linear_layout(uint32_t width, uint32_t height, uint32_t drm_format, uint64_t page_size,
			   struct xdomain_image_requirements *out)
{
	const struct format_desc *fmt = find_format(drm_format);
	uint64_t offset = 0, size, rem;

	memset(out, 0, sizeof(*out));
	if (!fmt || width == 0 || height == 0 || page_size == 0)
		return false;

	for (size_t i = 0; i < fmt->num_planes; i++) {
		const struct plane_desc *pl = &fmt->planes[i];
		uint32_t stride;
		uint64_t plane_size;

		if (__builtin_mul_overflow(div_round_up(width, pl->hsub), (uint32_t)pl->bpp,
					   &stride))
			goto err;
		if (__builtin_mul_overflow((uint64_t)stride,
					   (uint64_t)div_round_up(height, pl->vsub), &plane_size))
			goto err;
		/* offset ≤ XDOMAIN_MAX_IMAGE_BYTES here, so it fits the u32 field. */
		out->strides[i] = stride;
		out->offsets[i] = (uint32_t)offset;
		if (__builtin_add_overflow(offset, plane_size, &offset) ||
		    offset > XDOMAIN_MAX_IMAGE_BYTES)
			goto err;
	}

	/* §4.3 step 2: the host rounds the total up to its page size. */
	size = offset;
	rem = size % page_size;
	if (rem != 0 && __builtin_add_overflow(size, page_size - rem, &size))
		goto err;
	if (size > XDOMAIN_MAX_IMAGE_BYTES)
		goto err;

	out->modifier = 0; /* DRM_FORMAT_MOD_LINEAR */
	out->size = size;
	out->blob_id = 0; /* assigned by the caller (host item table) */
	out->map_info = XDOMAIN_MAP_CACHE_CACHED;
	out->memory_idx = -1;
	out->physical_device_idx = -1;
	return true;

err:
	memset(out, 0, sizeof(*out));
	return false;
}
