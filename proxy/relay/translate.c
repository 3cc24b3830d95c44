/* SPDX-License-Identifier: MIT */
/*
 * One relayed message, translated in place (translate.h).
 */
#include <errno.h>

#include "proxy/relay/relay.h"

static bool is_server_id(uint32_t id)
{
	return id >= RELAY_SERVER_ID_START;
}

/* Object argument i of a request: the guest's object → the host's id. */
static enum relay_translate_status request_object(struct relay_idmap *map,
						  struct relay_translate *t, unsigned i,
						  enum relay_translate_status status)
{
	const struct vsomm_message_info *info = t->msg.info;
	struct relay_idmap_object *arg = relay_idmap_lookup(map, RELAY_IDMAP_GUEST,
							    relay_word(&t->msg, i));

	if (!arg || (arg->flags & RELAY_IDMAP_GONE_GUEST) ||
	    (info->types[i] && arg->info->interface != info->types[i])) {
		t->detail = i;
		return RELAY_TRANSLATE_BAD_ARGUMENT;
	}
	if (arg->host_id && !(arg->flags & RELAY_IDMAP_GONE_HOST))
		*relay_word_ptr(&t->msg, i) = arg->host_id;
	else if (info->nullable_args & (1u << i))
		*relay_word_ptr(&t->msg, i) = 0;
	else
		return RELAY_TRANSLATE_DROP; /* names an object the host no longer has */
	return status;
}

/* Object argument i of an event: the host's object → the guest's id. */
static enum relay_translate_status event_object(struct relay_idmap *map, struct relay_translate *t,
						unsigned i, enum relay_translate_status status)
{
	const struct vsomm_message_info *info = t->msg.info;
	struct relay_idmap_object *arg = relay_idmap_lookup(map, RELAY_IDMAP_HOST,
							    relay_word(&t->msg, i));

	if (arg && info->types[i] && arg->info->interface != info->types[i]) {
		t->detail = i;
		return RELAY_TRANSLATE_BAD_ARGUMENT;
	}
	if (arg && arg->guest_id && !(arg->flags & RELAY_IDMAP_GONE_GUEST))
		*relay_word_ptr(&t->msg, i) = arg->guest_id;
	else if (info->nullable_args & (1u << i))
		*relay_word_ptr(&t->msg, i) = 0;
	else
		return RELAY_TRANSLATE_DROP; /* gone on the guest side meanwhile */
	return status;
}

/* The object a request's new_id creates (inert when the request is dropped). */
static enum relay_translate_status request_new_id(struct relay_idmap *map,
						  struct relay_translate *t,
						  enum relay_translate_status status)
{
	const struct vsomm_message_info *info = t->msg.info;
	unsigned i = (unsigned)info->new_id_arg;
	const struct vsomm_interface_info *created = info->new_id_info;
	uint32_t version = t->target->version;

	if (info->generic_new_id) {
		/* "sun": interface name, version, id (wl_registry.bind) */
		const char *name = relay_string(&t->msg, i - 2);

		created = vsomm_forward_find(name);
		version = relay_word(&t->msg, i - 1);
		if (!created || version == 0 || version > created->version)
			return RELAY_TRANSLATE_BAD_INTERFACE;
	}
	t->created = relay_idmap_insert(map, RELAY_IDMAP_GUEST, relay_word(&t->msg, i), created,
					version);
	if (!t->created)
		return errno == ENOMEM ? RELAY_TRANSLATE_NO_MEMORY : RELAY_TRANSLATE_BAD_NEW_ID;
	if (status == RELAY_TRANSLATE_DROP) {
		/* Inert: the guest's object only (its host id is free again). */
		relay_idmap_release(map, t->created, RELAY_IDMAP_HOST);
		t->created->flags |= RELAY_IDMAP_GONE_HOST;
	} else {
		*relay_word_ptr(&t->msg, i) = t->created->host_id;
	}
	return status;
}

/* The object an event's new_id creates (the host's; known to the guest unless dropped). */
static enum relay_translate_status event_new_id(struct relay_idmap *map, struct relay_translate *t,
						enum relay_translate_status status)
{
	unsigned i = (unsigned)t->msg.info->new_id_arg;

	t->created = relay_idmap_insert(map, RELAY_IDMAP_HOST, relay_word(&t->msg, i),
					t->msg.info->new_id_info, t->target->version);
	if (!t->created)
		return errno == ENOMEM ? RELAY_TRANSLATE_NO_MEMORY : RELAY_TRANSLATE_BAD_NEW_ID;
	if (status == RELAY_TRANSLATE_DROP) {
		/* The guest never hears of it: its events are dropped. */
		relay_idmap_release(map, t->created, RELAY_IDMAP_GUEST);
		t->created->flags |= RELAY_IDMAP_GONE_GUEST;
	} else {
		*relay_word_ptr(&t->msg, i) = t->created->guest_id;
	}
	return status;
}

/*
 * A destructor (a request from the guest, or an event such as
 * wl_callback.done from the host).  The guest's id is free at once, as
 * libwayland-server frees a resource's id when it is destroyed: a client id
 * is then announced to the guest with delete_id (t->delete_id).  The host's
 * id waits for the host's delete_id when it is a client id (relay_translate_delete_id)
 * and is free at once when it is a server id.
 */
