/*
 * Hash multimap (see hash.h). Each distinct key takes one slot of an
 * open-addressing table kept at most half full; its values form a chain
 * through one growing array (first/last indexes in the slot, next in the
 * value), so a key with ten thousand values (the same name asked all day)
 * costs one probe, not a cluster of ten thousand slots.
 */
#include "util/hash.h"

#include <string.h>

#define BLOCK_BYTES 4096

/* 32 bytes: the slots of a table are at most half full, and the rules'
   indexes over a day's DNS answers hold hundreds of thousands */
struct dt_hash_key {
	const uint8_t *key;		/* NULL: empty slot */
	uint32_t hash;			/* dt_hash_bytes()'s low half */
	uint32_t klen;
	uint32_t first, last;		/* value indexes + 1 */
	uint32_t count;
};

struct dt_hash_val {
	void *val;
	size_t next;			/* index + 1, 0: the last */
};

struct dt_hash_block {
	struct dt_hash_block *next;
	size_t used, size;
	uint8_t bytes[];
};

uint64_t
dt_hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	/* fold the high bits down: the table masks the low ones */
	return h ^ (h >> 29);
}

void
dt_hash_init(struct dt_hash *h, struct dt_mem *m)
{
	memset(h, 0, sizeof *h);
	h->mem = m;
}

void
dt_hash_free(struct dt_hash *h)
{
	struct dt_hash_block *b, *nb;

	for (b = h->blocks; b != NULL; b = nb) {
		nb = b->next;
		dt_free(h->mem, b);
	}
	dt_free(h->mem, h->slots);
	dt_free(h->mem, h->vals);
	dt_hash_init(h, h->mem);
}

static struct dt_hash_key *
probe(const struct dt_hash_key *slots, size_t cap, uint32_t hash,
    const void *key, size_t klen)
{
	size_t mask = cap - 1, i;

	for (i = (size_t)hash & mask; slots[i].key != NULL; i = (i + 1) & mask)
		if (slots[i].hash == hash && slots[i].klen == klen &&
		    memcmp(slots[i].key, key, klen) == 0)
			break;
	return (struct dt_hash_key *)&slots[i];
}

static int
grow_slots(struct dt_hash *h)
{
	size_t cap = h->cap ? h->cap * 2 : 64, i;
	struct dt_hash_key *s;

	s = dt_calloc(h->mem, cap, sizeof *s);
	if (s == NULL)
		return -1;
	for (i = 0; i < h->cap; i++)
		if (h->slots[i].key != NULL)
			*probe(s, cap, h->slots[i].hash, h->slots[i].key,
			    h->slots[i].klen) = h->slots[i];
	dt_free(h->mem, h->slots);
	h->slots = s;
	h->cap = cap;
	h->recent = 0;			/* slots moved */
	return 0;
}

static const uint8_t *
keep_key(struct dt_hash *h, const void *key, size_t klen)
{
	struct dt_hash_block *b = h->blocks;
	uint8_t *p;

	if (b == NULL || b->size - b->used < klen) {
		size_t size = klen > BLOCK_BYTES ? klen : BLOCK_BYTES;

		b = dt_malloc(h->mem, sizeof *b + size);
		if (b == NULL)
			return NULL;
		b->used = 0;
		b->size = size;
		b->next = h->blocks;
		h->blocks = b;
	}
	p = b->bytes + b->used;
	if (klen > 0)
		memcpy(p, key, klen);
	b->used += klen;
	return p;
}

int
dt_hash_reserve(struct dt_hash *h, size_t n)
{
	struct dt_hash_val *v;

	if (n <= h->cap_vals)
		return 0;
	if (n > UINT32_MAX)
		return -1;
	v = dt_realloc(h->mem, h->vals, n * sizeof *v);
	if (v == NULL)
		return -1;
	h->vals = v;
	h->cap_vals = n;
	return 0;
}

/* Chain val after the values of slot k (room_for_val() made room). */
static void
add_val(struct dt_hash *h, struct dt_hash_key *k, void *val)
{
	struct dt_hash_val *v;

	v = &h->vals[h->n_vals++];
	v->val = val;
	v->next = 0;
	if (k->last != 0)
		h->vals[k->last - 1].next = h->n_vals;
	else
		k->first = (uint32_t)h->n_vals;
	k->last = (uint32_t)h->n_vals;
	k->count++;
}

/* Room for one more value: the array doubles when full. */
static int
room_for_val(struct dt_hash *h)
{
	if (h->n_vals >= UINT32_MAX)
		return -1;
	if (h->n_vals < h->cap_vals)
		return 0;
	return dt_hash_reserve(h, h->cap_vals ? h->cap_vals * 2 : 64);
}

int
dt_hash_add_again(struct dt_hash *h, void *val)
{
	if (h->recent == 0 || room_for_val(h) != 0)
		return -1;
	add_val(h, &h->slots[h->recent - 1], val);
	return 0;
}

int
dt_hash_add(struct dt_hash *h, const void *key, size_t klen, void *val)
{
	struct dt_hash_key *k;
	uint32_t hash = (uint32_t)dt_hash_bytes(key, klen);
	int fresh;

	if (klen > UINT32_MAX)
		return -1;
	if ((h->n_keys + 1) * 2 > h->cap && grow_slots(h) != 0)
		return -1;
	if (room_for_val(h) != 0)
		return -1;
	k = probe(h->slots, h->cap, hash, key, klen);
	fresh = k->key == NULL;
	if (fresh) {
		const uint8_t *kept = keep_key(h, key, klen);

		if (kept == NULL)
			return -1;
		k->hash = hash;
		k->key = kept;
		k->klen = (uint32_t)klen;
		k->first = k->last = 0;
		k->count = 0;
		h->n_keys++;
	}
	add_val(h, k, val);
	h->recent = (size_t)(k - h->slots) + 1;
	return fresh;
}

static const struct dt_hash_key *
find(const struct dt_hash *h, const void *key, size_t klen)
{
	const struct dt_hash_key *k;

	if (h->cap == 0)
		return NULL;
	k = probe(h->slots, h->cap, (uint32_t)dt_hash_bytes(key, klen), key,
	    klen);
	return k->key != NULL ? k : NULL;
}

void *
dt_hash_first(const struct dt_hash *h, const void *key, size_t klen,
    struct dt_hash_iter *it)
{
	const struct dt_hash_key *k = find(h, key, klen);

	it->next = k != NULL ? k->first : 0;
	return dt_hash_next(h, it);
}

void *
dt_hash_next(const struct dt_hash *h, struct dt_hash_iter *it)
{
	const struct dt_hash_val *v;

	if (it->next == 0)
		return NULL;
	v = &h->vals[it->next - 1];
	it->next = v->next;
	return v->val;
}

size_t
dt_hash_count(const struct dt_hash *h, const void *key, size_t klen)
{
	const struct dt_hash_key *k = find(h, key, klen);

	return k != NULL ? k->count : 0;
}

void *
dt_hash_last(const struct dt_hash *h, const void *key, size_t klen)
{
	const struct dt_hash_key *k = find(h, key, klen);

	return k != NULL && k->last != 0 ? h->vals[k->last - 1].val : NULL;
}
