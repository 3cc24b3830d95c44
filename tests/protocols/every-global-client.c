// SPDX-License-Identifier: MIT
/*
 * every-global-client: binds every global its compositor (vsomm, in front of
 * every-global-host) announces and exercises each as tests/protocols/exercise.h
 * says: bind, the event the host sends on creation, one request (and, when it
 * creates an object, that object's event), the destructor.  One line per
 * global:
 *
 *   ok NAME vVERSION [event=E] [request=R] [child=C child-event=CE] [destroy=D]
 *   FAIL NAME what went wrong
 *
 * then "done N" with the number of globals.  --expect-version-cap: every
 * global must be announced at vsomm's own version (the host offers newer).
 * Exit 0 when no line says FAIL and no protocol error ended the connection.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-client.h>

#include "tests/protocols/exercise.h"

#define MAX_GLOBALS 256

struct seen {
	int opcode; /* last event, -1 for none */
	int count;
};

struct global {
	uint32_t name, version;
	const struct vsomm_interface_info *info;
};

static struct global globals[MAX_GLOBALS];
static int nglobals;
static int unknown;

static int record_event(const void *implementation, void *target, uint32_t opcode,
			const struct wl_message *message, union wl_argument *args)
{
	struct seen *seen = (struct seen *)implementation;
	seen->opcode = (int)opcode;
	seen->count++;
	return 0;
}

static void handle_global(void *data, struct wl_registry *registry, uint32_t name,
			  const char *interface, uint32_t version)
{
	const struct vsomm_interface_info *info = vsomm_forward_find(interface);
	if (!info || !info->global) {
		printf("FAIL %s announced, but vsomm does not relay it\n", interface);
		unknown++;
		return;
	}
	if (nglobals < MAX_GLOBALS)
		globals[nglobals++] = (struct global){name, version, info};
}

static void handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = handle_global,
	.global_remove = handle_global_remove,
};

/* Sends request `opcode` of `proxy` with made-up arguments; the new object, if any. */
static struct wl_proxy *send_request(struct wl_proxy *proxy,
				     const struct vsomm_interface_info *info, uint32_t version,
				     int opcode)
{
	const struct vsomm_message_info *m = &info->requests[opcode];
	union wl_argument args[20];
	struct wl_array empty;
	exercise_args(m, args, &empty);
	const struct wl_interface *child = m->new_id_info ? m->new_id_info->interface : NULL;
	return wl_proxy_marshal_array_flags(proxy, (uint32_t)opcode, child, version,
					    m->destructor ? WL_MARSHAL_FLAG_DESTROY : 0, args);
}

/* Destroys `proxy` with its destructor request if it has one. */
static const char *destroy(struct wl_proxy *proxy, const struct vsomm_interface_info *info,
			   uint32_t version)
{
	int d = exercise_destructor(info, version);
	if (d < 0) {
		wl_proxy_destroy(proxy);
		return NULL;
	}
	send_request(proxy, info, version, d);
	return info->requests[d].name;
}

/* Exercises one global; false when the connection is gone. */
static bool exercise(struct wl_display *display, struct wl_registry *registry,
		     const struct global *g, bool expect_cap)
{
	const struct vsomm_interface_info *info = g->info;
	char line[512];
	int n = snprintf(line, sizeof(line), "%s v%u", info->name, g->version);
	bool ok = true;
	if (expect_cap && g->version != info->version) {
		printf("FAIL %s announced at version %u, vsomm relays up to %u\n", info->name,
		       g->version, info->version);
		ok = false;
	}

	struct seen seen = {.opcode = -1}, child_seen = {.opcode = -1};
	struct wl_proxy *proxy = wl_registry_bind(registry, g->name, info->interface, g->version);
	wl_proxy_add_dispatcher(proxy, record_event, &seen, NULL);
	if (wl_display_roundtrip(display) < 0)
		return false;
	int event = exercise_event(info, g->version);
	if (event >= 0) {
		if (seen.opcode != event) {
			printf("FAIL %s: the event %s did not arrive\n", info->name,
			       info->events[event].name);
			ok = false;
		}
		n += snprintf(line + n, sizeof(line) - (size_t)n, " event=%s",
			      info->events[event].name);
	}

	int request = exercise_request(info, g->version);
	struct wl_proxy *child = NULL;
	const struct vsomm_interface_info *child_info = NULL;
	if (request >= 0) {
		child = send_request(proxy, info, g->version, request);
		child_info = info->requests[request].new_id_info;
		n += snprintf(line + n, sizeof(line) - (size_t)n, " request=%s",
			      info->requests[request].name);
		if (child) {
			wl_proxy_add_dispatcher(child, record_event, &child_seen, NULL);
			n += snprintf(line + n, sizeof(line) - (size_t)n, " child=%s",
				      child_info->name);
		}
		if (wl_display_roundtrip(display) < 0)
			return false;
		int child_event = child ? exercise_event(child_info, g->version) : -1;
		if (child_event >= 0) {
			if (child_seen.opcode != child_event) {
				printf("FAIL %s: the event %s.%s did not arrive\n", info->name,
				       child_info->name, child_info->events[child_event].name);
				ok = false;
			}
			n += snprintf(line + n, sizeof(line) - (size_t)n, " child-event=%s",
				      child_info->events[child_event].name);
		}
	}
	if (child)
		destroy(child, child_info, g->version);
	const char *d = destroy(proxy, info, g->version);
	if (d)
		snprintf(line + n, sizeof(line) - (size_t)n, " destroy=%s", d);
	if (wl_display_roundtrip(display) < 0)
		return false;
	if (ok)
		printf("ok %s\n", line);
	return ok;
}

int main(int argc, char **argv)
{
	bool expect_cap = argc > 1 && strcmp(argv[1], "--expect-version-cap") == 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct wl_display *display = wl_display_connect(NULL);
	if (!display) {
		fprintf(stderr, "every-global-client: cannot connect: %s\n", strerror(errno));
		return 1;
	}
	struct wl_registry *registry = wl_display_get_registry(display);
	wl_registry_add_listener(registry, &registry_listener, NULL);
	if (wl_display_roundtrip(display) < 0)
		return 1;
	int failed = unknown;
	for (int i = 0; i < nglobals; i++) {
		if (!exercise(display, registry, &globals[i], expect_cap)) {
			int err = wl_display_get_error(display);
			if (err) {
				printf("FAIL %s: the connection ended (%s)\n", globals[i].info->name,
				       strerror(err));
				return 1;
			}
			failed++;
		}
	}
	printf("done %d\n", nglobals);
	wl_registry_destroy(registry);
	wl_display_disconnect(display);
	return failed ? 1 : 0;
}
