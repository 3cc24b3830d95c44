/* SPDX-License-Identifier: MIT */
/*
 * The cross-domain wire codec (cross-domain/wire.c): layouts, every valid command,
 * every malformed case rejected with its error, and a "fails cleanly" sweep.
 *
 * Every decode runs on a heap copy of exactly the bytes under test, at a chosen
 * misalignment, so that AddressSanitizer catches any read past the end.
 */
#include "cross-domain/protocol.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/check.h"

#define MAX_MISALIGN 8

/* What a decode produced, with pointers turned into offsets from the buffer start. */
struct result {
	enum xdomain_wire_error err;
	uint8_t cmd;
	size_t size;
	size_t payload_off;
	size_t payload_size;
};

static struct result decode_at(const uint8_t *bytes, size_t len, size_t misalign, bool ring)
{
	uint8_t *mem = malloc(misalign + len + 1);
	uint8_t *buf = mem + misalign;
	struct xdomain_cmd_view view;
	struct result r = { 0 };

	CHECK(mem);
	if (len)
		memcpy(buf, bytes, len);
	r.err = ring ? xdomain_decode_ring(buf, len, &view) : xdomain_decode_guest_cmd(buf, len, &view);
	r.cmd = view.cmd;
	if (r.err == XDOMAIN_WIRE_OK) {
		CHECK(view.base == buf);
		CHECK(view.size >= sizeof(struct xdomain_header));
		CHECK(view.size <= len);
		if (view.payload) {
			CHECK(view.payload >= buf);
			CHECK((size_t)(view.payload - buf) <= view.size);
			CHECK(view.payload_size <= view.size - (size_t)(view.payload - buf));
			r.payload_off = (size_t)(view.payload - buf);
		} else {
			CHECK(view.payload_size == 0);
		}
		r.size = view.size;
		r.payload_size = view.payload_size;
	} else {
		CHECK(view.size == 0);
		CHECK(view.payload == NULL);
		CHECK(view.payload_size == 0);
	}
	free(mem);
	return r;
}

static struct result decode(const uint8_t *bytes, size_t len, size_t misalign)
{
	return decode_at(bytes, len, misalign, false);
}

static struct result decode_ring(const uint8_t *bytes, size_t len, size_t misalign)
{
	return decode_at(bytes, len, misalign, true);
}

static void put32(uint8_t *buf, size_t off, uint32_t v)
{
	memcpy(buf + off, &v, sizeof(v));
}

static void put16(uint8_t *buf, size_t off, uint16_t v)
{
	memcpy(buf + off, &v, sizeof(v));
}

static void set_cmd_size(uint8_t *buf, uint16_t size)
{
	put16(buf, offsetof(struct xdomain_header, cmd_size), size);
}

/* A header-only command of `size` bytes (rest zero) at buf. */
static size_t put_simple(uint8_t *buf, uint8_t cmd, size_t size)
{
	struct xdomain_header hdr;

	memset(buf, 0, size);
	xdomain_header_init(&hdr, cmd, size);
	memcpy(buf, &hdr, sizeof(hdr));
	return size;
}

/* SEND (or RECEIVE with cmd_size 0 when ring) with identifier types and a payload pattern. */
static size_t put_send_receive(uint8_t *buf, uint8_t cmd, const uint32_t *types, uint32_t nids,
			       uint32_t data_size)
{
	struct xdomain_send_receive sr;

	memset(&sr, 0, sizeof(sr));
	xdomain_header_init(&sr.hdr, cmd, cmd == XDOMAIN_CMD_SEND ? sizeof(sr) + data_size : 0);
	sr.num_identifiers = nids;
	sr.opaque_data_size = data_size;
	for (uint32_t i = 0; i < nids && i < XDOMAIN_MAX_IDENTIFIERS; i++) {
		sr.identifiers[i] = 100 + i;
		sr.identifier_types[i] = types[i];
	}
	memcpy(buf, &sr, sizeof(sr));
	for (uint32_t i = 0; i < data_size; i++)
		buf[sizeof(sr) + i] = (uint8_t)(i * 7 + 1);
	return sizeof(sr) + data_size;
}

static size_t put_read_write(uint8_t *buf, uint8_t cmd, uint32_t hang_up, uint32_t data_size)
{
	struct xdomain_read_write rw;

	memset(&rw, 0, sizeof(rw));
	xdomain_header_init(&rw.hdr, cmd, cmd == XDOMAIN_CMD_WRITE ? sizeof(rw) + data_size : 0);
	rw.identifier = 0x80000001u;
	rw.hang_up = hang_up;
	rw.opaque_data_size = data_size;
	memcpy(buf, &rw, sizeof(rw));
	for (uint32_t i = 0; i < data_size; i++)
		buf[sizeof(rw) + i] = (uint8_t)i;
	return sizeof(rw) + data_size;
}

