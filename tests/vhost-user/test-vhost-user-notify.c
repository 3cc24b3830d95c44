/* SPDX-License-Identifier: MIT */
/*
 * Call notifications of the vhost-user back-end (virtgpu/vhost-user/vring.c):
 *
 *  (a) eight commands made available with one kick are answered with one
 *      notification (one eventfd write for the kick, not one per answer);
 *  (b) a fence the context holds is not held back by that batching: it
 *      notifies when it is signalled, before gpu_model_fence_signal() returns,
 *      and the command that shared its kick was notified at the end of the kick.
 *
 * The back-end runs in this thread's event loop with the fake capset-5 context
 * (tests/device/fake-capset.h: ring-1 fences below 1000 are held); the scripted
 * front-end (frontend.h) in another.
 */
#include <linux/virtio_gpu.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <wayland-server-core.h>

#include "tests/device/fake-capset.h"
#include "tests/vhost-user/frontend.h"
#include "util/log.h"
#include "virtgpu/vhost-user/vhost-user.h"

static char dir[40], vu_path[96];
static atomic_bool scenario_done;
static atomic_int call_fd = -1;           /* the front-end's call eventfd */
static atomic_uint_fast64_t signal_fence; /* for the loop thread: signal this fence */
static atomic_int fence_notified = -1;    /* 1: the call fd was readable on return */

static int listen_on(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	strncpy(addr.sun_path, path, sizeof(addr.sun_path) - 1);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	CHECK(listen(fd, 16) == 0);
	return fd;
}

/* Until `n` more used elements are there; then the kick's work is over. */
static void wait_used(struct frontend *fe, uint16_t n)
{
	struct vring_used *used = (struct vring_used *)(fe->mem + FE_USED);
	int64_t deadline = fe_now_ms() + 5000;
	while ((uint16_t)(__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) - fe->used_seen) < n) {
		CHECKF(fe_now_ms() < deadline, "%u answers did not come", n);
		usleep(1000);
	}
	usleep(100000); /* a notification written after its element is there now */
}

static uint32_t used_type(struct frontend *fe)
{
	struct vring_used *used = (struct vring_used *)(fe->mem + FE_USED);
	uint32_t head = used->ring[fe->used_seen % FE_QSIZE].id;
	fe->used_seen++;
	uint32_t type;
	memcpy(&type, fe->mem + FE_CMDS + head * 1024u + 512, sizeof(type));
	return type;
}

/* Notifications since the last call (the eventfd's counter). */
static uint64_t notifications(struct frontend *fe)
{
	uint64_t count = 0;
	if (read(fe->call, &count, sizeof(count)) < 0)
		CHECK(errno == EAGAIN);
	return count;
}

static void *frontend_thread(void *arg)
{
	struct frontend fe;
	CHECK(fe_connect(&fe, vu_path) && fe_setup(&fe));
	struct virtio_gpu_ctx_create cc = {.hdr = {.type = VIRTIO_GPU_CMD_CTX_CREATE, .ctx_id = 1},
					   .nlen = 4,
					   .context_init = 5};
	memcpy(cc.debug_name, "test", 4);
	CHECK(fe_submit(&fe, &cc, sizeof(cc)) != 0xffff);
	CHECK_EQ(fe_wait_used(&fe, 5000), VIRTIO_GPU_RESP_OK_NODATA);
	usleep(100000);
	notifications(&fe);

	/* (a) eight commands, one kick: eight answers, one notification */
	struct virtio_gpu_get_capset_info ci = {.hdr = {.type = VIRTIO_GPU_CMD_GET_CAPSET_INFO}};
	for (int i = 0; i < 8; i++)
		CHECK(fe_put(&fe, &ci, sizeof(ci)) != 0xffff);
	CHECK(fe_kick(&fe));
	wait_used(&fe, 8);
	for (int i = 0; i < 8; i++)
		CHECK_EQ(used_type(&fe), VIRTIO_GPU_RESP_OK_CAPSET_INFO);
	uint64_t n = notifications(&fe);
	printf("(a) 8 answers of one kick: %llu notification(s)\n", (unsigned long long)n);
	CHECK_EQ(n, 1);

	/* (b) a held fence and a command in one kick: the command notifies at the
	 * end of the kick, the fence when it is signalled */
	struct virtio_gpu_cmd_submit sc = {
		.hdr = {.type = VIRTIO_GPU_CMD_SUBMIT_3D,
			.flags = VIRTIO_GPU_FLAG_FENCE | VIRTIO_GPU_FLAG_INFO_RING_IDX,
			.fence_id = 5,
			.ctx_id = 1,
			.ring_idx = 1}};
	CHECK(fe_put(&fe, &sc, sizeof(sc)) != 0xffff);
	CHECK(fe_put(&fe, &ci, sizeof(ci)) != 0xffff);
	CHECK(fe_kick(&fe));
	wait_used(&fe, 1);
	CHECK_EQ(used_type(&fe), VIRTIO_GPU_RESP_OK_CAPSET_INFO);
	CHECK_EQ(notifications(&fe), 1);
	struct vring_used *used = (struct vring_used *)(fe.mem + FE_USED);
	CHECK(__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) == fe.used_seen); /* fence held */
	atomic_store(&call_fd, fe.call);
	atomic_store(&signal_fence, 5);
	int64_t deadline = fe_now_ms() + 5000;
	while (atomic_load(&fence_notified) < 0 && fe_now_ms() < deadline)
		usleep(1000);
	CHECKF(atomic_load(&fence_notified) == 1,
	       "the signalled fence was not notified before gpu_model_fence_signal() returned");
	wait_used(&fe, 1);
	CHECK_EQ(used_type(&fe), VIRTIO_GPU_RESP_OK_NODATA);
	CHECK_EQ(notifications(&fe), 1);

	fe_close(&fe);
	atomic_store(&scenario_done, true);
	return NULL;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	vsomm_log_init(getenv("VSOMM_TEST_LOG") ? VSOMM_LOG_DEBUG : VSOMM_LOG_ERROR, "notify");
	snprintf(dir, sizeof(dir), "/tmp/vsomm-vu-notify-XXXXXX");
	CHECK(mkdtemp(dir));
	snprintf(vu_path, sizeof(vu_path), "%s/vhost-user.sock", dir);
	struct wl_event_loop *loop = wl_event_loop_create();
	struct vu_backend *vu = vu_backend_create(loop, listen_on(vu_path), fake_capsets, NULL);
	CHECK(vu);

	pthread_t thread;
	CHECK(pthread_create(&thread, NULL, frontend_thread, NULL) == 0);
	int64_t deadline = fe_now_ms() + 30000;
	while (!atomic_load(&scenario_done)) {
		CHECKF(fe_now_ms() < deadline, "the scenario did not end");
		wl_event_loop_dispatch(loop, 10);
		uint64_t fence = atomic_exchange(&signal_fence, 0);
		if (fence) {
			/* Outside a kick, in the back-end's thread, as a compositor's event is. */
			gpu_model_fence_signal(fake_last_ctx->dev, 1, 1, fence);
			struct pollfd pfd = {.fd = atomic_load(&call_fd), .events = POLLIN};
			atomic_store(&fence_notified, poll(&pfd, 1, 0) == 1 ? 1 : 0);
		}
	}
	pthread_join(thread, NULL);
	for (int i = 0; i < 20; i++)
		wl_event_loop_dispatch(loop, 10); /* the disconnect */
	vu_backend_destroy(vu);
	wl_event_loop_destroy(loop);
	unlink(vu_path);
	rmdir(dir);
	printf("ok\n");
	return 0;
}
