/* SPDX-License-Identifier: MIT */
/*
 * The byte relay of one guest client (relay.h, docs/relay-core.md): its
 * socket read into whole messages, each translated in place and appended to
 * a batch for the host (one backend send per read burst), and the host's
 * bytes translated back into a batch for the guest socket.
 *
 * vsomm's display and registry: the guest's wl_registry objects are the
 * guest's only; vsomm holds one registry of its own on the host connection,
 * announces the globals the forwarding tables relay (versions capped) to
 * every guest registry, and turns a guest's bind into a bind on its own
 * registry.  wl_display.sync is forwarded: a guest round trip still means
 * "the host compositor has seen everything before it".
 *
 * Of the closure proxy's hooks the relay has so far only the xdg_toplevel
 * title and app_id prefixes (docs/relay-core.md lists the rest).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "proxy/relay/relay.h"
#include "util/fdpass.h"
#include "util/log.h"
#include "util/text.h"

/* libwayland's receivers take up to 28 fds per read (its MAX_FDS_OUT). */
#define BATCH_MAX_FDS 28u
#define BATCH_SIZE (16u * 1024u)
/* Bytes waiting for a guest that does not read: then it is ended. */
#define GUEST_MAX_PENDING (4u << 20)
/* Reads of one client per wake-up, so that one cannot starve the others. */
#define READ_BURST 16

/* wl_display and wl_registry opcodes */
#define DISPLAY_SYNC 0u
#define DISPLAY_GET_REGISTRY 1u
#define DISPLAY_ERROR 0u
#define DISPLAY_DELETE_ID 1u
#define REGISTRY_BIND 0u
#define REGISTRY_GLOBAL 0u
#define REGISTRY_GLOBAL_REMOVE 1u
/* wl_display.error codes */
#define ERROR_INVALID_OBJECT 0u
#define ERROR_INVALID_METHOD 1u
#define ERROR_NO_MEMORY 2u
#define ERROR_IMPLEMENTATION 3u

struct batch {
	uint32_t words[BATCH_SIZE / 4];
	uint32_t size; /* bytes */
	int fds[BATCH_MAX_FDS];
	uint32_t nfds;
};

struct global {
	uint32_t name;
	uint32_t version; /* min(host, vsomm) */
	const struct vsomm_interface_info *info;
};

struct relay_client {
	struct relay_server *server;
	struct wl_list link; /* relay_server.clients */
	int sock;
	struct wl_event_source *source;
	uint32_t source_mask;
	struct wl_event_source *end_idle;
	void *conn; /* the backend's */
	bool dead;
	struct relay_idmap map;
	struct relay_in guest_in, host_in;
	struct batch to_host, to_guest;
	struct fdpass_queue guest_out;
	/* vsomm's registry on the host, and the globals it announced */
	struct relay_idmap_object *host_registry;
	struct global *globals;
	size_t global_count, global_cap;
	/* the guest's registries: their guest ids */
	uint32_t *registries;
	size_t registry_count, registry_cap;
};

struct relay_server {
	char *title_prefix, *app_id_prefix; /* NULL when unset */
	struct wl_display *display;
	struct wl_event_loop *loop;
	const struct relay_host_ops *ops;
	void *data;
	struct wl_listener client_created;
	struct wl_list clients;
	struct relay_stats stats;
};

static const struct vsomm_interface_info *display_info, *registry_info, *toplevel_info;

/* xdg_toplevel opcodes */
#define TOPLEVEL_SET_TITLE 2u
#define TOPLEVEL_SET_APP_ID 3u

static void client_end(struct relay_client *rc, const char *why);
static bool guest_message(struct relay_client *rc, uint32_t *words);
static bool host_message(struct relay_client *rc, uint32_t *words);

/* ---- batches ---- */

static void batch_clear(struct batch *b)
{
	fdpass_close_fds(b->fds, b->nfds);
	b->size = 0;
	b->nfds = 0;
}

