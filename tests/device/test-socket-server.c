/* SPDX-License-Identifier: MIT */
/*
 * The socket transport's host end on a real listening socket in a temp dir, with
 * the fake capset-5 context type.  Clients run in this process (non-blocking
 * reads that dispatch the server's event loop while they wait), except the
 * other-uid peer, which needs a child process.
 */
#include <linux/virtio_gpu.h>
#include <poll.h>
#include <signal.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <wayland-server-core.h>

#include "util/log.h"
#include "fake-capset.h"
#include "virtgpu/socket/frame.h"
#include "virtgpu/socket/server.h"

static struct wl_event_loop *loop;
static struct sock_server *server;
static char sock_path[108];

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_client(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("connect");
		exit(1);
	}
	return fd;
}

/* recv exactly `len` bytes (fds into *fd_out), dispatching the loop; false on EOF. */
static bool recv_exact(int fd, void *buf, size_t len, int *fds, size_t *nfds)
{
	size_t got = 0;
	int64_t deadline = now_ms() + 5000;
	while (got < len) {
		struct iovec iov = {(uint8_t *)buf + got, len - got};
		union {
			char buf[CMSG_SPACE(4 * sizeof(int))];
			struct cmsghdr align;
		} cm;
		struct msghdr msg = {.msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = cm.buf,
				     .msg_controllen = sizeof(cm.buf)};
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n == 0)
			return false;
		if (n < 0) {
			if (errno != EAGAIN) {
				if (errno == ECONNRESET)
					return false;
				perror("recvmsg");
				exit(1);
			}
			if (now_ms() > deadline) {
				fprintf(stderr, "timeout waiting for the server\n");
				exit(1);
			}
			wl_event_loop_dispatch(loop, 10);
			continue;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			size_t n_in = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < n_in; i++) {
				int rfd;
				memcpy(&rfd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (fds && *nfds < 4)
					fds[(*nfds)++] = rfd;
				else
					close(rfd);
			}
		}
		got += (size_t)n;
	}
	return true;
}

struct frame {
	struct sock_frame_hdr hdr;
	uint8_t payload[256];
	int fd;
};

static bool read_frame(int fd, struct frame *f)
{
	int fds[4];
	size_t nfds = 0;
	f->fd = -1;
	if (!recv_exact(fd, &f->hdr, sizeof(f->hdr), fds, &nfds))
		return false;
	CHECK(f->hdr.size <= sizeof(f->payload));
	if (!recv_exact(fd, f->payload, f->hdr.size, fds, &nfds))
		return false;
	CHECK(nfds == ((f->hdr.flags & SOCK_FRAME_F_FD) ? 1u : 0u));
	for (size_t i = 0; i < nfds; i++) {
		if (i == 0)
			f->fd = fds[0];
		else
			close(fds[i]);
	}
	return true;
}

static uint32_t frame_type(const struct frame *f)
{
	struct virtio_gpu_ctrl_hdr h = {0};
	memcpy(&h, f->payload, sizeof(h));
	return h.type;
}

/* One sendmsg: header + payload, up to `nfds` fds on its first byte. */
static void send_raw(int fd, uint32_t flags, uint64_t tag, const void *payload, size_t size,
		     uint32_t claimed_size, const int *fds, size_t nfds)
{
	struct sock_frame_hdr hdr = {.size = claimed_size, .flags = flags, .tag = tag};
	struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {(void *)payload, size}};
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = size ? 2 : 1};
	if (nfds) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	if (sendmsg(fd, &msg, MSG_NOSIGNAL) != (ssize_t)(sizeof(hdr) + size)) {
		perror("sendmsg");
		exit(1);
	}
}

static void send_cmd(int fd, uint32_t flags, uint64_t tag, const void *cmd, size_t size, int mem_fd)
{
	send_raw(fd, flags | (mem_fd >= 0 ? SOCK_FRAME_F_FD : 0), tag, cmd, size, (uint32_t)size,
		 &mem_fd, mem_fd >= 0 ? 1 : 0);
}

/* Send, read the next frame, check its tag; returns the response type. */
static uint32_t call(int fd, uint64_t tag, const void *cmd, size_t size, int mem_fd,
		     struct frame *out)
{
	struct frame f;
	send_cmd(fd, 0, tag, cmd, size, mem_fd);
	if (!read_frame(fd, &f)) {
		CHECK(!"connection closed");
		return 0;
	}
	CHECK(f.hdr.tag == tag);
	CHECK(!(f.hdr.flags & SOCK_FRAME_F_HELLO));
	if (out)
		*out = f;
	else if (f.fd >= 0)
		close(f.fd);
	return frame_type(&f);
}

