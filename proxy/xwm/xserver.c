/* SPDX-License-Identifier: MIT */
/*
 * The X display vsomm serves, and Xwayland's process behind it.
 *
 * The display is claimed the way X servers claim one, so that X servers and
 * clients of the machine agree on who owns it: the lock file /tmp/.XN-lock
 * holds the owner's pid as 10 characters and a newline (a lock whose pid is
 * dead is stale and taken over), and the listening sockets are
 * /tmp/.X11-unix/XN and the abstract @/tmp/.X11-unix/XN, which is what Xlib
 * and XCB try for DISPLAY=:N.  vsomm owns all three for its whole life, not
 * Xwayland, which may come and go.
 *
 * Lazy start: vsomm listens itself and starts Xwayland only when the first X
 * client connects, as sommelier and Weston do.  A session that never runs an
 * X application pays nothing for X (Xwayland is ~30 MB and a few hundred ms
 * of start-up), and DISPLAY is valid from the start, so APP and whatever it
 * starts can use it at any time.  The listening sockets are handed to
 * Xwayland (-listenfd), which accepts the pending client itself; vsomm stops
 * watching them while Xwayland runs.
 *
 * Stopping: once the launcher says the session ends
 * (vsomm_xserver_begin_stop: a stop signal, APP and all it started gone), no
 * Xwayland is started any more; X clients that knock are turned away.  An
 * Xwayland started then would be killed, or lose its Wayland connection
 * (the host going away with the session), while it starts.
 *
 * Not -terminate: Xwayland stays up once started.  X session state lives in
 * the server (xrdb resources, keymaps set with setxkbmap, selections), and
 * launchers start X clients one after the other; restarting the server
 * between two of them would drop that state and cost a start-up each time.
 *
 * Xwayland dying is reported once (error level, with its status) and vsomm
 * goes back to listening: the next X client starts a new Xwayland, while the
 * Wayland clients and APP carry on.  X clients still queued on the sockets
 * when an Xwayland died before it was ready are disconnected, so that a
 * server that cannot start is not restarted in a loop by the same client.
 *
 * Xwayland runs as a client of vsomm's own wl_display (the Wayland end of a
 * socketpair, WAYLAND_SOCKET), which the proxy relays like any other client;
 * proxy_manage_client() makes its surfaces wait for roles from the XWM.  With
 * -wm, Xwayland serves other X clients only once the window manager owns
 * WM_S0, so the XWM is created as soon as Xwayland writes its display number
 * on -displayfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "proxy/window.h"
#include "proxy/xwm/xwm.h"
#include "util/log.h"

#define X11_UNIX_DIR "/tmp/.X11-unix"
#define AUTO_DISPLAYS 64 /* :0 to :63 for options->display == -1 */
#define MAX_DISPLAY 65535
#define LISTEN_BACKLOG 128
#define STOP_POLL_MS 10

enum {
	SOCKET_PATH,
	SOCKET_ABSTRACT,
	SOCKET_COUNT
};

struct vsomm_xserver {
	struct wl_display *display;
	struct wl_event_loop *loop;
	struct proxy *proxy;
	char *xwayland;
	int stop_timeout_ms;
	int number;
	char name[16];
	char lock_path[64];
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fds[SOCKET_COUNT];
	struct wl_event_source *listen_sources[SOCKET_COUNT];

	/* The running Xwayland; pid 0 when there is none. */
	pid_t pid;
	bool ready;    /* it wrote its display number */
	bool stopping; /* vsomm is stopping it: its exit is no news */
	bool closing;  /* the session ends: no new Xwayland (vsomm_xserver_begin_stop) */
	struct wl_client *client;
	struct wl_listener client_destroy;
	int wm_fd; /* our end of -wm, until xwm_create takes it */
	int displayfd;
	struct wl_event_source *displayfd_source;
	char displayfd_buf[16];
	size_t displayfd_len;
	struct xwm *xwm;
};

/* ---- the display: lock file and sockets ---- */

enum claim {
	CLAIM_OK,
	CLAIM_IN_USE,
	CLAIM_ERROR
};

