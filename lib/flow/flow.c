/*
 * flow/: connections and TCP reassembly (RFC 9293), with the DNS and plain
 * HTTP side observations (see flow.h for the contract).
 *
 * Table: open addressing with linear probing over pointers to per-connection
 * state, keyed by the 5-tuple with both directions folded (the lower
 * address:port first), backward-shift deletion, grown at half load. One
 * allocation per connection; nothing per packet on the in-order path.
 *
 * Reassembly per direction: sequence numbers are compared as serial numbers
 * (RFC 1982), so a stream may wrap 2^32. In-order bytes go out at once;
 * segments ahead of the next expected byte wait in a sorted list of
 * non-overlapping pieces under stream_cap bytes. Where copies overlap, the
 * first copy received wins: it is what the receiving stack most likely kept
 * (a retransmission carries the same bytes, and a host that already queued
 * data does not replace it) and it is what Wireshark shows; every later
 * copy that overlaps is counted as a retransmission. A hole becomes a gap
 * (never invented bytes) when the peer's ACK shows the receiver got past it,
 * when the buffer cannot wait for it any longer, or when the connection
 * ends.
 *
 * Ended connections (RST, FIN both ways, a new SYN, idle timeout, memory
 * cap, dt_flow_finish) are reported to the sink and their buffers freed; a
 * small tombstone stays in the table for a while so that stray packets
 * after the end (the last ACK, a repeated RST, a SYN retried with the same
 * ISN) count for the old connection instead of creating a new one.
 */
#include "flow/flow.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/rd.h"

#define NS			((int64_t)1000000000)
#define IDLE_DEFAULT		(600 * NS)
#define TOMB_TIMEOUT		(60 * NS)
#define DUP_WINDOW		(1000000)	/* 1 ms: the same segment twice */
#define OOO_WINDOW		(3000000)	/* 3 ms: reordered, not resent */
#define STREAM_CAP_DEFAULT	(256 * 1024)
#define TABLE_MIN		1024
#define HTTP_MAX_HEADS		32		/* per direction */
#define RANGES			8		/* counting mode: seen ranges */
#define SEG_COST		64	/* budget per waiting piece: its header */
#define HTTP_PENDING		8
#define DNS_BUCKETS		256
#define DNS_WAYS		4
#define DT_FLOW_MAX_SEGMENT	(1u << 20)	/* larger is not one segment */

struct seg {				/* an out-of-order piece */
	struct seg *next;
	uint32_t seq;
	uint32_t len;			/* sequence space it covers */
	uint32_t caplen;		/* bytes present (a prefix) */
	uint64_t frame;
	int64_t time;
	uint8_t data[];
};

struct half {				/* one direction of a connection */
	uint32_t isn;			/* its SYN's sequence number */
	uint32_t start;			/* sequence number of stream byte 0 */
	uint32_t next;			/* next byte expected */
	uint32_t max_end;		/* highest end seen */
	int64_t max_time;		/* when max_end last grew */
	uint32_t fin_seq;		/* sequence number of the FIN */
	uint8_t has_isn, started, fin, zero_win;
	uint8_t sink_off;		/* the sink wants no more bytes */
	uint8_t counting;		/* no reassembly any more */
	uint8_t nr;			/* counting: ranges seen above next */
	uint32_t rs[RANGES], re[RANGES];
	struct seg *ooo;		/* sorted, non-overlapping */
	struct seg *ooo_tail;		/* the last piece: in-order appends */
	size_t buffered;		/* payload bytes in ooo */
	size_t pieces;

	/* the previous segment, to merge duplicates within DUP_WINDOW */
	uint32_t last_seq, last_ack, last_len;
	uint8_t last_flags, last_valid;
	int64_t last_time;

	/* plain HTTP head sniffing */
	uint8_t http_done;
	uint8_t http_heads;
	uint64_t http_skip;		/* body bytes to pass over */
	uint8_t *http_buf;
	size_t http_len;
};

struct flow {
	struct flow *prev, *next;	/* LRU (live) or end order (tombs) */
	struct dt_conn *c;
	void *app;
	struct dt_addr addr[2];		/* key: lower endpoint first */
	uint16_t port[2];
	uint32_t hash;
	uint8_t cli;			/* index of the client in addr/port */
	uint8_t ended;			/* a tombstone */
	uint8_t synack, data, rst, closing, head_req;
	uint8_t dns_tcp;		/* port 53: DNS, not HTTP, is looked for */
	int64_t last_time;
	int64_t syn_time;		/* the first SYN */
	int64_t irtt;			/* SYN to the handshake's ACK, 0: unknown */
	struct half h[2];		/* DT_C2S, DT_S2C */
	struct dt_http *pending[HTTP_PENDING];	/* requests awaiting answers */
	unsigned n_pending;
};

struct list {
	struct flow *head, *tail;
	size_t n;
};

struct dns_pending {
	struct dt_dns *rec;		/* NULL: free slot */
	struct dt_addr client;
	uint16_t port, txid;
	int64_t time;
};

struct dt_flow {
	struct dt_capture *cap;
	struct dt_mem *m;
	struct dt_flow_sink sink;
	int has_sink;
	uint16_t ports[DT_MAX_PORTS + 1];
	size_t stream_cap;
	int64_t idle;
	int64_t tomb_timeout;
	uint32_t seed;

	struct flow **slots;
	size_t nslots, nused;
	struct list live, tombs;
	size_t buffered;

	struct dns_pending dns[DNS_BUCKETS][DNS_WAYS];
};

/* ---- helpers ------------------------------------------------------------ */

static int
seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static int
seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/* Constant lengths: the compiler compares in registers (a call to memcmp
   per probe was 2% of the work). */
static int
addr_cmp(const struct dt_addr *a, uint16_t pa, const struct dt_addr *b,
    uint16_t pb)
{
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	r = a->family == 6 ? memcmp(a->a, b->a, 16) : memcmp(a->a, b->a, 4);
	if (r != 0)
		return r;
	return pa == pb ? 0 : pa < pb ? -1 : 1;
}

static int
addr_eq(const struct dt_addr *a, const struct dt_addr *b)
{
	if (a->family != b->family)
		return 0;
	return a->family == 6 ? memcmp(a->a, b->a, 16) == 0 :
	    memcmp(a->a, b->a, 4) == 0;
}

/* murmur3's finaliser over the folded key */
static uint32_t
mix(uint32_t h, uint32_t k)
{
	k *= 0xcc9e2d51u;
	k = k << 15 | k >> 17;
	k *= 0x1b873593u;
	h ^= k;
	h = h << 13 | h >> 19;
	return h * 5 + 0xe6546b64u;
}

