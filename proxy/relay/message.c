/* SPDX-License-Identifier: MIT */
/*
 * Wayland messages read in place (message.h).  The checks are those
 * libwayland 1.21 makes when it demarshals a message, plus one it does not
 * make: no bytes may follow the last argument (a relay that forwards bytes
 * must not pass on what nobody parsed).
 */
#include "proxy/relay/relay.h"

enum relay_status relay_check_size(struct relay_header header)
{
	if (header.size < RELAY_HEADER_SIZE || header.size % 4u || header.size > RELAY_MAX_SIZE)
		return RELAY_BAD_SIZE;
	return RELAY_OK;
}

/* Words of a string or array of `length` bytes, without overflow. */
static inline uint32_t padded_words(uint32_t length)
{
	return (length >> 2) + ((length & 3u) != 0);
}

/* The arguments that must not be 0 are not. */
static enum relay_status check_nulls(const struct relay_message *msg)
{
	const struct vsomm_message_info *info = msg->info;

	for (uint32_t bits = (info->object_args | info->new_id_args) & ~info->nullable_args; bits;
	     bits &= bits - 1) {
		unsigned i = (unsigned)__builtin_ctz(bits);

		if (msg->words[msg->arg_word[i]] == 0)
			return RELAY_NULL;
	}
	return RELAY_OK;
}

/* A message with no string or array: one word per argument but fds. */
static enum relay_status parse_fixed(struct relay_message *msg)
{
	const struct vsomm_message_info *info = msg->info;
	uint16_t word = 2;

	if (msg->header.size != info->fixed_size)
		return msg->header.size < info->fixed_size ? RELAY_TRUNCATED : RELAY_TRAILING;
	for (unsigned i = 0; i < info->arg_count; i++) {
		if (info->fd_args & (1u << i))
			msg->arg_word[i] = 0;
		else
			msg->arg_word[i] = word++;
	}
	return check_nulls(msg);
}

enum relay_status relay_parse(struct relay_message *msg, uint32_t *words,
			      const struct vsomm_message_info *info)
{
	uint32_t end, word = 2;

	msg->words = words;
	msg->header = relay_header_read(words);
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
			return RELAY_TRUNCATED;
		msg->arg_word[i] = (uint16_t)word;
		if (!((info->string_args | info->array_args) & bit)) {
			word++;
			continue;
		}
		length = words[word++];
		if (padded_words(length) > end - word)
			return RELAY_TRUNCATED;
		if (info->string_args & bit) {
			if (length == 0) {
				if (!(info->nullable_args & bit))
					return RELAY_NULL;
				continue;
			}
			if (((const char *)&words[word])[length - 1] != '\0')
				return RELAY_UNTERMINATED;
		}
		word += padded_words(length);
	}
	if (word != end)
		return RELAY_TRAILING;
	return check_nulls(msg);
}

const char *relay_status_text(enum relay_status status)
{
	switch (status) {
	case RELAY_OK:
		return "ok";
	case RELAY_BAD_SIZE:
		return "bad message size";
	case RELAY_TRUNCATED:
		return "message too short for its arguments";
	case RELAY_TRAILING:
		return "bytes after the last argument";
	case RELAY_UNTERMINATED:
		return "string not terminated";
	case RELAY_NULL:
		return "null argument where none is allowed";
	}
	return "unknown status";
}
