/*
 * Memory in an unlinked file (see spill.h). The address range is reserved
 * once (PROT_NONE, no swap reserved) so the file can grow under it without
 * moving anything; each growth reserves its disk blocks first, then maps
 * them shared in place.
 *
 * The range starts on a 2 MiB boundary, file offset 0 there, and is
 * advised MADV_HUGEPAGE: a file system that caches the file in large
 * folios (ext4 and xfs on recent kernels) then maps it 2 MiB a page
 * table entry, as the heap is. With 4 KiB mappings, a walk over 250 MB
 * of spilled facts took 480,000 faults and a 4 KiB TLB entry per page:
 * 4.5 times the CPU of the heap on the 2 GiB bench day; with 2 MiB ones,
 * 1.25 times. Where the kernel maps 4 KiB pages it works as before.
 */
#include "util/spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GROW	((size_t)4 << 20)	/* file growth: one fallocate and
					   one mmap per 4 MiB */
#define HUGE	((size_t)2 << 20)	/* a PMD's span on x86-64 and arm64
					   (4 KiB pages); GROW is a multiple,
					   and a lane's region */
#define ALIGN	((size_t)64)
#define SMALL	((size_t)512 << 10)	/* regions in the file's first */
#define FIRST	((size_t)8 << 20)	/* FIRST bytes (lane_region());
					   a multiple of HUGE */

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

/* `reserve` bytes of address space that start on a HUGE boundary: a
   HUGE more is asked and the ends cut off. */
