// SPDX-License-Identifier: MIT
/*
 * scripted-peer: fds through a guest channel, against a scripted compositor.
 *
 * tests/host-e2e/scripted-peer.sh starts vsomm-host with --compositor pointing at
 * $VSOMM_PEER_SOCKET; this program listens there itself (a peer thread speaks raw
 * bytes + SCM_RIGHTS, no Wayland) and opens a guest channel to vsomm-host:
 *
 *  (a) guest → host pipe: the guest sends the write end of a local pipe
 *      (READ_PIPE); the peer gets a write-end fd, writes 1 MiB and closes it;
 *      the guest reads the 1 MiB intact from its read end, then EOF.
 *  (b) host → guest pipe: the peer sends the write end of a pipe it reads; the
 *      guest gets a fd (WRITE_PIPE), writes 1 MiB into it and closes it; the
 *      peer reads the 1 MiB intact, then EOF.
 *  (c) the peer sends a memfd with known content: the guest's fd maps it, with
 *      that size and content.
 *
 * Then the channel goes, and vsomm-host and this process must be back to the
 * fd counts they had before.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "cross-domain/guest/channel.h"
#include "tests/lib/fds.h"
#include "virtgpu/virtgpu.h"

#define PIPE_BYTES (1u << 20)
#define MEMFD_BYTES (64u * 1024u)
#define TAG_LEN 8
#define STEP_TIMEOUT_MS 20000

static const char tag_a[TAG_LEN + 1] = "VSOMM-A\n";
static const char tag_b[TAG_LEN + 1] = "VSOMM-B\n";
static const char tag_c[TAG_LEN + 1] = "VSOMM-C\n";

static atomic_int failures;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	atomic_fetch_add(&failures, 1);
}

static uint8_t pattern(size_t i, uint8_t seed)
{
	return (uint8_t)((i ^ (i >> 8) ^ (i >> 16)) * 251u + seed);
}

static size_t mismatch(const uint8_t *buf, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != pattern(i, seed))
			return i;
	}
	return len;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------- the scripted compositor (peer thread) ---------------- */

struct peer {
	int listen_fd;
	int conn;
	int stop[2]; /* the guest gave up: written to end the peer's waits */
	pthread_t thread;
	atomic_bool b_done;
};

/* Wait for `fd` to be readable: false on timeout or when the guest gave up. */
static bool peer_wait(struct peer *peer, int fd)
{
	struct pollfd pfd[2] = {
		{.fd = fd, .events = POLLIN},
		{.fd = peer->stop[0], .events = POLLIN},
	};
	int r;

	do {
		r = poll(pfd, 2, STEP_TIMEOUT_MS);
	} while (r < 0 && errno == EINTR);
	return r > 0 && !pfd[1].revents && pfd[0].revents;
}

/* Receive exactly TAG_LEN bytes and exactly one fd; returns the fd or -1. */
static int peer_recv_tagged(struct peer *peer, const char *tag)
{
	char buf[TAG_LEN];
	size_t got = 0;
	int fd = -1;

	while (got < TAG_LEN) {
		char cbuf[CMSG_SPACE(sizeof(int) * XDOMAIN_MAX_IDENTIFIERS)];
		struct iovec iov = {.iov_base = buf + got, .iov_len = TAG_LEN - got};
		struct msghdr msg = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf,
			.msg_controllen = sizeof(cbuf),
		};
		ssize_t n;

		if (!peer_wait(peer, peer->conn)) {
			fail("peer: nothing from vsomm-host (%zu of %d bytes)", got, TAG_LEN);
			goto err;
		}
		n = recvmsg(peer->conn, &msg, MSG_CMSG_CLOEXEC);
		if (n <= 0) {
			fail("peer: connection %s after %zu bytes", n ? strerror(errno) : "EOF",
			     got);
			goto err;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			size_t nfds;

			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < nfds; i++) {
				int f;

				memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (fd < 0) {
					fd = f;
				} else {
					fail("peer: more than one fd with %.7s", tag);
					close(f);
				}
			}
		}
		if (msg.msg_flags & MSG_CTRUNC)
			fail("peer: control data truncated");
		got += (size_t)n;
	}
	if (memcmp(buf, tag, TAG_LEN) != 0) {
		fail("peer: expected %.7s, got other bytes", tag);
		goto err;
	}
	if (fd < 0)
		fail("peer: %.7s came without a fd", tag);
	return fd;

