/* SPDX-License-Identifier: MIT */
/*
 * The guest channel, guest → host: SEND with fd → identifier translation,
 * GET_IMAGE_REQUIREMENTS with its cache, and HOST3D blobs for the answers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wayland-util.h>

#include "cross-domain/guest/channel-private.h"
#include "util/log.h"

/* ---- SEND ---- */

/* Classify one fd: a resource of this device, or the write end of a pipe. */
static int classify_fd(struct xdomain_channel *ch, int fd, struct virtgpu_bo *import,
		       uint32_t *type)
{
	if (virtgpu_bo_import(ch->dev, fd, import) == 0) {
		/*
		 * rutabaga fails a whole SEND that names guest memory (§9): on such
		 * a device the proxy copies guest buffers into HOST3D memory, and
		 * a GUEST blob that still comes here is refused, never sent.
		 */
		if (import->blob_mem == VIRTGPU_BLOB_MEM_GUEST &&
		    !virtgpu_accepts_guest_blob_send(ch->dev)) {
			vsomm_log(VSOMM_LOG_ERROR,
				  "SEND: fd %d is guest memory (GUEST blob res %u), which %s "
				  "does not take",
				  fd, import->res_id, virtgpu_describe(ch->dev));
			virtgpu_bo_close(ch->dev, import);
			return -EINVAL;
		}
		*type = XDOMAIN_ID_TYPE_VIRTGPU_BLOB;
		return 0;
	}
	struct stat st;
	int fl = fcntl(fd, F_GETFL);
	if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && fl >= 0 &&
	    (fl & O_ACCMODE) == O_WRONLY) {
		*type = XDOMAIN_ID_TYPE_READ_PIPE;
		return 0;
	}
	/*
	 * Guest memory (a wl_shm memfd), read ends of pipes, sockets: the host cannot
	 * take them (§5.9, §7.14).  The proxy copies shm; the rest is refused.
	 */
	vsomm_log(VSOMM_LOG_ERROR, "SEND: fd %d is neither a resource of %s nor a pipe's write end",
		  fd, virtgpu_describe(ch->dev));
	return -EINVAL;
}

bool xdomain_channel_memory_needs_copy(struct xdomain_channel *ch, int fd)
{
	if (virtgpu_accepts_guest_blob_send(ch->dev))
		return false;
	struct virtgpu_bo bo;
	if (virtgpu_bo_import(ch->dev, fd, &bo) == 0) {
		bool guest = bo.blob_mem == VIRTGPU_BLOB_MEM_GUEST;
		virtgpu_bo_close(ch->dev, &bo);
		return guest;
	}
	/*
	 * No resource of the device: memory all the same when it has a size (a
	 * memfd or file; a dmabuf of another driver), which only a copy carries.
	 * The offset is the sender's too: put it back.
	 */
	off_t cur = lseek(fd, 0, SEEK_CUR);
	off_t end = lseek(fd, 0, SEEK_END);
	if (cur >= 0)
		lseek(fd, cur, SEEK_SET);
	return end > 0;
}

int xdomain_channel_send(struct xdomain_channel *ch, const void *bytes, size_t size, const int *fds,
			 size_t nfds)
{
	if (ch->dead)
		return -EPIPE;
	if (nfds > XDOMAIN_MAX_IDENTIFIERS || (size > 0 && !bytes))
		return -EINVAL;
	if (size == 0 && nfds == 0)
		return 0;

	struct virtgpu_bo imports[XDOMAIN_MAX_IDENTIFIERS];
	size_t num_imports = 0;
	uint32_t types[XDOMAIN_MAX_IDENTIFIERS];
	size_t pipe_idx = SIZE_MAX;
	int ret = 0;
	for (size_t i = 0; i < nfds; i++) {
		ret = classify_fd(ch, fds[i], &imports[num_imports], &types[i]);
		if (ret < 0)
			goto out;
		if (types[i] == XDOMAIN_ID_TYPE_VIRTGPU_BLOB)
			num_imports++;
		else if (pipe_idx != SIZE_MAX) {
			/* §4.4: the host expects at most one READ_PIPE per SEND */
			vsomm_log(VSOMM_LOG_ERROR, "SEND: two pipes in one message");
			ret = -EINVAL;
			goto out;
		} else
			pipe_idx = i;
	}

	uint8_t *buf = ch->send_buf;
	struct xdomain_channel_read_pipe *rp = NULL;
	if (pipe_idx != SIZE_MAX) {
		/* the id is taken now, as the host takes it when it sees this SEND (§4.6) */
		rp = xdomain_channel_read_pipe_create(ch, fds[pipe_idx], &ret);
		if (!rp)
			goto out;
	}

	struct xdomain_send_receive sr = {0};
	size_t k = 0;
	for (size_t i = 0; i < nfds; i++) {
		sr.identifier_types[i] = types[i];
		sr.identifiers[i] = types[i] == XDOMAIN_ID_TYPE_READ_PIPE ? rp->id
									  : imports[k++].res_id;
		vsomm_log(VSOMM_LOG_TRACE, "channel: SEND fd %d -> %s %u", fds[i],
			  types[i] == XDOMAIN_ID_TYPE_READ_PIPE ? "read pipe" : "blob res",
			  sr.identifiers[i]);
	}
	vsomm_log(VSOMM_LOG_TRACE, "channel: SEND %zu bytes, %zu fds", size, nfds);
	size_t off = 0;
	bool first = true;
	while (first || off < size) {
		size_t n = size - off;
		if (n > XDOMAIN_MAX_SEND_BYTES)
			n = XDOMAIN_MAX_SEND_BYTES;
		size_t cmd_size = sizeof(sr) + n;
		xdomain_header_init(&sr.hdr, XDOMAIN_CMD_SEND, cmd_size);
		sr.num_identifiers = first ? (uint32_t)nfds : 0;
		sr.opaque_data_size = (uint32_t)n;
		memcpy(buf, &sr, sizeof(sr));
		if (n)
			memcpy(buf + sizeof(sr), (const uint8_t *)bytes + off, n);
		ret = virtgpu_submit(ch->dev, buf, cmd_size, VIRTGPU_RING_NONE, NULL, 0);
		if (ret < 0) {
			if (first && rp)
				xdomain_channel_read_pipe_destroy(rp);
			goto out;
		}
		if (first) {
			memset(&sr, 0, sizeof(sr)); /* later chunks carry no identifiers */
			ch->stats.fds_sent += nfds;
		}
		ch->stats.sends++;
		ch->stats.bytes_sent += n;
		off += n;
		first = false;
	}
out:
	/* commands run in order: the SEND has used the resources before this detach */
	for (size_t i = 0; i < num_imports; i++)
		virtgpu_bo_close(ch->dev, &imports[i]);
	return ret;
}

