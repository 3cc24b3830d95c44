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
#define FC_KEYMAP_SIZE 3001u

/* pipes (clipboard and primary selection, both ways): 1 MiB each */
#define FC_PIPE_BYTES (1u << 20)
#define FC_MIME "text/plain;charset=utf-8"

/*
 * Hostile pipes (guest-client hog|partial, fake-compositor --script):
 *  - hog: the offer writes FC_HOG_BYTES into a pipe the guest never reads, more
 *    than vsomm queues for one pipe (READ_PIPE_MAX_QUEUE, 64 MiB) plus the pipe;
 *  - partial: the offer writes FC_BIG_BYTES, the guest reads FC_PARTIAL_BYTES of
 *    it and closes its read end; the guest's source writes FC_BIG_BYTES and the
 *    compositor reads FC_PARTIAL_BYTES of it and closes its read end.
 */
#define FC_HOG_BYTES (80u << 20)
#define FC_BIG_BYTES (8u << 20)
#define FC_PARTIAL_BYTES 4096u

/* pattern seeds, one per stream so that no stream passes for another */
enum fc_seed {
	FC_SEED_KEYMAP = 1,
	FC_SEED_OFFER = 2,          /* compositor's wl_data_offer → guest */
	FC_SEED_SOURCE = 3,         /* guest's wl_data_source → compositor */
	FC_SEED_PRIMARY_OFFER = 4,  /* compositor's primary offer → guest */
	FC_SEED_PRIMARY_SOURCE = 5, /* guest's primary source → compositor */
	FC_SEED_DMABUF = 6,
};

static inline uint8_t fc_pattern(uint32_t seed, uint64_t i)
{
	uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull ^ (uint64_t)seed * 0xbf58476d1ce4e5b9ull;
	x ^= x >> 29;
	x *= 0x94d049bb133111ebull;
	return (uint8_t)(x >> 56);
}

/* zwp_linux_dmabuf_v1: a two-plane NV12 buffer with a tiled modifier */
#define FC_DRM_FORMAT_NV12 0x3231564eu
#define FC_DRM_FORMAT_XRGB8888 0x34325258u
#define FC_DMABUF_MODIFIER 0x0100000000000001ull /* I915_FORMAT_MOD_X_TILED */
#define FC_DMABUF_WIDTH 256
#define FC_DMABUF_HEIGHT 64
#define FC_DMABUF_STRIDE0 256u
#define FC_DMABUF_OFFSET1 16384u
#define FC_DMABUF_STRIDE1 256u
#define FC_DMABUF_SIZE 24676u      /* 24576 + 100: no page multiple either */
#define FC_DMABUF_MARK_OFFSET 100u /* the guest writes FC_DMABUF_MARK here after commit 1 */
#define FC_DMABUF_MARK "written-by-the-guest-after-send"
/* xdg_toplevel title carrying the guest memfd's identity: "fake-compositor dmabuf DEV:INO" */
#define FC_DMABUF_TITLE "fake-compositor dmabuf"

/*
 * zwp_linux_dmabuf_v1, linear (guest-client dmabuf-linear): XRGB8888 "dmabufs" of
 * guest memory (memfds), with a padded stride and an offset.  A host that takes
 * guest memory gets the memfds; one that does not (vsomm-host --strict, as
 * rutabaga) gets wl_shm copies: what the compositor sees (fc_image_hash of each
 * committed frame) must be the same either way, and the same as a direct run.
 *   frame 1: buffer A (create_immed), FC_SEED_LINEAR_A everywhere, full damage;
 *   frame 2: buffer A again, FC_LINEAR_RECT filled with FC_LINEAR_COLOR, damaged;
 *   frame 3: buffer B (create + created), FC_SEED_LINEAR_B, full damage.
 */
#define FC_LINEAR_WIDTH 300
#define FC_LINEAR_HEIGHT 200
#define FC_LINEAR_STRIDE 1280u /* 300 * 4 + padding */
#define FC_LINEAR_OFFSET 4096u
#define FC_LINEAR_SIZE (FC_LINEAR_OFFSET + FC_LINEAR_STRIDE * FC_LINEAR_HEIGHT)
#define FC_LINEAR_RECT_X 100
#define FC_LINEAR_RECT_Y 50
#define FC_LINEAR_RECT_W 40
#define FC_LINEAR_RECT_H 30
#define FC_LINEAR_COLOR 0xff3366ccu
#define FC_LINEAR_FRAMES 3
#define FC_SEED_LINEAR_A 7u
#define FC_SEED_LINEAR_B 8u

/* A frame's pixels (width*4 bytes per row, padding ignored): FNV-1a. */
static inline uint64_t fc_image_hash(const uint8_t *data, uint32_t stride, int width, int height)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (int y = 0; y < height; y++) {
		const uint8_t *row = data + (uint64_t)y * stride;
		for (int i = 0; i < width * 4; i++)
			h = (h ^ row[i]) * 0x100000001b3ull;
	}
	return h;
}

/* wl_shm: a 1920×1080 XRGB8888 buffer, full commit, then one 64×64 damage */
#define FC_SHM_WIDTH 1920
#define FC_SHM_HEIGHT 1080
#define FC_SHM_COLOR1 0xff102030u
#define FC_SHM_COLOR2 0xffa0b0c0u
#define FC_SHM_CANARY 0xffdeadbeu /* written at (0, 0) without damage: must not reach the host */
#define FC_SHM_RECT_X 640
#define FC_SHM_RECT_Y 480
#define FC_SHM_RECT_SIZE 64

#endif
