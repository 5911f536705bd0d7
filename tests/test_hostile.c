/*
 * Hostile captures, built in memory: each must finish in bounded time, with
 * the library's memory under the configured cap, and say what it dropped.
 * Sizes are scaled for `make check`; HOSTILE_FULL=1 in the environment runs
 * the full sizes of the robustness issue (a million half-open connections).
 * Each is also read as a stream in pieces of odd sizes, in place and ahead
 * by a thread (dt_options.threads), which must say the same (packets,
 * connections, drops, errors, verdicts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datrace.h"
#include "analyzer_int.h"
#include "testutil.h"

#define CAP ((size_t)64 << 20)

/* ---- a pcap writer into memory ------------------------------------------ */

struct cap {
	uint8_t *b;
	size_t n, size;
	uint32_t t;
};

static void
put(struct cap *c, const void *p, size_t n)
{
	if (c->n + n > c->size) {
		c->size = (c->n + n) * 2;
		c->b = realloc(c->b, c->size);
		ck_assert_ptr_nonnull(c->b);
	}
	memcpy(c->b + c->n, p, n);
	c->n += n;
}

static void
cap_init(struct cap *c)
{
	static const uint8_t hdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0 };
	memset(c, 0, sizeof *c);
	put(c, hdr, sizeof hdr);
}

/* Ethernet + IPv4 + TCP, addresses from the 198.18.0.0/15 benchmark range. */
static void
tcp_pkt(struct cap *c, uint32_t cli, uint16_t sport, int to_server,
    uint8_t flags, uint32_t seq, const uint8_t *pay, size_t len)
{
	uint8_t p[14 + 20 + 20];
	uint32_t rec[4];
	uint16_t tl = (uint16_t)(40 + len);
	uint32_t src = to_server ? cli : 0xc613000a, dst = to_server ? 0xc613000a : cli;
	uint16_t sp = to_server ? sport : 443, dp = to_server ? 443 : sport;

	memset(p, 0, sizeof p);
	p[12] = 0x08;
	p[14] = 0x45;
	p[16] = (uint8_t)(tl >> 8);
	p[17] = (uint8_t)tl;
	p[22] = 64;
	p[23] = 6;
	p[26] = (uint8_t)(src >> 24); p[27] = (uint8_t)(src >> 16);
	p[28] = (uint8_t)(src >> 8); p[29] = (uint8_t)src;
	p[30] = (uint8_t)(dst >> 24); p[31] = (uint8_t)(dst >> 16);
	p[32] = (uint8_t)(dst >> 8); p[33] = (uint8_t)dst;
	p[34] = (uint8_t)(sp >> 8); p[35] = (uint8_t)sp;
	p[36] = (uint8_t)(dp >> 8); p[37] = (uint8_t)dp;
	p[38] = (uint8_t)(seq >> 24); p[39] = (uint8_t)(seq >> 16);
	p[40] = (uint8_t)(seq >> 8); p[41] = (uint8_t)seq;
	p[46] = 0x50;
	p[47] = flags;
	p[48] = 0xff;
	rec[0] = c->t / 1000000;
	rec[1] = c->t % 1000000;
	rec[2] = rec[3] = (uint32_t)(sizeof p + len);
	c->t += 10;
	put(c, rec, sizeof rec);
	put(c, p, sizeof p);
	if (len)
		put(c, pay, len);
}

/* ---- running it --------------------------------------------------------- */

/* The capture as a stream, with or without a thread reading it ahead. */
static dt_analyzer *
stream(dt_options o, const struct cap *c, int threads)
{
	struct tu_pieces p = { c->b, c->n, 300000, 0, 0, 0 };
	dt_analyzer *a;

	o.threads = threads;
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	(void)dt_analyze_stream(a, "hostile", tu_piece_read, &p);
	ck_assert(a->mem.peak <= CAP);
	return a;
}

/* The same bytes as a stream, read in place and read ahead, under the
   same options, say the same. (From memory the reader keeps no window
   under the cap, so a capping case drops a few connections fewer.) */
