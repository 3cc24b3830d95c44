/* SPDX-License-Identifier: MIT */
/*
 * Whether the host compositor answers on the device vsomm picked (the device
 * itself, and render-node discovery, are virtgpu/'s: virtgpu.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "cross-domain/guest/channel.h"
#include "util/log.h"
#include "launcher/launcher.h"
#include "launcher/roundtrip.h"
#include "virtgpu/virtgpu.h"

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
	struct xdomain_channel *ch = xdomain_channel_create(loop, dev, XDOMAIN_CHANNEL_TYPE_WAYLAND,
							    &probe_listener, &probe, err);
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
	double deadline = launcher_now_ms() + timeout_ms;
	while (!probe.answered && !probe.hangup) {
		int left = (int)(deadline - launcher_now_ms());
		if (left <= 0)
			break;
		if (wl_event_loop_dispatch(loop, left) < 0 && errno != EINTR) {
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
