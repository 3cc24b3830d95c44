/* SPDX-License-Identifier: MIT */
/*
 * The relay's in-place message reader (proxy/relay/message.c), its id map
 * (proxy/relay/idmap.c), its per-message translation (proxy/relay/translate.c) and its
 * connection input (proxy/relay/in.c): every
 * argument layout of the tables, every malformed message refused with its
 * status, ids translated and freed as libwayland allocates and frees them,
 * the closure forwarder's rules for dropped and refused messages.
 *
 * Messages are built in a heap block of exactly their size, so that
 * AddressSanitizer catches a read past the end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/relay/relay.h"
#include "tests/lib/fds.h"
#include "util/fdpass.h"
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
	uint32_t words[RELAY_MAX_SIZE / 4];
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

/* wl_registry@2.bind(name, interface, version, id) */
static void bind_request(struct builder *b, uint32_t name, const char *interface, uint32_t version,
			 uint32_t id)
{
	begin(b, 2, 0);
	word(b, name);
	string(b, interface);
	word(b, version);
	word(b, id);
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

static enum relay_status parse(struct builder *b, const struct vsomm_message_info *info,
			       struct relay_message *msg)
{
	uint32_t *words = finish(b);
	enum relay_status status;

	CHECK_EQ(relay_check_size(relay_header_read(words)), RELAY_OK);
	status = relay_parse(msg, words, info);
	if (status != RELAY_OK) {
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
	struct relay_message msg;

	/* wl_surface.attach(?o buffer, i x, i y): a null buffer is allowed */
	begin(&b, 7, 1);
	word(&b, 0);
	word(&b, (uint32_t)-3);
	word(&b, 4);
	CHECK_EQ(parse(&b, attach, &msg), RELAY_OK);
	CHECK_EQ(msg.header.id, 7u);
	CHECK_EQ(msg.header.opcode, 1);
	CHECK_EQ(msg.header.size, 20);
	CHECK_EQ(relay_word(&msg, 0), 0u);
	CHECK_EQ((int32_t)relay_word(&msg, 1), -3);
	CHECK_EQ(relay_word(&msg, 2), 4u);
	*relay_word_ptr(&msg, 0) = 9; /* translated in place */
	CHECK_EQ(msg.words[2], 9u);
	free(msg.words);

	/* one word too many, one too few */
	begin(&b, 7, 1);
	for (int i = 0; i < 4; i++)
		word(&b, 1);
	CHECK_EQ(parse(&b, attach, &msg), RELAY_TRAILING);
	begin(&b, 7, 1);
	word(&b, 1);
	word(&b, 1);
	CHECK_EQ(parse(&b, attach, &msg), RELAY_TRUNCATED);

	/* wl_shm.create_pool(n id, h fd, i size): the fd has no word */
	CHECK_EQ(relay_fd_count(create_pool), 1u);
	begin(&b, 3, 0);
	word(&b, 12);
	word(&b, 4096);
	CHECK_EQ(parse(&b, create_pool, &msg), RELAY_OK);
	CHECK_EQ(relay_word(&msg, 0), 12u);
	CHECK_EQ(msg.arg_word[1], 0);
	CHECK_EQ(relay_word(&msg, 2), 4096u);
	free(msg.words);
	/* new_id 0 */
	begin(&b, 3, 0);
	word(&b, 0);
	word(&b, 4096);
	CHECK_EQ(parse(&b, create_pool, &msg), RELAY_NULL);

	/* wl_surface.destroy: no arguments */
	begin(&b, 7, 0);
	CHECK_EQ(parse(&b, find("wl_surface", true, "destroy"), &msg), RELAY_OK);
	free(msg.words);
}

static void test_strings(void)
{
	const struct vsomm_message_info *bind = find("wl_registry", true, "bind");
	const struct vsomm_message_info *title = find("xdg_toplevel", true, "set_title");
	const struct vsomm_message_info *parent = find("xdg_toplevel", true, "set_parent");
	struct builder b;
	struct relay_message msg;

	/* wl_registry.bind(u name, s interface, u version, n id) */
	CHECK(bind->generic_new_id);
	for (const char *s = "wl_compositor"; s; s = strlen(s) > 1 ? s + 1 : NULL) {
		begin(&b, 2, 0);
		word(&b, 5);
		string(&b, s);
		word(&b, 4);
		word(&b, 33);
		CHECK_EQ(parse(&b, bind, &msg), RELAY_OK);
		CHECK_EQ(relay_word(&msg, 0), 5u);
		CHECK(strcmp(relay_string(&msg, 1), s) == 0);
		CHECK_EQ(relay_word(&msg, 2), 4u);
		CHECK_EQ(relay_word(&msg, 3), 33u);
		free(msg.words);
	}

	/* a null interface string is not allowed */
	begin(&b, 2, 0);
	word(&b, 5);
	string(&b, NULL);
	word(&b, 4);
	word(&b, 33);
	CHECK_EQ(parse(&b, bind, &msg), RELAY_NULL);

	/* the string's last byte is not its NUL */
	begin(&b, 2, 0);
	word(&b, 5);
	word(&b, 4);
	memcpy(&b.words[b.n++], "abcd", 4);
	word(&b, 4);
	word(&b, 33);
	CHECK_EQ(parse(&b, bind, &msg), RELAY_UNTERMINATED);

	/* a length running past the message, and one that wraps */
	for (uint32_t len = 200; len; len = len == 200 ? 0xfffffffdu : 0) {
		begin(&b, 9, 2);
		word(&b, len);
		memcpy(&b.words[b.n++], "ab\0\0", 4);
		CHECK_EQ(parse(&b, title, &msg), RELAY_TRUNCATED);
	}
	/* no room for the length word */
	begin(&b, 9, 2);
	CHECK_EQ(parse(&b, title, &msg), RELAY_TRUNCATED);
	/* junk after the string */
	begin(&b, 9, 2);
	string(&b, "title");
	word(&b, 0);
	CHECK_EQ(parse(&b, title, &msg), RELAY_TRAILING);

	/* xdg_toplevel.set_parent(?o): null allowed; set_title(s) with an empty string */
	begin(&b, 9, 1);
	word(&b, 0);
	CHECK_EQ(parse(&b, parent, &msg), RELAY_OK);
	free(msg.words);
	begin(&b, 9, 2);
	string(&b, "");
	CHECK_EQ(parse(&b, title, &msg), RELAY_OK);
	CHECK(strcmp(relay_string(&msg, 0), "") == 0);
	free(msg.words);
}

static void test_arrays(void)
{
	/* wl_keyboard.enter(u serial, o surface, a keys) */
	const struct vsomm_message_info *enter = find("wl_keyboard", false, "enter");
	struct builder b;
	struct relay_message msg;
	const uint32_t *keys;
	uint32_t size;

	for (uint32_t n = 0; n < 4; n++) {
		begin(&b, 0xff000001u, 1);
		word(&b, 77);
		word(&b, 5);
		word(&b, n * 4);
		for (uint32_t k = 0; k < n; k++)
			word(&b, 30 + k);
		CHECK_EQ(parse(&b, enter, &msg), RELAY_OK);
		keys = relay_array(&msg, 2, &size);
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
	CHECK_EQ(parse(&b, enter, &msg), RELAY_OK);
	free(msg.words);
	begin(&b, 0xff000001u, 1);
	word(&b, 77);
	word(&b, 5);
	word(&b, 5);
	word(&b, 1);
	CHECK_EQ(parse(&b, enter, &msg), RELAY_TRUNCATED);
	/* the surface may not be null */
	begin(&b, 0xff000001u, 1);
	word(&b, 77);
	word(&b, 0);
	word(&b, 0);
	CHECK_EQ(parse(&b, enter, &msg), RELAY_NULL);
}

static void test_sizes(void)
{
	const struct relay_header bad[] = {
		{.size = 0}, {.size = 4}, {.size = 10}, {.size = 4100}, {.size = 65532},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(relay_check_size(bad[i]), RELAY_BAD_SIZE);
	CHECK_EQ(relay_check_size((struct relay_header){.size = 8}), RELAY_OK);
	CHECK_EQ(relay_check_size((struct relay_header){.size = 4096}), RELAY_OK);
	{
		uint32_t w[2] = {0xff000003u, 0x00140007u};
		struct relay_header h = relay_header_read(w);

		CHECK_EQ(h.id, 0xff000003u);
		CHECK_EQ(h.opcode, 7);
		CHECK_EQ(h.size, 20);
	}
	CHECK(strcmp(relay_status_text(RELAY_NULL), "ok") != 0);
}

/* Every message of every interface: the fixed size agrees with the layout. */
static void test_tables(void)
{
	for (size_t i = 0; i < vsomm_forward_interface_count; i++) {
		const struct vsomm_interface_info *iface = &vsomm_forward_interfaces[i];

		for (int dir = 0; dir < 2; dir++) {
			const struct vsomm_message_info *msgs = dir ? iface->events
								    : iface->requests;
			uint32_t count = dir ? iface->event_count : iface->request_count;

			for (uint32_t m = 0; m < count; m++) {
				const struct vsomm_message_info *info = &msgs[m];
				uint32_t words = 2 + info->arg_count - relay_fd_count(info);
				bool fixed = !(info->string_args | info->array_args);

				CHECKF(fixed ? info->fixed_size == words * 4
					     : info->fixed_size == 0,
				       "%s.%s", iface->name, info->name);
				CHECKF(info->fd_count == __builtin_popcount(info->fd_args), "%s.%s",
				       iface->name, info->name);
				CHECKF(!(info->string_args & info->array_args) &&
					       !((info->string_args | info->array_args) &
						 (info->fd_args | info->object_args |
						  info->new_id_args)),
				       "%s.%s", iface->name, info->name);
			}
		}
	}
}

static void count_object(struct relay_idmap_object *object, void *data)
{
	(void)object;
	(*(int *)data)++;
}

static void test_idmap(void)
{
	const struct vsomm_interface_info *surface = vsomm_forward_find("wl_surface");
	const struct vsomm_interface_info *offer = vsomm_forward_find("wl_data_offer");
	const struct vsomm_interface_info *pool = vsomm_forward_find("wl_shm_pool");
	struct relay_idmap map;
	struct relay_idmap_object *o[8], *own, *server, *again;
	int n = 0;

	relay_idmap_init(&map);
	/* the guest's ids 1..4 are the host's */
	for (uint32_t id = 1; id <= 4; id++) {
		o[id] = relay_idmap_insert(&map, RELAY_IDMAP_GUEST, id, surface, 4);
		CHECK(o[id]);
		CHECK_EQ(o[id]->guest_id, id);
		CHECK_EQ(o[id]->host_id, id);
		CHECK(relay_idmap_lookup(&map, RELAY_IDMAP_GUEST, id) == o[id]);
		CHECK(relay_idmap_lookup(&map, RELAY_IDMAP_HOST, id) == o[id]);
	}
	/* an id in use, one past the next, 0, a server id from the guest */
	CHECK(!relay_idmap_insert(&map, RELAY_IDMAP_GUEST, 4, surface, 4));
	CHECK(!relay_idmap_insert(&map, RELAY_IDMAP_GUEST, 6, surface, 4));
	CHECK(!relay_idmap_insert(&map, RELAY_IDMAP_GUEST, 0, surface, 4));
	CHECK(!relay_idmap_insert(&map, RELAY_IDMAP_GUEST, 0xff000000u, surface, 4));
	CHECK(!relay_idmap_insert(&map, RELAY_IDMAP_HOST, 5, offer, 3));
	CHECK(!relay_idmap_lookup(&map, RELAY_IDMAP_GUEST, 0));
	CHECK(!relay_idmap_lookup(&map, RELAY_IDMAP_GUEST, 5));
	CHECK(!relay_idmap_lookup(&map, RELAY_IDMAP_HOST, 0xff000000u));

	/* vsomm's own object takes host id 5: the guest's 5 becomes host 6 */
	own = relay_idmap_insert_own(&map, pool, 1);
	CHECK(own && own->host_id == 5 && own->guest_id == 0);
	o[5] = relay_idmap_insert(&map, RELAY_IDMAP_GUEST, 5, surface, 4);
	CHECK(o[5] && o[5]->host_id == 6);
	CHECK(relay_idmap_lookup(&map, RELAY_IDMAP_HOST, 6) == o[5]);
	CHECK(!relay_idmap_lookup(&map, RELAY_IDMAP_GUEST, 6));

	/* a host-created object: its server id is the guest's too */
	server = relay_idmap_insert(&map, RELAY_IDMAP_HOST, 0xff000000u, offer, 3);
	CHECK(server && server->guest_id == 0xff000000u);
	CHECK(relay_idmap_lookup(&map, RELAY_IDMAP_GUEST, 0xff000000u) == server);
	CHECK(!relay_idmap_insert(&map, RELAY_IDMAP_HOST, 0xff000000u, offer, 3));

	/* the guest destroys 2: gone on the guest side, still on the host
	 * until its delete_id; a new guest 2 gets another host id */
	CHECK(!relay_idmap_release(&map, o[2], RELAY_IDMAP_GUEST));
	CHECK(!relay_idmap_lookup(&map, RELAY_IDMAP_GUEST, 2));
	CHECK(relay_idmap_lookup(&map, RELAY_IDMAP_HOST, 2) == o[2]);
	again = relay_idmap_insert(&map, RELAY_IDMAP_GUEST, 2, surface, 4);
	CHECK(again && again->host_id == 7);
	CHECK(relay_idmap_release(&map, o[2], RELAY_IDMAP_HOST));
	CHECK(!relay_idmap_lookup(&map, RELAY_IDMAP_HOST, 2));
	/* host id 2 is free again: the next own object takes it */
	own = relay_idmap_insert_own(&map, pool, 1);
	CHECK(own && own->host_id == 2);
	CHECK_EQ(map.live, 8u);

	relay_idmap_for_each(&map, count_object, &n);
	CHECK_EQ(n, 8);
	relay_idmap_finish(&map);
	CHECK_EQ(map.live, 0u);

	/* a host id reserved and freed before it was sent leaves no gap: the
	 * next object gets it (a host takes at most one above its highest) */
	relay_idmap_init(&map);
	CHECK(relay_idmap_insert(&map, RELAY_IDMAP_GUEST, 1, surface, 1));
	o[1] = relay_idmap_insert(&map, RELAY_IDMAP_GUEST, 2, surface, 1);
	CHECK(o[1] && o[1]->host_id == 2);
	CHECK(!relay_idmap_release(&map, o[1], RELAY_IDMAP_HOST)); /* inert: never sent */
	o[2] = relay_idmap_insert(&map, RELAY_IDMAP_GUEST, 3, surface, 1);
	CHECK(o[2] && o[2]->host_id == 2); /* not 3: the host has seen 1 only */
	relay_idmap_finish(&map);

	/* growth far past the first block */
	relay_idmap_init(&map);
	for (uint32_t id = 1; id <= 5000; id++)
		CHECK(relay_idmap_insert(&map, RELAY_IDMAP_GUEST, id, surface, 1));
	CHECK(relay_idmap_lookup(&map, RELAY_IDMAP_HOST, 5000)->guest_id == 5000);
	relay_idmap_finish(&map);
}

/* relay_translate_message on the builder's message (a heap copy, kept in *words). */
static enum relay_translate_status tr(struct relay_idmap *map, enum relay_idmap_side side,
				      struct builder *b, unsigned fds, struct relay_translate *t,
				      uint32_t **words)
{
	free(*words);
	*words = finish(b);
	return relay_translate_message(map, side, *words, fds, t);
}

static void test_translate(void)
{
	const struct vsomm_interface_info *display = vsomm_forward_find("wl_display");
	struct relay_idmap map;
	struct relay_translate t;
	struct builder b;
	uint32_t *w = NULL;
	struct relay_idmap_object *own, *surface;
	uint32_t host_surface, host_cb, host_output;

	relay_idmap_init(&map);
	CHECK(relay_idmap_insert(&map, RELAY_IDMAP_GUEST, 1, display, 1));
	/* wl_display.get_registry(2) */
	begin(&b, 1, 1);
	word(&b, 2);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_FORWARD);
	CHECK(t.created && t.created->host_id == 2 && t.created->version == 1);
	/* vsomm's own object takes host id 3 */
	own = relay_idmap_insert_own(&map, vsomm_forward_find("wl_buffer"), 1);
	CHECK(own && own->host_id == 3);

	/* bind: unknown interface, too new, then wl_compositor v1 as guest 3 */
	bind_request(&b, 1, "no_such_interface", 1, 3);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_BAD_INTERFACE);
	bind_request(&b, 1, "wl_compositor", 1000, 3);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_BAD_INTERFACE);
	bind_request(&b, 1, "wl_compositor", 1, 3);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_FORWARD);
	CHECK_EQ(w[0], 2u);
	CHECK_EQ(w[b.n - 1], 4u); /* the new id, in the host's numbering */

	/* create_surface: a new id that skips one is refused; 4 becomes host 5 */
	begin(&b, 3, 0);
	word(&b, 5);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_BAD_NEW_ID);
	begin(&b, 3, 0);
	word(&b, 4);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_FORWARD);
	CHECK_EQ(w[0], 4u);
	surface = t.created;
	host_surface = surface->host_id;
	CHECK_EQ(host_surface, 5u);
	CHECK_EQ(w[2], host_surface);

	/* unknown object, opcode, a request too new for the object's version */
	begin(&b, 77, 0);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_UNKNOWN_OBJECT);
	begin(&b, 4, 40);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_BAD_OPCODE);
	begin(&b, 4, 8); /* wl_surface.set_buffer_scale, since 3 */
	word(&b, 2);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_BAD_OPCODE);
	/* attach: an unknown buffer, a surface as the buffer */
	for (uint32_t buffer = 50; buffer; buffer = buffer == 50 ? 4 : 0) {
		begin(&b, 4, 1);
		word(&b, buffer);
		word(&b, 0);
		word(&b, 0);
		CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_BAD_ARGUMENT);
		CHECK_EQ(t.detail, 0u);
	}
	/* a malformed commit */
	begin(&b, 4, 6);
	word(&b, 0);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_MALFORMED);
	CHECK_EQ(t.detail, (unsigned)RELAY_TRAILING);

	/* frame(5): host 6; wl_callback.done destroys it: the guest's id is
	 * free at once (delete_id 5), the host's after its delete_id */
	begin(&b, 4, 3);
	word(&b, 5);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_FORWARD);
	host_cb = t.created->host_id;
	CHECK_EQ(host_cb, 6u);
	begin(&b, host_cb, 0);
	word(&b, 1234);
	CHECK_EQ(tr(&map, RELAY_IDMAP_HOST, &b, 0, &t, &w), RELAY_TRANSLATE_FORWARD);
	CHECK_EQ(w[0], 5u);
	CHECK_EQ(t.delete_id, 5u);
	CHECK(!relay_idmap_lookup(&map, RELAY_IDMAP_GUEST, 5));
	CHECK(relay_idmap_lookup(&map, RELAY_IDMAP_HOST, host_cb));
	relay_translate_delete_id(&map, host_cb);
	CHECK(!relay_idmap_lookup(&map, RELAY_IDMAP_HOST, host_cb));

	/* an event to vsomm's own object (wl_buffer.release) */
	begin(&b, 3, 0);
	CHECK_EQ(tr(&map, RELAY_IDMAP_HOST, &b, 0, &t, &w), RELAY_TRANSLATE_OWN);
	CHECK(t.target == own);

	/* the guest destroys its surface: delete_id 4 at once; host 5 waits */
	begin(&b, 4, 0);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_FORWARD);
	CHECK_EQ(w[0], host_surface);
	CHECK_EQ(t.delete_id, 4u);
	CHECK(!relay_idmap_lookup(&map, RELAY_IDMAP_GUEST, 4));
	CHECK(relay_idmap_lookup(&map, RELAY_IDMAP_HOST, host_surface) == surface);
	/* events for it meanwhile are dropped; the guest's next 4 is another host id */
	begin(&b, host_surface, 0); /* wl_surface.enter(o output) */
	word(&b, 0);
	CHECK_EQ(tr(&map, RELAY_IDMAP_HOST, &b, 0, &t, &w),
		 RELAY_TRANSLATE_MALFORMED); /* null output */
	begin(&b, 3, 0);
	word(&b, 4);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_FORWARD);
	CHECK(t.created->host_id != host_surface);
	relay_translate_delete_id(&map, host_surface);
	CHECK(!relay_idmap_lookup(&map, RELAY_IDMAP_HOST, host_surface));
	/* a live object's id is not freed by a wrong delete_id */
	relay_translate_delete_id(&map, t.created->host_id);
	CHECK(relay_idmap_lookup(&map, RELAY_IDMAP_HOST, t.created->host_id) == t.created);

	/* wl_shm.create_pool without its fd */
	bind_request(&b, 1, "wl_shm", 1, 5);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_FORWARD);
	begin(&b, 5, 0);
	word(&b, 6);
	word(&b, 4096);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_MISSING_FDS);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 1, &t, &w), RELAY_TRANSLATE_FORWARD);
	CHECK_EQ(relay_fd_count(t.msg.info), 1u);

	/* wl_output as guest 7; the guest's second surface (4) destroyed: an
	 * enter event for it is dropped, one naming it as an argument too */
	bind_request(&b, 2, "wl_output", 1, 7);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_FORWARD);
	host_output = t.created->host_id;
	surface = relay_idmap_lookup(&map, RELAY_IDMAP_GUEST, 4);
	host_surface = surface->host_id;
	begin(&b, host_surface, 0);
	word(&b, host_output);
	CHECK_EQ(tr(&map, RELAY_IDMAP_HOST, &b, 0, &t, &w), RELAY_TRANSLATE_FORWARD);
	CHECK_EQ(w[0], 4u);
	CHECK_EQ(w[2], 7u);
	/* an argument of the wrong interface from the host */
	begin(&b, host_surface, 0);
	word(&b, host_surface);
	CHECK_EQ(tr(&map, RELAY_IDMAP_HOST, &b, 0, &t, &w), RELAY_TRANSLATE_BAD_ARGUMENT);
	begin(&b, 4, 0);
	CHECK_EQ(tr(&map, RELAY_IDMAP_GUEST, &b, 0, &t, &w), RELAY_TRANSLATE_FORWARD);
	begin(&b, host_surface, 0);
	word(&b, host_output);
	CHECK_EQ(tr(&map, RELAY_IDMAP_HOST, &b, 0, &t, &w), RELAY_TRANSLATE_DROP);

	free(w);
	relay_idmap_finish(&map);
	CHECK(strcmp(relay_translate_status_text(RELAY_TRANSLATE_OWN), "forwarded") != 0);
}