static void
same_read_ahead(dt_options o, const struct cap *c)
{
	dt_analyzer *a0 = stream(o, c, 0), *a1 = stream(o, c, 1);
	const dt_capture *want, *got;
	const dt_verdict *v, *w;
	const char *m1, *m2;
	uint64_t o1, o2;
	size_t i;

	ck_assert_int_eq(dt_analyzer_capture_at(a0, 0, &want), 0);
	ck_assert_int_eq(dt_analyzer_capture_at(a1, 0, &got), 0);
	ck_assert_uint_eq(dt_capture_packets(got), dt_capture_packets(want));
	ck_assert_uint_eq(dt_capture_conn_count(got),
	    dt_capture_conn_count(want));
	ck_assert_uint_eq(got->dropped_conns, want->dropped_conns);
	ck_assert_uint_eq(dt_capture_error_count(got),
	    dt_capture_error_count(want));
	for (i = 0; dt_capture_error_at(want, i, &o1, &m1) == 0; i++) {
		ck_assert_int_eq(dt_capture_error_at(got, i, &o2, &m2), 0);
		ck_assert_uint_eq(o2, o1);
		ck_assert_str_eq(m2, m1);
	}
	for (i = 0; dt_capture_verdict_at(want, i, &w) == 0; i++) {
		ck_assert_int_eq(dt_capture_verdict_at(got, i, &v), 0);
		ck_assert_str_eq(dt_verdict_id(v), dt_verdict_id(w));
	}
	ck_assert_int_ne(dt_capture_verdict_at(got, i, &v), 0);
	dt_analyzer_free(a0);
	dt_analyzer_free(a1);
}

static const dt_capture *
analyse(dt_analyzer **a, struct cap *c)
{
	dt_options o = DT_OPTIONS_INIT;
	const dt_capture *res = NULL;
	int rc;

	o.memory_cap = CAP;
	o.host = "da.corp.example";
	ck_assert_int_eq(dt_analyzer_new(a, &o), 0);
	rc = dt_analyze_mem(*a, "hostile", c->b, c->n);
	ck_assert_msg(rc == 0, "analysis failed: %s", dt_analyzer_errmsg(*a));
	ck_assert_int_eq(dt_analyzer_capture_at(*a, 0, &res), 0);
	/* the library's own accounting: never past the cap */
	ck_assert_msg((*a)->mem.peak <= CAP, "peak %zu > cap %zu",
	    (*a)->mem.peak, CAP);
	same_read_ahead(o, c);
	free(c->b);
	return res;
}

static int
full(void)
{
	const char *e = getenv("HOSTILE_FULL");
	return e != NULL && *e == '1';
}

START_TEST(test_half_open_flood)
{
	struct cap c;
	dt_analyzer *a;
	const dt_capture *res;
	uint32_t i, n = full() ? 1000000 : 200000;

	cap_init(&c);
	for (i = 0; i < n; i++)
		tcp_pkt(&c, 0xc6120000 + (i >> 8), (uint16_t)(1024 + (i & 0xff)),
		    1, 0x02, i * 7919u, NULL, 0);
	res = analyse(&a, &c);
	ck_assert_uint_eq(dt_capture_packets(res), n);
	/* every attempt is either a connection or counted as dropped */
	ck_assert_uint_eq(dt_capture_conn_count(res) + res->dropped_conns, n);
	dt_analyzer_free(a);
}
END_TEST

/* A handshake header that claims 16 MiB: no 16 MiB allocation, a fact. */
START_TEST(test_huge_handshake_claim)
{
	struct cap c;
	dt_analyzer *a;
	const dt_capture *res;
	const dt_conn *conn;
	uint8_t rec[5 + 4 + 1000];
	uint32_t seq = 1000, i;

	cap_init(&c);
	tcp_pkt(&c, 0xc6120001, 5000, 1, 0x02, seq - 1, NULL, 0);
	memset(rec, 0x41, sizeof rec);
	for (i = 0; i < 200; i++) {
		rec[0] = 22; rec[1] = 3; rec[2] = 3;
		rec[3] = (uint8_t)((sizeof rec - 5) >> 8);
		rec[4] = (uint8_t)(sizeof rec - 5);
		if (i == 0) {
			rec[5] = 1; rec[6] = 0xff; rec[7] = 0xff; rec[8] = 0xff;
		} else {
			rec[5] = rec[6] = rec[7] = rec[8] = 0x41;
		}
		tcp_pkt(&c, 0xc6120001, 5000, 1, 0x18, seq, rec, sizeof rec);
		seq += sizeof rec;
	}
	res = analyse(&a, &c);
	ck_assert_int_eq(dt_capture_conn_at(res, 0, &conn), 0);
	ck_assert(dt_tls_rare(conn->tls)->malformed != NULL || dt_tls_rare(conn->tls)->truncated);
	dt_analyzer_free(a);
}
END_TEST

