/*
 * net/: link layers, IPv4/IPv6 (with reassembly), TCP/UDP. Hand-built
 * packets for every link type, header variants and malformed ones,
 * truncation at every byte, fragments in every order, the caps, and every
 * packet of the shared corpus pcaps (read with libpcap).
 */
#include <ftw.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "datrace.h"
#include "net/encap.h"
#include "net/net.h"
#include "testutil.h"

static const uint8_t SRC4[4] = { 10, 0, 0, 1 };
static const uint8_t DST4[4] = { 192, 0, 2, 7 };
static const uint8_t SRC6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t DST6[16] = { 0x20, 0x02, 0xc0, 0x00, 0x02, 0x07, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 2 };
static const char HELLO[] = "hello";	/* 5 bytes of TCP payload */

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

/* TCP 49152 -> 443, seq 0x11223344, ack 0x55667788, PSH|ACK, win 0x2000. */
static size_t
build_tcp(uint8_t *b, const uint8_t *opt, size_t optlen, const void *pay,
    size_t paylen)
{
	size_t h = 20 + optlen;

	memset(b, 0, 20);
	w16(b, 49152);
	w16(b + 2, 443);
	w32(b + 4, 0x11223344);
	w32(b + 8, 0x55667788);
	b[12] = (uint8_t)((h / 4) << 4);
	b[13] = DT_TCP_PSH | DT_TCP_ACK;
	w16(b + 14, 0x2000);
	if (optlen)
		memcpy(b + 20, opt, optlen);
	if (paylen)
		memcpy(b + h, pay, paylen);
	return h + paylen;
}

/* UDP 53000 -> 53. */
static size_t
build_udp(uint8_t *b, const void *pay, size_t paylen)
{
	w16(b, 53000);
	w16(b + 2, 53);
	w16(b + 4, (unsigned)(8 + paylen));
	w16(b + 6, 0);
	if (paylen)
		memcpy(b + 8, pay, paylen);
	return 8 + paylen;
}

static size_t
build_ip4(uint8_t *b, uint8_t proto, const uint8_t *opt, size_t optlen,
    const uint8_t *l4, size_t l4len, uint16_t id, uint16_t fragw)
{
	size_t h = 20 + optlen;

	memset(b, 0, 20);
	b[0] = (uint8_t)(0x40 | h / 4);
	w16(b + 2, (unsigned)(h + l4len));
	w16(b + 4, id);
	w16(b + 6, fragw);
	b[8] = 64;
	b[9] = proto;
	memcpy(b + 12, SRC4, 4);
	memcpy(b + 16, DST4, 4);
	if (optlen)
		memcpy(b + 20, opt, optlen);
	memcpy(b + h, l4, l4len);
	return h + l4len;
}

static size_t
build_ip6(uint8_t *b, uint8_t nh, const uint8_t *ext, size_t extlen,
    const uint8_t *l4, size_t l4len)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	w16(b + 4, (unsigned)(extlen + l4len));
	b[6] = nh;
	b[7] = 57;
	memcpy(b + 8, SRC6, 16);
	memcpy(b + 24, DST6, 16);
	if (extlen)
		memcpy(b + 40, ext, extlen);
	memcpy(b + 40 + extlen, l4, l4len);
	return 40 + extlen + l4len;
}

static struct dt_mem mem;

static struct dt_net *
net_new(size_t cap)
{
	struct dt_net *n;

	dt_mem_init(&mem, NULL, NULL, 0);
	ck_assert_int_eq(dt_net_new(&n, &mem, cap), 0);
	return n;
}

static void
net_free(struct dt_net *n)
{
	dt_net_free(n);
	ck_assert_uint_eq(mem.used, 0);		/* nothing leaked */
}

static struct dt_l4
decode_at(struct dt_net *n, int lt, const uint8_t *p, size_t len,
    int64_t time)
{
	struct dt_packet pkt;
	struct dt_l4 l4;

	memset(&pkt, 0, sizeof pkt);
	pkt.linktype = lt;
	pkt.data = p;
	pkt.caplen = pkt.origlen = (uint32_t)len;
	pkt.time = time;
	dt_net_decode(n, &pkt, &l4);
	return l4;
}

static struct dt_l4
decode(struct dt_net *n, int lt, const uint8_t *p, size_t len)
{
	return decode_at(n, lt, p, len, 0);
}

/* A record the snapshot length cut: len bytes kept of origlen. */
static struct dt_l4
decode_cut(struct dt_net *n, int lt, const uint8_t *p, size_t len,
    size_t origlen)
{
	struct dt_packet pkt;
	struct dt_l4 l4;

	memset(&pkt, 0, sizeof pkt);
	pkt.linktype = lt;
	pkt.data = p;
	pkt.caplen = (uint32_t)len;
	pkt.origlen = (uint32_t)origlen;
	dt_net_decode(n, &pkt, &l4);
	return l4;
}

/* The standard TCP segment built by build_tcp() carrying HELLO. */
static void
check_hello(const struct dt_l4 *l4, int v6)
{
	ck_assert_int_eq(l4->status, DT_L4_TCP);
	ck_assert_ptr_null(l4->reason);
	ck_assert_int_eq(l4->proto, 6);
	ck_assert_int_eq(l4->src.family, v6 ? 6 : 4);
	ck_assert_int_eq(l4->dst.family, v6 ? 6 : 4);
	ck_assert_mem_eq(l4->src.a, v6 ? SRC6 : SRC4, v6 ? 16 : 4);
	ck_assert_mem_eq(l4->dst.a, v6 ? DST6 : DST4, v6 ? 16 : 4);
	ck_assert_int_eq(l4->ttl, v6 ? 57 : 64);
	ck_assert_uint_eq(l4->sport, 49152);
	ck_assert_uint_eq(l4->dport, 443);
	ck_assert_uint_eq(l4->seq, 0x11223344);
	ck_assert_uint_eq(l4->ack, 0x55667788);
	ck_assert_uint_eq(l4->flags, DT_TCP_PSH | DT_TCP_ACK);
	ck_assert_uint_eq(l4->window, 0x2000);
	ck_assert_uint_eq(l4->caplen, 5);
	ck_assert_uint_eq(l4->paylen, 5);
	ck_assert_mem_eq(l4->payload, HELLO, 5);
	ck_assert_int_eq(l4->fragmented, 0);
}

/* ---- every link type ---------------------------------------------------- */

#define MAC12 0, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2
#define MAC6 0x02, 0, 0, 0, 0, 3
#define MAC18 MAC12, MAC6
#define SNAP_IP4 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00

