/*
 * Allocation through the caller's allocator, with accounting.
 *
 * Every allocation the library makes goes through a struct dt_mem so that
 * (a) a caller can supply its own allocator (and tests can inject failure at
 * every allocation), and (b) the analysis can keep its memory under a cap:
 * dt_mem counts live bytes and refuses allocations past `cap`.
 * A failed allocation sets the sticky `failed` flag; the analyzer checks it
 * and reports DT_ENOMEM. Nothing here is global.
 */
#ifndef DT_UTIL_MEM_H
#define DT_UTIL_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Same shape as the public dt_alloc_fn: realloc semantics, size 0 frees. */
typedef void *(*dt_mem_fn)(void *ud, void *ptr, size_t size);

struct dt_mem {
	dt_mem_fn fn;		/* NULL: the C library's realloc/free */
	void *ud;
	size_t used;		/* live bytes, headers included */
	size_t peak;
	size_t cap;		/* 0: no cap */
	int failed;		/* sticky: an allocation was refused */
};

void dt_mem_init(struct dt_mem *m, dt_mem_fn fn, void *ud, size_t cap);

void *dt_malloc(struct dt_mem *m, size_t n);
void *dt_calloc(struct dt_mem *m, size_t k, size_t n);	/* overflow-checked */
void *dt_realloc(struct dt_mem *m, void *p, size_t n);
void dt_free(struct dt_mem *m, void *p);
char *dt_strdup(struct dt_mem *m, const char *s);
char *dt_strndup(struct dt_mem *m, const char *s, size_t n);	/* stops at NUL */

/* m made ready for a reader of results allocated from `from` (NULL: the C
   library): the same allocator, its own counters and no cap, so that
   readers never write to `from` and may run in parallel. */
void dt_mem_reader(struct dt_mem *m, const struct dt_mem *from);

/* Room left under the cap (SIZE_MAX when uncapped). Inline: the flow
   budget asks it of every datagram and segment. */
static inline size_t
dt_mem_room(const struct dt_mem *m)
{
	if (m->cap == 0)
		return SIZE_MAX;
	return m->used >= m->cap ? 0 : m->cap - m->used;
}

/* n bytes that live outside the allocator (a spill file's blocks)
   counted as dt_malloc(n) would count them, header included, so the cap
   judges them the same: dt_malloc(n) would be refused when n >
   dt_mem_room(m), which the caller asks first. Uncharged when they go. */
void dt_mem_charge(struct dt_mem *m, size_t n);
void dt_mem_uncharge(struct dt_mem *m, size_t n);

#endif