static void destroyed(struct relay_idmap *map, enum relay_idmap_side side,
		      struct relay_translate *t)
{
	struct relay_idmap_object *object = t->target;

	object->flags |= side == RELAY_IDMAP_GUEST ? RELAY_IDMAP_GONE_GUEST : RELAY_IDMAP_GONE_HOST;
	if (object->guest_id && !is_server_id(object->guest_id))
		t->delete_id = object->guest_id;
	if (object->host_id && is_server_id(object->host_id))
		relay_idmap_release(map, object, RELAY_IDMAP_HOST);
	if (relay_idmap_release(map, object, RELAY_IDMAP_GUEST))
		t->target = NULL;
}

enum relay_translate_status relay_translate_message(struct relay_idmap *map,
						    enum relay_idmap_side side, uint32_t *words,
						    unsigned fds, struct relay_translate *t)
{
	struct relay_header header = relay_header_read(words);
	bool request = side == RELAY_IDMAP_GUEST;
	struct relay_idmap_object *target = relay_idmap_lookup(map, side, header.id);
	const struct vsomm_message_info *info;
	enum relay_translate_status status = RELAY_TRANSLATE_FORWARD;
	enum relay_status parsed;

	t->msg.info = NULL;
	t->target = target;
	t->created = NULL;
	t->detail = 0;
	t->delete_id = 0;
	if (!target || (request && (target->flags & RELAY_IDMAP_GONE_GUEST)))
		return RELAY_TRANSLATE_UNKNOWN_OBJECT;
	if (header.opcode >= (request ? target->info->request_count : target->info->event_count))
		return RELAY_TRANSLATE_BAD_OPCODE;
	info = request ? &target->info->requests[header.opcode]
		       : &target->info->events[header.opcode];
	t->msg.info = info;
	if (request && info->since > target->version)
		return RELAY_TRANSLATE_BAD_OPCODE;
	parsed = relay_parse(&t->msg, words, info);
	if (parsed != RELAY_OK) {
		t->detail = parsed;
		return RELAY_TRANSLATE_MALFORMED;
	}
	if (fds < relay_fd_count(info))
		return RELAY_TRANSLATE_MISSING_FDS;

	if (request) {
		if (!target->host_id || (target->flags & RELAY_IDMAP_GONE_HOST))
			status = RELAY_TRANSLATE_DROP; /* inert */
	} else if (target->flags & RELAY_IDMAP_OWN) {
		return RELAY_TRANSLATE_OWN;
	} else if ((target->flags & RELAY_IDMAP_GONE_GUEST) || info->since > target->version) {
		status = RELAY_TRANSLATE_DROP;
	}

	for (uint32_t bits = info->object_args; bits; bits &= bits - 1) {
		unsigned i = (unsigned)__builtin_ctz(bits);

		if (relay_word(&t->msg, i) == 0)
			continue; /* null where allowed (relay_parse) */
		status = request ? request_object(map, t, i, status)
				 : event_object(map, t, i, status);
		if (status > RELAY_TRANSLATE_OWN)
			return status;
	}
	if (info->new_id_args) {
		status = request ? request_new_id(map, t, status) : event_new_id(map, t, status);
		if (status > RELAY_TRANSLATE_OWN)
			return status;
	}
	if (status == RELAY_TRANSLATE_FORWARD)
		words[0] = request ? target->host_id : target->guest_id;
	if (info->destructor && header.id != 1)
		destroyed(map, side, t);
	return status;
}

void relay_translate_delete_id(struct relay_idmap *map, uint32_t host_id)
{
	struct relay_idmap_object *object = relay_idmap_lookup(map, RELAY_IDMAP_HOST, host_id);

	if (!object || is_server_id(host_id))
		return;
	/* A live object of the guest's: the host is wrong, the id stays. */
	if (!(object->flags & (RELAY_IDMAP_OWN | RELAY_IDMAP_GONE_GUEST | RELAY_IDMAP_GONE_HOST)))
		return;
	relay_idmap_release(map, object, RELAY_IDMAP_HOST);
}

const char *relay_translate_status_text(enum relay_translate_status status)
{
	switch (status) {
	case RELAY_TRANSLATE_FORWARD:
		return "forwarded";
	case RELAY_TRANSLATE_DROP:
		return "dropped";
	case RELAY_TRANSLATE_OWN:
		return "vsomm's own";
	case RELAY_TRANSLATE_UNKNOWN_OBJECT:
		return "unknown object";
	case RELAY_TRANSLATE_BAD_OPCODE:
		return "invalid method";
	case RELAY_TRANSLATE_MALFORMED:
		return "malformed message";
	case RELAY_TRANSLATE_MISSING_FDS:
		return "missing file descriptors";
	case RELAY_TRANSLATE_BAD_ARGUMENT:
		return "invalid object argument";
	case RELAY_TRANSLATE_BAD_NEW_ID:
		return "invalid new id";
	case RELAY_TRANSLATE_BAD_INTERFACE:
		return "interface not relayed";
	case RELAY_TRANSLATE_NO_MEMORY:
		return "out of memory";
	}
	return "unknown status";
}
