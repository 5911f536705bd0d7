/*
 * Link layers, IPv4 (RFC 791), IPv6 (RFC 8200), TCP (RFC 9293) and UDP
 * (RFC 768) headers into a struct dt_l4 view. Link layers are a table of
 * {linktype, decoder} as in tcpdump's printers[] (values from the tcpdump.org
 * link-layer header types list); each decoder leaves the reader at the
 * network header and says which network protocol follows. Ethernet carries
 * 802.1Q / 802.1ad / QinQ tags (IEEE 802.1Q), PPPoE sessions (RFC 2516),
 * 802.2 SNAP and MPLS (RFC 3032). The IP length fields, not the captured
 * length, bound what follows (an Ethernet FCS or padding is not payload);
 * captured bytes bound what is read. Every read goes through struct rd and
 * nothing allocates here except IP reassembly (ipfrag.c).
 */
#include "net/net.h"

#include <string.h>

#include "datrace.h"
#include "net/encap.h"
#include "net/ipfrag.h"
#include "net/wifi.h"
#include "util/rd.h"

#define NET_MAX_TAGS	8	/* VLAN tags, MPLS labels, PPPoE: per frame */
#define NET_MAX_EXT	16	/* IPv6 extension headers per packet */

/* What follows the link header. */
enum l3 {
	L3_DONE = 0,		/* out->status is set */
	L3_IP4,
	L3_IP6,
	L3_NOT_IP,
};

typedef int (*link_fn)(struct rd *, struct dt_l4 *);

struct dt_net {
	struct dt_mem *m;
	struct ipfrag frag;
	int cached_linktype;	/* last link type looked up */
	link_fn cached_fn;	/* its decoder, NULL: unsupported */
	int cache_valid;
	unsigned depth;		/* tunnels entered in the current packet */
};

static void ip4(struct dt_net *, struct rd, int64_t, struct dt_l4 *);
static void ip6(struct dt_net *, struct rd, int64_t, struct dt_l4 *);

static int
fail(struct dt_l4 *out, int status, const char *reason)
{
	out->status = status;
	out->reason = reason;
	return L3_DONE;
}

static int
truncated(struct dt_l4 *out, const char *reason)
{
	return fail(out, DT_L4_TRUNCATED, reason);
}

static int
malformed(struct dt_l4 *out, const char *reason)
{
	return fail(out, DT_L4_MALFORMED, reason);
}

/* Shrink a reader to at most len bytes (padding, FCS, trailers). */
static void
rd_limit(struct rd *r, size_t len)
{
	if (len < r->n)
		r->n = len;
}

/* The first byte without consuming it (0 when there is none). */
static uint8_t
rd_peek8(const struct rd *r)
{
	struct rd t = *r;

	return rd_u8(&t);
}

/* ---- link layers -------------------------------------------------------- */

#define ETHERTYPE_IP		0x0800
#define ETHERTYPE_IPV6		0x86dd
#define ETHERTYPE_8021Q		0x8100
#define ETHERTYPE_8021AD	0x88a8
#define ETHERTYPE_QINQ_OLD	0x9100
#define ETHERTYPE_PPPOE_SESS	0x8864
#define ETHERTYPE_MPLS		0x8847
#define ETHERTYPE_MPLS_MC	0x8848

static int ethertype(struct rd *, uint16_t, struct dt_l4 *);

/* RFC 1661 2: the protocol field, one byte when compressed (RFC 1661 6.5:
 * the low bit of the last byte is set). */
static int
ppp_proto(struct rd *r, struct dt_l4 *out)
{
	uint16_t proto;

	if (r->n < 1)
		return truncated(out, "PPP protocol cut by snaplen");
	proto = rd_u8(r);
	if ((proto & 1) == 0) {
		if (r->n < 1)
			return truncated(out, "PPP protocol cut by snaplen");
		proto = (uint16_t)(proto << 8 | rd_u8(r));
	}
	if (proto == 0x0021)
		return L3_IP4;
	if (proto == 0x0057)
		return L3_IP6;
	return L3_NOT_IP;
}

