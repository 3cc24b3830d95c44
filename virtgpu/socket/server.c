/* SPDX-License-Identifier: MIT */
/*
 * The socket transport, host end (docs/socket-transport.md): each connection on
 * the listening socket is one guest with its own device model.
 *
 * Reads take as many frames as the socket holds (frame-rx.h, which also says how
 * an fd is matched to its frame: the guest starts every fd-carrying frame with its
 * own sendmsg(), the fd on its first byte).
 *
 * Nothing here blocks on a guest: the socket is non-blocking, a response goes
 * out with one sendmsg() straight from the device's buffer, what the socket does
 * not take waits in a per-connection queue (with its fds), and a guest that lets
 * the queue grow past a limit is dropped.  A connection is only ever torn down from the event loop,
 * never under the device model's feet: code running inside the device (the
 * complete() hook) marks it dead and an idle source finishes the job.
 *
 * Fault injection, for tests only: built with VSOMM_FAULT_INJECTION (into the
 * vsomm-host-faults test executable, launcher/meson.build),
 * VSOMM_SOCKET_FAULT=no-context-init withholds VIRTIO_GPU_F_CONTEXT_INIT from
 * the HELLO, so a guest meets a device without context types
 * (tests/launcher/doctor.sh).  The vsomm-host that ships has no such code path.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_gpu.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "util/fdpass.h"
#include "util/log.h"
#include "virtgpu/socket/server.h"
#include "virtgpu/socket/frame.h"
#include "virtgpu/socket/frame-rx.h"

#define OUT_QUEUE_LIMIT (16u * 1024u * 1024u)
#define FRAMES_PER_WAKEUP 64
#define READS_PER_WAKEUP 16
#define ACCEPTS_PER_WAKEUP 16

struct sock_server {
	struct wl_event_loop *loop;
	int listen_fd;
	struct wl_event_source *listen_source;
	const struct gpu_model_capset_ops *const *capsets;
	void *capset_data;
	struct wl_list connections; /* conn.link */
	size_t num_connections;
};

struct conn {
	struct wl_list link;
	struct sock_server *server;
	int fd;
	struct wl_event_source *source;
	struct wl_event_source *idle; /* deferred destroy */
	uint32_t mask;
	struct gpu_model *dev;
	bool dead;

	struct sock_frame_rx rx; /* frames read, not yet processed */

	/* the command inside gpu_model_process() */
	bool in_process, cur_answered, cur_no_reply;
	uint64_t cur_tag;
	/* NO_REPLY commands whose response the device holds (fences) */
	uint64_t *silent_tags;
	size_t num_silent, cap_silent;

	struct fdpass_queue out; /* frames not yet sent, each fd with its frame's first byte */
};

static void conn_destroy(struct conn *conn);

static void handle_idle_destroy(void *data)
{
	struct conn *conn = data;
	conn->idle = NULL; /* the loop removes its idle source after this call */
	conn_destroy(conn);
}

static void conn_kill(struct conn *conn)
{
	if (conn->dead)
		return;
	conn->dead = true;
	if (conn->source)
		wl_event_source_fd_update(conn->source, 0);
	conn->idle = wl_event_loop_add_idle(conn->server->loop, handle_idle_destroy, conn);
	/* Without an idle source the next fd event (or server destroy) finishes it. */
}

static void update_mask(struct conn *conn)
{
	uint32_t mask = conn->dead ? 0 : WL_EVENT_READABLE;
	if (!conn->dead && !fdpass_queue_empty(&conn->out))
		mask |= WL_EVENT_WRITABLE;
	if (mask != conn->mask && conn->source) {
		wl_event_source_fd_update(conn->source, mask);
		conn->mask = mask;
	}
}

/* Send what the socket takes now; the rest waits for WL_EVENT_WRITABLE. */
static void flush(struct conn *conn)
{
	if (!conn->dead && !fdpass_queue_empty(&conn->out) &&
	    fdpass_queue_flush(&conn->out, conn->fd, MSG_DONTWAIT) < 0) {
		/* EPIPE/ECONNRESET: the guest went away (vsomm exiting), a disconnect. */
		vsomm_log_errno(errno == EPIPE || errno == ECONNRESET ? VSOMM_LOG_DEBUG
								      : VSOMM_LOG_ERROR,
				"virtgpu socket: send to guest failed");
		conn_kill(conn);
		return;
	}
	update_mask(conn);
}

