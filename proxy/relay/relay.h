/* SPDX-License-Identifier: MIT */
/*
 * proxy/relay/: the byte relay core (issue 15, docs/relay-core.md): the
 * Wayland wire read and translated in place.  Its pieces so far (the relay
 * loop that uses them replaces proxy/forward.c and proxy/client.c in one step):
 *
 *   message.c    messages read in place, laid out by the forwarding tables
 *   idmap.c      the object ids of a client's two connections
 *   translate.c  one message from either side, checked and translated
 *   in.c         a connection's input: whole messages, fds in order
 */
#ifndef PROXY_RELAY_RELAY_H
#define PROXY_RELAY_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocols/forward-tables.h"

/* ---------------- message.c: messages ---------------- */

/*
 * Wayland messages read in place from the bytes of a connection: the header,
 * then the position of every argument, laid out by the forwarding tables
 * (protocols/forward-tables.h) and checked as libwayland checks a message it
 * demarshals.  Nothing is copied or allocated: a parsed message points into
 * the buffer it was read from, so that the relay can translate object ids in
 * place and forward the same bytes.
 *
 * The wire format: every message starts with two 32-bit words in host byte
 * order, the target object id, then (size << 16 | opcode), size counting the
 * whole message in bytes, a multiple of 4.  Arguments follow, one word each,
 * except strings and arrays (a length word, then the bytes padded to a
 * word; a string's length counts its NUL and is 0 for a null string) and fds
 * (no bytes: they travel beside the bytes, in the order of the messages).
 */

#define RELAY_HEADER_SIZE 8u
/* The largest message libwayland 1.21 sends or takes: its connection buffer. */
#define RELAY_MAX_SIZE 4096u
/* WL_CLOSURE_MAX_ARGS of libwayland; gen-forward.py checks every message. */
#define RELAY_MAX_ARGS 20u

/* Where a connection's object ids start that the server (compositor) allocates. */
#define RELAY_SERVER_ID_START 0xff000000u

enum relay_status {
	RELAY_OK = 0,
	/** The header's size is below 8, not a multiple of 4 or above the maximum. */
	RELAY_BAD_SIZE,
	/** An argument runs past the message's size. */
	RELAY_TRUNCATED,
	/** Bytes are left after the last argument. */
	RELAY_TRAILING,
	/** A string whose last byte is not its NUL. */
	RELAY_UNTERMINATED,
	/** 0 for an object, new_id or string argument that does not allow null. */
	RELAY_NULL,
};

/** The header of a message. */
struct relay_header {
	uint32_t id;
	uint16_t opcode;
	uint16_t size;
};

/** The message of a connection after relay_parse. */
struct relay_message {
	/** The whole message, header first: aligned, writable (ids are translated in place). */
	uint32_t *words;
	struct relay_header header;
	const struct vsomm_message_info *info;
	/** Word of argument i in words (an fd has none: 0). */
	uint16_t arg_word[RELAY_MAX_ARGS];
};

/** The header at p (8 readable bytes, 4-aligned). */
static inline struct relay_header relay_header_read(const uint32_t *p)
{
	struct relay_header header = {
		.id = p[0],
		.opcode = (uint16_t)(p[1] & 0xffffu),
		.size = (uint16_t)(p[1] >> 16),
	};

	return header;
}

/**
 * Whether the header's size can be a message at all: then `size` bytes are
 * the message (RELAY_OK), else RELAY_BAD_SIZE (the connection cannot go on:
 * the next message's start is unknown).
 */
enum relay_status relay_check_size(struct relay_header header);

/**
 * Lay out the arguments of the message at `words` (header.size bytes, the size
 * checked by relay_check_size) as `info` describes them, checking each as
 * libwayland does.  On RELAY_OK, msg describes the message.
 */
enum relay_status relay_parse(struct relay_message *msg, uint32_t *words,
			      const struct vsomm_message_info *info);

/** The number of fds the message carries. */
static inline unsigned relay_fd_count(const struct vsomm_message_info *info)
{
	return info->fd_count;
}

/** Argument i as a word (int, uint, fixed, object, new_id, or a length). */
static inline uint32_t relay_word(const struct relay_message *msg, unsigned i)
{
	return msg->words[msg->arg_word[i]];
}

/** A pointer to argument i's word, to translate an id in place. */
static inline uint32_t *relay_word_ptr(struct relay_message *msg, unsigned i)
{
	return &msg->words[msg->arg_word[i]];
}

