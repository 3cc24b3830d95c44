/* SPDX-License-Identifier: MIT */
/*
 * vsomm-host's per-context and per-connection limits from its command line (--limit NAME=VALUE) and
 * environment (VSOMM_HOST_LIMIT_NAME).  The limits themselves are enforced by the
 * rest of cross-domain/host/; this only reads them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cross-domain/host/service-private.h"
#include "util/log.h"

static const struct {
	const char *name; /* --limit NAME= */
	const char *env;
	size_t offset;
	bool wide; /* uint64_t, else uint32_t */
} fields[] = {
	{"blob-bytes", "VSOMM_HOST_LIMIT_BLOB_BYTES",
	 offsetof(struct xdomain_service_limits, max_blob_bytes), true},
	{"items", "VSOMM_HOST_LIMIT_ITEMS", offsetof(struct xdomain_service_limits, max_items),
	 false},
	{"pipes", "VSOMM_HOST_LIMIT_PIPES", offsetof(struct xdomain_service_limits, max_pipes),
	 false},
	{"queued-bytes", "VSOMM_HOST_LIMIT_QUEUED_BYTES",
	 offsetof(struct xdomain_service_limits, max_queued_bytes), true},
	{"contexts", "VSOMM_HOST_LIMIT_CONTEXTS",
	 offsetof(struct xdomain_service_limits, max_contexts), false},
	{"connection-blob-bytes", "VSOMM_HOST_LIMIT_CONNECTION_BLOB_BYTES",
	 offsetof(struct xdomain_service_limits, max_connection_blob_bytes), true},
};

static bool set(struct xdomain_service_limits *limits, size_t i, const char *value)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(value, &end, 0);
	if (!value[0] || errno || *end || value[0] == '-' || (!fields[i].wide && n > UINT32_MAX))
		return false;
	if (fields[i].wide)
		*(uint64_t *)((char *)limits + fields[i].offset) = n;
	else
		*(uint32_t *)((char *)limits + fields[i].offset) = (uint32_t)n;
	return true;
}

bool xdomain_service_limits_parse(struct xdomain_service_limits *limits, const char *spec)
{
	const char *eq = strchr(spec, '=');
	if (!eq)
		return false;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		size_t len = strlen(fields[i].name);
		if ((size_t)(eq - spec) == len && !strncmp(spec, fields[i].name, len))
			return set(limits, i, eq + 1);
	}
	return false;
}

bool xdomain_service_limits_from_env(struct xdomain_service_limits *limits)
{
	bool ok = true;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *value = getenv(fields[i].env);
		if (!value || !value[0])
			continue;
		if (!set(limits, i, value)) {
			vsomm_log(VSOMM_LOG_ERROR, "%s: not a number: '%s'", fields[i].env, value);
			ok = false;
		}
	}
	return ok;
}

void xdomain_service_limits_apply_defaults(struct xdomain_service_limits *limits)
{
	if (!limits->max_blob_bytes)
		limits->max_blob_bytes = SERVICE_DEFAULT_MAX_BLOB_BYTES;
	if (!limits->max_connection_blob_bytes)
		limits->max_connection_blob_bytes = SERVICE_DEFAULT_MAX_CONNECTION_BLOB_BYTES;
	if (!limits->max_items)
		limits->max_items = SERVICE_DEFAULT_MAX_ITEMS;
	if (!limits->max_pipes)
		limits->max_pipes = SERVICE_DEFAULT_MAX_PIPES;
	if (!limits->max_queued_bytes)
		limits->max_queued_bytes = SERVICE_DEFAULT_MAX_QUEUED_BYTES;
	if (!limits->max_contexts)
		limits->max_contexts = SERVICE_DEFAULT_MAX_CONTEXTS;
}

static uint64_t get(const struct xdomain_service_limits *limits, size_t i)
{
	const char *p = (const char *)limits + fields[i].offset;
	return fields[i].wide ? *(const uint64_t *)p : *(const uint32_t *)p;
}

void xdomain_service_limits_format(const struct xdomain_service_limits *limits, char *buf,
				   size_t size)
{
	struct xdomain_service_limits in_force = *limits;
	xdomain_service_limits_apply_defaults(&in_force);
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]) && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s=%" PRIu64 "%s", i ? ", " : "",
				      fields[i].name, get(&in_force, i),
				      get(limits, i) ? "" : " (default)");
}
