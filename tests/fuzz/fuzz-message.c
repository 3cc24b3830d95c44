/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the relay's message reader and id map (proxy/message.c,
 * proxy/idmap.c) driven as the relay drives them, on bytes from either side.
 *
 * Input: a sequence of records, each one byte of flags then one message as it
 * is on the wire (header first; the header's size says how many bytes
 * follow).  Flags bit 0: the message is an event (host to guest) rather than a
 * request; bits 1-3: how many fds arrived with it.  Each message is copied
 * to a heap block of exactly its size (ASan sees a read past it).  A message
 * the relay would refuse (unknown object or opcode, a malformed layout, too
 * few fds, a bad new id) ends the input, as it ends a connection.  A parsed
 * message has its object ids translated to the other side in place; its
 * strings and arrays are read whole; new_ids create objects, destructors
 * release them; every id in the map is checked to resolve to its object on
 * both sides.
 */
#include "proxy/idmap.h"
#include "proxy/message.h"

#include "tests/fuzz/fuzz.h"

static void check_object(struct idmap_object *object, void *data)
{
	struct idmap *map = data;

	FUZZ_CHECK(object->guest_id || object->host_id);
	if (object->guest_id)
		FUZZ_CHECK(idmap_lookup(map, IDMAP_GUEST, object->guest_id) == object);
	if (object->host_id)
		FUZZ_CHECK(idmap_lookup(map, IDMAP_HOST, object->host_id) == object);
}

/* One message from `side`; false when the relay would end the connection. */
static bool relay(struct idmap *map, enum idmap_side side, uint32_t *words, unsigned fds)
{
	struct message_header header = message_header_read(words);
	struct idmap_object *target = idmap_lookup(map, side, header.id);
	const struct vsomm_message_info *info;
	struct message msg;
	volatile size_t sink = 0;
	uint32_t count;

	if (!target || !target->info)
		return false;
	count = side == IDMAP_GUEST ? target->info->request_count : target->info->event_count;
	if (header.opcode >= count)
		return false;
	info = side == IDMAP_GUEST ? &target->info->requests[header.opcode]
				   : &target->info->events[header.opcode];
	if (message_parse(&msg, words, info) != MESSAGE_OK)
		return false;
	if (fds < message_fd_count(info))
		return false;
	FUZZ_CHECK(msg.header.size == header.size);

	for (unsigned i = 0; i < info->arg_count; i++) {
		uint32_t bit = 1u << i;

		if (info->string_args & bit) {
			const char *s = message_string(&msg, i);
			if (s)
				sink += strlen(s) + 1 == message_word(&msg, i) ? 0 : 1;
		} else if (info->array_args & bit) {
			uint32_t size;
			const uint8_t *a = message_array(&msg, i, &size);
			for (uint32_t k = 0; k < size; k++)
				sink += a[k];
		} else if (info->object_args & bit) {
			struct idmap_object *arg = idmap_lookup(map, side, message_word(&msg, i));
			uint32_t other;

			if (!message_word(&msg, i))
				continue;
			if (!arg)
				return false;
			other = side == IDMAP_GUEST ? arg->host_id : arg->guest_id;
			*message_word_ptr(&msg, i) = other;
		}
	}
	(void)sink;

	if (info->new_id_args) {
		unsigned i = (unsigned)info->new_id_arg;
		const struct vsomm_interface_info *created = info->new_id_info;
		uint32_t version = target->version;
		struct idmap_object *object;

		if (info->generic_new_id) {
			const char *name = message_string(&msg, i - 2);
			created = name ? vsomm_forward_find(name) : NULL;
			version = message_word(&msg, i - 1);
			if (!created)
				return false;
		}
		object = idmap_insert(map, side, message_word(&msg, i), created, version);
		if (!object)
			return false;
		*message_word_ptr(&msg, i) = side == IDMAP_GUEST ? object->host_id
								 : object->guest_id;
	}
	if (info->destructor && header.id != 1) {
		/* gone on the sender's side; the other side's id is freed at once,
		 * as if its delete_id had come */
		idmap_release(map, target, side);
		idmap_release(map, target, side == IDMAP_GUEST ? IDMAP_HOST : IDMAP_GUEST);
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {.data = data, .size = size};
	struct idmap map;

	idmap_init(&map);
	FUZZ_CHECK(idmap_insert(&map, IDMAP_GUEST, 1, vsomm_forward_find("wl_display"), 1));
	/* one object of vsomm's own: translation is no identity */
	FUZZ_CHECK(idmap_insert_own(&map, vsomm_forward_find("wl_shm_pool"), 1));

	while (fuzz_more(&in)) {
		uint8_t flags = fuzz_u8(&in);
		uint32_t head[2];
		const uint8_t *bytes;
		size_t got;
		uint32_t *words;
		struct message_header header;
		bool ok;

		bytes = fuzz_bytes(&in, sizeof(head), &got);
		if (got < sizeof(head))
			break;
		memcpy(head, bytes, sizeof(head));
		header = message_header_read(head);
		if (message_check_size(header) != MESSAGE_OK)
			break;
		bytes = fuzz_bytes(&in, header.size - sizeof(head), &got);
		if (got < header.size - sizeof(head))
			break;
		words = malloc(header.size);
		FUZZ_CHECK(words);
		memcpy(words, head, sizeof(head));
		memcpy(words + 2, bytes, got);
		ok = relay(&map, (flags & 1) ? IDMAP_HOST : IDMAP_GUEST, words, (flags >> 1) & 7u);
		free(words);
		if (!ok)
			break;
	}
	idmap_for_each(&map, check_object, &map);
	idmap_finish(&map);
	FUZZ_CHECK(map.live == 0);
	return 0;
}