/* Records of the largest size, one byte per segment. */
START_TEST(test_one_byte_segments)
{
	struct cap c;
	dt_analyzer *a;
	const dt_capture *res;
	uint32_t seq = 1, i, n = full() ? 4 * 16389 : 16389;
	uint8_t b;

	cap_init(&c);
	tcp_pkt(&c, 0xc6120002, 5001, 1, 0x02, 0, NULL, 0);
	for (i = 0; i < n; i++) {
		uint32_t k = i % 16389;
		b = k == 0 ? 23 : k == 1 || k == 2 ? 3 : k == 3 ? 0x40 :
		    k == 4 ? 0x00 : (uint8_t)i;
		tcp_pkt(&c, 0xc6120002, 5001, 1, 0x18, seq++, &b, 1);
	}
	res = analyse(&a, &c);
	ck_assert_uint_eq(dt_capture_packets(res), n + 1);
	dt_analyzer_free(a);
}
END_TEST

/* Every segment overlaps the one before with other bytes. */
START_TEST(test_overlapping_retransmissions)
{
	struct cap c;
	dt_analyzer *a;
	const dt_capture *res;
	const dt_conn *conn;
	uint8_t pay[1400];
	uint32_t i, n = full() ? 200000 : 20000;

	cap_init(&c);
	tcp_pkt(&c, 0xc6120003, 5002, 1, 0x02, 99, NULL, 0);
	for (i = 0; i < n; i++) {
		memset(pay, (int)i, sizeof pay);
		/* out of order and overlapping: ahead of the stream, sliding */
		tcp_pkt(&c, 0xc6120003, 5002, 1, 0x18, 100 + 5000 + (i % 977) * 3,
		    pay, sizeof pay);
	}
	res = analyse(&a, &c);
	ck_assert_int_eq(dt_capture_conn_at(res, 0, &conn), 0);
	ck_assert_uint_eq(conn->packets[0], n + 1);
	dt_analyzer_free(a);
}
END_TEST

/* pcapng: 100,000 interfaces, then blocks whose lengths lie. */
START_TEST(test_pcapng_many_interfaces_and_lies)
{
	struct cap c;
	dt_analyzer *a;
	dt_options o = DT_OPTIONS_INIT;
	const dt_capture *res;
	static const uint8_t shb[28] = { 0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0,
		0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0 };
	static const uint8_t idb[20] = { 1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0,
		0, 0, 4, 0, 20, 0, 0, 0 };
	uint8_t epb[32 + 4] = { 6, 0, 0, 0, 36, 0, 0, 0 };
	uint8_t liar[12] = { 6, 0, 0, 0, 0xf0, 0xff, 0xff, 0x7f, 0, 0, 0, 0 };
	uint32_t i, ifn = 100000;

	memset(&c, 0, sizeof c);
	put(&c, shb, sizeof shb);
	for (i = 0; i < ifn; i++)
		put(&c, idb, sizeof idb);
	for (i = 0; i < 1000; i++) {
		uint32_t iface = i * 97 % ifn;
		memcpy(epb + 8, &iface, 4);
		memset(epb + 12, 0, 8);
		epb[20] = 0; epb[24] = 0;	/* caplen 0, len 0 */
		epb[32] = 36;
		put(&c, epb, sizeof epb);
	}
	put(&c, liar, sizeof liar);
	o.memory_cap = CAP;
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	ck_assert_int_eq(dt_analyze_mem(a, "liar.pcapng", c.b, c.n), 0);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &res), 0);
	/* packets on the interfaces past the cap are skipped, and said so;
	   the lying block ends reading with an error naming its offset */
	ck_assert(dt_capture_packets(res) > 0 && dt_capture_packets(res) < 1000);
	ck_assert_uint_eq(dt_capture_error_count(res), 2);
	{
		uint64_t off;
		const char *msg;

		ck_assert_int_eq(dt_capture_error_at(res, 0, &off, &msg), 0);
		ck_assert_ptr_nonnull(strstr(msg, "the others and their packets are skipped"));
		ck_assert_int_eq(dt_capture_error_at(res, 1, &off, &msg), 0);
		ck_assert_uint_eq(off, c.n - sizeof liar);
	}
	ck_assert(a->mem.peak <= CAP);
	same_read_ahead(o, &c);
	free(c.b);
	dt_analyzer_free(a);
}
END_TEST

/*
 * A day of short connections, one after another (issue 15: "nothing
 * dropped in silence"): each ends with FIN both ways, so only the few open
 * at once cost live state; the facts of every one are kept. With a cap
 * too small for the facts, the connections past it are counted once each,
 * not once per packet.
 */
