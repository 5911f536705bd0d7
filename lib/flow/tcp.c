/*
 * flow/tcp: one TCP segment against its connection's state (RFC 9293
 * 3.10.7), one step per thing a segment can carry: SYN, RST, payload (with
 * the FIN), ACK. The connection table and the lifecycle (flow.c) call in
 * here and act on what comes back (TCP_ENDED); the bytes go to reasm.c.
 * The steps of the plain segment (an ACK with the next bytes or none, two
 * segments in three) and the small ones every segment takes are inline in
 * flow_int.h, so that flow.c takes them without a call.
 *
 * Roles come from the SYN (its sender is the client), else from the port
 * set (the IP-HTTPS ports are servers), else the higher port is the
 * client. See flow.h for the states and what counts as a retransmission.
 *
 * What real stacks and networks do, by name:
 *  - challenge ACK (RFC 9293 3.10.7.3, RFC 5961 4): a SYN answered by a
 *    bare ACK for bytes never sent, because the peer still holds an older
 *    connection of the 5-tuple (a client reconnecting from the same port
 *    after losing its state, NAT). The client answers with a RST at that
 *    number, which resets the stale connection, not this one, and sends
 *    its SYN again. Neither is an answer, a gap or the end.
 *  - ACKs outside the window: an ACK past anything sent plus the window
 *    the acknowledger advertised is not capture loss; it is said once
 *    (DT_EV_OUT_OF_WINDOW) and changes nothing else.
 *  - simultaneous open (RFC 9293 3.5, figure 8): a SYN from the other
 *    side while the first one waits is the peer's own SYN, not a new
 *    connection. Both ends opened, so the first SYN does not name the
 *    client: the port set does (a DirectAccess client and server that
 *    each connect to the other, a NAT traversal, a lab), and the roles
 *    are said to be guessed (roles_from_syn 0).
 *  - keep-alives (RFC 9293 3.8.4: the byte before the next, none or one)
 *    and zero-window probes (3.8.6.1: Linux sends the same segment,
 *    Windows the next byte alone) are neither retransmissions nor gaps;
 *    the probe's byte, when new, is stream data.
 *  - SYN and SYN-ACK retransmissions, TFO data in the SYN (RFC 7413),
 *    exact duplicates (a port mirror), sequence wrap: see the steps
 *    below and reasm.c.
 */
#include "flow/flow_int.h"

#include "util/ports.h"
#include "util/rd.h"

static void
add_event(struct dt_flow *f, struct flow *fl, uint8_t type, int dir,
    const struct dt_packet *pkt, uint16_t a, uint32_t b)
{
	dt_conn_add_event(f->m, fl->c, type, (uint8_t)dir, pkt->frame,
	    pkt->time, a, b);
}

void
tcp_retransmission(struct dt_flow *f, struct flow *fl, int dir,
    const struct dt_packet *pkt, uint32_t seq)
{
	fl->c->retransmissions++;
	add_event(f, fl, DT_EV_RETRANS, dir, pkt, 0, seq - fl->h[dir].start);
}

static int
in_port_set(const struct dt_flow *f, uint16_t port)
{
	return dt_ports_have(f->ports, port);
}

/* ---- questions the lifecycle asks --------------------------------------- */

int
tcp_client_is_src(const struct dt_flow *f, const struct dt_l4 *l4,
    int *from_syn)
{
	int syn = (l4->flags & (DT_TCP_SYN | DT_TCP_RST)) == DT_TCP_SYN;

	*from_syn = syn;
	if (syn)
		return (l4->flags & DT_TCP_ACK) == 0;
	if (in_port_set(f, l4->dport) != in_port_set(f, l4->sport))
		return in_port_set(f, l4->dport);
	return l4->sport >= l4->dport;
}

int
tcp_syn_restarts(const struct flow *fl, int dir, const struct dt_l4 *l4)
{
	const struct half *h = &fl->h[dir];

	if ((l4->flags & (DT_TCP_SYN | DT_TCP_RST | DT_TCP_ACK)) != DT_TCP_SYN)
		return 0;
	return !(h->has_isn && h->isn == l4->seq);
}

