/* SPDX-License-Identifier: MIT */
/*
 * The socket backend: virtio-gpu control commands framed on a unix stream socket
 * to vsomm-host (virtgpu/socket/frame.h, docs/socket-transport.md).
 *
 * One connection is one DRM file: one context (ctx_id 1), its rings, its handles.
 * Commands that the kernel waits for are synchronous here: send a frame, read
 * frames until the one with our tag; fence responses that arrive meanwhile are
 * recorded, and an eventfd keeps the event fd readable for them (only then: the
 * usual fence arrives while the owner is in read_events, which returns it).  Fenced submits
 * carry VIRTIO_GPU_FLAG_FENCE|INFO_RING_IDX and are answered when the host
 * signals the fence; unfenced ones go with F_NO_REPLY.  Any malformed frame or
 * EOF fails the device: -EPIPE from then on.
 *
 * Blobs and handles are in guest-bo.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_gpu.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/fdpass.h"
#include "util/log.h"
#include "virtgpu/socket/guest-private.h"

#define CTX_ID 1u

static struct sock_guest *to_sock(struct virtgpu *dev)
{
	return (struct sock_guest *)dev;
}

static const struct sock_guest *to_sock_const(const struct virtgpu *dev)
{
	return (const struct sock_guest *)dev;
}

/*
 * Make the event fd readable (the eventfd half of it).  Only needed when the
 * socket alone would not wake the owner: fences consumed inside a synchronous
 * call, or the device failing.  Fences read by read_events are returned by it.
 */