static unsigned char *
reserve_aligned(size_t reserve)
{
	unsigned char *p, *at;
	size_t head;

	p = mmap(NULL, reserve + HUGE, PROT_NONE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	at = (unsigned char *)(((uintptr_t)p + HUGE - 1) &
	    ~(uintptr_t)(HUGE - 1));
	head = (size_t)(at - p);
	if (head != 0)
		(void)munmap(p, head);
	(void)munmap(at + reserve, HUGE - head);
	return at;
}

/* The process's resident pages of files and shared memory (statm's third
   field), and all its resident pages in *rss when asked: -1 when /proc
   cannot say. */
static long
resident_shared(int fd, long *rss_out)
{
	char buf[128];
	ssize_t n;
	long size, rss, shared;

	if (fd < 0 || (n = pread(fd, buf, sizeof buf - 1, 0)) <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%ld %ld %ld", &size, &rss, &shared) != 3)
		return -1;
	if (rss_out != NULL)
		*rss_out = rss;
	return shared;
}

int
dt_spill_open(struct dt_spill *s, const char *dir, size_t reserve)
{
	unsigned char *base;

	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->statm = -1;
	reserve = (reserve + GROW - 1) / GROW * GROW;
	if (reserve == 0 || reserve > SIZE_MAX - HUGE ||
	    (base = reserve_aligned(reserve)) == NULL)
		return -1;
	if ((s->fd = tmpfile_in(dir)) < 0) {
		(void)munmap(base, reserve);
		return -1;
	}
	s->base = base;
	s->reserve = reserve;
	s->statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	s->shared_before = resident_shared(s->statm, NULL);
	return 0;
}

/* The file grown to `to` bytes and mapped: 0, or -1 and nothing changed
   (the disk is full, or the file past its size limit). */
static int
map_to(struct dt_spill *s, size_t to)
{
	void *p;

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
	(void)madvise(p, to - s->size, MADV_HUGEPAGE);
	return 0;
}

/* The file and its mapping grown to at least `need` bytes. Its pages
   are made as they are first written: a thread that made them ahead (on
   a second core, one growth ahead) cost 12-16 % more CPU on the 2 GiB
   bench day for no less wall time, once new memory came cheap from this
   VM's host (0.3 ms/MiB). */
static int
grow(struct dt_spill *s, size_t need)
{
	size_t to = (need + GROW - 1) / GROW * GROW;

	if (need > s->reserve)		/* reserve is whole GROWs: to fits */
		return -1;
	if (to <= s->size)
		return 0;
	if (map_to(s, to) != 0)
		return -1;
	/* What was written before leaves the resident set as the file
	   grows, so filling it costs a few MiB of RSS, not its size. */
	dt_spill_drop(s);
	s->size = to;
	return 0;
}

/* A new region for a lane. The first FIRST bytes of the file are cut in
   SMALL regions, which the lanes share 2 MiB pages in: a capture that
   spills a few MiB then maps a page or two, not one per lane. Past them
   a region is whole HUGEs on a HUGE boundary of the range (and so of
   the file), as walks over the bulk of a day want; one for a request
   of a HUGE or more starts on a HUGE boundary anywhere (it fills its
   pages alone).

   FIRST is 8 MiB: the 100 MB bench day keeps 7 MB, which then fills
   8 MiB of the file, not 12 (4 of SMALL regions, then a 2 MiB one for
   each kind, half empty): the file's pages are made once each (zeroed,
   a page-cache folio and its buffers): 1-2% of that day's CPU, and its
   peak was ~21.8 MiB, not ~23.3 (heap only: 19.6). On the 2 GiB day the
   HTML and text reports' peaks went down too (57, not 62-64 MiB), the
   JSON ones stayed (51). */
static int
lane_region(struct dt_spill *s, int lane, size_t n)
{
	size_t unit = s->used < FIRST ? SMALL : HUGE;
	size_t r = (n + unit - 1) / unit * unit;

	/* (a reserve is whole GROWs: used stays within it) */
	if (unit == SMALL && n >= HUGE)
		s->used = (s->used + HUGE - 1) / HUGE * HUGE;
	if (unit == SMALL && r > FIRST - s->used) {	/* the rest is HUGEs */
		if (FIRST > s->reserve)
			return -1;
		s->used = FIRST;
		unit = HUGE;
		r = (n + unit - 1) / unit * unit;
	}
	if (r < n || r > s->reserve - s->used)
		return -1;
	if (s->size < s->used + r && grow(s, s->used + r) != 0)
		return -1;
	s->lane_at[lane] = s->base + s->used;
	s->lane_end[lane] = s->base + s->used + r;
	s->used += r;
	return 0;
}

void *
dt_spill_alloc(struct dt_spill *s, int lane, size_t n)
{
	unsigned char *p;

	if (s->fd < 0 || lane < 0 || lane >= DT_SPILL_LANES ||
	    n > s->reserve - ALIGN)
		return NULL;
	n = (n + ALIGN - 1) & ~(ALIGN - 1);
	if ((s->lane_at[lane] == NULL ||
	    (size_t)(s->lane_end[lane] - s->lane_at[lane]) < n) &&
	    lane_region(s, lane, n) != 0)
		return NULL;
	p = s->lane_at[lane];
	s->lane_at[lane] += n;
	return p;		/* zero: fresh file blocks read as zero */
}

void
dt_spill_lane_end(struct dt_spill *s, int lane)
{
	if (lane >= 0 && lane < DT_SPILL_LANES)
		s->lane_at[lane] = s->lane_end[lane] = NULL;
}

size_t
dt_spill_size(const struct dt_spill *s)
{
	return s->used;
}

void
dt_spill_drop(const struct dt_spill *s)
{
	unsigned char *keep[DT_SPILL_LANES], *at = s->base, *k;
	size_t n = 0, i, j;

	/* the 2 MiB page of each lane's last allocation, where its block
	   is being filled (full or not), in address order */
	for (i = 0; i < DT_SPILL_LANES; i++) {
		if (s->lane_at[i] == NULL)
			continue;
		k = (unsigned char *)((uintptr_t)(s->lane_at[i] - 1) &
		    ~(uintptr_t)(HUGE - 1));
		for (j = n++; j > 0 && keep[j - 1] > k; j--)
			keep[j] = keep[j - 1];
		keep[j] = k;
	}
	/* up to what was handed out: past it nothing was written */
	for (i = 0; i <= n; i++) {
		unsigned char *to = i < n ? keep[i] : s->base + s->used;

		if (to > s->base + s->used)
			to = s->base + s->used;
		if (to > at)
			(void)madvise(at, (size_t)(to - at), MADV_DONTNEED);
		if (i < n && keep[i] + HUGE > at)
			at = keep[i] + HUGE;
	}
}

size_t
dt_spill_mapped(const struct dt_spill *s)
{
	return dt_spill_resident(s, NULL);
}

size_t
dt_spill_resident(const struct dt_spill *s, size_t *rss)
{
	long rp = 0, now = resident_shared(s->statm, &rp);
	long page = sysconf(_SC_PAGESIZE);

	if (now < 0 || s->shared_before < 0 || page <= 0)
		return SIZE_MAX;
	if (rss != NULL)
		*rss = (size_t)rp * (size_t)page;
	return now > s->shared_before ?
	    (size_t)(now - s->shared_before) * (size_t)page : 0;
}

void
dt_spill_close(struct dt_spill *s)
{
	if (s->base != NULL)
		(void)munmap(s->base, s->reserve);
	if (s->fd >= 0)
		(void)close(s->fd);
	if (s->statm >= 0)
		(void)close(s->statm);
	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->statm = -1;
}
