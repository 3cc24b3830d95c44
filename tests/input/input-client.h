/* SPDX-License-Identifier: MIT */
/*
 * vsomm-input-client's state, shared by input-client.c (windows, seat,
 * shell features) and input-dnd.c (drag and drop).
 */
#ifndef VSOMM_TESTS_INPUT_CLIENT_H
#define VSOMM_TESTS_INPUT_CLIENT_H

#include "client.h"

#define MAX_WINDOWS 4

#define DND_MIME "application/x-vsomm-dnd"
#define DND_BYTES (256 * 1024)
#define DND_ICON 24
#define DND_ACTIONS (WL_DATA_DEVICE_MANAGER_DND_ACTION_COPY | WL_DATA_DEVICE_MANAGER_DND_ACTION_MOVE)

/* One drag as its source and as its target; both can be in this process. */
struct dnd {
	bool want;
	struct wl_data_device_manager *manager;
	struct wl_data_device *device;
	struct wl_data_source *source;
	struct wl_surface *icon;
	struct tclient_buffer icon_buffer;
	/* Source side: the fd of a send event being written, and how far. */
	int send_fd;
	size_t sent;
	/* Target side: the offer entered, its mime types, where it is. */
	struct wl_data_offer *offer;
	char mimes[256];
	int window;
	wl_fixed_t x, y;
	/* Target side: the pipe of a receive being read. */
	int recv_fd;
	uint8_t *got;
	size_t got_len;
	int drop_window, drop_x, drop_y;
};

struct window {
	struct state *st;
	int index;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct tclient_buffer buffer;
	int32_t conf_w, conf_h, drawn_w, drawn_h;
	bool configured;
	uint32_t color;
};

struct state {
	struct tclient c;
	struct wl_seat *seat;
	struct wl_pointer *pointer;
	struct wl_keyboard *keyboard;
	struct wl_subcompositor *subcompositor;
	struct window windows[MAX_WINDOWS];
	int nwindows;
	bool want_cursor, want_popup, want_sub, fullscreen, maximize;
	struct wl_surface *cursor_surface;
	struct tclient_buffer cursor_buffer;
	struct tclient_buffer sub_buffer, popup_buffer;
	struct wl_surface *sub_surface;
	struct wl_subsurface *subsurface;
	struct wl_surface *popup_surface;
	struct xdg_surface *popup_xdg;
	struct xdg_popup *popup;
	wl_fixed_t px, py;
	int pointer_window;
	int first;
	struct dnd dnd;
};

/** The data device and the drag icon, once the globals (seat, manager) are bound. */
bool input_dnd_init(struct state *st);
/** Start a drag from window 0 (a button press's serial). */
void input_dnd_start(struct state *st, uint32_t serial);
/** A send or a receive pipe is open: poll input_dnd_pump() soon. */
bool input_dnd_busy(const struct state *st);
/** Write what a send event asked for, read what a drop receives. */
void input_dnd_pump(struct state *st);

#endif
