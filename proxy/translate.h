/* SPDX-License-Identifier: MIT */
/*
 * One message of the byte relay, from the side it came from to the other:
 * the target looked up, the opcode and version checked, the arguments laid
 * out (message.h), object ids translated in place to the other side's ids
 * (idmap.h) and the objects a new_id creates entered in the map.  The rules
 * are those of the closure forwarder (forward.c), so that the bytes a
 * compositor or client receives do not change:
 *
 *   - a request names an object of the guest's, at a version it has; its
 *     object arguments are the guest's, of the interface the message says;
 *     anything else is a protocol error of that guest;
 *   - a request on (or naming) an object the host no longer has is not
 *     forwarded: it has nothing to mean there (new objects it creates are
 *     inert: they live on the guest side only);
 *   - an event newer than the guest's object, or naming a non-nullable object
 *     the guest has destroyed meanwhile, is dropped; an event to an object of
 *     vsomm's own is for vsomm (TRANSLATE_OWN).
 *
 * Destruction follows libwayland's rules for ids: on the guest side (vsomm
 * is the server) an id is free as soon as its object is destroyed, and a
 * client id is announced with delete_id; on the host side a client id is free
 * once the host's wl_display.delete_id for it came (translate_delete_id), a
 * server id at once.
 */
#ifndef PROXY_TRANSLATE_H
#define PROXY_TRANSLATE_H

#include "proxy/idmap.h"
#include "proxy/message.h"

enum translate_status {
	/** Forward msg (translated) to the other side. */
	TRANSLATE_FORWARD,
	/** Nothing to forward (see the rules above); not an error. */
	TRANSLATE_DROP,
	/** An event to an object of vsomm's own: target says which. */
	TRANSLATE_OWN,
	/* Protocol errors of the sender (a guest: wl_display.error; the host: the connection ends). */
	TRANSLATE_UNKNOWN_OBJECT, /* no such object (wl_display.error invalid_object) */
	TRANSLATE_BAD_OPCODE,     /* no such message, or too new for the object (invalid_method) */
	TRANSLATE_MALFORMED,      /* the layout is wrong: detail says how (invalid_method) */
	TRANSLATE_MISSING_FDS,    /* fewer fds came than the message carries */
	TRANSLATE_BAD_ARGUMENT, /* an object argument unknown or of another interface (invalid_object) */
	TRANSLATE_BAD_NEW_ID,    /* a new id in use or out of its range (invalid_object) */
	TRANSLATE_BAD_INTERFACE, /* wl_registry.bind of an interface vsomm does not relay */
	TRANSLATE_NO_MEMORY,
};

struct translate {
	struct message msg;
	/** The object the message is for (NULL for unknown objects). */
	struct idmap_object *target;
	/** The object a new_id created, NULL if none. */
	struct idmap_object *created;
	/** TRANSLATE_MALFORMED: how; TRANSLATE_BAD_ARGUMENT: argument index. */
	unsigned detail;
	/**
	 * A guest client id the message destroyed (a destructor request, or an
	 * event such as wl_callback.done): free on the guest side now; the caller
	 * sends the guest wl_display.delete_id for it after the message (as
	 * libwayland-server does).  0: none.
	 */
	uint32_t delete_id;
};

/**
 * Translate the message at `words` (size checked: message_check_size) that
 * `side` sent, with `fds` fds available for it.  On TRANSLATE_FORWARD the
 * message is rewritten in place for the other side; the fds it carries are
 * the first message_fd_count(t->msg.info) of those available.  t->msg.info is
 * set (the message's fds can be counted and closed) on every status but
 * TRANSLATE_UNKNOWN_OBJECT and an unknown opcode.
 */
enum translate_status translate_message(struct idmap *map, enum idmap_side side, uint32_t *words,
					unsigned fds, struct translate *t);

/**
 * The host's wl_display.delete_id(host_id): the id of a destroyed object (or
 * of one of vsomm's own) is free on the host side.  Nothing goes to the guest:
 * it got its delete_id when the object was destroyed.
 */
void translate_delete_id(struct idmap *map, uint32_t host_id);

const char *translate_status_text(enum translate_status status);

#endif
