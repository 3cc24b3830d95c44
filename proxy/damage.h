/* SPDX-License-Identifier: MIT */
/*
 * wl_shm copy path helpers: damage in buffer coordinates and guarded copies of
 * exactly the damaged rows from a guest pool into a host shadow buffer.
 */
#ifndef PROXY_DAMAGE_H
#define PROXY_DAMAGE_H

#include <pixman.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Add surface-coordinate damage to `buffer_damage` (buffer coordinates) for a
 * buffer of `width`×`height` attached with `scale` and `transform`
 * (wl_output.transform).  A viewport or a transform other than normal damages the
 * whole buffer: copying more is always correct.
 */
void proxy_damage_add_surface(pixman_region32_t *buffer_damage, const pixman_region32_t *surface,
			      int32_t scale, uint32_t transform, bool viewport, int32_t width,
			      int32_t height);

/** A mapping of guest shm memory that may shrink under us (SIGBUS-guarded). */
struct proxy_guarded_map {
	void *addr;
	size_t size;
	volatile int faulted; /* set when an access hit SIGBUS: the memory now reads zeros */
};

/** Install the process-wide SIGBUS handler (idempotent). */
void proxy_damage_init_sigbus(void);

/**
 * Copy the rows of `region` (buffer coordinates, clipped to width×height) from
 * `src` (guest pool memory at `src_offset`, `src_stride`) to `dst` (`dst_stride`).
 * Returns the number of bytes copied; *faulted is set when the guest memory was
 * truncated during the copy (the client must then get a protocol error).
 */
size_t proxy_damage_copy(void *dst, uint32_t dst_stride, struct proxy_guarded_map *src,
			 size_t src_offset, uint32_t src_stride, uint32_t bytes_per_pixel,
			 int32_t width, int32_t height, const pixman_region32_t *region,
			 bool *faulted);

#endif
