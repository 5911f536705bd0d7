/*
 * flow/reasm: one direction of a TCP connection put back in order
 * (RFC 9293 3.10.7.4, "segment text"), and delivered to the sinks.
 *
 * Sequence numbers are compared as serial numbers (RFC 1982), so a stream
 * may wrap 2^32. In-order bytes go out at once; segments ahead of the next
 * expected byte wait in a sorted queue of non-overlapping pieces under
 * stream_cap bytes. Where copies overlap, the first copy received wins: it
 * is what the receiving stack most likely kept (a retransmission carries
 * the same bytes, and a host that already queued data does not replace it)
 * and it is what Wireshark shows; every later copy that overlaps is counted
 * as a retransmission by the caller. A hole becomes a gap (never invented
 * bytes) when the peer's ACK shows the receiver got past it, when the
 * buffer cannot wait for it any longer, or when the connection ends.
 *
 * Delivery is one loop over the sinks (flow.h): each gets the bytes or the
 * gap in turn until it says it is done with the direction; when all are,
 * the direction switches to counting mode, which keeps no bytes, only which
 * ranges above next were seen (so a copy of them still counts as a
 * retransmission).
 */
#include "flow/flow_int.h"

#include <string.h>

#include "util/rd.h"

static unsigned
all_sinks(const struct dt_flow *f)
{
	return (1u << f->n_sinks) - 1;
}

void
reasm_init(struct flow *fl)
{
	TAILQ_INIT(&fl->h[0].ooo);
	TAILQ_INIT(&fl->h[1].ooo);
}

/* ---- delivery ----------------------------------------------------------- */

/* A sink without gap() cannot read across a hole: it is done with dir. */
void
reasm_deliver_gap(struct dt_flow *f, struct flow *fl, int dir, uint32_t n,
    uint64_t frame, int64_t time)
{
	struct half *h = &fl->h[dir];
	unsigned i;

	if (n == 0)
		return;
	h->next += n;
	dt_conn_gap_add(f->m, fl->c, dir, n);
	dt_conn_add_event(f->m, fl->c, DT_EV_GAP, (uint8_t)dir, frame, time,
	    0, n);
	for (i = 0; i < f->n_sinks; i++) {
		struct sink *s = &f->sinks[i];

		if (h->off & 1u << i)
			continue;
		if (s->s.gap == NULL || !s->s.gap(s->payload, fl->c,
		    &fl->state[i], dir, n, frame)) {
			h->off |= (uint8_t)(1u << i);
			fl->settle = 1;
		}
	}
}

void
reasm_deliver_part(struct dt_flow *f, struct flow *fl, int dir,
    const uint8_t *p, uint32_t caplen, uint32_t len, uint32_t off,
    uint64_t frame, int64_t time)
{
	uint32_t present = caplen > off ? caplen - off : 0;
	struct rd r = rd_make(p, caplen);

	rd_skip(&r, off < caplen ? off : caplen);
	reasm_deliver(f, fl, dir, r.p, present, frame, time);
	if (len - off > present) {
		fl->c->truncated = 1;
		reasm_deliver_gap(f, fl, dir, len - off - present, frame, time);
	}
}

/* ---- the queue of waiting pieces ---------------------------------------- */

static void
seg_free(struct dt_flow *f, struct half *h, struct seg *s)
{
	TAILQ_REMOVE(&h->ooo, s, link);
	h->pieces--;
	h->buffered -= s->caplen;
	f->budget.buffered -= s->caplen;
	dt_free(f->m, s);
}

/* Deliver buffered pieces that are now in order. */
void
reasm_drain(struct dt_flow *f, struct flow *fl, int dir)
{
	struct half *h = &fl->h[dir];
	struct seg *s;

	while ((s = TAILQ_FIRST(&h->ooo)) != NULL && seq_le(s->seq, h->next)) {
		if (seq_lt(h->next, s->seq + s->len))
			reasm_deliver_part(f, fl, dir, s->data, s->caplen,
			    s->len, h->next - s->seq, s->frame, s->time);
		seg_free(f, h, s);
	}
}

/* Skip the hole before the first buffered piece (as a gap) and drain. */
void
reasm_skip_hole(struct dt_flow *f, struct flow *fl, int dir)
{
	struct half *h = &fl->h[dir];
	struct seg *s = TAILQ_FIRST(&h->ooo);

	if (s == NULL)
		return;
	if (seq_lt(h->next, s->seq))
		reasm_deliver_gap(f, fl, dir, s->seq - h->next, s->frame,
		    s->time);
	reasm_drain(f, fl, dir);
}

