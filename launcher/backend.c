/* SPDX-License-Identifier: MIT */
/*
 * The proxy backend of vsomm: every guest client gets its own virtgpu device
 * (one cross-domain context) and a pump that relays one end of a socketpair
 * over it; the proxy speaks libwayland-client on the other end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cross-domain/guest/channel.h"
#include "util/log.h"
#include "launcher/launcher.h"
#include "proxy/proxy.h"
#include "proxy/relay/relay.h"
#include "virtgpu/virtgpu.h"

struct host_conn {
	struct xdomain_pump *pump;
	struct wl_client *client;
};

/* The host's bytes are on the proxy's socket: it relays them in this iteration. */
static void handle_pump_delivered(void *data)
{
	struct host_conn *conn = data;
	proxy_client_host_ready(conn->client);
}

static void handle_pump_closed(void *data)
{
	/*
	 * The pump has shut its end of the socketpair down: the proxy sees EOF and
	 * drops the client, then disconnect_host destroys the pump.  Until then the
	 * device (and the shadow mappings on it) stays.
	 */
	vsomm_log(VSOMM_LOG_DEBUG, "a client's channel ended");
}

static int connect_host(void *data, struct wl_client *client, void **out)
{
	struct launcher_backend_data *backend = data;
	struct host_conn *conn = calloc(1, sizeof(*conn));
	if (!conn)
		return -1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "socketpair");
		free(conn);
		return -1;
	}
	struct virtgpu *dev;
	int err = virtgpu_open(backend->device, &dev);
	if (err < 0) {
		vsomm_log(VSOMM_LOG_ERROR,
			  "cannot open the virtgpu device %s: %s; is vsomm-host running?",
			  backend->device ? backend->device : "(default)", strerror(-err));
		close(sv[0]);
		close(sv[1]);
		free(conn);
		return -1;
	}
	/* the pump takes dev and sv[1], also on failure */
	conn->pump = xdomain_pump_create(backend->loop, dev, sv[1], handle_pump_closed, conn, &err);
	if (!conn->pump) {
		vsomm_log(VSOMM_LOG_ERROR, "cannot create a cross-domain channel: %s",
			  strerror(-err));
		close(sv[0]);
		free(conn);
		return -1;
	}
	conn->client = client;
	xdomain_pump_set_delivered(conn->pump, handle_pump_delivered);
	vsomm_log(VSOMM_LOG_DEBUG, "client %p: channel on %s", (void *)client,
		  virtgpu_describe(dev));
	*out = conn;
	return sv[0];
}

static void host_flushed(void *data, void *conn_ptr)
{
	struct host_conn *conn = conn_ptr;
	xdomain_pump_kick(conn->pump);
}

static void disconnect_host(void *data, void *conn_ptr)
{
	struct host_conn *conn = conn_ptr;
	if (!conn)
		return;
	xdomain_pump_destroy(conn->pump);
	free(conn);
}

/* Shadows of wl_shm buffers: host blobs of this client's own context. */
static int alloc_shadow(void *data, void *conn_ptr, uint32_t width, uint32_t height,
			uint32_t drm_format, struct proxy_shadow *out)
{
	struct host_conn *conn = conn_ptr;
	if (!conn || !conn->pump)
		return -EPIPE;
	struct xdomain_channel *ch = xdomain_pump_channel(conn->pump);
	struct xdomain_image_requirements req;
	int err = xdomain_channel_image_requirements(
		ch, width, height, drm_format,
		XDOMAIN_GRALLOC_LINEAR | XDOMAIN_GRALLOC_SW_WRITE_OFTEN, &req);
	if (err < 0)
		return err;
	struct virtgpu_bo *bo = calloc(1, sizeof(*bo));
	if (!bo)
		return -ENOMEM;
	err = xdomain_channel_create_blob(ch, &req, bo);
	if (err < 0) {
		free(bo);
		return err;
	}
	struct virtgpu *dev = xdomain_channel_device(ch);
	int fd = virtgpu_bo_export(dev, bo);
	if (fd < 0) {
		virtgpu_bo_close(dev, bo);
		free(bo);
		return fd;
	}
	*out = (struct proxy_shadow){
		.fd = fd,
		.map = bo->map,
		.size = req.size,
		.stride = req.strides[0],
		.offset = req.offsets[0],
		.handle = bo,
	};
	vsomm_log(VSOMM_LOG_TRACE, "shadow %ux%u format 0x%08x: blob res %u, %llu bytes, fd %d",
		  width, height, drm_format, bo->res_id, (unsigned long long)req.size, fd);
	return 0;
}

