/* SPDX-License-Identifier: MIT */
/*
 * The rule of the every-global test, shared by its scripted host
 * (every-global-host.c) and its guest client (every-global-client.c): for an
 * interface of protocols/forward-tables.h at a version, which event the host
 * sends and which requests the client sends, with arguments made up from the
 * message's signature.  Both ends read the same tables, so a protocol that
 * a new wayland-protocols release brings is exercised without a line here.
 *
 * A message can be made up when it has no fd, no untyped new_id, no
 * non-nullable object argument, and (events) no new_id: integers are 0,
 * strings "vsomm", arrays empty, objects NULL.
 */
#ifndef TESTS_PROTOCOLS_EXERCISE_H
#define TESTS_PROTOCOLS_EXERCISE_H

#include <stdbool.h>
#include <stdint.h>
#include <wayland-util.h>

#include "protocols/forward-tables.h"

static inline bool exercise_can_make(const struct vsomm_message_info *m, bool event)
{
	if (m->generic_new_id || m->fd_args)
		return false;
	if (m->object_args & ~m->nullable_args)
		return false;
	return !(event && m->new_id_args);
}

/* The first event (not a destructor) that can be made up, or -1. */
static inline int exercise_event(const struct vsomm_interface_info *info, uint32_t version)
{
	for (uint32_t i = 0; i < info->event_count; i++) {
		const struct vsomm_message_info *m = &info->events[i];
		if (m->since <= version && !m->destructor && exercise_can_make(m, true))
			return (int)i;
	}
	return -1;
}

/* The first request (not a destructor) that can be made up, or -1. */
static inline int exercise_request(const struct vsomm_interface_info *info, uint32_t version)
{
	for (uint32_t i = 0; i < info->request_count; i++) {
		const struct vsomm_message_info *m = &info->requests[i];
		if (m->since <= version && !m->destructor && exercise_can_make(m, false))
			return (int)i;
	}
	return -1;
}

/* The destructor request, or -1. */
static inline int exercise_destructor(const struct vsomm_interface_info *info, uint32_t version)
{
	for (uint32_t i = 0; i < info->request_count; i++) {
		const struct vsomm_message_info *m = &info->requests[i];
		if (m->since <= version && m->destructor && exercise_can_make(m, false))
			return (int)i;
	}
	return -1;
}

/*
 * Arguments for message m, from its signature.  A new_id is left NULL (the
 * caller creates the object).  `empty` backs the arrays.
 */
static inline void exercise_args(const struct vsomm_message_info *m, union wl_argument *args,
				 struct wl_array *empty)
{
	int n = 0;
	wl_array_init(empty);
	for (const char *c = m->signature; *c; c++) {
		switch (*c) {
		case 'i':
		case 'u':
		case 'f':
			args[n++].u = 0;
			break;
		case 's':
			args[n++].s = "vsomm";
			break;
		case 'o':
		case 'n':
			args[n++].o = NULL;
			break;
		case 'a':
			args[n++].a = empty;
			break;
		case 'h':
			args[n++].h = -1;
			break;
		default:
			break; /* '?' and the since digits */
		}
	}
}

#endif