static void kick(struct sock_guest *s)
{
	uint64_t one = 1;
	if (s->kicked || s->evfd < 0)
		return;
	if (write(s->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		vsomm_log_errno(VSOMM_LOG_DEBUG, "eventfd write");
	s->kicked = true;
}

void sock_guest_fail(struct sock_guest *s, const char *why)
{
	if (s->err)
		return;
	vsomm_log(VSOMM_LOG_ERROR, "%s: %s: device lost", s->base.describe, why);
	s->err = -EPIPE;
	/* keep the event fd readable: the owner learns of it in read_events */
	kick(s);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- sending ---- */

int sock_guest_send(struct sock_guest *s, uint32_t flags, uint64_t tag, const void *payload,
		    size_t size, int fd)
{
	if (s->err)
		return s->err;
	if (size > SOCK_FRAME_MAX_PAYLOAD)
		return -E2BIG;
	struct sock_frame_hdr hdr = {
		.size = (uint32_t)size,
		.flags = flags | (fd >= 0 ? SOCK_FRAME_F_FD : 0),
		.tag = tag,
	};
	struct iovec iov[2] = {
		{.iov_base = &hdr, .iov_len = sizeof(hdr)},
		{.iov_base = (void *)payload, .iov_len = size},
	};
	struct iovec *v = iov;
	size_t nv = 2, nfds = fd >= 0 ? 1 : 0;
	size_t left = sizeof(hdr) + size;
	while (left > 0) {
		ssize_t n = fdpass_sendv(s->sock, v, nv, &fd, nfds, 0);
		if (n < 0) {
			vsomm_log_errno(VSOMM_LOG_DEBUG, "%s: sendmsg", s->base.describe);
			sock_guest_fail(s, "the connection broke");
			return s->err;
		}
		left -= (size_t)n;
		/* the fd went with the first byte; skip what was written */
		nfds = 0;
		while (n > 0 && nv > 0) {
			size_t k = (size_t)n < v->iov_len ? (size_t)n : v->iov_len;
			v->iov_base = (uint8_t *)v->iov_base + k;
			v->iov_len -= k;
			n -= (ssize_t)k;
			if (v->iov_len == 0) {
				v++;
				nv--;
			}
		}
	}
	return 0;
}

int sock_guest_send_noreply(struct sock_guest *s, const void *payload, size_t size)
{
	return sock_guest_send(s, SOCK_FRAME_F_NO_REPLY, s->next_tag++, payload, size, -1);
}

/* ---- fences ---- */

bool sock_guest_fence_done(const struct sock_guest *s, uint32_t ring, uint64_t fence_id)
{
	return fence_id == 0 || ring >= SOCK_GUEST_MAX_RINGS || s->ring_signalled[ring] >= fence_id;
}

static void add_events(struct sock_guest *s, uint64_t n)
{
	if (n == 0)
		return;
	s->events += n;
	if (!s->in_read_events)
		kick(s);
}

/* The response to fenced submit `i`: it and every earlier fence of its ring are done. */
static void complete_fence(struct sock_guest *s, size_t i)
{
	struct sock_guest_fence f = s->fences[i];
	uint64_t newly = 0;
	for (size_t k = 0; k < s->num_fences; k++) {
		struct sock_guest_fence *o = &s->fences[k];
		if (o->ring == f.ring && o->fence_id <= f.fence_id && !o->signalled) {
			o->signalled = true;
			newly++;
		}
	}
	if (s->ring_signalled[f.ring] < f.fence_id)
		s->ring_signalled[f.ring] = f.fence_id;
	s->fences[i] = s->fences[--s->num_fences];
	if (s->poll_mask & (1u << f.ring))
		add_events(s, newly);
}

/* ---- receiving ---- */

static void handle_frame(struct sock_guest *s, struct sock_frame_in *frame)
{
	const struct sock_frame_hdr *hdr = &frame->hdr;
	const uint8_t *payload = frame->payload;
	int fd = frame->fd;

	if (hdr->flags & ~SOCK_FRAME_F_VALID) {
		sock_guest_fail(s, "malformed frame header");
		goto out;
	}
	if (!s->hello_seen) {
		if (!(hdr->flags & SOCK_FRAME_F_HELLO) || hdr->size != sizeof(s->hello) ||
		    fd >= 0) {
			sock_guest_fail(s, "the first frame is not a HELLO");
			goto out;
		}
		memcpy(&s->hello, payload, sizeof(s->hello));
		if (s->hello.version != SOCK_FRAME_VERSION ||
		    s->hello.num_capsets > SOCK_GUEST_MAX_CAPSETS) {
			vsomm_log(VSOMM_LOG_ERROR, "%s: HELLO version %u, %u capsets",
				  s->base.describe, s->hello.version, s->hello.num_capsets);
			sock_guest_fail(s, "unsupported transport version");
			goto out;
		}
		s->hello_seen = true;
		s->base.guest_blob_send = s->hello.features & SOCK_FRAME_FEATURE_GUEST_BLOB_SEND;
		s->base.features = s->hello.features & ~SOCK_FRAME_FEATURE_GUEST_BLOB_SEND;
		goto out;
	}
	if (hdr->flags & (SOCK_FRAME_F_HELLO | SOCK_FRAME_F_NO_REPLY)) {
		sock_guest_fail(s, "unexpected frame flags from the host");
		goto out;
	}
	if (hdr->size < sizeof(struct virtio_gpu_ctrl_hdr)) {
		sock_guest_fail(s, "a response shorter than a virtio-gpu header");
		goto out;
	}
	if (s->reply && !s->reply->done && hdr->tag == s->reply->tag) {
		struct sock_guest_reply *r = s->reply;
		r->buf = malloc(hdr->size);
		if (!r->buf) {
			sock_guest_fail(s, "out of memory");
			goto out;
		}
		memcpy(r->buf, payload, hdr->size);
		r->size = hdr->size;
		r->fd = fd;
		fd = -1;
		r->done = true;
		goto out;
	}
	for (size_t i = 0; i < s->num_fences; i++) {
		if (s->fences[i].tag != hdr->tag)
			continue;
		struct virtio_gpu_ctrl_hdr ch;
		memcpy(&ch, payload, sizeof(ch));
		if (fd >= 0 ||
		    ((ch.flags & VIRTIO_GPU_FLAG_FENCE) && ch.fence_id != s->fences[i].fence_id)) {
			sock_guest_fail(s, "malformed fence response");
			goto out;
		}
		if (ch.type >= VIRTIO_GPU_RESP_ERR_UNSPEC)
			/* like the kernel: logged; the fence completes anyway */
			vsomm_log(VSOMM_LOG_ERROR, "%s: submit failed: response 0x%x",
				  s->base.describe, ch.type);
		else if (ch.type != VIRTIO_GPU_RESP_OK_NODATA) {
			sock_guest_fail(s, "unexpected response type to a submit");
			goto out;
		}
		complete_fence(s, i);
		goto out;
	}
	vsomm_log(VSOMM_LOG_ERROR, "%s: response with unknown tag %llu", s->base.describe,
		  (unsigned long long)hdr->tag);
	sock_guest_fail(s, "response to no command");
out:
	if (fd >= 0)
		close(fd);
}

/*
 * Read what is there (never blocks): every recvmsg() takes as many frames as
 * the socket holds (frame-rx.h).  A short read without fds drained the socket,
 * so no EAGAIN read follows it.  0: drained, or s->err.
 */
static int read_frames(struct sock_guest *s)
{
	bool more = true;
	while (!s->err && more) {
		ssize_t n = sock_frame_rx_fill(&s->rx, s->sock, &more);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			if (n < 0 && n != -EPROTO)
				vsomm_log(VSOMM_LOG_DEBUG, "%s: recvmsg: %s", s->base.describe,
					  strerror((int)-n));
			sock_guest_fail(s, n == 0         ? "the host closed the connection"
					   : n == -EPROTO ? "fds not on a frame's first byte"
					   : n == -ENOMEM ? "out of memory"
							  : "the connection broke");
			break;
		}
		struct sock_frame_in frame;
		int ret;
		while (!s->err && (ret = sock_frame_rx_next(&s->rx, &frame)) > 0)
			handle_frame(s, &frame);
		if (!s->err && ret < 0)
			sock_guest_fail(s, "malformed frame header");
	}
	return s->err;
}

int sock_guest_wait_until(struct sock_guest *s, bool (*done)(struct sock_guest *s, const void *arg),
			  const void *arg)
{
	int64_t deadline = now_ms() + SOCK_GUEST_TIMEOUT_MS;
	for (;;) {
		if (read_frames(s) < 0)
			return s->err;
		if (done(s, arg))
			return 0;
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd pfd = {.fd = s->sock, .events = POLLIN};
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
			sock_guest_fail(s, "poll failed");
			return s->err;
		}
	}
}

/* ---- synchronous calls ---- */

static bool reply_done(struct sock_guest *s, const void *arg)
{
	return ((const struct sock_guest_reply *)arg)->done;
}

int sock_guest_call(struct sock_guest *s, const void *cmd, size_t size, int fd,
		    struct sock_guest_reply *reply)
{
	*reply = (struct sock_guest_reply){.tag = s->next_tag++, .fd = -1};
	int ret = sock_guest_send(s, 0, reply->tag, cmd, size, fd);
	if (ret < 0)
		return ret;
	s->reply = reply;
	ret = sock_guest_wait_until(s, reply_done, reply);
	s->reply = NULL;
	if (ret == -ETIMEDOUT)
		/* a late answer would then match nothing: the device is unusable */
		sock_guest_fail(s, "no response within 15 s");
	if (ret < 0)
		sock_guest_reply_finish(reply);
	return ret;
}

void sock_guest_reply_finish(struct sock_guest_reply *reply)
{
	free(reply->buf);
	reply->buf = NULL;
	if (reply->fd >= 0)
		close(reply->fd);
	reply->fd = -1;
}

int sock_guest_check_reply(struct sock_guest *s, const struct sock_guest_reply *reply,
			   uint32_t type, size_t min_size)
{
	struct virtio_gpu_ctrl_hdr hdr;
	memcpy(&hdr, reply->buf, sizeof(hdr)); /* size ≥ header: checked on receipt */
	if (hdr.type == type && reply->size >= min_size)
		return 0;
	if (hdr.type == VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY)
		return -ENOMEM;
	if (hdr.type >= VIRTIO_GPU_RESP_ERR_UNSPEC &&
	    hdr.type <= VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER)
		return -EINVAL;
	vsomm_log(VSOMM_LOG_ERROR, "%s: response 0x%x of %zu bytes, expected 0x%x",
		  s->base.describe, hdr.type, reply->size, type);
	sock_guest_fail(s, "malformed response");
	return s->err;
}

static void ctrl_hdr(struct virtio_gpu_ctrl_hdr *hdr, uint32_t type, uint32_t ctx_id)
{
	memset(hdr, 0, sizeof(*hdr));
	hdr->type = type;
	hdr->ctx_id = ctx_id;
}

/* ---- capsets and the context ---- */

static int load_capsets(struct sock_guest *s)
{
	if (s->capsets_known)
		return 0;
	s->capsets = calloc(s->hello.num_capsets ? s->hello.num_capsets : 1, sizeof(*s->capsets));
	if (!s->capsets)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->hello.num_capsets; i++) {
		struct virtio_gpu_get_capset_info cmd = {.capset_index = i};
		ctrl_hdr(&cmd.hdr, VIRTIO_GPU_CMD_GET_CAPSET_INFO, 0);
		struct sock_guest_reply r;
		int ret = sock_guest_call(s, &cmd, sizeof(cmd), -1, &r);
		if (ret < 0)
			return ret;
		ret = sock_guest_check_reply(s, &r, VIRTIO_GPU_RESP_OK_CAPSET_INFO,
					     sizeof(struct virtio_gpu_resp_capset_info));
		if (ret == 0) {
			struct virtio_gpu_resp_capset_info info;
			memcpy(&info, r.buf, sizeof(info));
			s->capsets[s->num_capsets].id = info.capset_id;
			s->capsets[s->num_capsets].max_version = info.capset_max_version;
			s->capsets[s->num_capsets].max_size = info.capset_max_size;
			s->num_capsets++;
		}
		sock_guest_reply_finish(&r);
		if (ret < 0)
			return ret;
	}
	s->capsets_known = true;
	return 0;
}

