/* SPDX-License-Identifier: MIT */
/* vsomm-host --check (host-check.c). */
#ifndef LAUNCHER_HOST_CHECK_H
#define LAUNCHER_HOST_CHECK_H

struct xdomain_service_limits;

/** vsomm-host's exit status when the compositor cannot be reached (as vsomm's 5). */
#define LAUNCHER_HOST_EXIT_NO_COMPOSITOR 5

/**
 * Connect to the compositor at `compositor_path` as each context would, time a
 * round trip, list its globals, and print the limits in force (`limits`, zeros
 * for the defaults).  Creates no listening socket.  0 when the compositor
 * answered, else LAUNCHER_HOST_EXIT_NO_COMPOSITOR.
 */
int launcher_host_check(const char *compositor_path, const struct xdomain_service_limits *limits);

#endif
