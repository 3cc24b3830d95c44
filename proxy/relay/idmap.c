/* SPDX-License-Identifier: MIT */
/*
 * Object ids of a relayed client on both its connections (idmap.h): four
 * ranges (guest and host, client and server ids), each a growable array of
 * slots from the range's first id.
 */
#include <errno.h>
#include <stdlib.h>

#include "proxy/relay/relay.h"

enum {
	RANGE_CLIENT,
	RANGE_SERVER
};

/* Objects come and go with every create/destroy pair: up to this many freed
 * ones are kept for the next, which saves an allocation per object. */
#define RELAY_IDMAP_MAX_SPARE 256u

static struct relay_idmap_object *object_alloc(struct relay_idmap *map)
{
	struct relay_idmap_object *object = map->spare;

	if (!object)
		return calloc(1, sizeof(*object));
	map->spare = object->data;
	map->spare_count--;
	*object = (struct relay_idmap_object){0};
	return object;
}

static void object_free(struct relay_idmap *map, struct relay_idmap_object *object)
{
	if (map->spare_count >= RELAY_IDMAP_MAX_SPARE) {
		free(object);
		return;
	}
	object->data = map->spare;
	map->spare = object;
	map->spare_count++;
}

void relay_idmap_init(struct relay_idmap *map)
{
	*map = (struct relay_idmap){0};
	for (int side = 0; side < 2; side++) {
		map->ids[side][RANGE_CLIENT].base = 1;
		map->ids[side][RANGE_SERVER].base = RELAY_SERVER_ID_START;
	}
}

static void finish_object(struct relay_idmap_object *object, void *data)
{
	struct relay_idmap *map = data;

	/* Each object once: from the first range that holds it. */
	if (object->guest_id) {
		struct relay_idmap_slots *r =
			&map->ids[RELAY_IDMAP_GUEST][object->guest_id >= RELAY_SERVER_ID_START];
		r->slots[object->guest_id - r->base] = NULL;
	}
	if (object->host_id) {
		struct relay_idmap_slots *r =
			&map->ids[RELAY_IDMAP_HOST][object->host_id >= RELAY_SERVER_ID_START];
		r->slots[object->host_id - r->base] = NULL;
	}
	free(object);
}

void relay_idmap_finish(struct relay_idmap *map)
{
	relay_idmap_for_each(map, finish_object, map);
	for (int side = 0; side < 2; side++) {
		for (int range = 0; range < 2; range++)
			free(map->ids[side][range].slots);
	}
	while (map->spare) {
		struct relay_idmap_object *next = map->spare->data;

		free(map->spare);
		map->spare = next;
	}
	relay_idmap_init(map);
}

static struct relay_idmap_slots *range_of(const struct relay_idmap *map, enum relay_idmap_side side,
					  uint32_t id)
{
	return (struct relay_idmap_slots *)&map->ids[side][id >= RELAY_SERVER_ID_START];
}

struct relay_idmap_object *relay_idmap_lookup(const struct relay_idmap *map,
					      enum relay_idmap_side side, uint32_t id)
{
	const struct relay_idmap_slots *r = range_of(map, side, id);
	uint32_t i = id - r->base;

	/* id 0 wraps to a huge index: not found. */
	return i < r->count ? r->slots[i] : NULL;
}

/* Make slot i of r usable (i <= r->count); false on ENOMEM. */
static bool reserve(struct relay_idmap_slots *r, uint32_t i)
{
	if (i < r->count)
		return true;
	if (r->count == r->capacity) {
		uint32_t capacity = r->capacity ? r->capacity * 2 : 64;
		struct relay_idmap_object **slots = realloc(r->slots, capacity * sizeof(*slots));

		if (!slots)
			return false;
		r->slots = slots;
		r->capacity = capacity;
	}
	r->slots[r->count++] = NULL;
	return true;
}

/* A free id of r for a new object: `wanted` when its slot is free (or the
 * next one), else the lowest free.  0 on ENOMEM. */
static uint32_t allocate(struct relay_idmap_slots *r, uint32_t wanted)
{
	uint32_t i = wanted - r->base;

	if (wanted >= r->base && i <= r->count && (i == r->count || !r->slots[i])) {
		if (!reserve(r, i))
			return 0;
		return wanted;
	}
	while (r->first_free < r->count && r->slots[r->first_free])
		r->first_free++;
	i = r->first_free;
	if (!reserve(r, i))
		return 0;
	return r->base + i;
}

static void set_slot(struct relay_idmap *map, enum relay_idmap_side side, uint32_t id,
		     struct relay_idmap_object *object)
{
	struct relay_idmap_slots *r = range_of(map, side, id);
	uint32_t i = id - r->base;

