/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target (e): raw Wayland bytes from a client into the proxy (proxy/),
 * with a scripted fake host compositor behind it, all in this process.
 *
 *   guest bytes ──socketpair──▶ proxy wl_display (proxy_create) ──socketpair──▶
 *   fake host wl_display (wl_compositor, wl_subcompositor, wl_shm, xdg_wm_base,
 *   wl_data_device_manager, wl_seat, wl_output)
 *
 * The fake host answers every request generically (a dispatcher: new_id
 * arguments become resources, fds are closed, "destroy"/"release" destroy),
 * completes wl_callbacks at once and configures new toplevels.  The proxy's
 * shadows of wl_shm buffers are memfds (or, by a flag, there are none and pools
 * go to the host as they are).
 *
 * Input: one flags byte (F_*), then operations:
 *   0 FDSEL LEN16 BYTES  the guest writes BYTES, with up to 3 fds (FDSEL: count
 *                        in bits 0-1, kind of fd k in bits 2+2k: a 64 KiB memfd,
 *                        a pipe's read end, its write end, /dev/null)
 *   1 KIND ARG           the host does something (enum host_op)
 *   2                    the guest stops reading its events for a while
 *   3 LEN16 BYTES        the guest writes BYTES in one-byte pieces
 * After each operation both event loops run until idle.  At the end the guest
 * hangs up, everything is destroyed, and the fd count must be what it was
 * before the input, every host connection and shadow must be released.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wayland-client-core.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include "cross-domain/guest/channel.h"
#include "cross-domain/image.h"
#include "util/log.h"
#include "protocols/xdg-shell-protocol.h"
#include "proxy/proxy.h"
#include "tests/fuzz/fuzz.h"
#include "tests/lib/fds.h"

enum {
	F_NO_SHADOWS = 1 << 0,  /* backend without alloc_shadow: pools pass through */
	F_TRACE = 1 << 1,       /* the proxy's protocol trace (formatting code) */
	F_NO_HOST = 1 << 2,     /* connect_host fails */
	F_SMALL_LIMITS = 1 << 3, /* limits a script can reach */
};

enum host_op {
	HOST_RELEASE_BUFFERS,
	HOST_CONFIGURE,
	HOST_PING,
	HOST_TOGGLE_GLOBAL, /* wl_data_device_manager removed, or back */
	HOST_POST_ERROR,    /* on the ARG-th resource of the connection */
	HOST_DISCONNECT,
	HOST_SELECTION,     /* a wl_data_offer to every wl_data_device */
	HOST_KEYMAP,        /* a memfd keymap to every wl_keyboard */
	HOST_OP_COUNT,
};

#define MAX_SHADOW_BYTES (64u << 20)
#define MAX_KEPT_FDS 64
#define MEMFD_SIZE 65536

struct fixture {
	struct wl_display *host_display;
	struct wl_client *host_client;
	struct wl_listener host_client_destroy;
	struct wl_global *ddm_global;
	uint32_t serial;
	int conns, shadows; /* live, as the proxy sees them */
	bool no_host;

	struct wl_display *display; /* the proxy's */
	struct proxy *proxy;
	int guest_fd; /* the guest's end of its socket */
	bool guest_reading;
	int kept[MAX_KEPT_FDS]; /* the guest's other pipe ends */
	size_t num_kept;
};


/* The input being run (libwayland 1.21 has no wl_client user data). */
static struct fixture *current;

/* ---------------- the fake host compositor ---------------- */

static const char host_tag;

static void host_resource_created(struct wl_resource *resource, struct wl_resource *parent);

static struct wl_resource *host_resource_create(struct wl_client *client,
						const struct wl_interface *interface,
						uint32_t version, uint32_t id)
{
	if (version > (uint32_t)interface->version)
		version = (uint32_t)interface->version;
	struct wl_resource *resource = wl_resource_create(client, interface, (int)version, id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return NULL;
	}
	return resource;
}

/* Every request of every host object: new objects made, fds closed. */
static int host_dispatch(const void *implementation, void *target, uint32_t opcode,
			 const struct wl_message *message, union wl_argument *args)
{
	struct wl_resource *resource = target;
	struct wl_client *client = wl_resource_get_client(resource);
	uint32_t version = (uint32_t)wl_resource_get_version(resource);
	int i = 0;

	for (const char *s = message->signature; *s; s++) {
		if (*s == '?' || (*s >= '0' && *s <= '9'))
			continue;
		if (*s == 'h') {
			close(args[i].h);
		} else if (*s == 'n' && message->types[i]) {
			struct wl_resource *child =
				host_resource_create(client, message->types[i], version, args[i].n);
			if (child)
				host_resource_created(child, resource);
		}
		i++;
	}
	if (strcmp(message->name, "destroy") == 0 || strcmp(message->name, "release") == 0)
		wl_resource_destroy(resource);
	return 0;
}

static void host_resource_created(struct wl_resource *resource, struct wl_resource *parent)
{
	struct fixture *fx = current;

	wl_resource_set_dispatcher(resource, host_dispatch, &host_tag, fx, NULL);
	if (wl_resource_instance_of(resource, &wl_callback_interface, &host_tag)) {
		wl_callback_send_done(resource, fx->serial++);
		wl_resource_destroy(resource);
	} else if (wl_resource_instance_of(resource, &xdg_toplevel_interface, &host_tag)) {
		struct wl_array states;
		wl_array_init(&states);
		xdg_toplevel_send_configure(resource, 0, 0, &states);
		if (parent)
			xdg_surface_send_configure(parent, fx->serial++);
	}
}

static void host_bind(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	const struct wl_interface *interface = data;
	struct wl_resource *resource = host_resource_create(client, interface, version, id);
	if (!resource)
		return;
	host_resource_created(resource, NULL);
	if (interface == &wl_shm_interface) {
		wl_shm_send_format(resource, WL_SHM_FORMAT_ARGB8888);
		wl_shm_send_format(resource, WL_SHM_FORMAT_XRGB8888);
	} else if (interface == &wl_seat_interface) {
		wl_seat_send_capabilities(resource, WL_SEAT_CAPABILITY_POINTER |
							    WL_SEAT_CAPABILITY_KEYBOARD);
	} else if (interface == &wl_output_interface) {
		wl_output_send_geometry(resource, 0, 0, 300, 200, 0, "fuzz", "fuzz", 0);
		wl_output_send_mode(resource, WL_OUTPUT_MODE_CURRENT, 640, 480, 60000);
		if (wl_resource_get_version(resource) >= 2)
			wl_output_send_done(resource);
	}
}

/* Global names 1..7 in this order: the seed corpus binds them by name. */
static const struct wl_interface *const host_globals[] = {
	&wl_compositor_interface, &wl_subcompositor_interface, &wl_shm_interface,
	&xdg_wm_base_interface,   &wl_data_device_manager_interface, &wl_seat_interface,
	&wl_output_interface,
};

#define MAX_COLLECTED 16

struct host_op_state {
	struct fixture *fx;
	enum host_op op;
	uint32_t arg, index;
	/* resources to act on after the walk (making objects during it would
	 * grow the object map being walked) */
	struct wl_resource *collected[MAX_COLLECTED];
	size_t num_collected;
	struct wl_resource *surface; /* some wl_surface, for a drag's enter */
};

static enum wl_iterator_result host_op_each(struct wl_resource *resource, void *data)
{
	struct host_op_state *st = data;
	struct fixture *fx = st->fx;
	switch (st->op) {
	case HOST_RELEASE_BUFFERS:
		if (wl_resource_instance_of(resource, &wl_buffer_interface, &host_tag))
			wl_buffer_send_release(resource);
		break;
	case HOST_CONFIGURE:
		if (wl_resource_instance_of(resource, &xdg_toplevel_interface, &host_tag)) {
			struct wl_array states;
			uint32_t *state;
			wl_array_init(&states);
			state = wl_array_add(&states, sizeof(*state));
			if (state)
				*state = XDG_TOPLEVEL_STATE_ACTIVATED;
			xdg_toplevel_send_configure(resource, (int32_t)st->arg, (int32_t)st->arg,
						    &states);
			wl_array_release(&states);
		} else if (wl_resource_instance_of(resource, &xdg_surface_interface, &host_tag)) {
			xdg_surface_send_configure(resource, fx->serial++);
		}
		break;
	case HOST_PING:
		if (wl_resource_instance_of(resource, &xdg_wm_base_interface, &host_tag))
			xdg_wm_base_send_ping(resource, fx->serial++);
		break;
	case HOST_POST_ERROR:
		if (st->index++ == st->arg) {
			wl_resource_post_error(resource, st->arg % 4, "fuzz host error");
			return WL_ITERATOR_STOP;
		}
		break;
	case HOST_SELECTION:
		if (wl_resource_instance_of(resource, &wl_data_device_interface, &host_tag) &&
		    st->num_collected < MAX_COLLECTED)
			st->collected[st->num_collected++] = resource;
		else if (wl_resource_instance_of(resource, &wl_surface_interface, &host_tag))
			st->surface = resource;
		break;
	case HOST_KEYMAP:
		if (wl_resource_instance_of(resource, &wl_keyboard_interface, &host_tag)) {
			int fd = memfd_create("fuzz-keymap", MFD_CLOEXEC);
			if (fd < 0)
				break;
			if (ftruncate(fd, 4096) == 0)
				wl_keyboard_send_keymap(resource, WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1,
							fd, 1 + st->arg * 16);
			close(fd);
		}
		break;
	default:
		break;
	}
	return WL_ITERATOR_CONTINUE;
}

static void host_op(struct fixture *fx, enum host_op op, uint32_t arg)
{
	struct host_op_state st = {fx, op, arg, 0};

	if (op == HOST_TOGGLE_GLOBAL) {
		if (fx->ddm_global) {
			wl_global_destroy(fx->ddm_global);
			fx->ddm_global = NULL;
		} else {
			fx->ddm_global = wl_global_create(
				fx->host_display, &wl_data_device_manager_interface,
				wl_data_device_manager_interface.version,
				(void *)&wl_data_device_manager_interface, host_bind);
		}
		return;
	}
	if (!fx->host_client)
		return;
	if (op == HOST_DISCONNECT) {
		wl_client_destroy(fx->host_client);
		return;
	}
	wl_client_for_each_resource(fx->host_client, host_op_each, &st);
	for (size_t i = 0; i < st.num_collected; i++) {
		struct wl_resource *device = st.collected[i];
		struct wl_resource *offer = host_resource_create(
			fx->host_client, &wl_data_offer_interface,
			(uint32_t)wl_resource_get_version(device), 0);
		if (!offer)
			return;
		host_resource_created(offer, NULL);
		wl_data_device_send_data_offer(device, offer);
		wl_data_offer_send_offer(offer, "text/plain");
		if (st.surface && (arg & 1))
			wl_data_device_send_enter(device, fx->serial++, st.surface, 0, 0, offer);
		else
			wl_data_device_send_selection(device, offer);
	}
}

static void handle_host_client_destroy(struct wl_listener *listener, void *data)
{
	struct fixture *fx = wl_container_of(listener, fx, host_client_destroy);

	wl_list_remove(&listener->link);
	fx->host_client = NULL;
}

/* ---------------- the proxy's backend ---------------- */

static int connect_host(void *data, struct wl_client *client, void **conn)
{
	struct fixture *fx = data;
	int sv[2];

	*conn = NULL;
	if (fx->no_host || fx->host_client)
		return -1; /* one guest per input */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	fx->host_client = wl_client_create(fx->host_display, sv[1]);
	if (!fx->host_client) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	fx->host_client_destroy.notify = handle_host_client_destroy;
	wl_client_add_destroy_listener(fx->host_client, &fx->host_client_destroy);
	fx->conns++;
	*conn = fx;
	return sv[0];
}

static void disconnect_host(void *data, void *conn)
{
	struct fixture *fx = data;

	FUZZ_CHECK(conn == fx);
	FUZZ_CHECK(fx->conns == 1);
	fx->conns--;
}

static int alloc_shadow(void *data, void *conn, uint32_t width, uint32_t height,
			uint32_t drm_format, struct proxy_shadow *out)
{
	struct fixture *fx = data;
	struct xdomain_image_requirements req;

	FUZZ_CHECK(conn == fx);
	if (!xdomain_linear_layout(width, height, drm_format, 4096, &req))
		return -EINVAL;
	if (req.size > MAX_SHADOW_BYTES)
		return -ENOMEM;
	int fd = memfd_create("fuzz-shadow", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)req.size) < 0) {
		close(fd);
		return -ENOMEM;
	}
	void *map = mmap(NULL, req.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	*out = (struct proxy_shadow){.fd = fd, .map = map, .size = req.size,
				     .stride = req.strides[0], .offset = req.offsets[0]};
	fx->shadows++;
	return 0;
}

