/* SPDX-License-Identifier: MIT */
/*
 * vsomm [OPTIONS] [--] APP [ARGS…]
 *
 * Runs APP against a private Wayland socket served by the proxy; every client
 * that connects gets its own cross-domain context (and so its own connection to
 * the host compositor) through the virtgpu device.  Exits with APP's status.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "cross-domain/cross-domain.h"
#include "cross-domain/log.h"
#include "proxy/proxy.h"
#include "virtgpu/virtgpu.h"

/* Exit codes of vsomm's own errors (APP's own status is passed through). */
enum {
	EXIT_VSOMM_ERROR = 1,    /* usage, runtime dir, socket */
	EXIT_NO_DEVICE = 3,      /* no device and no vsomm-host */
	EXIT_NOT_FOUND = 127,    /* APP not found, like a shell */
	EXIT_NOT_EXECUTABLE = 126,
};

struct vsomm {
	struct wl_display *display;
	struct wl_event_loop *loop;
	const char *device;
	pid_t child;
	int exit_code;
	bool done;
};

struct host_conn {
	struct vsomm *vsomm;
	struct xdomain_pump *pump;
};

static void handle_pump_closed(void *data)
{
	/*
	 * The pump has shut its end of the socketpair down: the proxy sees EOF and
	 * drops the client, then disconnect_host destroys the pump.  Until then the
	 * device (and the shadow mappings on it) stays.
	 */
}

static int connect_host(void *data, struct wl_client *client, void **out)
{
	struct vsomm *vsomm = data;
	struct host_conn *conn = calloc(1, sizeof(*conn));
	if (!conn)
		return -1;
	conn->vsomm = vsomm;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "socketpair");
		free(conn);
		return -1;
	}
	struct virtgpu_dev *dev;
	int err = virtgpu_open(vsomm->device, &dev);
	if (err < 0) {
		vsomm_log(VSOMM_LOG_ERROR, "cannot open the virtgpu device: %s", strerror(-err));
		goto err_sockets;
	}
	conn->pump = xdomain_pump_create(vsomm->loop, dev, sv[1], handle_pump_closed, conn, &err);
	if (!conn->pump) {
		vsomm_log(VSOMM_LOG_ERROR, "cannot create a cross-domain channel: %s",
			  strerror(-err));
		close(sv[0]);
		free(conn);
		return -1;
	}
	*out = conn;
	return sv[0];

err_sockets:
	close(sv[0]);
	close(sv[1]);
	free(conn);
	return -1;
}

static void disconnect_host(void *data, void *conn_ptr)
{
	struct host_conn *conn = conn_ptr;
	if (!conn)
		return;
	xdomain_pump_destroy(conn->pump);
	free(conn);
}

/* Shadows of wl_shm buffers: host blobs of this client's own context. */
static int alloc_shadow(void *data, void *conn_ptr, uint32_t width, uint32_t height,
			uint32_t drm_format, struct proxy_shadow *out)
{
	struct host_conn *conn = conn_ptr;
	if (!conn || !conn->pump)
		return -EPIPE;
	struct xdomain_channel *ch = xdomain_pump_channel(conn->pump);
	struct xdomain_image_requirements req;
	int err = xdomain_channel_image_requirements(
		ch, width, height, drm_format, XDOMAIN_GRALLOC_LINEAR | XDOMAIN_GRALLOC_SW_WRITE_OFTEN,
		&req);
	if (err < 0)
		return err;
	struct virtgpu_bo *bo = calloc(1, sizeof(*bo));
	if (!bo)
		return -ENOMEM;
	err = xdomain_channel_create_blob(ch, &req, bo);
	if (err < 0) {
		free(bo);
		return err;
	}
	struct virtgpu_dev *dev = xdomain_channel_device(ch);
	int fd = virtgpu_bo_export(dev, bo);
	if (fd < 0) {
		virtgpu_bo_close(dev, bo);
		free(bo);
		return fd;
	}
	*out = (struct proxy_shadow){
		.fd = fd,
		.map = bo->map,
		.size = req.size,
		.stride = req.strides[0],
		.offset = req.offsets[0],
		.handle = bo,
	};
	return 0;
}

