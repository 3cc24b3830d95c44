/* SPDX-License-Identifier: MIT */
/*
 * The guest device interface (virtgpu/virtgpu.c, socket backend) against the fake
 * host: device specs and their errors, HELLO checks, capsets, handles (export,
 * import, references), submit checks, and a device that fails cleanly on a
 * malformed frame or EOF.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/lib/check.h"
#include "tests/lib/fds.h"
#include "util/log.h"
#include "tests/lib/fake-vsomm-host.h"
#include "virtgpu/virtgpu.h"

static struct fake_host fh;

static void test_specs(void)
{
	struct virtgpu *dev = (void *)1;
	CHECK_EQ(virtgpu_open("drm:/nonexistent/renderD128", &dev), -ENOENT);
	CHECK(dev == NULL);
	CHECK_EQ(virtgpu_open("drm:/dev/null", &dev), -ENODEV); /* no DRM node */
	CHECK(dev == NULL);
	CHECK_EQ(virtgpu_open("drm:", &dev), -EINVAL);
	CHECK_EQ(virtgpu_open("bogus", &dev), -EINVAL);
	CHECK_EQ(virtgpu_open("socket:", &dev), -EINVAL);
	CHECK_EQ(virtgpu_open("socket:/nonexistent/vsomm-host.sock", &dev), -ENOENT);
	char *saved = getenv("XDG_RUNTIME_DIR") ? strdup(getenv("XDG_RUNTIME_DIR")) : NULL;
	unsetenv("XDG_RUNTIME_DIR");
	CHECK_EQ(virtgpu_open(NULL, &dev), -EDESTADDRREQ);
	setenv("XDG_RUNTIME_DIR", "relative/dir", 1);
	CHECK_EQ(virtgpu_open(NULL, &dev), -EDESTADDRREQ);
	setenv("XDG_RUNTIME_DIR", "/nonexistent", 1);
	CHECK_EQ(virtgpu_open(NULL, &dev), -ENOENT);
	if (saved) {
		setenv("XDG_RUNTIME_DIR", saved, 1);
		free(saved);
	} else {
		unsetenv("XDG_RUNTIME_DIR");
	}
}

static struct virtgpu *open_default(void)
{
	setenv("XDG_RUNTIME_DIR", fh.dir, 1);
	struct virtgpu *dev;
	CHECK_EQ(virtgpu_open(NULL, &dev), 0);
	CHECK(strncmp(virtgpu_describe(dev), "socket:/", 8) == 0);
	return dev;
}

static void test_bad_hello(void)
{
	fake_host_start(&fh, FH_FAULT_BAD_HELLO);
	setenv("XDG_RUNTIME_DIR", fh.dir, 1);
	struct virtgpu *dev;
	CHECK_EQ(virtgpu_open(NULL, &dev), -EPROTO);
	fake_host_stop(&fh);
}

/* A host that refuses guest memory in SEND (vsomm-host --strict): no GUEST imports. */
static void test_strict_host(void)
{
	fake_host_start(&fh, FH_FAULT_STRICT);
	struct virtgpu *dev = open_default();
	CHECK(!virtgpu_accepts_guest_blob_send(dev));
	CHECK_EQ(virtgpu_context_init(dev, 5, 2, 2), 0);
	int memfd = memfd_create("plain", MFD_CLOEXEC);
	CHECK(memfd >= 0 && ftruncate(memfd, 5000) == 0);
	struct virtgpu_bo imp;
	CHECK_EQ(virtgpu_bo_import(dev, memfd, &imp), -EOPNOTSUPP);
	/* its own blobs still import, GUEST ones say so */
	struct virtgpu_bo bo;
	CHECK_EQ(virtgpu_blob_create(dev, VIRTGPU_BLOB_MEM_GUEST, 1, 4096, 0, &bo), 0);
	int fd = virtgpu_bo_export(dev, &bo);
	CHECK(fd >= 0);
	CHECK_EQ(virtgpu_bo_import(dev, fd, &imp), 0);
	CHECK_EQ(imp.blob_mem, VIRTGPU_BLOB_MEM_GUEST);
	virtgpu_bo_close(dev, &imp);
	virtgpu_bo_close(dev, &bo);
	close(fd);
	close(memfd);
	virtgpu_close(dev);
	fake_host_stop(&fh);
}

