/* SPDX-License-Identifier: MIT */
/*
 * Wayland messages read in place (message.h).  The checks are those
 * libwayland 1.21 makes when it demarshals a message, plus one it does not
 * make: no bytes may follow the last argument (a relay that forwards bytes
 * must not pass on what nobody parsed).
 */
#include "proxy/message.h"

enum message_status message_check_size(struct message_header header)
{
	if (header.size < MESSAGE_HEADER_SIZE || header.size % 4u || header.size > MESSAGE_MAX_SIZE)
		return MESSAGE_BAD_SIZE;
	return MESSAGE_OK;
}

/* Words of a string or array of `length` bytes, without overflow. */
static inline uint32_t padded_words(uint32_t length)
{
	return (length >> 2) + ((length & 3u) != 0);
}

/* The arguments that must not be 0 are not. */
static enum message_status check_nulls(const struct message *msg)
{
	const struct vsomm_message_info *info = msg->info;

	for (uint32_t bits = (info->object_args | info->new_id_args) & ~info->nullable_args; bits;
	     bits &= bits - 1) {
		unsigned i = (unsigned)__builtin_ctz(bits);

		if (msg->words[msg->arg_word[i]] == 0)
			return MESSAGE_NULL;
	}
	return MESSAGE_OK;
}

/* A message with no string or array: one word per argument but fds. */
static enum message_status parse_fixed(struct message *msg)
{
	const struct vsomm_message_info *info = msg->info;
	uint16_t word = 2;

	if (msg->header.size != info->fixed_size)
		return msg->header.size < info->fixed_size ? MESSAGE_TRUNCATED : MESSAGE_TRAILING;
	for (unsigned i = 0; i < info->arg_count; i++) {
		if (info->fd_args & (1u << i))
			msg->arg_word[i] = 0;
		else
			msg->arg_word[i] = word++;
	}
	return check_nulls(msg);
}

enum message_status message_parse(struct message *msg, uint32_t *words,
				  const struct vsomm_message_info *info)
{
	uint32_t end, word = 2;

	msg->words = words;
	msg->header = message_header_read(words);
	msg->info = info;
	if (info->fixed_size)
		return parse_fixed(msg);

	end = msg->header.size / 4u;
	for (unsigned i = 0; i < info->arg_count; i++) {
		uint32_t bit = 1u << i;
		uint32_t length;

		if (info->fd_args & bit) {
			msg->arg_word[i] = 0;
			continue;
		}
		if (word >= end)
			return MESSAGE_TRUNCATED;
		msg->arg_word[i] = (uint16_t)word;
		if (!((info->string_args | info->array_args) & bit)) {
			word++;
			continue;
		}
		length = words[word++];
		if (padded_words(length) > end - word)
			return MESSAGE_TRUNCATED;
		if (info->string_args & bit) {
			if (length == 0) {
				if (!(info->nullable_args & bit))
					return MESSAGE_NULL;
				continue;
			}
			if (((const char *)&words[word])[length - 1] != '\0')
				return MESSAGE_UNTERMINATED;
		}
		word += padded_words(length);
	}
	if (word != end)
		return MESSAGE_TRAILING;
	return check_nulls(msg);
}

const char *message_status_text(enum message_status status)
{
	switch (status) {
	case MESSAGE_OK:
		return "ok";
	case MESSAGE_BAD_SIZE:
		return "bad message size";
	case MESSAGE_TRUNCATED:
		return "message too short for its arguments";
	case MESSAGE_TRAILING:
		return "bytes after the last argument";
	case MESSAGE_UNTERMINATED:
		return "string not terminated";
	case MESSAGE_NULL:
		return "null argument where none is allowed";
	}
	return "unknown status";
}