static const struct link_case {
	const char *name;
	int linktype;
	uint8_t pre[48];
	size_t prelen;
	int v6;
	int len_at;		/* a 16-bit length of what follows it, or -1 */
	int fcs;		/* 4 trailing bytes after the IP datagram */
} link_cases[] = {
	{ "ethernet", 1, { MAC12, 0x08, 0x00 }, 14, 0, -1, 0 },
	{ "ethernet+fcs", 1, { MAC12, 0x08, 0x00 }, 14, 0, -1, 1 },
	{ "ethernet v6", 1, { MAC12, 0x86, 0xdd }, 14, 1, -1, 0 },
	{ "vlan", 1, { MAC12, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00 }, 18, 0,
	    -1, 0 },
	{ "qinq 88a8", 1, { MAC12, 0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00,
	    0xc8, 0x86, 0xdd }, 22, 1, -1, 1 },
	{ "qinq 9100x3", 1, { MAC12, 0x91, 0x00, 0x00, 0x01, 0x91, 0x00, 0x00,
	    0x02, 0x81, 0x00, 0x00, 0x03, 0x08, 0x00 }, 26, 0, -1, 0 },
	{ "pppoe", 1, { MAC12, 0x88, 0x64, 0x11, 0x00, 0x0f, 0x07, 0x00, 0x00,
	    0x00, 0x21 }, 22, 0, 18, 0 },
	{ "pppoe v6+fcs", 1, { MAC12, 0x88, 0x64, 0x11, 0x00, 0x0f, 0x07,
	    0x00, 0x00, 0x00, 0x57 }, 22, 1, 18, 1 },
	{ "pppoe over qinq", 1, { MAC12, 0x81, 0x00, 0x0e, 0x78, 0x81, 0x00,
	    0x09, 0xaa, 0x88, 0x64, 0x11, 0x00, 0x0f, 0x07, 0x00, 0x00, 0x00,
	    0x21 }, 30, 0, 26, 0 },
	{ "802.3 snap", 1, { MAC12, 0x00, 0x00, 0xaa, 0xaa, 0x03, 0, 0, 0,
	    0x08, 0x00 }, 22, 0, 12, 1 },
	{ "mpls", 1, { MAC12, 0x88, 0x47, 0x00, 0x01, 0x00, 0x40, 0x00, 0x02,
	    0x01, 0x40 }, 22, 0, -1, 0 },
	{ "sll", 113, { 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x02, 0, 0, 0,
	    0, 1, 0, 0, 0x08, 0x00 }, 16, 0, -1, 0 },
	{ "sll v6", 113, { 0x00, 0x04, 0x00, 0x01, 0x00, 0x06, 0x02, 0, 0, 0,
	    0, 1, 0, 0, 0x86, 0xdd }, 16, 1, -1, 0 },
	{ "sll vlan", 113, { 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x02, 0, 0,
	    0, 0, 1, 0, 0, 0x81, 0x00, 0x00, 0x05, 0x08, 0x00 }, 20, 0, -1, 0 },
	{ "sll2", 276, { 0x08, 0x00, 0x00, 0x00, 0, 0, 0, 2, 0x00, 0x01, 0x00,
	    0x06, 0x02, 0, 0, 0, 0, 1, 0, 0 }, 20, 0, -1, 0 },
	{ "sll2 v6", 276, { 0x86, 0xdd, 0x00, 0x00, 0, 0, 0, 2, 0x00, 0x01,
	    0x04, 0x06, 0x02, 0, 0, 0, 0, 1, 0, 0 }, 20, 1, -1, 0 },
	{ "raw 101 v4", 101, { 0 }, 0, 0, -1, 0 },
	{ "raw 101 v6", 101, { 0 }, 0, 1, -1, 0 },
	{ "raw 12", 12, { 0 }, 0, 0, -1, 0 },
	{ "raw 14 v6", 14, { 0 }, 0, 1, -1, 0 },
	{ "ipv4 228", 228, { 0 }, 0, 0, -1, 0 },
	{ "ipv6 229", 229, { 0 }, 0, 1, -1, 0 },
	{ "null le", 0, { 2, 0, 0, 0 }, 4, 0, -1, 0 },
	{ "null be", 0, { 0, 0, 0, 2 }, 4, 0, -1, 0 },
	{ "null le v6 darwin", 0, { 30, 0, 0, 0 }, 4, 1, -1, 0 },
	{ "null be v6 freebsd", 0, { 0, 0, 0, 28 }, 4, 1, -1, 0 },
	{ "null le v6 bsd", 0, { 24, 0, 0, 0 }, 4, 1, -1, 0 },
	{ "null le v6 windows", 0, { 23, 0, 0, 0 }, 4, 1, -1, 0 },
	{ "null ethertype", 0, { 0x0f, 0, 0x08, 0 }, 4, 0, -1, 0 },
	{ "loop", 108, { 0, 0, 0, 2 }, 4, 0, -1, 0 },
	{ "loop v6", 108, { 0, 0, 0, 24 }, 4, 1, -1, 0 },
	{ "ppp hdlc", 9, { 0xff, 0x03, 0x00, 0x21 }, 4, 0, -1, 0 },
	{ "ppp bare", 9, { 0x00, 0x21 }, 2, 0, -1, 0 },
	{ "ppp pfc", 9, { 0x21 }, 1, 0, -1, 0 },
	{ "ppp v6", 9, { 0xff, 0x03, 0x00, 0x57 }, 4, 1, -1, 0 },
	{ "ppp_hdlc", 50, { 0xff, 0x03, 0x00, 0x21 }, 4, 0, -1, 0 },
	{ "ppp_hdlc cisco", 50, { 0x0f, 0x00, 0x08, 0x00 }, 4, 0, -1, 0 },
	{ "ppp_ether", 51, { 0x11, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x21 },
	    8, 0, 4, 0 },
	{ "c_hdlc", 104, { 0x8f, 0x00, 0x86, 0xdd }, 4, 1, -1, 0 },
	/* 802.11 data frames (netsh and pktmon on a Wi-Fi client), and the
	   radiotap and PPI headers that carry them in pcap */
	{ "802.11 data to-ds", 105, { 0x08, 0x01, 0, 0, MAC18, 0x10, 0,
	    SNAP_IP4 }, 32, 0, -1, 0 },
	{ "802.11 qos from-ds +fcs", 105, { 0x88, 0x02, 0, 0, MAC18, 0x10,
	    0, 0x05, 0x00, SNAP_IP4 }, 34, 0, -1, 1 },
	{ "802.11 qos 4addr +htc v6", 105, { 0x88, 0x83, 0, 0, MAC18, 0x10,
	    0, MAC6, 0x00, 0x00, 1, 2, 3, 4, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x86,
	    0xdd }, 44, 1, -1, 0 },
	/* Windows keeps the Protected bit on the frames its miniport has
	   decrypted (netsh, pktmon, etl2pcapng): the body is LLC/SNAP */
	{ "802.11 from-ds protected, decrypted", 105, { 0x08, 0x42, 0, 0,
	    MAC18, 0x10, 0, SNAP_IP4 }, 32, 0, -1, 0 },
	{ "802.11 qos to-ds protected, decrypted", 105, { 0x88, 0x41, 0, 0,
	    MAC18, 0x10, 0, 0x00, 0x00, SNAP_IP4 }, 34, 0, -1, 0 },
	{ "802.11 bridge-tunnel snap", 105, { 0x08, 0x02, 0, 0, MAC18, 0x10,
	    0, 0xaa, 0xaa, 0x03, 0, 0, 0xf8, 0x08, 0x00 }, 32, 0, -1, 0 },
	{ "radiotap", 127, { 0, 0, 9, 0, 2, 0, 0, 0, 0, 0x08, 0x01, 0, 0,
	    MAC18, 0x10, 0, SNAP_IP4 }, 41, 0, -1, 0 },
	{ "ppi 802.11", 192, { 0, 0, 8, 0, 105, 0, 0, 0, 0x08, 0x01, 0, 0,
	    MAC18, 0x10, 0, SNAP_IP4 }, 40, 0, -1, 0 },
	{ "ppi ethernet", 192, { 0, 0, 8, 0, 1, 0, 0, 0, MAC12, 0x86, 0xdd },
	    22, 1, -1, 0 },
};

/* 802.11 frames that carry no IP for us, or are broken: what each says. */
START_TEST(test_wifi_not_decoded)
{
	static const struct {
		const char *name;
		int linktype;
		uint8_t f[48];
		size_t len;
		int status;
		const char *reason;
	} cases[] = {
		{ "beacon", 105, { 0x80, 0, 0, 0, MAC18, 0, 0, 0, 0 }, 28,
		    DT_L4_NOT_IP, NULL },
		{ "qos null data", 105, { 0xc8, 0x01, 0, 0, MAC18, 0x10, 0,
		    0, 0 }, 26, DT_L4_NOT_IP, NULL },
		{ "protected", 105, { 0x88, 0x41, 0, 0, MAC18, 0x20, 0, 0, 0,
		    1, 0, 0, 0x20, 0, 0, 0, 0, 9, 9, 9, 9 }, 38,
		    DT_L4_PROTECTED_80211, "802.11 data frame protected "
		    "(encrypted on the air)" },
		/* a WEP IV of AA AA 03, then no OUI of LLC/SNAP: still
		   encrypted, as is a later fragment (no LLC in the clear) */
		{ "protected wep aa aa 03", 105, { 0x08, 0x41, 0, 0, MAC18,
		    0x10, 0, 0xaa, 0xaa, 0x03, 0x00, 0x5e, 0x21, 0x08, 0x00 },
		    32, DT_L4_PROTECTED_80211, NULL },
		{ "protected later fragment", 105, { 0x08, 0x41, 0, 0, MAC18,
		    0x11, 0, SNAP_IP4 }, 32, DT_L4_PROTECTED_80211, NULL },
		{ "protected body cut", 105, { 0x08, 0x41, 0, 0, MAC18, 0x10,
		    0, 0xaa, 0xaa, 0x03 }, 27, DT_L4_PROTECTED_80211, NULL },
		{ "later fragment", 105, { 0x08, 0x01, 0, 0, MAC18, 0x11, 0,
		    SNAP_IP4 }, 32, DT_L4_NOT_IP, NULL },
		{ "llc not snap", 105, { 0x08, 0x01, 0, 0, MAC18, 0x10, 0,
		    0x42, 0x42, 0x03, 0, 0, 0, 0, 0 }, 32, DT_L4_NOT_IP, NULL },
		{ "version 1", 105, { 0x09, 0x01, 0, 0, MAC18, 0x10, 0,
		    SNAP_IP4 }, 32, DT_L4_MALFORMED, "802.11 protocol version "
		    "is not 0" },
		{ "header cut", 105, { 0x88, 0x01, 0, 0, MAC18 }, 22,
		    DT_L4_TRUNCATED, "802.11 header cut by snaplen" },
		{ "snap cut", 105, { 0x08, 0x01, 0, 0, MAC18, 0x10, 0, 0xaa,
		    0xaa, 0x03 }, 27, DT_L4_TRUNCATED, "802.2 LLC/SNAP header "
		    "cut by snaplen" },
		{ "radiotap too long", 127, { 0, 0, 0xff, 0, 0, 0, 0, 0, 0 },
		    9, DT_L4_TRUNCATED, "radiotap header cut by snaplen" },
		{ "radiotap version", 127, { 1, 0, 8, 0, 0, 0, 0, 0, 0x08 }, 9,
		    DT_L4_MALFORMED, "radiotap version is not 0" },
		{ "radiotap len 4", 127, { 0, 0, 4, 0, 0, 0, 0, 0, 0x08 }, 9,
		    DT_L4_MALFORMED, "radiotap length is less than 8" },
		{ "ppi other dlt", 192, { 0, 0, 8, 0, 127, 0, 0, 0, 0 }, 9,
		    DT_L4_NOT_IP, NULL },
		{ "ppi cut", 192, { 0, 0, 8, 0 }, 4, DT_L4_TRUNCATED,
		    "PPI header cut by snaplen" },
	};
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		l4 = decode(n, cases[i].linktype, cases[i].f, cases[i].len);
		ck_assert_msg(l4.status == cases[i].status, "%s: status %d",
		    cases[i].name, l4.status);
		if (cases[i].reason != NULL)
			ck_assert_str_eq(l4.reason, cases[i].reason);
	}
	net_free(n);
}
END_TEST

/* Frame = link header + IP(TCP(HELLO)) [+ FCS]; returns its length. */
static size_t
build_frame(uint8_t *f, const struct link_case *c, const uint8_t *opt,
    size_t optlen)
{
	uint8_t seg[128], ip[256];
	size_t sl, il, n;

	sl = build_tcp(seg, opt, optlen, HELLO, 5);
	il = c->v6 ? build_ip6(ip, 6, NULL, 0, seg, sl) :
	    build_ip4(ip, 6, NULL, 0, seg, sl, 1, 0x4000);
	memcpy(f, c->pre, c->prelen);
	memcpy(f + c->prelen, ip, il);
	n = c->prelen + il;
	if (c->fcs) {
		memcpy(f + n, "\xde\xad\xbe\xef", 4);
		n += 4;
	}
	if (c->len_at >= 0)
		w16(f + c->len_at, (unsigned)(n - (size_t)c->len_at - 2 -
		    (c->fcs ? 4 : 0)));
	return n;
}

START_TEST(test_link_types)
{
	const struct link_case *c = &link_cases[_i];
	static const uint8_t mss[4] = { 2, 4, 0x05, 0xb4 };
	uint8_t f[512];
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;
	size_t len = build_frame(f, c, mss, 4);

	ck_assert_msg(dt_net_linktype_supported(c->linktype), "%s", c->name);
	l4 = decode(n, c->linktype, f, len);
	ck_assert_msg(l4.status == DT_L4_TCP, "%s: status %d (%s)", c->name,
	    l4.status, l4.reason ? l4.reason : "-");
	check_hello(&l4, c->v6);
	ck_assert_uint_eq(l4.mss, 1460);
	ck_assert_uint_eq(l4.wscale, 0xff);
	ck_assert_int_eq(l4.sack_ok, 0);
	/* The FCS is not payload, and the payload is where we put it. */
	ck_assert_ptr_eq(l4.payload, f + len - 5 - (c->fcs ? 4 : 0));
	net_free(n);
}
END_TEST