static void free_shadow(void *data, void *conn_ptr, struct proxy_shadow *shadow)
{
	struct host_conn *conn = conn_ptr;
	struct virtgpu_bo *bo = shadow->handle;
	close(shadow->fd);
	/* The pump lives until disconnect_host, after every buffer is gone. */
	virtgpu_bo_close(xdomain_channel_device(xdomain_pump_channel(conn->pump)), bo);
	free(bo);
}

static const struct proxy_backend channel_backend = {
	.connect_host = connect_host,
	.disconnect_host = disconnect_host,
	.alloc_shadow = alloc_shadow,
	.free_shadow = free_shadow,
};

static int handle_sigchld(int sig, void *data)
{
	struct vsomm *vsomm = data;
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != vsomm->child)
			continue;
		if (WIFEXITED(status))
			vsomm->exit_code = WEXITSTATUS(status);
		else if (WIFSIGNALED(status))
			vsomm->exit_code = 128 + WTERMSIG(status);
		vsomm->done = true;
	}
	return 0;
}

static int handle_forward_signal(int sig, void *data)
{
	struct vsomm *vsomm = data;
	if (vsomm->child > 0)
		kill(vsomm->child, sig);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vsomm [OPTIONS] [--] APP [ARGS...]\n"
		"Run a Wayland application through the cross-domain proxy.\n\n"
		"  -d, --device SPEC       virtgpu device: socket:PATH or drm:PATH\n"
		"                          (default: $XDG_RUNTIME_DIR/vsomm-host.sock)\n"
		"      --title-prefix S    prefix every xdg_toplevel title with S\n"
		"      --app-id-prefix S   prefix every xdg_toplevel app_id with S\n"
		"      --log-level L       silent, error, info, debug or trace (default error)\n"
		"      --trace             log every message forwarded, both ways\n"
		"  -h, --help              show this help\n"
		"  -V, --version           show the version\n\n"
		"Exit status: APP's own; 128+N when APP was killed by signal N;\n"
		"1 for vsomm's own errors, 3 when no device answers, 126/127 when APP\n"
		"cannot be executed / is not found.\n");
}

static pid_t spawn(char **argv, const char *socket_name)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	setenv("WAYLAND_DISPLAY", socket_name, 1);
	unsetenv("WAYLAND_SOCKET");
	execvp(argv[0], argv);
	int code = errno == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
	fprintf(stderr, "vsomm: %s: %s\n", argv[0], strerror(errno));
	_exit(code);
}

