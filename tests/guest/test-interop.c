/* SPDX-License-Identifier: MIT */
/*
 * The guest channel against the real vsomm-host (a child process, path in argv[1])
 * and a fake compositor socket of this test: the two sides written from the same
 * documents must agree on every byte and fd.
 *
 * guest → compositor bytes and a HOST3D blob fd; compositor → guest bytes and a
 * memfd; a compositor write end (WRITE_PIPE) and a guest write end (READ_PIPE);
 * compositor EOF → hangup(0).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "tests/lib/check.h"
#include "util/fdpass.h"
#include "tests/lib/fds.h"
#include "cross-domain/guest/channel.h"
#include "util/log.h"
#include "virtgpu/virtgpu.h"

#define FMT_XRGB8888 0x34325258u

static struct wl_event_loop *loop;

struct received {
	uint8_t bytes[4096];
	size_t size;
	int fds[XDOMAIN_MAX_IDENTIFIERS];
	size_t nfds;
	int count;
	bool hung_up;
	int hangup_err;
};

static void on_receive(void *data, const uint8_t *bytes, size_t size, int *fds, size_t nfds)
{
	struct received *r = data;
	CHECK(size <= sizeof(r->bytes) && r->nfds == 0);
	memcpy(r->bytes, bytes, size);
	r->size = size;
	memcpy(r->fds, fds, nfds * sizeof(int));
	r->nfds = nfds;
	r->count++;
}

static void on_hangup(void *data, int err)
{
	struct received *r = data;
	r->hung_up = true;
	r->hangup_err = err;
}

static const struct xdomain_channel_listener listener = {on_receive, on_hangup};

#define WAIT_FOR(cond)                                                                       \
	do {                                                                                 \
		struct timespec t0_, t_;                                                     \
		clock_gettime(CLOCK_MONOTONIC, &t0_);                                        \
		while (!(cond)) {                                                            \
			clock_gettime(CLOCK_MONOTONIC, &t_);                                 \
			if (t_.tv_sec - t0_.tv_sec > 10) {                                   \
				fprintf(stderr, "%s:%d: timeout waiting for %s\n", __FILE__, \
					__LINE__, #cond);                                    \
				exit(1);                                                     \
			}                                                                    \
			wl_event_loop_dispatch(loop, 10);                                    \
		}                                                                            \
	} while (0)

/* Non-blocking recvmsg on the compositor's connection: bytes, or 0 if nothing yet. */
static ssize_t comp_recv(int fd, void *buf, size_t size, int *fds, size_t *nfds)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 28)];
		struct cmsghdr align;
	} cmsg;
	struct iovec iov = {buf, size};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cmsg.b,
			    .msg_controllen = sizeof(cmsg.b)};
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && errno == EAGAIN)
		return 0;
	CHECK(n > 0);
	*nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds + *nfds, CMSG_DATA(c), k * sizeof(int));
		*nfds += k;
	}
	return n;
}

static void comp_send(int fd, const void *buf, size_t size, int pass_fd)
{
	CHECK(fdpass_send(fd, buf, size, &pass_fd, pass_fd >= 0 ? 1 : 0, 0) == (ssize_t)size);
}

/* The child to end on every exit, also a CHECK's exit(1): it holds our stdout. */
static pid_t host_pid;
static char *host_dir;

