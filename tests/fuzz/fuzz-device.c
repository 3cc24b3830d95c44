/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target (b): virtio-gpu commands into the host device model
 * (gpu_model_process) with the real cross-domain context type
 * (xdomain_service_capset) and a fake compositor behind it.
 *
 * The input is a script of operations.  Some are raw commands (any bytes);
 * others build a well-formed frame around fuzzed fields (contexts, GUEST rings,
 * INIT, SUBMIT_3D with cross-domain commands, SEND with identifiers, HOST3D
 * blobs), so the fuzzer gets past the framing and into the cross-domain code;
 * the compositor sends bytes and fds of every kind (memfd, pipes, a socket, a
 * directory).  After each input the device is destroyed: every fd must be closed
 * and no host context may remain.
 */
#include <fcntl.h>
#include <linux/virtio_gpu.h>
#include <sys/mman.h>
#include <unistd.h>
#include <wayland-server-core.h>

#include "cross-domain/protocol.h"
#include "tests/fuzz/fuzz-host-env.h"

#define MAX_GUEST_BLOB (1u << 20)

static uint64_t responses;

static void handle_complete(void *transport, uint64_t cookie, const void *resp, size_t size,
			    int fd)
{
	FUZZ_CHECK(size >= sizeof(struct virtio_gpu_ctrl_hdr));
	responses++;
}

static const struct gpu_model_transport_ops transport_ops = {.complete = handle_complete};

