/*
 * Accounting allocator (see mem.h). Each block carries a 16-byte header with
 * its size, so frees are counted exactly without asking the allocator.
 */
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>

#define HDR 16		/* keeps max_align_t alignment on common ABIs */

static void *
sys_alloc(void *ud, void *ptr, size_t size)
{
	(void)ud;
	if (size == 0) {
		free(ptr);
		return NULL;
	}
	/* a new block (most calls): malloc() without realloc()'s prelude */
	return ptr == NULL ? malloc(size) : realloc(ptr, size);
}

void
dt_mem_init(struct dt_mem *m, dt_mem_fn fn, void *ud, size_t cap)
{
	memset(m, 0, sizeof *m);
	m->fn = fn ? fn : sys_alloc;
	m->ud = ud;
	m->cap = cap;
}

void *
dt_realloc(struct dt_mem *m, void *p, size_t n)
{
	size_t old = 0;
	unsigned char *base = NULL;

	if (p != NULL) {
		base = (unsigned char *)p - HDR;
		memcpy(&old, base, sizeof old);
	}
	if (n == 0) {
		dt_free(m, p);
		return NULL;
	}
	if (n > SIZE_MAX - HDR) {
		m->failed = 1;
		return NULL;
	}
	if (n > old && m->cap != 0 && n - old > dt_mem_room(m)) {
		m->failed = 1;
		return NULL;
	}
	base = m->fn(m->ud, base, n + HDR);
	if (base == NULL) {
		m->failed = 1;
		return NULL;
	}
	memcpy(base, &n, sizeof n);
	m->used = m->used - (old ? old + HDR : 0) + n + HDR;
	if (m->used > m->peak)
		m->peak = m->used;
	return base + HDR;
}

void
dt_mem_charge(struct dt_mem *m, size_t n)
{
	m->used += n + HDR;
	if (m->used > m->peak)
		m->peak = m->used;
}

void
dt_mem_uncharge(struct dt_mem *m, size_t n)
{
	m->used -= n + HDR;
}

void *
dt_malloc(struct dt_mem *m, size_t n)
{
	return dt_realloc(m, NULL, n ? n : 1);
}

void *
dt_calloc(struct dt_mem *m, size_t k, size_t n)
{
	void *p;

	if (n != 0 && k > SIZE_MAX / n) {
		m->failed = 1;
		return NULL;
	}
	p = dt_malloc(m, k * n);
	if (p != NULL)
		memset(p, 0, (k * n) != 0 ? k * n : 1);
	return p;
}

void
dt_free(struct dt_mem *m, void *p)
{
	unsigned char *base;
	size_t old;

	if (p == NULL)
		return;
	base = (unsigned char *)p - HDR;
	memcpy(&old, base, sizeof old);
	m->used -= old + HDR;
	m->fn(m->ud, base, 0);
}

char *
dt_strndup(struct dt_mem *m, const char *s, size_t n)
{
	size_t len = strnlen(s, n);	/* not a byte at a time */
	char *d;

	d = dt_malloc(m, len + 1);
	if (d != NULL) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

char *
dt_strdup(struct dt_mem *m, const char *s)
{
	return dt_strndup(m, s, SIZE_MAX);
}

void
dt_mem_reader(struct dt_mem *m, const struct dt_mem *from)
{
	dt_mem_init(m, from != NULL ? from->fn : NULL,
	    from != NULL ? from->ud : NULL, 0);
}
