/* SPDX-License-Identifier: MIT */
/*
 * vsomm [OPTIONS] [--] APP [ARGS…]
 * vsomm --serve [--socket NAME] [OPTIONS]
 *
 * Serves a Wayland socket with the proxy (proxy/): every client that connects
 * gets its own cross-domain context, and so its own connection to the host
 * compositor, through the virtgpu device.  With APP: a private socket
 * $XDG_RUNTIME_DIR/wayland-vsomm-N for APP and its descendants, and APP's exit
 * status.  With --serve: a session socket until SIGTERM, socket-activated and
 * with readiness notification under systemd.  With --x11, an X display too
 * (proxy/xwm/): Xwayland started on the first X client, as vsomm's child but
 * not one of APP's processes.  Exit codes: launcher/launcher.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wayland-client-core.h>
#include <wayland-server-core.h>

#include "util/log.h"
#include "launcher/launcher.h"
#include "launcher/sd.h"
#include "proxy/proxy.h"
#include "proxy/relay/relay.h"
#include "proxy/xwm/xwm.h"
#include "virtgpu/virtgpu.h"

#define AUTO_SOCKETS 32
#define SERVE_SOCKET "wayland-vsomm"
#define PROBE_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000 /* default grace between a stop signal and SIGKILL */
#define KILL_REPEAT_MS 100   /* SIGKILL again until no descendant is left */

struct config {
	const char *device; /* NULL or "auto": pick */
	const char *socket;
	bool serve;
	enum vsomm_log_level level;
	struct proxy_options proxy;
	char **app;          /* argv of APP, or NULL */
	bool doctor;         /* vsomm doctor: check, run nothing */
	int stop_timeout_ms; /* --stop-timeout */
	bool x11;
	struct vsomm_xserver_options xserver;
};