static uint32_t
key_hash(uint32_t seed, const struct dt_addr *a0, uint16_t p0,
    const struct dt_addr *a1, uint16_t p1)
{
	uint32_t h = seed, w;
	size_t i, k = a0->family == 6 ? 16 : 4;

	for (i = 0; i < k; i += 4) {
		memcpy(&w, a0->a + i, 4);
		h = mix(h, w);
		memcpy(&w, a1->a + i, 4);
		h = mix(h, w);
	}
	h = mix(h, (uint32_t)p0 << 16 | p1);
	h ^= (uint32_t)a0->family;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/*
 * The memory cap is shared with the later stages. Buffers may use the cap
 * but an eighth; new facts (connections, DNS and HTTP records), which stay
 * until the end, only half of it, so that a flood of connections leaves
 * room for the buffers of the live ones, for TLS and for the rules.
 */
static int
room_with_reserve(const struct dt_mem *m, size_t n, size_t reserve)
{
	size_t room = dt_mem_room(m);

	if (m->cap == 0)
		return 1;
	if (reserve < 65536)
		reserve = 65536;
	return room >= n && room - n >= reserve;
}

static int
have_room(const struct dt_mem *m, size_t n)
{
	return room_with_reserve(m, n, m->cap / 8);
}

/* Facts are weighed without the buffers, which eviction can give back. */
static int
have_fact_room(const struct dt_flow *f, size_t n)
{
	const struct dt_mem *m = f->m;
	size_t used = m->used > f->buffered ? m->used - f->buffered : 0;

	if (m->cap == 0)
		return 1;
	return used + n <= m->cap - m->cap / 2;
}

/* ---- lists -------------------------------------------------------------- */

static void
list_remove(struct list *l, struct flow *fl)
{
	if (fl->prev != NULL)
		fl->prev->next = fl->next;
	else
		l->head = fl->next;
	if (fl->next != NULL)
		fl->next->prev = fl->prev;
	else
		l->tail = fl->prev;
	fl->prev = fl->next = NULL;
	l->n--;
}

static void
list_append(struct list *l, struct flow *fl)
{
	fl->next = NULL;
	fl->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = fl;
	else
		l->head = fl;
	l->tail = fl;
	l->n++;
}

/* ---- table -------------------------------------------------------------- */

static struct flow **
table_find(struct dt_flow *f, uint32_t hash, const struct dt_addr *a0,
    uint16_t p0, const struct dt_addr *a1, uint16_t p1)
{
	size_t i, mask = f->nslots - 1;
	struct flow *fl;

	for (i = hash & mask; (fl = f->slots[i]) != NULL; i = (i + 1) & mask) {
		if (fl->hash == hash && fl->port[0] == p0 &&
		    fl->port[1] == p1 && addr_eq(&fl->addr[0], a0) &&
		    addr_eq(&fl->addr[1], a1))
			return &f->slots[i];
	}
	return &f->slots[i];
}

static int
table_grow(struct dt_flow *f)
{
	size_t n = f->nslots * 2, i, j;
	struct flow **s;

	if (!have_room(f->m, n * sizeof *s))
		return -1;
	s = dt_calloc(f->m, n, sizeof *s);
	if (s == NULL)
		return -1;
	for (i = 0; i < f->nslots; i++) {
		struct flow *fl = f->slots[i];
		if (fl == NULL)
			continue;
		for (j = fl->hash & (n - 1); s[j] != NULL; j = (j + 1) & (n - 1))
			;
		s[j] = fl;
	}
	dt_free(f->m, f->slots);
	f->slots = s;
	f->nslots = n;
	return 0;
}

/* Backward-shift deletion keeps probe chains intact without markers. */
static void
table_delete(struct dt_flow *f, struct flow *fl)
{
	size_t mask = f->nslots - 1, i, j, home;

	for (i = fl->hash & mask; f->slots[i] != fl; i = (i + 1) & mask)
		;
	f->slots[i] = NULL;
	for (j = (i + 1) & mask; f->slots[j] != NULL; j = (j + 1) & mask) {
		home = f->slots[j]->hash & mask;
		/* move j back to i unless its home lies in (i, j] */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			f->slots[i] = f->slots[j];
			f->slots[j] = NULL;
			i = j;
		}
	}
	f->nused--;
}

/* ---- delivery ----------------------------------------------------------- */

static void http_data(struct dt_flow *f, struct flow *fl, int dir,
    const uint8_t *p, size_t n, uint64_t frame);
static void dns_tcp_data(struct dt_flow *f, struct flow *fl, int dir,
    const uint8_t *p, size_t n, uint64_t frame, int64_t time);

static int
dir_wants_bytes(const struct half *h)
{
	return !h->sink_off || !h->http_done;
}

static void
http_stop(struct dt_flow *f, struct half *h)
{
	h->http_done = 1;
	if (h->http_buf != NULL) {
		f->buffered -= h->http_len;
		dt_free(f->m, h->http_buf);
		h->http_buf = NULL;
		h->http_len = 0;
	}
}

static void
deliver(struct dt_flow *f, struct flow *fl, int dir, const uint8_t *p,
    size_t n, uint64_t frame, int64_t time)
{
	struct half *h = &fl->h[dir];

	h->next += (uint32_t)n;
	if (n == 0)
		return;
	if (!h->http_done) {
		if (fl->dns_tcp)
			dns_tcp_data(f, fl, dir, p, n, frame, time);
		else
			http_data(f, fl, dir, p, n, frame);
	}
	if (!h->sink_off) {
		if (!f->has_sink || f->sink.data == NULL ||
		    !f->sink.data(f->sink.payload, fl->c, &fl->app, dir, p, n,
		    frame, time))
			h->sink_off = 1;
	}
}

static void
deliver_gap(struct dt_flow *f, struct flow *fl, int dir, uint32_t n,
    uint64_t frame, int64_t time)
{
	struct half *h = &fl->h[dir];

	if (n == 0)
		return;
	h->next += n;
	fl->c->gap_bytes[dir] += n;
	dt_conn_add_event(f->m, fl->c, DT_EV_GAP, (uint8_t)dir, frame, time,
	    0, n);
	if (!h->http_done)
		http_stop(f, h);	/* a head with a hole is not read */
	if (!h->sink_off && f->has_sink && f->sink.gap != NULL)
		f->sink.gap(f->sink.payload, fl->c, &fl->app, dir, n, frame);
}

/* The bytes of a segment from sequence offset `off` on: the present ones,
   then the snaplen-cut rest as a gap. */
static void
deliver_part(struct dt_flow *f, struct flow *fl, int dir, const uint8_t *p,
    uint32_t caplen, uint32_t len, uint32_t off, uint64_t frame, int64_t time)
{
	uint32_t present = caplen > off ? caplen - off : 0;
	struct rd r = rd_make(p, caplen);

	rd_skip(&r, off < caplen ? off : caplen);
	deliver(f, fl, dir, r.p, present, frame, time);
	if (len - off > present) {
		fl->c->truncated = 1;
		deliver_gap(f, fl, dir, len - off - present, frame, time);
	}
}

static void
seg_free(struct dt_flow *f, struct half *h, struct seg *s)
{
	if (h->ooo_tail == s)
		h->ooo_tail = NULL;	/* pieces leave from the head */
	h->pieces--;
	h->buffered -= s->caplen;
	f->buffered -= s->caplen;
	dt_free(f->m, s);
}

/* Deliver buffered pieces that are now in order. */
static void
drain(struct dt_flow *f, struct flow *fl, int dir)
{
	struct half *h = &fl->h[dir];
	struct seg *s;

	while ((s = h->ooo) != NULL && seq_le(s->seq, h->next)) {
		h->ooo = s->next;
		if (seq_lt(h->next, s->seq + s->len))
			deliver_part(f, fl, dir, s->data, s->caplen, s->len,
			    h->next - s->seq, s->frame, s->time);
		seg_free(f, h, s);
	}
}

