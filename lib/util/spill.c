/*
 * Memory in an unlinked file (see spill.h). The address range is reserved
 * once (PROT_NONE, no swap reserved) so the file can grow under it without
 * moving anything; each growth reserves its disk blocks first, then maps
 * them shared in place.
 */
#include "util/spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GROW	((size_t)4 << 20)	/* file growth: one fallocate and
					   one mmap per 4 MiB */
#define PAGE	((size_t)4096)

static int
tmpfile_in(const char *dir)
{
	char path[4096];
	int fd;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR &&
	    errno != EINVAL))
		return fd;
#endif
	/* a file system without O_TMPFILE: a name, gone at once */
	if ((size_t)snprintf(path, sizeof path, "%s/datrace-spill-XXXXXX",
	    dir) >= sizeof path)
		return -1;
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0)
		return -1;
	(void)unlink(path);
	return fd;
}

int
dt_spill_open(struct dt_spill *s, const char *dir, size_t reserve)
{
	void *base;

	memset(s, 0, sizeof *s);
	s->fd = -1;
	reserve = (reserve + GROW - 1) / GROW * GROW;
	if (reserve == 0)
		return -1;
	base = mmap(NULL, reserve, PROT_NONE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -1;
	if ((s->fd = tmpfile_in(dir)) < 0) {
		(void)munmap(base, reserve);
		return -1;
	}
	s->base = base;
	s->reserve = reserve;
	return 0;
}

/* The file and its mapping grown to at least `need` bytes. */
static int
grow(struct dt_spill *s, size_t need)
{
	size_t to = (need + GROW - 1) / GROW * GROW;
	void *p;

	if (need > s->reserve)		/* reserve is whole GROWs: to fits */
		return -1;
	if (posix_fallocate(s->fd, (off_t)s->size, (off_t)(to - s->size))
	    != 0)
		return -1;
	p = mmap(s->base + s->size, to - s->size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_FIXED, s->fd, (off_t)s->size);
	if (p == MAP_FAILED) {
		/* the reserve is PROT_NONE again: nothing half-mapped */
		(void)mmap(s->base + s->size, to - s->size, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		    -1, 0);
		return -1;
	}
	/* What was written before leaves the resident set as the file
	   grows, so filling it costs a few MiB of RSS, not its size. */
	dt_spill_drop(s);
	s->size = to;
	return 0;
}

void *
dt_spill_alloc(struct dt_spill *s, size_t n)
{
	void *p;

	if (s->fd < 0 || n > s->reserve)
		return NULL;
	n = (n + PAGE - 1) & ~(PAGE - 1);
	if (s->size - s->used < n && grow(s, s->used + n) != 0)
		return NULL;
	p = s->base + s->used;
	s->used += n;
	return p;		/* zero: fresh file blocks read as zero */
}

size_t
dt_spill_size(const struct dt_spill *s)
{
	return s->used;
}

void
dt_spill_drop(const struct dt_spill *s)
{
	if (s->size != 0)
		(void)madvise(s->base, s->size, MADV_DONTNEED);
}

void
dt_spill_close(struct dt_spill *s)
{
	if (s->base != NULL)
		(void)munmap(s->base, s->reserve);
	if (s->fd >= 0)
		(void)close(s->fd);
	memset(s, 0, sizeof *s);
	s->fd = -1;
}