static void test_device(void)
{
	fake_host_start(&fh, FH_FAULT_NONE);
	struct virtgpu *dev = open_default();

	struct xdomain_capabilities caps;
	CHECK_EQ(virtgpu_get_capset(dev, 1, 0, &caps, sizeof(caps)), -EINVAL); /* no virgl */
	CHECK_EQ(virtgpu_get_capset(dev, 5, 1, &caps, sizeof(caps)), -EINVAL); /* version > max */
	CHECK_EQ(virtgpu_get_capset(dev, 5, 0, &caps, sizeof(caps)), 0);
	CHECK_EQ(caps.version, 1);
	CHECK_EQ(caps.supported_channels, 2);

	/* before CONTEXT_INIT: no HOST3D, no submit */
	struct virtgpu_bo bo;
	CHECK_EQ(virtgpu_blob_create(dev, VIRTGPU_BLOB_MEM_HOST3D, 3, 4096, 3, &bo), -EINVAL);
	CHECK_EQ(virtgpu_submit(dev, "12345678", 8, VIRTGPU_RING_NONE, NULL, 0), -EINVAL);
	CHECK_EQ(virtgpu_context_init(dev, 4, 2, 2), -EINVAL); /* capset absent */
	CHECK_EQ(virtgpu_context_init(dev, 5, 2, 4), -EINVAL); /* mask beyond the rings */
	CHECK_EQ(virtgpu_context_init(dev, 5, 2, 2), 0);
	CHECK_EQ(virtgpu_context_init(dev, 5, 2, 2), -EEXIST);

	/* GUEST blobs: page-aligned, attached, mappable; bad arguments refused */
	CHECK_EQ(virtgpu_blob_create(dev, VIRTGPU_BLOB_MEM_GUEST, 1, 100, 0, &bo), 0);
	CHECK_EQ(bo.res_id, 1);
	CHECK_EQ(bo.size, 4096);
	CHECK(bo.map == NULL);
	CHECK_EQ(virtgpu_bo_map(dev, &bo), 0);
	CHECK(bo.map);
	struct virtgpu_bo other;
	CHECK_EQ(virtgpu_blob_create(dev, VIRTGPU_BLOB_MEM_GUEST, 1, 4096, 7, &other), -EINVAL);
	CHECK_EQ(virtgpu_blob_create(dev, VIRTGPU_BLOB_MEM_GUEST, 0x10, 4096, 0, &other), -EINVAL);
	CHECK_EQ(virtgpu_blob_create(dev, VIRTGPU_BLOB_MEM_GUEST, 1, 0, 0, &other), -EINVAL);
	CHECK_EQ(virtgpu_blob_create(dev, 0, 1, 4096, 0, &other), -EINVAL);
	/* an unknown HOST3D item: the host refuses, the device stays usable */
	CHECK_EQ(virtgpu_blob_create(dev, VIRTGPU_BLOB_MEM_HOST3D, 3, 4096, 999, &other), -EINVAL);

	/* export → import gives the same handle and takes a reference */
	memcpy(bo.map, "guest", 5);
	int fd = virtgpu_bo_export(dev, &bo);
	CHECK(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC));
	struct virtgpu_bo imp;
	CHECK_EQ(virtgpu_bo_import(dev, fd, &imp), 0);
	CHECK_EQ(imp.handle, bo.handle);
	CHECK_EQ(imp.res_id, bo.res_id);
	virtgpu_bo_close(dev, &imp);
	CHECK(memcmp(bo.map, "guest", 5) == 0); /* still mapped */
	int memfd = memfd_create("plain", MFD_CLOEXEC);
	CHECK_EQ(virtgpu_bo_import(dev, memfd, &imp), -EINVAL); /* empty: no memory */
	CHECK_EQ(virtgpu_bo_import(dev, -1, &imp), -EBADF);
	/* other guest memory: a non-mappable GUEST blob with that very fd */
	CHECK_EQ(ftruncate(memfd, 5000), 0);
	CHECK(virtgpu_accepts_guest_blob_send(dev));
	CHECK_EQ(virtgpu_bo_import(dev, memfd, &imp), 0);
	CHECK_EQ(imp.size, 8192);
	CHECK_EQ(imp.blob_mem, VIRTGPU_BLOB_MEM_GUEST);
	CHECK(imp.res_id != bo.res_id);
	CHECK_EQ(virtgpu_bo_map(dev, &imp), -EINVAL);
	int ifd = virtgpu_bo_export(dev, &imp);
	struct stat ist, mst;
	CHECK(ifd >= 0 && fstat(ifd, &ist) == 0 && fstat(memfd, &mst) == 0);
	CHECK(ist.st_ino == mst.st_ino && ist.st_dev == mst.st_dev);
	close(ifd);
	virtgpu_bo_close(dev, &imp);
	int pp[2];
	CHECK_EQ(pipe2(pp, O_CLOEXEC), 0);
	CHECK_EQ(virtgpu_bo_import(dev, pp[1], &imp), -EBADF); /* pipes are no memory */
	close(pp[0]);
	close(pp[1]);
	close(memfd);

	/* a HOST3D blob: mapped through MAP_BLOB's fd, export shares the memory */
	uint32_t item = fake_host_add_item(&fh, "host memory", 11);
	struct virtgpu_bo hb;
	CHECK_EQ(virtgpu_blob_create(dev, VIRTGPU_BLOB_MEM_HOST3D, 3, 11, item, &hb), 0);
	CHECK_EQ(hb.res_id, 4); /* 2 went to the refused blob, 3 to the import */
	int hfd = virtgpu_bo_export(dev, &hb);
	CHECK(hfd >= 0);
	char buf[11];
	CHECK_EQ(pread(hfd, buf, 11, 0), 11);
	CHECK(memcmp(buf, "host memory", 11) == 0);
	virtgpu_bo_close(dev, &hb);
	/* the resource is gone: the memory comes back as a new guest import */
	uint32_t gone = hb.res_id;
	CHECK_EQ(virtgpu_bo_import(dev, hfd, &imp), 0);
	CHECK(imp.res_id > gone);
	virtgpu_bo_close(dev, &imp);
	CHECK_EQ(pread(hfd, buf, 11, 0), 11); /* the memory is not */
	close(hfd);

	/* a fenced submit on a polled ring gives one event; waits follow the bo */
	CHECK_EQ(virtgpu_submit(dev, "\x02\0\x18\0\0\0\0\0", 8, 2, NULL, 0), -EINVAL);
	const struct virtgpu_bo *bos[] = {&bo};
	struct xdomain_get_image_requirements q = {
		.width = 1, .height = 1, .drm_format = 0x34325258};
	xdomain_header_init(&q.hdr, XDOMAIN_CMD_GET_IMAGE_REQUIREMENTS, sizeof(q));
	/* the fake host wants INIT before queries: use the submit path with INIT first */
	struct xdomain_init init = {.query_ring_id = bo.res_id, .channel_ring_id = bo.res_id};
	xdomain_header_init(&init.hdr, XDOMAIN_CMD_INIT, sizeof(init));
	CHECK_EQ(virtgpu_submit(dev, &init, sizeof(init), VIRTGPU_RING_NONE, NULL, 0), 0);
	CHECK_EQ(virtgpu_submit(dev, &q, sizeof(q), 0, bos, 1), 0);
	CHECK_EQ(virtgpu_wait(dev, &bo), 0);
	CHECK_EQ(virtgpu_read_events(dev), 0); /* ring 0 is not polled */
	struct xdomain_poll poll_cmd = {0};
	xdomain_header_init(&poll_cmd.hdr, XDOMAIN_CMD_POLL, sizeof(poll_cmd));
	CHECK_EQ(virtgpu_submit(dev, &poll_cmd, sizeof(poll_cmd), 1, NULL, 0), 0);
	fake_host_queue_read(&fh, 1, "r", 1, false);
	struct pollfd pfd = {.fd = virtgpu_event_fd(dev), .events = POLLIN};
	CHECK_EQ(poll(&pfd, 1, 5000), 1);
	int n = 0;
	while (n == 0) {
		CHECK_EQ(poll(&pfd, 1, 5000), 1);
		n = virtgpu_read_events(dev);
	}
	CHECK_EQ(n, 1);
	CHECK(memcmp((uint8_t *)bo.map + 24, "r", 1) == 0);

	/* a response with an unknown tag: the device is lost, cleanly */
	fake_host_kick(&fh, FH_FAULT_GARBAGE);
	CHECK_EQ(poll(&pfd, 1, 5000), 1);
	n = 0;
	for (int i = 0; i < 100 && n == 0; i++) {
		n = virtgpu_read_events(dev);
		if (n == 0)
			usleep(10000);
	}
	CHECK_EQ(n, -EPIPE);
	CHECK_EQ(virtgpu_submit(dev, &poll_cmd, sizeof(poll_cmd), 1, NULL, 0), -EPIPE);
	CHECK_EQ(virtgpu_blob_create(dev, VIRTGPU_BLOB_MEM_GUEST, 1, 4096, 0, &other), -EPIPE);
	CHECK_EQ(virtgpu_get_capset(dev, 5, 0, &caps, sizeof(caps)), -EPIPE);
	CHECK_EQ(poll(&pfd, 1, 0), 1); /* stays readable: the owner sees the error */
	close(fd);
	virtgpu_bo_close(dev, &bo);
	virtgpu_close(dev);
	fake_host_stop(&fh);
}

static void test_eof(void)
{
	fake_host_start(&fh, FH_FAULT_NONE);
	struct virtgpu *dev = open_default();
	CHECK_EQ(virtgpu_context_init(dev, 5, 2, 2), 0);
	fake_host_kick(&fh, FH_FAULT_CLOSE);
	struct pollfd pfd = {.fd = virtgpu_event_fd(dev), .events = POLLIN};
	CHECK_EQ(poll(&pfd, 1, 5000), 1);
	CHECK_EQ(virtgpu_read_events(dev), -EPIPE);
	struct virtgpu_bo bo;
	CHECK_EQ(virtgpu_blob_create(dev, VIRTGPU_BLOB_MEM_GUEST, 1, 4096, 0, &bo), -EPIPE);
	virtgpu_close(dev);
	fake_host_stop(&fh);
}

int main(void)
{
	vsomm_log_init(getenv("VSOMM_TEST_DEBUG") ? VSOMM_LOG_DEBUG : VSOMM_LOG_SILENT, "test");
	int fds_before = count_fds();
	test_specs();
	test_bad_hello();
	test_device();
	test_strict_host();
	test_eof();
	virtgpu_close(NULL);
	CHECK_EQ(count_fds(), fds_before);
	printf("ok\n");
	return 0;
}
