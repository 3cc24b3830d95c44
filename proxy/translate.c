/* SPDX-License-Identifier: MIT */
/*
 * One relayed message, translated in place (translate.h).
 */
#include <errno.h>

#include "proxy/translate.h"

static bool is_server_id(uint32_t id)
{
	return id >= MESSAGE_SERVER_ID_START;
}

/* Object argument i of a request: the guest's object → the host's id. */
static enum translate_status request_object(struct idmap *map, struct translate *t, unsigned i,
					    enum translate_status status)
{
	const struct vsomm_message_info *info = t->msg.info;
	struct idmap_object *arg = idmap_lookup(map, IDMAP_GUEST, message_word(&t->msg, i));

	if (!arg || (arg->flags & IDMAP_GONE_GUEST) ||
	    (info->types[i] && arg->info->interface != info->types[i])) {
		t->detail = i;
		return TRANSLATE_BAD_ARGUMENT;
	}
	if (arg->host_id && !(arg->flags & IDMAP_GONE_HOST))
		*message_word_ptr(&t->msg, i) = arg->host_id;
	else if (info->nullable_args & (1u << i))
		*message_word_ptr(&t->msg, i) = 0;
	else
		return TRANSLATE_DROP; /* names an object the host no longer has */
	return status;
}

/* Object argument i of an event: the host's object → the guest's id. */
static enum translate_status event_object(struct idmap *map, struct translate *t, unsigned i,
					  enum translate_status status)
{
	const struct vsomm_message_info *info = t->msg.info;
	struct idmap_object *arg = idmap_lookup(map, IDMAP_HOST, message_word(&t->msg, i));

	if (arg && info->types[i] && arg->info->interface != info->types[i]) {
		t->detail = i;
		return TRANSLATE_BAD_ARGUMENT;
	}
	if (arg && arg->guest_id && !(arg->flags & IDMAP_GONE_GUEST))
		*message_word_ptr(&t->msg, i) = arg->guest_id;
	else if (info->nullable_args & (1u << i))
		*message_word_ptr(&t->msg, i) = 0;
	else
		return TRANSLATE_DROP; /* gone on the guest side meanwhile */
	return status;
}

/* The object a request's new_id creates (inert when the request is dropped). */
static enum translate_status request_new_id(struct idmap *map, struct translate *t,
					    enum translate_status status)
{
	const struct vsomm_message_info *info = t->msg.info;
	unsigned i = (unsigned)info->new_id_arg;
	const struct vsomm_interface_info *created = info->new_id_info;
	uint32_t version = t->target->version;

	if (info->generic_new_id) {
		/* "sun": interface name, version, id (wl_registry.bind) */
		const char *name = message_string(&t->msg, i - 2);

		created = vsomm_forward_find(name);
		version = message_word(&t->msg, i - 1);
		if (!created || version == 0 || version > created->version)
			return TRANSLATE_BAD_INTERFACE;
	}
	t->created = idmap_insert(map, IDMAP_GUEST, message_word(&t->msg, i), created, version);
	if (!t->created)
		return errno == ENOMEM ? TRANSLATE_NO_MEMORY : TRANSLATE_BAD_NEW_ID;
	if (status == TRANSLATE_DROP) {
		/* Inert: the guest's object only (its host id is free again). */
		idmap_release(map, t->created, IDMAP_HOST);
		t->created->flags |= IDMAP_GONE_HOST;
	} else {
		*message_word_ptr(&t->msg, i) = t->created->host_id;
	}
	return status;
}

/* The object an event's new_id creates (the host's; known to the guest unless dropped). */
static enum translate_status event_new_id(struct idmap *map, struct translate *t,
					  enum translate_status status)
{
	unsigned i = (unsigned)t->msg.info->new_id_arg;

	t->created = idmap_insert(map, IDMAP_HOST, message_word(&t->msg, i),
				  t->msg.info->new_id_info, t->target->version);
	if (!t->created)
		return errno == ENOMEM ? TRANSLATE_NO_MEMORY : TRANSLATE_BAD_NEW_ID;
	if (status == TRANSLATE_DROP) {
		/* The guest never hears of it: its events are dropped. */
		idmap_release(map, t->created, IDMAP_GUEST);
		t->created->flags |= IDMAP_GONE_GUEST;
	} else {
		*message_word_ptr(&t->msg, i) = t->created->guest_id;
	}
	return status;
}

/*
 * A destructor (a request from the guest, or an event such as
 * wl_callback.done from the host).  The guest's id is free at once, as
 * libwayland-server frees a resource's id when it is destroyed: a client id
 * is then announced to the guest with delete_id (t->delete_id).  The host's
 * id waits for the host's delete_id when it is a client id (translate_delete_id)
 * and is free at once when it is a server id.
 */
