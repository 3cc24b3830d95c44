/* SPDX-License-Identifier: MIT */
/*
 * What vsomm doctor and vsomm-host --check share: a Wayland round trip with a
 * deadline (libwayland-client's own wl_display_roundtrip waits forever on a
 * compositor that hangs), the compositor's globals read with it, and the
 * lines of a check's result.
 */
#ifndef LAUNCHER_ROUNDTRIP_H
#define LAUNCHER_ROUNDTRIP_H

#include <stddef.h>
#include <stdint.h>

struct wl_display;
struct wl_event_loop;

/**
 * wl_display.sync on `display`, dispatching its events until the done, at
 * most `timeout_ms`; `loop` (may be NULL) is served meanwhile, for the other
 * end of the connection when it lives in this process (vsomm doctor's
 * pump).  0 and *ms the time it took, -ETIMEDOUT, or -EPIPE when the
 * connection ended or failed.
 */
int launcher_roundtrip(struct wl_display *display, struct wl_event_loop *loop, int timeout_ms,
		       double *ms);

/** One global of the compositor's registry. */
struct launcher_global {
	uint32_t name, version;
	char *interface;
};

/** The globals a compositor announced, in its order. */
struct launcher_globals {
	struct launcher_global *items;
	size_t count, cap;
};

/**
 * The compositor's globals: a registry, and a launcher_roundtrip (`loop` and
 * `timeout_ms` as there) for its announcements.  0, or the round trip's
 * error; the registry is gone again either way.  Free with
 * launcher_globals_finish (also after an error).
 */
int launcher_get_globals(struct wl_display *display, struct wl_event_loop *loop, int timeout_ms,
			 struct launcher_globals *out);
void launcher_globals_finish(struct launcher_globals *globals);

/**
 * "RESULT  CHECK: TEXT" on stdout, RESULT one of ok, warn, FAIL and "-"
 * (skipped), padded so the checks line up; then, when `hint` is not NULL, the
 * hint indented below it.
 */
void launcher_check_line(const char *result, const char *check, const char *hint, const char *fmt,
			 ...) __attribute__((format(printf, 4, 5)));

/** "TITLE: NAME NAME ..." indented under a check's line, wrapped to 78 columns. */
void launcher_check_list(const char *title, const char *const *names, size_t n);

/** Monotonic milliseconds. */
double launcher_now_ms(void);

#endif