static bool wait_closed(int fd)
{
	struct frame f;
	while (read_frame(fd, &f)) {
		if (f.fd >= 0)
			close(f.fd);
	}
	return true;
}

static void pump_until_connections(size_t n)
{
	int64_t deadline = now_ms() + 5000;
	while (sock_server_connections(server) != n && now_ms() < deadline)
		wl_event_loop_dispatch(loop, 10);
	CHECK(sock_server_connections(server) == n);
}

static int open_client(void)
{
	int fd = connect_client();
	struct frame f;
	CHECK(read_frame(fd, &f));
	CHECK(f.hdr.flags == SOCK_FRAME_F_HELLO && f.hdr.tag == 0);
	CHECK(f.hdr.size == sizeof(struct sock_frame_hello));
	struct sock_frame_hello hello;
	memcpy(&hello, f.payload, sizeof(hello));
	CHECK(hello.version == SOCK_FRAME_VERSION && hello.num_capsets == 1);
	/* vsomm-host takes guest memory in SEND, unless strict (test-host strict cases) */
	CHECK(hello.features == (GPU_MODEL_FEATURES | SOCK_FRAME_FEATURE_GUEST_BLOB_SEND));
	return fd;
}

static struct virtio_gpu_ctrl_hdr hdr_of(uint32_t type, uint32_t ctx_id)
{
	return (struct virtio_gpu_ctrl_hdr){.type = type, .ctx_id = ctx_id};
}

static uint32_t capset_info(int fd, uint64_t tag)
{
	struct virtio_gpu_get_capset_info c = {.hdr = hdr_of(VIRTIO_GPU_CMD_GET_CAPSET_INFO, 0)};
	struct frame f;
	uint32_t type = call(fd, tag, &c, sizeof(c), -1, &f);
	if (type == VIRTIO_GPU_RESP_OK_CAPSET_INFO) {
		struct virtio_gpu_resp_capset_info r;
		memcpy(&r, f.payload, sizeof(r));
		CHECK(f.hdr.size == sizeof(r) && r.capset_id == 5 && r.capset_max_size == 16);
	}
	return type;
}

static int make_memfd(size_t size, unsigned flags)
{
	int fd = memfd_create("guest", MFD_CLOEXEC | flags);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		abort();
	return fd;
}

static struct virtio_gpu_resource_create_blob blob_cmd(uint32_t ctx, uint32_t res, uint32_t mem,
						       uint32_t flags, uint64_t blob_id,
						       uint64_t size)
{
	return (struct virtio_gpu_resource_create_blob){
		.hdr = hdr_of(VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, ctx),
		.resource_id = res,
		.blob_mem = mem,
		.blob_flags = flags,
		.blob_id = blob_id,
		.size = size,
	};
}

