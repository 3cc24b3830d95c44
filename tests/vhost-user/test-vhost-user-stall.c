/* SPDX-License-Identifier: MIT */
/*
 * No vhost-user front-end can stall the others (issue 14 §4).
 *
 * One event loop serves, as vsomm-host does, the vhost-user back-end and the
 * socket transport, both with the fake capset-5 context type
 * (tests/device/fake-capset.h).  While a scripted front-end (frontend.h, in a
 * thread) stalls, a socket-transport guest (another thread) asks
 * GET_CAPSET_INFO in a loop: every answer must come within LATENCY_BOUND_MS.
 *
 *  (a) mid-map: the front-end creates a mappable HOST3D blob, sends
 *      RESOURCE_MAP_BLOB, receives the back-end's SHMEM_MAP and never answers.
 *      The MAP_BLOB chain must not complete, and the front-end must be dropped
 *      after VU_TIMEOUT_MS.
 *  (b) half a message: a new front-end sends a header that announces 8 bytes
 *      and 3 of them, then nothing.  Dropped after VU_TIMEOUT_MS.
 *  (c) a front-end that behaves: the whole map → ack → response round, so the
 *      asynchronous path also completes.
 *
 * Afterwards the process has the fds it had before the front-ends came.
 * VSOMM_STALL_CASES=b (any of "abc") runs only those cases.
 *
 * With VSOMM_HOST_PID set (tests/vhost-user/stall-vsomm-host.sh) the servers are
 * a real vsomm-host's instead (VSOMM_VHOST_USER_SOCK, VSOMM_HOST_SOCK): case (b)
 * only (the others need the fake capset's blobs), and vsomm-host's own fd count
 * must come back to what it was before the front-end and the guest came.
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
#include "virtgpu/socket/frame.h"
#include "virtgpu/socket/server.h"
#include "virtgpu/vhost-user/vhost-user.h"

#define LATENCY_BOUND_MS 1000
#define DROP_SLACK_MS 3000

static char dir[40], vu_path[96], sock_path[96];
static atomic_bool stop_guest, scenario_done;
static atomic_int guest_answers, guest_max_ms;
static _Atomic int64_t guest_asked_at; /* the request in flight, 0 if none */

/* The slowest answer so far, counting the one still awaited. */
static int guest_slowest_ms(void)
{
	int64_t asked = atomic_load(&guest_asked_at);
	int ms = atomic_load(&guest_max_ms);
	if (asked && fe_now_ms() - asked > ms)
		ms = (int)(fe_now_ms() - asked);
	return ms;
}

static int listen_on(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	strncpy(addr.sun_path, path, sizeof(addr.sun_path) - 1);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
	CHECK(listen(fd, 16) == 0);
	return fd;
}

/* The socket-transport guest: GET_CAPSET_INFO round trips until told to stop. */
static void *guest_thread(void *arg)
{
	struct frontend conn; /* only its socket */
	CHECK(fe_connect(&conn, sock_path));
	struct sock_frame_hdr hdr;
	struct sock_frame_hello hello;
	CHECK(fe_read(conn.sock, &hdr, sizeof(hdr), 5000) && hdr.flags == SOCK_FRAME_F_HELLO);
	CHECK(fe_read(conn.sock, &hello, sizeof(hello), 5000));
	for (uint64_t tag = 1; !atomic_load(&stop_guest); tag++) {
		struct virtio_gpu_get_capset_info cmd = {
			.hdr = {.type = VIRTIO_GPU_CMD_GET_CAPSET_INFO}};
		struct sock_frame_hdr fh = {.size = sizeof(cmd), .tag = tag};
		struct iovec iov[2] = {{&fh, sizeof(fh)}, {&cmd, sizeof(cmd)}};
		int64_t t0 = fe_now_ms();
		atomic_store(&guest_asked_at, t0);
		CHECK(fdpass_sendv(conn.sock, iov, 2, NULL, 0, 0) == sizeof(fh) + sizeof(cmd));
		struct virtio_gpu_resp_capset_info resp;
		CHECK(fe_read(conn.sock, &fh, sizeof(fh), 20000) && fh.tag == tag &&
		      fh.size == sizeof(resp));
		CHECK(fe_read(conn.sock, &resp, sizeof(resp), 20000));
		CHECK(resp.hdr.type == VIRTIO_GPU_RESP_OK_CAPSET_INFO);
		int ms = (int)(fe_now_ms() - t0);
		atomic_store(&guest_asked_at, 0);
		if (ms > atomic_load(&guest_max_ms))
			atomic_store(&guest_max_ms, ms);
		atomic_fetch_add(&guest_answers, 1);
		usleep(20000);
	}
	fe_close(&conn);
	return NULL;
}

