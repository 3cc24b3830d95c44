/* SPDX-License-Identifier: MIT */
/*
 * The clipboard (CLIPBOARD) and primary selection (PRIMARY) between X clients
 * and the host, through proxy/window.h's proxy_selection_*.
 *
 * X → host.  XFixes tells us every change of owner.  A new X owner is asked
 * for TARGETS; the targets become MIME types (UTF8_STRING →
 * "text/plain;charset=utf-8" and "text/plain"; STRING or TEXT alone →
 * "text/plain"; other targets by their atom name when it looks like a MIME
 * type) and the host's selection becomes our offer of them.  When a host
 * client pastes, its fd joins the selection's queue; the head is converted
 * into _VSOMM_DATA on our window and written to the fd without blocking.
 * INCR (ICCCM 2.7.2): the next chunk is asked for (the property deleted) only
 * once the previous one is in the fd, so the pasting client sets the pace.
 *
 * Host → X.  A host offer makes our window the X owner.  A SelectionRequest
 * for data opens a pipe from the host (proxy_selection_receive); up to
 * INCR_CHUNK bytes are answered in one ChangeProperty, more through INCR in
 * chunks of INCR_CHUNK, each sent when the requestor deleted the previous
 * one; the pipe is not read further while 2 chunks wait.  MULTIPLE is
 * refused.
 *
 * Bounds: TARGETS and offers are cut at MAX_TYPES types; at most
 * MAX_TRANSFERS transfers per direction and selection; a transfer that makes
 * no progress for TRANSFER_TIMEOUT_MS is dropped (an X client that never
 * deletes the property, a host client that never reads); a non-INCR X
 * property is read up to X_PROPERTY_MAX bytes.
 */
#include "proxy/xwm/xwm-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xcb/xfixes.h>

#include "util/log.h"

#define MAX_TYPES XWM_SELECTION_MAX_TYPES
#define MAX_TRANSFERS 16
#define TRANSFER_TIMEOUT_MS 10000
#define INCR_CHUNK (64u * 1024u)
#define X_PROPERTY_MAX (64u * 1024u * 1024u)
#define READ_PIECE_WORDS (1024u * 1024u / 4u)

static const char mime_utf8[] = "text/plain;charset=utf-8";
static const char mime_text[] = "text/plain";

/* X owner → a host client's fd. */
struct x_to_host {
	struct xwm_selection *sel;
	struct wl_list link;
	xcb_atom_t target;
	int fd;
	struct wl_event_source *fd_source;
	bool converting; /* ConvertSelection sent (head of the queue) */
	bool incr, eof;
	bool reading;       /* a GetProperty of the data is awaited */
	size_t chunk_bytes; /* of the INCR chunk being read */
	uint8_t *buf;
	size_t len, off, cap;
	uint64_t progress_ms;
};

/* host offer → an X requestor's property. */
struct host_to_x {
	struct xwm_selection *sel;
	struct wl_list link;
	xcb_window_t requestor;
	xcb_atom_t property, type;
	xcb_timestamp_t time;
	int fd;
	struct wl_event_source *fd_source;
	bool incr, eof, waiting_delete, paused;
	uint8_t *buf;
	size_t len, cap;
	uint64_t progress_ms;
};

static void send_notify(struct xwm *xwm, xcb_window_t requestor, xcb_atom_t selection,
			xcb_atom_t target, xcb_atom_t property, xcb_timestamp_t time)
{
	union {
		xcb_selection_notify_event_t ev;
		char bytes[32]; /* SendEvent's size */
	} u = {.ev = {
		       .response_type = XCB_SELECTION_NOTIFY,
		       .time = time,
		       .requestor = requestor,
		       .selection = selection,
		       .target = target,
		       .property = property,
	       }};
	xcb_send_event(xwm->conn, 0, requestor, XCB_EVENT_MASK_NO_EVENT, u.bytes);
}

static bool buf_append(uint8_t **buf, size_t *len, size_t *cap, const void *data, size_t n,
		       size_t max)
{
	if (n > max - *len)
		return false;
	if (*len + n > *cap) {
		size_t want = *cap ? *cap : 4096;
		while (want < *len + n)
			want = want > max / 2 ? max : want * 2;
		uint8_t *p = realloc(*buf, want);
		if (!p)
			return false;
		*buf = p;
		*cap = want;
	}
	if (n)
		memcpy(*buf + *len, data, n);
	*len += n;
	return true;
}

/* ---- X → host ---- */

static void start_next_conversion(struct xwm_selection *sel);

