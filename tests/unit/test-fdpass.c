/* SPDX-License-Identifier: MIT */
/*
 * util/fdpass: fds pass through with their bytes, truncation closes the fds that
 * do not fit, the out-queue keeps byte order and sends each fd with the first
 * byte it was queued with across partial writes, and no fd leaks.
 */
#include "util/fdpass.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/check.h"
#include "tests/lib/fds.h"

/* A memfd whose size names it: the receiver can tell which one it got. */
static int tagged_fd(off_t tag)
{
	int fd = memfd_create("fdpass-test", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, tag) == 0);
	return fd;
}

static off_t tag_of(int fd)
{
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	return st.st_size;
}

static void pair(int sv[2])
{
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
}

static void test_pass_through(void)
{
	int sv[2];
	pair(sv);
	int fds[3] = {tagged_fd(1), tagged_fd(2), tagged_fd(3)};
	CHECK_EQ(fdpass_send(sv[0], "abc", 3, fds, 3, MSG_DONTWAIT), 3);
	fdpass_close_fds(fds, 3);
	/* without fds: no control message at all */
	CHECK_EQ(fdpass_send(sv[0], "de", 2, NULL, 0, 0), 2);

	char buf[16];
	int got[8];
	size_t nfds = 99;
	unsigned status = 99;
	CHECK_EQ(fdpass_recv(sv[1], buf, sizeof(buf), got, 8, &nfds, MSG_DONTWAIT, &status), 3);
	CHECK(memcmp(buf, "abc", 3) == 0);
	CHECK_EQ(nfds, 3);
	CHECK_EQ(status, 0);
	for (size_t i = 0; i < nfds; i++) {
		CHECK_EQ(tag_of(got[i]), (off_t)i + 1);
		CHECK(fcntl(got[i], F_GETFD) & FD_CLOEXEC);
	}
	fdpass_close_fds(got, nfds);
	CHECK_EQ(fdpass_recv(sv[1], buf, sizeof(buf), got, 8, &nfds, 0, NULL), 2);
	CHECK_EQ(nfds, 0);

	/* EAGAIN is the caller's, with no fd */
	nfds = 99;
	CHECK_EQ(fdpass_recv(sv[1], buf, sizeof(buf), got, 8, &nfds, MSG_DONTWAIT, &status), -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(nfds, 0);
	/* too many fds for one message */
	CHECK_EQ(fdpass_send(sv[0], "x", 1, got, FDPASS_MAX_FDS + 1, 0), -1);
	CHECK_EQ(errno, EINVAL);
	/* EOF */
	close(sv[0]);
	CHECK_EQ(fdpass_recv(sv[1], buf, sizeof(buf), got, 8, &nfds, 0, &status), 0);
	CHECK_EQ(nfds, 0);
	close(sv[1]);
}

/* Send `sent` fds, receive with room for `room`: `kept` arrive, the rest are closed. */
static void truncate_case(size_t sent, size_t room, size_t kept)
{
	int sv[2];
	pair(sv);
	int fds[8];
	for (size_t i = 0; i < sent; i++)
		fds[i] = tagged_fd((off_t)i + 1);
	CHECK_EQ(fdpass_send(sv[0], "m", 1, fds, sent, 0), 1);
	fdpass_close_fds(fds, sent);
	int before = count_fds();

	char c;
	int got[8];
	size_t nfds;
	unsigned status;
	CHECK_EQ(fdpass_recv(sv[1], &c, 1, got, room, &nfds, 0, &status), 1);
	CHECK_EQ(nfds, kept);
	CHECK(status & FDPASS_RECV_TRUNCATED);
	for (size_t i = 0; i < nfds; i++)
		CHECK_EQ(tag_of(got[i]), (off_t)i + 1);
	/* exactly the kept fds are new in this process */
	CHECK_EQ(count_fds(), before + (int)kept);
	fdpass_close_fds(got, nfds);
	close(sv[0]);
	close(sv[1]);
}

static void test_truncation(void)
{
	/* the kernel truncates: room for 2 is exactly CMSG_SPACE(2 ints) */
	truncate_case(5, 2, 2);
	/* CMSG_SPACE(3 ints) holds 4 on LP64: the kernel installs 4, the 4th is closed
	 * here; on other ABIs the kernel truncates.  Either way 3 arrive. */
	truncate_case(5, 3, 3);
	truncate_case(4, 3, 3);
	/* no room at all */
	truncate_case(2, 0, 0);
}

/*
 * A queue of messages, some with fds, through a socket with a small buffer,
 * flushed in pieces while the peer reads in small pieces: the byte stream
 * arrives in order, and every fd arrives with the read that holds the first byte
 * of its message.
 */
#define MSGS 200
#define MSG_SIZE 1000

static uint8_t byte_at(size_t pos)
{
	return (uint8_t)(pos * 7 + pos / 251);
}

static void test_queue_order(void)
{
	int sv[2];
	pair(sv);
	int small = 4096;
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) == 0);
	CHECK(setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) == 0);
	CHECK(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0);

	struct fdpass_queue q;
	fdpass_queue_init(&q);
	uint8_t msg[MSG_SIZE];
	size_t pos = 0;
	for (size_t m = 0; m < MSGS; m++) {
		for (size_t i = 0; i < MSG_SIZE; i++)
			msg[i] = byte_at(pos + i);
		/* every third message carries fds; two in a row sometimes */
		int fds[2];
		size_t nfds = m % 3 == 0 ? 1 + m % 2 : 0;
		for (size_t i = 0; i < nfds; i++)
			fds[i] = tagged_fd((off_t)(m * 10 + i + 1));
		size_t size = 1 + (m * 37) % MSG_SIZE;
		if (m % 4 == 1) {
			/* straight to the socket when nothing waits, else behind what does */
			struct iovec iov[2] = {{msg, size / 2}, {msg + size / 2, size - size / 2}};
			CHECK(fdpass_queue_sendv(&q, sv[0], iov, 2, fds, nfds, MSG_DONTWAIT) >= 0);
		} else {
			CHECK(fdpass_queue_push(&q, msg, size, fds, nfds));
		}
		pos += size;
		/* flush now and then while pushing, as a busy connection does */
		if (m % 17 == 0)
			CHECK(fdpass_queue_flush(&q, sv[0], MSG_DONTWAIT) >= 0);
	}
	const size_t total = pos;
	CHECK_EQ(fdpass_queue_size(&q) <= total, 1);

	/* where each fd-carrying message starts, and its tag */
	size_t starts[MSGS];
	size_t nstarts = 0;
	pos = 0;
	for (size_t m = 0; m < MSGS; m++) {
		if (m % 3 == 0)
			starts[nstarts++] = pos;
		pos += 1 + (m * 37) % MSG_SIZE;
	}

	size_t got = 0, next_fd_msg = 0;
	uint8_t buf[700];
	while (got < total) {
		CHECK(fdpass_queue_flush(&q, sv[0], MSG_DONTWAIT) >= 0);
		int fds[8];
		size_t nfds;
		unsigned status;
		ssize_t n = fdpass_recv(sv[1], buf, sizeof(buf), fds, 8, &nfds, MSG_DONTWAIT,
					&status);
		if (n < 0) {
			CHECK_EQ(errno, EAGAIN);
			continue;
		}
		CHECK(n > 0);
		CHECK_EQ(status, 0);
		for (ssize_t i = 0; i < n; i++)
			CHECK_EQ(buf[i], byte_at(got + (size_t)i));
		if (nfds > 0) {
			/* the fds of exactly one message, whose first byte is in this read
			 * (a read may begin with bytes before it: the kernel glues them) */
			CHECK(next_fd_msg < nstarts);
			CHECK(starts[next_fd_msg] >= got && starts[next_fd_msg] < got + (size_t)n);
			CHECK(next_fd_msg + 1 >= nstarts || starts[next_fd_msg + 1] >= got + (size_t)n);
			size_t m = next_fd_msg * 3;
			CHECK_EQ(nfds, 1 + m % 2);
			for (size_t i = 0; i < nfds; i++)
				CHECK_EQ(tag_of(fds[i]), (off_t)(m * 10 + i + 1));
			fdpass_close_fds(fds, nfds);
			next_fd_msg++;
		} else {
			/* no fd-carrying message started in this read */
			CHECK(next_fd_msg >= nstarts || starts[next_fd_msg] >= got + (size_t)n);
		}
		got += (size_t)n;
	}
	CHECK_EQ(next_fd_msg, nstarts);
	CHECK(fdpass_queue_empty(&q));
	fdpass_queue_finish(&q);
	close(sv[0]);
	close(sv[1]);
}

