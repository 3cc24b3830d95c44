/* SPDX-License-Identifier: MIT */
/*
 * relay-cost: the byte relay's per-message work without its I/O (issue 15):
 * relay_translate_message (proxy/relay/translate.c: lookup, checks, layout, id
 * translation) over the message mix of vsomm-bench's `messages` case, i.e.
 * wl_compositor.create_region, wl_region.add, wl_region.destroy and the
 * host's wl_display.delete_id, each copied into the read buffer first as
 * the bytes of a connection arrive.
 *
 *   relay-cost N       N loops of the four messages
 *
 * Instructions per message, start-up cancelled (callgrind):
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/a relay-cost 10000
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/b relay-cost 60000
 *   (Ir(b) - Ir(a)) / (4 * 50000)
 * Not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/relay/relay.h"


#define MSG(id, opcode, words) (id), ((uint32_t)(8 + 4 * (words)) << 16 | (opcode))

int main(int argc, char **argv)
{
	long loops = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
	struct relay_idmap map;
	struct relay_translate t;
	uint32_t buffer[16];
	uint64_t forwarded = 0;

	relay_idmap_init(&map);
	if (!relay_idmap_insert(&map, RELAY_IDMAP_GUEST, 1, vsomm_forward_find("wl_display"), 1) ||
	    !relay_idmap_insert(&map, RELAY_IDMAP_GUEST, 2, vsomm_forward_find("wl_registry"), 1) ||
	    !relay_idmap_insert(&map, RELAY_IDMAP_GUEST, 3, vsomm_forward_find("wl_compositor"), 4) ||
	    /* vsomm's own object: guest and host ids differ from here on */
	    !relay_idmap_insert_own(&map, vsomm_forward_find("wl_buffer"), 1))
		return 1;

	for (long i = 0; i < loops; i++) {
		const uint32_t create[] = {MSG(3, 1, 1), 4};
		const uint32_t add[] = {MSG(4, 1, 4), 0, 0, 64, 64};
		const uint32_t destroy[] = {MSG(4, 0, 0)};
		uint32_t host_region;

		memcpy(buffer, create, sizeof(create));
		forwarded += relay_translate_message(&map, RELAY_IDMAP_GUEST, buffer, 0, &t) == RELAY_TRANSLATE_FORWARD;
		host_region = buffer[2];
		memcpy(buffer, add, sizeof(add));
		forwarded += relay_translate_message(&map, RELAY_IDMAP_GUEST, buffer, 0, &t) == RELAY_TRANSLATE_FORWARD;
		memcpy(buffer, destroy, sizeof(destroy));
		forwarded += relay_translate_message(&map, RELAY_IDMAP_GUEST, buffer, 0, &t) == RELAY_TRANSLATE_FORWARD;
		/* the host's wl_display.delete_id(host_region) */
		buffer[0] = 1;
		buffer[1] = 12u << 16 | 1u;
		buffer[2] = host_region;
		if (relay_translate_message(&map, RELAY_IDMAP_HOST, buffer, 0, &t) == RELAY_TRANSLATE_FORWARD) {
			relay_translate_delete_id(&map, relay_word(&t.msg, 0));
			forwarded++;
		}
	}
	relay_idmap_finish(&map);
	if (forwarded != 4 * (uint64_t)loops) {
		fprintf(stderr, "relay-cost: %llu of %ld messages forwarded\n",
			(unsigned long long)forwarded, 4 * loops);
		return 1;
	}
	return 0;
}
