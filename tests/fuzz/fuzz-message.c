/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the relay's message reader and id map (proxy/relay/message.c,
 * proxy/relay/idmap.c) driven as the relay drives them (proxy/relay/translate.c), on bytes from either side.
 *
 * Input: a sequence of records, each one byte of flags, a 16-bit length and
 * that many raw bytes of a connection: from the guest (flags bit 0 clear) or
 * the host (set), written to that side's socket with 0 to 7 memfds attached
 * (bits 1-3), at any byte of the stream.  The side's connection input
 * (proxy/relay/in.c) reads what the socket has and hands out whole messages,
 * whose fds are closed as the relay would pass them on.  A message
 * the relay would refuse (relay_translate_message: unknown object or opcode, a
 * malformed layout, too few fds, a bad argument or new id) ends the input, as
 * it ends a connection.  A translated message's strings and arrays are read
 * whole, and its target and new object are checked to be what its ids now
 * name on the other side; wl_display.delete_id events free host ids.  At the
 * end every id in the map must resolve to its object on both sides, and no fd
 * may be left open.
 */
#include <errno.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/relay/relay.h"
#include "tests/lib/fds.h"
#include "util/fdpass.h"

#include "tests/fuzz/fuzz.h"

static void check_object(struct relay_idmap_object *object, void *data)
{
	struct relay_idmap *map = data;

	FUZZ_CHECK(object->guest_id || object->host_id);
	if (object->guest_id)
		FUZZ_CHECK(relay_idmap_lookup(map, RELAY_IDMAP_GUEST, object->guest_id) == object);
	if (object->host_id)
		FUZZ_CHECK(relay_idmap_lookup(map, RELAY_IDMAP_HOST, object->host_id) == object);
}

/* One message from `side`; false when the relay would end the connection.
 * *count: the fds it carries. */
static bool relay(struct relay_idmap *map, enum relay_idmap_side side, uint32_t *words, unsigned fds,
		  unsigned *count)
{
	struct relay_header header = relay_header_read(words);
	struct relay_translate t;
	enum relay_translate_status status = relay_translate_message(map, side, words, fds, &t);
	volatile size_t sink = 0;

	if (status > RELAY_TRANSLATE_OWN)
		return false;
	FUZZ_CHECK(t.msg.info && t.msg.header.size == header.size);
	FUZZ_CHECK(fds >= relay_fd_count(t.msg.info));
	*count = relay_fd_count(t.msg.info);
	/* what the relay's hooks read: every string and array whole */
	for (unsigned i = 0; i < t.msg.info->arg_count; i++) {
		uint32_t bit = 1u << i;

		if (t.msg.info->string_args & bit) {
			const char *s = relay_string(&t.msg, i);
			if (s)
				sink += strlen(s) + 1 == relay_word(&t.msg, i) ? 0 : 1;
		} else if (t.msg.info->array_args & bit) {
			uint32_t size;
			const uint8_t *a = relay_array(&t.msg, i, &size);
			for (uint32_t k = 0; k < size; k++)
				sink += a[k];
		}
	}
	(void)sink;
	if (status == RELAY_TRANSLATE_FORWARD) {
		/* ids now name objects of the other side */
		enum relay_idmap_side other = side == RELAY_IDMAP_GUEST ? RELAY_IDMAP_HOST : RELAY_IDMAP_GUEST;

		if (t.target && !t.msg.info->destructor)
			FUZZ_CHECK(relay_idmap_lookup(map, other, words[0]) == t.target);
		if (t.created)
			FUZZ_CHECK(relay_idmap_lookup(map, other,
						relay_word(&t.msg, (unsigned)t.msg.info->new_id_arg)) ==
				   t.created);
	}
	/* the host's delete_id of what the guest destroyed */
	if (side == RELAY_IDMAP_HOST && header.id == 1 && header.opcode == 1)
		relay_translate_delete_id(map, relay_word(&t.msg, 0));
	return true;
}

/* Relay every whole message the side's connection has; false when the relay
 * would end the connection. */
static bool drain(struct relay_idmap *map, enum relay_idmap_side side, struct relay_in *in, int sock)
{
	for (;;) {
		ssize_t n = relay_in_read(in, sock);
		enum relay_status status;
		uint32_t *words;

		if (n < 0)
			return errno == EAGAIN;
		if (n == 0)
			return false;
		while ((words = relay_in_next(in, &status))) {
			struct relay_header header = relay_header_read(words);
			unsigned fds, count;

			relay_in_fds(in, &fds);
			if (!relay(map, side, words, fds, &count))
				return false;
			/* the relay passes them on; here they are closed */
			relay_in_close_fds(in, count);
			relay_in_consume(in, header.size);
		}
		if (status != RELAY_OK)
			return false;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {.data = data, .size = size};
	static struct relay_in conns[2];
	int socks[2][2];
	struct relay_idmap map;
	int fds_before = count_fds();
	bool alive = true;

	relay_idmap_init(&map);
	FUZZ_CHECK(relay_idmap_insert(&map, RELAY_IDMAP_GUEST, 1, vsomm_forward_find("wl_display"), 1));
	/* one object of vsomm's own: translation is no identity */
	FUZZ_CHECK(relay_idmap_insert_own(&map, vsomm_forward_find("wl_buffer"), 1));
	for (int side = 0; side < 2; side++) {
		FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, socks[side]) == 0);
		relay_in_init(&conns[side]);
	}

	while (alive && fuzz_more(&in)) {
		uint8_t flags = fuzz_u8(&in);
		enum relay_idmap_side side = (flags & 1) ? RELAY_IDMAP_HOST : RELAY_IDMAP_GUEST;
		size_t want = fuzz_u16(&in), got;
		const uint8_t *bytes = fuzz_bytes(&in, want, &got);
		int fds[7];
		size_t nfds = (flags >> 1) & 7u;

		if (!got)
			break;
		for (size_t i = 0; i < nfds; i++) {
			fds[i] = memfd_create("fuzz-message", MFD_CLOEXEC);
			FUZZ_CHECK(fds[i] >= 0);
		}
		/* the socket takes it all: the input is far below its buffer */
		FUZZ_CHECK(fdpass_send(socks[side][1], bytes, got, fds, nfds, MSG_DONTWAIT) ==
			   (ssize_t)got);
		fdpass_close_fds(fds, nfds);
		alive = drain(&map, side, &conns[side], socks[side][0]);
	}
	relay_idmap_for_each(&map, check_object, &map);
	relay_idmap_finish(&map);
	FUZZ_CHECK(map.live == 0);
	for (int side = 0; side < 2; side++) {
		relay_in_finish(&conns[side]);
		close(socks[side][0]);
		close(socks[side][1]);
	}
	/* every fd that came is closed again */
	FUZZ_CHECK(count_fds() == fds_before);
	return 0;
}