struct vsomm {
	struct wl_display *display;
	struct wl_event_loop *loop;
	struct launcher_backend_data backend;
	char socket_name[108];
	int activation_lock; /* the .lock of a socket-activated path, or -1 */
	char activation_lock_path[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	pid_t app; /* also the id of APP's process group */
	int app_status;
	bool app_has_terminal; /* APP's group got the terminal's foreground */
	int stopping;          /* the signal that ends the session, 0 until one came */
	int stop_timeout_ms;
	struct wl_event_source *stop_timer;
	bool app_done, children_left, stop;
	struct vsomm_xserver *xserver; /* --x11, else NULL */
};

static const char usage[] =
	"Usage: vsomm [OPTIONS] [--] APP [ARGS...]\n"
	"       vsomm --serve [--socket NAME] [OPTIONS]\n"
	"       vsomm [OPTIONS] doctor [--device SPEC] [--x11] [--xwayland PATH]\n"
	"Run Wayland applications through the cross-domain proxy: each client's\n"
	"connection crosses a virtio-gpu cross-domain context to the host compositor.\n"
	"\n"
	"  -d, --device SPEC       auto, socket:PATH or drm:PATH (env VSOMM_DEVICE;\n"
	"                          auto: a virtio_gpu render node with the cross-domain\n"
	"                          capset, else socket:$XDG_RUNTIME_DIR/vsomm-host.sock)\n"
	"  -s, --serve             serve a session socket for many apps until SIGTERM\n"
	"  -S, --socket NAME       socket name in $XDG_RUNTIME_DIR (env VSOMM_SOCKET;\n"
	"                          default wayland-vsomm-N for APP, " SERVE_SOCKET " for --serve)\n"
	"      --title-prefix S    prefix every window title (env VSOMM_TITLE_PREFIX)\n"
	"      --app-id-prefix S   prefix every app_id (env VSOMM_APP_ID_PREFIX)\n"
	"      --log-level LEVEL   silent, error, info, debug or trace (env\n"
	"                          VSOMM_LOG_LEVEL; default error)\n"
	"      --trace             trace both sides of every message, every fd\n"
	"                          translation and copy (env VSOMM_TRACE=1)\n"
	"      --stop-timeout SEC  after SIGTERM, SIGINT or SIGHUP, SIGKILL what is\n"
	"                          left of APP's processes after SEC seconds (env\n"
	"                          VSOMM_STOP_TIMEOUT; default 5; 0: at once)\n"
	"  -X, --x11               serve an X display too, DISPLAY=:N for APP (env\n"
	"                          VSOMM_X11=1); Xwayland starts on the first X client\n"
	"      --display N         the X display number (env VSOMM_DISPLAY; default:\n"
	"                          the first free one from 0)\n"
	"      --xwayland PATH     the Xwayland to run (env VSOMM_XWAYLAND; default\n"
	"                          Xwayland from PATH)\n"
	"  -h, --help              show this help\n"
	"  -V, --version           show the version\n"
	"\n"
	"Per-client limits (env; a client past one is disconnected alone):\n"
	"VSOMM_LIMIT_OBJECTS, VSOMM_LIMIT_SHADOW_BYTES, VSOMM_LIMIT_PENDING_BYTES.\n"
	"\n"
	"APP runs in its own process group (with the terminal, if vsomm has it).\n"
	"SIGTERM, SIGINT and SIGHUP go to that group and every other process APP\n"
	"started; vsomm exits once none is left.  Otherwise vsomm waits for what\n"
	"APP leaves running (daemons) before it exits.\n"
	"\n"
	"With --x11, X windows show as windows of the host compositor, decorated\n"
	"by the host if it decorates (xdg-decoration), else without title bars.\n"
	"\n"
	"doctor checks, one line each: XDG_RUNTIME_DIR, the device (virtio_gpu\n"
	"render nodes: capset 5, CONTEXT_INIT, RESOURCE_BLOB, host-visible memory; or\n"
	"vsomm-host's socket), a cross-domain context, a round trip to the host\n"
	"compositor, the host's globals vsomm relays and hides, and with --x11\n"
	"Xwayland.  It exits 0 only when vsomm APP would work, else with the code\n"
	"below of the first failure.  (vsomm -- doctor runs an APP called doctor.)\n"
	"\n"
	"Exit status: APP's own, 128+N when APP was killed by signal N; 0 after\n"
	"SIGTERM with --serve.  vsomm's own errors: 1 usage or other error, 2 the\n"
	"socket name or the X display is in use, 3 no device (no virtio_gpu node,\n"
	"no vsomm-host), 4 XDG_RUNTIME_DIR unset, 5 vsomm-host cannot reach the host\n"
	"compositor, 6 Xwayland not found or not executable (--x11), 126 APP is\n"
	"not executable, 127 APP is not found.\n";

/*
 * Lower layers (libwayland, virtgpu) log their view of a failure too; vsomm's
 * own one-line message says it for users, theirs is there at --log-level debug.
 */
static void discard_wl_log(const char *fmt, va_list args)
{
}

static enum vsomm_log_level quiet_begin(void)
{
	enum vsomm_log_level level = vsomm_log_level();
	if (level < VSOMM_LOG_DEBUG) {
		vsomm_log_init(VSOMM_LOG_SILENT, "vsomm");
		wl_log_set_handler_server(discard_wl_log);
		wl_log_set_handler_client(discard_wl_log);
	}
	return level;
}

static void quiet_end(enum vsomm_log_level level)
{
	vsomm_log_init(level, "vsomm");
	wl_log_set_handler_server(vsomm_log_wayland);
	wl_log_set_handler_client(vsomm_log_wayland);
}

/* ---- the socket ---- */

static bool lock_held(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.lock", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool held = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/*
 * libwayland's convention: NAME.lock is flock()ed by the live server; a socket
 * whose lock is free is stale and replaced only under that lock.
 */
static int add_socket_quiet(struct vsomm *vsomm, const char *name)
{
	const char *dir = getenv("XDG_RUNTIME_DIR");
	if (name) {
		if (strchr(name, '/')) {
			fprintf(stderr,
				"vsomm: --socket takes a name in XDG_RUNTIME_DIR, not '%s'\n",
				name);
			return LAUNCHER_EXIT_ERROR;
		}
		if (wl_display_add_socket(vsomm->display, name) == 0) {
			snprintf(vsomm->socket_name, sizeof(vsomm->socket_name), "%s", name);
			return 0;
		}
		if (lock_held(dir, name)) {
			fprintf(stderr, "vsomm: %s/%s is in use by another server\n", dir, name);
			return LAUNCHER_EXIT_IN_USE;
		}
		fprintf(stderr, "vsomm: cannot create the socket %s/%s\n", dir, name);
		return LAUNCHER_EXIT_ERROR;
	}
	for (int i = 0; i < AUTO_SOCKETS; i++) {
		char auto_name[32];
		snprintf(auto_name, sizeof(auto_name), "wayland-vsomm-%d", i);
		if (wl_display_add_socket(vsomm->display, auto_name) == 0) {
			snprintf(vsomm->socket_name, sizeof(vsomm->socket_name), "%s", auto_name);
			return 0;
		}
		if (!lock_held(dir, auto_name)) {
			fprintf(stderr, "vsomm: cannot create the socket %s/%s\n", dir, auto_name);
			return LAUNCHER_EXIT_ERROR;
		}
	}
	fprintf(stderr, "vsomm: wayland-vsomm-0..%d in %s are all in use\n", AUTO_SOCKETS - 1, dir);
	return LAUNCHER_EXIT_IN_USE;
}

static int add_socket(struct vsomm *vsomm, const char *name)
{
	enum vsomm_log_level level = quiet_begin();
	int ret = add_socket_quiet(vsomm, name);
	quiet_end(level);
	return ret;
}

/* Follow the lock convention for a socket systemd bound, so no one takes it as stale. */
static void lock_activated(struct vsomm *vsomm, int fd)
{
	struct sockaddr_un addr;
	socklen_t len = sizeof(addr);
	memset(&addr, 0, sizeof(addr));
	if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0 || addr.sun_family != AF_UNIX ||
	    addr.sun_path[0] != '/')
		return;
	addr.sun_path[sizeof(addr.sun_path) - 1] = '\0';
	const char *base = strrchr(addr.sun_path, '/') + 1;
	snprintf(vsomm->socket_name, sizeof(vsomm->socket_name), "%s", base);
	snprintf(vsomm->activation_lock_path, sizeof(vsomm->activation_lock_path), "%s.lock",
		 addr.sun_path);
	int lock = open(vsomm->activation_lock_path, O_CREAT | O_RDWR | O_CLOEXEC, 0660);
	if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "cannot lock %s", vsomm->activation_lock_path);
		if (lock >= 0)
			close(lock);
		vsomm->activation_lock_path[0] = '\0';
		return;
	}
	vsomm->activation_lock = lock;
}

