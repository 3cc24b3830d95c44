/* SPDX-License-Identifier: MIT */
/* Damage mapping and guarded copies of the wl_shm path (proxy/damage.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proxy/damage.h"
#include "tests/lib/check.h"

static void check_extents(pixman_region32_t *r, int x1, int y1, int x2, int y2)
{
	pixman_box32_t *e = pixman_region32_extents(r);
	if (e->x1 != x1 || e->y1 != y1 || e->x2 != x2 || e->y2 != y2) {
		fprintf(stderr, "extents %d,%d-%d,%d, expected %d,%d-%d,%d\n", e->x1, e->y1, e->x2,
			e->y2, x1, y1, x2, y2);
		exit(1);
	}
}

static void test_mapping(void)
{
	pixman_region32_t surface, buffer;
	pixman_region32_init_rect(&surface, 10, 20, 30, 40);
	pixman_region32_init(&buffer);
	proxy_damage_add_surface(&buffer, &surface, 1, 0, false, 1920, 1080);
	check_extents(&buffer, 10, 20, 40, 60);

	pixman_region32_clear(&buffer);
	proxy_damage_add_surface(&buffer, &surface, 2, 0, false, 1920, 1080);
	check_extents(&buffer, 20, 40, 80, 120);

	/* transform or viewport: the whole buffer */
	pixman_region32_clear(&buffer);
	proxy_damage_add_surface(&buffer, &surface, 1, 1, false, 100, 50);
	check_extents(&buffer, 0, 0, 100, 50);
	pixman_region32_clear(&buffer);
	proxy_damage_add_surface(&buffer, &surface, 1, 0, true, 100, 50);
	check_extents(&buffer, 0, 0, 100, 50);

	/* huge or negative damage is clipped, no overflow */
	pixman_region32_fini(&surface);
	pixman_region32_init_rect(&surface, -1000000, -5, 0x7fffffff, 0x7fffffff);
	pixman_region32_clear(&buffer);
	proxy_damage_add_surface(&buffer, &surface, 7, 0, false, 64, 32);
	check_extents(&buffer, 0, 0, 64, 32);
	pixman_region32_fini(&surface);
	pixman_region32_fini(&buffer);
}

static void test_copy_exact(void)
{
	const int w = 1920, h = 1080, bpp = 4;
	size_t size = (size_t)w * h * bpp;
	char *src = malloc(size), *dst = calloc(1, size);
	CHECK(src && dst);
	for (size_t i = 0; i < size; i++)
		src[i] = (char)(i * 7 + 3);
	struct proxy_guarded_map map = {.addr = src, .size = size};
	pixman_region32_t region;
	pixman_region32_init_rect(&region, 500, 300, 64, 64);
	bool faulted = true;
	size_t n = proxy_damage_copy(dst, w * bpp, &map, 0, w * bpp, bpp, w, h, &region, &faulted);
	CHECK(n == 64 * 64 * 4);
	CHECK(!faulted);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			size_t o = ((size_t)y * w + x) * bpp;
			bool inside = x >= 500 && x < 564 && y >= 300 && y < 364;
			CHECK(memcmp(dst + o, inside ? src + o : "\0\0\0\0", bpp) == 0);
		}
	/* full damage: everything, as one contiguous copy */
	pixman_region32_fini(&region);
	pixman_region32_init_rect(&region, -5, -5, 5000, 5000);
	n = proxy_damage_copy(dst, w * bpp, &map, 0, w * bpp, bpp, w, h, &region, &faulted);
	CHECK(n == size);
	CHECK(memcmp(dst, src, size) == 0);
	pixman_region32_fini(&region);
	free(src);
	free(dst);
}

/* Large full-width copies take the streaming path: odd alignments and tails. */
static void test_copy_stream_unaligned(void)
{
	const int w = 1001, h = 301, bpp = 3; /* 903,903 bytes: not a multiple of 64 */
	size_t size = (size_t)w * h * bpp;
	char *src_buf = malloc(size + 64), *dst_buf = malloc(size + 64);
	CHECK(src_buf && dst_buf);
	for (size_t shift = 0; shift < 17; shift += 5) {
		char *src = src_buf + (shift * 3) % 16, *dst = dst_buf + shift;
		for (size_t i = 0; i < size; i++)
			src[i] = (char)(i * 13 + shift);
		memset(dst_buf, 0x5a, size + 64);
		struct proxy_guarded_map map = {.addr = src, .size = size};
		pixman_region32_t region;
		pixman_region32_init_rect(&region, 0, 0, (unsigned)w, (unsigned)h);
		bool faulted = true;
		size_t n = proxy_damage_copy(dst, (uint32_t)(w * bpp), &map, 0,
					     (uint32_t)(w * bpp), bpp, w, h, &region, &faulted);
		CHECK(n == size && !faulted);
		CHECK(memcmp(dst, src, size) == 0);
		for (size_t i = 0; i < shift; i++) /* nothing before or after */
			CHECK(dst_buf[i] == 0x5a);
		for (size_t i = shift + size; i < size + 64; i++)
			CHECK(dst_buf[i] == 0x5a);
		pixman_region32_fini(&region);
	}
	free(src_buf);
	free(dst_buf);
}

static void test_copy_sigbus(void)
{
	proxy_damage_init_sigbus();
	size_t size = 256 * 256 * 4;
	int fd = memfd_create("pool", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, (off_t)size) == 0);
	void *addr = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(addr != MAP_FAILED);
	CHECK(ftruncate(fd, 0) == 0); /* the guest shrinks its pool under us */
	char *dst = malloc(size);
	CHECK(dst);
	struct proxy_guarded_map map = {.addr = addr, .size = size};
	pixman_region32_t region;
	pixman_region32_init_rect(&region, 0, 0, 256, 256);
	bool faulted = false;
	proxy_damage_copy(dst, 256 * 4, &map, 0, 256 * 4, 4, 256, 256, &region, &faulted);
	CHECK(faulted);
	pixman_region32_fini(&region);
	munmap(addr, size);
	close(fd);
	free(dst);
}

int main(void)
{
	test_mapping();
	test_copy_exact();
	test_copy_stream_unaligned();
	test_copy_sigbus();
	printf("damage: ok\n");
	return 0;
}
