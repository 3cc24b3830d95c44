/* SPDX-License-Identifier: MIT */
/*
 * vsomm doctor: the links between a guest application and the host
 * compositor, checked in the order vsomm needs them (issue 16).  Each check
 * prints one line, "ok", "warn", "FAIL" or "-" (skipped) and what it found,
 * and a failure an indented line saying what to do.  The exit status is 0 only
 * when `vsomm APP` would work, else the exit code of vsomm's own for the first
 * failure (launcher.h).
 *
 * Nothing here is a second implementation: the device is picked and opened as
 * vsomm does (virtgpu_find_render_node, virtgpu_open), the render nodes are
 * asked what the drm backend asks (virtgpu_drm_node_info), and the compositor
 * is reached as vsomm connects a client (launcher/backend.c): a pump on a
 * cross-domain channel, with libwayland-client on the other end of the
 * socketpair where vsomm has its proxy.
 */
#include <dirent.h>
#include <drm_fourcc.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <wayland-client-core.h>
#include <wayland-client-protocol.h>
#include <wayland-server-core.h>

#include "cross-domain/guest/channel.h"
#include "launcher/launcher.h"
#include "launcher/roundtrip.h"
#include "protocols/forward-tables.h"
#include "virtgpu/virtgpu.h"

#define TIMEOUT_MS 10000
#define SOCKET_NAME "vsomm-host.sock"

struct doctor {
	const struct launcher_doctor_options *options;
	int status; /* exit code of the first failure, 0 while none */
	bool runtime_dir;
	char device[4200]; /* the spec vsomm would open; "" when there is none */
};

/* One host connection through the device, as vsomm gives a client. */
struct link {
	struct wl_event_loop *loop;
	struct xdomain_pump *pump;
	bool pump_closed;
	struct wl_display *display;
	struct launcher_globals globals;
};

/* A check's line; a failure's exit code counts when it is the first. */
#define report(doc, result, code, check, ...)                              \
	do {                                                               \
		int report_code = (code);                                  \
		launcher_check_line((result), (check), NULL, __VA_ARGS__); \
		if (report_code != 0 && (doc)->status == 0)                \
			(doc)->status = report_code;                       \
	} while (0)

/* What to do about the line above. */
static void hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void hint(const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	fputs("      ", stdout);
	vprintf(fmt, args);
	putchar('\n');
	va_end(args);
}

/* ---- 1. XDG_RUNTIME_DIR ---- */

static void check_runtime_dir(struct doctor *doc)
{
	static const char check[] = "XDG_RUNTIME_DIR";
	const char *dir = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	if (!dir || !dir[0]) {
		report(doc, "FAIL", LAUNCHER_EXIT_NO_RUNTIME_DIR, check, "not set");
		hint("log in through a session that sets it (pam_systemd), or export "
		     "XDG_RUNTIME_DIR=/run/user/%u",
		     (unsigned)getuid());
		return;
	}
	if (dir[0] != '/') {
		report(doc, "FAIL", LAUNCHER_EXIT_NO_RUNTIME_DIR, check,
		       "'%s' is not an absolute path", dir);
		hint("set it to your runtime directory, such as /run/user/%u", (unsigned)getuid());
		return;
	}
	int err = stat(dir, &st) < 0 ? errno : 0;
	if (err || !S_ISDIR(st.st_mode)) {
		report(doc, "FAIL", LAUNCHER_EXIT_NO_RUNTIME_DIR, check, "%s: %s", dir,
		       err ? strerror(err) : "not a directory");
		hint("create it (mkdir -m 0700 %s) or set XDG_RUNTIME_DIR to one that exists", dir);
		return;
	}
	doc->runtime_dir = true;
	if (st.st_uid != getuid()) {
		report(doc, "warn", 0, check, "%s belongs to uid %u, not to you (uid %u)", dir,
		       (unsigned)st.st_uid, (unsigned)getuid());
		hint("use a runtime directory of your own: other users' sockets are not yours "
		     "to serve");
	} else if ((st.st_mode & 07777) != 0700) {
		report(doc, "warn", 0, check, "%s has mode %04o, not 0700", dir,
		       (unsigned)(st.st_mode & 07777));
		hint("chmod 0700 %s: others can reach the sockets in it", dir);
	} else {
		report(doc, "ok", 0, check, "%s (yours, mode 0700)", dir);
	}
}

/* ---- 2. the device ---- */

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