static uint32_t command(struct frontend *fe, const void *cmd, uint32_t size)
{
	CHECK(fe_submit(fe, cmd, size) != 0xffff);
	return fe_wait_used(fe, 5000);
}

/* Context 1 with a 4096-byte mappable HOST3D blob `res`. */
static void make_blob(struct frontend *fe, uint32_t res)
{
	struct virtio_gpu_ctx_create cc = {.hdr = {.type = VIRTIO_GPU_CMD_CTX_CREATE, .ctx_id = 1},
					   .nlen = 4,
					   .context_init = 5};
	memcpy(cc.debug_name, "test", 4);
	CHECK_EQ(command(fe, &cc, sizeof(cc)), VIRTIO_GPU_RESP_OK_NODATA);
	struct virtio_gpu_resource_create_blob blob = {
		.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, .ctx_id = 1},
		.resource_id = res,
		.blob_mem = VIRTIO_GPU_BLOB_MEM_HOST3D,
		.blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE,
		.blob_id = 1,
		.size = 4096,
	};
	CHECK_EQ(command(fe, &blob, sizeof(blob)), VIRTIO_GPU_RESP_OK_NODATA);
}

static void map_blob(struct frontend *fe, uint32_t res, uint64_t offset)
{
	struct virtio_gpu_resource_map_blob map = {
		.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB}, .resource_id = res, .offset = offset};
	CHECK(fe_submit(fe, &map, sizeof(map)) != 0xffff);
}

/* The back-end's SHMEM_MAP on the request channel (its fd closed). */
static struct vu_mmap read_shmem_map(struct frontend *fe)
{
	struct vu_header hdr;
	struct vu_mmap m;
	int fds[4];
	size_t nfds = 0;
	unsigned status;
	struct pollfd pfd = {.fd = fe->backend_req, .events = POLLIN};
	CHECK(poll(&pfd, 1, 5000) == 1);
	ssize_t n = fdpass_recv(fe->backend_req, &hdr, sizeof(hdr), fds, 4, &nfds, 0, &status);
	CHECK(n == sizeof(hdr) && nfds == 1);
	close(fds[0]);
	CHECK_EQ(hdr.request, VU_BACKEND_SHMEM_MAP);
	CHECK(hdr.flags & VU_FLAG_NEED_REPLY);
	CHECK(hdr.size == sizeof(m) && fe_read(fe->backend_req, &m, sizeof(m), 5000));
	return m;
}

static void check_dropped(struct frontend *fe, int64_t since, const char *what)
{
	bool dropped = fe_wait_dropped(fe, VU_TIMEOUT_MS + DROP_SLACK_MS);
	int64_t ms = fe_now_ms() - since;
	int slowest = guest_slowest_ms();
	printf("%s: the other guest's slowest answer so far: %d ms (bound %d ms)\n", what, slowest,
	       LATENCY_BOUND_MS);
	CHECKF(slowest < LATENCY_BOUND_MS, "%s: the other guest stalled", what);
	CHECKF(dropped, "%s: never dropped", what);
	printf("%s: dropped after %lld ms\n", what, (long long)ms);
	CHECKF(ms >= VU_TIMEOUT_MS - 500, "%s: dropped too early (%lld ms)", what,
		  (long long)ms);
}

static bool run_case(char c)
{
	const char *cases = getenv("VSOMM_STALL_CASES");
	return !cases || strchr(cases, c);
}

