/*
 * Reading ahead: a thread of the source's own calls its read function
 * into a ring of chunks while the analysis judges the chunk before. On a
 * file the kernel's copy out of the page cache - a third of a run's CPU
 * on the bench day - then runs on a second core; on an archive member,
 * the unpacking does. The analysis reads the chunk in place, as it reads
 * its own window: each chunk has room in front for the tail of a record
 * that straddles two, copied there when the next chunk is taken. A tail
 * longer than the room goes to a window of the source's own, grown only
 * by bytes really read, with the chunks copied after it until a record
 * ends inside one again.
 *
 * Nothing the analysis sees changes: the same bytes at the same offsets,
 * the same end, the same read error after the bytes before it. The
 * thread calls the read function and touches nothing else; the ring's
 * counters are the only state both threads change, under one mutex.
 * The ring (2.4 MiB) is a mapping of its own, as the thread's stack is,
 * outside the memory cap and the caller's allocator: from a heap it left
 * a hole that the report's allocations filled and grew around (the 2
 * GiB day's text report peaked 3-4 MiB higher than without reading
 * ahead). Our own window comes from the caller's allocator, outside the
 * cap too; the window the source read the format's header into stays,
 * counted as before, so the cap judges the analysis alike with or
 * without reading ahead.
 */
#include "capture/capture_int.h"

#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "util/mem.h"

#define AHEAD_N 4			/* chunks in the ring */
#define AHEAD_CHUNK (512 * 1024)	/* bytes one fill reads (256 KiB:
					   7 % more wall time on the 400 MB
					   bench day, 1 MiB: no better) */
#define AHEAD_ROOM (96 * 1024)		/* in front: the tail of a record */
#define AHEAD_WAKE 2			/* a full ring's thread sleeps until
					   this many are free: half the
					   wake-ups (a futex call each) */

struct chunk {
	uint8_t *p;			/* AHEAD_ROOM + AHEAD_CHUNK bytes */
	size_t len;			/* bytes read, at p + AHEAD_ROOM */
	ptrdiff_t rc;			/* 1: more to come, 0: the end,
					   < 0: -errno after these bytes */
};

/*
 * The thread fills chunk `filled % AHEAD_N` while fewer than AHEAD_N are
 * filled and not yet given back; the analysis takes them in order and
 * gives each back once it moved past it (the oldest first). A chunk's
 * bytes are the thread's until `filled` passes it, then the analysis's
 * until `freed` does.
 */
struct dt_ahead {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* a chunk filled, or given back */
	dt_read_fn read;
	void *payload;
	struct chunk c[AHEAD_N];
	unsigned filled, taken, freed;	/* only grow; under mu (the
					   analysis alone changes taken
					   and freed, and reads them
					   without it) */
	int stop;			/* under mu */
	int idle;			/* the thread waits for AHEAD_WAKE
					   free chunks; under mu */

	/* the analysis's own */
	struct dt_mem mem;		/* the caller's allocator, no cap */
	uint8_t *first;			/* the source's window before */
	size_t first_cap;
	ptrdiff_t rc;			/* the last chunk taken's (1 before
					   any): <= 0, the end was taken */
	uint8_t *own;			/* window for longer records */
	size_t own_cap;
};

