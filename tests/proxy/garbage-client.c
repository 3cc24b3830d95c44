/* SPDX-License-Identifier: MIT */
/*
 * garbage-client: connects to $WAYLAND_DISPLAY, sends bytes that are not a
 * valid Wayland message and checks the compositor disconnects it within
 * 5 seconds.  Exit 0 when it did.
 */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(void)
{
	const char *dir = getenv("XDG_RUNTIME_DIR"), *name = getenv("WAYLAND_DISPLAY");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	/* object 1 (wl_display), opcode 0x77, a size smaller than a header,
	 * then an object that does not exist. */
	const uint32_t garbage[] = {1, (4u << 16) | 0x77, 0xdeadbeef, (12u << 16) | 3, 0x41414141};
	struct pollfd pfd;
	char buf[4096];
	int fd;

	if (!dir || !name)
		return 2;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", dir, name);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("garbage-client: connect");
		return 2;
	}
	if (write(fd, garbage, sizeof(garbage)) != (ssize_t)sizeof(garbage)) {
		perror("garbage-client: write");
		return 2;
	}
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	for (;;) {
		ssize_t n;

		if (poll(&pfd, 1, 5000) <= 0) {
			fprintf(stderr, "garbage-client: still connected after 5 s\n");
			return 1;
		}
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && pfd.revents & (POLLHUP | POLLERR))) {
			close(fd);
			return 0;
		}
	}
}
