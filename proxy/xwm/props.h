/* SPDX-License-Identifier: MIT */
/*
 * Decoders of the X properties the window manager reads (ICCCM, EWMH).
 *
 * Every X client may write any bytes into the properties of its windows, so
 * nothing here trusts a property: the format, the type (when the caller names
 * one) and the length are checked before a byte is read, and strings come out
 * as bounded, valid UTF-8.  The decoders are pure (no XCB, no allocation but
 * their results) so that tests/unit/test-xwm-props.c and
 * tests/fuzz/fuzz-xwm-props.c can drive them directly.
 */
#ifndef PROXY_XWM_PROPS_H
#define PROXY_XWM_PROPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * The longest value the WM asks the server for, in bytes: a property longer
 * than this is read truncated (a title of 64 KiB is already absurd).
 */
#define XWM_PROP_MAX_BYTES (64u * 1024u)
/** The longest string a decoder returns, in bytes of UTF-8 (NUL excluded). */
#define XWM_PROP_MAX_TEXT 4096u
/** The most atoms an atom-list decoder looks at. */
#define XWM_PROP_MAX_ATOMS 1024u

/** A property as GetProperty returned it. */
struct xwm_prop {
	uint32_t type;     /* atom; 0 (None): the property does not exist */
	uint8_t format;    /* 8, 16 or 32; anything else is rejected */
	const void *value; /* may be unaligned */
	size_t length;     /* bytes of value */
};

enum xwm_text_encoding {
	XWM_TEXT_UTF8,   /* UTF8_STRING */
	XWM_TEXT_LATIN1, /* STRING (ICCCM: ISO Latin-1), and COMPOUND_TEXT's ASCII part */
};

/**
 * bytes[0..len) as a NUL-terminated string of valid UTF-8 of at most
 * max_out bytes: input stops at the first NUL, invalid or overlong
 * sequences and surrogates become U+FFFD, C0 controls and DEL become a
 * space.  Truncation never cuts a character.  NULL only on ENOMEM.
 */
char *xwm_text_to_utf8(const uint8_t *bytes, size_t len, enum xwm_text_encoding encoding,
		       size_t max_out);

/**
 * A text property (WM_NAME, _NET_WM_NAME, …) of format 8, as UTF-8 (see
 * xwm_text_to_utf8, at most XWM_PROP_MAX_TEXT bytes).  want_type 0 accepts
 * any type.  NULL when the property is missing, of another format or type,
 * or on ENOMEM.
 */
char *xwm_prop_text(const struct xwm_prop *prop, uint32_t want_type,
		    enum xwm_text_encoding encoding);

/**
 * WM_CLASS: two consecutive NUL-terminated Latin-1 strings, instance then
 * class (the final NUL may be missing).  Either out pointer may be NULL.
 * False (and nothing allocated) when the property is missing or malformed.
 */
bool xwm_prop_wm_class(const struct xwm_prop *prop, char **instance, char **class_name);

/** A single WINDOW (WM_TRANSIENT_FOR) or CARDINAL: format 32, at least one value. */
bool xwm_prop_card32(const struct xwm_prop *prop, uint32_t want_type, uint32_t *out);

/**
 * A list of CARD32 (ATOM lists: WM_PROTOCOLS, _NET_WM_STATE, TARGETS) of
 * format 32: *count values (at most max) copied to out.  False when the
 * property is missing or of another format or type.
 */
bool xwm_prop_card32_list(const struct xwm_prop *prop, uint32_t want_type, uint32_t *out,
			  size_t max, size_t *count);

/** WM_NORMAL_HINTS (WM_SIZE_HINTS), the parts a Wayland toplevel can express. */
struct xwm_size_hints {
	int32_t min_width, min_height; /* 0: no minimum */
	int32_t max_width, max_height; /* 0: no maximum */
};

/** The largest size a hint may give; larger values are taken as "no limit". */
#define XWM_SIZE_HINT_MAX 32767

/**
 * WM_NORMAL_HINTS: 15 (pre-ICCCM-1) or 18 CARD32 of format 32.  min comes
 * from PMinSize, else PBaseSize (ICCCM 4.1.2.3); max from PMaxSize.
 * Negative or absurd values are no limit; a max below the min is raised to
 * it.  False when missing or too short.
 */
bool xwm_prop_size_hints(const struct xwm_prop *prop, struct xwm_size_hints *out);

/** WM_HINTS, the parts the WM uses. */
struct xwm_wm_hints {
	bool input; /* the client wants SetInputFocus (default true) */
	bool urgent;
};

/** WM_HINTS: at least 2 CARD32 of format 32 (flags, input). */
bool xwm_prop_wm_hints(const struct xwm_prop *prop, struct xwm_wm_hints *out);

/**
 * _NET_WM_MOVERESIZE's direction (data.l[2]) as proxy/window.h's
 * proxy_window_edge value.  Returns 1 for a resize (*edges set), 0 for a
 * move, -1 for the keyboard variants, cancel and unknown values (nothing to
 * do).
 */
int xwm_moveresize_direction(uint32_t direction, uint32_t *edges);

/**
 * Whether name[0..len) looks like a MIME type ("type/subtype", optionally
 * followed by ";parameters"): printable ASCII without spaces before the
 * parameters, one '/' with a token on each side, at most 255 bytes.  Used to
 * turn X selection target names into host MIME types.
 */
bool xwm_looks_like_mime_type(const char *name, size_t len);

#endif