static void free_shadow(void *data, void *conn, struct proxy_shadow *shadow)
{
	struct fixture *fx = data;

	FUZZ_CHECK(fx->shadows > 0);
	munmap(shadow->map, shadow->size);
	close(shadow->fd);
	fx->shadows--;
}

/* ---------------- the guest ---------------- */

/* Read and drop what the proxy sent, closing the fds that came with it. */
static void drain_guest(struct fixture *fx)
{
	if (fx->guest_fd < 0 || !fx->guest_reading)
		return;
	for (;;) {
		char buf[4096];
		char control[CMSG_SPACE(sizeof(int) * 28)];
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
				     .msg_controllen = sizeof(control)};
		ssize_t n = recvmsg(fx->guest_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		for (struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&msg) : NULL; c;
		     c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			size_t nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < nfds; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
				close(fd);
			}
		}
		if (n <= 0)
			return;
	}
}

static void settle(struct fixture *fx)
{
	struct wl_event_loop *loop = wl_display_get_event_loop(fx->display);
	struct wl_event_loop *host_loop = wl_display_get_event_loop(fx->host_display);

	for (int i = 0; i < 256; i++) {
		wl_display_flush_clients(fx->display);
		wl_display_flush_clients(fx->host_display);
		wl_event_loop_dispatch(host_loop, 0);
		wl_event_loop_dispatch(loop, 0);
		wl_display_flush_clients(fx->display);
		wl_display_flush_clients(fx->host_display);
		drain_guest(fx);
		struct pollfd p[2] = {{.fd = wl_event_loop_get_fd(loop), .events = POLLIN},
				      {.fd = wl_event_loop_get_fd(host_loop), .events = POLLIN}};
		if (poll(p, 2, 0) == 0)
			return;
	}
}

