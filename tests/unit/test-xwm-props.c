/* SPDX-License-Identifier: MIT */
/*
 * The X property decoders of vsomm's window manager (proxy/xwm/props.c):
 * every valid layout, every malformed one rejected, strings always valid and
 * bounded UTF-8.
 *
 * Every decode runs on a heap copy of exactly the bytes under test at an odd
 * address, so that AddressSanitizer catches a read past the end and the
 * decoders are seen to cope with unaligned values.
 */
#include "proxy/xwm/props.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/check.h"

#define TYPE_STRING 31u /* XCB_ATOM_STRING */
#define TYPE_WINDOW 33u /* XCB_ATOM_WINDOW */
#define TYPE_ATOM 4u    /* XCB_ATOM_ATOM */
#define TYPE_UTF8 300u  /* some interned atom */

/* A property over a heap copy of bytes[0..len) at an odd address. */
struct heap_prop {
	struct xwm_prop prop;
	uint8_t *mem;
};

static struct heap_prop make(uint32_t type, uint8_t format, const void *bytes, size_t len)
{
	struct heap_prop h;
	h.mem = malloc(len + 1);
	CHECK(h.mem);
	if (len)
		memcpy(h.mem + 1, bytes, len);
	h.prop = (struct xwm_prop){
		.type = type,
		.format = format,
		.value = h.mem + 1,
		.length = len,
	};
	return h;
}

static void done(struct heap_prop *h)
{
	free(h->mem);
}

static char *text(uint32_t type, uint8_t format, const char *bytes, size_t len, uint32_t want,
		  enum xwm_text_encoding enc)
{
	struct heap_prop h = make(type, format, bytes, len);
	char *s = xwm_prop_text(&h.prop, want, enc);
	done(&h);
	return s;
}

static void check_text(const char *in, size_t len, enum xwm_text_encoding enc, const char *want)
{
	char *s = text(TYPE_UTF8, 8, in, len, 0, enc);
	CHECKF(s && strcmp(s, want) == 0, "got \"%s\", want \"%s\"", s ? s : "(null)", want);
	free(s);
}

/* Valid UTF-8 by RFC 3629, for outputs. */
static bool valid_utf8(const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : 4;
		if (*p >= 0x80 && (*p < 0xc2 || *p > 0xf4))
			return false;
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
		}
		p += n;
	}
	return true;
}

