/*
 * Hash multimap (see hash.h). Each distinct key takes one slot of an
 * open-addressing table kept at most half full; its values form a chain
 * through one growing array (first/last indexes in the slot, next beside
 * the value), so a key with ten thousand values (the same name asked all
 * day) costs one probe, not a cluster of ten thousand slots.
 *
 * The rules' indexes over a day's capture hold hundreds of thousands of
 * keys and values for the whole rule pass, so every entry is small: a slot
 * is five 32-bit words (the key is a block and an offset in it, its length
 * before its bytes), a value a pointer and a 32-bit link.
 */
#include "util/hash.h"

#include <string.h>

struct dt_hash_key {
	uint32_t hash;			/* dt_hash_bytes()'s low half */
	uint32_t key;			/* (block << 16 | offset) + 1; 0: empty */
	uint32_t first, last;		/* value indexes + 1 */
	uint32_t count;
};

/* the length before each key's bytes */
#define KLEN sizeof(uint32_t)
#define BLOCK_MAX 65536

/* Blocks grow from 1 KiB to 64 KiB: small tables stay small, and an
   offset in a block is 16 bits. */
static size_t
block_size(size_t i)
{
	return i < 6 ? (size_t)1024 << i : BLOCK_MAX;
}

/* Eight bytes a step (a multiply and a shift), not FNV-1a's one: the
   intern table and the indexes hash every DNS name, server name and
   identification reason of a capture (the 2 GiB day: ~1.6% of its CPU was
   FNV's byte loop). Then splitmix64's finalizer, so that every input bit
   reaches the low bits the tables mask. Not keyed, as FNV was not. */
uint64_t
dt_hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)n *
	    0xff51afd7ed558ccdULL), w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	if (i < n) {
		/* the last eight bytes (overlapping the word before: n is in
		   h already), or the few there are */
		if (n >= 8)
			memcpy(&w, b + n - 8, 8);
		else
			for (w = 0; i < n; i++)
				w |= (uint64_t)b[i] << (8 * i);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
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
	size_t i;

	for (i = 0; i < h->n_blocks; i++)
		dt_free(h->mem, h->blocks[i]);
	dt_free(h->mem, h->blocks);
	dt_free(h->mem, h->slots);
	dt_free(h->mem, h->vals);
	dt_free(h->mem, h->next);
	dt_hash_init(h, h->mem);
}

static int
same_key(const struct dt_hash *h, const struct dt_hash_key *k,
    const void *key, size_t klen)
{
	const uint8_t *p = h->blocks[(k->key - 1) >> 16] +
	    ((k->key - 1) & 0xffff);
	uint32_t n;

	memcpy(&n, p, sizeof n);
	return n == klen && memcmp(p + KLEN, key, klen) == 0;
}

static struct dt_hash_key *
probe(const struct dt_hash *h, uint32_t hash, const void *key, size_t klen)
{
	size_t mask = h->cap - 1, i;

	for (i = (size_t)hash & mask; h->slots[i].key != 0; i = (i + 1) & mask)
		if (h->slots[i].hash == hash && same_key(h, &h->slots[i], key,
		    klen))
			break;
	return &h->slots[i];
}

static int
grow_slots(struct dt_hash *h)
{
	size_t cap = h->cap ? h->cap * 2 : 64, mask = cap - 1, i, j;
	struct dt_hash_key *s;

	s = dt_calloc(h->mem, cap, sizeof *s);
	if (s == NULL)
		return -1;
	/* the keys are distinct: each goes to the first free slot */
	for (i = 0; i < h->cap; i++) {
		if (h->slots[i].key == 0)
			continue;
		for (j = (size_t)h->slots[i].hash & mask; s[j].key != 0;
		    j = (j + 1) & mask)
			;
		s[j] = h->slots[i];
	}
	dt_free(h->mem, h->slots);
	h->slots = s;
	h->cap = cap;
	h->recent = 0;			/* slots moved */
	return 0;
}

/* The key's place, (block << 16 | offset) + 1, its length before its
   bytes; 0 when memory refused. */
