/*
 * flow/'s insides, shared by its three layers, top down:
 *
 *   flow.c   the contract, the connection table, the lifecycle (create,
 *            end, destroy, idle expiry, eviction under the memory cap), sinks
 *   tcp.c    one TCP segment against its connection's state (RFC 9293)
 *   reasm.c  per-direction reassembly and delivery to the sinks
 *
 * Each layer calls only the ones below it. Not installed; sinks see only
 * flow.h.
 */
#ifndef DT_FLOW_INT_H
#define DT_FLOW_INT_H

#include <sys/queue.h>

#include <string.h>

#include "flow/flow.h"

#define DT_NS			((int64_t)1000000000)
#define FLOW_RANGES		8	/* counting mode: seen ranges */
#define FLOW_SEG_COST		64	/* budget per waiting piece: its header */

struct seg {				/* an out-of-order piece */
	TAILQ_ENTRY(seg) link;
	uint32_t seq;
	uint32_t len;			/* sequence space it covers */
	uint32_t caplen;		/* bytes present (a prefix) */
	uint64_t frame;
	int64_t time;
	uint8_t data[];
};

TAILQ_HEAD(segq, seg);

struct half {				/* one direction of a connection */
	/* the first 64 bytes: what every segment reads or writes */
	uint32_t next;			/* next byte expected */
	uint32_t max_end;		/* highest end seen */
	int64_t max_time;		/* when max_end last grew */
	/* the previous segment, to merge duplicates within DUP_WINDOW */
	int64_t last_time;
	uint32_t last_seq, last_ack, last_len;
	uint32_t fin_seq;		/* sequence number of the FIN */
	uint32_t max_win;		/* largest window it advertised (raw) */
	uint8_t started, fin, zero_win;
	uint8_t counting;		/* no reassembly any more */
	uint8_t off;			/* sinks done with it, one bit each */
	uint8_t last_flags, last_valid;
	uint8_t has_isn;		/* 2: a SYN-ACK of alt_isn too, no
					   byte yet (tcp.c isn_restart()) */
	uint8_t synack;			/* it sent a SYN-ACK */
	uint8_t wscale;			/* its SYN's window scale, 0xff: none */
	uint8_t oow_said;		/* an ACK of it out of the window, told */
	uint8_t nr;			/* counting: ranges seen above next */
	struct segq ooo;		/* sorted, non-overlapping */
	/* then what segments out of order, SYNs and retransmissions read */
	size_t buffered;		/* payload bytes in ooo */
	size_t pieces;
	uint32_t isn;			/* its SYN's sequence number */
	uint32_t start;			/* sequence number of stream byte 0 */
	uint32_t alt_isn;		/* the latest other SYN-ACK's ISN */
	uint32_t rs[FLOW_RANGES], re[FLOW_RANGES];	/* last: rarely read */
};

struct flow {				/* the key first: the lookup's line */
	uint32_t hash;
	uint16_t port[2];
	struct dt_addr addr[2];		/* key: lower endpoint first */
	uint8_t cli;			/* index of the client in addr/port */
	uint8_t wants;			/* sinks that see it, one bit each */
	uint8_t ended;			/* a tombstone */
	uint8_t synack, data, rst;
	uint8_t challenged;		/* a challenge ACK answered its SYN */
	uint8_t settle;			/* a sink went off: reasm_settle() asks */
	struct dt_conn *c;
	/* the second line: what every packet writes */
	TAILQ_ENTRY(flow) link;		/* LRU (live) or end order (tombs) */
	int64_t last_time;
	int64_t syn_time;		/* the first SYN */
	int64_t irtt;			/* SYN to the handshake's ACK, 0: unknown */
	uint32_t challenge_ack;		/* that ACK's number */
	void *state[DT_FLOW_MAX_SINKS];	/* each sink's slot */
	struct half h[2];		/* DT_C2S, DT_S2C */
};

TAILQ_HEAD(flowq, flow);

struct slot {				/* of the table: the hash beside */
	struct flow *fl;
	uint32_t hash;
};