static void x_to_host_finish(struct x_to_host *t, bool ok)
{
	struct xwm_selection *sel = t->sel;
	bool was_head = t->converting;

	if (!ok)
		vsomm_log(VSOMM_LOG_DEBUG, "xwm: a paste from X failed");
	xwm_await_cancel(sel->xwm, t);
	if (t->fd_source)
		wl_event_source_remove(t->fd_source);
	close(t->fd);
	wl_list_remove(&t->link);
	free(t->buf);
	free(t);
	if (was_head && !sel->xwm->dead) {
		xcb_delete_property(sel->xwm->conn, sel->window, sel->xwm->atoms[ATOM_VSOMM_DATA]);
		start_next_conversion(sel);
		xwm_schedule(sel->xwm);
	}
}

/* Write what is buffered; ask X for more, or finish, once it is all out. */
static void x_to_host_write(struct x_to_host *t)
{
	struct xwm *xwm = t->sel->xwm;

	while (t->off < t->len) {
		ssize_t n = write(t->fd, t->buf + t->off, t->len - t->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			wl_event_source_fd_update(t->fd_source, WL_EVENT_WRITABLE);
			return;
		}
		if (n <= 0) {
			x_to_host_finish(t, false);
			return;
		}
		t->off += (size_t)n;
		t->progress_ms = xwm_now_ms();
	}
	wl_event_source_fd_update(t->fd_source, 0);
	t->len = t->off = 0;
	if (t->eof) {
		x_to_host_finish(t, true);
		return;
	}
	if (t->incr) {
		/* ICCCM 2.7.2: deleting the property asks for the next chunk. */
		xcb_delete_property(xwm->conn, t->sel->window, xwm->atoms[ATOM_VSOMM_DATA]);
		xwm_schedule(xwm);
	}
}

static int handle_host_fd_writable(int fd, uint32_t mask, void *data)
{
	struct x_to_host *t = data;

	if (t->off < t->len)
		x_to_host_write(t);
	else if (mask & (WL_EVENT_HANGUP | WL_EVENT_ERROR))
		x_to_host_finish(t, false); /* the pasting client went away */
	return 0;
}

static struct x_to_host *x_to_host_head(struct xwm_selection *sel)
{
	if (wl_list_empty(&sel->to_host))
		return NULL;
	struct x_to_host *t = wl_container_of(sel->to_host.next, t, link);
	return t->converting ? t : NULL;
}

static void request_data_piece(struct x_to_host *t, uint32_t offset_words);

/* A piece of _VSOMM_DATA: append it; more pieces, INCR, or out to the fd. */
static void handle_data_piece(struct xwm *xwm, void *data, void *t_, uint32_t offset_words)
{
	xcb_get_property_reply_t *reply = data;
	struct x_to_host *t = t_;

	t->reading = false;
	if (!reply) {
		x_to_host_finish(t, false);
		return;
	}
	t->progress_ms = xwm_now_ms();
	if (!t->incr && offset_words == 0 && reply->type == xwm->atoms[ATOM_INCR]) {
		/* The value is a size estimate: the data comes in chunks,
		 * the first once the property is deleted. */
		vsomm_log(VSOMM_LOG_DEBUG, "xwm: a paste from X comes in INCR chunks");
		t->incr = true;
		xcb_delete_property(xwm->conn, t->sel->window, xwm->atoms[ATOM_VSOMM_DATA]);
		xwm_schedule(xwm);
		return;
	}
	int n = xcb_get_property_value_length(reply);
	if (n < 0 || !buf_append(&t->buf, &t->len, &t->cap, xcb_get_property_value(reply),
				 (size_t)n, X_PROPERTY_MAX)) {
		x_to_host_finish(t, false);
		return;
	}
	if (offset_words == 0)
		t->chunk_bytes = 0;
	t->chunk_bytes += (size_t)n;
	if (reply->bytes_after && n > 0) {
		request_data_piece(t, offset_words + (uint32_t)n / 4);
		return;
	}
	/* Without INCR the property was all of it; with INCR a zero-length
	 * chunk ends it. */
	if (!t->incr || t->chunk_bytes == 0)
		t->eof = true;
	x_to_host_write(t);
}

static void request_data_piece(struct x_to_host *t, uint32_t offset_words)
{
	struct xwm *xwm = t->sel->xwm;
	xcb_get_property_cookie_t cookie = xcb_get_property(
		xwm->conn, 0, t->sel->window, xwm->atoms[ATOM_VSOMM_DATA],
		XCB_GET_PROPERTY_TYPE_ANY, offset_words, READ_PIECE_WORDS);
	t->reading = true;
	xwm_await(xwm, cookie.sequence, handle_data_piece, t, offset_words);
}