static int make_fd(struct fixture *fx, unsigned kind)
{
	int fd = -1, p[2];

	switch (kind) {
	case 0:
		fd = memfd_create("fuzz-pool", MFD_CLOEXEC);
		if (fd >= 0 && ftruncate(fd, MEMFD_SIZE) < 0) {
			close(fd);
			fd = -1;
		}
		break;
	case 1:
	case 2:
		if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
			break;
		fd = p[kind == 1 ? 0 : 1];
		if (fx->num_kept < MAX_KEPT_FDS)
			fx->kept[fx->num_kept++] = p[kind == 1 ? 1 : 0];
		else
			close(p[kind == 1 ? 1 : 0]);
		break;
	default:
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		break;
	}
	return fd;
}

static void guest_write(struct fixture *fx, const uint8_t *bytes, size_t size, uint8_t fdsel)
{
	int fds[3];
	size_t nfds = 0;
	char control[CMSG_SPACE(sizeof(fds))];

	for (unsigned k = 0; k < (fdsel & 3u); k++) {
		int fd = make_fd(fx, (fdsel >> (2 + 2 * k)) & 3u);
		if (fd >= 0)
			fds[nfds++] = fd;
	}
	size_t off = 0;
	for (int tries = 0; fx->guest_fd >= 0 && (off < size || nfds) && tries < 8; tries++) {
		struct iovec iov = {(void *)(bytes + off), size - off};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
		if (nfds) {
			memset(control, 0, sizeof(control));
			msg.msg_control = control;
			msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
			struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
			memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
		}
		if (size == off) {
			/* fds need at least one byte to travel with */
			static const uint8_t zero;
			iov = (struct iovec){(void *)&zero, 1};
		}
		ssize_t n = sendmsg(fx->guest_fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				break;
			settle(fx);
			continue;
		}
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		nfds = 0;
		off += (size_t)n < size - off ? (size_t)n : size - off;
	}
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
}