static void end_host(void)
{
	if (host_pid > 0) {
		kill(host_pid, SIGKILL);
		waitpid(host_pid, NULL, 0);
		host_pid = 0;
	}
	if (host_dir) {
		char path[300];
		snprintf(path, sizeof(path), "%s/vsomm-host.sock", host_dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/wayland-fake", host_dir);
		unlink(path);
		rmdir(host_dir);
		host_dir = NULL;
	}
}

static pid_t spawn_host(const char *exe, const char *sock, const char *comp)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* the guest must work against a host as strict as rutabaga (tests/lib/weston.sh) */
		const char *strict = getenv("VSOMM_TEST_HOST_STRICT");
		execl(exe, "vsomm-host", "--listen", sock, "--compositor", comp,
		      strict && strcmp(strict, "1") == 0 ? "--strict" : (char *)NULL, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static struct virtgpu *open_when_ready(const char *spec)
{
	struct virtgpu *dev = NULL;
	for (int i = 0; i < 500; i++) {
		int ret = virtgpu_open(spec, &dev);
		if (ret == 0)
			return dev;
		CHECK(ret == -ENOENT || ret == -ECONNREFUSED);
		usleep(10000);
	}
	CHECK(!"vsomm-host did not start");
	return NULL;
}

static void guest_to_compositor(struct xdomain_channel *ch, int comp)
{
	uint8_t buf[4096];
	int fds[28];
	size_t nfds = 0;
	ssize_t n = 0;
	CHECK_EQ(xdomain_channel_send(ch, "hello", 5, NULL, 0), 0);
	WAIT_FOR((n = comp_recv(comp, buf, sizeof(buf), fds, &nfds)) > 0);
	CHECK_EQ(n, 5);
	CHECK_EQ(nfds, 0);
	CHECK(memcmp(buf, "hello", 5) == 0);

	/* a HOST3D buffer of the host's linear layout, filled by the guest */
	struct xdomain_image_requirements req;
	CHECK_EQ(xdomain_channel_image_requirements(ch, 64, 64, FMT_XRGB8888, 0x11, &req), 0);
	CHECK_EQ(req.strides[0], 256);
	CHECK(req.size >= 64 * 64 * 4);
	struct virtgpu_bo bo;
	CHECK_EQ(xdomain_channel_create_blob(ch, &req, &bo), 0);
	for (size_t i = 0; i < 64 * 64; i++)
		((uint32_t *)bo.map)[i] = 0xff000000u | (uint32_t)i;
	int fd = virtgpu_bo_export(xdomain_channel_device(ch), &bo);
	CHECK(fd >= 0);
	CHECK_EQ(xdomain_channel_send(ch, "buf", 3, &fd, 1), 0);
	close(fd);
	WAIT_FOR((n = comp_recv(comp, buf, sizeof(buf), fds, &nfds)) > 0);
	CHECK_EQ(n, 3);
	CHECK_EQ(nfds, 1);
	uint32_t *m = mmap(NULL, 64 * 64 * 4, PROT_READ, MAP_SHARED, fds[0], 0);
	CHECK(m != MAP_FAILED);
	CHECK_EQ(m[0], 0xff000000u);
	CHECK_EQ(m[4095], 0xff000fffu);
	munmap(m, 64 * 64 * 4);
	close(fds[0]);
	virtgpu_bo_close(xdomain_channel_device(ch), &bo);
}

/* A memory fd of `size` bytes from the compositor (a keymap) becomes guest memory. */
static void compositor_to_guest(int comp, struct received *r, size_t size)
{
	static char keymap[65536];
	CHECK(size <= sizeof(keymap));
	for (size_t i = 0; i < size; i++)
		keymap[i] = (char)('A' + i % 26);
	int memfd = memfd_create("keymap", MFD_CLOEXEC);
	CHECK(memfd >= 0 && write(memfd, keymap, size) == (ssize_t)size);
	comp_send(comp, "keymap", 6, memfd);
	close(memfd);
	WAIT_FOR(r->count == 1 || r->hung_up);
	CHECK(!r->hung_up);
	CHECK_EQ(r->size, 6);
	CHECK(memcmp(r->bytes, "keymap", 6) == 0);
	CHECK_EQ(r->nfds, 1);
	void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, r->fds[0], 0);
	CHECK(m != MAP_FAILED);
	CHECK(memcmp(m, keymap, size) == 0);
	munmap(m, size);
	close(r->fds[0]);
	r->nfds = 0;
}

static void nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	CHECK(fl >= 0 && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0);
}

/* Read what is there into buf[*got..]; true at EOF. */
static bool read_some(int fd, char *buf, size_t size, size_t *got, bool *eof)
{
	ssize_t n = read(fd, buf + *got, size - *got);
	CHECK(n >= 0 || errno == EAGAIN);
	if (n > 0)
		*got += (size_t)n;
	*eof = n == 0;
	return *eof;
}

