/* SPDX-License-Identifier: MIT */
/*
 * Object ids of a relayed client on both its connections (idmap.h): four
 * ranges (guest and host, client and server ids), each a growable array of
 * slots from the range's first id.
 */
#include <errno.h>
#include <stdlib.h>

#include "proxy/idmap.h"
#include "proxy/message.h"

enum {
	RANGE_CLIENT,
	RANGE_SERVER
};

/* Objects come and go with every create/destroy pair: up to this many freed
 * ones are kept for the next, which saves an allocation per object. */
#define IDMAP_MAX_SPARE 256u

static struct idmap_object *object_alloc(struct idmap *map)
{
	struct idmap_object *object = map->spare;

	if (!object)
		return calloc(1, sizeof(*object));
	map->spare = object->data;
	map->spare_count--;
	*object = (struct idmap_object){0};
	return object;
}

static void object_free(struct idmap *map, struct idmap_object *object)
{
	if (map->spare_count >= IDMAP_MAX_SPARE) {
		free(object);
		return;
	}
	object->data = map->spare;
	map->spare = object;
	map->spare_count++;
}

void idmap_init(struct idmap *map)
{
	*map = (struct idmap){0};
	for (int side = 0; side < 2; side++) {
		map->ids[side][RANGE_CLIENT].base = 1;
		map->ids[side][RANGE_SERVER].base = MESSAGE_SERVER_ID_START;
	}
}

static void free_object(struct idmap_object *object, void *data)
{
	struct idmap *map = data;

	/* Each object once: from the first range that holds it. */
	if (object->guest_id) {
		struct idmap_slots *r =
			&map->ids[IDMAP_GUEST][object->guest_id >= MESSAGE_SERVER_ID_START];
		r->slots[object->guest_id - r->base] = NULL;
	}
	if (object->host_id) {
		struct idmap_slots *r =
			&map->ids[IDMAP_HOST][object->host_id >= MESSAGE_SERVER_ID_START];
		r->slots[object->host_id - r->base] = NULL;
	}
	free(object);
}

void idmap_finish(struct idmap *map)
{
	idmap_for_each(map, free_object, map);
	for (int side = 0; side < 2; side++) {
		for (int range = 0; range < 2; range++)
			free(map->ids[side][range].slots);
	}
	while (map->spare) {
		struct idmap_object *next = map->spare->data;

		free(map->spare);
		map->spare = next;
	}
	idmap_init(map);
}

static struct idmap_slots *range_of(const struct idmap *map, enum idmap_side side, uint32_t id)
{
	return (struct idmap_slots *)&map->ids[side][id >= MESSAGE_SERVER_ID_START];
}

struct idmap_object *idmap_lookup(const struct idmap *map, enum idmap_side side, uint32_t id)
{
	const struct idmap_slots *r = range_of(map, side, id);
	uint32_t i = id - r->base;

	/* id 0 wraps to a huge index: not found. */
	return i < r->count ? r->slots[i] : NULL;
}

/* Make slot i of r usable (i <= r->count); false on ENOMEM. */
static bool reserve(struct idmap_slots *r, uint32_t i)
{
	if (i < r->count)
		return true;
	if (r->count == r->capacity) {
		uint32_t capacity = r->capacity ? r->capacity * 2 : 64;
		struct idmap_object **slots = realloc(r->slots, capacity * sizeof(*slots));

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
static uint32_t allocate(struct idmap_slots *r, uint32_t wanted)
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

static void set_slot(struct idmap *map, enum idmap_side side, uint32_t id,
		     struct idmap_object *object)
{
	struct idmap_slots *r = range_of(map, side, id);
	uint32_t i = id - r->base;

	r->slots[i] = object;
	if (!object && i < r->first_free)
		r->first_free = i;
}

static struct idmap_object *new_object(struct idmap *map, const struct vsomm_interface_info *info,
				       uint32_t version)
{
	struct idmap_object *object = object_alloc(map);

	if (!object)
		return NULL;
	object->info = info;
	object->version = version;
	map->live++;
	return object;
}

struct idmap_object *idmap_insert(struct idmap *map, enum idmap_side side, uint32_t id,
				  const struct vsomm_interface_info *info, uint32_t version)
{
	/* The guest creates client ids, the host server ids. */
	bool server = side == IDMAP_HOST;
	struct idmap_slots *r = &map->ids[side][server];
	struct idmap_slots *other = &map->ids[!side][server];
	struct idmap_object *object;
	uint32_t i = id - r->base, other_id;

	bool in_range = server ? id >= MESSAGE_SERVER_ID_START
			       : id != 0 && id <= IDMAP_MAX_CLIENT_ID;

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
	if (side == IDMAP_GUEST) {
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

struct idmap_object *idmap_insert_own(struct idmap *map, const struct vsomm_interface_info *info,
				      uint32_t version)
{
	struct idmap_slots *r = &map->ids[IDMAP_HOST][RANGE_CLIENT];
	struct idmap_object *object = new_object(map, info, version);
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
	object->flags = IDMAP_OWN;
	r->slots[id - r->base] = object;
	return object;
}

bool idmap_release(struct idmap *map, struct idmap_object *object, enum idmap_side side)
{
	uint32_t *id = side == IDMAP_GUEST ? &object->guest_id : &object->host_id;

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

void idmap_for_each(struct idmap *map, void (*fn)(struct idmap_object *object, void *data),
		    void *data)
{
	/* Every object has a host id or a guest id: visit each from the first
	 * range holding it, in the order guest client, guest server, host. */
	for (int side = 0; side < 2; side++) {
		for (int range = 0; range < 2; range++) {
			struct idmap_slots *r = &map->ids[side][range];

			for (uint32_t i = 0; i < r->count; i++) {
				struct idmap_object *object = r->slots[i];

				if (!object)
					continue;
				if (side == IDMAP_HOST && object->guest_id)
					continue; /* visited with its guest id */
				fn(object, data);
			}
		}
	}
}
