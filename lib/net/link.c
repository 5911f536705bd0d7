/*
 * net/link: link layers up to the network header, a table of {linktype,
 * decoder} as in tcpdump's printers[] (values from the tcpdump.org
 * link-layer header types list); each decoder leaves the reader at the
 * network header and says which network protocol follows. Ethernet carries
 * 802.1Q / 802.1ad / QinQ tags (IEEE 802.1Q), PPPoE sessions (RFC 2516),
 * 802.2 SNAP and MPLS (RFC 3032); 802.11 is wifi.c's.
 */
#include "net/net_int.h"

#include "net/wifi.h"

#define NET_MAX_TAGS	8	/* VLAN tags, MPLS labels, PPPoE: per frame */

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
int
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

int
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

link_fn
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