static void handle_data_notify(struct xwm_selection *sel, xcb_selection_notify_event_t *ev)
{
	struct x_to_host *t = x_to_host_head(sel);

	if (!t)
		return;
	if (ev->property == XCB_ATOM_NONE || t->incr || t->reading) {
		x_to_host_finish(t, false);
		return;
	}
	request_data_piece(t, 0);
}

static void handle_incr_chunk(struct xwm_selection *sel)
{
	struct x_to_host *t = x_to_host_head(sel);

	/* Chunks are asked for once the previous one is written out. */
	if (!t || !t->incr || t->eof || t->reading || t->off < t->len)
		return;
	request_data_piece(t, 0);
}

static void start_next_conversion(struct xwm_selection *sel)
{
	if (wl_list_empty(&sel->to_host) || sel->xwm->dead)
		return;
	struct x_to_host *t = wl_container_of(sel->to_host.next, t, link);
	if (t->converting)
		return;
	t->converting = true;
	t->progress_ms = xwm_now_ms();
	xcb_convert_selection(sel->xwm->conn, sel->window, sel->atom, t->target,
			      sel->xwm->atoms[ATOM_VSOMM_DATA], XCB_CURRENT_TIME);
}

static void handle_host_send(void *data, enum proxy_selection_kind kind, const char *mime_type,
			     int fd)
{
	struct xwm *xwm = data;
	struct xwm_selection *sel;
	struct x_to_host *t = NULL;
	xcb_atom_t target = XCB_ATOM_NONE;
	size_t queued = 0;

	if ((unsigned)kind >= XWM_SELECTIONS || xwm->dead || !xwm->selections[kind].window)
		goto refuse;
	sel = &xwm->selections[kind];
	for (size_t i = 0; i < sel->target_count; i++) {
		if (strcmp(sel->target_mimes[i], mime_type) == 0) {
			target = sel->targets[i];
			break;
		}
	}
	wl_list_for_each(t, &sel->to_host, link)
		queued++;
	if (target == XCB_ATOM_NONE || queued >= MAX_TRANSFERS)
		goto refuse;
	t = calloc(1, sizeof(*t));
	if (!t)
		goto refuse;
	t->sel = sel;
	t->target = target;
	t->fd = fd;
	t->fd_source = wl_event_loop_add_fd(xwm->loop, fd, 0, handle_host_fd_writable, t);
	if (!t->fd_source) {
		free(t);
		goto refuse;
	}
	wl_list_insert(sel->to_host.prev, &t->link);
	start_next_conversion(sel);
	xwm_schedule(xwm);
	return;

refuse:
	/* A host client asked for a type the X owner does not have (an offer
	 * of the previous owner's), or too many pastes wait. */
	vsomm_log(VSOMM_LOG_DEBUG, "xwm: a paste of %s from X refused", mime_type);
	close(fd);
}

static void clear_targets(struct xwm_selection *sel)
{
	for (size_t i = 0; i < sel->target_count; i++)
		free(sel->target_mimes[i]);
	free(sel->target_mimes);
	free(sel->targets);
	sel->target_mimes = NULL;
	sel->targets = NULL;
	sel->target_count = 0;
}

static void add_target(struct xwm_selection *sel, const char *mime, xcb_atom_t atom)
{
	for (size_t i = 0; i < sel->target_count; i++) {
		if (strcmp(sel->target_mimes[i], mime) == 0)
			return;
	}
	if (sel->target_count >= MAX_TYPES)
		return;
	char *copy = strdup(mime);
	if (!copy)
		return;
	sel->target_mimes[sel->target_count] = copy;
	sel->targets[sel->target_count] = atom;
	sel->target_count++;
}

static void offer_targets(struct xwm_selection *sel)
{
	struct xwm *xwm = sel->xwm;

	sel->offered_to_host = proxy_selection_set(xwm->proxy, xwm->client, sel->kind,
						   (const char *const *)sel->target_mimes,
						   sel->target_count);
	xwm_schedule(xwm);
}

/* The name of one of the owner's targets: a MIME type when it looks like one. */
static void handle_target_name(struct xwm *xwm, void *data, void *sel_, uint32_t arg)
{
	xcb_get_atom_name_reply_t *name = data;
	struct xwm_selection *sel = sel_;

	if ((arg >> 16) != sel->targets_gen)
		return; /* the owner changed meanwhile */
	if (name) {
		size_t len = (size_t)xcb_get_atom_name_name_length(name);
		const char *s = xcb_get_atom_name_name(name);
		if (xwm_looks_like_mime_type(s, len)) {
			char buf[256];
			memcpy(buf, s, len); /* len <= 255 */
			buf[len] = '\0';
			add_target(sel, buf, sel->names[arg & 0xffff]);
		}
	}
	if (--sel->names_left == 0)
		offer_targets(sel);
}

