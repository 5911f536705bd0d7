/*
 * flow/: the contract of flow.h, the connection table and the lifecycle of
 * a connection (created by its first segment, ended by tcp.c's verdict,
 * idle expiry, eviction under the memory cap or the end of the capture,
 * then a tombstone for a while). The TCP state machine is tcp.c,
 * reassembly and delivery to the sinks reasm.c (flow_int.h).
 *
 * Table: open addressing with linear probing over (hash, pointer) pairs to
 * per-connection state, keyed by the 5-tuple with both directions folded (the
 * lower address:port first), backward-shift deletion, grown at half load. One
 * allocation per connection; nothing per packet on the in-order path.
 *
 * Ended connections are reported to the sinks and their buffers freed; a
 * small tombstone stays in the table for a while so that stray packets
 * after the end (the last ACK, a repeated RST, a SYN retried with the same
 * ISN) count for the old connection instead of creating a new one. When
 * the tombstone goes, nothing can reach the connection any more: its
 * timeline moves into the capture's kept memory (dt_conn_retire).
 */
#include "flow/flow_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDLE_DEFAULT		(600 * DT_NS)
#define TOMB_TIMEOUT		(60 * DT_NS)
#define STREAM_CAP_DEFAULT	(256 * 1024)
#define TABLE_MIN		1024
#define DT_FLOW_MAX_SEGMENT	(1u << 20)	/* larger is not one segment */

/* ---- helpers ------------------------------------------------------------ */

/* Bytes in network order compare as memcmp() does when read as
   big-endian words: in registers, where memcmp() is a call per packet
   (its sign wanted, the compiler does not inline it). */
static uint64_t
be64_at(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return __builtin_bswap64(w);
}

static uint32_t
be32_at(const uint8_t *p)
{
	uint32_t w;

	memcpy(&w, p, 4);
	return __builtin_bswap32(w);
}

static inline int
addr_cmp(const struct dt_addr *a, uint16_t pa, const struct dt_addr *b,
    uint16_t pb)
{
	uint64_t x, y;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->family == 6) {
		x = be64_at(a->a);
		y = be64_at(b->a);
		if (x == y) {
			x = be64_at(a->a + 8);
			y = be64_at(b->a + 8);
		}
	} else {
		x = be32_at(a->a);
		y = be32_at(b->a);
	}
	if (x != y)
		return x < y ? -1 : 1;
	return pa == pb ? 0 : pa < pb ? -1 : 1;
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

/* One endpoint's share of the table's hash. */
static inline uint64_t
end_hash(uint64_t seed, const struct dt_addr *a, uint16_t port)
{
	uint64_t h = dt_addr_fold(seed, a);

	h = (h ^ ((uint64_t)a->family << 48 | (uint64_t)port << 32)) *
	    0x9e3779b97f4a7c15ULL;
	return h ^ h >> 29;
}

/* The table's hash of a connection: the sum of its endpoints' shares,
   the same whichever end sent the segment, so that a segment is looked
   up without putting its endpoints in order first (flow_match()). Only
   the table reads it: its seed is per run, so nothing depends on its
   values. */