START_TEST(test_not_ip_and_unsupported)
{
	static const uint8_t arp[] = { MAC12, 0x08, 0x06, 0, 1, 8, 0, 6, 4 };
	static const uint8_t llc[] = { MAC12, 0x00, 0x06, 0x42, 0x42, 0x03,
		0, 0, 0 };
	static const uint8_t null_other[] = { 7, 0, 0, 0, 0x45 };
	static const uint8_t lcp[] = { 0xff, 0x03, 0xc0, 0x21, 1, 1 };
	static const uint8_t raw_v5[] = { 0x55, 0 };
	static const uint8_t deep[] = { MAC12, 0x81, 0, 0, 1, 0x81, 0, 0, 1,
		0x81, 0, 0, 1, 0x81, 0, 0, 1, 0x81, 0, 0, 1, 0x81, 0, 0, 1,
		0x81, 0, 0, 1, 0x81, 0, 0, 1, 0x81, 0, 0, 1, 0x08, 0x00 };
	static const uint8_t pppoe_disc[] = { MAC12, 0x88, 0x63, 0x11, 0x09,
		0, 0, 0, 0 };
	static const uint8_t pppoe_bad[] = { MAC12, 0x88, 0x64, 0x21, 0x00,
		0, 1, 0, 2, 0, 0x21 };
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;

	ck_assert_int_eq(decode(n, 1, arp, sizeof arp).status, DT_L4_NOT_IP);
	ck_assert_int_eq(decode(n, 1, llc, sizeof llc).status, DT_L4_NOT_IP);
	ck_assert_int_eq(decode(n, 1, pppoe_disc, sizeof pppoe_disc).status,
	    DT_L4_NOT_IP);
	ck_assert_int_eq(decode(n, 0, null_other, sizeof null_other).status,
	    DT_L4_NOT_IP);
	ck_assert_int_eq(decode(n, 9, lcp, sizeof lcp).status, DT_L4_NOT_IP);
	l4 = decode(n, 101, raw_v5, sizeof raw_v5);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);
	ck_assert_str_eq(l4.reason, "raw IP version is neither 4 nor 6");
	l4 = decode(n, 1, deep, sizeof deep);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);
	ck_assert_str_eq(l4.reason, "more than 8 VLAN tags");
	l4 = decode(n, 1, pppoe_bad, sizeof pppoe_bad);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);

	l4 = decode(n, 253, arp, sizeof arp);
	ck_assert_int_eq(l4.status, DT_L4_UNSUPPORTED_LINK);
	ck_assert_int_eq(decode(n, 147, arp, sizeof arp).status,
	    DT_L4_UNSUPPORTED_LINK);
	/* The link-type cache does not stick to the previous type. */
	ck_assert_int_eq(decode(n, 1, arp, sizeof arp).status, DT_L4_NOT_IP);
	ck_assert_int_eq(dt_net_linktype_supported(253), 0);
	ck_assert_int_eq(dt_net_linktype_supported(1), 1);
	ck_assert_int_eq(dt_net_linktype_supported(276), 1);
	net_free(n);
}
END_TEST

/* ---- IPv4 ---------------------------------------------------------------- */

START_TEST(test_ip4_options_and_lengths)
{
	static const uint8_t opt[8] = { 0x01, 0x07, 0x07, 0x04, 0, 0, 0, 0 };
	uint8_t seg[64], f[256];
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;
	size_t sl = build_tcp(seg, NULL, 0, HELLO, 5), len;

	/* NOP + record route: 28-byte header skipped. */
	len = build_ip4(f, 6, opt, 8, seg, sl, 7, 0);
	ck_assert_uint_eq(f[0], 0x47);
	l4 = decode(n, 101, f, len);
	check_hello(&l4, 0);

	/* Header length field 3. */
	f[0] = 0x43;
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);
	ck_assert_str_eq(l4.reason, "IPv4 header length 3 < 5");
	f[0] = 0x47;

	/* Options cut by the capture. */
	l4 = decode(n, 228, f, 24);
	ck_assert_int_eq(l4.status, DT_L4_TRUNCATED);
	ck_assert_str_eq(l4.reason, "IPv4 options cut by snaplen");

	/* Total length shorter than the header. */
	w16(f + 2, 24);
	l4 = decode(n, 228, f, len);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);
	ck_assert_str_eq(l4.reason, "IPv4 total length shorter than its header");

	/* Total length past the capture: payload cut by snaplen... */
	w16(f + 2, (unsigned)(len + 1000));
	l4 = decode_cut(n, 228, f, len, len + 1000);
	ck_assert_int_eq(l4.status, DT_L4_TCP);
	ck_assert_uint_eq(l4.paylen, 1005);
	ck_assert_uint_eq(l4.caplen, 5);
	/* ...but a record that says it is whole was not cut: the IP length
	   lies, and only the bytes present were on the wire. */
	l4 = decode(n, 228, f, len);
	ck_assert_int_eq(l4.status, DT_L4_TCP);
	ck_assert_uint_eq(l4.paylen, 5);
	ck_assert_uint_eq(l4.caplen, 5);

	/* Total length 0 (segmentation offload on the sender): what is there. */
	w16(f + 2, 0);
	l4 = decode(n, 228, f, len);
	check_hello(&l4, 0);

	/* Total length shorter than what was captured: trailer ignored. */
	w16(f + 2, (unsigned)(len - 2));
	l4 = decode(n, 228, f, len);
	ck_assert_int_eq(l4.status, DT_L4_TCP);
	ck_assert_uint_eq(l4.paylen, 3);
	ck_assert_uint_eq(l4.caplen, 3);

	/* Not version 4. */
	f[0] = 0x67;
	w16(f + 2, (unsigned)len);
	l4 = decode(n, 228, f, len);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);
	ck_assert_str_eq(l4.reason, "IPv4 version is not 4");

	/* Short header. */
	l4 = decode(n, 228, f, 19);
	ck_assert_int_eq(l4.status, DT_L4_TRUNCATED);
	ck_assert_str_eq(l4.reason, "IPv4 header cut by snaplen");
	net_free(n);
}
END_TEST

START_TEST(test_ip4_other_proto)
{
	static const uint8_t icmp[8] = { 8, 0, 0xf7, 0xff, 0, 0, 0, 0 };
	uint8_t f[64];
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;
	size_t len = build_ip4(f, 1, NULL, 0, icmp, 8, 1, 0);

	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_OTHER_IP);
	ck_assert_int_eq(l4.proto, 1);
	ck_assert_uint_eq(l4.paylen, 8);
	ck_assert_uint_eq(l4.caplen, 8);
	ck_assert_ptr_eq(l4.payload, f + 20);
	ck_assert_mem_eq(l4.src.a, SRC4, 4);
	net_free(n);
}
END_TEST

/* ---- IPv6 ---------------------------------------------------------------- */

/* hop-by-hop (8) -> destination options (8) -> routing (24) -> TCP */
static const uint8_t ext3[40] = {
	60, 0, 1, 4, 0, 0, 0, 0,
	43, 0, 1, 4, 0, 0, 0, 0,
	6, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

START_TEST(test_ip6_extension_headers)
{
	uint8_t seg[64], f[256], ext[80];
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;
	size_t sl = build_tcp(seg, NULL, 0, HELLO, 5), len;
	unsigned i;

	len = build_ip6(f, 0, ext3, sizeof ext3, seg, sl);
	l4 = decode(n, 229, f, len);
	check_hello(&l4, 1);

	/* AH (RFC 4302: length 4 means 24 bytes) before TCP. */
	memset(ext, 0, 24);
	ext[0] = 6;
	ext[1] = 4;
	len = build_ip6(f, 51, ext, 24, seg, sl);
	check_hello((l4 = decode(n, 229, f, len), &l4), 1);

	/* A routing header longer than the payload. */
	len = build_ip6(f, 43, ext3 + 16, 24, seg, sl);
	f[41] = 200;
	l4 = decode(n, 229, f, len);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);
	ck_assert_str_eq(l4.reason, "IPv6 extension header past the payload");

	/* Cut by the capture inside the chain. */
	len = build_ip6(f, 0, ext3, sizeof ext3, seg, sl);
	l4 = decode(n, 229, f, 40 + 12);
	ck_assert_int_eq(l4.status, DT_L4_TRUNCATED);
	ck_assert_str_eq(l4.reason, "IPv6 extension header cut by snaplen");

	/* No next header. */
	len = build_ip6(f, 59, NULL, 0, seg, 0);
	l4 = decode(n, 229, f, len);
	ck_assert_int_eq(l4.status, DT_L4_OTHER_IP);
	ck_assert_int_eq(l4.proto, 59);
	ck_assert_int_eq(l4.ttl, 57);

	/* A chain longer than the bound: 17 destination options headers. */
	for (i = 0; i < 17; i++) {
		memset(ext + 0, 0, 8);
		ext[0] = 60;
		memcpy(f + 40 + i * 8, ext, 8);
	}
	memset(f, 0, 40);
	f[0] = 0x60;
	f[6] = 60;
	w16(f + 4, 17 * 8);
	l4 = decode(n, 229, f, 40 + 17 * 8);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);
	ck_assert_str_eq(l4.reason, "IPv6 extension header chain too long");

	/* Version 4 inside an IPv6 link type. */
	len = build_ip6(f, 6, NULL, 0, seg, sl);
	f[0] = 0x40;
	l4 = decode(n, 229, f, len);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);
	ck_assert_str_eq(l4.reason, "IPv6 version is not 6");
	net_free(n);
}
END_TEST

/* ---- TCP and UDP --------------------------------------------------------- */