/* RFC 2516 4: ver/type 0x11, code 0, session id, length, then PPP. */
static int
pppoe_session(struct rd *r, struct dt_l4 *out)
{
	uint8_t vt, code;
	uint16_t len;

	if (r->n < 6)
		return truncated(out, "PPPoE header cut by snaplen");
	vt = rd_u8(r);
	code = rd_u8(r);
	rd_skip(r, 2);
	len = rd_u16(r);
	if (vt != 0x11 || code != 0)
		return malformed(out,
		    "PPPoE session header is not version 1 type 1 code 0");
	rd_limit(r, len);
	return ppp_proto(r, out);
}

/* RFC 3032 2.1: label stack entries until bottom of stack, then IP by its
 * version nibble (an Ethernet pseudowire is not looked into). */
static int
mpls(struct rd *r, struct dt_l4 *out)
{
	unsigned depth;
	uint8_t v;

	for (depth = 0; depth < NET_MAX_TAGS; depth++) {
		uint32_t entry;

		if (r->n < 4)
			return truncated(out, "MPLS label cut by snaplen");
		entry = rd_u32(r);
		if (entry & 0x100)
			break;
	}
	if (depth == NET_MAX_TAGS)
		return malformed(out, "MPLS label stack too deep");
	if (r->n < 1)
		return truncated(out, "MPLS payload cut by snaplen");
	v = rd_peek8(r) >> 4;
	return v == 4 ? L3_IP4 : v == 6 ? L3_IP6 : L3_NOT_IP;
}

/* An EtherType, after any number of VLAN tags (up to NET_MAX_TAGS). */
static int
ethertype(struct rd *r, uint16_t type, struct dt_l4 *out)
{
	unsigned depth;

	for (depth = 0; depth < NET_MAX_TAGS; depth++) {
		switch (type) {
		case ETHERTYPE_IP:
			return L3_IP4;
		case ETHERTYPE_IPV6:
			return L3_IP6;
		case ETHERTYPE_8021Q:
		case ETHERTYPE_8021AD:
		case ETHERTYPE_QINQ_OLD:
			if (r->n < 4)
				return truncated(out, "VLAN tag cut by snaplen");
			rd_skip(r, 2);
			type = rd_u16(r);
			break;
		case ETHERTYPE_PPPOE_SESS:
			return pppoe_session(r, out);
		case ETHERTYPE_MPLS:
		case ETHERTYPE_MPLS_MC:
			return mpls(r, out);
		default:
			return L3_NOT_IP;
		}
	}
	return malformed(out, "more than 8 VLAN tags");
}

/* IEEE 802.3: a type, or a length followed by 802.2 LLC (SNAP carries a
 * type again). */
static int
link_ether(struct rd *r, struct dt_l4 *out)
{
	uint16_t type;

	if (r->n < 14)
		return truncated(out, "Ethernet header cut by snaplen");
	rd_skip(r, 12);
	type = rd_u16(r);
	if (type < 0x0600) {
		uint8_t dsap, ssap, ctl;

		rd_limit(r, type);
		if (r->n < 3)
			return truncated(out, "802.2 LLC header cut by snaplen");
		dsap = rd_u8(r);
		ssap = rd_u8(r);
		ctl = rd_u8(r);
		if (dsap != 0xaa || ssap != 0xaa || ctl != 0x03)
			return L3_NOT_IP;
		if (r->n < 5)
			return truncated(out, "SNAP header cut by snaplen");
		rd_skip(r, 3);
		type = rd_u16(r);
	}
	return ethertype(r, type, out);
}

/* Linux cooked capture v1: 16 bytes, protocol at 14. */
static int
link_sll(struct rd *r, struct dt_l4 *out)
{
	uint16_t proto;

	if (r->n < 16)
		return truncated(out, "Linux SLL header cut by snaplen");
	rd_skip(r, 14);
	proto = rd_u16(r);
	if (proto < 0x0600)	/* LINUX_SLL_P_*: 802.2, CAN, ... */
		return L3_NOT_IP;
	return ethertype(r, proto, out);
}

