/* SPDX-License-Identifier: MIT */
/*
 * Per-client limits of vsomm: relayed objects, shadow-buffer memory
 * and bytes pending on the client's two sockets.  A client that goes past one
 * is disconnected alone, with one log line; the other clients carry on.
 *
 * Objects are counted from libwayland-server's resource-created signal; the
 * live count is taken again (wl_client_for_each_resource) only when the
 * creations since the last count could have reached the limit, so the check is
 * O(1) amortized and needs no hook in the forwarder.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "util/log.h"
#include "proxy/proxy-private.h"

static const struct {
	const char *env;
	size_t offset;
	bool wide; /* uint64_t, else uint32_t */
} env_limits[] = {
	{"VSOMM_LIMIT_OBJECTS", offsetof(struct proxy_limits, max_objects), false},
	{"VSOMM_LIMIT_SHADOW_BYTES", offsetof(struct proxy_limits, max_shadow_bytes), true},
	{"VSOMM_LIMIT_PENDING_BYTES", offsetof(struct proxy_limits, max_pending_bytes), true},
};

bool proxy_limits_from_env(struct proxy_limits *limits)
{
	bool ok = true;

	for (size_t i = 0; i < sizeof(env_limits) / sizeof(env_limits[0]); i++) {
		const char *value = getenv(env_limits[i].env);
		char *end;
		unsigned long long n;

		if (!value || !value[0])
			continue;
		errno = 0;
		n = strtoull(value, &end, 0);
		if (errno || *end || value[0] == '-' || (!env_limits[i].wide && n > UINT32_MAX)) {
			vsomm_log(VSOMM_LOG_ERROR, "%s: not a number: '%s'", env_limits[i].env,
				  value);
			ok = false;
			continue;
		}
		if (env_limits[i].wide)
			*(uint64_t *)((char *)limits + env_limits[i].offset) = n;
		else
			*(uint32_t *)((char *)limits + env_limits[i].offset) = (uint32_t)n;
	}
	return ok;
}

void proxy_limits_apply_defaults(struct proxy_limits *limits)
{
	if (!limits->max_objects)
		limits->max_objects = PROXY_DEFAULT_MAX_OBJECTS;
	if (!limits->max_shadow_bytes)
		limits->max_shadow_bytes = PROXY_DEFAULT_MAX_SHADOW_BYTES;
	if (!limits->max_pending_bytes)
		limits->max_pending_bytes = PROXY_DEFAULT_MAX_PENDING_BYTES;
}

static void handle_kill_idle(void *data)
{
	struct proxy_client *pc = data;

	pc->limit_idle = NULL;
	wl_client_destroy(pc->client);
}

static void exceeded(struct proxy_client *pc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One log line, an error for the client, and its end from an idle callback
 * (this may run inside libwayland's dispatch of the client). */
static void exceeded(struct proxy_client *pc, const char *fmt, ...)
{
	char what[160];
	va_list args;
	pid_t pid = 0;

	if (pc->limit_hit || pc->destroying)
		return;
	pc->limit_hit = true;
	va_start(args, fmt);
	vsnprintf(what, sizeof(what), fmt, args);
	va_end(args);
	wl_client_get_credentials(pc->client, &pid, NULL, NULL);
	vsomm_log(VSOMM_LOG_ERROR, "client pid %d: %s: disconnected", (int)pid, what);
	wl_client_post_implementation_error(pc->client, "vsomm: %s", what);
	pc->limit_idle = wl_event_loop_add_idle(pc->proxy->loop, handle_kill_idle, pc);
}

static enum wl_iterator_result count_resource(struct wl_resource *resource, void *data)
{
	(*(uint32_t *)data)++;
	return WL_ITERATOR_CONTINUE;
}

static void handle_resource_created(struct wl_listener *listener, void *data)
{
	struct proxy_client *pc = wl_container_of(listener, pc, resource_created);
	uint32_t max = pc->proxy->limits.max_objects;
	uint32_t live = 0;

	if (--pc->objects_until_count > 0 || pc->limit_hit)
		return;
	wl_client_for_each_resource(pc->client, count_resource, &live);
	if (live > max) {
		exceeded(pc, "more than %" PRIu32 " objects", max);
		return;
	}
	/* Each creation adds at most one live resource. */
	pc->objects_until_count = max - live + 1;
}

void proxy_limits_client_init(struct proxy_client *pc)
{
	pc->objects_until_count = pc->proxy->limits.max_objects + 1;
	pc->resource_created.notify = handle_resource_created;
	wl_client_add_resource_created_listener(pc->client, &pc->resource_created);
}

void proxy_limits_client_finish(struct proxy_client *pc)
{
	if (pc->limit_idle)
		wl_event_source_remove(pc->limit_idle);
	pc->limit_idle = NULL;
	if (pc->resource_created.notify)
		wl_list_remove(&pc->resource_created.link);
	pc->resource_created.notify = NULL;
}

bool proxy_limits_shadow_check(struct proxy_client *pc, uint64_t bytes)
{
	uint64_t max = pc->proxy->limits.max_shadow_bytes;

	if (bytes > max || pc->shadow_bytes > max - bytes) {
		exceeded(pc,
			 "shadow buffers over %" PRIu64 " bytes (%" PRIu64 " in use, %" PRIu64
			 " more asked)",
			 max, pc->shadow_bytes, bytes);
		return false;
	}
	return true;
}

void proxy_limits_shadow_add(struct proxy_client *pc, int64_t bytes)
{
	pc->shadow_bytes += (uint64_t)bytes;
}

static uint64_t socket_outq(int fd)
{
	int n = 0;

	if (fd < 0 || ioctl(fd, SIOCOUTQ, &n) < 0 || n < 0)
		return 0;
	return (uint64_t)n;
}

bool proxy_limits_pending_poll(struct proxy_client *pc)
{
	if (++pc->pending_polls < PROXY_PENDING_POLL_EVERY)
		return !pc->limit_hit;
	pc->pending_polls = 0;
	return proxy_limits_pending_check(pc);
}

bool proxy_limits_pending_check(struct proxy_client *pc)
{
	uint64_t max = pc->proxy->limits.max_pending_bytes;
	uint64_t pending;

	if (pc->limit_hit)
		return false;
	/* Events the client has not read, and requests the host side has not
	 * taken yet: both sit in kernel socket buffers on our behalf. */
	pending = socket_outq(wl_client_get_fd(pc->client));
	if (pc->host)
		pending += socket_outq(wl_display_get_fd(pc->host));
	if (pending > max) {
		exceeded(pc, "%" PRIu64 " bytes pending, over %" PRIu64, pending, max);
		return false;
	}
	return true;
}