START_TEST(test_tcp_options)
{
	static const uint8_t full[20] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2,
		8, 10, 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t zero_len[8] = { 2, 4, 0x05, 0xb4, 8, 0, 4, 2 };
	static const uint8_t too_long[8] = { 2, 4, 0x05, 0xb4, 3, 9, 7, 0 };
	static const uint8_t odd_mss[8] = { 2, 3, 5, 4, 2, 0, 0, 0 };
	static const uint8_t eol[8] = { 0, 2, 4, 0x05, 0xb4, 0, 0, 0 };
	static const uint8_t cut[4] = { 1, 1, 1, 2 };
	uint8_t seg[128], f[256];
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;
	size_t len;

	len = build_ip4(f, 6, NULL, 0, seg, build_tcp(seg, full, 20, HELLO, 5),
	    1, 0);
	l4 = decode(n, 101, f, len);
	check_hello(&l4, 0);
	ck_assert_uint_eq(l4.mss, 1460);
	ck_assert_uint_eq(l4.wscale, 7);
	ck_assert_int_eq(l4.sack_ok, 1);

	/* ECN flags come through with the others. */
	f[20 + 13] |= DT_TCP_ECE | DT_TCP_CWR;
	l4 = decode(n, 101, f, len);
	ck_assert_uint_eq(l4.flags, DT_TCP_CWR | DT_TCP_ECE | DT_TCP_ACK |
	    DT_TCP_PSH);

	/* A zero option length stops option parsing, not the packet. */
	len = build_ip4(f, 6, NULL, 0, seg,
	    build_tcp(seg, zero_len, 8, HELLO, 5), 1, 0);
	l4 = decode(n, 101, f, len);
	check_hello(&l4, 0);
	ck_assert_uint_eq(l4.mss, 1460);
	ck_assert_int_eq(l4.sack_ok, 0);

	/* An option running past the header: same. */
	len = build_ip4(f, 6, NULL, 0, seg,
	    build_tcp(seg, too_long, 8, HELLO, 5), 1, 0);
	l4 = decode(n, 101, f, len);
	check_hello(&l4, 0);
	ck_assert_uint_eq(l4.mss, 1460);
	ck_assert_uint_eq(l4.wscale, 0xff);

	/* An MSS of the wrong size is skipped; parsing goes on. */
	len = build_ip4(f, 6, NULL, 0, seg,
	    build_tcp(seg, odd_mss, 8, HELLO, 5), 1, 0);
	l4 = decode(n, 101, f, len);
	check_hello(&l4, 0);
	ck_assert_uint_eq(l4.mss, 0);
	ck_assert_uint_eq(l4.wscale, 0xff);

	/* Nothing after end-of-list counts. */
	len = build_ip4(f, 6, NULL, 0, seg, build_tcp(seg, eol, 8, HELLO, 5),
	    1, 0);
	l4 = decode(n, 101, f, len);
	check_hello(&l4, 0);
	ck_assert_uint_eq(l4.mss, 0);

	/* A kind with no room for its length byte. */
	len = build_ip4(f, 6, NULL, 0, seg, build_tcp(seg, cut, 4, HELLO, 5),
	    1, 0);
	l4 = decode(n, 101, f, len);
	check_hello(&l4, 0);

	/* Data offset 4. */
	len = build_ip4(f, 6, NULL, 0, seg, build_tcp(seg, NULL, 0, HELLO, 5),
	    1, 0);
	f[20 + 12] = 0x40;
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);
	ck_assert_str_eq(l4.reason, "TCP data offset < 5");

	/* Data offset 15 in a 25-byte segment. */
	f[20 + 12] = 0xf0;
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);
	ck_assert_str_eq(l4.reason, "TCP data offset past the segment");

	/* Data offset 8 in a segment the capture cut at 26 bytes. */
	f[20 + 12] = 0x80;
	w16(f + 2, 20 + 40);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_TRUNCATED);
	ck_assert_str_eq(l4.reason, "TCP options cut by snaplen");

	/* An IP payload too short for a TCP header. */
	w16(f + 2, 20 + 12);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);
	ck_assert_str_eq(l4.reason, "TCP segment shorter than 20 bytes");
	net_free(n);
}
END_TEST

START_TEST(test_udp)
{
	uint8_t dg[64], f[128];
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;
	size_t len = build_ip4(f, 17, NULL, 0, dg, build_udp(dg, "query", 5),
	    1, 0);

	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_UDP);
	ck_assert_int_eq(l4.proto, 17);
	ck_assert_uint_eq(l4.sport, 53000);
	ck_assert_uint_eq(l4.dport, 53);
	ck_assert_uint_eq(l4.paylen, 5);
	ck_assert_uint_eq(l4.caplen, 5);
	ck_assert_mem_eq(l4.payload, "query", 5);

	/* UDP length shorter than the IP payload: trailing bytes ignored. */
	w16(f + 20 + 4, 8 + 3);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_UDP);
	ck_assert_uint_eq(l4.paylen, 3);
	ck_assert_uint_eq(l4.caplen, 3);

	w16(f + 20 + 4, 7);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);
	ck_assert_str_eq(l4.reason, "UDP length < 8");

	w16(f + 20 + 4, 8 + 6);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);
	ck_assert_str_eq(l4.reason, "UDP length past the IP payload");

	l4 = decode(n, 101, f, 27);
	ck_assert_int_eq(l4.status, DT_L4_TRUNCATED);
	ck_assert_str_eq(l4.reason, "UDP header cut by snaplen");

	/* Over IPv6 too. */
	len = build_ip6(f, 17, NULL, 0, dg, build_udp(dg, "query", 5));
	l4 = decode(n, 229, f, len);
	ck_assert_int_eq(l4.status, DT_L4_UDP);
	ck_assert_uint_eq(l4.dport, 53);
	ck_assert_mem_eq(l4.payload, "query", 5);
	net_free(n);
}
END_TEST

/* ---- truncation at every byte -------------------------------------------- */

static const struct trunc_case {
	const char *link;	/* name in link_cases */
	int ext;		/* IPv6: the three-header chain */
	int udp;
} trunc_cases[] = {
	{ "vlan", 0, 0 },
	{ "pppoe over qinq", 0, 0 },
	{ "qinq 88a8", 0, 0 },
	{ "pppoe v6+fcs", 1, 0 },
	{ "sll2", 0, 1 },
	{ "null le v6 darwin", 1, 1 },
	{ "null ethertype", 0, 0 },
	{ "802.3 snap", 0, 0 },
	{ "ppp hdlc", 0, 0 },
	{ "ppp_ether", 0, 1 },
	{ "c_hdlc", 1, 0 },
	{ "mpls", 0, 0 },
	{ "sll vlan", 0, 0 },
	{ "loop v6", 0, 1 },
};

static const struct link_case *
link_case(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof link_cases / sizeof link_cases[0]; i++)
		if (strcmp(link_cases[i].name, name) == 0)
			return &link_cases[i];
	ck_abort_msg("no link case %s", name);
	return NULL;
}

START_TEST(test_truncated_every_byte)
{
	static const uint8_t opt[12] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7, 4, 2,
		0, 0 };
	static const uint8_t ipopt[4] = { 1, 1, 1, 0 };
	const struct trunc_case *t = &trunc_cases[_i];
	const struct link_case *c = link_case(t->link);
	uint8_t l4b[128], ip[256], f[512];
	size_t l4len, il, full, hdr, cl;
	struct dt_net *n = net_new(0);
	struct dt_l4 ref;

	l4len = t->udp ? build_udp(l4b, HELLO, 5) :
	    build_tcp(l4b, opt, sizeof opt, HELLO, 5);
	if (c->v6)
		il = t->ext ? build_ip6(ip, 0, ext3, sizeof ext3, l4b, l4len) :
		    build_ip6(ip, t->udp ? 17 : 6, NULL, 0, l4b, l4len);
	else
		il = build_ip4(ip, t->udp ? 17 : 6, ipopt, 4, l4b, l4len, 9, 0);
	if (t->ext)
		ip[40 + 16] = t->udp ? 17 : 6;	/* routing -> upper layer */
	memcpy(f, c->pre, c->prelen);
	memcpy(f + c->prelen, ip, il);
	full = c->prelen + il;
	if (c->fcs) {
		memset(f + full, 0xee, 4);
		full += 4;
	}
	if (c->len_at >= 0)
		w16(f + c->len_at, (unsigned)(c->prelen + il -
		    (size_t)c->len_at - 2));
	hdr = c->prelen + il - 5;
	ref = decode(n, c->linktype, f, full);
	ck_assert_msg(ref.status == (t->udp ? DT_L4_UDP : DT_L4_TCP),
	    "%s: %d %s", t->link, ref.status, ref.reason ? ref.reason : "");
	ck_assert_uint_eq(ref.paylen, 5);

	for (cl = 0; cl <= full; cl++) {
		/* An exact-size copy so that ASan sees any over-read. */
		uint8_t *p = malloc(cl ? cl : 1);
		struct dt_l4 l4;

		memcpy(p, f, cl);
		l4 = decode_cut(n, c->linktype, p, cl, full);
		if (cl < hdr) {
			ck_assert_msg(l4.status == DT_L4_TRUNCATED,
			    "%s caplen %zu: status %d", t->link, cl, l4.status);
			ck_assert_ptr_nonnull(l4.reason);
		} else {
			size_t have = cl - hdr > 5 ? 5 : cl - hdr;

			ck_assert_int_eq(l4.status, ref.status);
			ck_assert_uint_eq(l4.paylen, 5);
			ck_assert_uint_eq(l4.caplen, have);
			ck_assert_ptr_eq(l4.payload, p + hdr);
			ck_assert_uint_eq(l4.sport, ref.sport);
			ck_assert_uint_eq(l4.seq, ref.seq);
			ck_assert_uint_eq(l4.mss, ref.mss);
		}
		free(p);
	}
	net_free(n);
}
END_TEST

/* ---- IPv4 fragments ------------------------------------------------------ */

#define DGRAM 3000	/* UDP header + 2992 bytes */

static uint8_t dgram[DGRAM];

static void
make_dgram(void)
{
	size_t i;
	uint8_t pay[DGRAM - 8];

	for (i = 0; i < sizeof pay; i++)
		pay[i] = (uint8_t)(i * 7 + 3);
	build_udp(dgram, pay, sizeof pay);
}

/* Fragment [off, off + len) of dgram (or of `data` when given). */
static size_t
frag4(uint8_t *f, uint16_t id, size_t off, size_t len, int more,
    const uint8_t *data)
{
	return build_ip4(f, 17, NULL, 0, data ? data : dgram + off, len, id,
	    (uint16_t)((more ? 0x2000 : 0) | off / 8));
}

static const size_t piece[3][2] = { { 0, 1480 }, { 1480, 1480 }, { 2960, 40 } };

static struct dt_l4
send_piece(struct dt_net *n, uint16_t id, int i, int64_t t)
{
	uint8_t f[1600];
	size_t len = frag4(f, id, piece[i][0], piece[i][1], i < 2, NULL);

	return decode_at(n, 101, f, len, t);
}

