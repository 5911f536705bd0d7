/*
 * tls/state: what the record layer (record.c) and the handshake decoders
 * (handshake.c) both write: frame maps (stream position -> frame, so a
 * record or message is shown in the frame that completed it, as Wireshark
 * does), growable buffers under the memory cap, timeline events, and the
 * direction's malformed fact.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tls/tls_int.h"

void
dt_tls_fmap_add(struct dt_mem *m, struct fmap *f, uint64_t pos,
    uint64_t frame, int64_t time)
{
	struct fmark *v;
	uint32_t cap;

	if (f->n > 0 && f->v[f->n - 1].frame == frame)
		return;
	if (f->n > 0 && f->v[f->n - 1].pos == pos) {
		f->v[f->n - 1].frame = frame;
		f->v[f->n - 1].time = time;
		return;
	}
	if (f->n == FMAP_MAX)
		return;		/* later bytes keep the last frame known */
	if (f->v == NULL) {
		f->v = f->in;
		f->cap = FMAP_IN;
	}
	if (f->n == f->cap) {
		cap = 2 * f->cap;
		if (cap > FMAP_MAX)
			cap = FMAP_MAX;
		if (f->v == f->in) {
			if ((v = dt_malloc(m, cap * sizeof *v)) == NULL)
				return;
			memcpy(v, f->in, sizeof f->in);
		} else if ((v = dt_realloc(m, f->v, cap * sizeof *v)) == NULL)
			return;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n].pos = pos;
	f->v[f->n].frame = frame;
	f->v[f->n].time = time;
	f->n++;
}

void
dt_tls_fmap_free(struct dt_mem *m, struct fmap *f)
{
	if (f->v != f->in)
		dt_free(m, f->v);
	f->v = NULL;
	f->n = f->cap = 0;
}

void
dt_tls_fmap_drop(struct fmap *f, uint64_t pos)
{
	uint32_t i = 0;

	while (i + 1 < f->n && f->v[i + 1].pos <= pos)
		i++;
	if (i > 0) {
		memmove(f->v, f->v + i, (f->n - i) * sizeof f->v[0]);
		f->n -= i;
	}
}

int
dt_tls_grow(struct dt_mem *m, uint8_t **buf, size_t *cap, size_t need)
{
	size_t ncap;
	uint8_t *nb;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 512;
	while (ncap < need)
		ncap *= 2;
	nb = dt_realloc(m, *buf, ncap);
	if (nb == NULL)
		return -1;
	*buf = nb;
	*cap = ncap;
	return 0;
}

int
dt_tls_reserve(struct dt_mem *m, uint8_t **buf, size_t *cap, size_t need)
{
	uint8_t *nb;

	if (need <= *cap)
		return 0;
	if ((nb = dt_realloc(m, *buf, need)) == NULL)
		return -1;
	*buf = nb;
	*cap = need;
	return 0;
}

void
dt_tls_resynced(struct dt_tls *t, struct dt_conn *c, int dir,
    const struct fmark *fm, uint64_t skipped)
{
	struct dt_tls_rare *rf;

	if (dt_tls_rare(c->tls)->resync_frame == 0 &&
	    (rf = dt_tls_rare_make(t->m, c->tls)) != NULL) {
		rf->resync_frame = fm->frame;
		rf->resync_dir = (uint8_t)dir;
		rf->resync_skipped = skipped;
	}
	dt_tls_event(t, c, DT_EV_TLS_RESYNC, dir, fm->frame, fm->time, 0,
	    skipped > UINT32_MAX ? UINT32_MAX : (uint32_t)skipped);
}

void
dt_tls_malformed(struct dt_tls *t, struct dt_conn *c, int dir, uint64_t frame,
    int64_t time, const char *fmt, ...)
{
	struct dt_tls_rare *rf;
	char msg[256];
	va_list ap;

	if ((rf = dt_tls_rare_make(t->m, c->tls)) == NULL)
		return;
	rf->n_violations++;
	if (rf->malformed != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	rf->malformed = dt_strdup(t->m, msg);
	rf->malformed_frame = frame;
	rf->malformed_dir = (uint8_t)dir;
	dt_tls_event(t, c, DT_EV_TLS_MALFORMED, dir, frame, time, 0, 0);
}

int
dt_tls_take(struct dt_tls *t, struct tdir *d, const uint8_t **p, size_t *n,
    size_t want, uint64_t frame, int64_t time)
{
	size_t k;

	if (d->len >= want)
		return 1;
	k = want - d->len;
	if (k > *n)
		k = *n;
	if (k == 0)
		return 0;
	if (dt_tls_grow(t->m, &d->buf, &d->cap, d->len + k) < 0) {
		stop(d);
		return 0;
	}
	dt_tls_fmap_add(t->m, &d->bmap, d->len, frame, time);
	memcpy(d->buf + d->len, *p, k);
	d->len += k;
	*p += k;
	*n -= k;
	return d->len >= want;
}

void
dt_tls_consume(struct tdir *d, size_t k)
{
	size_t i;

	if (k >= d->len) {
		unit_reset(d);
		return;
	}
	memmove(d->buf, d->buf + k, d->len - k);
	d->len -= k;
	dt_tls_fmap_drop(&d->bmap, k);
	for (i = 0; i < d->bmap.n; i++)
		d->bmap.v[i].pos = d->bmap.v[i].pos > k ?
		    d->bmap.v[i].pos - k : 0;
}
