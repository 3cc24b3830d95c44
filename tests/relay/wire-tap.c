/* SPDX-License-Identifier: MIT */
/*
 * wire-tap: a logging Wayland man in the middle, for the relay corpus
 * (docs/relay-corpus.md).
 *
 *   wire-tap --listen PATH --upstream PATH --log PREFIX
 *
 * Listens on the unix socket PATH; for each accepted connection N (0, 1, ...)
 * it connects to the unix socket --upstream and forwards both directions byte
 * for byte with their fds (each chunk is sent on with the fds that came with
 * it, so fds keep the bytes they travel with), and logs the connection to
 * PREFIX.N, one line per event, in the order the tap saw them:
 *
 *   F C|S KIND[:SIZE]              an fd arrived (C: client to server, S: server
 *                                  to client), with the chunk read at that point
 *   M C|S SEQ ID OPCODE SIZE HEX   a complete message: sequence number per
 *                                  direction, header, body bytes in hex
 *   E C|S                          that side closed (the tap then closes both)
 *
 * KIND is memfd:SIZE, file:SIZE, pipe, socket, anon (dmabuf, eventfd, ...) or
 * other.  Which message an fd belongs to is left to the reader of the log
 * (tests/relay/wire.py): libwayland sends a message's fds with its bytes or
 * with earlier ones, never later, so the fds of a direction belong to its
 * messages in order, each message taking as many as its signature has fd
 * arguments.
 *
 * The tap serves until SIGTERM/SIGINT.  It is a test tool, not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/fdpass.h"

#define MAX_CONNS 64
#define CHUNK 65536

struct side {
	int fd;                  /* the socket this direction is read from */
	struct fdpass_queue out; /* what waits to be written to the other side */
	uint8_t *msg;            /* bytes of the message being assembled */
	size_t msg_len, msg_cap;
	unsigned seq;
	bool broken; /* a header too small to frame on: no more M lines */
};

struct conn {
	bool used;
	FILE *log;
	struct side side[2]; /* 0: client (reads requests, 'C'), 1: upstream (events, 'S') */
};

static volatile sig_atomic_t stop;
static struct conn conns[MAX_CONNS];
static const char dir_name[2] = {'C', 'S'};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "wire-tap: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		die("fcntl");
}

