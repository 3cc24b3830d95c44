/* SPDX-License-Identifier: MIT */
/*
 * The vhost-user transport's data path: guest memory from SET_MEM_TABLE and the
 * split virtqueues (virtio 1.x, <linux/virtio_ring.h>) that carry virtio-gpu
 * commands into the device model and its responses back.
 *
 * Everything in guest memory is guest input and may change under our feet: each
 * index is read once, bounded, and every descriptor's [addr, addr + len) must lie
 * inside one mapped region before it is touched.  A guest that breaks its ring
 * (an index beyond the queue, a loop, a descriptor outside its memory) loses the
 * connection, never the process.
 *
 * Control queue (0): the readable descriptors of a chain are concatenated into
 * one command for gpu_model_process(); the response goes into the writable
 * ones when the device completes it — at once or, for a held fence, later — and
 * only then is the chain returned on the used ring.  Cursor queue (1): this
 * device has no cursor; its chains are returned at once.
 */
#include <endian.h>
#include <errno.h>
#include <linux/virtio_gpu.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "util/log.h"
#include "virtgpu/vhost-user/vhost-user-private.h"

#define COOKIE(gen, queue, head) (((uint64_t)(gen) << 32) | ((uint64_t)(queue) << 16) | (head))

static uint8_t *translate(struct vu_conn *conn, uint64_t addr, uint64_t len, bool user)
{
	for (uint32_t i = 0; i < conn->num_regions; i++) {
		const struct vu_region *r = &conn->regions[i];
		uint64_t base = user ? r->user_addr : r->guest_addr;
		if (addr >= base && addr - base <= r->size && len <= r->size - (addr - base))
			return r->host + (addr - base);
	}
	return NULL;
}

uint8_t *vu_gpa(struct vu_conn *conn, uint64_t gpa, uint64_t len)
{
	return translate(conn, gpa, len, false);
}

uint8_t *vu_uva(struct vu_conn *conn, uint64_t uva, uint64_t len)
{
	return translate(conn, uva, len, true);
}

void vu_regions_unmap(struct vu_conn *conn)
{
	for (uint32_t i = 0; i < conn->num_regions; i++)
		munmap(conn->regions[i].map, conn->regions[i].map_size);
	conn->num_regions = 0;
}

bool vu_queue_map(struct vu_conn *conn, struct vu_queue *q)
{
	q->desc = NULL;
	q->avail = NULL;
	q->used = NULL;
	if (!q->has_addr || !q->num)
		return true;
	uint64_t n = q->num;
	q->desc = (struct vring_desc *)vu_uva(conn, q->addr.desc, n * 16);
	q->avail = (struct vring_avail *)vu_uva(conn, q->addr.avail, 6 + n * 2);
	q->used = (struct vring_used *)vu_uva(conn, q->addr.used, 6 + n * 8);
	/* The host addresses too: a region's mmap_offset may be anything. */
	bool aligned = !(q->addr.desc & 15) && !(q->addr.avail & 1) && !(q->addr.used & 3) &&
		       !((uintptr_t)q->desc & 15) && !((uintptr_t)q->avail & 1) &&
		       !((uintptr_t)q->used & 3);
	if (!q->desc || !q->avail || !q->used || !aligned) {
		q->desc = NULL;
		q->avail = NULL;
		q->used = NULL;
		return false;
	}
	return true;
}

static void pending_clear(struct vu_pending *p)
{
	free(p->deferred);
	*p = (struct vu_pending){0};
}

void vu_queue_free_pending(struct vu_queue *q)
{
	for (uint32_t h = 0; q->pending && h < q->num; h++)
		pending_clear(&q->pending[h]);
	free(q->pending);
	q->pending = NULL;
}

void vu_queue_reset(struct vu_conn *conn, struct vu_queue *q)
{
	if (q->kick_source)
		wl_event_source_remove(q->kick_source);
	if (q->kick_fd >= 0)
		close(q->kick_fd);
	if (q->call_fd >= 0)
		close(q->call_fd);
	if (q->err_fd >= 0)
		close(q->err_fd);
	vu_queue_free_pending(q);
	*q = (struct vu_queue){.kick_fd = -1, .call_fd = -1, .err_fd = -1};
	/* Responses of chains popped before now must not land in the new ring. */
	conn->generation++;
}

static void notify(struct vu_queue *q)
{
	if (q->call_fd < 0)
		return;
	uint64_t one = 1;
	/* EAGAIN: the guest has unread notifications; one more adds nothing. */
	if (write(q->call_fd, &one, sizeof(one)) < 0 && errno != EAGAIN && errno != EINTR)
		vsomm_log_errno(VSOMM_LOG_DEBUG, "vhost-user: call notification");
}