/* Linux cooked capture v2: 20 bytes, protocol first. */
static int
link_sll2(struct rd *r, struct dt_l4 *out)
{
	uint16_t proto;

	if (r->n < 20)
		return truncated(out, "Linux SLL2 header cut by snaplen");
	proto = rd_u16(r);
	rd_skip(r, 18);
	if (proto < 0x0600)
		return L3_NOT_IP;
	return ethertype(r, proto, out);
}

static int
link_raw(struct rd *r, struct dt_l4 *out)
{
	uint8_t v;

	if (r->n < 1)
		return truncated(out, "raw IP packet is empty");
	v = rd_peek8(r) >> 4;
	if (v == 4)
		return L3_IP4;
	if (v == 6)
		return L3_IP6;
	return malformed(out, "raw IP version is neither 4 nor 6");
}

static int
link_ipv4(struct rd *r, struct dt_l4 *out)
{
	return L3_IP4;
}

static int
link_ipv6(struct rd *r, struct dt_l4 *out)
{
	return L3_IP6;
}

/* Address families in BSD NULL / LOOP headers. IPv6 differs per system:
 * 24 NetBSD/OpenBSD, 28 FreeBSD, 30 Darwin, 23 Windows (Npcap loopback),
 * 10 Linux. */
static const struct {
	uint32_t af;
	int l3;
} loop_families[] = {
	{ 2, L3_IP4 },
	{ 10, L3_IP6 },
	{ 23, L3_IP6 },
	{ 24, L3_IP6 },
	{ 28, L3_IP6 },
	{ 30, L3_IP6 },
};

static int
loop_family(uint32_t af)
{
	size_t i;

	for (i = 0; i < sizeof loop_families / sizeof loop_families[0]; i++)
		if (loop_families[i].af == af)
			return loop_families[i].l3;
	return L3_NOT_IP;
}

/* BSD NULL: the family in the writer's byte order; a family fits in 16
 * bits, so a value above that was written the other way round. Some
 * writers put an EtherType in the last two bytes instead (Cisco HDLC-like
 * 0f 00 08 00, as Wireshark's packet-null.c accepts). */
static int
link_null(struct rd *r, struct dt_l4 *out)
{
	struct rd t = *r;
	uint32_t le, be;
	int l3;

	if (r->n < 4)
		return truncated(out, "NULL header cut by snaplen");
	le = rd_u32le(r);
	be = rd_u32(&t);
	l3 = loop_family(le > 0xffff ? be : le);
	if (l3 == L3_NOT_IP && (be & 0xffff) >= 0x0600)
		return ethertype(r, (uint16_t)(be & 0xffff), out);
	return l3;
}

/* OpenBSD LOOP: the family in network byte order. */
static int
link_loop(struct rd *r, struct dt_l4 *out)
{
	if (r->n < 4)
		return truncated(out, "LOOP header cut by snaplen");
	return loop_family(rd_u32(r));
}

/* Cisco HDLC: address, control, then an EtherType. */
static int
link_chdlc(struct rd *r, struct dt_l4 *out)
{
	if (r->n < 4)
		return truncated(out, "Cisco HDLC header cut by snaplen");
	rd_skip(r, 2);
	return ethertype(r, rd_u16(r), out);
}

/* PPP, with the RFC 1662 address/control bytes 0xff 0x03 when present;
 * PPP_HDLC (50) may also hold Cisco HDLC (address 0x0f or 0x8f). */
static int
link_ppp(struct rd *r, struct dt_l4 *out)
{
	struct rd t = *r;
	uint8_t a, c;

	if (r->n < 1)
		return truncated(out, "PPP header cut by snaplen");
	a = rd_u8(&t);
	c = rd_u8(&t);
	if (a == 0x0f || a == 0x8f)
		return link_chdlc(r, out);
	if (a == 0xff && r->n < 2)
		return truncated(out, "PPP header cut by snaplen");
	if (a == 0xff && c == 0x03)
		rd_skip(r, 2);
	return ppp_proto(r, out);
}

/* 802.11, radiotap, PPI (wifi.c): down to the EtherType. A protected
   data frame is counted apart (DT_L4_PROTECTED_80211), not decoded. */
