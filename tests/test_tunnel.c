/*
 * tunnel/: the IP-HTTPS body as IPv6 packets. Hand-built inner packets
 * (the real ones come from the lab captures in testdata/scenarios/):
 * framing split at every byte, a framing error's offset and frame, router
 * discovery, IKEv2 and IKEv1 with error NOTIFYs, retransmissions and
 * unanswered requests, ESP per SPI, DNS, the export callback, and memory
 * given back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tunnel/tunnel.h"
#include "testutil.h"

static const uint8_t CL[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0x0c };
static const uint8_t SV[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0x01 };

static void
w16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
w32(uint8_t *p, uint32_t v)
{
	w16(p, v >> 16);
	w16(p + 2, v & 0xffff);
}

/* An IPv6 packet: header, then body (next header nh). */
static size_t
ip6(uint8_t *out, int c2s, uint8_t nh, const uint8_t *body, size_t n)
{
	memset(out, 0, 40);
	out[0] = 0x60;
	w16(out + 4, (unsigned)n);
	out[6] = nh;
	out[7] = 64;
	memcpy(out + 8, c2s ? CL : SV, 16);
	memcpy(out + 24, c2s ? SV : CL, 16);
	memcpy(out + 40, body, n);
	return 40 + n;
}

static size_t
udp6(uint8_t *out, int c2s, unsigned sport, unsigned dport,
    const uint8_t *body, size_t n)
{
	uint8_t u[2048];

	w16(u, sport);
	w16(u + 2, dport);
	w16(u + 4, (unsigned)(8 + n));
	w16(u + 6, 0);
	memcpy(u + 8, body, n);
	return ip6(out, c2s, 17, u, 8 + n);
}

/* An ISAKMP/IKE header; one NOTIFY payload when notify != 0. */
static size_t
ike(uint8_t *out, int v2, uint8_t xchg, uint8_t flags, uint32_t msgid,
    uint64_t ispi, uint64_t rspi, uint16_t notify)
{
	size_t n = 28;

	memset(out, 0, 64);
	w32(out, (uint32_t)(ispi >> 32));
	w32(out + 4, (uint32_t)ispi);
	w32(out + 8, (uint32_t)(rspi >> 32));
	w32(out + 12, (uint32_t)rspi);
	out[16] = notify ? (v2 ? 41 : 11) : 0;
	out[17] = v2 ? 0x20 : 0x10;
	out[18] = xchg;
	out[19] = flags;
	w32(out + 20, msgid);
	if (notify) {
		uint8_t *p = out + 28;
		size_t plen = v2 ? 8 : 12;

		p[0] = 0;
		w16(p + 2, (unsigned)plen);
		if (v2) {
			w16(p + 6, notify);
		} else {
			w32(p + 4, 1);		/* DOI IPsec */
			p[8] = 1;		/* ISAKMP */
			w16(p + 10, notify);
		}
		n += plen;
	}
	w32(out + 24, (uint32_t)n);
	return n;
}

struct run {
	struct dt_mem m;
	struct dt_tunnel_ctx *x;
	struct dt_tunnel *t;
	struct dt_conn c;
	unsigned exported;
	uint64_t export_frame;
};

static void
on_packet(void *payload, const struct dt_conn *c, int dir, uint64_t frame,
    int64_t time, const uint8_t *p, size_t n)
{
	struct run *r = payload;

	(void)c, (void)dir, (void)time, (void)p, (void)n;
	r->exported++;
	r->export_frame = frame;
}

static void
run_open(struct run *r, int export)
{
	memset(r, 0, sizeof *r);
	r->c.tls = (struct dt_tls_facts *)&dt_tls_none;
	dt_mem_init(&r->m, NULL, NULL, 0);
	ck_assert_int_eq(dt_tunnel_ctx_new(&r->x, &r->m,
	    export ? on_packet : NULL, r), 0);
	r->t = dt_tunnel_new(r->x, &r->c);
	ck_assert_ptr_nonnull(r->t);
	ck_assert_ptr_nonnull(r->c.tunnel);
}

