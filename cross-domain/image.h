/* SPDX-License-Identifier: MIT */
/*
 * Linear image layouts (image.c), shared by both sides: the host answers
 * GET_IMAGE_REQUIREMENTS with them, the guest checks which wl_shm formats it can
 * shadow with them.
 */
#ifndef XDOMAIN_IMAGE_H
#define XDOMAIN_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "cross-domain/protocol.h"

/**
 * Linear layout of `width`×`height` in `drm_format`, as the host allocates it:
 * stride = width × bpp, checked arithmetic, size rounded up to `page_size`.
 * Returns false for unknown formats, zero or overflowing sizes.
 */
bool xdomain_linear_layout(uint32_t width, uint32_t height, uint32_t drm_format, uint64_t page_size,
			   struct xdomain_image_requirements *out);

#endif
