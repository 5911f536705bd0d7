/*
 * flow/: connections, TCP reassembly and the DNS/HTTP side observations.
 * Hand-built segment sequences go through dt_flow_packet() with a sink that
 * records what it was given (bytes, gaps, ends); the facts in the capture
 * are checked field by field. The netem captures in testdata/netem/ (made
 * by testdata/gen/netem.sh with real kernel TCP over a lossy, reordering
 * veth) are reassembled and compared with what the sender sent.
 */
#include <check.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/budget.h"
#include "flow/flow.h"
#include "testutil.h"

#define MS ((int64_t)1000000)
#define SEC ((int64_t)1000000000)
#define T0 ((int64_t)1700000000 * SEC)

/* ---- a recording sink --------------------------------------------------- */

struct rec {
	uint32_t conn;
	uint8_t *buf[2];
	size_t len[2], cap[2];
	uint64_t gaps[2];
	uint64_t data[2];	/* bytes given to data(), gap marks aside */
	unsigned n_gaps[2];
	uint64_t first_frame[2];
	int ended;
	int stop_after;		/* data() returns 0 after this many bytes */
	int untracked;		/* not in tsink.recs: end() frees it */
};

struct tsink {
	struct rec *recs[64];
	size_t n;
	unsigned ends;
	int stop_after;
};

static struct rec *
rec_of(struct tsink *t, struct dt_conn *c, void **app)
{
	struct rec *r = *app;

	if (r == NULL) {
		r = calloc(1, sizeof *r);
		ck_assert_ptr_nonnull(r);
		r->conn = c->id;
		r->stop_after = t->stop_after;
		*app = r;
		if (t->n < 64)
			t->recs[t->n++] = r;
		else
			r->untracked = 1;
	}
	return r;
}

static void
rec_put(struct rec *r, int dir, const uint8_t *p, size_t n)
{
	if (r->len[dir] + n > r->cap[dir]) {
		r->cap[dir] = (r->len[dir] + n) * 2;
		r->buf[dir] = realloc(r->buf[dir], r->cap[dir]);
		ck_assert_ptr_nonnull(r->buf[dir]);
	}
	memcpy(r->buf[dir] + r->len[dir], p, n);
	r->len[dir] += n;
}

static int
t_data(void *payload, struct dt_conn *c, void **app, int dir,
    const uint8_t *p, size_t n, uint64_t frame, int64_t time)
{
	struct rec *r = rec_of(payload, c, app);

	ck_assert(!r->ended);
	if (r->first_frame[dir] == 0)
		r->first_frame[dir] = frame;
	r->data[dir] += n;
	rec_put(r, dir, p, n);
	return r->stop_after == 0 || r->len[dir] < (size_t)r->stop_after;
}

static int
t_gap(void *payload, struct dt_conn *c, void **app, int dir, uint64_t n,
    uint64_t frame)
{
	struct rec *r = rec_of(payload, c, app);
	size_t i;

	r->gaps[dir] += n;
	r->n_gaps[dir]++;
	for (i = 0; i < n && i < 4096; i++)
		rec_put(r, dir, (const uint8_t *)"~", 1);	/* marks the gap */
	return 1;
}

static void
t_end(void *payload, struct dt_conn *c, void **app)
{
	struct tsink *t = payload;
	struct rec *r = rec_of(payload, c, app);

	ck_assert(!r->ended);
	r->ended = 1;
	t->ends++;
	*app = NULL;		/* kept in t->recs, freed by the test */
	if (r->untracked) {
		free(r->buf[0]);
		free(r->buf[1]);
		free(r);
	}
}

static void
tsink_free(struct tsink *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->recs[i]->buf[0]);
		free(t->recs[i]->buf[1]);
		free(t->recs[i]);
	}
	memset(t, 0, sizeof *t);
}

static struct rec *
rec_conn(struct tsink *t, uint32_t id)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->recs[i]->conn == id)
			return t->recs[i];
	return NULL;
}

/* ---- a test world: one client, one server, a frame clock ------------------ */

struct world {
	struct dt_mem m;
	struct dt_capture *cap;
	struct dt_flow *f;
	struct tsink sink;
	struct dt_addr cli, srv;
	uint16_t cport, sport;
	uint64_t frame;
	int64_t time;
	uint8_t ttl[2];
};

static void
w_open(struct world *w, size_t memcap, const struct dt_flow_config *cfg,
    int with_sink)
{
	struct dt_flow_sink s = { .name = "test", .data = t_data, .gap = t_gap,
	    .end = t_end };

	memset(w, 0, sizeof *w);
	dt_mem_init(&w->m, NULL, NULL, memcap);
	w->cap = dt_calloc(&w->m, 1, sizeof *w->cap);
	ck_assert_ptr_nonnull(w->cap);
	w->cap->mem = &w->m;
	ck_assert_int_eq(dt_flow_new(&w->f, w->cap, cfg), 0);
	/* as the analyzer registers them: the side observers, then the
	   stream consumer under test */
	ck_assert_int_eq(dt_flow_add_sink(w->f, &dt_http_sink, NULL), 0);
	ck_assert_int_eq(dt_flow_add_sink(w->f, &dt_dns_sink, NULL), 0);
	if (with_sink)
		ck_assert_int_eq(dt_flow_add_sink(w->f, &s, &w->sink), 0);
	w->cli.family = 4;
	memcpy(w->cli.a, "\xc6\x12\x01\x64", 4);	/* 198.18.1.100 */
	w->srv.family = 4;
	memcpy(w->srv.a, "\xc6\x13\x00\x0a", 4);	/* 198.19.0.10 */
	w->cport = 50123;
	w->sport = 443;
	w->time = T0;
	w->ttl[0] = 128;
	w->ttl[1] = 57;
}

static void
w_close(struct world *w)
{
	dt_flow_free(w->f);
	dt_capture_free(w->cap);
	ck_assert_uint_eq(w->m.used, 0);	/* nothing leaked */
	tsink_free(&w->sink);
}

/* One TCP segment; advances the frame and 10 ms of time. */
static void
w_tcp_full(struct world *w, int dir, uint8_t flags, uint32_t seq, uint32_t ack,
    const void *data, uint32_t caplen, uint32_t paylen, uint16_t win)
{
	struct dt_packet pkt;
	struct dt_l4 l4;

	memset(&pkt, 0, sizeof pkt);
	memset(&l4, 0, sizeof l4);
	pkt.frame = ++w->frame;
	pkt.time = w->time;
	w->time += 10 * MS;
	l4.status = DT_L4_TCP;
	l4.proto = 6;
	l4.src = dir == DT_C2S ? w->cli : w->srv;
	l4.dst = dir == DT_C2S ? w->srv : w->cli;
	l4.sport = dir == DT_C2S ? w->cport : w->sport;
	l4.dport = dir == DT_C2S ? w->sport : w->cport;
	l4.ttl = w->ttl[dir];
	l4.seq = seq;
	l4.ack = ack;
	l4.flags = flags;
	l4.window = win;
	l4.payload = data;
	l4.caplen = caplen;
	l4.paylen = paylen;
	dt_flow_packet(w->f, &pkt, &l4);
}

static void
w_tcp(struct world *w, int dir, uint8_t flags, uint32_t seq, uint32_t ack,
    const char *data)
{
	uint32_t n = data ? (uint32_t)strlen(data) : 0;

	w_tcp_full(w, dir, flags, seq, ack, data, n, n, 8192);
}

#define C DT_C2S
#define S DT_S2C
#define A DT_TCP_ACK
#define SYN DT_TCP_SYN
#define FIN DT_TCP_FIN
#define RST DT_TCP_RST
#define PA (DT_TCP_PSH | DT_TCP_ACK)

/* client ISN 1000, server ISN 5000 */
static void
w_handshake(struct world *w)
{
	w_tcp(w, C, SYN, 1000, 0, NULL);
	w_tcp(w, S, SYN | A, 5000, 1001, NULL);
	w_tcp(w, C, A, 1001, 5001, NULL);
}

static size_t
count_events(const struct dt_conn *c, uint8_t type)
{
	size_t i, n = 0;

	for (i = 0; i < c->n_events; i++)
		n += c->events[i].type == type;
	return n;
}

static const struct dt_event *
find_event(const struct dt_conn *c, uint8_t type, size_t nth)
{
	size_t i;

	for (i = 0; i < c->n_events; i++)
		if (c->events[i].type == type && nth-- == 0)
			return &c->events[i];
	return NULL;
}

static void
ck_stream(const struct rec *r, int dir, const char *want)
{
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->len[dir], strlen(want));
	/* an empty stream has no buffer: memcmp(NULL, .., 0) is undefined */
	ck_assert_msg(r->len[dir] == 0 ||
	    memcmp(r->buf[dir], want, r->len[dir]) == 0,
	    "stream %d is \"%.*s\", want \"%s\"", dir, (int)r->len[dir],
	    r->buf[dir], want);
}

/* c's server text is the capture's interned copy (servers are few); its
   filter, want, is written from its endpoints, and kept only once the
   API asks for the capture's connections (dt_capture_api_texts), once. */
static void
ck_kept_names(struct dt_capture *cap, struct dt_conn *c, const char *want)
{
	char buf[DT_FILTER_LEN], cli[DT_ENDPOINT_LEN];
	const char *f;

	ck_assert_ptr_eq(c->server_str, dt_capture_intern(cap, c->server_str));
	ck_assert_int_eq(dt_conn_finish(cap, c), 0);
	ck_assert_ptr_null(c->api_text);
	dt_facts_wireshark_filter(c, buf, sizeof buf);
	ck_assert_str_eq(buf, want);
	dt_capture_api_texts(cap);
	f = c->api_text;
	ck_assert_ptr_nonnull(f);
	dt_conn_client_text(c, cli);
	ck_assert_str_eq(f, cli);
	ck_assert_str_eq(f + strlen(f) + 1, want);
	dt_capture_api_texts(cap);			/* once */
	ck_assert_ptr_eq(c->api_text, f);
}

/* ---- TCP as real stacks do it (issue 24) ---------------------------------- */

/*
 * The challenge ACK (RFC 9293 3.10.7.3, RFC 5961 4), as a Windows 7 client
 * met it: SYN; the server, still holding an older connection of the
 * 5-tuple, answers with a bare ACK of an unrelated number; the client
 * resets at that number (the stale connection, not this one) and sends
 * the same SYN again 3 s later; SYN-ACK and a whole session follow. Not a
 * gap of 860,578,523 bytes, not "no answer".
 */
START_TEST(t_challenge_ack)
{
	struct world w;
	struct dt_conn *c;
	const struct dt_event *ev;

	w_open(&w, 0, NULL, 1);
	w_tcp(&w, C, SYN, 1000, 0, NULL);			/* 1 */
	w_tcp(&w, S, A, 777000, 1000 + 860578523u, NULL);	/* 2 */
	w_tcp(&w, C, RST, 1000 + 860578523u, 0, NULL);		/* 3 */
	w.time += 3 * SEC;
	w_tcp(&w, C, SYN, 1000, 0, NULL);			/* 4 */
	w_tcp(&w, S, SYN | A, 5000, 1001, NULL);		/* 5 */
	w_tcp(&w, C, A, 1001, 5001, NULL);			/* 6 */
	w_tcp(&w, C, PA, 1001, 5001, "hello");			/* 7 */
	w_tcp(&w, S, PA, 5001, 1006, "world!");			/* 8 */
	w_tcp(&w, C, FIN | A, 1006, 5007, NULL);		/* 9 */
	w_tcp(&w, S, FIN | A, 5007, 1007, NULL);		/* 10 */
	ck_assert_uint_eq(w.cap->n_conns, 1);
	c = w.cap->conns;
	ck_assert_int_eq(c->state, DT_TCP_CLOSED);
	ck_assert_uint_eq(c->syn_frame, 1);
	ck_assert_uint_eq(c->syn_count, 2);
	ck_assert_uint_eq(c->synack_frame, 5);
	ck_assert_uint_eq(c->rst_frame, 0);	/* it reset no part of this */
	ck_assert_uint_eq(dt_conn_gap(c, C), 0);
	ck_assert_uint_eq(dt_conn_gap(c, S), 0);
	ck_stream(rec_conn(&w.sink, 1), C, "hello");
	ck_stream(rec_conn(&w.sink, 1), S, "world!");
	ev = find_event(c, DT_EV_OUT_OF_WINDOW, 0);
	ck_assert_ptr_nonnull(ev);
	ck_assert_uint_eq(dt_ev_frame(c, ev), 2);
	ck_assert_uint_eq(ev->dir, S);
	ck_assert_uint_eq(ev->a, 1);
	ev = find_event(c, DT_EV_RST, 0);
	ck_assert_ptr_nonnull(ev);
	ck_assert_uint_eq(dt_ev_frame(c, ev), 3);
	w_close(&w);
}
END_TEST