static bool flush_host(struct relay_client *rc)
{
	struct batch *b = &rc->to_host;
	int err;

	if (!b->size)
		return true;
	err = rc->server->ops->send(rc->conn, b->words, b->size, b->fds, b->nfds);
	rc->server->stats.host_sends++;
	batch_clear(b);
	if (err < 0) {
		client_end(rc, strerror(-err));
		return false;
	}
	return true;
}

static void update_mask(struct relay_client *rc)
{
	uint32_t mask = WL_EVENT_READABLE;

	if (!fdpass_queue_empty(&rc->guest_out))
		mask |= WL_EVENT_WRITABLE;
	if (mask != rc->source_mask && rc->source) {
		wl_event_source_fd_update(rc->source, mask);
		rc->source_mask = mask;
	}
}

static bool flush_guest(struct relay_client *rc)
{
	struct batch *b = &rc->to_guest;
	struct iovec iov = {.iov_base = b->words, .iov_len = b->size};

	if (b->size) {
		/* the queue takes the fds in every case */
		ssize_t n = fdpass_queue_sendv(&rc->guest_out, rc->sock, &iov, 1, b->fds, b->nfds,
					       MSG_DONTWAIT);
		b->size = 0;
		b->nfds = 0;
		if (n < 0 && errno != EAGAIN) {
			client_end(rc, "the guest's socket failed");
			return false;
		}
	}
	if (fdpass_queue_size(&rc->guest_out) > GUEST_MAX_PENDING) {
		client_end(rc, "the guest does not read its events");
		return false;
	}
	update_mask(rc);
	return true;
}

/* Room in batch `b` for `size` bytes and `nfds` fds, flushing it first if
 * needed; false when the client was ended. */
static bool batch_room(struct relay_client *rc, struct batch *b, uint32_t size, uint32_t nfds)
{
	if (b->size + size <= BATCH_SIZE && b->nfds + nfds <= BATCH_MAX_FDS)
		return true;
	return b == &rc->to_host ? flush_host(rc) : flush_guest(rc);
}

/* Append a message and its fds (taken) to a batch. */
static bool batch_append(struct relay_client *rc, struct batch *b, const uint32_t *words,
			 uint16_t size, const int *fds, uint32_t nfds)
{
	if (!batch_room(rc, b, size, nfds)) {
		fdpass_close_fds(fds, nfds);
		return false;
	}
	memcpy((uint8_t *)b->words + b->size, words, size);
	b->size += size;
	if (nfds) /* fds may be NULL then */
		memcpy(&b->fds[b->nfds], fds, nfds * sizeof(fds[0]));
	b->nfds += nfds;
	return true;
}

/* A message of our own: words u32 arguments, then an optional string. */
static bool emit(struct relay_client *rc, struct batch *b, uint32_t id, uint16_t opcode,
		 const uint32_t *args, unsigned nargs, const char *string, int string_at)
{
	uint32_t words[RELAY_MAX_SIZE / 4];
	uint32_t n = 2;

	for (unsigned i = 0; i <= nargs; i++) {
		if ((int)i == string_at && string) {
			size_t len = strlen(string) + 1;

			if (len > RELAY_MAX_SIZE - 64)
				len = RELAY_MAX_SIZE - 64;
			words[n] = (uint32_t)len;
			memset(&words[n + 1], 0, (len + 3) & ~(size_t)3);
			memcpy(&words[n + 1], string, len - 1);
			n += 1 + (uint32_t)((len + 3) / 4);
		}
		if (i < nargs)
			words[n++] = args[i];
	}
	words[0] = id;
	words[1] = (n * 4) << 16 | opcode;
	return batch_append(rc, b, words, (uint16_t)(n * 4), NULL, 0);
}

/* ---- errors ---- */

static void post_error(struct relay_client *rc, uint32_t object, uint32_t code, const char *fmt,
		       ...)
{
	char text[512];
	va_list ap;
	uint32_t args[2] = {object, code};

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	vsomm_log(VSOMM_LOG_INFO, "relay: client error: %s", text);
	rc->server->stats.client_errors++;
	if (emit(rc, &rc->to_guest, 1, DISPLAY_ERROR, args, 2, text, 2))
		flush_guest(rc);
	client_end(rc, "protocol error");
}

