/* SPDX-License-Identifier: MIT */
/* The scripted fake vsomm-host of the guest tests (see fake-vsomm-host.h). */
#include "tests/lib/fake-vsomm-host.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_gpu.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/lib/check.h"
#include "util/fdpass.h"
#include "virtgpu/socket/frame.h"

#define FMT_XRGB8888 0x34325258u
#define PAGE 4096u

void fake_host_lock(struct fake_host *fh)
{
	pthread_mutex_lock(&fh->lock);
}

void fake_host_unlock(struct fake_host *fh)
{
	pthread_mutex_unlock(&fh->lock);
}

static void send_frame(struct fake_host *fh, uint32_t flags, uint64_t tag, const void *payload,
		       size_t size, int fd)
{
	if (fh->conn < 0)
		return;
	struct sock_frame_hdr hdr = {.size = (uint32_t)size, .flags = flags, .tag = tag};
	uint8_t buf[sizeof(hdr) + FH_MAX_PAYLOAD];
	CHECK(size <= FH_MAX_PAYLOAD);
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), payload, size);
	if (fd >= 0) {
		hdr.flags |= SOCK_FRAME_F_FD;
		memcpy(buf, &hdr, sizeof(hdr));
	}
	ssize_t n = fdpass_send(fh->conn, buf, sizeof(hdr) + size, &fd, fd >= 0 ? 1 : 0, 0);
	CHECK(n == (ssize_t)(sizeof(hdr) + size) || (n < 0 && errno == EPIPE));
}

static void respond(struct fake_host *fh, uint64_t tag, uint32_t type, const void *extra,
		    size_t extra_size, int fd)
{
	uint8_t buf[256];
	struct virtio_gpu_ctrl_hdr hdr = {.type = type};
	memcpy(buf, &hdr, sizeof(hdr));
	if (extra_size)
		memcpy(buf + sizeof(hdr), extra, extra_size);
	send_frame(fh, 0, tag, buf, sizeof(hdr) + extra_size, fd);
}

static void complete_fence(struct fake_host *fh, uint64_t tag, uint64_t fence, uint32_t ring)
{
	struct virtio_gpu_ctrl_hdr hdr = {
		.type = VIRTIO_GPU_RESP_OK_NODATA,
		.flags = VIRTIO_GPU_FLAG_FENCE | VIRTIO_GPU_FLAG_INFO_RING_IDX,
		.fence_id = fence,
		.ring_idx = (uint8_t)ring,
	};
	send_frame(fh, 0, tag, &hdr, sizeof(hdr), -1);
}