/* The pid an X lock file holds: > 0; 0 when it holds none; -1 (errno) when unreadable. */
static pid_t lock_owner(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	char buf[12];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n != 11 || buf[10] != '\n')
		return 0;
	buf[n] = '\0';
	char *end;
	long pid = strtol(buf, &end, 10);
	return *end == '\n' && pid > 0 && pid <= 0x7fffffff ? (pid_t)pid : 0;
}

/*
 * /tmp/.XN-lock with our pid.  Written to a file of our own first and then
 * link()ed into place, so that the lock never exists without its pid: another
 * server reading a half-written lock would take it for garbage.  link() fails
 * with EEXIST exactly when O_EXCL would.
 */
static enum claim claim_lock(struct vsomm_xserver *server, int number)
{
	char tmp[64];
	snprintf(server->lock_path, sizeof(server->lock_path), "/tmp/.X%d-lock", number);
	snprintf(tmp, sizeof(tmp), "/tmp/.vsomm-X%d-lock.%d", number, (int)getpid());
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0444);
	if (fd < 0) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "cannot create %s", tmp);
		return CLAIM_ERROR;
	}
	char pid[16];
	int len = snprintf(pid, sizeof(pid), "%10d\n", (int)getpid());
	bool written = write(fd, pid, len) == len;
	close(fd);
	if (!written) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "cannot write %s", tmp);
		unlink(tmp);
		return CLAIM_ERROR;
	}
	enum claim ret = CLAIM_IN_USE;
	for (int tries = 0; tries < 3; tries++) {
		if (link(tmp, server->lock_path) == 0) {
			ret = CLAIM_OK;
			break;
		}
		if (errno != EEXIST) {
			vsomm_log_errno(VSOMM_LOG_ERROR, "cannot create %s", server->lock_path);
			ret = CLAIM_ERROR;
			break;
		}
		pid_t owner = lock_owner(server->lock_path);
		if (owner < 0 && errno == ENOENT)
			continue; /* its owner just removed it */
		if (owner <= 0) {
			/* no pid to check: leave it to whoever wrote it */
			vsomm_log(VSOMM_LOG_INFO, "%s holds no pid: :%d taken as in use",
				  server->lock_path, number);
			break;
		}
		if (kill(owner, 0) == 0 || errno == EPERM) {
			vsomm_log(VSOMM_LOG_INFO, ":%d is in use by pid %d (%s)", number,
				  (int)owner, server->lock_path);
			break;
		}
		vsomm_log(VSOMM_LOG_INFO, "%s: pid %d is gone, taking the stale lock over",
			  server->lock_path, (int)owner);
		if (unlink(server->lock_path) < 0 && errno != ENOENT) {
			vsomm_log_errno(VSOMM_LOG_ERROR, "cannot remove %s", server->lock_path);
			ret = CLAIM_ERROR;
			break;
		}
	}
	unlink(tmp);
	return ret;
}

static void release_lock(struct vsomm_xserver *server)
{
	/* only our own: a lock someone took over (as stale) is theirs */
	if (server->lock_path[0] && lock_owner(server->lock_path) == getpid())
		unlink(server->lock_path);
	server->lock_path[0] = '\0';
}

static int listen_on(const struct sockaddr_un *addr, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (const struct sockaddr *)addr, len) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* /tmp/.X11-unix, world-writable and sticky like /tmp, as X servers make it. */
static bool make_socket_dir(void)
{
	if (mkdir(X11_UNIX_DIR, 01777) == 0) {
		/* mkdir's mode went through the umask */
		if (chmod(X11_UNIX_DIR, 01777) < 0)
			vsomm_log_errno(VSOMM_LOG_ERROR, "chmod %s", X11_UNIX_DIR);
		return true;
	}
	struct stat st;
	if (errno != EEXIST || lstat(X11_UNIX_DIR, &st) < 0)
		return false;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return false;
	}
	return true;
}