/** String argument i, NULL for a null string. */
static inline const char *relay_string(const struct relay_message *msg, unsigned i)
{
	if (msg->words[msg->arg_word[i]] == 0)
		return NULL;
	return (const char *)&msg->words[msg->arg_word[i] + 1];
}

/** Array argument i: its bytes, and their number in *size. */
static inline const void *relay_array(const struct relay_message *msg, unsigned i, uint32_t *size)
{
	*size = msg->words[msg->arg_word[i]];
	return &msg->words[msg->arg_word[i] + 1];
}

/** A short English text for a status, for protocol errors and logs. */
const char *relay_status_text(enum relay_status status);

/* ---------------- idmap.c: ids ---------------- */

/*
 * The object ids of one relayed client on its two connections: the guest's
 * (vsomm is the server) and the host's (vsomm is the client).  Each object is
 * one entry, known by its id on the side(s) it lives on:
 *
 *   - objects the guest creates: a guest id the guest chose and a host id
 *     vsomm chose (the same number when it is free: no translation in the
 *     common case);
 *   - objects the host creates (new_id in events): a host id the host chose
 *     (server range) and a guest id vsomm chooses in its server range;
 *   - vsomm's own objects on the host (shadow pools and buffers, roles of X
 *     windows): a host id only.  The guest never sees them and never names
 *     them: the two sides' ids differ as soon as one exists, hence the map.
 *
 * An id is freed as libwayland frees it: a client id when the server's
 * wl_display.delete_id for it arrives, a server id when the object is
 * destroyed.  A host compositor built on libwayland-server takes a new client
 * id only if it is at most one above the highest in use, so host ids are
 * allocated lowest-free-first.
 */

enum relay_idmap_side {
	RELAY_IDMAP_GUEST,
	RELAY_IDMAP_HOST,
};

/* IDs vsomm never takes from either side, so no object is larger. */
#define RELAY_IDMAP_MAX_CLIENT_ID 0xfeffffffu

enum relay_idmap_flags {
	RELAY_IDMAP_OWN = 1u << 0,        /* vsomm's own object on the host */
	RELAY_IDMAP_GONE_GUEST = 1u << 1, /* destroyed by the guest (its id waits for delete_id) */
	RELAY_IDMAP_GONE_HOST = 1u << 2,  /* destroyed by the host (a destructor event) */
};

struct relay_idmap_object {
	const struct vsomm_interface_info *info;
	uint32_t version;
	uint32_t flags;    /* enum relay_idmap_flags */
	uint32_t guest_id; /* 0: vsomm's own, or gone on the guest side */
	uint32_t host_id;  /* 0: not (or no more) on the host */
	void *data;        /* the hooks' */
};

struct relay_idmap_slots {
	struct relay_idmap_object **slots; /* by id - base */
	uint32_t count;                    /* ids in use or once used, from base */
	uint32_t capacity;
	uint32_t base;       /* 1 or RELAY_SERVER_ID_START */
	uint32_t first_free; /* a lower bound of the lowest free slot */
};

struct relay_idmap {
	/* [side][0]: client ids, [side][1]: server ids */
	struct relay_idmap_slots ids[2][2];
	uint32_t live; /* objects in the map */
	/* freed objects kept for the next ones (linked through data) */
	struct relay_idmap_object *spare;
	uint32_t spare_count;
};

void relay_idmap_init(struct relay_idmap *map);
/** Free every object (their data is the caller's to free first: relay_idmap_for_each). */
void relay_idmap_finish(struct relay_idmap *map);

/** The object with this id on this side, NULL if none. */
struct relay_idmap_object *relay_idmap_lookup(const struct relay_idmap *map,
					      enum relay_idmap_side side, uint32_t id);

/**
 * A new object the guest created with `guest_id` (a client id) or the host
 * created with `host_id` (a server id); the id on the other side is chosen
 * (lowest free of the right range; the same number when it is free).  NULL
 * when the given id is out of its range or in use (a protocol error of its
 * sender), or on ENOMEM (errno tells).
 */
struct relay_idmap_object *relay_idmap_insert(struct relay_idmap *map, enum relay_idmap_side side,
					      uint32_t id, const struct vsomm_interface_info *info,
					      uint32_t version);

/** A new object of vsomm's own on the host: a host client id, chosen.  NULL on ENOMEM. */
struct relay_idmap_object *relay_idmap_insert_own(struct relay_idmap *map,
						  const struct vsomm_interface_info *info,
						  uint32_t version);

