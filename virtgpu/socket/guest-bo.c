/* SPDX-License-Identifier: MIT */
/*
 * The socket backend's blobs and handles.
 *
 * Memory travels as fds instead of guest-physical addresses: a GUEST blob is a
 * memfd created here (sealed against shrinking and growing) and sent with RESOURCE_CREATE_BLOB
 * (nr_entries 0); a HOST3D blob's memory is the fd vsomm-host returns with the
 * RESOURCE_MAP_BLOB response.  Export is a dup of that fd; import finds the
 * handle by the fd's (st_dev, st_ino), and makes other guest memory (a memfd, a
 * regular file) a non-mappable GUEST blob with that very fd.  Creating a handle attaches the resource
 * to the context (as the kernel does on GEM handle creation); closing the last
 * reference detaches and unrefs it.  Fds already exported stay valid memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_gpu.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "virtgpu/socket/guest-private.h"

#define CTX_ID 1u
#define FEATURE_VIRGL (1ull << 0)
#define FEATURE_RESOURCE_UUID (1ull << 2)
#define FEATURE_RESOURCE_BLOB (1ull << 3)
/* the access bits of map_info (XDOMAIN_MAP_ACCESS_* of cross-domain/protocol.h) */
#define MAP_ACCESS_READ 0x10u
#define MAP_ACCESS_WRITE 0x20u
#define VALID_BLOB_FLAGS                                                    \
	(VIRTGPU_BLOB_FLAG_USE_MAPPABLE | VIRTGPU_BLOB_FLAG_USE_SHAREABLE | \
	 VIRTGPU_BLOB_FLAG_USE_CROSS_DEVICE)

static struct sock_guest *to_sock(struct virtgpu *dev)
{
	return (struct sock_guest *)dev;
}

struct sock_guest_bo *sock_guest_bo_lookup(struct sock_guest *s, uint32_t handle)
{
	for (size_t i = 0; i < s->num_bos; i++)
		if (s->bos[i]->handle == handle)
			return s->bos[i];
	return NULL;
}

static void bo_release(struct sock_guest_bo *bo)
{
	if (bo->map)
		munmap(bo->map, bo->size);
	if (bo->fd >= 0)
		close(bo->fd);
	free(bo);
}

void sock_guest_bo_free_all(struct sock_guest *s)
{
	for (size_t i = 0; i < s->num_bos; i++)
		bo_release(s->bos[i]);
	free(s->bos);
	s->bos = NULL;
	s->num_bos = s->cap_bos = 0;
}

static int remember_fd(struct sock_guest_bo *bo, int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	/*
	 * Mapping past the file's last page would SIGBUS on access.  Within the last
	 * page is fine: a keymap of 1000 bytes backs a one-page blob.
	 */
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	if (st.st_size < 0 || (uint64_t)st.st_size + page - 1 < bo->size)
		return -EINVAL;
	bo->fd = fd;
	bo->st_dev = st.st_dev;
	bo->st_ino = st.st_ino;
	return 0;
}

static int send_ctx_resource(struct sock_guest *s, uint32_t type, uint32_t res_id)
{
	struct virtio_gpu_ctx_resource cmd = {.resource_id = res_id};
	cmd.hdr.type = type;
	cmd.hdr.ctx_id = CTX_ID;
	return sock_guest_send_noreply(s, &cmd, sizeof(cmd));
}