static void close_sockets(struct vsomm_xserver *server)
{
	for (int i = 0; i < SOCKET_COUNT; i++) {
		if (server->listen_fds[i] >= 0)
			close(server->listen_fds[i]);
		server->listen_fds[i] = -1;
	}
	if (server->socket_path[0])
		unlink(server->socket_path);
	server->socket_path[0] = '\0';
}

static enum claim claim_display(struct vsomm_xserver *server, int number)
{
	enum claim claim = claim_lock(server, number);
	if (claim != CLAIM_OK)
		return claim;

	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int n = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, X11_UNIX_DIR "/X%d", number);
	server->listen_fds[SOCKET_ABSTRACT] = listen_on(
		&addr, offsetof(struct sockaddr_un, sun_path) + 1 + n);
	if (server->listen_fds[SOCKET_ABSTRACT] < 0) {
		/* a server without a lock file (or in another mount namespace) has it */
		claim = errno == EADDRINUSE ? CLAIM_IN_USE : CLAIM_ERROR;
		vsomm_log_errno(claim == CLAIM_IN_USE ? VSOMM_LOG_INFO : VSOMM_LOG_ERROR,
				"cannot listen on @%s", addr.sun_path + 1);
		goto err;
	}

	memmove(addr.sun_path, addr.sun_path + 1, n + 1);
	/* we hold the lock: a socket left there is a dead server's */
	unlink(addr.sun_path);
	server->listen_fds[SOCKET_PATH] = listen_on(&addr, sizeof(addr));
	if (server->listen_fds[SOCKET_PATH] < 0) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "cannot listen on %s", addr.sun_path);
		claim = CLAIM_ERROR;
		goto err;
	}
	snprintf(server->socket_path, sizeof(server->socket_path), "%s", addr.sun_path);
	server->number = number;
	snprintf(server->name, sizeof(server->name), ":%d", number);
	return CLAIM_OK;

err:;
	int err = errno;
	close_sockets(server);
	release_lock(server);
	errno = err;
	return claim;
}

/* ---- watching the sockets (lazy start) ---- */

static int handle_listen(int fd, uint32_t mask, void *data);

static void unwatch(struct vsomm_xserver *server)
{
	for (int i = 0; i < SOCKET_COUNT; i++) {
		if (server->listen_sources[i])
			wl_event_source_remove(server->listen_sources[i]);
		server->listen_sources[i] = NULL;
	}
}

static bool watch(struct vsomm_xserver *server)
{
	for (int i = 0; i < SOCKET_COUNT; i++) {
		server->listen_sources[i] = wl_event_loop_add_fd(
			server->loop, server->listen_fds[i], WL_EVENT_READABLE, handle_listen,
			server);
		if (!server->listen_sources[i]) {
			vsomm_log_errno(VSOMM_LOG_ERROR, "cannot watch the X sockets");
			unwatch(server);
			return false;
		}
	}
	return true;
}

/* Disconnect the X clients queued on the sockets; how many. */
static int close_pending(struct vsomm_xserver *server)
{
	int dropped = 0;
	for (int i = 0; i < SOCKET_COUNT; i++) {
		int fd;
		while ((fd = accept4(server->listen_fds[i], NULL, NULL, SOCK_CLOEXEC)) >= 0) {
			close(fd);
			dropped++;
		}
	}
	return dropped;
}

/* Disconnect the X clients queued on the sockets (an Xwayland failed). */
static void drop_pending(struct vsomm_xserver *server)
{
	int dropped = close_pending(server);
	if (dropped)
		vsomm_log(VSOMM_LOG_ERROR, "%d X client(s) waiting for Xwayland disconnected",
			  dropped);
}

/* ---- Xwayland's process ---- */

static void close_displayfd(struct vsomm_xserver *server)
{
	if (server->displayfd_source)
		wl_event_source_remove(server->displayfd_source);
	server->displayfd_source = NULL;
	if (server->displayfd >= 0)
		close(server->displayfd);
	server->displayfd = -1;
}

/* Xwayland's Wayland connection is gone: the XWM, which works on it, goes too. */
static void handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct vsomm_xserver *server = wl_container_of(listener, server, client_destroy);
	wl_list_remove(&server->client_destroy.link);
	server->client = NULL;
	xwm_destroy(server->xwm);
	server->xwm = NULL;
}