/* A challenge ACK and no second SYN: the SYN never got its SYN-ACK. */
START_TEST(t_challenge_ack_given_up)
{
	struct world w;

	w_open(&w, 0, NULL, 1);
	w_tcp(&w, C, SYN, 1000, 0, NULL);
	w_tcp(&w, S, A, 777000, 123456789, NULL);
	w_tcp(&w, C, RST, 123456789, 0, NULL);
	dt_flow_finish(w.f);
	ck_assert_uint_eq(w.cap->n_conns, 1);
	ck_assert_int_eq(w.cap->conns->state, DT_TCP_NO_ANSWER);
	ck_assert_uint_eq(dt_conn_gap(w.cap->conns, C), 0);
	ck_assert_uint_eq(count_events(w.cap->conns, DT_EV_OUT_OF_WINDOW), 1);
	w_close(&w);
}
END_TEST

/* An ACK 100 MB past anything the client sent, with 8 KiB windows and no
   scaling: not capture loss. Said once; the stream goes on. */
START_TEST(t_ack_out_of_window)
{
	struct world w;
	struct dt_conn *c;

	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, "hel");
	w_tcp(&w, S, A, 5001, 1004 + 100000000u, NULL);
	w_tcp(&w, S, A, 5001, 1004 + 100000001u, NULL);
	w_tcp(&w, C, PA, 1004, 5001, "lo");
	w_tcp(&w, S, A, 5001, 1006, NULL);
	dt_flow_finish(w.f);
	c = w.cap->conns;
	ck_assert_uint_eq(dt_conn_gap(c, C), 0);
	ck_stream(rec_conn(&w.sink, 1), C, "hello");
	ck_assert_uint_eq(count_events(c, DT_EV_OUT_OF_WINDOW), 1);
	ck_assert_uint_eq(find_event(c, DT_EV_OUT_OF_WINDOW, 0)->dir, S);
	ck_assert_uint_eq(count_events(c, DT_EV_GAP), 0);
	w_close(&w);
}
END_TEST

/* ACKed bytes the capture missed, within the window: a gap, as before. */
START_TEST(t_ack_in_window_gap)
{
	struct world w;

	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, "hel");
	w_tcp(&w, S, A, 5001, 1004 + 1000, NULL);	/* 1000 bytes unseen */
	dt_flow_finish(w.f);
	ck_assert_uint_eq(dt_conn_gap(w.cap->conns, C), 1000);
	ck_assert_uint_eq(count_events(w.cap->conns, DT_EV_OUT_OF_WINDOW), 0);
	w_close(&w);
}
END_TEST

/* SYN-ACKs of two ISNs before any byte (a SYN proxy, or a server that
   answered a retransmitted SYN afresh): the one the client acknowledges,
   or the server's first bytes follow, stands - no gap of a billion bytes
   (suricata-verify's tcp-fastopen-10-syn-data-ignore). The first one
   standing after all, and a lone ISN with a real gap, stay as they were. */
START_TEST(t_synack_two_isns)
{
	struct world w;
	struct dt_conn *c;

	/* the client acknowledges the second, which is ahead of the first */
	w_open(&w, 0, NULL, 1);
	w_tcp(&w, C, SYN, 1000, 0, NULL);
	w_tcp(&w, S, SYN | A, 5000, 1001, NULL);
	w_tcp(&w, S, SYN | A, 900000000u, 1001, NULL);
	w_tcp(&w, S, SYN | A, 5000, 1001, NULL);	/* the first, late */
	w_tcp(&w, C, A, 1001, 900000001u, NULL);
	w_tcp(&w, C, PA, 1001, 900000001u, "hello");
	w_tcp(&w, S, PA, 900000001u, 1006, "world");
	dt_flow_finish(w.f);
	c = w.cap->conns;
	ck_assert_uint_eq(dt_conn_gap(c, S), 0);
	ck_assert_uint_eq(count_events(c, DT_EV_GAP), 0);
	ck_assert_uint_eq(count_events(c, DT_EV_OUT_OF_WINDOW), 0);
	ck_stream(rec_conn(&w.sink, 1), S, "world");
	ck_stream(rec_conn(&w.sink, 1), C, "hello");
	w_close(&w);

	/* no ACK of the client's captured: the server's bytes tell, from
	   an ISN behind the first */
	w_open(&w, 0, NULL, 1);
	w_tcp(&w, C, SYN, 1000, 0, NULL);
	w_tcp(&w, S, SYN | A, 3000000000u, 1001, NULL);
	w_tcp(&w, S, SYN | A, 5000, 1001, NULL);
	w_tcp(&w, S, PA, 5001, 1001, "world");
	w_tcp(&w, S, PA, 5006, 1001, "!");
	dt_flow_finish(w.f);
	c = w.cap->conns;
	ck_assert_uint_eq(dt_conn_gap(c, S), 0);
	ck_assert_uint_eq(c->retransmissions, 0);
	ck_stream(rec_conn(&w.sink, 1), S, "world!");
	w_close(&w);

	/* three ISNs, the bytes following the last, a little behind the
	   second (nDPI's tls_multiple_synack_different_seq): not
	   retransmissions of it */
	w_open(&w, 0, NULL, 1);
	w_tcp(&w, S, SYN | A, 5000, 1001, NULL);	/* the SYN unseen */
	w_tcp(&w, S, SYN | A, 3000000000u, 1001, NULL);
	w_tcp(&w, S, SYN | A, 2999000000u, 1001, NULL);
	w_tcp(&w, C, PA, 1001, 2999000001u, "hello");
	w_tcp(&w, S, PA, 2999000001u, 1006, "world");
	w_tcp(&w, S, PA, 2999000006u, 1006, "!");
	dt_flow_finish(w.f);
	c = w.cap->conns;
	ck_assert_uint_eq(dt_conn_gap(c, S), 0);
	ck_assert_uint_eq(c->retransmissions, 0);
	ck_stream(rec_conn(&w.sink, 1), S, "world!");
	w_close(&w);

	/* two ISNs, but the first stands: nothing moves */
	w_open(&w, 0, NULL, 1);
	w_tcp(&w, C, SYN, 1000, 0, NULL);
	w_tcp(&w, S, SYN | A, 5000, 1001, NULL);
	w_tcp(&w, S, SYN | A, 900000000u, 1001, NULL);
	w_tcp(&w, C, A, 1001, 5001, NULL);
	w_tcp(&w, S, PA, 5001, 1001, "world");
	dt_flow_finish(w.f);
	ck_assert_uint_eq(dt_conn_gap(w.cap->conns, S), 0);
	ck_stream(rec_conn(&w.sink, 1), S, "world");
	w_close(&w);

	/* one ISN and bytes lost after it: still a gap */
	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, S, PA, 5101, 1001, "world");
	dt_flow_finish(w.f);
	ck_assert_uint_eq(dt_conn_gap(w.cap->conns, S), 100);
	w_close(&w);
}
END_TEST

/* Simultaneous open (RFC 9293 3.5, figure 8): both SYN, both SYN-ACK. One
   connection, not two. */
START_TEST(t_simultaneous_open)
{
	struct world w;
	struct dt_conn *c;

	w_open(&w, 0, NULL, 1);
	w_tcp(&w, C, SYN, 1000, 0, NULL);
	w_tcp(&w, S, SYN, 5000, 0, NULL);
	w_tcp(&w, C, SYN | A, 1000, 5001, NULL);
	w_tcp(&w, S, SYN | A, 5000, 1001, NULL);
	w_tcp(&w, C, PA, 1001, 5001, "ping");
	w_tcp(&w, S, PA, 5001, 1005, "pong");
	w_tcp(&w, C, FIN | A, 1005, 5005, NULL);
	w_tcp(&w, S, FIN | A, 5005, 1006, NULL);
	ck_assert_uint_eq(w.cap->n_conns, 1);
	c = w.cap->conns;
	ck_assert_int_eq(c->state, DT_TCP_CLOSED);
	ck_assert_uint_eq(c->syn_frame, 1);
	ck_assert_uint_eq(c->synack_frame, 3);
	ck_stream(rec_conn(&w.sink, 1), C, "ping");
	ck_stream(rec_conn(&w.sink, 1), S, "pong");
	ck_assert_int_eq(c->roles_from_syn, 0);		/* both opened */
	ck_assert_uint_eq(c->client_port, 50123);
	w_close(&w);
}
END_TEST

/*
 * A simultaneous open whose first SYN came from the server's port (as
 * testdata/scenarios/tcp-simultaneous-open.pcap, real Linux on both
 * sides): the port set names the client, the SYN of 443 does not; the
 * client's SYN is its own, the SYN-ACK comes from the client.
 */
START_TEST(t_simultaneous_open_server_first)
{
	struct world w;
	struct dt_conn *c;

	w_open(&w, 0, NULL, 1);
	w_tcp(&w, S, SYN, 5000, 0, NULL);
	w_tcp(&w, C, SYN, 1000, 0, NULL);			/* 2 */
	w_tcp(&w, S, SYN, 5000, 0, NULL);			/* again */
	w_tcp(&w, C, SYN | A, 1000, 5001, NULL);		/* 4 */
	w_tcp(&w, S, A, 5001, 1001, NULL);
	w_tcp(&w, C, PA, 1001, 5001, "hello");
	w_tcp(&w, S, PA, 5001, 1006, "world");
	w_tcp(&w, C, RST | A, 1006, 5006, NULL);		/* 8 */
	ck_assert_uint_eq(w.cap->n_conns, 1);
	c = w.cap->conns;
	ck_assert_uint_eq(c->client_port, 50123);
	ck_assert_uint_eq(c->server_port, 443);
	ck_assert_int_eq(c->roles_from_syn, 0);
	ck_assert_uint_eq(c->syn_frame, 2);
	ck_assert_uint_eq(c->synack_frame, 4);
	ck_assert_int_eq(c->state, DT_TCP_RESET);
	ck_assert_uint_eq(c->rst_dir, C);
	ck_assert_uint_eq(find_event(c, DT_EV_SYN, 0)->dir, S);	/* frame 1 */
	ck_assert_uint_eq(find_event(c, DT_EV_SYN, 1)->dir, C);
	ck_assert_uint_eq(find_event(c, DT_EV_SYNACK, 0)->a, 0);	/* not again */
	ck_assert_uint_eq(c->retransmissions, 0);
	ck_stream(rec_conn(&w.sink, 1), C, "hello");
	ck_stream(rec_conn(&w.sink, 1), S, "world");
	w_close(&w);
}
END_TEST

/*
 * A RST may carry data (RFC 9293 3.5.3, RFC 1122 4.2.2.12: text saying
 * why); it is not stream data. Hand-built: no stack in the lab sends one.
 */
START_TEST(t_rst_with_data)
{
	struct world w;
	struct dt_conn *c;

	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, "hi");
	w_tcp(&w, S, RST | A, 5001, 1003, "no service here");	/* 5 */
	c = w.cap->conns;
	ck_assert_int_eq(c->state, DT_TCP_RESET);
	ck_assert_uint_eq(c->rst_frame, 5);
	ck_assert_uint_eq(c->rst_dir, S);
	ck_assert_uint_eq(c->retransmissions, 0);
	ck_assert_uint_eq(dt_conn_gap(c, S), 0);
	ck_assert_ptr_nonnull(rec_conn(&w.sink, 1));
	ck_assert_uint_eq(rec_conn(&w.sink, 1)->len[S], 0);	/* not data */
	ck_stream(rec_conn(&w.sink, 1), C, "hi");
	w_close(&w);
}
END_TEST

/* TCP Fast Open (RFC 7413): data in the SYN is stream byte 0. */
START_TEST(t_tfo_data_in_syn)
{
	struct world w;

	w_open(&w, 0, NULL, 1);
	w_tcp(&w, C, SYN, 1000, 0, "GET");
	w_tcp(&w, S, SYN | A, 5000, 1004, NULL);
	w_tcp(&w, C, A, 1004, 5001, NULL);
	w_tcp(&w, C, PA, 1004, 5001, " /");
	dt_flow_finish(w.f);
	ck_assert_uint_eq(w.cap->n_conns, 1);
	ck_stream(rec_conn(&w.sink, 1), C, "GET /");
	ck_assert_uint_eq(dt_conn_gap(w.cap->conns, C), 0);
	ck_assert_uint_eq(count_events(w.cap->conns, DT_EV_OUT_OF_WINDOW), 0);
	w_close(&w);
}
END_TEST

/* ---- connections and states --------------------------------------------- */