static void test_layouts(void)
{
	CHECK_EQ(sizeof(struct xdomain_header), 8);
	CHECK_EQ(offsetof(struct xdomain_header, cmd_size), 2);
	CHECK_EQ(sizeof(struct xdomain_capabilities), 16);
	CHECK_EQ(sizeof(struct xdomain_init), 20);
	CHECK_EQ(offsetof(struct xdomain_init, channel_ring_id), 12);
	CHECK_EQ(offsetof(struct xdomain_init, channel_type), 16);
	CHECK_EQ(sizeof(struct xdomain_get_image_requirements), 24);
	CHECK_EQ(offsetof(struct xdomain_get_image_requirements, flags), 20);
	CHECK_EQ(sizeof(struct xdomain_image_requirements), 64);
	CHECK_EQ(offsetof(struct xdomain_image_requirements, modifier), 32);
	CHECK_EQ(offsetof(struct xdomain_image_requirements, size), 40);
	CHECK_EQ(offsetof(struct xdomain_image_requirements, blob_id), 48);
	CHECK_EQ(offsetof(struct xdomain_image_requirements, physical_device_idx), 60);
	CHECK_EQ(sizeof(struct xdomain_poll), 16);
	CHECK_EQ(sizeof(struct xdomain_send_receive), 352);
	CHECK_EQ(offsetof(struct xdomain_send_receive, opaque_data_size), 12);
	CHECK_EQ(offsetof(struct xdomain_send_receive, identifiers), 16);
	CHECK_EQ(offsetof(struct xdomain_send_receive, identifier_types), 128);
	CHECK_EQ(offsetof(struct xdomain_send_receive, identifier_sizes), 240);
	CHECK_EQ(sizeof(struct xdomain_read_write), 24);
	CHECK_EQ(offsetof(struct xdomain_read_write, hang_up), 12);
	CHECK_EQ(offsetof(struct xdomain_read_write, opaque_data_size), 16);
	CHECK_EQ(XDOMAIN_MAX_RECEIVE_BYTES, 3744);
	CHECK_EQ(XDOMAIN_MAX_READ_BYTES, 4072);
}

static void test_header_init(void)
{
	struct xdomain_header hdr;
	uint8_t raw[8];

	memset(&hdr, 0xaa, sizeof(hdr));
	xdomain_header_init(&hdr, XDOMAIN_CMD_SEND, 352 + 3744);
	memcpy(raw, &hdr, sizeof(raw));
	CHECK_EQ(raw[0], XDOMAIN_CMD_SEND);
	CHECK_EQ(raw[1], 0);
	CHECK_EQ(raw[2], 4096 & 0xff); /* little-endian u16 */
	CHECK_EQ(raw[3], 4096 >> 8);
	CHECK_EQ(raw[4] | raw[5] | raw[6] | raw[7], 0);
}

static void test_strerror(void)
{
	const enum xdomain_wire_error all[] = {
		XDOMAIN_WIRE_OK,	   XDOMAIN_WIRE_TRUNCATED,    XDOMAIN_WIRE_BAD_SIZE,
		XDOMAIN_WIRE_SHORT_CMD,	   XDOMAIN_WIRE_BAD_PAYLOAD,  XDOMAIN_WIRE_TOO_MANY_IDS,
		XDOMAIN_WIRE_BAD_ID_TYPE,  XDOMAIN_WIRE_BAD_HANG_UP,  XDOMAIN_WIRE_UNKNOWN_CMD,
	};
	const size_t n = sizeof(all) / sizeof(all[0]);

	for (size_t i = 0; i < n; i++) {
		const char *s = xdomain_strerror(all[i]);
		CHECK(s && s[0]);
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(s, xdomain_strerror(all[j])) != 0);
	}
	CHECK(xdomain_strerror((enum xdomain_wire_error)99) != NULL);
}

