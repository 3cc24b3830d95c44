/* SPDX-License-Identifier: MIT */
/*
 * The virtio-gpu cross-domain wire format (capset 5).
 *
 * Every struct and constant here follows docs/cross-domain.md §1–§2 of the design
 * notes (written from rutabaga, sommelier and the Linux uapi).  All fields are
 * little-endian; vsomm only runs on little-endian hosts (checked below).
 */
#ifndef XDOMAIN_PROTOCOL_H
#define XDOMAIN_PROTOCOL_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the cross-domain wire format is little-endian; big-endian hosts are not supported"
#endif

/* §1 capset */
#define XDOMAIN_CAPSET_ID 5u
#define XDOMAIN_CAPSET_VERSION 0u /* max_version the host reports */
#define XDOMAIN_CAPS_VERSION 1u   /* xdomain_capabilities.version */

/* §2.3 commands */
enum xdomain_cmd {
	XDOMAIN_CMD_INIT = 1,
	XDOMAIN_CMD_GET_IMAGE_REQUIREMENTS = 2,
	XDOMAIN_CMD_POLL = 3,
	XDOMAIN_CMD_SEND = 4,
	XDOMAIN_CMD_RECEIVE = 5, /* host → guest only, written to the channel ring */
	XDOMAIN_CMD_READ = 6,    /* host → guest only, written to the channel ring */
	XDOMAIN_CMD_WRITE = 7,
};

/* channel types (INIT.channel_type); 0 means "no channel" */
#define XDOMAIN_CHANNEL_TYPE_NONE 0x0000u
#define XDOMAIN_CHANNEL_TYPE_WAYLAND 0x0001u
#define XDOMAIN_CHANNEL_TYPE_CAMERA 0x0002u

/* identifier types in SEND/RECEIVE */
enum xdomain_id_type {
	XDOMAIN_ID_TYPE_VIRTGPU_BLOB = 1,
	XDOMAIN_ID_TYPE_VIRTGPU_SYNC = 2, /* defined upstream, never implemented: rejected */
	XDOMAIN_ID_TYPE_READ_PIPE = 3,
	XDOMAIN_ID_TYPE_WRITE_PIPE = 4,
};

#define XDOMAIN_MAX_IDENTIFIERS 28u
#define XDOMAIN_RING_NONE 0xffffffffu
#define XDOMAIN_QUERY_RING 0u
#define XDOMAIN_CHANNEL_RING 1u
#define XDOMAIN_PIPE_READ_START 0x80000000u

/* Ring slot = one page; the largest host → guest write is RECEIVE 352 + 3744. */
#define XDOMAIN_RING_SIZE 4096u
#define XDOMAIN_MAX_RECEIVE_BYTES (XDOMAIN_RING_SIZE - 352u) /* 3744 */
#define XDOMAIN_MAX_SEND_BYTES (XDOMAIN_RING_SIZE - 352u)    /* guest chunk size */
#define XDOMAIN_MAX_READ_BYTES (XDOMAIN_RING_SIZE - 24u)     /* 4072 */
#define XDOMAIN_MAX_WRITE_BYTES (XDOMAIN_RING_SIZE - 24u)    /* guest chunk size */

/* gralloc / GBM usage flags of GET_IMAGE_REQUIREMENTS */
#define XDOMAIN_GRALLOC_SCANOUT (1u << 0)
#define XDOMAIN_GRALLOC_RENDERING (1u << 2)
#define XDOMAIN_GRALLOC_LINEAR (1u << 4)
#define XDOMAIN_GRALLOC_TEXTURING (1u << 5)
#define XDOMAIN_GRALLOC_CAMERA_WRITE (1u << 6)
#define XDOMAIN_GRALLOC_CAMERA_READ (1u << 7)
#define XDOMAIN_GRALLOC_PROTECTED (1u << 8)
#define XDOMAIN_GRALLOC_SW_READ_OFTEN (1u << 9)
#define XDOMAIN_GRALLOC_SW_WRITE_OFTEN (1u << 11)
#define XDOMAIN_GRALLOC_VIDEO_DECODER (1u << 13)
#define XDOMAIN_GRALLOC_VIDEO_ENCODER (1u << 14)
#define XDOMAIN_GRALLOC_VALID                                                                     \
	(XDOMAIN_GRALLOC_SCANOUT | XDOMAIN_GRALLOC_RENDERING | XDOMAIN_GRALLOC_LINEAR |           \
	 XDOMAIN_GRALLOC_TEXTURING | XDOMAIN_GRALLOC_CAMERA_WRITE | XDOMAIN_GRALLOC_CAMERA_READ | \
	 XDOMAIN_GRALLOC_PROTECTED | XDOMAIN_GRALLOC_SW_READ_OFTEN |                              \
	 XDOMAIN_GRALLOC_SW_WRITE_OFTEN | XDOMAIN_GRALLOC_VIDEO_DECODER |                         \
	 XDOMAIN_GRALLOC_VIDEO_ENCODER)