err:
	if (fd >= 0)
		close(fd);
	return -1;
}

static bool peer_send_tagged(int conn, const char *tag, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)tag, .iov_len = TAG_LEN};
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(conn, &msg, MSG_NOSIGNAL) != TAG_LEN) {
		fail("peer: sendmsg %.7s: %s", tag, strerror(errno));
		return false;
	}
	return true;
}

static bool write_all(int fd, uint8_t seed, size_t total)
{
	uint8_t buf[16384];
	size_t off = 0;

	while (off < total) {
		size_t n = total - off < sizeof(buf) ? total - off : sizeof(buf);
		ssize_t w;

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(off + i, seed);
		w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		off += (size_t)w; /* the next block restarts at the right pattern offset */
	}
	return true;
}

static void peer_step_a(struct peer *peer)
{
	int fd = peer_recv_tagged(peer, tag_a);

	if (fd < 0)
		return;
	if ((fcntl(fd, F_GETFL) & O_ACCMODE) != O_WRONLY)
		fail("peer (a): the fd is not write-only");
	if (!write_all(fd, 'A', PIPE_BYTES))
		fail("peer (a): writing 1 MiB: %s", strerror(errno));
	close(fd);
}

static void peer_step_b(struct peer *peer)
{
	uint8_t *buf = malloc(PIPE_BYTES + 1);
	size_t got = 0;
	int p[2];

	if (!buf || pipe2(p, O_CLOEXEC) < 0) {
		fail("peer (b): %s", strerror(errno));
		free(buf);
		return;
	}
	bool sent = peer_send_tagged(peer->conn, tag_b, p[1]);
	close(p[1]);
	while (sent) {
		ssize_t n;

		if (!peer_wait(peer, p[0])) {
			fail("peer (b): stalled after %zu bytes", got);
			break;
		}
		n = read(p[0], buf + got, PIPE_BYTES + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail("peer (b): read: %s", strerror(errno));
			break;
		}
		if (n == 0) {
			size_t bad = mismatch(buf, got, 'B');

			if (got != PIPE_BYTES)
				fail("peer (b): EOF after %zu bytes, expected %u", got, PIPE_BYTES);
			else if (bad != got)
				fail("peer (b): byte %zu differs", bad);
			else
				printf("ok (b): host → guest pipe: 1 MiB intact, then EOF\n");
			break;
		}
		got += (size_t)n;
		if (got > PIPE_BYTES) {
			fail("peer (b): more than 1 MiB");
			break;
		}
	}
	close(p[0]);
	free(buf);
}