static void handle_targets_reply(struct xwm *xwm, void *data, void *sel_, uint32_t gen)
{
	struct xwm_selection *sel = sel_;
	uint32_t atoms[MAX_TYPES];
	size_t n = 0;
	struct xwm_prop prop;

	if (gen != sel->targets_gen)
		return;
	xwm_prop_from_reply(data, &prop);
	if (!xwm_prop_card32_list(&prop, XCB_ATOM_ATOM, atoms, MAX_TYPES, &n))
		return;
	clear_targets(sel);
	sel->targets = calloc(MAX_TYPES, sizeof(*sel->targets));
	sel->target_mimes = calloc(MAX_TYPES, sizeof(*sel->target_mimes));
	if (!sel->targets || !sel->target_mimes) {
		clear_targets(sel);
		return;
	}
	xcb_atom_t utf8 = XCB_ATOM_NONE, plain = XCB_ATOM_NONE;
	for (size_t i = 0; i < n; i++) {
		xcb_atom_t a = atoms[i];
		if (a == xwm->atoms[ATOM_UTF8_STRING])
			utf8 = a;
		else if ((a == XCB_ATOM_STRING || a == xwm->atoms[ATOM_TEXT]) && !plain)
			plain = a;
	}
	if (utf8) {
		add_target(sel, mime_utf8, utf8);
		add_target(sel, mime_text, utf8);
	} else if (plain) {
		add_target(sel, mime_text, plain);
	}
	/* Other targets by name: one GetAtomName each, offered when all came. */
	sel->names_left = 0;
	for (size_t i = 0; i < n; i++) {
		xcb_atom_t a = atoms[i];
		if (a == XCB_ATOM_NONE || a == XCB_ATOM_STRING ||
		    a == xwm->atoms[ATOM_UTF8_STRING] || a == xwm->atoms[ATOM_TEXT] ||
		    a == xwm->atoms[ATOM_TARGETS] || a == xwm->atoms[ATOM_TIMESTAMP] ||
		    a == xwm->atoms[ATOM_MULTIPLE])
			continue;
		sel->names[sel->names_left] = a;
		xcb_get_atom_name_cookie_t cookie = xcb_get_atom_name(xwm->conn, a);
		xwm_await(xwm, cookie.sequence, handle_target_name, sel,
			  (uint32_t)sel->targets_gen << 16 | (uint32_t)sel->names_left);
		sel->names_left++;
	}
	if (sel->names_left == 0)
		offer_targets(sel);
}

static void handle_targets_notify(struct xwm_selection *sel, xcb_selection_notify_event_t *ev)
{
	struct xwm *xwm = sel->xwm;

	if (ev->property == XCB_ATOM_NONE)
		return;
	/* Read and delete (ICCCM 2.4: the requestor deletes the property). */
	xcb_get_property_cookie_t cookie = xcb_get_property(
		xwm->conn, 1, sel->window, xwm->atoms[ATOM_VSOMM_TARGETS],
		XCB_GET_PROPERTY_TYPE_ANY, 0, XWM_PROP_MAX_BYTES / 4);
	sel->targets_gen++;
	xwm_await(xwm, cookie.sequence, handle_targets_reply, sel, sel->targets_gen);
	xwm_schedule(xwm);
}

static void handle_owner_change(struct xwm_selection *sel, xcb_window_t owner, xcb_timestamp_t time)
{
	struct xwm *xwm = sel->xwm;

	if (owner == sel->window)
		return;
	sel->own = false;
	if (owner == XCB_WINDOW_NONE) {
		/* The X owner left: its offer on the host would fail every paste. */
		if (sel->offered_to_host)
			proxy_selection_set(xwm->proxy, xwm->client, sel->kind, NULL, 0);
		sel->offered_to_host = false;
		sel->targets_gen++;
		clear_targets(sel);
		return;
	}
	xcb_convert_selection(xwm->conn, sel->window, sel->atom, xwm->atoms[ATOM_TARGETS],
			      xwm->atoms[ATOM_VSOMM_TARGETS], time);
	xwm_schedule(xwm);
}

/* ---- host → X ---- */

static void host_to_x_finish(struct host_to_x *t)
{
	if (t->fd_source)
		wl_event_source_remove(t->fd_source);
	close(t->fd);
	wl_list_remove(&t->link);
	t->sel->to_x_count--;
	free(t->buf);
	free(t);
}