static int find_capset(struct sock_guest *s, uint32_t id)
{
	int ret = load_capsets(s);
	if (ret < 0)
		return ret;
	for (uint32_t i = 0; i < s->num_capsets; i++)
		if (s->capsets[i].id == id)
			return (int)i;
	return -EINVAL;
}

static int sock_get_capset(struct virtgpu *dev, uint32_t id, uint32_t version, void *buf,
			   size_t size)
{
	struct sock_guest *s = to_sock(dev);
	if (s->err)
		return s->err;
	if (s->hello.num_capsets == 0)
		return -ENOSYS;
	int idx = find_capset(s, id);
	if (idx < 0)
		return idx;
	uint32_t max_size = s->capsets[idx].max_size;
	if (version > s->capsets[idx].max_version || max_size == 0)
		return -EINVAL;
	struct virtio_gpu_get_capset cmd = {.capset_id = id, .capset_version = version};
	ctrl_hdr(&cmd.hdr, VIRTIO_GPU_CMD_GET_CAPSET, 0);
	struct sock_guest_reply r;
	int ret = sock_guest_call(s, &cmd, sizeof(cmd), -1, &r);
	if (ret < 0)
		return ret;
	size_t n = size < max_size ? size : max_size;
	ret = sock_guest_check_reply(s, &r, VIRTIO_GPU_RESP_OK_CAPSET,
				     sizeof(struct virtio_gpu_ctrl_hdr) + n);
	if (ret == 0)
		memcpy(buf, r.buf + sizeof(struct virtio_gpu_ctrl_hdr), n);
	sock_guest_reply_finish(&r);
	return ret;
}