static int
link_wifi(struct rd *r, int linktype, struct dt_l4 *out)
{
	const char *why;
	int type = dt_wifi_ethertype(r, linktype, &why);

	if (type > 0)
		return ethertype(r, (uint16_t)type, out);
	if (type == DT_WIFI_TRUNCATED)
		return truncated(out, why);
	if (type == DT_WIFI_MALFORMED)
		return malformed(out, why);
	if (type == DT_WIFI_PROTECTED)
		return fail(out, DT_L4_PROTECTED_80211, "802.11 data frame "
		    "protected (encrypted on the air)");
	return L3_NOT_IP;
}

static int
link_80211(struct rd *r, struct dt_l4 *out)
{
	return link_wifi(r, 105, out);
}

static int
link_radiotap(struct rd *r, struct dt_l4 *out)
{
	return link_wifi(r, 127, out);
}

static int
link_ppi(struct rd *r, struct dt_l4 *out)
{
	return link_wifi(r, 192, out);
}

/* PPPoE without its Ethernet header (LINKTYPE_PPP_ETHER). */
static int
link_pppoe(struct rd *r, struct dt_l4 *out)
{
	return pppoe_session(r, out);
}

static const struct {
	int linktype;
	link_fn decode;
} links[] = {
	{ 0, link_null },	/* NULL */
	{ 1, link_ether },	/* ETHERNET */
	{ 9, link_ppp },	/* PPP */
	{ 12, link_raw },	/* DLT_RAW on most systems */
	{ 14, link_raw },	/* DLT_RAW on OpenBSD */
	{ 50, link_ppp },	/* PPP_HDLC */
	{ 51, link_pppoe },	/* PPP_ETHER */
	{ 101, link_raw },	/* RAW */
	{ 104, link_chdlc },	/* C_HDLC */
	{ 105, link_80211 },	/* IEEE802_11 */
	{ 108, link_loop },	/* LOOP */
	{ 113, link_sll },	/* LINUX_SLL */
	{ 127, link_radiotap },	/* IEEE802_11_RADIOTAP */
	{ 192, link_ppi },	/* PPI */
	{ 228, link_ipv4 },	/* IPV4 */
	{ 229, link_ipv6 },	/* IPV6 */
	{ 276, link_sll2 },	/* LINUX_SLL2 */
};

static link_fn
link_lookup(int linktype)
{
	size_t i;

	for (i = 0; i < sizeof links / sizeof links[0]; i++)
		if (links[i].linktype == linktype)
			return links[i].decode;
	return NULL;
}

int
dt_net_linktype_supported(int linktype)
{
	return link_lookup(linktype) != NULL;
}

/* ---- transport ---------------------------------------------------------- */

/* RFC 9293 3.2: options are kind, or kind + length; a length that does
 * not fit ends option parsing, not the segment. */
static void
tcp_options(struct rd o, struct dt_l4 *out)
{
	while (o.n > 0) {
		uint8_t kind = rd_u8(&o), len;
		struct rd body;

		if (kind == 0)		/* end of option list */
			break;
		if (kind == 1)		/* no-operation */
			continue;
		if (o.n < 1)
			break;
		len = rd_u8(&o);
		if (len < 2 || (size_t)(len - 2) > o.n)
			break;
		body = rd_sub(&o, (size_t)len - 2);
		if (kind == 2 && len == 4)
			out->mss = rd_u16(&body);
		else if (kind == 3 && len == 3)
			out->wscale = rd_u8(&body);
		else if (kind == 4 && len == 2)
			out->sack_ok = 1;
	}
}