START_TEST(t_clean_close)
{
	char cli[DT_ENDPOINT_LEN];
	struct world w;
	struct dt_conn *c;
	const struct dt_event *ev;

	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, "hello");		/* 4 */
	w_tcp(&w, S, PA, 5001, 1006, "world!");		/* 5 */
	w_tcp(&w, C, FIN | A, 1006, 5007, NULL);	/* 6 */
	ck_assert_uint_eq(dt_flow_live(w.f), 1);
	w_tcp(&w, S, FIN | A, 5007, 1007, NULL);	/* 7 */
	ck_assert_uint_eq(dt_flow_live(w.f), 0);	/* ended at both FINs */
	ck_assert_uint_eq(w.sink.ends, 1);
	w_tcp(&w, C, A, 1007, 5008, NULL);		/* 8: the last ACK */
	ck_assert_uint_eq(w.cap->n_conns, 1);		/* no new conn */
	ck_assert_uint_eq(w.cap->conns->retransmissions, 0);

	c = w.cap->conns;
	ck_assert_uint_eq(c->id, 1);
	ck_assert_int_eq(c->state, DT_TCP_CLOSED);
	ck_assert_int_eq(c->roles_from_syn, 1);
	ck_assert_str_eq((dt_conn_client_text(c, cli), cli), "198.18.1.100:50123");
	ck_assert_str_eq(c->server_str, "198.19.0.10:443");
	ck_kept_names(w.cap, c, "ip.addr==198.18.1.100 && "
	    "tcp.port==50123 && ip.addr==198.19.0.10 && tcp.port==443");
	ck_assert_uint_eq(c->first_frame, 1);
	ck_assert_uint_eq(c->last_frame, 8);
	ck_assert_int_eq(c->first_time, T0);
	ck_assert_uint_eq(c->syn_frame, 1);
	ck_assert_uint_eq(c->synack_frame, 2);
	ck_assert_uint_eq(c->syn_count, 1);
	ck_assert_uint_eq(c->fin_frame[C], 6);
	ck_assert_uint_eq(c->fin_frame[S], 7);
	ck_assert_uint_eq(c->ttl_syn, 128);
	ck_assert_uint_eq(c->ttl_synack, 57);
	ck_assert_uint_eq(c->ttl_server_data, 57);
	ck_assert_uint_eq(c->bytes[C], 5);
	ck_assert_uint_eq(c->bytes[S], 6);
	ck_assert_uint_eq(c->packets[C], 5);
	ck_assert_uint_eq(c->packets[S], 3);
	ck_assert_uint_eq(c->retransmissions, 0);
	ck_assert_uint_eq(dt_conn_gap(c, 0) + dt_conn_gap(c, 1), 0);
	ev = find_event(c, DT_EV_FIN, 0);
	ck_assert_ptr_nonnull(ev);
	ck_assert_uint_eq(ev->dir, C);
	ck_assert_uint_eq(ev->b, 5);
	ck_assert_uint_eq(dt_ev_frame(c, ev), 6);
	ev = find_event(c, DT_EV_FIN, 1);
	ck_assert_uint_eq(ev->dir, S);
	ck_assert_uint_eq(ev->b, 6);
	ck_assert_uint_eq(dt_ev_frame(c, find_event(c, DT_EV_SYNACK, 0)), 2);
	ck_assert_uint_eq(count_events(c, DT_EV_END_OPEN), 0);
	ck_stream(rec_conn(&w.sink, 1), C, "hello");
	ck_stream(rec_conn(&w.sink, 1), S, "world!");
	ck_assert_uint_eq(rec_conn(&w.sink, 1)->first_frame[S], 5);
	w_close(&w);
}
END_TEST

START_TEST(t_reset_after_data)
{
	struct world w;
	struct dt_conn *c;

	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, "\x16\x03\x01");
	w_tcp(&w, S, RST | A, 5001, 1004, NULL);	/* 5 */
	c = w.cap->conns;
	ck_assert_int_eq(c->state, DT_TCP_RESET);
	ck_assert_uint_eq(c->rst_frame, 5);
	ck_assert_uint_eq(c->rst_dir, S);
	ck_assert_uint_eq(find_event(c, DT_EV_RST, 0)->a, 0);
	ck_assert_uint_eq(find_event(c, DT_EV_RST, 0)->b, 3);	/* after 3 */
	ck_assert_uint_eq(w.sink.ends, 1);
	ck_assert_uint_eq(dt_flow_live(w.f), 0);
	/* a stray RST from the client still belongs to it */
	w_tcp(&w, C, RST, 1004, 0, NULL);
	ck_assert_uint_eq(w.cap->n_conns, 1);
	ck_assert_uint_eq(count_events(c, DT_EV_RST), 2);
	ck_assert_uint_eq(c->rst_frame, 5);
	w_close(&w);
}
END_TEST

/* The server's FIN after the client's RST (it sent it before the RST
   reached it; zeek's tls13draft16-ff52.a01.pcap frame 14): told, and the
   connection stays reset. */
START_TEST(t_fin_after_rst)
{
	struct world w;
	struct dt_conn *c;

	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, S, PA, 5001, 1001, "bye");
	w_tcp(&w, C, RST, 1001, 0, NULL);		/* 5 */
	w_tcp(&w, S, FIN | A, 5004, 1001, NULL);	/* 6 */
	w_tcp(&w, S, FIN | A, 5004, 1001, NULL);	/* 7: again */
	c = w.cap->conns;
	ck_assert_uint_eq(w.cap->n_conns, 1);
	ck_assert_int_eq(c->state, DT_TCP_RESET);
	ck_assert_uint_eq(c->rst_frame, 5);
	ck_assert_uint_eq(c->fin_frame[S], 6);
	ck_assert_uint_eq(c->fin_frame[C], 0);
	ck_assert_uint_eq(count_events(c, DT_EV_FIN), 1);
	ck_assert_uint_eq(find_event(c, DT_EV_FIN, 0)->b, 3);
	ck_assert_uint_eq(c->retransmissions, 1);
	w_close(&w);
}
END_TEST

START_TEST(t_fin_then_rst)
{
	struct world w;

	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, "abc");
	w_tcp(&w, C, FIN | A, 1004, 5001, NULL);
	w_tcp(&w, S, RST | A, 5001, 1005, NULL);
	ck_assert_int_eq(w.cap->conns->state, DT_TCP_RESET);
	ck_assert_uint_eq(w.cap->conns->fin_frame[C], 5);
	ck_assert_uint_eq(w.cap->conns->fin_frame[S], 0);
	w_close(&w);
}
END_TEST

START_TEST(t_half_closed_at_end)
{
	struct world w;
	struct dt_conn *c;

	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, "abc");
	w_tcp(&w, C, FIN | A, 1004, 5001, NULL);
	ck_assert_uint_eq(dt_flow_live(w.f), 1);
	dt_flow_finish(w.f);
	c = w.cap->conns;
	ck_assert_int_eq(c->state, DT_TCP_ESTABLISHED);
	ck_assert_uint_eq(count_events(c, DT_EV_END_OPEN), 1);
	ck_assert_uint_eq(dt_ev_frame(c,
	    find_event(c, DT_EV_END_OPEN, 0)), 5);
	ck_assert_uint_eq(w.sink.ends, 1);
	w_close(&w);
}
END_TEST

START_TEST(t_syn_retries)
{
	struct world w;
	struct dt_conn *c;

	w_open(&w, 0, NULL, 1);
	w_tcp(&w, C, SYN, 77, 0, NULL);
	w.time += SEC;
	w_tcp(&w, C, SYN, 77, 0, NULL);
	w.time += 2 * SEC;
	w_tcp(&w, C, SYN, 77, 0, NULL);
	dt_flow_finish(w.f);
	ck_assert_uint_eq(w.cap->n_conns, 1);
	c = w.cap->conns;
	ck_assert_uint_eq(c->syn_count, 3);
	ck_assert_int_eq(c->state, DT_TCP_NO_ANSWER);
	ck_assert_uint_eq(c->syn_frame, 1);
	ck_assert_uint_eq(c->last_frame, 3);
	ck_assert_uint_eq(count_events(c, DT_EV_SYN), 3);
	ck_assert_uint_eq(find_event(c, DT_EV_SYN, 0)->a, 0);
	ck_assert_uint_eq(find_event(c, DT_EV_SYN, 1)->a, 1);
	ck_assert_uint_eq(find_event(c, DT_EV_SYN, 2)->a, 1);
	ck_assert_uint_eq(c->retransmissions, 0);
	w_close(&w);
}
END_TEST

START_TEST(t_refused)
{
	struct world w;
	struct dt_conn *c;

	w_open(&w, 0, NULL, 1);
	w_tcp(&w, C, SYN, 77, 0, NULL);
	w_tcp(&w, S, RST | A, 0, 78, NULL);
	/* Windows tries the same SYN again after the RST */
	w.time += SEC / 2;
	w_tcp(&w, C, SYN, 77, 0, NULL);
	w_tcp(&w, S, RST | A, 0, 78, NULL);
	ck_assert_uint_eq(w.cap->n_conns, 1);
	c = w.cap->conns;
	ck_assert_int_eq(c->state, DT_TCP_REFUSED);
	ck_assert_uint_eq(c->syn_count, 2);
	ck_assert_uint_eq(c->rst_frame, 2);
	ck_assert_uint_eq(c->rst_dir, S);
	ck_assert_uint_eq(count_events(c, DT_EV_RST), 2);
	ck_assert_uint_eq(find_event(c, DT_EV_RST, 0)->a, 1);	/* to the SYN */
	ck_assert_uint_eq(find_event(c, DT_EV_RST, 0)->b, 0);
	ck_assert_uint_eq(c->synack_frame, 0);
	/* a new attempt (new ISN) on the same 5-tuple is a new connection */
	w_tcp(&w, C, SYN, 99999, 0, NULL);
	ck_assert_uint_eq(w.cap->n_conns, 2);
	ck_assert_uint_eq(w.cap->conns_tail->syn_frame, 5);
	dt_flow_finish(w.f);
	ck_assert_int_eq(w.cap->conns_tail->state, DT_TCP_NO_ANSWER);
	ck_assert_int_eq(c->state, DT_TCP_REFUSED);
	w_close(&w);
}
END_TEST

START_TEST(t_port_reuse)
{
	struct world w;
	struct dt_conn *c1, *c2;

	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, "one");
	w_tcp(&w, C, FIN | A, 1004, 5001, NULL);
	w_tcp(&w, S, FIN | A, 5001, 1005, NULL);
	w_tcp(&w, C, A, 1005, 5002, NULL);
	w.time += 5 * SEC;
	w_tcp(&w, C, SYN, 2000000, 0, NULL);		/* 8 */
	w_tcp(&w, S, SYN | A, 7000, 2000001, NULL);
	w_tcp(&w, C, PA, 2000001, 7001, "two");
	w_tcp(&w, S, RST | A, 7001, 2000004, NULL);
	ck_assert_uint_eq(w.cap->n_conns, 2);
	c1 = w.cap->conns;
	c2 = c1->next;
	ck_assert_int_eq(c1->state, DT_TCP_CLOSED);
	ck_assert_uint_eq(c1->last_frame, 7);
	ck_assert_int_eq(c2->state, DT_TCP_RESET);
	ck_assert_uint_eq(c2->id, 2);
	ck_assert_uint_eq(c2->first_frame, 8);
	ck_assert_uint_eq(c2->syn_count, 1);
	ck_stream(rec_conn(&w.sink, 1), C, "one");
	ck_stream(rec_conn(&w.sink, 2), C, "two");
	ck_assert_uint_eq(w.sink.ends, 2);
	w_close(&w);
}
END_TEST

START_TEST(t_midstream_roles)
{
	static const uint16_t ports[] = { 8443, 0 };
	struct dt_flow_config cfg = { ports, 0, 0 };
	struct world w;
	struct dt_conn *c;

	/* default set: 443 is the server even though the data goes to it
	   from a lower... here the first packet is the server's */
	w_open(&w, 0, NULL, 1);
	w.cport = 80;		/* lower than 443 */
	w_tcp(&w, S, PA, 9000, 100, "srv");
	c = w.cap->conns;
	ck_assert_int_eq(c->roles_from_syn, 0);
	ck_assert_uint_eq(c->server_port, 443);
	ck_assert_uint_eq(c->client_port, 80);
	w_tcp(&w, C, PA, 100, 9003, "cli");
	dt_flow_finish(w.f);
	ck_assert_int_eq(c->state, DT_TCP_OPEN);
	ck_assert_uint_eq(count_events(c, DT_EV_END_OPEN), 1);
	ck_stream(rec_conn(&w.sink, 1), S, "srv");
	ck_stream(rec_conn(&w.sink, 1), C, "cli");
	w_close(&w);

	/* a RST after bytes, no SYN seen: not "refusing the SYN" */
	w_open(&w, 0, NULL, 1);
	w_tcp(&w, C, PA, 100, 9000, "cli");
	w_tcp(&w, C, RST | A, 103, 9000, NULL);
	c = w.cap->conns;
	ck_assert_int_eq(c->state, DT_TCP_RESET);
	ck_assert_uint_eq(find_event(c, DT_EV_RST, 0)->a, 0);
	w_close(&w);

	/* configured set: 8443 serves although 2000 is lower */
	w_open(&w, 0, &cfg, 1);
	w.cport = 2000;
	w.sport = 8443;
	w_tcp(&w, C, PA, 100, 9000, "x");
	ck_assert_uint_eq(w.cap->conns->server_port, 8443);
	ck_assert_uint_eq(w.cap->conns->client_port, 2000);
	w_close(&w);

	/* neither in the set: the lower port is the server */
	w_open(&w, 0, &cfg, 1);
	w.cport = 3000;
	w.sport = 4000;
	w_tcp(&w, S, PA, 100, 9000, "x");		/* 4000 -> 3000 */
	ck_assert_uint_eq(w.cap->conns->server_port, 3000);
	ck_assert_uint_eq(w.cap->conns->client_port, 4000);
	w_close(&w);
}
END_TEST