int main(int argc, char **argv)
{
	struct vsomm vsomm = {.exit_code = EXIT_VSOMM_ERROR};
	struct proxy_options options = {0};
	enum vsomm_log_level level = VSOMM_LOG_ERROR;
	const char *env;
	if ((env = getenv("VSOMM_LOG_LEVEL")) && !vsomm_log_parse_level(env, &level)) {
		fprintf(stderr, "vsomm: unknown VSOMM_LOG_LEVEL '%s'\n", env);
		return EXIT_VSOMM_ERROR;
	}
	vsomm.device = getenv("VSOMM_DEVICE");
	options.title_prefix = getenv("VSOMM_TITLE_PREFIX");
	options.app_id_prefix = getenv("VSOMM_APP_ID_PREFIX");
	options.trace = (env = getenv("VSOMM_TRACE")) && *env && strcmp(env, "0") != 0;

	enum { OPT_TITLE = 256, OPT_APP_ID, OPT_LOG_LEVEL, OPT_TRACE };
	static const struct option longopts[] = {
		{"device", required_argument, NULL, 'd'},
		{"title-prefix", required_argument, NULL, OPT_TITLE},
		{"app-id-prefix", required_argument, NULL, OPT_APP_ID},
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
		{"trace", no_argument, NULL, OPT_TRACE},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "+d:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			vsomm.device = optarg;
			break;
		case OPT_TITLE:
			options.title_prefix = optarg;
			break;
		case OPT_APP_ID:
			options.app_id_prefix = optarg;
			break;
		case OPT_LOG_LEVEL:
			if (!vsomm_log_parse_level(optarg, &level)) {
				fprintf(stderr, "vsomm: unknown log level '%s'\n", optarg);
				return EXIT_VSOMM_ERROR;
			}
			break;
		case OPT_TRACE:
			options.trace = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vsomm %s\n", VSOMM_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_VSOMM_ERROR;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "vsomm: no application given (try --help)\n");
		return EXIT_VSOMM_ERROR;
	}
	if (options.trace && level < VSOMM_LOG_TRACE)
		level = VSOMM_LOG_TRACE;
	vsomm_log_init(level, "vsomm");
	vsomm_log_route_libwayland();

	if (!getenv("XDG_RUNTIME_DIR")) {
		fprintf(stderr, "vsomm: XDG_RUNTIME_DIR is not set\n");
		return EXIT_VSOMM_ERROR;
	}
	/* Fail early and clearly when there is nothing to talk to. */
	struct virtgpu_dev *probe;
	int err = virtgpu_open(vsomm.device, &probe);
	if (err < 0) {
		fprintf(stderr, "vsomm: no virtgpu device (%s): %s; is vsomm-host running?\n",
			vsomm.device ? vsomm.device : "default", strerror(-err));
		return EXIT_NO_DEVICE;
	}
	virtgpu_close(probe);

	signal(SIGPIPE, SIG_IGN);
	vsomm.display = wl_display_create();
	if (!vsomm.display) {
		fprintf(stderr, "vsomm: cannot create a Wayland display\n");
		return EXIT_VSOMM_ERROR;
	}
	vsomm.loop = wl_display_get_event_loop(vsomm.display);
	char name[32];
	bool bound = false;
	for (int i = 0; i < 32 && !bound; i++) {
		snprintf(name, sizeof(name), "wayland-vsomm-%d", i);
		bound = wl_display_add_socket(vsomm.display, name) == 0;
	}
	if (!bound) {
		fprintf(stderr, "vsomm: no free socket name wayland-vsomm-0..31 in %s\n",
			getenv("XDG_RUNTIME_DIR"));
		goto out_display;
	}
	struct proxy *proxy = proxy_create(vsomm.display, &options, &channel_backend, &vsomm);
	if (!proxy) {
		fprintf(stderr, "vsomm: cannot create the proxy\n");
		goto out_display;
	}
	struct wl_event_source *sig[4] = {
		wl_event_loop_add_signal(vsomm.loop, SIGCHLD, handle_sigchld, &vsomm),
		wl_event_loop_add_signal(vsomm.loop, SIGINT, handle_forward_signal, &vsomm),
		wl_event_loop_add_signal(vsomm.loop, SIGTERM, handle_forward_signal, &vsomm),
		wl_event_loop_add_signal(vsomm.loop, SIGHUP, handle_forward_signal, &vsomm),
	};
	vsomm_log(VSOMM_LOG_INFO, "serving %s on %s", argv[optind], name);
	vsomm.child = spawn(&argv[optind], name);
	if (vsomm.child < 0) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "fork");
	} else {
		while (!vsomm.done) {
			wl_display_flush_clients(vsomm.display);
			if (wl_event_loop_dispatch(vsomm.loop, -1) < 0 && errno != EINTR)
				break;
		}
	}
	for (size_t i = 0; i < sizeof(sig) / sizeof(sig[0]); i++)
		if (sig[i])
			wl_event_source_remove(sig[i]);
	wl_display_destroy_clients(vsomm.display);
	proxy_destroy(proxy);
out_display:
	wl_display_destroy(vsomm.display);
	return vsomm.exit_code;
}