/* ---- GET_IMAGE_REQUIREMENTS ---- */

struct image_entry {
	struct wl_list link;
	uint32_t width, height, drm_format, flags;
	struct xdomain_image_requirements req;
};

static struct wl_list *bucket(struct xdomain_channel *ch, uint32_t w, uint32_t h, uint32_t format,
			      uint32_t flags)
{
	uint32_t x = w * 2654435761u ^ h * 2246822519u ^ format * 3266489917u ^ flags;
	x ^= x >> 15;
	return &ch->image_cache[x % IMAGE_CACHE_BUCKETS];
}

void xdomain_channel_image_cache_init(struct xdomain_channel *ch)
{
	for (size_t i = 0; i < IMAGE_CACHE_BUCKETS; i++)
		wl_list_init(&ch->image_cache[i]);
}

void xdomain_channel_image_cache_finish(struct xdomain_channel *ch)
{
	for (size_t i = 0; i < IMAGE_CACHE_BUCKETS; i++) {
		struct image_entry *e, *tmp;
		wl_list_for_each_safe(e, tmp, &ch->image_cache[i], link) {
			wl_list_remove(&e->link);
			free(e);
		}
	}
}

int xdomain_channel_image_requirements(struct xdomain_channel *ch, uint32_t width, uint32_t height,
				       uint32_t drm_format, uint32_t flags,
				       struct xdomain_image_requirements *out)
{
	if (width == 0 || height == 0 || (flags & ~XDOMAIN_GRALLOC_VALID))
		return -EINVAL;
	/* §4.3: the host keeps every answer as an item until the context dies: ask once */
	struct wl_list *b = bucket(ch, width, height, drm_format, flags);
	struct image_entry *e;
	wl_list_for_each(e, b, link) {
		if (e->width == width && e->height == height && e->drm_format == drm_format &&
		    e->flags == flags) {
			*out = e->req;
			return 0;
		}
	}
	if (ch->dead)
		return -EPIPE;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;

	/* §3.3: no ready flag; zero the answer so a host that wrote nothing reads size 0 */
	memset(ch->query_ring.map, 0, sizeof(struct xdomain_image_requirements));
	struct xdomain_get_image_requirements cmd = {
		.width = width,
		.height = height,
		.drm_format = drm_format,
		.flags = flags,
	};
	xdomain_header_init(&cmd.hdr, XDOMAIN_CMD_GET_IMAGE_REQUIREMENTS, sizeof(cmd));
	const struct virtgpu_bo *bos[] = {&ch->query_ring};
	int ret = virtgpu_submit(ch->dev, &cmd, sizeof(cmd), XDOMAIN_QUERY_RING, bos, 1);
	if (ret == 0)
		ret = virtgpu_wait(ch->dev, &ch->query_ring);
	if (ret < 0)
		goto err;
	memcpy(&e->req, ch->query_ring.map, sizeof(e->req));
	if (e->req.size == 0) {
		vsomm_log(VSOMM_LOG_DEBUG, "no image layout for %ux%u format 0x%08x flags 0x%x",
			  width, height, drm_format, flags);
		ret = -EINVAL;
		goto err;
	}
	e->width = width;
	e->height = height;
	e->drm_format = drm_format;
	e->flags = flags;
	wl_list_insert(b, &e->link);
	*out = e->req;
	return 0;
err:
	free(e);
	return ret;
}

int xdomain_channel_create_blob(struct xdomain_channel *ch,
				const struct xdomain_image_requirements *req,
				struct virtgpu_bo *out)
{
	if (req->size == 0)
		return -EINVAL;
	int ret = virtgpu_blob_create(ch->dev, VIRTGPU_BLOB_MEM_HOST3D,
				      VIRTGPU_BLOB_FLAG_USE_MAPPABLE |
					      VIRTGPU_BLOB_FLAG_USE_SHAREABLE,
				      req->size, req->blob_id, out);
	if (ret < 0)
		return ret;
	ret = virtgpu_bo_map(ch->dev, out);
	if (ret < 0)
		virtgpu_bo_close(ch->dev, out);
	return ret;
}
