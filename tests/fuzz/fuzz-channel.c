/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target (d): what a host writes into the channel ring (RECEIVE, READ) into
 * the guest channel (cross-domain/guest/channel*.c), through a fake virtgpu device
 * (the backend seam of virtgpu/virtgpu-private.h) whose ring contents and fences
 * come from the input.
 *
 * Script operations: write a message into the channel ring and complete the POLL
 * fence; complete a fence without a message, or two at once; send a pipe's write
 * end (so READ has a pipe to go to); write into or close the fds the channel
 * handed over (write pipes: the channel answers with WRITE).  After the input the
 * channel is destroyed: every fd and mapping must be gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "cross-domain/guest/channel.h"
#include "util/log.h"
#include "tests/fuzz/fuzz.h"
#include "tests/lib/fds.h"
#include "virtgpu/virtgpu-private.h"

#define MAX_BOS 64
#define MAX_HOST_BLOB (1u << 20)
#define MAX_KEPT_FDS 32

struct fake_bo {
	bool used;
	uint32_t res_id;
	uint64_t size;
	int fd;
	void *map;
};

struct fake_dev {
	struct virtgpu base;
	int evfd;
	struct fake_bo bos[MAX_BOS];
	uint32_t next_res;
	uint32_t channel_ring; /* res id from INIT */
	uint64_t polls, submits;
};


static void fake_close(struct virtgpu *dev)
{
	struct fake_dev *f = (struct fake_dev *)dev;
	for (size_t i = 0; i < MAX_BOS; i++) {
		if (!f->bos[i].used)
			continue;
		if (f->bos[i].map)
			munmap(f->bos[i].map, f->bos[i].size);
		close(f->bos[i].fd);
	}
	close(f->evfd);
	free(f);
}

static int fake_get_capset(struct virtgpu *dev, uint32_t id, uint32_t version, void *buf,
			   size_t size)
{
	struct xdomain_capabilities caps = {
		.version = XDOMAIN_CAPS_VERSION,
		.supported_channels = 1u << XDOMAIN_CHANNEL_TYPE_WAYLAND,
	};
	if (id != XDOMAIN_CAPSET_ID)
		return -EINVAL;
	memcpy(buf, &caps, size < sizeof(caps) ? size : sizeof(caps));
	return 0;
}

static int fake_context_init(struct virtgpu *dev, uint32_t capset_id, uint32_t num_rings,
			     uint32_t poll_rings_mask)
{
	return 0;
}