static void test_text(void)
{
	check_text("xterm", 5, XWM_TEXT_UTF8, "xterm");
	/* Latin-1 é (0xe9) → U+00E9 */
	check_text("caf\xe9", 4, XWM_TEXT_LATIN1, "caf\xc3\xa9");
	check_text("caf\xc3\xa9", 6, XWM_TEXT_UTF8, "caf\xc3\xa9");
	check_text("\xf0\x9f\x98\x80", 4, XWM_TEXT_UTF8, "\xf0\x9f\x98\x80");
	/* invalid: stray byte, overlong, surrogate, truncated, above U+10FFFF */
	check_text("a\xff"
		   "b",
		   3, XWM_TEXT_UTF8,
		   "a\xef\xbf\xbd"
		   "b");
	check_text("\xc0\x80", 2, XWM_TEXT_UTF8, "\xef\xbf\xbd\xef\xbf\xbd");
	check_text("\xed\xa0\x80", 3, XWM_TEXT_UTF8, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	check_text("x\xe2\x82", 3, XWM_TEXT_UTF8, "x\xef\xbf\xbd\xef\xbf\xbd");
	check_text("\xf4\x90\x80\x80", 4, XWM_TEXT_UTF8,
		   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	/* controls become spaces, NUL ends the string */
	check_text("a\nb\tc\x7f", 6, XWM_TEXT_UTF8, "a b c ");
	check_text("one\0two", 7, XWM_TEXT_UTF8, "one");
	check_text("", 0, XWM_TEXT_UTF8, "");

	/* wrong format, wrong type, missing property */
	CHECK(!text(TYPE_UTF8, 32, "abcd", 4, 0, XWM_TEXT_UTF8));
	CHECK(!text(TYPE_UTF8, 16, "abcd", 4, 0, XWM_TEXT_UTF8));
	CHECK(!text(TYPE_STRING, 8, "abcd", 4, TYPE_UTF8, XWM_TEXT_UTF8));
	CHECK(!text(0, 8, "abcd", 4, 0, XWM_TEXT_UTF8));
	struct xwm_prop null_value = {.type = TYPE_UTF8, .format = 8, .value = NULL, .length = 4};
	CHECK(!xwm_prop_text(&null_value, 0, XWM_TEXT_UTF8));
	CHECK(!xwm_prop_text(NULL, 0, XWM_TEXT_UTF8));

	/* bounded: 64 KiB of 0xe9 in Latin-1 is 128 KiB of UTF-8; the output
	 * stops at the limit without cutting a character */
	size_t big = 64 * 1024;
	char *in = malloc(big);
	CHECK(in);
	memset(in, 0xe9, big);
	char *s = text(TYPE_STRING, 8, in, big, 0, XWM_TEXT_LATIN1);
	CHECK(s && strlen(s) <= XWM_PROP_MAX_TEXT && strlen(s) >= XWM_PROP_MAX_TEXT - 1);
	CHECK(strlen(s) % 2 == 0 && valid_utf8(s));
	free(s);
	/* and garbage is always valid UTF-8 */
	for (size_t i = 0; i < big; i++)
		in[i] = (char)(i * 131 + (i >> 7));
	s = text(TYPE_UTF8, 8, in, big, 0, XWM_TEXT_UTF8);
	CHECK(s && strlen(s) <= XWM_PROP_MAX_TEXT && valid_utf8(s));
	free(s);
	free(in);

	/* the raw helper with a tiny limit: never cut a 3-byte character */
	s = xwm_text_to_utf8((const uint8_t *)"ab\xe2\x82\xac", 5, XWM_TEXT_UTF8, 4);
	CHECK(s && strcmp(s, "ab") == 0);
	free(s);
}

static void check_class(const char *bytes, size_t len, bool ok, const char *instance,
			const char *class_name)
{
	struct heap_prop h = make(TYPE_STRING, 8, bytes, len);
	char *a = (char *)1, *b = (char *)1;
	bool r = xwm_prop_wm_class(&h.prop, &a, &b);
	done(&h);
	CHECKF(r == ok, "WM_CLASS of %zu bytes: %d", len, r);
	if (!ok) {
		CHECK(!a && !b);
		return;
	}
	CHECKF(strcmp(a, instance) == 0 && strcmp(b, class_name) == 0, "got %s/%s", a, b);
	free(a);
	free(b);
}

static void test_wm_class(void)
{
	check_class("xterm\0XTerm\0", 12, true, "xterm", "XTerm");
	check_class("xterm\0XTerm", 11, true, "xterm", "XTerm"); /* final NUL missing */
	check_class("\0X\0", 3, true, "", "X");
	check_class("a\0\xe9t\xe9\0", 6, true, "a", "\xc3\xa9t\xc3\xa9");
	check_class("xterm", 5, false, NULL, NULL); /* no class part */
	check_class("", 0, false, NULL, NULL);
	/* only the class wanted */
	struct heap_prop h = make(TYPE_STRING, 8, "i\0C\0", 4);
	char *c = NULL;
	CHECK(xwm_prop_wm_class(&h.prop, NULL, &c) && strcmp(c, "C") == 0);
	free(c);
	done(&h);
	h = make(TYPE_STRING, 32, "i\0C\0", 4);
	CHECK(!xwm_prop_wm_class(&h.prop, NULL, &c) && !c);
	done(&h);
}

static void test_card32(void)
{
	uint32_t v[3] = {0x1234567, 2, 3}, out = 0;
	struct heap_prop h = make(TYPE_WINDOW, 32, v, 4);
	CHECK(xwm_prop_card32(&h.prop, TYPE_WINDOW, &out) && out == 0x1234567);
	CHECK(!xwm_prop_card32(&h.prop, TYPE_ATOM, &out));
	done(&h);
	h = make(TYPE_WINDOW, 32, v, 3);
	CHECK(!xwm_prop_card32(&h.prop, TYPE_WINDOW, &out));
	done(&h);
	h = make(TYPE_WINDOW, 8, v, 4);
	CHECK(!xwm_prop_card32(&h.prop, 0, &out));
	done(&h);

	uint32_t list[2];
	size_t n = 99;
	h = make(TYPE_ATOM, 32, v, 12);
	CHECK(xwm_prop_card32_list(&h.prop, TYPE_ATOM, list, 2, &n) && n == 2);
	CHECK(list[0] == v[0] && list[1] == v[1]);
	done(&h);
	h = make(TYPE_ATOM, 32, v, 11); /* a partial value is not read */
	CHECK(xwm_prop_card32_list(&h.prop, TYPE_ATOM, list, 8, &n) && n == 2);
	done(&h);
	h = make(TYPE_ATOM, 32, v, 0);
	CHECK(xwm_prop_card32_list(&h.prop, TYPE_ATOM, list, 8, &n) && n == 0);
	done(&h);
	h = make(TYPE_ATOM, 16, v, 12);
	CHECK(!xwm_prop_card32_list(&h.prop, TYPE_ATOM, list, 8, &n) && n == 0);
	done(&h);
}

static struct xwm_size_hints hints(const uint32_t *words, size_t count, bool *ok)
{
	struct xwm_size_hints out;
	struct heap_prop h = make(TYPE_UTF8, 32, words, count * 4);
	*ok = xwm_prop_size_hints(&h.prop, &out);
	done(&h);
	return out;
}

static void test_size_hints(void)
{
	enum {
		MIN = 1 << 4,
		MAX = 1 << 5,
		BASE = 1 << 8
	};
	uint32_t w[18] = {0};
	bool ok;
	struct xwm_size_hints s;

	w[0] = MIN | MAX;
	w[5] = 100, w[6] = 50, w[7] = 800, w[8] = 600;
	s = hints(w, 18, &ok);
	CHECK(ok && s.min_width == 100 && s.min_height == 50 && s.max_width == 800 &&
	      s.max_height == 600);
	s = hints(w, 15, &ok); /* X11R3 layout */
	CHECK(ok && s.min_width == 100 && s.max_height == 600);
	s = hints(w, 14, &ok);
	CHECK(!ok && s.min_width == 0 && s.max_width == 0);

	/* base size stands in for a missing minimum (18 words only) */
	memset(w, 0, sizeof(w));
	w[0] = BASE;
	w[15] = 20, w[16] = 30;
	s = hints(w, 18, &ok);
	CHECK(ok && s.min_width == 20 && s.min_height == 30 && s.max_width == 0);
	s = hints(w, 15, &ok);
	CHECK(ok && s.min_width == 0);

	/* negative and absurd sizes are no limit; max below min is raised */
	memset(w, 0, sizeof(w));
	w[0] = MIN | MAX;
	w[5] = (uint32_t)-5, w[6] = 100000, w[7] = 10, w[8] = 0x80000000u;
	s = hints(w, 18, &ok);
	CHECK(ok && s.min_width == 0 && s.min_height == 0 && s.max_width == 10 &&
	      s.max_height == 0);
	w[5] = 300, w[6] = 300, w[7] = 200, w[8] = 400;
	s = hints(w, 18, &ok);
	CHECK(ok && s.max_width == 300 && s.max_height == 400);
	/* flags unset: nothing */
	w[0] = 0;
	s = hints(w, 18, &ok);
	CHECK(ok && s.min_width == 0 && s.max_width == 0);
}

static void test_wm_hints(void)
{
	uint32_t w[9] = {1, 0};
	struct xwm_wm_hints out;
	struct heap_prop h = make(TYPE_UTF8, 32, w, 36);
	CHECK(xwm_prop_wm_hints(&h.prop, &out) && !out.input && !out.urgent);
	done(&h);
	w[0] = 1u << 8; /* urgency, no InputHint: input defaults to true */
	h = make(TYPE_UTF8, 32, w, 8);
	CHECK(xwm_prop_wm_hints(&h.prop, &out) && out.input && out.urgent);
	done(&h);
	h = make(TYPE_UTF8, 32, w, 7);
	CHECK(!xwm_prop_wm_hints(&h.prop, &out) && out.input && !out.urgent);
	done(&h);
}

static void test_moveresize(void)
{
	static const uint32_t want[8] = {5, 1, 9, 8, 10, 2, 6, 4};
	uint32_t edges;
	for (uint32_t d = 0; d < 8; d++)
		CHECK(xwm_moveresize_direction(d, &edges) == 1 && edges == want[d]);
	CHECK(xwm_moveresize_direction(8, &edges) == 0 && edges == 0);
	CHECK(xwm_moveresize_direction(9, &edges) == -1);
	CHECK(xwm_moveresize_direction(11, &edges) == -1);
	CHECK(xwm_moveresize_direction(0xffffffffu, &edges) == -1);
}

static void test_mime(void)
{
	static const char *const good[] = {"text/plain",    "text/plain;charset=utf-8",
					   "image/png",     "application/x-foo+xml",
					   "text/uri-list", "text/plain; charset=UTF-8"};
	static const char *const bad[] = {"TARGETS",         "UTF8_STRING",     "text/", "/plain",
					  "text plain/x",    "a/b c",           "a//b",  "a/b/c",
					  "text/pl\xc3\xa9", "text/plain;\x01", ""};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECKF(xwm_looks_like_mime_type(good[i], strlen(good[i])), "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECKF(!xwm_looks_like_mime_type(bad[i], strlen(bad[i])), "%s", bad[i]);
	char long_name[300];
	memset(long_name, 'a', sizeof(long_name));
	long_name[10] = '/';
	CHECK(xwm_looks_like_mime_type(long_name, 255));
	CHECK(!xwm_looks_like_mime_type(long_name, 256));
	CHECK(!xwm_looks_like_mime_type(NULL, 4));
	/* the length is what counts, not a NUL */
	CHECK(xwm_looks_like_mime_type("text/plainXXX", 10));
}

int main(void)
{
	test_text();
	test_wm_class();
	test_card32();
	test_size_hints();
	test_wm_hints();
	test_moveresize();
	test_mime();
	return 0;
}