START_TEST(t_ipv6_names)
{
	char cli[DT_ENDPOINT_LEN];
	struct world w;
	struct dt_conn *c;

	w_open(&w, 0, NULL, 1);
	w.cli.family = w.srv.family = 6;
	memset(w.cli.a, 0, 16);
	memset(w.srv.a, 0, 16);
	memcpy(w.cli.a, "\x20\x01\x0d\xb8\x00\x01", 6);
	w.cli.a[15] = 0x64;
	memcpy(w.srv.a, "\x20\x01\x0d\xb8\x00\x02", 6);
	w.srv.a[15] = 0x0a;
	w_handshake(&w);
	c = w.cap->conns;
	ck_assert_str_eq((dt_conn_client_text(c, cli), cli), "[2001:db8:1::64]:50123");
	ck_assert_str_eq(c->server_str, "[2001:db8:2::a]:443");
	ck_kept_names(w.cap, c, "ipv6.addr==2001:db8:1::64 && "
	    "tcp.port==50123 && ipv6.addr==2001:db8:2::a && tcp.port==443");
	w_close(&w);
}
END_TEST

START_TEST(t_idle_timeout)
{
	struct dt_flow_config cfg = { NULL, 0, 10 * SEC };
	struct world w;

	w_open(&w, 0, &cfg, 1);
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, "abc");
	ck_assert_uint_eq(dt_flow_live(w.f), 1);
	w.time += 11 * SEC;
	w.cport = 50124;		/* another connection, later */
	w_tcp(&w, C, SYN, 1, 0, NULL);
	ck_assert_uint_eq(dt_flow_live(w.f), 1);
	ck_assert_uint_eq(w.sink.ends, 1);
	ck_assert_int_eq(w.cap->conns->state, DT_TCP_ESTABLISHED);
	ck_assert_uint_eq(count_events(w.cap->conns, DT_EV_END_OPEN), 0);
	ck_assert_ptr_nonnull(rec_conn(&w.sink, 1));
	ck_assert(rec_conn(&w.sink, 1)->ended);
	w_close(&w);
}
END_TEST

/* ---- reassembly ---------------------------------------------------------- */

START_TEST(t_out_of_order)
{
	struct world w;
	struct rec *r;

	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, C, PA, 1011, 5001, "KLMNOPQRST");	/* 4 */
	w_tcp(&w, C, PA, 1021, 5001, "UVWXYZ");		/* 5 */
	ck_assert_uint_eq(dt_flow_buffered(w.f), 16);
	ck_assert_ptr_null(rec_conn(&w.sink, 1));	/* nothing yet */
	w.time -= 8 * MS;		/* 2 ms later: reordered, not resent */
	w_tcp(&w, C, PA, 1001, 5001, "ABCDEFGHIJ");	/* 6 */
	ck_assert_uint_eq(dt_flow_buffered(w.f), 0);
	r = rec_conn(&w.sink, 1);
	ck_stream(r, C, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	ck_assert_uint_eq(r->first_frame[C], 6);
	ck_assert_uint_eq(w.cap->conns->retransmissions, 0);
	ck_assert_uint_eq(dt_conn_gap(w.cap->conns, C), 0);
	/* a hole filled later than the handshake's round trip (20 ms)
	   after the bytes past it: lost and resent */
	w_tcp(&w, C, PA, 1037, 5001, "2");
	w.time += 15 * MS;
	w_tcp(&w, C, PA, 1027, 5001, "0123456789");
	ck_stream(rec_conn(&w.sink, 1), C,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ01234567892");
	ck_assert_uint_eq(w.cap->conns->retransmissions, 1);
	w_close(&w);
}
END_TEST

START_TEST(t_overlap_first_copy_wins)
{
	struct world w;
	struct dt_conn *c;

	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, "0123456789");	/* delivered */
	w_tcp(&w, C, PA, 1006, 5001, "xxxxxyyyyy");	/* 5 old + 5 new */
	c = w.cap->conns;
	ck_assert_uint_eq(c->retransmissions, 1);
	ck_assert_uint_eq(find_event(c, DT_EV_RETRANS, 0)->b, 5);
	ck_stream(rec_conn(&w.sink, 1), C, "0123456789yyyyy");
	/* waiting pieces: B at 30..40, then C over 25..35 (B's bytes win),
	   then D over 15..27 in order (C's bytes win) */
	w_tcp(&w, C, PA, 1031, 5001, "BBBBBBBBBB");
	w_tcp(&w, C, PA, 1026, 5001, "CCCCCCCCCC");
	ck_assert_uint_eq(c->retransmissions, 2);
	ck_assert_uint_eq(dt_flow_buffered(w.f), 15);
	w_tcp(&w, C, PA, 1016, 5001, "DDDDDDDDDDDD");
	ck_assert_uint_eq(c->retransmissions, 3);
	ck_stream(rec_conn(&w.sink, 1), C,
	    "0123456789yyyyyDDDDDDDDDDCCCCCBBBBBBBBBB");
	ck_assert_uint_eq(dt_flow_buffered(w.f), 0);
	w_close(&w);
}
END_TEST

START_TEST(t_retrans_and_dups)
{
	struct world w;
	struct dt_conn *c;

	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, "hello");
	w.time -= 9 * MS;		/* the same segment 1 ms later: a dup */
	w_tcp(&w, C, PA, 1001, 5001, "hello");
	c = w.cap->conns;
	ck_assert_uint_eq(c->retransmissions, 0);
	ck_assert_uint_eq(c->packets[C], 3);
	w.time += 300 * MS;		/* a real retransmission */
	w_tcp(&w, C, PA, 1001, 5001, "hello");
	ck_assert_uint_eq(c->retransmissions, 1);
	ck_assert_uint_eq(c->packets[C], 4);
	ck_assert_uint_eq(count_events(c, DT_EV_RETRANS), 1);
	ck_assert_uint_eq(dt_ev_frame(c, find_event(c, DT_EV_RETRANS, 0)), 6);
	ck_stream(rec_conn(&w.sink, 1), C, "hello");
	/* keep-alive: one byte at next - 1 */
	w_tcp_full(&w, C, A, 1005, 5001, "\0", 1, 1, 8192);
	ck_assert_uint_eq(count_events(c, DT_EV_KEEPALIVE), 1);
	ck_assert_uint_eq(c->retransmissions, 1);
	/* zero window from the server, once per run */
	w_tcp_full(&w, S, A, 5001, 1006, NULL, 0, 0, 0);
	w_tcp_full(&w, S, A, 5001, 1006, NULL, 0, 0, 0);
	ck_assert_uint_eq(count_events(c, DT_EV_ZERO_WINDOW), 1);
	ck_assert_uint_eq(find_event(c, DT_EV_ZERO_WINDOW, 0)->dir, S);
	ck_stream(rec_conn(&w.sink, 1), C, "hello");
	w_close(&w);
}
END_TEST

/*
 * Zero-window probes (RFC 9293 3.8.6.1) as the two stacks send them: Linux
 * the byte before the next with no payload (the keep-alive's segment, as
 * testdata/scenarios/tcp-keepalive-zerowin.pcap shows), Windows the next
 * byte alone. Neither is a retransmission nor a gap; the Windows probe's
 * byte is stream data.
 */
START_TEST(t_zero_window_probe)
{
	struct world w;
	struct dt_conn *c;

	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, "full");
	w_tcp_full(&w, S, A, 5001, 1005, NULL, 0, 0, 0);	/* 5: closed */
	w_tcp_full(&w, C, A, 1004, 5001, NULL, 0, 0, 8192);	/* Linux */
	w_tcp_full(&w, S, A, 5001, 1005, NULL, 0, 0, 0);
	w_tcp_full(&w, C, A, 1005, 5001, "!", 1, 1, 8192);	/* Windows */
	w_tcp_full(&w, S, A, 5001, 1006, NULL, 0, 0, 1024);	/* open */
	w_tcp(&w, C, PA, 1006, 5001, "again");
	w_tcp(&w, C, A, 1010, 5001, NULL);			/* keep-alive */
	c = w.cap->conns;
	ck_assert_uint_eq(count_events(c, DT_EV_ZERO_WINDOW_PROBE), 2);
	ck_assert_uint_eq(dt_ev_frame(c,
	    find_event(c, DT_EV_ZERO_WINDOW_PROBE, 0)), 6);
	ck_assert_uint_eq(dt_ev_frame(c,
	    find_event(c, DT_EV_ZERO_WINDOW_PROBE, 1)), 8);
	ck_assert_uint_eq(count_events(c, DT_EV_KEEPALIVE), 1);
	ck_assert_uint_eq(dt_ev_frame(c,
	    find_event(c, DT_EV_KEEPALIVE, 0)), 11);
	ck_assert_uint_eq(c->retransmissions, 0);
	ck_assert_uint_eq(dt_conn_gap(c, C), 0);
	ck_stream(rec_conn(&w.sink, 1), C, "full!again");
	w_close(&w);
}
END_TEST

START_TEST(t_wraparound)
{
	struct world w;
	uint32_t isn = 0xfffffff0u;

	w_open(&w, 0, NULL, 1);
	w_tcp(&w, C, SYN, isn, 0, NULL);
	w_tcp(&w, S, SYN | A, 0xfffffffau, isn + 1, NULL);
	w_tcp(&w, C, A, isn + 1, 0xfffffffbu, NULL);
	/* 0xfffffff1.. 20 bytes crosses 2^32; sent second piece first */
	w_tcp(&w, C, PA, isn + 21, 0xfffffffbu, "klmnopqrst");
	w.time -= 9 * MS;
	w_tcp(&w, C, PA, isn + 1, 0xfffffffbu, "abcdefghij0123456789");
	w_tcp(&w, S, PA, 0xfffffffbu, isn + 31, "server-wraps");
	w_tcp(&w, S, PA, 0xfffffffbu, isn + 31, "server-wraps");
	w_tcp(&w, C, FIN | A, isn + 31, 0xfffffffbu + 12, NULL);
	w_tcp(&w, S, FIN | A, 0xfffffffbu + 12, isn + 32, NULL);
	ck_stream(rec_conn(&w.sink, 1), C,
	    "abcdefghij0123456789klmnopqrst");
	ck_stream(rec_conn(&w.sink, 1), S, "server-wraps");
	ck_assert_int_eq(w.cap->conns->state, DT_TCP_CLOSED);
	ck_assert_uint_eq(w.cap->conns->retransmissions, 1);
	ck_assert_uint_eq(find_event(w.cap->conns, DT_EV_FIN, 0)->b, 30);
	/* after the end, the server's data once more: a retransmission */
	w_tcp(&w, S, PA, 0xfffffffbu, isn + 32, "server-wraps");
	ck_assert_uint_eq(w.cap->conns->retransmissions, 2);
	ck_assert_uint_eq(w.cap->n_conns, 1);
	w_close(&w);
}
END_TEST

START_TEST(t_gap_from_ack)
{
	struct world w;
	struct dt_conn *c;
	const struct dt_event *ev;

	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, S, PA, 5001, 1001, "aaaa");
	/* 5005..5009 lost before the capture point */
	w_tcp(&w, S, PA, 5009, 1001, "cccc");		/* 5: waits */
	ck_assert_uint_eq(dt_flow_buffered(w.f), 4);
	w_tcp(&w, C, A, 1001, 5013, NULL);		/* 6: got it all */
	c = w.cap->conns;
	ck_stream(rec_conn(&w.sink, 1), S, "aaaa~~~~cccc");
	ck_assert_uint_eq(dt_conn_gap(c, S), 4);
	ck_assert_uint_eq(rec_conn(&w.sink, 1)->n_gaps[S], 1);
	ev = find_event(c, DT_EV_GAP, 0);
	ck_assert_ptr_nonnull(ev);
	ck_assert_uint_eq(ev->b, 4);
	ck_assert_uint_eq(ev->dir, S);
	ck_assert_uint_eq(dt_ev_frame(c, ev), 6);
	ck_assert_uint_eq(dt_flow_buffered(w.f), 0);
	/* a hole with nothing after it: the ACK still passes it */
	w_tcp(&w, C, A, 1001, 5020, NULL);
	ck_stream(rec_conn(&w.sink, 1), S, "aaaa~~~~cccc~~~~~~~");
	/* and the late copy of those bytes is not delivered again */
	w_tcp(&w, S, PA, 5013, 1001, "DDDDDDD");
	ck_stream(rec_conn(&w.sink, 1), S, "aaaa~~~~cccc~~~~~~~");
	ck_assert_uint_eq(dt_conn_gap(c, S), 11);
	w_close(&w);
}
END_TEST

START_TEST(t_gap_at_end)
{
	struct world w;

	/* a hole nobody fills: delivered as a gap when the conn ends */
	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, "ab");
	w_tcp(&w, C, PA, 1005, 5001, "ef");
	w_tcp(&w, S, RST | A, 5001, 1003, NULL);
	ck_stream(rec_conn(&w.sink, 1), C, "ab~~ef");
	ck_assert_uint_eq(dt_conn_gap(w.cap->conns, C), 2);
	w_close(&w);
}
END_TEST

