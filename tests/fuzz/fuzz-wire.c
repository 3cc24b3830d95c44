/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target (a): the cross-domain wire decoders (cross-domain/wire.c).
 *
 * The input is decoded twice: as a guest submit buffer (commands one after the
 * other, as the host walks a SUBMIT_3D) and as a channel ring the host wrote.
 * Every view the decoders accept must lie inside the input; every field the
 * host and the guest go on to read is read here too, so ASan sees it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cross-domain/protocol.h"
#include "tests/fuzz/fuzz.h"

static volatile uint32_t sink;

static void touch(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += p[i];
	sink += sum;
}

static void check_view(const uint8_t *data, size_t size, const uint8_t *start, size_t avail,
		       const struct xdomain_cmd_view *v)
{
	FUZZ_CHECK(v->base == start);
	FUZZ_CHECK(v->size >= sizeof(struct xdomain_header) && v->size <= avail);
	if (v->payload) {
		FUZZ_CHECK(v->payload >= start && v->payload + v->payload_size <= start + avail);
		FUZZ_CHECK(v->payload + v->payload_size <= data + size);
		touch(v->payload, v->payload_size);
	} else {
		FUZZ_CHECK(v->payload_size == 0);
	}
	if (v->cmd == XDOMAIN_CMD_SEND || v->cmd == XDOMAIN_CMD_RECEIVE) {
		struct xdomain_send_receive sr;
		FUZZ_CHECK(v->size >= sizeof(sr) || v->cmd == XDOMAIN_CMD_RECEIVE);
		XDOMAIN_LOAD(sr, v);
		FUZZ_CHECK(sr.num_identifiers <= XDOMAIN_MAX_IDENTIFIERS);
		FUZZ_CHECK(v->payload_size == sr.opaque_data_size);
	} else if (v->cmd == XDOMAIN_CMD_WRITE || v->cmd == XDOMAIN_CMD_READ) {
		struct xdomain_read_write rw;
		XDOMAIN_LOAD(rw, v);
		FUZZ_CHECK(rw.hang_up <= 1);
		FUZZ_CHECK(v->payload_size == rw.opaque_data_size);
	} else if (v->cmd == XDOMAIN_CMD_INIT) {
		FUZZ_CHECK(v->size == XDOMAIN_INIT_LEGACY_SIZE ||
			   v->size == sizeof(struct xdomain_init));
		touch(v->base, v->size);
	} else {
		FUZZ_CHECK(v->cmd == XDOMAIN_CMD_GET_IMAGE_REQUIREMENTS ||
			   v->cmd == XDOMAIN_CMD_POLL);
		touch(v->base, v->size);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A submit buffer, walked like the host does: stop at the first bad command. */
	size_t off = 0;
	while (off < size) {
		struct xdomain_cmd_view v;
		enum xdomain_wire_error err = xdomain_decode_guest_cmd(data + off, size - off, &v);
		FUZZ_CHECK(xdomain_strerror(err) != NULL);
		if (err != XDOMAIN_WIRE_OK) {
			FUZZ_CHECK(v.payload == NULL && v.payload_size == 0 && v.size == 0);
			break;
		}
		check_view(data, size, data + off, size - off, &v);
		off += v.size;
	}

	/* A ring slot: RECEIVE or READ at offset 0. */
	struct xdomain_cmd_view v;
	if (xdomain_decode_ring(data, size, &v) == XDOMAIN_WIRE_OK) {
		FUZZ_CHECK(v.cmd == XDOMAIN_CMD_RECEIVE || v.cmd == XDOMAIN_CMD_READ);
		FUZZ_CHECK(v.size <= size);
		check_view(data, size, data, size, &v);
	}
	return 0;
}
