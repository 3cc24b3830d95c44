/* SPDX-License-Identifier: MIT */
/*
 * vsomm-host: the host side of vsomm.  A virtio-gpu device model with only the
 * cross-domain context type (capset 5), served on a Unix socket (the socket
 * transport); each guest context gets its own connection to the compositor.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <wayland-client-core.h>
#include <wayland-server-core.h>

#include "cross-domain/host/service.h"
#include "util/log.h"
#include "launcher/host-check.h"
#include "launcher/sd.h"
#include "virtgpu/socket/server.h"
#include "virtgpu/vhost-user/vhost-user.h"

#ifndef VSOMM_VERSION
#define VSOMM_VERSION "0.1.0"
#endif

/* Exit codes, documented in --help. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,   /* usage or runtime error */
	EXIT_IN_USE = 2, /* another vsomm-host serves the socket */
	EXIT_SOCKET = 3, /* the listening socket cannot be created */
	EXIT_ENV = 4,    /* XDG_RUNTIME_DIR needed but unset */
	EXIT_NO_COMPOSITOR = LAUNCHER_HOST_EXIT_NO_COMPOSITOR, /* --check: no answer */
};

static const char usage[] =
	"Usage: vsomm-host [OPTION]...\n"
	"Serve the virtio-gpu cross-domain context type (capset 5) on a Unix socket and\n"
	"connect each guest Wayland connection to the host compositor.\n"
	"\n"
	"  --listen PATH         socket to serve (default $XDG_RUNTIME_DIR/vsomm-host.sock)\n"
	"  --compositor NAME     compositor socket: a name in $XDG_RUNTIME_DIR or an\n"
	"                        absolute path (default $WAYLAND_DISPLAY, else wayland-0)\n"
	"  --log-level LEVEL     silent, error, info, debug or trace (default error;\n"
	"                        environment: VSOMM_HOST_LOG_LEVEL)\n"
	"  --trace               log every cross-domain command and fd translation\n"
	"  --limit NAME=N        per-context limit: blob-bytes (1 GiB), items (4096),\n"
	"                        pipes (64), queued-bytes (64 MiB); per guest connection:\n"
	"                        connection-blob-bytes (2 GiB), contexts (64); 0 for the\n"
	"                        default (environment: VSOMM_HOST_LIMIT_BLOB_BYTES, ...)\n"
	"  --vhost-user PATH     also be the vhost-user back-end of a virtio-gpu device on\n"
	"                        PATH (for a guest kernel's virtio_uml, docs/uml.md)\n"
	"  --strict              behave as rutabaga (crosvm, QEMU) where vsomm-host is more\n"
	"                        lenient: refuse guest memory in SEND, never signal fences\n"
	"                        on a ring above 1 or before INIT, nor held fences on\n"
	"                        CTX_DESTROY; for testing guests (environment:\n"
	"                        VSOMM_HOST_STRICT=1)\n"
	"  --check               check what would be served and exit: the compositor\n"
	"                        (connected, with the round trip's latency), its\n"
	"                        globals and the limits in force; no socket is created\n"
	"  --version             print the version and exit\n"
	"  --help                print this help and exit\n"
	"\n"
	"Under systemd: socket activation (the fd named vsomm-host, or the only one)\n"
	"and readiness notification (Type=notify).\n"
	"\n"
	"Exit status: 0 after SIGTERM/SIGINT, 1 usage or runtime error, 2 the socket is\n"
	"served by another live instance, 3 the listening socket cannot be created,\n"
	"4 XDG_RUNTIME_DIR is needed but not set, 5 (--check) the compositor does not\n"
	"answer.\n";

static char *runtime_path(const char *name)
{
	if (name[0] == '/')
		return strdup(name);
	const char *dir = getenv("XDG_RUNTIME_DIR");
	if (!dir || !dir[0])
		return NULL;
	size_t len = strlen(dir) + 1 + strlen(name) + 1;
	char *path = malloc(len);
	if (path)
		snprintf(path, len, "%s/%s", dir, name);
	return path;
}