static int memfd_with(const void *content, size_t size)
{
	int fd = memfd_create("fake-vsomm-host-item", MFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(ftruncate(fd, (off_t)size) == 0);
	if (content)
		CHECK(pwrite(fd, content, size, 0) == (ssize_t)size);
	return fd;
}

static uint32_t add_item_locked(struct fake_host *fh, int fd, uint64_t size)
{
	CHECK(fh->num_items < FH_MAX);
	uint32_t id = fh->next_item++;
	fh->items[fh->num_items].id = id;
	fh->items[fh->num_items].fd = fd;
	fh->items[fh->num_items].size = size;
	fh->num_items++;
	return id;
}

uint32_t fake_host_add_item(struct fake_host *fh, const void *content, size_t size)
{
	fake_host_lock(fh);
	uint32_t id = add_item_locked(fh, memfd_with(content, size), size);
	fake_host_unlock(fh);
	return id;
}

/* Deliver one queued message if a POLL is held (lock held). */
static void maybe_deliver(struct fake_host *fh)
{
	if (!fh->polls_held || (fh->queue_len == 0 && fh->fault != FH_FAULT_EMPTY_FENCE))
		return;
	if (fh->fault == FH_FAULT_EMPTY_FENCE) {
		fh->fault = FH_FAULT_NONE;
	} else {
		uint8_t *ring = fh->res[fh->channel_ring_id].map;
		CHECK(ring);
		memcpy(ring, fh->queue[0].bytes, fh->queue[0].size);
		memmove(&fh->queue[0], &fh->queue[1],
			sizeof(fh->queue[0]) * (size_t)(fh->queue_len - 1));
		fh->queue_len--;
	}
	fh->polls_held--;
	complete_fence(fh, fh->poll_tag, fh->poll_fence, XDOMAIN_CHANNEL_RING);
}

static void kick_thread(struct fake_host *fh)
{
	char c = 1;
	CHECK(write(fh->wake[1], &c, 1) == 1);
}

void fake_host_queue_receive(struct fake_host *fh, const void *bytes, size_t size,
			     const uint32_t *ids, const uint32_t *types, const uint32_t *sizes,
			     size_t num_ids)
{
	struct xdomain_send_receive sr = {.hdr.cmd = XDOMAIN_CMD_RECEIVE};
	sr.num_identifiers = (uint32_t)num_ids;
	sr.opaque_data_size = (uint32_t)size;
	for (size_t i = 0; i < num_ids; i++) {
		sr.identifiers[i] = ids[i];
		sr.identifier_types[i] = types[i];
		sr.identifier_sizes[i] = sizes[i];
	}
	CHECK(size <= XDOMAIN_MAX_RECEIVE_BYTES);
	fake_host_lock(fh);
	CHECK(fh->queue_len < 16);
	struct fh_message *m = &fh->queue[fh->queue_len++];
	memcpy(m->bytes, &sr, sizeof(sr));
	if (size)
		memcpy(m->bytes + sizeof(sr), bytes, size);
	m->size = sizeof(sr) + size;
	fake_host_unlock(fh);
	kick_thread(fh);
}

void fake_host_queue_read(struct fake_host *fh, uint32_t id, const void *bytes, size_t size,
			  bool hang_up)
{
	struct xdomain_read_write rw = {.hdr.cmd = XDOMAIN_CMD_READ};
	rw.identifier = id;
	rw.hang_up = hang_up;
	rw.opaque_data_size = (uint32_t)size;
	CHECK(size <= XDOMAIN_MAX_READ_BYTES);
	fake_host_lock(fh);
	CHECK(fh->queue_len < 16);
	struct fh_message *m = &fh->queue[fh->queue_len++];
	memcpy(m->bytes, &rw, sizeof(rw));
	if (size)
		memcpy(m->bytes + sizeof(rw), bytes, size);
	m->size = sizeof(rw) + size;
	fake_host_unlock(fh);
	kick_thread(fh);
}

void fake_host_kick(struct fake_host *fh, enum fh_fault fault)
{
	fake_host_lock(fh);
	fh->fault = fault;
	fake_host_unlock(fh);
	kick_thread(fh);
}

/* ---- cross-domain commands in a SUBMIT_3D ---- */

static void image_requirements(struct fake_host *fh, const uint8_t *p)
{
	struct xdomain_get_image_requirements q;
	memcpy(&q, p, sizeof(q));
	fh->image_queries++;
	if (q.drm_format != FMT_XRGB8888)
		return; /* like rutabaga: an error writes nothing */
	struct xdomain_image_requirements r = {.strides = {q.width * 4}, .modifier = 0};
	r.size = ((uint64_t)q.width * 4 * q.height + PAGE - 1) / PAGE * PAGE;
	r.blob_id = add_item_locked(fh, memfd_with(NULL, r.size), r.size);
	r.map_info = XDOMAIN_MAP_CACHE_CACHED;
	r.memory_idx = r.physical_device_idx = -1;
	CHECK(fh->res[fh->query_ring_id].map);
	memcpy(fh->res[fh->query_ring_id].map, &r, sizeof(r));
}

static void record_send(struct fake_host *fh, const uint8_t *p, size_t left, uint32_t frame_flags,
			uint32_t ctrl_flags)
{
	struct xdomain_send_receive sr;
	CHECK(left >= sizeof(sr));
	memcpy(&sr, p, sizeof(sr));
	CHECK(sr.num_identifiers <= XDOMAIN_MAX_IDENTIFIERS);
	CHECK(sr.opaque_data_size <= XDOMAIN_MAX_SEND_BYTES);
	CHECK(sizeof(sr) + sr.opaque_data_size <= left);
	CHECK(fh->num_sends < FH_MAX);
	struct fh_send *s = &fh->sends[fh->num_sends++];
	s->frame_flags = frame_flags;
	s->ctrl_flags = ctrl_flags;
	s->cmd_size = sr.hdr.cmd_size;
	s->num_ids = sr.num_identifiers;
	memcpy(s->ids, sr.identifiers, sizeof(s->ids));
	memcpy(s->types, sr.identifier_types, sizeof(s->types));
	s->size = sr.opaque_data_size;
	memcpy(s->data, p + sizeof(sr), s->size);
	for (uint32_t i = 0; i < sr.num_identifiers; i++) {
		if (sr.identifier_types[i] != XDOMAIN_ID_TYPE_READ_PIPE)
			continue;
		uint32_t id = fh->read_pipe_counter + 1;
		fh->read_pipe_counter = id < XDOMAIN_PIPE_READ_START ? XDOMAIN_PIPE_READ_START : id;
		if (sr.identifiers[i] != fh->read_pipe_counter)
			fh->read_pipe_mismatches++;
	}
}

static void submit_3d(struct fake_host *fh, const uint8_t *payload, size_t size, uint64_t tag,
		      uint32_t frame_flags)
{
	struct virtio_gpu_cmd_submit sub;
	CHECK(size >= sizeof(sub));
	memcpy(&sub, payload, sizeof(sub));
	CHECK(sub.hdr.ctx_id == 1);
	CHECK(sizeof(sub) + sub.size == size);
	const uint8_t *p = payload + sizeof(sub);
	size_t left = sub.size;
	bool poll = false;
	while (left > 0) {
		struct xdomain_header h;
		CHECK(left >= sizeof(h));
		memcpy(&h, p, sizeof(h));
		CHECK(h.cmd_size >= sizeof(h) && h.cmd_size <= left);
		switch (h.cmd) {
		case XDOMAIN_CMD_INIT: {
			struct xdomain_init init;
			CHECK(h.cmd_size == sizeof(init));
			memcpy(&init, p, sizeof(init));
			memcpy(fh->init, p, sizeof(init));
			fh->init_seen = true;
			fh->init_submit_size = sub.size;
			fh->init_frame_flags = frame_flags;
			fh->init_ctrl_flags = sub.hdr.flags;
			fh->query_ring_id = init.query_ring_id;
			fh->channel_ring_id = init.channel_ring_id;
			CHECK(init.query_ring_id < FH_MAX && fh->res[init.query_ring_id].attached);
			CHECK(init.channel_ring_id < FH_MAX &&
			      fh->res[init.channel_ring_id].attached);
			break;
		}
		case XDOMAIN_CMD_POLL:
			poll = true;
			break;
		case XDOMAIN_CMD_GET_IMAGE_REQUIREMENTS:
			CHECK(h.cmd_size == sizeof(struct xdomain_get_image_requirements));
			image_requirements(fh, p);
			break;
		case XDOMAIN_CMD_SEND:
			record_send(fh, p, left, frame_flags, sub.hdr.flags);
			break;
		case XDOMAIN_CMD_WRITE: {
			struct xdomain_read_write rw;
			CHECK(h.cmd_size >= sizeof(rw));
			memcpy(&rw, p, sizeof(rw));
			CHECK(rw.opaque_data_size <= XDOMAIN_MAX_WRITE_BYTES);
			CHECK(sizeof(rw) + rw.opaque_data_size == h.cmd_size);
			CHECK(fh->num_writes < FH_MAX);
			struct fh_write *w = &fh->writes[fh->num_writes++];
			w->id = rw.identifier;
			w->hang_up = rw.hang_up;
			w->size = rw.opaque_data_size;
			memcpy(w->data, p + sizeof(rw), w->size);
			break;
		}
		default:
			CHECK(!"unexpected cross-domain command");
		}
		p += h.cmd_size;
		left -= h.cmd_size;
	}
	bool fenced = sub.hdr.flags & VIRTIO_GPU_FLAG_FENCE;
	CHECK(fenced == !(frame_flags & SOCK_FRAME_F_NO_REPLY));
	if (poll) {
		fh->polls_total++;
		if (!fenced || sub.hdr.ring_idx != XDOMAIN_CHANNEL_RING ||
		    !(sub.hdr.flags & VIRTIO_GPU_FLAG_INFO_RING_IDX)) {
			fh->poll_errors++;
			return;
		}
		fh->polls_held++;
		if (fh->polls_held > fh->max_polls_held)
			fh->max_polls_held = fh->polls_held;
		fh->poll_tag = tag;
		fh->poll_fence = sub.hdr.fence_id;
	} else if (fenced) {
		complete_fence(fh, tag, sub.hdr.fence_id, sub.hdr.ring_idx);
	}
}

/* ---- virtio-gpu commands ---- */

static void create_blob(struct fake_host *fh, const uint8_t *payload, size_t size, uint64_t tag,
			int fd)
{
	struct virtio_gpu_resource_create_blob cb;
	CHECK(size == sizeof(cb));
	memcpy(&cb, payload, sizeof(cb));
	CHECK(cb.resource_id > 0 && cb.resource_id < FH_MAX && !fh->res[cb.resource_id].live);
	CHECK(cb.nr_entries == 0);
	int mem = -1;
	if (cb.blob_mem == VIRTIO_GPU_BLOB_MEM_GUEST) {
		CHECK(fd >= 0 && cb.hdr.ctx_id == 0 && cb.blob_id == 0);
		mem = fd;
	} else {
		CHECK(fd < 0 && cb.blob_mem == VIRTIO_GPU_BLOB_MEM_HOST3D && cb.hdr.ctx_id == 1);
		CHECK(cb.blob_flags ==
		      (VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE | VIRTIO_GPU_BLOB_FLAG_USE_SHAREABLE));
		for (size_t i = 0; i < fh->num_items; i++)
			if (fh->items[i].id == cb.blob_id &&
			    cb.size <= (fh->items[i].size + PAGE - 1) / PAGE * PAGE)
				mem = fcntl(fh->items[i].fd, F_DUPFD_CLOEXEC, 0);
		if (mem < 0) {
			respond(fh, tag, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER, NULL, 0, -1);
			return;
		}
	}
	fh->res[cb.resource_id].live = true;
	fh->res[cb.resource_id].blob_mem = cb.blob_mem;
	fh->res[cb.resource_id].size = cb.size;
	fh->res[cb.resource_id].fd = mem;
	if (cb.blob_mem == VIRTIO_GPU_BLOB_MEM_GUEST) {
		void *m = mmap(NULL, cb.size, PROT_READ | PROT_WRITE, MAP_SHARED, mem, 0);
		CHECK(m != MAP_FAILED);
		fh->res[cb.resource_id].map = m;
	}
	respond(fh, tag, VIRTIO_GPU_RESP_OK_NODATA, NULL, 0, -1);
}

static void release_res(struct fake_host *fh, uint32_t id)
{
	if (fh->res[id].map)
		munmap(fh->res[id].map, fh->res[id].size);
	if (fh->res[id].fd >= 0)
		close(fh->res[id].fd);
	memset(&fh->res[id], 0, sizeof(fh->res[id]));
	fh->res[id].fd = -1;
}

static void handle_command(struct fake_host *fh, const struct sock_frame_hdr *f,
			   const uint8_t *payload, int fd)
{
	struct virtio_gpu_ctrl_hdr hdr;
	CHECK(f->size >= sizeof(hdr));
	memcpy(&hdr, payload, sizeof(hdr));
	bool reply = !(f->flags & SOCK_FRAME_F_NO_REPLY);
	uint32_t id;
	switch (hdr.type) {
	case VIRTIO_GPU_CMD_GET_CAPSET_INFO: {
		uint32_t info[4] = {XDOMAIN_CAPSET_ID, 0, 16, 0};
		respond(fh, f->tag, VIRTIO_GPU_RESP_OK_CAPSET_INFO, info, sizeof(info), -1);
		break;
	}
	case VIRTIO_GPU_CMD_GET_CAPSET: {
		struct xdomain_capabilities caps = {1, 1u << XDOMAIN_CHANNEL_TYPE_WAYLAND, 0, 0};
		respond(fh, f->tag, VIRTIO_GPU_RESP_OK_CAPSET, &caps, sizeof(caps), -1);
		break;
	}
	case VIRTIO_GPU_CMD_CTX_CREATE: {
		struct virtio_gpu_ctx_create cc;
		CHECK(f->size == sizeof(cc));
		memcpy(&cc, payload, sizeof(cc));
		CHECK(cc.hdr.ctx_id == 1);
		fh->context_init = cc.context_init;
		respond(fh, f->tag, VIRTIO_GPU_RESP_OK_NODATA, NULL, 0, -1);
		break;
	}
	case VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB:
		CHECK(reply);
		create_blob(fh, payload, f->size, f->tag, fd);
		fd = -1;
		break;
	case VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE:
	case VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE:
	case VIRTIO_GPU_CMD_RESOURCE_UNREF:
		CHECK(!reply && f->size >= 28);
		memcpy(&id, payload + sizeof(hdr), 4);
		CHECK(id < FH_MAX && fh->res[id].live);
		if (hdr.type == VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE) {
			fh->res[id].attached = true;
		} else if (hdr.type == VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE) {
			fh->res[id].attached = false;
			fh->detaches++;
		} else {
			release_res(fh, id);
			fh->unrefs++;
		}
		break;
	case VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB: {
		CHECK(f->size >= 28);
		memcpy(&id, payload + sizeof(hdr), 4);
		CHECK(id < FH_MAX && fh->res[id].live &&
		      fh->res[id].blob_mem == VIRTIO_GPU_BLOB_MEM_HOST3D);
		uint32_t info[2] = {VIRTIO_GPU_MAP_CACHE_CACHED, 0};
		respond(fh, f->tag, VIRTIO_GPU_RESP_OK_MAP_INFO, info, sizeof(info),
			fh->res[id].fd);
		break;
	}
	case VIRTIO_GPU_CMD_SUBMIT_3D:
		submit_3d(fh, payload, f->size, f->tag, f->flags);
		break;
	default:
		CHECK(!"unexpected virtio-gpu command");
	}
	if (fd >= 0)
		close(fd);
}

/* Read one whole frame (blocking).  false at EOF. */
static bool read_frame(struct fake_host *fh, struct sock_frame_hdr *f, uint8_t *payload, int *fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cmsg;
	struct iovec iov = {f, sizeof(*f)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cmsg.b,
			    .msg_controllen = sizeof(cmsg.b)};
	ssize_t n = recvmsg(fh->conn, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC);
	if (n == 0 || (n < 0 && errno == ECONNRESET))
		return false;
	CHECK(n == sizeof(*f));
	*fd = -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	CHECK((*fd >= 0) == !!(f->flags & SOCK_FRAME_F_FD));
	CHECK(f->size <= FH_MAX_PAYLOAD);
	size_t got = 0;
	while (got < f->size) {
		n = read(fh->conn, payload + got, f->size - got);
		CHECK(n > 0);
		got += (size_t)n;
	}
	return true;
}

static void *host_thread(void *data)
{
	struct fake_host *fh = data;
	fh->conn = accept4(fh->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	CHECK(fh->conn >= 0);
	struct sock_frame_hello hello = {
		.version = fh->fault == FH_FAULT_BAD_HELLO ? 99 : SOCK_FRAME_VERSION,
		.num_capsets = 1,
		.features = (1ull << 0) | (1ull << 3) | (1ull << 4) |
			    (fh->fault == FH_FAULT_STRICT ? 0 : SOCK_FRAME_FEATURE_GUEST_BLOB_SEND),
	};
	send_frame(fh, SOCK_FRAME_F_HELLO, 0, &hello, sizeof(hello), -1);
	static uint8_t payload[FH_MAX_PAYLOAD];
	for (;;) {
		struct pollfd pfd[2] = {{fh->wake[0], POLLIN, 0}, {fh->conn, POLLIN, 0}};
		CHECK(poll(pfd, fh->conn >= 0 ? 2 : 1, -1) > 0);
		fake_host_lock(fh);
		if (pfd[0].revents) {
			char c;
			CHECK(read(fh->wake[0], &c, 1) == 1);
			if (fh->stop) {
				fake_host_unlock(fh);
				break;
			}
			if (fh->fault == FH_FAULT_GARBAGE) {
				fh->fault = FH_FAULT_NONE;
				respond(fh, 987654321, VIRTIO_GPU_RESP_OK_NODATA, NULL, 0, -1);
			} else if (fh->fault == FH_FAULT_CLOSE && fh->conn >= 0) {
				fh->fault = FH_FAULT_NONE;
				close(fh->conn);
				fh->conn = -1;
			}
		} else if (fh->conn >= 0 && pfd[1].revents) {
			struct sock_frame_hdr f;
			int fd;
			if (read_frame(fh, &f, payload, &fd)) {
				handle_command(fh, &f, payload, fd);
			} else {
				close(fh->conn);
				fh->conn = -1;
			}
		}
		maybe_deliver(fh);
		fake_host_unlock(fh);
	}
	return NULL;
}

void fake_host_start(struct fake_host *fh, enum fh_fault fault)
{
	memset(fh, 0, sizeof(*fh));
	for (size_t i = 0; i < FH_MAX; i++)
		fh->res[i].fd = -1;
	fh->fault = fault;
	fh->next_item = 3;
	fh->read_pipe_counter = XDOMAIN_PIPE_READ_START;
	pthread_mutex_init(&fh->lock, NULL);
	snprintf(fh->dir, sizeof(fh->dir), "/tmp/vsomm-guest-test-XXXXXX");
	CHECK(mkdtemp(fh->dir));
	snprintf(fh->path, sizeof(fh->path), "%s/vsomm-host.sock", fh->dir);
	fh->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fh->listen_fd >= 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	strcpy(addr.sun_path, fh->path);
	CHECK(bind(fh->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	CHECK(listen(fh->listen_fd, 4) == 0);
	CHECK(pipe2(fh->wake, O_CLOEXEC) == 0);
	fh->conn = -1;
	CHECK(pthread_create(&fh->thread, NULL, host_thread, fh) == 0);
}

void fake_host_stop(struct fake_host *fh)
{
	fake_host_lock(fh);
	fh->stop = true;
	fake_host_unlock(fh);
	kick_thread(fh);
	CHECK(pthread_join(fh->thread, NULL) == 0);
	for (uint32_t i = 0; i < FH_MAX; i++)
		if (fh->res[i].live)
			release_res(fh, i);
	for (size_t i = 0; i < fh->num_items; i++)
		close(fh->items[i].fd);
	if (fh->conn >= 0)
		close(fh->conn);
	close(fh->listen_fd);
	close(fh->wake[0]);
	close(fh->wake[1]);
	unlink(fh->path);
	rmdir(fh->dir);
	pthread_mutex_destroy(&fh->lock);
}