static void *frontend_thread(void *arg)
{
	struct frontend fe;
	struct vu_mmap m;
	int64_t t0;
	int answers;

	if (!run_case('a'))
		goto case_b;
	/* (a) stalled mid-map */
	CHECK(fe_connect(&fe, vu_path) && fe_setup(&fe));
	make_blob(&fe, 1);
	map_blob(&fe, 1, 0);
	t0 = fe_now_ms();
	m = read_shmem_map(&fe);
	CHECK(m.shmid == VU_SHM_ID_HOST_VISIBLE && m.shm_offset == 0 && m.len == 4096);
	answers = atomic_load(&guest_answers);
	CHECKF(fe_wait_used(&fe, 1000) == 0, "MAP_BLOB answered before SHMEM_MAP was acked");
	check_dropped(&fe, t0, "(a) stalled mid-map");
	printf("(a) the other guest got %d answers meanwhile\n", atomic_load(&guest_answers) - answers);
	CHECK(atomic_load(&guest_answers) - answers >= 10);
	fe_close(&fe);

case_b:
	if (!run_case('b'))
		goto case_c;
	/* (b) half a message */
	CHECK(fe_connect(&fe, vu_path));
	uint64_t features;
	CHECK(fe_send(&fe, VU_GET_FEATURES, 0, NULL, 0, NULL, 0) &&
	      fe_reply(&fe, VU_GET_FEATURES, &features, sizeof(features)));
	struct {
		struct vu_header hdr;
		uint8_t body[3];
	} __attribute__((packed)) half = {{VU_SET_FEATURES, VU_FLAG_VERSION, 8}, {0}};
	CHECK(send(fe.sock, &half, sizeof(half), MSG_NOSIGNAL) == sizeof(half));
	t0 = fe_now_ms();
	answers = atomic_load(&guest_answers);
	check_dropped(&fe, t0, "(b) half a message");
	printf("(b) the other guest got %d answers meanwhile\n", atomic_load(&guest_answers) - answers);
	CHECK(atomic_load(&guest_answers) - answers >= 10);
	fe_close(&fe);

case_c:
	if (!run_case('c'))
		goto done;
	/* (c) a front-end that answers: MAP_BLOB completes after the ack */
	CHECK(fe_connect(&fe, vu_path) && fe_setup(&fe));
	make_blob(&fe, 2);
	map_blob(&fe, 2, 0x10000);
	m = read_shmem_map(&fe);
	CHECK(m.shm_offset == 0x10000);
	CHECKF(fe_wait_used(&fe, 300) == 0, "MAP_BLOB answered before SHMEM_MAP was acked");
	struct {
		struct vu_header hdr;
		uint64_t status;
	} __attribute__((packed)) ack = {{VU_BACKEND_SHMEM_MAP, VU_FLAG_VERSION | VU_FLAG_REPLY, 8},
					 0};
	CHECK(send(fe.backend_req, &ack, sizeof(ack), MSG_NOSIGNAL) == sizeof(ack));
	CHECK_EQ(fe_wait_used(&fe, 5000), VIRTIO_GPU_RESP_OK_MAP_INFO);
	/* a refused map: the guest hears of the error, the device goes on */
	struct virtio_gpu_resource_create_blob blob = {
		.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, .ctx_id = 1},
		.resource_id = 3,
		.blob_mem = VIRTIO_GPU_BLOB_MEM_HOST3D,
		.blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE,
		.blob_id = 1,
		.size = 4096,
	};
	CHECK_EQ(command(&fe, &blob, sizeof(blob)), VIRTIO_GPU_RESP_OK_NODATA);
	map_blob(&fe, 3, 0x20000);
	read_shmem_map(&fe);
	ack.status = 1;
	CHECK(send(fe.backend_req, &ack, sizeof(ack), MSG_NOSIGNAL) == sizeof(ack));
	CHECK_EQ(fe_wait_used(&fe, 5000), VIRTIO_GPU_RESP_ERR_UNSPEC);
	struct virtio_gpu_get_capset_info ci = {.hdr = {.type = VIRTIO_GPU_CMD_GET_CAPSET_INFO}};
	CHECK_EQ(command(&fe, &ci, sizeof(ci)), VIRTIO_GPU_RESP_OK_CAPSET_INFO);
	fe_close(&fe);

done:
	atomic_store(&stop_guest, true);
	return NULL;
}

static void *watch_thread(void *arg)
{
	pthread_t *threads = arg;
	pthread_join(threads[0], NULL);
	pthread_join(threads[1], NULL);
	atomic_store(&scenario_done, true);
	return NULL;
}

static int no_timer(void *data)
{
	return 0;
}

