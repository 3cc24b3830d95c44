/* SPDX-License-Identifier: MIT */
/*
 * The guest channel (cross-domain/guest/channel*.c) over the socket backend, against the
 * scripted fake vsomm-host (tests/lib/fake-vsomm-host.c): INIT bytes, one POLL
 * outstanding, SEND chunking and fd classification, READ_PIPE ids and data, RECEIVE of blobs and
 * write pipes, host EOF, image requirements and their cache, fd accounting.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "tests/lib/check.h"
#include "tests/lib/fds.h"
#include "cross-domain/guest/channel.h"
#include "util/log.h"
#include "tests/lib/fake-vsomm-host.h"
#include "virtgpu/virtgpu.h"

#define FMT_XRGB8888 0x34325258u

struct received {
	uint8_t bytes[8192];
	size_t size;
	int fds[XDOMAIN_MAX_IDENTIFIERS];
	size_t nfds;
	int count;
	bool hung_up;
	int hangup_err;
};

static void on_receive(void *data, const uint8_t *bytes, size_t size, int *fds, size_t nfds)
{
	struct received *r = data;
	CHECK(size <= sizeof(r->bytes));
	memcpy(r->bytes, bytes, size);
	r->size = size;
	for (size_t i = 0; i < r->nfds; i++)
		close(r->fds[i]);
	memcpy(r->fds, fds, nfds * sizeof(int));
	r->nfds = nfds;
	r->count++;
}

static void on_hangup(void *data, int err)
{
	struct received *r = data;
	r->hung_up = true;
	r->hangup_err = err;
}

static const struct xdomain_channel_listener listener = {on_receive, on_hangup};

static struct fake_host fh;
static struct wl_event_loop *loop;

/* Run the loop until `cond` holds, at most 5 s. */
#define WAIT_FOR(cond)                                                                       \
	do {                                                                                 \
		struct timespec t0_, t_;                                                     \
		clock_gettime(CLOCK_MONOTONIC, &t0_);                                        \
		for (;;) {                                                                   \
			fake_host_lock(&fh);                                                 \
			bool ok_ = (cond);                                                   \
			fake_host_unlock(&fh);                                               \
			if (ok_)                                                             \
				break;                                                       \
			clock_gettime(CLOCK_MONOTONIC, &t_);                                 \
			if (t_.tv_sec - t0_.tv_sec > 5) {                                    \
				fprintf(stderr, "%s:%d: timeout waiting for %s\n", __FILE__, \
					__LINE__, #cond);                                    \
				exit(1);                                                     \
			}                                                                    \
			wl_event_loop_dispatch(loop, 10);                                    \
		}                                                                            \
	} while (0)

static struct xdomain_channel *open_channel(struct received *r)
{
	struct virtgpu *dev;
	char spec[400];
	snprintf(spec, sizeof(spec), "socket:%s", fh.path);
	CHECK_EQ(virtgpu_open(spec, &dev), 0);
	int err = 0;
	struct xdomain_channel *ch = xdomain_channel_create(loop, dev, XDOMAIN_CHANNEL_TYPE_WAYLAND,
							    &listener, r, &err);
	CHECK(ch);
	WAIT_FOR(fh.init_seen && fh.polls_held == 1);
	return ch;
}

static void check_init(void)
{
	/* §2.4: 20 bytes, rings by resource id (the first two blobs: 1 and 2), type 1 */
	const uint8_t expect[20] = {1, 0, 20, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0};
	CHECK(memcmp(fh.init, expect, sizeof(expect)) == 0);
	CHECK_EQ(fh.init_submit_size, 20); /* alone in its submit */
	CHECK(fh.init_frame_flags & 0x2u); /* F_NO_REPLY: unfenced */
	CHECK_EQ(fh.init_ctrl_flags, 0);
	CHECK_EQ(fh.context_init, XDOMAIN_CAPSET_ID);
	CHECK_EQ(fh.polls_total, 1);
}

static void test_send_chunks(struct xdomain_channel *ch)
{
	static uint8_t msg[10000];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	CHECK_EQ(xdomain_channel_send(ch, msg, sizeof(msg), NULL, 0), 0);
	WAIT_FOR(fh.num_sends == 3);
	const size_t sizes[3] = {3744, 3744, 2512};
	size_t off = 0;
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(fh.sends[i].size, sizes[i]);
		CHECK_EQ(fh.sends[i].cmd_size, 352 + sizes[i]);
		CHECK_EQ(fh.sends[i].num_ids, 0);
		CHECK(fh.sends[i].frame_flags & 0x2u);
		CHECK(memcmp(fh.sends[i].data, msg + off, sizes[i]) == 0);
		off += sizes[i];
	}
	CHECK_EQ(xdomain_channel_stats(ch)->sends, 3);
	CHECK_EQ(xdomain_channel_stats(ch)->bytes_sent, 10000);
}