static void test_commands(int a)
{
	CHECK(capset_info(a, 1) == VIRTIO_GPU_RESP_OK_CAPSET_INFO);

	struct virtio_gpu_ctx_create cc = {
		.hdr = hdr_of(VIRTIO_GPU_CMD_CTX_CREATE, 1), .nlen = 4, .context_init = 5};
	memcpy(cc.debug_name, "test", 4);
	CHECK(call(a, 2, &cc, sizeof(cc), -1, NULL) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(fake_live_contexts == 1);
	struct fake_ctx *fctx = fake_last_ctx;

	/* GUEST blob: the memfd rides with the command, the host seals and maps it */
	int mem = make_memfd(4096, MFD_ALLOW_SEALING);
	struct virtio_gpu_resource_create_blob cb = blob_cmd(
		0, 10, VIRTIO_GPU_BLOB_MEM_GUEST, VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE, 0, 4096);
	CHECK(call(a, 3, &cb, sizeof(cb), mem, NULL) == VIRTIO_GPU_RESP_OK_NODATA);
	CHECK(fcntl(mem, F_GET_SEALS) & F_SEAL_SHRINK);
	close(mem);
	struct virtio_gpu_ctx_resource at = {.hdr = hdr_of(VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, 1),
					     .resource_id = 10};
	CHECK(call(a, 4, &at, sizeof(at), -1, NULL) == VIRTIO_GPU_RESP_OK_NODATA);
	struct gpu_model_resource *r = gpu_model_attached_resource(fctx->dev, 1, 10);
	CHECK(r && r->backing.addr && r->size == 4096);

	/* GUEST blobs refused (connection kept): unsealable, too small, no fd */
	mem = make_memfd(4096, 0);
	cb.resource_id = 11;
	CHECK(call(a, 5, &cb, sizeof(cb), mem, NULL) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	close(mem);
	mem = make_memfd(1024, MFD_ALLOW_SEALING);
	CHECK(call(a, 6, &cb, sizeof(cb), mem, NULL) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
	close(mem);
	CHECK(call(a, 7, &cb, sizeof(cb), -1, NULL) == VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);

	/* HOST3D blob, then MAP_BLOB returns its fd in the response frame */
	struct virtio_gpu_resource_create_blob hb = blob_cmd(
		1, 20, VIRTIO_GPU_BLOB_MEM_HOST3D,
		VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE | VIRTIO_GPU_BLOB_FLAG_USE_SHAREABLE, 1, 8192);
	CHECK(call(a, 8, &hb, sizeof(hb), -1, NULL) == VIRTIO_GPU_RESP_OK_NODATA);
	struct virtio_gpu_resource_map_blob mb = {
		.hdr = hdr_of(VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB, 0), .resource_id = 20};
	struct frame f;
	CHECK(call(a, 9, &mb, sizeof(mb), -1, &f) == VIRTIO_GPU_RESP_OK_MAP_INFO);
	CHECK(f.hdr.flags == SOCK_FRAME_F_FD && f.fd >= 0);
	if (f.fd >= 0) {
		struct stat st;
		uint8_t byte = 0;
		CHECK(fstat(f.fd, &st) == 0 && st.st_size == 8192);
		CHECK(pread(f.fd, &byte, 1, 4000) == 1 && byte == 0xab);
		close(f.fd);
	}

	/* NO_REPLY: no frame for 50 (ok) nor 51 (error); the next frame is 52 */
	uint8_t sub[sizeof(struct virtio_gpu_cmd_submit) + 8] = {0};
	struct virtio_gpu_cmd_submit sc = {.hdr = hdr_of(VIRTIO_GPU_CMD_SUBMIT_3D, 1), .size = 8};
	memcpy(sub, &sc, sizeof(sc));
	send_cmd(a, SOCK_FRAME_F_NO_REPLY, 50, sub, sizeof(sub), -1);
	struct virtio_gpu_ctrl_hdr bogus = hdr_of(0xdead, 1);
	send_cmd(a, SOCK_FRAME_F_NO_REPLY, 51, &bogus, sizeof(bogus), -1);
	CHECK(capset_info(a, 52) == VIRTIO_GPU_RESP_OK_CAPSET_INFO);
	CHECK(fctx->submits == 1);

	/* held fence: answered later, out of order, matched by tag */
	sc.hdr.flags = VIRTIO_GPU_FLAG_FENCE | VIRTIO_GPU_FLAG_INFO_RING_IDX;
	sc.hdr.ring_idx = 1;
	sc.hdr.fence_id = 7;
	memcpy(sub, &sc, sizeof(sc));
	send_cmd(a, 0, 60, sub, sizeof(sub), -1);
	CHECK(capset_info(a, 61) == VIRTIO_GPU_RESP_OK_CAPSET_INFO);
	gpu_model_fence_signal(fctx->dev, 1, 1, 7);
	/* sent by the signal itself, not at a later turn of the loop: a fence is
	 * never held back behind the completion that signalled it */
	struct sock_frame_hdr peek;
	CHECK(recv(a, &peek, sizeof(peek), MSG_PEEK | MSG_DONTWAIT) == (ssize_t)sizeof(peek));
	CHECK(peek.tag == 60);
	CHECK(read_frame(a, &f) && f.hdr.tag == 60 && frame_type(&f) == VIRTIO_GPU_RESP_OK_NODATA);
	struct virtio_gpu_ctrl_hdr h;
	memcpy(&h, f.payload, sizeof(h));
	CHECK(h.fence_id == 7 && h.ring_idx == 1 && (h.flags & VIRTIO_GPU_FLAG_FENCE));
	/* a held fence of a NO_REPLY command stays silent when signalled */
	sc.hdr.fence_id = 8;
	memcpy(sub, &sc, sizeof(sc));
	send_cmd(a, SOCK_FRAME_F_NO_REPLY, 62, sub, sizeof(sub), -1);
	CHECK(capset_info(a, 63) == VIRTIO_GPU_RESP_OK_CAPSET_INFO);
	gpu_model_fence_signal(fctx->dev, 1, 1, 8);
	CHECK(capset_info(a, 64) == VIRTIO_GPU_RESP_OK_CAPSET_INFO);

	/* a command split over many writes, and a zero-length frame */
	struct virtio_gpu_get_capset_info ci = {.hdr = hdr_of(VIRTIO_GPU_CMD_GET_CAPSET_INFO, 0)};
	struct sock_frame_hdr fh = {.size = sizeof(ci), .tag = 65};
	uint8_t whole[sizeof(fh) + sizeof(ci)];
	memcpy(whole, &fh, sizeof(fh));
	memcpy(whole + sizeof(fh), &ci, sizeof(ci));
	for (size_t i = 0; i < sizeof(whole); i++) {
		CHECK(write(a, whole + i, 1) == 1);
		wl_event_loop_dispatch(loop, 0);
	}
	CHECK(read_frame(a, &f) && f.hdr.tag == 65 &&
	      frame_type(&f) == VIRTIO_GPU_RESP_OK_CAPSET_INFO);
	send_cmd(a, 0, 66, NULL, 0, -1);
	CHECK(read_frame(a, &f) && f.hdr.tag == 66 && frame_type(&f) == VIRTIO_GPU_RESP_ERR_UNSPEC);
}

/*
 * A guest that does not read for a while: responses go out straight while the
 * socket takes them, then wait in the queue.  A fence signalled once the guest
 * has read a little (the socket has room, the queue still holds answers) comes
 * after every queued answer: nothing overtakes the queue.
 */
static void test_slow_reader(void)
{
	enum { N = 3000 };
	int b = open_client();
	pump_until_connections(2);
	struct virtio_gpu_ctx_create cc = {
		.hdr = hdr_of(VIRTIO_GPU_CMD_CTX_CREATE, 3), .nlen = 4, .context_init = 5};
	memcpy(cc.debug_name, "slow", 4);
	CHECK(call(b, 1, &cc, sizeof(cc), -1, NULL) == VIRTIO_GPU_RESP_OK_NODATA);
	struct fake_ctx *fctx = fake_last_ctx;
	struct virtio_gpu_cmd_submit sc = {.hdr = hdr_of(VIRTIO_GPU_CMD_SUBMIT_3D, 3)};
	sc.hdr.flags = VIRTIO_GPU_FLAG_FENCE | VIRTIO_GPU_FLAG_INFO_RING_IDX;
	sc.hdr.ring_idx = 1;
	sc.hdr.fence_id = 5;
	send_cmd(b, 0, 2, &sc, sizeof(sc), -1); /* held */

	struct virtio_gpu_get_capset_info ci = {.hdr = hdr_of(VIRTIO_GPU_CMD_GET_CAPSET_INFO, 0)};
	for (int i = 0; i < N; i++) {
		send_cmd(b, 0, 100 + (uint64_t)i, &ci, sizeof(ci), -1);
		if (i % 32 == 31 || i == N - 1) {
			/* the server reads (and answers) everything sent so far */
			int unread = 1;
			int64_t deadline = now_ms() + 5000;
			while (unread > 0 && now_ms() < deadline) {
				wl_event_loop_dispatch(loop, 0);
				CHECK(ioctl(b, SIOCOUTQ, &unread) == 0);
			}
			CHECK(unread == 0);
		}
	}
	/* the socket holds fewer answers than were made: the rest are queued */
	const size_t resp_len =
		sizeof(struct sock_frame_hdr) + sizeof(struct virtio_gpu_resp_capset_info);
	int on_socket = 0;
	CHECK(ioctl(b, FIONREAD, &on_socket) == 0);
	CHECK(on_socket > 0 && (size_t)on_socket < N * resp_len);
	/* read half of what is on the socket, without running the loop */
	int first = on_socket / (int)resp_len / 2, i = 0;
	struct frame f;
	for (; i < first; i++) {
		CHECK(read_frame(b, &f) && f.hdr.tag == 100 + (uint64_t)i);
	}
	gpu_model_fence_signal(fctx->dev, 3, 1, 5);
	for (; i <= N; i++) {
		CHECK(read_frame(b, &f));
		uint64_t want = i < N ? 100 + (uint64_t)i : 2;
		if (f.hdr.tag != want) {
			fprintf(stderr, "slow reader: frame %d has tag %llu, not %llu\n", i,
				(unsigned long long)f.hdr.tag, (unsigned long long)want);
			CHECK(!"a response overtook the queue");
			break;
		}
	}
	CHECK(frame_type(&f) == VIRTIO_GPU_RESP_OK_NODATA);
	close(b);
	pump_until_connections(1);
}

/* Each bad framing drops its own connection; `a` keeps working. */
static void test_bad_framing(int a)
{
	uint64_t tag = 100;
	struct virtio_gpu_get_capset_info ci = {.hdr = hdr_of(VIRTIO_GPU_CMD_GET_CAPSET_INFO, 0)};
	for (int kind = 0; kind < 8; kind++) {
		int b = open_client();
		pump_until_connections(2);
		int mem = make_memfd(4096, MFD_ALLOW_SEALING);
		int two[2] = {mem, mem};
		struct virtio_gpu_resource_create_blob hb = blob_cmd(
			0, 30, VIRTIO_GPU_BLOB_MEM_HOST3D, 0, 1, 4096);
		switch (kind) {
		case 0: /* oversized */
			send_raw(b, 0, 1, &ci, sizeof(ci), SOCK_FRAME_MAX_PAYLOAD + 1, NULL, 0);
			break;
		case 1: /* unknown flags */
			send_raw(b, 0x80, 1, &ci, sizeof(ci), sizeof(ci), NULL, 0);
			break;
		case 2: /* fd on the wrong command */
			send_cmd(b, 0, 1, &ci, sizeof(ci), mem);
			break;
		case 3: /* fd on a HOST3D blob */
			send_cmd(b, 0, 1, &hb, sizeof(hb), mem);
			break;
		case 4: /* F_FD without an fd */
			send_raw(b, SOCK_FRAME_F_FD, 1, &ci, sizeof(ci), sizeof(ci), NULL, 0);
			break;
		case 5: /* an fd without F_FD */
			send_raw(b, 0, 1, &ci, sizeof(ci), sizeof(ci), &mem, 1);
			break;
		case 6: /* two fds */
			send_raw(b, SOCK_FRAME_F_FD, 1, &ci, sizeof(ci), sizeof(ci), two, 2);
			break;
		case 7: /* HELLO from the guest */
			send_raw(b, SOCK_FRAME_F_HELLO, 1, &ci, sizeof(ci), sizeof(ci), NULL, 0);
			break;
		}
		close(mem);
		CHECK(wait_closed(b));
		close(b);
		pump_until_connections(1);
		CHECK(capset_info(a, tag++) == VIRTIO_GPU_RESP_OK_CAPSET_INFO);
	}
}

/* A peer of another uid is refused (needs root to become another user). */
static void test_other_uid(void)
{
	if (geteuid() != 0) {
		printf("other-uid check skipped (not root)\n");
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un addr = {.sun_family = AF_UNIX};
		snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
			_exit(3);
		char c;
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 5000) != 1)
			_exit(4);
		_exit(read(fd, &c, 1) == 0 ? 0 : 5); /* EOF, no HELLO */
	}
	int status = 0;
	int64_t deadline = now_ms() + 10000;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		wl_event_loop_dispatch(loop, 10);
	}
	CHECKF(WIFEXITED(status) && WEXITSTATUS(status) == 0, "other-uid child status 0x%x",
	       status);
}

