/* SPDX-License-Identifier: MIT */
/*
 * The relay's in-place message reader (proxy/message.c) and its id map
 * (proxy/idmap.c): every argument layout of the tables, every malformed
 * message refused with its status, ids translated and freed as libwayland
 * allocates and frees them.
 *
 * Messages are built in a heap block of exactly their size, so that
 * AddressSanitizer catches a read past the end.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy/idmap.h"
#include "proxy/message.h"
#include "tests/lib/check.h"

static const struct vsomm_message_info *find(const char *iface, bool request, const char *name)
{
	const struct vsomm_interface_info *info = vsomm_forward_find(iface);
	int opcode;

	CHECK(info);
	opcode = vsomm_forward_opcode(info, request, name);
	CHECK(opcode >= 0);
	return request ? &info->requests[opcode] : &info->events[opcode];
}

/* A message builder: header words, then arguments. */
struct builder {
	uint32_t words[MESSAGE_MAX_SIZE / 4];
	uint32_t n;
};

static void begin(struct builder *b, uint32_t id, uint16_t opcode)
{
	b->words[0] = id;
	b->words[1] = opcode;
	b->n = 2;
}

static void word(struct builder *b, uint32_t w)
{
	b->words[b->n++] = w;
}

/* A string (NULL: the null string), padded with `pad` bytes of junk after its NUL. */
static void string(struct builder *b, const char *s)
{
	uint32_t len;

	if (!s) {
		word(b, 0);
		return;
	}
	len = (uint32_t)strlen(s) + 1;
	word(b, len);
	memset(&b->words[b->n], 0x55, (len + 3) & ~3u);
	memcpy(&b->words[b->n], s, len);
	b->n += (len + 3) / 4;
}

/* A heap copy of the message of exactly its size (size field set). */
static uint32_t *finish(struct builder *b)
{
	uint32_t *heap = malloc(b->n * 4);

	CHECK(heap);
	b->words[1] = (b->words[1] & 0xffffu) | (b->n * 4) << 16;
	memcpy(heap, b->words, b->n * 4);
	return heap;
}

static enum message_status parse(struct builder *b, const struct vsomm_message_info *info,
				 struct message *msg)
{
	uint32_t *words = finish(b);
	enum message_status status;

	CHECK_EQ(message_check_size(message_header_read(words)), MESSAGE_OK);
	status = message_parse(msg, words, info);
	if (status != MESSAGE_OK) {
		free(words);
		msg->words = NULL;
	}
	return status;
}

static void test_fixed(void)
{
	const struct vsomm_message_info *attach = find("wl_surface", true, "attach");
	const struct vsomm_message_info *create_pool = find("wl_shm", true, "create_pool");
	struct builder b;
	struct message msg;

	/* wl_surface.attach(?o buffer, i x, i y): a null buffer is allowed */
	begin(&b, 7, 1);
	word(&b, 0);
	word(&b, (uint32_t)-3);
	word(&b, 4);
	CHECK_EQ(parse(&b, attach, &msg), MESSAGE_OK);
	CHECK_EQ(msg.header.id, 7u);
	CHECK_EQ(msg.header.opcode, 1);
	CHECK_EQ(msg.header.size, 20);
	CHECK_EQ(message_word(&msg, 0), 0u);
	CHECK_EQ((int32_t)message_word(&msg, 1), -3);
	CHECK_EQ(message_word(&msg, 2), 4u);
	*message_word_ptr(&msg, 0) = 9; /* translated in place */
	CHECK_EQ(msg.words[2], 9u);
	free(msg.words);

	/* one word too many, one too few */
	begin(&b, 7, 1);
	for (int i = 0; i < 4; i++)
		word(&b, 1);
	CHECK_EQ(parse(&b, attach, &msg), MESSAGE_TRAILING);
	begin(&b, 7, 1);
	word(&b, 1);
	word(&b, 1);
	CHECK_EQ(parse(&b, attach, &msg), MESSAGE_TRUNCATED);

	/* wl_shm.create_pool(n id, h fd, i size): the fd has no word */
	CHECK_EQ(message_fd_count(create_pool), 1u);
	begin(&b, 3, 0);
	word(&b, 12);
	word(&b, 4096);
	CHECK_EQ(parse(&b, create_pool, &msg), MESSAGE_OK);
	CHECK_EQ(message_word(&msg, 0), 12u);
	CHECK_EQ(msg.arg_word[1], 0);
	CHECK_EQ(message_word(&msg, 2), 4096u);
	free(msg.words);
	/* new_id 0 */
	begin(&b, 3, 0);
	word(&b, 0);
	word(&b, 4096);
	CHECK_EQ(parse(&b, create_pool, &msg), MESSAGE_NULL);

	/* wl_surface.destroy: no arguments */
	begin(&b, 7, 0);
	CHECK_EQ(parse(&b, find("wl_surface", true, "destroy"), &msg), MESSAGE_OK);
	free(msg.words);
}