static void *
ahead_main(void *arg)
{
	struct dt_ahead *a = arg;
	struct chunk *c;
	ptrdiff_t k;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		if (a->filled - a->freed == AHEAD_N) {
			a->idle = 1;
			while (!a->stop &&
			    a->filled - a->freed > AHEAD_N - AHEAD_WAKE)
				pthread_cond_wait(&a->cv, &a->mu);
			a->idle = 0;
		}
		if (a->stop)
			break;
		c = &a->c[a->filled % AHEAD_N];
		pthread_mutex_unlock(&a->mu);
		c->len = 0;
		do {
			k = a->read(c->p + AHEAD_ROOM + c->len,
			    AHEAD_CHUNK - c->len, a->payload);
			if (k > 0 && (size_t)k > AHEAD_CHUNK - c->len)
				k = 0;	/* more than asked: the end, as
					   src.c's fill() reads it */
			if (k > 0)
				c->len += (size_t)k;
		} while (k > 0 && c->len < AHEAD_CHUNK);
		c->rc = k > 0 ? 1 : k;
		pthread_mutex_lock(&a->mu);
		a->filled++;
		pthread_cond_broadcast(&a->cv);
		if (k <= 0)
			break;
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

static struct chunk *
take(struct dt_ahead *a)
{
	struct chunk *c;

	pthread_mutex_lock(&a->mu);
	while (a->filled == a->taken)
		pthread_cond_wait(&a->cv, &a->mu);
	c = &a->c[a->taken++ % AHEAD_N];
	pthread_mutex_unlock(&a->mu);
	return c;
}

static void
give_back(struct dt_ahead *a)
{
	pthread_mutex_lock(&a->mu);
	a->freed++;
	if (a->idle && a->filled - a->freed <= AHEAD_N - AHEAD_WAKE)
		pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

#define RING_BYTES	((size_t)AHEAD_N * (AHEAD_ROOM + AHEAD_CHUNK))

static int
chunks_map(struct dt_ahead *a)
{
	uint8_t *p;
	int i;

	p = mmap(NULL, RING_BYTES, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	for (i = 0; i < AHEAD_N; i++)
		a->c[i].p = p + (size_t)i * (AHEAD_ROOM + AHEAD_CHUNK);
	return 0;
}

static void
chunks_unmap(struct dt_ahead *a)
{
	if (a->c[0].p != NULL)
		(void)munmap(a->c[0].p, RING_BYTES);
}

int
dt_src_ahead(struct dt_src *s)
{
	struct dt_ahead *a;
	struct dt_mem mem;

	if (s->mem != NULL || s->read == NULL || s->ahead != NULL ||
	    s->may_block || s->eof)
		return -1;
	dt_mem_reader(&mem, s->m);
	if ((a = dt_calloc(&mem, 1, sizeof *a)) == NULL)
		return -1;
	a->mem = mem;
	a->read = s->read;
	a->payload = s->payload;
	a->rc = 1;
	if (chunks_map(a) != 0)
		goto fail;
	if (pthread_mutex_init(&a->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&a->cv, NULL) != 0)
		goto fail_mu;
	if (pthread_create(&a->thread, NULL, ahead_main, a) != 0)
		goto fail_cv;
	/* the window keeps what it read ahead of us (a format's header)
	   until the first chunk is taken, and stays allocated */
	a->first = s->win;
	a->first_cap = s->cap;
	s->ahead = a;
	return 0;
fail_cv:
	pthread_cond_destroy(&a->cv);
fail_mu:
	pthread_mutex_destroy(&a->mu);
fail:
	chunks_unmap(a);
	mem = a->mem;
	dt_free(&mem, a);
	return -1;
}

/* The window's `avail` bytes, then chunk c's, in our own window. 0, or
   -1 when it cannot grow. */
static int
own_append(struct dt_src *s, struct dt_ahead *a, const struct chunk *c,
    size_t avail)
{
	size_t need = avail + c->len, ncap;
	uint8_t *nw;

	if (s->win != a->own || s->cap - s->beg < need) {
		if (a->own_cap < need) {
			ncap = a->own_cap * 2 > need ? a->own_cap * 2 : need;
			if ((nw = dt_malloc(&a->mem, ncap)) == NULL)
				return -1;
			memcpy(nw, s->win + s->beg, avail);
			dt_free(&a->mem, a->own);  /* (the window, or unused) */
			a->own = nw;
			a->own_cap = ncap;
		} else if (avail > 0) {
			memmove(a->own, s->win + s->beg, avail);
		}
		s->win = a->own;
		s->beg = 0;
		s->end = avail;
		s->cap = a->own_cap;
	}
	memcpy(s->win + s->end, c->p + AHEAD_ROOM, c->len);
	s->end += c->len;
	return 0;
}

size_t
dt_ahead_more(struct dt_src *s, size_t avail)
{
	struct dt_ahead *a = s->ahead;
	struct chunk *c;
	size_t len;
	/* the window is the chunk taken before: chunks go back in order,
	   and none is held while the window is our own */
	int held = a->taken != a->freed;

	if (a->rc <= 0) {
		dt_src_end(s, a->rc);	/* after the bytes, as in place */
		return 0;
	}
	c = take(a);
	a->rc = c->rc;
	if (avail <= AHEAD_ROOM) {
		/* the usual case: the tail in front, the chunk the window */
		if (avail > 0)
			memcpy(c->p + AHEAD_ROOM - avail, s->win + s->beg,
			    avail);
		if (held)
			give_back(a);
		s->win = c->p;
		s->beg = AHEAD_ROOM - avail;
		s->end = AHEAD_ROOM + c->len;
		s->cap = AHEAD_ROOM + AHEAD_CHUNK;
		return c->len;
	}
	if (own_append(s, a, c, avail) != 0) {
		/* the window cannot grow: as without reading ahead, the
		   end; the chunks stay taken until the source closes */
		s->nomem = 1;
		a->rc = 0;
		return 0;
	}
	len = c->len;		/* c is the thread's once given back */
	if (held)
		give_back(a);	/* the window was it, now copied */
	give_back(a);		/* c, copied */
	return len;
}

void
dt_ahead_free(struct dt_src *s)
{
	struct dt_ahead *a = s->ahead;
	struct dt_mem mem = a->mem;

	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	chunks_unmap(a);
	dt_free(&mem, a->own);
	/* the source frees its first window as it would have */
	s->win = a->first;
	s->cap = a->first_cap;
	s->beg = s->end = 0;
	dt_free(&mem, a);
	s->ahead = NULL;
}