/* Socket activation (--serve): every fd named "wayland", or the only unnamed one. */
static int add_activated_sockets(struct vsomm *vsomm, struct launcher_sd_fds *fds)
{
	int added = 0, fd;
	while ((fd = launcher_sd_take_fd(fds, "wayland")) >= 0) {
		if (added == 0)
			lock_activated(vsomm, fd);
		if (wl_display_add_socket_fd(vsomm->display, fd) < 0) {
			fprintf(stderr, "vsomm: cannot serve the activated socket fd %d\n", fd);
			close(fd);
			return -1;
		}
		added++;
	}
	for (size_t i = 0; i < fds->count; i++)
		if (fds->fds[i] >= 0)
			vsomm_log(VSOMM_LOG_ERROR, "ignoring activated fd %d named '%s'",
				  fds->fds[i], fds->names[i]);
	launcher_sd_close_rest(fds);
	return added;
}

/* ---- the X display ---- */

static int add_xserver(struct vsomm *vsomm, struct proxy *proxy,
		       const struct vsomm_xserver_options *options)
{
	enum vsomm_log_level level = quiet_begin();
	vsomm->xserver = vsomm_xserver_create(vsomm->display, proxy, options);
	int err = errno;
	quiet_end(level);
	if (vsomm->xserver)
		return 0;
	if (err == EADDRINUSE && options->display >= 0) {
		fprintf(stderr,
			"vsomm: X display :%d is in use by another server (/tmp/.X%d-lock)\n",
			options->display, options->display);
		return LAUNCHER_EXIT_IN_USE;
	}
	if (err == EADDRINUSE) {
		fputs("vsomm: no free X display: :0 to :63 are all in use (--display N picks "
		      "another)\n",
		      stderr);
		return LAUNCHER_EXIT_IN_USE;
	}
	fprintf(stderr, "vsomm: cannot serve an X display: %s\n", strerror(err));
	return LAUNCHER_EXIT_ERROR;
}

/* ---- APP ---- */

/* APP in a process group of its own, with the terminal if vsomm has it. */
static pid_t spawn(char **argv, const char *socket_name, const char *x_display, bool give_terminal)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid != 0) {
		if (pid > 0) {
			/* both sides set the group: either may run first */
			setpgid(pid, pid);
			if (give_terminal)
				launcher_give_terminal(pid);
		}
		return pid;
	}
	setpgid(0, 0);
	if (give_terminal)
		launcher_give_terminal(getpid());
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setenv("WAYLAND_DISPLAY", socket_name, 1);
	unsetenv("WAYLAND_SOCKET");
	if (x_display)
		setenv("DISPLAY", x_display, 1);
	execvp(argv[0], argv);
	int code = errno == ENOENT ? LAUNCHER_EXIT_NOT_FOUND : LAUNCHER_EXIT_NOT_EXECUTABLE;
	fprintf(stderr, "vsomm: %s: %s\n", argv[0], strerror(errno));
	_exit(code);
}

