/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target (f): the vhost-user back-end (virtgpu/vhost-user/) as a hostile
 * front-end drives it: message framing (partial messages, sizes, flags, fds),
 * the memory table, ring sizes and addresses, descriptor chains in guest memory,
 * and the back-end request channel's replies (SHMEM_MAP acks).  The device model
 * behind it has the real cross-domain context type (fuzz-host-env.h).
 *
 * The input is a script of operations.  Raw ones write any bytes to the socket
 * or into guest memory; the others build well-formed messages around fuzzed
 * fields, so the fuzzer gets past the framing: a memory table over a 64 KiB
 * memfd, vring setup, a chain of descriptors published in the avail ring and
 * kicked, a virtio-gpu command placed in guest memory.  The event loop is
 * dispatched between operations (the back-end never blocks: a partial message
 * waits for the rest).  After each input the connection goes: every fd must be
 * closed and no context may remain.
 */
#include <linux/virtio_gpu.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "cross-domain/protocol.h"
#include "tests/fuzz/fuzz-host-env.h"
#include "util/fdpass.h"
#include "virtgpu/vhost-user/vhost-user-private.h"

#define MEM_SIZE (64u * 1024u)
#define UVA 0x10000000ull
#define RING_DESC 0u
#define RING_AVAIL 4096u
#define RING_USED 8192u
#define CMD_AREA 16384u

struct fe {
	struct vu_backend *server;
	int sock, backend_req;
	int mem_fd;
	uint8_t *mem;
	uint16_t avail_idx;
	uint32_t qsize;
};

static struct vu_backend *server;

/*
 * A second context type whose HOST3D blobs are plain memfds (capset 6), so that
 * MAP_BLOB reaches the host-visible region, SHMEM_MAP/UNMAP and their acks
 * without the cross-domain items behind a real blob id.
 */
#define MEMFD_CAPSET_ID 6u
static int memfd_contexts;

static void memfd_get_capset(void *data, void *buf)
{
	memset(buf, 0, 16);
}

static void *memfd_ctx_create(void *data, struct gpu_model *dev, uint32_t ctx_id,
			      const char *debug_name)
{
	memfd_contexts++;
	return &memfd_contexts;
}

static void memfd_ctx_destroy(void *ctx)
{
	memfd_contexts--;
}

static int memfd_submit(void *ctx, const void *cmd, size_t size)
{
	return 0;
}

static bool memfd_create_fence(void *ctx, uint32_t ring_idx, uint64_t fence_id)
{
	return ring_idx != 1; /* ring 1's fences are held until the context goes */
}