static int guest_memfd(uint64_t size)
{
	int fd = memfd_create("virtgpu-guest-blob", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
		int ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static int check_blob_args(struct sock_guest *s, uint32_t blob_mem, uint32_t blob_flags,
			   uint64_t size, uint64_t blob_id)
{
	if (!(s->hello.features & FEATURE_RESOURCE_BLOB) || (blob_flags & ~VALID_BLOB_FLAGS) ||
	    size == 0)
		return -EINVAL;
	if ((blob_flags & VIRTGPU_BLOB_FLAG_USE_CROSS_DEVICE) &&
	    !(s->hello.features & FEATURE_RESOURCE_UUID))
		return -EINVAL;
	switch (blob_mem) {
	case VIRTGPU_BLOB_MEM_GUEST:
		return blob_id == 0 ? 0 : -EINVAL;
	case VIRTGPU_BLOB_MEM_HOST3D:
		return s->has_ctx && (s->hello.features & FEATURE_VIRGL) ? 0 : -EINVAL;
	default:
		/* HOST3D_GUEST needs guest pages the host can reach: no such memory here */
		return -EINVAL;
	}
}

static int add_bo(struct sock_guest *s, struct sock_guest_bo *bo)
{
	if (s->num_bos == s->cap_bos) {
		size_t cap = s->cap_bos ? s->cap_bos * 2 : 16;
		struct sock_guest_bo **bos = realloc(s->bos, cap * sizeof(*bos));
		if (!bos)
			return -ENOMEM;
		s->bos = bos;
		s->cap_bos = cap;
	}
	s->bos[s->num_bos++] = bo;
	return 0;
}

/*
 * RESOURCE_CREATE_BLOB of a checked, page-aligned `size`.  `memfd` (GUEST only,
 * else -1) is the blob's memory: taken in every case.
 */
static int create_blob(struct sock_guest *s, uint32_t blob_mem, uint32_t blob_flags, uint64_t size,
		       uint64_t blob_id, int memfd, struct virtgpu_bo *out)
{
	int ret;
	struct sock_guest_bo *bo = calloc(1, sizeof(*bo));
	if (!bo) {
		if (memfd >= 0)
			close(memfd);
		return -ENOMEM;
	}
	bo->fd = -1;
	bo->blob_mem = blob_mem;
	bo->blob_flags = blob_flags;
	bo->size = size;
	bo->refs = 1;
	if (memfd >= 0) {
		ret = remember_fd(bo, memfd);
		if (ret < 0) {
			close(memfd);
			goto err_bo;
		}
	}
	ret = add_bo(s, bo);
	if (ret < 0)
		goto err_bo;

	bo->res_id = s->next_res_id++;
	struct virtio_gpu_resource_create_blob cmd = {
		.resource_id = bo->res_id,
		.blob_mem = blob_mem,
		.blob_flags = blob_flags,
		.nr_entries = 0,
		.blob_id = blob_id,
		.size = size,
	};
	cmd.hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB;
	/* the kernel sets ctx_id (and blob_id) for HOST3D only */
	cmd.hdr.ctx_id = blob_mem == VIRTGPU_BLOB_MEM_GUEST ? 0 : CTX_ID;
	struct sock_guest_reply r;
	ret = sock_guest_call(s, &cmd, sizeof(cmd), memfd, &r);
	if (ret < 0)
		goto err_list;
	ret = sock_guest_check_reply(s, &r, VIRTIO_GPU_RESP_OK_NODATA,
				     sizeof(struct virtio_gpu_ctrl_hdr));
	sock_guest_reply_finish(&r);
	if (ret < 0)
		goto err_list;

	bo->handle = s->next_handle++;
	if (s->has_ctx)
		send_ctx_resource(s, VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, bo->res_id);
	*out = (struct virtgpu_bo){
		.handle = bo->handle, .res_id = bo->res_id, .size = size, .blob_mem = blob_mem};
	return 0;

err_list:
	s->num_bos--;
err_bo:
	bo_release(bo);
	return ret;
}

/* The kernel's PAGE_ALIGN, for sizes check_size() let through. */
static uint64_t page_align(uint64_t size)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	return (size + page - 1) & ~(page - 1);
}

static bool check_size(uint64_t size)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	return size > 0 && size <= UINT64_MAX - page && size <= (uint64_t)INT64_MAX / 2;
}