static void test_valid_guest_cmds(size_t mis)
{
	uint8_t buf[4096 + 64];
	const uint32_t types[] = { XDOMAIN_ID_TYPE_VIRTGPU_BLOB, XDOMAIN_ID_TYPE_READ_PIPE };
	uint32_t all_types[XDOMAIN_MAX_IDENTIFIERS];
	struct result r;
	size_t n;

	/* INIT, standard and legacy. */
	n = put_simple(buf, XDOMAIN_CMD_INIT, 20);
	r = decode(buf, n, mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);
	CHECK_EQ(r.cmd, XDOMAIN_CMD_INIT);
	CHECK_EQ(r.size, 20);
	CHECK_EQ(r.payload_size, 0);
	n = put_simple(buf, XDOMAIN_CMD_INIT, 16);
	r = decode(buf, n, mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);
	CHECK_EQ(r.size, 16);

	n = put_simple(buf, XDOMAIN_CMD_GET_IMAGE_REQUIREMENTS, 24);
	r = decode(buf, n, mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);
	CHECK_EQ(r.cmd, XDOMAIN_CMD_GET_IMAGE_REQUIREMENTS);
	CHECK_EQ(r.size, 24);

	n = put_simple(buf, XDOMAIN_CMD_POLL, 16);
	r = decode(buf, n, mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);
	CHECK_EQ(r.size, 16);
	/* Bytes after a command that are not part of it are the next command's business. */
	r = decode(buf, n + 5, mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);
	CHECK_EQ(r.size, 16);

	n = put_send_receive(buf, XDOMAIN_CMD_SEND, types, 2, 10);
	r = decode(buf, n, mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);
	CHECK_EQ(r.cmd, XDOMAIN_CMD_SEND);
	CHECK_EQ(r.size, 362);
	CHECK_EQ(r.payload_off, 352);
	CHECK_EQ(r.payload_size, 10);

	/* Empty SEND; a full SEND with 28 identifiers and the largest chunk. */
	n = put_send_receive(buf, XDOMAIN_CMD_SEND, types, 0, 0);
	r = decode(buf, n, mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);
	CHECK_EQ(r.size, 352);
	CHECK_EQ(r.payload_size, 0);
	for (size_t i = 0; i < XDOMAIN_MAX_IDENTIFIERS; i++)
		all_types[i] = i % 2 ? XDOMAIN_ID_TYPE_READ_PIPE : XDOMAIN_ID_TYPE_VIRTGPU_BLOB;
	n = put_send_receive(buf, XDOMAIN_CMD_SEND, all_types, XDOMAIN_MAX_IDENTIFIERS,
			     XDOMAIN_MAX_SEND_BYTES);
	r = decode(buf, n, mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);
	CHECK_EQ(r.size, 4096);
	CHECK_EQ(r.payload_size, XDOMAIN_MAX_SEND_BYTES);

	/* Garbage types in slots past num_identifiers are not looked at. */
	n = put_send_receive(buf, XDOMAIN_CMD_SEND, types, 2, 0);
	put32(buf, offsetof(struct xdomain_send_receive, identifier_types) + 2 * 4, 99);
	r = decode(buf, n, mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);

	/* cmd_size larger than 352 + opaque_data_size (padding) is fine. */
	n = put_send_receive(buf, XDOMAIN_CMD_SEND, types, 1, 3);
	set_cmd_size(buf, (uint16_t)(n + 5));
	r = decode(buf, n + 5, mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);
	CHECK_EQ(r.size, n + 5);
	CHECK_EQ(r.payload_size, 3);

	n = put_read_write(buf, XDOMAIN_CMD_WRITE, 0, 100);
	r = decode(buf, n, mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);
	CHECK_EQ(r.cmd, XDOMAIN_CMD_WRITE);
	CHECK_EQ(r.size, 124);
	CHECK_EQ(r.payload_off, 24);
	CHECK_EQ(r.payload_size, 100);
	n = put_read_write(buf, XDOMAIN_CMD_WRITE, 1, 0);
	r = decode(buf, n, mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);
	CHECK_EQ(r.size, 24);
	n = put_read_write(buf, XDOMAIN_CMD_WRITE, 0, XDOMAIN_MAX_WRITE_BYTES);
	r = decode(buf, n, mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);
	CHECK_EQ(r.payload_size, XDOMAIN_MAX_WRITE_BYTES);
}

/* Decode `len` bytes of buf, expect `err`, and that the failing command byte is reported. */
static void expect(const uint8_t *buf, size_t len, size_t mis, enum xdomain_wire_error err)
{
	struct result r = decode(buf, len, mis);

	if (r.err != err) {
		fprintf(stderr, "expected \"%s\", got \"%s\"\n", xdomain_strerror(err),
			xdomain_strerror(r.err));
	}
	CHECK_EQ(r.err, err);
	if (len >= sizeof(struct xdomain_header))
		CHECK_EQ(r.cmd, buf[0]);
}