static void pipes(struct xdomain_channel *ch, int comp, struct received *r)
{
	/* WRITE_PIPE: the compositor reads what the guest writes */
	int p[2];
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	comp_send(comp, "send", 4, p[1]);
	close(p[1]);
	WAIT_FOR(r->count == 2);
	CHECK_EQ(r->nfds, 1);
	CHECK_EQ(write(r->fds[0], "copied", 6), 6);
	close(r->fds[0]);
	r->nfds = 0;
	char buf[64];
	size_t got = 0;
	bool eof = false;
	nonblock(p[0]);
	WAIT_FOR(read_some(p[0], buf, sizeof(buf), &got, &eof));
	CHECK_EQ(got, 6);
	CHECK(memcmp(buf, "copied", 6) == 0);
	close(p[0]);

	/* READ_PIPE: the guest reads what the compositor writes */
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	CHECK_EQ(xdomain_channel_send(ch, "recv", 4, &p[1], 1), 0);
	close(p[1]);
	int fds[28];
	size_t nfds = 0;
	ssize_t n = 0;
	WAIT_FOR((n = comp_recv(comp, buf, sizeof(buf), fds, &nfds)) > 0);
	CHECK_EQ(n, 4);
	CHECK_EQ(nfds, 1);
	CHECK_EQ(write(fds[0], "pasted", 6), 6);
	close(fds[0]);
	nonblock(p[0]);
	got = 0;
	eof = false;
	WAIT_FOR(read_some(p[0], buf, sizeof(buf), &got, &eof));
	CHECK_EQ(got, 6);
	CHECK(memcmp(buf, "pasted", 6) == 0);
	close(p[0]);
}

int main(int argc, char **argv)
{
	/* argv[2]: the size of the compositor's keymap (a page multiple or not) */
	CHECK(argc == 3);
	size_t keymap_size = strtoul(argv[2], NULL, 10);
	vsomm_log_init(getenv("VSOMM_TEST_DEBUG") ? VSOMM_LOG_DEBUG : VSOMM_LOG_SILENT, "test");
	int fds_before = count_fds();
	loop = wl_event_loop_create();
	char dir[] = "/tmp/vsomm-interop-XXXXXX";
	CHECK(mkdtemp(dir));
	char sock[256], comp_path[256], spec[300];
	snprintf(sock, sizeof(sock), "%s/vsomm-host.sock", dir);
	snprintf(comp_path, sizeof(comp_path), "%s/wayland-fake", dir);
	snprintf(spec, sizeof(spec), "socket:%s", sock);
	setenv("XDG_RUNTIME_DIR", dir, 1);

	int listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	strcpy(addr.sun_path, comp_path);
	CHECK(bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	CHECK(listen(listen_fd, 4) == 0);

	host_dir = dir;
	atexit(end_host);
	pid_t pid = host_pid = spawn_host(argv[1], sock, comp_path);
	struct virtgpu *dev = open_when_ready(spec);
	struct received r = {0};
	int err = 0;
	struct xdomain_channel *ch = xdomain_channel_create(loop, dev, XDOMAIN_CHANNEL_TYPE_WAYLAND,
							    &listener, &r, &err);
	CHECK(ch);
	int comp = -1;
	WAIT_FOR((comp = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0);

	guest_to_compositor(ch, comp);
	compositor_to_guest(comp, &r, keymap_size);
	pipes(ch, comp, &r);

	/* compositor EOF → an empty RECEIVE → hangup(0) */
	close(comp);
	WAIT_FOR(r.hung_up);
	CHECK_EQ(r.hangup_err, 0);
	xdomain_channel_destroy(ch);

	CHECK(kill(pid, SIGTERM) == 0);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid);
	host_pid = 0;
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(listen_fd);
	end_host();
	wl_event_loop_destroy(loop);
	CHECK_EQ(count_fds(), fds_before);
	printf("ok\n");
	return 0;
}