int
tcp_simultaneous_open(const struct dt_flow *f, const struct flow *fl,
    int dir, const struct dt_l4 *l4, int *swap)
{
	*swap = 0;
	if (dir != DT_S2C || (l4->flags & (DT_TCP_SYN | DT_TCP_RST |
	    DT_TCP_ACK)) != DT_TCP_SYN || fl->h[DT_S2C].has_isn ||
	    fl->ended || fl->synack || fl->c->syn_frame == 0)
		return 0;
	/* the second SYN's sender is the client when its peer's port is a
	   server port and its own is not (and no byte has gone anywhere
	   yet: TFO data in the first SYN made its sender the client) */
	*swap = !fl->data && in_port_set(f, l4->dport) &&
	    !in_port_set(f, l4->sport);
	return 1;
}

enum dt_tcp_state
tcp_decide_state(const struct flow *fl)
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

/* Its peer's window is zero: a keep-alive-shaped segment (Linux) or the
   next byte alone (Windows, tshark's "ZeroWindowProbe") probes it. */
static int
probes_zero_window(const struct flow *fl, int dir, const struct dt_l4 *l4)
{
	const struct half *h = &fl->h[dir];

	return fl->h[!dir].zero_win && h->started &&
	    !(l4->flags & (DT_TCP_SYN | DT_TCP_FIN)) &&
	    (is_keepalive(h, l4) || (l4->paylen == 1 && l4->seq == h->next));
}


/* ---- SYN ---------------------------------------------------------------- */

static void
syn_step(struct dt_flow *f, struct flow *fl, int dir,
    const struct dt_packet *pkt, const struct dt_l4 *l4)
{
	struct half *h = &fl->h[dir];
	struct dt_conn *c = fl->c;
	/* a SYN-ACK repeats its sender's SYN in a simultaneous open: a
	   retransmission only after a SYN-ACK of that side */
	int retry = h->has_isn && h->isn == l4->seq &&
	    (!(l4->flags & DT_TCP_ACK) || h->synack);

	if (!h->has_isn) {
		h->has_isn = 1;
		h->isn = l4->seq;
		h->wscale = l4->wscale;
		if (!h->started) {
			h->started = 1;
			h->start = h->next = h->max_end = l4->seq + 1;
		}
	} else if ((l4->flags & DT_TCP_ACK) && l4->seq != h->isn &&
	    h->next == h->start) {
		h->has_isn = 2;		/* which one stands: isn_restart() */
		h->alt_isn = l4->seq;
	}
	if (!(l4->flags & DT_TCP_ACK)) {
		if (c->syn_frame == 0) {
			c->syn_frame = pkt->frame;
			c->ttl_syn = l4->ttl;
			fl->syn_time = pkt->time;
		}
		c->syn_count++;
		add_event(f, fl, DT_EV_SYN, dir, pkt, (uint16_t)retry, 0);
		return;
	}
	h->synack = 1;
	if (!fl->synack) {
		fl->synack = 1;
		c->synack_frame = pkt->frame;
		c->ttl_synack = l4->ttl;
	}
	add_event(f, fl, DT_EV_SYNACK, dir, pkt, (uint16_t)retry, 0);
}

/* ---- RST ---------------------------------------------------------------- */

static enum tcp_next
rst_step(struct dt_flow *f, struct flow *fl, int dir,
    const struct dt_packet *pkt, const struct dt_l4 *l4)
{
	struct dt_conn *c = fl->c;
	const struct half *o = &fl->h[!dir];

	if (dir == DT_C2S && fl->challenged && !fl->synack &&
	    l4->seq == fl->challenge_ack) {
		/* the answer to a challenge ACK: it resets the peer's stale
		   connection; this one's SYN is sent again */
		add_event(f, fl, DT_EV_RST, dir, pkt, 1, 0);
		return TCP_GO_ON;
	}
	if (c->rst_frame == 0) {
		c->rst_frame = pkt->frame;
		c->rst_dir = (uint8_t)dir;
	}
	/* in answer to what: the SYN (a = 1; not in a capture that began
	   after it), or after b bytes of the peer's stream (the
	   ClientHello, later) */
	add_event(f, fl, DT_EV_RST, dir, pkt,
	    !fl->synack && c->syn_frame != 0 && !fl->data,
	    o->started ? o->next - o->start : 0);
	if (fl->ended)
		return TCP_GO_ON;
	fl->rst = 1;
	return TCP_ENDED;
}

/* ---- payload and FIN ---------------------------------------------------- */

