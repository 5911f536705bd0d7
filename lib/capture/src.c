/*
 * The byte source of capture/: every format reads its input through
 * dt_src_fetch() (a view of the next bytes, nothing consumed) and
 * dt_src_consume(). A memory source hands out views of the caller's buffer
 * itself; any other source is a read function (our descriptor, the caller's
 * FILE, the caller's callback: an archive member is one more of these)
 * filling a window. The window doubles only when it is full of bytes really
 * read, so a record that claims more than the input holds costs at most
 * twice what is there; views stay valid until the next fetch or read.
 * A read function may also run ahead on a thread of its own (ahead.c):
 * the window is then the chunk it filled. A regular file may instead be
 * mapped, a window of the mapping at a time (see map_more()).
 */
#include "capture/capture_int.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "datrace.h"

void
dt_src_mem(struct dt_src *s, struct dt_mem *m, const void *buf, size_t len)
{
	static const uint8_t empty[1];

	memset(s, 0, sizeof *s);
	s->m = m;
	s->fd = -1;
	s->mem = buf != NULL ? buf : empty;
	s->mem_len = buf != NULL ? len : 0;
	s->size = s->mem_len;
}

void
dt_src_fn(struct dt_src *s, struct dt_mem *m, dt_read_fn fn, void *payload,
    int fd)
{
	memset(s, 0, sizeof *s);
	s->m = m;
	s->read = fn;
	s->payload = payload;
	s->fd = fd;
}

void
dt_src_map(struct dt_src *s, struct dt_mem *m, int fd, uint64_t size)
{
	memset(s, 0, sizeof *s);
	s->m = m;
	s->fd = fd;
	s->size = size;
	s->mapped = 1;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
}

static void
map_drop(uint8_t *p, size_t len)
{
	if (p != NULL)
		(void)munmap(p, len);
}

/* A file that cannot be mapped (a file system without mmap, no address
   space left, a size that says nothing, as /proc's) is read from here on:
   the window the next fill makes. */
static void
map_to_read(struct dt_src *s)
{
	map_drop(s->old, s->old_len);
	map_drop(s->win, s->cap);
	s->old = s->win = NULL;
	s->old_len = s->cap = s->beg = s->end = 0;
	s->mapped = 0;
	s->read = dt_src_read_fd;
	s->payload = &s->fd;
	if (lseek(s->fd, (off_t)s->pos, SEEK_SET) < 0)
		dt_src_end(s, -(ptrdiff_t)(errno ? errno : EIO));
}

/* The whole file mapped (again, when it grew: the mapping before stays
   until the next one, so no view of it dies): 0, or -1. */