static void free_shadow(void *data, void *conn_ptr, struct proxy_shadow *shadow)
{
	struct host_conn *conn = conn_ptr;
	struct virtgpu_bo *bo = shadow->handle;
	close(shadow->fd);
	/* The pump lives until disconnect_host, after every buffer is gone. */
	virtgpu_bo_close(xdomain_channel_device(xdomain_pump_channel(conn->pump)), bo);
	free(bo);
}

/* Guest memory a device such as rutabaga does not take: the proxy copies it. */
static bool memory_needs_copy(void *data, void *conn_ptr, int fd)
{
	struct host_conn *conn = conn_ptr;
	if (!conn || !conn->pump)
		return false;
	return xdomain_channel_memory_needs_copy(xdomain_pump_channel(conn->pump), fd);
}

const struct proxy_backend launcher_channel_backend = {
	.connect_host = connect_host,
	.disconnect_host = disconnect_host,
	.alloc_shadow = alloc_shadow,
	.free_shadow = free_shadow,
	.host_flushed = host_flushed,
	.memory_needs_copy = memory_needs_copy,
};

/*
 * The byte relay's host side (VSOMM_RELAY=bytes, docs/relay-core.md): each
 * guest client gets a channel of its own, written to and read from by the
 * relay directly, without a socketpair or a pump.
 */
struct relay_conn {
	struct xdomain_channel *ch;
	struct relay_client *client;
};

static void relay_receive(void *data, const uint8_t *bytes, size_t size, int *fds, size_t nfds)
{
	struct relay_conn *conn = data;
	relay_client_receive(conn->client, bytes, size, fds, nfds);
}

static void relay_hangup(void *data, int err)
{
	struct relay_conn *conn = data;
	relay_client_host_gone(conn->client, err);
}

static const struct xdomain_channel_listener relay_listener = {
	.receive = relay_receive,
	.hangup = relay_hangup,
};

static int relay_connect(void *data, struct relay_client *client, void **out)
{
	struct launcher_backend_data *backend = data;
	struct relay_conn *conn = calloc(1, sizeof(*conn));
	struct virtgpu *dev;
	int err;

	if (!conn)
		return -ENOMEM;
	err = virtgpu_open(backend->device, &dev);
	if (err < 0) {
		vsomm_log(VSOMM_LOG_ERROR,
			  "cannot open the virtgpu device %s: %s; is vsomm-host running?",
			  backend->device ? backend->device : "(default)", strerror(-err));
		free(conn);
		return err;
	}
	conn->client = client;
	/* the channel takes dev, also on failure */
	conn->ch = xdomain_channel_create(backend->loop, dev, XDOMAIN_CHANNEL_TYPE_WAYLAND,
					  &relay_listener, conn, &err);
	if (!conn->ch) {
		vsomm_log(VSOMM_LOG_ERROR, "cannot create a cross-domain channel: %s",
			  strerror(-err));
		free(conn);
		return err;
	}
	*out = conn;
	return 0;
}

static int relay_send(void *conn_ptr, const void *bytes, size_t size, const int *fds, size_t nfds)
{
	struct relay_conn *conn = conn_ptr;
	return xdomain_channel_send(conn->ch, bytes, size, fds, nfds);
}

static void relay_disconnect(void *data, void *conn_ptr)
{
	struct relay_conn *conn = conn_ptr;
	xdomain_channel_destroy(conn->ch);
	free(conn);
}

const struct relay_host_ops launcher_relay_host_ops = {
	.connect = relay_connect,
	.send = relay_send,
	.disconnect = relay_disconnect,
};
