/* SPDX-License-Identifier: MIT */
/*
 * X property decoders (props.h): every length checked before a read, every
 * string bounded and valid UTF-8.  Values may be unaligned (a reply's value
 * follows its header, and the fuzzer feeds any offset), hence memcpy.
 */
#include "proxy/xwm/props.h"

#include <stdlib.h>
#include <string.h>

/* ICCCM 4.1.2.3: WM_SIZE_HINTS.flags */
#define P_MIN_SIZE (1u << 4)
#define P_MAX_SIZE (1u << 5)
#define P_BASE_SIZE (1u << 8)
/* ICCCM 4.1.2.4: WM_HINTS.flags */
#define INPUT_HINT (1u << 0)
#define URGENCY_HINT (1u << 8)

static uint32_t card32_at(const void *value, size_t index)
{
	uint32_t v;
	memcpy(&v, (const uint8_t *)value + index * 4, sizeof(v));
	return v;
}

static bool prop_ok(const struct xwm_prop *prop, uint32_t want_type, uint8_t format)
{
	if (!prop || prop->type == 0 || prop->format != format)
		return false;
	if (want_type && prop->type != want_type)
		return false;
	return prop->value || prop->length == 0;
}

/* Length of the valid UTF-8 sequence at s[0..len), 0 when invalid (RFC 3629). */
static size_t utf8_sequence(const uint8_t *s, size_t len)
{
	uint8_t c = s[0];
	size_t n;
	uint8_t lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return n;
}

char *xwm_text_to_utf8(const uint8_t *bytes, size_t len, enum xwm_text_encoding encoding,
		       size_t max_out)
{
	static const uint8_t replacement[] = {0xef, 0xbf, 0xbd};
	/* Worst case: every input byte becomes 3 output bytes. */
	size_t cap = len <= max_out / 3 ? len * 3 : max_out;
	char *out = malloc(cap + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		uint8_t c = bytes[i];
		uint8_t buf[4];
		size_t in, n;

		if (c == 0)
			break;
		if (c < 0x20 || c == 0x7f) {
			buf[0] = ' ';
			n = 1;
			in = 1;
		} else if (encoding == XWM_TEXT_LATIN1) {
			if (c < 0x80) {
				buf[0] = c;
				n = 1;
			} else {
				buf[0] = (uint8_t)(0xc0 | c >> 6);
				buf[1] = (uint8_t)(0x80 | (c & 0x3f));
				n = 2;
			}
			in = 1;
		} else {
			in = utf8_sequence(bytes + i, len - i);
			if (in == 0) {
				memcpy(buf, replacement, sizeof(replacement));
				n = sizeof(replacement);
				in = 1;
			} else {
				memcpy(buf, bytes + i, in);
				n = in;
			}
		}
		if (o + n > cap)
			break; /* never cut a character */
		memcpy(out + o, buf, n);
		o += n;
		i += in;
	}
	out[o] = '\0';
	return out;
}

char *xwm_prop_text(const struct xwm_prop *prop, uint32_t want_type,
		    enum xwm_text_encoding encoding)
{
	if (!prop_ok(prop, want_type, 8))
		return NULL;
	return xwm_text_to_utf8(prop->value, prop->length, encoding, XWM_PROP_MAX_TEXT);
}

bool xwm_prop_wm_class(const struct xwm_prop *prop, char **instance, char **class_name)
{
	const uint8_t *v;
	const uint8_t *nul;
	char *a = NULL, *b = NULL;

	if (instance)
		*instance = NULL;
	if (class_name)
		*class_name = NULL;
	/* ICCCM 4.1.2.5: type STRING, but some clients write UTF8_STRING: any type. */
	if (!prop_ok(prop, 0, 8) || prop->length == 0)
		return false;
	v = prop->value;
	nul = memchr(v, '\0', prop->length);
	if (!nul)
		return false; /* one string only: no class part */
	size_t first = (size_t)(nul - v);
	size_t rest = prop->length - first - 1;
	a = xwm_text_to_utf8(v, first, XWM_TEXT_LATIN1, XWM_PROP_MAX_TEXT);
	b = xwm_text_to_utf8(nul + 1, rest, XWM_TEXT_LATIN1, XWM_PROP_MAX_TEXT);
	if (!a || !b) {
		free(a);
		free(b);
		return false;
	}
	if (instance)
		*instance = a;
	else
		free(a);
	if (class_name)
		*class_name = b;
	else
		free(b);
	return true;
}

