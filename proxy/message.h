/* SPDX-License-Identifier: MIT */
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
#ifndef PROXY_MESSAGE_H
#define PROXY_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocols/forward-tables.h"

#define MESSAGE_HEADER_SIZE 8u
/* The largest message libwayland 1.21 sends or takes: its connection buffer. */
#define MESSAGE_MAX_SIZE 4096u
/* WL_CLOSURE_MAX_ARGS of libwayland; gen-forward.py checks every message. */
#define MESSAGE_MAX_ARGS 20u

/* Where a connection's object ids start that the server (compositor) allocates. */
#define MESSAGE_SERVER_ID_START 0xff000000u

enum message_status {
	MESSAGE_OK = 0,
	/** The header's size is below 8, not a multiple of 4 or above the maximum. */
	MESSAGE_BAD_SIZE,
	/** An argument runs past the message's size. */
	MESSAGE_TRUNCATED,
	/** Bytes are left after the last argument. */
	MESSAGE_TRAILING,
	/** A string whose last byte is not its NUL. */
	MESSAGE_UNTERMINATED,
	/** 0 for an object, new_id or string argument that does not allow null. */
	MESSAGE_NULL,
};

/** The header of a message. */
struct message_header {
	uint32_t id;
	uint16_t opcode;
	uint16_t size;
};

/** The message of a connection after message_parse. */
struct message {
	/** The whole message, header first: aligned, writable (ids are translated in place). */
	uint32_t *words;
	struct message_header header;
	const struct vsomm_message_info *info;
	/** Word of argument i in words (an fd has none: 0). */
	uint16_t arg_word[MESSAGE_MAX_ARGS];
};

/** The header at p (8 readable bytes, 4-aligned). */
static inline struct message_header message_header_read(const uint32_t *p)
{
	struct message_header header = {
		.id = p[0],
		.opcode = (uint16_t)(p[1] & 0xffffu),
		.size = (uint16_t)(p[1] >> 16),
	};

	return header;
}

/**
 * Whether the header's size can be a message at all: then `size` bytes are
 * the message (MESSAGE_OK), else MESSAGE_BAD_SIZE (the connection cannot go on:
 * the next message's start is unknown).
 */
enum message_status message_check_size(struct message_header header);

/**
 * Lay out the arguments of the message at `words` (header.size bytes, the size
 * checked by message_check_size) as `info` describes them, checking each as
 * libwayland does.  On MESSAGE_OK, msg describes the message.
 */
enum message_status message_parse(struct message *msg, uint32_t *words,
				  const struct vsomm_message_info *info);

/** The number of fds the message carries. */
static inline unsigned message_fd_count(const struct vsomm_message_info *info)
{
	return info->fd_count;
}

/** Argument i as a word (int, uint, fixed, object, new_id, or a length). */
static inline uint32_t message_word(const struct message *msg, unsigned i)
{
	return msg->words[msg->arg_word[i]];
}

/** A pointer to argument i's word, to translate an id in place. */
static inline uint32_t *message_word_ptr(struct message *msg, unsigned i)
{
	return &msg->words[msg->arg_word[i]];
}

/** String argument i, NULL for a null string. */
static inline const char *message_string(const struct message *msg, unsigned i)
{
	if (msg->words[msg->arg_word[i]] == 0)
		return NULL;
	return (const char *)&msg->words[msg->arg_word[i] + 1];
}

/** Array argument i: its bytes, and their number in *size. */
static inline const void *message_array(const struct message *msg, unsigned i, uint32_t *size)
{
	*size = msg->words[msg->arg_word[i]];
	return &msg->words[msg->arg_word[i] + 1];
}

/** A short English text for a status, for protocol errors and logs. */
const char *message_status_text(enum message_status status);

#endif