static void test_read_pipes(struct xdomain_channel *ch, struct received *r)
{
	int p1[2], p2[2];
	CHECK(pipe2(p1, O_CLOEXEC) == 0 && pipe2(p2, O_CLOEXEC) == 0);
	int sends = fh.num_sends;
	CHECK_EQ(xdomain_channel_send(ch, "a", 1, &p1[1], 1), 0);
	CHECK_EQ(xdomain_channel_send(ch, "b", 1, &p2[1], 1), 0);
	close(p1[1]);
	close(p2[1]);
	WAIT_FOR(fh.num_sends == sends + 2);
	CHECK_EQ(fh.sends[sends].types[0], XDOMAIN_ID_TYPE_READ_PIPE);
	CHECK_EQ(fh.sends[sends].ids[0], 0x80000001u);
	CHECK_EQ(fh.sends[sends + 1].ids[0], 0x80000002u);
	CHECK_EQ(fh.read_pipe_mismatches, 0);

	/* data then a separate hang-up (§3.5.6); a READ for an unknown id is ignored */
	int polls = fh.polls_total;
	fake_host_queue_read(&fh, 0x8000ffffu, "zz", 2, false);
	fake_host_queue_read(&fh, 0x80000001u, "hello", 5, false);
	fake_host_queue_read(&fh, 0x80000001u, NULL, 0, true);
	fake_host_queue_read(&fh, 0x80000002u, "x", 1, true);
	WAIT_FOR(fh.queue_len == 0 && fh.polls_held == 1 && fh.polls_total == polls + 4);
	CHECK_EQ(fh.max_polls_held, 1);
	wl_event_loop_dispatch(loop, 0);
	char buf[16];
	CHECK_EQ(read(p1[0], buf, sizeof(buf)), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	CHECK_EQ(read(p1[0], buf, sizeof(buf)), 0); /* closed after hang_up */
	CHECK_EQ(read(p2[0], buf, sizeof(buf)), 1);
	CHECK_EQ(read(p2[0], buf, sizeof(buf)), 0);
	close(p1[0]);
	close(p2[0]);
	CHECK(!r->hung_up);
	CHECK_EQ(xdomain_channel_stats(ch)->pipe_bytes_read, 8);
}

static void test_fd_limits(struct xdomain_channel *ch)
{
	struct xdomain_image_requirements req;
	CHECK_EQ(xdomain_channel_image_requirements(ch, 64, 64, FMT_XRGB8888, 0x11, &req), 0);
	CHECK_EQ(fh.image_queries, 1);
	CHECK_EQ(req.size, 64 * 64 * 4);
	CHECK_EQ(req.strides[0], 256);
	struct xdomain_image_requirements again;
	CHECK_EQ(xdomain_channel_image_requirements(ch, 64, 64, FMT_XRGB8888, 0x11, &again), 0);
	CHECK_EQ(fh.image_queries, 1); /* cached */
	CHECK(memcmp(&req, &again, sizeof(req)) == 0);
	CHECK_EQ(xdomain_channel_image_requirements(ch, 64, 64, 0x20203852, 0x11, &again), -EINVAL);
	CHECK_EQ(fh.image_queries, 2);
	CHECK_EQ(xdomain_channel_image_requirements(ch, 64, 64, FMT_XRGB8888, 1u << 30, &again),
		 -EINVAL);

	struct virtgpu_bo bo;
	CHECK_EQ(xdomain_channel_create_blob(ch, &req, &bo), 0);
	CHECK(bo.map);
	memset(bo.map, 0xab, 16);
	int fds[XDOMAIN_MAX_IDENTIFIERS + 1];
	for (size_t i = 0; i < XDOMAIN_MAX_IDENTIFIERS + 1; i++) {
		fds[i] = virtgpu_bo_export(xdomain_channel_device(ch), &bo);
		CHECK(fds[i] >= 0);
	}
	int sends = fh.num_sends;
	CHECK_EQ(xdomain_channel_send(ch, "m", 1, fds, XDOMAIN_MAX_IDENTIFIERS + 1), -EINVAL);
	CHECK_EQ(xdomain_channel_send(ch, "m", 1, fds, XDOMAIN_MAX_IDENTIFIERS), 0);
	WAIT_FOR(fh.num_sends == sends + 1);
	CHECK_EQ(fh.sends[sends].num_ids, XDOMAIN_MAX_IDENTIFIERS);
	for (size_t i = 0; i < XDOMAIN_MAX_IDENTIFIERS; i++) {
		CHECK_EQ(fh.sends[sends].ids[i], bo.res_id);
		CHECK_EQ(fh.sends[sends].types[i], XDOMAIN_ID_TYPE_VIRTGPU_BLOB);
	}
	/* the imports were closed, the caller's handle lives on */
	CHECK(bo.map);
	CHECK_EQ(((uint8_t *)bo.map)[15], 0xab);
	fake_host_lock(&fh);
	CHECK(fh.res[bo.res_id].live);
	fake_host_unlock(&fh);

	/* neither a resource nor a pipe's write end; two pipes: nothing is sent */
	int memfd = memfd_create("plain", MFD_CLOEXEC);
	int p[2], q[2];
	CHECK(memfd >= 0 && pipe2(p, O_CLOEXEC) == 0 && pipe2(q, O_CLOEXEC) == 0);
	int bad1[2] = {fds[0], memfd};
	int bad2[1] = {p[0]};
	int bad3[3] = {p[1], fds[0], q[1]};
	CHECK_EQ(xdomain_channel_send(ch, "m", 1, bad1, 2), -EINVAL);
	CHECK_EQ(xdomain_channel_send(ch, "m", 1, bad2, 1), -EINVAL);
	CHECK_EQ(xdomain_channel_send(ch, "m", 1, bad3, 3), -EINVAL);
	/* a later pipe still gets the next id: failed sends took none */
	CHECK_EQ(xdomain_channel_send(ch, "n", 1, &q[1], 1), 0);
	WAIT_FOR(fh.num_sends == sends + 2);
	CHECK_EQ(fh.sends[sends + 1].ids[0], 0x80000003u);
	CHECK_EQ(fh.read_pipe_mismatches, 0);
	close(memfd);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	for (size_t i = 0; i < XDOMAIN_MAX_IDENTIFIERS + 1; i++)
		close(fds[i]);
	virtgpu_bo_close(xdomain_channel_device(ch), &bo);
}

/*
 * Guest memory (a memfd, a GUEST blob of this device) in a SEND: named as a
 * GUEST blob where the host takes it; refused (the proxy copies it) where it
 * does not, as rutabaga and vsomm-host --strict.
 */
static void test_guest_memory(struct xdomain_channel *ch, bool strict)
{
	struct virtgpu *dev = xdomain_channel_device(ch);
	CHECK_EQ(virtgpu_accepts_guest_blob_send(dev), !strict);
	int memfd = memfd_create("guest-dmabuf", MFD_CLOEXEC);
	int empty = memfd_create("empty", MFD_CLOEXEC);
	CHECK(memfd >= 0 && empty >= 0 && ftruncate(memfd, 8192) == 0);
	struct virtgpu_bo guest;
	CHECK_EQ(virtgpu_blob_create(dev, VIRTGPU_BLOB_MEM_GUEST, VIRTGPU_BLOB_FLAG_USE_MAPPABLE,
				     4096, 0, &guest),
		 0);
	int guest_fd = virtgpu_bo_export(dev, &guest);
	struct xdomain_image_requirements req;
	struct virtgpu_bo host;
	CHECK_EQ(xdomain_channel_image_requirements(ch, 16, 16, FMT_XRGB8888, 0x11, &req), 0);
	CHECK_EQ(xdomain_channel_create_blob(ch, &req, &host), 0);
	int host_fd = virtgpu_bo_export(dev, &host);
	int p[2];
	CHECK(guest_fd >= 0 && host_fd >= 0 && pipe2(p, O_CLOEXEC) == 0);

	CHECK_EQ(xdomain_channel_memory_needs_copy(ch, memfd), strict);
	CHECK_EQ(xdomain_channel_memory_needs_copy(ch, guest_fd), strict);
	CHECK(!xdomain_channel_memory_needs_copy(ch, host_fd)); /* host memory: by id */
	CHECK(!xdomain_channel_memory_needs_copy(ch, p[1]));    /* no memory at all */
	CHECK(!xdomain_channel_memory_needs_copy(ch, empty));
	CHECK_EQ(lseek(memfd, 0, SEEK_CUR), 0); /* the sender's offset is left alone */

	int sends = fh.num_sends;
	int fds[2] = {host_fd, memfd};
	CHECK_EQ(xdomain_channel_send(ch, "m", 1, fds, 2), strict ? -EINVAL : 0);
	CHECK_EQ(xdomain_channel_send(ch, "g", 1, &guest_fd, 1), strict ? -EINVAL : 0);
	CHECK_EQ(xdomain_channel_send(ch, "h", 1, &host_fd, 1), 0);
	WAIT_FOR(fh.num_sends == sends + (strict ? 1 : 3));
	if (strict) {
		CHECK_EQ(fh.sends[sends].ids[0], host.res_id); /* only the host blob went */
	} else {
		CHECK_EQ(fh.sends[sends].num_ids, 2);
		/* the memfd became a GUEST blob of its own, released after the SEND */
		CHECK_EQ(fh.sends[sends].types[1], XDOMAIN_ID_TYPE_VIRTGPU_BLOB);
		CHECK(fh.sends[sends].ids[1] != host.res_id &&
		      fh.sends[sends].ids[1] != guest.res_id);
		CHECK_EQ(fh.sends[sends + 1].ids[0], guest.res_id);
	}
	close(memfd);
	close(empty);
	close(guest_fd);
	close(host_fd);
	close(p[0]);
	close(p[1]);
	virtgpu_bo_close(dev, &guest);
	virtgpu_bo_close(dev, &host);
}

static void test_guest_memory_strict(void)
{
	int fds_before = count_fds();
	fake_host_start(&fh, FH_FAULT_STRICT);
	struct received r = {0};
	struct xdomain_channel *ch = open_channel(&r);
	test_guest_memory(ch, true);
	xdomain_channel_destroy(ch);
	fake_host_stop(&fh);
	CHECK_EQ(count_fds(), fds_before);
}

static void test_receive_blob(struct xdomain_channel *ch, struct received *r)
{
	char keymap[1000];
	for (size_t i = 0; i < sizeof(keymap); i++)
		keymap[i] = (char)('a' + i % 26);
	uint32_t item = fake_host_add_item(&fh, keymap, sizeof(keymap));
	uint32_t ids[1] = {item}, types[1] = {XDOMAIN_ID_TYPE_VIRTGPU_BLOB}, sizes[1] = {1000};
	int count = r->count;
	fake_host_queue_receive(&fh, "keymap!", 7, ids, types, sizes, 1);
	WAIT_FOR(r->count == count + 1);
	CHECK_EQ(r->size, 7);
	CHECK(memcmp(r->bytes, "keymap!", 7) == 0);
	CHECK_EQ(r->nfds, 1);
	void *m = mmap(NULL, sizeof(keymap), PROT_READ, MAP_SHARED, r->fds[0], 0);
	CHECK(m != MAP_FAILED);
	CHECK(memcmp(m, keymap, sizeof(keymap)) == 0);
	munmap(m, sizeof(keymap));
	CHECK(fcntl(r->fds[0], F_GETFD) & FD_CLOEXEC);
	/* the handle was closed after export: resource gone host-side, fd still memory */
	WAIT_FOR(fh.unrefs >= 1);
	CHECK_EQ(xdomain_channel_stats(ch)->fds_received, 1);
}

static void test_write_pipe(struct xdomain_channel *ch, struct received *r)
{
	uint32_t ids[1] = {42}, types[1] = {XDOMAIN_ID_TYPE_WRITE_PIPE}, sizes[1] = {0};
	int count = r->count;
	fake_host_queue_receive(&fh, "sel", 3, ids, types, sizes, 1);
	WAIT_FOR(r->count == count + 1);
	CHECK_EQ(r->nfds, 1);
	int fd = r->fds[0];
	r->nfds = 0;
	CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY);
	CHECK_EQ(write(fd, "data", 4), 4);
	WAIT_FOR(fh.num_writes == 1);
	CHECK_EQ(write(fd, "more", 4), 4);
	close(fd);
	WAIT_FOR(fh.num_writes >= 2 && fh.writes[fh.num_writes - 1].hang_up == 1);
	CHECK_EQ(fh.writes[0].id, 42);
	CHECK_EQ(fh.writes[0].size, 4);
	CHECK_EQ(fh.writes[0].hang_up, 0);
	CHECK(memcmp(fh.writes[0].data, "data", 4) == 0);
	/* "more" then the hang-up (in one or two WRITEs, never hang_up on data) */
	size_t total = 0;
	for (int i = 1; i < fh.num_writes; i++) {
		CHECK_EQ(fh.writes[i].id, 42);
		CHECK(fh.writes[i].hang_up == 0 || fh.writes[i].size == 0);
		total += fh.writes[i].size;
	}
	CHECK_EQ(total, 4);
	CHECK_EQ(xdomain_channel_stats(ch)->pipe_bytes_written, 8);
}

