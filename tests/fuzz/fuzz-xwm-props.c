/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the X property decoders of vsomm's window manager
 * (proxy/xwm/props.c), which read what any X client may write.
 *
 * Input: byte 0 picks the format (8, 16, 32, or the raw byte), byte 1 the
 * type (None, the expected type, or another), bytes 2..5 a _NET_WM_MOVERESIZE
 * direction; the rest is the property value, copied to a heap block of
 * exactly its size so that ASan sees any read past it.  Every decoder runs
 * on it and its results are checked: strings are valid UTF-8 without
 * controls and within XWM_PROP_MAX_TEXT, lists within their bound and the
 * value's length, size hints within 0..XWM_SIZE_HINT_MAX with max >= min.
 */
#include "proxy/xwm/props.h"

#include "tests/fuzz/fuzz.h"

#define TYPE_EXPECTED 31u
#define TYPE_OTHER 4242u

/* Valid UTF-8 (RFC 3629) without C0 controls or DEL, at most max bytes. */
static bool clean_utf8(const char *s, size_t max)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t len = strlen(s);

	if (len > max)
		return false;
	while (*p) {
		uint8_t c = *p;
		size_t n;
		uint32_t cp;
		if (c < 0x20 || c == 0x7f)
			return false;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n;
	}
	return true;
}

static void check_text(char *s)
{
	if (!s)
		return;
	FUZZ_CHECK(clean_utf8(s, XWM_PROP_MAX_TEXT));
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = {data, size, 0};
	static const uint8_t formats[4] = {8, 16, 32, 0};
	uint8_t f = fuzz_u8(&in);
	uint8_t t = fuzz_u8(&in);
	uint32_t direction = fuzz_u16(&in);
	direction |= (uint32_t)fuzz_u16(&in) << 16;
	size_t len;
	const uint8_t *value = fuzz_bytes(&in, size, &len);

	uint8_t *copy = malloc(len ? len : 1);
	FUZZ_CHECK(copy);
	if (len)
		memcpy(copy, value, len);
	struct xwm_prop prop = {
		.type = (t % 3) == 0   ? 0
			: (t % 3) == 1 ? TYPE_EXPECTED
				       : TYPE_OTHER,
		.format = formats[f & 3] ? formats[f & 3] : f,
		.value = copy,
		.length = len,
	};

	check_text(xwm_prop_text(&prop, 0, XWM_TEXT_UTF8));
	check_text(xwm_prop_text(&prop, TYPE_EXPECTED, XWM_TEXT_LATIN1));
	check_text(xwm_text_to_utf8(copy, len, (f & 4) ? XWM_TEXT_LATIN1 : XWM_TEXT_UTF8,
				    (size_t)t * 3));

	char *instance = NULL, *class_name = NULL;
	if (xwm_prop_wm_class(&prop, &instance, &class_name)) {
		FUZZ_CHECK(instance && class_name);
		check_text(instance);
		check_text(class_name);
	} else {
		FUZZ_CHECK(!instance && !class_name);
	}

	uint32_t one;
	if (xwm_prop_card32(&prop, TYPE_EXPECTED, &one))
		FUZZ_CHECK(prop.format == 32 && len >= 4 && prop.type == TYPE_EXPECTED);

	uint32_t list[16];
	size_t count = 99;
	bool ok = xwm_prop_card32_list(&prop, 0, list, 16, &count);
	FUZZ_CHECK(count <= 16 && count <= len / 4 && (ok || count == 0));

	struct xwm_size_hints hints;
	if (xwm_prop_size_hints(&prop, &hints)) {
		FUZZ_CHECK(len >= 60);
		FUZZ_CHECK(hints.min_width >= 0 && hints.min_width <= XWM_SIZE_HINT_MAX);
		FUZZ_CHECK(hints.min_height >= 0 && hints.min_height <= XWM_SIZE_HINT_MAX);
		FUZZ_CHECK(hints.max_width >= 0 && hints.max_width <= XWM_SIZE_HINT_MAX);
		FUZZ_CHECK(hints.max_height >= 0 && hints.max_height <= XWM_SIZE_HINT_MAX);
		FUZZ_CHECK(!hints.max_width || hints.max_width >= hints.min_width);
		FUZZ_CHECK(!hints.max_height || hints.max_height >= hints.min_height);
	}

	struct xwm_wm_hints wm_hints;
	xwm_prop_wm_hints(&prop, &wm_hints);

	uint32_t edges = 77;
	int kind = xwm_moveresize_direction(direction, &edges);
	FUZZ_CHECK(kind >= -1 && kind <= 1);
	FUZZ_CHECK(kind == 1 ? edges >= 1 && edges <= 10 : edges == 0);

	if (xwm_looks_like_mime_type((const char *)copy, len)) {
		FUZZ_CHECK(len > 0 && len <= 255 && memchr(copy, '/', len));
		for (size_t i = 0; i < len; i++)
			FUZZ_CHECK(copy[i] >= 0x20 && copy[i] < 0x7f);
	}

	free(copy);
	return 0;
}