/* A live server answers connect(); a stale socket file refuses it. */
static int claim_path(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return EXIT_OK;
		fprintf(stderr, "vsomm-host: %s: %s\n", path, strerror(errno));
		return EXIT_SOCKET;
	}
	if (!S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "vsomm-host: %s exists and is not a socket\n", path);
		return EXIT_SOCKET;
	}
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	memcpy(addr.sun_path, path, strlen(path) + 1);
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0) {
		fprintf(stderr, "vsomm-host: socket: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	int ret = connect(probe, (struct sockaddr *)&addr, sizeof(addr));
	int err = errno;
	close(probe);
	if (ret == 0 || err == EAGAIN) {
		fprintf(stderr, "vsomm-host: %s is in use by another instance\n", path);
		return EXIT_IN_USE;
	}
	if (err != ECONNREFUSED) {
		fprintf(stderr, "vsomm-host: %s: %s\n", path, strerror(err));
		return EXIT_SOCKET;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		fprintf(stderr, "vsomm-host: removing stale %s: %s\n", path, strerror(errno));
		return EXIT_SOCKET;
	}
	return EXIT_OK;
}

/*
 * A socket is bound under a private name (`PATH.PID`) and only published at
 * PATH, by link(), once vsomm-host serves it: a client or supervisor that sees
 * PATH can rely on it being answered, and link() refuses to replace a socket an
 * instance started meanwhile.
 */
struct bound_socket {
	int fd;
	const char *path;
	char staged[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool published;
};

static int listen_on(const char *path, struct bound_socket *out)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	*out = (struct bound_socket){.fd = -1, .path = path};
	int len = snprintf(out->staged, sizeof(out->staged), "%s.%ld", path, (long)getpid());
	if (len < 0 || (size_t)len >= sizeof(addr.sun_path)) {
		fprintf(stderr, "vsomm-host: socket path too long: %s\n", path);
		return EXIT_SOCKET;
	}
	int ret = claim_path(path);
	if (ret != EXIT_OK)
		return ret;
	memcpy(addr.sun_path, out->staged, (size_t)len + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		fprintf(stderr, "vsomm-host: socket: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	unlink(out->staged);      /* a leftover of a dead process with our pid */
	mode_t old = umask(0177); /* the socket is created 0600 */
	ret = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (ret < 0 || listen(fd, 128) < 0) {
		fprintf(stderr, "vsomm-host: cannot listen on %s: %s\n", path, strerror(errno));
		if (ret == 0)
			unlink(out->staged);
		close(fd);
		return EXIT_SOCKET;
	}
	out->fd = fd;
	return EXIT_OK;
}

static int publish(struct bound_socket *sock)
{
	int ret = link(sock->staged, sock->path);
	int err = errno;
	unlink(sock->staged);
	if (ret == 0) {
		sock->published = true;
		return EXIT_OK;
	}
	if (err == EEXIST) {
		fprintf(stderr, "vsomm-host: %s is in use by another instance\n", sock->path);
		return EXIT_IN_USE;
	}
	fprintf(stderr, "vsomm-host: cannot create %s: %s\n", sock->path, strerror(err));
	return EXIT_SOCKET;
}

/* Remove what this process created: the staged name, and PATH once published. */
static void unpublish(struct bound_socket *sock)
{
	if (sock->published)
		unlink(sock->path);
	else if (sock->staged[0])
		unlink(sock->staged);
	sock->published = false;
	sock->staged[0] = '\0';
}

static int handle_signal(int signal_number, void *data)
{
	bool *running = data;
	vsomm_log(VSOMM_LOG_INFO, "vsomm-host: signal %d, shutting down", signal_number);
	*running = false;
	return 0;
}

int main(int argc, char *argv[])
{
	enum {
		OPT_LISTEN = 256,
		OPT_COMPOSITOR,
		OPT_LOG_LEVEL,
		OPT_TRACE,
		OPT_VERSION,
		OPT_HELP,
		OPT_VHOST_USER,
		OPT_LIMIT,
		OPT_STRICT,
		OPT_CHECK,
	};
	static const struct option options[] = {
		{"listen", required_argument, NULL, OPT_LISTEN},
		{"compositor", required_argument, NULL, OPT_COMPOSITOR},
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
		{"trace", no_argument, NULL, OPT_TRACE},
		{"version", no_argument, NULL, OPT_VERSION},
		{"help", no_argument, NULL, OPT_HELP},
		{"vhost-user", required_argument, NULL, OPT_VHOST_USER},
		{"limit", required_argument, NULL, OPT_LIMIT},
		{"strict", no_argument, NULL, OPT_STRICT},
		{"check", no_argument, NULL, OPT_CHECK},
		{0},
	};
	const char *listen_arg = NULL, *compositor_arg = NULL, *vhost_user_arg = NULL;
	const char *level_arg = getenv("VSOMM_HOST_LOG_LEVEL");
	bool trace = false, check = false;
	const char *strict_env = getenv("VSOMM_HOST_STRICT");
	bool strict = strict_env && strcmp(strict_env, "1") == 0;
	if (strict_env && strict_env[0] && !strict && strcmp(strict_env, "0") != 0) {
		fprintf(stderr, "vsomm-host: VSOMM_HOST_STRICT must be 0 or 1, not '%s'\n",
			strict_env);
		return EXIT_FAIL;
	}
	struct xdomain_service_limits limits = {0};
	if (!xdomain_service_limits_from_env(&limits))
		return EXIT_FAIL;
	int opt;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case OPT_LISTEN:
			listen_arg = optarg;
			break;
		case OPT_COMPOSITOR:
			compositor_arg = optarg;
			break;
		case OPT_LOG_LEVEL:
			level_arg = optarg;
			break;
		case OPT_TRACE:
			trace = true;
			break;
		case OPT_STRICT:
			strict = true;
			break;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_LIMIT:
			if (!xdomain_service_limits_parse(&limits, optarg)) {
				fprintf(stderr, "vsomm-host: bad --limit '%s'\n", optarg);
				return EXIT_FAIL;
			}
			break;
		case OPT_VHOST_USER:
			vhost_user_arg = optarg;
			break;
		case OPT_VERSION:
			printf("vsomm-host %s\n", VSOMM_VERSION);
			return EXIT_OK;
		case OPT_HELP:
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			fputs("Try 'vsomm-host --help'.\n", stderr);
			return EXIT_FAIL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vsomm-host: unexpected argument '%s'\nTry 'vsomm-host --help'.\n",
			argv[optind]);
		return EXIT_FAIL;
	}
	enum vsomm_log_level level = VSOMM_LOG_ERROR;
	if (level_arg && level_arg[0] && !vsomm_log_parse_level(level_arg, &level)) {
		fprintf(stderr, "vsomm-host: unknown log level '%s'\n", level_arg);
		return EXIT_FAIL;
	}
	if (trace && level < VSOMM_LOG_TRACE)
		level = VSOMM_LOG_TRACE;
	vsomm_log_init(level, "vsomm-host");
	wl_log_set_handler_server(vsomm_log_wayland);
	wl_log_set_handler_client(vsomm_log_wayland);

	if (!compositor_arg) {
		compositor_arg = getenv("WAYLAND_DISPLAY");
		if (!compositor_arg || !compositor_arg[0])
			compositor_arg = "wayland-0";
	}
	if (check) {
		/* what a normal run would serve; no socket, activated or not, is touched */
		char *path = runtime_path(compositor_arg);
		if (!path) {
			fprintf(stderr, "vsomm-host: XDG_RUNTIME_DIR is not set; give an "
					"absolute --compositor path\n");
			return EXIT_ENV;
		}
		int ret = launcher_host_check(path, &limits);
		free(path);
		return ret;
	}

	/* systemd socket activation: the unit's socket replaces --listen */
	struct launcher_sd_fds sd_fds;
	if (launcher_sd_listen_fds(&sd_fds) < 0)
		return EXIT_FAIL;
	int activated_fd = launcher_sd_take_fd(&sd_fds, "vsomm-host");
	for (size_t i = 0; i < sd_fds.count; i++)
		if (sd_fds.fds[i] >= 0)
			vsomm_log(VSOMM_LOG_ERROR,
				  "vsomm-host: ignoring activated fd %d named '%s'", sd_fds.fds[i],
				  sd_fds.names[i]);
	launcher_sd_close_rest(&sd_fds);

	char *listen_path = activated_fd >= 0 && !listen_arg
				    ? strdup("the activated socket")
				    : runtime_path(listen_arg ? listen_arg : "vsomm-host.sock");
	char *compositor_path = runtime_path(compositor_arg);
	int status = EXIT_FAIL;
	if (!listen_path || !compositor_path) {
		fprintf(stderr, "vsomm-host: XDG_RUNTIME_DIR is not set; give absolute paths\n");
		status = EXIT_ENV;
		goto err_paths;
	}

	/* A compositor or guest that goes away must not kill us on write. */
	signal(SIGPIPE, SIG_IGN);

	struct bound_socket listen_sock = {.fd = activated_fd};
	struct bound_socket vu_sock = {.fd = -1};
	if (activated_fd >= 0) {
		/* systemd bound it and owns the path: it is never unlinked here */
		int fl = fcntl(activated_fd, F_GETFL);
		if (fl < 0 || fcntl(activated_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
			fprintf(stderr, "vsomm-host: activated fd %d: %s\n", activated_fd,
				strerror(errno));
			goto err_listen;
		}
	} else {
		status = listen_on(listen_path, &listen_sock);
		if (status != EXIT_OK)
			goto err_listen;
	}
	if (vhost_user_arg) {
		status = listen_on(vhost_user_arg, &vu_sock);
		if (status != EXIT_OK) {
			fprintf(stderr, "vsomm-host: cannot serve vhost-user on %s\n",
				vhost_user_arg);
			goto err_listen;
		}
	}
	status = EXIT_FAIL;

	struct wl_event_loop *loop = wl_event_loop_create();
	if (!loop) {
		fprintf(stderr, "vsomm-host: cannot create the event loop\n");
		goto err_listen;
	}
	bool running = true;
	struct wl_event_source *sigterm = wl_event_loop_add_signal(loop, SIGTERM, handle_signal,
								   &running);
	struct wl_event_source *sigint = wl_event_loop_add_signal(loop, SIGINT, handle_signal,
								  &running);
	struct sock_server *server = NULL;
	struct vu_backend *vhost_user = NULL;
	if (!sigterm || !sigint) {
		fprintf(stderr, "vsomm-host: cannot watch signals\n");
		goto err_serve;
	}

	struct xdomain_service_config config = {
		.loop = loop,
		.compositor_path = compositor_path,
		.limits = limits,
		.trace = trace,
		.strict = strict,
	};
	static const struct gpu_model_capset_ops *const capsets[] = {&xdomain_service_capset, NULL};
	server = sock_server_create(loop, listen_sock.fd, capsets, &config);
	if (!server) {
		fprintf(stderr, "vsomm-host: cannot serve %s\n", listen_path);
		goto err_serve;
	}
	listen_sock.fd = -1; /* the server owns it */
	if (vhost_user_arg) {
		vhost_user = vu_backend_create(loop, vu_sock.fd, capsets, &config);
		if (!vhost_user) {
			fprintf(stderr, "vsomm-host: cannot serve vhost-user on %s\n",
				vhost_user_arg);
			goto err_serve;
		}
		vu_sock.fd = -1;
	}
	/* everything is served: only now do the sockets appear at their paths */
	if (activated_fd < 0 && (status = publish(&listen_sock)) != EXIT_OK)
		goto err_serve;
	if (vhost_user && (status = publish(&vu_sock)) != EXIT_OK)
		goto err_serve;
	status = EXIT_FAIL;
	vsomm_log(VSOMM_LOG_INFO, "vsomm-host: listening on %s, compositor %s%s", listen_path,
		  compositor_path, strict ? " (strict: as rutabaga)" : "");

	launcher_sd_notifyf("READY=1\nSTATUS=listening on %s, compositor %s", listen_path,
			    compositor_path);
	while (running) {
		if (wl_event_loop_dispatch(loop, -1) < 0 && errno != EINTR) {
			fprintf(stderr, "vsomm-host: event loop: %s\n", strerror(errno));
			break;
		}
	}
	status = running ? EXIT_FAIL : EXIT_OK;
	launcher_sd_notify("STOPPING=1");

err_serve:
	if (vhost_user)
		vu_backend_destroy(vhost_user);
	if (server)
		sock_server_destroy(server);
	if (sigint)
		wl_event_source_remove(sigint);
	if (sigterm)
		wl_event_source_remove(sigterm);
	wl_event_loop_destroy(loop);
err_listen:
	if (listen_sock.fd >= 0)
		close(listen_sock.fd);
	if (vu_sock.fd >= 0)
		close(vu_sock.fd);
	unpublish(&listen_sock);
	unpublish(&vu_sock);
err_paths:
	free(compositor_path);
	free(listen_path);
	return status;
}