static void
fin_step(struct dt_flow *f, struct flow *fl, int dir, uint32_t seq,
    uint32_t len, const struct dt_packet *pkt)
{
	struct half *h = &fl->h[dir];

	if (!h->fin) {
		h->fin = 1;
		h->fin_seq = seq + len;
		fl->c->fin_frame[dir] = pkt->frame;
		add_event(f, fl, DT_EV_FIN, dir, pkt, 0, h->fin_seq - h->start);
	} else if (len == 0 && h->fin_seq == seq) {
		tcp_retransmission(f, fl, dir, pkt, seq);
	}
}

/* Counting mode: no buffer; bytes seen again are a retransmission. */
static void
counted_segment(struct dt_flow *f, struct flow *fl, int dir, uint32_t seq,
    uint32_t len, const struct dt_packet *pkt)
{
	struct half *h = &fl->h[dir];
	int overlap = seq_lt(seq, h->next);

	if (!seq_le(seq + len, h->next))
		overlap |= reasm_ranges_add(h, overlap ? h->next : seq,
		    seq + len);
	if (overlap)
		tcp_retransmission(f, fl, dir, pkt, seq);
}

/* Bytes partly before next: the old part is a retransmission, the new
   part goes on as if it started at next. */
static void
behind_segment(struct dt_flow *f, struct flow *fl, int dir, uint32_t seq,
    const struct dt_l4 *l4, uint32_t cap, const struct dt_packet *pkt)
{
	struct half *h = &fl->h[dir];
	uint32_t len = l4->paylen, old = h->next - seq;
	struct seg *first = TAILQ_FIRST(&h->ooo);

	tcp_retransmission(f, fl, dir, pkt, seq);
	if (old >= len)
		return;
	if (first != NULL && seq_lt(first->seq, seq + len)) {
		uint32_t pres = cap > old ? cap - old : 0, at;
		struct rd r = rd_make(l4->payload, cap);

		rd_skip(&r, old < cap ? old : cap);
		if (reasm_in_order(f, fl, dir, h->next, r.p, pres, len - old,
		    pkt, &at))
			tcp_retransmission(f, fl, dir, pkt, at);
	} else {
		reasm_deliver_part(f, fl, dir, l4->payload, cap, len, old,
		    pkt->frame, pkt->time);
	}
	reasm_drain(f, fl, dir);
}

/*
 * dir answered with SYN-ACKs of two ISNs before any byte (a SYN proxy in
 * front of the server, or a server that answered a retransmitted SYN
 * afresh: suricata-verify's tcp-fastopen-10-syn-data-ignore, where the
 * first ISN was taken and the stream then "lost" 1,180,489,186 bytes;
 * nDPI's tls_multiple_synack_different_seq, three ISNs, whose server
 * bytes were all "retransmissions"). The latest other one stands once
 * its peer acknowledges it, or its first bytes follow it: seq is then
 * stream byte 0. 1 when it did.
 */
static int
isn_restart(struct flow *fl, int dir, uint32_t seq)
{
	struct half *h = &fl->h[dir];

	if (h->has_isn != 2 || seq != h->alt_isn + 1 || h->next != h->start ||
	    h->counting || !TAILQ_EMPTY(&h->ooo))
		return 0;
	h->has_isn = 1;
	h->isn = h->alt_isn;
	h->start = h->next = h->max_end = seq;
	return 1;
}