START_TEST(t_snaplen)
{
	struct world w;
	struct dt_conn *c;

	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	/* 10 bytes on the wire, 4 captured */
	w_tcp_full(&w, C, PA, 1001, 5001, "abcd", 4, 10, 8192);
	w_tcp(&w, C, PA, 1011, 5001, "next");
	c = w.cap->conns;
	ck_stream(rec_conn(&w.sink, 1), C, "abcd~~~~~~next");
	ck_assert_int_eq(c->truncated, 1);
	ck_assert_uint_eq(dt_conn_gap(c, C), 6);
	ck_assert_uint_eq(c->bytes[C], 14);
	ck_assert_uint_eq(dt_ev_frame(c, find_event(c, DT_EV_GAP, 0)), 4);
	/* a cut segment that arrives out of order */
	w_tcp(&w, C, PA, 1025, 5001, "zz");
	w_tcp_full(&w, C, PA, 1015, 5001, "0123", 4, 10, 8192);
	ck_stream(rec_conn(&w.sink, 1), C, "abcd~~~~~~next0123~~~~~~zz");
	w_close(&w);
}
END_TEST

START_TEST(t_stream_cap)
{
	/* room for one waiting 40-byte piece and its 64-byte header */
	struct dt_flow_config cfg = { NULL, 200, 0 };
	struct world w;
	char buf[41];
	uint32_t i;

	w_open(&w, 0, &cfg, 1);
	w_handshake(&w);
	memset(buf, 'x', 40);
	buf[40] = '\0';
	/* the first 40 bytes never come; later segments pile up */
	for (i = 1; i <= 4; i++) {
		memset(buf, 'a' + (int)i, 40);
		w_tcp(&w, C, PA, 1001 + 40 * i, 5001, buf);
		ck_assert_uint_le(dt_flow_buffered(w.f), 40);
	}
	/* the hole before the oldest was given up as a gap */
	ck_assert_uint_eq(dt_conn_gap(w.cap->conns, C), 40);
	ck_assert_ptr_nonnull(rec_conn(&w.sink, 1));
	ck_assert_uint_ge(rec_conn(&w.sink, 1)->len[C], 40 + 40 * 2);
	ck_assert_int_eq(memcmp(rec_conn(&w.sink, 1)->buf[C] + 40,
	    "bbbbbbbbbb", 10), 0);
	w_close(&w);
}
END_TEST

/* One-byte segments in reverse: the budget counts each piece's header,
   so the list stays short and nothing is quadratic. */
START_TEST(t_reverse_one_byte)
{
	struct dt_flow_config cfg = { NULL, 64 * 1024, 0 };
	struct world w;
	uint32_t i, n = 200000;
	struct rec *r;

	w_open(&w, 0, &cfg, 1);
	w_handshake(&w);
	for (i = n; i-- > 1; ) {
		w_tcp_full(&w, C, PA, 1001 + i, 5001, "x", 1, 1, 8192);
		ck_assert_uint_le(dt_flow_buffered(w.f) + 0, 64 * 1024);
	}
	w_tcp_full(&w, C, PA, 1001, 5001, "y", 1, 1, 8192);
	r = rec_conn(&w.sink, 1);
	ck_assert_ptr_nonnull(r);
	/* what waited came out after the hole was given up; every stream
	   byte is delivered or a gap, once; the late rest only counted */
	ck_assert_uint_gt(r->data[C], 0);
	ck_assert_uint_lt(r->data[C], 1024);
	ck_assert_uint_eq(r->data[C] + r->gaps[C], n);
	ck_assert_uint_eq(dt_conn_gap(w.cap->conns, C), r->gaps[C]);
	/* late ones, and the waiting ones too: each filled a hole 10 ms
	   after bytes past it (later than the 20 ms handshake from the 3rd) */
	ck_assert_uint_eq(w.cap->conns->retransmissions, n - 3);
	w_close(&w);
}
END_TEST

START_TEST(t_sink_stops)
{
	struct world w;
	struct dt_conn *c;

	w_open(&w, 0, NULL, 1);
	w.sink.stop_after = 3;
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, "\x16\x03\x01");	/* TLS: no HTTP */
	w_tcp(&w, C, PA, 1007, 5001, "late");		/* would wait */
	ck_assert_uint_eq(dt_flow_buffered(w.f), 0);
	w.time -= 9 * MS;
	w_tcp(&w, C, PA, 1004, 5001, "mid");
	w_tcp(&w, C, PA, 1004, 5001, "mid");		/* still counted */
	c = w.cap->conns;
	ck_assert_uint_eq(c->bytes[C], 13);
	ck_assert_uint_eq(c->retransmissions, 1);
	ck_assert_uint_eq(rec_conn(&w.sink, 1)->len[C], 3);
	w_close(&w);
}
END_TEST

/* ---- memory --------------------------------------------------------------- */

static void
half_open(struct world *w, uint32_t n)
{
	struct dt_packet pkt;
	struct dt_l4 l4;
	uint32_t i;

	memset(&pkt, 0, sizeof pkt);
	memset(&l4, 0, sizeof l4);
	l4.status = DT_L4_TCP;
	l4.proto = 6;
	l4.flags = DT_TCP_SYN;
	l4.dst = w->srv;
	l4.dport = 443;
	l4.src.family = 4;
	l4.ttl = 128;
	for (i = 0; i < n; i++) {
		l4.src.a[0] = 10;
		l4.src.a[1] = (uint8_t)(i >> 16);
		l4.src.a[2] = (uint8_t)(i >> 8);
		l4.src.a[3] = (uint8_t)i;
		l4.sport = (uint16_t)(1024 + i % 50000);
		l4.seq = i * 7919u;
		pkt.frame = ++w->frame;
		pkt.time = w->time;
		w->time += 1000;
		dt_flow_packet(w->f, &pkt, &l4);
	}
}

START_TEST(t_many_half_open)
{
	struct world w;

	w_open(&w, 0, NULL, 0);
	half_open(&w, 200000);
	ck_assert_uint_eq(dt_flow_live(w.f), 200000);
	ck_assert_uint_eq(dt_flow_buffered(w.f), 0);
	ck_assert_uint_eq(w.cap->n_conns, 200000);
	ck_assert_uint_eq(w.cap->dropped_conns, 0);
	dt_flow_finish(w.f);
	ck_assert_uint_eq(dt_flow_live(w.f), 0);
	ck_assert_int_eq(w.cap->conns_tail->state, DT_TCP_NO_ANSWER);
	w_close(&w);
}
END_TEST

/*
 * Closed connections are retired (issue 15): at its end a connection's
 * flow state (reassembly, the sinks' state) is freed at once, so ended
 * connections leave nothing live; the tombstone of its 5-tuple goes after
 * a minute of capture time; what stays to the end of the capture is its
 * facts and nothing else, byte for byte (16: dt_mem's header a block).
 */
START_TEST(t_closed_retired)
{
	struct world w;
	const struct dt_conn *c;
	size_t base, live, blocks, kept, heap = 0, tombs = 0, n = 2000, i;

	w_open(&w, 0, NULL, 0);
	base = w.m.used;		/* the capture, the table, the sinks */
	for (i = 0; i < n; i++) {
		w.cport = (uint16_t)(10000 + i);
		w_handshake(&w);
		w_tcp(&w, C, PA, 1001, 5001, "hello");
		w_tcp(&w, S, PA, 5001, 1006, "world");
		w_tcp(&w, C, FIN | A, 1006, 5006, NULL);
		w_tcp(&w, S, FIN | A, 5006, 1007, NULL);
		w_tcp(&w, C, A, 1007, 5007, NULL);
		ck_assert_uint_eq(dt_flow_live(w.f), 0);
		ck_assert_uint_eq(dt_flow_buffered(w.f), 0);
		w.time += SEC;		/* a connection a second */
	}
	ck_assert_uint_eq(w.cap->n_conns, n);
	ck_assert_uint_eq(w.cap->dropped_conns, 0);
	ck_assert_ptr_null(w.cap->http);
	ck_assert_uint_eq(w.cap->n_dns, 0);
	live = w.m.used;
	dt_flow_finish(w.f);
	/* what stays: the kept blocks holding every connection's struct
	   dt_conn, endpoint texts and timeline (exactly as long: moved there
	   when its tombstone went), and the timelines of the tombstones the
	   end of the capture found (about 55: not retired then, their heap
	   would never be used again) */
	kept = dt_capture_kept(w.cap, &blocks);
	for (c = w.cap->conns; c != NULL; c = c->next) {
		ck_assert_int_eq(c->state, DT_TCP_CLOSED);
		ck_assert_uint_eq(c->bytes[C] + c->bytes[S], 10);
		ck_assert_ptr_eq(c->tls, &dt_tls_none);	/* no TLS: no copy */
		ck_assert_ptr_null(c->rare);
		ck_assert_int_ne(c->kept & DT_CONN_KEPT_STRUCT, 0);
		if (c->kept & DT_CONN_KEPT_EVENTS) {
			ck_assert_uint_eq(c->cap_events, c->n_events);
			continue;
		}
		heap += c->cap_events * sizeof *c->events + 16;
		tombs++;
	}
	ck_assert_uint_le(tombs, 64);
	/* and the table of interned strings (the server's text) */
	heap += w.cap->cap_strs * sizeof *w.cap->strs + 16;
	ck_assert_uint_eq(w.m.used - base, blocks + heap);
	/* before the end, also the tombstones themselves */
	ck_assert_uint_le(live - base - blocks - heap, 64 * 1024);
	/* the stated size of a short connection's facts (its filter is
	   made when the capture is finished), all in kept memory once
	   retired: its struct dt_conn (288 B), its endpoint texts (35 B)
	   and 4 events (96 B), 423 B today; 592 B before (the struct a
	   block of its own with the endpoint texts in it, the timeline a
	   block of 8 events); 712 B before issue 15 took the 128-byte
	   reason out of every struct dt_conn) */
	ck_assert_uint_le((kept + heap) / n, 428);
	w_close(&w);
}
END_TEST

START_TEST(t_memory_cap)
{
	struct world w;
	size_t cap = 48u << 20;

	w_open(&w, cap, NULL, 1);
	/* the connection that matters came first and goes on after */
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, "hello");
	half_open(&w, 200000);
	w_tcp(&w, C, PA, 1006, 5001, " world");
	ck_stream(rec_conn(&w.sink, 1), C, "hello world");
	ck_assert(!rec_conn(&w.sink, 1)->ended);
	ck_assert_uint_le(w.m.peak, cap);
	ck_assert_int_eq(w.m.failed, 0);		/* never refused */
	ck_assert_uint_gt(w.cap->dropped_conns, 0);	/* said what went */
	ck_assert_uint_lt(dt_flow_live(w.f), 200000);
	/* every connection was either kept as a fact or counted as dropped */
	ck_assert_uint_ge(w.cap->n_conns + w.cap->dropped_conns, 200001);
	w_close(&w);
}
END_TEST

/* Out-of-order buffers past the cap: the connections idle longest go. */
START_TEST(t_memory_cap_buffers)
{
	static uint8_t big[60000];
	struct world w;
	size_t cap = 4u << 20;
	uint32_t i, k;

	memset(big, 'b', sizeof big);
	w_open(&w, cap, NULL, 1);
	for (i = 0; i < 20; i++) {
		w.cport = (uint16_t)(40000 + i);
		w_handshake(&w);
		/* the first 1000 bytes are missing: 180000 bytes wait */
		for (k = 0; k < 3; k++)
			w_tcp_full(&w, C, PA, 2001 + k * 60000, 5001, big,
			    sizeof big, sizeof big, 8192);
	}
	ck_assert_uint_le(w.m.peak, cap);
	ck_assert_int_eq(w.m.failed, 0);
	ck_assert_uint_gt(w.cap->dropped_conns, 0);
	ck_assert_uint_eq(w.cap->n_conns, 20);
	ck_assert_uint_eq(dt_flow_live(w.f) + w.cap->dropped_conns, 20);
	/* the oldest went first, judged: its hole became a gap at its end */
	ck_assert_ptr_nonnull(rec_conn(&w.sink, 1));
	ck_assert(rec_conn(&w.sink, 1)->ended);
	ck_assert_uint_eq(dt_conn_gap(w.cap->conns, C), 1000);
	/* the gap is placed at the segment that came after the hole */
	ck_assert_uint_eq(dt_ev_frame(w.cap->conns,
	    find_event(w.cap->conns, DT_EV_GAP, 0)), 4);
	ck_assert_int_eq(w.cap->conns->state, DT_TCP_ESTABLISHED);
	ck_assert_ptr_null(rec_conn(&w.sink, 20));	/* still waiting */
	w_close(&w);
}
END_TEST

/* ---- DNS ---------------------------------------------------------------- */

/* query for da.Example.COM A, txid 0x1234 */
static const uint8_t dns_q[] = {
	0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
	2, 'd', 'a', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'C', 'O', 'M', 0,
	0, 1, 0, 1,
};

/* NXDOMAIN answer to it */
static const uint8_t dns_nx[] = {
	0x12, 0x34, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0,
	2, 'd', 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0, 1, 0, 1,
};