bool xwm_prop_card32(const struct xwm_prop *prop, uint32_t want_type, uint32_t *out)
{
	if (!prop_ok(prop, want_type, 32) || prop->length < 4)
		return false;
	*out = card32_at(prop->value, 0);
	return true;
}

bool xwm_prop_card32_list(const struct xwm_prop *prop, uint32_t want_type, uint32_t *out,
			  size_t max, size_t *count)
{
	*count = 0;
	if (!prop_ok(prop, want_type, 32))
		return false;
	size_t n = prop->length / 4;
	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++)
		out[i] = card32_at(prop->value, i);
	*count = n;
	return true;
}

static int32_t size_limit(uint32_t raw)
{
	int32_t v = (int32_t)raw;
	return v > 0 && v <= XWM_SIZE_HINT_MAX ? v : 0;
}

bool xwm_prop_size_hints(const struct xwm_prop *prop, struct xwm_size_hints *out)
{
	memset(out, 0, sizeof(*out));
	/* ICCCM 4.1.2.3: 18 fields; 15 in the X11R3 layout (no base size, gravity). */
	if (!prop_ok(prop, 0, 32) || prop->length < 15 * 4)
		return false;
	const void *v = prop->value;
	uint32_t flags = card32_at(v, 0);
	bool has_base = prop->length >= 18 * 4;

	if (flags & P_MIN_SIZE) {
		out->min_width = size_limit(card32_at(v, 5));
		out->min_height = size_limit(card32_at(v, 6));
	} else if (has_base && (flags & P_BASE_SIZE)) {
		out->min_width = size_limit(card32_at(v, 15));
		out->min_height = size_limit(card32_at(v, 16));
	}
	if (flags & P_MAX_SIZE) {
		out->max_width = size_limit(card32_at(v, 7));
		out->max_height = size_limit(card32_at(v, 8));
		if (out->max_width && out->max_width < out->min_width)
			out->max_width = out->min_width;
		if (out->max_height && out->max_height < out->min_height)
			out->max_height = out->min_height;
	}
	return true;
}

bool xwm_prop_wm_hints(const struct xwm_prop *prop, struct xwm_wm_hints *out)
{
	out->input = true;
	out->urgent = false;
	if (!prop_ok(prop, 0, 32) || prop->length < 2 * 4)
		return false;
	uint32_t flags = card32_at(prop->value, 0);
	if (flags & INPUT_HINT)
		out->input = card32_at(prop->value, 1) != 0;
	out->urgent = (flags & URGENCY_HINT) != 0;
	return true;
}

int xwm_moveresize_direction(uint32_t direction, uint32_t *edges)
{
	/* EWMH _NET_WM_MOVERESIZE directions 0..7 (clockwise from top-left),
	 * as xdg_toplevel resize edges (top 1, bottom 2, left 4, right 8). */
	static const uint32_t map[8] = {5, 1, 9, 8, 10, 2, 6, 4};

	if (direction < 8) {
		*edges = map[direction];
		return 1;
	}
	*edges = 0;
	if (direction == 8) /* _NET_WM_MOVERESIZE_MOVE */
		return 0;
	return -1; /* SIZE_KEYBOARD, MOVE_KEYBOARD, CANCEL, unknown */
}

/* RFC 2045 token characters. */
static bool mime_token_char(char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return !strchr("()<>@,;:\\\"/[]?=", c);
}

bool xwm_looks_like_mime_type(const char *name, size_t len)
{
	size_t i = 0, type_len = 0, sub_len = 0;

	if (!name || len == 0 || len > 255)
		return false;
	while (i < len && mime_token_char(name[i])) {
		i++;
		type_len++;
	}
	if (type_len == 0 || i >= len || name[i] != '/')
		return false;
	i++;
	while (i < len && mime_token_char(name[i])) {
		i++;
		sub_len++;
	}
	if (sub_len == 0)
		return false;
	if (i == len)
		return true;
	if (name[i] != ';')
		return false;
	/* Parameters: printable ASCII (spaces allowed). */
	for (; i < len; i++) {
		if (name[i] < 0x20 || name[i] >= 0x7f)
			return false;
	}
	return true;
}