/* The threads against a running vsomm-host (see the top). */
static int run_external(const char *pid_arg)
{
	pid_t pid = (pid_t)atoi(pid_arg);
	const char *vu = getenv("VSOMM_VHOST_USER_SOCK"), *sock = getenv("VSOMM_HOST_SOCK");
	CHECKF(pid > 0 && vu && sock, "VSOMM_HOST_PID, VSOMM_VHOST_USER_SOCK, VSOMM_HOST_SOCK");
	snprintf(vu_path, sizeof(vu_path), "%s", vu);
	snprintf(sock_path, sizeof(sock_path), "%s", sock);
	setenv("VSOMM_STALL_CASES", "b", 1);
	/*
	 * A front-end that comes and goes first: libwayland opens the loop's one
	 * timerfd at its first timer (a connection's) and keeps it, not a leak.
	 */
	struct frontend warm;
	uint64_t features;
	int before = count_fds_of(pid);
	CHECK(fe_connect(&warm, vu_path) && fe_send(&warm, VU_GET_FEATURES, 0, NULL, 0, NULL, 0) &&
	      fe_reply(&warm, VU_GET_FEATURES, &features, sizeof(features)));
	fe_close(&warm);
	int64_t settle = fe_now_ms() + 3000;
	while (count_fds_of(pid) > before + 1 && fe_now_ms() < settle)
		usleep(20000);
	usleep(100000);
	int baseline = count_fds_of(pid);
	pthread_t threads[2];
	CHECK(pthread_create(&threads[0], NULL, guest_thread, NULL) == 0);
	CHECK(pthread_create(&threads[1], NULL, frontend_thread, NULL) == 0);
	pthread_join(threads[1], NULL);
	pthread_join(threads[0], NULL);
	printf("the socket-transport guest: %d answers, slowest %d ms (bound %d ms)\n",
	       atomic_load(&guest_answers), atomic_load(&guest_max_ms), LATENCY_BOUND_MS);
	CHECK(atomic_load(&guest_max_ms) < LATENCY_BOUND_MS);
	int64_t deadline = fe_now_ms() + 3000;
	while (count_fds_of(pid) != baseline && fe_now_ms() < deadline)
		usleep(20000);
	printf("vsomm-host: %d fds before, %d after\n", baseline, count_fds_of(pid));
	CHECK_EQ(count_fds_of(pid), baseline);
	printf("ok\n");
	return 0;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	if (getenv("VSOMM_HOST_PID"))
		return run_external(getenv("VSOMM_HOST_PID"));
	vsomm_log_init(getenv("VSOMM_TEST_LOG") ? VSOMM_LOG_DEBUG : VSOMM_LOG_ERROR, "stall");
	snprintf(dir, sizeof(dir), "/tmp/vsomm-vu-stall-XXXXXX");
	CHECK(mkdtemp(dir));
	snprintf(vu_path, sizeof(vu_path), "%s/vhost-user.sock", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/vsomm-host.sock", dir);

	struct wl_event_loop *loop = wl_event_loop_create();
	struct vu_backend *vu = vu_backend_create(loop, listen_on(vu_path), fake_capsets, NULL);
	struct sock_server *sock = sock_server_create(loop, listen_on(sock_path), fake_capsets, NULL);
	CHECK(vu && sock);
	/* libwayland's loop opens one timerfd for all its timers, at the first: not a leak */
	struct wl_event_source *timer = wl_event_loop_add_timer(loop, no_timer, NULL);
	wl_event_source_remove(timer);
	int baseline = count_fds();

	pthread_t threads[3];
	CHECK(pthread_create(&threads[0], NULL, guest_thread, NULL) == 0);
	CHECK(pthread_create(&threads[1], NULL, frontend_thread, NULL) == 0);
	CHECK(pthread_create(&threads[2], NULL, watch_thread, threads) == 0);
	int64_t deadline = fe_now_ms() + 60000;
	while (!atomic_load(&scenario_done)) {
		CHECKF(fe_now_ms() < deadline, "the scenario did not end");
		wl_event_loop_dispatch(loop, 50);
	}
	pthread_join(threads[2], NULL);
	for (int i = 0; i < 20; i++)
		wl_event_loop_dispatch(loop, 10); /* the last disconnects */

	printf("the socket-transport guest: %d answers, slowest %d ms (bound %d ms)\n",
	       atomic_load(&guest_answers), atomic_load(&guest_max_ms), LATENCY_BOUND_MS);
	CHECK(atomic_load(&guest_max_ms) < LATENCY_BOUND_MS);
	if (count_fds() != baseline) {
		print_fds(stderr);
		CHECK_EQ(count_fds(), baseline);
	}
	CHECK_EQ(fake_live_contexts, 0);
	vu_backend_destroy(vu);
	sock_server_destroy(sock);
	wl_event_loop_destroy(loop);
	unlink(vu_path);
	unlink(sock_path);
	rmdir(dir);
	printf("ok\n");
	return 0;
}