static void push_used(struct vu_queue *q, uint32_t head, uint32_t len)
{
	struct vring_used_elem *elem = &q->used->ring[q->used_idx % q->num];
	elem->id = htole32(head);
	elem->len = htole32(len);
	q->used_idx++;
	/* The element must be visible before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&q->used->idx, htole16(q->used_idx), __ATOMIC_RELAXED);
	/* Answered inside a kick: one notification when the kick is done. */
	if (q->processing)
		q->notify_due = true;
	else
		notify(q);
}

/* Write the response into the chain's writable descriptors and return it. */
static void finish_chain(struct vu_queue *q, uint32_t head, const void *resp, size_t size)
{
	struct vu_pending *p = &q->pending[head];
	const uint8_t *src = resp;
	size_t left = size;
	uint32_t written = 0;
	for (uint32_t i = 0; i < p->num_writable && left > 0; i++) {
		size_t n = left < p->writable[i].len ? left : p->writable[i].len;
		if (n == 0)
			continue; /* an empty descriptor may point anywhere (host is NULL) */
		memcpy(p->writable[i].host, src, n);
		src += n;
		left -= n;
		written += (uint32_t)n;
	}
	if (left > 0)
		vsomm_log(VSOMM_LOG_ERROR,
			  "vhost-user: response of %zu bytes truncated to the guest's %u", size,
			  written);
	p->busy = false;
	/* The front-end moved the ring somewhere invalid meanwhile: the chain is lost. */
	if (!q->used)
		return;
	push_used(q, head, written);
}

/* A MAP_BLOB whose map failed answers an error (the rest of its response kept). */
static void fail_map_response(uint8_t *resp, size_t size)
{
	struct virtio_gpu_ctrl_hdr hdr;
	if (size < sizeof(hdr))
		return;
	memcpy(&hdr, resp, sizeof(hdr));
	hdr.type = htole32(VIRTIO_GPU_RESP_ERR_UNSPEC);
	memcpy(resp, &hdr, sizeof(hdr));
}

void vu_complete(void *transport, uint64_t cookie, const void *resp, size_t size, int fd)
{
	struct vu_conn *conn = transport;
	uint32_t gen = (uint32_t)(cookie >> 32);
	uint32_t queue = (uint32_t)(cookie >> 16) & 0xffffu;
	uint32_t head = (uint32_t)cookie & 0xffffu;
	if (conn->dead || gen != conn->generation || queue >= VU_NUM_QUEUES)
		return;
	struct vu_queue *q = &conn->queues[queue];
	if (!q->pending || head >= q->num || !q->pending[head].busy)
		return;
	struct vu_pending *p = &q->pending[head];
	/* MAP_BLOB: the memory goes into the host-visible region before the answer. */
	if (p->map_blob) {
		p->map_blob = false;
		int ret = vu_shm_map_blob(conn, (uint16_t)head, p, resp, size, fd);
		if (ret > 0)
			p->waits++;
		else if (ret < 0)
			p->map_failed = true;
	}
	if (p->waits > 0 || p->map_failed) {
		/* Held (or rewritten): a copy the device's buffer does not outlive. */
		uint8_t *copy = malloc(size ? size : 1);
		if (!copy) {
			vsomm_log(VSOMM_LOG_ERROR, "vhost-user: no memory for a held response");
			conn->dead = true;
			return;
		}
		if (size)
			memcpy(copy, resp, size);
		p->deferred = copy;
		p->deferred_size = size;
		if (p->waits > 0)
			return;
		vu_chain_acked(conn, queue, head, false);
		return;
	}
	finish_chain(q, head, resp, size);
}

void vu_chain_acked(struct vu_conn *conn, uint32_t queue, uint32_t head, bool failed)
{
	if (queue >= VU_NUM_QUEUES)
		return;
	struct vu_queue *q = &conn->queues[queue];
	if (!q->pending || head >= q->num || !q->pending[head].busy)
		return;
	struct vu_pending *p = &q->pending[head];
	if (failed)
		p->map_failed = true;
	if (p->waits > 0)
		p->waits--;
	/* No response yet (an UNMAP_BLOB with a held fence): it goes when it comes. */
	if (p->waits > 0 || !p->deferred)
		return;
	if (p->map_failed)
		fail_map_response(p->deferred, p->deferred_size);
	uint8_t *resp = p->deferred;
	size_t size = p->deferred_size;
	p->deferred = NULL;
	p->map_failed = false;
	finish_chain(q, head, resp, size);
	free(resp);
}