static int memfd_create_blob(void *ctx, uint64_t blob_id, struct gpu_model_resource *res)
{
	if (res->size == 0 || res->size > (1u << 20))
		return -EINVAL;
	int fd = memfd_create("fuzz-blob", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	void *addr = MAP_FAILED;
	if (ftruncate(fd, (off_t)res->size) == 0)
		addr = mmap(NULL, res->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (addr == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	res->backing = (struct gpu_model_backing){addr, res->size, fd, true};
	res->map_info = 0x01 | 0x30;
	return 0;
}

static const struct gpu_model_capset_ops memfd_capset = {
	.capset_id = MEMFD_CAPSET_ID,
	.max_size = 16,
	.get_capset = memfd_get_capset,
	.ctx_create = memfd_ctx_create,
	.ctx_destroy = memfd_ctx_destroy,
	.submit = memfd_submit,
	.create_fence = memfd_create_fence,
	.create_blob = memfd_create_blob,
};

static const uint32_t requests[] = {
	VU_GET_FEATURES,	 VU_SET_FEATURES,	  VU_SET_OWNER,
	VU_RESET_OWNER,		 VU_SET_MEM_TABLE,	  VU_SET_LOG_BASE,
	VU_SET_VRING_NUM,	 VU_SET_VRING_ADDR,	  VU_SET_VRING_BASE,
	VU_GET_VRING_BASE,	 VU_SET_VRING_KICK,	  VU_SET_VRING_CALL,
	VU_SET_VRING_ERR,	 VU_GET_PROTOCOL_FEATURES, VU_SET_PROTOCOL_FEATURES,
	VU_GET_QUEUE_NUM,	 VU_SET_VRING_ENABLE,	  VU_SET_BACKEND_REQ_FD,
	VU_GET_CONFIG,		 VU_SET_CONFIG,		  VU_VRING_KICK,
	VU_GET_SHMEM_CONFIG,
};

static bool alive(void)
{
	return server->conn != NULL;
}

/* Read (and drop) what the back-end sent on both channels, closing any fds. */
static void drain(struct fe *fe)
{
	int socks[] = {fe->sock, fe->backend_req};
	for (size_t s = 0; s < 2; s++) {
		if (socks[s] < 0)
			continue;
		for (int rounds = 0; rounds < 64; rounds++) {
			uint8_t buf[4096];
			int fds[8];
			size_t nfds = 0;
			unsigned status;
			ssize_t n = fdpass_recv(socks[s], buf, sizeof(buf), fds, 8, &nfds,
						MSG_DONTWAIT, &status);
			fdpass_close_fds(fds, nfds);
			if (n <= 0)
				break;
		}
	}
}

static void dispatch(struct fe *fe)
{
	fuzz_host_env_dispatch(fuzz_host_env());
	drain(fe);
}

static void send_msg(struct fe *fe, uint32_t request, uint32_t flags, const void *payload,
		     uint32_t size, const int *fds, size_t nfds)
{
	struct vu_header hdr = {.request = request, .flags = VU_FLAG_VERSION | flags, .size = size};
	struct iovec iov[2] = {{&hdr, sizeof(hdr)}, {(void *)payload, size}};
	(void)fdpass_sendv(fe->sock, iov, size ? 2 : 1, fds, nfds, MSG_DONTWAIT);
}

/* An fd of the kind the input picks: 0 none, 1 guest memory, 2 eventfd, 3 socket, 4 small memfd */
static int make_fd(struct fe *fe, unsigned kind)
{
	int sv[2];
	switch (kind % 5) {
	case 1:
		return fcntl(fe->mem_fd, F_DUPFD_CLOEXEC, 0);
	case 2:
		return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	case 3:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			return -1;
		close(sv[1]);
		return sv[0];
	case 4: {
		int fd = memfd_create("fuzz-small", MFD_CLOEXEC);
		if (fd >= 0 && ftruncate(fd, 100) < 0) {
			close(fd);
			return -1;
		}
		return fd;
	}
	default:
		return -1;
	}
}

static void set_mem_table(struct fe *fe, struct fuzz_input *in)
{
	uint8_t num = fuzz_u8(in) % (VU_MAX_REGIONS + 2);
	struct {
		uint32_t num, padding;
		struct vu_mem_region r[VU_MAX_REGIONS + 1];
	} table = {.num = num};
	int fds[VU_MAX_REGIONS + 1];
	size_t nfds = 0;
	uint8_t shape = fuzz_u8(in);
	for (uint32_t i = 0; i < num && i < VU_MAX_REGIONS + 1; i++) {
		if (shape & 1) { /* the whole memory in one region, as a front-end does */
			table.r[i] = (struct vu_mem_region){0, MEM_SIZE, UVA, 0};
		} else {
			table.r[i].guest_addr = (uint64_t)fuzz_u16(in) << 8;
			table.r[i].size = (uint64_t)fuzz_u16(in) << (fuzz_u8(in) % 48);
			table.r[i].user_addr = UVA + ((uint64_t)fuzz_u16(in) << 4);
			table.r[i].mmap_offset = (uint64_t)fuzz_u16(in) << (fuzz_u8(in) % 48);
		}
		fds[nfds] = make_fd(fe, shape & 2 ? fuzz_u8(in) : 1);
		if (fds[nfds] >= 0)
			nfds++;
	}
	uint32_t size = 8 + (uint32_t)(num <= VU_MAX_REGIONS + 1 ? num : 0) * 32;
	send_msg(fe, VU_SET_MEM_TABLE, (shape & 4) ? VU_FLAG_NEED_REPLY : 0, &table, size, fds,
		 nfds);
	fdpass_close_fds(fds, nfds);
}

/* Ring index, size, addresses (near the standard layout), base and enable. */
static void setup_vring(struct fe *fe, struct fuzz_input *in)
{
	uint32_t index = fuzz_u8(in) % 3;
	uint8_t what = fuzz_u8(in);
	if (what & 1) {
		struct vu_vring_state s = {index, (uint32_t)1 << (fuzz_u8(in) % 12)};
		if (what & 8)
			s.num = fuzz_u16(in);
		if (index == 0)
			fe->qsize = s.num;
		send_msg(fe, VU_SET_VRING_NUM, 0, &s, sizeof(s), NULL, 0);
	}
	if (what & 2) {
		struct vu_vring_addr a = {
			.index = index,
			.desc = UVA + RING_DESC,
			.avail = UVA + RING_AVAIL,
			.used = UVA + RING_USED,
		};
		if (what & 16) {
			a.desc += (uint64_t)(int16_t)fuzz_u16(in);
			a.avail += (uint64_t)(int16_t)fuzz_u16(in);
			a.used += (uint64_t)(int16_t)fuzz_u16(in);
		}
		send_msg(fe, VU_SET_VRING_ADDR, 0, &a, sizeof(a), NULL, 0);
	}
	if (what & 4) {
		struct vu_vring_state s = {index, fuzz_u16(in)};
		fe->avail_idx = (uint16_t)s.num;
		if (what & 32)
			s.num = 0x10000 + fuzz_u8(in);
		send_msg(fe, VU_SET_VRING_BASE, 0, &s, sizeof(s), NULL, 0);
	}
	if (what & 64) {
		uint64_t v = index;
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		send_msg(fe, what & 128 ? VU_SET_VRING_CALL : VU_SET_VRING_KICK, 0, &v, sizeof(v),
			 &fd, fd >= 0);
		if (fd >= 0)
			close(fd);
	}
	struct vu_vring_state en = {index, 1};
	send_msg(fe, VU_SET_VRING_ENABLE, 0, &en, sizeof(en), NULL, 0);
}

/* A chain of descriptors in the table, published in the avail ring, kicked in-band. */
static void chain(struct fe *fe, struct fuzz_input *in)
{
	uint32_t qsize = fe->qsize && fe->qsize <= 256 ? fe->qsize : 64;
	uint32_t head = fuzz_u8(in) % qsize;
	uint32_t n = fuzz_u8(in) % 6 + 1;
	uint8_t mode = fuzz_u8(in);
	struct vring_desc *desc = (struct vring_desc *)(fe->mem + RING_DESC);
	uint32_t at = head;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t next = (at + 1) % qsize;
		struct vring_desc d = {
			.addr = CMD_AREA + i * 2048u,
			.len = 2048,
			.flags = (uint16_t)(i + 1 < n ? VRING_DESC_F_NEXT : 0),
			.next = (uint16_t)next,
		};
		if (i > 0 && i + 1 == n)
			d.flags |= VRING_DESC_F_WRITE;
		if (mode & 1) { /* fuzzed fields */
			d.addr = (uint64_t)fuzz_u16(in) << (fuzz_u8(in) % 40);
			d.len = fuzz_u16(in);
			d.flags = fuzz_u8(in) & 7;
			d.next = fuzz_u8(in);
		}
		desc[at] = d;
		at = next;
	}
	struct vring_avail *avail = (struct vring_avail *)(fe->mem + RING_AVAIL);
	avail->ring[fe->avail_idx % qsize] = (uint16_t)head;
	fe->avail_idx++;
	if (mode & 2)
		fe->avail_idx += fuzz_u8(in);
	__atomic_store_n(&avail->idx, fe->avail_idx, __ATOMIC_RELEASE);
	struct vu_vring_state s = {mode & 4 ? 1u : 0u, 0};
	send_msg(fe, VU_VRING_KICK, 0, &s, sizeof(s), NULL, 0);
}

/* A virtio-gpu command in the command area (where chains point by default). */
static void place_command(struct fe *fe, struct fuzz_input *in)
{
	uint8_t which = fuzz_u8(in) % 6;
	uint32_t ctx = fuzz_u8(in) % 3 + 1;
	uint32_t res = fuzz_u8(in) % 8 + 1;
	uint8_t *at = fe->mem + CMD_AREA;
	memset(at, 0, 4096);
	switch (which) {
	case 0: {
		struct virtio_gpu_ctx_create c = {
			.hdr = {.type = VIRTIO_GPU_CMD_CTX_CREATE, .ctx_id = ctx},
			.nlen = 4,
			.context_init = fuzz_u8(in) & 1 ? MEMFD_CAPSET_ID : XDOMAIN_CAPSET_ID};
		memcpy(c.debug_name, "fuzz", 4);
		memcpy(at, &c, sizeof(c));
		break;
	}
	case 1: { /* GUEST blob over guest memory entries */
		struct virtio_gpu_resource_create_blob c = {
			.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, .ctx_id = ctx},
			.resource_id = res,
			.blob_mem = VIRTIO_GPU_BLOB_MEM_GUEST,
			.blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE,
			.nr_entries = fuzz_u8(in) % 3 + 1,
			.size = 4096,
		};
		memcpy(at, &c, sizeof(c));
		for (uint32_t i = 0; i < c.nr_entries; i++) {
			struct virtio_gpu_mem_entry e = {
				.addr = (uint64_t)fuzz_u16(in) << (fuzz_u8(in) % 24),
				.length = fuzz_u16(in)};
			memcpy(at + sizeof(c) + i * sizeof(e), &e, sizeof(e));
		}
		break;
	}
	case 2: { /* HOST3D blob (an item id) */
		struct virtio_gpu_resource_create_blob c = {
			.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, .ctx_id = ctx},
			.resource_id = res,
			.blob_mem = VIRTIO_GPU_BLOB_MEM_HOST3D,
			.blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE,
			.blob_id = fuzz_u8(in),
			.size = (uint64_t)fuzz_u16(in) * 64,
		};
		memcpy(at, &c, sizeof(c));
		break;
	}
	case 3: { /* MAP_BLOB at an offset of the host-visible region */
		struct virtio_gpu_resource_map_blob c = {
			.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB},
			.resource_id = res,
			.offset = (uint64_t)fuzz_u16(in) << 12};
		memcpy(at, &c, sizeof(c));
		break;
	}
	case 4: {
		struct virtio_gpu_resource_unmap_blob c = {
			.hdr = {.type = fuzz_u8(in) & 1 ? VIRTIO_GPU_CMD_RESOURCE_UNREF
							: VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB},
			.resource_id = res};
		memcpy(at, &c, sizeof(c));
		break;
	}
	default: { /* raw bytes */
		size_t n;
		const uint8_t *p = fuzz_bytes(in, fuzz_u16(in) % 2048, &n);
		memcpy(at, p, n);
		break;
	}
	}
}

