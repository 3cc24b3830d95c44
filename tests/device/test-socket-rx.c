/* SPDX-License-Identifier: MIT */
/*
 * The socket transport's buffered frame reader (virtgpu/socket/frame-rx.c): frames
 * written back to back before anything is read, each fd-carrying frame starting
 * its own sendmsg() as both ends send them, must each get their own fd (told
 * apart by the memfd's size); fds that match no frame's first byte are refused;
 * frames larger than one read and frames split at every byte still come whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/lib/check.h"
#include "util/fdpass.h"
#include "tests/lib/fds.h"
#include "virtgpu/socket/frame-rx.h"

/* A memfd whose size tells it apart. */
static int memfd_of_size(off_t size)
{
	int fd = memfd_create("rx-test", MFD_CLOEXEC);
	CHECK(fd >= 0 && ftruncate(fd, size) == 0);
	return fd;
}

static off_t fd_size(int fd)
{
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	return st.st_size;
}

/*
 * One sendmsg() of `count` frames (tags tag0, tag0+1, ...; payload `size` bytes
 * each, filled with the tag's low byte), fds[i] >= 0 on the first byte of the
 * message; `flag_fd` sets F_FD on the first frame.
 */
static void send_frames(int sock, uint64_t tag0, size_t count, size_t size, int fd, bool flag_fd)
{
	size_t frame = sizeof(struct sock_frame_hdr) + size;
	uint8_t *buf = calloc(count, frame);
	CHECK(buf);
	for (size_t i = 0; i < count; i++) {
		struct sock_frame_hdr hdr = {
			.size = (uint32_t)size,
			.flags = i == 0 && flag_fd ? SOCK_FRAME_F_FD : 0,
			.tag = tag0 + i,
		};
		memcpy(buf + i * frame, &hdr, sizeof(hdr));
		memset(buf + i * frame + sizeof(hdr), (int)((tag0 + i) & 0xff), size);
	}
	CHECK(fdpass_send(sock, buf, count * frame, &fd, fd >= 0 ? 1 : 0, 0) ==
	      (ssize_t)(count * frame));
	free(buf);
}

struct got {
	uint64_t tag;
	uint32_t size;
	off_t fd_size; /* -1: no fd */
};

/* Read until EAGAIN or EOF; returns the frames taken, or -EPROTO. */
static int drain(struct sock_frame_rx *rx, int sock, struct got *got, int max)
{
	int n = 0;
	for (;;) {
		bool more;
		ssize_t r = sock_frame_rx_fill(rx, sock, &more);
		if (r == -EAGAIN)
			return n;
		if (r < 0)
			return (int)r;
		if (r == 0)
			return n; /* EOF: the writer is done */
		struct sock_frame_in f;
		int ret;
		while ((ret = sock_frame_rx_next(rx, &f)) > 0) {
			CHECK(n < max);
			for (uint32_t i = 0; i < f.hdr.size; i++)
				CHECK(f.payload[i] == (uint8_t)(f.hdr.tag & 0xff));
			got[n].tag = f.hdr.tag;
			got[n].size = f.hdr.size;
			got[n].fd_size = f.fd >= 0 ? fd_size(f.fd) : -1;
			if (f.fd >= 0)
				close(f.fd);
			n++;
		}
		if (ret < 0)
			return ret;
	}
}

static void pair(int sv[2])
{
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0);
}

/* Frames with and without fds, all written before the first read. */
static void test_back_to_back(void)
{
	int sv[2];
	pair(sv);
	int a = memfd_of_size(4096), b = memfd_of_size(8192), c = memfd_of_size(12288);
	send_frames(sv[0], 1, 2, 40, -1, false); /* 1, 2: no fd */
	send_frames(sv[0], 3, 1, 72, a, true);   /* 3: fd a */
	send_frames(sv[0], 4, 3, 24, b, true);   /* 4: fd b, then 5, 6 without */
	send_frames(sv[0], 7, 1, 0, c, true);    /* 7: fd c, empty payload */
	send_frames(sv[0], 8, 1, 16, -1, false);
	close(a);
	close(b);
	close(c);
	struct sock_frame_rx rx;
	sock_frame_rx_init(&rx);
	struct got got[16];
	int n = drain(&rx, sv[1], got, 16);
	CHECK(n == 8);
	const off_t want[] = {-1, -1, 4096, 8192, -1, -1, 12288, -1};
	for (int i = 0; i < n; i++) {
		CHECK(got[i].tag == (uint64_t)i + 1);
		CHECK(got[i].fd_size == want[i]);
	}
	CHECK(rx.num_pending == 0);
	sock_frame_rx_finish(&rx);
	close(sv[0]);
	close(sv[1]);
}

/* A frame larger than one read, with its fd, then more frames (from a child: they
 * do not fit in the socket buffer at once). */
