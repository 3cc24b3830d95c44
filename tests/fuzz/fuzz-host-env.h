/* SPDX-License-Identifier: MIT */
/*
 * A host-side environment for the fuzz targets that drive vsomm-host's code: one
 * event loop, the cross-domain host config (small limits, so the limits are
 * reached), and a fake compositor: a listening socket whose connections the
 * target accepts, feeds with bytes and fds from the input, and closes.
 */
#ifndef TESTS_FUZZ_FUZZ_HOST_ENV_H
#define TESTS_FUZZ_FUZZ_HOST_ENV_H

#include <stddef.h>
#include <stdint.h>

#include "cross-domain/host/service.h"
#include "tests/fuzz/fuzz.h"
#include "tests/lib/fds.h"
#include "virtgpu/device/device.h"

#define FUZZ_MAX_COMP_CONNS 32

struct fuzz_host_env {
	struct wl_event_loop *loop;
	struct xdomain_service_config config;
	const struct gpu_model_capset_ops *capsets[2];
	char dir[64], path[128];
	int listen_fd;
	int conns[FUZZ_MAX_COMP_CONNS];
	size_t num_conns;
	int baseline_fds; /* fds open when this input started */
};

/** The environment, created on first use (it lives for the whole process). */
struct fuzz_host_env *fuzz_host_env(void);
/** Accept pending compositor connections and read (discard) what they got. */
void fuzz_host_env_pump(struct fuzz_host_env *env);
/**
 * The compositor sends `size` bytes on its newest connection, with one fd whose
 * kind `fd_kind` picks: 0 none, 1 a memfd of `fd_size` bytes, 2 a pipe's write end,
 * 3 a pipe's read end, 4 a socket, 5 a directory.
 */
void fuzz_host_env_send(struct fuzz_host_env *env, const void *bytes, size_t size,
			unsigned fd_kind, size_t fd_size);
/** Dispatch the loop without blocking, a few rounds. */
void fuzz_host_env_dispatch(struct fuzz_host_env *env);
/** Close every compositor connection. */
void fuzz_host_env_reset(struct fuzz_host_env *env);
/** Abort, listing the open fds, unless as many are open as baseline_fds (set at the
 * start of each input: libFuzzer opens fds of its own between inputs). */
void fuzz_check_fds(struct fuzz_host_env *env);

#endif