	r->slots[i] = object;
	if (!object && i < r->first_free)
		r->first_free = i;
	/*
	 * The host's client ids are vsomm's to choose, and the host takes a new
	 * one only up to one above the highest it has seen: free slots at the
	 * top go, so that an id vsomm reserved and freed before sending it
	 * (an inert object, a guest registry) leaves no gap the next id would
	 * jump.  The guest's own ids keep their slots: a guest may reuse a lower
	 * freed id after a higher one.
	 */
	if (!object && side == RELAY_IDMAP_HOST && r->base == 1) {
		while (r->count && !r->slots[r->count - 1])
			r->count--;
	}
}

static struct relay_idmap_object *new_object(struct relay_idmap *map,
					     const struct vsomm_interface_info *info,
					     uint32_t version)
{
	struct relay_idmap_object *object = object_alloc(map);

	if (!object)
		return NULL;
	object->info = info;
	object->version = version;
	map->live++;
	return object;
}

struct relay_idmap_object *relay_idmap_insert(struct relay_idmap *map, enum relay_idmap_side side,
					      uint32_t id, const struct vsomm_interface_info *info,
					      uint32_t version)
{
	/* The guest creates client ids, the host server ids. */
	bool server = side == RELAY_IDMAP_HOST;
	struct relay_idmap_slots *r = &map->ids[side][server];
	struct relay_idmap_slots *other = &map->ids[!side][server];
	struct relay_idmap_object *object;
	uint32_t i = id - r->base, other_id;

	bool in_range = server ? id >= RELAY_SERVER_ID_START
			       : id != 0 && id <= RELAY_IDMAP_MAX_CLIENT_ID;

	if (!in_range || i > r->count || (i < r->count && r->slots[i])) {
		errno = EINVAL;
		return NULL;
	}
	object = new_object(map, info, version);
	if (!object)
		return NULL;
	other_id = allocate(other, id);
	if (!other_id || !reserve(r, i)) {
		/* A slot reserved in `other` stays free: harmless. */
		map->live--;
		object_free(map, object);
		errno = ENOMEM;
		return NULL;
	}
	if (side == RELAY_IDMAP_GUEST) {
		object->guest_id = id;
		object->host_id = other_id;
	} else {
		object->host_id = id;
		object->guest_id = other_id;
	}
	r->slots[i] = object;
	other->slots[other_id - other->base] = object;
	return object;
}

struct relay_idmap_object *relay_idmap_insert_own(struct relay_idmap *map,
						  const struct vsomm_interface_info *info,
						  uint32_t version)
{
	struct relay_idmap_slots *r = &map->ids[RELAY_IDMAP_HOST][RANGE_CLIENT];
	struct relay_idmap_object *object = new_object(map, info, version);
	uint32_t id;

	if (!object)
		return NULL;
	id = allocate(r, 0);
	if (!id) {
		map->live--;
		object_free(map, object);
		errno = ENOMEM;
		return NULL;
	}
	object->host_id = id;
	object->flags = RELAY_IDMAP_OWN;
	r->slots[id - r->base] = object;
	return object;
}

bool relay_idmap_attach_host(struct relay_idmap *map, struct relay_idmap_object *object)
{
	struct relay_idmap_slots *r = &map->ids[RELAY_IDMAP_HOST][RANGE_CLIENT];
	uint32_t id = allocate(r, object->guest_id);

	if (!id)
		return false;
	object->host_id = id;
	object->flags &= ~(uint32_t)RELAY_IDMAP_GONE_HOST;
	r->slots[id - r->base] = object;
	return true;
}

bool relay_idmap_release(struct relay_idmap *map, struct relay_idmap_object *object,
			 enum relay_idmap_side side)
{
	uint32_t *id = side == RELAY_IDMAP_GUEST ? &object->guest_id : &object->host_id;

	if (*id) {
		set_slot(map, side, *id, NULL);
		*id = 0;
	}
	if (object->guest_id || object->host_id)
		return false;
	map->live--;
	object_free(map, object);
	return true;
}

void relay_idmap_for_each(struct relay_idmap *map,
			  void (*fn)(struct relay_idmap_object *object, void *data), void *data)
{
	/* Every object has a host id or a guest id: visit each from the first
	 * range holding it, in the order guest client, guest server, host. */
	for (int side = 0; side < 2; side++) {
		for (int range = 0; range < 2; range++) {
			struct relay_idmap_slots *r = &map->ids[side][range];

			for (uint32_t i = 0; i < r->count; i++) {
				struct relay_idmap_object *object = r->slots[i];

				if (!object)
					continue;
				if (side == RELAY_IDMAP_HOST && object->guest_id)
					continue; /* visited with its guest id */
				fn(object, data);
			}
		}
	}
}