/* answer: CNAME to edge.example.com (compressed), then A and AAAA */
static const uint8_t dns_ans[] = {
	0xab, 0xcd, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0,
	2, 'd', 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	0, 1, 0, 1,
	0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 7,
	4, 'e', 'd', 'g', 'e', 0xc0, 15,		/* edge.example.com */
	0xc0, 44, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 19, 0, 10,
	0xc0, 44, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
};

/* a name that points at itself */
static const uint8_t dns_loop[] = {
	0x00, 0x01, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
	1, 'a', 0xc0, 12, 0, 1, 0, 1,
};

START_TEST(t_dns_parse)
{
	struct dt_mem m;
	struct dt_dns d;
	struct dt_addr a;
	int resp;
	uint16_t txid;

	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_dns_parse(&m, dns_q, sizeof dns_q, &resp, &txid,
	    &d), 0);
	ck_assert_int_eq(resp, 0);
	ck_assert_uint_eq(txid, 0x1234);
	ck_assert_str_eq(d.name, "da.example.com");
	ck_assert_uint_eq(d.qtype, 1);
	ck_assert_int_eq(d.rcode, -1);
	dt_free(&m, (void *)d.name);

	ck_assert_int_eq(dt_dns_parse(&m, dns_nx, sizeof dns_nx, &resp, &txid,
	    &d), 0);
	ck_assert_int_eq(resp, 1);
	ck_assert_int_eq(d.rcode, 3);
	ck_assert_uint_eq(d.n_addrs, 0);
	dt_free(&m, (void *)d.name);

	ck_assert_int_eq(dt_dns_parse(&m, dns_ans, sizeof dns_ans, &resp,
	    &txid, &d), 0);
	ck_assert_int_eq(d.rcode, 0);
	ck_assert_str_eq(d.cname, "edge.example.com");
	ck_assert_uint_eq(d.n_addrs, 2);
	dt_dns_addr(&d, 0, &a);
	ck_assert_uint_eq(a.family, 4);
	ck_assert_int_eq(memcmp(a.a, "\xc6\x13\x00\x0a\0\0\0\0\0\0\0\0\0\0\0\0",
	    16), 0);
	dt_dns_addr(&d, 1, &a);
	ck_assert_uint_eq(a.family, 6);
	ck_assert_uint_eq(a.a[15], 1);
	dt_free(&m, (void *)d.name);
	dt_free(&m, (void *)d.cname);
	dt_free(&m, d.addr_bytes);

	ck_assert_int_eq(dt_dns_parse(&m, dns_loop, sizeof dns_loop, &resp,
	    &txid, &d), -1);
	ck_assert_ptr_null(d.name);
	/* every shorter prefix of a good answer is malformed, not a crash */
	{
		size_t k;
		for (k = 0; k < sizeof dns_ans; k++) {
			ck_assert_int_eq(dt_dns_parse(&m, dns_ans, k, &resp,
			    &txid, &d), -1);
		}
	}
	ck_assert_uint_eq(m.used, 0);
}
END_TEST

/*
 * An answer whose owner name points at the question's name takes one
 * pointer more than the question did: the parser does not walk such an
 * owner name again, and must still find it malformed when the question
 * already took DT_DNS_MAX_JUMPS pointers. The question's name is a chain
 * of `chain` + 1 pointers (kept in the rdata of a TXT answer) to "a".
 */
static size_t
dns_jump_chain(uint8_t *p, int chain)
{
	static const uint8_t head[] = {
		0x00, 0x02, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
		0xc0, 46, 0, 1, 0, 1,				/* 12: Q */
		0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1, /* A */
		0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60,		/* TXT */
	};
	size_t n = sizeof head, rd;
	int i;

	memcpy(p, head, n);
	rd = n;
	n += 2;					/* rdlength, below */
	for (i = 0; i < chain; i++, n += 2) {	/* 46: pointer to the next */
		p[n] = 0xc0;
		p[n + 1] = (uint8_t)(n + 2);
	}
	p[n++] = 1, p[n++] = 'a', p[n++] = 0;
	p[rd] = 0, p[rd + 1] = (uint8_t)(n - rd - 2);
	return n;
}

START_TEST(t_dns_owner_jumps)
{
	struct dt_mem m;
	struct dt_dns d;
	uint8_t msg[128];
	size_t n;
	int resp;
	uint16_t txid;

	dt_mem_init(&m, NULL, NULL, 0);
	/* the question 15 pointers, its owner 16: read */
	n = dns_jump_chain(msg, DT_DNS_MAX_JUMPS - 2);
	ck_assert_int_eq(dt_dns_parse(&m, msg, n, &resp, &txid, &d), 0);
	ck_assert_str_eq(d.name, "a");
	ck_assert_uint_eq(d.n_addrs, 1);
	dt_free(&m, (void *)d.name);
	dt_free(&m, d.addr_bytes);
	/* the question 16 pointers, its owner 17: malformed */
	n = dns_jump_chain(msg, DT_DNS_MAX_JUMPS - 1);
	ck_assert_int_eq(dt_dns_parse(&m, msg, n, &resp, &txid, &d), -1);
	ck_assert_uint_eq(m.used, 0);
}
END_TEST

static void
w_udp(struct world *w, int dir, const uint8_t *p, size_t n)
{
	struct dt_packet pkt;
	struct dt_l4 l4;

	memset(&pkt, 0, sizeof pkt);
	memset(&l4, 0, sizeof l4);
	pkt.frame = ++w->frame;
	pkt.time = w->time;
	w->time += 10 * MS;
	l4.status = DT_L4_UDP;
	l4.proto = 17;
	l4.src = dir == DT_C2S ? w->cli : w->srv;
	l4.dst = dir == DT_C2S ? w->srv : w->cli;
	l4.sport = dir == DT_C2S ? 61000 : 53;
	l4.dport = dir == DT_C2S ? 53 : 61000;
	l4.payload = p;
	l4.caplen = l4.paylen = (uint32_t)n;
	dt_flow_packet(w->f, &pkt, &l4);
}

/* dt_flow_room_mark(): below it both questions say yes, one past it
   one says no (flow/dns.c asks only past it), for caps small and large;
   buffered bytes only add room. */
START_TEST(t_budget_room_mark)
{
	static const size_t caps[] = { 1, 4096, 65536, 70000, 100000,
	    (size_t)1 << 20, (size_t)1 << 30 };
	static const size_t ns[] = { 1, 4096, 65536 };
	struct dt_mem m;
	struct dt_flow_budget b = { &m, 0 };
	size_t i, j, k, mark, used;

	memset(&m, 0, sizeof m);
	ck_assert_uint_eq(dt_flow_room_mark(&m, 4096), SIZE_MAX);
	for (i = 0; i < sizeof caps / sizeof caps[0]; i++)
		for (j = 0; j < sizeof ns / sizeof ns[0]; j++) {
			m.cap = caps[i];
			mark = dt_flow_room_mark(&m, ns[j]);
			for (k = 0; k <= 16; k++) {
				used = mark / 16 * k;
				if (used >= mark)
					continue;
				m.used = used;
				b.buffered = used / 2;
				ck_assert(dt_flow_fact_room(&b, ns[j]));
				ck_assert(dt_flow_buffer_room(&b, ns[j]));
			}
			if (mark == 0)
				continue;
			m.used = mark - 1;
			b.buffered = 0;
			ck_assert(dt_flow_fact_room(&b, ns[j]) &&
			    dt_flow_buffer_room(&b, ns[j]));
			m.used = mark + 1;
			ck_assert(!dt_flow_fact_room(&b, ns[j]) ||
			    !dt_flow_buffer_room(&b, ns[j]));
		}
}
END_TEST

START_TEST(t_dns_flow)
{
	struct world w;
	struct dt_dns *d;

	w_open(&w, 0, NULL, 1);
	w_udp(&w, C, dns_q, sizeof dns_q);		/* 1 */
	w_udp(&w, C, dns_q, sizeof dns_q);		/* 2: the same again */
	w_udp(&w, S, dns_nx, sizeof dns_nx);		/* 3 */
	w_udp(&w, S, dns_ans, sizeof dns_ans);		/* 4: no query seen */
	w_udp(&w, C, dns_loop, sizeof dns_loop);	/* 5: malformed */
	dt_flow_finish(w.f);
	ck_assert_uint_eq(w.cap->n_dns, 2);
	d = dt_capture_dns(w.cap, 0);
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->name, "da.example.com");
	ck_assert_uint_eq(dt_dns_query_frame_of(d), 1);
	ck_assert_uint_eq(dt_dns_answer_frame_of(d), 3);
	ck_assert_int_eq(d->rcode, 3);
	d = dt_capture_dns(w.cap, 1);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(dt_dns_query_frame_of(d), 0);
	ck_assert_uint_eq(dt_dns_answer_frame_of(d), 4);
	ck_assert_uint_eq(d->n_addrs, 2);
	ck_assert_ptr_null(dt_capture_dns(w.cap, 2));
	w_close(&w);

	/* frames are kept in 48 bits: one past 2^40 comes back whole; a
	   message past 2^48 - 1 is not recorded (its answer unmatched) */
	w_open(&w, 0, NULL, 1);
	w.frame = ((uint64_t)1 << 40) + 7;
	w_udp(&w, C, dns_q, sizeof dns_q);
	w_udp(&w, S, dns_nx, sizeof dns_nx);
	w.frame = DT_FRAME48_MAX - 1;
	w_udp(&w, C, dns_q, sizeof dns_q);		/* DT_FRAME48_MAX */
	w_udp(&w, S, dns_nx, sizeof dns_nx);		/* one past */
	dt_flow_finish(w.f);
	ck_assert_uint_eq(w.cap->n_dns, 2);
	d = dt_capture_dns(w.cap, 0);
	ck_assert_uint_eq(dt_dns_query_frame_of(d), ((uint64_t)1 << 40) + 8);
	ck_assert_uint_eq(dt_dns_answer_frame_of(d), ((uint64_t)1 << 40) + 9);
	d = dt_capture_dns(w.cap, 1);
	ck_assert_uint_eq(dt_dns_query_frame_of(d), DT_FRAME48_MAX);
	ck_assert_uint_eq(dt_dns_answer_frame_of(d), 0);
	ck_assert_int_eq(d->rcode, -1);
	w_close(&w);

	/* a name that is not UTF-8 is kept repaired, each bad byte U+FFFD
	   (as the report's other texts are) */
	{
		uint8_t q[sizeof dns_q];

		memcpy(q, dns_q, sizeof q);
		q[16] = 0xff;			/* "da.\xffxample.com" */
		w_open(&w, 0, NULL, 1);
		w_udp(&w, C, q, sizeof q);
		dt_flow_finish(w.f);
		ck_assert_uint_eq(w.cap->n_dns, 1);
		ck_assert_str_eq(dt_capture_dns(w.cap, 0)->name,
		    "da.\xef\xbf\xbdxample.com");
		w_close(&w);
	}

	/* records past one block (DT_DNS_BLOCK) keep their order and their
	   answers: queries of ids 0..n-1, then their answers */
	{
		uint8_t q[sizeof dns_q], a[sizeof dns_nx];
		size_t i, n = DT_DNS_BLOCK + 40;

		memcpy(q, dns_q, sizeof q);
		memcpy(a, dns_nx, sizeof a);
		w_open(&w, 0, NULL, 1);
		for (i = 0; i < n; i++) {
			q[0] = (uint8_t)(i >> 8), q[1] = (uint8_t)i;
			w_udp(&w, C, q, sizeof q);		/* i + 1 */
			a[0] = (uint8_t)(i >> 8), a[1] = (uint8_t)i;
			w_udp(&w, S, a, sizeof a);		/* i + 2 */
		}
		dt_flow_finish(w.f);
		ck_assert_uint_eq(w.cap->n_dns, n);
		ck_assert_uint_eq(w.cap->n_dns_blocks, 2);
		for (i = 0; i < n; i++) {
			d = dt_capture_dns(w.cap, i);
			ck_assert_uint_eq(dt_dns_query_frame_of(d), 2 * i + 1);
			ck_assert_uint_eq(dt_dns_answer_frame_of(d), 2 * i + 2);
			ck_assert_str_eq(d->name, "da.example.com");
		}
		ck_assert_ptr_null(dt_capture_dns(w.cap, n));
		w_close(&w);
	}

	/* an answer that comes again, the same bytes (unmatched, then
	   matched to a query of its id), gives each record what the first
	   gave: name, CNAME target, addresses, response code */
	{
		uint8_t q[sizeof dns_q];
		struct dt_addr a;
		size_t i;

		memcpy(q, dns_q, sizeof q);
		q[0] = 0xab, q[1] = 0xcd;
		w_open(&w, 0, NULL, 1);
		for (i = 0; i < 4; i++)
			w_udp(&w, S, dns_ans, sizeof dns_ans);	/* 1-4 */
		w_udp(&w, C, q, sizeof q);			/* 5 */
		w_udp(&w, S, dns_ans, sizeof dns_ans);		/* 6 */
		w_udp(&w, C, q, sizeof q);			/* 7 */
		w_udp(&w, S, dns_ans, sizeof dns_ans);		/* 8 */
		dt_flow_finish(w.f);
		ck_assert_uint_eq(w.cap->n_dns, 6);
		for (i = 0; i < 6; i++) {
			d = dt_capture_dns(w.cap, i);
			ck_assert_str_eq(d->name, "da.example.com");
			ck_assert_str_eq(d->cname, "edge.example.com");
			ck_assert_uint_eq(d->qtype, 1);
			ck_assert_int_eq(d->rcode, 0);
			ck_assert_uint_eq(d->n_addrs, 2);
			dt_dns_addr(d, 0, &a);
			ck_assert_int_eq(a.family, 4);
			ck_assert_int_eq(memcmp(a.a, "\xc6\x13\x00\x0a", 4), 0);
			dt_dns_addr(d, 1, &a);
			ck_assert_int_eq(a.family, 6);
			ck_assert_int_eq(a.a[15], 1);
			ck_assert_uint_eq(dt_dns_query_frame_of(d),
			    i < 4 ? 0 : 2 * i - 3);
			ck_assert_uint_eq(dt_dns_answer_frame_of(d),
			    i < 4 ? i + 1 : 2 * i - 2);
		}
		w_close(&w);
	}

	/* a name's A query, its AAAA query, and its A query again (the
	   same bytes but the id and the type): each record its own type */
	{
		uint8_t q[sizeof dns_q];
		size_t i;

		memcpy(q, dns_q, sizeof q);
		w_open(&w, 0, NULL, 1);
		for (i = 0; i < 3; i++) {
			q[1] = (uint8_t)i;
			q[sizeof q - 3] = i == 1 ? 28 : 1;
			w_udp(&w, C, q, sizeof q);
		}
		dt_flow_finish(w.f);
		ck_assert_uint_eq(w.cap->n_dns, 3);
		for (i = 0; i < 3; i++) {
			d = dt_capture_dns(w.cap, i);
			ck_assert_str_eq(d->name, "da.example.com");
			ck_assert_uint_eq(d->qtype, i == 1 ? 28 : 1);
			ck_assert_uint_eq(dt_dns_query_frame_of(d), i + 1);
			ck_assert_int_eq(d->rcode, -1);
		}
		w_close(&w);
	}

	/* two queries the same but the id, their name a pointer into it
	   (offset 0: the id's bytes a label of one, then the flags' low
	   byte a label of one): each record its own name, the second not
	   taken from the memo as the first's */
	{
		uint8_t q[] = {
			0x01, 'a', 0x01, 0x00, 0x00, 0x01, 0x00, 0x00,
			0x00, 0x00, 0x00, 0x00,
			3, 'w', 'w', 'w', 0xc0, 0x00, 0x00, 0x01, 0x00, 0x01,
		};

		w_open(&w, 0, NULL, 1);
		w_udp(&w, C, q, sizeof q);
		q[1] = 'b';
		w_udp(&w, C, q, sizeof q);
		dt_flow_finish(w.f);
		ck_assert_uint_eq(w.cap->n_dns, 2);
		ck_assert_str_eq(dt_capture_dns(w.cap, 0)->name, "www.a.?");
		ck_assert_str_eq(dt_capture_dns(w.cap, 1)->name, "www.b.?");
		w_close(&w);
	}

	/* DNS over TCP: length-prefixed, the query split over two segments */
	{
		uint8_t q[2 + sizeof dns_q], a[2 + sizeof dns_nx];

		q[0] = 0;
		q[1] = sizeof dns_q;
		memcpy(q + 2, dns_q, sizeof dns_q);
		a[0] = 0;
		a[1] = sizeof dns_nx;
		memcpy(a + 2, dns_nx, sizeof dns_nx);
		w_open(&w, 0, NULL, 1);
		w.sport = 53;
		w_handshake(&w);
		w_tcp_full(&w, C, PA, 1001, 5001, q, 5, 5, 8192);	/* 4 */
		w_tcp_full(&w, C, PA, 1006, 5001, q + 5, sizeof q - 5,
		    sizeof q - 5, 8192);				/* 5 */
		w_tcp_full(&w, S, PA, 5001, 1001 + sizeof q, a, sizeof a,
		    sizeof a, 8192);					/* 6 */
		ck_assert_uint_eq(w.cap->n_dns, 1);
		d = dt_capture_dns(w.cap, 0);
		ck_assert_str_eq(d->name, "da.example.com");
		ck_assert_uint_eq(dt_dns_query_frame_of(d), 5);
		ck_assert_uint_eq(dt_dns_answer_frame_of(d), 6);
		ck_assert_int_eq(d->rcode, 3);
		ck_assert_ptr_null(w.cap->http);
		w_close(&w);
	}
}
END_TEST