/* As the socket transport does: a GUEST blob brings its memory (a memfd). */
static void process(struct gpu_model *dev, const void *cmd, size_t size)
{
	static uint64_t cookie;
	struct virtio_gpu_resource_create_blob blob = {0};
	memcpy(&blob, cmd, size < sizeof(blob) ? size : sizeof(blob));
	struct gpu_model_backing backing = {.fd = -1}, *bp = NULL;
	if (size >= sizeof(blob) && blob.hdr.type == VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB &&
	    blob.blob_mem == VIRTIO_GPU_BLOB_MEM_GUEST && blob.size > 0 &&
	    blob.size <= MAX_GUEST_BLOB) {
		int fd = memfd_create("fuzz-guest", MFD_CLOEXEC);
		FUZZ_CHECK(fd >= 0);
		FUZZ_CHECK(ftruncate(fd, (off_t)blob.size) == 0);
		void *addr = mmap(NULL, blob.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		FUZZ_CHECK(addr != MAP_FAILED);
		backing = (struct gpu_model_backing){
			.addr = addr, .size = blob.size, .fd = fd, .owned = true};
		bp = &backing;
	}
	gpu_model_process(dev, cmd, size, bp, ++cookie);
}

static void submit(struct gpu_model *dev, uint32_t ctx, unsigned ring, uint64_t fence,
		   const void *bytes, size_t size)
{
	uint8_t buf[sizeof(struct virtio_gpu_cmd_submit) + 8192];
	struct virtio_gpu_cmd_submit cmd = {
		.hdr = {.type = VIRTIO_GPU_CMD_SUBMIT_3D, .ctx_id = ctx},
		.size = (uint32_t)size,
	};
	if (ring < 2) {
		cmd.hdr.flags = VIRTIO_GPU_FLAG_FENCE | VIRTIO_GPU_FLAG_INFO_RING_IDX;
		cmd.hdr.fence_id = fence;
		cmd.hdr.ring_idx = (uint8_t)ring;
	}
	if (size > sizeof(buf) - sizeof(cmd))
		size = sizeof(buf) - sizeof(cmd);
	memcpy(buf, &cmd, sizeof(cmd));
	memcpy(buf + sizeof(cmd), bytes, size);
	process(dev, buf, sizeof(cmd) + size);
}

static void ctx_resource(struct gpu_model *dev, uint32_t type, uint32_t ctx, uint32_t res)
{
	struct virtio_gpu_ctx_resource cmd = {
		.hdr = {.type = type, .ctx_id = ctx},
		.resource_id = res,
	};
	process(dev, &cmd, sizeof(cmd));
}

static void run(struct fuzz_host_env *env, struct gpu_model *dev, struct fuzz_input *in)
{
	uint64_t fence = 1;
	size_t n;
	const uint8_t *p;
	uint8_t cmdbuf[8192];

	for (int ops = 0; fuzz_more(in) && ops < 256; ops++) {
		uint8_t op = fuzz_u8(in) % 10;
		uint32_t ctx = fuzz_u8(in) % 4 + 1;
		switch (op) {
		case 0: { /* raw command */
			p = fuzz_bytes(in, fuzz_u16(in) % 2048, &n);
			process(dev, p, n);
			break;
		}
		case 1: { /* CTX_CREATE */
			uint8_t capset = fuzz_u8(in);
			struct virtio_gpu_ctx_create cmd = {
				.hdr = {.type = VIRTIO_GPU_CMD_CTX_CREATE, .ctx_id = ctx},
				.nlen = 4,
				.context_init = capset < 240 ? XDOMAIN_CAPSET_ID : capset,
			};
			memcpy(cmd.debug_name, "fuzz", 4);
			process(dev, &cmd, sizeof(cmd));
			break;
		}
		case 2: { /* GUEST blob, attached */
			uint32_t res = fuzz_u8(in) % 16 + 1;
			uint32_t size = (fuzz_u8(in) % 4 + 1) * 4096u;
			struct virtio_gpu_resource_create_blob cmd = {
				.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB},
				.resource_id = res,
				.blob_mem = VIRTIO_GPU_BLOB_MEM_GUEST,
				.blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE,
				.size = size,
			};
			process(dev, &cmd, sizeof(cmd));
			ctx_resource(dev, VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, ctx, res);
			break;
		}
		case 3: { /* INIT */
			struct xdomain_init init = {
				.query_ring_id = fuzz_u8(in) % 16 + 1,
				.channel_ring_id = fuzz_u8(in) % 16 + 1,
				.channel_type = fuzz_u8(in) % 3,
			};
			xdomain_header_init(&init.hdr, XDOMAIN_CMD_INIT, sizeof(init));
			submit(dev, ctx, 2, 0, &init, sizeof(init));
			break;
		}
		case 4: { /* SUBMIT_3D, payload = cross-domain commands from the input */
			unsigned ring = fuzz_u8(in) % 3;
			p = fuzz_bytes(in, fuzz_u16(in) % 4096, &n);
			submit(dev, ctx, ring, fence++, p, n);
			break;
		}
		case 5: { /* the compositor sends */
			unsigned kind = fuzz_u8(in);
			size_t fd_size = (size_t)fuzz_u16(in) * 16;
			p = fuzz_bytes(in, fuzz_u16(in) % 4096, &n);
			fuzz_host_env_send(env, p, n, kind, fd_size);
			break;
		}
		case 6:
			fuzz_host_env_dispatch(env);
			break;
		case 7: { /* HOST3D blob from an item id, then MAP_BLOB */
			uint32_t res = fuzz_u8(in) % 16 + 17;
			struct virtio_gpu_resource_create_blob cmd = {
				.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, .ctx_id = ctx},
				.resource_id = res,
				.blob_mem = VIRTIO_GPU_BLOB_MEM_HOST3D,
				.blob_flags = VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE |
					      VIRTIO_GPU_BLOB_FLAG_USE_SHAREABLE,
				.blob_id = fuzz_u8(in),
				.size = (uint64_t)fuzz_u16(in) * 64,
			};
			process(dev, &cmd, sizeof(cmd));
			struct virtio_gpu_resource_map_blob map = {
				.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB},
				.resource_id = res,
			};
			process(dev, &map, sizeof(map));
			break;
		}
		case 8: { /* teardown of one thing */
			uint8_t what = fuzz_u8(in);
			uint32_t res = fuzz_u8(in) % 32 + 1;
			if (what % 3 == 0) {
				struct virtio_gpu_resource_unref cmd = {
					.hdr = {.type = VIRTIO_GPU_CMD_RESOURCE_UNREF},
					.resource_id = res,
				};
				process(dev, &cmd, sizeof(cmd));
			} else if (what % 3 == 1) {
				ctx_resource(dev, VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE, ctx, res);
			} else {
				struct virtio_gpu_ctx_destroy cmd = {
					.hdr = {.type = VIRTIO_GPU_CMD_CTX_DESTROY, .ctx_id = ctx},
				};
				process(dev, &cmd, sizeof(cmd));
			}
			break;
		}
		case 9: { /* a well-formed SEND or WRITE around fuzzed fields */
			uint8_t kind = fuzz_u8(in);
			size_t head;
			if (kind & 1) {
				struct xdomain_send_receive s = {0};
				s.num_identifiers = fuzz_u8(in) % 5;
				for (uint32_t i = 0; i < s.num_identifiers; i++) {
					s.identifiers[i] = fuzz_u8(in);
					s.identifier_types[i] = fuzz_u8(in) % 5;
					if (s.identifier_types[i] == XDOMAIN_ID_TYPE_READ_PIPE)
						s.identifiers[i] |= XDOMAIN_PIPE_READ_START;
					s.identifier_sizes[i] = fuzz_u16(in);
				}
				p = fuzz_bytes(in, fuzz_u16(in) % XDOMAIN_MAX_SEND_BYTES, &n);
				s.opaque_data_size = (uint32_t)n;
				head = sizeof(s);
				xdomain_header_init(&s.hdr, XDOMAIN_CMD_SEND, head + n);
				memcpy(cmdbuf, &s, head);
			} else {
				struct xdomain_read_write w = {0};
				w.identifier = fuzz_u8(in);
				w.hang_up = fuzz_u8(in) & 1;
				p = fuzz_bytes(in, fuzz_u16(in) % XDOMAIN_MAX_WRITE_BYTES, &n);
				w.opaque_data_size = (uint32_t)n;
				head = sizeof(w);
				xdomain_header_init(&w.hdr, XDOMAIN_CMD_WRITE, head + n);
				memcpy(cmdbuf, &w, head);
			}
			memcpy(cmdbuf + head, p, n);
			submit(dev, ctx, 2, 0, cmdbuf, head + n);
			break;
		}
		}
	}
	fuzz_host_env_dispatch(env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_host_env *env = fuzz_host_env();
	env->baseline_fds = count_fds();

	struct gpu_model_config config = {
		.capsets = env->capsets,
		.capset_data = &env->config,
		.transport_ops = &transport_ops,
		.max_contexts = 4,
		.max_resources = 64,
	};
	struct gpu_model *dev = gpu_model_create(&config);
	FUZZ_CHECK(dev);
	struct fuzz_input in = {data, size, 0};
	run(env, dev, &in);
	gpu_model_destroy(dev);
	fuzz_host_env_dispatch(env);
	fuzz_host_env_reset(env);

	/* nothing a guest sends may leak: every fd closed, every context gone */
	FUZZ_CHECK(xdomain_service_live_contexts() == 0);
	fuzz_check_fds(env);
	return 0;
}