static void send_chunk(struct host_to_x *t)
{
	struct xwm *xwm = t->sel->xwm;
	size_t n = t->len < INCR_CHUNK ? t->len : INCR_CHUNK;

	xcb_change_property(xwm->conn, XCB_PROP_MODE_REPLACE, t->requestor, t->property, t->type, 8,
			    (uint32_t)n, t->buf);
	memmove(t->buf, t->buf + n, t->len - n);
	t->len -= n;
	t->progress_ms = xwm_now_ms();
	xwm_schedule(xwm);
	if (n == 0) {
		host_to_x_finish(t); /* the zero-length chunk ends INCR */
		return;
	}
	t->waiting_delete = true;
	if (t->paused && !t->eof && t->len < 2 * INCR_CHUNK) {
		t->paused = false;
		wl_event_source_fd_update(t->fd_source, WL_EVENT_READABLE);
	}
}

static void start_incr(struct host_to_x *t)
{
	struct xwm *xwm = t->sel->xwm;
	uint32_t mask = XCB_EVENT_MASK_PROPERTY_CHANGE;
	uint32_t estimate = (uint32_t)t->len;

	/* Deletions of the property by the requestor pace the chunks.  The
	 * mask is ours alone (event masks are per client). */
	xcb_change_window_attributes(xwm->conn, t->requestor, XCB_CW_EVENT_MASK, &mask);
	xcb_change_property(xwm->conn, XCB_PROP_MODE_REPLACE, t->requestor, t->property,
			    xwm->atoms[ATOM_INCR], 32, 1, &estimate);
	send_notify(xwm, t->requestor, t->sel->atom, t->type, t->property, t->time);
	t->incr = true;
	t->waiting_delete = true;
	xwm_schedule(xwm);
	vsomm_log(VSOMM_LOG_DEBUG, "xwm: a paste into X goes in INCR chunks");
}

static int handle_pipe_readable(int fd, uint32_t mask, void *data)
{
	struct host_to_x *t = data;
	struct xwm *xwm = t->sel->xwm;
	uint8_t chunk[16384];
	size_t limit = 2 * INCR_CHUNK;

	size_t room = limit > t->len ? limit - t->len : 0;
	if (room > sizeof(chunk))
		room = sizeof(chunk);
	ssize_t n = room ? read(fd, chunk, room) : 0;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0) {
		host_to_x_finish(t);
		return 0;
	}
	if (room && n == 0) {
		t->eof = true;
		wl_event_source_fd_update(t->fd_source, 0);
	}
	if (n > 0) {
		if (!buf_append(&t->buf, &t->len, &t->cap, chunk, (size_t)n, limit)) {
			host_to_x_finish(t);
			return 0;
		}
		t->progress_ms = xwm_now_ms();
	}
	if (!t->incr) {
		if (t->eof) {
			/* Small enough for one property. */
			xcb_change_property(xwm->conn, XCB_PROP_MODE_REPLACE, t->requestor,
					    t->property, t->type, 8, (uint32_t)t->len, t->buf);
			send_notify(xwm, t->requestor, t->sel->atom, t->type, t->property, t->time);
			xwm_schedule(xwm);
			host_to_x_finish(t);
			return 0;
		}
		if (t->len > INCR_CHUNK)
			start_incr(t);
	} else if (!t->waiting_delete && (t->len > 0 || t->eof)) {
		send_chunk(t);
		return 0;
	}
	if (!t->eof && t->len >= limit) {
		t->paused = true;
		wl_event_source_fd_update(t->fd_source, 0);
	}
	return 0;
}

static void handle_requestor_delete(struct xwm *xwm, xcb_property_notify_event_t *ev, bool *used)
{
	for (size_t i = 0; i < XWM_SELECTIONS; i++) {
		struct host_to_x *t, *tmp;
		wl_list_for_each_safe(t, tmp, &xwm->selections[i].to_x, link) {
			if (!t->incr || t->requestor != ev->window || t->property != ev->atom)
				continue;
			*used = true;
			if (ev->state != XCB_PROPERTY_DELETE || !t->waiting_delete)
				continue;
			t->waiting_delete = false;
			if (t->len > 0 || t->eof)
				send_chunk(t);
			return;
		}
	}
}