static uint32_t
keep_key(struct dt_hash *h, const void *key, size_t klen)
{
	size_t need = KLEN + klen, size;
	uint32_t n = (uint32_t)klen;
	uint8_t *p;

	if (need > BLOCK_MAX)
		return 0;
	/* A key longer than the next block's nominal size gets a block of
	   its own size (a verdict's 1,023-byte summary shape was the first
	   key of a 1,024-byte block: written past its end). Such a block is
	   full once that key is in: its size as counted here is at least
	   what was used of it. */
	size = h->n_blocks > 0 ? block_size(h->n_blocks - 1) : 0;
	if (size < h->block_used)
		size = h->block_used;
	if (h->n_blocks == 0 || size - h->block_used < need) {
		if (h->n_blocks >= 0xffff)
			return 0;
		if (h->n_blocks == h->cap_blocks) {
			size_t cap = h->cap_blocks ? h->cap_blocks * 2 : 8;
			uint8_t **b = dt_realloc(h->mem, h->blocks,
			    cap * sizeof *b);

			if (b == NULL)
				return 0;
			h->blocks = b;
			h->cap_blocks = cap;
		}
		size = block_size(h->n_blocks);
		if (size < need)
			size = need;
		if ((p = dt_malloc(h->mem, size)) == NULL)
			return 0;
		h->blocks[h->n_blocks++] = p;
		h->block_used = 0;
	}
	p = h->blocks[h->n_blocks - 1] + h->block_used;
	memcpy(p, &n, KLEN);
	if (klen > 0)
		memcpy(p + KLEN, key, klen);
	h->block_used += need;
	return (uint32_t)((h->n_blocks - 1) << 16 | (h->block_used - need)) +
	    1;
}

int
dt_hash_reserve(struct dt_hash *h, size_t n)
{
	void **v;
	uint32_t *nx;

	if (n <= h->cap_vals)
		return 0;
	if (n > UINT32_MAX)
		return -1;
	/* both, or neither: the table stays as it was */
	if ((nx = dt_malloc(h->mem, n * sizeof *nx)) == NULL)
		return -1;
	if ((v = dt_realloc(h->mem, h->vals, n * sizeof *v)) == NULL) {
		dt_free(h->mem, nx);
		return -1;
	}
	if (h->n_vals > 0)
		memcpy(nx, h->next, h->n_vals * sizeof *nx);
	dt_free(h->mem, h->next);
	h->vals = v;
	h->next = nx;
	h->cap_vals = n;
	return 0;
}

/* Chain val after the values of slot k (room_for_val() made room). */
static void
add_val(struct dt_hash *h, struct dt_hash_key *k, void *val)
{
	size_t i = h->n_vals++;

	h->vals[i] = val;
	h->next[i] = 0;
	if (k->last != 0)
		h->next[k->last - 1] = (uint32_t)h->n_vals;
	else
		k->first = (uint32_t)h->n_vals;
	k->last = (uint32_t)h->n_vals;
	k->count++;
}

/* Room for one more value: the arrays double when full. */
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

	if (klen > BLOCK_MAX - KLEN)
		return -1;
	if ((h->dense ? (h->n_keys + 1) * 5 > h->cap * 4 :
	    (h->n_keys + 1) * 2 > h->cap) && grow_slots(h) != 0)
		return -1;
	if (room_for_val(h) != 0)
		return -1;
	k = probe(h, hash, key, klen);
	fresh = k->key == 0;
	if (fresh) {
		uint32_t kept = keep_key(h, key, klen);

		if (kept == 0)
			return -1;
		k->hash = hash;
		k->key = kept;
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
	k = probe(h, (uint32_t)dt_hash_bytes(key, klen), key, klen);
	return k->key != 0 ? k : NULL;
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
	size_t i = it->next;

	if (i == 0)
		return NULL;
	it->next = h->next[i - 1];
	return h->vals[i - 1];
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

	return k != NULL && k->last != 0 ? h->vals[k->last - 1] : NULL;
}