/* Everything of the current Xwayland but its process. */
static void forget_xwayland(struct vsomm_xserver *server)
{
	xwm_destroy(server->xwm);
	server->xwm = NULL;
	if (server->client) {
		struct wl_client *client = server->client;
		wl_list_remove(&server->client_destroy.link);
		server->client = NULL;
		wl_client_destroy(client);
	}
	if (server->wm_fd >= 0)
		close(server->wm_fd);
	server->wm_fd = -1;
	close_displayfd(server);
}

/* -displayfd: Xwayland writes "N\n" once it is ready for the window manager. */
static int handle_displayfd(int fd, uint32_t mask, void *data)
{
	struct vsomm_xserver *server = data;
	size_t room = sizeof(server->displayfd_buf) - 1 - server->displayfd_len;
	ssize_t n = read(fd, server->displayfd_buf + server->displayfd_len, room);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		/* it failed before it was ready; its exit is reported when it is reaped */
		close_displayfd(server);
		return 0;
	}
	server->displayfd_len += n;
	server->displayfd_buf[server->displayfd_len] = '\0';
	if (!strchr(server->displayfd_buf, '\n')) {
		if (server->displayfd_len == sizeof(server->displayfd_buf) - 1) {
			vsomm_log(VSOMM_LOG_ERROR, "Xwayland wrote garbage on -displayfd");
			close_displayfd(server);
		}
		return 0;
	}
	close_displayfd(server);
	if (atoi(server->displayfd_buf) != server->number)
		vsomm_log(VSOMM_LOG_ERROR, "Xwayland reports display %d, not %s",
			  atoi(server->displayfd_buf), server->name);
	server->ready = true;
	vsomm_log(VSOMM_LOG_INFO, "Xwayland (pid %d) is ready on %s", (int)server->pid,
		  server->name);
	if (!server->client) {
		/* its Wayland connection is gone: it is about to exit */
		return 0;
	}
	int wm_fd = server->wm_fd;
	server->wm_fd = -1;
	server->xwm = xwm_create(server->loop, server->proxy, server->client, wm_fd);
	if (!server->xwm) {
		/* without the WM owning WM_S0, Xwayland never accepts an X client */
		vsomm_log(VSOMM_LOG_ERROR, "cannot start the X window manager: stopping Xwayland");
		kill(server->pid, SIGTERM);
	}
	return 0;
}

static void unset_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);
	if (flags >= 0)
		fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC);
}