/* "capsets 2,5": the bits of VIRTGPU_PARAM_SUPPORTED_CAPSET_IDs. */
static void format_capsets(uint32_t ids, char *buf, size_t size)
{
	size_t n = (size_t)snprintf(buf, size, "capsets ");
	if (!ids)
		snprintf(buf + n, size - n, "none");
	for (unsigned i = 0; i < 32 && n < size; i++)
		if (ids & (1u << i))
			n += (size_t)snprintf(buf + n, size - n, "%s%u",
					      (ids & ((1u << i) - 1)) ? "," : "", i);
}

/*
 * One render node.  `chosen`: vsomm would open it (its spec or the node auto
 * picks), so a node it cannot use fails; any other only warns.  True if usable.
 */
static bool check_node(struct doctor *doc, const char *path, bool chosen)
{
	static const char check[] = "render node";
	struct virtgpu_node_info info;
	int err = virtgpu_drm_node_info(path, &info);
	if (err < 0 || !info.virtio_gpu) {
		report(doc, "FAIL", LAUNCHER_EXIT_NO_DEVICE, check, "%s: %s", path,
		       err < 0 ? strerror(-err) : "not a virtio_gpu device");
		hint(err == -EACCES ? "add yourself to the node's group (often 'render')"
				    : "name a virtio_gpu render node, or --device auto");
		return false;
	}
	if (!info.params) {
		report(doc, chosen ? "FAIL" : "warn", chosen ? LAUNCHER_EXIT_NO_DEVICE : 0, check,
		       "%s: virtio_gpu, but the kernel does not answer its GETPARAMs", path);
		hint("cross-domain needs Linux 5.16 or later in the guest");
		return false;
	}
	char capsets[128];
	format_capsets(info.capset_ids, capsets, sizeof(capsets));
	bool cross_domain = info.capset_ids & (1u << XDOMAIN_CAPSET_ID);
	bool usable = cross_domain && info.virgl && info.context_init && info.resource_blob &&
		      info.host_visible;
	report(doc,
	       usable   ? "ok"
	       : chosen ? "FAIL"
			: "warn",
	       usable || !chosen ? 0 : LAUNCHER_EXIT_NO_DEVICE, check,
	       "%s: virtio_gpu; %s (cross-domain 5: %s); CONTEXT_INIT: %s; RESOURCE_BLOB: %s; "
	       "host-visible memory: %s",
	       path, capsets, yes(cross_domain), yes(info.context_init), yes(info.resource_blob),
	       yes(info.host_visible));
	if (usable)
		return true;
	if (!chosen)
		hint("vsomm passes this node over");
	else if (!cross_domain || !info.context_init || !info.virgl)
		hint("start the VMM with the cross-domain context type (crosvm --gpu "
		     "context-types=cross-domain; QEMU -device virtio-gpu-rutabaga,"
		     "cross-domain=on)");
	else
		hint("give the device blob resources and a host-visible memory region (QEMU's "
		     "virtio-gpu-rutabaga: hostmem=SIZE)");
	return false;
}

static int filter_render(const struct dirent *e)
{
	return strncmp(e->d_name, "renderD", 7) == 0;
}

/* auto: every virtio_gpu node, then the node vsomm picks, else the socket. */
static bool check_nodes(struct doctor *doc, char *picked, size_t size)
{
	if (virtgpu_find_render_node(VIRTGPU_DRI_DIR, picked, size) < 0)
		picked[0] = '\0';
	const char *picked_path = picked[0] ? picked + strlen("drm:") : "";
	struct dirent **names = NULL;
	int n = scandir(VIRTGPU_DRI_DIR, &names, filter_render, versionsort);
	int virtio = 0;
	bool usable = false;
	for (int i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", VIRTGPU_DRI_DIR, names[i]->d_name);
		free(names[i]);
		struct virtgpu_node_info info;
		if (virtgpu_drm_node_info(path, &info) < 0 || !info.virtio_gpu)
			continue;
		virtio++;
		bool chosen = strcmp(path, picked_path) == 0;
		bool ok = check_node(doc, path, chosen);
		usable |= chosen && ok;
	}
	free(names);
	if (!virtio)
		report(doc, "-", 0, "render node",
		       "no virtio_gpu render node in " VIRTGPU_DRI_DIR
		       ": vsomm-host's socket, then");
	return usable;
}