static void test_malformed_guest_cmds(size_t mis)
{
	uint8_t buf[4096 + 64];
	const uint32_t types[] = { XDOMAIN_ID_TYPE_VIRTGPU_BLOB, XDOMAIN_ID_TYPE_READ_PIPE };
	const uint32_t bad_types[] = { 0, XDOMAIN_ID_TYPE_VIRTGPU_SYNC, XDOMAIN_ID_TYPE_WRITE_PIPE,
				       5, 6, 7, 99, 0xffffffffu };
	size_t n;

	/* Truncated header. */
	n = put_simple(buf, XDOMAIN_CMD_POLL, 16);
	expect(buf, 0, mis, XDOMAIN_WIRE_TRUNCATED);
	expect(buf, 1, mis, XDOMAIN_WIRE_TRUNCATED);
	expect(buf, 7, mis, XDOMAIN_WIRE_TRUNCATED);
	{
		struct xdomain_cmd_view view;
		CHECK_EQ(xdomain_decode_guest_cmd(NULL, 0, &view), XDOMAIN_WIRE_TRUNCATED);
	}

	/* cmd_size 0 (would loop forever), 7, and past the buffer. */
	set_cmd_size(buf, 0);
	expect(buf, n, mis, XDOMAIN_WIRE_BAD_SIZE);
	set_cmd_size(buf, 7);
	expect(buf, n, mis, XDOMAIN_WIRE_BAD_SIZE);
	set_cmd_size(buf, 16);
	expect(buf, 15, mis, XDOMAIN_WIRE_BAD_SIZE);
	expect(buf, 8, mis, XDOMAIN_WIRE_BAD_SIZE);
	set_cmd_size(buf, 0xffff);
	expect(buf, n, mis, XDOMAIN_WIRE_BAD_SIZE);

	/* cmd_size shorter than the struct. */
	n = put_simple(buf, XDOMAIN_CMD_POLL, 16);
	set_cmd_size(buf, 12);
	expect(buf, n, mis, XDOMAIN_WIRE_SHORT_CMD);
	n = put_simple(buf, XDOMAIN_CMD_GET_IMAGE_REQUIREMENTS, 24);
	set_cmd_size(buf, 20);
	expect(buf, n, mis, XDOMAIN_WIRE_SHORT_CMD);
	n = put_send_receive(buf, XDOMAIN_CMD_SEND, types, 0, 0);
	set_cmd_size(buf, 351);
	expect(buf, n, mis, XDOMAIN_WIRE_SHORT_CMD);
	set_cmd_size(buf, 8);
	expect(buf, n, mis, XDOMAIN_WIRE_SHORT_CMD);
	n = put_read_write(buf, XDOMAIN_CMD_WRITE, 0, 0);
	set_cmd_size(buf, 23);
	expect(buf, n, mis, XDOMAIN_WIRE_SHORT_CMD);

	/* INIT: only 16 and 20. */
	n = put_simple(buf, XDOMAIN_CMD_INIT, 64);
	set_cmd_size(buf, 18);
	expect(buf, n, mis, XDOMAIN_WIRE_SHORT_CMD);
	set_cmd_size(buf, 8);
	expect(buf, n, mis, XDOMAIN_WIRE_SHORT_CMD);
	set_cmd_size(buf, 12);
	expect(buf, n, mis, XDOMAIN_WIRE_SHORT_CMD);
	set_cmd_size(buf, 24); /* libkrun's v1 INIT */
	expect(buf, n, mis, XDOMAIN_WIRE_BAD_SIZE);
	set_cmd_size(buf, 36); /* magma's internal-socket INIT */
	expect(buf, n, mis, XDOMAIN_WIRE_BAD_SIZE);

	/* 29 identifiers, and a huge count. */
	n = put_send_receive(buf, XDOMAIN_CMD_SEND, types, 2, 0);
	put32(buf, offsetof(struct xdomain_send_receive, num_identifiers), 29);
	expect(buf, n, mis, XDOMAIN_WIRE_TOO_MANY_IDS);
	put32(buf, offsetof(struct xdomain_send_receive, num_identifiers), 0xffffffffu);
	expect(buf, n, mis, XDOMAIN_WIRE_TOO_MANY_IDS);

	/* Payload past cmd_size, including values that wrap 352 + size in 32 bits. */
	n = put_send_receive(buf, XDOMAIN_CMD_SEND, types, 2, 10);
	put32(buf, offsetof(struct xdomain_send_receive, opaque_data_size), 11);
	expect(buf, n, mis, XDOMAIN_WIRE_BAD_PAYLOAD);
	/* The buffer holds the bytes, but cmd_size does not cover them. */
	expect(buf, n + 1, mis, XDOMAIN_WIRE_BAD_PAYLOAD);
	put32(buf, offsetof(struct xdomain_send_receive, opaque_data_size), 0xffffffffu);
	expect(buf, n, mis, XDOMAIN_WIRE_BAD_PAYLOAD);
	put32(buf, offsetof(struct xdomain_send_receive, opaque_data_size), 0xffffffffu - 351);
	expect(buf, n, mis, XDOMAIN_WIRE_BAD_PAYLOAD);
	put32(buf, offsetof(struct xdomain_send_receive, opaque_data_size), 0x80000000u);
	expect(buf, n, mis, XDOMAIN_WIRE_BAD_PAYLOAD);

	n = put_read_write(buf, XDOMAIN_CMD_WRITE, 0, 10);
	put32(buf, offsetof(struct xdomain_read_write, opaque_data_size), 11);
	expect(buf, n, mis, XDOMAIN_WIRE_BAD_PAYLOAD);
	put32(buf, offsetof(struct xdomain_read_write, opaque_data_size), 0xffffffffu);
	expect(buf, n, mis, XDOMAIN_WIRE_BAD_PAYLOAD);
	put32(buf, offsetof(struct xdomain_read_write, opaque_data_size), 0xffffffffu - 23);
	expect(buf, n, mis, XDOMAIN_WIRE_BAD_PAYLOAD);

	/* Identifier types a guest may not send, in the first and the last used slot. */
	for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
		n = put_send_receive(buf, XDOMAIN_CMD_SEND, types, 2, 0);
		put32(buf, offsetof(struct xdomain_send_receive, identifier_types), bad_types[i]);
		expect(buf, n, mis, XDOMAIN_WIRE_BAD_ID_TYPE);
		n = put_send_receive(buf, XDOMAIN_CMD_SEND, types, 2, 0);
		put32(buf, offsetof(struct xdomain_send_receive, identifier_types) + 4, bad_types[i]);
		expect(buf, n, mis, XDOMAIN_WIRE_BAD_ID_TYPE);
	}

	/* hang_up must be 0 or 1. */
	n = put_read_write(buf, XDOMAIN_CMD_WRITE, 2, 0);
	expect(buf, n, mis, XDOMAIN_WIRE_BAD_HANG_UP);
	n = put_read_write(buf, XDOMAIN_CMD_WRITE, 0xffffffffu, 0);
	expect(buf, n, mis, XDOMAIN_WIRE_BAD_HANG_UP);

	/* Unknown commands, extensions, and host-only commands sent by a guest. */
	{
		const uint8_t cmds[] = { 0, 8, 9, 12, 13, 14, 0x80, 0xff };
		for (size_t i = 0; i < sizeof(cmds); i++) {
			n = put_simple(buf, cmds[i], 32);
			expect(buf, n, mis, XDOMAIN_WIRE_UNKNOWN_CMD);
		}
	}
	n = put_send_receive(buf, XDOMAIN_CMD_RECEIVE, types, 2, 10);
	set_cmd_size(buf, (uint16_t)n);
	expect(buf, n, mis, XDOMAIN_WIRE_UNKNOWN_CMD);
	n = put_read_write(buf, XDOMAIN_CMD_READ, 0, 10);
	set_cmd_size(buf, (uint16_t)n);
	expect(buf, n, mis, XDOMAIN_WIRE_UNKNOWN_CMD);
}

