/*
 * IP fragment reassembly (RFC 791 3.2 for IPv4, RFC 8200 4.5 for IPv6; see
 * ipfrag.h for the key, the limits and the overlap policy). A datagram keeps
 * a buffer that grows to the highest byte seen and a sorted list of the byte
 * ranges received; a new fragment copies only the gaps it fills, so the
 * first copy of any byte wins. Only fragments allocate in net/.
 */
#include "net/ipfrag.h"

#include <string.h>

struct range {
	uint32_t s, e;			/* [s, e) */
};

struct ipfrag_dgram {
	struct ipfrag_dgram *prev, *next;
	struct ipfrag_key key;
	int64_t first_time;
	uint8_t *buf;
	uint32_t size;			/* bytes allocated at buf */
	uint32_t total;			/* length, once the last is seen */
	int total_known;
	int have_nh;
	uint8_t nh;
	unsigned nfrags;
	unsigned nranges;
	struct range r[IPFRAG_MAX_RANGES];
};

void
ipfrag_init(struct ipfrag *f, struct dt_mem *m, size_t cap)
{
	memset(f, 0, sizeof *f);
	f->m = m;
	f->cap = cap;
}

static void
unlink_dgram(struct ipfrag *f, struct ipfrag_dgram *d)
{
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		f->head = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	else
		f->tail = d->prev;
	f->held -= sizeof *d + d->size;
	f->count--;
}

/* Drop a datagram in progress; `extra` fragments (the one being added) are
 * counted with those it held. */
static void
drop_dgram(struct ipfrag *f, struct ipfrag_dgram *d, unsigned extra)
{
	unlink_dgram(f, d);
	f->dropped += d->nfrags + extra;
	dt_free(f->m, d->buf);
	dt_free(f->m, d);
}

void
ipfrag_fini(struct ipfrag *f)
{
	while (f->head != NULL) {
		struct ipfrag_dgram *d = f->head;

		unlink_dgram(f, d);
		dt_free(f->m, d->buf);
		dt_free(f->m, d);
	}
	dt_free(f->m, f->done);
	f->done = NULL;
}

/* Older than the timeout at `now`? Times are from the file: subtract
 * without overflow; a clock that stepped back expires nothing. */
static int
expired(const struct ipfrag_dgram *d, int64_t now)
{
	return now > d->first_time && (uint64_t)now - (uint64_t)d->first_time >
	    (uint64_t)IPFRAG_TIMEOUT_NS;
}

void
ipfrag_tick(struct ipfrag *f, int64_t now)
{
	if (f->done != NULL) {
		dt_free(f->m, f->done);
		f->done = NULL;
	}
	/* Per packet only the oldest is looked at; ipfrag_add() sweeps
	   the rest (after a clock step back the head may not be oldest). */
	while (f->head != NULL && expired(f->head, now))
		drop_dgram(f, f->head, 0);
}

static int
key_eq(const struct ipfrag_key *a, const struct ipfrag_key *b)
{
	return a->id == b->id && a->family == b->family &&
	    a->proto == b->proto && memcmp(a->src, b->src, 16) == 0 &&
	    memcmp(a->dst, b->dst, 16) == 0;
}

/* The datagram for k, dropping those that timed out on the way. */
static struct ipfrag_dgram *
find(struct ipfrag *f, const struct ipfrag_key *k, int64_t now)
{
	struct ipfrag_dgram *d, *prev, *hit = NULL;

	for (d = f->tail; d != NULL; d = prev) {
		prev = d->prev;
		if (expired(d, now))
			drop_dgram(f, d, 0);
		else if (hit == NULL && key_eq(&d->key, k))
			hit = d;
	}
	return hit;
}

/* Make room for `need` more bytes by dropping the oldest other datagrams. */
static int
make_room(struct ipfrag *f, const struct ipfrag_dgram *keep, size_t need)
{
	while (f->held + need > f->cap) {
		struct ipfrag_dgram *old = f->head;

		if (old == keep)
			old = old->next;
		if (old == NULL)
			return 0;
		drop_dgram(f, old, 0);
	}
	return 1;
}

/* Ranges after adding [s, e), merged; 0 when there would be too many. */
static int
merge(const struct ipfrag_dgram *d, uint32_t s, uint32_t e,
    struct range *out, unsigned *nout)
{
	unsigned i = 0, n = 0;
	int placed = (s == e);		/* an empty fragment adds no range */
	struct range cur;