static void post_translate_error(struct relay_client *rc, const struct relay_translate *t,
				 enum relay_translate_status status, const uint32_t *words)
{
	struct relay_header h = relay_header_read(words);
	const char *iface = t->target ? t->target->info->name : "?";
	const char *msg = t->msg.info ? t->msg.info->name : "?";

	switch (status) {
	case RELAY_TRANSLATE_UNKNOWN_OBJECT:
		post_error(rc, 1, ERROR_INVALID_OBJECT, "invalid object %u", h.id);
		break;
	case RELAY_TRANSLATE_BAD_OPCODE:
		post_error(rc, h.id, ERROR_INVALID_METHOD, "invalid method %u of %s@%u", h.opcode,
			   iface, h.id);
		break;
	case RELAY_TRANSLATE_MALFORMED:
		post_error(rc, h.id, ERROR_INVALID_METHOD, "invalid arguments for %s@%u.%s: %s",
			   iface, h.id, msg, relay_status_text((enum relay_status)t->detail));
		break;
	case RELAY_TRANSLATE_MISSING_FDS:
		post_error(rc, h.id, ERROR_INVALID_METHOD, "%s@%u.%s: file descriptor expected",
			   iface, h.id, msg);
		break;
	case RELAY_TRANSLATE_BAD_ARGUMENT:
		post_error(rc, h.id, ERROR_INVALID_OBJECT, "%s@%u.%s: invalid object argument %u",
			   iface, h.id, msg, t->detail);
		break;
	case RELAY_TRANSLATE_BAD_NEW_ID:
		post_error(rc, h.id, ERROR_INVALID_OBJECT, "%s@%u.%s: invalid new id", iface, h.id,
			   msg);
		break;
	case RELAY_TRANSLATE_BAD_INTERFACE:
		post_error(rc, h.id, ERROR_INVALID_OBJECT, "%s@%u.%s: cannot relay that interface",
			   iface, h.id, msg);
		break;
	default:
		post_error(rc, 1, ERROR_NO_MEMORY, "out of memory");
		break;
	}
}

/* ---- vsomm's registry ---- */

static struct global *find_global(struct relay_client *rc, uint32_t name)
{
	for (size_t i = 0; i < rc->global_count; i++) {
		if (rc->globals[i].name == name)
			return &rc->globals[i];
	}
	return NULL;
}

static bool announce(struct relay_client *rc, uint32_t registry, const struct global *g)
{
	uint32_t args[2] = {g->name, g->version};

	return emit(rc, &rc->to_guest, registry, REGISTRY_GLOBAL, args, 2, g->info->name, 1);
}

/* wl_display.get_registry: a registry of the guest's only, told every global. */
static bool guest_get_registry(struct relay_client *rc, struct relay_translate *t)
{
	struct relay_idmap_object *registry = t->created;

	/* its host id was never used: free again */
	relay_idmap_release(&rc->map, registry, RELAY_IDMAP_HOST);
	registry->flags |= RELAY_IDMAP_GONE_HOST;
	if (rc->registry_count == rc->registry_cap) {
		size_t cap = rc->registry_cap ? 2 * rc->registry_cap : 4;
		uint32_t *r = realloc(rc->registries, cap * sizeof(*r));

		if (!r) {
			post_error(rc, 1, ERROR_NO_MEMORY, "out of memory");
			return false;
		}
		rc->registries = r;
		rc->registry_cap = cap;
	}
	rc->registries[rc->registry_count++] = registry->guest_id;
	for (size_t i = 0; i < rc->global_count; i++) {
		if (!announce(rc, registry->guest_id, &rc->globals[i]))
			return false;
	}
	return true;
}