static void destroyed(struct idmap *map, enum idmap_side side, struct translate *t)
{
	struct idmap_object *object = t->target;

	object->flags |= side == IDMAP_GUEST ? IDMAP_GONE_GUEST : IDMAP_GONE_HOST;
	if (object->guest_id && !is_server_id(object->guest_id))
		t->delete_id = object->guest_id;
	if (object->host_id && is_server_id(object->host_id))
		idmap_release(map, object, IDMAP_HOST);
	if (idmap_release(map, object, IDMAP_GUEST))
		t->target = NULL;
}

enum translate_status translate_message(struct idmap *map, enum idmap_side side, uint32_t *words,
					unsigned fds, struct translate *t)
{
	struct message_header header = message_header_read(words);
	bool request = side == IDMAP_GUEST;
	struct idmap_object *target = idmap_lookup(map, side, header.id);
	const struct vsomm_message_info *info;
	enum translate_status status = TRANSLATE_FORWARD;
	enum message_status parsed;

	t->msg.info = NULL;
	t->target = target;
	t->created = NULL;
	t->detail = 0;
	t->delete_id = 0;
	if (!target || (request && (target->flags & IDMAP_GONE_GUEST)))
		return TRANSLATE_UNKNOWN_OBJECT;
	if (header.opcode >= (request ? target->info->request_count : target->info->event_count))
		return TRANSLATE_BAD_OPCODE;
	info = request ? &target->info->requests[header.opcode]
		       : &target->info->events[header.opcode];
	t->msg.info = info;
	if (request && info->since > target->version)
		return TRANSLATE_BAD_OPCODE;
	parsed = message_parse(&t->msg, words, info);
	if (parsed != MESSAGE_OK) {
		t->detail = parsed;
		return TRANSLATE_MALFORMED;
	}
	if (fds < message_fd_count(info))
		return TRANSLATE_MISSING_FDS;

	if (request) {
		if (!target->host_id || (target->flags & IDMAP_GONE_HOST))
			status = TRANSLATE_DROP; /* inert */
	} else if (target->flags & IDMAP_OWN) {
		return TRANSLATE_OWN;
	} else if ((target->flags & IDMAP_GONE_GUEST) || info->since > target->version) {
		status = TRANSLATE_DROP;
	}

	for (uint32_t bits = info->object_args; bits; bits &= bits - 1) {
		unsigned i = (unsigned)__builtin_ctz(bits);

		if (message_word(&t->msg, i) == 0)
			continue; /* null where allowed (message_parse) */
		status = request ? request_object(map, t, i, status)
				 : event_object(map, t, i, status);
		if (status > TRANSLATE_OWN)
			return status;
	}
	if (info->new_id_args) {
		status = request ? request_new_id(map, t, status) : event_new_id(map, t, status);
		if (status > TRANSLATE_OWN)
			return status;
	}
	if (status == TRANSLATE_FORWARD)
		words[0] = request ? target->host_id : target->guest_id;
	if (info->destructor && header.id != 1)
		destroyed(map, side, t);
	return status;
}

void translate_delete_id(struct idmap *map, uint32_t host_id)
{
	struct idmap_object *object = idmap_lookup(map, IDMAP_HOST, host_id);

	if (!object || is_server_id(host_id))
		return;
	/* A live object of the guest's: the host is wrong, the id stays. */
	if (!(object->flags & (IDMAP_OWN | IDMAP_GONE_GUEST | IDMAP_GONE_HOST)))
		return;
	idmap_release(map, object, IDMAP_HOST);
}

const char *translate_status_text(enum translate_status status)
{
	switch (status) {
	case TRANSLATE_FORWARD:
		return "forwarded";
	case TRANSLATE_DROP:
		return "dropped";
	case TRANSLATE_OWN:
		return "vsomm's own";
	case TRANSLATE_UNKNOWN_OBJECT:
		return "unknown object";
	case TRANSLATE_BAD_OPCODE:
		return "invalid method";
	case TRANSLATE_MALFORMED:
		return "malformed message";
	case TRANSLATE_MISSING_FDS:
		return "missing file descriptors";
	case TRANSLATE_BAD_ARGUMENT:
		return "invalid object argument";
	case TRANSLATE_BAD_NEW_ID:
		return "invalid new id";
	case TRANSLATE_BAD_INTERFACE:
		return "interface not relayed";
	case TRANSLATE_NO_MEMORY:
		return "out of memory";
	}
	return "unknown status";
}
