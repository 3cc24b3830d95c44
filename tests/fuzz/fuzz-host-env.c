/* SPDX-License-Identifier: MIT */
#include "tests/fuzz/fuzz-host-env.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "util/log.h"

static struct fuzz_host_env env;

void fuzz_check_fds(struct fuzz_host_env *e)
{
	int n = count_fds();
	if (n == e->baseline_fds)
		return;
	fprintf(stderr, "%d fds open, %d before this input:\n", n, e->baseline_fds);
	print_fds(stderr);
	abort();
}

static void env_cleanup(void)
{
	fuzz_host_env_reset(&env);
	unlink(env.path);
	rmdir(env.dir);
}

struct fuzz_host_env *fuzz_host_env(void)
{
	static bool ready;
	if (ready)
		return &env;
	ready = true;
	vsomm_log_init(getenv("FUZZ_LOG") ? VSOMM_LOG_TRACE : VSOMM_LOG_SILENT, "fuzz");
	snprintf(env.dir, sizeof(env.dir), "/tmp/vsomm-fuzz-XXXXXX");
	FUZZ_CHECK(mkdtemp(env.dir));
	snprintf(env.path, sizeof(env.path), "%s/wayland-fuzz", env.dir);
	env.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	FUZZ_CHECK(env.listen_fd >= 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	memcpy(addr.sun_path, env.path, strlen(env.path) + 1);
	FUZZ_CHECK(bind(env.listen_fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	FUZZ_CHECK(listen(env.listen_fd, 128) == 0);
	atexit(env_cleanup);
	signal(SIGPIPE, SIG_IGN); /* as vsomm-host does */

	env.loop = wl_event_loop_create();
	FUZZ_CHECK(env.loop);
	env.config.loop = env.loop;
	env.config.compositor_path = env.path;
	/* small limits, so that inputs reach them */
	env.config.limits.max_blob_bytes = 4u << 20;
	env.config.limits.max_connection_blob_bytes = 6u << 20;
	env.config.limits.max_items = 16;
	env.config.limits.max_pipes = 4;
	env.config.limits.max_queued_bytes = 256u << 10;
	env.config.trace = getenv("FUZZ_LOG") != NULL;
	env.capsets[0] = &xdomain_service_capset;
	env.capsets[1] = NULL;
	env.baseline_fds = -1;
	return &env;
}

void fuzz_host_env_pump(struct fuzz_host_env *e)
{
	for (;;) {
		int fd = accept4(e->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			break;
		if (e->num_conns == FUZZ_MAX_COMP_CONNS) {
			close(fd);
			continue;
		}
		e->conns[e->num_conns++] = fd;
	}
	uint8_t buf[4096];
	for (size_t i = 0; i < e->num_conns; i++) {
		for (int rounds = 0; rounds < 64; rounds++) {
			union {
				char buf[CMSG_SPACE(28 * sizeof(int))];
				struct cmsghdr align;
			} cmsg;
			struct iovec iov = {buf, sizeof(buf)};
			struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
					     .msg_control = cmsg.buf,
					     .msg_controllen = sizeof(cmsg.buf)};
			ssize_t n = recvmsg(e->conns[i], &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
			if (n <= 0)
				break;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
				if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
					continue;
				size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (size_t k = 0; k < nfds; k++) {
					int fd;
					memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(fd));
					close(fd);
				}
			}
		}
	}
}

static int make_fd(unsigned kind, size_t size, int *extra)
{
	int fds[2], fd = -1;
	*extra = -1;
	switch (kind) {
	case 1:
		fd = memfd_create("fuzz-comp", MFD_CLOEXEC);
		if (fd >= 0 && ftruncate(fd, (off_t)size) < 0) {
			close(fd);
			fd = -1;
		}
		break;
	case 2:
	case 3:
		if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
			fd = fds[kind == 2 ? 1 : 0];
			*extra = fds[kind == 2 ? 0 : 1]; /* kept open by the caller briefly */
		}
		break;
	case 4:
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		break;
	case 5:
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		break;
	default:
		break;
	}
	return fd;
}

void fuzz_host_env_send(struct fuzz_host_env *e, const void *bytes, size_t size,
			unsigned fd_kind, size_t fd_size)
{
	fuzz_host_env_pump(e);
	if (e->num_conns == 0 || size == 0)
		return;
	int extra, fd = make_fd(fd_kind % 6, fd_size, &extra);
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cmsg = {0}; /* the padding after the fd goes to the kernel too */
	struct iovec iov = {(void *)bytes, size};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		msg.msg_control = cmsg.buf;
		msg.msg_controllen = sizeof(cmsg.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	}
	(void)sendmsg(e->conns[e->num_conns - 1], &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (fd >= 0)
		close(fd);
	if (extra >= 0) {
		/* a little data in a read pipe, then the writer goes: EOF after it */
		if (fd_kind == 3)
			(void)write(extra, bytes, size < 64 ? size : 64);
		close(extra);
	}
}

void fuzz_host_env_dispatch(struct fuzz_host_env *e)
{
	for (int i = 0; i < 4; i++) {
		fuzz_host_env_pump(e);
		wl_event_loop_dispatch(e->loop, 0);
	}
}

void fuzz_host_env_reset(struct fuzz_host_env *e)
{
	fuzz_host_env_pump(e);
	for (size_t i = 0; i < e->num_conns; i++)
		close(e->conns[i]);
	e->num_conns = 0;
}
