/* SPDX-License-Identifier: MIT */
/*
 * Text a guest sends the host (util/text.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"

/* U+FFFD, what an invalid sequence becomes. */
static const char replacement[] = "\xef\xbf\xbd";

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t min, c;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, min = 0x80, c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, min = 0x800, c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, min = 0x10000, c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and beyond U+10FFFF are not UTF-8 */
	if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return len;
}

/* Append src (n bytes) to out (at *len, room for VSOMM_TEXT_MAX) as valid UTF-8. */
static void append_utf8(char *out, size_t *len, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0;

	while (i < n) {
		size_t seq = utf8_sequence(s + i, n - i);
		const char *piece = seq ? src + i : replacement;
		size_t piece_len = seq ? seq : sizeof(replacement) - 1;

		if (*len + piece_len > VSOMM_TEXT_MAX)
			break; /* cut at a character boundary */
		memcpy(out + *len, piece, piece_len);
		*len += piece_len;
		i += seq ? seq : 1;
	}
}

char *vsomm_prefixed_text(const char *prefix, const char *value)
{
	char *out = malloc(VSOMM_TEXT_MAX + 1);
	size_t len = 0;

	if (!out)
		return NULL;
	if (prefix)
		append_utf8(out, &len, prefix, strnlen(prefix, VSOMM_TEXT_MAX / 2));
	if (value)
		append_utf8(out, &len, value, strlen(value));
	out[len] = '\0';
	return out;
}