/* ---------------- one input ---------------- */

static void __attribute__((format(printf, 1, 0))) log_nothing(const char *fmt, va_list args)
{
}

static void fixture_run(struct fixture *fx, struct fuzz_input *in)
{
	for (int ops = 0; fuzz_more(in) && ops < 512; ops++) {
		size_t n;
		const uint8_t *p;
		switch (fuzz_u8(in) % 4) {
		case 0: {
			uint8_t fdsel = fuzz_u8(in);
			p = fuzz_bytes(in, fuzz_u16(in), &n);
			guest_write(fx, p, n, fdsel);
			break;
		}
		case 1: {
			enum host_op op = (enum host_op)(fuzz_u8(in) % HOST_OP_COUNT);
			host_op(fx, op, fuzz_u8(in));
			break;
		}
		case 2:
			fx->guest_reading = !fx->guest_reading;
			break;
		case 3:
			p = fuzz_bytes(in, fuzz_u16(in) % 512, &n);
			for (size_t i = 0; i < n; i++) {
				guest_write(fx, p + i, 1, 0);
				settle(fx);
			}
			break;
		}
		settle(fx);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool initialized;
	if (!initialized) {
		vsomm_log_init(getenv("FUZZ_LOG") ? VSOMM_LOG_TRACE : VSOMM_LOG_SILENT, "fuzz");
		if (getenv("FUZZ_LOG")) {
			wl_log_set_handler_server(vsomm_log_wayland);
			wl_log_set_handler_client(vsomm_log_wayland);
		} else {
			/* vsomm_log's route prints libwayland's messages at any level */
			wl_log_set_handler_server(log_nothing);
			wl_log_set_handler_client(log_nothing);
		}
		signal(SIGPIPE, SIG_IGN);
		initialized = true;
	}
	int fds_before = count_fds();
	struct fuzz_input in = {data, size, 0};
	uint8_t flags = fuzz_u8(&in);
	struct fixture fx = {.guest_fd = -1, .guest_reading = true, .no_host = flags & F_NO_HOST};
	current = &fx;

	fx.host_display = wl_display_create();
	FUZZ_CHECK(fx.host_display);
	for (size_t i = 0; i < sizeof(host_globals) / sizeof(host_globals[0]); i++) {
		struct wl_global *g = wl_global_create(fx.host_display, host_globals[i],
						       host_globals[i]->version,
						       (void *)host_globals[i], host_bind);
		FUZZ_CHECK(g);
		if (host_globals[i] == &wl_data_device_manager_interface)
			fx.ddm_global = g;
	}

	struct proxy_backend backend = {.connect_host = connect_host,
					.disconnect_host = disconnect_host};
	if (!(flags & F_NO_SHADOWS)) {
		backend.alloc_shadow = alloc_shadow;
		backend.free_shadow = free_shadow;
	}
	struct proxy_options options = {
		.title_prefix = "[fuzz] ",
		.app_id_prefix = "fuzz.",
		.trace = flags & F_TRACE,
		.limits = {.max_objects = 5000, .max_shadow_bytes = 128u << 20},
	};
	if (flags & F_SMALL_LIMITS)
		options.limits = (struct proxy_limits){
			.max_objects = 24, .max_shadow_bytes = 1u << 20, .max_pending_bytes = 4096};
	fx.display = wl_display_create();
	FUZZ_CHECK(fx.display);
	fx.proxy = proxy_create(fx.display, &options, &backend, &fx);
	FUZZ_CHECK(fx.proxy);

	int sv[2];
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	FUZZ_CHECK(wl_client_create(fx.display, sv[0]));
	fx.guest_fd = sv[1];
	settle(&fx); /* the host's globals reach the proxy, as before a real first request */

	fixture_run(&fx, &in);

	/* The guest hangs up: the proxy ends its host connection by itself. */
	close(fx.guest_fd);
	fx.guest_fd = -1;
	settle(&fx);
	FUZZ_CHECK(fx.conns == 0);
	FUZZ_CHECK(fx.shadows == 0);
	proxy_destroy(fx.proxy);
	if (fx.host_client)
		wl_client_destroy(fx.host_client);
	wl_display_destroy(fx.display);
	wl_display_destroy(fx.host_display);
	for (size_t i = 0; i < fx.num_kept; i++)
		close(fx.kept[i]);
	current = NULL;
	FUZZ_CHECK(count_fds() == fds_before);
	return 0;
}