static const char *mime_for_target(struct xwm_selection *sel, xcb_atom_t target)
{
	struct xwm *xwm = sel->xwm;
	static const char *const utf8_prefs[] = {mime_utf8, "UTF8_STRING", mime_text, "TEXT",
						 "STRING"};
	static const char *const string_prefs[] = {mime_utf8, mime_text, "STRING", "TEXT",
						   "UTF8_STRING"};
	const char *const *prefs = NULL;

	if (target == xwm->atoms[ATOM_UTF8_STRING] || target == xwm->atoms[ATOM_TEXT])
		prefs = utf8_prefs;
	else if (target == XCB_ATOM_STRING)
		prefs = string_prefs;
	if (prefs) {
		for (size_t p = 0; p < 5; p++) {
			for (size_t i = 0; i < sel->host_count; i++) {
				if (strcmp(sel->host_mimes[i], prefs[p]) == 0)
					return sel->host_mimes[i];
			}
		}
		return NULL;
	}
	for (size_t i = 0; i < sel->host_count; i++) {
		if (sel->host_atoms[i] == target)
			return sel->host_mimes[i];
	}
	return NULL;
}

static bool host_has_text(struct xwm_selection *sel)
{
	return mime_for_target(sel, sel->xwm->atoms[ATOM_UTF8_STRING]) != NULL;
}

static void answer_targets(struct xwm_selection *sel, xcb_window_t requestor, xcb_atom_t property)
{
	struct xwm *xwm = sel->xwm;
	xcb_atom_t list[MAX_TYPES + 5];
	uint32_t n = 0;

	list[n++] = xwm->atoms[ATOM_TARGETS];
	list[n++] = xwm->atoms[ATOM_TIMESTAMP];
	if (host_has_text(sel)) {
		list[n++] = xwm->atoms[ATOM_UTF8_STRING];
		list[n++] = XCB_ATOM_STRING;
		list[n++] = xwm->atoms[ATOM_TEXT];
	}
	for (size_t i = 0; i < sel->host_count; i++) {
		if (sel->host_atoms[i] != XCB_ATOM_NONE)
			list[n++] = sel->host_atoms[i];
	}
	xcb_change_property(xwm->conn, XCB_PROP_MODE_REPLACE, requestor, property, XCB_ATOM_ATOM,
			    32, n, list);
}

static void handle_selection_request(struct xwm_selection *sel, xcb_selection_request_event_t *ev)
{
	struct xwm *xwm = sel->xwm;
	/* ICCCM 2.2: a None property is an obsolete client's; use the target. */
	xcb_atom_t property = ev->property ? ev->property : ev->target;
	struct host_to_x *t;

	if (!sel->own)
		goto refuse;
	if (ev->target == xwm->atoms[ATOM_TARGETS]) {
		answer_targets(sel, ev->requestor, property);
		goto done;
	}
	if (ev->target == xwm->atoms[ATOM_TIMESTAMP]) {
		xcb_change_property(xwm->conn, XCB_PROP_MODE_REPLACE, ev->requestor, property,
				    XCB_ATOM_INTEGER, 32, 1, &sel->own_time);
		goto done;
	}
	const char *mime = mime_for_target(sel, ev->target);
	if (!mime || sel->to_x_count >= MAX_TRANSFERS)
		goto refuse;
	int fd = proxy_selection_receive(xwm->proxy, xwm->client, sel->kind, mime);
	if (fd < 0)
		goto refuse;
	t = calloc(1, sizeof(*t));
	if (!t) {
		close(fd);
		goto refuse;
	}
	t->sel = sel;
	t->fd = fd;
	t->requestor = ev->requestor;
	t->property = property;
	t->time = ev->time;
	t->type = ev->target == xwm->atoms[ATOM_TEXT] ? xwm->atoms[ATOM_UTF8_STRING] : ev->target;
	t->progress_ms = xwm_now_ms();
	t->fd_source = wl_event_loop_add_fd(xwm->loop, fd, WL_EVENT_READABLE, handle_pipe_readable,
					    t);
	if (!t->fd_source) {
		close(fd);
		free(t);
		goto refuse;
	}
	wl_list_insert(sel->to_x.prev, &t->link);
	sel->to_x_count++;
	xwm_schedule(xwm);
	return; /* notified once the data (or INCR) is in the property */

done:
	send_notify(xwm, ev->requestor, ev->selection, ev->target, property, ev->time);
	xwm_schedule(xwm);
	return;
refuse:
	send_notify(xwm, ev->requestor, ev->selection, ev->target, XCB_ATOM_NONE, ev->time);
	xwm_schedule(xwm);
}

static void clear_host_offer(struct xwm_selection *sel)
{
	for (size_t i = 0; i < sel->host_count; i++)
		free(sel->host_mimes[i]);
	free(sel->host_mimes);
	free(sel->host_atoms);
	sel->host_mimes = NULL;
	sel->host_atoms = NULL;
	sel->host_count = 0;
}