/* The connection input: partial messages, alignment, fds in order, a bad size. */
static void test_conn(void)
{
	static struct relay_in in;
	int sv[2], fds[2];
	uint32_t msg[5] = {7, 20u << 16 | 1u, 11, 22, 33};
	enum relay_status status;
	uint32_t *words;
	unsigned count;
	int before = count_fds();

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	relay_in_init(&in);
	/* nothing yet */
	CHECK(relay_in_read(&in, sv[0]) < 0 && errno == EAGAIN);
	/* 6 bytes, then the rest with two fds */
	CHECK(fdpass_send(sv[1], msg, 6, NULL, 0, 0) == 6);
	CHECK_EQ(relay_in_read(&in, sv[0]), 6);
	CHECK(!relay_in_next(&in, &status) && status == RELAY_OK);
	fds[0] = memfd_create("a", MFD_CLOEXEC);
	fds[1] = memfd_create("b", MFD_CLOEXEC);
	CHECK(fds[0] >= 0 && fds[1] >= 0);
	CHECK(fdpass_send(sv[1], (uint8_t *)msg + 6, 14, fds, 2, 0) == 14);
	close(fds[0]);
	close(fds[1]);
	/* and the next message's first 4 bytes */
	CHECK(fdpass_send(sv[1], msg, 4, NULL, 0, 0) == 4);
	/* the kernel ends a read where the bytes with fds end */
	CHECK_EQ(relay_in_read(&in, sv[0]), 14);
	CHECK_EQ(relay_in_read(&in, sv[0]), 4);
	words = relay_in_next(&in, &status);
	CHECK(words && ((uintptr_t)words & 3u) == 0);
	CHECK(memcmp(words, msg, sizeof(msg)) == 0);
	CHECK(relay_in_fds(&in, &count) && count == 2);
	relay_in_close_fds(&in, 1);
	CHECK(relay_in_fds(&in, &count) && count == 1);
	relay_in_consume(&in, 20);
	CHECK(!relay_in_next(&in, &status) && status == RELAY_OK);
	/* the rest of the second message: it starts at the buffer's front */
	CHECK(fdpass_send(sv[1], (uint8_t *)msg + 4, 16, NULL, 0, 0) == 16);
	CHECK_EQ(relay_in_read(&in, sv[0]), 16);
	words = relay_in_next(&in, &status);
	CHECK(words == in.words && memcmp(words, msg, sizeof(msg)) == 0);
	relay_in_consume(&in, 20);
	/* a header whose size cannot be */
	msg[1] = 6u << 16;
	CHECK(relay_in_push(&in, msg, 8, NULL, 0));
	CHECK(!relay_in_next(&in, &status) && status == RELAY_BAD_SIZE);
	/* more than fits */
	CHECK(!relay_in_push(&in, msg, RELAY_IN_SIZE, NULL, 0));
	/* EOF */
	close(sv[1]);
	CHECK_EQ(relay_in_read(&in, sv[0]), 0);
	relay_in_finish(&in);
	close(sv[0]);
	CHECK_EQ(count_fds(), before);
}

int main(void)
{
	test_fixed();
	test_strings();
	test_arrays();
	test_sizes();
	test_tables();
	test_idmap();
	test_translate();
	test_conn();
	return 0;
}