static void
short_conns(struct cap *c, uint32_t n)
{
	uint32_t i;

	cap_init(c);
	for (i = 0; i < n; i++) {
		uint32_t cli = 0xc6120000 + (i >> 8);
		uint16_t sp = (uint16_t)(1024 + (i & 0xff));

		tcp_pkt(c, cli, sp, 1, 0x02, 1000, NULL, 0);		/* SYN */
		tcp_pkt(c, cli, sp, 0, 0x12, 5000, NULL, 0);		/* SYN-ACK */
		tcp_pkt(c, cli, sp, 1, 0x10, 1001, NULL, 0);		/* ACK */
		tcp_pkt(c, cli, sp, 1, 0x11, 1001, NULL, 0);		/* FIN */
		tcp_pkt(c, cli, sp, 0, 0x11, 5001, NULL, 0);		/* FIN */
		tcp_pkt(c, cli, sp, 1, 0x10, 1002, NULL, 0);		/* ACK */
	}
}

/* Nothing dropped when the cap holds every connection's facts (about
   1.7 KB each today: 200,000 of them need ~340 MB, more than the default
   256 MiB allows facts, which is half the cap); the live state of the few
   open at once is freed at each end. */
START_TEST(test_short_connections_none_dropped)
{
	struct cap c;
	dt_analyzer *a;
	dt_options o = DT_OPTIONS_INIT;
	const dt_capture *res;
	uint32_t n = 200000;

	short_conns(&c, n);
	o.memory_cap = (size_t)1 << 30;
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	ck_assert_int_eq(dt_analyze_mem(a, "short", c.b, c.n), 0);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &res), 0);
	ck_assert_uint_eq(dt_capture_packets(res), 6 * n);
	ck_assert_uint_eq(res->dropped_conns, 0);
	ck_assert_uint_eq(dt_capture_conn_count(res), n);
	free(c.b);
	dt_analyzer_free(a);
}
END_TEST

/* Past the cap, each connection kept out is counted once (it was once per
   packet: 6 times each here), and what is kept plus what is counted is
   every connection of the capture. */
START_TEST(test_short_connections_counted)
{
	struct cap c;
	dt_analyzer *a;
	const dt_capture *res;
	uint32_t n = 200000;

	short_conns(&c, n);
	res = analyse(&a, &c);
	ck_assert_uint_eq(dt_capture_packets(res), 6 * n);
	ck_assert_uint_gt(res->dropped_conns, 0);
	ck_assert_uint_eq(dt_capture_conn_count(res) + res->dropped_conns, n);
	/* ended connections gave their live state back: the facts had half
	   the cap, about 1.7 KB each */
	ck_assert_uint_gt(dt_capture_conn_count(res), (CAP / 2) / 2048);
	dt_analyzer_free(a);
}
END_TEST

/* What a short connection without TLS keeps to the end of the capture
   (issue 15): its struct dt_conn, its timeline and its Wireshark filter,
   not TLS facts nor pktmon text it never had (1,672 bytes of struct alone
   before). Measured as the growth of the library's accounted memory
   between n and 2n connections, judged and finished. */
static size_t
kept_after(uint32_t n)
{
	struct cap c;
	dt_analyzer *a;
	dt_options o = DT_OPTIONS_INIT;
	const dt_capture *res;
	size_t used;

	short_conns(&c, n);
	o.memory_cap = (size_t)1 << 30;
	ck_assert_int_eq(dt_analyzer_new(&a, &o), 0);
	ck_assert_int_eq(dt_analyze_mem(a, "short", c.b, c.n), 0);
	ck_assert_int_eq(dt_analyzer_capture_at(a, 0, &res), 0);
	ck_assert_uint_eq(dt_capture_conn_count(res), n);
	ck_assert_uint_eq(res->dropped_conns, 0);
	used = a->mem.used;
	free(c.b);
	dt_analyzer_free(a);
	return used;
}

START_TEST(test_short_connections_kept_state)
{
	size_t one = kept_after(10000), two = kept_after(20000);
	size_t per = (two - one) / 10000;

	ck_assert_uint_le(per, 544);	/* 521 today (600 before the
					   endpoint texts, the filter and
					   the timeline went to kept memory;
					   720 before issue 15's reason
					   interning and verdict blocks) */
}
END_TEST

static Suite *
hostile_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("hostile");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_half_open_flood);
	tcase_add_test(tc, test_huge_handshake_claim);
	tcase_add_test(tc, test_one_byte_segments);
	tcase_add_test(tc, test_overlapping_retransmissions);
	tcase_add_test(tc, test_pcapng_many_interfaces_and_lies);
	tcase_add_test(tc, test_short_connections_none_dropped);
	tcase_add_test(tc, test_short_connections_counted);
	tcase_add_test(tc, test_short_connections_kept_state);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(hostile_suite)
