/* SPDX-License-Identifier: MIT */
/*
 * What the scripted fake host compositor (fake-compositor.c) and the guest test
 * client (guest-client.c) agree on: sizes, patterns, dmabuf parameters, pixels.
 * Each side checks the other against these numbers.
 */
#ifndef TESTS_FAKE_COMPOSITOR_H
#define TESTS_FAKE_COMPOSITOR_H

#include <stdint.h>

/* wl_keyboard.keymap: a memfd of a size that is no page multiple */
#define FH_KEYMAP_SIZE 3001u

/* pipes (clipboard and primary selection, both ways): 1 MiB each */
#define FH_PIPE_BYTES (1u << 20)
#define FH_MIME "text/plain;charset=utf-8"

/*
 * Hostile pipes (guest-client hog|partial, fake-compositor --script):
 *  - hog: the offer writes FH_HOG_BYTES into a pipe the guest never reads, more
 *    than vsomm queues for one pipe (READ_PIPE_MAX_QUEUE, 64 MiB) plus the pipe;
 *  - partial: the offer writes FH_BIG_BYTES, the guest reads FH_PARTIAL_BYTES of
 *    it and closes its read end; the guest's source writes FH_BIG_BYTES and the
 *    compositor reads FH_PARTIAL_BYTES of it and closes its read end.
 */
#define FH_HOG_BYTES (80u << 20)
#define FH_BIG_BYTES (8u << 20)
#define FH_PARTIAL_BYTES 4096u

/* pattern seeds, one per stream so that no stream passes for another */
enum fh_seed {
	FH_SEED_KEYMAP = 1,
	FH_SEED_OFFER = 2,          /* compositor's wl_data_offer → guest */
	FH_SEED_SOURCE = 3,         /* guest's wl_data_source → compositor */
	FH_SEED_PRIMARY_OFFER = 4,  /* compositor's primary offer → guest */
	FH_SEED_PRIMARY_SOURCE = 5, /* guest's primary source → compositor */
	FH_SEED_DMABUF = 6,
};

static inline uint8_t fh_pattern(uint32_t seed, uint64_t i)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)seed * 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	x *= 0x94d049bb133111ebull;
	return (uint8_t)(x >> 56);
}

/* zwp_linux_dmabuf_v1: a two-plane NV12 buffer with a tiled modifier */
#define FH_DRM_FORMAT_NV12 0x3231564eu
#define FH_DRM_FORMAT_XRGB8888 0x34325258u
#define FH_DMABUF_MODIFIER 0x0100000000000001ull /* I915_FORMAT_MOD_X_TILED */
#define FH_DMABUF_WIDTH 256
#define FH_DMABUF_HEIGHT 64
#define FH_DMABUF_STRIDE0 256u
#define FH_DMABUF_OFFSET1 16384u
#define FH_DMABUF_STRIDE1 256u
#define FH_DMABUF_SIZE 24676u     /* 24576 + 100: no page multiple either */
#define FH_DMABUF_MARK_OFFSET 100u /* the guest writes FH_DMABUF_MARK here after commit 1 */
#define FH_DMABUF_MARK "written-by-the-guest-after-send"
/* xdg_toplevel title carrying the guest memfd's identity: "fakehost dmabuf DEV:INO" */
#define FH_DMABUF_TITLE "fakehost dmabuf"

/* wl_shm: a 1920×1080 XRGB8888 buffer, full commit, then one 64×64 damage */
#define FH_SHM_WIDTH 1920
#define FH_SHM_HEIGHT 1080
#define FH_SHM_COLOR1 0xff102030u
#define FH_SHM_COLOR2 0xffa0b0c0u
#define FH_SHM_CANARY 0xffdeadbeu /* written at (0, 0) without damage: must not reach the host */
#define FH_SHM_RECT_X 640
#define FH_SHM_RECT_Y 480
#define FH_SHM_RECT_SIZE 64

#endif
