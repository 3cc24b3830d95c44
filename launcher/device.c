/* SPDX-License-Identifier: MIT */
/*
 * Which device vsomm talks to, and whether the host compositor answers on it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wayland-server-core.h>
#include <xf86drm.h>

#include "cross-domain/cross-domain.h"
#include "util/log.h"
#include "launcher/launcher.h"
#include "virtgpu/virtgpu.h"

/* Kernel uapi (drm/virtgpu_drm.h, 5.16); the libdrm copy may predate it. */
#define PARAM_SUPPORTED_CAPSET_IDS 7
#define CAPSET_CROSS_DOMAIN 5

struct getparam {
	uint64_t param;
	uint64_t value; /* user pointer to a u64 */
};
#define IOCTL_VIRTGPU_GETPARAM DRM_IOWR(DRM_COMMAND_BASE + 0x03, struct getparam)

static bool node_has_cross_domain(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = false;
	drmVersionPtr version = drmGetVersion(fd);
	if (version && version->name && strcmp(version->name, "virtio_gpu") == 0) {
		uint64_t capsets = 0;
		struct getparam gp = {
			.param = PARAM_SUPPORTED_CAPSET_IDS,
			.value = (uint64_t)(uintptr_t)&capsets,
		};
		/* EINVAL: a kernel older than 5.16, which cannot do capset 5 anyway */
		ok = drmIoctl(fd, IOCTL_VIRTGPU_GETPARAM, &gp) == 0 &&
		     (capsets & (1ull << CAPSET_CROSS_DOMAIN));
		vsomm_log(VSOMM_LOG_DEBUG, "%s: virtio_gpu, capsets 0x%llx", path,
			  (unsigned long long)capsets);
	}
	drmFreeVersion(version);
	close(fd);
	return ok;
}

const char *launcher_pick_device(const char *dri_dir, char *buf, size_t size)
{
	DIR *dir = opendir(dri_dir);
	if (!dir)
		return NULL;
	/* the lowest minor first: renderD128 is the first GPU */
	char best[64] = "";
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (strncmp(e->d_name, "renderD", 7) != 0 || strlen(e->d_name) >= sizeof(best))
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dri_dir, e->d_name);
		bool lower = !best[0] || strlen(e->d_name) < strlen(best) ||
			     (strlen(e->d_name) == strlen(best) && strcmp(e->d_name, best) < 0);
		if (lower && node_has_cross_domain(path))
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(dir);
	if (!best[0])
		return NULL;
	int n = snprintf(buf, size, "drm:%s/%s", dri_dir, best);
	return n > 0 && (size_t)n < size ? buf : NULL;
}

struct probe {
	bool answered, hangup;
	int err;
};

static void handle_receive(void *data, const uint8_t *bytes, size_t size, int *fds, size_t nfds)
{
	struct probe *probe = data;
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	if (size > 0)
		probe->answered = true;
}

static void handle_hangup(void *data, int err)
{
	struct probe *probe = data;
	probe->hangup = true;
	probe->err = err;
}

static const struct xdomain_channel_listener probe_listener = {
	.receive = handle_receive,
	.hangup = handle_hangup,
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum launcher_probe launcher_probe_compositor(const char *spec, int timeout_ms, int *err)
{
	*err = 0;
	struct wl_event_loop *loop = wl_event_loop_create();
	if (!loop) {
		*err = -ENOMEM;
		return LAUNCHER_PROBE_NO_DEVICE;
	}
	enum launcher_probe result = LAUNCHER_PROBE_NO_DEVICE;
	struct virtgpu *dev;
	*err = virtgpu_open(spec, &dev);
	if (*err < 0)
		goto out_loop;
	struct probe probe = {0};
	struct xdomain_channel *ch = xdomain_channel_create(
		loop, dev, XDOMAIN_CHANNEL_TYPE_WAYLAND, &probe_listener, &probe, err);
	if (!ch) {
		result = LAUNCHER_PROBE_NO_CHANNEL;
		goto out_loop;
	}
	/* wl_display@1.sync(new wl_callback@2): 12 bytes, opcode 0 */
	const uint32_t sync[3] = {1, (12u << 16) | 0, 2};
	*err = xdomain_channel_send(ch, sync, sizeof(sync), NULL, 0);
	if (*err < 0) {
		result = LAUNCHER_PROBE_NO_COMPOSITOR;
		goto out_channel;
	}
	int64_t deadline = now_ms() + timeout_ms;
	while (!probe.answered && !probe.hangup) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			break;
		if (wl_event_loop_dispatch(loop, (int)left) < 0 && errno != EINTR) {
			*err = -errno;
			break;
		}
	}
	if (probe.answered)
		result = LAUNCHER_PROBE_OK;
	else if (probe.hangup)
		result = probe.err ? LAUNCHER_PROBE_NO_DEVICE : LAUNCHER_PROBE_NO_COMPOSITOR;
	else
		result = LAUNCHER_PROBE_TIMEOUT;
	if (probe.hangup)
		*err = probe.err;
out_channel:
	xdomain_channel_destroy(ch);
out_loop:
	wl_event_loop_destroy(loop);
	return result;
}
