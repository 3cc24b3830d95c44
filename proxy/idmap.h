/* SPDX-License-Identifier: MIT */
/*
 * The object ids of one relayed client on its two connections: the guest's
 * (vsomm is the server) and the host's (vsomm is the client).  Each object is
 * one entry, known by its id on the side(s) it lives on:
 *
 *   - objects the guest creates: a guest id the guest chose and a host id
 *     vsomm chose (the same number when it is free: no translation in the
 *     common case);
 *   - objects the host creates (new_id in events): a host id the host chose
 *     (server range) and a guest id vsomm chooses in its server range;
 *   - vsomm's own objects on the host (shadow pools and buffers, roles of X
 *     windows): a host id only.  The guest never sees them and never names
 *     them: the two sides' ids differ as soon as one exists, hence the map.
 *
 * An id is freed as libwayland frees it: a client id when the server's
 * wl_display.delete_id for it arrives, a server id when the object is
 * destroyed.  A host compositor built on libwayland-server takes a new client
 * id only if it is at most one above the highest in use, so host ids are
 * allocated lowest-free-first.
 */
#ifndef PROXY_IDMAP_H
#define PROXY_IDMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "protocols/forward-tables.h"

enum idmap_side {
	IDMAP_GUEST,
	IDMAP_HOST,
};

/* IDs vsomm never takes from either side, so no object is larger. */
#define IDMAP_MAX_CLIENT_ID 0xfeffffffu

enum idmap_flags {
	IDMAP_OWN = 1u << 0,        /* vsomm's own object on the host */
	IDMAP_GONE_GUEST = 1u << 1, /* destroyed by the guest (its id waits for delete_id) */
	IDMAP_GONE_HOST = 1u << 2,  /* destroyed by the host (a destructor event) */
};

struct idmap_object {
	const struct vsomm_interface_info *info;
	uint32_t version;
	uint32_t flags;    /* enum idmap_flags */
	uint32_t guest_id; /* 0: vsomm's own, or gone on the guest side */
	uint32_t host_id;  /* 0: not (or no more) on the host */
	void *data;        /* the hooks' */
};

struct idmap_slots {
	struct idmap_object **slots; /* by id - base */
	uint32_t count;              /* ids in use or once used, from base */
	uint32_t capacity;
	uint32_t base;       /* 1 or MESSAGE_SERVER_ID_START */
	uint32_t first_free; /* a lower bound of the lowest free slot */
};

struct idmap {
	/* [side][0]: client ids, [side][1]: server ids */
	struct idmap_slots ids[2][2];
	uint32_t live; /* objects in the map */
	/* freed objects kept for the next ones (linked through data) */
	struct idmap_object *spare;
	uint32_t spare_count;
};

void idmap_init(struct idmap *map);
/** Free every object (their data is the caller's to free first: idmap_for_each). */
void idmap_finish(struct idmap *map);

/** The object with this id on this side, NULL if none. */
struct idmap_object *idmap_lookup(const struct idmap *map, enum idmap_side side, uint32_t id);

/**
 * A new object the guest created with `guest_id` (a client id) or the host
 * created with `host_id` (a server id); the id on the other side is chosen
 * (lowest free of the right range; the same number when it is free).  NULL
 * when the given id is out of its range or in use (a protocol error of its
 * sender), or on ENOMEM (errno tells).
 */
struct idmap_object *idmap_insert(struct idmap *map, enum idmap_side side, uint32_t id,
				  const struct vsomm_interface_info *info, uint32_t version);

/** A new object of vsomm's own on the host: a host client id, chosen.  NULL on ENOMEM. */
struct idmap_object *idmap_insert_own(struct idmap *map, const struct vsomm_interface_info *info,
				      uint32_t version);

/**
 * The object is gone on one side: its id there is free again (or, for a guest
 * client id, once the guest has been told: the caller sends delete_id).  The
 * object is freed when it is gone on both sides it lived on; returns true
 * then.
 */
bool idmap_release(struct idmap *map, struct idmap_object *object, enum idmap_side side);

/** Call fn for every object (fn may release it). */
void idmap_for_each(struct idmap *map, void (*fn)(struct idmap_object *object, void *data),
		    void *data);

#endif