static void
check_dgram(const struct dt_l4 *l4)
{
	ck_assert_int_eq(l4->status, DT_L4_UDP);
	ck_assert_int_eq(l4->fragmented, 1);
	ck_assert_uint_eq(l4->sport, 53000);
	ck_assert_uint_eq(l4->paylen, DGRAM - 8);
	ck_assert_uint_eq(l4->caplen, DGRAM - 8);
	ck_assert_mem_eq(l4->payload, dgram + 8, DGRAM - 8);
	ck_assert_mem_eq(l4->src.a, SRC4, 4);
}

static const int frag_orders[][3] = {
	{ 0, 1, 2 }, { 2, 1, 0 }, { 1, 2, 0 }, { 2, 0, 1 }, { 0, 2, 1 },
};

START_TEST(test_frag4_orders)
{
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;

	make_dgram();
	l4 = send_piece(n, 0x1234, frag_orders[_i][0], 0);
	ck_assert_int_eq(l4.status, DT_L4_FRAGMENT);
	ck_assert_ptr_null(l4.reason);
	ck_assert_int_eq(l4.proto, 17);
	l4 = send_piece(n, 0x1234, frag_orders[_i][1], 1000);
	ck_assert_int_eq(l4.status, DT_L4_FRAGMENT);
	l4 = send_piece(n, 0x1234, frag_orders[_i][2], 2000);
	check_dgram(&l4);
	ck_assert_uint_eq(dt_net_fragments_dropped(n), 0);
	net_free(n);
}
END_TEST

START_TEST(test_frag4_overlap_first_wins)
{
	uint8_t f[1600], alt[1600];
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;
	size_t len;
	uint8_t want[DGRAM];

	make_dgram();
	memcpy(want, dgram, DGRAM);
	/* [1472, 2960) arrives first with 8 bytes of 0xee at its start. */
	memcpy(alt, dgram + 1472, 1488);
	memset(alt, 0xee, 8);
	memset(want + 1472, 0xee, 8);
	len = frag4(f, 7, 1472, 1488, 1, alt);
	ck_assert_int_eq(decode(n, 101, f, len).status, DT_L4_FRAGMENT);
	/* A full copy of [0, 1480) from someone else, then the right one:
	   the first copy of every byte wins. */
	memset(alt, 0xaa, sizeof alt);
	memcpy(alt, dgram, 8);	/* keep the UDP header sane */
	len = frag4(f, 7, 0, 1480, 1, alt);
	ck_assert_int_eq(decode(n, 101, f, len).status, DT_L4_FRAGMENT);
	len = frag4(f, 7, 0, 1480, 1, NULL);
	ck_assert_int_eq(decode(n, 101, f, len).status, DT_L4_FRAGMENT);
	memset(want + 8, 0xaa, 1472 - 8);
	/* A duplicate of the last piece that also overlaps the second. */
	len = frag4(f, 7, 2952, 48, 0, NULL);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_UDP);
	ck_assert_int_eq(l4.fragmented, 1);
	ck_assert_uint_eq(l4.paylen, DGRAM - 8);
	ck_assert_mem_eq(l4.payload, want + 8, DGRAM - 8);
	ck_assert_uint_eq(dt_net_fragments_dropped(n), 0);
	net_free(n);
}
END_TEST

START_TEST(test_frag4_missing_times_out)
{
	static const uint8_t arp[] = { MAC12, 0x08, 0x06, 0, 1, 8, 0, 6, 4 };
	const int64_t s = 1000000000;
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;

	make_dgram();
	ck_assert_int_eq(send_piece(n, 9, 0, 100 * s).status, DT_L4_FRAGMENT);
	ck_assert_int_eq(send_piece(n, 9, 2, 101 * s).status, DT_L4_FRAGMENT);
	/* 29 s later: still waiting. */
	ck_assert_int_eq(decode_at(n, 1, arp, sizeof arp, 129 * s).status,
	    DT_L4_NOT_IP);
	ck_assert_uint_eq(dt_net_fragments_dropped(n), 0);
	/* 31 s after the first fragment: both dropped. */
	ck_assert_int_eq(decode_at(n, 1, arp, sizeof arp, 131 * s).status,
	    DT_L4_NOT_IP);
	ck_assert_uint_eq(dt_net_fragments_dropped(n), 2);
	/* The missing piece now starts a datagram of its own. */
	l4 = send_piece(n, 9, 1, 132 * s);
	ck_assert_int_eq(l4.status, DT_L4_FRAGMENT);
	net_free(n);
}
END_TEST

/* Times straight from a damaged file: no overflow, a clock that steps
 * back keeps the datagram. */
START_TEST(test_frag4_extreme_times)
{
	static const uint8_t arp[] = { MAC12, 0x08, 0x06, 0, 1, 8, 0, 6, 4 };
	struct dt_net *n = net_new(0);

	make_dgram();
	ck_assert_int_eq(send_piece(n, 9, 0, INT64_MAX).status,
	    DT_L4_FRAGMENT);
	decode_at(n, 1, arp, sizeof arp, INT64_MIN);
	ck_assert_uint_eq(dt_net_fragments_dropped(n), 0);
	ck_assert_int_eq(send_piece(n, 10, 0, INT64_MIN).status,
	    DT_L4_FRAGMENT);
	/* The next fragment sweeps what timed out, head or not. */
	ck_assert_int_eq(send_piece(n, 11, 0, INT64_MAX).status,
	    DT_L4_FRAGMENT);
	ck_assert_uint_eq(dt_net_fragments_dropped(n), 1);
	/* The oldest in capture time is gone, the others complete. */
	ck_assert_int_eq(send_piece(n, 10, 1, INT64_MAX).status,
	    DT_L4_FRAGMENT);
	send_piece(n, 9, 1, INT64_MAX);
	check_dgram((struct dt_l4[]){ send_piece(n, 9, 2, INT64_MAX) });
	net_free(n);
}
END_TEST

START_TEST(test_frag4_byte_cap)
{
	struct dt_net *n = net_new(2048);
	struct dt_l4 l4;
	int i;

	make_dgram();
	for (i = 0; i < 3; i++) {
		l4 = send_piece(n, 5, i, i);
		ck_assert_int_eq(l4.status, DT_L4_FRAGMENT);
		ck_assert_str_eq(l4.reason, "IP fragment dropped: reassembly limits");
	}
	ck_assert_uint_eq(dt_net_fragments_dropped(n), 3);
	net_free(n);

	/* Room for one datagram: a second one pushes the first out. */
	n = net_new(6000);
	ck_assert_int_eq(send_piece(n, 1, 0, 0).status, DT_L4_FRAGMENT);
	ck_assert_int_eq(send_piece(n, 1, 1, 0).status, DT_L4_FRAGMENT);
	ck_assert_int_eq(send_piece(n, 2, 0, 0).status, DT_L4_FRAGMENT);
	ck_assert_int_eq(send_piece(n, 2, 1, 0).status, DT_L4_FRAGMENT);
	ck_assert_uint_eq(dt_net_fragments_dropped(n), 2);
	l4 = send_piece(n, 2, 2, 0);
	check_dgram(&l4);
	ck_assert_int_eq(send_piece(n, 1, 2, 0).status, DT_L4_FRAGMENT);
	net_free(n);
}
END_TEST

START_TEST(test_frag4_count_cap)
{
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;
	int i;

	make_dgram();
	for (i = 0; i < 300; i++)
		ck_assert_int_eq(send_piece(n, (uint16_t)i, 0, 0).status,
		    DT_L4_FRAGMENT);
	/* 256 in progress at most: the 44 oldest went. */
	ck_assert_uint_eq(dt_net_fragments_dropped(n), 300 - 256);
	ck_assert_int_eq(send_piece(n, 0, 1, 0).status, DT_L4_FRAGMENT);
	ck_assert_int_eq(send_piece(n, 299, 1, 0).status, DT_L4_FRAGMENT);
	l4 = send_piece(n, 299, 2, 0);
	check_dgram(&l4);
	net_free(n);
}
END_TEST

START_TEST(test_frag4_inconsistent)
{
	uint8_t f[1600];
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;
	size_t len;

	make_dgram();
	ck_assert_int_eq(send_piece(n, 3, 2, 0).status, DT_L4_FRAGMENT);
	/* A second "last" fragment ending elsewhere. */
	len = frag4(f, 3, 1480, 40, 0, NULL);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);
	ck_assert_str_eq(l4.reason, "IP fragments disagree on the datagram length");
	ck_assert_uint_eq(dt_net_fragments_dropped(n), 2);

	/* Past the end once the end is known. */
	ck_assert_int_eq(send_piece(n, 4, 2, 0).status, DT_L4_FRAGMENT);
	len = frag4(f, 4, 2952, 1000, 1, dgram);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);
	ck_assert_str_eq(l4.reason, "IP fragment past the end of its datagram");

	/* Past 65535 bytes. */
	len = frag4(f, 5, 8189 * 8, 100, 0, dgram);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_MALFORMED);
	ck_assert_str_eq(l4.reason, "IP fragment ends past 65535 bytes");

	/* A fragment cut by the capture cannot be used. */
	len = frag4(f, 6, 0, 1480, 1, NULL);
	l4 = decode(n, 101, f, 200);
	ck_assert_int_eq(l4.status, DT_L4_TRUNCATED);
	ck_assert_str_eq(l4.reason, "IPv4 fragment cut by snaplen");
	net_free(n);
}
END_TEST

/* The completed datagram stays valid until the next call, then the buffer
 * is released (ASan checks the rest). */
START_TEST(test_frag4_buffer_lifetime)
{
	static const uint8_t arp[] = { MAC12, 0x08, 0x06, 0, 1, 8, 0, 6, 4 };
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;
	size_t before;

	make_dgram();
	send_piece(n, 1, 0, 0);
	send_piece(n, 1, 1, 0);
	l4 = send_piece(n, 1, 2, 0);
	check_dgram(&l4);
	before = mem.used;
	decode(n, 1, arp, sizeof arp);
	ck_assert_uint_lt(mem.used, before);
	net_free(n);
}
END_TEST

/* Allocation failure: no handle, or fragments refused and counted. */
START_TEST(test_alloc_failure)
{
	struct dt_net *n;
	struct dt_l4 l4;

	dt_mem_init(&mem, NULL, NULL, 8);
	ck_assert_int_eq(dt_net_new(&n, &mem, 0), DT_ENOMEM);
	ck_assert_ptr_null(n);
	ck_assert_uint_eq(mem.used, 0);

	dt_mem_init(&mem, NULL, NULL, 1024);
	ck_assert_int_eq(dt_net_new(&n, &mem, 0), 0);
	make_dgram();
	l4 = send_piece(n, 1, 0, 0);
	ck_assert_int_eq(l4.status, DT_L4_FRAGMENT);
	ck_assert_ptr_nonnull(l4.reason);
	ck_assert_uint_eq(dt_net_fragments_dropped(n), 1);
	dt_net_free(n);
	ck_assert_uint_eq(mem.used, 0);
}
END_TEST

