/* SPDX-License-Identifier: MIT */
/*
 * A scripted vhost-user front-end for tests (header-only): what a 6.1
 * virtio_uml with tests/uml/patches does, message by message, with guest memory
 * in a memfd and control queue 0 laid out at fixed offsets.  It blocks (with a
 * timeout) where a real front-end would; the back-end under test must not.
 *
 * Guest memory (FE_MEM bytes, guest address 0, front-end address FE_UVA):
 *   0       descriptor table (FE_QSIZE entries)
 *   1024    avail ring
 *   2048    used ring
 *   8192 +  head * 1024: command (first 512 bytes), response (last 512)
 */
#ifndef TESTS_VHOST_USER_FRONTEND_H
#define TESTS_VHOST_USER_FRONTEND_H

#include <errno.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/fdpass.h"
#include "virtgpu/vhost-user/vhost-user-private.h"

#define FE_MEM (1u << 20)
#define FE_UVA 0x7f0000000000ull
#define FE_QSIZE 64u
#define FE_DESC 0u
#define FE_AVAIL 1024u
#define FE_USED 2048u
#define FE_CMDS 8192u

struct frontend {
	int sock;        /* the vhost-user socket */
	int backend_req; /* our end of the back-end request channel, -1 without */
	int kick, call;
	uint8_t *mem;
	uint16_t avail_idx, used_seen;
};

static inline int64_t fe_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline bool fe_connect(struct frontend *fe, const char *path)
{
	*fe = (struct frontend){.sock = -1, .backend_req = -1, .kick = -1, .call = -1};
	fe->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	strncpy(addr.sun_path, path, sizeof(addr.sun_path) - 1);
	return fe->sock >= 0 && connect(fe->sock, (struct sockaddr *)&addr, sizeof(addr)) == 0;
}

static inline bool fe_send(struct frontend *fe, uint32_t request, uint32_t flags,
			   const void *payload, uint32_t size, const int *fds, size_t nfds)
{
	struct vu_header hdr = {.request = request, .flags = VU_FLAG_VERSION | flags, .size = size};
	struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {(void *)payload, size}};
	return fdpass_sendv(fe->sock, iov, size ? 2 : 1, fds, nfds, 0) ==
	       (ssize_t)(sizeof(hdr) + size);
}