struct sink {
	struct dt_flow_sink s;
	void *payload;
};

#define DT_FLOW_SPARES	16

struct dt_flow {
	struct dt_capture *cap;
	struct dt_mem *m;
	struct dt_flow_budget budget;	/* .buffered: every buffer of flow/ */
	struct sink sinks[DT_FLOW_MAX_SINKS];
	unsigned n_sinks;
	unsigned dgram;			/* sinks with datagram(), one bit each */
	uint16_t ports[DT_MAX_PORTS + 1];	/* for dt_ports_have() */
	size_t stream_cap;
	int64_t idle;
	int64_t tomb_timeout;
	uint32_t seed;
	int started;			/* a packet came: no more sinks */
	int finishing;			/* dt_flow_finish(): nothing retires */

	struct slot *slots;
	size_t nslots, nused;
	struct flowq live, tombs;
	size_t n_live;
	struct dropped *dropped;	/* keys the cap kept out, or NULL */
	struct flow *last;		/* the last segment's flow, or NULL */
	/* no head of live or tombs expires up to this time: expire() runs
	   only past it (INT64_MIN: a head changed, ask again) */
	int64_t expire_at;
	/* destroyed flows' blocks, for the next connections */
	struct flow *spare[DT_FLOW_SPARES];
	unsigned n_spare;
};

/* Sequence numbers compare as serial numbers (RFC 1982). */
static inline int
seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline int
seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

/* ---- tcp.c -------------------------------------------------------------- */

/* What the lifecycle does after a segment. */
enum tcp_next { TCP_GO_ON = 0, TCP_ENDED };

/* Does this SYN (no ACK) from dir start a new connection on the 5-tuple
   of fl, rather than retry the one known? (Ask tcp_simultaneous_open()
   first.) */
int tcp_syn_restarts(const struct flow *fl, int dir, const struct dt_l4 *l4);
/* Is this SYN from dir the peer's own in a simultaneous open (RFC 9293
   3.5)? 1, and *swap 1 when its sender is the client after all. */
int tcp_simultaneous_open(const struct dt_flow *f, const struct flow *fl,
    int dir, const struct dt_l4 *l4, int *swap);
/* Which endpoint of a new connection is the client: 1 the source of l4. */
int tcp_client_is_src(const struct dt_flow *f, const struct dt_l4 *l4,
    int *from_syn);
/* The same segment twice within 1 ms is one packet (a capture
   duplicate): 1, drop it. Asked of every segment, so inline. */
#define DUP_WINDOW	(1000000)	/* 1 ms */

static inline int
tcp_duplicate(struct flow *fl, int dir, const struct dt_packet *pkt,
    const struct dt_l4 *l4)
{
	struct half *h = &fl->h[dir];

	if (h->last_valid && h->last_seq == l4->seq &&
	    h->last_ack == l4->ack && h->last_len == l4->paylen &&
	    h->last_flags == l4->flags &&
	    pkt->time - h->last_time >= 0 &&
	    pkt->time - h->last_time <= DUP_WINDOW)
		return 1;
	h->last_valid = 1;
	h->last_seq = l4->seq;
	h->last_ack = l4->ack;
	h->last_len = l4->paylen;
	h->last_flags = l4->flags;
	h->last_time = pkt->time;
	return 0;
}
/* One segment of a live or ended connection (any: the plain one too). */
enum tcp_next tcp_segment_in(struct dt_flow *f, struct flow *fl, int dir,
    const struct dt_packet *pkt, const struct dt_l4 *l4);
/* A segment in dir that carried bytes seen before, from seq on. */
void tcp_retransmission(struct dt_flow *f, struct flow *fl, int dir,
    const struct dt_packet *pkt, uint32_t seq);
/* The peer acknowledged dir's stream up to lim, past next (tcp_ack_step()). */
void tcp_ack_past(struct dt_flow *f, struct flow *fl, int dir, uint32_t lim,
    const struct dt_packet *pkt);