/* Several commands back to back, walked by cmd_size as a host does (§2.1). */
static void test_back_to_back(size_t mis)
{
	const uint32_t types[] = { XDOMAIN_ID_TYPE_READ_PIPE };
	const uint8_t expect_cmds[] = {
		XDOMAIN_CMD_GET_IMAGE_REQUIREMENTS, XDOMAIN_CMD_POLL, XDOMAIN_CMD_SEND,
		XDOMAIN_CMD_WRITE,		    XDOMAIN_CMD_SEND, XDOMAIN_CMD_POLL,
	};
	uint8_t *mem = malloc(MAX_MISALIGN + 2048);
	uint8_t *buf = mem + mis;
	struct xdomain_cmd_view view;
	size_t len = 0, off = 0, count = 0;

	CHECK(mem);
	len += put_simple(buf + len, XDOMAIN_CMD_GET_IMAGE_REQUIREMENTS, 24);
	len += put_simple(buf + len, XDOMAIN_CMD_POLL, 16);
	len += put_send_receive(buf + len, XDOMAIN_CMD_SEND, types, 1, 5); /* 357: odd */
	len += put_read_write(buf + len, XDOMAIN_CMD_WRITE, 1, 3);
	len += put_send_receive(buf + len, XDOMAIN_CMD_SEND, types, 0, 0);
	len += put_simple(buf + len, XDOMAIN_CMD_POLL, 16);

	while (off < len) {
		CHECK_EQ(xdomain_decode_guest_cmd(buf + off, len - off, &view), XDOMAIN_WIRE_OK);
		CHECK(count < sizeof(expect_cmds));
		CHECK_EQ(view.cmd, expect_cmds[count]);
		CHECK(view.base == buf + off);
		if (view.cmd == XDOMAIN_CMD_SEND && count == 2) {
			CHECK_EQ(view.payload_size, 5);
			CHECK(view.payload == buf + off + 352);
			CHECK_EQ(view.payload[4], (uint8_t)(4 * 7 + 1));
		}
		if (view.cmd == XDOMAIN_CMD_WRITE) {
			struct xdomain_read_write rw;
			XDOMAIN_LOAD(rw, &view);
			CHECK_EQ(rw.hang_up, 1);
			CHECK_EQ(view.payload_size, 3);
		}
		off += view.size;
		count++;
	}
	CHECK_EQ(off, len);
	CHECK_EQ(count, sizeof(expect_cmds));

	/* A bad command in the middle stops the walk there, with its error. */
	set_cmd_size(buf + 24, 0);
	CHECK_EQ(xdomain_decode_guest_cmd(buf, len, &view), XDOMAIN_WIRE_OK);
	CHECK_EQ(xdomain_decode_guest_cmd(buf + view.size, len - view.size, &view),
		 XDOMAIN_WIRE_BAD_SIZE);
	CHECK_EQ(view.cmd, XDOMAIN_CMD_POLL);
	/* The last command claiming one byte more than is left. */
	set_cmd_size(buf + len - 16, 17);
	CHECK_EQ(xdomain_decode_guest_cmd(buf + len - 16, 16, &view), XDOMAIN_WIRE_BAD_SIZE);
	free(mem);
}