static void test_host_eof(struct xdomain_channel *ch, struct received *r)
{
	int polls = fh.polls_total;
	fake_host_queue_receive(&fh, NULL, 0, NULL, NULL, NULL, 0);
	WAIT_FOR(r->hung_up);
	CHECK_EQ(r->hangup_err, 0);
	/* no POLL after the host's EOF */
	wl_event_loop_dispatch(loop, 50);
	CHECK_EQ(fh.polls_total, polls);
	CHECK_EQ(xdomain_channel_send(ch, "x", 1, NULL, 0), -EPIPE);
}

static void test_channel(void)
{
	int fds_before = count_fds();
	fake_host_start(&fh, FH_FAULT_NONE);
	struct received r = {0};
	struct xdomain_channel *ch = open_channel(&r);
	check_init();
	test_send_chunks(ch);
	test_read_pipes(ch, &r);
	test_fd_limits(ch);
	test_guest_memory(ch, false);
	test_receive_blob(ch, &r);
	test_write_pipe(ch, &r);
	CHECK_EQ(fh.max_polls_held, 1);
	CHECK_EQ(fh.poll_errors, 0);
	test_host_eof(ch, &r);
	for (size_t i = 0; i < r.nfds; i++)
		close(r.fds[i]);
	xdomain_channel_destroy(ch);
	fake_host_stop(&fh);
	CHECK_EQ(count_fds(), fds_before);
}