/* wl_registry.bind on a guest registry: a bind on vsomm's own. */
static bool guest_bind(struct relay_client *rc, struct relay_translate *t, uint32_t *words)
{
	uint32_t name = relay_word(&t->msg, 0);
	const char *interface = relay_string(&t->msg, 1);
	uint32_t version = relay_word(&t->msg, 2);
	struct global *g = find_global(rc, name);

	if (!g || strcmp(g->info->name, interface) != 0 || version > g->version) {
		post_error(rc, relay_header_read(words).id, ERROR_INVALID_OBJECT,
			   "invalid global %s (%u)", interface, name);
		return false;
	}
	if (!relay_idmap_attach_host(&rc->map, t->created)) {
		post_error(rc, 1, ERROR_NO_MEMORY, "out of memory");
		return false;
	}
	words[0] = rc->host_registry->host_id;
	*relay_word_ptr(&t->msg, 3) = t->created->host_id;
	return batch_append(rc, &rc->to_host, words, t->msg.header.size, NULL, 0);
}

/* An event of vsomm's registry on the host. */
static bool own_registry_event(struct relay_client *rc, struct relay_translate *t)
{
	const struct relay_message *m = &t->msg;

	if (m->header.opcode == REGISTRY_GLOBAL) {
		const struct vsomm_interface_info *info = vsomm_forward_find(relay_string(m, 1));
		uint32_t name = relay_word(m, 0), version = relay_word(m, 2);
		struct global *g;

		if (!info || !info->global || find_global(rc, name))
			return true; /* hidden, or a host announcing twice */
		if (rc->global_count == rc->global_cap) {
			size_t cap = rc->global_cap ? 2 * rc->global_cap : 32;
			struct global *n = realloc(rc->globals, cap * sizeof(*n));

			if (!n) {
				post_error(rc, 1, ERROR_NO_MEMORY, "out of memory");
				return false;
			}
			rc->globals = n;
			rc->global_cap = cap;
		}
		g = &rc->globals[rc->global_count++];
		*g = (struct global){
			.name = name,
			.version = version < info->version ? version : info->version,
			.info = info,
		};
		for (size_t i = 0; i < rc->registry_count; i++) {
			if (!announce(rc, rc->registries[i], g))
				return false;
		}
	} else if (m->header.opcode == REGISTRY_GLOBAL_REMOVE) {
		uint32_t name = relay_word(m, 0);
		struct global *g = find_global(rc, name);

		if (!g)
			return true;
		*g = rc->globals[--rc->global_count];
		for (size_t i = 0; i < rc->registry_count; i++) {
			if (!emit(rc, &rc->to_guest, rc->registries[i], REGISTRY_GLOBAL_REMOVE,
				  &name, 1, NULL, -1))
				return false;
		}
	}
	return true;
}

/* ---- xdg_toplevel's title and app_id: recognisable on the host ---- */

/* set_title or set_app_id, forwarded with vsomm's prefix and as valid UTF-8
 * (vsomm_prefixed_text); the message grows: it is written anew. */
static bool toplevel_text(struct relay_client *rc, struct relay_translate *t, uint32_t *words)
{
	const char *value = relay_string(&t->msg, 0);
	const char *prefix = t->msg.header.opcode == TOPLEVEL_SET_TITLE ? rc->server->title_prefix
									: rc->server->app_id_prefix;
	char *text;
	bool ok;

	if (!value)
		return batch_append(rc, &rc->to_host, words, t->msg.header.size, NULL, 0);
	text = vsomm_prefixed_text(prefix, value);
	if (!text) {
		post_error(rc, 1, ERROR_NO_MEMORY, "out of memory");
		return false;
	}
	ok = emit(rc, &rc->to_host, words[0], t->msg.header.opcode, NULL, 0, text, 0);
	free(text);
	return ok;
}

/*
 * Relay every whole message waiting in `in` with `fn` (guest_message or
 * host_message); a header that cannot be a message ends the client with
 * error `code`.  False when the client was ended.
 */
