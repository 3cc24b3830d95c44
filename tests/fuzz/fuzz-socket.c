/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target (c): the socket transport's framing into vsomm-host's socket
 * server (virtgpu/socket/server.c), the device model and the cross-domain host
 * behind it, as one guest connection sees them.
 *
 * Each input is one connection to a server that lives for the whole process.
 * The input is a script: raw bytes, frames with fuzzed headers (and an fd of
 * any kind: memfd, pipe, socket, directory), GUEST blobs whose memfd matches or
 * not, half-closes.  The test's end of the connection drains what the server
 * answers.  After the input the connection is closed: the server must drop it
 * and free every fd of it.
 */
#include <fcntl.h>
#include <linux/virtio_gpu.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "cross-domain/protocol.h"
#include "tests/fuzz/fuzz-host-env.h"
#include "virtgpu/socket/frame.h"
#include "virtgpu/socket/server.h"

struct server_env {
	struct fuzz_host_env *env;
	struct sock_server *server;
	char path[160];
};

static void server_cleanup(void);
static struct server_env senv;

static struct server_env *server_env(void)
{
	if (senv.env)
		return &senv;
	senv.env = fuzz_host_env();
	snprintf(senv.path, sizeof(senv.path), "%s/vsomm-host.sock", senv.env->dir);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	FUZZ_CHECK(fd >= 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	memcpy(addr.sun_path, senv.path, strlen(senv.path) + 1);
	FUZZ_CHECK(bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	FUZZ_CHECK(listen(fd, 16) == 0);
	senv.server = sock_server_create(senv.env->loop, fd, senv.env->capsets,
						   &senv.env->config);
	FUZZ_CHECK(senv.server);
	atexit(server_cleanup);
	return &senv;
}

static void server_cleanup(void)
{
	sock_server_destroy(senv.server);
	unlink(senv.path);
}

static int make_fd(unsigned kind, size_t size)
{
	int fds[2], fd = -1;
	switch (kind % 4) {
	case 0:
		fd = memfd_create("fuzz-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (fd >= 0 && ftruncate(fd, (off_t)size) < 0) {
			close(fd);
			fd = -1;
		}
		break;
	case 1:
		if (pipe2(fds, O_CLOEXEC) == 0) {
			close(fds[1]);
			fd = fds[0];
		}
		break;
	case 2:
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		break;
	default:
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		break;
	}
	return fd;
}

/* false: the connection no longer takes bytes */
static bool send_bytes(int sock, const void *bytes, size_t size, int fd)
{
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
	ssize_t n = size ? sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) : 0;
	if (fd >= 0)
		close(fd);
	return n >= 0;
}

static void drain(int sock)
{
	uint8_t buf[8192];
	for (;;) {
		union {
			char buf[CMSG_SPACE(8 * sizeof(int))];
			struct cmsghdr align;
		} cmsg;
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cmsg.buf,
				     .msg_controllen = sizeof(cmsg.buf)};
		if (recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t k = 0; k < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(fd));
				close(fd);
			}
		}
	}
}

static void settle(struct fuzz_host_env *env, int sock)
{
	for (int i = 0; i < 3; i++) {
		fuzz_host_env_dispatch(env);
		drain(sock);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct server_env *s = server_env();
	struct fuzz_host_env *env = s->env;
	env->baseline_fds = count_fds();

	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	FUZZ_CHECK(sock >= 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	memcpy(addr.sun_path, s->path, strlen(s->path) + 1);
	FUZZ_CHECK(connect(sock, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	settle(env, sock);

	struct fuzz_input in = {data, size, 0};
	uint8_t frame[sizeof(struct sock_frame_hdr) + 4096];
	bool open = true;
	for (int ops = 0; open && fuzz_more(&in) && ops < 256; ops++) {
		size_t n;
		const uint8_t *p;
		switch (fuzz_u8(&in) % 5) {
		case 0: /* raw bytes */
			p = fuzz_bytes(&in, fuzz_u16(&in) % 4096, &n);
			open = send_bytes(sock, p, n, -1);
			break;
		case 1: { /* a frame: fuzzed flags and tag, an fd when F_FD says so */
			uint32_t flags = fuzz_u8(&in);
			uint64_t tag = fuzz_u8(&in);
			unsigned kind = fuzz_u8(&in);
			size_t fd_size = (size_t)fuzz_u16(&in) * 16;
			p = fuzz_bytes(&in, fuzz_u16(&in) % 4096, &n);
			struct sock_frame_hdr hdr = {.size = (uint32_t)n, .flags = flags,
							 .tag = tag};
			memcpy(frame, &hdr, sizeof(hdr));
			memcpy(frame + sizeof(hdr), p, n);
			int fd = flags & SOCK_FRAME_F_FD ? make_fd(kind, fd_size) : -1;
			open = send_bytes(sock, frame, sizeof(hdr) + n, fd);
			break;
		}
		case 2:
			settle(env, sock);
			break;
		case 3: { /* RESOURCE_CREATE_BLOB (GUEST) with its memory fd */
			struct virtio_gpu_resource_create_blob blob = {
				.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB},
				.resource_id = fuzz_u8(&in),
				.blob_mem = VIRTIO_GPU_BLOB_MEM_GUEST,
				.blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE,
				.size = (uint64_t)fuzz_u16(&in) * 64,
			};
			unsigned kind = fuzz_u8(&in);
			size_t fd_size = kind & 0x80 ? (size_t)fuzz_u16(&in) * 64 : blob.size;
			struct sock_frame_hdr hdr = {.size = sizeof(blob),
							 .flags = SOCK_FRAME_F_FD,
							 .tag = fuzz_u8(&in)};
			memcpy(frame, &hdr, sizeof(hdr));
			memcpy(frame + sizeof(hdr), &blob, sizeof(blob));
			open = send_bytes(sock, frame, sizeof(hdr) + sizeof(blob),
					  make_fd(kind & 0x7f, fd_size));
			break;
		}
		case 4: /* the guest stops sending */
			shutdown(sock, SHUT_WR);
			open = false;
			break;
		}
	}
	settle(env, sock);
	close(sock);
	for (int i = 0; i < 100 && sock_server_connections(s->server) > 0; i++)
		fuzz_host_env_dispatch(env);
	FUZZ_CHECK(sock_server_connections(s->server) == 0);
	fuzz_host_env_reset(env);
	FUZZ_CHECK(xdomain_service_live_contexts() == 0);
	fuzz_check_fds(env);
	return 0;
}