static void test_strings(void)
{
	const struct vsomm_message_info *bind = find("wl_registry", true, "bind");
	const struct vsomm_message_info *title = find("xdg_toplevel", true, "set_title");
	const struct vsomm_message_info *parent = find("xdg_toplevel", true, "set_parent");
	struct builder b;
	struct message msg;

	/* wl_registry.bind(u name, s interface, u version, n id) */
	CHECK(bind->generic_new_id);
	for (const char *s = "wl_compositor"; s; s = strlen(s) > 1 ? s + 1 : NULL) {
		begin(&b, 2, 0);
		word(&b, 5);
		string(&b, s);
		word(&b, 4);
		word(&b, 33);
		CHECK_EQ(parse(&b, bind, &msg), MESSAGE_OK);
		CHECK_EQ(message_word(&msg, 0), 5u);
		CHECK(strcmp(message_string(&msg, 1), s) == 0);
		CHECK_EQ(message_word(&msg, 2), 4u);
		CHECK_EQ(message_word(&msg, 3), 33u);
		free(msg.words);
	}

	/* a null interface string is not allowed */
	begin(&b, 2, 0);
	word(&b, 5);
	string(&b, NULL);
	word(&b, 4);
	word(&b, 33);
	CHECK_EQ(parse(&b, bind, &msg), MESSAGE_NULL);

	/* the string's last byte is not its NUL */
	begin(&b, 2, 0);
	word(&b, 5);
	word(&b, 4);
	memcpy(&b.words[b.n++], "abcd", 4);
	word(&b, 4);
	word(&b, 33);
	CHECK_EQ(parse(&b, bind, &msg), MESSAGE_UNTERMINATED);

	/* a length running past the message, and one that wraps */
	for (uint32_t len = 200; len; len = len == 200 ? 0xfffffffdu : 0) {
		begin(&b, 9, 2);
		word(&b, len);
		memcpy(&b.words[b.n++], "ab\0\0", 4);
		CHECK_EQ(parse(&b, title, &msg), MESSAGE_TRUNCATED);
	}
	/* no room for the length word */
	begin(&b, 9, 2);
	CHECK_EQ(parse(&b, title, &msg), MESSAGE_TRUNCATED);
	/* junk after the string */
	begin(&b, 9, 2);
	string(&b, "title");
	word(&b, 0);
	CHECK_EQ(parse(&b, title, &msg), MESSAGE_TRAILING);

	/* xdg_toplevel.set_parent(?o): null allowed; set_title(s) with an empty string */
	begin(&b, 9, 1);
	word(&b, 0);
	CHECK_EQ(parse(&b, parent, &msg), MESSAGE_OK);
	free(msg.words);
	begin(&b, 9, 2);
	string(&b, "");
	CHECK_EQ(parse(&b, title, &msg), MESSAGE_OK);
	CHECK(strcmp(message_string(&msg, 0), "") == 0);
	free(msg.words);
}