/* Payload (and FIN) of one segment in direction dir. */
static void
segment_text(struct dt_flow *f, struct flow *fl, int dir, uint32_t seq,
    const struct dt_l4 *l4, const struct dt_packet *pkt)
{
	struct half *h = &fl->h[dir];
	uint32_t len = l4->paylen, cap = l4->caplen;

	if (cap > len)
		cap = len;
	if (!h->started) {
		if (len == 0 && !(l4->flags & DT_TCP_FIN))
			return;
		h->started = 1;
		h->start = h->next = h->max_end = seq;
	}
	if (l4->flags & DT_TCP_FIN)
		fin_step(f, fl, dir, seq, len, pkt);
	if (len == 0)
		return;
	if (h->counting) {
		counted_segment(f, fl, dir, seq, len, pkt);
		return;		/* payload_step() raises max_end */
	}
	for (;;) {
		int32_t rel = (int32_t)(seq - h->next);

		if (rel < 0) {
			behind_segment(f, fl, dir, seq, l4, cap, pkt);
			return;
		}
		if (rel == 0) {
			uint32_t at;

			if (TAILQ_EMPTY(&h->ooo)) {
				/* the usual segment: nothing waits, out it
				   goes from the packet (what reasm_in_order()
				   and reasm_drain() do then) */
				reasm_deliver_part(f, fl, dir, l4->payload,
				    cap, len, 0, pkt->frame, pkt->time);
				return;
			}
			if (reasm_in_order(f, fl, dir, seq, l4->payload, cap,
			    len, pkt, &at))
				tcp_retransmission(f, fl, dir, pkt, at);
			reasm_drain(f, fl, dir);
			return;
		}
		/* ahead: wait in the buffer, or give up holes before it (the
		   lifecycle made what room it could before calling) */
		if (reasm_fits(f, h, cap))
			break;
		if (!TAILQ_EMPTY(&h->ooo) && seq_lt(TAILQ_FIRST(&h->ooo)->seq,
		    seq))
			reasm_skip_hole(f, fl, dir);
		else	/* it is the earliest thing waiting: the hole goes */
			reasm_deliver_gap(f, fl, dir, seq - h->next,
			    pkt->frame, pkt->time);
	}
	if (reasm_buffer(f, fl, dir, seq, l4->payload, cap, len, pkt->frame,
	    pkt->time))
		tcp_retransmission(f, fl, dir, pkt, seq);
}

/*
 * As Wireshark counts: a segment carrying bytes already seen is a
 * retransmission (segment_text() counts those); so is one that fills a
 * hole below the highest byte seen when it comes later than the
 * handshake's round trip (else OOO_WINDOW) after that byte (it was lost
 * before the capture point and sent again); sooner, it was only reordered
 * (tcp_payload_end(), which the plain segment takes too).
 */
static void
payload_step(struct dt_flow *f, struct flow *fl, int dir,
    const struct dt_l4 *l4, const struct dt_packet *pkt)
{
	struct half *h = &fl->h[dir];
	unsigned before = fl->c->retransmissions;
	uint32_t seq = payload_seq(l4);
	int behind;

	if (h->has_isn == 2 && l4->paylen > 0)	/* before "behind" is told */
		(void)isn_restart(fl, dir, seq);
	behind = h->started && l4->paylen > 0 && seq_lt(seq, h->max_end);

	segment_text(f, fl, dir, seq, l4, pkt);
	if (h->started && l4->paylen > 0)
		tcp_payload_end(f, fl, dir, pkt, seq, l4->paylen, behind,
		    before);
}

/* ---- ACK ---------------------------------------------------------------- */

/*
 * How far past the bytes seen an ACK of dir's stream may plausibly reach:
 * the largest window its receiver advertised, scaled (RFC 7323 2.2: only
 * when both SYNs carried the option; unknown without the handshake, so the
 * largest scale then), at least 64 KiB.
 */
static uint64_t
window_bound(const struct flow *fl, int dir)
{
	const struct half *r = &fl->h[!dir], *s = &fl->h[dir];
	unsigned scale = 14;
	uint64_t w;

	if (r->has_isn && s->has_isn)
		scale = r->wscale != 0xff && s->wscale != 0xff ?
		    (r->wscale > 14 ? 14 : r->wscale) : 0;
	w = (uint64_t)(r->max_win > 65535 ? r->max_win : 65535) << scale;
	return w;
}

static void
out_of_window(struct dt_flow *f, struct flow *fl, int sender,
    const struct dt_packet *pkt, int challenge, uint32_t past)
{
	struct half *h = &fl->h[!sender];

	if (!challenge && h->oow_said)
		return;
	h->oow_said = 1;
	add_event(f, fl, DT_EV_OUT_OF_WINDOW, sender, pkt,
	    (uint16_t)challenge, past);
}

/* tcp_ack_step()'s ACK past next (flow_int.h): a hole before it will not
   be filled by the capture - when the ACK lies within what the sender may
   have sent unseen. */