static void begin_stop(struct vsomm *vsomm, int sig);

/*
 * vsomm is a subreaper: descendants that APP leaves behind become its children,
 * so "APP has exited and nothing it started is left" is something waitpid tells.
 */
static int handle_sigchld(int sig, void *data)
{
	struct vsomm *vsomm = data;
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			if (vsomm_xserver_child_exited(vsomm->xserver, pid, status))
				continue;
			if (pid != vsomm->app)
				continue;
			vsomm->app_status = WIFSIGNALED(status) ? 128 + WTERMSIG(status)
								: WEXITSTATUS(status);
			vsomm->app_done = true;
			vsomm_log(VSOMM_LOG_INFO, "APP (pid %d) exited with status %d", (int)pid,
				  vsomm->app_status);
			/*
			 * With the terminal, Ctrl-C, Ctrl-\ or a hangup reaches APP's group,
			 * not vsomm: APP ended by one ends the session as if vsomm got it.
			 */
			int term = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
			if (vsomm->app_has_terminal &&
			    (term == SIGINT || term == SIGQUIT || term == SIGHUP))
				begin_stop(vsomm, term);
			continue;
		}
		/* Xwayland is vsomm's, not something APP left running */
		pid_t xwayland = vsomm_xserver_pid(vsomm->xserver);
		vsomm->children_left = pid == 0 && (xwayland == 0 || launcher_signal_descendants(
									     0, 0, xwayland) > 0);
		/* the loop ends after this iteration: not for a new Xwayland */
		if (vsomm->app_done && !vsomm->children_left)
			vsomm_xserver_begin_stop(vsomm->xserver);
		return 0;
	}
}

/* The grace period is over: SIGKILL every descendant, again until none is left. */
static int handle_stop_timer(void *data)
{
	struct vsomm *vsomm = data;
	int n = launcher_signal_descendants(vsomm->app, SIGKILL, vsomm_xserver_pid(vsomm->xserver));
	if (n > 0) {
		vsomm_log(VSOMM_LOG_INFO, "SIGKILL to %d process(es) left after signal %d", n,
			  vsomm->stopping);
		wl_event_source_timer_update(vsomm->stop_timer, KILL_REPEAT_MS);
	}
	return 0;
}

/*
 * The session ends: `sig` to APP's process group and to every other
 * descendant (double-forked daemons left their group), then SIGKILL to what is
 * left after the grace period.  A second stop signal skips the rest of it.
 */
static void begin_stop(struct vsomm *vsomm, int sig)
{
	if (vsomm->stopping) {
		vsomm_log(VSOMM_LOG_INFO, "signal %d again: SIGKILL now", sig);
		handle_stop_timer(vsomm);
		return;
	}
	vsomm->stopping = sig;
	/* an X client knocking from now on starts no Xwayland */
	vsomm_xserver_begin_stop(vsomm->xserver);
	int n = launcher_signal_descendants(vsomm->app, sig, vsomm_xserver_pid(vsomm->xserver));
	vsomm_log(VSOMM_LOG_INFO, "signal %d to APP's group (%d) and descendants: %d", sig,
		  (int)vsomm->app, n);
	if (n == 0)
		return;
	if (vsomm->stop_timeout_ms == 0) {
		handle_stop_timer(vsomm);
		return;
	}
	wl_event_source_timer_update(vsomm->stop_timer, vsomm->stop_timeout_ms);
}

/* SIGINT/SIGTERM/SIGHUP: they end APP and all it started; with --serve, vsomm. */
static int handle_signal(int sig, void *data)
{
	struct vsomm *vsomm = data;
	if (vsomm->app > 0) {
		begin_stop(vsomm, sig);
	} else {
		vsomm->stop = true;
		vsomm_xserver_begin_stop(vsomm->xserver);
	}
	return 0;
}

/* ---- options ---- */

static bool env_flag(const char *name)
{
	const char *v = getenv(name);
	return v && *v && strcmp(v, "0") != 0 && strcmp(v, "no") != 0;
}