/*
 * Send one frame (header + payload, with `fd` borrowed: it is dup'ed): straight
 * from the caller's buffers when nothing waits, the rest queued.
 */
static void queue_frame(struct conn *conn, uint32_t flags, uint64_t tag, const void *payload,
			size_t size, int fd)
{
	if (conn->dead)
		return;
	size_t len = sizeof(struct sock_frame_hdr) + size;
	size_t queued = fdpass_queue_size(&conn->out);
	if (size > SOCK_FRAME_MAX_PAYLOAD || queued + len > OUT_QUEUE_LIMIT) {
		vsomm_log(VSOMM_LOG_ERROR,
			  "virtgpu socket: guest does not read its responses (%zu bytes queued), "
			  "dropping it",
			  queued);
		conn_kill(conn);
		return;
	}
	int dup_fd = -1;
	/* Answer without the fd when it cannot be kept: an error the guest sees, not a hang. */
	uint32_t oom = VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
	size_t skip = 0;
	if (fd >= 0) {
		dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (dup_fd < 0) {
			vsomm_log_errno(VSOMM_LOG_ERROR, "virtgpu socket: dup of a response fd");
			if (size >= sizeof(struct virtio_gpu_ctrl_hdr))
				skip = sizeof(oom); /* the response type becomes OUT_OF_MEMORY */
		}
	}
	struct sock_frame_hdr hdr = {
		.size = (uint32_t)size,
		.flags = flags | (dup_fd >= 0 ? SOCK_FRAME_F_FD : 0),
		.tag = tag,
	};
	struct iovec iov[3] = {
		{.iov_base = &hdr, .iov_len = sizeof(hdr)},
		{.iov_base = &oom, .iov_len = skip},
		{.iov_base = size > skip ? (uint8_t *)payload + skip : NULL,
		 .iov_len = size - skip},
	};
	/* The fd goes with the header, the frame's first byte (frame-rx.h). */
	if (fdpass_queue_sendv(&conn->out, conn->fd, iov, 3, &dup_fd, dup_fd >= 0 ? 1 : 0,
			       MSG_DONTWAIT) < 0) {
		if (errno == ENOMEM) /* a frame cut short cannot be taken back */
			vsomm_log(VSOMM_LOG_ERROR, "virtgpu socket: out of memory, dropping guest");
		else /* EPIPE/ECONNRESET: the guest went away (vsomm exiting), a disconnect */
			vsomm_log_errno(errno == EPIPE || errno == ECONNRESET ? VSOMM_LOG_DEBUG
									      : VSOMM_LOG_ERROR,
					"virtgpu socket: send to guest failed");
		conn_kill(conn);
		return;
	}
	update_mask(conn);
}

static bool take_silent_tag(struct conn *conn, uint64_t tag)
{
	for (size_t i = 0; i < conn->num_silent; i++) {
		if (conn->silent_tags[i] == tag) {
			conn->silent_tags[i] = conn->silent_tags[--conn->num_silent];
			return true;
		}
	}
	return false;
}

static bool add_silent_tag(struct conn *conn, uint64_t tag)
{
	if (conn->num_silent == conn->cap_silent) {
		size_t cap = conn->cap_silent ? conn->cap_silent * 2 : 8;
		uint64_t *tags = realloc(conn->silent_tags, cap * sizeof(*tags));
		if (!tags)
			return false;
		conn->silent_tags = tags;
		conn->cap_silent = cap;
	}
	conn->silent_tags[conn->num_silent++] = tag;
	return true;
}