	for (;;) {
		if (!placed && (i == d->nranges || s < d->r[i].s)) {
			cur.s = s;
			cur.e = e;
			placed = 1;
		} else if (i < d->nranges) {
			cur = d->r[i++];
		} else {
			break;
		}
		if (n > 0 && cur.s <= out[n - 1].e) {
			if (cur.e > out[n - 1].e)
				out[n - 1].e = cur.e;
		} else {
			if (n == IPFRAG_MAX_RANGES)
				return 0;
			out[n++] = cur;
		}
	}
	*nout = n;
	return 1;
}

int
ipfrag_add(struct ipfrag *f, const struct ipfrag_key *k, int64_t now,
    uint32_t off, const uint8_t *data, uint32_t len, int more, uint8_t nh,
    const uint8_t **out, uint32_t *outlen, uint8_t *out_nh,
    const char **why)
{
	struct ipfrag_dgram *d;
	struct range merged[IPFRAG_MAX_RANGES];
	unsigned i, nmerged;
	uint32_t e, pos;

	*why = NULL;
	if (off > IPFRAG_MAX_SIZE || len > IPFRAG_MAX_SIZE - off) {
		if ((d = find(f, k, now)) != NULL)
			drop_dgram(f, d, 0);
		f->dropped++;
		*why = "IP fragment ends past 65535 bytes";
		return IPFRAG_BAD;
	}
	e = off + len;

	if ((d = find(f, k, now)) == NULL) {
		if (f->count >= IPFRAG_MAX_DGRAMS)
			drop_dgram(f, f->head, 0);
		if (!make_room(f, NULL, sizeof *d)) {
			f->dropped++;
			return IPFRAG_DROPPED;
		}
		if ((d = dt_malloc(f->m, sizeof *d)) == NULL) {
			f->dropped++;
			return IPFRAG_NOMEM;
		}
		memset(d, 0, sizeof *d);
		d->key = *k;
		d->first_time = now;
		d->prev = f->tail;
		if (f->tail != NULL)
			f->tail->next = d;
		else
			f->head = d;
		f->tail = d;
		f->held += sizeof *d;
		f->count++;
	}

	/* The datagram's length must agree between fragments. */
	if (!more) {
		if ((d->total_known && d->total != e) ||
		    (d->nranges > 0 && d->r[d->nranges - 1].e > e)) {
			drop_dgram(f, d, 1);
			*why = "IP fragments disagree on the datagram length";
			return IPFRAG_BAD;
		}
		d->total = e;
		d->total_known = 1;
	} else if (d->total_known && e > d->total) {
		drop_dgram(f, d, 1);
		*why = "IP fragment past the end of its datagram";
		return IPFRAG_BAD;
	}

	if (!merge(d, off, e, merged, &nmerged)) {
		drop_dgram(f, d, 1);
		return IPFRAG_DROPPED;
	}

	if (e > d->size) {
		uint32_t want;
		uint8_t *nb;

		if (d->total_known) {
			want = d->total;
		} else {
			want = d->size * 2;
			if (want < 2048)
				want = 2048;
			if (want > IPFRAG_MAX_SIZE)
				want = IPFRAG_MAX_SIZE;
			if (want < e)
				want = e;
		}
		if (!make_room(f, d, want - d->size)) {
			drop_dgram(f, d, 1);
			return IPFRAG_DROPPED;
		}
		if ((nb = dt_realloc(f->m, d->buf, want)) == NULL) {
			drop_dgram(f, d, 1);
			return IPFRAG_NOMEM;
		}
		f->held += want - d->size;
		d->buf = nb;
		d->size = want;
	}

	/* Copy only the gaps: the first copy of a byte wins. */
	pos = off;
	for (i = 0; i < d->nranges && pos < e; i++) {
		if (d->r[i].e <= pos)
			continue;
		if (d->r[i].s >= e)
			break;
		if (d->r[i].s > pos)
			memcpy(d->buf + pos, data + (pos - off), d->r[i].s - pos);
		pos = d->r[i].e;
	}
	if (pos < e)
		memcpy(d->buf + pos, data + (pos - off), e - pos);
	memcpy(d->r, merged, nmerged * sizeof merged[0]);
	d->nranges = nmerged;
	d->nfrags++;
	if (off == 0 && !d->have_nh) {
		d->nh = nh;
		d->have_nh = 1;
	}

	if (!d->total_known || d->nranges != 1 || d->r[0].s != 0 ||
	    d->r[0].e != d->total)
		return IPFRAG_HELD;

	/* Complete: the buffer moves to f->done until the next tick. */
	dt_free(f->m, f->done);
	f->done = d->buf;
	*out = d->buf;
	*outlen = d->total;
	*out_nh = d->nh;
	unlink_dgram(f, d);
	dt_free(f->m, d);
	return IPFRAG_DONE;
}