/* Skip the hole before the first buffered piece (as a gap) and drain. */
static void
skip_hole(struct dt_flow *f, struct flow *fl, int dir)
{
	struct half *h = &fl->h[dir];
	struct seg *s = h->ooo;

	if (s == NULL)
		return;
	if (seq_lt(h->next, s->seq))
		deliver_gap(f, fl, dir, s->seq - h->next, s->frame, s->time);
	drain(f, fl, dir);
}

/* Everything buffered goes out, holes as gaps; then up to the FIN. */
static void
flush_dir(struct dt_flow *f, struct flow *fl, int dir, uint64_t frame,
    int64_t time)
{
	struct half *h = &fl->h[dir];

	if (h->counting)
		return;
	while (h->ooo != NULL)
		skip_hole(f, fl, dir);
	if (h->fin && h->started && seq_lt(h->next, h->fin_seq) &&
	    h->fin_seq - h->next < (1u << 30))
		deliver_gap(f, fl, dir, h->fin_seq - h->next, frame, time);
}

static void
free_dir(struct dt_flow *f, struct half *h)
{
	while (h->ooo != NULL) {
		struct seg *s = h->ooo;
		h->ooo = s->next;
		seg_free(f, h, s);
	}
	http_stop(f, h);
}

/*
 * Counting mode keeps no bytes, only which ranges above next were seen, so
 * that a copy of them still counts as a retransmission. Adds [a, b) (a at
 * or above next); returns 1 when it overlapped a range. With more ranges
 * than RANGES the lowest hole is given up.
 */