static void handle_complete(void *transport, uint64_t cookie, const void *resp, size_t size, int fd)
{
	struct conn *conn = transport;
	if (conn->dead)
		return;
	bool silent;
	if (conn->in_process && !conn->cur_answered && cookie == conn->cur_tag) {
		conn->cur_answered = true;
		silent = conn->cur_no_reply;
	} else {
		silent = take_silent_tag(conn, cookie);
	}
	if (silent) {
		/* The device logged why; this says the guest will not hear of it. */
		uint32_t type = 0;
		if (size >= sizeof(type))
			memcpy(&type, resp, sizeof(type));
		if (type >= VIRTIO_GPU_RESP_ERR_UNSPEC)
			vsomm_log(VSOMM_LOG_DEBUG,
				  "virtgpu socket: error 0x%x for NO_REPLY command (tag %llu)",
				  type, (unsigned long long)cookie);
		return;
	}
	queue_frame(conn, 0, cookie, resp, size, fd);
}

static const struct gpu_model_transport_ops transport_ops = {
	.complete = handle_complete,
};

static bool seal_shrink(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		return false;
	return (seals & F_SEAL_SHRINK) || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0;
}

/*
 * The memfd of a GUEST blob: a regular file covering the blob, sealed against
 * shrinking (a shrunk file would SIGBUS the host on access), mapped shared RW.
 * Takes `fd`; false (fd closed) when it does not qualify.
 */
static bool map_guest_memory(int fd, uint64_t blob_size, struct gpu_model_backing *out)
{
	struct stat st;
	const char *why = NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (blob_size == 0 || blob_size > SIZE_MAX || (uint64_t)st.st_size < blob_size)
		why = "smaller than the blob";
	else if (!seal_shrink(fd))
		why = "cannot be sealed against shrinking (memfd without MFD_ALLOW_SEALING?)";
	if (!why) {
		void *addr = mmap(NULL, (size_t)blob_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
				  0);
		if (addr != MAP_FAILED) {
			*out = (struct gpu_model_backing){
				.addr = addr, .size = (size_t)blob_size, .fd = fd, .owned = true};
			return true;
		}
		why = "mmap failed";
	}
	vsomm_log(VSOMM_LOG_ERROR, "virtgpu socket: GUEST blob memory refused: %s", why);
	close(fd);
	return false;
}

/*
 * The fd of a GUEST blob without USE_MAPPABLE: guest memory the host only passes
 * on (a guest client's dmabuf: cross-domain SEND dups it for the compositor).  It
 * is neither mapped nor sealed here — it is the guest application's own memfd —
 * so a file shrunk later cannot hurt the host.  It must still be a regular file
 * covering the blob up to its page-rounded size (guests page-align blob sizes).
 * Takes `fd`; false (fd closed) when it does not qualify.
 */
static bool keep_guest_memory(int fd, uint64_t blob_size, struct gpu_model_backing *out)
{
	struct stat st;
	const char *why = NULL;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (blob_size == 0 || blob_size > SIZE_MAX || st.st_size <= 0 ||
		 (uint64_t)st.st_size + page - 1 < blob_size)
		why = "smaller than the blob";
	if (why) {
		vsomm_log(VSOMM_LOG_ERROR, "virtgpu socket: GUEST blob memory refused: %s", why);
		close(fd);
		return false;
	}
	*out = (struct gpu_model_backing){
		.addr = NULL, .size = (size_t)blob_size, .fd = fd, .owned = true};
	return true;
}