static const char *env_or_null(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* What the options give as strings, checked once they are all read. */
struct option_strings {
	const char *level, *stop_timeout, *display;
	bool x_option; /* --display or --xwayland given */
};

/* One getopt_long pass over argv.  -1: go on; else the exit code. */
static int parse_options(int argc, char **argv, struct config *config, struct option_strings *str)
{
	enum {
		OPT_TITLE = 256,
		OPT_APP_ID,
		OPT_LOG_LEVEL,
		OPT_TRACE,
		OPT_STOP_TIMEOUT,
		OPT_DISPLAY,
		OPT_XWAYLAND,
	};
	static const struct option longopts[] = {
		{"device", required_argument, NULL, 'd'},
		{"serve", no_argument, NULL, 's'},
		{"socket", required_argument, NULL, 'S'},
		{"title-prefix", required_argument, NULL, OPT_TITLE},
		{"app-id-prefix", required_argument, NULL, OPT_APP_ID},
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
		{"trace", no_argument, NULL, OPT_TRACE},
		{"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
		{"x11", no_argument, NULL, 'X'},
		{"display", required_argument, NULL, OPT_DISPLAY},
		{"xwayland", required_argument, NULL, OPT_XWAYLAND},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	int opt;
	/* '+': the first non-option is APP; APP's own options are its own */
	while ((opt = getopt_long(argc, argv, "+d:sS:XhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			config->device = optarg;
			break;
		case 's':
			config->serve = true;
			break;
		case 'S':
			config->socket = optarg;
			break;
		case OPT_TITLE:
			config->proxy.title_prefix = optarg;
			break;
		case OPT_APP_ID:
			config->proxy.app_id_prefix = optarg;
			break;
		case OPT_LOG_LEVEL:
			str->level = optarg;
			break;
		case OPT_TRACE:
			config->proxy.trace = true;
			break;
		case OPT_STOP_TIMEOUT:
			str->stop_timeout = optarg;
			break;
		case 'X':
			config->x11 = true;
			break;
		case OPT_DISPLAY:
			str->display = optarg;
			str->x_option = true;
			break;
		case OPT_XWAYLAND:
			config->xserver.xwayland = optarg;
			str->x_option = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("vsomm %s\n", VSOMM_VERSION);
			return 0;
		default:
			fputs("Try 'vsomm --help'.\n", stderr);
			return LAUNCHER_EXIT_ERROR;
		}
	}
	return -1;
}

/* Environment first, options over it.  -1: go on; else the exit code. */
static int parse_config(int argc, char **argv, struct config *config)
{
	config->device = env_or_null("VSOMM_DEVICE");
	config->socket = env_or_null("VSOMM_SOCKET");
	config->proxy.title_prefix = env_or_null("VSOMM_TITLE_PREFIX");
	config->proxy.app_id_prefix = env_or_null("VSOMM_APP_ID_PREFIX");
	config->proxy.trace = env_flag("VSOMM_TRACE");
	if (!proxy_limits_from_env(&config->proxy.limits))
		return LAUNCHER_EXIT_ERROR;
	config->level = VSOMM_LOG_ERROR;
	config->x11 = env_flag("VSOMM_X11");
	config->xserver.xwayland = env_or_null("VSOMM_XWAYLAND");
	struct option_strings str = {
		.level = env_or_null("VSOMM_LOG_LEVEL"),
		.stop_timeout = env_or_null("VSOMM_STOP_TIMEOUT"),
		.display = env_or_null("VSOMM_DISPLAY"),
	};
	int status = parse_options(argc, argv, config, &str);
	if (status >= 0)
		return status;
	/*
	 * `vsomm [OPTIONS] doctor [OPTIONS]`: the word where APP would be, unless
	 * "--" came before it (`vsomm -- doctor` runs an APP called doctor).
	 */
	if (optind < argc && strcmp(argv[optind], "doctor") == 0 &&
	    strcmp(argv[optind - 1], "--") != 0) {
		config->doctor = true;
		int sub_argc = argc - optind;
		char **sub_argv = argv + optind;
		optind = 0; /* GNU getopt starts over, at sub_argv[1] */
		status = parse_options(sub_argc, sub_argv, config, &str);
		if (status >= 0)
			return status;
		if (optind < sub_argc) {
			fprintf(stderr, "vsomm: doctor takes no argument '%s' (try --help)\n",
				sub_argv[optind]);
			return LAUNCHER_EXIT_ERROR;
		}
		if (config->serve) {
			fputs("vsomm: doctor checks what APP needs: no --serve\n", stderr);
			return LAUNCHER_EXIT_ERROR;
		}
	}
	const char *level = str.level, *stop_timeout = str.stop_timeout, *display = str.display;
	bool x_option = str.x_option;
	if (level && !vsomm_log_parse_level(level, &config->level)) {
		fprintf(stderr,
			"vsomm: unknown log level '%s' (silent, error, info, debug, trace)\n",
			level);
		return LAUNCHER_EXIT_ERROR;
	}
	if (config->proxy.trace && config->level < VSOMM_LOG_TRACE)
		config->level = VSOMM_LOG_TRACE;
	config->stop_timeout_ms = STOP_TIMEOUT_MS;
	if (stop_timeout) {
		char *end;
		errno = 0;
		double sec = strtod(stop_timeout, &end);
		if (errno || end == stop_timeout || *end || !(sec >= 0 && sec <= 86400)) {
			fprintf(stderr, "vsomm: bad stop timeout '%s' (seconds, 0 to 86400)\n",
				stop_timeout);
			return LAUNCHER_EXIT_ERROR;
		}
		config->stop_timeout_ms = (int)(sec * 1000 + 0.5);
	}
	if (x_option && !config->x11) {
		fputs("vsomm: --display and --xwayland go with --x11\n", stderr);
		return LAUNCHER_EXIT_ERROR;
	}
	/* the display the way DISPLAY names it: N or :N */
	config->xserver.display = -1;
	if (display && config->x11) {
		const char *digits = display[0] == ':' ? display + 1 : display;
		char *end;
		errno = 0;
		long n = strtol(digits, &end, 10);
		if (errno || end == digits || *end || n < 0 || n > 65535) {
			fprintf(stderr, "vsomm: bad X display '%s' (a number, 0 to 65535)\n",
				display);
			return LAUNCHER_EXIT_ERROR;
		}
		config->xserver.display = (int)n;
	}
	config->xserver.lazy = true;
	config->xserver.stop_timeout_ms = config->stop_timeout_ms;
	if (config->device && strcmp(config->device, "auto") == 0)
		config->device = NULL;
	if (config->doctor)
		return -1;
	if (config->serve && optind < argc) {
		fprintf(stderr, "vsomm: --serve takes no APP ('%s')\n", argv[optind]);
		return LAUNCHER_EXIT_ERROR;
	}
	if (!config->serve && optind >= argc) {
		fputs("vsomm: no APP given (try --help)\n", stderr);
		return LAUNCHER_EXIT_ERROR;
	}
	config->app = config->serve ? NULL : &argv[optind];
	return -1;
}

/* ---- the two modes ---- */

static int check_device(const char *device)
{
	int err;
	enum vsomm_log_level level = quiet_begin();
	enum launcher_probe probe = launcher_probe_compositor(device, PROBE_TIMEOUT_MS, &err);
	quiet_end(level);
	switch (probe) {
	case LAUNCHER_PROBE_OK:
		return 0;
	case LAUNCHER_PROBE_NO_DEVICE:
		if (device && strncmp(device, "drm:", 4) == 0) {
			/* The drm backend says which check failed (no capset 5,
			 * CONTEXT_INIT, GET_CAPS…): open once more, not quietly. */
			struct virtgpu *dev = NULL;
			if (virtgpu_open(device, &dev) == 0)
				virtgpu_close(dev);
		}
		if (device)
			fprintf(stderr, "vsomm: cannot open the device %s: %s\n", device,
				strerror(-err));
		else
			fprintf(stderr,
				"vsomm: no device: no virtio_gpu render node with cross-domain, and "
				"no vsomm-host on %s/vsomm-host.sock (%s)\n",
				getenv("XDG_RUNTIME_DIR"), strerror(-err));
		return LAUNCHER_EXIT_NO_DEVICE;
	case LAUNCHER_PROBE_NO_CHANNEL:
		fprintf(stderr, "vsomm: the device %s has no cross-domain Wayland channel: %s\n",
			device ? device : "(default)", strerror(-err));
		return LAUNCHER_EXIT_NO_DEVICE;
	case LAUNCHER_PROBE_NO_COMPOSITOR:
		fputs("vsomm: vsomm-host cannot reach the host compositor (see vsomm-host's log; "
		      "is its --compositor running?)\n",
		      stderr);
		return LAUNCHER_EXIT_NO_COMPOSITOR;
	case LAUNCHER_PROBE_TIMEOUT:
		fprintf(stderr, "vsomm: the host compositor did not answer within %d s\n",
			PROBE_TIMEOUT_MS / 1000);
		return LAUNCHER_EXIT_NO_COMPOSITOR;
	}
	return LAUNCHER_EXIT_ERROR;
}

static int run_app(struct vsomm *vsomm, char **app)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		vsomm_log_errno(VSOMM_LOG_ERROR, "PR_SET_CHILD_SUBREAPER");
	vsomm->stop_timer = wl_event_loop_add_timer(vsomm->loop, handle_stop_timer, vsomm);
	if (!vsomm->stop_timer) {
		fputs("vsomm: cannot create a timer\n", stderr);
		return LAUNCHER_EXIT_ERROR;
	}
	const char *x = vsomm->xserver ? vsomm_xserver_display_name(vsomm->xserver) : NULL;
	vsomm_log(VSOMM_LOG_INFO, "running %s on %s%s%s", app[0], vsomm->socket_name,
		  x ? " and X display " : "", x ? x : "");
	vsomm->app_has_terminal = launcher_holds_terminal();
	vsomm->app = spawn(app, vsomm->socket_name, x, vsomm->app_has_terminal);
	if (vsomm->app < 0) {
		fprintf(stderr, "vsomm: fork: %s\n", strerror(errno));
		return LAUNCHER_EXIT_ERROR;
	}
	vsomm->children_left = true;
	int status = vsomm->app_status;
	while (!(vsomm->app_done && !vsomm->children_left)) {
		wl_display_flush_clients(vsomm->display);
		if (wl_event_loop_dispatch(vsomm->loop, -1) < 0 && errno != EINTR) {
			fprintf(stderr, "vsomm: event loop: %s\n", strerror(errno));
			status = LAUNCHER_EXIT_ERROR;
			break;
		}
		status = vsomm->app_status;
	}
	if (vsomm->app_has_terminal)
		launcher_give_terminal(getpgrp());
	wl_event_source_remove(vsomm->stop_timer);
	vsomm->stop_timer = NULL;
	return status;
}

static int run_serve(struct vsomm *vsomm)
{
	const char *device = vsomm->backend.device;
	const char *x = vsomm->xserver ? vsomm_xserver_display_name(vsomm->xserver) : NULL;
	vsomm_log(VSOMM_LOG_INFO, "serving %s%s%s", vsomm->socket_name, x ? " and X display " : "",
		  x ? x : "");
	launcher_sd_notifyf("READY=1\nSTATUS=serving %s%s%s on %s", vsomm->socket_name,
			    x ? " and X display " : "", x ? x : "",
			    device ? device : "the default device");
	while (!vsomm->stop) {
		wl_display_flush_clients(vsomm->display);
		if (wl_event_loop_dispatch(vsomm->loop, -1) < 0 && errno != EINTR) {
			fprintf(stderr, "vsomm: event loop: %s\n", strerror(errno));
			return LAUNCHER_EXIT_ERROR;
		}
	}
	launcher_sd_notify("STOPPING=1\nSTATUS=stopping");
	return 0;
}

int main(int argc, char **argv)
{
	struct config config = {0};
	int status = parse_config(argc, argv, &config);
	if (status >= 0)
		return status;
	vsomm_log_init(config.level, "vsomm");
	wl_log_set_handler_server(vsomm_log_wayland);
	wl_log_set_handler_client(vsomm_log_wayland);
	if (config.doctor) {
		const struct launcher_doctor_options doctor = {
			.device = config.device,
			.x11 = config.x11,
			.xwayland = config.xserver.xwayland,
		};
		return launcher_doctor(&doctor);
	}

	struct launcher_sd_fds fds = {0};
	if (config.serve && launcher_sd_listen_fds(&fds) < 0)
		return LAUNCHER_EXIT_ERROR;
	if (!config.serve) {
		/* socket activation is for --serve: APP must not inherit the variables */
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
	}
	if (config.app && (status = launcher_find_program(config.app[0], NULL, 0)) != 0) {
		fprintf(stderr, "vsomm: %s: %s\n", config.app[0],
			status == LAUNCHER_EXIT_NOT_FOUND ? "command not found" : "not executable");
		return status;
	}
	/* at start, not when the first X client comes: a bad path is a setup error */
	const char *xwayland = config.xserver.xwayland ? config.xserver.xwayland : "Xwayland";
	if (config.x11 && (status = launcher_find_program(xwayland, NULL, 0)) != 0) {
		fprintf(stderr, "vsomm: %s: %s (--x11 runs it; --xwayland PATH picks another)\n",
			xwayland,
			status == LAUNCHER_EXIT_NOT_FOUND ? "command not found" : "not executable");
		launcher_sd_close_rest(&fds);
		return LAUNCHER_EXIT_NO_XWAYLAND;
	}
	char picked[4200];
	/* auto: a virtio_gpu render node with capset 5, else vsomm-host's socket (NULL) */
	if (!config.device &&
	    virtgpu_find_render_node(VIRTGPU_DRI_DIR, picked, sizeof(picked)) == 0)
		config.device = picked;
	const char *dir = getenv("XDG_RUNTIME_DIR");
	if ((!dir || dir[0] != '/') && (fds.count == 0 || !config.device)) {
		fputs("vsomm: XDG_RUNTIME_DIR is not set (or not an absolute path)\n", stderr);
		launcher_sd_close_rest(&fds);
		return LAUNCHER_EXIT_NO_RUNTIME_DIR;
	}
	/* APP gets a working socket or a clear error; a session proxy waits for the host. */
	if (config.app && (status = check_device(config.device)) != 0)
		return status;

	struct vsomm vsomm = {.activation_lock = -1, .stop_timeout_ms = config.stop_timeout_ms};
	signal(SIGPIPE, SIG_IGN);
	vsomm.display = wl_display_create();
	if (!vsomm.display) {
		fputs("vsomm: cannot create a Wayland display\n", stderr);
		launcher_sd_close_rest(&fds);
		return LAUNCHER_EXIT_ERROR;
	}
	vsomm.loop = wl_display_get_event_loop(vsomm.display);
	vsomm.backend = (struct launcher_backend_data){.loop = vsomm.loop, .device = config.device};
	struct proxy *proxy = NULL;
	struct relay_server *relay = NULL;
	const char *relay_env = getenv("VSOMM_RELAY");
	bool relay_bytes = relay_env && strcmp(relay_env, "bytes") == 0;
	struct wl_event_source *sources[4] = {0};
	status = LAUNCHER_EXIT_ERROR;
	if (fds.count > 0) {
		int added = add_activated_sockets(&vsomm, &fds);
		if (added <= 0) {
			if (added == 0)
				fputs("vsomm: socket activation passed no fd named 'wayland'\n",
				      stderr);
			goto out;
		}
	} else {
		status = add_socket(&vsomm, config.socket  ? config.socket
					    : config.serve ? SERVE_SOCKET
							   : NULL);
		if (status != 0)
			goto out;
		status = LAUNCHER_EXIT_ERROR;
	}
	if (relay_bytes) {
		/* development only (docs/relay-core.md): the byte relay core,
		 * which has none of the proxy's hooks yet */
		struct relay_options options = {
			.title_prefix = config.proxy.title_prefix,
			.app_id_prefix = config.proxy.app_id_prefix,
		};

		if (config.x11) {
			fputs("vsomm: VSOMM_RELAY=bytes does not serve --x11 yet\n", stderr);
			goto out;
		}
		relay = relay_server_create(vsomm.display, &options, &launcher_relay_host_ops,
					    &vsomm.backend);
		if (!relay) {
			fputs("vsomm: cannot create the relay\n", stderr);
			goto out;
		}
	} else {
		proxy = proxy_create(vsomm.display, &config.proxy, &launcher_channel_backend,
				     &vsomm.backend);
		if (!proxy) {
			fputs("vsomm: cannot create the proxy\n", stderr);
			goto out;
		}
	}
	if (config.x11 && (status = add_xserver(&vsomm, proxy, &config.xserver)) != 0)
		goto out;
	status = LAUNCHER_EXIT_ERROR;
	static const int signals[] = {SIGINT, SIGTERM, SIGHUP};
	for (size_t i = 0; i < 3; i++) {
		sources[i] = wl_event_loop_add_signal(vsomm.loop, signals[i], handle_signal,
						      &vsomm);
		if (!sources[i])
			goto out_signals;
	}
	/* APP's processes, and Xwayland */
	if (config.app || vsomm.xserver) {
		sources[3] = wl_event_loop_add_signal(vsomm.loop, SIGCHLD, handle_sigchld, &vsomm);
		if (!sources[3])
			goto out_signals;
	}
	if (config.app) {
		status = run_app(&vsomm, config.app);
	} else {
		status = run_serve(&vsomm);
	}
	goto out_sources;
out_signals:
	fputs("vsomm: cannot watch signals\n", stderr);
out_sources:
	for (size_t i = 0; i < 4; i++)
		if (sources[i])
			wl_event_source_remove(sources[i]);
out:
	/* Xwayland and its XWM go first: they are a client of the proxy */
	vsomm_xserver_destroy(vsomm.xserver);
	wl_display_destroy_clients(vsomm.display);
	relay_server_destroy(relay);
	proxy_destroy(proxy);
	wl_display_destroy(vsomm.display); /* removes the socket and its .lock */
	if (vsomm.activation_lock >= 0) {
		unlink(vsomm.activation_lock_path);
		close(vsomm.activation_lock);
	}
	return status;
}