void
tcp_ack_past(struct dt_flow *f, struct flow *fl, int dir, uint32_t lim,
    const struct dt_packet *pkt)
{
	struct half *h = &fl->h[dir];
	uint32_t hi;

	if (isn_restart(fl, dir, lim))
		return;
	hi = seq_lt(h->next, h->max_end) ? h->max_end : h->next;
	if (seq_lt(hi, lim) && (uint64_t)(lim - hi) > window_bound(fl, dir)) {
		out_of_window(f, fl, !dir, pkt, 0, lim - hi);
		return;
	}
	reasm_acked(f, fl, dir, lim, pkt->frame, pkt->time);
}

/*
 * A bare ACK from the server while the client's SYN waits for its
 * SYN-ACK: acceptable only for (ISS, SND.NXT] of the client (RFC 9293
 * 3.10.7.3; the SYN-ACK may be missing from the capture). Anything else
 * is a challenge ACK: 1, and the segment is not an answer.
 */
static int
challenge_ack(struct dt_flow *f, struct flow *fl, int dir,
    const struct dt_packet *pkt, const struct dt_l4 *l4)
{
	const struct half *cl = &fl->h[DT_C2S];
	uint32_t nxt;

	if (dir != DT_S2C || (l4->flags & (DT_TCP_SYN | DT_TCP_RST |
	    DT_TCP_ACK)) != DT_TCP_ACK || fl->synack || fl->c->syn_frame == 0 ||
	    !cl->has_isn || fl->h[DT_S2C].started)
		return 0;
	nxt = seq_lt(cl->next, cl->max_end) ? cl->max_end : cl->next;
	if (cl->fin)
		nxt = cl->fin_seq + 1;
	if (seq_lt(cl->isn, l4->ack) && seq_le(l4->ack, nxt))
		return 0;
	fl->challenged = 1;
	fl->challenge_ack = l4->ack;
	out_of_window(f, fl, dir, pkt, 1, l4->ack - nxt);
	return 1;
}

/* ---- one segment -------------------------------------------------------- */

/* Bytes before a FIN again after the end: the peer did not hear it. A
   first FIN after the end is still told (a server closing while the
   client's RST is on its way: it sent one, as tshark shows). */
static void
after_end(struct dt_flow *f, struct flow *fl, int dir,
    const struct dt_packet *pkt, const struct dt_l4 *l4)
{
	const struct half *h = &fl->h[dir];

	if (h->fin && (l4->paylen > 0 || (l4->flags & DT_TCP_FIN)) &&
	    seq_le(l4->seq, h->fin_seq))
		tcp_retransmission(f, fl, dir, pkt, l4->seq);
	else if (!h->fin && (l4->flags & DT_TCP_FIN) && h->started)
		fin_step(f, fl, dir, l4->seq + l4->paylen, 0, pkt);
}

enum tcp_next
tcp_segment_in(struct dt_flow *f, struct flow *fl, int dir,
    const struct dt_packet *pkt, const struct dt_l4 *l4)
{
	struct dt_conn *c = fl->c;
	uint8_t flags = l4->flags;
	int ack = (flags & DT_TCP_ACK) != 0, keepalive;

	tcp_count(c, dir, pkt, l4->paylen);
	if (flags & DT_TCP_SYN)
		syn_step(f, fl, dir, pkt, l4);
	if (flags & DT_TCP_RST)
		return rst_step(f, fl, dir, pkt, l4);
	if (fl->ended) {
		after_end(f, fl, dir, pkt, l4);
		return TCP_GO_ON;
	}
	if (challenge_ack(f, fl, dir, pkt, l4))
		return TCP_GO_ON;
	if (l4->window > fl->h[dir].max_win)
		fl->h[dir].max_win = l4->window;
	if (l4->paylen > 0)
		tcp_data_facts(fl, dir, l4);
	if (ack && !(flags & DT_TCP_SYN))
		tcp_ack_facts(f, fl, dir, pkt, l4);
	keepalive = is_keepalive(&fl->h[dir], l4);
	if (probes_zero_window(fl, dir, l4))
		add_event(f, fl, DT_EV_ZERO_WINDOW_PROBE, dir, pkt, 0, 0);
	else if (keepalive)
		add_event(f, fl, DT_EV_KEEPALIVE, dir, pkt, 0, 0);
	if (!keepalive)
		payload_step(f, fl, dir, l4, pkt);
	if (ack)
		tcp_ack_step(f, fl, !dir, l4->ack, pkt);
	return tcp_segment_end(f, fl);
}