/* The vsomm-host socket: there, a socket, answered, by whom, and its HELLO. */
static bool check_socket(struct doctor *doc, const char *path)
{
	static const char check[] = "vsomm-host socket";
	struct stat st;
	if (lstat(path, &st) < 0) {
		report(doc, "FAIL", LAUNCHER_EXIT_NO_DEVICE, check, "%s: %s", path,
		       strerror(errno));
		hint("start vsomm-host on the host (systemctl --user start vsomm-host.socket), "
		     "or give the device with --device");
		return false;
	}
	if (!S_ISSOCK(st.st_mode)) {
		report(doc, "FAIL", LAUNCHER_EXIT_NO_DEVICE, check, "%s is not a socket", path);
		hint("remove it and start vsomm-host, which creates it");
		return false;
	}
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr.sun_path)) {
		report(doc, "FAIL", LAUNCHER_EXIT_NO_DEVICE, check, "%s: path too long", path);
		hint("use a shorter path");
		return false;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		report(doc, "FAIL", LAUNCHER_EXIT_NO_DEVICE, check, "%s: %s%s", path, strerror(err),
		       err == ECONNREFUSED ? " (a stale socket: its vsomm-host is gone)" : "");
		hint("start vsomm-host (systemctl --user restart vsomm-host.socket)");
		return false;
	}
	struct ucred cred = {0};
	socklen_t len = sizeof(cred);
	bool known = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0;
	close(fd);
	bool same_user = known && cred.uid == getuid();

	char spec[4200];
	snprintf(spec, sizeof(spec), "socket:%s", path);
	struct virtgpu *dev;
	int err = virtgpu_open(spec, &dev);
	if (err < 0) {
		report(doc, "FAIL", LAUNCHER_EXIT_NO_DEVICE, check,
		       "%s: pid %d, uid %u: no valid HELLO (%s)", path, (int)cred.pid,
		       (unsigned)cred.uid, strerror(-err));
		if (!same_user)
			hint("vsomm-host closes connections of other users: run it as uid %u",
			     (unsigned)getuid());
		else
			hint("is a vsomm-host of the same version on the other end?");
		return false;
	}
	uint64_t features = virtgpu_features(dev);
	struct xdomain_capabilities caps;
	bool cross_domain = virtgpu_get_capset(dev, XDOMAIN_CAPSET_ID, XDOMAIN_CAPSET_VERSION,
					       &caps, sizeof(caps)) == 0;
	virtgpu_close(dev);
	bool context_init = features & VIRTGPU_F_CONTEXT_INIT;
	bool blob = features & VIRTGPU_F_RESOURCE_BLOB;
	bool virgl = features & VIRTGPU_F_VIRGL;
	bool usable = cross_domain && context_init && blob && virgl;
	report(doc,
	       !usable     ? "FAIL"
	       : same_user ? "ok"
			   : "warn",
	       usable ? 0 : LAUNCHER_EXIT_NO_DEVICE, check,
	       "%s: vsomm-host pid %d, uid %u; cross-domain 5: %s; CONTEXT_INIT: %s; "
	       "RESOURCE_BLOB: %s",
	       path, (int)cred.pid, (unsigned)cred.uid, yes(cross_domain), yes(context_init),
	       yes(blob));
	if (!usable)
		hint("the server on %s is not a vsomm-host that vsomm can use: update it", path);
	else if (!same_user)
		hint("it runs as uid %u, you as uid %u: run vsomm-host as yourself",
		     (unsigned)cred.uid, (unsigned)getuid());
	return usable;
}

static void check_device(struct doctor *doc)
{
	const char *spec = doc->options->device;
	if (!spec || strcmp(spec, "auto") == 0) {
		char picked[sizeof(doc->device)];
		if (check_nodes(doc, picked, sizeof(picked))) {
			snprintf(doc->device, sizeof(doc->device), "%s", picked);
			return;
		}
		if (picked[0])
			return; /* vsomm opens the node it picked, and fails */
		if (!doc->runtime_dir) {
			report(doc, "FAIL", LAUNCHER_EXIT_NO_DEVICE, "vsomm-host socket",
			       "no XDG_RUNTIME_DIR to find " SOCKET_NAME " in");
			hint("set XDG_RUNTIME_DIR (above), or give the device with --device");
			return;
		}
		char path[4096];
		snprintf(path, sizeof(path), "%s/" SOCKET_NAME, getenv("XDG_RUNTIME_DIR"));
		if (check_socket(doc, path))
			snprintf(doc->device, sizeof(doc->device), "socket:%s", path);
	} else if (strncmp(spec, "drm:", 4) == 0 && spec[4]) {
		if (check_node(doc, spec + 4, true))
			snprintf(doc->device, sizeof(doc->device), "%s", spec);
	} else if (strncmp(spec, "socket:", 7) == 0 && spec[7]) {
		if (check_socket(doc, spec + 7))
			snprintf(doc->device, sizeof(doc->device), "%s", spec);
	} else {
		report(doc, "FAIL", LAUNCHER_EXIT_ERROR, "device", "unknown device '%s'", spec);
		hint("--device takes auto, socket:PATH or drm:PATH");
	}
}