/* The child: Xwayland with our ends of everything.  Never returns. */
static void exec_xwayland(const struct vsomm_xserver *server, pid_t parent, int wayland_fd,
			  int wm_fd, int displayfd)
{
	/* a session of its own: the terminal's signals are for APP, vsomm stops Xwayland */
	setsid();
	/* and if vsomm dies without stopping it, it goes too */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);

	int fds[] = {wayland_fd, wm_fd, displayfd, server->listen_fds[SOCKET_PATH],
		     server->listen_fds[SOCKET_ABSTRACT]};
	char args[5][16];
	for (size_t i = 0; i < 5; i++) {
		unset_cloexec(fds[i]);
		snprintf(args[i], sizeof(args[i]), "%d", fds[i]);
	}
	setenv("WAYLAND_SOCKET", args[0], 1);
	unsetenv("WAYLAND_DISPLAY"); /* nothing but vsomm's connection */
	/*
	 * -noreset: an X server resets when its last client goes, and a reset
	 * reconnects to Wayland, which WAYLAND_SOCKET allows once: Xwayland
	 * would die of it, noisily.
	 */
	char *argv[] = {
		server->xwayland,
		(char *)server->name,
		"-rootless",
		"-noreset",
		"-nolisten",
		"tcp",
		"-listenfd",
		args[3],
		"-listenfd",
		args[4],
		"-wm",
		args[1],
		"-displayfd",
		args[2],
		NULL,
	};
	execvp(argv[0], argv);
	fprintf(stderr, "vsomm: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static bool start_xwayland(struct vsomm_xserver *server)
{
	int wayland[2] = {-1, -1}, wm[2] = {-1, -1}, displayfd[2] = {-1, -1};
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, wayland) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, wm) < 0 ||
	    pipe2(displayfd, O_CLOEXEC) < 0) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "cannot start Xwayland");
		goto err;
	}
	pid_t parent = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		exec_xwayland(server, parent, wayland[1], wm[1], displayfd[1]);
	if (pid < 0) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "cannot start Xwayland: fork");
		goto err;
	}
	close(wayland[1]);
	close(wm[1]);
	close(displayfd[1]);
	server->pid = pid;
	server->ready = false;
	server->wm_fd = wm[0];
	server->displayfd = displayfd[0];
	server->displayfd_len = 0;
	fcntl(server->displayfd, F_SETFL, O_NONBLOCK);
	vsomm_log(VSOMM_LOG_INFO, "an X client on %s: started %s (pid %d)", server->name,
		  server->xwayland, (int)pid);

	/* From here on, a failure stops Xwayland and its exit cleans up. */
	server->client = wl_client_create(server->display, wayland[0]);
	if (!server->client) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "cannot serve Xwayland's Wayland connection");
		close(wayland[0]);
		kill(pid, SIGKILL);
		return true;
	}
	server->client_destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(server->client, &server->client_destroy);
	if (!proxy_manage_client(server->proxy, server->client))
		vsomm_log(VSOMM_LOG_ERROR, "the proxy does not manage Xwayland's surfaces");
	server->displayfd_source = wl_event_loop_add_fd(server->loop, server->displayfd,
							WL_EVENT_READABLE | WL_EVENT_HANGUP,
							handle_displayfd, server);
	if (!server->displayfd_source) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "cannot watch Xwayland's -displayfd");
		kill(pid, SIGKILL);
	}
	return true;

err:
	for (int i = 0; i < 2; i++) {
		if (wayland[i] >= 0)
			close(wayland[i]);
		if (wm[i] >= 0)
			close(wm[i]);
		if (displayfd[i] >= 0)
			close(displayfd[i]);
	}
	return false;
}

/* An X client knocks: Xwayland takes the sockets over until it exits. */
static int handle_listen(int fd, uint32_t mask, void *data)
{
	struct vsomm_xserver *server = data;
	if (server->closing) {
		int n = close_pending(server);
		if (n)
			vsomm_log(VSOMM_LOG_INFO, "%d X client(s) turned away: the session ends",
				  n);
		return 0;
	}
	unwatch(server);
	if (!start_xwayland(server)) {
		drop_pending(server);
		watch(server);
	}
	return 0;
}

static void report_exit(const struct vsomm_xserver *server, pid_t pid, int status)
{
	const char *when = server->ready ? "" : " before it was ready";
	if (WIFSIGNALED(status))
		vsomm_log(VSOMM_LOG_ERROR,
			  "Xwayland (pid %d) was killed by signal %d (%s)%s; the next X client on "
			  "%s starts a new one",
			  (int)pid, WTERMSIG(status), strsignal(WTERMSIG(status)), when,
			  server->name);
	else
		vsomm_log(VSOMM_LOG_ERROR,
			  "Xwayland (pid %d) exited with status %d%s; the next X client on %s "
			  "starts a new one",
			  (int)pid, WEXITSTATUS(status), when, server->name);
}

bool vsomm_xserver_child_exited(struct vsomm_xserver *server, pid_t pid, int status)
{
	if (!server || pid <= 0 || pid != server->pid)
		return false;
	server->pid = 0;
	if (!server->stopping)
		report_exit(server, pid, status);
	forget_xwayland(server);
	if (!server->stopping) {
		if (!server->ready)
			drop_pending(server);
		watch(server);
	}
	return true;
}

/* ---- the boundary ---- */