static void log_fd(FILE *log, char dir, int fd)
{
	struct stat st;
	char link[64], target[256];
	ssize_t n;

	if (fstat(fd, &st) < 0) {
		fprintf(log, "F %c bad\n", dir);
		return;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	target[n < 0 ? 0 : n] = '\0';
	if (S_ISREG(st.st_mode))
		fprintf(log, "F %c %s:%lld\n", dir,
			strncmp(target, "/memfd:", 7) == 0 ? "memfd" : "file",
			(long long)st.st_size);
	else if (S_ISFIFO(st.st_mode))
		fprintf(log, "F %c pipe\n", dir);
	else if (S_ISSOCK(st.st_mode))
		fprintf(log, "F %c socket\n", dir);
	else if (strncmp(target, "anon_inode:", 11) == 0)
		fprintf(log, "F %c anon\n", dir);
	else
		fprintf(log, "F %c other\n", dir);
}

/* With 8 bytes assembled: is the header's size 8 (a message without arguments)? */
static bool message_is_header_only(const struct side *s)
{
	uint32_t word;
	memcpy(&word, s->msg + 4, 4);
	return (word >> 16) == 8;
}

/* Log every complete message of `bytes` (appended to what waits in `s`). */
static void log_bytes(FILE *log, char dir, struct side *s, const uint8_t *bytes, size_t len)
{
	while (len > 0 && !s->broken) {
		size_t want = 8;
		if (s->msg_len >= 8) {
			uint32_t word;
			memcpy(&word, s->msg + 4, 4);
			want = word >> 16;
			if (want < 8) {
				fprintf(log, "X %c message of size %zu: logging stops\n", dir,
					want);
				s->broken = true;
				return;
			}
		}
		size_t take = want - s->msg_len < len ? want - s->msg_len : len;
		if (s->msg_len + take > s->msg_cap) {
			size_t cap = 2 * s->msg_cap > s->msg_len + take ? 2 * s->msg_cap
									: s->msg_len + take;
			s->msg = realloc(s->msg, cap);
			if (!s->msg)
				die("realloc");
			s->msg_cap = cap;
		}
		memcpy(s->msg + s->msg_len, bytes, take);
		s->msg_len += take;
		bytes += take;
		len -= take;
		if (s->msg_len < want || (want == 8 && !message_is_header_only(s)))
			continue;
		uint32_t id, word;
		memcpy(&id, s->msg, 4);
		memcpy(&word, s->msg + 4, 4);
		fprintf(log, "M %c %u %u %u %u ", dir, s->seq++, id, word & 0xffff, word >> 16);
		for (size_t i = 8; i < s->msg_len; i++)
			fprintf(log, "%02x", s->msg[i]);
		fputc('\n', log);
		s->msg_len = 0;
	}
}

static void conn_close(struct conn *c)
{
	for (int i = 0; i < 2; i++) {
		close(c->side[i].fd);
		fdpass_queue_finish(&c->side[i].out);
		free(c->side[i].msg);
	}
	fclose(c->log);
	memset(c, 0, sizeof(*c));
}

/* Read what side `i` has and queue it for the other side; false at EOF/error. */
static bool conn_read(struct conn *c, int i)
{
	uint8_t buf[CHUNK];
	int fds[FDPASS_MAX_FDS];
	size_t nfds = 0;
	unsigned status = 0;
	struct side *s = &c->side[i], *o = &c->side[1 - i];
	ssize_t n = fdpass_recv(s->fd, buf, sizeof(buf), fds, FDPASS_MAX_FDS, &nfds, MSG_DONTWAIT,
				&status);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return true;
	for (size_t k = 0; k < nfds; k++)
		log_fd(c->log, dir_name[i], fds[k]);
	if (n <= 0) {
		fdpass_close_fds(fds, nfds);
		fprintf(c->log, "E %c\n", dir_name[i]);
		return false;
	}
	log_bytes(c->log, dir_name[i], s, buf, (size_t)n);
	if (!fdpass_queue_push(&s->out, buf, (size_t)n, fds, nfds)) {
		fdpass_close_fds(fds, nfds);
		return false;
	}
	return fdpass_queue_flush(&s->out, o->fd, MSG_DONTWAIT) >= 0;
}

static int listen_on(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "wire-tap: path too long: %s\n", path);
		exit(2);
	}
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 16) < 0)
		die(path);
	return fd;
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fprintf(stderr, "wire-tap: connect %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void usage(void)
{
	fprintf(stderr, "usage: wire-tap --listen PATH --upstream PATH --log PREFIX\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *listen_path = NULL, *upstream = NULL, *prefix = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--listen") == 0)
			listen_path = argv[i + 1];
		else if (strcmp(argv[i], "--upstream") == 0)
			upstream = argv[i + 1];
		else if (strcmp(argv[i], "--log") == 0)
			prefix = argv[i + 1];
		else
			usage();
	}
	if (!listen_path || !upstream || !prefix || argc != 7)
		usage();

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int lfd = listen_on(listen_path);
	unsigned next_conn = 0;
	struct pollfd pfd[1 + 2 * MAX_CONNS];
	while (!stop) {
		size_t np = 0;
		pfd[np++] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (int k = 0; k < MAX_CONNS; k++) {
			for (int i = 0; i < 2; i++) {
				struct side *s = &conns[k].side[i];
				short ev = 0;
				if (conns[k].used) {
					ev = POLLIN;
					if (!fdpass_queue_empty(&conns[k].side[1 - i].out))
						ev |= POLLOUT;
				}
				pfd[np++] = (struct pollfd){.fd = conns[k].used ? s->fd : -1,
							    .events = ev};
			}
		}
		if (poll(pfd, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (pfd[0].revents & POLLIN) {
			int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			int k = 0;
			while (k < MAX_CONNS && conns[k].used)
				k++;
			int ufd = cfd >= 0 && k < MAX_CONNS ? connect_to(upstream) : -1;
			if (ufd < 0) {
				if (cfd >= 0)
					close(cfd);
			} else {
				char path[4096];
				snprintf(path, sizeof(path), "%s.%u", prefix, next_conn++);
				struct conn *c = &conns[k];
				c->log = fopen(path, "w");
				if (!c->log)
					die(path);
				c->used = true;
				c->side[0].fd = cfd;
				c->side[1].fd = ufd;
				for (int i = 0; i < 2; i++) {
					set_nonblock(c->side[i].fd);
					fdpass_queue_init(&c->side[i].out);
				}
			}
		}
		for (int k = 0; k < MAX_CONNS; k++) {
			struct conn *c = &conns[k];
			if (!c->used)
				continue;
			bool ok = true;
			for (int i = 0; i < 2 && ok; i++) {
				short re = pfd[1 + 2 * k + i].revents;
				if (re & POLLOUT)
					ok = fdpass_queue_flush(&c->side[1 - i].out, c->side[i].fd,
								MSG_DONTWAIT) >= 0;
				if (ok && (re & (POLLIN | POLLHUP | POLLERR)))
					ok = conn_read(c, i);
			}
			if (!ok) {
				/* what was read from the other side still goes out, best effort */
				for (int i = 0; i < 2; i++)
					fdpass_queue_flush(&c->side[i].out, c->side[1 - i].fd,
							   MSG_DONTWAIT);
				conn_close(c);
			} else {
				fflush(c->log);
			}
		}
	}
	for (int k = 0; k < MAX_CONNS; k++)
		if (conns[k].used)
			conn_close(&conns[k]);
	close(lfd);
	unlink(listen_path);
	return 0;
}