/* Read exactly `len` bytes within `timeout_ms`; false on EOF, error or timeout. */
static inline bool fe_read(int fd, void *buf, size_t len, int timeout_ms)
{
	uint8_t *p = buf;
	int64_t deadline = fe_now_ms() + timeout_ms;
	while (len > 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - fe_now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return false;
		ssize_t n = recv(fd, p, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* A reply of exactly `size` bytes to `request`. */
static inline bool fe_reply(struct frontend *fe, uint32_t request, void *payload, uint32_t size)
{
	struct vu_header hdr;
	if (!fe_read(fe->sock, &hdr, sizeof(hdr), 5000) || hdr.request != request ||
	    !(hdr.flags & VU_FLAG_REPLY) || hdr.size != size)
		return false;
	return fe_read(fe->sock, payload, size, 5000);
}

/* A request with NEED_REPLY whose REPLY_ACK must say success. */
static inline bool fe_call(struct frontend *fe, uint32_t request, const void *payload,
			   uint32_t size, const int *fds, size_t nfds)
{
	uint64_t status = 1;
	return fe_send(fe, request, VU_FLAG_NEED_REPLY, payload, size, fds, nfds) &&
	       fe_reply(fe, request, &status, sizeof(status)) && status == 0;
}

/* Negotiate (REPLY_ACK, BACKEND_REQ, SHMEM), hand over guest memory, start queue 0. */
static inline bool fe_setup(struct frontend *fe)
{
	uint64_t features, proto;
	if (!fe_send(fe, VU_GET_FEATURES, 0, NULL, 0, NULL, 0) ||
	    !fe_reply(fe, VU_GET_FEATURES, &features, sizeof(features)) ||
	    !fe_send(fe, VU_SET_FEATURES, 0, &features, sizeof(features), NULL, 0) ||
	    !fe_send(fe, VU_GET_PROTOCOL_FEATURES, 0, NULL, 0, NULL, 0) ||
	    !fe_reply(fe, VU_GET_PROTOCOL_FEATURES, &proto, sizeof(proto)))
		return false;
	proto = (1ull << VU_PROTOCOL_F_REPLY_ACK) | (1ull << VU_PROTOCOL_F_BACKEND_REQ) |
		(1ull << VU_PROTOCOL_F_SHMEM);
	if (!fe_send(fe, VU_SET_PROTOCOL_FEATURES, 0, &proto, sizeof(proto), NULL, 0))
		return false;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return false;
	fe->backend_req = sv[0];
	bool ok = fe_call(fe, VU_SET_BACKEND_REQ_FD, NULL, 0, &sv[1], 1);
	close(sv[1]);
	if (!ok)
		return false;

	int mem = memfd_create("fe-guest", MFD_CLOEXEC);
	if (mem < 0 || ftruncate(mem, FE_MEM) < 0)
		return false;
	fe->mem = mmap(NULL, FE_MEM, PROT_READ | PROT_WRITE, MAP_SHARED, mem, 0);
	struct {
		uint32_t num, padding;
		struct vu_mem_region r;
	} table = {1, 0, {.guest_addr = 0, .size = FE_MEM, .user_addr = FE_UVA}};
	ok = fe->mem != MAP_FAILED && fe_call(fe, VU_SET_MEM_TABLE, &table, sizeof(table), &mem, 1);
	close(mem);
	if (!ok)
		return false;

	fe->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fe->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct vu_vring_state num = {0, FE_QSIZE}, base = {0, 0}, enable = {0, 1};
	struct vu_vring_addr addr = {.index = 0,
				     .desc = FE_UVA + FE_DESC,
				     .avail = FE_UVA + FE_AVAIL,
				     .used = FE_UVA + FE_USED};
	uint64_t q0 = 0;
	return fe_call(fe, VU_SET_VRING_NUM, &num, sizeof(num), NULL, 0) &&
	       fe_call(fe, VU_SET_VRING_ADDR, &addr, sizeof(addr), NULL, 0) &&
	       fe_call(fe, VU_SET_VRING_BASE, &base, sizeof(base), NULL, 0) &&
	       fe_call(fe, VU_SET_VRING_KICK, &q0, sizeof(q0), &fe->kick, 1) &&
	       fe_call(fe, VU_SET_VRING_CALL, &q0, sizeof(q0), &fe->call, 1) &&
	       fe_call(fe, VU_SET_VRING_ENABLE, &enable, sizeof(enable), NULL, 0);
}

/* Put `cmd` on queue 0 (a readable and a writable descriptor), without a kick. */
static inline uint16_t fe_put(struct frontend *fe, const void *cmd, uint32_t size)
{
	uint16_t head = (uint16_t)((fe->avail_idx * 2u) % FE_QSIZE);
	uint64_t at = FE_CMDS + head * 1024u;
	memcpy(fe->mem + at, cmd, size);
	memset(fe->mem + at + 512, 0, 512);
	struct vring_desc *desc = (struct vring_desc *)(fe->mem + FE_DESC);
	desc[head] = (struct vring_desc){at, size, VRING_DESC_F_NEXT, (uint16_t)(head + 1)};
	desc[head + 1] = (struct vring_desc){at + 512, 512, VRING_DESC_F_WRITE, 0};
	struct vring_avail *avail = (struct vring_avail *)(fe->mem + FE_AVAIL);
	avail->ring[fe->avail_idx % FE_QSIZE] = head;
	__atomic_store_n(&avail->idx, (uint16_t)(fe->avail_idx + 1), __ATOMIC_RELEASE);
	fe->avail_idx++;
	return head;
}

static inline bool fe_kick(struct frontend *fe)
{
	uint64_t one = 1;
	return write(fe->kick, &one, sizeof(one)) == sizeof(one);
}

/* Put `cmd` on queue 0 and kick. */
static inline uint16_t fe_submit(struct frontend *fe, const void *cmd, uint32_t size)
{
	uint16_t head = fe_put(fe, cmd, size);
	return fe_kick(fe) ? head : 0xffff;
}

/* Wait for the next used element; its response's type, or 0 on timeout. */
static inline uint32_t fe_wait_used(struct frontend *fe, int timeout_ms)
{
	struct vring_used *used = (struct vring_used *)(fe->mem + FE_USED);
	int64_t deadline = fe_now_ms() + timeout_ms;
	while (__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) == fe->used_seen) {
		int64_t left = deadline - fe_now_ms();
		struct pollfd pfd = {.fd = fe->call, .events = POLLIN};
		if (left <= 0)
			return 0;
		poll(&pfd, 1, left < 50 ? (int)left : 50);
		uint64_t count;
		if (read(fe->call, &count, sizeof(count)) < 0 && errno != EAGAIN)
			return 0;
	}
	uint32_t head = used->ring[fe->used_seen % FE_QSIZE].id;
	fe->used_seen++;
	uint32_t type;
	memcpy(&type, fe->mem + FE_CMDS + head * 1024u + 512, sizeof(type));
	return type;
}

/* Has the back-end closed the vhost-user socket (within `timeout_ms`)? */
static inline bool fe_wait_dropped(struct frontend *fe, int timeout_ms)
{
	int64_t deadline = fe_now_ms() + timeout_ms;
	for (;;) {
		int64_t left = deadline - fe_now_ms();
		struct pollfd pfd = {.fd = fe->sock, .events = POLLIN};
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return false;
		uint8_t buf[64];
		ssize_t n = recv(fe->sock, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
	}
}

static inline void fe_close(struct frontend *fe)
{
	int fds[] = {fe->sock, fe->backend_req, fe->kick, fe->call};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
	if (fe->mem && fe->mem != MAP_FAILED)
		munmap(fe->mem, FE_MEM);
	*fe = (struct frontend){.sock = -1, .backend_req = -1, .kick = -1, .call = -1};
}

#endif