static bool relay_waiting(struct relay_client *rc, struct relay_in *in,
			  bool (*fn)(struct relay_client *rc, uint32_t *words), uint32_t code)
{
	enum relay_status status;
	uint32_t *words;

	while ((words = relay_in_next(in, &status))) {
		uint16_t size = relay_header_read(words).size;

		if (!fn(rc, words))
			return false;
		relay_in_consume(in, size);
	}
	if (status != RELAY_OK) {
		post_error(rc, 1, code, "%sbad message size",
			   in == &rc->host_in ? "host compositor: " : "");
		return false;
	}
	return true;
}

/* ---- guest → host ---- */

/* One request; false when the client was ended. */
static bool guest_message(struct relay_client *rc, uint32_t *words)
{
	struct relay_translate t;
	unsigned avail, nfds;
	const int *fds = relay_in_fds(&rc->guest_in, &avail);
	enum relay_translate_status status = relay_translate_message(&rc->map, RELAY_IDMAP_GUEST,
								     words, avail, &t);
	bool ok = true;

	rc->server->stats.requests++;
	if (status > RELAY_TRANSLATE_OWN) {
		post_translate_error(rc, &t, status, words);
		return false;
	}
	nfds = relay_fd_count(t.msg.info);
	if (t.target && t.target->info == display_info &&
	    t.msg.header.opcode == DISPLAY_GET_REGISTRY) {
		ok = guest_get_registry(rc, &t);
	} else if (t.target && t.target->info == registry_info &&
		   t.msg.header.opcode == REGISTRY_BIND) {
		ok = guest_bind(rc, &t, words);
	} else if (status == RELAY_TRANSLATE_FORWARD && t.target->info == toplevel_info &&
		   (t.msg.header.opcode == TOPLEVEL_SET_TITLE ||
		    t.msg.header.opcode == TOPLEVEL_SET_APP_ID)) {
		ok = toplevel_text(rc, &t, words);
	} else if (status == RELAY_TRANSLATE_FORWARD) {
		ok = batch_append(rc, &rc->to_host, words, t.msg.header.size, fds, nfds);
		relay_in_take_fds(&rc->guest_in, nfds);
		nfds = 0;
	}
	relay_in_close_fds(&rc->guest_in, nfds);
	if (ok && t.delete_id)
		ok = emit(rc, &rc->to_guest, 1, DISPLAY_DELETE_ID, &t.delete_id, 1, NULL, -1);
	return ok;
}

static void handle_guest(struct relay_client *rc, uint32_t mask)
{
	if (mask & WL_EVENT_WRITABLE) {
		if (fdpass_queue_flush(&rc->guest_out, rc->sock, MSG_DONTWAIT) < 0) {
			client_end(rc, "the guest's socket failed");
			return;
		}
		update_mask(rc);
	}
	for (int burst = 0; burst < READ_BURST && (mask & ~WL_EVENT_WRITABLE); burst++) {
		size_t room = relay_in_room(&rc->guest_in);
		ssize_t n = relay_in_read(&rc->guest_in, rc->sock);

		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			client_end(rc, n == 0 ? "the guest disconnected" : strerror(errno));
			return;
		}
		if (!relay_waiting(rc, &rc->guest_in, guest_message, ERROR_INVALID_METHOD))
			return;
		/* A read that did not fill the room took all there was: no read
		 * that only says EAGAIN (epoll tells when more comes). */
		if ((size_t)n < room)
			break;
	}
	if (flush_host(rc))
		flush_guest(rc);
}

static int guest_readable(int fd, uint32_t mask, void *data)
{
	struct relay_client *rc = data;

	if (!rc->dead)
		handle_guest(rc, mask);
	return 0;
}

/* ---- host → guest ---- */