/* r: the bytes present; len: the segment length the IP header gives. */
static void
tcp(struct rd r, uint32_t len, struct dt_l4 *out)
{
	uint16_t offflags;
	uint32_t hlen;

	if (len < 20) {
		malformed(out, "TCP segment shorter than 20 bytes");
		return;
	}
	if (r.n < 20) {
		truncated(out, "TCP header cut by snaplen");
		return;
	}
	out->sport = rd_u16(&r);
	out->dport = rd_u16(&r);
	out->seq = rd_u32(&r);
	out->ack = rd_u32(&r);
	offflags = rd_u16(&r);
	out->flags = (uint8_t)(offflags & 0xff);
	out->window = rd_u16(&r);
	rd_skip(&r, 4);		/* checksum, urgent pointer */
	hlen = (uint32_t)(offflags >> 12) * 4;
	if (hlen < 20) {
		malformed(out, "TCP data offset < 5");
		return;
	}
	if (hlen > len) {
		malformed(out, "TCP data offset past the segment");
		return;
	}
	if (hlen - 20 > r.n) {
		truncated(out, "TCP options cut by snaplen");
		return;
	}
	tcp_options(rd_sub(&r, hlen - 20), out);
	out->status = DT_L4_TCP;
	out->payload = r.p;
	out->caplen = (uint32_t)r.n;
	out->paylen = len - hlen;
}

static void
udp(struct rd r, uint32_t len, struct dt_l4 *out)
{
	uint16_t ulen;

	if (len < 8) {
		malformed(out, "UDP datagram shorter than 8 bytes");
		return;
	}
	if (r.n < 8) {
		truncated(out, "UDP header cut by snaplen");
		return;
	}
	out->sport = rd_u16(&r);
	out->dport = rd_u16(&r);
	ulen = rd_u16(&r);
	rd_skip(&r, 2);		/* checksum */
	if (ulen == 0)		/* RFC 2675 jumbogram, or offload */
		ulen = len > 0xffff ? 0xffff : (uint16_t)len;
	if (ulen < 8) {
		malformed(out, "UDP length < 8");
		return;
	}
	if (ulen > len) {
		malformed(out, "UDP length past the IP payload");
		return;
	}
	rd_limit(&r, ulen - 8u);
	out->status = DT_L4_UDP;
	out->payload = r.p;
	out->caplen = (uint32_t)r.n;
	out->paylen = ulen - 8u;
}

/*
 * The packet a tunnel carries, decoded into *out over the outer view. When
 * the tunnel holds nothing we read, the outer view stays: for IP tunnels a
 * packet of that protocol (DT_L4_OTHER_IP), for UDP ones the datagram.
 */
static void
inner(struct dt_net *n, struct rd r, int what, int kind, int64_t now,
    struct dt_l4 *out)
{
	struct dt_l4 outer = *out;
	int l3 = L3_NOT_IP;

	if (what == DT_INNER_NONE || n->depth >= DT_NET_MAX_ENCAP) {
		out->encap_unread = (uint8_t)kind;	/* NONE: no tunnel */
		return;
	}
	n->depth++;
	if (what == DT_INNER_ETHER &&
	    (l3 = link_ether(&r, out)) == L3_NOT_IP)
		out->status = DT_L4_NOT_IP;	/* ARP, LLDP: not decoded */
	if (what == DT_INNER_IP4 || l3 == L3_IP4)
		ip4(n, r, now, out);
	else if (what == DT_INNER_IP6 || l3 == L3_IP6)
		ip6(n, r, now, out);
	if (out->status == DT_L4_NOT_IP || out->status == 0 ||
	    ((out->status == DT_L4_MALFORMED ||
	    out->status == DT_L4_TRUNCATED) && outer.status == DT_L4_UDP)) {
		/* a bridged frame that is not IP (ARP in VXLAN), or a
		   datagram that only looked like a tunnel: the outer view is
		   the truth, the tunnel counted as one we did not read */
		*out = outer;
		out->encap_unread = (uint8_t)kind;
		return;
	}
	if (kind == DT_ENCAP_6IN4 && out->src.family == 6) {
		const uint8_t *s = out->src.a, *d = out->dst.a;

		if ((s[0] == 0x20 && s[1] == 0x02) ||
		    (d[0] == 0x20 && d[1] == 0x02))
			kind = DT_ENCAP_6TO4;
		else if (((s[8] | 2) == 2 && s[9] == 0 && s[10] == 0x5e &&
		    s[11] == 0xfe) || ((d[8] | 2) == 2 && d[9] == 0 &&
		    d[10] == 0x5e && d[11] == 0xfe))
			kind = DT_ENCAP_ISATAP;
	}
	/* the innermost tunnel is decoded last; outermost first in the list */
	if (out->n_encap < DT_NET_MAX_ENCAP) {
		memmove(out->encaps + 1, out->encaps, out->n_encap);
		out->encaps[0] = (uint8_t)kind;
		out->n_encap++;
	}
	if (out->n_encap == 1) {	/* the innermost: it completes first */
		out->tun_src = outer.src;
		out->tun_dst = outer.dst;
		out->tun_sport = outer.status == DT_L4_UDP ? outer.sport : 0;
		out->tun_dport = outer.status == DT_L4_UDP ? outer.dport : 0;
	}
}