int
reasm_fits(const struct dt_flow *f, const struct half *h, uint32_t cap)
{
	return h->buffered + cap + (h->pieces + 1) * FLOW_SEG_COST <=
	    f->stream_cap &&
	    dt_flow_buffer_room(&f->budget, cap + sizeof(struct seg));
}

/*
 * Buffer [seq, seq+len) ahead of h->next, trimmed against what is already
 * buffered (the earlier copy wins). Returns 1 when any byte overlapped.
 */
int
reasm_buffer(struct dt_flow *f, struct flow *fl, int dir, uint32_t seq,
    const uint8_t *p, uint32_t caplen, uint32_t len, uint64_t frame,
    int64_t time)
{
	struct half *h = &fl->h[dir];
	struct seg *x, *n, *last = TAILQ_LAST(&h->ooo, segq);
	uint32_t cur = seq, end = seq + len, a, b, pres;
	int overlap = 0;

	/* ahead of everything waiting (the usual case): start at the end */
	x = TAILQ_FIRST(&h->ooo);
	if (last != NULL && seq_le(last->seq + last->len, seq))
		x = NULL;
	while (seq_lt(cur, end)) {
		if (x != NULL && seq_le(x->seq + x->len, cur)) {
			x = TAILQ_NEXT(x, link);
			continue;
		}
		a = cur;
		b = end;
		if (x != NULL && seq_lt(x->seq, b))
			b = x->seq;
		if (x != NULL && seq_le(x->seq, cur)) {
			/* cur lies inside x: the earlier copy wins */
			overlap = 1;
			cur = x->seq + x->len;
			x = TAILQ_NEXT(x, link);
			continue;
		}
		/* piece [a, b) fits before x */
		pres = 0;
		if (seq_lt(a, seq + caplen))
			pres = (seq_lt(b, seq + caplen) ? b : seq + caplen) - a;
		if (!dt_flow_buffer_room(&f->budget, sizeof *n + pres) ||
		    (n = dt_malloc(f->m, sizeof *n + pres)) == NULL) {
			f->cap->dropped_bytes += pres;
			/* no memory: let the hole become a gap later */
			return overlap;
		}
		n->seq = a;
		n->len = b - a;
		n->caplen = pres;
		n->frame = frame;
		n->time = time;
		if (pres > 0) {
			struct rd r = rd_make(p, caplen);
			rd_skip(&r, a - seq);
			rd_copy(&r, n->data, pres);
		}
		if (x != NULL)
			TAILQ_INSERT_BEFORE(x, n, link);
		else
			TAILQ_INSERT_TAIL(&h->ooo, n, link);
		h->pieces++;
		h->buffered += pres;
		f->budget.buffered += pres;
		cur = b;
	}
	return overlap;
}

/*
 * A segment starting at next: what lies before the first waiting piece goes
 * out now, the rest is trimmed against the waiting pieces (earlier copies
 * win) and waits for reasm_drain(). 1 when a copy of waiting bytes came
 * along, which starts at *at.
 */
int
reasm_in_order(struct dt_flow *f, struct flow *fl, int dir, uint32_t seq,
    const uint8_t *p, uint32_t cap, uint32_t len, const struct dt_packet *pkt,
    uint32_t *at)
{
	struct half *h = &fl->h[dir];
	struct seg *first = TAILQ_FIRST(&h->ooo);
	uint32_t k, kc;
	struct rd r;

	if (first == NULL || seq_le(seq + len, first->seq)) {
		/* the fast path: nothing waits past it */
		reasm_deliver_part(f, fl, dir, p, cap, len, 0, pkt->frame,
		    pkt->time);
		return 0;
	}
	k = first->seq - seq;
	*at = first->seq;
	kc = cap < k ? cap : k;
	reasm_deliver_part(f, fl, dir, p, kc, k, 0, pkt->frame, pkt->time);
	r = rd_make(p, cap);
	rd_skip(&r, kc);
	return reasm_buffer(f, fl, dir, seq + k, r.p, cap - kc, len - k,
	    pkt->frame, pkt->time);
}

/* ---- holes the receiver passed ------------------------------------------ */

