/* SPDX-License-Identifier: MIT */
/*
 * Validated decoding of the cross-domain wire format (docs/cross-domain.md §2).
 *
 * Both directions are untrusted: guest → host commands come from a guest, and
 * host → guest ring contents come from a host (or from a guest-visible page it
 * may still be writing).  Rules kept throughout:
 *  - every field is read with memcpy (submit buffers are not aligned);
 *  - every bound is checked by subtraction on size_t, never by adding a
 *    peer-chosen value to an offset (opaque_data_size may be 0xffffffff);
 *  - each field is read exactly once, into a local, and the view is built from
 *    those locals.  A caller that reads the command again after decoding (e.g.
 *    XDOMAIN_LOAD from a ring the host can still write) must re-check what it
 *    uses, or copy the bytes out of shared memory before decoding.
 *
 * On failure *out is zeroed except `cmd` (the command byte, when a header could
 * be read) and `base`, so that callers can name the command in their log line.
 */
#include "cross-domain/protocol.h"

#include <stdbool.h>
#include <string.h>

/* Offsets of the fields read here (static_asserted in protocol.h). */
#define HDR_SIZE sizeof(struct xdomain_header)
#define SR_SIZE sizeof(struct xdomain_send_receive)
#define RW_SIZE sizeof(struct xdomain_read_write)

static uint32_t load_u32(const uint8_t *p, size_t off)
{
	uint32_t v;
	memcpy(&v, p + off, sizeof(v));
	return v;
}

static bool id_type_ok_from_guest(uint32_t type)
{
	/* §2.5: VIRTGPU_SYNC (2) was never implemented; WRITE_PIPE (4) is host → guest. */
	return type == XDOMAIN_ID_TYPE_VIRTGPU_BLOB || type == XDOMAIN_ID_TYPE_READ_PIPE;
}

static bool id_type_ok_from_host(uint32_t type)
{
	return type == XDOMAIN_ID_TYPE_VIRTGPU_BLOB || type == XDOMAIN_ID_TYPE_WRITE_PIPE;
}

/*
 * SEND / RECEIVE body: `avail` bytes starting at `p` belong to the command
 * (avail ≥ 352 already checked).
 */
static enum xdomain_wire_error decode_send_receive(const uint8_t *p, size_t avail,
						   bool (*type_ok)(uint32_t),
						   struct xdomain_cmd_view *out)
{
	uint32_t num_ids = load_u32(p, offsetof(struct xdomain_send_receive, num_identifiers));
	uint32_t data_size = load_u32(p, offsetof(struct xdomain_send_receive, opaque_data_size));

	if (num_ids > XDOMAIN_MAX_IDENTIFIERS)
		return XDOMAIN_WIRE_TOO_MANY_IDS;
	if (data_size > avail - SR_SIZE)
		return XDOMAIN_WIRE_BAD_PAYLOAD;
	for (uint32_t i = 0; i < num_ids; i++) {
		size_t off = offsetof(struct xdomain_send_receive, identifier_types) +
			     (size_t)i * sizeof(uint32_t);
		if (!type_ok(load_u32(p, off)))
			return XDOMAIN_WIRE_BAD_ID_TYPE;
	}
	out->payload = p + SR_SIZE;
	out->payload_size = data_size;
	return XDOMAIN_WIRE_OK;
}

/* READ / WRITE body, same contract as decode_send_receive (avail ≥ 24). */
static enum xdomain_wire_error decode_read_write(const uint8_t *p, size_t avail,
						 struct xdomain_cmd_view *out)
{
	uint32_t hang_up = load_u32(p, offsetof(struct xdomain_read_write, hang_up));
	uint32_t data_size = load_u32(p, offsetof(struct xdomain_read_write, opaque_data_size));

	/* §2.4: hang_up is 0 or 1; anything else is a protocol error (as in wayland-proxy-virtwl). */
	if (hang_up > 1)
		return XDOMAIN_WIRE_BAD_HANG_UP;
	if (data_size > avail - RW_SIZE)
		return XDOMAIN_WIRE_BAD_PAYLOAD;
	out->payload = p + RW_SIZE;
	out->payload_size = data_size;
	return XDOMAIN_WIRE_OK;
}

static enum xdomain_wire_error fail(struct xdomain_cmd_view *out, enum xdomain_wire_error err)
{
	uint8_t cmd = out->cmd;
	const void *base = out->base;

	memset(out, 0, sizeof(*out));
	out->cmd = cmd;
	out->base = base;
	return err;
}

/*
 * INIT sizes (§2.4): exactly 16 (legacy {hdr, ring_id, channel_type}) or 20
 * (standard).  The libkrun 24-byte and magma 36-byte variants are rejected: vsomm
 * speaks neither extension, and magma also matches cmd_size exactly.  A size
 * below 20 that is not 16 is SHORT_CMD; anything above 20 is BAD_SIZE.
 * Note for users of the view: a legacy INIT is 16 bytes, so never XDOMAIN_LOAD
 * a whole struct xdomain_init from it — check view.size first.
 */
static enum xdomain_wire_error check_init_size(size_t size)
{
	if (size == XDOMAIN_INIT_LEGACY_SIZE || size == sizeof(struct xdomain_init))
		return XDOMAIN_WIRE_OK;
	return size < sizeof(struct xdomain_init) ? XDOMAIN_WIRE_SHORT_CMD : XDOMAIN_WIRE_BAD_SIZE;
}