static void
transport(struct dt_net *n, struct rd r, uint32_t len, uint8_t proto,
    int64_t now, struct dt_l4 *out)
{
	int kind, what;

	out->proto = proto;
	if (proto == 6) {
		tcp(r, len, out);
		return;
	}
	if (proto == 17) {
		udp(r, len, out);
		if (out->status == DT_L4_UDP && out->caplen == out->paylen) {
			struct rd u = rd_make(out->payload, out->caplen);

			what = dt_encap_udp(out->sport, out->dport, &u, &kind);
			inner(n, u, what, kind, now, out);
		}
		return;
	}
	out->status = DT_L4_OTHER_IP;
	out->payload = r.p;
	out->caplen = (uint32_t)r.n;
	out->paylen = len;
	if (proto == 4 || proto == 41 || proto == 47) {
		rd_limit(&r, len);
		what = dt_encap_ip(proto, out->src.family, &r, &kind);
		inner(n, r, what, kind, now, out);
	}
}

/* A fragment went to reassembly: held, dropped or complete. Returns 1 with
 * *r and *len over the datagram when complete. */
static int
reassembled(int res, const uint8_t *buf, uint32_t blen,
    const char *why, struct rd *r, uint32_t *len, struct dt_l4 *out)
{
	switch (res) {
	case IPFRAG_DONE:
		*r = rd_make(buf, blen);
		*len = blen;
		out->fragmented = 1;
		return 1;
	case IPFRAG_BAD:
		malformed(out, why);
		return 0;
	case IPFRAG_HELD:
		out->status = DT_L4_FRAGMENT;
		return 0;
	default:
		out->status = DT_L4_FRAGMENT;
		out->reason = "IP fragment dropped: reassembly limits";
		return 0;
	}
}

/* ---- IPv4 --------------------------------------------------------------- */

static const char *const ip4_short_ihl[5] = {
	"IPv4 header length 0 < 5",
	"IPv4 header length 1 < 5",
	"IPv4 header length 2 < 5",
	"IPv4 header length 3 < 5",
	"IPv4 header length 4 < 5",
};