/* One complete frame from the guest; false drops the connection. */
static bool handle_frame(struct conn *conn, const struct sock_frame_in *frame)
{
	const struct sock_frame_hdr *hdr = &frame->hdr;
	const uint8_t *cmd = frame->payload;
	size_t size = hdr->size;
	int fd = frame->fd;

	if ((hdr->flags & ~SOCK_FRAME_F_VALID) || (hdr->flags & SOCK_FRAME_F_HELLO)) {
		vsomm_log(VSOMM_LOG_ERROR, "virtgpu socket: bad frame (size %u, flags 0x%x)",
			  hdr->size, hdr->flags);
		if (fd >= 0)
			close(fd);
		return false;
	}

	struct gpu_model_backing backing, *backing_ptr = NULL;
	if (fd >= 0) {
		/* Only a GUEST blob brings memory: its memfd. */
		struct virtio_gpu_resource_create_blob blob = {0};
		if (size > 0) /* an empty frame has no payload buffer at all */
			memcpy(&blob, cmd, size < sizeof(blob) ? size : sizeof(blob));
		if (size < sizeof(blob) || blob.hdr.type != VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB ||
		    blob.blob_mem != VIRTIO_GPU_BLOB_MEM_GUEST) {
			vsomm_log(
				VSOMM_LOG_ERROR,
				"virtgpu socket: fd on command 0x%x (%zu bytes), not a GUEST blob",
				blob.hdr.type, size);
			close(fd);
			return false;
		}
		if (blob.nr_entries != 0) {
			/* The memory is the fd; the device answers the missing backing. */
			vsomm_log(VSOMM_LOG_ERROR, "virtgpu socket: GUEST blob with mem entries");
			close(fd);
		} else if (!(blob.blob_flags & VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE)
				   ? keep_guest_memory(fd, blob.size, &backing)
				   : map_guest_memory(fd, blob.size, &backing)) {
			backing_ptr = &backing;
		}
	}

	conn->in_process = true;
	conn->cur_answered = false;
	conn->cur_no_reply = hdr->flags & SOCK_FRAME_F_NO_REPLY;
	conn->cur_tag = hdr->tag;
	gpu_model_process(conn->dev, cmd, size, backing_ptr, hdr->tag);
	conn->in_process = false;
	if (!conn->dead && !conn->cur_answered && conn->cur_no_reply &&
	    !add_silent_tag(conn, hdr->tag)) {
		vsomm_log(VSOMM_LOG_ERROR, "virtgpu socket: out of memory, dropping guest");
		return false;
	}
	return true;
}

/*
 * Read and process frames; false drops the connection.  One recvmsg() takes as
 * many frames as the socket holds; a short read without fds drained it, so no
 * EAGAIN read follows.  Bounded per wakeup so one guest cannot starve the rest.
 */
static bool read_frames(struct conn *conn)
{
	int frames = 0;
	bool more = true;
	for (int reads = 0; more && reads < READS_PER_WAKEUP && !conn->dead; reads++) {
		ssize_t n = sock_frame_rx_fill(&conn->rx, conn->fd, &more);
		if (n == -EAGAIN)
			return true;
		if (n <= 0) {
			/* A reset at a frame boundary is the guest going away with
			 * our last frames unread (vsomm exiting): a disconnect. */
			if (n == -EPROTO)
				vsomm_log(VSOMM_LOG_ERROR,
					  "virtgpu socket: fds not on a frame's first byte");
			else if (n == 0 && sock_frame_rx_partial(&conn->rx))
				vsomm_log(VSOMM_LOG_ERROR,
					  "virtgpu socket: guest hung up inside a frame");
			else if (n < 0 && n != -ECONNRESET)
				vsomm_log(VSOMM_LOG_ERROR, "virtgpu socket: recv: %s",
					  strerror((int)-n));
			return false;
		}
		struct sock_frame_in frame;
		int ret;
		while (!conn->dead && (ret = sock_frame_rx_next(&conn->rx, &frame)) > 0) {
			if (!handle_frame(conn, &frame))
				return false;
			frames++;
		}
		if (ret < 0) {
			vsomm_log(VSOMM_LOG_ERROR,
				  "virtgpu socket: bad frame (too large, or F_FD without its fd)");
			return false;
		}
		if (frames >= FRAMES_PER_WAKEUP)
			break;
	}
	return true;
}

static int handle_conn_event(int fd, uint32_t mask, void *data)
{
	struct conn *conn = data;
	if (!conn->dead && (mask & WL_EVENT_WRITABLE))
		flush(conn);
	if (!conn->dead && (mask & WL_EVENT_READABLE)) {
		if (!read_frames(conn))
			conn_kill(conn);
	} else if (!conn->dead && (mask & (WL_EVENT_HANGUP | WL_EVENT_ERROR))) {
		conn_kill(conn);
	}
	if (conn->dead)
		conn_destroy(conn);
	return 0;
}

static void conn_destroy(struct conn *conn)
{
	conn->dead = true; /* complete() calls from the teardown are dropped */
	gpu_model_destroy(conn->dev);
	if (conn->idle)
		wl_event_source_remove(conn->idle);
	if (conn->source)
		wl_event_source_remove(conn->source);
	fdpass_queue_finish(&conn->out);
	sock_frame_rx_finish(&conn->rx);
	close(conn->fd);
	free(conn->silent_tags);
	wl_list_remove(&conn->link);
	conn->server->num_connections--;
	free(conn);
}