int main(void)
{
	if (!getenv("VSOMM_TEST_LOG"))
		vsomm_log_init(VSOMM_LOG_SILENT, "test");
	int fds_before = count_fds();

	char dir[] = "/tmp/vsomm-test-socket-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/vsomm-host.sock", dir);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(lfd, 16) < 0) {
		perror("bind/listen");
		return 1;
	}
	chmod(dir, 0755);
	chmod(sock_path, 0777); /* let the other-uid child reach the uid check */

	loop = wl_event_loop_create();
	server = sock_server_create(loop, lfd, fake_capsets, NULL);
	CHECK(server);

	int a = open_client();
	pump_until_connections(1);
	test_commands(a);
	test_bad_framing(a);
	test_slow_reader();
	test_other_uid();
	pump_until_connections(1);

	/* a client leaving with a context, blobs and a held fence: all released */
	struct virtio_gpu_cmd_submit sc = {.hdr = hdr_of(VIRTIO_GPU_CMD_SUBMIT_3D, 1)};
	sc.hdr.flags = VIRTIO_GPU_FLAG_FENCE | VIRTIO_GPU_FLAG_INFO_RING_IDX;
	sc.hdr.ring_idx = 1;
	sc.hdr.fence_id = 99;
	send_cmd(a, 0, 200, &sc, sizeof(sc), -1);
	CHECK(fake_live_contexts == 1);
	close(a);
	pump_until_connections(0);
	CHECK(fake_live_contexts == 0);

	/* server destroy with a connection open */
	int c = open_client();
	pump_until_connections(1);
	sock_server_destroy(server);
	CHECK(wait_closed(c));
	close(c);
	wl_event_loop_destroy(loop);
	unlink(sock_path);
	rmdir(dir);

	int fds_after = count_fds();
	CHECK_EQ(fds_after, fds_before);
	printf("test-socket-server: all checks passed\n");
	return 0;
}