/* RFC 791 3.1. */
static void
ip4(struct dt_net *n, struct rd r, int64_t now, struct dt_l4 *out)
{
	uint8_t vihl, proto;
	uint16_t tot, id, fragw;
	uint32_t hlen, len, off;

	if (r.n < 20) {
		truncated(out, "IPv4 header cut by snaplen");
		return;
	}
	vihl = rd_u8(&r);
	if (vihl >> 4 != 4) {
		malformed(out, "IPv4 version is not 4");
		return;
	}
	if ((vihl & 15) < 5) {
		malformed(out, ip4_short_ihl[vihl & 15]);
		return;
	}
	hlen = (uint32_t)(vihl & 15) * 4;
	rd_skip(&r, 1);		/* DSCP, ECN */
	tot = rd_u16(&r);
	id = rd_u16(&r);
	fragw = rd_u16(&r);
	out->ttl = rd_u8(&r);
	proto = rd_u8(&r);
	out->proto = proto;
	rd_skip(&r, 2);		/* checksum */
	out->src.family = out->dst.family = 4;
	rd_copy(&r, out->src.a, 4);
	rd_copy(&r, out->dst.a, 4);
	if (hlen - 20 > r.n) {
		truncated(out, "IPv4 options cut by snaplen");
		return;
	}
	rd_skip(&r, hlen - 20);
	if (tot == 0) {
		/* Segmentation offload: the sender's capture shows a
		   packet larger than any length field could hold. */
		len = (uint32_t)(r.n > 0xffff ? 0xffff : r.n);
	} else if (tot < hlen) {
		malformed(out, "IPv4 total length shorter than its header");
		return;
	} else {
		len = tot - hlen;
	}
	rd_limit(&r, len);

	off = (uint32_t)(fragw & 0x1fff) * 8;
	if ((fragw & 0x2000) || off != 0) {
		struct ipfrag_key k;
		const uint8_t *buf = NULL;
		uint32_t blen = 0;
		uint8_t nh;
		const char *why;
		int res;

		if (out->fragmented) {
			malformed(out, "IPv4 fragment inside a reassembled "
			    "datagram");
			return;
		}
		if (r.n < len) {
			truncated(out, "IPv4 fragment cut by snaplen");
			return;
		}
		memset(&k, 0, sizeof k);
		k.family = 4;
		k.proto = proto;
		k.id = id;
		memcpy(k.src, out->src.a, 4);
		memcpy(k.dst, out->dst.a, 4);
		res = ipfrag_add(&n->frag, &k, now, off, r.p, len,
		    (fragw & 0x2000) != 0, 0, &buf, &blen, &nh, &why);
		if (!reassembled(res, buf, blen, why, &r, &len, out))
			return;
	}
	transport(n, r, len, proto, now, out);
}

/* ---- IPv6 --------------------------------------------------------------- */

/* Is a header of `need` bytes there? Past the payload length it is
 * malformed, past the captured bytes truncated. */
static int
ext_fits(const struct rd *r, uint32_t len, uint32_t need, struct dt_l4 *out)
{
	if (need > len) {
		malformed(out, "IPv6 extension header past the payload");
		return 0;
	}
	if (need > r->n) {
		truncated(out, "IPv6 extension header cut by snaplen");
		return 0;
	}
	return 1;
}

/* RFC 8200 4: walk the extension headers to the upper layer. */
static void
ip6_chain(struct dt_net *n, struct rd r, uint32_t len, uint8_t nh,
    int64_t now, struct dt_l4 *out)
{
	unsigned depth;

	for (depth = 0; depth < NET_MAX_EXT; depth++) {
		struct rd t = r;
		uint32_t hlen;
		uint8_t next;

		switch (nh) {
		case 0:		/* hop-by-hop options */
		case 43:	/* routing */
		case 60:	/* destination options */
		case 51:	/* AH, RFC 4302 2.2: length in 4-byte units - 2 */
			if (!ext_fits(&r, len, 2, out))
				return;
			next = rd_u8(&t);
			hlen = rd_u8(&t);
			hlen = nh == 51 ? (hlen + 2) * 4 : (hlen + 1) * 8;
			if (!ext_fits(&r, len, hlen, out))
				return;
			rd_skip(&r, hlen);
			len -= hlen;
			nh = next;
			break;
		case 44: {	/* fragment */
			struct ipfrag_key k;
			const uint8_t *buf = NULL;
			uint32_t blen = 0, id;
			uint16_t offw;
			const char *why;
			int res;

			if (!ext_fits(&r, len, 8, out))
				return;
			next = rd_u8(&r);
			rd_skip(&r, 1);
			offw = rd_u16(&r);
			id = rd_u32(&r);
			len -= 8;
			if ((offw & 0xfff8) == 0 && (offw & 1) == 0) {
				nh = next;	/* atomic fragment, RFC 6946 */
				break;
			}
			if (out->fragmented) {
				malformed(out, "IPv6 fragment inside a "
				    "reassembled datagram");
				return;
			}
			if (r.n < len) {
				truncated(out, "IPv6 fragment cut by snaplen");
				return;
			}
			memset(&k, 0, sizeof k);
			k.family = 6;
			k.id = id;
			memcpy(k.src, out->src.a, 16);
			memcpy(k.dst, out->dst.a, 16);
			res = ipfrag_add(&n->frag, &k, now, offw & 0xfff8, r.p,
			    len, offw & 1, next, &buf, &blen, &nh, &why);
			if (!reassembled(res, buf, blen, why, &r, &len, out)) {
				out->proto = next;
				return;
			}
			break;
		}
		case 59:	/* no next header */
			out->proto = 59;
			out->status = DT_L4_OTHER_IP;
			out->payload = r.p;
			out->caplen = 0;
			out->paylen = 0;
			return;
		default:
			transport(n, r, len, nh, now, out);
			return;
		}
	}
	malformed(out, "IPv6 extension header chain too long");
}