/* map_info cache types (low bits) and access bits */
#define XDOMAIN_MAP_CACHE_CACHED 0x01u
#define XDOMAIN_MAP_CACHE_UNCACHED 0x02u
#define XDOMAIN_MAP_CACHE_WC 0x03u
#define XDOMAIN_MAP_ACCESS_READ 0x10u
#define XDOMAIN_MAP_ACCESS_WRITE 0x20u

/* §1 capabilities, the 16-byte capset payload */
struct xdomain_capabilities {
	uint32_t version;
	uint32_t supported_channels; /* 1 << channel_type */
	uint32_t supports_dmabuf;
	uint32_t supports_external_gpu_memory;
};

/* §2.2 */
struct xdomain_header {
	uint8_t cmd;
	uint8_t fence_ctx_idx; /* ignored by the host; 0 */
	uint16_t cmd_size;     /* whole command, header and payload; 0 in host ring writes */
	uint32_t pad;
};

/* §2.4 INIT, the standard 20-byte layout (sent alone in its submit) */
struct xdomain_init {
	struct xdomain_header hdr;
	uint32_t query_ring_id;   /* virtio-gpu resource id */
	uint32_t channel_ring_id; /* virtio-gpu resource id */
	uint32_t channel_type;
};
/* legacy 16-byte INIT: {hdr, ring_id, channel_type}; channel ring = query ring */
#define XDOMAIN_INIT_LEGACY_SIZE 16u

struct xdomain_get_image_requirements {
	struct xdomain_header hdr;
	uint32_t width;
	uint32_t height;
	uint32_t drm_format;
	uint32_t flags;
};

/* answer written at offset 0 of the query ring, without a header */
struct xdomain_image_requirements {
	uint32_t strides[4];
	uint32_t offsets[4];
	uint64_t modifier;
	uint64_t size; /* rounded up to the host page size */
	uint32_t blob_id;
	uint32_t map_info;
	int32_t memory_idx;
	int32_t physical_device_idx;
};

struct xdomain_poll {
	struct xdomain_header hdr;
	uint64_t pad;
};

/* SEND (guest → host) and RECEIVE (host → guest); payload follows at offset 352 */
struct xdomain_send_receive {
	struct xdomain_header hdr;
	uint32_t num_identifiers;
	uint32_t opaque_data_size;
	uint32_t identifiers[XDOMAIN_MAX_IDENTIFIERS];
	uint32_t identifier_types[XDOMAIN_MAX_IDENTIFIERS];
	uint32_t identifier_sizes[XDOMAIN_MAX_IDENTIFIERS];
};

/* READ (host → guest) and WRITE (guest → host); payload follows at offset 24 */
struct xdomain_read_write {
	struct xdomain_header hdr;
	uint32_t identifier;
	uint32_t hang_up; /* 0 or 1 */
	uint32_t opaque_data_size;
	uint32_t pad;
};