static void expect_ring(const uint8_t *ring, size_t len, size_t mis,
			enum xdomain_wire_error err)
{
	struct result r = decode_ring(ring, len, mis);

	if (r.err != err) {
		fprintf(stderr, "ring: expected \"%s\", got \"%s\"\n", xdomain_strerror(err),
			xdomain_strerror(r.err));
	}
	CHECK_EQ(r.err, err);
}

static void test_ring(size_t mis)
{
	uint8_t ring[XDOMAIN_RING_SIZE];
	const uint32_t types[] = { XDOMAIN_ID_TYPE_VIRTGPU_BLOB, XDOMAIN_ID_TYPE_WRITE_PIPE };
	struct result r;
	size_t n;

	memset(ring, 0, sizeof(ring));
	/* RECEIVE with two fds and 100 bytes; hosts leave cmd_size 0. */
	n = put_send_receive(ring, XDOMAIN_CMD_RECEIVE, types, 2, 100);
	CHECK_EQ(n, 452);
	r = decode_ring(ring, sizeof(ring), mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);
	CHECK_EQ(r.cmd, XDOMAIN_CMD_RECEIVE);
	CHECK_EQ(r.size, 452);
	CHECK_EQ(r.payload_off, 352);
	CHECK_EQ(r.payload_size, 100);
	/* Any cmd_size is ignored. */
	set_cmd_size(ring, 3);
	CHECK_EQ(decode_ring(ring, sizeof(ring), mis).err, XDOMAIN_WIRE_OK);
	set_cmd_size(ring, 0xffff);
	CHECK_EQ(decode_ring(ring, sizeof(ring), mis).err, XDOMAIN_WIRE_OK);

	/* The empty RECEIVE (compositor EOF) and a full one. */
	put_send_receive(ring, XDOMAIN_CMD_RECEIVE, types, 0, 0);
	r = decode_ring(ring, sizeof(ring), mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);
	CHECK_EQ(r.size, 352);
	CHECK_EQ(r.payload_size, 0);
	put_send_receive(ring, XDOMAIN_CMD_RECEIVE, types, 2, XDOMAIN_MAX_RECEIVE_BYTES);
	r = decode_ring(ring, sizeof(ring), mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);
	CHECK_EQ(r.size, XDOMAIN_RING_SIZE);

	/* RECEIVE payload past the ring. */
	put32(ring, offsetof(struct xdomain_send_receive, opaque_data_size),
	      XDOMAIN_MAX_RECEIVE_BYTES + 1);
	expect_ring(ring, sizeof(ring), mis, XDOMAIN_WIRE_BAD_PAYLOAD);
	put32(ring, offsetof(struct xdomain_send_receive, opaque_data_size), 0xffffffffu);
	expect_ring(ring, sizeof(ring), mis, XDOMAIN_WIRE_BAD_PAYLOAD);
	put32(ring, offsetof(struct xdomain_send_receive, opaque_data_size), 100);
	expect_ring(ring, 451, mis, XDOMAIN_WIRE_BAD_PAYLOAD);
	expect_ring(ring, 452, mis, XDOMAIN_WIRE_OK);

	/* Ring too small for the struct or the header. */
	expect_ring(ring, 351, mis, XDOMAIN_WIRE_SHORT_CMD);
	expect_ring(ring, 8, mis, XDOMAIN_WIRE_SHORT_CMD);
	expect_ring(ring, 7, mis, XDOMAIN_WIRE_TRUNCATED);
	expect_ring(ring, 0, mis, XDOMAIN_WIRE_TRUNCATED);

	/* Identifiers: count and the types a host may send. */
	put_send_receive(ring, XDOMAIN_CMD_RECEIVE, types, 2, 0);
	put32(ring, offsetof(struct xdomain_send_receive, num_identifiers), 29);
	expect_ring(ring, sizeof(ring), mis, XDOMAIN_WIRE_TOO_MANY_IDS);
	put_send_receive(ring, XDOMAIN_CMD_RECEIVE, types, 2, 0);
	put32(ring, offsetof(struct xdomain_send_receive, identifier_types) + 4,
	      XDOMAIN_ID_TYPE_READ_PIPE);
	expect_ring(ring, sizeof(ring), mis, XDOMAIN_WIRE_BAD_ID_TYPE);
	put32(ring, offsetof(struct xdomain_send_receive, identifier_types) + 4,
	      XDOMAIN_ID_TYPE_VIRTGPU_SYNC);
	expect_ring(ring, sizeof(ring), mis, XDOMAIN_WIRE_BAD_ID_TYPE);
	put32(ring, offsetof(struct xdomain_send_receive, identifier_types) + 4, 5); /* magma EVENT */
	expect_ring(ring, sizeof(ring), mis, XDOMAIN_WIRE_BAD_ID_TYPE);

	/* READ. */
	memset(ring, 0, sizeof(ring));
	n = put_read_write(ring, XDOMAIN_CMD_READ, 0, 200);
	r = decode_ring(ring, sizeof(ring), mis);
	CHECK_EQ(r.err, XDOMAIN_WIRE_OK);
	CHECK_EQ(r.cmd, XDOMAIN_CMD_READ);
	CHECK_EQ(r.size, n);
	CHECK_EQ(r.payload_off, 24);
	CHECK_EQ(r.payload_size, 200);
	put_read_write(ring, XDOMAIN_CMD_READ, 1, 0);
	CHECK_EQ(decode_ring(ring, sizeof(ring), mis).err, XDOMAIN_WIRE_OK);
	put_read_write(ring, XDOMAIN_CMD_READ, 0, XDOMAIN_MAX_READ_BYTES);
	CHECK_EQ(decode_ring(ring, sizeof(ring), mis).size, XDOMAIN_RING_SIZE);
	put32(ring, offsetof(struct xdomain_read_write, opaque_data_size),
	      XDOMAIN_MAX_READ_BYTES + 1);
	expect_ring(ring, sizeof(ring), mis, XDOMAIN_WIRE_BAD_PAYLOAD);
	put32(ring, offsetof(struct xdomain_read_write, opaque_data_size), 0xffffffffu);
	expect_ring(ring, sizeof(ring), mis, XDOMAIN_WIRE_BAD_PAYLOAD);
	put_read_write(ring, XDOMAIN_CMD_READ, 2, 0);
	expect_ring(ring, sizeof(ring), mis, XDOMAIN_WIRE_BAD_HANG_UP);
	put_read_write(ring, XDOMAIN_CMD_READ, 0, 0);
	expect_ring(ring, 23, mis, XDOMAIN_WIRE_SHORT_CMD);

	/* Guest commands, extensions and garbage are not ring contents. */
	{
		const uint8_t cmds[] = { 0, XDOMAIN_CMD_INIT, XDOMAIN_CMD_POLL, XDOMAIN_CMD_SEND,
					 XDOMAIN_CMD_WRITE, 9, 0xff };
		for (size_t i = 0; i < sizeof(cmds); i++) {
			memset(ring, 0, sizeof(ring));
			ring[0] = cmds[i];
			r = decode_ring(ring, sizeof(ring), mis);
			CHECK_EQ(r.err, XDOMAIN_WIRE_UNKNOWN_CMD);
			CHECK_EQ(r.cmd, cmds[i]);
		}
	}
}