/* A fence without a message, then a device that goes away: hangup with an error. */
static void test_failures(void)
{
	int fds_before = count_fds();
	fake_host_start(&fh, FH_FAULT_NONE);
	struct received r = {0};
	struct xdomain_channel *ch = open_channel(&r);
	fake_host_kick(&fh, FH_FAULT_EMPTY_FENCE);
	WAIT_FOR(r.hung_up);
	CHECK_EQ(r.hangup_err, -EPROTO);
	xdomain_channel_destroy(ch);
	fake_host_stop(&fh);

	fake_host_start(&fh, FH_FAULT_NONE);
	memset(&r, 0, sizeof(r));
	ch = open_channel(&r);
	fake_host_kick(&fh, FH_FAULT_CLOSE);
	WAIT_FOR(r.hung_up);
	CHECK_EQ(r.hangup_err, -EPIPE);
	xdomain_channel_destroy(ch);
	fake_host_stop(&fh);
	CHECK_EQ(count_fds(), fds_before);
}

int main(void)
{
	vsomm_log_init(getenv("VSOMM_TEST_DEBUG") ? VSOMM_LOG_DEBUG : VSOMM_LOG_SILENT, "test");
	loop = wl_event_loop_create();
	CHECK(loop);
	test_channel();
	test_guest_memory_strict();
	test_failures();
	wl_event_loop_destroy(loop);
	printf("ok\n");
	return 0;
}