static void test_large(void)
{
	int sv[2];
	pair(sv);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(sv[1]);
		int a = memfd_of_size(4096 * 5);
		send_frames(sv[0], 1, 1, SOCK_FRAME_MAX_PAYLOAD, a, true);
		send_frames(sv[0], 2, 2, 100, -1, false);
		_exit(0);
	}
	close(sv[0]);
	struct sock_frame_rx rx;
	sock_frame_rx_init(&rx);
	struct got got[4];
	int n = 0;
	while (n < 3) {
		struct pollfd pfd = {.fd = sv[1], .events = POLLIN};
		CHECK(poll(&pfd, 1, 10000) == 1);
		int k = drain(&rx, sv[1], got + n, 4 - n);
		CHECK(k >= 0);
		n += k;
	}
	CHECK(got[0].size == SOCK_FRAME_MAX_PAYLOAD && got[0].fd_size == 4096 * 5);
	CHECK(got[1].fd_size == -1 && got[2].tag == 3);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	sock_frame_rx_finish(&rx);
	close(sv[1]);
}

/* Split at every byte: the reads come one byte at a time. */
static void test_trickle(void)
{
	int sv[2];
	pair(sv);
	int a = memfd_of_size(4096);
	struct sock_frame_rx rx;
	sock_frame_rx_init(&rx);
	struct got got[4];
	int n = 0;
	/* frame 1 (fd a) split: its first byte alone carries the fd */
	uint8_t frame[sizeof(struct sock_frame_hdr) + 8];
	struct sock_frame_hdr hdr = {.size = 8, .flags = SOCK_FRAME_F_FD, .tag = 1};
	memcpy(frame, &hdr, sizeof(hdr));
	memset(frame + sizeof(hdr), 1, 8);
	for (size_t i = 0; i < sizeof(frame); i++) {
		struct iovec iov = {frame + i, 1};
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} cmsg;
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		if (i == 0) {
			memset(&cmsg, 0, sizeof(cmsg));
			mh.msg_control = cmsg.buf;
			mh.msg_controllen = sizeof(cmsg.buf);
			struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &a, sizeof(int));
		}
		CHECK(sendmsg(sv[0], &mh, 0) == 1);
		int k = drain(&rx, sv[1], got + n, 4 - n);
		CHECK(k >= 0);
		n += k;
		CHECK(n == (i + 1 == sizeof(frame) ? 1 : 0));
	}
	CHECK(got[0].tag == 1 && got[0].fd_size == 4096);
	close(a);
	sock_frame_rx_finish(&rx);
	close(sv[0]);
	close(sv[1]);
}

/* Misplaced fds: each case must end in -EPROTO with no fd left open. */
static void test_refused(int variant)
{
	int sv[2];
	pair(sv);
	int a = memfd_of_size(4096);
	switch (variant) {
	case 0: /* F_FD, but no fd came with the frame (read before anything follows) */
		send_frames(sv[0], 1, 1, 32, -1, true);
		break;
	case 1: /* an fd on a frame without F_FD, no F_FD frame in its bytes */
		send_frames(sv[0], 1, 2, 32, a, false);
		send_frames(sv[0], 3, 1, 32, -1, true);
		break;
	case 2: { /* two fds on one sendmsg */
		int two[2] = {a, a};
		struct sock_frame_hdr hdr = {.size = 0, .flags = SOCK_FRAME_F_FD, .tag = 1};
		struct iovec iov = {&hdr, sizeof(hdr)};
		union {
			char buf[CMSG_SPACE(sizeof(two))];
			struct cmsghdr align;
		} cmsg = {0};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cmsg.buf,
				    .msg_controllen = sizeof(cmsg.buf)};
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(two));
		memcpy(CMSG_DATA(c), two, sizeof(two));
		CHECK(sendmsg(sv[0], &mh, 0) == sizeof(hdr));
		break;
	}
	case 3: /* a frame larger than the limit */
		send_frames(sv[0], 1, 1, 0, -1, false);
		struct sock_frame_hdr hdr = {.size = SOCK_FRAME_MAX_PAYLOAD + 1, .tag = 2};
		CHECK(write(sv[0], &hdr, sizeof(hdr)) == sizeof(hdr));
		break;
	}
	close(a);
	struct sock_frame_rx rx;
	sock_frame_rx_init(&rx);
	struct got got[4];
	CHECK(drain(&rx, sv[1], got, 4) == -EPROTO);
	sock_frame_rx_finish(&rx);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	int before = count_fds();
	test_back_to_back();
	test_large();
	test_trickle();
	for (int v = 0; v < 4; v++)
		test_refused(v);
	CHECK(count_fds() == before);
	printf("test-socket-rx: ok\n");
	return 0;
}