/* Every prefix of each valid command, and every cmd_size: no crash, invariants hold. */
static void test_sweep(void)
{
	const uint32_t types[] = { XDOMAIN_ID_TYPE_VIRTGPU_BLOB, XDOMAIN_ID_TYPE_READ_PIPE };
	uint8_t *buf = calloc(1, 70000);
	size_t lens[5];

	CHECK(buf);
	lens[0] = put_send_receive(buf, XDOMAIN_CMD_SEND, types, 2, 40);
	for (size_t len = 0; len <= lens[0]; len++) {
		struct result r = decode(buf, len, len % MAX_MISALIGN);
		CHECK(r.err == (len == lens[0] ? XDOMAIN_WIRE_OK
				: len < 8      ? XDOMAIN_WIRE_TRUNCATED
					       : XDOMAIN_WIRE_BAD_SIZE));
		r = decode_ring(buf, len, len % MAX_MISALIGN);
		CHECK(r.err != XDOMAIN_WIRE_OK); /* SEND is never ring content */
	}
	lens[1] = put_read_write(buf, XDOMAIN_CMD_READ, 0, 40);
	for (size_t len = 0; len <= lens[1]; len++) {
		struct result r = decode_ring(buf, len, len % MAX_MISALIGN);
		CHECK(r.err == (len == lens[1] ? XDOMAIN_WIRE_OK
				: len < 8      ? XDOMAIN_WIRE_TRUNCATED
				: len < 24     ? XDOMAIN_WIRE_SHORT_CMD
					       : XDOMAIN_WIRE_BAD_PAYLOAD));
	}

	/* Every cmd_size for every command byte, on a buffer of 65535 + 1 bytes. */
	for (unsigned cmd = 0; cmd < 16; cmd++) {
		memset(buf, 0, 65536);
		buf[0] = (uint8_t)cmd;
		for (uint32_t size = 0; size <= 0xffff; size += (size < 1024 ? 1 : 61)) {
			struct xdomain_cmd_view view;
			enum xdomain_wire_error err;

			set_cmd_size(buf, (uint16_t)size);
			err = xdomain_decode_guest_cmd(buf, 65536, &view);
			if (err == XDOMAIN_WIRE_OK) {
				CHECK_EQ(view.size, size);
				CHECK(cmd == XDOMAIN_CMD_INIT || cmd == XDOMAIN_CMD_POLL ||
				      cmd == XDOMAIN_CMD_GET_IMAGE_REQUIREMENTS ||
				      cmd == XDOMAIN_CMD_SEND || cmd == XDOMAIN_CMD_WRITE);
			}
		}
	}
	free(buf);
}

/* Random bytes with plausible headers through both decoders ("fails cleanly"). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void test_random(void)
{
	uint8_t buf[1024];

	for (int iter = 0; iter < 100000; iter++) {
		size_t len = rng() % sizeof(buf);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rng();
		if (len >= 16) {
			buf[0] = (uint8_t)(rng() % 9);
			set_cmd_size(buf, (uint16_t)(rng() % (len + 8)));
			/* Small counts and sizes now and then, so deeper checks are reached. */
			if (rng() % 2) {
				put32(buf, 8, rng() % 3);
				put32(buf, 12, rng() % 64);
				put32(buf, 16, rng() % 64);
			}
		}
		decode(buf, len, (size_t)iter % MAX_MISALIGN);
		decode_ring(buf, len, (size_t)iter % MAX_MISALIGN);
	}
}

int main(void)
{
	test_layouts();
	test_header_init();
	test_strerror();
	for (size_t mis = 0; mis < MAX_MISALIGN; mis++) {
		test_valid_guest_cmds(mis);
		test_malformed_guest_cmds(mis);
		test_back_to_back(mis);
		test_ring(mis);
	}
	test_sweep();
	test_random();
	printf("wire: all checks passed\n");
	return 0;
}