/* The state of a connection that ends now. */
enum dt_tcp_state tcp_decide_state(const struct flow *fl);

#define OOO_WINDOW	(3000000)	/* 3 ms: reordered, not resent */

/* What every segment of a connection counts, first. */
static inline void
tcp_count(struct dt_conn *c, int dir, const struct dt_packet *pkt,
    uint32_t len)
{
	c->last_frame = pkt->frame;
	c->last_time = pkt->time;
	c->packets[dir]++;
	c->bytes[dir] += len;
}

/*
 * After the payload of a segment (len > 0) of a direction that has begun:
 * as Wireshark counts, one that filled a hole below max_end (behind, told
 * before the payload went in) later than the handshake's round trip (else
 * OOO_WINDOW) after that byte was a retransmission, unless the payload's
 * own step counted it already (the count was before); max_end grows.
 */
static inline void
tcp_payload_end(struct dt_flow *f, struct flow *fl, int dir,
    const struct dt_packet *pkt, uint32_t seq, uint32_t len, int behind,
    unsigned before)
{
	struct half *h = &fl->h[dir];

	if (behind && fl->c->retransmissions == before &&
	    pkt->time - h->max_time > (fl->irtt > 0 ? fl->irtt : OOO_WINDOW))
		tcp_retransmission(f, fl, dir, pkt, seq);
	if (seq_lt(h->max_end, seq + len)) {
		h->max_end = seq + len;
		h->max_time = pkt->time;
	}
}