/* One event; false when the client was ended. */
static bool host_message(struct relay_client *rc, uint32_t *words)
{
	struct relay_translate t;
	unsigned avail, nfds;
	const int *fds = relay_in_fds(&rc->host_in, &avail);
	struct relay_header h = relay_header_read(words);
	enum relay_translate_status status = relay_translate_message(&rc->map, RELAY_IDMAP_HOST,
								     words, avail, &t);
	bool ok = true;

	rc->server->stats.events++;
	if (status > RELAY_TRANSLATE_OWN) {
		vsomm_log(VSOMM_LOG_INFO, "relay: the host sent %s@%u opcode %u: %s",
			  t.target ? t.target->info->name : "?", h.id, h.opcode,
			  relay_translate_status_text(status));
		post_error(rc, 1, ERROR_IMPLEMENTATION, "host compositor: %s",
			   relay_translate_status_text(status));
		return false;
	}
	nfds = relay_fd_count(t.msg.info);
	if (status == RELAY_TRANSLATE_OWN) {
		if (t.target == rc->host_registry)
			ok = own_registry_event(rc, &t);
	} else if (h.id == 1 && h.opcode == DISPLAY_DELETE_ID) {
		relay_translate_delete_id(&rc->map, relay_word(&t.msg, 0));
	} else if (status == RELAY_TRANSLATE_FORWARD) {
		ok = batch_append(rc, &rc->to_guest, words, h.size, fds, nfds);
		relay_in_take_fds(&rc->host_in, nfds);
		nfds = 0;
		if (ok && h.id == 1 && h.opcode == DISPLAY_ERROR) {
			flush_guest(rc);
			client_end(rc, "the host compositor posted a protocol error");
			return false;
		}
	}
	relay_in_close_fds(&rc->host_in, nfds);
	if (ok && t.delete_id)
		ok = emit(rc, &rc->to_guest, 1, DISPLAY_DELETE_ID, &t.delete_id, 1, NULL, -1);
	return ok;
}

void relay_client_receive(struct relay_client *rc, const uint8_t *bytes, size_t size, int *fds,
			  size_t nfds)
{
	if (rc->dead) {
		fdpass_close_fds(fds, nfds);
		return;
	}
	while (size || nfds) {
		size_t room = relay_in_room(&rc->host_in);
		size_t chunk = size < room ? size : room;

		if (!relay_in_push(&rc->host_in, bytes, chunk, fds, nfds)) {
			fdpass_close_fds(fds, nfds);
			post_error(rc, 1, ERROR_IMPLEMENTATION, "host compositor: too many fds");
			return;
		}
		bytes += chunk;
		size -= chunk;
		fds += nfds;
		nfds = 0;
		if (!relay_waiting(rc, &rc->host_in, host_message, ERROR_IMPLEMENTATION))
			return;
	}
	if (flush_host(rc))
		flush_guest(rc);
}

void relay_client_host_gone(struct relay_client *rc, int err)
{
	if (rc->dead)
		return;
	vsomm_log(VSOMM_LOG_INFO, "relay: host connection lost: %s",
		  err ? strerror(-err) : "end of file");
	post_error(rc, 1, ERROR_IMPLEMENTATION, "host compositor connection lost");
}

/* ---- life ---- */

static void client_free(struct relay_client *rc)
{
	if (rc->source)
		wl_event_source_remove(rc->source);
	if (rc->end_idle)
		wl_event_source_remove(rc->end_idle);
	if (rc->conn)
		rc->server->ops->disconnect(rc->server->data, rc->conn);
	close(rc->sock);
	batch_clear(&rc->to_host);
	batch_clear(&rc->to_guest);
	fdpass_queue_finish(&rc->guest_out);
	relay_in_finish(&rc->guest_in);
	relay_in_finish(&rc->host_in);
	relay_idmap_finish(&rc->map);
	free(rc->globals);
	free(rc->registries);
	wl_list_remove(&rc->link);
	free(rc);
}

static void handle_end_idle(void *data)
{
	struct relay_client *rc = data;

	rc->end_idle = NULL;
	client_free(rc);
}