/* ---- IPv6 fragments ------------------------------------------------------ */

START_TEST(test_frag6)
{
	uint8_t body[1600], f[1700], hdr[8], seg[1600], pay[1500];
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;
	size_t bl, sl, len, i;

	for (i = 0; i < sizeof pay; i++)
		pay[i] = (uint8_t)(i ^ 0x5a);
	/* Fragmentable part: destination options -> TCP(1500 bytes). */
	memset(body, 0, 8);
	body[0] = 6;
	body[2] = 1;
	body[3] = 4;
	sl = build_tcp(seg, NULL, 0, pay, sizeof pay);
	memcpy(body + 8, seg, sl);
	bl = 8 + sl;

	/* Second piece first; its fragment header says "TCP" (ignored:
	   only the offset-zero one counts, RFC 8200 4.5). */
	hdr[0] = 6;
	hdr[1] = 0;
	w16(hdr + 2, 1232 | 0);
	w32(hdr + 4, 0xdeadbeef);
	memcpy(f, hdr, 8);
	len = build_ip6(f, 44, hdr, 8, body + 1232, bl - 1232);
	l4 = decode(n, 229, f, len);
	ck_assert_int_eq(l4.status, DT_L4_FRAGMENT);
	ck_assert_mem_eq(l4.src.a, SRC6, 16);

	hdr[0] = 60;
	w16(hdr + 2, 0 | 1);
	len = build_ip6(f, 44, hdr, 8, body, 1232);
	l4 = decode(n, 229, f, len);
	ck_assert_int_eq(l4.status, DT_L4_TCP);
	ck_assert_int_eq(l4.fragmented, 1);
	ck_assert_int_eq(l4.proto, 6);
	ck_assert_uint_eq(l4.dport, 443);
	ck_assert_uint_eq(l4.seq, 0x11223344);
	ck_assert_uint_eq(l4.paylen, sizeof pay);
	ck_assert_uint_eq(l4.caplen, sizeof pay);
	ck_assert_mem_eq(l4.payload, pay, sizeof pay);
	ck_assert_mem_eq(l4.dst.a, DST6, 16);

	/* An atomic fragment (offset 0, M 0) is just a header to skip. */
	sl = build_tcp(seg, NULL, 0, HELLO, 5);
	hdr[0] = 6;
	w16(hdr + 2, 0);
	len = build_ip6(f, 44, hdr, 8, seg, sl);
	l4 = decode(n, 229, f, len);
	check_hello(&l4, 1);

	/* Hop-by-hop before the fragment header, pieces in order. */
	{
		uint8_t ext[16];

		memset(ext, 0, 16);
		ext[0] = 44;
		ext[2] = 1;
		ext[3] = 4;
		ext[8] = 60;
		w16(ext + 10, 0 | 1);
		w32(ext + 12, 77);
		len = build_ip6(f, 0, ext, 16, body, 1232);
		ck_assert_int_eq(decode(n, 229, f, len).status,
		    DT_L4_FRAGMENT);
		w16(ext + 10, 1232);
		len = build_ip6(f, 0, ext, 16, body + 1232, bl - 1232);
		l4 = decode(n, 229, f, len);
		ck_assert_int_eq(l4.status, DT_L4_TCP);
		ck_assert_mem_eq(l4.payload, pay, sizeof pay);
	}
	ck_assert_uint_eq(dt_net_fragments_dropped(n), 0);
	net_free(n);
}
END_TEST

/* ---- the shared corpus --------------------------------------------------- */

/* Files where MALFORMED is expected (damaged on purpose). */
static const char *const corpus_damaged[] = {
	"fuzz-2021-10-13.pcap",
};

static struct corpus_stats {
	unsigned files, packets, tcp, udp, malformed;
	char first_bad[512];
} cs;

static int
corpus_damaged_file(const char *path)
{
	size_t i, pl = strlen(path);

	for (i = 0; i < sizeof corpus_damaged / sizeof corpus_damaged[0];
	    i++) {
		size_t l = strlen(corpus_damaged[i]);

		if (pl >= l && strcmp(path + pl - l, corpus_damaged[i]) == 0)
			return 1;
	}
	return 0;
}

/* Decode every packet; returns the number of TCP packets, or -1. */
static int
corpus_file(const char *path, unsigned *total, unsigned *bad)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, errbuf);
	struct pcap_pkthdr *h;
	const u_char *data;
	struct dt_net *n;
	int tcp = 0, rc;
	uint64_t frame = 0;

	if (p == NULL)
		return -1;
	n = net_new(0);
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		struct dt_packet pkt;
		struct dt_l4 l4;

		memset(&pkt, 0, sizeof pkt);
		pkt.frame = ++frame;
		pkt.linktype = pcap_datalink(p);
		pkt.data = data;
		pkt.caplen = h->caplen;
		pkt.origlen = h->len;
		pkt.time = (int64_t)h->ts.tv_sec * 1000000000 +
		    (int64_t)h->ts.tv_usec * 1000;
		dt_net_decode(n, &pkt, &l4);
		(*total)++;
		if (l4.status == DT_L4_TCP)
			tcp++;
		if (l4.status == DT_L4_UDP)
			cs.udp++;
		if (l4.status == DT_L4_TCP || l4.status == DT_L4_UDP)
			ck_assert(l4.caplen <= l4.paylen);
		if (l4.status == DT_L4_MALFORMED) {
			(*bad)++;
			if (cs.first_bad[0] == '\0' &&
			    !corpus_damaged_file(path))
				snprintf(cs.first_bad, sizeof cs.first_bad,
				    "%s frame %llu: %s", path,
				    (unsigned long long)frame, l4.reason);
		}
	}
	net_free(n);
	pcap_close(p);
	return tcp;
}

static int
corpus_visit(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	size_t l = strlen(path);
	unsigned total = 0, bad = 0;
	int tcp;

	if (type != FTW_F || l < 5 || strcmp(path + l - 5, ".pcap") != 0)
		return 0;
	tcp = corpus_file(path, &total, &bad);
	if (tcp < 0)
		return 0;	/* libpcap refuses it: capture/'s business */
	cs.files++;
	cs.packets += total;
	cs.tcp += (unsigned)tcp;
	if (!corpus_damaged_file(path))
		cs.malformed += bad;
	return 0;
}


/* ---- tunnels (net/encap.c) ---------------------------------------------- */

/* IPv4(proto, hdr + inner) with the standard addresses. */
static size_t
tunnel4(uint8_t *f, uint8_t proto, const uint8_t *hdr, size_t hlen,
    const uint8_t *inner, size_t ilen)
{
	uint8_t body[512];

	if (hlen > 0)		/* hdr is NULL for IP-in-IP: memcpy(NULL, 0) is UB */
		memcpy(body, hdr, hlen);
	memcpy(body + hlen, inner, ilen);
	return build_ip4(f, proto, NULL, 0, body, hlen + ilen, 7, 0x4000);
}

/* UDP sport -> dport carrying pay, inside IPv4. */
static size_t
udp4(uint8_t *f, unsigned sport, unsigned dport, const uint8_t *pay,
    size_t paylen)
{
	uint8_t u[512];

	w16(u, sport);
	w16(u + 2, dport);
	w16(u + 4, (unsigned)(8 + paylen));
	w16(u + 6, 0);
	memcpy(u + 8, pay, paylen);
	return build_ip4(f, 17, NULL, 0, u, 8 + paylen, 9, 0x4000);
}

/* The inner packet: IPv4 or IPv6 TCP HELLO. */
static size_t
inner_hello(uint8_t *b, int v6)
{
	uint8_t seg[64];
	size_t sl = build_tcp(seg, NULL, 0, HELLO, 5);

	return v6 ? build_ip6(b, 6, NULL, 0, seg, sl) :
	    build_ip4(b, 6, NULL, 0, seg, sl, 1, 0x4000);
}

static void
check_tunnel(const struct dt_l4 *l4, int v6, int kind)
{
	check_hello(l4, v6);
	ck_assert_uint_eq(l4->n_encap, 1);
	ck_assert_int_eq(l4->encaps[0], kind);
	ck_assert_int_eq(l4->encap_unread, DT_ENCAP_NONE);
	ck_assert_int_eq(l4->tun_src.family, 4);
	ck_assert_mem_eq(l4->tun_src.a, SRC4, 4);
	ck_assert_mem_eq(l4->tun_dst.a, DST4, 4);
}

