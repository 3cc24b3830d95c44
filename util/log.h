/* SPDX-License-Identifier: MIT */
/*
 * The one logger of vsomm and vsomm-host (wlroots/waypipe style): a level, a
 * printf format, and [file:line].  It lives in util/, below every layer, and
 * depends on nothing but libc.
 */
#ifndef VSOMM_LOG_H
#define VSOMM_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum vsomm_log_level {
	VSOMM_LOG_SILENT = 0,
	VSOMM_LOG_ERROR = 1,
	VSOMM_LOG_INFO = 2,
	VSOMM_LOG_DEBUG = 3,
	VSOMM_LOG_TRACE = 4, /* protocol traces */
};

void vsomm_log_init(enum vsomm_log_level level, const char *prefix);
enum vsomm_log_level vsomm_log_level(void);
/** "error", "info", "debug", "trace" or "silent"; false if unknown. */
bool vsomm_log_parse_level(const char *name, enum vsomm_log_level *out);
/**
 * A libwayland log handler: give it to wl_log_set_handler_server() and/or
 * wl_log_set_handler_client(), whichever libraries the program links, and
 * libwayland's own messages go through vsomm_log at the error level.
 */
void vsomm_log_wayland(const char *fmt, va_list args) __attribute__((format(printf, 1, 0)));

void vsomm_vlog(enum vsomm_log_level level, const char *file, int line, const char *fmt,
		va_list args) __attribute__((format(printf, 4, 0)));
void vsomm_log_(enum vsomm_log_level level, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define vsomm_log(level, fmt, ...)                                                   \
	do {                                                                         \
		if ((level) <= vsomm_log_level())                                    \
			vsomm_log_((level), __FILE__, __LINE__, fmt, ##__VA_ARGS__); \
	} while (0)
/** Like vsomm_log, with ": strerror(errno)" appended. */
#define vsomm_log_errno(level, fmt, ...) \
	vsomm_log(level, fmt ": %s", ##__VA_ARGS__, strerror(errno))

#endif