static bool conn_create(struct sock_server *server, int fd)
{
	struct conn *conn = calloc(1, sizeof(*conn));
	if (!conn)
		return false;
	conn->server = server;
	conn->fd = fd;
	sock_frame_rx_init(&conn->rx);
	fdpass_queue_init(&conn->out);
	struct gpu_model_config config = {
		.capsets = server->capsets,
		.capset_data = server->capset_data,
		.transport_ops = &transport_ops,
		.transport = conn,
	};
	conn->dev = gpu_model_create(&config);
	if (!conn->dev)
		goto err_dev;
	conn->mask = WL_EVENT_READABLE;
	conn->source = wl_event_loop_add_fd(server->loop, fd, conn->mask, handle_conn_event, conn);
	if (!conn->source)
		goto err_source;
	wl_list_insert(&server->connections, &conn->link);
	server->num_connections++;

	struct sock_frame_hello hello = {
		.version = SOCK_FRAME_VERSION,
		.num_capsets = gpu_model_num_capsets(conn->dev),
		.features = GPU_MODEL_FEATURES |
			    (gpu_model_strict(conn->dev) ? 0 : SOCK_FRAME_FEATURE_GUEST_BLOB_SEND),
	};
#ifdef VSOMM_FAULT_INJECTION
	const char *fault = getenv("VSOMM_SOCKET_FAULT");
	if (fault && strcmp(fault, "no-context-init") == 0) {
		hello.features &= ~(1ull << VIRTIO_GPU_F_CONTEXT_INIT);
		vsomm_log(VSOMM_LOG_INFO, "socket: fault injected: %s", fault);
	}
#endif
	queue_frame(conn, SOCK_FRAME_F_HELLO, 0, &hello, sizeof(hello), -1);
	return true;

err_source:
	gpu_model_destroy(conn->dev);
err_dev:
	free(conn);
	return false;
}

static int handle_listen(int fd, uint32_t mask, void *data)
{
	struct sock_server *server = data;
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				vsomm_log_errno(VSOMM_LOG_ERROR, "virtgpu socket: accept");
			break;
		}
		struct ucred cred;
		socklen_t len = sizeof(cred);
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
		    len != sizeof(cred) || cred.uid != geteuid()) {
			vsomm_log(VSOMM_LOG_ERROR,
				  "virtgpu socket: refusing a peer of another user (pid %d)",
				  len == sizeof(cred) ? (int)cred.pid : -1);
			close(cfd);
			continue;
		}
		if (!conn_create(server, cfd)) {
			vsomm_log(VSOMM_LOG_ERROR, "virtgpu socket: cannot set up a connection");
			close(cfd);
		}
	}
	return 0;
}

struct sock_server *sock_server_create(struct wl_event_loop *loop, int listen_fd,
				       const struct gpu_model_capset_ops *const *capsets,
				       void *capset_data)
{
	if (!loop || listen_fd < 0)
		return NULL;
	struct sock_server *server = calloc(1, sizeof(*server));
	if (!server)
		return NULL;
	server->loop = loop;
	server->listen_fd = listen_fd;
	server->capsets = capsets;
	server->capset_data = capset_data;
	wl_list_init(&server->connections);

	int flags = fcntl(listen_fd, F_GETFL);
	if (flags < 0 || fcntl(listen_fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(listen_fd, F_SETFD, FD_CLOEXEC) < 0)
		goto err;
	server->listen_source = wl_event_loop_add_fd(loop, listen_fd, WL_EVENT_READABLE,
						     handle_listen, server);
	if (!server->listen_source)
		goto err;
	return server;

err:
	/* The caller keeps listen_fd on failure. */
	free(server);
	return NULL;
}

void sock_server_destroy(struct sock_server *server)
{
	if (!server)
		return;
	while (!wl_list_empty(&server->connections)) {
		struct conn *conn = wl_container_of(server->connections.next, conn, link);
		conn_destroy(conn);
	}
	wl_event_source_remove(server->listen_source);
	close(server->listen_fd);
	free(server);
}

size_t sock_server_connections(const struct sock_server *server)
{
	return server ? server->num_connections : 0;
}