/* ---- 3-5. the context, the compositor, its globals ---- */

static void handle_pump_closed(void *data)
{
	struct link *link = data;
	link->pump_closed = true;
}

/* 3: the context, INIT, and a query the context answers; true if there is a link. */
static bool check_context(struct doctor *doc, struct link *link)
{
	static const char check[] = "cross-domain context";
	link->loop = wl_event_loop_create();
	if (!link->loop) {
		report(doc, "FAIL", LAUNCHER_EXIT_ERROR, check, "cannot create an event loop");
		return false;
	}
	struct virtgpu *dev;
	int err = virtgpu_open(doc->device, &dev);
	int sv[2] = {-1, -1};
	if (err == 0 && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		err = -errno;
		virtgpu_close(dev);
	}
	if (err == 0) /* the pump takes dev and sv[1], also on failure */
		link->pump = xdomain_pump_create(link->loop, dev, sv[1], handle_pump_closed, link,
						 &err);
	if (!link->pump) {
		if (sv[0] >= 0)
			close(sv[0]);
		report(doc, "FAIL", LAUNCHER_EXIT_NO_DEVICE, check, "%s: %s", doc->device,
		       strerror(-err));
		hint("run again with --log-level debug for the step that failed "
		     "(GET_CAPS, CONTEXT_INIT, the rings, INIT)");
		return false;
	}
	link->display = wl_display_connect_to_fd(sv[0]);
	if (!link->display) {
		close(sv[0]);
		report(doc, "FAIL", LAUNCHER_EXIT_ERROR, check, "cannot connect libwayland");
		return false;
	}
	/* an answer of the context itself, after INIT: what wl_shm buffers will need */
	struct xdomain_image_requirements req;
	err = xdomain_channel_image_requirements(
		xdomain_pump_channel(link->pump), 64, 64, DRM_FORMAT_XRGB8888,
		XDOMAIN_GRALLOC_LINEAR | XDOMAIN_GRALLOC_SW_WRITE_OFTEN, &req);
	if (err < 0) {
		report(doc, "FAIL", LAUNCHER_EXIT_NO_DEVICE, check,
		       "%s: created, but an image query after INIT failed: %s", doc->device,
		       strerror(-err));
		hint("the host side refused the context: see vsomm-host's log (or the VMM's)");
		return false;
	}
	report(doc, "ok", 0, check,
	       "%s: CONTEXT_INIT, rings and INIT done; a 64x64 XRGB8888 image query answered "
	       "(stride %u)",
	       doc->device, req.strides[0]);
	return true;
}