static void test_arrays(void)
{
	/* wl_keyboard.enter(u serial, o surface, a keys) */
	const struct vsomm_message_info *enter = find("wl_keyboard", false, "enter");
	struct builder b;
	struct message msg;
	const uint32_t *keys;
	uint32_t size;

	for (uint32_t n = 0; n < 4; n++) {
		begin(&b, 0xff000001u, 1);
		word(&b, 77);
		word(&b, 5);
		word(&b, n * 4);
		for (uint32_t k = 0; k < n; k++)
			word(&b, 30 + k);
		CHECK_EQ(parse(&b, enter, &msg), MESSAGE_OK);
		keys = message_array(&msg, 2, &size);
		CHECK_EQ(size, n * 4);
		for (uint32_t k = 0; k < n; k++)
			CHECK_EQ(keys[k], 30 + k);
		free(msg.words);
	}
	/* an odd array size is padded */
	begin(&b, 0xff000001u, 1);
	word(&b, 77);
	word(&b, 5);
	word(&b, 5);
	word(&b, 1);
	word(&b, 2);
	CHECK_EQ(parse(&b, enter, &msg), MESSAGE_OK);
	free(msg.words);
	begin(&b, 0xff000001u, 1);
	word(&b, 77);
	word(&b, 5);
	word(&b, 5);
	word(&b, 1);
	CHECK_EQ(parse(&b, enter, &msg), MESSAGE_TRUNCATED);
	/* the surface may not be null */
	begin(&b, 0xff000001u, 1);
	word(&b, 77);
	word(&b, 0);
	word(&b, 0);
	CHECK_EQ(parse(&b, enter, &msg), MESSAGE_NULL);
}

