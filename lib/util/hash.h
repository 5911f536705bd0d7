/*
 * A small hash multimap from byte keys to pointers, for the indexes the
 * stages build once per capture (names, addresses, flow keys, ids) so that
 * no lookup walks a whole list.
 *
 * Open addressing with linear probing over the distinct keys; the values of
 * one key are a chain in insertion order, so "the first DNS answer for this
 * name" is the first value. Keys (of at most 65,000 bytes) are copied
 * into blocks the table owns; values are the caller's. Nothing is ever removed: an index lives
 * as long as the pass that built it. All memory comes from the given struct dt_mem;
 * a refused allocation returns -1 and leaves the table usable as it was.
 */
#ifndef DT_UTIL_HASH_H
#define DT_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "util/mem.h"

struct dt_hash_key;

struct dt_hash {
	struct dt_mem *mem;
	struct dt_hash_key *slots;	/* cap entries, cap a power of two */
	size_t cap, n_keys;
	void **vals;			/* every value, in insertion order */
	uint32_t *next;			/* [i]: the next value of vals[i]'s
					   key, index + 1; 0: the last */
	size_t n_vals, cap_vals;
	uint8_t **blocks;		/* key bytes, each after its length:
					   block i holds up to 1 KiB << i,
					   at most 64 KiB */
	size_t n_blocks, cap_blocks, block_used;
	size_t recent;			/* slot of the last key added + 1 */
	int dense;			/* 1: slots up to 4/5 full, not 1/2 (a
					   big table built once and asked a
					   few times per connection: a day's
					   99,316 DNS names in 131,072 slots,
					   2.6 MB, not 262,144) */
};

/* A cursor over the values of one key. */
struct dt_hash_iter {
	size_t next;			/* index into vals + 1, 0: the end */
};

void dt_hash_init(struct dt_hash *h, struct dt_mem *m);
void dt_hash_free(struct dt_hash *h);

/* Room for n values in all (a table whose count is known when it is built
   grows no array by doubling, nor leaves half of one unused): 0, or -1
   when memory refused (the table is as it was). */
int dt_hash_reserve(struct dt_hash *h, size_t n);

/* Add a value under key. 1: the key was new, 0: it had values already,
   -1: memory refused (nothing added). */
int dt_hash_add(struct dt_hash *h, const void *key, size_t klen, void *val);

/* Add a value under the key of the last dt_hash_add() that succeeded
   (runs of one key, the same name asked twice in a row, skip hashing
   and probing): 0, or -1 when memory refused or there was none. */
int dt_hash_add_again(struct dt_hash *h, void *val);

/* The first value of key (and the cursor for the next), NULL when the key
   has none. */
void *dt_hash_first(const struct dt_hash *h, const void *key, size_t klen,
    struct dt_hash_iter *it);
void *dt_hash_next(const struct dt_hash *h, struct dt_hash_iter *it);

/* The last value added under key, NULL when none. */
void *dt_hash_last(const struct dt_hash *h, const void *key, size_t klen);

/* Number of values under key (0 when absent). */
size_t dt_hash_count(const struct dt_hash *h, const void *key, size_t klen);

/* The hash function (64-bit, eight bytes a step), for callers that want it. */
uint64_t dt_hash_bytes(const void *p, size_t n);

#endif