/**
 * Give an object the guest created but the host does not have (inert) a host
 * id after all (vsomm forwards its creation under another name, as a bind
 * on vsomm's own registry).  False on ENOMEM.
 */
bool relay_idmap_attach_host(struct relay_idmap *map, struct relay_idmap_object *object);

/**
 * The object is gone on one side: its id there is free again (or, for a guest
 * client id, once the guest has been told: the caller sends delete_id).  The
 * object is freed when it is gone on both sides it lived on; returns true
 * then.
 */
bool relay_idmap_release(struct relay_idmap *map, struct relay_idmap_object *object,
			 enum relay_idmap_side side);

/** Call fn for every object (fn may release it). */
void relay_idmap_for_each(struct relay_idmap *map,
			  void (*fn)(struct relay_idmap_object *object, void *data), void *data);

/* ---------------- translate.c: one message ---------------- */

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
 *     vsomm's own is for vsomm (RELAY_TRANSLATE_OWN).
 *
 * Destruction follows libwayland's rules for ids: on the guest side (vsomm
 * is the server) an id is free as soon as its object is destroyed, and a
 * client id is announced with delete_id; on the host side a client id is free
 * once the host's wl_display.delete_id for it came (relay_translate_delete_id), a
 * server id at once.
 */

enum relay_translate_status {
	/** Forward msg (translated) to the other side. */
	RELAY_TRANSLATE_FORWARD,
	/** Nothing to forward (see the rules above); not an error. */
	RELAY_TRANSLATE_DROP,
	/** An event to an object of vsomm's own: target says which. */
	RELAY_TRANSLATE_OWN,
	/* Protocol errors of the sender (a guest: wl_display.error; the host: the connection ends). */
	RELAY_TRANSLATE_UNKNOWN_OBJECT, /* no such object (wl_display.error invalid_object) */
	RELAY_TRANSLATE_BAD_OPCODE, /* no such message, or too new for the object (invalid_method) */
	RELAY_TRANSLATE_MALFORMED,  /* the layout is wrong: detail says how (invalid_method) */
	RELAY_TRANSLATE_MISSING_FDS, /* fewer fds came than the message carries */
	RELAY_TRANSLATE_BAD_ARGUMENT, /* an object argument unknown or of another interface (invalid_object) */
	RELAY_TRANSLATE_BAD_NEW_ID,    /* a new id in use or out of its range (invalid_object) */
	RELAY_TRANSLATE_BAD_INTERFACE, /* wl_registry.bind of an interface vsomm does not relay */
	RELAY_TRANSLATE_NO_MEMORY,
};