static int sock_context_init(struct virtgpu *dev, uint32_t capset_id, uint32_t num_rings,
			     uint32_t poll_rings_mask)
{
	struct sock_guest *s = to_sock(dev);
	const uint64_t needed = (1ull << 0 /* VIRGL */) | (1ull << 4 /* CONTEXT_INIT */);
	if (s->err)
		return s->err;
	if (s->has_ctx)
		return -EEXIST;
	if ((s->hello.features & needed) != needed || num_rings > SOCK_GUEST_MAX_RINGS ||
	    num_rings > 32 || (poll_rings_mask & ~(uint32_t)((1ull << num_rings) - 1)))
		return -EINVAL;
	int ret = find_capset(s, capset_id);
	if (ret < 0)
		return ret;

	struct virtio_gpu_ctx_create cmd = {.context_init = capset_id};
	ctrl_hdr(&cmd.hdr, VIRTIO_GPU_CMD_CTX_CREATE, CTX_ID);
	const char *name = program_invocation_short_name;
	size_t nlen = strnlen(name, sizeof(cmd.debug_name));
	memcpy(cmd.debug_name, name, nlen);
	cmd.nlen = (uint32_t)nlen;
	struct sock_guest_reply r;
	ret = sock_guest_call(s, &cmd, sizeof(cmd), -1, &r);
	if (ret < 0)
		return ret;
	ret = sock_guest_check_reply(s, &r, VIRTIO_GPU_RESP_OK_NODATA,
				     sizeof(struct virtio_gpu_ctrl_hdr));
	sock_guest_reply_finish(&r);
	if (ret < 0)
		return ret;
	s->has_ctx = true;
	s->num_rings = num_rings;
	s->poll_mask = poll_rings_mask;
	return 0;
}