#define XDOMAIN_ASSERT_LAYOUT(type, field, off) \
	static_assert(offsetof(struct type, field) == (off), #type "." #field " offset")
#define XDOMAIN_ASSERT_SIZE(type, size) static_assert(sizeof(struct type) == (size), #type " size")

XDOMAIN_ASSERT_SIZE(xdomain_capabilities, 16);
XDOMAIN_ASSERT_LAYOUT(xdomain_capabilities, version, 0);
XDOMAIN_ASSERT_LAYOUT(xdomain_capabilities, supported_channels, 4);
XDOMAIN_ASSERT_LAYOUT(xdomain_capabilities, supports_dmabuf, 8);
XDOMAIN_ASSERT_LAYOUT(xdomain_capabilities, supports_external_gpu_memory, 12);

XDOMAIN_ASSERT_SIZE(xdomain_header, 8);
XDOMAIN_ASSERT_LAYOUT(xdomain_header, cmd, 0);
XDOMAIN_ASSERT_LAYOUT(xdomain_header, fence_ctx_idx, 1);
XDOMAIN_ASSERT_LAYOUT(xdomain_header, cmd_size, 2);
XDOMAIN_ASSERT_LAYOUT(xdomain_header, pad, 4);

XDOMAIN_ASSERT_SIZE(xdomain_init, 20);
XDOMAIN_ASSERT_LAYOUT(xdomain_init, query_ring_id, 8);
XDOMAIN_ASSERT_LAYOUT(xdomain_init, channel_ring_id, 12);
XDOMAIN_ASSERT_LAYOUT(xdomain_init, channel_type, 16);

XDOMAIN_ASSERT_SIZE(xdomain_get_image_requirements, 24);
XDOMAIN_ASSERT_LAYOUT(xdomain_get_image_requirements, width, 8);
XDOMAIN_ASSERT_LAYOUT(xdomain_get_image_requirements, height, 12);
XDOMAIN_ASSERT_LAYOUT(xdomain_get_image_requirements, drm_format, 16);
XDOMAIN_ASSERT_LAYOUT(xdomain_get_image_requirements, flags, 20);

XDOMAIN_ASSERT_SIZE(xdomain_image_requirements, 64);
XDOMAIN_ASSERT_LAYOUT(xdomain_image_requirements, strides, 0);
XDOMAIN_ASSERT_LAYOUT(xdomain_image_requirements, offsets, 16);
XDOMAIN_ASSERT_LAYOUT(xdomain_image_requirements, modifier, 32);
XDOMAIN_ASSERT_LAYOUT(xdomain_image_requirements, size, 40);
XDOMAIN_ASSERT_LAYOUT(xdomain_image_requirements, blob_id, 48);
XDOMAIN_ASSERT_LAYOUT(xdomain_image_requirements, map_info, 52);
XDOMAIN_ASSERT_LAYOUT(xdomain_image_requirements, memory_idx, 56);
XDOMAIN_ASSERT_LAYOUT(xdomain_image_requirements, physical_device_idx, 60);

XDOMAIN_ASSERT_SIZE(xdomain_poll, 16);

XDOMAIN_ASSERT_SIZE(xdomain_send_receive, 352);
XDOMAIN_ASSERT_LAYOUT(xdomain_send_receive, num_identifiers, 8);
XDOMAIN_ASSERT_LAYOUT(xdomain_send_receive, opaque_data_size, 12);
XDOMAIN_ASSERT_LAYOUT(xdomain_send_receive, identifiers, 16);
XDOMAIN_ASSERT_LAYOUT(xdomain_send_receive, identifier_types, 128);
XDOMAIN_ASSERT_LAYOUT(xdomain_send_receive, identifier_sizes, 240);

XDOMAIN_ASSERT_SIZE(xdomain_read_write, 24);
XDOMAIN_ASSERT_LAYOUT(xdomain_read_write, identifier, 8);
XDOMAIN_ASSERT_LAYOUT(xdomain_read_write, hang_up, 12);
XDOMAIN_ASSERT_LAYOUT(xdomain_read_write, opaque_data_size, 16);
XDOMAIN_ASSERT_LAYOUT(xdomain_read_write, pad, 20);

static_assert(sizeof(struct xdomain_send_receive) + XDOMAIN_MAX_RECEIVE_BYTES == XDOMAIN_RING_SIZE,
	      "a full RECEIVE fills the ring slot exactly");

/* ---- validated decoding (cross-domain/wire.c) ---- */

/** Why a command was rejected; xdomain_strerror() names it for the one log line. */
enum xdomain_wire_error {
	XDOMAIN_WIRE_OK = 0,
	XDOMAIN_WIRE_TRUNCATED,    /* fewer than 8 bytes left for a header */
	XDOMAIN_WIRE_BAD_SIZE,     /* cmd_size < 8 or > what remains */
	XDOMAIN_WIRE_SHORT_CMD,    /* cmd_size < the command's struct size */
	XDOMAIN_WIRE_BAD_PAYLOAD,  /* opaque_data_size beyond cmd_size */
	XDOMAIN_WIRE_TOO_MANY_IDS, /* num_identifiers > 28 */
	XDOMAIN_WIRE_BAD_ID_TYPE,  /* identifier type unknown or not valid in this direction */
	XDOMAIN_WIRE_BAD_HANG_UP,  /* hang_up not 0 or 1 */
	XDOMAIN_WIRE_UNKNOWN_CMD,  /* command id not one vsomm implements */
};

/**
 * One command found in a submit buffer, already validated.
 * `size` is cmd_size; `payload`/`payload_size` are set for SEND/WRITE (and for
 * RECEIVE/READ when decoding a ring).
 */
struct xdomain_cmd_view {
	uint8_t cmd;
	size_t size;
	const void *base; /* the command, header first (not necessarily aligned) */
	const uint8_t *payload;
	size_t payload_size;
};

/**
 * Decode the next guest → host command at `buf` (`len` bytes remaining).
 * Checks cmd_size ≥ 8, ≤ len and ≥ the struct size of that command (INIT accepts
 * 16 and 20), opaque_data_size within cmd_size, num_identifiers ≤ 28, identifier
 * types READ_PIPE/VIRTGPU_BLOB only (SEND), hang_up ∈ {0,1} (WRITE).
 * Commands that only the host writes (RECEIVE, READ) are XDOMAIN_WIRE_UNKNOWN_CMD.
 */
enum xdomain_wire_error xdomain_decode_guest_cmd(const void *buf, size_t len,
						 struct xdomain_cmd_view *out);

/**
 * Decode what the host wrote into a channel ring of `len` bytes (RECEIVE or READ;
 * cmd_size is ignored there, as hosts write 0).  Checks num_identifiers ≤ 28,
 * identifier types BLOB/WRITE_PIPE, payload within the ring.
 */
enum xdomain_wire_error xdomain_decode_ring(const void *ring, size_t len,
					    struct xdomain_cmd_view *out);

const char *xdomain_strerror(enum xdomain_wire_error err);

/** Fill a header; cmd_size is the whole command including payload. */
void xdomain_header_init(struct xdomain_header *hdr, uint8_t cmd, size_t cmd_size);

/* Copy helpers: commands in a submit buffer may be unaligned; always memcpy. */
#define XDOMAIN_LOAD(dst, view) memcpy(&(dst), (view)->base, sizeof(dst))

#endif