static int
ranges_add(struct half *h, uint32_t a, uint32_t b)
{
	uint32_t rs[RANGES + 1], re[RANGES + 1];
	unsigned i, n = 0;
	int overlap = 0, placed = 0;

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
	if (n > RANGES) {		/* the lowest hole is passed */
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

/* Stop reassembling a direction: only counts from here on. */
static void
to_counting(struct dt_flow *f, struct flow *fl, int dir)
{
	struct half *h = &fl->h[dir];
	struct seg *s;

	for (s = h->ooo; s != NULL; s = s->next)
		ranges_add(h, s->seq, s->seq + s->len);
	free_dir(f, h);
	h->counting = 1;
}

/*
 * Buffer [seq, seq+len) ahead of h->next, trimmed against what is already
 * buffered (the earlier copy wins). Returns 1 when any byte overlapped.
 */
static int
buffer_segment(struct dt_flow *f, struct flow *fl, int dir, uint32_t seq,
    const uint8_t *p, uint32_t caplen, uint32_t len, uint64_t frame,
    int64_t time)
{
	struct half *h = &fl->h[dir];
	struct seg **pp = &h->ooo, *x, *n;
	uint32_t cur = seq, end = seq + len, a, b, pres;
	int overlap = 0;

	/* ahead of everything waiting (the usual case): start at the end */
	if (h->ooo_tail != NULL &&
	    seq_le(h->ooo_tail->seq + h->ooo_tail->len, seq))
		pp = &h->ooo_tail->next;

	while (seq_lt(cur, end)) {
		x = *pp;
		if (x != NULL && seq_le(x->seq + x->len, cur)) {
			pp = &x->next;
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
			pp = &x->next;
			continue;
		}
		/* piece [a, b) fits before x */
		pres = 0;
		if (seq_lt(a, seq + caplen))
			pres = (seq_lt(b, seq + caplen) ? b : seq + caplen) - a;
		if (!have_room(f->m, sizeof *n + pres) ||
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
		n->next = x;
		*pp = n;
		pp = &n->next;
		if (x == NULL)
			h->ooo_tail = n;
		h->pieces++;
		h->buffered += pres;
		f->buffered += pres;
		cur = b;
	}
	return overlap;
}

/* ---- events and facts --------------------------------------------------- */

static void
add_event(struct dt_flow *f, struct flow *fl, uint8_t type, int dir,
    const struct dt_packet *pkt, uint16_t a, uint32_t b)
{
	dt_conn_add_event(f->m, fl->c, type, (uint8_t)dir, pkt->frame,
	    pkt->time, a, b);
}

static int
in_port_set(const struct dt_flow *f, uint16_t port)
{
	size_t i;

	for (i = 0; f->ports[i] != 0; i++)
		if (f->ports[i] == port)
			return 1;
	return 0;
}

static void
http_end(struct dt_flow *f, struct flow *fl)
{
	unsigned i;

	for (i = 0; i < fl->n_pending; i++) {
		struct dt_http *r = fl->pending[i];

		if (fl->c->state == DT_TCP_RESET ||
		    fl->c->state == DT_TCP_REFUSED)
			r->conn_reset = 1;
		else
			r->conn_no_answer = 1;
	}
	fl->n_pending = 0;
}

static enum dt_tcp_state
decide_state(const struct flow *fl)
{
	const struct dt_conn *c = fl->c;

	if (fl->rst) {
		if (c->syn_frame != 0 && !fl->synack && !fl->data)
			return c->rst_dir == DT_S2C ? DT_TCP_REFUSED :
			    DT_TCP_NO_ANSWER;
		return DT_TCP_RESET;
	}
	if (fl->h[0].fin && fl->h[1].fin)
		return DT_TCP_CLOSED;
	if (c->syn_frame == 0 && !fl->synack)
		return DT_TCP_OPEN;
	if (!fl->synack && !fl->data)
		return DT_TCP_NO_ANSWER;
	return DT_TCP_ESTABLISHED;
}

/* End a live connection: flush, decide, tell the sink, free buffers, and
   keep the entry as a tombstone. */
static void
conn_end(struct dt_flow *f, struct flow *fl, uint64_t frame, int64_t time)
{
	int d;

	if (fl->ended)
		return;
	if (frame == 0) {		/* idle, evicted, finished: its last packet */
		frame = fl->c->last_frame;
		time = fl->c->last_time;
	}
	for (d = 0; d < 2; d++)
		flush_dir(f, fl, d, frame, time);
	fl->c->state = decide_state(fl);
	http_end(f, fl);
	if (f->has_sink && f->sink.end != NULL)
		f->sink.end(f->sink.payload, fl->c, &fl->app);
	fl->app = NULL;
	for (d = 0; d < 2; d++)
		free_dir(f, &fl->h[d]);
	fl->ended = 1;
	list_remove(&f->live, fl);
	list_append(&f->tombs, fl);
}

static void
flow_destroy(struct dt_flow *f, struct flow *fl)
{
	if (!fl->ended)
		conn_end(f, fl, 0, fl->last_time);
	list_remove(&f->tombs, fl);
	table_delete(f, fl);
	dt_free(f->m, fl);
}

/* Memory for buffers is short: free tombstones, then end the connections
   idle longest (each counted in dropped_conns). */
static int
make_room(struct dt_flow *f, size_t need, struct flow *keep)
{
	while (!have_room(f->m, need)) {
		struct flow *v = f->tombs.head;

		if (v == NULL) {
			v = f->live.head;
			if (v == keep)
				v = v != NULL ? v->next : NULL;
			if (v == NULL)
				return 0;
			f->cap->dropped_conns++;
		}
		flow_destroy(f, v);
	}
	return 1;
}

/* The address part of "a.b.c.d:port" or "[v6]:port" (client_str). */
static size_t
str_addr(const char *s, const char **addr)
{
	const char *colon = strrchr(s, ':');

	if (colon == NULL)
		colon = s + strlen(s);
	if (s[0] == '[' && colon > s + 1 && colon[-1] == ']') {
		*addr = s + 1;
		return (size_t)(colon - 1 - (s + 1));
	}
	*addr = s;
	return (size_t)(colon - s);
}

/* Appends n bytes of s to buf (of cap bytes, k used); NUL-terminated. */
static size_t
put(char *buf, size_t cap, size_t k, const char *s, size_t n)
{
	if (k + n >= cap)
		n = k < cap - 1 ? cap - 1 - k : 0;
	memcpy(buf + k, s, n);
	buf[k + n] = '\0';
	return k + n;
}

/* "ip.addr==C && tcp.port==c && ip.addr==S && tcp.port==s", from the
   address strings already made (no second inet_ntop, no printf). */
static void
make_filter(struct dt_flow *f, struct dt_conn *c)
{
	const char *ip = c->client.family == 6 ? "ipv6.addr==" : "ip.addr==";
	const char *a, *b, *pa, *pb;
	size_t k = 0, na, nb, ni = strlen(ip);
	char buf[256];

	na = str_addr(c->client_str, &a);
	nb = str_addr(c->server_str, &b);
	pa = a + na + (c->client.family == 6 ? 2 : 1);
	pb = b + nb + (c->server.family == 6 ? 2 : 1);
	k = put(buf, sizeof buf, k, ip, ni);
	k = put(buf, sizeof buf, k, a, na);
	k = put(buf, sizeof buf, k, " && tcp.port==", 14);
	k = put(buf, sizeof buf, k, pa, strlen(pa));
	k = put(buf, sizeof buf, k, " && ", 4);
	k = put(buf, sizeof buf, k, ip, ni);
	k = put(buf, sizeof buf, k, b, nb);
	k = put(buf, sizeof buf, k, " && tcp.port==", 14);
	(void)put(buf, sizeof buf, k, pb, strlen(pb));
	c->wireshark_filter = dt_strdup(f->m, buf);
}

/* A new connection; src is the client when client_is_src. */
static struct flow *
flow_create(struct dt_flow *f, struct flow **slot, uint32_t hash,
    const struct dt_l4 *l4, int client_is_src, int from_syn,
    const struct dt_packet *pkt)
{
	struct dt_capture *cap = f->cap;
	struct flow *fl;
	struct dt_conn *c;
	size_t need;
	int src_low;

	/* tombstones may go, and buffers of the connections idle longest;
	   the facts of a flood must not push out live connections */
	need = sizeof *fl + sizeof *c + 1024;
	while (!have_fact_room(f, need) && f->tombs.head != NULL)
		flow_destroy(f, f->tombs.head);
	if (!have_fact_room(f, need) || !make_room(f, need, NULL)) {
		cap->dropped_conns++;
		return NULL;
	}
	/* eviction or growth moved the slots: look again below */
	slot = NULL;
	if (f->nused + 1 > f->nslots / 2 && table_grow(f) != 0) {
		cap->dropped_conns++;
		return NULL;
	}
	fl = dt_calloc(f->m, 1, sizeof *fl);
	c = dt_calloc(f->m, 1, sizeof *c);
	if (fl == NULL || c == NULL) {
		dt_free(f->m, fl);
		dt_free(f->m, c);
		cap->dropped_conns++;
		return NULL;
	}
	src_low = addr_cmp(&l4->src, l4->sport, &l4->dst, l4->dport) <= 0;
	fl->addr[src_low ? 0 : 1] = l4->src;
	fl->port[src_low ? 0 : 1] = l4->sport;
	fl->addr[src_low ? 1 : 0] = l4->dst;
	fl->port[src_low ? 1 : 0] = l4->dport;
	fl->hash = hash;
	fl->cli = (uint8_t)(client_is_src ? (src_low ? 0 : 1) :
	    (src_low ? 1 : 0));
	fl->c = c;
	fl->last_time = pkt->time;
	fl->h[0].sink_off = fl->h[1].sink_off =
	    !f->has_sink || f->sink.data == NULL;

	c->id = (uint32_t)cap->n_conns + 1;
	c->client = fl->addr[fl->cli];
	c->client_port = fl->port[fl->cli];
	c->server = fl->addr[!fl->cli];
	c->server_port = fl->port[!fl->cli];
	c->roles_from_syn = from_syn;
	dt_addr_format(&c->client, c->client_port, c->client_str,
	    sizeof c->client_str);
	dt_addr_format(&c->server, c->server_port, c->server_str,
	    sizeof c->server_str);
	c->first_frame = pkt->frame;
	c->first_time = pkt->time;
	c->state = DT_TCP_OPEN;
	make_filter(f, c);
	fl->dns_tcp = c->server_port == 53;
	if (cap->conns_tail != NULL)
		cap->conns_tail->next = c;
	else
		cap->conns = c;
	cap->conns_tail = c;
	cap->n_conns++;

	if (slot == NULL)
		slot = table_find(f, hash, &fl->addr[0], fl->port[0],
		    &fl->addr[1], fl->port[1]);
	*slot = fl;
	f->nused++;
	list_append(&f->live, fl);
	return fl;
}

/* ---- plain HTTP --------------------------------------------------------- */

static char *
word(struct dt_mem *m, const char *line, int which)
{
	const char *s = line, *e;

	while (which-- > 0) {
		s = strchr(s, ' ');
		if (s == NULL)
			return NULL;
		s++;
	}
	e = strchr(s, ' ');
	return dt_strndup(m, s, e ? (size_t)(e - s) : strlen(s));
}

static struct dt_http *
http_record(struct dt_flow *f, struct flow *fl)
{
	struct dt_http *r;

	if (!have_fact_room(f, sizeof *r + 512) ||
	    !have_room(f->m, sizeof *r + 512) ||
	    (r = dt_calloc(f->m, 1, sizeof *r)) == NULL)
		return NULL;
	r->conn = fl->c->id;
	r->status = -1;
	if (f->cap->http_tail != NULL)
		f->cap->http_tail->next = r;
	else
		f->cap->http = r;
	f->cap->http_tail = r;
	return r;
}

/* A complete head; returns the body bytes to skip, or -1: stop sniffing. */
static int64_t
http_head(struct dt_flow *f, struct flow *fl, int dir, struct dt_http_msg *h,
    int is_request, uint64_t frame)
{
	struct dt_http *r;
	int64_t body = 0;
	int connect = 0, head = 0;

	if (h->content_length != NULL) {
		char *e;
		unsigned long long v = strtoull(h->content_length, &e, 10);
		body = (*e != '\0' || v > (1ull << 40)) ? -1 : (int64_t)v;
	}
	if (is_request && dir == DT_C2S) {
		r = http_record(f, fl);
		if (r == NULL)
			return -1;
		r->request_frame = frame;
		r->method = word(f->m, h->line, 0);
		r->uri = word(f->m, h->line, 1);
		r->host = h->host != NULL ? dt_strdup(f->m, h->host) : NULL;
		connect = r->method != NULL && strcmp(r->method, "CONNECT") == 0;
		head = r->method != NULL && strcmp(r->method, "HEAD") == 0;
		if (fl->n_pending == HTTP_PENDING) {
			fl->pending[0]->conn_no_answer = 1;
			memmove(fl->pending, fl->pending + 1,
			    (HTTP_PENDING - 1) * sizeof fl->pending[0]);
			fl->n_pending--;
		}
		fl->pending[fl->n_pending++] = r;
		if (head)
			fl->head_req = 1;
		if (connect)
			return -1;	/* a tunnel follows */
		return h->content_length != NULL ? body : 0;
	}
	if (is_request || dir != DT_S2C)
		return -1;
	if (h->status >= 100 && h->status < 200 && h->status != 101)
		return 0;		/* interim; the final answer follows */
	if (fl->n_pending > 0) {
		r = fl->pending[0];
		connect = r->method != NULL && strcmp(r->method, "CONNECT") == 0;
		head = r->method != NULL && strcmp(r->method, "HEAD") == 0;
		memmove(fl->pending, fl->pending + 1,
		    (fl->n_pending - 1) * sizeof fl->pending[0]);
		fl->n_pending--;
	} else if ((r = http_record(f, fl)) == NULL) {
		return -1;
	}
	r->response_frame = frame;
	r->status = h->status;
	r->status_line = dt_strdup(f->m, h->line);
	if ((connect && h->status >= 200 && h->status < 300) ||
	    h->status == 101)
		return -1;
	if (head || h->status == 204 || h->status == 304)
		return 0;
	return h->content_length != NULL ? body : -1;
}

static void
http_data(struct dt_flow *f, struct flow *fl, int dir, const uint8_t *p,
    size_t n, uint64_t frame)
{
	struct half *h = &fl->h[dir];
	struct rd in = rd_make(p, n);

	while (in.n > 0 && !h->http_done) {
		struct dt_http_msg msg;
		const uint8_t *q;
		size_t qn, used, take;
		int isreq, rc;
		int64_t body;

		if (h->http_skip > 0) {
			take = h->http_skip < in.n ? (size_t)h->http_skip : in.n;
			rd_skip(&in, take);
			h->http_skip -= take;
			continue;
		}
		take = 0;
		if (h->http_len == 0) {
			q = in.p;
			qn = in.n;
		} else {
			take = DT_HTTP_HEAD_MAX - h->http_len;
			if (take > in.n)
				take = in.n;
			memcpy(h->http_buf + h->http_len, in.p, take);
			h->http_len += take;
			f->buffered += take;
			/* a head ends at a LF: without one, parse again only
			   while the start line may still show it is not HTTP
			   (one-byte segments would make it quadratic) */
			if (h->http_len > 64 && h->http_len < DT_HTTP_HEAD_MAX &&
			    memchr(in.p, '\n', take) == NULL)
				return;
			q = h->http_buf;
			qn = h->http_len;
		}
		rc = dt_http_head_parse(f->m, q, qn, &msg, &isreq, &used);
		if (rc < 0) {
			http_stop(f, h);
			return;
		}
		if (rc == 0) {
			if (h->http_len == 0) {
				/* keep the start until the head is complete */
				if (!have_room(f->m, DT_HTTP_HEAD_MAX) ||
				    (h->http_buf = dt_malloc(f->m,
				    DT_HTTP_HEAD_MAX)) == NULL) {
					http_stop(f, h);
					return;
				}
				memcpy(h->http_buf, in.p, in.n);
				h->http_len = in.n;
				f->buffered += in.n;
			}
			return;
		}
		/* complete: what of this input did the head use? */
		if (h->http_len == 0) {
			rd_skip(&in, used);
		} else {
			size_t before = h->http_len - take;
			rd_skip(&in, used - before);
			f->buffered -= h->http_len;
			dt_free(f->m, h->http_buf);
			h->http_buf = NULL;
			h->http_len = 0;
		}
		body = http_head(f, fl, dir, &msg, isreq, frame);
		dt_http_msg_clear(f->m, &msg);
		if (body < 0 || ++h->http_heads >= HTTP_MAX_HEADS) {
			http_stop(f, h);
			return;
		}
		h->http_skip = (uint64_t)body;
	}
}

/* ---- TCP ---------------------------------------------------------------- */

/*
 * A segment starting at next: what lies before the first waiting piece goes
 * out now, the rest is trimmed against the waiting pieces (earlier copies
 * win) and waits for drain().
 */
static void
in_order(struct dt_flow *f, struct flow *fl, int dir, uint32_t seq,
    const uint8_t *p, uint32_t cap, uint32_t len, const struct dt_packet *pkt)
{
	struct half *h = &fl->h[dir];
	uint32_t k, kc;
	struct rd r;

	if (h->ooo == NULL || seq_le(seq + len, h->ooo->seq)) {
		/* the fast path: nothing waits past it */
		deliver_part(f, fl, dir, p, cap, len, 0, pkt->frame, pkt->time);
		return;
	}
	k = h->ooo->seq - seq;
	kc = cap < k ? cap : k;
	deliver_part(f, fl, dir, p, kc, k, 0, pkt->frame, pkt->time);
	r = rd_make(p, cap);
	rd_skip(&r, kc);
	if (buffer_segment(f, fl, dir, seq + k, r.p, cap - kc, len - k,
	    pkt->frame, pkt->time)) {
		fl->c->retransmissions++;
		add_event(f, fl, DT_EV_RETRANS, dir, pkt, 0, seq + k - h->start);
	}
}

/* Payload (and FIN) of one segment in direction dir. */
static void
tcp_segment(struct dt_flow *f, struct flow *fl, int dir, uint32_t seq,
    const struct dt_l4 *l4, const struct dt_packet *pkt)
{
	struct half *h = &fl->h[dir];
	struct dt_conn *c = fl->c;
	uint32_t len = l4->paylen, cap = l4->caplen, old;
	int32_t rel;
	int fin = (l4->flags & DT_TCP_FIN) != 0;

	if (cap > len)
		cap = len;
	if (!h->started) {
		if (len == 0 && !fin)
			return;
		h->started = 1;
		h->start = h->next = h->max_end = seq;
	}
	if (fin) {
		if (!h->fin) {
			h->fin = 1;
			h->fin_seq = seq + len;
			c->fin_frame[dir] = pkt->frame;
			add_event(f, fl, DT_EV_FIN, dir, pkt, 0,
			    h->fin_seq - h->start);
		} else if (len == 0 && h->fin_seq == seq) {
			c->retransmissions++;
			add_event(f, fl, DT_EV_RETRANS, dir, pkt, 0,
			    seq - h->start);
		}
	}
	if (len == 0)
		return;
	if (h->counting) {
		/* no buffer: seen bytes again are a retransmission */
		int overlap = seq_lt(seq, h->next);

		if (!seq_le(seq + len, h->next))
			overlap |= ranges_add(h, overlap ? h->next : seq,
			    seq + len);
		if (overlap) {
			c->retransmissions++;
			add_event(f, fl, DT_EV_RETRANS, dir, pkt, 0,
			    seq - h->start);
		}
		return;		/* tcp_payload() raises max_end */
	}
again:
	rel = (int32_t)(seq - h->next);
	if (rel < 0) {
		old = h->next - seq;
		c->retransmissions++;
		add_event(f, fl, DT_EV_RETRANS, dir, pkt, 0, seq - h->start);
		if (old >= len)
			return;
		/* the new part: as if it started at next */
		if (h->ooo != NULL && seq_lt(h->ooo->seq, seq + len)) {
			uint32_t pres = cap > old ? cap - old : 0;
			struct rd r = rd_make(l4->payload, cap);

			rd_skip(&r, old < cap ? old : cap);
			in_order(f, fl, dir, h->next, r.p, pres, len - old, pkt);
		} else {
			deliver_part(f, fl, dir, l4->payload, cap, len, old,
			    pkt->frame, pkt->time);
		}
		drain(f, fl, dir);
		return;
	}
	if (rel == 0) {
		in_order(f, fl, dir, seq, l4->payload, cap, len, pkt);
		drain(f, fl, dir);
		return;
	}
	/* ahead: make the buffer fit it, skipping holes before it */
	if (h->buffered + cap + (h->pieces + 1) * SEG_COST > f->stream_cap ||
	    !make_room(f, cap + sizeof(struct seg), fl)) {
		if (h->ooo != NULL && seq_lt(h->ooo->seq, seq)) {
			skip_hole(f, fl, dir);
			goto again;
		}
		/* it is the earliest thing waiting: the hole before it goes */
		deliver_gap(f, fl, dir, seq - h->next, pkt->frame, pkt->time);
		goto again;
	}
	if (buffer_segment(f, fl, dir, seq, l4->payload, cap, len,
	    pkt->frame, pkt->time)) {
		c->retransmissions++;
		add_event(f, fl, DT_EV_RETRANS, dir, pkt, 0, seq - h->start);
	}
}

/*
 * As Wireshark counts: a segment carrying bytes already seen is a
 * retransmission (tcp_segment() counts those); so is one that fills a hole
 * below the highest byte seen when it comes later than the handshake's
 * round trip (else OOO_WINDOW) after that byte (it was lost before the
 * capture point and sent again); sooner, it was only reordered.
 */
static void
tcp_payload(struct dt_flow *f, struct flow *fl, int dir, uint32_t seq,
    const struct dt_l4 *l4, const struct dt_packet *pkt)
{
	struct half *h = &fl->h[dir];
	struct dt_conn *c = fl->c;
	unsigned before = c->retransmissions;
	uint32_t end = seq + l4->paylen;
	int behind = h->started && l4->paylen > 0 && seq_lt(seq, h->max_end);

	tcp_segment(f, fl, dir, seq, l4, pkt);
	if (behind && c->retransmissions == before &&
	    pkt->time - h->max_time > (fl->irtt > 0 ? fl->irtt : OOO_WINDOW)) {
		c->retransmissions++;
		add_event(f, fl, DT_EV_RETRANS, dir, pkt, 0, seq - h->start);
	}
	if (h->started && l4->paylen > 0 && seq_lt(h->max_end, end)) {
		h->max_end = end;
		h->max_time = pkt->time;
	}
}

/* The peer acknowledged up to ack: bytes of dir before it were received,
   so a hole before it will not be filled by the capture. */
static void
tcp_ack(struct dt_flow *f, struct flow *fl, int dir, uint32_t ack,
    const struct dt_packet *pkt)
{
	struct half *h = &fl->h[dir];
	uint32_t lim = ack;

	if (!h->started)
		return;
	if (h->fin && seq_lt(h->fin_seq, lim))
		lim = h->fin_seq;
	/* an ACK far ahead is not about this stream (or is garbage) */
	if (!seq_lt(h->next, lim) || lim - h->next > (1u << 30))
		return;
	if (h->counting) {
		uint32_t lo = h->next;

		/* the receiver has all before lim: that is seen too */
		h->next = lim;
		ranges_add(h, lo, lim);
		return;
	}
	while (seq_lt(h->next, lim)) {
		struct seg *s = h->ooo;
		uint32_t to = lim;

		if (s != NULL && seq_lt(s->seq, to))
			to = s->seq;
		if (seq_lt(h->next, to))
			deliver_gap(f, fl, dir, to - h->next, pkt->frame,
			    pkt->time);
		drain(f, fl, dir);	/* takes s: it starts at next now */
	}
}

static int
dir_complete(const struct half *h)
{
	return h->counting || !h->started || !seq_lt(h->next, h->fin_seq);
}

static void
tcp_packet(struct dt_flow *f, const struct dt_packet *pkt,
    const struct dt_l4 *l4)
{
	struct flow **slot, *fl;
	const struct dt_addr *a0, *a1;
	uint16_t p0, p1;
	uint32_t hash;
	int src_low, dir, syn, ack, d;
	struct dt_conn *c;
	struct half *h;
	uint8_t fl4 = l4->flags;

	src_low = addr_cmp(&l4->src, l4->sport, &l4->dst, l4->dport) <= 0;
	a0 = src_low ? &l4->src : &l4->dst;
	a1 = src_low ? &l4->dst : &l4->src;
	p0 = src_low ? l4->sport : l4->dport;
	p1 = src_low ? l4->dport : l4->sport;
	hash = key_hash(f->seed, a0, p0, a1, p1);
	slot = table_find(f, hash, a0, p0, a1, p1);
	fl = *slot;
	syn = (fl4 & (DT_TCP_SYN | DT_TCP_RST)) == DT_TCP_SYN;
	ack = (fl4 & DT_TCP_ACK) != 0;

	if (fl != NULL && syn && !ack) {
		/* a SYN on a known 5-tuple: a retry, or a new attempt? */
		int sd = (src_low ? 0 : 1) == fl->cli ? DT_C2S : DT_S2C;
		h = &fl->h[sd];
		if (!(h->has_isn && h->isn == l4->seq)) {
			flow_destroy(f, fl);
			fl = NULL;
			slot = table_find(f, hash, a0, p0, a1, p1);
		}
	}
	if (fl == NULL) {
		int client_is_src, from_syn = 0;

		if (syn) {
			client_is_src = !ack;
			from_syn = 1;
		} else if (in_port_set(f, l4->dport) !=
		    in_port_set(f, l4->sport)) {
			client_is_src = in_port_set(f, l4->dport);
		} else {
			client_is_src = l4->sport >= l4->dport;
		}
		fl = flow_create(f, slot, hash, l4, client_is_src, from_syn,
		    pkt);
		if (fl == NULL)
			return;
	}
	c = fl->c;
	dir = (src_low ? 0 : 1) == fl->cli ? DT_C2S : DT_S2C;
	h = &fl->h[dir];

	/* the same segment twice within 1 ms is one packet */
	if (h->last_valid && h->last_seq == l4->seq &&
	    h->last_ack == l4->ack && h->last_len == l4->paylen &&
	    h->last_flags == fl4 &&
	    pkt->time - h->last_time >= 0 &&
	    pkt->time - h->last_time <= DUP_WINDOW)
		return;
	h->last_valid = 1;
	h->last_seq = l4->seq;
	h->last_ack = l4->ack;
	h->last_len = l4->paylen;
	h->last_flags = fl4;
	h->last_time = pkt->time;

	c->last_frame = pkt->frame;
	c->last_time = pkt->time;
	c->packets[dir]++;
	c->bytes[dir] += l4->paylen;
	fl->last_time = pkt->time;
	if (fl->ended) {
		list_remove(&f->tombs, fl);
		list_append(&f->tombs, fl);
	} else {
		list_remove(&f->live, fl);
		list_append(&f->live, fl);
	}

	if (fl4 & DT_TCP_SYN) {
		int retry = h->has_isn && h->isn == l4->seq;

		if (!h->has_isn) {
			h->has_isn = 1;
			h->isn = l4->seq;
			if (!h->started) {
				h->started = 1;
				h->start = h->next = h->max_end = l4->seq + 1;
			}
		}
		if (!ack) {
			if (c->syn_frame == 0) {
				c->syn_frame = pkt->frame;
				c->ttl_syn = l4->ttl;
				fl->syn_time = pkt->time;
			}
			c->syn_count++;
			add_event(f, fl, DT_EV_SYN, dir, pkt, retry, 0);
		} else {
			if (!fl->synack) {
				fl->synack = 1;
				c->synack_frame = pkt->frame;
				c->ttl_synack = l4->ttl;
			}
			add_event(f, fl, DT_EV_SYNACK, dir, pkt, retry, 0);
		}
	}
	if (fl4 & DT_TCP_RST) {
		if (c->rst_frame == 0) {
			c->rst_frame = pkt->frame;
			c->rst_dir = (uint8_t)dir;
		}
		{
			/* in answer to what: the SYN (a = 1), or after b bytes
			   of the peer's stream (the ClientHello, later) */
			const struct half *o = &fl->h[!dir];

			add_event(f, fl, DT_EV_RST, dir, pkt, !fl->synack,
			    o->started ? o->next - o->start : 0);
		}
		if (!fl->ended) {
			fl->rst = 1;
			conn_end(f, fl, pkt->frame, pkt->time);
		}
		return;
	}
	if (fl->ended) {
		/* bytes before a FIN again: the peer did not hear the end */
		if (h->fin && (l4->paylen > 0 || (fl4 & DT_TCP_FIN)) &&
		    seq_le(l4->seq, h->fin_seq)) {
			c->retransmissions++;
			add_event(f, fl, DT_EV_RETRANS, dir, pkt, 0,
			    l4->seq - h->start);
		}
		return;
	}
	if (l4->paylen > 0) {
		fl->data = 1;
		if (dir == DT_S2C) {
			if (c->ttl_server_data == 0) {
				c->ttl_server_data = l4->ttl;
				c->ttl_server_data_min = l4->ttl;
				c->ttl_server_data_max = l4->ttl;
			}
			if (l4->ttl < c->ttl_server_data_min)
				c->ttl_server_data_min = l4->ttl;
			if (l4->ttl > c->ttl_server_data_max)
				c->ttl_server_data_max = l4->ttl;
		}
	}
	if (ack && !(fl4 & DT_TCP_SYN) && dir == DT_C2S && fl->synack &&
	    c->syn_frame != 0 && fl->irtt == 0 && pkt->time > fl->syn_time)
		fl->irtt = pkt->time - fl->syn_time;
	if (ack && !(fl4 & DT_TCP_SYN)) {
		if (l4->window == 0 && !h->zero_win) {
			h->zero_win = 1;
			add_event(f, fl, DT_EV_ZERO_WINDOW, dir, pkt, 0, 0);
		} else if (l4->window != 0) {
			h->zero_win = 0;
		}
	}
	if (h->started && !(fl4 & (DT_TCP_SYN | DT_TCP_FIN)) &&
	    l4->paylen <= 1 && l4->seq == h->next - 1) {
		add_event(f, fl, DT_EV_KEEPALIVE, dir, pkt, 0, 0);
	} else {
		uint32_t seq = l4->seq + ((fl4 & DT_TCP_SYN) ? 1 : 0);
		tcp_payload(f, fl, dir, seq, l4, pkt);
	}
	if (ack)
		tcp_ack(f, fl, !dir, l4->ack, pkt);
	for (d = 0; d < 2; d++)
		if (!fl->h[d].counting && !dir_wants_bytes(&fl->h[d]))
			to_counting(f, fl, d);
	if (fl->h[0].fin && fl->h[1].fin && dir_complete(&fl->h[0]) &&
	    dir_complete(&fl->h[1]))
		conn_end(f, fl, pkt->frame, pkt->time);
}

/* Idle connections and old tombstones go, oldest first. */
static void
expire(struct dt_flow *f, int64_t now)
{
	struct flow *fl;

	while ((fl = f->tombs.head) != NULL &&
	    now - fl->last_time > f->tomb_timeout)
		flow_destroy(f, fl);
	while ((fl = f->live.head) != NULL && now - fl->last_time > f->idle) {
		conn_end(f, fl, 0, fl->last_time);
		flow_destroy(f, fl);
	}
}

/* ---- DNS ---------------------------------------------------------------- */

static struct dns_pending *
dns_bucket(struct dt_flow *f, const struct dt_addr *a, uint16_t port,
    uint16_t txid)
{
	uint32_t h = key_hash(f->seed, a, port, a, txid);

	return f->dns[h % DNS_BUCKETS];
}

static void
dns_message(struct dt_flow *f, uint64_t frame, int64_t time,
    const uint8_t *p, size_t n, const struct dt_addr *client, uint16_t cport,
    int want_resp)
{
	struct dt_dns d, *rec;
	struct dns_pending *b, *e = NULL;
	int resp, i;
	uint16_t txid;

	if (!have_fact_room(f, 4096) || !have_room(f->m, 4096))
		return;
	if (dt_dns_parse(f->m, p, n, &resp, &txid, &d) != 0)
		return;
	if (resp != want_resp)
		goto drop;
	b = dns_bucket(f, client, cport, txid);
	for (i = 0; i < DNS_WAYS; i++) {
		if (b[i].rec != NULL && b[i].txid == txid &&
		    b[i].port == cport && addr_eq(&b[i].client, client)) {
			e = &b[i];
			break;
		}
	}
	if (!resp) {
		if (e != NULL)
			goto drop;	/* the query again: one query */
		rec = dt_calloc(f->m, 1, sizeof *rec);
		if (rec == NULL)
			goto drop;
		*rec = d;
		rec->query_frame = frame;
		rec->time = time;
		rec->rcode = -1;
		/* a free way, else the oldest one gives up waiting */
		e = &b[0];
		for (i = 0; i < DNS_WAYS; i++) {
			if (b[i].rec == NULL) {
				e = &b[i];
				break;
			}
			if (b[i].time < e->time)
				e = &b[i];
		}
		e->rec = rec;
		e->client = *client;
		e->port = cport;
		e->txid = txid;
		e->time = time;
	} else if (e != NULL) {
		rec = e->rec;
		e->rec = NULL;
		rec->answer_frame = frame;
		rec->rcode = d.rcode;
		rec->addrs = d.addrs;
		rec->n_addrs = d.n_addrs;
		rec->cname = d.cname;
		if (rec->name == NULL) {
			rec->name = d.name;
			d.name = NULL;
		}
		dt_free(f->m, d.name);
		return;
	} else {
		rec = dt_calloc(f->m, 1, sizeof *rec);
		if (rec == NULL)
			goto drop;
		*rec = d;
		rec->answer_frame = frame;
		rec->time = time;
	}
	rec->next = NULL;
	if (f->cap->dns_tail != NULL)
		f->cap->dns_tail->next = rec;
	else
		f->cap->dns = rec;
	f->cap->dns_tail = rec;
	return;
drop:
	dt_free(f->m, d.name);
	dt_free(f->m, d.addrs);
	dt_free(f->m, d.cname);
}

static void
dns_packet(struct dt_flow *f, const struct dt_packet *pkt,
    const struct dt_l4 *l4)
{
	/* queries go to port 53, answers come from it */
	if (l4->dport == 53)
		dns_message(f, pkt->frame, pkt->time, l4->payload, l4->caplen,
		    &l4->src, l4->sport, 0);
	if (l4->sport == 53)
		dns_message(f, pkt->frame, pkt->time, l4->payload, l4->caplen,
		    &l4->dst, l4->dport, 1);
}

/*
 * DNS over TCP (RFC 7766 8): messages with a two-byte length prefix, read
 * from the start of each direction with the HTTP head buffer; a message
 * longer than that buffer ends the looking.
 */
static void
dns_tcp_data(struct dt_flow *f, struct flow *fl, int dir, const uint8_t *p,
    size_t n, uint64_t frame, int64_t time)
{
	struct half *h = &fl->h[dir];
	struct rd in = rd_make(p, n);

	while (in.n > 0 && !h->http_done) {
		struct rd msg;
		size_t want, take;
		uint16_t len;

		if (h->http_buf == NULL) {
			if (!have_room(f->m, DT_HTTP_HEAD_MAX) ||
			    (h->http_buf = dt_malloc(f->m,
			    DT_HTTP_HEAD_MAX)) == NULL) {
				http_stop(f, h);
				return;
			}
		}
		want = 2;
		if (h->http_len >= 2) {
			msg = rd_make(h->http_buf, h->http_len);
			len = rd_u16(&msg);
			if (len == 0 || (size_t)len + 2 > DT_HTTP_HEAD_MAX) {
				http_stop(f, h);
				return;
			}
			want = (size_t)len + 2;
		}
		take = want - h->http_len;
		if (take > in.n)
			take = in.n;
		rd_copy(&in, h->http_buf + h->http_len, take);
		h->http_len += take;
		f->buffered += take;
		if (h->http_len < want || want == 2)
			continue;
		dns_message(f, frame, time, h->http_buf + 2, want - 2,
		    &fl->c->client, fl->c->client_port, dir == DT_S2C);
		f->buffered -= h->http_len;
		h->http_len = 0;
		if (++h->http_heads >= HTTP_MAX_HEADS)
			http_stop(f, h);
	}
}

/* ---- the contract ------------------------------------------------------- */

int
dt_flow_new(struct dt_flow **out, struct dt_capture *cap,
    const struct dt_flow_config *cfg, const struct dt_flow_sink *sink)
{
	struct dt_flow *f;
	size_t i;

	*out = NULL;
	f = dt_calloc(cap->mem, 1, sizeof *f);
	if (f == NULL)
		return DT_ENOMEM;
	f->cap = cap;
	f->m = cap->mem;
	if (sink != NULL) {
		f->sink = *sink;
		f->has_sink = 1;
	}
	if (cfg != NULL && cfg->ports != NULL) {
		for (i = 0; i < DT_MAX_PORTS && cfg->ports[i] != 0; i++)
			f->ports[i] = cfg->ports[i];
	} else {
		f->ports[0] = 443;
	}
	f->stream_cap = cfg != NULL && cfg->stream_cap != 0 ?
	    cfg->stream_cap : STREAM_CAP_DEFAULT;
	f->idle = cfg != NULL && cfg->idle_timeout > 0 ?
	    cfg->idle_timeout : IDLE_DEFAULT;
	f->tomb_timeout = f->idle < TOMB_TIMEOUT ? f->idle : TOMB_TIMEOUT;
	f->seed = (uint32_t)((uintptr_t)f >> 4) * 0x9e3779b9u;
	f->nslots = TABLE_MIN;
	f->slots = dt_calloc(f->m, f->nslots, sizeof *f->slots);
	if (f->slots == NULL) {
		dt_free(f->m, f);
		return DT_ENOMEM;
	}
	*out = f;
	return 0;
}

void
dt_flow_packet(struct dt_flow *f, const struct dt_packet *pkt,
    const struct dt_l4 *l4)
{
	if (l4->caplen > 0 && l4->payload == NULL)
		return;
	if (l4->status == DT_L4_TCP && l4->paylen <= DT_FLOW_MAX_SEGMENT)
		tcp_packet(f, pkt, l4);
	else if (l4->status == DT_L4_UDP &&
	    (l4->sport == 53 || l4->dport == 53))
		dns_packet(f, pkt, l4);
	expire(f, pkt->time);
}

/* A host drop (pktmon): a fact of its connection, not stream data. */
void
dt_flow_drop(struct dt_flow *f, const struct dt_packet *pkt,
    const struct dt_l4 *l4)
{
	const struct dt_pktmon_meta *pm = pkt->pktmon;
	const struct dt_addr *a0, *a1;
	const struct half *h;
	struct flow *fl = NULL;
	struct dt_conn *c;
	uint16_t p0, p1, a;
	int src_low = 0, dir;

	if (l4->status == DT_L4_TCP) {
		src_low = addr_cmp(&l4->src, l4->sport, &l4->dst,
		    l4->dport) <= 0;
		a0 = src_low ? &l4->src : &l4->dst;
		a1 = src_low ? &l4->dst : &l4->src;
		p0 = src_low ? l4->sport : l4->dport;
		p1 = src_low ? l4->dport : l4->sport;
		fl = *table_find(f, key_hash(f->seed, a0, p0, a1, p1), a0, p0,
		    a1, p1);
	}
	if (fl == NULL) {
		f->cap->drops_unattributed++;
		return;
	}
	c = fl->c;
	dir = (src_low ? 0 : 1) == fl->cli ? DT_C2S : DT_S2C;
	h = &fl->h[dir];
	a = l4->flags;
	if (l4->paylen > 0 && (!h->started ||
	    l4->seq + ((l4->flags & DT_TCP_SYN) ? 1 : 0) == h->start))
		a |= 0x100;		/* its direction's first stream byte */
	if (c->drop_frame == 0) {
		c->drop_frame = pkt->frame;
		c->drop_dir = (uint8_t)dir;
		if (pm != NULL) {
			if (pm->component_name[0] != '\0')
				snprintf(c->drop_component,
				    sizeof c->drop_component, "%s",
				    pm->component_name);
			else
				snprintf(c->drop_component,
				    sizeof c->drop_component, "component %u",
				    (unsigned)pm->component);
			snprintf(c->drop_reason, sizeof c->drop_reason, "%s",
			    pm->drop_reason);
			snprintf(c->drop_location, sizeof c->drop_location,
			    "%s", pm->drop_location);
		}
	}
	c->n_drops++;
	add_event(f, fl, DT_EV_DROPPED, dir, pkt, a, l4->paylen);
}

void
dt_flow_finish(struct dt_flow *f)
{
	struct flow *fl;
	int i, j;

	while ((fl = f->live.head) != NULL) {
		dt_conn_add_event(f->m, fl->c, DT_EV_END_OPEN, 0,
		    fl->c->last_frame, fl->c->last_time, 0, 0);
		conn_end(f, fl, 0, fl->last_time);
		flow_destroy(f, fl);
	}
	while ((fl = f->tombs.head) != NULL)
		flow_destroy(f, fl);
	for (i = 0; i < DNS_BUCKETS; i++)
		for (j = 0; j < DNS_WAYS; j++)
			f->dns[i][j].rec = NULL;	/* stay unanswered */
}

void
dt_flow_free(struct dt_flow *f)
{
	if (f == NULL)
		return;
	dt_flow_finish(f);
	dt_free(f->m, f->slots);
	dt_free(f->m, f);
}

size_t
dt_flow_live(const struct dt_flow *f)
{
	return f->live.n;
}

size_t
dt_flow_buffered(const struct dt_flow *f)
{
	return f->buffered;
}