static int fake_blob_create(struct virtgpu *dev, uint32_t blob_mem, uint32_t blob_flags,
			    uint64_t size, uint64_t blob_id, struct virtgpu_bo *out)
{
	struct fake_dev *f = (struct fake_dev *)dev;
	/* a host refuses HOST3D blobs it does not know; here: any too large one */
	if (size == 0 || size > MAX_HOST_BLOB)
		return -EINVAL;
	for (uint32_t i = 0; i < MAX_BOS; i++) {
		if (f->bos[i].used)
			continue;
		int fd = memfd_create("fuzz-bo", MFD_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (ftruncate(fd, (off_t)size) < 0) {
			close(fd);
			return -ENOMEM;
		}
		f->bos[i] = (struct fake_bo){.used = true, .res_id = ++f->next_res, .size = size,
					     .fd = fd};
		*out = (struct virtgpu_bo){.handle = i + 1, .res_id = f->bos[i].res_id,
					   .size = size};
		return 0;
	}
	return -ENOSPC;
}

static struct fake_bo *lookup(struct fake_dev *f, uint32_t handle)
{
	return handle >= 1 && handle <= MAX_BOS && f->bos[handle - 1].used ? &f->bos[handle - 1]
									     : NULL;
}

static int fake_bo_map(struct virtgpu *dev, struct virtgpu_bo *bo)
{
	struct fake_bo *b = lookup((struct fake_dev *)dev, bo->handle);
	if (!b)
		return -EINVAL;
	if (!b->map) {
		void *map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
		if (map == MAP_FAILED)
			return -errno;
		b->map = map;
	}
	bo->map = b->map;
	return 0;
}

static int fake_bo_export(struct virtgpu *dev, const struct virtgpu_bo *bo)
{
	struct fake_bo *b = lookup((struct fake_dev *)dev, bo->handle);
	if (!b)
		return -EINVAL;
	int fd = fcntl(b->fd, F_DUPFD_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

static int fake_bo_import(struct virtgpu *dev, int fd, struct virtgpu_bo *out)
{
	return -EINVAL; /* only pipes are sent in this target */
}

static void fake_bo_close(struct virtgpu *dev, struct virtgpu_bo *bo)
{
	struct fake_bo *b = lookup((struct fake_dev *)dev, bo->handle);
	if (!b)
		return;
	if (b->map)
		munmap(b->map, b->size);
	close(b->fd);
	memset(b, 0, sizeof(*b));
	bo->map = NULL;
}

static int fake_submit(struct virtgpu *dev, const void *cmd, size_t size, uint32_t ring_idx,
		       const struct virtgpu_bo *const *bos, size_t num_bos)
{
	struct fake_dev *f = (struct fake_dev *)dev;
	struct xdomain_header hdr;
	FUZZ_CHECK(size >= sizeof(hdr)); /* the channel only submits whole commands */
	memcpy(&hdr, cmd, sizeof(hdr));
	FUZZ_CHECK(hdr.cmd_size == size || hdr.cmd == XDOMAIN_CMD_SEND ||
		   hdr.cmd == XDOMAIN_CMD_WRITE);
	f->submits++;
	if (hdr.cmd == XDOMAIN_CMD_INIT && size >= sizeof(struct xdomain_init)) {
		struct xdomain_init init;
		memcpy(&init, cmd, sizeof(init));
		f->channel_ring = init.channel_ring_id;
	} else if (hdr.cmd == XDOMAIN_CMD_POLL) {
		FUZZ_CHECK(ring_idx == XDOMAIN_CHANNEL_RING);
		f->polls++;
	}
	return 0;
}

static int fake_wait(struct virtgpu *dev, const struct virtgpu_bo *bo)
{
	return 0;
}

static int fake_event_fd(const struct virtgpu *dev)
{
	return ((const struct fake_dev *)dev)->evfd;
}

static int fake_read_events(struct virtgpu *dev)
{
	uint64_t n;
	if (read(((struct fake_dev *)dev)->evfd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n > 8 ? 8 : (int)n;
}

static const struct virtgpu_backend_ops fake_ops = {
	.close = fake_close,
	.get_capset = fake_get_capset,
	.context_init = fake_context_init,
	.blob_create = fake_blob_create,
	.bo_map = fake_bo_map,
	.bo_export = fake_bo_export,
	.bo_import = fake_bo_import,
	.bo_close = fake_bo_close,
	.submit = fake_submit,
	.wait = fake_wait,
	.event_fd = fake_event_fd,
	.read_events = fake_read_events,
};

struct state {
	bool dead;
	int kept[MAX_KEPT_FDS];
	size_t num_kept;
};

static void handle_receive(void *data, const uint8_t *bytes, size_t size, int *fds, size_t nfds)
{
	struct state *st = data;
	uint32_t sum = 0;
	for (size_t i = 0; i < size; i++)
		sum += bytes[i];
	(void)sum;
	for (size_t i = 0; i < nfds; i++) {
		FUZZ_CHECK(fds[i] >= 0);
		if (st->num_kept < MAX_KEPT_FDS)
			st->kept[st->num_kept++] = fds[i];
		else
			close(fds[i]);
	}
}

static void handle_hangup(void *data, int err)
{
	struct state *st = data;
	FUZZ_CHECK(!st->dead); /* at most once */
	st->dead = true;
}

static const struct xdomain_channel_listener listener = {
	.receive = handle_receive,
	.hangup = handle_hangup,
};

static uint8_t *ring_map(struct fake_dev *f, size_t *size)
{
	for (size_t i = 0; i < MAX_BOS; i++) {
		if (f->bos[i].used && f->bos[i].res_id == f->channel_ring && f->bos[i].map) {
			*size = f->bos[i].size;
			return f->bos[i].map;
		}
	}
	return NULL;
}

static void signal_fences(struct fake_dev *f, uint64_t n)
{
	FUZZ_CHECK(write(f->evfd, &n, sizeof(n)) == sizeof(n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wl_event_loop *loop;
	if (!loop) {
		vsomm_log_init(getenv("FUZZ_LOG") ? VSOMM_LOG_TRACE : VSOMM_LOG_SILENT, "fuzz");
		loop = wl_event_loop_create();
		FUZZ_CHECK(loop);
	}
	int fds_before = count_fds();

	struct fake_dev *f = calloc(1, sizeof(*f));
	FUZZ_CHECK(f);
	f->base.ops = &fake_ops;
	snprintf(f->base.describe, sizeof(f->base.describe), "fuzz");
	f->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	FUZZ_CHECK(f->evfd >= 0);

	struct state st = {0};
	int err = 0;
	struct xdomain_channel *ch = xdomain_channel_create(
		loop, &f->base, XDOMAIN_CHANNEL_TYPE_WAYLAND, &listener, &st, &err);
	FUZZ_CHECK(ch);
	FUZZ_CHECK(f->polls == 1);

	int pipes[8];
	size_t num_pipes = 0;
	struct fuzz_input in = {data, size, 0};
	for (int ops = 0; !st.dead && fuzz_more(&in) && ops < 256; ops++) {
		size_t n, ring_size = 0;
		const uint8_t *p;
		switch (fuzz_u8(&in) % 6) {
		case 0: { /* one message in the ring, one fence */
			uint8_t *ring = ring_map(f, &ring_size);
			FUZZ_CHECK(ring);
			p = fuzz_bytes(&in, fuzz_u16(&in) % (ring_size + 1), &n);
			memcpy(ring, p, n);
			signal_fences(f, 1);
			break;
		}
		case 1: /* a fence and no message (or the last one again) */
			signal_fences(f, 1);
			break;
		case 2: /* two fences for one POLL */
			signal_fences(f, 2);
			break;
		case 3: { /* send a pipe's write end: READ then has somewhere to go */
			int fds[2];
			if (num_pipes == 8 || pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
				break;
			p = fuzz_bytes(&in, 1 + fuzz_u8(&in) % 64, &n);
			int ret = xdomain_channel_send(ch, p, n, &fds[1], 1);
			close(fds[1]);
			if (ret == 0)
				pipes[num_pipes++] = fds[0];
			else
				close(fds[0]);
			break;
		}
		case 4: /* the client writes into what it got (write pipes → WRITE) */
			p = fuzz_bytes(&in, fuzz_u16(&in) % 8192, &n);
			for (size_t i = 0; i < st.num_kept && n > 0; i++)
				(void)!write(st.kept[i], p, n);
			break;
		case 5: /* the client closes what it got */
			for (size_t i = 0; i < st.num_kept; i++)
				close(st.kept[i]);
			st.num_kept = 0;
			break;
		}
		for (int i = 0; i < 4; i++)
			wl_event_loop_dispatch(loop, 0);
		/* drain the read pipes, as a client reading a clipboard would */
		for (size_t i = 0; i < num_pipes; i++) {
			char buf[4096];
			while (read(pipes[i], buf, sizeof(buf)) > 0) {
			}
		}
		/* exactly one POLL is outstanding while the channel lives */
		FUZZ_CHECK(st.dead || f->polls >= 1);
	}
	xdomain_channel_destroy(ch);
	for (size_t i = 0; i < st.num_kept; i++)
		close(st.kept[i]);
	for (size_t i = 0; i < num_pipes; i++)
		close(pipes[i]);
	for (int i = 0; i < 2; i++)
		wl_event_loop_dispatch(loop, 0);
	FUZZ_CHECK(count_fds() == fds_before);
	return 0;
}