/* RFC 8200 3. */
static void
ip6(struct dt_net *n, struct rd r, int64_t now, struct dt_l4 *out)
{
	uint32_t vtcfl, len;
	uint8_t nh;

	if (r.n < 40) {
		truncated(out, "IPv6 header cut by snaplen");
		return;
	}
	vtcfl = rd_u32(&r);
	if (vtcfl >> 28 != 6) {
		malformed(out, "IPv6 version is not 6");
		return;
	}
	len = rd_u16(&r);
	nh = rd_u8(&r);
	out->ttl = rd_u8(&r);
	out->proto = nh;
	out->src.family = out->dst.family = 6;
	rd_copy(&r, out->src.a, 16);
	rd_copy(&r, out->dst.a, 16);
	if (len == 0 && nh != 59)	/* jumbogram or segmentation offload */
		len = (uint32_t)(r.n > 0xffffffffu ? 0xffffffffu : r.n);
	rd_limit(&r, len);
	ip6_chain(n, r, len, nh, now, out);
}

/* ---- the door ----------------------------------------------------------- */

int
dt_net_new(struct dt_net **out, struct dt_mem *m, size_t frag_cap)
{
	struct dt_net *n;

	*out = NULL;
	if ((n = dt_malloc(m, sizeof *n)) == NULL)
		return DT_ENOMEM;
	memset(n, 0, sizeof *n);
	n->m = m;
	ipfrag_init(&n->frag, m, frag_cap ? frag_cap : DT_NET_FRAG_CAP);
	*out = n;
	return 0;
}

void
dt_net_free(struct dt_net *n)
{
	if (n == NULL)
		return;
	ipfrag_fini(&n->frag);
	dt_free(n->m, n);
}

uint64_t
dt_net_fragments_dropped(const struct dt_net *n)
{
	return n->frag.dropped;
}

void
dt_net_decode(struct dt_net *n, const struct dt_packet *pkt,
    struct dt_l4 *out)
{
	struct rd r;
	int l3;

	memset(out, 0, sizeof *out);
	out->wscale = 0xff;
	n->depth = 0;
	if (n->frag.head != NULL || n->frag.done != NULL)
		ipfrag_tick(&n->frag, pkt->time);
	if (!n->cache_valid || n->cached_linktype != pkt->linktype) {
		n->cached_fn = link_lookup(pkt->linktype);
		n->cached_linktype = pkt->linktype;
		n->cache_valid = 1;
	}
	if (n->cached_fn == NULL) {
		fail(out, DT_L4_UNSUPPORTED_LINK, "link type not supported");
		return;
	}
	r = rd_make(pkt->data, pkt->caplen);
	l3 = n->cached_fn(&r, out);
	if (l3 == L3_IP4)
		ip4(n, r, pkt->time, out);
	else if (l3 == L3_IP6)
		ip6(n, r, pkt->time, out);
	else if (l3 == L3_NOT_IP)
		out->status = DT_L4_NOT_IP;
	/*
	 * Payload the IP header claims but the frame does not hold was only
	 * cut by the snapshot length when the record says so (caplen <
	 * origlen). Otherwise a link-layer length (PPPoE, 802.3) bounded the
	 * datagram below a wrong IP total length - seen in PPPoE captures
	 * whose padding the IP length covers - and the bytes were never on
	 * the wire: no gap, nothing truncated.
	 */
	if ((out->status == DT_L4_TCP || out->status == DT_L4_UDP) &&
	    out->paylen > out->caplen && pkt->caplen >= pkt->origlen &&
	    !out->fragmented)
		out->paylen = out->caplen;
}