/* ---- HTTP --------------------------------------------------------------- */

START_TEST(t_http_parse)
{
	static const char conn[] = "CONNECT da.example.com:443 HTTP/1.1\r\n"
	    "Host: da.example.com:443\r\nProxy-Connection: keep-alive\r\n\r\n";
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n"
	    "\x16\x03\x03";
	static const char forb[] = "HTTP/1.1 403 Forbidden\r\n"
	    "Server: squid\r\nContent-Length: 12\r\n\r\nAccess denied";
	static const char crl[] = "GET /pki/ca.crl HTTP/1.1\n"
	    "host:  crl.example.com \nUser-Agent: Microsoft-CryptoAPI/10.0\n\n";
	struct dt_mem m;
	struct dt_http_msg h;
	int req;
	size_t used, k;

	dt_mem_init(&m, NULL, NULL, 0);
	ck_assert_int_eq(dt_http_head_parse(&m, (const uint8_t *)conn,
	    strlen(conn), &h, &req, &used), 1);
	ck_assert_int_eq(req, 1);
	ck_assert_uint_eq(used, strlen(conn));
	ck_assert_str_eq(h.line, "CONNECT da.example.com:443 HTTP/1.1");
	ck_assert_str_eq(h.host, "da.example.com:443");
	dt_free(&m, h.line);
	dt_free(&m, h.host);

	ck_assert_int_eq(dt_http_head_parse(&m, (const uint8_t *)ok,
	    strlen(ok), &h, &req, &used), 1);
	ck_assert_int_eq(req, 0);
	ck_assert_int_eq(h.status, 200);
	ck_assert_uint_eq(used, strlen(ok) - 3);
	dt_free(&m, h.line);

	ck_assert_int_eq(dt_http_head_parse(&m, (const uint8_t *)forb,
	    strlen(forb), &h, &req, &used), 1);
	ck_assert_int_eq(h.status, 403);
	ck_assert_str_eq(h.line, "HTTP/1.1 403 Forbidden");
	ck_assert_str_eq(h.server, "squid");
	ck_assert_str_eq(h.content_length, "12");
	dt_free(&m, h.line);
	dt_free(&m, h.server);
	dt_free(&m, h.content_length);

	ck_assert_int_eq(dt_http_head_parse(&m, (const uint8_t *)crl,
	    strlen(crl), &h, &req, &used), 1);
	ck_assert_str_eq(h.line, "GET /pki/ca.crl HTTP/1.1");
	ck_assert_str_eq(h.host, "crl.example.com");
	dt_free(&m, h.line);
	dt_free(&m, h.host);

	/* every split of a head asks for more */
	for (k = 0; k < strlen(conn); k++) {
		ck_assert_msg(dt_http_head_parse(&m, (const uint8_t *)conn, k,
		    &h, &req, &used) == 0, "split at %zu", k);
	}
	/* not HTTP */
	ck_assert_int_eq(dt_http_head_parse(&m,
	    (const uint8_t *)"\x16\x03\x01\x02\x00", 5, &h, &req, &used), -1);
	ck_assert_int_eq(dt_http_head_parse(&m, (const uint8_t *)"GET", 3, &h,
	    &req, &used), 0);
	ck_assert_int_eq(dt_http_head_parse(&m, (const uint8_t *)"GEt ", 4,
	    &h, &req, &used), -1);
	ck_assert_int_eq(dt_http_head_parse(&m,
	    (const uint8_t *)"GET / FTP/1.0\r\n", 15, &h, &req, &used), -1);
	ck_assert_int_eq(dt_http_head_parse(&m,
	    (const uint8_t *)"HTTP/1.1 2x0 OK\r\n", 17, &h, &req, &used), -1);
	ck_assert_int_eq(dt_http_head_parse(&m,
	    (const uint8_t *)"GET / HTTP/1.1\r\nbad header\r\n\r\n", 30, &h,
	    &req, &used), -1);
	ck_assert_uint_eq(m.used, 0);
}
END_TEST

START_TEST(t_http_flow)
{
	struct world w;
	struct dt_http *h;
	const char *req = "CONNECT da.example.com:443 HTTP/1.1\r\n"
	    "Host: da.example.com:443\r\n\r\n";
	uint32_t n = (uint32_t)strlen(req);
	const char *two_gets = "GET /a.crl HTTP/1.1\r\nHost: crl\r\n\r\n"
	    "GET /b.crl HTTP/1.1\r\nHost: crl\r\n\r\n";
	const char *ok200 = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
	    "CRL!!";

	/* CONNECT split over two segments, answered 403 */
	w_open(&w, 0, NULL, 1);
	w.sport = 8080;
	w_handshake(&w);
	w_tcp_full(&w, C, PA, 1001, 5001, req, 20, 20, 8192);	/* 4 */
	w_tcp_full(&w, C, PA, 1021, 5001, req + 20, n - 20, n - 20, 8192);
	w_tcp(&w, S, PA, 5001, 1001 + n,
	    "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");	/* 6 */
	h = w.cap->http;
	ck_assert_ptr_nonnull(h);
	ck_assert_str_eq(h->method, "CONNECT");
	ck_assert_str_eq(h->uri, "da.example.com:443");
	ck_assert_str_eq(h->host, "da.example.com:443");
	ck_assert_uint_eq(h->request_frame, 5);
	ck_assert_uint_eq(h->response_frame, 6);
	ck_assert_int_eq(h->status, 403);
	ck_assert_str_eq(h->status_line, "HTTP/1.1 403 Forbidden");
	ck_assert_uint_eq(h->conn, 1);
	/* the sink saw every byte regardless */
	ck_stream(rec_conn(&w.sink, 1), C, req);
	w_close(&w);

	/* a CRL fetch, two requests on one connection, 200 then 404 */
	w_open(&w, 0, NULL, 1);
	w.sport = 80;
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, two_gets);
	w_tcp(&w, S, PA, 5001, 1001 + (uint32_t)strlen(two_gets), ok200);
	w_tcp(&w, S, PA, 5001 + (uint32_t)strlen(ok200),
	    1001 + (uint32_t)strlen(two_gets), "HTTP/1.1 404 Not Found\r\n\r\n");
	h = w.cap->http;
	ck_assert_str_eq(h->uri, "/a.crl");
	ck_assert_int_eq(h->status, 200);
	h = h->next;
	ck_assert_ptr_nonnull(h);
	ck_assert_str_eq(h->method, "GET");
	ck_assert_str_eq(h->uri, "/b.crl");
	ck_assert_int_eq(h->status, 404);
	ck_assert_uint_eq(h->request_frame, 4);
	ck_assert_uint_eq(h->response_frame, 6);
	ck_assert_ptr_null(h->next);
	w_close(&w);

	/* a CONNECT the proxy resets */
	w_open(&w, 0, NULL, 1);
	w.sport = 8080;
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, req);
	w_tcp(&w, S, RST | A, 5001, 1001 + n, NULL);
	h = w.cap->http;
	ck_assert_int_eq(h->status, -1);
	ck_assert_int_eq(h->conn_reset, 1);
	ck_assert_int_eq(h->conn_no_answer, 0);
	w_close(&w);

	/* a long head one byte per segment: read once complete */
	{
		static char head[9000];
		size_t k, hl;

		memset(head, 0, sizeof head);
		strcpy(head, "GET /");
		memset(head + 5, 'a', 8000);
		strcat(head, " HTTP/1.1\r\nHost: crl\r\n\r\n");
		hl = strlen(head);
		w_open(&w, 0, NULL, 1);
		w.sport = 80;
		w_handshake(&w);
		for (k = 0; k < hl; k++)
			w_tcp_full(&w, C, PA, 1001 + (uint32_t)k, 5001, head + k,
			    1, 1, 8192);
		h = w.cap->http;
		ck_assert_ptr_nonnull(h);
		ck_assert_uint_eq(strlen(h->uri), 8001);
		ck_assert_str_eq(h->host, "crl");
		ck_assert_uint_eq(h->request_frame, 3 + hl);
		ck_assert_uint_eq(dt_flow_buffered(w.f), 0);
		w_close(&w);
	}

	/* TLS on 443 is not looked at twice: nothing recorded */
	w_open(&w, 0, NULL, 1);
	w_handshake(&w);
	w_tcp(&w, C, PA, 1001, 5001, "\x16\x03\x01\x00\x05hello");
	ck_assert_ptr_null(w.cap->http);
	ck_assert_uint_eq(dt_flow_buffered(w.f), 0);
	w_close(&w);
}
END_TEST

/* ---- allocation failure -------------------------------------------------- */

struct failing {
	unsigned left;
};

