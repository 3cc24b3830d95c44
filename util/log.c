/* SPDX-License-Identifier: MIT */
#include "util/log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static enum vsomm_log_level current_level = VSOMM_LOG_ERROR;
static const char *log_prefix = "vsomm";

static const char *const level_names[] = {
	[VSOMM_LOG_SILENT] = "silent", [VSOMM_LOG_ERROR] = "error", [VSOMM_LOG_INFO] = "info",
	[VSOMM_LOG_DEBUG] = "debug",   [VSOMM_LOG_TRACE] = "trace",
};

void vsomm_log_init(enum vsomm_log_level level, const char *prefix)
{
	current_level = level;
	if (prefix)
		log_prefix = prefix;
}

enum vsomm_log_level vsomm_log_level(void)
{
	return current_level;
}

bool vsomm_log_parse_level(const char *name, enum vsomm_log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum vsomm_log_level)i;
			return true;
		}
	}
	return false;
}

void vsomm_vlog(enum vsomm_log_level level, const char *file, int line, const char *fmt,
		va_list args)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	const char *base = strrchr(file, '/');
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, args);
	size_t n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	fprintf(stderr, "%s: %lld.%06ld %s [%s:%d] %s\n", log_prefix, (long long)ts.tv_sec,
		ts.tv_nsec / 1000, level_names[level], base ? base + 1 : file, line, msg);
}

void vsomm_log_(enum vsomm_log_level level, const char *file, int line, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	vsomm_vlog(level, file, line, fmt, args);
	va_end(args);
}

void vsomm_log_wayland(const char *fmt, va_list args)
{
	if (current_level >= VSOMM_LOG_ERROR)
		vsomm_vlog(VSOMM_LOG_ERROR, "libwayland", 0, fmt, args);
}