static void peer_step_c(struct peer *peer)
{
	int fd = memfd_create("scripted-peer", MFD_CLOEXEC);
	uint8_t *map;

	if (fd < 0 || ftruncate(fd, MEMFD_BYTES) < 0) {
		fail("peer (c): memfd: %s", strerror(errno));
		goto out;
	}
	map = mmap(NULL, MEMFD_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		fail("peer (c): mmap: %s", strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < MEMFD_BYTES; i++)
		map[i] = pattern(i, 'C');
	munmap(map, MEMFD_BYTES);
	peer_send_tagged(peer->conn, tag_c, fd);
out:
	if (fd >= 0)
		close(fd);
}

static void *peer_run(void *data)
{
	struct peer *peer = data;
	char byte;
	ssize_t n;

	if (!peer_wait(peer, peer->listen_fd)) {
		fail("peer: vsomm-host never connected to the compositor socket");
		return NULL;
	}
	peer->conn = accept4(peer->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (peer->conn < 0) {
		fail("peer: accept: %s", strerror(errno));
		return NULL;
	}
	peer_step_a(peer);
	if (!atomic_load(&failures))
		peer_step_b(peer);
	atomic_store(&peer->b_done, true);
	if (atomic_load(&failures))
		return NULL;
	peer_step_c(peer);

	/* The guest sends nothing more: the next thing is EOF when its context goes. */
	if (!peer_wait(peer, peer->conn)) {
		fail("peer: vsomm-host kept the compositor connection open");
		return NULL;
	}
	n = recv(peer->conn, &byte, 1, 0);
	if (n != 0)
		fail("peer: expected EOF from vsomm-host, got %s",
		     n > 0 ? "more bytes" : strerror(errno));
	return NULL;
}

/* ---------------- the guest ---------------- */

struct guest {
	struct wl_event_loop *loop;
	uint8_t bytes[64]; /* the tags the peer sent, in order */
	size_t num_bytes;
	int fds[4];
	size_t num_fds;
	bool hung_up;

	/* (a) */
	int a_read;
	struct wl_event_source *a_source;
	uint8_t *a_buf;
	size_t a_got;
	bool a_eof;

	/* (b) */
	int b_write;
	struct wl_event_source *b_source;
	size_t b_put;
	bool b_closed;
};

static void handle_receive(void *data, const uint8_t *bytes, size_t size, int *fds,
			   size_t nfds)
{
	struct guest *g = data;

	if (size > sizeof(g->bytes) - g->num_bytes) {
		fail("guest: more bytes than the peer sent");
		size = sizeof(g->bytes) - g->num_bytes;
	}
	memcpy(g->bytes + g->num_bytes, bytes, size);
	g->num_bytes += size;
	for (size_t i = 0; i < nfds; i++) {
		if (g->num_fds == sizeof(g->fds) / sizeof(g->fds[0])) {
			fail("guest: more fds than the peer sent");
			close(fds[i]);
			continue;
		}
		g->fds[g->num_fds++] = fds[i];
	}
}

static void handle_hangup(void *data, int err)
{
	struct guest *g = data;

	g->hung_up = true;
	fail("guest: the channel hung up (%s)", err ? strerror(-err) : "host EOF");
}

static const struct xdomain_channel_listener channel_listener = {
	.receive = handle_receive,
	.hangup = handle_hangup,
};

static int handle_a_readable(int fd, uint32_t mask, void *data)
{
	struct guest *g = data;

	for (;;) {
		ssize_t n = read(fd, g->a_buf + g->a_got, PIPE_BYTES + 1 - g->a_got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			if (n < 0)
				fail("guest (a): read: %s", strerror(errno));
			g->a_eof = true;
			wl_event_source_remove(g->a_source);
			g->a_source = NULL;
			return 0;
		}
		g->a_got += (size_t)n;
		if (g->a_got > PIPE_BYTES) {
			fail("guest (a): more than 1 MiB");
			g->a_eof = true;
			wl_event_source_remove(g->a_source);
			g->a_source = NULL;
			return 0;
		}
	}
}

static int handle_b_writable(int fd, uint32_t mask, void *data)
{
	struct guest *g = data;
	uint8_t buf[16384];

	while (g->b_put < PIPE_BYTES) {
		size_t n = PIPE_BYTES - g->b_put < sizeof(buf) ? PIPE_BYTES - g->b_put : sizeof(buf);
		ssize_t w;

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(g->b_put + i, 'B');
		w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 0;
		if (w < 0) {
			fail("guest (b): write after %zu bytes: %s", g->b_put, strerror(errno));
			break;
		}
		g->b_put += (size_t)w;
	}
	wl_event_source_remove(g->b_source);
	g->b_source = NULL;
	close(g->b_write);
	g->b_write = -1;
	g->b_closed = true;
	return 0;
}

/* Run the loop until *flag, the peer's atomic flag, or the step times out. */
static bool dispatch_until(struct guest *g, const bool *flag, atomic_bool *aflag,
			   const char *what)
{
	int64_t deadline = now_ms() + STEP_TIMEOUT_MS;

	while (!(flag && *flag) && !(aflag && atomic_load(aflag))) {
		int64_t left = deadline - now_ms();

		if (g->hung_up)
			return false;
		if (left <= 0) {
			fail("guest: timed out waiting for %s", what);
			return false;
		}
		/* short waits: the peer thread's flag is not a loop event */
		if (wl_event_loop_dispatch(g->loop, left < 50 ? (int)left : 50) < 0 &&
		    errno != EINTR) {
			fail("guest: event loop: %s", strerror(errno));
			return false;
		}
	}
	return true;
}

static bool have_fds(const struct guest *g, size_t n)
{
	return g->num_fds >= n;
}

static void guest_step_a(struct guest *g, struct xdomain_channel *ch)
{
	int p[2], err;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		fail("guest (a): pipe: %s", strerror(errno));
		return;
	}
	g->a_read = p[0];
	err = xdomain_channel_send(ch, tag_a, TAG_LEN, &p[1], 1);
	close(p[1]); /* the channel keeps its own dup */
	if (err < 0) {
		fail("guest (a): send with a pipe write end: %s", strerror(-err));
		return;
	}
	g->a_source = wl_event_loop_add_fd(g->loop, p[0], WL_EVENT_READABLE, handle_a_readable, g);
	if (!dispatch_until(g, &g->a_eof, NULL, "(a) EOF on the pipe"))
		return;
	if (g->a_got != PIPE_BYTES)
		fail("guest (a): EOF after %zu bytes, expected %u", g->a_got, PIPE_BYTES);
	else if (mismatch(g->a_buf, g->a_got, 'A') != g->a_got)
		fail("guest (a): byte %zu differs", mismatch(g->a_buf, g->a_got, 'A'));
	else
		printf("ok (a): guest → host pipe: 1 MiB intact, then EOF\n");
}

static void guest_step_b(struct guest *g, struct peer *peer)
{
	struct stat st;
	bool got_fd;

	/* dispatch_until wants a flag: poll the fd count through a local */
	for (int64_t deadline = now_ms() + STEP_TIMEOUT_MS; !(got_fd = have_fds(g, 1));) {
		if (g->hung_up || now_ms() > deadline)
			break;
		wl_event_loop_dispatch(g->loop, 50);
	}
	if (!got_fd) {
		fail("guest (b): no fd received");
		return;
	}
	g->b_write = g->fds[0];
	if (fstat(g->b_write, &st) < 0 || !S_ISFIFO(st.st_mode) ||
	    (fcntl(g->b_write, F_GETFL) & O_ACCMODE) != O_WRONLY) {
		fail("guest (b): the received fd is not a pipe write end");
		return;
	}
	g->fds[0] = -1;
	fcntl(g->b_write, F_SETFL, fcntl(g->b_write, F_GETFL) | O_NONBLOCK);
	g->b_source = wl_event_loop_add_fd(g->loop, g->b_write, WL_EVENT_WRITABLE,
					   handle_b_writable, g);
	if (!dispatch_until(g, &g->b_closed, NULL, "(b) writing 1 MiB"))
		return;
	dispatch_until(g, NULL, &peer->b_done, "(b) the peer reading 1 MiB");
}

static void guest_step_c(struct guest *g)
{
	uint8_t *map;
	off_t size;
	size_t bad;
	bool got_fd;
	int fd;

	for (int64_t deadline = now_ms() + STEP_TIMEOUT_MS; !(got_fd = have_fds(g, 2));) {
		if (g->hung_up || now_ms() > deadline)
			break;
		wl_event_loop_dispatch(g->loop, 50);
	}
	if (!got_fd) {
		fail("guest (c): no memfd received");
		return;
	}
	fd = g->fds[1];
	size = lseek(fd, 0, SEEK_END);
	if (size != (off_t)MEMFD_BYTES) {
		fail("guest (c): the fd has size %lld, expected %u", (long long)size, MEMFD_BYTES);
		return;
	}
	map = mmap(NULL, MEMFD_BYTES, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		fail("guest (c): mmap: %s", strerror(errno));
		return;
	}
	bad = mismatch(map, MEMFD_BYTES, 'C');
	if (bad != MEMFD_BYTES)
		fail("guest (c): byte %zu differs", bad);
	else
		printf("ok (c): memfd from the host: mapped, 64 KiB intact\n");
	munmap(map, MEMFD_BYTES);
}

static int listen_at(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "socket path too long: %s\n", path);
		return -1;
	}
	strcpy(addr.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 4) < 0) {
		fprintf(stderr, "listen on %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int main(void)
{
	const char *host_pid_s = getenv("VSOMM_HOST_PID");
	const char *host_sock = getenv("VSOMM_HOST_SOCK");
	const char *peer_path = getenv("VSOMM_PEER_SOCKET");
	struct guest g = {.a_read = -1, .b_write = -1, .fds = {-1, -1, -1, -1}};
	struct peer peer = {.listen_fd = -1, .conn = -1, .stop = {-1, -1}};
	struct virtgpu *dev = NULL;
	struct xdomain_channel *ch = NULL;
	int host_fds, own_fds, n, err;
	char spec[256];
	pid_t host_pid;
	bool peer_started = false;

	if (!host_pid_s || !host_sock || !peer_path) {
		fprintf(stderr, "run me through scripted-peer.sh\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	alarm(120); /* a hang is a failure, not a stuck CI job */
	host_pid = (pid_t)atoi(host_pid_s);

	own_fds = count_fds_of(getpid());
	host_fds = count_fds_of(host_pid);
	peer.listen_fd = listen_at(peer_path);
	g.loop = wl_event_loop_create();
	g.a_buf = malloc(PIPE_BYTES + 1);
	if (peer.listen_fd < 0 || !g.loop || !g.a_buf || pipe2(peer.stop, O_CLOEXEC) < 0)
		return 1;
	if (host_fds < 0) {
		fprintf(stderr, "cannot read /proc/%d/fd\n", (int)host_pid);
		return 1;
	}

	if (pthread_create(&peer.thread, NULL, peer_run, &peer) != 0) {
		fail("pthread_create");
		goto out;
	}
	peer_started = true;

	snprintf(spec, sizeof(spec), "socket:%s", host_sock);
	err = virtgpu_open(spec, &dev);
	if (err < 0) {
		fail("virtgpu_open(%s): %s", spec, strerror(-err));
		goto out;
	}
	ch = xdomain_channel_create(g.loop, dev, XDOMAIN_CHANNEL_TYPE_WAYLAND, &channel_listener,
				    &g, &err);
	if (!ch) {
		fail("xdomain_channel_create: %s", strerror(-err));
		goto out;
	}

	guest_step_a(&g, ch);
	if (!atomic_load(&failures))
		guest_step_b(&g, &peer);
	if (!atomic_load(&failures))
		guest_step_c(&g);
	if (!atomic_load(&failures) &&
	    (g.num_bytes != 2 * TAG_LEN || memcmp(g.bytes, tag_b, TAG_LEN) != 0 ||
	     memcmp(g.bytes + TAG_LEN, tag_c, TAG_LEN) != 0))
		fail("guest: the bytes from the peer are not \"VSOMM-B\\nVSOMM-C\\n\"");

out:
	if (g.a_source)
		wl_event_source_remove(g.a_source);
	if (g.b_source)
		wl_event_source_remove(g.b_source);
	xdomain_channel_destroy(ch);
	if (peer_started) {
		if (atomic_load(&failures) && write(peer.stop[1], "x", 1) != 1)
			fail("stopping the peer: %s", strerror(errno));
		pthread_join(peer.thread, NULL);
	}
	if (peer.conn >= 0)
		close(peer.conn);
	if (g.a_read >= 0)
		close(g.a_read);
	if (g.b_write >= 0)
		close(g.b_write);
	for (size_t i = 0; i < g.num_fds; i++) {
		if (g.fds[i] >= 0)
			close(g.fds[i]);
	}
	close(peer.listen_fd);
	close(peer.stop[0]);
	close(peer.stop[1]);
	unlink(peer_path);
	wl_event_loop_destroy(g.loop);
	free(g.a_buf);

	/* teardown in vsomm-host is asynchronous: give it 2 s */
	n = count_fds_of(host_pid);
	for (int64_t deadline = now_ms() + 2000; n != host_fds && now_ms() < deadline;) {
		usleep(20000);
		n = count_fds_of(host_pid);
	}
	if (n != host_fds)
		fail("vsomm-host had %d fds before, %d after", host_fds, n);
	else
		printf("ok: vsomm-host back to %d fds\n", n);
	/* this process: every fd of the device, the channel and the test is gone too */
	n = count_fds_of(getpid());
	if (n != own_fds)
		fail("this process had %d fds before the test, %d after", own_fds, n);

	if (atomic_load(&failures)) {
		fprintf(stderr, "%d failure(s)\n", atomic_load(&failures));
		return 1;
	}
	printf("ok: scripted peer\n");
	return 0;
}
