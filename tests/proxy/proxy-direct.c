/* SPDX-License-Identifier: MIT */
/*
 * proxy-direct: the proxy of proxy/ with a plain socket as its host
 * connection, for tests.
 *
 *   proxy-direct [--trace] [--title-prefix P] [--app-id-prefix P] -- COMMAND [ARG...]
 *   proxy-direct --list-globals
 *
 * Listens on a new socket in $XDG_RUNTIME_DIR, connects each client to the
 * compositor named by $VSOMM_HOST_DISPLAY (a name in $XDG_RUNTIME_DIR or an
 * absolute path), runs COMMAND with WAYLAND_DISPLAY set to the proxy's socket
 * and exits with its status (128 + signal when it was killed).
 * --list-globals prints "interface version" for every global vsomm relays.
 * $VSOMM_LOG_LEVEL: error, info (default), debug, trace.
 * Exit status 99: the proxy leaked fds (checked after it is destroyed).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wayland-client-core.h>
#include <wayland-server-core.h>

#include "util/log.h"
#include "protocols/forward-tables.h"
#include "proxy/proxy.h"
#include "tests/lib/fds.h"

struct state {
	pid_t child;
	int status;
	bool running;
};

static int
connect_host(void *data, struct wl_client *client, void **conn)
{
	const char *name = getenv("VSOMM_HOST_DISPLAY");
	const char *dir = getenv("XDG_RUNTIME_DIR");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd, n;

	*conn = NULL;
	if (!name || !name[0])
		return -1;
	if (name[0] == '/')
		n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", name);
	else
		n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", dir ? dir : ".", name);
	if (n < 0 || (size_t)n >= sizeof(addr.sun_path))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "connect %s", addr.sun_path);
		close(fd);
		return -1;
	}
	return fd;
}

static int
handle_signal(int signal_number, void *data)
{
	struct state *state = data;
	int status;
	pid_t pid;

	if (signal_number != SIGCHLD) {
		if (state->child > 0)
			kill(state->child, SIGTERM);
		return 0;
	}
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == state->child) {
			state->status = status;
			state->child = 0;
			state->running = false;
		}
	}
	return 0;
}

static int
usage(void)
{
	fprintf(stderr, "usage: proxy-direct [--trace] [--title-prefix P] [--app-id-prefix P] "
			"-- COMMAND [ARG...]\n       proxy-direct --list-globals\n");
	return 2;
}

int
main(int argc, char *argv[])
{
	struct proxy_options options = {0};
	struct proxy_backend backend = {.connect_host = connect_host};
	struct state state = {.running = true};
	enum vsomm_log_level level = VSOMM_LOG_INFO;
	struct wl_event_source *signals[3];
	struct wl_event_loop *loop;
	struct wl_display *display;
	struct proxy *proxy;
	const char *socket, *env;
	int i, fds_before, fds_after;
	sigset_t all;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--trace") == 0) {
			options.trace = true;
		} else if (strcmp(argv[i], "--title-prefix") == 0 && i + 1 < argc) {
			options.title_prefix = argv[++i];
		} else if (strcmp(argv[i], "--app-id-prefix") == 0 && i + 1 < argc) {
			options.app_id_prefix = argv[++i];
		} else if (strcmp(argv[i], "--list-globals") == 0) {
			for (size_t k = 0; k < vsomm_forward_interface_count; k++) {
				const struct vsomm_interface_info *info = &vsomm_forward_interfaces[k];

				if (info->global)
					printf("%s %u\n", info->name, info->version);
			}
			return 0;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			return usage();
		}
	}
	if (i >= argc)
		return usage();

	env = getenv("VSOMM_LOG_LEVEL");
	if (env && !vsomm_log_parse_level(env, &level))
		return usage();
	if (options.trace && level < VSOMM_LOG_TRACE)
		level = VSOMM_LOG_TRACE;
	vsomm_log_init(level, "proxy-direct");
	wl_log_set_handler_server(vsomm_log_wayland);
	wl_log_set_handler_client(vsomm_log_wayland);

	fds_before = count_fds();
	display = wl_display_create();
	if (!display)
		return 1;
	loop = wl_display_get_event_loop(display);
	socket = wl_display_add_socket_auto(display);
	if (!socket) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "wl_display_add_socket_auto");
		return 1;
	}
	proxy = proxy_create(display, &options, &backend, NULL);
	if (!proxy)
		return 1;
	/* Before the fork: no SIGCHLD is missed. */
	signals[0] = wl_event_loop_add_signal(loop, SIGCHLD, handle_signal, &state);
	signals[1] = wl_event_loop_add_signal(loop, SIGTERM, handle_signal, &state);
	signals[2] = wl_event_loop_add_signal(loop, SIGINT, handle_signal, &state);

	state.child = fork();
	if (state.child < 0)
		return 1;
	if (state.child == 0) {
		/* wl_event_loop_add_signal blocked these. */
		sigfillset(&all);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		setenv("WAYLAND_DISPLAY", socket, 1);
		execvp(argv[i], &argv[i]);
		fprintf(stderr, "proxy-direct: cannot run %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}

	while (state.running) {
		wl_display_flush_clients(display);
		if (wl_event_loop_dispatch(loop, -1) < 0 && errno != EINTR)
			break;
	}

	proxy_destroy(proxy);
	for (i = 0; i < 3; i++)
		wl_event_source_remove(signals[i]);
	wl_display_destroy(display);
	/* Every fd that went through the proxy (shm pools, keymaps, ...) is
	 * closed: the classic proxy bug. */
	fds_after = count_fds();
	if (fds_after != fds_before) {
		fprintf(stderr, "proxy-direct: fd leak: %d open fds before, %d after\n", fds_before,
			fds_after);
		return 99;
	}
	if (WIFEXITED(state.status))
		return WEXITSTATUS(state.status);
	if (WIFSIGNALED(state.status))
		return 128 + WTERMSIG(state.status);
	return 1;
}