static void *
fail_alloc(void *ud, void *ptr, size_t size)
{
	struct failing *fa = ud;

	if (size == 0) {
		free(ptr);
		return NULL;
	}
	if (fa->left == 0)
		return NULL;
	fa->left--;
	return realloc(ptr, size);
}

START_TEST(t_alloc_failure)
{
	unsigned k;

	/* fail the k-th allocation for every k: no crash, no leak */
	for (k = 0; k < 60; k++) {
		struct world w;
		struct failing fa = { 0 };

		w_open(&w, 0, NULL, 1);
		w.m.fn = fail_alloc;
		w.m.ud = &fa;
		fa.left = k;
		w_handshake(&w);
		w_tcp(&w, C, PA, 1011, 5001, "later");
		w_tcp(&w, C, PA, 1001, 5001, "GET / HTTP");
		w_tcp(&w, C, PA, 1016, 5001, "/1.1\r\nHost: x\r\n\r\n");
		w_tcp(&w, S, PA, 5001, 1001, "HTTP/1.1 200 OK\r\n\r\n");
		w_udp(&w, C, dns_q, sizeof dns_q);
		w_udp(&w, S, dns_ans, sizeof dns_ans);
		dt_flow_finish(w.f);
		fa.left = 1u << 30;
		w_close(&w);
	}
}
END_TEST

/* ---- real kernel TCP (testdata/netem) ------------------------------------- */

struct netem_case {
	const char *pcap;
	size_t len[2];			/* per direction, as sent */
	char sha256[2][65];
};

/* Minimal Ethernet/IPv4/IPv6/TCP decoder: the test must not depend on the
   net/ room, which has its own tests. */
static int
decode_eth(const uint8_t *p, uint32_t caplen, uint32_t origlen,
    struct dt_l4 *l4)
{
	uint32_t off = 14, ihl, thl, iplen;
	uint16_t et;

	memset(l4, 0, sizeof *l4);
	if (caplen < 14)
		return -1;
	et = (uint16_t)(p[12] << 8 | p[13]);
	if (et == 0x0800) {
		if (caplen < off + 20)
			return -1;
		ihl = (uint32_t)(p[off] & 0x0f) * 4;
		iplen = (uint32_t)(p[off + 2] << 8 | p[off + 3]);
		if (p[off + 9] != 6)
			return -1;
		l4->src.family = l4->dst.family = 4;
		memcpy(l4->src.a, p + off + 12, 4);
		memcpy(l4->dst.a, p + off + 16, 4);
		l4->ttl = p[off + 8];
	} else if (et == 0x86dd) {
		if (caplen < off + 40 || p[off + 6] != 6)
			return -1;
		ihl = 40;
		iplen = 40 + (uint32_t)(p[off + 4] << 8 | p[off + 5]);
		l4->src.family = l4->dst.family = 6;
		memcpy(l4->src.a, p + off + 8, 16);
		memcpy(l4->dst.a, p + off + 24, 16);
		l4->ttl = p[off + 7];
	} else {
		return -1;
	}
	off += ihl;
	if (caplen < off + 20)
		return -1;
	thl = (uint32_t)(p[off + 12] >> 4) * 4;
	l4->status = DT_L4_TCP;
	l4->proto = 6;
	l4->sport = (uint16_t)(p[off] << 8 | p[off + 1]);
	l4->dport = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
	l4->seq = (uint32_t)p[off + 4] << 24 | (uint32_t)p[off + 5] << 16 |
	    (uint32_t)p[off + 6] << 8 | p[off + 7];
	l4->ack = (uint32_t)p[off + 8] << 24 | (uint32_t)p[off + 9] << 16 |
	    (uint32_t)p[off + 10] << 8 | p[off + 11];
	l4->flags = p[off + 13] & 0x3f;
	l4->window = (uint16_t)(p[off + 14] << 8 | p[off + 15]);
	if (iplen < ihl + thl || caplen < off + thl)
		return -1;
	(void)origlen;
	l4->paylen = iplen - ihl - thl;
	l4->payload = p + off + thl;
	l4->caplen = caplen - off - thl;
	if (l4->caplen > l4->paylen)
		l4->caplen = l4->paylen;	/* Ethernet padding */
	return 0;
}

static int
read_manifest(const char *path, struct netem_case *cases, size_t max)
{
	FILE *fp = fopen(path, "r");
	char line[512], name[256];
	int n = 0;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof line, fp) != NULL && (size_t)n < max) {
		struct netem_case *c = &cases[n];
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%255s %zu %64s %zu %64s", name, &c->len[0],
		    c->sha256[0], &c->len[1], c->sha256[1]) != 5)
			continue;
		c->pcap = strdup(name);
		n++;
	}
	fclose(fp);
	return n;
}

START_TEST(t_netem_captures)
{
	struct netem_case cases[32];
	int n, i, checked = 0;
	unsigned retrans = 0;

	n = read_manifest(TESTDATA_DIR "/netem/MANIFEST", cases, 32);
	if (n < 0) {
		fprintf(stderr, "testdata/netem/MANIFEST absent: skipped\n");
		return;
	}
	ck_assert_int_gt(n, 0);
	for (i = 0; i < n; i++) {
		char path[512], err[PCAP_ERRBUF_SIZE], hex[65];
		uint8_t dig[32];
		struct pcap_pkthdr *ph;
		const u_char *data;
		pcap_t *pc;
		struct world w;
		struct rec *r;
		int rc, k, d;

		snprintf(path, sizeof path, TESTDATA_DIR "/netem/%s",
		    cases[i].pcap);
		pc = pcap_open_offline(path, err);
		ck_assert_msg(pc != NULL, "%s: %s", path, err);
		w_open(&w, 0, NULL, 1);
		while ((rc = pcap_next_ex(pc, &ph, &data)) == 1) {
			struct dt_packet pkt;
			struct dt_l4 l4;

			memset(&pkt, 0, sizeof pkt);
			pkt.frame = ++w.frame;
			pkt.time = (int64_t)ph->ts.tv_sec * SEC +
			    (int64_t)ph->ts.tv_usec * 1000;
			if (decode_eth(data, ph->caplen, ph->len, &l4) == 0)
				dt_flow_packet(w.f, &pkt, &l4);
		}
		pcap_close(pc);
		dt_flow_finish(w.f);
		ck_assert_uint_eq(w.cap->n_conns, 1);
		r = rec_conn(&w.sink, 1);
		ck_assert_ptr_nonnull(r);
		for (d = 0; d < 2; d++) {
			ck_assert_msg(r->len[d] == cases[i].len[d],
			    "%s dir %d: %zu bytes, sent %zu", cases[i].pcap, d,
			    r->len[d], cases[i].len[d]);
			ck_assert_uint_eq(dt_conn_gap(w.cap->conns, d), 0);
			ck_assert_int_eq(gnutls_hash_fast(GNUTLS_DIG_SHA256,
			    r->buf[d], r->len[d], dig), 0);
			for (k = 0; k < 32; k++)
				snprintf(hex + 2 * k, 3, "%02x", dig[k]);
			ck_assert_msg(strcmp(hex, cases[i].sha256[d]) == 0,
			    "%s dir %d: stream differs from what was sent",
			    cases[i].pcap, d);
		}
		retrans += w.cap->conns->retransmissions;
		ck_assert_int_eq(w.cap->conns->state, DT_TCP_CLOSED);
		ck_assert(w.cap->conns->roles_from_syn);
		checked++;
		w_close(&w);
		free((void *)cases[i].pcap);
	}
	ck_assert_int_eq(checked, n);
	ck_assert_uint_gt(retrans, 0);		/* the captures do impair */
}
END_TEST

/* A TLS facts struct and a first event array back from an ended
   connection are the next one's, counted by the capture's memory as
   dt_malloc() counts them, refused where it would be, and freed with the
   capture: nothing leaks, nothing is counted twice. */
START_TEST(t_spares_counted)
{
	struct dt_mem m;
	struct dt_capture *cap;
	struct dt_conn c[3];
	struct dt_tls_facts *t;
	struct dt_event *ev;
	size_t base, tls_cost, ev_cost;
	void *p;

	dt_mem_init(&m, NULL, NULL, 0);
	cap = dt_calloc(&m, 1, sizeof *cap);
	ck_assert_ptr_nonnull(cap);
	cap->mem = &m;
	memset(c, 0, sizeof c);
	c[0].tls = c[1].tls = c[2].tls = (struct dt_tls_facts *)&dt_tls_none;
	base = m.used;
	p = dt_malloc(&m, sizeof *t);		/* what a block costs */
	tls_cost = m.used - base;
	dt_free(&m, p);

	/* none waiting: a new one; trimmed empty, it waits uncounted */
	t = dt_conn_tls_make_in(cap, &m, &c[0]);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(m.used - base, tls_cost);
	dt_conn_tls_trim(cap, &c[0]);
	ck_assert_ptr_eq(c[0].tls, &dt_tls_none);
	ck_assert_uint_eq(m.used, base);

	/* the next connection takes it, zeroed and counted again */
	t->version = 0x0301;
	ck_assert_ptr_eq(dt_conn_tls_make_in(cap, &m, &c[1]), t);
	ck_assert_uint_eq(t->version, 0);
	ck_assert_uint_eq(m.used - base, tls_cost);
	dt_conn_tls_trim(cap, &c[1]);
	ck_assert_uint_eq(m.used, base);

	/* past the cap: refused as dt_malloc() would be, still waiting */
	m.cap = m.used + sizeof *t - 1;
	ck_assert_ptr_null(dt_conn_tls_make_in(cap, &m, &c[2]));
	ck_assert_int_ne(m.failed, 0);
	ck_assert_uint_eq(m.used, base);
	m.cap = 0;
	m.failed = 0;

	/* a first event array: made by the first event, back when the
	   connection retires, the next connection's first array */
	ck_assert_int_eq(dt_conn_add_event(&m, &c[2], DT_EV_SYN, 0, 1, 0, 0,
	    0), 0);
	ev = c[2].events;
	ev_cost = m.used - base;
	c[2].n_events = 0;			/* as if never used */
	dt_conn_retire(cap, &c[2]);
	ck_assert_ptr_null(c[2].events);
	ck_assert_uint_eq(m.used, base);
	dt_conn_events_spare(cap, &c[2]);
	ck_assert_ptr_eq(c[2].events, ev);
	ck_assert_uint_eq(m.used - base, ev_cost);
	dt_conn_retire(cap, &c[2]);
	ck_assert_uint_eq(m.used, base);

	dt_capture_free(cap);
	ck_assert_uint_eq(m.used, 0);
}
END_TEST

static Suite *
flow_suite(void)
{
	Suite *s = suite_create("flow");
	TCase *tc = tcase_create("tcp");

	tcase_add_test(tc, t_clean_close);
	tcase_add_test(tc, t_challenge_ack);
	tcase_add_test(tc, t_challenge_ack_given_up);
	tcase_add_test(tc, t_simultaneous_open_server_first);
	tcase_add_test(tc, t_rst_with_data);
	tcase_add_test(tc, t_zero_window_probe);
	tcase_add_test(tc, t_fin_after_rst);
	tcase_add_test(tc, t_ack_out_of_window);
	tcase_add_test(tc, t_ack_in_window_gap);
	tcase_add_test(tc, t_synack_two_isns);
	tcase_add_test(tc, t_simultaneous_open);
	tcase_add_test(tc, t_tfo_data_in_syn);
	tcase_add_test(tc, t_reset_after_data);
	tcase_add_test(tc, t_fin_then_rst);
	tcase_add_test(tc, t_half_closed_at_end);
	tcase_add_test(tc, t_syn_retries);
	tcase_add_test(tc, t_refused);
	tcase_add_test(tc, t_port_reuse);
	tcase_add_test(tc, t_midstream_roles);
	tcase_add_test(tc, t_idle_timeout);
	tcase_add_test(tc, t_ipv6_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("reassembly");
	tcase_add_test(tc, t_out_of_order);
	tcase_add_test(tc, t_overlap_first_copy_wins);
	tcase_add_test(tc, t_retrans_and_dups);
	tcase_add_test(tc, t_wraparound);
	tcase_add_test(tc, t_gap_from_ack);
	tcase_add_test(tc, t_gap_at_end);
	tcase_add_test(tc, t_snaplen);
	tcase_add_test(tc, t_stream_cap);
	tcase_add_test(tc, t_sink_stops);
	tcase_add_test(tc, t_reverse_one_byte);
	tcase_add_test(tc, t_netem_captures);
	suite_add_tcase(s, tc);

	tc = tcase_create("memory");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, t_many_half_open);
	tcase_add_test(tc, t_closed_retired);
	tcase_add_test(tc, t_memory_cap);
	tcase_add_test(tc, t_memory_cap_buffers);
	tcase_add_test(tc, t_alloc_failure);
	tcase_add_test(tc, t_spares_counted);
	suite_add_tcase(s, tc);

	tc = tcase_create("side");
	tcase_add_test(tc, t_dns_parse);
	tcase_add_test(tc, t_dns_owner_jumps);
	tcase_add_test(tc, t_budget_room_mark);
	tcase_add_test(tc, t_dns_flow);
	tcase_add_test(tc, t_http_parse);
	tcase_add_test(tc, t_http_flow);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(flow_suite)