/* ---- submits, waits, events ---- */

static int sock_submit(struct virtgpu *dev, const void *cmd, size_t size, uint32_t ring_idx,
		       const struct virtgpu_bo *const *bos, size_t num_bos)
{
	struct sock_guest *s = to_sock(dev);
	if (s->err)
		return s->err;
	bool fenced = ring_idx != VIRTGPU_RING_NONE;
	if (!s->has_ctx || (fenced && ring_idx >= s->num_rings))
		return -EINVAL;
	if (size > SOCK_FRAME_MAX_PAYLOAD - sizeof(struct virtio_gpu_cmd_submit))
		return -E2BIG;
	struct sock_guest_bo *objs[16];
	if (num_bos > sizeof(objs) / sizeof(objs[0]))
		return -EINVAL;
	for (size_t i = 0; i < num_bos; i++) {
		objs[i] = bos[i] ? sock_guest_bo_lookup(s, bos[i]->handle) : NULL;
		if (!objs[i])
			return -ENOENT;
	}
	if (fenced && s->num_fences == s->cap_fences) {
		size_t cap = s->cap_fences ? s->cap_fences * 2 : 8;
		struct sock_guest_fence *f = realloc(s->fences, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		s->fences = f;
		s->cap_fences = cap;
	}

	size_t total = sizeof(struct virtio_gpu_cmd_submit) + size;
	uint8_t *buf = malloc(total);
	if (!buf)
		return -ENOMEM;
	struct virtio_gpu_cmd_submit sub = {.size = (uint32_t)size};
	ctrl_hdr(&sub.hdr, VIRTIO_GPU_CMD_SUBMIT_3D, CTX_ID);
	uint64_t tag = s->next_tag++;
	if (fenced) {
		sub.hdr.flags = VIRTIO_GPU_FLAG_FENCE | VIRTIO_GPU_FLAG_INFO_RING_IDX;
		sub.hdr.fence_id = ++s->next_fence;
		sub.hdr.ring_idx = (uint8_t)ring_idx;
	}
	memcpy(buf, &sub, sizeof(sub));
	if (size)
		memcpy(buf + sizeof(sub), cmd, size);
	int ret = sock_guest_send(s, fenced ? 0 : SOCK_FRAME_F_NO_REPLY, tag, buf, total, -1);
	free(buf);
	if (ret < 0 || !fenced)
		return ret;
	s->fences[s->num_fences++] = (struct sock_guest_fence){
		.tag = tag,
		.fence_id = sub.hdr.fence_id,
		.ring = ring_idx,
	};
	for (size_t i = 0; i < num_bos; i++) {
		objs[i]->fence_ring = ring_idx;
		objs[i]->fence_id = sub.hdr.fence_id;
	}
	return 0;
}

static bool bo_idle(struct sock_guest *s, const void *arg)
{
	const struct sock_guest_bo *bo = arg;
	return sock_guest_fence_done(s, bo->fence_ring, bo->fence_id);
}

static int sock_wait(struct virtgpu *dev, const struct virtgpu_bo *bo)
{
	struct sock_guest *s = to_sock(dev);
	struct sock_guest_bo *obj = sock_guest_bo_lookup(s, bo->handle);
	if (!obj)
		return -ENOENT;
	if (bo_idle(s, obj))
		return 0;
	if (s->err)
		return s->err;
	int ret = sock_guest_wait_until(s, bo_idle, obj);
	return ret == -ETIMEDOUT ? -EBUSY : ret;
}

static int sock_event_fd(const struct virtgpu *dev)
{
	return to_sock_const(dev)->epfd;
}

static int sock_read_events(struct virtgpu *dev)
{
	struct sock_guest *s = to_sock(dev);
	if (s->kicked) {
		uint64_t v;
		if (read(s->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			vsomm_log_errno(VSOMM_LOG_DEBUG, "eventfd read");
		s->kicked = false;
	}
	s->in_read_events = true;
	int ret = read_frames(s);
	s->in_read_events = false;
	if (ret < 0) {
		kick(s); /* stays readable: every later call reports the error */
		return ret;
	}
	uint64_t n = s->events;
	if (n > INT32_MAX)
		n = INT32_MAX;
	s->events -= n;
	if (s->events > 0)
		kick(s);
	return (int)n;
}

/* ---- open and close ---- */

static void sock_close(struct virtgpu *dev)
{
	struct sock_guest *s = to_sock(dev);
	sock_guest_bo_free_all(s);
	sock_frame_rx_finish(&s->rx);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->evfd >= 0)
		close(s->evfd);
	if (s->sock >= 0)
		close(s->sock);
	free(s->capsets);
	free(s->fences);
	free(s);
}

static const struct virtgpu_backend_ops sock_ops = {
	.close = sock_close,
	.get_capset = sock_get_capset,
	.context_init = sock_context_init,
	.blob_create = sock_guest_blob_create,
	.bo_map = sock_guest_bo_map,
	.bo_export = sock_guest_bo_export,
	.bo_import = sock_guest_bo_import,
	.bo_close = sock_guest_bo_close,
	.submit = sock_submit,
	.wait = sock_wait,
	.event_fd = sock_event_fd,
	.read_events = sock_read_events,
};

static bool hello_seen(struct sock_guest *s, const void *arg)
{
	return s->hello_seen;
}

static int sock_connect(struct sock_guest *s, const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	s->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->sock < 0)
		return -errno;
	if (connect(s->sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int ret = -errno;
		vsomm_log(VSOMM_LOG_ERROR, "cannot connect to %s: %s", path, strerror(-ret));
		return ret;
	}
	s->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->evfd < 0 || s->epfd < 0)
		return -errno;
	struct epoll_event ev = {.events = EPOLLIN};
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sock, &ev) < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->evfd, &ev) < 0)
		return -errno;
	return 0;
}

int sock_guest_open(const char *path, struct virtgpu **out)
{
	struct sock_guest *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->base.ops = &sock_ops;
	snprintf(s->base.describe, sizeof(s->base.describe), "socket:%s", path);
	s->sock = s->evfd = s->epfd = -1;
	sock_frame_rx_init(&s->rx);
	s->next_tag = 1;
	s->next_res_id = 1;
	s->next_handle = 1;

	int ret = sock_connect(s, path);
	if (ret < 0)
		goto err;
	ret = sock_guest_wait_until(s, hello_seen, NULL);
	if (ret < 0) {
		vsomm_log(VSOMM_LOG_ERROR, "%s: no valid HELLO from the host", s->base.describe);
		ret = ret == -ETIMEDOUT ? ret : -EPROTO;
		goto err;
	}
	*out = &s->base;
	return 0;
err:
	sock_close(&s->base);
	return ret;
}