/* 4: wl_display.sync through the context, timed. */
static bool check_compositor(struct doctor *doc, struct link *link)
{
	static const char check[] = "compositor";
	double ms;
	int err = launcher_roundtrip(link->display, link->loop, TIMEOUT_MS, &ms);
	if (err == 0) {
		report(doc, "ok", 0, check, "wl_display.sync answered in %.1f ms", ms);
		return true;
	}
	if (err == -ETIMEDOUT) {
		report(doc, "FAIL", LAUNCHER_EXIT_NO_COMPOSITOR, check,
		       "no answer to wl_display.sync within %d s", TIMEOUT_MS / 1000);
		hint("the host compositor hangs, or vsomm-host does: vsomm-host --check on the "
		     "host tells which");
	} else {
		report(doc, "FAIL", LAUNCHER_EXIT_NO_COMPOSITOR, check,
		       "the connection ended before wl_display.sync was answered%s",
		       link->pump_closed ? " (the host side closed it)" : "");
		hint("vsomm-host cannot reach the host compositor: is it running? vsomm-host "
		     "--check on the host tells (it connects to --compositor, else "
		     "$WAYLAND_DISPLAY)");
	}
	return false;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_denied(const char *interface)
{
	for (const char *const *name = vsomm_forward_denied; *name; name++)
		if (strcmp(*name, interface) == 0)
			return true;
	return false;
}

/* 5: what vsomm would announce to its clients, and what it hides (registry.c). */
static void check_globals(struct doctor *doc, struct link *link)
{
	static const char check[] = "globals";
	int err = launcher_get_globals(link->display, link->loop, TIMEOUT_MS, &link->globals);
	if (err == -ENOMEM) {
		report(doc, "FAIL", LAUNCHER_EXIT_ERROR, check, "out of memory");
		return;
	}
	if (err < 0) {
		report(doc, "FAIL", LAUNCHER_EXIT_NO_COMPOSITOR, check,
		       "the host compositor did not list its globals: %s", strerror(-err));
		hint("see vsomm-host's log");
		return;
	}
	size_t n = link->globals.count;
	const char **relayed = calloc(n + 1, sizeof(*relayed));
	const char **denied = calloc(n + 1, sizeof(*denied));
	const char **unknown = calloc(n + 1, sizeof(*unknown));
	size_t num_relayed = 0, num_denied = 0, num_unknown = 0;
	bool compositor = false;
	if (!relayed || !denied || !unknown) {
		report(doc, "FAIL", LAUNCHER_EXIT_ERROR, check, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct launcher_global *g = &link->globals.items[i];
		/* proxy/registry.c's rule: tables for it, a global, a version */
		const struct vsomm_interface_info *info = vsomm_forward_find(g->interface);
		if (info && info->global && g->version > 0) {
			relayed[num_relayed++] = g->interface;
			compositor |= strcmp(g->interface, "wl_compositor") == 0;
		} else if (is_denied(g->interface)) {
			denied[num_denied++] = g->interface;
		} else {
			unknown[num_unknown++] = g->interface;
		}
	}
	qsort(relayed, num_relayed, sizeof(*relayed), compare_names);
	qsort(denied, num_denied, sizeof(*denied), compare_names);
	qsort(unknown, num_unknown, sizeof(*unknown), compare_names);
	report(doc, compositor ? "ok" : "FAIL", compositor ? 0 : LAUNCHER_EXIT_NO_COMPOSITOR, check,
	       "%zu of the host's %zu relayed, %zu hidden", num_relayed, n,
	       num_denied + num_unknown);
	if (!compositor)
		hint("the host compositor offers no wl_compositor: no window can show");
	launcher_check_list("relayed", relayed, num_relayed);
	launcher_check_list("hidden, denied (docs/protocols.md)", denied, num_denied);
	launcher_check_list("hidden, unknown to this vsomm", unknown, num_unknown);
out:
	free(relayed);
	free(denied);
	free(unknown);
}

static void link_finish(struct link *link)
{
	launcher_globals_finish(&link->globals);
	if (link->display)
		wl_display_disconnect(link->display);
	xdomain_pump_destroy(link->pump);
	if (link->loop)
		wl_event_loop_destroy(link->loop);
}

/* ---- 6. Xwayland ---- */

static void check_xwayland(struct doctor *doc)
{
	static const char check[] = "Xwayland";
	if (!doc->options->x11) {
		report(doc, "-", 0, check, "not checked (--x11 checks it)");
		return;
	}
	const char *name = doc->options->xwayland ? doc->options->xwayland : "Xwayland";
	char found[4096];
	int ret = launcher_find_program(name, found, sizeof(found));
	if (ret == 0) {
		report(doc, "ok", 0, check, "%s", found);
		return;
	}
	report(doc, "FAIL", LAUNCHER_EXIT_NO_XWAYLAND, check, "%s: %s", name,
	       ret == LAUNCHER_EXIT_NOT_FOUND ? "not found" : "not executable");
	hint("install Xwayland (Debian: apt install xwayland), or name it with --xwayland PATH");
}

int launcher_doctor(const struct launcher_doctor_options *options)
{
	struct doctor doc = {.options = options};
	check_runtime_dir(&doc);
	check_device(&doc);
	struct link link = {0};
	if (!doc.device[0]) {
		report(&doc, "-", 0, "cross-domain context", "not checked: no device");
		report(&doc, "-", 0, "compositor", "not checked: no device");
		report(&doc, "-", 0, "globals", "not checked: no device");
	} else if (!check_context(&doc, &link)) {
		report(&doc, "-", 0, "compositor", "not checked: no context");
		report(&doc, "-", 0, "globals", "not checked: no context");
	} else if (!check_compositor(&doc, &link)) {
		report(&doc, "-", 0, "globals", "not checked: no compositor");
	} else {
		check_globals(&doc, &link);
	}
	link_finish(&link);
	check_xwayland(&doc);
	fflush(stdout);
	return doc.status;
}