void vu_queues_forget(struct vu_conn *conn)
{
	for (uint32_t i = 0; i < VU_NUM_QUEUES; i++) {
		struct vu_queue *q = &conn->queues[i];
		for (uint32_t h = 0; q->pending && h < q->num; h++)
			pending_clear(&q->pending[h]);
	}
	/* Responses and acks of chains popped before now find nothing. */
	conn->generation++;
}

/* A GUEST blob's mem entries resolved to one contiguous host range. */
static bool guest_blob_backing(struct vu_conn *conn, const uint8_t *cmd, size_t size,
			       struct gpu_model_backing *out)
{
	struct virtio_gpu_resource_create_blob req;
	if (size < sizeof(req))
		return false;
	memcpy(&req, cmd, sizeof(req));
	if (le32toh(req.hdr.type) != VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB ||
	    le32toh(req.blob_mem) != VIRTIO_GPU_BLOB_MEM_GUEST)
		return false;
	uint64_t n = le32toh(req.nr_entries);
	uint64_t blob_size = le64toh(req.size);
	if (n == 0 || n * sizeof(struct virtio_gpu_mem_entry) > size - sizeof(req))
		return false; /* the device answers the missing memory */
	uint8_t *start = NULL, *end = NULL;
	for (uint64_t i = 0; i < n; i++) {
		struct virtio_gpu_mem_entry e;
		memcpy(&e, cmd + sizeof(req) + i * sizeof(e), sizeof(e));
		uint64_t len = le32toh(e.length);
		uint8_t *host = vu_gpa(conn, le64toh(e.addr), len);
		if (!host || len == 0) {
			vsomm_log(VSOMM_LOG_ERROR,
				  "vhost-user: GUEST blob entry %llu outside guest memory",
				  (unsigned long long)i);
			return false;
		}
		if (start && host != end) {
			/*
			 * The device model wants one range.  Cross-domain's GUEST blobs
			 * are single pages (rings); larger scattered ones are refused.
			 */
			vsomm_log(VSOMM_LOG_ERROR,
				  "vhost-user: GUEST blob memory is not contiguous (entry %llu)",
				  (unsigned long long)i);
			return false;
		}
		if (!start)
			start = end = host;
		end = host + len;
	}
	if ((uint64_t)(end - start) < blob_size)
		return false;
	*out = (struct gpu_model_backing){
		.addr = start, .size = (size_t)blob_size, .fd = -1, .owned = false};
	return true;
}

/*
 * GET_DISPLAY_INFO is the one 2D command the guest driver sends at probe (it
 * needs num_scanouts ≥ 1): one disabled scanout, answered here so the device
 * model stays free of 2D.
 */
static bool answer_display_info(struct vu_conn *conn, const uint8_t *cmd, size_t size,
				uint64_t cookie)
{
	struct virtio_gpu_ctrl_hdr hdr;
	if (size < sizeof(hdr))
		return false;
	memcpy(&hdr, cmd, sizeof(hdr));
	if (le32toh(hdr.type) != VIRTIO_GPU_CMD_GET_DISPLAY_INFO)
		return false;
	struct virtio_gpu_resp_display_info resp = {0};
	resp.hdr.type = htole32(VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
	resp.hdr.flags = hdr.flags & htole32(VIRTIO_GPU_FLAG_FENCE);
	resp.hdr.fence_id = hdr.fence_id;
	vu_complete(conn, cookie, &resp, sizeof(resp), -1);
	return true;
}

static bool grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return true;
	size_t n = *cap ? *cap : 4096;
	while (n < need)
		n *= 2;
	uint8_t *p = realloc(*buf, n);
	if (!p)
		return false;
	*buf = p;
	*cap = n;
	return true;
}