/* The front-end's replies on the back-end channel: an ack (status from the input) or bytes. */
static void backend_reply(struct fe *fe, struct fuzz_input *in)
{
	if (fe->backend_req < 0)
		return;
	uint8_t kind = fuzz_u8(in);
	if (kind & 1) {
		size_t n;
		const uint8_t *p = fuzz_bytes(in, fuzz_u8(in), &n);
		(void)send(fe->backend_req, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		return;
	}
	struct {
		struct vu_header hdr;
		uint64_t status;
	} __attribute__((packed)) ack = {
		{kind & 2 ? VU_BACKEND_SHMEM_UNMAP : VU_BACKEND_SHMEM_MAP,
		 VU_FLAG_VERSION | VU_FLAG_REPLY, 8},
		kind & 4 ? 1 : 0};
	(void)send(fe->backend_req, &ack, sizeof(ack), MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void handshake(struct fe *fe)
{
	uint64_t proto = (1ull << VU_PROTOCOL_F_REPLY_ACK) | (1ull << VU_PROTOCOL_F_BACKEND_REQ) |
			 (1ull << VU_PROTOCOL_F_SHMEM) | (1ull << VU_PROTOCOL_F_CONFIG);
	uint64_t f = server->features;
	send_msg(fe, VU_SET_FEATURES, 0, &f, sizeof(f), NULL, 0);
	send_msg(fe, VU_SET_PROTOCOL_FEATURES, 0, &proto, sizeof(proto), NULL, 0);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
		if (fe->backend_req >= 0)
			close(fe->backend_req); /* the back-end closes its end of the old one */
		fe->backend_req = sv[0];
		send_msg(fe, VU_SET_BACKEND_REQ_FD, VU_FLAG_NEED_REPLY, NULL, 0, &sv[1], 1);
		close(sv[1]);
	}
}

static void run(struct fe *fe, struct fuzz_input *in)
{
	for (int ops = 0; fuzz_more(in) && ops < 128 && alive(); ops++) {
		uint8_t op = fuzz_u8(in) % 10;
		switch (op) {
		case 0: { /* raw bytes on the socket, maybe with an fd */
			unsigned kind = fuzz_u8(in);
			size_t n;
			const uint8_t *p = fuzz_bytes(in, fuzz_u16(in) % 1024, &n);
			int fd = make_fd(fe, kind);
			if (n > 0)
				(void)fdpass_send(fe->sock, p, n, &fd, fd >= 0, MSG_DONTWAIT);
			if (fd >= 0)
				close(fd);
			break;
		}
		case 1: { /* a message of a known request, payload from the input */
			uint32_t request = requests[fuzz_u8(in) % (sizeof(requests) /
								   sizeof(requests[0]))];
			uint32_t flags = fuzz_u8(in) & 0xc;
			unsigned kind = fuzz_u8(in);
			size_t n;
			const uint8_t *p = fuzz_bytes(in, fuzz_u16(in) % 256, &n);
			int fd = make_fd(fe, kind);
			send_msg(fe, request, flags, p, (uint32_t)n, &fd, fd >= 0);
			if (fd >= 0)
				close(fd);
			break;
		}
		case 2:
			set_mem_table(fe, in);
			break;
		case 3:
			setup_vring(fe, in);
			break;
		case 4: { /* bytes into guest memory */
			uint16_t off = fuzz_u16(in) % MEM_SIZE;
			size_t n;
			const uint8_t *p = fuzz_bytes(in, fuzz_u8(in), &n);
			if (n > MEM_SIZE - off)
				n = MEM_SIZE - off;
			memcpy(fe->mem + off, p, n);
			break;
		}
		case 5:
			chain(fe, in);
			break;
		case 6:
			place_command(fe, in);
			break;
		case 7:
			backend_reply(fe, in);
			break;
		case 8:
			handshake(fe);
			break;
		case 9: /* the front-end stops writing mid-way: nothing but a dispatch */
			break;
		}
		dispatch(fe);
	}
}

static int no_timer(void *data)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_host_env *env = fuzz_host_env();
	if (!server) {
		int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		/* an autobound abstract address: nobody connects, the fuzzer adds the front-end */
		struct sockaddr_un addr = {.sun_family = AF_UNIX};
		FUZZ_CHECK(lfd >= 0 &&
			   bind(lfd, (struct sockaddr *)&addr, sizeof(sa_family_t)) == 0 &&
			   listen(lfd, 1) == 0);
		static const struct gpu_model_capset_ops *capsets[3];
		capsets[0] = env->capsets[0];
		capsets[1] = &memfd_capset;
		server = vu_backend_create(env->loop, lfd, capsets, &env->config);
		FUZZ_CHECK(server);
		/* libwayland opens one timerfd for all of a loop's timers, at the first */
		wl_event_source_remove(wl_event_loop_add_timer(env->loop, no_timer, NULL));
	}
	env->baseline_fds = count_fds();

	struct fe fe = {.backend_req = -1};
	int sv[2];
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	fe.sock = sv[1];
	fe.mem_fd = memfd_create("fuzz-guest", MFD_CLOEXEC);
	FUZZ_CHECK(fe.mem_fd >= 0 && ftruncate(fe.mem_fd, MEM_SIZE) == 0);
	fe.mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fe.mem_fd, 0);
	FUZZ_CHECK(fe.mem != MAP_FAILED);
	FUZZ_CHECK(vu_conn_create(server, sv[0]));

	struct fuzz_input in = {data, size, 0};
	run(&fe, &in);
	vu_conn_destroy(server->conn);
	fuzz_host_env_dispatch(env);
	fuzz_host_env_reset(env);

	munmap(fe.mem, MEM_SIZE);
	close(fe.mem_fd);
	close(fe.sock);
	if (fe.backend_req >= 0)
		close(fe.backend_req);
	FUZZ_CHECK(xdomain_service_live_contexts() == 0 && memfd_contexts == 0);
	fuzz_check_fds(env);
	return 0;
}