static void
run_end(struct run *r)
{
	dt_tunnel_end(r->t, &r->c);
}

static void
run_close(struct run *r)
{
	dt_tunnel_facts_free(&r->m, r->c.tunnel);
	dt_tunnel_ctx_free(r->x);
	ck_assert_uint_eq(r->m.used, 0);
}

/* Three packets split at every position into two chunks: the same
   facts, and the frame is the chunk that completed each packet. */
START_TEST(test_split_every_byte)
{
	static const uint8_t rs[8] = { 133, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t s[3000], big[2500];
	size_t n = 0, cut;

	memset(big, 0xab, sizeof big);
	n += ip6(s + n, 1, 58, rs, sizeof rs);
	n += ip6(s + n, 1, 59, big, sizeof big);	/* > DT_TUN_HEAD */
	n += ip6(s + n, 1, 58, rs, sizeof rs);
	for (cut = 0; cut <= n; cut++) {
		struct run r;

		run_open(&r, _i);
		dt_tunnel_data(r.t, &r.c, DT_C2S, s, cut, 10, 100);
		dt_tunnel_data(r.t, &r.c, DT_C2S, s + cut, n - cut, 11, 200);
		run_end(&r);
		ck_assert_uint_eq(r.c.tunnel->dir[0].packets, 3);
		ck_assert_uint_eq(r.c.tunnel->dir[0].bytes, n);
		ck_assert_uint_eq(r.c.tunnel->dir[0].error_frame, 0);
		ck_assert_uint_eq(r.c.tunnel->rs, 2);
		ck_assert_uint_eq(r.c.tunnel->rs_frame, cut >= 48 ? 10 : 11);
		ck_assert_uint_eq(r.c.tunnel->dir[0].last_frame, cut == n ? 10 : 11);
		if (_i)
			ck_assert_uint_eq(r.exported, 3);
		run_close(&r);
	}
}
END_TEST

/* A packet longer than DT_TUN_HEAD is skipped past its head, byte by
   byte, and the one after it is still found. */
START_TEST(test_long_packet_bytewise)
{
	static const uint8_t ra[16] = { 134, 0, 0, 0, 64, 0, 0x07, 0x08 };
	uint8_t s[8000], big[6000];
	size_t n = 0, i;
	struct run r;

	memset(big, 0x5a, sizeof big);
	n += ip6(s + n, 0, 59, big, sizeof big);
	n += ip6(s + n, 0, 58, ra, sizeof ra);
	run_open(&r, 0);
	for (i = 0; i < n; i++)
		dt_tunnel_data(r.t, &r.c, DT_S2C, s + i, 1, i + 1, 0);
	ck_assert_uint_le(dt_tunnel_buffered(r.t), 2 * DT_TUN_HEAD);
	run_end(&r);
	ck_assert_uint_eq(r.c.tunnel->dir[1].packets, 2);
	ck_assert_uint_eq(r.c.tunnel->ra, 1);
	ck_assert_uint_eq(r.c.tunnel->ra_frame, n);
	ck_assert_uint_eq(r.c.tunnel->router_lifetime, 0x0708);
	run_close(&r);
}
END_TEST

START_TEST(test_framing_error)
{
	static const uint8_t rs[8] = { 133 };
	uint8_t s[200];
	size_t n;
	struct run r;

	n = ip6(s, 1, 58, rs, sizeof rs);
	memcpy(s + n, "HTTP/1.1 400 Bad", 16);
	run_open(&r, 0);
	ck_assert_int_eq(dt_tunnel_data(r.t, &r.c, DT_C2S, s, n, 6, 0), 1);
	ck_assert_int_eq(dt_tunnel_data(r.t, &r.c, DT_C2S, s + n, 16, 7, 0),
	    0);
	ck_assert_int_eq(dt_tunnel_data(r.t, &r.c, DT_C2S, s, n, 8, 0), 0);
	run_end(&r);
	ck_assert_uint_eq(r.c.tunnel->dir[0].packets, 1);
	ck_assert_uint_eq(r.c.tunnel->dir[0].error_frame, 7);
	ck_assert_uint_eq(r.c.tunnel->dir[0].error_offset, 48);
	ck_assert_uint_eq(r.c.tunnel->dir[0].last_frame, 6);
	ck_assert_str_eq(r.c.tunnel->dir[0].error,
	    "byte 0x48 at body offset 48 is not an IPv6 header (version 4)");
	run_close(&r);
}
END_TEST

START_TEST(test_router_advertisement)
{
	uint8_t ra[64], s[200];
	struct run r;
	size_t n;

	memset(ra, 0, sizeof ra);
	ra[0] = 134;
	w16(ra + 6, 1800);
	ra[16] = 3;			/* prefix information */
	ra[17] = 4;
	ra[18] = 64;
	ra[19] = 0xc0;
	w32(ra + 20, 86400);
	w32(ra + 24, 14400);
	memcpy(ra + 32, SV, 8);
	n = ip6(s, 0, 58, ra, 48);
	run_open(&r, 0);
	dt_tunnel_data(r.t, &r.c, DT_S2C, s, n, 5, 0);
	run_end(&r);
	ck_assert_uint_eq(r.c.tunnel->ra, 1);
	ck_assert_uint_eq(r.c.tunnel->router_lifetime, 1800);
	ck_assert_uint_eq(r.c.tunnel->n_prefixes, 1);
	ck_assert_uint_eq(r.c.tunnel->prefixes[0].len, 64);
	ck_assert_uint_eq(r.c.tunnel->prefixes[0].valid, 86400);
	ck_assert_mem_eq(r.c.tunnel->prefixes[0].prefix, SV, 8);
	run_close(&r);
}
END_TEST

/* IKEv2: SA_INIT sent twice (a retransmission), answered with
   NO_PROPOSAL_CHOSEN; a second peer's request never answered. */
START_TEST(test_ikev2)
{
	uint8_t m[128], s[256];
	size_t k, n;
	struct run r;
	const struct dt_tun_ike *e;

	run_open(&r, 0);
	k = ike(m, 1, 34, 0x08, 0, 0x1111, 0, 0);
	n = udp6(s, 1, 500, 500, m, k);
	dt_tunnel_data(r.t, &r.c, DT_C2S, s, n, 20, 0);
	dt_tunnel_data(r.t, &r.c, DT_C2S, s, n, 21, 0);
	k = ike(m, 1, 34, 0x20, 0, 0x1111, 0, 14);
	n = udp6(s, 0, 500, 500, m, k);
	dt_tunnel_data(r.t, &r.c, DT_S2C, s, n, 22, 0);
	run_end(&r);
	ck_assert_uint_eq(r.c.tunnel->n_ike, 1);
	e = &r.c.tunnel->ike[0];
	ck_assert_uint_eq(e->version, 2);
	ck_assert_uint_eq(e->requests, 1);
	ck_assert_uint_eq(e->retransmissions, 1);
	ck_assert_uint_eq(e->responses, 1);
	ck_assert_uint_eq(e->unanswered, 0);
	ck_assert_uint_eq(e->notify, 14);
	ck_assert_uint_eq(e->notify_frame, 22);
	ck_assert_uint_eq(e->notify_dir, DT_S2C);
	ck_assert_uint_eq(e->ispi, 0x1111);
	ck_assert_str_eq(dt_tun_ike_notify_name(2, e->notify),
	    "NO_PROPOSAL_CHOSEN");
	ck_assert_str_eq(dt_tun_ike_exchange_name(2, e->xchg[0]),
	    "IKE_SA_INIT");
	ck_assert(!e->established);
	run_close(&r);
}
END_TEST

START_TEST(test_ikev1_unanswered_then_esp)
{
	uint8_t m[128], s[256], esp[40];
	size_t k, n, i;
	struct run r;
	const struct dt_tunnel_facts *f;

	run_open(&r, 0);
	k = ike(m, 0, 2, 0, 0, 0x2222, 0, 0);
	n = udp6(s, 1, 500, 500, m, k);
	for (i = 0; i < 3; i++)
		dt_tunnel_data(r.t, &r.c, DT_C2S, s, n, 30 + i, 0);
	memset(esp, 0, sizeof esp);
	w32(esp, 0xc0ffee01);
	n = ip6(s, 1, 50, esp, sizeof esp);
	dt_tunnel_data(r.t, &r.c, DT_C2S, s, n, 40, 0);
	dt_tunnel_data(r.t, &r.c, DT_C2S, s, n, 41, 0);
	run_end(&r);
	f = r.c.tunnel;
	ck_assert_uint_eq(f->ike[0].version, 1);
	ck_assert_uint_eq(f->ike[0].requests, 1);
	ck_assert_uint_eq(f->ike[0].retransmissions, 2);
	ck_assert_uint_eq(f->ike[0].responses, 0);
	ck_assert_uint_eq(f->ike[0].unanswered, 1);
	ck_assert_uint_eq(f->ike[0].unanswered_frame, 30);
	ck_assert_uint_eq(f->n_esp, 1);
	ck_assert_uint_eq(f->esp[0].spi, 0xc0ffee01);
	ck_assert_uint_eq(f->esp[0].packets, 2);
	ck_assert_uint_eq(f->esp_packets[0], 2);
	ck_assert_uint_eq(f->esp_packets[1], 0);
	ck_assert_uint_eq(f->esp_first_frame[0], 40);
	run_close(&r);
}
END_TEST

/* AuthIP (MS-AIPS 2.2): the ISAKMP header with exchange types 243-246;
   its quick mode answered is an established SA. A NAT-T keepalive
   (RFC 3948 2.3, one 0xFF byte on UDP 4500) is nothing. */
START_TEST(test_authip)
{
	static const uint8_t keepalive[1] = { 0xff };
	uint8_t m[128], s[256];
	size_t k, n;
	struct run r;
	const struct dt_tun_ike *e;

	run_open(&r, 0);
	k = ike(m, 0, 243, 0, 0, 0x5555, 0, 0);
	n = udp6(s, 1, 500, 500, m, k);
	dt_tunnel_data(r.t, &r.c, DT_C2S, s, n, 60, 0);
	k = ike(m, 0, 243, 0, 0, 0x5555, 0x6666, 0);
	n = udp6(s, 0, 500, 500, m, k);
	dt_tunnel_data(r.t, &r.c, DT_S2C, s, n, 61, 0);
	k = ike(m, 0, 244, 1, 7, 0x5555, 0x6666, 0);
	{
		uint8_t nat[160];

		memset(nat, 0, 4);
		memcpy(nat + 4, m, k);
		n = udp6(s, 1, 4500, 4500, nat, k + 4);
		dt_tunnel_data(r.t, &r.c, DT_C2S, s, n, 62, 0);
		n = udp6(s, 0, 4500, 4500, nat, k + 4);
		dt_tunnel_data(r.t, &r.c, DT_S2C, s, n, 63, 0);
	}
	n = udp6(s, 1, 4500, 4500, keepalive, 1);
	dt_tunnel_data(r.t, &r.c, DT_C2S, s, n, 64, 0);
	run_end(&r);
	ck_assert_uint_eq(r.c.tunnel->n_ike, 1);
	e = &r.c.tunnel->ike[0];
	ck_assert(e->authip);
	ck_assert(e->established);
	ck_assert_uint_eq(e->rspi, 0x6666);
	ck_assert_uint_eq(e->requests, 2);
	ck_assert_uint_eq(e->responses, 2);
	ck_assert_uint_eq(e->first_response_frame, 61);
	ck_assert_uint_eq(e->n_xchg, 2);
	ck_assert_str_eq(dt_tun_ike_exchange_name(1, e->xchg[1]),
	    "AuthIP Quick Mode");
	ck_assert_uint_eq(r.c.tunnel->n_esp, 0);	/* keepalive: no ESP */
	run_close(&r);
}
END_TEST

START_TEST(test_dns)
{
	static const uint8_t q[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0,
		0, 0, 2, 'd', 'c', 4, 'c', 'o', 'r', 'p', 0, 0, 28, 0, 1 };
	uint8_t a[sizeof q], s[200];
	size_t n;
	struct run r;

	run_open(&r, 0);
	n = udp6(s, 1, 40000, 53, q, sizeof q);
	dt_tunnel_data(r.t, &r.c, DT_C2S, s, n, 50, 0);
	memcpy(a, q, sizeof q);
	a[2] = 0x81;
	a[3] = 0x83;			/* NXDOMAIN */
	n = udp6(s, 0, 53, 40000, a, sizeof a);
	dt_tunnel_data(r.t, &r.c, DT_S2C, s, n, 51, 0);
	n = udp6(s, 1, 40001, 53, q, sizeof q);	/* id 0x1234 again */
	dt_tunnel_data(r.t, &r.c, DT_C2S, s, n, 52, 0);
	run_end(&r);
	ck_assert_uint_eq(r.c.tunnel->dns_queries, 2);
	ck_assert_uint_eq(r.c.tunnel->dns_answers, 1);
	ck_assert_uint_eq(r.c.tunnel->dns_rcodes[3], 1);
	ck_assert_uint_eq(r.c.tunnel->dns_error_frame, 51);
	ck_assert_uint_eq(r.c.tunnel->dns_unanswered, 1);
	ck_assert_uint_eq(r.c.tunnel->dns_unanswered_frame, 52);
	ck_assert_str_eq(r.c.tunnel->dns_first_name, "dc.corp");
	run_close(&r);
}
END_TEST

/* Allocation failure at every step: no crash, nothing left. */
START_TEST(test_alloc_failure)
{
	uint8_t s[3000], big[2500];
	size_t n;
	size_t cap;

	memset(big, 1, sizeof big);
	n = ip6(s, 1, 59, big, sizeof big);
	for (cap = 0; cap < 4096; cap += 64) {
		struct dt_mem m;
		struct dt_tunnel_ctx *x;
		struct dt_tunnel *t;
		struct dt_conn c;

		memset(&c, 0, sizeof c);
		c.tls = (struct dt_tls_facts *)&dt_tls_none;
		dt_mem_init(&m, NULL, NULL, cap + 8192);
		if (dt_tunnel_ctx_new(&x, &m, on_packet, NULL) != 0)
			continue;
		m.cap = m.used + cap;
		t = dt_tunnel_new(x, &c);
		if (t != NULL) {
			dt_tunnel_data(t, &c, DT_C2S, s, 100, 1, 0);
			dt_tunnel_data(t, &c, DT_C2S, s + 100, n - 100, 2, 0);
			dt_tunnel_end(t, &c);
		}
		dt_tunnel_facts_free(&m, c.tunnel);
		dt_tunnel_ctx_free(x);
		ck_assert_uint_eq(m.used, 0);
	}
}
END_TEST

static Suite *
tunnel_suite(void)
{
	Suite *s = suite_create("tunnel");
	TCase *tc = tcase_create("tunnel");

	tcase_add_loop_test(tc, test_split_every_byte, 0, 2);
	tcase_add_test(tc, test_long_packet_bytewise);
	tcase_add_test(tc, test_framing_error);
	tcase_add_test(tc, test_router_advertisement);
	tcase_add_test(tc, test_ikev2);
	tcase_add_test(tc, test_ikev1_unanswered_then_esp);
	tcase_add_test(tc, test_authip);
	tcase_add_test(tc, test_dns);
	tcase_add_test(tc, test_alloc_failure);
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(tunnel_suite)
