/* SPDX-License-Identifier: MIT */
/*
 * The protocol trace (options.trace, shown at VSOMM_LOG_TRACE): one line per
 * relayed message, with the object on both sides and every fd, e.g.
 *
 *   [pid 123] guest -> host wl_surface@7 (host @12) .attach(wl_buffer@9, 0, 0)
 *   [pid 123] host -> guest wl_keyboard@5 (host @20) .keymap(1, fd 14, 48000)
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "util/log.h"
#include "proxy/proxy-private.h"

static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list args;
	int n;

	if (*len >= size)
		return;
	va_start(args, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, args);
	va_end(args);
	if (n > 0)
		*len += (size_t)n < size - *len ? (size_t)n : size - *len;
}

static void append_object(char *buf, size_t size, size_t *len, enum proxy_direction direction,
			  const struct wl_object *o)
{
	if (!o) {
		append(buf, size, len, "nil");
	} else if (direction == PROXY_REQUEST) {
		struct wl_resource *r = (struct wl_resource *)o;

		append(buf, size, len, "%s@%u", wl_resource_get_class(r), wl_resource_get_id(r));
	} else {
		struct wl_proxy *p = (struct wl_proxy *)o;

		append(buf, size, len, "%s@%u", wl_proxy_get_class(p), wl_proxy_get_id(p));
	}
}

void proxy_trace(const struct proxy_client *pc, enum proxy_direction direction,
		 const struct proxy_object *object, const struct wl_message *message,
		 const union wl_argument *args)
{
	char buf[1024];
	size_t len = 0;
	int i = 0;
	pid_t pid = 0;

	if (vsomm_log_level() < VSOMM_LOG_TRACE)
		return;
	wl_client_get_credentials(pc->client, &pid, NULL, NULL);
	append(buf, sizeof(buf), &len, "[pid %d] %s %s@%u (host @%u) .%s(", (int)pid,
	       direction == PROXY_REQUEST ? "guest -> host" : "host -> guest", object->info->name,
	       object->resource ? wl_resource_get_id(object->resource) : 0,
	       object->host ? wl_proxy_get_id(object->host) : 0, message->name);
	for (const char *p = message->signature; *p; p++) {
		if ((*p >= '0' && *p <= '9') || *p == '?')
			continue;
		if (i > 0)
			append(buf, sizeof(buf), &len, ", ");
		switch (*p) {
		case 'i':
			append(buf, sizeof(buf), &len, "%d", args[i].i);
			break;
		case 'u':
			append(buf, sizeof(buf), &len, "%u", args[i].u);
			break;
		case 'f':
			append(buf, sizeof(buf), &len, "%f", wl_fixed_to_double(args[i].f));
			break;
		case 's':
			if (args[i].s)
				append(buf, sizeof(buf), &len, "\"%.64s\"", args[i].s);
			else
				append(buf, sizeof(buf), &len, "nil");
			break;
		case 'o':
			append_object(buf, sizeof(buf), &len, direction, args[i].o);
			break;
		case 'n':
			if (direction == PROXY_REQUEST)
				append(buf, sizeof(buf), &len, "new id %u", args[i].n);
			else
				append_object(buf, sizeof(buf), &len, direction, args[i].o);
			break;
		case 'a':
			append(buf, sizeof(buf), &len, "array[%zu]",
			       args[i].a ? args[i].a->size : 0);
			break;
		case 'h':
			append(buf, sizeof(buf), &len, "fd %d", args[i].h);
			break;
		default:
			append(buf, sizeof(buf), &len, "?");
			break;
		}
		i++;
	}
	append(buf, sizeof(buf), &len, ")");
	vsomm_log(VSOMM_LOG_TRACE, "%s", buf);
}