static void test_sizes(void)
{
	const struct message_header bad[] = {
		{.size = 0}, {.size = 4}, {.size = 10}, {.size = 4100}, {.size = 65532},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(message_check_size(bad[i]), MESSAGE_BAD_SIZE);
	CHECK_EQ(message_check_size((struct message_header){.size = 8}), MESSAGE_OK);
	CHECK_EQ(message_check_size((struct message_header){.size = 4096}), MESSAGE_OK);
	{
		uint32_t w[2] = {0xff000003u, 0x00140007u};
		struct message_header h = message_header_read(w);

		CHECK_EQ(h.id, 0xff000003u);
		CHECK_EQ(h.opcode, 7);
		CHECK_EQ(h.size, 20);
	}
	CHECK(strcmp(message_status_text(MESSAGE_NULL), "ok") != 0);
}

/* Every message of every interface: the fixed size agrees with the layout. */
static void test_tables(void)
{
	for (size_t i = 0; i < vsomm_forward_interface_count; i++) {
		const struct vsomm_interface_info *iface = &vsomm_forward_interfaces[i];

		for (int dir = 0; dir < 2; dir++) {
			const struct vsomm_message_info *msgs = dir ? iface->events : iface->requests;
			uint32_t count = dir ? iface->event_count : iface->request_count;

			for (uint32_t m = 0; m < count; m++) {
				const struct vsomm_message_info *info = &msgs[m];
				uint32_t words = 2 + info->arg_count - message_fd_count(info);
				bool fixed = !(info->string_args | info->array_args);

				CHECKF(fixed ? info->fixed_size == words * 4 : info->fixed_size == 0,
				       "%s.%s", iface->name, info->name);
				CHECKF(!(info->string_args & info->array_args) &&
					       !((info->string_args | info->array_args) &
						 (info->fd_args | info->object_args | info->new_id_args)),
				       "%s.%s", iface->name, info->name);
			}
		}
	}
}

static void count_object(struct idmap_object *object, void *data)
{
	(void)object;
	(*(int *)data)++;
}

static void test_idmap(void)
{
	const struct vsomm_interface_info *surface = vsomm_forward_find("wl_surface");
	const struct vsomm_interface_info *offer = vsomm_forward_find("wl_data_offer");
	const struct vsomm_interface_info *pool = vsomm_forward_find("wl_shm_pool");
	struct idmap map;
	struct idmap_object *o[8], *own, *server, *again;
	int n = 0;

	idmap_init(&map);
	/* the guest's ids 1..4 are the host's */
	for (uint32_t id = 1; id <= 4; id++) {
		o[id] = idmap_insert(&map, IDMAP_GUEST, id, surface, 4);
		CHECK(o[id]);
		CHECK_EQ(o[id]->guest_id, id);
		CHECK_EQ(o[id]->host_id, id);
		CHECK(idmap_lookup(&map, IDMAP_GUEST, id) == o[id]);
		CHECK(idmap_lookup(&map, IDMAP_HOST, id) == o[id]);
	}
	/* an id in use, one past the next, 0, a server id from the guest */
	CHECK(!idmap_insert(&map, IDMAP_GUEST, 4, surface, 4));
	CHECK(!idmap_insert(&map, IDMAP_GUEST, 6, surface, 4));
	CHECK(!idmap_insert(&map, IDMAP_GUEST, 0, surface, 4));
	CHECK(!idmap_insert(&map, IDMAP_GUEST, 0xff000000u, surface, 4));
	CHECK(!idmap_insert(&map, IDMAP_HOST, 5, offer, 3));
	CHECK(!idmap_lookup(&map, IDMAP_GUEST, 0));
	CHECK(!idmap_lookup(&map, IDMAP_GUEST, 5));
	CHECK(!idmap_lookup(&map, IDMAP_HOST, 0xff000000u));

	/* vsomm's own object takes host id 5: the guest's 5 becomes host 6 */
	own = idmap_insert_own(&map, pool, 1);
	CHECK(own && own->host_id == 5 && own->guest_id == 0);
	o[5] = idmap_insert(&map, IDMAP_GUEST, 5, surface, 4);
	CHECK(o[5] && o[5]->host_id == 6);
	CHECK(idmap_lookup(&map, IDMAP_HOST, 6) == o[5]);
	CHECK(!idmap_lookup(&map, IDMAP_GUEST, 6));

	/* a host-created object: its server id is the guest's too */
	server = idmap_insert(&map, IDMAP_HOST, 0xff000000u, offer, 3);
	CHECK(server && server->guest_id == 0xff000000u);
	CHECK(idmap_lookup(&map, IDMAP_GUEST, 0xff000000u) == server);
	CHECK(!idmap_insert(&map, IDMAP_HOST, 0xff000000u, offer, 3));

	/* the guest destroys 2: gone on the guest side, still on the host
	 * until its delete_id; a new guest 2 gets another host id */
	CHECK(!idmap_release(&map, o[2], IDMAP_GUEST));
	CHECK(!idmap_lookup(&map, IDMAP_GUEST, 2));
	CHECK(idmap_lookup(&map, IDMAP_HOST, 2) == o[2]);
	again = idmap_insert(&map, IDMAP_GUEST, 2, surface, 4);
	CHECK(again && again->host_id == 7);
	CHECK(idmap_release(&map, o[2], IDMAP_HOST));
	CHECK(!idmap_lookup(&map, IDMAP_HOST, 2));
	/* host id 2 is free again: the next own object takes it */
	own = idmap_insert_own(&map, pool, 1);
	CHECK(own && own->host_id == 2);
	CHECK_EQ(map.live, 8u);

	idmap_for_each(&map, count_object, &n);
	CHECK_EQ(n, 8);
	idmap_finish(&map);
	CHECK_EQ(map.live, 0u);

	/* growth far past the first block */
	idmap_init(&map);
	for (uint32_t id = 1; id <= 5000; id++)
		CHECK(idmap_insert(&map, IDMAP_GUEST, id, surface, 1));
	CHECK(idmap_lookup(&map, IDMAP_HOST, 5000)->guest_id == 5000);
	idmap_finish(&map);
}

int main(void)
{
	test_fixed();
	test_strings();
	test_arrays();
	test_sizes();
	test_tables();
	test_idmap();
	return 0;
}