struct relay_translate {
	struct relay_message msg;
	/** The object the message is for (NULL for unknown objects). */
	struct relay_idmap_object *target;
	/** The object a new_id created, NULL if none. */
	struct relay_idmap_object *created;
	/** RELAY_TRANSLATE_MALFORMED: how; RELAY_TRANSLATE_BAD_ARGUMENT: argument index. */
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
 * Translate the message at `words` (size checked: relay_check_size) that
 * `side` sent, with `fds` fds available for it.  On RELAY_TRANSLATE_FORWARD the
 * message is rewritten in place for the other side; the fds it carries are
 * the first relay_fd_count(t->msg.info) of those available.  t->msg.info is
 * set (the message's fds can be counted and closed) on every status but
 * RELAY_TRANSLATE_UNKNOWN_OBJECT and an unknown opcode.
 */
enum relay_translate_status relay_translate_message(struct relay_idmap *map,
						    enum relay_idmap_side side, uint32_t *words,
						    unsigned fds, struct relay_translate *t);

/**
 * The host's wl_display.delete_id(host_id): the id of a destroyed object (or
 * of one of vsomm's own) is free on the host side.  Nothing goes to the guest:
 * it got its delete_id when the object was destroyed.
 */
void relay_translate_delete_id(struct relay_idmap *map, uint32_t host_id);

const char *relay_translate_status_text(enum relay_translate_status status);

/* ---------------- in.c: a connection's input ---------------- */

/*
 * The input side of one Wayland connection for the byte relay: bytes and fds
 * read from a stream socket, handed out as whole messages in place, each at
 * a 4-byte-aligned address of the buffer (so that message.h reads its words
 * directly), and the fds in the order they came.
 *
 * On a stream socket the fds of a message arrive with its bytes or before
 * them, never after (util/fdpass.h): once a whole message is in the buffer,
 * every fd it carries is in the queue, in front of the fds of later messages.
 * The output side is util/fdpass.h's queue.
 */

/* Bytes of the input buffer: several messages per read, at least one whole. */
#define RELAY_IN_SIZE (16u * 1024u)
/* fds that may wait for their messages, as libwayland's fd ring (4 KiB of ints). */
#define RELAY_IN_MAX_FDS 1024u

struct relay_in {
	uint32_t words[RELAY_IN_SIZE / 4];
	uint32_t start, end; /* bytes [start, end) wait; start is a message's */
	int fds[RELAY_IN_MAX_FDS];
	uint32_t fd_start, fd_end; /* fds [fd_start, fd_end) wait */
};

void relay_in_init(struct relay_in *in);
/** Close the fds that wait; the buffer is empty again. */
void relay_in_finish(struct relay_in *in);

/**
 * One non-blocking read of `sock` into the buffer (after moving what waits to
 * its start).  Returns the bytes read, 0 at EOF, or -1 with errno set: the
 * socket's error (EAGAIN: nothing to read), ENOBUFS when the buffer is full
 * (a message waits for room that cannot come: the caller's bug), EMFILE when
 * more fds came than fit behind those waiting (the sender's fault: libwayland
 * ends such a connection too).  fds past the room are closed.
 */
ssize_t relay_in_read(struct relay_in *in, int sock);

/**
 * Append `size` bytes and `nfds` fds as if read (for tests and fuzzing, and for
 * bytes that arrive through another channel).  False when they do not fit:
 * nothing is appended, the fds stay the caller's.
 */
bool relay_in_push(struct relay_in *in, const void *bytes, size_t size, const int *fds,
		   size_t nfds);

/**
 * The next whole message: its words (header first, aligned, writable), NULL when
 * it is not all there yet.  *status is RELAY_BAD_SIZE for a header that cannot
 * be a message (the connection cannot go on), else RELAY_OK.
 */
uint32_t *relay_in_next(struct relay_in *in, enum relay_status *status);
/** The message relay_in_next returned is done with (`size`: its header's). */
void relay_in_consume(struct relay_in *in, uint16_t size);

/** The fds waiting, oldest first. */
static inline const int *relay_in_fds(const struct relay_in *in, unsigned *count)
{
	*count = in->fd_end - in->fd_start;
	return &in->fds[in->fd_start];
}

/** Bytes relay_in_push takes now (after moving what waits to the front). */
size_t relay_in_room(struct relay_in *in);

/** The `n` oldest fds are the caller's now (n at most those waiting). */
void relay_in_take_fds(struct relay_in *in, unsigned n);
/** Close the `n` oldest fds (those of a message that is not passed on). */
void relay_in_close_fds(struct relay_in *in, unsigned n);

/* ---------------- client.c: the relay of each guest client ---------------- */

struct wl_display;
struct relay_client;
struct relay_server;

/** How the relay reaches the host compositor: one connection per guest client. */
struct relay_host_ops {
	/**
	 * Open the host side for a new guest client; *conn is handed back to
	 * the others.  The backend delivers the host's bytes with
	 * relay_client_receive and its end with relay_client_host_gone.
	 * 0 or a negative errno.
	 */
	int (*connect)(void *data, struct relay_client *client, void **conn);
	/** Send bytes and fds (borrowed) to the host.  0 or a negative errno. */
	int (*send)(void *conn, const void *bytes, size_t size, const int *fds, size_t nfds);
	void (*disconnect)(void *data, void *conn);
};

struct relay_options {
	/** Prepended to every xdg_toplevel title and app_id; NULL or "" for none. */
	const char *title_prefix, *app_id_prefix;
};

/** Counters for tests and benchmarks. */
struct relay_stats {
	uint64_t requests, events, host_sends, client_errors;
};

/**
 * Relay every client that connects to `display` from now on: each accepted
 * connection's socket is taken from libwayland-server before it reads a byte.
 * NULL on ENOMEM.
 */
struct relay_server *relay_server_create(struct wl_display *display,
					 const struct relay_options *options,
					 const struct relay_host_ops *ops, void *data);
/** End every client; NULL is fine. */
void relay_server_destroy(struct relay_server *server);
const struct relay_stats *relay_server_stats(const struct relay_server *server);

/** The host's bytes and fds (taken) for this client, in order. */
void relay_client_receive(struct relay_client *client, const uint8_t *bytes, size_t size, int *fds,
			  size_t nfds);
/** The host connection ended (err: 0 at EOF, else a negative errno). */
void relay_client_host_gone(struct relay_client *client, int err);

#endif