static void test_queue_errors(void)
{
	struct fdpass_queue q;
	fdpass_queue_init(&q);
	int fd = tagged_fd(1);
	/* fds need a byte to travel with; the fd stays the caller's */
	CHECK(!fdpass_queue_push(&q, "", 0, &fd, 1));
	CHECK_EQ(errno, EINVAL);
	CHECK(fdpass_queue_empty(&q));
	CHECK(fcntl(fd, F_GETFD) >= 0);

	/* clear closes queued fds */
	int before = count_fds();
	CHECK(fdpass_queue_push(&q, "a", 1, &fd, 1));
	CHECK_EQ(count_fds(), before);
	fdpass_queue_clear(&q);
	CHECK_EQ(count_fds(), before - 1);
	CHECK(fdpass_queue_empty(&q));

	/* a peer that went away: -1 (EPIPE, no SIGPIPE), the queue keeps its bytes */
	int sv[2];
	pair(sv);
	close(sv[1]);
	CHECK(fdpass_queue_push(&q, "abc", 3, NULL, 0));
	CHECK_EQ(fdpass_queue_flush(&q, sv[0], MSG_DONTWAIT), -1);
	CHECK_EQ(errno, EPIPE);
	CHECK_EQ(fdpass_queue_size(&q), 3);
	/* sendv to that peer: -1 EPIPE, its fd closed, nothing of it queued */
	before = count_fds();
	fd = tagged_fd(1);
	fdpass_queue_clear(&q);
	struct iovec iov = {"xyz", 3};
	CHECK_EQ(fdpass_queue_sendv(&q, sv[0], &iov, 1, &fd, 1, MSG_DONTWAIT), -1);
	CHECK_EQ(errno, EPIPE);
	CHECK(fdpass_queue_empty(&q));
	CHECK_EQ(count_fds(), before);
	/* bytes waiting: queued behind them, not sent (the order of the stream) */
	CHECK(fdpass_queue_push(&q, "abc", 3, NULL, 0));
	fd = tagged_fd(1);
	CHECK_EQ(fdpass_queue_sendv(&q, sv[0], &iov, 1, &fd, 1, MSG_DONTWAIT), 0);
	CHECK_EQ(fdpass_queue_size(&q), 6);
	fdpass_queue_clear(&q);
	CHECK_EQ(count_fds(), before);
	/* fds without bytes: EINVAL, the fd closed */
	fd = tagged_fd(1);
	CHECK_EQ(fdpass_queue_sendv(&q, sv[0], &iov, 0, &fd, 1, MSG_DONTWAIT), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(count_fds(), before);
	close(sv[0]);

	/* write() flush for pipes, partial and in order */
	int p[2];
	CHECK(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
	fdpass_queue_clear(&q);
	static uint8_t big[200000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = byte_at(i);
	CHECK(fdpass_queue_push(&q, big, sizeof(big), NULL, 0));
	size_t got = 0;
	static uint8_t out[sizeof(big)];
	while (got < sizeof(big)) {
		CHECK(fdpass_queue_flush_write(&q, p[1]) >= 0);
		ssize_t n = read(p[0], out + got, sizeof(big) - got);
		CHECK(n > 0);
		got += (size_t)n;
	}
	CHECK(memcmp(big, out, sizeof(big)) == 0);
	CHECK(fdpass_queue_empty(&q));
	/* a queue with fds cannot go through write() */
	fd = tagged_fd(1);
	CHECK(fdpass_queue_push(&q, "a", 1, &fd, 1));
	CHECK_EQ(fdpass_queue_flush_write(&q, p[1]), -1);
	CHECK_EQ(errno, EINVAL);
	fdpass_queue_finish(&q);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	int fds_at_start = count_fds();
	test_pass_through();
	CHECK_EQ(count_fds(), fds_at_start);
	test_truncation();
	CHECK_EQ(count_fds(), fds_at_start);
	test_queue_order();
	CHECK_EQ(count_fds(), fds_at_start);
	test_queue_errors();
	CHECK_EQ(count_fds(), fds_at_start);
	return 0;
}