static void handle_interned(struct xwm *xwm, void *data, void *sel_, uint32_t arg)
{
	xcb_intern_atom_reply_t *reply = data;
	struct xwm_selection *sel = sel_;
	size_t i = arg & 0xffff;

	if ((arg >> 16) == sel->offer_gen && reply && i < sel->host_count)
		sel->host_atoms[i] = reply->atom;
}

static void handle_host_offer(void *data, enum proxy_selection_kind kind,
			      const char *const *mime_types, size_t count)
{
	struct xwm *xwm = data;

	if ((unsigned)kind >= XWM_SELECTIONS || xwm->dead || !xwm->selections[kind].window)
		return;
	struct xwm_selection *sel = &xwm->selections[kind];

	clear_host_offer(sel);
	sel->offer_gen++;
	sel->offered_to_host = false; /* the host's selection is someone else's now */
	if (count == 0) {
		if (sel->own)
			xcb_set_selection_owner(xwm->conn, XCB_WINDOW_NONE, sel->atom,
						XCB_CURRENT_TIME);
		sel->own = false;
		xwm_schedule(xwm);
		return;
	}
	sel->host_mimes = calloc(MAX_TYPES, sizeof(*sel->host_mimes));
	sel->host_atoms = calloc(MAX_TYPES, sizeof(*sel->host_atoms));
	if (!sel->host_mimes || !sel->host_atoms) {
		clear_host_offer(sel);
		return;
	}
	/* Other MIME types are X targets by their name, interned as the
	 * replies come (the text targets need none). */
	for (size_t i = 0; i < count && sel->host_count < MAX_TYPES; i++) {
		size_t len = strnlen(mime_types[i], 256);
		if (len == 0 || len > 255)
			continue;
		char *copy = strdup(mime_types[i]);
		if (!copy)
			continue;
		xcb_intern_atom_cookie_t cookie = xcb_intern_atom(xwm->conn, 0, (uint16_t)len,
								  copy);
		xwm_await(xwm, cookie.sequence, handle_interned, sel,
			  (uint32_t)sel->offer_gen << 16 | (uint32_t)sel->host_count);
		sel->host_mimes[sel->host_count++] = copy;
	}
	/* ICCCM asks for a real timestamp; Xwayland's clients accept
	 * CurrentTime (every other X window manager for Wayland does this). */
	xcb_set_selection_owner(xwm->conn, sel->window, sel->atom, XCB_CURRENT_TIME);
	sel->own = true;
	sel->own_time = XCB_CURRENT_TIME;
	xwm_schedule(xwm);
}

static const struct proxy_selection_listener selection_listener = {
	.offer = handle_host_offer,
	.send = handle_host_send,
};

/* ---- events and lifetime ---- */

static struct xwm_selection *selection_by_atom(struct xwm *xwm, xcb_atom_t atom)
{
	for (size_t i = 0; i < XWM_SELECTIONS; i++) {
		if (xwm->selections[i].window && xwm->selections[i].atom == atom)
			return &xwm->selections[i];
	}
	return NULL;
}

static struct xwm_selection *selection_by_window(struct xwm *xwm, xcb_window_t window)
{
	for (size_t i = 0; i < XWM_SELECTIONS; i++) {
		if (xwm->selections[i].window && xwm->selections[i].window == window)
			return &xwm->selections[i];
	}
	return NULL;
}

bool xwm_selections_handle_event(struct xwm *xwm, xcb_generic_event_t *ev)
{
	uint8_t type = ev->response_type & 0x7f;
	struct xwm_selection *sel;

	if (xwm->xfixes_event_base &&
	    type == xwm->xfixes_event_base + XCB_XFIXES_SELECTION_NOTIFY) {
		xcb_xfixes_selection_notify_event_t *e = (void *)ev;
		sel = selection_by_atom(xwm, e->selection);
		if (sel)
			handle_owner_change(sel, e->owner, e->selection_timestamp);
		return true;
	}
	switch (type) {
	case XCB_SELECTION_NOTIFY: {
		xcb_selection_notify_event_t *e = (void *)ev;
		sel = selection_by_window(xwm, e->requestor);
		if (!sel || e->selection != sel->atom)
			return sel != NULL;
		if (e->target == xwm->atoms[ATOM_TARGETS])
			handle_targets_notify(sel, e);
		else
			handle_data_notify(sel, e);
		return true;
	}
	case XCB_SELECTION_REQUEST: {
		xcb_selection_request_event_t *e = (void *)ev;
		sel = selection_by_window(xwm, e->owner);
		if (!sel)
			return false;
		if (e->selection == sel->atom)
			handle_selection_request(sel, e);
		else
			send_notify(xwm, e->requestor, e->selection, e->target, XCB_ATOM_NONE,
				    e->time);
		return true;
	}
	case XCB_SELECTION_CLEAR: {
		xcb_selection_clear_event_t *e = (void *)ev;
		sel = selection_by_window(xwm, e->owner);
		if (sel && e->selection == sel->atom)
			sel->own = false;
		return sel != NULL;
	}
	case XCB_PROPERTY_NOTIFY: {
		xcb_property_notify_event_t *e = (void *)ev;
		bool used = false;
		sel = selection_by_window(xwm, e->window);
		if (sel) {
			if (e->atom == xwm->atoms[ATOM_VSOMM_DATA] &&
			    e->state == XCB_PROPERTY_NEW_VALUE)
				handle_incr_chunk(sel);
			return true;
		}
		handle_requestor_delete(xwm, e, &used);
		return used;
	}
	default:
		return false;
	}
}