START_TEST(test_tunnel_ip)
{
	/* GRE with checksum, key and sequence number (RFC 2890) */
	static const uint8_t gre_cks[16] = { 0xb0, 0, 0x08, 0x00, 0, 0, 0, 0,
		0, 0, 0, 0x2a, 0, 0, 0, 1 };
	static const uint8_t gre6[4] = { 0, 0, 0x86, 0xdd };
	/* PPTP: enhanced GRE v1, key (length, call id), sequence, ack */
	static const uint8_t pptp[16] = { 0x30, 0x81, 0x88, 0x0b, 0, 0x2d,
		0, 7, 0, 0, 0, 3, 0, 0, 0, 2 };
	uint8_t in[256], f[512], pp[300];
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;
	size_t il, len;

	il = inner_hello(in, 0);
	len = tunnel4(f, 47, gre_cks, 16, in, il);
	l4 = decode(n, 101, f, len);
	check_tunnel(&l4, 0, DT_ENCAP_GRE);

	il = inner_hello(in, 1);
	len = tunnel4(f, 47, gre6, 4, in, il);
	l4 = decode(n, 101, f, len);
	check_tunnel(&l4, 1, DT_ENCAP_GRE);

	/* PPP in PPTP: 0xff 0x03, protocol 0x0021 */
	il = inner_hello(in, 0);
	memcpy(pp, "\xff\x03\x00\x21", 4);
	memcpy(pp + 4, in, il);
	len = tunnel4(f, 47, pptp, 16, pp, il + 4);
	l4 = decode(n, 101, f, len);
	check_tunnel(&l4, 0, DT_ENCAP_PPTP);

	/* Aruba GRE 0x8210: an 802.11 data frame to the DS, LLC/SNAP, IPv4;
	   0x8201 is not one of Aruba's; a protected frame whose body is
	   encrypted (a CCMP header) is not read */
	il = inner_hello(in, 0);
	memcpy(pp, "\x00\x00\x82\x10" "\x08\x01\x2c\x00"
	    "\x00\x24\x6c\x00\x00\x01" "\x3c\x15\xc2\x00\x00\x02"
	    "\x00\x24\x6c\x00\x00\xfe" "\x10\x00"
	    "\xaa\xaa\x03\x00\x00\x00\x08\x00", 36);
	len = tunnel4(f, 47, pp, 36, in, il);
	l4 = decode(n, 101, f, len);
	check_tunnel(&l4, 0, DT_ENCAP_GRE);
	pp[3] = 0x01;
	len = tunnel4(f, 47, pp, 36, in, il);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_OTHER_IP);
	ck_assert_int_eq(l4.encap_unread, DT_ENCAP_GRE);
	pp[3] = 0x10;
	pp[5] |= 0x40;
	memcpy(pp + 28, "\x01\x00\x00\x20\x00\x00\x00\x00", 8);
	len = tunnel4(f, 47, pp, 36, in, il);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_OTHER_IP);
	ck_assert_int_eq(l4.encap_unread, DT_ENCAP_GRE);

	/* MPPE-encrypted PPP (0x00fd) is a PPTP packet we cannot read */
	memcpy(pp, "\xff\x03\x00\xfd", 4);
	len = tunnel4(f, 47, pptp, 16, pp, il + 4);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_OTHER_IP);
	ck_assert_int_eq(l4.proto, 47);
	ck_assert_uint_eq(l4.n_encap, 0);
	ck_assert_int_eq(l4.encap_unread, DT_ENCAP_PPTP);

	/* IPv4 in IPv4, IPv6 in IPv4 (6in4), and an ISATAP address */
	il = inner_hello(in, 0);
	len = tunnel4(f, 4, NULL, 0, in, il);
	l4 = decode(n, 101, f, len);
	check_tunnel(&l4, 0, DT_ENCAP_IPIP);

	il = inner_hello(in, 1);
	len = tunnel4(f, 41, NULL, 0, in, il);
	l4 = decode(n, 101, f, len);
	/* DST6 is 2002:c000:207::2, a 6to4 address */
	check_tunnel(&l4, 1, DT_ENCAP_6TO4);

	in[8] = 0xfe;			/* source fe80::5efe:... : ISATAP */
	in[9] = 0x80;
	memset(in + 10, 0, 6);
	memcpy(in + 16, "\x00\x00\x5e\xfe\xc0\x00\x02\x07", 8);
	in[24] = 0x20;
	in[25] = 0x01;			/* destination no longer 6to4 */
	len = tunnel4(f, 41, NULL, 0, in, il);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_TCP);
	ck_assert_int_eq(l4.encaps[0], DT_ENCAP_ISATAP);

	/* protocol 41 holding an IPv4 header: not read */
	il = inner_hello(in, 0);
	len = tunnel4(f, 41, NULL, 0, in, il);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_OTHER_IP);
	ck_assert_int_eq(l4.encap_unread, DT_ENCAP_6IN4);
	net_free(n);
}
END_TEST

START_TEST(test_tunnel_udp)
{
	static const uint8_t vxlan[8] = { 0x08, 0, 0, 0, 0, 0, 0x2a, 0 };
	static const uint8_t ether[14] = { MAC12, 0x08, 0x00 };
	/* GTP-U G-PDU with S set and one PDU session container */
	static const uint8_t gtp[16] = { 0x36, 0xff, 0, 0, 0, 0, 0x10, 0,
		0, 1, 0, 0x85, 1, 0x10, 0x09, 0 };
	/* Teredo authentication (id 1, auth 0) and origin indication */
	/* Geneve: 2 words of options, IPv4, VNI 42; option 0x0108/1 */
	static const uint8_t geneve[16] = { 0x02, 0, 0x08, 0x00, 0, 0, 0x2a,
		0, 0x01, 0x08, 1, 1, 0, 0, 0, 7 };
	static const uint8_t teredo[22] = { 0, 1, 1, 0, 0x55,
		1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0x3f, 0xff, 0xfe, 0xfe, 0xfd,
		0xf8 };
	uint8_t in[256], pay[400], f[512];
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;
	size_t il, len;

	il = inner_hello(in, 0);
	memcpy(pay, vxlan, 8);
	memcpy(pay + 8, ether, 14);
	memcpy(pay + 22, in, il);
	len = udp4(f, 40000, 4789, pay, 22 + il);
	l4 = decode(n, 101, f, len);
	check_tunnel(&l4, 0, DT_ENCAP_VXLAN);
	ck_assert_uint_eq(l4.tun_sport, 40000);
	ck_assert_uint_eq(l4.tun_dport, 4789);

	pay[0] = 0;			/* no I flag: not VXLAN */
	len = udp4(f, 40000, 4789, pay, 22 + il);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_UDP);
	ck_assert_uint_eq(l4.dport, 4789);
	ck_assert_uint_eq(l4.n_encap, 0);

	memcpy(pay, gtp, 16);
	memcpy(pay + 16, in, il);
	len = udp4(f, 2152, 2152, pay, 16 + il);
	l4 = decode(n, 101, f, len);
	check_tunnel(&l4, 0, DT_ENCAP_GTPU);

	pay[1] = 1;			/* echo request, not a G-PDU */
	len = udp4(f, 2152, 2152, pay, 16 + il);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_UDP);
	ck_assert_uint_eq(l4.n_encap, 0);

	pay[1] = 0xff;
	pay[12] = 0;			/* extension of length 0: malformed */
	len = udp4(f, 2152, 2152, pay, 16 + il);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_UDP);

	/* GRE in UDP (RFC 8086, port 4754) */
	memcpy(pay, "\x00\x00\x08\x00", 4);
	memcpy(pay + 4, in, il);
	len = udp4(f, 51000, 4754, pay, 4 + il);
	l4 = decode(n, 101, f, len);
	check_tunnel(&l4, 0, DT_ENCAP_GRE);
	ck_assert_uint_eq(l4.tun_dport, 4754);

	/* Geneve with one 8-byte option, then IPv4; Ethernet (0x6558) too */
	il = inner_hello(in, 0);
	memcpy(pay, geneve, 16);
	memcpy(pay + 16, in, il);
	len = udp4(f, 51000, 6081, pay, 16 + il);
	l4 = decode(n, 101, f, len);
	check_tunnel(&l4, 0, DT_ENCAP_GENEVE);
	ck_assert_uint_eq(l4.tun_dport, 6081);
	pay[2] = 0x65;
	pay[3] = 0x58;
	memmove(pay + 30, pay + 16, il);
	memcpy(pay + 16, ether, 14);
	len = udp4(f, 51000, 6081, pay, 30 + il);
	l4 = decode(n, 101, f, len);
	check_tunnel(&l4, 0, DT_ENCAP_GENEVE);
	pay[1] = 0x80;			/* O: a control message, no packet */
	len = udp4(f, 51000, 6081, pay, 30 + il);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_UDP);
	ck_assert_uint_eq(l4.n_encap, 0);
	pay[1] = 0;
	pay[0] = 0x42;			/* version 1 */
	len = udp4(f, 51000, 6081, pay, 30 + il);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_UDP);
	pay[0] = 0x3f;			/* options longer than the datagram */
	len = udp4(f, 51000, 6081, pay, 30 + il);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_UDP);

	il = inner_hello(in, 1);
	memcpy(pay, teredo, 22);
	memcpy(pay + 22, in, il);
	len = udp4(f, 3544, 51000, pay, 22 + il);
	l4 = decode(n, 101, f, len);
	check_tunnel(&l4, 1, DT_ENCAP_TEREDO);
	ck_assert_uint_eq(l4.tun_sport, 3544);

	/* a relay on another port: one IPv6 packet to 2001::/32 exactly */
	in[24] = 0x20;
	in[25] = 0x01;
	in[26] = 0;
	in[27] = 0;
	len = udp4(f, 51000, 61000, in, il);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_TCP);
	ck_assert_int_eq(l4.encaps[0], DT_ENCAP_TEREDO);
	in[24] = 0x2a;			/* not the Teredo prefix: plain UDP */
	len = udp4(f, 51000, 61000, in, il);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_UDP);

	/* garbage on 3544 stays UDP */
	memset(pay, 0x41, 64);
	len = udp4(f, 3544, 3544, pay, 64);
	l4 = decode(n, 101, f, len);
	ck_assert_int_eq(l4.status, DT_L4_UDP);
	ck_assert_int_eq(l4.encap_unread, DT_ENCAP_NONE);
	net_free(n);
}
END_TEST

/* IP-in-IP five deep: four tunnels are looked through, the fifth is
 * counted as not read; and every truncation of a GRE packet decodes to a
 * status without reading past the end (ASan watches). */
START_TEST(test_tunnel_depth_and_truncation)
{
	static const uint8_t gre4[4] = { 0, 0, 0x08, 0x00 };
	uint8_t a[600], b[600];
	struct dt_net *n = net_new(0);
	struct dt_l4 l4;
	size_t len, k;
	int i;

	len = inner_hello(a, 0);
	for (i = 0; i < 5; i++) {
		len = tunnel4(b, 4, NULL, 0, a, len);
		memcpy(a, b, len);
	}
	l4 = decode(n, 101, a, len);
	ck_assert_int_eq(l4.status, DT_L4_OTHER_IP);
	ck_assert_uint_eq(l4.n_encap, DT_NET_MAX_ENCAP);
	ck_assert_int_eq(l4.encap_unread, DT_ENCAP_IPIP);

	len = inner_hello(a, 0);
	len = tunnel4(b, 47, gre4, 4, a, len);
	for (k = 0; k <= len; k++) {
		uint8_t *cut = malloc(k ? k : 1);

		memcpy(cut, b, k);
		l4 = decode_cut(n, 101, cut, k, len);
		ck_assert_int_ne(l4.status, 0);
		free(cut);
	}
	net_free(n);
}
END_TEST

/* The tunnel captures of testdata/gen/tunnels.sh (real TCP/IP stacks and
 * TLS through GRE, IPIP, 6in4, 6to4, VXLAN, GTP-U, Geneve and Teredo): TCP
 * packets and packets per tunnel as tshark 4 counts them (`-Y tcp`, `-Y gre`,
 * `-Y "ip.proto==41"`, `-Y vxlan`, `-Y gtp`, `-Y geneve`, `-Y teredo`; counted once,
 * not fed to the test). */
