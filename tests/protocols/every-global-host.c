// SPDX-License-Identifier: MIT
/*
 * every-global-host: a scripted host compositor that offers every global
 * vsomm relays (protocols/forward-tables.h), for the every-global test.
 *
 *   every-global-host --socket NAME [--newer]     (NAME in $XDG_RUNTIME_DIR)
 *
 * Each global is offered at vsomm's version, or one above it with --newer (a
 * compositor newer than the system's protocol packages).  Every request is
 * taken by one generic dispatcher, which prints "REQ interface.request",
 * creates the objects of typed new_id arguments and destroys on destructors.
 * When an object is created (a bind, or a new_id), the host sends it the event
 * tests/protocols/exercise.h picks, if any, and prints "EVENT interface.event".
 * Runs until SIGTERM/SIGINT.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wayland-server-core.h>

#include "tests/protocols/exercise.h"

static bool newer;

static void object_created(struct wl_resource *resource, const struct vsomm_interface_info *info);

static int dispatch(const void *implementation, void *target, uint32_t opcode,
		    const struct wl_message *message, union wl_argument *args)
{
	struct wl_resource *resource = target;
	printf("REQ %s.%s\n", wl_resource_get_class(resource), message->name);
	const struct vsomm_interface_info *self = vsomm_forward_find(wl_resource_get_class(resource));
	if (!self || opcode >= self->request_count)
		return 0;
	const struct vsomm_message_info *m = &self->requests[opcode];
	if (m->new_id_arg >= 0 && m->new_id_info) {
		struct wl_client *client = wl_resource_get_client(resource);
		struct wl_resource *child =
			wl_resource_create(client, m->new_id_info->interface,
					   wl_resource_get_version(resource), args[m->new_id_arg].n);
		if (!child) {
			wl_client_post_no_memory(client);
			return 0;
		}
		object_created(child, m->new_id_info);
	}
	if (m->destructor)
		wl_resource_destroy(resource);
	return 0;
}

static void object_created(struct wl_resource *resource, const struct vsomm_interface_info *info)
{
	wl_resource_set_dispatcher(resource, dispatch, NULL, NULL, NULL);
	int event = exercise_event(info, (uint32_t)wl_resource_get_version(resource));
	if (event < 0)
		return;
	union wl_argument args[20];
	struct wl_array empty;
	exercise_args(&info->events[event], args, &empty);
	wl_resource_post_event_array(resource, (uint32_t)event, args);
	printf("EVENT %s.%s\n", info->name, info->events[event].name);
}

static void bind_global(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	const struct vsomm_interface_info *info = data;
	struct wl_resource *resource = wl_resource_create(client, info->interface, (int)version, id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	printf("BIND %s %u\n", info->name, version);
	object_created(resource, info);
}

static int handle_stop(int sig, void *data)
{
	wl_display_terminate(data);
	return 0;
}

int main(int argc, char **argv)
{
	const char *socket = NULL;
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"newer", no_argument, NULL, 'n'},
		{0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			socket = optarg;
		else if (c == 'n')
			newer = true;
		else
			return 2;
	}
	if (!socket) {
		fputs("usage: every-global-host --socket NAME [--newer]\n", stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct wl_display *display = wl_display_create();
	if (!display || wl_display_add_socket(display, socket) < 0) {
		fprintf(stderr, "every-global-host: cannot listen on %s\n", socket);
		return 1;
	}
	/*
	 * libwayland refuses a global above its wl_interface's version: --newer
	 * offers copies of the interfaces with the version raised by one.
	 */
	struct wl_interface *copies = calloc(vsomm_forward_interface_count, sizeof(*copies));
	struct vsomm_interface_info *infos =
		calloc(vsomm_forward_interface_count, sizeof(*infos));
	if (!copies || !infos)
		return 1;
	int offered = 0;
	for (size_t i = 0; i < vsomm_forward_interface_count; i++) {
		const struct vsomm_interface_info *info = &vsomm_forward_interfaces[i];
		if (!info->global)
			continue;
		uint32_t version = info->version;
		infos[i] = *info;
		if (newer) {
			copies[i] = *info->interface;
			copies[i].version = (int)version + 1;
			infos[i].interface = &copies[i];
			version++;
		}
		if (!wl_global_create(display, infos[i].interface, (int)version, &infos[i],
				      bind_global)) {
			fprintf(stderr, "every-global-host: cannot offer %s\n", info->name);
			return 1;
		}
		printf("GLOBAL %s %u\n", info->name, version);
		offered++;
	}
	struct wl_event_loop *loop = wl_display_get_event_loop(display);
	struct wl_event_source *sources[2] = {
		wl_event_loop_add_signal(loop, SIGTERM, handle_stop, display),
		wl_event_loop_add_signal(loop, SIGINT, handle_stop, display),
	};
	printf("READY %d globals\n", offered);
	wl_display_run(display);
	for (int i = 0; i < 2; i++)
		if (sources[i])
			wl_event_source_remove(sources[i]);
	wl_display_destroy_clients(display);
	wl_display_destroy(display);
	free(copies);
	free(infos);
	return 0;
}