int sock_guest_blob_create(struct virtgpu *dev, uint32_t blob_mem, uint32_t blob_flags,
			   uint64_t size, uint64_t blob_id, struct virtgpu_bo *out)
{
	struct sock_guest *s = to_sock(dev);
	if (s->err)
		return s->err;
	int ret = check_blob_args(s, blob_mem, blob_flags, size, blob_id);
	if (ret < 0)
		return ret;
	if (!check_size(size))
		return -EINVAL;
	size = page_align(size);
	int memfd = -1;
	if (blob_mem == VIRTGPU_BLOB_MEM_GUEST) {
		memfd = guest_memfd(size);
		if (memfd < 0)
			return memfd;
	}
	return create_blob(s, blob_mem, blob_flags, size, blob_id, memfd, out);
}

static int map_host_blob(struct sock_guest *s, struct sock_guest_bo *bo)
{
	struct virtio_gpu_resource_map_blob cmd = {.resource_id = bo->res_id, .offset = 0};
	cmd.hdr.type = VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB;
	cmd.hdr.ctx_id = CTX_ID;
	struct sock_guest_reply r;
	int ret = sock_guest_call(s, &cmd, sizeof(cmd), -1, &r);
	if (ret < 0)
		return ret;
	ret = sock_guest_check_reply(s, &r, VIRTIO_GPU_RESP_OK_MAP_INFO,
				     sizeof(struct virtio_gpu_resp_map_info));
	if (ret == 0 && r.fd < 0) {
		sock_guest_fail(s, "RESOURCE_MAP_BLOB answered without a memory fd");
		ret = s->err;
	}
	if (ret == 0) {
		struct virtio_gpu_resp_map_info info;
		memcpy(&info, r.buf, sizeof(info));
		bo->map_info = info.map_info;
		ret = remember_fd(bo, r.fd);
		if (ret == 0)
			r.fd = -1; /* kept */
		else
			vsomm_log(VSOMM_LOG_ERROR,
				  "%s: the memory of resource %u is smaller than it",
				  s->base.describe, bo->res_id);
	}
	sock_guest_reply_finish(&r);
	return ret;
}

static int map_bo(struct sock_guest *s, struct sock_guest_bo *bo)
{
	if (bo->map)
		return 0;
	if (!(bo->blob_flags & VIRTGPU_BLOB_FLAG_USE_MAPPABLE))
		return -EINVAL;
	if (bo->fd < 0) {
		int ret = map_host_blob(s, bo);
		if (ret < 0)
			return ret;
	}
	/*
	 * docs/socket-transport.md: map_info's access bits say how the memory may be
	 * mapped (a write-sealed keymap is read-only).  Without them, try read-write.
	 */
	uint32_t access = bo->map_info & (MAP_ACCESS_READ | MAP_ACCESS_WRITE);
	int prot = PROT_READ | PROT_WRITE;
	if (access == MAP_ACCESS_READ)
		prot = PROT_READ;
	void *map = mmap(NULL, bo->size, prot, MAP_SHARED, bo->fd, 0);
	if (map == MAP_FAILED && access == 0 && (errno == EPERM || errno == EACCES))
		map = mmap(NULL, bo->size, PROT_READ, MAP_SHARED, bo->fd, 0);
	if (map == MAP_FAILED)
		return -errno;
	bo->map = map;
	return 0;
}

int sock_guest_bo_map(struct virtgpu *dev, struct virtgpu_bo *bo)
{
	struct sock_guest *s = to_sock(dev);
	struct sock_guest_bo *obj = sock_guest_bo_lookup(s, bo->handle);
	if (!obj)
		return -ENOENT;
	if (!obj->map && s->err)
		return s->err;
	int ret = map_bo(s, obj);
	if (ret == 0)
		bo->map = obj->map;
	return ret;
}