struct vsomm_xserver *vsomm_xserver_create(struct wl_display *display, struct proxy *proxy,
					   const struct vsomm_xserver_options *options)
{
	if (options->display < -1 || options->display > MAX_DISPLAY) {
		vsomm_log(VSOMM_LOG_ERROR, "no X display %d (0 to %d)", options->display,
			  MAX_DISPLAY);
		errno = EINVAL;
		return NULL;
	}
	struct vsomm_xserver *server = calloc(1, sizeof(*server));
	if (!server)
		return NULL;
	server->display = display;
	server->loop = wl_display_get_event_loop(display);
	server->proxy = proxy;
	server->stop_timeout_ms = options->stop_timeout_ms;
	server->wm_fd = -1;
	server->displayfd = -1;
	for (int i = 0; i < SOCKET_COUNT; i++)
		server->listen_fds[i] = -1;
	server->xwayland = strdup(options->xwayland ? options->xwayland : "Xwayland");
	if (!server->xwayland)
		goto err;

	if (!make_socket_dir()) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "cannot create %s", X11_UNIX_DIR);
		goto err;
	}
	int first = options->display < 0 ? 0 : options->display;
	int last = options->display < 0 ? AUTO_DISPLAYS - 1 : options->display;
	enum claim claim = CLAIM_IN_USE;
	for (int n = first; n <= last && claim == CLAIM_IN_USE; n++) {
		errno = 0;
		claim = claim_display(server, n);
	}
	if (claim != CLAIM_OK) {
		int err = claim == CLAIM_IN_USE ? EADDRINUSE : errno ? errno : EIO;
		if (claim == CLAIM_IN_USE)
			vsomm_log(VSOMM_LOG_ERROR, "no free X display from :%d to :%d", first,
				  last);
		free(server->xwayland);
		free(server);
		errno = err;
		return NULL;
	}
	vsomm_log(VSOMM_LOG_INFO, "X display %s (%s, %s)", server->name, server->socket_path,
		  server->lock_path);

	if (options->lazy ? !watch(server) : !start_xwayland(server)) {
		vsomm_xserver_destroy(server);
		errno = EIO;
		return NULL;
	}
	return server;

err:;
	int err = errno;
	free(server->xwayland);
	free(server);
	errno = err;
	return NULL;
}

const char *vsomm_xserver_display_name(const struct vsomm_xserver *server)
{
	return server->name;
}

pid_t vsomm_xserver_pid(const struct vsomm_xserver *server)
{
	return server ? server->pid : 0;
}

/* SIGTERM, SIGKILL after the stop timeout, and reap it. */
static void stop_xwayland(struct vsomm_xserver *server)
{
	pid_t pid = server->pid;
	int status = 0;
	server->stopping = true;
	/* the server first: it closes its clients, the XWM among them, and exits */
	kill(pid, server->stop_timeout_ms > 0 ? SIGTERM : SIGKILL);
	struct timespec tick = {.tv_nsec = STOP_POLL_MS * 1000000L};
	pid_t got = 0;
	for (int waited = 0; waited < server->stop_timeout_ms; waited += STOP_POLL_MS) {
		got = waitpid(pid, &status, WNOHANG);
		if (got != 0)
			break;
		nanosleep(&tick, NULL);
	}
	if (got == 0) {
		if (server->stop_timeout_ms > 0)
			vsomm_log(VSOMM_LOG_ERROR, "Xwayland (pid %d) ignored SIGTERM: SIGKILL",
				  (int)pid);
		kill(pid, SIGKILL);
		while ((got = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
	}
	vsomm_xserver_child_exited(server, pid, status);
	server->pid = 0; /* also when someone else reaped it (got < 0) */
}

void vsomm_xserver_begin_stop(struct vsomm_xserver *server)
{
	if (server && !server->closing) {
		server->closing = true;
		vsomm_log(VSOMM_LOG_DEBUG, "%s: no new Xwayland from now on", server->name);
	}
}

void vsomm_xserver_destroy(struct vsomm_xserver *server)
{
	if (!server)
		return;
	unwatch(server);
	server->stopping = true;
	if (server->pid > 0)
		stop_xwayland(server);
	forget_xwayland(server);
	close_sockets(server);
	release_lock(server);
	free(server->xwayland);
	free(server);
}