/* End the client from an idle callback: the backend may be in a callback of its own. */
static void client_end(struct relay_client *rc, const char *why)
{
	if (rc->dead)
		return;
	rc->dead = true;
	vsomm_log(VSOMM_LOG_DEBUG, "relay: client %d ends: %s", rc->sock, why);
	if (rc->source) {
		wl_event_source_remove(rc->source);
		rc->source = NULL;
	}
	rc->end_idle = wl_event_loop_add_idle(rc->server->loop, handle_end_idle, rc);
	if (!rc->end_idle)
		vsomm_log(VSOMM_LOG_ERROR, "relay: cannot schedule the end of a client");
}

static void client_create(struct relay_server *server, int sock)
{
	struct relay_client *rc = calloc(1, sizeof(*rc));
	uint32_t registry_id;

	if (!rc) {
		close(sock);
		return;
	}
	rc->server = server;
	rc->sock = sock;
	wl_list_insert(&server->clients, &rc->link);
	relay_idmap_init(&rc->map);
	relay_in_init(&rc->guest_in);
	relay_in_init(&rc->host_in);
	fdpass_queue_init(&rc->guest_out);
	rc->source_mask = WL_EVENT_READABLE;
	rc->source = wl_event_loop_add_fd(server->loop, sock, rc->source_mask, guest_readable, rc);
	if (!rc->source || !relay_idmap_insert(&rc->map, RELAY_IDMAP_GUEST, 1, display_info, 1) ||
	    !(rc->host_registry = relay_idmap_insert_own(&rc->map, registry_info, 1))) {
		client_free(rc);
		return;
	}
	if (server->ops->connect(server->data, rc, &rc->conn) < 0) {
		rc->conn = NULL;
		post_error(rc, 1, ERROR_IMPLEMENTATION, "cannot reach the host compositor");
		return;
	}
	/* vsomm's registry: its globals arrive before the answer to any sync
	 * the guest sends later */
	registry_id = rc->host_registry->host_id;
	if (emit(rc, &rc->to_host, 1, DISPLAY_GET_REGISTRY, &registry_id, 1, NULL, -1))
		flush_host(rc);
}

static void handle_client_created(struct wl_listener *listener, void *data)
{
	struct relay_server *server = wl_container_of(listener, server, client_created);
	struct wl_client *client = data;
	/* libwayland-server accepted the connection and has read nothing yet:
	 * the relay takes the socket over, the wl_client goes. */
	int sock = fcntl(wl_client_get_fd(client), F_DUPFD_CLOEXEC, 0);

	wl_client_destroy(client);
	if (sock < 0) {
		vsomm_log_errno(VSOMM_LOG_ERROR, "relay: dup");
		return;
	}
	fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK);
	client_create(server, sock);
}

struct relay_server *relay_server_create(struct wl_display *display,
					 const struct relay_options *options,
					 const struct relay_host_ops *ops, void *data)
{
	struct relay_server *server = calloc(1, sizeof(*server));

	if (!server)
		return NULL;
	if ((options->title_prefix && *options->title_prefix &&
	     !(server->title_prefix = strdup(options->title_prefix))) ||
	    (options->app_id_prefix && *options->app_id_prefix &&
	     !(server->app_id_prefix = strdup(options->app_id_prefix)))) {
		free(server->title_prefix);
		free(server);
		return NULL;
	}
	display_info = vsomm_forward_find("wl_display");
	registry_info = vsomm_forward_find("wl_registry");
	toplevel_info = vsomm_forward_find("xdg_toplevel");
	server->display = display;
	server->loop = wl_display_get_event_loop(display);
	server->ops = ops;
	server->data = data;
	wl_list_init(&server->clients);
	server->client_created.notify = handle_client_created;
	wl_display_add_client_created_listener(display, &server->client_created);
	return server;
}

void relay_server_destroy(struct relay_server *server)
{
	struct relay_client *rc, *tmp;

	if (!server)
		return;
	wl_list_for_each_safe(rc, tmp, &server->clients, link)
		client_free(rc);
	wl_list_remove(&server->client_created.link);
	free(server->title_prefix);
	free(server->app_id_prefix);
	free(server);
}

const struct relay_stats *relay_server_stats(const struct relay_server *server)
{
	return &server->stats;
}