bool xwm_selections_run_pending(struct xwm *xwm, uint64_t now, uint32_t *wait_ms)
{
	bool live = false;

	*wait_ms = 0;
	for (size_t i = 0; i < XWM_SELECTIONS; i++) {
		struct xwm_selection *sel = &xwm->selections[i];
		struct x_to_host *a, *atmp;
		struct host_to_x *b, *btmp;

		wl_list_for_each_safe(a, atmp, &sel->to_host, link) {
			if (a->converting && now - a->progress_ms > TRANSFER_TIMEOUT_MS)
				x_to_host_finish(a, false);
		}
		wl_list_for_each_safe(b, btmp, &sel->to_x, link) {
			if (now - b->progress_ms > TRANSFER_TIMEOUT_MS) {
				vsomm_log(VSOMM_LOG_DEBUG, "xwm: a paste into X stalled");
				host_to_x_finish(b);
			}
		}
		if (!wl_list_empty(&sel->to_host) || !wl_list_empty(&sel->to_x))
			live = true;
	}
	if (live)
		*wait_ms = 1000;
	return live;
}

static bool init_selection(struct xwm *xwm, struct xwm_selection *sel,
			   enum proxy_selection_kind kind, xcb_atom_t atom)
{
	uint32_t mask = XCB_EVENT_MASK_PROPERTY_CHANGE;

	sel->xwm = xwm;
	sel->kind = kind;
	sel->atom = atom;
	sel->window = xcb_generate_id(xwm->conn);
	xcb_create_window(xwm->conn, XCB_COPY_FROM_PARENT, sel->window, xwm->screen->root, -1, -1,
			  1, 1, 0, XCB_WINDOW_CLASS_INPUT_ONLY, XCB_COPY_FROM_PARENT,
			  XCB_CW_EVENT_MASK, &mask);
	xcb_xfixes_select_selection_input(
		xwm->conn, sel->window, atom,
		XCB_XFIXES_SELECTION_EVENT_MASK_SET_SELECTION_OWNER |
			XCB_XFIXES_SELECTION_EVENT_MASK_SELECTION_WINDOW_DESTROY |
			XCB_XFIXES_SELECTION_EVENT_MASK_SELECTION_CLIENT_CLOSE);
	return true;
}

bool xwm_selections_init(struct xwm *xwm)
{
	if (!proxy_selection_listen(xwm->proxy, xwm->client, &selection_listener, xwm))
		return false;
	init_selection(xwm, &xwm->selections[PROXY_SELECTION_CLIPBOARD], PROXY_SELECTION_CLIPBOARD,
		       xwm->atoms[ATOM_CLIPBOARD]);
	/* Without the host's primary selection, X's PRIMARY stays X's own
	 * (every text selection in an xterm would be a conversion for nothing). */
	if (proxy_selection_has_primary(xwm->proxy, xwm->client))
		init_selection(xwm, &xwm->selections[PROXY_SELECTION_PRIMARY],
			       PROXY_SELECTION_PRIMARY, XCB_ATOM_PRIMARY);
	else
		vsomm_log(VSOMM_LOG_DEBUG, "xwm: the host has no primary selection");
	return true;
}

void xwm_selections_finish(struct xwm *xwm)
{
	for (size_t i = 0; i < XWM_SELECTIONS; i++) {
		struct xwm_selection *sel = &xwm->selections[i];
		while (!wl_list_empty(&sel->to_host)) {
			struct x_to_host *t = wl_container_of(sel->to_host.next, t, link);
			t->converting = false; /* no next conversion */
			x_to_host_finish(t, false);
		}
		while (!wl_list_empty(&sel->to_x)) {
			struct host_to_x *t = wl_container_of(sel->to_x.next, t, link);
			host_to_x_finish(t);
		}
		clear_targets(sel);
		clear_host_offer(sel);
	}
}
