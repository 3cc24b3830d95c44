/* SPDX-License-Identifier: MIT */
#include "proxy/damage.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#if defined(__x86_64__)
#include <emmintrin.h>
#endif

/*
 * The guest may truncate a pool's fd after creating buffers in it: reading the
 * mapping then raises SIGBUS.  Like libwayland's own wl_shm, the handler replaces
 * the mapping being read with anonymous zero pages so the copy completes, and
 * flags the fault so the client gets a protocol error afterwards.
 */
static struct proxy_guarded_map *volatile current_map;
static struct sigaction previous_sigbus;

static void handle_sigbus(int sig, siginfo_t *info, void *ucontext)
{
	struct proxy_guarded_map *map = current_map;
	char *addr = info->si_addr;
	if (map && addr >= (char *)map->addr && addr < (char *)map->addr + map->size) {
		map->faulted = 1;
		if (mmap(map->addr, map->size, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS,
			 -1, 0) != MAP_FAILED)
			return;
	}
	/* Not ours: behave as if we had never been installed. */
	sigaction(SIGBUS, &previous_sigbus, NULL);
	raise(SIGBUS);
}

void proxy_damage_init_sigbus(void)
{
	static bool installed;
	if (installed)
		return;
	struct sigaction sa = {.sa_sigaction = handle_sigbus, .sa_flags = SA_SIGINFO | SA_NODEFER};
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &previous_sigbus) == 0)
		installed = true;
}

void proxy_damage_add_surface(pixman_region32_t *buffer_damage, const pixman_region32_t *surface,
			      int32_t scale, uint32_t transform, bool viewport, int32_t width,
			      int32_t height)
{
	/*
	 * Rotated or flipped buffers are rare (fullscreen video, phones): the whole
	 * buffer is damaged then, which is correct and keeps this mapping obviously so.
	 */
	if (viewport || scale < 1 || transform != 0) {
		pixman_region32_union_rect(buffer_damage, buffer_damage, 0, 0, (unsigned)width,
					   (unsigned)height);
		return;
	}
	int n;
	const pixman_box32_t *boxes = pixman_region32_rectangles((pixman_region32_t *)surface, &n);
	for (int i = 0; i < n; i++) {
		pixman_box32_t b = boxes[i];
		/* Clamp first so the multiplication cannot overflow. */
		int32_t lim_w = width / scale + 1, lim_h = height / scale + 1;
		b.x1 = b.x1 < 0 ? 0 : (b.x1 > lim_w ? lim_w : b.x1);
		b.x2 = b.x2 < 0 ? 0 : (b.x2 > lim_w ? lim_w : b.x2);
		b.y1 = b.y1 < 0 ? 0 : (b.y1 > lim_h ? lim_h : b.y1);
		b.y2 = b.y2 < 0 ? 0 : (b.y2 > lim_h ? lim_h : b.y2);
		b.x1 *= scale, b.x2 *= scale, b.y1 *= scale, b.y2 *= scale;
		if (b.x2 > b.x1 && b.y2 > b.y1)
			pixman_region32_union_rect(buffer_damage, buffer_damage, b.x1, b.y1,
						   (unsigned)(b.x2 - b.x1),
						   (unsigned)(b.y2 - b.y1));
	}
	pixman_region32_intersect_rect(buffer_damage, buffer_damage, 0, 0, (unsigned)width,
				       (unsigned)height);
}

/*
 * Large spans go to the shadow with streaming (non-temporal) stores: the
 * shadow is read next by the host compositor, not by vsomm, so pulling its
 * lines into vsomm's cache first (the read-for-ownership of a plain memcpy)
 * only doubles the memory traffic of a full-frame copy.
 */
enum {
	STREAM_MIN = 256 * 1024
};
static int stream_mode = -1;

static void copy_span(void *dst, const void *src, size_t len)
{
#if defined(__x86_64__)
	if (stream_mode < 0) {
		const char *env = getenv("VSOMM_COPY_STREAM");
		stream_mode = !env || env[0] != '0';
	}
	if (stream_mode && len >= STREAM_MIN) {
		char *d = dst;
		const char *s = src;
		/* plain copy up to a 16-byte aligned destination */
		size_t head = (16 - ((uintptr_t)d & 15)) & 15;
		memcpy(d, s, head);
		d += head;
		s += head;
		len -= head;
		for (; len >= 64; len -= 64, d += 64, s += 64) {
			__m128i a = _mm_loadu_si128((const __m128i *)s);
			__m128i b = _mm_loadu_si128((const __m128i *)(s + 16));
			__m128i c = _mm_loadu_si128((const __m128i *)(s + 32));
			__m128i e = _mm_loadu_si128((const __m128i *)(s + 48));
			_mm_stream_si128((__m128i *)d, a);
			_mm_stream_si128((__m128i *)(d + 16), b);
			_mm_stream_si128((__m128i *)(d + 32), c);
			_mm_stream_si128((__m128i *)(d + 48), e);
		}
		_mm_sfence();
		memcpy(d, s, len);
		return;
	}
#endif
	memcpy(dst, src, len);
}

size_t proxy_damage_copy(void *dst, uint32_t dst_stride, struct proxy_guarded_map *src,
			 size_t src_offset, uint32_t src_stride, uint32_t bytes_per_pixel,
			 int32_t width, int32_t height, const pixman_region32_t *region,
			 bool *faulted)
{
	pixman_region32_t clip;
	pixman_region32_init(&clip);
	pixman_region32_intersect_rect(&clip, (pixman_region32_t *)region, 0, 0, (unsigned)width,
				       (unsigned)height);
	int n;
	const pixman_box32_t *boxes = pixman_region32_rectangles(&clip, &n);
	size_t copied = 0;
	current_map = src;
	for (int i = 0; i < n; i++) {
		const pixman_box32_t *b = &boxes[i];
		size_t x = (size_t)b->x1 * bytes_per_pixel;
		size_t len = (size_t)(b->x2 - b->x1) * bytes_per_pixel;
		/* Full-width boxes are one contiguous copy when the strides agree. */
		if (len == (size_t)width * bytes_per_pixel && src_stride == dst_stride) {
			size_t rows = (size_t)(b->y2 - b->y1);
			copy_span((char *)dst + (size_t)b->y1 * dst_stride,
				  (const char *)src->addr + src_offset + (size_t)b->y1 * src_stride,
				  rows * dst_stride);
			copied += rows * dst_stride;
			continue;
		}
		for (int32_t y = b->y1; y < b->y2; y++) {
			memcpy((char *)dst + (size_t)y * dst_stride + x,
			       (const char *)src->addr + src_offset + (size_t)y * src_stride + x,
			       len);
			copied += len;
		}
	}
	current_map = NULL;
	pixman_region32_fini(&clip);
	*faulted = src->faulted != 0;
	return copied;
}