static const struct tunnel_count {
	const char *file;
	unsigned packets, tcp;
	int kind;
	unsigned tunnelled;	/* tshark's count for the tunnel */
	unsigned unread;	/* of those, carrying no IP (`-Y "vxlan && arp"`) */
} tunnel_counts[] = {
	{ "tunnel-gre-iphttps.pcap", 25, 20, DT_ENCAP_GRE, 20, 0 },
	{ "tunnel-gre-key-iphttps.pcap", 28, 20, DT_ENCAP_GRE, 20, 0 },
	{ "tunnel-aruba-iphttps.pcap", 23, 20, DT_ENCAP_GRE, 20, 0 },
	{ "tunnel-ipip-iphttps.pcap", 26, 20, DT_ENCAP_IPIP, 20, 0 },
	{ "tunnel-6in4-iphttps.pcap", 22, 20, DT_ENCAP_6IN4, 20, 0 },
	{ "tunnel-6to4-only.pcap", 17, 10, DT_ENCAP_6TO4, 14, 0 },
	{ "tunnel-vxlan-iphttps.pcap", 29, 20, DT_ENCAP_VXLAN, 23, 2 },
	{ "tunnel-gtpu-iphttps.pcap", 26, 20, DT_ENCAP_GTPU, 20, 0 },
	{ "tunnel-geneve-iphttps.pcap", 23, 20, DT_ENCAP_GENEVE, 20, 0 },
	{ "tunnel-teredo-only.pcap", 16, 10, DT_ENCAP_TEREDO, 14, 0 },
};

START_TEST(test_tunnel_captures)
{
	const struct tunnel_count *tc = &tunnel_counts[_i];
	char errbuf[PCAP_ERRBUF_SIZE], path[512];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct dt_net *n;
	unsigned total = 0, tcp = 0, tun = 0, unread = 0;
	pcap_t *p;

	snprintf(path, sizeof path, "%s/scenarios/%s", TESTDATA_DIR, tc->file);
	p = pcap_open_offline(path, errbuf);
	ck_assert_msg(p != NULL, "%s: %s", path, errbuf);
	n = net_new(0);
	while (pcap_next_ex(p, &h, &data) == 1) {
		struct dt_packet pkt;
		struct dt_l4 l4;

		memset(&pkt, 0, sizeof pkt);
		pkt.linktype = pcap_datalink(p);
		pkt.data = data;
		pkt.caplen = h->caplen;
		pkt.origlen = h->len;
		dt_net_decode(n, &pkt, &l4);
		total++;
		tcp += l4.status == DT_L4_TCP;
		tun += l4.n_encap > 0 && l4.encaps[0] == tc->kind;
		unread += l4.encap_unread == tc->kind;
		ck_assert_int_ne(l4.status, DT_L4_MALFORMED);
	}
	pcap_close(p);
	net_free(n);
	ck_assert_msg(total == tc->packets, "%s: %u packets", tc->file, total);
	ck_assert_msg(tcp == tc->tcp, "%s: %u TCP", tc->file, tcp);
	ck_assert_msg(tun + unread == tc->tunnelled && unread == tc->unread,
	    "%s: %u through %s, %u of them not decoded", tc->file, tun + unread,
	    dt_encap_name(tc->kind), unread);
}
END_TEST

START_TEST(test_corpus)
{
	if (!tu_exists(CORPUS_DIR)) {
		fprintf(stderr, "test_corpus: %s absent, skipped\n", CORPUS_DIR);
		return;
	}
	memset(&cs, 0, sizeof cs);
	ck_assert_int_eq(nftw(CORPUS_DIR, corpus_visit, 16, FTW_PHYS), 0);
	ck_assert_msg(cs.malformed == 0, "%u malformed; first: %s",
	    cs.malformed, cs.first_bad);
	ck_assert_uint_gt(cs.files, 40);
	ck_assert_uint_gt(cs.tcp, cs.packets / 2);
}
END_TEST

/* Every packet of pppoe-over-qinq is TCP, and the TCP and UDP counts of
 * captures of every link type in the corpus match what tshark 4 says
 * (`tshark -Y tcp` / `-Y udp`, counted once, not fed to the test). */
static const struct corpus_count {
	const char *path;
	unsigned packets, tcp, udp;
} corpus_counts[] = {
	{ "zeek/testing/btest/Traces/pppoe-over-qinq.pcap", 86, 86, 0 },
	{ "arkime/tests/pcap/pppoe.pcap", 10, 10, 0 },
	{ "arkime/tests/pcap/twovlan.pcap", 6, 6, 0 },
	{ "arkime/tests/pcap/ssl-selfsign.pcap", 20, 20, 0 },
	{ "arkime/tests/pcap/tls13.pcap", 6, 6, 0 },
	{ "PcapPlusPlus/Tests/Pcap++Test/PcapExamples/sll2.pcap", 3, 3, 0 },
	{ "PcapPlusPlus/Tests/Pcap++Test/PcapExamples/null_loopback.pcap", 3,
	    1, 2 },
	{ "PcapPlusPlus/Tests/Pcap++Test/PcapExamples/raw_ip.pcap", 100, 92,
	    8 },
	{ "suricata-verify/tests/linktype-228/flow-test-01.pcap", 7, 7, 0 },
	{ "suricata-verify/tests/tls/tls-pre-1970/input.pcap", 17, 17, 0 },
	{ "nDPI/tests/cfgs/default/pcap/dlt_ppp.pcap", 1, 0, 1 },
	{ "nDPI/tests/cfgs/default/pcap/KakaoTalk_chat.pcap", 347, 310, 36 },
	{ "nDPI/tests/cfgs/default/pcap/http_ipv6.pcap", 193, 128, 65 },
	{ "zeek/testing/btest/Traces/tls/openjdk-25.0.2-zeek.org.pcap", 6, 6,
	    0 },
};

START_TEST(test_corpus_counts)
{
	const struct corpus_count *cc = &corpus_counts[_i];
	char path[512];
	unsigned total = 0, bad = 0;
	int tcp;

	memset(&cs, 0, sizeof cs);
	snprintf(path, sizeof path, "%s/%s", CORPUS_DIR, cc->path);
	if (!tu_exists(path)) {
		fprintf(stderr, "%s absent, skipped\n", path);
		return;
	}
	tcp = corpus_file(path, &total, &bad);
	ck_assert_int_ge(tcp, 0);
	ck_assert_msg(total == cc->packets, "%s: %u packets", cc->path, total);
	ck_assert_msg((unsigned)tcp == cc->tcp, "%s: %d TCP", cc->path, tcp);
	ck_assert_msg(cs.udp == cc->udp, "%s: %u UDP", cc->path, cs.udp);
	ck_assert_uint_eq(bad, 0);
}
END_TEST

/* A PPPoE frame whose IP total length also covers the Ethernet padding
   (seen in real PPPoE captures): the PPPoE length is the wire truth, so the
   padding is no payload and nothing was cut - unless the record itself says
   the snapshot length cut it. */
START_TEST(test_pppoe_length_below_ip_length)
{
	static const uint8_t f[] = { MAC12, 0x88, 0x64, 0x11, 0x00, 0x0f, 0x07,
		0x00, 0x2a, 0x00, 0x21,
		0x45, 0x00, 0x00, 0x2e, 0x1c, 0x46, 0x40, 0x00, 0xef, 0x06,
		0x00, 0x00, 0x02, 0x02, 0x02, 0x02, 0x01, 0x01, 0x01, 0x01,
		0x01, 0xbb, 0x4f, 0xaa, 0, 0, 0, 1, 0, 0, 0, 2, 0x50, 0x10,
		0x08, 0x62, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0 };
	struct dt_net *n = net_new(0);
	struct dt_packet pkt;
	struct dt_l4 l4 = decode(n, 1, f, sizeof f);

	ck_assert_int_eq(l4.status, DT_L4_TCP);
	ck_assert_uint_eq(l4.caplen, 0);
	ck_assert_uint_eq(l4.paylen, 0);
	memset(&pkt, 0, sizeof pkt);
	pkt.linktype = 1;
	pkt.data = f;
	pkt.caplen = sizeof f;
	pkt.origlen = sizeof f + 100;	/* the record says it was cut */
	dt_net_decode(n, &pkt, &l4);
	ck_assert_int_eq(l4.status, DT_L4_TCP);
	ck_assert_uint_eq(l4.paylen, 6);
	net_free(n);
}
END_TEST

static Suite *
net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_link_types, 0,
	    (int)(sizeof link_cases / sizeof link_cases[0]));
	tcase_add_test(tc, test_not_ip_and_unsupported);
	tcase_add_test(tc, test_wifi_not_decoded);
	tcase_add_test(tc, test_pppoe_length_below_ip_length);
	tcase_add_test(tc, test_ip4_options_and_lengths);
	tcase_add_test(tc, test_ip4_other_proto);
	tcase_add_test(tc, test_ip6_extension_headers);
	tcase_add_test(tc, test_tcp_options);
	tcase_add_test(tc, test_udp);
	tcase_add_loop_test(tc, test_truncated_every_byte, 0,
	    (int)(sizeof trunc_cases / sizeof trunc_cases[0]));
	tcase_add_loop_test(tc, test_frag4_orders, 0,
	    (int)(sizeof frag_orders / sizeof frag_orders[0]));
	tcase_add_test(tc, test_frag4_overlap_first_wins);
	tcase_add_test(tc, test_frag4_missing_times_out);
	tcase_add_test(tc, test_frag4_extreme_times);
	tcase_add_test(tc, test_frag4_byte_cap);
	tcase_add_test(tc, test_frag4_count_cap);
	tcase_add_test(tc, test_frag4_inconsistent);
	tcase_add_test(tc, test_frag4_buffer_lifetime);
	tcase_add_test(tc, test_alloc_failure);
	tcase_add_test(tc, test_frag6);
	tcase_add_test(tc, test_tunnel_ip);
	tcase_add_test(tc, test_tunnel_udp);
	tcase_add_test(tc, test_tunnel_depth_and_truncation);
	tcase_add_loop_test(tc, test_tunnel_captures, 0,
	    sizeof tunnel_counts / sizeof tunnel_counts[0]);
	tcase_add_test(tc, test_corpus);
	tcase_add_loop_test(tc, test_corpus_counts, 0,
	    (int)(sizeof corpus_counts / sizeof corpus_counts[0]));
	suite_add_tcase(s, tc);
	return s;
}

TU_MAIN(net_suite)