void
reasm_acked(struct dt_flow *f, struct flow *fl, int dir, uint32_t lim,
    uint64_t frame, int64_t time)
{
	struct half *h = &fl->h[dir];

	if (h->counting) {
		uint32_t lo = h->next;

		/* the receiver has all before lim: that is seen too */
		h->next = lim;
		reasm_ranges_add(h, lo, lim);
		return;
	}
	while (seq_lt(h->next, lim)) {
		struct seg *s = TAILQ_FIRST(&h->ooo);
		uint32_t to = lim;

		if (s != NULL && seq_lt(s->seq, to))
			to = s->seq;
		if (seq_lt(h->next, to))
			reasm_deliver_gap(f, fl, dir, to - h->next, frame, time);
		reasm_drain(f, fl, dir);	/* takes s: it starts at next now */
	}
}

/* ---- counting mode ------------------------------------------------------ */

/*
 * Adds [a, b) (a at or above next); returns 1 when it overlapped a range.
 * With more ranges than FLOW_RANGES the lowest hole is given up.
 */
int
reasm_ranges_add(struct half *h, uint32_t a, uint32_t b)
{
	uint32_t rs[FLOW_RANGES + 1], re[FLOW_RANGES + 1];
	unsigned i, n = 0;
	int overlap = 0, placed = 0;

	if (h->nr == 0 && a == h->next) {	/* the usual: in order */
		h->next = b;
		return 0;
	}
	for (i = 0; i < h->nr; i++) {
		if (seq_lt(h->re[i], a) || seq_lt(b, h->rs[i])) {
			if (!placed && seq_lt(b, h->rs[i])) {
				rs[n] = a;
				re[n++] = b;
				placed = 1;
			}
			rs[n] = h->rs[i];
			re[n++] = h->re[i];
			continue;
		}
		if (seq_lt(h->rs[i], b) && seq_lt(a, h->re[i]))
			overlap = 1;
		if (seq_lt(h->rs[i], a))
			a = h->rs[i];
		if (seq_lt(b, h->re[i]))
			b = h->re[i];
	}
	if (!placed) {
		rs[n] = a;
		re[n++] = b;
	}
	if (n > FLOW_RANGES) {		/* the lowest hole is passed */
		h->next = re[0];
		memmove(rs, rs + 1, (n - 1) * sizeof rs[0]);
		memmove(re, re + 1, (n - 1) * sizeof re[0]);
		n--;
	}
	memcpy(h->rs, rs, n * sizeof rs[0]);
	memcpy(h->re, re, n * sizeof re[0]);
	h->nr = (uint8_t)n;
	/* ranges that next reached are passed */
	while (h->nr > 0 && seq_le(h->rs[0], h->next)) {
		if (seq_lt(h->next, h->re[0]))
			h->next = h->re[0];
		h->nr--;
		memmove(h->rs, h->rs + 1, h->nr * sizeof h->rs[0]);
		memmove(h->re, h->re + 1, h->nr * sizeof h->re[0]);
	}
	return overlap;
}

void
reasm_free(struct dt_flow *f, struct flow *fl, int dir)
{
	struct half *h = &fl->h[dir];
	struct seg *s;

	while ((s = TAILQ_FIRST(&h->ooo)) != NULL)
		seg_free(f, h, s);
}

/* Stop reassembling a direction: only counts from here on. */
static void
to_counting(struct dt_flow *f, struct flow *fl, int dir)
{
	struct half *h = &fl->h[dir];
	struct seg *s;

	TAILQ_FOREACH(s, &h->ooo, link)
		reasm_ranges_add(h, s->seq, s->seq + s->len);
	reasm_free(f, fl, dir);
	h->counting = 1;
}

void
reasm_to_counting(struct dt_flow *f, struct flow *fl)
{
	int d;

	for (d = 0; d < 2; d++)
		if (!fl->h[d].counting && fl->h[d].off == all_sinks(f))
			to_counting(f, fl, d);
}

/* Everything buffered goes out, holes as gaps; then up to the FIN. */
void
reasm_flush(struct dt_flow *f, struct flow *fl, int dir, uint64_t frame,
    int64_t time)
{
	struct half *h = &fl->h[dir];

	if (h->counting)
		return;
	while (!TAILQ_EMPTY(&h->ooo))
		reasm_skip_hole(f, fl, dir);
	if (h->fin && h->started && seq_lt(h->next, h->fin_seq) &&
	    h->fin_seq - h->next < (1u << 30))
		reasm_deliver_gap(f, fl, dir, h->fin_seq - h->next, frame,
		    time);
}