/* Facts of a segment with payload: the server's TTLs. */
static inline void
tcp_data_facts(struct flow *fl, int dir, const struct dt_l4 *l4)
{
	struct dt_conn *c = fl->c;

	fl->data = 1;
	if (dir != DT_S2C)
		return;
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

/* An ACK (not on a SYN): the handshake's round trip, the window. */
static inline void
tcp_ack_facts(struct dt_flow *f, struct flow *fl, int dir,
    const struct dt_packet *pkt, const struct dt_l4 *l4)
{
	struct half *h = &fl->h[dir];
	struct dt_conn *c = fl->c;

	if (dir == DT_C2S && fl->synack && c->syn_frame != 0 &&
	    fl->irtt == 0 && pkt->time > fl->syn_time)
		fl->irtt = pkt->time - fl->syn_time;
	if (l4->window == 0 && !h->zero_win) {
		h->zero_win = 1;
		dt_conn_add_event(f->m, c, DT_EV_ZERO_WINDOW, (uint8_t)dir,
		    pkt->frame, pkt->time, 0, 0);
	} else if (l4->window != 0) {
		h->zero_win = 0;
	}
}

/* The peer acknowledged up to ack: bytes of dir before it were received
   (most ACKs reach no further than next: asked inline). */
static inline __attribute__((always_inline)) void
tcp_ack_step(struct dt_flow *f, struct flow *fl, int dir, uint32_t ack,
    const struct dt_packet *pkt)
{
	struct half *h = &fl->h[dir];
	uint32_t lim = ack;

	if (!h->started)
		return;
	if (h->fin && seq_lt(h->fin_seq, lim))
		lim = h->fin_seq;
	if (seq_lt(h->next, lim))
		tcp_ack_past(f, fl, dir, lim, pkt);
}

/* Sequence number of a segment's first payload byte. */
static inline uint32_t
payload_seq(const struct dt_l4 *l4)
{
	return l4->seq + ((l4->flags & DT_TCP_SYN) ? 1 : 0);
}

/* The byte before the next, or none (RFC 9293 3.8.4: a keep-alive; also
   Linux's zero-window probe, which is the same segment). */
static inline int
is_keepalive(const struct half *h, const struct dt_l4 *l4)
{
	return h->started && !(l4->flags & (DT_TCP_SYN | DT_TCP_FIN)) &&
	    l4->paylen <= 1 && l4->seq == h->next - 1;
}

/* The bytes a segment in dir may make the buffers hold (0: none): only
   one ahead of the next byte waits. Asked of every segment, so inline,
   and the question most segments answer no to first: in order or behind
   (a keep-alive is behind too). */
static inline size_t
tcp_buffer_need(const struct flow *fl, int dir, const struct dt_l4 *l4)
{
	const struct half *h = &fl->h[dir];
	uint32_t cap = l4->caplen < l4->paylen ? l4->caplen : l4->paylen;

	if (l4->paylen == 0 || !seq_lt(h->next, payload_seq(l4)) ||
	    fl->ended || (l4->flags & DT_TCP_RST) || !h->started ||
	    h->counting)
		return 0;
	return cap + sizeof(struct seg);
}

/* ---- reasm.c ------------------------------------------------------------ */

void reasm_init(struct flow *fl);
/* In-order bytes from seq (== next) on; the rest waits. 1: it overlapped
   waiting bytes from *at on. */
int reasm_in_order(struct dt_flow *f, struct flow *fl, int dir, uint32_t seq,
    const uint8_t *p, uint32_t cap, uint32_t len, const struct dt_packet *pkt,
    uint32_t *at);
/* n bytes from next on to the sinks still on, bit by bit (a sink's data()
   turns only its own bit off, after it returns). Inline: the in-order
   segment (tcp.c) hands its payload here straight. */
static inline void
reasm_deliver(struct dt_flow *f, struct flow *fl, int dir, const uint8_t *p,
    size_t n, uint64_t frame, int64_t time)
{
	struct half *h = &fl->h[dir];
	unsigned i, on;

	h->next += (uint32_t)n;
	if (n == 0)
		return;
	for (on = ~h->off & ((1u << f->n_sinks) - 1); on != 0; on &= on - 1) {
		struct sink *s;

		i = (unsigned)__builtin_ctz(on);
		s = &f->sinks[i];
		if (!s->s.data(s->payload, fl->c, &fl->state[i], dir, p, n,
		    frame, time)) {
			h->off |= (uint8_t)(1u << i);
			fl->settle = 1;
		}
	}
}
/* The bytes of a segment from offset off on (present, then cut as gap). */
void reasm_deliver_part(struct dt_flow *f, struct flow *fl, int dir,
    const uint8_t *p, uint32_t caplen, uint32_t len, uint32_t off,
    uint64_t frame, int64_t time);
void reasm_deliver_gap(struct dt_flow *f, struct flow *fl, int dir,
    uint32_t n, uint64_t frame, int64_t time);
/* Buffer a segment ahead of next. 1: overlapped a waiting piece. */
int reasm_buffer(struct dt_flow *f, struct flow *fl, int dir, uint32_t seq,
    const uint8_t *p, uint32_t caplen, uint32_t len, uint64_t frame,
    int64_t time);
/* Can [seq, seq+cap) wait in the buffer of dir (stream_cap and memory)? */
int reasm_fits(const struct dt_flow *f, const struct half *h, uint32_t cap);
void reasm_drain(struct dt_flow *f, struct flow *fl, int dir);
void reasm_skip_hole(struct dt_flow *f, struct flow *fl, int dir);
/* The receiver acknowledged up to lim: holes before it are gaps. */
void reasm_acked(struct dt_flow *f, struct flow *fl, int dir, uint32_t lim,
    uint64_t frame, int64_t time);
/* Counting mode: add [a, b); 1 when it overlapped a range seen. */
int reasm_ranges_add(struct half *h, uint32_t a, uint32_t b);
/* Directions no sink wants any more stop reassembling: after every
   segment, so the question is inline and the work is not. */
void reasm_to_counting(struct dt_flow *f, struct flow *fl);

static inline void
reasm_settle(struct dt_flow *f, struct flow *fl)
{
	unsigned all = (1u << f->n_sinks) - 1;

	if (!fl->settle)	/* no sink went off since it last asked */
		return;
	fl->settle = 0;
	if ((!fl->h[0].counting && fl->h[0].off == all) ||
	    (!fl->h[1].counting && fl->h[1].off == all))
		reasm_to_counting(f, fl);
}
void reasm_flush(struct dt_flow *f, struct flow *fl, int dir, uint64_t frame,
    int64_t time);
void reasm_free(struct dt_flow *f, struct flow *fl, int dir);

/* ---- tcp.c: the plain segment, inline in flow.c ------------------------- */

static inline int
tcp_dir_complete(const struct half *h)
{
	return h->counting || !h->started || !seq_lt(h->next, h->fin_seq);
}

/* After every segment: directions no sink wants stop reassembling; both
   FINs with every byte before them end the connection. */
static inline enum tcp_next
tcp_segment_end(struct dt_flow *f, struct flow *fl)
{
	reasm_settle(f, fl);
	if (fl->h[0].fin && fl->h[1].fin && tcp_dir_complete(&fl->h[0]) &&
	    tcp_dir_complete(&fl->h[1]))
		return TCP_ENDED;
	return TCP_GO_ON;
}

/*
 * Most segments: an ACK without SYN, RST or FIN, of a live connection
 * whose direction has begun, not probing a zero window, and either bare
 * (not a keep-alive) or the next bytes whole with nothing waiting (in a
 * counted direction, no range seen above next). tcp_plain_in() takes the
 * steps of tcp_segment_in() that such a segment takes, in their order,
 * without asking what it is not: no SYN, RST or end step; no challenge
 * ACK (its direction has begun); no probe or keep-alive; the payload
 * straight to the sinks, or, counted, only past (counted_segment()).
 */
static inline int
tcp_plain(const struct flow *fl, int dir, const struct dt_l4 *l4)
{
	const struct half *h = &fl->h[dir];

	if ((l4->flags & (DT_TCP_SYN | DT_TCP_RST | DT_TCP_FIN | DT_TCP_ACK)) !=
	    DT_TCP_ACK || fl->ended || !h->started || h->nr != 0 ||
	    fl->h[!dir].zero_win)
		return 0;
	if (l4->paylen == 0)
		return l4->seq != h->next - 1;
	return l4->seq == h->next && l4->caplen >= l4->paylen &&
	    TAILQ_EMPTY(&h->ooo);
}

static inline enum tcp_next
tcp_plain_in(struct dt_flow *f, struct flow *fl, int dir,
    const struct dt_packet *pkt, const struct dt_l4 *l4)
{
	struct half *h = &fl->h[dir];
	struct dt_conn *c = fl->c;
	uint32_t len = l4->paylen;

	tcp_count(c, dir, pkt, len);
	if (l4->window > h->max_win)
		h->max_win = l4->window;
	if (len > 0)
		tcp_data_facts(fl, dir, l4);
	tcp_ack_facts(f, fl, dir, pkt, l4);
	if (len > 0) {		/* payload_step(), segment_text() */
		unsigned before = c->retransmissions;
		int behind = seq_lt(l4->seq, h->max_end);

		if (h->counting)
			h->next += len;
		else
			reasm_deliver(f, fl, dir, l4->payload, len,
			    pkt->frame, pkt->time);
		tcp_payload_end(f, fl, dir, pkt, l4->seq, len, behind, before);
	}
	tcp_ack_step(f, fl, !dir, l4->ack, pkt);
	return tcp_segment_end(f, fl);
}

/* An address folded into seed, a table's hash to be: IPv6's two words
   with a multiply between, IPv4's one word as it is. flow.c's
   end_hash() and dns.c's dns_bucket() then mix in their ports; both
   seeds are per run, so only buckets depend on it. */
static inline uint64_t
dt_addr_fold(uint64_t seed, const struct dt_addr *a)
{
	uint64_t h, w;
	uint32_t v;

	if (a->family == 6) {
		memcpy(&w, a->a, 8);
		h = (seed ^ w) * 0x9e3779b97f4a7c15ULL;
		memcpy(&w, a->a + 8, 8);
		return h ^ w;
	}
	memcpy(&v, a->a, 4);
	return seed ^ v;
}

#endif