static int
map_whole(struct dt_src *s)
{
	void *p;

	if (s->size > SIZE_MAX / 2)
		return -1;	/* more than the address space */
	p = mmap(NULL, (size_t)s->size, PROT_READ, MAP_PRIVATE, s->fd, 0);
	if (p == MAP_FAILED)
		return -1;
	map_drop(s->old, s->old_len);
	s->old = s->win;
	s->old_len = s->cap;
	s->win = p;
	s->cap = (size_t)s->size;
	s->done = s->end = 0;
	return 0;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22	/* Linux 5.14; older kernels: EINVAL, and
				   the reads fault the pages in */
#endif

/*
 * A mapped file is mapped whole, once: a view stays valid as long as the
 * source (what is reserved is address space, not memory). What is
 * resident is bounded instead: the window of DT_SRC_MAP_WIN bytes that
 * s->pos is in, or as far as the `want` asked for, is made present in one
 * call (where faults would take one per 64 KiB), and the windows behind it
 * are dropped (MADV_DONTNEED: their pages stay in the page cache, and a
 * view of them still reads, faulting them in again). So the process maps
 * about two windows of the file, whatever its size. A window that cannot
 * be made present (past an end the file was cut to, a read error) turns
 * the source to read(2), whose short read or error is the reader's fault
 * at its offset; only what fails inside a window already made present
 * raises SIGBUS. The mapping ends at
 * the size fstat() gave; at its end the size is looked up again, and a
 * capture still being written reads on, as with read(2). The bytes
 * available at s->pos: 0 at the end or when the file is read from here on.
 */
static size_t
map_more(struct dt_src *s, size_t want)
{
	size_t from, to, lo;
	struct stat st;

	if (s->size - s->pos < want && fstat(s->fd, &st) == 0 &&
	    (uint64_t)st.st_size > s->size)
		s->size = (uint64_t)st.st_size;
	if (s->size == 0 || (s->size > s->cap && map_whole(s) != 0)) {
		map_to_read(s);
		return 0;
	}
	if (s->pos >= s->size) {
		s->eof = 1;
		return 0;
	}
	from = (size_t)s->pos & ~(DT_SRC_MAP_WIN - 1);
	to = s->cap - from < DT_SRC_MAP_WIN ? s->cap : from + DT_SRC_MAP_WIN;
	if (to - s->pos < want)
		to = s->cap - s->pos < want ? s->cap :
		    ((size_t)s->pos + want + DT_SRC_MAP_WIN - 1) &
		    ~(DT_SRC_MAP_WIN - 1);
	if (to > s->cap)
		to = s->cap;
	lo = s->end > from ? s->end : from;
	if (to > lo && madvise(s->win + lo, to - lo, MADV_POPULATE_READ) != 0 &&
	    errno != EINVAL) {
		/* a page that cannot be read (the file cut shorter since
		   fstat(), a read error): read(2) says where and why, where
		   touching it would raise SIGBUS. A file cut before s->pos
		   reads nothing there, as a file that ends: the reader is
		   told it was cut (dt_reader_next) */
		if (fstat(s->fd, &st) == 0 && (uint64_t)st.st_size < s->size)
			s->shrunk = (uint64_t)st.st_size + 1;
		map_to_read(s);
		return 0;
	}
	if (from > s->done) {
		(void)madvise(s->win + s->done, from - s->done, MADV_DONTNEED);
		s->done = from;
	}
	s->beg = (size_t)s->pos;
	s->end = to;
	if (s->end - s->beg < want)
		s->eof = 1;
	return s->end - s->beg;
}

int
dt_src_reserve(struct dt_src *s, size_t cap)
{
	uint8_t *nw;

	if (s->mem != NULL || s->ahead != NULL || s->mapped || cap <= s->cap)
		return 0;	/* read ahead: chunks of their own size */
	if ((nw = dt_realloc(s->m, s->win, cap)) == NULL) {
		s->nomem = 1;
		return -1;
	}
	s->win = nw;
	s->cap = cap;
	return 0;
}

void
dt_src_end(struct dt_src *s, ptrdiff_t k)
{
	if (k < 0)
		s->err = k >= -4095 ? (int)-k : EIO;
	s->eof = 1;
}

/* One read into the window's free space; 0 at the end or on an error. */
static size_t
fill(struct dt_src *s)
{
	ptrdiff_t k;

	k = s->read(s->win + s->end, s->cap - s->end, s->payload);
	if (k <= 0 || (size_t)k > s->cap - s->end) {
		dt_src_end(s, k);	/* more than asked: the end */
		return 0;
	}
	s->end += (size_t)k;
	return (size_t)k;
}

size_t
dt_src_fetch(struct dt_src *s, size_t want, const uint8_t **p)
{
	size_t avail, ncap;

	if (s->mem != NULL) {
		avail = s->pos < s->mem_len ? s->mem_len - (size_t)s->pos : 0;
		*p = s->mem + (s->pos < s->mem_len ? s->pos : s->mem_len);
		return avail < want ? avail : want;
	}
	avail = s->end - s->beg;
	if (s->mapped && avail < want && !s->eof)
		avail = map_more(s, want);	/* 0 when it turned to read() */
	if (s->mapped) {
		*p = s->win + s->beg;
		return avail < want ? avail : want;
	}
	while (s->ahead != NULL && avail < want && !s->eof)
		avail += dt_ahead_more(s, avail);
	while (avail < want && !s->eof) {
		if (s->cap - s->beg < want && s->beg > 0) {
			memmove(s->win, s->win + s->beg, avail);
			s->beg = 0;
			s->end = avail;
		}
		if (s->end == s->cap) {
			ncap = s->cap ? s->cap * 2 : DT_CAP_IOBUF;
			/* a small file of known size needs no large window */
			if (s->cap == 0 && s->size != 0 && s->size < ncap)
				ncap = (size_t)s->size < want ? want :
				    (size_t)s->size;
			if (ncap <= s->cap || dt_src_reserve(s, ncap) != 0) {
				s->nomem = 1;
				break;
			}
		}
		avail += fill(s);
	}
	*p = s->win + s->beg;
	return avail < want ? avail : want;
}

ptrdiff_t
dt_src_read(struct dt_src *s, void *dst, size_t n)
{
	const uint8_t *p;
	size_t got;

	if (n > DT_CAP_IOBUF)
		n = DT_CAP_IOBUF;	/* the caller asks again for the rest */
	got = dt_src_fetch(s, n, &p);
	if (got == 0 && s->err)
		return -1;
	memcpy(dst, p, got);
	dt_src_consume(s, got);
	return (ptrdiff_t)got;
}

void
dt_src_close(struct dt_src *s)
{
	if (s->ahead != NULL)
		dt_ahead_free(s);	/* before the descriptor it reads */
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->mapped) {
		map_drop(s->old, s->old_len);
		map_drop(s->win, s->cap);
		s->old = s->win = NULL;
	}
	dt_free(s->m, s->win);
	s->win = NULL;
	s->cap = s->beg = s->end = 0;
}

ptrdiff_t
dt_src_read_fd(void *buf, size_t len, void *payload)
{
	int fd = *(const int *)payload;
	ssize_t k;

	do
		k = read(fd, buf, len);
	while (k < 0 && errno == EINTR);
	return k < 0 ? -(ptrdiff_t)(errno ? errno : EIO) : (ptrdiff_t)k;
}

ptrdiff_t
dt_src_read_fp(void *buf, size_t len, void *payload)
{
	FILE *fp = payload;
	size_t k;

	k = fread(buf, 1, len, fp);
	if (k == 0 && ferror(fp))
		return -(ptrdiff_t)(errno ? errno : EIO);
	return (ptrdiff_t)k;
}