int sock_guest_bo_export(struct virtgpu *dev, const struct virtgpu_bo *bo)
{
	struct sock_guest *s = to_sock(dev);
	struct sock_guest_bo *obj = sock_guest_bo_lookup(s, bo->handle);
	if (!obj)
		return -ENOENT;
	if (obj->fd < 0) {
		if (s->err)
			return s->err;
		int ret = map_bo(s, obj);
		if (ret < 0)
			return ret;
	}
	int fd = fcntl(obj->fd, F_DUPFD_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

/*
 * Guest memory that is no blob of this device: what a real guest would send as a
 * PRIME-imported virtio-gpu resource (a guest client's dmabuf) is, without a
 * kernel, a memfd or a regular file.  It becomes a GUEST blob created with (a dup
 * of) that fd and without USE_MAPPABLE: vsomm-host keeps the fd for cross-domain
 * SEND and neither maps nor seals it, so the compositor gets the very memory of
 * the guest, never a copy (docs/socket-transport.md, "Imported guest memory").
 */
static int import_guest_memory(struct sock_guest *s, int fd, const struct stat *st,
			       struct virtgpu_bo *out)
{
	/* pipes, sockets, ttys: not memory (the channel sends pipes as READ_PIPE) */
	if (!S_ISREG(st->st_mode) || lseek(fd, 0, SEEK_CUR) < 0)
		return -EBADF;
	if (s->err)
		return s->err;
	/*
	 * Such a blob exists only to be named in a SEND: a host that refuses
	 * GUEST blobs there gets none (the proxy copies the memory instead).
	 */
	if (!s->base.guest_blob_send)
		return -EOPNOTSUPP;
	if (st->st_size <= 0 || !check_size((uint64_t)st->st_size))
		return -EINVAL;
	uint64_t size = page_align((uint64_t)st->st_size);
	int ret = check_blob_args(s, VIRTGPU_BLOB_MEM_GUEST, VIRTGPU_BLOB_FLAG_USE_SHAREABLE, size,
				  0);
	if (ret < 0)
		return ret;
	int memfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (memfd < 0)
		return -errno;
	return create_blob(s, VIRTGPU_BLOB_MEM_GUEST, VIRTGPU_BLOB_FLAG_USE_SHAREABLE, size, 0,
			   memfd, out);
}

int sock_guest_bo_import(struct virtgpu *dev, int fd, struct virtgpu_bo *out)
{
	struct sock_guest *s = to_sock(dev);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -EBADF;
	for (size_t i = 0; i < s->num_bos; i++) {
		struct sock_guest_bo *bo = s->bos[i];
		if (bo->fd < 0 || bo->st_dev != st.st_dev || bo->st_ino != st.st_ino)
			continue;
		if (bo->refs == UINT32_MAX)
			return -EMFILE;
		bo->refs++;
		*out = (struct virtgpu_bo){
			.handle = bo->handle,
			.res_id = bo->res_id,
			.size = bo->size,
			.map = bo->map,
			.blob_mem = bo->blob_mem,
		};
		return 0;
	}
	return import_guest_memory(s, fd, &st, out);
}

void sock_guest_bo_close(struct virtgpu *dev, struct virtgpu_bo *bo)
{
	struct sock_guest *s = to_sock(dev);
	size_t i;
	for (i = 0; i < s->num_bos; i++)
		if (s->bos[i]->handle == bo->handle)
			break;
	if (i == s->num_bos) {
		vsomm_log(VSOMM_LOG_ERROR, "%s: close of unknown handle %u", s->base.describe,
			  bo->handle);
		return;
	}
	struct sock_guest_bo *obj = s->bos[i];
	bo->map = NULL;
	bo->handle = 0;
	if (--obj->refs > 0)
		return;
	s->bos[i] = s->bos[--s->num_bos];
	if (s->has_ctx)
		send_ctx_resource(s, VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE, obj->res_id);
	struct virtio_gpu_resource_unref unref = {.resource_id = obj->res_id};
	unref.hdr.type = VIRTIO_GPU_CMD_RESOURCE_UNREF;
	sock_guest_send_noreply(s, &unref, sizeof(unref));
	bo_release(obj);
}