enum xdomain_wire_error xdomain_decode_guest_cmd(const void *buf, size_t len,
						 struct xdomain_cmd_view *out)
{
	const uint8_t *p = buf;
	struct xdomain_header hdr;
	enum xdomain_wire_error err;
	size_t size;

	memset(out, 0, sizeof(*out));
	if (!buf || len < HDR_SIZE)
		return XDOMAIN_WIRE_TRUNCATED;
	memcpy(&hdr, p, sizeof(hdr));
	out->cmd = hdr.cmd;
	out->base = p;

	/* §2.1: a cmd_size of 0 would make a host loop forever on one command. */
	size = hdr.cmd_size;
	if (size < HDR_SIZE || size > len)
		return fail(out, XDOMAIN_WIRE_BAD_SIZE);

	switch (hdr.cmd) {
	case XDOMAIN_CMD_INIT:
		err = check_init_size(size);
		break;
	case XDOMAIN_CMD_GET_IMAGE_REQUIREMENTS:
		err = size < sizeof(struct xdomain_get_image_requirements) ? XDOMAIN_WIRE_SHORT_CMD
									   : XDOMAIN_WIRE_OK;
		break;
	case XDOMAIN_CMD_POLL:
		err = size < sizeof(struct xdomain_poll) ? XDOMAIN_WIRE_SHORT_CMD : XDOMAIN_WIRE_OK;
		break;
	case XDOMAIN_CMD_SEND:
		err = size < SR_SIZE ? XDOMAIN_WIRE_SHORT_CMD
				     : decode_send_receive(p, size, id_type_ok_from_guest, out);
		break;
	case XDOMAIN_CMD_WRITE:
		err = size < RW_SIZE ? XDOMAIN_WIRE_SHORT_CMD : decode_read_write(p, size, out);
		break;
	default:
		/* RECEIVE and READ are host → guest only; 8–13 are extensions vsomm does not speak. */
		err = XDOMAIN_WIRE_UNKNOWN_CMD;
		break;
	}
	if (err != XDOMAIN_WIRE_OK)
		return fail(out, err);
	out->size = size;
	return XDOMAIN_WIRE_OK;
}

enum xdomain_wire_error xdomain_decode_ring(const void *ring, size_t len,
					    struct xdomain_cmd_view *out)
{
	const uint8_t *p = ring;
	enum xdomain_wire_error err;
	uint8_t cmd;
	size_t head;

	memset(out, 0, sizeof(*out));
	if (!ring || len < HDR_SIZE)
		return XDOMAIN_WIRE_TRUNCATED;
	/* §2.2: hosts write cmd_size = 0 into the ring; only the command byte counts. */
	memcpy(&cmd, p, sizeof(cmd));
	out->cmd = cmd;
	out->base = p;

	switch (cmd) {
	case XDOMAIN_CMD_RECEIVE:
		head = SR_SIZE;
		err = len < head ? XDOMAIN_WIRE_SHORT_CMD
				 : decode_send_receive(p, len, id_type_ok_from_host, out);
		break;
	case XDOMAIN_CMD_READ:
		head = RW_SIZE;
		err = len < head ? XDOMAIN_WIRE_SHORT_CMD : decode_read_write(p, len, out);
		break;
	default:
		head = 0;
		err = XDOMAIN_WIRE_UNKNOWN_CMD;
		break;
	}
	if (err != XDOMAIN_WIRE_OK)
		return fail(out, err);
	/* payload_size ≤ len − head was checked, so this cannot overflow. */
	out->size = head + out->payload_size;
	return XDOMAIN_WIRE_OK;
}

const char *xdomain_strerror(enum xdomain_wire_error err)
{
	switch (err) {
	case XDOMAIN_WIRE_OK:
		return "ok";
	case XDOMAIN_WIRE_TRUNCATED:
		return "truncated header (fewer than 8 bytes left)";
	case XDOMAIN_WIRE_BAD_SIZE:
		return "bad cmd_size";
	case XDOMAIN_WIRE_SHORT_CMD:
		return "cmd_size smaller than the command";
	case XDOMAIN_WIRE_BAD_PAYLOAD:
		return "opaque_data_size beyond the command";
	case XDOMAIN_WIRE_TOO_MANY_IDS:
		return "more than 28 identifiers";
	case XDOMAIN_WIRE_BAD_ID_TYPE:
		return "identifier type not valid in this direction";
	case XDOMAIN_WIRE_BAD_HANG_UP:
		return "hang_up not 0 or 1";
	case XDOMAIN_WIRE_UNKNOWN_CMD:
		return "unknown or misdirected command";
	}
	return "unknown wire error";
}

void xdomain_header_init(struct xdomain_header *hdr, uint8_t cmd, size_t cmd_size)
{
	/*
	 * Callers build their own commands (≤ 4096 bytes); a larger size is a
	 * vsomm bug, not peer input.
	 */
	assert(cmd_size <= UINT16_MAX);
	memset(hdr, 0, sizeof(*hdr));
	hdr->cmd = cmd;
	hdr->cmd_size = (uint16_t)cmd_size;
}