static inline uint32_t
table_hash(uint64_t seed, const struct dt_addr *a0, uint16_t p0,
    const struct dt_addr *a1, uint16_t p1)
{
	uint64_t h;

	h = (end_hash(seed, a0, p0) + end_hash(seed, a1, p1)) *
	    0xff51afd7ed558ccdULL;
	return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

/* Is the segment one of fl's? 1 with its source the key's first
   endpoint (as addr_cmp() puts it: the lower, or both the same), 0
   turned round, -1 not fl's. */
static inline __attribute__((always_inline)) int
flow_match(const struct flow *fl, const struct dt_l4 *l4)
{
	if (fl->port[0] == l4->sport && fl->port[1] == l4->dport &&
	    dt_addr_eq(&fl->addr[0], &l4->src) &&
	    dt_addr_eq(&fl->addr[1], &l4->dst))
		return 1;
	if (fl->port[0] == l4->dport && fl->port[1] == l4->sport &&
	    dt_addr_eq(&fl->addr[0], &l4->dst) &&
	    dt_addr_eq(&fl->addr[1], &l4->src))
		return 0;
	return -1;
}

/* ---- table -------------------------------------------------------------- */

/* Probes compare the hash kept in the slot: only a probable match reads
   the connection's own memory (a cache miss per probe was 5% of the
   work on a day of traffic). Inline: the key stays in registers. */
static inline __attribute__((always_inline)) struct slot *
table_find(struct dt_flow *f, uint32_t hash, const struct dt_addr *a0,
    uint16_t p0, const struct dt_addr *a1, uint16_t p1)
{
	size_t i, mask = f->nslots - 1;
	struct slot *s;

	for (i = hash & mask; (s = &f->slots[i])->fl != NULL;
	    i = (i + 1) & mask) {
		const struct flow *fl = s->fl;

		if (s->hash == hash && fl->port[0] == p0 &&
		    fl->port[1] == p1 && dt_addr_eq(&fl->addr[0], a0) &&
		    dt_addr_eq(&fl->addr[1], a1))
			return s;
	}
	return s;
}

/* The slot of a segment's connection, its key matched either way round
   (*src_low as flow_match() says), else the free slot where it would
   go. */
static inline __attribute__((always_inline)) struct slot *
table_find_l4(struct dt_flow *f, uint32_t hash, const struct dt_l4 *l4,
    int *src_low)
{
	size_t i, mask = f->nslots - 1;
	struct slot *s;
	int m;

	for (i = hash & mask; (s = &f->slots[i])->fl != NULL;
	    i = (i + 1) & mask)
		if (s->hash == hash && (m = flow_match(s->fl, l4)) >= 0) {
			*src_low = m;
			return s;
		}
	return s;
}

static int
table_grow(struct dt_flow *f)
{
	size_t n = f->nslots * 2, i, j;
	struct slot *s;

	if (!dt_flow_buffer_room(&f->budget, n * sizeof *s))
		return -1;
	s = dt_calloc(f->m, n, sizeof *s);
	if (s == NULL)
		return -1;
	for (i = 0; i < f->nslots; i++) {
		if (f->slots[i].fl == NULL)
			continue;
		for (j = f->slots[i].hash & (n - 1); s[j].fl != NULL;
		    j = (j + 1) & (n - 1))
			;
		s[j] = f->slots[i];
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

	for (i = fl->hash & mask; f->slots[i].fl != fl; i = (i + 1) & mask)
		;
	f->slots[i].fl = NULL;
	for (j = (i + 1) & mask; f->slots[j].fl != NULL; j = (j + 1) & mask) {
		home = f->slots[j].hash & mask;
		/* move j back to i unless its home lies in (i, j] */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			f->slots[i] = f->slots[j];
			f->slots[j].fl = NULL;
			i = j;
		}
	}
	f->nused--;
}

/* ---- lifecycle ---------------------------------------------------------- */

/* A packet of fl: it is the newest of its list. */
static void
touch(struct dt_flow *f, struct flow *fl, int64_t time)
{
	struct flowq *q = fl->ended ? &f->tombs : &f->live;

	fl->last_time = time;
	if (TAILQ_FIRST(q) == fl)	/* the oldest: expire()'s to ask */
		f->expire_at = INT64_MIN;
	if (TAILQ_NEXT(fl, link) == NULL)
		return;		/* the newest already: leave its neighbours be */
	TAILQ_REMOVE(q, fl, link);
	TAILQ_INSERT_TAIL(q, fl, link);
}

/* End a live connection: flush, decide, tell the sinks, free buffers, and
   keep the entry as a tombstone. */
static void
conn_end(struct dt_flow *f, struct flow *fl, uint64_t frame, int64_t time)
{
	unsigned i;
	int d;

	if (fl->ended)
		return;
	if (frame == 0) {		/* idle, evicted, finished: its last packet */
		frame = fl->c->last_frame;
		time = fl->c->last_time;
	}
	for (d = 0; d < 2; d++)
		reasm_flush(f, fl, d, frame, time);
	fl->c->state = tcp_decide_state(fl);
	for (i = 0; i < f->n_sinks; i++) {
		struct sink *s = &f->sinks[i];

		if ((fl->wants & 1u << i) && s->s.end != NULL)
			s->s.end(s->payload, fl->c, &fl->state[i]);
		fl->state[i] = NULL;
	}
	for (d = 0; d < 2; d++)
		reasm_free(f, fl, d);
	fl->ended = 1;
	TAILQ_REMOVE(&f->live, fl, link);
	f->n_live--;
	TAILQ_INSERT_TAIL(&f->tombs, fl, link);
	f->expire_at = INT64_MIN;
}

/* Room for a connection's timeline in the capture's kept memory (it may
   take a new kept block) */
#define RETIRE_ROOM	(32 * 1024 + 128)

/* A timeline on the heap cut to its length: nothing adds to it any
   more. */
static void
events_trim(struct dt_mem *m, struct dt_conn *c)
{
	struct dt_event *ev;

	if (c->n_events == 0) {		/* a spare array, not used */
		dt_free(m, c->events);
		c->events = NULL;
		c->cap_events = 0;
	} else if (c->n_events < c->cap_events &&
	    (ev = dt_realloc(m, c->events, c->n_events * sizeof *ev)) != NULL) {
		c->events = ev;
		c->cap_events = c->n_events;
	}
}

static void
flow_destroy(struct dt_flow *f, struct flow *fl)
{
	if (!fl->ended)
		conn_end(f, fl, 0, fl->last_time);
	/* no packet reaches the connection any more: its timeline moves
	   to kept memory, when that cannot push the memory to the cap; not
	   at the end of the capture, where the heap it leaves would never
	   be used again (the copies would be new pages) */
	if (!f->finishing && dt_flow_buffer_room(&f->budget, RETIRE_ROOM +
	    fl->c->n_events * sizeof *fl->c->events))
		dt_conn_retire(f->cap, fl->c);
	/* else cut to its length (once: not when the connection ended, and
	   again here) */
	if (!(fl->c->kept & DT_CONN_KEPT_EVENTS))
		events_trim(f->m, fl->c);
	TAILQ_REMOVE(&f->tombs, fl, link);
	f->expire_at = INT64_MIN;
	table_delete(f, fl);
	if (f->last == fl)
		f->last = NULL;
	/* the next connection takes its block: one allocation and one free
	   fewer a connection (connections come and go all day) */
	if (f->n_spare < DT_FLOW_SPARES)
		f->spare[f->n_spare++] = fl;
	else
		dt_free(f->m, fl);
}

/* A connection the cap cut short or kept out, in dropped_conns; the
   packet of the first is where the analysis became partial (the
   analysis-partial verdict cites it). */
static void
count_drop(struct dt_flow *f, uint64_t frame)
{
	if (f->cap->dropped_conns++ == 0)
		f->cap->drop_frame = frame;
}

/* Memory for buffers is short: free tombstones, then end the connections
   idle longest (each counted in dropped_conns), for the packet `frame`. */
static int
make_room(struct dt_flow *f, size_t need, struct flow *keep, uint64_t frame)
{
	while (!dt_flow_buffer_room(&f->budget, need)) {
		struct flow *v = TAILQ_FIRST(&f->tombs);

		if (v == NULL) {
			v = TAILQ_FIRST(&f->live);
			if (v == keep)
				v = v != NULL ? TAILQ_NEXT(v, link) : NULL;
			if (v == NULL)
				return 0;
			count_drop(f, frame);
		}
		flow_destroy(f, v);
	}
	return 1;
}

/* Which sinks see a new connection; the others are done with it. */
static void
sinks_open(struct dt_flow *f, struct flow *fl)
{
	unsigned i;

	for (i = 0; i < f->n_sinks; i++) {
		const struct sink *s = &f->sinks[i];

		if (s->s.want == NULL || s->s.want(s->payload, fl->c))
			fl->wants |= (uint8_t)(1u << i);
		if (!(fl->wants & 1u << i) || s->s.data == NULL)
			fl->h[0].off |= (uint8_t)(1u << i);
	}
	fl->h[1].off = fl->h[0].off;
	fl->settle = 1;
}

/*
 * Connections the cap kept out are counted once each, not once per packet:
 * a small set-associative table remembers their keys (a second hash of the
 * 5-tuple) and the client's ISN, the least recently seen way giving room.
 * A packet of a key it holds is the same connection, unless it is a SYN
 * with another ISN (a new attempt on the 5-tuple). The table is made at
 * the first such connection; without room for it every packet counts.
 */
#define DROP_SETS	1024
#define DROP_WAYS	4

struct dropped {
	uint64_t key;			/* 0: free */
	int64_t time;
	uint32_t isn;
	uint8_t has_isn;
};

static void
count_dropped(struct dt_flow *f, int src_low, const struct dt_packet *pkt,
    const struct dt_l4 *l4)
{
	const struct dt_addr *a0 = src_low ? &l4->src : &l4->dst;
	const struct dt_addr *a1 = src_low ? &l4->dst : &l4->src;
	uint16_t p0 = src_low ? l4->sport : l4->dport;
	uint16_t p1 = src_low ? l4->dport : l4->sport;
	/* fixed seeds, not the table's (which comes from an address): the
	   count is the same from run to run; a crafted capture can only
	   make it count more, the table's size and cost are fixed */
	uint32_t hash = key_hash(0x9e3779b9u, a0, p0, a1, p1);
	uint64_t key = (uint64_t)key_hash(0x5bd1e995u, a0, p0, a1, p1) << 32 |
	    hash;
	int syn = (l4->flags & (DT_TCP_SYN | DT_TCP_ACK | DT_TCP_RST)) ==
	    DT_TCP_SYN;
	struct dropped *set, *e = NULL;
	unsigned i;

	if (key == 0)
		key = 1;
	if (f->dropped == NULL && dt_flow_buffer_room(&f->budget,
	    DROP_SETS * DROP_WAYS * sizeof *f->dropped))
		f->dropped = dt_calloc(f->m, DROP_SETS * DROP_WAYS,
		    sizeof *f->dropped);
	if (f->dropped == NULL) {
		count_drop(f, pkt->frame);
		return;
	}
	set = &f->dropped[(hash % DROP_SETS) * DROP_WAYS];
	for (i = 0; i < DROP_WAYS; i++)
		if (set[i].key == key) {
			e = &set[i];
			break;
		}
	if (e != NULL && !(syn && (!e->has_isn || e->isn != l4->seq))) {
		e->time = pkt->time;
		return;			/* one it counted already */
	}
	if (e == NULL) {
		e = &set[0];
		for (i = 0; i < DROP_WAYS; i++) {
			if (set[i].key == 0) {
				e = &set[i];
				break;
			}
			if (set[i].time < e->time)
				e = &set[i];
		}
	}
	count_drop(f, pkt->frame);
	e->key = key;
	e->time = pkt->time;
	e->isn = l4->seq;
	e->has_isn = (uint8_t)syn;
}

/* A new connection; src is the client when client_is_src; NULL when the
   memory cap keeps it out. */
static struct flow *
flow_create(struct dt_flow *f, struct slot *slot, uint32_t hash,
    const struct dt_l4 *l4, const struct dt_packet *pkt)
{
	struct dt_capture *cap = f->cap;
	struct flow *fl;
	struct dt_conn *c;
	size_t need;
	int src_low, from_syn, client_is_src = tcp_client_is_src(f, l4,
	    &from_syn);

	/* tombstones may go, and buffers of the connections idle longest;
	   the facts of a flood must not push out live connections */
	need = sizeof *fl + sizeof *c + 1024;
	while (!dt_flow_fact_room(&f->budget, need) &&
	    !TAILQ_EMPTY(&f->tombs))
		flow_destroy(f, TAILQ_FIRST(&f->tombs));
	if (!dt_flow_fact_room(&f->budget, need) ||
	    !make_room(f, need, NULL, pkt->frame))
		return NULL;
	/* eviction or growth moved the slots: look again below */
	slot = NULL;
	if (f->nused + 1 > f->nslots / 2 && table_grow(f) != 0)
		return NULL;
	/* the connection's facts stay to the end of the capture: kept
	   memory, no block header each (on a failure below it stays there,
	   unlisted) */
	if (f->n_spare > 0) {
		fl = f->spare[--f->n_spare];
		memset(fl, 0, sizeof *fl);
	} else
		fl = dt_calloc(f->m, 1, sizeof *fl);
	c = dt_capture_keep_as(cap, DT_KEEP_CONN, sizeof *c);
	if (fl == NULL || c == NULL) {
		dt_free(f->m, fl);
		return NULL;
	}
	c->kept = DT_CONN_KEPT_STRUCT;
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
	reasm_init(fl);

	c->id = (uint32_t)cap->n_conns + 1;
	c->tls = (struct dt_tls_facts *)&dt_tls_none;
	c->client = fl->addr[fl->cli];
	c->client_port = fl->port[fl->cli];
	c->server = fl->addr[!fl->cli];
	c->server_port = fl->port[!fl->cli];
	c->roles_from_syn = from_syn;
	if (dt_conn_text_make(cap, c) != 0) {
		dt_free(f->m, fl);
		return NULL;
	}
	c->first_frame = pkt->frame;
	c->first_time = pkt->time;
	c->state = DT_TCP_OPEN;
	dt_conn_events_spare(cap, c);	/* an ended connection's array */
	if (cap->conns_tail != NULL)
		cap->conns_tail->next = c;
	else
		cap->conns = c;
	cap->conns_tail = c;
	cap->n_conns++;

	if (slot == NULL)
		slot = table_find(f, hash, &fl->addr[0], fl->port[0],
		    &fl->addr[1], fl->port[1]);
	slot->fl = fl;
	slot->hash = hash;
	f->nused++;
	TAILQ_INSERT_TAIL(&f->live, fl, link);
	f->expire_at = INT64_MIN;
	f->n_live++;
	sinks_open(f, fl);
	return fl;
}

/*
 * A simultaneous open (RFC 9293 3.5) whose second SYN came from the
 * client by the port set: the roles turn round, before any byte reached
 * a sink, and the sinks choose again. The client's SYN is the one coming.
 */
static void
roles_swap(struct dt_flow *f, struct flow *fl)
{
	struct dt_conn *c = fl->c;
	struct half h;
	struct dt_addr a;
	uint16_t port;
	size_t i;

	if (!TAILQ_EMPTY(&fl->h[0].ooo) || !TAILQ_EMPTY(&fl->h[1].ooo))
		return;
	for (i = 0; i < f->n_sinks; i++)
		if (fl->state[i] != NULL)
			return;
	h = fl->h[0];
	fl->h[0] = fl->h[1];
	fl->h[1] = h;
	TAILQ_INIT(&fl->h[0].ooo);
	TAILQ_INIT(&fl->h[1].ooo);
	fl->cli = (uint8_t)!fl->cli;
	a = c->client;
	c->client = c->server;
	c->server = a;
	port = c->client_port;
	c->client_port = c->server_port;
	c->server_port = port;
	/* memory failed: the analysis says so (the old text stays) */
	(void)dt_conn_text_make(f->cap, c);
	c->syn_frame = 0;
	c->ttl_syn = 0;
	for (i = 0; i < c->n_events; i++)
		c->events[i].dir = (uint8_t)!c->events[i].dir;
	fl->wants = 0;
	fl->h[0].off = fl->h[1].off = 0;
	sinks_open(f, fl);
}

/* ---- one TCP segment ---------------------------------------------------- */

static void
tcp_packet(struct dt_flow *f, const struct dt_packet *pkt,
    const struct dt_l4 *l4)
{
	struct slot *slot;
	struct flow *fl;
	uint32_t hash;
	int src_low, dir;
	size_t need;

	/* Many segments are of the connection of the segment before (a
	   flight, its ACK, the answer): that one is asked first, without a
	   hash or a probe. The others are looked up with the segment's
	   endpoints as they come (the hash is the same either way round):
	   only a new connection puts them in order. A SYN goes the long
	   way: it may end a connection and start one. */
	fl = f->last;
	if (fl != NULL && !(l4->flags & DT_TCP_SYN) &&
	    (src_low = flow_match(fl, l4)) >= 0)
		goto found;
	hash = table_hash(f->seed, &l4->src, l4->sport, &l4->dst, l4->dport);
	slot = table_find_l4(f, hash, l4, &src_low);
	fl = slot->fl;
	if (fl != NULL && (l4->flags & DT_TCP_SYN)) {	/* both ask a SYN */
		int swap;

		dir = (src_low ? 0 : 1) == fl->cli ? DT_C2S : DT_S2C;
		if (tcp_simultaneous_open(f, fl, dir, l4, &swap)) {
			/* both ends opened: no SYN names the client */
			fl->c->roles_from_syn = 0;
			if (swap)
				roles_swap(f, fl);
		} else if (tcp_syn_restarts(fl, dir, l4)) {
			flow_destroy(f, fl);
			fl = NULL;
			slot = table_find_l4(f, hash, l4, &src_low);
		}
	}
	if (fl == NULL) {
		src_low = addr_cmp(&l4->src, l4->sport, &l4->dst,
		    l4->dport) <= 0;
		if ((fl = flow_create(f, slot, hash, l4, pkt)) == NULL) {
			count_dropped(f, src_low, pkt, l4);
			return;
		}
	}
	f->last = fl;
found:
	dir = (src_low ? 0 : 1) == fl->cli ? DT_C2S : DT_S2C;
	if (tcp_duplicate(fl, dir, pkt, l4))
		return;
	touch(f, fl, pkt->time);
	if (tcp_plain(fl, dir, l4)) {	/* nothing of it waits */
		if (tcp_plain_in(f, fl, dir, pkt, l4) == TCP_ENDED)
			conn_end(f, fl, pkt->frame, pkt->time);
		return;
	}
	/* bytes that will wait may push out connections idle longest */
	need = tcp_buffer_need(fl, dir, l4);
	if (need > 0)
		(void)make_room(f, need, fl, pkt->frame);
	if (tcp_segment_in(f, fl, dir, pkt, l4) == TCP_ENDED)
		conn_end(f, fl, pkt->frame, pkt->time);
}

/* The time past which a list's oldest, last seen at t, goes after
   timeout; saturated (capture times are within +-DT_TIME_MAX, a timeout
   from the caller may be anything). */
static int64_t
deadline(int64_t t, int64_t timeout)
{
	int64_t d;

	return __builtin_add_overflow(t, timeout, &d) ? INT64_MAX : d;
}

/* Idle connections and old tombstones go, oldest first. Asked of every
   packet: only the heads of the lists can go, so the time they would is
   kept (f->expire_at) and before it nothing is looked at. */
static void
expire(struct dt_flow *f, int64_t now)
{
	struct flow *fl;
	int64_t at = INT64_MAX, d;

	if (now <= f->expire_at)
		return;
	while ((fl = TAILQ_FIRST(&f->tombs)) != NULL &&
	    now - fl->last_time > f->tomb_timeout)
		flow_destroy(f, fl);
	while ((fl = TAILQ_FIRST(&f->live)) != NULL &&
	    now - fl->last_time > f->idle) {
		conn_end(f, fl, 0, fl->last_time);
		flow_destroy(f, fl);
	}
	if ((fl = TAILQ_FIRST(&f->tombs)) != NULL)
		at = deadline(fl->last_time, f->tomb_timeout);
	if ((fl = TAILQ_FIRST(&f->live)) != NULL &&
	    (d = deadline(fl->last_time, f->idle)) < at)
		at = d;
	f->expire_at = at;
}

/* ---- the contract ------------------------------------------------------- */

int
dt_flow_new(struct dt_flow **out, struct dt_capture *cap,
    const struct dt_flow_config *cfg)
{
	struct dt_flow *f;
	size_t i;

	*out = NULL;
	f = dt_calloc(cap->mem, 1, sizeof *f);
	if (f == NULL)
		return DT_ENOMEM;
	f->cap = cap;
	f->m = cap->mem;
	f->budget.m = cap->mem;
	TAILQ_INIT(&f->live);
	TAILQ_INIT(&f->tombs);
	f->expire_at = INT64_MIN;
	/* none: 443 alone, as dt_ports_have() reads an empty set */
	if (cfg != NULL && cfg->ports != NULL)
		for (i = 0; i < DT_MAX_PORTS && cfg->ports[i] != 0; i++)
			f->ports[i] = cfg->ports[i];
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

int
dt_flow_add_sink(struct dt_flow *f, const struct dt_flow_sink *sink,
    void *payload)
{
	struct sink *s;
	int rc;

	if (f->started || f->n_sinks == DT_FLOW_MAX_SINKS)
		return DT_EINVAL;
	s = &f->sinks[f->n_sinks];
	s->s = *sink;
	s->payload = payload;
	if (sink->start != NULL &&
	    (rc = sink->start(&s->payload, f->cap, &f->budget)) != 0)
		return rc;
	if (sink->datagram != NULL)
		f->dgram |= 1u << f->n_sinks;
	f->n_sinks++;
	return 0;
}

void
dt_flow_packet(struct dt_flow *f, const struct dt_packet *pkt,
    const struct dt_l4 *l4)
{
	unsigned i, on;

	f->started = 1;
	if (l4->caplen > 0 && l4->payload == NULL)
		return;
	if (l4->status == DT_L4_TCP && l4->paylen <= DT_FLOW_MAX_SEGMENT)
		tcp_packet(f, pkt, l4);
	else if (l4->status == DT_L4_UDP)
		for (on = f->dgram; on != 0; on &= on - 1) {
			i = (unsigned)__builtin_ctz(on);
			f->sinks[i].s.datagram(f->sinks[i].payload, pkt, l4);
		}
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
	struct dt_drop *dx;
	uint16_t p0, p1, a;
	int src_low = 0, dir;

	if (l4->status == DT_L4_TCP) {
		src_low = addr_cmp(&l4->src, l4->sport, &l4->dst,
		    l4->dport) <= 0;
		a0 = src_low ? &l4->src : &l4->dst;
		a1 = src_low ? &l4->dst : &l4->src;
		p0 = src_low ? l4->sport : l4->dport;
		p1 = src_low ? l4->dport : l4->sport;
		fl = table_find(f, table_hash(f->seed, a0, p0, a1, p1), a0, p0,
		    a1, p1)->fl;
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
	if ((dx = dt_conn_drop_make(f->m, c)) == NULL)
		return;			/* the analysis says memory failed */
	if (dx->frame == 0) {
		dx->frame = pkt->frame;
		dx->dir = (uint8_t)dir;
		if (pm != NULL) {
			if (pm->component_name[0] != '\0')
				snprintf(dx->component, sizeof dx->component,
				    "%s", pm->component_name);
			else
				snprintf(dx->component, sizeof dx->component,
				    "component %u", (unsigned)pm->component);
			snprintf(dx->reason, sizeof dx->reason, "%s",
			    pm->drop_reason);
			snprintf(dx->location, sizeof dx->location, "%s",
			    pm->drop_location);
		}
	}
	dx->n++;
	dt_conn_add_event(f->m, c, DT_EV_DROPPED, (uint8_t)dir, pkt->frame,
	    pkt->time, a, l4->paylen);
}

void
dt_flow_finish(struct dt_flow *f)
{
	struct flow *fl;

	f->finishing = 1;
	while ((fl = TAILQ_FIRST(&f->live)) != NULL) {
		dt_conn_add_event(f->m, fl->c, DT_EV_END_OPEN, 0,
		    fl->c->last_frame, fl->c->last_time, 0, 0);
		conn_end(f, fl, 0, fl->last_time);
		flow_destroy(f, fl);
	}
	while ((fl = TAILQ_FIRST(&f->tombs)) != NULL)
		flow_destroy(f, fl);
	while (f->n_spare > 0)
		dt_free(f->m, f->spare[--f->n_spare]);
}

void
dt_flow_free(struct dt_flow *f)
{
	unsigned i;

	if (f == NULL)
		return;
	dt_flow_finish(f);
	for (i = 0; i < f->n_sinks; i++)
		if (f->sinks[i].s.stop != NULL)
			f->sinks[i].s.stop(f->sinks[i].payload);
	dt_free(f->m, f->dropped);
	dt_free(f->m, f->slots);
	dt_free(f->m, f);
}

size_t
dt_flow_live(const struct dt_flow *f)
{
	return f->n_live;
}

size_t
dt_flow_buffered(const struct dt_flow *f)
{
	return f->budget.buffered;
}