/* Pop one chain; false: the ring is broken (the connection goes). */
static bool process_chain(struct vu_conn *conn, uint32_t index, uint16_t avail_slot)
{
	struct vu_queue *q = &conn->queues[index];
	uint32_t head = le16toh(
		__atomic_load_n(&q->avail->ring[avail_slot % q->num], __ATOMIC_RELAXED));
	if (head >= q->num) {
		vsomm_log(VSOMM_LOG_ERROR, "vhost-user: queue %u: head %u beyond size %u", index,
			  head, q->num);
		return false;
	}
	struct vu_pending *p = &q->pending[head];
	if (p->busy) {
		vsomm_log(VSOMM_LOG_ERROR, "vhost-user: queue %u: chain %u made available twice",
			  index, head);
		return false;
	}
	size_t cmd_size = 0;
	p->num_writable = 0;
	bool too_many_writable = false;
	uint32_t i = head;
	for (uint32_t steps = 0;; steps++) {
		if (steps >= q->num || i >= q->num) {
			vsomm_log(VSOMM_LOG_ERROR, "vhost-user: queue %u: broken chain at %u",
				  index, head);
			return false;
		}
		struct vring_desc d;
		memcpy(&d, &q->desc[i], sizeof(d));
		uint16_t flags = le16toh(d.flags);
		uint32_t len = le32toh(d.len);
		if (flags & VRING_DESC_F_INDIRECT) {
			vsomm_log(VSOMM_LOG_ERROR, "vhost-user: indirect descriptor (not offered)");
			return false;
		}
		uint8_t *host = vu_gpa(conn, le64toh(d.addr), len);
		if (!host && len > 0) {
			vsomm_log(VSOMM_LOG_ERROR,
				  "vhost-user: queue %u: descriptor outside guest memory", index);
			return false;
		}
		if (flags & VRING_DESC_F_WRITE) {
			if (p->num_writable < sizeof(p->writable) / sizeof(p->writable[0])) {
				p->writable[p->num_writable].host = host;
				p->writable[p->num_writable].len = len;
				p->num_writable++;
			} else
				too_many_writable = true;
		} else {
			if (p->num_writable > 0) {
				vsomm_log(VSOMM_LOG_ERROR,
					  "vhost-user: readable descriptor after a writable one");
				return false;
			}
			if (len > VU_MAX_COMMAND - cmd_size ||
			    !grow(&conn->cmd, &conn->cmd_cap, cmd_size + len)) {
				vsomm_log(VSOMM_LOG_ERROR, "vhost-user: command too large");
				return false;
			}
			if (len > 0)
				memcpy(conn->cmd + cmd_size, host, len);
			cmd_size += len;
		}
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		i = le16toh(d.next);
	}
	if (too_many_writable)
		vsomm_log(VSOMM_LOG_ERROR, "vhost-user: response split over too many descriptors");

	const uint8_t *cmd = conn->cmd;
	uint64_t cookie = COOKIE(conn->generation, index, head);
	p->busy = true;
	if (index != 0) {
		vu_complete(conn, cookie, NULL, 0, -1); /* cursor: nothing to do */
		return true;
	}
	if (answer_display_info(conn, cmd, cmd_size, cookie))
		return true;
	vu_shm_command(conn, cmd, cmd_size, (uint16_t)head, p);
	struct gpu_model_backing backing;
	bool has_backing = guest_blob_backing(conn, cmd, cmd_size, &backing);
	gpu_model_process(conn->dev, cmd, cmd_size, has_backing ? &backing : NULL, cookie);
	return !conn->dead;
}

static bool process(struct vu_conn *conn, uint32_t index, struct vu_queue *q)
{
	for (;;) {
		uint16_t avail_idx = le16toh(__atomic_load_n(&q->avail->idx, __ATOMIC_RELAXED));
		/* Ring entries are read after the index that published them. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if ((uint16_t)(avail_idx - q->last_avail) > q->num) {
			vsomm_log(VSOMM_LOG_ERROR, "vhost-user: queue %u: avail index jumped",
				  index);
			return false;
		}
		if (avail_idx == q->last_avail)
			return true;
		while (q->last_avail != avail_idx) {
			uint16_t slot = q->last_avail++;
			if (!process_chain(conn, index, slot))
				return false;
		}
	}
}

/*
 * Every chain the front-end made available, until the ring is empty.  The
 * answers given meanwhile share one call notification, written before this
 * returns: the guest learns of each as soon as the kick is done, and a burst of
 * N commands costs one eventfd write instead of N (a fence held for later
 * notifies on its own when it completes).
 */
bool vu_queue_process(struct vu_conn *conn, uint32_t index)
{
	struct vu_queue *q = &conn->queues[index];
	if (!q->num || !q->desc || !q->avail || !q->used || !q->pending)
		return true;
	if (!q->enabled && (conn->features & (1ull << VU_F_PROTOCOL_FEATURES)))
		return true;
	q->processing = true;
	bool ok = process(conn, index, q);
	q->processing = false;
	if (q->notify_due) {
		q->notify_due = false;
		notify(q);
	}
	return ok;
}
